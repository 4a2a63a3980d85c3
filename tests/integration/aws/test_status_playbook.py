"""playbooks/status.yml against moto: the table and the JSON of a deployment's groups."""
from integration.aws.test_aws_deployment_info import DEPLOYMENT, build_groups
from integration.aws.test_teardown_playbook import run_playbook


def test_status_playbook_table_and_json(playbook, run_module, aws, network, base_image_id, instance_id):
    made = build_groups(run_module, aws, network, base_image_id, instance_id)
    # The edge instances say which server they run; their private addresses (moto's) answer
    # nobody, so their session counts are unknown ("-").
    aws.autoscaling.create_or_update_tags(Tags=[{
        "ResourceId": DEPLOYMENT + "-edge", "ResourceType": "auto-scaling-group", "Key": "streamfleet:role",
        "Value": "antmedia-edge", "PropagateAtLaunch": True}])

    results, stats = run_playbook(playbook, "status.yml", {"deployment": DEPLOYMENT, "status_timeout": 1}, check=True)
    assert stats["changed"] == 0 and stats["failures"] == 0
    table = results["Show the status as a table"]["msg"]
    assert table[0] == "Deployment %s: 2 Auto Scaling groups" % DEPLOYMENT
    assert "%s-edge  [antmedia-edge]  min 1 / desired 2 / max 10" % DEPLOYMENT in table
    assert "  image: %s: OUTDATED, newest %s" % (made["old"], made["new"]) in [line.split(" (")[0] for line in table]
    assert "  hooks: drain (EC2_INSTANCE_TERMINATING, heartbeat 300 s, default CONTINUE)" in table
    assert any(line.startswith("  ROLLOUT IN PROGRESS") for line in table)
    rows = [line.split() for line in table if line.startswith("  i-")]
    assert len(rows) == 3 and all(row[-1] == "-" for row in rows)
    assert results["Show the status as JSON"].get("skipped") is True

    results, _stats = run_playbook(playbook, "status.yml", {"deployment": DEPLOYMENT, "status_format": "json",
                                                            "status_sessions": False})
    doc = results["Show the status as JSON"]["msg"]
    assert [g["name"] for g in doc["groups"]] == [DEPLOYMENT + "-edge", DEPLOYMENT + "-origin"]
    assert doc["sessions"] == {}
    assert doc["groups"][0]["newest_image"]["id"] == made["new"]


def test_status_playbook_refuses_bad_format(playbook):
    results, _stats = run_playbook(playbook, "status.yml", {"deployment": "x", "status_format": "yaml"},
                                   expect_failure=True)
    assert "status_format is table or json" in results["Check the inputs"]["msg"]
