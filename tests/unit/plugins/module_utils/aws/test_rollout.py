"""module_utils/aws/rollout.py: state tag and lock, min healthy, drain, instance refresh.

Three kinds of test:
- pure helpers (state tag, lock verdict, floor, preferences, input rules);
- the replace method against ``FakeGroup``, a small in-memory Auto Scaling group that does
  what moto cannot: new instances are ``initial`` in the target group for a few polls, and a
  terminated instance stays in ``Terminating:Wait`` for a few polls (the drain agent at work).
  Every call's parameters are validated against botocore's service model, and after every
  call the group's healthy count is recorded, so the floor is checked at every moment;
- the instance refresh method with botocore's Stubber (moto 5.2.5 has none of its APIs): the
  exact requests, validated against the real service model.
"""
from collections import Counter

import boto3
import pytest
from botocore.stub import Stubber
from botocore.validate import validate_parameters

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws import rollout as ro
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.session import AWSClient

DEPLOYMENT = "d1"
NAME = "edge"
NOW = 1_800_000_000


# ------------------------------------------------------------------------------ pure helpers

def test_state_tag_round_trip():
    state = dict(run="r1", started=NOW, beat=NOW + 5, method="replace", min=1, max=3, desired=3, floor=3,
                 suspended=["AZRebalance", "AlarmNotification"])
    value = ro.encode_state(state)
    assert value == ("run=r1;started=1800000000;beat=1800000005;method=replace;min=1;max=3;desired=3;floor=3;"
                     "suspended=AZRebalance,AlarmNotification")
    assert len(value) < 256
    assert ro.decode_state(value) == state


def test_a_tag_from_before_the_lock_is_a_stale_lock_of_an_unknown_owner():
    state = ro.decode_state("min=1;max=3;desired=3;suspended=AZRebalance")
    assert state["run"] is None and state["beat"] == 0 and state["floor"] is None
    assert state["suspended"] == ["AZRebalance"]
    verdict, message = ro.lock_verdict(state, "new", NOW, 900, force_takeover=False)
    assert verdict == "refuse" and "stale" in message and "force_takeover=true" in message


@pytest.mark.parametrize("value", [None, "", "someone else's tag", "min=1;max=x;desired=2", "min=1;desired=2",
                                   "min=1;max=3;desired=3;beat=soon"])
def test_foreign_state_tag_is_ignored(value):
    assert ro.decode_state(value) is None


def lock(run="killed", beat=NOW - 10):
    return dict(run=run, started=NOW - 100, beat=beat)


def test_lock_verdicts():
    assert ro.lock_verdict(lock(), "killed", NOW, 900, False)[0] == "own"
    verdict, message = ro.lock_verdict(lock(), "other", NOW, 900, True)
    assert verdict == "refuse", "a live lock is never taken over"
    assert "killed" in message and "10s ago" in message and "run_id=killed" in message
    assert ro.lock_verdict(lock(beat=NOW - 900), "other", NOW, 900, False)[0] == "refuse"
    verdict, message = ro.lock_verdict(lock(beat=NOW - 900), "other", NOW, 900, True)
    assert verdict == "takeover" and "killed" in message


@pytest.mark.parametrize("value, parsed", [(None, (None, None)), ("", (None, None)), (3, ("count", 3)),
                                           ("3", ("count", 3)), ("75%", ("percent", 75)), (" 0% ", ("percent", 0)),
                                           ("100%", ("percent", 100))])
def test_min_healthy_parsing(value, parsed):
    assert ro.parse_min_healthy(value) == parsed


@pytest.mark.parametrize("value", ["101%", "-1", "x%", "three", "7.5"])
def test_min_healthy_refused(value):
    with pytest.raises(ro.RolloutError, match="min_healthy"):
        ro.parse_min_healthy(value)


def test_healthy_floor():
    # default: healthy now or the minimum size, the stricter, never above the capacity
    assert ro.healthy_floor((None, None), 4, 3, 1) == 3
    assert ro.healthy_floor((None, None), 4, 1, 2) == 2
    assert ro.healthy_floor((None, None), 4, 6, 1) == 4
    assert ro.healthy_floor(("percent", 75), 3, 3, 1) == 3   # 2.25 rounded up
    assert ro.healthy_floor(("percent", 50), 4, 4, 1) == 2
    assert ro.healthy_floor(("count", 2), 4, 4, 1) == 2


