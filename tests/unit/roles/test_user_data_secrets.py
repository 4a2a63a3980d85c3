"""User data that names secrets instead of holding them (MongoDB boot path, Ant Media nodes).

Rendered through the roles' ``tasks_from: user_data`` entry points, then (Ant Media) run with
bash and the boot library on plain python3 against the IMDSv2 and secret-store stand-ins on
127.0.0.1: the password reaches the files, never the script or its output.
"""
import json
import re
import shlex
import subprocess
import sys
from urllib.parse import quote

import pytest
import yaml

from ansible_collections.streamfleet.cluster.plugins.module_utils.servers import antmedia
from lib.harness import tree_snapshot as snapshot
from standins import imds_standin, secretstore_standin
from test_user_data import ARCHIVES, PLAIN_PYTHON, REPO, copy_tree, render_all, rendered, run_script

PASSWORD = "p@:/?#[]%&+ s\"'\\\u00fc=;,$(touch x)`"
PARAMETER = "/streamfleet/ams-unit/antmedia/mongodb-app-password"
# The mongodb role's user data refuses a password where a secret reference belongs, and an open bind.
MONGODB_REFUSED = {"plain_password": {"mongodb_app_password_secret": "plain-password-123"},
                   "open_bind": {"mongodb_user_data_bind_addresses": ["0.0.0.0"]}}


@pytest.fixture(scope="module")
def boot_launcher(tmp_path_factory):
    """The bundle and launcher as the server_boot role installs them (the role itself is tested
    in test_user_data.py; building them directly keeps this module fast)."""
    root = tmp_path_factory.mktemp("boot")
    files = yaml.safe_load((REPO / "roles" / "server_boot" / "defaults" / "main.yml").read_text())["server_boot_module_utils"]
    bundle = root / "streamfleet-boot.zip"
    subprocess.run([sys.executable, str(REPO / "roles" / "server_boot" / "files" / "build_bundle.py"),
                    str(REPO / "plugins" / "module_utils"), str(bundle)] + files, check=True)
    launcher = root / "streamfleet-boot"
    launcher.write_text("#!/bin/sh\nexec %s -sE %s \"$@\"\n" % (PLAIN_PYTHON, bundle))
    launcher.chmod(0o755)
    return launcher


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    """The user data of every test below, from one ansible-playbook run (test_user_data.render_all)."""
    return render_all(tmp_path_factory.mktemp("user-data"), RENDER_CASES)


@pytest.fixture
def standins():
    imds = imds_standin.start({"placement/region": "eu-west-1", "local-ipv4": "10.0.3.7"}, role="sf-ams-nodes")
    store = secretstore_standin.start(parameters={PARAMETER: {"Type": "SecureString", "Value": PASSWORD}})
    yield imds, store
    store.stop()
    imds.stop()


def test_antmedia_node_reads_its_password_at_boot(renders, tmp_path, standins, boot_launcher):
    imds, store = standins
    home = copy_tree(ARCHIVES / "antmedia", tmp_path / "antmedia")
    reference = copy_tree(ARCHIVES / "antmedia", tmp_path / "reference")
    script = rendered(renders, "antmedia_password_secret", tmp_path)
    text = script.read_text()
    assert PASSWORD not in text and quote(PASSWORD, safe="") not in text
    assert "CLUSTER_URL=mongodb://antmedia@10.0.9.9:27017\n" in text
    assert ("--password-secret " + shlex.quote("ssm:" + PARAMETER)) in text
    env = {"AMS_HOME": str(home), "PER_BOOT_DIR": "", "SECRET_ENDPOINT": store.endpoint}
    first = run_script(script, boot_launcher, imds.endpoint, env)
    second = run_script(script, boot_launcher, imds.endpoint, env)
    assert "settings already current" in second
    for log in (first, second):
        assert PASSWORD not in log and quote(PASSWORD, safe="") not in log
    url = "mongodb://antmedia:%s@10.0.9.9:27017" % quote(PASSWORD, safe="")
    plans = antmedia.plan(str(reference), "cluster", url)
    for item in (plans[0] if isinstance(plans, tuple) else plans):
        if item.changed:
            with open(item.path, "w") as handle:
                handle.write(item.after)
    got = snapshot(home)
    got.pop("conf/initialized")
    assert got == snapshot(reference), "same bytes as the planner given the full URL"
    assert [(c["name"], c["with_decryption"], c["key_id"]) for c in store.calls] == [
        (PARAMETER, True, "ASIASTANDIN0001"), (PARAMETER, True, "ASIASTANDIN0002")]


def test_mongodb_user_data_names_the_secrets_and_holds_no_password(renders, tmp_path):
    script = rendered(renders, "mongodb_secrets", tmp_path)
    text = script.read_text()
    match = re.search(r"^boot_secret mongodb-boot --settings-json (.+)$", text, re.M)
    assert match, text
    settings = json.loads(shlex.split(match.group(1))[0])
    assert settings["admin"] == {"name": "admin", "password_secret": "ssm:/streamfleet/ams/admin",
                                 "roles": [{"db": "admin", "role": "root"}]}
    assert settings["users"][0]["password_secret"] == "secretsmanager:ams/mongodb#password"
    assert {"role": "readWrite", "db": "clusterdb"} in settings["users"][0]["roles"]
    assert (settings["config_path"], settings["service"], settings["bind_addresses"]) == (
        "/etc/mongod.conf", "mongod", ["127.0.0.1"])
    keys = set()
    pending = [settings]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            keys.update(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    assert "password" not in keys and "pwd" not in keys


@pytest.mark.parametrize("bad", sorted(MONGODB_REFUSED))
def test_mongodb_user_data_refuses_a_password_or_an_open_bind(renders, bad):
    playbook = renders["mongodb_refused_" + bad]
    assert playbook.stats.get("failures") == 1, playbook.last_output
    assert "secret references" in playbook.last_output
    assert "plain-password-123" not in playbook.last_output


# -- the user data the tests above run or refuse, rendered together by the ``renders`` fixture ---
RENDER_CASES = {
    "antmedia_password_secret": ("antmedia", {
        "antmedia_cluster_db_hosts": ["10.0.9.9"], "antmedia_cluster_db_user": "antmedia",
        "antmedia_cluster_db_password_secret": "ssm:" + PARAMETER, "antmedia_user_data_db_wait_seconds": 0}),
    "mongodb_secrets": ("mongodb", {
        "mongodb_package_source": "official",
        "mongodb_admin_password_secret": "ssm:/streamfleet/ams/admin",
        "mongodb_app_password_secret": "secretsmanager:ams/mongodb#password"}),
}
RENDER_CASES.update({"mongodb_refused_" + name: ("mongodb", dict({"mongodb_admin_password_secret": "ssm:/a",
                                                                 "mongodb_app_password_secret": "ssm:/b"}, **bad))
                     for name, bad in MONGODB_REFUSED.items()})
