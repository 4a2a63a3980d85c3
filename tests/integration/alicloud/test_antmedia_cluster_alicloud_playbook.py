"""playbooks/antmedia_cluster_alicloud.yml with inventories/alicloud-example against the stand-in."""
import json
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
PLAYBOOK = REPO / "playbooks" / "antmedia_cluster_alicloud.yml"
INVENTORY = REPO / "inventories" / "alicloud-example"


def run_playbook(standin, playbook, extra_vars=None, check=False):
    env = playbook.env({
        "ALIBABA_CLOUD_ACCESS_KEY_ID": standin.access_key_id,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": standin.access_key_secret,
    })
    ev = {"antmedia_cluster_alicloud_endpoint": standin.endpoint,
          "antmedia_cluster_alicloud_wait_poll_interval": 0.05}
    ev.update(extra_vars or {})
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(INVENTORY), str(PLAYBOOK),
           "-e", json.dumps(ev)]
    if check:
        cmd += ["--check", "--diff"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(REPO), timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    # The JSON callback names role tasks "role : task".
    tasks = {t["task"]["name"].split(" : ")[-1]: t["hosts"]["localhost"] for t in doc["plays"][0]["tasks"]}
    return doc["stats"]["localhost"], tasks


def test_playbook_previews_creates_and_is_idempotent(standin, playbook):
    stats, tasks = run_playbook(standin, playbook, check=True)
    assert tasks["Apply the ROS stack"]["changed"] is True
    assert tasks["Apply the ROS stack"]["status"] == "PREVIEW"
    assert standin.stacks() == []

    stats, tasks = run_playbook(standin, playbook)
    assert stats["changed"] == 1 and stats["failures"] == 0
    stack = tasks["Apply the ROS stack"]
    assert stack["status"] == "CREATE_COMPLETE"
    outputs = tasks["Publish the stack outputs"]["ansible_facts"]["antmedia_cluster_alicloud_outputs"]
    assert set(outputs) >= {"AlbDnsName", "OriginScalingGroupId", "EdgeScalingGroupId", "MongoDbPrivateIp"}
    assert outputs["AlbDnsName"].endswith(".alb.aliyuncs.com")
    [live] = standin.stacks()
    assert live["StackName"] == "antmedia-example"

    stats, tasks = run_playbook(standin, playbook)
    assert stats["changed"] == 0, tasks
    assert "UpdateStack" not in standin.calls()

    stats, tasks = run_playbook(standin, playbook, {"antmedia_cluster_alicloud_edge": {
        "instance_type": "ecs.g6e.2xlarge", "min_size": 2, "max_size": 12, "desired_capacity": 3, "cooldown": 300}})
    assert stats["changed"] == 1 and tasks["Apply the ROS stack"]["status"] == "UPDATE_COMPLETE"

    stats, tasks = run_playbook(standin, playbook, {"antmedia_cluster_alicloud_state": "absent"})
    assert stats["changed"] == 1 and standin.stacks() == []


def test_playbook_refuses_ssh_from_everywhere(standin, playbook):
    env = playbook.env({"ALIBABA_CLOUD_ACCESS_KEY_ID": standin.access_key_id,
                        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": standin.access_key_secret})
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(INVENTORY), str(PLAYBOOK),
           "-e", json.dumps({"antmedia_cluster_alicloud_endpoint": standin.endpoint,
                             "antmedia_cluster_alicloud_admin_cidr": "0.0.0.0/0"})]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(REPO), timeout=300, check=False)
    assert proc.returncode != 0
    assert standin.calls() == []


def test_example_inventory_holds_placeholders_only():
    doc = yaml.safe_load((INVENTORY / "group_vars" / "all.yml").read_text())
    assert doc["antmedia_cluster_alicloud_access_key_id"].startswith("{{ vault_")
    assert doc["antmedia_cluster_alicloud_access_key_secret"].startswith("{{ vault_")
    assert "REPLACE" in doc["antmedia_cluster_alicloud_image_id"]
