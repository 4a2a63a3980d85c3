#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: aws_notification_topic
short_description: SNS topic with its subscriptions for Auto Scaling and alarm notifications
version_added: 0.3.0
description:
  - Creates, converges and removes one standard SNS topic named O(name), its tags, display name
    and subscriptions, for the group notifications and alarm actions of
    M(streamfleet.cluster.aws_fleet) (O(streamfleet.cluster.aws_fleet#module:notifications),
    O(streamfleet.cluster.aws_fleet#module:alarm_topics)).
  - The topic is found by name in the region and belongs to the deployment when it carries the
    C(streamfleet:deployment) tag; a topic of that name without it is refused, never adopted (use
    an existing topic by giving its ARN to M(streamfleet.cluster.aws_fleet) directly).
  - Subscriptions are converged only when O(subscriptions) is given (then it is the complete set;
    V([]) removes them all); omitted, they are left alone and not read. An email subscription
    stays C(PendingConfirmation) until its recipient confirms; unconfirmed subscriptions cannot be
    removed through the API (SNS drops them after three days), the result lists them.
  - Names, protocols and endpoints are checked before any call.
  - O(state=absent) deletes the topic with its subscriptions.
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.aws
  - streamfleet.cluster.tags
attributes:
  check_mode:
    support: full
    description: Reports what would change without calling any SNS operation that changes something.
  diff_mode:
    support: full
    description: Shows the topic's tags, display name and subscriptions before and after.
options:
  name:
    description: Topic name, 1-256 characters of C(A-Z a-z 0-9 - _) (a standard topic, not FIFO).
    type: str
    required: true
  state:
    description: V(present) creates or converges the topic, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  deployment:
    description: The deployment the topic belongs to (value of the C(streamfleet:deployment) tag).
    type: str
    required: true
  display_name:
    description: Display name (the sender name of SMS and email notifications). Omit to leave it as it is.
    type: str
  subscriptions:
    description:
      - Who receives the notifications, matched by protocol and endpoint.
      - Omit to leave the subscriptions alone.
    type: list
    elements: dict
    suboptions:
      protocol:
        description: Delivery protocol.
        type: str
        required: true
        choices: [email, email-json, http, https, sqs, lambda, sms, application]
      endpoint:
        description: Email address, URL, phone number or ARN, as the protocol needs.
        type: str
        required: true
notes:
  - moto, the local stand-in of the tests, confirms email subscriptions at once.
  - The topic keeps SNS's default access policy, which lets Auto Scaling (through its
    service-linked role) and CloudWatch alarms of the same account publish.
'''

EXAMPLES = r'''
- name: Topic for the group events and scaling alarms of the Ant Media cluster
  streamfleet.cluster.aws_notification_topic:
    name: ams-prod-scaling
    deployment: ams-prod
    display_name: AMS scaling
    subscriptions:
      - {protocol: email, endpoint: ops@example.com}
    tags: {team: video}
  register: scaling_topic

- name: Edge group notifies the topic
  streamfleet.cluster.aws_fleet:
    name: ams-edge
    deployment: ams-prod
    launch_template: {name: ams-edge}
    subnets: "{{ subnet_ids }}"
    min_size: 2
    max_size: 10
    notifications:
      - topic: "{{ scaling_topic.topic_arn }}"
    alarm_topics: ["{{ scaling_topic.topic_arn }}"]

- name: Remove the topic and its subscriptions
  streamfleet.cluster.aws_notification_topic:
    name: ams-prod-scaling
    deployment: ams-prod
    state: absent
'''

RETURN = r'''
topic_arn:
  description: ARN of the topic (V(null) in check mode before it exists, and after O(state=absent)).
  returned: always
  type: str
  sample: arn:aws:sns:us-east-1:123456789012:ams-prod-scaling
name:
  description: Topic name.
  returned: always
  type: str
  sample: ams-prod-scaling
tags:
  description: The topic's tags after the run.
  returned: when O(state=present)
  type: dict
  sample: {"streamfleet:deployment": ams-prod, "streamfleet:managed-by": streamfleet.cluster, team: video}
subscriptions:
  description: The declared subscriptions; C(confirmed) as read before the run.
  returned: when O(state=present)
  type: list
  elements: dict
  sample: [{protocol: email, endpoint: ops@example.com, confirmed: false}]
pending_not_removed:
  description: Undeclared subscriptions still waiting for confirmation, which SNS does not let the module remove.
  returned: when there are some
  type: list
  elements: str
  sample: ["email:old@example.com"]
changes:
  description: What the module changed (or would change in check mode), one line each.
  returned: always
  type: list
  elements: str
  sample: ["create SNS topic ams-prod-scaling", "subscribe email ops@example.com"]
api_calls:
  description: Number of AWS calls made, per service.Operation.
  returned: always
  type: dict
  sample: {sns.ListTopics: 1, sns.ListTagsForResource: 1}
'''

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.notification_topic import (
    PROTOCOLS,
    NotificationTopicConverger,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.session import StreamfleetAWSModule
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import module_edge


def argument_spec():
    return dict(
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        deployment=dict(type='str', required=True),
        purge_tags=dict(type='bool', default=False),
        display_name=dict(type='str'),
        subscriptions=dict(type='list', elements='dict', options=dict(
            protocol=dict(type='str', required=True, choices=list(PROTOCOLS)),
            endpoint=dict(type='str', required=True),
        )),
    )


@module_edge
def main():
    module = StreamfleetAWSModule(argument_spec(), supports_check_mode=True)
    NotificationTopicConverger(module).run()


if __name__ == '__main__':
    main()
