"""rolling_image_update.yml killed (SIGKILL of the playbook's process tree) at three points, then re-run.

The fault proxy (tests/lib/fault_proxy.py) between the playbook's module and moto counts the API
calls by operation and, when the chosen call has been answered, SIGKILLs the playbook and every process below it (worker,
module) as soon as the module sends its next request: the kill falls between two API calls, as a crash, an OOM kill or a closed
AWX job would. After every call it also snapshots the group straight from moto and counts the
instances InService/Healthy in the group *and* healthy in its target group.

After the re-run the test counts: instances = the original capacity, all on the new launch
template version, no instance of the group left outside it, sizes restored, no suspended
process, no state tag, and the healthy count never below the minimum (3) in any snapshot of
either run. moto terminates instances at once and has no Terminating:Wait, so the drain wait
itself is not exercised here (see docs/rolling-update.md); the hook is declared on the group.
"""
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from lib.fault_proxy import FaultProxy, TreeKiller, gone

DEPLOYMENT = "resumetest"
GROUP = "edge-resume"
TEMPLATE = "edge-resume-template"
CAPACITY = 3
REPO = Path(__file__).resolve().parents[3]


class KillingProxy(FaultProxy):
    """The fault proxy, one request at a time, snapshotting moto after each call; when the chosen
    call has been answered, the next request SIGKILLs the playbook's tree and is refused, as is
    everything after it."""

    def __init__(self, upstream, snapshot):
        self.snapshot = snapshot
        self.snapshots = []
        self.killer = TreeKiller()
        super().__init__(upstream, serial=True)
        self.observers.append(lambda key: self.snapshots.append((key[1], self.snapshot())))
        self.start()

    def reset(self, kill_at=None, proc=None):
        super().reset()
        self.snapshots, self.kill_at = [], kill_at
        self.killer = TreeKiller(proc.pid if proc else None)
        if kill_at:
            self.on(kill_at[0], self.killer, nth=kill_at[1], when="next", then="refuse")

    @property
    def operations(self):
        return [action for _service, action in self.calls]

    @property
    def proc(self):
        return self._proc

    @proc.setter
    def proc(self, proc):
        self._proc = proc
        self.killer.pid = proc.pid

    @property
    def killed(self):
        return self.killer.killed

    @property
    def victims(self):
        return self.killer.victims


def healthy_count(aws):
    """Instances InService and Healthy in the group and healthy in every target group of it."""
    group = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[GROUP])["AutoScalingGroups"][0]
    ids = {i["InstanceId"] for i in group["Instances"]
           if i["LifecycleState"] == "InService" and i["HealthStatus"] == "Healthy"}
    for arn in group.get("TargetGroupARNs", []):
        ids &= {d["Target"]["Id"] for d in aws.elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
                if d["TargetHealth"]["State"] == "healthy"}
    return dict(healthy=len(ids), desired=group["DesiredCapacity"], max=group["MaxSize"],
                instances=len(group["Instances"]))


@pytest.fixture
def fleet(run_module, aws, network, base_image_id):
    """A group of 3 protected instances on template v1 in a target group, with a termination
    hook; then template v2 (a new instance type) as the default."""
    template = dict(name=TEMPLATE, deployment=DEPLOYMENT, image_id=base_image_id, instance_type="t3.micro",
                    security_group_ids=[network["security_group_id"]])
    assert run_module("aws_launch_template", template)["changed"]
    aws.elbv2.create_target_group(Name="resume-5080", Protocol="HTTP", Port=5080, VpcId=network["vpc_id"])
    result = run_module("aws_fleet", dict(
        name=GROUP, deployment=DEPLOYMENT, launch_template=dict(name=TEMPLATE, version="$Default"),
        subnets=network["subnet_ids"], min_size=1, max_size=CAPACITY, desired_capacity=CAPACITY,
        protect_from_scale_in=True, target_groups=["resume-5080"], wait_timeout=60,
        lifecycle_hooks=[dict(name="drain", transition="autoscaling:EC2_INSTANCE_TERMINATING",
                              heartbeat_timeout=300, default_result="CONTINUE")]))
    assert result["changed"], result
    template.update(instance_type="t3.small")
    assert run_module("aws_launch_template", template)["default_version"] == 2
    return sorted(i["instance_id"] for i in result["group"]["instances"])


def start_playbook(playbook, proxy, **extra):
    args = dict(deployment=DEPLOYMENT, rolling_update_groups=[GROUP], rolling_update_poll_interval=1,
                rolling_update_wait_timeout=60)
    args.update(extra)
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,",
           str(REPO / "playbooks" / "rolling_image_update.yml"), "-e", json.dumps(args)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=playbook.env(dict(AWS_ENDPOINT_URL=proxy.url)), cwd=playbook.tmp_path)


def rollout_task(stdout):
    doc = json.loads(stdout)
    for task in doc["plays"][0]["tasks"]:
        if task["task"]["name"] == "Replace the instances that run an older launch template version":
            return task["hosts"]["localhost"]["results"][0]
    raise AssertionError("no rollout task in:\n" + stdout)


