"""Fixtures for the AWS module tests: moto in server mode on 127.0.0.1 stands in for AWS.

- ``moto_server`` (session): starts ``moto_server`` on a free port, waits until it answers,
  stops it at the end of the session. ``MOTO_ACM_VALIDATION_WAIT`` is small so that requested
  certificates turn ISSUED after a couple of seconds.
- ``aws_env`` (autouse): resets moto's state (``POST /moto-api/reset``) before each test and
  points boto3 at it through ``os.environ`` (AWS_ENDPOINT_URL, AWS_REGION, AWS_DEFAULT_REGION,
  fake credentials "testing"), so in-process ``run_module`` and the ``playbook`` fixture's
  ansible-playbook both see it. Shared config/credential files of the user are hidden.
- ``aws``: boto3 clients for assertions: ``aws.ec2``, ``aws("elbv2")``, ...; ``aws.tagged(name)``
  lists what still carries ``streamfleet:deployment=<name>``.
- ``network``: a VPC with two subnets in two zones and a security group (untagged).
- ``base_image_id``: a stock moto AMI; ``instance_id``: a running untagged instance to bake from.
- ``fault_proxy``: an HTTP proxy in front of moto that answers the next requests with
  throttling or 503 errors (``fault_proxy.inject("throttle", "503", ...)``), for retry tests;
  ``"denied"`` answers 403 (not retryable); ``"lost"`` forwards the request to moto (so it is
  carried out) but answers 503, as when the answer of a create is lost; ``"pass"`` forwards.
"""
import json
import threading
import urllib.request
from collections import deque
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

from lib import harness

REGION = "us-east-1"
DEPLOYMENT_TAG = "streamfleet:deployment"


free_port = harness.free_port


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory):
    with harness.moto_server(tmp_path_factory.mktemp("moto"),
                             env=dict(MOTO_ACM_VALIDATION_WAIT="2", AWS_DEFAULT_REGION=REGION)) as url:
        yield url


@pytest.fixture(autouse=True)
def aws_env(moto_server, monkeypatch, tmp_path):
    """Fresh moto state and AWS environment variables for every test."""
    request = urllib.request.Request(moto_server + "/moto-api/reset", data=b"", method="POST")
    urllib.request.urlopen(request, timeout=30).read()
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return moto_server


class AWSClients:
    """Lazily created boto3 clients against moto: ``aws.ec2`` or ``aws("ec2")``."""

    def __init__(self, endpoint_url):
        self.endpoint_url = endpoint_url
        self._clients = {}

    def __call__(self, service):
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service, region_name=REGION, endpoint_url=self.endpoint_url,
                aws_access_key_id="testing", aws_secret_access_key="testing")
        return self._clients[service]

    def __getattr__(self, service):
        if service.startswith("_"):
            raise AttributeError(service)
        return self(service)

    def tagged(self, deployment):
        """Ids (EC2) or ARNs of everything still tagged ``streamfleet:deployment=<deployment>``.

        Uses the Resource Groups Tagging API and, for what moto does not list there, direct
        describes (images, launch templates, snapshots).
        """
        found = set()
        pages = self("resourcegroupstaggingapi").get_paginator("get_resources").paginate(
            TagFilters=[{"Key": DEPLOYMENT_TAG, "Values": [deployment]}])
        for page in pages:
            # EC2 objects as ids (as the describes below give them), everything else as ARN
            found.update(r["ResourceARN"].rsplit("/", 1)[-1] if r["ResourceARN"].startswith("arn:aws:ec2:")
                         else r["ResourceARN"] for r in page["ResourceTagMappingList"])
        tag_filter = [{"Name": "tag:" + DEPLOYMENT_TAG, "Values": [deployment]}]
        found.update(i["ImageId"] for i in self.ec2.describe_images(Owners=["self"], Filters=tag_filter)["Images"])
        found.update(t["LaunchTemplateId"] for t in
                     self.ec2.describe_launch_templates(Filters=tag_filter)["LaunchTemplates"])
        found.update(s["SnapshotId"] for s in
                     self.ec2.describe_snapshots(OwnerIds=["self"], Filters=tag_filter)["Snapshots"])
        # The tagging API keeps listing terminated instances; only live ones count.
        found = set(item for item in found if not item.startswith("i-"))
        for reservation in self.ec2.describe_instances(Filters=tag_filter)["Reservations"]:
            found.update(i["InstanceId"] for i in reservation["Instances"]
                         if i["State"]["Name"] not in ("terminated", "shutting-down"))
        return sorted(found)


@pytest.fixture
def aws(aws_env):
    return AWSClients(aws_env)


