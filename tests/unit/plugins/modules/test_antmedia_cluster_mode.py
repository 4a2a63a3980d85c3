# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import shutil
import sys
from pathlib import Path

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.files.properties import PropertiesDocument
from lib.harness import tree_snapshot as snapshot

# Expected trees written from the vendor script's documented semantics (shared with the
# module_utils tests).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "module_utils"))
from antmedia_expected import (  # noqa: E402
    PLAIN_URL,
    REPLICA_URL,
    REPO,
    TREE,
    cluster_tree,
    in_vendor_home,
    make_home,
    needs_namespace,
    standalone_tree,
)
from antmedia_expected import snapshot as settings  # noqa: E402
PASSWORD = "Mongo@:/?#%&Secret"
ENCODED = "Mongo%40%3A%2F%3F%23%25%26Secret"


@pytest.fixture
def home(tmp_path):
    dest = tmp_path / "antmedia"
    shutil.copytree(TREE, dest)
    return dest


def parts(root, **extra):
    base = dict(home=str(root), mode="cluster", database_hosts=["10.0.1.10", "10.0.2.10"],
                database_port=27017, database_user="antmedia", database_password=PASSWORD,
                database_auth_source="admin", database_replica_set="rs0")
    base.update(extra)
    return dict((k, v) for k, v in base.items() if v is not None)


EXPECTED_URL = ("mongodb://antmedia:%s@10.0.1.10:27017,10.0.2.10:27017/?authSource=admin&replicaSet=rs0"
                % ENCODED)
REDACTED_URL = "mongodb://antmedia:****@10.0.1.10:27017,10.0.2.10:27017/?authSource=admin&replicaSet=rs0"


def assert_no_secret(text):
    for secret in (PASSWORD, ENCODED, EXPECTED_URL, "%40%3A%2F"):
        assert secret not in text


def props(home, rel):
    return PropertiesDocument.parse((home / rel).read_text())


def test_cluster_from_parts_then_idempotent(run_module, home):
    result = run_module("antmedia_cluster_mode", parts(home))
    assert result["changed"] is True, result
    assert result["restart_required"] is True
    assert result["database_url"] == REDACTED_URL
    assert result["database_type"] == "mongodb"
    assert result["previous"]["mode"] == "standalone"
    assert result["apps"] == ["LiveApp", "WebRTCAppEE", "root"]
    assert result["apps_without_db"] == []
    assert result["changed_files"] == {
        "conf/red5.properties": ["clusterdb.host"],
        "webapps/LiveApp/WEB-INF/red5-web.properties": ["db.type", "db.host"],
        "webapps/WebRTCAppEE/WEB-INF/red5-web.properties": ["db.type", "db.host"],
        "webapps/root/WEB-INF/red5-web.properties": ["db.type", "db.host"],
        "conf/jee-container.xml": ["cluster blocks"],
    }
    assert_no_secret(json.dumps(result))
    assert settings(home) == cluster_tree(EXPECTED_URL)

    again = run_module("antmedia_cluster_mode", parts(home))
    assert again["changed"] is False
    assert again["restart_required"] is False
    assert again["changed_files"] == {}
    assert again["previous"]["mode"] == "cluster"
    assert again["previous"]["database_url"] == REDACTED_URL


@pytest.mark.parametrize("url", [PLAIN_URL, REPLICA_URL])
@pytest.mark.parametrize("mode", ["cluster", "standalone"])
def test_tree_the_vendor_script_switched_is_not_changed(run_module, tmp_path, mode, url):
    home = make_home(tmp_path / "vendor", cluster_tree(url) if mode == "cluster" else standalone_tree(url))
    before = snapshot(home)
    result = run_module("antmedia_cluster_mode", dict(home=str(home), mode=mode, database_url=url))
    assert result["changed"] is False, result["changed_files"]
    assert snapshot(home) == before


@pytest.mark.parametrize("url", [PLAIN_URL, REPLICA_URL])
def test_given_url_is_written_as_given(run_module, home, url):
    result = run_module("antmedia_cluster_mode", dict(home=str(home), mode="cluster", database_url=url))
    assert result["changed"], result
    assert settings(home) == cluster_tree(url)


