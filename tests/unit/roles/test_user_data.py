"""Boot-time user data of the server roles, rendered as Ansible renders it and run for real.

The boot library is installed by the ``server_boot`` role (as the server roles and image baking
install it) into a temporary directory, with the system's plain ``python3`` (no Ansible) as the
launcher's interpreter. Each template is rendered through the role's ``tasks_from: user_data``
entry point, then run twice with bash against a copy of the stand-in configuration tree, with
the instance metadata served by the stand-ins on 127.0.0.1. After both runs every key is present
exactly once with the right value, the second run changes nothing, and the modules (or the Ant
Media planner) agree that nothing is left to change: boot and playbook give the same bytes.
"""
import json
import os
import re
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.servers import antmedia, antmedia_ip_filter
from lib.harness import tree_snapshot as snapshot
from per_host_playbook import CASE_VARS, run_cases
from standins import alicloud_metadata_standin, imds_standin

REPO = Path(__file__).resolve().parents[3]
ARCHIVES = REPO / "tests" / "standins" / "archives"
TREES = REPO / "tests" / "standins" / "trees"
LIB = "user_data_lib.sh.j2"
ROLES_WITH_USER_DATA = ("wcs", "antmedia", "red5pro_streammanager")
METADATA = {"local-ipv4": "10.0.3.7", "instance-id": "i-0123456789abcdef0"}
ALICLOUD_METADATA = {"private-ipv4": "172.16.3.7", "instance-id": "i-bp1abcdefg"}
PLAIN_PYTHON = "/usr/bin/python3"


@pytest.fixture
def imds():
    running = imds_standin.start(METADATA)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    """Every user data the tests below run or refuse, from one ansible-playbook run (a module
    fixture: once per xdist worker); each test runs a copy of its script."""
    return render_all(tmp_path_factory.mktemp("user-data"), RENDER_CASES)


# The role (case_role) and its variables come with the case's variables (per_host_playbook);
# the rendering is written to the case's file (case_script).
RENDER_TASKS = [
    CASE_VARS,
    {"name": "render", "ansible.builtin.include_role": {
        "name": "streamfleet.cluster.{{ case_role }}", "tasks_from": "user_data"}},
    {"name": "write", "ansible.builtin.copy": {
        "content": "{{ lookup('ansible.builtin.vars', case_role ~ '_user_data') }}", "dest": "{{ case_script }}",
        "mode": "0700"}},
]


def render_all(tmp_path, cases):
    """Each case (name -> (role, role variables)) rendered through its role's user_data entry point
    into its own file, all in one ansible-playbook run: name -> HostRun, with .script its file."""
    tmp_path = Path(tmp_path)
    variables = {name: dict(role_vars, case_role=role, case_script=str(tmp_path / name / ("%s-user-data.sh" % role)))
                 for name, (role, role_vars) in cases.items()}
    for name in cases:
        (tmp_path / name).mkdir(parents=True)
    runs = run_cases(tmp_path, variables, RENDER_TASKS)
    for name, run in runs.items():
        run.script = Path(variables[name]["case_script"])
    return runs


def rendered(renders, name, tmp_path):
    """The ``renders`` fixture's script for case ``name``, copied into the test's own directory."""
    run = renders[name]
    assert not run.stats.get("failures"), run.last_output
    script = tmp_path / run.script.name
    shutil.copy2(str(run.script), str(script))
    return script


def run_script(script, launcher, endpoint, env_extra, expect_rc=0):
    env = dict(os.environ, STREAMFLEET_BOOT=str(launcher), IMDS_ENDPOINT=endpoint, IMDS_RETRIES="2",
               IMDS_RETRY_DELAY="0", RESTART_SERVICE="false", **env_extra)
    # The host has no Ansible: nothing from the test's virtual environment may leak in.
    env.pop("PYTHONPATH", None)
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
    proc = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == expect_rc, proc.stdout + proc.stderr
    return proc.stderr


def key_lines(path, key):
    lines = Path(path).read_text().splitlines()
    return [line for line in lines if line.split("=", 1)[0].strip() == key]


def assert_once(path, key, value):
    """`key` set on exactly one line, to `value`, however the file spaces it (WCS ships "key =value")."""
    found = key_lines(path, key)
    assert [line.split("=", 1)[1].strip() for line in found] == [value], "%s in %s: %r" % (key, path, found)


