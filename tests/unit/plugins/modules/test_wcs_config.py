"""Tests of the wcs_config module, run in-process as Ansible runs it."""
import json
import os
import shutil
from pathlib import Path

import pytest
from ansible.module_utils.common import warnings as ansible_warnings

TREE = Path(__file__).resolve().parents[3] / "standins" / "trees" / "wcs"


@pytest.fixture(autouse=True)
def fresh_warnings():
    """In-process runs share ansible's global warning list; start each test empty."""
    ansible_warnings._global_warnings.clear()
    yield
    ansible_warnings._global_warnings.clear()


@pytest.fixture
def home(tmp_path):
    dest = tmp_path / "wcs"
    shutil.copytree(TREE, dest)
    return dest


def warnings_text(result):
    """Warnings as text (ansible-core 2.19 returns them as structured events)."""
    return json.dumps(result.get("warnings", []))


def props(home):
    return (home / "conf" / "flashphoner.properties").read_bytes()


def jvm(home):
    return (home / "conf" / "wcs-core.properties").read_bytes()


ORIGIN = dict(cdn_enabled=True, cdn_role="origin", cdn_ip="10.0.0.5", cdn_nodes_timeout=30,
              periodic_fir_request=True, keep_alive_enabled=["websocket", "rtmfp"], heap_size="2g")
CONF_FILES = ["cdn_profiles.yml", "flashphoner.properties", "wcs-core.properties"]


def test_the_fixture_is_the_shipped_layout():
    """WCS ships no cdn_* key, no -Xms, one -Xmx1024M in the JVM section (the stand-in says so)."""
    text = (TREE / "conf" / "flashphoner.properties").read_text()
    assert "cdn_" not in "".join(line for line in text.splitlines(True) if not line.startswith("#"))
    core = (TREE / "conf" / "wcs-core.properties").read_text().splitlines()
    assert [line for line in core if line.startswith("-Xm")] == ["-Xmx1024M"]
    assert core.index("### SERVER OPTIONS ###") < core.index("### JVM OPTIONS ###") < core.index("-Xmx1024M")


def test_origin_then_second_run_unchanged(run_module, home):
    before = props(home).decode()
    before_jvm = jvm(home).decode()
    result = run_module("wcs_config", dict(ORIGIN, home=str(home)))
    assert result["changed"] is True, result
    assert result["restart_required"] is True
    assert result["changed_keys"] == ["cdn_enabled", "cdn_role", "cdn_ip", "cdn_nodes_timeout",
                                      "periodic_fir_request", "keep_alive.enabled", "-Xmx"]
    # The shipped file has none of these keys: each is added once, after the untouched text,
    # spelled as the file spells its keys ("key =value").
    assert props(home).decode() == before + (
        "cdn_enabled =true\ncdn_role =origin\ncdn_ip =10.0.0.5\ncdn_nodes_timeout =30\n"
        "periodic_fir_request =true\nkeep_alive.enabled =websocket,rtmfp\n")
    # The shipped -Xmx1024M is replaced where it stands; no -Xms appears, headers stay.
    assert jvm(home).decode() == before_jvm.replace("\n-Xmx1024M\n", "\n-Xmx2g\n")
    assert "-Xms" not in jvm(home).decode()
    assert result["properties_file"] == str(home / "conf" / "flashphoner.properties")
    assert result["jvm_options_file"] == str(home / "conf" / "wcs-core.properties")
    assert not result.get("warnings")

    ansible_warnings._global_warnings.clear()
    again = run_module("wcs_config", dict(ORIGIN, home=str(home)))
    assert again["changed"] is False
    assert again["changed_keys"] == [] and again["restart_required"] is False
    assert not again.get("warnings")


def test_initial_heap_goes_on_the_line_after_the_maximum(run_module, home):
    before_jvm = jvm(home).decode()
    result = run_module("wcs_config", dict(home=str(home), heap_size="2g", heap_initial_size="1g"))
    assert result["changed_keys"] == ["-Xmx", "-Xms"]
    after = jvm(home).decode()
    assert after == before_jvm.replace("\n-Xmx1024M\n", "\n-Xmx2g\n-Xms1g\n")
    lines = after.splitlines()
    assert lines.count("### SERVER OPTIONS ###") == 1 and lines.count("### JVM OPTIONS ###") == 1
    assert lines.index("### JVM OPTIONS ###") < lines.index("-Xmx2g") < lines.index("-Xms1g")
    # Options sharing a line and commented-out options are left as they were.
    assert "-XX:NewSize=256m -XX:MaxNewSize=256m" in lines and "#-XX:+CMSIncrementalMode" in lines
    assert run_module("wcs_config", dict(home=str(home), heap_size="2g", heap_initial_size="1g"))["changed"] is False


