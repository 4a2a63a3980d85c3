"""MongoDB at boot: ``mongod.conf`` edits, the boot settings, a node's wait and its password read.

The MongoDB instance's whole boot (users through the localhost exception, a second boot that
changes nothing) runs on a real mongod in the Molecule scenario ``mongodb``.
"""
import io
import json
import subprocess
import sys
from urllib.parse import quote

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.boot import cli, mongodb_boot
from ansible_collections.streamfleet.cluster.plugins.module_utils.mongodb import mongodb_url
from standins import imds_standin, secretstore_standin
from test_boot_cli import MODULE_UTILS, REPO, installed_files, interpreters, tree

PASSWORD = "p@:/?#[]%&+ s\"'\\\u00fc=;,"
PARAMETER = "/streamfleet/ams-test/antmedia/mongodb-app-password"

# What the mongodb role's template writes (to_nice_yaml, sorted keys, indent 2).
ROLE_CONFIG = """# Ansible managed
net:
  bindIp: 127.0.0.1,10.20.1.9
  port: 27017
security:
  authorization: enabled
storage:
  dbPath: /var/lib/mongodb
systemLog:
  destination: file
  logAppend: true
  path: /var/log/mongodb/mongod.log
"""
# Laid out like the YAML mongod.conf the mongodb-org packages install (commented section
# headers, "#security:" shipped commented out). NOT checked against the shipped file: the stored
# copy of mongodb/mongo debian/mongod.conf (commit 24f56c56) is the old ini format; the 8.0
# package's file should be compared before this layout is relied on.
PACKAGE_CONFIG = """# mongod.conf

# for documentation of all options, see:
#   http://docs.mongodb.org/manual/reference/configuration-options/

# Where and how to store data.
storage:
  dbPath: /var/lib/mongodb
#  engine:
#  wiredTiger:

# where to write logging data.
systemLog:
  destination: file
  logAppend: true
  path: /var/log/mongodb/mongod.log

# network interfaces
net:
  port: 27017
  bindIp: 127.0.0.1


# how the process runs
processManagement:
  timeZoneInfo: /usr/share/zoneinfo

#security:

#operationProfiling:
"""


def test_role_config_gets_the_private_address_in_place_then_nothing():
    after = mongodb_boot.plan_config(ROLE_CONFIG, ["127.0.0.1", "10.20.1.44"], 27017)
    assert after == ROLE_CONFIG.replace("10.20.1.9", "10.20.1.44")
    assert mongodb_boot.plan_config(after, ["127.0.0.1", "10.20.1.44"], 27017) == after
    # The role's own run for that host leaves the same bytes: no restart after the boot.
    assert mongodb_boot.plan_config(ROLE_CONFIG, ["127.0.0.1", "10.20.1.9"], 27017) == ROLE_CONFIG


def test_package_config_edited_in_place_security_uncommented():
    after = mongodb_boot.plan_config(PACKAGE_CONFIG, ["127.0.0.1", "10.20.1.44"], 27017)
    assert "  bindIp: 127.0.0.1,10.20.1.44\n" in after
    assert "\nsecurity:\n  authorization: enabled\n\n#operationProfiling:" in after
    assert "#security:" not in after
    assert after.count("bindIp") == 1 and after.count("port: 27017") == 1
    # Everything else is kept, comments included.
    kept = [line for line in PACKAGE_CONFIG.splitlines() if "bindIp" not in line and line != "#security:"]
    assert [line for line in after.splitlines() if line in kept] == kept
    assert mongodb_boot.plan_config(after, ["127.0.0.1", "10.20.1.44"], 27017) == after


def test_missing_key_goes_into_its_section():
    text = "net:\n  port: 27017\nstorage:\n  dbPath: /data\n"
    assert mongodb_boot.set_yaml_key(text, "net", "bindIp", "127.0.0.1") == (
        "net:\n  port: 27017\n  bindIp: 127.0.0.1\nstorage:\n  dbPath: /data\n")
    assert mongodb_boot.set_yaml_key("", "security", "authorization", "enabled") == "security:\n  authorization: enabled\n"


