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
    assert result["api_calls"]["elbv2.DescribeTargetGroups"] == 1  # the name resolved
    # the same group declared by ARN (as a balancer task returns it): no lookup at all (issue 20)
    by_arn = dict(args, target_groups=[target_group["TargetGroupArn"]])
    result = run_module("aws_fleet", by_arn)
    assert result["changed"] is False, result["changes"]
    assert not [c for c in result["api_calls"] if c.startswith("elbv2.")], result["api_calls"]

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
    args["warm_pool"] = dict(state="absent")
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


def group_of(aws, name="sm-fleet"):
    return aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]


def scaler_args(network, template, **overrides):
    """A group the scaling policies own: no desired_capacity after the first run."""
    args = dict(
        name="sm-fleet", deployment=DEPLOYMENT, launch_template=dict(name=template),
        subnets=network["subnet_ids"], min_size=1, max_size=8, tags={"role": "edge"},
        policies=[dict(name="scale-out", scaling_adjustment=1, cooldown=300,
                       alarm=dict(comparison=">=", threshold=70))],
        lifecycle_hooks=[dict(name="drain", transition="autoscaling:EC2_INSTANCE_TERMINATING",
                              heartbeat_timeout=300, default_result="CONTINUE")],
        wait_timeout=60,
    )
    args.update(overrides)
    return args


def test_capacity_is_the_scalers(run_module, aws, network, template):
    """Scaled out of band, a re-run keeps the capacity; new bounds clamp it; an explicit value sets it."""
    result = run_module("aws_fleet", scaler_args(network, template, desired_capacity=2))
    assert result["changed"] is True, result
    assert result["capacity"] == dict(before=None, after=2, source="declared")
    assert group_of(aws)["DesiredCapacity"] == 2

    # an operator (or a policy) scales out and tags the group
    aws.autoscaling.set_desired_capacity(AutoScalingGroupName="sm-fleet", DesiredCapacity=6)
    aws.autoscaling.create_or_update_tags(Tags=[dict(ResourceId="sm-fleet", ResourceType="auto-scaling-group",
                                                     Key="owner", Value="ops", PropagateAtLaunch=False)])
    args = scaler_args(network, template)

    result = run_module("aws_fleet", args, diff=True)
    assert result["changed"] is False, result["changes"]
    assert not changing_calls(result), result["api_calls"]
    assert result["capacity"] == dict(before=6, after=6, source="scaler") and result["capacity_clamped"] is False
    assert result["group"]["desired_capacity"] == 6 and group_of(aws)["DesiredCapacity"] == 6

    # a smaller max_size moves the capacity to the new bound, in check mode first
    smaller = scaler_args(network, template, max_size=4)
    result = run_module("aws_fleet", smaller, check_mode=True, diff=True)
    assert result["changed"] is True and not changing_calls(result)
    assert result["changes"] == ["desired capacity 6 -> 4 (above the new max_size 4)",
                                 "update group sm-fleet: ['DesiredCapacity', 'MaxSize']"]
    assert result["capacity_clamped"] is True
    assert result["capacity"] == dict(before=6, after=4, source="clamped", reason="above the new max_size 4")
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert (before["settings"]["DesiredCapacity"], after["settings"]["DesiredCapacity"]) == (6, 4)
    assert (before["settings"]["MaxSize"], after["settings"]["MaxSize"]) == (8, 4)
    assert after["tags"]["owner"] == "ops", "the diff must not show the operator's tag as removed"
    assert before["lifecycle_hooks"] == after["lifecycle_hooks"]
    assert before["policies"] == after["policies"]
    assert group_of(aws)["DesiredCapacity"] == 6

    result = run_module("aws_fleet", smaller)
    assert result["changed"] is True and result["capacity_clamped"] is True
    assert changing_calls(result) == ["autoscaling.UpdateAutoScalingGroup"], result["api_calls"]
    group = group_of(aws)
    assert (group["DesiredCapacity"], group["MaxSize"], group["MinSize"]) == (4, 4, 1)
    assert dict((t["Key"], t["Value"]) for t in group["Tags"])["owner"] == "ops"
    hooks = aws.autoscaling.describe_lifecycle_hooks(AutoScalingGroupName="sm-fleet")["LifecycleHooks"]
    assert [(h["LifecycleHookName"], h["HeartbeatTimeout"]) for h in hooks] == [("drain", 300)]
    assert [p["PolicyName"] for p in aws.autoscaling.describe_policies(AutoScalingGroupName="sm-fleet")["ScalingPolicies"]] \
        == ["scale-out"]
    assert run_module("aws_fleet", smaller)["changed"] is False

    # a larger min_size moves it up the same way
    result = run_module("aws_fleet", scaler_args(network, template, min_size=2, max_size=4), check_mode=True)
    assert result["capacity"]["source"] == "scaler", "4 is inside 2..4"

    # the capacity given for this run is set, and the diff shows it
    result = run_module("aws_fleet", scaler_args(network, template, max_size=4, desired_capacity=3), diff=True)
    assert result["changed"] is True
    assert result["changes"] == ["update group sm-fleet: ['DesiredCapacity']"]
    assert result["capacity"] == dict(before=4, after=3, source="declared")
    assert (result["diff"]["before"]["settings"]["DesiredCapacity"], result["diff"]["after"]["settings"]["DesiredCapacity"]) == (4, 3)
    assert group_of(aws)["DesiredCapacity"] == 3

    # policies not declared: an operator's policy stays
    aws.autoscaling.put_scaling_policy(AutoScalingGroupName="sm-fleet", PolicyName="ops-extra",
                                       AdjustmentType="ChangeInCapacity", ScalingAdjustment=2)
    result = run_module("aws_fleet", scaler_args(network, template, max_size=4, policies=None, lifecycle_hooks=None))
    assert result["changed"] is False, result["changes"]
    names = sorted(p["PolicyName"] for p in aws.autoscaling.describe_policies(AutoScalingGroupName="sm-fleet")["ScalingPolicies"])
    assert names == ["ops-extra", "scale-out"]
    assert len(aws.autoscaling.describe_lifecycle_hooks(AutoScalingGroupName="sm-fleet")["LifecycleHooks"]) == 1


