# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters of ``playbooks/status.yml``: ``status_targets``, ``status_sessions``, ``status_table``.

They turn ``aws_deployment_info``'s ``groups`` (``status: true``) into the servers to ask for
their session counts, those answers into counts per instance, and everything into a table per
group. Documentation in the sidecar files ``status_targets.yml``, ``status_sessions.yml`` and
``status_table.yml``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.streamfleet.cluster.plugins.module_utils.drain.sessions import (
    SessionCountError,
    json_field,
    sum_fields,
)

# Which server a role tag (streamfleet:role) names, by prefix; and where each server keeps its
# own count of live sessions (the same sources as the drain agent, docs/media-server-roles.md).
SERVER_BY_ROLE_PREFIX = (
    ('red5pro-streammanager', 'red5pro_streammanager'),
    ('antmedia', 'antmedia'),
    ('wcs', 'wcs'),
)
SESSION_FIELDS = {
    'wcs': ['connections'],
    'antmedia': ['totalLiveStreamSize', 'localWebRTCViewers', 'localHLSViewers', 'localDASHViewers?'],
    'red5pro_streammanager': ['data.active_connections'],
}
# Instances that can carry sessions; the others are not asked.
ASKED_STATES = ('InService', 'Terminating:Wait', 'Standby', 'Detaching')
UNKNOWN = '-'


def server_of(role):
    for prefix, server in SERVER_BY_ROLE_PREFIX:
        if role and role.startswith(prefix):
            return server
    return None


def status_targets(groups, address='private'):
    """``[{id, group, server, address}]``: the instances whose server can be asked for sessions."""
    if address not in ('private', 'public'):
        raise AnsibleFilterError("status_targets: address must be 'private' or 'public', not %r" % (address,))
    targets = []
    for group in groups or []:
        for instance in group.get('instances') or []:
            server = server_of(instance.get('role') or group.get('role'))
            host = instance.get(address + '_ip')
            if server and host and instance.get('lifecycle_state') in ASKED_STATES:
                targets.append(dict(id=instance['id'], group=group['name'], server=server, address=host))
    return targets


def count_from(server, answer):
    """The session count in one answer (a dict: ``stats`` of wcs_stats_info or ``json`` of uri);
    None when the server did not answer or a required field is missing or not a count."""
    try:
        return sum_fields(lambda path: json_field(answer, path), SESSION_FIELDS[server], server)
    except SessionCountError:
        return None


def status_sessions(results):
    """``{instance id: count or None}`` from the registered loop results of the session reads.

    ``results``: a list of registered loop results (each with ``results``), or of their items.
    Each item carries ``item`` (a target of ``status_targets``) and the answer: ``stats`` (WCS,
    ``wcs_stats_info``) or ``json`` (``ansible.builtin.uri``). A failed or skipped read is None.
    """
    counts = {}
    items = []
    for result in results or []:
        if isinstance(result, dict) and 'results' in result:
            items.extend(result['results'])
        elif isinstance(result, dict):
            items.append(result)
    for item in items:
        target = item.get('item')
        if not isinstance(target, dict) or 'id' not in target:
            continue
        answer = None
        if not item.get('failed') and not item.get('skipped'):
            if target.get('server') == 'wcs':
                answer = item.get('stats')
            else:
                answer = item.get('json')
        counts[target['id']] = count_from(target['server'], answer) if isinstance(answer, dict) else None
    return counts


def _cell(value):
    return UNKNOWN if value is None or value == '' else str(value)


def _table(header, rows):
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]
    lines = []
    for row in [header] + rows:
        lines.append('  '.join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
    return lines


def _counts(counts):
    return ', '.join('%s %d' % (state, number) for state, number in sorted((counts or {}).items())) or 'none'


def status_table(groups, sessions=None, deployment=None):
    """The status view as text: one block per group."""
    if not isinstance(groups, list):
        raise AnsibleFilterError('status_table: expects the groups list of aws_deployment_info (status: true)')
    sessions = sessions or {}
    lines = []
    if deployment:
        lines.append('Deployment %s: %d Auto Scaling group%s' % (deployment, len(groups), '' if len(groups) == 1 else 's'))
    if not groups:
        lines.append('(no Auto Scaling group)')
    for group in groups:
        lines.append('')
        lines.append('%s  [%s]  min %s / desired %s / max %s' % (
            group['name'], _cell(group.get('role')), _cell(group.get('min_size')),
            _cell(group.get('desired_capacity')), _cell(group.get('max_size'))))
        lines.append('  instances: %s' % _counts(group.get('instances_by_state')))
        for balancer in group.get('target_groups') or []:
            lines.append('  balancer %s: %d healthy of %d (%s)' % (
                balancer['name'], balancer.get('healthy', 0), sum((balancer.get('by_state') or {}).values()),
                _counts(balancer.get('by_state'))))
        newest = group.get('newest_image') or {}
        in_use = ', '.join(group.get('images_in_use') or []) or UNKNOWN
        if not newest:
            verdict = 'no baked image of family %s' % _cell(group.get('image_family'))
        elif group.get('images_up_to_date'):
            verdict = 'newest'
        else:
            verdict = 'OUTDATED, newest %s (%s)' % (newest.get('id'), newest.get('creation_date'))
        lines.append('  image: %s: %s' % (in_use, verdict))
        hooks = group.get('lifecycle_hooks') or []
        lines.append('  hooks: %s' % (', '.join('%s (%s, heartbeat %s s, default %s)' % (
            h['name'], (h.get('transition') or '').replace('autoscaling:', ''), _cell(h.get('heartbeat_timeout')),
            _cell(h.get('default_result'))) for h in hooks) or 'none'))
        pool = group.get('warm_pool')
        if pool:
            lines.append('  warm pool: min %s, %s, %s' % (_cell(pool.get('min_size')), _cell(pool.get('pool_state')),
                                                          _counts(pool.get('instances_by_state'))))
        rollout = group.get('rollout')
        if rollout:
            sizes = rollout.get('sizes') or {}
            lines.append('  ROLLOUT IN PROGRESS (will restore min %s / desired %s / max %s)' % (
                _cell(sizes.get('min')), _cell(sizes.get('desired')), _cell(sizes.get('max'))))
        if group.get('draining'):
            lines.append('  DRAINING: %s' % ', '.join(group['draining']))
        rows = []
        for instance in group.get('instances') or []:
            health = sorted(set((instance.get('target_health') or {}).values()))
            rows.append([instance['id'], _cell(instance.get('lifecycle_state')), _cell(instance.get('health_status')),
                         ','.join(health) or UNKNOWN, _cell(instance.get('image_id')),
                         _cell(instance.get('launch_template_version')), _cell(instance.get('private_ip')),
                         _cell(sessions.get(instance['id']))])
        if rows:
            lines.extend('  ' + line for line in _table(
                ['instance', 'state', 'health', 'balancer', 'image', 'lt', 'address', 'sessions'], rows))
    return '\n'.join(lines).lstrip('\n') + '\n'


class FilterModule(object):
    def filters(self):
        return {
            'status_targets': status_targets,
            'status_sessions': status_sessions,
            'status_table': status_table,
        }
