# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import shutil
from pathlib import Path

import pytest
from lib.harness import tree_snapshot as snapshot

TREE = Path(__file__).resolve().parents[3] / "standins" / "trees" / "red5pro_node"
PASSWORD = "Cl&ster<\"pw'%"
ESCAPED = "Cl&amp;ster&lt;&quot;pw'%"


@pytest.fixture
def home(tmp_path):
    dest = tmp_path / "red5pro"
    shutil.copytree(TREE, dest)
    return dest


def args(home, **extra):
    base = dict(home=str(home), active=True, stream_manager_host="sm-lb.example.com",
                reporting_speed=15000, cluster_password=PASSWORD)
    base.update(extra)
    return dict((k, v) for k, v in base.items() if v is not None)


def assert_no_secret(text):
    for secret in (PASSWORD, ESCAPED):
        assert secret not in text


def test_first_run_sets_everything_second_run_changes_nothing(run_module, home):
    result = run_module("red5pro_node_config", args(home))
    assert result["changed"] is True
    assert result["restart_required"] is True
    assert result["changed_properties"] == {
        "autoscale": ["active", "cloudWatchHost", "reportingSpeed"], "cluster": ["password"]}
    assert result["cloudwatch_host"] == "http://sm-lb.example.com:5080/streammanager/cloudwatch"
    autoscale = (home / "conf" / "autoscale.xml").read_text()
    assert '<property name="active" value="true"/>' in autoscale
    assert 'value="http://sm-lb.example.com:5080/streammanager/cloudwatch"' in autoscale
    assert '<property name="reportingSpeed" value="15000"/>' in autoscale
    assert 'value="%s"' % ESCAPED.replace("'", "'") in (home / "conf" / "cluster.xml").read_text()
    assert_no_secret(json.dumps(result))

    again = run_module("red5pro_node_config", args(home))
    assert again["changed"] is False
    assert again["restart_required"] is False
    assert again["changed_properties"] == {"autoscale": [], "cluster": []}


def test_only_the_edited_lines_change(run_module, home):
    before = (home / "conf" / "autoscale.xml").read_text().splitlines()
    run_module("red5pro_node_config", dict(home=str(home), active=True))
    after = (home / "conf" / "autoscale.xml").read_text().splitlines()
    assert [(a, b) for a, b in zip(before, after) if a != b] == [
        ('        <property name="active" value="false"/>', '        <property name="active" value="true"/>')]
    assert len(before) == len(after)


def test_check_mode_writes_nothing_and_reports_the_same(run_module, home):
    before = snapshot(home)
    checked = run_module("red5pro_node_config", args(home), check_mode=True)
    assert snapshot(home) == before
    real = run_module("red5pro_node_config", args(home))
    assert checked["changed"] is True and real["changed"] is True
    assert checked["changed_properties"] == real["changed_properties"]
    checked_again = run_module("red5pro_node_config", args(home), check_mode=True)
    assert checked_again["changed"] is False


def test_diff_masks_the_password(run_module, home):
    result = run_module("red5pro_node_config", args(home), diff=True)
    diffs = dict((Path(d["before_header"]).name, d) for d in result["diff"])
    assert set(diffs) == {"autoscale.xml", "cluster.xml"}
    assert 'value="false"' in diffs["autoscale.xml"]["before"]
    assert 'value="true"' in diffs["autoscale.xml"]["after"]
    assert "changeme" not in json.dumps(result)
    assert 'name="password" value="********' in diffs["cluster.xml"]["after"]
    assert diffs["cluster.xml"]["before"] != diffs["cluster.xml"]["after"]
    assert_no_secret(json.dumps(result))
    assert run_module("red5pro_node_config", args(home), diff=True).get("diff") == []


def test_full_cloudwatch_url(run_module, home):
    url = "https://sm.example.com/streammanager/cloudwatch"
    result = run_module("red5pro_node_config", dict(home=str(home), cloudwatch_host=url))
    assert result["changed"] and result["cloudwatch_host"] == url
    assert 'value="%s"' % url in (home / "conf" / "autoscale.xml").read_text()


def test_https_and_ipv6_stream_manager(run_module, home):
    result = run_module("red5pro_node_config", dict(
        home=str(home), stream_manager_host="fd00::5", stream_manager_port=443,
        stream_manager_scheme="https"))
    assert result["cloudwatch_host"] == "https://[fd00::5]:443/streammanager/cloudwatch"


def test_explicit_paths_and_backup(run_module, tmp_path):
    shutil.copy(TREE / "conf" / "autoscale.xml", tmp_path / "a.xml")
    shutil.copy(TREE / "conf" / "cluster.xml", tmp_path / "c.xml")
    result = run_module("red5pro_node_config", dict(
        home="/nonexistent", autoscale_path=str(tmp_path / "a.xml"),
        cluster_path=str(tmp_path / "c.xml"), active=True, cluster_password="long-password", backup=True))
    assert result["changed"], result
    assert set(result["backup_files"]) == {"autoscale", "cluster"}
    assert Path(result["backup_files"]["cluster"]).read_bytes() == (TREE / "conf" / "cluster.xml").read_bytes()


