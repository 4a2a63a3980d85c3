"""What the fault tests (test_faults_*.py) share: the three AWS topologies with the variables their
own tests use, a runner that can be killed through the fault proxy, and an inventory of the
objects in moto, counted per kind.

The inventory counts every object of a kind in the account (moto is reset before each test,
so everything but moto's defaults belongs to the topology under test) *and* the ones carrying
the deployment tag: an object made but never tagged (an orphan a re-run cannot find) shows as
``all > tagged``, a duplicate as a count above the clean run's.
"""
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
DEPLOYMENT_TAG = "streamfleet:deployment"


def _wcs_vars(image_id):
    # as test_topology_wcs_cdn.py
    return {
        "wcs_cdn_aws_deployment": "wcs-faults",
        "wcs_cdn_aws_image_id": image_id,
        "wcs_cdn_aws_instance_type": "t3.micro",
        "wcs_cdn_aws_zone": "cdn.faults.test",
        "wcs_cdn_aws_admin_cidrs": ["198.51.100.0/24"],
        "wcs_cdn_aws_wait_timeout": 120,
        "wcs_cdn_aws_balancer_record_type": "cname",
        # TCP pass-through of 8443 as in seed 000: the certificate paths have their own tests
        "wcs_cdn_aws_https": False,
    }


def _red5_vars(image_id, certificate_arn):
    # as test_topology_red5pro_streammanager.py
    return {
        "red5pro_streammanager_aws_certificate_arn": certificate_arn,
        "red5pro_streammanager_aws_deployment": "red5-faults",
        "red5pro_streammanager_aws_image_id": image_id,
        "red5pro_streammanager_aws_instance_type": "t3.micro",
        "red5pro_streammanager_aws_domain": "sm.red5.faults.test",
        "red5pro_streammanager_aws_zone": "red5.faults.test",
        "red5pro_streammanager_aws_db_host": "sm-db.abc.us-east-1.rds.amazonaws.com",
        "red5pro_streammanager_aws_wait_timeout": 120,
    }


def _ams_vars(image_id):
    # as test_topology_day2.py
    return {
        "antmedia_cluster_aws_deployment": "ams-faults",
        "antmedia_cluster_aws_image_id": image_id,
        "antmedia_cluster_aws_mongodb_image_id": image_id,
        "antmedia_cluster_aws_mongodb_password": "faults-placeholder-password",
        "antmedia_cluster_aws_instance_type": "t3.micro",
        "antmedia_cluster_aws_add_hosts": False,
        # the plain HTTP listeners: the certificate paths have their own tests
        "antmedia_cluster_aws_https": False,
        "antmedia_cluster_aws_wait_timeout": 120,
    }


# What one run without faults builds, per kind: measured through the proxy without
# faults (listeners, hooks, policies have no deployment tag of their
# own, they are counted in the account).
CLEAN = {
    "wcs": dict(vpcs=1, subnets=2, security_groups=2, internet_gateways=1, instances=2, launch_templates=1,
                balancers=1, target_groups=0, listeners=0, auto_scaling_groups=1, scaling_policies=1,
                lifecycle_hooks=1, iam_roles=1, iam_instance_profiles=1, ssm_parameters=0, elastic_ips=0, alarms=0),
    "red5pro": dict(vpcs=1, subnets=2, security_groups=3, internet_gateways=1, instances=2, launch_templates=1,
                    balancers=1, target_groups=1, listeners=3, auto_scaling_groups=1, scaling_policies=1,
                    lifecycle_hooks=1, iam_roles=1, iam_instance_profiles=1, ssm_parameters=0, elastic_ips=3, alarms=1),
    "antmedia": dict(vpcs=1, subnets=2, security_groups=4, internet_gateways=1, instances=4, launch_templates=3,
                     balancers=2, target_groups=3, listeners=3, auto_scaling_groups=2, scaling_policies=2,
                     lifecycle_hooks=2, iam_roles=2, iam_instance_profiles=2, ssm_parameters=2, elastic_ips=0, alarms=0),
}


