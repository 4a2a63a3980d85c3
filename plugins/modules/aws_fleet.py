#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: aws_fleet
short_description: Auto Scaling group with its scaling policies, CloudWatch alarms, lifecycle hooks and warm pool
version_added: 0.1.0
description:
  - Creates, converges and removes one EC2 Auto Scaling group together with what belongs to it.
  - The group runs a launch template (by name or id, version V($Latest), V($Default) or a
    number) in the given subnets, optionally registered in target groups (by name or ARN) or
    Classic Load Balancers, with ELB health checks, a grace period, scale-in protection for new
    instances, termination policies, a default cooldown and tags propagated to the instances.
  - Scaling policies (simple with cooldown, step, target tracking) are created, updated and, when
    no longer declared, deleted; a simple or step policy may declare the CloudWatch alarm that
    triggers it. Alarms named after the group that watch it and are no longer declared are deleted.
  - O(min_size) <= O(desired_capacity) <= O(max_size), the lifecycle hooks and the warm pool, the
    launch template and target group names are checked before anything changes.
  - The desired capacity belongs to the scaling policies and operators. A new group starts at
    O(desired_capacity), else at O(min_size). On an existing group it is changed only when
    O(desired_capacity) is given (the diff shows it before and after) or when a new O(min_size) or
    O(max_size) puts the current value outside the range; then it moves to the nearest bound,
    C(capacity_clamped) is V(true) and C(changes) says so. Otherwise it is never sent.
  - Scaling policies, lifecycle hooks and the warm pool are converged only when declared; when
    omitted, what the group has (for example a policy or hook an operator added) is left alone.
    Group tags not declared in O(tags) stay unless O(purge_tags=true).
  - With O(wait=true) the module waits for O(wait_for_instances) (default O(desired_capacity),
    else O(min_size)) InService instances, then (O(wait_for_balancer)) until the balancers find
    them healthy; the progress is returned in C(wait_progress).
  - Optional SNS notifications of group events and alarms, scheduled actions and a mixed
    instances policy (on-demand and spot, several types) are converged only when declared.
  - O(state=absent) deletes the alarms, then the group with its policies, hooks and instances
    (force delete), waits until it is gone and terminates any of its instances still running.
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.aws
  - streamfleet.cluster.tags
attributes:
  check_mode:
    support: full
    description: Reports what would change without calling any AWS operation that changes something.
  diff_mode:
    support: full
    description: Returns the group's current and declared settings (desired capacity included), tags, policies, alarms, lifecycle hooks and warm pool.
