# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared AWS plumbing for the streamfleet.cluster AWS modules.

One module class (:class:`StreamfleetAWSModule`) that builds boto3 clients, retries every API
call with jittered exponential backoff on throttling and server errors, counts the calls it made
and fails with the AWS error code; tag helpers (everything the collection creates carries the
``streamfleet:deployment`` tag and is found by it); named waiters with bounded timeouts that
record their progress for the result (a module cannot stream output while it runs).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import time
from collections import Counter

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

try:
    import boto3
    import botocore
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import HTTPClientError
    HAS_BOTO3 = True
    BOTO3_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module class
    HAS_BOTO3 = False
    BOTO3_IMPORT_ERROR = exc
    BotoCoreError = ClientError = BotoConnectionError = HTTPClientError = Exception

DEPLOYMENT_TAG = 'streamfleet:deployment'
MANAGED_BY_TAG = 'streamfleet:managed-by'
MANAGED_BY_VALUE = 'streamfleet.cluster'

AWS_COMMON_ARGS = dict(
    region=dict(type='str', aliases=['aws_region'],
                fallback=(env_fallback, ['AWS_REGION', 'AWS_DEFAULT_REGION'])),
    profile=dict(type='str', aliases=['aws_profile']),
    # boto3 itself honours AWS_ENDPOINT_URL when this is not set.
    endpoint_url=dict(type='str', aliases=['aws_endpoint_url']),
    access_key=dict(type='str', no_log=True, aliases=['aws_access_key_id']),
    secret_key=dict(type='str', no_log=True, aliases=['aws_secret_access_key']),
    session_token=dict(type='str', no_log=True),
    deployment=dict(type='str'),
    tags=dict(type='dict', default={}),
    wait=dict(type='bool', default=True),
    wait_timeout=dict(type='int', default=600),
)

# Error codes AWS services use when a caller is going too fast.
THROTTLING_CODES = frozenset([
    'Throttling',
    'ThrottlingException',
    'ThrottledException',
    'RequestThrottled',
    'RequestThrottledException',
    'RequestLimitExceeded',
    'TooManyRequestsException',
    'ProvisionedThroughputExceededException',
    'TransactionInProgressException',
    'PriorRequestNotComplete',
    'SlowDown',
    'BandwidthLimitExceeded',
    'EC2ThrottledException',
    'RequestLimitExceededException',
])
# Error codes that mean "the server failed, try again" whatever the HTTP status says.
TRANSIENT_CODES = frozenset([
    'InternalError',
    'InternalFailure',
    'InternalServerError',
    'ServiceUnavailable',
    'ServiceUnavailableException',
    'RequestTimeout',
    'RequestTimeoutException',
])

RETRY_MAX_ATTEMPTS = 10
# A wrong endpoint should not take minutes to report: fewer attempts for connection failures.
RETRY_MAX_CONNECTION_ATTEMPTS = 4
RETRY_BASE_DELAY = 0.5
RETRY_MAX_DELAY = 20.0


def is_retryable(exc):
    """True when ``exc`` is a throttling answer, a 5xx answer or a connection failure."""
    if isinstance(exc, ClientError):
        error = exc.response.get('Error', {})
        code = error.get('Code', '')
        status = exc.response.get('ResponseMetadata', {}).get('HTTPStatusCode') or 0
        return code in THROTTLING_CODES or code in TRANSIENT_CODES or status >= 500
    return isinstance(exc, (BotoConnectionError, HTTPClientError))


def backoff_delay(attempt, base=RETRY_BASE_DELAY, cap=RETRY_MAX_DELAY, rng=random):
    """Full-jitter exponential backoff: uniform in [0, min(cap, base * 2**attempt)]."""
    return rng.uniform(0, min(cap, base * (2 ** attempt)))


def call_with_retries(func, args=(), kwargs=None, max_attempts=RETRY_MAX_ATTEMPTS,
                      base=RETRY_BASE_DELAY, cap=RETRY_MAX_DELAY, sleep=time.sleep,
                      rng=random, on_retry=None):
    """Call ``func(*args, **kwargs)``; retry retryable failures with jittered backoff.

    ``on_retry(attempt, exc, delay)`` is told about each retry. The last failure is raised
    when ``max_attempts`` calls all failed (at most RETRY_MAX_CONNECTION_ATTEMPTS for connection
    failures); a non-retryable failure is raised at once.
    """
    kwargs = kwargs or {}
    attempt = 0
    while True:
        try:
            return func(*args, **kwargs)
        except (ClientError, BotoConnectionError, HTTPClientError) as exc:
            attempt += 1
            limit = max_attempts if isinstance(exc, ClientError) else min(max_attempts, RETRY_MAX_CONNECTION_ATTEMPTS)
            if attempt >= limit or not is_retryable(exc):
                raise
            delay = backoff_delay(attempt - 1, base=base, cap=cap, rng=rng)
            if on_retry is not None:
                on_retry(attempt, exc, delay)
            sleep(delay)


