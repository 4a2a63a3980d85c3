"""``streamfleet-boot elastic-ip`` (boot/elastic_ip.py): each Stream Manager claims its own reserved
Elastic IP at boot, against moto (EC2 Query API, SigV4 with the instance profile's credentials
from the IMDSv2 stand-in)."""
import io

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.boot import cli, elastic_ip
from ansible_collections.streamfleet.cluster.plugins.module_utils.boot.metadata import metadata_source
from standins import imds_standin

DEPLOYMENT = "eipboot"
SET = "streammanager"


@pytest.fixture
def instances(aws, network, base_image_id):
    return [i["InstanceId"] for i in aws.ec2.run_instances(
        ImageId=base_image_id, InstanceType="t3.micro", MinCount=3, MaxCount=3,
        SubnetId=network["subnet_ids"][0])["Instances"]]


@pytest.fixture
def reserved(run_module):
    result = run_module("aws_elastic_ips", dict(name=SET, count=2, deployment=DEPLOYMENT))
    assert result["changed"] is True
    return {a["index"]: (a["allocation_id"], a["public_ip"]) for a in result["addresses"]}


@pytest.fixture
def imds():
    running = imds_standin.start({"placement/region": "us-east-1"}, role="streammanager-profile")
    yield running
    running.stop()


def boot(imds, moto, instance_id):
    """One boot of ``instance_id``: (exit status, standard output, standard error)."""
    imds.state.metadata["instance-id"] = instance_id
    out, err = io.StringIO(), io.StringIO()
    status = cli.main(["elastic-ip", "--deployment", DEPLOYMENT, "--set", SET, "--metadata-endpoint", imds.endpoint,
                       "--ec2-endpoint", moto, "--deadline", "0"], out=out, err=err)
    return status, out.getvalue().strip(), err.getvalue()


def holder(aws, allocation_id):
    return aws.ec2.describe_addresses(AllocationIds=[allocation_id])["Addresses"][0].get("InstanceId")


def test_each_instance_claims_its_own_address_once(aws, aws_env, instances, reserved, imds):
    first, second, third = instances
    assert boot(imds, aws_env, first)[:2] == (0, reserved[0][1])
    assert boot(imds, aws_env, second)[:2] == (0, reserved[1][1])
    assert (holder(aws, reserved[0][0]), holder(aws, reserved[1][0])) == (first, second)
    # a reboot keeps the address and associates nothing
    status, address, err = boot(imds, aws_env, first)
    assert (status, address) == (0, reserved[0][1]) and "already this instance's" in err
    # a third Stream Manager with a set of two: a clear error, nobody's address taken
    status, address, err = boot(imds, aws_env, third)
    assert status == 1 and address == "" and "no free address in Elastic IP set streammanager" in err
    assert (holder(aws, reserved[0][0]), holder(aws, reserved[1][0])) == (first, second)
    # requests were signed with the instance profile's temporary credentials
    assert any(path.startswith("/latest/meta-data/iam/security-credentials/") for _m, path, _t in imds.calls)


def test_two_instances_booting_at_once_never_share_an_address(aws, aws_env, instances, reserved, imds):
    """The second of two instances that both read index 0 as free gets index 1 (EC2 refuses
    AllowReassociation=false on a held address)."""
    first, second, _third = instances
    source = metadata_source("aws", endpoint=imds.endpoint, retries=1, retry_delay=0)
    imds.state.metadata["instance-id"] = second
    client = elastic_ip.Ec2Client(aws_env, "us-east-1", elastic_ip.instance_credentials(source))
    stale = client.addresses(DEPLOYMENT, SET)  # both free when read
    aws.ec2.associate_address(AllocationId=reserved[0][0], InstanceId=first)  # the other one wins index 0
    client.addresses = lambda deployment, name: stale
    assert elastic_ip.claim(client, DEPLOYMENT, SET, second) == (reserved[1][1], True)
    assert (holder(aws, reserved[0][0]), holder(aws, reserved[1][0])) == (first, second)


def test_transient_failures_are_retried_until_the_deadline(imds):
    fake = {"now": 0.0, "slept": []}

    def sleep(seconds):
        fake["slept"].append(seconds)
        fake["now"] += seconds

    imds.state.metadata["instance-id"] = "i-0123456789abcdef0"
    source = metadata_source("aws", endpoint=imds.endpoint, retries=1, retry_delay=0)
    with pytest.raises(elastic_ip.ElasticIpError) as caught:
        # nothing listens on port 9 of 127.0.0.1
        elastic_ip.claim_with_metadata(source, DEPLOYMENT, SET, endpoint="http://127.0.0.1:9", timeout=1,
                                       deadline_seconds=10, sleep=sleep, clock=lambda: fake["now"])
    assert caught.value.code == "Unreachable"
    assert fake["slept"] == [1.0, 2.0, 4.0] and fake["now"] <= 10