def copy_tree(source, dest):
    shutil.copytree(source, dest)
    return dest


def test_server_boot_layout(boot_launcher):
    bundle = boot_launcher.parent.parent / "lib" / "streamfleet-boot.zip"
    assert stat.S_IMODE(bundle.stat().st_mode) == 0o644
    package = "ansible_collections/streamfleet/cluster/plugins/module_utils/"
    with zipfile.ZipFile(str(bundle)) as archive:
        names = archive.namelist()
    assert names == sorted(names)
    for directory in ("ansible_collections/", "ansible_collections/streamfleet/", "ansible_collections/streamfleet/cluster/",
                      "ansible_collections/streamfleet/cluster/plugins/", package, package + "boot/", package + "files/",
                      package + "servers/"):
        assert directory + "__init__.py" in names, directory
    assert package + "boot/cli.py" in names and package + "servers/antmedia.py" in names
    assert not any(name.startswith(package + "aws/") for name in names), "only what the boot command imports"
    assert stat.S_IMODE(boot_launcher.stat().st_mode) == 0o755
    assert "__main__.py" in names, "python3 runs the bundle itself"
    launcher = boot_launcher.read_text()
    assert launcher.startswith("#!/bin/sh\n") and ("\nexec %s -sE " % PLAIN_PYTHON) in launcher
    help_text = subprocess.run([str(boot_launcher), "--help"], capture_output=True, text=True, check=True).stdout
    assert "antmedia-cluster-mode" in help_text


# -- the templates ------------------------------------------------------------------------------
def test_glue_is_one_file_linked_from_every_role():
    target = (REPO / "roles" / "server_boot" / "templates" / LIB).resolve()
    for role in ROLES_WITH_USER_DATA:
        assert (REPO / "roles" / role / "templates" / LIB).resolve() == target


def test_no_awk_or_sed_editing_at_boot():
    templates = [REPO / "roles" / "server_boot" / "templates" / LIB]
    templates += [REPO / "roles" / role / "templates" / "user_data.sh.j2" for role in ROLES_WITH_USER_DATA]
    for path in templates:
        code = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#"))
        assert not re.search(r"\b(awk|sed|perl)\b", code), path
    for role in ROLES_WITH_USER_DATA:
        code = (REPO / "roles" / role / "templates" / "user_data.sh.j2").read_text()
        assert re.search(r"^boot (set-properties|antmedia-cluster-mode) ", code, re.M), role


# -- WCS ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("cdn_role", ["origin", "edge"])
def test_wcs_user_data_twice(renders, run_module, tmp_path, imds, boot_launcher, cdn_role):
    home = copy_tree(ARCHIVES / "wcs" / "server", tmp_path / "wcs")
    conf = home / "conf" / "flashphoner.properties"
    # What the vendor's boot script leaves after a few boots: keys appended again and again.
    conf.write_text(conf.read_text() + "\ncdn_ip=0.0.0.0\n\ncdn_ip=0.0.0.0\ncdn_role=origin\n")
    conf.chmod(0o644)
    point_of_entry = "10.0.1.10" if cdn_role == "edge" else ""
    script = rendered(renders, "wcs_twice_" + cdn_role, tmp_path)
    assert "set -u" in script.read_text() and "awk" not in script.read_text()
    per_boot = tmp_path / "per-boot"
    env = {"WCS_HOME": str(home), "PER_BOOT_DIR": str(per_boot)}
    first = run_script(script, boot_launcher, imds.endpoint, env)
    assert "changed %s: " % conf in first and "cdn_ip" in first
    second = run_script(script, boot_launcher, imds.endpoint, env)
    assert "settings already current" in second and "changed" not in second
    assert_once(conf, "cdn_enabled", "true")
    assert_once(conf, "cdn_ip", METADATA["local-ipv4"])
    assert_once(conf, "cdn_role", cdn_role)
    if point_of_entry:
        assert_once(conf, "cdn_point_of_entry", point_of_entry)
    else:
        assert key_lines(conf, "cdn_point_of_entry") == []
    assert stat.S_IMODE(conf.stat().st_mode) == 0o644
    installed = per_boot / "streamfleet-wcs.sh"
    assert installed.read_text() == script.read_text()
    assert stat.S_IMODE(installed.stat().st_mode) == 0o700
    assert imds.calls[0][:2] == ("PUT", "/latest/api/token")
    # The guide's other settings (seed 000) too, once each, from the role's defaults: what an
    # image made from a marketplace image lacks.
    assert_once(conf, "cdn_nodes_resolve_ip", "false")
    assert_once(conf, "periodic_fir_request", "true")
    assert_once(conf, "keep_alive.enabled", "websocket,rtmfp")
    # The heap as the seed's sed 's/^\(-Xmx\).*$/\1512m/' leaves the shipped file, byte for byte.
    shipped = (ARCHIVES / "wcs" / "server" / "conf" / "wcs-core.properties").read_text()
    seed_result = "".join(re.sub(r"^(-Xmx).*$", r"\g<1>512m", line) for line in shipped.splitlines(True))
    assert (home / "conf" / "wcs-core.properties").read_text() == seed_result
    # The module sees nothing left to change.
    result = run_module("wcs_config", {
        "home": str(home), "cdn_enabled": True, "cdn_role": cdn_role, "cdn_ip": METADATA["local-ipv4"],
        "cdn_point_of_entry": point_of_entry or None, "cdn_nodes_resolve_ip": False,
        "periodic_fir_request": True, "keep_alive_enabled": ["websocket", "rtmfp"], "heap_size": "512m"},
        check_mode=True)
    assert result.get("changed") is False, result


