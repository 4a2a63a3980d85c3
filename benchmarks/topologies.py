"""The topologies the benchmark compares: how each side runs, what is checked after the first
converge, what may be left after the teardown, and how the groups are sized for the
2-versus-200-instances check. See benchmarks/README.md.
"""
import base64

NAME = "antmedia"


# ---------------------------------------------------------------------------------------------
# What exists in the AWS emulator: checks after the first converge, leftovers after the teardown

def aws_inventory(backends):
    """Every object of the kinds the AWS topologies use, as "kind:id" strings (default VPC excluded)."""
    ec2, elb, asg = backends.client("ec2"), backends.client("elbv2"), backends.client("autoscaling")
    found = set()
    default_vpcs = set(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v.get("IsDefault"))
    found.update("vpc:" + v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v["VpcId"] not in default_vpcs)
    found.update("subnet:" + s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]
                 if s["VpcId"] not in default_vpcs)
    found.update("security-group:" + g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]
                 if g.get("VpcId") not in default_vpcs)
    found.update("route-table:" + t["RouteTableId"] for t in ec2.describe_route_tables()["RouteTables"]
                 if t["VpcId"] not in default_vpcs)
    found.update("internet-gateway:" + g["InternetGatewayId"]
                 for g in ec2.describe_internet_gateways()["InternetGateways"]
                 if not any(a.get("VpcId") in default_vpcs for a in g.get("Attachments", [])))
    for page in ec2.get_paginator("describe_instances").paginate():
        for reservation in page["Reservations"]:
            found.update("instance:" + i["InstanceId"] for i in reservation["Instances"]
                         if i["State"]["Name"] not in ("terminated", "shutting-down"))
    found.update("volume:" + v["VolumeId"] for v in ec2.describe_volumes()["Volumes"])
    found.update("launch-template:" + t["LaunchTemplateName"]
                 for t in ec2.describe_launch_templates()["LaunchTemplates"])
    found.update("load-balancer:" + b["LoadBalancerName"] for b in elb.describe_load_balancers()["LoadBalancers"])
    found.update("classic-load-balancer:" + b["LoadBalancerName"]
                 for b in backends.client("elb").describe_load_balancers()["LoadBalancerDescriptions"])
    found.update("target-group:" + g["TargetGroupName"] for g in elb.describe_target_groups()["TargetGroups"])
    found.update("auto-scaling-group:" + g["AutoScalingGroupName"]
                 for g in asg.describe_auto_scaling_groups()["AutoScalingGroups"])
    found.update("scaling-policy:%s/%s" % (p["AutoScalingGroupName"], p["PolicyName"])
                 for p in asg.describe_policies()["ScalingPolicies"])
    found.update("alarm:" + a["AlarmName"]
                 for a in backends.client("cloudwatch").describe_alarms()["MetricAlarms"])
    return found


def inventory(backends):
    """What exists in every stand-in the run uses."""
    found = set()
    if "aws" in backends.services:
        found |= aws_inventory(backends)
    if "streammanager" in backends.services:
        state = backends.streammanager_state()
        found.update("scale-policy:" + n for n in state["policies"])
        found.update("launch-config:" + n for n in state["launchconfigs"])
        found.update("node-group:" + n for n in state["groups"])
    if "ros" in backends.services:
        found.update("ros-stack:" + s["StackName"] for s in backends.ros_stacks() if not s["deleted"])
    return found


class Checker:
    """Collects the problems found."""

    def __init__(self):
        self.problems = []

    def expect(self, condition, text):
        if not condition:
            self.problems.append(text)


def _group(backends, name):
    groups = backends.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[name])["AutoScalingGroups"]
    return groups[0] if groups else None


def _in_service(group):
    return [i for i in group["Instances"] if i["LifecycleState"] == "InService"]


def _running(backends, name):
    return [i for r in backends.client("ec2").describe_instances(Filters=[
        {"Name": "tag:Name", "Values": [name]},
        {"Name": "instance-state-name", "Values": ["running"]}])["Reservations"] for i in r["Instances"]]