def test_check_mode_writes_nothing_and_reports_the_same(run_module, home):
    before = snapshot(home)
    checked = run_module("antmedia_cluster_mode", parts(home), check_mode=True)
    assert snapshot(home) == before
    real = run_module("antmedia_cluster_mode", parts(home))
    assert checked["changed"] is real["changed"] is True
    assert checked["changed_files"] == real["changed_files"]
    assert run_module("antmedia_cluster_mode", parts(home), check_mode=True)["changed"] is False


def test_diff_redacts_urls(run_module, home):
    result = run_module("antmedia_cluster_mode", parts(home), diff=True)
    headers = [d["before_header"] for d in result["diff"]]
    assert headers == ["conf/red5.properties", "webapps/LiveApp/WEB-INF/red5-web.properties",
                       "webapps/WebRTCAppEE/WEB-INF/red5-web.properties",
                       "webapps/root/WEB-INF/red5-web.properties", "conf/jee-container.xml"]
    assert "clusterdb.host=localhost" in result["diff"][0]["before"]
    assert "clusterdb.host=%s" % REDACTED_URL in result["diff"][0]["after"]
    assert result["diff"][4]["after"].count("<!-- cluster start -->") == 3
    assert_no_secret(json.dumps(result))


def test_back_to_standalone_writes_empty_values(run_module, home):
    run_module("antmedia_cluster_mode", parts(home))
    result = run_module("antmedia_cluster_mode", dict(home=str(home), mode="standalone"), diff=True)
    assert result["changed"] is True and result["database_url"] is None
    assert result["database_type"] == "mapdb"
    assert_no_secret(json.dumps(result))  # the old URL is redacted in the diff's "before"
    assert settings(home) == standalone_tree()
    assert run_module("antmedia_cluster_mode", dict(home=str(home), mode="standalone"))["changed"] is False


def test_standalone_with_mongodb(run_module, home):
    result = run_module("antmedia_cluster_mode", dict(home=str(home), mode="standalone",
                                                      database_url="mongodb://10.0.0.9"))
    assert result["changed"]
    assert settings(home) == standalone_tree("mongodb://10.0.0.9")


def test_redis_url_gives_redisdb(run_module, home):
    url = "redis://:r3dis%40pw@10.0.0.7:6379"
    result = run_module("antmedia_cluster_mode", dict(home=str(home), mode="cluster", database_url=url))
    assert result["changed"] and result["database_type"] == "redisdb"
    assert result["database_url"] == "redis://:****@10.0.0.7:6379"
    assert "r3dis" not in json.dumps(result)
    expected = cluster_tree(url)
    for rel in list(expected):
        expected[rel] = expected[rel].replace("db.type=mongodb", "db.type=redisdb")
    assert settings(home) == expected


@pytest.mark.parametrize("value, expected", [
    ("10.0.0.5", "mongodb://10.0.0.5"),
    ("dbserver", "mongodb://dbserver"),
    ("mongodb+srv://u:p%40@c0.example.net/?tls=true", "mongodb+srv://u:p%40@c0.example.net/?tls=true"),
    ("mongodb://h2,h1/?w=majority&replicaSet=rs0", "mongodb://h2,h1/?w=majority&replicaSet=rs0"),
])
def test_bare_address_becomes_a_url_a_url_stays_as_given(run_module, home, value, expected):
    result = run_module("antmedia_cluster_mode", dict(home=str(home), mode="cluster", database_url=value))
    assert result["changed"], result
    assert props(home, "conf/red5.properties").get("clusterdb.host") == expected


def test_srv_and_tls_and_options_from_parts(run_module, home):
    result = run_module("antmedia_cluster_mode", dict(
        home=str(home), mode="cluster", database_hosts=["cluster0.abc.example.net"], database_srv=True,
        database_user="u", database_password="long-pass", database_tls=True,
        database_options={"retryWrites": True, "w": "majority"}))
    assert result["changed"], result
    assert props(home, "conf/red5.properties").get("clusterdb.host") == (
        "mongodb+srv://u:long-pass@cluster0.abc.example.net/?retryWrites=true&tls=true&w=majority")


URL_ONLY = dict(database_hosts=None, database_port=None, database_user=None, database_password=None,
                database_auth_source=None, database_replica_set=None)


