# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client for the Red5 Pro Stream Manager REST API 4.0 (Stream Manager 1.x).

The API wants the access token as the ``accessToken`` query parameter. The token therefore
travels in every URL, so this client never puts a URL with the token into a message, a
result or an exception: everything that leaves it goes through ``redact()``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import random
import re
import ssl
import time
from http.client import HTTPException
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.module_utils.urls import SSLValidationError, open_url

API_PREFIX = "/streammanager/api/4.0/admin"
SCALE_POLICY_TYPE = "com.red5pro.services.autoscaling.model.ScalePolicyMaster"
ROLES = ("origin", "edge", "relay", "transcoder")
INSERVICE = "inservice"
# States after which a node no longer counts as a member of its group.
GONE_STATES = ("terminating", "terminated", "deleted")

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


def streammanager_argument_spec(**extra):
    """The shared connection options plus a module's own ``extra`` options."""
    spec = dict((key, dict(value)) for key, value in STREAMMANAGER_ARGUMENT_SPEC.items())
    spec.update(extra)
    return spec


class StreamManagerError(Exception):
    """An API call failed; ``status`` is the HTTP status or None for a transport error."""

    def __init__(self, message, status=None, server_message=None, method=None, path=None):
        super(StreamManagerError, self).__init__(message)
        self.message = message
        self.status = status
        self.server_message = server_message
        self.method = method
        self.path = path

    def to_result(self):
        return dict(status=self.status, server_message=self.server_message,
                    method=self.method, path=self.path)


class StreamManagerClient(object):
    """Thin JSON client: one method per API call the collection uses."""

    def __init__(self, base_url, access_token, validate_certs=True, ca_path=None, timeout=30,
                 retries=3, retry_delay=1.0, sleep=time.sleep):
        base = (base_url or "").rstrip("/")
        # Users often paste the Stream Manager's web application URL; the API root is below it.
        if base.endswith("/streammanager"):
            base = base[:-len("/streammanager")]
        if not re.match(r"^https?://[^/]+", base):
            raise StreamManagerError("base_url must be an http:// or https:// URL, got %r" % base_url)
        self.base_url = base
        self.access_token = access_token or ""
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.retry_delay = max(0.0, float(retry_delay))
        self.sleep = sleep
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

    def _backoff(self, attempt):
        # Exponential backoff with jitter so several Stream Manager clients do not retry in step.
        delay = self.retry_delay * (2 ** attempt)
        return min(delay, 30.0) * (0.5 + random.random() / 2)

    @staticmethod
    def _server_message(raw):
        text = to_text(raw or b"", errors="surrogate_or_replace").strip()
        try:
            data = json.loads(text)
        except ValueError:
            return text[:500]
        if isinstance(data, dict):
            for key in ("errorMessage", "message", "error", "detail"):
                if data.get(key):
                    return to_text(data[key])
        return text[:500]

    def request(self, method, path, body=None, missing_ok=False):
        """Call the API; return the decoded JSON (or None).

        ``missing_ok``: a 404 returns None instead of raising. Connection errors and 5xx are
        retried ``retries`` times with backoff; anything else raises StreamManagerError.
        """
        data = None
        headers = {"Accept": "application/json"}
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        shown = "%s %s%s" % (method, API_PREFIX, path)
        attempt = 0
        while True:
            self.attempts += 1
            error = None
            try:
                response = open_url(self._url(path), data=data, headers=headers, method=method,
                                    timeout=self.timeout, validate_certs=self.validate_certs,
                                    ca_path=self.ca_path, follow_redirects="safe",
                                    use_netrc=False, http_agent="streamfleet.cluster")
                raw = response.read()
                if not raw or not raw.strip():
                    return None
                try:
                    return json.loads(to_text(raw, errors="surrogate_or_strict"))
                except ValueError:
                    raise StreamManagerError(
                        "%s: the Stream Manager answered with something that is not JSON: %s"
                        % (shown, self.redact(raw[:200])), method=method, path=API_PREFIX + path)
            except HTTPError as exc:
                try:
                    raw = exc.read()
                except Exception:
                    raw = b""
                server_message = self.redact(self._server_message(raw) or exc.reason or "")
                if exc.code == 404 and missing_ok:
                    return None
                error = StreamManagerError(
                    "%s failed with HTTP %s: %s%s" % (
                        shown, exc.code, server_message or "(no message)",
                        " (check access_token)" if exc.code in (401, 403) else ""),
                    status=exc.code, server_message=server_message,
                    method=method, path=API_PREFIX + path)
                if exc.code not in _RETRIABLE_STATUS:
                    raise error
            except (URLError, OSError, HTTPException, SSLValidationError) as exc:
                reason = getattr(exc, "reason", exc)
                if isinstance(exc, SSLValidationError) or isinstance(reason, ssl.SSLError):
                    # A certificate problem does not heal by retrying.
                    raise StreamManagerError(
                        "%s: TLS verification failed (set ca_path to the CA that signed the "
                        "balancer's certificate): %s" % (shown, self.redact(to_native(reason))),
                        method=method, path=API_PREFIX + path)
                error = StreamManagerError(
                    "%s: cannot reach the Stream Manager at %s: %s"
                    % (shown, self.base_url, self.redact(to_native(reason))),
                    method=method, path=API_PREFIX + path)
            if attempt >= self.retries:
                if attempt:
                    error.message += " (after %d attempts)" % (attempt + 1)
                    error.args = (error.message,)
                raise error
            self.sleep(self._backoff(attempt))
            attempt += 1

    # -- API calls --------------------------------------------------------------------------
    @staticmethod
    def _unwrap(data, key):
        # GET answers carry the same envelope as the POST body on current releases; accept both.
        if isinstance(data, dict) and isinstance(data.get(key), dict):
            return data[key]
        return data

    def cloud_controller(self):
        return self.request("GET", "/debug/cloudcontroller")

    def get_scale_policy(self, name):
        return self._unwrap(self.request("GET", "/configurations/scalepolicy/%s" % _segment(name),
                                         missing_ok=True), "policy")

    def create_scale_policy(self, policy):
        return self.request("POST", "/configurations/scalepolicy", {"policy": policy})

    def update_scale_policy(self, name, policy):
        return self.request("PUT", "/configurations/scalepolicy/%s" % _segment(name), {"policy": policy})

    def delete_scale_policy(self, name):
        return self.request("DELETE", "/configurations/scalepolicy/%s" % _segment(name))

    def get_launch_config(self, name):
        return self._unwrap(self.request("GET", "/configurations/launchconfig/%s" % _segment(name),
                                         missing_ok=True), "launchconfig")

    def create_launch_config(self, config):
        return self.request("POST", "/configurations/launchconfig", {"launchconfig": config})

    def update_launch_config(self, name, config):
        return self.request("PUT", "/configurations/launchconfig/%s" % _segment(name),
                            {"launchconfig": config})

    def delete_launch_config(self, name):
        return self.request("DELETE", "/configurations/launchconfig/%s" % _segment(name))

    def list_node_groups(self):
        data = self.request("GET", "/nodegroup")
        return data if isinstance(data, list) else []

    def get_node_group(self, name):
        return self.request("GET", "/nodegroup/%s" % _segment(name), missing_ok=True)

    def create_node_group(self, group):
        return self.request("POST", "/nodegroup", group)

    def delete_node_group(self, name):
        return self.request("DELETE", "/nodegroup/%s" % _segment(name))

    def list_nodes(self, group):
        data = self.request("GET", "/nodegroup/%s/node" % _segment(group), missing_ok=True)
        return data if isinstance(data, list) else []

    def add_origin(self, group):
        return self.request("POST", "/nodegroup/%s/node/origin" % _segment(group))


