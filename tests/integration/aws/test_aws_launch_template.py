"""aws_launch_template against moto: check -> create -> unchanged -> update -> delete."""
import base64

import pytest

DEPLOYMENT = "lt-test"


@pytest.fixture
def args(base_image_id, network):
    return dict(
        name="origin",
        deployment=DEPLOYMENT,
        image_id=base_image_id,
        instance_type="t3.micro",
        security_group_ids=[network["security_group_id"]],
        user_data="#!/bin/sh\necho origin\n",
        block_devices=[dict(device_name="/dev/xvda", volume_size=20, volume_type="gp3")],
        instance_tags=dict(role="origin"),
    )


def versions(aws, name="origin"):
    return aws.ec2.describe_launch_template_versions(LaunchTemplateName=name)["LaunchTemplateVersions"]


def test_lifecycle(run_module, aws, args):
    # check mode: reports the creation, creates nothing
    result = run_module("aws_launch_template", args, check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["version_created"] is True
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["instance_type"] == "t3.micro"
    assert aws.ec2.describe_launch_templates()["LaunchTemplates"] == []

    # create
    result = run_module("aws_launch_template", args)
    assert result["changed"] is True, result
    assert result["default_version"] == result["latest_version"] == 1
    template_id = result["launch_template_id"]
    template = aws.ec2.describe_launch_templates(LaunchTemplateIds=[template_id])["LaunchTemplates"][0]
    tags = {t["Key"]: t["Value"] for t in template["Tags"]}
    assert tags["streamfleet:deployment"] == DEPLOYMENT
    assert tags["streamfleet:managed-by"] == "streamfleet.cluster"
    data = versions(aws)[0]["LaunchTemplateData"]
    assert base64.b64decode(data["UserData"]).decode() == "#!/bin/sh\necho origin\n"
    # user data may carry credentials: never in the result or the diff, only its digest
    assert "echo origin" not in str(result)
    assert result["launch_template_data"]["user_data_sha256"]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    instance_tags = {t["Key"]: t["Value"] for spec in data["TagSpecifications"]
                     if spec["ResourceType"] == "instance" for t in spec["Tags"]}
    assert instance_tags["role"] == "origin"
    assert instance_tags["streamfleet:deployment"] == DEPLOYMENT

    # re-run: unchanged, no version added
    result = run_module("aws_launch_template", args)
    assert result["changed"] is False, result
    assert result["version_created"] is False
    assert len(versions(aws)) == 1
    # the calls of a no-op run (docs/aws-modules.md lists them)
    # (image, groups and key pair are checked only when something is about to be written)
    # (its tags come with DescribeLaunchTemplates: no DescribeTags while they are the wanted ones)
    assert result["api_calls"] == {
        "ec2.DescribeLaunchTemplates": 1,          # find by name, with the template's tags
        "ec2.DescribeLaunchTemplateVersions": 1,   # the default version's data
    }

    # check-mode update: reports a new version, adds none
    updated = dict(args, instance_type="c5.xlarge")
    result = run_module("aws_launch_template", updated, check_mode=True, diff=True)
    assert result["changed"] is True and result["version_created"] is True
    assert result["latest_version"] == 2
    assert result["diff"]["before"]["instance_type"] == "t3.micro"
    assert result["diff"]["after"]["instance_type"] == "c5.xlarge"
    assert len(versions(aws)) == 1

    # update: version 2 carries the full data and becomes the default
    result = run_module("aws_launch_template", updated)
    assert result["changed"] is True
    assert result["default_version"] == result["latest_version"] == 2
    data = aws.ec2.describe_launch_template_versions(
        LaunchTemplateName="origin", Versions=["$Default"])["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert data["InstanceType"] == "c5.xlarge"
    assert data["UserData"] and data["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] == 20
    assert run_module("aws_launch_template", updated)["changed"] is False

    # going back to the old content makes a new version (the default one differs)
    result = run_module("aws_launch_template", args)
    assert result["changed"] is True and result["default_version"] == 3

    # delete: check mode first, then for real; nothing tagged is left
    result = run_module("aws_launch_template", dict(name="origin", state="absent"), check_mode=True)
    assert result["changed"] is True
    assert len(aws.ec2.describe_launch_templates()["LaunchTemplates"]) == 1
    result = run_module("aws_launch_template", dict(name="origin", state="absent"))
    assert result["changed"] is True
    assert aws.ec2.describe_launch_templates()["LaunchTemplates"] == []
    assert aws.tagged(DEPLOYMENT) == []
    assert run_module("aws_launch_template", dict(name="origin", state="absent"))["changed"] is False


def test_latest_version_reused_as_default(run_module, aws, args):
    run_module("aws_launch_template", args)
    run_module("aws_launch_template", dict(args, instance_type="c5.large"))
    aws.ec2.modify_launch_template(LaunchTemplateName="origin", DefaultVersion="1")
    result = run_module("aws_launch_template", dict(args, instance_type="c5.large"))
    assert result["changed"] is True
    assert result["version_created"] is False
    assert result["default_version"] == 2
    assert len(versions(aws)) == 2


def test_tags_and_public_ip_update_in_place(run_module, aws, args, network):
    run_module("aws_launch_template", args)
    # `tags` go on the template and on what it launches, so they make a new version too
    result = run_module("aws_launch_template", dict(args, tags=dict(team="video")))
    assert result["changed"] is True and result["version_created"] is True
    assert result["tags"]["team"] == "video"
    template_id = result["launch_template_id"]
    tags = aws.ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [template_id]}])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags}["team"] == "video"
    # moto still lists the creation tags in DescribeLaunchTemplates (AWS the current ones): the
    # difference is confirmed with DescribeTags, which finds nothing to change
    result = run_module("aws_launch_template", dict(args, tags=dict(team="video")))
    assert result["changed"] is False, result["changes"]
    assert result["api_calls"]["ec2.DescribeTags"] == 1
    result = run_module("aws_launch_template", dict(args, tags=dict(team="video"), associate_public_ip_address=True))
    assert result["version_created"] is True and result["default_version"] == 3
    data = aws.ec2.describe_launch_template_versions(
        LaunchTemplateName="origin", Versions=["$Default"])["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert data["NetworkInterfaces"][0]["AssociatePublicIpAddress"] is True
    assert data["NetworkInterfaces"][0]["Groups"] == [network["security_group_id"]]
    assert "SecurityGroupIds" not in data


def test_other_deployments_template_is_refused(run_module, aws, args, base_image_id):
    # tagged after creation: on moto only DescribeTags shows the tag, so this covers the confirmation
    template_id = aws.ec2.create_launch_template(LaunchTemplateName="origin", LaunchTemplateData={
        "ImageId": base_image_id})["LaunchTemplate"]["LaunchTemplateId"]
    aws.ec2.create_tags(Resources=[template_id], Tags=[{"Key": "streamfleet:deployment", "Value": "other"}])
    result = run_module("aws_launch_template", args)
    assert result.get("failed") is True, result
    assert "belongs to deployment other" in result["msg"]
    assert len(versions(aws)) == 1
    aws.ec2.delete_launch_template(LaunchTemplateId=template_id)


@pytest.mark.parametrize("change, message", [
    (dict(image_id="ami-0000000000deadbee"), "does not exist"),
    (dict(security_group_ids=["sg-0000000000deadbee"]), "security_group_ids"),
    (dict(key_name="nobody"), "key_name nobody does not exist"),
    (dict(user_data="x" * 20000), "at most 16384"),
    (dict(block_devices=[dict(device_name="/dev/xvda"), dict(device_name="/dev/xvda")]), "twice"),
    (dict(metadata_options=dict(http_put_response_hop_limit=100)), "http_put_response_hop_limit"),
])
def test_bad_input_fails_before_any_change(run_module, aws, args, change, message):
    result = run_module("aws_launch_template", dict(args, **change))
    assert result.get("failed") is True, result
    assert message in result["msg"]
    assert aws.ec2.describe_launch_templates()["LaunchTemplates"] == []
    assert not any(call.split(".")[1].startswith(("Create", "Modify", "Delete")) for call in result["api_calls"])


def test_missing_deployment_is_rejected(run_module, args):
    args.pop("deployment")
    result = run_module("aws_launch_template", args)
    assert result["failed"] is True and "deployment" in result["msg"]


def test_playbook(playbook, aws, args):
    task = {"streamfleet.cluster.aws_launch_template": args}
    results = playbook.run([dict(task, name="create"), dict(task, name="again"),
                            {"name": "remove", "streamfleet.cluster.aws_launch_template":
                             {"name": "origin", "state": "absent"}}], diff=True)
    assert [r["changed"] for r in results] == [True, False, True]
    assert results[0]["launch_template_id"].startswith("lt-")
    assert results[1]["api_calls"]["ec2.DescribeLaunchTemplates"] == 1
    assert aws.tagged(DEPLOYMENT) == []


def test_detailed_monitoring_is_a_new_version_once(run_module, aws, args):
    """Issue 17: 1-minute metrics for alarms on 60 s periods; off (the seeds') writes no Monitoring key."""
    result = run_module("aws_launch_template", args)
    assert "Monitoring" not in versions(aws)[0]["LaunchTemplateData"]
    # the option's default (false) leaves a template written before it existed as it is
    assert run_module("aws_launch_template", dict(args, detailed_monitoring=False))["changed"] is False

    monitored = dict(args, detailed_monitoring=True)
    result = run_module("aws_launch_template", monitored, check_mode=True, diff=True)
    assert result["changed"] is True and result["version_created"] is True
    assert result["diff"]["after"]["monitoring"] == {"enabled": True}
    assert len(versions(aws)) == 1
    result = run_module("aws_launch_template", monitored)
    assert result["changed"] is True and result["default_version"] == 2
    latest = [v for v in versions(aws) if v["VersionNumber"] == 2][0]
    assert latest["LaunchTemplateData"]["Monitoring"] == {"Enabled": True}
    assert run_module("aws_launch_template", monitored)["changed"] is False
    # IMDSv2 stays required unless the task says otherwise
    assert latest["LaunchTemplateData"]["MetadataOptions"]["HttpTokens"] == "required"


def test_several_templates_in_one_task(run_module, aws, args):
    """Issue 20: one task (one process, one set of clients) for every template of a kind; the
    shared options are the task's, each entry sets what differs."""
    shared = dict((k, v) for k, v in args.items() if k not in ("name", "instance_tags", "user_data"))
    entries = [dict(name="origin", instance_tags=dict(role="origin"), user_data="#!/bin/sh\necho origin-secret\n"),
               dict(name="edge", instance_type="t3.small", instance_tags=dict(role="edge"),
                    user_data="#!/bin/sh\necho edge-secret\n")]
    plan = run_module("aws_launch_template", dict(shared, templates=entries), check_mode=True, diff=True)
    assert plan["changed"] is True and [r["version_created"] for r in plan["results"]] == [True, True]
    assert len(plan["diff"]) == 2 and plan["diff"][1]["after"]["instance_type"] == "t3.small"
    assert aws.ec2.describe_launch_templates()["LaunchTemplates"] == []

    created = run_module("aws_launch_template", dict(shared, templates=entries))
    assert created["changed"] is True
    assert [r["launch_template_name"] for r in created["results"]] == ["origin", "edge"]
    assert [r["changed"] for r in created["results"]] == [True, True]
    assert versions(aws, "edge")[0]["LaunchTemplateData"]["InstanceType"] == "t3.small"
    assert versions(aws, "origin")[0]["LaunchTemplateData"]["InstanceType"] == "t3.micro"
    assert "origin-secret" not in str(created) and "edge-secret" not in str(created)

    again = run_module("aws_launch_template", dict(shared, templates=entries))
    assert again["changed"] is False and [r["changed"] for r in again["results"]] == [False, False]
    # two calls per template, as for one template alone
    assert again["api_calls"] == {"ec2.DescribeLaunchTemplates": 2, "ec2.DescribeLaunchTemplateVersions": 2}


@pytest.mark.parametrize("entries, message", [
    ([dict(name="one"), dict(name="two", bogus=1)], "templates[1]: bogus. Supported parameters include"),
    ([dict(name="one"), dict(instance_type="t3.micro")], "templates[1]: missing required arguments: name"),
    ([dict(name="one"), "two"], "templates"),
    ([dict(name="one"), dict(name="two", state="gone")], "templates[1]: value of state must be one of"),
    ([dict(name="one"), dict(name="two", block_devices=[dict(volume_size=3)])], "templates[1]: missing required arguments: device_name"),
])
def test_bad_entry_fails_before_any_call(run_module, aws, args, entries, message):
    shared = dict((k, v) for k, v in args.items() if k != "name")
    result = run_module("aws_launch_template", dict(shared, templates=entries))
    assert result.get("failed") is True, result
    assert message in result["msg"]
    assert result.get("api_calls", {}) == {}


def test_entry_without_image_fails_before_any_call(run_module, aws, args):
    shared = dict((k, v) for k, v in args.items() if k not in ("name", "image_id"))
    result = run_module("aws_launch_template", dict(shared, templates=[dict(name="one", image_id=args["image_id"]),
                                                                       dict(name="two")]))
    assert result.get("failed") is True
    assert "templates[1]: state is present but all of the following are missing: image_id" in result["msg"]
    assert result["api_calls"] == {}


def test_name_and_templates_exclude_each_other(run_module, args):
    result = run_module("aws_launch_template", dict(args, templates=[dict(name="b")]))
    assert result.get("failed") is True and "mutually exclusive" in result["msg"]


def test_entry_secrets_are_masked(run_module, aws, args):
    """user_data of an entry is no_log as the task's own: a failure echoing it shows it masked."""
    shared = dict((k, v) for k, v in args.items() if k not in ("name", "user_data"))
    result = run_module("aws_launch_template", dict(shared, templates=[dict(name="one", user_data="hush-hush-1234",
                                                                            bogus=1)]))
    assert result.get("failed") is True
    assert "hush-hush-1234" not in str(result)


def test_failing_entry_names_what_converged_before_it(run_module, aws, args):
    shared = dict((k, v) for k, v in args.items() if k != "name")
    result = run_module("aws_launch_template", dict(shared, templates=[
        dict(name="origin"), dict(name="edge", image_id="ami-0000000000deadbee")]))
    assert result.get("failed") is True
    assert result["msg"].startswith("Launch template edge: ")
    assert "does not exist" in result["msg"] and "(entries converged before it: origin (changed))" in result["msg"]
    assert [r["launch_template_name"] for r in result["results"]] == ["origin"]
    assert [t["LaunchTemplateName"] for t in aws.ec2.describe_launch_templates()["LaunchTemplates"]] == ["origin"]
