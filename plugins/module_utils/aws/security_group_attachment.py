# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Security groups the collection made, attached to a database it did not make
(``aws_security_group_attachment``): an RDS instance (ModifyDBInstance ``VpcSecurityGroupIds``)
or an EC2 instance that runs the database (ModifyInstanceAttribute ``Groups``).

The target's other groups are always kept: the call sends the groups read plus (present) or
minus (absent) the task's. The target is not the collection's, so it is neither tagged nor
refused for lacking the deployment tag; only its group list changes. One describe a run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.converger import ConvergeError, Converger

try:
    from botocore.exceptions import ClientError
except ImportError:  # pragma: no cover - reported by the module class
    ClientError = Exception

GROUP_ID = re.compile(r'^sg-[0-9a-f]{8,17}$')
INSTANCE_ID = re.compile(r'^i-[0-9a-f]{8,17}$')
# CreateDBInstance: 1-63 letters, digits or hyphens, starting with a letter.
DB_IDENTIFIER = re.compile(r'^[A-Za-z][A-Za-z0-9-]{0,62}$')


class AttachmentError(ConvergeError):
    """Invalid task input or a change the module refuses; nothing was changed."""


def validate(params):
    errors = []
    groups = params.get('security_group_ids') or []
    if not groups:
        errors.append('security_group_ids must name at least one group')
    errors.extend('security_group_ids: %r is not a security group id (sg-...)' % g for g in groups
                  if not GROUP_ID.match(g or ''))
    db, instance = params.get('db_instance_identifier'), params.get('instance_id')
    if bool(db) == bool(instance):
        errors.append('give exactly one of db_instance_identifier (RDS) and instance_id (EC2)')
    elif db and not DB_IDENTIFIER.match(db):
        errors.append('db_instance_identifier %r is not an RDS identifier (1-63 letters, digits, hyphens, '
                      'starting with a letter)' % db)
    elif instance and not INSTANCE_ID.match(instance):
        errors.append('instance_id %r is not an instance id (i-...)' % instance)
    if errors:
        raise AttachmentError('; '.join(errors))


class SecurityGroupAttachmentConverger(Converger):
    error = AttachmentError
    input_rules = 'aws_security_group_attachment'  # validation.INPUT_RULES, checked before validate()

    def describe(self):
        if self.params.get('db_instance_identifier'):
            return 'RDS instance %s' % self.params['db_instance_identifier']
        return 'EC2 instance %s' % self.params.get('instance_id')

    def validate(self):
        validate(self.params)

    def read(self):
        if self.params.get('db_instance_identifier'):
            try:
                found = self.client('rds').describe_db_instances(
                    aws_retry=True, DBInstanceIdentifier=self.params['db_instance_identifier'])['DBInstances']
            except ClientError as exc:
                if exc.response.get('Error', {}).get('Code') == 'DBInstanceNotFound':
                    raise AttachmentError('RDS instance %s does not exist in the region'
                                          % self.params['db_instance_identifier'])
                raise
            db = found[0]
            self.current = [g['VpcSecurityGroupId'] for g in db.get('VpcSecurityGroups', [])
                            if g.get('Status', 'active') not in ('removing',)]
        else:
            reservations = self.client('ec2').describe_instances(
                aws_retry=True, InstanceIds=[self.params['instance_id']])['Reservations']
            instance = reservations[0]['Instances'][0]
            interfaces = instance.get('NetworkInterfaces', [])
            if len(interfaces) > 1:
                raise AttachmentError('EC2 instance %s has %d network interfaces; attach the group to the '
                                      'interface that serves the database yourself'
                                      % (self.params['instance_id'], len(interfaces)))
            self.current = [g['GroupId'] for g in instance.get('SecurityGroups', [])]
        self.before = dict(security_group_ids=sorted(self.current))

    def apply(self):
        declared = self.params['security_group_ids']
        if self.params['state'] == 'present':
            wanted = self.current + [g for g in declared if g not in self.current]
        else:
            wanted = [g for g in self.current if g not in declared]
            if not wanted and self.current:
                raise AttachmentError('%s would be left without any security group; attach another one first'
                                      % self.describe())
        self.after = dict(security_group_ids=sorted(wanted))
        if sorted(wanted) != sorted(self.current):
            added = sorted(set(wanted) - set(self.current))
            removed = sorted(set(self.current) - set(wanted))
            text = '%s security groups: %s' % (self.describe(), ', '.join(
                ['+' + g for g in added] + ['-' + g for g in removed]))
            if self.change(text):
                if self.params.get('db_instance_identifier'):
                    self.client('rds').modify_db_instance(
                        aws_retry=True, DBInstanceIdentifier=self.params['db_instance_identifier'],
                        VpcSecurityGroupIds=wanted, ApplyImmediately=True)
                else:
                    self.client('ec2').modify_instance_attribute(
                        aws_retry=True, InstanceId=self.params['instance_id'], Groups=wanted)
        self.result.update(security_group_ids=wanted)
