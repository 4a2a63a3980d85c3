# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Ant Media Server's cluster mode, exactly as the vendor's ``change_server_mode.sh`` sets it.

Semantics followed (ant-media/Ant-Media-Server at 5130ad8893a2a36d36f167045cf3db41cdf0057c:
``src/main/server/change_server_mode.sh`` and ``src/main/server/conf/functions.sh``), written
here from their behaviour, not their text:

* ``conf/jee-container.xml``: every cluster block marker in the file is rewritten. Cluster mode
  turns ``<!-- cluster start`` (and ``<!-- cluster start -->``) into ``<!-- cluster start -->``
  and ``cluster end -->`` (and ``<!-- cluster end -->``) into ``<!-- cluster end -->``.
  Standalone turns either start spelling into ``<!-- cluster start `` (a trailing space) and
  either end spelling into ``cluster end -->``. Everything around a marker is kept, so a
  standalone switch adds one space after ``<!-- cluster start`` each time it runs.
* Properties: a line is replaced whole by ``KEY=VALUE`` when it *contains* ``KEY=`` anywhere,
  where every ``.`` of the key matches any character (sed addresses): a commented
  ``#clusterdb.host=...`` is replaced (and so uncommented) too; a missing key is never added;
  a replaced last line always ends with a newline. In order: ``conf/red5.properties``
  ``clusterdb.host``, ``clusterdb.user``, ``clusterdb.password``; then in the
  ``WEB-INF/red5-web.properties`` of every directory under ``webapps/`` (``root`` included)
  ``db.type``, ``db.host``, ``db.user``, ``db.password``. User and password are the deprecated
  third and fourth arguments: empty.
* Then, in both modes, ``useGlobalIp=`` and the rest of its line become ``useGlobalIp=false``
  in ``conf/red5.properties`` (text before it on the line is kept).
* Database type from the URL: cluster - an IPv4 address, ``localhost`` or anything starting with
  ``mongo`` is ``mongodb``, everything else ``redisdb`` (``redis...`` or a Redis configuration
  file); standalone - the same, with an optional ``:port`` allowed after the address or
  ``localhost``, and no URL at all gives ``mapdb`` with empty ``clusterdb.host`` and ``db.host``.
* The script always edits ``/usr/local/antmedia`` (``functions.sh`` hard-codes it on Linux),
  whatever directory it is started from or installed in.

This file needs only Python's standard library (it also runs at boot on hosts without
Ansible). The public API: ``plan(home, mode, url=None)`` -> list of ``FileEdit`` (``path``,
``before``, ``after``, ``changed``), ``read_state(home)``, ``apply(edits)``; the web panel's
first administrator: ``Console`` and ``ensure_initial_admin`` (end of this file).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import json
import os
import re
import ssl
import tempfile
import time
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import HTTPRedirectHandler, HTTPSHandler, ProxyHandler, Request, build_opener
from xml.parsers import expat

# The path the vendor script edits, whatever it is given.
VENDOR_HOME = "/usr/local/antmedia"
DEFAULT_HOME = VENDOR_HOME
SCRIPT = "change_server_mode.sh"

# Every file name of the layout, in one place: a later layout (conf/ant-media.properties,
# WEB-INF/ant-media-web.properties) is a change here only.
SERVER_PROPERTIES = "conf/red5.properties"
JEE_CONTAINER = "conf/jee-container.xml"
WEBAPPS = "webapps"
APP_PROPERTIES = "WEB-INF/red5-web.properties"

MODES = ("cluster", "standalone")
# Keys in the order the vendor script replaces their lines.
SERVER_KEYS = ("clusterdb.host", "clusterdb.user", "clusterdb.password")
APP_KEYS = ("db.type", "db.host", "db.user", "db.password")
GLOBAL_IP_KEY = "useGlobalIp"
GLOBAL_IP_VALUE = "false"
# Keys whose values hold the database URL (shown redacted) or a password (masked).
URL_KEYS = ("clusterdb.host", "db.host")
PASSWORD_KEYS = ("clusterdb.password", "db.password")
MASK = "****"

