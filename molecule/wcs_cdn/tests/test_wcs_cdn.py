"""Verify the WCS CDN (Molecule scenario `wcs_cdn`, testinfra): an origin and an edge."""

import json
import pathlib
import sys
import time

import pytest


# The helpers every scenario's verifier shares (molecule/shared/streamfleet_verifier.py).
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "shared"))
from streamfleet_verifier import (  # noqa: E402
    lines_of,
    on,
    other_host,
    private_address,
    host_groups,
    run_user_data_twice,
    http_get,
)


HOME = "/usr/local/FlashphonerWebCallServer"
CONFIG = HOME + "/conf/flashphoner.properties"
JVM = HOME + "/conf/wcs-core.properties"
STATS = "http://127.0.0.1:8081/?action=stat"


def groups(host):
    return host_groups(host)


def is_origin(host):
    return "wcs_origin" in groups(host)


def origin_address(host):
    return private_address(other_host(host, "sf-wcs-origin"))


def stats(host):
    result = http_get(host, STATS)
    assert result.rc == 0, result.stderr
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


def wait_for_stat(host, key, value, timeout=60):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = stats(host).get(key)
        except AssertionError:
            last = None
        if last == value:
            return
        time.sleep(2)
    raise AssertionError("%s=%s expected in the stats, last seen %r" % (key, value, last))


def expected_keys(host):
    keys = {
        "cdn_enabled": "true",
        "cdn_ip": private_address(host),
        "cdn_role": "origin" if is_origin(host) else "edge",
        "cdn_nodes_resolve_ip": "false",
        "cdn_port": "8084",
        "cdn_nodes_timeout": "60",
        "periodic_fir_request": "true",
        "keep_alive.enabled": "websocket,rtmfp",
    }
    if not is_origin(host):
        keys["cdn_point_of_entry"] = origin_address(host)
    return keys


def values_of(host, key, content):
    """The values of every line that sets `key`, however the file spaces "key =value"."""
    return [line.split("=", 1)[1].strip() for line in lines_of(host, CONFIG, key, content)]


def assert_keys_once(host):
    # WCS ships flashphoner.properties without any of these keys (the stand-in too): each must
    # have been added exactly once, never appended again by a later run or boot.
    content = on(host).file(CONFIG).content_string
    for key, value in expected_keys(host).items():
        assert values_of(host, key, content) == [value], key
    if is_origin(host):
        assert lines_of(host, CONFIG, "cdn_point_of_entry", content) == []


def test_service_enabled_and_running(host):
    service = on(host).service("webcallserver")
    assert service.is_enabled
    assert service.is_running


def test_stats_page_answers(host):
    values = stats(host)
    assert "connections" in values and "ports_media_free" in values


def test_edge_reaches_its_point_of_entry(host):
    if is_origin(host):
        wait_for_stat(host, "cdn_role", "origin")
    else:
        wait_for_stat(host, "cdn_role", "edge")
        wait_for_stat(host, "cdn_point_of_entry_reachable", "true")


def test_each_key_once_with_the_right_value(host):
    assert_keys_once(host)


def test_heap_once(host):
    lines = on(host).file(JVM).content_string.splitlines()
    options = [option for line in lines if line.strip().startswith("-") for option in line.split()]
    # The shipped -Xmx1024M replaced where it stood, inside the JVM section; WCS ships no -Xms
    # and the role adds none unless wcs_heap_initial_size is set (this scenario does not).
    assert [option for option in options if option.startswith("-Xmx")] == ["-Xmx512m"]
    assert [option for option in options if option.startswith("-Xms")] == []
    assert lines.count("### SERVER OPTIONS ###") == 1 and lines.count("### JVM OPTIONS ###") == 1
    assert lines.index("### JVM OPTIONS ###") < lines.index("-Xmx512m")