def test_commented_default_is_uncommented_where_it_stands(run_module, home):
    path = home / "conf" / "flashphoner.properties"
    path.write_text("ip =\n# periodic FIR\n#periodic_fir_request=false\n#keep_alive.enabled = websocket\nws.port =8080\n")
    result = run_module("wcs_config", dict(home=str(home), periodic_fir_request=True,
                                           keep_alive_enabled=["websocket", "rtmfp"]))
    assert result["changed_keys"] == ["periodic_fir_request", "keep_alive.enabled"]
    text = path.read_text()
    assert text == ("ip =\n# periodic FIR\nperiodic_fir_request=true\nkeep_alive.enabled = websocket,rtmfp\n"
                    "ws.port =8080\n")
    assert text.count("periodic_fir_request") == 1 and text.count("keep_alive.enabled") == 1


def test_duplicates_collapse_to_the_last_with_a_warning(run_module, home):
    path = home / "conf" / "flashphoner.properties"
    path.write_text("periodic_fir_request=false\nws.port =8080\nperiodic_fir_request=true\n")
    result = run_module("wcs_config", dict(home=str(home), periodic_fir_request=True))
    assert result["changed"] is True
    assert path.read_text() == "ws.port =8080\nperiodic_fir_request=true\n"
    assert "'periodic_fir_request' appeared more than once" in warnings_text(result)
    assert "collapsed" in warnings_text(result)


def test_unmanaged_lines_keep_their_spelling(run_module, home):
    path = home / "conf" / "flashphoner.properties"
    text = ("! bang comment\nws.port = 8080\nwss.port : 8443\ncodecs=opus,\\\n       h264\n"
            "welcome_text=\\ leading space \\u00e9\ncdn_port\t8084\n")
    path.write_text(text)
    run_module("wcs_config", dict(home=str(home), cdn_port=8085))
    assert path.read_text() == text.replace("cdn_port\t8084", "cdn_port\t8085")


def test_check_mode_writes_nothing_and_reports_the_same(run_module, home):
    before_props, before_jvm = props(home), jvm(home)
    checked = run_module("wcs_config", dict(ORIGIN, home=str(home)), check_mode=True, diff=True)
    assert checked["changed"] is True
    assert props(home) == before_props and jvm(home) == before_jvm
    assert sorted(os.listdir(home / "conf")) == CONF_FILES
    real = run_module("wcs_config", dict(ORIGIN, home=str(home)), diff=True)
    assert real["changed"] is True
    assert real["changed_keys"] == checked["changed_keys"]
    assert real["diff"] == checked["diff"]
    assert run_module("wcs_config", dict(ORIGIN, home=str(home)), check_mode=True)["changed"] is False


def test_diff_has_before_and_after_per_file(run_module, home):
    result = run_module("wcs_config", dict(home=str(home), cdn_port=8085, heap_size="1g"), diff=True)
    props_diff, jvm_diff = result["diff"]
    assert props_diff["before_header"].endswith("flashphoner.properties")
    assert "cdn_port" not in props_diff["before"] and props_diff["after"].endswith("\ncdn_port =8085\n")
    assert "\n-Xmx1024M\n" in jvm_diff["before"] and "\n-Xmx1g\n" in jvm_diff["after"]
    assert "-Xmx1024M" not in jvm_diff["after"]
    # The shipped keystore password is a secret-looking key: masked in the diff.
    assert "wss.keystore.password =password" not in props_diff["before"]


