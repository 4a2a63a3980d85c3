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
notes:
  - This module only reads; O(tags), O(wait) and O(wait_timeout) are not used.
'''

EXAMPLES = r'''
- name: What does the live deployment consist of?
  streamfleet.cluster.aws_deployment_info:
    deployment: live
    details: true
  register: live

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
api_calls:
  description: AWS API calls made, by C(service.Operation).
  returned: always
  type: dict
  sample: {"resourcegroupstaggingapi.GetResources": 1, "ec2.DescribeInstances": 1}
'''

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.deployment import DeploymentInfo
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.session import StreamfleetAWSModule


def main():
    argument_spec = dict(
        deployment=dict(type='str', required=True),
        details=dict(type='bool', default=False),
    )
    module = StreamfleetAWSModule(argument_spec, supports_check_mode=True)
    DeploymentInfo(module).run()


if __name__ == '__main__':
    main()