SETTINGS = {
    "config_path": "/etc/mongod.conf", "service": "mongod", "port": 27017,
    "admin": {"name": "admin", "roles": [{"role": "root", "db": "admin"}], "password_secret": "ssm:/a"},
    "users": [{"name": "antmedia", "roles": [{"role": "readWrite", "db": "clusterdb"}], "password_secret": "ssm:/b"}],
}


def test_settings_defaults():
    settings = mongodb_boot.check_settings(json.loads(json.dumps(SETTINGS)))
    assert settings["bind_addresses"] == ["127.0.0.1"] and settings["bind_private_address"] is True
    assert settings["users"][0]["database"] == "admin"


@pytest.mark.parametrize("change, message", [
    ({"admin": {"name": "admin", "roles": [], "password": "plain"}}, "admin needs password_secret"),
    ({"users": [{"name": "x", "roles": [], "password_secret": "ssm:/x", "password": "plain"}]}, "unknown key(s) password"),
    ({"bind_addresses": ["0.0.0.0"]}, "0.0.0.0"),
    ({"port": 0}, "port 0"),
    ({"colour": "blue"}, "unknown MongoDB boot setting(s): colour"),
    ({"update_password": "sometimes"}, "update_password"),
])
def test_bad_settings_are_refused_by_name(change, message):
    doc = dict(json.loads(json.dumps(SETTINGS)), **change)
    with pytest.raises(mongodb_boot.MongoBootError) as caught:
        mongodb_boot.check_settings(doc)
    assert message in str(caught.value)


class FakeTime(object):
    def __init__(self):
        self.now = 0.0
        self.slept = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


class FakeClient(object):
    """Answers like pymongo: failures first (mongod starting, user not created yet), then a login."""

    def __init__(self, outcomes):
        self.outcomes = outcomes
        self.seen = []

    def __call__(self, url, **kwargs):
        self.seen.append(url)
        return self

    def __getitem__(self, database):
        self.database = database
        return self

    def command(self, name):
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def close(self):
        pass


def test_node_waits_until_its_user_logs_in():
    url = mongodb_url(["10.20.1.9"], user="antmedia", password=PASSWORD)
    client = FakeClient([ConnectionError("10.20.1.9:27017: [Errno 111] Connection refused"),
                         RuntimeError("Authentication failed., full error: {'code': 18}"),
                         {"authInfo": {"authenticatedUsers": [{"user": "antmedia", "db": "admin"}]}}])
    fake = FakeTime()
    ok, how = mongodb_boot.wait_for_database(url, 60, fake.sleep, fake.clock, client_factory=client)
    assert ok and "antmedia" in how
    assert fake.slept == [1.0, 2.0] and client.database == "admin"


def test_node_wait_is_bounded_and_says_why():
    url = mongodb_url(["10.20.1.9"], user="antmedia", password=PASSWORD)
    client = FakeClient([RuntimeError("Authentication failed.")] * 100)
    fake = FakeTime()
    ok, why = mongodb_boot.wait_for_database(url, 100, fake.sleep, fake.clock, client_factory=client)
    assert not ok and "Authentication failed" in why
    assert sum(fake.slept) == pytest.approx(100) and max(fake.slept) <= mongodb_boot.MAX_BACKOFF_SECONDS
    assert PASSWORD not in why


@pytest.fixture
def standins():
    imds = imds_standin.start({"placement/region": "eu-west-1", "local-ipv4": "10.20.1.44"}, role="sf-ams-nodes")
    store = secretstore_standin.start(parameters={PARAMETER: {"Type": "SecureString", "Value": PASSWORD}},
                                      secrets={"ams/mongodb": json.dumps({"password": PASSWORD})})
    yield imds, store
    store.stop()
    imds.stop()


