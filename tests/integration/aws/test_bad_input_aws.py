"""Bad input to the AWS modules (issue #21, item 6), against the session's moto.

One table per module; each row is a hostile input. Every row must be refused before anything is
created or changed: the task fails, the message names the option, no Python traceback, the
module made no call other than reads (Describe/List/Get), and a snapshot of the cloud state
(VPCs, subnets, security groups, instances and their groups, Elastic IPs, launch templates,
balancers, target groups, Auto Scaling groups, hosted zones and their records, IAM roles and
instance profiles, images, SNS topics and subscriptions, SSM parameters, Secrets Manager secrets,
RDS instances and their groups) is the same after the rows as before them. The base arguments of each table pass on their own (check
mode), so that every row is refused for its hostile value.

All tables run in one test (one moto reset for all), to keep the suite fast.
Here rather than in a directory of its own: the moto server is a session fixture of this
directory's conftest, and a second directory would start a second one.
"""
import json

DEPLOYMENT = "bad-input"
ZONE = "bad-input.test"


def cloud_state(aws):
    """What exists in moto, as comparable data."""
    ec2, elbv2, asg = aws.ec2, aws("elbv2"), aws("autoscaling")
    zones = aws.route53.list_hosted_zones()["HostedZones"]
    return dict(
        vpcs=sorted(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]),
        subnets=sorted(s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]),
        groups=sorted((g["GroupId"], len(g["IpPermissions"])) for g in ec2.describe_security_groups()["SecurityGroups"]),
        instances=sorted((i["InstanceId"], i["State"]["Name"], tuple(sorted(g["GroupId"] for g in i["SecurityGroups"])))
                         for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]),
        addresses=sorted((a["AllocationId"], a.get("InstanceId"),
                          tuple(sorted((t["Key"], t["Value"]) for t in a.get("Tags", []))))
                         for a in ec2.describe_addresses()["Addresses"]),
        templates=sorted((t["LaunchTemplateName"], t["LatestVersionNumber"])
                         for t in ec2.describe_launch_templates()["LaunchTemplates"]),
        images=sorted(i["ImageId"] for i in ec2.describe_images(Owners=["self"])["Images"]),
        balancers=sorted(b["LoadBalancerName"] for b in elbv2.describe_load_balancers()["LoadBalancers"]),
        classic=sorted(b["LoadBalancerName"] for b in aws.elb.describe_load_balancers()["LoadBalancerDescriptions"]),
        target_groups=sorted(t["TargetGroupName"] for t in elbv2.describe_target_groups()["TargetGroups"]),
        groups_asg=sorted((g["AutoScalingGroupName"], g["MinSize"], g["MaxSize"], g["DesiredCapacity"])
                          for g in asg.describe_auto_scaling_groups()["AutoScalingGroups"]),
        records=sorted((z["Name"], r["Name"], r["Type"]) for z in zones for r in
                       aws.route53.list_resource_record_sets(HostedZoneId=z["Id"])["ResourceRecordSets"]),
        roles=sorted(r["RoleName"] for r in aws.iam.list_roles()["Roles"]),
        profiles=sorted(p["InstanceProfileName"] for p in aws.iam.list_instance_profiles()["InstanceProfiles"]),
        topics=sorted(t["TopicArn"] for t in aws.sns.list_topics()["Topics"]),
        subscriptions=sorted((s["TopicArn"], s["Protocol"], s["Endpoint"])
                             for s in aws.sns.list_subscriptions()["Subscriptions"]),
        parameters=sorted((p["Name"], p["Version"]) for p in aws.ssm.describe_parameters()["Parameters"]),
        secrets=sorted((s["Name"], tuple(sorted(s.get("SecretVersionsToStages", {}))))
                       for s in aws.secretsmanager.list_secrets()["SecretList"]),
        databases=sorted((d["DBInstanceIdentifier"], tuple(sorted(g["VpcSecurityGroupId"]
                                                                  for g in d.get("VpcSecurityGroups", []))))
                         for d in aws.rds.describe_db_instances()["DBInstances"]),
    )


READS = ("Describe", "List", "Get")


