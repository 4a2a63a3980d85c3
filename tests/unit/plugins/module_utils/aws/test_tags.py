"""Unit tests for module_utils/aws/tags.py."""
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws import tags as aws


# --- tags ---------------------------------------------------------------------------------------

def test_tag_list_round_trip():
    tags = {"b": "2", "a": 1, "c": None}
    as_list = aws.boto3_tag_list(tags)
    assert as_list == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}, {"Key": "c", "Value": ""}]
    assert aws.tag_dict(as_list) == {"a": "1", "b": "2", "c": ""}
    assert aws.boto3_tag_list({"x": "y"}, "key", "value") == [{"key": "x", "value": "y"}]
    assert aws.tag_dict([{"key": "x", "value": "y"}]) == {"x": "y"}
    assert aws.tag_dict([{"TagKey": "x", "TagValue": "y"}]) == {"x": "y"}


def test_tag_changes():
    current = {"keep": "1", "change": "old", "extra": "x", "aws:cloudformation:stack": "s"}
    desired = {"keep": "1", "change": "new", "add": 5}
    assert aws.tag_changes(current, desired) == ({"change": "new", "add": "5"}, [])
    assert aws.tag_changes(current, desired, purge=True) == ({"change": "new", "add": "5"}, ["extra"])
    assert aws.tag_changes({"add": "5"}, {"add": 5}) == ({}, [])


def test_ec2_filters():
    assert aws.ec2_filters({"tag:a": "b", "state": ["x", "y"]}) == [
        {"Name": "state", "Values": ["x", "y"]}, {"Name": "tag:a", "Values": ["b"]}]