class Topology:
    """One topology playbook with its variables, prepared in a fresh moto (``prepare``)."""

    def __init__(self, name, playbook, deployment):
        self.name, self.playbook, self.deployment = name, playbook, deployment

    def prepare(self, aws, image_id):
        """Create what the topology expects to exist (zones, a certificate); return its vars."""
        if self.name == "wcs":
            aws.route53.create_hosted_zone(Name="cdn.faults.test", CallerReference="wcs-faults")
            return _wcs_vars(image_id)
        if self.name == "red5pro":
            aws.route53.create_hosted_zone(Name="red5.faults.test", CallerReference="red5-faults")
            arn = aws.acm.request_certificate(DomainName="sm.red5.faults.test", ValidationMethod="DNS")["CertificateArn"]
            return _red5_vars(image_id, arn)
        return _ams_vars(image_id)


TOPOLOGIES = {
    "wcs": Topology("wcs", "wcs_cdn_aws.yml", "wcs-faults"),
    "red5pro": Topology("red5pro", "red5pro_streammanager_aws.yml", "red5-faults"),
    "antmedia": Topology("antmedia", "antmedia_cluster_aws.yml", "ams-faults"),
}


def start_topology(playbook, topology, extra_vars, endpoint_url):
    """Start ``ansible-playbook`` on the topology against ``endpoint_url``; returns the Popen."""
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,",
           str(REPO / "playbooks" / topology.playbook), "-e", json.dumps(extra_vars)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=playbook.env(dict(AWS_ENDPOINT_URL=endpoint_url)), cwd=playbook.tmp_path)


def finish(proc, timeout=600):
    """``(returncode, parsed JSON or None, output)`` of a started playbook."""
    out, err = proc.communicate(timeout=timeout)
    try:
        doc = json.loads(out)
    except ValueError:
        doc = None
    return proc.returncode, doc, out + err


def task_results(doc):
    """Per-task localhost results (loop items flattened) with ``task`` (the name)."""
    results = []
    for play in doc["plays"]:
        for task in play["tasks"]:
            res = dict(task["hosts"].get("localhost", {}))
            res["task"] = task["task"]["name"]
            results.append(res)
    return results


def module_retries(doc):
    """The modules' own retry log summed over the run: ``{"service.Operation": n}`` from each
    result's ``api_retries`` (loop items included)."""
    total = Counter()

    def add(result):
        for key, count in (result.get("api_retries") or {}).items():
            total[key] += count
        for item in result.get("results") or []:
            if isinstance(item, dict):
                add(item)
    for result in task_results(doc):
        add(result)
    return total


def _tags(items):
    return {t["Key"]: t["Value"] for t in items or []}