def _vpc_and_groups(backends, check, cidr, group_names):
    ec2 = backends.client("ec2")
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": [cidr]}])["Vpcs"]
    check.expect(len(vpcs) == 1, "one VPC %s (found %d)" % (cidr, len(vpcs)))
    if not vpcs:
        return
    vpc_id = vpcs[0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    check.expect(len(subnets) == 2 and all(s.get("MapPublicIpOnLaunch") for s in subnets), "two public subnets")
    gateways = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])["InternetGateways"]
    check.expect(len(gateways) == 1, "an internet gateway attached to the VPC")
    names = set(g["GroupName"] for g in ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"])
    for name in group_names:
        check.expect(name in names, "security group " + name)


def check_wcs_cdn(backends, settings):
    """WCS CDN (seed 000): origin instance, edge template, classic balancer, edge group 1..3."""
    check = Checker()
    _vpc_and_groups(backends, check, "10.30.0.0/16", ["wcs-balancer", "wcs-nodes"])
    origin = _running(backends, "wcs-origin")
    check.expect(len(origin) == 1, "one running origin wcs-origin (found %d)" % len(origin))
    templates = backends.client("ec2").describe_launch_templates(
        Filters=[{"Name": "launch-template-name", "Values": ["wcs-edge"]}])["LaunchTemplates"]
    check.expect(len(templates) == 1, "launch template wcs-edge")
    if templates and origin:
        data = backends.client("ec2").describe_launch_template_versions(
            LaunchTemplateId=templates[0]["LaunchTemplateId"], Versions=["$Default"],
        )["LaunchTemplateVersions"][0]["LaunchTemplateData"]
        user_data = base64.b64decode(data.get("UserData", "")).decode("utf-8", "replace")
        check.expect(origin[0]["PrivateIpAddress"] in user_data,
                     "edge user data names the origin's private address as point of entry")
    balancers = [b for b in backends.client("elb").describe_load_balancers()["LoadBalancerDescriptions"]
                 if b["LoadBalancerName"] == "wcs-edge"]
    check.expect(len(balancers) == 1, "classic load balancer wcs-edge")
    if balancers:
        ports = sorted(l["Listener"]["LoadBalancerPort"] for l in balancers[0]["ListenerDescriptions"])
        check.expect(ports == [8080, 8443], "balancer listeners 8080 and 8443 (has %s)" % ports)
        check.expect(balancers[0]["HealthCheck"]["Target"] == "HTTP:8081/?action=stat",
                     "balancer health check HTTP:8081/?action=stat")
    group = _group(backends, "wcs-edge")
    check.expect(group is not None, "auto scaling group wcs-edge")
    if group:
        want = settings.get("wcs_edge", (1, 3))
        check.expect((group["MinSize"], group["MaxSize"]) == want, "wcs-edge: min/max %s" % (want,))
        check.expect(len(_in_service(group)) == group["DesiredCapacity"] >= want[0],
                     "wcs-edge: desired instances InService")
        check.expect(group.get("LoadBalancerNames") == ["wcs-edge"], "wcs-edge attached to balancer wcs-edge")
        policies = backends.client("autoscaling").describe_policies(AutoScalingGroupName="wcs-edge")["ScalingPolicies"]
        tracking = [p for p in policies if p["AutoScalingGroupName"] == "wcs-edge"
                    and p["PolicyType"] == "TargetTrackingScaling"]
        check.expect(len(tracking) == 1 and tracking[0]["TargetTrackingConfiguration"]["TargetValue"] == 80.0,
                     "wcs-edge: one CPU 80 % target-tracking policy")
    return check.problems


def check_red5pro(backends, settings):
    """Red5 Pro (seeds 001/003): ALB + target group 5080, group 1..3 with a CPU alarm, node group."""
    check = Checker()
    name = "streammanager"
    _vpc_and_groups(backends, check, "10.40.0.0/16", [name + "-balancer", name + "-instances", name + "-database"])
    elb = backends.client("elbv2")
    balancers = [b for b in elb.describe_load_balancers()["LoadBalancers"] if b["LoadBalancerName"] == name]
    check.expect(len(balancers) == 1, "application load balancer " + name)
    groups = dict((g["TargetGroupName"], g) for g in elb.describe_target_groups()["TargetGroups"])
    target_group = groups.get(name + "-5080")
    check.expect(target_group is not None and target_group["Port"] == 5080, "target group %s-5080" % name)
    if balancers and target_group:
        listeners = elb.describe_listeners(LoadBalancerArn=balancers[0]["LoadBalancerArn"])["Listeners"]
        check.expect([(l["Port"], l["DefaultActions"][0].get("TargetGroupArn")) for l in listeners]
                     == [(5080, target_group["TargetGroupArn"])], "one listener 5080 -> %s-5080" % name)
    group = _group(backends, name)
    check.expect(group is not None, "auto scaling group " + name)
    if group:
        want = settings.get("red5pro", (1, 3))
        check.expect((group["MinSize"], group["MaxSize"]) == want, "%s: min/max %s" % (name, want))
        check.expect(len(_in_service(group)) == group["DesiredCapacity"] >= want[0], name + ": instances InService")
        check.expect(target_group is not None and group.get("TargetGroupARNs") == [target_group["TargetGroupArn"]],
                     name + ": attached to its target group")
    alarms = [a for a in backends.client("cloudwatch").describe_alarms()["MetricAlarms"]
              if a.get("MetricName") == "CPUUtilization"
              and {"Name": "AutoScalingGroupName", "Value": name} in a.get("Dimensions", [])]
    check.expect(len(alarms) == 1 and alarms[0]["Threshold"] == 70.0 and alarms[0]["AlarmActions"],
                 "one CPU >= 70 alarm on the group with a scaling action (found %d)" % len(alarms))
    state = backends.streammanager_state()
    check.expect(list(state["policies"]) == ["default-v3"], "scale policy default-v3 (has %s)" % list(state["policies"]))
    check.expect(list(state["launchconfigs"]) == ["all-nodes-launch"], "launch configuration all-nodes-launch")
    node_group = state["groups"].get("nodegroup-1")
    check.expect(node_group is not None, "node group nodegroup-1")
    if node_group:
        nodes = node_group.get("nodes", [])
        check.expect(sum(1 for n in nodes if n["role"] == "origin") == 1, "node group: one origin")
        check.expect(nodes and all(n["state"] == "inservice" for n in nodes),
                     "node group: every node in service (%s)" % [n["state"] for n in nodes])
    return check.problems


def check_antmedia_alicloud(backends, settings):
    """Alibaba (seed 004): the stack exists and completed."""
    check = Checker()
    live = [s for s in backends.ros_stacks() if not s["deleted"]]
    check.expect(len(live) == 1 and live[0]["StackName"] == "benchmark-alicloud"
                 and live[0]["Status"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"),
                 "one stack benchmark-alicloud, complete (has %s)" % [(s["StackName"], s["Status"]) for s in live])
    return check.problems


def check_antmedia_cluster(backends, settings):
    """Problems with the deployed cluster ([] when it is what both sides should build)."""
    ec2, elb, asg = backends.client("ec2"), backends.client("elbv2"), backends.client("autoscaling")
    problems = []

    def expect(condition, text):
        if not condition:
            problems.append(text)

    vpcs = ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": [settings["vpc_cidr"]]}])["Vpcs"]
    expect(len(vpcs) == 1, "one VPC %s (found %d)" % (settings["vpc_cidr"], len(vpcs)))
    if vpcs:
        vpc_id = vpcs[0]["VpcId"]
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
        expect(sorted(s["CidrBlock"] for s in subnets) == ["10.20.1.0/24", "10.20.2.0/24"],
               "two subnets 10.20.1.0/24, 10.20.2.0/24")
        expect(all(s.get("MapPublicIpOnLaunch") for s in subnets), "public subnets")
        gateways = ec2.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])["InternetGateways"]
        expect(len(gateways) == 1, "an internet gateway attached to the VPC")
        tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
        routed = [t for t in tables if any(r.get("DestinationCidrBlock") == "0.0.0.0/0" and
                                           r.get("GatewayId", "").startswith("igw-") for r in t["Routes"])]
        expect(len(routed) == 1 and len([a for a in routed[0].get("Associations", []) if a.get("SubnetId")]) == 2,
               "a route table with 0.0.0.0/0 -> gateway associated with both subnets")
        groups = dict((g["GroupName"], g) for g in ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"])
        for name in ("balancer", "nodes", "mongodb"):
            expect("%s-%s" % (NAME, name) in groups, "security group %s-%s" % (NAME, name))
        ids = dict((g["GroupId"], n) for n, g in groups.items())

        def rules(name):
            out = set()
            for perm in groups.get("%s-%s" % (NAME, name), {}).get("IpPermissions", []):
                ports = (perm.get("IpProtocol"), perm.get("FromPort"), perm.get("ToPort"))
                out.update(ports + ("cidr", r["CidrIp"]) for r in perm.get("IpRanges", []))
                out.update(ports + ("group", ids.get(p["GroupId"], p["GroupId"])) for p in perm.get("UserIdGroupPairs", []))
            return out

        expect(rules("balancer") == set(("tcp", p, p, "cidr", "0.0.0.0/0") for p in (80, 443, 5080, 5443)),
               "balancer group: 80/443/5080/5443 from 0.0.0.0/0 (has %s)" % sorted(rules("balancer")))
        expect(rules("nodes") == {("tcp", 5080, 5080, "group", NAME + "-balancer"),
                                  ("tcp", 5000, 5000, "group", NAME + "-nodes"),
                                  ("udp", 50000, 60000, "cidr", "0.0.0.0/0")},
               "nodes group: 5080 from balancer, 5000 from itself, UDP 50000-60000 (has %s)" % sorted(rules("nodes")))
        expect(rules("mongodb") == {("tcp", 27017, 27017, "group", NAME + "-nodes")},
               "mongodb group: 27017 from nodes only (has %s)" % sorted(rules("mongodb")))
    running = [i for r in ec2.describe_instances(Filters=[
        {"Name": "tag:Name", "Values": [NAME + "-mongodb"]},
        {"Name": "instance-state-name", "Values": ["running"]}])["Reservations"] for i in r["Instances"]]
    expect(len(running) == 1, "one running MongoDB instance (found %d)" % len(running))
    for role in ("origin", "edge"):
        templates = ec2.describe_launch_templates(
            Filters=[{"Name": "launch-template-name", "Values": ["%s-%s" % (NAME, role)]}])["LaunchTemplates"]
        expect(len(templates) == 1, "launch template %s-%s" % (NAME, role))
        if templates:
            data = ec2.describe_launch_template_versions(
                LaunchTemplateId=templates[0]["LaunchTemplateId"], Versions=["$Default"],
            )["LaunchTemplateVersions"][0]["LaunchTemplateData"]
            user_data = base64.b64decode(data.get("UserData", "")).decode("utf-8", "replace")
            expect("mongodb://" in user_data and (running and running[0]["PrivateIpAddress"] in user_data),
                   "launch template %s-%s: user data with the MongoDB URL" % (NAME, role))
    balancers = elb.describe_load_balancers(Names=[NAME])["LoadBalancers"] if NAME in [
        b["LoadBalancerName"] for b in elb.describe_load_balancers()["LoadBalancers"]] else []
    expect(len(balancers) == 1 and balancers[0]["Type"] == "application", "application load balancer " + NAME)
    target_groups = dict((g["TargetGroupName"], g) for g in elb.describe_target_groups()["TargetGroups"])
    for role in ("origin", "edge"):
        group = target_groups.get("%s-%s" % (NAME, role))
        expect(group is not None, "target group %s-%s" % (NAME, role))
        if group is None:
            continue
        expect((group["Protocol"], group["Port"]) == ("HTTP", 5080), "target group %s: HTTP 5080" % role)
        expect((group.get("HealthCheckPath"), group.get("HealthCheckIntervalSeconds"),
                group.get("HealthCheckTimeoutSeconds"), group.get("HealthyThresholdCount"),
                group.get("UnhealthyThresholdCount")) == (settings["health_check_path"], 30, 5, 3, 5),
               "target group %s: health check %s 30/5/3/5" % (role, settings["health_check_path"]))
        attributes = dict((a["Key"], a["Value"]) for a in elb.describe_target_group_attributes(
            TargetGroupArn=group["TargetGroupArn"])["Attributes"])
        expect(attributes.get("load_balancing.algorithm.type") == "least_outstanding_requests",
               "target group %s: least outstanding requests" % role)
        if role == "origin":
            # moto lists the duration only once it was set; AWS's default is 86400 s
            expect((attributes.get("stickiness.enabled"), attributes.get("stickiness.type"),
                    attributes.get("stickiness.lb_cookie.duration_seconds", "86400")) == ("true", "lb_cookie", "86400"),
                   "origin target group: lb_cookie stickiness 86400 s")
        else:
            expect(attributes.get("stickiness.enabled", "false") == "false", "edge target group: no stickiness")
    if balancers:
        listeners = dict((l["Port"], l) for l in elb.describe_listeners(
            LoadBalancerArn=balancers[0]["LoadBalancerArn"])["Listeners"])
        for port, role in ((80, "origin"), (5080, "edge")):
            listener = listeners.get(port)
            arn = target_groups.get("%s-%s" % (NAME, role), {}).get("TargetGroupArn")
            expect(listener is not None and listener["Protocol"] == "HTTP"
                   and listener["DefaultActions"][0].get("TargetGroupArn") == arn,
                   "listener HTTP %d -> %s" % (port, role))
        expect(sorted(listeners) == [80, 5080], "listeners exactly 80 and 5080 (have %s)" % sorted(listeners))
    for role in ("origin", "edge"):
        name = "%s-%s" % (NAME, role)
        groups = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
        expect(len(groups) == 1, "auto scaling group " + name)
        if not groups:
            continue
        group = groups[0]
        want = (settings[role + "_min"], settings[role + "_max"], settings[role + "_desired"])
        expect((group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == want,
               "%s: min/max/desired %s" % (name, want))
        in_service = [i for i in group["Instances"] if i["LifecycleState"] == "InService"]
        expect(len(in_service) == want[2], "%s: %d instances InService (has %d)" % (name, want[2], len(in_service)))
        expect(group["HealthCheckType"] == "ELB" and group["HealthCheckGracePeriod"] == 300,
               "%s: ELB health checks, grace 300 s" % name)
        arn = target_groups.get(name, {}).get("TargetGroupArn")
        expect(group.get("TargetGroupARNs") == [arn], "%s: attached to target group %s" % (name, name))
        policies = [p for p in asg.describe_policies(AutoScalingGroupName=name)["ScalingPolicies"]
                    if p["AutoScalingGroupName"] == name and p["PolicyType"] == "TargetTrackingScaling"]
        config = policies[0].get("TargetTrackingConfiguration", {}) if len(policies) == 1 else {}
        expect(config.get("TargetValue") == float(settings["cpu_target"])
               and (config.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
               == "ASGAverageCPUUtilization",
               "%s: one target-tracking policy, CPU %s %% (has %s)" % (
                   name, settings["cpu_target"], [p["PolicyName"] for p in policies]))
    return problems


# ---------------------------------------------------------------------------------------------
# The topologies

def _sizes_antmedia(count):
    sizes = {"antmedia_cluster_aws_origin_desired": count, "antmedia_cluster_aws_origin_max": max(count, 10),
             "antmedia_cluster_aws_edge_desired": count, "antmedia_cluster_aws_edge_max": max(count, 10),
             "antmedia_cluster_aws_edge_min": min(2, count)}
    # Two groups of 200 do not fit the seed's two /24 subnets (moto runs out of addresses):
    # the scale check uses /20 subnets, with 2 instances per group as well, so that only the
    # group sizes differ between its two no-op converges.
    sizes["antmedia_cluster_aws_subnets"] = [
        {"name": "antmedia-a", "cidr": "10.20.16.0/20", "availability_zone": "us-east-1a", "public": True},
        {"name": "antmedia-b", "cidr": "10.20.32.0/20", "availability_zone": "us-east-1b", "public": True}]
    return sizes


def _sizes_wcs(count):
    return {"wcs_cdn_aws_edge_desired": count, "wcs_cdn_aws_edge_max": max(count, 3)}


def _sizes_red5pro(count):
    return {"red5pro_streammanager_aws_desired": count, "red5pro_streammanager_aws_max": max(count, 3)}


TOPOLOGIES = {
    "antmedia_cluster": dict(
        title="Ant Media cluster on AWS (seed 002)",
        backends=("aws",),
        vars_file="benchmarks/vars/antmedia_cluster.yml",
        collection=["playbooks/antmedia_cluster_aws.yml"],
        collection_teardown={"antmedia_cluster_aws_state": "absent"},
        reference="benchmarks/reference/antmedia_cluster.yml",
        reference_teardown="benchmarks/reference/teardown.yml",
        extra=lambda image, urls: {"antmedia_cluster_aws_add_hosts": False,
                                   "antmedia_cluster_aws_deployment": "benchmark",
                                   "antmedia_cluster_aws_image_id": image,
                                   "antmedia_cluster_aws_mongodb_image_id": image},
        check=check_antmedia_cluster,
        settings=dict(vpc_cidr="10.20.0.0/16", health_check_path="/rest/v2/liveness", cpu_target=60,
                      origin_min=1, origin_max=10, origin_desired=1, edge_min=2, edge_max=10, edge_desired=2),
        sizes=_sizes_antmedia,
        noop_call_limit=15,
    ),
    "wcs_cdn": dict(
        title="WCS CDN on AWS (seed 000)",
        backends=("aws",),
        vars_file="benchmarks/vars/wcs_cdn.yml",
        collection=["playbooks/wcs_cdn_aws.yml"],
        collection_teardown={"wcs_cdn_aws_state": "absent"},
        reference="benchmarks/reference/wcs_cdn.yml",
        reference_teardown="benchmarks/reference/wcs_cdn_teardown.yml",
        extra=lambda image, urls: {"wcs_cdn_aws_deployment": "benchmark", "wcs_cdn_aws_image_id": image},
        check=check_wcs_cdn,
        settings={},
        sizes=_sizes_wcs,
    ),
    "red5pro": dict(
        title="Red5 Pro Stream Managers on AWS with the node group (seeds 001/003)",
        backends=("aws", "streammanager"),
        vars_file="benchmarks/vars/red5pro.yml",
        collection=["playbooks/red5pro_streammanager_aws.yml", "playbooks/red5pro_nodegroup.yml"],
        # the node group first, while the Stream Managers still answer
        collection_teardown_playbooks=["playbooks/red5pro_nodegroup.yml", "playbooks/red5pro_streammanager_aws.yml"],
        collection_teardown={"red5pro_streammanager_aws_state": "absent", "red5pro_nodegroup_state": "absent"},
        reference="benchmarks/reference/red5pro.yml",
        reference_teardown="benchmarks/reference/red5pro_teardown.yml",
        extra=lambda image, urls: {"red5pro_streammanager_aws_deployment": "benchmark",
                                   "red5pro_streammanager_aws_image_id": image,
                                   "red5pro_nodegroup_base_url": urls["streammanager"]},
        check=check_red5pro,
        settings={},
        sizes=_sizes_red5pro,
    ),
    "antmedia_alicloud": dict(
        title="Ant Media cluster on Alibaba Cloud as a ROS stack (seed 004)",
        backends=("ros",),
        vars_file="benchmarks/vars/antmedia_alicloud.yml",
        collection=["playbooks/antmedia_cluster_alicloud.yml"],
        collection_teardown={"antmedia_cluster_alicloud_state": "absent"},
        reference="benchmarks/reference/antmedia_alicloud.yml",
        reference_teardown="benchmarks/reference/antmedia_alicloud.yml",
        reference_teardown_vars={"reference_action": "delete"},
        extra=lambda image, urls: {"antmedia_cluster_alicloud_endpoint": urls["ros"]},
        check=check_antmedia_alicloud,
        settings={},
        # the group sizes are stack parameters: the calls cannot depend on them
        sizes=None,
    ),
}
