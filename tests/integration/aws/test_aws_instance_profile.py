"""aws_instance_profile against moto: role, policies and instance profile created, converged, removed."""
import copy
import json

import pytest

DEPLOYMENT = "profiletest"
CHANGING_PREFIXES = ("Create", "Delete", "Put", "Update", "Attach", "Detach", "Add", "Remove", "Tag", "Untag")
DRAIN = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "LifecycleActionsOfOwnGroup", "Effect": "Allow",
         "Action": ["autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"],
         "Resource": ["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/ams-edge"]},
        {"Sid": "FindOwnGroup", "Effect": "Allow", "Action": ["autoscaling:DescribeAutoScalingInstances"], "Resource": "*"},
    ],
}
READ_BUCKET = {"Version": "2012-10-17",
               "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::ams-media/*"}}


def changing_calls(result):
    return sorted(name for name in result.get("api_calls", {})
                  if name.split(".", 1)[1].startswith(CHANGING_PREFIXES))


@pytest.fixture
def managed_policy(aws):
    # moto loads no AWS managed policies unless asked to: an own managed policy stands in
    return aws.iam.create_policy(PolicyName="ams-logs", Path="/streamfleet/", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]})
    )["Policy"]["Arn"]


def profile_args(**overrides):
    args = dict(name="ams-edge", deployment=DEPLOYMENT, description="Ant Media edges",
                inline_policies={"drain-agent": DRAIN, "read-media": json.dumps(READ_BUCKET)},
                tags={"role": "edge"})
    args.update(overrides)
    return args