START_ACTIVE = "<!-- cluster start -->"
START_INACTIVE = "<!-- cluster start "
END_ACTIVE = "<!-- cluster end -->"
END_INACTIVE = "cluster end -->"
# Longer spelling first: at one position the vendor's POSIX regex takes the longest match.
_START = re.compile(r"<!-- cluster start -->|<!-- cluster start")
_END = re.compile(r"<!-- cluster end -->|cluster end -->")

_IPV4 = r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+"
_MONGO_CLUSTER = re.compile(r"^(%s|localhost|mongo.*)$" % _IPV4, re.S)
_MONGO_STANDALONE = re.compile(r"^(%s(:[0-9]{1,5})?|localhost(:[0-9]{1,5})?|mongo.*)$" % _IPV4, re.S)

# Text the vendor's later line edits would find inside a URL once it is written (a URL holding
# "db.user=" would have its db.host line replaced by "db.user=" on the same run).
_KEY_INSIDE_URL = re.compile("|".join(
    key + "=" for key in APP_KEYS + (GLOBAL_IP_KEY,)))


class AntMediaError(ValueError):
    """The tree or the input cannot be handled (message is safe to show)."""


# -- the vendor script's edits, as text functions ---------------------------------------------
def database_type(mode, url):
    """``mongodb``, ``redisdb`` or ``mapdb``, derived from ``url`` as the vendor script does."""
    if mode not in MODES:
        raise AntMediaError("mode must be one of %s, got %r" % (", ".join(MODES), mode))
    if not url:
        if mode == "cluster":
            raise AntMediaError("cluster mode needs a database URL")
        return "mapdb"
    pattern = _MONGO_CLUSTER if mode == "cluster" else _MONGO_STANDALONE
    return "mongodb" if pattern.match(url) else "redisdb"


def check_url(url):
    """Refuse a URL the vendor's line edits could not write literally (or would damage)."""
    if not url:
        return url
    for char in url:
        if char.isspace() or ord(char) < 32 or ord(char) == 127:
            raise AntMediaError("the database URL must not contain white space or control "
                                "characters (the vendor script splits its arguments on white space)")
    if "\\" in url:
        raise AntMediaError("the database URL must not contain a backslash (the vendor's line "
                            "edit reads it as an escape); percent-encode it as %5C")
    found = _KEY_INSIDE_URL.search(url)
    if found:
        raise AntMediaError("the database URL contains %r, which the vendor script's later line "
                            "edits would match and overwrite" % found.group(0))
    return url


def _address(key):
    # The key as the vendor's sed address: each '.' matches any character.
    return re.compile(key + "=")


def replace_lines(text, key, value):
    """Replace every line containing ``key=`` by ``key=value`` (never adds a line)."""
    pattern = _address(key)
    parts = text.split("\n")
    tail = parts.pop()  # what follows the last newline: '' when the file ends with one
    out = []
    for line in parts:
        out.append(key + "=" + value + "\n" if pattern.search(line) else line + "\n")
    if tail:
        # A replaced last line gets a newline, an untouched one stays as it was.
        out.append(key + "=" + value + "\n" if pattern.search(tail) else tail)
    return "".join(out)


def set_global_ip(text):
    """``useGlobalIp=`` and the rest of its line become ``useGlobalIp=false``."""
    return re.sub(GLOBAL_IP_KEY + "=[^\n]*", GLOBAL_IP_KEY + "=" + GLOBAL_IP_VALUE, text)


def toggle_cluster_blocks(text, mode):
    """Every cluster block marker rewritten for ``mode`` (indentation, trailing text kept)."""
    if mode == "cluster":
        text = _START.sub(START_ACTIVE, text)
        return _END.sub(END_ACTIVE, text)
    text = _START.sub(START_INACTIVE, text)
    return _END.sub(END_INACTIVE, text)


def cluster_blocks(text):
    """Counts of the markers: ``{"active": n, "inactive": m}`` (starts and ends together)."""
    counts = {"active": 0, "inactive": 0}
    for pattern, active in ((_START, START_ACTIVE), (_END, END_ACTIVE)):
        for found in pattern.finditer(text):
            counts["active" if found.group(0) == active else "inactive"] += 1
    return counts


