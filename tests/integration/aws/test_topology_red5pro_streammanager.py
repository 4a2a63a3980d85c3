"""Red5 Pro Stream Manager topology (seeds 001/003) against moto: deploy, no-op re-run,
update, plan, teardown."""
import base64
import json
import subprocess
import sys
import time
from pathlib import Path

from topology_runner import REPO, changed_tasks, leftovers, run_topology

DEPLOYMENT = "red5-sm-test"
ZONE = "red5.example.test"
DOMAIN = "sm." + ZONE
PLAYBOOK = "red5pro_streammanager_aws.yml"


def _vars(image_id, certificate_arn="", **extra):
    values = {
        "red5pro_streammanager_aws_certificate_arn": certificate_arn,
        "red5pro_streammanager_aws_deployment": DEPLOYMENT,
        "red5pro_streammanager_aws_image_id": image_id,
        "red5pro_streammanager_aws_instance_type": "t3.micro",
        "red5pro_streammanager_aws_domain": DOMAIN,
        "red5pro_streammanager_aws_zone": ZONE,
        "red5pro_streammanager_aws_db_host": "sm-db.abc.us-east-1.rds.amazonaws.com",
        "red5pro_streammanager_aws_wait_timeout": 120,
    }
    values.update(extra)
    return values


def _rds_instance(aws):
    """The user's MySQL on RDS, in a VPC of its own with its own security group."""
    ec2 = aws.ec2
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.77.%d.0/24" % i, AvailabilityZone="us-east-1" + z)["Subnet"]["SubnetId"]
               for i, z in ((1, "a"), (2, "b"))]
    own = ec2.create_security_group(GroupName="db-own", Description="the database's own group", VpcId=vpc)["GroupId"]
    aws.rds.create_db_subnet_group(DBSubnetGroupName="sm-db", DBSubnetGroupDescription="sm db", SubnetIds=subnets)
    aws.rds.create_db_instance(DBInstanceIdentifier="sm-db", DBInstanceClass="db.t3.micro", Engine="mysql",
                               MasterUsername="admin", MasterUserPassword="not-a-secret-1", AllocatedStorage=20,
                               DBSubnetGroupName="sm-db", VpcSecurityGroupIds=[own])
    return own


def _rds_groups(aws):
    return sorted(g["VpcSecurityGroupId"] for g in
                  aws.rds.describe_db_instances(DBInstanceIdentifier="sm-db")["DBInstances"][0]["VpcSecurityGroups"])


def _elastic_ips(aws):
    return aws.ec2.describe_addresses(Filters=[{"Name": "tag:streamfleet:deployment", "Values": [DEPLOYMENT]}])["Addresses"]


