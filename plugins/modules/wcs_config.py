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
  - WCS ships C(flashphoner.properties) without any C(cdn_*) key, so those keys are added at
    the end the first time. A key the file holds only as a commented default (C(#key=value))
    is uncommented where it stands instead of being added a second time.
  - "Sets the Java heap (C(-Xmx), C(-Xms)) in C(conf/wcs-core.properties), which holds JVM
    options one (or a few) a line in two sections headed C(### SERVER OPTIONS ###) and
    C(### JVM OPTIONS ###); the headers and comments are kept. That file is only read when
    O(heap_size) or O(heap_initial_size) is given."
  - WCS ships C(-Xmx1024M) and no C(-Xms). O(heap_size) replaces the C(-Xmx) option where it
    stands; O(heap_initial_size) replaces an C(-Xms), or adds one on the line after C(-Xmx).
  - Validates the resulting CDN configuration before writing anything. It refuses an origin
    whose O(cdn_point_of_entry) is its own O(cdn_ip) (or one of O(node_addresses)), an edge or
    transcoder without a point of entry, and an enabled CDN node without O(cdn_ip).
    Values already in the file count, so a task that only changes O(cdn_role) is checked
    against the point of entry the file already has.
  - Never restarts WCS. RV(restart_required) tells a handler to restart the C(webcallserver)
    service.
  - A missing file is an error (the module does not create WCS configuration files).
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.config_file
attributes:
  diff_mode:
    details: Shows each file before and after.
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
        V(1024m) or V(2g). The last C(-Xmx) is replaced where it stands, earlier ones removed.
    type: str
  heap_initial_size:
    description:
      - Initial Java heap, written as C(-Xms<size>). Must not exceed the maximum heap.
      - WCS ships no C(-Xms) (the JVM then picks the initial heap); leave this unset to keep it so.
    type: str
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

from ansible_collections.streamfleet.cluster.plugins.module_utils.files.config_edit import (
    ConfigEditError,
    apply_edits,
    plan_jvm_options_edit,
    plan_properties_edit,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.wcs import (
    CDN_ROLES,
    DEFAULT_HOME,
    JVM_OPTIONS_FILE,
    PROPERTIES_FILE,
    WcsError,
    desired_jvm_options,
    desired_properties,
    validate_cdn,
    validate_heap,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import (
    StreamfleetModule,
    check_module_input,
    module_edge,
)


@module_edge
def main():
    module = StreamfleetModule(
        argument_spec=dict(
            home=dict(type="path", default=DEFAULT_HOME),
            properties_file=dict(type="path"),
            jvm_options_file=dict(type="path"),
            cdn_enabled=dict(type="bool"),
            cdn_role=dict(type="str", choices=list(CDN_ROLES)),
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
    check_module_input(module, 'wcs_config')
    params = module.params
    conf = os.path.join(params["home"], "conf")
    properties_file = params["properties_file"] or os.path.join(conf, PROPERTIES_FILE)
    jvm_options_file = params["jvm_options_file"] or os.path.join(conf, JVM_OPTIONS_FILE)

    try:
        updates, removals, equivalent = desired_properties(params)
        jvm_options = desired_jvm_options(params)
        # WCS ships no cdn_* key (they are added); a key a file carries only as a commented
        # default (#key=value) is set where that comment stands, never appended a second time.
        edits = [plan_properties_edit(properties_file, updates, removals, equivalent=equivalent,
                                      uncomment=True)]
        if jvm_options:
            edits.append(plan_jvm_options_edit(jvm_options_file, set_options=jvm_options))
        validate_cdn(edits[0].after, params["node_addresses"])
        if jvm_options:
            validate_heap(edits[1].after)
    except (WcsError, ConfigEditError) as exc:
        module.fail_json(msg=str(exc))

    result = apply_edits(module, edits, backup=params["backup"])
    result["properties_file"] = properties_file
    if jvm_options:
        result["jvm_options_file"] = jvm_options_file
    module.exit_json(**result)


if __name__ == "__main__":
    main()
