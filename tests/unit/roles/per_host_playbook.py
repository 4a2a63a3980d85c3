"""One ansible-playbook run for many cases: each case is its own localhost alias.

Starting ansible-playbook costs seconds; a test file that renders a role with twenty sets of
variables (or runs a preflight with twenty bad inputs) pays it twenty times. Here every case is
a host of one inventory (``connection: local``), so one run serves them all, and a failing case
stops only its own host, as a failing run of its own would.

A case's variables reach its host by ``include_vars`` of its own file (the tasks say where,
with the ``case_vars`` task below): that beats role defaults, role vars and earlier
``include_vars`` as the extra variables of a run of its own did. The task has ``no_log``, so the
variables (passwords among them) are not in the output the tests search for leaks.
"""
import json
import sys
from pathlib import Path

import yaml

from lib.harness import PlaybookRunner, run_ansible_playbook

REPO = Path(__file__).resolve().parents[3]
COLLECTIONS = REPO / ".build" / "collections"
# Tagged always: runs limited by tags (a role's preflight phase) still load the case.
CASE_VARS = {"name": "case variables", "ansible.builtin.include_vars": {"file": "{{ case_vars_file }}"},
             "no_log": True, "tags": ["always"]}


class HostRun:
    """What one case's host saw: its task results (as ``PlaybookRunner.run`` returns them), its
    stats, and its output: its part of the JSON the run printed, and the run's standard error."""

    def __init__(self, results, stats, output):
        self.results = results
        self.stats = stats
        self.last_output = output

    @property
    def facts(self):
        return self.results[-1].get("ansible_facts", {})


def run_cases(tmp_path, cases, tasks, env=None, check=False, audit=False):
    """Run ``tasks`` once, on one host per case (``cases``: name -> variables); return name -> HostRun.

    ``tasks`` should start (or go on) with ``CASE_VARS`` where the case's variables belong.
    """
    tmp_path = Path(tmp_path)
    tmp_path.mkdir(parents=True, exist_ok=True)
    hosts = {}
    for name, variables in cases.items():
        path = tmp_path / ("case-%s.json" % name)
        path.write_text(json.dumps(variables))
        path.chmod(0o600)
        hosts[name] = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                       "case_vars_file": str(path)}
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    play = {"hosts": "all", "gather_facts": False, "tasks": tasks}
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(yaml.safe_dump([play], sort_keys=False))
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), str(playbook)]
    if check:
        cmd.append("--check")
    runner_env = PlaybookRunner(tmp_path, REPO, COLLECTIONS).env(env)
    proc = run_ansible_playbook(cmd, env=runner_env, cwd=tmp_path, audit=audit)
    try:
        doc = json.loads(proc.stdout)
    except ValueError as exc:
        raise AssertionError("ansible-playbook printed no JSON:\n" + proc.stdout + proc.stderr) from exc
    runs = {}
    for name in cases:
        # The run's JSON with this host's part only, under "localhost": what a run of its own on
        # localhost would have printed.
        own = {"plays": [{"play": play_doc.get("play", {}),
                          "tasks": [{"task": task["task"], "hosts": {"localhost": task["hosts"][name]}}
                                    for task in play_doc["tasks"] if name in task["hosts"]]}
                         for play_doc in doc["plays"]],
               "stats": {"localhost": doc.get("stats", {}).get(name, {})}}
        if not own["stats"]["localhost"]:
            raise AssertionError("no stats for case %s:\n%s" % (name, proc.stdout + proc.stderr))
        results = [dict(task["hosts"]["localhost"], task=task["task"]["name"])
                   for play_doc in own["plays"] for task in play_doc["tasks"]]
        runs[name] = HostRun(results, own["stats"]["localhost"], json.dumps(own, indent=4) + "\n" + proc.stderr)
    return runs
