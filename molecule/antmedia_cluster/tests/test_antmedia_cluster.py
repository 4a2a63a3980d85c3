"""Verify the Ant Media cluster (Molecule scenario `antmedia_cluster`, testinfra).

Runs on every host of the scenario; the Ant Media checks skip the MongoDB host (the mongodb
scenario verifies that one).
"""

import hashlib
import json
import pathlib
import sys
from urllib.parse import quote

import pytest
import yaml

# The helpers every scenario's verifier shares (molecule/shared/streamfleet_verifier.py).
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "shared"))
from streamfleet_verifier import (  # noqa: E402
    assert_no_secret_in_ansible_output,
    assert_no_secret_in_world_readable_files,
    host_groups,
    lines_of,
    on,
    other_host,
    private_address,
    run_user_data_twice,
    http_get,
    wait_http,
)

SCENARIO = pathlib.Path(__file__).resolve().parent.parent
CREDENTIALS = yaml.safe_load((SCENARIO / "vars" / "credentials.yml").read_text())
SECRETS = [value for key, value in CREDENTIALS.items()
           if key.endswith(("password", "licence_key", "access_key_secret", "security_token"))]
SECRET_FORMS = SECRETS + [quote(value, safe="") for value in SECRETS]
HOME = "/usr/local/antmedia"
SERVER_CONFIG = HOME + "/conf/red5.properties"
# Laid out as the shipped server (tests/standins/archives/antmedia): the root console carries
# db.user/db.password lines, the applications made from the StreamApp template have none.
APPS = ("LiveApp", "WebRTCAppEE", "root")
APPS_WITH_CREDENTIAL_LINES = ("root",)
JEE = HOME + "/conf/jee-container.xml"
SETTINGS = [SERVER_CONFIG] + ["%s/webapps/%s/WEB-INF/red5-web.properties" % (HOME, app) for app in APPS] + [JEE]

# The probes' shared start: the cluster URL read from the server's own configuration file
# (never from a command line) and a client on it.
CONNECT_WITH_SERVER_URL = r"""
url = None
for line in open("/usr/local/antmedia/conf/red5.properties"):
    if line.startswith("clusterdb.host="):
        url = line.split("=", 1)[1].strip()
client = MongoClient(url, serverSelectionTimeoutMS=10000)
"""

# Runs on an Ant Media host with pymongo. It reads the cluster URL from the server's own
# configuration file, so no credential is ever on a command line.
PROBE = r"""
import json, socket, time
from pymongo import MongoClient
from pymongo.errors import OperationFailure
""" + CONNECT_WITH_SERVER_URL + r"""out = {}
node = {"id": "verifier-" + socket.gethostname(), "ip": socket.gethostname(),
        "lastUpdateTime": int(time.time() * 1000)}
nodes = client["clusterdb"]["clusternode"]
nodes.replace_one({"id": node["id"]}, node, upsert=True)
out["cluster_write"] = nodes.find_one({"id": node["id"]}) is not None
nodes.delete_one({"id": node["id"]})

def refused(call):
    try:
        call()
        return False
    except OperationFailure as exc:
        return exc.code == 13 or "not authorized" in str(exc)
out["other_db_refused"] = refused(lambda: client["not_granted"]["x"].insert_one({"a": 1}))
out["admin_refused"] = refused(lambda: client["admin"].command("createUser", "intruder", pwd="x", roles=[]))
# The web panel's users: the console keeps them in serverdb.user of the cluster database.
out_users = [dict((k, v) for k, v in user.items() if k != "_id") for user in client["serverdb"]["user"].find()]
print(json.dumps({"checks": out, "users": out_users}))
"""


def is_antmedia(host):
    return "antmedia" in host_groups(host)


def mongodb_address(host):
    return private_address(other_host(host, "sf-ams-mongodb"))


def expected_url(host):
    # The mongodb role's mongodb_cluster_url: user and password percent-encoded.
    return "mongodb://antmedia:%s@%s:27017" % (
        quote(CREDENTIALS["mongodb_app_password"], safe=""), mongodb_address(host))


