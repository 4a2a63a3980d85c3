# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client for the Red5 Pro Stream Manager REST API 4.0 (Stream Manager 1.x).

The API wants the access token as the ``accessToken`` query parameter. The token therefore
travels in every URL, so this client never puts a URL with the token into a message, a
result or an exception: everything that leaves it goes through ``redact()``.

Answers are read tolerantly (see docs/streammanager-api.md for the shapes and their sources):
the readiness call answers in plain text (the name of the active cloud controller), the
configuration calls answer JSON with or without their ``policy``/``launchconfig`` envelope,
node groups and nodes answer bare JSON objects and lists, errors answer
``{"errorMessage": ..., "timestamp": ...}`` or, from a balancer or the servlet container,
an HTML page. Every failure names the URL (token redacted), the HTTP status and the first
line of the body.

The module side lives here too: ``run_module()`` is the one ``main()`` of the create/update
modules, ``document_converger()`` the read/compare/write of scale policies and launch
configurations.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import random
import re
import socket
import ssl
import time
from http.client import HTTPException
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.urls import SSLValidationError, open_url

from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import (
    StreamfleetModule,
    ValidationError,
    check_input,
)

API_PREFIX = "/streammanager/api/4.0/admin"
SCALE_POLICY_TYPE = "com.red5pro.services.autoscaling.model.ScalePolicyMaster"
ROLES = ("origin", "edge", "relay", "transcoder")
INSERVICE = "inservice"
# States after which a node no longer counts as a member of its group.
GONE_STATES = ("terminating", "terminated", "deleted")
# One API call may not wait longer than this, whatever the user sets: a hung balancer must
# not hold a play for an hour.
MAX_REQUEST_TIMEOUT = 300
# Statuses that say "not up yet" rather than "wrong request": the balancer has no healthy
# target (502/503/504), the servlet container is up but the webapp is still deploying (404).
NOT_READY_STATUS = (404, 500, 502, 503, 504)

STREAMMANAGER_ARGUMENT_SPEC = dict(
    base_url=dict(type="str", required=True),
    access_token=dict(type="str", required=True, no_log=True,
                      fallback=(env_fallback, ["RED5PRO_SM_ACCESS_TOKEN"])),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path"),
    timeout=dict(type="int", default=30),
    retries=dict(type="int", default=3),
    retry_delay=dict(type="float", default=1.0),
)

_TOKEN_IN_QUERY = re.compile(r"(accessToken=)[^&\s'\"]*", re.IGNORECASE)
_RETRIABLE_STATUS = (500, 502, 503, 504)
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_HTML_TAG = re.compile(r"<[^>]+>")
_HTML_SKIP = re.compile(r"<(script|style|head)[^>]*>.*?</\1>", re.IGNORECASE | re.DOTALL)


def streammanager_argument_spec(**extra):
    """The shared connection options plus a module's own ``extra`` options."""
    spec = dict((key, dict(value)) for key, value in STREAMMANAGER_ARGUMENT_SPEC.items())
    spec.update(extra)
    return spec


# -- tolerant reading of answers --------------------------------------------------------------
def parse_body(raw):
    """Decode an answer body: the JSON value when it is JSON, else the stripped text.

    An empty body (or only white space) is None. Plain text is what the readiness call answers
    ("Amazon Web Services"); a JSON string is returned as that string.
    """
    text = to_text(raw or b"", errors="surrogate_or_replace").strip()
    if not text:
        return None
    if text[0] in "{[\"" or text in ("true", "false", "null") or re.match(r"^-?\d", text):
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


def first_line(raw, limit=200):
    """The first meaningful line of a body, for messages: an HTML page's title or first text
    line, a JSON error's message, else the first non-empty line of the text."""
    data = parse_body(raw)
    if data is None:
        return ""
    if isinstance(data, dict):
        for key in ("errorMessage", "message", "error", "detail"):
            if data.get(key):
                return first_line(to_text(data[key]), limit)
        data = json.dumps(data, sort_keys=True)
    elif not isinstance(data, str):
        data = json.dumps(data)
    text = data
    if re.search(r"<\s*(html|!doctype|body|title|h1)\b", text, re.IGNORECASE):
        title = _HTML_TITLE.search(text)
        if title and title.group(1).strip():
            text = title.group(1)
        else:
            text = _HTML_TAG.sub("\n", _HTML_SKIP.sub("", text))
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            return line[:limit]
    return ""


def unwrap(data, envelope):
    """A document with or without its envelope (``{"policy": {...}}`` or ``{...}``)."""
    if isinstance(data, dict) and isinstance(data.get(envelope), dict):
        return data[envelope]
    return data


