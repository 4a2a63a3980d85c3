# -*- coding: utf-8 -*-
"""Ant Media's IP filters (servers/antmedia_ip_filter.py, module antmedia_ip_filter, boot command).

Fixture: the shipped-layout stand-in tree tests/standins/archives/antmedia (conf/red5.properties
after ant-media/Ant-Media-Server@5130ad8893a2a36d36f167045cf3db41cdf0057c, with
``server.allowed_dashboard_CIDR=0.0.0.0/0`` where that file ships it; application files after
ant-media/StreamApp@b0daf2234fe2eb5135de1532e4afb2646b65f941, which ship neither
``remoteAllowedCIDR`` nor ``ipFilterEnabled``). Expected texts are spelled out here from the
fixture, not computed with the code under test.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import shutil
import sys
from pathlib import Path

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.boot import cli
from ansible_collections.streamfleet.cluster.plugins.module_utils.servers import antmedia
from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.antmedia_ip_filter import (
    check_cidr_list,
    ip_filter_keys,
    ip_filter_plan,
    masked_for_diff,
)
from lib.harness import tree_snapshot as snapshot

TREE = Path(__file__).resolve().parents[4] / "tests" / "standins" / "archives" / "antmedia"
SERVER = "conf/red5.properties"
APPS = ("LiveApp", "WebRTCAppEE")
SHIPPED_DASHBOARD = "server.allowed_dashboard_CIDR=0.0.0.0/0\n"


def app(name):
    return "webapps/%s/WEB-INF/red5-web.properties" % name


@pytest.fixture
def home(tmp_path):
    dest = tmp_path / "antmedia"
    shutil.copytree(TREE, dest)
    return dest


def apply(home, **settings):
    edits = ip_filter_plan(str(home), **settings)
    antmedia.apply(edits)
    return edits


def test_fixture_is_laid_out_as_shipped():
    # The one line the vendor ships, where it ships it (after the heartbeat setting).
    server = (TREE / SERVER).read_text()
    assert server.count("allowed_dashboard_CIDR") == 1 and SHIPPED_DASHBOARD in server
    assert server.index("server.heartbeatEnabled=") < server.index(SHIPPED_DASHBOARD) < server.index("nodeGroup=")
    for name in APPS + ("root",):
        text = (TREE / app(name)).read_text()
        assert "remoteAllowedCIDR" not in text and "ipFilterEnabled" not in text


def test_vendor_defaults_leave_the_shipped_tree_as_it_is(home):
    before = snapshot(home)
    edits = apply(home, dashboard_allowed_cidr="0.0.0.0/0", rest_allowed_cidr="127.0.0.1",
                  rest_ip_filter_enabled=True)
    assert not any(edit.changed for edit in edits)
    assert sorted(Path(edit.path).relative_to(home).as_posix() for edit in edits) == sorted(
        [SERVER] + [app(name) for name in APPS]), "root (the console) has no REST filter of this kind"
    assert snapshot(home) == before


def test_dashboard_cidr_replaced_in_place_then_nothing(home):
    shipped = (home / SERVER).read_text()
    edits = apply(home, dashboard_allowed_cidr="203.0.113.0/24, 10.0.0.0/16,127.0.0.1")
    assert [ip_filter_keys(edit) for edit in edits] == [["server.allowed_dashboard_CIDR"]]
    assert (home / SERVER).read_text() == shipped.replace(
        SHIPPED_DASHBOARD, "server.allowed_dashboard_CIDR=203.0.113.0/24,10.0.0.0/16,127.0.0.1\n")
    again = ip_filter_plan(str(home), dashboard_allowed_cidr="203.0.113.0/24,10.0.0.0/16,127.0.0.1")
    assert not any(edit.changed for edit in again)
    # Back to the vendor's value: the line is set again where it stands, never removed.
    apply(home, dashboard_allowed_cidr="0.0.0.0/0")
    assert (home / SERVER).read_text() == shipped


def test_rest_filter_added_to_every_application_but_root(home):
    root_before = (home / app("root")).read_text()
    shipped = dict((name, (home / app(name)).read_text()) for name in APPS)
    apply(home, rest_allowed_cidr="10.0.0.0/16,127.0.0.1", rest_ip_filter_enabled=False)
    for name in APPS:
        # The shipped file has neither key and no commented default: added once at the end.
        assert (home / app(name)).read_text() == shipped[name] + (
            "remoteAllowedCIDR=10.0.0.0/16,127.0.0.1\nipFilterEnabled=false\n")
    assert (home / app("root")).read_text() == root_before
    assert not any(edit.changed for edit in ip_filter_plan(
        str(home), rest_allowed_cidr="10.0.0.0/16, 127.0.0.1", rest_ip_filter_enabled=False))
    # The vendor defaults once the keys exist: edited in place, not removed, not appended twice.
    apply(home, rest_allowed_cidr="127.0.0.1", rest_ip_filter_enabled=True)
    for name in APPS:
        assert (home / app(name)).read_text() == shipped[name] + "remoteAllowedCIDR=127.0.0.1\nipFilterEnabled=true\n"


def test_values_the_server_wrote_back_are_read_as_the_same_setting(home):
    # Ant Media rewrites an application's file with its settings (Java's spelling of booleans).
    path = home / app("LiveApp")
    path.write_text(path.read_text() + "ipFilterEnabled=TRUE\nremoteAllowedCIDR=10.0.0.0/16 , 127.0.0.1\n")
    edits = ip_filter_plan(str(home), rest_allowed_cidr="10.0.0.0/16,127.0.0.1", rest_ip_filter_enabled=True,
                           applications=["LiveApp"])
    assert [edit.changed for edit in edits] == [False]


def test_a_commented_default_is_uncommented_where_it_stands(home):
    path = home / app("WebRTCAppEE")
    lines = path.read_text().splitlines(True)
    lines.insert(3, "#remoteAllowedCIDR=127.0.0.1\n")
    path.write_text("".join(lines))
    apply(home, rest_allowed_cidr="192.0.2.0/24", applications=["WebRTCAppEE"])
    lines[3] = "remoteAllowedCIDR=192.0.2.0/24\n"
    assert path.read_text() == "".join(lines)


def test_unknown_application_fails_before_anything_changes(home):
    before = snapshot(home)
    with pytest.raises(antmedia.AntMediaError, match="no application Nope"):
        ip_filter_plan(str(home), dashboard_allowed_cidr="10.0.0.0/8", rest_allowed_cidr="10.0.0.0/8",
                       applications=["LiveApp", "Nope"])
    assert snapshot(home) == before


@pytest.mark.parametrize("value", ["", " ", "10.0.0.0/8,", "any", "10.0.0.1/8", "10.0.0.0/33", "example.com"])
def test_bad_lists_are_refused(value):
    with pytest.raises(antmedia.AntMediaError):
        check_cidr_list(value, "rest_allowed_cidr")


def test_ipv6_and_single_addresses_are_accepted():
    assert check_cidr_list(" 2001:db8::/32 ,::1, 10.1.2.3 ") == "2001:db8::/32,::1,10.1.2.3"


def test_diff_text_hides_the_secrets_of_the_same_files():
    text = ("server.licence_key=LIC-123\nclusterdb.host=mongodb://ams:pw@10.0.0.5:27017\n"
            "server.allowed_dashboard_CIDR=0.0.0.0/0\n")
    shown = masked_for_diff(text)
    assert "LIC-123" not in shown and ":pw@" not in shown
    assert "server.allowed_dashboard_CIDR=0.0.0.0/0\n" in shown


# -- the module -----------------------------------------------------------------------------------
def test_module_check_mode_diff_then_apply_then_nothing(home, run_module):
    server = home / SERVER
    server.write_text(server.read_text().replace("server.licence_key=\n", "server.licence_key=LIC-SECRET-1\n"))
    before = snapshot(home)
    args = dict(home=str(home), dashboard_allowed_cidr="10.0.0.0/16,127.0.0.1", rest_allowed_cidr="10.0.0.0/16")
    checked = run_module("antmedia_ip_filter", args, check_mode=True, diff=True)
    assert checked["changed"] and checked["restart_required"]
    assert snapshot(home) == before, "check mode writes nothing"
    assert checked["changed_files"] == {SERVER: ["server.allowed_dashboard_CIDR"],
                                        app("LiveApp"): ["remoteAllowedCIDR"],
                                        app("WebRTCAppEE"): ["remoteAllowedCIDR"]}
    assert checked["applications"] == list(APPS)
    assert "LIC-SECRET-1" not in str(checked["diff"])
    done = run_module("antmedia_ip_filter", args)
    assert done["changed"] and "server.allowed_dashboard_CIDR=10.0.0.0/16,127.0.0.1\n" in server.read_text()
    again = run_module("antmedia_ip_filter", args)
    assert not again["changed"] and again["changed_files"] == {}


def test_module_refuses_bad_input_before_reading_the_tree(tmp_path, run_module):
    result = run_module("antmedia_ip_filter", dict(home=str(tmp_path / "missing"), rest_allowed_cidr="10.0.0.1/8"))
    assert result["failed"] and "rest_allowed_cidr" in result["msg"]


# -- at boot: the same bytes ------------------------------------------------------------------------
def run_cli(argv):
    out, err = io.StringIO(), io.StringIO()
    rc = cli.main(argv, out, err)
    return rc, err.getvalue()


def test_boot_command_writes_what_the_module_writes(tmp_path, home, run_module):
    other = tmp_path / "other"
    shutil.copytree(TREE, other)
    run_module("antmedia_ip_filter", dict(home=str(other), dashboard_allowed_cidr="10.0.0.0/16",
                                          rest_allowed_cidr="10.0.0.0/16", rest_ip_filter_enabled=False))
    argv = ["antmedia-ip-filter", "--home", str(home), "--dashboard-allowed-cidr", "10.0.0.0/16",
            "--rest-allowed-cidr", "10.0.0.0/16", "--rest-ip-filter-enabled", "false"]
    rc, err = run_cli(argv)
    assert rc == cli.EXIT_CHANGED and "remoteAllowedCIDR, ipFilterEnabled" in err
    assert snapshot(home) == snapshot(other)
    rc, err = run_cli(argv)
    assert rc == cli.EXIT_UNCHANGED and "already current" in err


def test_boot_command_refuses_a_bad_list(home):
    before = snapshot(home)
    rc, err = run_cli(["antmedia-ip-filter", "--home", str(home), "--rest-allowed-cidr", "everyone"])
    assert rc not in (cli.EXIT_CHANGED, cli.EXIT_UNCHANGED) and "everyone" in err
    assert snapshot(home) == before


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))
