# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a deployment owns: everything carrying its ``streamfleet:deployment`` tag, by
kind (``aws_deployment_info``), its IAM instance profiles, and with ``status`` the state of each
Auto Scaling group (sizes, instances by lifecycle state, hooks, warm pool, balancer health,
image in use against the newest of its family, rollout and drain in progress).

Call budget: the inventory is one call per kind (the Tagging API, then instances, launch
templates, groups and instance profiles that it does not list). The status adds one
``DescribeImages`` for every image of the deployment, then per group one
``DescribeLifecycleHooks`` (the API takes one group), per target group one
``DescribeTargetHealth`` (one target group per call), ``DescribeWarmPool`` only for groups with
a warm pool and one ``DescribeInstances`` for group instances the tag filter missed. None of it
grows with the number of instances.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.converger import Converger, snake_dict
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.rollout import ROLLOUT_TAG, decode_state, instance_version
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.tags import DEPLOYMENT_TAG, ec2_filters, tag_dict

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # reported by the shared AWS module class
    BotoCoreError = ClientError = Exception

KINDS = ('instances', 'images', 'snapshots', 'volumes', 'launch_templates', 'security_groups', 'vpcs',
         'subnets', 'network_interfaces', 'load_balancers', 'classic_load_balancers', 'target_groups',
         'auto_scaling_groups', 'alarms', 'certificates', 'other')
# Where the collection's instance profiles live in IAM (path), and the image family tag.
PROFILE_PATH = '/streamfleet/'
IMAGE_FAMILY_TAG = 'streamfleet:role'
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
        self.raw_groups = []
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
                            state=instance['State']['Name'], image_id=instance.get('ImageId'),
                            private_ip=instance.get('PrivateIpAddress'),
                            public_ip=instance.get('PublicIpAddress'))
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
            self.raw_groups.append(group)

    def instance_profiles(self):
        """Instance profiles under the path ``/streamfleet/`` tagged with the deployment.

        AWS documents that IAM list calls leave tags out, so a profile under the path whose list
        entry has no ``Tags`` costs one ``GetInstanceProfile`` (moto includes the tags in the list
        and lacks ``ListInstanceProfileTags``): as many calls as the collection's profiles in the
        account, whatever the number of instances.
        """
        iam = self.module.client('iam')
        profiles = self.call('IAM instance profiles', self.module.paginate, iam, 'list_instance_profiles',
                             'InstanceProfiles', PathPrefix=PROFILE_PATH)
        found = []
        for profile in profiles:
            if not (profile.get('Path') or '').startswith(PROFILE_PATH):
                continue  # moto ignores PathPrefix
            if 'Tags' not in profile:
                profile = self.call('IAM instance profile', iam.get_instance_profile, aws_retry=True,
                                    InstanceProfileName=profile['InstanceProfileName'])['InstanceProfile']
            tags = tag_dict(profile.get('Tags'))
            if tags.get(DEPLOYMENT_TAG) != self.deployment:
                continue
            roles = profile.get('Roles') or []
            found.append(dict(name=profile['InstanceProfileName'], arn=profile['Arn'], path=profile.get('Path'),
                              role_name=roles[0]['RoleName'] if roles else None,
                              role_arn=roles[0]['Arn'] if roles else None, tags=tags))
        return found

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


def rollout_state(value):
    """The rollout's state tag decoded by the rollout's own reader, as a dict (None if unreadable)."""
    state = decode_state(value)
    if isinstance(state, tuple):  # (sizes, suspended), the reader's earlier shape
        state = dict(state[0], suspended=state[1])
    return state


def count_by(items, key):
    counts = {}
    for item in items:
        counts[item[key]] = counts.get(item[key], 0) + 1
    return dict(sorted(counts.items()))


def image_family_key(image):
    """(deployment, family) of an image: images are compared within one family of one deployment
    (an image bake deployment may be another deployment than the cluster's)."""
    tags = image.get('tags') or {}
    family = tags.get(IMAGE_FAMILY_TAG)
    return (tags.get(DEPLOYMENT_TAG), family) if family else None


def newest_images(images):
    """Newest image per (deployment, family) (tags ``streamfleet:deployment``, ``streamfleet:role``),
    by ``CreationDate``."""
    newest = {}
    for image in images:
        key = image_family_key(image)
        if key is None or not image.get('creation_date'):
            continue
        if key not in newest or image['creation_date'] > newest[key]['creation_date']:
            newest[key] = image
    return newest


