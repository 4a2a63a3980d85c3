"""aws_deployment_info against moto: finds what carries the deployment tag, nothing else;
with ``status`` the state of each Auto Scaling group, in a number of calls that does not grow
with the number of instances."""
import time

DEPLOYMENT = "info-test"
TAG = "streamfleet:deployment"


def tags(deployment=DEPLOYMENT):
    return [{"Key": TAG, "Value": deployment}]


def build_deployment(aws, network, base_image_id, run_module, instance_id, deployment=DEPLOYMENT):
    """One object of each kind, tagged with ``deployment``; returns what was made."""
    ec2, elbv2 = aws.ec2, aws.elbv2
    made = {}
    made["image"] = run_module("aws_image", dict(name=deployment + "-origin-1", deployment=deployment,
                                                 role="origin", instance_id=instance_id))["image_id"]
    made["template"] = run_module("aws_launch_template", dict(
        name=deployment + "-origin", deployment=deployment, image_id=base_image_id,
        instance_type="t3.micro"))["launch_template_id"]
    made["instance"] = ec2.run_instances(
        ImageId=base_image_id, MinCount=1, MaxCount=1, SubnetId=network["subnet_ids"][0],
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags(deployment)}])["Instances"][0]["InstanceId"]
    made["group"] = ec2.create_security_group(
        GroupName=deployment + "-web", Description="web", VpcId=network["vpc_id"],
        TagSpecifications=[{"ResourceType": "security-group", "Tags": tags(deployment)}])["GroupId"]
    made["alb"] = elbv2.create_load_balancer(Name=deployment + "-alb", Subnets=network["subnet_ids"],
                                             Tags=tags(deployment))["LoadBalancers"][0]["LoadBalancerArn"]
    made["tg"] = elbv2.create_target_group(Name=deployment + "-tg", Protocol="HTTP", Port=5080,
                                           VpcId=network["vpc_id"], Tags=tags(deployment))["TargetGroups"][0]["TargetGroupArn"]
    aws.elb.create_load_balancer(LoadBalancerName=deployment + "-clb", Subnets=network["subnet_ids"][:1],
                                 Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 5080}],
                                 Tags=tags(deployment))
    aws.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=deployment + "-asg", LaunchTemplate={"LaunchTemplateId": made["template"]},
        MinSize=0, MaxSize=2, DesiredCapacity=0, VPCZoneIdentifier=network["subnet_ids"][0],
        Tags=[{"Key": TAG, "Value": deployment, "PropagateAtLaunch": True}])
    aws.cloudwatch.put_metric_alarm(
        AlarmName=deployment + "-cpu-high", MetricName="CPUUtilization", Namespace="AWS/EC2", Statistic="Average",
        Period=60, EvaluationPeriods=2, Threshold=70, ComparisonOperator="GreaterThanOrEqualToThreshold",
        Tags=tags(deployment))
    made["cert"] = aws.acm.request_certificate(DomainName=deployment + ".example.com", ValidationMethod="DNS",
                                               Tags=tags(deployment))["CertificateArn"]
    return made


def test_reports_by_kind(run_module, aws, network, base_image_id, instance_id):
    made = build_deployment(aws, network, base_image_id, run_module, instance_id)
    build_deployment(aws, network, base_image_id, run_module, instance_id, deployment="someone-else")

    result = run_module("aws_deployment_info", dict(deployment=DEPLOYMENT))
    assert result["changed"] is False
    counts = result["counts"]
    for kind in ("images", "launch_templates", "instances", "security_groups", "load_balancers",
                 "target_groups", "classic_load_balancers", "auto_scaling_groups", "alarms", "certificates"):
        assert counts[kind] == 1, (kind, result["objects"][kind])
    assert counts["snapshots"] >= 1  # the image's snapshots carry the tag
    objects = result["objects"]
    assert objects["images"][0]["id"] == made["image"]
    assert objects["launch_templates"][0]["id"] == made["template"]
    assert objects["instances"][0]["id"] == made["instance"]
    assert objects["load_balancers"][0]["arn"] == made["alb"]
    assert objects["classic_load_balancers"][0]["id"] == DEPLOYMENT + "-clb"
    assert objects["auto_scaling_groups"][0]["id"] == DEPLOYMENT + "-asg"
    assert objects["alarms"][0]["id"] == DEPLOYMENT + "-cpu-high"
    assert objects["certificates"][0]["arn"] == made["cert"]
    assert all(o["tags"][TAG] == DEPLOYMENT for items in objects.values() for o in items)
    assert result["api_calls"] == {
        "autoscaling.DescribeAutoScalingGroups": 1,
        "ec2.DescribeInstances": 1,
        "ec2.DescribeLaunchTemplates": 1,
        "iam.ListInstanceProfiles": 1,
        "resourcegroupstaggingapi.GetResources": 1,
    }
    assert "groups" not in result

    detailed = run_module("aws_deployment_info", dict(deployment=DEPLOYMENT, details=True))
    objects = detailed["objects"]
    assert objects["images"][0]["state"] == "available"
    assert objects["load_balancers"][0]["dns_name"]
    assert objects["target_groups"][0]["port"] == 5080
    assert objects["alarms"][0]["threshold"] == 70
    assert objects["certificates"][0]["status"] in ("PENDING_VALIDATION", "ISSUED")
    assert objects["classic_load_balancers"][0]["dns_name"]
    assert objects["instances"][0]["instance_type"]


