# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rolling replacement of the instances of an Auto Scaling group that run an older launch
template version, a batch at a time, never below the group's capacity.

Why not ``start_instance_refresh``: the vendor script it replaces scaled the group to zero,
instance refresh cannot wait for a media server's own readiness in our tests (moto does not
implement it), and the sequence below is short: raise the desired capacity (and, if needed, the
maximum) by the batch size, wait until the new instances are InService and healthy in the
group's target groups, then terminate the old ones with ``ShouldDecrementDesiredCapacity``.
The in-service count therefore never drops below the capacity the group had when it started.

The sizes the group had before the rollout are stored in a group tag while it runs, so a run
that failed half way (timeout) is continued and the sizes restored by the next run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

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
TEMPLATE_VERSION_TAG = 'aws:ec2launchtemplate:version'
TEMPLATE_ID_TAG = 'aws:ec2launchtemplate:id'
GONE_STATES = ('Terminating', 'Terminating:Wait', 'Terminating:Proceed', 'Terminated', 'Detaching', 'Detached')


class RolloutError(ConvergeError):
    """A state the rollout refuses to work on; raised before anything changed."""


def encode_state(sizes, suspended):
    """Group tag value holding the sizes to restore and the processes we suspended."""
    return 'min=%d;max=%d;desired=%d;suspended=%s' % (
        sizes['min'], sizes['max'], sizes['desired'], ','.join(sorted(suspended)))


def decode_state(value):
    """Inverse of :func:`encode_state`; None when ``value`` is not one of ours."""
    fields = {}
    for part in (value or '').split(';'):
        key, sep, item = part.partition('=')
        if sep:
            fields[key.strip()] = item.strip()
    try:
        sizes = dict(min=int(fields['min']), max=int(fields['max']), desired=int(fields['desired']))
    except (KeyError, ValueError):
        return None
    suspended = [p for p in fields.get('suspended', '').split(',') if p]
    return sizes, suspended


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


