"""The red5pro_nodegroup role end to end with ansible-playbook against the simulator."""


def role_vars(sm, **extra):
    values = {
        "red5pro_nodegroup_base_url": sm.url,
        "red5pro_nodegroup_retry_delay": 0.01,
        "red5pro_nodegroup_name": "nodegroup-sandbox",
        "red5pro_nodegroup_regions": ["us-east-1"],
        "red5pro_nodegroup_launch_config_image": "red5pro-node-image",
        "red5pro_nodegroup_readiness_delay": 0,
        "red5pro_nodegroup_wait_delay": 0,
        "red5pro_nodegroup_features": ["multibitrate", "dynamic_clustering"],
    }
    values.update(extra)
    return values


ROLE = [{"name": "Node group role", "ansible.builtin.include_role": {"name": "streamfleet.cluster.red5pro_nodegroup"}}]


def token_env(sm):
    """The token comes from the environment, as the role's default reads it; never on a command line."""
    return {"RED5PRO_SM_ACCESS_TOKEN": sm.token}


def by_name(results):
    """Results by task name, without the "role : " prefix the callback adds."""
    return {r["task"].split(" : ", 1)[-1]: r for r in results}


def test_role_twice_then_absent(sm, playbook):
    sm.reset(ready_after=2, node_polls=1)  # slow readiness: two 503 answers first
    env = token_env(sm)
    check = by_name(playbook.run(ROLE, check=True, play_vars=role_vars(sm), env=env))
    readiness = check["Wait for the Stream Manager cloud controller to be ready"]
    assert readiness["attempts"] == 3 and readiness["ready"] is True
    plan = check["Node group and its origins"]
    assert plan["changed"] is True and plan["origins_added"] == 1 and plan["polls"] == 0
    assert check["Wait until every node is in service"].get("skipped") is True
    assert "Node states" not in check or check["Node states"].get("skipped") is True
    assert sm.writes() == []

    first = by_name(playbook.run(ROLE, play_vars=role_vars(sm), env=env))
    assert first["Wait for the Stream Manager cloud controller to be ready"]["ready"] is True
    for task in ("Scale policy", "Launch configuration", "Node group and its origins"):
        assert first[task]["changed"] is True, task
    group_result = first["Node group and its origins"]
    # seed defaults: 1 origin added, 2 edges, 2 relays and 2 transcoders from the policy's minLimit;
    # the nodes are not in service yet, so the wait runs (one printed retry line per poll)
    assert group_result["origins_added"] == 1 and group_result["inservice"] is False
    assert group_result["origins_wanted"] == 1
    wait = first["Wait until every node is in service"]
    assert wait["node_groups"][0]["inservice"] is True and wait["node_groups"][0]["node_states"] == {"inservice": 7}
    # the simulator moves a node one state per read: pending, running, inservice
    assert wait["attempts"] >= 1
    assert "{'inservice': 7}" in first["Node states"]["msg"]
    group = sm.state()["groups"]["nodegroup-sandbox"]
    assert group["scalePolicy"] == "default-v3" and group["launchConfig"] == "all-nodes-launch"
    writes = len(sm.writes())

    calls = len(sm.state()["requests"])
    playbook.run(ROLE, play_vars=role_vars(sm), env=env)
    assert playbook.stats["changed"] == 0
    assert len(sm.writes()) == writes
    # A no-op reads each thing once (issue 20): readiness, policy, launch configuration, group,
    # nodes; the group is in service, so the wait is skipped.
    api = "/streammanager/api/4.0/admin"
    assert sm.state()["requests"][calls:] == [
        ["GET", api + "/debug/cloudcontroller"], ["GET", api + "/configurations/scalepolicy/default-v3"],
        ["GET", api + "/configurations/launchconfig/all-nodes-launch"],
        ["GET", api + "/nodegroup/nodegroup-sandbox"], ["GET", api + "/nodegroup/nodegroup-sandbox/node"]]
    assert sm.token not in playbook.last_output

    gone = by_name(playbook.run(ROLE, play_vars=role_vars(sm, red5pro_nodegroup_state="absent"), env=env))
    assert gone["Delete the node group (terminates its nodes)"]["changed"] is True
    state = sm.state()
    assert state["groups"] == {} and state["policies"] == {} and state["launchconfigs"] == {}


