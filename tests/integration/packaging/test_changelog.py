"""Changelog fragments are valid for antsibull-changelog and a release turns them into notes."""
import shutil
import subprocess

import yaml
from conftest import REPO, outside_env, run, tool


def test_fragments_lint():
    out = run([tool("antsibull-changelog"), "lint"], REPO, outside_env())
    assert out.stdout.strip() == "" and out.stderr.strip() == ""


def test_a_release_generates_the_notes(tmp_path):
    """`antsibull-changelog release` in a copy: every fragment's entries end up in CHANGELOG.rst."""
    dest = tmp_path / "ansible_collections" / "streamfleet" / "cluster"
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "--", "galaxy.yml", "changelogs",
                            "plugins", "meta", "roles", "playbooks"], cwd=REPO, capture_output=True,
                           text=True, check=True).stdout.split()
    for rel in files:
        src = REPO / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dest / rel)
    version = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
    run([tool("antsibull-changelog"), "release", "--version", version, "--date", "2026-12-07"], dest,
        outside_env(tmp_path))
    notes = (dest / "CHANGELOG.rst").read_text()
    assert "v%s" % version in notes
    for fragment in (REPO / "changelogs" / "fragments").glob("*.y*ml"):
        for section in yaml.safe_load(fragment.read_text()).values():
            for entry in section if isinstance(section, list) else [section]:
                assert " ".join(entry.split())[:40] in " ".join(notes.split()), fragment.name
    released = yaml.safe_load((dest / "changelogs" / "changelog.yaml").read_text())
    assert version in released["releases"]
