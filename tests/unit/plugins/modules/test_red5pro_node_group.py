"""red5pro_node_group: which origins a run asks for (the role's day-2 rule, issue 16)."""
import pytest

from ansible_collections.streamfleet.cluster.plugins.modules.red5pro_node_group import nodes_ready, origins_wanted


@pytest.mark.parametrize("origins, initial, current, wanted", [
    (None, None, 0, 0),    # origins not managed
    (None, 1, 0, 1),       # a new group, or one whose creation was interrupted
    (None, 1, 3, 0),       # the autoscaler's count stays
    (None, 0, 0, 0),
    (3, 1, 1, 3),          # at least, for this run: the initial count is not used
    (0, 1, 0, 0),          # at least 0 asks for none, even in a group without origins
])
def test_origins_wanted(origins, initial, current, wanted):
    assert origins_wanted(origins, initial, current) == wanted


def test_nodes_ready_needs_every_node_inservice_and_the_origins():
    origin = {"role": "origin", "state": "inservice"}
    edge = {"role": "edge", "state": "pending"}
    assert nodes_ready([], 0) is True
    assert nodes_ready([], 1) is False
    assert nodes_ready([origin], 1) is True
    assert nodes_ready([origin], 2) is False
    assert nodes_ready([origin, edge], 1) is False
