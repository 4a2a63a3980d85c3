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
- ``fault_proxy``: ``lib.fault_proxy.FaultProxy`` in front of moto; it answers the next
  requests with faults (``fault_proxy.inject("throttle", "503", ...)``), for retry tests:
  ``"throttle"`` in the service's documented shape, ``"5xx"``, ``"503"``, ``"reset"``,
  ``"denied"`` answers 403 (not retryable); ``"lost"`` forwards the request to moto (so it is
  carried out) but answers 503, as when the answer of a create is lost; ``"pass"`` forwards.
"""
import urllib.request

import boto3
import pytest

import shared_deployments
from lib import harness, secret_audit
from lib.antmedia_console import RunningConsole
from lib.fault_proxy import FaultProxy
from lib.harness import PlaybookRunner
from topology_runner import REPO

REGION = "us-east-1"
DEPLOYMENT_TAG = "streamfleet:deployment"


free_port = harness.free_port


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory):
    with harness.moto_server(tmp_path_factory.mktemp("moto"),
                             env=dict(MOTO_ACM_VALIDATION_WAIT="2", AWS_DEFAULT_REGION=REGION)) as url:
        yield url


def point_at(monkeypatch, endpoint, tmp_path):
    """The AWS environment variables of the tests, for the moto at ``endpoint``."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    # The sandbox's placeholder secret key: the secret audit searches every run for it ("testing"
    # would match ordinary words).
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret_audit.sandbox_script_exports()["AWS_SECRET_ACCESS_KEY"])
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(autouse=True)
def aws_env(moto_server, monkeypatch, tmp_path):
    """Fresh moto state and AWS environment variables for every test."""
    request = urllib.request.Request(moto_server + "/moto-api/reset", data=b"", method="POST")
    urllib.request.urlopen(request, timeout=30).read()
    point_at(monkeypatch, moto_server, tmp_path)
    return moto_server


class AWSClients:
    """Lazily created boto3 clients against moto: ``aws.ec2`` or ``aws("ec2")``."""

    def __init__(self, endpoint_url, region=REGION):
        self.endpoint_url = endpoint_url
        self.region = region
        self._clients = {}

    def __call__(self, service):
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service, region_name=self.region, endpoint_url=self.endpoint_url,
                aws_access_key_id="testing", aws_secret_access_key="testing")
        return self._clients[service]

    def in_region(self, region):
        """Clients of the same moto in another region."""
        return AWSClients(self.endpoint_url, region=region)

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
# Fault-injecting proxy: the one implementation is tests/lib/fault_proxy.py


@pytest.fixture
def fault_proxy(aws_env):
    """A FaultProxy in front of moto; point ``endpoint_url`` (or AWS_ENDPOINT_URL) at ``.url``."""
    proxy = FaultProxy(aws_env).start()
    yield proxy
    proxy.close()


# ---------------------------------------------------------------------------------------------
# Deployments converged once and shared by the tests that start from them (shared_deployments.py)


@pytest.fixture(scope="session")
def antmedia_shared(tmp_path_factory):
    """The Ant Media cluster of ``shared_deployments.antmedia_vars`` on a moto of its own, with
    the stand-in console its first administrator is claimed through (``.console``)."""
    directory = tmp_path_factory.mktemp("antmedia-shared")
    state = {}

    def build(shared):
        # a fresh console for each converge: the first administrator is claimed on the first deploy
        if state.get("console"):
            state["console"].stop()
        state["console"] = shared.console = RunningConsole(directory / ("console-%d" % shared.converges))
        return shared_deployments.build_antmedia(shared, shared.console.url)

    shared = shared_deployments.SharedDeployment("antmedia", directory, build).start(
        AWSClients, lambda folder: PlaybookRunner(folder, REPO, REPO / ".build" / "collections"))
    yield shared
    shared.stop()
    if state.get("console"):
        state["console"].stop()


@pytest.fixture
def antmedia_deployment(aws_env, antmedia_shared, monkeypatch, tmp_path, request):
    """The shared Ant Media cluster (converged now if no earlier test of this worker left it);
    the test's AWS environment points at its moto, ``.aws`` has the clients, ``.first`` what
    the first converge reported. A test that fails leaves it to be converged anew."""
    point_at(monkeypatch, antmedia_shared.endpoint, tmp_path)
    failed_before = request.session.testsfailed
    yield antmedia_shared.get()
    if request.session.testsfailed > failed_before:
        antmedia_shared.consume()
