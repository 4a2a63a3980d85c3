#!/usr/bin/env python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the Alibaba Cloud ECS instance metadata service (a TEST DOUBLE).

    alicloud_metadata_standin.py --port 18170 [--hardened] --meta private-ipv4=172.16.0.7

Written from Alibaba Cloud's documentation of ECS instance metadata ("Obtain instance
metadata": ``http://100.100.100.200/latest/meta-data/<item>``, items such as ``private-ipv4``,
``instance-id``, ``eipv4``, ``region-id``; the security hardening mode, ``HttpTokens=required``
of ModifyInstanceMetadataOptions: ``PUT /latest/api/token`` with
``X-aliyun-ecs-metadata-token-ttl-seconds``, then GETs with ``X-aliyun-ecs-metadata-token``).
No vendor code or file is copied. In normal mode a GET needs no token (one is still accepted
and handed out); with ``--hardened`` a GET without the token gets 403.
What it cannot show: the real service's token lifetime limits and throttling.
Standard library only.
"""

import argparse
import http.server
import secrets
import sys

try:  # imported by the tests as the package `standins`
    from standins.imds_standin import Running, send_text
except ImportError:  # run as a script from this folder
    from imds_standin import Running, send_text

TTL_HEADER = "X-aliyun-ecs-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aliyun-ecs-metadata-token"


def make_handler(metadata, token, hardened, calls=None, quiet=False):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            if not quiet:
                sys.stderr.write("alicloud-metadata-standin: " + (fmt % args) + "\n")

        def _send(self, status, body=""):
            send_text(self, status, body)

        def _record(self):
            if calls is not None:
                calls.append((self.command, self.path, bool(self.headers.get(TOKEN_HEADER))))

        def do_PUT(self):
            self._record()
            if self.path != "/latest/api/token":
                self._send(404)
            elif not self.headers.get(TTL_HEADER):
                self._send(400)
            else:
                self._send(200, token)

        def do_GET(self):
            self._record()
            sent = self.headers.get(TOKEN_HEADER)
            if (hardened and sent != token) or (sent is not None and sent != token):
                self._send(403 if not sent else 401)
                return
            prefix = "/latest/meta-data/"
            key = self.path[len(prefix):] if self.path.startswith(prefix) else None
            if key in metadata:
                self._send(200, metadata[key])
            else:
                self._send(404)

    return Handler


def start(metadata, hardened=False, bind="127.0.0.1", port=0):
    """Serve ``metadata`` from a thread (for tests); ``port`` 0 picks a free port."""
    calls = []
    handler = make_handler(dict(metadata), secrets.token_hex(16), hardened, calls, quiet=True)
    return Running(http.server.ThreadingHTTPServer((bind, port), handler), calls)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Alibaba ECS metadata stand-in (test double)")
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18170)
    parser.add_argument("--hardened", action="store_true", help="require the token (HttpTokens=required)")
    parser.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    metadata = dict(item.split("=", 1) for item in args.meta)
    handler = make_handler(metadata, secrets.token_hex(16), args.hardened)
    server = http.server.ThreadingHTTPServer((args.bind, args.port), handler)
    sys.stderr.write("alicloud-metadata-standin: listening on %s:%d\n" % (args.bind, args.port))
    server.serve_forever()


if __name__ == "__main__":
    main()
