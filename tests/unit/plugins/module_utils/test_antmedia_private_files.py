"""Ant Media settings files that hold the database password are readable by their owner only
(issue 21, item 5): the vendor ships them world-readable."""
import os
import stat

from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.antmedia import apply, holds_password, plan

from antmedia_expected import PLAIN_URL, SERVER, app_path, make_home


def mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def test_files_with_the_password_lose_group_and_other_permissions(tmp_path):
    home = make_home(tmp_path)
    for path in home.rglob("*.properties"):
        os.chmod(str(path), 0o644)
    written = apply(plan(str(home), "cluster", PLAIN_URL))
    assert str(home / SERVER) in written
    for path in written:
        text = open(path).read()
        assert holds_password(text) is (path.endswith(".properties")), path
        assert mode(path) == (0o600 if holds_password(text) else 0o644), path
    assert mode(home / SERVER) == 0o600
    assert mode(home / app_path("LiveApp")) == 0o600


def test_without_a_password_the_mode_is_kept(tmp_path):
    home = make_home(tmp_path)
    for path in home.rglob("*.properties"):
        os.chmod(str(path), 0o644)
    apply(plan(str(home), "cluster", "mongodb://10.0.1.10:27017"))
    assert mode(home / SERVER) == 0o644
    assert not holds_password("clusterdb.host=mongodb://10.0.1.10\n")
    assert holds_password("db.host=mongodb://u:p@10.0.1.10\n")


def _wide(home):
    for path in home.rglob("*.properties"):
        os.chmod(str(path), 0o644)


def test_the_module_writes_the_password_files_for_their_owner_only(run_module, tmp_path):
    home = make_home(tmp_path)
    _wide(home)
    result = run_module("antmedia_cluster_mode", dict(home=str(home), mode="cluster", database_url=PLAIN_URL))
    assert result["changed"] is True, result
    assert mode(home / SERVER) == 0o600 and mode(home / app_path("LiveApp")) == 0o600


def test_the_boot_command_writes_the_password_files_for_their_owner_only(tmp_path, monkeypatch):
    import io
    import sys

    from ansible_collections.streamfleet.cluster.plugins.module_utils.boot import cli

    home = make_home(tmp_path)
    _wide(home)
    monkeypatch.setattr(sys, "stdin", io.StringIO(PLAIN_URL + "\n"))
    rc = cli.main(["antmedia-cluster-mode", "--home", str(home), "--mode", "cluster", "--url-stdin"],
                  io.StringIO(), io.StringIO())
    assert rc == cli.EXIT_CHANGED
    assert mode(home / SERVER) == 0o600 and mode(home / app_path("LiveApp")) == 0o600