class Rollout(Converger):
    """Replaces the outdated instances of one group; records progress and changes."""

    error = RolloutError

    def __init__(self, module):
        super(Rollout, self).__init__(module)
        self.progress = []
        self.replaced = []
        self.min_in_service = None

    @property
    def autoscaling(self):
        return self.client('autoscaling')

    @property
    def ec2(self):
        return self.client('ec2')

    def validate(self):
        if self.params['batch_size'] < 1:
            raise RolloutError('batch_size must be at least 1')
        if self.params['poll_interval'] < 1 or self.params['wait_timeout'] < 1:
            raise RolloutError('poll_interval and wait_timeout must be at least 1')

    def read(self):
        self.group = self.describe_group()

    def apply(self):
        try:
            self.result = self.roll()
        except WaiterFailure as exc:
            raise RolloutError('Rollout of %s stopped: %s; the next run continues and restores the sizes'
                               % (self.params['name'], exc))

    def failure_details(self):
        return dict(replaced=self.replaced, progress=self.progress) if self.changes else {}

    def aws_failure(self):
        return ('Rollout of group %s: AWS call failed after replacing %d instance(s)'
                % (self.params['name'], len(self.replaced)))

    def diff(self):
        return ensure_dict_diff(
            dict(outdated=[o for b in self.result['batches'] for o in b]),
            dict(outdated=[] if self.check_mode else self.result['outdated']))

    # ---------------------------------------------------------------- reading
    def describe_group(self):
        groups = self.autoscaling.describe_auto_scaling_groups(
            aws_retry=True, AutoScalingGroupNames=[self.params['name']])['AutoScalingGroups']
        return groups[0] if groups else None

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

    @staticmethod
    def in_service(group, exclude=()):
        return [i['InstanceId'] for i in group.get('Instances', [])
                if i.get('LifecycleState') == 'InService' and i.get('HealthStatus', 'Healthy') == 'Healthy'
                and i['InstanceId'] not in exclude]

    def record(self, phase, group, batch=None):
        count = len(self.in_service(group))
        self.min_in_service = count if self.min_in_service is None else min(self.min_in_service, count)
        entry = dict(phase=phase, in_service=count, desired_capacity=group.get('DesiredCapacity'),
                     max_size=group.get('MaxSize'), instances=len(group.get('Instances', [])))
        if batch is not None:
            entry['batch'] = batch
        self.progress.append(entry)

    # ---------------------------------------------------------------- main
    def roll(self):
        p = self.params
        group = self.group
        if group is None:
            raise RolloutError('Auto Scaling group %s does not exist' % p['name'])
        group_tags = dict((t['Key'], t['Value']) for t in group.get('Tags', []))
        if group_tags.get(DEPLOYMENT_TAG) != p['deployment']:
            raise RolloutError('Auto Scaling group %s does not carry %s=%s; the collection does not roll '
                               'groups it did not create' % (p['name'], DEPLOYMENT_TAG, p['deployment']))
        if p['batch_size'] < 1:
            raise RolloutError('batch_size must be at least 1')
        template_id, template_name, version = self.target_version(group)
        current, outdated = self.classify(group, template_id, version)
        saved = decode_state(group_tags.get(ROLLOUT_TAG))
        result = dict(group_name=p['name'], launch_template_id=template_id, launch_template_name=template_name,
                      launch_template_version=version, up_to_date=current,
                      outdated=[o['instance_id'] for o in outdated], replaced=self.replaced,
                      progress=self.progress)
        batches = plan_batches([o['instance_id'] for o in outdated], p['batch_size'])
        result['batches'] = batches
        if not outdated and saved is None:
            result['min_in_service'] = len(self.in_service(group))
            return result
        for batch in batches:
            self.changes.append('replace %s with instances of %s version %s'
                                % (', '.join(batch), template_name, version))
        if saved is not None:
            self.changes.append('restore the sizes min %(min)d, max %(max)d, desired %(desired)d' % saved[0])
        if self.check_mode:
            self.replaced.extend(o['instance_id'] for o in outdated)
            result['min_in_service'] = len(self.in_service(group))
            return result

        if saved is None:
            sizes = dict(min=group['MinSize'], max=group['MaxSize'], desired=group['DesiredCapacity'])
            already = set(s['ProcessName'] for s in group.get('SuspendedProcesses', []))
            suspended = [name for name in SUSPENDED_DURING_ROLLOUT if name not in already]
            self._tag_state(encode_state(sizes, suspended))
            if suspended:
                self.autoscaling.suspend_processes(aws_retry=True, AutoScalingGroupName=p['name'], ScalingProcesses=suspended)
        else:
            sizes, suspended = saved
        self.record('start', group)
        protected = dict((o['instance_id'], o['protected_from_scale_in']) for o in outdated)
        for number, batch in enumerate(batches, 1):
            self._replace_batch(number, batch, sizes, protected, template_id, version)
        self._restore(sizes, suspended)
        group = self.describe_group()
        self.record('done', group)
        result['up_to_date'], left = self.classify(group, template_id, version)
        result['outdated'] = [o['instance_id'] for o in left]
        result['min_in_service'] = self.min_in_service
        result['sizes'] = sizes
        return result

    def _tag_state(self, value):
        self.autoscaling.create_or_update_tags(aws_retry=True, Tags=[dict(
            ResourceId=self.params['name'], ResourceType='auto-scaling-group', Key=ROLLOUT_TAG,
            Value=value, PropagateAtLaunch=False)])

    def _replace_batch(self, number, batch, sizes, protected, template_id, version):
        name = self.params['name']
        group = self.describe_group()
        before = set(i['InstanceId'] for i in group.get('Instances', []))
        # The in-service count this batch must never go below: the desired capacity the group had
        # when the rollout started, or what it serves now when that is less (an instance failing).
        keep = max(1, min(sizes['desired'], len(self.in_service(group))))
        desired = group['DesiredCapacity'] + len(batch)
        update = dict(DesiredCapacity=desired)
        if desired > group['MaxSize']:
            update['MaxSize'] = desired
        self.autoscaling.update_auto_scaling_group(aws_retry=True, AutoScalingGroupName=name, **update)
        self.record('batch %d: desired capacity raised to %d' % (number, desired), self.describe_group(), batch)

        new_ids = []

        def new_instances_ready():
            now = self.describe_group()
            fresh = [i for i in now.get('Instances', []) if i['InstanceId'] not in before]
            ready = [i['InstanceId'] for i in fresh if i['InstanceId'] in self.in_service(now)]
            tags = self.ec2_tags(ready)
            on_target = [i for i in ready if instance_version({}, tags[i]) == (template_id, version)
                         or not tags[i].get(TEMPLATE_VERSION_TAG)]
            del new_ids[:]
            new_ids.extend(on_target)
            return len(on_target) >= len(batch), '%d of %d new instances InService (%d launched)' % (
                len(on_target), len(batch), len(fresh))

        wait_for(self.module, 'batch %d of group %s' % (number, name), new_instances_ready,
                 self.params['wait_timeout'], delay=self.params['poll_interval'])
        self._wait_healthy_targets(number, new_ids)
        self.record('batch %d: %d new instances in service' % (number, len(new_ids)), self.describe_group(), batch)

        unprotect = [i for i in batch if protected.get(i)]
        if unprotect:
            self.autoscaling.set_instance_protection(aws_retry=True, AutoScalingGroupName=name, InstanceIds=unprotect,
                                                     ProtectedFromScaleIn=False)
        for instance_id in batch:
            group = self.describe_group()
            if len(self.in_service(group, exclude=[instance_id])) < keep:
                raise WaiterFailure('terminating %s would leave fewer than %d instances in service'
                                    % (instance_id, keep))
            try:
                self.autoscaling.terminate_instance_in_auto_scaling_group(
                    InstanceId=instance_id, ShouldDecrementDesiredCapacity=True)
            except ClientError as exc:
                # Gone already (terminated by someone else): nothing to replace.
                if error_code(exc) != 'ValidationError':
                    raise
            self.replaced.append(dict(instance_id=instance_id, batch=number, replaced_by=new_ids))
            self.record('batch %d: terminated %s' % (number, instance_id), self.describe_group(), batch)

        def old_instances_gone():
            now = self.describe_group()
            left = [i['InstanceId'] for i in now.get('Instances', [])
                    if i['InstanceId'] in batch and i.get('LifecycleState') not in GONE_STATES]
            return not left, '%d old instances still in service' % len(left)

        wait_for(self.module, 'old instances of batch %d leaving group %s' % (number, name), old_instances_gone,
                 self.params['wait_timeout'], delay=self.params['poll_interval'])

    def _wait_healthy_targets(self, number, instance_ids):
        group = self.describe_group()
        target_groups = group.get('TargetGroupARNs') or []
        if not target_groups or not instance_ids or not self.params['wait_for_targets']:
            return
        elbv2 = self.module.client('elbv2')
        for arn in target_groups:
            wait_for(self.module, 'batch %d targets in %s' % (number, arn.split('/')[-2]),
                     self._targets_healthy(elbv2, arn, instance_ids),
                     self.params['wait_timeout'], delay=self.params['poll_interval'])

    @staticmethod
    def _targets_healthy(elbv2, arn, instance_ids):
        """A waiter check: are all ``instance_ids`` healthy in the target group ``arn``?"""
        def check():
            answer = elbv2.describe_target_health(aws_retry=True, TargetGroupArn=arn, Targets=[{'Id': i} for i in instance_ids])
            states = dict((d['Target']['Id'], d['TargetHealth'].get('State'))
                          for d in answer['TargetHealthDescriptions'])
            good = [i for i in instance_ids if states.get(i) == 'healthy']
            return len(good) == len(instance_ids), '%d of %d new instances healthy (%s)' % (
                len(good), len(instance_ids), ', '.join(sorted(set(str(s) for s in states.values()))))
        return check

    def _restore(self, sizes, suspended):
        name = self.params['name']
        group = self.describe_group()
        update = {}
        if group['MaxSize'] != sizes['max']:
            update['MaxSize'] = sizes['max']
        if group['MinSize'] != sizes['min']:
            update['MinSize'] = sizes['min']
        if group['DesiredCapacity'] != sizes['desired']:
            # Only reached after a failed run: the decrements bring it back otherwise.
            update['DesiredCapacity'] = sizes['desired']
        if update:
            self.autoscaling.update_auto_scaling_group(aws_retry=True, AutoScalingGroupName=name, **update)
        if suspended:
            self.autoscaling.resume_processes(aws_retry=True, AutoScalingGroupName=name, ScalingProcesses=list(suspended))
        self.autoscaling.delete_tags(aws_retry=True, Tags=[
            dict(ResourceId=name, ResourceType='auto-scaling-group', Key=ROLLOUT_TAG)])