def test_terminated_instances_are_left_out(run_module, aws, base_image_id):
    instance = aws.ec2.run_instances(ImageId=base_image_id, MinCount=1, MaxCount=1, TagSpecifications=[
        {"ResourceType": "instance", "Tags": tags()}])["Instances"][0]["InstanceId"]
    assert run_module("aws_deployment_info", dict(deployment=DEPLOYMENT))["counts"]["instances"] == 1
    aws.ec2.terminate_instances(InstanceIds=[instance])
    assert run_module("aws_deployment_info", dict(deployment=DEPLOYMENT))["counts"]["instances"] == 0


def test_empty_deployment_and_check_mode(run_module):
    result = run_module("aws_deployment_info", dict(deployment="nothing-here"), check_mode=True)
    assert result["changed"] is False
    assert result["total"] == 0


def test_playbook(playbook, run_module, aws, network, base_image_id, instance_id):
    build_deployment(aws, network, base_image_id, run_module, instance_id)
    results = playbook.run([
        {"name": "info", "streamfleet.cluster.aws_deployment_info": {"deployment": DEPLOYMENT},
         "register": "info"},
        {"name": "check", "ansible.builtin.assert": {"that": ["info.counts.images == 1", "info.total >= 10"]}},
    ])
    assert results[0]["changed"] is False
    assert results[1].get("failed") is not True


def make_profile(aws, name, deployment, path="/streamfleet/"):
    iam = aws.iam
    iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument='{"Version": "2012-10-17", "Statement": []}')
    iam.create_instance_profile(InstanceProfileName=name, Path=path, Tags=tags(deployment))
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)


def test_instance_profiles_by_path_and_tag(run_module, aws):
    make_profile(aws, "info-test-drain", DEPLOYMENT)
    make_profile(aws, "other-drain", "someone-else")
    make_profile(aws, "info-test-elsewhere", DEPLOYMENT, path="/other/")
    result = run_module("aws_deployment_info", dict(deployment=DEPLOYMENT))
    assert not result.get("failed"), result
    assert [(p["name"], p["role_name"], p["path"]) for p in result["instance_profiles"]] == [
        ("info-test-drain", "info-test-drain", "/streamfleet/")]
    assert result["instance_profiles"][0]["arn"].endswith(":instance-profile/streamfleet/info-test-drain")
    # One list call; moto includes the tags in it (AWS needs a GetInstanceProfile per profile).
    assert result["api_calls"]["iam.ListInstanceProfiles"] == 1
    assert "iam.GetInstanceProfile" not in result["api_calls"]


def build_groups(run_module, aws, network, base_image_id, instance_id):
    """An edge group on an older image of its family with a hook, a target group, a warm pool
    and a rollout tag; a second group whose instances do not carry the deployment tag."""
    old = run_module("aws_image", dict(name=DEPLOYMENT + "-edge-1", deployment=DEPLOYMENT, role="antmedia-edge",
                                       instance_id=instance_id))["image_id"]
    time.sleep(1.1)  # moto's CreationDate has whole seconds; the family's newest must differ
    new = run_module("aws_image", dict(name=DEPLOYMENT + "-edge-2", deployment=DEPLOYMENT, role="antmedia-edge",
                                       instance_id=instance_id))["image_id"]
    template = run_module("aws_launch_template", dict(name=DEPLOYMENT + "-edge", deployment=DEPLOYMENT, image_id=old,
                                                      instance_type="t3.micro"))["launch_template_id"]
    target_group = aws.elbv2.create_target_group(Name=DEPLOYMENT + "-edge", Protocol="HTTP", Port=5080,
                                                 VpcId=network["vpc_id"], Tags=tags())["TargetGroups"][0]["TargetGroupArn"]
    autoscaling = aws.autoscaling
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=DEPLOYMENT + "-edge", LaunchTemplate={"LaunchTemplateId": template},
        MinSize=1, MaxSize=10, DesiredCapacity=2, VPCZoneIdentifier=network["subnet_ids"][0],
        TargetGroupARNs=[target_group],
        Tags=[{"Key": TAG, "Value": DEPLOYMENT, "PropagateAtLaunch": True},
              {"Key": "streamfleet:rollout", "Value": "min=1;max=10;desired=2;suspended=AZRebalance",
               "PropagateAtLaunch": False}])
    autoscaling.put_lifecycle_hook(
        AutoScalingGroupName=DEPLOYMENT + "-edge", LifecycleHookName="drain",
        LifecycleTransition="autoscaling:EC2_INSTANCE_TERMINATING", HeartbeatTimeout=300, DefaultResult="CONTINUE")
    autoscaling.put_warm_pool(AutoScalingGroupName=DEPLOYMENT + "-edge", MinSize=1, PoolState="Stopped")
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=DEPLOYMENT + "-origin", LaunchTemplate={"LaunchTemplateId": template},
        MinSize=1, MaxSize=2, DesiredCapacity=1, VPCZoneIdentifier=network["subnet_ids"][0],
        Tags=[{"Key": TAG, "Value": DEPLOYMENT, "PropagateAtLaunch": False},
              {"Key": "streamfleet:role", "Value": "antmedia-origin", "PropagateAtLaunch": False}])
    return dict(old=old, new=new, template=template, target_group=target_group)


