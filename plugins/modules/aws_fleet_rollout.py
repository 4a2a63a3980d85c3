#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: aws_fleet_rollout
short_description: Replace the instances of an Auto Scaling group that run an older launch template version, without an outage
version_added: 0.1.0
description:
  - Finds the instances of the Auto Scaling group O(name) that were not launched from the launch
    template version the group launches now (its C($Default) or C($Latest) resolved to a number,
    or its fixed version) and replaces them, O(batch_size) at a time, keeping at least
    O(min_healthy) instances healthy in every balancer of the group at every moment.
  - "O(method=replace) (the default): for each batch, set the desired capacity to the capacity
    the group had at the start plus the batch (and the maximum size when needed), wait until the
    new instances are InService and C(healthy) in every target group (and C(InService) in every
    classic load balancer) of the group, then terminate the old instances one at a time with
    C(TerminateInstanceInAutoScalingGroup) and C(ShouldDecrementDesiredCapacity=true). Before each
    termination the instances healthy in the balancers without the one to go must number at
    least the floor (O(min_healthy)); otherwise the module waits up to O(wait_timeout) and fails
    with the counts. The termination runs the group's C(autoscaling:EC2_INSTANCE_TERMINATING)
    lifecycle hook (the drain agent empties the server); the batch is done when each old
    instance has left C(Terminating:Wait), waited for up to O(drain_timeout). EC2's
    C(TerminateInstances) is never used: it bypasses the hook."
  - While it runs, the processes C(AlarmNotification), C(AZRebalance) and C(ScheduledActions) are
    suspended (unless they were already), and the group carries the tag C(streamfleet:rollout) with
    the run that owns the rollout (O(run_id)), its start, its last sign of life, the sizes and
    processes to restore and the floor. At the end the sizes are restored, the processes resumed
    and the tag removed.
  - Resumable. Every step is decided from what the group shows (instances' launch template
    versions, desired capacity) and the tag, so a run killed at any point is continued by the
    next run, which leaves no extra instance, no raised maximum and no suspended process behind.
  - Exclusive. While the tag names another run whose last sign of life is younger than
    O(lock_stale_after), the module refuses with the owner and times. Continue a killed run with
    its O(run_id), or, once the lock is stale, with O(force_takeover=true).
  - "O(method=instance_refresh): EC2 Auto Scaling's instance refresh (C(StartInstanceRefresh),
    strategy C(Rolling)) with C(MinHealthyPercentage) from O(min_healthy), C(MaxHealthyPercentage)
    from O(batch_size) (launch before terminate), O(skip_matching), O(instance_warmup),
    O(checkpoint_percentages), O(checkpoint_delay) and C(ScaleInProtectedInstances=Refresh); the
    module waits for it with C(DescribeInstanceRefreshes) (unless O(wait=false)). A refresh
    already in progress is waited for, never started twice. O(state=cancelled) cancels it."
  - Nothing to replace means C(changed=false). Check mode lists the instances that would be
    replaced and the steps; it changes nothing and refuses what a real run would refuse.
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.aws
attributes:
  check_mode:
    support: full
    description: Returns the outdated instances, the batches and the steps; changes nothing.
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
  method:
    description:
      - V(replace) - the collection's own batches (see the description); works on the local
        stand-in and keeps the health rule across several target groups.
      - V(instance_refresh) - EC2 Auto Scaling's instance refresh.
    type: str
    choices: [replace, instance_refresh]
    default: replace
  state:
    description:
      - V(present) replaces the outdated instances.
      - V(cancelled) cancels the instance refresh in progress (O(method=instance_refresh) only).
    type: str
    choices: [present, cancelled]
    default: present
  batch_size:
    description:
      - How many instances are replaced at a time (at least 1).
      - With O(method=instance_refresh) it sets C(MaxHealthyPercentage) to the minimum plus the
        batch as a percentage of the capacity (100 to 200).
    type: int
    default: 1
  min_healthy:
    description:
      - The number of instances that must stay healthy in every balancer of the group (InService
        and Healthy in the group, C(healthy) in each target group, C(InService) in each classic
        load balancer) at every moment; a number (V(3)) or a percentage of the capacity the group
        had at the start, rounded up (V(75%)).
      - Default is the stricter (the larger) of the group's healthy count at the start and its
        minimum size, kept for the whole rollout (a resumed run keeps the first run's floor).
      - With O(method=instance_refresh) it becomes C(MinHealthyPercentage) (a number as a
        percentage of the desired capacity, rounded up; the default 100).
    type: raw
  wait_for_targets:
    description:
      - Count an instance healthy only when it is healthy in every balancer of the group. With
        V(false) the group's own InService/Healthy is enough.
    type: bool
    default: true
  poll_interval:
    description: Seconds between two status polls while waiting.
    type: int
    default: 10
  wait_timeout:
    description:
      - Seconds to wait at most for each step of each batch (new instances healthy, the floor
        before a termination).
      - With O(method=instance_refresh), for the whole refresh.
    type: int
    default: 900
  drain_timeout:
    description:
      - Seconds to wait at most for a terminated instance to leave C(Terminating:Wait) (drained
        through the lifecycle hook).
      - Default is the longest global timeout of the group's termination hooks (AWS moves an
        instance on after it); O(wait_timeout) when the group has no such hook. Set it to the
        drain agent's maximum drain time plus the hook's heartbeat timeout to fail sooner.
    type: int
  run_id:
    description:
      - Names this run in the lock (the tag C(streamfleet:rollout)); default a new random id,
        returned as RV(run_id).
      - Give the id of a killed run to continue it at once. 1 to 64 letters, digits, C(.), C(_), C(:), C(-).
    type: str
  force_takeover:
    description: Take over the lock of another run when it is stale (no sign of life for O(lock_stale_after) seconds).
    type: bool
    default: false
  lock_stale_after:
    description:
      - Seconds without a sign of life after which another run's lock is stale (at least 60;
        a running rollout refreshes it every 60 seconds while it waits).
    type: int
    default: 900
  skip_matching:
    description: With O(method=instance_refresh), do not replace instances already on the launch template version (C(SkipMatching)).
    type: bool
    default: true
  instance_warmup:
    description: With O(method=instance_refresh), C(InstanceWarmup) seconds; default the group's own warm-up.
    type: int
  checkpoint_percentages:
    description:
      - With O(method=instance_refresh), C(CheckpointPercentages), ascending, unique, 1 to 100,
        ending with 100; the refresh pauses at each for O(checkpoint_delay).
    type: list
    elements: int
  checkpoint_delay:
    description: With O(method=instance_refresh), C(CheckpointDelay) seconds at each checkpoint; needs O(checkpoint_percentages).
    type: int
