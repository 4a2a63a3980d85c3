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

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.core import (
    DEPLOYMENT_TAG,
    BotoCoreError,
    ClientError,
    StreamfleetAWSModule,
    ec2_filters,
    snake_dict,
    tag_dict,
)

KINDS = ('instances', 'images', 'snapshots', 'volumes', 'launch_templates', 'security_groups', 'vpcs',
         'subnets', 'network_interfaces', 'load_balancers', 'classic_load_balancers', 'target_groups',
         'auto_scaling_groups', 'alarms', 'certificates', 'other')
EC2_KINDS = {
    'image': 'images', 'snapshot': 'snapshots', 'volume': 'volumes', 'security-group': 'security_groups',
    'vpc': 'vpcs', 'subnet': 'subnets', 'network-interface': 'network_interfaces',
    'launch-template': 'launch_templates',
}


def kind_of(arn):
    """(kind, id) for an ARN the Tagging API returned; kind None for what is read elsewhere."""
    parts = arn.split(':', 5)
    service, resource = parts[2], parts[5]
    if service == 'ec2':
        ec2_type, _sep, ident = resource.partition('/')
        if ec2_type == 'instance':
            return None, ident  # read with describe_instances, which knows their state
        return EC2_KINDS.get(ec2_type, 'other'), ident
    if service == 'elasticloadbalancing':
        pieces = resource.split('/')
        if pieces[0] == 'targetgroup':
            return 'target_groups', pieces[1]
        if pieces[0] == 'loadbalancer' and len(pieces) >= 4:
            return 'load_balancers', pieces[2]
        if pieces[0] == 'loadbalancer':
            return 'classic_load_balancers', pieces[1]
    if service == 'cloudwatch' and resource.startswith('alarm:'):
        return 'alarms', resource.split(':', 1)[1]
    if service == 'acm':
        return 'certificates', resource.split('/', 1)[-1]
    return 'other', arn