def role_state(aws, name="ams-edge"):
    iam = aws.iam
    role = iam.get_role(RoleName=name)["Role"]
    inline = dict((n, iam.get_role_policy(RoleName=name, PolicyName=n)["PolicyDocument"])
                  for n in iam.list_role_policies(RoleName=name)["PolicyNames"])
    attached = sorted(p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"])
    profile = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    return role, inline, attached, profile


def test_instance_profile_lifecycle(run_module, aws, managed_policy):
    args = profile_args(managed_policy_arns=[managed_policy])

    result = run_module("aws_instance_profile", args, check_mode=True, diff=True)
    assert result["changed"] is True, result
    assert not changing_calls(result), result["api_calls"]
    assert result["changes"] == [
        "create role ams-edge", "create inline policy drain-agent of role ams-edge",
        "create inline policy read-media of role ams-edge",
        "attach managed policy %s to role ams-edge" % managed_policy,
        "create instance profile ams-edge", "add role ams-edge to instance profile ams-edge"]
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["inline_policies"]["read-media"]["Statement"][0]["Action"] == ["s3:GetObject"]
    assert aws.iam.list_roles(PathPrefix="/streamfleet/")["Roles"] == []

    result = run_module("aws_instance_profile", args)
    assert result["changed"] is True, result
    assert result["instance_profile_arn"] == "arn:aws:iam::123456789012:instance-profile/streamfleet/ams-edge"
    assert result["role_arn"] == "arn:aws:iam::123456789012:role/streamfleet/ams-edge"
    assert result["instance_profile_name"] == result["role_name"] == "ams-edge"
    role, inline, attached, profile = role_state(aws)
    assert role["Path"] == "/streamfleet/" and role["Description"] == "Ant Media edges"
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    tags = dict((t["Key"], t["Value"]) for t in role["Tags"])
    assert tags == {"streamfleet:deployment": DEPLOYMENT, "streamfleet:managed-by": "streamfleet.cluster", "role": "edge"}
    assert dict((t["Key"], t["Value"]) for t in profile["Tags"]) == tags
    assert inline == {"drain-agent": DRAIN, "read-media": json.loads(json.dumps(READ_BUCKET, sort_keys=True))}
    assert attached == [managed_policy]
    assert [r["RoleName"] for r in profile["Roles"]] == ["ams-edge"] and profile["Path"] == "/streamfleet/"

    # a launch template can name it
    template = run_module("aws_launch_template", dict(
        name="ams-edge", deployment=DEPLOYMENT, image_id="ami-12c6146b", instance_type="t3.small",
        iam_instance_profile=result["instance_profile_arn"]))
    assert template["launch_template_data"]["iam_instance_profile"] == {"arn": result["instance_profile_arn"]}

    again = run_module("aws_instance_profile", args, diff=True)
    assert again["changed"] is False, again["changes"]
    assert not changing_calls(again)
    assert again["diff"]["before"] == again["diff"]["after"]
    print("no-op calls (instance profile):", again["api_calls"])

    # the same documents spelled otherwise are no change
    respelled = copy.deepcopy(args)
    respelled["inline_policies"]["drain-agent"] = json.dumps(DRAIN, indent=2)
    respelled["inline_policies"]["read-media"] = dict(READ_BUCKET, Statement=[dict(READ_BUCKET["Statement"],
                                                                                   Action=["s3:GetObject"])])
    assert run_module("aws_instance_profile", respelled)["changed"] is False

    # an operator's tag stays (purge_tags false); a changed policy is shown before and after
    aws.iam.tag_role(RoleName="ams-edge", Tags=[{"Key": "owner", "Value": "ops"}])
    narrower = copy.deepcopy(args)
    narrower["inline_policies"] = {"drain-agent": dict(DRAIN, Statement=DRAIN["Statement"][:1])}
    narrower["managed_policy_arns"] = []
    result = run_module("aws_instance_profile", narrower, check_mode=True, diff=True)
    assert result["changes"] == ["delete inline policy read-media of role ams-edge",
                                 "update inline policy drain-agent of role ams-edge",
                                 "detach managed policy %s from role ams-edge" % managed_policy]
    assert not changing_calls(result)
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert len(before["inline_policies"]["drain-agent"]["Statement"]) == 2
    assert len(after["inline_policies"]["drain-agent"]["Statement"]) == 1
    assert "read-media" not in after["inline_policies"]
    assert after["role"]["tags"]["owner"] == "ops"
    result = run_module("aws_instance_profile", narrower)
    assert changing_calls(result) == ["iam.DeleteRolePolicy", "iam.DetachRolePolicy", "iam.PutRolePolicy"]
    role, inline, attached, profile = role_state(aws)
    assert list(inline) == ["drain-agent"] and attached == []
    assert dict((t["Key"], t["Value"]) for t in role["Tags"])["owner"] == "ops"
    assert run_module("aws_instance_profile", narrower)["changed"] is False

    # purge_policies false: only adds, and reads only the declared policies (issue 20): the
    # no-op is GetRole, GetInstanceProfile and one GetRolePolicy, two calls fewer than with purge
    aws.iam.put_role_policy(RoleName="ams-edge", PolicyName="ops-debug", PolicyDocument=json.dumps(READ_BUCKET))
    result = run_module("aws_instance_profile", dict(narrower, purge_policies=False), diff=True)
    assert result["changed"] is False, result["changes"]
    assert result["api_calls"] == {"iam.GetInstanceProfile": 1, "iam.GetRole": 1, "iam.GetRolePolicy": 1}
    assert list(result["diff"]["before"]["inline_policies"]) == ["drain-agent"]
    assert result["inline_policies"] == ["drain-agent"]
    result = run_module("aws_instance_profile", dict(narrower, purge_policies=False,
                                                     inline_policies=dict(narrower["inline_policies"], **{"read-media": READ_BUCKET})))
    assert result["changes"] == ["create inline policy read-media of role ams-edge"]
    assert sorted(role_state(aws)[1]) == ["drain-agent", "ops-debug", "read-media"]
    # a policy no longer declared is removed by name, still without listing the role's policies
    result = run_module("aws_instance_profile", dict(narrower, purge_policies=False, absent_inline_policies=["read-media"]))
    assert result["changes"] == ["delete inline policy read-media of role ams-edge"]
    assert "iam.ListRolePolicies" not in result["api_calls"] and result["api_calls"]["iam.GetRolePolicy"] == 2
    assert sorted(role_state(aws)[1]) == ["drain-agent", "ops-debug"]

    absent = dict(name="ams-edge", deployment=DEPLOYMENT, state="absent")
    result = run_module("aws_instance_profile", absent, check_mode=True, diff=True)
    assert result["changed"] is True and not changing_calls(result)
    assert result["diff"]["after"] == {}
    assert aws.iam.get_role(RoleName="ams-edge")
    result = run_module("aws_instance_profile", absent)
    assert result["changed"] is True, result
    assert aws.iam.list_roles(PathPrefix="/streamfleet/")["Roles"] == []
    assert aws.iam.list_instance_profiles(PathPrefix="/streamfleet/")["InstanceProfiles"] == []
    assert run_module("aws_instance_profile", absent)["changed"] is False


def test_foreign_role_is_refused(run_module, aws):
    aws.iam.create_role(RoleName="ams-edge", Path="/streamfleet/", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}))
    for args in (profile_args(), dict(name="ams-edge", deployment=DEPLOYMENT, state="absent")):
        result = run_module("aws_instance_profile", args)
        assert result.get("failed") is True and "does not carry streamfleet:deployment" in result["msg"], result
        assert not changing_calls(result)
    assert aws.iam.get_role(RoleName="ams-edge")["Role"]


