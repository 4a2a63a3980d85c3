#!/usr/bin/env python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the three Amazon EC2 Auto Scaling calls the drain agent makes (a TEST DOUBLE).

    autoscaling_recorder.py --port 18170 --region eu-west-1 --hook streamfleet-drain \\
        --instance i-0abc=sf-wcs-edges

moto 5.2.5 implements DescribeAutoScalingInstances but not CompleteLifecycleAction nor
RecordLifecycleActionHeartbeat, so the drain agent's calls are checked here. Query API only
(``POST /`` with a form body, ``Version=2011-01-01``), answers laid out as the Amazon EC2 Auto
Scaling API Reference documents them:

* ``DescribeAutoScalingInstances`` (API_DescribeAutoScalingInstances.html):
  ``DescribeAutoScalingInstancesResult/AutoScalingInstances/member`` with ``InstanceId``,
  ``InstanceType``, ``AutoScalingGroupName``, ``AvailabilityZone``, ``LifecycleState``,
  ``HealthStatus``, ``LaunchTemplate``, ``ProtectedFromScaleIn``; unknown ids are left out.
* ``RecordLifecycleActionHeartbeat`` (API_RecordLifecycleActionHeartbeat.html) and
  ``CompleteLifecycleAction`` (API_CompleteLifecycleAction.html): an empty ``...Result``
  element; ``AutoScalingGroupName`` and ``LifecycleHookName`` required, ``InstanceId`` or
  ``LifecycleActionToken``; ``LifecycleActionResult`` CONTINUE or ABANDON. Without an active
  lifecycle action for the instance (none armed, or already completed) the answer is the
  service's ``ValidationError`` "No active Lifecycle Action found with instance ID ...".
* Every answer carries ``ResponseMetadata/RequestId``; errors are ``ErrorResponse/Error``
  (``Type``, ``Code``, ``Message``) plus ``RequestId`` (API Reference, "Common Errors").

