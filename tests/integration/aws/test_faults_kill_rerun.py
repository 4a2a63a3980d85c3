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
"""
import signal
import time

import pytest

from faults_topologies import CLEAN, TOPOLOGIES, assert_counts, finish, inventory, report, start_topology
from lib.fault_proxy import FaultProxy, TreeKiller, gone

# (operation, occurrence in that run): moto carries the call out, the playbook dies before the
# answer. One sequence per topology: network first, then the balancer / launch template / the
# origin instance, then the Auto Scaling group.
KILL_POINTS = {
    "wcs": [("CreateVpc", 1), ("RunInstances", 1), ("CreateAutoScalingGroup", 1)],
    "red5pro": [("CreateVpc", 1), ("CreateLoadBalancer", 1), ("CreateAutoScalingGroup", 1)],
    "antmedia": [("CreateVpc", 1), ("CreateLaunchTemplate", 1), ("CreateAutoScalingGroup", 2)],
}


@pytest.mark.parametrize("name", sorted(KILL_POINTS))
def test_killed_three_times_then_rerun_leaves_no_duplicate_and_no_orphan(name, playbook, aws, base_image_id):
    topology = TOPOLOGIES[name]
    values = topology.prepare(aws, base_image_id)
    proxy = FaultProxy(aws.endpoint_url).start()
    timings, at_kills = [], []
    try:
        for operation, nth in KILL_POINTS[name]:
            proxy.reset()
            killer = TreeKiller()
            trigger = proxy.on(operation, killer, nth=nth, when="after", then="drop")
            started = time.monotonic()
            proc = start_topology(playbook, topology, values, proxy.url)
            killer.pid = proc.pid
            returncode, _doc, output = finish(proc)
            timings.append(round(time.monotonic() - started, 1))
            assert trigger.fired.is_set(), "%s #%d never came:\n%s" % (operation, nth, output[-3000:])
            assert returncode == -signal.SIGKILL, output[-3000:]
            assert len(killer.victims) >= 2 and gone(killer.victims), killer.victims
            assert proxy.calls[-1] == trigger.fired_on and trigger.fired_on[1] == operation
            # half-built, but nothing untagged: everything is tagged in its create call
            counted = inventory(aws, topology.deployment)
            assert all(n_all == n_tagged for n_all, n_tagged in counted.values()), counted
            at_kills.append(dict((kind, n_all) for kind, (n_all, _tagged) in counted.items() if n_all))

        proxy.reset()
        started = time.monotonic()
        returncode, doc, output = finish(start_topology(playbook, topology, values, proxy.url))
        timings.append(round(time.monotonic() - started, 1))
        assert returncode == 0, output[-5000:]
        counted = assert_counts(aws, topology, CLEAN[name])
        report("%s kill-and-rerun: runs %s s; objects at the kills %s; after %s" % (name, timings, at_kills, counted),
               test="kill-rerun", topology=name, runs=timings, at_kills=at_kills, objects=counted)
    finally:
        proxy.close()
