"""Boot-time user data of the server roles, rendered as Ansible renders it and run for real.

Each template is rendered through the role's ``tasks_from: user_data`` entry point, then run
twice with bash against a copy of the stand-in archive's configuration tree, with the instance
metadata service (IMDSv2) served by a small HTTP server on 127.0.0.1 (``IMDS_ENDPOINT``).
After both runs every key must be present exactly once with the right value, and the second run
must change nothing. The configuration modules, run in check mode afterwards, must agree that
nothing is left to change.
"""
import http.server
import os
import shutil
import stat
import subprocess
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
ARCHIVES = REPO / "tests" / "standins" / "archives"
LIB = "user_data_lib.sh.j2"
ROLES_WITH_USER_DATA = ("wcs", "antmedia", "red5pro_streammanager")
TOKEN = "token-for-tests"
METADATA = {"local-ipv4": "10.0.3.7", "instance-id": "i-0123456789abcdef0"}


class ImdsHandler(http.server.BaseHTTPRequestHandler):
    """IMDSv2: PUT /latest/api/token with a TTL header, then GETs with the token."""

    calls = []

    def log_message(self, *args):
        pass

    def _send(self, status, body=""):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        self.calls.append(("PUT", self.path))
        if self.path != "/latest/api/token" or not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            self._send(400)
        else:
            self._send(200, TOKEN)

    def do_GET(self):
        self.calls.append(("GET", self.path))
        if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
            self._send(401)
            return
        prefix = "/latest/meta-data/"
        key = self.path[len(prefix):] if self.path.startswith(prefix) else None
        if key in METADATA:
            self._send(200, METADATA[key])
        else:
            self._send(404)


@pytest.fixture
def imds():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ImdsHandler)
    ImdsHandler.calls = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


def render(playbook, tmp_path, role, role_vars):
    """Render the role's user data through its user_data entry point into a file."""
    script = tmp_path / ("%s-user-data.sh" % role)
    fact = "%s_user_data" % role
    playbook.run([
        {"name": "render", "ansible.builtin.include_role": {
            "name": "streamfleet.cluster.%s" % role, "tasks_from": "user_data"}, "vars": role_vars},
        {"name": "write", "ansible.builtin.copy": {
            "content": "{{ %s }}" % fact, "dest": str(script), "mode": "0700"}},
    ])
    return script


def run_script(script, imds_endpoint, env_extra, expect_rc=0):
    env = dict(os.environ, IMDS_ENDPOINT=imds_endpoint, IMDS_RETRIES="2", IMDS_RETRY_DELAY="0",
               RESTART_SERVICE="false", **env_extra)
    proc = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == expect_rc, proc.stdout + proc.stderr
    return proc.stderr


def key_lines(path, key):
    lines = Path(path).read_text().splitlines()
    return [line for line in lines if line.split("=", 1)[0].strip() == key]


def assert_once(path, key, value):
    found = key_lines(path, key)
    assert found == ["%s=%s" % (key, value)], "%s in %s: %r" % (key, path, found)


def test_library_is_identical_in_every_role():
    texts = {(REPO / "roles" / role / "templates" / LIB).read_text() for role in ROLES_WITH_USER_DATA}
    assert len(texts) == 1


@pytest.mark.parametrize("value", ["a&b/c|d", "x\\y 'q' \"z\"", "mongodb://u:p%2F@h:1/?a=b&c=d", ""])
def test_set_property_handles_special_characters(tmp_path, value):
    conf = tmp_path / "x.properties"
    conf.write_text("# comment key=1\nkey=old\nother=1\nkey = duplicate\nkey2=keep\n")
    conf.chmod(0o640)
    lib = REPO / "roles" / "wcs" / "templates" / LIB
    for _attempt in range(2):
        subprocess.run(["bash", "-c", 'set -u; . "$0"; set_property "$1" key "$2"', str(lib), str(conf), value],
                       check=True, capture_output=True, env=dict(os.environ, PER_BOOT_DIR=""))
    text = conf.read_text()
    assert text == "# comment key=1\nkey=%s\nother=1\nkey2=keep\n" % value
    assert stat.S_IMODE(conf.stat().st_mode) == 0o640


