"""Unit tests for what waits report (module_utils/aws/waiters.py): how far they got, what they
still wait for, and which resource stopped them. Fake clock, fake clients."""
import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws import waiters as aws


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class ModuleFailed(Exception):
    pass


class FakeModule:
    def __init__(self, wait_timeout=600):
        self.params = dict(wait_timeout=wait_timeout)
        self.wait_progress = []
        self.failure = None

    def fail_json(self, msg, **kwargs):
        self.failure = dict(kwargs, msg=msg)
        raise ModuleFailed(msg)


def test_a_long_wait_reports_even_when_nothing_changes():
    clock, module = FakeClock(), FakeModule()
    with pytest.raises(ModuleFailed):
        aws.wait_for(module, "group web", lambda: (False, "0 of 2 instances InService"), timeout=200,
                     delay=10, clock=clock, sleep=clock.sleep)
    lines = module.wait_progress
    # a line at the start, then at least every PROGRESS_EVERY seconds, then the timeout
    assert lines[0] == "[0s] group web: 0 of 2 instances InService"
    assert lines[-1] == "[200s] group web: timed out"
    seconds = [int(line[1:line.index("s]")]) for line in lines]
    assert all(b - a <= aws.PROGRESS_EVERY + 10 for a, b in zip(seconds, seconds[1:]))
    assert len(lines) >= 200 // (aws.PROGRESS_EVERY + 10) + 1


def test_a_timed_out_wait_names_what_stopped_it():
    clock, module = FakeClock(), FakeModule()
    with pytest.raises(ModuleFailed):
        aws.wait_for(module, "group web", lambda: (False, "1 of 2 instances InService"), timeout=30,
                     clock=clock, sleep=clock.sleep)
    assert module.failure["wait_failure"] == dict(waiting_for="group web", elapsed=30,
                                                  last_status="1 of 2 instances InService")
    assert "group web" in module.failure["msg"]


def test_a_failed_wait_says_why_and_when():
    clock, module = FakeClock(), FakeModule()
    answers = iter([(False, "pending")])

    def check():
        for answer in answers:
            return answer
        raise aws.WaiterFailure("image ami-1 is failed: disk error")
    with pytest.raises(ModuleFailed):
        aws.wait_for(module, "image ami-1 available", check, timeout=60, clock=clock, sleep=clock.sleep)
    assert module.failure["msg"] == "Waiting for image ami-1 available failed after 1s: image ami-1 is failed: disk error"
    assert module.wait_progress[-1] == "[1s] image ami-1 available: failed: image ami-1 is failed: disk error"


class FakeAutoScaling:
    def __init__(self, instances):
        self.instances = instances

    def describe_auto_scaling_groups(self, AutoScalingGroupNames, aws_retry=False):
        assert aws_retry is True
        return {"AutoScalingGroups": [{"AutoScalingGroupName": AutoScalingGroupNames[0], "Instances": self.instances}]}


def test_instances_not_in_service_are_named():
    clock, module = FakeClock(), FakeModule(wait_timeout=20)
    instances = [
        {"InstanceId": "i-ready", "LifecycleState": "InService", "HealthStatus": "Healthy"},
        {"InstanceId": "i-slow", "LifecycleState": "Pending", "HealthStatus": "Healthy"},
        {"InstanceId": "i-sick", "LifecycleState": "InService", "HealthStatus": "Unhealthy"},
    ]
    with pytest.raises(ModuleFailed):
        aws.instances_in_service(module, FakeAutoScaling(instances), "web", 3, clock=clock, sleep=clock.sleep)
    status = module.failure["wait_failure"]["last_status"]
    assert status == "1 of 3 instances InService (3 in group); not ready: i-slow Pending, i-sick InService Unhealthy"


def test_many_laggards_are_counted_not_listed():
    clock, module = FakeClock(), FakeModule(wait_timeout=5)
    instances = [{"InstanceId": "i-%d" % n, "LifecycleState": "Pending"} for n in range(8)]
    with pytest.raises(ModuleFailed):
        aws.instances_in_service(module, FakeAutoScaling(instances), "web", 8, clock=clock, sleep=clock.sleep)
    assert module.failure["wait_failure"]["last_status"].endswith("i-4 Pending and 3 more")


class FakeELBv2:
    def describe_target_health(self, TargetGroupArn, aws_retry=False):
        assert aws_retry is True
        return {"TargetHealthDescriptions": [
            {"Target": {"Id": "i-1", "Port": 5080}, "TargetHealth": {"State": "healthy"}},
            {"Target": {"Id": "i-2", "Port": 5080},
             "TargetHealth": {"State": "unhealthy", "Reason": "Target.FailedHealthChecks"}},
        ]}


def test_unhealthy_targets_are_named_with_their_reason():
    clock, module = FakeClock(), FakeModule(wait_timeout=10)
    arn = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/origin/123"
    with pytest.raises(ModuleFailed):
        aws.target_health(module, FakeELBv2(), arn, 2, clock=clock, sleep=clock.sleep)
    assert module.failure["wait_failure"]["waiting_for"] == "targets of origin"
    assert module.failure["wait_failure"]["last_status"] == (
        "1 of 2 targets healthy (healthy, unhealthy); not healthy: i-2 unhealthy (Target.FailedHealthChecks)")
