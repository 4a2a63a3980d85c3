# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The instances of Auto Scaling (ESS) groups with their ECS addresses.

Two read-only calls, as Alibaba documents them:

- ESS ``DescribeScalingInstances``, API version 2014-08-28
  (https://www.alibabacloud.com/help/en/auto-scaling/developer-reference/api-ess-2014-08-28-describescalinginstances):
  ``ScalingGroupId``, ``LifecycleState`` (InService, Pending, Pending:Wait, Protected, Standby,
  Stopped, Removing, Removing:Wait), ``HealthStatus`` (Healthy, Unhealthy), ``PageNumber`` from 1,
  ``PageSize`` at most 50 (default 10). The answer holds ``TotalCount``, ``PageNumber``,
  ``PageSize`` and ``ScalingInstances.ScalingInstance[]`` with ``InstanceId``, ``ScalingGroupId``,
  ``LifecycleState``, ``HealthStatus``, ``CreationType``, ``ZoneId``. (The 2022-02-22 version
  answers ``ScalingInstances`` as a plain list; both shapes are read.)
- ECS ``DescribeInstances``, API version 2014-05-26
  (https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeinstances):
  ``InstanceIds`` a JSON array of at most 100 ids, ``PageNumber``/``PageSize`` (at most 100).
  Each ``Instances.Instance[]`` entry has ``Status``, ``ZoneId``,
  ``VpcAttributes.PrivateIpAddress.IpAddress[]``, ``PublicIpAddress.IpAddress[]`` and
  ``EipAddress.IpAddress``.

Endpoints (https://www.alibabacloud.com/help/en/auto-scaling/developer-reference/api-ess-2022-02-22-endpoint
and https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-endpoint):
ESS answers on ``ess.aliyuncs.com`` for the regions listed below and on
``ess.<region>.aliyuncs.com`` elsewhere; ECS on ``ecs.<region>.aliyuncs.com``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

ESS_VERSION = '2014-08-28'
ECS_VERSION = '2014-05-26'
ESS_PAGE_SIZE_MAX = 50
ECS_IDS_PER_CALL = 100
ECS_PAGE_SIZE_MAX = 100

LIFECYCLE_STATES = ('InService', 'Pending', 'Pending:Wait', 'Protected', 'Standby', 'Stopped',
                    'Removing', 'Removing:Wait')
HEALTH_STATUSES = ('Healthy', 'Unhealthy')
# Documented ids read asg-bp1igpak5ft1flyp**** (the request example of DescribeScalingInstances):
# "asg-", then lower-case letters and digits.
SCALING_GROUP_ID = re.compile(r'^asg-[0-9a-z]{1,64}$')

ENV_ESS_ENDPOINT = ('ALIBABA_CLOUD_ESS_ENDPOINT',)
ENV_ECS_ENDPOINT = ('ALIBABA_CLOUD_ECS_ENDPOINT',)
# Regions whose public ESS endpoint is the central ess.aliyuncs.com (the endpoints page above).
ESS_CENTRAL_REGIONS = frozenset(['cn-qingdao', 'cn-beijing', 'cn-hangzhou', 'cn-shanghai', 'cn-nanjing',
                                 'cn-shenzhen', 'ap-southeast-1'])


def default_ess_endpoint(region):
    return 'ess.aliyuncs.com' if region in ESS_CENTRAL_REGIONS else 'ess.%s.aliyuncs.com' % region


def default_ecs_endpoint(region):
    return 'ecs.%s.aliyuncs.com' % region


def _entries(container, key):
    """``{key: [...]}`` (2014-08-28, 2014-05-26) or a plain list (2022-02-22) -> a list."""
    if isinstance(container, list):
        return container
    if isinstance(container, dict):
        value = container.get(key)
        if isinstance(value, list):
            return value
        if isinstance(value, dict):  # a single entry, as XML-to-JSON conversions give it
            return [value]
    return []


def _first_address(container):
    """The first of ``{"IpAddress": [...]}`` or ``{"IpAddress": "..."}``, or None."""
    if not isinstance(container, dict):
        return None
    value = container.get('IpAddress')
    if isinstance(value, list):
        value = value[0] if value else None
    return value or None


def scaling_instances(ess, group_id, lifecycle_state=None, health_status=None, page_size=ESS_PAGE_SIZE_MAX):
    """Every instance of one scaling group (all pages), filtered as asked."""
    found = []
    page = 1
    while True:
        body = ess.call('DescribeScalingInstances', ScalingGroupId=group_id, LifecycleState=lifecycle_state,
                        HealthStatus=health_status, PageNumber=page, PageSize=page_size)
        entries = _entries(body.get('ScalingInstances'), 'ScalingInstance')
        found.extend(entries)
        total = int(body.get('TotalCount') or 0)
        # Stop on the last page: a short page, or everything the total announced.
        if not entries or len(entries) < page_size or len(found) >= total:
            return found
        page += 1


def describe_instances(ecs, instance_ids):
    """ECS records of the given instances, by id (ids ECS does not know are left out)."""
    found = {}
    ids = list(instance_ids)
    for start in range(0, len(ids), ECS_IDS_PER_CALL):
        batch = ids[start:start + ECS_IDS_PER_CALL]
        page = 1
        while True:
            body = ecs.call('DescribeInstances', InstanceIds=json.dumps(batch), PageNumber=page,
                            PageSize=ECS_PAGE_SIZE_MAX)
            entries = _entries(body.get('Instances'), 'Instance')
            for entry in entries:
                found[entry.get('InstanceId')] = entry
            total = int(body.get('TotalCount') or 0)
            if not entries or len(entries) < ECS_PAGE_SIZE_MAX or page * ECS_PAGE_SIZE_MAX >= total:
                break
            page += 1
    return found


def node_record(scaling, instance):
    """One node as the module returns it (snake_case)."""
    instance = instance or {}
    eip = _first_address(instance.get('EipAddress'))
    public_ip = _first_address(instance.get('PublicIpAddress'))
    return dict(
        scaling_group_id=scaling.get('ScalingGroupId'),
        instance_id=scaling.get('InstanceId'),
        lifecycle_state=scaling.get('LifecycleState'),
        health_status=scaling.get('HealthStatus'),
        creation_type=scaling.get('CreationType'),
        zone_id=scaling.get('ZoneId') or instance.get('ZoneId'),
        status=instance.get('Status'),
        instance_name=instance.get('InstanceName'),
        private_ip=_first_address((instance.get('VpcAttributes') or {}).get('PrivateIpAddress')),
        public_ip=public_ip,
        eip=eip,
        public_address=eip or public_ip,
    )


def scaling_group_nodes(ess, ecs, group_ids, lifecycle_state=None, health_status=None,
                        page_size=ESS_PAGE_SIZE_MAX):
    """The nodes of the groups, in the order of ``group_ids`` then of ESS's answer, and the ids
    ESS listed that ECS did not describe (an instance released between the two calls)."""
    scaling = []
    for group_id in group_ids:
        scaling.extend(scaling_instances(ess, group_id, lifecycle_state, health_status, page_size))
    ids = [entry.get('InstanceId') for entry in scaling if entry.get('InstanceId')]
    instances = describe_instances(ecs, ids) if ids else {}
    nodes = [node_record(entry, instances.get(entry.get('InstanceId'))) for entry in scaling]
    missing = [instance_id for instance_id in ids if instance_id not in instances]
    return nodes, missing
