"""aws_secret against moto: SSM SecureString parameter and Secrets Manager secret, never shown."""
import json

import pytest

DEPLOYMENT = "secrettest"
VALUE = "p@:/?#[]%&+ s\"'\\\u00fc=;,"
OTHER = "second-" + VALUE
CHANGING_PREFIXES = ("Put", "Create", "Delete", "Update", "Add", "Remove", "Tag", "Untag")
NAMES = {"ssm": "/streamfleet/secrettest/antmedia/mongodb-app-password", "secretsmanager": "streamfleet/secrettest/mongodb"}


def changing_calls(result):
    return sorted(n for n in result.get("api_calls", {}) if n.split(".", 1)[1].startswith(CHANGING_PREFIXES))


def stored(aws, store, name):
    if store == "ssm":
        return aws.ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    return aws.secretsmanager.get_secret_value(SecretId=name)


def assert_hidden(result):
    text = json.dumps(result)
    assert VALUE not in text and OTHER not in text and json.dumps(VALUE)[1:-1] not in text


@pytest.mark.parametrize("store", ["ssm", "secretsmanager"])
def test_secret_lifecycle(run_module, aws, store):
    args = dict(name=NAMES[store], store=store, value=VALUE, deployment=DEPLOYMENT, description="cluster user")

    result = run_module("aws_secret", args, check_mode=True, diff=True)
    assert result["changed"] and result["changes"] == ["create %s %s" % (
        "SSM parameter" if store == "ssm" else "Secrets Manager secret", NAMES[store])]
    assert not changing_calls(result)
    assert_hidden(result)

    result = run_module("aws_secret", args, diff=True)
    assert result["changed"] and result["arn"]
    assert result["diff"]["after"]["value"] == "(hidden)"
    assert_hidden(result)
    found = stored(aws, store, NAMES[store])
    if store == "ssm":
        assert (found["Type"], found["Value"]) == ("SecureString", VALUE)
        tags = {t["Key"]: t["Value"] for t in aws.ssm.list_tags_for_resource(
            ResourceType="Parameter", ResourceId=NAMES[store])["TagList"]}
    else:
        assert found["SecretString"] == VALUE
        tags = {t["Key"]: t["Value"] for t in aws.secretsmanager.describe_secret(SecretId=NAMES[store])["Tags"]}
    assert tags["streamfleet:deployment"] == DEPLOYMENT

    result = run_module("aws_secret", args, diff=True)
    assert not result["changed"] and not changing_calls(result), result

    # on_create keeps what is stored (a generated password stays the same).
    result = run_module("aws_secret", dict(args, value=OTHER, update="on_create"))
    assert not result["changed"]
    assert_hidden(result)

    result = run_module("aws_secret", dict(args, value=OTHER), check_mode=True, diff=True)
    assert result["changed"] and not changing_calls(result)
    assert result["diff"]["after"]["value"] == "(changed)"
    assert_hidden(result)
    result = run_module("aws_secret", dict(args, value=OTHER))
    assert result["changed"]
    found = stored(aws, store, NAMES[store])
    assert found.get("Value", found.get("SecretString")) == OTHER

    result = run_module("aws_secret", dict(name=NAMES[store], store=store, deployment=DEPLOYMENT, state="absent"))
    assert result["changed"]
    result = run_module("aws_secret", dict(name=NAMES[store], store=store, deployment=DEPLOYMENT, state="absent"))
    assert not result["changed"]
    # Deleted at once: the same name can be created again (a re-deployment).
    result = run_module("aws_secret", args)
    assert result["changed"]


def test_a_foreign_parameter_is_refused(run_module, aws):
    aws.ssm.put_parameter(Name="/streamfleet/foreign", Value="someone-elses", Type="SecureString")
    result = run_module("aws_secret", dict(name="/streamfleet/foreign", value=VALUE, deployment=DEPLOYMENT))
    assert result.get("failed") and "streamfleet:deployment" in result["msg"]
    assert stored(aws, "ssm", "/streamfleet/foreign")["Value"] == "someone-elses"
    assert_hidden(result)


@pytest.mark.parametrize("args, message", [
    (dict(name="streamfleet/no-leading-slash"), "must start with /"),
    (dict(name="/aws/reserved"), "must not start with aws or ssm"),
    (dict(name="/a b"), "1-2048 characters"),
    (dict(name="/x", value="v" * 4097), "4096"),
    (dict(name="ams-mongodb-AbCdEf", store="secretsmanager"), "hyphen and six characters"),
])
def test_bad_input_is_refused_before_any_call(run_module, args, message):
    full = dict(dict(value=VALUE, deployment=DEPLOYMENT), **args)
    result = run_module("aws_secret", full)
    assert result.get("failed") and message in result["msg"] and result["api_calls"] == {}
    assert_hidden(result)