@pytest.fixture
def network(aws):
    """A VPC with two subnets in two availability zones and a security group."""
    ec2 = aws.ec2
    vpc_id = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnet_ids = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for cidr, zone in (("10.42.1.0/24", REGION + "a"), ("10.42.2.0/24", REGION + "b"))
    ]
    group_id = ec2.create_security_group(
        GroupName="streamfleet-test", Description="streamfleet test group", VpcId=vpc_id)["GroupId"]
    return dict(vpc_id=vpc_id, subnet_ids=subnet_ids, security_group_id=group_id)


@pytest.fixture
def base_image_id(aws):
    """An AMI that exists in moto (a stock Ubuntu image, not owned by the test account).

    Narrowly filtered: listing all ~1000 stock images takes seconds on a busy machine.
    """
    images = aws.ec2.describe_images(Owners=["099720109477"], Filters=[
        {"Name": "name", "Values": ["ubuntu/images/hvm-ssd/ubuntu-*-amd64-server-*"]}])["Images"]
    return sorted(images, key=lambda image: image["ImageId"])[0]["ImageId"]


@pytest.fixture
def instance_id(aws, network, base_image_id):
    """A running instance (untagged) in the first subnet of ``network``, to bake images from."""
    return aws.ec2.run_instances(
        ImageId=base_image_id, InstanceType="t3.micro", MinCount=1, MaxCount=1,
        SubnetId=network["subnet_ids"][0], SecurityGroupIds=[network["security_group_id"]],
    )["Instances"][0]["InstanceId"]


# ---------------------------------------------------------------------------------------------
# Fault-injecting proxy

def _service_of(headers):
    # SigV4: Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request
    auth = headers.get("Authorization", "")
    try:
        return auth.split("Credential=")[1].split("/")[3]
    except IndexError:
        return ""


def _fault_response(kind, headers):
    """(status, content type, body) imitating how the service would answer."""
    if kind in ("503", "lost"):
        return 503, "text/html", b"<html><body>Service Unavailable</body></html>"
    if kind == "denied":
        if _service_of(headers) == "ec2":
            return 403, "text/xml", (b"<Response><Errors><Error><Code>UnauthorizedOperation</Code>"
                                     b"<Message>You are not authorized to perform this operation.</Message>"
                                     b"</Error></Errors><RequestID>fault-proxy</RequestID></Response>")
        return 403, "text/xml", (b"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                                 b"<Message>User is not authorized</Message></Error>"
                                 b"<RequestId>fault-proxy</RequestId></ErrorResponse>")
    is_json = "X-Amz-Target" in headers or "json" in headers.get("Content-Type", "")
    if is_json:
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
        return 400, "application/x-amz-json-1.1", body
    if _service_of(headers) == "ec2":
        body = (b"<Response><Errors><Error><Code>RequestLimitExceeded</Code>"
                b"<Message>Request limit exceeded.</Message></Error></Errors>"
                b"<RequestID>fault-proxy</RequestID></Response>")
        return 400, "text/xml", body
    body = (b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
            b"<Message>Rate exceeded</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>")
    return 400, "text/xml", body


class FaultProxy:
    """Forwards to moto; answers the next queued requests with faults instead."""

    def __init__(self, upstream):
        self.upstream = upstream.split("//", 1)[1]
        self.faults = deque()
        self.lock = threading.Lock()
        self.served = []      # (kind, service) of each fault answered
        self.forwarded = 0    # requests passed to moto
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with proxy.lock:
                    kind = proxy.faults.popleft() if proxy.faults else None
                    if kind == "pass":
                        kind = None
                    if kind:
                        proxy.served.append((kind, _service_of(self.headers)))
                    if kind in (None, "lost"):
                        proxy.forwarded += 1
                if kind == "lost":
                    self._forward(body)  # carried out upstream; its answer is dropped
                if kind:
                    status, ctype, payload = _fault_response(kind, self.headers)
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                resp, payload = self._forward(body)
                self.send_response(resp.status)
                for key, value in resp.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _forward(self, body):
                conn = HTTPConnection(proxy.upstream, timeout=60)
                try:
                    conn.request(self.command, self.path, body=body,
                                 headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
                    resp = conn.getresponse()
                    return resp, resp.read()
                finally:
                    conn.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def inject(self, *kinds):
        """Queue faults for the next requests: ``"throttle"``, ``"503"``, ``"denied"``, ``"lost"``
        or ``"pass"`` (see the module docstring)."""
        with self.lock:
            self.faults.extend(kinds)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fault_proxy(aws_env):
    """A FaultProxy in front of moto; point ``endpoint_url`` (or AWS_ENDPOINT_URL) at ``.url``."""
    proxy = FaultProxy(aws_env)
    yield proxy
    proxy.close()
