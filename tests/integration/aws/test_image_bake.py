"""The image half of roles/image_bake (tasks_from: image) against moto: bake from the
``instance_id`` fixture, tags, same settings = same image, keep N, launch template updated."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

DEPLOYMENT = "baketest"
TEMPLATE = "bake-edge"


def bake(playbook, check=False, expect_failure=False, **overrides):
    role_vars = dict(image_bake_server_role="antmedia", image_bake_deployment=DEPLOYMENT,
                     image_bake_wait_timeout=60, image_bake_settings={"antmedia_cluster_mode": "cluster"})
    role_vars.update(overrides)
    results = playbook.run(
        [{"name": "bake",
          "ansible.builtin.include_role": {"name": "streamfleet.cluster.image_bake", "tasks_from": "image"}}],
        play_vars=role_vars, check=check, diff=check, expect_failure=expect_failure)
    # task names come as "<role> : <name>"
    return {r["task"].split(" : ", 1)[-1]: r for r in results}


@pytest.fixture
def template(run_module, network, base_image_id):
    args = dict(name=TEMPLATE, deployment=DEPLOYMENT, image_id=base_image_id, instance_type="t3.micro",
                security_group_ids=[network["security_group_id"]], user_data="#!/bin/sh\necho edge\n")
    result = run_module("aws_launch_template", args)
    assert result["changed"] and result["default_version"] == 1
    return {k: v for k, v in args.items() if k not in ("image_id", "deployment")}


def images(aws):
    found = aws.ec2.describe_images(Owners=["self"], Filters=[
        {"Name": "tag:streamfleet:deployment", "Values": [DEPLOYMENT]}])["Images"]
    return {i["Name"]: {t["Key"]: t["Value"] for t in i.get("Tags", [])} | {"id": i["ImageId"]} for i in found}


def test_bake_tags_idempotence_and_launch_template(playbook, aws, instance_id, template):
    common = dict(image_bake_instance_id=instance_id, image_bake_launch_template=template)

    plan = bake(playbook, check=True, **common)
    assert plan["Image of the builder instance"]["changed"] is True
    assert "would be created" in plan["Plan only - the image does not exist yet, so the launch template "
                                      "would get a new version"]["msg"]
    assert images(aws) == {}

    first = bake(playbook, **common)
    image = first["Image of the builder instance"]
    assert image["changed"] is True
    found = images(aws)
    assert list(found) == [image["name"]]
    tags = found[image["name"]]
    assert image["name"].startswith("%s-antmedia-" % DEPLOYMENT)
    assert tags["streamfleet:server-role"] == "antmedia"
    assert tags["streamfleet:role"] == "antmedia"
    assert tags["streamfleet:collection-version"] == "0.1.0"
    assert len(tags["streamfleet:settings-digest"]) == 64
    assert image["name"].endswith(tags["streamfleet:settings-digest"][:12])
    lt = first["Launch template version with the new image"]
    assert lt["changed"] is True
    versions = aws.ec2.describe_launch_template_versions(LaunchTemplateName=TEMPLATE)["LaunchTemplateVersions"]
    default = [v for v in versions if v["DefaultVersion"]][0]
    assert default["VersionNumber"] == 2
    assert default["LaunchTemplateData"]["ImageId"] == image["image_id"]
    assert default["LaunchTemplateData"]["InstanceType"] == "t3.micro"
    assert default["LaunchTemplateData"]["UserData"]  # the rest of the data was kept

    # same settings: same image, nothing changes (check mode agrees)
    assert bake(playbook, check=True, **common)["Image of the builder instance"]["changed"] is False
    again = bake(playbook, **common)
    assert again["Image of the builder instance"]["changed"] is False
    assert again["Launch template version with the new image"]["changed"] is False

    # other settings: a new image; keep 2 of the family
    for number in (2, 3):
        bake(playbook, image_bake_keep=2, image_bake_build_id="b%d" % number, **common)
    found = images(aws)
    assert len(found) == 2 and all(name.endswith(("-b2", "-b3")) for name in found), found
    versions = aws.ec2.describe_launch_template_versions(LaunchTemplateName=TEMPLATE)["LaunchTemplateVersions"]
    default = [v for v in versions if v["DefaultVersion"]][0]
    assert default["LaunchTemplateData"]["ImageId"] == found[sorted(found)[-1]]["id"]


def test_bad_input_fails_before_any_change(playbook, aws, instance_id):
    results = bake(playbook, expect_failure=True, image_bake_instance_id=instance_id,
                   image_bake_launch_template={"name": TEMPLATE, "instance_type": "t3.micro", "image_id": "ami-1"})
    assert results["Check the inputs"].get("failed")
    results = bake(playbook, expect_failure=True, image_bake_instance_id="", image_bake_server_role="antmedia")
    assert results["Check the inputs"].get("failed")
    assert images(aws) == {}


# ---------------------------------------------------------------------------------------------
# playbooks/bake_image.yml end to end: the builder launched from a stock moto image, configured
# (a temporary tree on the controller stands in for its disk: the configure half on a real host
# is the Molecule scenario image_bake), baked, terminated - also when a later step fails.

UBUNTU = "099720109477"
STOCK_PATTERN = "ubuntu/images/hvm-ssd/ubuntu-*-amd64-server-*"


def run_bake_playbook(playbook, extra, check=False, expect_failure=False):
    """Run playbooks/bake_image.yml; returns (results by task name, over every host; output)."""
    path = playbook.repo / "playbooks" / "bake_image.yml"
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", str(path),
           "-e", json.dumps(extra)] + (["--check", "--diff"] if check else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, env=playbook.env(), cwd=playbook.tmp_path,
                          check=False)
    output = proc.stdout + proc.stderr
    assert (proc.returncode != 0) == expect_failure, output
    results = {}
    for play in json.loads(proc.stdout)["plays"]:
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                results.setdefault(task["task"]["name"].split(" : ", 1)[-1], {})[host] = result
    return results, output


def launch_vars(tmp_path, network, **overrides):
    root = tmp_path / "builder-disk"
    (root / "etc").mkdir(parents=True, exist_ok=True)
    (root / "etc" / "machine-id").write_text("0123456789abcdef\n")
    extra = dict(
        image_bake_server_role="wcs", image_bake_deployment=DEPLOYMENT, image_bake_wait_timeout=60,
        image_bake_settings={"wcs_cdn_role": "edge"}, image_bake_no_reboot=True,
        image_bake_base_image_name=STOCK_PATTERN, image_bake_base_image_owners=[UBUNTU],
        image_bake_builder_instance_type="t3.micro", image_bake_builder_subnet_id=network["subnet_ids"][0],
        image_bake_builder_security_group_ids=[network["security_group_id"]],
        # the launched builder is reached on this controller, its disk a temporary tree
        image_bake_builder_host_vars={"ansible_connection": "local", "ansible_host": "127.0.0.1"},
        image_bake_builder_connect_timeout=30,
        image_bake_configure_server=False, image_bake_stop_service=False, image_bake_root=str(root))
    extra.update(overrides)
    return extra


def builders(aws):
    """State of every builder instance of the test deployment, by instance id."""
    reservations = aws.ec2.describe_instances(Filters=[
        {"Name": "tag:Name", "Values": ["%s-wcs-builder" % DEPLOYMENT]}])["Reservations"]
    return {i["InstanceId"]: i["State"]["Name"] for r in reservations for i in r["Instances"]}


def test_playbook_launches_bakes_and_terminates_the_builder(playbook, aws, network, tmp_path):
    extra = launch_vars(tmp_path, network)
    stock = aws.ec2.describe_images(Owners=[UBUNTU], Filters=[{"Name": "name", "Values": [STOCK_PATTERN]}])["Images"]
    newest_stock = max(stock, key=lambda i: (i["CreationDate"], i["Name"]))["ImageId"]  # ties: by name

    plan, output = run_bake_playbook(playbook, extra, check=True)
    assert "Report what this run does" in plan, sorted(plan)
    assert "would be launched from " + newest_stock in plan["Report what this run does"]["localhost"]["msg"]
    assert builders(aws) == {} and images(aws) == {}

    results, output = run_bake_playbook(playbook, extra)
    launched = results["The builder instance"]["localhost"]["instance"]
    assert launched["image_id"] == newest_stock  # the newest of the name pattern
    found = images(aws)
    assert len(found) == 1, found
    (name, tags), = found.items()
    assert tags["streamfleet:role"] == "wcs" and tags["streamfleet:server-role"] == "wcs"
    assert name.endswith(tags["streamfleet:settings-digest"][:12])
    assert builders(aws) == {launched["instance_id"]: "terminated"}
    # the configure half ran on the launched builder (its inventory name is the instance id)
    assert results["Record the builder as configured"][launched["instance_id"]]["ansible_facts"]
    assert (tmp_path / "builder-disk" / "etc" / "machine-id").read_text() == ""

    # the same settings again: the image exists, no builder is launched, nothing changes
    results, _output = run_bake_playbook(playbook, extra)
    assert "exists: no builder launched" in results["Report what this run does"]["localhost"]["msg"]
    assert results["The builder instance"]["localhost"].get("skipped")
    assert results["Image of the builder instance"]["localhost"]["changed"] is False
    assert len(builders(aws)) == 1 and len(images(aws)) == 1


@pytest.mark.parametrize("failing", ["configure", "image"])
def test_launched_builder_is_terminated_when_the_bake_fails(playbook, aws, network, tmp_path, failing):
    if failing == "configure":  # the builder half refuses a relative root
        extra = launch_vars(tmp_path, network, image_bake_root="relative/path")
    else:  # the image half refuses a launch template that sets its own image
        extra = launch_vars(tmp_path, network, image_bake_launch_template={
            "name": TEMPLATE, "instance_type": "t3.micro", "image_id": "ami-12345678"})
    results, output = run_bake_playbook(playbook, extra, expect_failure=True)
    launched = results["The builder instance"]["localhost"]["instance"]["instance_id"]
    assert builders(aws) == {launched: "terminated"}, output
    assert images(aws) == {}
    if failing == "configure":
        assert "Not baked: the builder was not configured" in results[
            "Check that every builder was configured"]["localhost"]["msg"]


def test_named_instance_is_never_terminated(playbook, aws, instance_id, tmp_path, network):
    extra = launch_vars(tmp_path, network, image_bake_instance_id=instance_id)
    for key in ("image_bake_base_image_name", "image_bake_base_image_owners"):
        extra.pop(key)
    results, _output = run_bake_playbook(playbook, extra)
    assert results["Image of the builder instance"]["localhost"]["changed"] is True
    assert results["Terminate the builder this run launched (also when the bake failed)"]["localhost"].get("skipped")
    state = aws.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]
    assert state["Name"] == "running"


# ---------------------------------------------------------------------------------------------
# Topologies without an image id: the newest image of their family (aws_image_info in preflight)

TOPOLOGY_VARS = {
    "wcs_cdn_aws": dict(wcs_cdn_aws_deployment=DEPLOYMENT, wcs_cdn_aws_subnets=["10.43.1.0/24"],
                        wcs_cdn_aws_https=False),
    "antmedia_cluster_aws": dict(antmedia_cluster_aws_deployment=DEPLOYMENT, antmedia_cluster_aws_subnets=["10.43.1.0/24"],
                                 antmedia_cluster_aws_https=False, antmedia_cluster_aws_mongodb_mode="external",
                                 antmedia_cluster_aws_mongodb_url="mongodb://ams@10.43.1.9:27017/",
                                 antmedia_cluster_aws_mongodb_password="not-a-secret-test-value"),
    "red5pro_streammanager_aws": dict(red5pro_streammanager_aws_deployment=DEPLOYMENT,
                                      red5pro_streammanager_aws_subnets=["10.43.1.0/24"],
                                      red5pro_streammanager_aws_https=False),
}


def topology_image(playbook, role, expect_failure=False, **extra):
    """The image id the topology role's preflight settles on."""
    results = playbook.run(
        [{"name": "preflight", "ansible.builtin.include_role": {"name": "streamfleet.cluster." + role,
                                                                "tasks_from": "preflight"}},
         {"name": "image", "ansible.builtin.debug": {"var": role + "_image_id"}}],
        play_vars=TOPOLOGY_VARS[role], extra_vars=extra or None, expect_failure=expect_failure)
    by_name = {r["task"].split(" : ", 1)[-1]: r for r in results}
    if expect_failure:
        return by_name
    return by_name["image"][role + "_image_id"]


