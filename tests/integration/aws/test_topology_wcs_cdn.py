"""WCS CDN topology (seed 000) against moto: deploy, no-op re-run, update, plan, teardown.

In a region given only by AWS_DEFAULT_REGION (issue 16: the roles never pick one; the modules
take it as the AWS CLI does): the same deploy, re-run and teardown show where it lands
(test_topology_day2.py's region test made three runs of its own for that, issue 20).
"""
import base64
import time

from shared_deployments import stock_image_id
from topology_runner import changed_tasks, leftovers, run_topology

DEPLOYMENT = "wcs-cdn-test"
ZONE = "cdn.example.test"
REGION = "eu-west-1"
HOOK = "streamfleet-drain"


def _vars(image_id, **extra):
    values = {
        "wcs_cdn_aws_deployment": DEPLOYMENT,
        "wcs_cdn_aws_image_id": image_id,
        "wcs_cdn_aws_instance_type": "t3.micro",
        "wcs_cdn_aws_zone": ZONE,
        # issue 17: HTTPS is mandatory - an ACM certificate for the balancer's name, validated in the zone
        "wcs_cdn_aws_domain": "cdn." + ZONE,
        "wcs_cdn_aws_admin_cidrs": ["198.51.100.0/24"],
        "wcs_cdn_aws_wait_timeout": 120,
        # moto's classic DescribeLoadBalancers has no CanonicalHostedZoneNameID, which an alias
        # record needs (aws_dns fails on it); the CNAME form works on both.
        "wcs_cdn_aws_balancer_record_type": "cname",
        # issue 17: user tags on every object
        "wcs_cdn_aws_tags": {"team": "video"},
    }
    values.update(extra)
    return values


def _records(aws, zone_id):
    sets = aws.route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return {(r["Name"], r["Type"]): r for r in sets if r["Type"] not in ("NS", "SOA")}


