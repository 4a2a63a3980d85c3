#!/usr/bin/env python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""moto's server with the Auto Scaling notification configurations added (a TEST DOUBLE).

    python tests/standins/moto_autoscaling_notifications.py -H 127.0.0.1 -p PORT

moto 5.2.5 answers ``PutNotificationConfiguration``, ``DescribeNotificationConfigurations`` and
``DeleteNotificationConfiguration`` with "not implemented", so ``aws_fleet``'s ``notifications``
(every AWS topology's SNS group events) could not run on the AWS stand-in. This module adds the
three actions to moto's Auto Scaling service and then runs moto's own server unchanged; the
integration tests (``tests/lib/harness.py``) and the sandbox (``scripts/sandbox.sh``) both start
moto through it, so there is one stand-in for both.

Written from the Amazon EC2 Auto Scaling API Reference (Query API, version 2011-01-01):

* ``API_PutNotificationConfiguration.html``: ``AutoScalingGroupName``, ``TopicARN`` and
  ``NotificationTypes.member.N``, all required; "This configuration overwrites any existing
  configuration" (of that topic on that group); more than 10 topics per group fails
  (``LimitExceeded``, HTTP 400). Answer: an empty ``PutNotificationConfigurationResponse``
  with ``ResponseMetadata/RequestId``.
* ``API_DescribeNotificationConfigurations.html``: ``AutoScalingGroupNames.member.N`` (optional;
  none = every group), ``MaxRecords`` (default 50, at most 100), ``NextToken``. Answer:
  ``DescribeNotificationConfigurationsResult/NotificationConfigurations/member`` (one member per
  group, topic and type: ``AutoScalingGroupName``, ``TopicARN``, ``NotificationType``) and
  ``NextToken`` only while more items follow; an invalid token is ``InvalidNextToken`` (400).
  Names of groups that do not exist are left out, as DescribeAutoScalingGroups does.
* ``API_DeleteNotificationConfiguration.html``: ``AutoScalingGroupName`` and ``TopicARN``,
  both required; an empty ``DeleteNotificationConfigurationResponse``.
* ``API_NotificationConfiguration.html`` / ``API_DescribeAutoScalingNotificationTypes.html``: the
  types are ``autoscaling:EC2_INSTANCE_LAUNCH``, ``..._LAUNCH_ERROR``, ``..._TERMINATE``,
  ``..._TERMINATE_ERROR`` and ``autoscaling:TEST_NOTIFICATION``.
* ``CommonErrors.html``: ``ValidationError`` (400) for input the service refuses; here an
  unknown group (moto's own wording for Auto Scaling: "AutoScalingGroup name not found - ..."),
  a missing parameter, an unknown type, a topic ARN that is not an SNS topic of this stand-in.
  Errors are ``ErrorResponse/Error`` (``Type``, ``Code``, ``Message``) plus ``RequestId``,
  serialized by moto like its other Auto Scaling errors.

Where the reference is silent, the stand-in is strict so that tests see the mistake:
``DeleteNotificationConfiguration`` of a topic the group has no configuration for is a
``ValidationError``; ``PutNotificationConfiguration`` to a topic that does not exist in moto's
SNS (same account and region as the ARN says) is a ``ValidationError`` (AWS publishes a test
notification to the topic and fails when it cannot).

Configurations are kept per account and region on moto's Auto Scaling backend, so moto's reset
(``POST /moto-api/reset``) forgets them; deleting a group drops its configurations, as AWS does.

What it cannot show: nothing is delivered. No ``autoscaling:TEST_NOTIFICATION`` is published to
the topic, and launches or terminations of the group's instances publish nothing to SNS.
"""

import base64
import binascii
import functools
import json
import re
import sys
from xml.sax.saxutils import escape

from moto.autoscaling import exceptions as autoscaling_exceptions
from moto.autoscaling import models as autoscaling_models
from moto.autoscaling import responses as autoscaling_responses

try:
    from . import moto_autoscaling_policies
except ImportError:  # run as a script: this folder is on sys.path
    import moto_autoscaling_policies

NAMESPACE = "http://autoscaling.amazonaws.com/doc/2011-01-01/"
NOTIFICATION_TYPES = (
    "autoscaling:EC2_INSTANCE_LAUNCH", "autoscaling:EC2_INSTANCE_LAUNCH_ERROR",
    "autoscaling:EC2_INSTANCE_TERMINATE", "autoscaling:EC2_INSTANCE_TERMINATE_ERROR",
    "autoscaling:TEST_NOTIFICATION",
)
TOPICS_PER_GROUP = 10
MAX_RECORDS_DEFAULT = 50
MAX_RECORDS_LIMIT = 100
SNS_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):(?P<name>[A-Za-z0-9_-]{1,256})$")
# the backend attribute holding {group name: {topic ARN: [types]}}; gone after moto's reset
STORE = "streamfleet_notification_configurations"


class LimitExceededError(autoscaling_exceptions.AutoscalingClientError):
    code = "LimitExceeded"


class InvalidNextTokenError(autoscaling_exceptions.AutoscalingClientError):
    code = "InvalidNextToken"
    message = "The NextToken value is not valid."


def configurations(backend):
    """The notification configurations of one account and region: ``{group: {topic: [types]}}``."""
    store = getattr(backend, STORE, None)
    if store is None:
        store = {}
        setattr(backend, STORE, store)
    return store


def _group_or_error(backend, name):
    if not name:
        raise autoscaling_exceptions.ValidationError(
            "1 validation error detected: Value null at 'autoScalingGroupName' failed to satisfy "
            "constraint: Member must not be null")
    if name not in backend.autoscaling_groups:
        raise autoscaling_exceptions.ValidationError(
            "AutoScalingGroup name not found - AutoScalingGroup '%s' not found" % name)
    return name


def _topic_or_error(topic_arn):
    if not topic_arn:
        raise autoscaling_exceptions.ValidationError(
            "1 validation error detected: Value null at 'topicARN' failed to satisfy constraint: "
            "Member must not be null")
    match = SNS_TOPIC_ARN.match(topic_arn)
    if not match:
        raise autoscaling_exceptions.ValidationError("%s is not a valid SNS topic ARN" % topic_arn)
    return match


def _topic_exists(match, topic_arn):
    from moto.sns.models import sns_backends  # moto's SNS in the same server process
    try:
        return topic_arn in sns_backends[match.group("account")][match.group("region")].topics
    except KeyError:
        return False


def _encode_token(key):
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


def _decode_token(token):
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        raise InvalidNextTokenError()
    if not isinstance(key, list) or len(key) != 3 or not all(isinstance(part, str) for part in key):
        raise InvalidNextTokenError()
    return tuple(key)


def _response(action, result_xml=""):
    # RequestId is filled in by moto (BaseResponse._enrich_response), as for its own answers.
    result = "<%sResult>%s</%sResult>" % (action, result_xml, action) if result_xml is not None else ""
    return ('<%sResponse xmlns="%s">%s<ResponseMetadata><RequestId>request-id</RequestId>'
            '</ResponseMetadata></%sResponse>' % (action, NAMESPACE, result, action))


# ---------------------------------------------------------------- the three actions (responses)
def put_notification_configuration(self):
    backend = self.autoscaling_backend
    group = _group_or_error(backend, self._get_param("AutoScalingGroupName"))
    topic_arn = self._get_param("TopicARN")
    match = _topic_or_error(topic_arn)
    types = self._get_param("NotificationTypes") or []
    if not types:
        raise autoscaling_exceptions.ValidationError(
            "1 validation error detected: Value null at 'notificationTypes' failed to satisfy "
            "constraint: Member must not be null")
    unknown = [t for t in types if t not in NOTIFICATION_TYPES]
    if unknown:
        raise autoscaling_exceptions.ValidationError(
            "Invalid notification types %s; valid: %s" % (", ".join(unknown), ", ".join(NOTIFICATION_TYPES)))
    if not _topic_exists(match, topic_arn):
        raise autoscaling_exceptions.ValidationError(
            "Failed to send test notification to topic %s: the topic does not exist" % topic_arn)
    group_topics = configurations(backend).setdefault(group, {})
    if topic_arn not in group_topics and len(group_topics) >= TOPICS_PER_GROUP:
        raise LimitExceededError("Exceeded the limit of %d SNS topics for AutoScalingGroup %s"
                                 % (TOPICS_PER_GROUP, group))
    group_topics[topic_arn] = sorted(set(types))
    return _response("PutNotificationConfiguration", None)


def describe_notification_configurations(self):
    backend = self.autoscaling_backend
    names = self._get_param("AutoScalingGroupNames") or []
    max_records = self._get_int_param("MaxRecords")
    if max_records is None:
        max_records = MAX_RECORDS_DEFAULT
    if not 1 <= max_records <= MAX_RECORDS_LIMIT:
        raise autoscaling_exceptions.ValidationError(
            "1 validation error detected: Value '%d' at 'maxRecords' failed to satisfy constraint: "
            "Member must have value between 1 and %d" % (max_records, MAX_RECORDS_LIMIT))
    token = self._get_param("NextToken")
    start = _decode_token(token) if token else None
    store = configurations(backend)
    wanted = [n for n in store if n in set(names)] if names else list(store)
    items = sorted((group, topic, kind) for group in wanted for topic, types in store[group].items()
                   for kind in types)
    if start is not None:
        items = [item for item in items if item >= start]
    page, rest = items[:max_records], items[max_records:]
    members = "".join(
        "<member><AutoScalingGroupName>%s</AutoScalingGroupName><TopicARN>%s</TopicARN>"
        "<NotificationType>%s</NotificationType></member>" % (escape(group), escape(topic), escape(kind))
        for group, topic, kind in page)
    result = "<NotificationConfigurations>%s</NotificationConfigurations>" % members
    if rest:
        result += "<NextToken>%s</NextToken>" % _encode_token(rest[0])
    return _response("DescribeNotificationConfigurations", result)


def delete_notification_configuration(self):
    backend = self.autoscaling_backend
    group = _group_or_error(backend, self._get_param("AutoScalingGroupName"))
    topic_arn = self._get_param("TopicARN")
    _topic_or_error(topic_arn)
    group_topics = configurations(backend).get(group, {})
    if topic_arn not in group_topics:
        raise autoscaling_exceptions.ValidationError(
            "No notification configuration for topic %s on AutoScalingGroup %s" % (topic_arn, group))
    del group_topics[topic_arn]
    if not group_topics:
        configurations(backend).pop(group, None)
    return _response("DeleteNotificationConfiguration", None)


ACTIONS = {
    "put_notification_configuration": put_notification_configuration,
    "describe_notification_configurations": describe_notification_configurations,
    "delete_notification_configuration": delete_notification_configuration,
}


def _drop_with_group(method):
    @functools.wraps(method)
    def delete_auto_scaling_group(self, group_name, *args, **kwargs):
        result = method(self, group_name, *args, **kwargs)
        configurations(self).pop(group_name, None)
        return result
    delete_auto_scaling_group.streamfleet_drops_notifications = True
    return delete_auto_scaling_group


def install(setter=setattr):
    """Add the three actions to moto's Auto Scaling (``setter``: pytest's monkeypatch.setattr
    lets a test undo it). Installing twice changes nothing."""
    for name, function in ACTIONS.items():
        setter(autoscaling_responses.AutoScalingResponse, name, function)
    current = autoscaling_models.AutoScalingBackend.delete_auto_scaling_group
    if not getattr(current, "streamfleet_drops_notifications", False):
        setter(autoscaling_models.AutoScalingBackend, "delete_auto_scaling_group", _drop_with_group(current))
    # The other difference from AWS the topologies meet: scaling policies named per group
    moto_autoscaling_policies.install(setter)


def main(argv=None):
    from moto.server import main as moto_main
    install()
    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
