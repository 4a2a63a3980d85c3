"""Fixtures shared by the role tests of this directory."""
from pathlib import Path

import pytest

from lib.harness import PlaybookRunner

REPO = Path(__file__).resolve().parents[3]
PLAIN_PYTHON = "/usr/bin/python3"


@pytest.fixture(scope="session")
def boot_launcher(tmp_path_factory):
    """streamfleet-boot as the server_boot role installs it on a baked image, with the system's
    plain python3 (no Ansible) as its interpreter: check mode writes nothing, the second run
    changes nothing. One install per session (per xdist worker) serves the user data tests of
    every module here; the launcher and its bundle are only read."""
    root = tmp_path_factory.mktemp("server-boot")
    runner = PlaybookRunner(root, REPO, REPO / ".build" / "collections")
    role_vars = {"server_boot_lib_dir": str(root / "lib"), "server_boot_launcher": str(root / "sbin" / "streamfleet-boot"),
                 "server_boot_python": PLAIN_PYTHON}
    (root / "sbin").mkdir()
    task = {"name": "install", "ansible.builtin.include_role": {"name": "streamfleet.cluster.server_boot"},
            "vars": role_vars}
    runner.run([task], check=True)
    assert runner.stats.get("changed", 0) > 0 and not (root / "lib").exists(), "check mode writes nothing"
    runner.run([task])
    assert runner.stats.get("changed", 0) > 0
    runner.run([task])
    assert runner.stats.get("changed", 0) == 0, runner.last_output
    return root / "sbin" / "streamfleet-boot"