def check_table(run_module, aws, module, base, rows):
    """Run every row; return the problems found (empty when every row was refused cleanly).

    The base arguments alone must pass (in check mode), so that each row is refused for its
    own hostile value."""
    accepted = run_module(module, base, check_mode=True)
    problems = [] if not accepted.get("failed") else ["%s: base arguments refused: %s" % (module, accepted["msg"])]
    before = cloud_state(aws)
    for hostile, option in rows:
        args = dict(base)
        args.update(hostile)
        result = run_module(module, args)
        text = json.dumps(result)
        writes = [call for call in result.get("api_calls") or {}
                  if not call.split(".", 1)[-1].startswith(READS)]
        if not result.get("failed"):
            problems.append("%s: accepted %s" % (module, hostile))
        elif option not in result.get("msg", ""):
            problems.append("%s: %s: message does not name %s: %s" % (module, hostile, option, result.get("msg")))
        if "Traceback" in text:
            problems.append("%s: %s: traceback in the result" % (module, hostile))
        if writes:
            problems.append("%s: %s: write calls %s" % (module, hostile, writes))
    # One snapshot after all rows: a row that made anything (any write call is reported above
    # with its row) leaves it here; nothing a refused row could make is removed by a later one.
    after = cloud_state(aws)
    if after != before:
        problems.append("%s: cloud state changed: %s" % (
            module, dict((k, (before[k], after[k])) for k in before if before[k] != after[k])))
    return problems


def table_network():
    base = dict(name="net", deployment=DEPLOYMENT, cidr_block="10.30.0.0/16",
                subnets=[dict(name="a", cidr="10.30.1.0/24", availability_zone="us-east-1a")],
                security_groups=[dict(name="web", rules=[dict(ports="80", cidr=["10.30.0.0/16"])])])
    return "aws_network", base, [
        (dict(cidr_block="10.30.0.0/33"), "cidr_block"),
        (dict(cidr_block="10.300.0.0/16"), "cidr_block"),
        (dict(cidr_block="10.0.0.0/8"), "cidr_block"),                   # VPC blocks are /16 to /28
        (dict(subnets=[dict(name="a", cidr="10.30.1.0/24", availability_zone="us-east-1z")]),
         "subnets[0].availability_zone"),                                 # the VPC must not be made
        (dict(subnets=[dict(name="a", cidr="http://10.30.1.0/24")]), "subnets[0].cidr"),
        (dict(restricted_ports=[0]), "restricted_ports[0]"),
        (dict(security_groups=[dict(name="web", rules=[dict(ports="80", cidr=["10.30.0.256/32"])])]),
         "security_groups[0].rules[0].cidr[0]"),
        (dict(deployment="has space"), "deployment"),
        (dict(cidr_blok="10.30.0.0/16"), "did you mean cidr_block"),
        (dict(region="us-east-9"), "us-east-9"),                          # fails on the first call
    ]


def table_balancer(network):
    base = dict(name="web", deployment=DEPLOYMENT, subnets=network["subnet_ids"],
                security_groups=[network["security_group_id"]],
                target_groups=[dict(name="web", port=5080, vpc_id=network["vpc_id"])],
                listeners=[dict(protocol="HTTP", port=80, default_action=dict(type="forward", target_group="web"))])
    group = base["target_groups"][0]
    listener = base["listeners"][0]
    return "aws_balancer", base, [
        (dict(name="x" * 33), "name"),
        (dict(name="internal-web"), "name"),
        (dict(name="-web"), "name"),
        (dict(target_groups=[dict(group, port=0)]), "target_groups[0]"),  # not after the balancer
        (dict(target_groups=[dict(group, name="t" * 33)]), "target_groups[0]"),
        (dict(listeners=[dict(listener, port=70000)]), "listeners[0]"),
        (dict(listeners=[dict(listener, protocol="HTTPS")]), "certificate"),
        (dict(target_groups=[dict(group, health_check=dict(interval=1))]), "target_groups[0].health_check.interval"),
        (dict(idle_timeout=5000), "idle_timeout"),
        (dict(target_groups=[dict(group, deregistration_delay=4000)]), "target_groups[0].deregistration_delay"),
        (dict(listners=[]), "did you mean listeners"),
    ]


