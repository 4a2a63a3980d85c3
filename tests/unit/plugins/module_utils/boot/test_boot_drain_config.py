"""``streamfleet-boot drain-config``: the boot user data sets the topology's drain limits.

The file starts as the server_boot role writes it (drain.json.j2: ``to_nice_json``, sorted keys,
two spaces); the command changes the given keys only, refuses what the agent would refuse
before anything is written, and a second run with the same settings changes nothing (exit 0).
"""
import io
import json
import os
import stat

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.boot import cli
from ansible_collections.streamfleet.cluster.plugins.module_utils.drain import agent

BAKED = {
    "server": "antmedia", "lifecycle_hook_name": "streamfleet-drain", "auto_scaling_group_name": "",
    "lifecycle_action_result": "CONTINUE", "max_drain_seconds": 3600, "heartbeat_interval_seconds": 60,
    "state_poll_seconds": 5, "session_poll_seconds": 10, "request_timeout_seconds": 5, "retry_max_seconds": 60,
    "imds_endpoint": "http://169.254.169.254", "autoscaling_endpoint": "", "sessions": {},
}


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    rc = cli.main(argv, out, err)
    return rc, err.getvalue()


@pytest.fixture
def drain_json(tmp_path):
    path = tmp_path / "drain.json"
    path.write_text(json.dumps(BAKED, indent=2, sort_keys=True, separators=(",", ": ")) + "\n")
    path.chmod(0o644)
    return path


def test_sets_the_limits_then_nothing(drain_json):
    argv = ["drain-config", "--config", str(drain_json), "--set", "max_drain_seconds=7200",
            "--set", "heartbeat_interval_seconds=150"]
    rc, err = run(argv)
    assert rc == cli.EXIT_CHANGED, err
    assert "max_drain_seconds=7200" in err and "heartbeat_interval_seconds=150" in err
    written = json.loads(drain_json.read_text())
    assert written == dict(BAKED, max_drain_seconds=7200, heartbeat_interval_seconds=150)
    assert isinstance(written["max_drain_seconds"], int)
    assert stat.S_IMODE(drain_json.stat().st_mode) == 0o644
    assert agent.load_config(drain_json.read_text())["max_drain_seconds"] == 7200
    before = drain_json.read_bytes()
    rc, err = run(argv)
    assert rc == cli.EXIT_UNCHANGED and "already current" in err
    assert drain_json.read_bytes() == before


def test_same_value_as_baked_changes_nothing(drain_json):
    before = drain_json.read_bytes()
    rc, _err = run(["drain-config", "--config", str(drain_json), "--set", "max_drain_seconds=3600"])
    assert rc == cli.EXIT_UNCHANGED
    assert drain_json.read_bytes() == before


def test_text_setting_is_kept_as_text(drain_json):
    rc, _err = run(["drain-config", "--config", str(drain_json), "--set", "auto_scaling_group_name=123"])
    assert rc == cli.EXIT_CHANGED
    assert json.loads(drain_json.read_text())["auto_scaling_group_name"] == "123"


@pytest.mark.parametrize("settings, message", [
    (["heartbeat_interval_seconds=7200"], "must not exceed max_drain_seconds"),
    (["max_drain_seconds=0"], "above 0"),
    (["max_drain_seconds=soon"], "not a number"),
    (["lifecycle_action_result=STOP"], "CONTINUE or ABANDON"),
    (["server=wcs"], "cannot set 'server'"),
    (["sessions={}"], "cannot set 'sessions'"),
    (["max_drain_seconds=10", "max_drain_seconds=20"], "given twice"),
    (["max_drain_seconds"], "not KEY=VALUE"),
], ids=["heartbeat-over-max", "zero", "not-a-number", "bad-result", "server", "sessions", "twice", "no-value"])
def test_refused_before_anything_is_written(drain_json, settings, message):
    before = drain_json.read_bytes()
    argv = ["drain-config", "--config", str(drain_json)]
    for item in settings:
        argv += ["--set", item]
    rc, err = run(argv)
    assert rc == cli.EXIT_ERROR and message in err, err
    assert drain_json.read_bytes() == before
    assert [p.name for p in drain_json.parent.iterdir()] == ["drain.json"], "no temporary file left"


def test_missing_file_and_no_settings(tmp_path, drain_json):
    rc, err = run(["drain-config", "--config", str(tmp_path / "absent.json"), "--set", "max_drain_seconds=60"])
    assert rc == cli.EXIT_ERROR and "does not exist" in err
    rc, err = run(["drain-config", "--config", str(drain_json)])
    assert rc == cli.EXIT_ERROR and "at least one --set" in err
    assert not os.path.exists(str(tmp_path / "absent.json"))
