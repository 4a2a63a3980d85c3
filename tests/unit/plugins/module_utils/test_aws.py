"""Unit tests for plugins/module_utils/aws.py: retries, errors, tags, waiters (fake clock)."""
import random

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws import core as aws


def client_error(code, status=400, message="boom", operation="DescribeThings"):
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "req-1"}}, operation)


class Flaky:
    """Raises the given exceptions in turn, then returns ``"ok"``."""

    def __init__(self, *failures):
        self.failures = list(failures)
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


# --- retries -----------------------------------------------------------------------------------

@pytest.mark.parametrize("exc", [
    client_error("Throttling"),
    client_error("ThrottlingException"),
    client_error("RequestLimitExceeded", 503),
    client_error("TooManyRequestsException"),
    client_error("503", 503),
    client_error("InternalError", 500),
    client_error("Whatever", 502),
    EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
])
def test_retryable(exc):
    assert aws.is_retryable(exc)


@pytest.mark.parametrize("exc", [
    client_error("InvalidAMIID.NotFound"),
    client_error("ValidationError"),
    client_error("AccessDenied", 403),
    ValueError("not an AWS error"),
])
def test_not_retryable(exc):
    assert not aws.is_retryable(exc)


def test_retries_then_succeeds_with_growing_jittered_delays():
    func = Flaky(client_error("Throttling"), client_error("503", 503), client_error("ThrottlingException"))
    sleeps, retries = [], []
    result = aws.call_with_retries(func, sleep=sleeps.append, rng=random.Random(1), base=1, cap=100,
                                   on_retry=lambda attempt, exc, delay: retries.append((attempt, aws.error_code(exc))))
    assert result == "ok"
    assert func.calls == 4
    assert retries == [(1, "Throttling"), (2, "503"), (3, "ThrottlingException")]
    # full jitter: each delay lies within [0, base * 2**attempt]
    assert all(0 <= d <= 2 ** i for i, d in enumerate(sleeps))
    assert len(sleeps) == 3


def test_backoff_is_capped():
    rng = random.Random(3)
    assert all(aws.backoff_delay(attempt, base=1, cap=5, rng=rng) <= 5 for attempt in range(30))


def test_gives_up_after_max_attempts():
    func = Flaky(*[client_error("Throttling")] * 5)
    sleeps = []
    with pytest.raises(ClientError):
        aws.call_with_retries(func, max_attempts=3, sleep=sleeps.append)
    assert func.calls == 3
    assert len(sleeps) == 2


def test_connection_failures_get_fewer_attempts():
    func = Flaky(*[EndpointConnectionError(endpoint_url="http://127.0.0.1:1")] * 10)
    with pytest.raises(EndpointConnectionError):
        aws.call_with_retries(func, sleep=lambda s: None)
    assert func.calls == aws.RETRY_MAX_CONNECTION_ATTEMPTS


def test_non_retryable_is_raised_at_once():
    func = Flaky(client_error("InvalidParameterValue"))
    sleeps = []
    with pytest.raises(ClientError):
        aws.call_with_retries(func, sleep=sleeps.append)
    assert func.calls == 1
    assert sleeps == []


# --- errors -------------------------------------------------------------------------------------

def test_format_client_error():
    error = aws.format_aws_error(client_error("InvalidAMIID.NotFound", message="The image does not exist"))
    assert error["code"] == "InvalidAMIID.NotFound"
    assert error["message"] == "The image does not exist"
    assert error["operation"] == "DescribeThings"
    assert error["http_status_code"] == 400
    assert error["request_id"] == "req-1"


def test_format_botocore_error():
    error = aws.format_aws_error(EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))
    assert error["code"] == "EndpointConnectionError"
    assert "127.0.0.1:1" in error["message"]


def test_is_error():
    assert aws.is_error(client_error("A"), "B", "A")
    assert not aws.is_error(client_error("A"), "B")
    assert not aws.is_error(ValueError(), "A")


# --- tags ---------------------------------------------------------------------------------------

