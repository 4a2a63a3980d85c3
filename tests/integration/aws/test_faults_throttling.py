"""Each AWS topology converges through a storm of throttling, 5xx answers and connection resets
(issue 21, item 4): the same objects as a run without faults, nothing duplicated or orphaned.

The fault proxy (tests/lib/fault_proxy.py) answers a seeded 20 % of the API calls with the
service's documented throttling error (EC2's 503 RequestLimitExceeded, the query APIs' 400
Throttling, the JSON APIs' ThrottlingException), 2 % with a 5xx answer and 1 % with a reset
connection, never more than three in a row. The counts -- faults injected by the proxy, and
the retries the modules report in ``api_retries`` -- are printed and kept in docs/testing.md
("Faults: kill-and-rerun and throttling").
"""
import time
from collections import Counter

import pytest

from faults_topologies import CLEAN, TOPOLOGIES, assert_counts, finish, module_retries, report, start_topology
from lib.fault_proxy import FaultProxy

SEED = 21
THROTTLE, SERVER_ERROR, RESET = 0.20, 0.02, 0.01


@pytest.mark.parametrize("name", sorted(TOPOLOGIES))
def test_topology_converges_through_throttling_5xx_and_resets(name, playbook, aws, base_image_id):
    topology = TOPOLOGIES[name]
    values = topology.prepare(aws, base_image_id)
    proxy = FaultProxy(aws.endpoint_url).start()
    try:
        proxy.storm(SEED, throttle=THROTTLE, server_error=SERVER_ERROR, reset=RESET, max_run=3)
        started = time.monotonic()
        returncode, doc, output = finish(start_topology(playbook, topology, values, proxy.url))
        seconds = time.monotonic() - started
        assert returncode == 0, output[-5000:]
        counted = assert_counts(aws, topology, CLEAN[name])

        requests = sum(proxy.counts.values())
        faults = proxy.fault_counts("kind")
        retried = module_retries(doc)
        # the storm really blew, on every service the topology calls
        assert faults["throttle"] >= 0.1 * requests, (faults, requests)
        assert set(proxy.fault_counts("service")) >= {"ec2", "autoscaling", "iam"}
        # the modules' retry log: a retry for a fault, never one without a fault (a create whose
        # re-read found the object is not sent again, so not every fault is a retry)
        assert 0 < sum(retried.values()) <= sum(faults.values()), (retried, faults)
        by_service = Counter()
        for key, count in retried.items():
            by_service[key.split(".", 1)[0]] += count
        report("%s storm: %d requests, faults %s, module retries %d %s, %.0f s; objects %s" % (
            name, requests, dict(faults), sum(retried.values()), dict(by_service), seconds, counted),
            test="throttling", topology=name, requests=requests, faults=dict(faults),
            faults_by_service=dict(proxy.fault_counts("service")), module_retries=dict(by_service),
            seconds=round(seconds, 1), objects=counted)
    finally:
        proxy.close()
