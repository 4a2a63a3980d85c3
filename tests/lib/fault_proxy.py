"""The one HTTP proxy the tests and benchmarks put in front of the AWS stand-in (stdlib only).

Point ``AWS_ENDPOINT_URL`` (or a module's ``endpoint_url``) at ``proxy.url``. Every request is
forwarded to the upstream (moto on 127.0.0.1) unchanged and counted by ``(service, action)``:

- service: the SigV4 credential scope of the ``Authorization`` header
  (``Credential=<key>/<date>/<region>/<service>/aws4_request``), else the host's first label;
- action: the ``X-Amz-Target`` header for JSON APIs (``Logs_20140328.PutLogEvents`` ->
  ``PutLogEvents``), ``Action=`` in the form body or the query string for query APIs
  (EC2, Auto Scaling, ELB, CloudWatch, IAM, ...), ``x-acs-action`` for Alibaba Cloud's RPC APIs,
  else ``<METHOD> <path>`` with ids replaced by ``{id}`` for REST APIs (Route 53, S3, ...).

Nothing is excluded from the counts: retries, waiters and failed calls count like any other
request. On top of forwarding, the proxy can answer a request with a fault instead:

- queued faults (:meth:`FaultProxy.inject`): the next requests get the given kinds, in order;
- a seeded storm (:meth:`FaultProxy.storm`): a fixed fraction of requests, chosen by a seeded
  random generator, get throttling, 5xx or connection-reset faults;
- hooks (:meth:`FaultProxy.on`): a callable runs when the N-th request of an operation arrives
  (before it is forwarded, after moto carried it out but before its answer goes back, or when
  the next request after it arrives) -- e.g. :class:`TreeKiller` SIGKILLs an ansible-playbook
  run at that exact API call.

Fault kinds (:data:`FAULT_KINDS`):

- ``throttle``: the throttling error in the service's own documented shape (see
  :func:`throttle_response`);
- ``5xx``: HTTP 500 ``InternalError``/``InternalFailure`` in the service's shape;
- ``503``: HTTP 503 with an HTML body, as a load balancer in front of a service answers;
- ``reset``: the connection is reset (TCP RST) without an answer; nothing is forwarded;
- ``lost``: forwarded (moto carries it out) but answered 503, as when a create's answer is lost;
- ``denied``: HTTP 403 access denied in the service's shape (not retryable);
- ``pass``: forwarded unchanged (a placeholder in an :meth:`~FaultProxy.inject` queue).

Requests to moto's own API (``/moto-api/``) are forwarded and never faulted.
"""

import json
import os
import random
import re
import signal
import socket
import struct
import threading
import time
from collections import Counter, deque
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

FAULT_KINDS = ("throttle", "5xx", "503", "reset", "lost", "denied", "pass")

# Hop-by-hop and per-connection headers that the proxy sets itself.
_SKIP_RESPONSE_HEADERS = frozenset(["transfer-encoding", "connection", "content-length", "keep-alive",
                                    "server", "date"])
# REST path segments that are names or ids rather than fixed words.
_VARIABLE_SEGMENT = re.compile(r"^(?=.*[0-9])[A-Za-z0-9._:%-]{6,}$|^arn(:|%3A)", re.IGNORECASE)
_API_VERSION_SEGMENT = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# ---------------------------------------------------------------------------------------------
# Classification

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


# ---------------------------------------------------------------------------------------------
# Error answers in each protocol's documented shape

# Services whose API is the JSON protocol (X-Amz-Target), by SigV4 scope; the JSON shape is
# also used for any request that carries X-Amz-Target.
_REST_XML_SERVICES = frozenset(["route53", "s3", "cloudfront"])


def protocol_of(service, headers):
    """``"ec2"``, ``"json"``, ``"rest-xml"`` or ``"query"`` (the protocol the answer must speak)."""
    if headers.get("X-Amz-Target") or "amz-json" in (headers.get("Content-Type") or ""):
        return "json"
    if service == "ec2":
        return "ec2"
    if service in _REST_XML_SERVICES:
        return "rest-xml"
    return "query"


