#!/usr/bin/env python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the EC2 instance metadata service, IMDSv2 only (a TEST DOUBLE).

    imds_standin.py --port 18169 --meta local-ipv4=10.0.3.7 --meta instance-id=i-0abc

``PUT /latest/api/token`` with ``X-aws-ec2-metadata-token-ttl-seconds`` returns a token;
``GET /latest/meta-data/<key>`` answers only with that token in
``X-aws-ec2-metadata-token`` (IMDSv1 requests get 401, as with ``HttpTokens=required``).
The boot-time user data of the server roles is pointed at it with ``IMDS_ENDPOINT``; the
unit tests start it in-process with ``start(metadata)``, which also records each request.
Standard library only, so it runs on a bare test host.
"""

import argparse
import http.server
import secrets
import sys
import threading


def send_text(handler, status, body=""):
    """Answer a request with a plain-text body, as both metadata services do."""
    data = body.encode("utf-8")
    handler.send_response(status)
    handler.send_header("Content-Type", "text/plain")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def make_handler(metadata, token, calls=None, quiet=False):
    """``calls``, when given, receives ``(method, path, token header sent?)`` per request."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            if not quiet:
                sys.stderr.write("imds-standin: " + (fmt % args) + "\n")

        def _record(self):
            if calls is not None:
                calls.append((self.command, self.path, bool(self.headers.get("X-aws-ec2-metadata-token"))))

        def _send(self, status, body=""):
            send_text(self, status, body)

        def do_PUT(self):
            self._record()
            if self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                self._send(200, token)
            else:
                self._send(400)

        def do_GET(self):
            self._record()
            if self.headers.get("X-aws-ec2-metadata-token") != token:
                self._send(401)
                return
            prefix = "/latest/meta-data/"
            key = self.path[len(prefix):] if self.path.startswith(prefix) else None
            if key in metadata:
                self._send(200, metadata[key])
            else:
                self._send(404)

    return Handler


class Running(object):
    """A stand-in served from a thread: ``endpoint``, ``calls``, ``stop()``."""

    def __init__(self, server, calls):
        self.server = server
        self.calls = calls
        self.endpoint = "http://%s:%d" % server.server_address[:2]
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def start(metadata, bind="127.0.0.1", port=0):
    """Serve ``metadata`` on ``bind``:``port`` (0: any free port) from a thread (for tests)."""
    calls = []
    handler = make_handler(dict(metadata), secrets.token_hex(16), calls, quiet=True)
    return Running(http.server.ThreadingHTTPServer((bind, port), handler), calls)


def main(argv=None):
    parser = argparse.ArgumentParser(description="IMDSv2 stand-in (test double)")
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18169)
    parser.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    metadata = dict(item.split("=", 1) for item in args.meta)
    server = http.server.ThreadingHTTPServer((args.bind, args.port),
                                             make_handler(metadata, secrets.token_hex(16)))
    sys.stderr.write("imds-standin: listening on %s:%d\n" % (args.bind, args.port))
    server.serve_forever()


if __name__ == "__main__":
    main()
