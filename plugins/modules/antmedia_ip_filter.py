#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: antmedia_ip_filter
short_description: Set who may open Ant Media Server's web panel and call its applications' REST API
version_added: 0.1.0
description:
  - Sets Ant Media Server's two IP filters in the files the server reads them from (keys read
    from ant-media/Ant-Media-Server at 5130ad8893a2a36d36f167045cf3db41cdf0057c).
  - The web panel filter is C(server.allowed_dashboard_CIDR) in C(conf/red5.properties), shipped
    as C(0.0.0.0/0). It guards every path of the C(root) (console) application, the panel's REST
    API and C(/rest/v2/liveness) included, so a balancer's health check to the liveness path must
    come from an allowed address.
  - The REST filter of an application is C(remoteAllowedCIDR) and C(ipFilterEnabled) in its
    C(WEB-INF/red5-web.properties). The shipped files have neither key; the server then uses
    C(127.0.0.1) and C(true). It guards the application's C(/rest/*), C(/chunked/*) and
    C(/hls-upload/*); calls between cluster nodes pass with the cluster token.
  - A key is edited where it stands; a key the file does not have is added only when the value
    differs from the vendor default (asking for the default leaves a shipped file as it is).
  - Behind a load balancer both filters see the client's address only through the
    C(RemoteIpValve) that C(conf/jee-container.xml) ships active, which takes
    C(X-Forwarded-For) from private, loopback and link-local addresses (Tomcat's default
    internal proxies); an ALB inside a VPC with private addresses is one of those.
  - In cluster mode an application's settings live in the cluster database too; a node that
    starts takes the database's copy when there is one and writes it back to its file. The files
    set here are what the first node stores; see C(docs/topology-antmedia-cluster-aws.md).
  - Ant Media reads these files at start; restart it after a change (RV(restart_required)).
  - The diff shows the files with the database URLs redacted and the passwords and the licence
    key masked (the same files hold them).
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.config_file
options:
  home:
    description: Ant Media Server's home directory.
    type: path
    default: /usr/local/antmedia
  dashboard_allowed_cidr:
    description:
      - Addresses and networks allowed to open the web panel, comma-separated
        (C(a.b.c.d) or C(a.b.c.d/n)); the vendor's shipped value is C(0.0.0.0/0).
      - Omitted, the key is left alone.
    type: str
  rest_allowed_cidr:
    description:
      - Addresses and networks allowed to call the REST API of the applications, comma-separated;
        the vendor default is C(127.0.0.1).
      - Omitted, the key is left alone.
    type: str
  rest_ip_filter_enabled:
    description:
      - Whether the applications' REST IP filter is on (vendor default C(true)). Off, the REST
        API answers any address unless its JWT filter is on.
      - Omitted, the key is left alone.
    type: bool
  applications:
    description:
      - Applications (directories under C(webapps/)) whose REST filter is set. Default every
        application except C(root), which has no such filter. An unknown name fails before
        anything changes.
    type: list
    elements: str
seealso:
  - module: streamfleet.cluster.antmedia_cluster_mode
"""

EXAMPLES = r"""
- name: Panel from the office and the VPC (balancer health checks), REST API from the VPC
  streamfleet.cluster.antmedia_ip_filter:
    dashboard_allowed_cidr: 203.0.113.0/24,10.0.0.0/16,127.0.0.1
    rest_allowed_cidr: 10.0.0.0/16,127.0.0.1
  notify: Restart antmedia

- name: REST filter of one application only
  streamfleet.cluster.antmedia_ip_filter:
    rest_allowed_cidr: 127.0.0.1,198.51.100.7
    applications: [LiveApp]
"""

RETURN = r"""
changed_files:
  description: Files (relative to O(home)) that changed or would change, with the changed keys.
  returned: always
  type: dict
  sample: {"conf/red5.properties": ["server.allowed_dashboard_CIDR"], "webapps/LiveApp/WEB-INF/red5-web.properties": ["remoteAllowedCIDR"]}
applications:
  description: Applications whose REST filter was checked.
  returned: always
  type: list
  elements: str
  sample: [LiveApp, WebRTCAppEE]
restart_required:
  description: True when a file changed (or would change in check mode); Ant Media reads them at start.
  returned: always
  type: bool
  sample: true
backup_files:
  description: Backup copies made, per file relative to O(home).
  returned: when O(backup=true) and a file changed
  type: dict
  sample: {"conf/red5.properties": "/usr/local/antmedia/conf/red5.properties.1234.2026-12-07@10:00:00~"}
"""

import os

from ansible_collections.streamfleet.cluster.plugins.module_utils.files.fileio import write_atomically
from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.antmedia import AntMediaError
from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.antmedia_ip_filter import (
    ip_filter_keys,
    ip_filter_plan,
    masked_for_diff,
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
            home=dict(type="path", default="/usr/local/antmedia"),
            dashboard_allowed_cidr=dict(type="str"),
            rest_allowed_cidr=dict(type="str"),
            rest_ip_filter_enabled=dict(type="bool"),
            applications=dict(type="list", elements="str"),
            backup=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    check_module_input(module, "antmedia_ip_filter")
    params = module.params
    home = params["home"]
    result = dict(changed=False, changed_files={}, applications=[], restart_required=False)
    try:
        edits = ip_filter_plan(
            home,
            dashboard_allowed_cidr=params["dashboard_allowed_cidr"],
            rest_allowed_cidr=params["rest_allowed_cidr"],
            rest_ip_filter_enabled=params["rest_ip_filter_enabled"],
            applications=params["applications"],
        )
    except AntMediaError as exc:
        module.fail_json(msg=str(exc), **result)

    def rel(path):
        return os.path.relpath(path, home)

    result["applications"] = sorted(rel(edit.path).split(os.sep)[1] for edit in edits if edit.kind == "app")
    changed_edits = [edit for edit in edits if edit.changed]
    result["changed_files"] = dict((rel(edit.path), ip_filter_keys(edit)) for edit in changed_edits)
    result["changed"] = result["restart_required"] = bool(changed_edits)
    if module._diff:
        result["diff"] = [dict(before_header=rel(edit.path), after_header=rel(edit.path),
                               before=masked_for_diff(edit.before), after=masked_for_diff(edit.after))
                          for edit in changed_edits]
    if not changed_edits or module.check_mode:
        module.exit_json(**result)

    backups = {}
    for edit in changed_edits:
        if params["backup"]:
            backups[rel(edit.path)] = module.backup_local(edit.path)
        try:
            write_atomically(module, edit.path, edit.after)
        except (IOError, OSError) as exc:
            module.fail_json(msg="cannot write %s: %s" % (edit.path, exc), **result)
    if backups:
        result["backup_files"] = backups
    module.exit_json(**result)


if __name__ == "__main__":
    main()
