"""The drain agent's state machine (idle -> draining -> completing -> done) with fakes and a fake clock."""
import io
import json

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.boot.metadata import MetadataError
from ansible_collections.streamfleet.cluster.plugins.module_utils.drain import agent as drain
from ansible_collections.streamfleet.cluster.plugins.module_utils.drain.autoscaling import AutoScalingError
from ansible_collections.streamfleet.cluster.plugins.module_utils.drain.sessions import SessionCountError


class Clock(object):
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


class FakeImds(object):
    endpoint = "http://imds.test"

    def __init__(self, clock, states):
        """``states``: list of (from_time, value or MetadataError) for the lifecycle state."""
        self.clock = clock
        self.states = states
        self.reads = []
        self.down_until = None

    def read(self, path, missing_ok=False):
        self.reads.append(path)
        if self.down_until is not None and self.clock() < self.down_until:
            raise MetadataError("aws metadata %s: connection refused" % path)
        if path == "instance-id":
            return "i-0drain"
        if path == "placement/region":
            return "eu-west-1"
        value = None
        for since, state in self.states:
            if self.clock() >= since:
                value = state
        if isinstance(value, Exception):
            raise value
        return value


class FakeSessions(object):
    def __init__(self, clock, counts):
        """``counts``: list of (from_time, count or SessionCountError)."""
        self.clock = clock
        self.counts = counts

    def describe(self):
        return "connections of http://127.0.0.1:8081/"

    def count(self):
        value = None
        for since, count in self.counts:
            if self.clock() >= since:
                value = count
        if isinstance(value, Exception):
            raise value
        return value


class FakeAutoScaling(object):
    def __init__(self, clock, failures=None):
        self.clock = clock
        self.calls = []
        self.failures = list(failures or [])

    def _maybe_fail(self, action):
        if self.failures and self.failures[0][0] == action:
            raise self.failures.pop(0)[1]

    def group_of(self, instance_id):
        self.calls.append((self.clock(), "DescribeAutoScalingInstances", instance_id))
        self._maybe_fail("DescribeAutoScalingInstances")
        return "sf-wcs-edges"

    def record_heartbeat(self, group, hook, instance_id=None, token=None):
        self.calls.append((self.clock(), "RecordLifecycleActionHeartbeat", group, hook, instance_id))
        self._maybe_fail("RecordLifecycleActionHeartbeat")

    def complete(self, group, hook, result, instance_id=None, token=None):
        self.calls.append((self.clock(), "CompleteLifecycleAction", group, hook, instance_id, result))
        self._maybe_fail("CompleteLifecycleAction")


def config(**overrides):
    given = {"server": "wcs", "max_drain_seconds": 600, "heartbeat_interval_seconds": 60,
             "state_poll_seconds": 5, "session_poll_seconds": 10, "retry_max_seconds": 40}
    given.update(overrides)
    return drain.load_config(json.dumps(given))


def make(states, counts, cfg=None, failures=None):
    clock = Clock()
    imds = FakeImds(clock, states)
    sessions = FakeSessions(clock, counts)
    autoscaling = FakeAutoScaling(clock, failures)
    regions = []

    def factory(region):
        regions.append(region)
        return autoscaling

    out = io.StringIO()
    agent = drain.DrainAgent(cfg or config(), imds, sessions, factory, clock=clock, sleep=clock.sleep, out=out)
    return agent, clock, imds, autoscaling, out, regions


def actions(autoscaling, name):
    return [call for call in autoscaling.calls if call[1] == name]