@pytest.mark.parametrize("extra, message", [
    (dict(database_hosts=None), "mode is cluster but any of the following are missing"),
    (dict(database_url="mongodb://h"), "mutually exclusive"),
    (dict(URL_ONLY, database_url="mongodb://h/?x=1\\"), "backslash"),
    (dict(URL_ONLY, database_url="mongodb://h/?appName=db.user=x"), "db.user="),
    (dict(URL_ONLY, database_url="/etc/redis.conf"), "file path"),
    (dict(URL_ONLY, database_url="mongodb://h h"), "white space"),
    (dict(URL_ONLY, database_url="mongodb://u:%s@h" % PASSWORD), "percent-encode"),
    (dict(database_hosts=None, database_url="mongodb://h", database_user="u"), "cannot be combined"),
    (dict(database_port=70000), "1 to 65535"),
    (dict(database_hosts=["ok", "not valid"]), "not a valid host"),
    (dict(database_hosts=[]), "at least one"),
    (dict(database_options={"nonsense": 1}), "unknown MongoDB connection option"),
    (dict(database_srv=True), "exactly one host"),
    (dict(method="script"), "edits /usr/local/antmedia whatever home is given"),
    (dict(home="/nonexistent/antmedia"), "does not exist"),
])
def test_invalid_input_fails_and_leaves_files_alone(run_module, home, extra, message):
    before = snapshot(home)
    result = run_module("antmedia_cluster_mode", parts(home, **extra))
    assert result.get("failed") is True, result
    assert message in result["msg"], result["msg"]
    assert snapshot(home) == before
    assert_no_secret(json.dumps(result))


def test_parts_without_hosts_refused(run_module, home):
    result = run_module("antmedia_cluster_mode", dict(home=str(home), mode="standalone", database_user="u"))
    assert result["failed"] and "need database_hosts" in result["msg"]


def test_no_cluster_blocks_fail_before_writing(run_module, home):
    jee = home / "conf" / "jee-container.xml"
    jee.write_text(jee.read_text().replace("cluster start", "start").replace("cluster end", "end"))
    before = snapshot(home)
    result = run_module("antmedia_cluster_mode", parts(home))
    assert result["failed"] and "no '<!-- cluster start'" in result["msg"]
    assert snapshot(home) == before


def test_backup(run_module, home):
    result = run_module("antmedia_cluster_mode", parts(home, backup=True))
    assert set(result["backup_files"]) == set(result["changed_files"])
    saved = Path(result["backup_files"]["conf/red5.properties"]).read_bytes()
    assert saved == (TREE / "conf" / "red5.properties").read_bytes()


def test_script_method_refuses_another_home_before_running(run_module, home):
    marker = home / "script-ran"
    (home / "change_server_mode.sh").write_text("#!/bin/sh\ntouch %s\n" % marker)
    before = snapshot(home)
    result = run_module("antmedia_cluster_mode", dict(home=str(home), mode="cluster", method="script",
                                                      database_url=PLAIN_URL))
    assert result["failed"] and "use method=files" in result["msg"]
    assert not marker.exists() and snapshot(home) == before


MODULE = REPO / "plugins" / "modules" / "antmedia_cluster_mode.py"


def run_in_vendor_home(tmp_path, tree, args):
    """The module run as Ansible runs it, where /usr/local/antmedia is ``tree``."""
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": dict(args, home="/usr/local/antmedia")}))
    done = in_vendor_home(tmp_path / "ns", tree, ["env", "PYTHONPATH=%s" % (REPO / ".build" / "collections"),
                                                  sys.executable, MODULE, args_file])
    return json.loads(done.stdout), done


@needs_namespace
@pytest.mark.parametrize("url", [PLAIN_URL, REPLICA_URL])
def test_script_method_in_the_vendor_home(tmp_path, url):
    tree = make_home(tmp_path)
    result, done = run_in_vendor_home(tmp_path, tree, dict(mode="cluster", method="script", database_url=url))
    assert result["changed"] is True, (result, done.stderr)
    assert result["restart_required"] is False  # the vendor script restarts the service itself
    assert "Mode: cluster" in result["script_output"]
    assert settings(tree) == cluster_tree(url)
    assert_no_secret(json.dumps(result))
    for secret in ("s3cr%40t", "s3cr@t"):
        assert secret not in json.dumps(result)
    again, _done = run_in_vendor_home(tmp_path, tree, dict(mode="cluster", method="script", database_url=url))
    assert again["changed"] is False and "script_output" not in again
    back, _done = run_in_vendor_home(tmp_path, tree, dict(mode="standalone", method="script"))
    assert back["changed"] is True and settings(tree) == standalone_tree()
    files, _done = run_in_vendor_home(tmp_path, tree, dict(mode="standalone", method="files"))
    assert files["changed"] is False


