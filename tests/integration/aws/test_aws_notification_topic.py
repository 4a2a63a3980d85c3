"""aws_notification_topic against moto: topic, tags, display name, subscriptions; the fleet notifies it."""
import pytest

DEPLOYMENT = "topictest"
CHANGING_PREFIXES = ("Create", "Delete", "Set", "Subscribe", "Unsubscribe", "Tag", "Untag", "Put")


def changing_calls(result):
    return [name for name in result.get("api_calls", {})
            if name.split(".", 1)[1].startswith(CHANGING_PREFIXES)]


def topic_args(**overrides):
    args = dict(name="ams-scaling", deployment=DEPLOYMENT, display_name="AMS scaling", tags={"team": "video"},
                subscriptions=[dict(protocol="email", endpoint="ops@example.com")])
    args.update(overrides)
    return args


def subscriptions(aws, arn):
    return sorted((s["Protocol"], s["Endpoint"]) for s in
                  aws.sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"])


def test_topic_lifecycle(run_module, aws):
    args = topic_args()
    result = run_module("aws_notification_topic", args, check_mode=True, diff=True)
    assert result["changed"] is True and not changing_calls(result)
    assert result["changes"] == ["create SNS topic ams-scaling", "subscribe email ops@example.com"]
    assert aws.sns.list_topics()["Topics"] == []

    result = run_module("aws_notification_topic", args)
    assert result["changed"] is True, result
    arn = result["topic_arn"]
    assert arn.endswith(":ams-scaling")
    tags = dict((t["Key"], t["Value"]) for t in aws.sns.list_tags_for_resource(ResourceArn=arn)["Tags"])
    assert tags == {"team": "video", "streamfleet:deployment": DEPLOYMENT, "streamfleet:managed-by": "streamfleet.cluster"}
    assert aws.sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"] == "AMS scaling"
    assert subscriptions(aws, arn) == [("email", "ops@example.com")]

    again = run_module("aws_notification_topic", args)
    assert again["changed"] is False, again["changes"]
    assert not changing_calls(again)
    assert set(again["api_calls"]) == {"sns.ListTopics", "sns.ListTagsForResource", "sns.GetTopicAttributes",
                                       "sns.ListSubscriptionsByTopic"}
    assert all(count == 1 for count in again["api_calls"].values())
    # without display_name and subscriptions: two reads only
    bare = run_module("aws_notification_topic", dict(name="ams-scaling", deployment=DEPLOYMENT, tags={"team": "video"}))
    assert bare["changed"] is False and set(bare["api_calls"]) == {"sns.ListTopics", "sns.ListTagsForResource"}

    changed = topic_args(tags={"team": "live"}, purge_tags=True, display_name="Live",
                         subscriptions=[dict(protocol="https", endpoint="https://hooks.example.com/ams")])
    result = run_module("aws_notification_topic", changed, check_mode=True, diff=True)
    assert result["changed"] and not changing_calls(result)
    assert result["diff"]["before"]["subscriptions"] == ["email:ops@example.com"]
    assert result["diff"]["after"]["subscriptions"] == ["https:https://hooks.example.com/ams"]
    result = run_module("aws_notification_topic", changed)
    assert "unsubscribe email ops@example.com" in result["changes"]
    assert subscriptions(aws, arn) == [("https", "https://hooks.example.com/ams")]
    tags = dict((t["Key"], t["Value"]) for t in aws.sns.list_tags_for_resource(ResourceArn=arn)["Tags"])
    assert tags["team"] == "live"
    assert run_module("aws_notification_topic", changed)["changed"] is False

    absent = dict(name="ams-scaling", deployment=DEPLOYMENT, state="absent")
    result = run_module("aws_notification_topic", absent, check_mode=True)
    assert result["changed"] and not changing_calls(result)
    assert run_module("aws_notification_topic", absent)["changed"] is True
    assert aws.sns.list_topics()["Topics"] == []
    assert run_module("aws_notification_topic", absent)["changed"] is False


def test_foreign_topic_is_refused(run_module, aws):
    arn = aws.sns.create_topic(Name="ams-scaling")["TopicArn"]
    result = run_module("aws_notification_topic", topic_args())
    assert result.get("failed") and "does not carry streamfleet:deployment" in result["msg"]
    result = run_module("aws_notification_topic", dict(name="ams-scaling", deployment=DEPLOYMENT, state="absent"))
    assert result.get("failed")
    assert aws.sns.get_topic_attributes(TopicArn=arn)


@pytest.mark.parametrize("overrides, message", [
    (dict(name="ams.fifo"), "1-256 characters"),
    (dict(subscriptions=[dict(protocol="email", endpoint="not-an-address")]), "email address"),
    (dict(subscriptions=[dict(protocol="https", endpoint="http://x.example.com")]), "https://"),
    (dict(subscriptions=[dict(protocol="sqs", endpoint="queue")]), "must be an ARN"),
])
def test_bad_input_changes_nothing(run_module, aws, overrides, message):
    result = run_module("aws_notification_topic", topic_args(**overrides))
    assert result.get("failed") and message in result["msg"], result
    assert aws.sns.list_topics()["Topics"] == []
