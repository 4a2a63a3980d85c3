#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: aws_image_info
short_description: Find the newest AMI of a baked family or of a name pattern
version_added: 0.1.0
description:
  - With O(family), the newest available image of this account tagged
    C(streamfleet:deployment=<deployment>) and C(streamfleet:role=<family>) - what
    C(playbooks/bake_image.yml) (role C(image_bake)) bakes. The topology roles use it when no
    image id is given, so a re-run deploys the newest bake and never reverts to an older image.
    The pick is the status view's own (C(aws_deployment_info) with C(status=true)) - newest by
    C(CreationDate).
  - With O(name), the newest available image whose AMI name matches the pattern (C(*) and C(?)
    wildcards) among the images of O(owners) - a base image such as Ubuntu's to launch a
    builder from.
  - One C(DescribeImages) call, filtered by EC2 (tags or name, state C(available)).
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.aws
attributes:
  check_mode:
    support: full
    description: Reads only; the same answer in check mode.
  diff_mode:
    support: none
    description: Reads only; there is nothing to compare.
options:
  family:
    description:
      - The image family (tag C(streamfleet:role), C(image_bake_family) of the bake, for example
        V(antmedia), V(wcs), V(red5pro-streammanager)). Needs O(deployment), the deployment the
        images were baked for (C(image_bake_deployment)).
      - Exactly one of O(family) and O(name).
    type: str
  name:
    description:
      - An AMI name pattern, for example
        V(ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*).
    type: str
  owners:
    description:
      - Owners of the images O(name) matches - account ids or V(self), V(amazon),
        V(aws-marketplace). Canonical (Ubuntu) publishes under account V(099720109477).
      - Ignored with O(family) (baked images are this account's, V(self)).
    type: list
    elements: str
    default: [self]
  fail_when_none:
    description: Fail when no image matches (false - return RV(image_id) null).
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Newest Ant Media image baked for the deployment live
  streamfleet.cluster.aws_image_info:
    deployment: live
    family: antmedia
    fail_when_none: true
  register: antmedia_image

- name: Newest Ubuntu 24.04 image (a builder's base)
  streamfleet.cluster.aws_image_info:
    name: ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*
    owners: ["099720109477"]
  register: ubuntu_image
'''

RETURN = r'''
image_id:
  description: The newest matching image (null when none matched).
  returned: always
  type: str
  sample: ami-0123456789abcdef0
image:
  description: The newest matching image (null when none matched).
  returned: always
  type: dict
  contains:
    image_id: {description: AMI id., type: str, returned: success, sample: ami-0123456789abcdef0}
    name: {description: AMI name., type: str, returned: success, sample: live-antmedia-9f2c4d1e0a3b}
    creation_date: {description: When EC2 created it., type: str, returned: success, sample: "2026-12-06T10:00:00.000Z"}
    owner_id: {description: Owner account., type: str, returned: success, sample: "123456789012"}
    state: {description: Image state (always V(available))., type: str, returned: success, sample: available}
    architecture: {description: Architecture., type: str, returned: success, sample: x86_64}
    tags: {description: Tags of the image., type: dict, returned: success, sample: {"streamfleet:role": "antmedia"}}
matched:
  description: How many available images matched the filters.
  returned: always
  type: int
  sample: 3
api_calls:
  description: AWS API calls made, by C(service.Operation).
  returned: always
  type: dict
  sample: {"ec2.DescribeImages": 1}
'''

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.image import ImageInfo
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.session import StreamfleetAWSModule
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import module_edge


@module_edge
def main():
    argument_spec = dict(
        family=dict(type='str'),
        name=dict(type='str'),
        owners=dict(type='list', elements='str', default=['self']),
        fail_when_none=dict(type='bool', default=False),
    )
    module = StreamfleetAWSModule(
        argument_spec,
        mutually_exclusive=[('family', 'name')],
        required_one_of=[('family', 'name')],
        required_by={'family': ['deployment']},
        supports_check_mode=True,
    )
    ImageInfo(module).run()


if __name__ == '__main__':
    main()