def test_drain_bound_is_the_longest_termination_hook():
    hooks = [dict(LifecycleHookName="drain", LifecycleTransition=ro.TERMINATING_TRANSITION, HeartbeatTimeout=300,
                  GlobalTimeout=30000),
             dict(LifecycleHookName="slow", LifecycleTransition=ro.TERMINATING_TRANSITION, HeartbeatTimeout=7200),
             dict(LifecycleHookName="boot", LifecycleTransition="autoscaling:EC2_INSTANCE_LAUNCHING",
                  HeartbeatTimeout=60, GlobalTimeout=6000)]
    assert ro.drain_bound(hooks) == (172800, ["drain", "slow"])  # 100 x 7200 capped at 48 h
    assert ro.drain_bound(hooks[:1]) == (30000, ["drain"])
    assert ro.drain_bound([]) == (0, [])


def params(**overrides):
    p = dict(name=NAME, deployment=DEPLOYMENT, method="replace", state="present", batch_size=1, min_healthy=None,
             wait_for_targets=True, poll_interval=5, wait_timeout=300, drain_timeout=None, run_id=None,
             force_takeover=False, lock_stale_after=900, skip_matching=True, instance_warmup=None,
             checkpoint_percentages=None, checkpoint_delay=None, wait=True)
    p.update(overrides)
    return p


def test_refresh_preferences():
    assert ro.refresh_preferences(params(batch_size=1), 3, 3) == dict(
        MinHealthyPercentage=100, MaxHealthyPercentage=134, SkipMatching=True, ScaleInProtectedInstances="Refresh")
    prefs = ro.refresh_preferences(params(min_healthy="90%", batch_size=10, instance_warmup=180,
                                          checkpoint_percentages=[50, 100], checkpoint_delay=600,
                                          skip_matching=False), 9, 10)
    assert prefs == dict(MinHealthyPercentage=90, MaxHealthyPercentage=190, SkipMatching=False,
                         ScaleInProtectedInstances="Refresh", InstanceWarmup=180, CheckpointPercentages=[50, 100],
                         CheckpointDelay=600)
    # low minimum: AWS wants 100-200 and at most 100 above the minimum
    assert ro.refresh_preferences(params(min_healthy="10%", batch_size=1), 1, 10)["MaxHealthyPercentage"] == 100


@pytest.mark.parametrize("overrides, words", [
    (dict(batch_size=0), "batch_size must be at least 1"),
    (dict(poll_interval=0), "poll_interval and wait_timeout"),
    (dict(min_healthy="150%"), "between 0% and 100%"),
    (dict(drain_timeout=0), "drain_timeout"),
    (dict(lock_stale_after=59), "at least 60"),
    (dict(run_id="has space"), "run_id"),
    (dict(checkpoint_percentages=[50, 100]), "only apply to method instance_refresh"),
    (dict(instance_warmup=60), "only apply to method instance_refresh"),
    (dict(state="cancelled"), "with method instance_refresh"),
    (dict(method="instance_refresh", checkpoint_percentages=[0, 100]), "between 1 and 100"),
    (dict(method="instance_refresh", checkpoint_percentages=[50, 50, 100]), "unique and ascending"),
    (dict(method="instance_refresh", checkpoint_percentages=[50, 90]), "end with 100"),
    (dict(method="instance_refresh", checkpoint_delay=60), "needs checkpoint_percentages"),
    (dict(method="instance_refresh", instance_warmup=-1), "instance_warmup"),
])
def test_input_rules(overrides, words):
    with pytest.raises(ro.RolloutError, match=words.replace("(", r"\(")):
        ro.validate_params(params(**overrides))


def test_batches():
    assert ro.plan_batches(["a", "b", "c"], 2) == [["a", "b"], ["c"]]
    assert ro.plan_batches([], 2) == []


def test_version_from_ec2_tags_wins_over_the_group_view():
    group_view = {"LaunchTemplate": {"LaunchTemplateId": "lt-1", "Version": "2"}}
    tags = {"aws:ec2launchtemplate:id": "lt-1", "aws:ec2launchtemplate:version": "1"}
    assert ro.instance_version(group_view, tags) == ("lt-1", "1")
    assert ro.instance_version(group_view, {}) == ("lt-1", "2")


