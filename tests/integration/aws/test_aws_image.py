"""aws_image against moto: bake, re-run, retag, keep N newest, delete with snapshots."""
import pytest

DEPLOYMENT = "img-test"


def own_images(aws):
    return aws.ec2.describe_images(Owners=["self"])["Images"]


def snapshot_exists(aws, snapshot_id):
    return bool(aws.ec2.describe_snapshots(
        Filters=[{"Name": "snapshot-id", "Values": [snapshot_id]}])["Snapshots"])


def bake(run_module, instance_id, name, **extra):
    args = dict(name=name, deployment=DEPLOYMENT, role="origin", instance_id=instance_id, no_reboot=True)
    args.update(extra)
    return run_module("aws_image", args, diff=True)


def test_lifecycle(run_module, aws, instance_id):
    args = dict(name="origin-1", deployment=DEPLOYMENT, role="origin", instance_id=instance_id,
                no_reboot=True, description="origin build 1")

    result = run_module("aws_image", args, check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["image_id"] is None
    assert result["diff"]["after"]["name"] == "origin-1"
    assert own_images(aws) == []

    result = run_module("aws_image", args)
    assert result["changed"] is True, result
    image_id = result["image_id"]
    assert result["image_state"] == "available"
    assert result["wait_progress"][-1].endswith("available")
    assert result["tags"]["streamfleet:role"] == "origin"
    image = aws.ec2.describe_images(ImageIds=[image_id])["Images"][0]
    assert image["Name"] == "origin-1"
    tags = {t["Key"]: t["Value"] for t in image["Tags"]}
    assert tags["streamfleet:deployment"] == DEPLOYMENT
    assert tags["streamfleet:managed-by"] == "streamfleet.cluster"
    snapshots = result["snapshot_ids"]
    assert snapshots
    # the snapshots carry the deployment tag too, so they are found (and cleaned) by it
    assert sorted(aws.tagged(DEPLOYMENT)) == sorted([image_id] + snapshots)

    result = run_module("aws_image", args)
    assert result["changed"] is False, result
    assert result["image_id"] == image_id
    assert result["api_calls"] == {"ec2.DescribeImages": 1}

    # in-place update: tags (image and snapshots); check mode first
    updated = dict(args, tags=dict(build="1"))
    result = run_module("aws_image", updated, check_mode=True, diff=True)
    assert result["changed"] is True
    assert "build" not in result["diff"]["before"]["tags"]
    assert result["diff"]["after"]["tags"]["build"] == "1"
    assert "build" not in {t["Key"] for t in aws.ec2.describe_images(ImageIds=[image_id])["Images"][0]["Tags"]}
    result = run_module("aws_image", updated)
    assert result["changed"] is True
    assert {"Key": "build", "Value": "1"} in aws.ec2.describe_images(ImageIds=[image_id])["Images"][0]["Tags"]
    assert run_module("aws_image", updated)["changed"] is False

    absent = dict(name="origin-1", state="absent")
    result = run_module("aws_image", absent, check_mode=True)
    assert result["changed"] is True
    assert len(own_images(aws)) == 1
    result = run_module("aws_image", absent)
    assert result["changed"] is True
    assert result["deregistered"][0]["snapshot_ids"] == snapshots
    assert own_images(aws) == []
    assert not snapshot_exists(aws, snapshots[0])
    assert aws.tagged(DEPLOYMENT) == []
    assert run_module("aws_image", absent)["changed"] is False


def test_keep_newest(run_module, aws, instance_id):
    first = bake(run_module, instance_id, "origin-1", keep=2)
    second = bake(run_module, instance_id, "origin-2", keep=2)
    assert first["deregistered"] == second["deregistered"] == []
    # an image of another role is not part of the family
    other = bake(run_module, instance_id, "edge-1", role="edge", keep=1)
    assert other["deregistered"] == []

    result = run_module("aws_image", dict(name="origin-3", deployment=DEPLOYMENT, role="origin",
                                          instance_id=instance_id, keep=2), check_mode=True)
    assert result["changed"] is True
    assert [d["name"] for d in result["deregistered"]] == ["origin-1"]
    assert len(own_images(aws)) == 3

    third = bake(run_module, instance_id, "origin-3", keep=2)
    assert [d["name"] for d in third["deregistered"]] == ["origin-1"]
    assert sorted(i["Name"] for i in own_images(aws)) == ["edge-1", "origin-2", "origin-3"]
    assert not snapshot_exists(aws, first["snapshot_ids"][0])

    # re-run with keep: nothing more to remove
    again = bake(run_module, instance_id, "origin-3", keep=2)
    assert again["changed"] is False
    assert again["api_calls"] == {"ec2.DescribeImages": 2}  # by name, then the family

    # absent without a name removes the whole family, nothing else
    result = run_module("aws_image", dict(deployment=DEPLOYMENT, role="origin", state="absent"))
    assert sorted(d["name"] for d in result["deregistered"]) == ["origin-2", "origin-3"]
    assert [i["Name"] for i in own_images(aws)] == ["edge-1"]


@pytest.mark.parametrize("change, message", [
    (dict(instance_id="i-0000000000deadbee"), "does not exist"),
    (dict(name="x"), "not a valid AMI name"),
    (dict(name="bad|name"), "not a valid AMI name"),
    (dict(keep=0), "at least 1"),
    (dict(instance_id=None), "instance_id is required"),
])
def test_bad_input_fails_before_any_change(run_module, aws, instance_id, change, message):
    args = dict(name="origin-1", deployment=DEPLOYMENT, role="origin", instance_id=instance_id)
    args.update(change)
    result = run_module("aws_image", args)
    assert result.get("failed") is True, result
    assert message in result["msg"]
    assert own_images(aws) == []
    assert not any(call.split(".")[1].startswith(("Create", "Deregister", "Delete"))
                   for call in result["api_calls"])


def test_keep_requires_role(run_module):
    result = run_module("aws_image", dict(name="origin-1", deployment=DEPLOYMENT, keep=2))
    assert result["failed"] is True and "role" in result["msg"]


def test_image_of_other_deployment_is_not_taken_over(run_module, instance_id):
    bake(run_module, instance_id, "origin-1")
    result = run_module("aws_image", dict(name="origin-1", deployment="other", instance_id=instance_id))
    assert result["failed"] is True and "belongs to deployment img-test" in result["msg"]


def test_playbook(playbook, aws, instance_id):
    image = {"name": "origin-pb", "deployment": DEPLOYMENT, "role": "origin",
             "instance_id": instance_id, "keep": 2}
    results = playbook.run([
        {"name": "bake (check)", "streamfleet.cluster.aws_image": image, "check_mode": True},
        {"name": "bake", "streamfleet.cluster.aws_image": image, "register": "baked"},
        {"name": "bake again", "streamfleet.cluster.aws_image": image},
        {"name": "remove", "streamfleet.cluster.aws_image": {"name": "origin-pb", "state": "absent"}},
    ], diff=True)
    assert [r["changed"] for r in results] == [True, True, False, True]
    assert results[1]["image_id"].startswith("ami-")
    assert aws.tagged(DEPLOYMENT) == []


def test_info_newest_of_family_and_of_name_pattern(run_module, aws, instance_id):
    lookup = dict(deployment=DEPLOYMENT, family="origin")
    none = run_module("aws_image_info", lookup)
    assert none["image_id"] is None and none["image"] is None and none["matched"] == 0
    assert none["changed"] is False and none["api_calls"] == {"ec2.DescribeImages": 1}
    failed = run_module("aws_image_info", dict(lookup, fail_when_none=True))
    assert failed["failed"] and "no available image matched" in failed["msg"] and "bake_image.yml" in failed["msg"]

    first = bake(run_module, instance_id, "origin-1")
    bake(run_module, instance_id, "edge-1", role="edge")  # another family
    found = run_module("aws_image_info", lookup, check_mode=True)
    assert found["image_id"] == first["image_id"] and found["matched"] == 1
    assert found["image"]["tags"]["streamfleet:role"] == "origin" and found["image"]["creation_date"]
    second = bake(run_module, instance_id, "origin-2")
    found = run_module("aws_image_info", lookup)
    assert found["image_id"] == second["image_id"] and found["matched"] == 2
    assert found["api_calls"] == {"ec2.DescribeImages": 1}
    # the same family of another deployment is not ours
    assert run_module("aws_image_info", dict(lookup, deployment="other"))["image_id"] is None

    # a base image by name pattern and owner (moto's stock Ubuntu images), newest by CreationDate
    pattern = "ubuntu/images/hvm-ssd/ubuntu-*-amd64-server-*"
    stock = aws.ec2.describe_images(Owners=["099720109477"], Filters=[{"Name": "name", "Values": [pattern]}])["Images"]
    base = run_module("aws_image_info", dict(name=pattern, owners=["099720109477"]))
    assert base["matched"] == len(stock) > 0
    assert base["image"]["creation_date"] == max(i["CreationDate"] for i in stock)
    assert base["api_calls"] == {"ec2.DescribeImages": 1}


@pytest.mark.parametrize("args, message", [
    (dict(family="origin"), "family"),
    (dict(deployment=DEPLOYMENT, family="origin", name="x-*"), "mutually exclusive"),
    (dict(deployment=DEPLOYMENT), "one of the following"),
])
def test_info_bad_input(run_module, args, message):
    result = run_module("aws_image_info", args)
    assert result["failed"] and message in result["msg"]