@pytest.mark.parametrize("hardened", [False, True], ids=["normal", "hardened"])
def test_wcs_user_data_on_alibaba_cloud(renders, tmp_path, boot_launcher, hardened):
    home = copy_tree(ARCHIVES / "wcs" / "server", tmp_path / "wcs")
    conf = home / "conf" / "flashphoner.properties"
    shipped = conf.read_text()
    script = rendered(renders, "wcs_alicloud", tmp_path)
    assert "METADATA_SOURCE=${METADATA_SOURCE:-alicloud}" in script.read_text()
    running = alicloud_metadata_standin.start(ALICLOUD_METADATA, hardened=hardened)
    try:
        run_script(script, boot_launcher, running.endpoint, {"WCS_HOME": str(home), "PER_BOOT_DIR": ""})
    finally:
        running.stop()
    assert_once(conf, "cdn_ip", ALICLOUD_METADATA["private-ipv4"])
    # WCS ships no cdn_* key: the boot adds each once after the shipped text, which stays as it was.
    assert not [line for line in shipped.splitlines() if line.startswith("cdn_")]
    assert conf.read_text().startswith(shipped)
    for key, value in (("cdn_enabled", "true"), ("cdn_role", "edge"), ("cdn_point_of_entry", "172.16.1.10")):
        assert_once(conf, key, value)
    assert ("GET", "/latest/meta-data/private-ipv4", True) in running.calls


def test_wcs_user_data_fails_without_metadata(renders, tmp_path, boot_launcher):
    home = copy_tree(ARCHIVES / "wcs" / "server", tmp_path / "wcs")
    conf = home / "conf" / "flashphoner.properties"
    before = conf.read_bytes()
    script = rendered(renders, "wcs_edge", tmp_path)
    err = run_script(script, boot_launcher, "http://127.0.0.1:9", {"WCS_HOME": str(home), "PER_BOOT_DIR": ""},
                     expect_rc=1)
    assert "no private address from the aws instance metadata service" in err
    assert conf.read_bytes() == before


def test_user_data_fails_clearly_without_the_boot_library(renders, tmp_path, imds):
    script = rendered(renders, "wcs_origin", tmp_path)
    err = run_script(script, tmp_path / "missing" / "streamfleet-boot", imds.endpoint, {"PER_BOOT_DIR": ""},
                     expect_rc=1)
    assert "streamfleet-boot is missing" in err


def test_wcs_user_data_refuses_origin_pointing_at_itself(renders, tmp_path, imds, boot_launcher):
    home = copy_tree(ARCHIVES / "wcs" / "server", tmp_path / "wcs")
    script = rendered(renders, "wcs_origin_itself", tmp_path)
    err = run_script(script, boot_launcher, imds.endpoint, {"WCS_HOME": str(home), "PER_BOOT_DIR": ""}, expect_rc=1)
    assert "must not be its own address" in err


