# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Build, parse, validate and redact MongoDB connection URLs.

Ant Media's ``change_server_mode.sh`` and its configuration files take the cluster database as
one string. The vendor script guesses what a bare string means (a host name that does not start
with ``mongo`` is read as a Redis configuration file, other non-URL input triggers an
interactive question), so the collection always hands it a complete ``mongodb://`` or
``mongodb+srv://`` URL built here, with user and password percent-encoded.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

try:
    from urllib.parse import quote, unquote
except ImportError:  # pragma: no cover - Python 2 is not supported by the collection
    from urllib import quote, unquote  # type: ignore

SCHEMES = ("mongodb", "mongodb+srv")
REDACTED = "****"

_BOOL = "bool"
_INT = "int"
_STR = "str"

# Connection string options of the MongoDB URI specification (lower-case key -> canonical
# spelling, value kind). Unknown keys are refused: a typo would otherwise be ignored silently
# by the driver.
_OPTION_SPECS = {}
for _name, _kind in (
    ("appName", _STR), ("authMechanism", _STR), ("authMechanismProperties", _STR),
    ("authSource", _STR), ("compressors", _STR), ("connectTimeoutMS", _INT),
    ("directConnection", _BOOL), ("heartbeatFrequencyMS", _INT), ("journal", _BOOL),
    ("loadBalanced", _BOOL), ("localThresholdMS", _INT), ("maxConnecting", _INT),
    ("maxIdleTimeMS", _INT), ("maxPoolSize", _INT), ("maxStalenessSeconds", _INT),
    ("minPoolSize", _INT), ("proxyHost", _STR), ("proxyPort", _INT), ("proxyUsername", _STR),
    ("proxyPassword", _STR), ("readConcernLevel", _STR), ("readPreference", _STR),
    ("readPreferenceTags", _STR), ("replicaSet", _STR), ("retryReads", _BOOL),
    ("retryWrites", _BOOL), ("serverMonitoringMode", _STR), ("serverSelectionTimeoutMS", _INT),
    ("serverSelectionTryOnce", _BOOL), ("socketTimeoutMS", _INT), ("srvMaxHosts", _INT),
    ("srvServiceName", _STR), ("ssl", _BOOL), ("timeoutMS", _INT), ("tls", _BOOL),
    ("tlsAllowInvalidCertificates", _BOOL), ("tlsAllowInvalidHostnames", _BOOL),
    ("tlsCAFile", _STR), ("tlsCertificateKeyFile", _STR),
    ("tlsCertificateKeyFilePassword", _STR), ("tlsDisableCertificateRevocationCheck", _BOOL),
    ("tlsDisableOCSPEndpointCheck", _BOOL), ("tlsInsecure", _BOOL), ("uuidRepresentation", _STR),
    ("w", _STR), ("waitQueueTimeoutMS", _INT), ("wTimeoutMS", _INT), ("zlibCompressionLevel", _INT),
):
    _OPTION_SPECS[_name.lower()] = (_name, _kind)

# Options whose values are secrets and are masked in the redacted form.
SECRET_OPTIONS = frozenset(("tlsCertificateKeyFilePassword", "proxyPassword"))

_HOSTNAME_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")
_DATABASE_FORBIDDEN = set('/\\. "$')


class MongoUrlError(ValueError):
    """The input is not a usable MongoDB URL (the message says why, without secrets)."""


class MongoUrl(object):
    """A parsed MongoDB URL. ``hosts`` is a list of ``(host, port_or_None)``."""

    def __init__(self, scheme="mongodb", hosts=None, user=None, password=None, database=None,
                 options=None):
        self.scheme = scheme
        self.hosts = list(hosts or [])
        self.user = user
        self.password = password
        self.database = database
        self.options = dict(options or {})

    @property
    def srv(self):
        return self.scheme == "mongodb+srv"

    def to_dict(self, redact=True):
        """Plain data for module results; the password is left out unless ``redact=False``."""
        result = dict(
            scheme=self.scheme,
            hosts=[format_host(h, p) for h, p in self.hosts],
            user=self.user,
            database=self.database,
            options=dict((k, REDACTED if (redact and k in SECRET_OPTIONS) else v)
                         for k, v in self.options.items()),
        )
        if not redact:
            result["password"] = self.password
        return result

    def render(self, redact=False):
        return _render(self, redact=redact)

    def __eq__(self, other):
        return isinstance(other, MongoUrl) and self.render() == other.render()

    def __ne__(self, other):
        return not self == other

    def __repr__(self):
        return "MongoUrl(%r)" % self.render(redact=True)


