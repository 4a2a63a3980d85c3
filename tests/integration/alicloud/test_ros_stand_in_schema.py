"""The ROS stand-in refuses what ROS refuses (documented schemas), and the collection's template passes.

Broken templates go through alicloud_ros_stack in check mode (PreviewStack, the real SDK, signed
requests) and through ValidateTemplate; both must answer StackValidationFailed naming the
resource and the property. The collection's own template is rendered by Ansible exactly as the
role renders it, with the role defaults (plus the seed's values) and with the sandbox's vars file.
"""
import copy
import json
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.streamfleet.cluster.plugins.module_utils.alicloud import ros as ros_utils

REPO = Path(__file__).resolve().parents[3]
ROLE = REPO / "roles" / "antmedia_cluster_alicloud"
TEMPLATE = ROLE / "templates" / "antmedia_cluster.ros.yml.j2"
SANDBOX_VARS = REPO / "inventories" / "sandbox" / "group_vars" / "all" / "antmedia_cluster_alicloud.yml"
SEED_VARS = {
    "antmedia_cluster_alicloud_image_id": "m-antmedia-marketplace",
    "antmedia_cluster_alicloud_certificate_id": "1234567-cn-hangzhou",
    "antmedia_cluster_alicloud_admin_cidrs": ["203.0.113.0/24"],
}
sys.path.insert(0, str(REPO / "tests"))
from standins import ros_schema  # noqa: E402

VALID = {
    "ROSTemplateFormatVersion": "2015-09-01",
    "Resources": {
        "Vpc": {"Type": "ALIYUN::ECS::VPC", "Properties": {"CidrBlock": "10.0.0.0/16", "VpcName": "demo-vpc"}},
        "Group": {"Type": "ALIYUN::ECS::SecurityGroup", "Properties": {"VpcId": {"Fn::GetAtt": ["Vpc", "VpcId"]}}},
        "Ssh": {"Type": "ALIYUN::ECS::SecurityGroupIngress",
                "Properties": {"SecurityGroupId": {"Fn::GetAtt": ["Group", "SecurityGroupId"]},
                               "IpProtocol": "tcp", "PortRange": "22/22", "SourceCidrIp": "203.0.113.0/24",
                               "Priority": "1"}},
        "Scaling": {"Type": "ALIYUN::ESS::ScalingGroup", "Properties": {"MinSize": 1, "MaxSize": 3}},
        "Rule": {"Type": "ALIYUN::ESS::ScalingRule",
                 "Properties": {"ScalingGroupId": {"Fn::GetAtt": ["Scaling", "ScalingGroupId"]},
                                "AdjustmentType": "QuantityChangeInCapacity", "AdjustmentValue": 1}},
        "Pool": {"Type": "ALIYUN::ALB::ServerGroup",
                 "Properties": {"ServerGroupName": "pool", "VpcId": {"Fn::GetAtt": ["Vpc", "VpcId"]},
                                "HealthCheckConfig": {"HealthCheckEnabled": True, "HealthCheckInterval": 5}}},
        "Record": {"Type": "ALIYUN::DNS::DomainRecord",
                   "Properties": {"DomainName": "example.com", "RR": "live", "Type": "CNAME", "Value": "alb.example.net"}},
        "Cert": {"Type": "ALIYUN::CAS::Certificate",
                 "Properties": {"Name": "demo", "Cert": "-----BEGIN CERTIFICATE-----", "Key": "not-a-real-key"}},
        "Hook": {"Type": "ALIYUN::ESS::LifecycleHook",
                 "Properties": {"ScalingGroupId": {"Fn::GetAtt": ["Scaling", "ScalingGroupId"]},
                                "LifecycleTransition": "SCALE_IN", "DefaultResult": "CONTINUE", "HeartbeatTimeout": 600}},
        "Images": {"Type": "DATASOURCE::ECS::Images",
                   "Properties": {"ImageFamily": "acs:ubuntu_24_04_x64", "OSType": "linux", "RefreshOptions": "Never"}},
    },
    "Outputs": {"VpcId": {"Value": {"Fn::GetAtt": ["Vpc", "VpcId"]}}},
}


def broken(path, value=None, delete=False):
    """VALID with one property changed (path: resource, then keys) or deleted."""
    doc = copy.deepcopy(VALID)
    node = doc["Resources"]
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


def renamed(resource, old, new):
    doc = copy.deepcopy(VALID)
    props = doc["Resources"][resource]["Properties"]
    props[new] = props.pop(old)
    return doc