def family_bake(run_module, instance_id, family, name):
    return run_module("aws_image", dict(name=name, deployment=DEPLOYMENT, role=family, instance_id=instance_id,
                                        no_reboot=True))["image_id"]


def test_topology_rerun_uses_the_newest_image_of_its_family(playbook, run_module, instance_id):
    failed = topology_image(playbook, "wcs_cdn_aws", expect_failure=True)
    assert "bake_image.yml" in failed["Newest baked image of the family (no image id given)"]["msg"]

    first = family_bake(run_module, instance_id, "wcs", "baketest-wcs-1")
    family_bake(run_module, instance_id, "antmedia", "baketest-antmedia-1")  # another family
    assert topology_image(playbook, "wcs_cdn_aws") == first
    second = family_bake(run_module, instance_id, "wcs", "baketest-wcs-2")  # a second bake
    assert topology_image(playbook, "wcs_cdn_aws") == second  # the next run takes it, no copying
    # an explicit image id wins over the lookup
    assert topology_image(playbook, "wcs_cdn_aws", wcs_cdn_aws_image_id="ami-12345678") == "ami-12345678"


@pytest.mark.parametrize("role, family", [("antmedia_cluster_aws", "antmedia"),
                                          ("red5pro_streammanager_aws", "red5pro-streammanager")])
def test_topology_uses_its_own_family(playbook, run_module, instance_id, role, family):
    family_bake(run_module, instance_id, "wcs", "baketest-wcs-1")
    own = family_bake(run_module, instance_id, family, "baketest-%s-1" % family)
    assert topology_image(playbook, role) == own
