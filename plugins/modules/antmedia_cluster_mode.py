#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: antmedia_cluster_mode
short_description: Put Ant Media Server Enterprise in cluster or standalone mode, as the vendor script does
version_added: 0.1.0
description:
  - Switches the server between cluster and standalone mode with exactly the edits of the
    vendor's C(change_server_mode.sh) (read from ant-media/Ant-Media-Server, see
    C(docs/config-files.md)), on C(conf/red5.properties), the
    C(WEB-INF/red5-web.properties) of every application under C(webapps/) (C(root) included) and
    every cluster block of C(conf/jee-container.xml).
  - Reads the current mode from those files first. A tree already in the mode asked for, with
    the same database (for example one the vendor script switched), reports C(changed=false)
    and is left alone.
  - With O(method=files) the files are written by the module and the result is byte-identical
    to what the vendor script leaves; with O(method=script) the vendor script itself runs.
  - The database is given as one URL (O(database_url)), written as given, or as parts
    (O(database_hosts) and the other C(database_*) options), from which a percent-encoded
    C(mongodb://) or C(mongodb+srv://) URL is built. A bare address in O(database_url) is turned
    into a C(mongodb://) URL, because the vendor script asks an interactive question for it.
  - The database type follows the URL as the vendor script derives it (C(mongodb) for
    C(mongodb://) and C(mongodb+srv://), C(redisdb) for C(redis://)); standalone without a
    database is C(mapdb) with empty C(clusterdb.host) and C(db.host).
  - Credentials go into the URL; C(clusterdb.user) and C(clusterdb.password) are emptied, and
    C(db.user)/C(db.password) of an application are emptied only where those lines exist (the
    shipped application template has none).
  - The database password never appears in the output, the diff, warnings or logs; URLs are
    shown redacted (C(mongodb://user:****@host)).
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.config_file
options:
  home:
    description:
      - Ant Media Server installation directory.
      - O(method=script) needs the default, C(/usr/local/antmedia), the only tree the vendor
        script edits.
    type: path
    default: /usr/local/antmedia
  mode:
    description:
      - V(cluster) activates every cluster block and points the server and every application at
        the database.
      - V(standalone) comments every cluster block; without a database the applications go back
        to the embedded C(mapdb) store with an empty C(db.host), with one they keep using it.
      - C(useGlobalIp) is set to V(false) in both modes, as by the vendor script.
    type: str
    choices: [cluster, standalone]
    required: true
  method:
    description:
      - V(files) writes the files itself; it does not touch C(/etc/hosts) and leaves the restart
        to a handler (RV(restart_required)).
      - V(script) runs C(/usr/local/antmedia/change_server_mode.sh MODE URL) when something must
        change. The vendor script also rewrites C(/etc/hosts) and restarts the C(antmedia)
        service. The URL, credentials included, is on the script's command line and so visible
        in the process list while it runs. Any other O(home) is refused before anything runs.
    type: str
    choices: [files, script]
    default: files
  database_url:
    description:
      - The database as a C(mongodb://), C(mongodb+srv://) or C(redis://) URL, user and password
        percent-encoded; or a bare host, C(host:port) or IP address (made a C(mongodb://) URL).
      - Written as given (C(&), C(,), C(%), C(/), C(?) included); white space, control
        characters and backslashes are refused (the vendor script cannot write them literally).
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
notes:
  - Like the vendor script, a line is replaced whole wherever it contains C(KEY=) (a commented
    C(#clusterdb.host=...) included) and a key that is absent is never added.
  - Standalone twice in a row with the vendor script adds a space after each
    C(<!-- cluster start) marker every time; this module leaves a tree already in standalone
    mode alone instead. When anything else must change, the markers are rewritten as the
    script does, so the tree is byte-identical to the script's.
  - In the diff, database URLs are redacted and passwords masked.
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

- name: Join the cluster with a replica-set URL, through the vendor script
  streamfleet.cluster.antmedia_cluster_mode:
    mode: cluster
    method: script
    database_url: >-
      {{ ['10.0.1.10', '10.0.2.10'] | streamfleet.cluster.mongodb_url(user='antmedia', password=vault_pw,
         replica_set='rs0', auth_source='admin') }}

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
    cluster_blocks: {"active": 0, "inactive": 6}
    database_url: ""
    use_global_ip: "false"
    apps: {"LiveApp": {"db_type": "mapdb", "db_host": ""}, "root": {"db_type": "mapdb", "db_host": "localhost"}}
    apps_without_db: []
database_url:
  description: The database URL applied, redacted; null for standalone without a database.
  returned: always
  type: str
  sample: mongodb://antmedia:****@10.0.1.10:27017,10.0.2.10:27017/?authSource=admin&replicaSet=rs0
database_type:
  description: The C(db.type) the applications get, derived from the URL as the vendor script does.
  returned: always
  type: str
  sample: mongodb
changed_files:
  description: Files (relative to O(home)) that changed or would change, with the changed keys.
  returned: always
  type: dict
  sample: {"conf/red5.properties": ["clusterdb.host"], "conf/jee-container.xml": ["cluster blocks"]}
apps:
  description: Applications whose C(red5-web.properties) hold database settings.
  returned: always
  type: list
  elements: str
  sample: [LiveApp, WebRTCAppEE, root]
apps_without_db:
  description: Applications whose C(red5-web.properties) has no C(db.type) line.
  returned: always
  type: list
  elements: str
  sample: []
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

from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.antmedia import (
    SCRIPT,
    AntMediaError,
    changed_keys,
    check_url,
    database_type,
    diff_entries,
    holds_password,
    plan,
    read_state,
    redact_url,
    script_argv,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.files.fileio import write_atomically
from ansible_collections.streamfleet.cluster.plugins.module_utils.mongodb import (
    MongoUrlError,
    build_mongo_url,
    normalize_for_change_server_mode,
    parse_mongo_url,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import (
    StreamfleetModule,
    check_module_input,
    module_edge,
)

try:
    from urllib.parse import quote, unquote
except ImportError:  # pragma: no cover
    from urllib import quote, unquote  # type: ignore

PART_OPTIONS = ("database_port", "database_user", "database_password", "database_auth_source",
                "database_replica_set", "database_tls", "database_options")
REDIS_SCHEMES = ("redis", "rediss")


def given_url(value):
    """A URL exactly as given (validated), or a bare address made a ``mongodb://`` URL."""
    scheme, sep, _rest = value.partition("://")
    if not sep:
        return normalize_for_change_server_mode(value)
    check_url(value)
    if scheme.lower() in REDIS_SCHEMES:
        return value
    parse_mongo_url(value)
    return value


def database_url(params):
    """The URL to write, or None (standalone without a database)."""
    if params["database_url"] is not None:
        given = [name for name in PART_OPTIONS if params[name] is not None]
        if given or params["database_srv"]:
            raise MongoUrlError("database_url cannot be combined with %s; put everything in the "
                                "URL or give the parts" % ", ".join(given or ["database_srv"]))
        return given_url(params["database_url"])
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


def url_password(url):
    """The password inside ``url`` (decoded), or None."""
    authority = url.partition("://")[2].partition("?")[0]
    if "@" not in authority:
        return None
    userinfo = authority[:authority.rindex("@")]
    user, colon, password = userinfo.partition(":")
    return unquote(password) if colon and password else None


def hide(module, *secrets):
    """Register every spelling of the secrets so Ansible masks them in anything returned."""
    for secret in secrets:
        if secret:
            module.no_log_values.add(secret)
            module.no_log_values.add(quote(secret, safe=""))


def redact_text(text, url):
    if text and url:
        text = text.replace(url, redact_url(url))
    return text


@module_edge
def main():
    module = StreamfleetModule(
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
    check_module_input(module, 'antmedia_cluster_mode')
    params = module.params
    home = params["home"]
    mode = params["mode"]
    hide(module, params["database_url"], params["database_password"])
    result = dict(changed=False, mode=mode, database_url=None, database_type=None,
                  changed_files={}, apps=[], apps_without_db=[], restart_required=False,
                  previous={})

    argv = None
    try:
        url = database_url(params)
        if url:
            hide(module, url, url_password(url))
        result["database_url"] = redact_url(url)
        result["database_type"] = database_type(mode, url)
        if params["method"] == "script":
            # Refused before anything runs: the script would edit another tree.
            argv = script_argv(home, mode, url)
        result["previous"] = read_state(home)
        edits = plan(home, mode, url)
    except (MongoUrlError, AntMediaError) as exc:
        module.fail_json(msg=str(exc), **result)

    def rel(path):
        return os.path.relpath(path, home)

    changed_edits = [edit for edit in edits if edit.changed]
    result["apps"] = sorted(result["previous"]["apps"])
    result["apps_without_db"] = result["previous"]["apps_without_db"]
    result["changed_files"] = dict((rel(edit.path), changed_keys(edit)) for edit in changed_edits)
    result["changed"] = bool(changed_edits)
    if module._diff:
        result["diff"] = diff_entries(changed_edits, home)
    if not changed_edits or module.check_mode:
        result["restart_required"] = bool(changed_edits) and params["method"] == "files"
        module.exit_json(**result)

    backups = {}
    if params["backup"]:
        for edit in changed_edits:
            backups[rel(edit.path)] = module.backup_local(edit.path)
    if params["method"] == "files":
        for edit in changed_edits:
            try:
                # a file with the database password: its owner only (issue 21)
                write_atomically(module, edit.path, edit.after, private=holds_password(edit.after))
            except (IOError, OSError) as exc:
                module.fail_json(msg="cannot write %s: %s" % (edit.path, exc), **result)
        result["restart_required"] = True
    else:
        rc, out, err = module.run_command(argv, cwd=home)
        output = redact_text((out or "") + (err or ""), url).strip()
        result["script_output"] = output
        if rc != 0:
            module.fail_json(msg="%s exited with %d: %s" % (SCRIPT, rc, output[-500:]), rc=rc, **result)
        # The same reader as before the run: a tree the script switched is in the mode.
        try:
            left = [rel(edit.path) for edit in plan(home, mode, url) if edit.changed]
        except AntMediaError as exc:
            module.fail_json(msg="%s ran but the tree cannot be read: %s" % (SCRIPT, exc), **result)
        if left:
            module.fail_json(msg="%s ran but these files still differ from %s mode: %s"
                             % (SCRIPT, mode, ", ".join(left)), **result)
    if backups:
        result["backup_files"] = backups
    module.exit_json(**result)


if __name__ == "__main__":
    main()
