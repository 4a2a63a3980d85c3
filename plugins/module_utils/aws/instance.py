# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Single EC2 instances of a deployment, found by their ``Name`` and deployment tags
(``aws_instance``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.converger import ConvergeError, Converger
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.session import client_token
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.tags import (
    DEPLOYMENT_TAG,
    boto3_tag_list,
    ec2_filters,
    tag_dict,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.waiters import WaiterFailure, wait_for

try:
    from botocore.exceptions import ClientError
except ImportError:  # reported by the shared AWS module class
    ClientError = Exception

LIVE_STATES = ['pending', 'running', 'stopping', 'stopped']
# Recorded on the instance so a changed user data is noticed without reading it back.
USER_DATA_TAG = 'streamfleet:user-data-sha256'


def find_instances(ec2, deployment, name):
    filters = ec2_filters({'tag:%s' % DEPLOYMENT_TAG: deployment, 'tag:Name': name,
                           'instance-state-name': LIVE_STATES})
    found = []
    for reservation in ec2.describe_instances(aws_retry=True, Filters=filters)['Reservations']:
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
            images = ec2.describe_images(aws_retry=True, ImageIds=[p['image_id']])['Images']
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
    return ec2.run_instances(aws_retry=True, ClientToken=client_token(), **kwargs)['Instances'][0]


def wait_state(module, ec2, instance_id, wanted):
    def check():
        found = ec2.describe_instances(aws_retry=True, InstanceIds=[instance_id])['Reservations']
        state = found[0]['Instances'][0]['State']['Name'] if found else 'terminated'
        if wanted == 'running' and state in ('terminated', 'shutting-down'):
            raise WaiterFailure('instance %s is %s' % (instance_id, state))
        return state == wanted, state
    wait_for(module, 'instance %s %s' % (module.params['name'], wanted), check, module.params['wait_timeout'])
    found = ec2.describe_instances(aws_retry=True, InstanceIds=[instance_id])['Reservations']
    return found[0]['Instances'][0] if found else None


def terminate(module, ec2, instances):
    ids = [i['InstanceId'] for i in instances]
    ec2.terminate_instances(aws_retry=True, InstanceIds=ids)
    if module.params['wait']:
        for instance_id in ids:
            wait_state(module, ec2, instance_id, 'terminated')


class InstanceConverger(Converger):
    """The ``aws_instance`` task: one named instance, launched, started, replaced or terminated."""

    input_rules = 'aws_instance'  # validation.INPUT_RULES, checked before validate()

    def region_refs(self):
        return [], [('instance_type', self.params.get('instance_type'))]

    def describe(self):
        return 'Instance %s' % self.params['name']

    def validate(self):
        template = self.params.get('launch_template')
        if template and not (template.get('name') or template.get('id')):
            raise ConvergeError('launch_template needs a name or an id')

    def read(self):
        p = self.params
        self.instances = find_instances(self.client('ec2'), p['deployment'], p['name'])
        self.before = summary(self.instances[0]) if self.instances else None

    def apply(self):
        module, p, ec2, changes = self.module, self.params, self.client('ec2'), self.changes
        instances = self.instances
        if p['state'] == 'absent':
            if instances:
                changes.append('terminate %s (%s)' % (p['name'], ', '.join(i['InstanceId'] for i in instances)))
                if not module.check_mode:
                    terminate(module, ec2, instances)
            self.after = None
            return
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
                self.check_region()
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
            self.check_region()
            changes.append('launch %s' % p['name'])
            if not module.check_mode:
                instance = launch(module, ec2)
        if instance is not None and instance['State']['Name'] in ('stopped', 'stopping'):
            changes.append('start %s' % p['name'])
            if not module.check_mode:
                ec2.start_instances(aws_retry=True, InstanceIds=[instance['InstanceId']])
        if instance is not None and not module.check_mode and p['wait'] and instance['State']['Name'] != 'running':
            instance = wait_state(module, ec2, instance['InstanceId'], 'running')
        self.after = summary(instance)

    def report(self):
        if self.params['state'] == 'absent':
            return dict(instance=None, diff=dict(before=self.before or {}, after={}))
        return dict(instance=self.after, diff=dict(
            before=self.before or {}, after=self.after or {'name': self.params['name'], 'state': 'would launch'}))
