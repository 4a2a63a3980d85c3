#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: red5pro_node_group
short_description: Manage a Red5 Pro Stream Manager node group and its origins (REST API 4.0)
version_added: 0.1.0
description:
  - Creates a node group from regions, a launch configuration and a scale policy
    (C(POST /streammanager/api/4.0/admin/nodegroup)), or deletes it with O(state=absent).
  - With O(origins), counts the origin nodes of the group and adds the missing ones
    (C(POST .../nodegroup/{name}/node/origin)); extra origins are left alone with a warning.
  - With O(wait=true), polls the node list until every node is C(inservice), at most
    O(wait_timeout) seconds, and returns the node states. A module cannot print progress
    while it runs; for visible progress use O(wait=false) and poll
    M(streamfleet.cluster.red5pro_streammanager_info) with C(until)/C(retries), as the
    C(streamfleet.cluster.red5pro_nodegroup) role does.
  - API 4.0 cannot change an existing node group. When the regions, launch configuration or
    scale policy of an existing group differ from the requested ones the module warns and
    changes nothing; delete and recreate the group to apply them (this terminates its nodes).
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.streammanager
attributes:
  check_mode:
    support: full
    description: Reports what would be created, added or deleted without writing; does not wait.
  diff_mode:
    support: full
    description: Before and after of the group body and its origin count.
options:
  name:
    description: Name of the node group.
    type: str
    required: true
  state:
    description: Whether the node group should exist.
    type: str
    choices: [present, absent]
    default: present
  regions:
    description: Regions of the group, for example V([us-east-1]). Required with O(state=present).
    type: list
    elements: str
  launch_config:
    description: Name of an existing launch configuration. Required with O(state=present).
    type: str
  scale_policy:
    description: Name of an existing scale policy. Required with O(state=present).
    type: str
  origins:
    description:
      - Number of origin nodes the group should have at least. Not set means the origins are
        not managed.
    type: int
  wait:
    description:
      - Wait until every node of the group is C(inservice) (and at least O(origins) origins exist).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait at most when O(wait=true); the module fails with the node states after that.
    type: int
    default: 900
  wait_interval:
    description: Seconds between two polls of the node list.
    type: float
    default: 10
"""

EXAMPLES = r"""
- name: Node group with one origin, waiting until all nodes are in service
  streamfleet.cluster.red5pro_node_group:
    base_url: https://sm.example.com
    access_token: "{{ vault_red5pro_sm_access_token }}"
    name: nodegroup-live
    regions: [us-east-1]
    launch_config: all-nodes-launch
    scale_policy: default-v3
    origins: 1
    wait_timeout: 1200

- name: Delete the node group (terminates its nodes)
  streamfleet.cluster.red5pro_node_group:
    base_url: https://sm.example.com
    access_token: "{{ vault_red5pro_sm_access_token }}"
    name: nodegroup-live
    state: absent
"""

RETURN = r"""
node_group:
  description: The group as the Stream Manager reports it (the requested body in check mode); null when absent.
  returned: always
  type: dict
  sample: {name: nodegroup-live, regions: [us-east-1], launchConfig: all-nodes-launch, scalePolicy: default-v3}
origins_added:
  description: Origins added by this run (would be added, in check mode).
  returned: always
  type: int
  sample: 1
nodes:
  description: Nodes of the group after the run.
  returned: when O(state=present)
  type: list
  elements: dict
  sample:
    - {identifier: i-0abc, role: origin, state: inservice, address: 203.0.113.10,
       private_address: 10.0.1.5, region: us-east-1}
node_states:
  description: Number of nodes per state.
  returned: when O(state=present)
  type: dict
  sample: {inservice: 3, pending: 1}
inservice:
  description: Whether every node is C(inservice) and at least O(origins) origins exist.
  returned: when O(state=present)
  type: bool
  sample: true
waited:
  description: Seconds spent waiting for the nodes.
  returned: when O(state=present)
  type: float
  sample: 42.5
drift:
  description: Settings of an existing group that differ from the request and that API 4.0 cannot change.
  returned: when O(state=present)
  type: dict
  sample: {scalePolicy: {current: default-v2, requested: default-v3}}
status:
  description: HTTP status of the failed API call (null for a connection error).
  returned: failure
  type: int
  sample: 400
server_message:
  description: The Stream Manager's error message of the failed call (access token removed).
  returned: failure
  type: str
  sample: scale policy 'default-v3' does not exist
url:
  description: URL of the failed API call, access token replaced by asterisks.
  returned: failure
  type: str
  sample: https://sm.example.com/streammanager/api/4.0/admin/nodegroup?accessToken=********
