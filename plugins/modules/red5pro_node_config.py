#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: red5pro_node_config
short_description: Configure a Red5 Pro node's autoscale.xml and cluster.xml
version_added: 0.1.0
description:
  - Sets the properties of a Red5 Pro node that a Stream Manager needs, in place, keeping
    comments, white space and attribute order of the XML files byte for byte.
  - In C(conf/autoscale.xml) the V(active) flag, the C(cloudWatchHost) URL the node reports its
    load to and the C(reportingSpeed).
  - In C(conf/cluster.xml) the cluster C(password), which must equal C(cluster.password) of the
    Stream Manager. When the module writes C(cluster.xml), the file (and its backup) keeps only
    its owner's permissions (C(0600) from the shipped C(0644)).
  - Only the files an option refers to are read and written. Red5 Pro reads both files at
    start, so RV(restart_required) tells a handler to restart the service.
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.config_file
options:
  home:
    description: Red5 Pro installation directory.
    type: path
    default: /usr/local/red5pro
  autoscale_path:
    description: Path of autoscale.xml, when it is not C(conf/autoscale.xml) under O(home).
    type: path
  cluster_path:
    description: Path of cluster.xml, when it is not C(conf/cluster.xml) under O(home).
    type: path
  autoscale_bean:
    description:
      - Id, name or class of the bean in autoscale.xml to edit.
      - By default the bean that already holds the property (or the file's only bean).
    type: str
  active:
    description: Whether the node reports to the Stream Manager (property C(active)).
    type: bool
  cloudwatch_host:
    description:
      - Full URL of the Stream Manager's cloudwatch endpoint (property C(cloudWatchHost)), for
        example C(http://sm.example.com:5080/streammanager/cloudwatch).
      - Mutually exclusive with O(stream_manager_host).
    type: str
  stream_manager_host:
    description:
      - Host name or address of the Stream Manager or of the load balancer in front of it;
        the module builds C(SCHEME://HOST:PORT/streammanager/cloudwatch).
    type: str
  stream_manager_port:
    description: Port used with O(stream_manager_host).
    type: int
    default: 5080
  stream_manager_scheme:
    description: Scheme used with O(stream_manager_host).
    type: str
    choices: [http, https]
    default: http
  reporting_speed:
    description: Milliseconds between load reports (property C(reportingSpeed)), 5000 to 30000.
    type: int
  cluster_password:
    description:
      - The cluster password in cluster.xml (property C(password)); must equal the Stream
        Manager's C(cluster.password). Never shown in output or diff.
      - The property must already exist in the file.
    type: str
attributes:
  diff_mode:
    details: The cluster password is masked in the diff.
notes:
  - The vendor guide edits autoscale.xml by hand on an image; this module sets the same
    properties by name, idempotently.
"""

EXAMPLES = r"""
- name: Point the node at the Stream Manager balancer
  streamfleet.cluster.red5pro_node_config:
    active: true
    stream_manager_host: sm-lb.example.com
    reporting_speed: 10000
    cluster_password: "{{ vault_red5pro_cluster_password }}"
  notify: Restart red5pro

- name: Give the URL directly, in a non-standard location
  streamfleet.cluster.red5pro_node_config:
    home: /opt/red5pro
    cloudwatch_host: https://sm.example.com/streammanager/cloudwatch
    backup: true
"""

RETURN = r"""
changed_properties:
  description: Names of the properties that changed (or would change), per file.
  returned: always
  type: dict
  sample: {"autoscale": ["active", "cloudWatchHost"], "cluster": ["password"]}
cloudwatch_host:
  description: The cloudWatchHost value the module set (or would set).
  returned: when O(cloudwatch_host) or O(stream_manager_host) is given
  type: str
  sample: http://sm-lb.example.com:5080/streammanager/cloudwatch
restart_required:
  description: True when a file changed; Red5 Pro reads these files only at start.
  returned: always
  type: bool
  sample: true
backup_files:
  description: Backup copies made, per file.
  returned: when O(backup=true) and a file changed
  type: dict
  sample: {"autoscale": "/usr/local/red5pro/conf/autoscale.xml.1234.2026-11-28@10:00:00~"}
"""

import os

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover
    from urlparse import urlsplit  # type: ignore

from ansible_collections.streamfleet.cluster.plugins.module_utils.files.fileio import read_text, write_atomically
from ansible_collections.streamfleet.cluster.plugins.module_utils.mongodb import (
    MongoUrlError,
    format_host,
    validate_host,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.files.xml_beans import (
    XmlBeansDocument,
    XmlBeansError,
    escape_attribute,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import (
    StreamfleetModule,
    check_module_input,
    module_edge,
)

CLOUDWATCH_PATH = "/streammanager/cloudwatch"
REPORTING_SPEED_RANGE = (5000, 30000)
PASSWORD_MASK = "********"


class InvalidInput(ValueError):
    pass


def cloudwatch_url(params):
    """The cloudWatchHost value from the options (validated), or None."""
    if params["stream_manager_host"] is not None:
        host = params["stream_manager_host"].strip()
        try:
            host = validate_host(host)
        except MongoUrlError as exc:
            raise InvalidInput("stream_manager_host: %s" % exc)
        port = params["stream_manager_port"]
        if not 1 <= port <= 65535:
            raise InvalidInput("stream_manager_port must be from 1 to 65535, got %d" % port)
        return "%s://%s%s" % (params["stream_manager_scheme"], format_host(host, port), CLOUDWATCH_PATH)
    url = params["cloudwatch_host"]
    if url is None:
        return None
    if not url or any(c.isspace() for c in url):
        raise InvalidInput("cloudwatch_host must be a URL without white space")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidInput("cloudwatch_host %r is not a valid URL: %s" % (url, exc))
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("cloudwatch_host must start with http:// or https://, got %r" % url)
    if not parts.hostname:
        raise InvalidInput("cloudwatch_host %r has no host" % url)
    if parts.username or parts.password:
        raise InvalidInput("cloudwatch_host must not contain credentials")
    try:
        validate_host(parts.hostname)
    except MongoUrlError as exc:
        raise InvalidInput("cloudwatch_host: %s" % exc)
    if port is not None and not 1 <= port <= 65535:
        raise InvalidInput("cloudwatch_host has an invalid port")
    return url


def autoscale_values(params):
    values = {}
    if params["active"] is not None:
        values["active"] = "true" if params["active"] else "false"
    url = cloudwatch_url(params)
    if url is not None:
        values["cloudWatchHost"] = url
    speed = params["reporting_speed"]
    if speed is not None:
        low, high = REPORTING_SPEED_RANGE
        if not low <= speed <= high:
            raise InvalidInput("reporting_speed must be from %d to %d ms, got %d" % (low, high, speed))
        values["reportingSpeed"] = str(speed)
    return values


def check_password(password):
    if password is None:
        return None
    if password == "":
        raise InvalidInput("cluster_password must not be empty")
    if any(ord(c) < 32 or ord(c) == 127 for c in password):
        raise InvalidInput("cluster_password must not contain control characters")
    return password


def load(path, what):
    if not os.path.isfile(path):
        raise InvalidInput("%s not found at %s" % (what, path))
    text = read_text(path)[0]
    try:
        return text, XmlBeansDocument.parse(text)
    except XmlBeansError as exc:
        raise InvalidInput("%s: %s" % (path, exc))


@module_edge
def main():
    module = StreamfleetModule(
        argument_spec=dict(
            home=dict(type="path", default="/usr/local/red5pro"),
            autoscale_path=dict(type="path"),
            cluster_path=dict(type="path"),
            autoscale_bean=dict(type="str"),
            active=dict(type="bool"),
            cloudwatch_host=dict(type="str"),
            stream_manager_host=dict(type="str"),
            stream_manager_port=dict(type="int", default=5080),
            stream_manager_scheme=dict(type="str", choices=["http", "https"], default="http"),
            reporting_speed=dict(type="int"),
            cluster_password=dict(type="str", no_log=True),
            backup=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("cloudwatch_host", "stream_manager_host")],
        required_one_of=[("active", "cloudwatch_host", "stream_manager_host", "reporting_speed",
                          "cluster_password")],
        supports_check_mode=True,
    )
    check_module_input(module, 'red5pro_node_config')
    params = module.params
    home = params["home"]
    files = {
        "autoscale": params["autoscale_path"] or os.path.join(home, "conf", "autoscale.xml"),
        "cluster": params["cluster_path"] or os.path.join(home, "conf", "cluster.xml"),
    }
    result = dict(changed=False, changed_properties={}, restart_required=False)
    plans = []  # (label, path, before, after, masked_before, masked_after)
    try:
        values = autoscale_values(params)
        password = check_password(params["cluster_password"])
        if password is not None:
            # The file holds the XML-escaped spelling; keep that out of any output too.
            module.no_log_values.add(escape_attribute(password))
        if "cloudWatchHost" in values:
            result["cloudwatch_host"] = values["cloudWatchHost"]
            if not urlsplit(values["cloudWatchHost"]).path.rstrip("/").endswith(CLOUDWATCH_PATH):
                module.warn("cloudwatch_host does not end with %s, where the Stream Manager "
                            "listens for node reports" % CLOUDWATCH_PATH)
        if values:
            before, doc = load(files["autoscale"], "autoscale.xml")
            changed = [key for key in sorted(values)
                       if doc.set(key, values[key], params["autoscale_bean"])]
            plans.append(("autoscale", files["autoscale"], before, doc.render(), before, doc.render()))
            result["changed_properties"]["autoscale"] = changed
        if password is not None:
            before, doc = load(files["cluster"], "cluster.xml")
            masked = XmlBeansDocument.parse(before)
            had_password = doc.get("password") is not None
            changed = doc.set("password", password, add_missing=False)
            if had_password:
                masked.set("password", PASSWORD_MASK + ("" if not changed else "(old)"),
                           add_missing=False)
            masked_after = XmlBeansDocument.parse(doc.render())
            masked_after.set("password", PASSWORD_MASK + ("(new)" if changed else ""),
                             add_missing=False)
            plans.append(("cluster", files["cluster"], before, doc.render(), masked.render(),
                          masked_after.render()))
            result["changed_properties"]["cluster"] = ["password"] if changed else []
    except (InvalidInput, XmlBeansError) as exc:
        module.fail_json(msg=str(exc), **result)

    changed_plans = [p for p in plans if p[2] != p[3]]
    result["changed"] = result["restart_required"] = bool(changed_plans)
    if module._diff:
        result["diff"] = [dict(before_header=p[1], after_header=p[1], before=p[4], after=p[5])
                          for p in changed_plans]
    if changed_plans and not module.check_mode:
        backups = {}
        for label, path, _before, after, _mb, _ma in changed_plans:
            try:
                # cluster.xml holds the cluster password: owner only, its backup too.
                backup = write_atomically(module, path, after, backup=params["backup"], private=label == "cluster")
            except (IOError, OSError) as exc:
                module.fail_json(msg="cannot write %s: %s" % (path, exc), **result)
            if backup:
                backups[label] = backup
        if backups:
            result["backup_files"] = backups
    module.exit_json(**result)


if __name__ == "__main__":
    main()
