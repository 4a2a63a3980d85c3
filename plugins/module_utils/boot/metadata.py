# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Instance metadata, one adapter per cloud, for the boot-time code (no Ansible on the host).

API::

    source = metadata_source("aws" | "alicloud", endpoint=None, timeout=5, retries=10, retry_delay=3)
    source.get(name) -> str      a value by its common name (``local-ipv4``, ``instance-id``,
                                 ``public-ipv4``, ``region``); raises MetadataError when the
                                 service does not answer with a non-empty value in time
    source.read(path, missing_ok=False) -> str or None
                                 one read of ``meta-data/<path>`` (no retries: the caller, e.g.
                                 the drain agent, owns its backoff); None for a 404 when
                                 ``missing_ok``; a token refused with 401 is renewed once
    instance_credentials(source, clock=time.time) -> Credentials
                                 the instance profile's temporary credentials (AWS only)
    SOURCES                      the adapter names

Common names are the AWS ones; each adapter maps them to its cloud's path. Both clouds are
read in their token ("hardened") mode first, which works whether or not the instance requires
it: AWS IMDSv2 (``PUT /latest/api/token`` with a TTL header, then GETs carrying the token);
Alibaba ECS security-hardening mode (same shape, ``X-aliyun-ecs-metadata-token*`` headers on
``100.100.100.200``), falling back to the normal mode when no token is handed out.
A token lives ``token_ttl`` seconds (the TTL header asks for it); it is renewed shortly before
that, and at once when the service answers 401 (restarted, or the token rotated).
Standard library only: this runs at boot with plain ``python3``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import calendar
import json
import time
from collections import namedtuple
from urllib.error import HTTPError, URLError
from urllib.request import Request, build_opener, ProxyHandler

TOKEN_TTL_SECONDS = 300
# A token is renewed this long before its TTL runs out, so that no request carries a token the
# service may already have expired.
TOKEN_RENEW_MARGIN_SECONDS = 30
# AWS makes new instance-profile credentials available at least five minutes before the old
# ones expire (EC2 User Guide, "Retrieve security credentials from instance metadata"): refresh
# that early.
CREDENTIALS_REFRESH_MARGIN_SECONDS = 300

Credentials = namedtuple("Credentials", ["access_key", "secret_key", "token", "expiration"])


class MetadataError(Exception):
    """The metadata service gave no usable answer (message is safe to show)."""


class _Adapter(object):
    name = None
    default_endpoint = None
    token_path = "/latest/api/token"
    token_ttl_header = None
    token_header = None
    value_prefix = "/latest/meta-data/"
    # Generic name -> this cloud's path below value_prefix.
    paths = {}
    # True when a token request refused with an HTTP error means "normal mode only".
    tokenless_fallback = False

    def __init__(self, endpoint=None, timeout=5, retries=10, retry_delay=3, sleep=time.sleep,
                 clock=time.monotonic, token_ttl=TOKEN_TTL_SECONDS):
        self.endpoint = (endpoint or self.default_endpoint).rstrip("/")
        self.timeout = timeout
        self.retries = max(1, int(retries))
        self.retry_delay = retry_delay
        self.token_ttl = max(1, int(token_ttl))
        self._sleep = sleep
        self._clock = clock
        # The metadata service is link-local: a proxy from the environment must never see it.
        self._opener = build_opener(ProxyHandler({}))
        self._token = None
        self._token_renew_at = 0.0

    def path_of(self, name):
        if name not in self.paths:
            raise MetadataError("%s metadata has no value named %r (known: %s)"
                                % (self.name, name, ", ".join(sorted(self.paths))))
        return self.paths[name]

    def _open(self, request):
        with self._opener.open(request, timeout=self.timeout) as response:
            return response.read().decode("utf-8", "replace").strip()

    def _fetch_token(self):
        request = Request(self.endpoint + self.token_path, method="PUT",
                          headers={self.token_ttl_header: str(self.token_ttl)})
        try:
            return self._open(request)
        except HTTPError:
            if self.tokenless_fallback:
                return ""
            raise

    def _current_token(self):
        if self._token is None or self._clock() >= self._token_renew_at:
            asked_at = self._clock()
            self._token = self._fetch_token()
            self._token_renew_at = asked_at + max(1, self.token_ttl - TOKEN_RENEW_MARGIN_SECONDS)
        return self._token

    def _get_once(self, path):
        token = self._current_token()
        headers = {self.token_header: token} if token else {}
        try:
            return self._open(Request(self.endpoint + self.value_prefix + path, headers=headers))
        except HTTPError as exc:
            if exc.code == 401:
                self._token = None  # expired or rotated: ask for a new one next time
            raise

    def read(self, path, missing_ok=False):
        """One read of ``meta-data/<path>``; a 401 renews the token and reads once more."""
        for attempt in (1, 2):
            try:
                return self._get_once(path)
            except HTTPError as exc:
                if exc.code == 404 and missing_ok:
                    return None
                if exc.code == 401 and attempt == 1:
                    continue
                raise MetadataError("%s metadata %s at %s: HTTP %d" % (self.name, path, self.endpoint, exc.code))
            except (URLError, OSError, ValueError) as exc:
                raise MetadataError("%s metadata %s at %s: %s"
                                    % (self.name, path, self.endpoint, getattr(exc, "reason", None) or exc))
        raise MetadataError("%s metadata %s at %s: the token was refused twice" % (self.name, path, self.endpoint))

    def get(self, name):
        path = self.path_of(name)
        last = "no answer"
        for attempt in range(1, self.retries + 1):
            try:
                value = self._get_once(path)
                if value:
                    return value
                last = "an empty value"
            except HTTPError as exc:
                last = "HTTP %d" % exc.code
            except (URLError, OSError, ValueError) as exc:
                last = str(getattr(exc, "reason", None) or exc)
            if attempt < self.retries:
                self._sleep(self.retry_delay)
        raise MetadataError("%s metadata %s at %s: %s after %d attempt(s)"
                            % (self.name, name, self.endpoint, last, self.retries))