@pytest.mark.parametrize("case", ["wcs_refused_edge_without_point_of_entry", "wcs_refused_unknown_cloud"],
                         ids=["edge-without-point-of-entry", "unknown-cloud"])
def test_wcs_user_data_entry_point_refuses_bad_input(renders, case):
    results = renders[case].results
    assert any(r.get("failed") for r in results)
    assert not [r for r in results if r["task"] == "write"], "nothing written after the refusal"


# -- Red5 Pro Stream Manager --------------------------------------------------------------------
def red5pro_home(tmp_path):
    home = copy_tree(ARCHIVES / "red5pro", tmp_path / "red5pro")
    webapp = home / "webapps" / "streammanager"
    if not webapp.is_dir():  # the Stream Manager stand-in is moving from trees/ into the archive tree
        shutil.copytree(TREES / "red5pro_streammanager" / "webapps" / "streammanager", webapp)
    return home


@pytest.mark.parametrize("ip_source", ["local-ipv4", "instance-id"])
def test_streammanager_user_data_twice(renders, run_module, tmp_path, imds, boot_launcher, ip_source):
    home = red5pro_home(tmp_path)
    conf = home / "webapps" / "streammanager" / "WEB-INF" / "red5-web.properties"
    # The seed's way: a random streammanager.ip, plus a duplicate line.
    conf.write_text(conf.read_text() + "streammanager.ip=z2go1nhorcpsxlxy.com\n")
    conf.chmod(0o600)
    script = rendered(renders, "streammanager_" + ip_source, tmp_path)
    env = {"RED5_HOME": str(home), "PER_BOOT_DIR": str(tmp_path / "per-boot")}
    run_script(script, boot_launcher, imds.endpoint, env)
    second = run_script(script, boot_launcher, imds.endpoint, env)
    assert "settings already current" in second
    assert_once(conf, "streammanager.ip", METADATA[ip_source])
    assert stat.S_IMODE(conf.stat().st_mode) == 0o600
    result = run_module("red5pro_streammanager_config", {
        "home": str(home), "streammanager_ip": METADATA[ip_source]}, check_mode=True)
    assert result.get("changed") is False, result


# -- Ant Media ----------------------------------------------------------------------------------
PASSWORD = "p&s/w|rd"
LICENCE_KEY = "AMS-LIC-0a1b2c.test"
REPLICA_URL = "mongodb://antmedia:p%26s%2Fw%7Crd@10.0.9.9:27017,10.0.9.10:27018/?authSource=admin&replicaSet=rs0"


