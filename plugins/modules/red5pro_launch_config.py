#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: red5pro_launch_config
short_description: Manage a Red5 Pro Stream Manager launch configuration (REST API 4.0)
version_added: 0.1.0
description:
  - Creates, updates (C(PUT)) or deletes a launch configuration through the Stream Manager REST
    API 4.0 (C(/streammanager/api/4.0/admin/configurations/launchconfig)).
  - A launch configuration tells the Stream Manager which image and instance type to start for
    each node role and how many connections a node of that role takes.
  - Reads the configuration first and writes only what differs; a second run reports no change.
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.streammanager
attributes:
  check_mode:
    support: full
    description: Reports what would change without writing.
  diff_mode:
    support: full
    description: Before and after of the launch configuration body.
options:
  name:
    description: Name of the launch configuration.
    type: str
    required: true
  state:
    description: Whether the launch configuration should exist.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: Free text. When not set, an existing configuration keeps its description (empty on create).
    type: str
  image:
    description:
      - Name of the Red5 Pro node image (on AWS the AMI name the Stream Manager launches).
      - Required with O(state=present).
    type: str
  version:
    description: Version string. When not set, an existing configuration keeps its version; V(0.0.1) on create.
    type: str
  targets:
    description:
      - One entry per node role (C(targets.target[])). Required with O(state=present).
    type: list
    elements: dict
    suboptions:
      role:
        description: Node role.
        type: str
        required: true
        choices: [origin, edge, relay, transcoder]
      instance_type:
        description: Cloud instance type for this role (C(instanceType)), for example V(c5.large).
        type: str
        required: true
      connection_capacity:
        description: Connections one node of this role takes (C(connectionCapacity)), at least 1.
        type: int
        required: true
  properties:
    description:
      - Launch properties, sent as C(properties.property[]) of C({name, value}); values are sent as strings.
    type: dict
    default: {}
  metadata:
    description:
      - Metadata, sent as C(metadata.meta[]) of C({key, value}); values are sent as strings.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Launch configuration for all four node roles
  streamfleet.cluster.red5pro_launch_config:
    base_url: https://sm.example.com
    access_token: "{{ vault_red5pro_sm_access_token }}"
    name: all-nodes-launch
    description: Launch configuration with all four node types
    image: red5pro-node-14-1-0
    version: 0.0.3
    targets:
      - {role: origin, instance_type: c5.large, connection_capacity: 2000}
      - {role: edge, instance_type: c5.large, connection_capacity: 2000}
      - {role: relay, instance_type: c5.large, connection_capacity: 2000}
      - {role: transcoder, instance_type: c5.xlarge, connection_capacity: 2000}
    metadata:
      deployment: live-eu
"""

RETURN = r"""
launch_config:
  description: The launch configuration body as sent to (or kept on) the Stream Manager; null after O(state=absent).
  returned: always
  type: dict
  sample:
    name: all-nodes-launch
    description: Launch configuration with all four node types
    image: red5pro-node-14-1-0
    version: 0.0.3
    targets:
      target:
        - {role: edge, instanceType: c5.large, connectionCapacity: "2000"}
        - {role: origin, instanceType: c5.large, connectionCapacity: "2000"}
    properties:
      property: []
    metadata:
      meta:
        - {key: deployment, value: live-eu}
status:
  description: HTTP status of the failed API call (null for a connection error).
  returned: failure
  type: int
  sample: 400
server_message:
  description: The Stream Manager's error message of the failed call (access token removed).
  returned: failure
  type: str
  sample: "launchconfig: missing 'image'"
url:
  description: URL of the failed API call, access token replaced by asterisks.
  returned: failure
  type: str
  sample: https://sm.example.com/streammanager/api/4.0/admin/nodegroup?accessToken=********
"""

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.streammanager import (
    LAUNCH_CONFIG,
    ROLES,
    as_int,
    document_converger,
    run_module,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import module_edge

OPTIONS = dict(
    description=dict(type="str"),
    image=dict(type="str"),
    version=dict(type="str"),
    targets=dict(type="list", elements="dict", options=dict(
        role=dict(type="str", required=True, choices=list(ROLES)),
        instance_type=dict(type="str", required=True),
        connection_capacity=dict(type="int", required=True),
    )),
    properties=dict(type="dict", default={}),
    metadata=dict(type="dict", default={}),
)


def _capacity(value):
    # The vendor's examples send the capacity as a string ("2000"); compare it as a number.
    number = as_int(value, None)
    return to_text(value) if number is None else to_text(number)


def canonical_launch_config(doc):
    """API body with string capacities and targets, properties and metadata sorted."""
    targets = [dict(role=t.get("role"), instanceType=t.get("instanceType"),
                    connectionCapacity=_capacity(t.get("connectionCapacity")))
               for t in ((doc.get("targets") or {}).get("target") or [])]
    targets.sort(key=lambda t: t["role"] or "")
    props = [dict(name=to_text(p.get("name")), value=to_text(p.get("value")))
             for p in ((doc.get("properties") or {}).get("property") or [])]
    metas = [dict(key=to_text(m.get("key")), value=to_text(m.get("value")))
             for m in ((doc.get("metadata") or {}).get("meta") or [])]
    return dict(
        name=doc.get("name"),
        description=doc.get("description") or "",
        image=doc.get("image"),
        version=doc.get("version") or "0.0.1",
        targets=dict(target=targets),
        properties=dict(property=sorted(props, key=lambda p: p["name"])),
        metadata=dict(meta=sorted(metas, key=lambda m: m["key"])),
    )


def desired_launch_config(params):
    return dict(
        name=params["name"],
        description=params["description"],
        image=params["image"],
        version=params["version"],
        targets=dict(target=[dict(role=t["role"], instanceType=t["instance_type"],
                                  connectionCapacity=to_text(t["connection_capacity"]))
                             for t in params["targets"]]),
        properties=dict(property=[dict(name=to_text(k), value=to_text(v))
                                  for k, v in params["properties"].items()]),
        metadata=dict(meta=[dict(key=to_text(k), value=to_text(v))
                            for k, v in params["metadata"].items()]),
    )


def validate(params):
    errors = []
    seen = set()
    if not params["targets"]:
        errors.append("targets must list at least one role")
    for target in params["targets"] or []:
        if target["role"] in seen:
            errors.append("role %s is listed twice" % target["role"])
        seen.add(target["role"])
        if not target["instance_type"].strip():
            errors.append("role %s: instance_type is empty" % target["role"])
    if not (params["image"] or "").strip():
        errors.append("image is empty")
    return errors, []


@module_edge
def main():
    run_module(OPTIONS, document_converger(LAUNCH_CONFIG, desired_launch_config,
                                           canonical_launch_config),
               label="launch configuration", validate=validate, rules="red5pro_launch_config",
               required_if=[("state", "present", ["image", "targets"])])


if __name__ == "__main__":
    main()
