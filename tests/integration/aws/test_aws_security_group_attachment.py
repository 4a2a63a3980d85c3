"""aws_security_group_attachment against moto: the Stream Managers' database group on an RDS
instance and on an EC2 instance, the instance's other groups kept, one describe on a no-op."""


def rds_groups(aws, name):
    db = aws.rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]
    return sorted(g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"])


def test_rds_instance_keeps_its_other_groups(run_module, aws, network):
    ec2 = aws.ec2
    ours = ec2.create_security_group(GroupName="sm-database", Description="db", VpcId=network["vpc_id"])["GroupId"]
    aws.rds.create_db_subnet_group(DBSubnetGroupName="db", DBSubnetGroupDescription="db",
                                   SubnetIds=network["subnet_ids"])
    aws.rds.create_db_instance(DBInstanceIdentifier="red5-cluster-db", DBInstanceClass="db.t3.micro", Engine="mysql",
                               MasterUsername="admin", MasterUserPassword="not-a-secret-1", AllocatedStorage=20,
                               DBSubnetGroupName="db", VpcSecurityGroupIds=[network["security_group_id"]])
    args = dict(db_instance_identifier="red5-cluster-db", security_group_ids=[ours])

    planned = run_module("aws_security_group_attachment", args, check_mode=True, diff=True)
    assert planned["changed"] is True and planned["changes"] == ["RDS instance red5-cluster-db security groups: +" + ours]
    assert rds_groups(aws, "red5-cluster-db") == [network["security_group_id"]]

    done = run_module("aws_security_group_attachment", args)
    assert done["changed"] is True
    assert rds_groups(aws, "red5-cluster-db") == sorted([network["security_group_id"], ours])

    again = run_module("aws_security_group_attachment", args)
    assert again["changed"] is False and again["api_calls"] == {"rds.DescribeDBInstances": 1}

    detached = run_module("aws_security_group_attachment", dict(args, state="absent"))
    assert detached["changed"] is True and rds_groups(aws, "red5-cluster-db") == [network["security_group_id"]]


def test_ec2_instance_and_refusals(run_module, aws, network, instance_id):
    ours = aws.ec2.create_security_group(GroupName="sm-database", Description="db", VpcId=network["vpc_id"])["GroupId"]
    done = run_module("aws_security_group_attachment", dict(instance_id=instance_id, security_group_ids=[ours]))
    assert done["changed"] is True
    groups = aws.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["SecurityGroups"]
    assert ours in [g["GroupId"] for g in groups] and len(groups) == 2

    bad = run_module("aws_security_group_attachment", dict(instance_id="i-x", security_group_ids=["nope"]))
    assert bad.get("failed") is True and "not a security group id" in bad["msg"] and "not an instance id" in bad["msg"]
    missing = run_module("aws_security_group_attachment", dict(db_instance_identifier="nothere", security_group_ids=[ours]))
    assert missing.get("failed") is True and "does not exist" in missing["msg"]