CASES = {
    "misspelled property": (renamed("Vpc", "VpcName", "VpcNmae"),
                            "Resources.Vpc.Properties: Unknown Property VpcNmae."),
    "missing required property": (broken(["Ssh", "Properties", "IpProtocol"], delete=True),
                                  "Resources.Ssh.Properties: Property IpProtocol not assigned."),
    "wrong type": (broken(["Scaling", "Properties", "MinSize"], "one"),
                   'Resources.Scaling.Properties.MinSize: Value "one" is not an integer.'),
    "list where a string goes": (broken(["Ssh", "Properties", "PortRange"], ["22/22"]),
                                 'Resources.Ssh.Properties.PortRange: Value ["22/22"] is not a string.'),
    "value outside the enum": (broken(["Ssh", "Properties", "IpProtocol"], "TCP"),
                               'Resources.Ssh.Properties.IpProtocol: "TCP" is not an allowed value '
                               '[tcp, udp, icmp, gre, all].'),
    "value outside the range": (broken(["Ssh", "Properties", "Priority"], 101),
                                "Resources.Ssh.Properties.Priority: 101 is out of range (min: 1, max: 100)."),
    "range that depends on another property": (
        broken(["Rule", "Properties", "AdjustmentValue"], 501),
        "Resources.Rule.Properties.AdjustmentValue: 501 is out of range (min: -500, max: 500) "
        "for AdjustmentType QuantityChangeInCapacity."),
    "misspelled key of a documented map": (
        broken(["Pool", "Properties", "HealthCheckConfig"], {"HealthCheckEnabled": True, "HealthCheckIntervall": 5}),
        "Resources.Pool.Properties.HealthCheckConfig: Unknown Property HealthCheckIntervall."),
    "required key of a documented map": (
        broken(["Pool", "Properties", "HealthCheckConfig"], {"HealthCheckInterval": 5}),
        "Resources.Pool.Properties.HealthCheckConfig: Property HealthCheckEnabled not assigned."),
    "GetAtt of an undocumented attribute": (
        broken(["Group", "Properties", "VpcId"], {"Fn::GetAtt": ["Vpc", "Id"]}),
        "The Referenced Attribute (Vpc Id) is incorrect"),
    "unknown resource key": (broken(["Vpc", "Propertys"], {}), "Resources.Vpc: Unknown resource key Propertys"),
    # The types of the DNS record, the uploaded certificate and the scale-in drain.
    "misspelled property of a DNS record": (renamed("Record", "DomainName", "Domainname"),
                                            "Resources.Record.Properties: Unknown Property Domainname."),
    "record type outside the enum": (broken(["Record", "Properties", "Type"], "ALIAS"),
                                     'Resources.Record.Properties.Type: "ALIAS" is not an allowed value'),
    "certificate without its key": (broken(["Cert", "Properties", "Key"], delete=True),
                                    "Resources.Cert.Properties: Property Key not assigned."),
    "lifecycle hook without its transition": (broken(["Hook", "Properties", "LifecycleTransition"], delete=True),
                                              "Resources.Hook.Properties: Property LifecycleTransition not assigned."),
    # The image data source (MongoDB image by family).
    "misspelled property of the image data source": (renamed("Images", "ImageFamily", "ImageFamilly"),
                                                     "Resources.Images.Properties: Unknown Property ImageFamilly."),
    "image OS type outside the enum": (broken(["Images", "Properties", "OSType"], "Linux"),
                                       'Resources.Images.Properties.OSType: "Linux" is not an allowed value'),
    "image data source attribute it does not return": (
        broken(["Group", "Properties", "VpcId"], {"Fn::GetAtt": ["Images", "ImageId"]}),
        "The Referenced Attribute (Images ImageId) is incorrect: DATASOURCE::ECS::Images documents ImageIds, Images."),
    "lifecycle hook timeout outside the range": (
        broken(["Hook", "Properties", "HeartbeatTimeout"], 21601),
        "Resources.Hook.Properties.HeartbeatTimeout: 21601 is out of range (min: 30, max: 21600)."),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_preview_refuses_with_the_documented_error(run_module, standin, case):
    template, reason = CASES[case]
    result = run_module("alicloud_ros_stack", standin.module_args(name="schema", template=template), check_mode=True)
    assert result["failed"] is True, result
    error = result["error"]
    assert (error["action"], error["code"], error["status_code"]) == ("PreviewStack", "StackValidationFailed", 400)
    assert error["message"].startswith("Stack validation failed: " + reason), error["message"]
    assert error["request_id"]
    assert standin.stacks() == []


def validate_template(standin, template):
    client = ros_utils.RosClient({"access_key_id": standin.access_key_id,
                                  "access_key_secret": standin.access_key_secret,
                                  "region": standin.region, "endpoint": standin.endpoint}, retries=0)
    request = ros_utils.ros_models.ValidateTemplateRequest(region_id=standin.region,
                                                           template_body=json.dumps(template))
    return client._call("ValidateTemplate", "validate_template", request)


def test_validate_template_answers_and_refuses(standin):
    body = validate_template(standin, VALID)
    assert body["ResourceTypes"]["Resources"] == sorted({r["Type"] for r in VALID["Resources"].values()
                                                         if r["Type"].startswith("ALIYUN::")})
    assert body["ResourceTypes"]["DataSources"] == ["DATASOURCE::ECS::Images"]
    assert body["Outputs"] == [{"OutputKey": "VpcId", "Description": ""}]
    template, reason = CASES["misspelled property"]
    with pytest.raises(ros_utils.AlicloudError) as refused:
        validate_template(standin, template)
    assert refused.value.code == "StackValidationFailed"
    assert refused.value.message == "Stack validation failed: " + reason


def test_every_schema_names_its_source_and_types():
    assert ros_schema.counts()[0] == 21
    for rtype, schema in ros_schema.SCHEMAS.items():
        assert schema["source"].startswith(ros_schema.DOC + rtype.split("::", maxsplit=1)[0].lower() + "-"), rtype
        assert rtype.rsplit("::", maxsplit=1)[-1].lower() in schema["source"], rtype
        for name, spec in schema["properties"].items():
            assert spec["type"] in ("String", "Integer", "Number", "Boolean", "List", "Map"), (rtype, name)


def render(playbook, var_files, extra):
    """The template and its stack parameters as the role renders them (include_vars, the role's
    user_data entry point for the boot scripts, template lookup). The run prints neither (the
    sandbox's secrets are in them, and the secret audit searches runs of the role): both go to a
    file of mode 0600, read here."""
    out = playbook.tmp_path / "rendered.json"
    tasks = [{"name": "vars %d" % i, "ansible.builtin.include_vars": {"file": str(path)}, "no_log": True}
             for i, path in enumerate([ROLE / "defaults" / "main.yml", ROLE / "vars" / "main.yml"] + var_files)]
    tasks.append({"name": "boot scripts", "ansible.builtin.include_role": {
        "name": "streamfleet.cluster.antmedia_cluster_alicloud", "tasks_from": "user_data"}})
    tasks.append({"name": "render", "no_log": True, "ansible.builtin.copy": {
        "content": "{{ {'rendered': lookup('ansible.builtin.template', '%s'),"
                   " 'parameters': antmedia_cluster_alicloud_stack_parameters} | to_json }}" % TEMPLATE,
        "dest": str(out), "mode": "0600"}})
    playbook.run(tasks, extra_vars=extra)
    facts = json.loads(out.read_text())
    return yaml.safe_load(facts["rendered"]), facts["parameters"]


@pytest.mark.parametrize("variant", ["role defaults and the seed's values", "sandbox vars file"])
def test_the_collections_template_passes(run_module, standin, playbook, variant, tmp_path):
    if variant == "sandbox vars file":
        # The sandbox uploads a certificate made at sandbox time; here one made for this test.
        from lib.pem import make_pem_pair
        cert, key, _key_pem = make_pem_pair(tmp_path)
        template, parameters = render(playbook, [SANDBOX_VARS], {
            "sandbox_state": "present", "sandbox_domain": "sandbox.streamfleet.test",
            "antmedia_cluster_alicloud_certificate_file": cert, "antmedia_cluster_alicloud_certificate_private_key_file": key})
    else:
        template, parameters = render(playbook, [], SEED_VARS)
    ros_schema.validate_template(template)
    types = {res["Type"] for res in template["Resources"].values()}
    # The sandbox turns on every optional piece (MongoDB Elastic IP, the MongoDB boot path with its
    # secret parameters and RAM roles, the DNS record, the uploaded certificate): there every schema
    # is used; the seed uses a subset.
    if variant == "sandbox vars file":
        assert types == set(ros_schema.SCHEMAS), "a resource type the template uses has no schema, or one is unused"
    else:
        assert types < set(ros_schema.SCHEMAS), "a resource type the template uses has no schema"
    result = run_module("alicloud_ros_stack", standin.module_args(name="schema-ok", template=template,
                                                                  parameters=parameters), check_mode=True)
    assert result.get("failed") is not True, result.get("msg")
    assert result["status"] == "PREVIEW"
    assert validate_template(standin, template)["ResourceTypes"]["Resources"] == sorted(
        t for t in types if t.startswith("ALIYUN::"))


def test_groups_replace_hung_nodes_and_spot_options_pass(run_module, standin, playbook):
    """Default: the ALB health check decides too (LOAD_BALANCER); spot with a price limit renders
    the documented launch template properties and still passes the stand-in."""
    spot = dict(SEED_VARS, antmedia_cluster_alicloud_node_spot_strategy="SpotWithPriceLimit",
                antmedia_cluster_alicloud_node_spot_price_limit="0.5")
    template, parameters = render(playbook, [], spot)
    for group in ("Origin", "Edge"):
        scaling = template["Resources"][group + "ScalingGroup"]["Properties"]
        assert scaling["HealthCheckTypes"] == ["ECS", "LOAD_BALANCER"] and "HealthCheckType" not in scaling
        launch = template["Resources"][group + "LaunchTemplate"]["Properties"]
        assert (launch["InstanceChargeType"], launch["SpotStrategy"], launch["SpotPriceLimit"]) == (
            "PostPaid", "SpotWithPriceLimit", "0.5")
    result = run_module("alicloud_ros_stack", standin.module_args(name="spot", template=template,
                                                                  parameters=parameters), check_mode=True)
    assert result.get("failed") is not True, result.get("msg")
    # A spot strategy ROS does not document is refused with the documented error.
    template["Resources"]["EdgeLaunchTemplate"]["Properties"]["SpotStrategy"] = "Spot"
    result = run_module("alicloud_ros_stack", standin.module_args(name="spot", template=template,
                                                                  parameters=parameters), check_mode=True)
    assert result["error"]["code"] == "StackValidationFailed"
    assert "Resources.EdgeLaunchTemplate.Properties.SpotStrategy: \"Spot\" is not an allowed value" in result["msg"]


# -- The MongoDB image found by family: the stand-in evaluates the data source ----------------------
def image_stack(family):
    """An instance whose image is the newest of a family, as the role's template writes it."""
    return {
        "ROSTemplateFormatVersion": "2015-09-01",
        "Resources": {
            "MongoDbImages": {"Type": "DATASOURCE::ECS::Images",
                              "Properties": {"ImageFamily": family, "OSType": "linux", "Status": "Available",
                                             "RefreshOptions": "Never"}},
            "MongoDb": {"Type": "ALIYUN::ECS::Instance",
                        "Properties": {"InstanceType": "ecs.g6e.large",
                                       "ImageId": {"Fn::Select": ["0", {"Fn::GetAtt": ["MongoDbImages", "ImageIds"]}]}}},
        },
        "Outputs": {"ImageIds": {"Value": {"Fn::GetAtt": ["MongoDbImages", "ImageIds"]}}},
    }


def test_family_resolves_to_its_newest_image(run_module, standin):
    result = run_module("alicloud_ros_stack", standin.module_args(name="by-family", template=image_stack(
        "acs:ubuntu_24_04_x64")))
    assert result.get("failed") is not True and result["status"] == "CREATE_COMPLETE", result.get("msg")
    # Newest first (the family's latest image is the one created last); the instance takes the first.
    from standins.ros_standin import IMAGE_CATALOGUE
    family = sorted((i for i in IMAGE_CATALOGUE if i["ImageFamily"] == "acs:ubuntu_24_04_x64"),
                    key=lambda i: i["CreationTime"], reverse=True)
    assert len(family) >= 2
    assert standin.resolve("by-family", "MongoDb", "ImageId") == family[0]["ImageId"]
    assert result["outputs"]["ImageIds"] == [i["ImageId"] for i in family]
    run_module("alicloud_ros_stack", standin.module_args(name="by-family", state="absent"))


def test_unknown_family_fails_the_instance_as_ros_would(run_module, standin):
    """The template is valid (the family is known only at run time); the lookup finds nothing,
    Fn::Select gives an empty ImageId, and the instance fails to create: the stack rolls back."""
    result = run_module("alicloud_ros_stack", standin.module_args(name="no-family", template=image_stack(
        "acs:ubuntu_30_04_x64")))
    assert result["failed"] is True and result["status"] == "ROLLBACK_COMPLETE", result
    assert "MongoDb (ALIYUN::ECS::Instance): InvalidImageId.NotFound" in result["msg"]
    assert result["failed_resources"][0]["logical_resource_id"] == "MongoDb"
    run_module("alicloud_ros_stack", standin.module_args(name="no-family", state="absent"))
