"""Helpers shared by the scenarios' testinfra verifiers (imported from molecule/<scenario>/tests).

Not a scenario (no molecule.yml): scripts/molecule.sh and Molecule's glob pass it over.
"""

import json
import os
import subprocess
import time

import pytest
from testinfra.backend.podman import PodmanBackend
from testinfra.host import Host

# The IMDSv2 stand-in (tests/standins/imds_standin.py) that a scenario's prepare/converge copies
# to /root on the hosts; the boot-time user data is pointed at it with IMDS_ENDPOINT.
IMDS_PORT = 18169
IMDS_UNIT = "sf-imds-standin"
USER_DATA = "/root/streamfleet-user-data.sh"

_PODMAN = {}
_ADDRESSES = {}
_GROUPS = {}


class NsenterBackend(PodmanBackend):
    """testinfra's podman:// backend, each command entering the container with nsenter(1).

    As the scenarios' Ansible connection (connection_plugins/podman_nsenter.py): Podman is asked
    once for the container's main process; each command then enters its namespaces and root
    with the container's own environment, without a `podman exec` (a lock on Podman's state,
    conmon and runc: seconds per command on a loaded machine).
    """

    NAME = "podman_nsenter"

    def __init__(self, name, *args, **kwargs):
        super().__init__(name, *args, **kwargs)
        pid = subprocess.run(["podman", "inspect", "--type", "container", "--format", "{{.State.Pid}}", self.name],
                             capture_output=True, text=True, check=True).stdout.strip()
        with open("/proc/%s/environ" % pid, "rb") as environ:
            env = [item.decode() for item in environ.read().split(b"\0") if item]
        if not any(item.startswith("HOME=") for item in env):
            env.append("HOME=/root")
        self._enter = ["nsenter", "--target", pid, "--mount", "--uts", "--ipc", "--net", "--pid", "--cgroup",
                       "-r", "-w", "env", "-i", *env]

    def run(self, command, *args, **kwargs):
        if self.user is not None:
            return super().run(command, *args, **kwargs)
        cmd = self.get_command(command, *args)
        out = self.run_local(" ".join(["%s"] * len(self._enter)) + " /bin/sh -c %s", *self._enter, cmd)
        out.command = self.encode(cmd)
        return out


def on(host):
    """The same host through nsenter (NsenterBackend): much faster per command than through Ansible."""
    name = host.backend.get_hostname()
    if name not in _PODMAN:
        _PODMAN[name] = Host(NsenterBackend(name))
    return _PODMAN[name]


def host_groups(host):
    # Each Ansible call costs seconds on a loaded machine: ask once per host.
    name = host.backend.get_hostname()
    if name not in _GROUPS:
        _GROUPS[name] = host.ansible.get_variables()["group_names"]
    return _GROUPS[name]


def private_address(host):
    name = host.backend.get_hostname()
    if name not in _ADDRESSES:
        _ADDRESSES[name] = host.ansible("ansible.builtin.setup", "gather_subset=network")[
            "ansible_facts"]["ansible_default_ipv4"]["address"]
    return _ADDRESSES[name]


def other_host(host, name):
    """Another host of the scenario's inventory, by its inventory name."""
    return host.get_host("ansible://" + name, ansible_inventory=host.backend.ansible_inventory)


def lines_of(host, path, key, content=None):
    """The lines of a properties file that set `key` (comments are other keys: '#key')."""
    if content is None:
        content = on(host).file(path).content_string
    return [line for line in content.splitlines() if line.split("=", 1)[0].strip() == key]


# Waits for the stand-in to answer its token call instead of sleeping a fixed time.
_WAIT_FOR_IMDS = (
    "python3 -c 'import sys, time, urllib.request\n"
    "deadline = time.monotonic() + 20\n"
    "while True:\n"
    "    try:\n"
    "        urllib.request.urlopen(urllib.request.Request(\"http://127.0.0.1:%d/latest/api/token\", method=\"PUT\","
    " headers={\"X-aws-ec2-metadata-token-ttl-seconds\": \"60\"}), timeout=2)\n"
    "        sys.exit(0)\n"
    "    except OSError:\n"
    "        if time.monotonic() > deadline:\n"
    "            sys.exit(1)\n"
    "        time.sleep(0.2)\n'"
)


def run_user_data_twice(host, meta, between=None):
    """Run the rendered boot-time user data twice against the IMDSv2 stand-in serving `meta`.

    `between` (optional) is called after the first run, to record what the second must keep.
    Returns the two command results; the stand-in is stopped whatever happens.
    """
    remote = on(host)
    remote.run("systemctl stop %s 2>/dev/null; systemctl reset-failed %s 2>/dev/null" % (IMDS_UNIT, IMDS_UNIT))
    options = " ".join("--meta %s=%s" % (key, value) for key, value in sorted(meta.items()))
    started = remote.run("systemd-run --unit %s python3 /root/imds_standin.py --port %d %s"
                         % (IMDS_UNIT, IMDS_PORT, options))
    assert started.rc == 0, started.stderr
    try:
        ready = remote.run(_WAIT_FOR_IMDS % IMDS_PORT)
        assert ready.rc == 0, "the IMDS stand-in did not answer: %s" % ready.stderr
        env = "IMDS_ENDPOINT=http://127.0.0.1:%d IMDS_RETRY_DELAY=1" % IMDS_PORT
        first = remote.run("%s %s" % (env, USER_DATA))
        assert first.rc == 0, first.stderr
        if between is not None:
            between()
        second = remote.run("%s %s" % (env, USER_DATA))
        assert second.rc == 0, second.stderr
        return first, second
    finally:
        remote.run("systemctl stop %s" % IMDS_UNIT)


# python3, not curl: the server roles install no curl (the boot path needs only python3).
_HTTP_GET = ("import sys, urllib.request; "
             "sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])).read().decode())")


def http_get(host, url, timeout=5):
    """GET `url` from the host itself; returns the command result (rc 0 and the body on 2xx)."""
    return on(host).run("python3 -c %s %s %s", _HTTP_GET, url, str(timeout))


def wait_http(host, url, timeout=60):
    """Poll `url` from the host until it answers 2xx, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if http_get(host, url, timeout=3).rc == 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError("%s does not answer within %d s" % (url, timeout))
        time.sleep(1)


def assert_no_secret_in_world_readable_files(host, secrets):
    """No world-readable file in the usual places holds one of `secrets`.

    grep reads the patterns on standard input: the secrets never reach a command line.
    """
    script = ("find /usr/local /etc /tmp /var/tmp /var/cache /var/lib/cloud /root /home -xdev -type f "
              "-perm -o=r -size -2M -print0 2>/dev/null | xargs -0 -r grep -lF -f /dev/stdin || true")
    args = {"argv": ["sh", "-c", script], "stdin": "\n".join(secrets)}
    result = host.ansible("ansible.builtin.command", json.dumps(args), check=False)
    assert result.get("rc") == 0, result.get("stderr")
    assert result["stdout"].strip() == "", "secrets in world-readable files: " + result["stdout"]


def assert_no_secret_in_ansible_output(secrets):
    """The scenario's Ansible output (kept by scripts/molecule.sh) holds none of `secrets`."""
    log = os.environ.get("STREAMFLEET_MOLECULE_LOG")
    if not log or not os.path.exists(log):
        pytest.skip("run through scripts/molecule.sh to check the output")
    with open(log, errors="replace") as handle:
        text = handle.read()
    for secret in secrets:
        assert secret not in text
