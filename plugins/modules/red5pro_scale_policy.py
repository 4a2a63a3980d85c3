#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: red5pro_scale_policy
short_description: Manage a Red5 Pro Stream Manager scale policy (REST API 4.0)
version_added: 0.1.0
description:
  - Creates, updates (C(PUT)) or deletes a scale policy through the Stream Manager REST API 4.0
    (C(/streammanager/api/4.0/admin/configurations/scalepolicy)).
  - Reads the policy first and writes only when its content differs, so a second run reports
    no change. Target order and numbers sent as strings by the server do not count as changes.
  - Validates roles, O(regions[].targets[].min_limit) <= O(regions[].targets[].max_limit),
    O(regions[].targets[].scale_adjustment) >= 1 and wait times >= 0 before calling the API.
  - A Stream Manager needs a scale policy before any node group can use it.
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.streammanager
attributes:
  check_mode:
    support: full
    description: Reports what would change without writing.
  diff_mode:
    support: full
    description: Before and after of the policy body.
options:
  name:
    description: Name of the scale policy (unique on the Stream Manager).
    type: str
    required: true
  state:
    description: Whether the policy should exist.
    type: str
    choices: [present, absent]
    default: present
  description:
    description:
      - Free text. When not set, an existing policy keeps its description (empty on create).
    type: str
  version:
    description:
      - Version string of the policy, for example V(0.0.3).
      - When not set, an existing policy keeps its version; V(0.0.1) on create.
    type: str
  type:
    description:
      - Policy class. When not set, an existing policy keeps its type;
        V(com.red5pro.services.autoscaling.model.ScalePolicyMaster) on create.
    type: str
  regions:
    description:
      - Targets per region, sent as C(targets.region[]). Required with O(state=present).
    type: list
    elements: dict
    suboptions:
      name:
        description: Region name as the Stream Manager knows it (for example V(us-east-1) or V(default)).
        type: str
        required: true
      targets:
        description: One entry per node role.
        type: list
        elements: dict
        required: true
        suboptions:
          role:
            description: Node role.
            type: str
            required: true
            choices: [origin, edge, relay, transcoder]
          min_limit:
            description: Minimum number of nodes of this role (C(minLimit)).
            type: int
            required: true
          max_limit:
            description: Maximum number of nodes of this role (C(maxLimit)); at least O(regions[].targets[].min_limit).
            type: int
            required: true
          scale_adjustment:
            description: Nodes added or removed per scaling step (C(scaleAdjustment)), at least 1.
            type: int
            default: 1
          scale_in_wait_time:
            description: Delay of a scale-in in milliseconds (C(scaleInWaitTime)), at least 0. Omitted means 0.
            type: int
          scale_out_wait_time:
            description: Delay of a scale-out in milliseconds (C(scaleOutWaitTime)), at least 0. Omitted means 0.
            type: int
  features:
    description:
      - Stream Manager features the cluster is meant to use. The module only checks the policy
        against them and warns; it does not switch anything on.
      - V(multibitrate), V(adaptive_bitrate) and V(dynamic_clustering) need at least two each of
        origin, edge and relay (C(minLimit) >= 2 in every region); V(vp8_transcoding) also needs
        two transcoders.
    type: list
    elements: str
    choices: [multibitrate, adaptive_bitrate, dynamic_clustering, vp8_transcoding]
    default: []
"""

EXAMPLES = r"""
- name: Scale policy with all node types (seed values)
  streamfleet.cluster.red5pro_scale_policy:
    base_url: https://sm.example.com
    access_token: "{{ vault_red5pro_sm_access_token }}"
    name: default-v3
    description: Sample Scale Config policy with all node types
    version: 0.0.3
    features: [multibitrate, dynamic_clustering]
    regions:
      - name: us-east-1
        targets:
          - {role: origin, min_limit: 2, max_limit: 10}
          - {role: edge, min_limit: 2, max_limit: 20}
          - {role: relay, min_limit: 2, max_limit: 10}
          - {role: transcoder, min_limit: 2, max_limit: 10, scale_out_wait_time: 60000}

- name: Remove the policy
  streamfleet.cluster.red5pro_scale_policy:
    base_url: https://sm.example.com
    access_token: "{{ vault_red5pro_sm_access_token }}"
    name: default-v3
    state: absent
"""

RETURN = r"""
policy:
  description: The policy body as sent to (or kept on) the Stream Manager; null after O(state=absent).
  returned: always
  type: dict
  sample:
    name: default-v3
    description: Sample Scale Config policy with all node types
    version: 0.0.3
    type: com.red5pro.services.autoscaling.model.ScalePolicyMaster
    targets:
      region:
        - name: us-east-1
          target:
            - {role: edge, minLimit: 2, maxLimit: 20, scaleAdjustment: 1}
            - {role: origin, minLimit: 2, maxLimit: 10, scaleAdjustment: 1}
status:
  description: HTTP status of the failed API call (null for a connection error).
  returned: failure
  type: int
  sample: 503
server_message:
  description: The Stream Manager's error message of the failed call (access token removed).
  returned: failure
  type: str
  sample: Cloud controller is not initialised yet