def error_response(service, headers, status, code, message, sender=True):
    """``(status, content type, body)`` of an AWS error answer in the service's protocol.

    - EC2 query API: ``<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/>``
      (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html, "Example
      error response");
    - the other query APIs (Elastic Load Balancing, Auto Scaling, IAM, CloudWatch, STS) and
      Route 53's REST-XML API: ``<ErrorResponse><Error><Type/><Code/><Message/></Error>
      <RequestId/></ErrorResponse>`` (https://smithy.io/2.0/aws/protocols/aws-query-protocol.html
      "Operation error serialization", https://docs.aws.amazon.com/Route53/latest/APIReference/requests-rest-responses.html);
    - JSON APIs (Resource Groups Tagging, ACM, ...): ``{"__type": code, "message": ...}`` with
      the code also in ``x-amzn-ErrorType``
      (https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html "Operation error serialization").
    """
    protocol = protocol_of(service, headers)
    if protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        return status, "application/x-amz-json-1.1", body, [("x-amzn-ErrorType", code)]
    if protocol == "ec2":
        body = ("<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors>"
                "<RequestID>fault-proxy</RequestID></Response>" % (code, message)).encode()
        return status, "text/xml", body, []
    body = ("<ErrorResponse><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>"
            "<RequestId>fault-proxy</RequestId></ErrorResponse>"
            % ("Sender" if sender else "Receiver", code, message)).encode()
    return status, "text/xml", body, []


def throttle_response(service, headers):
    """The throttling answer each service documents.

    - EC2: HTTP 503 ``RequestLimitExceeded``
      (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html, common
      client error codes; https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html);
    - Auto Scaling, Elastic Load Balancing, IAM, CloudWatch, STS (query APIs): HTTP 400
      ``Throttling`` (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/CommonErrors.html,
      https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/CommonErrors.html,
      https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html,
      https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CommonErrors.html);
    - Route 53: HTTP 400 ``Throttling``
      (https://docs.aws.amazon.com/Route53/latest/APIReference/CommonErrors.html);
    The protocol is the request's (a JSON request gets the JSON shape): botocore 1.44 calls
    CloudWatch through its JSON protocol, so CloudWatch gets ``ThrottlingException`` here.

    - JSON APIs: HTTP 400 ``ThrottlingException``
      (https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html#API_GetResources_Errors,
      https://docs.aws.amazon.com/acm/latest/APIReference/CommonErrors.html).
    """
    protocol = protocol_of(service, headers)
    if protocol == "ec2":
        return error_response(service, headers, 503, "RequestLimitExceeded", "Request limit exceeded.")
    if protocol == "json":
        return error_response(service, headers, 400, "ThrottlingException", "Rate exceeded")
    return error_response(service, headers, 400, "Throttling", "Rate exceeded")


def server_error_response(service, headers):
    """HTTP 500 ``InternalError`` (EC2) / ``InternalFailure`` (the others), as the common
    errors pages above list them."""
    if protocol_of(service, headers) == "ec2":
        return error_response(service, headers, 500, "InternalError", "An internal error has occurred")
    return error_response(service, headers, 500, "InternalFailure",
                          "The request processing has failed because of an unknown error", sender=False)


def denied_response(service, headers):
    if protocol_of(service, headers) == "ec2":
        return error_response(service, headers, 403, "UnauthorizedOperation",
                              "You are not authorized to perform this operation.")
    return error_response(service, headers, 403, "AccessDenied", "User is not authorized")


def fault_response(kind, service, headers):
    """``(status, content type, body, extra headers)`` answering a request with ``kind``."""
    if kind in ("503", "lost"):
        return 503, "text/html", b"<html><body>Service Unavailable</body></html>", []
    if kind == "denied":
        return denied_response(service, headers)
    if kind == "5xx":
        return server_error_response(service, headers)
    if kind == "throttle":
        return throttle_response(service, headers)
    raise ValueError("no answer for fault kind %r" % kind)


# ---------------------------------------------------------------------------------------------
# Processes: kill an ansible-playbook run and everything below it

