# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Alibaba Cloud secret store of the boot code: OOS encrypted parameters (no Ansible on the host).

Reference ``alicloud-oos:<parameter name>``: an Operation Orchestration Service *secret
parameter* (KMS-encrypted), read with ``GetSecretParameter`` and ``WithDecryption=true``. API
reference: https://help.aliyun.com/zh/oos/developer-reference/api-oos-2019-06-01-getsecretparameter
(RPC style, version ``2019-06-01``; the answer is ``{"RequestId", "Parameter": {"Name", "Type":
"Secret", "Value", "ParameterVersion", "KeyId", ...}}``; ``Value`` holds the decrypted text only
with ``WithDecryption=true``). The RAM action is ``oos:GetSecretParameter`` on
``acs:oos:{region}:{account}:secretparameter/{name}``, plus ``kms:GetSecretValue`` the page asks for.

The request is signed with Alibaba's RPC signature (version 1.0, HMAC-SHA1), documented at
https://www.alibabacloud.com/help/doc-detail/127287.htm: the parameters (common ones included,
``Signature`` excluded) sorted by name, each name and value percent-encoded (RFC 3986: unreserved
characters kept, space ``%20``), joined ``name=value`` with ``&``; ``StringToSign = METHOD + "&" +
enc("/") + "&" + enc(that query)``; ``Signature = Base64(HMAC-SHA1(AccessKeySecret + "&",
StringToSign))``. With STS credentials ``SecurityToken`` is one of the signed parameters.

Credentials are the instance RAM role's temporary ones, from ECS metadata:
``ram/security-credentials/`` lists the role, ``ram/security-credentials/<role>`` answers
``{"AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration", "LastUpdated", "Code"}``.
Messages never hold a secret value or a credential. Standard library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import calendar
import hashlib
import hmac
import json
import time
import uuid
from collections import namedtuple
from urllib.error import HTTPError, URLError
from urllib.parse import quote
from urllib.request import Request

from ansible_collections.streamfleet.cluster.plugins.module_utils.boot.metadata import MetadataError
from ansible_collections.streamfleet.cluster.plugins.module_utils.boot.secrets import (
    STORES,
    Retry,
    SecretError,
    SecretStore,
)

OOS_API_VERSION = "2019-06-01"
# New credentials are fetched this long before the old ones expire.
CREDENTIALS_REFRESH_MARGIN_SECONDS = 300

RamCredentials = namedtuple("RamCredentials", ["access_key_id", "access_key_secret", "security_token", "expiration"])


def percent_encode(text):
    """RFC 3986 encoding of the RPC signature: unreserved characters kept, everything else %XX."""
    return quote(str(text), safe="-_.~")


def string_to_sign(method, params):
    """The signature's input for the parameters ``params`` (a dict, without ``Signature``)."""
    query = "&".join("%s=%s" % (percent_encode(k), percent_encode(params[k])) for k in sorted(params))
    return "%s&%s&%s" % (method, percent_encode("/"), percent_encode(query))


