#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: mongodb_users
short_description: Ensure the MongoDB administrator and application users (role-internal)
version_added: 0.1.0
description:
  - Internal module of the C(streamfleet.cluster.mongodb) role.
  - Connects to a local C(mongod) with access control enabled. When the administrator cannot
    log in yet and no user exists, creates it through MongoDB's localhost exception.
  - Then creates or updates the application users with exactly the given roles.
  - Passwords are only sent to the server; they never appear on a command line or in the result.
  - Uses pymongo 3.6 or later on the managed host (Debian/Ubuntu C(python3-pymongo)).
options:
  login_host:
    description: Address of the local C(mongod); must be a loopback address for the localhost exception.
    type: str
    default: 127.0.0.1
  login_port:
    description: Port of C(mongod).
    type: int
    default: 27017
  admin_user:
    description: Name of the administrator, kept in the C(admin) database.
    type: str
    required: true
  admin_password:
    description: Password of the administrator.
    type: str
    required: true
  admin_roles:
    description: Roles of the administrator, as C(role)/C(db) dictionaries.
    type: list
    elements: dict
    default: [{role: root, db: admin}]
  users:
    description: Application users to ensure.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: User name.
        type: str
        required: true
      password:
        description: Password.
        type: str
        required: true
      database:
        description: Authentication database of the user.
        type: str
        default: admin
      roles:
        description: Exact list of roles (C(role) and C(db) each); other roles are removed.
        type: list
        elements: dict
        required: true
  update_password:
    description:
      - C(always) sets the password of an existing user when it no longer authenticates.
      - C(on_create) sets passwords only when creating users.
    type: str
    choices: [always, on_create]
    default: always
  connect_timeout:
    description: Seconds to wait for the server to answer.
    type: int
    default: 30
author: streamfleet maintainers (@streamfleet)
attributes:
  check_mode:
    description: Reports what would be created or updated without writing.
    support: full
  diff_mode:
    description: No diff; passwords are never shown.
    support: none
'''

EXAMPLES = r'''
- name: Ensure users
  mongodb_users:
    admin_user: admin
    admin_password: "{{ mongodb_admin_password }}"
    users:
      - name: antmedia
        password: "{{ mongodb_app_password }}"
        roles:
          - {role: readWrite, db: clusterdb}
  no_log: true
'''

RETURN = r'''
users:
  description: What was done per user (no passwords).
  returned: always
  type: list
  elements: dict
  sample: [{name: admin, database: admin, action: created}, {name: antmedia, database: admin, action: unchanged}]
'''

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.streamfleet.cluster.plugins.module_utils.mongodb import (
    PYMONGO_IMPORT_ERROR,
    MongoLogin,
    MongoUserError,
    PyMongoError,
    ensure_users,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import (
    StreamfleetModule,
    check_module_input,
    module_edge,
)


@module_edge
def main():
    module = StreamfleetModule(
        argument_spec=dict(
            login_host=dict(type='str', default='127.0.0.1'),
            login_port=dict(type='int', default=27017),
            admin_user=dict(type='str', required=True),
            admin_password=dict(type='str', required=True, no_log=True),
            admin_roles=dict(type='list', elements='dict', default=[{'role': 'root', 'db': 'admin'}]),
            users=dict(type='list', elements='dict', default=[], options=dict(
                name=dict(type='str', required=True),
                password=dict(type='str', required=True, no_log=True),
                database=dict(type='str', default='admin'),
                roles=dict(type='list', elements='dict', required=True),
            )),
            update_password=dict(type='str', choices=['always', 'on_create'], default='always'),
            connect_timeout=dict(type='int', default=30),
        ),
        supports_check_mode=True,
    )
    check_module_input(module, 'mongodb_users')
    if PYMONGO_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib('pymongo'), exception=PYMONGO_IMPORT_ERROR)
    params = module.params
    login = MongoLogin(params['login_host'], params['login_port'], params['connect_timeout'])
    try:
        results = ensure_users(login, params['admin_user'], params['admin_password'], params['admin_roles'],
                               params['users'], params['update_password'], module.check_mode)
    except MongoUserError as exc:
        module.fail_json(msg=str(exc), users=exc.partial_results)
    except PyMongoError as exc:
        module.fail_json(msg='MongoDB error: %s' % exc, users=getattr(exc, 'partial_results', []))

    changed = any(item['action'] != 'unchanged' for item in results)
    module.exit_json(changed=changed, users=results)


if __name__ == '__main__':
    main()
