"""The AWS stand-in's Auto Scaling notification configurations (tests/standins/moto_autoscaling_notifications.py).

In-process: moto's mock with the extension installed through monkeypatch (undone after each
test), boto3 as the client, the raw XML answers captured from botocore's after-call event.
The same code runs in the moto server of the integration tests and the sandbox.
"""
import inspect
import xml.etree.ElementTree as ET

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.autoscaling import models as autoscaling_models

from standins import moto_autoscaling_notifications as standin

REGION = "us-east-1"
NS = "{http://autoscaling.amazonaws.com/doc/2011-01-01/}"
LAUNCH = "autoscaling:EC2_INSTANCE_LAUNCH"
TERMINATE = "autoscaling:EC2_INSTANCE_TERMINATE"
LAUNCH_ERROR = "autoscaling:EC2_INSTANCE_LAUNCH_ERROR"
# one session: its loader reads the service models once for every test
SESSION = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing")


def _install(monkeypatch):
    # the three actions are new attributes of moto's class: monkeypatch removes them afterwards
    standin.install(lambda owner, name, value: monkeypatch.setattr(owner, name, value, raising=False))


class Cloud(object):
    def __init__(self, region=REGION):
        self.autoscaling = SESSION.client("autoscaling", region_name=region)
        self.sns = SESSION.client("sns", region_name=region)
        self.raw = {}
        self.autoscaling.meta.events.register("after-call.autoscaling.*", self._keep_raw)
        # groups of size 0: no instance is launched, so no image is looked up (EC2 stays cold)
        self.autoscaling.create_launch_configuration(LaunchConfigurationName="lc", ImageId="ami-00000000",
                                                     InstanceType="t3.micro")

    def _keep_raw(self, http_response, model, **_):
        self.raw[model.name] = ET.fromstring(http_response.content)

    def group(self, name):
        self.autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=name, LaunchConfigurationName="lc", MinSize=0, MaxSize=1,
            AvailabilityZones=[REGION + "a"])
        return name

    def topic(self, name):
        return self.sns.create_topic(Name=name)["TopicArn"]

    def describe(self, **kwargs):
        return [(c["AutoScalingGroupName"], c["TopicARN"].rsplit(":", 1)[1], c["NotificationType"])
                for c in self.autoscaling.describe_notification_configurations(**kwargs)["NotificationConfigurations"]]


@pytest.fixture
def cloud(monkeypatch):
    _install(monkeypatch)
    with mock_aws():
        yield Cloud()