def test_role_wrong_token_stops_at_once(sm, playbook):
    results = by_name(playbook.run(ROLE, play_vars=role_vars(sm), env={"RED5PRO_SM_ACCESS_TOKEN": "nope-123456"},
                                   expect_failure=True))
    readiness = results["Wait for the Stream Manager cloud controller to be ready"]
    assert readiness["failed"] is True and readiness["attempts"] == 1
    assert "HTTP 401" in readiness["msg"]
    assert "nope-123456" not in playbook.last_output


def fast_readiness(sm, base_url, **extra):
    """A short readiness budget so the failures below come quickly."""
    return role_vars(sm, red5pro_nodegroup_base_url=base_url, red5pro_nodegroup_readiness_timeout=8,
                     red5pro_nodegroup_readiness_delay=1, red5pro_nodegroup_readiness_request_timeout=2,
                     **extra)


def failed_readiness(results):
    stop = results["Stop when the Stream Manager is not ready in time"]
    assert stop["failed"] is True
    assert "Scale policy" not in results  # nothing after the readiness wait ran
    return stop["msg"]


def test_role_reaches_ready_on_plain_text_readiness(sm, playbook):
    sm.reset(ready_after=1)
    results = by_name(playbook.run(ROLE, play_vars=role_vars(sm), env=token_env(sm)))
    readiness = results["Wait for the Stream Manager cloud controller to be ready"]
    assert readiness["ready"] is True and readiness["cloud_controller"] == "Amazon Web Services"
    assert results["Stop when the Stream Manager is not ready in time"].get("skipped") is True
    group = results["Node group and its origins"]
    assert group["inservice"] is True or results["Wait until every node is in service"]["node_groups"][0]["inservice"]


def test_role_closed_port_fails_within_the_timeout_with_the_cause(sm, playbook, closed_port):
    results = by_name(playbook.run(ROLE, play_vars=fast_readiness(sm, closed_port), env=token_env(sm),
                                   expect_failure=True))
    msg = failed_readiness(results)
    assert "red5pro_nodegroup_readiness_timeout=8" in msg
    assert ("GET %s/streammanager/api/4.0/admin/debug/cloudcontroller?accessToken=******** failed: "
            "cannot reach the Stream Manager" % closed_port) in msg
    elapsed = float(msg.split("not ready after ")[1].split(" s")[0])
    assert elapsed <= 8
    assert sm.token not in playbook.last_output


def test_role_hung_socket_fails_within_the_timeout_with_the_cause(sm, playbook, hung_server):
    results = by_name(playbook.run(ROLE, play_vars=fast_readiness(sm, hung_server), env=token_env(sm),
                                   expect_failure=True))
    msg = failed_readiness(results)
    assert "got no answer within 2 s (timeout)" in msg and hung_server in msg
    elapsed = float(msg.split("not ready after ")[1].split(" s")[0])
    assert elapsed <= 8
    readiness = results["Wait for the Stream Manager cloud controller to be ready"]
    assert readiness["ready"] is False and readiness["attempts"] >= 1


def test_role_wrong_token_shows_status_and_first_line(sm, playbook):
    results = by_name(playbook.run(ROLE, play_vars=role_vars(sm), env={"RED5PRO_SM_ACCESS_TOKEN": "bad-777"},
                                   expect_failure=True))
    readiness = results["Wait for the Stream Manager cloud controller to be ready"]
    assert readiness["status"] == 401 and readiness["attempts"] == 1
    assert readiness["msg"] == ("GET %s/streammanager/api/4.0/admin/debug/cloudcontroller?accessToken=******** "
                                "failed with HTTP 401: Invalid or missing accessToken (check access_token)" % sm.url)
    assert "bad-777" not in playbook.last_output