# --------------------------------------------------------------------- a module for the converger

class ModuleFailed(Exception):
    pass


class FakeModule:
    def __init__(self, clients, check_mode=False, **overrides):
        self.params = params(**overrides)
        self.check_mode = check_mode
        self.clients = clients
        self.wait_progress = []
        self.warnings = []

    def client(self, service):
        return self.clients[service]

    def paginate(self, client, operation, result_key, **kwargs):
        return client.paginate(operation, result_key, **kwargs)

    def warn(self, text):
        self.warnings.append(text)

    def fail_json(self, msg, **kwargs):
        raise ModuleFailed(msg)


class FakeClock:
    def __init__(self):
        self.now = float(NOW)

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def run_rollout(module, clock):
    rollout = ro.Rollout(module, clock=clock, sleep=clock.sleep, wait_clock=clock)
    rollout.validate()
    rollout.read()
    rollout.apply()
    return rollout


# ------------------------------------------------------------------ the replace method, FakeGroup

_MODELS = {}


def operation_model(service, method):
    if service not in _MODELS:
        client = boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        _MODELS[service] = client.meta
    meta = _MODELS[service]
    return meta.service_model.operation_model(meta.method_to_api_mapping[method])


class FakeGroup:
    """One Auto Scaling group with a target group and, optionally, a termination hook.

    New instances are InService at once but ``initial`` in the target group for
    ``warmup_polls`` describes; a terminated instance stays ``Terminating:Wait`` for
    ``drain_polls`` describes of the group (with a hook) before it goes.
    """

    TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/edge-5080/0123456789abcdef"

    def __init__(self, capacity=3, hook=True, warmup_polls=2, drain_polls=3):
        self.instances = {}
        self.order = 0
        for _number in range(capacity):
            self._launch("1", health="healthy", warm=0)
        self.min, self.max, self.desired = 1, capacity, capacity
        self.tags = {"streamfleet:deployment": DEPLOYMENT}
        self.suspended = set()
        self.hooks = [dict(LifecycleHookName="drain", AutoScalingGroupName=NAME,
                           LifecycleTransition=ro.TERMINATING_TRANSITION, HeartbeatTimeout=300,
                           GlobalTimeout=30000, DefaultResult="CONTINUE")] if hook else []
        self.warmup_polls, self.drain_polls = warmup_polls, drain_polls
        self.calls = Counter()
        self.healthy_after_call = []
        self.sick = {}  # instance id -> polls it stays unhealthy in the target group
        self.raised_while_draining = []

    def _launch(self, version, health="initial", warm=None):
        self.order += 1
        instance_id = "i-%02d" % self.order
        self.instances[instance_id] = dict(version=version, state="InService", protected=True, health=health,
                                           warm=self.warmup_polls if warm is None else warm, drain=0)
        return instance_id

    def healthy_count(self):
        return len([i for i in self.instances.values() if i["state"] == "InService" and i["health"] == "healthy"])

    def tick(self):
        for instance_id, inst in list(self.instances.items()):
            if inst["state"] == "Terminating:Wait":
                inst["drain"] -= 1
                if inst["drain"] <= 0:
                    del self.instances[instance_id]
            elif self.sick.get(instance_id):
                self.sick[instance_id] -= 1
                inst["health"] = "unhealthy"
            elif inst["health"] != "healthy":
                inst["warm"] -= 1
                if inst["warm"] <= 0:
                    inst["health"] = "healthy"

    def call(self, service, method, kwargs):
        validate_parameters(kwargs, operation_model(service, method).input_shape)
        self.calls["%s.%s" % (service, method)] += 1
        answer = getattr(self, method)(**kwargs)
        self.healthy_after_call.append((method, self.healthy_count()))
        return answer

    # autoscaling
    def describe_auto_scaling_groups(self, AutoScalingGroupNames):
        self.tick()
        return {"AutoScalingGroups": [dict(
            AutoScalingGroupName=NAME, MinSize=self.min, MaxSize=self.max, DesiredCapacity=self.desired,
            LaunchTemplate=dict(LaunchTemplateId="lt-1", LaunchTemplateName="edge", Version="$Default"),
            TargetGroupARNs=[self.TG], LoadBalancerNames=[],
            SuspendedProcesses=[dict(ProcessName=p, SuspensionReason="user") for p in sorted(self.suspended)],
            Tags=[dict(Key=k, Value=v, ResourceId=NAME, ResourceType="auto-scaling-group", PropagateAtLaunch=False)
                  for k, v in self.tags.items()],
            Instances=[dict(InstanceId=i, LifecycleState=inst["state"], HealthStatus="Healthy",
                            ProtectedFromScaleIn=inst["protected"])
                       for i, inst in sorted(self.instances.items())])]}

    def describe_lifecycle_hooks(self, AutoScalingGroupName):
        return {"LifecycleHooks": self.hooks}

    def create_or_update_tags(self, Tags):
        for tag in Tags:
            self.tags[tag["Key"]] = tag["Value"]

    def delete_tags(self, Tags):
        for tag in Tags:
            self.tags.pop(tag["Key"], None)

    def suspend_processes(self, AutoScalingGroupName, ScalingProcesses):
        self.suspended |= set(ScalingProcesses)

    def resume_processes(self, AutoScalingGroupName, ScalingProcesses):
        self.suspended -= set(ScalingProcesses)

    def update_auto_scaling_group(self, AutoScalingGroupName, DesiredCapacity=None, MaxSize=None, MinSize=None):
        self.max = MaxSize if MaxSize is not None else self.max
        self.min = MinSize if MinSize is not None else self.min
        if DesiredCapacity is not None and DesiredCapacity > self.desired:
            self.raised_while_draining += [i for i, inst in self.instances.items() if inst["state"] != "InService"]
        if DesiredCapacity is not None:
            assert self.min <= DesiredCapacity <= self.max
            self.desired = DesiredCapacity
            live = [i for i in self.instances.values() if i["state"] == "InService"]
            for _number in range(self.desired - len(live)):
                self._launch("2")

    def set_instance_protection(self, AutoScalingGroupName, InstanceIds, ProtectedFromScaleIn):
        for instance_id in InstanceIds:
            self.instances[instance_id]["protected"] = ProtectedFromScaleIn

    def terminate_instance_in_auto_scaling_group(self, InstanceId, ShouldDecrementDesiredCapacity):
        assert ShouldDecrementDesiredCapacity
        inst = self.instances[InstanceId]
        self.desired -= 1
        if self.hooks:
            inst.update(state="Terminating:Wait", drain=self.drain_polls, health="draining")
        else:
            del self.instances[InstanceId]
        return {"Activity": dict(ActivityId="a-1", AutoScalingGroupName=NAME, Cause="user", StartTime=NOW,
                                 StatusCode="InProgress")}

    # ec2
    def describe_launch_templates(self, **kwargs):
        return {"LaunchTemplates": [dict(LaunchTemplateId="lt-1", LaunchTemplateName="edge",
                                         DefaultVersionNumber=2, LatestVersionNumber=2)]}

    def describe_instances(self, InstanceIds):
        return [dict(Instances=[dict(InstanceId=i, Tags=[
            dict(Key="aws:ec2launchtemplate:id", Value="lt-1"),
            dict(Key="aws:ec2launchtemplate:version", Value=self.instances[i]["version"])])])
            for i in InstanceIds if i in self.instances]

    # elbv2
    def describe_target_health(self, TargetGroupArn):
        return {"TargetHealthDescriptions": [
            dict(Target=dict(Id=i, Port=5080), TargetHealth=dict(State=inst["health"]))
            for i, inst in sorted(self.instances.items())]}


