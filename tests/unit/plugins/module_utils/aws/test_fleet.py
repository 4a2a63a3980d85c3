"""Pure logic of module_utils/aws/fleet.py: validation and policy/alarm comparison."""
import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws import fleet as asg


def fleet(**overrides):
    params = dict(name="sm", state="present", launch_template=dict(name="sm", id=None, version="$Latest"),
                  subnets=["subnet-1"], min_size=1, max_size=3, desired_capacity=2, wait_for_instances=None,
                  policies=[], lifecycle_hooks=None, warm_pool=None)
    params.update(overrides)
    return params


def simple(name="out", **kw):
    policy = dict(name=name, type="simple", adjustment_type="ChangeInCapacity", scaling_adjustment=1,
                  cooldown=300, steps=None, metric_aggregation_type=None, estimated_instance_warmup=None,
                  predefined_metric="ASGAverageCPUUtilization", target_value=None, disable_scale_in=False,
                  alarm=dict(name=None, description=None, metric_name="CPUUtilization", namespace="AWS/EC2",
                             statistic="Average", comparison=">=", threshold=70.0, period=60, evaluation_periods=2))
    policy.update(kw)
    return policy


def hook(**kw):
    value = dict(name="drain", transition="autoscaling:EC2_INSTANCE_TERMINATING", heartbeat_timeout=300,
                 default_result="CONTINUE", notification_metadata=None)
    value.update(kw)
    return value


def test_valid_fleet_passes():
    asg.validate(fleet(policies=[simple(), simple("in", scaling_adjustment=-1)]))
    asg.validate(dict(name="x", state="absent"))
    hooks = [hook(name="a/b_c-1", heartbeat_timeout=30), hook(name="x", heartbeat_timeout=7200, notification_metadata="m" * 1023)]
    pool = dict(state="present", min_size=0, max_group_prepared_capacity=0, pool_state="Hibernated")
    asg.validate(fleet(lifecycle_hooks=hooks, warm_pool=pool))
    # a pool to remove needs no valid settings
    asg.validate(fleet(warm_pool=dict(state="absent", min_size=-5, max_group_prepared_capacity=None, pool_state=None)))


@pytest.mark.parametrize("overrides, message", [
    (dict(desired_capacity=4), r"desired_capacity \(4\) must be between"),
    (dict(desired_capacity=0), "desired_capacity"),
    (dict(min_size=5), r"min_size \(5\) must be between"),
    (dict(launch_template=dict(name=None, id=None, version=None)), "name or id"),
    (dict(launch_template=dict(name="x", id=None, version="latest")), "version"),
    (dict(wait_for_instances=9), "more than max_size"),
    (dict(policies=[simple(), simple()]), "declared twice"),
    (dict(policies=[simple(scaling_adjustment=None)]), "needs scaling_adjustment"),
    (dict(policies=[simple(type="step", cooldown=None)]), "needs steps"),
    (dict(policies=[simple(type="target_tracking", cooldown=None, target_value=60)]), "target tracking creates"),
    (dict(policies=[simple(type="target_tracking", cooldown=None, alarm=None)]), "needs target_value"),
    (dict(policies=[simple(alarm=dict(simple()["alarm"], name="other-name"))]), "must start with the group name"),
    (dict(warm_pool=dict(state="present", min_size=3, max_group_prepared_capacity=2, pool_state="Stopped")),
     "warm_pool.min_size must not exceed"),
    (dict(warm_pool=dict(state="present", min_size=-1, max_group_prepared_capacity=None, pool_state="Stopped")),
     "warm_pool.min_size must be 0 or more"),
    (dict(warm_pool=dict(state="present", min_size=0, max_group_prepared_capacity=-1, pool_state="Stopped")),
     "max_group_prepared_capacity must be 0 or more"),
    (dict(warm_pool=dict(state="present", min_size=0, max_group_prepared_capacity=None, pool_state="Warm")),
     "pool_state must be one of"),
    (dict(lifecycle_hooks=[dict(hook(), heartbeat_timeout=29)]), r"heartbeat_timeout must be between 30 and 7200 seconds, not 29"),
    (dict(lifecycle_hooks=[dict(hook(), heartbeat_timeout=7201)]), "heartbeat_timeout must be between"),
    (dict(lifecycle_hooks=[dict(hook(), default_result="RETRY")]), "default_result must be CONTINUE or ABANDON"),
    (dict(lifecycle_hooks=[dict(hook(), name="drain now")]), r"lifecycle_hooks\[0\] \(drain now\): name must be"),
    (dict(lifecycle_hooks=[dict(hook(), name="")]), "name must be 1-255"),
    (dict(lifecycle_hooks=[dict(hook(), name="d" * 256)]), "name must be 1-255"),
    (dict(lifecycle_hooks=[hook(), hook()]), "drain declared twice"),
    (dict(lifecycle_hooks=[dict(hook(), transition="autoscaling:EC2_INSTANCE_STOPPING")]), "transition must be one of"),
    (dict(lifecycle_hooks=[dict(hook(), notification_metadata="x" * 1024)]), "notification_metadata must be 1-1023"),
])
def test_validation(overrides, message):
    with pytest.raises(asg.FleetError, match=message):
        asg.validate(fleet(**overrides))


