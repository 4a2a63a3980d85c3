"""Day 2 of the AWS topologies against moto (issues 16 and 19).

- Capacity is the scaler's: scale a group out of band (as a scaling policy or an operator
  would), re-run the topology, and the group task reports no change and the capacity stays;
  only an explicit ``*_desired`` for the run changes it (and the diff says so).
- Graceful scale-in: every media-server group carries the ``streamfleet-drain`` termination
  hook, its instances an instance profile whose policy reaches only the topology's own groups
  and target groups.
- Region: the roles never pick one; with only AWS_DEFAULT_REGION set the topology lands there,
  its subnets in that region's zones: asserted in the WCS CDN lifecycle
  (test_topology_wcs_cdn.py), which runs in such a region (issue 20: no converge of its own).

The Ant Media tests start from the shared first converge of the cluster (shared_deployments.py,
issue 20) and leave it as a re-run accepts it: the capacity as the scaler set it, the drain on.
"""
import json
from urllib.parse import unquote

from shared_deployments import ANTMEDIA_DEPLOYMENT as DEPLOYMENT, xdist_group_antmedia
from topology_runner import changed_tasks, run_topology

HOOK = "streamfleet-drain"


def _group(aws, name, client=None):
    client = client or aws.autoscaling
    return client.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]


def _group_task(results):
    return [r for r in results if r["task"].endswith("Origin and edge Auto Scaling groups with CPU target tracking")][0]


@xdist_group_antmedia
def test_rerun_keeps_the_capacity_a_scaler_chose(playbook, antmedia_deployment):
    if any(t["LatestVersionNumber"] > 1 for t in antmedia_deployment.aws.ec2.describe_launch_templates(
            LaunchTemplateNames=["antmedia-origin", "antmedia-edge"])["LaunchTemplates"]):
        # moto (5.2.5) cannot launch from a launch template version made after the first (an
        # AssertionError on its user data), and this test scales out: a fresh converge. In the
        # order of LONGEST_FIRST this test comes before the drain test that makes new versions.
        antmedia_deployment.renew()
    aws, ams_vars, first = antmedia_deployment.aws, antmedia_deployment.vars, antmedia_deployment.first
    # A new group starts at its minimum (the vendor's 1 origin, 2 edges) without any *_desired.
    assert first["groups"]["antmedia-origin"]["DesiredCapacity"] == 1
    assert first["groups"]["antmedia-edge"]["DesiredCapacity"] == 2

    # Out of band, as a scaling policy or an operator would.
    aws.autoscaling.set_desired_capacity(AutoScalingGroupName="antmedia-edge", DesiredCapacity=6)
    stats, results = run_topology(playbook, "antmedia_cluster_aws.yml", ams_vars)
    assert stats["changed"] == 0, changed_tasks(results)
    assert not _group_task(results).get("changed")
    assert _group(aws, "antmedia-edge")["DesiredCapacity"] == 6

    # Only an explicit desired capacity for the run changes it, and the plan shows it first.
    stats, results = run_topology(playbook, "antmedia_cluster_aws.yml",
                                  dict(ams_vars, antmedia_cluster_aws_edge_desired=3), check=True, diff=True)
    assert changed_tasks(results) == ["Origin and edge Auto Scaling groups with CPU target tracking"]
    assert "3" in json.dumps([item.get("diff") for item in _group_task(results)["results"]])
    assert _group(aws, "antmedia-edge")["DesiredCapacity"] == 6
    stats, results = run_topology(playbook, "antmedia_cluster_aws.yml", dict(ams_vars, antmedia_cluster_aws_edge_desired=3))
    assert changed_tasks(results) == ["Origin and edge Auto Scaling groups with CPU target tracking"]
    assert _group(aws, "antmedia-edge")["DesiredCapacity"] == 3
    assert _group(aws, "antmedia-origin")["DesiredCapacity"] == 1

    # The scaler again; a later run without *_desired leaves its choice.
    aws.autoscaling.set_desired_capacity(AutoScalingGroupName="antmedia-edge", DesiredCapacity=5)
    stats, results = run_topology(playbook, "antmedia_cluster_aws.yml", ams_vars)
    assert stats["changed"] == 0, changed_tasks(results)
    assert _group(aws, "antmedia-edge")["DesiredCapacity"] == 5
    # (the shared cluster stays at the scaler's choice: a re-run accepts it, as just shown)


def _policies_of(aws, profile_name):
    """The inline policies of the profile's role: {policy name: {Sid: statement}}."""
    iam = aws.iam
    profile = iam.get_instance_profile(InstanceProfileName=profile_name)["InstanceProfile"]
    role = profile["Roles"][0]["RoleName"]
    policies = {}
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        if isinstance(document, str):
            document = json.loads(unquote(document))
        policies[name] = {s["Sid"]: s for s in document["Statement"]}
    return profile, policies


