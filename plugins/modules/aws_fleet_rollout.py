#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: aws_fleet_rollout
short_description: Replace the instances of an Auto Scaling group that run an older launch template version
version_added: 0.1.0
description:
  - Finds the instances of the Auto Scaling group O(name) that were not launched from the launch
    template version the group launches now (its C($Default) or C($Latest) resolved to a number,
    or its fixed version) and replaces them, O(batch_size) at a time.
  - "Each batch: raise the desired capacity (and the maximum size when needed) by the batch size,
    wait until the new instances are InService and healthy in the group's target groups, clear
    the old instances' scale-in protection, then terminate them with
    C(ShouldDecrementDesiredCapacity=true). The number of instances in service therefore never
    drops below the capacity the group had when the batch started, and the group is never scaled
    to zero (the vendor's update script scales it to zero: an outage)."
  - While it runs, the processes C(AlarmNotification), C(AZRebalance) and C(ScheduledActions) are
    suspended (unless they were already) so that scaling policies do not undo the temporary
    capacity, and the group carries the tag C(streamfleet:rollout) with its original sizes. At
    the end the sizes are restored, the processes resumed and the tag removed. A run that failed
    half way (for example a timeout) leaves the tag; the next run continues and restores.
  - Nothing to replace means C(changed=false). Check mode lists the instances that would be replaced.
  - EC2 instance refresh (C(start_instance_refresh)) is not used. It is not available in moto, the
    local stand-in of the tests and the sandbox, and the steps above are few and observable.
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.aws
attributes:
  check_mode:
    support: full
    description: Returns the outdated instances and the batches it would replace them in; changes nothing.
  diff_mode:
    support: full
    description: Shows the outdated instances before and after.
options:
  name:
    description: Name of the Auto Scaling group.
    type: str
    required: true
  deployment:
    description: The deployment the group belongs to; a group without this C(streamfleet:deployment) tag is refused.
    type: str
    required: true
  batch_size:
    description: How many instances are replaced at a time (at least 1).
    type: int
    default: 1
  wait_for_targets:
    description: Wait until the new instances are C(healthy) in every target group of the group.
    type: bool
    default: true
  poll_interval:
    description: Seconds between two status polls while waiting.
    type: int
    default: 10
  wait_timeout:
    description: Seconds to wait at most for each step of each batch.
    type: int
    default: 900
notes:
  - The launch template version an instance runs is read from its EC2 tag
    C(aws:ec2launchtemplate:version), which EC2 sets at launch; the group's own report is the
    fallback.
  - Update the launch template (streamfleet.cluster.aws_launch_template, which makes the new
    version the default) before running this module; the group must point at V($Default),
    V($Latest) or the new version number.
  - O(tags) and O(wait) are not used.
'''

EXAMPLES = r'''
- name: Replace the edges that run an older image, one at a time
  streamfleet.cluster.aws_fleet_rollout:
    name: ams-edge
    deployment: ams
    batch_size: 1
    wait_timeout: 1200
  register: rollout

- name: Show what was replaced
  ansible.builtin.debug:
    msg: "{{ rollout.replaced | map(attribute='instance_id') | list }} (in service never below {{ rollout.min_in_service }})"
'''

RETURN = r'''
group_name:
  description: The group.
  returned: always
  type: str
  sample: ams-edge
launch_template_id:
  description: The launch template of the group.
  returned: success
  type: str
  sample: lt-0123456789abcdef0
launch_template_name:
  description: Its name.
  returned: success
  type: str
  sample: ams-edge
launch_template_version:
  description: The version every instance runs after the rollout (a number).
  returned: success
  type: str
  sample: "4"
outdated:
  description: Instances on another version (before the run in check mode, after it otherwise; empty on success).
  returned: success
  type: list
  elements: str
  sample: []
up_to_date:
  description: Instances on the target version.
  returned: success
  type: list
  elements: str
  sample: [i-0123456789abcdef0]
batches:
  description: The outdated instances as planned in batches.
  returned: success
  type: list
  elements: list
  sample: [[i-0aaa], [i-0bbb]]
replaced:
  description:
    - Instances replaced. Each has C(instance_id), C(batch) and C(replaced_by) (the new instances of its batch).
    - In check mode, the instance ids that would be replaced.
  returned: success
  type: list
  elements: raw
  sample: [{"instance_id": "i-0aaa", "batch": 1, "replaced_by": ["i-0ccc"]}]
progress:
  description: The group after each step (C(phase), C(in_service), C(desired_capacity), C(max_size), C(instances), C(batch)).
  returned: success
  type: list
  elements: dict
  sample: [{"phase": "start", "in_service": 3, "desired_capacity": 3, "max_size": 3, "instances": 3}]
min_in_service:
  description: The lowest number of InService instances seen during the run.
  returned: success
  type: int
  sample: 3
sizes:
  description: The sizes restored at the end (C(min), C(max), C(desired)).
  returned: when instances were replaced
  type: dict
  sample: {"min": 1, "max": 3, "desired": 3}
changes:
  description: What was (or in check mode would be) done, one line per batch.
  returned: always
  type: list
  elements: str
  sample: ["replace i-0aaa with instances of ams-edge version 4"]
wait_progress:
  description: Status lines seen while waiting.
  returned: when the module waited
  type: list
  elements: str
  sample: ["[0s] batch 1 of group ams-edge: 0 of 1 new instances InService (1 launched)"]
api_calls:
  description: AWS API calls made, by C(service.Operation).
  returned: always
  type: dict
  sample: {"autoscaling.DescribeAutoScalingGroups": 9}
'''

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.rollout import Rollout
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.session import StreamfleetAWSModule


def main():
    argument_spec = dict(
        name=dict(type='str', required=True),
        deployment=dict(type='str', required=True),
        batch_size=dict(type='int', default=1),
        wait_for_targets=dict(type='bool', default=True),
        poll_interval=dict(type='int', default=10),
        wait_timeout=dict(type='int', default=900),
    )
    module = StreamfleetAWSModule(argument_spec, supports_check_mode=True)
    Rollout(module).run()


if __name__ == '__main__':
    main()
