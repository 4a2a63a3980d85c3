"""aws_fleet against moto: group, policies, alarms, hooks, warm pool; created, converged, removed."""
import copy

import pytest

DEPLOYMENT = "fleettest"
CHANGING_PREFIXES = ("Create", "Modify", "Delete", "Set", "Add", "Remove", "Attach", "Detach", "Put",
                     "Update", "Terminate", "Run", "Complete", "Suspend", "Resume")


def changing_calls(result):
    return [name for name in result.get("api_calls", {})
            if name.split(".", 1)[1].startswith(CHANGING_PREFIXES)]


@pytest.fixture
def template(aws, network):
    return aws.ec2.create_launch_template(
        LaunchTemplateName="sm-template",
        LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.small",
                            "SecurityGroupIds": [network["security_group_id"]]},
    )["LaunchTemplate"]["LaunchTemplateName"]


@pytest.fixture
def target_group(aws, network):
    return aws.elbv2.create_target_group(Name="sm-5080", Protocol="HTTP", Port=5080,
                                         VpcId=network["vpc_id"])["TargetGroups"][0]


def live_tagged(aws):
    """``aws.tagged`` without terminated instances: moto's tagging API still lists those."""
    found = aws.tagged(DEPLOYMENT)

    def instance_id(item):
        item = item.rsplit("/", 1)[-1]
        return item if item.startswith("i-") else None

    ids = [instance_id(item) for item in found if instance_id(item)]
    if not ids:
        return found
    states = {}
    for reservation in aws.ec2.describe_instances(InstanceIds=ids)["Reservations"]:
        for instance in reservation["Instances"]:
            states[instance["InstanceId"]] = instance["State"]["Name"]
    return [item for item in found
            if states.get(instance_id(item)) not in ("terminated", "shutting-down")]


def fleet_args(network, template, **overrides):
    """Seed 001: Stream Managers, ELB health checks, scale-in protection, CPU alarms."""
    args = dict(
        name="sm-fleet", deployment=DEPLOYMENT,
        launch_template=dict(name=template, version="$Latest"),
        subnets=network["subnet_ids"], min_size=1, max_size=3, desired_capacity=2,
        health_check_type="ELB", health_check_grace_period=300, protect_from_scale_in=True,
        termination_policies=["OldestLaunchTemplate", "Default"], default_cooldown=300,
        target_groups=["sm-5080"], tags={"role": "streammanager"},
        policies=[
            dict(name="scale-out", scaling_adjustment=1, cooldown=300,
                 alarm=dict(comparison=">=", threshold=70, period=60, evaluation_periods=2)),
            dict(name="scale-in", scaling_adjustment=-1, cooldown=180,
                 alarm=dict(comparison="<=", threshold=30, period=900, evaluation_periods=2)),
            dict(name="cpu-steps", type="step", estimated_instance_warmup=120,
                 steps=[dict(lower_bound=0, upper_bound=20, adjustment=1), dict(lower_bound=20, adjustment=2)],
                 alarm=dict(name="sm-fleet-cpu-high", comparison=">", threshold=85)),
            dict(name="cpu60", type="target_tracking", target_value=60, disable_scale_in=True),
        ],
        lifecycle_hooks=[dict(name="drain", transition="autoscaling:EC2_INSTANCE_TERMINATING",
                              heartbeat_timeout=600)],
        wait_timeout=60,
    )
    args.update(overrides)
    return args


def test_fleet_lifecycle(run_module, aws, network, template, target_group):
    autoscaling, cloudwatch = aws.autoscaling, aws.cloudwatch
    args = fleet_args(network, template)

    result = run_module("aws_fleet", args, check_mode=True, diff=True)
    assert result["changed"] is True, result
    assert not changing_calls(result)
    assert autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"] == []

    result = run_module("aws_fleet", args)
    assert result["changed"] is True, result
    group = result["group"]
    assert group["in_service"] >= 2
    assert group["target_group_arns"] == [target_group["TargetGroupArn"]]
    assert all(i["protected_from_scale_in"] for i in group["instances"])
    assert any("InService" in line for line in result["wait_progress"])
    described = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["sm-fleet"])["AutoScalingGroups"][0]
    assert described["HealthCheckType"] == "ELB" and described["HealthCheckGracePeriod"] == 300
    policies = {p["PolicyName"]: p for p in autoscaling.describe_policies(AutoScalingGroupName="sm-fleet")["ScalingPolicies"]}
    assert set(policies) == {"scale-out", "scale-in", "cpu-steps", "cpu60"}
    alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms()["MetricAlarms"]}
    assert set(alarms) == {"sm-fleet-scale-out", "sm-fleet-scale-in", "sm-fleet-cpu-high"}
    out = alarms["sm-fleet-scale-out"]
    assert (out["ComparisonOperator"], out["Threshold"], out["Period"], out["EvaluationPeriods"]) == (
        "GreaterThanOrEqualToThreshold", 70.0, 60, 2)
    assert out["AlarmActions"] == [policies["scale-out"]["PolicyARN"]]
    assert alarms["sm-fleet-scale-in"]["Period"] == 900
    assert out["Dimensions"] == [{"Name": "AutoScalingGroupName", "Value": "sm-fleet"}]

    result = run_module("aws_fleet", args)
    assert result["changed"] is False, result["changes"]
    assert not changing_calls(result)
    print("no-op calls (fleet):", result["api_calls"])

    updated = copy.deepcopy(args)
    updated["max_size"] = 4
    updated["policies"][0]["alarm"]["threshold"] = 75
    updated["policies"][1]["cooldown"] = 240
    del updated["policies"][2]  # step policy and its alarm go
    updated["lifecycle_hooks"] = []

    result = run_module("aws_fleet", updated, check_mode=True, diff=True)
    assert result["changed"] is True and not changing_calls(result)
    assert result["diff"]["before"]["settings"]["MaxSize"] == 3
    assert result["diff"]["after"]["settings"]["MaxSize"] == 4
    assert autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["sm-fleet"])["AutoScalingGroups"][0]["MaxSize"] == 3

    result = run_module("aws_fleet", updated)
    assert result["changed"] is True
    assert "delete alarm sm-fleet-cpu-high" in result["changes"]
    assert "delete scaling policy cpu-steps" in result["changes"]
    assert autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["sm-fleet"])["AutoScalingGroups"][0]["MaxSize"] == 4
    alarms = {a["AlarmName"]: a for a in cloudwatch.describe_alarms()["MetricAlarms"]}
    assert set(alarms) == {"sm-fleet-scale-out", "sm-fleet-scale-in"}
    assert alarms["sm-fleet-scale-out"]["Threshold"] == 75.0
    assert autoscaling.describe_lifecycle_hooks(AutoScalingGroupName="sm-fleet")["LifecycleHooks"] == []
    assert run_module("aws_fleet", updated)["changed"] is False

    absent = dict(name="sm-fleet", deployment=DEPLOYMENT, state="absent", wait_timeout=60)
    result = run_module("aws_fleet", absent, check_mode=True)
    assert result["changed"] is True and not changing_calls(result)
    result = run_module("aws_fleet", absent)
    assert result["changed"] is True, result
    assert autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"] == []
    assert cloudwatch.describe_alarms()["MetricAlarms"] == []
    assert live_tagged(aws) == []
    assert run_module("aws_fleet", absent)["changed"] is False


