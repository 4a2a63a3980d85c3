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


# ---------------------------------------------------------------------- secrets: several in one task
APP = "/streamfleet/secrettest/antmedia/mongodb-app-password"
ADMIN = "streamfleet/secrettest/mongodb-admin"


def two_secrets():
    """The Ant Media role's pair: the cluster user's (SSM) and the administrator's (Secrets
    Manager, generated once: update on_create) - each entry sets what differs."""
    return [dict(name=APP, value=VALUE),
            dict(name=ADMIN, store="secretsmanager", value=OTHER, update="on_create", description="admin")]


def test_several_secrets_in_one_task(run_module, aws):
    """Issue 20: one task (one process, one set of clients) for every secret of a deployment;
    deployment and description are the task's, each entry sets what differs."""
    args = dict(deployment=DEPLOYMENT, description="cluster user", secrets=two_secrets())
    plan = run_module("aws_secret", args, check_mode=True, diff=True)
    assert plan["changed"] is True and [r["changed"] for r in plan["results"]] == [True, True]
    assert plan["changes"] == ["%s: create SSM parameter %s" % (APP, APP),
                               "%s: create Secrets Manager secret %s" % (ADMIN, ADMIN)]
    assert [d["after"]["value"] for d in plan["diff"]] == ["(created)", "(created)"]
    assert not changing_calls(plan)
    assert aws.ssm.describe_parameters()["Parameters"] == [] and aws.secretsmanager.list_secrets()["SecretList"] == []
    assert_hidden(plan)

    created = run_module("aws_secret", args, diff=True)
    assert created["changed"] is True and [r["name"] for r in created["results"]] == [APP, ADMIN]
    assert [r["store"] for r in created["results"]] == ["ssm", "secretsmanager"]
    assert stored(aws, "ssm", APP)["Value"] == VALUE and stored(aws, "secretsmanager", ADMIN)["SecretString"] == OTHER
    # the entry's description, else the task's
    assert aws.secretsmanager.describe_secret(SecretId=ADMIN)["Description"] == "admin"
    assert aws.ssm.describe_parameters()["Parameters"][0]["Description"] == "cluster user"
    assert_hidden(created)

    # a new generated administrator password is not written (on_create), the same calls as a no-op
    again = run_module("aws_secret", dict(args, secrets=[two_secrets()[0], dict(two_secrets()[1], value=VALUE + "x")]))
    assert again["changed"] is False and [r["changed"] for r in again["results"]] == [False, False]
    assert stored(aws, "secretsmanager", ADMIN)["SecretString"] == OTHER
    assert_hidden(again)
    # the calls of one task for both = the sum of a task for each
    alone = [run_module("aws_secret", dict(dict(deployment=DEPLOYMENT, description="cluster user"), **entry))
             for entry in two_secrets()]
    assert [r["changed"] for r in alone] == [False, False]
    summed = {}
    for result in alone:
        for call, count in result["api_calls"].items():
            summed[call] = summed.get(call, 0) + count
    assert again["api_calls"] == summed == {
        "secretsmanager.DescribeSecret": 1, "secretsmanager.GetSecretValue": 1,
        "ssm.DescribeParameters": 1, "ssm.GetParameter": 1, "ssm.ListTagsForResource": 1}

    removed = run_module("aws_secret", dict(deployment=DEPLOYMENT, state="absent", secrets=[
        dict(name=APP), dict(name=ADMIN, store="secretsmanager")]))
    assert removed["changed"] is True
    assert aws.ssm.describe_parameters()["Parameters"] == [] and aws.secretsmanager.list_secrets()["SecretList"] == []


def test_ssm_parameters_of_one_task_are_read_together(run_module, aws):
    """Issue 20: two SSM parameters in one task are read with one GetParameters and one
    DescribeParameters (their tags one call each: SSM has no batch for those)."""
    other = "/streamfleet/secrettest/antmedia/mongodb-monitor-password"
    entries = [dict(name=APP, value=VALUE), dict(name=other, value=OTHER)]
    args = dict(deployment=DEPLOYMENT, description="cluster user", secrets=entries)
    # the first exists already; the second is created (read again after the first's change)
    run_module("aws_secret", dict(deployment=DEPLOYMENT, description="cluster user", **entries[0]))
    created = run_module("aws_secret", args)
    assert [r["changed"] for r in created["results"]] == [False, True]
    assert stored(aws, "ssm", other)["Value"] == OTHER and stored(aws, "ssm", APP)["Value"] == VALUE
    assert created["api_calls"]["ssm.GetParameters"] == 1 and "ssm.GetParameter" not in created["api_calls"]
    again = run_module("aws_secret", args)
    assert again["changed"] is False, again["changes"]
    assert again["api_calls"] == {"ssm.GetParameters": 1, "ssm.DescribeParameters": 1, "ssm.ListTagsForResource": 2}
    assert_hidden(again)
    # a change by hand is seen through the shared read: the first is written back, then the
    # second is read again (and left alone)
    aws.ssm.put_parameter(Name=APP, Value="changed-by-hand", Type="SecureString", Overwrite=True)
    fixed = run_module("aws_secret", args)
    assert [r["changed"] for r in fixed["results"]] == [True, False]
    assert fixed["api_calls"]["ssm.GetParameters"] == 2
    assert stored(aws, "ssm", APP)["Value"] == VALUE
    assert_hidden(fixed)
    run_module("aws_secret", dict(deployment=DEPLOYMENT, state="absent", secrets=[dict(name=APP), dict(name=other)]))
    assert aws.ssm.describe_parameters()["Parameters"] == []


