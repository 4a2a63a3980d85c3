# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drain agent: drains this media server before Amazon EC2 Auto Scaling terminates it.

Run as the systemd service ``streamfleet-drain`` (``streamfleet-boot drain``), installed by the
``server_boot`` role and so baked into every image. States::

    idle        poll IMDSv2 ``autoscaling/target-lifecycle-state`` every state_poll_seconds;
                ``InService``, ``Warmed:*`` of an instance that was not in service, ``Standby``,
                ``Detached`` (or no value: not in a group) stay idle; ``Terminated`` or
                ``Warmed:Terminated`` (the instance is in ``Terminating:Wait`` because of the
                group's termination lifecycle hook), or ``InService`` followed by a ``Warmed:*``
                state (scaled in back to a warm pool that reuses instances), start draining
    draining    read the server's own count of live sessions every session_poll_seconds and
                log it; send RecordLifecycleActionHeartbeat every heartbeat_interval_seconds;
                leave when the count is 0 or max_drain_seconds have passed
    completing  CompleteLifecycleAction with lifecycle_action_result (CONTINUE), retried with
                backoff; "no active lifecycle action" (the hook timed out, or someone else
                completed it) ends it too
    done        the agent exits 0

New sessions stop reaching the server without the agent doing anything: when a group attached
to target groups terminates an instance, Auto Scaling deregisters it from them (and waits for
the deregistration delay) BEFORE the hook puts it in ``Terminating:Wait`` (Amazon EC2 Auto
Scaling User Guide, "How lifecycle hooks work", step 4). So the agent needs no Elastic Load
Balancing permission; it only waits for the sessions already on the server.

Every call is bounded by request_timeout_seconds; an unreachable metadata service, server or
Auto Scaling endpoint is logged and retried with a backoff doubling up to retry_max_seconds;
nothing raises out of ``run()``. Log lines go to standard output (the journal).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import sys
import time

from ansible_collections.streamfleet.cluster.plugins.module_utils.boot.metadata import (
    CREDENTIALS_REFRESH_MARGIN_SECONDS,
    MetadataError,
    instance_credentials,
    metadata_source,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.drain.autoscaling import (
    AutoScalingClient,
    AutoScalingError,
    default_endpoint,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.drain.sessions import (
    ANTMEDIA_APP_FIELDS,
    FORMATS,
    SERVER_DEFAULTS,
    AntMediaAppsCounter,
    SessionCountError,
    SessionCounter,
)

IDLE, DRAINING, COMPLETING, DONE = "idle", "draining", "completing", "done"
# Target states that take the instance out of service for good (Amazon EC2 Auto Scaling User
# Guide, "Retrieve the target lifecycle state through instance metadata").
TERMINATING_STATES = ("Terminated", "Warmed:Terminated")
_NOT_READ = object()
# Auto Scaling error codes after which the credentials are read again from the metadata service.
CREDENTIAL_ERRORS = ("ExpiredToken", "InvalidClientTokenId", "RequestExpired", "UnrecognizedClientException")
CONFIG_PATH = "/etc/streamfleet/drain.json"

DEFAULTS = {
    "server": None,
    "lifecycle_hook_name": "streamfleet-drain",
    "auto_scaling_group_name": "",
    "lifecycle_action_result": "CONTINUE",
    "max_drain_seconds": 3600,
    "heartbeat_interval_seconds": 60,
    "state_poll_seconds": 5,
    "session_poll_seconds": 10,
    "request_timeout_seconds": 5,
    "retry_max_seconds": 60,
    "complete_attempts": 20,
    "imds_endpoint": "http://169.254.169.254",
    "imds_token_ttl_seconds": 21600,
    "autoscaling_endpoint": "",
    "sessions": {},
    # Ant Media cluster nodes: stop the server and delete this node's clusternode document
    # before completing (drain/antmedia_node.py); ignored for the other servers.
    "remove_cluster_node": True,
}
SECONDS = ("max_drain_seconds", "heartbeat_interval_seconds", "state_poll_seconds", "session_poll_seconds",
           "request_timeout_seconds", "retry_max_seconds", "imds_token_ttl_seconds")
SESSION_KEYS = ("url", "format", "fields", "token_file", "token_in", "home")


class ConfigError(Exception):
    """The configuration is refused (message names the key, the value and the rule)."""


def load_config(text):
    """The agent's settings from the JSON ``text`` of drain.json, defaults filled in."""
    try:
        given = json.loads(text)
    except ValueError as exc:
        raise ConfigError("not JSON: %s" % exc)
    if not isinstance(given, dict):
        raise ConfigError("the top level must be an object")
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise ConfigError("unknown key(s) %s (known: %s)" % (", ".join(unknown), ", ".join(sorted(DEFAULTS))))
    config = dict(DEFAULTS)
    config.update(given)
    if config["server"] not in SERVER_DEFAULTS:
        raise ConfigError("server %r is not one of %s" % (config["server"], ", ".join(sorted(SERVER_DEFAULTS))))
    for key in SECONDS:
        value = config[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigError("%s=%r must be a number of seconds above 0" % (key, value))
    if config["heartbeat_interval_seconds"] > config["max_drain_seconds"]:
        raise ConfigError("heartbeat_interval_seconds=%s must not exceed max_drain_seconds=%s"
                          % (config["heartbeat_interval_seconds"], config["max_drain_seconds"]))
    if not isinstance(config["remove_cluster_node"], bool):
        raise ConfigError("remove_cluster_node=%r must be true or false" % (config["remove_cluster_node"],))
    if config["lifecycle_action_result"] not in ("CONTINUE", "ABANDON"):
        raise ConfigError("lifecycle_action_result=%r must be CONTINUE or ABANDON" % config["lifecycle_action_result"])
    if not isinstance(config["complete_attempts"], int) or config["complete_attempts"] < 1:
        raise ConfigError("complete_attempts=%r must be an integer of at least 1" % config["complete_attempts"])
    for key in ("lifecycle_hook_name", "auto_scaling_group_name", "imds_endpoint", "autoscaling_endpoint"):
        if not isinstance(config[key], str):
            raise ConfigError("%s=%r must be a string" % (key, config[key]))
    if not config["lifecycle_hook_name"]:
        raise ConfigError("lifecycle_hook_name must not be empty")
    sessions = config["sessions"]
    if not isinstance(sessions, dict) or set(sessions) - set(SESSION_KEYS):
        raise ConfigError("sessions must be an object with the keys %s" % ", ".join(SESSION_KEYS))
    merged = dict(SERVER_DEFAULTS[config["server"]])
    merged.update(sessions)
    if merged["format"] not in FORMATS:
        raise ConfigError("sessions.format=%r is not one of %s" % (merged["format"], ", ".join(FORMATS)))
    if not isinstance(merged["fields"], list) or not merged["fields"] or \
            not all(isinstance(f, str) and f.rstrip("?") for f in merged["fields"]):
        raise ConfigError("sessions.fields must be a non-empty list of field names")
    if merged["format"] == "antmedia-apps" and any(f.rstrip("?") not in ANTMEDIA_APP_FIELDS for f in merged["fields"]):
        raise ConfigError("sessions.fields of the antmedia-apps format are among %s" % ", ".join(ANTMEDIA_APP_FIELDS))
    for key in ("url", "token_file", "token_in", "home"):
        if not isinstance(merged[key], str):
            raise ConfigError("sessions.%s=%r must be a string" % (key, merged[key]))
    config["sessions"] = merged
    return config


class CachedCredentials(object):
    """The instance profile's credentials, read again shortly before they expire."""

    def __init__(self, imds, wall=time.time):
        self._imds = imds
        self._wall = wall
        self._current = None

    def __call__(self):
        if self._current is None or self._wall() >= self._current.expiration - CREDENTIALS_REFRESH_MARGIN_SECONDS:
            self._current = instance_credentials(self._imds)
        return self._current

    def forget(self):
        self._current = None


class DrainAgent(object):
    def __init__(self, config, imds, sessions, autoscaling_factory, clock=time.monotonic, sleep=time.sleep,
                 out=None, before_complete=None):
        """``autoscaling_factory(region)`` answers the Auto Scaling client for the region;
        ``before_complete(log)``, when given, runs once after draining, before completing."""
        self.config = config
        self.before_complete = before_complete
        self.imds = imds
        self.sessions = sessions
        self._autoscaling_factory = autoscaling_factory
        self._clock = clock
        self._sleep = sleep
        self._out = out or sys.stdout
        self.state = IDLE
        self.lifecycle_state = _NOT_READ
        self.instance_id = None
        self.region = None
        self.group = config["auto_scaling_group_name"] or None
        self.autoscaling = None
        self.drain_started = None
        self.next_heartbeat = None
        self.last_count = None
        self.complete_reason = None
        self.complete_failures = 0
        self.completed = False
        self._backoff = None

    # -- helpers -----------------------------------------------------------------------------
    def log(self, message):
        self._out.write("streamfleet-drain: [%s] %s\n" % (self.state, message))
        self._out.flush()

    def _retry_later(self, what, error):
        """Log ``error`` and sleep a backoff that doubles up to retry_max_seconds."""
        base = min(self.config["state_poll_seconds"], self.config["session_poll_seconds"])
        self._backoff = base if self._backoff is None else min(self._backoff * 2, self.config["retry_max_seconds"])
        self.log("%s: %s; retrying in %gs" % (what, error, self._backoff))
        self._sleep(self._backoff)

    def _ok(self):
        self._backoff = None

    def elapsed(self):
        return self._clock() - self.drain_started

    # -- states ------------------------------------------------------------------------------
    def run(self):
        """Run the state machine to the end; 0 when the lifecycle action was completed."""
        self.log("watching autoscaling/target-lifecycle-state at %s (server %s, hook %s)"
                 % (self.imds.endpoint, self.config["server"], self.config["lifecycle_hook_name"]))
        while self.state != DONE:
            self.step()
        return 0 if self.completed else 1

    def step(self):
        {IDLE: self._idle, DRAINING: self._draining, COMPLETING: self._completing}[self.state]()

    def _enter(self, state, message):
        self.state = state
        self._backoff = None
        self.log(message)

    def _idle(self):
        try:
            value = self.imds.read("autoscaling/target-lifecycle-state", missing_ok=True)
        except MetadataError as exc:
            self._retry_later("instance metadata unreachable", exc)
            return
        self._ok()
        was_in_service = self.lifecycle_state == "InService"
        if value != self.lifecycle_state:
            self.log("target lifecycle state: %s" % (value or "none (not in an Auto Scaling group)"))
            self.lifecycle_state = value
        leaving = value in TERMINATING_STATES or (was_in_service and (value or "").startswith("Warmed:"))
        if leaving:
            self.drain_started = self._clock()
            self.next_heartbeat = self.drain_started
            self._enter(DRAINING, "draining: the group deregistered this instance from its target groups "
                        "before the hook; waiting for the sessions on the server (%s), at most %gs"
                        % (self.sessions.describe(), self.config["max_drain_seconds"]))
            return
        self._sleep(self.config["state_poll_seconds"])

    def _context(self):
        """Instance id, region, Auto Scaling client and group; False while one is unknown."""
        try:
            if self.instance_id is None:
                self.instance_id = self.imds.read("instance-id")
            if self.region is None:
                self.region = self.imds.read("placement/region")
        except MetadataError as exc:
            self.log("instance metadata: %s" % exc)
            return False
        if self.autoscaling is None:
            self.autoscaling = self._autoscaling_factory(self.region)
        if self.group is None:
            try:
                self.group = self.autoscaling.group_of(self.instance_id)
            except (AutoScalingError, MetadataError) as exc:
                self.log("DescribeAutoScalingInstances: %s" % exc)
                return False
            if not self.group:
                self.log("DescribeAutoScalingInstances does not list %s" % self.instance_id)
                return False
            self.log("instance %s of group %s in %s" % (self.instance_id, self.group, self.region))
        return True

    def _heartbeat(self, now):
        if not self._context():
            self.next_heartbeat = now + min(self.config["heartbeat_interval_seconds"], self.config["retry_max_seconds"])
            return
        try:
            self.autoscaling.record_heartbeat(self.group, self.config["lifecycle_hook_name"], instance_id=self.instance_id)
        except (AutoScalingError, MetadataError) as exc:
            self._credentials_failed(exc)
            # Try again soon: a missed heartbeat lets the hook time out and the ASG terminate.
            self.next_heartbeat = now + min(self.config["session_poll_seconds"], self.config["heartbeat_interval_seconds"])
            self.log("RecordLifecycleActionHeartbeat failed: %s" % exc)
            return
        self.next_heartbeat = now + self.config["heartbeat_interval_seconds"]
        self.log("RecordLifecycleActionHeartbeat sent (sessions=%s, %.0fs into the drain)"
                 % ("unknown" if self.last_count is None else self.last_count, self.elapsed()))

    def _credentials_failed(self, exc):
        if getattr(exc, "code", None) in CREDENTIAL_ERRORS:
            forget = getattr(self.autoscaling, "forget_credentials", None)
            if forget:
                forget()

    def _draining(self):
        try:
            self.last_count = self.sessions.count()
        except SessionCountError as exc:
            self.last_count = None
            self.log("sessions=unknown (%s): waiting as if some were left" % exc)
        else:
            self.log("sessions=%d (%s) %.0fs into the drain" % (self.last_count, self.sessions.describe(), self.elapsed()))
        if self.last_count == 0:
            self._enter(COMPLETING, "no session left after %.0fs" % self.elapsed())
            self.complete_reason = "no session left"
            return
        if self.elapsed() >= self.config["max_drain_seconds"]:
            self._enter(COMPLETING, "maximum drain time %gs passed with sessions=%s"
                        % (self.config["max_drain_seconds"], "unknown" if self.last_count is None else self.last_count))
            self.complete_reason = "maximum drain time"
            return
        now = self._clock()
        if now >= self.next_heartbeat:
            self._heartbeat(now)
            now = self._clock()
        wait = max(0.0, min(self.config["session_poll_seconds"], self.next_heartbeat - now,
                            self.config["max_drain_seconds"] - self.elapsed()))
        self._sleep(wait)

    def _completing(self):
        if self.before_complete is not None:
            step, self.before_complete = self.before_complete, None
            step(self.log)
        result = self.config["lifecycle_action_result"]
        try:
            if not self._context():
                raise AutoScalingError("NoContext", "instance id, region or group unknown")
            self.autoscaling.complete(self.group, self.config["lifecycle_hook_name"], result, instance_id=self.instance_id)
        except (AutoScalingError, MetadataError) as exc:
            if getattr(exc, "code", None) == "ValidationError" and "lifecycle action" in str(exc).lower():
                self._enter(DONE, "CompleteLifecycleAction: %s; nothing left to complete" % exc)
                self.completed = True
                return
            self._credentials_failed(exc)
            self.complete_failures += 1
            if self.complete_failures >= self.config["complete_attempts"]:
                self._enter(DONE, "CompleteLifecycleAction failed %d times, last: %s; the hook's timeout "
                            "will let Auto Scaling go on" % (self.complete_failures, exc))
                return
            self._retry_later("CompleteLifecycleAction failed", exc)
            return
        self.completed = True
        self._enter(DONE, "CompleteLifecycleAction %s sent for %s in %s after %.0fs (%s, last sessions=%s)"
                    % (result, self.instance_id, self.group, self.elapsed(), self.complete_reason,
                       "unknown" if self.last_count is None else self.last_count))


class _SigningClient(AutoScalingClient):
    """The Auto Scaling client with the instance profile's credentials."""

    def __init__(self, endpoint, region, credentials, timeout):
        super(_SigningClient, self).__init__(endpoint, region, credentials, timeout=timeout)
        self.forget_credentials = credentials.forget


def build_agent(config, out=None, clock=time.monotonic, sleep=time.sleep, wall=time.time):
    """The agent for ``config`` (from ``load_config``), talking to the real endpoints it names."""
    timeout = config["request_timeout_seconds"]
    imds = metadata_source("aws", endpoint=config["imds_endpoint"], timeout=timeout, retries=1,
                           clock=clock, token_ttl=config["imds_token_ttl_seconds"])
    sessions_cfg = config["sessions"]
    if sessions_cfg["format"] == "antmedia-apps":
        def addresses():
            # originAdress is the private address, or the public one with server.useGlobalIp=true.
            try:
                return [imds.read("local-ipv4", missing_ok=True), imds.read("public-ipv4", missing_ok=True)]
            except MetadataError as exc:
                raise SessionCountError("this node's address: %s" % exc)
        sessions = AntMediaAppsCounter(sessions_cfg["url"], sessions_cfg["home"] or "/usr/local/antmedia",
                                       sessions_cfg["fields"], addresses, timeout=timeout)
    else:
        sessions = SessionCounter(sessions_cfg["url"], sessions_cfg["format"], sessions_cfg["fields"],
                                  token_file=sessions_cfg["token_file"], token_in=sessions_cfg["token_in"],
                                  timeout=timeout)
    credentials = CachedCredentials(imds, wall=wall)

    def autoscaling_factory(region):
        endpoint = config["autoscaling_endpoint"] or default_endpoint(region)
        return _SigningClient(endpoint, region, credentials, timeout)

    before_complete = None
    if config["server"] == "antmedia" and config["remove_cluster_node"]:
        # Imported here: only Ant Media nodes need the cluster database code.
        from ansible_collections.streamfleet.cluster.plugins.module_utils.drain.antmedia_node import AntMediaNodeRemoval

        def node_addresses():
            return [imds.read("local-ipv4", missing_ok=True), imds.read("public-ipv4", missing_ok=True)]
        before_complete = AntMediaNodeRemoval(sessions_cfg["home"] or "/usr/local/antmedia", node_addresses,
                                              timeout=timeout)
    return DrainAgent(config, imds, sessions, autoscaling_factory, clock=clock, sleep=sleep, out=out,
                      before_complete=before_complete)


def _load(config_path, err):
    try:
        with open(config_path, "r") as handle:
            return load_config(handle.read())
    except (IOError, OSError) as exc:
        err.write("streamfleet-drain: cannot read %s: %s\n" % (config_path, getattr(exc, "strerror", None) or exc))
    except ConfigError as exc:
        err.write("streamfleet-drain: %s: %s\n" % (config_path, exc))
    return None


def check(config_path=CONFIG_PATH, out=None, err=None):
    """0 when ``config_path`` is a usable configuration (the role validates drain.json with it)."""
    config = _load(config_path, err or sys.stderr)
    if config is None:
        return 1
    (out or sys.stdout).write("streamfleet-drain: %s is usable (server %s, sessions from %s)\n"
                              % (config_path, config["server"], config["sessions"]["url"].split("?")[0]))
    return 0


def main(config_path=CONFIG_PATH, out=None, err=None):
    """Load ``config_path`` and run the agent; 0 after completing, 1 on a refusal or giving up."""
    config = _load(config_path, err or sys.stderr)
    if config is None:
        return 1
    return build_agent(config, out=out or sys.stdout).run()
