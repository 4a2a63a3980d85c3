"""aws_instance against moto: check -> launch -> unchanged -> drift warning -> replace -> terminate."""
import pytest

DEPLOYMENT = "instance-test"


@pytest.fixture
def args(base_image_id, network):
    return dict(name="mongodb", deployment=DEPLOYMENT, image_id=base_image_id, instance_type="t3.medium",
                subnet_id=network["subnet_ids"][0], security_group_ids=[network["security_group_id"]],
                user_data="#!/bin/sh\necho secret-value\n")


def live(aws):
    reservations = aws.ec2.describe_instances(Filters=[
        {"Name": "tag:streamfleet:deployment", "Values": [DEPLOYMENT]},
        {"Name": "instance-state-name", "Values": ["pending", "running"]}])["Reservations"]
    return [i for r in reservations for i in r["Instances"]]


def test_lifecycle(run_module, aws, args):
    planned = run_module("aws_instance", args, check_mode=True, diff=True)
    assert planned["changed"] is True and planned["changes"] == ["launch mongodb"]
    assert live(aws) == []

    created = run_module("aws_instance", args)
    assert created["changed"] is True, created
    instance = created["instance"]
    assert instance["state"] == "running" and instance["private_ip_address"].startswith("10.42.1.")
    assert "secret-value" not in str(created)
    described = live(aws)[0]
    assert described["MetadataOptions"]["HttpTokens"] == "required"

    again = run_module("aws_instance", args)
    assert again["changed"] is False and again["instance"]["instance_id"] == instance["instance_id"]
    assert again["api_calls"] == {"ec2.DescribeInstances": 1}

    changed = dict(args, user_data="#!/bin/sh\necho other\n")
    kept = run_module("aws_instance", changed)
    assert kept["changed"] is False and "user_data differs" in str(kept["warnings"])
    replaced = run_module("aws_instance", dict(changed, replace=True))
    assert replaced["changed"] is True
    assert replaced["instance"]["instance_id"] != instance["instance_id"]
    assert len(live(aws)) == 1

    absent = dict(name="mongodb", deployment=DEPLOYMENT, state="absent")
    assert run_module("aws_instance", absent, check_mode=True)["changed"] is True
    assert len(live(aws)) == 1
    assert run_module("aws_instance", absent)["changed"] is True
    assert live(aws) == []
    assert run_module("aws_instance", absent)["changed"] is False


def test_unknown_image_fails_before_launch(run_module, aws, args):
    result = run_module("aws_instance", dict(args, image_id="ami-00000000deadbeef0"))
    assert result["failed"] is True and "does not exist" in result["msg"]
    assert "ec2.RunInstances" not in result["api_calls"]
    assert live(aws) == []