def test_file_modes_and_install_leftovers(host):
    for path in (CONFIG, JVM):
        config = on(host).file(path)
        assert config.user == "root"
        assert not config.mode & 0o002, "%s is world-writable" % path
    work = on(host).file("/var/cache/streamfleet/wcs")
    assert work.is_directory and work.mode == 0o700
    assert on(host).run("ls -A /var/cache/streamfleet/wcs").stdout.strip() == ""
    assert on(host).file(HOME + "/.streamfleet-version").content_string.strip()


def test_no_firewall_change(host):
    # The role was not asked to manage a firewall: no ufw installed, nothing flushed.
    assert not on(host).package("ufw").is_installed


def test_boot_library_installed(host):
    # server_boot: the launcher and the collection's own editor, runnable without Ansible.
    launcher = on(host).file("/usr/local/sbin/streamfleet-boot")
    assert launcher.user == "root" and launcher.mode == 0o755
    bundle = on(host).file("/usr/local/lib/streamfleet/python/streamfleet-boot.zip")
    assert bundle.user == "root" and bundle.mode == 0o644
    assert on(host).run("/usr/local/sbin/streamfleet-boot --help").rc == 0
    assert on(host).run("python3 -c 'import ansible'").rc != 0, "the test host should have no Ansible"


def test_user_data_twice_leaves_every_key_once(host):
    address = private_address(host)
    # What the vendor's boot script leaves after a few boots: the same keys appended again.
    on(host).run("printf '\\ncdn_ip=0.0.0.0\\n\\ncdn_ip=0.0.0.0\\ncdn_role=transcoder\\ncdn_enabled=true\\n' >> %s" % CONFIG)
    first, second = run_user_data_twice(host, {"local-ipv4": address, "instance-id": "i-0test"})
    assert "restarted webcallserver" in first.stderr
    assert "settings already current" in second.stderr
    assert_keys_once(host)
    per_boot = on(host).file("/var/lib/cloud/scripts/per-boot/streamfleet-wcs.sh")
    assert per_boot.exists and per_boot.mode == 0o700
    assert on(host).service("webcallserver").is_running
    wait_for_stat(host, "cdn_role", "origin" if is_origin(host) else "edge")


# -- drain agent (server_boot): streamfleet-drain.service --------------------------------------
DRAIN_CONFIG = "/etc/streamfleet/drain.json"
DRAIN_IMDS, DRAIN_RECORDER, DRAIN_SESSIONS = 18179, 18180, 18181
DRAIN_UNITS = ("sf-drain-imds", "sf-drain-recorder", "sf-drain-sessions")
EDGE_INSTANCE, EDGE_GROUP = "i-0wcsedge", "sf-wcs-edges"

# python3 on the host, not curl: PUT/POST a body to a stand-in's control endpoint.
_HTTP_SEND = ("import sys, urllib.request; "
              "r = urllib.request.Request(sys.argv[2], data=sys.argv[3].encode(), method=sys.argv[1]); "
              "sys.stdout.write(urllib.request.urlopen(r, timeout=5).read().decode())")


def http_send(host, method, url, body=""):
    result = on(host).run("python3 -c %s %s %s %s", _HTTP_SEND, method, url, body)
    assert result.rc == 0, result.stderr
    return result.stdout


def recorded_calls(host):
    result = http_get(host, "http://127.0.0.1:%d/_control/calls" % DRAIN_RECORDER)
    assert result.rc == 0, result.stderr
    return json.loads(result.stdout)


def heartbeats(host):
    return [c for c in recorded_calls(host) if c["action"] == "RecordLifecycleActionHeartbeat"]


