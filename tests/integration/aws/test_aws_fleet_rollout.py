"""aws_fleet_rollout against moto: a group of 3 on template v1 rolled to v2, never below 3 in service."""
import time

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


def set_state_tag(aws, value):
    aws.autoscaling.create_or_update_tags(Tags=[dict(
        ResourceId=GROUP, ResourceType="auto-scaling-group", Key="streamfleet:rollout",
        Value=value, PropagateAtLaunch=False)])


def test_batches_of_two_and_an_interrupted_run_is_restored(run_module, aws, network, base_image_id, fleet):
    run_module("aws_launch_template", template_args(base_image_id, network, "t3.small"))
    # a run of the module before the lock existed stopped half way: sizes only, no owner
    set_state_tag(aws, "min=1;max=3;desired=3;suspended=AZRebalance")
    aws.autoscaling.suspend_processes(AutoScalingGroupName=GROUP, ScalingProcesses=["AZRebalance"])
    refused = rollout(run_module, batch_size=2)
    assert refused.get("failed") and "force_takeover=true" in refused["msg"], refused
    assert "unknown" in refused["msg"]
    group, versions = group_state(aws)
    assert set(v for v, _t in versions.values()) == {"1"}, "a refused run replaced something"

    result = rollout(run_module, batch_size=2, force_takeover=True)
    assert result["changed"], result
    assert result["lock"]["verdict"] == "takeover"
    assert [len(b) for b in result["batches"]] == [2, 1]
    assert result["min_in_service"] >= 3
    assert max(step["desired_capacity"] for step in result["progress"]) == 5
    group, versions = group_state(aws)
    assert set(versions.values()) == {("2", "t3.small")}
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (1, 3, 3)
    assert group["SuspendedProcesses"] == []
    assert rollout(run_module)["changed"] is False


def test_a_live_lock_of_another_run_is_refused_even_with_force_takeover(
        run_module, aws, network, base_image_id, fleet):
    run_module("aws_launch_template", template_args(base_image_id, network, "t3.small"))
    now = int(time.time())
    set_state_tag(aws, "run=other-run;started=%d;beat=%d;method=replace;min=1;max=3;desired=3;floor=3;suspended="
                  % (now - 30, now - 5))
    for check_mode in (True, False):
        refused = rollout(run_module, check_mode=check_mode, force_takeover=True)
        assert refused.get("failed"), refused
        assert "other-run" in refused["msg"] and "holds the lock" in refused["msg"]
        assert "run_id=other-run" in refused["msg"]
    assert not [c for c in refused["api_calls"] if not c.split(".")[1].startswith("Describe")], refused["api_calls"]
    group, versions = group_state(aws)
    assert set(v for v, _t in versions.values()) == {"1"} and group["DesiredCapacity"] == 3

    # the owner itself continues (a killed run re-run with its id)
    result = rollout(run_module, run_id="other-run")
    assert result["changed"] and result["lock"]["verdict"] == "own", result
    group, versions = group_state(aws)
    assert set(versions.values()) == {("2", "t3.small")}
    assert "streamfleet:rollout" not in {t["Key"] for t in group["Tags"]}


def test_min_healthy_is_kept_and_reported(run_module, aws, network, base_image_id, fleet):
    run_module("aws_launch_template", template_args(base_image_id, network, "t3.small"))
    planned = rollout(run_module, check_mode=True, min_healthy="100%")
    assert planned["min_healthy"] == 3 and planned["drain"]["hooks"] == [], planned
    too_many = rollout(run_module, min_healthy=4)
    assert too_many.get("failed") and "more than the capacity 3" in too_many["msg"], too_many
    result = rollout(run_module, min_healthy="67%", batch_size=3)
    assert result["changed"] and result["min_healthy"] == 3, result
    assert all(step["healthy"] >= 3 for step in result["progress"]), result["progress"]
    assert "no autoscaling:EC2_INSTANCE_TERMINATING lifecycle hook" in str(result.get("warnings")), result


def test_refuses_foreign_group_and_bad_input(run_module, aws, fleet):
    result = rollout(run_module, deployment="someone-else")
    assert result.get("failed") and "does not carry" in result["msg"]
    result = rollout(run_module, batch_size=0)
    assert result.get("failed") and "batch_size" in result["msg"]
    result = rollout(run_module, name="no-such-group")
    assert result.get("failed") and "does not exist" in result["msg"]
    for bad, words in ((dict(min_healthy="120%"), "between 0% and 100%"), (dict(min_healthy="lots"), "percentage"),
                       (dict(checkpoint_percentages=[50, 100]), "only apply to method instance_refresh"),
                       (dict(method="instance_refresh", checkpoint_percentages=[60, 40, 100]), "ascending"),
                       (dict(method="instance_refresh", checkpoint_percentages=[50]), "end with 100"),
                       (dict(state="cancelled"), "instance_refresh"), (dict(lock_stale_after=5), "at least 60"),
                       (dict(run_id="a;b"), "run_id")):
        result = rollout(run_module, **bad)
        assert result.get("failed") and words in result["msg"], (bad, result)
        assert result["api_calls"] == {}, "validated after calling AWS"


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