def _segment(name):
    return quote(to_native(name), safe="")


def client_from_module(module):
    """Build a client from the shared options; fails the module on a bad base_url."""
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


def live_nodes(nodes):
    return [n for n in nodes if (n.get("state") or "").lower() not in GONE_STATES]


def state_counts(nodes):
    counts = {}
    for node in nodes:
        state = node.get("state") or "unknown"
        counts[state] = counts.get(state, 0) + 1
    return counts


def all_inservice(nodes):
    return bool(nodes) and all((n.get("state") or "").lower() == INSERVICE for n in nodes)


# -- read / compare / write for documents kept by name (scale policies, launch configs) ----
def ensure_document(module, client, name, desired, get, create, update, delete, canonical,
                    result_key):
    """Make the named document match ``desired`` (or be absent when ``desired`` is None).

    ``canonical(doc)`` turns a document (ours or the server's) into the API body shape with
    normalised types and order; the two canonical forms are compared, so extra fields or
    number-as-string answers from the server do not cause endless updates. Keys of ``desired``
    that are None are taken from the existing document (not managed).
    Returns the module result; writes nothing in check mode.
    """
    result = dict(changed=False)
    try:
        existing = get(name)
        before = canonical(existing) if existing else None
        if desired is None:
            result[result_key] = None
            if before is not None:
                result["changed"] = True
                if not module.check_mode:
                    delete(name)
        else:
            wanted = dict(desired)
            for key, value in desired.items():
                if value is None:
                    wanted[key] = (existing or {}).get(key)
            after = canonical(wanted)
            result[result_key] = after
            if before is None:
                result["changed"] = True
                if not module.check_mode:
                    create(after)
            elif before != after:
                result["changed"] = True
                if not module.check_mode:
                    update(name, after)
    except StreamManagerError as exc:
        fail_from_error(module, client, exc)
    result["diff"] = dict(before=before or {}, after=result.get(result_key) or {})
    return result
