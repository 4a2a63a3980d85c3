"""The image half of roles/image_bake (tasks_from: image) against moto: bake from the
``instance_id`` fixture, tags, same settings = same image, keep N, launch template updated."""
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