def test_wcs_cdn_lifecycle(playbook, aws, monkeypatch):
    started = time.monotonic()
    # No region option, no AWS_REGION: the modules take AWS_DEFAULT_REGION.
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    us_east, aws = aws, aws.in_region(REGION)
    base_image_id = stock_image_id(aws)
    zone_id = aws.route53.create_hosted_zone(Name=ZONE, CallerReference="wcs-cdn")["HostedZone"]["Id"]

    # plan on a fresh account: reports what it would build, creates nothing
    stats, results = run_topology(playbook, "wcs_cdn_aws.yml", _vars(base_image_id), check=True, diff=True)
    assert stats["changed"] >= 1
    assert any("Plan only" in r["task"] for r in results if not r.get("skipped"))
    assert aws.tagged(DEPLOYMENT) == []

    # deploy
    stats, results = run_topology(playbook, "wcs_cdn_aws.yml", _vars(base_image_id))
    # in the region AWS_DEFAULT_REGION names, its subnets in that region's zones, nothing elsewhere
    outputs = [r for r in results if r["task"] == "Show what was built"][0]["wcs_cdn_aws_outputs"]
    assert outputs["region"] == REGION
    subnets = aws.ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [outputs["vpc_id"]]}])["Subnets"]
    assert sorted(s["AvailabilityZone"] for s in subnets) == [REGION + "a", REGION + "b"]
    assert us_east.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"] == []
    hooks = aws.autoscaling.describe_lifecycle_hooks(AutoScalingGroupName="wcs-edge")["LifecycleHooks"]
    assert [h["LifecycleHookName"] for h in hooks] == [HOOK]
    lb = aws.elb.describe_load_balancers(LoadBalancerNames=["wcs-edge"])["LoadBalancerDescriptions"][0]
    assert lb["HealthCheck"]["Target"] == "HTTP:8081/?action=stat"
    assert sorted((l["Listener"]["LoadBalancerPort"], l["Listener"]["Protocol"]) for l in lb["ListenerDescriptions"]) == [
        (8080, "TCP"), (8443, "SSL")]
    secure = [l["Listener"] for l in lb["ListenerDescriptions"] if l["Listener"]["LoadBalancerPort"] == 8443][0]
    assert secure["InstancePort"] == 8080  # TCP to 8080 (moto reports the front protocol as InstanceProtocol)
    certificate = aws.acm.describe_certificate(CertificateArn=secure["SSLCertificateId"])["Certificate"]
    assert (certificate["DomainName"], certificate["Status"]) == ("cdn." + ZONE, "ISSUED")
    attrs = aws.elb.describe_load_balancer_attributes(LoadBalancerName="wcs-edge")["LoadBalancerAttributes"]
    assert attrs["CrossZoneLoadBalancing"]["Enabled"] is True
    assert attrs["ConnectionSettings"]["IdleTimeout"] == 60
    group = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["wcs-edge"])["AutoScalingGroups"][0]
    assert (group["MinSize"], group["MaxSize"], group["HealthCheckType"]) == (1, 3, "ELB")
    assert group["AvailabilityZones"][0].startswith(REGION)
    assert group["LoadBalancerNames"] == ["wcs-edge"]
    assert len(group["Instances"]) == 1
    policies = aws.autoscaling.describe_policies(AutoScalingGroupName="wcs-edge")["ScalingPolicies"]
    assert [p["PolicyType"] for p in policies] == ["TargetTrackingScaling"]
    assert policies[0]["TargetTrackingConfiguration"]["TargetValue"] == 80

    origin = aws.ec2.describe_instances(Filters=[
        {"Name": "tag:Name", "Values": ["wcs-origin"]},
        {"Name": "instance-state-name", "Values": ["running"]}])["Reservations"][0]["Instances"][0]
    template = aws.ec2.describe_launch_template_versions(LaunchTemplateName="wcs-edge", Versions=["$Default"])
    edge_user_data = base64.b64decode(template["LaunchTemplateVersions"][0]["LaunchTemplateData"]["UserData"]).decode()
    assert "CDN_ROLE=edge" in edge_user_data
    assert "CDN_POINT_OF_ENTRY=%s" % origin["PrivateIpAddress"] in edge_user_data
    assert "iptables" not in edge_user_data
    # issue 17: 1-minute metrics for the 60 s alarm, IMDSv2, user tags on the group and the origin
    edge_data = template["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert edge_data["Monitoring"] == {"Enabled": True}
    assert edge_data["MetadataOptions"]["HttpTokens"] == "required"
    assert {"Key": "team", "Value": "video"} in [dict(Key=t["Key"], Value=t["Value"]) for t in group["Tags"]]
    assert {"Key": "team", "Value": "video"} in origin["Tags"]

    groups = {g["GroupName"]: g for g in aws.ec2.describe_security_groups(Filters=[
        {"Name": "tag:streamfleet:deployment", "Values": [DEPLOYMENT]}])["SecurityGroups"]}
    nodes = groups["wcs-nodes"]["IpPermissions"]
    cdn = [p for p in nodes if p.get("FromPort") == 8084]
    assert cdn and not cdn[0]["IpRanges"] and cdn[0]["UserIdGroupPairs"][0]["GroupId"] == groups["wcs-nodes"]["GroupId"]
    admin = [p for p in nodes if p.get("FromPort") == 8081]
    assert [r["CidrIp"] for p in admin for r in p["IpRanges"]] == ["198.51.100.0/24"]
    media = [p for p in nodes if p.get("IpProtocol") == "udp"][0]
    assert (media["FromPort"], media["ToPort"]) == (31001, 32000)
    # issue 17: RTMP publishing and TCP media straight to the nodes
    tcp = {(p["FromPort"], p["ToPort"]) for p in nodes if p.get("IpProtocol") == "tcp"}
    assert {(1935, 1935), (31001, 32000)} <= tcp

    records = _records(aws, zone_id)
    assert records[("origin.%s." % ZONE, "A")]["ResourceRecords"][0]["Value"] == origin["PublicIpAddress"]
    assert records[("cdn.%s." % ZONE, "CNAME")]["ResourceRecords"][0]["Value"].rstrip(".") == lb["DNSName"]

    # re-run: nothing changes
    stats, results = run_topology(playbook, "wcs_cdn_aws.yml", _vars(base_image_id))
    assert changed_tasks(results) == [] and stats["changed"] == 0, changed_tasks(results)
    # issue 20: the region, partition and account come with the network task, at no extra call
    # on a re-run (no zone or caller-identity task of the role's own)
    network = [r for r in results if r["task"].endswith("Network, subnets and security groups")]
    assert len(network) == 1 and network[0]["account_id"] and network[0]["partition"] == "aws"
    assert not [op for op in network[0]["api_calls"]
                if op.startswith("sts.") or op == "ec2.DescribeAvailabilityZones"], network[0]["api_calls"]

    # update: group size, idle timeout, and the seed's simple policy instead of target
    # tracking; check mode plans them first
    # issue 17 in the same runs: an SNS topic for the alarm and the group's events (the AWS
    # stand-in's notification configurations), a scheduled action, spot edges above one on-demand
    updated = _vars(base_image_id, wcs_cdn_aws_edge_max=4, wcs_cdn_aws_idle_timeout=120,
                    wcs_cdn_aws_scaling_policy="simple", wcs_cdn_aws_balancer_admin_listeners=True,
                    wcs_cdn_aws_notification_topic="wcs-scaling",
                    wcs_cdn_aws_edge_scheduled_actions=[{"name": "evening", "recurrence": "0 18 * * *", "min_size": 2}],
                    wcs_cdn_aws_edge_mixed_instances_policy={
                        "instance_types": [{"type": "t3.micro"}, {"type": "t3a.micro"}],
                        "on_demand_base_capacity": 1, "on_demand_percentage_above_base": 0})
    stats, results = run_topology(playbook, "wcs_cdn_aws.yml", updated, check=True, diff=True)
    assert set(changed_tasks(results)) == {"Classic load balancer of the edges", "Edge Auto Scaling group behind the balancer",
                                           "SNS topic for the edge group's events and alarm",
                                           "Network, subnets and security groups"}
    group = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["wcs-edge"])["AutoScalingGroups"][0]
    assert group["MaxSize"] == 3
    stats, results = run_topology(playbook, "wcs_cdn_aws.yml", updated)
    assert set(changed_tasks(results)) == {"Classic load balancer of the edges", "Edge Auto Scaling group behind the balancer",
                                           "SNS topic for the edge group's events and alarm",
                                           "Network, subnets and security groups"}
    group = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["wcs-edge"])["AutoScalingGroups"][0]
    assert group["MaxSize"] == 4
    attrs = aws.elb.describe_load_balancer_attributes(LoadBalancerName="wcs-edge")["LoadBalancerAttributes"]
    assert attrs["ConnectionSettings"]["IdleTimeout"] == 120
    # the admin listeners: 8081 HTTP and 8444 HTTPS (the 8443 certificate) to the edges' 8081
    lb = aws.elb.describe_load_balancers(LoadBalancerNames=["wcs-edge"])["LoadBalancerDescriptions"][0]
    ports = dict((d["Listener"]["LoadBalancerPort"], d["Listener"]) for d in lb["ListenerDescriptions"])
    assert sorted((port, front["Protocol"], front["InstancePort"]) for port, front in ports.items()) == [
        (8080, "TCP", 8080), (8081, "HTTP", 8081), (8443, "SSL", 8080), (8444, "HTTPS", 8081)]
    assert ports[8444]["SSLCertificateId"] == ports[8443]["SSLCertificateId"]
    policies = aws.autoscaling.describe_policies(AutoScalingGroupName="wcs-edge")["ScalingPolicies"]
    assert [(p["PolicyName"], p["PolicyType"], p["ScalingAdjustment"], p["Cooldown"]) for p in policies] == [
        ("scale-out", "SimpleScaling", 1, 300)]
    alarm = aws.cloudwatch.describe_alarms(AlarmNames=["wcs-edge-scale-out"])["MetricAlarms"][0]
    assert (alarm["ComparisonOperator"], alarm["Threshold"], alarm["Period"], alarm["EvaluationPeriods"]) == (
        "GreaterThanOrEqualToThreshold", 80.0, 60, 1)
    topic = [t["TopicArn"] for t in aws.sns.list_topics()["Topics"] if t["TopicArn"].endswith(":wcs-scaling")][0]
    assert topic in alarm["AlarmActions"]
    configured = aws.autoscaling.describe_notification_configurations(AutoScalingGroupNames=["wcs-edge"])
    assert sorted((c["TopicARN"], c["NotificationType"]) for c in configured["NotificationConfigurations"]) == [
        (topic, "autoscaling:" + kind) for kind in ("EC2_INSTANCE_LAUNCH", "EC2_INSTANCE_LAUNCH_ERROR",
                                                    "EC2_INSTANCE_TERMINATE", "EC2_INSTANCE_TERMINATE_ERROR")]
    actions = aws.autoscaling.describe_scheduled_actions(AutoScalingGroupName="wcs-edge")["ScheduledUpdateGroupActions"]
    assert [(a["ScheduledActionName"], a["MinSize"]) for a in actions] == [("streamfleet-evening", 2)]
    group = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["wcs-edge"])["AutoScalingGroups"][0]
    assert group["MixedInstancesPolicy"]["InstancesDistribution"]["OnDemandBaseCapacity"] == 1
    stats, results = run_topology(playbook, "wcs_cdn_aws.yml", updated)
    assert changed_tasks(results) == [], changed_tasks(results)

    # teardown leaves nothing of the deployment
    run_topology(playbook, "wcs_cdn_aws.yml", _vars(base_image_id, wcs_cdn_aws_state="absent",
                                                    wcs_cdn_aws_notification_topic="wcs-scaling"))
    assert leftovers(aws, DEPLOYMENT) == []
    assert aws.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"] == []
    assert aws.elb.describe_load_balancers()["LoadBalancerDescriptions"] == []
    assert aws.sns.list_topics()["Topics"] == []
    assert aws.autoscaling.describe_notification_configurations()["NotificationConfigurations"] == []
    assert _records(aws, zone_id) == {}
    print("wcs cdn lifecycle: %.0fs" % (time.monotonic() - started))
