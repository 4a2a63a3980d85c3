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
  - With O(initial_origins) (and O(origins) not set), adds that many origins only to a group
    that has no origin yet, a new group or one whose creation was interrupted; a group with
    origins keeps the counts the Stream Manager's autoscaler chose.
  - Reads the group and its node list once (two calls on a re-run that changes nothing); the
    node list is read again only after a write.
  - With O(wait=true), polls the node list until every node is C(inservice) and the origins
    asked for exist, at most O(wait_timeout) seconds, and returns the node states. A module
    cannot print while it runs; the progress (node states at each change, polls, seconds) is
    in the result, and in the failure message on timeout.
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
        not managed (or managed by O(initial_origins)).
    type: int
  initial_origins:
    description:
      - Number of origins to add to a group that has no origin yet (a new group, or one whose
        creation was interrupted). A group that has origins gets none. Not used when O(origins)
        is set.
    type: int
  wait:
    description:
      - Wait until every node of the group is C(inservice) and the origins asked for
        (O(origins), or O(initial_origins) when they were added) exist.
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
- name: Node group that starts with one origin, then keeps the autoscaler's counts
  streamfleet.cluster.red5pro_node_group:
    base_url: https://sm.example.com
    access_token: "{{ vault_red5pro_sm_access_token }}"
    name: nodegroup-live
    regions: [us-east-1]
    launch_config: all-nodes-launch
    scale_policy: default-v3
    initial_origins: 1
    wait_timeout: 900
    wait_interval: 10
  register: node_group

- name: Node states
  ansible.builtin.debug:
    msg: "{{ node_group.node_states }} after {{ node_group.waited }} s"

- name: Node group with at least one origin, waiting until all nodes are in service
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
origins_wanted:
  description:
    - Origins this run asks for (O(origins), or O(initial_origins) for a group without origins,
      else 0); the wait ends when at least that many exist.
  returned: when O(state=present)
  type: int
  sample: 1
inservice:
  description: Whether every node is C(inservice) and at least RV(origins_wanted) origins exist.
  returned: when O(state=present)
  type: bool
  sample: true
waited:
  description: Seconds spent waiting for the nodes.
  returned: when O(state=present)
  type: float
  sample: 42.5
polls:
  description: Reads of the node list by this run (1 on a re-run that changes nothing, 0 in check mode for a new group).
  returned: when O(state=present)
  type: int
  sample: 12
progress:
  description: The node states at the first read of the node list and each time they changed, with the seconds since that read.
  returned: when O(state=present)
  type: list
  elements: dict
  sample:
    - {after: 0.0, node_states: {pending: 3}}
    - {after: 60.2, node_states: {pending: 1, running: 2}}
    - {after: 190.4, node_states: {inservice: 3}}
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
    initial_origins=dict(type="int"),
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


def origins_wanted(origins, initial_origins, current_origins):
    """Origins this run asks for: ``origins`` (at least) when set; else ``initial_origins``
    for a group with no origin yet; else none (the counts are the autoscaler's)."""
    if origins is not None:
        return origins
    if initial_origins and current_origins == 0:
        return initial_origins
    return 0


def validate(params):
    errors = []
    if not [r for r in params["regions"] if r and r.strip()]:
        errors.append("regions must name at least one region")
    # origins, initial_origins, wait_timeout and wait_interval ranges: validation.py
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


class NodeWatch(object):
    """Reads of a group's node list, with the states each time they changed (the progress a
    module can report: it cannot print while it runs)."""

    def __init__(self, client, name):
        self.client = client
        self.name = name
        self.started = time.time()
        self.polls = 0
        self.progress = []
        self.nodes = []

    def read(self):
        self.nodes = live_nodes(self.client.list_nodes(self.name))
        self.polls += 1
        states = state_counts(self.nodes)
        if not self.progress or self.progress[-1]["node_states"] != states:
            self.progress.append(dict(after=self.elapsed(), node_states=states))
        return self.nodes

    def elapsed(self):
        return round(time.time() - self.started, 1)


def wait_for_nodes(module, result, watch, origins):
    """Poll the node list until every node is inservice and ``origins`` origins exist, at most
    wait_timeout seconds (no single call with its retries runs past that)."""
    p = module.params
    started = time.time()
    watch.client.deadline = watch.client.clock() + p["wait_timeout"]
    while not nodes_ready(watch.nodes, origins):
        if time.time() - started >= p["wait_timeout"]:
            module.fail_json(
                msg="timed out after %ds waiting for the nodes of %s to be inservice (%d polls); "
                    "node states: %s; progress: %s"
                    % (p["wait_timeout"], p["name"], watch.polls, state_counts(watch.nodes) or "no nodes",
                       "; ".join("%ss %s" % (step["after"], step["node_states"]) for step in watch.progress)),
                nodes=[node_summary(n) for n in watch.nodes], node_states=state_counts(watch.nodes),
                polls=watch.polls, progress=watch.progress, **result)
        time.sleep(p["wait_interval"])
        watch.read()
    return round(time.time() - started, 1)


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
    watch = NodeWatch(client, name)
    if existing:
        group = existing
        result["drift"] = drift_of(existing, p)
        if result["drift"]:
            module.warn("node group %s differs from the request in %s; API 4.0 cannot change a "
                        "node group, delete and recreate it to apply (this terminates its "
                        "nodes)" % (name, ", ".join(sorted(result["drift"]))))
        watch.read()
    else:
        result["changed"] = True
        group = requested
        if not module.check_mode:
            # The documented answer is the bare group (id, name, regions, launchConfig,
            # scalePolicy, state, timestamp); keep the request if the answer has no name.
            created = client.create_node_group(requested) or {}
            group = created if created.get("name") else requested

    before_origins = count_origins(watch.nodes)
    wanted = origins_wanted(p["origins"], p["initial_origins"], before_origins)
    missing = max(0, wanted - before_origins)
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
    if not module.check_mode:
        if missing or not existing:
            # After a write the list read above (if any) is stale: read it once more.
            watch.read()
        if p["wait"]:
            waited = wait_for_nodes(module, result, watch, wanted)
    result.update(node_group=group, nodes=[node_summary(n) for n in watch.nodes],
                  node_states=state_counts(watch.nodes), origins_wanted=wanted,
                  inservice=nodes_ready(watch.nodes, wanted), waited=waited, polls=watch.polls,
                  progress=watch.progress)


@module_edge
def main():
    run_module(OPTIONS, converge, label="node group", validate=validate, rules="red5pro_node_group",
               required_if=[("state", "present", ["regions", "launch_config", "scale_policy"])])


if __name__ == "__main__":
    main()
