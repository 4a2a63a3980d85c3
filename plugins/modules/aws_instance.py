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

import base64
import hashlib

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.core import (
    DEPLOYMENT_TAG,
    BotoCoreError,
    ClientError,
    StreamfleetAWSModule,
    WaiterFailure,
    boto3_tag_list,
    ec2_filters,
    tag_dict,
    wait_for,
)

LIVE_STATES = ['pending', 'running', 'stopping', 'stopped']
# Recorded on the instance so a changed user data is noticed without reading it back.
USER_DATA_TAG = 'streamfleet:user-data-sha256'


def find_instances(ec2, deployment, name):
    filters = ec2_filters({'tag:%s' % DEPLOYMENT_TAG: deployment, 'tag:Name': name,
                           'instance-state-name': LIVE_STATES})
    found = []
    for reservation in ec2.describe_instances(Filters=filters)['Reservations']:
        found.extend(reservation['Instances'])
    return sorted(found, key=lambda i: i['LaunchTime'])


def summary(instance):
    if not instance:
        return None
    return dict(
        instance_id=instance['InstanceId'],
        private_ip_address=instance.get('PrivateIpAddress'),
        public_ip_address=instance.get('PublicIpAddress'),
        private_dns_name=instance.get('PrivateDnsName'),
        state=instance['State']['Name'],
        image_id=instance.get('ImageId'),
        instance_type=instance.get('InstanceType'),
        subnet_id=instance.get('SubnetId'),
    )


def user_data_digest(text):
    return hashlib.sha256(text.encode('utf-8')).hexdigest() if text else ''


def drift(module, instance):
    """Settings of ``instance`` that differ from the task and cannot change in place."""
    p = module.params
    differences = []
    for option, key in (('image_id', 'ImageId'), ('instance_type', 'InstanceType'), ('subnet_id', 'SubnetId'),
                        ('private_ip_address', 'PrivateIpAddress')):
        if p.get(option) and instance.get(key) != p[option]:
            differences.append('%s is %s, declared %s' % (option, instance.get(key), p[option]))
    if p.get('user_data') is not None:
        if tag_dict(instance.get('Tags')).get(USER_DATA_TAG, '') != user_data_digest(p['user_data']):
            differences.append('user_data differs')
    return differences


def validate(module, ec2):
    p = module.params
    if p.get('image_id'):
        try:
            images = ec2.describe_images(ImageIds=[p['image_id']])['Images']
        except ClientError:
            images = []
        if not images:
            module.fail_json(msg='image_id %s does not exist' % p['image_id'])
    if p.get('user_data') and len(base64.b64encode(p['user_data'].encode('utf-8'))) > 16384:
        module.fail_json(msg='user_data is larger than the 16 KiB EC2 accepts once base64-encoded')


def launch(module, ec2):
    p = module.params
    tags = module.deployment_tags()
    tags['Name'] = p['name']
    if p.get('user_data') is not None:
        tags[USER_DATA_TAG] = user_data_digest(p['user_data'])
    kwargs = dict(MinCount=1, MaxCount=1,
                  TagSpecifications=[{'ResourceType': 'instance', 'Tags': boto3_tag_list(tags)},
                                     {'ResourceType': 'volume', 'Tags': boto3_tag_list(module.deployment_tags())}],
                  MetadataOptions={'HttpTokens': p['http_tokens'], 'HttpEndpoint': 'enabled'})
    if p.get('launch_template'):
        spec = {'Version': p['launch_template'].get('version') or '$Default'}
        if p['launch_template'].get('id'):
            spec['LaunchTemplateId'] = p['launch_template']['id']
        else:
            spec['LaunchTemplateName'] = p['launch_template']['name']
        kwargs['LaunchTemplate'] = spec
    for option, key in (('image_id', 'ImageId'), ('instance_type', 'InstanceType'), ('key_name', 'KeyName')):
        if p.get(option):
            kwargs[key] = p[option]
    if p.get('user_data') is not None:
        kwargs['UserData'] = p['user_data']  # boto3 base64-encodes UserData for RunInstances
    interface = {}
    if p.get('subnet_id'):
        interface['SubnetId'] = p['subnet_id']
    if p.get('security_group_ids'):
        interface['Groups'] = p['security_group_ids']
    if p.get('private_ip_address'):
        interface['PrivateIpAddress'] = p['private_ip_address']
    if p.get('associate_public_ip_address') is not None:
        interface['AssociatePublicIpAddress'] = p['associate_public_ip_address']
    if interface:
        interface['DeviceIndex'] = 0
        kwargs['NetworkInterfaces'] = [interface]
    if p.get('volume_size'):
        kwargs['BlockDeviceMappings'] = [{'DeviceName': '/dev/xvda', 'Ebs': {
            'VolumeSize': p['volume_size'], 'VolumeType': 'gp3', 'DeleteOnTermination': True}}]
    return ec2.run_instances(**kwargs)['Instances'][0]