def as_list(data):
    """A JSON list, a list inside a one-key wrapper object, or nothing (empty body)."""
    if data is None:
        return []
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        lists = [value for value in data.values() if isinstance(value, list)]
        if len(lists) == 1:
            return lists[0]
    return None


def as_int(value, default=0):
    """A number the server may send as 2, 2.0, "2" or "2.0" (the vendor's scripts send floats)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return default


class StreamManagerError(Exception):
    """An API call failed; ``status`` is the HTTP status or None for a transport error."""

    def __init__(self, message, status=None, server_message=None, method=None, path=None, url=None):
        super(StreamManagerError, self).__init__(message)
        self.message = message
        self.status = status
        self.server_message = server_message
        self.method = method
        self.path = path
        self.url = url

    def to_result(self):
        return dict(status=self.status, server_message=self.server_message,
                    method=self.method, path=self.path, url=self.url)


class StreamManagerClient(object):
    """One method per API call the collection uses; answers read tolerantly."""

    def __init__(self, base_url, access_token, validate_certs=True, ca_path=None, timeout=30,
                 retries=3, retry_delay=1.0, sleep=time.sleep, clock=time.monotonic):
        base = (base_url or "").rstrip("/")
        # Users often paste the Stream Manager's web application URL; the API root is below it.
        if base.endswith("/streammanager"):
            base = base[:-len("/streammanager")]
        if not re.match(r"^https?://[^/]+", base):
            raise StreamManagerError("base_url must be an http:// or https:// URL, got %r" % base_url)
        timeout = as_int(timeout, 30)
        if not 1 <= timeout <= MAX_REQUEST_TIMEOUT:
            raise StreamManagerError("timeout must be between 1 and %d seconds, got %r"
                                     % (MAX_REQUEST_TIMEOUT, timeout))
        self.base_url = base
        self.access_token = access_token or ""
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.retry_delay = max(0.0, float(retry_delay))
        self.sleep = sleep
        self.clock = clock
        # Set by the caller (seconds on ``clock``) to bound every call and its retries.
        self.deadline = None
        self.attempts = 0

    # -- plumbing ---------------------------------------------------------------------------
    def redact(self, text):
        """Remove the access token from any text (URLs, server messages, exception texts)."""
        text = to_text(text, errors="surrogate_or_strict")
        text = _TOKEN_IN_QUERY.sub(r"\1********", text)
        if self.access_token:
            text = text.replace(self.access_token, "********")
            quoted = quote(self.access_token, safe="")
            if quoted != self.access_token:
                text = text.replace(quoted, "********")
        return text

    def _url(self, path):
        return "%s%s%s?%s" % (self.base_url, API_PREFIX, path,
                              urlencode({"accessToken": self.access_token}))

    def shown_url(self, path):
        """The URL of ``path`` as it may be shown: token replaced by asterisks."""
        return self.redact(self._url(path))

    def _backoff(self, attempt):
        # Exponential backoff with jitter so several Stream Manager clients do not retry in step.
        delay = self.retry_delay * (2 ** attempt)
        return min(delay, 30.0) * (0.5 + random.random() / 2)

    def remaining(self):
        return None if self.deadline is None else self.deadline - self.clock()

    def _error(self, method, path, text, status=None, server_message=None):
        return StreamManagerError("%s %s %s" % (method, self.shown_url(path), self.redact(text)),
                                  status=status, server_message=server_message, method=method,
                                  path=API_PREFIX + path, url=self.shown_url(path))

    def request(self, method, path, body=None, missing_ok=False):
        """Call the API; return the decoded answer (JSON value, text, or None when empty).

        ``missing_ok``: a 404 returns None instead of raising. Connection errors, timeouts and
        5xx are retried ``retries`` times with backoff, never past ``deadline``; anything else
        raises StreamManagerError naming the URL, the status and the body's first line.
        """
        data = None
        headers = {"Accept": "application/json, text/plain;q=0.9, */*;q=0.1"}
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        attempt = 0
        while True:
            timeout = self.timeout
            left = self.remaining()
            if left is not None:
                timeout = min(timeout, max(1, int(left + 0.999)))
            self.attempts += 1
            try:
                response = open_url(self._url(path), data=data, headers=headers, method=method,
                                    timeout=timeout, validate_certs=self.validate_certs,
                                    ca_path=self.ca_path, follow_redirects="safe",
                                    use_netrc=False, http_agent="streamfleet.cluster")
                return parse_body(response.read())
            except HTTPError as exc:
                try:
                    raw = exc.read()
                except Exception:
                    raw = b""
                if exc.code == 404 and missing_ok:
                    return None
                line = self.redact(first_line(raw) or to_text(exc.reason or ""))
                error = self._error(method, path, "failed with HTTP %s: %s%s" % (
                    exc.code, line or "(empty body)",
                    " (check access_token)" if exc.code in (401, 403) else ""),
                    status=exc.code, server_message=line)
                if exc.code not in _RETRIABLE_STATUS:
                    raise error
            except (URLError, OSError, HTTPException, SSLValidationError) as exc:
                reason = getattr(exc, "reason", exc)
                if isinstance(exc, SSLValidationError) or isinstance(reason, ssl.SSLError):
                    # A certificate problem does not heal by retrying.
                    raise self._error(method, path, "failed: TLS verification failed (set ca_path "
                                      "to the CA that signed the balancer's certificate): %s"
                                      % to_native(reason))
                if isinstance(reason, socket.timeout) or "timed out" in to_native(reason):
                    text = "got no answer within %d s (timeout)" % timeout
                else:
                    text = "cannot reach the Stream Manager: %s" % to_native(reason)
                error = self._error(method, path, "failed: " + text)
            left = self.remaining()
            pause = self._backoff(attempt)
            if attempt >= self.retries or (left is not None and left <= pause):
                if attempt:
                    error.message += " (after %d attempts)" % (attempt + 1)
                    error.args = (error.message,)
                raise error
            self.sleep(pause)
            attempt += 1

    def _document(self, method, path, envelope, body=None, missing_ok=False):
        data = unwrap(self.request(method, path, body, missing_ok=missing_ok), envelope)
        if data is not None and not isinstance(data, dict):
            raise self._error(method, path, "answered something that is not a JSON object: %s"
                              % first_line(data if isinstance(data, str) else json.dumps(data)))
        return data

    def _list(self, path):
        data = self.request("GET", path, missing_ok=True)
        items = as_list(data)
        if items is None:
            raise self._error("GET", path, "answered something that is not a JSON list: %s"
                              % first_line(data if isinstance(data, str) else json.dumps(data)))
        return [item for item in items if isinstance(item, dict)]

    # -- API calls --------------------------------------------------------------------------
    def cloud_controller(self):
        """Readiness: the active cloud controller's name (plain text; JSON accepted too).

        A 200 with an empty body is not ready: no controller is active.
        """
        data = self.request("GET", "/debug/cloudcontroller")
        if data in (None, "", {}, []):
            raise self._error("GET", "/debug/cloudcontroller", "answered HTTP 200 with an empty "
                              "body: no cloud controller is active", status=200, server_message="")
        return data

    def get_document(self, kind, name):
        return self._document("GET", "%s/%s" % (kind.path, _segment(name)), kind.envelope,
                              missing_ok=True)

    def create_document(self, kind, document):
        return self._document("POST", kind.path, kind.envelope, {kind.envelope: document})

    def update_document(self, kind, name, document):
        return self._document("PUT", "%s/%s" % (kind.path, _segment(name)), kind.envelope,
                              {kind.envelope: document})

    def delete_document(self, kind, name):
        # The body of a delete is not used; whatever it is (empty, text, JSON) is fine.
        return self.request("DELETE", "%s/%s" % (kind.path, _segment(name)))

    def get_scale_policy(self, name):
        return self.get_document(SCALE_POLICY, name)

    def create_launch_config(self, config):
        return self.create_document(LAUNCH_CONFIG, config)

    def get_launch_config(self, name):
        return self.get_document(LAUNCH_CONFIG, name)

    def list_node_groups(self):
        return self._list("/nodegroup")

    def get_node_group(self, name):
        return self._document("GET", "/nodegroup/%s" % _segment(name), "nodegroup", missing_ok=True)

    def create_node_group(self, group):
        return self._document("POST", "/nodegroup", "nodegroup", group)

    def delete_node_group(self, name):
        return self.request("DELETE", "/nodegroup/%s" % _segment(name))

    def list_nodes(self, group):
        return self._list("/nodegroup/%s/node" % _segment(group))

    def add_origin(self, group):
        return self._document("POST", "/nodegroup/%s/node/origin" % _segment(group), "node")


class DocumentKind(object):
    """A kind of named document kept by the Stream Manager (scale policy, launch config)."""

    def __init__(self, path, envelope, result_key, label):
        self.path = path
        self.envelope = envelope
        self.result_key = result_key
        self.label = label


SCALE_POLICY = DocumentKind("/configurations/scalepolicy", "policy", "policy", "scale policy")
LAUNCH_CONFIG = DocumentKind("/configurations/launchconfig", "launchconfig", "launch_config",
                             "launch configuration")


def _segment(name):
    return quote(to_native(name), safe="")


def client_from_module(module):
    """Build a client from the shared options; fails the module on a bad base_url or timeout."""
    params = module.params
    try:
        return StreamManagerClient(
            params["base_url"], params["access_token"], validate_certs=params["validate_certs"],
            ca_path=params["ca_path"], timeout=params["timeout"], retries=params["retries"],
            retry_delay=params["retry_delay"])
    except StreamManagerError as exc:
        module.fail_json(msg=exc.message)


def fail_from_error(module, client, exc, **result):
    """Fail the module with a redacted message and the HTTP status of ``exc``."""
    details = exc.to_result() if isinstance(exc, StreamManagerError) else {}
    message = exc.message if isinstance(exc, StreamManagerError) else to_native(exc)
    result.update(details)
    module.fail_json(msg=client.redact(message), **result)


# -- the one main() of the create/update modules -------------------------------------------------
NAME_AND_STATE = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", default="present", choices=["present", "absent"]),
)


def run_module(options, converge, label, validate=None, required_if=None, rules=None):
    """Parse the options, check them, build the client, converge, report.

    ``options``: the module's own options (``name`` and ``state`` are added).
    ``rules``: the module's name in ``validation.INPUT_RULES`` (names, URL, timeouts), checked
    for every state before any call.
    ``validate(params)`` -> (errors, warnings), called with state=present before any call.
    ``converge(module, client, result)`` fills ``result`` (which also goes out on failure).
    """
    module = StreamfleetModule(
        argument_spec=streammanager_argument_spec(**dict(NAME_AND_STATE, **options)),
        required_if=required_if or [], supports_check_mode=True)
    # One failure lists every problem: the shared rules' refusals (option, value, rule) and
    # the module's own checks (duplicates, missing parts), so one rerun can fix them all.
    refused, errors, warnings = [], [], []
    if rules:
        try:
            check_input(rules, module.params)
        except ValidationError as exc:
            refused = exc.problems
    if module.params["state"] == "present" and validate:
        errors, warnings = validate(module.params)
    if refused or errors:
        messages = ([str(ValidationError(refused))] if refused else []) + (
            ["invalid %s: %s" % (label, "; ".join(errors))] if errors else [])
        module.fail_json(msg="; ".join(messages), errors=errors,
                         refused=[dict(option=o, value=v, rule=r) for o, v, r in refused])
    for warning in warnings:
        module.warn(warning)
    client = client_from_module(module)
    result = dict(changed=False)
    try:
        converge(module, client, result)
    except StreamManagerError as exc:
        fail_from_error(module, client, exc, **result)
    module.exit_json(**result)


def document_converger(kind, desired, canonical):
    """Converge for a named document (scale policy, launch configuration).

    ``desired(params)`` is the requested body; ``canonical(doc)`` turns a body (ours or the
    server's) into a normalised form, so extra fields or numbers sent as strings by the server
    do not cause endless updates. Keys of the desired body that are None keep the server's.
    """
    def converge(module, client, result):
        name = module.params["name"]
        wanted = desired(module.params) if module.params["state"] == "present" else None
        result[kind.result_key] = None
        result["diff"] = dict(before={}, after={})
        existing = client.get_document(kind, name)
        before = canonical(existing) if existing else None
        result["diff"]["before"] = before or {}
        if wanted is None:
            if before is not None:
                result["changed"] = True
                if not module.check_mode:
                    client.delete_document(kind, name)
            return
        merged = dict((key, (existing or {}).get(key) if value is None else value)
                      for key, value in wanted.items())
        after = canonical(merged)
        result[kind.result_key] = after
        result["diff"]["after"] = after
        if before == after:
            return
        result["changed"] = True
        if module.check_mode:
            return
        if before is None:
            client.create_document(kind, after)
        else:
            client.update_document(kind, name, after)
    return converge


# -- node helpers shared by the node group and info modules -------------------------------
def node_summary(node):
    """The fields of a node that the modules return, with stable snake_case names."""
    node = node if isinstance(node, dict) else {}
    return dict(
        identifier=node.get("identifier") or node.get("id") or node.get("instanceId"),
        role=node.get("role"),
        state=node.get("state"),
        address=node.get("address") or node.get("ip"),
        private_address=node.get("privateAddress"),
        region=node.get("region") or node.get("availabilityZone"),
    )


def node_state(node):
    return to_text(node.get("state") or "").lower()


def live_nodes(nodes):
    return [n for n in nodes if node_state(n) not in GONE_STATES]


def state_counts(nodes):
    counts = {}
    for node in nodes:
        state = node_state(node) or "unknown"
        counts[state] = counts.get(state, 0) + 1
    return counts


def all_inservice(nodes):
    return bool(nodes) and all(node_state(n) == INSERVICE for n in nodes)


def count_origins(nodes):
    return sum(1 for n in nodes if to_text(n.get("role") or "").lower() == "origin")