def test_red5pro_streammanager_lifecycle(playbook, aws, base_image_id):
    started = time.monotonic()
    zone_id = aws.route53.create_hosted_zone(Name=ZONE, CallerReference="red5")["HostedZone"]["Id"]
    db_own_group = _rds_instance(aws)
    # A certificate requested outside the deployment: moto never clears a certificate's InUseBy
    # when its listener is deleted, so aws_dns refuses to delete a certificate the topology
    # requested itself (domain + zone) at teardown. The request path is planned below.
    certificate_arn = aws.acm.request_certificate(DomainName=DOMAIN, ValidationMethod="DNS")["CertificateArn"]

    # plan on a fresh account: creates nothing
    stats, results = run_topology(playbook, PLAYBOOK, _vars(base_image_id), check=True, diff=True)
    assert stats["changed"] >= 1
    assert any("Plan only" in r["task"] for r in results if not r.get("skipped"))
    assert aws.tagged(DEPLOYMENT) == []

    # deploy: seed 003's two Stream Managers (min 2 by default; max 2 here: two addresses)
    values = _vars(base_image_id, certificate_arn, red5pro_streammanager_aws_max=2,
                   red5pro_streammanager_aws_db_instance_identifier="sm-db",
                   red5pro_streammanager_aws_notification_topic="red5pro-scaling")
    run_topology(playbook, PLAYBOOK, values)
    elbv2 = aws.elbv2
    lb = elbv2.describe_load_balancers(Names=["streammanager"])["LoadBalancers"][0]
    listeners = {l["Port"]: l for l in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]}
    assert sorted(listeners) == [80, 443, 5080]
    assert listeners[5080]["Protocol"] == "HTTP" and listeners[443]["Protocol"] == "HTTPS"
    redirect = listeners[80]["DefaultActions"][0]
    assert redirect["Type"] == "redirect" and redirect["RedirectConfig"]["Port"] == "443"
    assert listeners[443]["Certificates"][0]["CertificateArn"] == certificate_arn
    tg = elbv2.describe_target_groups(Names=["streammanager-5080"])["TargetGroups"][0]
    assert (tg["Protocol"], tg["Port"], tg["HealthCheckPath"]) == ("HTTP", 5080, "/")

    group = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["streammanager"])["AutoScalingGroups"][0]
    assert (group["MinSize"], group["MaxSize"], group["HealthCheckType"], group["HealthCheckGracePeriod"]) == (2, 2, "ELB", 300)
    assert len(group["Instances"]) == 2
    subnet_zones = {s["SubnetId"]: s["AvailabilityZone"] for s in aws.ec2.describe_subnets(
        SubnetIds=group["VPCZoneIdentifier"].split(","))["Subnets"]}
    assert len(set(subnet_zones.values())) == 2  # different zones
    # one reserved Elastic IP per Stream Manager, tagged by index; the profile may associate only those
    addresses = sorted(_elastic_ips(aws), key=lambda a: a["AllocationId"])
    assert len(addresses) == 2
    assert sorted(dict((t["Key"], t["Value"]) for t in a["Tags"])["streamfleet:index"] for a in addresses) == ["0", "1"]
    profile = DEPLOYMENT + "-streammanager-drain"
    policy = aws.iam.get_role_policy(RoleName=profile, PolicyName="streamfleet-elastic-ip")["PolicyDocument"]
    statements = {st["Sid"]: st for st in policy["Statement"]}
    assert sorted(r.rsplit("/", 1)[1] for r in statements["AssociateOnlyReservedAddresses"]["Resource"]) == [
        a["AllocationId"] for a in addresses]
    assert statements["AssociateWithOwnGroupsInstancesOnly"]["Condition"] == {
        "StringEquals": {"ec2:ResourceTag/aws:autoscaling:groupName": "streammanager"}}
    assert group["NewInstancesProtectedFromScaleIn"] is True
    assert group["TargetGroupARNs"] == [tg["TargetGroupArn"]]
    policies = {p["PolicyName"]: p for p in aws.autoscaling.describe_policies(AutoScalingGroupName="streammanager")["ScalingPolicies"]}
    assert sorted(policies) == ["scale-out"]  # WebRTC: no scale-in policy
    assert (policies["scale-out"]["ScalingAdjustment"], policies["scale-out"]["Cooldown"]) == (1, 300)
    alarm = aws.cloudwatch.describe_alarms(AlarmNames=["streammanager-scale-out"])["MetricAlarms"][0]
    assert (alarm["ComparisonOperator"], alarm["Threshold"], alarm["Period"], alarm["EvaluationPeriods"]) == (
        "GreaterThanOrEqualToThreshold", 70.0, 60, 2)
    # issue 17: the alarm's actions and the group's launch/terminate events go to the topic
    # (the AWS stand-in's notification configurations); 1-minute metrics for the 60 s alarm
    topic = [t["TopicArn"] for t in aws.sns.list_topics()["Topics"] if t["TopicArn"].endswith(":red5pro-scaling")][0]
    assert alarm["AlarmActions"] == [policies["scale-out"]["PolicyARN"], topic]
    configured = aws.autoscaling.describe_notification_configurations(AutoScalingGroupNames=["streammanager"])
    assert sorted((c["TopicARN"], c["NotificationType"]) for c in configured["NotificationConfigurations"]) == [
        (topic, "autoscaling:" + kind) for kind in ("EC2_INSTANCE_LAUNCH", "EC2_INSTANCE_LAUNCH_ERROR",
                                                    "EC2_INSTANCE_TERMINATE", "EC2_INSTANCE_TERMINATE_ERROR")]

    template = aws.ec2.describe_launch_template_versions(LaunchTemplateName="streammanager", Versions=["$Default"])
    data = template["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert data["Monitoring"] == {"Enabled": True}
    user_data = base64.b64decode(data["UserData"]).decode()
    assert "streammanager.ip" in user_data and "urandom" not in user_data
    assert "elastic-ip --deployment %s" % DEPLOYMENT in user_data and "--set streammanager" in user_data
    assert data["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] == 16

    groups = {g["GroupName"]: g for g in aws.ec2.describe_security_groups(Filters=[
        {"Name": "tag:streamfleet:deployment", "Values": [DEPLOYMENT]}])["SecurityGroups"]}
    db = groups["streammanager-database"]["IpPermissions"]
    assert [(p["FromPort"], p["UserIdGroupPairs"][0]["GroupId"], p["IpRanges"]) for p in db] == [
        (3306, groups["streammanager-instances"]["GroupId"], [])]
    # the database group is on the user's RDS instance, next to its own group
    assert _rds_groups(aws) == sorted([db_own_group, groups["streammanager-database"]["GroupId"]])
    sm = groups["streammanager-instances"]["IpPermissions"]
    assert [(p["FromPort"], p["UserIdGroupPairs"][0]["GroupId"]) for p in sm] == [
        (5080, groups["streammanager-balancer"]["GroupId"])]

    records = {(r["Name"], r["Type"]): r for r in
               aws.route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]}
    assert records[(DOMAIN + ".", "A")]["AliasTarget"]["DNSName"].rstrip(".").lower() == lb["DNSName"].lower()

    # re-run: nothing changes, nothing allocated
    stats, results = run_topology(playbook, PLAYBOOK, values)
    changed = [(r["task"], r.get("changes")) for r in results if r.get("changed")]
    assert changed_tasks(results) == [] and stats["changed"] == 0, changed
    assert sorted(a["AllocationId"] for a in _elastic_ips(aws)) == [a["AllocationId"] for a in addresses]
    eip_task = [r for r in results if r["task"].endswith("found by tag before allocating")][0]
    assert eip_task["api_calls"] == {"ec2.DescribeAddresses": 1}

    # update: more Stream Managers, no WebRTC and the optional scale-in policy; plan first
    updated = dict(values, red5pro_streammanager_aws_max=5, red5pro_streammanager_aws_webrtc=False,
                   red5pro_streammanager_aws_scale_in=True, red5pro_streammanager_aws_elastic_ip_count=2)
    stats, results = run_topology(playbook, PLAYBOOK, updated, check=True, diff=True)
    assert changed_tasks(results) == ["Stream Manager Auto Scaling group with CPU alarms"]
    assert len(aws.autoscaling.describe_policies(AutoScalingGroupName="streammanager")["ScalingPolicies"]) == 1
    stats, results = run_topology(playbook, PLAYBOOK, updated)
    assert changed_tasks(results) == ["Stream Manager Auto Scaling group with CPU alarms"]
    group = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["streammanager"])["AutoScalingGroups"][0]
    assert group["MaxSize"] == 5 and group["NewInstancesProtectedFromScaleIn"] is False
    alarm = aws.cloudwatch.describe_alarms(AlarmNames=["streammanager-scale-in"])["MetricAlarms"][0]
    assert (alarm["ComparisonOperator"], alarm["Threshold"], alarm["Period"], alarm["EvaluationPeriods"]) == (
        "LessThanOrEqualToThreshold", 30.0, 900, 2)

    # the documented stop: min/desired 0 and no Stream Manager left running, protected or not
    group = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["streammanager"])["AutoScalingGroups"][0]
    assert group["Instances"] and all(i["ProtectedFromScaleIn"] for i in group["Instances"])
    run_topology(playbook, PLAYBOOK, dict(values, red5pro_streammanager_aws_state="stopped"))
    group = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["streammanager"])["AutoScalingGroups"][0]
    assert (group["MinSize"], group["DesiredCapacity"]) == (0, 0)
    stopped = [i["InstanceId"] for i in group["Instances"]]
    live = [i for r in aws.ec2.describe_instances(Filters=[{"Name": "tag:aws:autoscaling:groupName", "Values": ["streammanager"]}])[
        "Reservations"] for i in r["Instances"] if i["State"]["Name"] not in ("terminated", "shutting-down")]
    assert stopped == [] and live == [], (stopped, live)

    # teardown leaves nothing of the deployment
    run_topology(playbook, PLAYBOOK, dict(values, red5pro_streammanager_aws_state="absent"))
    assert leftovers(aws, DEPLOYMENT) == []
    assert _elastic_ips(aws) == [] and _rds_groups(aws) == [db_own_group]
    assert aws.sns.list_topics()["Topics"] == []
    assert aws.autoscaling.describe_notification_configurations()["NotificationConfigurations"] == []
    records = aws.route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    assert [r["Type"] for r in records if r["Name"] == DOMAIN + "."] == []
    print("red5pro streammanager lifecycle: %.0fs" % (time.monotonic() - started))


