"""``streamfleet-boot``: the boot-time command, run in-process and with plain python3.

Its edits must be the modules' edits: the same inputs on copies of the same tree give the same
bytes, a second run changes nothing and says so with exit status 0.
"""
import io
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.streamfleet.cluster.plugins.module_utils.boot import cli
from ansible_collections.streamfleet.cluster.plugins.module_utils.mongodb import mongodb_url
from ansible_collections.streamfleet.cluster.plugins.module_utils.servers import antmedia
from standins import imds_standin
from lib.harness import tree_snapshot as snapshot

REPO = Path(__file__).resolve().parents[5]
TREES = REPO / "tests" / "standins" / "trees"
MODULE_UTILS = REPO / "plugins" / "module_utils"
PASSWORD = "p@:/?#[]%&+ s"
REPLICA_URL = mongodb_url(["10.0.9.9", "10.0.9.10:27018"], user="ams", password=PASSWORD,
                          replica_set="rs0", auth_source="admin")
PLAIN_URL = "mongodb://10.0.9.9:27017"


def run(argv, stdin=None, monkeypatch=None):
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    rc = cli.main(argv, out, err)
    return rc, out.getvalue(), err.getvalue()


# The Stream Manager webapp stand-in is moving from trees/ into the red5pro archive tree.
SM_WEBAPP = next(p for p in (REPO / "tests" / "standins" / "archives" / "red5pro" / "webapps" / "streammanager",
                             TREES / "red5pro_streammanager" / "webapps" / "streammanager") if p.is_dir())


def tree(tmp_path, name, dest=None):
    target = tmp_path / (dest or name)
    if name == "red5pro_streammanager":
        shutil.copytree(SM_WEBAPP, target / "webapps" / "streammanager")
    else:
        shutil.copytree(TREES / name, target)
    return target


# -- properties ---------------------------------------------------------------------------------
def test_wcs_keys_in_place_then_nothing(tmp_path):
    conf = tree(tmp_path, "wcs") / "conf" / "flashphoner.properties"
    conf.chmod(0o640)
    before = conf.read_text()
    args = ["set-properties", str(conf), "cdn_enabled=true", "cdn_ip=10.0.3.7", "cdn_role=origin",
            "periodic_fir_request=true"]
    rc, out, err = run(args)
    assert rc == cli.EXIT_CHANGED, err
    assert "changed %s: cdn_enabled, cdn_ip, cdn_role, periodic_fir_request" % conf in err
    # WCS ships none of these keys: each is added once, after the untouched shipped text.
    expected = before + "cdn_enabled =true\ncdn_ip =10.0.3.7\ncdn_role =origin\nperiodic_fir_request =true\n"
    assert conf.read_text() == expected
    assert stat.S_IMODE(conf.stat().st_mode) == 0o640
    rc, out, err = run(args)
    assert (rc, conf.read_text()) == (cli.EXIT_UNCHANGED, expected)
    assert "already current" in err


def test_wcs_commented_default_uncommented_in_place(tmp_path):
    conf = tmp_path / "flashphoner.properties"
    conf.write_text("ip =\n#periodic_fir_request=false\nws.port =8080\ncdn_ip=0.0.0.0\ncdn_ip=0.0.0.0\n")
    rc, _out, err = run(["set-properties", str(conf), "periodic_fir_request=true", "cdn_ip=10.0.3.7"])
    assert rc == cli.EXIT_CHANGED, err
    assert conf.read_text() == "ip =\nperiodic_fir_request=true\nws.port =8080\ncdn_ip=10.0.3.7\n"


def test_same_bytes_as_the_wcs_module(tmp_path, run_module):
    by_module = tree(tmp_path, "wcs", "module")
    by_boot = tree(tmp_path, "wcs", "boot")
    result = run_module("wcs_config", {"home": str(by_module), "cdn_enabled": True, "cdn_role": "edge",
                                       "cdn_ip": "10.0.3.7", "cdn_point_of_entry": "10.0.1.10"})
    assert result["changed"] is True, result
    rc, _out, err = run(["set-properties", str(by_boot / "conf" / "flashphoner.properties"), "cdn_enabled=true",
                         "cdn_role=edge", "cdn_ip=10.0.3.7", "cdn_point_of_entry=10.0.1.10"])
    assert rc == cli.EXIT_CHANGED, err
    assert snapshot(by_boot) == snapshot(by_module)


