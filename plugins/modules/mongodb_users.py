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

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

PYMONGO_IMPORT_ERROR = None
try:
    from pymongo import MongoClient
    from pymongo.errors import OperationFailure, PyMongoError
except ImportError:
    PYMONGO_IMPORT_ERROR = traceback.format_exc()

AUTHENTICATION_FAILED = 18
UNAUTHORIZED = 13


def connect(params, user=None, password=None, auth_db='admin'):
    kwargs = dict(host=params['login_host'], port=params['login_port'],
                  serverSelectionTimeoutMS=params['connect_timeout'] * 1000)
    if user is not None:
        kwargs.update(username=user, password=password, authSource=auth_db)
    return MongoClient(**kwargs)


def can_authenticate(params, user, password, auth_db):
    """True when user/password log in; False on an authentication failure."""
    client = connect(params, user, password, auth_db)
    try:
        client[auth_db].command('connectionStatus')
        return True
    except OperationFailure as exc:
        if exc.code == AUTHENTICATION_FAILED:
            return False
        raise
    finally:
        client.close()


def normalized_roles(roles, default_db):
    result = set()
    for role in roles:
        if isinstance(role, dict):
            result.add((role['role'], role.get('db') or default_db))
        else:
            result.add((role, default_db))
    return result


def role_documents(roles):
    return [{'role': role, 'db': db} for role, db in sorted(roles)]


def find_user(client, name, database):
    found = client['admin'].command('usersInfo', {'user': name, 'db': database})['users']
    return found[0] if found else None


def ensure_user(module, client, name, password, database, roles):
    wanted = normalized_roles(roles, database)
    existing = find_user(client, name, database)
    db = client[database]
    if existing is None:
        if not module.check_mode:
            db.command('createUser', name, pwd=password, roles=role_documents(wanted))
        return 'created'
    update = {}
    if normalized_roles(existing.get('roles', []), database) != wanted:
        update['roles'] = role_documents(wanted)
    if module.params['update_password'] == 'always' and not can_authenticate(module.params, name, password, database):
        update['pwd'] = password
    if not update:
        return 'unchanged'
    if not module.check_mode:
        db.command('updateUser', name, **update)
    return 'updated'


def ensure_admin(module):
    """Return (admin client, action) for the administrator."""
    params = module.params
    user, password = params['admin_user'], params['admin_password']
    if can_authenticate(params, user, password, 'admin'):
        return connect(params, user, password), None
    if module.check_mode:
        # Without writing, a fresh server and a wrong password look the same (both refuse
        # anonymous commands); report the creation the real run would attempt.
        return None, 'created'
    # Either nobody exists yet (localhost exception) or the password differs.
    anonymous = connect(params)
    try:
        anonymous['admin'].command('createUser', user, pwd=password,
                                   roles=role_documents(normalized_roles(params['admin_roles'], 'admin')))
    except OperationFailure as exc:
        if exc.code != UNAUTHORIZED:
            raise
        module.fail_json(
            msg="The administrator '%s' cannot log in with the given password, and users already "
                "exist, so MongoDB's localhost exception no longer allows creating it. Set "
                "mongodb_admin_password to the administrator's current password (change it "
                "afterwards with db.changeUserPassword), then run again." % user)
    finally:
        anonymous.close()
    return connect(params, user, password), 'created'


def main():
    module = AnsibleModule(
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
    if PYMONGO_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib('pymongo'), exception=PYMONGO_IMPORT_ERROR)

    results = []
    admin = None
    try:
        admin, admin_action = ensure_admin(module)
        results.append(dict(name=module.params['admin_user'], database='admin',
                            action=admin_action or 'unchanged'))
        if admin is None:
            # Check mode on a server without users: every user would be created.
            for spec in module.params['users']:
                results.append(dict(name=spec['name'], database=spec['database'], action='created'))
        else:
            if admin_action is None:
                action = ensure_user(module, admin, module.params['admin_user'], module.params['admin_password'],
                                     'admin', module.params['admin_roles'])
                results[0]['action'] = action
            for spec in module.params['users']:
                action = ensure_user(module, admin, spec['name'], spec['password'], spec['database'], spec['roles'])
                results.append(dict(name=spec['name'], database=spec['database'], action=action))
    except PyMongoError as exc:
        module.fail_json(msg='MongoDB error: %s' % exc, users=results)
    finally:
        if admin is not None:
            admin.close()

    changed = any(item['action'] != 'unchanged' for item in results)
    module.exit_json(changed=changed, users=results)


if __name__ == '__main__':
    main()
