"""Run a topology playbook of playbooks/ the way a user does, against moto.

Used by test_topology_*.py: ``run_topology(playbook, "wcs_cdn_aws.yml", extra_vars, check=True)``
runs ``ansible-playbook`` with the environment of the ``playbook`` fixture (collection path,
JSON callback, moto endpoint) and returns ``(stats, results)``: the localhost stats
(``changed``, ``failures``...) and a list of per-task results with ``task`` (its name).
"""
import json
import sys
from pathlib import Path

from lib.harness import run_ansible_playbook

REPO = Path(__file__).resolve().parents[3]


def run_topology(playbook, name, extra_vars, check=False, diff=False, env=None):
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,",
           str(REPO / "playbooks" / name), "-e", json.dumps(extra_vars)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    proc = run_ansible_playbook(cmd, env=playbook.env(env), cwd=playbook.tmp_path, extra_vars=extra_vars)
    output = proc.stdout + proc.stderr
    try:
        doc = json.loads(proc.stdout)
    except ValueError as exc:
        raise AssertionError("ansible-playbook printed no JSON:\n" + output) from exc
    if proc.returncode != 0:
        raise AssertionError("playbook failed:\n" + output)
    results = []
    for play_doc in doc["plays"]:
        for task in play_doc["tasks"]:
            res = dict(task["hosts"].get("localhost", {}))
            res["task"] = task["task"]["name"]
            res["duration"] = task["task"].get("duration", {})
            results.append(res)
    return doc["stats"]["localhost"], results


def changed_tasks(results):
    """Names of the tasks that reported a change (loops: any item changed)."""
    return [r["task"].split(" : ", 1)[-1] for r in results if r.get("changed")]


def leftovers(aws, deployment):
    """``aws.tagged(deployment)`` without terminated instances, leftover instances with their tags.

    moto's Resource Groups Tagging API keeps listing terminated instances (AWS drops them from
    view after about an hour), so ``aws.tagged`` alone reports instances that are gone.
    """
    details = []
    for item in aws.tagged(deployment):
        if item.startswith("i-"):
            inst = aws.ec2.describe_instances(InstanceIds=[item])["Reservations"][0]["Instances"][0]
            if inst["State"]["Name"] in ("terminated", "shutting-down"):
                continue
            details.append((item, inst["State"]["Name"], {t["Key"]: t["Value"] for t in inst.get("Tags", [])}))
        else:
            details.append(item)
    return details