def assert_cluster_keys_once(host):
    url = expected_url(host)
    content = on(host).file(SERVER_CONFIG).content_string
    for key, value in (("clusterdb.host", url), ("clusterdb.user", ""), ("clusterdb.password", ""),
                       ("useGlobalIp", "false")):
        right = lines_of(host, SERVER_CONFIG, key, content) == ["%s=%s" % (key, value)]
        assert right, key  # the values hold the password: not compared in the assert
    for app in APPS:
        path = "%s/webapps/%s/WEB-INF/red5-web.properties" % (HOME, app)
        content = on(host).file(path).content_string
        for key, value in (("db.type", "mongodb"), ("db.host", url)):
            right = lines_of(host, path, key, content) == ["%s=%s" % (key, value)]
            assert right, (app, key)
        for key in ("db.user", "db.password"):
            # Emptied where the shipped file has the line, never added where it has none.
            wanted = ["%s=" % key] if app in APPS_WITH_CREDENTIAL_LINES else []
            assert lines_of(host, path, key, content) == wanted, (app, key)
    jee = on(host).file(JEE).content_string
    # Three cluster blocks in the shipped file, all active.
    assert jee.count("<!-- cluster start -->") == 3 and jee.count("<!-- cluster end -->") == 3
    assert jee.count("cluster start") == 3 and jee.count("cluster end") == 3


def settings_digests(host):
    result = on(host).run("sha256sum " + " ".join(SETTINGS))
    assert result.rc == 0, result.stderr
    return dict(reversed(line.split()) for line in result.stdout.splitlines())


def ams_get(host, path):
    result = http_get(host, "http://127.0.0.1:5080%s" % path)
    assert result.rc == 0, result.stderr
    return result.stdout


def wait_live(host, timeout=60):
    wait_http(host, "http://127.0.0.1:5080/rest/v2/liveness", timeout)


@pytest.fixture
def ams(host):
    if not is_antmedia(host):
        pytest.skip("MongoDB host")
    return host


def test_service_enabled_and_running(ams):
    service = on(ams).service("antmedia")
    assert service.is_enabled
    assert service.is_running
    assert on(ams).process.filter(user="antmedia"), "the server does not run as the antmedia user"


def test_liveness_answers(ams):
    assert json.loads(ams_get(ams, "/rest/v2/liveness"))["host"]


def test_cluster_keys_once_with_the_right_values(ams):
    assert_cluster_keys_once(ams)


def test_configuration_reaches_mongod_with_least_privilege(ams):
    result = ams.ansible("ansible.builtin.command", json.dumps({"argv": ["python3", "-c", PROBE]}), check=False)
    assert result.get("rc") == 0, result.get("stderr")
    out = json.loads(result["stdout"])["checks"]
    assert out == {"cluster_write": True, "other_db_refused": True, "admin_refused": True}


def test_first_administrator_exists_once_in_the_cluster_database(ams):
    # Every node answers that the panel has its user: none can be claimed by a visitor.
    assert json.loads(ams_get(ams, "/rest/v2/first-login-status"))["success"] is False
    result = ams.ansible("ansible.builtin.command", json.dumps({"argv": ["python3", "-c", PROBE]}), check=False)
    assert result.get("rc") == 0, result.get("stderr")
    users = json.loads(result["stdout"])["users"]
    # One administrator for the whole cluster (origin and edge share it), password as MD5 only.
    assert [(user["email"], user["userType"], user["scope"]) for user in users] == [
        ("admin@example.com", "ADMIN", "system")]
    assert users[0]["password"] == hashlib.md5(CREDENTIALS["antmedia_admin_password"].encode()).hexdigest()
    # Nothing about users is kept on the node itself in cluster mode.
    assert not on(ams).file(HOME + "/standin-state/users.json").exists


def test_licence_key_once_where_the_vendor_puts_it(ams):
    # The shipped file has "server.licence_key=" (empty): the key replaces its value in place.
    assert lines_of(ams, SERVER_CONFIG, "server.licence_key") == [
        "server.licence_key=" + CREDENTIALS["antmedia_licence_key"]]


def test_file_modes(ams):
    paths = SETTINGS[:-1]
    for path in paths:
        config = on(ams).file(path)
        assert (config.user, config.group) == ("antmedia", "antmedia"), path
        assert config.mode == 0o600, path
    assert on(ams).file("/var/cache/streamfleet/antmedia").mode == 0o700


def test_no_secret_in_world_readable_files(host):
    assert_no_secret_in_world_readable_files(host, SECRET_FORMS)


def test_no_secret_in_the_ansible_output():
    assert_no_secret_in_ansible_output(SECRET_FORMS)


