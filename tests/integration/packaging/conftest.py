"""Fixtures for the packaging tests: the collection as users get it, outside this checkout.

- ``artifact`` (session): ``ansible-galaxy collection build`` of the checkout into a temp dir;
  the tarball's path.
- ``installed`` (session): the tarball installed with ``--offline --no-deps`` into an empty
  collections path (Galaxy is not reachable; amazon.aws, community.general... come from the
  pinned ``ansible`` package, which Ansible finds on ``sys.path``); the collections root.
- ``outside_env(collections_path)``: the environment of a user who is not in this checkout:
  no ``ANSIBLE_CONFIG`` (commands run in a temp dir, so the checkout's ansible.cfg is not read),
  ``ANSIBLE_COLLECTIONS_PATH`` set to the given root only, the venv's tools first on PATH.
- ``moto_url``: moto in server mode on a free 127.0.0.1 port, as tests/integration/aws does.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lib import harness

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def tool(name):
    return str(BIN / name)


def outside_env(collections_path=None, **extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ANSIBLE_") and not k.startswith("AWS_")}
    env["PATH"] = "%s:%s" % (BIN, env.get("PATH", "/usr/bin:/bin"))
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_LOCALHOST_WARNING"] = "false"
    env["ANSIBLE_INVENTORY_UNPARSED_WARNING"] = "false"
    if collections_path is not None:
        env["ANSIBLE_COLLECTIONS_PATH"] = str(collections_path)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run(cmd, cwd, env, timeout=600):
    proc = subprocess.run([str(c) for c in cmd], cwd=str(cwd), env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        command = " ".join(map(str, cmd))
        output = proc.stdout[-4000:] + "\n" + proc.stderr[-4000:]
        raise AssertionError("%s failed (%d):\n%s" % (command, proc.returncode, output))
    return proc


@pytest.fixture(scope="session")
def artifact(tmp_path_factory):
    out = tmp_path_factory.mktemp("artifact")
    run([tool("ansible-galaxy"), "collection", "build", "--output-path", out, REPO], out, outside_env())
    tarballs = sorted(out.glob("streamfleet-cluster-*.tar.gz"))
    assert len(tarballs) == 1, tarballs
    return tarballs[0]


@pytest.fixture(scope="session")
def installed(artifact, tmp_path_factory):
    root = tmp_path_factory.mktemp("collections")
    run([tool("ansible-galaxy"), "collection", "install", "--offline", "--no-deps", "-p", root, artifact],
        root, outside_env(root))
    assert (root / "ansible_collections" / "streamfleet" / "cluster" / "MANIFEST.json").is_file()
    return root


free_port = harness.free_port


@pytest.fixture(scope="session")
def moto_url(tmp_path_factory):
    with harness.moto_server(tmp_path_factory.mktemp("moto"), env=dict(AWS_DEFAULT_REGION="us-east-1")) as url:
        yield url
