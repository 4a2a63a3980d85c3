#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: alicloud_scaling_instances_info
short_description: List the instances of Alibaba Cloud Auto Scaling groups with their addresses
version_added: 0.1.0
description:
  - Lists the ECS instances of one or more Auto Scaling (ESS) groups with ESS's
    C(DescribeScalingInstances) (API version 2014-08-28), every page, then reads their addresses
    with ECS's C(DescribeInstances) (API version 2014-05-26), up to 100 instances a call.
  - Returns each instance with its group, lifecycle state, health status, zone, private address,
    public address and Elastic IP, ready for M(ansible.builtin.add_host).
  - Read only; throttled calls are tried again with a growing pause.
  - Sends the calls through the generic client of C(alibabacloud_tea_openapi), as the ESS and ECS
    SDKs would send them; no further SDK is needed.
author: streamfleet maintainers (@streamfleet)
requirements:
  - alibabacloud_tea_openapi
attributes:
  check_mode:
    support: full
    description: Reads only; the same calls run in check mode.
  diff_mode:
    support: none
    description: Reads only; there is nothing to compare.
options:
  scaling_group_ids:
    description:
      - Ids of the scaling groups, as ESS gives them (C(asg-) then lower-case letters and digits),
        for example the C(OriginScalingGroupId) output of a ROS stack.
    type: list
    elements: str
    required: true
  lifecycle_state:
    description:
      - Only instances in this lifecycle state of their group. C(any) lists every state.
    type: str
    choices: [InService, Pending, 'Pending:Wait', Protected, Standby, Stopped, Removing, 'Removing:Wait', any]
    default: InService
  health_status:
    description: Only instances with this health status; all when not set.
    type: str
    choices: [Healthy, Unhealthy]
  page_size:
    description: Instances per C(DescribeScalingInstances) page (ESS allows 1 to 50); every page is read.
    type: int
    default: 50
  endpoint:
    description:
      - One endpoint for both ESS and ECS, for example C(http://127.0.0.1:18080) for a local
        stand-in. A C(http://) prefix switches to plain HTTP.
      - When not set, ESS uses E(ALIBABA_CLOUD_ESS_ENDPOINT), else the region's public ESS endpoint
        (C(ess.aliyuncs.com) or C(ess.<region>.aliyuncs.com) as Alibaba lists them), and ECS uses
        E(ALIBABA_CLOUD_ECS_ENDPOINT), else C(ecs.<region>.aliyuncs.com).
    type: str
extends_documentation_fragment:
  - streamfleet.cluster.alicloud
notes:
  - Credentials are never logged or returned.
  - An instance that ESS lists but ECS no longer describes (released between the two calls) is
    returned without addresses and named in RV(missing_instance_ids).
seealso:
  - module: streamfleet.cluster.alicloud_ros_stack
"""

EXAMPLES = r"""
- name: Read the nodes of the two groups the stack made
  streamfleet.cluster.alicloud_scaling_instances_info:
    scaling_group_ids:
      - "{{ stack.outputs.OriginScalingGroupId }}"
      - "{{ stack.outputs.EdgeScalingGroupId }}"
    region: cn-hangzhou
  register: nodes

- name: Reach each node from later plays
  ansible.builtin.add_host:
    name: "{{ item.instance_id }}"
    groups: [cluster_nodes]
    ansible_host: "{{ item.private_ip }}"
  loop: "{{ nodes.instances }}"
  changed_when: false

- name: Every instance of a group, whatever its state
  streamfleet.cluster.alicloud_scaling_instances_info:
    scaling_group_ids: [asg-bp1igpak5ft1flyp0001]
    lifecycle_state: any
    region: cn-hangzhou
"""

RETURN = r"""
instances:
  description: The instances of the groups, group by group in the order given, then as ESS lists them.
  returned: always
  type: list
  elements: dict
  contains:
    scaling_group_id:
      description: The group the instance belongs to.
      type: str
      sample: asg-bp1igpak5ft1flyp0001
    instance_id:
      description: ECS instance id.
      type: str
      sample: i-bp109k5j3dum1ce60001
    lifecycle_state:
      description: Lifecycle state in the group (C(InService), C(Pending), ...).
      type: str
      sample: InService
    health_status:
      description: C(Healthy) or C(Unhealthy), as ESS sees the instance.
      type: str
      sample: Healthy
    creation_type:
      description: C(AutoCreated) by the group or C(Attached) by hand.
      type: str
      sample: AutoCreated
    zone_id:
      description: Zone of the instance.
      type: str
      sample: cn-hangzhou-h
    status:
      description: ECS status of the instance (C(Running), C(Stopped), ...); null when ECS no longer describes it.
      type: str
      sample: Running
    instance_name:
      description: ECS name of the instance.
      type: str
      sample: antmedia-prod-edge
    private_ip:
      description: First private address in the VPC.
      type: str
      sample: 192.168.1.10
    public_ip:
      description: Public address ECS assigned (null without one).
      type: str
      sample: 47.98.10.20
    eip:
      description: Elastic IP bound to the instance (null without one).
      type: str
      sample: 203.0.113.25
    public_address:
      description: The Elastic IP when one is bound, else the ECS public address, else null.
      type: str
      sample: 203.0.113.25
missing_instance_ids:
  description: Instances ESS listed that ECS did not describe.
  returned: always
  type: list
  elements: str
  sample: []
error:
  description: The failed API call with its error code, message and request id.
  returned: when an API call fails
  type: dict
  sample: {"action": "DescribeScalingInstances", "code": "Throttling.User", "message": "...", "request_id": "0F0D..."}
"""

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.streamfleet.cluster.plugins.module_utils.alicloud.common import (
    ALICLOUD_COMMON_ARGUMENT_SPEC,
    AlicloudError,
    CredentialsError,
    first_env,
    resolve_settings,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.alicloud.rpc import RpcClient
from ansible_collections.streamfleet.cluster.plugins.module_utils.alicloud.scaling import (
    ECS_VERSION,
    ENV_ECS_ENDPOINT,
    ENV_ESS_ENDPOINT,
    ESS_VERSION,
    LIFECYCLE_STATES,
    HEALTH_STATUSES,
    default_ecs_endpoint,
    default_ess_endpoint,
    scaling_group_nodes,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import (
    StreamfleetModule,
    check_module_input,
    module_edge,
)


def clients(module, transport=None):
    """The ESS and ECS clients: one endpoint for both when given, else each its own."""
    params = module.params
    settings = resolve_settings(params)
    region = settings['region']
    ess_endpoint = settings['endpoint'] or first_env(ENV_ESS_ENDPOINT) or default_ess_endpoint(region)
    ecs_endpoint = settings['endpoint'] or first_env(ENV_ECS_ENDPOINT) or default_ecs_endpoint(region)
    timeouts = dict(connect_timeout=params['connect_timeout'], read_timeout=params['read_timeout'],
                    transport=transport)
    return (RpcClient(settings, ESS_VERSION, ess_endpoint, **timeouts),
            RpcClient(settings, ECS_VERSION, ecs_endpoint, **timeouts))


@module_edge
def main():
    argument_spec = dict(
        scaling_group_ids=dict(type='list', elements='str', required=True),
        lifecycle_state=dict(type='str', default='InService', choices=list(LIFECYCLE_STATES) + ['any']),
        health_status=dict(type='str', choices=list(HEALTH_STATUSES)),
        page_size=dict(type='int', default=50),
    )
    argument_spec.update(ALICLOUD_COMMON_ARGUMENT_SPEC)
    argument_spec['config_file'] = dict(type='path', default='~/.aliyun/config.json')
    module = StreamfleetModule(
        argument_spec=argument_spec,
        required_together=[('access_key_id', 'access_key_secret')],
        supports_check_mode=True,
    )
    check_module_input(module, 'alicloud_scaling_instances_info')
    params = module.params
    result = dict(changed=False, instances=[], missing_instance_ids=[])
    try:
        ess, ecs = clients(module)
    except CredentialsError as exc:
        module.fail_json(msg=to_native(exc), **result)
    lifecycle_state = None if params['lifecycle_state'] == 'any' else params['lifecycle_state']
    try:
        nodes, missing = scaling_group_nodes(ess, ecs, params['scaling_group_ids'], lifecycle_state,
                                             params['health_status'], params['page_size'])
    except AlicloudError as error:
        module.fail_json(msg=error.describe(), error=error.as_dict(), **result)
    result.update(instances=nodes, missing_instance_ids=missing)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
