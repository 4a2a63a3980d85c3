# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Session and clients of the streamfleet.cluster AWS modules.

:class:`StreamfleetAWSModule` is amazon.aws's ``AnsibleAWSModule``: the connection options, their
aliases and environment fallbacks are amazon.aws's (``region``, ``profile``, ``access_key``,
``secret_key``, ``session_token``, ``endpoint_url``, ``aws_ca_bundle``, ``validate_certs``,
``aws_config``), read by amazon.aws's ``get_aws_connection_info``, so a play's
``module_defaults: group/aws:`` and the environment an amazon.aws user already has work
unchanged. On top of that it

- builds every client of a module from one boto3 session (amazon.aws's ``boto3_conn`` makes
  a session per client, which costs about 0.1 s per client, measured) with connect/read
  timeouts, botocore's own retries off (ours are per call, below) and the user's
  ``aws_config`` merged last, so it wins;
- refuses a region botocore does not know before the first call;
- wraps each client in :class:`AWSClient`: the boto3 client with one extra keyword on every
  operation, ``aws_retry``, so that a call is retried only where it asks to be (see
  ``retries.py`` for the rule), and ``create_once`` for creates without a client token;
- counts the calls (``api_calls``, ``api_retries`` in every result) with botocore event handlers
  registered on each client's own event emitter; botocore itself is not patched;
- collects what waiters report (``wait_progress``) and fails with the AWS error code, the call,
  the endpoint and the region.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import time
import uuid
from collections import Counter

from ansible.module_utils.basic import env_fallback

