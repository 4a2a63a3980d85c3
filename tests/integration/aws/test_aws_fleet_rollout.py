"""aws_fleet_rollout against moto: a group of 3 on template v1 rolled to v2, never below 3 in service."""
import pytest

DEPLOYMENT = "rollouttest"
GROUP = "edge-fleet"
TEMPLATE = "edge-template"


def template_args(image_id, network, instance_type):
    return dict(name=TEMPLATE, deployment=DEPLOYMENT, image_id=image_id, instance_type=instance_type,
                security_group_ids=[network["security_group_id"]])


@pytest.fixture
def fleet(run_module, aws, network, base_image_id):
    """Template v1 and a group of 3 protected instances registered in a target group."""
    result = run_module("aws_launch_template", template_args(base_image_id, network, "t3.micro"))
    assert result["changed"], result
    aws.elbv2.create_target_group(Name="edge-5080", Protocol="HTTP", Port=5080, VpcId=network["vpc_id"])
    result = run_module("aws_fleet", dict(
        name=GROUP, deployment=DEPLOYMENT, launch_template=dict(name=TEMPLATE, version="$Default"),
        subnets=network["subnet_ids"], min_size=1, max_size=3, desired_capacity=3,
        protect_from_scale_in=True, target_groups=["edge-5080"], wait_timeout=60))
    assert result["changed"], result
    return result["group"]


def group_state(aws):
    group = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[GROUP])["AutoScalingGroups"][0]
    ids = [i["InstanceId"] for i in group["Instances"]]
    versions = {}
    for reservation in aws.ec2.describe_instances(InstanceIds=ids)["Reservations"]:
        for instance in reservation["Instances"]:
            tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
            versions[instance["InstanceId"]] = (tags.get("aws:ec2launchtemplate:version"), instance["InstanceType"])
    return group, versions


def rollout(run_module, check_mode=False, diff=False, **args):
    params = dict(name=GROUP, deployment=DEPLOYMENT, batch_size=1, poll_interval=1, wait_timeout=60)
    params.update(args)
    return run_module("aws_fleet_rollout", params, check_mode=check_mode, diff=diff)


def test_nothing_to_replace_is_not_a_change(run_module, fleet):
    result = rollout(run_module)
    assert result["changed"] is False, result
    assert result["outdated"] == [] and len(result["up_to_date"]) == 3
    assert result["launch_template_version"] == "1"


def test_rollout_replaces_every_old_instance_one_batch_at_a_time(run_module, aws, network, base_image_id, fleet):
    old_ids = sorted(i["instance_id"] for i in fleet["instances"])
    result = run_module("aws_launch_template", template_args(base_image_id, network, "t3.small"))
    assert result["version_created"] and result["default_version"] == 2, result

    planned = rollout(run_module, check_mode=True, diff=True)
    assert planned["changed"] is True, planned
    assert sorted(planned["replaced"]) == old_ids
    assert planned["batches"] == [[i] for i in old_ids]
    assert planned["diff"]["before"]["outdated"] == old_ids
    group, versions = group_state(aws)
    assert sorted(versions) == old_ids, "check mode replaced something"
    assert group["DesiredCapacity"] == 3 and group["MaxSize"] == 3

    result = rollout(run_module)
    assert result["changed"] is True, result
    assert sorted(r["instance_id"] for r in result["replaced"]) == old_ids
    assert [r["batch"] for r in result["replaced"]] == [1, 2, 3]
    # never below the healthy minimum (the capacity the group had): recorded at every step
    assert result["min_in_service"] >= 3, result["progress"]
    assert all(step["in_service"] >= 3 for step in result["progress"]), result["progress"]
    assert max(step["desired_capacity"] for step in result["progress"]) == 4
    assert all(step["desired_capacity"] > 0 for step in result["progress"])
    assert result["outdated"] == []

    group, versions = group_state(aws)
    assert len(versions) == 3 and not set(versions) & set(old_ids)
    assert set(versions.values()) == {("2", "t3.small")}
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (1, 3, 3)
    assert group["SuspendedProcesses"] == []
    assert "streamfleet:rollout" not in {t["Key"] for t in group["Tags"]}
    for old in old_ids:
        state = aws.ec2.describe_instances(InstanceIds=[old])["Reservations"][0]["Instances"][0]["State"]["Name"]
        assert state in ("terminated", "shutting-down")

    again = rollout(run_module)
    assert again["changed"] is False, again
    assert not [c for c in again["api_calls"] if c.split(".")[1].startswith(("Update", "Terminate", "Set"))]