def test_set_property_appends_once_when_absent(tmp_path):
    conf = tmp_path / "x.properties"
    conf.write_text("a=1")  # no final newline
    lib = REPO / "roles" / "wcs" / "templates" / LIB
    for _attempt in range(3):
        subprocess.run(["bash", "-c", '. "$0"; set_property "$1" cdn_ip 10.0.0.1', str(lib), str(conf)],
                       check=True, capture_output=True)
    assert conf.read_text() == "a=1\ncdn_ip=10.0.0.1\n"


def copy_tree(source, dest):
    shutil.copytree(source, dest)
    return dest


@pytest.mark.parametrize("cdn_role", ["origin", "edge"])
def test_wcs_user_data_twice(playbook, run_module, tmp_path, imds, cdn_role):
    home = copy_tree(ARCHIVES / "wcs" / "server", tmp_path / "wcs")
    conf = home / "conf" / "flashphoner.properties"
    # What the vendor's boot script leaves after a few boots: keys appended again and again.
    conf.write_text(conf.read_text() + "\ncdn_ip=0.0.0.0\n\ncdn_ip=0.0.0.0\ncdn_role=origin\n")
    conf.chmod(0o644)
    point_of_entry = "10.0.1.10" if cdn_role == "edge" else ""
    script = render(playbook, tmp_path, "wcs", {
        "wcs_cdn_role": cdn_role, "wcs_cdn_point_of_entry": point_of_entry, "wcs_home": "/nonexistent"})
    per_boot = tmp_path / "per-boot"
    env = {"WCS_HOME": str(home), "PER_BOOT_DIR": str(per_boot)}
    first = run_script(script, imds, env)
    assert "set cdn_ip" in first
    second = run_script(script, imds, env)
    assert "settings already current" in second and "set cdn_" not in second
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
    assert ("PUT", "/latest/api/token") in ImdsHandler.calls
    # The foundation module sees nothing left to change.
    result = run_module("wcs_config", {
        "home": str(home), "cdn_enabled": True, "cdn_role": cdn_role, "cdn_ip": METADATA["local-ipv4"],
        "cdn_point_of_entry": point_of_entry or None}, check_mode=True)
    assert result.get("changed") is False, result


def test_wcs_user_data_fails_without_metadata(playbook, tmp_path):
    home = copy_tree(ARCHIVES / "wcs" / "server", tmp_path / "wcs")
    conf = home / "conf" / "flashphoner.properties"
    before = conf.read_bytes()
    script = render(playbook, tmp_path, "wcs", {"wcs_cdn_role": "edge", "wcs_cdn_point_of_entry": "10.0.1.10"})
    err = run_script(script, "http://127.0.0.1:9", {"WCS_HOME": str(home), "PER_BOOT_DIR": ""}, expect_rc=1)
    assert "no private address" in err
    assert conf.read_bytes() == before


def test_wcs_user_data_refuses_origin_pointing_at_itself(playbook, tmp_path, imds):
    home = copy_tree(ARCHIVES / "wcs" / "server", tmp_path / "wcs")
    script = render(playbook, tmp_path, "wcs", {
        "wcs_cdn_role": "origin", "wcs_cdn_point_of_entry": METADATA["local-ipv4"]})
    err = run_script(script, imds, {"WCS_HOME": str(home), "PER_BOOT_DIR": ""}, expect_rc=1)
    assert "must not be its own address" in err


def test_wcs_user_data_entry_point_refuses_edge_without_point_of_entry(playbook, tmp_path):
    results = playbook.run([
        {"name": "render", "ansible.builtin.include_role": {
            "name": "streamfleet.cluster.wcs", "tasks_from": "user_data"},
         "vars": {"wcs_cdn_role": "edge"}}], expect_failure=True)
    assert any(r.get("failed") for r in results)