def test_lifecycle_hooks_converge(run_module, aws, network, template):
    """The drain hook: created, unchanged on a re-run, updated with a diff, removed when undeclared."""
    args = scaler_args(network, template, policies=None, lifecycle_hooks=[
        dict(name="drain", transition="autoscaling:EC2_INSTANCE_TERMINATING", heartbeat_timeout=300,
             default_result="CONTINUE"),
        dict(name="warm-up", transition="autoscaling:EC2_INSTANCE_LAUNCHING", heartbeat_timeout=60,
             default_result="ABANDON")])
    result = run_module("aws_fleet", args)
    assert result["changed"] is True
    hooks = dict((h["LifecycleHookName"], h) for h in
                 aws.autoscaling.describe_lifecycle_hooks(AutoScalingGroupName="sm-fleet")["LifecycleHooks"])
    assert (hooks["drain"]["LifecycleTransition"], hooks["drain"]["HeartbeatTimeout"], hooks["drain"]["DefaultResult"]) == (
        "autoscaling:EC2_INSTANCE_TERMINATING", 300, "CONTINUE")
    assert hooks["warm-up"]["DefaultResult"] == "ABANDON"
    assert result["lifecycle_hooks"]["drain"] == dict(transition="autoscaling:EC2_INSTANCE_TERMINATING",
                                                      heartbeat_timeout=300, default_result="CONTINUE")
    assert run_module("aws_fleet", args)["changed"] is False

    args["lifecycle_hooks"] = [dict(args["lifecycle_hooks"][0], heartbeat_timeout=900)]
    result = run_module("aws_fleet", args, check_mode=True, diff=True)
    assert result["changes"] == ["delete lifecycle hook warm-up", "update lifecycle hook drain"]
    assert not changing_calls(result)
    assert result["diff"]["before"]["lifecycle_hooks"]["drain"]["heartbeat_timeout"] == 300
    assert result["diff"]["after"]["lifecycle_hooks"] == {"drain": dict(
        transition="autoscaling:EC2_INSTANCE_TERMINATING", heartbeat_timeout=900, default_result="CONTINUE")}
    result = run_module("aws_fleet", args)
    assert sorted(changing_calls(result)) == ["autoscaling.DeleteLifecycleHook", "autoscaling.PutLifecycleHook"]
    hooks = aws.autoscaling.describe_lifecycle_hooks(AutoScalingGroupName="sm-fleet")["LifecycleHooks"]
    assert [(h["LifecycleHookName"], h["HeartbeatTimeout"]) for h in hooks] == [("drain", 900)]
    assert run_module("aws_fleet", args)["changed"] is False