url:
  description: URL of the failed API call, access token replaced by asterisks.
  returned: failure
  type: str
  sample: https://sm.example.com/streammanager/api/4.0/admin/nodegroup?accessToken=********
"""

from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.streammanager import (
    ROLES,
    SCALE_POLICY,
    SCALE_POLICY_TYPE,
    as_int,
    document_converger,
    run_module,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import module_edge

FEATURE_ROLES = {
    "multibitrate": ("origin", "edge", "relay"),
    "adaptive_bitrate": ("origin", "edge", "relay"),
    "dynamic_clustering": ("origin", "edge", "relay"),
    "vp8_transcoding": ("origin", "edge", "relay", "transcoder"),
}

TARGET_OPTIONS = dict(
    role=dict(type="str", required=True, choices=list(ROLES)),
    min_limit=dict(type="int", required=True),
    max_limit=dict(type="int", required=True),
    scale_adjustment=dict(type="int", default=1),
    scale_in_wait_time=dict(type="int"),
    scale_out_wait_time=dict(type="int"),
)

OPTIONS = dict(
    description=dict(type="str"),
    version=dict(type="str"),
    type=dict(type="str"),
    regions=dict(type="list", elements="dict", options=dict(
        name=dict(type="str", required=True),
        targets=dict(type="list", elements="dict", required=True, options=TARGET_OPTIONS),
    )),
    features=dict(type="list", elements="str", default=[], choices=list(FEATURE_ROLES)),
)


def canonical_policy(doc):
    """API body of a policy with int numbers, regions and targets sorted, 0 wait times omitted.

    The vendor's scripts send limits as floats (40.0) and its docs as strings ("2"): all
    compare as the same integer.
    """
    regions = []
    for region in ((doc.get("targets") or {}).get("region") or []):
        targets = []
        for target in region.get("target") or []:
            item = dict(role=target.get("role"), minLimit=as_int(target.get("minLimit")),
                        maxLimit=as_int(target.get("maxLimit")),
                        scaleAdjustment=as_int(target.get("scaleAdjustment"), 1))
            for key in ("scaleInWaitTime", "scaleOutWaitTime"):
                if as_int(target.get(key)):
                    item[key] = as_int(target.get(key))
            targets.append(item)
        targets.sort(key=lambda t: t["role"] or "")
        regions.append(dict(name=region.get("name"), target=targets))
    regions.sort(key=lambda r: r["name"] or "")
    return dict(
        name=doc.get("name"),
        description=doc.get("description") or "",
        version=doc.get("version") or "0.0.1",
        type=doc.get("type") or SCALE_POLICY_TYPE,
        targets=dict(region=regions),
    )


def validate(params):
    """Check the requested targets; return (errors, warnings)."""
    errors, warnings = [], []
    if not params["regions"]:
        errors.append("regions must list at least one region with state=present")
    seen_regions = set()
    for region in params["regions"] or []:
        rname = region["name"]
        if rname in seen_regions:
            errors.append("region %s is listed twice" % rname)
        seen_regions.add(rname)
        if not region["targets"]:
            errors.append("region %s has no targets" % rname)
        seen_roles = set()
        for target in region["targets"]:
            where = "region %s, role %s" % (rname, target["role"])
            if target["role"] in seen_roles:
                errors.append("%s: role listed twice" % where)
            seen_roles.add(target["role"])
            # min_limit >= 0 and min_limit <= max_limit: validation.py (red5pro_scale_policy)
            if target["scale_adjustment"] < 1:
                errors.append("%s: scale_adjustment must be >= 1" % where)
            for key in ("scale_in_wait_time", "scale_out_wait_time"):
                if target[key] is not None and target[key] < 0:
                    errors.append("%s: %s must be >= 0 (milliseconds)" % (where, key))
        mins = dict((t["role"], t["min_limit"]) for t in region["targets"])
        for feature in params["features"]:
            short = [role for role in FEATURE_ROLES[feature] if mins.get(role, 0) < 2]
            if short:
                warnings.append(
                    "feature %s needs at least two nodes each of %s; region %s has fewer for: %s"
                    % (feature, ", ".join(FEATURE_ROLES[feature]), rname, ", ".join(short)))
    return errors, warnings


def desired_policy(params):
    regions = []
    for region in params["regions"]:
        targets = []
        for target in region["targets"]:
            item = dict(role=target["role"], minLimit=target["min_limit"],
                        maxLimit=target["max_limit"], scaleAdjustment=target["scale_adjustment"])
            if target["scale_in_wait_time"]:
                item["scaleInWaitTime"] = target["scale_in_wait_time"]
            if target["scale_out_wait_time"]:
                item["scaleOutWaitTime"] = target["scale_out_wait_time"]
            targets.append(item)
        regions.append(dict(name=region["name"], target=targets))
    return dict(name=params["name"], description=params["description"],
                version=params["version"], type=params["type"], targets=dict(region=regions))


@module_edge
def main():
    run_module(OPTIONS, document_converger(SCALE_POLICY, desired_policy, canonical_policy),
               label="scale policy", validate=validate, rules="red5pro_scale_policy",
               required_if=[("state", "present", ["regions"])])


if __name__ == "__main__":
    main()