options:
  name:
    description:
      - Name of the Auto Scaling group. Alarms the module creates are named C(<name>-<policy>).
      - Required unless O(groups) is given.
    type: str
  groups:
    description:
      - Several Auto Scaling groups in one task (one Python process and one set of clients for
        all of them, instead of a loop of tasks), converged in their order.
      - Each entry is a dict of this module's per-group options (O(name), O(state),
        O(launch_template), O(subnets), O(min_size), O(max_size), O(desired_capacity),
        O(health_check_type), O(health_check_grace_period), O(target_groups),
        O(load_balancers), O(protect_from_scale_in), O(termination_policies),
        O(default_cooldown), O(wait_for_instances), O(policies), O(lifecycle_hooks),
        O(warm_pool), O(notifications), O(alarm_topics), O(scheduled_actions),
        O(purge_scheduled_actions), O(mixed_instances_policy)); an option an entry leaves out is
        the task's own, so the options the groups share are given once at the top level.
      - O(deployment), O(tags), O(purge_tags), O(propagate_tags), O(wait), O(wait_timeout),
        O(wait_for_balancer) and the connection options are the task's, the same for every group.
      - Every entry is checked (types, required options, sizes, policies, hooks) before any call;
        a bad entry fails the task before anything changes. A failing entry's message names the
        groups converged before it; their results are in RV(results).
      - Mutually exclusive with O(name).
    type: list
    elements: dict
  state:
    description: V(present) creates or converges the group, V(absent) deletes it and what it owns.
    type: str
    choices: [present, absent]
    default: present
  deployment:
    description: The deployment the group belongs to (value of the C(streamfleet:deployment) tag).
    type: str
    required: true
  propagate_tags:
    description: Whether the group's tags are copied to the instances it launches.
    type: bool
    default: true
  launch_template:
    description: The launch template the group runs.
    type: dict
    suboptions:
      name:
        description: Launch template name.
        type: str
      id:
        description: Launch template id.
        type: str
      version:
        description: V($Latest), V($Default) or a version number.
        type: str
        default: $Default
  subnets:
    description: Subnet ids the instances are launched in (the group's C(VPCZoneIdentifier)).
    type: list
    elements: str
  min_size:
    description: Minimum number of instances.
    type: int
  max_size:
    description: Maximum number of instances.
    type: int
  desired_capacity:
    description:
      - Desired number of instances, between O(min_size) and O(max_size).
      - When not given, a new group starts at O(min_size) and an existing group keeps the capacity
        its scaling policies or an operator chose (moved into the range only when a new
        O(min_size)/O(max_size) excludes it). When given, the run sets it, and the diff shows it.
      - Give it only for a run that is meant to resize the group; a topology re-run without it
        never undoes a scale-out.
    type: int
  health_check_type:
    description: V(EC2) or V(ELB) (replace instances the balancer finds unhealthy).
    type: str
    choices: [EC2, ELB]
    default: EC2
  health_check_grace_period:
    description: Seconds after launch before health checks count.
    type: int
  target_groups:
    description:
      - Target groups the instances are registered in, by name or ARN.
      - Entries starting with C(arn:) are used as given; names are looked up with one
        C(elasticloadbalancing:DescribeTargetGroups) call per run. Passing ARNs saves that call,
        for example from the C(target_groups) result of M(streamfleet.cluster.aws_balancer) (a dict of
        target group name to ARN).
    type: list
    elements: str
  load_balancers:
    description: Classic Load Balancer names the instances are registered in.
    type: list
    elements: str
  protect_from_scale_in:
    description: Protect new instances from scale-in (recommended for WebRTC edges and Stream Managers).
    type: bool
    default: false
  termination_policies:
    description: Termination policies, for example V(OldestLaunchTemplate), V(Default).
    type: list
    elements: str
  default_cooldown:
    description: Seconds between scaling activities of simple policies without their own cooldown.
    type: int
  wait_for_instances:
    description: How many InService instances to wait for when O(wait=true).
    type: int
  policies:
    description:
      - Scaling policies of the group, matched by name; when given, undeclared ones (and their
        alarms) are deleted, V([]) deletes them all. Omit to leave the policies and alarms alone.
    type: list
    elements: dict
    suboptions:
      name:
        description: Policy name.
        type: str
        required: true
      type:
        description: Policy kind.
        type: str
        choices: [simple, step, target_tracking]
        default: simple
      adjustment_type:
        description: How the adjustment counts (simple and step).
        type: str
        choices: [ChangeInCapacity, ExactCapacity, PercentChangeInCapacity]
        default: ChangeInCapacity
      scaling_adjustment:
        description: Instances to add (positive) or remove (negative) for a simple policy.
        type: int
      cooldown:
        description: Seconds to wait after a simple policy ran before it runs again.
        type: int
      steps:
        description: Steps of a step policy, bounds relative to the alarm threshold.
        type: list
        elements: dict
        suboptions:
          lower_bound:
            description: Lower bound (inclusive), omitted for minus infinity.
            type: float
          upper_bound:
            description: Upper bound (exclusive), omitted for plus infinity.
            type: float
          adjustment:
            description: Instances to add or remove in this step.
            type: int
            required: true
      metric_aggregation_type:
        description: Aggregation of a step policy's metric.
        type: str
        choices: [Average, Minimum, Maximum]
      estimated_instance_warmup:
        description: Seconds a new instance needs before it counts (step and target tracking).
        type: int
      predefined_metric:
        description: Metric of a target tracking policy.
        type: str
        choices: [ASGAverageCPUUtilization, ASGAverageNetworkIn, ASGAverageNetworkOut, ALBRequestCountPerTarget]
        default: ASGAverageCPUUtilization
      target_value:
        description: Target value of a target tracking policy, for example V(60).
        type: float
      disable_scale_in:
        description: Target tracking only adds instances (recommended for WebRTC).
        type: bool
        default: false
      alarm:
        description: CloudWatch alarm that runs this simple or step policy.
        type: dict
        suboptions:
          name:
            description: Alarm name; must start with the group name. Default C(<group>-<policy>).
            type: str
          description:
            description: Alarm description.
            type: str
          metric_name:
            description: Metric.
            type: str
            default: CPUUtilization
          namespace:
            description: Metric namespace.
            type: str
            default: AWS/EC2
          statistic:
            description: Statistic.
            type: str
            choices: [Average, Minimum, Maximum, Sum, SampleCount]
            default: Average
          comparison:
            description: V(>=), V(>), V(<=), V(<) or the CloudWatch operator name.
            type: str
            required: true
            choices: ['>=', '>', '<=', '<', GreaterThanOrEqualToThreshold, GreaterThanThreshold,
                      LessThanOrEqualToThreshold, LessThanThreshold]
          threshold:
            description: Threshold, for example V(70) (percent CPU).
            type: float
            required: true
          period:
            description: Seconds per evaluation period, for example V(60) or V(900).
            type: int
            default: 60
          evaluation_periods:
            description: Consecutive periods that must breach.
            type: int
            default: 2
  lifecycle_hooks:
    description:
      - Lifecycle hooks, matched by name; when given, undeclared hooks are deleted (V([]) deletes
        them all). Omit to leave the hooks alone.
      - A termination hook (V(autoscaling:EC2_INSTANCE_TERMINATING)) holds a leaving instance in
        C(Terminating:Wait) until something on it (the drain agent) sends
        C(CompleteLifecycleAction), or the heartbeat timeout passes without a
        C(RecordLifecycleActionHeartbeat); then O(lifecycle_hooks[].default_result) applies.
      - Checked before any call, as the C(PutLifecycleHook) API reference states the rules.
    type: list
    elements: dict
    suboptions:
      name:
        description: Hook name, 1-255 characters of C(A-Z a-z 0-9 - _ /).
        type: str
        required: true
      transition:
        description: When the hook runs.
        type: str
        choices: ['autoscaling:EC2_INSTANCE_LAUNCHING', 'autoscaling:EC2_INSTANCE_TERMINATING']
        required: true
      heartbeat_timeout:
        description: Seconds (30-7200) before the default result applies unless a heartbeat is recorded.
        type: int
        default: 300
      default_result:
        description: Result when the timeout passes (for a termination hook both let the instance go).
        type: str
        choices: [CONTINUE, ABANDON]
        default: CONTINUE
      notification_metadata:
        description:
          - "Text (1-1023 characters) handed to the notification target with each lifecycle action,
            for example V({\"max_drain_seconds\": 3600})."
          - Omit to leave the metadata of an existing hook as it is.
          - moto does not store it, so against moto a hook that declares it is updated on every run.
        type: str
  warm_pool:
    description:
      - Warm pool of pre-initialised instances the group takes from when it scales out.
      - Omit (or V(null)) to leave the group's warm pool as it is, whether it has one or not;
        O(warm_pool.state=absent) removes it.
    type: dict
    suboptions:
      state:
        description: V(present) creates or converges the pool, V(absent) deletes it (with its instances).
        type: str
        choices: [present, absent]
        default: present
      min_size:
        description: Instances kept in the pool at least.
        type: int
        default: 0
      max_group_prepared_capacity:
        description:
          - Instances in the group and the pool together at most (not counting terminated ones).
          - Omit for the default, the group's max_size (the pool holds max_size minus desired capacity).
        type: int
      pool_state:
        description: State of pooled instances.
        type: str
        choices: [Stopped, Running, Hibernated]
        default: Stopped
      reuse_on_scale_in:
        description: Put instances back into the pool on scale-in instead of terminating them.
        type: bool
        default: false
  notifications:
    description:
      - SNS notifications of the group's events (C(PutNotificationConfiguration)), one entry per
        topic. When given, this is the group's complete set (configurations to topics not listed
        are deleted, V([]) deletes them all). Omit to leave them alone (and not read them).
      - The seeds send none; the Red5 Pro guide (seed 001) suggests a topic for the group's events.
    type: list
    elements: dict
    suboptions:
      topic:
        description: SNS topic ARN (C(topic_arn) of M(streamfleet.cluster.aws_notification_topic)).
        type: str
        required: true
      types:
        description: Events sent to the topic.
        type: list
        elements: str
        choices: ['autoscaling:EC2_INSTANCE_LAUNCH', 'autoscaling:EC2_INSTANCE_LAUNCH_ERROR',
                  'autoscaling:EC2_INSTANCE_TERMINATE', 'autoscaling:EC2_INSTANCE_TERMINATE_ERROR']
        default: ['autoscaling:EC2_INSTANCE_LAUNCH', 'autoscaling:EC2_INSTANCE_LAUNCH_ERROR',
                  'autoscaling:EC2_INSTANCE_TERMINATE', 'autoscaling:EC2_INSTANCE_TERMINATE_ERROR']
  alarm_topics:
    description:
      - SNS topic ARNs added to the actions of every alarm of O(policies), next to the policy, so
        that a scale-out or scale-in alarm also notifies people.
      - Omitted or V([]), the alarms run their policy only (the seeds' setting).
    type: list
    elements: str
  scheduled_actions:
    description:
      - Scheduled changes of min/max/desired (C(PutScheduledUpdateGroupAction)), for example more
        edges before a daily event. The module names them C(streamfleet-<name>) and owns the
        group's actions with that prefix. Declared ones are created or updated, owned ones no
        longer declared are deleted (V([]) deletes them all). Actions with other names (made by
        hand or another tool) are left alone unless O(purge_scheduled_actions=true).
      - Omit to leave the scheduled actions alone (and not read them). The seeds have none.
    type: list
    elements: dict
    suboptions:
      name:
        description: Name without the C(streamfleet-) prefix, 1-243 characters of C(A-Z a-z 0-9 - _ .).
        type: str
        required: true
      recurrence:
        description: Five-field cron expression, for example V(0 7 * * MON-FRI); evaluated in O(scheduled_actions[].time_zone).
        type: str
      start_time:
        description: First (or only) run, ISO 8601 UTC such as V(2027-01-31T07:00:00Z). Compared only when given.
        type: str
      end_time:
        description: No runs after this time (ISO 8601 UTC).
        type: str
      time_zone:
        description: IANA time zone of O(scheduled_actions[].recurrence), for example V(Europe/Berlin); UTC when omitted.
        type: str
      min_size:
        description: New minimum size.
        type: int
      max_size:
        description: New maximum size.
        type: int
      desired_capacity:
        description: New desired capacity.
        type: int
  purge_scheduled_actions:
    description: Also delete the group's scheduled actions that do not carry the C(streamfleet-) prefix when O(scheduled_actions) does not declare them.
    type: bool
    default: false
  mixed_instances_policy:
    description:
      - Run the launch template through a mixed instances policy - several instance types,
        on-demand and spot - instead of its one instance type. Omit for the launch template's
        instance type only (the seeds' setting); an existing policy is then replaced by the
        plain launch template.
      - Scale-in of spot instances ends sessions without warning (two minutes' notice); keep
        O(mixed_instances_policy.on_demand_base_capacity) at the origins and WebRTC edges that
        must not drop.
    type: dict
    suboptions:
      instance_types:
        description: Instance types in priority order (the launch template's type is replaced by these).
        type: list
        elements: dict
        required: true
        suboptions:
          type:
            description: Instance type, for example V(c5.xlarge).
            type: str
            required: true
          weight:
            description: Capacity units this type counts for (1-999); give it to every type or to none.
            type: int
      on_demand_base_capacity:
        description: Capacity always served by on-demand instances.
        type: int
        default: 0
      on_demand_percentage_above_base:
        description: Percent of the capacity above the base that is on-demand (100 = no spot).
        type: int
        default: 100
      on_demand_allocation_strategy:
        description: How on-demand types are chosen.
        type: str
        choices: [prioritized, lowest-price]
        default: prioritized
      spot_allocation_strategy:
        description: How spot pools are chosen.
        type: str
        choices: [lowest-price, capacity-optimized, capacity-optimized-prioritized, price-capacity-optimized]
        default: price-capacity-optimized
      spot_instance_pools:
        description: Pools to spread over (only with V(lowest-price)).
        type: int
      spot_max_price:
        description: Highest spot price per hour; omit for the on-demand price.
        type: str
  wait_for_balancer:
    description:
      - With O(wait=true) and target groups or Classic Load Balancers, wait after the instances are
        InService until the balancer's own health check finds them healthy (target state
        C(healthy), classic state C(InService)), so a run ends when clients can be served. The
        instances need the warm-up of O(health_check_grace_period) (300 s in seed 001) and the
        balancer's healthy threshold; the wait is bounded by O(wait_timeout) and its progress is in
        C(wait_progress).
      - V(false) ends the run at InService. Either way a run that changed nothing and finds
        enough instances InService does not wait (no extra calls).
    type: bool
    default: true
notes:
  - moto, the local stand-in used by the tests, launches instances at once (all in the first
    subnet), returns no C(PolicyARN) from C(put_scaling_policy) (the module reads it back), never
    runs alarm actions, creates no alarms for target tracking and leaves instances running after a
    force delete (the module terminates them).
  - moto does not implement the notification configuration calls (tested with a stand-in client in
    the unit tests), reports every registered running instance healthy at once and does not move
    a recurring scheduled action's start time.
  - moto stores lifecycle hooks but drops C(NotificationMetadata), accepts any heartbeat timeout
    (the module checks 30-7200), never holds an instance in C(Terminating:Wait) and does not
    implement C(CompleteLifecycleAction) or C(RecordLifecycleActionHeartbeat). Its warm pool is
    configuration only (no pooled instances).
'''

EXAMPLES = r'''
- name: Stream Manager group of seed 001 with CPU alarms
  streamfleet.cluster.aws_fleet:
    name: streammanager
    deployment: red5
    launch_template: {name: streammanager, version: "$Latest"}
    subnets: "{{ subnet_ids }}"
    min_size: 1
    max_size: 4
    health_check_type: ELB
    health_check_grace_period: 300
    target_groups: [streammanager-5080]
    protect_from_scale_in: true
    policies:
      - name: scale-out
        scaling_adjustment: 1
        cooldown: 300
        alarm: {comparison: ">=", threshold: 70, period: 60, evaluation_periods: 2}
      - name: scale-in
        scaling_adjustment: -1
        cooldown: 180
        alarm: {comparison: "<=", threshold: 30, period: 900, evaluation_periods: 2}
  register: fleet

- name: Edge group with target tracking (Ant Media, CPU 60 %)
  streamfleet.cluster.aws_fleet:
    name: ams-edge
    deployment: ams
    launch_template: {name: ams-edge}
    subnets: "{{ subnet_ids }}"
    min_size: 2
    max_size: 10
    target_groups: [ams-edge]
    policies:
      - {name: cpu60, type: target_tracking, target_value: 60, disable_scale_in: true}

- name: Edge group whose scale-in waits for the drain agent, with a stopped warm pool
  streamfleet.cluster.aws_fleet:
    name: ams-edge
    deployment: ams
    launch_template: {name: ams-edge}
    subnets: "{{ subnet_ids }}"
    min_size: 2
    max_size: 10
    lifecycle_hooks:
      - name: drain
        transition: autoscaling:EC2_INSTANCE_TERMINATING
        heartbeat_timeout: 300
        default_result: CONTINUE
    warm_pool:
      min_size: 1
      pool_state: Stopped
      reuse_on_scale_in: true

- name: Scale the edges to 6 for an event (a re-run without desired_capacity keeps whatever the scaler chose)
  streamfleet.cluster.aws_fleet:
    name: ams-edge
    deployment: ams
    launch_template: {name: ams-edge}
    subnets: "{{ subnet_ids }}"
    min_size: 2
    max_size: 10
    desired_capacity: 6

- name: Edges on spot above two on-demand ones, SNS events, more capacity on weekday evenings
  streamfleet.cluster.aws_fleet:
    name: ams-edge
    deployment: ams
    launch_template: {name: ams-edge}
    subnets: "{{ subnet_ids }}"
    min_size: 2
    max_size: 10
    target_groups: [ams-edge]
    health_check_type: ELB
    health_check_grace_period: 300
    mixed_instances_policy:
      instance_types: [{type: c5.xlarge}, {type: c6i.xlarge}, {type: c5a.xlarge}]
      on_demand_base_capacity: 2
      on_demand_percentage_above_base: 0
    notifications:
      - topic: "{{ topic.topic_arn }}"
    scheduled_actions:
      - {name: evening, recurrence: "0 18 * * MON-FRI", time_zone: Europe/Berlin, min_size: 4}
      - {name: night, recurrence: "0 23 * * *", time_zone: Europe/Berlin, min_size: 2}

- name: Origin and edge groups in one task (the shared options once)
  streamfleet.cluster.aws_fleet:
    deployment: ams
    subnets: "{{ subnet_ids }}"
    health_check_type: ELB
    health_check_grace_period: 300
    groups:
      - {name: ams-origin, launch_template: {name: ams-origin}, min_size: 1, max_size: 4, target_groups: [ams-origin]}
      - {name: ams-edge, launch_template: {name: ams-edge}, min_size: 2, max_size: 10, target_groups: [ams-edge]}
  register: groups

- name: Remove the group, its policies, alarms and instances
  streamfleet.cluster.aws_fleet:
    name: streammanager
    deployment: red5
    state: absent
'''

RETURN = r'''
results:
  description:
    - With O(groups), one result per entry in their order, each with the keys below
      (C(changed), C(changes), C(diff) included); the task's C(changed) is true when any entry
      changed and its C(changes) names each entry's changes.
  returned: when O(groups) is given
  type: list
  elements: dict
  sample: [{"group": {"name": "ams-origin", "in_service": 1}, "changed": false, "changes": []}]
group:
  description: The group after the run.
  returned: when state=present and the group exists
  type: dict
  sample:
    name: streammanager
    arn: "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:uuid:autoScalingGroupName/streammanager"
    min_size: 1
    max_size: 4
    desired_capacity: 1
    launch_template: {LaunchTemplateName: streammanager, Version: "$Latest"}
    target_group_arns: []
    load_balancers: []
    health_check_type: ELB
    instances: [{instance_id: i-0abc, lifecycle_state: InService, health_status: Healthy,
                 availability_zone: us-east-1a, protected_from_scale_in: true}]
    in_service: 1
capacity:
  description:
    - What the run did (or would do) to the desired capacity. C(source) is V(declared)
      (O(desired_capacity) given), V(scaler) (left as it was), V(clamped) (moved into a new
      min/max range, with C(reason)) or V(min_size) (a new group without O(desired_capacity)).
  returned: when state=present
  type: dict
  sample: {before: 6, after: 4, source: clamped, reason: above the new max_size 4}
capacity_clamped:
  description: Whether a new O(min_size)/O(max_size) moved the desired capacity into the range.
  returned: when state=present
  type: bool
  sample: false
lifecycle_hooks:
  description: The declared hooks after the run, by name.
  returned: when O(lifecycle_hooks) is given
  type: dict
  sample: {drain: {transition: "autoscaling:EC2_INSTANCE_TERMINATING", heartbeat_timeout: 300, default_result: CONTINUE}}
notifications:
  description: The declared notification configurations after the run, topic ARN -> event types.
  returned: when O(notifications) is given
  type: dict
  sample: {"arn:aws:sns:us-east-1:123456789012:ams-events": ["autoscaling:EC2_INSTANCE_LAUNCH"]}
scheduled_actions:
  description: The declared scheduled actions after the run, by their name in AWS.
  returned: when O(scheduled_actions) is given
  type: dict
  sample: {streamfleet-evening: {recurrence: "0 18 * * *", min_size: 4, time_zone: Europe/Berlin}}
warm_pool:
  description: The warm pool after the run (V({}) when there is none).
  returned: when O(warm_pool) is given
  type: dict
  sample: {min_size: 1, pool_state: Stopped, max_group_prepared_capacity: null, reuse_on_scale_in: true}
policies:
  description: Declared policies and the alarm wired to each.
  returned: when O(policies) is given
  type: dict
  sample: {scale-out: {alarm: streammanager-scale-out}}
changes:
  description: What the module changed (or would change in check mode), one line each.
  returned: always
  type: list
  elements: str
  sample: ["create Auto Scaling group streammanager", "create alarm streammanager-scale-out"]
wait_progress:
  description: Status lines seen while waiting for instances or for the deletion.
  returned: when the module waited
  type: list
  elements: str
  sample: ["[0s] group streammanager: 1 of 1 instances InService (1 in group)"]
api_calls:
  description: Number of AWS calls made, per service.Operation.
  returned: always
  type: dict
  sample: {autoscaling.DescribeAutoScalingGroups: 2, autoscaling.DescribePolicies: 1}
'''

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.fleet import (
    COMPARISONS,
    NOTIFICATION_TYPES,
    ON_DEMAND_STRATEGIES,
    SPOT_STRATEGIES,
    FleetConverger,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.converger import relaxed_spec, run_each
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.session import StreamfleetAWSModule
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import module_edge


# The options of the whole task: the same for every group of a ``groups`` list (the waits and
# the tags are one policy per deployment; the waiters read them from the task).
TASK_OPTIONS = ('deployment', 'purge_tags', 'propagate_tags', 'wait_for_balancer')


def argument_spec():
    """The single-group options (``name`` required)."""
    return dict(
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        deployment=dict(type='str', required=True),
        purge_tags=dict(type='bool', default=False),
        propagate_tags=dict(type='bool', default=True),
        launch_template=dict(type='dict', options=dict(
            name=dict(type='str'), id=dict(type='str'), version=dict(type='str', default='$Default'),
        ), mutually_exclusive=[('name', 'id')], required_one_of=[('name', 'id')]),
        subnets=dict(type='list', elements='str'),
        min_size=dict(type='int'),
        max_size=dict(type='int'),
        desired_capacity=dict(type='int'),
        health_check_type=dict(type='str', choices=['EC2', 'ELB'], default='EC2'),
        health_check_grace_period=dict(type='int'),
        target_groups=dict(type='list', elements='str'),
        load_balancers=dict(type='list', elements='str'),
        protect_from_scale_in=dict(type='bool', default=False),
        termination_policies=dict(type='list', elements='str'),
        default_cooldown=dict(type='int'),
        wait_for_instances=dict(type='int'),
        policies=dict(type='list', elements='dict', options=dict(
            name=dict(type='str', required=True),
            type=dict(type='str', choices=['simple', 'step', 'target_tracking'], default='simple'),
            adjustment_type=dict(type='str', default='ChangeInCapacity',
                                 choices=['ChangeInCapacity', 'ExactCapacity', 'PercentChangeInCapacity']),
            scaling_adjustment=dict(type='int'),
            cooldown=dict(type='int'),
            steps=dict(type='list', elements='dict', options=dict(
                lower_bound=dict(type='float'), upper_bound=dict(type='float'),
                adjustment=dict(type='int', required=True),
            )),
            metric_aggregation_type=dict(type='str', choices=['Average', 'Minimum', 'Maximum']),
            estimated_instance_warmup=dict(type='int'),
            predefined_metric=dict(type='str', default='ASGAverageCPUUtilization',
                                   choices=['ASGAverageCPUUtilization', 'ASGAverageNetworkIn',
                                            'ASGAverageNetworkOut', 'ALBRequestCountPerTarget']),
            target_value=dict(type='float'),
            disable_scale_in=dict(type='bool', default=False),
            alarm=dict(type='dict', options=dict(
                name=dict(type='str'),
                description=dict(type='str'),
                metric_name=dict(type='str', default='CPUUtilization'),
                namespace=dict(type='str', default='AWS/EC2'),
                statistic=dict(type='str', default='Average',
                               choices=['Average', 'Minimum', 'Maximum', 'Sum', 'SampleCount']),
                comparison=dict(type='str', required=True,
                                choices=sorted(COMPARISONS) + sorted(COMPARISONS.values())),
                threshold=dict(type='float', required=True),
                period=dict(type='int', default=60),
                evaluation_periods=dict(type='int', default=2),
            )),
        )),
        lifecycle_hooks=dict(type='list', elements='dict', options=dict(
            name=dict(type='str', required=True),
            transition=dict(type='str', required=True,
                            choices=['autoscaling:EC2_INSTANCE_LAUNCHING', 'autoscaling:EC2_INSTANCE_TERMINATING']),
            heartbeat_timeout=dict(type='int', default=300),
            default_result=dict(type='str', choices=['CONTINUE', 'ABANDON'], default='CONTINUE'),
            notification_metadata=dict(type='str'),
        )),
        warm_pool=dict(type='dict', options=dict(
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            min_size=dict(type='int', default=0),
            max_group_prepared_capacity=dict(type='int'),
            pool_state=dict(type='str', choices=['Stopped', 'Running', 'Hibernated'], default='Stopped'),
            reuse_on_scale_in=dict(type='bool', default=False),
        )),
        notifications=dict(type='list', elements='dict', options=dict(
            topic=dict(type='str', required=True),
            types=dict(type='list', elements='str', default=list(NOTIFICATION_TYPES), choices=list(NOTIFICATION_TYPES)),
        )),
        alarm_topics=dict(type='list', elements='str'),
        scheduled_actions=dict(type='list', elements='dict', options=dict(
            name=dict(type='str', required=True),
            recurrence=dict(type='str'),
            start_time=dict(type='str'),
            end_time=dict(type='str'),
            time_zone=dict(type='str'),
            min_size=dict(type='int'),
            max_size=dict(type='int'),
            desired_capacity=dict(type='int'),
        )),
        purge_scheduled_actions=dict(type='bool', default=False),
        mixed_instances_policy=dict(type='dict', options=dict(
            instance_types=dict(type='list', elements='dict', required=True, options=dict(
                type=dict(type='str', required=True),
                weight=dict(type='int'),
            )),
            on_demand_base_capacity=dict(type='int', default=0),
            on_demand_percentage_above_base=dict(type='int', default=100),
            on_demand_allocation_strategy=dict(type='str', default='prioritized', choices=list(ON_DEMAND_STRATEGIES)),
            spot_allocation_strategy=dict(type='str', default='price-capacity-optimized', choices=list(SPOT_STRATEGIES)),
            spot_instance_pools=dict(type='int'),
            spot_max_price=dict(type='str'),
        )),
        wait_for_balancer=dict(type='bool', default=True),
    )


@module_edge
def main():
    spec = argument_spec()
    task_spec = dict((key, spec.pop(key)) for key in TASK_OPTIONS)
    group_spec = spec
    module = StreamfleetAWSModule(
        dict(relaxed_spec(group_spec), groups=dict(type='list', elements='dict'), **task_spec),
        mutually_exclusive=[('name', 'groups')],
        required_one_of=[('name', 'groups')],
        supports_check_mode=True,
    )
    run_each(module, FleetConverger, 'groups', group_spec,
             required_if=[('state', 'present', ['launch_template', 'subnets', 'min_size', 'max_size'])])


if __name__ == '__main__':
    main()
