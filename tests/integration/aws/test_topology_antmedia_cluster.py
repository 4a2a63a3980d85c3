"""The Ant Media cluster topology (seed 002) end to end against moto.

plan on nothing -> deploy -> re-run with 0 changed -> update a setting -> tear down to nothing.
"""
import pytest

from lib.antmedia_console import RunningConsole

DEPLOYMENT = "ams-topology"
PASSWORD = "cluster/pass@word"
ADMIN_PASSWORD = "panel:pass&word-9"


@pytest.fixture
def console(tmp_path):
    """The Ant Media stand-in's console on 127.0.0.1, in place of the balancer moto cannot serve."""
    running = RunningConsole(tmp_path)
    yield running
    running.stop()


ZONE = "ams-zone.example.test"


@pytest.fixture
def zone_id(aws):
    """The Route 53 zone of the cluster's names (the sandbox creates its zone the same way)."""
    return aws.route53.create_hosted_zone(Name=ZONE, CallerReference="ams-topology")["HostedZone"]["Id"]


@pytest.fixture
def role_vars(base_image_id, zone_id):
    return dict(
        antmedia_cluster_aws_domain="live." + ZONE,
        antmedia_cluster_aws_zone=ZONE,
        antmedia_cluster_aws_ingest_domain="rtmp." + ZONE,
        antmedia_cluster_aws_deployment=DEPLOYMENT,
        antmedia_cluster_aws_image_id=base_image_id,
        antmedia_cluster_aws_mongodb_image_id=base_image_id,
        antmedia_cluster_aws_mongodb_password=PASSWORD,
        antmedia_cluster_aws_add_hosts=False,
        antmedia_cluster_aws_wait_timeout=120,
    )


def run_role(playbook, role_vars, check=False, **overrides):
    task = {"name": "topology", "ansible.builtin.include_role": {"name": "streamfleet.cluster.antmedia_cluster_aws"}}
    playbook.run([task], check=check, diff=True, extra_vars=dict(role_vars, **overrides))
    return playbook.stats


