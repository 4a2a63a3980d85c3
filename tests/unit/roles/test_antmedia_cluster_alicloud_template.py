"""The antmedia_cluster_alicloud ROS template, rendered for the seed's values, against our checks.

Rendering goes through Ansible itself (include_vars of the role defaults and derived vars, then
the template lookup), so filters and variable precedence are exactly what the role uses. The
stack parameters come from the same vars file the role passes to ROS, and user data is
evaluated with the ROS stand-in's functions (Ref, Fn::GetAtt, Fn::Join, Fn::Replace).
"""
import ipaddress
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from lib.pem import make_pem_pair
from per_host_playbook import CASE_VARS, run_cases
from standins.ros_standin import evaluate

REPO = Path(__file__).resolve().parents[3]
ROLE = REPO / "roles" / "antmedia_cluster_alicloud"
TEMPLATE = ROLE / "templates" / "antmedia_cluster.ros.yml.j2"
SEED_VARS = {
    "antmedia_cluster_alicloud_image_id": "m-antmedia-marketplace",
    "antmedia_cluster_alicloud_certificate_id": "1234567-cn-hangzhou",
    "antmedia_cluster_alicloud_admin_cidrs": ["203.0.113.0/24"],
    "antmedia_cluster_alicloud_key_name": "ops-key",
    # The MongoDB boot path (the default) runs on an image baked with the mongodb role: its family.
    "antmedia_cluster_alicloud_mongodb_image_family": "streamfleet-mongodb",
}
# The path the seed described (no MongoDB auth, the URL given to the nodes): the boot path is the
# default now, so these tests turn it off explicitly.
BOOT_OFF = {"antmedia_cluster_alicloud_mongodb_boot": False}
HOSTILE_PASSWORD = "@:/?#[]%&+ "
# The MongoDB boot path's inputs (user and both passwords).
BOOT_VARS = {"antmedia_cluster_alicloud_mongodb_user": "antmedia",
             "antmedia_cluster_alicloud_mongodb_password": HOSTILE_PASSWORD,
             "antmedia_cluster_alicloud_mongodb_admin_password": "admin-" + HOSTILE_PASSWORD}

# Required properties: Alibaba's ROS reference, plus what this topology must always set.
REQUIRED = {
    "ALIYUN::ECS::VPC": {"CidrBlock"},
    "ALIYUN::ECS::VSwitch": {"VpcId", "ZoneId", "CidrBlock"},
    "ALIYUN::ECS::SecurityGroup": {"VpcId"},
    "ALIYUN::ECS::SecurityGroupIngress": {"SecurityGroupId", "IpProtocol", "PortRange"},
    "ALIYUN::ECS::Instance": {"ImageId", "InstanceType", "VpcId", "VSwitchId", "SecurityGroupId"},
    "ALIYUN::ECS::LaunchTemplate": {"LaunchTemplateName", "ImageId", "InstanceType", "SecurityGroupId", "UserData"},
    "ALIYUN::ESS::ScalingGroup": {"MinSize", "MaxSize", "VSwitchIds", "LaunchTemplateId", "ServerGroups"},
    "ALIYUN::ESS::ScalingGroupEnable": {"ScalingGroupId"},
    "ALIYUN::ESS::ScalingRule": {"ScalingGroupId", "AdjustmentType", "AdjustmentValue"},
    "ALIYUN::ESS::AlarmTask": {"ScalingGroupId", "AlarmAction", "Threshold", "MetricName"},
    "ALIYUN::ALB::LoadBalancer": {"LoadBalancerEdition", "VpcId", "LoadBalancerBillingConfig", "AddressType",
                                  "ZoneMappings"},
    "ALIYUN::ALB::ServerGroup": {"ServerGroupName", "HealthCheckConfig", "VpcId"},
    "ALIYUN::ALB::Listener": {"ListenerPort", "ListenerProtocol", "LoadBalancerId", "DefaultActions"},
    # The MongoDB boot path, on by default: the passwords' secret parameters and the roles that read them.
    "ALIYUN::OOS::SecretParameter": {"SecretParameterName", "Value"},
    "ALIYUN::RAM::Role": {"RoleName", "AssumeRolePolicyDocument"},
    # Scale-in with the drain Alibaba offers (on by default).
    "ALIYUN::ESS::LifecycleHook": {"ScalingGroupId", "LifecycleTransition", "DefaultResult", "HeartbeatTimeout"},
    # The MongoDB image found by family (no image id by default).
    "DATASOURCE::ECS::Images": {"ImageFamily", "RefreshOptions"},
}
# Fn::GetAtt attributes each resource type returns (ROS reference, "Return values").
ATTRIBUTES = {
    "ALIYUN::ECS::VPC": {"VpcId", "VRouterId", "RouteTableId"},
    "ALIYUN::ECS::VSwitch": {"VSwitchId"},
    "ALIYUN::ECS::SecurityGroup": {"SecurityGroupId"},
    "ALIYUN::ECS::Instance": {"InstanceId", "PrivateIp", "PublicIp", "ZoneId", "HostName"},
    "ALIYUN::ECS::LaunchTemplate": {"LaunchTemplateId", "LaunchTemplateName", "LatestVersionNumber",
                                    "DefaultVersionNumber"},
    "ALIYUN::ESS::ScalingGroup": {"ScalingGroupId", "ScalingGroupName"},
    "ALIYUN::ESS::ScalingRule": {"ScalingRuleId", "ScalingRuleAri"},
    "ALIYUN::ESS::AlarmTask": {"AlarmTaskId"},
    "ALIYUN::ALB::LoadBalancer": {"LoadBalancerId", "DNSName", "AddressType"},
    "ALIYUN::ALB::ServerGroup": {"ServerGroupId"},
    "ALIYUN::ALB::Listener": {"ListenerId"},
    "ALIYUN::OOS::SecretParameter": {"SecretParameterName"},
    "ALIYUN::RAM::Role": {"RoleName", "RoleId", "Arn"},
    "ALIYUN::ESS::LifecycleHook": {"LifecycleHookId"},
    "DATASOURCE::ECS::Images": {"ImageIds", "Images"},
}
PSEUDO = {"ALIYUN::StackId", "ALIYUN::StackName", "ALIYUN::Region", "ALIYUN::AccountId", "ALIYUN::NoValue"}


