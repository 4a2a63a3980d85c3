"""alicloud_scaling_instances_info against the ROS stand-in's ESS/ECS calls (signed requests,
the generic OpenAPI client): the instances a stack's scaling groups hold, with their addresses."""
import ipaddress

import pytest

ORIGIN_MIN = 3


def template(origin_min=ORIGIN_MIN, edge_min=2, edge_desired=None, bandwidth=0):
    edge = {"ScalingGroupName": "edges", "MinSize": edge_min, "MaxSize": 10,
            "VSwitchIds": [{"Fn::GetAtt": ["VSwitch1", "VSwitchId"]}, {"Fn::GetAtt": ["VSwitch2", "VSwitchId"]}],
            "LaunchTemplateId": {"Fn::GetAtt": ["Nodes", "LaunchTemplateId"]}}
    if edge_desired is not None:
        edge["DesiredCapacity"] = edge_desired
    return {
        "ROSTemplateFormatVersion": "2015-09-01",
        "Resources": {
            "Vpc": {"Type": "ALIYUN::ECS::VPC", "Properties": {"CidrBlock": "192.168.0.0/16"}},
            "VSwitch1": {"Type": "ALIYUN::ECS::VSwitch", "Properties": {
                "VpcId": {"Fn::GetAtt": ["Vpc", "VpcId"]}, "ZoneId": "cn-hangzhou-h", "CidrBlock": "192.168.1.0/24"}},
            "VSwitch2": {"Type": "ALIYUN::ECS::VSwitch", "Properties": {
                "VpcId": {"Fn::GetAtt": ["Vpc", "VpcId"]}, "ZoneId": "cn-hangzhou-i", "CidrBlock": "192.168.2.0/24"}},
            "Nodes": {"Type": "ALIYUN::ECS::LaunchTemplate", "Properties": {
                "LaunchTemplateName": "nodes", "ImageId": "ubuntu_24_04_x64_20G_alibase_20260916.vhd",
                "InstanceType": "ecs.g6e.xlarge", "InternetMaxBandwidthOut": bandwidth}},
            "OriginGroup": {"Type": "ALIYUN::ESS::ScalingGroup", "Properties": {
                "ScalingGroupName": "origins", "MinSize": origin_min, "MaxSize": 10,
                "VSwitchIds": [{"Fn::GetAtt": ["VSwitch1", "VSwitchId"]}],
                "LaunchTemplateId": {"Fn::GetAtt": ["Nodes", "LaunchTemplateId"]}}},
            "EdgeGroup": {"Type": "ALIYUN::ESS::ScalingGroup", "Properties": edge},
        },
        "Outputs": {"Origin": {"Value": {"Fn::GetAtt": ["OriginGroup", "ScalingGroupId"]}},
                    "Edge": {"Value": {"Fn::GetAtt": ["EdgeGroup", "ScalingGroupId"]}}},
    }


@pytest.fixture
def stack(run_module, standin):
    def apply(name="nodes", **kwargs):
        result = run_module("alicloud_ros_stack", standin.module_args(name=name, template=template(**kwargs)))
        assert result["status"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), result
        return result["outputs"]
    return apply


def nodes_args(standin, outputs, **extra):
    args = dict(standin.module_args(scaling_group_ids=[outputs["Origin"], outputs["Edge"]], **extra))
    for key in ("wait_poll_interval", "wait_timeout"):
        args.pop(key)
    return args


def test_lists_each_groups_instances_with_addresses_over_several_pages(run_module, standin, stack):
    outputs = stack()
    assert outputs["Origin"].startswith("asg-")
    # Two instances a page: three origins take two pages, two edges one full page (and a check
    # that nothing follows it); check mode reads the same.
    result = run_module("alicloud_scaling_instances_info", nodes_args(standin, outputs, page_size=2), check_mode=True)
    assert result["changed"] is False and not result.get("failed"), result
    nodes = result["instances"]
    assert [n["scaling_group_id"] for n in nodes] == [outputs["Origin"]] * ORIGIN_MIN + [outputs["Edge"]] * 2
    assert standin.calls().count("DescribeScalingInstances") == 3
    assert standin.calls().count("DescribeInstances") == 1     # five ids, one call
    assert len({n["instance_id"] for n in nodes}) == 5 and all(n["instance_id"].startswith("i-") for n in nodes)
    assert {(n["lifecycle_state"], n["health_status"], n["status"]) for n in nodes} == {("InService", "Healthy", "Running")}
    origins, edges = nodes[:ORIGIN_MIN], nodes[ORIGIN_MIN:]
    assert all(ipaddress.ip_address(n["private_ip"]) in ipaddress.ip_network("192.168.1.0/24") for n in origins)
    assert {n["zone_id"] for n in origins} == {"cn-hangzhou-h"}
    assert {n["zone_id"] for n in edges} == {"cn-hangzhou-h", "cn-hangzhou-i"}   # one per vSwitch
    assert len({n["private_ip"] for n in nodes}) == 5
    # No public bandwidth in the launch template: no public address, no Elastic IP.
    assert {(n["public_ip"], n["eip"], n["public_address"]) for n in nodes} == {(None, None, None)}
    assert result["missing_instance_ids"] == []

    # Another state than InService: none in the stand-in.
    assert run_module("alicloud_scaling_instances_info",
                      nodes_args(standin, outputs, lifecycle_state="Pending"))["instances"] == []


def test_instances_follow_the_stack_update_and_leave_with_it(run_module, standin, stack):
    first = run_module("alicloud_scaling_instances_info", nodes_args(standin, stack()))["instances"]
    outputs = stack(origin_min=ORIGIN_MIN + 1, edge_desired=1, bandwidth=10)
    after = run_module("alicloud_scaling_instances_info", nodes_args(standin, outputs))["instances"]
    origins = [n for n in after if n["scaling_group_id"] == outputs["Origin"]]
    edge_ids = [n["instance_id"] for n in after if n["scaling_group_id"] == outputs["Edge"]]
    # MinSize up by one: the origins are kept with their addresses, one joins (with a public
    # address now that the launch template asks for bandwidth). DesiredCapacity 1: the oldest
    # edge left (RemovalPolicys OldestInstance).
    assert [(n["instance_id"], n["private_ip"]) for n in origins[:ORIGIN_MIN]] == [
        (n["instance_id"], n["private_ip"]) for n in first[:ORIGIN_MIN]]
    assert len(origins) == ORIGIN_MIN + 1 and origins[-1]["public_ip"] is not None
    assert origins[-1]["public_address"] == origins[-1]["public_ip"]
    assert len({n["private_ip"] for n in after}) == len(after)   # a freed address may be taken again
    assert edge_ids == [first[-1]["instance_id"]]

    run_module("alicloud_ros_stack", standin.module_args(name="nodes", state="absent"))
    assert run_module("alicloud_scaling_instances_info", nodes_args(standin, outputs))["instances"] == []


def test_wrong_credentials_are_refused(run_module, standin, stack):
    outputs = stack()
    result = run_module("alicloud_scaling_instances_info",
                        nodes_args(standin, outputs, access_key_secret="not-the-secret"))
    assert result["failed"] is True and result["error"]["code"] == "SignatureDoesNotMatch", result
    assert result["error"]["action"] == "DescribeScalingInstances" and "not-the-secret" not in str(result)
    unknown = run_module("alicloud_scaling_instances_info", nodes_args(standin, outputs, access_key_id="NOSUCHKEY"))
    assert unknown["failed"] is True and unknown["error"]["code"] == "InvalidAccessKeyId.NotFound", unknown
