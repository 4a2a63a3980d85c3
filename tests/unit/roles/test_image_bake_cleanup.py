"""roles/image_bake tasks_from: configure, cleanup only, on a temporary tree (image_bake_root).

The server role and the service stop are switched off: they need a real host (Molecule). Every
case's tree is cleaned by one ansible-playbook run (one host per case, per_host_playbook).
"""
import pytest

from per_host_playbook import CASE_VARS, run_cases

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


BASE_VARS = dict(image_bake_server_role="antmedia", image_bake_configure_server=False, image_bake_stop_service=False)
CLEAN_TASKS = [CASE_VARS, {"name": "clean", "ansible.builtin.include_role": {
    "name": "streamfleet.cluster.image_bake", "tasks_from": "configure"}}]


def prepare_dbus_link_and_red5pro(root):
    (root / "var/lib/dbus/machine-id").unlink()
    (root / "var/lib/dbus/machine-id").symlink_to("/etc/machine-id")
    logs = root / "usr/local/red5pro/log"
    logs.mkdir(parents=True)
    (logs / "red5.log").write_text("x")
    (root / "usr/local/red5pro/conf").mkdir()
    (root / "usr/local/red5pro/conf/autoscale.xml").write_text("<beans/>")


# case -> (the tree as make_tree makes it, with cloud-init?; changes to it; variables over BASE_VARS)
CASES = {
    "antmedia": (True, None, {}),
    "without_cloud_init": (False, None, {}),
    "red5pro_node": (True, prepare_dbus_link_and_red5pro,
                     dict(image_bake_server_role="red5pro_node", image_bake_extra_clean_paths=["/var/tmp/build.txt"])),
    "bad_server_role": (True, None, {"image_bake_server_role": "nginx"}),
    "bad_root": (True, None, {"image_bake_root": "relative/dir"}),
}


def run_cleanup(tmp_path, roots, **overrides):
    """The cleanup on each tree of ``roots`` (case -> root), one ansible-playbook run: case -> HostRun."""
    return run_cases(tmp_path, {name: dict(BASE_VARS, **dict({"image_bake_root": str(root)}, **overrides.get(name, {})))
                                for name, root in roots.items()}, CLEAN_TASKS)


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory):
    """Every case's tree cleaned once, all in one run (a module fixture: once per xdist worker):
    case -> (HostRun, root)."""
    base = tmp_path_factory.mktemp("image-bake")
    roots = {}
    for name, (cloud_init, prepare, _overrides) in CASES.items():
        roots[name] = base / name / "root"
        make_tree(roots[name], cloud_init=cloud_init)
        if prepare:
            prepare(roots[name])
    runs = run_cleanup(base / "run", roots, **{name: case[2] for name, case in CASES.items()})
    return {name: (runs[name], roots[name]) for name in CASES}


def cleaned_root(cleaned, name):
    run, root = cleaned[name]
    assert not run.stats.get("failures"), run.last_output
    return root


def test_cleanup_removes_per_instance_state_and_is_idempotent(cleaned, tmp_path):
    root = cleaned_root(cleaned, "antmedia")

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

    again = run_cleanup(tmp_path, {"again": root})["again"]
    assert not again.stats.get("failures"), again.last_output
    assert [r["task"] for r in again.results if r.get("changed")] == []


def test_host_keys_stay_without_cloud_init(cleaned):
    root = cleaned_root(cleaned, "without_cloud_init")
    assert (root / "etc/ssh/ssh_host_ed25519_key").exists()
    assert not (root / ANTMEDIA / "conf/instanceId").exists()


def test_dbus_link_and_other_servers(cleaned):
    root = cleaned_root(cleaned, "red5pro_node")
    logs = root / "usr/local/red5pro/log"
    assert (root / "var/lib/dbus/machine-id").is_symlink()
    assert not (logs / "red5.log").exists()
    assert (root / "usr/local/red5pro/conf/autoscale.xml").exists()
    # Ant Media's state is not touched for a Red5 Pro image
    assert (root / ANTMEDIA / "conf/instanceId").exists()


@pytest.mark.parametrize("case", ["bad_server_role", "bad_root"])
def test_bad_input_fails_first(cleaned, case):
    run, root = cleaned[case]
    assert any(r.get("failed") for r in run.results)
    assert (root / ANTMEDIA / "conf/instanceId").exists()
