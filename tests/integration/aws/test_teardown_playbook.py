"""playbooks/teardown.yml against moto: plan with --check, remove everything, second run 0 changed."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
DEPLOYMENT = "teardowntest"
ZONE = "teardown.example.com"


def run_playbook(playbook, name, extra_vars, check=False, expect_failure=False):
    """Run a playbook file of the repository with the JSON callback; (results, stats)."""
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,",
           str(REPO / "playbooks" / name), "-e", json.dumps(extra_vars)]
    if check:
        cmd += ["--check", "--diff"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=playbook.env(), cwd=playbook.tmp_path, check=False)
    output = proc.stdout + proc.stderr
    try:
        doc = json.loads(proc.stdout)
    except ValueError as exc:
        raise AssertionError("ansible-playbook printed no JSON:\n" + output) from exc
    if (proc.returncode != 0) != expect_failure:
        raise AssertionError("unexpected return code %d:\n%s" % (proc.returncode, output))
    results = {}
    for play in doc["plays"]:
        for task in play["tasks"]:
            results[task["task"]["name"]] = task["hosts"].get("localhost", {})
    return results, doc["stats"]["localhost"]


def live_tagged(aws):
    """``aws.tagged`` without terminated instances (moto's tagging API still lists them)."""
    found = aws.tagged(DEPLOYMENT)
    ids = [item for item in found if item.startswith("i-")]
    states = {}
    if ids:
        for reservation in aws.ec2.describe_instances(InstanceIds=ids)["Reservations"]:
            for instance in reservation["Instances"]:
                states[instance["InstanceId"]] = instance["State"]["Name"]
    return [item for item in found if states.get(item) not in ("terminated", "shutting-down")]


@pytest.fixture
def deployment(run_module, aws, base_image_id, instance_id):
    """A small deployment built with the collection's modules."""
    common = dict(deployment=DEPLOYMENT)

    def ok(module, args):
        result = run_module(module, dict(common, **args))
        assert not result.get("failed"), result
        return result

    net = ok("aws_network", dict(
        name="td", cidr_block="10.77.0.0/16",
        subnets=[dict(name="td-a", cidr="10.77.1.0/24", availability_zone="us-east-1a", public=True),
                 dict(name="td-b", cidr="10.77.2.0/24", availability_zone="us-east-1b", public=True)],
        security_groups=[dict(name="td-nodes", description="nodes", rules=[dict(ports="5080", cidr=["10.0.0.0/8"])])]))
    sg = net["security_groups"]["td-nodes"]
    ok("aws_launch_template", dict(name="td-edge", image_id=base_image_id, instance_type="t3.micro",
                                   security_group_ids=[sg]))
    ok("aws_balancer", dict(
        name="td-lb", type="application", subnets=net["subnet_ids"], security_groups=[sg],
        target_groups=[dict(name="td-5080", port=5080, protocol="HTTP", vpc_id=net["vpc_id"])],
        listeners=[dict(port=80, protocol="HTTP", default_action=dict(type="forward", target_group="td-5080"))]))
    ok("aws_fleet", dict(
        name="td-edge", launch_template=dict(name="td-edge"), subnets=net["subnet_ids"], min_size=1, max_size=2,
        target_groups=["td-5080"],
        policies=[dict(name="scale-out", scaling_adjustment=1, cooldown=300,
                       alarm=dict(comparison=">=", threshold=70))], wait_timeout=60))
    ok("aws_instance_profile", dict(name="td-edge", inline_policies={"drain-agent": {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "autoscaling:DescribeAutoScalingInstances",
                                                "Resource": "*"}]}}))
    ok("aws_instance", dict(name="td-origin", image_id=base_image_id, instance_type="t3.micro",
                            subnet_id=net["subnet_ids"][0], security_group_ids=[sg], wait_timeout=60))
    ok("aws_image", dict(name="td-image-1", instance_id=instance_id, role="edge", wait_timeout=60))
    zone_id = aws.route53.create_hosted_zone(Name=ZONE, CallerReference="td")["HostedZone"]["Id"]
    ok("aws_dns", dict(zone=ZONE, records=[dict(name="origin", type="A", values=["10.77.1.10"])],
                       certificate=dict(domain="lb." + ZONE), wait_timeout=60))
    found = aws.tagged(DEPLOYMENT)
    assert len(found) >= 10, found
    return dict(zone_id=zone_id, found=found)


def record_names(aws, zone_id):
    return sorted(r["Name"] for r in aws.route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
                  if r["Type"] == "A")


def test_teardown_requires_confirmation(playbook, aws, deployment):
    results, stats = run_playbook(playbook, "teardown.yml", {"deployment": DEPLOYMENT}, expect_failure=True)
    assert results["Check the inputs"].get("failed")
    assert sorted(live_tagged(aws)) == sorted(deployment["found"])


def test_teardown_plans_removes_and_is_idempotent(playbook, aws, deployment):
    extra = {"deployment": DEPLOYMENT, "confirm": True, "teardown_wait_timeout": 60,
             "teardown_certificate_zone": ZONE,
             "teardown_dns": [{"zone": ZONE, "records": [{"name": "origin", "type": "A"}]}]}

    teardown_vars = {"deployment": DEPLOYMENT, "teardown_dns": extra["teardown_dns"], "teardown_certificate_zone": ZONE}
    plan, stats = run_playbook(playbook, "teardown.yml", teardown_vars, check=True)
    assert stats["changed"] > 0
    assert "Would remove" in plan["Plan"]["msg"]
    assert sorted(aws.tagged(DEPLOYMENT)) == sorted(deployment["found"]), "check mode removed something"
    assert record_names(aws, deployment["zone_id"]) == ["origin.%s." % ZONE]
    assert len(aws.acm.list_certificates()["CertificateSummaryList"]) == 1
    assert "td-edge" in plan["Plan"]["msg"]
    assert [p["InstanceProfileName"] for p in aws.iam.list_instance_profiles()["InstanceProfiles"]] == ["td-edge"]

    results, stats = run_playbook(playbook, "teardown.yml", extra)
    assert stats["failures"] == 0 and stats["changed"] > 0
    assert live_tagged(aws) == []
    assert record_names(aws, deployment["zone_id"]) == []
    assert aws.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"] == []
    assert aws.cloudwatch.describe_alarms()["MetricAlarms"] == []
    assert aws.elbv2.describe_load_balancers()["LoadBalancers"] == []
    assert aws.elbv2.describe_target_groups()["TargetGroups"] == []
    assert aws.acm.list_certificates()["CertificateSummaryList"] == []
    assert aws.iam.list_instance_profiles(PathPrefix="/streamfleet/")["InstanceProfiles"] == []
    assert aws.iam.list_roles(PathPrefix="/streamfleet/")["Roles"] == []

    again, stats = run_playbook(playbook, "teardown.yml", extra)
    assert stats["changed"] == 0, again
