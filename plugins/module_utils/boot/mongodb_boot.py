# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""MongoDB at boot: the database instance configures itself, the media nodes wait for it.

API::

    settings = check_settings(doc)           the mongodb role's boot settings (JSON), checked
    set_yaml_key(text, section, key, value) -> text
                                             one key of a two-level YAML mapping (mongod.conf),
                                             in place: comments and other keys kept, a shipped
                                             ``#section:`` uncommented rather than added twice
    plan_config(text, bind_addresses, port) -> text
                                             net.bindIp, net.port and security.authorization
    wait_for_port(host, port, deadline_seconds, sleep, clock) -> bool
    wait_for_database(url, deadline_seconds, sleep, clock, client_factory=None) -> (ok, why)
                                             a node's wait: a login with the URL's user and a
                                             command that needs it, retried with bounded backoff

The database instance's boot (``streamfleet-boot mongodb-boot``, see ``boot/cli.py``) reads
the passwords from the secret store, edits ``mongod.conf`` (the file the mongodb role writes,
so a boot and a playbook leave the same bytes), restarts mongod only when the file changed,
and ensures the administrator and the cluster users with the very code of the
``mongodb_users`` module (``mongodb.py``): through MongoDB's localhost exception on the first
boot, then with the administrator's login; a second boot changes nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
import socket
import time

# Plain YAML scalars the role's to_nice_yaml writes unquoted; anything else is double-quoted.
_PLAIN = re.compile(r"^[A-Za-z0-9_./,:-]+$")
_YAML_SPECIAL = frozenset(("true", "false", "yes", "no", "on", "off", "null", "~", ""))
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 15.0


class MongoBootError(Exception):
    """A refusal or failure whose message is safe to print."""


def _render_scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _YAML_SPECIAL and not text[0] in "-:" and ": " not in text:
        return text
    return json.dumps(text)


def _scalar_text(raw):
    """The value of ``key: raw`` as text (quotes and a trailing comment removed)."""
    raw = raw.strip()
    if raw[:1] in "\"'":
        quote = raw[0]
        end = raw.find(quote, 1)
        if end > 0:
            return raw[1:end]
    return raw.split(" #", 1)[0].strip()