def test_other_path_is_refused(run_module, aws):
    run_module("aws_instance_profile", profile_args(path="/other/"))
    result = run_module("aws_instance_profile", profile_args())
    assert result.get("failed") is True and "exists under path /other/, not /streamfleet/" in result["msg"], result
    assert not changing_calls(result)


@pytest.mark.parametrize("overrides, message", [
    (dict(name="ams edge"), "must be 1-64 characters"),
    (dict(name="e" * 65), "must be 1-64 characters"),
    (dict(inline_policies={"drain": "{"}), "inline_policies.drain: not valid JSON"),
    (dict(inline_policies={"drain": {"Statement": DRAIN["Statement"]}}), "Version must be present"),
    (dict(path="streamfleet"), "path 'streamfleet' must be"),
])
def test_bad_input_changes_nothing(run_module, aws, overrides, message):
    """moto would take a long or odd role name; the module refuses before any call."""
    result = run_module("aws_instance_profile", profile_args(**overrides))
    assert result.get("failed") is True and message in result["msg"], result
    assert result["api_calls"] == {}


def test_missing_managed_policy_fails_clearly(run_module, aws):
    result = run_module("aws_instance_profile", profile_args(managed_policy_arns=["arn:aws:iam::123456789012:policy/none"]))
    assert result.get("failed") is True
    assert "managed_policy_arns: arn:aws:iam::123456789012:policy/none does not exist" in result["msg"], result


def test_playbook_check_create_again_remove(playbook, aws):
    args = profile_args()
    absent = dict(name="ams-edge", deployment=DEPLOYMENT, state="absent")
    check, create, again, remove = playbook.run([
        {"name": "check", "streamfleet.cluster.aws_instance_profile": args, "check_mode": True},
        {"name": "create", "streamfleet.cluster.aws_instance_profile": args},
        {"name": "again", "streamfleet.cluster.aws_instance_profile": args},
        {"name": "remove", "streamfleet.cluster.aws_instance_profile": absent},
    ], diff=True)
    assert check["changed"] is True and check["instance_profile_arn"] is None
    assert create["changed"] is True and create["instance_profile_arn"].endswith(":instance-profile/streamfleet/ams-edge")
    assert again["changed"] is False
    assert remove["changed"] is True
    assert aws.iam.list_roles(PathPrefix="/streamfleet/")["Roles"] == []


# ---------------------------------------------------------------------- profiles: several in one task
def two_profiles():
    """The Ant Media role's pair: MongoDB's and the nodes' (the drain agent's policy, removed by
    name once draining is off) - each entry sets what differs."""
    return [dict(name="ams-mongodb", inline_policies={"read-media": READ_BUCKET}),
            dict(name="ams-nodes", description="Ant Media nodes", inline_policies={"drain-agent": DRAIN},
                 absent_inline_policies=["read-media"])]