def test_red5pro_streammanager_refuses_scale_in_with_webrtc(playbook, aws, base_image_id):
    """Scale-in with WebRTC is refused before anything is created (seed 001's warning)."""
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,",
           str(REPO / "playbooks" / PLAYBOOK), "-e",
           json.dumps(_vars(base_image_id, red5pro_streammanager_aws_scale_in=True))]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=playbook.env(),
                          cwd=playbook.tmp_path, check=False)
    assert proc.returncode != 0
    assert "drops the WebRTC clients" in proc.stdout
    assert aws.tagged(DEPLOYMENT) == []


def test_red5pro_streammanager_with_node_group(playbook, aws, base_image_id):
    """configure_nodegroup: the node group is created through the Stream Manager URL once the
    group is up, and removed first at teardown (simulator from tests/standins)."""
    sys.path.insert(0, str(REPO / "tests" / "standins"))
    from streammanager_sim import StreamManagerSim

    sim = StreamManagerSim("sim-token-topology").start()
    try:
        env = {"RED5PRO_SM_ACCESS_TOKEN": "sim-token-topology"}
        # HTTPS turned off explicitly (issue 17: otherwise mandatory): the simulator answers HTTP
        values = _vars(base_image_id, red5pro_streammanager_aws_domain="", red5pro_streammanager_aws_zone="",
                       red5pro_streammanager_aws_https=False,
                       red5pro_streammanager_aws_configure_nodegroup=True,
                       red5pro_streammanager_aws_nodegroup_base_url=sim.url,
                       red5pro_nodegroup_regions=["us-east-1"],
                       red5pro_nodegroup_launch_config_image="red5pro-node-image",
                       red5pro_nodegroup_retry_delay=0.01, red5pro_nodegroup_readiness_delay=0,
                       red5pro_nodegroup_wait_delay=0)
        run_topology(playbook, PLAYBOOK, values, env=env)
        state = sim.state.snapshot()
        assert list(state["groups"]) == ["nodegroup-1"]
        assert "default-v3" in state["policies"] and "all-nodes-launch" in state["launchconfigs"]

        run_topology(playbook, PLAYBOOK, dict(values, red5pro_streammanager_aws_state="absent"), env=env)
        state = sim.state.snapshot()
        assert state["groups"] == {} and state["policies"] == {} and state["launchconfigs"] == {}
        assert leftovers(aws, DEPLOYMENT) == []
    finally:
        sim.stop()