def _render(url, redact=False):
    text = url.scheme + "://"
    if url.user is not None:
        text += quote(url.user, safe="")
        if url.password is not None:
            text += ":" + (REDACTED if redact else quote(url.password, safe=""))
        text += "@"
    text += ",".join(format_host(h, p) for h, p in url.hosts)
    if url.database or url.options:
        text += "/"
    if url.database:
        text += quote(url.database, safe="")
    if url.options:
        pairs = []
        for key in sorted(url.options, key=lambda k: k.lower()):
            if redact and key in SECRET_OPTIONS:
                shown = REDACTED
            else:
                shown = quote(url.options[key], safe=":,")
            pairs.append("%s=%s" % (key, shown))
        text += "?" + "&".join(pairs)
    return text


def format_host(host, port=None):
    """``host[:port]`` with IPv6 literals in brackets."""
    shown = "[%s]" % host if ":" in host else host
    return shown if port is None else "%s:%d" % (shown, port)


def validate_port(port, what="port"):
    """Return ``port`` as an int in 1..65535 or raise MongoUrlError."""
    if isinstance(port, bool):
        raise MongoUrlError("%s must be a number from 1 to 65535, got %r" % (what, port))
    try:
        value = int(str(port).strip())
    except (TypeError, ValueError):
        raise MongoUrlError("%s must be a number from 1 to 65535, got %r" % (what, port))
    if str(port).strip() != str(value) or not 1 <= value <= 65535:
        raise MongoUrlError("%s must be a number from 1 to 65535, got %r" % (what, port))
    return value


def validate_host(host):
    """Return a host name, IPv4 or IPv6 address (without brackets) or raise MongoUrlError."""
    if not isinstance(host, str) or not host:
        raise MongoUrlError("empty host name")
    if "://" in host or "/" in host:
        # checked first: "http://db:27017" would otherwise be reported as a bad IPv6 address
        raise MongoUrlError("%r is a URL or path; give the host name or address alone" % host)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise MongoUrlError("%r is not a valid IPv6 address" % host)
        return host
    if len(host) > 253:
        raise MongoUrlError("host name %r is longer than 253 characters" % host[:40])
    labels = host.rstrip(".").split(".")
    if not all(_HOSTNAME_LABEL.match(label) for label in labels):
        raise MongoUrlError("%r is not a valid host name or IP address" % host)
    if all(label.isdigit() for label in labels):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise MongoUrlError("%r is not a valid IPv4 address" % host)
    return host


def split_host_port(text, default_port=None):
    """Split ``host``, ``host:port``, ``[v6]``, ``[v6]:port`` or a bare IPv6 address."""
    text = text.strip() if isinstance(text, str) else text
    if not text:
        raise MongoUrlError("empty host name")
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise MongoUrlError("unclosed '[' in host %r" % text)
        host, rest = text[1:end], text[end + 1:]
        if rest and not rest.startswith(":"):
            raise MongoUrlError("unexpected %r after IPv6 address in %r" % (rest, text))
        port = validate_port(rest[1:], "port of host %s" % text) if rest else default_port
        if not host:
            raise MongoUrlError("empty host name in %r" % text)
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise MongoUrlError("%r is not a valid IPv6 address" % host)
        return host, port
    if text.count(":") > 1:  # a bare IPv6 literal, no port possible
        return validate_host(text), default_port
    if ":" in text:
        host, port_text = text.split(":", 1)
        return validate_host(host), validate_port(port_text, "port of host %s" % text)
    return validate_host(text), default_port


