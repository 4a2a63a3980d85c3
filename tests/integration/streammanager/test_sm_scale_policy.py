"""red5pro_scale_policy against the simulator: check mode, create, idempotence, update, delete."""
import json

SEED_REGIONS = [{"name": "default", "targets": [
    {"role": "edge", "min_limit": 2, "max_limit": 20},
    {"role": "origin", "min_limit": 2, "max_limit": 10},
    {"role": "relay", "min_limit": 2, "max_limit": 10},
    {"role": "transcoder", "min_limit": 2, "max_limit": 10, "scale_out_wait_time": 60000},
]}]


def policy_args(sm, **extra):
    args = sm.conn(name="default-v3", description="Sample Scale Config policy with all node types",
                   version="0.0.3", regions=SEED_REGIONS)
    args.update(extra)
    return args


def test_check_mode_create_writes_nothing(sm, run_module):
    result = run_module("red5pro_scale_policy", policy_args(sm), check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["name"] == "default-v3"
    assert sm.writes() == []
    assert sm.state()["policies"] == {}


def test_create_sends_vendor_body_then_rerun_is_unchanged(sm, run_module):
    result = run_module("red5pro_scale_policy", policy_args(sm))
    assert result["changed"] is True
    stored = sm.state()["policies"]["default-v3"]
    assert stored["type"] == "com.red5pro.services.autoscaling.model.ScalePolicyMaster"
    region = stored["targets"]["region"][0]
    assert region["name"] == "default"
    transcoder = [t for t in region["target"] if t["role"] == "transcoder"][0]
    assert transcoder == {"role": "transcoder", "minLimit": 2, "maxLimit": 10,
                          "scaleAdjustment": 1, "scaleOutWaitTime": 60000}
    assert sm.writes() == [["POST", "/streammanager/api/4.0/admin/configurations/scalepolicy"]]

    again = run_module("red5pro_scale_policy", policy_args(sm))
    assert again["changed"] is False
    check = run_module("red5pro_scale_policy", policy_args(sm), check_mode=True)
    assert check["changed"] is False
    assert len(sm.writes()) == 1


def test_server_side_strings_and_order_do_not_cause_updates(sm, run_module):
    # Seed 003 shows numbers as strings; a server answer in that form must compare equal.
    run_module("red5pro_scale_policy", policy_args(sm))
    policy = sm.sim.state.policies["default-v3"]
    for target in policy["targets"]["region"][0]["target"]:
        target["minLimit"] = str(target["minLimit"])
        target["scaleInWaitTime"] = 0
    policy["targets"]["region"][0]["target"].reverse()
    assert run_module("red5pro_scale_policy", policy_args(sm))["changed"] is False


def test_update_uses_put_and_diff_shows_change(sm, run_module):
    run_module("red5pro_scale_policy", policy_args(sm))
    regions = json.loads(json.dumps(SEED_REGIONS))
    regions[0]["targets"][0]["max_limit"] = 30
    check = run_module("red5pro_scale_policy", policy_args(sm, regions=regions),
                       check_mode=True, diff=True)
    assert check["changed"] is True
    assert len(sm.writes()) == 1
    result = run_module("red5pro_scale_policy", policy_args(sm, regions=regions), diff=True)
    assert result["changed"] is True
    before = [t for t in result["diff"]["before"]["targets"]["region"][0]["target"] if t["role"] == "edge"]
    after = [t for t in result["diff"]["after"]["targets"]["region"][0]["target"] if t["role"] == "edge"]
    assert before[0]["maxLimit"] == 20 and after[0]["maxLimit"] == 30
    assert sm.writes()[-1] == ["PUT", "/streammanager/api/4.0/admin/configurations/scalepolicy/default-v3"]
    assert run_module("red5pro_scale_policy", policy_args(sm, regions=regions))["changed"] is False


def test_unset_description_and_version_are_kept(sm, run_module):
    run_module("red5pro_scale_policy", policy_args(sm))
    args = policy_args(sm)
    del args["description"], args["version"]
    assert run_module("red5pro_scale_policy", args)["changed"] is False
    assert sm.state()["policies"]["default-v3"]["version"] == "0.0.3"


def test_delete(sm, run_module):
    run_module("red5pro_scale_policy", policy_args(sm))
    absent = sm.conn(name="default-v3", state="absent")
    check = run_module("red5pro_scale_policy", absent, check_mode=True)
    assert check["changed"] is True and "default-v3" in sm.state()["policies"]
    result = run_module("red5pro_scale_policy", absent)
    assert result["changed"] is True and result["policy"] is None
    assert sm.state()["policies"] == {}
    assert run_module("red5pro_scale_policy", absent)["changed"] is False


def test_validation_fails_before_any_request(sm, run_module):
    bad = [{"name": "default", "targets": [
        {"role": "edge", "min_limit": 5, "max_limit": 2},
        {"role": "origin", "min_limit": 1, "max_limit": 2, "scale_adjustment": 0},
        {"role": "relay", "min_limit": 1, "max_limit": 2, "scale_in_wait_time": -1},
    ]}]
    result = run_module("red5pro_scale_policy", policy_args(sm, regions=bad))
    assert result["failed"] is True
    assert ("regions[0].targets[0].min_limit=5 refused: must not exceed "
            "regions[0].targets[0].max_limit=2") in result["msg"]
    assert "scale_adjustment must be >= 1" in result["msg"]
    assert "scale_in_wait_time must be >= 0" in result["msg"]
    assert sm.state()["requests"] == []


def test_unknown_role_is_rejected(sm, run_module):
    bad = [{"name": "default", "targets": [{"role": "master", "min_limit": 1, "max_limit": 2}]}]
    result = run_module("red5pro_scale_policy", policy_args(sm, regions=bad))
    assert result["failed"] is True and "master" in result["msg"]
    assert sm.state()["requests"] == []


def test_features_warn_with_fewer_than_two_of_each(sm, run_module, clear_warnings):
    small = [{"name": "default", "targets": [
        {"role": "origin", "min_limit": 1, "max_limit": 2},
        {"role": "edge", "min_limit": 2, "max_limit": 4},
    ]}]
    result = run_module("red5pro_scale_policy",
                        policy_args(sm, regions=small, features=["multibitrate", "dynamic_clustering"]))
    assert result["changed"] is True
    text = json.dumps(result["warnings"])
    assert "multibitrate" in text and "dynamic_clustering" in text
    assert "origin, relay" in text
    clear_warnings()
    quiet = run_module("red5pro_scale_policy", policy_args(sm, features=["multibitrate"]))
    assert not quiet.get("warnings")


def test_limits_stored_as_floats_or_strings_are_not_a_change(sm, run_module):
    """The vendor's script posts limits as floats (40.0), its docs as strings ("2")."""
    import json
    import urllib.request

    body = {"policy": {"name": "tf", "description": "", "version": "0.0.1",
                       "type": "com.red5pro.services.autoscaling.model.ScalePolicyMaster",
                       "targets": {"region": [{"name": "default", "target": [
                           {"role": "origin", "minLimit": 1.0, "maxLimit": "40", "scaleAdjustment": 1.0}]}]}}}
    req = urllib.request.Request(sm.url + "/streammanager/api/4.0/admin/configurations/scalepolicy?accessToken="
                                 + sm.token, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert json.loads(resp.read())["policy"]["name"] == "tf"
    result = run_module("red5pro_scale_policy", sm.conn(name="tf", regions=[
        {"name": "default", "targets": [{"role": "origin", "min_limit": 1, "max_limit": 40}]}]))
    assert result["changed"] is False