class FakeClient:
    def __init__(self, group, service):
        self.group, self.service = group, service

    def __getattr__(self, method):
        def call(aws_retry=False, **kwargs):
            return self.group.call(self.service, method, kwargs)
        return call

    def paginate(self, operation, result_key, **kwargs):
        validate_parameters(kwargs, operation_model(self.service, operation).input_shape)
        self.group.calls["%s.%s" % (self.service, operation)] += 1
        return getattr(self.group, operation)(**kwargs)


def fake_clients(group):
    return dict((s, FakeClient(group, s)) for s in ("autoscaling", "ec2", "elbv2"))


def test_replace_keeps_the_floor_and_waits_for_each_drain():
    group = FakeGroup(capacity=3, hook=True, warmup_polls=5, drain_polls=3)
    module = FakeModule(fake_clients(group), run_id="run-1")
    rollout = run_rollout(module, FakeClock())
    result = rollout.result
    assert result["min_healthy"] == 3 and result["drain"] == dict(hooks=["drain"], timeout=30000)
    assert [r["batch"] for r in result["replaced"]] == [1, 2, 3]
    # the group after: three instances of version 2, sizes, processes and tag as before
    assert sorted(i["version"] for i in group.instances.values()) == ["2", "2", "2"]
    assert (group.min, group.max, group.desired) == (1, 3, 3)
    assert group.suspended == set() and "streamfleet:rollout" not in group.tags
    # healthy in the balancer never below 3 after any call
    assert min(count for _m, count in group.healthy_after_call) >= 3, group.healthy_after_call
    # the new instance's warm-up and each drain were waited for, and reported
    progress = "\n".join(module.wait_progress)
    assert "0 of 1 instances of the new version healthy" in progress
    assert "i-01 (Terminating:Wait)" in progress and "batch 1 draining in group edge: 1 of 1 drained" in progress
    # through the group (the hook runs), one instance at a time; never EC2's TerminateInstances
    assert group.calls["autoscaling.terminate_instance_in_auto_scaling_group"] == 3
    assert not [c for c in group.calls if c.startswith("ec2.terminate")]
    # a batch begins only when the previous one's instance left Terminating:Wait
    assert group.raised_while_draining == []


