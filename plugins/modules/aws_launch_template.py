#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: aws_launch_template
short_description: Manage an EC2 launch template and its versions
version_added: 0.1.0
description:
  - Creates, updates or deletes an EC2 launch template named O(name).
  - The launch template data is built from the options and always sent in full; a new version is
    created only when it differs from the default version (or the latest version, which is then
    made the default). Earlier versions are kept, so a rollback is a change of the default version.
  - Instances and volumes launched from the template are tagged with the deployment tags and
    O(instance_tags); the template itself carries the deployment tags and O(tags).
  - The image, security groups and key pair are checked to exist before anything changes.
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.aws
  - streamfleet.cluster.tags
attributes:
  check_mode:
    support: full
    description: Reports what would change, creates nothing.
  diff_mode:
    support: full
    description: Shows the template data of the default version before and after.
options:
  name:
    description:
      - The launch template name (unique in a region).
      - Required unless O(templates) is given.
    type: str
  templates:
    description:
      - Several launch templates in one task (one Python process and one set of clients for all
        of them, instead of a loop of tasks), converged in their order.
      - Each entry is a dict of this module's per-template options (O(name), O(state),
        O(image_id), O(instance_type), O(key_name), O(security_group_ids), O(user_data),
        O(iam_instance_profile), O(associate_public_ip_address), O(metadata_options),
        O(block_devices), O(instance_tags), O(purge_tags), O(detailed_monitoring),
        O(set_default)); an option an entry leaves out is the task's own, so the options the
        templates share are given once at the top level.
      - Every entry is checked before any call; a bad entry fails the task before anything
        changes. O(user_data) of every entry is kept out of the output as the task's own is.
      - Mutually exclusive with O(name).
    type: list
    elements: dict
  state:
    description:
      - V(present) creates the template or a new version; V(absent) deletes the template with all its versions.
    type: str
    choices: [present, absent]
    default: present
  image_id:
    description: The AMI instances start from. Required when O(state=present).
    type: str
  instance_type:
    description: The instance type, for example V(c5.xlarge). Required when O(state=present).
    type: str
  key_name:
    description: The EC2 key pair name for SSH access.
    type: str
  security_group_ids:
    description: Security group ids for the instances.
    type: list
    elements: str
    default: []
  user_data:
    description:
      - Plain-text user data (for example a cloud-init script); the module base64-encodes it.
      - At most 16 KiB once encoded.
      - Treated as a secret (boot scripts often carry database credentials) - never returned;
        results and diffs show its SHA-256 digest instead, so a change is still visible.
    type: str
  iam_instance_profile:
    description: An IAM instance profile name or ARN.
    type: str
  associate_public_ip_address:
    description:
      - When set, the template defines the primary network interface with this public IP setting;
        the security groups then go on that interface.
    type: bool
  metadata_options:
    description: Instance metadata service settings. IMDSv2 (session tokens) is required by default.
    type: dict
    default: {}
    suboptions:
      http_tokens:
        description: V(required) enforces IMDSv2.
        type: str
        choices: [required, optional]
        default: required
      http_endpoint:
        description: Whether the metadata service is reachable.
        type: str
        choices: [enabled, disabled]
        default: enabled
      http_put_response_hop_limit:
        description: Hop limit of metadata PUT responses (1-64); raise it to 2 for containers.
        type: int
  block_devices:
    description: EBS volumes of the instances.
    type: list
    elements: dict
    default: []
    suboptions:
      device_name:
        description: The device name, for example V(/dev/xvda).
        type: str
        required: true
      volume_size:
        description: Size in GiB.
        type: int
      volume_type:
        description: The EBS volume type.
        type: str
        choices: [gp2, gp3, io1, io2, st1, sc1, standard]
      iops:
        description: Provisioned IOPS (gp3, io1, io2).
        type: int
      throughput:
        description: Throughput in MiB/s (gp3).
        type: int
      encrypted:
        description: Whether the volume is encrypted.
        type: bool
      delete_on_termination:
        description: Whether the volume is deleted with the instance.
        type: bool
        default: true
  instance_tags:
    description: Extra tags for the instances and volumes launched from the template.
    type: dict
    default: {}
  detailed_monitoring:
    description:
      - Detailed (1-minute) CloudWatch monitoring of the instances (C(Monitoring.Enabled)).
      - Turn it on wherever scaling alarms or target tracking use 60-second periods (seed 001's
        2 x 1 minute scale-out alarm). With V(false), the EC2 default and the seeds' launch
        templates, EC2 metrics come every 5 minutes and such alarms see missing data. Costs
        per instance and month (CloudWatch pricing).
    type: bool
    default: false
  set_default:
    description: Make the matching (or new) version the default version.
    type: bool
    default: true
