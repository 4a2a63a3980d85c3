"""The Ant Media topology keeps its database passwords out of user data (issues 17 and 21).

Deployed on moto: every version of every launch template and every instance's user data is
decoded and searched for each password of the deployment (plain, percent-encoded, JSON- and
shell-quoted, base64); the passwords are in SSM Parameter Store (SecureString) only, and each
instance profile may read exactly its own parameters. The external MongoDB option (a
``mongodb+srv://`` URL) launches no database instance and its nodes read the password the same way.
"""
import base64
import json
import shlex
from urllib.parse import quote

import pytest

from shared_deployments import (ANTMEDIA_DEPLOYMENT, ANTMEDIA_MONGODB_ADMIN_PASSWORD, ANTMEDIA_PANEL_PASSWORD,
                                ANTMEDIA_PASSWORD, xdist_group_antmedia)

DEPLOYMENT = "ams-secrets"
PASSWORD = "cl'uster/p@ss:w%rd \"$(x)`&"
EXTERNAL_URL = "mongodb+srv://antmedia@mongo.cluster0.example.net/?authSource=admin&retryWrites=true"
PREFIX = "/streamfleet/%s/antmedia" % DEPLOYMENT
# the shared cluster's (shared_deployments.py): internal MongoDB, both passwords, the panel's
SHARED_PREFIX = "/streamfleet/%s/antmedia" % ANTMEDIA_DEPLOYMENT


@pytest.fixture
def role_vars(base_image_id):
    return dict(
        antmedia_cluster_aws_deployment=DEPLOYMENT,
        antmedia_cluster_aws_image_id=base_image_id,
        antmedia_cluster_aws_mongodb_image_id=base_image_id,
        antmedia_cluster_aws_mongodb_password=PASSWORD,
        antmedia_cluster_aws_https=False,
        antmedia_cluster_aws_rtmp=False,
        antmedia_cluster_aws_admin_password=ANTMEDIA_PANEL_PASSWORD,
        antmedia_cluster_aws_wait_timeout=120,
    )


def run_role(playbook, role_vars, **overrides):
    task = {"name": "topology", "ansible.builtin.include_role": {"name": "streamfleet.cluster.antmedia_cluster_aws"}}
    playbook.run([task], diff=True, extra_vars=dict(role_vars, **overrides))
    return playbook.stats


def forms(secret):
    """Every way a secret could be written into a script or a URL."""
    return {secret, quote(secret, safe=""), quote(secret), json.dumps(secret)[1:-1], shlex.quote(secret),
            base64.b64encode(secret.encode()).decode()}


def all_user_data(aws):
    """``{where: text}`` for every launch template version and every instance of the account."""
    found = {}
    for template in aws.ec2.describe_launch_templates()["LaunchTemplates"]:
        versions = aws.ec2.describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"])
        for version in versions["LaunchTemplateVersions"]:
            data = version["LaunchTemplateData"].get("UserData")
            if data:
                found["%s v%s" % (template["LaunchTemplateName"], version["VersionNumber"])] = base64.b64decode(data).decode()
    for reservation in aws.ec2.describe_instances()["Reservations"]:
        for instance in reservation["Instances"]:
            attribute = aws.ec2.describe_instance_attribute(InstanceId=instance["InstanceId"], Attribute="userData")
            data = attribute.get("UserData", {}).get("Value")
            if data:
                found[instance["InstanceId"]] = base64.b64decode(data).decode()
    return found


def inline_policy(aws, role, name):
    return aws.iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]