def test_a_sick_instance_makes_the_termination_wait_then_go_on():
    group = FakeGroup(capacity=3, hook=False, warmup_polls=1)
    # an old instance is unhealthy in the balancer for a while: terminating i-01 then would
    # leave 2 healthy
    group.sick["i-03"] = 6
    module = FakeModule(fake_clients(group), run_id="run-1", min_healthy=3)
    rollout = run_rollout(module, FakeClock())
    assert "healthy without i-01, 3 needed" in "\n".join(module.wait_progress)
    assert sorted(i["version"] for i in group.instances.values()) == ["2", "2", "2"]
    terminations = [n for n, (m, _c) in enumerate(group.healthy_after_call)
                    if m == "terminate_instance_in_auto_scaling_group"]
    assert all(group.healthy_after_call[n][1] >= 3 for n in terminations)
    assert rollout.result["min_healthy"] == 3
    assert "no autoscaling:EC2_INSTANCE_TERMINATING lifecycle hook" in module.warnings[0]


def test_the_floor_wait_is_bounded_and_leaves_the_state_for_the_next_run():
    group = FakeGroup(capacity=3, hook=False, warmup_polls=1)
    group.sick["i-02"] = 10_000
    group.sick["i-03"] = 10_000
    module = FakeModule(fake_clients(group), run_id="run-1", wait_timeout=60, min_healthy=3)
    with pytest.raises(ModuleFailed, match="minimum healthy before terminating i-01"):
        run_rollout(module, FakeClock())
    assert group.calls["autoscaling.terminate_instance_in_auto_scaling_group"] == 0
    state = ro.decode_state(group.tags["streamfleet:rollout"])
    assert state["run"] == "run-1" and state["desired"] == 3


def test_check_mode_plans_and_writes_nothing():
    group = FakeGroup(capacity=2)
    module = FakeModule(fake_clients(group), check_mode=True, batch_size=2)
    rollout = run_rollout(module, FakeClock())
    assert rollout.result["batches"] == [["i-01", "i-02"]]
    assert rollout.changes[0].startswith("take the rollout lock of edge")
    assert "batch 1: desired capacity 4, then replace i-01, i-02" in rollout.changes[1]
    assert not [c for c in group.calls if not c.split(".")[1].startswith("describe")], group.calls


def test_launch_suspended_is_refused_before_any_change():
    group = FakeGroup(capacity=2)
    group.suspended.add("Launch")
    module = FakeModule(fake_clients(group))
    with pytest.raises(ro.RolloutError, match="Launch suspended"):
        run_rollout(module, FakeClock())
    assert not [c for c in group.calls if not c.split(".")[1].startswith("describe")]


