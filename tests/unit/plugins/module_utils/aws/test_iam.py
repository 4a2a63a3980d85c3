"""Pure logic of module_utils/aws/iam.py: validation, policy comparison, the drain agent's policy."""
import json

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws import iam

POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}


def task(**overrides):
    params = dict(name="ams-edge", state="present", path="/streamfleet/", inline_policies={},
                  managed_policy_arns=[])
    params.update(overrides)
    return params


def test_valid_task_returns_parsed_documents():
    documents = iam.validate(task(inline_policies={"as-dict": POLICY, "as-json": json.dumps(POLICY)},
                                  managed_policy_arns=["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
                                                       "arn:aws:iam::123456789012:policy/own"]))
    assert documents == {"as-dict": POLICY, "as-json": POLICY}
    assert iam.validate(task(name="a" * 64, path="/")) == {}
    assert iam.validate(task(name="n+=,.@-_1")) == {}
    # removal checks only what names the objects
    assert iam.validate(task(state="absent", inline_policies={"x": "not json"})) == {}


@pytest.mark.parametrize("overrides, message", [
    (dict(name=""), "name '' must be 1-64 characters"),
    (dict(name="a" * 65), "must be 1-64 characters"),
    (dict(name="ams edge"), "must be 1-64 characters"),
    (dict(name="ams/edge"), "must be 1-64 characters"),
    (dict(path="streamfleet"), "path 'streamfleet' must be"),
    (dict(path="/streamfleet"), "must be '/' or start and end with '/'"),
    (dict(path="/stream fleet/"), "must be '/' or start"),
    (dict(path="/" + "a" * 511 + "/"), "at most 512"),
    (dict(inline_policies={"p": "{not json"}), "inline_policies.p: not valid JSON"),
    (dict(inline_policies={"p": "[1, 2]"}), "inline_policies.p: a policy document is a JSON object, not list"),
    (dict(inline_policies={"p": {"Statement": POLICY["Statement"]}}), "inline_policies.p: Version must be present"),
    (dict(inline_policies={"p": dict(POLICY, Version="2020-01-01")}), "Version must be present and one of"),
    (dict(inline_policies={"p": dict(POLICY, Statement=[])}), "Statement must be an object or a non-empty list"),
    (dict(inline_policies={"p": dict(POLICY, Statement=[{"Effect": "allow", "Action": "*"}])}),
     r"Statement\[0\].Effect must be Allow or Deny"),
    (dict(inline_policies={"bad name": POLICY}), "inline_policies: name 'bad name'"),
    (dict(managed_policy_arns=["AmazonSSMManagedInstanceCore"]), "is not an IAM policy ARN"),
    (dict(absent_inline_policies=["bad name"]), "absent_inline_policies: name 'bad name'"),
    (dict(inline_policies={"p": POLICY}, absent_inline_policies=["p"]), "absent_inline_policies: p is also declared"),
    (dict(state="absent", name="x y"), "must be 1-64 characters"),
])
def test_validation(overrides, message):
    with pytest.raises(iam.IAMError, match=message):
        iam.validate(task(**overrides))


def test_every_problem_is_reported_at_once():
    with pytest.raises(iam.IAMError) as info:
        iam.validate(task(name="x y", path="nope", inline_policies={"p": "{"}))
    assert str(info.value).count(";") == 2


def test_policy_comparison_is_by_meaning():
    spelled_otherwise = {"Statement": {"Resource": ["*"], "Action": ["s3:GetObject"], "Effect": "Allow"},
                         "Version": "2012-10-17"}
    assert iam.same_policy(POLICY, spelled_otherwise)
    assert iam.same_policy({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["b", "a"], "Resource": "*"}]},
                           {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["a", "b"], "Resource": "*"}]})
    assert not iam.same_policy(POLICY, dict(POLICY, Statement=[dict(POLICY["Statement"][0], Effect="Deny")]))
    assert not iam.same_policy(POLICY, dict(POLICY, Statement=[dict(POLICY["Statement"][0], Resource="arn:aws:s3:::b/*")]))
    trust = iam.EC2_TRUST_POLICY
    assert iam.same_policy(trust, json.loads(json.dumps(trust).replace('"ec2.amazonaws.com"', '["ec2.amazonaws.com"]')))