def test_cluster_xml_becomes_owner_only_autoscale_xml_keeps_its_mode(run_module, home):
    cluster, autoscale = home / "conf" / "cluster.xml", home / "conf" / "autoscale.xml"
    cluster.chmod(0o644)  # as shipped
    autoscale.chmod(0o644)
    result = run_module("red5pro_node_config", args(home, backup=True))
    assert cluster.stat().st_mode & 0o777 == 0o600
    assert Path(result["backup_files"]["cluster"]).stat().st_mode & 0o777 == 0o600
    assert autoscale.stat().st_mode & 0o777 == 0o644


def test_mode_is_kept(run_module, home):
    target = home / "conf" / "cluster.xml"
    target.chmod(0o600)
    run_module("red5pro_node_config", dict(home=str(home), cluster_password="other"))
    assert target.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("extra, message", [
    (dict(reporting_speed=4999), "reporting_speed must be from 5000 to 30000"),
    (dict(reporting_speed=30001), "reporting_speed must be from 5000 to 30000"),
    (dict(stream_manager_host=None, cloudwatch_host="ftp://x/streammanager/cloudwatch"), "http:// or https://"),
    (dict(stream_manager_host=None, cloudwatch_host="http:///streammanager"), "has no host"),
    (dict(stream_manager_host=None, cloudwatch_host="http://a b/"), "white space"),
    (dict(stream_manager_host=None, cloudwatch_host="http://u:p@h/x"), "credentials"),
    (dict(stream_manager_host=None, cloudwatch_host="http://h:99999/x"), "Port out of range"),
    (dict(stream_manager_host=None, cloudwatch_host="http://h:0/x"), "invalid port"),
    (dict(stream_manager_host="bad host"), "stream_manager_host"),
    (dict(stream_manager_port=0), "stream_manager_port"),
    (dict(cloudwatch_host="http://x/"), "mutually exclusive"),
    (dict(cluster_password=""), "must not be empty"),
    (dict(autoscale_bean="nope"), "no bean 'nope'"),
])
def test_invalid_input_fails_and_leaves_files_alone(run_module, home, extra, message):
    before = snapshot(home)
    result = run_module("red5pro_node_config", args(home, **extra))
    assert result.get("failed") is True, result
    assert message in result["msg"]
    assert snapshot(home) == before
    assert_no_secret(json.dumps(result))


def test_nothing_to_do_is_an_error(run_module, home):
    result = run_module("red5pro_node_config", dict(home=str(home)))
    assert result["failed"] and "one of the following is required" in result["msg"]


def test_missing_or_broken_files(run_module, home):
    (home / "conf" / "autoscale.xml").write_text("<beans><bean>")
    result = run_module("red5pro_node_config", dict(home=str(home), active=True))
    assert result["failed"] and "not well-formed" in result["msg"]
    (home / "conf" / "cluster.xml").unlink()
    result = run_module("red5pro_node_config", dict(home=str(home), cluster_password="long-password"))
    assert result["failed"] and "cluster.xml not found" in result["msg"]


def test_cluster_xml_without_password_property(run_module, home):
    target = home / "conf" / "cluster.xml"
    target.write_text(target.read_text().replace('name="password"', 'name="secret"'))
    before = target.read_bytes()
    result = run_module("red5pro_node_config", dict(home=str(home), cluster_password=PASSWORD))
    assert result["failed"] and "has no property 'password'" in result["msg"]
    assert target.read_bytes() == before


def test_playbook_check_diff_apply_idempotent(playbook, home):
    task = {"name": "configure node", "streamfleet.cluster.red5pro_node_config": args(home),
            "register": "node"}
    before = snapshot(home)
    checked = playbook.run([task], check=True, diff=True)[0]
    assert checked["changed"] is True
    assert snapshot(home) == before
    assert_no_secret(playbook.last_output)
    assert "changeme" not in playbook.last_output

    applied = playbook.run([task], diff=True)[0]
    assert applied["changed"] is True and applied["restart_required"] is True
    assert_no_secret(playbook.last_output)

    again = playbook.run([task])[0]
    assert again["changed"] is False
    assert_no_secret(playbook.last_output)


def test_playbook_invalid_input_fails_clearly(playbook, home):
    before = snapshot(home)
    task = {"name": "bad", "streamfleet.cluster.red5pro_node_config": args(home, reporting_speed=100)}
    result = playbook.run([task], expect_failure=True)[0]
    assert result["failed"] is True
    assert "reporting_speed must be from 5000 to 30000" in result["msg"]
    assert snapshot(home) == before
    assert_no_secret(playbook.last_output)


def test_unusual_cloudwatch_path_warns(run_module, home):
    # The usual path first: warnings of earlier in-process runs may linger in Ansible's globals.
    quiet = run_module("red5pro_node_config", dict(home=str(home), cloudwatch_host="http://sm:5080/streammanager/cloudwatch/"))
    assert "does not end with" not in json.dumps(quiet.get("warnings", []))
    result = run_module("red5pro_node_config", dict(home=str(home), cloudwatch_host="http://sm:5080/other"))
    assert result["changed"]
    assert "does not end with /streammanager/cloudwatch" in json.dumps(result["warnings"])