class AwsImdsV2(_Adapter):
    """EC2 instance metadata, IMDSv2 (works with ``HttpTokens=required``)."""

    name = "aws"
    default_endpoint = "http://169.254.169.254"
    token_ttl_header = "X-aws-ec2-metadata-token-ttl-seconds"
    token_header = "X-aws-ec2-metadata-token"
    paths = {
        "local-ipv4": "local-ipv4",
        "instance-id": "instance-id",
        "public-ipv4": "public-ipv4",
        "region": "placement/region",
        "target-lifecycle-state": "autoscaling/target-lifecycle-state",
    }


class AlibabaEcs(_Adapter):
    """Alibaba Cloud ECS instance metadata, hardened mode first, normal mode as fallback."""

    name = "alicloud"
    default_endpoint = "http://100.100.100.200"
    token_ttl_header = "X-aliyun-ecs-metadata-token-ttl-seconds"
    token_header = "X-aliyun-ecs-metadata-token"
    tokenless_fallback = True
    paths = {
        "local-ipv4": "private-ipv4",
        "instance-id": "instance-id",
        "public-ipv4": "eipv4",
        "region": "region-id",
    }


_ADAPTERS = {adapter.name: adapter for adapter in (AwsImdsV2, AlibabaEcs)}
SOURCES = tuple(sorted(_ADAPTERS))


def metadata_source(name, endpoint=None, timeout=5, retries=10, retry_delay=3, sleep=time.sleep,
                    clock=time.monotonic, token_ttl=TOKEN_TTL_SECONDS):
    """The adapter for the cloud ``name`` (one of ``SOURCES``)."""
    if name not in _ADAPTERS:
        raise MetadataError("unknown metadata source %r (one of %s)" % (name, ", ".join(SOURCES)))
    return _ADAPTERS[name](endpoint=endpoint, timeout=timeout, retries=retries,
                           retry_delay=retry_delay, sleep=sleep, clock=clock, token_ttl=token_ttl)


def _epoch_of(timestamp):
    """Seconds since the epoch of an IMDS ``Expiration`` (``2026-12-07T10:00:00Z``)."""
    return calendar.timegm(time.strptime(timestamp.strip(), "%Y-%m-%dT%H:%M:%SZ"))


def instance_credentials(source):
    """The instance profile's temporary credentials, read from ``iam/security-credentials/``.

    The first listed role is the instance profile's (an instance profile holds one role).
    Raises MetadataError when there is no role or the document is not a successful one.
    """
    listing = source.read("iam/security-credentials/", missing_ok=True)
    roles = [line.strip() for line in (listing or "").splitlines() if line.strip()]
    if not roles:
        raise MetadataError("%s metadata: the instance has no instance profile role" % source.name)
    text = source.read("iam/security-credentials/" + roles[0])
    try:
        doc = json.loads(text)
        if doc.get("Code", "Success") != "Success":
            raise MetadataError("%s metadata: credentials of role %s: %s" % (source.name, roles[0], doc.get("Code")))
        return Credentials(doc["AccessKeyId"], doc["SecretAccessKey"], doc.get("Token") or None,
                           _epoch_of(doc["Expiration"]))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # Never show the document: it holds the secret key.
        raise MetadataError("%s metadata: credentials of role %s are not a credentials document (%s)"
                            % (source.name, roles[0], type(exc).__name__))
