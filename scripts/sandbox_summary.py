"""Print what the sandbox holds, at a glance: one block per deployment.

Reads the AWS emulator (boto3 follows AWS_ENDPOINT_URL) and the Stream Manager simulator
(SANDBOX_STREAMMANAGER_URL). Sandbox tooling only; it changes nothing.
"""
import json
import os
import sys
import urllib.request
from collections import defaultdict

import boto3

TAG = "streamfleet:deployment"


def tags_of(obj):
    return {t["Key"]: t["Value"] for t in obj.get("Tags", [])}


def notifications(asg, group_name):
    """The group's SNS notification configurations as ``[(topic name, [types])]``."""
    by_topic = defaultdict(list)
    pages = asg.get_paginator("describe_notification_configurations").paginate(AutoScalingGroupNames=[group_name])
    for page in pages:
        for item in page["NotificationConfigurations"]:
            by_topic[item["TopicARN"].rsplit(":", 1)[-1]].append(item["NotificationType"])
    return sorted(by_topic.items())


def aws_summary(lines):
    region = os.environ.get("AWS_REGION", "us-east-1")
    ec2, elbv2, elb, asg, cw, r53 = (boto3.client(n, region_name=region)
                                     for n in ("ec2", "elbv2", "elb", "autoscaling", "cloudwatch", "route53"))
    by_deployment = defaultdict(list)

    balancers = elbv2.describe_load_balancers()["LoadBalancers"]
    if balancers:
        arns = [b["LoadBalancerArn"] for b in balancers]
        tag_sets = {d["ResourceArn"]: tags_of(d) for d in elbv2.describe_tags(ResourceArns=arns)["TagDescriptions"]}
        names = {t["TargetGroupArn"]: t["TargetGroupName"] for t in elbv2.describe_target_groups()["TargetGroups"]}
        for lb in balancers:
            out = by_deployment[tag_sets.get(lb["LoadBalancerArn"], {}).get(TAG, "(untagged)")]
            out.append("balancer %s (%s)  %s" % (lb["LoadBalancerName"], lb["Type"], lb["DNSName"]))
            for listener in sorted(elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"],
                                   key=lambda l: l["Port"]):
                action = listener["DefaultActions"][0]
                target = names.get(action.get("TargetGroupArn"), action["Type"])
                out.append("  listener %s:%d -> %s" % (listener["Protocol"], listener["Port"], target))
    classic = elb.describe_load_balancers()["LoadBalancerDescriptions"]
    for lb in classic:
        tags = elb.describe_tags(LoadBalancerNames=[lb["LoadBalancerName"]])["TagDescriptions"]
        deployment = tags_of(tags[0]).get(TAG, "(untagged)") if tags else "(untagged)"
        out = by_deployment[deployment]
        out.append("balancer %s (classic)  %s  health %s"
                   % (lb["LoadBalancerName"], lb["DNSName"], lb["HealthCheck"]["Target"]))
        for desc in lb["ListenerDescriptions"]:
            listener = desc["Listener"]
            out.append("  listener %s:%d -> instances %s:%d"
                       % (listener["Protocol"], listener["LoadBalancerPort"],
                          listener["InstanceProtocol"], listener["InstancePort"]))

    alarms = defaultdict(list)
    for alarm in cw.describe_alarms()["MetricAlarms"]:
        for dim in alarm.get("Dimensions", []):
            if dim["Name"] == "AutoScalingGroupName":
                alarms[dim["Value"]].append(alarm)
    in_groups = set()
    for group in asg.describe_auto_scaling_groups()["AutoScalingGroups"]:
        deployment = {t["Key"]: t["Value"] for t in group.get("Tags", [])}.get(TAG, "(untagged)")
        out = by_deployment[deployment]
        in_service = sum(1 for i in group["Instances"] if i["LifecycleState"] == "InService")
        in_groups.update(i["InstanceId"] for i in group["Instances"])
        out.append("group %s  min/desired/max %d/%d/%d  in service %d" % (
            group["AutoScalingGroupName"], group["MinSize"], group["DesiredCapacity"], group["MaxSize"], in_service))
        for policy in asg.describe_policies(AutoScalingGroupName=group["AutoScalingGroupName"])["ScalingPolicies"]:
            config = policy.get("TargetTrackingConfiguration")
            detail = ("target %s %.0f" % (config["PredefinedMetricSpecification"]["PredefinedMetricType"], config["TargetValue"])
                      if config else "adjustment %s" % policy.get("ScalingAdjustment"))
            out.append("  policy %s (%s, %s)" % (policy["PolicyName"], policy["PolicyType"], detail))
        for hook in asg.describe_lifecycle_hooks(AutoScalingGroupName=group["AutoScalingGroupName"])["LifecycleHooks"]:
            out.append("  lifecycle hook %s (%s, heartbeat %ss, default %s)" % (
                hook["LifecycleHookName"], hook["LifecycleTransition"].split(":")[-1],
                hook.get("HeartbeatTimeout"), hook.get("DefaultResult")))
        template = group.get("LaunchTemplate") or group.get("MixedInstancesPolicy", {}).get(
            "LaunchTemplate", {}).get("LaunchTemplateSpecification")
        if template:
            versions = ec2.describe_launch_template_versions(
                LaunchTemplateId=template["LaunchTemplateId"], Versions=[template.get("Version", "$Default")])
            data = versions["LaunchTemplateVersions"][0]["LaunchTemplateData"]
            out.append("  launch template %s, detailed monitoring %s" % (
                template.get("LaunchTemplateName", template["LaunchTemplateId"]),
                "on" if data.get("Monitoring", {}).get("Enabled") else "off"))
        for topic, types in notifications(asg, group["AutoScalingGroupName"]):
            out.append("  notifications -> %s: %s" % (topic, ", ".join(t.split(":")[-1] for t in types)))
        for alarm in alarms.get(group["AutoScalingGroupName"], []):
            topics = [a.rsplit(":", 1)[-1] for a in alarm.get("AlarmActions", []) if a.startswith("arn:aws:sns:")]
            out.append("  alarm %s: %s %s %s for %d x %ds%s" % (
                alarm["AlarmName"], alarm["MetricName"], alarm["ComparisonOperator"], alarm["Threshold"],
                alarm["EvaluationPeriods"], alarm["Period"], "  -> sns " + ", ".join(topics) if topics else ""))

    for address in ec2.describe_addresses()["Addresses"]:
        tags = tags_of(address)
        by_deployment[tags.get(TAG, "(untagged)")].append("elastic ip %s %s  %s" % (
            tags.get("Name", "-"), address["PublicIp"], address.get("InstanceId") or "not associated"))

    for reservation in ec2.describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["running"]}])["Reservations"]:
        for instance in reservation["Instances"]:
            if instance["InstanceId"] in in_groups:
                continue
            tags = tags_of(instance)
            by_deployment[tags.get(TAG, "(untagged)")].append(
                "instance %s %s  %s" % (tags.get("Name", "-"), instance["InstanceId"], instance.get("PrivateIpAddress")))
    for image in ec2.describe_images(Owners=["self"])["Images"]:
        by_deployment[tags_of(image).get(TAG, "(untagged)")].append("image %s %s" % (image["Name"], image["ImageId"]))

    for zone in r53.list_hosted_zones()["HostedZones"]:
        for record in r53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]:
            if record["Type"] in ("NS", "SOA"):
                continue
            target = record.get("AliasTarget", {}).get("DNSName") or ",".join(
                r["Value"] for r in record.get("ResourceRecords", []))
            by_deployment["(dns)"].append("record %s %s -> %s" % (record["Name"], record["Type"], target))

    lines.append("AWS emulator at %s" % os.environ.get("AWS_ENDPOINT_URL", "(default endpoint)"))
    if not by_deployment:
        lines.append("  nothing deployed")
    for deployment in sorted(by_deployment):
        lines.append("  deployment %s" % deployment)
        lines.extend("    " + line for line in by_deployment[deployment])


def streammanager_summary(lines):
    base = os.environ.get("SANDBOX_STREAMMANAGER_URL")
    if not base:
        return
    token = os.environ.get("SANDBOX_STREAMMANAGER_TOKEN", "sandbox-token")
    lines.append("Stream Manager simulator at %s" % base)
    try:
        url = "%s/streammanager/api/4.0/admin/nodegroup?accessToken=%s" % (base, token)
        groups = json.load(urllib.request.urlopen(url, timeout=5))
    except (OSError, ValueError) as exc:
        lines.append("  not answering (%s)" % exc.__class__.__name__)
        return
    if not groups:
        lines.append("  no node groups")
    for group in groups if isinstance(groups, list) else [groups]:
        name = group.get("name")
        url = "%s/streammanager/api/4.0/admin/nodegroup/%s/node?accessToken=%s" % (base, name, token)
        nodes = json.load(urllib.request.urlopen(url, timeout=5))
        states = ", ".join("%s %s" % (n.get("role"), n.get("state")) for n in nodes) or "no nodes"
        lines.append("  node group %s: %s" % (name, states))


def main():
    lines = []
    aws_summary(lines)
    streammanager_summary(lines)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
