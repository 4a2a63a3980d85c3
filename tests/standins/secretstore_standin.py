#!/usr/bin/env python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the two AWS secret stores the boot code reads (a TEST DOUBLE).

    secretstore_standin.py --port 18170 --values /root/secretstore.json [--region eu-west-1]

``--values`` is a JSON file ``{"parameters": {NAME: {"Type": "SecureString", "Value": TEXT}},
"secrets": {NAME: TEXT}}`` (keep it root-only: it holds the test's secrets; the values are never
on a command line).

Both services speak the AWS JSON 1.1 protocol: ``POST /`` with ``X-Amz-Target`` and
``Content-Type: application/x-amz-json-1.1``. What is served follows the API references:

* ``AmazonSSM.GetParameter`` — https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html
  request ``{"Name", "WithDecryption"}``; answer ``{"Parameter": {"ARN", "DataType", "LastModifiedDate",
  "Name", "Type", "Value", "Version"}}``. A SecureString read without ``WithDecryption`` answers
  an opaque base64 blob, as the real service answers the ciphertext. Unknown name: 400
  ``{"__type": "ParameterNotFound"}``.
* ``secretsmanager.GetSecretValue`` — https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
  request ``{"SecretId"}``; answer ``{"ARN", "CreatedDate", "Name", "SecretString", "VersionId",
  "VersionStages": ["AWSCURRENT"]}``. Unknown id: 400 ``{"__type": "ResourceNotFoundException"}``.