def test_antmedia_cluster_lifecycle(playbook, aws, role_vars, console, zone_id):
    # The first administrator is claimed through the console address (the balancer's, here the
    # stand-in's): once on the first deploy, nothing sent or changed on the re-run.
    role_vars = dict(role_vars, antmedia_cluster_aws_admin_email="admin@example.com",
                     antmedia_cluster_aws_admin_password=ADMIN_PASSWORD,
                     antmedia_cluster_aws_admin_url=console.url,
                     antmedia_cluster_aws_notification_topic="antmedia-scaling")
    stats = run_role(playbook, role_vars, check=True)
    assert stats["failures"] == 0
    assert aws.tagged(DEPLOYMENT) == []

    stats = run_role(playbook, role_vars)
    assert stats["changed"] > 0
    assert PASSWORD not in playbook.last_output
    assert ADMIN_PASSWORD not in playbook.last_output
    assert [(user["email"], user["userType"]) for user in console.users()] == [("admin@example.com", "ADMIN")]

    groups = {g["AutoScalingGroupName"]: g for g in aws.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]}
    assert (groups["antmedia-origin"]["MinSize"], groups["antmedia-origin"]["MaxSize"]) == (1, 10)
    assert (groups["antmedia-edge"]["MinSize"], groups["antmedia-edge"]["MaxSize"]) == (2, 10)
    assert len(groups["antmedia-edge"]["Instances"]) == 2
    assert all(g["HealthCheckType"] == "ELB" and g["NewInstancesProtectedFromScaleIn"] for g in groups.values())
    # issue 17: both groups send their launch/terminate events to the topic (the AWS stand-in's
    # notification configurations); 1-minute metrics in both templates
    topic = [t["TopicArn"] for t in aws.sns.list_topics()["Topics"] if t["TopicArn"].endswith(":antmedia-scaling")][0]
    configured = aws.autoscaling.describe_notification_configurations(AutoScalingGroupNames=list(groups))
    assert sorted((c["AutoScalingGroupName"], c["TopicARN"], c["NotificationType"].split(":")[1])
                  for c in configured["NotificationConfigurations"]) == [
        (group, topic, kind) for group in ("antmedia-edge", "antmedia-origin")
        for kind in ("EC2_INSTANCE_LAUNCH", "EC2_INSTANCE_LAUNCH_ERROR", "EC2_INSTANCE_TERMINATE",
                     "EC2_INSTANCE_TERMINATE_ERROR")]
    for name in groups:
        data = aws.ec2.describe_launch_template_versions(LaunchTemplateName=name, Versions=["$Default"])[
            "LaunchTemplateVersions"][0]["LaunchTemplateData"]
        assert data["Monitoring"] == {"Enabled": True}, name
    balancer = aws.elbv2.describe_load_balancers(Names=["antmedia"])["LoadBalancers"][0]
    listeners = aws.elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    target_groups = {t["TargetGroupArn"]: t["TargetGroupName"] for t in aws.elbv2.describe_target_groups()["TargetGroups"]}
    routes = {l["Port"]: target_groups[l["DefaultActions"][0]["TargetGroupArn"]] for l in listeners}
    assert routes == {80: "antmedia-origin", 443: "antmedia-origin", 5080: "antmedia-edge", 5443: "antmedia-edge"}
    https = {l["Port"]: l for l in listeners if l["Protocol"] == "HTTPS"}
    certificate = aws.acm.describe_certificate(CertificateArn=https[443]["Certificates"][0]["CertificateArn"])
    assert certificate["Certificate"]["DomainName"] == "live." + ZONE
    assert certificate["Certificate"]["Status"] == "ISSUED"
    assert https[443]["SslPolicy"] == https[5443]["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    # the guide's two rules on 443: ?target=origin -> origins (1), ?target=edge -> edges (2)
    rules = {r["Priority"]: r for r in aws.elbv2.describe_rules(ListenerArn=https[443]["ListenerArn"])["Rules"]}
    assert {p: (r["Conditions"][0]["QueryStringConfig"]["Values"], target_groups[r["Actions"][0]["TargetGroupArn"]])
            for p, r in rules.items() if p != "default"} == {
        "1": ([{"Key": "target", "Value": "origin"}], "antmedia-origin"),
        "2": ([{"Key": "target", "Value": "edge"}], "antmedia-edge")}
    # RTMP ingest: network balancer 1935/tcp -> the origin group's TCP 1935 target group
    ingest = aws.elbv2.describe_load_balancers(Names=["antmedia-ingest"])["LoadBalancers"][0]
    assert ingest["Type"] == "network"
    ingest_listeners = aws.elbv2.describe_listeners(LoadBalancerArn=ingest["LoadBalancerArn"])["Listeners"]
    assert [(l["Port"], l["Protocol"], target_groups[l["DefaultActions"][0]["TargetGroupArn"]])
            for l in ingest_listeners] == [(1935, "TCP", "antmedia-rtmp")]
    rtmp_group = aws.elbv2.describe_target_groups(Names=["antmedia-rtmp"])["TargetGroups"][0]
    assert (rtmp_group["Protocol"], rtmp_group["Port"], rtmp_group["HealthCheckProtocol"]) == ("TCP", 1935, "TCP")
    attached = aws.autoscaling.describe_load_balancer_target_groups(AutoScalingGroupName="antmedia-origin")
    assert rtmp_group["TargetGroupArn"] in [t["LoadBalancerTargetGroupARN"] for t in attached["LoadBalancerTargetGroups"]]
    security_groups = {g["GroupName"]: g for g in aws.ec2.describe_security_groups()["SecurityGroups"]}
    ingest_rules = security_groups["antmedia-ingest"]["IpPermissions"]
    assert [(p["IpProtocol"], p["FromPort"]) for p in ingest_rules] == [("tcp", 1935)]
    from_ingest = [p for p in security_groups["antmedia-nodes"]["IpPermissions"] if p.get("FromPort") == 1935]
    assert [g["GroupId"] for g in from_ingest[0]["UserIdGroupPairs"]] == [security_groups["antmedia-ingest"]["GroupId"]]
    records = {(r["Name"], r["Type"]) for r in aws.route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]}
    assert {("live.%s." % ZONE, "A"), ("rtmp.%s." % ZONE, "A")} <= records
    mongo_group = [g for g in aws.ec2.describe_security_groups()["SecurityGroups"] if g["GroupName"] == "antmedia-mongodb"][0]
    assert [p["FromPort"] for p in mongo_group["IpPermissions"]] == [27017]
    assert mongo_group["IpPermissions"][0]["IpRanges"] == []  # never from a CIDR, only the nodes' group

    stats = run_role(playbook, role_vars)
    assert stats["changed"] == 0, playbook.last_output

    stats = run_role(playbook, role_vars, antmedia_cluster_aws_edge_max=6)
    assert stats["changed"] == 1, [line for line in playbook.last_output.splitlines() if line.startswith("changed")]
    edge = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["antmedia-edge"])["AutoScalingGroups"][0]
    assert edge["MaxSize"] == 6

    stats = run_role(playbook, role_vars, antmedia_cluster_aws_state="absent")
    assert stats["changed"] > 0
    assert aws.tagged(DEPLOYMENT) == []
    assert aws.sns.list_topics()["Topics"] == []
    assert aws.autoscaling.describe_notification_configurations()["NotificationConfigurations"] == []
    # the database passwords went with the cluster (moto is reset for each test: nothing else's)
    assert aws.ssm.describe_parameters()["Parameters"] == []
    stats = run_role(playbook, role_vars, antmedia_cluster_aws_state="absent")
    assert stats["changed"] == 0


def test_https_is_mandatory(playbook, aws, role_vars):
    """No certificate and no domain: the role stops before any AWS call, saying how to go on."""
    without = dict(role_vars, antmedia_cluster_aws_domain="", antmedia_cluster_aws_zone="",
                   antmedia_cluster_aws_ingest_domain="")
    task = {"name": "topology", "ansible.builtin.include_role": {"name": "streamfleet.cluster.antmedia_cluster_aws"}}
    playbook.run([task], extra_vars=without, expect_failure=True)
    assert playbook.stats["failures"] == 1
    assert "HTTPS is mandatory" in playbook.last_output
    assert "antmedia_cluster_aws_https: false" in playbook.last_output
    assert aws.tagged(DEPLOYMENT) == []
