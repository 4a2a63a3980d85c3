"""alicloud_ros_stack against the local ROS stand-in (signed requests, real SDK)."""
import json

import yaml

TEMPLATE = {
    "ROSTemplateFormatVersion": "2015-09-01",
    "Parameters": {
        "Cidr": {"Type": "String", "Default": "10.0.0.0/16"},
        "Secret": {"Type": "String", "Default": "", "NoEcho": True},
    },
    "Resources": {
        "Vpc": {"Type": "ALIYUN::ECS::VPC", "Properties": {"CidrBlock": {"Ref": "Cidr"}}},
        "VSwitch": {"Type": "ALIYUN::ECS::VSwitch",
                    "Properties": {"VpcId": {"Fn::GetAtt": ["Vpc", "VpcId"]}, "ZoneId": "cn-hangzhou-h",
                                   "CidrBlock": "10.0.1.0/24"}},
    },
    "Outputs": {"VpcId": {"Value": {"Fn::GetAtt": ["Vpc", "VpcId"]}}},
}


def args(standin, name, **extra):
    base = standin.module_args(name=name, template=TEMPLATE, parameters={"Cidr": "10.1.0.0/16"},
                               tags={"streamfleet:deployment": name})
    base.update(extra)
    return base


def test_check_mode_previews_and_creates_nothing(run_module, standin):
    result = run_module("alicloud_ros_stack", args(standin, "preview-only"), check_mode=True, diff=True)
    assert result["changed"] is True and not result.get("failed"), result
    assert result["status"] == "PREVIEW"
    assert {(r["logical_resource_id"], r["action"]) for r in result["preview"]} == {("Vpc", "Add"), ("VSwitch", "Add")}
    assert result["diff"]["before"] == "" and "10.1.0.0/16" in result["diff"]["after"]
    assert standin.stacks() == []
    assert "CreateStack" not in standin.calls() and "PreviewStack" in standin.calls()


def test_create_then_unchanged_then_update_then_delete(run_module, standin):
    created = run_module("alicloud_ros_stack", args(standin, "lifecycle"))
    assert created["changed"] is True and created["status"] == "CREATE_COMPLETE", created
    assert created["outputs"]["VpcId"].startswith("vpc-")
    assert {r["logical_resource_id"] for r in created["resources"]} == {"Vpc", "VSwitch"}
    assert any("CREATE_IN_PROGRESS" in line for line in created["progress"])
    assert created["parameters"] == {"Cidr": "10.1.0.0/16", "Secret": "********"}

    again = run_module("alicloud_ros_stack", args(standin, "lifecycle"))
    assert again["changed"] is False and again["stack_id"] == created["stack_id"], again
    assert again["outputs"] == created["outputs"]
    assert run_module("alicloud_ros_stack", args(standin, "lifecycle"), check_mode=True)["changed"] is False
    assert "UpdateStack" not in standin.calls()

    # The same template given as a YAML string is the same template.
    as_yaml = args(standin, "lifecycle", template=yaml.safe_dump(TEMPLATE))
    assert run_module("alicloud_ros_stack", as_yaml)["changed"] is False

    changed = args(standin, "lifecycle", parameters={"Cidr": "10.2.0.0/16"})
    preview = run_module("alicloud_ros_stack", changed, check_mode=True, diff=True)
    assert preview["changed"] is True and "UpdateStack" not in standin.calls()
    assert '"Cidr": "10.1.0.0/16"' in preview["diff"]["before"] and '"Cidr": "10.2.0.0/16"' in preview["diff"]["after"]
    assert standin.stacks()[0]["Status"] == "CREATE_COMPLETE"

    updated = run_module("alicloud_ros_stack", changed, diff=True)
    assert updated["changed"] is True and updated["status"] == "UPDATE_COMPLETE", updated
    assert updated["parameters"]["Cidr"] == "10.2.0.0/16"
    assert run_module("alicloud_ros_stack", changed)["changed"] is False

    template = json.loads(json.dumps(TEMPLATE))
    template["Resources"]["VSwitch"]["Properties"]["CidrBlock"] = "10.0.2.0/24"
    modified = run_module("alicloud_ros_stack", args(standin, "lifecycle", template=template,
                                                     parameters={"Cidr": "10.2.0.0/16"}), check_mode=True)
    assert modified["preview"] == [{"logical_resource_id": "VSwitch", "resource_type": "ALIYUN::ECS::VSwitch",
                                    "action": "Modify"}]

    absent = dict(standin.module_args(name="lifecycle", state="absent"))
    assert run_module("alicloud_ros_stack", absent, check_mode=True)["changed"] is True
    assert len(standin.stacks()) == 1
    deleted = run_module("alicloud_ros_stack", absent)
    assert deleted["changed"] is True and deleted["status"] == "DELETE_COMPLETE", deleted
    assert standin.stacks() == []
    assert run_module("alicloud_ros_stack", absent)["changed"] is False