@pytest.mark.parametrize("ip_source", ["local-ipv4", "instance-id"])
def test_streammanager_user_data_twice(playbook, run_module, tmp_path, imds, ip_source):
    home = copy_tree(ARCHIVES / "red5pro", tmp_path / "red5pro")
    conf = home / "webapps" / "streammanager" / "WEB-INF" / "red5-web.properties"
    conf.chmod(0o600)
    script = render(playbook, tmp_path, "red5pro_streammanager",
                    {"red5pro_streammanager_user_data_ip_source": ip_source})
    env = {"RED5_HOME": str(home), "PER_BOOT_DIR": str(tmp_path / "per-boot")}
    run_script(script, imds, env)
    second = run_script(script, imds, env)
    assert "settings already current" in second
    assert_once(conf, "streammanager.ip", METADATA[ip_source])
    assert stat.S_IMODE(conf.stat().st_mode) == 0o600
    result = run_module("red5pro_streammanager_config", {
        "home": str(home), "streammanager_ip": METADATA[ip_source]}, check_mode=True)
    assert result.get("changed") is False, result


APP_CONFIGS = ("LiveApp", "WebRTCAppEE")


@pytest.mark.parametrize("source", ["url", "parts"])
def test_antmedia_user_data_twice(playbook, run_module, tmp_path, imds, source):
    home = copy_tree(ARCHIVES / "antmedia", tmp_path / "antmedia")
    for path in [home / "conf" / "red5.properties"] + list(home.glob("webapps/*/WEB-INF/red5-web.properties")):
        path.chmod(0o640)
    password = "p&s/w|rd"
    if source == "url":
        url = "mongodb://antmedia:p%26s%2Fw%7Crd@10.0.9.9:27017/?authSource=admin&retryWrites=true"
        role_vars = {"antmedia_cluster_url": url}
        module_db = {"database_url": url}
    else:
        url = "mongodb://antmedia:p%26s%2Fw%7Crd@10.0.9.9:27017,10.0.9.10:27018/?authSource=admin&replicaSet=rs0"
        role_vars = {"antmedia_cluster_db_hosts": ["10.0.9.9", "10.0.9.10:27018"],
                     "antmedia_cluster_db_user": "antmedia", "antmedia_cluster_db_password": password,
                     "antmedia_cluster_db_auth_source": "admin", "antmedia_cluster_db_replica_set": "rs0"}
        module_db = {"database_hosts": ["10.0.9.9", "10.0.9.10:27018"], "database_port": 27017,
                     "database_user": "antmedia", "database_password": password,
                     "database_auth_source": "admin", "database_replica_set": "rs0"}
    script = render(playbook, tmp_path, "antmedia", role_vars)
    assert password not in playbook.last_output
    env = {"AMS_HOME": str(home), "PER_BOOT_DIR": str(tmp_path / "per-boot")}
    first = run_script(script, imds, env)
    second = run_script(script, imds, env)
    for log in (first, second):
        assert "p%26s" not in log and password not in log
    assert "settings already current" in second
    server = home / "conf" / "red5.properties"
    assert_once(server, "clusterdb.host", url)
    assert_once(server, "clusterdb.user", "")
    assert_once(server, "clusterdb.password", "")
    assert_once(server, "useGlobalIp", "false")
    for app in APP_CONFIGS:
        conf = home / "webapps" / app / "WEB-INF" / "red5-web.properties"
        assert_once(conf, "db.type", "mongodb")
        assert_once(conf, "db.host", url)
        assert_once(conf, "db.password", "")
        assert stat.S_IMODE(conf.stat().st_mode) == 0o640
    jee = (home / "conf" / "jee-container.xml").read_text()
    assert jee.count("<!-- cluster start -->") == 1 and jee.count("<!-- cluster end -->") == 1
    result = run_module("antmedia_cluster_mode", dict(home=str(home), mode="cluster", **module_db),
                        check_mode=True)
    assert result.get("changed") is False, result
