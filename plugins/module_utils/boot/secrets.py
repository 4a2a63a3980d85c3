# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets read at boot from the cloud's secret store, one adapter per store (no Ansible on the host).

Secrets never travel in user data: the user data names a secret (a *reference*), the boot code
reads its value with the instance's own credentials. API::

    store = secret_store(reference, metadata, endpoint=None, timeout=5, deadline_seconds=180)
    value = store.read()                      the secret's text; raises SecretError
    value = read_secret(reference, metadata, endpoint=None, ...)      the same in one call
    parse_reference("ssm:/streamfleet/ams/mongodb") -> ("ssm", "/streamfleet/ams/mongodb", None)
    STORES                                    the store names a reference may start with

References are ``<store>:<name>[#<json key>]``:

``ssm:<parameter name or ARN>``
    AWS Systems Manager Parameter Store, ``GetParameter`` with ``WithDecryption=true`` (a
    SecureString is decrypted with the parameter's KMS key). API Reference:
    https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html
``secretsmanager:<secret name or ARN>[#key]``
    AWS Secrets Manager, ``GetSecretValue`` of the ``AWSCURRENT`` version; ``#key`` picks one
    key of a JSON ``SecretString`` (the layout the console's "key/value" secrets use). API
    Reference: https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html

Both AWS stores speak the JSON 1.1 protocol: one ``POST /`` to ``https://<service>.<region>.
amazonaws.com`` with ``X-Amz-Target: <prefix>.<Operation>`` and ``Content-Type:
application/x-amz-json-1.1``, signed with Signature Version 4 by ``drain/sigv4.py`` (the one
signer of the boot code) with the instance profile's temporary credentials, read from the
instance metadata service in its token mode (IMDSv2, ``boot/metadata.py``). The region is the
instance's own (``placement/region``) unless given.

An adapter is a subclass of ``SecretStore`` naming its ``store`` (the reference prefix) and the
``cloud`` whose metadata adapter gives it credentials, and implementing ``_read_once(name)``:
return the text, raise ``Retry`` for what may heal (throttling, 5xx, a connection refused,
credentials not there yet, IAM's eventual consistency) or ``SecretError`` for what cannot. The
base class owns the bounded backoff. An Alibaba Cloud adapter (KMS ``GetSecretValue`` or OOS
``GetSecretParameter`` with ``WithDecryption``, RAM role credentials from ECS metadata
``ram/security-credentials/``, Alibaba's RPC signature) plugs in the same way with
``store = "alicloud-kms"`` / ``"alicloud-oos"`` and ``cloud = "alicloud"``.

Messages never hold a secret value or a credential: they name the store, the secret's name,
the endpoint and the error code. Standard library only: this runs at boot with plain ``python3``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time
from urllib.error import HTTPError, URLError
from urllib.request import Request, build_opener, ProxyHandler

from ansible_collections.streamfleet.cluster.plugins.module_utils.boot.metadata import (
    MetadataError,
    instance_credentials,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.drain.sigv4 import sign_request

DEFAULT_DEADLINE_SECONDS = 180
# Backoff between attempts: doubles from the first value up to the cap, never past the deadline.
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 20.0


class SecretError(Exception):
    """No secret value could be read (the message is safe to show)."""


class Retry(Exception):
    """A failure that may heal: the base class tries again until its deadline."""


def parse_reference(reference):
    """``(store, name, json_key or None)`` of ``<store>:<name>[#key]``; SecretError when malformed."""
    if not isinstance(reference, str) or ":" not in reference:
        raise SecretError("%r is not a secret reference (<store>:<name>, store one of %s)"
                          % (reference, ", ".join(STORES)))
    store, _sep, rest = reference.partition(":")
    if store not in STORES:
        raise SecretError("unknown secret store %r in %r (one of %s)" % (store, reference, ", ".join(STORES)))
    name, _hash, key = rest.partition("#")
    if not name or any(c.isspace() for c in name):
        raise SecretError("the secret reference %r has an empty name or white space in it" % reference)
    if _hash and not STORES[store].json_keys:
        raise SecretError("%s secrets have no keys: drop '#%s' from %r" % (store, key, reference))
    if _hash and not key:
        raise SecretError("the secret reference %r ends with an empty '#key'" % reference)
    return store, name, (key or None)


class SecretStore(object):
    """One secret of one store; ``read()`` retries what may heal until ``deadline_seconds``."""

    store = None
    cloud = None
    # True when '#key' may pick a key of a JSON secret.
    json_keys = False

    def __init__(self, name, metadata, json_key=None, endpoint=None, region=None, timeout=5,
                 deadline_seconds=DEFAULT_DEADLINE_SECONDS, sleep=time.sleep, clock=time.monotonic):
        self.name = name
        self.metadata = metadata
        self.json_key = json_key
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self.region = region
        self.timeout = timeout
        self.deadline_seconds = max(0.0, float(deadline_seconds))
        self._sleep = sleep
        self._clock = clock
        # Secret stores are reached directly: a proxy from the environment must never see the
        # signed request (or the answer, which holds the secret).
        self._opener = build_opener(ProxyHandler({}))

    def describe(self):
        return "%s secret %s" % (self.store, self.name)

    def _read_once(self):
        raise NotImplementedError

    def read(self):
        """The secret's text; SecretError after the deadline or at once on what cannot heal."""
        give_up_at = self._clock() + self.deadline_seconds
        backoff = FIRST_BACKOFF_SECONDS
        attempts = 0
        while True:
            attempts += 1
            try:
                value = self._read_once()
                return self._pick(value)
            except Retry as exc:
                last = str(exc)
            left = give_up_at - self._clock()
            if left <= 0:
                raise SecretError("%s: %s (gave up after %d attempt(s) in %d s)"
                                  % (self.describe(), last, attempts, self.deadline_seconds))
            self._sleep(min(backoff, left))
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _pick(self, value):
        if value is None or value == "":
            raise SecretError("%s is empty" % self.describe())
        if self.json_key is None:
            return value
        try:
            doc = json.loads(value)
        except ValueError:
            raise SecretError("%s is not JSON, so it has no key %r" % (self.describe(), self.json_key))
        if not isinstance(doc, dict) or self.json_key not in doc:
            raise SecretError("%s has no key %r" % (self.describe(), self.json_key))
        picked = doc[self.json_key]
        if not isinstance(picked, str) or not picked:
            raise SecretError("%s key %r is not a non-empty string" % (self.describe(), self.json_key))
        return picked


class _AwsJsonStore(SecretStore):
    """An AWS JSON 1.1 API read with the instance profile's credentials."""

    cloud = "aws"
    service = None
    target_prefix = None
    operation = None
    # Error codes after which a new attempt may succeed (IAM and credentials settle within
    # seconds of a launch; throttling and internal errors pass).
    retryable_codes = frozenset(("ThrottlingException", "Throttling", "TooManyRequestsException",
                                 "InternalServerError", "InternalFailure", "InternalServiceError",
                                 "ServiceUnavailable", "AccessDeniedException", "UnrecognizedClientException",
                                 "ExpiredTokenException", "InvalidSignatureException"))

    def __init__(self, *args, **kwargs):
        super(_AwsJsonStore, self).__init__(*args, **kwargs)
        self._credentials = None

    def request_body(self):
        raise NotImplementedError

    def value_of(self, answer):
        raise NotImplementedError

    def _url(self, region):
        if self.endpoint:
            return self.endpoint + "/"
        suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
        return "https://%s.%s.%s/" % (self.service, region, suffix)

    def _region(self):
        if not self.region:
            try:
                self.region = self.metadata.get("region")
            except MetadataError as exc:
                raise Retry("no region from the instance metadata: %s" % exc)
        return self.region

    def _creds(self):
        if self._credentials is None or self._credentials.expiration - time.time() < 300:
            try:
                self._credentials = instance_credentials(self.metadata)
            except MetadataError as exc:
                # Right after a launch the instance profile's credentials may not be there yet.
                raise Retry("no instance profile credentials: %s" % exc)
        return self._credentials

    def _read_once(self):
        region = self._region()
        url = self._url(region)
        body = json.dumps(self.request_body(), sort_keys=True).encode("utf-8")
        headers = sign_request("POST", url, body, region, self.service, self._creds(), headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "%s.%s" % (self.target_prefix, self.operation)})
        try:
            with self._opener.open(Request(url, data=body, method="POST", headers=headers),
                                   timeout=self.timeout) as response:
                text = response.read()
        except HTTPError as exc:
            code = _aws_error_code(exc)
            what = "%s %s at %s: HTTP %d %s" % (self.operation, self.name, url, exc.code, code)
            if exc.code >= 500 or code in self.retryable_codes:
                if code in ("ExpiredTokenException", "UnrecognizedClientException", "InvalidSignatureException"):
                    self._credentials = None
                raise Retry(what)
            raise SecretError("%s: %s" % (self.describe(), what))
        except (URLError, OSError, ValueError) as exc:
            raise Retry("%s at %s: %s" % (self.operation, url, getattr(exc, "reason", None) or exc))
        try:
            answer = json.loads(text.decode("utf-8"))
        except ValueError:
            raise SecretError("%s: %s answered with something that is not JSON" % (self.describe(), url))
        if not isinstance(answer, dict):
            raise SecretError("%s: %s answered with JSON that is not an object" % (self.describe(), url))
        return self.value_of(answer)


def _aws_error_code(exc):
    """The ``__type`` of an AWS JSON error answer (``ParameterNotFound``), without its namespace."""
    try:
        doc = json.loads(exc.read().decode("utf-8"))
        code = doc.get("__type") or doc.get("code") or ""
    except (ValueError, AttributeError, OSError):
        code = ""
    # "com.amazonaws.ssm#ParameterNotFound" and "...:http://internal.amazon.com/..." forms.
    return code.rsplit("#", 1)[-1].split(":", 1)[0] or "no error code"


class AwsSsmParameter(_AwsJsonStore):
    """SSM Parameter Store: ``GetParameter`` ``{"Name": ..., "WithDecryption": true}``.

    Answer: ``{"Parameter": {"Name", "Type", "Value", "Version", "ARN", "DataType",
    "LastModifiedDate", ...}}``; ``Value`` is the plain text of a decrypted SecureString.
    """

    store = "ssm"
    service = "ssm"
    target_prefix = "AmazonSSM"
    operation = "GetParameter"

    def request_body(self):
        return {"Name": self.name, "WithDecryption": True}

    def value_of(self, answer):
        parameter = answer.get("Parameter")
        if not isinstance(parameter, dict) or not isinstance(parameter.get("Value"), str):
            raise SecretError("%s: the answer has no Parameter.Value" % self.describe())
        return parameter["Value"]


class AwsSecretsManager(_AwsJsonStore):
    """Secrets Manager: ``GetSecretValue`` ``{"SecretId": ...}`` (the ``AWSCURRENT`` version).

    Answer: ``{"ARN", "Name", "VersionId", "SecretString" or "SecretBinary", "VersionStages",
    "CreatedDate"}``; only text secrets (``SecretString``) are accepted.
    """

    store = "secretsmanager"
    service = "secretsmanager"
    target_prefix = "secretsmanager"
    operation = "GetSecretValue"
    json_keys = True

    def request_body(self):
        return {"SecretId": self.name}

    def value_of(self, answer):
        if isinstance(answer.get("SecretString"), str):
            return answer["SecretString"]
        if "SecretBinary" in answer:
            raise SecretError("%s is binary (SecretBinary); store the password as text" % self.describe())
        raise SecretError("%s: the answer has no SecretString" % self.describe())


STORES = {adapter.store: adapter for adapter in (AwsSsmParameter, AwsSecretsManager)}

# The Alibaba Cloud adapter lives in its own file; importing it adds it to STORES (it needs the
# base classes above, so it is imported last).
from ansible_collections.streamfleet.cluster.plugins.module_utils.boot import secrets_alicloud  # noqa: E402,F401  pylint: disable=unused-import


def secret_store(reference, metadata, endpoint=None, region=None, timeout=5,
                 deadline_seconds=DEFAULT_DEADLINE_SECONDS, sleep=time.sleep, clock=time.monotonic):
    """The adapter reading ``reference`` with the credentials of ``metadata`` (a metadata adapter)."""
    store, name, key = parse_reference(reference)
    adapter = STORES[store]
    if metadata.name != adapter.cloud:
        raise SecretError("the %s store needs %s instance metadata, not %s" % (store, adapter.cloud, metadata.name))
    return adapter(name, metadata, json_key=key, endpoint=endpoint, region=region, timeout=timeout,
                   deadline_seconds=deadline_seconds, sleep=sleep, clock=clock)


def read_secret(reference, metadata, **kwargs):
    """The text of the secret ``reference`` (see ``secret_store`` for the keyword arguments)."""
    return secret_store(reference, metadata, **kwargs).read()