def inventory(aws, deployment):
    """``{kind: (all, tagged)}``: objects of each kind in the account, and those carrying
    ``streamfleet:deployment=<deployment>`` (moto's defaults left out)."""
    ec2, elbv2, elb = aws.ec2, aws.elbv2, aws.elb

    def mine(tags):
        return _tags(tags).get(DEPLOYMENT_TAG) == deployment

    out = {}
    vpcs = [v for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    out["vpcs"] = (len(vpcs), sum(mine(v.get("Tags")) for v in vpcs))
    vpc_ids = {v["VpcId"] for v in vpcs}
    subnets = [s for s in ec2.describe_subnets()["Subnets"] if s["VpcId"] in vpc_ids or not s.get("DefaultForAz")]
    out["subnets"] = (len(subnets), sum(mine(s.get("Tags")) for s in subnets))
    groups = [g for g in ec2.describe_security_groups()["SecurityGroups"] if g["GroupName"] != "default"]
    out["security_groups"] = (len(groups), sum(mine(g.get("Tags")) for g in groups))
    gateways = ec2.describe_internet_gateways()["InternetGateways"]
    gateways = [g for g in gateways if not any(a["VpcId"] not in vpc_ids for a in g.get("Attachments", []))
                or mine(g.get("Tags"))]
    out["internet_gateways"] = (len(gateways), sum(mine(g.get("Tags")) for g in gateways))
    addresses = ec2.describe_addresses()["Addresses"]
    out["elastic_ips"] = (len(addresses), sum(mine(a.get("Tags")) for a in addresses))
    instances = [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
                 if i["State"]["Name"] not in ("terminated", "shutting-down")]
    out["instances"] = (len(instances), sum(mine(i.get("Tags")) for i in instances))
    templates = ec2.describe_launch_templates()["LaunchTemplates"]
    out["launch_templates"] = (len(templates), sum(mine(t.get("Tags")) for t in templates))

    albs = elbv2.describe_load_balancers()["LoadBalancers"]
    alb_tags = {}
    if albs:
        alb_tags = {d["ResourceArn"]: d["Tags"] for d in elbv2.describe_tags(
            ResourceArns=[b["LoadBalancerArn"] for b in albs])["TagDescriptions"]}
    classic = elb.describe_load_balancers()["LoadBalancerDescriptions"]
    classic_tags = {}
    if classic:
        classic_tags = {d["LoadBalancerName"]: d["Tags"] for d in elb.describe_tags(
            LoadBalancerNames=[b["LoadBalancerName"] for b in classic])["TagDescriptions"]}
    out["balancers"] = (len(albs) + len(classic), sum(mine(t) for t in alb_tags.values())
                        + sum(mine(t) for t in classic_tags.values()))
    target_groups = elbv2.describe_target_groups()["TargetGroups"]
    tg_tags = {}
    if target_groups:
        tg_tags = {d["ResourceArn"]: d["Tags"] for d in elbv2.describe_tags(
            ResourceArns=[t["TargetGroupArn"] for t in target_groups])["TagDescriptions"]}
    out["target_groups"] = (len(target_groups), sum(mine(t) for t in tg_tags.values()))
    listeners = sum(len(elbv2.describe_listeners(LoadBalancerArn=b["LoadBalancerArn"])["Listeners"]) for b in albs)
    out["listeners"] = (listeners, listeners)  # listeners carry no tags of their own here

    asgs = aws.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
    out["auto_scaling_groups"] = (len(asgs), sum(mine(g.get("Tags")) for g in asgs))
    policies = aws.autoscaling.describe_policies()["ScalingPolicies"]
    out["scaling_policies"] = (len(policies), len(policies))
    hooks = sum(len(aws.autoscaling.describe_lifecycle_hooks(AutoScalingGroupName=g["AutoScalingGroupName"])
                    ["LifecycleHooks"]) for g in asgs)
    out["lifecycle_hooks"] = (hooks, hooks)

    iam = aws.iam
    roles = [r for r in iam.list_roles()["Roles"] if r["Path"].startswith("/streamfleet/")
             or deployment in r["RoleName"]]
    out["iam_roles"] = (len(roles), sum(mine(iam.get_role(RoleName=r["RoleName"])["Role"].get("Tags")) for r in roles))
    profiles = [p for p in iam.list_instance_profiles()["InstanceProfiles"] if p["Path"].startswith("/streamfleet/")
                or deployment in p["InstanceProfileName"]]
    out["iam_instance_profiles"] = (len(profiles), sum(
        mine(iam.get_instance_profile(InstanceProfileName=p["InstanceProfileName"])["InstanceProfile"].get("Tags"))
        for p in profiles))

    parameters = aws.ssm.describe_parameters()["Parameters"]
    out["ssm_parameters"] = (len(parameters), sum(
        mine(aws.ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=p["Name"])["TagList"])
        for p in parameters))
    alarms = aws.cloudwatch.describe_alarms()["MetricAlarms"]
    out["alarms"] = (len(alarms), sum(
        mine(aws.cloudwatch.list_tags_for_resource(ResourceARN=a["AlarmArn"])["Tags"]) for a in alarms))
    return out


def names(aws):
    """Name tags / names per kind, to show what a duplicate is."""
    ec2 = aws.ec2
    out = {}
    out["vpcs"] = sorted(_tags(v.get("Tags")).get("Name", v["VpcId"]) for v in ec2.describe_vpcs()["Vpcs"]
                         if not v.get("IsDefault"))
    out["instances"] = sorted(_tags(i.get("Tags")).get("Name", i["InstanceId"])
                              for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
                              if i["State"]["Name"] not in ("terminated", "shutting-down"))
    out["security_groups"] = sorted(g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]
                                    if g["GroupName"] != "default")
    return out


def report(line, **numbers):
    """Print a measured line; also append it with ``numbers`` as JSON to the file named by
    ``STREAMFLEET_FAULTS_REPORT`` (pytest-xdist swallows prints), for docs/testing.md."""
    print(line)
    path = os.environ.get("STREAMFLEET_FAULTS_REPORT")
    if path:
        with open(path, "a") as out:
            out.write(json.dumps(dict(numbers, line=line), default=str) + "\n")


def assert_counts(aws, topology, expected):
    counted = inventory(aws, topology.deployment)
    wrong = {kind: dict(all=n_all, tagged=n_tagged, expected=expected[kind])
             for kind, (n_all, n_tagged) in counted.items() if (n_all, n_tagged) != (expected[kind],) * 2}
    assert not wrong, (wrong, names(aws))
    return counted