def blocks_mode(text):
    """``cluster``, ``standalone``, ``mixed`` or ``none``, from the markers of jee-container.xml."""
    counts = cluster_blocks(text)
    if counts["active"] and counts["inactive"]:
        return "mixed"
    if counts["active"]:
        return "cluster"
    return "standalone" if counts["inactive"] else "none"


def server_properties(text, url):
    for key in SERVER_KEYS:
        text = replace_lines(text, key, url if key == "clusterdb.host" else "")
    return set_global_ip(text)


def app_properties(text, db_type, url):
    values = {"db.type": db_type, "db.host": url}
    for key in APP_KEYS:
        text = replace_lines(text, key, values.get(key, ""))
    return text


# -- the tree ---------------------------------------------------------------------------------
class FileEdit(object):
    """One file of the tree: its text before and after the mode change."""

    def __init__(self, path, kind, before, after):
        self.path = path
        self.kind = kind  # "server", "app" or "jee"
        self.before = before
        self.after = after

    @property
    def changed(self):
        return self.before != self.after

    def __repr__(self):
        return "FileEdit(%r, changed=%r)" % (self.path, self.changed)


def read_text(path):
    """A file's text; bytes that are not UTF-8 survive a round trip unchanged."""
    try:
        with io.open(path, "rb") as handle:
            return handle.read().decode("utf-8", "surrogateescape")
    except (IOError, OSError) as exc:
        raise AntMediaError("cannot read %s: %s" % (path, exc.strerror or exc))


def app_files(home):
    """``[(app, path)]`` for every directory under webapps/ that has the settings file."""
    root = os.path.join(home, WEBAPPS)
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return []
    found = []
    for name in names:
        if name.startswith(".") or not os.path.isdir(os.path.join(root, name)):
            continue  # the vendor lists webapps/*/: no hidden directories, no files
        path = os.path.join(root, name, APP_PROPERTIES)
        if os.path.isfile(path):
            found.append((name, path))
    return found


def check_tree(home):
    """Fail clearly when ``home`` is not an Ant Media Server installation."""
    if not os.path.isdir(home):
        raise AntMediaError("Ant Media home %s does not exist" % home)
    for name in (SERVER_PROPERTIES, JEE_CONTAINER):
        if not os.path.isfile(os.path.join(home, name)):
            raise AntMediaError("%s is missing under %s: not an Ant Media Server home" % (name, home))


def _is_well_formed(text):
    parser = expat.ParserCreate(encoding="UTF-8")
    try:
        parser.Parse(text.encode("utf-8", "surrogateescape"), True)
    except expat.ExpatError:
        return False
    return True


def plan(home, mode, url=None):
    """The files of ``home`` before and after switching to ``mode``; writes nothing.

    When the tree already reads as ``mode`` with this database (running the vendor script would
    change no setting), every ``after`` equals its ``before``. Otherwise every file gets the
    vendor script's edits, so the written tree is byte-identical to the one the script leaves.
    """
    url = check_url(url or "")
    db_type = database_type(mode, url)
    check_tree(home)
    edits = []
    server_path = os.path.join(home, SERVER_PROPERTIES)
    before = read_text(server_path)
    edits.append(FileEdit(server_path, "server", before, server_properties(before, url)))
    for _name, path in app_files(home):
        before = read_text(path)
        edits.append(FileEdit(path, "app", before, app_properties(before, db_type, url)))
    jee_path = os.path.join(home, JEE_CONTAINER)
    before = read_text(jee_path)
    current_blocks = blocks_mode(before)
    if mode == "cluster" and current_blocks == "none":
        raise AntMediaError("%s has no '<!-- cluster start' / 'cluster end -->' markers: this server "
                            "cannot run in cluster mode" % jee_path)
    edits.append(FileEdit(jee_path, "jee", before, toggle_cluster_blocks(before, mode)))

    settings_current = all(not edit.changed for edit in edits if edit.kind != "jee")
    blocks_current = current_blocks == mode or (mode == "standalone" and current_blocks == "none")
    if settings_current and blocks_current:
        # Already in this mode. (A standalone run of the script would still add a space after
        # each start marker; that is not a change of mode.)
        for edit in edits:
            edit.after = edit.before
        return edits
    jee = edits[-1]
    if jee.changed and not _is_well_formed(jee.after) and _is_well_formed(jee.before):
        raise AntMediaError("%s would not be well-formed XML after the switch (a comment inside "
                            "a cluster block?); nothing was changed" % jee_path)
    return edits


