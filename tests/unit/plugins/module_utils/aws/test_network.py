"""Unit tests for module_utils/aws/network.py: placement of subnets given without a zone, and
the region, partition and account the network result names (issue #20: the topology roles
dropped their aws_az_info and aws_caller_info tasks for these)."""
import boto3
import pytest

import fake_module
from fake_module import Exited

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws import network

ZONES = ["us-east-1c", "us-east-1a", "us-east-1b"]  # the API's order is not the placement's
OWNER = "111111111111"
CALLER = "222222222222"


class FakeEC2(object):
    """The EC2 calls aws_network makes, answered from lists; every call is recorded."""

    def __init__(self, vpcs=(), subnets=(), zones=tuple(ZONES)):
        self.vpcs = list(vpcs)
        self.subnets = list(subnets)
        self.zones = list(zones)
        self.calls = []

    def _record(self, name, kwargs):
        kwargs = dict(kwargs)
        kwargs.pop("aws_retry", None)
        self.calls.append((name, kwargs))

    def called(self, name):
        return [kwargs for call, kwargs in self.calls if call == name]

    def describe_vpcs(self, **kwargs):
        self._record("describe_vpcs", kwargs)
        return {"Vpcs": self.vpcs}

    def describe_subnets(self, **kwargs):
        self._record("describe_subnets", kwargs)
        return {"Subnets": self.subnets}

    def describe_internet_gateways(self, **kwargs):
        self._record("describe_internet_gateways", kwargs)
        return {"InternetGateways": []}

    def describe_route_tables(self, **kwargs):
        self._record("describe_route_tables", kwargs)
        return {"RouteTables": []}

    def describe_security_groups(self, **kwargs):
        self._record("describe_security_groups", kwargs)
        return {"SecurityGroups": []}

    def describe_availability_zones(self, **kwargs):
        self._record("describe_availability_zones", kwargs)
        return {"AvailabilityZones": [{"ZoneName": z, "ZoneId": "use1-az%d" % i, "State": "available",
                                       "ZoneType": "availability-zone"} for i, z in enumerate(self.zones)]}

    def create_subnet(self, **kwargs):
        self._record("create_subnet", kwargs)
        subnet = {"SubnetId": "subnet-%d" % len(self.subnets), "CidrBlock": kwargs["CidrBlock"],
                  "AvailabilityZone": kwargs["AvailabilityZone"]}
        self.subnets.append(subnet)
        return {"Subnet": subnet}

    def create_once(self, method, reread, **kwargs):
        return getattr(self, method)(**kwargs)


class FakeSTS(object):
    def __init__(self):
        self.calls = 0

    def get_caller_identity(self, **kwargs):
        self.calls += 1
        return {"Account": CALLER, "Arn": "arn:aws:iam::%s:user/ops" % CALLER, "UserId": "AIDA"}


class FakeModule(fake_module.FakeModule):
    def __init__(self, ec2, check_mode=False, region="us-east-1", **params):
        super(FakeModule, self).__init__(dict(dict(
            name="net", deployment="d1", state="present", tags={}, vpc_id=None, cidr_block="10.20.0.0/16",
            subnets=[], security_groups=[], restricted_ports=[27017]), **params), check_mode=check_mode, diff_mode=False)
        self.region = region
        self.session = boto3.session.Session()  # endpoint data only: no call is made
        self.clients = {"ec2": ec2, "sts": FakeSTS()}

    def client(self, service):
        return self.clients[service]


def run(module):
    with pytest.raises(Exited):
        network.NetworkConverger(module).run()
    assert module.failed is None, module.failed
    return module.result


def own_vpc():
    return {"VpcId": "vpc-1", "CidrBlock": "10.20.0.0/16", "OwnerId": OWNER}


def subnet(cidr, zone):
    return {"SubnetId": "subnet-" + cidr.split(".")[2], "CidrBlock": cidr, "AvailabilityZone": zone,
            "MapPublicIpOnLaunch": False}


def test_placement_zone_is_round_robin_over_the_sorted_zones():
    zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert [network.placement_zone(i, zones) for i in range(5)] == [
        "us-east-1a", "us-east-1b", "us-east-1c", "us-east-1a", "us-east-1b"]


@pytest.mark.parametrize("region, partition", [
    ("us-east-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")])
def test_partition_from_endpoint_data(region, partition):
    assert network.partition_of(boto3.session.Session(), region) == partition


def test_partition_without_get_partition_for_region():
    class OldSession(object):  # boto3 before get_partition_for_region
        session = boto3.session.Session()

        def get_available_partitions(self):
            return self.session.get_available_partitions()

        def get_available_regions(self, service, partition_name):
            return self.session.get_available_regions(service, partition_name=partition_name)
    assert network.partition_of(OldSession(), "cn-northwest-1") == "aws-cn"


def test_zoneless_subnets_are_placed_at_creation_in_the_declared_order():
    ec2 = FakeEC2(vpcs=[own_vpc()])
    module = FakeModule(ec2, subnets=[
        dict(name="a", cidr="10.20.1.0/24", availability_zone="us-east-1c", public=False),
        dict(name="b", cidr="10.20.2.0/24", availability_zone=None, public=False),
        dict(name="c", cidr="10.20.3.0/24", availability_zone=None, public=False),
        dict(name="d", cidr="10.20.4.0/24", availability_zone=None, public=False)])
    result = run(module)
    created = [(c["CidrBlock"], c["AvailabilityZone"]) for c in ec2.called("create_subnet")]
    # subnet i -> sorted zones [a, b, c][i % 3]; a declared zone is kept as it is
    assert created == [("10.20.1.0/24", "us-east-1c"), ("10.20.2.0/24", "us-east-1b"),
                       ("10.20.3.0/24", "us-east-1c"), ("10.20.4.0/24", "us-east-1a")]
    assert "create subnet b (10.20.2.0/24) in us-east-1b" in result["changes"]
    assert result["subnets"]["d"]["availability_zone"] == "us-east-1a"
    placement = [c for c in ec2.called("describe_availability_zones") if "Filters" in c]
    assert placement == [{"Filters": [{"Name": "state", "Values": ["available"]},
                                      {"Name": "zone-type", "Values": ["availability-zone"]}]}]


