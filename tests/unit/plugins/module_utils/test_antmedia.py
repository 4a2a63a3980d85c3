# -*- coding: utf-8 -*-
"""servers/antmedia.py against the shipped-layout fixture and the vendor script's semantics.

Expected trees come from antmedia_expected.py (written from the documented behaviour of
ant-media/Ant-Media-Server@5130ad8893a2a36d36f167045cf3db41cdf0057c change_server_mode.sh and
conf/functions.sh), not from the code under test.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import shutil
from pathlib import Path

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.servers import antmedia
from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.antmedia import (
    AntMediaError,
    apply,
    blocks_mode,
    check_url,
    database_type,
    diff_entries,
    plan,
    read_state,
    redact_url,
    replace_lines,
    script_argv,
    set_global_ip,
    toggle_cluster_blocks,
)

from antmedia_expected import (
    ACTIVE_START,
    APPS,
    JEE,
    PLAIN_URL,
    REPLICA_URL,
    SECRETS,
    SERVER,
    SETTINGS_FILES,
    SHIPPED_END,
    TREE,
    app_path,
    cluster_tree,
    fixture_files,
    in_vendor_home,
    jee,
    make_home,
    needs_namespace,
    snapshot,
    standalone_tree,
)

URLS = {"plain": PLAIN_URL, "replica-set": REPLICA_URL}


def switch(home, mode, url=None):
    edits = plan(str(home), mode, url)
    apply(edits)
    return edits


# -- the fixture is laid out as the shipped files ----------------------------------------------
def test_fixture_has_the_shipped_layout():
    files = fixture_files()
    assert files[JEE].count("<!-- cluster start\n") == 3
    assert files[JEE].count("cluster end -->") == 3 and "\t\t\t\tcluster end --> \n" in files[JEE]
    for app in ("LiveApp", "WebRTCAppEE"):
        assert "db.type=mapdb\ndb.host=\n" in files[app_path(app)]
        assert "db.user" not in files[app_path(app)] and "db.password" not in files[app_path(app)]
    assert "db.host=localhost\ndb.user=\ndb.password=\n" in files[app_path("root")]
    assert "clusterdb.host=localhost\nclusterdb.user=\nclusterdb.password=\n" in files[SERVER]
    assert "useGlobalIp=false\n" in files[SERVER]


def test_every_standin_file_cites_the_vendor_commit():
    for rel in SETTINGS_FILES + [JEE, "change_server_mode.sh"]:
        assert re.search(r"ant-media/(Ant-Media-Server|StreamApp)@[0-9a-f]{40}", (TREE / rel).read_text()), rel


# -- both modes x plain/replica-set URL x fresh and vendor-made trees -------------------------
@pytest.mark.parametrize("kind", sorted(URLS))
def test_fresh_to_cluster(tmp_path, kind):
    home = make_home(tmp_path)
    edits = switch(home, "cluster", URLS[kind])
    assert snapshot(home) == cluster_tree(URLS[kind])
    assert all(edit.changed for edit in edits)  # root included, every file edited


@pytest.mark.parametrize("kind", sorted(URLS))
def test_fresh_to_standalone_with_url(tmp_path, kind):
    home = make_home(tmp_path)
    switch(home, "standalone", URLS[kind])
    assert snapshot(home) == standalone_tree(URLS[kind])


def test_fresh_to_standalone_without_url_writes_empty_values(tmp_path):
    home = make_home(tmp_path)
    switch(home, "standalone")
    expected = standalone_tree()
    assert snapshot(home) == expected
    assert "clusterdb.host=\n" in expected[SERVER] and "db.type=mapdb\ndb.host=\n" in expected[app_path("root")]


@pytest.mark.parametrize("kind", sorted(URLS))
def test_vendor_made_cluster_tree_reads_as_cluster(tmp_path, kind):
    home = make_home(tmp_path, cluster_tree(URLS[kind]))
    edits = plan(str(home), "cluster", URLS[kind])
    assert not any(edit.changed for edit in edits)
    assert read_state(str(home))["mode"] == "cluster"


@pytest.mark.parametrize("kind", sorted(URLS))
def test_vendor_made_cluster_tree_to_standalone(tmp_path, kind):
    home = make_home(tmp_path, cluster_tree(URLS[kind]))
    switch(home, "standalone")
    assert snapshot(home) == standalone_tree()


@pytest.mark.parametrize("kind", sorted(URLS))
def test_vendor_made_cluster_tree_to_another_database(tmp_path, kind):
    home = make_home(tmp_path, cluster_tree(PLAIN_URL.replace("10.0.1.10", "10.9.9.9")))
    switch(home, "cluster", URLS[kind])
    assert snapshot(home) == cluster_tree(URLS[kind])


@pytest.mark.parametrize("url", ["", PLAIN_URL, REPLICA_URL])
def test_vendor_made_standalone_tree_reads_as_standalone(tmp_path, url):
    # The vendor script run again would add a space after each start marker; that is no change
    # of mode, and the tree is left alone.
    home = make_home(tmp_path, standalone_tree(url))
    assert not any(edit.changed for edit in plan(str(home), "standalone", url or None))


@pytest.mark.parametrize("kind", sorted(URLS))
def test_vendor_made_standalone_tree_to_cluster_keeps_the_space(tmp_path, kind):
    home = make_home(tmp_path, standalone_tree())
    switch(home, "cluster", URLS[kind])
    expected = cluster_tree(URLS[kind])
    expected[JEE] = jee(ACTIVE_START + " ", "<!-- cluster end -->")
    assert snapshot(home) == expected


def test_standalone_database_change_rewrites_the_markers_as_the_script_does(tmp_path):
    home = make_home(tmp_path, standalone_tree(PLAIN_URL))
    switch(home, "standalone")
    expected = standalone_tree()
    expected[JEE] = jee("<!-- cluster start  ", SHIPPED_END)  # one more space, as the script leaves
    assert snapshot(home) == expected


@pytest.mark.parametrize("mode, url", [("cluster", PLAIN_URL), ("standalone", REPLICA_URL), ("standalone", None)])
def test_second_plan_changes_nothing(tmp_path, mode, url):
    home = make_home(tmp_path)
    switch(home, mode, url)
    assert not any(edit.changed for edit in plan(str(home), mode, url))


# -- URLs written literally ------------------------------------------------------------------
@pytest.mark.parametrize("url", [
    "mongodb://a:b@h1:27017,h2:27017/?replicaSet=rs0&authSource=admin",  # & and ,
    "mongodb://ams:p%25w%26d%2Cx@h:27017",  # % escapes
    "mongodb+srv://ams:pw@cluster0.example.net/clusterdb?retryWrites=true&w=majority",  # +srv / ?
    "mongodb://h/?appName=a|b#frag$x'y\"z",  # characters a shell or sed s/// would misread
])
def test_urls_are_written_literally(tmp_path, url):
    home = make_home(tmp_path)
    switch(home, "cluster", url)
    assert snapshot(home) == cluster_tree(url)


@pytest.mark.parametrize("url, message", [
    ("mongodb://h /x", "white space"),
    ("mongodb://h/\tx", "white space"),
    ("mongodb://h\\x", "backslash"),
    ("mongodb://h/?x=db.user=1", "db.user="),
    ("mongodb://h/?useGlobalIp=true", "useGlobalIp="),
])
def test_urls_the_script_cannot_write_are_refused_before_reading(tmp_path, url, message):
    with pytest.raises(AntMediaError, match=re.escape(message)):
        plan(str(tmp_path / "nowhere"), "cluster", url)


@pytest.mark.parametrize("mode, url, expected", [
    ("cluster", "mongodb://h", "mongodb"),
    ("cluster", "mongodb+srv://h", "mongodb"),
    ("cluster", "mongo", "mongodb"),  # a Kubernetes service name
    ("cluster", "10.0.0.1", "mongodb"),
    ("cluster", "10.0.0.1:27017", "redisdb"),  # cluster mode allows no port after an address
    ("cluster", "localhost", "mongodb"),
    ("cluster", "db.internal", "redisdb"),  # taken as a Redis configuration file
    ("cluster", "redis://h:6379", "redisdb"),
    ("cluster", "/etc/redis.yaml", "redisdb"),
    ("standalone", "10.0.0.1:27017", "mongodb"),
    ("standalone", "localhost:27017", "mongodb"),
    ("standalone", "redis://h", "redisdb"),
    ("standalone", None, "mapdb"),
    ("standalone", "", "mapdb"),
])
def test_database_type_as_the_script_derives_it(mode, url, expected):
    assert database_type(mode, url) == expected


def test_cluster_without_url_and_unknown_mode_are_refused():
    with pytest.raises(AntMediaError, match="needs a database URL"):
        database_type("cluster", None)
    with pytest.raises(AntMediaError, match="mode must be one of"):
        database_type("edge", "mongodb://h")


# -- whole-line replacement, exactly what the script's addresses match ------------------------
def test_lines_containing_the_key_are_replaced_whole():
    text = "#clusterdb.host=old\nxclusterdb.host=1\nclusterdb.host = spaced\nclusterdbXhost=2\nother=1\n"
    assert replace_lines(text, "clusterdb.host", "U") == (
        "clusterdb.host=U\nclusterdb.host=U\nclusterdb.host = spaced\nclusterdb.host=U\nother=1\n")


def test_db_host_matches_inside_longer_keys_as_the_script_does():
    assert replace_lines("clusterdb.host=a\nmy.db.host=b\n", "db.host", "U") == "db.host=U\ndb.host=U\n"


def test_absent_key_is_never_added():
    assert replace_lines("a=1\n", "db.user", "") == "a=1\n"


def test_replaced_last_line_gets_a_newline_untouched_one_does_not():
    assert replace_lines("a=1\ndb.host=x", "db.host", "U") == "a=1\ndb.host=U\n"
    assert replace_lines("db.host=x\na=1", "db.host", "U") == "db.host=U\na=1"
    assert replace_lines("db.host=x\r\na=1\r\n", "db.host", "U") == "db.host=U\na=1\r\n"


def test_global_ip_keeps_what_precedes_it():
    assert set_global_ip("#useGlobalIp=true\nuseGlobalIp=true\r\nx=1") == (
        "#useGlobalIp=false\nuseGlobalIp=false\nx=1")


def test_hostile_tree(tmp_path):
    home = make_home(tmp_path)
    server = home / SERVER
    server.write_text(server.read_text().replace("#cluster db properties", "#clusterdb.host=old")
                      + "#useGlobalIp=true")
    live = home / app_path("LiveApp")
    live.write_text(live.read_text() + "#db.user=someone\n")
    (home / "webapps" / "empty").mkdir()
    (home / "webapps" / ".hidden" / "WEB-INF").mkdir(parents=True)
    (home / "webapps" / ".hidden" / "WEB-INF" / "red5-web.properties").write_text("db.type=mapdb\n")
    switch(home, "cluster", PLAIN_URL)
    text = server.read_text()
    assert text.count("clusterdb.host=%s\n" % PLAIN_URL) == 2  # the commented line too
    assert text.endswith("#useGlobalIp=false")
    assert live.read_text().endswith("db.host=%s\ndb.user=\n" % PLAIN_URL)
    assert (home / "webapps" / ".hidden" / "WEB-INF" / "red5-web.properties").read_text() == "db.type=mapdb\n"


# -- cluster blocks ---------------------------------------------------------------------------
def test_any_number_of_blocks_any_indentation_trailing_spaces_kept():
    text = ("<a>\n  <!-- cluster start\n  <b/>\n  cluster end -->  \n"
            "        <!-- cluster start \t\n<c/>\ncluster end -->\n"
            "\t<!-- cluster start\n\t<d/>\n\tcluster end --> \n</a>\n")
    on = toggle_cluster_blocks(text, "cluster")
    assert on == ("<a>\n  <!-- cluster start -->\n  <b/>\n  <!-- cluster end -->  \n"
                  "        <!-- cluster start --> \t\n<c/>\n<!-- cluster end -->\n"
                  "\t<!-- cluster start -->\n\t<d/>\n\t<!-- cluster end --> \n</a>\n")
    assert blocks_mode(on) == "cluster" and toggle_cluster_blocks(on, "cluster") == on
    off = toggle_cluster_blocks(on, "standalone")
    assert off == ("<a>\n  <!-- cluster start \n  <b/>\n  cluster end -->  \n"
                   "        <!-- cluster start  \t\n<c/>\ncluster end -->\n"
                   "\t<!-- cluster start \n\t<d/>\n\tcluster end --> \n</a>\n")
    assert blocks_mode(off) == "standalone"


def test_mixed_blocks_are_switched_and_no_blocks_refuse_cluster(tmp_path):
    home = make_home(tmp_path)
    jee_file = home / JEE
    jee_file.write_text(jee_file.read_text().replace("\t<!-- cluster start\n", "\t<!-- cluster start -->\n", 1))
    assert read_state(str(home))["mode"] == "mixed"
    switch(home, "cluster", PLAIN_URL)
    assert read_state(str(home))["mode"] == "cluster"
    jee_file.write_text("<beans/>\n")
    with pytest.raises(AntMediaError, match="no '<!-- cluster start'"):
        plan(str(home), "cluster", PLAIN_URL)
    assert blocks_mode("<beans/>") == "none"


def test_standalone_that_would_break_the_xml_is_refused(tmp_path):
    home = make_home(tmp_path, cluster_tree(PLAIN_URL))
    jee_file = home / JEE
    jee_file.write_text(jee_file.read_text().replace(
        '<property name="clusterNotifier"', '<!-- a comment --><property name="clusterNotifier"'))
    with pytest.raises(AntMediaError, match="well-formed"):
        plan(str(home), "standalone")


# -- reading, API, secrets ----------------------------------------------------------------------
def test_read_state_of_the_fixture_and_after_cluster(tmp_path):
    home = make_home(tmp_path)
    state = read_state(str(home))
    assert state["mode"] == "standalone" and state["cluster_blocks"] == {"active": 0, "inactive": 6}
    assert state["apps"] == {"LiveApp": {"db_type": "mapdb", "db_host": ""},
                             "WebRTCAppEE": {"db_type": "mapdb", "db_host": ""},
                             "root": {"db_type": "mapdb", "db_host": "localhost"}}
    assert state["database_url"] == "localhost" and state["use_global_ip"] == "false"
    switch(home, "cluster", REPLICA_URL)
    state = read_state(str(home))
    assert state["mode"] == "cluster"
    assert state["database_url"] == redact_url(REPLICA_URL) and "ams:****@" in state["database_url"]
    assert sorted(state["apps"]) == sorted(APPS)
    for secret in SECRETS:
        assert secret not in repr(state)


def test_plan_returns_plain_objects_and_never_writes(tmp_path):
    home = make_home(tmp_path)
    before = snapshot(home)
    edits = plan(str(home), "cluster", PLAIN_URL)
    assert isinstance(edits, list)
    for edit in edits:
        assert isinstance(edit.path, str) and isinstance(edit.before, str) and isinstance(edit.after, str)
        assert edit.changed == (edit.before != edit.after)
    assert snapshot(home) == before


def test_module_utils_has_no_ansible_dependency():
    source = Path(antmedia.__file__).read_text()
    assert not re.search(r"^\s*(from|import)\s+ansible", source, re.M)


def test_file_names_live_in_one_place():
    source = Path(antmedia.__file__).read_text()
    for name in ("red5.properties", "red5-web.properties", "jee-container.xml"):
        assert source.count('"%s' % name) + source.count('/%s"' % name) == 1, name


def test_diff_masks_passwords(tmp_path):
    home = make_home(tmp_path)
    root = home / app_path("root")
    root.write_text(root.read_text().replace("db.password=\n", "db.password=hunter22\n"))
    entries = diff_entries(plan(str(home), "cluster", REPLICA_URL), str(home))
    text = repr(entries)
    assert "ams:****@10.0.1.10" in text and "db.password=****" in text
    for secret in SECRETS + ("hunter22",):
        assert secret not in text


@pytest.mark.parametrize("url, expected", [
    ("mongodb://u:p%40ss@h1,h2/db?replicaSet=rs0&proxyPassword=zz", "mongodb://u:****@h1,h2/db?replicaSet=rs0&proxyPassword=****"),
    ("mongodb://u:p/ss@h", "mongodb://u:****@h"),
    ("redis://:pw@h:6379", "redis://:****@h:6379"),
    ("mongodb://h/?w=1", "mongodb://h/?w=1"),
    ("", ""),
])
def test_redact_url(url, expected):
    assert redact_url(url) == expected


def test_script_refuses_another_home(tmp_path):
    home = make_home(tmp_path)
    with pytest.raises(AntMediaError, match="edits /usr/local/antmedia whatever home"):
        script_argv(str(home), "cluster", PLAIN_URL)


def test_check_url_passes_what_the_script_writes_literally():
    assert check_url(REPLICA_URL) == REPLICA_URL


# -- the stand-in script, run where the vendor's runs: /usr/local/antmedia ---------------------
STANDIN_CASES = [
    ("fresh", [["cluster", PLAIN_URL]]),
    ("fresh", [["cluster", REPLICA_URL], ["standalone"]]),
    ("fresh", [["standalone", REPLICA_URL], ["cluster", PLAIN_URL]]),
    ("fresh", [["standalone"]]),
]


@needs_namespace
@pytest.mark.parametrize("start, runs", STANDIN_CASES)
def test_files_method_matches_the_standin_script(tmp_path, start, runs):
    ours = make_home(tmp_path / "ours")
    theirs = make_home(tmp_path / "theirs")
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(str(TREE), str(elsewhere))  # the script's own copy: must stay untouched
    for args in runs:
        done = in_vendor_home(tmp_path / "ns", theirs, ["bash", elsewhere / "change_server_mode.sh"] + args)
        assert done.returncode == 0, done.stderr
        switch(ours, *args)
        assert snapshot(theirs) == snapshot(ours), args
    assert snapshot(elsewhere) == fixture_files()


@needs_namespace
def test_standin_script_cancels_a_bare_address_without_terminal(tmp_path):
    theirs = make_home(tmp_path)
    done = in_vendor_home(tmp_path / "ns", theirs, ["bash", theirs / "change_server_mode.sh", "cluster", "db.internal"])
    assert done.returncode == 1 and "Cancelled" in done.stderr
    assert snapshot(theirs) == fixture_files()
