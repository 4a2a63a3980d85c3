# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``streamfleet-boot``: the boot-time user data's one way to read metadata and edit config files.

The role ``streamfleet.cluster.server_boot`` installs this package (with the ``files/``,
``servers/antmedia.py`` and ``mongodb.py`` code it imports) on the image and a launcher at
``/usr/local/sbin/streamfleet-boot``. It runs with plain ``python3`` (3.8+) and no Ansible, and
edits files with the very code the modules use, so a boot and a playbook leave the same bytes::

    streamfleet-boot metadata [--source aws|alicloud] [--endpoint URL] NAME
        print a metadata value (``local-ipv4``, ``instance-id``, ``public-ipv4``, ``region``)
    streamfleet-boot set-properties FILE KEY=VALUE [KEY=VALUE ...]
        set keys in a Java properties file, in place; a key the file ships only as a commented
        default (``#key=...``) is uncommented where it stands; never appended twice; a
        secret-looking key given a value leaves the file readable by its owner only
    streamfleet-boot set-jvm-options FILE OPTION [OPTION ...]
        set JVM options in a file of options one (or a few) a line, as ``wcs_config`` does:
        ``-Xmx2g`` replaces the ``-Xmx`` where it stands (WCS ships ``-Xmx1024M`` and no
        ``-Xms``); a new ``-Xms`` goes on the line after ``-Xmx``; comments and WCS's section
        headers (``### JVM OPTIONS ###``) are kept
    streamfleet-boot antmedia-cluster-mode --home DIR --mode cluster|standalone [--url-stdin]
        Ant Media cluster mode as ``antmedia_cluster_mode`` applies it; the database URL is
        read from standard input (never from the command line, where ``ps`` shows it)
        With --password-secret REF the URL on standard input has no password: it is read at
        boot from the secret store (``boot/secrets.py``: ``ssm:NAME``, ``secretsmanager:ID[#key]``)
        with the instance's own credentials and put into the URL percent-encoded; with
        --wait-seconds N the command first waits (bounded backoff) until the URL's user logs in
    streamfleet-boot antmedia-ip-filter --home DIR [--dashboard-allowed-cidr LIST]
            [--rest-allowed-cidr LIST] [--rest-ip-filter-enabled true|false]
        Ant Media's web panel and REST IP filters as ``antmedia_ip_filter`` sets them
        (``servers/antmedia_ip_filter.py``); an option left out leaves its key alone
    streamfleet-boot mongodb-boot --settings-json JSON [--source ...] [--metadata-endpoint URL]
            [--secret-endpoint URL]
        the MongoDB instance configures itself: passwords from the secret store, ``mongod.conf``
        bound to 127.0.0.1 and the private address with authorization on (edited in place),
        mongod restarted only when the file changed, the administrator and the cluster users
        ensured (``boot/mongodb_boot.py``); a second boot changes nothing (exit 0)
    streamfleet-boot drain [--config /etc/streamfleet/drain.json] [--check]
        the drain agent (service ``streamfleet-drain``): waits for the Auto Scaling termination
        lifecycle hook, drains the server, completes the lifecycle action; exit 0 once completed
        (see ``plugins/module_utils/drain/agent.py``)
    streamfleet-boot drain-config [--config /etc/streamfleet/drain.json] --set KEY=VALUE [...]
        set top-level settings of the drain agent (``max_drain_seconds``,
        ``heartbeat_interval_seconds``, ...): the boot user data passes the topology's limits
        this way; a number setting takes a number, a text setting the text as given; the result
        is checked by the agent's own configuration check before the file is replaced; exit 10
        when the file changed (restart ``streamfleet-drain``, not the media server)

Every file is checked and planned before the first write; each changed file is written
atomically (owner and mode kept). What changed is reported on standard error by file and key,
never with values of secret-looking keys or database credentials. Exit status: 0 nothing
changed, 10 something changed (the server needs a restart), 1 error (nothing or only whole
files written), 2 bad command line.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import json
import os
import re
import subprocess
import sys
import time

from ansible_collections.streamfleet.cluster.plugins.module_utils.boot.metadata import (
    SOURCES,
    MetadataError,
    metadata_source,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.files.fileio import read_text, write_atomically
from ansible_collections.streamfleet.cluster.plugins.module_utils.files.jvm_options import JvmOptionsDocument
from ansible_collections.streamfleet.cluster.plugins.module_utils.files.properties import PropertiesDocument

EXIT_UNCHANGED = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CHANGED = 10

PROG = "streamfleet-boot"
# Values of these keys are never shown (same rule as the modules' diffs).
SECRET_LOOKING_KEY = re.compile(r"(?i)(pass(word|wd)?|secret|token|credential|private)")


class BootError(Exception):
    """A refusal or failure whose message is safe to print."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, "%s: error: %s\n" % (self.prog, message))


def _say(stream, message):
    stream.write("%s: %s\n" % (PROG, message))
    stream.flush()


def _read(path):
    if not os.path.isfile(path):
        raise BootError("%s does not exist (the server is not installed where this script expects it)" % path)
    try:
        return read_text(path)[0]
    except (IOError, OSError) as exc:
        raise BootError("cannot read %s: %s" % (path, exc.strerror or exc))


def _write(changes, err):
    """Write every ``(path, before, after, label[, private])`` whose text changed; True when one
    did. ``private``: the text holds a secret, the file is left to its owner only."""
    changed = False
    for change in changes:
        path, before, after, label = change[:4]
        if before == after:
            continue
        try:
            write_atomically(None, path, after, private=bool(change[4:5] and change[4]))
        except (IOError, OSError) as exc:
            raise BootError("cannot write %s: %s" % (path, exc.strerror or exc))
        _say(err, "changed %s%s" % (path, (": " + label) if label else ""))
        changed = True
    return changed


def _key_value(text):
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or key != key.strip():
        # Only the part before "=" is shown: the value may be a secret.
        raise BootError("%r is not KEY=VALUE" % key)
    if any(c in text for c in "\r\n"):
        raise BootError("the setting for %r holds a line break" % key)
    return key, value


# -- commands -----------------------------------------------------------------------------------
def cmd_metadata(args, out, err):
    source = metadata_source(args.source, endpoint=args.endpoint, timeout=args.timeout,
                             retries=args.retries, retry_delay=args.retry_delay)
    out.write(source.get(args.name) + "\n")
    return EXIT_UNCHANGED


def plan_properties(path, settings):
    """``(before, after, changed_keys)`` for ``settings`` (ordered key -> value) in ``path``."""
    before = _read(path)
    doc = PropertiesDocument.parse(before)
    changed_keys = [key for key, value in settings.items() if doc.set(key, value, uncomment=True)]
    return before, doc.render(), changed_keys


def cmd_set_properties(args, out, err):
    settings = {}
    for item in args.settings:
        key, value = _key_value(item)
        if key in settings:
            raise BootError("key %r is given twice" % key)
        settings[key] = value
    before, after, keys = plan_properties(args.file, settings)
    shown = ", ".join(key + (" (secret)" if SECRET_LOOKING_KEY.search(key) else "") for key in keys)
    # A secret given here leaves the file readable by its owner only.
    private = any(value and SECRET_LOOKING_KEY.search(key) for key, value in settings.items())
    if _write([(args.file, before, after, shown, private)], err):
        return EXIT_CHANGED
    _say(err, "%s already current" % args.file)
    return EXIT_UNCHANGED


def cmd_set_jvm_options(args, out, err):
    if not args.options:
        raise BootError("set-jvm-options needs at least one OPTION after the file")
    before = _read(args.file)
    doc = JvmOptionsDocument.parse(before)
    changed = []
    for option in args.options:
        try:
            if doc.set(option):
                changed.append(option)
        except ValueError as exc:
            raise BootError(str(exc))
    if _write([(args.file, before, doc.render(), ", ".join(changed))], err):
        return EXIT_CHANGED
    _say(err, "%s already current" % args.file)
    return EXIT_UNCHANGED


def _antmedia_plans(home, mode, url):
    # Imported here: only this command needs the Ant Media and MongoDB code.
    from ansible_collections.streamfleet.cluster.plugins.module_utils.servers import antmedia
    try:
        result = antmedia.plan(home, mode, url)
    except ValueError as exc:
        raise BootError(str(exc))
    # plan() answers the file plans, or (plans, applications it left alone).
    return list(result[0] if isinstance(result, tuple) else result)


def _redacted(url):
    from ansible_collections.streamfleet.cluster.plugins.module_utils.mongodb import redact_mongo_url
    return redact_mongo_url(url) if url else "no database URL"


def _metadata(args):
    return metadata_source(args.source, endpoint=args.metadata_endpoint, timeout=args.timeout,
                           retries=args.retries, retry_delay=args.retry_delay)


def _read_secret(args, source, reference):
    # Imported here: only the commands that read secrets need the secret stores.
    from ansible_collections.streamfleet.cluster.plugins.module_utils.boot import secrets
    try:
        return secrets.read_secret(reference, source, endpoint=args.secret_endpoint,
                                   deadline_seconds=args.secret_deadline)
    except secrets.SecretError as exc:
        raise BootError(str(exc))


def _url_with_secret_password(args, url, err):
    from ansible_collections.streamfleet.cluster.plugins.module_utils import mongodb
    try:
        parsed = mongodb.parse_mongo_url(url)
    except mongodb.MongoUrlError as exc:
        raise BootError(str(exc))
    if parsed.user is None:
        raise BootError("--password-secret needs a URL with a user (mongodb://USER@host/...)")
    if parsed.password is not None:
        raise BootError("the URL already holds a password; with --password-secret it must not")
    parsed.password = _read_secret(args, _metadata(args), args.password_secret)
    _say(err, "database password read from %s" % args.password_secret.split("#", 1)[0])
    return parsed.render()


def _wait_for_database(args, url, err):
    from ansible_collections.streamfleet.cluster.plugins.module_utils.boot.mongodb_boot import wait_for_database
    started = time.monotonic()
    ok, how = wait_for_database(url, args.wait_seconds)
    took = time.monotonic() - started
    if ok:
        _say(err, "database %s reachable after %.1f s: %s" % (_redacted(url), took, how))
    else:
        # Cluster mode is written all the same: Ant Media's own driver keeps reconnecting.
        _say(err, "warning: database %s not reachable after %d s (%s); cluster mode is applied anyway"
             % (_redacted(url), args.wait_seconds, how))


def cmd_antmedia_ip_filter(args, out, err):
    # Imported here: only this command needs the Ant Media code.
    from ansible_collections.streamfleet.cluster.plugins.module_utils.servers import antmedia_ip_filter
    enabled = None if args.rest_ip_filter_enabled is None else args.rest_ip_filter_enabled == "true"
    try:
        plans = antmedia_ip_filter.ip_filter_plan(
            args.home, dashboard_allowed_cidr=args.dashboard_allowed_cidr,
            rest_allowed_cidr=args.rest_allowed_cidr, rest_ip_filter_enabled=enabled)
    except ValueError as exc:
        raise BootError(str(exc))
    if _write([(item.path, item.before, item.after, ", ".join(antmedia_ip_filter.ip_filter_keys(item)))
               for item in plans], err):
        return EXIT_CHANGED
    _say(err, "Ant Media IP filters already current")
    return EXIT_UNCHANGED


def cmd_antmedia_cluster_mode(args, out, err):
    url = None
    if args.url_stdin:
        url = sys.stdin.readline().strip()
        if sys.stdin.read().strip():
            raise BootError("standard input holds more than one line; give the database URL alone")
    if args.mode == "cluster" and not url:
        raise BootError("cluster mode needs the database URL on standard input (--url-stdin)")
    if args.password_secret:
        if not url:
            raise BootError("--password-secret needs the database URL on standard input")
        url = _url_with_secret_password(args, url, err)
    if url and args.wait_seconds > 0:
        _wait_for_database(args, url, err)
    plans = _antmedia_plans(args.home, args.mode, url or None)
    _say(err, "%s mode with %s" % (args.mode, _redacted(url)))
    from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.antmedia import holds_password
    # A settings file with the database password is readable by its owner only (issue 21).
    if _write([(item.path, item.before, item.after, "", holds_password(item.after)) for item in plans], err):
        return EXIT_CHANGED
    _say(err, "Ant Media files already in %s mode" % args.mode)
    return EXIT_UNCHANGED


def cmd_mongodb_boot(args, out, err):
    from ansible_collections.streamfleet.cluster.plugins.module_utils import mongodb
    from ansible_collections.streamfleet.cluster.plugins.module_utils.boot import mongodb_boot
    try:
        settings = mongodb_boot.check_settings(json.loads(args.settings_json))
    except ValueError as exc:
        raise BootError("--settings-json is not JSON: %s" % exc)
    except mongodb_boot.MongoBootError as exc:
        raise BootError(str(exc))
    if mongodb.PYMONGO_IMPORT_ERROR:
        raise BootError("python3-pymongo is not installed (the mongodb role installs it on the image)")
    # Everything is read before anything changes: a missing secret leaves the host as it was.
    source = _metadata(args)
    bind = list(settings["bind_addresses"])
    if settings["bind_private_address"]:
        address = source.get("local-ipv4")
        if address not in bind:
            bind.append(address)
    passwords = {}
    for user in [settings["admin"]] + settings["users"]:
        passwords[user["name"], user["database"]] = _read_secret(args, source, user["password_secret"])
    before = _read(settings["config_path"])
    after = mongodb_boot.plan_config(before, bind, settings["port"])
    changed = _write([(settings["config_path"], before, after, "net.bindIp=%s, net.port, security.authorization"
                       % ",".join(bind))], err)
    service = settings["service"]
    if changed:
        _systemctl(err, "restart", service)
    elif subprocess.call(["systemctl", "is-active", "--quiet", service]) != 0:
        _systemctl(err, "start", service)
    if not mongodb_boot.wait_for_port("127.0.0.1", settings["port"], settings["start_timeout_seconds"]):
        raise BootError("%s does not accept connections on 127.0.0.1:%d after %d s"
                        % (service, settings["port"], settings["start_timeout_seconds"]))
    admin = settings["admin"]
    users = [dict(name=u["name"], database=u["database"], roles=u["roles"],
                  password=passwords[u["name"], u["database"]]) for u in settings["users"]]
    login = mongodb.MongoLogin(host="127.0.0.1", port=settings["port"], timeout=30)
    results = None
    deadline = time.monotonic() + settings["start_timeout_seconds"]
    while results is None:
        try:
            results = mongodb.ensure_users(login, admin["name"], passwords[admin["name"], admin["database"]],
                                           admin["roles"], users, update_password=settings["update_password"])
        except mongodb.MongoUserError as exc:
            raise BootError(str(exc).replace("Set mongodb_admin_password", "Set the administrator's secret"))
        except mongodb.PyMongoError as exc:
            # mongod may still be starting (the port opens before it takes logins).
            if time.monotonic() >= deadline:
                raise BootError("users on 127.0.0.1:%d: %s" % (settings["port"], type(exc).__name__))
            time.sleep(2)
    for result in results:
        if result["action"] != "unchanged":
            changed = True
            _say(err, "user %s (%s) %s" % (result["name"], result["database"], result["action"]))
    if changed:
        return EXIT_CHANGED
    users = ", ".join(r["name"] for r in results)
    _say(err, "MongoDB already configured: %s, users %s" % (settings["config_path"], users))
    return EXIT_UNCHANGED


def _systemctl(err, action, service):
    if subprocess.call(["systemctl", action, service]) != 0:
        raise BootError("systemctl %s %s failed (journalctl -u %s)" % (action, service, service))
    _say(err, "%s %s" % ({"restart": "restarted", "start": "started"}.get(action, action), service))


def cmd_drain(args, out, err):
    # Imported here: only this command needs the drain agent.
    from ansible_collections.streamfleet.cluster.plugins.module_utils.drain import agent
    if args.check:
        return agent.check(args.config, out=out, err=err)
    return agent.main(args.config, out=out, err=err)


# Settings drain-config may set: the agent's top-level scalars. "server" is fixed when the image
# is built and "sessions" is an object (the server_boot role's server_boot_drain_sessions).
DRAIN_SETTABLE = ("lifecycle_hook_name", "auto_scaling_group_name", "lifecycle_action_result", "max_drain_seconds",
                  "heartbeat_interval_seconds", "state_poll_seconds", "session_poll_seconds",
                  "request_timeout_seconds", "retry_max_seconds", "complete_attempts", "imds_endpoint",
                  "imds_token_ttl_seconds", "autoscaling_endpoint")


def _drain_value(key, text, defaults):
    if key not in DRAIN_SETTABLE:
        raise BootError("drain-config cannot set %r (it sets %s)" % (key, ", ".join(DRAIN_SETTABLE)))
    if isinstance(defaults[key], str):
        return text
    try:
        number = float(text)
    except ValueError:
        raise BootError("drain setting %s=%r is not a number" % (key, text))
    return int(number) if number == int(number) else number


def render_drain_config(config):
    # The layout of the server_boot role's drain.json.j2 (to_nice_json: sorted keys, 2 spaces).
    return json.dumps(config, indent=2, sort_keys=True, separators=(",", ": ")) + "\n"


def cmd_drain_config(args, out, err):
    from ansible_collections.streamfleet.cluster.plugins.module_utils.drain import agent
    settings = {}
    for item in args.settings or []:
        key, value = _key_value(item)
        if key in settings:
            raise BootError("key %r is given twice" % key)
        settings[key] = _drain_value(key, value, agent.DEFAULTS)
    if not settings:
        raise BootError("drain-config needs at least one --set KEY=VALUE")
    before = _read(args.config)
    try:
        current = json.loads(before)
    except ValueError as exc:
        raise BootError("%s is not JSON: %s" % (args.config, exc))
    if not isinstance(current, dict):
        raise BootError("%s does not hold a JSON object" % args.config)
    changed = sorted(key for key, value in settings.items() if key not in current or current[key] != value)
    if not changed:
        _say(err, "%s already current" % args.config)
        return EXIT_UNCHANGED
    wanted = dict(current)
    wanted.update(settings)
    after = render_drain_config(wanted)
    try:
        agent.load_config(after)
    except agent.ConfigError as exc:
        raise BootError("%s would not be usable: %s" % (args.config, exc))
    _write([(args.config, before, after, ", ".join("%s=%s" % (key, settings[key]) for key in changed))], err)
    return EXIT_CHANGED


# -- command line -------------------------------------------------------------------------------
def _secret_options(parser):
    """Where the instance's metadata and the secret store are (defaults: the cloud's own)."""
    parser.add_argument("--source", choices=SOURCES, default="aws", help="cloud metadata adapter")
    parser.add_argument("--metadata-endpoint", help="metadata service URL (default: the cloud's own)")
    parser.add_argument("--secret-endpoint", help="secret store URL (default: the store's regional endpoint)")
    parser.add_argument("--secret-deadline", type=float, default=180.0,
                        help="seconds to keep retrying a secret read that may heal (default 180)")
    parser.add_argument("--retries", type=int, default=10, help="attempts per metadata read (default 10)")
    parser.add_argument("--retry-delay", type=float, default=3.0, help="seconds between metadata attempts")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per request")


def build_parser():
    parser = _Parser(prog=PROG, description="Boot-time settings of a streamfleet.cluster server "
                     "(exit 0: nothing changed, 10: changed, restart the server, 1: error).")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    meta = commands.add_parser("metadata", help="print an instance metadata value")
    meta.add_argument("--source", choices=SOURCES, default="aws", help="cloud metadata adapter")
    meta.add_argument("--endpoint", help="metadata service URL (default: the cloud's own)")
    meta.add_argument("--retries", type=int, default=10, help="attempts (default 10)")
    meta.add_argument("--retry-delay", type=float, default=3.0, help="seconds between attempts")
    meta.add_argument("--timeout", type=float, default=5.0, help="seconds per request")
    meta.add_argument("name", help="local-ipv4, instance-id, public-ipv4 or region")
    meta.set_defaults(func=cmd_metadata)

    props = commands.add_parser("set-properties", help="set keys in a Java properties file")
    props.add_argument("file")
    props.add_argument("settings", nargs="+", metavar="KEY=VALUE")
    props.set_defaults(func=cmd_set_properties)

    jvm = commands.add_parser("set-jvm-options", help="set options in a JVM options file")
    jvm.add_argument("file")
    # REMAINDER: every word after FILE is an option, although each starts with "-".
    jvm.add_argument("options", nargs=argparse.REMAINDER, metavar="OPTION")
    jvm.set_defaults(func=cmd_set_jvm_options)

    ams = commands.add_parser("antmedia-cluster-mode", help="Ant Media cluster or standalone mode")
    ams.add_argument("--home", default="/usr/local/antmedia")
    ams.add_argument("--mode", choices=("cluster", "standalone"), required=True)
    ams.add_argument("--url-stdin", action="store_true", help="read the database URL from standard input")
    ams.add_argument("--password-secret", metavar="REF",
                     help="read the database password from the secret store (ssm:NAME, secretsmanager:ID[#key])")
    ams.add_argument("--wait-seconds", type=int, default=0,
                     help="wait at most this long for the URL's user to log in (default 0: no wait)")
    _secret_options(ams)
    ams.set_defaults(func=cmd_antmedia_cluster_mode)

    ipf = commands.add_parser("antmedia-ip-filter", help="Ant Media web panel and REST IP filters")
    ipf.add_argument("--home", default="/usr/local/antmedia")
    ipf.add_argument("--dashboard-allowed-cidr", metavar="LIST",
                     help="server.allowed_dashboard_CIDR (comma-separated addresses or networks)")
    ipf.add_argument("--rest-allowed-cidr", metavar="LIST",
                     help="remoteAllowedCIDR of every application but root")
    ipf.add_argument("--rest-ip-filter-enabled", choices=("true", "false"),
                     help="ipFilterEnabled of every application but root")
    ipf.set_defaults(func=cmd_antmedia_ip_filter)

    mongo = commands.add_parser("mongodb-boot", help="the MongoDB instance configures itself (users, bind address)")
    mongo.add_argument("--settings-json", required=True, metavar="JSON",
                       help="the mongodb role's boot settings (secret references, never passwords)")
    _secret_options(mongo)
    mongo.set_defaults(func=cmd_mongodb_boot)

    drain = commands.add_parser("drain", help="the drain agent (run by the streamfleet-drain service)")
    drain.add_argument("--config", default="/etc/streamfleet/drain.json", help="the agent's JSON settings")
    drain.add_argument("--check", action="store_true", help="only check the settings (exit 0 when usable)")
    drain.set_defaults(func=cmd_drain)

    drain_config = commands.add_parser("drain-config", help="set the drain agent's limits (from the boot user data)")
    drain_config.add_argument("--config", default="/etc/streamfleet/drain.json", help="the agent's JSON settings")
    drain_config.add_argument("--set", dest="settings", action="append", metavar="KEY=VALUE",
                              help="a top-level setting, e.g. max_drain_seconds=3600 (repeatable)")
    drain_config.set_defaults(func=cmd_drain_config)

    # The Stream Managers' reserved Elastic IP (seed 003); the command lives with its code.
    from ansible_collections.streamfleet.cluster.plugins.module_utils.boot import elastic_ip
    elastic_ip.add_parser(commands)
    return parser


def main(argv=None, out=None, err=None):
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        return args.func(args, out, err)
    except (BootError, MetadataError) as exc:
        _say(err, "error: %s" % exc)
        return EXIT_ERROR