def test_idle_while_warmed_or_in_service_then_drains_until_sessions_reach_zero():
    agent, clock, imds, autoscaling, out, regions = make(
        states=[(0, "Warmed:Running"), (1010, "Warmed:Stopped"), (1020, "InService"), (1030, "Terminated")],
        counts=[(0, 3), (1100, 1), (1200, 0)])
    assert agent.run() == 0
    assert agent.state == drain.DONE and agent.completed
    # Idle polls every state_poll_seconds until the state is Terminated (t=1030).
    assert clock.sleeps[:6] == [5] * 6
    assert regions == ["eu-west-1"]
    assert actions(autoscaling, "DescribeAutoScalingInstances") == [(1030.0, "DescribeAutoScalingInstances", "i-0drain")]
    beats = [call[0] for call in actions(autoscaling, "RecordLifecycleActionHeartbeat")]
    assert beats == [1030.0, 1090.0, 1150.0]
    assert all(call[2:5] == ("sf-wcs-edges", "streamfleet-drain", "i-0drain")
               for call in actions(autoscaling, "RecordLifecycleActionHeartbeat"))
    complete = actions(autoscaling, "CompleteLifecycleAction")
    assert complete == [(1200.0, "CompleteLifecycleAction", "sf-wcs-edges", "streamfleet-drain", "i-0drain", "CONTINUE")]
    log = out.getvalue()
    assert "target lifecycle state: Warmed:Stopped" in log
    assert "sessions=3 (connections of http://127.0.0.1:8081/)" in log
    assert "sessions=1 " in log and "sessions=0 " in log
    assert "CompleteLifecycleAction CONTINUE sent for i-0drain in sf-wcs-edges after 170s (no session left, last sessions=0)" in log


def test_no_group_state_means_idle_and_no_call():
    agent, clock, imds, autoscaling, out, regions = make(states=[(0, None)], counts=[(0, 5)])
    for _step in range(4):
        agent.step()
    assert agent.state == drain.IDLE
    assert autoscaling.calls == [] and regions == []
    assert "none (not in an Auto Scaling group)" in out.getvalue()
    assert out.getvalue().count("target lifecycle state") == 1, "a state is logged when it changes only"


def test_maximum_drain_time_completes_with_sessions_left():
    agent, clock, imds, autoscaling, out, regions = make(
        states=[(0, "Terminated")], counts=[(0, 4)], cfg=config(max_drain_seconds=300))
    assert agent.run() == 0
    complete = actions(autoscaling, "CompleteLifecycleAction")
    assert len(complete) == 1 and complete[0][0] == 1300.0
    beats = [call[0] for call in actions(autoscaling, "RecordLifecycleActionHeartbeat")]
    assert beats == [1000.0, 1060.0, 1120.0, 1180.0, 1240.0]
    assert "maximum drain time 300s passed with sessions=4" in out.getvalue()


def test_heartbeats_come_before_the_hook_timeout_whatever_the_session_poll():
    # A session poll longer than the heartbeat interval must not delay a heartbeat.
    agent, clock, imds, autoscaling, out, regions = make(
        states=[(0, "Terminated")], counts=[(0, 2), (1500, 0)],
        cfg=config(heartbeat_interval_seconds=45, session_poll_seconds=100))
    assert agent.run() == 0
    beats = [call[0] for call in actions(autoscaling, "RecordLifecycleActionHeartbeat")]
    assert beats[0] == 1000.0
    assert max(b - a for a, b in zip(beats, beats[1:])) <= 45
    assert actions(autoscaling, "CompleteLifecycleAction")[0][0] <= 1545


def test_metadata_unreachable_then_back_backs_off_and_never_raises():
    agent, clock, imds, autoscaling, out, regions = make(states=[(0, "InService"), (1400, "Terminated")],
                                                         counts=[(0, 0)])
    imds.down_until = 1300
    assert agent.run() == 0
    # Backoff doubles from the shorter poll interval up to retry_max_seconds (40), then resets.
    assert clock.sleeps[:6] == [5, 10, 20, 40, 40, 40]
    assert "instance metadata unreachable" in out.getvalue()
    assert actions(autoscaling, "CompleteLifecycleAction")[0][0] >= 1400


def test_unknown_session_count_keeps_waiting_until_the_maximum():
    agent, clock, imds, autoscaling, out, regions = make(
        states=[(0, "Terminated")], counts=[(0, SessionCountError("http://127.0.0.1:5080/rest/v2/system-resources "
                                                                  "answered HTTP 401"))],
        cfg=config(max_drain_seconds=120))
    assert agent.run() == 0
    assert actions(autoscaling, "CompleteLifecycleAction")[0][0] == 1120.0
    assert "sessions=unknown" in out.getvalue() and "HTTP 401" in out.getvalue()