def test_edge_with_point_of_entry_and_free_settings(run_module, home):
    args = dict(home=str(home), cdn_enabled=True, cdn_role="edge", cdn_ip="10.0.1.7",
                cdn_point_of_entry="10.0.0.5", cdn_groups=["eu", "hd"], cdn_nodes_resolve_ip=False,
                settings={"rest_auth_url": "http://auth.example/check?a=1&b=2", "new_flag": True,
                          "media_port_to": 33000, "ws.port": None},
                remove=["dtmf"])
    result = run_module("wcs_config", args)
    assert result["changed"] is True, result
    text = props(home).decode()
    assert "\ncdn_groups =eu,hd\n" in text and text.count("cdn_groups") == 1
    assert "\nrest_auth_url =http://auth.example/check?a=1&b=2\n" in text
    assert "\nnew_flag =true\n" in text
    # A shipped key is changed in place, with the file's own "key =value" spacing.
    assert "\nmedia_port_to =33000\n" in text and text.count("media_port_to") == 1
    assert "ws.port" not in text and "dtmf" not in text
    assert "\ncdn_nodes_resolve_ip =false\n" in text
    assert run_module("wcs_config", args)["changed"] is False


def test_equivalent_spellings_are_not_a_change(run_module, home):
    path = home / "conf" / "flashphoner.properties"
    path.write_text("cdn_enabled = TRUE\ncdn_ip=1.2.3.4\ncdn_role=origin\ncdn_groups = a, b\ncdn_port=08084\n")
    before = path.read_bytes()
    result = run_module("wcs_config", dict(home=str(home), cdn_enabled=True, cdn_groups=["a", "b"], cdn_port=8084))
    assert result["changed"] is False
    assert path.read_bytes() == before


def test_crlf_and_no_final_newline_are_kept(run_module, home):
    path = home / "conf" / "flashphoner.properties"
    path.write_bytes(b"# c\r\ncdn_enabled=false\r\ncdn_port=8084")
    run_module("wcs_config", dict(home=str(home), cdn_port=9000))
    assert path.read_bytes() == b"# c\r\ncdn_enabled=false\r\ncdn_port=9000"
    run_module("wcs_config", dict(home=str(home), cdn_nodes_timeout=30))
    assert path.read_bytes() == b"# c\r\ncdn_enabled=false\r\ncdn_port=9000\r\ncdn_nodes_timeout=30\r\n"


def test_backup(run_module, home):
    before = props(home)
    result = run_module("wcs_config", dict(home=str(home), cdn_port=9000, backup=True))
    backup = result["backup_files"][str(home / "conf" / "flashphoner.properties")]
    assert Path(backup).read_bytes() == before


def test_explicit_paths(run_module, tmp_path, home):
    other = tmp_path / "elsewhere.properties"
    other.write_text("a=1\n")
    result = run_module("wcs_config", dict(home="/nonexistent", properties_file=str(other), settings={"a": 2}))
    assert result["changed"] is True and other.read_text() == "a=2\n"


@pytest.mark.parametrize("args,message", [
    (dict(cdn_enabled=True, cdn_role="origin", cdn_ip="10.0.0.5", cdn_point_of_entry="10.0.0.5"), "own address"),
    (dict(cdn_role="origin", cdn_ip="10.0.0.5", cdn_point_of_entry="wcs1.example",
          node_addresses=["WCS1.example", "203.0.113.9"]), "own address"),
    (dict(cdn_enabled=True, cdn_role="edge", cdn_ip="10.0.0.6"), "needs cdn_point_of_entry"),
    (dict(cdn_enabled=True, cdn_role="transcoder", cdn_ip="10.0.0.6"), "needs cdn_point_of_entry"),
    (dict(cdn_enabled=True, cdn_role="origin"), "needs cdn_ip"),
    (dict(cdn_ip="10.0.0.5 10.0.0.6"), "not an address"),
    (dict(cdn_port=70000), "cdn_port"),
    (dict(cdn_nodes_timeout=0), "cdn_nodes_timeout"),
    (dict(cdn_groups=["a,b"]), "cdn_groups"),
    (dict(cdn_role="mirror"), "value of cdn_role must be one of"),
    (dict(heap_size="2 gigs"), "heap_size"),
    (dict(heap_size="1m"), "2 MB minimum"),
    (dict(heap_size="1g", heap_initial_size="2g"), "larger than the maximum heap"),
    (dict(heap_initial_size="4g"), "larger than the maximum heap"),
    (dict(cdn_port=8085, settings={"cdn_port": 8086}), "give it once"),
    (dict(settings={"a": 1}, remove=["a"]), "give it once"),
    (dict(settings={"a": {"b": 1}}), "is a dict"),
])
def test_invalid_input_fails_and_changes_nothing(run_module, home, args, message):
    before_props, before_jvm = props(home), jvm(home)
    result = run_module("wcs_config", dict(args, home=str(home)))
    assert result.get("failed") is True, result
    assert message in result["msg"]
    assert props(home) == before_props and jvm(home) == before_jvm
    assert sorted(os.listdir(home / "conf")) == CONF_FILES