from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.retries import (
    ConnectionBudget,
    call_with_retries,
    create_once,
    describe_html,
    format_aws_error,
    is_connection_failure,
    looks_like_html,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.tags import deployment_tags
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import (
    StreamfleetModule,
    register_module,
)

try:
    import boto3
    import botocore
    import botocore.session
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError
    from botocore.exceptions import DataNotFoundError, ReadTimeoutError
    from botocore.parsers import ResponseParserError
except ImportError:  # pragma: no cover - AnsibleAWSModule reports the missing library
    BotoCoreError = ClientError = ConnectTimeoutError = EndpointConnectionError = Exception
    DataNotFoundError = ReadTimeoutError = ResponseParserError = Exception

# A silent endpoint (accepts the connection, never answers) costs READ_TIMEOUT per attempt; with
# the connection retry budget of retries.py (CONNECTION_RETRY_SECONDS) a module gives up on it
# after two attempts, within CONNECTION_RETRY_SECONDS + READ_TIMEOUT = 55 s of its first call
# to it: under the 90 s an operator should wait for a task that cannot succeed.
CONNECT_TIMEOUT = 10
READ_TIMEOUT = 25

# amazon.aws's aws_argument_spec() gives the connection options; these are added or widened.
AWS_COMMON_ARGS = dict(
    # amazon.aws 6 dropped these aliases and AWS_SECURITY_TOKEN; older playbooks still use them.
    session_token=dict(type='str', no_log=True,
                       aliases=['aws_session_token', 'security_token', 'aws_security_token'],
                       fallback=(env_fallback, ['AWS_SESSION_TOKEN', 'AWS_SECURITY_TOKEN'])),
    deployment=dict(type='str'),
    tags=dict(type='dict', default={}),
    wait=dict(type='bool', default=True),
    wait_timeout=dict(type='int', default=600),
)


class CallTracker(object):
    """The call in flight, for failure messages: which operation, where, since when, how often."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.call = None
        self.endpoint = None
        self.started = None
        self.attempts = 0

    def begin(self, call, endpoint):
        self.call, self.endpoint, self.started, self.attempts = call, endpoint, self.clock(), 0

    def sent(self, call, endpoint):
        if call != self.call or self.started is None:
            self.begin(call, endpoint)
        self.attempts += 1

    def elapsed(self):
        return 0 if self.started is None else self.clock() - self.started


class AWSClient(object):
    """A boto3 client whose operations take ``aws_retry`` (default ``False``: sent once).

    ``aws_retry=True`` retries the call on throttling, 5xx, connection resets and read
    timeouts; use it for reads and idempotent calls only. A create without a client token goes
    through :meth:`create_once` instead. Everything else (paginators, ``meta``, exceptions) is
    the boto3 client's own.

    An answer botocore cannot parse (an HTML error page from an emulator, a proxy or a web
    server at the endpoint) is raised as a ``ClientError`` whose code is the HTTP status, as
    botocore itself does for an empty or ``<html>`` 5xx answer, so it is retried or refused by
    the same rule as any other answer and caught where AWS errors are caught.
    """

    def __init__(self, client, service, retry_log, sleep=time.sleep, budget=None, tracker=None):
        self._client = client
        self._service = service
        self._retry_log = retry_log
        self._sleep = sleep
        self._budget = budget or ConnectionBudget()
        self._tracker = tracker
        self._operations = client.meta.method_to_api_mapping
        self._last_answer = {}
        client.meta.events.register('before-parse', self._note_answer,
                                    unique_id='streamfleet-answer-%s' % service)

    @property
    def raw(self):
        """The boto3 client itself."""
        return self._client

    def _note_answer(self, operation_model, response_dict, **kwargs):
        headers = response_dict.get('headers') or {}
        self._last_answer = dict(
            operation=operation_model.name,
            status=response_dict.get('status_code'),
            content_type=headers.get('content-type') or headers.get('Content-Type') or '',
            body=response_dict.get('body') or b'',
        )

    def _unparsable_answer(self, exc):
        """A ClientError in words for the answer ``exc`` (a ResponseParserError) could not parse."""
        answer = self._last_answer
        status = answer.get('status')
        body = answer.get('body') or b''
        if not isinstance(body, str):
            body = body.decode('utf-8', 'replace')
        if looks_like_html(body) or 'html' in answer.get('content_type', ''):
            what = describe_html(body)
        else:
            what = 'a %d-byte answer botocore cannot parse (%s)' % (
                len(body), answer.get('content_type') or 'no content type')
        error = ClientError({
            'Error': {'Code': str(status) if status else 'ResponseParserError',
                      'Message': 'HTTP %s: the endpoint %s answered with %s, not an AWS answer'
                                 % (status or '?', self._client.meta.endpoint_url, what)},
            'ResponseMetadata': {'HTTPStatusCode': status} if status else {},
        }, answer.get('operation') or 'unknown')
        return error

    def _guarded(self, func):
        def call(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except ResponseParserError as exc:
                raise self._unparsable_answer(exc)
        return call

    def _on_retry(self, method_name):
        key = '%s.%s' % (self._service, self._operations.get(method_name, method_name))

        def record(attempt, exc, delay):
            self._retry_log[key] += 1
        return record

    def _begin(self, method_name):
        if self._tracker is not None:
            self._tracker.begin('%s.%s' % (self._service, self._operations.get(method_name, method_name)),
                                self._client.meta.endpoint_url)

    def __getattr__(self, name):
        attr = getattr(self._client, name)
        if name not in self._operations:
            return attr
        guarded = self._guarded(attr)

        def operation(*args, **kwargs):
            self._begin(name)
            if kwargs.pop('aws_retry', False):
                return call_with_retries(guarded, args, kwargs, sleep=self._sleep,
                                         on_retry=self._on_retry(name), budget=self._budget)
            return guarded(*args, **kwargs)
        operation.__name__ = name
        return operation

    def create_once(self, method_name, reread, **kwargs):
        """Call the create ``method_name(**kwargs)``; after a retryable failure ``reread()``
        first and re-send only when it returns ``None`` (see :func:`retries.create_once`)."""
        method = self._guarded(getattr(self._client, method_name))
        self._begin(method_name)
        return create_once(lambda: method(**kwargs), reread, sleep=self._sleep,
                           on_retry=self._on_retry(method_name), budget=self._budget)

    def paginate(self, method_name, result_key, aws_retry=True, **kwargs):
        """All items of ``result_key`` over the pages of ``method_name``; a read, so retried
        (from the first page) unless ``aws_retry=False``."""
        def read_all():
            items = []
            for page in self._client.get_paginator(method_name).paginate(**kwargs):
                items.extend(page.get(result_key, []))
            return items
        read_all = self._guarded(read_all)
        self._begin(method_name)
        if not aws_retry:
            return read_all()
        return call_with_retries(read_all, sleep=self._sleep, on_retry=self._on_retry(method_name),
                                 budget=self._budget)


def client_token():
    """A fresh idempotency token: the same token on every re-send of one create."""
    return str(uuid.uuid4())


def client_config(user_config=None):
    """The botocore Config of every client: timeouts, botocore's retries off, our user agent;
    ``user_config`` (the ``aws_config`` option, a dict or Config) merged over it."""
    config = Config(
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        # One attempt in botocore: the backoff, the set of retried errors and the choice of
        # which calls may be retried are ours (retries.py), the same for every service.
        retries={'mode': 'standard', 'total_max_attempts': 1},
        user_agent_extra='streamfleet.cluster',
    )
    if user_config:
        if not isinstance(user_config, Config):
            user_config = Config(**user_config)
        config = config.merge(user_config)
    return config


class StreamfleetAWSModule(AnsibleAWSModule):
    """amazon.aws's AnsibleAWSModule with counted, retry-aware clients and waiter progress.

    ``argument_spec`` is merged over amazon.aws's connection options and :data:`AWS_COMMON_ARGS`,
    so a module may redefine a common option (for example make ``deployment`` required).
    """

    def __init__(self, argument_spec, **kwargs):
        # Set before AnsibleAWSModule runs: it may fail (argument errors, old boto3) through
        # our fail_json, which adds these to the result.
        self.sent_log = Counter()  # every request built (re-sends included) per service.Operation
        self.retry_log = Counter()  # every re-send per service.Operation
        self.wait_progress = []
        self.tracker = CallTracker()
        self.connection_budget = ConnectionBudget()
        self._session = None
        self._botocore_session = None
        self._connection = None
        self._clients = {}
        spec = dict(AWS_COMMON_ARGS)
        spec.update(argument_spec or {})
        kwargs.setdefault('supports_check_mode', True)
        # The inner AnsibleModule is a StreamfleetModule, so that a misspelt option reads "unknown
        # option X; did you mean Y". AnsibleAWSModule takes its inner class from its class-level
        # default_settings only (a module_class keyword is accepted and ignored), so those are
        # swapped for the time of the construction.
        settings = AnsibleAWSModule.default_settings
        AnsibleAWSModule.default_settings = dict(settings, module_class=StreamfleetModule)
        try:
            super(StreamfleetAWSModule, self).__init__(argument_spec=spec, **kwargs)
        finally:
            AnsibleAWSModule.default_settings = settings
        register_module(self)  # module_edge reports through this object (api_calls included)

    @property
    def diff_mode(self):
        return self._diff

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
        super(StreamfleetAWSModule, self).exit_json(**self._add_common_results(kwargs))

    def fail_json(self, msg, **kwargs):
        super(StreamfleetAWSModule, self).fail_json(msg=msg, **self._add_common_results(kwargs))

    def fail_aws(self, exc, msg):
        """Fail with the AWS error code and message of ``exc`` next to ``msg``, naming the call
        that failed, its endpoint and the region (and, for a connection failure, how long and
        how often it was tried)."""
        error = format_aws_error(exc)
        call = self.tracker.call or error.get('operation') or 'the AWS call'
        endpoint = self.tracker.endpoint or getattr(exc, 'kwargs', {}).get('endpoint_url') or 'the AWS endpoint'
        message = error['message']
        if isinstance(exc, ReadTimeoutError):
            message = 'no answer from %s to %s within the read timeout (%s s)' % (
                endpoint, call, self._read_timeout())
        elif isinstance(exc, ConnectTimeoutError):
            message = 'cannot connect to %s for %s within the connect timeout (%s s)' % (
                endpoint, call, self._connect_timeout())
        elif isinstance(exc, EndpointConnectionError):
            message = 'cannot connect to %s for %s: %s' % (endpoint, call, getattr(exc, 'kwargs', {}).get('error') or exc)
        where = '%s at %s, region %s' % (call, endpoint, self.params.get('region') or self._region_or_none())
        if is_connection_failure(exc) and self.tracker.attempts > 1:
            where += '; %d attempts over %d s' % (self.tracker.attempts, self.tracker.elapsed())
        error.update(call=call, endpoint=endpoint)
        self.fail_json(
            msg='%s: %s: %s [%s]' % (msg, error['code'], message, where),
            error=error,
            boto3_version=boto3.__version__,
            botocore_version=botocore.__version__,
        )

    # Connection ----------------------------------------------------------------------------------
    def _connection_info(self):
        """(region, endpoint_url, boto3 keyword arguments) from the options, by amazon.aws."""
        if self._connection is None:
            region, endpoint_url, connect_kwargs = get_aws_connection_info(self)
            self._connection = (region, endpoint_url or None, dict(connect_kwargs))
        return self._connection

    def _region_or_none(self):
        # Only what is known already: a failure message must not fail again.
        return self._connection[0] if self._connection else None

    def _timeout(self, name, default):
        config = self.params.get('aws_config') or {}
        return config.get(name, default)

    def _connect_timeout(self):
        return self._timeout('connect_timeout', CONNECT_TIMEOUT)

    def _read_timeout(self):
        return self._timeout('read_timeout', READ_TIMEOUT)

    @property
    def region(self):
        """The region: the option, else AWS_REGION / AWS_DEFAULT_REGION, else the profile's."""
        return self._connection_info()[0]

    @property
    def session(self):
        """The boto3 session every client of the module is made from (profile applied)."""
        return self._make_session()[0]

    def _make_session(self):
        """(boto3 session, the botocore session under it), made on first use."""
        if self._session is None:
            profile = self._connection_info()[2].get('profile_name')
            try:
                # Made from a botocore session of our own so that _check_region can read botocore's
                # data through its public API.
                self._botocore_session = botocore.session.Session()
                self._session = boto3.session.Session(botocore_session=self._botocore_session,
                                                      profile_name=profile)
            except BotoCoreError as exc:
                self.fail_json(msg='Cannot set up the AWS session%s: %s' % (
                    ' for profile %s' % profile if profile else '', exc),
                    error=format_aws_error(exc))
        return self._session, self._botocore_session

    def _check_region(self, region):
        """Fail before the first call when botocore knows no region of that name: AWS would not
        resolve it and an emulator answers with an error page, neither says "wrong region"."""
        # The regions of every partition, from botocore's endpoint data, which the first client
        # loads anyway. (Session.get_available_regions would load a service's whole model for
        # this, about 0.15 s of CPU in a module that makes no client of that service, measured.)
        known = set()
        try:
            endpoints = self._make_session()[1].get_component('data_loader').load_data('endpoints')
        except DataNotFoundError:  # a botocore without this file: ask the slower way
            endpoints = {}
            for partition in self.session.get_available_partitions():
                known.update(self.session.get_available_regions('ec2', partition_name=partition))
        for partition in endpoints.get('partitions', []):
            known.update(partition.get('regions', {}))
        if region in known:
            return
        close = difflib.get_close_matches(region, sorted(known), n=3)
        self.fail_json(msg='Unknown AWS region %r (from the region option, AWS_REGION, AWS_DEFAULT_REGION '
                           'or the profile)%s; botocore %s knows %d regions. A region newer than botocore '
                           'needs a newer botocore.' % (
                               region, '; did you mean %s?' % ' or '.join(close) if close else '',
                               botocore.__version__, len(known)))

    def client(self, service):
        """An :class:`AWSClient` for ``service`` whose every call is counted."""
        if service not in self._clients:
            region, endpoint_url, connect_kwargs = self._connection_info()
            if not region:
                self.fail_json(msg='No AWS region: set the region option, the AWS_REGION or AWS_DEFAULT_REGION '
                                   'environment variable, or a region in the AWS profile.')
            if not self._clients:
                self._check_region(region)
            connect_kwargs = dict(connect_kwargs)
            connect_kwargs.pop('profile_name', None)  # in the session
            config = client_config(connect_kwargs.pop('aws_config', None))
            try:
                client = self.session.client(service, region_name=region, endpoint_url=endpoint_url,
                                             config=config, **connect_kwargs)
            except (BotoCoreError, ValueError) as exc:
                self.fail_json(msg='Cannot create the %s client (region %s, endpoint %s): %s'
                                   % (service, region, endpoint_url or 'the AWS default', exc),
                               error=format_aws_error(exc))
            self._count_calls(service, client)
            self._clients[service] = AWSClient(client, service, self.retry_log,
                                               budget=self.connection_budget, tracker=self.tracker)
        return self._clients[service]

    def _count_calls(self, service, client):
        # botocore emits before-parameter-build once per operation call (direct, paginated or
        # re-sent), before validating the parameters; each client has its own event emitter.
        def count(model, **kwargs):
            key = '%s.%s' % (service, model.name)
            self.sent_log[key] += 1
            tracker = getattr(self, 'tracker', None)
            if tracker is not None:
                tracker.sent(key, client.meta.endpoint_url)
        client.meta.events.register('before-parameter-build', count,
                                    unique_id='streamfleet-count-%s' % service)

    def paginate(self, client, operation, result_key, **kwargs):
        """All items of ``result_key`` over the pages of ``operation`` (a retried read)."""
        return client.paginate(operation, result_key, **kwargs)

    # Tags --------------------------------------------------------------------------------------
    def deployment_tags(self):
        """The tags everything this module creates carries: ``tags`` + deployment + managed-by."""
        return deployment_tags(self.params)
