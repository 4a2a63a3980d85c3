#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: aws_elastic_ips
short_description: A numbered set of reserved Elastic IP addresses that servers claim at boot
version_added: 0.3.0
description:
  - Allocates, tags and releases O(count) Elastic IP addresses (VPC) named C(<name>-0),
    C(<name>-1), ... for servers that each claim one at boot, such as the Red5 Pro Stream
    Managers of an Auto Scaling group (seed 003, "one reserved elastic IP address for each Stream
    Manager"). The module only reserves the addresses; it never associates them.
  - Each address carries C(streamfleet:deployment), C(streamfleet:elastic-ip-set=<name>) and
    C(streamfleet:index=<n>). The set is read with one C(DescribeAddresses) filtered by those
    tags, so a run that changes nothing makes one call; an address is never adopted by public IP.
  - The boot command C(streamfleet-boot elastic-ip) (installed on the image by the
    C(server_boot) role) finds the same set with the instance's own credentials and associates
    the lowest free index with its instance.
  - Lowering O(count) releases the unassociated addresses above it; one still associated with an
    instance is kept and listed in RV(not_released) (releasing it would take a live server's
    address).
  - O(state=absent) disassociates and releases every address of the set.
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.aws
attributes:
  check_mode:
    support: full
    description: Reports what would be allocated, tagged or released without doing it.
  diff_mode:
    support: full
    description: Shows the set (index, allocation id, address) before and after.
options:
  name:
    description:
      - Name of the set, 1-128 characters of C(A-Z a-z 0-9 _ . -); the addresses are tagged
        C(Name=<name>-<index>).
    type: str
    required: true
  count:
    description:
      - Number of addresses, 0 to 64. Give one per server that may run at the same time (the
        group's maximum; one more when a rolling update starts a replacement before the old
        server leaves). The default quota is 5 Elastic IP addresses per region.
      - Required with O(state=present).
    type: int
  state:
    description: V(present) converges the set, V(absent) releases all its addresses.
    type: str
    choices: [present, absent]
    default: present
  deployment:
    description: The deployment the addresses belong to (value of the C(streamfleet:deployment) tag).
    type: str
    required: true
'''

EXAMPLES = r'''
- name: One reserved address per Stream Manager
  streamfleet.cluster.aws_elastic_ips:
    name: streammanager
    count: 2
    deployment: red5-prod
  register: sm_addresses

- name: Release them
  streamfleet.cluster.aws_elastic_ips:
    name: streammanager
    deployment: red5-prod
    state: absent
'''

RETURN = r'''
name:
  description: Name of the set.
  returned: always
  type: str
  sample: streammanager
addresses:
  description: The addresses of the set after the run, by index (V(null) ids and addresses in check mode before allocation).
  returned: always
  type: list
  elements: dict
  sample: [{index: 0, allocation_id: eipalloc-0a1b2c3d4e5f60718, public_ip: 203.0.113.10, instance_id: null}]
allocation_ids:
  description: Allocation ids of the set (for an IAM policy limited to them).
  returned: always
  type: list
  elements: str
  sample: [eipalloc-0a1b2c3d4e5f60718, eipalloc-0f1e2d3c4b5a69788]
not_released:
  description: Allocation ids above O(count) kept because an instance still holds them.
  returned: always
  type: list
  elements: str
  sample: []
changes:
  description: What the module changed (or would change in check mode), one line each.
  returned: always
  type: list
  elements: str
  sample: ["allocate Elastic IP streammanager-0", "allocate Elastic IP streammanager-1"]
api_calls:
  description: Number of AWS calls made, per service.Operation.
  returned: always
  type: dict
  sample: {ec2.DescribeAddresses: 1}
'''

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.elastic_ip import ElasticIpConverger
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.session import StreamfleetAWSModule
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import module_edge


def argument_spec():
    return dict(
        name=dict(type='str', required=True),
        count=dict(type='int'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        deployment=dict(type='str', required=True),
    )


@module_edge
def main():
    module = StreamfleetAWSModule(argument_spec(), supports_check_mode=True,
                                  required_if=[('state', 'present', ('count',))])
    ElasticIpConverger(module).run()


if __name__ == '__main__':
    main()
