"""module_utils/aws/launch_template.py: which calls read a template's tags (issue 20)."""
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws import launch_template as lt

WANTED = {"streamfleet:deployment": "live", "streamfleet:managed-by": "streamfleet.cluster"}


class RecordingEC2(object):
    def __init__(self, tags_now):
        self.tags_now = tags_now
        self.calls = []

    def describe_tags(self, aws_retry, Filters):
        self.calls.append(("describe_tags", Filters))
        return {"Tags": [{"Key": k, "Value": v, "ResourceId": "lt-1"} for k, v in sorted(self.tags_now.items())]}


class FakeModule(object):
    def __init__(self, purge_tags=False):
        self.params = {"purge_tags": purge_tags}

    def fail_aws(self, exc, msg):
        raise AssertionError(msg)


def template(tags):
    return {"LaunchTemplateId": "lt-1", "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}


def test_listed_tags_that_are_wanted_need_no_describe_tags():
    ec2 = RecordingEC2(tags_now={"other": "x"})
    assert lt.current_template_tags(FakeModule(), ec2, template(WANTED), WANTED) == WANTED
    assert ec2.calls == []
    # extra tags are no change without purge_tags either
    listed = dict(WANTED, team="video")
    assert lt.current_template_tags(FakeModule(), ec2, template(listed), WANTED) == listed
    assert ec2.calls == []


def test_differing_tags_are_confirmed_with_describe_tags():
    now = dict(WANTED, team="video")
    for listed, purge in (({}, False), (dict(WANTED, **{"streamfleet:deployment": "other"}), False),
                          (dict(WANTED, team="video"), True)):
        ec2 = RecordingEC2(tags_now=now)
        assert lt.current_template_tags(FakeModule(purge), ec2, template(listed), WANTED) == now
        assert ec2.calls == [("describe_tags", [{"Name": "resource-id", "Values": ["lt-1"]}])]
