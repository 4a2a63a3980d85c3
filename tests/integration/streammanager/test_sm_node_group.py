"""red5pro_node_group against the simulator: create, origins, wait in service, drift, delete."""
import pytest


@pytest.fixture
def configs(sm, run_module):
    """A scale policy (1 edge, 1 relay minimum) and a launch configuration on the simulator."""
    run_module("red5pro_scale_policy", sm.conn(name="policy", version="1", regions=[
        {"name": "us-east-1", "targets": [{"role": "origin", "min_limit": 1, "max_limit": 2},
                                          {"role": "edge", "min_limit": 1, "max_limit": 4},
                                          {"role": "relay", "min_limit": 1, "max_limit": 2}]}]))
    run_module("red5pro_launch_config", sm.conn(name="launch", image="red5pro-node", targets=[
        {"role": r, "instance_type": "c5.large", "connection_capacity": 2000}
        for r in ("origin", "edge", "relay")]))
    return sm


def group_args(sm, **extra):
    args = sm.conn(name="ng1", regions=["us-east-1"], launch_config="launch", scale_policy="policy",
                   origins=1, wait_interval=0.05, wait_timeout=20)
    args.update(extra)
    return args


def test_check_mode_writes_nothing(configs, run_module):
    before = len(configs.writes())
    result = run_module("red5pro_node_group", group_args(configs), check_mode=True, diff=True)
    assert result["changed"] is True and result["origins_added"] == 1
    assert result["diff"]["after"]["origins"] == 1
    assert len(configs.writes()) == before
    assert configs.state()["groups"] == {}


def test_create_adds_origin_and_waits_until_inservice(configs, run_module):
    result = run_module("red5pro_node_group", group_args(configs))
    assert result["changed"] is True and result["origins_added"] == 1
    assert result["inservice"] is True
    assert result["node_states"] == {"inservice": 3}
    assert sorted(n["role"] for n in result["nodes"]) == ["edge", "origin", "relay"]
    group = configs.state()["groups"]["ng1"]
    assert group["launchConfig"] == "launch" and group["scalePolicy"] == "policy"
    assert group["regions"] == ["us-east-1"]
    writes = configs.writes()
    assert ["POST", "/streammanager/api/4.0/admin/nodegroup"] in writes
    assert writes.count(["POST", "/streammanager/api/4.0/admin/nodegroup/ng1/node/origin"]) == 1

    again = run_module("red5pro_node_group", group_args(configs))
    assert again["changed"] is False and again["origins_added"] == 0
    assert run_module("red5pro_node_group", group_args(configs), check_mode=True)["changed"] is False
    assert len(configs.writes()) == len(writes)


def test_more_origins_adds_only_the_missing_ones(configs, run_module, clear_warnings):
    run_module("red5pro_node_group", group_args(configs))
    result = run_module("red5pro_node_group", group_args(configs, origins=3))
    assert result["changed"] is True and result["origins_added"] == 2
    assert sum(1 for n in result["nodes"] if n["role"] == "origin") == 3
    clear_warnings()
    fewer = run_module("red5pro_node_group", group_args(configs, origins=1))
    assert fewer["changed"] is False
    assert "none removed" in str(fewer["warnings"])


def test_no_wait_returns_pending_nodes(configs, run_module):
    configs.reset(node_polls=5)  # forgets the configurations: create small ones again
    run_module("red5pro_scale_policy", configs.conn(name="policy", regions=[
        {"name": "us-east-1", "targets": [{"role": "origin", "min_limit": 1, "max_limit": 1}]}]))
    run_module("red5pro_launch_config", configs.conn(name="launch", image="img", targets=[
        {"role": "origin", "instance_type": "c5.large", "connection_capacity": 10}]))
    result = run_module("red5pro_node_group", group_args(configs, wait=False))
    assert result["changed"] is True and result["inservice"] is False
    assert result["node_states"] == {"pending": 1}


def test_wait_timeout_fails_with_node_states(configs, run_module):
    configs.reset(node_polls=1000)
    run_module("red5pro_scale_policy", configs.conn(name="policy", regions=[
        {"name": "us-east-1", "targets": [{"role": "origin", "min_limit": 1, "max_limit": 1}]}]))
    run_module("red5pro_launch_config", configs.conn(name="launch", image="img", targets=[
        {"role": "origin", "instance_type": "c5.large", "connection_capacity": 10}]))
    result = run_module("red5pro_node_group", group_args(configs, wait_timeout=1, wait_interval=0.1))
    assert result["failed"] is True
    assert "timed out after 1s" in result["msg"] and "pending" in result["msg"]
    assert result["node_states"] == {"pending": 1}
    assert result["origins_added"] == 1


def test_missing_scale_policy_reports_server_message(sm, run_module):
    result = run_module("red5pro_node_group", group_args(sm))
    assert result["failed"] is True
    assert result["status"] == 400
    assert "scale policy 'policy' does not exist" in result["msg"]


def test_drift_is_reported_not_applied(configs, run_module):
    run_module("red5pro_node_group", group_args(configs))
    result = run_module("red5pro_node_group", group_args(configs, scale_policy="other"))
    assert result["changed"] is False
    assert result["drift"] == {"scalePolicy": {"current": "policy", "requested": "other"}}
    assert "cannot change a node group" in str(result["warnings"])


def test_delete(configs, run_module):
    run_module("red5pro_node_group", group_args(configs))
    absent = configs.conn(name="ng1", state="absent")
    check = run_module("red5pro_node_group", absent, check_mode=True, diff=True)
    assert check["changed"] is True and "ng1" in configs.state()["groups"]
    assert check["diff"]["before"]["name"] == "ng1"
    assert run_module("red5pro_node_group", absent)["changed"] is True
    assert configs.state()["groups"] == {}
    assert run_module("red5pro_node_group", absent)["changed"] is False


def test_noop_reads_the_group_and_its_nodes_once(configs, run_module):
    run_module("red5pro_node_group", group_args(configs))
    calls = len(configs.state()["requests"])
    again = run_module("red5pro_node_group", group_args(configs))
    assert again["changed"] is False and again["inservice"] is True and again["polls"] == 1
    assert configs.state()["requests"][calls:] == [
        ["GET", "/streammanager/api/4.0/admin/nodegroup/ng1"],
        ["GET", "/streammanager/api/4.0/admin/nodegroup/ng1/node"]]


def test_initial_origins_only_for_a_group_without_origins(configs, run_module):
    initial = group_args(configs, origins=None, initial_origins=2)
    plan = run_module("red5pro_node_group", initial, check_mode=True)
    assert plan["changed"] is True and plan["origins_added"] == 2 and plan["origins_wanted"] == 2
    first = run_module("red5pro_node_group", initial)
    assert first["origins_added"] == 2 and first["inservice"] is True
    assert first["progress"][-1]["node_states"] == first["node_states"]

    # The autoscaler scaled the origins in to one: the initial count is not brought back ...
    nodes = configs.sim.state.groups["ng1"]["nodes"]
    nodes.remove([n for n in nodes if n["role"] == "origin"][-1])
    kept = run_module("red5pro_node_group", initial)
    assert kept["changed"] is False and kept["origins_wanted"] == 0
    # ... but origins (at least) wins over it, and a group with no origin left gets them again.
    assert run_module("red5pro_node_group", dict(initial, origins=0))["changed"] is False
    nodes.remove([n for n in nodes if n["role"] == "origin"][-1])
    again = run_module("red5pro_node_group", initial)
    assert again["origins_added"] == 2