@pytest.mark.parametrize("hook, message", [
    (dict(heartbeat_timeout=10), "heartbeat_timeout must be between 30 and 7200 seconds, not 10"),
    (dict(name="drain me"), "name must be 1-255 characters"),
])
def test_bad_hook_changes_nothing(run_module, aws, network, template, hook, message):
    """moto would take both; the module refuses them before the first call."""
    base = dict(name="drain", transition="autoscaling:EC2_INSTANCE_TERMINATING", heartbeat_timeout=300)
    result = run_module("aws_fleet", scaler_args(network, template, lifecycle_hooks=[dict(base, **hook)]))
    assert result.get("failed") is True and message in result["msg"], result
    assert result["api_calls"] == {}
    assert aws.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"] == []


def test_warm_pool_converges(run_module, aws, network, template):
    pool = dict(min_size=1, pool_state="Stopped", reuse_on_scale_in=True)
    args = scaler_args(network, template, policies=None, lifecycle_hooks=None, warm_pool=pool)
    result = run_module("aws_fleet", args, check_mode=True, diff=True)
    assert "create warm pool" in result["changes"]
    assert result["warm_pool"] == dict(min_size=1, pool_state="Stopped", max_group_prepared_capacity=None,
                                       reuse_on_scale_in=True)
    run_module("aws_fleet", args)
    config = aws.autoscaling.describe_warm_pool(AutoScalingGroupName="sm-fleet")["WarmPoolConfiguration"]
    assert (config["MinSize"], config["PoolState"], config["InstanceReusePolicy"]) == (1, "Stopped", {"ReuseOnScaleIn": True})
    assert run_module("aws_fleet", args)["changed"] is False

    args["warm_pool"] = dict(pool, pool_state="Running", max_group_prepared_capacity=3)
    result = run_module("aws_fleet", args, diff=True)
    assert result["changes"] == ["update warm pool"]
    assert result["diff"]["before"]["warm_pool"]["pool_state"] == "Stopped"
    assert result["diff"]["after"]["warm_pool"]["pool_state"] == "Running"
    config = aws.autoscaling.describe_warm_pool(AutoScalingGroupName="sm-fleet")["WarmPoolConfiguration"]
    assert (config["PoolState"], config["MaxGroupPreparedCapacity"]) == ("Running", 3)
    assert run_module("aws_fleet", args)["changed"] is False

    # back to the default prepared capacity
    args["warm_pool"] = dict(pool, pool_state="Running")
    assert run_module("aws_fleet", args)["changes"] == ["update warm pool"]
    assert run_module("aws_fleet", args)["changed"] is False

    # omitted (or null): the pool is left alone
    args["warm_pool"] = None
    assert run_module("aws_fleet", args)["changed"] is False
    assert "WarmPoolConfiguration" in aws.autoscaling.describe_warm_pool(AutoScalingGroupName="sm-fleet")

    args["warm_pool"] = dict(state="absent")
    assert run_module("aws_fleet", args)["changes"] == ["delete warm pool"]
    assert "WarmPoolConfiguration" not in aws.autoscaling.describe_warm_pool(AutoScalingGroupName="sm-fleet")
    assert run_module("aws_fleet", args)["changed"] is False


def scaling_args(network, template, **overrides):
    """Issue 17: spot above an on-demand base, scheduled actions, alarm topics, balancer wait."""
    args = dict(
        name="ams-edge", deployment=DEPLOYMENT, launch_template=dict(name=template, version="$Latest"),
        subnets=network["subnet_ids"], min_size=1, max_size=4, target_groups=["sm-5080"],
        health_check_type="ELB", health_check_grace_period=300, tags={"team": "video"},
        mixed_instances_policy=dict(instance_types=[dict(type="c5.xlarge"), dict(type="c6i.xlarge")],
                                    on_demand_base_capacity=1, on_demand_percentage_above_base=0),
        scheduled_actions=[dict(name="evening", recurrence="0 18 * * MON-FRI", time_zone="Europe/Berlin", min_size=2),
                           dict(name="night", recurrence="0 23 * * *", min_size=1, desired_capacity=1)],
        wait_timeout=60,
    )
    args.update(overrides)
    return args


