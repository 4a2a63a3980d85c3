"""Boot-time user data and server roles on many hosts, on Podman test hosts (issue 20).

(a) Boot: on one test host (``sf-bench-boot``) with the boot command (role server_boot) and
    the stand-in trees of WCS, Ant Media and the Red5 Pro Stream Manager, the rendered user
    data of each server role runs twice against the IMDSv2 stand-in, with the server's start
    excluded (RESTART_SERVICE=false, PER_BOOT_DIR empty). Timed inside the host with bash's
    ``time``; the second run must change nothing ("settings already current").
(b) Hosts: the wcs role (stand-in archive, as molecule/wcs_cdn) applied by one
    ``ansible-playbook`` to 1 fresh test host, then to 6 fresh test hosts (forks 6), so the
    ratio shows what does not run in parallel. The CPU seconds of each run are measured too:
    ``ansible-playbook`` and every process it waited for (the modules, entered into the hosts
    with nsenter) plus what the hosts' services spent in their containers' cgroups; divided by
    the machine's cores they are the shortest wall time the run could take here, whatever runs
    in parallel. Other work on the machine is not counted.

The hosts are reached as Molecule reaches them, through the ``podman_nsenter`` connection
(molecule/shared/connection_plugins, test tooling): containers.podman's ``podman exec`` takes
Podman's lock for every command, a serial wait between the hosts that a real fleet reached
over SSH does not have.

Containers are named ``sf-bench-*`` (not to collide with Molecule's) and removed at the end,
also on failure. Needs root, Podman and the image localhost/streamfleet-testhost:bookworm
(scripts/test-hosts.sh).

    .venv/bin/python benchmarks/hosts.py [--boot-only | --hosts-only]   (also: benchmarks/run.py --hosts)
"""
import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOP = HERE.parent
IMAGE = "localhost/streamfleet-testhost:bookworm"
BOOT_HOST = "sf-bench-boot"
HOSTS = 6
SERVERS = ("wcs", "antmedia", "red5pro_streammanager")
IMDS_PORT = 18169
# Targets (issue 20).
BOOT_TARGET_SECONDS = 2.0
HOSTS_TARGET_RATIO = 2.0


def podman_env():
    return dict(os.environ, CONTAINERS_CONF=os.environ.get("CONTAINERS_CONF", str(TOP / "molecule" / "containers.conf")))


def podman(*args, check=True, timeout=300):
    return subprocess.run(["podman"] + list(args), env=podman_env(), capture_output=True, text=True,
                          timeout=timeout, check=check)


def start_hosts(names):
    for name in names:
        podman("rm", "-f", name, check=False)
    for name in names:
        podman("run", "-d", "--name", name, "--hostname", name, "--systemd", "always", IMAGE, "/sbin/init")
    # Wait for systemd in each host (polling, no fixed sleep).
    deadline = time.monotonic() + 120
    for name in names:
        while True:
            state = podman("exec", name, "systemctl", "is-system-running", check=False).stdout.strip()
            if state in ("running", "degraded"):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("%s: systemd not up (%s)" % (name, state))
            time.sleep(0.5)


def _load_average():
    """The 1-minute load average of the machine (the test hosts share its cores)."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def children_cpu_seconds():
    """User + system CPU seconds of this process's waited-for children (ansible-playbook and
    everything it waited for) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def container_cpu_seconds(name):
    """CPU seconds spent so far in the container's cgroup (its systemd and services), cgroup v1
    (cpuacct) or v2 (cpu.stat); None when neither can be read."""
    path = podman("inspect", "--format", "{{.State.CgroupPath}}", name, check=False).stdout.strip()
    if not path:
        return None
    try:
        return int(Path("/sys/fs/cgroup/cpuacct" + path, "cpuacct.usage").read_text()) / 1e9
    except (OSError, ValueError):
        pass
    try:
        for line in Path("/sys/fs/cgroup" + path, "cpu.stat").read_text().splitlines():
            if line.startswith("usage_usec "):
                return int(line.split()[1]) / 1e6
    except (OSError, ValueError):
        pass
    return None


