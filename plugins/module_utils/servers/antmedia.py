# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read and apply Ant Media Server's cluster mode across its configuration files.

Ant Media's ``change_server_mode.sh cluster|standalone [URL]`` edits three kinds of files:
``conf/red5.properties`` (``clusterdb.*``, ``useGlobalIp``), the ``db.*`` keys of every
``webapps/*/WEB-INF/red5-web.properties`` and the block between ``<!-- cluster start -->`` and
``<!-- cluster end -->`` of ``conf/jee-container.xml`` (uncommented in cluster mode). The current
mode is therefore readable from those files; this module plans the same edits by key so a
caller can tell whether anything would change, show a diff with the secrets masked, and write
the files itself without the script's other side effects (``/etc/hosts``, service restart).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import re
from xml.parsers import expat

from ansible_collections.streamfleet.cluster.plugins.module_utils.files.fileio import read_text
from ansible_collections.streamfleet.cluster.plugins.module_utils.files.properties import (
    DEFAULT_MASK,
    PropertiesDocument,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.mongodb import (
    MongoUrlError,
    parse_mongo_url,
    redact_mongo_url,
)

DEFAULT_HOME = "/usr/local/antmedia"
SERVER_PROPERTIES = os.path.join("conf", "red5.properties")
JEE_CONTAINER = os.path.join("conf", "jee-container.xml")
APP_PROPERTIES_GLOB = os.path.join("webapps", "*", "WEB-INF", "red5-web.properties")
SCRIPT = "change_server_mode.sh"

MODES = ("cluster", "standalone")
# What the vendor script writes when no database URL is given (standalone with the embedded
# MapDB store).
STANDALONE_DB_TYPE = "mapdb"
STANDALONE_DB_HOST = "localhost"

# Keys whose values may hold a password: URLs are shown redacted, passwords masked.
URL_KEYS = ("clusterdb.host", "db.host")
PASSWORD_KEYS = ("clusterdb.password", "db.password")

_START = re.compile(r"<!--[ \t]*cluster start([ \t]*-->)?")
_END = re.compile(r"(<!--[ \t]*)?cluster end[ \t]*-->")


class AntMediaError(ValueError):
    """The tree or the input cannot be handled (message is safe to show)."""


# -- conf/jee-container.xml cluster block -------------------------------------------------------
def _markers(text):
    starts = list(_START.finditer(text))
    ends = list(_END.finditer(text))
    if len(starts) != 1 or len(ends) != 1:
        raise AntMediaError("expected exactly one '<!-- cluster start' and one 'cluster end -->' "
                            "marker in %s, found %d and %d" % (JEE_CONTAINER, len(starts), len(ends)))
    start, end = starts[0], ends[0]
    if start.end() > end.start():
        raise AntMediaError("the cluster end marker comes before the cluster start marker in %s"
                            % JEE_CONTAINER)
    return start, end


def cluster_block_enabled(text):
    """True when the cluster block of jee-container.xml is active (uncommented)."""
    start, end = _markers(text)
    start_open, end_open = start.group(1) is not None, end.group(1) is not None
    if start_open != end_open:
        raise AntMediaError("the cluster block markers of %s disagree (one is commented, the "
                            "other is not); fix the file by hand" % JEE_CONTAINER)
    return start_open


def set_cluster_block(text, enabled):
    """Return ``(new_text, changed)`` with the cluster block (un)commented.

    Uses the vendor script's spelling: active ``<!-- cluster start -->`` ... ``<!-- cluster end
    -->``; inactive ``<!-- cluster start`` ... ``cluster end -->`` (one comment around the block).
    """
    if cluster_block_enabled(text) == enabled:
        return text, False
    start, end = _markers(text)
    inner = text[start.end():end.start()]
    if not enabled and "--" in inner:
        raise AntMediaError("the cluster block of %s contains '--' (a comment?); it cannot be "
                            "commented out as one XML comment" % JEE_CONTAINER)
    if enabled:
        new_start, new_end = "<!-- cluster start -->", "<!-- cluster end -->"
    else:
        new_start, new_end = "<!-- cluster start", "cluster end -->"
    new_text = text[:start.start()] + new_start + inner + new_end + text[end.end():]
    check_well_formed(new_text, JEE_CONTAINER)
    return new_text, True


def check_well_formed(text, name):
    parser = expat.ParserCreate(encoding="UTF-8")
    try:
        parser.Parse(text.encode("utf-8", "surrogateescape"), True)
    except expat.ExpatError as exc:
        raise AntMediaError("%s would not be well-formed XML (%s); nothing was changed"
                            % (name, exc))


# -- desired state ------------------------------------------------------------------------------
def desired_values(mode, url=None):
    """The keys the mode sets: ``{"server": {...}, "app": {...}, "cluster_block": bool}``.

    ``url`` is a canonical ``mongodb://``/``mongodb+srv://`` URL (credentials inside it) or
    None (standalone only). The separate user/password keys are emptied, as the vendor script
    does when the credentials are in the URL.
    """
    if mode not in MODES:
        raise AntMediaError("mode must be one of %s, got %r" % (", ".join(MODES), mode))
    if mode == "cluster" and not url:
        raise AntMediaError("cluster mode needs a database URL")
    if url:
        db_type, host = "mongodb", url
    else:
        db_type, host = STANDALONE_DB_TYPE, STANDALONE_DB_HOST
    server = {"clusterdb.host": host, "clusterdb.user": "", "clusterdb.password": ""}
    if mode == "cluster":
        server["useGlobalIp"] = "false"
    app = {"db.type": db_type, "db.host": host, "db.user": "", "db.password": ""}
    return {"server": server, "app": app, "cluster_block": mode == "cluster"}


# -- the tree -----------------------------------------------------------------------------------
class FilePlan(object):
    """One file: its text before and after, the keys that change, how to mask it for a diff."""

    def __init__(self, path, kind, before, after, changed_keys, duplicates=None):
        self.path = path
        self.duplicates = duplicates or []  # keys the file held several times (collapsed)
        self.kind = kind
        self.before = before
        self.after = after
        self.changed_keys = changed_keys

    @property
    def changed(self):
        return self.before != self.after

    def masked(self, text):
        if self.kind != "properties":
            return text
        doc = PropertiesDocument.parse(text)
        masks = {}
        for key in URL_KEYS:
            value = doc.get(key)
            if value:
                masks[key] = escape_mask(redact_mongo_url(value))
        for key in PASSWORD_KEYS:
            if doc.get(key):
                masks[key] = DEFAULT_MASK
        return doc.render_masked(masks) if masks else text


def escape_mask(text):
    # The mask is written as the value; keep it on one line.
    return text.replace("\r", "").replace("\n", "")


def app_property_files(home):
    return sorted(glob.glob(os.path.join(home, APP_PROPERTIES_GLOB)))


def app_name(home, path):
    return os.path.relpath(path, os.path.join(home, "webapps")).split(os.sep)[0]


def _read(path):
    try:
        return read_text(path)[0]
    except (IOError, OSError) as exc:
        raise AntMediaError("cannot read %s: %s" % (path, exc.strerror or exc))


def check_tree(home):
    """Fail clearly when ``home`` is not an Ant Media Server installation."""
    if not os.path.isdir(home):
        raise AntMediaError("Ant Media home %s does not exist" % home)
    for name in (SERVER_PROPERTIES, JEE_CONTAINER):
        if not os.path.isfile(os.path.join(home, name)):
            raise AntMediaError("%s is missing under %s: not an Ant Media Server home" % (name, home))


def read_state(home):
    """The current mode as the files tell it (secrets redacted).

    Returns ``{"mode": "cluster"|"standalone", "cluster_block": bool, "database_url": redacted
    clusterdb.host, "use_global_ip": str|None, "apps": {app: {"db_type", "db_host" (redacted)}},
    "apps_without_db": [app, ...]}``.
    """
    check_tree(home)
    server = PropertiesDocument.parse(_read(os.path.join(home, SERVER_PROPERTIES)))
    enabled = cluster_block_enabled(_read(os.path.join(home, JEE_CONTAINER)))
    apps, skipped = {}, []
    for path in app_property_files(home):
        doc = PropertiesDocument.parse(_read(path))
        if doc.get("db.type") is None:
            skipped.append(app_name(home, path))
            continue
        apps[app_name(home, path)] = {
            "db_type": doc.get("db.type"),
            "db_host": redact_mongo_url(doc.get("db.host")),
        }
    return {
        "mode": "cluster" if enabled else "standalone",
        "cluster_block": enabled,
        "database_url": redact_mongo_url(server.get("clusterdb.host")),
        "use_global_ip": server.get("useGlobalIp"),
        "apps": apps,
        "apps_without_db": skipped,
    }


def _plan_properties(path, values):
    before = _read(path)
    doc = PropertiesDocument.parse(before)
    changed_keys = []
    for key in sorted(values):
        if doc.set(key, values[key]):
            changed_keys.append(key)
    duplicates = [key for key in doc.duplicates if key in values]
    return FilePlan(path, "properties", before, doc.render(), changed_keys, duplicates)


def plan(home, mode, url=None):
    """Plan the edits for ``mode``; returns ``(plans, apps_without_db)`` without writing.

    Applications whose ``red5-web.properties`` has no ``db.type`` (the root console, for one)
    hold no database settings and are left alone, as the vendor script leaves them.
    """
    check_tree(home)
    desired = desired_values(mode, url)
    plans = [_plan_properties(os.path.join(home, SERVER_PROPERTIES), desired["server"])]
    skipped = []
    for path in app_property_files(home):
        if PropertiesDocument.parse(_read(path)).get("db.type") is None:
            skipped.append(app_name(home, path))
            continue
        plans.append(_plan_properties(path, desired["app"]))
    jee_path = os.path.join(home, JEE_CONTAINER)
    before = _read(jee_path)
    after, changed = set_cluster_block(before, desired["cluster_block"])
    plans.append(FilePlan(jee_path, "xml", before, after, ["cluster block"] if changed else []))
    return plans, skipped


def diff_entries(plans, home=None):
    """Ansible ``diff`` entries (one per changed file) with secrets masked."""
    entries = []
    for item in plans:
        if not item.changed:
            continue
        name = os.path.relpath(item.path, home) if home else item.path
        entries.append({
            "before_header": name,
            "after_header": name,
            "before": item.masked(item.before),
            "after": item.masked(item.after),
        })
    return entries


def script_safe_url(url):
    """Refuse URLs the vendor script cannot pass through its line edits intact.

    The script rewrites lines with text substitutions, where ``&`` repeats the matched text
    and ``#``, ``|`` or ``\\`` can end or escape the expression; percent-encoded credentials
    never contain them, but several query options are joined with ``&``.
    """
    bad = sorted(set(url) & set("&#|\\'\"`$ "))
    if bad:
        raise AntMediaError("the database URL contains %s, which change_server_mode.sh may "
                            "misread; use method=files (it writes the URL by key)"
                            % ", ".join(repr(c) for c in bad))
    try:
        parse_mongo_url(url)
    except MongoUrlError as exc:
        raise AntMediaError(str(exc))
    return url
