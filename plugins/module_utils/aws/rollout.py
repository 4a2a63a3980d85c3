# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rolling replacement of the instances of an Auto Scaling group that run an older launch
template version, without an outage, resumable after a kill at any point.

Two methods:

``replace`` (ours): a batch at a time, set the desired capacity to *capacity + batch* (an
absolute value, so a repeated step changes nothing), wait until the new instances are
InService and healthy in every balancer of the group, then terminate the old ones one by one
with ``TerminateInstanceInAutoScalingGroup`` (which runs the group's
``autoscaling:EC2_INSTANCE_TERMINATING`` lifecycle hook, so the drain agent empties the
server) and wait until each has left ``Terminating:Wait``. Before each termination the number
of instances healthy in every balancer without the one to go must be at least the floor
(``min_healthy``); otherwise the module waits (bounded) and reports.

Every decision is taken from what the group shows now (which instances run which version,
its desired capacity) and from the state tag ``streamfleet:rollout``, never from memory of an
earlier step: a run killed between any two API calls is continued by the next run, which
restores the sizes and processes recorded in the tag. The tag is also the lock: it names the
run that owns the rollout, when it started and when it last showed life; another run refuses
while that is recent, and takes over a stale lock only with ``force_takeover``.

``instance_refresh``: EC2 Auto Scaling's own StartInstanceRefresh (min healthy percentage,
checkpoints, skip matching); resuming means waiting for the refresh in progress.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time
import uuid

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.converger import (
    ConvergeError,
    Converger,
    ensure_dict_diff,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.retries import error_code
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.tags import DEPLOYMENT_TAG
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.waiters import WaiterFailure, wait_for

try:
    from botocore.exceptions import ClientError
except ImportError:  # reported by the shared AWS module class
    ClientError = Exception

ROLLOUT_TAG = 'streamfleet:rollout'
# Processes that would fight the temporary capacity: alarms scaling back in, rebalancing
# terminating the new instances, scheduled actions resetting the desired capacity.
SUSPENDED_DURING_ROLLOUT = ('AlarmNotification', 'AZRebalance', 'ScheduledActions')
# Without these the group cannot launch or terminate: a rollout would wait for nothing.
REQUIRED_PROCESSES = ('Launch', 'Terminate')
TEMPLATE_VERSION_TAG = 'aws:ec2launchtemplate:version'
TEMPLATE_ID_TAG = 'aws:ec2launchtemplate:id'
GONE_STATES = ('Terminating', 'Terminating:Wait', 'Terminating:Proceed', 'Terminated', 'Detaching', 'Detached')
# An instance in these states is still draining through the termination lifecycle hook.
DRAINING_STATES = ('Terminating', 'Terminating:Wait')
TERMINATING_TRANSITION = 'autoscaling:EC2_INSTANCE_TERMINATING'
# AWS keeps an instance in a lifecycle wait state at most this long (48 hours).
MAX_GLOBAL_TIMEOUT = 172800
# Seconds between writing our lock's ``beat`` while waiting: much less than the stale limit.
HEARTBEAT_EVERY = 60
# Tags cannot be written conditionally: after taking the lock, re-read it this many seconds
# later; if another run wrote its own meanwhile, the later writer keeps it.
LOCK_SETTLE_SECONDS = 2
RUN_ID_PATTERN = re.compile(r'^[A-Za-z0-9._:-]{1,64}$')
REFRESH_ACTIVE = ('Pending', 'InProgress', 'Cancelling', 'RollbackInProgress', 'Baking')
REFRESH_CANCELLABLE = ('Pending', 'InProgress', 'Baking')
REFRESH_FAILED = ('Failed', 'Cancelled', 'RollbackFailed', 'RollbackSuccessful')


class RolloutError(ConvergeError):
    """A state the rollout refuses to work on, or a refusal of the lock."""


# ---------------------------------------------------------------------------------- state tag
STATE_KEYS = ('run', 'started', 'beat', 'method', 'min', 'max', 'desired', 'floor', 'suspended')


def encode_state(state):
    """Group tag value (under 256 characters): who runs the rollout, since when, the sizes
    and processes to restore, and the healthy floor decided at the start."""
    parts = []
    for key in STATE_KEYS:
        value = state.get(key)
        if key == 'suspended':
            value = ','.join(sorted(value or []))
        elif value is None:
            continue
        parts.append('%s=%s' % (key, value))
    return ';'.join(parts)


def decode_state(value):
    """Inverse of :func:`encode_state`; None when ``value`` is not one of ours.

    A tag written before the lock existed (sizes only) decodes with ``run`` None and
    ``beat`` 0: a lock of an unknown owner, stale.
    """
    fields = {}
    for part in (value or '').split(';'):
        key, sep, item = part.partition('=')
        if sep:
            fields[key.strip()] = item.strip()
    try:
        state = dict(min=int(fields['min']), max=int(fields['max']), desired=int(fields['desired']))
        state['started'] = int(fields.get('started') or 0)
        state['beat'] = int(fields.get('beat') or state['started'])
        state['floor'] = int(fields['floor']) if fields.get('floor') else None
    except (KeyError, ValueError):
        return None
    state['run'] = fields.get('run') or None
    state['method'] = fields.get('method') or 'replace'
    state['suspended'] = [p for p in fields.get('suspended', '').split(',') if p]
    return state


def lock_verdict(state, run_id, now, stale_after, force_takeover):
    """('own' | 'takeover' | 'refuse', message) for a run meeting the rollout lock ``state``."""
    if state['run'] and state['run'] == run_id:
        return 'own', 'continuing rollout run %s' % run_id
    idle = max(0, now - state['beat'])
    owner = state['run'] or 'unknown (a tag without owner)'
    started = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(state['started'])) if state['started'] else 'unknown'
    described = 'rollout run %s (started %s, last sign of life %ds ago)' % (owner, started, idle)
    if idle < stale_after:
        return 'refuse', ('%s holds the lock; two rollouts never run at once. If that run was killed, '
                          're-run with run_id=%s to continue it, or wait until it is stale (%ds without '
                          'a sign of life) and re-run with force_takeover=true' % (described, owner, stale_after))
    if not force_takeover:
        return 'refuse', ('%s is stale (no sign of life for %ds or more); re-run with force_takeover=true '
                          'to continue it, or with run_id=%s' % (described, stale_after, owner))
    return 'takeover', 'took over stale %s' % described


