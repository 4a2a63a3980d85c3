"""playbooks/awx_setup.yml: job templates and their surveys, checked against the argument specs.

AWX itself is not available here: the playbook runs with ``--tags survey`` (it builds and shows
the surveys without contacting AWX), and the surveys it built are validated against the roles'
meta/argument_specs.yml and against the rules AWX applies when a survey spec is saved.
"""
import json
import subprocess

import pytest
import yaml
from conftest import REPO, outside_env, run, tool

AWX_TYPES = {"text": str, "textarea": str, "password": str, "multiplechoice": str, "multiselect": str,
             "integer": int, "float": float}
NOT_ASKED = {"bool", "list", "dict", "raw"}
NO_TEMPLATE = {"sandbox.yml", "site_hosts.yml", "awx_setup.yml"}


class _PlaybookLoader(yaml.SafeLoader):
    """YAML of a playbook: ``!unsafe`` and ``!vault`` values read as plain strings."""


_PlaybookLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def _setup_play():
    return yaml.load((REPO / "playbooks" / "awx_setup.yml").read_text(), Loader=_PlaybookLoader)[0]


def _templates():
    return _setup_play()["vars"]["awx_setup_job_templates"]


@pytest.fixture(scope="module")
def surveys(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("awx_setup")
    env = outside_env(REPO / "collections", ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
                      ANSIBLE_PYTHON_INTERPRETER=tool("python"))
    out = run([tool("ansible-playbook"), "-i", "localhost,", REPO / "playbooks" / "awx_setup.yml",
               "--tags", "survey"], cwd, env).stdout
    doc = json.loads(out)
    tasks = {t["task"]["name"]: t["hosts"]["localhost"] for t in doc["plays"][0]["tasks"]}
    return tasks["Build the surveys"]["results"][-1]["ansible_facts"]["awx_setup_surveys"]


def _role_options(role, entry_point="main"):
    specs = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text())
    return specs["argument_specs"][entry_point].get("options", {})


def _roles_run_by(playbook):
    """(role, entry point) of every streamfleet.cluster role a playbook runs."""
    used = set()
    for play in yaml.safe_load((REPO / playbook).read_text()):
        for role in play.get("roles", []):
            name = role["role"] if isinstance(role, dict) else role
            used.add((name.split(".")[-1], "main"))
        tasks = play.get("tasks", []) + play.get("pre_tasks", []) + play.get("post_tasks", [])
        while tasks:
            task = tasks.pop()
            # a block's tasks run too (bake_image.yml includes its entry points inside blocks)
            tasks += task.get("block", []) + task.get("rescue", []) + task.get("always", [])
            for key in ("ansible.builtin.include_role", "ansible.builtin.import_role"):
                if key in task:
                    used.add((task[key]["name"].split(".")[-1], task[key].get("tasks_from", "main")))
    return used


def test_one_job_template_per_topology_and_day2_playbook():
    templates = _templates()
    playbooks = [t["playbook"] for t in templates]
    assert len(playbooks) == len(set(playbooks))
    for playbook in playbooks:
        assert (REPO / playbook).is_file(), playbook
    # the playbooks git tracks (a playbook still being written gets its template when committed)
    tracked = subprocess.run(["git", "ls-files", "--", "playbooks/*.yml"], cwd=REPO, capture_output=True,
                             text=True, check=True).stdout.split()
    expected = {p for p in tracked if p.count("/") == 1 and p.split("/")[1] not in NO_TEMPLATE}
    assert set(playbooks) == expected


def test_surveys_come_from_the_roles_each_playbook_runs():
    for template in _templates():
        sources = {(s["role"], s.get("entry_point", "main")) for s in template.get("survey_from", [])}
        assert sources == _roles_run_by(template["playbook"]), template["name"]
        if not sources:
            assert template.get("survey_options"), template["name"]


def test_surveys_are_valid_for_awx(surveys):
    assert set(surveys) == {t["name"] for t in _templates()}
    for name, survey in surveys.items():
        assert isinstance(survey["name"], str) and isinstance(survey["description"], str)
        assert survey["spec"], name
        variables = [q["variable"] for q in survey["spec"]]
        assert len(variables) == len(set(variables)), name
        for q in survey["spec"]:
            assert q["type"] in AWX_TYPES, (name, q)
            assert q["question_name"] and isinstance(q["required"], bool)
            if "default" in q and q["default"] != "":
                assert isinstance(q["default"], AWX_TYPES[q["type"]]), (name, q)
            for key in ("min", "max"):
                assert q.get(key) is None or isinstance(q[key], int), (name, q)
            if q["type"] == "multiplechoice":
                choices = q["choices"].split("\n")
                assert "default" not in q or q["default"] in choices, (name, q)
            if q["type"] == "password":
                assert "default" not in q, (name, q["variable"])


def test_surveys_match_the_argument_specs(surveys):
    for template in _templates():
        options = {}
        for source in template.get("survey_from", []):
            for opt, spec in _role_options(source["role"], source.get("entry_point", "main")).items():
                if spec.get("required"):
                    options[opt] = spec
                else:
                    options.setdefault(opt, spec)
        options.update(template.get("survey_options", {}))
        exclude = set(template.get("survey_exclude", []))
        assert exclude <= set(options), template["name"]  # no stale exclusions
        survey = surveys[template["name"]]
        asked = {q["variable"]: q for q in survey["spec"]}
        for opt, spec in options.items():
            if opt in exclude:
                assert opt not in asked
                continue
            opt_type = spec.get("type", "str")
            if opt_type in NOT_ASKED:
                assert not spec.get("required"), (template["name"], opt)
                assert opt in survey["skipped"] and opt not in asked
                continue
            q = asked[opt]
            assert q["required"] == bool(spec.get("required")), (template["name"], opt)
            secret = spec.get("no_log") or (
                not spec.get("choices") and opt.endswith(("_password", "_token", "_secret", "_secret_key")))
            if secret:
                assert q["type"] == "password", (template["name"], opt)
            elif spec.get("choices") and opt_type in ("str", "path"):
                assert q["choices"].split("\n") == [str(c) for c in spec["choices"]]
            elif spec.get("choices"):
                assert (q["min"], q["max"]) == (min(spec["choices"]), max(spec["choices"]))
            else:
                assert q["type"] == {"str": "text", "path": "text", "int": "integer", "float": "float"}[opt_type]
            default = spec.get("default")
            if not secret and default not in (None, "") and "{{" not in str(default):
                assert str(q["default"]) == str(default) or q["default"] == default, (template["name"], opt)
