# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ant Media Server Enterprise's cluster node documents in MongoDB: list them, remove the dead.

Layout, from the vendor's source (ant-media/Ant-Media-Server, commit
5130ad8893a2a36d36f167045cf3db41cdf0057c, file src/main/java/io/antmedia/cluster/ClusterNode.java,
last changed in 784c2b7ad0dfba76f43228a27c3585e1ff27f098): a Morphia entity stored in the
collection ``clusternode``; the ``@Id`` field ``id`` is the document's ``_id`` (a string the
server picks, not the EC2 instance id), then ``ip`` (the address the node announces: its private
address, or its public one with ``useGlobalIp``), ``lastUpdateTime`` (milliseconds since the
epoch, rewritten every ``NODE_UPDATE_PERIOD`` = 5000 ms), ``memory`` and ``cpu`` (strings),
``dbQueryAveargeTimeMs`` (sic); ``status`` is ``@NotSaved``: the server computes it and calls a
node ``dead`` when ``lastUpdateTime`` is more than 4 periods (20 s) old. Morphia 2 adds its
discriminator ``_t: "ClusterNode"``. The store itself (``io.antmedia.enterprise.cluster.ClusterStore``,
named in src/main/server/conf/jee-container.xml) is closed source; the database name
``clusterdb`` is the one users show in the vendor's tracker (issues #3531 ``clusterdb.AppSettings``,
#7226 ``clusterdb> db.clusternode.find()``).

The vendor leaves the documents of terminated nodes behind (issues #3434, #7226). A node is
removed here only when it is dead by the vendor's own rule *and* either its address is no longer
one of the live instances, or it has not reported for longer than the caller allows. The delete
repeats the age condition, so a node that came back between the read and the write stays.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import time

DEFAULT_DATABASE = 'clusterdb'
DEFAULT_COLLECTION = 'clusternode'
# ClusterNode.NODE_UPDATE_PERIOD * 4, in seconds: older than this the server shows "dead".
VENDOR_DEAD_AFTER = 20
NODE_FIELDS = ('_id', 'ip', 'lastUpdateTime', 'memory', 'cpu')

REASON_NOT_LIVE = 'address is not a live instance'
REASON_STALE = 'not updated for longer than stale_after'


class ClusterNodeError(ValueError):
    """Input or state the cleanup refuses (the message names the option and the rule)."""


def check_addresses(addresses, option='keep_addresses'):
    """The addresses as strings, or ClusterNodeError naming the first bad one."""
    result = []
    for value in addresses:
        text = str(value).strip()
        try:
            ipaddress.ip_address(text)
        except ValueError:
            raise ClusterNodeError('%s: %r is not an IP address (Ant Media records each node by the '
                                   'address it announces)' % (option, value))
        result.append(text)
    return result


def validate(keep_addresses, stale_after, dead_after):
    if keep_addresses is None and stale_after is None:
        raise ClusterNodeError('give keep_addresses (the live instances\' addresses), stale_after, or both: '
                               'without either no node can be told dead')
    if dead_after < VENDOR_DEAD_AFTER:
        raise ClusterNodeError('dead_after: %d is below %d s, the age at which Ant Media itself calls a node dead; '
                               'a live node could be removed' % (dead_after, VENDOR_DEAD_AFTER))
    if stale_after is not None and stale_after < dead_after:
        raise ClusterNodeError('stale_after: %d must be at least dead_after (%d)' % (stale_after, dead_after))
    return check_addresses(keep_addresses) if keep_addresses is not None else None


def describe_node(document, now_ms):
    """A node document as the module reports it."""
    last = document.get('lastUpdateTime')
    try:
        last = int(last)
    except (TypeError, ValueError):
        last = None
    age = None if last is None else max(0, (now_ms - last)) // 1000
    return dict(
        id=str(document.get('_id')),
        ip=document.get('ip'),
        last_update_time=last,
        seconds_since_update=age,
        status='alive' if age is not None and age <= VENDOR_DEAD_AFTER else 'dead',
    )


def plan(documents, keep_addresses, stale_after=None, dead_after=VENDOR_DEAD_AFTER, now_ms=None):
    """Split node documents into (remove, keep); each removed node carries its ``reason``."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    live = set(keep_addresses) if keep_addresses is not None else None
    remove, keep = [], []
    for document in documents:
        node = describe_node(document, now_ms)
        age = node['seconds_since_update']
        dead = age is None or age > dead_after
        if stale_after is not None and (age is None or age > stale_after):
            node['reason'] = REASON_STALE
            remove.append(node)
        elif live is not None and dead and node['ip'] not in live:
            node['reason'] = REASON_NOT_LIVE
            remove.append(node)
        else:
            keep.append(node)
    return remove, keep


def delete_filter(remove, stale_after, dead_after, now_ms):
    """One query removing exactly the planned nodes, each only while still as old as planned."""
    clauses = []
    for reason, limit in ((REASON_STALE, stale_after), (REASON_NOT_LIVE, dead_after)):
        ids = [node['id'] for node in remove if node['reason'] == reason]
        if ids:
            # $not/$gte also matches a document without lastUpdateTime (planned as dead).
            cutoff = now_ms - limit * 1000
            clauses.append({'_id': {'$in': ids}, 'lastUpdateTime': {'$not': {'$gte': cutoff}}})
    return clauses[0] if len(clauses) == 1 else {'$or': clauses}


def node_line(node):
    age = node['seconds_since_update']
    return '%s %s (%s, %s)' % (node['id'], node['ip'] or '-', node['status'],
                               'never updated' if age is None else 'updated %d s ago' % age)


def cleanup(collection, keep_addresses=None, stale_after=None, dead_after=VENDOR_DEAD_AFTER,
            allow_empty=False, check_mode=False, now_ms=None):
    """Remove the dead node documents of ``collection``; returns the module's result dict.

    ``collection`` needs ``find(filter, projection)`` and ``delete_many(filter)`` (pymongo's
    Collection or a test double). Raises ClusterNodeError before any write on bad input or when
    every node would go and ``allow_empty`` is false.
    """
    keep_addresses = validate(keep_addresses, stale_after, dead_after)
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    documents = list(collection.find({}, dict((field, 1) for field in NODE_FIELDS)))
    remove, keep = plan(documents, keep_addresses, stale_after, dead_after, now_ms)
    if remove and not keep and not allow_empty:
        raise ClusterNodeError(
            'every one of the %d node documents would be removed (%s); if the cluster really has no live '
            'node, set allow_empty=true' % (len(remove), ', '.join(node_line(n) for n in remove)))
    result = dict(changed=bool(remove), removed=remove, kept=keep, deleted_count=0,
                  diff=dict(before='\n'.join(node_line(n) for n in remove + keep) + '\n',
                            after='\n'.join(node_line(n) for n in keep) + '\n',
                            before_header='%s nodes' % getattr(collection, 'full_name', DEFAULT_COLLECTION),
                            after_header='%s nodes' % getattr(collection, 'full_name', DEFAULT_COLLECTION)))
    if remove and not check_mode:
        outcome = collection.delete_many(delete_filter(remove, stale_after, dead_after, now_ms))
        result['deleted_count'] = outcome.deleted_count
        if outcome.deleted_count < len(remove):
            result['warnings'] = ['%d of the %d planned nodes reported again before the delete and were kept'
                                  % (len(remove) - outcome.deleted_count, len(remove))]
    return result