def _normalize_option(key, value):
    spec = _OPTION_SPECS.get(str(key).lower())
    if spec is None:
        raise MongoUrlError("unknown MongoDB connection option %r" % key)
    name, kind = spec
    if kind == _BOOL:
        if isinstance(value, bool):
            return name, "true" if value else "false"
        text = str(value).strip().lower()
        if text not in ("true", "false"):
            raise MongoUrlError("option %s must be true or false, got %r" % (name, value))
        return name, text
    if kind == _INT:
        if isinstance(value, bool) or not re.match(r"^-?\d+$", str(value).strip()):
            raise MongoUrlError("option %s must be an integer, got %r" % (name, value))
        return name, str(int(str(value).strip()))
    if value is None or str(value) == "":
        raise MongoUrlError("option %s needs a value" % name)
    text = str(value)
    if any(c.isspace() for c in text) and name != "appName":
        raise MongoUrlError("option %s must not contain white space" % name)
    return name, text


def normalize_options(options):
    """Validate a dict of connection options; return them with canonical key spelling."""
    result = {}
    for key, value in (options or {}).items():
        name, text = _normalize_option(key, value)
        if name in result:
            raise MongoUrlError("option %s given twice" % name)
        result[name] = text
    if "tls" in result and "ssl" in result and result["tls"] != result["ssl"]:
        raise MongoUrlError("options tls and ssl disagree")
    return result


def _check_credential(value, what):
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    if value == "":
        raise MongoUrlError("%s must not be empty" % what)
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise MongoUrlError("%s must not contain control characters" % what)
    return value


def _check_database(database):
    if database in (None, ""):
        return None
    if set(database) & _DATABASE_FORBIDDEN:
        raise MongoUrlError("database name %r contains a character MongoDB forbids" % database)
    return database


def _check_srv(url):
    if not url.srv:
        return
    if len(url.hosts) != 1:
        raise MongoUrlError("mongodb+srv:// takes exactly one host name, got %d" % len(url.hosts))
    host, port = url.hosts[0]
    if port is not None:
        raise MongoUrlError("mongodb+srv:// host must not have a port")
    if ":" in host or re.match(r"^[\d.]+$", host):
        raise MongoUrlError("mongodb+srv:// needs a DNS name, not an IP address")
    if host.rstrip(".").count(".") < 2:
        raise MongoUrlError("mongodb+srv:// host %r needs at least three name parts "
                            "(e.g. cluster0.example.com)" % host)
    if "directConnection" in url.options and url.options["directConnection"] == "true":
        raise MongoUrlError("mongodb+srv:// cannot be used with directConnection=true")


def build_mongo_url(hosts, port=None, user=None, password=None, auth_source=None,
                    replica_set=None, tls=None, options=None, srv=False, database=None):
    """Build a canonical URL from parts; returns a ``MongoUrl`` (``.render()`` for the text).

    ``hosts``: list of ``host``, ``host:port``, ``[v6]:port`` or bare IPv6 strings; ``port``
    applies to hosts given without one. The user and password are percent-encoded on render.
    """
    if isinstance(hosts, str):
        hosts = [hosts]
    if not hosts:
        raise MongoUrlError("at least one database host is required")
    if port is not None:
        port = validate_port(port, "database port")
    parsed_hosts = [split_host_port(h, port) if isinstance(h, str) else _bad_host(h) for h in hosts]
    if len(set(parsed_hosts)) != len(parsed_hosts):
        raise MongoUrlError("a database host is listed twice")
    user = _check_credential(user, "database user")
    password = _check_credential(password, "database password")
    if password is not None and user is None:
        raise MongoUrlError("a database password needs a database user")
    opts = normalize_options(options)
    for name, value in (("authSource", auth_source), ("replicaSet", replica_set), ("tls", tls)):
        if value is None or value == "":
            continue
        key, text = _normalize_option(name, value)
        if key in opts and opts[key] != text:
            raise MongoUrlError("%s is given both as an option and in options" % key)
        opts[key] = text
    url = MongoUrl("mongodb+srv" if srv else "mongodb", parsed_hosts, user, password,
                   _check_database(database), opts)
    _check_srv(url)
    return url


DEFAULT_PORT = 27017