def wait_state(module, ec2, instance_id, wanted):
    def check():
        found = ec2.describe_instances(InstanceIds=[instance_id])['Reservations']
        state = found[0]['Instances'][0]['State']['Name'] if found else 'terminated'
        if wanted == 'running' and state in ('terminated', 'shutting-down'):
            raise WaiterFailure('instance %s is %s' % (instance_id, state))
        return state == wanted, state
    wait_for(module, 'instance %s %s' % (module.params['name'], wanted), check, module.params['wait_timeout'])
    found = ec2.describe_instances(InstanceIds=[instance_id])['Reservations']
    return found[0]['Instances'][0] if found else None


def terminate(module, ec2, instances):
    ids = [i['InstanceId'] for i in instances]
    ec2.terminate_instances(InstanceIds=ids)
    if module.params['wait']:
        for instance_id in ids:
            wait_state(module, ec2, instance_id, 'terminated')


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
    p = module.params
    if p.get('launch_template') and not (p['launch_template'].get('name') or p['launch_template'].get('id')):
        module.fail_json(msg='launch_template needs a name or an id')
    ec2 = module.client('ec2')
    changes = []
    try:
        instances = find_instances(ec2, p['deployment'], p['name'])
        before = summary(instances[0]) if instances else None
        if p['state'] == 'absent':
            if instances:
                changes.append('terminate %s (%s)' % (p['name'], ', '.join(i['InstanceId'] for i in instances)))
                if not module.check_mode:
                    terminate(module, ec2, instances)
            module.exit_json(changed=bool(changes), changes=changes, instance=None,
                             diff=dict(before=before or {}, after={}))
        if len(instances) > 1:
            # Two of a single host is a leftover of an interrupted run: keep the oldest.
            changes.append('terminate duplicates of %s' % p['name'])
            if not module.check_mode:
                terminate(module, ec2, instances[1:])
            instances = instances[:1]
        instance = instances[0] if instances else None
        if instance is not None:
            differences = drift(module, instance)
            if differences and p['replace']:
                validate(module, ec2)  # before the old instance goes
                changes.append('replace %s: %s' % (p['name'], '; '.join(differences)))
                if not module.check_mode:
                    terminate(module, ec2, [instance])
                instance = None
            elif differences:
                module.warn('%s keeps running with old settings (%s); set replace=true to relaunch it'
                            % (p['name'], '; '.join(differences)))
        if instance is None:
            # Checked only when launching: a no-op run needs no call beyond the describe.
            validate(module, ec2)
            changes.append('launch %s' % p['name'])
            if not module.check_mode:
                instance = launch(module, ec2)
        if instance is not None and instance['State']['Name'] in ('stopped', 'stopping'):
            changes.append('start %s' % p['name'])
            if not module.check_mode:
                ec2.start_instances(InstanceIds=[instance['InstanceId']])
        if instance is not None and not module.check_mode and p['wait'] and instance['State']['Name'] != 'running':
            instance = wait_state(module, ec2, instance['InstanceId'], 'running')
    except (ClientError, BotoCoreError) as exc:
        module.fail_aws(exc, 'Cannot converge instance %s' % p['name'])
    after = summary(instance)
    module.exit_json(changed=bool(changes), changes=changes, instance=after,
                     diff=dict(before=before or {}, after=after or {'name': p['name'], 'state': 'would launch'}))


if __name__ == '__main__':
    main()
