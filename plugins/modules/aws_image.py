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
  purge_tags:
    description: Remove tags of an existing image that are not in O(tags) (the module's own tags always stay).
    type: bool
    default: false
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

import re

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.core import (
    DEPLOYMENT_TAG,
    BotoCoreError,
    ClientError,
    StreamfleetAWSModule,
    boto3_tag_list,
    ec2_filters,
    ensure_dict_diff,
    image_available,
    is_error,
    snake_dict,
    tag_changes,
    tag_dict,
)

ROLE_TAG = 'streamfleet:role'
AMI_NAME = re.compile(r"^[A-Za-z0-9()\[\] ./\-'@_]{3,128}$")


def snapshot_ids(image):
    return [m['Ebs']['SnapshotId'] for m in image.get('BlockDeviceMappings', [])
            if m.get('Ebs', {}).get('SnapshotId')]


def describe(module, ec2, filters):
    try:
        return module.paginate(ec2, 'describe_images', 'Images', Owners=['self'], Filters=ec2_filters(filters))
    except (ClientError, BotoCoreError) as exc:
        module.fail_aws(exc, 'Cannot list images')


def desired_tags(module):
    tags = module.deployment_tags()
    if module.params['role']:
        tags[ROLE_TAG] = module.params['role']
    return tags


def family(module, ec2):
    """Images of this deployment and role, newest first."""
    p = module.params
    images = describe(module, ec2, {'tag:' + DEPLOYMENT_TAG: p['deployment'], 'tag:' + ROLE_TAG: p['role']})
    images = [i for i in images if i.get('State') not in ('deregistered',)]
    return sorted(images, key=lambda i: (i.get('CreationDate', ''), i.get('Name', '')), reverse=True)


def deregister(module, ec2, images):
    """Deregister ``images`` and delete their snapshots (not in check mode); returns the report."""
    report = []
    for image in images:
        snaps = snapshot_ids(image)
        report.append(dict(image_id=image['ImageId'], name=image.get('Name'), snapshot_ids=snaps))
        if module.check_mode:
            continue
        try:
            ec2.deregister_image(ImageId=image['ImageId'])
        except (ClientError, BotoCoreError) as exc:
            if not is_error(exc, 'InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable'):
                module.fail_aws(exc, 'Cannot deregister image %s' % image['ImageId'])
        for snap in snaps:
            try:
                ec2.delete_snapshot(SnapshotId=snap)
            except (ClientError, BotoCoreError) as exc:
                if not is_error(exc, 'InvalidSnapshot.NotFound'):
                    module.fail_aws(exc, 'Cannot delete snapshot %s of image %s' % (snap, image['ImageId']))
    return report


def validate_instance(module, ec2):
    instance_id = module.params['instance_id']
    if not instance_id:
        module.fail_json(msg='instance_id is required to create image %s' % module.params['name'])
    try:
        reservations = ec2.describe_instances(InstanceIds=[instance_id])['Reservations']
    except (ClientError, BotoCoreError) as exc:
        if is_error(exc, 'InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed'):
            module.fail_json(msg='instance_id %s does not exist' % instance_id)
        module.fail_aws(exc, 'Cannot look up instance %s' % instance_id)
    instances = [i for r in reservations for i in r['Instances']]
    state = instances[0]['State']['Name'] if instances else 'missing'
    if state not in ('running', 'stopped'):
        module.fail_json(msg='instance %s is %s; an image can be made from a running or stopped instance'
                         % (instance_id, state))


def ensure_absent(module, ec2):
    p = module.params
    if p['name']:
        targets = describe(module, ec2, {'name': p['name']})
    else:
        targets = family(module, ec2)
    removed = deregister(module, ec2, targets)
    result = dict(changed=bool(removed), deregistered=removed)
    if module.diff_mode:
        result['diff'] = ensure_dict_diff(dict(images=sorted(i['name'] for i in removed)), dict(images=[]))
    module.exit_json(**result)


def ensure_present(module, ec2):
    p = module.params
    name = p['name']
    if not AMI_NAME.match(name):
        module.fail_json(msg="name %r is not a valid AMI name (3-128 of letters, digits and ()[] ./-'@_)" % name)
    if p['keep'] is not None and p['keep'] < 1:
        module.fail_json(msg='keep must be at least 1')

    existing = describe(module, ec2, {'name': name})
    image = existing[0] if existing else None
    tags = desired_tags(module)
    changed = False
    before = None
    if image:
        current_tags = tag_dict(image.get('Tags'))
        owner = current_tags.get(DEPLOYMENT_TAG)
        if owner and owner != p['deployment']:
            module.fail_json(msg='Image %s (%s) belongs to deployment %s, not %s'
                             % (name, image['ImageId'], owner, p['deployment']))
        before = dict(name=name, tags=dict(current_tags))
        if p['description'] is not None and p['description'] != image.get('Description', ''):
            module.warn('Image %s exists with another description; the description is set only at creation'
                        % name)
        to_set, to_unset = tag_changes(current_tags, tags, purge=p['purge_tags'])
        if to_set or to_unset:
            changed = True
            resources = [image['ImageId']] + snapshot_ids(image)
            if not module.check_mode:
                try:
                    if to_set:
                        ec2.create_tags(Resources=resources, Tags=boto3_tag_list(to_set))
                    if to_unset:
                        ec2.delete_tags(Resources=resources, Tags=[{'Key': k} for k in to_unset])
                except (ClientError, BotoCoreError) as exc:
                    module.fail_aws(exc, 'Cannot tag image %s' % image['ImageId'])
            current_tags.update(to_set)
            for key in to_unset:
                current_tags.pop(key, None)
        final_tags = current_tags
    else:
        validate_instance(module, ec2)
        changed = True
        final_tags = tags
        if not module.check_mode:
            kwargs = dict(InstanceId=p['instance_id'], Name=name, NoReboot=p['no_reboot'],
                          TagSpecifications=[dict(ResourceType='image', Tags=boto3_tag_list(tags))])
            if p['description']:
                kwargs['Description'] = p['description']
            try:
                image_id = ec2.create_image(**kwargs)['ImageId']
            except (ClientError, BotoCoreError) as exc:
                module.fail_aws(exc, 'Cannot create image %s from %s' % (name, p['instance_id']))
            if p['wait']:
                image_available(module, ec2, image_id)
            try:
                image = ec2.describe_images(ImageIds=[image_id])['Images'][0]
            except (ClientError, BotoCoreError, IndexError) as exc:
                module.fail_json(msg='Image %s was created but cannot be read back: %s' % (image_id, exc))
            # Snapshots are tagged afterwards: their ids are known only once the image exists,
            # and moto does not take snapshot tag specifications in create_image.
            snaps = snapshot_ids(image)
            if snaps:
                try:
                    ec2.create_tags(Resources=snaps, Tags=boto3_tag_list(tags))
                except (ClientError, BotoCoreError) as exc:
                    module.fail_aws(exc, 'Cannot tag the snapshots of image %s' % image_id)

    removed = []
    if p['keep'] is not None:
        others = [i for i in family(module, ec2) if i.get('Name') != name]
        # The image `name` counts as the newest one (it was just made or is the one asked for).
        removed = deregister(module, ec2, others[p['keep'] - 1:])
        changed = changed or bool(removed)

    result = dict(
        changed=changed,
        name=name,
        image_id=image['ImageId'] if image else None,
        image_state=image.get('State') if image else None,
        snapshot_ids=snapshot_ids(image) if image else [],
        tags=final_tags,
        deregistered=removed,
    )
    if image:
        image = dict(image, Tags=boto3_tag_list(final_tags))
        result['image'] = snake_dict(image)
    if module.diff_mode:
        result['diff'] = ensure_dict_diff(
            dict(before or {}, deregister=[]) if before else None,
            dict(name=name, tags=final_tags, deregister=sorted(i['name'] for i in removed)))
    module.exit_json(**result)


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
    if module.params['state'] == 'absent' and not module.params['name'] and not module.params['deployment']:
        module.fail_json(msg='state=absent without name needs deployment and role')
    ec2 = module.client('ec2')
    if module.params['state'] == 'absent':
        ensure_absent(module, ec2)
    else:
        ensure_present(module, ec2)


if __name__ == '__main__':
    main()
