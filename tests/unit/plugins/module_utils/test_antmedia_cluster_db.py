# -*- coding: utf-8 -*-
"""Dead-node cleanup of Ant Media's cluster database (module_utils/servers/antmedia_cluster_db.py
behind antmedia_cluster_nodes), against a fake collection.

The documents are laid out as Ant Media Enterprise stores its ClusterNode entity (Morphia):
ant-media/Ant-Media-Server 5130ad8893a2a36d36f167045cf3db41cdf0057c,
src/main/java/io/antmedia/cluster/ClusterNode.java — ``_id`` (node id), ``_t``, ``ip``,
``lastUpdateTime`` (ms), ``memory``, ``cpu``, ``dbQueryAveargeTimeMs``; no ``status``.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import types

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.servers import antmedia_cluster_db as db
from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.antmedia_cluster_db import (
    ClusterNodeError,
    cleanup,
)

NOW = 1765080000000  # ms


def node(node_id, ip, age_s, **extra):
    doc = {"_id": node_id, "_t": "ClusterNode", "ip": ip, "lastUpdateTime": NOW - age_s * 1000,
           "memory": "1024", "cpu": "12", "dbQueryAveargeTimeMs": 1}
    doc.update(extra)
    return doc


class FakeCollection(object):
    """find/delete_many over a list, with the query operators the cleanup uses."""

    full_name = "clusterdb.clusternode"

    def __init__(self, documents):
        self.documents = [dict(d) for d in documents]
        self.deletes = []

    def find(self, query, projection):
        assert query == {}
        assert set(projection) == set(db.NODE_FIELDS)
        return [dict((k, v) for k, v in d.items() if k in projection) for d in self.documents]

    @staticmethod
    def _matches(doc, query):
        if "$or" in query:
            return any(FakeCollection._matches(doc, clause) for clause in query["$or"])
        if doc["_id"] not in query["_id"]["$in"]:
            return False
        cutoff = query["lastUpdateTime"]["$not"]["$gte"]
        last = doc.get("lastUpdateTime")
        return last is None or not last >= cutoff

    def delete_many(self, query):
        self.deletes.append(query)
        gone = [d for d in self.documents if self._matches(d, query)]
        self.documents = [d for d in self.documents if d not in gone]
        return types.SimpleNamespace(deleted_count=len(gone))

    def ids(self):
        return sorted(d["_id"] for d in self.documents)


def cluster():
    return FakeCollection([
        node("live-origin", "10.0.1.10", 2),
        node("live-edge", "10.0.2.20", 4),
        node("dead-edge", "10.0.2.21", 3600),
        node("dead-origin", "10.0.1.11", 90),
        # Not updated lately but its instance still exists (a slow node, vendor issue 7226): kept.
        node("slow-origin", "10.0.1.12", 300),
    ])


LIVE = ["10.0.1.10", "10.0.2.20", "10.0.1.12"]


def test_removes_dead_nodes_whose_address_is_gone_and_is_idempotent():
    coll = cluster()
    result = cleanup(coll, LIVE, now_ms=NOW)
    assert result["changed"] is True
    assert sorted(n["id"] for n in result["removed"]) == ["dead-edge", "dead-origin"]
    assert all(n["reason"] == db.REASON_NOT_LIVE for n in result["removed"])
    assert result["deleted_count"] == 2
    assert coll.ids() == ["live-edge", "live-origin", "slow-origin"]
    again = cleanup(coll, LIVE, now_ms=NOW)
    assert again["changed"] is False
    assert again["removed"] == []
    assert len(coll.deletes) == 1


def test_check_mode_lists_and_diffs_without_deleting():
    coll = cluster()
    result = cleanup(coll, LIVE, check_mode=True, now_ms=NOW)
    assert result["changed"] is True
    assert result["deleted_count"] == 0
    assert coll.deletes == []
    assert len(coll.ids()) == 5
    assert "dead-edge 10.0.2.21 (dead, updated 3600 s ago)" in result["diff"]["before"]
    assert "dead-edge" not in result["diff"]["after"]
    assert "live-origin 10.0.1.10 (alive, updated 2 s ago)" in result["diff"]["after"]


def test_a_live_unknown_address_is_never_removed():
    # A node that just started on an instance launched after the list was taken.
    coll = FakeCollection([node("new", "10.0.3.30", 1), node("old", "10.0.1.10", 1)])
    result = cleanup(coll, ["10.0.1.10"], now_ms=NOW)
    assert result["changed"] is False
    assert coll.ids() == ["new", "old"]


def test_dead_after_protects_recently_silent_nodes():
    coll = FakeCollection([node("quiet", "10.0.9.9", 45), node("live", "10.0.1.10", 1)])
    assert cleanup(coll, ["10.0.1.10"], dead_after=60, now_ms=NOW)["changed"] is False
    assert cleanup(coll, ["10.0.1.10"], dead_after=30, now_ms=NOW)["removed"][0]["id"] == "quiet"


def test_stale_after_removes_old_documents_even_on_a_live_address():
    coll = FakeCollection([node("restarted", "10.0.1.10", 1), node("previous-run", "10.0.1.10", 7200)])
    result = cleanup(coll, ["10.0.1.10"], stale_after=3600, now_ms=NOW)
    assert [(n["id"], n["reason"]) for n in result["removed"]] == [("previous-run", db.REASON_STALE)]
    assert coll.ids() == ["restarted"]


def test_stale_after_alone():
    coll = cluster()
    result = cleanup(coll, None, stale_after=600, now_ms=NOW)
    assert [n["id"] for n in result["removed"]] == ["dead-edge"]


def test_refuses_to_empty_the_collection_unless_allowed():
    coll = FakeCollection([node("a", "10.0.1.10", 600), node("b", "10.0.1.11", 600)])
    with pytest.raises(ClusterNodeError, match="allow_empty"):
        cleanup(coll, [], now_ms=NOW)
    assert coll.deletes == [] and coll.ids() == ["a", "b"]
    result = cleanup(coll, [], allow_empty=True, now_ms=NOW)
    assert result["deleted_count"] == 2 and coll.ids() == []
    # An empty collection is no refusal.
    assert cleanup(coll, [], now_ms=NOW)["changed"] is False


@pytest.mark.parametrize("kwargs, message", [
    (dict(keep_addresses=["10.0.1.300"]), "keep_addresses: '10.0.1.300' is not an IP address"),
    (dict(keep_addresses=["i-0123456789abcdef0"]), "is not an IP address"),
    (dict(keep_addresses=None), "give keep_addresses"),
    (dict(keep_addresses=[], dead_after=5), "dead_after: 5 is below 20"),
    (dict(keep_addresses=[], stale_after=30, dead_after=60), "stale_after: 30 must be at least dead_after"),
])
def test_bad_input_fails_before_reading(kwargs, message):
    coll = cluster()
    coll.find = None  # any read would fail differently
    with pytest.raises(ClusterNodeError, match=message.replace("(", r"\(")):
        cleanup(coll, now_ms=NOW, **kwargs)


def test_node_that_reports_again_before_the_delete_is_kept():
    coll = cluster()
    original_delete = coll.delete_many

    def revive_then_delete(query):
        for doc in coll.documents:
            if doc["_id"] == "dead-origin":
                doc["lastUpdateTime"] = NOW  # it reported between the read and the delete
        return original_delete(query)

    coll.delete_many = revive_then_delete
    result = cleanup(coll, LIVE, now_ms=NOW)
    assert result["deleted_count"] == 1
    assert "dead-origin" in coll.ids() and "dead-edge" not in coll.ids()
    assert "reported again" in result["warnings"][0]


def test_documents_without_time_or_address_count_as_dead():
    coll = FakeCollection([{"_id": "broken", "_t": "ClusterNode"}, node("live", "10.0.1.10", 1)])
    result = cleanup(coll, ["10.0.1.10"], now_ms=NOW)
    assert result["removed"][0]["id"] == "broken"
    assert result["removed"][0]["seconds_since_update"] is None
    assert coll.ids() == ["live"]


def test_ipv6_addresses_are_accepted():
    coll = FakeCollection([node("v6", "2001:db8::10", 600), node("live", "10.0.1.10", 1)])
    assert cleanup(coll, ["10.0.1.10", "2001:db8::10"], now_ms=NOW)["changed"] is False
