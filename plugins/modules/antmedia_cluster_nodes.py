#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: antmedia_cluster_nodes
short_description: Remove dead Ant Media Server nodes from the cluster database
version_added: 0.2.0
description:
  - Ant Media Server Enterprise in cluster mode keeps one document per node in the MongoDB
    collection C(clusterdb.clusternode) (C(_id) the node id, C(ip), C(lastUpdateTime) in
    milliseconds, rewritten every 5 s). Nodes whose instance was terminated stay there and stay
    listed in the web panel (vendor issues 3434, 7226).
  - This module removes the documents of nodes that are dead by the server's own rule (not
    updated for O(dead_after) seconds, 20 s in the server) and whose address is not in
    O(keep_addresses) (the addresses of the instances that still exist), and, with
    O(stale_after), every node not updated for that long whatever its address.
  - A node that reports again between the read and the delete is kept (the delete repeats the
    age condition).
  - Refuses, before any write, to remove every node of the collection unless O(allow_empty=true).
  - Needs pymongo 3.6 or later where it runs (Debian/Ubuntu C(python3-pymongo); the
    C(streamfleet.cluster.mongodb) role installs it on the database host).
options:
  login_url:
    description:
      - MongoDB connection URL (C(mongodb://) or C(mongodb+srv://)) with credentials, as given to
        Ant Media. Mutually exclusive with O(login_host).
    type: str
  login_host:
    description: Address of C(mongod) when O(login_url) is not given.
    type: str
    default: 127.0.0.1
  login_port:
    description: Port of C(mongod).
    type: int
    default: 27017
  login_user:
    description: User to log in as (needs C(find) and C(remove) on the collection, e.g. C(readWrite) on C(clusterdb)).
    type: str
  login_password:
    description: Password of O(login_user).
    type: str
  login_database:
    description: Authentication database of O(login_user).
    type: str
    default: admin
  database:
    description: The cluster database.
    type: str
    default: clusterdb
  collection:
    description: The collection of node documents.
    type: str
    default: clusternode
  keep_addresses:
    description:
      - Addresses (IPv4 or IPv6) of the instances that exist, private and public ones; a dead node
        whose C(ip) is not among them is removed.
      - Give the empty list to remove every dead node.
    type: list
    elements: str
  stale_after:
    description:
      - Also remove any node not updated for this many seconds, whatever its address (for
        example the old document of a server restarted with a new node id on the same address).
      - At least O(dead_after).
    type: int
  dead_after:
    description:
      - Seconds without an update after which a node counts as dead. The server itself shows a node
        dead after 20 s; lower values are refused.
    type: int
    default: 60
  allow_empty:
    description: Allow removing every node document of the collection.
    type: bool
    default: false
  connect_timeout:
    description: Seconds to wait for the server.
    type: int
    default: 30
author: streamfleet maintainers (@streamfleet)
attributes:
  check_mode:
    description: Lists what would be removed without writing.
    support: full
  diff_mode:
    description: The node list before and after (id, address, age).
    support: full
notes:
  - At least one of O(keep_addresses) and O(stale_after) is required.
  - The node layout follows the vendor's source, C(src/main/java/io/antmedia/cluster/ClusterNode.java) of
    C(ant-media/Ant-Media-Server); see the collection's C(docs/day2-operations.md).
'''

EXAMPLES = r'''
- name: Remove the nodes whose instances are gone
  streamfleet.cluster.antmedia_cluster_nodes:
    login_url: "{{ mongodb_cluster_url }}"
    keep_addresses: "{{ live_addresses }}"

- name: What would go (plan only)
  streamfleet.cluster.antmedia_cluster_nodes:
    login_user: antmedia
    login_password: "{{ mongodb_app_password }}"
    keep_addresses: [10.0.1.10, 10.0.2.11]
    stale_after: 3600
  check_mode: true
  diff: true
'''

RETURN = r'''
removed:
  description: The nodes removed (or, in check mode, that would be).
  returned: always
  type: list
  elements: dict
  sample: [{id: "a1b2c3", ip: "10.0.1.23", last_update_time: 1765080000000, seconds_since_update: 5400,
            status: dead, reason: "address is not a live instance"}]
kept:
  description: The nodes left, same fields without C(reason).
  returned: always
  type: list
  elements: dict
  sample: [{id: "d4e5f6", ip: "10.0.1.10", last_update_time: 1765085399000, seconds_since_update: 1, status: alive}]
deleted_count:
  description: Documents deleted (0 in check mode); less than the number of RV(removed) when a node reported again meanwhile.
  returned: always
  type: int
  sample: 1
'''

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.streamfleet.cluster.plugins.module_utils.mongodb import (
    PYMONGO_IMPORT_ERROR,
    MongoClient,
    MongoUrlError,
    PyMongoError,
    canonical_mongo_url,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.antmedia_cluster_db import (
    ClusterNodeError,
    cleanup,
    validate,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import (
    StreamfleetModule,
    check_module_input,
    module_edge,
)


def connect(params):
    timeout_ms = params['connect_timeout'] * 1000
    if params['login_url']:
        return MongoClient(params['login_url'], serverSelectionTimeoutMS=timeout_ms)
    kwargs = dict(host=params['login_host'], port=params['login_port'], serverSelectionTimeoutMS=timeout_ms)
    if params['login_user']:
        kwargs.update(username=params['login_user'], password=params['login_password'],
                      authSource=params['login_database'])
    return MongoClient(**kwargs)


@module_edge
def main():
    module = StreamfleetModule(
        argument_spec=dict(
            login_url=dict(type='str', no_log=True),
            login_host=dict(type='str', default='127.0.0.1'),
            login_port=dict(type='int', default=27017),
            login_user=dict(type='str'),
            login_password=dict(type='str', no_log=True),
            login_database=dict(type='str', default='admin'),
            database=dict(type='str', default='clusterdb'),
            collection=dict(type='str', default='clusternode'),
            keep_addresses=dict(type='list', elements='str'),
            stale_after=dict(type='int'),
            dead_after=dict(type='int', default=60),
            allow_empty=dict(type='bool', default=False),
            connect_timeout=dict(type='int', default=30),
        ),
        required_one_of=[('keep_addresses', 'stale_after')],
        required_together=[('login_user', 'login_password')],
        mutually_exclusive=[('login_url', 'login_user')],
        supports_check_mode=True,
    )
    check_module_input(module, 'antmedia_cluster_nodes')
    params = module.params
    # Every input is checked before connecting.
    try:
        validate(params['keep_addresses'], params['stale_after'], params['dead_after'])
        if params['login_url']:
            canonical_mongo_url(params['login_url'])
    except (ClusterNodeError, MongoUrlError) as exc:
        module.fail_json(msg=str(exc))
    if PYMONGO_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib('pymongo'), exception=PYMONGO_IMPORT_ERROR)

    client = connect(params)
    try:
        collection = client[params['database']][params['collection']]
        result = cleanup(collection, params['keep_addresses'], params['stale_after'], params['dead_after'],
                         params['allow_empty'], module.check_mode)
    except ClusterNodeError as exc:
        module.fail_json(msg=str(exc))
    except PyMongoError as exc:
        module.fail_json(msg='MongoDB error on %s.%s: %s' % (params['database'], params['collection'], exc))
    finally:
        client.close()
    for warning in result.pop('warnings', []):
        module.warn(warning)
    if not module._diff:
        result.pop('diff')
    module.exit_json(**result)


if __name__ == '__main__':
    main()