def process_tree(root):
    """``root`` and every process descending from it (from /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as stat:
                # pid (comm) state ppid ...; comm may hold spaces and parentheses
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def gone(pids, patience=30):
    """True once none of ``pids`` runs (a SIGKILLed process may take a moment to go)."""
    deadline = time.monotonic() + patience
    while [pid for pid in pids if alive(pid)]:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class TreeKiller:
    """A hook that SIGKILLs a process and every process below it, once.

    ansible-playbook's workers call setsid(): killing its process group would leave the worker
    and the module running. The whole tree goes, as on a crash of the controller, an OOM kill
    or a cancelled AWX job. Set ``pid`` once the process is started.
    """

    def __init__(self, pid=None):
        self.pid = pid
        self.victims = []
        self.killed = False

    def __call__(self, *_args):
        if self.killed or self.pid is None:
            return
        self.victims = process_tree(self.pid)
        for pid in self.victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.killed = True


# ---------------------------------------------------------------------------------------------
# The proxy

class Trigger:
    """A hook armed on the ``nth`` request matching ``match`` (see :meth:`FaultProxy.on`)."""

    def __init__(self, match, nth, hook, when, then):
        self.match, self.nth, self.hook, self.when, self.then = match, nth, hook, when, then
        self.seen = 0
        self.armed = False     # "next": the matching request was answered, fire on the next one
        self.fired = threading.Event()
        self.fired_on = None   # (service, action) of the request it fired on

    def matches(self, key):
        if callable(self.match):
            return self.match(key)
        if isinstance(self.match, tuple):
            return key == self.match
        return key[1] == self.match


class FaultProxy:
    """Forwards every request to ``upstream`` (``http://host:port``), counts it, and answers with
    faults or runs hooks when asked to (see the module docstring).

    ``service``: count every request under this service name (for APIs without a SigV4 scope,
    e.g. the Stream Manager API or Alibaba ROS). ``preserve_host``: forward the client's ``Host``
    header unchanged (ROS's ACS3 signature covers it). ``serial``: forward one request at a time
    and call the ``observers`` after each (to snapshot the upstream between two API calls).

    Counters: ``counts`` (every request by ``(service, action)``), ``faults`` (injected faults by
    ``(service, action, kind)``), ``served`` (``(kind, service)`` of each fault in order),
    ``forwarded`` (requests moto received), ``calls`` (``(service, action)`` of each forwarded
    request, in order), ``blocked`` (requests refused after a hook with ``then="refuse"``).
    """

    def __init__(self, upstream, host="127.0.0.1", port=0, service=None, preserve_host=False,
                 serial=False, upstream_timeout=300):
        self.upstream = urlsplit(upstream).netloc
        self.service = service
        self.preserve_host = preserve_host
        self.serial = serial
        self.upstream_timeout = upstream_timeout
        self.lock = threading.Lock()
        self.serial_lock = threading.Lock()
        self.observers = []
        self.reset()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                proxy._serve(self, body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.url = "http://%s:%d" % self.server.server_address[:2]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- configuration ------------------------------------------------------------------------

    def reset(self):
        """Forget counts, queued faults, the storm and the hooks."""
        with self.lock:
            self.counts = Counter()
            self.faults = Counter()
            self.events = []
            self.served = []
            self.calls = []
            self.forwarded = 0
            self.blocked = 0
            self.queue = deque()
            self.triggers = []
            self.refusing = False
            self._storm = None

    def inject(self, *kinds):
        """Queue faults for the next requests, one kind each (see :data:`FAULT_KINDS`)."""
        for kind in kinds:
            if kind not in FAULT_KINDS:
                raise ValueError("unknown fault kind %r" % kind)
        with self.lock:
            self.queue.extend(kinds)

    def storm(self, seed, throttle=0.2, server_error=0.0, reset=0.0, match=None, max_run=None):
        """From now on, answer a seeded fraction of requests with faults.

        Each request draws one number from ``random.Random(seed)`` in arrival order: below
        ``throttle`` it is throttled, in the next ``server_error`` it gets a 5xx answer, in the
        next ``reset`` its connection is reset. ``match(service, action)`` limits the storm to
        some requests. ``max_run``: at most that many faults in a row (AWS's own throttling
        lets a caller through after a backoff; an unbounded run would only test the retry cap).
        """
        with self.lock:
            self._storm = dict(rng=random.Random(seed), throttle=throttle, server_error=server_error,
                               reset=reset, match=match, max_run=max_run, run=0)

    def calm(self):
        """Stop the storm."""
        with self.lock:
            self._storm = None

    def on(self, match, hook, nth=1, when="after", then="drop"):
        """Run ``hook(key)`` on the ``nth`` request matching ``match`` (an action name, a
        ``(service, action)`` tuple or a predicate of that tuple); returns a :class:`Trigger`.

        ``when``: ``"before"`` -- before forwarding (the call is not carried out);
        ``"after"`` -- after moto carried it out, before the answer goes back (the answer is
        lost); ``"next"`` -- when the next request after the answered one arrives (the hook
        falls between two API calls; that next request is not forwarded).
        ``then``: what the request that fired gets -- ``"drop"`` (the connection closes with no
        answer) or ``"answer"`` (``"after"`` only: the answer goes back as usual); after the hook,
        every later request is refused with a 503 when ``then="refuse"`` (``"drop"`` too
        for the firing request), until :meth:`reset`.
        """
        if when not in ("before", "after", "next") or then not in ("drop", "answer", "refuse"):
            raise ValueError("when=%r then=%r" % (when, then))
        trigger = Trigger(match, nth, hook, when, then)
        with self.lock:
            self.triggers.append(trigger)
        return trigger

    # -- results ------------------------------------------------------------------------------

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

    def fault_counts(self, by="service"):
        """Injected faults summed by ``"service"``, ``"kind"`` or ``"action"``."""
        index = {"service": 0, "action": 1, "kind": 2}[by]
        out = Counter()
        for key, count in self.faults.items():
            out[key[index]] += count
        return out

    # -- serving ------------------------------------------------------------------------------

    def _pick_fault(self, key, path):
        """The fault kind for this request (or None), under ``self.lock``."""
        if path.startswith("/moto-api"):
            return None
        if self.queue:
            kind = self.queue.popleft()
            return None if kind == "pass" else kind
        storm = self._storm
        if storm is None or (storm["match"] and not storm["match"](*key)):
            return None
        draw = storm["rng"].random()
        kind = None
        if draw < storm["throttle"]:
            kind = "throttle"
        elif draw < storm["throttle"] + storm["server_error"]:
            kind = "5xx"
        elif draw < storm["throttle"] + storm["server_error"] + storm["reset"]:
            kind = "reset"
        if kind and storm["max_run"] is not None and storm["run"] >= storm["max_run"]:
            kind = None
        storm["run"] = storm["run"] + 1 if kind else 0
        return kind

    def _triggers_for(self, key, path):
        """Triggers that fire on this request: ``(before/next, after)`` lists."""
        now, later = [], []
        if path.startswith("/moto-api"):
            return now, later
        for trigger in self.triggers:
            if trigger.fired.is_set():
                continue
            if trigger.armed:
                now.append(trigger)
                continue
            if trigger.matches(key):
                trigger.seen += 1
                if trigger.seen == trigger.nth:
                    (now if trigger.when == "before" else later).append(trigger)
        return now, later

    def _fire(self, triggers, key):
        for trigger in triggers:
            trigger.fired_on = key
            trigger.hook(key)
            trigger.fired.set()
            if trigger.then == "refuse":
                self.refusing = True

    def _serve(self, handler, body):
        key = classify(handler.command, handler.path, handler.headers, body)
        if self.service:
            key = (self.service, key[1])
        with self.lock:
            self.counts[key] += 1
            self.events.append((time.time(), key))
            if self.refusing:
                self.blocked += 1
                kind, now, later = "refused", [], []
            else:
                now, later = self._triggers_for(key, handler.path)
                kind = None if (now or later) else self._pick_fault(key, handler.path)
                if kind:
                    self.faults[key + (kind,)] += 1
                    self.served.append((kind, key[0]))
        if kind == "refused":
            return self._answer(handler, 503, [("Content-Type", "text/plain")], b"refused after a hook")
        if now:
            self._fire(now, key)
            return self._drop(handler)
        if kind == "reset":
            return self._drop(handler, rst=True)
        if kind and kind != "lost":
            status, ctype, payload, extra = fault_response(kind, key[0], handler.headers)
            return self._answer(handler, status, [("Content-Type", ctype)] + extra, payload)
        if self.serial:
            with self.serial_lock:
                status, headers, payload = self._forward_and_note(handler, body, key)
        else:
            status, headers, payload = self._forward_and_note(handler, body, key)
        # "next" triggers arm once this request was answered by moto; they fire on the next one
        with self.lock:
            for trigger in later:
                if trigger.when == "next":
                    trigger.armed = True
        later = [t for t in later if t.when == "after"]
        if later:
            self._fire(later, key)
            if any(t.then != "answer" for t in later):
                return self._drop(handler)
        if kind == "lost":
            status, ctype, payload, extra = fault_response(kind, key[0], handler.headers)
            headers = [("Content-Type", ctype)] + extra
        return self._answer(handler, status, headers, payload)

    def _forward_and_note(self, handler, body, key):
        result = self.forward(handler.command, handler.path, handler.headers, body)
        with self.lock:
            self.forwarded += 1
            self.calls.append(key)
        for observer in self.observers:
            observer(key)
        return result

    @staticmethod
    def _answer(handler, status, headers, payload):
        handler.send_response(status)
        for name, value in headers:
            if name.lower() not in _SKIP_RESPONSE_HEADERS:
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(payload)

    @staticmethod
    def _drop(handler, rst=False):
        """Close the client's connection without an answer (with a TCP reset when ``rst``)."""
        handler.close_connection = True
        if rst:
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        try:
            handler.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def forward(self, method, path, headers, body):
        conn = HTTPConnection(self.upstream, timeout=self.upstream_timeout)
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

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self):
        self.thread.start()
        return self

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()


# The benchmark's name for it: a FaultProxy with no faults configured only forwards and counts.
CountingProxy = FaultProxy