RENDER_TASKS = [
    {"name": "role defaults", "ansible.builtin.include_vars": {"file": str(ROLE / "defaults" / "main.yml")}},
    {"name": "role vars", "ansible.builtin.include_vars": {"file": str(ROLE / "vars" / "main.yml")}},
    # The seed's values and the case's overrides, over the defaults and derived vars (per_host_playbook).
    CASE_VARS,
    # The boot scripts as facts (the role's user_data entry point, as the Molecule scenario and the
    # benchmark's reference use it; the role itself renders them where the template needs them).
    {"name": "boot scripts", "ansible.builtin.include_role": {"name": "streamfleet.cluster.antmedia_cluster_alicloud",
                                                              "tasks_from": "user_data"}},
    {"name": "render", "ansible.builtin.set_fact": {
        "rendered": "{{ lookup('ansible.builtin.template', '%s') }}" % TEMPLATE,
        "parameters": "{{ antmedia_cluster_alicloud_stack_parameters }}"}},
]


def render_all(tmp_path, variants):
    """Every variant (name -> overrides of the seed's values) rendered in one ansible-playbook run:
    name -> (template, parameters), as the role renders them."""
    runs = run_cases(tmp_path, {name: dict(SEED_VARS, **overrides) for name, overrides in variants.items()},
                     RENDER_TASKS)
    rendered = {}
    for name, run in runs.items():
        assert not run.stats.get("failures"), run.last_output
        rendered[name] = (yaml.safe_load(run.facts["rendered"]), run.facts["parameters"])
    return rendered


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    """Every variant the tests below assert on, from one run (a module fixture: once per xdist
    worker). name -> (template, parameters); "pem" -> the uploaded certificate's files."""
    pem_dir = tmp_path_factory.mktemp("pem")
    cert, key, key_pem = make_pem_pair(pem_dir)
    rendered = render_all(tmp_path_factory.mktemp("render"), render_variants(cert, key))
    rendered["pem"] = (cert, key, key_pem)
    return rendered


@pytest.fixture(scope="module")
def seed_template(renders):
    return renders["seed"][0]


def walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def of_type(template, rtype):
    return {k: v for k, v in template["Resources"].items() if v["Type"] == rtype}


def getatt(name, attribute):
    return {"Fn::GetAtt": [name, attribute]}


def test_required_properties_present(seed_template):
    assert seed_template["ROSTemplateFormatVersion"] == "2015-09-01"
    types = {r["Type"] for r in seed_template["Resources"].values()}
    assert types == set(REQUIRED), "every issue resource type is used, and nothing else"
    for name, resource in seed_template["Resources"].items():
        missing = REQUIRED[resource["Type"]] - set(resource.get("Properties", {}))
        assert not missing, "%s lacks %s" % (name, missing)


def test_every_reference_resolves(seed_template):
    resources = seed_template["Resources"]
    parameters = seed_template["Parameters"]
    for node in walk({"r": resources, "o": seed_template["Outputs"]}):
        if "Ref" in node:
            assert node["Ref"] in resources or node["Ref"] in parameters or node["Ref"] in PSEUDO, node
        if "Fn::GetAtt" in node:
            target, attribute = node["Fn::GetAtt"]
            assert target in resources, node
            assert attribute in ATTRIBUTES[resources[target]["Type"]], node
    for name, resource in resources.items():
        depends = resource.get("DependsOn", [])
        for target in [depends] if isinstance(depends, str) else depends:
            assert target in resources, (name, target)
    for name, spec in parameters.items():
        assert spec["Type"] in ("String", "Number", "CommaDelimitedList", "Json", "Boolean"), name


def test_outputs(seed_template):
    outputs = seed_template["Outputs"]
    assert outputs["AlbDnsName"]["Value"] == getatt("Alb", "DNSName")
    assert outputs["OriginScalingGroupId"]["Value"] == getatt("OriginScalingGroup", "ScalingGroupId")
    assert outputs["EdgeScalingGroupId"]["Value"] == getatt("EdgeScalingGroup", "ScalingGroupId")
    assert outputs["MongoDbPrivateIp"]["Value"] == getatt("MongoDb", "PrivateIp")


def ingress_rules(template):
    return list(of_type(template, "ALIYUN::ECS::SecurityGroupIngress").values())


def test_no_mongodb_from_anywhere_and_no_open_ssh(seed_template):
    for rule in ingress_rules(seed_template):
        props = rule["Properties"]
        start, end = (int(p) for p in props["PortRange"].split("/"))
        if props["IpProtocol"] in ("tcp", "all") and start <= 27017 <= end:
            assert "SourceCidrIp" not in props
            assert props["SourceGroupId"] == getatt("ClusterSecurityGroup", "SecurityGroupId")
            assert props["SecurityGroupId"] == getatt("MongoDbSecurityGroup", "SecurityGroupId")
        if start <= 22 <= end:
            assert props["SourceCidrIp"] == {"Ref": "AdminCidr"}
            assert seed_template["Parameters"]["AdminCidr"]["Type"] == "String"
        if props.get("SourceCidrIp") == "0.0.0.0/0":
            assert (props["IpProtocol"], props["PortRange"]) == ("udp", "50000/60000"), props


def test_ports_and_sources(seed_template):
    rules = {(r["Properties"]["IpProtocol"], r["Properties"]["PortRange"],
              r["Properties"]["SecurityGroupId"]["Fn::GetAtt"][0]): r["Properties"] for r in ingress_rules(seed_template)}
    vpc = ipaddress.ip_network(seed_template["Resources"]["Vpc"]["Properties"]["CidrBlock"])
    for port in (80, 443, 5080, 5443):
        rule = rules[("tcp", "%d/%d" % (port, port), "ClusterSecurityGroup")]
        assert ipaddress.ip_network(rule["SourceCidrIp"]) == vpc
    internal = rules[("tcp", "5000/5000", "ClusterSecurityGroup")]
    assert internal["SourceGroupId"] == getatt("ClusterSecurityGroup", "SecurityGroupId") and "SourceCidrIp" not in internal
    assert rules[("udp", "50000/60000", "ClusterSecurityGroup")]["SourceCidrIp"] == "0.0.0.0/0"
    assert ("tcp", "27017/27017", "MongoDbSecurityGroup") in rules
    assert ("tcp", "27017/27017", "ClusterSecurityGroup") not in rules


