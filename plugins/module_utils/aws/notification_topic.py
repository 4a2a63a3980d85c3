# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SNS topics for the notifications of Auto Scaling groups and their alarms
(``aws_notification_topic``): the topic, its tags, display name and subscriptions.

A topic is found by name (ListTopics) and is the deployment's when it carries
``streamfleet:deployment``; one of another deployment, or untagged, is refused, never adopted.
Subscriptions and the display name are read only when the task declares them, so a no-op run
costs ListTopics and ListTagsForResource (plus one read per declared kind).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.converger import ConvergeError, Converger
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.tags import (
    boto3_tag_list,
    tag_changes,
    tag_dict,
)

# CreateTopic, Amazon SNS API Reference: names of 1-256 characters of A-Z a-z 0-9 - _
# (FIFO topics end in .fifo; Auto Scaling and CloudWatch alarms publish to standard topics only).
TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# Subscribe: the protocols a person or a system reads notifications with (no firehose/lambda
# roles needed for these).
PROTOCOLS = ("email", "email-json", "http", "https", "sqs", "lambda", "sms", "application")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# SubscriptionArn of a subscription that is not confirmed yet: it cannot be unsubscribed.
PENDING = ("PendingConfirmation", "pending confirmation", "Deleted")


class TopicError(ConvergeError):
    """Invalid task input or a topic the module refuses to change; nothing was changed."""


def validate(params):
    """Check the task without calling AWS; raise TopicError listing every problem."""
    errors = []
    if not TOPIC_NAME.match(params.get("name") or ""):
        errors.append("name must be 1-256 characters of A-Z a-z 0-9 - _ (a standard topic; Auto Scaling "
                      "and CloudWatch alarms cannot publish to FIFO topics), not %r" % params.get("name"))
    seen = set()
    for index, item in enumerate(params.get("subscriptions") or []):
        where = "subscriptions[%d]" % index
        protocol, endpoint = item.get("protocol"), item.get("endpoint") or ""
        if (protocol, endpoint) in seen:
            errors.append("%s: %s %s declared twice" % (where, protocol, endpoint))
        seen.add((protocol, endpoint))
        if not endpoint:
            errors.append("%s.endpoint is required" % where)
        elif protocol in ("email", "email-json") and not EMAIL.match(endpoint):
            errors.append("%s.endpoint must be an email address for protocol %s, not %r" % (where, protocol, endpoint))
        elif protocol in ("http", "https") and not endpoint.startswith(protocol + "://"):
            errors.append("%s.endpoint must start with %s:// for protocol %s" % (where, protocol, protocol))
        elif protocol in ("sqs", "lambda", "application") and not endpoint.startswith("arn:"):
            errors.append("%s.endpoint must be an ARN for protocol %s" % (where, protocol))
    if errors:
        raise TopicError("; ".join(errors))


def subscription_key(item):
    return (item["protocol"], item["endpoint"])