def set_yaml_key(text, section, key, value):
    """``text`` with ``section.key`` set to ``value`` (a block mapping two levels deep)."""
    lines = text.splitlines(True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    wanted = _render_scalar(value)
    top = re.compile(r"^%s:\s*(#.*)?$" % re.escape(section))
    commented = re.compile(r"^#\s?%s:\s*$" % re.escape(section))
    start = next((i for i, line in enumerate(lines) if top.match(line.rstrip("\n"))), None)
    if start is None:
        shipped = next((i for i, line in enumerate(lines) if commented.match(line.rstrip("\n"))), None)
        if shipped is not None:
            lines[shipped] = "%s:\n" % section
            lines.insert(shipped + 1, "  %s: %s\n" % (key, wanted))
        else:
            lines.append("%s:\n  %s: %s\n" % (section, key, wanted))
        return "".join(lines)
    end = start + 1
    indent = None
    while end < len(lines):
        line = lines[end]
        stripped = line.strip()
        if stripped and not line[0].isspace() and not stripped.startswith("#"):
            break
        if stripped and not stripped.startswith("#") and indent is None:
            indent = line[:len(line) - len(line.lstrip())]
        end += 1
    indent = indent or "  "
    pattern = re.compile(r"^(%s)%s:(\s*)(.*?)(\s*)$" % (re.escape(indent), re.escape(key)))
    for i in range(start + 1, end):
        match = pattern.match(lines[i].rstrip("\n"))
        if match:
            current = _scalar_text(match.group(3))
            if current in (wanted, str(value)):
                return "".join(lines)
            lines[i] = "%s%s: %s\n" % (indent, key, wanted)
            return "".join(lines)
    # Not there: the last line of the section's own keys is followed by the new key.
    last = start
    for i in range(start + 1, end):
        if lines[i].strip():
            last = i
    lines.insert(last + 1, "%s%s: %s\n" % (indent, key, wanted))
    return "".join(lines)


def plan_config(text, bind_addresses, port):
    text = set_yaml_key(text, "net", "bindIp", ",".join(bind_addresses))
    text = set_yaml_key(text, "net", "port", int(port))
    return set_yaml_key(text, "security", "authorization", "enabled")


def check_settings(doc):
    """The boot settings with their defaults; MongoBootError naming the first bad one."""
    if not isinstance(doc, dict):
        raise MongoBootError("the MongoDB boot settings are not a JSON object")
    settings = {
        "config_path": doc.get("config_path", "/etc/mongod.conf"),
        "service": doc.get("service", "mongod"),
        "port": doc.get("port", 27017),
        "bind_addresses": doc.get("bind_addresses", ["127.0.0.1"]),
        "bind_private_address": doc.get("bind_private_address", True),
        "update_password": doc.get("update_password", "always"),
        "start_timeout_seconds": doc.get("start_timeout_seconds", 120),
        "admin": doc.get("admin"),
        "users": doc.get("users", []),
    }
    unknown = sorted(set(doc) - set(settings))
    if unknown:
        raise MongoBootError("unknown MongoDB boot setting(s): %s" % ", ".join(unknown))
    if not isinstance(settings["port"], int) or not 1 <= settings["port"] <= 65535:
        raise MongoBootError("port %r is not 1-65535" % (settings["port"],))
    if not isinstance(settings["bind_addresses"], list) or not all(isinstance(a, str) and a for a in settings["bind_addresses"]):
        raise MongoBootError("bind_addresses must be a list of addresses")
    if "0.0.0.0" in settings["bind_addresses"]:
        raise MongoBootError("bind_addresses must not hold 0.0.0.0 (the boot binds the private address)")
    if settings["update_password"] not in ("always", "on_create"):
        raise MongoBootError("update_password is always or on_create")
    for what in ("config_path", "service"):
        if not isinstance(settings[what], str) or not settings[what]:
            raise MongoBootError("%s must be a non-empty string" % what)
    users = [settings["admin"]] + list(settings["users"] if isinstance(settings["users"], list) else [None])
    for index, user in enumerate(users):
        label = "admin" if index == 0 else "users[%d]" % (index - 1)
        if not isinstance(user, dict) or not user.get("name") or not isinstance(user.get("roles"), list):
            raise MongoBootError("%s needs a name and a list of roles" % label)
        if not isinstance(user.get("password_secret"), str) or not user["password_secret"]:
            # Only a reference to a secret store, never a password, may be in the settings.
            raise MongoBootError("%s needs password_secret (a secret reference such as ssm:/name)" % label)
        extra = sorted(set(user) - {"name", "roles", "password_secret", "database"})
        if extra:
            raise MongoBootError("%s has unknown key(s) %s (passwords come only from password_secret)"
                                 % (label, ", ".join(extra)))
        user.setdefault("database", "admin")
    return settings


def _backoff(sleep, clock, give_up_at, backoff):
    left = give_up_at - clock()
    if left <= 0:
        return None
    sleep(min(backoff, left))
    return min(backoff * 2, MAX_BACKOFF_SECONDS)


def wait_for_port(host, port, deadline_seconds, sleep=time.sleep, clock=time.monotonic):
    """True once ``host:port`` accepts a TCP connection, False after ``deadline_seconds``."""
    give_up_at = clock() + deadline_seconds
    backoff = 0.2
    while True:
        try:
            socket.create_connection((host, port), timeout=2).close()
            return True
        except OSError:
            pass
        backoff = _backoff(sleep, clock, give_up_at, backoff)
        if backoff is None:
            return False


def _default_client_factory():
    try:
        from pymongo import MongoClient
        return MongoClient
    except ImportError:
        return None


def wait_for_database(url, deadline_seconds, sleep=time.sleep, clock=time.monotonic, client_factory=None):
    """``(True, how)`` once the URL's user logs in, ``(False, last error)`` after the deadline.

    With pymongo (the antmedia role installs python3-pymongo in cluster mode) the check is a
    login with the URL's credentials and ``connectionStatus`` on the authentication database
    (``ping`` is allowed without a login, so it would not show a wrong password). Without it,
    a TCP connection to one of the hosts of a ``mongodb://`` URL; a ``mongodb+srv://`` URL
    cannot be checked without the driver and is reported so.
    """
    from ansible_collections.streamfleet.cluster.plugins.module_utils.mongodb import parse_mongo_url
    parsed = parse_mongo_url(url)
    factory = client_factory or _default_client_factory()
    give_up_at = clock() + deadline_seconds
    backoff = FIRST_BACKOFF_SECONDS
    last = "not tried"
    while True:
        if factory is not None:
            client = None
            try:
                client = factory(url, serverSelectionTimeoutMS=5000, connectTimeoutMS=5000)
                status = client[parsed.options.get("authSource") or parsed.database or "admin"].command("connectionStatus")
                users = status.get("authInfo", {}).get("authenticatedUsers", [])
                if parsed.user is None or users:
                    return True, "logged in as %s" % (parsed.user or "nobody (no user in the URL)")
                last = "connected but not logged in"
            # Any driver error is retried until the deadline (refused, timeout, login failed);
            # the driver's messages name hosts and codes, never the password.
            except Exception as exc:  # pylint: disable=broad-except
                last = "%s: %s" % (type(exc).__name__, str(exc).splitlines()[0][:300] if str(exc) else "")
            finally:
                if client is not None:
                    client.close()
        elif parsed.srv:
            return True, "not checked (mongodb+srv:// needs python3-pymongo)"
        else:
            for host, port in parsed.hosts:
                if wait_for_port(host, port or 27017, 0, sleep, clock):
                    return True, "port %s open (python3-pymongo missing: the login was not checked)" % (port or 27017)
            last = "no host of the URL accepts connections"
        backoff = _backoff(sleep, clock, give_up_at, backoff)
        if backoff is None:
            return False, last