@needs_namespace
def test_script_that_changes_nothing_is_detected(tmp_path):
    tree = make_home(tmp_path)
    (tree / "change_server_mode.sh").write_text("#!/bin/sh\nexit 0\n")
    result, _done = run_in_vendor_home(tmp_path, tree, dict(mode="cluster", method="script", database_url=PLAIN_URL))
    assert result["failed"] and "still differ from cluster mode" in result["msg"]


@needs_namespace
def test_script_failure_is_reported_redacted(tmp_path):
    tree = make_home(tmp_path)
    (tree / "change_server_mode.sh").write_text("#!/bin/sh\necho \"cannot reach $2\" >&2\nexit 3\n")
    result, _done = run_in_vendor_home(tmp_path, tree, dict(mode="cluster", method="script", database_url=PLAIN_URL))
    assert result["failed"] and result["rc"] == 3
    assert "exited with 3" in result["msg"] and "mongodb://ams:****@" in result["msg"]
    assert "s3cr" not in json.dumps(result)


@needs_namespace
def test_script_method_check_mode_does_not_run_it(tmp_path):
    tree = make_home(tmp_path)
    before = settings(tree)
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {
        "home": "/usr/local/antmedia", "mode": "cluster", "method": "script", "database_url": PLAIN_URL,
        "_ansible_check_mode": True}}))
    done = in_vendor_home(tmp_path / "ns", tree, ["env", "PYTHONPATH=%s" % (REPO / ".build" / "collections"),
                                                  sys.executable, MODULE, args_file])
    result = json.loads(done.stdout)
    assert result["changed"] is True and "script_output" not in result
    assert settings(tree) == before


def test_playbook_check_diff_apply_idempotent(playbook, home):
    task = {"name": "cluster mode", "streamfleet.cluster.antmedia_cluster_mode": parts(home)}
    before = snapshot(home)
    checked = playbook.run([task], check=True, diff=True)[0]
    assert checked["changed"] is True
    assert snapshot(home) == before
    assert REDACTED_URL in playbook.last_output
    assert_no_secret(playbook.last_output)

    applied = playbook.run([task], diff=True)[0]
    assert applied["changed"] is True and applied["restart_required"] is True
    assert_no_secret(playbook.last_output)

    again = playbook.run([task], diff=True)[0]
    assert again["changed"] is False
    assert_no_secret(playbook.last_output)


def test_playbook_url_from_vars_and_failure(playbook, home):
    url = "mongodb://antmedia:%s@10.0.1.10" % ENCODED
    task = {"name": "cluster mode", "streamfleet.cluster.antmedia_cluster_mode": {
        "home": str(home), "mode": "cluster", "method": "script", "database_url": "{{ db_url }}"}}
    failed = playbook.run([task], diff=True, play_vars={"db_url": url}, expect_failure=True)[0]
    assert failed["failed"] is True and "whatever home is given" in failed["msg"]
    assert_no_secret(playbook.last_output)

    before = snapshot(home)
    bad = {"name": "bad", "streamfleet.cluster.antmedia_cluster_mode": {
        "home": str(home), "mode": "cluster", "database_url": "mongodb://h/?x=1 2"}}
    failed = playbook.run([bad], expect_failure=True)[0]
    assert failed["failed"] is True and "white space" in failed["msg"]
    assert snapshot(home) == before


def test_every_line_holding_a_key_is_replaced_none_added(run_module, home):
    app = home / "webapps" / "LiveApp" / "WEB-INF" / "red5-web.properties"
    app.write_text(app.read_text() + "#db.host=mongodb://old:%s@x\n" % ENCODED)
    result = run_module("antmedia_cluster_mode", parts(home), diff=True)
    assert result["changed"]
    text = app.read_text()
    assert text.count("db.host=%s\n" % EXPECTED_URL) == 2 and "db.user" not in text
    assert_no_secret(json.dumps(result))


def test_password_inside_a_given_url_is_never_returned_decoded(run_module, home):
    secret = "decoded@Secret/1"
    url = "mongodb://ams:decoded%40Secret%2F1@db.internal:27017"
    result = run_module("antmedia_cluster_mode", dict(home=str(home), mode="cluster", database_url=url),
                        diff=True)
    assert result["changed"]
    text = json.dumps(result)
    assert secret not in text and "decoded%40Secret" not in text
    assert result["database_url"] == "mongodb://ams:****@db.internal:27017"
