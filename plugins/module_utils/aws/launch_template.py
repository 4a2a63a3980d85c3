# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Launch templates: the complete template data the options describe, a new version
only when it differs, the default version moved to it (``aws_launch_template``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib

from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.converger import (
    Converger,
    ensure_dict_diff,
    snake_dict,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.retries import is_error
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.session import client_token
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.tags import (
    DEPLOYMENT_TAG,
    boto3_tag_list,
    tag_changes,
    tag_dict,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import (
    Checks,
    RegionCatalog,
    ValidationError,
)

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # reported by the shared AWS module class
    BotoCoreError = ClientError = Exception

USER_DATA_LIMIT = 16384


def build_template_data(module):
    """The complete LaunchTemplateData the options describe."""
    p = module.params
    data = dict(ImageId=p['image_id'], InstanceType=p['instance_type'])
    if p['key_name']:
        data['KeyName'] = p['key_name']
    groups = sorted(set(p['security_group_ids']))
    if p['associate_public_ip_address'] is not None:
        interface = dict(DeviceIndex=0, AssociatePublicIpAddress=p['associate_public_ip_address'],
                         DeleteOnTermination=True)
        if groups:
            interface['Groups'] = groups
        data['NetworkInterfaces'] = [interface]
    elif groups:
        data['SecurityGroupIds'] = groups
    if p['user_data']:
        data['UserData'] = to_text(base64.b64encode(to_bytes(p['user_data'])))
    if p.get('detailed_monitoring'):
        # 1-minute CloudWatch metrics: alarms on 60 s periods otherwise see 5-minute data.
        # False is the EC2 default, sent as no key at all, so templates written before the
        # option existed compare equal.
        data['Monitoring'] = {'Enabled': True}
    if p['iam_instance_profile']:
        profile = p['iam_instance_profile']
        data['IamInstanceProfile'] = {'Arn': profile} if profile.startswith('arn:') else {'Name': profile}
    meta = p['metadata_options'] or {}
    metadata = dict(HttpTokens=meta.get('http_tokens') or 'required',
                    HttpEndpoint=meta.get('http_endpoint') or 'enabled')
    if meta.get('http_put_response_hop_limit'):
        metadata['HttpPutResponseHopLimit'] = meta['http_put_response_hop_limit']
    data['MetadataOptions'] = metadata
    devices = []
    for device in p['block_devices']:
        ebs = {'DeleteOnTermination': device['delete_on_termination']}
        for option, key in (('volume_size', 'VolumeSize'), ('volume_type', 'VolumeType'), ('iops', 'Iops'),
                            ('throughput', 'Throughput'), ('encrypted', 'Encrypted')):
            if device.get(option) is not None:
                ebs[key] = device[option]
        devices.append(dict(DeviceName=device['device_name'], Ebs=ebs))
    if devices:
        data['BlockDeviceMappings'] = devices
    instance_tags = module.deployment_tags()
    instance_tags.update(dict((k, str(v)) for k, v in p['instance_tags'].items()))
    instance_tags[DEPLOYMENT_TAG] = p['deployment']
    data['TagSpecifications'] = [dict(ResourceType=kind, Tags=boto3_tag_list(instance_tags))
                                 for kind in ('instance', 'volume')]
    return data


def normalize(data):
    """Template data in a comparable form (order-insensitive lists, no launch-template tag specs).

    moto copies the template's own tags into version 1's TagSpecifications; AWS does not.
    """
    data = dict(data or {})
    if not (data.get('Monitoring') or {}).get('Enabled'):
        data.pop('Monitoring', None)  # Enabled false and no key both mean basic monitoring
    specs = [s for s in data.get('TagSpecifications', []) if s.get('ResourceType') != 'launch-template']
    if specs:
        data['TagSpecifications'] = sorted(
            [dict(ResourceType=s['ResourceType'], Tags=sorted(s.get('Tags', []), key=lambda t: t['Key']))
             for s in specs], key=lambda s: s['ResourceType'])
    else:
        data.pop('TagSpecifications', None)
    if 'SecurityGroupIds' in data:
        data['SecurityGroupIds'] = sorted(data['SecurityGroupIds'])
    interfaces = []
    for interface in data.get('NetworkInterfaces', []):
        interface = dict(interface)
        if 'Groups' in interface:
            interface['Groups'] = sorted(interface['Groups'])
        interfaces.append(interface)
    if interfaces:
        data['NetworkInterfaces'] = interfaces
    return data


def readable(data):
    """Template data for results and diffs: snake_case, user data as a digest only."""
    if not data:
        return {}
    result = snake_dict(dict((k, v) for k, v in data.items() if k != 'UserData'))
    if data.get('UserData'):
        result['user_data_sha256'] = hashlib.sha256(to_bytes(data['UserData'])).hexdigest()
    return result


def validate(module, data):
    """Fail before any call when the input cannot work."""
    p = module.params
    if len(data.get('UserData', '')) > USER_DATA_LIMIT:
        module.fail_json(msg='user_data is %d bytes once base64-encoded; EC2 accepts at most %d'
                         % (len(data['UserData']), USER_DATA_LIMIT))
    hops = (p['metadata_options'] or {}).get('http_put_response_hop_limit')
    if hops is not None and not 1 <= hops <= 64:
        module.fail_json(msg='metadata_options.http_put_response_hop_limit must be between 1 and 64')
    devices = [d['device_name'] for d in p['block_devices']]
    if len(devices) != len(set(devices)):
        module.fail_json(msg='block_devices lists a device name twice: %s' % ', '.join(devices))


def validate_references(module, ec2):
    """The image, groups and key pair exist; checked only before a template or version is written."""
    p = module.params
    # moto (and a typo) would accept a nonexistent image; AWS fails only at launch time.
    try:
        images = ec2.describe_images(aws_retry=True, ImageIds=[p['image_id']])['Images']
    except (ClientError, BotoCoreError) as exc:
        if is_error(exc, 'InvalidAMIID.NotFound', 'InvalidAMIID.Malformed', 'InvalidAMIID.Unavailable'):
            module.fail_json(msg='image_id %s does not exist: %s' % (p['image_id'], exc))
        module.fail_aws(exc, 'Cannot look up image %s' % p['image_id'])
    if not images or images[0].get('State') not in (None, 'available', 'pending'):
        module.fail_json(msg='image_id %s does not exist or is not available' % p['image_id'])
    if p['security_group_ids']:
        try:
            ec2.describe_security_groups(aws_retry=True, GroupIds=p['security_group_ids'])
        except (ClientError, BotoCoreError) as exc:
            if is_error(exc, 'InvalidGroup.NotFound', 'InvalidGroupId.Malformed', 'InvalidGroupId.NotFound'):
                module.fail_json(msg='security_group_ids: %s' % exc)
            module.fail_aws(exc, 'Cannot look up the security groups')
    if p['key_name']:
        try:
            ec2.describe_key_pairs(aws_retry=True, KeyNames=[p['key_name']])
        except (ClientError, BotoCoreError) as exc:
            if is_error(exc, 'InvalidKeyPair.NotFound'):
                module.fail_json(msg='key_name %s does not exist' % p['key_name'])
            module.fail_aws(exc, 'Cannot look up key pair %s' % p['key_name'])
    # the instance type is offered in the region (one DescribeInstanceTypeOfferings)
    checks = Checks()
    try:
        RegionCatalog(ec2).check_instance_types(checks, [('instance_type', p['instance_type'])])
    except (ClientError, BotoCoreError) as exc:
        module.fail_aws(exc, 'Cannot look up instance type %s' % p['instance_type'])
    if checks.problems:
        module.fail_json(msg=str(ValidationError(checks.problems)))


def find_template(module, ec2, name):
    try:
        return ec2.describe_launch_templates(aws_retry=True, LaunchTemplateNames=[name])['LaunchTemplates'][0]
    except (ClientError, BotoCoreError) as exc:
        if is_error(exc, 'InvalidLaunchTemplateName.NotFoundException'):
            return None
        module.fail_aws(exc, 'Cannot look up launch template %s' % name)


def template_tags_now(module, ec2, template_id):
    """The template's tags read with DescribeTags (one call)."""
    try:
        tags = ec2.describe_tags(aws_retry=True, Filters=[{'Name': 'resource-id', 'Values': [template_id]}])['Tags']
    except (ClientError, BotoCoreError) as exc:
        module.fail_aws(exc, 'Cannot read the tags of launch template %s' % template_id)
    return tag_dict(tags)


def current_template_tags(module, ec2, template, wanted):
    """The tags of an existing template, from the DescribeLaunchTemplates answer when that can do.

    AWS reports a template's current tags in DescribeLaunchTemplates, so a template whose tags
    are already the wanted ones needs no further read. moto 5 reports there only the tags
    given at creation (later CreateTags/DeleteTags show in DescribeTags only), so whenever
    those tags differ from the wanted ones (a change to make, or another deployment's tag to
    refuse) they are confirmed with DescribeTags before anything is decided. Limit on moto:
    tags changed by hand after creation go unseen while the creation tags equal the wanted ones.
    """
    listed = tag_dict(template.get('Tags'))
    to_set, to_unset = tag_changes(listed, wanted, purge=module.params['purge_tags'])
    if not to_set and not to_unset:
        return listed
    return template_tags_now(module, ec2, template['LaunchTemplateId'])


def template_version(module, ec2, template_id, version):
    try:
        versions = ec2.describe_launch_template_versions(
            aws_retry=True, LaunchTemplateId=template_id, Versions=[str(version)])['LaunchTemplateVersions']
    except (ClientError, BotoCoreError) as exc:
        module.fail_aws(exc, 'Cannot read version %s of launch template %s' % (version, template_id))
    return versions[0] if versions else None


def ensure_absent(module, ec2, template):
    name = module.params['name']
    result = dict(changed=template is not None, launch_template_name=name,
                  launch_template_id=template['LaunchTemplateId'] if template else None)
    if module.diff_mode:
        result['diff'] = ensure_dict_diff({'launch_template_name': name} if template else None, None)
    if template and not module.check_mode:
        try:
            ec2.delete_launch_template(aws_retry=True, LaunchTemplateId=template['LaunchTemplateId'])
        except (ClientError, BotoCoreError) as exc:
            module.fail_aws(exc, 'Cannot delete launch template %s' % name)
    return result


def ensure_present(module, ec2, template):
    p = module.params
    name = p['name']
    desired = build_template_data(module)
    template_tags = module.deployment_tags()
    if template:
        # a foreign deployment tag differs from the wanted one, so it is always confirmed
        current_tags = current_template_tags(module, ec2, template, template_tags)
        owner = current_tags.get(DEPLOYMENT_TAG)
        if owner and owner != p['deployment']:
            module.fail_json(msg='Launch template %s belongs to deployment %s, not %s'
                             % (name, owner, p['deployment']))

    changed = False
    version_created = False
    before = None
    new_default = None
    if template is None:
        validate_references(module, ec2)
        changed = version_created = True
        current_tags = {}
        template_id = None
        default_version = latest_version = 1
        if not module.check_mode:
            try:
                template = ec2.create_launch_template(
                    aws_retry=True, ClientToken=client_token(), LaunchTemplateName=name, LaunchTemplateData=desired,
                    TagSpecifications=[dict(ResourceType='launch-template', Tags=boto3_tag_list(template_tags))],
                )['LaunchTemplate']
            except (ClientError, BotoCoreError) as exc:
                module.fail_aws(exc, 'Cannot create launch template %s' % name)
            template_id = template['LaunchTemplateId']
    else:
        template_id = template['LaunchTemplateId']
        default_version = template['DefaultVersionNumber']
        latest_version = template['LatestVersionNumber']
        current = template_version(module, ec2, template_id, default_version)
        before = current['LaunchTemplateData'] if current else {}
        if normalize(before) != normalize(desired):
            validate_references(module, ec2)
            changed = True
            latest = None
            if latest_version != default_version:
                latest = template_version(module, ec2, template_id, latest_version)
            if latest is not None and normalize(latest['LaunchTemplateData']) == normalize(desired):
                new_default = latest_version
            else:
                version_created = True
                latest_version += 1
                new_default = latest_version
                if not module.check_mode:
                    try:
                        # Full data, no SourceVersion: what is stored is exactly what is asked for.
                        created = ec2.create_launch_template_version(
                            aws_retry=True, ClientToken=client_token(), LaunchTemplateId=template_id, LaunchTemplateData=desired,
                            VersionDescription='streamfleet.cluster')['LaunchTemplateVersion']
                    except (ClientError, BotoCoreError) as exc:
                        module.fail_aws(exc, 'Cannot create a version of launch template %s' % name)
                    latest_version = new_default = created['VersionNumber']
            if p['set_default']:
                if not module.check_mode:
                    try:
                        ec2.modify_launch_template(aws_retry=True, LaunchTemplateId=template_id, DefaultVersion=str(new_default))
                    except (ClientError, BotoCoreError) as exc:
                        module.fail_aws(exc, 'Cannot set the default version of launch template %s' % name)
                default_version = new_default

        to_set, to_unset = tag_changes(current_tags, template_tags, purge=p['purge_tags'])
        if to_set or to_unset:
            changed = True
            if not module.check_mode:
                try:
                    if to_set:
                        ec2.create_tags(aws_retry=True, Resources=[template_id], Tags=boto3_tag_list(to_set))
                    if to_unset:
                        ec2.delete_tags(aws_retry=True, Resources=[template_id], Tags=[{'Key': k} for k in to_unset])
                except (ClientError, BotoCoreError) as exc:
                    module.fail_aws(exc, 'Cannot tag launch template %s' % name)

    final_tags = dict(current_tags)
    final_tags.update(template_tags)
    if p['purge_tags']:
        final_tags = dict(template_tags)
    after = desired if (p['set_default'] or template is None or not changed) else before
    result = dict(
        changed=changed,
        launch_template_id=template_id,
        launch_template_name=name,
        default_version=default_version,
        latest_version=latest_version,
        version_created=version_created,
        launch_template_data=readable(after),
        tags=final_tags,
    )
    if module.diff_mode:
        result['diff'] = ensure_dict_diff(
            dict(readable(before), tags=current_tags) if before is not None else None,
            dict(readable(desired), tags=final_tags))
    return result


class LaunchTemplateConverger(Converger):
    """The ``aws_launch_template`` task."""

    input_rules = 'aws_launch_template'  # validation.INPUT_RULES, checked before validate()

    reports_changes = False

    def describe(self):
        return 'Launch template %s' % self.params['name']

    def validate(self):
        if self.params['state'] == 'present':
            validate(self.module, build_template_data(self.module))

    def read(self):
        self.template = find_template(self.module, self.client('ec2'), self.params['name'])

    def apply(self):
        ensure = ensure_absent if self.params['state'] == 'absent' else ensure_present
        self.result = ensure(self.module, self.client('ec2'), self.template)
