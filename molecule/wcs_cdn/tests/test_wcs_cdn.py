"""Verify the WCS CDN (Molecule scenario `wcs_cdn`, testinfra): an origin and an edge."""

import pathlib
import sys
import time


# The helpers every scenario's verifier shares (molecule/shared/streamfleet_verifier.py).
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "shared"))
from streamfleet_verifier import (  # noqa: E402
    lines_of,
    on,
    other_host,
    private_address,
    host_groups,
    run_user_data_twice,
    http_get,
)


HOME = "/usr/local/FlashphonerWebCallServer"
CONFIG = HOME + "/conf/flashphoner.properties"
JVM = HOME + "/conf/wcs-core.properties"
STATS = "http://127.0.0.1:8081/?action=stat"


def groups(host):
    return host_groups(host)


def is_origin(host):
    return "wcs_origin" in groups(host)


def origin_address(host):
    return private_address(other_host(host, "sf-wcs-origin"))


def stats(host):
    result = http_get(host, STATS)
    assert result.rc == 0, result.stderr
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


def wait_for_stat(host, key, value, timeout=60):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = stats(host).get(key)
        except AssertionError:
            last = None
        if last == value:
            return
        time.sleep(2)
    raise AssertionError("%s=%s expected in the stats, last seen %r" % (key, value, last))


def expected_keys(host):
    keys = {
        "cdn_enabled": "true",
        "cdn_ip": private_address(host),
        "cdn_role": "origin" if is_origin(host) else "edge",
        "cdn_nodes_resolve_ip": "false",
        "cdn_port": "8084",
        "cdn_nodes_timeout": "60",
        "periodic_fir_request": "true",
        "keep_alive.enabled": "websocket,rtmfp",
    }
    if not is_origin(host):
        keys["cdn_point_of_entry"] = origin_address(host)
    return keys


def values_of(host, key, content):
    """The values of every line that sets `key`, however the file spaces "key =value"."""
    return [line.split("=", 1)[1].strip() for line in lines_of(host, CONFIG, key, content)]


def assert_keys_once(host):
    # WCS ships flashphoner.properties without any of these keys (the stand-in too): each must
    # have been added exactly once, never appended again by a later run or boot.
    content = on(host).file(CONFIG).content_string
    for key, value in expected_keys(host).items():
        assert values_of(host, key, content) == [value], key
    if is_origin(host):
        assert lines_of(host, CONFIG, "cdn_point_of_entry", content) == []


def test_service_enabled_and_running(host):
    service = on(host).service("webcallserver")
    assert service.is_enabled
    assert service.is_running


def test_stats_page_answers(host):
    values = stats(host)
    assert "connections" in values and "ports_media_free" in values


def test_edge_reaches_its_point_of_entry(host):
    if is_origin(host):
        wait_for_stat(host, "cdn_role", "origin")
    else:
        wait_for_stat(host, "cdn_role", "edge")
        wait_for_stat(host, "cdn_point_of_entry_reachable", "true")


def test_each_key_once_with_the_right_value(host):
    assert_keys_once(host)


def test_heap_once(host):
    lines = on(host).file(JVM).content_string.splitlines()
    options = [option for line in lines if line.strip().startswith("-") for option in line.split()]
    # The shipped -Xmx1024M replaced where it stood, inside the JVM section; WCS ships no -Xms
    # and the role adds none unless wcs_heap_initial_size is set (this scenario does not).
    assert [option for option in options if option.startswith("-Xmx")] == ["-Xmx512m"]
    assert [option for option in options if option.startswith("-Xms")] == []
    assert lines.count("### SERVER OPTIONS ###") == 1 and lines.count("### JVM OPTIONS ###") == 1
    assert lines.index("### JVM OPTIONS ###") < lines.index("-Xmx512m")


def test_file_modes_and_install_leftovers(host):
    for path in (CONFIG, JVM):
        config = on(host).file(path)
        assert config.user == "root"
        assert not config.mode & 0o002, "%s is world-writable" % path
    work = on(host).file("/var/cache/streamfleet/wcs")
    assert work.is_directory and work.mode == 0o700
    assert on(host).run("ls -A /var/cache/streamfleet/wcs").stdout.strip() == ""
    assert on(host).file(HOME + "/.streamfleet-version").content_string.strip()


def test_no_firewall_change(host):
    # The role was not asked to manage a firewall: no ufw installed, nothing flushed.
    assert not on(host).package("ufw").is_installed


def test_boot_library_installed(host):
    # server_boot: the launcher and the collection's own editor, runnable without Ansible.
    launcher = on(host).file("/usr/local/sbin/streamfleet-boot")
    assert launcher.user == "root" and launcher.mode == 0o755
    bundle = on(host).file("/usr/local/lib/streamfleet/python/streamfleet-boot.zip")
    assert bundle.user == "root" and bundle.mode == 0o644
    assert on(host).run("/usr/local/sbin/streamfleet-boot --help").rc == 0
    assert on(host).run("python3 -c 'import ansible'").rc != 0, "the test host should have no Ansible"


def test_user_data_twice_leaves_every_key_once(host):
    address = private_address(host)
    # What the vendor's boot script leaves after a few boots: the same keys appended again.
    on(host).run("printf '\\ncdn_ip=0.0.0.0\\n\\ncdn_ip=0.0.0.0\\ncdn_role=transcoder\\ncdn_enabled=true\\n' >> %s" % CONFIG)
    first, second = run_user_data_twice(host, {"local-ipv4": address, "instance-id": "i-0test"})
    assert "restarted webcallserver" in first.stderr
    assert "settings already current" in second.stderr
    assert_keys_once(host)
    per_boot = on(host).file("/var/lib/cloud/scripts/per-boot/streamfleet-wcs.sh")
    assert per_boot.exists and per_boot.mode == 0o700
    assert on(host).service("webcallserver").is_running
    wait_for_stat(host, "cdn_role", "origin" if is_origin(host) else "edge")
