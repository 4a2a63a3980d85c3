"""The fault proxy itself (tests/lib/fault_proxy.py) in front of moto, seen from boto3."""
import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError

from lib.fault_proxy import FaultProxy

# One attempt: what botocore sees is what the proxy answered.
ONE_ATTEMPT = Config(retries={"total_max_attempts": 1})


@pytest.fixture
def proxy(aws_env):
    started = FaultProxy(aws_env).start()
    yield started
    started.close()


def client(service, proxy):
    return boto3.client(service, region_name="us-east-1", endpoint_url=proxy.url, config=ONE_ATTEMPT,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.mark.parametrize("service, call, status, code", [
    ("ec2", lambda c: c.describe_vpcs(), 503, "RequestLimitExceeded"),
    ("autoscaling", lambda c: c.describe_auto_scaling_groups(), 400, "Throttling"),
    ("elbv2", lambda c: c.describe_load_balancers(), 400, "Throttling"),
    ("iam", lambda c: c.list_roles(), 400, "Throttling"),
    # botocore 1.44 speaks CloudWatch's JSON protocol: the JSON shape
    ("cloudwatch", lambda c: c.describe_alarms(), 400, "ThrottlingException"),
    ("route53", lambda c: c.list_hosted_zones(), 400, "Throttling"),
    ("resourcegroupstaggingapi", lambda c: c.get_resources(), 400, "ThrottlingException"),
])
def test_throttling_in_each_services_shape(proxy, service, call, status, code):
    proxy.inject("throttle")
    with pytest.raises(ClientError) as raised:
        call(client(service, proxy))
    assert raised.value.response["Error"]["Code"] == code
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    call(client(service, proxy))  # the next one goes through
    assert sum(proxy.counts.values()) == 2 and proxy.forwarded == 1


def test_5xx_and_reset(proxy):
    ec2 = client("ec2", proxy)
    proxy.inject("5xx", "reset")
    with pytest.raises(ClientError) as raised:
        ec2.describe_vpcs()
    assert (raised.value.response["Error"]["Code"], raised.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "InternalError", 500)
    with pytest.raises(ConnectionClosedError):
        ec2.describe_vpcs()
    assert proxy.forwarded == 0 and proxy.fault_counts("kind") == {"5xx": 1, "reset": 1}


def test_a_seeded_storm_is_the_same_every_time(aws_env):
    sequences = []
    for _run in range(2):
        with FaultProxy(aws_env) as storm:
            storm.storm(7, throttle=0.3, server_error=0.1, max_run=2)
            ec2 = client("ec2", storm)
            for _call in range(30):
                try:
                    ec2.describe_vpcs()
                except ClientError:
                    pass
            sequences.append([kind for kind, _service in storm.served])
    assert sequences[0] == sequences[1]
    assert 5 <= len(sequences[0]) <= 20 and set(sequences[0]) == {"throttle", "5xx"}


def test_hook_after_the_nth_call_runs_once_moto_carried_it_out(proxy, aws):
    fired = []
    trigger = proxy.on("CreateVpc", fired.append, nth=2, when="after")
    ec2 = client("ec2", proxy)
    ec2.create_vpc(CidrBlock="10.1.0.0/16")
    assert not trigger.fired.is_set()
    with pytest.raises(ConnectionClosedError):  # carried out, the answer lost
        ec2.create_vpc(CidrBlock="10.2.0.0/16")
    assert fired == [("ec2", "CreateVpc")] and trigger.fired.is_set()
    cidrs = sorted(v["CidrBlock"] for v in aws.ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"])
    assert cidrs == ["10.1.0.0/16", "10.2.0.0/16"]
