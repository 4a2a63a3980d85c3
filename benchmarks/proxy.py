"""A counting HTTP proxy for AWS API calls (stdlib only).

Put it in front of an AWS emulator and point ``AWS_ENDPOINT_URL`` at it: every request is
forwarded unchanged and counted by ``(service, action)``:

- service: the SigV4 credential scope of the ``Authorization`` header
  (``Credential=<key>/<date>/<region>/<service>/aws4_request``), else the host's first label;
- action: the ``X-Amz-Target`` header for JSON APIs (``Logs_20140328.PutLogEvents`` ->
  ``PutLogEvents``), ``Action=`` in the form body or the query string for query APIs
  (EC2, Auto Scaling, ELB, CloudWatch, ...), else ``<METHOD> <path>`` with ids replaced by
  ``{id}`` for REST APIs (Route 53, S3, ...).

Nothing is excluded: retries, waiters and failed calls count like any other request.
"""

import re
import threading
import time
from collections import Counter
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# Hop-by-hop and per-connection headers that the proxy sets itself.
_SKIP_RESPONSE_HEADERS = frozenset(["transfer-encoding", "connection", "content-length", "keep-alive"])
# REST path segments that are names or ids rather than fixed words.
_VARIABLE_SEGMENT = re.compile(r"^(?=.*[0-9])[A-Za-z0-9._:%-]{6,}$|^arn(:|%3A)", re.IGNORECASE)
_API_VERSION_SEGMENT = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def service_of(headers, host=""):
    """Service name from the SigV4 credential scope, else from the host name."""
    auth = headers.get("Authorization") or ""
    if "Credential=" in auth:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        if len(scope) >= 5:
            return scope[3]
    host = (host or headers.get("Host") or "").split(":", 1)[0]
    if host and not host.replace(".", "").isdigit() and host != "localhost":
        return host.split(".", 1)[0]
    return "unknown"


def _rest_action(method, path):
    segments = []
    for segment in path.split("/"):
        if not segment:
            continue
        if _VARIABLE_SEGMENT.match(segment) and not _API_VERSION_SEGMENT.match(segment):
            segments.append("{id}")
        else:
            segments.append(segment)
    return "%s /%s" % (method, "/".join(segments))


def action_of(method, path, headers, body=b""):
    """Operation name of one request (see the module docstring for the rules)."""
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    # Alibaba Cloud's RPC APIs (ROS) name the action in a header (V3 signature) or the query.
    acs_action = headers.get("x-acs-action")
    if acs_action:
        return acs_action
    split = urlsplit(path)
    query = parse_qs(split.query)
    if "Action" in query:
        return query["Action"][0]
    content_type = (headers.get("Content-Type") or "").lower()
    if body and "x-www-form-urlencoded" in content_type:
        form = parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0]
    return _rest_action(method, split.path)


def classify(method, path, headers, body=b"", host=""):
    """``(service, action)`` of one request."""
    return service_of(headers, host), action_of(method, path, headers, body)


class CountingProxy:
    """Forwards every request to ``upstream`` (``http://host:port``) and counts it.

    ``take()`` returns the counts since the previous ``take()`` and starts a new period;
    ``take_events()`` the ``(time.time(), (service, action))`` of each request in that period
    (to attribute requests to the Ansible task that ran at that time).

    ``service``: count every request under this service name (for APIs without a SigV4
    scope, e.g. the Stream Manager API or Alibaba ROS). ``preserve_host``: forward the
    client's ``Host`` header unchanged (ROS's ACS3 signature covers it).
    """

    def __init__(self, upstream, host="127.0.0.1", port=0, service=None, preserve_host=False):
        self.upstream = urlsplit(upstream).netloc
        self.service = service
        self.preserve_host = preserve_host
        self.lock = threading.Lock()
        self.counts = Counter()
        self.events = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                key = classify(self.command, self.path, self.headers, body)
                if proxy.service:
                    key = (proxy.service, key[1])
                with proxy.lock:
                    proxy.counts[key] += 1
                    proxy.events.append((time.time(), key))
                status, headers, payload = proxy.forward(self.command, self.path, self.headers, body)
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in _SKIP_RESPONSE_HEADERS:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.url = "http://%s:%d" % self.server.server_address[:2]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def forward(self, method, path, headers, body):
        conn = HTTPConnection(self.upstream, timeout=300)
        dropped = ("connection",) if self.preserve_host else ("host", "connection")
        try:
            if self.preserve_host:
                conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
                for name, value in headers.items():
                    if name.lower() not in dropped:
                        conn.putheader(name, value)
                if body or method in ("POST", "PUT", "PATCH"):
                    if "content-length" not in (k.lower() for k in headers.keys()):
                        conn.putheader("Content-Length", str(len(body)))
                conn.endheaders(body)
            else:
                conn.request(method, path, body=body,
                             headers={k: v for k, v in headers.items() if k.lower() not in dropped})
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()

    def start(self):
        self.thread.start()
        return self

    def take(self):
        """Counter of ``(service, action)`` since the last call; resets the count."""
        with self.lock:
            counts, self.counts = self.counts, Counter()
        return counts

    def take_events(self):
        """``[(time.time(), (service, action)), ...]`` since the last call; resets the list."""
        with self.lock:
            events, self.events = self.events, []
        return events

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