def test_tag_list_round_trip():
    tags = {"b": "2", "a": 1, "c": None}
    as_list = aws.boto3_tag_list(tags)
    assert as_list == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}, {"Key": "c", "Value": ""}]
    assert aws.tag_dict(as_list) == {"a": "1", "b": "2", "c": ""}
    assert aws.boto3_tag_list({"x": "y"}, "key", "value") == [{"key": "x", "value": "y"}]
    assert aws.tag_dict([{"key": "x", "value": "y"}]) == {"x": "y"}
    assert aws.tag_dict([{"TagKey": "x", "TagValue": "y"}]) == {"x": "y"}


def test_tag_changes():
    current = {"keep": "1", "change": "old", "extra": "x", "aws:cloudformation:stack": "s"}
    desired = {"keep": "1", "change": "new", "add": 5}
    assert aws.tag_changes(current, desired) == ({"change": "new", "add": "5"}, [])
    assert aws.tag_changes(current, desired, purge=True) == ({"change": "new", "add": "5"}, ["extra"])
    assert aws.tag_changes({"add": "5"}, {"add": 5}) == ({}, [])


def test_ec2_filters():
    assert aws.ec2_filters({"tag:a": "b", "state": ["x", "y"]}) == [
        {"Name": "state", "Values": ["x", "y"]}, {"Name": "tag:a", "Values": ["b"]}]


def test_snake_dict_keeps_tag_keys():
    result = aws.snake_dict({"ImageId": "ami-1", "Tags": [{"Key": "MyTag", "Value": "v"}],
                             "BlockDeviceMappings": [{"DeviceName": "/dev/sda1"}]})
    assert result == {"image_id": "ami-1", "tags": {"MyTag": "v"},
                      "block_device_mappings": [{"device_name": "/dev/sda1"}]}


def test_ensure_dict_diff():
    assert aws.ensure_dict_diff(None, {"a": 1}) == {"before": {}, "after": {"a": 1}}
    assert aws.ensure_dict_diff({"a": 1}, None, "x") == {"before": {"a": 1}, "after": {}, "before_header": "x"}


# --- waiters (fake clock) -----------------------------------------------------------------------

class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class ModuleFailed(Exception):
    pass


class FakeModule:
    def __init__(self, params=None):
        self.params = dict(wait_timeout=600)
        self.params.update(params or {})
        self.wait_progress = []
        self.failure = None

    def fail_json(self, msg, **kwargs):
        self.failure = msg
        raise ModuleFailed(msg)


def test_wait_for_reports_progress_and_backs_off():
    clock, module = FakeClock(), FakeModule()
    statuses = iter([(False, "pending"), (False, "pending"), (False, "pending"), (True, "available")])
    result = aws.wait_for(module, "image ami-1", lambda: next(statuses), timeout=100, delay=5, min_delay=1,
                          clock=clock, sleep=clock.sleep)
    assert result == "available"
    assert clock.sleeps == [1, 2, 4]
    assert module.wait_progress == ["[0s] image ami-1: pending", "[7s] image ami-1: available"]


def test_wait_for_times_out_with_last_status():
    clock, module = FakeClock(), FakeModule()
    with pytest.raises(ModuleFailed):
        aws.wait_for(module, "group g", lambda: (False, "1 of 2 InService"), timeout=30, delay=10,
                     clock=clock, sleep=clock.sleep)
    assert "Timed out after 30s waiting for group g; last status: 1 of 2 InService" in module.failure
    assert clock.now - 1000 == 30  # never sleeps past the timeout
    assert module.wait_progress == ["[0s] group g: 1 of 2 InService"]


def test_wait_for_stops_on_waiter_failure():
    clock, module = FakeClock(), FakeModule()

    def check():
        raise aws.WaiterFailure("image ami-1 is failed")
    with pytest.raises(ModuleFailed):
        aws.wait_for(module, "image ami-1", check, timeout=30, clock=clock, sleep=clock.sleep)
    assert "image ami-1 is failed" in module.failure
    assert clock.sleeps == []


