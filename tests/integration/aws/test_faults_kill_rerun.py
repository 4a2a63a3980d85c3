"""Each AWS topology playbook killed at three points, chained, then run to the end: nothing
duplicated, nothing orphaned (issue 21, item 4).

The fault proxy (tests/lib/fault_proxy.py) sits between the playbook and moto. On the N-th
request of the chosen create it lets moto carry the create out, then SIGKILLs the playbook's
whole process tree (playbook, worker, module) before the answer goes back: the create happened,
the module never learnt its id -- the worst moment for a crash, an OOM kill or a cancelled AWX
job. The next run starts from there and is killed at the next point; the last run goes to the
end. Then every kind of object is counted in moto, all of them and those carrying the
deployment tag, and compared with what one clean run builds (``CLEAN``, measured through the
same proxy without faults).

The whole chain also runs through a storm (what test_faults_throttling.py did in three more
converges of its own): the proxy answers a seeded 20 % of the API calls with the service's
documented throttling error (EC2's 503 RequestLimitExceeded, the query APIs' 400 Throttling, the
JSON APIs' ThrottlingException), 2 % with a 5xx answer and 1 % with a reset connection, never
more than three in a row. Every create of the topology is sent in one of the four runs, so each
goes through the storm once; the operation a kill waits for is left out of the storm, so the
kill still falls on its N-th call. The counts -- faults injected by the proxy, and the retries
the modules report in ``api_retries`` -- are printed and kept in docs/testing.md ("Faults:
kill-and-rerun and throttling").
"""
import signal
import time
from collections import Counter

import pytest

from faults_topologies import (CLEAN, TOPOLOGIES, assert_counts, finish, inventory, module_retries, report,
                               start_topology)
from lib.fault_proxy import FaultProxy, TreeKiller, gone

SEED = 21
THROTTLE, SERVER_ERROR, RESET = 0.20, 0.02, 0.01

# (operation, occurrence in that run): moto carries the call out, the playbook dies before the
# answer. One sequence per topology: network first, then the balancer / launch template / the
# origin instance, then the Auto Scaling group.
KILL_POINTS = {
    "wcs": [("CreateVpc", 1), ("RunInstances", 1), ("CreateAutoScalingGroup", 1)],
    "red5pro": [("CreateVpc", 1), ("CreateLoadBalancer", 1), ("CreateAutoScalingGroup", 1)],
    "antmedia": [("CreateVpc", 1), ("CreateLaunchTemplate", 1), ("CreateAutoScalingGroup", 2)],
}


@pytest.mark.parametrize("name", sorted(KILL_POINTS))
def test_killed_three_times_then_rerun_through_a_storm_leaves_no_duplicate_and_no_orphan(
        name, playbook, aws, base_image_id):
    topology = TOPOLOGIES[name]
    values = topology.prepare(aws, base_image_id)
    proxy = FaultProxy(aws.endpoint_url).start()
    timings, at_kills = [], []
    # the storm's numbers over the whole chain: requests, faults by kind and by service
    requests, faults, faults_by_service = 0, Counter(), Counter()

    def storm(run, spared=None):
        proxy.storm(SEED + run, throttle=THROTTLE, server_error=SERVER_ERROR, reset=RESET, max_run=3,
                    match=None if spared is None else (lambda _service, action: action != spared))

    def tally():
        nonlocal requests
        requests += sum(proxy.counts.values())
        faults.update(proxy.fault_counts("kind"))
        faults_by_service.update(proxy.fault_counts("service"))

    try:
        for run, (operation, nth) in enumerate(KILL_POINTS[name]):
            proxy.reset()
            storm(run, spared=operation)
            killer = TreeKiller()
            trigger = proxy.on(operation, killer, nth=nth, when="after", then="drop")
            started = time.monotonic()
            proc = start_topology(playbook, topology, values, proxy.url)
            killer.pid = proc.pid
            returncode, _doc, output = finish(proc)
            timings.append(round(time.monotonic() - started, 1))
            tally()
            assert trigger.fired.is_set(), "%s #%d never came:\n%s" % (operation, nth, output[-3000:])
            assert returncode == -signal.SIGKILL, output[-3000:]
            assert len(killer.victims) >= 2 and gone(killer.victims), killer.victims
            assert proxy.calls[-1] == trigger.fired_on and trigger.fired_on[1] == operation
            # half-built, but nothing untagged: everything is tagged in its create call
            counted = inventory(aws, topology.deployment)
            assert all(n_all == n_tagged for n_all, n_tagged in counted.values()), counted
            at_kills.append(dict((kind, n_all) for kind, (n_all, _tagged) in counted.items() if n_all))

        proxy.reset()
        storm(len(KILL_POINTS[name]))
        started = time.monotonic()
        returncode, doc, output = finish(start_topology(playbook, topology, values, proxy.url))
        timings.append(round(time.monotonic() - started, 1))
        last_faults = sum(proxy.fault_counts("kind").values())
        tally()
        assert returncode == 0, output[-5000:]
        counted = assert_counts(aws, topology, CLEAN[name])
        report("%s kill-and-rerun: runs %s s; objects at the kills %s; after %s" % (name, timings, at_kills, counted),
               test="kill-rerun", topology=name, runs=timings, at_kills=at_kills, objects=counted)

        # the storm really blew, on every service the topology calls
        assert faults["throttle"] >= 0.1 * requests, (faults, requests)
        assert set(faults_by_service) >= {"ec2", "autoscaling", "iam"}, faults_by_service
        # the modules' retry log of the run that went to the end (a killed run reports nothing): a
        # retry for a fault, never one without a fault (a create whose re-read found the object is
        # not sent again, so not every fault is a retry)
        retried = module_retries(doc)
        assert 0 < sum(retried.values()) <= last_faults, (retried, last_faults)
        by_service = Counter()
        for key, count in retried.items():
            by_service[key.split(".", 1)[0]] += count
        report("%s storm over the chain: %d requests, faults %s, module retries in the last run %d %s, %s s; objects %s"
               % (name, requests, dict(faults), sum(retried.values()), dict(by_service), timings, counted),
               test="throttling", topology=name, requests=requests, faults=dict(faults),
               faults_by_service=dict(faults_by_service), module_retries=dict(by_service),
               seconds=round(sum(timings), 1), objects=counted)
    finally:
        proxy.close()
