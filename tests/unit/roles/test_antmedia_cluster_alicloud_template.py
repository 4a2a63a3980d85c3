"""The antmedia_cluster_alicloud ROS template, rendered for the seed's values, against our checks.

Rendering goes through Ansible itself (include_vars of the role defaults, then the template
lookup), so filters and variable precedence are exactly what the role uses.
"""
import ipaddress
import os
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
ROLE = REPO / "roles" / "antmedia_cluster_alicloud"
TEMPLATE = ROLE / "templates" / "antmedia_cluster.ros.yml.j2"
SEED_VARS = {
    "antmedia_cluster_alicloud_image_id": "m-antmedia-marketplace",
    "antmedia_cluster_alicloud_certificate_id": "1234567-cn-hangzhou",
    "antmedia_cluster_alicloud_admin_cidr": "203.0.113.0/24",
}

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
}
PSEUDO = {"ALIYUN::StackId", "ALIYUN::StackName", "ALIYUN::Region", "ALIYUN::AccountId", "ALIYUN::NoValue"}


def render(playbook, overrides=None):
    extra = dict(SEED_VARS)
    extra.update(overrides or {})
    results = playbook.run([
        {"name": "role defaults", "ansible.builtin.include_vars": {"file": str(ROLE / "defaults" / "main.yml")}},
        {"name": "render", "ansible.builtin.set_fact": {
            "rendered": "{{ lookup('ansible.builtin.template', '%s') }}" % TEMPLATE}},
    ], extra_vars=extra)
    return yaml.safe_load(results[-1]["ansible_facts"]["rendered"])


@pytest.fixture(scope="module")
def seed_template(tmp_path_factory):
    from lib.harness import PlaybookRunner  # the playbook fixture is per test; one render serves all
    runner = PlaybookRunner(tmp_path_factory.mktemp("render"), REPO, REPO / ".build" / "collections")
    return render(runner)


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
    expected = {"Origin": (1, 10, 1), "Edge": (2, 10, 2)}
    for group, (low, high, desired) in expected.items():
        props = resources[group + "ScalingGroup"]["Properties"]
        assert (props["MinSize"], props["MaxSize"], props["DesiredCapacity"]) == (low, high, desired)
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


def test_user_data_sets_cluster_mode_from_the_mongodb_address(seed_template):
    for group in ("Origin", "Edge"):
        join = seed_template["Resources"][group + "LaunchTemplate"]["Properties"]["UserData"]["Fn::Join"]
        assert join[0] == ""
        parts = join[1]
        assert parts[0].startswith("#!/bin/bash\nMONGODB_HOST=")
        assert parts[1] == getatt("MongoDb", "PrivateIp")
        assert {"Ref": "MongoDbPassword"} in parts and {"Ref": "MongoDbUser"} in parts
        assert "change_server_mode.sh cluster \"$MONGODB_URL\"" in parts[-1]
        # MONGODB_URL is built by the mongodb_url filter; ROS fills in the address.
        assert join_user_data(parts, "192.168.1.7", "").count("\nMONGODB_URL='mongodb://192.168.1.7:27017'\n") == 1
    assert seed_template["Parameters"]["MongoDbPassword"]["NoEcho"] is True
    assert "UserData" not in seed_template["Resources"]["MongoDb"]["Properties"]
    assert seed_template["Resources"]["MongoDb"]["Properties"]["AllocatePublicIP"] is False


def join_user_data(parts, address, password):
    """The user data as ROS joins it, for this MongoDB address and password parameter."""
    values = {"MongoDb.PrivateIp": address, "MongoDbPassword": password}
    out = []
    for part in parts:
        if isinstance(part, dict) and "Fn::GetAtt" in part:
            out.append(values[".".join(part["Fn::GetAtt"])])
        elif isinstance(part, dict) and "Ref" in part:
            out.append(values.get(part["Ref"], "antmedia" if part["Ref"] == "MongoDbUser" else ""))
        else:
            out.append(part)
    return "".join(out)


def test_user_data_url_with_credentials_comes_from_the_builder(playbook):
    template = render(playbook, {"antmedia_cluster_alicloud_mongodb_user": "antmedia",
                                 "antmedia_cluster_alicloud_mongodb_password": "Pw-1.x~y",
                                 "antmedia_cluster_alicloud_mongodb_port": 27018})
    parts = template["Resources"]["OriginLaunchTemplate"]["Properties"]["UserData"]["Fn::Join"][1]
    assert "Pw-1.x~y" not in str(parts), "the password stays a NoEcho parameter"
    script = join_user_data(parts, "192.168.1.7", "Pw-1.x~y")
    assert "\nMONGODB_URL='mongodb://antmedia:Pw-1.x~y@192.168.1.7:27018'\n" in script


