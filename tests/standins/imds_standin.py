#!/usr/bin/env python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the EC2 instance metadata service, IMDSv2 only (a TEST DOUBLE).

    imds_standin.py --port 18169 --meta local-ipv4=10.0.3.7 --meta instance-id=i-0abc \\
        [--role streamfleet-drain]

Follows the EC2 User Guide, "Use the Instance Metadata Service to access instance metadata":

* ``PUT /latest/api/token`` with ``X-aws-ec2-metadata-token-ttl-seconds`` (1..21600) returns a
  token valid that many seconds (several tokens may be valid at once); a missing or out of range
  TTL gets 400.
* ``GET /latest/meta-data/<key>`` answers only with a valid token in ``X-aws-ec2-metadata-token``
  (none, unknown or expired: 401, as with ``HttpTokens=required``). A key ending in ``/`` lists
  the names below it, one a line (``iam/security-credentials/`` lists the role).
* ``--role NAME`` serves ``iam/security-credentials/NAME``: a credentials document as IMDS
  shapes it (``Code``, ``LastUpdated``, ``Type``, ``AccessKeyId``, ``SecretAccessKey``,
  ``Token``, ``Expiration``) holding obviously fake values, expiring ``--credentials-ttl``
  seconds after each read; each read hands out a new key id (``ASIASTANDIN0001``, ...), so a
  test sees when a client refreshed them.
* ``autoscaling/target-lifecycle-state`` is an ordinary key: a test sets it (``InService``,
  ``Warmed:Stopped``, ``Terminated``) through the control endpoint.

Control endpoint (tests only; nothing like it exists on EC2)::

    PUT    /_control/meta/<key>      body: the new value
    DELETE /_control/meta/<key>
    POST   /_control/expire-tokens   every token handed out so far becomes invalid

The unit tests start it in-process with ``start(metadata)``, which also records each request
(``calls``) and takes a ``clock`` so that token expiry needs no waiting.
Standard library only, so it runs on a bare test host.
"""

import argparse
import http.server
import json
import secrets
import sys
import threading
import time

TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"
META_PREFIX = "/latest/meta-data/"
CONTROL_PREFIX = "/_control/"
MAX_TTL = 21600


def send_text(handler, status, body=""):
    """Answer a request with a plain-text body, as both metadata services do."""
    data = body.encode("utf-8")
    handler.send_response(status)
    handler.send_header("Content-Type", "text/plain")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class MetadataState(object):
    """What the stand-in serves; safe to change from a test thread while it serves."""

    def __init__(self, metadata, role=None, credentials_ttl=21600, clock=time.monotonic, wall=time.time):
        self.lock = threading.Lock()
        self.metadata = dict(metadata)
        self.role = role
        self.credentials_ttl = credentials_ttl
        self.clock = clock
        self.wall = wall
        self.tokens = {}
        self.credentials_served = 0

    def new_token(self, ttl):
        token = secrets.token_hex(16)
        with self.lock:
            self.tokens[token] = self.clock() + ttl
        return token

    def token_valid(self, token):
        with self.lock:
            expires = self.tokens.get(token)
        return expires is not None and self.clock() < expires

    def expire_tokens(self):
        with self.lock:
            self.tokens.clear()

    def set(self, key, value):
        with self.lock:
            self.metadata[key] = value

    def delete(self, key):
        with self.lock:
            self.metadata.pop(key, None)

    def _credentials(self):
        self.credentials_served += 1
        now = self.wall()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        return json.dumps({
            "Code": "Success",
            "LastUpdated": stamp,
            "Type": "AWS-HMAC",
            "AccessKeyId": "ASIASTANDIN%04d" % self.credentials_served,
            "SecretAccessKey": "standin-secret-%04d" % self.credentials_served,
            "Token": "standin-session-token-%04d" % self.credentials_served,
            "Expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + self.credentials_ttl)),
        }, indent=2)

    def lookup(self, key):
        with self.lock:
            if self.role and key == "iam/security-credentials/" + self.role:
                return self._credentials()
            if key in self.metadata:
                return self.metadata[key]
            keys = list(self.metadata) + (["iam/security-credentials/" + self.role] if self.role else [])
        if key.endswith("/") or key == "":
            names = sorted({k[len(key):].split("/")[0] + ("/" if "/" in k[len(key):] else "")
                            for k in keys if k.startswith(key) and k != key})
            return "\n".join(names) if names else None
        return None


def make_handler(state, calls=None, quiet=False):
    """``calls``, when given, receives ``(method, path, token header sent?)`` per request."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            if not quiet:
                sys.stderr.write("imds-standin: " + (fmt % args) + "\n")

        def _record(self):
            if calls is not None:
                calls.append((self.command, self.path, bool(self.headers.get(TOKEN_HEADER))))

        def _send(self, status, body=""):
            send_text(self, status, body)

        def _body(self):
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length).decode("utf-8") if length else ""

        def do_PUT(self):
            if self.path.startswith(CONTROL_PREFIX + "meta/"):
                state.set(self.path[len(CONTROL_PREFIX + "meta/"):], self._body().strip())
                self._send(200)
                return
            self._record()
            ttl = self.headers.get(TTL_HEADER, "")
            if self.path != "/latest/api/token" or not ttl.isdigit() or not 1 <= int(ttl) <= MAX_TTL:
                self._send(400)
                return
            self._send(200, state.new_token(int(ttl)))

        def do_DELETE(self):
            if self.path.startswith(CONTROL_PREFIX + "meta/"):
                state.delete(self.path[len(CONTROL_PREFIX + "meta/"):])
                self._send(200)
            else:
                self._send(404)

        def do_POST(self):
            if self.path == CONTROL_PREFIX + "expire-tokens":
                state.expire_tokens()
                self._send(200)
            else:
                self._send(405)

        def do_GET(self):
            self._record()
            if not state.token_valid(self.headers.get(TOKEN_HEADER)):
                self._send(401)
                return
            value = state.lookup(self.path[len(META_PREFIX):]) if self.path.startswith(META_PREFIX) else None
            if value is None:
                self._send(404)
            else:
                self._send(200, value)

    return Handler


class Running(object):
    """A stand-in served from a thread: ``endpoint``, ``calls``, ``stop()`` (``state`` when set)."""

    def __init__(self, server, calls, state=None):
        self.server = server
        self.calls = calls
        self.state = state
        self.endpoint = "http://%s:%d" % server.server_address[:2]
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def start(metadata, bind="127.0.0.1", port=0, role=None, credentials_ttl=21600, clock=time.monotonic,
          wall=time.time):
    """Serve ``metadata`` on ``bind``:``port`` (0: any free port) from a thread (for tests)."""
    calls = []
    state = MetadataState(metadata, role=role, credentials_ttl=credentials_ttl, clock=clock, wall=wall)
    handler = make_handler(state, calls, quiet=True)
    return Running(http.server.ThreadingHTTPServer((bind, port), handler), calls, state)


def main(argv=None):
    parser = argparse.ArgumentParser(description="IMDSv2 stand-in (test double)")
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18169)
    parser.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--role", help="serve fake credentials of this instance profile role")
    parser.add_argument("--credentials-ttl", type=int, default=21600, help="seconds the credentials live")
    args = parser.parse_args(argv)
    metadata = dict(item.split("=", 1) for item in args.meta)
    state = MetadataState(metadata, role=args.role, credentials_ttl=args.credentials_ttl)
    server = http.server.ThreadingHTTPServer((args.bind, args.port), make_handler(state))
    sys.stderr.write("imds-standin: listening on %s:%d\n" % (args.bind, args.port))
    server.serve_forever()


if __name__ == "__main__":
    main()