def test_policy_comparison_ignores_undeclared_keys():
    wanted = asg.policy_api("sm", simple())
    described = dict(wanted, PolicyARN="arn:p", Alarms=[], MinAdjustmentMagnitude=None)
    assert not asg.policy_differs(described, wanted)
    assert asg.policy_differs(dict(described, Cooldown=180), wanted)


def test_step_and_target_tracking_keys():
    step = simple(type="step", cooldown=None, estimated_instance_warmup=120,
                  steps=[dict(lower_bound=0, upper_bound=20, adjustment=1), dict(lower_bound=20, upper_bound=None, adjustment=2)])
    api = asg.policy_api("sm", step)
    assert api["StepAdjustments"] == [
        {"ScalingAdjustment": 1, "MetricIntervalLowerBound": 0.0, "MetricIntervalUpperBound": 20.0},
        {"ScalingAdjustment": 2, "MetricIntervalLowerBound": 20.0}]
    assert "Cooldown" not in api
    tracking = simple(type="target_tracking", cooldown=None, target_value=60, alarm=None)
    api = asg.policy_api("sm", tracking)
    assert api["TargetTrackingConfiguration"]["TargetValue"] == 60.0
    described = dict(api, TargetTrackingConfiguration=dict(api["TargetTrackingConfiguration"], TargetValue=60))
    assert not asg.policy_differs(described, api)


def test_seed_001_alarms():
    out = asg.alarm_api("sm", simple("scale-out"), "arn:out", {"streamfleet:deployment": "d"})
    assert (out["AlarmName"], out["ComparisonOperator"], out["Threshold"], out["Period"], out["EvaluationPeriods"]) == (
        "sm-scale-out", "GreaterThanOrEqualToThreshold", 70.0, 60, 2)
    assert out["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": "sm"}]
    assert out["AlarmActions"] == ["arn:out"]
    scale_in = simple("scale-in", scaling_adjustment=-1,
                      alarm=dict(simple()["alarm"], comparison="<=", threshold=30, period=900))
    api = asg.alarm_api("sm", scale_in, "arn:in", {})
    assert api["ComparisonOperator"] == "LessThanOrEqualToThreshold" and api["Period"] == 900
    described = dict(api, Threshold=30, AlarmArn="arn:alarm", StateValue="OK")
    assert not asg.alarm_differs(described, api)
    assert asg.alarm_differs(dict(described, AlarmActions=[]), api)


def sizes(**kw):
    params = dict(min_size=1, max_size=8, desired_capacity=None)
    params.update(kw)
    return params


