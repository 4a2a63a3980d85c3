"""AWX survey specs from role argument specs (module_utils/argument_specs.py and its filter)."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.streamfleet.cluster.plugins.filter.survey import FilterModule
from ansible_collections.streamfleet.cluster.plugins.module_utils.argument_specs import (
    SurveySpecError,
    is_secret,
    question,
    survey_spec,
)

OPTIONS = {
    "demo_region": {"type": "str", "default": "us-east-1", "description": ["Region C(AWS) uses.", "More."]},
    "demo_deployment": {"type": "str", "required": True, "description": "Deployment name."},
    "demo_count": {"type": "int", "default": 2},
    "demo_ratio": {"type": "float", "default": 0.5},
    "demo_mode": {"type": "str", "choices": ["cluster", "standalone"], "default": "cluster"},
    "demo_period": {"type": "int", "choices": [60, 300, 900], "default": 300},
    "demo_db_password": {"type": "str", "default": "changeme"},
    "demo_key": {"type": "str", "no_log": True},
    "demo_update_password": {"type": "str", "choices": ["always", "on_create"], "default": "always"},
    "demo_enabled": {"type": "bool", "default": True},
    "demo_cidrs": {"type": "list", "elements": "str", "default": []},
    "demo_tags": {"type": "dict", "default": {}},
    "demo_from_env": {"type": "str", "default": "{{ lookup('ansible.builtin.env', 'X') }}"},
    "demo_dir": {"type": "path", "default": "/opt/demo"},
    "demo_untyped": {"default": "plain"},
}


def _by_var(spec):
    return {q["variable"]: q for q in spec["spec"]}


def test_types_defaults_and_required_are_mapped():
    spec = survey_spec(OPTIONS, "Demo", description="d", prefix="demo_")
    qs = _by_var(spec)
    assert spec["name"] == "Demo" and spec["description"] == "d"
    assert qs["demo_region"] == {"question_name": "Region", "question_description": "Region AWS uses.",
                                 "variable": "demo_region", "required": False, "type": "text",
                                 "min": 0, "max": 1024, "default": "us-east-1"}
    assert qs["demo_deployment"]["required"] is True and "default" not in qs["demo_deployment"]
    assert (qs["demo_count"]["type"], qs["demo_count"]["default"]) == ("integer", 2)
    assert (qs["demo_ratio"]["type"], qs["demo_ratio"]["default"]) == ("float", 0.5)
    assert qs["demo_dir"]["type"] == "text" and qs["demo_untyped"]["type"] == "text"
    # required questions come first
    assert spec["spec"][0]["variable"] == "demo_deployment"


def test_choices_are_kept():
    qs = _by_var(survey_spec(OPTIONS, "Demo"))
    assert qs["demo_mode"]["type"] == "multiplechoice"
    assert qs["demo_mode"]["choices"] == "cluster\nstandalone" and qs["demo_mode"]["default"] == "cluster"
    # numeric choices stay numbers: an integer question bounded by them, the choices in the text
    assert (qs["demo_period"]["type"], qs["demo_period"]["min"], qs["demo_period"]["max"]) == ("integer", 60, 900)
    assert "60, 300, 900" in qs["demo_period"]["question_description"]
    # a name ending in _password with choices is a setting, not a secret
    assert qs["demo_update_password"]["type"] == "multiplechoice"


def test_secrets_are_password_questions_without_default():
    qs = _by_var(survey_spec(OPTIONS, "Demo"))
    for var in ("demo_db_password", "demo_key"):
        assert qs[var]["type"] == "password"
        assert "default" not in qs[var]
    assert is_secret("x_api_token", {"type": "str"}) and is_secret("x_access_key_secret", {})
    assert is_secret("aws_secret_key", {"type": "str"}) and not is_secret("x_token_ttl", {"type": "int"})


def test_bool_list_dict_are_not_asked_and_templated_defaults_not_copied():
    spec = survey_spec(OPTIONS, "Demo")
    assert set(spec["skipped"]) == {"demo_enabled", "demo_cidrs", "demo_tags"}
    assert not set(spec["skipped"]) & set(_by_var(spec))
    assert "default" not in _by_var(spec)["demo_from_env"]


def test_required_option_that_cannot_be_asked_fails_naming_it():
    with pytest.raises(SurveySpecError, match="demo_hosts is required but of type list"):
        question("demo_hosts", {"type": "list", "required": True})


def test_entry_points_merge_and_conflicts_fail():
    first = {"a_name": {"type": "str", "description": "one"}, "a_size": {"type": "int"}}
    second = {"a_name": {"type": "str", "required": True, "description": "two"}}
    spec = survey_spec([first, second], "Merged")
    qs = _by_var(spec)
    assert qs["a_name"]["required"] is True and qs["a_name"]["question_description"] == "one"
    with pytest.raises(SurveySpecError, match="a_size is declared twice with a different type"):
        survey_spec([first, {"a_size": {"type": "str"}}], "Conflict")


def test_exclude_leaves_options_out():
    spec = survey_spec(OPTIONS, "Demo", exclude=["demo_key", "demo_region"])
    assert not {"demo_key", "demo_region"} & set(_by_var(spec))


def test_filter_wraps_errors():
    survey = FilterModule().filters()["argument_spec_survey"]
    assert survey({"x_a": {"type": "str"}}, "N")["spec"][0]["variable"] == "x_a"
    with pytest.raises(AnsibleFilterError, match="argument_spec_survey: option x_b is required"):
        survey({"x_b": {"type": "dict", "required": True}}, "N")