notes:
  - Launch templates take effect immediately; O(wait) and O(wait_timeout) are not used.
  - A run that changes nothing makes two calls, C(DescribeLaunchTemplates) and
    C(DescribeLaunchTemplateVersions). The template's tags are taken from the
    C(DescribeLaunchTemplates) answer; only when they differ from the wanted ones (a tag to set
    or remove, or another deployment's tag to refuse) are they read again with C(DescribeTags)
    before anything is changed.
  - moto, the local stand-in used by the tests, reports in C(DescribeLaunchTemplates) only the
    tags given when the template was created (AWS reports the current ones); the confirmation
    with C(DescribeTags) keeps tag changes correct there, but a tag changed by hand after
    creation goes unseen on moto while the creation tags equal the wanted ones.
'''

EXAMPLES = r'''
- name: Launch template for the origin servers
  streamfleet.cluster.aws_launch_template:
    name: live-origin
    deployment: live
    image_id: "{{ origin_image.image_id }}"
    instance_type: c5.xlarge
    key_name: ops
    security_group_ids: ["{{ origin_sg }}"]
    user_data: |
      #!/bin/sh
      /usr/local/bin/streamfleet-firstboot --role origin
    block_devices:
      - device_name: /dev/xvda
        volume_size: 30
        volume_type: gp3
  register: origin_template

- name: Launch templates of origins and edges in one task (the shared options once)
  streamfleet.cluster.aws_launch_template:
    deployment: live
    image_id: "{{ image.image_id }}"
    security_group_ids: ["{{ nodes_sg }}"]
    templates:
      - {name: live-origin, instance_type: c5.xlarge, instance_tags: {role: origin}}
      - {name: live-edge, instance_type: c5.2xlarge, instance_tags: {role: edge}}
  register: node_templates

- name: Delete the template and all its versions
  streamfleet.cluster.aws_launch_template:
    name: live-origin
    state: absent
'''

RETURN = r'''
results:
  description:
    - With O(templates), one result per entry in their order, each with the keys below
      (C(changed), C(changes), C(diff) included); the task's C(changed) is true when any entry
      changed and its C(changes) names each entry's changes.
  returned: when O(templates) is given
  type: list
  elements: dict
  sample: [{"launch_template_name": "live-origin", "launch_template_id": "lt-0123456789abcdef0", "changed": false}]
launch_template_id:
  description: The launch template id.
  returned: when the template exists (or would be created in check mode, then null)
  type: str
  sample: lt-0123456789abcdef0
launch_template_name:
  description: The launch template name.
  returned: always (with O(templates), in each entry of RV(results))
  type: str
  sample: live-origin
default_version:
  description: The default version number.
  returned: when O(state=present)
  type: int
  sample: 3
latest_version:
  description: The latest version number.
  returned: when O(state=present)
  type: int
  sample: 3
version_created:
  description: Whether a new version was (or in check mode would be) created.
  returned: when O(state=present)
  type: bool
  sample: false
launch_template_data:
  description: The data of the default version, snake_cased (user data as C(user_data_sha256), never in clear).
  returned: when O(state=present)
  type: dict
  sample: {"image_id": "ami-0123456789abcdef0", "instance_type": "c5.xlarge"}
tags:
  description: Tags of the launch template.
  returned: when O(state=present)
  type: dict
  sample: {"streamfleet:deployment": "live", "streamfleet:managed-by": "streamfleet.cluster"}
api_calls:
  description: AWS API calls made, by C(service.Operation).
  returned: always
  type: dict
  sample: {"ec2.DescribeLaunchTemplates": 1, "ec2.DescribeImages": 1}
'''


from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.converger import relaxed_spec, run_each
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.launch_template import LaunchTemplateConverger
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.session import StreamfleetAWSModule
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import module_edge


@module_edge
def main():
    template_spec = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        image_id=dict(type='str'),
        instance_type=dict(type='str'),
        key_name=dict(type='str', no_log=False),
        security_group_ids=dict(type='list', elements='str', default=[]),
        user_data=dict(type='str', no_log=True),
        iam_instance_profile=dict(type='str'),
        associate_public_ip_address=dict(type='bool'),
        metadata_options=dict(type='dict', default={}, options=dict(
            http_tokens=dict(type='str', default='required', choices=['required', 'optional']),
            http_endpoint=dict(type='str', default='enabled', choices=['enabled', 'disabled']),
            http_put_response_hop_limit=dict(type='int'),
        )),
        block_devices=dict(type='list', elements='dict', default=[], options=dict(
            device_name=dict(type='str', required=True),
            volume_size=dict(type='int'),
            volume_type=dict(type='str', choices=['gp2', 'gp3', 'io1', 'io2', 'st1', 'sc1', 'standard']),
            iops=dict(type='int'),
            throughput=dict(type='int'),
            encrypted=dict(type='bool'),
            delete_on_termination=dict(type='bool', default=True),
        )),
        instance_tags=dict(type='dict', default={}),
        purge_tags=dict(type='bool', default=False),
        detailed_monitoring=dict(type='bool', default=False),
        set_default=dict(type='bool', default=True),
    )
    argument_spec = dict(relaxed_spec(template_spec), templates=dict(type='list', elements='dict'))
    module = StreamfleetAWSModule(
        argument_spec,
        mutually_exclusive=[('name', 'templates')],
        required_one_of=[('name', 'templates')],
        supports_check_mode=True,
    )
    run_each(module, LaunchTemplateConverger, 'templates', template_spec,
             required_if=[('state', 'present', ['deployment', 'image_id', 'instance_type'])])


if __name__ == '__main__':
    main()