def test_every_taggable_resource_carries_the_deployment_tag(seed_template):
    for name, resource in seed_template["Resources"].items():
        tags = resource.get("Properties", {}).get("Tags")
        if tags is not None:
            assert {"Key": "streamfleet:deployment", "Value": "antmedia-cluster"} in tags, name


def test_variables_change_the_template(playbook):
    template = render(playbook, {
        "antmedia_cluster_alicloud_scale_in_enabled": True,
        "antmedia_cluster_alicloud_deployment": "prod",
        "antmedia_cluster_alicloud_extra_tags": {"owner": "o'brien: \"ops\""},
        "antmedia_cluster_alicloud_key_pair_name": "ops-key",
        "antmedia_cluster_alicloud_edge": {"instance_type": "ecs.c7.2xlarge", "min_size": 3, "max_size": 20,
                                           "desired_capacity": 4, "cooldown": 120},
        "antmedia_cluster_alicloud_node_user_data": "echo custom\n",
    })
    resources = template["Resources"]
    assert resources["EdgeCpuLowAlarm"]["Properties"]["AlarmAction"] == [getatt("EdgeScaleInRule", "ScalingRuleAri")]
    assert resources["EdgeScaleInRule"]["Properties"]["AdjustmentValue"] == -1
    assert resources["EdgeScalingGroup"]["Properties"]["MaxSize"] == 20
    assert resources["EdgeLaunchTemplate"]["Properties"]["InstanceType"] == "ecs.c7.2xlarge"
    assert resources["EdgeLaunchTemplate"]["Properties"]["KeyPairName"] == "ops-key"
    assert resources["EdgeLaunchTemplate"]["Properties"]["UserData"]["Fn::Join"][1][-1] == "\necho custom\n"
    assert {"Key": "owner", "Value": "o'brien: \"ops\""} in resources["Vpc"]["Properties"]["Tags"]
    assert resources["Alb"]["Properties"]["LoadBalancerName"] == "prod-alb"


def run_user_data(tmp_path, script_body, host="192.168.1.7"):
    script = ("#!/bin/bash\nMONGODB_HOST=%s\nMONGODB_PORT=27017\nMONGODB_USER=\nMONGODB_PASSWORD=\n"
              "MONGODB_URL='mongodb://%s:27017'\n%s" % (host, host, script_body))
    path = tmp_path / "user-data.sh"
    path.write_text(script)
    env = dict(os.environ, AMS_DIR=str(tmp_path / "antmedia"))
    return subprocess.run(["bash", str(path)], capture_output=True, text=True, env=env, timeout=30, check=False)


def test_default_user_data_switches_to_cluster_mode_once(tmp_path):
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    body = defaults["antmedia_cluster_alicloud_node_user_data"]
    ams = tmp_path / "antmedia"
    (ams / "conf").mkdir(parents=True)
    (ams / "webapps" / "LiveApp" / "WEB-INF").mkdir(parents=True)
    (ams / "conf" / "red5.properties").write_text("clusterdb.host=localhost\n")
    (ams / "webapps" / "LiveApp" / "WEB-INF" / "red5-web.properties").write_text("db.type=mapdb\n")
    # Stand-in for the vendor script: records its arguments and writes what the real one writes.
    (ams / "change_server_mode.sh").write_text(
        "#!/bin/bash\necho \"$@\" >> \"$AMS_DIR/calls\"\n"
        "sed -i \"s|^clusterdb.host=.*|clusterdb.host=$2|\" \"$AMS_DIR/conf/red5.properties\"\n"
        "for f in \"$AMS_DIR\"/webapps/*/WEB-INF/red5-web.properties; do sed -i 's/^db.type=.*/db.type=mongodb/' \"$f\"; done\n")
    (ams / "change_server_mode.sh").chmod(0o755)
    for _attempt in range(2):
        proc = run_user_data(tmp_path, body)
        assert proc.returncode == 0, proc.stderr
    assert (ams / "calls").read_text() == "cluster mongodb://192.168.1.7:27017\n"
    proc = run_user_data(tmp_path, body, host="192.168.1.8")
    assert proc.returncode == 0
    assert (ams / "calls").read_text().splitlines()[-1] == "cluster mongodb://192.168.1.8:27017"