def table_fleet(network):
    base = dict(name="asg", deployment=DEPLOYMENT, launch_template=dict(name="edge-lt"),
                subnets=network["subnet_ids"], min_size=1, max_size=3, desired_capacity=2)
    return "aws_fleet", base, [
        (dict(min_size=3, max_size=1), "min_size"),
        (dict(desired_capacity=5), "desired_capacity"),
        (dict(min_size=-1), "min_size"),
        (dict(name="a:b"), "name"),
        (dict(lifecycle_hooks=[dict(name="drain", transition="autoscaling:EC2_INSTANCE_TERMINATING",
                                    heartbeat_timeout=10)]), "heartbeat_timeout"),
        (dict(launch_template=dict(name="ab")), "launch_template.name"),
        (dict(health_check_grace_period=-30), "health_check_grace_period"),
        (dict(min_sise=1), "did you mean min_size"),
    ]


def table_launch_template(image_id):
    base = dict(name="edge-lt", deployment=DEPLOYMENT, image_id=image_id, instance_type="t3.micro")
    device = dict(device_name="/dev/sda1", volume_type="gp3", volume_size=20)
    return "aws_launch_template", base, [
        (dict(name="ab"), "name"),
        (dict(name="has space"), "name"),
        (dict(instance_type="c5.huge"), "instance_type"),                 # not offered in the region
        (dict(block_devices=[dict(device, iops=20000)]), "block_devices[0].iops"),
        (dict(block_devices=[dict(device, throughput=2000)]), "block_devices[0].throughput"),
        (dict(block_devices=[dict(device, volume_type="io2")]), "block_devices[0].iops"),
        (dict(block_devices=[dict(device, volume_size=0)]), "block_devices[0].volume_size"),
        (dict(metadata_options=dict(http_put_response_hop_limit=65)), "http_put_response_hop_limit"),
        (dict(instance_typ="t3.micro"), "did you mean instance_type"),
    ]


def table_instance(network, image_id):
    base = dict(name="host", deployment=DEPLOYMENT, image_id=image_id, instance_type="t3.micro",
                subnet_id=network["subnet_ids"][0], wait=False)
    return "aws_instance", base, [
        (dict(instance_type="c5.huge"), "instance_type"),
        (dict(private_ip_address="10.42.1.256"), "private_ip_address"),
        (dict(private_ip_address="http://10.42.1.5"), "private_ip_address"),
        (dict(volume_size=0), "volume_size"),
        (dict(volume_size=70000), "volume_size"),
        (dict(wait_timeout=-1), "wait_timeout"),
        (dict(instance_tpye="t3.micro"), "did you mean instance_type"),
    ]


def table_image(instance_id):
    base = dict(name="img-1", deployment=DEPLOYMENT, instance_id=instance_id, wait=False)
    return "aws_image", base, [
        (dict(name="ab"), "name"),
        (dict(role="edge", keep=0), "keep"),
        (dict(wait_timeout=-5), "wait_timeout"),
        (dict(deployment="a b"), "deployment"),
        (dict(endpoint_url="not a url"), "endpoint_url"),
        (dict(instanse_id=instance_id), "did you mean instance_id"),
    ]


def table_instance_profile():
    base = dict(name="drain", deployment=DEPLOYMENT)
    return "aws_instance_profile", base, [
        (dict(name="a b"), "name"),
        (dict(name="x" * 65), "name"),
        (dict(path="streamfleet"), "path"),
        (dict(deployment="a/b"), "deployment"),
        (dict(wait_timeout=-1), "wait_timeout"),
        (dict(managed_policy_arn=[]), "did you mean managed_policy_arns"),
    ]


def table_dns():
    base = dict(zone=ZONE, deployment=DEPLOYMENT, records=[dict(name="www", type="A", values=["10.0.0.1"])])
    record = base["records"][0]
    return "aws_dns", base, [
        (dict(records=[dict(record, name="api.other.com")]), "records[0].name"),  # never rewritten
        (dict(records=[dict(record, values=["10.0.0.256"])]), "records[0].values[0]"),
        (dict(records=[dict(record, values=["http://10.0.0.1/"])]), "records[0].values[0]"),
        (dict(records=[dict(record, ttl=-1)]), "records[0].ttl"),
        (dict(records=[dict(name="cdn", type="CNAME", values=["http://cdn.example.com/"])]), "records[0].values[0]"),
        (dict(records=[dict(record, type="AAAA")]), "records[0].values[0]"),
        (dict(recrods=[]), "did you mean records"),
    ]