def test_several_profiles_in_one_task(run_module, aws):
    """Issue 20: one task (one process, one set of clients) for every role and instance profile
    of a deployment; deployment, tags and purge_policies are the task's."""
    args = dict(deployment=DEPLOYMENT, purge_policies=False, tags={"role": "cluster"}, profiles=two_profiles())
    plan = run_module("aws_instance_profile", args, check_mode=True, diff=True)
    assert plan["changed"] is True and [r["changed"] for r in plan["results"]] == [True, True]
    assert "ams-nodes: create inline policy drain-agent of role ams-nodes" in plan["changes"]
    assert [sorted(d["after"]["inline_policies"]) for d in plan["diff"]] == [["read-media"], ["drain-agent"]]
    assert not changing_calls(plan)
    assert aws.iam.list_roles(PathPrefix="/streamfleet/")["Roles"] == []

    created = run_module("aws_instance_profile", args)
    assert created["changed"] is True
    assert [r["instance_profile_name"] for r in created["results"]] == ["ams-mongodb", "ams-nodes"]
    assert created["results"][1]["instance_profile_arn"].endswith(":instance-profile/streamfleet/ams-nodes")
    role, inline, attached, profile = role_state(aws, "ams-nodes")
    assert list(inline) == ["drain-agent"] and role["Description"] == "Ant Media nodes"
    assert dict((t["Key"], t["Value"]) for t in role["Tags"])["role"] == "cluster"
    assert list(role_state(aws, "ams-mongodb")[1]) == ["read-media"]

    again = run_module("aws_instance_profile", args, diff=True)
    assert again["changed"] is False and [r["changed"] for r in again["results"]] == [False, False]
    assert [d["before"] == d["after"] for d in again["diff"]] == [True, True]
    # the calls of one task for both = the sum of a task for each (purge_policies false: GetRole,
    # GetInstanceProfile and one GetRolePolicy per declared policy)
    shared = dict((k, v) for k, v in args.items() if k != "profiles")
    alone = [run_module("aws_instance_profile", dict(shared, **entry)) for entry in two_profiles()]
    assert [r["changed"] for r in alone] == [False, False]
    summed = {}
    for result in alone:
        for call, count in result["api_calls"].items():
            summed[call] = summed.get(call, 0) + count
    assert again["api_calls"] == summed == {"iam.GetInstanceProfile": 2, "iam.GetRole": 2, "iam.GetRolePolicy": 3}

    removed = run_module("aws_instance_profile", dict(deployment=DEPLOYMENT, state="absent",
                                                      profiles=[dict(name="ams-mongodb"), dict(name="ams-nodes")]))
    assert removed["changed"] is True
    assert aws.iam.list_roles(PathPrefix="/streamfleet/")["Roles"] == []
    assert aws.iam.list_instance_profiles(PathPrefix="/streamfleet/")["InstanceProfiles"] == []


@pytest.mark.parametrize("second, message", [
    (dict(name="b", bogus=1), "profiles[1]: bogus. Supported parameters include"),
    (dict(description="no name"), "profiles[1]: missing required arguments: name"),
    (dict(name="b", state="gone"), "profiles[1]: value of state must be one of"),
    (dict(name="ams edge"), "profiles[1]: name 'ams edge' must be 1-64 characters"),
    (dict(name="b", inline_policies={"drain": "{"}), "profiles[1]: inline_policies.drain: not valid JSON"),
    (dict(name="b", path="streamfleet"), "profiles[1]: path 'streamfleet' must be"),
    (dict(name="b", inline_policies={"drain": DRAIN}, absent_inline_policies=["drain"]),
     "profiles[1]: absent_inline_policies: drain is also declared in inline_policies"),
])
def test_bad_entry_fails_before_any_call(run_module, aws, second, message):
    result = run_module("aws_instance_profile", dict(deployment=DEPLOYMENT, profiles=[dict(name="a"), second]))
    assert result.get("failed") is True, result
    assert message in result["msg"]
    assert result.get("api_calls", {}) == {}


def test_name_and_profiles_exclude_each_other(run_module):
    result = run_module("aws_instance_profile", dict(profile_args(), profiles=[dict(name="b")]))
    assert result.get("failed") is True and "mutually exclusive" in result["msg"]
    result = run_module("aws_instance_profile", dict(deployment=DEPLOYMENT))
    assert result.get("failed") is True and "one of the following is required: name, profiles" in result["msg"]


def test_failing_entry_names_what_converged_before_it(run_module, aws):
    run_module("aws_instance_profile", profile_args(name="ams-nodes", path="/other/"))
    result = run_module("aws_instance_profile", dict(deployment=DEPLOYMENT, profiles=[
        dict(name="ams-mongodb"), dict(name="ams-nodes")]))
    assert result.get("failed") is True
    assert result["msg"].startswith("IAM role and instance profile ams-nodes: ")
    assert "exists under path /other/, not /streamfleet/" in result["msg"]
    assert result["msg"].endswith("(entries converged before it: ams-mongodb (changed))")
    assert [r["role_name"] for r in result["results"]] == ["ams-mongodb"]
    assert aws.iam.get_role(RoleName="ams-mongodb")["Role"]["Path"] == "/streamfleet/"