# ------------------------------------------------------------------------------- pure helpers
def parse_min_healthy(value):
    """``min_healthy`` -> (kind, number): ('count', n), ('percent', p) or (None, None) (default)."""
    if value is None or str(value).strip() == '':
        return None, None
    text = str(value).strip()
    if text.endswith('%'):
        try:
            percent = int(text[:-1].strip())
        except ValueError:
            raise RolloutError('min_healthy %r: a percentage must be a whole number, like 75%%' % value)
        if not 0 <= percent <= 100:
            raise RolloutError('min_healthy %r: a percentage must be between 0%% and 100%%' % value)
        return 'percent', percent
    try:
        count = int(text)
    except ValueError:
        raise RolloutError('min_healthy %r: give a number of instances (3) or a percentage of the '
                           'capacity (75%%)' % value)
    if count < 0:
        raise RolloutError('min_healthy %r must not be negative' % value)
    return 'count', count


def ceil_div(a, b):
    return -(-a // b)


def healthy_floor(spec, capacity, healthy_now, min_size):
    """The number of instances that must stay healthy in the balancers at every moment.

    Default: the stricter of what is healthy now and the group's minimum size, never more
    than the capacity (it cannot be kept otherwise). A percentage is of the capacity (the
    desired capacity at the start), rounded up.
    """
    kind, number = spec
    if kind == 'count':
        return number
    if kind == 'percent':
        return ceil_div(capacity * number, 100)
    return min(capacity, max(healthy_now, min_size))


def plan_batches(outdated, batch_size):
    """Split the outdated instance ids into batches of at most ``batch_size``."""
    if batch_size < 1:
        raise RolloutError('batch_size must be at least 1')
    return [outdated[i:i + batch_size] for i in range(0, len(outdated), batch_size)]


def instance_version(group_instance, ec2_tags):
    """(template id, version) an instance was launched with.

    The EC2 tags ``aws:ec2launchtemplate:*`` record what the instance was launched from; the
    group's own view is the fallback (moto reports the group's current resolution there).
    """
    spec = group_instance.get('LaunchTemplate') or {}
    template_id = ec2_tags.get(TEMPLATE_ID_TAG) or spec.get('LaunchTemplateId')
    version = ec2_tags.get(TEMPLATE_VERSION_TAG) or spec.get('Version')
    return template_id, (str(version) if version is not None else None)


def drain_bound(hooks):
    """(seconds, hook names): how long AWS may keep a terminating instance in
    ``Terminating:Wait``: the longest global timeout of the termination hooks (AWS reports
    it; otherwise 100 heartbeat timeouts, capped at 48 hours as AWS caps it)."""
    names, bound = [], 0
    for hook in hooks:
        if hook.get('LifecycleTransition') != TERMINATING_TRANSITION:
            continue
        names.append(hook['LifecycleHookName'])
        heartbeat = int(hook.get('HeartbeatTimeout') or 3600)
        bound = max(bound, int(hook.get('GlobalTimeout') or min(100 * heartbeat, MAX_GLOBAL_TIMEOUT)))
    return bound, sorted(names)


def refresh_preferences(params, floor, capacity):
    """``Preferences`` of StartInstanceRefresh for the module's options."""
    kind, number = parse_min_healthy(params.get('min_healthy'))
    if kind == 'percent':
        min_pct = number
    else:
        min_pct = min(100, ceil_div(100 * floor, capacity)) if capacity else 100
    # Launch before terminate, the batch size above capacity at most (AWS: 100-200, and at
    # most 100 above the minimum).
    step = ceil_div(100 * params['batch_size'], capacity) if capacity else 100
    max_pct = max(100, min(200, min_pct + 100, min_pct + step))
    prefs = dict(MinHealthyPercentage=min_pct, MaxHealthyPercentage=max_pct,
                 SkipMatching=bool(params.get('skip_matching', True)),
                 # seed 001 protects its instances from scale-in; the default ("Wait") would stall
                 ScaleInProtectedInstances='Refresh')
    if params.get('instance_warmup') is not None:
        prefs['InstanceWarmup'] = params['instance_warmup']
    if params.get('checkpoint_percentages'):
        prefs['CheckpointPercentages'] = list(params['checkpoint_percentages'])
        if params.get('checkpoint_delay') is not None:
            prefs['CheckpointDelay'] = params['checkpoint_delay']
    return prefs


def validate_params(p):
    """Every input rule, before any AWS call."""
    if p['batch_size'] < 1:
        raise RolloutError('batch_size must be at least 1 (got %d)' % p['batch_size'])
    if p['poll_interval'] < 1 or p['wait_timeout'] < 1:
        raise RolloutError('poll_interval and wait_timeout must be at least 1 (got %d and %d)'
                           % (p['poll_interval'], p['wait_timeout']))
    parse_min_healthy(p.get('min_healthy'))
    if p.get('drain_timeout') is not None and p['drain_timeout'] < 1:
        raise RolloutError('drain_timeout must be at least 1 second (got %d)' % p['drain_timeout'])
    if p['lock_stale_after'] < 60:
        raise RolloutError('lock_stale_after must be at least 60 seconds (the lock is refreshed every '
                           '%ds while waiting; got %d)' % (HEARTBEAT_EVERY, p['lock_stale_after']))
    if p.get('run_id') is not None and not RUN_ID_PATTERN.match(p['run_id']):
        raise RolloutError('run_id %r: 1 to 64 letters, digits, ".", "_", ":" or "-"' % p['run_id'])
    refresh_only = [name for name in ('checkpoint_percentages', 'checkpoint_delay', 'instance_warmup')
                    if p.get(name) not in (None, [])]
    if p['method'] != 'instance_refresh':
        if refresh_only:
            raise RolloutError('%s only apply to method instance_refresh (method is %s)'
                               % (', '.join(refresh_only), p['method']))
        if p['state'] == 'cancelled':
            raise RolloutError('state cancelled cancels an instance refresh: use it with method instance_refresh')
    checkpoints = p.get('checkpoint_percentages') or []
    if any(c < 1 or c > 100 for c in checkpoints):
        raise RolloutError('checkpoint_percentages must be between 1 and 100 (got %s)' % checkpoints)
    if checkpoints != sorted(set(checkpoints)):
        raise RolloutError('checkpoint_percentages must be unique and ascending (got %s)' % checkpoints)
    if checkpoints and checkpoints[-1] != 100:
        raise RolloutError('checkpoint_percentages must end with 100, or the refresh stops before '
                           'replacing every instance (got %s)' % checkpoints)
    if p.get('checkpoint_delay') is not None:
        if not checkpoints:
            raise RolloutError('checkpoint_delay needs checkpoint_percentages')
        if p['checkpoint_delay'] < 0:
            raise RolloutError('checkpoint_delay must not be negative')
    if p.get('instance_warmup') is not None and p['instance_warmup'] < 0:
        raise RolloutError('instance_warmup must not be negative')


class Rollout(Converger):
    """Replaces the outdated instances of one group; records progress and changes."""

    input_rules = 'aws_fleet_rollout'  # validation.INPUT_RULES, checked before validate()

    error = RolloutError
    what = 'rollout'

    def __init__(self, module, clock=time.time, sleep=time.sleep, wait_clock=time.monotonic):
        super(Rollout, self).__init__(module)
        self.progress = []
        self.replaced = []
        self.min_healthy_seen = None
        self.clock = clock
        self.sleep = sleep
        self.wait_clock = wait_clock
        self.state = None
        self.run_id = module.params.get('run_id') or uuid.uuid4().hex[:12]
        self.lock = {}
        self._last_beat = 0
        self._hooks = None

    @property
    def autoscaling(self):
        return self.client('autoscaling')

    @property
    def ec2(self):
        return self.client('ec2')

    def describe(self):
        return 'Rollout of group %s' % self.params['name']

    def validate(self):
        validate_params(self.params)

    def read(self):
        self.group = self.describe_group()

    def apply(self):
        if self.params['method'] == 'instance_refresh':
            self.result = self.refresh()
        else:
            self.result = self.roll()

    def failure_details(self):
        details = dict(run_id=self.run_id)
        if self.changes:
            details.update(replaced=self.replaced, progress=self.progress)
        return details

    def aws_failure(self):
        return ('Rollout of group %s (run %s): AWS call failed after replacing %d instance(s); the next run '
                'continues' % (self.params['name'], self.run_id, len(self.replaced)))

    def diff(self):
        return ensure_dict_diff(
            dict(outdated=[o for b in self.result.get('batches', []) for o in b]),
            dict(outdated=[] if self.check_mode else self.result.get('outdated', [])))

    # ---------------------------------------------------------------- reading
    def describe_group(self):
        groups = self.autoscaling.describe_auto_scaling_groups(
            aws_retry=True, AutoScalingGroupNames=[self.params['name']])['AutoScalingGroups']
        return groups[0] if groups else None

    def checked_group(self):
        group = self.group
        if group is None:
            raise RolloutError('Auto Scaling group %s does not exist' % self.params['name'])
        tags = dict((t['Key'], t['Value']) for t in group.get('Tags', []))
        if tags.get(DEPLOYMENT_TAG) != self.params['deployment']:
            raise RolloutError('Auto Scaling group %s does not carry %s=%s; the collection does not roll '
                               'groups it did not create' % (self.params['name'], DEPLOYMENT_TAG,
                                                             self.params['deployment']))
        return group, tags

    def target_version(self, group):
        """(template id, template name, concrete version number) the group launches now."""
        spec = group.get('LaunchTemplate')
        if not spec:
            if group.get('MixedInstancesPolicy'):
                raise RolloutError('group %s uses a mixed instances policy; only a plain launch template '
                                   'is supported' % group['AutoScalingGroupName'])
            raise RolloutError('group %s uses a launch configuration, not a launch template'
                               % group['AutoScalingGroupName'])
        kwargs = ({'LaunchTemplateIds': [spec['LaunchTemplateId']]} if spec.get('LaunchTemplateId')
                  else {'LaunchTemplateNames': [spec['LaunchTemplateName']]})
        try:
            template = self.ec2.describe_launch_templates(aws_retry=True, **kwargs)['LaunchTemplates'][0]
        except (ClientError, IndexError) as exc:
            raise RolloutError('launch template %s of group %s cannot be read: %s' % (
                spec.get('LaunchTemplateName') or spec.get('LaunchTemplateId'),
                group['AutoScalingGroupName'], exc))
        version = str(spec.get('Version') or '$Default')
        if version == '$Default':
            version = str(template['DefaultVersionNumber'])
        elif version == '$Latest':
            version = str(template['LatestVersionNumber'])
        return template['LaunchTemplateId'], template['LaunchTemplateName'], version

    def ec2_tags(self, instance_ids):
        tags = dict((i, {}) for i in instance_ids)
        if not instance_ids:
            return tags
        for reservation in self.module.paginate(self.ec2, 'describe_instances', 'Reservations',
                                                InstanceIds=list(instance_ids)):
            for instance in reservation['Instances']:
                tags[instance['InstanceId']] = dict((t['Key'], t['Value']) for t in instance.get('Tags', []))
        return tags

    def classify(self, group, template_id, version):
        """(up-to-date instance ids, outdated instance dicts) among the live instances."""
        live = [i for i in group.get('Instances', []) if i.get('LifecycleState') not in GONE_STATES]
        tags = self.ec2_tags([i['InstanceId'] for i in live])
        current, outdated = [], []
        for instance in sorted(live, key=lambda i: i['InstanceId']):
            have_id, have_version = instance_version(instance, tags[instance['InstanceId']])
            if have_id == template_id and have_version == version:
                current.append(instance['InstanceId'])
            else:
                outdated.append(dict(instance_id=instance['InstanceId'], launch_template_id=have_id,
                                     version=have_version, lifecycle_state=instance.get('LifecycleState'),
                                     protected_from_scale_in=bool(instance.get('ProtectedFromScaleIn'))))
        return current, outdated

    def termination_hooks(self):
        if self._hooks is None:
            hooks = self.autoscaling.describe_lifecycle_hooks(
                aws_retry=True, AutoScalingGroupName=self.params['name'])['LifecycleHooks']
            self._hooks = [h for h in hooks if h.get('LifecycleTransition') == TERMINATING_TRANSITION]
        return self._hooks

    def healthy(self, group):
        """Instance ids InService and Healthy in the group *and* healthy in every balancer of it
        (each target group: ``healthy``; each classic load balancer: ``InService``)."""
        ids = [i['InstanceId'] for i in group.get('Instances', [])
               if i.get('LifecycleState') == 'InService' and i.get('HealthStatus', 'Healthy') == 'Healthy']
        if not ids or not self.params['wait_for_targets']:
            return ids
        good = set(ids)
        for arn in group.get('TargetGroupARNs') or []:
            answer = self.client('elbv2').describe_target_health(aws_retry=True, TargetGroupArn=arn)
            good &= set(d['Target']['Id'] for d in answer['TargetHealthDescriptions']
                        if d['TargetHealth'].get('State') == 'healthy')
        for name in group.get('LoadBalancerNames') or []:
            answer = self.client('elb').describe_instance_health(aws_retry=True, LoadBalancerName=name)
            good &= set(d['InstanceId'] for d in answer['InstanceStates'] if d.get('State') == 'InService')
        return [i for i in ids if i in good]

    def record(self, phase, group, batch=None, healthy=None):
        count = len(self.healthy(group) if healthy is None else healthy)
        self.min_healthy_seen = count if self.min_healthy_seen is None else min(self.min_healthy_seen, count)
        entry = dict(phase=phase, healthy=count, in_service=count, desired_capacity=group.get('DesiredCapacity'),
                     max_size=group.get('MaxSize'), instances=len(group.get('Instances', [])))
        if batch is not None:
            entry['batch'] = batch
        self.progress.append(entry)

    # ---------------------------------------------------------------- the lock
    def _write_state(self):
        self.autoscaling.create_or_update_tags(aws_retry=True, Tags=[dict(
            ResourceId=self.params['name'], ResourceType='auto-scaling-group', Key=ROLLOUT_TAG,
            Value=encode_state(self.state), PropagateAtLaunch=False)])
        self._last_beat = self.state['beat']

    def beat(self, force=False):
        """Refresh the lock's sign of life (at most every HEARTBEAT_EVERY seconds unless forced)."""
        now = int(self.clock())
        if force or now - self._last_beat >= HEARTBEAT_EVERY:
            self.state['beat'] = now
            self._write_state()

    def acquire(self, fresh):
        """Write our state tag, then make sure no other run wrote its own at the same moment."""
        self._write_state()
        if not fresh and self.lock.get('verdict') == 'own':
            return
        self.sleep(LOCK_SETTLE_SECONDS)
        group = self.describe_group()
        tags = dict((t['Key'], t['Value']) for t in group.get('Tags', []))
        now = decode_state(tags.get(ROLLOUT_TAG))
        if not now or now['run'] != self.run_id:
            raise RolloutError('another rollout run (%s) took the lock of group %s at the same moment; this '
                               'run stops without changing anything else' % (now and now['run'], self.params['name']))

    # ---------------------------------------------------------------- method replace
    def roll(self):
        p = self.params
        group, tags = self.checked_group()
        template_id, template_name, version = self.target_version(group)
        current, outdated = self.classify(group, template_id, version)
        saved = decode_state(tags.get(ROLLOUT_TAG))
        result = dict(group_name=p['name'], method='replace', run_id=self.run_id, launch_template_id=template_id,
                      launch_template_name=template_name, launch_template_version=version, up_to_date=current,
                      outdated=[o['instance_id'] for o in outdated], replaced=self.replaced,
                      progress=self.progress, lock=self.lock)
        result['batches'] = plan_batches([o['instance_id'] for o in outdated], p['batch_size'])
        if not outdated and saved is None:
            result['min_healthy'] = result['min_in_service'] = len(self.healthy(group))
            return result
        if saved is not None and saved['method'] != 'replace':
            raise RolloutError('group %s carries a %s rollout state; finish it with that method'
                               % (p['name'], saved['method']))
        if saved is not None:
            verdict, message = lock_verdict(saved, self.run_id, int(self.clock()), p['lock_stale_after'],
                                            p['force_takeover'])
            self.lock.update(verdict=verdict, message=message, owner=saved['run'], started=saved['started'])
            if verdict == 'refuse':
                raise RolloutError('Rollout of group %s refused: %s' % (p['name'], message))
        missing = [s['ProcessName'] for s in group.get('SuspendedProcesses', [])
                   if s['ProcessName'] in REQUIRED_PROCESSES]
        if missing:
            raise RolloutError('group %s has %s suspended; the rollout could neither launch nor terminate. '
                               'Resume them first' % (p['name'], ', '.join(missing)))

        healthy_now = self.healthy(group)
        capacity = saved['desired'] if saved else group['DesiredCapacity']
        spec = parse_min_healthy(p.get('min_healthy'))
        if spec[0] is None and saved and saved.get('floor') is not None:
            floor = saved['floor']
        else:
            floor = healthy_floor(spec, capacity, len(healthy_now), group['MinSize'])
        if floor > capacity:
            raise RolloutError('min_healthy %s means %d healthy instances, more than the capacity %d of group '
                               '%s: every termination would wait forever' % (p.get('min_healthy'), floor,
                                                                             capacity, p['name']))
        hooks = self.termination_hooks()
        drain_seconds, hook_names = drain_bound(hooks)
        if p.get('drain_timeout'):
            drain_seconds = p['drain_timeout']
        result.update(min_healthy=floor, drain=dict(hooks=hook_names, timeout=drain_seconds or p['wait_timeout']))
        if not hook_names:
            self.module.warn('group %s has no %s lifecycle hook: replaced servers are not drained, their live '
                             'sessions end when they are terminated' % (p['name'], TERMINATING_TRANSITION))

        if saved is None:
            self.changes.append('take the rollout lock of %s (run %s)' % (p['name'], self.run_id))
        else:
            self.changes.append('%s (lock of run %s)' % (self.lock['message'], saved['run']))
        for number, batch in enumerate(result['batches'], 1):
            self.changes.append('batch %d: desired capacity %d, then replace %s with instances of %s version %s '
                                'through %s' % (number, capacity + len(batch), ', '.join(batch), template_name,
                                                version, ', '.join(hook_names) or 'no lifecycle hook'))
        sizes = saved or dict(min=group['MinSize'], max=group['MaxSize'], desired=group['DesiredCapacity'])
        self.changes.append('restore min %(min)d, max %(max)d, desired %(desired)d, resume the processes, '
                            'remove the state tag' % sizes)
        if self.check_mode:
            self.replaced.extend(o['instance_id'] for o in outdated)
            result['min_in_service'] = len(healthy_now)
            return result

        now = int(self.clock())
        if saved is None:
            already = set(s['ProcessName'] for s in group.get('SuspendedProcesses', []))
            self.state = dict(run=self.run_id, started=now, beat=now, method='replace', floor=floor,
                              suspended=[n for n in SUSPENDED_DURING_ROLLOUT if n not in already], **sizes)
        else:
            self.state = dict(saved, run=self.run_id, beat=now, floor=floor)
        self.acquire(fresh=saved is None)
        if self.state['suspended']:
            self.autoscaling.suspend_processes(aws_retry=True, AutoScalingGroupName=p['name'],
                                               ScalingProcesses=list(self.state['suspended']))
        group = self.describe_group()
        self.record('start', group)
        # A killed run may have left instances draining: they finish before anything else.
        self._wait_drained('servers left draining by an earlier run',
                           [i['InstanceId'] for i in group.get('Instances', []) if i.get('LifecycleState') in DRAINING_STATES],
                           result['drain']['timeout'])
        number = 0
        while True:
            group = self.describe_group()
            current, outdated = self.classify(group, template_id, version)
            if not outdated:
                break
            number += 1
            self._replace_batch(number, outdated[:p['batch_size']], capacity, floor, current, len(outdated),
                                result['drain']['timeout'], template_id, version)
        self._restore()
        group = self.describe_group()
        self.record('done', group)
        result['up_to_date'], left = self.classify(group, template_id, version)
        result['outdated'] = [o['instance_id'] for o in left]
        result['min_in_service'] = self.min_healthy_seen
        result['sizes'] = dict((k, self.state[k]) for k in ('min', 'max', 'desired'))
        return result

    def _replace_batch(self, number, batch, capacity, floor, current, outdated_count, drain_timeout,
                       template_id, version):
        name = self.params['name']
        ids = [o['instance_id'] for o in batch]
        target = capacity + len(ids)
        group = self.describe_group()
        update = {}
        if group['DesiredCapacity'] != target:
            update['DesiredCapacity'] = target
        if group['MaxSize'] < target:
            update['MaxSize'] = target
        self.beat(force=True)
        if update:
            self.autoscaling.update_auto_scaling_group(aws_retry=True, AutoScalingGroupName=name, **update)
        self.record('batch %d: desired capacity %d' % (number, target), self.describe_group(), ids)
        # After this batch the group holds `target - outdated_count` instances of the new version.
        needed = target - outdated_count

        def new_instances_ready():
            self.beat()
            now = self.describe_group()
            good = set(self.healthy(now))
            on_version, _outdated = self.classify(now, template_id, version)
            ready = [i for i in on_version if i in good]
            return len(ready) >= needed, '%d of %d instances of the new version healthy (%d launched)' % (
                len(ready), needed, len(on_version))

        wait_for(self.module, 'batch %d of group %s' % (number, name), new_instances_ready,
                 self.params['wait_timeout'], delay=self.params['poll_interval'],
                 clock=self.wait_clock, sleep=self.sleep)
        group = self.describe_group()
        self.record('batch %d: new instances healthy' % number, group, ids)
        new_ids = sorted(set(self.classify(group, template_id, version)[0]) - set(current))

        terminated = []
        for instance in batch:
            instance_id = instance['instance_id']
            self._wait_floor(number, instance_id, floor)
            if instance['protected_from_scale_in']:
                self.autoscaling.set_instance_protection(aws_retry=True, AutoScalingGroupName=name,
                                                         InstanceIds=[instance_id], ProtectedFromScaleIn=False)
            try:
                # Through the group, never EC2's TerminateInstances: only this runs the lifecycle hook.
                self.autoscaling.terminate_instance_in_auto_scaling_group(
                    InstanceId=instance_id, ShouldDecrementDesiredCapacity=True)
            except ClientError as exc:
                # Gone already (terminated by someone else): nothing to replace.
                if error_code(exc) != 'ValidationError':
                    raise
            terminated.append(instance_id)
            self.replaced.append(dict(instance_id=instance_id, batch=number, replaced_by=new_ids))
            self.record('batch %d: terminating %s' % (number, instance_id), self.describe_group(), ids)
        self._wait_drained('batch %d' % number, terminated, drain_timeout)

    def _wait_floor(self, number, instance_id, floor):
        """Wait until the instances healthy in the balancers without ``instance_id`` are at least ``floor``."""
        def enough_without_it():
            self.beat()
            group = self.describe_group()
            others = [i for i in self.healthy(group) if i != instance_id]
            return len(others) >= floor, '%d healthy without %s, %d needed' % (len(others), instance_id, floor)

        wait_for(self.module, 'batch %d: minimum healthy before terminating %s' % (number, instance_id),
                 enough_without_it, self.params['wait_timeout'], delay=self.params['poll_interval'],
                 clock=self.wait_clock, sleep=self.sleep)

    def _wait_drained(self, what, instance_ids, timeout):
        """Wait until each instance has left ``Terminating:Wait`` (drained through the hook)."""
        if not instance_ids:
            return

        def drained():
            self.beat()
            group = self.describe_group()
            states = dict((i['InstanceId'], i.get('LifecycleState')) for i in group.get('Instances', []))
            waiting = sorted(i for i in instance_ids if i in states and states[i] not in
                             ('Terminating:Proceed', 'Terminated', 'Detached'))
            return not waiting, ('%d of %d drained%s' % (len(instance_ids) - len(waiting), len(instance_ids),
                                 (': waiting for ' + ', '.join('%s (%s)' % (i, states[i]) for i in waiting))
                                 if waiting else ''))

        wait_for(self.module, '%s draining in group %s' % (what, self.params['name']), drained,
                 timeout, delay=self.params['poll_interval'],
                 clock=self.wait_clock, sleep=self.sleep)

    def _restore(self):
        name = self.params['name']
        group = self.describe_group()
        update = {}
        for key, field in (('max', 'MaxSize'), ('min', 'MinSize'), ('desired', 'DesiredCapacity')):
            if group[field] != self.state[key]:
                update[field] = self.state[key]
        if update:
            # The desired capacity is back already unless an instance vanished on its own.
            self.autoscaling.update_auto_scaling_group(aws_retry=True, AutoScalingGroupName=name, **update)
        if self.state['suspended']:
            self.autoscaling.resume_processes(aws_retry=True, AutoScalingGroupName=name,
                                              ScalingProcesses=list(self.state['suspended']))
        self.autoscaling.delete_tags(aws_retry=True, Tags=[
            dict(ResourceId=name, ResourceType='auto-scaling-group', Key=ROLLOUT_TAG)])

    # ---------------------------------------------------------------- method instance_refresh
    def describe_refreshes(self, refresh_id=None):
        kwargs = dict(AutoScalingGroupName=self.params['name'])
        if refresh_id:
            kwargs['InstanceRefreshIds'] = [refresh_id]
        return self.autoscaling.describe_instance_refreshes(aws_retry=True, **kwargs)['InstanceRefreshes']

    def refresh(self):
        p = self.params
        group, tags = self.checked_group()
        template_id, template_name, version = self.target_version(group)
        current, outdated = self.classify(group, template_id, version)
        result = dict(group_name=p['name'], method='instance_refresh', run_id=self.run_id,
                      launch_template_id=template_id, launch_template_name=template_name,
                      launch_template_version=version, up_to_date=current,
                      outdated=[o['instance_id'] for o in outdated], replaced=self.replaced,
                      progress=self.progress, batches=[[o['instance_id'] for o in outdated]] if outdated else [])
        saved = decode_state(tags.get(ROLLOUT_TAG))
        if saved is not None:
            raise RolloutError('group %s carries the state of a replace rollout (run %s); finish it with method '
                               'replace before an instance refresh' % (p['name'], saved['run']))
        refreshes = self.describe_refreshes()
        active = next((r for r in refreshes if r.get('Status') in REFRESH_ACTIVE), None)
        if p['state'] == 'cancelled':
            result['batches'] = []
            if active and active['Status'] in REFRESH_CANCELLABLE:
                result['instance_refresh'] = self._refresh_info(active)
                if self.change('cancel instance refresh %s (%s)' % (active['InstanceRefreshId'], active['Status'])):
                    self.autoscaling.cancel_instance_refresh(aws_retry=True, AutoScalingGroupName=p['name'])
                    if p['wait']:
                        result['instance_refresh'] = self._wait_refresh(active['InstanceRefreshId'],
                                                                        ('Cancelled',), cancelling=True)
            return result
        if active is None and not outdated:
            return result
        capacity = group['DesiredCapacity']
        floor = healthy_floor(parse_min_healthy(p.get('min_healthy')), capacity,
                              len(self.healthy(group)), group['MinSize'])
        prefs = refresh_preferences(p, floor, capacity)
        result.update(min_healthy=floor, preferences=prefs)
        if active is not None:
            refresh_id = active['InstanceRefreshId']
            result['instance_refresh'] = self._refresh_info(active)
            self.change('continue instance refresh %s (%s, %s%% done)' % (
                refresh_id, active['Status'], active.get('PercentageComplete', 0)))
        else:
            refresh_id = None
            if self.change('start an instance refresh of %s to %s version %s (%s)' % (
                    p['name'], template_name, version, ', '.join('%s=%s' % kv for kv in sorted(prefs.items())))):
                refresh_id = self.autoscaling.start_instance_refresh(
                    aws_retry=True, AutoScalingGroupName=p['name'], Strategy='Rolling',
                    Preferences=prefs)['InstanceRefreshId']
        if self.check_mode:
            self.replaced.extend(o['instance_id'] for o in outdated)
            return result
        if p['wait']:
            result['instance_refresh'] = self._wait_refresh(refresh_id, ('Successful',))
            group = self.describe_group()
            result['up_to_date'], left = self.classify(group, template_id, version)
            result['outdated'] = [o['instance_id'] for o in left]
        else:
            result['instance_refresh'] = self._refresh_info(self.describe_refreshes(refresh_id)[0])
        return result

    @staticmethod
    def _refresh_info(refresh):
        return dict(id=refresh['InstanceRefreshId'], status=refresh.get('Status'),
                    status_reason=refresh.get('StatusReason'), percentage_complete=refresh.get('PercentageComplete'),
                    instances_to_update=refresh.get('InstancesToUpdate'))

    def _wait_refresh(self, refresh_id, goal, cancelling=False):
        seen = {}

        def check():
            refresh = self.describe_refreshes(refresh_id)[0]
            seen['last'] = refresh
            status = refresh.get('Status')
            if status in REFRESH_FAILED and status not in goal:
                raise WaiterFailure('instance refresh %s is %s: %s' % (refresh_id, status, refresh.get('StatusReason', '')))
            return status in goal, '%s, %s%% done, %s to update%s' % (
                status, refresh.get('PercentageComplete', 0), refresh.get('InstancesToUpdate', '?'),
                (': ' + refresh['StatusReason']) if refresh.get('StatusReason') else '')

        wait_for(self.module, 'instance refresh %s of group %s%s' % (
            refresh_id, self.params['name'], ' cancelled' if cancelling else ''),
            check, self.params['wait_timeout'], delay=self.params['poll_interval'],
            clock=self.wait_clock, sleep=self.sleep)
        return self._refresh_info(seen['last'])