def wait_for(what, predicate, timeout=40, every=0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("%s not seen within %d s" % (what, timeout))
        time.sleep(every)


def agent_log(host, since=None):
    window = " --since '%s'" % since if since else ""
    return on(host).run("journalctl -u streamfleet-drain --no-pager -o cat%s" % window).stdout


def test_drain_agent_installed_and_running(host):
    unit = on(host).service("streamfleet-drain")
    assert unit.is_enabled and unit.is_running
    config = json.loads(on(host).file(DRAIN_CONFIG).content_string)
    assert config["server"] == "wcs" and config["lifecycle_hook_name"] == "streamfleet-drain"
    assert on(host).file(DRAIN_CONFIG).mode == 0o644
    checked = on(host).run("/usr/local/sbin/streamfleet-boot drain --check --config %s" % DRAIN_CONFIG)
    assert checked.rc == 0, checked.stderr
    if is_origin(host):
        # The real metadata address answers nothing in a container: the agent logs and retries.
        assert config["imds_endpoint"] == "http://169.254.169.254"
        wait_for("a retry line", lambda: "instance metadata unreachable" in agent_log(host))
        assert on(host).service("streamfleet-drain").is_running


def test_drain_agent_drains_the_edge(host):
    if is_origin(host):
        pytest.skip("the drain scenario runs on the edge")
    remote = on(host)
    for unit in DRAIN_UNITS:
        remote.run("systemctl stop %s 2>/dev/null; systemctl reset-failed %s 2>/dev/null" % (unit, unit))
    starts = [
        ("sf-drain-imds", "python3 /root/imds_standin.py --port %d --role sf-wcs-drain "
         "--meta instance-id=%s --meta placement/region=eu-west-1 "
         "--meta autoscaling/target-lifecycle-state=InService" % (DRAIN_IMDS, EDGE_INSTANCE)),
        ("sf-drain-recorder", "python3 /root/autoscaling_recorder.py --port %d --region eu-west-1 "
         "--hook streamfleet-drain --instance %s=%s" % (DRAIN_RECORDER, EDGE_INSTANCE, EDGE_GROUP)),
        ("sf-drain-sessions", "python3 /root/session_counter_standin.py --port %d --sessions 2" % DRAIN_SESSIONS),
    ]
    try:
        for unit, command in starts:
            started = remote.run("systemd-run --unit %s %s" % (unit, command))
            assert started.rc == 0, started.stderr
        wait_for("the stand-ins", lambda: http_get(host, "http://127.0.0.1:%d/?action=stat" % DRAIN_SESSIONS).rc == 0
                 and http_get(host, "http://127.0.0.1:%d/_control/calls" % DRAIN_RECORDER).rc == 0, timeout=20)
        since = remote.run("date '+%Y-%m-%d %H:%M:%S'").stdout.strip()
        assert remote.run("systemctl restart streamfleet-drain").rc == 0
        wait_for("the idle state", lambda: "target lifecycle state: InService" in agent_log(host, since))
        assert recorded_calls(host) == [], "no Auto Scaling call while the instance is in service"

        # Auto Scaling puts the instance in Terminating:Wait: IMDS says Terminated.
        drain_started = time.monotonic()
        http_send(host, "PUT", "http://127.0.0.1:%d/_control/meta/autoscaling/target-lifecycle-state" % DRAIN_IMDS,
                  "Terminated")
        beats = wait_for("two heartbeats", lambda: heartbeats(host)[1:], timeout=30)
        assert beats and all(c["status"] == 200 for c in beats)
        assert not [c for c in recorded_calls(host) if c["action"] == "CompleteLifecycleAction"], \
            "completed while sessions were still on the server"

        # The last session ends.
        sessions_gone = time.monotonic()
        http_send(host, "PUT", "http://127.0.0.1:%d/_control/sessions" % DRAIN_SESSIONS, "0")
        complete = wait_for("CompleteLifecycleAction", lambda: [c for c in recorded_calls(host)
                                                                if c["action"] == "CompleteLifecycleAction"])
        completed = time.monotonic()
        assert complete[0]["status"] == 200
        assert complete[0]["params"] == {"AutoScalingGroupName": EDGE_GROUP, "LifecycleHookName": "streamfleet-drain",
                                         "LifecycleActionResult": "CONTINUE", "InstanceId": EDGE_INSTANCE}
        calls = recorded_calls(host)
        assert [c["action"] for c in calls][0] == "DescribeAutoScalingInstances"
        assert all(c["key_id"] == "ASIASTANDIN0001" for c in calls), "signed with the instance profile's keys"
        # The agent exits 0 once completed, and is not restarted.
        wait_for("the agent's exit", lambda: remote.run("systemctl is-active streamfleet-drain").stdout.strip()
                 == "inactive", timeout=20)
        assert remote.run("systemctl show -p ExecMainStatus --value streamfleet-drain").stdout.strip() == "0"
        log = agent_log(host, since)
        assert "sessions=2 (connections of http://127.0.0.1:%d/)" % DRAIN_SESSIONS in log
        assert "sessions=0" in log
        assert "CompleteLifecycleAction CONTINUE sent for %s in %s" % (EDGE_INSTANCE, EDGE_GROUP) in log
        print("drain: %d heartbeats; sessions 2->0 after %.1f s of draining; CompleteLifecycleAction %.1f s after "
              "the count reached 0; whole drain %.1f s"
              % (len([c for c in calls if c["action"] == "RecordLifecycleActionHeartbeat"]),
                 sessions_gone - drain_started, completed - sessions_gone, completed - drain_started))
    finally:
        for unit in DRAIN_UNITS:
            remote.run("systemctl stop %s" % unit)


def test_verify_playbook_reads_the_edge_from_outside(host):
    """playbooks/verify.yml (docs/verify.md) from the controller, as for a deployment without a
    domain: HTTPS skipped with a note, the stats page of every edge read over the network."""
    if not is_origin(host):
        pytest.skip("one run for the scenario, from the origin's turn")
    import os
    import subprocess
    top = pathlib.Path(__file__).resolve().parents[3]
    edge = private_address(other_host(host, "sf-wcs-edge"))
    # The collection's ansible.cfg, not Molecule's (its profile_tasks callback would print timings
    # on stdout after the JSON)
    env = dict(os.environ, ANSIBLE_CONFIG=str(top / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    # localhost named in the inventory is no longer Ansible's implicit localhost: give it this
    # Python (the one with the collection's requirements), not whatever discovery finds first
    extra = dict(verify_topology="wcs_cdn_aws", verify_host=private_address(host), verify_wcs_edges=[edge],
                 verify_retries=3, verify_delay=2, ansible_python_interpreter=sys.executable)
    proc = subprocess.run([str(pathlib.Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,",
                           str(top / "playbooks" / "verify.yml"), "-e", json.dumps(extra)],
                          capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    tasks = {t["task"]["name"]: t["hosts"]["localhost"] for p in json.loads(proc.stdout)["plays"] for t in p["tasks"]}
    assert "HTTPS checks skipped" in tasks["Note that HTTPS is not checked"]["msg"]
    [edge_stats] = tasks["WCS stats on every edge"]["results"]
    assert edge_stats["ok"] is True and edge_stats["url"] == "http://%s:8081/?action=stat" % edge


# -- issue 21: secrets only in private files ------------------------------------------------------
from host_secrets import files_holding, leaked  # noqa: E402

# The WCS role takes no secret and the scenario gives none; the secret a WCS host holds is the
# instance profile's credentials the drain agent reads from instance metadata to sign its Auto
# Scaling calls (the edge's drain test above: the IMDS stand-in serves the n-th credentials as
# standin-secret-000n / standin-session-token-000n; the agent signed with the first). WCS's own
# shipped wss.keystore.password is the vendor's public default, not one of ours.
INSTANCE_CREDENTIALS = dict(
    ("instance profile %s %d" % (kind, n), "standin-%s-%04d" % (kind, n))
    for kind in ("secret", "session-token") for n in range(1, 11))


def test_instance_credentials_only_in_private_files_of_root(host):
    """After the drain test: the edge's configuration, software, cloud-init, temporary and home
    directories and logs hold the credentials the agent used (any encoding) only in mode-0600/0400
    files of root (webcallserver.service and streamfleet-drain.service run as root)."""
    if is_origin(host):
        pytest.skip("only the edge's drain agent reads instance credentials")
    assert leaked(files_holding(host, INSTANCE_CREDENTIALS), owners=("root",)) == []
