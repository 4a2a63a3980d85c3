"""Unit tests for module_utils/aws/waiters.py (fake clock, fake clients)."""
import pytest
from botocore.exceptions import ClientError

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws import waiters as aws


def client_error(code, status=400, message="boom", operation="DescribeThings"):
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "req-1"}}, operation)


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
    assert module.wait_progress == ["[0s] group g: 1 of 2 InService", "[30s] group g: timed out"]


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

    def describe_images(self, ImageIds, aws_retry=False):
        assert aws_retry is True  # a waiter's reads are retried
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

    def describe_auto_scaling_groups(self, AutoScalingGroupNames, aws_retry=False):
        assert aws_retry is True  # a waiter's reads are retried
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

    def describe_certificate(self, CertificateArn, aws_retry=False):
        assert aws_retry is True  # a waiter's reads are retried
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

    def describe_target_health(self, TargetGroupArn, aws_retry=False):
        assert aws_retry is True  # a waiter's reads are retried
        return {"TargetHealthDescriptions": [{"TargetHealth": {"State": s}} for s in self.health.pop(0)]}

    def describe_load_balancers(self, LoadBalancerArns, aws_retry=False):
        assert aws_retry is True  # a waiter's reads are retried
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
