"""aws_network against moto: check -> create -> unchanged -> update -> check update -> delete."""
import copy

import pytest

DEPLOYMENT = "net-test"


@pytest.fixture
def args():
    return dict(
        name="antmedia",
        deployment=DEPLOYMENT,
        cidr_block="10.20.0.0/16",
        subnets=[
            dict(name="antmedia-a", cidr="10.20.1.0/24", availability_zone="us-east-1a", public=True),
            dict(name="antmedia-b", cidr="10.20.2.0/24", availability_zone="us-east-1b", public=True),
            # no zone: placed at creation, third subnet -> the region's third zone by name
            dict(name="antmedia-c", cidr="10.20.3.0/24", public=True),
        ],
        security_groups=[
            dict(name="antmedia-balancer", description="balancer", rules=[
                dict(ports="80", cidr=["0.0.0.0/0"]), dict(ports="443", cidr=["0.0.0.0/0"])]),
            dict(name="antmedia-nodes", description="nodes", rules=[
                dict(ports="5080", groups=["antmedia-balancer"]),
                dict(ports="5000", self=True),
                dict(protocol="udp", ports="50000-60000", cidr=["0.0.0.0/0"])]),
            dict(name="antmedia-mongodb", description="mongodb", rules=[
                dict(ports="27017", groups=["antmedia-nodes"])]),
        ],
    )


def vpcs(aws):
    return aws.ec2.describe_vpcs(Filters=[{"Name": "tag:streamfleet:deployment", "Values": [DEPLOYMENT]}])["Vpcs"]


def group_rules(aws, group_id):
    return aws.ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]["IpPermissions"]


def test_lifecycle(run_module, aws, args):
    result = run_module("aws_network", args, check_mode=True, diff=True)
    assert result["changed"] is True
    assert "create VPC antmedia (10.20.0.0/16)" in result["changes"]
    assert any("27017" in line for line in result["changes"])
    assert "create subnet antmedia-c (10.20.3.0/24) in us-east-1c" in result["changes"]
    assert vpcs(aws) == []
    account = aws.sts.get_caller_identity()["Account"]
    # no VPC yet: the account is the caller's
    assert (result["region"], result["partition"], result["account_id"]) == ("us-east-1", "aws", account)
    assert result["api_calls"]["sts.GetCallerIdentity"] == 1

    result = run_module("aws_network", args)
    assert result["changed"] is True, result
    assert len(result["subnet_ids"]) == 3 and result["public_subnet_ids"] == result["subnet_ids"]
    assert result["subnets"]["antmedia-c"]["availability_zone"] == "us-east-1c"
    # the deployment's own VPC: its owner is the account, no sts call; one zone lookup placed antmedia-c
    assert result["account_id"] == account and "sts.GetCallerIdentity" not in result["api_calls"]
    assert result["api_calls"]["ec2.DescribeAvailabilityZones"] >= 1
    vpc_id = result["vpc_id"]
    groups = result["security_groups"]
    mongo_rules = group_rules(aws, groups["antmedia-mongodb"])
    assert mongo_rules[0]["FromPort"] == 27017
    assert mongo_rules[0]["UserIdGroupPairs"][0]["GroupId"] == groups["antmedia-nodes"]
    assert mongo_rules[0]["IpRanges"] == []
    # one authorize per group for all of its rules (AWS applies a call's list as a whole)
    assert result["api_calls"]["ec2.AuthorizeSecurityGroupIngress"] == 3, result["api_calls"]
    assert sorted(r["FromPort"] for r in group_rules(aws, groups["antmedia-nodes"])) == [5000, 5080, 50000]
    gateways = aws.ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])["InternetGateways"]
    assert len(gateways) == 1
    subnets = aws.ec2.describe_subnets(SubnetIds=result["subnet_ids"])["Subnets"]
    assert {s["AvailabilityZone"] for s in subnets} == {"us-east-1a", "us-east-1b", "us-east-1c"}
    assert all(s["MapPublicIpOnLaunch"] for s in subnets)

    again = run_module("aws_network", args)
    assert again["changed"] is False, again["changes"]
    assert again["vpc_id"] == vpc_id and again["security_groups"] == groups
    assert all(op.startswith("ec2.Describe") for op in again["api_calls"]), again["api_calls"]
    # a no-op makes no zone lookup and no sts call (issue #20), and still says where it is
    assert "ec2.DescribeAvailabilityZones" not in again["api_calls"], again["api_calls"]
    assert (again["region"], again["partition"], again["account_id"]) == ("us-east-1", "aws", account)

    # update: two more ports on the balancer, drop the UDP range and the self rule from the nodes
    changed = copy.deepcopy(args)
    changed["security_groups"][0]["rules"].append(dict(ports="5443", cidr=["0.0.0.0/0"]))
    changed["security_groups"][0]["rules"].append(dict(ports="8443", cidr=["10.0.0.0/8"]))
    del changed["security_groups"][1]["rules"][1:]
    planned = run_module("aws_network", changed, check_mode=True)
    assert planned["changed"] is True
    assert sorted(planned["changes"]) == sorted([
        "allow tcp/5443 from 0.0.0.0/0 into antmedia-balancer",
        "allow tcp/8443 from 10.0.0.0/8 into antmedia-balancer",
        "revoke tcp/5000 from antmedia-nodes from antmedia-nodes",
        "revoke udp/50000-60000 from 0.0.0.0/0 from antmedia-nodes",
    ]), planned["changes"]
    assert len(group_rules(aws, groups["antmedia-balancer"])) == 2
    updated = run_module("aws_network", changed)
    assert updated["changed"] is True
    assert updated["api_calls"]["ec2.AuthorizeSecurityGroupIngress"] == 1, updated["api_calls"]
    assert updated["api_calls"]["ec2.RevokeSecurityGroupIngress"] == 1, updated["api_calls"]
    ports = sorted(p["FromPort"] for p in group_rules(aws, groups["antmedia-balancer"]))
    assert ports == [80, 443, 5443, 8443]
    assert [r["FromPort"] for r in group_rules(aws, groups["antmedia-nodes"])] == [5080]
    assert run_module("aws_network", changed)["changed"] is False

    gone = run_module("aws_network", dict(name="antmedia", deployment=DEPLOYMENT, state="absent"))
    assert gone["changed"] is True, gone
    assert vpcs(aws) == []
    assert aws.tagged(DEPLOYMENT) == []
    assert run_module("aws_network", dict(name="antmedia", deployment=DEPLOYMENT, state="absent"))["changed"] is False