def test_failure_reports_failed_resources(run_module, standin):
    standin.fail_next("broken", "VSwitch", "InvalidVSwitchCidr: the CIDR is not inside the VPC")
    result = run_module("alicloud_ros_stack", args(standin, "broken"))
    assert result["failed"] is True
    assert result["status"] == "ROLLBACK_COMPLETE"
    assert "VSwitch (ALIYUN::ECS::VSwitch): InvalidVSwitchCidr" in result["msg"]
    assert result["failed_resources"][0]["status"] == "CREATE_FAILED"
    # A stack that failed to create cannot be updated: say so instead of calling UpdateStack.
    again = run_module("alicloud_ros_stack", args(standin, "broken"))
    assert again["failed"] is True and "delete the stack" in again["msg"]


def test_failure_without_rollback(run_module, standin):
    standin.fail_next("kept", "Vpc", "QuotaExceeded.Vpc")
    result = run_module("alicloud_ros_stack", args(standin, "kept", disable_rollback=True))
    assert result["failed"] is True and result["status"] == "CREATE_FAILED"
    assert "QuotaExceeded.Vpc" in result["msg"]


def test_wrong_secret_is_rejected_with_request_id(run_module, standin):
    result = run_module("alicloud_ros_stack", args(standin, "x", access_key_secret="not-the-secret"))
    assert result["failed"] is True
    assert result["error"]["code"] == "SignatureDoesNotMatch" and result["error"]["request_id"]
    assert "not-the-secret" not in json.dumps(result)
    assert standin.stacks() == []


def test_unknown_access_key_is_rejected(run_module, standin):
    result = run_module("alicloud_ros_stack", args(standin, "x", access_key_id="UNKNOWNKEY"))
    assert result["failed"] is True and result["error"]["code"] == "InvalidAccessKeyId.NotFound"


def without_credentials(standin, name):
    base = args(standin, name)
    for key in ("access_key_id", "access_key_secret", "region"):
        base.pop(key)
    return base


def test_credentials_and_region_from_environment(run_module, standin, monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", standin.access_key_id)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", standin.access_key_secret)
    monkeypatch.setenv("ALIBABA_CLOUD_REGION_ID", standin.region)
    result = run_module("alicloud_ros_stack", without_credentials(standin, "from-env"), check_mode=True)
    assert result["changed"] is True and not result.get("failed"), result


def test_credentials_from_profile(run_module, standin, monkeypatch, tmp_path):
    for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_ACCESS_KEY",
                 "ALICLOUD_SECRET_KEY", "ALIBABA_CLOUD_REGION_ID", "ALICLOUD_REGION"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"current": "other", "profiles": [
        {"name": "other", "mode": "AK", "access_key_id": "WRONG", "access_key_secret": "x", "region_id": "cn-beijing"},
        {"name": "streamfleet", "mode": "AK", "access_key_id": standin.access_key_id,
         "access_key_secret": standin.access_key_secret, "region_id": standin.region},
    ]}))
    module_args = without_credentials(standin, "from-profile")
    module_args.update(profile="streamfleet", config_file=str(config))
    result = run_module("alicloud_ros_stack", module_args)
    assert result["changed"] is True and result["status"] == "CREATE_COMPLETE", result


def test_no_credentials_at_all(run_module, standin, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_ACCESS_KEY",
                 "ALICLOUD_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    module_args = without_credentials(standin, "nocreds")
    module_args["region"] = standin.region
    module_args["config_file"] = str(tmp_path / "missing.json")
    result = run_module("alicloud_ros_stack", module_args)
    assert result["failed"] is True and "no Alibaba Cloud credentials" in result["msg"]


def test_invalid_input_fails_before_any_call(run_module, standin):
    bad = args(standin, "bad", parameters={"Nope": "1"})
    result = run_module("alicloud_ros_stack", bad)
    assert result["failed"] is True and "Nope" in result["msg"]
    result = run_module("alicloud_ros_stack", args(standin, "bad", template="Resources: [unclosed"))
    assert result["failed"] is True
    result = run_module("alicloud_ros_stack", args(standin, "bad name!"))
    assert result["failed"] is True and "name must be" in result["msg"]
    assert standin.calls() == []


def test_unreachable_endpoint_reports_error(run_module, standin):
    result = run_module("alicloud_ros_stack", args(standin, "x", endpoint="http://127.0.0.1:9", connect_timeout=2))
    assert result["failed"] is True and result["error"]["action"] == "ListStacks"