def test_streammanager_ip_and_commented_default_uncommented(tmp_path):
    conf = tree(tmp_path, "red5pro_streammanager") / "webapps" / "streammanager" / "WEB-INF" / "red5-web.properties"
    conf.chmod(0o644)
    before = conf.read_text()
    assert "\n#aws.defaultzone={default-region}\n" in before and "\nstreammanager.ip=\n" in before
    args = ["set-properties", str(conf), "streammanager.ip=10.0.3.7", "aws.defaultzone=eu-west-1",
            "aws.accessSecret=s3cr3t&/x"]
    rc, out, err = run(args)
    assert rc == cli.EXIT_CHANGED
    after = conf.read_text()
    assert after == (before.replace("\nstreammanager.ip=\n", "\nstreammanager.ip=10.0.3.7\n")
                     .replace("\n#aws.defaultzone={default-region}\n", "\naws.defaultzone=eu-west-1\n")
                     .replace("\n#aws.accessSecret={account-accessSecret}\n", "\naws.accessSecret=s3cr3t&/x\n"))
    # Keys only, never values of secret-looking keys.
    assert "aws.accessSecret (secret)" in err and "s3cr3t" not in err + out
    # A secret was given: the file is left to its owner (the WCS test above: no secret, mode kept).
    assert stat.S_IMODE(conf.stat().st_mode) == 0o600
    assert run(args)[0] == cli.EXIT_UNCHANGED
    assert conf.read_text() == after


def test_bad_settings_change_nothing(tmp_path):
    conf = tree(tmp_path, "wcs") / "conf" / "flashphoner.properties"
    before = conf.read_bytes()
    rc, _out, err = run(["set-properties", str(conf), "cdn_ip=1", "no-separator-s3cr3t"])
    assert rc == cli.EXIT_ERROR and "'no-separator-s3cr3t' is not KEY=VALUE" in err
    rc, _out, err = run(["set-properties", str(conf), "cdn_ip=1", "cdn_ip=2"])
    assert rc == cli.EXIT_ERROR and "given twice" in err
    rc, _out, err = run(["set-properties", str(conf), "cdn_ip=a\nb"])
    assert rc == cli.EXIT_ERROR and "line break" in err
    rc, _out, err = run(["set-properties", str(tmp_path / "missing.properties"), "a=1"])
    assert rc == cli.EXIT_ERROR and "does not exist" in err
    assert conf.read_bytes() == before


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["set-properties"])
    assert exc.value.code == cli.EXIT_USAGE


# -- JVM options --------------------------------------------------------------------------------
def test_jvm_options(tmp_path):
    jvm = tree(tmp_path, "wcs") / "conf" / "wcs-core.properties"
    before = jvm.read_text()
    rc, _out, err = run(["set-jvm-options", str(jvm), "-Xmx2g"])
    assert rc == cli.EXIT_CHANGED, err
    # The shipped -Xmx1024M is replaced where it stands; no -Xms is added.
    assert jvm.read_text() == before.replace("\n-Xmx1024M\n", "\n-Xmx2g\n")
    rc, _out, err = run(["set-jvm-options", str(jvm), "-Xmx2g", "-Xms2g"])
    assert rc == cli.EXIT_CHANGED, err
    assert jvm.read_text() == before.replace("\n-Xmx1024M\n", "\n-Xmx2g\n-Xms2g\n")
    assert jvm.read_text().count("### JVM OPTIONS ###") == 1
    assert run(["set-jvm-options", str(jvm), "-Xmx2g", "-Xms2g"])[0] == cli.EXIT_UNCHANGED
    rc, _out, err = run(["set-jvm-options", str(jvm), "-Xmx2g -Xms1g"])
    assert rc == cli.EXIT_ERROR and "not a single JVM option" in err


def test_jvm_options_same_bytes_as_the_wcs_module(tmp_path, run_module):
    by_module = tree(tmp_path, "wcs", "module")
    by_boot = tree(tmp_path, "wcs", "boot")
    result = run_module("wcs_config", {"home": str(by_module), "heap_size": "3g", "heap_initial_size": "1g"})
    assert result["changed"] is True, result
    rc, _out, err = run(["set-jvm-options", str(by_boot / "conf" / "wcs-core.properties"), "-Xmx3g", "-Xms1g"])
    assert rc == cli.EXIT_CHANGED, err
    assert snapshot(by_boot) == snapshot(by_module)


# -- Ant Media cluster mode ---------------------------------------------------------------------
def module_switch(home, mode, url):
    """What antmedia_cluster_mode (method=files) does: its planner's files, written."""
    result = antmedia.plan(str(home), mode, url)
    plans = result[0] if isinstance(result, tuple) else result
    for item in plans:
        if item.changed:
            Path(item.path).write_text(item.after, encoding="utf-8", errors="surrogateescape")
    return any(item.changed for item in plans)


@pytest.mark.parametrize("mode,url", [("cluster", PLAIN_URL), ("cluster", REPLICA_URL), ("standalone", None)],
                         ids=["cluster-plain", "cluster-replica-set", "standalone"])