def test_network_two_zones_inside_the_vpc(seed_template):
    resources = seed_template["Resources"]
    vpc = ipaddress.ip_network(resources["Vpc"]["Properties"]["CidrBlock"])
    vswitches = of_type(seed_template, "ALIYUN::ECS::VSwitch")
    assert len(vswitches) == 2
    assert len({v["Properties"]["ZoneId"] for v in vswitches.values()}) == 2
    for vsw in vswitches.values():
        assert ipaddress.ip_network(vsw["Properties"]["CidrBlock"]).subnet_of(vpc)
    mappings = resources["Alb"]["Properties"]["ZoneMappings"]
    assert len(mappings) == 2 and {m["ZoneId"] for m in mappings} == {v["Properties"]["ZoneId"] for v in vswitches.values()}


def test_listeners_route_publish_to_origin_and_play_to_edge(seed_template):
    routes = {}
    for listener in of_type(seed_template, "ALIYUN::ALB::Listener").values():
        props = listener["Properties"]
        [action] = props["DefaultActions"]
        assert action["Type"] == "ForwardGroup"
        [target] = action["ForwardGroupConfig"]["ServerGroupTuples"]
        routes[(props["ListenerPort"], props["ListenerProtocol"])] = target["ServerGroupId"]["Fn::GetAtt"][0]
        if props["ListenerProtocol"] == "HTTPS":
            assert props["Certificates"] == [{"CertificateId": {"Ref": "CertificateId"}}]
        else:
            assert "Certificates" not in props
        assert props["LoadBalancerId"] == getatt("Alb", "LoadBalancerId")
    assert routes == {(80, "HTTP"): "OriginServerGroup", (443, "HTTPS"): "OriginServerGroup",
                      (5080, "HTTP"): "EdgeServerGroup", (5443, "HTTPS"): "EdgeServerGroup"}


def test_scaling_groups(seed_template):
    resources = seed_template["Resources"]
    expected = {"Origin": (1, 10), "Edge": (2, 10)}
    for group, (low, high) in expected.items():
        props = resources[group + "ScalingGroup"]["Properties"]
        assert (props["MinSize"], props["MaxSize"]) == (low, high)
        # No expected capacity unless set for the run: a stack update must not reset the alarms' choice.
        assert "DesiredCapacity" not in props
        assert props["DefaultCooldown"] == 300
        assert props["LaunchTemplateId"] == getatt(group + "LaunchTemplate", "LaunchTemplateId")
        assert props["ServerGroups"] == [{"ServerGroupId": getatt(group + "ServerGroup", "ServerGroupId"),
                                          "Type": "ALB", "Port": 5080, "Weight": 100}]
        assert len(props["VSwitchIds"]) == 2
        assert resources[group + "ScalingGroupEnable"]["Properties"]["ScalingGroupId"] == \
            getatt(group + "ScalingGroup", "ScalingGroupId")
        alarm = resources[group + "CpuHighAlarm"]["Properties"]
        assert (alarm["MetricName"], alarm["ComparisonOperator"], alarm["Threshold"]) == ("CpuUtilization", ">=", 60)
        assert alarm["AlarmAction"] == [getatt(group + "ScaleOutRule", "ScalingRuleAri")]
        assert group + "ScaleInRule" not in resources, "scale-in drops WebRTC sessions: off by default"
        health = resources[group + "ServerGroup"]["Properties"]["HealthCheckConfig"]
        assert (health["HealthCheckConnectPort"], health["HealthCheckPath"]) == (5080, "/rest/v2/liveness")
    assert resources["OriginServerGroup"]["Properties"]["StickySessionConfig"]["StickySessionEnabled"] is True


def user_data(template, parameters, address="192.168.1.7", group="Origin"):
    """The boot script a node of the group gets: ROS's functions applied to its UserData."""
    node = template["Resources"][group + "LaunchTemplate"]["Properties"]["UserData"]
    attributes = {("MongoDb", "PrivateIp"): address}
    return evaluate(node, lambda name: parameters[name], lambda logical, attribute: attributes[(logical, attribute)])


def test_user_data_is_the_antmedia_role_boot_script_for_alibaba(renders):
    template, parameters = renders["boot_off"]
    for group in ("Origin", "Edge"):
        outer = template["Resources"][group + "LaunchTemplate"]["Properties"]["UserData"]["Fn::Replace"]
        assert outer[0] == {"mongodb-host.invalid": getatt("MongoDb", "PrivateIp")}
        inner = outer[1]["Fn::Replace"]
        assert inner[0] == {"streamfleet mongodb url": {"Ref": "MongoDbUrl"}}
        body = inner[1]
        assert body.startswith("#!/usr/bin/env bash\n# Rendered by the streamfleet.cluster.antmedia role")
        assert "METADATA_SOURCE=${METADATA_SOURCE:-alicloud}" in body
        assert "boot antmedia-cluster-mode" in body and "change_server_mode.sh" not in body.replace(
            "vendor's change_server_mode.sh", "")
        assert body.count("CLUSTER_URL='streamfleet mongodb url'\n") == 1
        script = user_data(template, parameters, group=group)
        assert script.count("\nCLUSTER_URL='mongodb://192.168.1.7:27017'\n") == 1
        assert "streamfleet mongodb url" not in script and "mongodb-host.invalid" not in script
    assert template["Parameters"]["MongoDbUrl"]["NoEcho"] is True
    assert not {"MongoDbUser", "MongoDbPassword"} & set(template["Parameters"])
    assert set(parameters) == set(template["Parameters"])
    assert template["Resources"]["MongoDb"]["Properties"]["AllocatePublicIP"] is False


def test_user_data_url_with_credentials_comes_from_the_builder(renders):
    template, parameters = renders["url_with_credentials"]
    assert "Pw-1.x~y" not in str(template), "the password stays in the NoEcho parameter"
    assert parameters["MongoDbUrl"] == "mongodb://antmedia:Pw-1.x~y@mongodb-host.invalid:27018"
    script = user_data(template, parameters)
    assert "\nCLUSTER_URL='mongodb://antmedia:Pw-1.x~y@192.168.1.7:27018'\n" in script