class GroupStatus(object):
    """The status view of the deployment's Auto Scaling groups (``status=true``)."""

    def __init__(self, collector):
        self.collector = collector
        self.module = collector.module

    def call(self, description, func, **kwargs):
        return self.collector.call(description, func, aws_retry=True, **kwargs)

    def images(self, ec2, in_use):
        """The deployment's images and the images its instances run, each with its creation date
        and family, plus every image of those families (at most three calls, whatever the number
        of instances: images are often baked under a deployment of their own)."""
        by_id = {}

        def add(described):
            for image in described:
                by_id[image['ImageId']] = dict(id=image['ImageId'], name=image.get('Name'),
                                               creation_date=image.get('CreationDate'), tags=tag_dict(image.get('Tags')))

        owned = [o['id'] for o in self.collector.objects['images']]
        if owned:
            add(self.call('images', ec2.describe_images, ImageIds=owned)['Images'])
        elsewhere = sorted(set(in_use) - set(by_id))
        if elsewhere:
            add(self.call('images in use', ec2.describe_images, ImageIds=elsewhere)['Images'])
        families = sorted(set(by_id[i]['tags'].get(IMAGE_FAMILY_TAG) for i in elsewhere if i in by_id) - set([None]))
        if families:
            add(self.call('images of the families in use', ec2.describe_images, Owners=['self'],
                          Filters=[{'Name': 'tag:' + IMAGE_FAMILY_TAG, 'Values': families}])['Images'])
        return by_id

    def ec2_instances(self, ec2):
        """EC2's view of every group instance: the tag-filtered read, plus one batch for the rest."""
        known = dict((o['id'], o) for o in self.collector.objects['instances'])
        missing = sorted(set(i['InstanceId'] for g in self.collector.raw_groups for i in g.get('Instances', []))
                         - set(known))
        if missing:
            reservations = self.call('group instances', ec2.describe_instances, InstanceIds=missing)['Reservations']
            for reservation in reservations:
                for instance in reservation['Instances']:
                    known[instance['InstanceId']] = dict(
                        id=instance['InstanceId'], tags=tag_dict(instance.get('Tags')),
                        state=instance['State']['Name'], image_id=instance.get('ImageId'),
                        private_ip=instance.get('PrivateIpAddress'), public_ip=instance.get('PublicIpAddress'))
        return known

    def target_health(self, elbv2, target_group_arns):
        """{target group ARN: {instance id: state}}, one call per target group."""
        health = {}
        for arn in sorted(set(target_group_arns)):
            descriptions = self.call('target health', elbv2.describe_target_health,
                                     TargetGroupArn=arn)['TargetHealthDescriptions']
            health[arn] = dict((d['Target']['Id'], d['TargetHealth']['State']) for d in descriptions)
        return health

    def warm_pool(self, autoscaling, group):
        if not group.get('WarmPoolConfiguration'):
            return None
        answer = self.call('warm pool', autoscaling.describe_warm_pool, AutoScalingGroupName=group['AutoScalingGroupName'])
        config = answer.get('WarmPoolConfiguration') or group['WarmPoolConfiguration']
        instances = [dict(id=i['InstanceId'], lifecycle_state=i.get('LifecycleState')) for i in answer.get('Instances', [])]
        return dict(min_size=config.get('MinSize'), max_group_prepared_capacity=config.get('MaxGroupPreparedCapacity'),
                    pool_state=config.get('PoolState'), status=config.get('Status'),
                    reuse_on_scale_in=(config.get('InstanceReusePolicy') or {}).get('ReuseOnScaleIn'),
                    instances=instances, instances_by_state=count_by(instances, 'lifecycle_state'))

    def groups(self, ec2):
        if not self.collector.raw_groups:
            return []
        autoscaling = self.module.client('autoscaling')
        instances = self.ec2_instances(ec2)
        in_use = [instances[i['InstanceId']].get('image_id') for g in self.collector.raw_groups
                  for i in g.get('Instances', []) if i['InstanceId'] in instances]
        images = self.images(ec2, [i for i in in_use if i])
        newest = newest_images(images.values())
        target_group_arns = [arn for g in self.collector.raw_groups for arn in g.get('TargetGroupARNs', [])]
        health = self.target_health(self.module.client('elbv2'), target_group_arns) if target_group_arns else {}
        return [self.group(autoscaling, group, images, newest, instances, health)
                for group in sorted(self.collector.raw_groups, key=lambda g: g['AutoScalingGroupName'])]

    def group(self, autoscaling, group, images, newest, ec2_instances, health):
        name = group['AutoScalingGroupName']
        tags = tag_dict(group.get('Tags'))
        hooks = self.call('lifecycle hooks', autoscaling.describe_lifecycle_hooks,
                          AutoScalingGroupName=name)['LifecycleHooks']
        target_groups = group.get('TargetGroupARNs', [])
        members = []
        for entry in sorted(group.get('Instances', []), key=lambda i: i['InstanceId']):
            ec2_view = ec2_instances.get(entry['InstanceId'], {})
            template_id, version = instance_version(entry, ec2_view.get('tags') or {})
            members.append(dict(
                id=entry['InstanceId'], role=(ec2_view.get('tags') or {}).get(IMAGE_FAMILY_TAG),
                lifecycle_state=entry.get('LifecycleState'),
                health_status=entry.get('HealthStatus'), availability_zone=entry.get('AvailabilityZone'),
                protected_from_scale_in=entry.get('ProtectedFromScaleIn'),
                launch_template_id=template_id, launch_template_version=version,
                image_id=ec2_view.get('image_id'), private_ip=ec2_view.get('private_ip'),
                public_ip=ec2_view.get('public_ip'),
                target_health=dict((arn, health.get(arn, {}).get(entry['InstanceId'], 'unregistered'))
                                   for arn in target_groups)))
        in_use = sorted(set(m['image_id'] for m in members if m['image_id']))
        keys = sorted(set(image_family_key(images.get(i, {})) for i in in_use) - set([None]))
        family_key = keys[0] if len(keys) == 1 else None
        family = family_key[1] if family_key else tags.get(IMAGE_FAMILY_TAG)
        roles = sorted(set(m['role'] for m in members if m['role']))
        newest_image = newest.get(family_key)
        saved = rollout_state(tags[ROLLOUT_TAG]) if ROLLOUT_TAG in tags else None
        template = group.get('LaunchTemplate') or (group.get('MixedInstancesPolicy') or {}).get(
            'LaunchTemplate', {}).get('LaunchTemplateSpecification') or {}
        balancer = []
        for arn in target_groups:
            states = [m['target_health'][arn] for m in members]
            balancer.append(dict(arn=arn, name=arn.split('/')[-2] if arn.count('/') >= 2 else arn,
                                 healthy=states.count('healthy'), by_state=dict(sorted(
                                     (state, states.count(state)) for state in set(states)))))
        return dict(
            name=name, arn=group.get('AutoScalingGroupARN'), tags=tags,
            role=tags.get(IMAGE_FAMILY_TAG) or (roles[0] if len(roles) == 1 else None),
            min_size=group.get('MinSize'), max_size=group.get('MaxSize'), desired_capacity=group.get('DesiredCapacity'),
            launch_template=dict(id=template.get('LaunchTemplateId'), name=template.get('LaunchTemplateName'),
                                 version=template.get('Version')),
            instances=members, instances_by_state=count_by(members, 'lifecycle_state'),
            lifecycle_hooks=[dict(name=h['LifecycleHookName'], transition=h.get('LifecycleTransition'),
                                  heartbeat_timeout=h.get('HeartbeatTimeout'), global_timeout=h.get('GlobalTimeout'),
                                  default_result=h.get('DefaultResult')) for h in hooks],
            warm_pool=self.warm_pool(autoscaling, group),
            target_groups=balancer,
            image_family=family, images_in_use=in_use,
            newest_image=newest_image and dict(id=newest_image['id'], name=newest_image['name'],
                                               creation_date=newest_image['creation_date']),
            images_up_to_date=bool(newest_image) and in_use == [newest_image['id']],
            rollout=None if ROLLOUT_TAG not in tags else dict(
                tag=tags[ROLLOUT_TAG], state=saved,
                sizes=saved and dict((k, saved.get(k)) for k in ('min', 'max', 'desired')),
                suspended_processes=saved and saved.get('suspended')),
            draining=[m['id'] for m in members if m['lifecycle_state'] == 'Terminating:Wait'],
            suspended_processes=sorted(p['ProcessName'] for p in group.get('SuspendedProcesses', [])),
        )


class DeploymentInfo(Converger):
    """The ``aws_deployment_info`` task: reads only, never changes anything."""

    input_rules = 'aws_deployment_info'  # validation.INPUT_RULES, checked before validate()

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
        self.instance_profiles = collector.instance_profiles()
        self.groups = GroupStatus(collector).groups(ec2) if self.params['status'] else None
        if self.params['details']:
            collector.add_details(ec2)
        self.objects = collector.objects

    def report(self):
        counts = dict((kind, len(items)) for kind, items in self.objects.items())
        result = dict(changed=False, objects=self.objects, counts=counts, total=sum(counts.values()),
                      instance_profiles=self.instance_profiles)
        if self.groups is not None:
            result['groups'] = self.groups
        return result

    def diff(self):
        return {}
