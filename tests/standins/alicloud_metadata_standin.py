#!/usr/bin/env python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the Alibaba Cloud ECS instance metadata service (a TEST DOUBLE).

    alicloud_metadata_standin.py --port 18170 [--hardened] --meta private-ipv4=172.16.0.7 \\
        [--ram-role NAME --ram-credentials FILE] [--bind 100.100.100.200 --port 80]

Written from Alibaba Cloud's ECS documentation, read on 2026-12-07; no vendor code or file is
copied:

* "Obtain instance metadata" (https://www.alibabacloud.com/help/en/ecs/user-guide/view-instance-metadata):
  ``http://100.100.100.200/latest/meta-data/<item>``, items such as ``private-ipv4``,
  ``instance-id``, ``eipv4``, ``region-id``, each answered as plain text; an item ending in
  ``/`` is a directory and answers the names below it, one a line (``meta-data/`` lists the
  top-level items, a sub-directory's name with its trailing ``/``); an unknown item is 404.
  The security hardening mode (``HttpTokens=required`` of ModifyInstanceMetadataOptions):
  ``PUT /latest/api/token`` with ``X-aliyun-ecs-metadata-token-ttl-seconds``, then GETs with
  ``X-aliyun-ecs-metadata-token``.
* Instance RAM roles ("Instance RAM roles", https://www.alibabacloud.com/help/en/ecs/user-guide/attach-an-instance-ram-role-to-an-ecs-instance):
  ``ram/security-credentials/`` answers the attached role's name (plain text),
  ``ram/security-credentials/<role>`` its STS credentials as JSON: ``AccessKeyId``,
  ``AccessKeySecret``, ``Expiration``, ``SecurityToken``, ``LastUpdated``, ``Code``
  (``Success``). ``--ram-role NAME --ram-credentials FILE`` serves them: FILE is a JSON object
  with ``AccessKeyId``, ``AccessKeySecret`` and ``SecurityToken`` (obviously fake values the
  OOS stand-in knows); ``Expiration`` is six hours after each read, ``LastUpdated`` the read.

In normal mode a GET needs no token (one is still accepted and handed out); with
``--hardened`` a GET without the token gets 403. The Molecule scenario antmedia_cluster runs
it inside the test hosts on 100.100.100.200:80 (an address of the host's loopback), so the
boot code reads its real, default endpoint.
What it cannot show: the real service's token lifetime limits, throttling, credential rotation
ahead of expiry, and items this stand-in is not given.
Standard library only; runs on Python 3.8.
"""

import argparse
import http.server
import json
import secrets
import sys
import time

try:  # imported by the tests as the package `standins`
    from standins.imds_standin import Running, send_text
except ImportError:  # run as a script from this folder
    from imds_standin import Running, send_text

TTL_HEADER = "X-aliyun-ecs-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aliyun-ecs-metadata-token"
META_PREFIX = "/latest/meta-data/"
RAM_CREDENTIALS = "ram/security-credentials/"
# How long the served STS credentials claim to live (the page's example spans six hours).
CREDENTIALS_LIFETIME_SECONDS = 6 * 3600


def _utc(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def ram_role_items(role, credentials, wall=time.time):
    """The metadata items of an attached RAM role: a dict of path -> value or callable."""
    def document():
        now = wall()
        return json.dumps({
            "AccessKeyId": credentials["AccessKeyId"], "AccessKeySecret": credentials["AccessKeySecret"],
            "Expiration": _utc(now + CREDENTIALS_LIFETIME_SECONDS), "SecurityToken": credentials["SecurityToken"],
            "LastUpdated": _utc(now), "Code": "Success"}, indent=2)
    return {RAM_CREDENTIALS: role, RAM_CREDENTIALS + role: document}


def _listing(metadata, directory):
    """Names right below ``directory`` ('' for meta-data/ itself), a sub-directory with its '/'."""
    names = []
    for key in metadata:
        if key == directory or not key.startswith(directory):
            continue
        rest = key[len(directory):]
        name = rest.split("/", 1)[0] + ("/" if "/" in rest else "")
        if name not in names:
            names.append(name)
    return "\n".join(sorted(names))


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

        def do_PUT(self):  # noqa: N802 - http.server API
            self._record()
            if self.path != "/latest/api/token":
                self._send(404)
            elif not self.headers.get(TTL_HEADER):
                self._send(400)
            else:
                self._send(200, token)

        def do_GET(self):  # noqa: N802
            self._record()
            sent = self.headers.get(TOKEN_HEADER)
            if (hardened and sent != token) or (sent is not None and sent != token):
                self._send(403 if not sent else 401)
                return
            key = self.path[len(META_PREFIX):] if self.path.startswith(META_PREFIX) else None
            if key is None:
                self._send(404)
            elif key in metadata:
                value = metadata[key]
                self._send(200, value() if callable(value) else value)
            elif key == "" or key.endswith("/"):
                listing = _listing(metadata, key)
                self._send(200 if listing else 404, listing)
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
    parser.add_argument("--ram-role", help="name of the attached instance RAM role")
    parser.add_argument("--ram-credentials", metavar="FILE",
                        help="JSON file: AccessKeyId, AccessKeySecret, SecurityToken of the role (fake values)")
    args = parser.parse_args(argv)
    if bool(args.ram_role) != bool(args.ram_credentials):
        parser.error("--ram-role and --ram-credentials go together")
    metadata = dict(item.split("=", 1) for item in args.meta)
    if args.ram_role:
        with open(args.ram_credentials) as handle:
            metadata.update(ram_role_items(args.ram_role, json.load(handle)))
    handler = make_handler(metadata, secrets.token_hex(16), args.hardened)
    server = http.server.ThreadingHTTPServer((args.bind, args.port), handler)
    sys.stderr.write("alicloud-metadata-standin: listening on %s:%d\n" % (args.bind, args.port))
    server.serve_forever()


if __name__ == "__main__":
    main()
