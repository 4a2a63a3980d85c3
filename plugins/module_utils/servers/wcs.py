# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Flashphoner Web Call Server (WCS): what its configuration and statistics mean.

The modules ``wcs_config`` and ``wcs_stats_info`` are thin over this file: option checks, the
typed keys of ``conf/flashphoner.properties``, the CDN rules a configuration must satisfy, the
Java heap of ``conf/wcs-core.properties``, and the parser of the ``?action=stat`` page.
Functions raise ``WcsError`` (message for the user) and never touch an AnsibleModule.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.streamfleet.cluster.plugins.module_utils.files.config_edit import (
    java_value,
    merge_free_settings,
    same_boolean,
    same_integer,
    same_list,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.files.jvm_options import (
    JvmOptionsDocument,
    parse_memory_size,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.files.properties import PropertiesDocument

DEFAULT_HOME = "/usr/local/FlashphonerWebCallServer"
PROPERTIES_FILE = "flashphoner.properties"
JVM_OPTIONS_FILE = "wcs-core.properties"
CDN_ROLES = ("origin", "edge", "transcoder")

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
HEAP_OPTIONS = (("heap_size", "-Xmx"), ("heap_initial_size", "-Xms"))
# The JVM refuses a heap below 2 MB.
MINIMUM_HEAP = 2 * 1024 * 1024

_ADDRESS = re.compile(r"^[^\s,]+$")


class WcsError(ValueError):
    """Input or a resulting configuration WCS cannot use (the message says why)."""


class _RaiseOnFail(object):
    """Stands in for the AnsibleModule that ``merge_free_settings`` reports failures to."""

    @staticmethod
    def fail_json(msg, **_kwargs):
        raise WcsError(msg)


def _check_list_items(params, option):
    for item in params.get(option) or []:
        if not item or "," in item or item != item.strip():
            raise WcsError("%s: %r is not a valid list item (no commas, no surrounding spaces)" % (option, item))


def check_cdn_options(params):
    """Refuse malformed typed CDN options before any file is read."""
    for option in ("cdn_ip", "cdn_point_of_entry"):
        value = params.get(option)
        if value and not _ADDRESS.match(value):
            raise WcsError("%s: %r is not an address (no spaces or commas)" % (option, value))
    if params.get("cdn_ip") is not None and not params["cdn_ip"]:
        raise WcsError("cdn_ip must not be empty")
    port = params.get("cdn_port")
    if port is not None and not 1 <= port <= 65535:
        raise WcsError("cdn_port must be between 1 and 65535, got %d" % port)
    timeout = params.get("cdn_nodes_timeout")
    if timeout is not None and timeout < 1:
        raise WcsError("cdn_nodes_timeout must be at least 1 second, got %d" % timeout)
    _check_list_items(params, "cdn_groups")
    _check_list_items(params, "keep_alive_enabled")


def desired_properties(params):
    """``(updates, removals, equivalent)`` for flashphoner.properties from the module options.

    ``equivalent`` maps a key to the comparison that treats two spellings Java reads alike as
    equal (``TRUE`` and ``true``), so a file already right is left alone.
    """
    check_cdn_options(params)
    updates = {}
    equivalent = {}
    removals = list(params.get("remove") or [])
    for option, (key, same) in TYPED_KEYS.items():
        value = params.get(option)
        if value is None:
            continue
        if option == "cdn_point_of_entry" and value == "":
            removals.append(key)
            continue
        updates[key] = java_value(value)
        if same:
            equivalent[key] = same
    merge_free_settings(_RaiseOnFail(), params.get("settings") or {}, updates, removals)
    return updates, removals, equivalent


def validate_cdn(after_text, node_addresses=()):
    """Check the CDN settings ``flashphoner.properties`` will have once written.

    Values already in the file count, so a change of ``cdn_role`` alone is checked against the
    point of entry the file has.
    """
    doc = PropertiesDocument.parse(after_text)
    enabled = (doc.get("cdn_enabled") or "false").strip().lower() == "true"
    role = (doc.get("cdn_role") or "edge").strip()
    own_ip = (doc.get("cdn_ip") or "").strip()
    entry = (doc.get("cdn_point_of_entry") or "").strip()
    own = set(address.strip().lower() for address in node_addresses or ())
    if own_ip:
        own.add(own_ip.lower())
    if role == "origin" and entry and entry.lower() in own:
        raise WcsError("cdn_point_of_entry %s is this origin's own address; an origin must not point at "
                       "itself (leave the point of entry empty on the first origin)" % entry)
    if not enabled:
        return
    if role not in CDN_ROLES:
        raise WcsError("cdn_role %r in the file is not origin, edge or transcoder" % role)
    if role in ("edge", "transcoder") and not entry:
        raise WcsError("a CDN %s needs cdn_point_of_entry (the address of a running CDN node)" % role)
    if not own_ip:
        raise WcsError("cdn_enabled=true needs cdn_ip (this node's address for CDN traffic)")


def desired_jvm_options(params):
    """The ``-Xmx``/``-Xms`` lines for ``wcs-core.properties``; empty when no heap is given."""
    options = []
    for option, flag in HEAP_OPTIONS:
        value = params.get(option)
        if value is None:
            continue
        try:
            size = parse_memory_size(value)
        except ValueError as exc:
            raise WcsError("%s: %s" % (option, exc))
        if size < MINIMUM_HEAP:
            raise WcsError("%s: %s is below the JVM's 2 MB minimum" % (option, value))
        options.append(flag + value.strip())
    return options


def validate_heap(after_text):
    """Refuse an initial heap larger than the maximum heap (the JVM would not start)."""
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
        raise WcsError("the initial heap (-Xms) would be larger than the maximum heap (-Xmx); "
                       "the JVM refuses to start that way")


# --- statistics page (http://host:8081/?action=stat) ---------------------------------------

_HEADERS = (
    re.compile(r"^-{2,}\s*([^-=\[\]]+?)\s*-{2,}$"),
    re.compile(r"^\[\s*([^\[\]]+?)\s*\]$"),
    re.compile(r"^={2,}\s*([^-=\[\]]+?)\s*={2,}$"),
)
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+\.\d*|\.\d+)$")


def stats_url(scheme, host, port):
    """URL of the statistics page; an IPv6 address is put in brackets."""
    if not 1 <= port <= 65535:
        raise WcsError("port must be between 1 and 65535, got %d" % port)
    if ":" in host and not host.startswith("["):
        host = "[%s]" % host
    return "%s://%s:%d/?action=stat" % (scheme, host, port)


def _value(text):
    if _INTEGER.match(text):
        return int(text)
    if _DECIMAL.match(text):
        return float(text)
    return text


def parse_stats(text):
    """Return ``(stats, sections, ignored_lines)`` of a ``?action=stat`` page."""
    stats = {}
    sections = {}
    current = None
    ignored = 0
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        header = None
        for pattern in _HEADERS:
            match = pattern.match(line)
            if match:
                header = match.group(1)
                break
        if header is not None:
            current = header
            sections.setdefault(current, {})
            continue
        if "=" in line:
            key, value = line.split("=", 1)
        elif ":" in line:
            key, value = line.split(":", 1)
        else:
            ignored += 1
            continue
        key = key.strip()
        if not key:
            ignored += 1
            continue
        value = _value(value.strip())
        stats[key] = value
        if current is not None:
            sections[current][key] = value
    return stats, sections, ignored