@xdist_group_antmedia
def test_every_group_has_the_drain_hook_and_a_least_privilege_profile(playbook, antmedia_deployment):
    aws, ams_vars = antmedia_deployment.aws, antmedia_deployment.vars
    profile_name = "%s-antmedia-drain" % DEPLOYMENT
    for role in ("origin", "edge"):
        hooks = aws.autoscaling.describe_lifecycle_hooks(AutoScalingGroupName="antmedia-" + role)["LifecycleHooks"]
        assert [(h["LifecycleHookName"], h["LifecycleTransition"], h["HeartbeatTimeout"], h["DefaultResult"])
                for h in hooks] == [(HOOK, "autoscaling:EC2_INSTANCE_TERMINATING", 300, "CONTINUE")]
        template = aws.ec2.describe_launch_template_versions(
            LaunchTemplateName="antmedia-" + role, Versions=["$Default"])["LaunchTemplateVersions"][0]
        assert profile_name in json.dumps(template["LaunchTemplateData"]["IamInstanceProfile"])

    profile, policies = _policies_of(aws, profile_name)
    # The drain agent's policy, and the boot's read of the cluster user's password (its own
    # document, so that turning the drain off leaves it).
    assert sorted(policies) == ["streamfleet-database-secret", "streamfleet-drain"]
    account = aws.sts.get_caller_identity()["Account"]
    secret = policies["streamfleet-database-secret"]
    assert list(secret) == ["ReadDatabasePassword"]  # no kms:Decrypt without a customer managed key
    read = secret["ReadDatabasePassword"]
    assert read["Effect"] == "Allow"
    assert read["Action"] in (["ssm:GetParameter"], "ssm:GetParameter")
    # the default antmedia_cluster_aws_secret_prefix; the parameter exists, the administrator's is not readable
    app_parameter = "/streamfleet/%s/antmedia/mongodb-app-password" % DEPLOYMENT
    assert aws.ssm.get_parameter(Name=app_parameter)["Parameter"]["Type"] == "SecureString"
    app_arn = "arn:aws:ssm:us-east-1:%s:parameter%s" % (account, app_parameter)
    assert read["Resource"] in ([app_arn], app_arn)
    statements = policies["streamfleet-drain"]
    lifecycle = statements["CompleteOwnLifecycleActions"]
    assert sorted(lifecycle["Action"]) == ["autoscaling:CompleteLifecycleAction",
                                           "autoscaling:RecordLifecycleActionHeartbeat"]
    assert sorted(lifecycle["Resource"]) == sorted(
        "arn:aws:autoscaling:us-east-1:%s:autoScalingGroup:*:autoScalingGroupName/antmedia-%s" % (account, role)
        for role in ("origin", "edge"))
    assert statements["FindOwnGroup"]["Resource"] == "*"
    assert statements["FindOwnGroup"]["Action"] in (["autoscaling:DescribeAutoScalingInstances"],
                                                    "autoscaling:DescribeAutoScalingInstances")
    deregister = statements["LeaveOwnTargetGroups"]
    assert deregister["Action"] in (["elasticloadbalancing:DeregisterTargets"], "elasticloadbalancing:DeregisterTargets")
    target_groups = {t["TargetGroupName"]: t["TargetGroupArn"] for t in aws.elbv2.describe_target_groups()["TargetGroups"]}
    for role in ("origin", "edge"):
        pattern = [r for r in deregister["Resource"] if "/antmedia-%s/" % role in r][0]
        assert target_groups["antmedia-" + role].startswith(pattern.rstrip("*"))

    # drain off: the hooks go, the capacity stays the scaler's
    stats, results = run_topology(playbook, "antmedia_cluster_aws.yml", dict(ams_vars, antmedia_cluster_aws_drain_enabled=False))
    for role in ("origin", "edge"):
        assert aws.autoscaling.describe_lifecycle_hooks(AutoScalingGroupName="antmedia-" + role)["LifecycleHooks"] == []
    # the nodes still read their database password at boot
    assert sorted(_policies_of(aws, profile_name)[1]) == ["streamfleet-database-secret"]

    # drain on again: the hooks and the profile's drain policy are back (the shared cluster as it was)
    stats, results = run_topology(playbook, "antmedia_cluster_aws.yml", ams_vars)
    for role in ("origin", "edge"):
        hooks = aws.autoscaling.describe_lifecycle_hooks(AutoScalingGroupName="antmedia-" + role)["LifecycleHooks"]
        assert [h["LifecycleHookName"] for h in hooks] == [HOOK]
    assert sorted(_policies_of(aws, profile_name)[1]) == ["streamfleet-database-secret", "streamfleet-drain"]
    # that teardown removes the profile with the rest is asserted where the shared cluster is
    # torn down (test_topology_antmedia_cluster.py)