def test_status_of_groups(run_module, aws, network, base_image_id, instance_id):
    made = build_groups(run_module, aws, network, base_image_id, instance_id)
    edge_instances = [i["InstanceId"] for i in aws.autoscaling.describe_auto_scaling_groups(
        AutoScalingGroupNames=[DEPLOYMENT + "-edge"])["AutoScalingGroups"][0]["Instances"]]
    aws.autoscaling.enter_standby(AutoScalingGroupName=DEPLOYMENT + "-edge", InstanceIds=edge_instances[:1],
                                  ShouldDecrementDesiredCapacity=False)

    result = run_module("aws_deployment_info", dict(deployment=DEPLOYMENT, status=True), check_mode=True)
    assert result["changed"] is False
    edge, origin = result["groups"]
    assert (edge["name"], origin["name"]) == (DEPLOYMENT + "-edge", DEPLOYMENT + "-origin")
    assert (edge["min_size"], edge["desired_capacity"], edge["max_size"]) == (1, 2, 10)
    assert sum(edge["instances_by_state"].values()) == len(edge["instances"]) >= 2
    assert edge["instances_by_state"].get("Standby") == 1
    assert edge["lifecycle_hooks"] == [dict(name="drain", transition="autoscaling:EC2_INSTANCE_TERMINATING",
                                            heartbeat_timeout=300, global_timeout=edge["lifecycle_hooks"][0]["global_timeout"],
                                            default_result="CONTINUE")]
    assert edge["warm_pool"]["min_size"] == 1 and edge["warm_pool"]["pool_state"] == "Stopped"
    # Image in use against the newest of the family.
    assert edge["image_family"] == "antmedia-edge"
    assert edge["images_in_use"] == [made["old"]]
    assert edge["newest_image"]["id"] == made["new"]
    assert edge["images_up_to_date"] is False
    assert all(i["launch_template_id"] == made["template"] and i["launch_template_version"] for i in edge["instances"])
    assert all(i["private_ip"] for i in edge["instances"])
    # Balancer health per instance (moto registers group instances and calls them healthy).
    assert edge["target_groups"][0]["arn"] == made["target_group"]
    assert edge["target_groups"][0]["name"] == DEPLOYMENT + "-edge"
    assert all(set(i["target_health"]) == {made["target_group"]} for i in edge["instances"])
    # Rollout and drain.
    assert edge["rollout"]["sizes"] == dict(min=1, max=10, desired=2)
    assert edge["rollout"]["suspended_processes"] == ["AZRebalance"]
    assert edge["draining"] == []
    # The origin group's instances are described whether or not they carry the deployment tag
    # (moto propagates group tags regardless of PropagateAtLaunch, so the batch read may not run).
    assert origin["rollout"] is None and origin["warm_pool"] is None and origin["lifecycle_hooks"] == []
    assert origin["instances"] and all(i["image_id"] == made["old"] for i in origin["instances"])
    assert origin["image_family"] == "antmedia-edge"
    assert result["api_calls"]["ec2.DescribeInstances"] <= 2


def test_status_call_count_is_flat_in_instances(run_module, aws, network, base_image_id, instance_id):
    build_groups(run_module, aws, network, base_image_id, instance_id)
    few = run_module("aws_deployment_info", dict(deployment=DEPLOYMENT, status=True))
    assert sum(len(g["instances"]) for g in few["groups"]) == 3
    aws.autoscaling.set_desired_capacity(AutoScalingGroupName=DEPLOYMENT + "-edge", DesiredCapacity=8)
    aws.autoscaling.update_auto_scaling_group(AutoScalingGroupName=DEPLOYMENT + "-origin", DesiredCapacity=2)
    many = run_module("aws_deployment_info", dict(deployment=DEPLOYMENT, status=True))
    assert sum(len(g["instances"]) for g in many["groups"]) == 10
    assert many["api_calls"] == few["api_calls"]
    assert sum(few["api_calls"].values()) <= 12, few["api_calls"]
    print("aws_deployment_info status=true calls, 3 and 10 instances:", few["api_calls"])
