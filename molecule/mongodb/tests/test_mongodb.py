"""Verify the mongodb role on a real mongod (Molecule scenario `mongodb`, testinfra)."""

import json
import os
import pathlib
import subprocess
import sys
from urllib.parse import quote

import pytest
import yaml

SCENARIO = pathlib.Path(__file__).resolve().parent.parent
CREDENTIALS = yaml.safe_load((SCENARIO / "vars" / "credentials.yml").read_text())
ADMIN = ("admin", CREDENTIALS["mongodb_admin_password"])
APP = ("antmedia", CREDENTIALS["mongodb_app_password"])
SECRETS = [CREDENTIALS["mongodb_admin_password"], CREDENTIALS["mongodb_app_password"]]
CONFIG = "/etc/mongodb.conf"
SERVICE = "mongodb"

# Runs on the test host with the role's pymongo. The request (credentials included) comes on
# standard input (`podman exec -i`), so it is never on a command line.
PROBE = r"""
import json, sys
from pymongo import MongoClient
from pymongo.errors import OperationFailure
req = json.load(sys.stdin)
kw = dict(host=req["host"], port=27017, serverSelectionTimeoutMS=10000)
if req.get("user"):
    kw.update(username=req["user"], password=req["password"], authSource="admin")
client = MongoClient(**kw)
out = []
for db, cmd in req["commands"]:
    try:
        client[db].command(cmd)
        out.append({"ok": True})
    except OperationFailure as exc:
        out.append({"ok": False, "code": exc.code, "error": str(exc)})
print(json.dumps(out))
"""


