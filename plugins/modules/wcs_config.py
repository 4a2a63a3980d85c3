#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: wcs_config
short_description: Configure Flashphoner Web Call Server (CDN, settings, heap) by key
version_added: 0.1.0
description:
  - Edits C(conf/flashphoner.properties) of a Flashphoner Web Call Server (WCS) by key, in
    place, keeping comments, blank lines, order, separators, escapes, CRLF and a missing final
    newline. Keys that appear more than once are collapsed to their last occurrence (the one
    Java uses) when this task manages them; the others are reported as warnings.
  - Sets the Java heap (C(-Xmx), C(-Xms)) in C(conf/wcs-core.properties), which holds one JVM
    option a line. That file is only read when O(heap_size) or O(heap_initial_size) is given.
  - Validates the resulting CDN configuration before writing anything. It refuses an origin
    whose O(cdn_point_of_entry) is its own O(cdn_ip) (or one of O(node_addresses)), an edge or
    transcoder without a point of entry, and an enabled CDN node without O(cdn_ip).
    Values already in the file count, so a task that only changes O(cdn_role) is checked
    against the point of entry the file already has.
  - Never restarts WCS. RV(restart_required) tells a handler to restart the C(webcallserver)
    service.
  - A missing file is an error (the module does not create WCS configuration files).
author: streamfleet maintainers (@streamfleet)
attributes:
  check_mode:
    description: Full support; nothing is written in check mode.
    support: full
  diff_mode:
    description: Shows each file before and after.
    support: full
options:
  home:
    description: WCS home directory; the files are found under its C(conf/) directory.
    type: path
    default: /usr/local/FlashphonerWebCallServer
  properties_file:
    description: Path of C(flashphoner.properties); defaults to C(<home>/conf/flashphoner.properties).
    type: path
  jvm_options_file:
    description: Path of C(wcs-core.properties); defaults to C(<home>/conf/wcs-core.properties).
    type: path
  cdn_enabled:
    description: Key C(cdn_enabled). WCS's default is V(false).
    type: bool
  cdn_role:
    description: Key C(cdn_role). WCS's default is V(edge).
    type: str
    choices: [origin, edge, transcoder]
  cdn_ip:
    description: Key C(cdn_ip), this node's address for CDN traffic.
    type: str
  cdn_point_of_entry:
    description:
      - Key C(cdn_point_of_entry), the address of a CDN node that already runs.
      - Required (here or in the file) for an edge or transcoder when the CDN is enabled.
      - Must not be the origin's own address on the origin.
      - An empty string removes the key.
    type: str
  cdn_nodes_resolve_ip:
    description: Key C(cdn_nodes_resolve_ip). WCS's default is V(false).
    type: bool
  cdn_port:
    description: Key C(cdn_port). WCS's default is 8084.
    type: int
  cdn_groups:
    description: Key C(cdn_groups), written as a comma list.
    type: list
    elements: str
  cdn_nodes_timeout:
    description:
      - Key C(cdn_nodes_timeout), seconds after which a silent node is dropped from the CDN
        (matters on scale-in). WCS's default is 60.
    type: int
  periodic_fir_request:
    description: Key C(periodic_fir_request).
    type: bool
  keep_alive_enabled:
    description: Key C(keep_alive.enabled), written as a comma list, for example V([websocket, rtmfp]).
    type: list
    elements: str
  node_addresses:
    description:
      - Other addresses of this node (private and public IP addresses, host names). Only used to
        refuse an origin whose point of entry is itself; nothing is written.
    type: list
    elements: str
    default: []
  settings:
    description:
      - Other keys of C(flashphoner.properties), as a dict key -> value.
      - Booleans are written V(true)/V(false), numbers as digits, lists as comma lists,
        strings as they are (escaped as Java needs; C(&), C(/), C(=), C(:) stay literal).
      - A V(null) value removes the key.
      - A key must not also be set by a typed option or listed in O(remove).
    type: dict
    default: {}
  remove:
    description: Keys to remove from C(flashphoner.properties) (every occurrence).
    type: list
    elements: str
    default: []
  heap_size:
    description:
      - Maximum Java heap, written as C(-Xmx<size>) in C(wcs-core.properties), for example
        V(1024m) or V(2g). Other C(-Xmx) lines are replaced.
    type: str
  heap_initial_size:
    description:
      - Initial Java heap, written as C(-Xms<size>). Must not exceed the maximum heap.
    type: str
  backup:
    description: Keep a timestamped copy of each file before changing it.
    type: bool
    default: false
notes:
  - The vendor's boot scripts append keys with C(echo >>), so keys pile up on every boot; this
    module sets each key once and collapses earlier copies of the keys it manages.
seealso:
  - module: streamfleet.cluster.wcs_stats_info