def error_code(exc):
    """The AWS error code of ``exc`` (the exception class name for non-service errors)."""
    if isinstance(exc, ClientError):
        return exc.response.get('Error', {}).get('Code', 'Unknown')
    return type(exc).__name__


def is_error(exc, *codes):
    """True when ``exc`` is a ClientError carrying one of ``codes``."""
    return isinstance(exc, ClientError) and error_code(exc) in codes


def format_aws_error(exc):
    """``{'code': ..., 'message': ...}`` for a boto3/botocore exception."""
    if isinstance(exc, ClientError):
        error = exc.response.get('Error', {})
        result = dict(code=error.get('Code', 'Unknown'), message=error.get('Message', str(exc)))
        request_id = exc.response.get('ResponseMetadata', {}).get('RequestId')
        status = exc.response.get('ResponseMetadata', {}).get('HTTPStatusCode')
        if request_id:
            result['request_id'] = request_id
        if status:
            result['http_status_code'] = status
        operation = getattr(exc, 'operation_name', None)
        if operation:
            result['operation'] = operation
        return result
    return dict(code=type(exc).__name__, message=str(exc))


# ---------------------------------------------------------------------------------------------
# Tags

def boto3_tag_list(tags, key_name='Key', value_name='Value'):
    """``{'a': 'b'}`` -> ``[{'Key': 'a', 'Value': 'b'}]`` (sorted by key, values as strings)."""
    return [{key_name: k, value_name: '' if v is None else str(v)} for k, v in sorted((tags or {}).items())]


def tag_dict(tag_list, key_name=None, value_name=None):
    """``[{'Key': 'a', 'Value': 'b'}]`` -> ``{'a': 'b'}``; also accepts ``key``/``value`` spellings."""
    result = {}
    for tag in tag_list or []:
        key = tag.get(key_name) if key_name else tag.get('Key', tag.get('key', tag.get('TagKey')))
        value = tag.get(value_name) if value_name else tag.get('Value', tag.get('value', tag.get('TagValue', '')))
        result[key] = value
    return result


def tag_changes(current, desired, purge=False):
    """Compare tag dicts; returns ``(to_set, to_unset)``.

    ``to_set`` holds the tags to add or change; ``to_unset`` the keys to remove, only when
    ``purge`` is true (AWS-reserved ``aws:`` keys are never removed).
    """
    current = current or {}
    desired = dict((k, '' if v is None else str(v)) for k, v in (desired or {}).items())
    to_set = dict((k, v) for k, v in desired.items() if current.get(k) != v)
    to_unset = []
    if purge:
        to_unset = sorted(k for k in current if k not in desired and not k.startswith('aws:'))
    return to_set, to_unset


def ec2_filters(filters):
    """``{'tag:a': 'b', 'state': ['x', 'y']}`` -> EC2 ``Filters`` list."""
    result = []
    for name, values in sorted((filters or {}).items()):
        if not isinstance(values, (list, tuple)):
            values = [values]
        result.append({'Name': name, 'Values': [str(v) for v in values]})
    return result


# ---------------------------------------------------------------------------------------------
# Results

def snake_dict(obj, ignore_list=('Tags',)):
    """CamelCase AWS answer -> snake_case result; ``Tags`` lists become ``tags`` dicts."""
    if isinstance(obj, list):
        return [snake_dict(item, ignore_list) for item in obj]
    if not isinstance(obj, dict):
        return obj
    data = dict(obj)
    if isinstance(data.get('Tags'), list):
        data['Tags'] = tag_dict(data['Tags'])
    result = camel_dict_to_snake_dict(data, ignore_list=list(ignore_list))
    return result


def ensure_dict_diff(before, after, before_header=None, after_header=None):
    """Ansible ``diff`` dict for two states (``None`` = object absent, shown as ``{}``)."""
    diff = dict(before=before if before is not None else {}, after=after if after is not None else {})
    if before_header:
        diff['before_header'] = before_header
    if after_header:
        diff['after_header'] = after_header
    return diff