def table_rollout():
    base = dict(name="asg", deployment=DEPLOYMENT)
    return "aws_fleet_rollout", base, [
        (dict(batch_size=0), "batch_size"),
        (dict(poll_interval=0), "poll_interval"),
        (dict(checkpoint_percentages=[150]), "checkpoint_percentages[0]"),
        (dict(drain_timeout=-1), "drain_timeout"),
        (dict(lock_stale_after=0), "lock_stale_after"),
        (dict(batch_sise=2), "did you mean batch_size"),
    ]


def table_deployment_info():
    base = dict(deployment=DEPLOYMENT)
    return "aws_deployment_info", base, [
        (dict(deployment="a b"), "deployment"),
        (dict(deployment=""), "deployment"),
        (dict(region="eu-middle-7"), "eu-middle-7"),
        (dict(endpoint_url="ftp://127.0.0.1/"), "endpoint_url"),
        (dict(wait_timeout=-1), "wait_timeout"),
        (dict(detials=True), "did you mean details"),
    ]


def table_elastic_ips():
    base = dict(name="eips", deployment=DEPLOYMENT, count=1)
    return "aws_elastic_ips", base, [
        (dict(name="has space"), "name"),
        (dict(name="-eips"), "name"),                                      # must start with a letter or digit
        (dict(name="x" * 129), "name"),                                    # 1-128 characters
        (dict(count=-1), "count"),
        (dict(count=65), "count"),                                         # above MAX_COUNT
        (dict(count="three"), "count"),                                    # not a number
        (dict(count=None), "count"),                                       # state=present needs count
        (dict(deployment="a b"), "deployment"),
        (dict(cuont=1), "did you mean count"),
    ]


def table_image_info():
    base = dict(family="edge", deployment=DEPLOYMENT)
    return "aws_image_info", base, [
        (dict(name="edge-*"), "family|name"),                              # family and name together
        (dict(family=None, name="  "), "name"),
        (dict(family=None, name="x" * 129), "name"),                      # AMI names are 3-128
        (dict(family=None, name="edge:*"), "name"),                       # a colon is no AMI name character
        (dict(owners=["amazn"]), "owners[0]"),                             # typo of the alias amazon
        (dict(owners=["12345"]), "owners[0]"),                             # account ids have 12 digits
        (dict(family=None), "family, name"),                               # "family:" given without a value
        (dict(deployment="a b"), "deployment"),
        (dict(famly="edge"), "did you mean family"),
    ]


def table_notification_topic():
    base = dict(name="alerts", deployment=DEPLOYMENT, subscriptions=[dict(protocol="email", endpoint="ops@example.com")])
    return "aws_notification_topic", base, [
        (dict(name="alerts.fifo"), "name"),                                # FIFO topics cannot take alarms
        (dict(name="x" * 257), "name"),
        (dict(display_name="x" * 101), "display_name"),
        (dict(subscriptions=[dict(protocol="email", endpoint="ops.example.com")]), "subscriptions[0].endpoint"),
        (dict(subscriptions=[dict(protocol="https", endpoint="https://10.0.0.256/hook")]),
         "subscriptions[0].endpoint"),
        (dict(subscriptions=[dict(protocol="https", endpoint="hooks.example.com/alarm")]),
         "subscriptions[0].endpoint"),                                     # a host and path, no URL
        (dict(subscriptions=[dict(protocol="sqs", endpoint="arn:aws:sqs:us-east-1:alerts")]),
         "subscriptions[0].endpoint"),                                     # no account id
        (dict(subscriptions=[dict(protocol="lambda", endpoint="arn:aws:sqs:us-east-1:123456789012:q")]),
         "subscriptions[0].endpoint"),                                     # a queue for a function
        (dict(subscriptions=[dict(protocol="sms", endpoint="555-0100")]), "subscriptions[0].endpoint"),
        (dict(subscriptions=[dict(protocol="smtp", endpoint="ops@example.com")]), "protocol"),
        (dict(deployment="a b"), "deployment"),
        (dict(subscriptons=[]), "did you mean subscriptions"),
    ]


