# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tags: everything the collection creates carries ``streamfleet:deployment`` and is found by it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DEPLOYMENT_TAG = 'streamfleet:deployment'
MANAGED_BY_TAG = 'streamfleet:managed-by'
MANAGED_BY_VALUE = 'streamfleet.cluster'


def boto3_tag_list(tags, key_name='Key', value_name='Value'):
    """``{'a': 'b'}`` -> ``[{'Key': 'a', 'Value': 'b'}]`` (sorted by key, values as strings)."""
    return [{key_name: k, value_name: '' if v is None else str(v)} for k, v in sorted((tags or {}).items())]


def tag_dict(tag_list, key_name=None, value_name=None):
    """``[{'Key': 'a', 'Value': 'b'}]`` -> ``{'a': 'b'}``; also accepts ``key``/``value`` spellings."""
    result = {}
    for tag in tag_list or []:
        key = tag.get(key_name) if key_name else tag.get('Key', tag.get('key', tag.get('TagKey')))
        value = tag.get(value_name) if value_name else tag.get('Value', tag.get('value', tag.get('TagValue', '')))
        result[key] = value
    return result


def tag_changes(current, desired, purge=False):
    """Compare tag dicts; returns ``(to_set, to_unset)``.

    ``to_set`` holds the tags to add or change; ``to_unset`` the keys to remove, only when
    ``purge`` is true (AWS-reserved ``aws:`` keys are never removed).
    """
    current = current or {}
    desired = dict((k, '' if v is None else str(v)) for k, v in (desired or {}).items())
    to_set = dict((k, v) for k, v in desired.items() if current.get(k) != v)
    to_unset = []
    if purge:
        to_unset = sorted(k for k in current if k not in desired and not k.startswith('aws:'))
    return to_set, to_unset


def ec2_filters(filters):
    """``{'tag:a': 'b', 'state': ['x', 'y']}`` -> EC2 ``Filters`` list."""
    result = []
    for name, values in sorted((filters or {}).items()):
        if not isinstance(values, (list, tuple)):
            values = [values]
        result.append({'Name': name, 'Values': [str(v) for v in values]})
    return result


def deployment_tags(params, extra=None):
    """The tags everything a module creates carries: ``tags`` + deployment + managed-by (+ ``extra``)."""
    tags = dict((k, '' if v is None else str(v)) for k, v in (params.get('tags') or {}).items())
    tags[MANAGED_BY_TAG] = MANAGED_BY_VALUE
    if params.get('deployment'):
        tags[DEPLOYMENT_TAG] = params['deployment']
    tags.update(extra or {})
    return tags