def mongodb_url(hosts, user=None, password=None, port=None, srv=False, replica_set=None,
                auth_source=None, tls=None, database=None, options=None):
    """The one place a MongoDB URL is assembled: parts in, canonical URL text out.

    Used by the ``streamfleet.cluster.mongodb_url`` filter (templates, roles) and by modules.
    ``hosts`` is a list or a comma-separated string of ``host``, ``host:port``, ``[v6]:port`` or
    bare IPv6 addresses; ``port`` (27017 when not given) applies to hosts without their own.
    ``mongodb+srv://`` takes one DNS name and no port, so no default port is added there.
    """
    if isinstance(hosts, str):
        hosts = hosts.split(",")
    elif hosts is not None and not isinstance(hosts, (list, tuple)):
        try:
            if isinstance(hosts, dict):
                raise TypeError(hosts)
            hosts = list(hosts)
        except TypeError:
            raise MongoUrlError("database hosts must be a list or a string, got %r" % (hosts,))
    if port in (None, "") and not srv:
        port = DEFAULT_PORT
    elif port in (None, ""):
        port = None
    return build_mongo_url(hosts, port=port, user=user if user != "" else None,
                           password=password if password != "" else None,
                           auth_source=auth_source, replica_set=replica_set, tls=tls,
                           options=options, srv=srv, database=database).render()


def _bad_host(value):
    raise MongoUrlError("database host must be a string, got %r" % (value,))


def parse_mongo_url(text):
    """Parse and validate a ``mongodb://`` or ``mongodb+srv://`` URL into a ``MongoUrl``."""
    if not isinstance(text, str) or not text.strip():
        raise MongoUrlError("the database URL is empty")
    if text != text.strip() or any(c.isspace() for c in text):
        raise MongoUrlError("the database URL must not contain white space")
    scheme, sep, rest = text.partition("://")
    if not sep:
        raise MongoUrlError("the database URL must start with mongodb:// or mongodb+srv://")
    if scheme.lower() not in SCHEMES:
        if scheme.lower() in ("redis", "rediss"):
            raise MongoUrlError("a Redis URL was given; a MongoDB URL (mongodb:// or "
                                "mongodb+srv://) is required")
        raise MongoUrlError("unsupported URL scheme %r: use mongodb:// or mongodb+srv://" % scheme)
    if "#" in rest:
        raise MongoUrlError("the database URL must not contain '#' (percent-encode it as %23)")
    user = password = None
    # The user information ends at the last '@' before the options; finding it first keeps an
    # unencoded '/' or ':' in a password out of the host parsing (and out of error messages).
    before_query = rest.partition("?")[0]
    if "@" in before_query:
        cut = before_query.rindex("@")
        userinfo, rest = rest[:cut], rest[cut + 1:]
        raw_user, colon, raw_password = userinfo.partition(":")
        for raw, what in ((raw_user, "user"), (raw_password, "password")):
            for char in "@:/?[]":
                if char in raw:
                    raise MongoUrlError("the database %s contains %r, which must be "
                                        "percent-encoded as %%%02X" % (what, char, ord(char)))
            if re.search(r"%(?![0-9A-Fa-f]{2})", raw):
                raise MongoUrlError("the database %s contains a '%%' that is not a "
                                    "percent-encoding (write %%25)" % what)
        user = _check_credential(unquote(raw_user), "database user")
        password = _check_credential(unquote(raw_password), "database password") if colon else None
    authority, slash, path_query = rest.partition("/")
    if not slash and "?" in authority:
        raise MongoUrlError("the options of a database URL must follow a '/' (host/?option=...)")
    if not authority:
        raise MongoUrlError("the database URL has no host")
    hosts = []
    for item in _split_hosts(authority):
        hosts.append(split_host_port(item))
    if len(set(hosts)) != len(hosts):
        raise MongoUrlError("a database host is listed twice")
    database, _sep, query = path_query.partition("?")
    options = {}
    if query:
        for pair in query.split("&"):
            if not pair:
                continue
            key, eq, value = pair.partition("=")
            if not eq:
                raise MongoUrlError("option %r has no value" % key)
            name, value = _normalize_option(unquote(key), unquote(value))
            if name in options:
                raise MongoUrlError("option %s given twice" % name)
            options[name] = value
    url = MongoUrl(scheme.lower(), hosts, user, password, _check_database(unquote(database)),
                   options)
    _check_srv(url)
    return url


