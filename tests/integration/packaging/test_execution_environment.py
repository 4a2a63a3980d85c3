"""Execution environment: ansible-builder's build context and what it would install.

``ansible-builder create`` writes the build context of the root execution-environment.yml. The
Python and system requirements of the image are collected at build time by the context's own
``introspect.py`` from the installed collections' meta/execution-environment.yml; the test runs
that very script on the collection installed from the built tarball, so it sees what a build
would install, without a container build.
"""
import re

import yaml
from conftest import REPO, outside_env, run, tool

TEST_ONLY = ("moto", "molecule", "pytest", "testinfra", "ansible-lint", "ansible_lint")


def test_builder_context_and_introspected_requirements(installed, tmp_path):
    env = outside_env(installed)
    run([tool("ansible-builder"), "create", "-f", REPO / "execution-environment.yml", "-c", tmp_path / "ctx"],
        tmp_path, env)
    ctx = tmp_path / "ctx"
    containerfile = (ctx / "Containerfile").read_text()
    # the base image is a build argument with a default
    assert re.search(r'^ARG EE_BASE_IMAGE="[^"]+"$', containerfile, re.M)
    assert "FROM $EE_BASE_IMAGE AS base" in containerfile
    galaxy = yaml.safe_load((ctx / "_build" / "requirements.yml").read_text())
    assert [c["name"] for c in galaxy["collections"]] == ["streamfleet.cluster"]

    pip_out, bindep_out = tmp_path / "requirements.txt", tmp_path / "bindep.txt"
    run([tool("python"), ctx / "_build" / "scripts" / "introspect.py", "introspect", installed,
         "--write-pip", pip_out, "--write-bindep", bindep_out], tmp_path, env)
    pip_lines = [line.split("#")[0].strip() for line in pip_out.read_text().splitlines() if line.strip()]
    names = {re.split(r"[<>=!~ \[]", line, maxsplit=1)[0].lower().replace("_", "-") for line in pip_lines}
    assert {"boto3", "botocore", "alibabacloud-ros20190910", "alibabacloud-tea-openapi"} <= names
    assert not [n for n in names if n.startswith(TEST_ONLY)], names
    assert all("# from collection streamfleet.cluster" in line for line in pip_out.read_text().splitlines() if line)
    assert "openssh-client [platform:dpkg]" in bindep_out.read_text()


def test_runtime_requirements_are_what_the_plugins_import():
    """meta/ee-requirements.txt names the third-party packages controller-side plugins import."""
    wanted = {"boto3", "botocore", "alibabacloud_ros20190910", "alibabacloud_tea_openapi", "alibabacloud_tea_util"}
    lines = (REPO / "meta" / "ee-requirements.txt").read_text().splitlines()
    listed = {re.split(r"[<>=!~ ]", line, maxsplit=1)[0] for line in lines if line.strip() and not line.startswith("#")}
    assert listed == wanted
    imported = set()
    for path in (REPO / "plugins").rglob("*.py"):
        imported |= set(re.findall(r"^\s*(?:import|from) (boto3|botocore|alibabacloud_[a-z0-9_]+)\b", path.read_text(), re.M))
    assert imported <= wanted
    meta = yaml.safe_load((REPO / "meta" / "execution-environment.yml").read_text())
    assert meta == {"version": 1, "dependencies": {"python": "meta/ee-requirements.txt", "system": "meta/ee-bindep.txt"}}