"""

EXAMPLES = r"""
- name: Make this node the CDN origin
  streamfleet.cluster.wcs_config:
    cdn_enabled: true
    cdn_role: origin
    cdn_ip: "{{ ansible_default_ipv4.address }}"
    cdn_nodes_timeout: 60
    periodic_fir_request: true
    keep_alive_enabled: [websocket, rtmfp]
    heap_size: 2g
    backup: true
  notify: Restart webcallserver

- name: Join an edge to the origin
  streamfleet.cluster.wcs_config:
    cdn_enabled: true
    cdn_role: edge
    cdn_ip: "{{ ansible_default_ipv4.address }}"
    cdn_point_of_entry: "{{ wcs_origin_address }}"
    settings:
      rtc_ice_add_local_component: false
      old_unused_key: null
  notify: Restart webcallserver
"""

RETURN = r"""
changed_keys:
  description: Keys whose line was added, changed or removed; JVM options appear as their kind (C(-Xmx)).
  returned: always
  type: list
  elements: str
  sample: [cdn_enabled, cdn_role, -Xmx]
restart_required:
  description: Whether WCS must be restarted to use the new configuration (true when anything changed).
  returned: always
  type: bool
  sample: true
properties_file:
  description: Path of C(flashphoner.properties) that was checked.
  returned: always
  type: str
  sample: /usr/local/FlashphonerWebCallServer/conf/flashphoner.properties
jvm_options_file:
  description: Path of C(wcs-core.properties) when a heap option was given.
  returned: when heap_size or heap_initial_size is given
  type: str
  sample: /usr/local/FlashphonerWebCallServer/conf/wcs-core.properties
backup_files:
  description: Backup copy of each changed file, by file path.
  returned: always
  type: dict
  sample:
    /usr/local/FlashphonerWebCallServer/conf/flashphoner.properties: >-
      /usr/local/FlashphonerWebCallServer/conf/flashphoner.properties.1234.2026-11-28@10:00:00~