class NotificationTopicConverger(Converger):
    """Converges one SNS topic; records every (would-be) change."""
    input_rules = "aws_notification_topic"  # validation.INPUT_RULES, checked before validate()

    error = TopicError

    def describe(self):
        return "SNS topic %s" % self.params["name"]

    def validate(self):
        validate(self.params)

    @property
    def sns(self):
        return self.client("sns")

    def find_topic(self):
        """ARN of the topic named ``name`` in the region, or None (one ListTopics page per 100 topics)."""
        suffix = ":" + self.params["name"]
        for topic in self.sns.paginate("list_topics", "Topics"):
            if topic["TopicArn"].endswith(suffix):
                return topic["TopicArn"]
        return None

    def read(self):
        self.arn = self.find_topic()
        self.tags = {}
        if self.arn:
            self.tags = tag_dict(self.sns.list_tags_for_resource(aws_retry=True, ResourceArn=self.arn).get("Tags"))

    def apply(self):
        if self.params["state"] == "absent":
            self._absent()
        else:
            self._present()
        self.result.update(topic_arn=self.arn, name=self.params["name"])

    # ------------------------------------------------------------------ present
    def _present(self):
        name = self.params["name"]
        wanted_tags = self.deployment_tags()
        declared = self.params.get("subscriptions")
        display = self.params.get("display_name")
        self.after = dict(name=name, tags=dict(wanted_tags))
        if display is not None:
            self.after["display_name"] = display
        if declared is not None:
            self.after["subscriptions"] = sorted("%s:%s" % subscription_key(s) for s in declared)
        if self.arn is None:
            self.before = {}
            attributes = {"DisplayName": display} if display else {}
            if self.change("create SNS topic %s" % name):
                self.arn = self.sns.create_topic(aws_retry=True, Name=name, Attributes=attributes,
                                                 Tags=boto3_tag_list(wanted_tags))["TopicArn"]
            for item in declared or []:
                if self.change("subscribe %s %s" % subscription_key(item)) and self.arn:
                    self._subscribe(item)
            self.result["tags"] = wanted_tags
            self.result["subscriptions"] = self._subscriptions_result(declared or [], [])
            return
        self.refuse_foreign("SNS topic", name, self.tags)
        self.before = dict(name=name, tags=dict(self.tags))
        to_set, to_unset = tag_changes(self.tags, wanted_tags, purge=self.params.get("purge_tags"))
        if to_set and self.change("tag topic %s" % sorted(to_set)):
            self.sns.tag_resource(aws_retry=True, ResourceArn=self.arn, Tags=boto3_tag_list(to_set))
        if to_unset and self.change("untag topic %s" % to_unset):
            self.sns.untag_resource(aws_retry=True, ResourceArn=self.arn, TagKeys=to_unset)
        final_tags = dict((k, v) for k, v in self.tags.items() if k not in to_unset)
        final_tags.update(to_set)
        self.after["tags"] = final_tags
        self.result["tags"] = final_tags
        if display is not None:
            current = self.sns.get_topic_attributes(aws_retry=True, TopicArn=self.arn)["Attributes"].get("DisplayName", "")
            self.before["display_name"] = current
            if current != display and self.change("set display name %r" % display):
                self.sns.set_topic_attributes(aws_retry=True, TopicArn=self.arn, AttributeName="DisplayName",
                                              AttributeValue=display)
        if declared is None:
            return  # not declared: the subscriptions are left alone (and not read)
        current = list(self.sns.paginate("list_subscriptions_by_topic", "Subscriptions", TopicArn=self.arn))
        have = dict(((s["Protocol"], s["Endpoint"]), s) for s in current)
        self.before["subscriptions"] = sorted("%s:%s" % key for key in have)
        wanted = set(subscription_key(s) for s in declared)
        pending_left = []
        for key in sorted(set(have) - wanted):
            arn = have[key].get("SubscriptionArn")
            if arn in PENDING or not (arn or "").startswith("arn:"):
                pending_left.append("%s:%s" % key)  # SNS removes unconfirmed ones itself after 3 days
                continue
            if self.change("unsubscribe %s %s" % key):
                self.sns.unsubscribe(aws_retry=True, SubscriptionArn=arn)
        for item in declared:
            if subscription_key(item) not in have and self.change("subscribe %s %s" % subscription_key(item)):
                self._subscribe(item)
        if pending_left:
            self.result["pending_not_removed"] = pending_left
        self.result["subscriptions"] = self._subscriptions_result(declared, current)

    def _subscribe(self, item):
        # Subscribe with the same protocol and endpoint returns the existing subscription: idempotent
        self.sns.subscribe(aws_retry=True, TopicArn=self.arn, Protocol=item["protocol"], Endpoint=item["endpoint"],
                           ReturnSubscriptionArn=True)

    @staticmethod
    def _subscriptions_result(declared, current):
        states = dict(((s["Protocol"], s["Endpoint"]), s.get("SubscriptionArn")) for s in current)
        result = []
        for item in declared:
            arn = states.get(subscription_key(item))
            result.append(dict(protocol=item["protocol"], endpoint=item["endpoint"],
                               confirmed=bool(arn and arn.startswith("arn:"))))
        return result

    # ------------------------------------------------------------------ absent
    def _absent(self):
        if self.arn is None:
            return
        self.refuse_foreign("SNS topic", self.params["name"], self.tags)
        self.before = dict(name=self.params["name"], tags=dict(self.tags))
        # DeleteTopic removes the subscriptions with the topic
        if self.change("delete SNS topic %s" % self.params["name"]):
            self.sns.delete_topic(aws_retry=True, TopicArn=self.arn)