@pytest.mark.parametrize("reference", ["ssm:" + PARAMETER, "secretsmanager:ams/mongodb#password"])
def test_node_boot_reads_the_password_from_the_store(tmp_path, monkeypatch, standins, reference):
    """The user data's URL has no password; the files get the same bytes as with the full URL."""
    imds, store = standins
    home, expected = tree(tmp_path, "antmedia", "node"), tree(tmp_path, "antmedia", "expected")
    base = "mongodb+srv://antmedia@mongo.cluster0.example.net/?authSource=admin&retryWrites=true"
    full = base.replace("antmedia@", "antmedia:%s@" % quote(PASSWORD, safe=""))
    argv = ["antmedia-cluster-mode", "--home", str(home), "--mode", "cluster", "--url-stdin",
            "--password-secret", reference, "--metadata-endpoint", imds.endpoint, "--secret-endpoint", store.endpoint,
            "--retries", "1"]
    err = io.StringIO()
    monkeypatch.setattr(sys, "stdin", io.StringIO(base + "\n"))
    assert cli.main(argv, io.StringIO(), err) == cli.EXIT_CHANGED, err.getvalue()
    monkeypatch.setattr(sys, "stdin", io.StringIO(full + "\n"))
    assert cli.main(["antmedia-cluster-mode", "--home", str(expected), "--mode", "cluster", "--url-stdin"],
                    io.StringIO(), io.StringIO()) == cli.EXIT_CHANGED
    for path in sorted(p for p in expected.rglob("*") if p.is_file()):
        assert (home / path.relative_to(expected)).read_bytes() == path.read_bytes(), path
    assert PASSWORD not in err.getvalue() and "read from" in err.getvalue()
    assert [c["status"] for c in store.calls] == [200]


def test_node_boot_refuses_a_url_that_already_holds_a_password(tmp_path, monkeypatch):
    home = tree(tmp_path, "antmedia")
    monkeypatch.setattr(sys, "stdin", io.StringIO("mongodb://antmedia:x@10.0.0.1/\n"))
    err = io.StringIO()
    rc = cli.main(["antmedia-cluster-mode", "--home", str(home), "--mode", "cluster", "--url-stdin",
                   "--password-secret", "ssm:/x"], io.StringIO(), err)
    assert rc == cli.EXIT_ERROR and "already holds a password" in err.getvalue()


def test_mongodb_boot_changes_nothing_when_a_secret_is_missing(tmp_path, standins):
    """Every secret is read before the first write (with plain python3 and the bundle)."""
    imds, store = standins
    config = tmp_path / "mongod.conf"
    config.write_text(PACKAGE_CONFIG)
    settings = dict(SETTINGS, config_path=str(config))
    settings["admin"] = dict(settings["admin"], password_secret="ssm:/streamfleet/missing")
    bundle = tmp_path / "streamfleet-boot.zip"
    subprocess.run([sys.executable, str(REPO / "roles" / "server_boot" / "files" / "build_bundle.py"), str(MODULE_UTILS),
                    str(bundle)] + installed_files(), check=True)
    python = interpreters()[-1]
    # The MongoDB image has python3-pymongo; this interpreter may not: give it a stand-in module.
    fake = tmp_path / "fakepymongo"
    (fake / "pymongo").mkdir(parents=True)
    (fake / "pymongo" / "__init__.py").write_text("class MongoClient(object):\n    pass\n")
    (fake / "pymongo" / "errors.py").write_text(
        "class PyMongoError(Exception):\n    pass\n\n\nclass OperationFailure(PyMongoError):\n    pass\n")
    code = ("import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; "
            "from ansible_collections.streamfleet.cluster.plugins.module_utils.boot.cli import main; "
            "sys.exit(main(sys.argv[3:]))")
    result = subprocess.run([python, "-I", "-c", code, str(bundle), str(fake), "mongodb-boot", "--settings-json",
                             json.dumps(settings), "--metadata-endpoint", imds.endpoint, "--secret-endpoint",
                             store.endpoint, "--retries", "1"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == cli.EXIT_ERROR, result.stderr
    assert "ParameterNotFound" in result.stderr and "/streamfleet/missing" in result.stderr
    assert config.read_text() == PACKAGE_CONFIG
    assert PASSWORD not in result.stderr