@pytest.mark.parametrize("second, message", [
    (dict(name="/b", value=VALUE, bogus=1), "secrets[1]: bogus. Supported parameters include"),
    (dict(value=VALUE), "secrets[1]: missing required arguments: name"),
    (dict(name="/b", value=VALUE, state="gone"), "secrets[1]: value of state must be one of"),
    (dict(name="/b"), "secrets[1]: state is present but all of the following are missing: value"),
    (dict(name="/aws/b", value=VALUE), "secrets[1]: name '/aws/b': must not start with aws or ssm"),
    (dict(name="/b", value="v" * 4097), "secrets[1]: value is longer than the ssm limit of 4096"),
    (dict(name="/b", value=VALUE, kms_key_id="not a key"), "secrets[1]: "),
])
def test_bad_entry_fails_before_any_call(run_module, aws, second, message):
    result = run_module("aws_secret", dict(deployment=DEPLOYMENT, secrets=[dict(name="/a", value=VALUE), second]))
    assert result.get("failed") is True, result
    assert message in result["msg"]
    assert result.get("api_calls", {}) == {}
    assert_hidden(result)


def test_values_after_a_bad_entry_are_masked(run_module, aws):
    """The failure echoes the task's arguments: the value of an entry after the bad one is
    masked too (every entry's secrets are registered before any entry's problem is reported)."""
    result = run_module("aws_secret", dict(deployment=DEPLOYMENT, secrets=[dict(name="/a", value="x", bogus=1),
                                                                           dict(name="/b", value=VALUE)]))
    assert result.get("failed") is True and result["msg"].startswith("secrets[0]: bogus.")
    assert result.get("api_calls", {}) == {}
    assert_hidden(result)


@pytest.mark.parametrize("args, message", [
    # Ansible rejects these before the module runs (so before run_each registers the entries)
    (dict(secrets=[dict(name="/a", value=VALUE), dict(name="/b", value={"nested": [OTHER]})]),
     "missing required arguments: deployment"),
    (dict(deployment=DEPLOYMENT, name="/c", secrets=[dict(name="/a", value=VALUE), "not-an-entry",
                                                     dict(name="/b", value=OTHER)]),
     "mutually exclusive"),
    (dict(deployment=DEPLOYMENT, secrets=[dict(name="/a", value=VALUE)], bogus_option=1), "bogus_option"),
])
def test_entry_values_are_masked_when_ansible_rejects_the_arguments(run_module, args, message):
    result = run_module("aws_secret", args)
    assert result.get("failed") is True and message in result["msg"], result["msg"]
    # the failure echoes the arguments; the entries' names stay readable, their values do not
    assert "/a" in json.dumps(result.get("invocation", {})), result
    assert result.get("api_calls", {}) == {}
    assert_hidden(result)


def test_name_and_secrets_exclude_each_other(run_module):
    result = run_module("aws_secret", dict(name="/a", value=VALUE, deployment=DEPLOYMENT,
                                           secrets=[dict(name="/b", value=VALUE)]))
    assert result.get("failed") is True and "mutually exclusive" in result["msg"]
    assert result.get("api_calls", {}) == {}
    result = run_module("aws_secret", dict(value=VALUE, deployment=DEPLOYMENT))
    assert result.get("failed") is True and "one of the following is required: name, secrets" in result["msg"]


def test_failing_entry_names_what_converged_before_it(run_module, aws):
    aws.ssm.put_parameter(Name="/streamfleet/foreign", Value="someone-elses", Type="SecureString")
    result = run_module("aws_secret", dict(deployment=DEPLOYMENT, secrets=[
        dict(name=APP, value=VALUE), dict(name="/streamfleet/foreign", value=OTHER)]))
    assert result.get("failed") is True
    assert result["msg"].startswith("SSM parameter /streamfleet/foreign: ")
    assert "streamfleet:deployment" in result["msg"]
    assert result["msg"].endswith("(entries converged before it: %s (changed))" % APP)
    assert [r["name"] for r in result["results"]] == [APP]
    assert stored(aws, "ssm", APP)["Value"] == VALUE
    assert stored(aws, "ssm", "/streamfleet/foreign")["Value"] == "someone-elses"
    assert_hidden(result)
