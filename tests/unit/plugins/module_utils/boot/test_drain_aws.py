"""SigV4 signing (against AWS's documented example and botocore's signer) and the Auto Scaling
recorder stand-in (driven by boto3, so its answers have the shapes botocore parses)."""
import calendar
import time
import urllib.request

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from botocore.exceptions import ClientError

from ansible_collections.streamfleet.cluster.plugins.module_utils.boot.metadata import Credentials
from ansible_collections.streamfleet.cluster.plugins.module_utils.drain.autoscaling import (
    AutoScalingClient,
    AutoScalingError,
    default_endpoint,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.drain.sigv4 import sign_request
from standins import autoscaling_recorder

# IAM User Guide, "Examples of the complete Signature Version 4 signing process" (IAM ListUsers,
# the documentation's example key pair, 2015-08-30T12:36:00Z).
EXAMPLE_KEYS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None, 0)
EXAMPLE_TIME = 1440938160  # 20150830T123600Z
EXAMPLE_SIGNATURE = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"


def test_documented_example_signature():
    headers = sign_request("GET", "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08", b"",
                           "us-east-1", "iam", EXAMPLE_KEYS, now=EXAMPLE_TIME,
                           headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    assert headers["X-Amz-Date"] == "20150830T123600Z"
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, Signature=" + EXAMPLE_SIGNATURE)


@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzEXAMPLE//token+with/slashes="])
def test_same_signature_as_botocore_for_a_query_api_post(token):
    keys = Credentials("ASIAEXAMPLE", "secret/with+chars", token, 0)
    body = b"Action=CompleteLifecycleAction&Version=2011-01-01&AutoScalingGroupName=sf%20edges&LifecycleActionResult=CONTINUE"
    url = "https://autoscaling.eu-west-1.amazonaws.com/"
    request = AWSRequest(method="POST", url=url, data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(BotoCredentials("ASIAEXAMPLE", "secret/with+chars", token), "autoscaling", "eu-west-1").add_auth(request)
    # botocore signs at the current time: sign ours at the very same second.
    now = calendar.timegm(time.strptime(request.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
    ours = sign_request("POST", url, body, "eu-west-1", "autoscaling", keys, now=now,
                        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    assert ours["X-Amz-Date"] == request.headers["X-Amz-Date"]
    assert ours["Authorization"] == request.headers["Authorization"]
    if token:
        assert ours["X-Amz-Security-Token"] == token


def test_default_endpoint_per_partition():
    assert default_endpoint("eu-west-1") == "https://autoscaling.eu-west-1.amazonaws.com"
    assert default_endpoint("cn-north-1") == "https://autoscaling.cn-north-1.amazonaws.com.cn"


@pytest.fixture
def recorder():
    running = autoscaling_recorder.start({"i-0drain": "sf-wcs-edges"})
    yield running
    running.stop()


def boto_client(recorder):
    return boto3.client("autoscaling", region_name="eu-west-1", endpoint_url=recorder.endpoint,
                        aws_access_key_id="ASIATEST", aws_secret_access_key="test", aws_session_token="session")


def test_recorder_answers_boto3_with_the_documented_shapes(recorder):
    client = boto_client(recorder)
    found = client.describe_auto_scaling_instances(InstanceIds=["i-0drain", "i-0unknown"])["AutoScalingInstances"]
    assert [(i["InstanceId"], i["AutoScalingGroupName"], i["LifecycleState"]) for i in found] == [
        ("i-0drain", "sf-wcs-edges", "Terminating:Wait")]
    assert found[0]["ProtectedFromScaleIn"] is False
    client.record_lifecycle_action_heartbeat(LifecycleHookName="streamfleet-drain", AutoScalingGroupName="sf-wcs-edges",
                                             InstanceId="i-0drain")
    answer = client.complete_lifecycle_action(LifecycleHookName="streamfleet-drain", AutoScalingGroupName="sf-wcs-edges",
                                              InstanceId="i-0drain", LifecycleActionResult="CONTINUE")
    assert answer["ResponseMetadata"]["RequestId"]
    with pytest.raises(ClientError) as caught:
        client.complete_lifecycle_action(LifecycleHookName="streamfleet-drain", AutoScalingGroupName="sf-wcs-edges",
                                         InstanceId="i-0drain", LifecycleActionResult="CONTINUE")
    assert caught.value.response["Error"]["Code"] == "ValidationError"
    assert "No active Lifecycle Action" in caught.value.response["Error"]["Message"]
    calls = recorder.calls
    assert [c["action"] for c in calls] == ["DescribeAutoScalingInstances", "RecordLifecycleActionHeartbeat",
                                            "CompleteLifecycleAction", "CompleteLifecycleAction"]
    assert calls[2]["params"]["LifecycleActionResult"] == "CONTINUE" and calls[2]["key_id"] == "ASIATEST"
    assert calls[3]["status"] == 400


def test_recorder_refuses_unsigned_and_malformed_signatures(recorder):
    request = urllib.request.Request(recorder.endpoint + "/", method="POST",
                                     data=b"Action=CompleteLifecycleAction&Version=2011-01-01")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 403 and b"IncompleteSignature" in caught.value.read()
    wrong_region = boto3.client("autoscaling", region_name="us-east-1", endpoint_url=recorder.endpoint,
                                aws_access_key_id="AKIATEST", aws_secret_access_key="test")
    with pytest.raises(ClientError) as caught:
        wrong_region.describe_auto_scaling_instances()
    assert caught.value.response["Error"]["Code"] == "IncompleteSignature"


def test_our_client_against_the_recorder(recorder):
    keys = Credentials("ASIAOURS", "secret", "session", 0)
    client = AutoScalingClient(recorder.endpoint, "eu-west-1", lambda: keys, timeout=5)
    assert client.group_of("i-0drain") == "sf-wcs-edges"
    assert client.group_of("i-0unknown") is None
    client.record_heartbeat("sf-wcs-edges", "streamfleet-drain", instance_id="i-0drain")
    client.complete("sf-wcs-edges", "streamfleet-drain", "CONTINUE", instance_id="i-0drain")
    with pytest.raises(AutoScalingError) as caught:
        client.record_heartbeat("sf-wcs-edges", "streamfleet-drain", instance_id="i-0drain")
    assert caught.value.code == "ValidationError" and caught.value.status == 400
    assert all(call["key_id"] == "ASIAOURS" and call.get("error") in (None, "ValidationError") for call in recorder.calls)
    assert recorder.calls[2]["params"] == {"AutoScalingGroupName": "sf-wcs-edges", "LifecycleHookName": "streamfleet-drain",
                                           "InstanceId": "i-0drain"}
    assert recorder.calls[3]["params"]["LifecycleActionResult"] == "CONTINUE"


def test_our_client_reports_an_unreachable_endpoint():
    client = AutoScalingClient("http://127.0.0.1:9", "eu-west-1", lambda: Credentials("A", "s", None, 0), timeout=2)
    with pytest.raises(AutoScalingError) as caught:
        client.group_of("i-0drain")
    assert caught.value.code == "Unreachable"
