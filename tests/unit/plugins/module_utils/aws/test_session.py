"""Unit tests for module_utils/aws/session.py: retries opt-in per call, creates sent once, call counts.

A real boto3 client with botocore's Stubber: no network; a call with no stubbed answer left
fails the test, so "sent once" is checked by botocore itself.
"""
from collections import Counter

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.session import (
    AWSClient,
    StreamfleetAWSModule,
)

GROUP = dict(AutoScalingGroupName="web", MinSize=1, MaxSize=2, DesiredCapacity=1, DefaultCooldown=300,
             AvailabilityZones=["us-east-1a"], HealthCheckType="EC2", CreatedTime="2026-01-01T00:00:00Z")


@pytest.fixture
def raw():
    client = boto3.client("autoscaling", region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing", endpoint_url="http://127.0.0.1:9")
    with Stubber(client) as stubber:
        client.stubber = stubber
        yield client
    stubber.assert_no_pending_responses()


class Counting(object):
    """The call bookkeeping of StreamfleetAWSModule without an AnsibleModule."""

    def __init__(self):
        self.sent_log = Counter()
        self.retry_log = Counter()

    call_log = StreamfleetAWSModule.call_log
    _count_calls = StreamfleetAWSModule._count_calls


def wrapped(raw, counting=None):
    counting = counting or Counting()
    counting._count_calls("autoscaling", raw)
    return AWSClient(raw, "autoscaling", counting.retry_log, sleep=lambda s: None), counting


def test_throttled_create_is_reread_and_not_sent_twice(raw):
    raw.stubber.add_client_error("create_auto_scaling_group", service_error_code="Throttling",
                                 http_status_code=400)
    raw.stubber.add_response("describe_auto_scaling_groups", {"AutoScalingGroups": [GROUP]},
                             {"AutoScalingGroupNames": ["web"]})
    client, counting = wrapped(raw)

    def reread():
        groups = client.describe_auto_scaling_groups(aws_retry=True, AutoScalingGroupNames=["web"])
        return groups["AutoScalingGroups"][0] if groups["AutoScalingGroups"] else None

    found = client.create_once("create_auto_scaling_group", reread, AutoScalingGroupName="web",
                               MinSize=1, MaxSize=2, LaunchTemplate={"LaunchTemplateName": "web"})
    assert found["AutoScalingGroupName"] == "web"
    # one create (throttled), one describe, no second create (the Stubber had none to give)
    assert counting.sent_log == Counter({"autoscaling.CreateAutoScalingGroup": 1,
                                         "autoscaling.DescribeAutoScalingGroups": 1})
    assert dict(counting.call_log) == dict(counting.sent_log)


def test_throttled_create_is_resent_when_reread_finds_nothing(raw):
    raw.stubber.add_client_error("create_auto_scaling_group", service_error_code="Throttling",
                                 http_status_code=400)
    raw.stubber.add_response("describe_auto_scaling_groups", {"AutoScalingGroups": []})
    raw.stubber.add_response("create_auto_scaling_group", {})
    client, counting = wrapped(raw)

    def reread():
        groups = client.describe_auto_scaling_groups(aws_retry=True, AutoScalingGroupNames=["web"])
        return groups["AutoScalingGroups"][0] if groups["AutoScalingGroups"] else None

    client.create_once("create_auto_scaling_group", reread, AutoScalingGroupName="web",
                       MinSize=1, MaxSize=2, LaunchTemplate={"LaunchTemplateName": "web"})
    assert counting.retry_log == Counter({"autoscaling.CreateAutoScalingGroup": 1})
    assert counting.sent_log["autoscaling.CreateAutoScalingGroup"] == 2
    assert counting.call_log["autoscaling.CreateAutoScalingGroup"] == 1  # one call, re-sent once


def test_calls_are_sent_once_unless_they_opt_in(raw):
    raw.stubber.add_client_error("describe_auto_scaling_groups", service_error_code="Throttling",
                                 http_status_code=400)
    client, counting = wrapped(raw)
    with pytest.raises(ClientError):
        client.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])
    assert counting.sent_log == Counter({"autoscaling.DescribeAutoScalingGroups": 1})
    assert not counting.retry_log


def test_reads_that_opt_in_are_retried_and_counted_once(raw):
    raw.stubber.add_client_error("describe_auto_scaling_groups", service_error_code="Throttling",
                                 http_status_code=400)
    raw.stubber.add_client_error("describe_auto_scaling_groups", service_error_code="ServiceUnavailable",
                                 http_status_code=503)
    raw.stubber.add_response("describe_auto_scaling_groups", {"AutoScalingGroups": [GROUP]})
    client, counting = wrapped(raw)
    groups = client.describe_auto_scaling_groups(aws_retry=True, AutoScalingGroupNames=["web"])
    assert groups["AutoScalingGroups"][0]["AutoScalingGroupName"] == "web"
    assert counting.retry_log == Counter({"autoscaling.DescribeAutoScalingGroups": 2})
    assert counting.call_log == Counter({"autoscaling.DescribeAutoScalingGroups": 1})


def test_paginated_reads_are_counted_per_page_and_retried(raw):
    other = dict(GROUP, AutoScalingGroupName="db")
    raw.stubber.add_response("describe_auto_scaling_groups", {"AutoScalingGroups": [GROUP], "NextToken": "t"})
    raw.stubber.add_client_error("describe_auto_scaling_groups", service_error_code="Throttling",
                                 http_status_code=400)
    raw.stubber.add_response("describe_auto_scaling_groups", {"AutoScalingGroups": [GROUP], "NextToken": "t"})
    raw.stubber.add_response("describe_auto_scaling_groups", {"AutoScalingGroups": [other]})
    client, counting = wrapped(raw)
    names = [g["AutoScalingGroupName"] for g in client.paginate("describe_auto_scaling_groups", "AutoScalingGroups")]
    assert names == ["web", "db"]
    assert counting.retry_log == Counter({"autoscaling.DescribeAutoScalingGroups": 1})


def test_the_wrapper_leaves_botocore_alone(raw):
    client, _counting = wrapped(raw)
    assert "_make_api_call" not in vars(raw)
    assert client.raw is raw
    assert client.meta is raw.meta