Every request must carry a SigV4 ``Authorization`` header of the documented shape for this
region and service (IAM User Guide, "Elements of an AWS API request signature"), with
``X-Amz-Security-Token`` signed when sent; otherwise 400 ``IncompleteSignature`` (the signature
itself is not recomputed: the unit tests compare the signer with botocore's). ``fail_next``
(in-process) queues error answers ``(status, code)`` to test retries. Standard library only,
so it runs on a bare test host; ``start(...)`` serves from a thread for the unit tests and
records each call (target, name, key id; never a value).
"""

import argparse
import http.server
import json
import re
import sys
import threading
import time

ACCOUNT = "123456789012"
AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[A-Z0-9]+)/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)/"
    r"(?P<service>[a-z0-9-]+)/aws4_request, SignedHeaders=(?P<signed>[a-z0-9-]+(;[a-z0-9-]+)*), "
    r"Signature=(?P<signature>[0-9a-f]{64})$")
SERVICE_OF_TARGET = {"AmazonSSM": "ssm", "secretsmanager": "secretsmanager"}


class ApiError(Exception):
    def __init__(self, status, code, message=""):
        super(ApiError, self).__init__(code)
        self.status = status
        self.code = code
        self.message = message


class StoreState(object):
    def __init__(self, parameters=None, secrets=None, region="eu-west-1"):
        self.lock = threading.Lock()
        self.parameters = dict(parameters or {})
        self.secrets = dict(secrets or {})
        self.region = region
        self.calls = []
        self.failures = []

    def fail_next(self, status, code, times=1):
        with self.lock:
            self.failures.extend([(status, code)] * times)

    def _next_failure(self):
        with self.lock:
            return self.failures.pop(0) if self.failures else None


def check_signature(headers, region, service):
    """The signer's key id when the SigV4 headers have the documented shape; ApiError otherwise."""
    match = AUTHORIZATION.match(headers.get("Authorization") or "")
    if not match:
        raise ApiError(400, "IncompleteSignature", "Authorization header is not an AWS4-HMAC-SHA256 signature")
    signed = match.group("signed").split(";")
    problems = []
    if match.group("region") != region or match.group("service") != service:
        problems.append("credential scope %s/%s, expected %s/%s"
                        % (match.group("region"), match.group("service"), region, service))
    if not (headers.get("X-Amz-Date") or "").startswith(match.group("date")):
        problems.append("X-Amz-Date does not match the credential date")
    if signed != sorted(signed) or not {"host", "x-amz-date", "x-amz-target"} <= set(signed):
        problems.append("SignedHeaders must be sorted and hold host, x-amz-date and x-amz-target")
    if headers.get("X-Amz-Security-Token") and "x-amz-security-token" not in signed:
        problems.append("X-Amz-Security-Token is sent but not signed")
    if problems:
        raise ApiError(400, "IncompleteSignature", "; ".join(problems))
    return match.group("key")


def get_parameter(state, request):
    name = request.get("Name")
    if not isinstance(name, str) or not name:
        raise ApiError(400, "ValidationException", "Name is required")
    # A parameter is found by its name or its ARN.
    short = name.split(":parameter", 1)[-1] if name.startswith("arn:") else name
    found = state.parameters.get(short)
    if found is None:
        raise ApiError(400, "ParameterNotFound")
    kind = found.get("Type", "String")
    value = found["Value"]
    if kind == "SecureString" and not request.get("WithDecryption"):
        value = "AQICAHstandinCiphertextNotTheValue=="
    return {"Parameter": {
        "ARN": "arn:aws:ssm:%s:%s:parameter%s%s" % (state.region, ACCOUNT, "" if short.startswith("/") else "/", short),
        "DataType": "text",
        "LastModifiedDate": 1796000000.0,
        "Name": short,
        "Type": kind,
        "Value": value,
        "Version": found.get("Version", 1),
    }}


def get_secret_value(state, request):
    secret_id = request.get("SecretId")
    if not isinstance(secret_id, str) or not secret_id:
        raise ApiError(400, "InvalidParameterException", "SecretId is required")
    name = secret_id.split(":secret:", 1)[-1] if secret_id.startswith("arn:") else secret_id
    if name not in state.secrets:
        raise ApiError(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
    return {
        "ARN": "arn:aws:secretsmanager:%s:%s:secret:%s-AbCdEf" % (state.region, ACCOUNT, name),
        "CreatedDate": 1796000000.0,
        "Name": name,
        "SecretString": state.secrets[name],
        "VersionId": "00000000-0000-4000-8000-000000000001",
        "VersionStages": ["AWSCURRENT"],
    }


OPERATIONS = {"AmazonSSM.GetParameter": get_parameter, "secretsmanager.GetSecretValue": get_secret_value}


def make_handler(state, quiet=False):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            if not quiet:
                sys.stderr.write("secretstore-standin: " + (fmt % args) + "\n")

        def _send(self, status, doc):
            data = json.dumps(doc).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", "00000000-0000-4000-8000-%012d" % len(state.calls))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            target = self.headers.get("X-Amz-Target") or ""
            record = {"target": target, "time": time.time()}
            try:
                if target not in OPERATIONS:
                    raise ApiError(400, "UnknownOperationException")
                if not (self.headers.get("Content-Type") or "").startswith("application/x-amz-json-1.1"):
                    raise ApiError(400, "SerializationException", "Content-Type must be application/x-amz-json-1.1")
                record["key_id"] = check_signature(self.headers, state.region, SERVICE_OF_TARGET[target.split(".")[0]])
                try:
                    request = json.loads(raw.decode("utf-8"))
                except ValueError:
                    raise ApiError(400, "SerializationException", "the body is not JSON")
                record["name"] = request.get("Name") or request.get("SecretId")
                record["with_decryption"] = request.get("WithDecryption")
                failure = state._next_failure()
                if failure:
                    raise ApiError(failure[0], failure[1])
                answer = OPERATIONS[target](state, request)
            except ApiError as exc:
                record["error"] = exc.code
                record["status"] = exc.status
                state.calls.append(record)
                self._send(exc.status, {"__type": exc.code, "message": exc.message})
                return
            record["status"] = 200
            state.calls.append(record)
            self._send(200, answer)

    return Handler


class Running(object):
    def __init__(self, server, state):
        self.server = server
        self.state = state
        self.endpoint = "http://%s:%d" % server.server_address[:2]
        # A short poll interval: stop() returns at once (the default 0.5 s adds up over many tests).
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def calls(self):
        return list(self.state.calls)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def start(parameters=None, secrets=None, region="eu-west-1", bind="127.0.0.1", port=0):
    """Serve from a thread (for tests): ``endpoint``, ``calls``, ``state``, ``stop()``."""
    state = StoreState(parameters, secrets, region)
    return Running(http.server.ThreadingHTTPServer((bind, port), make_handler(state, quiet=True)), state)


def main(argv=None):
    parser = argparse.ArgumentParser(description="SSM Parameter Store / Secrets Manager stand-in (test double)")
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18170)
    parser.add_argument("--region", default="eu-west-1")
    parser.add_argument("--values", required=True, help="JSON file with parameters and secrets (root-only)")
    args = parser.parse_args(argv)
    with open(args.values) as handle:
        values = json.load(handle)
    state = StoreState(values.get("parameters"), values.get("secrets"), args.region)
    server = http.server.ThreadingHTTPServer((args.bind, args.port), make_handler(state))
    sys.stderr.write("secretstore-standin: listening on %s:%d\n" % (args.bind, args.port))
    server.serve_forever()


if __name__ == "__main__":
    main()