diff:
  description: Before and after text of each file.
  returned: when run with --diff
  type: list
  elements: dict
  sample:
    - before_header: /usr/local/FlashphonerWebCallServer/conf/flashphoner.properties
      after_header: /usr/local/FlashphonerWebCallServer/conf/flashphoner.properties
      before: "cdn_enabled=false\n"
      after: "cdn_enabled=true\n"
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.streamfleet.cluster.plugins.module_utils.files.config_edit import (
    ConfigEditError,
    apply_edits,
    java_value,
    merge_free_settings,
    plan_jvm_options_edit,
    plan_properties_edit,
    same_boolean,
    same_integer,
    same_list,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.files.jvm_options import JvmOptionsDocument, parse_memory_size
from ansible_collections.streamfleet.cluster.plugins.module_utils.files.properties import PropertiesDocument

# option name -> (properties key, how Java compares two spellings)
TYPED_KEYS = {
    "cdn_enabled": ("cdn_enabled", same_boolean),
    "cdn_role": ("cdn_role", None),
    "cdn_ip": ("cdn_ip", None),
    "cdn_point_of_entry": ("cdn_point_of_entry", None),
    "cdn_nodes_resolve_ip": ("cdn_nodes_resolve_ip", same_boolean),
    "cdn_port": ("cdn_port", same_integer),
    "cdn_groups": ("cdn_groups", same_list),
    "cdn_nodes_timeout": ("cdn_nodes_timeout", same_integer),
    "periodic_fir_request": ("periodic_fir_request", same_boolean),
    "keep_alive_enabled": ("keep_alive.enabled", same_list),
}
_ADDRESS = re.compile(r"^[^\s,]+$")


def _check_list_items(module, option):
    for item in module.params[option] or []:
        if not item or "," in item or item != item.strip():
            module.fail_json(msg="%s: %r is not a valid list item (no commas, no surrounding spaces)" % (option, item))


def desired_properties(module):
    """Return (updates, removals) for flashphoner.properties, failing on bad input."""
    params = module.params
    for option in ("cdn_ip", "cdn_point_of_entry"):
        value = params[option]
        if value and not _ADDRESS.match(value):
            module.fail_json(msg="%s: %r is not an address (no spaces or commas)" % (option, value))
    if params["cdn_ip"] is not None and not params["cdn_ip"]:
        module.fail_json(msg="cdn_ip must not be empty")
    if params["cdn_port"] is not None and not 1 <= params["cdn_port"] <= 65535:
        module.fail_json(msg="cdn_port must be between 1 and 65535, got %d" % params["cdn_port"])
    if params["cdn_nodes_timeout"] is not None and params["cdn_nodes_timeout"] < 1:
        module.fail_json(msg="cdn_nodes_timeout must be at least 1 second, got %d" % params["cdn_nodes_timeout"])
    _check_list_items(module, "cdn_groups")
    _check_list_items(module, "keep_alive_enabled")

    updates = {}
    equivalent = {}
    removals = list(params["remove"])
    for option, (key, same) in TYPED_KEYS.items():
        value = params[option]
        if value is None:
            continue
        if option == "cdn_point_of_entry" and value == "":
            removals.append(key)
            continue
        updates[key] = java_value(value)
        if same:
            equivalent[key] = same
    merge_free_settings(module, params["settings"], updates, removals)
    return updates, removals, equivalent


def validate_cdn(module, after_text):
    """Check the CDN settings the file will have once written."""
    doc = PropertiesDocument.parse(after_text)
    enabled = (doc.get("cdn_enabled") or "false").strip().lower() == "true"
    role = (doc.get("cdn_role") or "edge").strip()
    own_ip = (doc.get("cdn_ip") or "").strip()
    entry = (doc.get("cdn_point_of_entry") or "").strip()
    own = set(address.strip().lower() for address in module.params["node_addresses"])
    if own_ip:
        own.add(own_ip.lower())
    if role == "origin" and entry and entry.lower() in own:
        module.fail_json(msg="cdn_point_of_entry %s is this origin's own address; an origin must not point at "
                             "itself (leave the point of entry empty on the first origin)" % entry)
    if not enabled:
        return
    if role not in ("origin", "edge", "transcoder"):
        module.fail_json(msg="cdn_role %r in the file is not origin, edge or transcoder" % role)
    if role in ("edge", "transcoder") and not entry:
        module.fail_json(msg="a CDN %s needs cdn_point_of_entry (the address of a running CDN node)" % role)
    if not own_ip:
        module.fail_json(msg="cdn_enabled=true needs cdn_ip (this node's address for CDN traffic)")


def desired_jvm_options(module):
    options = []
    sizes = {}
    for option, flag in (("heap_size", "-Xmx"), ("heap_initial_size", "-Xms")):
        value = module.params[option]
        if value is None:
            continue
        try:
            sizes[flag] = parse_memory_size(value)
        except ValueError as exc:
            module.fail_json(msg="%s: %s" % (option, exc))
        if sizes[flag] < 2 * 1024 * 1024:
            module.fail_json(msg="%s: %s is below the JVM's 2 MB minimum" % (option, value))
        options.append(flag + value.strip())
    return options


def validate_heap(module, after_text):
    doc = JvmOptionsDocument.parse(after_text)
    sizes = {}
    for flag in ("-Xmx", "-Xms"):
        found = doc.find(flag)
        if found:
            try:
                sizes[flag] = parse_memory_size(found[-1][len(flag):])
            except ValueError:
                pass
    if "-Xmx" in sizes and "-Xms" in sizes and sizes["-Xms"] > sizes["-Xmx"]:
        module.fail_json(msg="the initial heap (-Xms) would be larger than the maximum heap (-Xmx); "
                             "the JVM refuses to start that way")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            home=dict(type="path", default="/usr/local/FlashphonerWebCallServer"),
            properties_file=dict(type="path"),
            jvm_options_file=dict(type="path"),
            cdn_enabled=dict(type="bool"),
            cdn_role=dict(type="str", choices=["origin", "edge", "transcoder"]),
            cdn_ip=dict(type="str"),
            cdn_point_of_entry=dict(type="str"),
            cdn_nodes_resolve_ip=dict(type="bool"),
            cdn_port=dict(type="int"),
            cdn_groups=dict(type="list", elements="str"),
            cdn_nodes_timeout=dict(type="int"),
            periodic_fir_request=dict(type="bool"),
            keep_alive_enabled=dict(type="list", elements="str"),
            node_addresses=dict(type="list", elements="str", default=[]),
            settings=dict(type="dict", default={}),
            remove=dict(type="list", elements="str", default=[]),
            heap_size=dict(type="str"),
            heap_initial_size=dict(type="str"),
            backup=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    conf = os.path.join(params["home"], "conf")
    properties_file = params["properties_file"] or os.path.join(conf, "flashphoner.properties")
    jvm_options_file = params["jvm_options_file"] or os.path.join(conf, "wcs-core.properties")

    updates, removals, equivalent = desired_properties(module)
    jvm_options = desired_jvm_options(module)

    try:
        edits = [plan_properties_edit(properties_file, updates, removals, equivalent=equivalent)]
        if jvm_options:
            edits.append(plan_jvm_options_edit(jvm_options_file, set_options=jvm_options))
    except ConfigEditError as exc:
        module.fail_json(msg=str(exc))
    validate_cdn(module, edits[0].after)
    if jvm_options:
        validate_heap(module, edits[1].after)

    result = apply_edits(module, edits, backup=params["backup"])
    result["properties_file"] = properties_file
    if jvm_options:
        result["jvm_options_file"] = jvm_options_file
    module.exit_json(**result)


if __name__ == "__main__":
    main()
