# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Named waiters with bounded timeouts that record their progress for the result.

A module cannot print while it runs: Ansible shows a task's output when it ends (``-v`` prints
the result). So every wait reports in the result, as ``wait_progress``: a line per change of
status, a line at least every PROGRESS_EVERY seconds while nothing changes, and the line that
ended it. Status texts say how far the wait got ("1 of 2 instances InService") and name what is
still not ready; a failed or timed-out wait names the resource that stopped it in ``msg`` and in
``wait_failure``. Every read the waiters make is retried (``aws_retry=True``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.retries import is_error

try:
    from botocore.exceptions import ClientError
except ImportError:  # pragma: no cover - reported by the module class
    ClientError = Exception

# While the status stays the same, a progress line at least this often (seconds).
PROGRESS_EVERY = 60
# At most this many laggards are named in a status text.
NAMED_AT_MOST = 5


class WaiterFailure(Exception):
    """Raised by a waiter's check function when the awaited state can no longer be reached."""


def _line(elapsed, description, text):
    return '[%ds] %s: %s' % (elapsed, description, text)


def _fail(module, msg, description, elapsed, status):
    module.fail_json(msg=msg, wait_failure=dict(waiting_for=description, elapsed=int(elapsed), last_status=status))


def wait_for(module, description, check_fn, timeout, delay=5, min_delay=1,
             clock=time.monotonic, sleep=time.sleep):
    """Poll ``check_fn() -> (done, status_text)`` until done or ``timeout`` seconds passed.

    ``description`` names what is waited for (with the resource: "group web", "image ami-1
    available"). Polls after ``min_delay`` seconds first, doubling up to ``delay``. Progress
    lines go to ``module.wait_progress`` (``"[12s] <description>: <status>"``): on each change
    of status, at least every PROGRESS_EVERY seconds, and at the end. On timeout, or when
    ``check_fn`` raises :class:`WaiterFailure`, the module fails naming ``description`` and the
    last status. Returns the last status text.
    """
    start = clock()
    interval = max(0, min(min_delay, delay))
    last_status = None
    last_line_at = None
    while True:
        try:
            done, status = check_fn()
        except WaiterFailure as exc:
            elapsed = clock() - start
            module.wait_progress.append(_line(elapsed, description, 'failed: %s' % exc))
            _fail(module, 'Waiting for %s failed after %ds: %s' % (description, elapsed, exc),
                  description, elapsed, str(exc))
            return None  # fail_json exits; reached only with a test double
        elapsed = clock() - start
        if last_line_at is None or status != last_status or done or elapsed - last_line_at >= PROGRESS_EVERY:
            module.wait_progress.append(_line(elapsed, description, status))
            last_status, last_line_at = status, elapsed
        if done:
            return status
        if elapsed >= timeout:
            module.wait_progress.append(_line(elapsed, description, 'timed out'))
            _fail(module, 'Timed out after %ds waiting for %s; last status: %s'
                  % (timeout, description, status), description, elapsed, status)
            return None
        sleep(min(interval, max(0, timeout - elapsed)) or interval)
        interval = min(delay, interval * 2 if interval else delay)


def name_some(items):
    """``"a, b, c"`` for at most NAMED_AT_MOST items, then ``"and N more"``."""
    items = list(items)
    shown = ', '.join(items[:NAMED_AT_MOST])
    if len(items) > NAMED_AT_MOST:
        shown += ' and %d more' % (len(items) - NAMED_AT_MOST)
    return shown


def _arn_name(arn):
    # ...:targetgroup/<name>/<id> and ...:loadbalancer/app/<name>/<id> -> <name>
    parts = arn.split('/')
    return parts[-2] if len(parts) >= 3 else arn


def _timeout(module, timeout):
    return module.params.get('wait_timeout') if timeout is None else timeout


def image_available(module, ec2, image_id, timeout=None, **kwargs):
    """Wait until the AMI ``image_id`` is ``available``; fail when it turns failed/invalid."""
    def check():
        try:
            images = ec2.describe_images(aws_retry=True, ImageIds=[image_id])['Images']
        except ClientError as exc:
            if is_error(exc, 'InvalidAMIID.NotFound'):
                return False, 'not visible yet'
            raise
        if not images:
            return False, 'not visible yet'
        state = images[0].get('State')
        if state in ('failed', 'invalid', 'error', 'deregistered'):
            reason = images[0].get('StateReason', {}).get('Message', '')
            raise WaiterFailure('image %s is %s %s' % (image_id, state, reason))
        return state == 'available', state
    return wait_for(module, 'image %s available' % image_id, check, _timeout(module, timeout), **kwargs)


def instances_in_service(module, autoscaling, group_name, count, timeout=None, **kwargs):
    """Wait until the Auto Scaling group has at least ``count`` healthy InService instances."""
    def check():
        groups = autoscaling.describe_auto_scaling_groups(aws_retry=True, AutoScalingGroupNames=[group_name])['AutoScalingGroups']
        if not groups:
            raise WaiterFailure('group %s does not exist' % group_name)
        instances = groups[0].get('Instances', [])
        ready = [i for i in instances
                 if i.get('LifecycleState') == 'InService' and i.get('HealthStatus', 'Healthy') == 'Healthy']
        status = '%d of %d instances InService (%d in group)' % (len(ready), count, len(instances))
        waiting = ['%s %s%s' % (i.get('InstanceId', '?'), i.get('LifecycleState', '?'),
                                '' if i.get('HealthStatus', 'Healthy') == 'Healthy' else ' ' + i['HealthStatus'])
                   for i in instances if i not in ready]
        if len(ready) < count and waiting:
            status += '; not ready: %s' % name_some(waiting)
        return len(ready) >= count, status
    return wait_for(module, 'group %s' % group_name, check, _timeout(module, timeout), **kwargs)


def target_health(module, elbv2, target_group_arn, count, timeout=None, **kwargs):
    """Wait until at least ``count`` targets of the target group are ``healthy``."""
    def check():
        descriptions = elbv2.describe_target_health(aws_retry=True, TargetGroupArn=target_group_arn)['TargetHealthDescriptions']
        states = [d['TargetHealth'].get('State') for d in descriptions]
        healthy = states.count('healthy')
        status = '%d of %d targets healthy (%s)' % (healthy, count, ', '.join(sorted(set(states))) or 'no targets')
        laggards = ['%s %s%s' % (d['Target']['Id'], d['TargetHealth'].get('State'),
                                 ' (%s)' % d['TargetHealth']['Reason'] if d['TargetHealth'].get('Reason') else '')
                    for d in descriptions
                    if d['TargetHealth'].get('State') != 'healthy' and d.get('Target', {}).get('Id')]
        if healthy < count and laggards:
            status += '; not healthy: %s' % name_some(laggards)
        return healthy >= count, status
    return wait_for(module, 'targets of %s' % _arn_name(target_group_arn), check,
                    _timeout(module, timeout), **kwargs)


def balancer_healthy(module, autoscaling, group_name, count, target_group_arns, load_balancers,
                     elbv2=None, elb=None, warmup=None, timeout=None, **kwargs):
    """Wait until ``count`` InService instances of the group are healthy in every balancer.

    Target groups are read with DescribeTargetHealth, Classic Load Balancers with
    DescribeInstanceHealth (``InService``), one call per balancer per poll plus one for the
    group. ``warmup`` (the group's health check grace period) only labels the progress: the
    bound is ``timeout`` (O(wait_timeout)).
    """
    def check():
        groups = autoscaling.describe_auto_scaling_groups(aws_retry=True, AutoScalingGroupNames=[group_name])['AutoScalingGroups']
        if not groups:
            raise WaiterFailure('group %s does not exist' % group_name)
        ids = sorted(i['InstanceId'] for i in groups[0].get('Instances', []) if i.get('LifecycleState') == 'InService')
        unhealthy = {}
        for arn in target_group_arns:
            states = dict((d['Target']['Id'], d['TargetHealth'].get('State'))
                          for d in elbv2.describe_target_health(aws_retry=True, TargetGroupArn=arn)['TargetHealthDescriptions'])
            for instance_id in ids:
                if states.get(instance_id) != 'healthy':
                    unhealthy.setdefault(instance_id, []).append(
                        '%s %s' % (_arn_name(arn), states.get(instance_id) or 'not registered'))
        for name in load_balancers:
            states = dict((d['InstanceId'], d.get('State'))
                          for d in elb.describe_instance_health(aws_retry=True, LoadBalancerName=name)['InstanceStates'])
            for instance_id in ids:
                if states.get(instance_id) != 'InService':
                    unhealthy.setdefault(instance_id, []).append(
                        '%s %s' % (name, states.get(instance_id) or 'not registered'))
        healthy = len([i for i in ids if i not in unhealthy])
        status = '%d of %d instances healthy in %d balancer(s)' % (
            healthy, count, len(target_group_arns) + len(load_balancers))
        if healthy < count and unhealthy:
            status += '; not yet: %s' % name_some('%s (%s)' % (i, ', '.join(v)) for i, v in sorted(unhealthy.items()))
        return healthy >= count, status
    description = 'balancer health of group %s' % group_name
    if warmup:
        description += ' (warm-up %ds)' % warmup
    return wait_for(module, description, check, _timeout(module, timeout), **kwargs)


def certificate_issued(module, acm, certificate_arn, timeout=None, **kwargs):
    """Wait until the ACM certificate is ``ISSUED``; fail when validation failed."""
    def check():
        cert = acm.describe_certificate(aws_retry=True, CertificateArn=certificate_arn)['Certificate']
        status = cert.get('Status')
        if status in ('FAILED', 'REVOKED', 'VALIDATION_TIMED_OUT', 'EXPIRED', 'INACTIVE'):
            raise WaiterFailure('certificate is %s %s' % (status, cert.get('FailureReason', '')))
        return status == 'ISSUED', status
    return wait_for(module, 'certificate %s issued' % certificate_arn.split('/')[-1], check,
                    _timeout(module, timeout), **kwargs)


def balancer_active(module, elbv2, balancer_arn, timeout=None, **kwargs):
    """Wait until the v2 load balancer's state is ``active``."""
    def check():
        lbs = elbv2.describe_load_balancers(aws_retry=True, LoadBalancerArns=[balancer_arn])['LoadBalancers']
        state = lbs[0].get('State', {}) if lbs else {}
        if state.get('Code') == 'failed':
            raise WaiterFailure('balancer failed: %s' % state.get('Reason', ''))
        return state.get('Code') == 'active', state.get('Code', 'unknown')
    return wait_for(module, 'balancer %s active' % _arn_name(balancer_arn), check,
                    _timeout(module, timeout), **kwargs)


def group_deleted(module, autoscaling, group_name, timeout=None, **kwargs):
    """Wait until the Auto Scaling group is gone."""
    def check():
        groups = autoscaling.describe_auto_scaling_groups(aws_retry=True, AutoScalingGroupNames=[group_name])['AutoScalingGroups']
        if not groups:
            return True, 'deleted'
        group = groups[0]
        return False, '%s, %d instances' % (group.get('Status') or 'deleting', len(group.get('Instances', [])))
    return wait_for(module, 'group %s deleted' % group_name, check, _timeout(module, timeout), **kwargs)