class Collector(object):
    def __init__(self, module):
        self.module = module
        self.deployment = module.params['deployment']
        self.objects = dict((kind, []) for kind in KINDS)
        self.tag_filter = ec2_filters({'tag:' + DEPLOYMENT_TAG: self.deployment})

    def call(self, description, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (ClientError, BotoCoreError) as exc:
            self.module.fail_aws(exc, 'Cannot list %s' % description)

    def tagged_resources(self):
        tagging = self.module.client('resourcegroupstaggingapi')
        mappings = self.call('tagged resources', self.module.paginate, tagging, 'get_resources',
                             'ResourceTagMappingList',
                             TagFilters=[{'Key': DEPLOYMENT_TAG, 'Values': [self.deployment]}])
        for mapping in mappings:
            kind, ident = kind_of(mapping['ResourceARN'])
            if kind is None:
                continue
            if kind == 'launch_templates' and any(o['id'] == ident for o in self.objects[kind]):
                continue
            self.objects[kind].append(dict(id=ident, arn=mapping['ResourceARN'], tags=tag_dict(mapping.get('Tags'))))

    def instances(self, ec2):
        reservations = self.call('instances', self.module.paginate, ec2, 'describe_instances', 'Reservations',
                                 Filters=self.tag_filter + ec2_filters(
                                     {'instance-state-name': ['pending', 'running', 'stopping', 'stopped']}))
        for reservation in reservations:
            for instance in reservation['Instances']:
                item = dict(id=instance['InstanceId'], tags=tag_dict(instance.get('Tags')),
                            state=instance['State']['Name'])
                if self.module.params['details']:
                    item.update(snake_dict(dict((k, v) for k, v in instance.items() if k != 'Tags')))
                self.objects['instances'].append(item)

    def launch_templates(self, ec2):
        # The Tagging API lists launch templates on AWS but not on moto; a describe finds them on both.
        templates = self.call('launch templates', self.module.paginate, ec2, 'describe_launch_templates',
                              'LaunchTemplates', Filters=self.tag_filter)
        known = dict((o['id'], o) for o in self.objects['launch_templates'])
        for template in templates:
            described = dict(
                id=template['LaunchTemplateId'], name=template['LaunchTemplateName'],
                tags=tag_dict(template.get('Tags')),
                default_version=template.get('DefaultVersionNumber'),
                latest_version=template.get('LatestVersionNumber'))
            if template['LaunchTemplateId'] in known:
                # Found by the Tagging API already (on AWS): add the name and versions it lacks.
                item = known[template['LaunchTemplateId']]
                for key, value in described.items():
                    if key != 'tags':
                        item.setdefault(key, value)
                continue
            self.objects['launch_templates'].append(described)

    def auto_scaling_groups(self):
        # Auto Scaling groups are not listed by the Tagging API (on AWS either).
        autoscaling = self.module.client('autoscaling')
        groups = self.call('Auto Scaling groups', self.module.paginate, autoscaling,
                           'describe_auto_scaling_groups', 'AutoScalingGroups',
                           Filters=[{'Name': 'tag:' + DEPLOYMENT_TAG, 'Values': [self.deployment]}])
        for group in groups:
            item = dict(id=group['AutoScalingGroupName'], arn=group.get('AutoScalingGroupARN'),
                        tags=tag_dict(group.get('Tags')), desired_capacity=group.get('DesiredCapacity'),
                        instances=len(group.get('Instances', [])))
            if self.module.params['details']:
                item.update(snake_dict(dict((k, v) for k, v in group.items() if k != 'Tags')))
            self.objects['auto_scaling_groups'].append(item)

    def add_details(self, ec2):
        """One describe call per kind found, merged into the items."""
        describers = (
            ('images', 'ImageId', lambda ids: ec2.describe_images(ImageIds=ids)['Images']),
            ('snapshots', 'SnapshotId', lambda ids: ec2.describe_snapshots(SnapshotIds=ids)['Snapshots']),
            ('volumes', 'VolumeId', lambda ids: ec2.describe_volumes(VolumeIds=ids)['Volumes']),
            ('security_groups', 'GroupId',
             lambda ids: ec2.describe_security_groups(GroupIds=ids)['SecurityGroups']),
            ('vpcs', 'VpcId', lambda ids: ec2.describe_vpcs(VpcIds=ids)['Vpcs']),
            ('subnets', 'SubnetId', lambda ids: ec2.describe_subnets(SubnetIds=ids)['Subnets']),
            ('network_interfaces', 'NetworkInterfaceId',
             lambda ids: ec2.describe_network_interfaces(NetworkInterfaceIds=ids)['NetworkInterfaces']),
        )
        for kind, key, describe in describers:
            items = self.objects[kind]
            if items:
                self.merge(kind, self.call(kind, describe, [o['id'] for o in items]), key=key)
        elbv2_arns = dict((kind, [o['arn'] for o in self.objects[kind]])
                          for kind in ('load_balancers', 'target_groups'))
        if elbv2_arns['load_balancers'] or elbv2_arns['target_groups']:
            elbv2 = self.module.client('elbv2')
            if elbv2_arns['load_balancers']:
                self.merge('load_balancers', self.call('load balancers', elbv2.describe_load_balancers,
                                                       LoadBalancerArns=elbv2_arns['load_balancers'])['LoadBalancers'],
                           key='LoadBalancerArn', item_key='arn')
            if elbv2_arns['target_groups']:
                self.merge('target_groups', self.call('target groups', elbv2.describe_target_groups,
                                                      TargetGroupArns=elbv2_arns['target_groups'])['TargetGroups'],
                           key='TargetGroupArn', item_key='arn')
        if self.objects['classic_load_balancers']:
            elb = self.module.client('elb')
            names = [o['id'] for o in self.objects['classic_load_balancers']]
            self.merge('classic_load_balancers', self.call('classic load balancers', elb.describe_load_balancers,
                                                           LoadBalancerNames=names)['LoadBalancerDescriptions'],
                       key='LoadBalancerName')
        if self.objects['alarms']:
            cloudwatch = self.module.client('cloudwatch')
            names = [o['id'] for o in self.objects['alarms']]
            self.merge('alarms', self.call('alarms', cloudwatch.describe_alarms, AlarmNames=names)['MetricAlarms'],
                       key='AlarmName')
        if self.objects['certificates']:
            acm = self.module.client('acm')
            for item in self.objects['certificates']:
                cert = self.call('certificates', acm.describe_certificate, CertificateArn=item['arn'])['Certificate']
                item.update(snake_dict(cert))

    def merge(self, kind, described, key, item_key='id'):
        """Add the described fields (snake_cased, tags left out) to the items of ``kind``."""
        by_key = dict((entry.get(key), entry) for entry in described)
        for item in self.objects[kind]:
            entry = by_key.get(item[item_key])
            if entry:
                item.update(snake_dict(dict((k, v) for k, v in entry.items() if k not in ('Tags', 'TagSet'))))


def main():
    argument_spec = dict(
        deployment=dict(type='str', required=True),
        details=dict(type='bool', default=False),
    )
    module = StreamfleetAWSModule(argument_spec, supports_check_mode=True)
    ec2 = module.client('ec2')
    collector = Collector(module)
    collector.tagged_resources()
    collector.instances(ec2)
    collector.launch_templates(ec2)
    collector.auto_scaling_groups()
    if module.params['details']:
        collector.add_details(ec2)
    objects = collector.objects
    counts = dict((kind, len(items)) for kind, items in objects.items())
    module.exit_json(changed=False, objects=objects, counts=counts, total=sum(counts.values()))


if __name__ == '__main__':
    main()