def test_heartbeat_failure_is_retried_at_the_next_poll():
    agent, clock, imds, autoscaling, out, regions = make(
        states=[(0, "Terminated")], counts=[(0, 1), (1100, 0)],
        failures=[("RecordLifecycleActionHeartbeat", AutoScalingError("Throttling", "Rate exceeded", 400))])
    assert agent.run() == 0
    beats = [call[0] for call in actions(autoscaling, "RecordLifecycleActionHeartbeat")]
    assert beats[:2] == [1000.0, 1010.0]
    assert "RecordLifecycleActionHeartbeat failed: Throttling: Rate exceeded" in out.getvalue()


def test_complete_is_retried_with_backoff_then_succeeds():
    unreachable = AutoScalingError("Unreachable", "connection refused")
    agent, clock, imds, autoscaling, out, regions = make(
        states=[(0, "Terminated")], counts=[(0, 0)],
        failures=[("CompleteLifecycleAction", unreachable), ("CompleteLifecycleAction", unreachable)])
    assert agent.run() == 0
    assert len(actions(autoscaling, "CompleteLifecycleAction")) == 3
    assert clock.sleeps == [5, 10]


def test_no_active_lifecycle_action_ends_the_agent():
    gone = AutoScalingError("ValidationError", "No active Lifecycle Action found with instance ID i-0drain", 400)
    agent, clock, imds, autoscaling, out, regions = make(
        states=[(0, "Terminated")], counts=[(0, 0)], failures=[("CompleteLifecycleAction", gone)])
    assert agent.run() == 0
    assert "nothing left to complete" in out.getvalue()


def test_complete_gives_up_after_the_attempts_with_exit_1():
    refused = AutoScalingError("AccessDenied", "not authorized", 403)
    agent, clock, imds, autoscaling, out, regions = make(
        states=[(0, "Terminated")], counts=[(0, 0)], cfg=config(complete_attempts=3),
        failures=[("CompleteLifecycleAction", refused)] * 3)
    assert agent.run() == 1
    assert len(actions(autoscaling, "CompleteLifecycleAction")) == 3
    assert "failed 3 times" in out.getvalue()


def test_group_from_the_config_skips_describe():
    agent, clock, imds, autoscaling, out, regions = make(
        states=[(0, "Terminated")], counts=[(0, 0)], cfg=config(auto_scaling_group_name="sf-given"))
    assert agent.run() == 0
    assert actions(autoscaling, "DescribeAutoScalingInstances") == []
    assert actions(autoscaling, "CompleteLifecycleAction")[0][2] == "sf-given"


@pytest.mark.parametrize("given, message", [
    ({}, "server None is not one of antmedia, red5pro_streammanager, wcs"),
    ({"server": "wcs", "heartbeat_seconds": 5}, "unknown key(s) heartbeat_seconds"),
    ({"server": "wcs", "max_drain_seconds": 0}, "max_drain_seconds=0 must be a number of seconds above 0"),
    ({"server": "wcs", "max_drain_seconds": True}, "max_drain_seconds=True must be"),
    ({"server": "wcs", "heartbeat_interval_seconds": 900, "max_drain_seconds": 600}, "must not exceed"),
    ({"server": "wcs", "lifecycle_action_result": "continue"}, "must be CONTINUE or ABANDON"),
    ({"server": "wcs", "sessions": {"format": "xml"}}, "sessions.format='xml'"),
    ({"server": "wcs", "sessions": {"fields": []}}, "sessions.fields must be"),
    ({"server": "wcs", "sessions": {"path": "/"}}, "sessions must be an object with the keys"),
])
def test_bad_config_is_refused_with_the_key_and_rule(given, message):
    with pytest.raises(drain.ConfigError) as caught:
        drain.load_config(json.dumps(given))
    assert message in str(caught.value)