def test_red5pro_cluster_chain(playbook, aws, base_image_id, instance_id):
    """playbooks/red5pro_cluster_aws.yml: Stream Managers -> URL -> newest node image of the
    family (by tag, as bake_image.yml tags it) -> launch configuration with that image and the
    seed's transcoder -> node group (simulator from tests/standins)."""
    sys.path.insert(0, str(REPO / "tests" / "standins"))
    from streammanager_sim import StreamManagerSim

    tags = [{"Key": "streamfleet:deployment", "Value": DEPLOYMENT}, {"Key": "streamfleet:role", "Value": "red5pro-node"}]
    for name in ("red5-node-old", "red5-node-new"):
        aws.ec2.create_image(InstanceId=instance_id, Name=name,
                             TagSpecifications=[{"ResourceType": "image", "Tags": tags}])
        time.sleep(1)  # creation dates one second apart: "newest" is well defined
    sim = StreamManagerSim("sim-token-chain").start()
    try:
        env = {"RED5PRO_SM_ACCESS_TOKEN": "sim-token-chain"}
        values = _vars(base_image_id, red5pro_streammanager_aws_domain="", red5pro_streammanager_aws_zone="",
                       red5pro_streammanager_aws_https=False, red5pro_streammanager_aws_elastic_ips=False,
                       red5pro_streammanager_aws_nodegroup_base_url=sim.url,
                       red5pro_nodegroup_regions=["us-east-1"],
                       red5pro_nodegroup_retry_delay=0.01, red5pro_nodegroup_readiness_delay=0,
                       red5pro_nodegroup_wait_delay=0)
        run_topology(playbook, "red5pro_cluster_aws.yml", values, env=env)
        state = sim.state.snapshot()
        assert list(state["groups"]) == ["nodegroup-1"]
        launch = json.dumps(state["launchconfigs"]["all-nodes-launch"])
        assert "red5-node-new" in launch and "red5-node-old" not in launch
        assert "transcoder" in launch and "c5.xlarge" in launch
        assert "transcoder" in json.dumps(state["policies"]["default-v3"])

        run_topology(playbook, "red5pro_cluster_aws.yml", dict(values, red5pro_streammanager_aws_state="absent"), env=env)
        state = sim.state.snapshot()
        assert state["groups"] == {} and state["launchconfigs"] == {}
    finally:
        sim.stop()
