"""A fresh clone is an AWX project as it is: no `make`, no link made by hand.

Clones the repository (its committed HEAD, as AWX's project sync does) into a temp dir and runs
the venv's Ansible there with nothing but the clone's own ansible.cfg. The second case sets
ANSIBLE_COLLECTIONS_PATH to an empty directory, as AWX sets that variable itself: the playbooks
still find the collection as their adjacent collections/ directory.
"""
import configparser
import os
import subprocess

import pytest
import yaml
from conftest import REPO, outside_env, run, tool


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    dest = tmp_path_factory.mktemp("clone") / "project"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(dest)], check=True,
                   capture_output=True)
    return dest


def _playbooks(clone):
    return sorted(p for p in (clone / "playbooks").glob("*.yml"))


def test_ansible_cfg_paths_are_relative(clone):
    cfg = configparser.ConfigParser()
    cfg.read(clone / "ansible.cfg")
    for key in ("collections_path", "roles_path", "inventory"):
        for path in cfg["defaults"][key].split(":"):
            assert not path.startswith("/") or path.startswith("/usr/share/ansible"), (key, path)
    link = clone / "collections" / "ansible_collections" / "streamfleet" / "cluster"
    assert link.is_symlink() and os.readlink(link) == "../../.."
    assert (link / "galaxy.yml").is_file()
    reqs = yaml.safe_load((clone / "collections" / "requirements.yml").read_text())
    galaxy = yaml.safe_load((clone / "galaxy.yml").read_text())
    names = {c["name"] for c in reqs["collections"]}
    assert set(galaxy["dependencies"]) <= names


def test_syntax_check_from_a_fresh_clone(clone):
    env = outside_env()
    out = run([tool("ansible-playbook"), "playbooks/wcs_cdn_aws.yml", "--syntax-check"], clone, env)
    assert "playbook: playbooks/wcs_cdn_aws.yml" in out.stdout
    doc = run([tool("ansible-doc"), "streamfleet.cluster.aws_network"], clone, env).stdout
    assert str(clone) in doc


def test_every_playbook_parses_when_awx_sets_the_collections_path(clone, tmp_path):
    env = outside_env(tmp_path)  # an empty collections path, as if AWX had set its own
    cmd = [tool("ansible-playbook"), "--syntax-check", "-i", "localhost,"]
    run(cmd + [str(p.relative_to(clone)) for p in _playbooks(clone)], clone, env)