def test_vendor_script_finds_nothing_to_change(ams):
    # The stand-in of change_server_mode.sh (the vendor's semantics; it edits
    # /usr/local/antmedia and restarts antmedia) run on the tree the role switched with
    # method=files: no byte of the settings changes. The URL is read from the server's file on
    # the host, so it is never on this verifier's command line.
    before = settings_digests(ams)
    run = on(ams).run("cd / && sh -c '%s/change_server_mode.sh cluster \"$(sed -n \"s/^clusterdb.host=//p\" %s)\"'"
                      % (HOME, SERVER_CONFIG))
    assert run.rc == 0, run.stderr
    for secret in SECRET_FORMS:
        assert secret not in run.stdout + run.stderr
    assert settings_digests(ams) == before
    wait_live(ams)


def test_user_data_after_the_vendor_standalone_switch(ams):
    # Undo cluster mode the vendor's way, then let the boot-time user data switch back twice.
    module_made = dict((path, on(ams).file(path).content_string) for path in SETTINGS)
    undo = on(ams).run("%s/change_server_mode.sh standalone" % HOME)
    assert undo.rc == 0, undo.stderr
    assert "<!-- cluster start -->" not in on(ams).file(JEE).content_string
    recorded = {}

    def record_first_run():
        recorded["digests"] = settings_digests(ams)
        recorded["mtime"] = on(ams).file(SERVER_CONFIG).mtime

    first, second = run_user_data_twice(ams, {"local-ipv4": private_address(ams)}, between=record_first_run)
    assert settings_digests(ams) == recorded["digests"] and on(ams).file(SERVER_CONFIG).mtime == recorded["mtime"]
    for output in (first.stdout + first.stderr, second.stdout + second.stderr):
        for secret in SECRET_FORMS:
            assert secret not in output
    assert_cluster_keys_once(ams)
    # The same bytes the module wrote, but for the space the vendor's standalone switch left
    # after each start marker (kept, as the vendor script keeps it).
    for path in SETTINGS:
        expected = module_made[path]
        if path == JEE:
            expected = expected.replace("<!-- cluster start -->", "<!-- cluster start --> ")
        assert on(ams).file(path).content_string == expected, path
    per_boot = on(ams).file("/var/lib/cloud/scripts/per-boot/streamfleet-antmedia.sh")
    assert per_boot.exists and per_boot.mode == 0o700 and per_boot.user == "root"
    wait_live(ams)


# ---- The Alibaba boot path (issue 18; converge.yml's last plays) ---------------------------
# The MongoDB host booted as the stack's MongoDB instance in converge (first boot) and in the
# idempotence converge (second boot); the edge boots as a node here, last of its checks: from
# then on its cluster URL names the Alibaba path's user, not the one the checks above expect.
ALI_DIR = "/root/sf-alicloud"
ALI_USER_DATA = ALI_DIR + "/user-data.sh"
ALI_USER = "antmedia_alicloud"
ALI_PASSWORD = CREDENTIALS["alicloud_mongodb_app_password"]
PER_BOOT = "/var/lib/cloud/scripts/per-boot/"

# Run on the edge with pymongo: logs in with the URL of the server's own configuration file
# (never on a command line) and reports who it is, whether it may write the cluster database,
# and whether the same URL without its password is refused.
ALI_PROBE = r"""
import json
from pymongo import MongoClient
from pymongo.errors import OperationFailure
from urllib.parse import urlsplit
""" + CONNECT_WITH_SERVER_URL + r"""status = client["admin"].command("connectionStatus")
users = [u["user"] for u in status["authInfo"]["authenticatedUsers"]]
client["clusterdb"]["alicloud_probe"].replace_one({"_id": 1}, {"_id": 1}, upsert=True)
client["clusterdb"]["alicloud_probe"].drop()
parts = urlsplit(url)
try:
    MongoClient(url.replace(":" + parts.password + "@", ":wrong@", 1),
                serverSelectionTimeoutMS=10000)["clusterdb"].command("ping")
    wrong_refused = False
except OperationFailure:
    wrong_refused = True
print(json.dumps({"users": users, "wrote": True, "wrong_password_refused": wrong_refused,
                  "user_in_url": parts.username}))
"""

MONGO_AUTH_PROBE = r"""
import json
from pymongo import MongoClient
from pymongo.errors import OperationFailure
try:
    MongoClient("mongodb://127.0.0.1:27017", serverSelectionTimeoutMS=10000).admin.command("listDatabases")
    print(json.dumps({"anonymous_refused": False}))
except OperationFailure:
    print(json.dumps({"anonymous_refused": True}))
"""


