# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Named waiters with bounded timeouts that record their progress for the result (a module
cannot stream output while it runs). Every read they make is retried (``aws_retry=True``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.retries import is_error

try:
    from botocore.exceptions import ClientError
except ImportError:  # pragma: no cover - reported by the module class
    ClientError = Exception


class WaiterFailure(Exception):
    """Raised by a waiter's check function when the awaited state can no longer be reached."""


def wait_for(module, description, check_fn, timeout, delay=5, min_delay=1,
             clock=time.monotonic, sleep=time.sleep):
    """Poll ``check_fn() -> (done, status_text)`` until done or ``timeout`` seconds passed.

    Polls after ``min_delay`` seconds first, doubling up to ``delay``. Each change of status is
    recorded in ``module.wait_progress`` (``"[12s] <description>: <status>"``). On timeout, or
    when ``check_fn`` raises :class:`WaiterFailure`, the module fails with the last status.
    Returns the last status text.
    """
    start = clock()
    interval = max(0, min(min_delay, delay))
    last_status = None
    while True:
        try:
            done, status = check_fn()
        except WaiterFailure as exc:
            module.wait_progress.append('[%ds] %s: %s' % (clock() - start, description, exc))
            module.fail_json(msg='Waiting for %s failed: %s' % (description, exc))
            return None  # fail_json exits; reached only with a test double
        elapsed = clock() - start
        if status != last_status or done:
            module.wait_progress.append('[%ds] %s: %s' % (elapsed, description, status))
            last_status = status
        if done:
            return status
        if elapsed >= timeout:
            module.fail_json(msg='Timed out after %ds waiting for %s; last status: %s'
                             % (timeout, description, status))
            return None
        sleep(min(interval, max(0, timeout - elapsed)) or interval)
        interval = min(delay, interval * 2 if interval else delay)


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
        return len(ready) >= count, '%d of %d instances InService (%d in group)' % (len(ready), count, len(instances))
    return wait_for(module, 'group %s' % group_name, check, _timeout(module, timeout), **kwargs)


def target_health(module, elbv2, target_group_arn, count, timeout=None, **kwargs):
    """Wait until at least ``count`` targets of the target group are ``healthy``."""
    def check():
        states = [d['TargetHealth'].get('State') for d in
                  elbv2.describe_target_health(aws_retry=True, TargetGroupArn=target_group_arn)['TargetHealthDescriptions']]
        healthy = states.count('healthy')
        return healthy >= count, '%d of %d targets healthy (%s)' % (
            healthy, count, ', '.join(sorted(set(states))) or 'no targets')
    return wait_for(module, 'targets of %s' % _arn_name(target_group_arn), check,
                    _timeout(module, timeout), **kwargs)


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
