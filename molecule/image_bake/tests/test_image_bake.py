"""The baked builder host (testinfra) and the image baked from its paired emulator instance."""
import boto3
import pytest

testinfra_hosts = ["sf-bake-builder"]
HOME = "/usr/local/FlashphonerWebCallServer"


def settings(content):
    """(key, value) of each setting line, however the file spaces its separator."""
    found = []
    for line in content.splitlines():
        if line.strip() and not line.lstrip().startswith(("#", "!")) and "=" in line:
            key, value = line.split("=", 1)
            found.append((key.strip(), value.strip()))
    return found


def test_server_installed_configured_and_stopped(host):
    props = settings(host.file(HOME + "/conf/flashphoner.properties").content_string)
    assert props.count(("cdn_role", "edge")) == 1
    assert props.count(("cdn_point_of_entry", "10.99.0.10")) == 1
    assert len([key for key, _value in props if key == "cdn_role"]) == 1
    service = host.service("webcallserver")
    assert service.is_enabled  # instances start it at boot
    assert not service.is_running  # nothing ran to write per-instance state into the image


def test_per_instance_state_removed(host):
    assert host.file("/etc/machine-id").size == 0
    logs = host.file(HOME + "/logs")
    if logs.exists:
        assert host.check_output("find %s/logs -type f | wc -l" % HOME).strip() == "0"


@pytest.fixture(scope="module")
def ec2():
    return boto3.client("ec2")


def test_image_baked_tagged_and_used_by_the_template(ec2):
    images = ec2.describe_images(Owners=["self"], Filters=[
        {"Name": "tag:streamfleet:deployment", "Values": ["bake-test"]}])["Images"]
    assert len(images) == 1, images
    tags = {t["Key"]: t["Value"] for t in images[0]["Tags"]}
    assert any("wcs" in value for value in tags.values()), tags
    template = ec2.describe_launch_template_versions(LaunchTemplateName="wcs-edge", Versions=["$Default"])
    assert template["LaunchTemplateVersions"][0]["LaunchTemplateData"]["ImageId"] == images[0]["ImageId"]


def test_launched_builder_terminated(ec2):
    reservations = ec2.describe_instances(Filters=[
        {"Name": "tag:Name", "Values": ["bake-test-wcs-builder"]}])["Reservations"]
    states = [i["State"]["Name"] for r in reservations for i in r["Instances"]]
    assert states == ["terminated"], states  # launched once (idempotence launched none), then terminated