def run_commands(host, commands, user=None, host_address="127.0.0.1"):
    request = {"host": host_address, "commands": commands}
    if user:
        request.update(user=user[0], password=user[1])
    result = subprocess.run(
        ["podman", "exec", "-i", host.backend.name, "python3", "-c", PROBE],
        input=json.dumps(request), capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def private_address(host):
    addresses = [a for a in host.interface("eth0").addresses if ":" not in a]
    assert addresses, "no IPv4 address on eth0"
    return addresses[0]


def test_service_runs_and_is_enabled(host):
    service = host.service(SERVICE)
    assert service.is_running, "mongod is not running: the scenario must not pass without it"
    assert service.is_enabled
    assert host.process.filter(comm="mongod"), "no mongod process"


def test_config_file_mode_owner_and_content(host):
    config = host.file(CONFIG)
    assert config.user == "mongodb"
    assert config.group == "mongodb"
    assert config.mode in (0o600, 0o640)
    settings = yaml.safe_load(config.content_string)
    assert settings["security"]["authorization"] == "enabled"
    assert "0.0.0.0" not in settings["net"]["bindIp"]


def test_listens_on_private_address_and_localhost_only(host):
    listening = host.socket.get_listening_sockets()
    mongo = sorted(s for s in listening if s.endswith(":27017"))
    assert "tcp://127.0.0.1:27017" in mongo
    assert f"tcp://{private_address(host)}:27017" in mongo
    assert "tcp://0.0.0.0:27017" not in mongo
    assert not any(s.startswith("tcp://:::") for s in mongo)


def test_unauthenticated_write_is_refused(host):
    (result,) = run_commands(host, [["clusterdb", {"insert": "clusternode", "documents": [{"id": "anonymous"}]}]])
    assert not result["ok"]
    assert result["code"] == 13  # Unauthorized


def test_cluster_user_can_write_its_databases(host):
    results = run_commands(host, [
        ["clusterdb", {"insert": "clusternode", "documents": [{"id": "verify", "ip": "10.0.0.1"}]}],
        ["clusterdb", {"find": "clusternode", "filter": {"id": "verify"}}],
        ["clusterdb", {"delete": "clusternode", "deletes": [{"q": {"id": "verify"}, "limit": 0}]}],
        ["serverdb", {"insert": "User", "documents": [{"email": "verify"}]}],
    ], user=APP, host_address=private_address(host))
    assert all(r["ok"] for r in results), results


def test_cluster_user_cannot_administer(host):
    results = run_commands(host, [
        ["admin", {"createUser": "intruder", "pwd": "intruder-password", "roles": ["root"]}],
        ["admin", {"listDatabases": 1}],
        ["admin", {"dropDatabase": 1}],
        ["clusterdb", {"dropDatabase": 1}],
        ["otherdb", {"insert": "things", "documents": [{"x": 1}]}],
        ["admin", {"shutdown": 1}],
    ], user=APP)
    assert not any(r["ok"] for r in results), results
    assert all(r["code"] == 13 for r in results), results


def test_administrator_can_administer(host):
    (result,) = run_commands(host, [["admin", {"usersInfo": 1}]], user=ADMIN)
    assert result["ok"], result


def test_wrong_password_is_refused(host):
    (result,) = run_commands(host, [["clusterdb", {"find": "clusternode"}]], user=("antmedia", "not-the-password"))
    assert not result["ok"]
    assert result["code"] == 18  # AuthenticationFailed


def test_no_credential_in_tmp(host):
    for directory in ("/tmp", "/var/tmp"):
        # Patterns on standard input (grep -f -), not on a command line.
        result = subprocess.run(
            ["podman", "exec", "-i", host.backend.name, "grep", "-rlsF", "-f", "-", directory],
            input="\n".join(SECRETS) + "\n", capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 1, f"credential found under {directory}: {result.stdout}"


def test_no_credential_in_ansible_output():
    """scripts/molecule.sh tees Molecule's output to a log; converge and idempotence are in it."""
    log = os.environ.get("STREAMFLEET_MOLECULE_LOG")
    if not log:
        pytest.skip("run through scripts/molecule.sh to check the Ansible output")
    text = pathlib.Path(log).read_text(errors="replace")
    assert "PLAY RECAP" in text, "the log does not hold the converge output"
    for secret in SECRETS:
        for form in (secret, secret.replace(":", "%3A").replace("@", "%40").replace("/", "%2F")):
            assert form not in text


# Lists the node documents of Ant Media's cluster collection as the application user.
LIST_NODES = r"""
import json, sys
from pymongo import MongoClient
req = json.load(sys.stdin)
client = MongoClient(host=req["host"], port=27017, username=req["user"], password=req["password"],
                     authSource="admin", serverSelectionTimeoutMS=10000)
print(json.dumps(sorted(d["_id"] for d in client["clusterdb"][req["collection"]].find({}, {"_id": 1}))))
"""


def node_ids(host, collection="clusternode"):
    request = {"host": private_address(host), "user": APP[0], "password": APP[1], "collection": collection}
    result = subprocess.run(
        ["podman", "exec", "-i", host.backend.name, "python3", "-c", LIST_NODES],
        input=json.dumps(request), capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_dead_cluster_nodes_were_removed_live_ones_kept(host):
    """converge seeded Ant Media's node layout and ran antmedia_cluster_nodes on it."""
    assert node_ids(host) == ["node-live-1", "node-live-2", "node-old-on-live-address"]


def test_cleanup_refused_to_empty_a_collection(host):
    assert node_ids(host, "clusternode_all_dead") == ["node-dead-1", "node-dead-2", "node-old-on-live-address"]


# -- the boot path (converge: tasks_from image, then the rendered user data, twice) --------------
BOOT_SCRIPTS = ("/root/streamfleet-mongodb-user-data.sh", "/root/streamfleet-node-user-data.sh")


def molecule_log():
    log = os.environ.get("STREAMFLEET_MOLECULE_LOG")
    if not log:
        pytest.skip("run through scripts/molecule.sh to read the converge output")
    return pathlib.Path(log).read_text(errors="replace")


def test_first_boot_created_the_users_second_boot_changed_nothing():
    text = molecule_log()
    assert "user admin (admin) created" in text, "the first boot created the administrator (localhost exception)"
    assert "user antmedia (admin) created" in text
    assert "MongoDB already configured" in text, "the second boot (idempotence converge) changed nothing"
    assert "MongoDB boot path took" in text


def test_user_data_names_the_secrets_and_holds_none(host):
    for script in BOOT_SCRIPTS:
        text = host.file(script).content_string
        assert "ssm:/streamfleet/molecule/mongodb/mongodb-app-password" in text
        for secret in SECRETS:
            for form in (secret, quote(secret, safe="")):
                assert form not in text, script


def test_node_boot_wrote_the_cluster_url_with_the_password_from_the_store(host):
    properties = host.file("/root/ams-node/conf/red5.properties").content_string
    url = "mongodb://antmedia:%s@%s:27017" % (quote(APP[1], safe=""), private_address(host))
    assert ("clusterdb.host=%s" % url) in properties.splitlines()


def test_stand_ins_saw_signed_reads_with_the_instance_credentials(host):
    """The SSM stand-in refuses unsigned requests; its journal shows the two GetParameter calls."""
    journal = host.run("journalctl -u sf-molecule-ssm --no-pager -o cat").stdout
    assert journal.count("POST / HTTP") >= 3, journal  # admin, app (MongoDB boot), app (node boot)
    assert " 400 " not in journal and " 403 " not in journal


# -- issue 21: the passwords are only in private files -------------------------------------------
sys.path.insert(0, str(SCENARIO.parent / "shared"))
from host_secrets import files_holding, leaks  # noqa: E402


def test_passwords_only_in_private_files_of_root_or_mongodb(host):
    """The host's configuration, software, cloud-init, temporary and home directories and logs
    hold the scenario's passwords (any encoding) only in mode-0600/0400 files of root or mongodb."""
    secrets = {"mongodb_admin_password": CREDENTIALS["mongodb_admin_password"],
               "mongodb_app_password": CREDENTIALS["mongodb_app_password"]}
    # The search finds what it looks for: the secret store stand-in's data holds both.
    holding = {path: labels for path, _mode, _owner, labels in files_holding(host, secrets)}
    assert sorted(holding.get("/root/secretstore.json", [])) == sorted(secrets)
    assert leaks(host, secrets, owners=("root", "mongodb")) == []
