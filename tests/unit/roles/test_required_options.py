"""Required means required (issue 19): an option without a sensible default has none.

Ansible's role argument validation only fails on a missing required option when the variable
is undefined; a default of "" in defaults/main.yml defines it and hides the mistake until a
late task fails. These tests read every role's meta/argument_specs.yml and defaults/main.yml.
"""
import re
from pathlib import Path

import pytest
import yaml

from per_host_playbook import CASE_VARS, run_cases

ROLES = Path(__file__).resolve().parents[3] / "roles"
# server_boot is the boot library's internal role (owned by another change); it is checked by
# its own tests.
CHECKED = sorted(p.parent.parent.name for p in ROLES.glob("*/meta/argument_specs.yml")
                 if p.parent.parent.name != "server_boot")


def _specs(role):
    doc = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())
    return doc["argument_specs"]


def _defaults(role):
    path = ROLES / role / "defaults" / "main.yml"
    return (yaml.safe_load(path.read_text()) or {}) if path.exists() else {}


def _description(option):
    text = option.get("description", "")
    return " ".join(text) if isinstance(text, list) else str(text)


@pytest.mark.parametrize("role", CHECKED)
def test_required_options_have_no_default(role):
    defaults = _defaults(role)
    for entry, spec in _specs(role).items():
        for name, option in (spec.get("options") or {}).items():
            if option.get("required"):
                assert name not in defaults, "%s: %s is required (entry %s) but defaults/main.yml sets it to %r" % (
                    role, name, entry, defaults[name])
                assert "default" not in option, "%s: %s is required and has a default in the spec" % (role, name)


# Needed only to build (state present), so not required: true (a removal must not ask for an
# image); no default either, the role's preflight names them before the first call.
BUILD_ONLY = {
    "antmedia_cluster_aws": ["antmedia_cluster_aws_mongodb_image_id", "antmedia_cluster_aws_mongodb_password"],
    "antmedia_cluster_alicloud": ["antmedia_cluster_alicloud_image_id", "antmedia_cluster_alicloud_certificate_id"],
    "red5pro_nodegroup": ["red5pro_nodegroup_regions", "red5pro_nodegroup_launch_config_image"],
}


@pytest.mark.parametrize("role", sorted(BUILD_ONLY))
def test_options_required_to_build_have_no_default(role):
    defaults = _defaults(role)
    options = _specs(role)["main"]["options"]
    for name in BUILD_ONLY[role]:
        assert name not in defaults, "%s: %s defaults to %r" % (role, name, defaults[name])
        assert "default" not in options[name], "%s: %s has a spec default" % (role, name)
        assert re.search(r"\brequired\b", _description(options[name]), re.I), name


# The AWS topologies' server images: unset, the newest baked image of the topology's family
# (so a re-run never reverts to an older image); no default that would pin one.
IMAGE_FROM_FAMILY = ["wcs_cdn_aws_image_id", "antmedia_cluster_aws_image_id", "red5pro_streammanager_aws_image_id"]


@pytest.mark.parametrize("name", IMAGE_FROM_FAMILY)
def test_server_images_default_to_the_newest_of_their_family(name):
    role = name[:-len("_image_id")]
    options = _specs(role)["main"]["options"]
    assert name not in _defaults(role)
    assert "default" not in options[name] and not options[name].get("required")
    assert re.search(r"\bnewest\b", _description(options[name]), re.I), name


MISSING_REQUIRED = [
    ("wcs_cdn_aws", "wcs_cdn_aws_deployment"),
    ("antmedia_cluster_aws", "antmedia_cluster_aws_deployment"),
    ("red5pro_streammanager_aws", "red5pro_streammanager_aws_deployment"),
    ("red5pro_nodegroup", "red5pro_nodegroup_base_url"),
]


@pytest.fixture(scope="module")
def role_runs(tmp_path_factory):
    """Each role above run without its variables, all in one ansible-playbook run (one host per
    role, per_host_playbook): role -> HostRun."""
    tasks = [CASE_VARS, {"name": "the role", "ansible.builtin.include_role": {"name": "streamfleet.cluster.{{ case_role }}"}}]
    return run_cases(tmp_path_factory.mktemp("required"), {role: {"case_role": role} for role, _variable in MISSING_REQUIRED},
                     tasks, env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_REGION": "us-east-1"})


@pytest.mark.parametrize("role, variable", MISSING_REQUIRED)
def test_missing_required_option_fails_before_any_task_naming_it(role_runs, role, variable):
    playbook = role_runs[role]
    results = playbook.results
    assert playbook.stats["failures"] == 1, playbook.last_output
    failed = [r for r in results if r.get("failed")]
    assert failed and "Validating arguments" in failed[0]["task"], [r["task"] for r in results]
    assert variable in failed[0]["msg"]
    assert not [r for r in results if r.get("changed")]