def table_secret():
    base = dict(name="/bad-input/db/password", deployment=DEPLOYMENT, value="not-a-secret")
    return "aws_secret", base, [
        (dict(name="/aws/db"), "name"),                                    # aws and ssm are reserved
        (dict(name="db password"), "name"),
        (dict(name="/" + "a/" * 16 + "b"), "name"),                        # at most 15 levels
        (dict(name="db/password"), "name"),                                # a path must start with /
        (dict(store="secretsmanager", name="db-abcdef"), "name"),          # read as an ARN suffix
        (dict(value="x" * 4097), "value"),                                 # SSM standard tier: 4 KB
        (dict(value=None), "value"),                                       # state=present needs value
        (dict(kms_key_id="not a key"), "kms_key_id"),
        (dict(kms_key_id="arn:aws:kms:us-east-1:123456789012:db-key"), "kms_key_id"),
        (dict(description="x" * 1025), "description"),
        (dict(deployment="a b"), "deployment"),
        (dict(stroe="ssm"), "did you mean store"),
    ]


def table_security_group_attachment(network, instance_id):
    base = dict(instance_id=instance_id, security_group_ids=[network["security_group_id"]])
    return "aws_security_group_attachment", base, [
        (dict(security_group_ids=["web"]), "security_group_ids"),          # a name, not an id
        (dict(security_group_ids=[]), "security_group_ids"),
        (dict(security_group_ids=["sg-0123456789ABCDEF0"]), "security_group_ids"),
        (dict(instance_id="i-XYZ"), "instance_id"),
        (dict(instance_id=None, db_instance_identifier="1db"), "db_instance_identifier"),
        (dict(instance_id=None, db_instance_identifier="db--main"), "db_instance_identifier"),
        (dict(instance_id=None, db_instance_identifier="db-"), "db_instance_identifier"),
        (dict(db_instance_identifier="db"), "db_instance_identifier|instance_id"),  # both
        (dict(instance_id=None), "exactly one of db_instance_identifier"),  # "instance_id:" without a value
        (dict(instnace_id=instance_id), "did you mean instance_id"),
    ]


def all_tables(network, image_id, instance_id):
    """Every table: (module, base arguments, rows). ``test_bad_input_hosts`` counts the rows
    (with placeholder ids) so that every module has at least six."""
    return [table_network(), table_balancer(network), table_fleet(network), table_launch_template(image_id),
            table_instance(network, image_id), table_image(instance_id), table_instance_profile(),
            table_dns(), table_rollout(), table_deployment_info(), table_elastic_ips(), table_image_info(),
            table_notification_topic(), table_secret(), table_security_group_attachment(network, instance_id)]


def test_every_aws_module_refuses_bad_input(run_module, aws, network, base_image_id, instance_id):
    """All tables in one test: one moto reset and one start of its EC2 backend for all of them."""
    aws.ec2.create_launch_template(LaunchTemplateName="edge-lt", LaunchTemplateData=dict(
        ImageId=base_image_id, InstanceType="t3.micro"))
    aws("autoscaling").create_auto_scaling_group(
        AutoScalingGroupName="asg", LaunchTemplate=dict(LaunchTemplateName="edge-lt"), MinSize=0, MaxSize=1,
        DesiredCapacity=0, VPCZoneIdentifier=network["subnet_ids"][0],
        Tags=[dict(Key="streamfleet:deployment", Value=DEPLOYMENT, PropagateAtLaunch=False)])
    aws.route53.create_hosted_zone(Name=ZONE, CallerReference="bad-input")
    problems = []
    for module, base, rows in all_tables(network, base_image_id, instance_id):
        problems.extend(check_table(run_module, aws, module, base, rows))
    assert problems == [], "\n".join(problems)


def test_dns_by_zone_id_refuses_a_name_outside_the_zone(run_module, aws):
    zone_id = aws.route53.create_hosted_zone(Name=ZONE, CallerReference="bad-input-id")["HostedZone"]["Id"]
    before = cloud_state(aws)
    result = run_module("aws_dns", dict(zone_id=zone_id, deployment=DEPLOYMENT, records=[
        dict(name="api.other.com", type="A", values=["10.0.0.1"])]))
    assert result.get("failed") is True and "records[0].name='api.other.com' refused" in result["msg"], result
    assert not [call for call in result["api_calls"] if not call.split(".", 1)[1].startswith(READS)]
    assert cloud_state(aws) == before
