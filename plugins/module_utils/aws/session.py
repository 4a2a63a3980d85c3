# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Session and clients of the streamfleet.cluster AWS modules.

:class:`StreamfleetAWSModule` is an AnsibleModule that builds boto3 clients from the shared
connection options (doc fragment ``streamfleet.cluster.aws``), counts the calls they make, and
fails with the AWS error code. Each client is an :class:`AWSClient`: the boto3 client with one
extra keyword on every operation, ``aws_retry``, so that a call is retried only where it asks
to be (see ``retries.py`` for the rule). Calls are counted by botocore event handlers
registered on the client's own event emitter; botocore itself is not patched.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time
import uuid
from collections import Counter

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.retries import (
    call_with_retries,
    create_once,
    format_aws_error,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.tags import deployment_tags

try:
    import boto3
    import botocore
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError
    HAS_BOTO3 = True
    BOTO3_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module class
    HAS_BOTO3 = False
    BOTO3_IMPORT_ERROR = exc
    BotoCoreError = Exception

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


class AWSClient(object):
    """A boto3 client whose operations take ``aws_retry`` (default ``False``: sent once).

    ``aws_retry=True`` retries the call on throttling, 5xx and connection failures; use it for
    reads and idempotent calls only. A create without a client token goes through
    :meth:`create_once` instead. Everything else (paginators, ``meta``, exceptions) is the
    boto3 client's own.
    """

    def __init__(self, client, service, retry_log, sleep=time.sleep):
        self._client = client
        self._service = service
        self._retry_log = retry_log
        self._sleep = sleep
        self._operations = client.meta.method_to_api_mapping

    @property
    def raw(self):
        """The boto3 client itself."""
        return self._client

    def _on_retry(self, method_name):
        key = '%s.%s' % (self._service, self._operations.get(method_name, method_name))

        def record(attempt, exc, delay):
            self._retry_log[key] += 1
        return record

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if name not in self._operations:
            return attr

        def operation(*args, **kwargs):
            if kwargs.pop('aws_retry', False):
                return call_with_retries(attr, args, kwargs, sleep=self._sleep, on_retry=self._on_retry(name))
            return attr(*args, **kwargs)
        operation.__name__ = name
        return operation

    def create_once(self, method_name, reread, **kwargs):
        """Call the create ``method_name(**kwargs)``; after a retryable failure ``reread()``
        first and re-send only when it returns ``None`` (see :func:`retries.create_once`)."""
        method = getattr(self._client, method_name)
        return create_once(lambda: method(**kwargs), reread, sleep=self._sleep, on_retry=self._on_retry(method_name))

    def paginate(self, method_name, result_key, aws_retry=True, **kwargs):
        """All items of ``result_key`` over the pages of ``method_name``; a read, so retried
        (from the first page) unless ``aws_retry=False``."""
        def read_all():
            items = []
            for page in self._client.get_paginator(method_name).paginate(**kwargs):
                items.extend(page.get(result_key, []))
            return items
        if not aws_retry:
            return read_all()
        return call_with_retries(read_all, sleep=self._sleep, on_retry=self._on_retry(method_name))


def client_token():
    """A fresh idempotency token: the same token on every re-send of one create."""
    return str(uuid.uuid4())


class StreamfleetAWSModule(object):
    """An AnsibleModule with AWS clients, call counting and waiter progress.

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
        # every request built (re-sends included) and every re-send, per service.Operation
        self.sent_log = Counter()
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

    @property
    def call_log(self):
        """Calls made per service.Operation, a retried call counted once."""
        calls = Counter(self.sent_log)
        calls.subtract(self.retry_log)
        return Counter(dict((k, v) for k, v in calls.items() if v > 0))

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
        """An :class:`AWSClient` for ``service`` whose every call is counted.

        botocore's own retries are switched off so that the backoff, the set of retried
        errors and the choice of which calls may be retried are ours, the same for every service.
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
            self._count_calls(service, client)
            self._clients[service] = AWSClient(client, service, self.retry_log)
        return self._clients[service]

    def _count_calls(self, service, client):
        # botocore emits before-parameter-build once per operation call (direct, paginated or
        # re-sent), before validating the parameters; each client has its own event emitter.
        def count(model, **kwargs):
            self.sent_log['%s.%s' % (service, model.name)] += 1
        client.meta.events.register('before-parameter-build', count,
                                    unique_id='streamfleet-count-%s' % service)

    def paginate(self, client, operation, result_key, **kwargs):
        """All items of ``result_key`` over the pages of ``operation`` (a retried read)."""
        return client.paginate(operation, result_key, **kwargs)

    # Tags --------------------------------------------------------------------------------------
    def deployment_tags(self):
        """The tags everything this module creates carries: ``tags`` + deployment + managed-by."""
        return deployment_tags(self.params)