@xdist_group_antmedia
def test_no_password_in_any_user_data_internal_mongodb(antmedia_deployment):
    """On the shared first converge of the cluster (shared_deployments.py): its run and what it
    left in the account."""
    aws, first = antmedia_deployment.aws, antmedia_deployment.first
    assert first["stats"]["failures"] == 0 and first["stats"]["changed"] > 0
    secrets = [ANTMEDIA_PASSWORD, ANTMEDIA_MONGODB_ADMIN_PASSWORD, ANTMEDIA_PANEL_PASSWORD]
    for secret in secrets:
        for form in forms(secret):
            assert form not in first["output"], "a password (%r form) is in the playbook output" % form

    user_data = all_user_data(aws)
    names = {where.split(" v")[0] for where in user_data if " v" in where}
    assert names == {"antmedia-origin", "antmedia-edge", "antmedia-mongodb"}, sorted(user_data)
    instances = [where for where in user_data if where.startswith("i-")]
    assert len(instances) >= 4, "the MongoDB server, an origin and two edges carry user data"
    for where, text in user_data.items():
        for secret in secrets:
            for form in forms(secret):
                assert form not in text, "a password (%r form) is in the user data of %s" % (form, where)
    node = user_data["antmedia-origin v1"]
    assert "--password-secret " + shlex.quote("ssm:%s/mongodb-app-password" % SHARED_PREFIX) in node
    mongodb = user_data["antmedia-mongodb v1"]
    assert "boot_secret mongodb-boot --settings-json " in mongodb
    assert "ssm:%s/mongodb-admin-password" % SHARED_PREFIX in mongodb

    # The passwords are SecureString parameters of the deployment.
    for name, value in (("mongodb-app-password", ANTMEDIA_PASSWORD),
                        ("mongodb-admin-password", ANTMEDIA_MONGODB_ADMIN_PASSWORD)):
        parameter = aws.ssm.get_parameter(Name="%s/%s" % (SHARED_PREFIX, name), WithDecryption=True)["Parameter"]
        assert (parameter["Type"], parameter["Value"]) == ("SecureString", value)

    # Least privilege: the nodes read the cluster user's password only, the MongoDB server its two.
    account = aws.sts.get_caller_identity()["Account"]
    arn = "arn:aws:ssm:us-east-1:%s:parameter%s/%%s" % (account, SHARED_PREFIX)
    nodes = inline_policy(aws, "%s-antmedia-drain" % ANTMEDIA_DEPLOYMENT, "streamfleet-database-secret")
    assert nodes["Statement"] == [{"Sid": "ReadDatabasePassword", "Effect": "Allow", "Action": ["ssm:GetParameter"],
                                   "Resource": [arn % "mongodb-app-password"]}]
    server = inline_policy(aws, "%s-antmedia-mongodb" % ANTMEDIA_DEPLOYMENT, "streamfleet-mongodb-secrets")
    assert server["Statement"][0]["Resource"] == [arn % "mongodb-admin-password", arn % "mongodb-app-password"]
    assert len(server["Statement"]) == 1
    # The server is launched from its template (moto does not copy a template's profile onto the
    # instance: the template is checked).
    template = aws.ec2.describe_launch_template_versions(LaunchTemplateName="antmedia-mongodb")[
        "LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert template["IamInstanceProfile"]["Name"] == "%s-antmedia-mongodb" % ANTMEDIA_DEPLOYMENT
    assert template["MetadataOptions"]["HttpTokens"] == "required"

    # The re-run that changes nothing and the teardown that removes both parameters are the
    # lifecycle test's (test_topology_antmedia_cluster.py), on the same cluster: not run twice in CI.


def test_external_mongodb_srv(playbook, aws, role_vars):
    stats = run_role(playbook, role_vars, antmedia_cluster_aws_mongodb_mode="external",
                     antmedia_cluster_aws_mongodb_url=EXTERNAL_URL)
    assert stats["failures"] == 0
    user_data = all_user_data(aws)
    assert not any(where.startswith("antmedia-mongodb") for where in user_data)
    assert not aws.ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["antmedia-mongodb"]},
                                                   {"Name": "instance-state-name", "Values": ["running", "pending"]}])["Reservations"]
    for where, text in user_data.items():
        for form in forms(PASSWORD):
            assert form not in text, where
    node = user_data["antmedia-edge v1"]
    assert "CLUSTER_URL=" + shlex.quote(EXTERNAL_URL) in node
    assert "--password-secret " + shlex.quote("ssm:%s/mongodb-app-password" % PREFIX) in node
    assert aws.ssm.get_parameter(Name=PREFIX + "/mongodb-app-password", WithDecryption=True)["Parameter"]["Value"] == PASSWORD
    assert not aws.ssm.describe_parameters(ParameterFilters=[
        {"Key": "Name", "Option": "Equals", "Values": [PREFIX + "/mongodb-admin-password"]}])["Parameters"]


@pytest.mark.parametrize("url", ["mongodb+srv://antmedia:inline-pass@mongo.example.net/", "mongodb://mongo.example.net/"])
def test_external_url_with_a_password_or_without_a_user_is_refused(playbook, aws, role_vars, url):
    task = {"name": "topology", "ansible.builtin.include_role": {"name": "streamfleet.cluster.antmedia_cluster_aws"}}
    playbook.run([task], extra_vars=dict(role_vars, antmedia_cluster_aws_mongodb_mode="external",
                                         antmedia_cluster_aws_mongodb_url=url), expect_failure=True)
    assert "without a password" in playbook.last_output
    assert "inline-pass" not in playbook.last_output
    assert aws.tagged(DEPLOYMENT) == []