@pytest.mark.parametrize("source", ["url", "parts"])
def test_antmedia_user_data_twice(renders, tmp_path, imds, boot_launcher, source):
    home = copy_tree(ARCHIVES / "antmedia", tmp_path / "antmedia")
    reference = copy_tree(ARCHIVES / "antmedia", tmp_path / "reference")
    for path in [home / "conf" / "red5.properties"] + list(home.glob("webapps/*/WEB-INF/red5-web.properties")):
        path.chmod(0o640)
    if source == "url":
        url = ANTMEDIA_URL
    else:
        url = REPLICA_URL
    script = rendered(renders, "antmedia_" + source, tmp_path)
    output = renders["antmedia_" + source].last_output
    assert PASSWORD not in output and "p%26s" not in output
    text = script.read_text()
    assert text.count("p%26s%2Fw%7Crd") == 1, "the URL is held once, and nothing else secret"
    assert not (home / "conf" / "initialized").exists()
    env = {"AMS_HOME": str(home), "PER_BOOT_DIR": str(tmp_path / "per-boot")}
    first = run_script(script, boot_launcher, imds.endpoint, env)
    second = run_script(script, boot_launcher, imds.endpoint, env)
    for log in (first, second):
        assert "p%26s" not in log and PASSWORD not in log
    assert "no default administrator" in first and "initialized" not in second
    assert "settings already current" in second
    initialized = home / "conf" / "initialized"
    assert initialized.is_file() and stat.S_IMODE(initialized.stat().st_mode) == 0o644
    # Same bytes as the module's planner applied to a copy of the same tree.
    plans = antmedia.plan(str(reference), "cluster", url)
    for item in (plans[0] if isinstance(plans, tuple) else plans):
        if item.changed:
            Path(item.path).write_text(item.after)
    if source == "url":
        # The vendor's start.sh -l: sed 's/server.licence_key=.*/server.licence_key=KEY/' (every
        # "." of the pattern matches any character), on the file the mode switch left.
        vendor = reference / "conf" / "red5.properties"
        vendor.write_text("".join(re.sub(r"server.licence_key=.*", "server.licence_key=" + LICENCE_KEY, line)
                                  for line in vendor.read_text().splitlines(True)))
        assert LICENCE_KEY not in first + second
        # The IP filters as the antmedia_ip_filter module's planner sets them (same bytes).
        antmedia.apply(antmedia_ip_filter.ip_filter_plan(
            str(reference), dashboard_allowed_cidr="10.0.0.0/16,127.0.0.1", rest_allowed_cidr="10.0.0.0/16",
            rest_ip_filter_enabled=False))
        assert "remoteAllowedCIDR=10.0.0.0/16\n" in (home / "webapps/LiveApp/WEB-INF/red5-web.properties").read_text()
    got = snapshot(home)
    assert got.pop("conf/initialized") == b""
    assert got == snapshot(reference)
    server = home / "conf" / "red5.properties"
    assert_once(server, "clusterdb.host", url)
    # They were 0640: every file that now holds the database URL (and so its password) keeps
    # its owner's permissions only (issue 21).
    for conf in [server] + list(home.glob("webapps/*/WEB-INF/red5-web.properties")):
        assert stat.S_IMODE(conf.stat().st_mode) == 0o600, conf
    per_boot = tmp_path / "per-boot" / "streamfleet-antmedia.sh"
    assert stat.S_IMODE(per_boot.stat().st_mode) == 0o700


def test_antmedia_keeps_an_existing_initialized_marker(renders, tmp_path, imds, boot_launcher):
    home = copy_tree(ARCHIVES / "antmedia", tmp_path / "antmedia")
    (home / "conf" / "initialized").write_text("made by the image\n")
    script = rendered(renders, "antmedia_plain_url", tmp_path)
    err = run_script(script, boot_launcher, imds.endpoint, {"AMS_HOME": str(home), "PER_BOOT_DIR": ""})
    assert (home / "conf" / "initialized").read_text() == "made by the image\n"
    assert "no default administrator" not in err


# -- drain limits from the topology -------------------------------------------------------------
DRAIN_ROLES = [
    ("wcs", {"wcs_cdn_role": "origin"}, {"WCS_HOME": "wcs"}),
    ("red5pro_streammanager", {}, {"RED5_HOME": "red5pro"}),
    ("antmedia", {"antmedia_cluster_url": "mongodb://10.0.9.9:27017"}, {"AMS_HOME": "antmedia"}),
]
DRAIN_LIMITS = {"max_drain_seconds": 7200, "heartbeat_interval_seconds": 150}
BAKED_DRAIN = {"server": "wcs", "lifecycle_hook_name": "streamfleet-drain", "auto_scaling_group_name": "",
               "lifecycle_action_result": "CONTINUE", "max_drain_seconds": 3600, "heartbeat_interval_seconds": 60,
               "sessions": {}}


@pytest.mark.parametrize("role, role_vars, env", DRAIN_ROLES)
def test_user_data_sets_the_drain_limits_once(renders, tmp_path, imds, boot_launcher, role, role_vars, env):
    homes = {"wcs": lambda: copy_tree(ARCHIVES / "wcs" / "server", tmp_path / "wcs"),
             "red5pro": lambda: red5pro_home(tmp_path), "antmedia": lambda: copy_tree(ARCHIVES / "antmedia", tmp_path / "antmedia")}
    env = {key: str(homes[value]()) for key, value in env.items()}
    drain_json = tmp_path / "drain.json"
    drain_json.write_text(json.dumps(dict(BAKED_DRAIN, server=role), indent=2, sort_keys=True) + "\n")
    script = rendered(renders, "drain_" + role, tmp_path)
    assert "drain_settings --set heartbeat_interval_seconds=150 --set max_drain_seconds=7200" in script.read_text()
    env.update(PER_BOOT_DIR="", DRAIN_CONFIG=str(drain_json))
    first = run_script(script, boot_launcher, imds.endpoint, env)
    assert "changed %s" % drain_json in first and "restart of streamfleet-drain skipped" in first
    written = json.loads(drain_json.read_text())
    assert written == dict(BAKED_DRAIN, server=role, max_drain_seconds=7200, heartbeat_interval_seconds=150)
    before = drain_json.read_bytes()
    second = run_script(script, boot_launcher, imds.endpoint, env)
    assert "%s already current" % drain_json in second and "streamfleet-drain" not in second
    assert drain_json.read_bytes() == before


