#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aws_instance
short_description: One named EC2 instance of a deployment (a WCS origin, a MongoDB server, an image builder)
version_added: 0.1.0
description:
  - Ensures that exactly one running instance with this C(Name) tag exists in the deployment,
    launched from a launch template or from an image with the given settings, and returns its
    addresses. Scaled tiers belong in M(streamfleet.cluster.aws_fleet); this module is for the
    single hosts of a topology.
  - The instance is found by its C(Name) tag and the deployment tag; a second run changes
    nothing. Settings that AWS cannot change on a running instance (image, subnet, user data)
    are reported as a warning instead of replacing the instance; O(replace=true) replaces it.
  - The instance metadata service requires session tokens (IMDSv2) unless told otherwise.
  - O(state=absent) terminates it and, with O(wait), waits until it is gone.
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.aws
attributes:
  check_mode:
    support: full
    description: Reports whether the instance would be launched or terminated.
  diff_mode:
    support: full
    description: Shows the instance's settings before and after.
options:
  name:
    description: The instance's C(Name) tag, unique within the deployment.
    type: str
    required: true
  deployment:
    description: Value of the C(streamfleet:deployment) tag.
    type: str
    required: true
  state:
    description: V(present) (running) or V(absent) (terminated).
    type: str
    choices: [present, absent]
    default: present
  launch_template:
    description: Launch from this template (by name or id, optional version). Mutually exclusive with O(image_id).
    type: dict
    suboptions:
      name:
        description: Template name.
        type: str
      id:
        description: Template id.
        type: str
      version:
        description: Version number, V($Default) or V($Latest).
        type: str
        default: $Default
  image_id:
    description: AMI to launch (checked to exist first).
    type: str
  instance_type:
    description: Instance type. Required with O(image_id).
    type: str
  subnet_id:
    description: Subnet to launch into.
    type: str
  security_group_ids:
    description: Security groups of the instance.
    type: list
    elements: str
  key_name:
    description: EC2 key pair for SSH.
    type: str
  user_data:
    description: Plain-text user data (the module base64-encodes it). Treated as secret, never returned.
    type: str
  private_ip_address:
    description: A fixed private address inside the subnet.
    type: str
  associate_public_ip_address:
    description: Give the instance a public address.
    type: bool
  volume_size:
    description: Size in GiB of the root volume.
    type: int
  http_tokens:
    description: IMDS session tokens V(required) (IMDSv2) or V(optional).
    type: str
    choices: [required, optional]
    default: required
  replace:
    description: Terminate and relaunch when the image, subnet, type or user data differ.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: MongoDB server of the Ant Media cluster
  streamfleet.cluster.aws_instance:
    name: antmedia-mongodb
    deployment: antmedia-prod
    image_id: ami-0123456789abcdef0
    instance_type: t3.medium
    subnet_id: "{{ network.subnet_ids[0] }}"
    security_group_ids: ["{{ network.security_groups['antmedia-mongodb'] }}"]
  register: mongodb_instance

- name: WCS origin from its launch template
  streamfleet.cluster.aws_instance:
    name: wcs-origin
    deployment: wcs-cdn
    launch_template: {name: wcs-origin}
    subnet_id: subnet-0123
"""

RETURN = r"""
instance:
  description: The instance (null when absent, or in check mode before launch).
  returned: always
  type: dict
  contains:
    instance_id: {description: Instance id., type: str, returned: success, sample: i-0123}
    private_ip_address: {description: Private IPv4 address., type: str, returned: success, sample: 10.20.1.15}
    public_ip_address: {description: Public IPv4 address if any., type: str, returned: success, sample: 3.3.3.3}
    private_dns_name: {description: Private DNS name., type: str, returned: success, sample: ip-10-20-1-15.ec2.internal}
    state: {description: Instance state., type: str, returned: success, sample: running}
    image_id: {description: AMI id., type: str, returned: success, sample: ami-0123}
    instance_type: {description: Instance type., type: str, returned: success, sample: t3.medium}
    subnet_id: {description: Subnet id., type: str, returned: success, sample: subnet-0123}
changes:
  description: What was (or would be) done.
  returned: always
  type: list
  elements: str
  sample: ["launch antmedia-mongodb"]
api_calls:
  description: AWS API calls made, by C(service.Operation).
  returned: always
  type: dict
  sample: {"ec2.DescribeInstances": 1}
"""


from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.instance import InstanceConverger
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.session import StreamfleetAWSModule
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import module_edge


@module_edge
def main():
    argument_spec = dict(
        name=dict(type='str', required=True),
        deployment=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        launch_template=dict(type='dict', options=dict(
            name=dict(type='str'), id=dict(type='str'), version=dict(type='str', default='$Default'))),
        image_id=dict(type='str'),
        instance_type=dict(type='str'),
        subnet_id=dict(type='str'),
        security_group_ids=dict(type='list', elements='str'),
        key_name=dict(type='str'),
        user_data=dict(type='str', no_log=True),
        private_ip_address=dict(type='str'),
        associate_public_ip_address=dict(type='bool'),
        volume_size=dict(type='int'),
        http_tokens=dict(type='str', default='required', choices=['required', 'optional']),
        replace=dict(type='bool', default=False),
    )
    module = StreamfleetAWSModule(
        argument_spec,
        mutually_exclusive=[('launch_template', 'image_id')],
        required_if=[('state', 'present', ('launch_template', 'image_id'), True)],
        required_by={'image_id': 'instance_type'},
        supports_check_mode=True,
    )
    InstanceConverger(module).run()


if __name__ == '__main__':
    main()
