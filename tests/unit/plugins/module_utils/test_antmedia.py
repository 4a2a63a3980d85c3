# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shutil
import subprocess
from pathlib import Path

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.antmedia import (
    AntMediaError,
    cluster_block_enabled,
    desired_values,
    diff_entries,
    plan,
    read_state,
    script_safe_url,
    set_cluster_block,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.mongodb import build_mongo_url
from ansible_collections.streamfleet.cluster.plugins.module_utils.files.properties import PropertiesDocument

TREE = Path(__file__).resolve().parents[3] / "standins" / "trees" / "antmedia"
JEE = (TREE / "conf" / "jee-container.xml").read_text()
PASSWORD = "p@:/?#%&s"
URL = build_mongo_url(["10.0.0.1", "10.0.0.2"], port=27017, user="ams", password=PASSWORD,
                      replica_set="rs0").render()


@pytest.fixture
def home(tmp_path):
    dest = tmp_path / "antmedia"
    shutil.copytree(TREE, dest)
    return dest


def snapshot(root):
    return dict((str(p.relative_to(root)), p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file())


def apply(plans):
    for item in plans:
        if item.changed:
            Path(item.path).write_text(item.after)


def test_sample_block_is_commented():
    assert cluster_block_enabled(JEE) is False


def test_enable_and_disable_only_touch_the_markers():
    enabled, changed = set_cluster_block(JEE, True)
    assert changed and cluster_block_enabled(enabled)
    diff = [(a, b) for a, b in zip(JEE.splitlines(), enabled.splitlines()) if a != b]
    assert diff == [("    <!-- cluster start", "    <!-- cluster start -->"),
                    ("    cluster end -->", "    <!-- cluster end -->")]
    assert set_cluster_block(enabled, True) == (enabled, False)
    disabled, changed = set_cluster_block(enabled, False)
    assert changed and disabled == JEE


@pytest.mark.parametrize("text, message", [
    ("<a/>", "exactly one"),
    ("<a><!-- cluster start --><!-- cluster start --><!-- cluster end --></a>", "exactly one"),
    ("<a><!-- cluster end --><!-- cluster start --></a>", "before"),
    ("<a><!-- cluster start --><b/>cluster end --></a>", "disagree"),
])
def test_bad_markers(text, message):
    with pytest.raises(AntMediaError, match=message):
        cluster_block_enabled(text)


def test_commenting_a_block_with_a_comment_inside_is_refused():
    text = "<a><!-- cluster start --><!-- inner --><b/><!-- cluster end --></a>"
    with pytest.raises(AntMediaError, match="contains '--'"):
        set_cluster_block(text, False)


def test_enabling_a_block_that_is_not_xml_is_refused():
    text = "<a><!-- cluster start <b> cluster end --></a>"
    with pytest.raises(AntMediaError, match="well-formed"):
        set_cluster_block(text, True)


def test_desired_values():
    cluster = desired_values("cluster", URL)
    assert cluster["server"] == {"clusterdb.host": URL, "clusterdb.user": "", "clusterdb.password": "",
                                 "useGlobalIp": "false"}
    assert cluster["app"] == {"db.type": "mongodb", "db.host": URL, "db.user": "", "db.password": ""}
    assert cluster["cluster_block"] is True
    standalone = desired_values("standalone")
    assert standalone["app"]["db.type"] == "mapdb"
    assert standalone["app"]["db.host"] == "localhost"
    assert "useGlobalIp" not in standalone["server"]
    assert standalone["cluster_block"] is False
    assert desired_values("standalone", URL)["app"]["db.type"] == "mongodb"
    with pytest.raises(AntMediaError, match="needs a database URL"):
        desired_values("cluster")
    with pytest.raises(AntMediaError, match="mode must be"):
        desired_values("edge", URL)


def test_read_state_of_the_sample(home):
    state = read_state(str(home))
    assert state == {
        "mode": "standalone", "cluster_block": False, "database_url": "localhost",
        "use_global_ip": "false",
        "apps": {"LiveApp": {"db_type": "mapdb", "db_host": "localhost"},
                 "WebRTCAppEE": {"db_type": "mapdb", "db_host": "localhost"}},
        "apps_without_db": ["root"],
    }


def test_plan_cluster_then_nothing_left(home):
    before = snapshot(home)
    plans, skipped = plan(str(home), "cluster", URL)
    assert snapshot(home) == before  # planning writes nothing
    assert skipped == ["root"]
    assert [Path(p.path).relative_to(home).as_posix() for p in plans if p.changed] == [
        "conf/red5.properties", "webapps/LiveApp/WEB-INF/red5-web.properties",
        "webapps/WebRTCAppEE/WEB-INF/red5-web.properties", "conf/jee-container.xml"]
    apply(plans)
    state = read_state(str(home))
    assert state["mode"] == "cluster"
    assert state["database_url"] == "mongodb://ams:****@10.0.0.1:27017,10.0.0.2:27017/?replicaSet=rs0"
    assert PropertiesDocument.parse((home / "conf/red5.properties").read_text()).get("clusterdb.host") == URL
    again = plan(str(home), "cluster", URL)[0]
    assert not any(p.changed for p in again)


def test_plan_round_trip_back_to_standalone_restores_bytes(home):
    original = snapshot(home)
    apply(plan(str(home), "cluster", URL)[0])
    apply(plan(str(home), "standalone")[0])
    assert snapshot(home) == original


def test_diff_masks_the_password(home):
    plans = plan(str(home), "cluster", URL)[0]
    entries = diff_entries(plans, str(home))
    text = repr(entries)
    assert PASSWORD not in text and "p%40" not in text
    assert "mongodb://ams:****@10.0.0.1:27017" in text
    assert entries[0]["before_header"] == "conf/red5.properties"


def test_diff_masks_separate_password_keys(home):
    server = home / "conf" / "red5.properties"
    server.write_text(server.read_text().replace("clusterdb.password=", "clusterdb.password=OldSecret"))
    entries = diff_entries(plan(str(home), "cluster", URL)[0], str(home))
    assert "OldSecret" not in repr(entries)
    assert "clusterdb.password=********" in entries[0]["before"]


def test_app_missing_db_keys_gets_them(home):
    app = home / "webapps" / "LiveApp" / "WEB-INF" / "red5-web.properties"
    app.write_text("db.type=mapdb\n")
    apply(plan(str(home), "cluster", URL)[0])
    doc = PropertiesDocument.parse(app.read_text())
    assert doc.items() == {"db.type": "mongodb", "db.host": URL, "db.user": "", "db.password": ""}


def test_not_an_antmedia_home(tmp_path):
    with pytest.raises(AntMediaError, match="does not exist"):
        plan(str(tmp_path / "nope"), "cluster", URL)
    with pytest.raises(AntMediaError, match="not an Ant Media Server home"):
        read_state(str(tmp_path))


def test_script_safe_url():
    assert script_safe_url("mongodb://u:p%26@h/?replicaSet=rs0") == "mongodb://u:p%26@h/?replicaSet=rs0"
    with pytest.raises(AntMediaError, match="use method=files"):
        script_safe_url("mongodb://h/?replicaSet=rs0&tls=true")


def run_standin(home, *args):
    return subprocess.run([str(home / "change_server_mode.sh")] + list(args), capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, check=False)


@pytest.mark.parametrize("mode, url", [
    ("cluster", "mongodb://ams:p%40ss%2F%23@10.0.0.1:27017/?replicaSet=rs0"),
    ("standalone", None),
    ("standalone", "mongodb://10.0.0.1"),
])
def test_files_method_matches_the_standin_script(tmp_path, mode, url):
    by_script, by_files = tmp_path / "script", tmp_path / "files"
    shutil.copytree(TREE, by_script)
    shutil.copytree(TREE, by_files)
    if mode == "standalone":  # start from cluster mode so there is something to undo
        for root in (by_script, by_files):
            apply(plan(str(root), "cluster", "mongodb://old-db:27017")[0])
    proc = run_standin(by_script, *([mode] + ([url] if url else [])))
    assert proc.returncode == 0, proc.stderr
    apply(plan(str(by_files), mode, url)[0])
    for name, data in snapshot(by_script).items():
        other = (by_files / name).read_bytes()
        if name.endswith(".properties"):
            assert (PropertiesDocument.parse(data.decode()).items()
                    == PropertiesDocument.parse(other.decode()).items()), name
        else:
            assert data == other, name
    assert not any(p.changed for p in plan(str(by_script), mode, url)[0])


def test_standin_script_refuses_a_bare_host_without_terminal(home):
    before = snapshot(home)
    proc = run_standin(home, "cluster", "dbhost")
    assert proc.returncode != 0 and "Cancelled" in proc.stderr
    assert snapshot(home) == before
