"""The AWS stand-in's scaling policies, named per group (tests/standins/moto_autoscaling_policies.py).

In-process moto with the stand-in installed through monkeypatch (undone after each test); the
same code runs in the moto server of the integration tests and the sandbox.
"""
import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from standins import moto_autoscaling_policies as standin

REGION = "us-east-1"
SESSION = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def autoscaling(monkeypatch):
    standin.install(lambda owner, name, value: monkeypatch.setattr(owner, name, value, raising=False))
    with mock_aws():
        client = SESSION.client("autoscaling", region_name=REGION)
        # groups of size 0: nothing is launched
        client.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-00000000",
                                           InstanceType="t3.micro")
        for group in ("wcs-edge", "streammanager"):
            client.create_auto_scaling_group(AutoScalingGroupName=group, LaunchConfigurationName="lc",
                                             MinSize=0, MaxSize=1, AvailabilityZones=[REGION + "a"])
        yield client


def put(client, group, adjustment, name="scale-out"):
    client.put_scaling_policy(AutoScalingGroupName=group, PolicyName=name, PolicyType="SimpleScaling",
                              AdjustmentType="ChangeInCapacity", ScalingAdjustment=adjustment)
    # (moto 5.2.5 leaves PolicyARN out of the put's answer: the ARN from the describe)
    found = client.describe_policies(AutoScalingGroupName=group, PolicyNames=[name])["ScalingPolicies"]
    return found[0]["PolicyARN"]


def policies(client, group=None):
    kwargs = dict(AutoScalingGroupName=group) if group else {}
    return sorted((p["AutoScalingGroupName"], p["PolicyName"], p["ScalingAdjustment"])
                  for p in client.describe_policies(**kwargs)["ScalingPolicies"])


def test_one_name_in_two_groups_is_two_policies(autoscaling):
    put(autoscaling, "wcs-edge", 1)
    put(autoscaling, "streammanager", 2)
    assert policies(autoscaling) == [("streammanager", "scale-out", 2), ("wcs-edge", "scale-out", 1)]
    assert policies(autoscaling, "wcs-edge") == [("wcs-edge", "scale-out", 1)]
    # a put of an existing group/name pair updates that group's policy only
    put(autoscaling, "wcs-edge", 3)
    assert policies(autoscaling) == [("streammanager", "scale-out", 2), ("wcs-edge", "scale-out", 3)]


def test_delete_by_group_and_name_or_by_arn(autoscaling):
    put(autoscaling, "wcs-edge", 1)
    arn = put(autoscaling, "streammanager", 2)
    autoscaling.delete_policy(AutoScalingGroupName="wcs-edge", PolicyName="scale-out")
    assert policies(autoscaling) == [("streammanager", "scale-out", 2)]
    autoscaling.delete_policy(PolicyName=arn)
    assert policies(autoscaling) == []


def test_execute_names_the_group_and_an_unknown_policy_is_refused(autoscaling):
    put(autoscaling, "wcs-edge", 1)
    autoscaling.execute_policy(AutoScalingGroupName="wcs-edge", PolicyName="scale-out", HonorCooldown=False)
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["wcs-edge"])["AutoScalingGroups"][0]
    assert group["DesiredCapacity"] == 1
    with pytest.raises(ClientError) as refused:
        autoscaling.execute_policy(AutoScalingGroupName="streammanager", PolicyName="scale-out")
    assert refused.value.response["Error"]["Code"] == "ValidationError"


def test_policies_go_with_their_group(autoscaling):
    put(autoscaling, "wcs-edge", 1)
    put(autoscaling, "streammanager", 2)
    autoscaling.delete_auto_scaling_group(AutoScalingGroupName="wcs-edge", ForceDelete=True)
    assert policies(autoscaling) == [("streammanager", "scale-out", 2)]