def _last_value(text, key):
    # The value Ant Media (java.util.Properties) reads: the last uncommented "key=value" line.
    value = None
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("#", "!")):
            continue
        name, sep, rest = stripped.partition("=")
        if sep and name.strip() == key:
            value = rest.strip()
    return value


def read_state(home):
    """The current mode and settings as the files tell them (URLs redacted).

    Returns ``{"mode": cluster|standalone|mixed|none (from the cluster blocks), "cluster_blocks":
    {"active", "inactive"}, "database_url", "use_global_ip", "apps": {app: {"db_type",
    "db_host"}}, "apps_without_db": [app...]}``.
    """
    check_tree(home)
    server = read_text(os.path.join(home, SERVER_PROPERTIES))
    jee = read_text(os.path.join(home, JEE_CONTAINER))
    apps, without = {}, []
    for name, path in app_files(home):
        text = read_text(path)
        db_type = _last_value(text, "db.type")
        if db_type is None:
            without.append(name)
            continue
        apps[name] = {"db_type": db_type, "db_host": redact_url(_last_value(text, "db.host"))}
    return {
        "mode": blocks_mode(jee),
        "cluster_blocks": cluster_blocks(jee),
        "database_url": redact_url(_last_value(server, "clusterdb.host")),
        "use_global_ip": _last_value(server, GLOBAL_IP_KEY),
        "apps": apps,
        "apps_without_db": without,
    }


def write_file(path, text, private=False):
    """Replace ``path`` atomically, keeping its mode and (when allowed) its owner; ``private``
    takes every permission from group and others (the owner, the server's user, keeps its)."""
    data = text.encode("utf-8", "surrogateescape")
    info = os.stat(path)
    directory = os.path.dirname(path)
    handle, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", dir=directory)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, info.st_mode & (0o7700 if private else 0o7777))
        try:
            os.chown(tmp, info.st_uid, info.st_gid)
        except OSError:
            pass  # not root: the file stays ours, as sed -i would leave it
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def holds_password(text):
    """Whether a database URL of ``text`` (``clusterdb.host``, ``db.host``) carries a password."""
    for key in ("clusterdb.host", "db.host"):
        value = _last_value(text, key)
        if value and redact_url(value) != value:
            return True
    return False


def apply(edits):
    """Write every changed file; returns the paths written. A file that then holds a database
    password is readable by its owner only (issue 21: the vendor ships the settings files
    world-readable, and any local user would read the password there)."""
    written = []
    for edit in edits:
        if edit.changed:
            write_file(edit.path, edit.after, private=holds_password(edit.after))
            written.append(edit.path)
    return written


# -- secrets ----------------------------------------------------------------------------------
def redact_url(text):
    """``text`` with the password of a ``scheme://user:password@host`` URL replaced by ****.

    Also masks the values of query options whose name holds "password". Safe on anything.
    """
    if not text:
        return text
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    # The user information ends at the last '@' before the options: an unencoded '/' or ':'
    # in a password stays inside what is masked.
    before_query = rest.partition("?")[0]
    if "@" in before_query:
        cut = before_query.rindex("@")
        user, colon, _password = rest[:cut].partition(":")
        rest = user + (":" + MASK if colon else "") + rest[cut:]
    head, mark, tail = rest.partition("?")
    tail = re.sub(r"((?:^|&)[^=&]*password[^=&]*=)[^&#]*", r"\1" + MASK, tail, flags=re.I)
    return scheme + sep + head + mark + tail


def masked(text):
    """A properties text fit for a diff: URLs redacted, password values masked."""
    out = []
    for line in text.splitlines(True):
        body = line.rstrip("\r\n")
        ending = line[len(body):]
        key, sep, value = body.partition("=")
        name = key.strip().lstrip("#!").strip()
        if sep and value and name in URL_KEYS:
            body = key + sep + redact_url(value)
        elif sep and value and name in PASSWORD_KEYS:
            body = key + sep + MASK
        out.append(body + ending)
    return "".join(out)


