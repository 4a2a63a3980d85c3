# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Alibaba Cloud Resource Orchestration Service (ROS) client for the collection's modules.

One concern per file: credentials, region and endpoint resolution, a thin wrapper around the
official SDK (``alibabacloud_ros20190910`` with ``alibabacloud_tea_openapi``), error reporting
with code / message / request id, retries of throttled calls, and a bounded stack waiter that
records progress lines.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import time
import traceback

from ansible.module_utils.basic import missing_required_lib

try:
    from alibabacloud_ros20190910 import models as ros_models
    from alibabacloud_ros20190910.client import Client as _RosSdkClient
    from alibabacloud_tea_openapi import models as openapi_models
    HAS_ROS_SDK = True
    ROS_SDK_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - depends on the controller's Python
    HAS_ROS_SDK = False
    ROS_SDK_IMPORT_ERROR = traceback.format_exc()

try:
    from Tea.exceptions import TeaException
except ImportError:  # pragma: no cover
    TeaException = Exception


# Options every Alibaba Cloud module of the collection accepts.
ALICLOUD_COMMON_ARGUMENT_SPEC = dict(
    access_key_id=dict(type='str', no_log=True, aliases=['alicloud_access_key']),
    access_key_secret=dict(type='str', no_log=True, aliases=['alicloud_secret_key']),
    security_token=dict(type='str', no_log=True, aliases=['alicloud_security_token']),
    profile=dict(type='str', aliases=['alicloud_profile']),
    config_file=dict(type='path'),
    region=dict(type='str', aliases=['region_id', 'alicloud_region']),
    endpoint=dict(type='str'),
    connect_timeout=dict(type='int', default=10),
    read_timeout=dict(type='int', default=60),
)