@pytest.mark.parametrize("current, params, expected", [
    (6, sizes(), dict(before=6, after=6, source="scaler")),
    (6, sizes(max_size=6), dict(before=6, after=6, source="scaler")),
    (6, sizes(max_size=4), dict(before=6, after=4, source="clamped", reason="above the new max_size 4")),
    (1, sizes(min_size=3), dict(before=1, after=3, source="clamped", reason="below the new min_size 3")),
    (6, sizes(desired_capacity=2), dict(before=6, after=2, source="declared")),
    (2, sizes(desired_capacity=2), dict(before=2, after=2, source="declared")),
])
def test_capacity_belongs_to_the_scaler(current, params, expected):
    assert asg.plan_capacity({"DesiredCapacity": current}, params) == expected


def test_hook_comparison():
    declared = asg.hook_api(hook())
    assert "NotificationMetadata" not in declared
    described = dict(declared, AutoScalingGroupName="sm", GlobalTimeout=30000, NotificationMetadata="operator's")
    # metadata not declared: whatever the hook carries is left alone
    assert not asg.hook_differs(described, declared)
    assert asg.hook_differs(dict(described, HeartbeatTimeout=600), declared)
    with_metadata = asg.hook_api(hook(notification_metadata='{"max_drain_seconds": 3600}'))
    assert asg.hook_differs(described, with_metadata)
    assert asg.hook_view(with_metadata) == dict(
        transition="autoscaling:EC2_INSTANCE_TERMINATING", heartbeat_timeout=300, default_result="CONTINUE",
        notification_metadata='{"max_drain_seconds": 3600}')


def test_warm_pool_comparison():
    pool = dict(state="present", min_size=1, max_group_prepared_capacity=None, pool_state="Stopped", reuse_on_scale_in=False)
    api = asg.warm_pool_api(pool)
    assert api == {"MinSize": 1, "PoolState": "Stopped", "InstanceReusePolicy": {"ReuseOnScaleIn": False}}
    # AWS leaves out a default MaxGroupPreparedCapacity (or says -1) and a reuse policy never set
    assert asg.warm_pool_view({"MinSize": 1, "PoolState": "Stopped"}) == asg.warm_pool_view(api)
    assert asg.warm_pool_view(dict(api, MaxGroupPreparedCapacity=-1)) == asg.warm_pool_view(api)
    assert asg.warm_pool_view(dict(api, MaxGroupPreparedCapacity=5)) != asg.warm_pool_view(api)
    assert asg.warm_pool_view(asg.warm_pool_api(dict(pool, reuse_on_scale_in=True))) != asg.warm_pool_view(api)
    assert asg.warm_pool_view({}) == {}


# ---------------------------------------------------------------- issue 17: notifications (moto lacks the calls)
TOPIC = "arn:aws:sns:us-east-1:123456789012:ams-events"
OTHER = "arn:aws:sns:us-east-1:123456789012:old-events"


class FakeAutoScaling(object):
    """Stands in for the notification calls moto does not implement; records the calls."""

    def __init__(self, configurations):
        self.configurations = configurations
        self.calls = []

    def paginate(self, method_name, result_key, **kwargs):
        self.calls.append((method_name, kwargs))
        return list(self.configurations)

    def put_notification_configuration(self, aws_retry, **kwargs):
        self.calls.append(("put_notification_configuration", kwargs))

    def delete_notification_configuration(self, aws_retry, **kwargs):
        self.calls.append(("delete_notification_configuration", kwargs))


class FakeModule(object):
    def __init__(self, params, client, check_mode=False):
        self.params = params
        self.check_mode = check_mode
        self._client = client

    def client(self, service):
        assert service == "autoscaling"
        return self._client


def converge_notifications(declared, configurations, check_mode=False, new_group=False):
    client = FakeAutoScaling(configurations)
    converger = asg.FleetConverger(FakeModule(fleet(notifications=declared), client, check_mode))
    converger._converge_notifications(new_group)
    return converger, client.calls


