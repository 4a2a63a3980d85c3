"""Run the collection's modules the way Ansible runs them, for tests.

``ModuleRunner`` calls a module's ``main()`` in-process with the arguments Ansible would
send (check mode and diff included) and returns the JSON the module printed.
``PlaybookRunner`` runs real ``ansible-playbook`` against localhost with the JSON callback
and returns each task's result, so tests see exactly what a user would.
``run_ansible_playbook`` is the one place the tests start ``ansible-playbook``; topology runs
go through the secret audit there (``lib/secret_audit.py``, issue 21).
"""
import contextlib
import importlib
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml
from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.testing import patch_module_args

from lib import secret_audit

MODULES = "ansible_collections.streamfleet.cluster.plugins.modules."


class ModuleRunner:
    def __call__(self, module, args=None, check_mode=False, diff=False):
        params = dict(args or {})
        params["_ansible_check_mode"] = check_mode
        params["_ansible_diff"] = diff
        mod = importlib.import_module(MODULES + module)
        # Warnings and deprecations are process-wide lists; each run starts with none.
        ansible_warnings._global_warnings.clear()
        ansible_warnings._global_deprecations.clear()
        out = io.StringIO()
        with patch_module_args(params), contextlib.redirect_stdout(out):
            try:
                mod.main()
            except SystemExit:
                pass
        text = out.getvalue()
        try:
            return json.loads(text)
        except ValueError as exc:  # pragma: no cover - shows what the module printed
            raise AssertionError("module printed no JSON: %r" % text) from exc


class PlaybookRunner:
    def __init__(self, tmp_path, repo, collections):
        self.tmp_path = Path(tmp_path)
        self.repo = Path(repo)
        self.collections = Path(collections)
        self.last_output = ""

    def env(self, extra=None):
        env = dict(os.environ)
        env.update(
            ANSIBLE_CONFIG=str(self.repo / "ansible.cfg"),
            ANSIBLE_COLLECTIONS_PATH=str(self.collections),
            ANSIBLE_ROLES_PATH=str(self.repo / "roles"),
            ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
            ANSIBLE_CALLBACK_RESULT_FORMAT="json",
            ANSIBLE_LOCALHOST_WARNING="false",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        )
        env.update(extra or {})
        return env

    def run(self, tasks, check=False, diff=False, extra_vars=None, env=None,
            expect_failure=False, play_vars=None, gather_facts=False):
        """Run ``tasks`` (a list of task dicts) on localhost; return a list of results.

        Each result is the task's localhost result dict with ``task`` (its name) added.
        """
        play = {
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": gather_facts,
            "vars": play_vars or {},
            "tasks": tasks,
        }
        path = self.tmp_path / "playbook.yml"
        path.write_text(yaml.safe_dump([play], sort_keys=False))
        cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", str(path)]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        proc = run_ansible_playbook(cmd, env=self.env(env), cwd=self.tmp_path, extra_vars=extra_vars,
                                    audit=_includes_topology_role(tasks))
        self.last_output = proc.stdout + proc.stderr
        try:
            doc = json.loads(proc.stdout)
        except ValueError as exc:
            raise AssertionError("ansible-playbook printed no JSON:\n" + self.last_output) from exc
        if proc.returncode != 0 and not expect_failure:
            raise AssertionError("playbook failed:\n" + self.last_output)
        results = []
        for play_doc in doc["plays"]:
            for task in play_doc["tasks"]:
                res = dict(task["hosts"].get("localhost", {}))
                res["task"] = task["task"]["name"]
                results.append(res)
        self.stats = doc.get("stats", {}).get("localhost", {})
        return results


def topology_roles():
    """The roles ``playbooks/sandbox.yml`` runs: the topologies whose runs are audited."""
    plays = yaml.safe_load((Path(__file__).resolve().parents[2] / "playbooks" / "sandbox.yml").read_text())
    return {role["role"] if isinstance(role, dict) else role for play in plays for role in play.get("roles", [])}


def _includes_topology_role(tasks):
    names = topology_roles()
    text = json.dumps(tasks)
    return any('"%s"' % name in text for name in names)


def _changed_something(cmd, stdout):
    """Whether a run may have changed what the clouds hold: not in check mode, and a change
    reported (or no stats to tell). A run that changed nothing leaves the user data and stacks
    the previous run's audit has already searched."""
    if "--check" in cmd or "-C" in cmd:
        return False
    try:
        stats = json.loads(stdout).get("stats", {})
    except ValueError:
        return True
    return any(host.get("changed") or host.get("failures") for host in stats.values())


@contextlib.contextmanager
def _private_json(text):
    """A mode-0600 temporary file holding ``text``; removed afterwards."""
    handle, path = tempfile.mkstemp(prefix="streamfleet-extra-vars-", suffix=".json")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
        yield path
    finally:
        os.unlink(path)


def run_ansible_playbook(cmd, env, cwd, extra_vars=None, audit=True, timeout=None):
    """Run ``cmd`` (an ``ansible-playbook`` command line); return the CompletedProcess.

    With ``audit`` (the topology runs), the run gets ``-vvv --diff`` (verbose lines on standard
    error, so the JSON callback's standard output still parses) and, once it is over, the secret
    audit searches its output, the stand-ins' user data and stacks, and the files it wrote for
    every secret (``secret_audit.CURRENT``; the integration conftest fails the test on a finding).
    """
    env = dict(env)
    with contextlib.ExitStack() as files:
        # Extra variables (passwords among them) from mode-0600 files, not on the command line
        # where every user of the machine sees them (ps).
        cmd = [("@" + files.enter_context(_private_json(value))) if flag in ("-e", "--extra-vars")
               and value.startswith("{") else value for flag, value in zip([None] + list(cmd), cmd)]
        if audit:
            cmd += [flag for flag in ("-vvv", "--diff") if flag not in cmd]
            env["ANSIBLE_VERBOSE_TO_STDERR"] = "true"
        since = time.time()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, check=False, timeout=timeout)
    if audit:
        given = dict(secret_audit.inventory_variables(cmd), **(extra_vars or {}))
        secret_audit.CURRENT.audit_run(proc.stdout + proc.stderr, cwd=cwd, since=since, extra_vars=given, env=env,
                                       clouds=_changed_something(cmd, proc.stdout))
    return proc


def tree_snapshot(root):
    """Every file below ``root`` by relative path, as bytes: compare before and after a run."""
    root = Path(root)
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def moto_server(log_dir, env=None, start_timeout=60):
    """moto in server mode on a free 127.0.0.1 port, its output in ``log_dir/moto.log``; yields its
    URL once it answers, stops it afterwards. Started through the stand-in that adds the Auto
    Scaling notification configurations moto lacks (the sandbox starts the same one)."""
    port = free_port()
    log = Path(log_dir) / "moto.log"
    command = [sys.executable, str(Path(__file__).resolve().parents[1] / "standins" / "moto_autoscaling_notifications.py")]
    with open(log, "wb") as out:
        proc = subprocess.Popen(command + ["-H", "127.0.0.1", "-p", str(port)], stdout=out,
                                stderr=subprocess.STDOUT, env=dict(os.environ, **(env or {})))
    url = "http://127.0.0.1:%d" % port
    deadline = time.monotonic() + start_timeout
    while True:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=2).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("moto_server did not start:\n" + log.read_text())
            time.sleep(0.2)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
