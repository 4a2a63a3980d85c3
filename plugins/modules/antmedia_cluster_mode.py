#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: antmedia_cluster_mode
short_description: Put Ant Media Server Enterprise in cluster or standalone mode
version_added: 0.1.0
description:
  - Reads the current mode from C(conf/red5.properties), every
    C(webapps/*/WEB-INF/red5-web.properties) and the cluster block of
    C(conf/jee-container.xml), and reports C(changed=false) when they already match.
  - Otherwise applies the mode, either by editing those files by key (O(method=files), the
    default) or by running the vendor's C(change_server_mode.sh) with one C(mongodb://) URL
    (O(method=script)).
  - The database is given as one URL (O(database_url)) or as parts (O(database_hosts) and the
    other C(database_*) options), from which a percent-encoded C(mongodb://) or
    C(mongodb+srv://) URL is built. A bare address in O(database_url) is turned into a
    C(mongodb://) URL, because the vendor script asks an interactive question for it (and reads
    a host name not starting with C(mongo) as a Redis configuration file).
  - Credentials go into the URL, never into the deprecated user and password arguments of the
    script; C(clusterdb.user), C(clusterdb.password), C(db.user) and C(db.password) are emptied,
    as the script does when given a URL.
  - The database password never appears in the output, the diff, warnings or logs; URLs are
    shown redacted (C(mongodb://user:****@host)).
author: streamfleet maintainers (@streamfleet)
options:
  home:
    description: Ant Media Server installation directory.
    type: path
    default: /usr/local/antmedia
  mode:
    description:
      - V(cluster) uncomments the cluster block and points the server and every application at
        the MongoDB database.
      - V(standalone) comments the cluster block; without a database the applications go back
        to the embedded C(mapdb) store with C(db.host=localhost), with one they keep using
        MongoDB (C(db.type=mongodb)).
    type: str
    choices: [cluster, standalone]
    required: true
  method:
    description:
      - V(files) edits the files by key, does not touch C(/etc/hosts) and leaves the restart
        to a handler (RV(restart_required)).
      - V(script) runs C(HOME/change_server_mode.sh MODE URL). The vendor script also rewrites
        C(/etc/hosts) and restarts the C(antmedia) service. The URL, credentials included, is
        on the script's command line and so visible in the process list while it runs; URLs
        with characters the script's line edits may misread (C(&), C(#), quotes, ...) are
        refused.
    type: str
    choices: [files, script]
    default: files
  database_url:
    description:
      - The cluster database as a C(mongodb://) or C(mongodb+srv://) URL, user and password
        percent-encoded; or a bare host, C(host:port) or IP address.
      - Treated as a secret. Mutually exclusive with O(database_hosts).
    type: str
  database_hosts:
    description:
      - Database hosts (C(host), C(host:port), C(IPv6) or C([IPv6]:port)); several for a
        replica set.
    type: list
    elements: str
  database_port:
    description: Port for the hosts of O(database_hosts) given without one.
    type: int
  database_user:
    description: Database user (percent-encoded into the URL).
    type: str
  database_password:
    description: Database password (percent-encoded into the URL). Never shown.
    type: str
  database_auth_source:
    description: The C(authSource) option.
    type: str
  database_replica_set:
    description: The C(replicaSet) option.
    type: str
  database_tls:
    description: The C(tls) option.
    type: bool
  database_srv:
    description: Build a C(mongodb+srv://) URL (one host name, no port).
    type: bool
    default: false
  database_options:
    description:
      - Other MongoDB connection options (known option names only, for example
        C(retryWrites), C(w), C(readPreference)).
    type: dict
  backup:
    description: Keep a timestamped copy of each file before changing it.
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: Database URLs are redacted and passwords masked in the diff.
notes:
  - Applications whose C(red5-web.properties) has no C(db.type) key (such as the root web
    panel) hold no database settings and are left alone, as by the vendor script. In the
    others, missing C(db.*) keys are added (the vendor script would silently skip them).
  - C(useGlobalIp) is set to V(false) in cluster mode and left alone in standalone mode.
"""

EXAMPLES = r"""
- name: Join the cluster (database from parts)
  streamfleet.cluster.antmedia_cluster_mode:
    mode: cluster
    database_hosts: [10.0.1.10, 10.0.2.10]
    database_port: 27017
    database_user: antmedia
    database_password: "{{ vault_antmedia_mongo_password }}"
    database_auth_source: admin
    database_replica_set: rs0
  notify: Restart antmedia

- name: Join the cluster with a URL, through the vendor script
  streamfleet.cluster.antmedia_cluster_mode:
    mode: cluster
    method: script
    database_url: "mongodb+srv://antmedia:{{ vault_pw | urlencode }}@cluster0.example.net/?tls=true"

- name: Back to standalone with the embedded store
  streamfleet.cluster.antmedia_cluster_mode:
    mode: standalone
  notify: Restart antmedia
"""

RETURN = r"""
mode:
  description: The mode asked for.
  returned: always
  type: str
  sample: cluster
previous:
  description: The state the files were in before, as read from them (URLs redacted).
  returned: always
  type: dict
  sample:
    mode: standalone
    cluster_block: false
    database_url: localhost
    use_global_ip: "false"
    apps: {"LiveApp": {"db_type": "mapdb", "db_host": "localhost"}}
    apps_without_db: ["root"]
database_url:
  description: The database URL applied, redacted; null for standalone without a database.
  returned: always
  type: str
  sample: mongodb://antmedia:****@10.0.1.10:27017,10.0.2.10:27017/?authSource=admin&replicaSet=rs0
changed_files:
  description: Files (relative to O(home)) that changed or would change, with the changed keys.
  returned: always
  type: dict
  sample: {"conf/red5.properties": ["clusterdb.host"], "conf/jee-container.xml": ["cluster block"]}
apps:
  description: Applications whose database settings the mode covers.
  returned: always
  type: list
  elements: str
  sample: [LiveApp, WebRTCAppEE]
apps_without_db:
  description: Applications left alone because their red5-web.properties has no db.type.
  returned: always
  type: list
  elements: str
  sample: [root]
restart_required:
  description: True when O(method=files) changed a file; Ant Media reads them at start.
  returned: always
  type: bool
  sample: true
script_output:
  description: What change_server_mode.sh printed, with the URL and password redacted.
  returned: when O(method=script) ran the script
  type: str
  sample: "Mode: cluster"
backup_files:
  description: Backup copies made, per file relative to O(home).
  returned: when O(backup=true) and a file changed
  type: dict
  sample: {"conf/red5.properties": "/usr/local/antmedia/conf/red5.properties.1234.2026-11-28@10:00:00~"}
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.antmedia import (
    SCRIPT,
    AntMediaError,
    diff_entries,
    plan,
    read_state,
    script_safe_url,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.files.fileio import write_atomically
from ansible_collections.streamfleet.cluster.plugins.module_utils.mongodb import (
    MongoUrlError,
    build_mongo_url,
    normalize_for_change_server_mode,
    parse_mongo_url,
    redact_mongo_url,
)

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover
    from urllib import quote  # type: ignore

PART_OPTIONS = ("database_port", "database_user", "database_password", "database_auth_source",
                "database_replica_set", "database_tls", "database_options")


def database_url(params):
    """The canonical URL from the options, or None (standalone without a database)."""
    if params["database_url"] is not None:
        given = [name for name in PART_OPTIONS if params[name] is not None]
        if given or params["database_srv"]:
            raise MongoUrlError("database_url cannot be combined with %s; put everything in the "
                                "URL or give the parts" % ", ".join(given or ["database_srv"]))
        return normalize_for_change_server_mode(params["database_url"])
    if params["database_hosts"] is not None:
        return build_mongo_url(
            params["database_hosts"], port=params["database_port"], user=params["database_user"],
            password=params["database_password"], auth_source=params["database_auth_source"],
            replica_set=params["database_replica_set"], tls=params["database_tls"],
            options=params["database_options"], srv=params["database_srv"],
        ).render()
    given = [name for name in PART_OPTIONS if params[name] is not None]
    if given:
        raise MongoUrlError("%s need database_hosts" % ", ".join(given))
    return None


def hide(module, url, password):
    """Register every spelling of the secrets so Ansible masks them in anything returned."""
    for secret in (url, password, password and quote(password, safe="")):
        if secret:
            module.no_log_values.add(secret)


def redact_text(text, url):
    if not text:
        return text
    if url:
        text = text.replace(url, redact_mongo_url(url))
    return text


def main():
    module = AnsibleModule(
        argument_spec=dict(
            home=dict(type="path", default="/usr/local/antmedia"),
            mode=dict(type="str", choices=["cluster", "standalone"], required=True),
            method=dict(type="str", choices=["files", "script"], default="files"),
            database_url=dict(type="str", no_log=True),
            database_hosts=dict(type="list", elements="str"),
            database_port=dict(type="int"),
            database_user=dict(type="str"),
            database_password=dict(type="str", no_log=True),
            database_auth_source=dict(type="str"),
            database_replica_set=dict(type="str"),
            database_tls=dict(type="bool"),
            database_srv=dict(type="bool", default=False),
            database_options=dict(type="dict"),
            backup=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("database_url", "database_hosts")],
        required_if=[("mode", "cluster", ("database_url", "database_hosts"), True)],
        supports_check_mode=True,
    )
    params = module.params
    home = params["home"]
    hide(module, params["database_url"], params["database_password"])
    result = dict(changed=False, mode=params["mode"], database_url=None, changed_files={},
                  apps=[], apps_without_db=[], restart_required=False, previous={})

    try:
        url = database_url(params)
        hide(module, url, parse_mongo_url(url).password if url else None)
        result["database_url"] = redact_mongo_url(url)
        script = os.path.join(home, SCRIPT)
        if params["method"] == "script":
            if url:
                script_safe_url(url)
            if not os.access(script, os.X_OK):
                raise AntMediaError("%s is missing or not executable (method=script)" % script)
        result["previous"] = read_state(home)
        plans, skipped = plan(home, params["mode"], url)
    except (MongoUrlError, AntMediaError) as exc:
        module.fail_json(msg=str(exc), **result)

    def rel(path):
        return os.path.relpath(path, home)

    changed_plans = [p for p in plans if p.changed]
    result["apps"] = sorted(result["previous"]["apps"])
    result["apps_without_db"] = skipped
    result["changed_files"] = dict((rel(p.path), p.changed_keys) for p in changed_plans)
    result["changed"] = bool(changed_plans)
    for item in plans:
        if item.duplicates:
            module.warn("%s held %s more than once; only the last line is kept"
                        % (rel(item.path), ", ".join(item.duplicates)))
    if module._diff:
        result["diff"] = diff_entries(changed_plans, home)
    if not changed_plans or module.check_mode:
        result["restart_required"] = bool(changed_plans) and params["method"] == "files"
        module.exit_json(**result)

    backups = {}
    if params["backup"]:
        for item in changed_plans:
            backups[rel(item.path)] = module.backup_local(item.path)
    if params["method"] == "files":
        for item in changed_plans:
            try:
                write_atomically(module, item.path, item.after)
            except (IOError, OSError) as exc:
                module.fail_json(msg="cannot write %s: %s" % (item.path, exc), **result)
        result["restart_required"] = True
    else:
        args = [script, params["mode"]] + ([url] if url else [])
        rc, out, err = module.run_command(args, cwd=home)
        output = redact_text((out or "") + (err or ""), url).strip()
        result["script_output"] = output
        if rc != 0:
            module.fail_json(msg="%s exited with %d: %s" % (SCRIPT, rc, output[-500:]), rc=rc, **result)
        remaining, _skipped = plan(home, params["mode"], url)
        left = [rel(p.path) for p in remaining if p.changed]
        if left:
            module.fail_json(msg="%s ran but these files still differ from %s mode: %s"
                             % (SCRIPT, params["mode"], ", ".join(left)), **result)
    if backups:
        result["backup_files"] = backups
    module.exit_json(**result)


if __name__ == "__main__":
    main()
