# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test tooling only: the Molecule scenarios' connection to their Podman test hosts.

containers.podman's connection runs every command with `podman exec` and cannot pipeline, so
one module call costs four Podman commands (mount, temporary directory, module, clean-up). A
Podman command takes a lock on Podman's state and starts conmon and runc: a quarter of a
second on an idle machine, several seconds when two scenarios and other work share two cores
(measured: ten `command` tasks took 55-72 s through `podman exec` at load 12, 14-21 s here).

This connection asks Podman once for the container's main process (`podman inspect`, cached
per Molecule scenario with the process's start time, so a new container is never mistaken for
an old one) and then enters that process's namespaces and root with nsenter(1) for every
command, as `podman exec` does: the mount, PID, network, IPC and UTS namespaces, the root
directory and working directory, as root, with the environment of the container's init
(PATH, HOME, container=podman, ...) and nothing of the controller's. Modules are piped on
standard input (Ansible's pipelining), files are written and read through the same entry
(`cat` inside the container). Not reproduced: the container's capability bounding set and
seccomp filter (the commands run with root's full capabilities, as on a real host), and the
container's cgroup (short-lived commands only; services start through the container's systemd).

The scenarios select it in molecule.yml (provisioner.connection_options and
provisioner.env ANSIBLE_CONNECTION_PLUGINS); the roles under test run unchanged. Rootful
Podman only (nsenter needs root); a non-root remote_user is refused.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = """
    name: podman_nsenter
    short_description: Run tasks in a running Podman container through nsenter, modules piped
    description:
        - Enters the namespaces and root of a running rootful Podman container's main process with
          nsenter(1) for each command; Podman itself is asked only for that process.
        - Test tooling of the Molecule scenarios only.
    options:
      remote_addr:
        description:
          - The name or ID of the container.
        default: inventory_hostname
        vars:
          - name: ansible_host
          - name: inventory_hostname
          - name: ansible_podman_host
      remote_user:
        description:
          - Only root (or unset) is supported.
        vars:
          - name: ansible_user
      podman_executable:
        description:
          - The podman program.
        default: podman
        vars:
          - name: ansible_podman_executable
        env:
          - name: ANSIBLE_PODMAN_EXECUTABLE
"""

import json
import os
import shlex
import subprocess
import tempfile

from ansible import constants as C
from ansible.errors import AnsibleConnectionFailure, AnsibleError, AnsibleFileNotFound
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text
from ansible.plugins.connection import ConnectionBase
from ansible.utils.display import Display

display = Display()

# Where the container's main process is remembered between tasks (one Ansible run forks a
# worker per task; each would otherwise ask Podman again).
CACHE_NAME = "podman-nsenter-pids.json"


def _start_time(pid):
    """The process's start time (clock ticks since boot), None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except (IOError, OSError, IndexError):
        return None
    return int(fields[19])


class Connection(ConnectionBase):
    """Commands in a Podman container's namespaces through nsenter, modules piped on stdin."""

    transport = "podman_nsenter"
    has_pipelining = True

    def __init__(self, *args, **kwargs):
        super(Connection, self).__init__(*args, **kwargs)
        self._pid = None
        self._env = None

    def is_pipelining_enabled(self, wrap_async=False):
        # Always on (no ansible.cfg switch needed), except where Ansible cannot pipe: async
        # tasks and ANSIBLE_KEEP_REMOTE_FILES.
        return not wrap_async and not C.DEFAULT_KEEP_REMOTE_FILES

    def _cache_path(self):
        directory = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY")
        return os.path.join(directory, CACHE_NAME) if directory else None

    def _read_cache(self):
        path = self._cache_path()
        if not path:
            return {}
        try:
            with open(path) as cache:
                return json.load(cache)
        except (IOError, OSError, ValueError):
            return {}

    def _write_cache(self, name, pid, started):
        path = self._cache_path()
        if not path:
            return
        entries = self._read_cache()
        entries[name] = {"pid": pid, "start": started}
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".podman-nsenter-")
        with os.fdopen(handle, "w") as cache:
            json.dump(entries, cache)
        os.replace(temporary, path)

    def _container_pid(self, name):
        entry = self._read_cache().get(name)
        if entry and _start_time(entry["pid"]) == entry["start"]:
            return entry["pid"]
        argv = [self.get_option("podman_executable"), "inspect", "--type", "container",
                "--format", "{{.State.Pid}}", name]
        display.vvv("RUN %s" % argv, host=name)
        process = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        pid = to_text(process.stdout).strip()
        if process.returncode != 0 or not pid.isdigit() or int(pid) == 0:
            raise AnsibleConnectionFailure("container %s is not running: %s"
                                           % (name, to_text(process.stderr).strip() or pid))
        pid = int(pid)
        self._write_cache(name, pid, _start_time(pid))
        return pid

    def _connect(self):
        super(Connection, self)._connect()
        if not self._connected:
            user = self.get_option("remote_user")
            if user not in (None, "", "root", "0", 0):
                raise AnsibleError("podman_nsenter runs commands as root only, not as %s" % user)
            name = self.get_option("remote_addr")
            self._pid = self._container_pid(name)
            # The environment `podman exec` gives: the container's own (its init's), never the
            # controller's.
            with open("/proc/%d/environ" % self._pid, "rb") as environ:
                self._env = [item for item in environ.read().split(b"\0") if item]
            if not any(item.startswith(b"HOME=") for item in self._env):
                self._env.append(b"HOME=/root")
            self._connected = True
        return self

    def _run(self, argv, in_data=None, stdin=None):
        """Run argv (bytes) inside the container; in_data or an open file as standard input."""
        command = [b"nsenter", b"--target", to_bytes(str(self._pid)), b"--mount", b"--uts", b"--ipc",
                   b"--net", b"--pid", b"--cgroup", b"-r", b"-w", b"env", b"-i"] + self._env + argv
        display.vvv("EXEC %s" % [to_text(arg) for arg in argv], host=self.get_option("remote_addr"))
        if stdin is not None:
            process = subprocess.Popen(command, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            stdout, stderr = process.communicate()
        else:
            process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE)
            stdout, stderr = process.communicate(input=in_data)
        return process.returncode, stdout, stderr

    def exec_command(self, cmd, in_data=None, sudoable=False):
        super(Connection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)
        self._connect()
        argv = [to_bytes(arg, errors="surrogate_or_strict")
                for arg in shlex.split(to_native(cmd, errors="surrogate_or_strict"))]
        return self._run(argv, in_data=in_data)

    def put_file(self, in_path, out_path):
        super(Connection, self).put_file(in_path, out_path)
        self._connect()
        display.vvv("PUT %s TO %s" % (in_path, out_path), host=self.get_option("remote_addr"))
        try:
            source = open(to_bytes(in_path, errors="surrogate_or_strict"), "rb")
        except (IOError, OSError):
            raise AnsibleFileNotFound("file or module does not exist: %s" % in_path)
        with source:
            rc, dummy, stderr = self._run([b"/bin/sh", b"-c", b'cat > "$1"', b"sh",
                                           to_bytes(out_path, errors="surrogate_or_strict")], stdin=source)
        if rc != 0:
            raise AnsibleError("failed to write %s in the container: %s" % (out_path, to_text(stderr)))

    def fetch_file(self, in_path, out_path):
        super(Connection, self).fetch_file(in_path, out_path)
        self._connect()
        display.vvv("FETCH %s TO %s" % (in_path, out_path), host=self.get_option("remote_addr"))
        with open(to_bytes(out_path, errors="surrogate_or_strict"), "wb") as target:
            rc, content, stderr = self._run([b"cat", to_bytes(in_path, errors="surrogate_or_strict")], stdin=None)
            if rc != 0:
                raise AnsibleError("failed to read %s in the container: %s" % (in_path, to_text(stderr)))
            target.write(content)

    def close(self):
        super(Connection, self).close()
        self._connected = False