def test_existing_values_count_in_validation(run_module, home):
    path = home / "conf" / "flashphoner.properties"
    path.write_text("cdn_enabled=true\ncdn_ip=10.0.0.5\ncdn_point_of_entry=10.0.0.5\n")
    before = path.read_bytes()
    result = run_module("wcs_config", dict(home=str(home), cdn_role="origin"))
    assert result.get("failed") and "own address" in result["msg"]
    assert path.read_bytes() == before
    # Clearing the point of entry (empty string) makes it a valid first origin.
    result = run_module("wcs_config", dict(home=str(home), cdn_role="origin", cdn_point_of_entry=""))
    assert result["changed"] is True and "cdn_point_of_entry" not in path.read_text()


def test_missing_file_fails_clearly(run_module, tmp_path):
    result = run_module("wcs_config", dict(home=str(tmp_path), cdn_port=8084))
    assert result.get("failed") and "does not exist" in result["msg"]
    assert not (tmp_path / "conf").exists()


def test_missing_jvm_file_fails_before_writing_properties(run_module, home):
    os.unlink(home / "conf" / "wcs-core.properties")
    before = props(home)
    result = run_module("wcs_config", dict(home=str(home), cdn_port=9000, heap_size="1g"))
    assert result.get("failed") and "wcs-core.properties does not exist" in result["msg"]
    assert props(home) == before


# --- the WCS rules in module_utils/servers/wcs.py, without a module -------------------------

def test_wcs_rules_raise_wcs_error_without_a_module():
    from ansible_collections.streamfleet.cluster.plugins.module_utils.servers import wcs

    with pytest.raises(wcs.WcsError, match="own address"):
        wcs.validate_cdn("cdn_enabled=true\ncdn_role=origin\ncdn_ip=10.0.0.1\ncdn_point_of_entry=10.0.0.1\n")
    with pytest.raises(wcs.WcsError, match="needs cdn_point_of_entry"):
        wcs.validate_cdn("cdn_enabled=true\ncdn_role=edge\ncdn_ip=10.0.0.2\n")
    with pytest.raises(wcs.WcsError, match="own address"):
        wcs.validate_cdn("cdn_role=origin\ncdn_point_of_entry=origin.example\n", ["Origin.example"])
    wcs.validate_cdn("cdn_enabled=true\ncdn_role=edge\ncdn_ip=10.0.0.2\ncdn_point_of_entry=10.0.0.1\n")
    with pytest.raises(wcs.WcsError, match="also given by a typed option"):
        wcs.desired_properties({"cdn_port": 8084, "settings": {"cdn_port": 1}})
    with pytest.raises(wcs.WcsError, match="2 MB minimum"):
        wcs.desired_jvm_options({"heap_size": "1k"})
    with pytest.raises(wcs.WcsError, match="larger than the maximum"):
        wcs.validate_heap("-Xmx1g\n-Xms2g\n")


def test_wcs_desired_properties_typed_and_free_keys():
    from ansible_collections.streamfleet.cluster.plugins.module_utils.servers import wcs

    updates, removals, equivalent = wcs.desired_properties({
        "cdn_enabled": True, "keep_alive_enabled": ["websocket", "rtmfp"], "cdn_point_of_entry": "",
        "settings": {"a": 1, "gone": None}, "remove": ["old"]})
    assert updates == {"cdn_enabled": "true", "keep_alive.enabled": "websocket,rtmfp", "a": "1"}
    assert removals == ["old", "cdn_point_of_entry", "gone"]
    assert set(equivalent) == {"cdn_enabled", "keep_alive.enabled"}


def test_wcs_stats_url_brackets_ipv6_and_checks_the_port():
    from ansible_collections.streamfleet.cluster.plugins.module_utils.servers import wcs

    assert wcs.stats_url("http", "fd00::5", 8081) == "http://[fd00::5]:8081/?action=stat"
    assert wcs.stats_url("https", "[::1]", 8444) == "https://[::1]:8444/?action=stat"
    with pytest.raises(wcs.WcsError, match="between 1 and 65535"):
        wcs.stats_url("http", "h", 0)