def cluster_url_of(tmp_path, script):
    """CLUSTER_URL as bash sees it: the script up to that line, then print it (nothing else runs)."""
    head = script[:script.index("\nCLUSTER_URL=")]
    line = script[script.index("\nCLUSTER_URL="):].split("\n")[1]
    path = tmp_path / "prefix.sh"
    path.write_text("#!/bin/bash\n%s\nprintf '%%s' \"$CLUSTER_URL\"\n" % line)
    proc = subprocess.run(["bash", str(path)], capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr
    assert head
    return proc.stdout


@pytest.mark.parametrize("user", ["antmedia", "ant media@ops"])
def test_hostile_password_reaches_the_node_percent_encoded(renders, tmp_path, user):
    template, parameters = renders[HOSTILE_USERS[user]]
    assert HOSTILE_PASSWORD not in str(template)
    for name, value in parameters.items():
        if HOSTILE_PASSWORD in value or "%40%3A%2F" in value:
            assert template["Parameters"][name].get("NoEcho") is True, name
    script = user_data(template, parameters, address="10.0.1.23")
    encoded_user = {"antmedia": "antmedia", "ant media@ops": "ant%20media%40ops"}[user]
    url = "mongodb://%s:%%40%%3A%%2F%%3F%%23%%5B%%5D%%25%%26%%2B%%20@10.0.1.23:27017" % encoded_user
    assert script.count("\nCLUSTER_URL='%s'\n" % url) == 1
    assert url == mongodb_url(["10.0.1.23"], user=user, password=HOSTILE_PASSWORD)
    assert cluster_url_of(tmp_path, script) == url


def mongodb_url(hosts, **kwargs):
    from ansible_collections.streamfleet.cluster.plugins.module_utils.mongodb import mongodb_url as build
    return build(hosts, **kwargs)


def test_every_taggable_resource_carries_the_deployment_tag(seed_template):
    for name, resource in seed_template["Resources"].items():
        tags = resource.get("Properties", {}).get("Tags")
        if tags is not None:
            assert {"Key": "streamfleet:deployment", "Value": "antmedia-cluster"} in tags, name


def test_variables_change_the_template(renders):
    template = renders["variables"][0]
    resources = template["Resources"]
    assert resources["EdgeCpuLowAlarm"]["Properties"]["AlarmAction"] == [getatt("EdgeScaleInRule", "ScalingRuleAri")]
    assert resources["EdgeScaleInRule"]["Properties"]["AdjustmentValue"] == -1
    assert resources["EdgeScalingGroup"]["Properties"]["MaxSize"] == 20
    assert resources["EdgeScalingGroup"]["Properties"]["DesiredCapacity"] == 4
    assert "DesiredCapacity" not in resources["OriginScalingGroup"]["Properties"]
    assert resources["EdgeScalingGroup"]["Properties"]["DefaultCooldown"] == 120
    assert resources["OriginScalingGroup"]["Properties"]["DefaultCooldown"] == 300
    assert resources["EdgeLaunchTemplate"]["Properties"]["InstanceType"] == "ecs.c7.2xlarge"
    assert resources["EdgeLaunchTemplate"]["Properties"]["KeyPairName"] == "ops-key"
    body = resources["EdgeLaunchTemplate"]["Properties"]["UserData"]["Fn::Replace"][1]["Fn::Replace"][1]
    assert body.endswith("\nrestart_if_changed antmedia\necho custom\n")
    assert {"Key": "owner", "Value": "o'brien: \"ops\""} in resources["Vpc"]["Properties"]["Tags"]
    assert resources["Alb"]["Properties"]["LoadBalancerName"] == "prod-alb"


def test_cidr_lists_subnet_names_and_media_ports(renders):
    template, parameters = renders["cidr_lists"]
    resources = template["Resources"]
    assert (parameters["AdminCidr"], parameters["AdminCidr2"]) == ("203.0.113.0/24", "198.51.100.7/32")
    for prefix in ("Cluster", "MongoDb"):
        assert resources[prefix + "SshIngress"]["Properties"]["SourceCidrIp"] == {"Ref": "AdminCidr"}
        assert resources[prefix + "SshIngress2"]["Properties"]["SourceCidrIp"] == {"Ref": "AdminCidr2"}
    media = {r["Properties"]["SourceCidrIp"]: r["Properties"]["PortRange"]
             for r in ingress_rules(template) if r["Properties"]["IpProtocol"] == "udp"}
    assert media == {"10.0.0.0/8": "40000/45000", "172.16.0.0/12": "40000/45000"}
    assert resources["VSwitch1"]["Properties"]["VSwitchName"] == "media-a"
    assert resources["VSwitch2"]["Properties"]["VSwitchName"] == "antmedia-cluster-vsw-2"
    assert resources["MongoDb"]["Properties"]["ZoneId"] == "cn-hangzhou-h"


def test_ssh_disabled_means_no_key_pair_and_no_ssh_rule(renders):
    template = renders["ssh_disabled"][0]
    assert not [r for r in ingress_rules(template) if r["Properties"]["PortRange"] == "22/22"]
    for name in ("MongoDb", "OriginLaunchTemplate", "EdgeLaunchTemplate"):
        assert "KeyPairName" not in template["Resources"][name]["Properties"], name


def test_key_pair_reaches_every_instance(seed_template):
    for name in ("MongoDb", "OriginLaunchTemplate", "EdgeLaunchTemplate"):
        assert seed_template["Resources"][name]["Properties"]["KeyPairName"] == "ops-key", name
    assert "MongoDbEip" not in seed_template["Resources"] and "MongoDbEip" not in seed_template["Outputs"]


def test_mongodb_elastic_ip(renders):
    from standins.ros_schema import validate_template
    template = renders["mongodb_eip"][0]
    eip = template["Resources"]["MongoDbEip"]
    assert eip["Type"] == "ALIYUN::VPC::EIP" and eip["Properties"]["Bandwidth"] == 10
    association = template["Resources"]["MongoDbEipAssociation"]
    assert association["Properties"] == {"AllocationId": getatt("MongoDbEip", "AllocationId"),
                                         "InstanceId": getatt("MongoDb", "InstanceId")}
    assert template["Outputs"]["MongoDbEip"]["Value"] == getatt("MongoDbEip", "EipAddress")
    validate_template(template)


def test_no_admin_cidrs_means_no_ssh(renders):
    template, parameters = renders["no_admin_cidrs"]
    assert not [r for r in ingress_rules(template) if r["Properties"]["PortRange"] == "22/22"]
    assert not [name for name in list(template["Parameters"]) + list(parameters) if name.startswith("AdminCidr")]


PREFLIGHT_TASKS = [CASE_VARS, {"name": "preflight", "ansible.builtin.include_role": {
    "name": "streamfleet.cluster.antmedia_cluster_alicloud", "tasks_from": "preflight"}}]


@pytest.fixture(scope="module")
def preflights(tmp_path_factory):
    """Every preflight case below (the seed's values with a case's overrides) in one run: case -> HostRun."""
    cases = {"refused_%d" % index: dict(SEED_VARS, **overrides) for index, (overrides, _variable) in enumerate(PREFLIGHT_REFUSED)}
    cases["accepted"] = dict(SEED_VARS, antmedia_cluster_alicloud_mongodb_user="antmedia",
                             antmedia_cluster_alicloud_mongodb_password=HOSTILE_PASSWORD,
                             antmedia_cluster_alicloud_mongodb_admin_password="admin-" + HOSTILE_PASSWORD)
    for missing in BOOT_PASSWORDS:
        cases["boot_without_" + missing] = dict(SEED_VARS, **dict(BOOT_VARS, **{missing: ""}))
    for name, overrides in PREFLIGHT_ACCEPTED_IMAGES.items():
        cases[name] = dict(SEED_VARS, **dict(BOOT_VARS, **overrides))
    cases["several_problems"] = dict(SEED_VARS, **dict(BOOT_VARS, **PREFLIGHT_SEVERAL))
    return run_cases(tmp_path_factory.mktemp("preflight"), cases, PREFLIGHT_TASKS)


PREFLIGHT_REFUSED = [
    ({"antmedia_cluster_alicloud_admin_cidrs": ["0.0.0.0/0"]}, "antmedia_cluster_alicloud_admin_cidrs"),
    ({"antmedia_cluster_alicloud_admin_cidrs": ["203.0.113.0"]}, "antmedia_cluster_alicloud_admin_cidrs"),
    ({"antmedia_cluster_alicloud_image_id": ""}, "antmedia_cluster_alicloud_image_id"),
    ({"antmedia_cluster_alicloud_certificate_id": ""}, "antmedia_cluster_alicloud_certificate_id"),
    ({"antmedia_cluster_alicloud_subnets": [{"cidr": "192.168.1.0/24", "availability_zone": "cn-hangzhou-h"}]},
     "antmedia_cluster_alicloud_subnets"),
    ({"antmedia_cluster_alicloud_client_cidrs": []}, "antmedia_cluster_alicloud_client_cidrs"),
    ({"antmedia_cluster_alicloud_media_ports": "50000/60000"}, "antmedia_cluster_alicloud_media_ports"),
    ({"antmedia_cluster_alicloud_media_ports": "60000-50000"}, "antmedia_cluster_alicloud_media_ports"),
    ({"antmedia_cluster_alicloud_edge_min": 11}, "antmedia_cluster_alicloud_edge_min"),
    ({"antmedia_cluster_alicloud_edge_min": 5, "antmedia_cluster_alicloud_edge_desired": 2}, "antmedia_cluster_alicloud_edge_desired"),
    ({"antmedia_cluster_alicloud_origin_desired": 11}, "antmedia_cluster_alicloud_origin_desired"),
    ({"antmedia_cluster_alicloud_mongodb_user": "antmedia"}, "antmedia_cluster_alicloud_mongodb_password"),
    ({"antmedia_cluster_alicloud_mongodb_user": "antmedia",
      "antmedia_cluster_alicloud_mongodb_password": "x-mongodb-host.invalid"}, "antmedia_cluster_alicloud_mongodb_password"),
    ({"antmedia_cluster_alicloud_deployment": "-bad"}, "antmedia_cluster_alicloud_deployment"),
    # No silent empty key pair: a key pair or SSH disabled, not neither and not both.
    ({"antmedia_cluster_alicloud_key_name": ""}, "antmedia_cluster_alicloud_ssh_disabled"),
    ({"antmedia_cluster_alicloud_ssh_disabled": True}, "antmedia_cluster_alicloud_key_name"),
    ({"antmedia_cluster_alicloud_key_name": "", "antmedia_cluster_alicloud_ssh_disabled": True},
     "antmedia_cluster_alicloud_admin_cidrs"),
    ({"antmedia_cluster_alicloud_mongodb_eip": True, "antmedia_cluster_alicloud_mongodb_public_ip": True},
     "antmedia_cluster_alicloud_mongodb_eip"),
    # A certificate id and certificate files: one or the other.
    ({"antmedia_cluster_alicloud_certificate_file": "/etc/hostname",
      "antmedia_cluster_alicloud_certificate_private_key_file": "/etc/hostname"}, "antmedia_cluster_alicloud_certificate_id"),
    ({"antmedia_cluster_alicloud_dns_domain": "example.com", "antmedia_cluster_alicloud_dns_record": "@"},
     "antmedia_cluster_alicloud_dns_record"),
    ({"antmedia_cluster_alicloud_drain_timeout": 29}, "antmedia_cluster_alicloud_drain_timeout"),
    # The boot path with neither an image id nor a family for MongoDB, or with a public family
    # (no MongoDB on a public image).
    ({"antmedia_cluster_alicloud_mongodb_image_family": ""}, "antmedia_cluster_alicloud_mongodb_image_family"),
    ({"antmedia_cluster_alicloud_mongodb_image_family": "acs:ubuntu_24_04_x64"},
     "antmedia_cluster_alicloud_mongodb_image_family"),
    ({"antmedia_cluster_alicloud_mongodb_image_family": "ACS:ubuntu_22_04_x64"},
     "antmedia_cluster_alicloud_mongodb_image_family"),
    ({"antmedia_cluster_alicloud_certificate_name": " leading-space"}, "antmedia_cluster_alicloud_certificate_name"),
    # The boot scripts' settings of the antmedia and mongodb roles, checked as those roles check them.
    (dict(BOOT_VARS, antmedia_licence_key="key with spaces"), "antmedia_licence_key"),
    (dict(BOOT_VARS, antmedia_user_data_drain={"no_such_setting": 1}), "antmedia_user_data_drain"),
    (dict(BOOT_VARS, mongodb_user_data_bind_addresses=["0.0.0.0"]), "mongodb_user_data_bind_addresses"),
]
# One run with several wrong inputs: one failed task naming each of them, one line per problem.
PREFLIGHT_SEVERAL = {"antmedia_cluster_alicloud_admin_cidrs": ["0.0.0.0/0", "203.0.113.0"],
                     "antmedia_cluster_alicloud_image_id": "",
                     "antmedia_cluster_alicloud_client_cidrs": [],
                     "antmedia_cluster_alicloud_edge_min": 11}
# Accepted MongoDB images: an id with the boot path (any family), no family with the boot path off.
PREFLIGHT_ACCEPTED_IMAGES = {
    "baked_image_id": {"antmedia_cluster_alicloud_mongodb_image_id": "m-baked-mongodb",
                       "antmedia_cluster_alicloud_mongodb_image_family": ""},
    "boot_off_stock_image": dict(BOOT_OFF, antmedia_cluster_alicloud_mongodb_image_family=""),
}


@pytest.mark.parametrize("overrides, variable", PREFLIGHT_REFUSED)
def test_preflight_names_the_variable(preflights, overrides, variable):
    playbook = preflights["refused_%d" % PREFLIGHT_REFUSED.index((overrides, variable))]
    assert playbook.stats.get("failures") == 1, playbook.last_output
    failed = json_failures(playbook.last_output)
    assert any(variable in message for message in failed), failed
    assert "x-mongodb-host.invalid" not in playbook.last_output


def test_preflight_lists_every_problem_at_once(preflights):
    playbook = preflights["several_problems"]
    assert playbook.stats.get("failures") == 1, playbook.last_output
    [problems] = [result["msg"] for result in playbook.results if result.get("failed")]
    assert [[name for name in ("_admin_cidrs holds", "_image_id is required", "_client_cidrs (", "_edge_min (")
             if name in line] for line in problems] == [
        ["_admin_cidrs holds"], ["_image_id is required"], ["_client_cidrs ("], ["_edge_min ("]], problems
    assert "0.0.0.0/0, 203.0.113.0" in problems[0] or "203.0.113.0, 0.0.0.0/0" in problems[0], problems[0]


def test_preflight_accepts_the_seed_and_a_hostile_password(preflights):
    playbook = preflights["accepted"]
    assert playbook.stats.get("failures", 0) == 0, playbook.last_output


@pytest.mark.parametrize("case", sorted(PREFLIGHT_ACCEPTED_IMAGES))
def test_preflight_accepts_a_baked_image_id_or_a_stock_image_without_the_boot_path(preflights, case):
    playbook = preflights[case]
    assert playbook.stats.get("failures", 0) == 0, playbook.last_output


def json_failures(output):
    import json
    doc = json.loads(output[:output.rindex("}") + 1])
    messages = []
    for play in doc["plays"]:
        for task in play["tasks"]:
            result = task["hosts"].get("localhost", {})
            for item in result.get("results", [result]):
                if item.get("failed"):
                    messages.append(str(item.get("msg", "")))
    return messages


# -- a node's boot, as ROS hands it the script -----------------------------------------------------
ARCHIVES = REPO / "tests" / "standins" / "archives"


# boot_launcher: streamfleet-boot as the server_boot role installs it on a baked image (conftest.py).


def test_node_boot_leaves_the_bytes_of_the_aws_path_and_marks_initialized(renders, tmp_path, boot_launcher):
    """The resolved UserData run twice on a copy of the shipped tree with the Alibaba metadata stand-in."""
    import shutil
    from ansible_collections.streamfleet.cluster.plugins.module_utils.servers import antmedia
    from lib.harness import tree_snapshot
    from standins import alicloud_metadata_standin

    template, parameters = renders["node_boot"]
    script = tmp_path / "user-data.sh"
    script.write_text(user_data(template, parameters, address="192.168.1.7"))
    home = tmp_path / "antmedia"
    reference = tmp_path / "reference"
    shutil.copytree(ARCHIVES / "antmedia", home)
    shutil.copytree(ARCHIVES / "antmedia", reference)
    assert not (home / "conf" / "initialized").exists()
    metadata = alicloud_metadata_standin.start({"private-ipv4": "192.168.1.9", "instance-id": "i-bp1node"})
    env = dict(os.environ, STREAMFLEET_BOOT=str(boot_launcher), IMDS_ENDPOINT=metadata.endpoint, IMDS_RETRIES="2",
               IMDS_RETRY_DELAY="0", RESTART_SERVICE="false", PER_BOOT_DIR="", AMS_HOME=str(home),
               PATH="/usr/local/bin:/usr/bin:/bin")
    env.pop("PYTHONPATH", None)
    try:
        runs = [subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=120, check=False)
                for _attempt in range(2)]
    finally:
        metadata.stop()
    for run in runs:
        assert run.returncode == 0, run.stdout + run.stderr
        assert "p%26s" not in run.stdout + run.stderr
    assert "settings already current" in runs[1].stderr
    assert (home / "conf" / "initialized").exists()
    url = mongodb_url(["192.168.1.7"], user="antmedia", password="p&s/w|rd")
    for edit in antmedia.plan(str(reference), "cluster", url):
        if edit.changed:
            Path(edit.path).write_text(edit.after)
    (reference / "conf" / "initialized").write_text("")
    assert tree_snapshot(home) == tree_snapshot(reference), "the module's planner and the node's boot leave the same bytes"