def scheduled(aws, name="ams-edge"):
    return dict((a["ScheduledActionName"], a) for a in aws.autoscaling.describe_scheduled_actions(
        AutoScalingGroupName=name)["ScheduledUpdateGroupActions"])


def test_mixed_instances_scheduled_actions_and_balancer_wait(run_module, aws, network, template, target_group):
    topic = aws.sns.create_topic(Name="ams-alarms")["TopicArn"]
    args = scaling_args(network, template, alarm_topics=[topic], policies=[
        dict(name="scale-out", scaling_adjustment=1, cooldown=300,
             alarm=dict(comparison=">=", threshold=70, period=60, evaluation_periods=2))])

    result = run_module("aws_fleet", args, check_mode=True, diff=True)
    assert result["changed"] and not changing_calls(result)
    assert "create scheduled action streamfleet-evening" in result["changes"]
    assert aws.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"] == []

    result = run_module("aws_fleet", args)
    assert result["changed"] is True, result
    described = group_of(aws, "ams-edge")
    assert "LaunchTemplate" not in described
    mixed = described["MixedInstancesPolicy"]
    assert [o["InstanceType"] for o in mixed["LaunchTemplate"]["Overrides"]] == ["c5.xlarge", "c6i.xlarge"]
    assert mixed["InstancesDistribution"]["OnDemandBaseCapacity"] == 1
    assert mixed["InstancesDistribution"]["OnDemandPercentageAboveBaseCapacity"] == 0
    assert result["group"]["mixed_instances_policy"]["on_demand_base_capacity"] == 1
    actions = scheduled(aws)
    assert set(actions) == {"streamfleet-evening", "streamfleet-night"}
    assert actions["streamfleet-evening"]["Recurrence"] == "0 18 * * MON-FRI"
    assert actions["streamfleet-evening"]["TimeZone"] == "Europe/Berlin"
    assert actions["streamfleet-night"]["DesiredCapacity"] == 1
    alarm = aws.cloudwatch.describe_alarms(AlarmNames=["ams-edge-scale-out"])["MetricAlarms"][0]
    assert topic in alarm["AlarmActions"] and len(alarm["AlarmActions"]) == 2
    # the run ends once the target group finds the instance healthy, after InService
    assert any("balancer health of group ams-edge (warm-up 300s)" in line and "1 of 1 instances healthy" in line
               for line in result["wait_progress"]), result["wait_progress"]
    tags = dict((t["Key"], t["Value"]) for t in described["Tags"])
    assert tags["team"] == "video"

    again = run_module("aws_fleet", args)
    assert again["changed"] is False, again["changes"]
    assert not changing_calls(again)
    # read once per run, and only because declared
    assert again["api_calls"].get("autoscaling.DescribeScheduledActions") == 1
    assert "elbv2.DescribeTargetHealth" not in again["api_calls"]
    assert "wait_progress" not in again

    # an action made by hand is not the collection's: kept when the owned ones change
    aws.autoscaling.put_scheduled_update_group_action(AutoScalingGroupName="ams-edge", ScheduledActionName="ops-manual",
                                                      Recurrence="0 6 * * *", MinSize=3)
    changed = scaling_args(network, template, scheduled_actions=[
        dict(name="evening", recurrence="0 19 * * MON-FRI", time_zone="Europe/Berlin", min_size=2)],
        mixed_instances_policy=dict(instance_types=[dict(type="c6i.xlarge"), dict(type="c5.xlarge")],
                                    on_demand_base_capacity=1, on_demand_percentage_above_base=50))
    result = run_module("aws_fleet", changed, check_mode=True, diff=True)
    assert result["diff"]["before"]["scheduled_actions"]["streamfleet-night"]["desired_capacity"] == 1
    assert "streamfleet-night" not in result["diff"]["after"]["scheduled_actions"]
    assert "ops-manual" not in result["diff"]["before"]["scheduled_actions"]
    result = run_module("aws_fleet", changed)
    assert "delete scheduled action streamfleet-night" in result["changes"]
    assert "update scheduled action streamfleet-evening" in result["changes"]
    assert any("MixedInstancesPolicy" in line for line in result["changes"])
    assert set(scheduled(aws)) == {"streamfleet-evening", "ops-manual"}
    assert scheduled(aws)["streamfleet-evening"]["Recurrence"] == "0 19 * * MON-FRI"
    overrides = group_of(aws, "ams-edge")["MixedInstancesPolicy"]["LaunchTemplate"]["Overrides"]
    assert [o["InstanceType"] for o in overrides] == ["c6i.xlarge", "c5.xlarge"]
    assert run_module("aws_fleet", changed)["changed"] is False

    # purge_scheduled_actions: the hand-made one goes too; no mixed policy: back to the template
    plain = scaling_args(network, template, scheduled_actions=[], purge_scheduled_actions=True,
                         mixed_instances_policy=None, wait_for_balancer=False)
    result = run_module("aws_fleet", plain)
    assert "delete scheduled action ops-manual" in result["changes"], result["changes"]
    assert scheduled(aws) == {}
    described = group_of(aws, "ams-edge")
    assert described["LaunchTemplate"]["LaunchTemplateName"] == template
    assert run_module("aws_fleet", plain)["changed"] is False