Each request's ``Authorization`` header must have the SigV4 shape (IAM User Guide, "Elements of
an AWS API request signature"): ``AWS4-HMAC-SHA256 Credential=<key id>/<yyyymmdd>/<region>/
autoscaling/aws4_request, SignedHeaders=<...;host;...;x-amz-date...>, Signature=<64 hex>``, the
date matching ``X-Amz-Date``, and ``X-Amz-Security-Token`` signed when sent; otherwise 403
``IncompleteSignature``. The signature itself is not recomputed (the unit tests compare the
signer with botocore's).

Control endpoint (tests only)::

    GET  /_control/calls                 every recorded call as JSON (params, time, signer key id)
    POST /_control/arm?instance=ID       (re)arm a lifecycle action for an instance
    POST /_control/reset                 forget the calls, re-arm every instance

Standard library only, so it runs on a bare test host.
"""

import argparse
import http.server
import json
import re
import sys
import threading
import time
import uuid
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

NAMESPACE = "http://autoscaling.amazonaws.com/doc/2011-01-01/"
AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<key>[A-Z0-9]{4,128})/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)/"
    r"(?P<service>[a-z0-9-]+)/aws4_request, SignedHeaders=(?P<signed>[a-z0-9-]+(;[a-z0-9-]+)*), "
    r"Signature=(?P<signature>[0-9a-f]{64})$")


class RecorderState(object):
    def __init__(self, region, hook, instances, availability_zone=None):
        self.lock = threading.Lock()
        self.region = region
        self.hook = hook
        self.instances = dict(instances)  # instance id -> group name
        self.availability_zone = availability_zone or region + "a"
        self.calls = []
        self.active = set(self.instances)

    def reset(self):
        with self.lock:
            self.calls = []
            self.active = set(self.instances)


class ApiError(Exception):
    def __init__(self, status, code, message, kind="Sender"):
        super(ApiError, self).__init__(message)
        self.status, self.code, self.message, self.kind = status, code, message, kind


def _xml_response(action, result_body=""):
    result = "<%sResult>%s</%sResult>" % (action, result_body, action) if result_body else "<%sResult/>" % action
    return ('<%sResponse xmlns="%s">\n  %s\n  <ResponseMetadata>\n    <RequestId>%s</RequestId>\n'
            '  </ResponseMetadata>\n</%sResponse>\n' % (action, NAMESPACE, result, uuid.uuid4(), action))


def _xml_error(error):
    return ('<ErrorResponse xmlns="%s">\n  <Error>\n    <Type>%s</Type>\n    <Code>%s</Code>\n'
            '    <Message>%s</Message>\n  </Error>\n  <RequestId>%s</RequestId>\n</ErrorResponse>\n'
            % (NAMESPACE, error.kind, error.code, escape(error.message), uuid.uuid4()))


def check_signature(headers, region):
    """The signer's key id when the SigV4 headers have the documented shape; ApiError otherwise."""
    match = AUTHORIZATION.match(headers.get("Authorization") or "")
    if not match:
        raise ApiError(403, "IncompleteSignature", "Authorization header is not an AWS4-HMAC-SHA256 signature")
    signed = match.group("signed").split(";")
    amz_date = headers.get("X-Amz-Date") or ""
    problems = []
    if match.group("service") != "autoscaling" or match.group("region") != region:
        problems.append("credential scope is not %s/autoscaling" % region)
    if not re.match(r"^\d{8}T\d{6}Z$", amz_date) or amz_date[:8] != match.group("date"):
        problems.append("X-Amz-Date is missing or not the credential's date")
    if signed != sorted(signed) or "host" not in signed or "x-amz-date" not in signed:
        problems.append("SignedHeaders must be sorted and include host and x-amz-date")
    if headers.get("X-Amz-Security-Token") and "x-amz-security-token" not in signed:
        problems.append("X-Amz-Security-Token is sent but not signed")
    if problems:
        raise ApiError(403, "IncompleteSignature", "; ".join(problems))
    return match.group("key")


def _required(params, *names):
    for name in names:
        if not params.get(name):
            raise ApiError(400, "ValidationError", "1 validation error detected: Value null at '%s' failed to "
                           "satisfy constraint: Member must not be null" % (name[0].lower() + name[1:]))


def handle(state, action, params):
    """The XML answer of one call (ApiError for an error answer)."""
    if action == "DescribeAutoScalingInstances":
        wanted = [value for key, value in sorted(params.items()) if key.startswith("InstanceIds.member.")]
        members = []
        with state.lock:
            for instance_id in wanted or sorted(state.instances):
                if instance_id not in state.instances:
                    continue
                members.append(
                    "<member><InstanceId>%s</InstanceId><InstanceType>t3.medium</InstanceType>"
                    "<AutoScalingGroupName>%s</AutoScalingGroupName><AvailabilityZone>%s</AvailabilityZone>"
                    "<LifecycleState>%s</LifecycleState><HealthStatus>HEALTHY</HealthStatus>"
                    "<LaunchTemplate><LaunchTemplateId>lt-0standin</LaunchTemplateId>"
                    "<LaunchTemplateName>standin</LaunchTemplateName><Version>1</Version></LaunchTemplate>"
                    "<ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>"
                    % (escape(instance_id), escape(state.instances[instance_id]), state.availability_zone,
                       "Terminating:Wait" if instance_id in state.active else "Terminating:Proceed"))
        return _xml_response(action, "<AutoScalingInstances>%s</AutoScalingInstances>" % "".join(members))
    if action in ("RecordLifecycleActionHeartbeat", "CompleteLifecycleAction"):
        _required(params, "AutoScalingGroupName", "LifecycleHookName")
        if action == "CompleteLifecycleAction":
            _required(params, "LifecycleActionResult")
            if params["LifecycleActionResult"] not in ("CONTINUE", "ABANDON"):
                raise ApiError(400, "ValidationError", "LifecycleActionResult must be CONTINUE or ABANDON")
        instance_id = params.get("InstanceId")
        if not instance_id and not params.get("LifecycleActionToken"):
            raise ApiError(400, "ValidationError", "Either InstanceId or LifecycleActionToken must be given")
        with state.lock:
            group_ok = state.instances.get(instance_id) == params["AutoScalingGroupName"]
            if params["LifecycleHookName"] != state.hook or not group_ok or instance_id not in state.active:
                raise ApiError(400, "ValidationError",
                               "No active Lifecycle Action found with instance ID %s" % instance_id)
            if action == "CompleteLifecycleAction":
                state.active.discard(instance_id)
        return _xml_response(action)
    raise ApiError(400, "InvalidAction", "Could not find operation %s for version 2011-01-01" % action)


def make_handler(state, quiet=False):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            if not quiet:
                sys.stderr.write("autoscaling-recorder: " + (fmt % args) + "\n")

        def _send(self, status, body, content_type="text/xml"):
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/_control/calls":
                with state.lock:
                    self._send(200, json.dumps(state.calls, indent=1), "application/json")
            else:
                self._send(404, "")

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8") if length else ""
            url = urlsplit(self.path)
            if url.path == "/_control/reset":
                state.reset()
                self._send(200, "")
                return
            if url.path == "/_control/arm":
                instance_id = parse_qs(url.query).get("instance", [""])[0]
                with state.lock:
                    if instance_id in state.instances:
                        state.active.add(instance_id)
                self._send(200 if instance_id in state.instances else 404, "")
                return
            params = {key: values[-1] for key, values in parse_qs(body, keep_blank_values=True).items()}
            action = params.pop("Action", "")
            version = params.pop("Version", "")
            record = {"action": action, "params": params, "time": time.time(), "status": 200}
            try:
                record["key_id"] = check_signature(self.headers, state.region)
                if version != "2011-01-01":
                    raise ApiError(400, "InvalidParameterValue", "Version %r is not 2011-01-01" % version)
                answer = handle(state, action, params)
            except ApiError as error:
                record.update(status=error.status, error=error.code)
                with state.lock:
                    state.calls.append(record)
                self._send(error.status, _xml_error(error))
                return
            with state.lock:
                state.calls.append(record)
            self._send(200, answer)

    return Handler


class Running(object):
    """A recorder served from a thread: ``endpoint``, ``state``, ``calls``, ``stop()``."""

    def __init__(self, server, state):
        self.server = server
        self.state = state
        self.endpoint = "http://%s:%d" % server.server_address[:2]
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def calls(self):
        with self.state.lock:
            return list(self.state.calls)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def start(instances, region="eu-west-1", hook="streamfleet-drain", bind="127.0.0.1", port=0):
    state = RecorderState(region, hook, instances)
    return Running(http.server.ThreadingHTTPServer((bind, port), make_handler(state, quiet=True)), state)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Auto Scaling lifecycle-action recorder (test double)")
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18170)
    parser.add_argument("--region", default="eu-west-1")
    parser.add_argument("--hook", default="streamfleet-drain")
    parser.add_argument("--instance", action="append", default=[], metavar="INSTANCE_ID=GROUP")
    args = parser.parse_args(argv)
    state = RecorderState(args.region, args.hook, dict(item.split("=", 1) for item in args.instance))
    server = http.server.ThreadingHTTPServer((args.bind, args.port), make_handler(state))
    sys.stderr.write("autoscaling-recorder: listening on %s:%d\n" % (args.bind, args.port))
    server.serve_forever()


if __name__ == "__main__":
    main()