def _split_hosts(authority):
    items, depth, current = [], 0, ""
    for char in authority:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    if any(not item for item in items):
        raise MongoUrlError("the database URL has an empty host")
    return items


def canonical_mongo_url(text):
    """The URL rebuilt in canonical form (sorted options, consistent encoding)."""
    return parse_mongo_url(text).render()


def redact_mongo_url(text):
    """The URL with its password (and secret options) replaced by ``****``.

    Safe on anything: text that does not parse is reduced to what cannot hold a secret.
    """
    if text is None:
        return None
    try:
        return parse_mongo_url(text).render(redact=True)
    except MongoUrlError:
        return _redact_unparsed(str(text))


def _redact_unparsed(text):
    # Drop everything between '://' and the last '@' of the authority: it may hold a password.
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#]*@)?(.*)$", text, re.S)
    if match:
        return match.group(1) + (REDACTED + "@" if match.group(2) else "") + match.group(3)
    return text


def normalize_for_change_server_mode(value, default_port=None):
    """Turn ``value`` into a ``mongodb://``/``mongodb+srv://`` URL Ant Media reads unambiguously.

    A URL is validated and returned in canonical form. A bare IP address, host name or
    ``host:port`` becomes ``mongodb://host[:port]`` (the vendor script would ask an interactive
    question for those, or read a host name not starting with ``mongo`` as a Redis
    configuration file). Redis URLs, file paths, credentials without a scheme and anything else
    raise MongoUrlError.
    """
    if not isinstance(value, str) or not value.strip():
        raise MongoUrlError("the database address is empty")
    if value != value.strip() or any(c.isspace() for c in value):
        raise MongoUrlError("the database address must not contain white space")
    if "://" in value:
        return canonical_mongo_url(value)
    if value.startswith(("/", ".", "~")):
        raise MongoUrlError("%r looks like a file path (change_server_mode.sh reads that as a "
                            "Redis configuration file); give a MongoDB host or URL" % value)
    if "@" in value or "/" in value or "?" in value:
        raise MongoUrlError("a database address with credentials, a path or options must be a "
                            "full mongodb:// URL (or give the parts separately)")
    if "," in value:
        return build_mongo_url(value.split(","), port=default_port).render()
    return build_mongo_url([value], port=default_port).render()


# --- users --------------------------------------------------------------------------------
# Creating and updating users on a local mongod, for the mongodb_users module. pymongo is only
# needed here; the URL functions above work without it.

PYMONGO_IMPORT_ERROR = None
try:
    from pymongo import MongoClient
    from pymongo.errors import OperationFailure, PyMongoError
except ImportError:
    import traceback
    PYMONGO_IMPORT_ERROR = traceback.format_exc()
    MongoClient = None

    class PyMongoError(Exception):
        """Placeholder so ``except`` clauses work without pymongo."""

    class OperationFailure(PyMongoError):
        """Placeholder so ``except`` clauses work without pymongo (same signature)."""

        def __init__(self, error, code=None, details=None):
            super(OperationFailure, self).__init__(error)
            self.code = code
            self.details = details

AUTHENTICATION_FAILED = 18
UNAUTHORIZED = 13


class MongoUserError(Exception):
    """A user cannot be ensured for a reason the operator must fix (the message says how)."""


class MongoLogin(object):
    """Where and how to reach the server: host, port, timeout in seconds."""

    def __init__(self, host="127.0.0.1", port=DEFAULT_PORT, timeout=30, client_factory=None):
        self.host = host
        self.port = port
        self.timeout = timeout
        self.client_factory = client_factory or MongoClient

    def connect(self, user=None, password=None, auth_db="admin"):
        kwargs = dict(host=self.host, port=self.port, serverSelectionTimeoutMS=self.timeout * 1000)
        if user is not None:
            kwargs.update(username=user, password=password, authSource=auth_db)
        return self.client_factory(**kwargs)

    def can_authenticate(self, user, password, auth_db):
        """True when user/password log in; False on an authentication failure."""
        client = self.connect(user, password, auth_db)
        try:
            client[auth_db].command("connectionStatus")
            return True
        except OperationFailure as exc:
            if exc.code == AUTHENTICATION_FAILED:
                return False
            raise
        finally:
            client.close()