# ---------------------------------------------------------------------------------------------
# Module class

class StreamfleetAWSModule(object):
    """An AnsibleModule with AWS clients, retries, call counting and waiter progress.

    ``argument_spec`` is merged over :data:`AWS_COMMON_ARGS`, so a module may redefine a
    common option (for example make ``deployment`` required).
    """

    def __init__(self, argument_spec, **kwargs):
        spec = dict(AWS_COMMON_ARGS)
        spec.update(argument_spec or {})
        kwargs.setdefault('supports_check_mode', True)
        kwargs['mutually_exclusive'] = list(kwargs.get('mutually_exclusive') or []) + [
            ['profile', 'access_key'], ['profile', 'secret_key'], ['profile', 'session_token']]
        self._module = AnsibleModule(argument_spec=spec, **kwargs)
        if not HAS_BOTO3:
            self._module.fail_json(msg=missing_required_lib('boto3'), exception=str(BOTO3_IMPORT_ERROR))
        self.call_log = Counter()
        self.retry_log = Counter()
        self.wait_progress = []
        self._session = None
        self._clients = {}

    # AnsibleModule pass-throughs -------------------------------------------------------------
    @property
    def params(self):
        return self._module.params

    @property
    def check_mode(self):
        return self._module.check_mode

    @property
    def diff_mode(self):
        return self._module._diff

    def warn(self, warning):
        self._module.warn(warning)

    def _add_common_results(self, kwargs):
        kwargs.setdefault('api_calls', dict(sorted(self.call_log.items())))
        if self.retry_log:
            kwargs.setdefault('api_retries', dict(sorted(self.retry_log.items())))
        if self.wait_progress:
            kwargs.setdefault('wait_progress', list(self.wait_progress))
        return kwargs

    def exit_json(self, **kwargs):
        self._module.exit_json(**self._add_common_results(kwargs))

    def fail_json(self, msg, **kwargs):
        self._module.fail_json(msg=msg, **self._add_common_results(kwargs))

    def fail_aws(self, exc, msg):
        """Fail with the AWS error code and message of ``exc`` next to ``msg``."""
        error = format_aws_error(exc)
        self.fail_json(
            msg='%s: %s: %s' % (msg, error['code'], error['message']),
            error=error,
            boto3_version=boto3.__version__,
            botocore_version=botocore.__version__,
        )

    # Clients -----------------------------------------------------------------------------------
    @property
    def region(self):
        return self.params.get('region') or self.session.region_name

    @property
    def session(self):
        if self._session is None:
            p = self.params
            try:
                self._session = boto3.session.Session(
                    aws_access_key_id=p.get('access_key'),
                    aws_secret_access_key=p.get('secret_key'),
                    aws_session_token=p.get('session_token'),
                    region_name=p.get('region'),
                    profile_name=p.get('profile'),
                )
            except BotoCoreError as exc:
                self.fail_aws(exc, 'Cannot set up the AWS session')
        return self._session

    def client(self, service):
        """A boto3 client for ``service`` whose every call is retried and counted.

        botocore's own retries are switched off so that the backoff, the set of retried
        errors and the call count are ours and the same for every service.
        """
        if service not in self._clients:
            config = Config(
                retries={'mode': 'standard', 'total_max_attempts': 1},
                user_agent_extra='streamfleet.cluster',
            )
            if not self.region:
                self.fail_json(msg='No AWS region: set the region option or AWS_REGION.')
            try:
                client = self.session.client(service, region_name=self.region,
                                             endpoint_url=self.params.get('endpoint_url') or None,
                                             config=config)
            except BotoCoreError as exc:
                self.fail_aws(exc, 'Cannot create the %s client' % service)
            self._wrap_client(service, client)
            self._clients[service] = client
        return self._clients[service]

    def _wrap_client(self, service, client):
        # Every operation method, paginator and boto3 waiter of a client ends in
        # _make_api_call(operation_name, params); wrapping it on this instance covers them all.
        make_api_call = client._make_api_call

        def on_retry(operation_name):
            def record(attempt, exc, delay):
                self.retry_log['%s.%s' % (service, operation_name)] += 1
            return record

        def retrying_api_call(operation_name, api_params):
            self.call_log['%s.%s' % (service, operation_name)] += 1
            return call_with_retries(make_api_call, (operation_name, api_params),
                                     on_retry=on_retry(operation_name))

        client._make_api_call = retrying_api_call

    def paginate(self, client, operation, result_key, **kwargs):
        """All items of ``result_key`` over the pages of ``operation``."""
        items = []
        for page in client.get_paginator(operation).paginate(**kwargs):
            items.extend(page.get(result_key, []))
        return items

    # Tags --------------------------------------------------------------------------------------
    def deployment_tags(self):
        """The tags everything this module creates carries: ``tags`` + deployment + managed-by."""
        tags = dict((k, '' if v is None else str(v)) for k, v in (self.params.get('tags') or {}).items())
        tags[MANAGED_BY_TAG] = MANAGED_BY_VALUE
        if self.params.get('deployment'):
            tags[DEPLOYMENT_TAG] = self.params['deployment']
        return tags