def diff_entries(edits, home=None):
    """Ansible ``diff`` entries, one per changed file, with secrets masked."""
    entries = []
    for edit in edits:
        if not edit.changed:
            continue
        name = os.path.relpath(edit.path, home) if home else edit.path
        show = (lambda text: text) if edit.kind == "jee" else masked
        entries.append({
            "before_header": name,
            "after_header": name,
            "before": show(edit.before),
            "after": show(edit.after),
        })
    return entries


def changed_keys(edit):
    """What changed in one file, by key (or ``cluster blocks``), for the module's report."""
    if not edit.changed:
        return []
    if edit.kind == "jee":
        return ["cluster blocks"]
    keys = SERVER_KEYS + (GLOBAL_IP_KEY,) if edit.kind == "server" else APP_KEYS
    found = set()
    # Line for line: the vendor's edits replace lines, they never add or remove one.
    for old, new in zip(edit.before.splitlines(), edit.after.splitlines()):
        if old != new:
            found.update(key for key in keys if _address(key).search(new))
    return [key for key in keys if key in found]


def is_vendor_home(home):
    return os.path.normpath(home) == VENDOR_HOME


def script_argv(home, mode, url=None):
    """The vendor script's command line; refuses a home the script would not edit."""
    if not is_vendor_home(home):
        raise AntMediaError("method=script edits %s whatever home is given (the vendor's "
                            "functions.sh hard-codes it); home is %s: use method=files"
                            % (VENDOR_HOME, home))
    url = check_url(url or "")
    database_type("cluster" if mode == "cluster" else "standalone", url)
    script = os.path.join(home, SCRIPT)
    if not os.access(script, os.X_OK):
        raise AntMediaError("%s is missing or not executable (method=script)" % script)
    return [script, mode] + ([url] if url else [])


# -- first administrator of the web panel -------------------------------------------------------
# The console application (webapps/root, port 5080) of ant-media/Ant-Media-Server at
# 5130ad8893a2a36d36f167045cf3db41cdf0057c, read from src/main/java/io/antmedia/console/rest/:
# RestServiceV2.java (paths), CommonRestService.java (addInitialUser, isFirstLogin,
# authenticateUser), AuthenticationFilter.java (the three paths need no login) and
# src/main/java/io/antmedia/rest/model/Result.java (every answer is a Result:
# {"success": bool, "message": str, "dataId": str, "errorId": int}).
# * GET first-login-status: success true while the user store is empty.
# * POST users/initial: adds the user (as ADMIN, scope "system", password stored as MD5) only
#   while the store is empty; otherwise success false with no message. Either way the server
#   then reports the e-mail to the vendor: never post it when a user exists.
# * POST users/authenticate: success true when e-mail and password log in. Failed attempts count
#   towards the server's login block, so it is only called when asked (verify_existing).
# In cluster mode the store is the cluster database (serverdb), shared by every node.
CONSOLE_DEFAULT_URL = "http://127.0.0.1:5080"
FIRST_LOGIN_STATUS_PATH = "/rest/v2/first-login-status"
INITIAL_USER_PATH = "/rest/v2/users/initial"
AUTHENTICATE_PATH = "/rest/v2/users/authenticate"
ADMIN_USER_TYPE = "ADMIN"
SYSTEM_SCOPE = "system"


class ConsoleError(AntMediaError):
    """The console application could not be reached or answered something unexpected."""


class _NoRedirect(HTTPRedirectHandler):
    """Refuses redirects: a redirected POST would arrive as a GET, without the user."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise ConsoleError("%s answered %s, redirecting to %s: set url to the address it points at"
                           % (req.get_full_url(), code, newurl))


def check_console_url(url):
    """``url`` without a trailing slash; refuses anything but http(s)://host[:port][/prefix]."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise AntMediaError("url must be http(s)://HOST[:PORT] of the server's console "
                            "(port 5080, or a balancer in front of it); got %r" % url)
    return url.rstrip("/")


