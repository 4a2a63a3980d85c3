#!/usr/bin/env python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for Alibaba Cloud OOS ``GetSecretParameter`` (a TEST DOUBLE) on 127.0.0.1.

Written by us from the API reference
(https://help.aliyun.com/zh/oos/developer-reference/api-oos-2019-06-01-getsecretparameter) and
the RPC signature page (https://www.alibabacloud.com/help/doc-detail/127287.htm); no vendor code
copied. It checks what the real service checks before answering: Action and Version, the
signature (version 1.0, HMAC-SHA1) with a known AccessKey pair, the STS token of that pair, the
region, then answers in the documented shape ``{"RequestId", "Parameter": {"Name", "Type":
"Secret", "Value", "ParameterVersion", ...}}``. Without ``WithDecryption=true`` ``Value`` is
empty, as the page says. Errors are ``{"RequestId", "HostId", "Code", "Message"}`` with the
HTTP status RPC APIs use (400 bad input, 403 signature/permission, 404 missing parameter).
``fail_next`` queues error codes for the next requests (throttling, 5xx).
What it cannot show: RAM policy evaluation, KMS decryption, the real error wording and
request limits. Standard library only.

As a program (the Molecule scenario antmedia_cluster runs it inside a test host, HTTPS on
port 443 under the regional name ``oos.<region>.aliyuncs.com`` that the host resolves to its
loopback, with a certificate of a throw-away test CA the host trusts)::

    alicloud_oos_standin.py --region cn-hangzhou --ram-credentials FILE --parameters FILE \
        [--bind 127.0.0.1] [--port 443] [--tls-cert CERT --tls-key KEY]

``--ram-credentials``: JSON object with the ``AccessKeyId``, ``AccessKeySecret`` and
``SecurityToken`` the ECS metadata stand-in hands out (fake values); ``--parameters``: JSON
object of secret parameter name -> value (root-only file: it holds the test passwords).
"""

import argparse
import http.server
import json
import ssl
import sys
import uuid
from urllib.parse import parse_qsl, urlsplit

try:  # imported by the tests as the package `standins`
    from standins.imds_standin import Running
except ImportError:  # run as a script from this folder
    from imds_standin import Running


def _signature(secret, method, params):
    # Our own implementation of the documented algorithm, separate from the adapter's on purpose.
    import base64
    import hashlib
    import hmac
    from urllib.parse import quote

    def enc(text):
        return quote(str(text), safe="-_.~")

    query = "&".join("%s=%s" % (enc(k), enc(params[k])) for k in sorted(params))
    to_sign = "%s&%s&%s" % (method, enc("/"), enc(query))
    return base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


class OosState(object):
    def __init__(self, parameters, access_key_id, access_key_secret, security_token, region):
        self.parameters = dict(parameters)
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.security_token = security_token
        self.region = region
        self.failures = []

    def fail_next(self, *codes):
        """Queue (HTTP status, code) answers for the next requests."""
        self.failures.extend(codes)

    def answer(self, method, params):
        if self.failures:
            return self.failures.pop(0)
        if params.get("Action") != "GetSecretParameter" or params.get("Version") != "2019-06-01":
            return 400, "InvalidAction.NotFound"
        signature = params.pop("Signature", None)
        if params.get("AccessKeyId") != self.access_key_id:
            return 404, "InvalidAccessKeyId.NotFound"
        for name in ("SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp"):
            if name not in params:
                return 400, "MissingParameter"
        if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
            return 400, "InvalidParameter"
        if signature != _signature(self.access_key_secret, method, params):
            return 400, "SignatureDoesNotMatch"
        if params.get("SecurityToken") != self.security_token:
            return 400, "InvalidSecurityToken.Malformed"
        if params.get("RegionId", self.region) != self.region:
            return 400, "InvalidRegionId"
        name = params.get("Name")
        if not name:
            return 400, "MissingName"
        if name not in self.parameters:
            return 404, "EntityNotExists.Parameter"
        value = self.parameters[name] if params.get("WithDecryption") == "true" else ""
        return 200, {"RequestId": str(uuid.uuid4()).upper(), "Parameter": {
            "Name": name, "Type": "Secret", "Value": value, "ParameterVersion": 1, "Id": "p-standin",
            "KeyId": "standin-kms-key", "Description": "", "Constraints": "", "Tags": {},
            "CreatedDate": "2026-12-07T10:00:00Z", "UpdatedDate": "2026-12-07T10:00:00Z"}}


def make_handler(state, calls):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):  # quiet in tests
            pass

        def _handle(self, method, params):
            calls.append((method, params.get("Action"), params.get("Name")))
            status, doc = state.answer(method, params)
            if status != 200:
                doc = {"RequestId": str(uuid.uuid4()).upper(), "HostId": "oos.standin", "Code": doc,
                       "Message": "stand-in: %s" % doc}
            data = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802 - http.server API
            self._handle("GET", dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True)))

        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
            params.update(parse_qsl(body, keep_blank_values=True))
            self._handle("POST", params)

    return Handler


def start(parameters, access_key_id, access_key_secret, security_token, region="cn-hangzhou",
          bind="127.0.0.1", port=0):
    """Serve the secret ``parameters`` ({name: value}) from a thread; ``state.fail_next`` queues errors."""
    calls = []
    state = OosState(parameters, access_key_id, access_key_secret, security_token, region)
    return Running(http.server.ThreadingHTTPServer((bind, port), make_handler(state, calls)), calls, state)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Alibaba OOS GetSecretParameter stand-in (test double)")
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=443)
    parser.add_argument("--region", default="cn-hangzhou")
    parser.add_argument("--ram-credentials", required=True, metavar="FILE")
    parser.add_argument("--parameters", required=True, metavar="FILE")
    parser.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--tls-key", metavar="FILE", help="the certificate's private key (PEM)")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    with open(args.ram_credentials) as handle:
        creds = json.load(handle)
    with open(args.parameters) as handle:
        parameters = json.load(handle)
    state = OosState(parameters, creds["AccessKeyId"], creds["AccessKeySecret"], creds["SecurityToken"], args.region)
    server = http.server.ThreadingHTTPServer((args.bind, args.port), make_handler(state, []))
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    sys.stderr.write("alicloud-oos-standin: %s on %s:%d, %d parameter(s)\n"
                     % ("https" if args.tls_cert else "http", args.bind, args.port, len(parameters)))
    server.serve_forever()


if __name__ == "__main__":
    main()