# ------------------------------------------------------- instance refresh, botocore's Stubber

def group_answer(tags=None, versions=("1", "1")):
    return {"AutoScalingGroups": [dict(
        AutoScalingGroupName=NAME, MinSize=1, MaxSize=4, DesiredCapacity=len(versions),
        DefaultCooldown=300, AvailabilityZones=["us-east-1a"], HealthCheckType="ELB", CreatedTime=NOW,
        LaunchTemplate=dict(LaunchTemplateId="lt-1", LaunchTemplateName="edge", Version="$Default"),
        TargetGroupARNs=[], LoadBalancerNames=[],
        Tags=[dict(Key=k, Value=v, ResourceId=NAME, ResourceType="auto-scaling-group", PropagateAtLaunch=False)
              for k, v in dict({"streamfleet:deployment": DEPLOYMENT}, **(tags or {})).items()],
        Instances=[dict(InstanceId="i-%02d" % n, LifecycleState="InService", HealthStatus="Healthy",
                        AvailabilityZone="us-east-1a", ProtectedFromScaleIn=True)
                   for n, _v in enumerate(versions, 1)])]}


def instances_answer(versions):
    return {"Reservations": [{"Instances": [dict(InstanceId="i-%02d" % n, Tags=[
        dict(Key="aws:ec2launchtemplate:id", Value="lt-1"), dict(Key="aws:ec2launchtemplate:version", Value=v)])
        for n, v in enumerate(versions, 1)]}]}


def refresh(status, percent=0, to_update=2, reason=None):
    answer = dict(InstanceRefreshId="ir-1", AutoScalingGroupName=NAME, Status=status, PercentageComplete=percent,
                  InstancesToUpdate=to_update)
    if reason:
        answer["StatusReason"] = reason
    return answer


class Stubbed:
    """Real botocore clients with a Stubber each; the module sees them through AWSClient."""

    def __init__(self):
        self.raw = dict((s, boto3.client(s, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"))
                        for s in ("autoscaling", "ec2"))
        self.stubs = dict((s, Stubber(c)) for s, c in self.raw.items())
        self.clients = dict((s, AWSClient(c, s, Counter())) for s, c in self.raw.items())

    def expect(self, service, method, answer, params=None):
        self.stubs[service].add_response(method, answer, params)

    def read(self, versions=("1", "1"), tags=None):
        self.expect("autoscaling", "describe_auto_scaling_groups", group_answer(tags, versions),
                    dict(AutoScalingGroupNames=[NAME]))
        self.expect("ec2", "describe_launch_templates", {"LaunchTemplates": [dict(
            LaunchTemplateId="lt-1", LaunchTemplateName="edge", DefaultVersionNumber=2, LatestVersionNumber=2)]},
            dict(LaunchTemplateIds=["lt-1"]))
        self.expect("ec2", "describe_instances", instances_answer(versions),
                    dict(InstanceIds=["i-%02d" % n for n in range(1, len(versions) + 1)]))

    def __enter__(self):
        for stub in self.stubs.values():
            stub.activate()
        return self

    def __exit__(self, *exc):
        for stub in self.stubs.values():
            stub.deactivate()
        if exc[0] is None:
            for stub in self.stubs.values():
                stub.assert_no_pending_responses()


def test_instance_refresh_starts_with_our_preferences_and_waits():
    with Stubbed() as aws:
        aws.read()
        aws.expect("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": [refresh("Successful", 100, 0)]},
                   dict(AutoScalingGroupName=NAME))
        aws.expect("autoscaling", "start_instance_refresh", {"InstanceRefreshId": "ir-1"}, dict(
            AutoScalingGroupName=NAME, Strategy="Rolling", Preferences=dict(
                MinHealthyPercentage=100, MaxHealthyPercentage=150, SkipMatching=True,
                ScaleInProtectedInstances="Refresh", InstanceWarmup=120, CheckpointPercentages=[50, 100],
                CheckpointDelay=300)))
        for answer in (refresh("InProgress", 0), refresh("InProgress", 50, 1, "Waiting for checkpoint"),
                       refresh("Successful", 100, 0)):
            aws.expect("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": [answer]},
                       dict(AutoScalingGroupName=NAME, InstanceRefreshIds=["ir-1"]))
        # the group read again: the instances on version 2
        aws.expect("autoscaling", "describe_auto_scaling_groups", group_answer(None, ("2", "2")),
                   dict(AutoScalingGroupNames=[NAME]))
        aws.expect("ec2", "describe_instances", instances_answer(("2", "2")), dict(InstanceIds=["i-01", "i-02"]))
        module = FakeModule(aws.clients, method="instance_refresh", instance_warmup=120,
                            checkpoint_percentages=[50, 100], checkpoint_delay=300)
        rollout = run_rollout(module, FakeClock())
    result = rollout.result
    assert result["instance_refresh"]["status"] == "Successful" and result["outdated"] == []
    assert "InProgress, 50% done, 1 to update: Waiting for checkpoint" in "\n".join(module.wait_progress)
    assert rollout.changes[0].startswith("start an instance refresh of edge to edge version 2")