class Console(object):
    """The console application's unauthenticated first-administrator calls."""

    def __init__(self, url=CONSOLE_DEFAULT_URL, timeout=10, validate_certs=True, opener=None):
        self.url = check_console_url(url)
        self.timeout = timeout
        if opener is None:
            context = ssl.create_default_context()
            if not validate_certs:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            # No proxy from the environment: the console is the server itself or its balancer.
            opener = build_opener(ProxyHandler({}), HTTPSHandler(context=context), _NoRedirect())
        self.opener = opener

    def call(self, path, body=None):
        """The JSON object the console answers at ``path`` (POST with ``body``, else GET)."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = Request(self.url + path, data=data, method="GET" if body is None else "POST",
                          headers={"Content-Type": "application/json", "Accept": "application/json"})
        where = "%s %s" % (request.get_method(), self.url + path)
        try:
            response = self.opener.open(request, timeout=self.timeout)
            status, raw = response.getcode(), response.read()
        except HTTPError as exc:
            raise ConsoleError("%s answered HTTP %s%s" % (
                where, exc.code, " (is this Ant Media Server's console on port 5080?)" if exc.code == 404 else ""))
        except (URLError, OSError) as exc:
            raise ConsoleError("%s failed: %s" % (where, getattr(exc, "reason", None) or exc))
        try:
            doc = json.loads(raw.decode("utf-8"))
        except ValueError:
            doc = None
        if not isinstance(doc, dict) or not isinstance(doc.get("success"), bool):
            raise ConsoleError("%s answered HTTP %s without a result object (success true/false)"
                               % (where, status))
        return doc

    def first_login_open(self):
        """True while the server has no user at all (anyone could claim the panel)."""
        return self.call(FIRST_LOGIN_STATUS_PATH)["success"]

    def create_initial_admin(self, email, password, first_name=None, last_name=None):
        user = {"email": email, "password": password, "scope": SYSTEM_SCOPE, "userType": ADMIN_USER_TYPE}
        if first_name:
            user["firstName"] = first_name
        if last_name:
            user["lastName"] = last_name
        return self.call(INITIAL_USER_PATH, user)["success"]

    def authenticates(self, email, password):
        return self.call(AUTHENTICATE_PATH, {"email": email, "password": password})["success"]


def wait_for_console(console, wait_timeout, sleep=None, clock=None):
    """First-login status, retried on failures until ``wait_timeout`` seconds have passed."""
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    deadline = clock() + max(0, wait_timeout)
    while True:
        try:
            return console.first_login_open()
        except ConsoleError:
            if clock() >= deadline:
                raise
        sleep(min(5, max(0.5, deadline - clock())))


def ensure_initial_admin(console, email, password, check_mode=False, verify_existing=False,
                         first_name=None, last_name=None, wait_timeout=0):
    """Create the first administrator unless the server has a user; never changes an existing one.

    Returns ``changed``, ``created``, ``user_existed``, ``verified`` (None when not asked) and a
    ``message``; raises ``AntMediaError`` (nothing changed) when the answer is not usable.
    """
    if not email or not email.strip() or email != email.strip():
        raise AntMediaError("email must be a non-empty user name without surrounding spaces")
    if not password:
        raise AntMediaError("password must not be empty")
    result = {"changed": False, "created": False, "verified": None}
    open_ = wait_for_console(console, wait_timeout)
    result["user_existed"] = not open_
    if not open_:
        if verify_existing:
            result["verified"] = console.authenticates(email, password)
            if not result["verified"]:
                raise AntMediaError(
                    "the server already has a user and %s does not log in with the given password: "
                    "someone else may have claimed the panel; nothing was changed" % email)
        result["message"] = "the server already has a user; nothing was sent (an existing user is never changed)"
        return result
    result["changed"] = True
    if check_mode:
        result["message"] = "the first administrator %s would be created" % email
        return result
    if not console.create_initial_admin(email, password, first_name, last_name):
        if not console.first_login_open():
            # Someone (another node of the cluster, or a visitor) created the first user between
            # the two calls: nothing of ours was written.
            raise AntMediaError("another user was created on the server while %s was being added; "
                                "nothing was changed: check who owns the panel" % email)
        raise AntMediaError("the server refused to create the first administrator %s (success false)" % email)
    result["created"] = True
    result["message"] = "created the first administrator %s" % email
    return result