def test_existing_vpc_is_used_and_kept(run_module, aws, network):
    args = dict(name="wcs", deployment=DEPLOYMENT, vpc_id=network["vpc_id"],
                subnets=[dict(name="wcs-c", cidr="10.42.3.0/24")],
                security_groups=[dict(name="wcs", rules=[dict(ports="8081", cidr=["10.42.0.0/16"])])])
    result = run_module("aws_network", args)
    assert result["changed"] is True and result["vpc_id"] == network["vpc_id"]
    # a VPC given by id may be another account's (shared): the account is the caller's
    assert result["api_calls"]["sts.GetCallerIdentity"] == 1
    assert result["account_id"] == aws.sts.get_caller_identity()["Account"]
    assert result["subnets"]["wcs-c"]["availability_zone"] == "us-east-1a"
    run_module("aws_network", dict(args, state="absent"))
    assert aws.ec2.describe_vpcs(VpcIds=[network["vpc_id"]])["Vpcs"]
    # the fixture's own subnets and group are not the deployment's: untouched
    assert len(aws.ec2.describe_subnets(SubnetIds=network["subnet_ids"])["Subnets"]) == 2


def test_one_port_from_several_sources_in_one_call(run_module, aws, network):
    # several permissions for the same port in one AuthorizeSecurityGroupIngress (AWS merges
    # them into one rule with several sources), then each source revoked on its own
    rules = [dict(ports="443", cidr=["10.42.0.0/16", "192.168.0.0/24"]), dict(ports="443", groups=["edge"]),
             dict(ports="443", self=True)]
    args = dict(name="tls", deployment=DEPLOYMENT, vpc_id=network["vpc_id"],
                security_groups=[dict(name="edge", rules=[]), dict(name="tls", rules=rules)])
    result = run_module("aws_network", args)
    assert result["changed"] is True and result["api_calls"]["ec2.AuthorizeSecurityGroupIngress"] == 1
    tls = result["security_groups"]["tls"]
    perms = [p for p in group_rules(aws, tls) if p["FromPort"] == 443]
    assert sorted(r["CidrIp"] for p in perms for r in p["IpRanges"]) == ["10.42.0.0/16", "192.168.0.0/24"]
    assert sorted(g["GroupId"] for p in perms for g in p["UserIdGroupPairs"]) == sorted(
        [tls, result["security_groups"]["edge"]])
    assert run_module("aws_network", args)["changed"] is False
    fewer = copy.deepcopy(args)
    fewer["security_groups"][1]["rules"] = [dict(ports="443", cidr=["10.42.0.0/16"])]
    result = run_module("aws_network", fewer)
    assert result["changed"] is True and result["api_calls"]["ec2.RevokeSecurityGroupIngress"] == 1
    perms = [p for p in group_rules(aws, tls) if p["FromPort"] == 443]
    assert [r["CidrIp"] for p in perms for r in p["IpRanges"]] == ["10.42.0.0/16"]
    assert [g for p in perms for g in p["UserIdGroupPairs"]] == []
    assert run_module("aws_network", fewer)["changed"] is False
    run_module("aws_network", dict(fewer, state="absent"))


@pytest.mark.parametrize("mutate, message", [
    (lambda a: a["security_groups"][2]["rules"].append(dict(ports="27017", cidr=["0.0.0.0/0"])),
     "opens port 27017 to 0.0.0.0/0"),
    (lambda a: a["subnets"][0].update(cidr="10.20.1.0/33"), "not a valid CIDR"),
    (lambda a: a["subnets"][0].update(cidr="10.99.1.0/24"), "not inside the VPC block"),
    (lambda a: a["security_groups"][1]["rules"].append(dict(ports="70000", cidr=["10.0.0.0/8"])),
     "outside 0-65535"),
    (lambda a: a["security_groups"][1]["rules"].append(dict(ports="80", groups=["nope"])),
     "neither an sg- id nor a group"),
])
def test_bad_input_fails_before_any_change(run_module, aws, args, mutate, message):
    mutate(args)
    result = run_module("aws_network", args)
    assert result.get("failed") is True
    assert message in result["msg"]
    assert list(result["api_calls"]) == []
    assert vpcs(aws) == []


def test_world_open_restricted_port_allowed_when_explicit(run_module, args):
    args["security_groups"][2]["rules"].append(dict(ports="27017", cidr=["0.0.0.0/0"], allow_world=True))
    assert run_module("aws_network", args, check_mode=True)["changed"] is True


def test_playbook_check_then_apply(playbook, aws, args):
    task = {"name": "network", "streamfleet.cluster.aws_network": args}
    planned = playbook.run([task], check=True, diff=True)[0]
    assert planned["changed"] is True and vpcs(aws) == []
    assert playbook.run([task])[0]["changed"] is True
    assert playbook.run([task])[0]["changed"] is False