def test_config_defaults_per_server():
    # Ant Media: the applications' own REST on 127.0.0.1, no token, by default.
    cfg = drain.load_config(json.dumps({"server": "antmedia"}))
    assert cfg["sessions"]["url"] == "http://127.0.0.1:5080" and cfg["sessions"]["format"] == "antmedia-apps"
    assert cfg["sessions"]["fields"] == ["localPublishers", "localWebRTCViewers"]
    assert cfg["sessions"]["home"] == "/usr/local/antmedia" and cfg["sessions"]["token_file"] == ""
    # The token path stays an option: the management API with the JWT.
    cfg = drain.load_config(json.dumps({"server": "antmedia", "sessions": {
        "url": "http://127.0.0.1:5080/rest/v2/system-resources", "format": "json",
        "fields": ["totalLiveStreamSize", "localWebRTCViewers", "localHLSViewers", "localDASHViewers?"],
        "token_file": "/root/jwt", "token_in": "header:ProxyAuthorization"}}))
    assert cfg["sessions"]["token_file"] == "/root/jwt"
    with pytest.raises(drain.ConfigError, match="antmedia-apps format"):
        drain.load_config(json.dumps({"server": "antmedia", "sessions": {"fields": ["totalLiveStreamSize"]}}))
    assert drain.load_config('{"server": "red5pro_streammanager"}')["sessions"]["fields"] == ["data.active_connections"]
    assert drain.load_config('{"server": "wcs"}')["lifecycle_action_result"] == "CONTINUE"


def test_main_refuses_a_missing_or_bad_file(tmp_path):
    err = io.StringIO()
    assert drain.main(str(tmp_path / "absent.json"), out=io.StringIO(), err=err) == 1
    assert "cannot read" in err.getvalue()
    bad = tmp_path / "drain.json"
    bad.write_text('{"server": "nginx"}')
    err = io.StringIO()
    assert drain.main(str(bad), out=io.StringIO(), err=err) == 1
    assert "server 'nginx' is not one of" in err.getvalue()


# -- the installed bundle, plain python3 ----------------------------------------------------------
def _interpreters():
    import glob
    import os
    found = ["/usr/bin/python3"] + sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.8*/bin/python3")))
    return [path for path in found if os.path.exists(path)]


@pytest.mark.parametrize("python", _interpreters())
def test_drain_command_runs_from_the_bundle_without_ansible(tmp_path, python):
    import subprocess
    import sys
    from pathlib import Path

    import yaml
    repo = Path(__file__).resolve().parents[5]
    files = yaml.safe_load((repo / "roles" / "server_boot" / "defaults" / "main.yml").read_text())[
        "server_boot_module_utils"]
    bundle = tmp_path / "streamfleet-boot.zip"
    subprocess.run([sys.executable, str(repo / "roles" / "server_boot" / "files" / "build_bundle.py"),
                    str(repo / "plugins" / "module_utils"), str(bundle)] + files, check=True)
    good = tmp_path / "drain.json"
    good.write_text(json.dumps({"server": "red5pro_streammanager", "max_drain_seconds": 900}))
    done = subprocess.run([python, "-I", "-sE", str(bundle), "drain", "--check", "--config", str(good)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "usable (server red5pro_streammanager, sessions from http://127.0.0.1:5080/api/v1/server/statistics)" \
        in done.stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"server": "wcs", "heartbeat_interval_seconds": -1}))
    refused = subprocess.run([python, "-I", "-sE", str(bundle), "drain", "--check", "--config", str(bad)],
                             capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode == 1 and "heartbeat_interval_seconds=-1 must be" in refused.stderr


@pytest.mark.parametrize("states, drains", [
    ([(0, "Warmed:Running"), (1010, "Warmed:Terminated")], True),
    ([(0, "InService"), (1010, "Warmed:Stopped")], True),
    ([(0, "Warmed:Pending"), (1010, "Warmed:Stopped"), (1020, "Warmed:Running")], False),
    ([(0, "InService"), (1010, "Standby")], False),
], ids=["warm-pool-instance-terminated", "scaled-in-back-to-the-pool", "warming-up", "standby"])
def test_which_target_states_start_a_drain(states, drains):
    agent, clock, imds, autoscaling, out, regions = make(states=states, counts=[(0, 0)])
    for _step in range(8):
        if agent.state == drain.DONE:
            break
        agent.step()
    assert (agent.state == drain.DONE) is drains
    assert bool(actions(autoscaling, "CompleteLifecycleAction")) is drains
