# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Alibaba Cloud Resource Orchestration Service (ROS) client for the collection's modules.

A thin wrapper around the official SDK (``alibabacloud_ros20190910`` with
``alibabacloud_tea_openapi``) and a bounded stack waiter that records progress lines. Credentials,
region and endpoint resolution, errors with code / message / request id and retries of throttled
calls are shared with the other Alibaba clients (``common.py``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time
import traceback

from ansible.module_utils.basic import missing_required_lib

# The shared parts (options, credentials, endpoint, errors, retries) live in common.py; they are
# imported here under their old names, which the modules and tests use.
from ansible_collections.streamfleet.cluster.plugins.module_utils.alicloud.common import (  # noqa: F401 pylint: disable=unused-import
    ALICLOUD_COMMON_ARGUMENT_SPEC,
    DEFAULT_CONFIG_FILE,
    ENV_ACCESS_KEY_ID,
    ENV_ACCESS_KEY_SECRET,
    ENV_PROFILE,
    ENV_REGION,
    ENV_SECURITY_TOKEN,
    RETRYABLE_CODES,
    AlicloudError,
    CredentialsError,
    call_with_retries,
    error_from_exception,
    load_profile,
    openapi_config,
    split_endpoint,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.alicloud.common import (
    resolve_settings as _resolve_settings,
)

try:
    from alibabacloud_ros20190910 import models as ros_models
    from alibabacloud_ros20190910.client import Client as _RosSdkClient
    from alibabacloud_tea_openapi import models as openapi_models
    HAS_ROS_SDK = True
    ROS_SDK_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - depends on the controller's Python
    HAS_ROS_SDK = False
    ROS_SDK_IMPORT_ERROR = traceback.format_exc()

ENV_ENDPOINT = ('ALIBABA_CLOUD_ROS_ENDPOINT',)
STACK_NOT_FOUND_CODES = frozenset(['StackNotFound'])


def resolve_settings(params):
    """Credentials, region and the ROS endpoint (option, then ALIBABA_CLOUD_ROS_ENDPOINT)."""
    return _resolve_settings(params, ENV_ENDPOINT)


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
        config = openapi_config(openapi_models.Config, settings, settings.get('endpoint'),
                                connect_timeout, read_timeout)
        self.region = settings['region']
        self._client = _RosSdkClient(config)
        self._retries = retries
        self._sleep = sleep

    def _call(self, action, method_name, request):
        def send():
            response = getattr(self._client, method_name)(request)
            return response.body.to_map() if response.body is not None else {}
        return call_with_retries(action, send, self._retries, self._sleep)

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