@pytest.mark.parametrize("overrides, message", [
    (dict(scheduled_actions=[dict(name="x", recurrence="0 18 * *", min_size=1)]), "five-field cron"),
    (dict(scheduled_actions=[dict(name="x", recurrence="0 18 * * *")]), "at least one of min_size"),
    (dict(scheduled_actions=[dict(name="x", start_time="tomorrow", min_size=1)]), "ISO 8601"),
    (dict(scheduled_actions=[dict(name="x", recurrence="0 1 * * *", desired_capacity=9)]), "outside 1..4"),
    (dict(mixed_instances_policy=dict(instance_types=[dict(type="c5.large"), dict(type="c5.large")])), "twice"),
    (dict(mixed_instances_policy=dict(instance_types=[dict(type="c5.large")], on_demand_percentage_above_base=101)),
     "on_demand_percentage_above_base"),
    (dict(notifications=[dict(topic="ams-events")]), "SNS topic ARN"),
    (dict(alarm_topics=["not-an-arn"]), "alarm_topics[0] must be an SNS topic ARN"),
])
def test_bad_scaling_input_changes_nothing(run_module, aws, network, template, target_group, overrides, message):
    result = run_module("aws_fleet", scaling_args(network, template, **overrides))
    assert result.get("failed") is True, result
    assert message in result["msg"]
    assert result.get("api_calls", {}) == {} or not changing_calls(result)
    assert aws.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"] == []


def notification_view(aws, name="sm-fleet"):
    view = {}
    pages = aws.autoscaling.get_paginator("describe_notification_configurations").paginate(AutoScalingGroupNames=[name])
    for page in pages:
        for item in page["NotificationConfigurations"]:
            view.setdefault(item["TopicARN"].rsplit(":", 1)[1], []).append(item["NotificationType"])
    return dict((topic, sorted(types)) for topic, types in view.items())


