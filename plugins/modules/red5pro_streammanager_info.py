#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: red5pro_streammanager_info
short_description: Readiness, node groups and nodes of a Red5 Pro Stream Manager (REST API 4.0)
version_added: 0.1.0
description:
  - Reads the readiness of the Stream Manager's cloud controller
    (C(GET /streammanager/api/4.0/admin/debug/cloudcontroller)), the node groups and the nodes
    of each group with their state.
  - The readiness call answers in plain text, the name of the active cloud controller (for
    example C(Amazon Web Services)); any non-empty HTTP 200 answer, text or JSON, is ready.
  - A Stream Manager that is still starting (connection refused, no answer within O(timeout),
    HTTP 404 while the web application deploys, HTTP 5xx from the balancer, an empty 200) is
    reported as RV(ready=false) with the reason in RV(readiness_error) instead of failing, so a
    task can poll it with C(until)/C(retries). A wrong access token (HTTP 401/403) or any other
    4xx always fails, with the URL (token removed), the status and the first line of the body.
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.streammanager
attributes:
  check_mode:
    support: full
    description: Only reads.
  diff_mode:
    support: none
    description: Nothing changes.
options:
  gather:
    description:
      - What to read. V(readiness) is the cloud controller; V(node_groups) the groups;
        V(nodes) also the nodes of each group (implies V(node_groups)).
    type: list
    elements: str
    choices: [readiness, node_groups, nodes]
    default: [readiness, node_groups, nodes]
  node_group:
    description: Read only this node group (RV(node_groups) is empty when it does not exist).
    type: str
"""

EXAMPLES = r"""
- name: Wait until the Stream Manager's cloud controller answers
  streamfleet.cluster.red5pro_streammanager_info:
    base_url: https://sm.example.com
    access_token: "{{ vault_red5pro_sm_access_token }}"
    gather: [readiness]
    retries: 0
  register: sm
  until: sm.ready
  retries: 30
  delay: 10

- name: Wait until every node of the group is in service, showing progress
  streamfleet.cluster.red5pro_streammanager_info:
    base_url: https://sm.example.com
    access_token: "{{ vault_red5pro_sm_access_token }}"
    gather: [nodes]
    node_group: nodegroup-live
  register: sm
  until: sm.node_groups | length > 0 and sm.node_groups[0].inservice
  retries: 90
  delay: 10
"""

RETURN = r"""
ready:
  description: Whether the cloud controller answered successfully.
  returned: when V(readiness) is gathered
  type: bool
  sample: true
readiness_error:
  description: Why the Stream Manager is not ready yet (access token removed); null when ready.
  returned: when V(readiness) is gathered
  type: str
  sample: >-
    GET https://sm.example.com/streammanager/api/4.0/admin/debug/cloudcontroller?accessToken=********
    failed with HTTP 503: 503 Service Temporarily Unavailable
cloud_controller:
  description:
    - The cloud controller's answer, normally its name as plain text; JSON is returned as
      parsed. Null when not ready.
  returned: when V(readiness) is gathered
  type: raw
  sample: Amazon Web Services
node_groups:
  description: Node groups, each with its nodes when V(nodes) is gathered.
  returned: when V(node_groups) or V(nodes) is gathered
  type: list
  elements: dict
  contains:
    name:
      description: Group name.
      type: str
      returned: always
      sample: nodegroup-live
    regions:
      description: Regions of the group.
      type: list
      elements: str
      returned: always
      sample: [us-east-1]
    launch_config:
      description: Launch configuration of the group.
      type: str
      returned: always
      sample: all-nodes-launch
    scale_policy:
      description: Scale policy of the group.
      type: str
      returned: always
      sample: default-v3
    nodes:
      description: Nodes of the group (identifier, role, state, address, private_address, region).
      type: list
      elements: dict
      returned: when V(nodes) is gathered
      sample: [{identifier: i-0abc, role: origin, state: inservice, address: 203.0.113.10}]
    node_states:
      description: Number of nodes per state.
      type: dict
      returned: when V(nodes) is gathered
      sample: {inservice: 4, pending: 1}
    origins:
      description: Number of origin nodes.
      type: int
      returned: when V(nodes) is gathered
      sample: 1
    inservice:
      description: Whether the group has nodes and every one is C(inservice).
      type: bool
      returned: when V(nodes) is gathered
      sample: false
status:
  description: HTTP status of the failed API call (null for a connection error or timeout).
  returned: failure, or when not ready
  type: int
  sample: 401
server_message:
  description: The Stream Manager's error message of the failed call (access token removed).
  returned: failure
  type: str
  sample: Invalid or missing accessToken
url:
  description: URL of the failed API call, access token replaced by asterisks.
  returned: failure, or when not ready
  type: str
  sample: https://sm.example.com/streammanager/api/4.0/admin/nodegroup?accessToken=********
"""


from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.streammanager import (
    NOT_READY_STATUS,
    StreamManagerError,
    all_inservice,
    client_from_module,
    count_origins,
    fail_from_error,
    live_nodes,
    node_summary,
    state_counts,
    streammanager_argument_spec,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import (
    StreamfleetModule,
    check_module_input,
    module_edge,
)


def describe_group(client, group, with_nodes):
    info = dict(name=group.get("name"), regions=group.get("regions") or [],
                launch_config=group.get("launchConfig"), scale_policy=group.get("scalePolicy"))
    if with_nodes:
        nodes = live_nodes(client.list_nodes(info["name"]))
        info.update(nodes=[node_summary(n) for n in nodes], node_states=state_counts(nodes),
                    origins=count_origins(nodes), inservice=all_inservice(nodes))
    return info


def readiness(client):
    """ready, cloud_controller, readiness_error; raises on answers that waiting cannot fix."""
    try:
        return dict(ready=True, cloud_controller=client.cloud_controller(), readiness_error=None)
    except StreamManagerError as exc:
        # Starting up: nothing answers yet, the webapp is deploying (404), the balancer has no
        # healthy target (5xx), or no controller is active yet (empty 200).
        if exc.status is not None and exc.status != 200 and exc.status not in NOT_READY_STATUS:
            raise
        return dict(ready=False, cloud_controller=None, readiness_error=client.redact(exc.message),
                    status=exc.status, url=exc.url)


@module_edge
def main():
    module = StreamfleetModule(
        argument_spec=streammanager_argument_spec(
            gather=dict(type="list", elements="str", default=["readiness", "node_groups", "nodes"],
                        choices=["readiness", "node_groups", "nodes"]),
            node_group=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    check_module_input(module, 'red5pro_streammanager_info')
    gather = set(module.params["gather"])
    client = client_from_module(module)
    result = dict(changed=False)
    try:
        if "readiness" in gather:
            result.update(readiness(client))
        if gather & set(["node_groups", "nodes"]):
            name = module.params["node_group"]
            if name:
                group = client.get_node_group(name)
                groups = [group] if group else []
            else:
                groups = client.list_node_groups()
            result["node_groups"] = [describe_group(client, g, "nodes" in gather) for g in groups]
    except StreamManagerError as exc:
        fail_from_error(module, client, exc, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