class FakeEC2:
    def __init__(self, states):
        self.states = list(states)

    def describe_images(self, ImageIds):
        state = self.states.pop(0)
        if state is None:
            raise client_error("InvalidAMIID.NotFound")
        return {"Images": [{"ImageId": ImageIds[0], "State": state}]}


def test_image_available_waiter():
    clock, module = FakeClock(), FakeModule()
    aws.image_available(module, FakeEC2([None, "pending", "available"]), "ami-1", clock=clock, sleep=clock.sleep)
    assert [line.split(": ")[1] for line in module.wait_progress] == ["not visible yet", "pending", "available"]


def test_image_failed_waiter():
    clock, module = FakeClock(), FakeModule()
    with pytest.raises(ModuleFailed):
        aws.image_available(module, FakeEC2(["pending", "failed"]), "ami-1", clock=clock, sleep=clock.sleep)


class FakeAutoScaling:
    def __init__(self, answers):
        self.answers = list(answers)

    def describe_auto_scaling_groups(self, AutoScalingGroupNames):
        return {"AutoScalingGroups": self.answers.pop(0)}


def test_instances_in_service_waiter_uses_wait_timeout():
    clock, module = FakeClock(), FakeModule({"wait_timeout": 20})
    pending = [{"Instances": [{"LifecycleState": "Pending"}, {"LifecycleState": "InService"}]}]
    with pytest.raises(ModuleFailed):
        aws.instances_in_service(module, FakeAutoScaling([pending] * 100), "g", 2, clock=clock, sleep=clock.sleep)
    assert "1 of 2 instances InService (2 in group)" in module.failure
    assert clock.now - 1000 == 20


def test_group_deleted_waiter():
    clock, module = FakeClock(), FakeModule()
    aws.group_deleted(module, FakeAutoScaling([[{"Status": "Delete in progress", "Instances": [{}]}], []]), "g",
                      clock=clock, sleep=clock.sleep)
    assert module.wait_progress[-1].endswith("g deleted: deleted")


class FakeACM:
    def __init__(self, statuses):
        self.statuses = list(statuses)

    def describe_certificate(self, CertificateArn):
        return {"Certificate": {"Status": self.statuses.pop(0)}}


def test_certificate_issued_waiter():
    clock, module = FakeClock(), FakeModule()
    aws.certificate_issued(module, FakeACM(["PENDING_VALIDATION", "ISSUED"]),
                           "arn:aws:acm:us-east-1:1:certificate/abc", clock=clock, sleep=clock.sleep)
    assert module.wait_progress[-1] == "[1s] certificate abc issued: ISSUED"
    with pytest.raises(ModuleFailed):
        aws.certificate_issued(FakeModule(), FakeACM(["FAILED"]), "arn:x/abc", clock=clock, sleep=clock.sleep)


class FakeELBv2:
    def __init__(self, health, lb_states=()):
        self.health = list(health)
        self.lb_states = list(lb_states)

    def describe_target_health(self, TargetGroupArn):
        return {"TargetHealthDescriptions": [{"TargetHealth": {"State": s}} for s in self.health.pop(0)]}

    def describe_load_balancers(self, LoadBalancerArns):
        return {"LoadBalancers": [{"State": {"Code": self.lb_states.pop(0)}}]}


def test_target_health_and_balancer_active_waiters():
    clock, module = FakeClock(), FakeModule()
    arn = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web/123"
    aws.target_health(module, FakeELBv2([["initial", "healthy"], ["healthy", "healthy"]]), arn, 2,
                      clock=clock, sleep=clock.sleep)
    assert module.wait_progress[0] == "[0s] targets of web: 1 of 2 targets healthy (healthy, initial)"
    lb_arn = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/front/456"
    aws.balancer_active(module, FakeELBv2([], ["provisioning", "active"]), lb_arn, clock=clock, sleep=clock.sleep)
    assert module.wait_progress[-1].endswith("balancer front active: active")