def converge(module, validate, manager_class, spec_error, what):
    """The body of a converging module: validate, ensure, report, exit.

    ``validate(params)`` raises ``spec_error`` for bad input before any call; the manager's
    ``ensure()`` returns the result dict and records ``changes``, ``before`` and ``after``.
    ``what`` names the unit in error messages (for example ``"Balancer web"``).
    """
    try:
        validate(module.params)
    except spec_error as exc:
        module.fail_json(msg=str(exc), changes=[])
    manager = manager_class(module)
    try:
        result = manager.ensure()
    except spec_error as exc:
        module.fail_json(msg=str(exc), changes=manager.changes)
    except (BotoCoreError, ClientError) as exc:
        module.fail_aws(exc, '%s: AWS call failed after %d change(s) %s'
                        % (what, len(manager.changes), manager.changes))
    result['changed'] = bool(manager.changes)
    result['changes'] = manager.changes
    if module.diff_mode:
        present = module.params.get('state', 'present') == 'present'
        result['diff'] = ensure_dict_diff(manager.before, manager.after if present else {})
    module.exit_json(**result)


# ---------------------------------------------------------------------------------------------
# Waiters

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
            images = ec2.describe_images(ImageIds=[image_id])['Images']
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
        groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group_name])['AutoScalingGroups']
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
                  elbv2.describe_target_health(TargetGroupArn=target_group_arn)['TargetHealthDescriptions']]
        healthy = states.count('healthy')
        return healthy >= count, '%d of %d targets healthy (%s)' % (
            healthy, count, ', '.join(sorted(set(states))) or 'no targets')
    return wait_for(module, 'targets of %s' % _arn_name(target_group_arn), check,
                    _timeout(module, timeout), **kwargs)


def certificate_issued(module, acm, certificate_arn, timeout=None, **kwargs):
    """Wait until the ACM certificate is ``ISSUED``; fail when validation failed."""
    def check():
        cert = acm.describe_certificate(CertificateArn=certificate_arn)['Certificate']
        status = cert.get('Status')
        if status in ('FAILED', 'REVOKED', 'VALIDATION_TIMED_OUT', 'EXPIRED', 'INACTIVE'):
            raise WaiterFailure('certificate is %s %s' % (status, cert.get('FailureReason', '')))
        return status == 'ISSUED', status
    return wait_for(module, 'certificate %s issued' % certificate_arn.split('/')[-1], check,
                    _timeout(module, timeout), **kwargs)


def balancer_active(module, elbv2, balancer_arn, timeout=None, **kwargs):
    """Wait until the v2 load balancer's state is ``active``."""
    def check():
        lbs = elbv2.describe_load_balancers(LoadBalancerArns=[balancer_arn])['LoadBalancers']
        state = lbs[0].get('State', {}) if lbs else {}
        if state.get('Code') == 'failed':
            raise WaiterFailure('balancer failed: %s' % state.get('Reason', ''))
        return state.get('Code') == 'active', state.get('Code', 'unknown')
    return wait_for(module, 'balancer %s active' % _arn_name(balancer_arn), check,
                    _timeout(module, timeout), **kwargs)


def group_deleted(module, autoscaling, group_name, timeout=None, **kwargs):
    """Wait until the Auto Scaling group is gone."""
    def check():
        groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group_name])['AutoScalingGroups']
        if not groups:
            return True, 'deleted'
        group = groups[0]
        return False, '%s, %d instances' % (group.get('Status') or 'deleting', len(group.get('Instances', [])))
    return wait_for(module, 'group %s deleted' % group_name, check, _timeout(module, timeout), **kwargs)
