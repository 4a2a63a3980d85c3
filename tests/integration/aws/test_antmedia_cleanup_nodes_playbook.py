"""playbooks/antmedia_cleanup_nodes.yml against moto: the live addresses come from the
deployment's instances, --check --diff plans, the run removes, a second run changes nothing.

The cluster database is a pymongo stand-in (fake_pymongo/) holding documents laid out as Ant
Media's ClusterNode (ant-media/Ant-Media-Server 5130ad8893a2a36d36f167045cf3db41cdf0057c,
src/main/java/io/antmedia/cluster/ClusterNode.java); the module itself runs against a real
mongod in the Molecule scenario ``mongodb``.
"""
import json
import time
from pathlib import Path

from integration.aws.test_teardown_playbook import run_playbook

DEPLOYMENT = "cleanup-test"
FAKE_PYMONGO = Path(__file__).resolve().parent / "fake_pymongo"


def seed(path, nodes):
    now = int(time.time() * 1000)
    docs = [{"_id": ident, "_t": "ClusterNode", "ip": ip, "lastUpdateTime": now - age * 1000, "memory": "1024",
             "cpu": "5", "dbQueryAveargeTimeMs": 1} for ident, ip, age in nodes]
    path.write_text(json.dumps({"clusterdb.clusternode": docs}))


def ids(path):
    return sorted(doc["_id"] for doc in json.loads(path.read_text())["clusterdb.clusternode"])


def test_cleanup_playbook(playbook, aws, network, base_image_id, monkeypatch, tmp_path):
    store = tmp_path / "mongo.json"
    monkeypatch.setenv("FAKE_PYMONGO_STORE", str(store))
    monkeypatch.setenv("PYTHONPATH", str(FAKE_PYMONGO))
    reservation = aws.ec2.run_instances(
        ImageId=base_image_id, MinCount=2, MaxCount=2, SubnetId=network["subnet_ids"][0],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "streamfleet:deployment", "Value": DEPLOYMENT}]}])
    live = sorted(i["PrivateIpAddress"] for i in reservation["Instances"])
    seed(store, [("origin", live[0], 1), ("edge", live[1], 2), ("gone-1", "10.99.0.1", 3600),
                 ("gone-2", "10.99.0.2", 1200), ("just-started", "10.99.0.3", 1)])
    extra = {"deployment": DEPLOYMENT, "antmedia_mongodb_hosts": "localhost", "ansible_connection": "local",
             "antmedia_cleanup_nodes_mongodb_password": "unit-only",
             # Longer than the three runs take, so "just-started" stays alive throughout.
             "antmedia_cleanup_nodes_dead_after": 600}

    plan, stats = run_playbook(playbook, "antmedia_cleanup_nodes.yml", extra, check=True)
    assert plan["Collect the addresses of the live instances"]["ansible_facts"]["antmedia_cleanup_nodes_keep"] == live
    task = plan["Remove the nodes whose instances are gone"]
    assert task["changed"] is True and sorted(n["id"] for n in task["removed"]) == ["gone-1", "gone-2"]
    assert "gone-1 10.99.0.1" in task["diff"]["before"] and "gone-1" not in task["diff"]["after"]
    assert "unit-only" not in json.dumps(plan)
    assert len(ids(store)) == 5

    results, stats = run_playbook(playbook, "antmedia_cleanup_nodes.yml", extra)
    assert results["Remove the nodes whose instances are gone"]["deleted_count"] == 2
    assert ids(store) == ["edge", "just-started", "origin"]

    again, stats = run_playbook(playbook, "antmedia_cleanup_nodes.yml", extra)
    assert stats["changed"] == 0


def test_refuses_a_deployment_without_instances(playbook, monkeypatch, tmp_path):
    store = tmp_path / "mongo.json"
    monkeypatch.setenv("FAKE_PYMONGO_STORE", str(store))
    monkeypatch.setenv("PYTHONPATH", str(FAKE_PYMONGO))
    seed(store, [("gone", "10.99.0.1", 3600), ("live", "10.99.0.2", 1)])
    results, _stats = run_playbook(playbook, "antmedia_cleanup_nodes.yml",
                                   {"deployment": "no-such-deployment", "antmedia_mongodb_hosts": "localhost",
                                    "ansible_connection": "local"}, expect_failure=True)
    assert "has no instance" in results["Refuse to clean up a deployment without instances"]["msg"]
    assert ids(store) == ["gone", "live"]
