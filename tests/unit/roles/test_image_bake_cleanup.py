"""roles/image_bake tasks_from: configure, cleanup only, on a temporary tree (image_bake_root).

The server role and the service stop are switched off: they need a real host (Molecule).
"""
import pytest

ANTMEDIA = "usr/local/antmedia"


def make_tree(root, cloud_init=True):
    files = {
        ANTMEDIA + "/conf/instanceId": "8f1c-instance",
        ANTMEDIA + "/conf/red5.properties": "clusterdb.host=mongodb://db\n",
        ANTMEDIA + "/LiveApp.db": "mapdb",
        ANTMEDIA + "/webapps/LiveApp/WEB-INF/app.db": "mapdb",
        ANTMEDIA + "/webapps/LiveApp/WEB-INF/red5-web.properties": "db.type=mongodb\n",
        ANTMEDIA + "/log/ant-media-server.log": "started",
        "etc/ssh/ssh_host_ed25519_key": "key",
        "etc/ssh/ssh_host_ed25519_key.pub": "pub",
        "etc/ssh/sshd_config": "PermitRootLogin no\n",
        "etc/machine-id": "0123456789abcdef0123456789abcdef\n",
        "var/lib/dbus/machine-id": "0123456789abcdef0123456789abcdef\n",
        "root/.bash_history": "history",
    }
    if cloud_init:
        files["usr/bin/cloud-init"] = "#!/bin/sh\n"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return files


def run_cleanup(playbook, root, **overrides):
    role_vars = dict(image_bake_server_role="antmedia", image_bake_root=str(root),
                     image_bake_configure_server=False, image_bake_stop_service=False)
    role_vars.update(overrides)
    results = playbook.run(
        [{"name": "clean",
          "ansible.builtin.include_role": {"name": "streamfleet.cluster.image_bake", "tasks_from": "configure"}}],
        play_vars=role_vars)
    return results


def test_cleanup_removes_per_instance_state_and_is_idempotent(playbook, tmp_path):
    root = tmp_path / "root"
    make_tree(root)
    run_cleanup(playbook, root)

    home = root / ANTMEDIA
    assert not (home / "conf/instanceId").exists()
    assert not (home / "LiveApp.db").exists()
    assert not (home / "webapps/LiveApp/WEB-INF/app.db").exists()
    assert not (home / "log/ant-media-server.log").exists()
    assert (home / "conf/initialized").exists()
    # configuration stays
    assert (home / "conf/red5.properties").read_text() == "clusterdb.host=mongodb://db\n"
    assert (home / "webapps/LiveApp/WEB-INF/red5-web.properties").exists()
    assert (root / "etc/ssh/sshd_config").exists()
    assert not list((root / "etc/ssh").glob("ssh_host_*"))
    assert (root / "etc/machine-id").read_text() == ""
    assert not (root / "var/lib/dbus/machine-id").exists()
    assert not (root / "root/.bash_history").exists()

    again = run_cleanup(playbook, root)
    assert [r["task"] for r in again if r.get("changed")] == []


def test_host_keys_stay_without_cloud_init(playbook, tmp_path):
    root = tmp_path / "root"
    make_tree(root, cloud_init=False)
    run_cleanup(playbook, root)
    assert (root / "etc/ssh/ssh_host_ed25519_key").exists()
    assert not (root / ANTMEDIA / "conf/instanceId").exists()


def test_dbus_link_and_other_servers(playbook, tmp_path):
    root = tmp_path / "root"
    make_tree(root)
    (root / "var/lib/dbus/machine-id").unlink()
    (root / "var/lib/dbus/machine-id").symlink_to("/etc/machine-id")
    logs = root / "usr/local/red5pro/log"
    logs.mkdir(parents=True)
    (logs / "red5.log").write_text("x")
    (root / "usr/local/red5pro/conf").mkdir()
    (root / "usr/local/red5pro/conf/autoscale.xml").write_text("<beans/>")
    run_cleanup(playbook, root, image_bake_server_role="red5pro_node",
                image_bake_extra_clean_paths=["/var/tmp/build.txt"])
    assert (root / "var/lib/dbus/machine-id").is_symlink()
    assert not (logs / "red5.log").exists()
    assert (root / "usr/local/red5pro/conf/autoscale.xml").exists()
    # Ant Media's state is not touched for a Red5 Pro image
    assert (root / ANTMEDIA / "conf/instanceId").exists()


@pytest.mark.parametrize("bad", [{"image_bake_server_role": "nginx"}, {"image_bake_root": "relative/dir"}])
def test_bad_input_fails_first(playbook, tmp_path, bad):
    root = tmp_path / "root"
    make_tree(root)
    role_vars = dict(image_bake_server_role="antmedia", image_bake_root=str(root),
                     image_bake_configure_server=False, image_bake_stop_service=False)
    role_vars.update(bad)
    results = playbook.run(
        [{"name": "clean",
          "ansible.builtin.include_role": {"name": "streamfleet.cluster.image_bake", "tasks_from": "configure"}}],
        play_vars=role_vars, expect_failure=True)
    assert any(r.get("failed") for r in results)
    assert (root / ANTMEDIA / "conf/instanceId").exists()
