# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A client for Alibaba Cloud RPC-style APIs (ESS, ECS, ...) without a per-product SDK.

The official generic client of ``alibabacloud_tea_openapi`` (already needed by the ROS SDK)
sends any action with ``call_api`` and ``Params(style='RPC')``: the same signed request
(ACS3-HMAC-SHA256) the generated product SDKs send. Parameters go in the query string, as the
product SDKs put them for these read calls. Credentials, errors and retries come from
``common.py``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time
import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.streamfleet.cluster.plugins.module_utils.alicloud.common import (
    CredentialsError,
    call_with_retries,
    openapi_config,
)

try:
    from alibabacloud_tea_openapi import models as openapi_models
    from alibabacloud_tea_openapi.client import Client as _OpenApiClient
    HAS_OPENAPI_SDK = True
    OPENAPI_SDK_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - depends on the controller's Python
    HAS_OPENAPI_SDK = False
    OPENAPI_SDK_IMPORT_ERROR = traceback.format_exc()

try:  # alibabacloud_tea_openapi 0.4 runs on darabonba; 0.3 took tea_util's RuntimeOptions
    from darabonba.runtime import RuntimeOptions
except ImportError:  # pragma: no cover
    try:
        from alibabacloud_tea_util.models import RuntimeOptions
    except ImportError:
        RuntimeOptions = None


def query_text(value):
    """A query-string value as the API reads it: booleans lower case, everything else str()."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


class SdkTransport:
    """Sends one RPC action to one endpoint through the generic OpenAPI client; answers the
    response body as a dict. Raises the SDK's exceptions (``call_with_retries`` reads them)."""

    def __init__(self, settings, endpoint, connect_timeout=10, read_timeout=60):
        if not HAS_OPENAPI_SDK or RuntimeOptions is None:
            raise CredentialsError(missing_required_lib('alibabacloud_tea_openapi'))
        self._client = _OpenApiClient(openapi_config(openapi_models.Config, settings, endpoint,
                                                     connect_timeout, read_timeout))

    def __call__(self, action, version, query):
        params = openapi_models.Params(
            action=action, version=version, protocol='HTTPS', pathname='/', method='POST',
            auth_type='AK', style='RPC', req_body_type='formData', body_type='json')
        request = openapi_models.OpenApiRequest(query=dict((k, query_text(v)) for k, v in query.items()))
        response = self._client.call_api(params, request, RuntimeOptions())
        return (response or {}).get('body') or {}


class RpcClient:
    """One product's API version on one endpoint, with the shared retries.

    ``transport(action, version, query) -> body`` defaults to :class:`SdkTransport`; unit tests
    give a fake one.
    """

    def __init__(self, settings, version, endpoint, connect_timeout=10, read_timeout=60, retries=4,
                 sleep=time.sleep, transport=None):
        self.region = settings['region']
        self.version = version
        self.endpoint = endpoint
        self._transport = transport or SdkTransport(settings, endpoint, connect_timeout, read_timeout)
        self._retries = retries
        self._sleep = sleep

    def call(self, action, **query):
        query = dict((k, v) for k, v in query.items() if v is not None)
        query.setdefault('RegionId', self.region)
        return call_with_retries(action, lambda: self._transport(action, self.version, query),
                                 self._retries, self._sleep)
