# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Machine images (AMIs) of a deployment: made from an instance, tagged with their
snapshots, the oldest of a role deregistered (``aws_image``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.converger import (
    ConvergeError,
    Converger,
    ensure_dict_diff,
    snake_dict,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.retries import is_error
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.tags import (
    DEPLOYMENT_TAG,
    boto3_tag_list,
    ec2_filters,
    tag_changes,
    tag_dict,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.waiters import image_available

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # reported by the shared AWS module class
    BotoCoreError = ClientError = Exception

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


def _created_image(ec2, name):
    """``{'ImageId': ...}`` of the image ``name`` if a create that failed made it after all."""
    images = ec2.describe_images(aws_retry=True, Owners=['self'], Filters=ec2_filters({'name': name}))['Images']
    return {'ImageId': images[0]['ImageId']} if images else None


def deregister(module, ec2, images):
    """Deregister ``images`` and delete their snapshots (not in check mode); returns the report."""
    report = []
    for image in images:
        snaps = snapshot_ids(image)
        report.append(dict(image_id=image['ImageId'], name=image.get('Name'), snapshot_ids=snaps))
        if module.check_mode:
            continue
        try:
            ec2.deregister_image(aws_retry=True, ImageId=image['ImageId'])
        except (ClientError, BotoCoreError) as exc:
            if not is_error(exc, 'InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable'):
                module.fail_aws(exc, 'Cannot deregister image %s' % image['ImageId'])
        for snap in snaps:
            try:
                ec2.delete_snapshot(aws_retry=True, SnapshotId=snap)
            except (ClientError, BotoCoreError) as exc:
                if not is_error(exc, 'InvalidSnapshot.NotFound'):
                    module.fail_aws(exc, 'Cannot delete snapshot %s of image %s' % (snap, image['ImageId']))
    return report


def validate_instance(module, ec2):
    instance_id = module.params['instance_id']
    if not instance_id:
        module.fail_json(msg='instance_id is required to create image %s' % module.params['name'])
    try:
        reservations = ec2.describe_instances(aws_retry=True, InstanceIds=[instance_id])['Reservations']
    except (ClientError, BotoCoreError) as exc:
        if is_error(exc, 'InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed'):
            module.fail_json(msg='instance_id %s does not exist' % instance_id)
        module.fail_aws(exc, 'Cannot look up instance %s' % instance_id)
    instances = [i for r in reservations for i in r['Instances']]
    state = instances[0]['State']['Name'] if instances else 'missing'
    if state not in ('running', 'stopped'):
        module.fail_json(msg='instance %s is %s; an image can be made from a running or stopped instance'
                         % (instance_id, state))


def read_images(module, ec2):
    """The image named ``name``; without a name (state=absent), the role's family."""
    p = module.params
    if p['name']:
        return describe(module, ec2, {'name': p['name']})
    return family(module, ec2)


def ensure_absent(module, ec2, targets):
    removed = deregister(module, ec2, targets)
    result = dict(changed=bool(removed), deregistered=removed)
    if module.diff_mode:
        result['diff'] = ensure_dict_diff(dict(images=sorted(i['name'] for i in removed)), dict(images=[]))
    return result


def ensure_present(module, ec2, existing):
    p = module.params
    name = p['name']
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
                        ec2.create_tags(aws_retry=True, Resources=resources, Tags=boto3_tag_list(to_set))
                    if to_unset:
                        ec2.delete_tags(aws_retry=True, Resources=resources, Tags=[{'Key': k} for k in to_unset])
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
                # CreateImage takes no client token: after a failure, look for the image first
                image_id = ec2.create_once('create_image', lambda: _created_image(ec2, name), **kwargs)['ImageId']
            except (ClientError, BotoCoreError) as exc:
                module.fail_aws(exc, 'Cannot create image %s from %s' % (name, p['instance_id']))
            if p['wait']:
                image_available(module, ec2, image_id)
            try:
                image = ec2.describe_images(aws_retry=True, ImageIds=[image_id])['Images'][0]
            except (ClientError, BotoCoreError, IndexError) as exc:
                module.fail_json(msg='Image %s was created but cannot be read back: %s' % (image_id, exc))
            # Snapshots are tagged afterwards: their ids are known only once the image exists,
            # and moto does not take snapshot tag specifications in create_image.
            snaps = snapshot_ids(image)
            if snaps:
                try:
                    ec2.create_tags(aws_retry=True, Resources=snaps, Tags=boto3_tag_list(tags))
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
    return result


class ImageConverger(Converger):
    """The ``aws_image`` task: one image by name (or a role's family), made, tagged or removed."""

    input_rules = 'aws_image'  # validation.INPUT_RULES, checked before validate()

    reports_changes = False

    def describe(self):
        return 'Image %s' % (self.params['name'] or self.params['role'])

    def validate(self):
        p = self.params
        if p['state'] == 'absent':
            if not p['name'] and not p['deployment']:
                raise ConvergeError('state=absent without name needs deployment and role')
            return
        if not AMI_NAME.match(p['name']):
            raise ConvergeError("name %r is not a valid AMI name (3-128 of letters, digits and ()[] ./-'@_)"
                                % p['name'])
        if p['keep'] is not None and p['keep'] < 1:
            raise ConvergeError('keep must be at least 1')

    def read(self):
        self.images = read_images(self.module, self.client('ec2'))

    def apply(self):
        ensure = ensure_absent if self.params['state'] == 'absent' else ensure_present
        self.result = ensure(self.module, self.client('ec2'), self.images)


def image_summary(image):
    """The fields of an image the lookups return (and the status view compares)."""
    return dict(image_id=image['ImageId'], name=image.get('Name'), creation_date=image.get('CreationDate'),
                owner_id=image.get('OwnerId'), state=image.get('State'), architecture=image.get('Architecture'),
                tags=tag_dict(image.get('Tags')))


def newest_image(ec2, deployment=None, family=None, name=None, owners=None):
    """The newest available image, with one ``DescribeImages`` call: of the baked family
    (``family`` of ``deployment``, the tags ``image_bake`` sets, images of this account) or of an
    AMI name pattern (``name`` with ``*`` wildcards, of ``owners``: a base image such as
    Ubuntu's). Returns ``(image summary or None, number of images that matched)``.

    The family case picks with the status view's own rule (``deployment.newest_images``), so a
    topology deploys the very image ``status.yml`` calls the newest."""
    # Imported here: deployment.py is the status view and imports much more than this needs.
    from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.deployment import newest_images

    filters = {'state': 'available'}
    if family:
        filters['tag:' + DEPLOYMENT_TAG] = deployment
        filters['tag:' + ROLE_TAG] = family
        owners = ['self']
    else:
        filters['name'] = name
    images = ec2.describe_images(aws_retry=True, Owners=owners or ['self'],
                                 Filters=ec2_filters(filters))['Images']
    if family:
        found = newest_images([dict(image_summary(i), id=i['ImageId']) for i in images])
        best = found.get((deployment, family))
    else:
        summaries = [image_summary(i) for i in images if i.get('CreationDate')]
        best = max(summaries, key=lambda i: (i['creation_date'], i['name'] or '')) if summaries else None
    if best is not None:
        best = dict((k, v) for k, v in best.items() if k != 'id')
    return best, len(images)


class ImageInfo(Converger):
    """The ``aws_image_info`` task: the newest image of a family or of a name pattern; reads only."""

    input_rules = 'aws_image_info'  # validation.INPUT_RULES, checked before validate()

    reports_changes = False

    def describe(self):
        p = self.params
        return 'Image lookup %s' % ('family %s of %s' % (p['family'], p['deployment']) if p['family']
                                    else 'name %s' % p['name'])

    def validate(self):
        p = self.params
        if not p['family'] and p['name'] is None:
            # required_one_of counts an option given empty (family: with no value) as given
            raise ConvergeError('one of family, name is required; family was given without a value')
        if p['family'] and not p['deployment']:
            raise ConvergeError('family needs deployment (the streamfleet:deployment tag of the images)')
        if p['name'] is not None and not p['name'].strip():
            raise ConvergeError('name must not be empty')

    def read(self):
        p = self.params
        self.image, self.matched = newest_image(self.client('ec2'), deployment=p['deployment'], family=p['family'],
                                                name=p['name'], owners=p['owners'])
        if self.image is None and p['fail_when_none']:
            raise ConvergeError('%s: no available image matched (looked with one DescribeImages call%s)' % (
                self.describe(), ', owners %s' % ', '.join(p['owners']) if not p['family'] else
                ', tags streamfleet:deployment and %s; bake one with playbooks/bake_image.yml' % ROLE_TAG))

    def report(self):
        return dict(changed=False, image=self.image, image_id=self.image['image_id'] if self.image else None,
                    matched=self.matched)

    def diff(self):
        return {}