def test_antmedia_same_bytes_as_the_module(tmp_path, monkeypatch, mode, url):
    by_module = tree(tmp_path, "antmedia", "module")
    by_boot = tree(tmp_path, "antmedia", "boot")
    if mode == "standalone":
        # Start both from cluster mode so that there is something to switch back.
        for home in (by_module, by_boot):
            module_switch(home, "cluster", PLAIN_URL)
    assert module_switch(by_module, mode, url) is True
    argv = ["antmedia-cluster-mode", "--home", str(by_boot), "--mode", mode] + (["--url-stdin"] if url else [])
    rc, out, err = run(argv, (url or "") + "\n", monkeypatch)
    assert rc == cli.EXIT_CHANGED, err
    assert snapshot(by_boot) == snapshot(by_module)
    # Second boot: nothing to do, no restart; the planner agrees.
    rc, out2, err2 = run(argv, (url or "") + "\n", monkeypatch)
    assert rc == cli.EXIT_UNCHANGED, err2
    assert snapshot(by_boot) == snapshot(by_module)
    assert module_switch(by_boot, mode, url) is False
    for text in (out, err, out2, err2):
        assert PASSWORD not in text and "p%40" not in text


def test_antmedia_cluster_needs_the_url_on_stdin(tmp_path, monkeypatch):
    home = tree(tmp_path, "antmedia")
    before = snapshot(home)
    rc, _out, err = run(["antmedia-cluster-mode", "--home", str(home), "--mode", "cluster"])
    assert rc == cli.EXIT_ERROR and "--url-stdin" in err
    rc, _out, err = run(["antmedia-cluster-mode", "--home", str(home), "--mode", "cluster", "--url-stdin"],
                        PLAIN_URL + "\nsecond line\n", monkeypatch)
    assert rc == cli.EXIT_ERROR and "more than one line" in err
    rc, _out, err = run(["antmedia-cluster-mode", "--home", str(tmp_path / "none"), "--mode", "cluster",
                         "--url-stdin"], PLAIN_URL, monkeypatch)
    assert rc == cli.EXIT_ERROR
    assert snapshot(home) == before


# -- metadata -----------------------------------------------------------------------------------
def test_metadata_command_prints_the_value():
    running = imds_standin.start({"local-ipv4": "10.0.3.7"})
    try:
        rc, out, err = run(["metadata", "--endpoint", running.endpoint, "--retries", "1", "local-ipv4"])
        assert (rc, out) == (cli.EXIT_UNCHANGED, "10.0.3.7\n")
        rc, out, err = run(["metadata", "--endpoint", running.endpoint, "--retries", "1", "instance-id"])
        assert (rc, out) == (cli.EXIT_ERROR, "") and "HTTP 404" in err
    finally:
        running.stop()


# -- plain python3, no Ansible ------------------------------------------------------------------
def installed_files():
    defaults = yaml.safe_load((REPO / "roles" / "server_boot" / "defaults" / "main.yml").read_text())
    return defaults["server_boot_module_utils"]


def interpreters():
    found = ["/usr/bin/python3"]
    pyenv_38 = Path.home() / ".pyenv" / "versions"
    found += sorted(str(p) for p in pyenv_38.glob("3.8*/bin/python3"))
    return [p for p in found if os.path.exists(p)]


@pytest.mark.parametrize("python", interpreters())
def test_runs_with_plain_python_from_the_bundle(tmp_path, python):
    """The bundle the server_boot role installs is enough, and nothing in it needs Ansible."""
    bundle = tmp_path / "streamfleet-boot.zip"
    subprocess.run([sys.executable, str(REPO / "roles" / "server_boot" / "files" / "build_bundle.py"), str(MODULE_UTILS),
                    str(bundle)] + installed_files(), check=True)
    again = tmp_path / "again.zip"
    subprocess.run([sys.executable, str(REPO / "roles" / "server_boot" / "files" / "build_bundle.py"), str(MODULE_UTILS),
                    str(again)] + installed_files(), check=True)
    assert again.read_bytes() == bundle.read_bytes(), "the same files give the same bundle"
    home = tree(tmp_path, "antmedia")
    code = ("import sys; sys.path.insert(0, sys.argv[1]); "
            "from ansible_collections.streamfleet.cluster.plugins.module_utils.boot.cli import main; "
            "sys.exit(main(sys.argv[2:]))")
    argv = [python, "-I", "-c", code, str(bundle), "antmedia-cluster-mode", "--home", str(home), "--mode", "cluster",
            "--url-stdin"]
    first = subprocess.run(argv, input=REPLICA_URL + "\n", capture_output=True, text=True, timeout=60, check=False)
    assert first.returncode == cli.EXIT_CHANGED, first.stderr
    loaded = subprocess.run(
        [python, "-I", "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
         "import ansible_collections.streamfleet.cluster.plugins.module_utils.boot.cli; "
         "print(sorted(m for m in sys.modules if m == 'ansible' or m.startswith('ansible.')))", str(bundle)],
        capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
    second = subprocess.run(argv, input=REPLICA_URL + "\n", capture_output=True, text=True, timeout=60, check=False)
    assert second.returncode == cli.EXIT_UNCHANGED, second.stderr
    assert PASSWORD not in first.stderr + second.stderr
