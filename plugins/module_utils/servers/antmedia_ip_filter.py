# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Ant Media Server's IP filters: who may open the web panel, who may call an application's REST API.

One place for the keys, their vendor defaults and how they are edited, used by the module
``antmedia_ip_filter`` and by ``streamfleet-boot antmedia-ip-filter`` at boot (same bytes).
``ip_filter_plan(home, ...)`` -> list of ``antmedia.FileEdit``; ``antmedia.apply(edits)`` writes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import os

from ansible_collections.streamfleet.cluster.plugins.module_utils.files.properties import PropertiesDocument
from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.antmedia import (
    SERVER_PROPERTIES,
    WEBAPPS,
    AntMediaError,
    FileEdit,
    app_files,
    check_tree,
    masked,
    read_text,
)

# Read from ant-media/Ant-Media-Server@5130ad8893a2a36d36f167045cf3db41cdf0057c:
# * conf/red5.properties ships ``server.allowed_dashboard_CIDR=0.0.0.0/0``; ServerSettings reads
#   it and IPFilterDashboard checks every path of the root (console) application against it,
#   the panel, its REST API and /rest/v2/liveness included.
# * An application's WEB-INF/red5-web.properties (ant-media/StreamApp@b0daf223 and every app made
#   from it) ships neither ``remoteAllowedCIDR`` nor ``ipFilterEnabled``: AppSettings defaults them
#   to ``127.0.0.1`` and ``true``. IPFilter checks the application's /rest/*, /chunked/* and
#   /hls-upload/* against them; calls between cluster nodes pass with the cluster token instead.
#   The server writes an application's settings back under these same names.
# * Both filters compare the request's remote address; behind a balancer that is the client's
#   address only through the RemoteIpValve that conf/jee-container.xml ships active (Tomcat's
#   default internal proxies: private, loopback and link-local addresses; X-Forwarded-For).
DASHBOARD_CIDR_KEY = "server.allowed_dashboard_CIDR"
DASHBOARD_CIDR_DEFAULT = "0.0.0.0/0"
REST_CIDR_KEY = "remoteAllowedCIDR"
REST_CIDR_DEFAULT = "127.0.0.1"
REST_FILTER_KEY = "ipFilterEnabled"
REST_FILTER_DEFAULT = "true"
CONSOLE_APP = "root"
# Secrets of the same files that ``antmedia.masked`` does not know (it masks URLs and passwords).
LICENCE_KEY = "server.licence_key"
MASK = "****"


def check_cidr_list(value, name="CIDR list"):
    """``value`` as Ant Media reads it (comma-separated addresses or networks), spaces removed."""
    items = [item.strip() for item in (value or "").split(",")]
    if not value or not value.strip() or any(not item for item in items):
        raise AntMediaError("%s must be one or more comma-separated addresses or networks "
                            "(a.b.c.d or a.b.c.d/n), got %r" % (name, value))
    for item in items:
        try:
            ipaddress.ip_network(item)
        except ValueError:
            raise AntMediaError("%s: %r is not an address or a network (a.b.c.d, or a.b.c.d/n "
                                "with the host bits zero)" % (name, item))
    return ",".join(items)


def _same_setting(current, wanted, is_flag):
    if is_flag:
        return current.strip().lower() == wanted
    return ",".join(item.strip() for item in current.split(",")) == wanted


def set_effective(text, settings):
    """``text`` with each ``key -> (value, vendor default, is_flag)`` set, edited in place.

    A key the file does not have already means the vendor default to Ant Media: asking for that
    default leaves the file as shipped. Otherwise the key's line is edited where it stands (a
    shipped commented default is uncommented) or, when the file has neither, added at the end.
    """
    doc = PropertiesDocument.parse(text)
    for key, (value, default, is_flag) in settings.items():
        current = doc.get(key)
        if current is None and value == default:
            continue
        if current is not None and _same_setting(current, value, is_flag):
            continue
        doc.set(key, value, uncomment=True)
    return doc.render()


def ip_filter_plan(home, dashboard_allowed_cidr=None, rest_allowed_cidr=None,
                   rest_ip_filter_enabled=None, applications=None):
    """Files of ``home`` before and after the IP filter settings; writes nothing.

    ``None`` leaves a setting alone. The dashboard filter is in ``conf/red5.properties``; the
    REST filter in the ``red5-web.properties`` of every application (``root``, the console,
    has no REST filter of this kind) or of the ``applications`` named.
    """
    check_tree(home)
    edits = []
    if dashboard_allowed_cidr is not None:
        wanted = check_cidr_list(dashboard_allowed_cidr, "dashboard_allowed_cidr")
        path = os.path.join(home, SERVER_PROPERTIES)
        before = read_text(path)
        after = set_effective(before, {DASHBOARD_CIDR_KEY: (wanted, DASHBOARD_CIDR_DEFAULT, False)})
        edits.append(FileEdit(path, "server", before, after))
    app_settings = {}
    if rest_allowed_cidr is not None:
        app_settings[REST_CIDR_KEY] = (check_cidr_list(rest_allowed_cidr, "rest_allowed_cidr"),
                                       REST_CIDR_DEFAULT, False)
    if rest_ip_filter_enabled is not None:
        app_settings[REST_FILTER_KEY] = ("true" if rest_ip_filter_enabled else "false",
                                         REST_FILTER_DEFAULT, True)
    if not app_settings:
        return edits
    found = [(name, path) for name, path in app_files(home) if name != CONSOLE_APP]
    if applications is not None:
        known = set(name for name, _path in found)
        missing = [name for name in applications if name not in known]
        if missing:
            raise AntMediaError("no application %s under %s (found: %s)" % (
                ", ".join(sorted(missing)), os.path.join(home, WEBAPPS),
                ", ".join(sorted(known)) or "none"))
        found = [(name, path) for name, path in found if name in applications]
    for _name, path in found:
        before = read_text(path)
        edits.append(FileEdit(path, "app", before, set_effective(before, app_settings)))
    return edits


def ip_filter_keys(edit):
    """The IP filter keys whose value differs between ``edit.before`` and ``edit.after``."""
    before = PropertiesDocument.parse(edit.before)
    after = PropertiesDocument.parse(edit.after)
    keys = (DASHBOARD_CIDR_KEY,) if edit.kind == "server" else (REST_CIDR_KEY, REST_FILTER_KEY)
    return [key for key in keys if before.get(key) != after.get(key)]


def masked_for_diff(text):
    """``text`` fit for a diff: database URLs redacted, passwords and the licence key masked."""
    out = []
    for line in masked(text).splitlines(True):
        body = line.rstrip("\r\n")
        key, sep, value = body.partition("=")
        if sep and value and key.strip() == LICENCE_KEY:
            line = key + sep + MASK + line[len(body):]
        out.append(line)
    return "".join(out)
