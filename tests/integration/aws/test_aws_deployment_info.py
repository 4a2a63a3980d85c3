"""aws_deployment_info against moto: finds what carries the deployment tag, nothing else."""
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
        "resourcegroupstaggingapi.GetResources": 1,
    }

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
