# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a deployment owns: everything carrying its ``streamfleet:deployment`` tag, by
kind (``aws_deployment_info``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.converger import Converger, snake_dict
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.tags import DEPLOYMENT_TAG, ec2_filters, tag_dict

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # reported by the shared AWS module class
    BotoCoreError = ClientError = Exception

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
            ('images', 'ImageId', lambda ids: ec2.describe_images(aws_retry=True, ImageIds=ids)['Images']),
            ('snapshots', 'SnapshotId', lambda ids: ec2.describe_snapshots(aws_retry=True, SnapshotIds=ids)['Snapshots']),
            ('volumes', 'VolumeId', lambda ids: ec2.describe_volumes(aws_retry=True, VolumeIds=ids)['Volumes']),
            ('security_groups', 'GroupId',
             lambda ids: ec2.describe_security_groups(aws_retry=True, GroupIds=ids)['SecurityGroups']),
            ('vpcs', 'VpcId', lambda ids: ec2.describe_vpcs(aws_retry=True, VpcIds=ids)['Vpcs']),
            ('subnets', 'SubnetId', lambda ids: ec2.describe_subnets(aws_retry=True, SubnetIds=ids)['Subnets']),
            ('network_interfaces', 'NetworkInterfaceId',
             lambda ids: ec2.describe_network_interfaces(aws_retry=True, NetworkInterfaceIds=ids)['NetworkInterfaces']),
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
            self.merge('alarms', self.call('alarms', cloudwatch.describe_alarms, aws_retry=True, AlarmNames=names)['MetricAlarms'],
                       key='AlarmName')
        if self.objects['certificates']:
            acm = self.module.client('acm')
            for item in self.objects['certificates']:
                cert = self.call('certificates', acm.describe_certificate, aws_retry=True, CertificateArn=item['arn'])['Certificate']
                item.update(snake_dict(cert))

    def merge(self, kind, described, key, item_key='id'):
        """Add the described fields (snake_cased, tags left out) to the items of ``kind``."""
        by_key = dict((entry.get(key), entry) for entry in described)
        for item in self.objects[kind]:
            entry = by_key.get(item[item_key])
            if entry:
                item.update(snake_dict(dict((k, v) for k, v in entry.items() if k not in ('Tags', 'TagSet'))))


class DeploymentInfo(Converger):
    """The ``aws_deployment_info`` task: reads only, never changes anything."""

    reports_changes = False

    def describe(self):
        return 'Deployment %s' % self.params['deployment']

    def read(self):
        ec2 = self.client('ec2')
        collector = Collector(self.module)
        collector.tagged_resources()
        collector.instances(ec2)
        collector.launch_templates(ec2)
        collector.auto_scaling_groups()
        if self.params['details']:
            collector.add_details(ec2)
        self.objects = collector.objects

    def report(self):
        counts = dict((kind, len(items)) for kind, items in self.objects.items())
        return dict(changed=False, objects=self.objects, counts=counts, total=sum(counts.values()))

    def diff(self):
        return {}