def rpc_signature(access_key_secret, method, params):
    digest = hmac.new((access_key_secret + "&").encode("utf-8"), string_to_sign(method, params).encode("utf-8"),
                      hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_query(action, version, params, credentials, method="GET", now=None, nonce=None):
    """The query string of a signed RPC request (common parameters added)."""
    now = time.time() if now is None else now
    full = dict(params)
    full.update({
        "Action": action, "Version": version, "Format": "JSON",
        "AccessKeyId": credentials.access_key_id,
        "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
        "SignatureNonce": nonce or str(uuid.uuid4()),
        "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
    })
    if credentials.security_token:
        full["SecurityToken"] = credentials.security_token
    full["Signature"] = rpc_signature(credentials.access_key_secret, method, full)
    return "&".join("%s=%s" % (percent_encode(k), percent_encode(v)) for k, v in sorted(full.items()))


def ram_role_credentials(source):
    """The instance RAM role's STS credentials from ECS metadata (``ram/security-credentials/``)."""
    listing = source.read("ram/security-credentials/", missing_ok=True)
    roles = [line.strip() for line in (listing or "").splitlines() if line.strip()]
    if not roles:
        raise MetadataError("%s metadata: the instance has no RAM role" % source.name)
    text = source.read("ram/security-credentials/" + roles[0])
    try:
        doc = json.loads(text)
        if doc.get("Code", "Success") != "Success":
            raise MetadataError("%s metadata: credentials of RAM role %s: %s" % (source.name, roles[0], doc.get("Code")))
        expiration = calendar.timegm(time.strptime(doc["Expiration"].strip(), "%Y-%m-%dT%H:%M:%SZ"))
        return RamCredentials(doc["AccessKeyId"], doc["AccessKeySecret"], doc.get("SecurityToken") or None, expiration)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # Never show the document: it holds the secret key.
        raise MetadataError("%s metadata: credentials of RAM role %s are not a credentials document (%s)"
                            % (source.name, roles[0], type(exc).__name__))


class AlicloudOosSecretParameter(SecretStore):
    """OOS ``GetSecretParameter`` with ``WithDecryption=true``, signed with the RAM role's STS credentials."""

    store = "alicloud-oos"
    cloud = "alicloud"
    # Codes after which a new attempt may succeed: throttling, the service's own trouble, and the
    # RAM role's credentials or policy not there yet right after a launch.
    retryable_codes = frozenset(("Throttling", "Throttling.User", "Throttling.Api", "ServiceUnavailable",
                                 "InternalError", "UnknownError", "InvalidSecurityToken.Expired",
                                 "InvalidAccessKeyId.NotFound", "SignatureDoesNotMatch", "Forbidden.RAM",
                                 "NoPermission", "Forbidden"))

    def __init__(self, *args, **kwargs):
        super(AlicloudOosSecretParameter, self).__init__(*args, **kwargs)
        self._credentials = None

    def _region(self):
        if not self.region:
            try:
                self.region = self.metadata.get("region")
            except MetadataError as exc:
                raise Retry("no region from the instance metadata: %s" % exc)
        return self.region

    def _creds(self):
        if self._credentials is None or self._credentials.expiration - time.time() < CREDENTIALS_REFRESH_MARGIN_SECONDS:
            try:
                self._credentials = ram_role_credentials(self.metadata)
            except MetadataError as exc:
                raise Retry("no RAM role credentials: %s" % exc)
        return self._credentials

    def _url(self, region):
        return (self.endpoint or "https://oos.%s.aliyuncs.com" % region) + "/"

    def _read_once(self):
        region = self._region()
        url = self._url(region)
        query = signed_query("GetSecretParameter", OOS_API_VERSION,
                             {"RegionId": region, "Name": self.name, "WithDecryption": "true"}, self._creds())
        try:
            with self._opener.open(Request(url + "?" + query, method="GET"), timeout=self.timeout) as response:
                text = response.read()
        except HTTPError as exc:
            code = _error_code(exc)
            what = "GetSecretParameter %s at %s: HTTP %d %s" % (self.name, url, exc.code, code)
            if exc.code >= 500 or code in self.retryable_codes:
                if code in ("InvalidSecurityToken.Expired", "InvalidAccessKeyId.NotFound", "SignatureDoesNotMatch"):
                    self._credentials = None
                raise Retry(what)
            raise SecretError("%s: %s" % (self.describe(), what))
        except (URLError, OSError, ValueError) as exc:
            raise Retry("GetSecretParameter at %s: %s" % (url, getattr(exc, "reason", None) or exc))
        try:
            answer = json.loads(text.decode("utf-8"))
        except ValueError:
            raise SecretError("%s: %s answered with something that is not JSON" % (self.describe(), url))
        parameter = answer.get("Parameter") if isinstance(answer, dict) else None
        if not isinstance(parameter, dict) or not isinstance(parameter.get("Value"), str):
            raise SecretError("%s: the answer has no Parameter.Value" % self.describe())
        return parameter["Value"]


def _error_code(exc):
    """``Code`` of an Alibaba RPC error answer (``{"RequestId", "HostId", "Code", "Message"}``)."""
    try:
        return json.loads(exc.read().decode("utf-8")).get("Code") or "no error code"
    except (ValueError, AttributeError, OSError):
        return "no error code"


# Known to secret_store() and parse_reference() from here on (secrets.py imports this file).
STORES[AlicloudOosSecretParameter.store] = AlicloudOosSecretParameter