def config(topic, kind):
    return {"AutoScalingGroupName": "sm", "TopicARN": topic, "NotificationType": kind}


def test_notifications_not_declared_are_not_read():
    converger, calls = converge_notifications(None, [config(OTHER, "autoscaling:EC2_INSTANCE_LAUNCH")])
    assert calls == [] and converger.changes == []


def test_notifications_converge_to_the_declared_set():
    current = [config(OTHER, "autoscaling:EC2_INSTANCE_LAUNCH"), config(TOPIC, "autoscaling:EC2_INSTANCE_LAUNCH"),
               config(TOPIC, "autoscaling:TEST_NOTIFICATION")]
    declared = [dict(topic=TOPIC, types=list(asg.NOTIFICATION_TYPES))]
    converger, calls = converge_notifications(declared, current)
    assert calls[0] == ("describe_notification_configurations", {"AutoScalingGroupNames": ["sm"]})
    assert ("delete_notification_configuration", {"AutoScalingGroupName": "sm", "TopicARN": OTHER}) in calls
    assert ("put_notification_configuration", {"AutoScalingGroupName": "sm", "TopicARN": TOPIC,
                                               "NotificationTypes": sorted(asg.NOTIFICATION_TYPES)}) in calls
    assert converger.before["notifications"] == {OTHER: ["autoscaling:EC2_INSTANCE_LAUNCH"],
                                                 TOPIC: ["autoscaling:EC2_INSTANCE_LAUNCH"]}
    assert len(converger.changes) == 2


def test_notifications_idempotent_and_check_mode():
    current = [config(TOPIC, kind) for kind in asg.NOTIFICATION_TYPES]
    converger, calls = converge_notifications([dict(topic=TOPIC, types=list(reversed(asg.NOTIFICATION_TYPES)))], current)
    assert converger.changes == [] and len(calls) == 1  # one describe, nothing else
    converger, calls = converge_notifications([], current, check_mode=True)
    assert converger.changes == ["delete notifications to %s" % TOPIC]
    assert [c[0] for c in calls] == ["describe_notification_configurations"]
    converger, calls = converge_notifications([dict(topic=TOPIC, types=["autoscaling:EC2_INSTANCE_LAUNCH"])], [],
                                              new_group=True)
    assert [c[0] for c in calls] == ["put_notification_configuration"]  # a new group has none to read


@pytest.mark.parametrize("overrides, message", [
    (dict(notifications=[dict(topic="ams-events", types=["autoscaling:EC2_INSTANCE_LAUNCH"])]), "SNS topic ARN"),
    (dict(notifications=[dict(topic=TOPIC, types=[])]), "at least one event type"),
    (dict(notifications=[dict(topic=TOPIC, types=["x"]), dict(topic=TOPIC, types=["x"])]), "declared twice"),
    (dict(alarm_topics=["arn:aws:sqs:us-east-1:123456789012:q"]), "alarm_topics[0]"),
    (dict(mixed_instances_policy=dict(instance_types=[dict(type="a", weight=2), dict(type="b", weight=None)])),
     "every type or to none"),
    (dict(mixed_instances_policy=dict(instance_types=[dict(type="a")], spot_instance_pools=2,
                                      spot_allocation_strategy="capacity-optimized")), "spot_instance_pools only"),
    (dict(scheduled_actions=[dict(name="bad name", recurrence="0 1 * * *", min_size=1)]), "1-243 characters"),
    (dict(scheduled_actions=[dict(name="x", recurrence="0 1 * * *", min_size=3, max_size=2)]), "above max_size"),
])
def test_issue17_validation(overrides, message):
    with pytest.raises(asg.FleetError) as error:
        asg.validate(fleet(**overrides))
    assert message in str(error.value)


