"""Pure helpers of module_utils/aws/rollout.py: state tag, batches, launched version."""
import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.rollout import (
    RolloutError,
    decode_state,
    encode_state,
    instance_version,
    plan_batches,
)


def test_state_tag_round_trip():
    value = encode_state(dict(min=1, max=3, desired=3), ["AZRebalance", "AlarmNotification"])
    assert value == "min=1;max=3;desired=3;suspended=AZRebalance,AlarmNotification"
    assert decode_state(value) == (dict(min=1, max=3, desired=3), ["AZRebalance", "AlarmNotification"])
    assert decode_state(encode_state(dict(min=0, max=2, desired=1), [])) == (dict(min=0, max=2, desired=1), [])


@pytest.mark.parametrize("value", [None, "", "someone else's tag", "min=1;max=x;desired=2", "min=1;desired=2"])
def test_foreign_state_tag_is_ignored(value):
    assert decode_state(value) is None


def test_batches():
    assert plan_batches(["a", "b", "c"], 1) == [["a"], ["b"], ["c"]]
    assert plan_batches(["a", "b", "c"], 2) == [["a", "b"], ["c"]]
    assert plan_batches(["a"], 5) == [["a"]]
    assert plan_batches([], 2) == []
    with pytest.raises(RolloutError):
        plan_batches(["a"], 0)


def test_version_from_ec2_tags_wins_over_the_group_view():
    group_view = {"LaunchTemplate": {"LaunchTemplateId": "lt-1", "Version": "2"}}
    tags = {"aws:ec2launchtemplate:id": "lt-1", "aws:ec2launchtemplate:version": "1"}
    assert instance_version(group_view, tags) == ("lt-1", "1")
    assert instance_version(group_view, {}) == ("lt-1", "2")
    assert instance_version({}, {}) == (None, None)
