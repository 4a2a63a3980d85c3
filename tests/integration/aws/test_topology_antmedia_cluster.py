"""The Ant Media cluster topology (seed 002) end to end against moto.

plan on nothing -> deploy -> re-run with 0 changed -> update a setting -> tear down to nothing.
"""
import pytest

DEPLOYMENT = "ams-topology"
PASSWORD = "cluster/pass@word"


@pytest.fixture
def role_vars(base_image_id):
    return dict(
        antmedia_cluster_aws_deployment=DEPLOYMENT,
        antmedia_cluster_aws_image_id=base_image_id,
        antmedia_cluster_aws_mongodb_image_id=base_image_id,
        antmedia_cluster_aws_mongodb_password=PASSWORD,
        antmedia_cluster_aws_add_hosts=False,
        antmedia_cluster_aws_wait_timeout=120,
    )


def run_role(playbook, role_vars, check=False, **overrides):
    task = {"name": "topology", "ansible.builtin.include_role": {"name": "streamfleet.cluster.antmedia_cluster_aws"}}
    playbook.run([task], check=check, diff=True, extra_vars=dict(role_vars, **overrides))
    return playbook.stats


def test_antmedia_cluster_lifecycle(playbook, aws, role_vars):
    stats = run_role(playbook, role_vars, check=True)
    assert stats["failures"] == 0
    assert aws.tagged(DEPLOYMENT) == []

    stats = run_role(playbook, role_vars)
    assert stats["changed"] > 0
    assert PASSWORD not in playbook.last_output

    groups = {g["AutoScalingGroupName"]: g for g in aws.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]}
    assert (groups["antmedia-origin"]["MinSize"], groups["antmedia-origin"]["MaxSize"]) == (1, 10)
    assert (groups["antmedia-edge"]["MinSize"], groups["antmedia-edge"]["MaxSize"]) == (2, 10)
    assert len(groups["antmedia-edge"]["Instances"]) == 2
    assert all(g["HealthCheckType"] == "ELB" and g["NewInstancesProtectedFromScaleIn"] for g in groups.values())
    balancer = aws.elbv2.describe_load_balancers(Names=["antmedia"])["LoadBalancers"][0]
    listeners = aws.elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    target_groups = {t["TargetGroupArn"]: t["TargetGroupName"] for t in aws.elbv2.describe_target_groups()["TargetGroups"]}
    routes = {l["Port"]: target_groups[l["DefaultActions"][0]["TargetGroupArn"]] for l in listeners}
    assert routes == {80: "antmedia-origin", 5080: "antmedia-edge"}
    mongo_group = [g for g in aws.ec2.describe_security_groups()["SecurityGroups"] if g["GroupName"] == "antmedia-mongodb"][0]
    assert [p["FromPort"] for p in mongo_group["IpPermissions"]] == [27017]
    assert mongo_group["IpPermissions"][0]["IpRanges"] == []  # never from a CIDR, only the nodes' group

    stats = run_role(playbook, role_vars)
    assert stats["changed"] == 0, playbook.last_output

    stats = run_role(playbook, role_vars, antmedia_cluster_aws_edge_max=6)
    assert stats["changed"] == 1
    edge = aws.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["antmedia-edge"])["AutoScalingGroups"][0]
    assert edge["MaxSize"] == 6

    stats = run_role(playbook, role_vars, antmedia_cluster_aws_state="absent")
    assert stats["changed"] > 0
    assert aws.tagged(DEPLOYMENT) == []
    stats = run_role(playbook, role_vars, antmedia_cluster_aws_state="absent")
    assert stats["changed"] == 0