def test_notifications_converge(run_module, aws, network, template):
    """notifications through the AWS stand-in's notification configurations (moto + tests/standins/
    moto_autoscaling_notifications.py): created, unchanged on a re-run, check mode and diff,
    topics not listed deleted (a hand-made one too), [] deletes all, omitted reads nothing."""
    launch, terminate = "autoscaling:EC2_INSTANCE_LAUNCH", "autoscaling:EC2_INSTANCE_TERMINATE"
    launch_error = "autoscaling:EC2_INSTANCE_LAUNCH_ERROR"
    events, ops, manual = (aws.sns.create_topic(Name=name)["TopicArn"] for name in ("events", "ops", "manual"))
    args = scaler_args(network, template, min_size=0, policies=None, lifecycle_hooks=None, notifications=[
        dict(topic=events, types=[terminate, launch]), dict(topic=ops, types=[launch_error])])

    result = run_module("aws_fleet", args, check_mode=True, diff=True)
    assert result["changed"] is True and not changing_calls(result)
    assert result["notifications"] == {events: [launch, terminate], ops: [launch_error]}
    assert aws.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"] == []

    result = run_module("aws_fleet", args)
    assert "create notifications to %s: %s, %s" % (events, launch, terminate) in result["changes"], result["changes"]
    assert result["api_calls"]["autoscaling.PutNotificationConfiguration"] == 2
    assert notification_view(aws) == {"events": [launch, terminate], "ops": [launch_error]}

    again = run_module("aws_fleet", args)
    assert again["changed"] is False, again["changes"]
    assert not changing_calls(again)
    assert again["api_calls"]["autoscaling.DescribeNotificationConfigurations"] == 1

    # a topic configured by hand is not listed: deleted with ops; events' types replaced
    aws.autoscaling.put_notification_configuration(AutoScalingGroupName="sm-fleet", TopicARN=manual,
                                                   NotificationTypes=[terminate])
    args["notifications"] = [dict(topic=events, types=[launch])]
    result = run_module("aws_fleet", args, check_mode=True, diff=True)
    assert result["changes"] == ["delete notifications to %s" % manual, "delete notifications to %s" % ops,
                                 "update notifications to %s: %s" % (events, launch)]
    assert not changing_calls(result)
    assert result["diff"]["before"]["notifications"] == {events: [launch, terminate], ops: [launch_error],
                                                         manual: [terminate]}
    assert result["diff"]["after"]["notifications"] == {events: [launch]}
    assert notification_view(aws) == {"events": [launch, terminate], "ops": [launch_error], "manual": [terminate]}
    result = run_module("aws_fleet", args)
    assert sorted(changing_calls(result)) == ["autoscaling.DeleteNotificationConfiguration",
                                              "autoscaling.PutNotificationConfiguration"]
    assert notification_view(aws) == {"events": [launch]}
    assert run_module("aws_fleet", args)["changed"] is False

    # omitted: neither read nor changed
    result = run_module("aws_fleet", dict(args, notifications=None))
    assert result["changed"] is False and "autoscaling.DescribeNotificationConfigurations" not in result["api_calls"]
    assert notification_view(aws) == {"events": [launch]}

    # []: every configuration of the group goes
    args["notifications"] = []
    assert run_module("aws_fleet", args)["changes"] == ["delete notifications to %s" % events]
    assert notification_view(aws) == {}
    assert run_module("aws_fleet", args)["changed"] is False

    # the group's deletion takes its configurations along (the stand-in drops them as AWS does)
    args["notifications"] = [dict(topic=events, types=[launch])]
    run_module("aws_fleet", args)
    assert run_module("aws_fleet", dict(args, state="absent"))["changed"] is True
    assert aws.autoscaling.describe_notification_configurations()["NotificationConfigurations"] == []


def two_groups(network, template):
    """Issue 20: the origin and edge groups of a cluster in one task; the shared options once."""
    shared = dict(deployment=DEPLOYMENT, launch_template=dict(name=template), subnets=network["subnet_ids"],
                  min_size=1, max_size=3, wait_timeout=60, tags={"cluster": "ams"})
    entries = [dict(name="ams-origin", desired_capacity=1, target_groups=["sm-5080"],
                    policies=[dict(name="cpu60", type="target_tracking", target_value=60)]),
               dict(name="ams-edge", min_size=2, max_size=6, health_check_type="ELB")]
    return shared, entries


