#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: aws_deployment_info
short_description: Report the AWS objects of a deployment, found by its tag
version_added: 0.1.0
description:
  - Lists what carries the tag C(streamfleet:deployment=<deployment>) in a region, grouped by kind.
  - One paginated Resource Groups Tagging API call finds images, snapshots, volumes, security
    groups, VPCs, subnets, network interfaces, load balancers (Classic and v2), target groups,
    CloudWatch alarms and ACM certificates. Kinds the Tagging API does not list are read with
    their own tag-filtered describe calls - EC2 instances (so that terminated ones are left out),
    launch templates and Auto Scaling groups.
  - Route 53 records cannot carry tags and are not reported.
  - With O(details=true) each kind found is also described (state, names, DNS names...), one call per kind.
  - Also lists the deployment's IAM instance profiles (path C(/streamfleet/), tag
    C(streamfleet:deployment)) in RV(instance_profiles); AWS documents that IAM list calls return no
    tags, so each profile under that path whose list entry lacks them costs one C(GetInstanceProfile).
  - With O(status=true) RV(groups) reports each Auto Scaling group as the status view shows it
    (C(playbooks/status.yml)) - sizes, instances by lifecycle state, lifecycle hooks, warm pool,
    target health per instance, launch template version and image in use per instance against
    the newest image of the family (images tagged C(streamfleet:role), newest by creation date),
    the rollout in progress (group tag C(streamfleet:rollout)) and the instances draining
    (C(Terminating:Wait)). The number of calls does not grow with the number of instances.
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.aws
attributes:
  check_mode:
    support: full
    description: Reads only.
options:
  deployment:
    description: The deployment name, the value of the C(streamfleet:deployment) tag.
    type: str
    required: true
  details:
    description: Also describe each object found (one extra call per kind).
    type: bool
    default: false
  status:
    description:
      - Also report the status of each Auto Scaling group in RV(groups).
      - Costs one C(DescribeImages), one C(DescribeLifecycleHooks) per group, one
        C(DescribeTargetHealth) per target group, C(DescribeWarmPool) for groups with a warm pool,
        and one C(DescribeInstances) when a group instance does not carry the deployment tag.
    type: bool
    default: false
notes:
  - This module only reads; O(tags), O(wait) and O(wait_timeout) are not used.
'''

EXAMPLES = r'''
- name: What does the live deployment consist of?
  streamfleet.cluster.aws_deployment_info:
    deployment: live
    details: true
  register: live

- name: Status of every Auto Scaling group
  streamfleet.cluster.aws_deployment_info:
    deployment: live
    status: true
  register: live_status

- name: Fail when anything of the deployment is left after teardown
  ansible.builtin.assert:
    that: live.total == 0
    fail_msg: "Left over: {{ live.objects | dict2items | selectattr('value') | map(attribute='key') | list }}"
'''

RETURN = r'''
objects:
  description:
    - Objects by kind. Each item has C(id) (or name), C(arn) when known, C(tags) and, with O(details=true),
      what the service's describe call reports (snake_cased).
    - Kinds are C(instances), C(images), C(snapshots), C(volumes), C(launch_templates),
      C(security_groups), C(vpcs), C(subnets), C(network_interfaces), C(load_balancers),
      C(classic_load_balancers), C(target_groups), C(auto_scaling_groups), C(alarms),
      C(certificates) and C(other) (anything else tagged).
  returned: always
  type: dict
  sample: {"images": [{"id": "ami-0123456789abcdef0", "arn": "arn:aws:ec2:us-east-1:123456789012:image/ami-0123456789abcdef0",
           "tags": {"streamfleet:deployment": "live"}}], "instances": []}
counts:
  description: Number of objects per kind.
  returned: always
  type: dict
  sample: {"images": 1, "instances": 0}
total:
  description: Number of objects found.
  returned: always
  type: int
  sample: 1
instance_profiles:
  description: IAM instance profiles of the deployment (path C(/streamfleet/), tag C(streamfleet:deployment)).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "live-drain-agent", "arn": "arn:aws:iam::123456789012:instance-profile/streamfleet/live-drain-agent",
            "path": "/streamfleet/", "role_name": "live-drain-agent", "role_arn": "arn:aws:iam::123456789012:role/streamfleet/live-drain-agent",
            "tags": {"streamfleet:deployment": "live"}}]
groups:
  description:
    - With O(status=true), one entry per Auto Scaling group of the deployment, sorted by name.
    - C(role) is the group's C(streamfleet:role) tag, else the one its instances share.
    - C(instances) has per instance C(id), C(role) (its C(streamfleet:role) tag), C(lifecycle_state), C(health_status), C(availability_zone),
      C(protected_from_scale_in), C(launch_template_id), C(launch_template_version), C(image_id),
      C(private_ip), C(public_ip) and C(target_health) (target group ARN to state, C(unregistered) when absent).
    - C(target_groups) counts the members' states per target group; C(warm_pool) is null without one.
    - C(rollout) is null unless the group carries C(streamfleet:rollout) (then the tag and the sizes it
      will restore); C(draining) lists the instances in C(Terminating:Wait).
  returned: when O(status=true)
  type: list
  elements: dict
  sample: [{"name": "live-edge", "min_size": 2, "desired_capacity": 3, "max_size": 10,
            "instances_by_state": {"InService": 2, "Terminating:Wait": 1},
            "lifecycle_hooks": [{"name": "drain", "transition": "autoscaling:EC2_INSTANCE_TERMINATING",
                                 "heartbeat_timeout": 300, "global_timeout": 30000, "default_result": "CONTINUE"}],
            "warm_pool": null,
            "target_groups": [{"arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/live-edge/0123456789abcdef",
                               "name": "live-edge", "healthy": 2, "by_state": {"healthy": 2, "draining": 1}}],
            "image_family": "antmedia-edge", "images_in_use": ["ami-0123456789abcdef0"],
            "newest_image": {"id": "ami-0fedcba9876543210", "name": "live-antmedia-edge-9f2c", "creation_date": "2026-12-06T10:00:00.000Z"},
            "images_up_to_date": false, "rollout": null, "draining": ["i-0123456789abcdef0"],
            "launch_template": {"id": "lt-0123456789abcdef0", "name": "live-edge", "version": "$Default"},
            "suspended_processes": [], "instances": []}]
api_calls:
  description: AWS API calls made, by C(service.Operation).
  returned: always
  type: dict
  sample: {"resourcegroupstaggingapi.GetResources": 1, "ec2.DescribeInstances": 1}
'''

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.deployment import DeploymentInfo
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.session import StreamfleetAWSModule
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import module_edge


@module_edge
def main():
    argument_spec = dict(
        deployment=dict(type='str', required=True),
        details=dict(type='bool', default=False),
        status=dict(type='bool', default=False),
    )
    module = StreamfleetAWSModule(argument_spec, supports_check_mode=True)
    DeploymentInfo(module).run()


if __name__ == '__main__':
    main()