BAD_FLEET_INPUT = [
    (dict(desired_capacity=5), "desired_capacity (5) must be between"),
    (dict(min_size=4), "min_size (4) must be between"),
    (dict(launch_template=dict(name="sm-template", version="latest")), "launch_template.version"),
    (dict(target_groups=["no-such-group"]), "not found"),
    (dict(launch_template=dict(name="no-such-template")), "not found"),
    (dict(policies=[dict(name="x", type="target_tracking", target_value=60,
                         alarm=dict(comparison=">=", threshold=70))]), "target tracking creates"),
]


def test_bad_input_changes_nothing(run_module, aws, network, template, target_group):
    """Each bad task fails with a clear message before any call that changes something."""
    for overrides, message in BAD_FLEET_INPUT:
        result = run_module("aws_fleet", fleet_args(network, template, **overrides))
        assert result.get("failed") is True, (overrides, result)
        assert message in result["msg"], (overrides, result["msg"])
        assert not changing_calls(result), overrides
    assert aws.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"] == []


def test_classic_balancer_and_warm_pool(run_module, aws, network, template):
    aws.elb.create_load_balancer(LoadBalancerName="wcs-edge", Subnets=network["subnet_ids"], Listeners=[
        {"Protocol": "HTTP", "LoadBalancerPort": 8080, "InstanceProtocol": "HTTP", "InstancePort": 8080}])
    args = dict(name="wcs-edge", deployment=DEPLOYMENT, launch_template=dict(name=template),
                subnets=network["subnet_ids"], min_size=1, max_size=3, load_balancers=["wcs-edge"],
                warm_pool=dict(min_size=1, pool_state="Stopped"),
                policies=[dict(name="cpu80", type="target_tracking", target_value=80)])
    result = run_module("aws_fleet", args)
    assert result["changed"] is True, result
    assert result["group"]["load_balancers"] == ["wcs-edge"]
    assert aws.autoscaling.describe_warm_pool(AutoScalingGroupName="wcs-edge")["WarmPoolConfiguration"]["MinSize"] == 1
    assert run_module("aws_fleet", args)["changed"] is False
    args["warm_pool"] = dict(enabled=False)
    result = run_module("aws_fleet", args)
    assert result["changed"] is True and "delete warm pool" in result["changes"]
    assert run_module("aws_fleet", dict(name="wcs-edge", deployment=DEPLOYMENT, state="absent"))["changed"]
    assert aws.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"] == []


def test_playbook_create_and_remove(playbook, aws, network, template, target_group):
    """One ansible-playbook run: check mode, create, re-run, remove (tasks see each other's effect)."""
    args = fleet_args(network, template, policies=[], lifecycle_hooks=None, desired_capacity=None)
    args = dict((k, v) for k, v in args.items() if v is not None)
    absent = dict(name="sm-fleet", deployment=DEPLOYMENT, state="absent")
    results = playbook.run([
        {"name": "check", "streamfleet.cluster.aws_fleet": args, "check_mode": True},
        {"name": "create", "streamfleet.cluster.aws_fleet": args},
        {"name": "again", "streamfleet.cluster.aws_fleet": args},
        {"name": "remove", "streamfleet.cluster.aws_fleet": absent},
    ], diff=True)
    check, create, again, remove = results
    assert check["changed"] is True and "group" not in check
    assert create["changed"] is True and create["group"]["in_service"] == 1
    assert again["changed"] is False
    assert remove["changed"] is True
    assert live_tagged(aws) == []