def test_batches_of_two_and_an_interrupted_run_is_restored(run_module, aws, network, base_image_id, fleet):
    run_module("aws_launch_template", template_args(base_image_id, network, "t3.small"))
    # a previous run that stopped half way left its state tag and a raised capacity
    aws.autoscaling.create_or_update_tags(Tags=[dict(
        ResourceId=GROUP, ResourceType="auto-scaling-group", Key="streamfleet:rollout",
        Value="min=1;max=3;desired=3;suspended=AZRebalance", PropagateAtLaunch=False)])
    aws.autoscaling.suspend_processes(AutoScalingGroupName=GROUP, ScalingProcesses=["AZRebalance"])
    result = rollout(run_module, batch_size=2)
    assert result["changed"], result
    assert [len(b) for b in result["batches"]] == [2, 1]
    assert result["min_in_service"] >= 3
    group, versions = group_state(aws)
    assert set(versions.values()) == {("2", "t3.small")}
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (1, 3, 3)
    assert group["SuspendedProcesses"] == []
    assert rollout(run_module)["changed"] is False


def test_refuses_foreign_group_and_bad_input(run_module, aws, fleet):
    result = rollout(run_module, deployment="someone-else")
    assert result.get("failed") and "does not carry" in result["msg"]
    result = rollout(run_module, batch_size=0)
    assert result.get("failed") and "batch_size" in result["msg"]
    result = rollout(run_module, name="no-such-group")
    assert result.get("failed") and "does not exist" in result["msg"]


def test_rolling_image_update_playbook(playbook, aws, network, base_image_id, fleet):
    """playbooks/rolling_image_update.yml: plan, new template version with a new image, rollout, no-op."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[3]
    # a second image to roll out
    vpc_instance = aws.ec2.run_instances(ImageId=base_image_id, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                         SubnetId=network["subnet_ids"][0])["Instances"][0]["InstanceId"]
    new_image = aws.ec2.create_image(InstanceId=vpc_instance, Name="edge-v2")["ImageId"]
    extra = dict(deployment=DEPLOYMENT, rolling_update_image_id=new_image, rolling_update_groups=[GROUP],
                 rolling_update_poll_interval=1, rolling_update_wait_timeout=60,
                 rolling_update_launch_template=dict(name=TEMPLATE, instance_type="t3.micro",
                                                     security_group_ids=[network["security_group_id"]]))

    def run(check=False):
        cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,",
               str(repo / "playbooks" / "rolling_image_update.yml"), "-e", json.dumps(extra)]
        if check:
            cmd += ["--check", "--diff"]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=playbook.env(), cwd=playbook.tmp_path, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        doc = json.loads(proc.stdout)
        tasks = {t["task"]["name"]: t["hosts"].get("localhost", {}) for t in doc["plays"][0]["tasks"]}
        return tasks, doc["stats"]["localhost"]

    old_ids = sorted(i["instance_id"] for i in fleet["instances"])
    plan, _stats = run(check=True)
    assert all(i in plan["Plan - every instance of the groups would be replaced once the new version exists"]["msg"]
               for i in old_ids)
    group, versions = group_state(aws)
    assert sorted(versions) == old_ids

    done, stats = run()
    assert stats["changed"] == 2 and stats["failures"] == 0
    group, versions = group_state(aws)
    assert not set(versions) & set(old_ids) and len(versions) == 3
    images = {r["ImageId"] for res in aws.ec2.describe_instances(InstanceIds=list(versions))["Reservations"]
              for r in res["Instances"]}
    assert images == {new_image}
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (1, 3, 3)

    _done, stats = run()
    assert stats["changed"] == 0