def test_user_data_without_drain_settings_leaves_the_agent_alone(renders, tmp_path):
    script = rendered(renders, "wcs_origin", tmp_path)
    assert "drain-config" not in script.read_text().split("# ---- end of the streamfleet user-data glue ----")[1]
    assert "\ndrain_settings " not in script.read_text()


def test_user_data_refuses_unknown_drain_setting(renders):
    results = renders["wcs_refused_drain_setting"].results
    assert any(r.get("failed") for r in results)
    assert not [r for r in results if r["task"] == "write"], "nothing written after the refusal"


# -- the user data the tests above run, rendered together by the ``renders`` fixture -------------
ANTMEDIA_URL = "mongodb://antmedia:p%26s%2Fw%7Crd@10.0.9.9:27017/?authSource=admin&retryWrites=true"
RENDER_CASES = {
    "wcs_twice_origin": ("wcs", {"wcs_cdn_role": "origin", "wcs_cdn_point_of_entry": "", "wcs_home": "/nonexistent"}),
    "wcs_twice_edge": ("wcs", {"wcs_cdn_role": "edge", "wcs_cdn_point_of_entry": "10.0.1.10", "wcs_home": "/nonexistent"}),
    "wcs_alicloud": ("wcs", {"wcs_cdn_role": "edge", "wcs_cdn_point_of_entry": "172.16.1.10",
                             "wcs_user_data_metadata_source": "alicloud"}),
    "wcs_edge": ("wcs", {"wcs_cdn_role": "edge", "wcs_cdn_point_of_entry": "10.0.1.10"}),
    "wcs_origin": ("wcs", {"wcs_cdn_role": "origin"}),
    "wcs_origin_itself": ("wcs", {"wcs_cdn_role": "origin", "wcs_cdn_point_of_entry": METADATA["local-ipv4"]}),
    "wcs_refused_edge_without_point_of_entry": ("wcs", {"wcs_cdn_role": "edge"}),
    "wcs_refused_unknown_cloud": ("wcs", {"wcs_cdn_role": "origin", "wcs_user_data_metadata_source": "gcp"}),
    "wcs_refused_drain_setting": ("wcs", {"wcs_cdn_role": "origin", "wcs_user_data_drain": {"sessions": {}}}),
    "streammanager_local-ipv4": ("red5pro_streammanager", {"red5pro_streammanager_user_data_ip_source": "local-ipv4"}),
    "streammanager_instance-id": ("red5pro_streammanager", {"red5pro_streammanager_user_data_ip_source": "instance-id"}),
    # The web panel and REST IP filters behind the balancer (issue 17), non-default here.
    "antmedia_url": ("antmedia", {"antmedia_cluster_url": ANTMEDIA_URL, "antmedia_licence_key": LICENCE_KEY,
                                  "antmedia_dashboard_allowed_cidr": "10.0.0.0/16,127.0.0.1",
                                  "antmedia_rest_allowed_cidr": "10.0.0.0/16", "antmedia_rest_ip_filter_enabled": False}),
    "antmedia_parts": ("antmedia", {"antmedia_cluster_db_hosts": ["10.0.9.9", "10.0.9.10:27018"],
                                    "antmedia_cluster_db_user": "antmedia", "antmedia_cluster_db_password": PASSWORD,
                                    "antmedia_cluster_db_auth_source": "admin", "antmedia_cluster_db_replica_set": "rs0"}),
    "antmedia_plain_url": ("antmedia", {"antmedia_cluster_url": "mongodb://10.0.9.9:27017"}),
}
RENDER_CASES.update({"drain_" + role: (role, dict(role_vars, **{"%s_user_data_drain" % role: DRAIN_LIMITS}))
                     for role, role_vars, _env in DRAIN_ROLES})
