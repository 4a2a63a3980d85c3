#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: aws_image
short_description: Bake an AMI from a configured instance and keep the newest few
version_added: 0.1.0
description:
  - Creates an AMI named O(name) from the instance O(instance_id), waits until it is available
    and tags it and its snapshots with the deployment tags, O(tags) and C(streamfleet:role=<role>).
  - An AMI name is unique in a region and account; when an image of that name exists the module
    changes nothing but its tags.
  - With O(keep), only the O(keep) newest images of the same deployment and O(role) are kept;
    older ones are deregistered and their snapshots deleted.
  - O(state=absent) deregisters the image O(name) (or, without O(name), every image of the
    deployment and O(role)) and deletes its snapshots.
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.aws
  - streamfleet.cluster.tags
attributes:
  check_mode:
    support: full
    description: Reports the image it would create and the images it would deregister.
  diff_mode:
    support: full
    description: Shows the image names and tags before and after.
options:
  name:
    description:
      - The AMI name, 3 to 128 characters of letters, digits and C(()[] ./-'@_).
      - Required when O(state=present). Give each bake its own name, for example with a
        timestamp or a build number, and group them with O(role).
    type: str
  state:
    description: V(present) bakes the image if missing; V(absent) deregisters it with its snapshots.
    type: str
    choices: [present, absent]
    default: present
  instance_id:
    description:
      - The configured instance to bake from (running or stopped). Required when the image does
        not exist yet.
    type: str
  no_reboot:
    description:
      - Do not stop the instance while taking the snapshots. Faster and without downtime, but
        the file systems are not guaranteed consistent.
    type: bool
    default: false
  description:
    description:
      - The image description, set when the image is created (it is not changed afterwards).
    type: str
  role:
    description:
      - The role of the image within the deployment (for example V(origin) or V(edge)), stored as
        tag C(streamfleet:role). Images of the same deployment and role form one family for O(keep).
    type: str
  keep:
    description:
      - Keep this many of the newest images of the deployment and O(role) (the image O(name)
        included); deregister older ones and delete their snapshots.
      - Not set means nothing is cleaned up.
    type: int
notes:
  - Images still used by a launch template are not detected; with O(keep) they are deregistered like
    any other old image, so keep at least as many images as versions you may roll back to.
'''

EXAMPLES = r'''
- name: Bake the origin image from the configured builder instance
  streamfleet.cluster.aws_image:
    name: "live-origin-{{ build_number }}"
    deployment: live
    role: origin
    instance_id: "{{ builder.instance_id }}"
    no_reboot: false
    keep: 3
    wait_timeout: 1800
  register: origin_image

- name: Remove every origin image of the deployment
  streamfleet.cluster.aws_image:
    deployment: live
    role: origin
    state: absent
'''

RETURN = r'''
image_id:
  description: The AMI id (null in check mode when the image would be created).
  returned: when O(state=present)
  type: str
  sample: ami-0123456789abcdef0
name:
  description: The AMI name.
  returned: when O(state=present)
  type: str
  sample: live-origin-42
image_state:
  description: The image state (V(available) after waiting).
  returned: when O(state=present)
  type: str
  sample: available
snapshot_ids:
  description: The EBS snapshots backing the image.
  returned: when O(state=present)
  type: list
  elements: str
  sample: [snap-0123456789abcdef0]
tags:
  description: Tags of the image.
  returned: when O(state=present)
  type: dict
  sample: {"streamfleet:deployment": "live", "streamfleet:role": "origin"}
image:
  description: The image as EC2 describes it, snake_cased.
  returned: when the image exists after the run
  type: dict
  sample: {"image_id": "ami-0123456789abcdef0", "state": "available", "creation_date": "2026-01-01T00:00:00.000Z"}
deregistered:
  description: Images deregistered (or that would be in check mode) with their deleted snapshots.
  returned: always
  type: list
  elements: dict
  sample: [{"image_id": "ami-0fedcba9876543210", "name": "live-origin-39", "snapshot_ids": ["snap-0fedcba9876543210"]}]
wait_progress:
  description: Status lines seen while waiting for the image.
  returned: when the module waited
  type: list
  elements: str
  sample: ["[0s] image ami-0123456789abcdef0 available: pending", "[95s] image ami-0123456789abcdef0 available: available"]
api_calls:
  description: AWS API calls made, by C(service.Operation).
  returned: always
  type: dict
  sample: {"ec2.DescribeImages": 2}
'''

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.image import ImageConverger
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.session import StreamfleetAWSModule
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import module_edge


@module_edge
def main():
    argument_spec = dict(
        name=dict(type='str'),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        instance_id=dict(type='str'),
        no_reboot=dict(type='bool', default=False),
        description=dict(type='str'),
        role=dict(type='str'),
        keep=dict(type='int'),
        purge_tags=dict(type='bool', default=False),
    )
    module = StreamfleetAWSModule(
        argument_spec,
        required_if=[
            ('state', 'present', ['name', 'deployment']),
            ('state', 'absent', ['name', 'role'], True),
        ],
        required_by={'keep': ['role', 'deployment']},
        supports_check_mode=True,
    )
    ImageConverger(module).run()


if __name__ == '__main__':
    main()