def test_scheduled_action_comparison():
    declared = asg.scheduled_api(dict(name="evening", recurrence="0 18 * * *", min_size=2, start_time="2027-01-31T07:00Z"))
    assert declared["ScheduledActionName"] == "streamfleet-evening"
    import datetime
    described = dict(declared, StartTime=datetime.datetime(2027, 1, 31, 7, 0), Time=None)
    assert not asg.scheduled_differs(described, declared)
    assert asg.scheduled_differs(dict(described, DesiredCapacity=3), declared)  # an undeclared size is removed
    assert asg.scheduled_differs(dict(described, Recurrence="0 19 * * *"), declared)


def test_mixed_policy_comparison_ignores_aws_defaults():
    template = {"LaunchTemplateName": "edge", "Version": "$Default"}
    wanted = asg.mixed_api(dict(instance_types=[dict(type="c5.xlarge", weight=None)], on_demand_base_capacity=1,
                                on_demand_percentage_above_base=0, on_demand_allocation_strategy="prioritized",
                                spot_allocation_strategy="price-capacity-optimized", spot_instance_pools=None,
                                spot_max_price=None), template)
    described = {"LaunchTemplate": {"LaunchTemplateSpecification": dict(template, LaunchTemplateId="lt-1"),
                                    "Overrides": [{"InstanceType": "c5.xlarge"}]},
                 "InstancesDistribution": dict(wanted["InstancesDistribution"], SpotInstancePools=2)}
    assert not asg.mixed_differs(described, wanted)
    described["LaunchTemplate"]["Overrides"].append({"InstanceType": "c6i.xlarge"})
    assert asg.mixed_differs(described, wanted)
    assert asg.mixed_differs(None, wanted)


# ---------------------------------------------------------------------------------------------
# Reads of a converge (issue 20): target groups by ARN need no lookup; undeclared parts are not read

TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/sm-5080/0123456789abcdef"


class RecordingClients(object):
    """Any client: records (service, method) of every call; DescribeTargetGroups knows sm-5080."""

    def __init__(self):
        self.calls = []

    def client(self, service):
        recorder = self

        class Client(object):
            def __getattr__(self, method):
                def call(*args, **kwargs):
                    recorder.calls.append((service, method))
                    if method == "describe_target_groups":
                        return {"TargetGroups": [{"TargetGroupName": n, "TargetGroupArn": TG_ARN.replace("sm-5080", n)}
                                                 for n in kwargs["Names"]]}
                    if method == "paginate":
                        recorder.calls[-1] = (service, args[0])
                        return []
                    return {"LifecycleHooks": []}
                return call
        return Client()


class RecordingModule(object):
    check_mode = True

    def __init__(self, params):
        self.params = params
        self.clients = RecordingClients()

    def client(self, service):
        return self.clients.client(service)


def test_target_groups_given_as_arns_are_not_looked_up():
    module = RecordingModule(fleet(target_groups=[TG_ARN]))
    assert asg.FleetConverger(module)._resolve_target_groups() == [TG_ARN]
    assert module.clients.calls == []


def test_target_group_names_are_resolved_in_one_call():
    module = RecordingModule(fleet(target_groups=["sm-9999", TG_ARN]))
    assert asg.FleetConverger(module)._resolve_target_groups() == sorted([TG_ARN, TG_ARN.replace("sm-5080", "sm-9999")])
    assert module.clients.calls == [("elbv2", "describe_target_groups")]


def test_omitted_policies_and_hooks_are_not_read_declared_empty_ones_are():
    module = RecordingModule(fleet(policies=None, lifecycle_hooks=None))
    converger = asg.FleetConverger(module)
    converger._converge_policies_and_alarms(False)
    converger._converge_hooks(False)
    assert module.clients.calls == []
    module = RecordingModule(fleet(policies=[], lifecycle_hooks=[]))
    converger = asg.FleetConverger(module)
    converger._converge_policies_and_alarms(False)
    converger._converge_hooks(False)
    assert module.clients.calls == [("autoscaling", "describe_policies"), ("cloudwatch", "describe_alarms"),
                                    ("autoscaling", "describe_lifecycle_hooks")]