def test_existing_subnet_without_declared_zone_is_not_moved_and_no_call_is_made():
    ec2 = FakeEC2(vpcs=[own_vpc()], subnets=[subnet("10.20.1.0/24", "us-east-1f")])
    module = FakeModule(ec2, subnets=[dict(name="a", cidr="10.20.1.0/24", availability_zone=None, public=False)])
    result = run(module)
    assert result["changed"] is False, result["changes"]
    assert result["subnets"]["a"]["availability_zone"] == "us-east-1f"
    assert ec2.called("describe_availability_zones") == [] and ec2.called("create_subnet") == []
    # the deployment's own VPC names the account: no sts call
    assert module.clients["sts"].calls == 0
    assert (result["region"], result["partition"], result["account_id"]) == ("us-east-1", "aws", OWNER)


def test_vpc_given_by_id_asks_the_caller_identity():
    ec2 = FakeEC2(vpcs=[own_vpc()], subnets=[subnet("10.20.1.0/24", "us-east-1a")])
    module = FakeModule(ec2, vpc_id="vpc-1", cidr_block=None,
                        subnets=[dict(name="a", cidr="10.20.1.0/24", availability_zone=None, public=False)])
    result = run(module)
    # the VPC may be shared from its owner's account (RAM): the account is the caller's
    assert result["account_id"] == CALLER and module.clients["sts"].calls == 1
    assert ec2.called("describe_vpcs") == [{"VpcIds": ["vpc-1"]}]


def test_check_mode_before_the_vpc_exists_plans_the_placement():
    ec2 = FakeEC2()
    module = FakeModule(ec2, check_mode=True, region="cn-north-1", subnets=[
        dict(name="a", cidr="10.20.1.0/24", availability_zone=None, public=True),
        dict(name="b", cidr="10.20.2.0/24", availability_zone=None, public=True)])
    ec2.zones = ["cn-north-1b", "cn-north-1a"]
    result = run(module)
    assert result["changes"][:3] == ["create VPC net (10.20.0.0/16)",
                                     "create subnet a (10.20.1.0/24) in cn-north-1a",
                                     "create subnet b (10.20.2.0/24) in cn-north-1b"]
    assert result["vpc_id"] is None and ec2.called("create_subnet") == []
    assert len(ec2.called("describe_availability_zones")) == 1
    assert (result["region"], result["partition"], result["account_id"]) == ("cn-north-1", "aws-cn", CALLER)


def test_a_region_without_an_available_zone_fails_before_the_subnet_is_created():
    ec2 = FakeEC2(vpcs=[own_vpc()], zones=[])
    module = FakeModule(ec2, subnets=[dict(name="a", cidr="10.20.1.0/24", availability_zone=None, public=False)])
    with pytest.raises(Exited):
        network.NetworkConverger(module).run()
    assert "names no availability_zone" in module.failed["msg"]
    assert ec2.called("create_subnet") == []


class FakeEC2WithGroups(FakeEC2):
    """Security groups that keep the rules authorized into them. ``applied`` says whether a
    throttled authorize had been carried out by AWS before it failed."""

    def __init__(self, groups, applied):
        super(FakeEC2WithGroups, self).__init__(vpcs=[own_vpc()])
        self.groups = groups
        self.applied = applied
        self.rereads = []

    def describe_security_groups(self, **kwargs):
        self._record("describe_security_groups", kwargs)
        wanted = kwargs.get("GroupIds")
        return {"SecurityGroups": [g for g in self.groups if not wanted or g["GroupId"] in wanted]}

    def authorize_security_group_ingress(self, **kwargs):
        self._record("authorize_security_group_ingress", kwargs)
        group = next(g for g in self.groups if g["GroupId"] == kwargs["GroupId"])
        group["IpPermissions"].extend(kwargs["IpPermissions"])

    def create_once(self, method, reread, **kwargs):
        # the first send is throttled: AWS may or may not have carried it out; reread decides
        if self.applied:
            getattr(self, method)(**kwargs)
        found = reread()
        self.rereads.append(found)
        return found if found is not None else getattr(self, method)(**kwargs)


@pytest.mark.parametrize("applied", [True, False])
def test_rules_of_a_group_are_authorized_in_one_call_never_twice(applied):
    group = {"GroupId": "sg-1", "GroupName": "web", "VpcId": "vpc-1", "IpPermissions": [],
             "Tags": [{"Key": "streamfleet:deployment", "Value": "d1"}]}
    ec2 = FakeEC2WithGroups([group], applied)
    module = FakeModule(ec2, security_groups=[dict(name="web", description="web", purge_rules=True, rules=[
        dict(ports="80", cidr=["0.0.0.0/0"]), dict(ports="443", cidr=["0.0.0.0/0"]),
        dict(protocol="udp", ports="5000-5010", cidr=["10.0.0.0/8"])])])
    result = run(module)
    sent = ec2.called("authorize_security_group_ingress")
    # one call for the three rules, carried out once: the throttled one is sent again only when
    # the reread finds the rules missing (the fake records a send only when it is applied)
    assert [len(call["IpPermissions"]) for call in sent] == [3]
    assert ec2.rereads == ([{}] if applied else [None])
    assert len(group["IpPermissions"]) == 3
    assert sum(1 for line in result["changes"] if line.startswith("allow ")) == 3