notes:
  - The launch template version an instance runs is read from its EC2 tag
    C(aws:ec2launchtemplate:version), which EC2 sets at launch; the group's own report is the
    fallback.
  - Update the launch template (streamfleet.cluster.aws_launch_template, which makes the new
    version the default) before running this module; the group must point at V($Default),
    V($Latest) or the new version number.
  - A group without an C(autoscaling:EC2_INSTANCE_TERMINATING) lifecycle hook gets a warning,
    as its servers are not drained.
  - The desired capacity is set back to the capacity the group had at the start; a change made
    by someone else during the rollout is overwritten (the scaling processes are suspended).
  - O(tags) is not used; O(wait) only by O(method=instance_refresh).
  - The local stand-in (moto) has no instance refresh and no C(Terminating:Wait); see the
    collection's docs/rolling-update.md.
'''

EXAMPLES = r'''
- name: Replace the edges that run an older image, one at a time, never below 3 healthy
  streamfleet.cluster.aws_fleet_rollout:
    name: ams-edge
    deployment: ams
    batch_size: 1
    min_healthy: 3
    wait_timeout: 1200
  register: rollout

- name: Show what was replaced
  ansible.builtin.debug:
    msg: "{{ rollout.replaced | map(attribute='instance_id') | list }} (healthy never below {{ rollout.min_in_service }})"