def _error(excinfo):
    error = excinfo.value.response["Error"]
    return error["Code"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"], error["Message"]


def test_answers_have_the_documented_query_xml_shape(cloud):
    group, topic = cloud.group("edges"), cloud.topic("events")
    cloud.autoscaling.put_notification_configuration(AutoScalingGroupName=group, TopicARN=topic,
                                                     NotificationTypes=[TERMINATE, LAUNCH])
    put = cloud.raw["PutNotificationConfiguration"]
    assert put.tag == NS + "PutNotificationConfigurationResponse"
    assert [child.tag for child in put] == [NS + "ResponseMetadata"]
    assert put.find(NS + "ResponseMetadata/" + NS + "RequestId").text

    cloud.autoscaling.describe_notification_configurations(AutoScalingGroupNames=[group])
    answer = cloud.raw["DescribeNotificationConfigurations"]
    assert answer.tag == NS + "DescribeNotificationConfigurationsResponse"
    result = answer.find(NS + "DescribeNotificationConfigurationsResult")
    assert [child.tag for child in result] == [NS + "NotificationConfigurations"]  # no NextToken: all fit
    members = result.findall(NS + "NotificationConfigurations/" + NS + "member")
    assert [[(field.tag[len(NS):], field.text) for field in member] for member in members] == [
        [("AutoScalingGroupName", group), ("TopicARN", topic), ("NotificationType", kind)]
        for kind in (LAUNCH, TERMINATE)]
    assert answer.find(NS + "ResponseMetadata/" + NS + "RequestId").text

    cloud.autoscaling.delete_notification_configuration(AutoScalingGroupName=group, TopicARN=topic)
    delete = cloud.raw["DeleteNotificationConfiguration"]
    assert delete.tag == NS + "DeleteNotificationConfigurationResponse"
    assert [child.tag for child in delete] == [NS + "ResponseMetadata"]
    assert cloud.describe() == []


def test_put_overwrites_the_topics_types_and_describe_filters_by_group(cloud):
    edges, origins = cloud.group("edges"), cloud.group("origins")
    events, alarms = cloud.topic("events"), cloud.topic("alarms")
    put = cloud.autoscaling.put_notification_configuration
    put(AutoScalingGroupName=edges, TopicARN=events, NotificationTypes=[LAUNCH, TERMINATE])
    put(AutoScalingGroupName=edges, TopicARN=events, NotificationTypes=[LAUNCH_ERROR])
    put(AutoScalingGroupName=edges, TopicARN=alarms, NotificationTypes=[LAUNCH])
    put(AutoScalingGroupName=origins, TopicARN=events, NotificationTypes=[TERMINATE, TERMINATE])
    assert cloud.describe(AutoScalingGroupNames=[edges]) == [
        ("edges", "alarms", LAUNCH), ("edges", "events", LAUNCH_ERROR)]
    # names of groups that do not exist are left out; no names: every group
    assert cloud.describe(AutoScalingGroupNames=[origins, "gone"]) == [("origins", "events", TERMINATE)]
    assert cloud.describe() == [("edges", "alarms", LAUNCH), ("edges", "events", LAUNCH_ERROR),
                                ("origins", "events", TERMINATE)]


def test_describe_pages_with_max_records_and_next_token(cloud):
    group = cloud.group("edges")
    for name in ("a", "b"):
        cloud.autoscaling.put_notification_configuration(AutoScalingGroupName=group, TopicARN=cloud.topic(name),
                                                         NotificationTypes=[LAUNCH, TERMINATE])
    first = cloud.autoscaling.describe_notification_configurations(MaxRecords=3)
    assert len(first["NotificationConfigurations"]) == 3 and first["NextToken"]
    second = cloud.autoscaling.describe_notification_configurations(MaxRecords=3, NextToken=first["NextToken"])
    assert "NextToken" not in second
    paged = [(c["TopicARN"][-1], c["NotificationType"])
             for c in first["NotificationConfigurations"] + second["NotificationConfigurations"]]
    assert paged == [("a", LAUNCH), ("a", TERMINATE), ("b", LAUNCH), ("b", TERMINATE)]
    # botocore's paginator (what the modules use) follows the token
    pages = cloud.autoscaling.get_paginator("describe_notification_configurations").paginate(
        PaginationConfig={"PageSize": 1})
    assert sum(len(page["NotificationConfigurations"]) for page in pages) == 4

    with pytest.raises(ClientError) as excinfo:
        cloud.autoscaling.describe_notification_configurations(NextToken="not-a-token")
    assert _error(excinfo)[:2] == ("InvalidNextToken", 400)
    for bad in (0, 101):
        with pytest.raises(ClientError) as excinfo:
            cloud.autoscaling.describe_notification_configurations(MaxRecords=bad)
        assert _error(excinfo)[:2] == ("ValidationError", 400)


def test_documented_errors(cloud):
    group, topic = cloud.group("edges"), cloud.topic("events")
    put = cloud.autoscaling.put_notification_configuration

    with pytest.raises(ClientError) as excinfo:
        put(AutoScalingGroupName="missing", TopicARN=topic, NotificationTypes=[LAUNCH])
    assert _error(excinfo) == ("ValidationError", 400,
                               "AutoScalingGroup name not found - AutoScalingGroup 'missing' not found")
    with pytest.raises(ClientError) as excinfo:
        cloud.autoscaling.delete_notification_configuration(AutoScalingGroupName="missing", TopicARN=topic)
    assert _error(excinfo)[:2] == ("ValidationError", 400)
    # stricter than the reference says: a topic that is not configured, one that does not exist
    with pytest.raises(ClientError) as excinfo:
        cloud.autoscaling.delete_notification_configuration(AutoScalingGroupName=group, TopicARN=topic)
    assert _error(excinfo)[:2] == ("ValidationError", 400)
    with pytest.raises(ClientError) as excinfo:
        put(AutoScalingGroupName=group, TopicARN=topic + "-gone", NotificationTypes=[LAUNCH])
    assert _error(excinfo)[:2] == ("ValidationError", 400)
    for bad_arn in ("events", "arn:aws:sqs:us-east-1:123456789012:events"):
        with pytest.raises(ClientError) as excinfo:
            put(AutoScalingGroupName=group, TopicARN=bad_arn, NotificationTypes=[LAUNCH])
        assert _error(excinfo)[:2] == ("ValidationError", 400)
    with pytest.raises(ClientError) as excinfo:
        put(AutoScalingGroupName=group, TopicARN=topic, NotificationTypes=["autoscaling:EC2_INSTANCE_REBOOT"])
    assert _error(excinfo)[:2] == ("ValidationError", 400)
    assert cloud.describe() == []

    # at most 10 topics per group (the 11th fails; a put to one already configured still works)
    topics = [cloud.topic("t%d" % index) for index in range(11)]
    for arn in topics[:10]:
        put(AutoScalingGroupName=group, TopicARN=arn, NotificationTypes=[LAUNCH])
    with pytest.raises(ClientError) as excinfo:
        put(AutoScalingGroupName=group, TopicARN=topics[10], NotificationTypes=[LAUNCH])
    assert _error(excinfo)[:2] == ("LimitExceeded", 400)
    put(AutoScalingGroupName=group, TopicARN=topics[0], NotificationTypes=[TERMINATE])
    assert len(cloud.describe()) == 10


def test_deleting_the_group_drops_its_configurations(cloud):
    edges, origins, topic = cloud.group("edges"), cloud.group("origins"), cloud.topic("events")
    for group in (edges, origins):
        cloud.autoscaling.put_notification_configuration(AutoScalingGroupName=group, TopicARN=topic,
                                                         NotificationTypes=[LAUNCH])
    cloud.autoscaling.delete_auto_scaling_group(AutoScalingGroupName=edges, ForceDelete=True)
    assert cloud.describe() == [("origins", "events", LAUNCH)]
    cloud.group("edges")  # same name again: starts without configurations
    assert cloud.describe(AutoScalingGroupNames=["edges"]) == []


def test_configurations_are_per_region_and_forgotten_on_reset(monkeypatch):
    _install(monkeypatch)
    with mock_aws():
        east = Cloud()
        east.autoscaling.put_notification_configuration(
            AutoScalingGroupName=east.group("edges"), TopicARN=east.topic("events"), NotificationTypes=[LAUNCH])
        west = Cloud("eu-west-1")
        west.group("edges")
        assert west.describe() == []
        assert east.describe() == [("edges", "events", LAUNCH)]
    with mock_aws():  # a new mock is moto's reset
        cloud = Cloud()
        cloud.group("edges")
        assert cloud.describe() == []


def test_install_twice_wraps_the_group_deletion_once(monkeypatch):
    original = autoscaling_models.AutoScalingBackend.delete_auto_scaling_group
    _install(monkeypatch)
    wrapped = autoscaling_models.AutoScalingBackend.delete_auto_scaling_group
    _install(monkeypatch)
    assert autoscaling_models.AutoScalingBackend.delete_auto_scaling_group is wrapped
    # (the policies' stand-in wraps the deletion too: both once, the original at the bottom)
    assert wrapped is not original and inspect.unwrap(wrapped) is original