"""

import time

from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.streammanager import (
    all_inservice,
    count_origins,
    live_nodes,
    node_summary,
    run_module,
    state_counts,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import module_edge

OPTIONS = dict(
    regions=dict(type="list", elements="str"),
    launch_config=dict(type="str"),
    scale_policy=dict(type="str"),
    origins=dict(type="int"),
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=900),
    wait_interval=dict(type="float", default=10),
)


def group_view(group):
    group = group or {}
    return dict(name=group.get("name"), regions=sorted(group.get("regions") or []),
                launchConfig=group.get("launchConfig"), scalePolicy=group.get("scalePolicy"))


def nodes_ready(nodes, origins):
    if len(nodes) == 0:
        return not origins
    return all_inservice(nodes) and count_origins(nodes) >= (origins or 0)


def validate(params):
    errors = []
    if not [r for r in params["regions"] if r and r.strip()]:
        errors.append("regions must name at least one region")
    # origins, wait_timeout and wait_interval ranges: validation.py (red5pro_node_group)
    return errors, []


def drift_of(existing, params):
    """Settings of an existing group that differ from the request (API 4.0 cannot change them)."""
    current = group_view(existing)
    drift = {}
    for key, value in (("regions", sorted(params["regions"])), ("launchConfig", params["launch_config"]),
                       ("scalePolicy", params["scale_policy"])):
        if current[key] != value:
            drift[key] = dict(current=current[key], requested=value)
    return drift


def wait_for_nodes(module, client, result, nodes):
    """Poll the node list until every node is inservice, at most wait_timeout seconds."""
    p = module.params
    started = time.time()
    # No single poll (with its retries) may run past the end of the wait.
    client.deadline = client.clock() + p["wait_timeout"]
    while p["wait"] and not nodes_ready(nodes, p["origins"]):
        if time.time() - started >= p["wait_timeout"]:
            module.fail_json(
                msg="timed out after %ds waiting for the nodes of %s to be inservice; node states: %s"
                    % (p["wait_timeout"], p["name"], state_counts(nodes) or "no nodes"),
                nodes=[node_summary(n) for n in nodes], node_states=state_counts(nodes), **result)
        time.sleep(p["wait_interval"])
        nodes = live_nodes(client.list_nodes(p["name"]))
    return nodes, round(time.time() - started, 1)


def converge(module, client, result):
    p = module.params
    name = p["name"]
    result.update(origins_added=0, node_group=None)
    existing = client.get_node_group(name)
    if p["state"] == "absent":
        result["diff"] = dict(before=group_view(existing) if existing else {}, after={})
        if existing:
            result["changed"] = True
            if not module.check_mode:
                client.delete_node_group(name)
        return

    requested = dict(regions=list(p["regions"]), launchConfig=p["launch_config"],
                     scalePolicy=p["scale_policy"], name=name)
    nodes = []
    if existing:
        group = existing
        result["drift"] = drift_of(existing, p)
        if result["drift"]:
            module.warn("node group %s differs from the request in %s; API 4.0 cannot change a "
                        "node group, delete and recreate it to apply (this terminates its "
                        "nodes)" % (name, ", ".join(sorted(result["drift"]))))
        nodes = live_nodes(client.list_nodes(name))
    else:
        result["changed"] = True
        group = requested
        if not module.check_mode:
            # The documented answer is the bare group (id, name, regions, launchConfig,
            # scalePolicy, state, timestamp); keep the request if the answer has no name.
            created = client.create_node_group(requested) or {}
            group = created if created.get("name") else requested

    before_origins = count_origins(nodes)
    missing = max(0, (p["origins"] or 0) - before_origins)
    if p["origins"] is not None and before_origins > p["origins"]:
        module.warn("node group %s has %d origins, more than the %d requested; none removed"
                    % (name, before_origins, p["origins"]))
    if missing:
        result["changed"] = True
        result["origins_added"] = missing
        if not module.check_mode:
            for dummy in range(missing):
                client.add_origin(name)
    result["diff"] = dict(
        before=dict(group_view(existing), origins=before_origins) if existing else {},
        after=dict(group_view(group), origins=before_origins + missing))

    waited = 0.0
    if not module.check_mode and (existing or missing):
        nodes, waited = wait_for_nodes(module, client, result, live_nodes(client.list_nodes(name)))
    result.update(node_group=group, nodes=[node_summary(n) for n in nodes],
                  node_states=state_counts(nodes), inservice=nodes_ready(nodes, p["origins"]),
                  waited=waited)


@module_edge
def main():
    run_module(OPTIONS, converge, label="node group", validate=validate, rules="red5pro_node_group",
               required_if=[("state", "present", ["regions", "launch_config", "scale_policy"])])


if __name__ == "__main__":
    main()