- name: Continue a rollout that was killed (its run id is in the tag and in the refusal)
  streamfleet.cluster.aws_fleet_rollout:
    name: ams-edge
    deployment: ams
    run_id: 3f2a9c41be07

- name: The same with EC2 instance refresh, pausing at 50 %
  streamfleet.cluster.aws_fleet_rollout:
    name: ams-edge
    deployment: ams
    method: instance_refresh
    min_healthy: 90%
    checkpoint_percentages: [50, 100]
    checkpoint_delay: 600
    wait_timeout: 7200
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
  description:
    - The group after each step (C(phase), C(healthy) (in every balancer), C(in_service) (the
      same number), C(desired_capacity), C(max_size), C(instances), C(batch)).
  returned: success
  type: list
  elements: dict
  sample: [{"phase": "start", "healthy": 3, "in_service": 3, "desired_capacity": 3, "max_size": 3, "instances": 3}]
min_in_service:
  description: The lowest number of instances healthy in every balancer seen during the run (now, in check mode).
  returned: success
  type: int
  sample: 3
min_healthy:
  description: The floor kept (see O(min_healthy)).
  returned: when something was to be replaced
  type: int
  sample: 3
method:
  description: The method used.
  returned: success
  type: str
  sample: replace
run_id:
  description: The id of this run in the lock; give it as O(run_id) to continue the run after a kill.
  returned: always
  type: str
  sample: 3f2a9c41be07
lock:
  description: >-
    The lock met (C(verdict) V(own) or V(takeover), C(message), C(owner), C(started) as Unix
    time); empty when the run started the rollout itself.
  returned: success
  type: dict
  sample: {"verdict": "takeover", "owner": "3f2a9c41be07", "started": 1796000000, "message": "took over stale rollout run 3f2a9c41be07 (...)"}
drain:
  description: The group's termination lifecycle hooks (C(hooks)) and the seconds waited at most for a server to drain (C(timeout)).
  returned: when method is replace and something was to be replaced
  type: dict
  sample: {"hooks": ["drain"], "timeout": 3600}
preferences:
  description: The C(Preferences) sent to C(StartInstanceRefresh).
  returned: when method is instance_refresh and a refresh was started or continued
  type: dict
  sample: {"MinHealthyPercentage": 100, "MaxHealthyPercentage": 134, "SkipMatching": true, "ScaleInProtectedInstances": "Refresh"}
instance_refresh:
  description: The instance refresh (C(id), C(status), C(status_reason), C(percentage_complete), C(instances_to_update)).
  returned: when method is instance_refresh and a refresh exists
  type: dict
  sample: {"id": "08b91cf7-8fa6-48af-b6a6-d227f40f1b9b", "status": "Successful", "percentage_complete": 100, "instances_to_update": 0}
sizes:
  description: The sizes restored at the end (C(min), C(max), C(desired)).
  returned: when instances were replaced
  type: dict
  sample: {"min": 1, "max": 3, "desired": 3}
changes:
  description: What was (or in check mode would be) done, one line per step or batch.
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
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import module_edge


@module_edge
def main():
    argument_spec = dict(
        name=dict(type='str', required=True),
        deployment=dict(type='str', required=True),
        method=dict(type='str', choices=['replace', 'instance_refresh'], default='replace'),
        state=dict(type='str', choices=['present', 'cancelled'], default='present'),
        batch_size=dict(type='int', default=1),
        min_healthy=dict(type='raw'),
        wait_for_targets=dict(type='bool', default=True),
        poll_interval=dict(type='int', default=10),
        wait_timeout=dict(type='int', default=900),
        drain_timeout=dict(type='int'),
        run_id=dict(type='str'),
        force_takeover=dict(type='bool', default=False),
        lock_stale_after=dict(type='int', default=900),
        skip_matching=dict(type='bool', default=True),
        instance_warmup=dict(type='int'),
        checkpoint_percentages=dict(type='list', elements='int'),
        checkpoint_delay=dict(type='int'),
    )
    module = StreamfleetAWSModule(argument_spec, supports_check_mode=True)
    Rollout(module).run()


if __name__ == '__main__':
    main()
