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


def test_valid_fleet_passes():
    asg.validate(fleet(policies=[simple(), simple("in", scaling_adjustment=-1)]))
    asg.validate(dict(name="x", state="absent"))


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
    (dict(warm_pool=dict(enabled=True, min_size=3, max_group_prepared_capacity=2)), "warm_pool.min_size"),
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