def _assert_no_secret_in(host, paths):
    # grep reads the patterns on standard input: the secrets never reach a command line.
    args = {"argv": ["sh", "-c", "grep -lF -f /dev/stdin " + " ".join(paths) + " || true"],
            "stdin": "\n".join(SECRET_FORMS)}
    result = host.ansible("ansible.builtin.command", json.dumps(args), check=False)
    assert result.get("rc") == 0, result.get("stderr")
    assert result["stdout"].strip() == "", "secrets in " + result["stdout"]


def test_alicloud_mongodb_boot(host):
    if "mongodb" not in host_groups(host):
        pytest.skip("the MongoDB instance's check")
    remote = on(host)
    conf = remote.file("/etc/mongodb.conf").content_string
    assert "authorization: enabled" in conf
    probe = remote.run("python3 -c %s", MONGO_AUTH_PROBE)
    assert probe.rc == 0, probe.stderr
    assert json.loads(probe.stdout) == {"anonymous_refused": True}
    per_boot = remote.file(PER_BOOT + "streamfleet-mongodb.sh")
    assert per_boot.exists and per_boot.mode == 0o700 and per_boot.user == "root"
    assert per_boot.content_string == remote.file(ALI_USER_DATA).content_string
    # The user data names the secrets, holds none (nor does anything it left behind).
    assert "alicloud-oos:sf-molecule-ali-mongodb-admin" in per_boot.content_string
    _assert_no_secret_in(host, [ALI_USER_DATA, PER_BOOT + "streamfleet-mongodb.sh"])
    # One more boot, as at the next start: nothing changes (the idempotence converge was one).
    mtime = remote.file("/etc/mongodb.conf").mtime
    again = remote.run(PER_BOOT + "streamfleet-mongodb.sh")
    assert again.rc == 0, again.stderr
    assert "MongoDB already configured; nothing changed" in again.stderr
    assert remote.file("/etc/mongodb.conf").mtime == mtime
    for secret in SECRET_FORMS:
        assert secret not in again.stdout + again.stderr


def test_alicloud_node_boot_reaches_mongodb_with_its_user(ams):
    if "antmedia_edge" not in host_groups(ams):
        pytest.skip("the edge boots as the Alibaba node")
    remote = on(ams)
    user_data = remote.file(ALI_USER_DATA).content_string
    # ROS's UserData after its two Fn::Replace: the URL with the user and the MongoDB
    # instance's address, no password; the password is read at boot from OOS.
    assert "CLUSTER_URL='mongodb://%s@%s:27017'" % (ALI_USER, mongodb_address(ams)) in user_data
    assert "--password-secret alicloud-oos:sf-molecule-ali-mongodb-app" in user_data
    recorded = {}

    def boot():
        # As cloud-init runs it: root, no settings from the environment, the real endpoints.
        return remote.run("env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin %s" % ALI_USER_DATA)

    first = boot()
    assert first.rc == 0, first.stderr
    assert "database password read from alicloud-oos:sf-molecule-ali-mongodb-app" in first.stderr
    recorded["digests"] = settings_digests(ams)
    recorded["mtime"] = remote.file(SERVER_CONFIG).mtime
    second = remote.run(PER_BOOT + "streamfleet-antmedia.sh")
    assert second.rc == 0, second.stderr
    assert settings_digests(ams) == recorded["digests"] and remote.file(SERVER_CONFIG).mtime == recorded["mtime"]
    assert "settings already current; antmedia left as it is" in second.stderr
    for output in (first.stdout + first.stderr, second.stdout + second.stderr):
        for secret in SECRET_FORMS:
            assert secret not in output
    url = "mongodb://%s:%s@%s:27017" % (ALI_USER, quote(ALI_PASSWORD, safe=""), mongodb_address(ams))
    assert lines_of(ams, SERVER_CONFIG, "clusterdb.host") == ["clusterdb.host=" + url]  # holds the password
    for app in APPS:
        path = "%s/webapps/%s/WEB-INF/red5-web.properties" % (HOME, app)
        assert lines_of(ams, path, "db.host") == ["db.host=" + url], app
    # A real login from the node with the URL the boot wrote.
    probe = ams.ansible("ansible.builtin.command", json.dumps({"argv": ["python3", "-c", ALI_PROBE]}), check=False)
    assert probe.get("rc") == 0, probe.get("stderr")
    assert json.loads(probe["stdout"]) == {"users": [ALI_USER], "wrote": True, "wrong_password_refused": True,
                                           "user_in_url": ALI_USER}
    _assert_no_secret_in(ams, [ALI_USER_DATA, PER_BOOT + "streamfleet-antmedia.sh"])
    assert_no_secret_in_world_readable_files(ams, SECRET_FORMS)
    wait_live(ams)