def test_url_encoded_documents_are_decoded():
    assert iam.decode_document("%7B%22Version%22%3A%20%222012-10-17%22%7D") == {"Version": "2012-10-17"}
    assert iam.decode_document(POLICY) is POLICY


def test_drain_agent_policy_is_least_privilege():
    policy = iam.drain_agent_policy("eu-west-1", "123456789012", "ams-edge",
                                    target_group_arns=["arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/ams-5080/abc"])
    iam.parse_policy(policy, "drain")
    by_sid = dict((s["Sid"], s) for s in policy["Statement"])
    lifecycle = by_sid["LifecycleActionsOfOwnGroup"]
    assert lifecycle["Action"] == ["autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"]
    assert lifecycle["Resource"] == [
        "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/ams-edge"]
    assert by_sid["FindOwnGroup"] == dict(Sid="FindOwnGroup", Effect="Allow",
                                          Action=["autoscaling:DescribeAutoScalingInstances"], Resource="*")
    assert by_sid["LeaveOwnTargetGroups"]["Action"] == ["elasticloadbalancing:DeregisterTargets"]
    assert by_sid["LeaveOwnTargetGroups"]["Resource"] == [
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/ams-5080/abc"]
    # no "*" anywhere but the one describe action, and nothing that changes a group
    actions = [a for s in policy["Statement"] for a in s["Action"]]
    assert not any(a.endswith("*") for a in actions)
    assert [s["Sid"] for s in policy["Statement"] if s["Resource"] == "*"] == ["FindOwnGroup"]
    without_balancer = iam.drain_agent_policy("eu-west-1", "123456789012", ["a", "b"], partition="aws-cn")
    assert [s["Sid"] for s in without_balancer["Statement"]] == ["LifecycleActionsOfOwnGroup", "FindOwnGroup"]
    assert without_balancer["Statement"][0]["Resource"][1].startswith("arn:aws-cn:autoscaling:")


# ---------------------------------------------------------------------------------------------
# Reads of a converge (issue 20): which IAM calls read() makes, by purge_policies


class RecordingIAM(object):
    """A role with inline and attached policies; records every call (method, policy name)."""

    def __init__(self, inline, attached):
        from botocore.exceptions import ClientError
        self.client_error = ClientError
        self.inline = inline
        self.attached = attached
        self.calls = []
        tags = [{"Key": "streamfleet:deployment", "Value": "ams"},
                {"Key": "streamfleet:managed-by", "Value": "streamfleet.cluster"}]
        self.role = {"RoleName": "ams-edge", "Path": "/streamfleet/", "Arn": "arn:aws:iam::123456789012:role/streamfleet/ams-edge",
                     "AssumeRolePolicyDocument": iam.EC2_TRUST_POLICY, "Tags": tags}
        self.profile = {"InstanceProfileName": "ams-edge", "Path": "/streamfleet/", "Roles": [self.role], "Tags": tags}

    def get_role(self, aws_retry, RoleName):
        self.calls.append(("get_role", None))
        return {"Role": self.role}

    def get_instance_profile(self, aws_retry, InstanceProfileName):
        self.calls.append(("get_instance_profile", None))
        return {"InstanceProfile": self.profile}

    def get_role_policy(self, aws_retry, RoleName, PolicyName):
        self.calls.append(("get_role_policy", PolicyName))
        if PolicyName not in self.inline:
            raise self.client_error({"Error": {"Code": "NoSuchEntity", "Message": "no policy"}}, "GetRolePolicy")
        return {"PolicyDocument": self.inline[PolicyName]}

    def paginate(self, method_name, result_key, **kwargs):
        self.calls.append((method_name, None))
        if method_name == "list_role_policies":
            return sorted(self.inline)
        return [{"PolicyArn": arn} for arn in self.attached]


class FakeModule(object):
    check_mode = True

    def __init__(self, params, client):
        self.params = params
        self._client = client

    def client(self, service):
        assert service == "iam"
        return self._client


OWN_MANAGED = "arn:aws:iam::123456789012:policy/own"
OPS_MANAGED = "arn:aws:iam::123456789012:policy/ops"


def read_profile(**overrides):
    client = RecordingIAM({"drain-agent": POLICY, "ops-debug": POLICY}, [OWN_MANAGED, OPS_MANAGED])
    params = task(deployment="ams", tags={}, purge_policies=True, purge_tags=False, description=None,
                  inline_policies={"drain-agent": POLICY, "read-media": POLICY})
    params.update(overrides)
    converger = iam.InstanceProfileConverger(FakeModule(params, client))
    converger.validate()
    converger.read()
    return converger, client.calls


def test_purge_reads_the_complete_policy_lists():
    converger, calls = read_profile()
    assert calls == [("get_role", None), ("get_instance_profile", None), ("list_role_policies", None),
                     ("get_role_policy", "drain-agent"), ("get_role_policy", "ops-debug"),
                     ("list_attached_role_policies", None)]
    assert sorted(converger.before["inline_policies"]) == ["drain-agent", "ops-debug"]
    assert converger.before["managed_policy_arns"] == sorted([OWN_MANAGED, OPS_MANAGED])


def test_without_purge_only_the_declared_policies_are_read():
    converger, calls = read_profile(purge_policies=False)
    # no ListRolePolicies, no ListAttachedRolePolicies (no managed policy declared)
    assert calls == [("get_role", None), ("get_instance_profile", None),
                     ("get_role_policy", "drain-agent"), ("get_role_policy", "read-media")]
    assert converger.before["inline_policies"] == {"drain-agent": iam.normalize_policy(POLICY)}
    assert converger.before["managed_policy_arns"] == []
    converger.apply()  # check mode: the missing one is created, nothing else is touched
    assert converger.changes == ["create inline policy read-media of role ams-edge"]
    assert converger.result["inline_policies"] == ["drain-agent", "read-media"]
    assert converger.result["managed_policy_arns"] == []


def test_without_purge_declared_managed_policies_are_listed_and_kept_to_the_declared():
    converger, calls = read_profile(purge_policies=False, inline_policies={},
                                    managed_policy_arns=[OWN_MANAGED, "arn:aws:iam::aws:policy/New"])
    assert calls == [("get_role", None), ("get_instance_profile", None), ("list_attached_role_policies", None)]
    assert converger.before["managed_policy_arns"] == [OWN_MANAGED]
    converger.apply()
    assert converger.changes == ["attach managed policy arn:aws:iam::aws:policy/New to role ams-edge"]
    assert converger.result["managed_policy_arns"] == sorted([OWN_MANAGED, "arn:aws:iam::aws:policy/New"])


def test_removal_reads_everything_whatever_purge_says():
    converger, calls = read_profile(state="absent", purge_policies=False)
    assert ("list_role_policies", None) in calls and ("list_attached_role_policies", None) in calls
    assert sorted(converger.inline) == ["drain-agent", "ops-debug"]


def test_without_purge_absent_inline_policies_are_read_and_deleted():
    converger, calls = read_profile(purge_policies=False, inline_policies={"drain-agent": POLICY},
                                    absent_inline_policies=["ops-debug", "never-there"])
    assert calls == [("get_role", None), ("get_instance_profile", None), ("get_role_policy", "drain-agent"),
                     ("get_role_policy", "never-there"), ("get_role_policy", "ops-debug")]
    assert sorted(converger.before["inline_policies"]) == ["drain-agent", "ops-debug"]
    converger.apply()
    assert converger.changes == ["delete inline policy ops-debug of role ams-edge"]
    assert converger.result["inline_policies"] == ["drain-agent"]