def normalized_roles(roles, default_db):
    """Roles as a set of ``(role, db)``; a bare role name or a role without db is on ``default_db``."""
    result = set()
    for role in roles:
        if isinstance(role, dict):
            result.add((role["role"], role.get("db") or default_db))
        else:
            result.add((role, default_db))
    return result


def role_documents(roles):
    return [{"role": role, "db": db} for role, db in sorted(roles)]


def find_user(client, name, database):
    found = client["admin"].command("usersInfo", {"user": name, "db": database})["users"]
    return found[0] if found else None


def ensure_user(login, client, name, password, database, roles, update_password="always",
                check_mode=False):
    """Create or update one user to have exactly ``roles``; returns created/updated/unchanged.

    With ``update_password="always"`` the password is set again only when it no longer
    authenticates, so a run with the right password changes nothing.
    """
    wanted = normalized_roles(roles, database)
    existing = find_user(client, name, database)
    db = client[database]
    if existing is None:
        if not check_mode:
            db.command("createUser", name, pwd=password, roles=role_documents(wanted))
        return "created"
    update = {}
    if normalized_roles(existing.get("roles", []), database) != wanted:
        update["roles"] = role_documents(wanted)
    if update_password == "always" and not login.can_authenticate(name, password, database):
        update["pwd"] = password
    if not update:
        return "unchanged"
    if not check_mode:
        db.command("updateUser", name, **update)
    return "updated"


def ensure_admin(login, user, password, roles, check_mode=False):
    """Return ``(admin client or None, action or None)`` for the administrator.

    A fresh server is reached through MongoDB's localhost exception to create the first user.
    """
    if login.can_authenticate(user, password, "admin"):
        return login.connect(user, password), None
    if check_mode:
        # Without writing, a fresh server and a wrong password look the same (both refuse
        # anonymous commands); report the creation the real run would attempt.
        return None, "created"
    # Either nobody exists yet (localhost exception) or the password differs.
    anonymous = login.connect()
    try:
        anonymous["admin"].command("createUser", user, pwd=password,
                                   roles=role_documents(normalized_roles(roles, "admin")))
    except OperationFailure as exc:
        if exc.code != UNAUTHORIZED:
            raise
        raise MongoUserError(
            "The administrator '%s' cannot log in with the given password, and users already "
            "exist, so MongoDB's localhost exception no longer allows creating it. Set "
            "mongodb_admin_password to the administrator's current password (change it "
            "afterwards with db.changeUserPassword), then run again." % user)
    finally:
        anonymous.close()
    return login.connect(user, password), "created"


def ensure_users(login, admin_user, admin_password, admin_roles, users, update_password="always",
                 check_mode=False):
    """Ensure the administrator, then each of ``users`` (dicts: name, password, database, roles).

    Returns the list of ``{name, database, action}``; raises MongoUserError or PyMongoError
    (with ``partial_results`` set to what was done so far).
    """
    results = []
    admin = None
    try:
        admin, admin_action = ensure_admin(login, admin_user, admin_password, admin_roles, check_mode)
        results.append(dict(name=admin_user, database="admin", action=admin_action or "unchanged"))
        if admin is None:
            # Check mode on a server without users: every user would be created.
            for spec in users:
                results.append(dict(name=spec["name"], database=spec["database"], action="created"))
            return results
        if admin_action is None:
            results[0]["action"] = ensure_user(login, admin, admin_user, admin_password, "admin",
                                               admin_roles, update_password, check_mode)
        for spec in users:
            action = ensure_user(login, admin, spec["name"], spec["password"], spec["database"],
                                 spec["roles"], update_password, check_mode)
            results.append(dict(name=spec["name"], database=spec["database"], action=action))
        return results
    except (PyMongoError, MongoUserError) as exc:
        exc.partial_results = results
        raise
    finally:
        if admin is not None:
            admin.close()