def test_several_groups_in_one_task(run_module, aws, network, template, target_group):
    shared, entries = two_groups(network, template)
    plan = run_module("aws_fleet", dict(shared, groups=entries), check_mode=True, diff=True)
    assert plan["changed"] is True and [r["changed"] for r in plan["results"]] == [True, True]
    assert len(plan["diff"]) == 2 and plan["diff"][1]["after"]["settings"]["MaxSize"] == 6
    assert not changing_calls(plan)
    assert aws.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"] == []

    created = run_module("aws_fleet", dict(shared, groups=entries))
    assert created["changed"] is True, created
    assert [r["group"]["name"] for r in created["results"]] == ["ams-origin", "ams-edge"]
    assert any(c.startswith("ams-edge: create Auto Scaling group") for c in created["changes"])
    origin, edge = group_of(aws, "ams-origin"), group_of(aws, "ams-edge")
    assert (origin["MinSize"], origin["MaxSize"], origin["HealthCheckType"]) == (1, 3, "EC2")
    assert origin["TargetGroupARNs"] == [target_group["TargetGroupArn"]]
    # what an entry leaves out is the task's: the edge has no target group and no policy
    assert (edge["MinSize"], edge["MaxSize"], edge["HealthCheckType"], edge["TargetGroupARNs"]) == (2, 6, "ELB", [])
    assert {"Key": "cluster", "Value": "ams"} in [dict(Key=t["Key"], Value=t["Value"]) for t in edge["Tags"]]
    assert [p["PolicyName"] for p in aws.autoscaling.describe_policies(AutoScalingGroupName="ams-edge")["ScalingPolicies"]] == []

    again = run_module("aws_fleet", dict(shared, groups=entries))
    assert again["changed"] is False and [r["changed"] for r in again["results"]] == [False, False]
    # the calls of the two groups' no-ops, one task each, but both groups described in one
    # call (issue 20: the entries share that read while nothing changes)
    singles = [run_module("aws_fleet", dict(shared, **entry)) for entry in entries]
    assert [s["changed"] for s in singles] == [False, False]
    expected = {}
    for single in singles:
        for call, count in single["api_calls"].items():
            expected[call] = expected.get(call, 0) + count
    assert expected["autoscaling.DescribeAutoScalingGroups"] == 2
    expected["autoscaling.DescribeAutoScalingGroups"] = 1
    print("no-op calls (two groups, one task):", again["api_calls"])
    assert again["api_calls"] == expected
    # after the first entry changes, the second reads its group again and sees a scaler's change
    aws.autoscaling.update_auto_scaling_group(AutoScalingGroupName="ams-edge", MaxSize=9)
    changed = run_module("aws_fleet", dict(shared, groups=[dict(entries[0], max_size=4), entries[1]]))
    assert [r["changed"] for r in changed["results"]] == [True, True], changed["changes"]
    assert changed["api_calls"]["autoscaling.DescribeAutoScalingGroups"] >= 2
    assert (group_of(aws, "ams-origin")["MaxSize"], group_of(aws, "ams-edge")["MaxSize"]) == (4, 6)


@pytest.mark.parametrize("bad, message", [
    (dict(name="two", min_size=4), "groups[1]: min_size (4) must be between"),
    (dict(name="two", launch_template=None), "groups[1]: state is present but all of the following are missing: launch_template"),
    (dict(min_size=1), "groups[1]: missing required arguments: name"),
    (dict(name="two", warm_pool=dict(pool_state="Frozen")), "groups[1]: value of pool_state must be one of"),
    (dict(name="two", deployment="other"), "groups[1]: deployment. Supported parameters include"),
])
def test_bad_group_fails_before_any_call(run_module, aws, network, template, bad, message):
    shared, _entries = two_groups(network, template)
    result = run_module("aws_fleet", dict(shared, groups=[dict(name="one"), bad]))
    assert result.get("failed") is True, result
    assert message in result["msg"], result["msg"]
    assert result.get("api_calls", {}) == {}


def test_failing_group_names_what_converged_before_it(run_module, aws, network, template):
    shared, _entries = two_groups(network, template)
    result = run_module("aws_fleet", dict(shared, groups=[
        dict(name="ams-origin"), dict(name="ams-edge", launch_template=dict(name="no-such-template"))]))
    assert result.get("failed") is True
    assert result["msg"].startswith("Auto Scaling group ams-edge: "), result["msg"]
    assert "not found" in result["msg"] and "(entries converged before it: ams-origin (changed))" in result["msg"]
    assert [r["group"]["name"] for r in result["results"]] == ["ams-origin"]
    assert [g["AutoScalingGroupName"] for g in aws.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]] == ["ams-origin"]


def test_name_and_groups_exclude_each_other(run_module, network, template):
    result = run_module("aws_fleet", fleet_args(network, template, groups=[dict(name="b")]))
    assert result.get("failed") is True and "mutually exclusive" in result["msg"]