def test_instance_refresh_in_progress_is_continued_not_started_again():
    with Stubbed() as aws:
        aws.read()
        aws.expect("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": [
            refresh("InProgress", 50, 1), refresh("Successful", 100, 0)]}, dict(AutoScalingGroupName=NAME))
        module = FakeModule(aws.clients, method="instance_refresh", wait=False)
        aws.expect("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": [refresh("InProgress", 50, 1)]},
                   dict(AutoScalingGroupName=NAME, InstanceRefreshIds=["ir-1"]))
        rollout = run_rollout(module, FakeClock())
    assert rollout.changes == ["continue instance refresh ir-1 (InProgress, 50% done)"]
    assert rollout.result["instance_refresh"]["percentage_complete"] == 50


def test_instance_refresh_cancel():
    with Stubbed() as aws:
        aws.read()
        aws.expect("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": [refresh("InProgress", 20)]},
                   dict(AutoScalingGroupName=NAME))
        aws.expect("autoscaling", "cancel_instance_refresh", {"InstanceRefreshId": "ir-1"},
                   dict(AutoScalingGroupName=NAME))
        aws.expect("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": [refresh("Cancelled", 20)]},
                   dict(AutoScalingGroupName=NAME, InstanceRefreshIds=["ir-1"]))
        rollout = run_rollout(FakeModule(aws.clients, method="instance_refresh", state="cancelled"), FakeClock())
    assert rollout.changes == ["cancel instance refresh ir-1 (InProgress)"]
    assert rollout.result["instance_refresh"]["status"] == "Cancelled"


def test_instance_refresh_check_mode_and_nothing_to_do():
    with Stubbed() as aws:
        aws.read()
        aws.expect("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": []},
                   dict(AutoScalingGroupName=NAME))
        planned = run_rollout(FakeModule(aws.clients, check_mode=True, method="instance_refresh"), FakeClock())
    assert planned.changes[0].startswith("start an instance refresh") and planned.replaced == ["i-01", "i-02"]
    with Stubbed() as aws:
        aws.read(versions=("2", "2"))
        aws.expect("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": []},
                   dict(AutoScalingGroupName=NAME))
        done = run_rollout(FakeModule(aws.clients, method="instance_refresh"), FakeClock())
    assert done.changes == []


def test_instance_refresh_failure_is_reported():
    with Stubbed() as aws:
        aws.read()
        aws.expect("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": [refresh("InProgress", 20)]},
                   dict(AutoScalingGroupName=NAME))
        failed = refresh("Failed", 20, 1, "health checks failed")
        aws.expect("autoscaling", "describe_instance_refreshes", {"InstanceRefreshes": [failed]},
                   dict(AutoScalingGroupName=NAME, InstanceRefreshIds=["ir-1"]))
        with pytest.raises(ModuleFailed, match="is Failed: health checks failed"):
            run_rollout(FakeModule(aws.clients, method="instance_refresh"), FakeClock())


def test_instance_refresh_refuses_a_group_in_a_replace_rollout():
    with Stubbed() as aws:
        aws.read(tags={"streamfleet:rollout": "run=r1;started=1;beat=1;min=1;max=2;desired=2;suspended="})
        with pytest.raises(ro.RolloutError, match="finish it with method replace"):
            run_rollout(FakeModule(aws.clients, method="instance_refresh"), FakeClock())