ENV_ACCESS_KEY_ID = ('ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALICLOUD_ACCESS_KEY')
ENV_ACCESS_KEY_SECRET = ('ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'ALICLOUD_SECRET_KEY')
ENV_SECURITY_TOKEN = ('ALIBABA_CLOUD_SECURITY_TOKEN', 'ALICLOUD_SECURITY_TOKEN')
ENV_REGION = ('ALIBABA_CLOUD_REGION_ID', 'ALICLOUD_REGION')
ENV_PROFILE = ('ALIBABA_CLOUD_PROFILE', 'ALICLOUD_PROFILE')
ENV_ENDPOINT = ('ALIBABA_CLOUD_ROS_ENDPOINT',)
DEFAULT_CONFIG_FILE = '~/.aliyun/config.json'

# Error codes worth another try: the API asked us to slow down or had a passing fault.
RETRYABLE_CODES = frozenset([
    'Throttling', 'Throttling.User', 'Throttling.Api', 'ServiceUnavailable',
    'InternalError', 'LastOperationNotFinished',
])
STACK_NOT_FOUND_CODES = frozenset(['StackNotFound'])


class AlicloudError(Exception):
    """An API call failed; carries what a user needs to report it."""

    def __init__(self, action, code=None, message=None, request_id=None, status_code=None):
        self.action = action
        self.code = code or 'Unknown'
        self.message = message or ''
        self.request_id = request_id
        self.status_code = status_code
        super(AlicloudError, self).__init__(self.describe())

    def describe(self):
        text = '%s failed: %s: %s' % (self.action, self.code, self.message)
        if self.request_id:
            text += ' (request id %s)' % self.request_id
        return text

    def as_dict(self):
        return dict(action=self.action, code=self.code, message=self.message,
                    request_id=self.request_id, status_code=self.status_code)


class CredentialsError(Exception):
    pass


def _first_env(names):
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def load_profile(config_file=None, profile=None):
    """Read one profile of the aliyun CLI configuration file (AK, StsToken or RamRoleArn modes).

    Returns a dict with access_key_id, access_key_secret, security_token and region (any may be
    None), or an empty dict when the file does not exist.
    """
    path = os.path.expanduser(config_file or DEFAULT_CONFIG_FILE)
    if not os.path.isfile(path):
        if profile:
            raise CredentialsError('profile %r requested but %s does not exist' % (profile, path))
        return {}
    try:
        with open(path) as handle:
            doc = json.load(handle)
    except (OSError, ValueError) as exc:
        raise CredentialsError('cannot read profile configuration file %s: %s' % (path, exc))
    wanted = profile or doc.get('current') or 'default'
    for entry in doc.get('profiles') or []:
        if entry.get('name') == wanted:
            return dict(
                access_key_id=entry.get('access_key_id') or None,
                access_key_secret=entry.get('access_key_secret') or None,
                security_token=entry.get('sts_token') or None,
                region=entry.get('region_id') or None,
            )
    raise CredentialsError('profile %r not found in %s' % (wanted, path))


def resolve_settings(params):
    """Credentials, region and endpoint, in order: module options, environment, profile."""
    settings = dict(
        access_key_id=params.get('access_key_id') or _first_env(ENV_ACCESS_KEY_ID),
        access_key_secret=params.get('access_key_secret') or _first_env(ENV_ACCESS_KEY_SECRET),
        security_token=params.get('security_token') or _first_env(ENV_SECURITY_TOKEN),
        region=params.get('region') or _first_env(ENV_REGION),
        endpoint=params.get('endpoint') or _first_env(ENV_ENDPOINT),
    )
    profile_name = params.get('profile') or _first_env(ENV_PROFILE)
    if not (settings['access_key_id'] and settings['access_key_secret']) or not settings['region']:
        profile = load_profile(params.get('config_file'), profile_name)
        if not (settings['access_key_id'] and settings['access_key_secret']):
            settings['access_key_id'] = profile.get('access_key_id')
            settings['access_key_secret'] = profile.get('access_key_secret')
            settings['security_token'] = settings['security_token'] or profile.get('security_token')
        settings['region'] = settings['region'] or profile.get('region')
    if not (settings['access_key_id'] and settings['access_key_secret']):
        raise CredentialsError(
            'no Alibaba Cloud credentials: set access_key_id/access_key_secret, the environment '
            'variables ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET, or a profile '
            'in %s' % DEFAULT_CONFIG_FILE)
    if not settings['region']:
        raise CredentialsError('no region: set region, ALIBABA_CLOUD_REGION_ID or a profile region_id')
    return settings


def split_endpoint(endpoint):
    """'http://127.0.0.1:8080' -> ('127.0.0.1:8080', 'http'); bare host names stay HTTPS."""
    if not endpoint:
        return None, 'https'
    text = endpoint.strip().rstrip('/')
    for scheme in ('http', 'https'):
        prefix = scheme + '://'
        if text.lower().startswith(prefix):
            return text[len(prefix):], scheme
    return text, 'https'


def error_from_exception(action, exc):
    """Turn an SDK exception into an AlicloudError (code, message, request id)."""
    code = getattr(exc, 'code', None)
    message = getattr(exc, 'message', None)
    request_id = getattr(exc, 'request_id', None)
    status_code = getattr(exc, 'status_code', None)
    data = getattr(exc, 'data', None)
    if isinstance(data, dict):
        code = data.get('Code') or code
        message = data.get('Message') or message
        request_id = data.get('RequestId') or request_id
    if request_id in ('None', ''):
        request_id = None
    if not code:
        code = type(exc).__name__
        message = message or str(exc)
    return AlicloudError(action, code=code, message=message, request_id=request_id,
                         status_code=status_code)


def snake_resource(entry):
    return dict(
        logical_resource_id=entry.get('LogicalResourceId'),
        physical_resource_id=entry.get('PhysicalResourceId'),
        resource_type=entry.get('ResourceType'),
        status=entry.get('Status'),
        status_reason=entry.get('StatusReason'),
    )


def is_in_progress(status):
    return bool(status) and status.endswith('_IN_PROGRESS')


def is_failed(status):
    return bool(status) and (status.endswith('_FAILED') or 'ROLLBACK' in status)


class RosClient:
    """The few ROS calls the collection makes, with retries and readable errors."""

    def __init__(self, settings, connect_timeout=10, read_timeout=60, retries=4, sleep=time.sleep):
        if not HAS_ROS_SDK:
            raise CredentialsError(missing_required_lib('alibabacloud_ros20190910 and alibabacloud_tea_openapi'))
        host, protocol = split_endpoint(settings.get('endpoint'))
        config = openapi_models.Config(
            access_key_id=settings['access_key_id'],
            access_key_secret=settings['access_key_secret'],
            security_token=settings.get('security_token') or None,
            region_id=settings['region'],
            connect_timeout=connect_timeout * 1000,
            read_timeout=read_timeout * 1000,
        )
        if host:
            config.endpoint = host
            config.protocol = protocol
        self.region = settings['region']
        self._client = _RosSdkClient(config)
        self._retries = retries
        self._sleep = sleep

    def _call(self, action, method_name, request):
        attempt = 0
        while True:
            try:
                response = getattr(self._client, method_name)(request)
                return response.body.to_map() if response.body is not None else {}
            except (TeaException, Exception) as exc:  # the SDK raises plain exceptions for I/O errors
                error = error_from_exception(action, exc)
                if error.code in RETRYABLE_CODES and attempt < self._retries:
                    attempt += 1
                    self._sleep(min(2 ** attempt, 20))
                    continue
                raise error

    # -- stacks -------------------------------------------------------------------------------
    def find_stack(self, name):
        """The live stack called ``name`` (a GetStack body) or None."""
        request = ros_models.ListStacksRequest(region_id=self.region, stack_name=[name], page_size=50)
        body = self._call('ListStacks', 'list_stacks', request)
        for summary in body.get('Stacks') or []:
            if summary.get('StackName') == name and summary.get('Status') != 'DELETE_COMPLETE':
                return self.get_stack(summary['StackId'])
        return None

    def get_stack(self, stack_id):
        request = ros_models.GetStackRequest(region_id=self.region, stack_id=stack_id)
        try:
            return self._call('GetStack', 'get_stack', request)
        except AlicloudError as error:
            if error.code in STACK_NOT_FOUND_CODES:
                return None
            raise

    def get_template_body(self, stack_id):
        request = ros_models.GetTemplateRequest(region_id=self.region, stack_id=stack_id)
        return self._call('GetTemplate', 'get_template', request).get('TemplateBody')

    def list_resources(self, stack_id):
        request = ros_models.ListStackResourcesRequest(region_id=self.region, stack_id=stack_id)
        return self._call('ListStackResources', 'list_stack_resources', request).get('Resources') or []

    def _stack_request(self, request_class, parameter_class, tag_class, template_body, parameters, tags,
                       disable_rollback, timeout_in_minutes, **identity):
        """A CreateStack/UpdateStack request: the two differ only in their SDK classes and identity."""
        return request_class(
            region_id=self.region,
            template_body=template_body,
            parameters=[parameter_class(parameter_key=k, parameter_value=v) for k, v in sorted(parameters.items())],
            tags=[tag_class(key=k, value=v) for k, v in sorted(tags.items())],
            disable_rollback=disable_rollback,
            timeout_in_minutes=timeout_in_minutes,
            **identity
        )

    def create_stack(self, name, template_body, parameters, tags, disable_rollback, timeout_in_minutes):
        request = self._stack_request(
            ros_models.CreateStackRequest, ros_models.CreateStackRequestParameters, ros_models.CreateStackRequestTags,
            template_body, parameters, tags, disable_rollback, timeout_in_minutes, stack_name=name)
        return self._call('CreateStack', 'create_stack', request)['StackId']

    def update_stack(self, stack_id, template_body, parameters, tags, disable_rollback, timeout_in_minutes):
        request = self._stack_request(
            ros_models.UpdateStackRequest, ros_models.UpdateStackRequestParameters, ros_models.UpdateStackRequestTags,
            template_body, parameters, tags, disable_rollback, timeout_in_minutes, stack_id=stack_id)
        return self._call('UpdateStack', 'update_stack', request).get('StackId') or stack_id

    def preview_stack(self, name, template_body, parameters, stack_id=None, timeout_in_minutes=None):
        """Validate a template and list what creating (or, with stack_id, updating) would do."""
        request = ros_models.PreviewStackRequest(
            region_id=self.region,
            template_body=template_body,
            parameters=[ros_models.PreviewStackRequestParameters(parameter_key=k, parameter_value=v)
                        for k, v in sorted(parameters.items())],
            timeout_in_minutes=timeout_in_minutes,
        )
        if stack_id:
            request.stack_id = stack_id
        else:
            request.stack_name = name
        return self._call('PreviewStack', 'preview_stack', request).get('Stack') or {}

    def delete_stack(self, stack_id):
        request = ros_models.DeleteStackRequest(region_id=self.region, stack_id=stack_id)
        self._call('DeleteStack', 'delete_stack', request)


class StackWaiter:
    """Polls GetStack until the stack leaves *_IN_PROGRESS, for at most ``timeout`` seconds.

    ``progress`` collects one line per observed change so a module can return them.
    """

    def __init__(self, client, timeout, interval=5.0, clock=time.monotonic, sleep=time.sleep, log=None):
        self.client = client
        self.timeout = timeout
        self.interval = max(float(interval), 0.05)
        self.clock = clock
        self.sleep = sleep
        self.log = log
        self.progress = []

    def _note(self, started, stack):
        if stack is None:
            line = '%ds: stack gone' % int(self.clock() - started)
        else:
            line = '%ds: %s' % (int(self.clock() - started), stack.get('Status'))
            reason = stack.get('StatusReason')
            if reason:
                line += ' (%s)' % reason
        if not self.progress or self.progress[-1].split(': ', 1)[1] != line.split(': ', 1)[1]:
            self.progress.append(line)
            if self.log:
                self.log(line)

    def wait(self, stack_id, allow_missing=False):
        """Return the final GetStack body (None when the stack is gone and allow_missing).

        Raises TimeoutError when the stack is still in progress after the timeout.
        """
        started = self.clock()
        while True:
            stack = self.client.get_stack(stack_id)
            self._note(started, stack)
            if stack is None:
                if allow_missing:
                    return None
                raise AlicloudError('GetStack', 'StackNotFound', 'stack %s disappeared while waiting' % stack_id)
            if not is_in_progress(stack.get('Status')):
                return stack
            if self.clock() - started >= self.timeout:
                raise TimeoutError('stack %s still %s after %ss' % (stack_id, stack.get('Status'), self.timeout))
            self.sleep(self.interval)