def run_cpu_seconds(names, run):
    """Call ``run()``; return its result and the CPU seconds it cost (controller, modules and the
    hosts' cgroups)."""
    containers_before = [container_cpu_seconds(name) for name in names]
    children_before = children_cpu_seconds()
    result = run()
    spent = children_cpu_seconds() - children_before
    for name, before in zip(names, containers_before):
        after = container_cpu_seconds(name)
        if before is not None and after is not None:
            spent += after - before
    return result, spent


def remove_hosts(names):
    for name in names:
        podman("rm", "-f", name, check=False, timeout=120)


def write_inventory(path, group, names):
    hosts = dict((name, {"ansible_connection": "podman_nsenter",
                         "ansible_python_interpreter": "/usr/bin/python3"}) for name in names)
    path.write_text(json.dumps({group: {"hosts": hosts}}))


def ansible_playbook(playbook, inventory, extra=None, forks=HOSTS, log=None):
    command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory), str(playbook),
               "-f", str(forks)]
    if extra:
        command += ["-e", json.dumps(extra)]
    # The connection keeps each container's process id in MOLECULE_EPHEMERAL_DIRECTORY (its
    # cache, checked against the process's start time), so Podman is asked once per host.
    env = dict(podman_env(), ANSIBLE_CONFIG=str(TOP / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks",
               ANSIBLE_CONNECTION_PLUGINS=str(TOP / "molecule" / "shared" / "connection_plugins"),
               MOLECULE_EPHEMERAL_DIRECTORY=str(Path(inventory).parent))
    started = time.monotonic()
    done = subprocess.run(command, cwd=TOP, env=env, capture_output=True, text=True, timeout=1800, check=False)
    seconds = time.monotonic() - started
    if log is not None:
        log.write_text(done.stdout + "\n--- stderr\n" + done.stderr)
    if done.returncode != 0:
        raise RuntimeError("%s failed (rc %d), see %s" % (playbook, done.returncode, log))
    return seconds


def timed_user_data(server):
    """Run one server's user data on the boot host: (rc, wall seconds, CPU seconds, its stderr).

    The CPU seconds (user + system, the script and every process it starts) do not grow with
    the machine's load as the wall time does: on a shared machine they show what an idle host
    would take, since the script waits on nothing once the metadata answers."""
    script = ("TIMEFORMAT='%%R %%U %%S'; time ( IMDS_ENDPOINT=http://127.0.0.1:%d IMDS_RETRY_DELAY=1 "
              "RESTART_SERVICE=false PER_BOOT_DIR= bash /root/user-data-%s.sh )" % (IMDS_PORT, server))
    done = podman("exec", BOOT_HOST, "bash", "-c", script, check=False)
    lines = done.stderr.strip().splitlines()
    try:
        wall, user, system = (float(x) for x in lines[-1].split())
        return done.returncode, wall, round(user + system, 2), "\n".join(lines[:-1])
    except (IndexError, ValueError):
        return done.returncode, None, None, "\n".join(lines)


def measure_boot(log_dir):
    start_hosts([BOOT_HOST])
    inventory = log_dir / "hosts-boot.json"
    write_inventory(inventory, "sf_bench_boot", [BOOT_HOST])
    ansible_playbook(HERE / "playbooks" / "hosts_boot.yml", inventory, forks=1, log=log_dir / "hosts-boot-setup.log")
    podman("exec", BOOT_HOST, "systemd-run", "--unit", "sf-bench-imds", "python3", "/root/imds_standin.py",
           "--port", str(IMDS_PORT), "--meta", "local-ipv4=10.30.1.20", "--meta", "instance-id=i-0benchmark")
    probe = ("import sys, time, urllib.request\ndeadline = time.monotonic() + 20\nwhile True:\n    try:\n"
             "        urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:%d/latest/api/token', "
             "method='PUT', headers={'X-aws-ec2-metadata-token-ttl-seconds': '60'}), timeout=2)\n"
             "        sys.exit(0)\n    except OSError:\n        if time.monotonic() > deadline:\n"
             "            sys.exit(1)\n        time.sleep(0.2)\n" % IMDS_PORT)
    podman("exec", BOOT_HOST, "python3", "-c", probe)
    out = {}
    for server in SERVERS:
        load = _load_average()
        rc1, first, first_cpu, log1 = timed_user_data(server)
        rc2, second, second_cpu, log2 = timed_user_data(server)
        out[server] = dict(first=first, second=second, first_cpu=first_cpu, second_cpu=second_cpu, load=load,
                           rc=[rc1, rc2], first_log=log1, second_log=log2,
                           second_did_nothing=rc2 == 0 and "settings already current" in log2,
                           met=rc1 == 0 and first is not None and first <= BOOT_TARGET_SECONDS
                           and rc2 == 0 and "settings already current" in log2)
        print("  boot %-22s first %.2f s (CPU %.2f s, rc %d), second %.2f s (CPU %.2f s, rc %d, %s), load %s" % (
            server, first or -1, first_cpu or -1, rc1, second or -1, second_cpu or -1, rc2,
            "nothing to do" if out[server]["second_did_nothing"] else "CHANGED AGAIN", load), flush=True)
    return out


def measure_hosts(log_dir):
    archives = Path(tempfile.mkdtemp(prefix="sf-bench-archives-", dir=str(log_dir)))
    built = json.loads(subprocess.run([sys.executable, str(TOP / "tests" / "standins" / "build_archives.py"),
                                       str(archives)], capture_output=True, text=True, check=True).stdout)
    extra = {"bench_wcs_archive": built["wcs"]["path"], "bench_wcs_version": built["wcs"]["version"]}
    out, loads, cpu = {}, {}, {}
    for count in (1, HOSTS):
        names = ["sf-bench-%d" % n for n in range(1, count + 1)]
        start_hosts(names)
        inventory = log_dir / ("hosts-%d.json" % count)
        write_inventory(inventory, "sf_bench", names)
        loads[count] = _load_average()
        try:
            seconds, spent = run_cpu_seconds(names, lambda: ansible_playbook(
                HERE / "playbooks" / "hosts_wcs.yml", inventory, extra, log=log_dir / ("hosts-wcs-%d.log" % count)))
            out[count], cpu[count] = round(seconds, 2), round(spent, 1)
        finally:
            remove_hosts(names)
        print("  wcs role on %d host%s: %.1f s, CPU %.1f s" % (
            count, "" if count == 1 else "s", out[count], cpu[count]), flush=True)
    ratio = round(out[HOSTS] / out[1], 2)
    cores = os.cpu_count() or 1
    return dict(one=out[1], many=out[HOSTS], hosts=HOSTS, ratio=ratio, met=ratio <= HOSTS_TARGET_RATIO,
                load_one=loads[1], load_many=loads[HOSTS], cpu_one=cpu[1], cpu_many=cpu[HOSTS], cores=cores,
                # the shortest the 6-host run could be on these cores, as a multiple of the 1-host run
                cpu_bound_ratio=round(cpu[HOSTS] / cores / out[1], 2))


def measure(log_dir, boot_only=False, hosts_only=False):
    """Both measurements (or one of them); problems are reported, containers always removed."""
    # `timeout` and CI stop with SIGTERM: exit through the finally blocks that remove the hosts.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    log_dir = Path(log_dir)
    result = dict(problems=[])
    print("boot-time user data and %d test hosts against 1 (Podman)" % HOSTS)
    if podman("image", "exists", IMAGE, check=False).returncode != 0:
        result["problems"].append("test-host image %s missing (run scripts/test-hosts.sh)" % IMAGE)
        return result
    try:
        if not hosts_only:
            result["boot"] = measure_boot(log_dir)
    except Exception as exc:  # reported, not hidden
        result["problems"].append("boot measurement: %s" % exc)
    finally:
        remove_hosts([BOOT_HOST])
    if boot_only:
        return result
    try:
        result["hosts"] = measure_hosts(log_dir)
    except Exception as exc:
        result["problems"].append("hosts measurement: %s" % exc)
    finally:
        remove_hosts(["sf-bench-%d" % n for n in range(1, HOSTS + 1)])
    return result


def markdown(result):
    lines = ["### Boot-time user data and server roles on many hosts", ""]
    boot = result.get("boot")
    if boot:
        lines.append("Boot-time user data on a test host, server start excluded (target ≤ %g s; the second "
                     "boot changes nothing):" % BOOT_TARGET_SECONDS)
        lines.append("")
        lines.append("| Server role | First boot | Second boot | CPU (first / second) | Load average (1 min) "
                     "| Second boot changed nothing | Met |")
        lines.append("|---|---:|---:|---:|---:|---|---|")

        def seconds(value):
            return "%.2f s" % value if value is not None else "-"

        for server, row in boot.items():
            lines.append("| %s | %s | %s | %s / %s | %s | %s | %s |" % (
                server, seconds(row["first"]), seconds(row["second"]), seconds(row.get("first_cpu")),
                seconds(row.get("second_cpu")), row.get("load", "-"),
                "yes" if row["second_did_nothing"] else "**no**", "yes" if row["met"] else "**no**"))
        lines.append("")
        lines.append("(Wall time inside the host; CPU = user + system of the script and every process it starts, "
                     "which the machine's load does not stretch.)")
        lines.append("")
    hosts = result.get("hosts")
    if hosts:
        lines.append("Role `wcs` (stand-in archive) on %d fresh test hosts against 1, forks %d: %.1f s against "
                     "%.1f s, ratio %g (target ≤ %g): %s." % (
                         hosts["hosts"], HOSTS, hosts["many"], hosts["one"], hosts["ratio"], HOSTS_TARGET_RATIO,
                         "met" if hosts["met"] else "**missed**")
                     + (" Load average (1 min) at the start: %s (1 host), %s (6 hosts)."
                        % (hosts["load_one"], hosts["load_many"]) if "load_one" in hosts else ""))
        if "cpu_many" in hosts:
            lines.append("")
            lines.append("CPU of each run (controller, modules and the hosts' services; not other work on the "
                         "machine): %.1f s (1 host), "
                         "%.1f s (%d hosts). On %d cores the %d-host run cannot take less than %.1f s, %g times "
                         "the 1-host run: that is the ratio these cores allow with this much work per host."
                         % (hosts["cpu_one"], hosts["cpu_many"], hosts["hosts"], hosts["cores"], hosts["hosts"],
                            hosts["cpu_many"] / hosts["cores"], hosts["cpu_bound_ratio"]))
        lines.append("")
    for problem in result.get("problems", []):
        lines.append("Problem: %s" % problem)
        lines.append("")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--boot-only", action="store_true", help="only the boot-time user data")
    which.add_argument("--hosts-only", action="store_true", help="only the role on 6 test hosts against 1")
    args = parser.parse_args(argv)
    log_dir = Path(tempfile.mkdtemp(prefix="sf-bench-hosts-"))
    result = measure(log_dir, boot_only=args.boot_only, hosts_only=args.hosts_only)
    print("\n".join(markdown(result)))
    # the shape of benchmarks/run.py's results, for run.py --hosts-from
    finished = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    (log_dir / "hosts.json").write_text(json.dumps(dict(meta=dict(finished=finished, load_after=list(
        Path("/proc/loadavg").read_text().split()[:3])), hosts=result), indent=2) + "\n")
    print("logs and hosts.json: %s" % log_dir)
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
