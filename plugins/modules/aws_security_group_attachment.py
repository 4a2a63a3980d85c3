#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: aws_security_group_attachment
short_description: Attach security groups to an existing RDS or EC2 instance, keeping its other groups
version_added: 0.3.0
description:
  - Adds (or with O(state=absent) removes) O(security_group_ids) on an RDS instance
    (C(ModifyDBInstance) C(VpcSecurityGroupIds), applied immediately) or an EC2 instance
    (C(ModifyInstanceAttribute) C(Groups)) the collection did not create, such as the MySQL
    database of the Red5 Pro Stream Managers (seed 003, "add all Stream Manager public and
    private IP addresses to the Database security group").
  - The instance's other security groups are kept; the instance is not tagged. One describe call
    per run; nothing is written when the groups are already as asked.
  - Removing the last group of an instance is refused.
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.aws
attributes:
  check_mode:
    support: full
    description: Reports the groups that would be added or removed without changing them.
  diff_mode:
    support: full
    description: Shows the instance's security groups before and after.
options:
  security_group_ids:
    description: Security group ids (C(sg-...)) to attach or detach.
    type: list
    elements: str
    required: true
  db_instance_identifier:
    description: Identifier of the RDS instance. Exactly one of this and O(instance_id).
    type: str
  instance_id:
    description: Id of an EC2 instance with a single network interface that runs the database.
    type: str
  state:
    description: V(present) attaches the groups, V(absent) detaches them (before the groups are deleted).
    type: str
    choices: [present, absent]
    default: present
'''

EXAMPLES = r'''
- name: Let the Stream Managers reach their RDS database
  streamfleet.cluster.aws_security_group_attachment:
    db_instance_identifier: red5-cluster-db
    security_group_ids: ["{{ red5pro_streammanager_aws_outputs.database_security_group }}"]

- name: Detach it before the group is deleted
  streamfleet.cluster.aws_security_group_attachment:
    db_instance_identifier: red5-cluster-db
    security_group_ids: [sg-0123456789abcdef0]
    state: absent
'''

RETURN = r'''
security_group_ids:
  description: The instance's security groups after the run (as they would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [sg-0aaaaaaaaaaaaaaaa, sg-0123456789abcdef0]
changes:
  description: What the module changed (or would change in check mode), one line each.
  returned: always
  type: list
  elements: str
  sample: ["RDS instance red5-cluster-db security groups: +sg-0123456789abcdef0"]
api_calls:
  description: Number of AWS calls made, per service.Operation.
  returned: always
  type: dict
  sample: {rds.DescribeDBInstances: 1}
'''

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.security_group_attachment import (
    SecurityGroupAttachmentConverger,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.session import StreamfleetAWSModule
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import module_edge


def argument_spec():
    return dict(
        security_group_ids=dict(type='list', elements='str', required=True),
        db_instance_identifier=dict(type='str'),
        instance_id=dict(type='str'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
    )


@module_edge
def main():
    module = StreamfleetAWSModule(argument_spec(), supports_check_mode=True,
                                  mutually_exclusive=[('db_instance_identifier', 'instance_id')],
                                  required_one_of=[('db_instance_identifier', 'instance_id')])
    SecurityGroupAttachmentConverger(module).run()


if __name__ == '__main__':
    main()
