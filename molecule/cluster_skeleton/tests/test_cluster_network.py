"""The cluster skeleton's hosts talk to each other over the scenario's Podman network."""

HOSTS = ["sf-cluster-db", "sf-cluster-origin", "sf-cluster-edge"]


def test_systemd_runs(host):
    result = host.run("systemctl is-system-running")
    assert result.stdout.strip() in ("running", "degraded"), result.stdout


def test_reaches_every_other_host_by_name(host):
    me = host.backend.get_hostname()
    for other in HOSTS:
        if other == me:
            continue
        result = host.run(f"ping -c 1 -W 5 {other}")
        assert result.rc == 0, f"{me} cannot reach {other}: {result.stdout} {result.stderr}"


def test_other_hosts_resolve_to_the_scenario_network(host):
    me = host.backend.get_hostname()
    own = host.interface("eth0").addresses
    own_v4 = [a for a in own if ":" not in a]
    assert own_v4, "no IPv4 address on eth0"
    prefix = own_v4[0].rsplit(".", 1)[0]
    for other in HOSTS:
        if other == me:
            continue
        resolved = host.run(f"getent hosts {other}").stdout.split()
        assert resolved and resolved[0].startswith(prefix + "."), (other, resolved)