# -- MongoDB installed and secured by the stack (mongodb_boot) -------------------------------------


def test_mongodb_boot_path_is_the_default(seed_template):
    """Out of the box the stack installs and secures MongoDB (issue: the hook was empty by default)."""
    resources = seed_template["Resources"]
    assert {"MongoDbAdminSecret", "MongoDbAppSecret", "MongoDbRole", "NodeRole"} <= set(resources)
    assert "mongodb-boot" in resources["MongoDb"]["Properties"]["UserData"]


def test_mongodb_boot_path_names_secrets_and_holds_no_password(renders):
    from standins.ros_schema import validate_template
    template, parameters = renders["mongodb_boot"]
    validate_template(template)
    resources = template["Resources"]
    assert HOSTILE_PASSWORD not in str(template)
    for name in ("MongoDbAdminPassword", "MongoDbAppPassword", "MongoDbUrl"):
        assert template["Parameters"][name]["NoEcho"] is True
    assert parameters["MongoDbAppPassword"] == HOSTILE_PASSWORD
    # The secrets the stack creates, from the NoEcho parameters.
    assert resources["MongoDbAppSecret"]["Properties"]["Value"] == {"Ref": "MongoDbAppPassword"}
    assert resources["MongoDbAppSecret"]["Properties"]["SecretParameterName"] == "antmedia-cluster-mongodb-app"
    assert resources["MongoDbAdminSecret"]["Properties"]["Value"] == {"Ref": "MongoDbAdminPassword"}
    # MongoDB boots with the mongodb role's script for the Alibaba adapter, reading both secrets.
    mongo = resources["MongoDb"]["Properties"]
    assert mongo["RamRoleName"] == getatt("MongoDbRole", "RoleName")
    assert "mongodb-boot" in mongo["UserData"] and "alicloud" in mongo["UserData"]
    assert "alicloud-oos:antmedia-cluster-mongodb-admin" in mongo["UserData"]
    assert "alicloud-oos:antmedia-cluster-mongodb-app" in mongo["UserData"]
    # Nodes: the URL holds the user only; the password is read at boot with the nodes' role.
    assert parameters["MongoDbUrl"] == "mongodb://antmedia@mongodb-host.invalid:27017"
    for group in ("Origin", "Edge"):
        props = resources[group + "LaunchTemplate"]["Properties"]
        assert props["RamRoleName"] == getatt("NodeRole", "RoleName")
        script = user_data(template, parameters, group=group)
        assert "--password-secret alicloud-oos:antmedia-cluster-mongodb-app" in script
        assert HOSTILE_PASSWORD not in script and "%40%3A%2F" not in script

    # Each role reads only its secrets.
    def readable(role):
        statement = resources[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]
        assert statement["Action"] == ["oos:GetSecretParameter"]
        return [r["Fn::Join"][1][1] for r in statement["Resource"]]
    assert readable("MongoDbRole") == ["antmedia-cluster-mongodb-admin", "antmedia-cluster-mongodb-app"]
    assert readable("NodeRole") == ["antmedia-cluster-mongodb-app"]
    principal = resources["NodeRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
    assert principal == {"Service": ["ecs.aliyuncs.com"]}


BOOT_PASSWORDS = ["antmedia_cluster_alicloud_mongodb_admin_password", "antmedia_cluster_alicloud_mongodb_password"]


@pytest.mark.parametrize("missing", BOOT_PASSWORDS)
def test_mongodb_boot_path_needs_both_passwords(preflights, missing):
    playbook = preflights["boot_without_" + missing]
    assert playbook.stats.get("failures") == 1, playbook.last_output
    assert any(missing in m for m in json_failures(playbook.last_output))
    assert HOSTILE_PASSWORD not in playbook.last_output


# -- Edges of the stack: the DNS record and the uploaded certificate -------------------------------
def test_dns_record_and_uploaded_certificate(renders, seed_template):
    """The guide's CNAME to the balancer and its "Upload Certificate": the key only in a NoEcho parameter."""
    from standins.ros_schema import validate_template
    _cert, _key, key_pem = renders["pem"]
    template, parameters = renders["dns_and_certificate"]
    validate_template(template)
    resources = template["Resources"]
    assert resources["DnsRecord"] == {"Type": "ALIYUN::DNS::DomainRecord", "Properties": {
        "DomainName": "example.com", "RR": "live", "Type": "CNAME", "Value": getatt("Alb", "DNSName"), "TTL": 600}}
    assert template["Outputs"]["DnsName"]["Value"] == "live.example.com"
    assert resources["Certificate"]["Properties"] == {"Name": "antmedia-cluster", "Cert": {"Ref": "CertificateBody"},
                                                      "Key": {"Ref": "CertificatePrivateKey"}}
    for port in (443, 5443):
        assert resources["Listener%d" % port]["Properties"]["Certificates"] == [
            {"CertificateId": getatt("Certificate", "CertId")}]
    assert template["Parameters"]["CertificatePrivateKey"]["NoEcho"] is True
    assert "NoEcho" not in template["Parameters"]["CertificateBody"] and "CertificateId" not in template["Parameters"]
    assert parameters["CertificatePrivateKey"] == key_pem.strip()
    assert parameters["CertificateBody"].startswith("-----BEGIN CERTIFICATE-----")
    assert "PRIVATE KEY" not in str(template), "the key reaches ROS as the NoEcho parameter only"
    # Without them: the given certificate id, no record.
    seed = seed_template
    assert "DnsRecord" not in seed["Resources"] and "Certificate" not in seed["Resources"]
    assert seed["Resources"]["Listener443"]["Properties"]["Certificates"] == [{"CertificateId": {"Ref": "CertificateId"}}]


# -- Scale-in with the drain Alibaba offers ---------------------------------------------------------
def test_scale_in_keeps_the_leaving_node_in_the_drain_hook(seed_template, renders):
    """A SCALE_IN hook per group, CONTINUE when it times out; without the drain, none."""
    for group in ("Origin", "Edge"):
        assert seed_template["Resources"][group + "DrainHook"] == {"Type": "ALIYUN::ESS::LifecycleHook", "Properties": {
            "ScalingGroupId": getatt(group + "ScalingGroup", "ScalingGroupId"), "LifecycleHookName": "streamfleet-drain",
            "LifecycleTransition": "SCALE_IN", "DefaultResult": "CONTINUE", "HeartbeatTimeout": 600}}
    template = renders["drain_disabled"][0]
    assert not of_type(template, "ALIYUN::ESS::LifecycleHook")


# -- The MongoDB image: an explicit id, or the newest of a family -----------------------------------
def test_mongodb_image_found_by_family_by_default(seed_template, renders):
    """No image id: the newest image of the given family (the baked one, with the boot path); the
    instance takes the first id the data source answers. With the boot path off and no family:
    Alibaba's public Ubuntu 24.04 LTS family (the newest LTS the mongodb role supports)."""
    resources = seed_template["Resources"]
    lookup = resources["MongoDbImages"]
    assert lookup["Type"] == "DATASOURCE::ECS::Images"
    assert lookup["Properties"] == {"ImageFamily": "streamfleet-mongodb", "OSType": "linux",
                                    "Status": "Available", "RefreshOptions": "Never"}
    stock = renders["boot_off_stock_image"][0]["Resources"]["MongoDbImages"]["Properties"]
    assert stock["ImageFamily"] == "acs:ubuntu_24_04_x64"
    # The role's own default: no family at all (the boot path needs the operator's baked image).
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    assert defaults["antmedia_cluster_alicloud_mongodb_image_family"] == ""
    assert resources["MongoDb"]["Properties"]["ImageId"] == {
        "Fn::Select": ["0", getatt("MongoDbImages", "ImageIds")]}
    assert "MongoDbImageId" not in seed_template["Parameters"]
    _template, parameters = renders["seed"]
    assert "MongoDbImageId" not in parameters
    # The family is evaluated as ROS does: the first (newest) id, an empty string for none.
    for ids, expected in ((["ubuntu_24_04_new.vhd", "ubuntu_24_04_old.vhd"], "ubuntu_24_04_new.vhd"), ([], "")):
        assert evaluate(resources["MongoDb"]["Properties"]["ImageId"], None, lambda _r, _a: ids) == expected
    # The Ant Media marketplace image has no family: the nodes keep the required image id.
    for group in ("Origin", "Edge"):
        assert resources[group + "LaunchTemplate"]["Properties"]["ImageId"] == {"Ref": "AntMediaImageId"}


def test_mongodb_explicit_image_id_wins_over_the_family(renders):
    template, parameters = renders["mongodb_image_id"]
    assert not of_type(template, "DATASOURCE::ECS::Images")
    assert template["Resources"]["MongoDb"]["Properties"]["ImageId"] == {"Ref": "MongoDbImageId"}
    assert template["Parameters"]["MongoDbImageId"]["Type"] == "String"
    assert parameters["MongoDbImageId"] == "m-baked-mongodb"
    # A custom family (an image baked with the mongodb role) is looked up the same way.
    template = renders["mongodb_image_family"][0]
    assert template["Resources"]["MongoDbImages"]["Properties"]["ImageFamily"] == "streamfleet-mongodb"


# -- the variants above, rendered together by the ``renders`` fixture ------------------------------
HOSTILE_USERS = {"antmedia": "hostile_user", "ant media@ops": "hostile_user_spaced"}


def render_variants(cert, key):
    """name -> overrides of the seed's values, one per rendering a test asserts on."""
    variants = {
        "seed": {},
        "boot_off": BOOT_OFF,
        "url_with_credentials": dict(BOOT_OFF, antmedia_cluster_alicloud_mongodb_user="antmedia",
                                     antmedia_cluster_alicloud_mongodb_password="Pw-1.x~y",
                                     antmedia_cluster_alicloud_mongodb_port=27018),
        "variables": {
            "antmedia_cluster_alicloud_protect_from_scale_in": False,
            "antmedia_cluster_alicloud_deployment": "prod",
            "antmedia_cluster_alicloud_extra_tags": {"owner": "o'brien: \"ops\""},
            "antmedia_cluster_alicloud_key_name": "ops-key",
            "antmedia_cluster_alicloud_instance_type": "ecs.c7.2xlarge",
            "antmedia_cluster_alicloud_edge_min": 3,
            "antmedia_cluster_alicloud_edge_max": 20,
            "antmedia_cluster_alicloud_edge_desired": 4,
            "antmedia_cluster_alicloud_edge_cooldown": 120,
            "antmedia_cluster_alicloud_node_user_data": "echo custom\n",
        },
        "cidr_lists": {
            "antmedia_cluster_alicloud_admin_cidrs": ["203.0.113.0/24", "198.51.100.7/32"],
            "antmedia_cluster_alicloud_client_cidrs": ["10.0.0.0/8", "172.16.0.0/12"],
            "antmedia_cluster_alicloud_media_ports": "40000-45000",
            "antmedia_cluster_alicloud_subnets": [
                {"name": "media-a", "cidr": "192.168.1.0/24", "availability_zone": "cn-hangzhou-h"},
                {"cidr": "192.168.2.0/24", "availability_zone": "cn-hangzhou-i"}],
        },
        "ssh_disabled": {"antmedia_cluster_alicloud_admin_cidrs": [], "antmedia_cluster_alicloud_key_name": "",
                         "antmedia_cluster_alicloud_ssh_disabled": True},
        "mongodb_eip": {"antmedia_cluster_alicloud_mongodb_eip": True, "antmedia_cluster_alicloud_mongodb_eip_bandwidth": 10},
        "no_admin_cidrs": {"antmedia_cluster_alicloud_admin_cidrs": []},
        "node_boot": dict(BOOT_OFF, antmedia_cluster_alicloud_mongodb_user="antmedia",
                          antmedia_cluster_alicloud_mongodb_password="p&s/w|rd"),
        "mongodb_boot": BOOT_VARS,
        "dns_and_certificate": {
            "antmedia_cluster_alicloud_certificate_id": "", "antmedia_cluster_alicloud_certificate_file": cert,
            "antmedia_cluster_alicloud_certificate_private_key_file": key,
            "antmedia_cluster_alicloud_dns_domain": "example.com", "antmedia_cluster_alicloud_dns_record": "live"},
        "drain_disabled": {"antmedia_cluster_alicloud_drain_enabled": False},
        "mongodb_image_id": {"antmedia_cluster_alicloud_mongodb_image_id": "m-baked-mongodb",
                             "antmedia_cluster_alicloud_mongodb_image_family": "streamfleet-mongodb"},
        "mongodb_image_family": {"antmedia_cluster_alicloud_mongodb_image_family": "streamfleet-mongodb"},
        "boot_off_stock_image": dict(BOOT_OFF, antmedia_cluster_alicloud_mongodb_image_family=""),
    }
    for user, name in HOSTILE_USERS.items():
        variants[name] = dict(BOOT_OFF, antmedia_cluster_alicloud_mongodb_user=user,
                              antmedia_cluster_alicloud_mongodb_password=HOSTILE_PASSWORD)
    return variants
