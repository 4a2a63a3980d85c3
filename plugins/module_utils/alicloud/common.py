# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every Alibaba Cloud client of the collection shares, in one place.

Credentials, region and endpoint resolution (module options, then the environment, then the
aliyun CLI profile), the error class with code / message / request id, the codes worth another
try, and one retry loop. ``ros.py`` (Resource Orchestration Service, through its SDK) and
``rpc.py`` (any RPC-style API, such as ESS and ECS, through the generic OpenAPI client) build on it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import time


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
DEFAULT_CONFIG_FILE = '~/.aliyun/config.json'

# Error codes worth another try: the API asked us to slow down or had a passing fault.
RETRYABLE_CODES = frozenset([
    'Throttling', 'Throttling.User', 'Throttling.Api', 'ServiceUnavailable',
    'InternalError', 'LastOperationNotFinished',
])


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


def first_env(names):
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


def resolve_settings(params, endpoint_env=()):
    """Credentials, region and endpoint, in order: module options, environment, profile.

    ``endpoint_env`` names the environment variables that may hold the endpoint of the service
    the caller talks to (each service has its own).
    """
    settings = dict(
        access_key_id=params.get('access_key_id') or first_env(ENV_ACCESS_KEY_ID),
        access_key_secret=params.get('access_key_secret') or first_env(ENV_ACCESS_KEY_SECRET),
        security_token=params.get('security_token') or first_env(ENV_SECURITY_TOKEN),
        region=params.get('region') or first_env(ENV_REGION),
        endpoint=params.get('endpoint') or first_env(endpoint_env),
    )
    profile_name = params.get('profile') or first_env(ENV_PROFILE)
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


def openapi_config(config_class, settings, endpoint, connect_timeout, read_timeout):
    """An ``alibabacloud_tea_openapi`` Config: credentials, region, timeouts (given in seconds,
    the SDK counts milliseconds) and, when ``endpoint`` is set, its host and protocol."""
    host, protocol = split_endpoint(endpoint)
    config = config_class(
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
    return config


def call_with_retries(action, send, retries=4, sleep=time.sleep):
    """``send()`` until it answers; throttled or passing faults (RETRYABLE_CODES) are tried again
    up to ``retries`` times with a growing pause (2, 4, 8, 16 s, at most 20); any other failure
    is raised at once as an AlicloudError."""
    attempt = 0
    while True:
        try:
            return send()
        except Exception as exc:  # the SDK raises TeaException, and plain exceptions for I/O errors
            error = exc if isinstance(exc, AlicloudError) else error_from_exception(action, exc)
            if error.code in RETRYABLE_CODES and attempt < retries:
                attempt += 1
                sleep(min(2 ** attempt, 20))
                continue
            raise error