def run_to_end(playbook, proxy, expect_ok=True, **extra):
    proxy.reset()
    proc = start_playbook(playbook, proxy, **extra)
    proxy.proc = proc
    out, err = proc.communicate(timeout=600)
    assert (proc.returncode == 0) == expect_ok, out + err
    return rollout_task(out)


def state_tag(aws):
    group = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[GROUP])["AutoScalingGroups"][0]
    return {t["Key"]: t["Value"] for t in group["Tags"]}.get("streamfleet:rollout")


SUSPENDED = ["AZRebalance", "AlarmNotification", "ScheduledActions"]
# (operation, occurrence) after which the playbook is killed, and what the group shows then
KILL_POINTS = {
    # the lock and state tag written, nothing else yet
    "after-lock": (("CreateOrUpdateTags", 1), dict(desired=3, max=3, suspended=[])),
    # batch 2 launched: one instance more than the capacity, the maximum raised
    "mid-batch": (("UpdateAutoScalingGroup", 2), dict(desired=4, max=4, suspended=SUSPENDED)),
    # every old instance terminated; sizes, processes and tag not restored yet
    "before-restore": (("TerminateInstanceInAutoScalingGroup", 3), dict(desired=3, max=4, suspended=SUSPENDED)),
}


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_killed_rolling_update_resumes(point, playbook, aws, fleet):
    kill_at, expected = KILL_POINTS[point]
    snapshots = []
    proxy = KillingProxy(aws.endpoint_url, lambda: healthy_count(aws))
    try:
        proxy.reset(kill_at=kill_at)
        proc = proxy.proc = start_playbook(playbook, proxy, rolling_update_run_id="first-run")
        out, err = proc.communicate(timeout=600)
        assert proxy.killed and proc.returncode == -signal.SIGKILL, (proxy.operations, out, err)
        assert len(proxy.victims) >= 3, proxy.victims  # playbook, worker, module (and its shell)
        assert gone(proxy.victims), "part of the killed playbook still runs"
        assert proxy.operations[-1] == kill_at[0], proxy.operations
        snapshots += proxy.snapshots

        group = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[GROUP])["AutoScalingGroups"][0]
        assert (group["DesiredCapacity"], group["MaxSize"]) == (expected["desired"], expected["max"]), group
        assert sorted(p["ProcessName"] for p in group["SuspendedProcesses"]) == expected["suspended"]
        assert "run=first-run" in state_tag(aws)

        if point == "mid-batch":
            # a new run while the killed one's lock is fresh refuses and changes nothing
            refused = run_to_end(playbook, proxy, expect_ok=False)
            assert "first-run" in refused["msg"] and "holds the lock" in refused["msg"], refused
            assert not [c for c in proxy.operations if not c.startswith("Describe")], proxy.operations
            snapshots += proxy.snapshots
            # time passes: the killed run's last sign of life is an hour old, the lock stale
            tag = state_tag(aws)
            beat = int(tag.split("beat=")[1].split(";")[0])
            aws.autoscaling.create_or_update_tags(Tags=[dict(
                ResourceId=GROUP, ResourceType="auto-scaling-group", Key="streamfleet:rollout",
                Value=tag.replace("beat=%d" % beat, "beat=%d" % (beat - 3600)), PropagateAtLaunch=False)])
            result = run_to_end(playbook, proxy, rolling_update_force_takeover=True)
            assert result["lock"]["verdict"] == "takeover" and result["lock"]["owner"] == "first-run", result
        else:
            result = run_to_end(playbook, proxy, rolling_update_run_id="first-run")
            assert result["lock"].get("verdict") == "own", json.dumps(result)[:4000]
        snapshots += proxy.snapshots
        assert result["changed"] and result["outdated"] == [], result
        assert result["min_healthy"] == CAPACITY

        # the counts
        group = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[GROUP])["AutoScalingGroups"][0]
        ids = sorted(i["InstanceId"] for i in group["Instances"])
        assert len(ids) == CAPACITY and not set(ids) & set(fleet)
        instances = [i for r in aws.ec2.describe_instances(InstanceIds=ids)["Reservations"] for i in r["Instances"]]
        assert {({t["Key"]: t["Value"] for t in i["Tags"]}["aws:ec2launchtemplate:version"], i["InstanceType"])
                for i in instances} == {("2", "t3.small")}
        assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"]) == (1, CAPACITY, CAPACITY)
        assert group["SuspendedProcesses"] == []
        assert state_tag(aws) is None
        running = [i["InstanceId"] for r in aws.ec2.describe_instances(Filters=[
            {"Name": "tag:aws:autoscaling:groupName", "Values": [GROUP]},
            {"Name": "instance-state-name", "Values": ["pending", "running"]}])["Reservations"] for i in r["Instances"]]
        assert sorted(running) == ids, "instances of the group left outside it"
        assert snapshots and min(s["healthy"] for _op, s in snapshots) >= CAPACITY, [
            (op, s) for op, s in snapshots if s["healthy"] < CAPACITY]
        assert max(s["instances"] for _op, s in snapshots) <= CAPACITY + 1

        again = run_to_end(playbook, proxy)
        assert again["changed"] is False
    finally:
        proxy.close()
