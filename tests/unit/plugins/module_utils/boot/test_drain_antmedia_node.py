"""The drain agent's last step on an Ant Media cluster node: stop the server, delete its own
clusternode document (by address), then complete; every failure is logged and completes anyway.

The collection double holds documents laid out as the vendor's ClusterNode (see
plugins/module_utils/servers/antmedia_cluster_db.py for the source and commit).
"""
import json
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.boot.metadata import MetadataError
from ansible_collections.streamfleet.cluster.plugins.module_utils.drain import agent as drain
from ansible_collections.streamfleet.cluster.plugins.module_utils.drain import antmedia_node
from ansible_collections.streamfleet.cluster.plugins.module_utils.drain.antmedia_node import AntMediaNodeRemoval
from ansible_collections.streamfleet.cluster.plugins.module_utils.servers import antmedia

REPO = Path(__file__).resolve().parents[5]
ARCHIVE = REPO / "tests" / "standins" / "archives" / "antmedia"
URL = "mongodb://antmedia:s3cr%40t@10.0.9.9:27017/?authSource=admin"
ME, OTHER = "10.0.3.7", "10.0.3.8"


class FakeCollection(object):
    def __init__(self, documents, fail=None):
        self.documents = [dict(d) for d in documents]
        self.deletes = []
        self.fail = fail

    def delete_many(self, query):
        if self.fail:
            raise self.fail
        self.deletes.append(query)
        wanted = set(query["ip"]["$in"])
        gone = [d for d in self.documents if d["ip"] in wanted]
        self.documents = [d for d in self.documents if d not in gone]
        return types.SimpleNamespace(deleted_count=len(gone))


class FakeClient(object):
    closed = False

    def close(self):
        self.closed = True


def node(node_id, ip):
    return {"_id": node_id, "ip": ip, "lastUpdateTime": 1765000000000, "memory": "1", "cpu": "1", "_t": "ClusterNode"}


@pytest.fixture
def cluster_home(tmp_path):
    home = shutil.copytree(ARCHIVE, tmp_path / "antmedia")
    for item in antmedia.plan(str(home), "cluster", URL):
        if item.changed:
            Path(item.path).write_text(item.after)
    return home


class Calls(object):
    def __init__(self, rc=0, raises=None):
        self.calls, self.rc, self.raises = [], rc, raises

    def __call__(self, argv, **kwargs):
        self.calls.append((argv, kwargs["timeout"]))
        if self.raises:
            raise self.raises
        return subprocess.CompletedProcess(argv, self.rc, stdout=b"unit not loaded" if self.rc else b"")


def removal(home, collection, runner, addresses=(ME, None), connect=None):
    client = FakeClient()

    def default_connect(url, timeout):
        assert url == URL and timeout == 5
        return collection, client

    return AntMediaNodeRemoval(str(home), lambda: list(addresses), runner=runner,
                               connect=connect or default_connect), client


def run(step):
    lines = []
    step(lines.append)
    text = "\n".join(lines)
    assert "s3cr" not in text, "the database password is never logged"
    return text


def test_stops_the_server_then_deletes_its_own_document(cluster_home):
    collection = FakeCollection([node("a", ME), node("b", OTHER)])
    runner = Calls()
    step, client = removal(cluster_home, collection, runner)
    log = run(step)
    assert runner.calls == [(["systemctl", "stop", "antmedia"], 120)]
    assert collection.deletes == [{"ip": {"$in": [ME]}}]
    assert [d["_id"] for d in collection.documents] == ["b"], "the other nodes stay"
    assert step.removed == 1 and client.closed
    assert "removed 1 clusternode document(s) of 10.0.3.7 from clusterdb.clusternode" in log


def test_the_database_url_is_read_from_the_servers_own_settings(cluster_home):
    assert antmedia_node.cluster_url(str(cluster_home)) == URL
    assert antmedia_node.cluster_url(str(ARCHIVE)) is None, "the shipped clusterdb.host=localhost is standalone"


def test_standalone_server_is_left_running(tmp_path):
    home = shutil.copytree(ARCHIVE, tmp_path / "antmedia")
    runner = Calls()
    step, _client = removal(home, FakeCollection([]), runner)
    assert "not a cluster node" in run(step)
    assert runner.calls == []


@pytest.mark.parametrize("runner", [Calls(rc=5), Calls(raises=subprocess.TimeoutExpired("systemctl", 120)),
                                    Calls(raises=FileNotFoundError(2, "No such file"))],
                         ids=["exit-5", "timeout", "no-systemctl"])
def test_failed_stop_leaves_the_document(cluster_home, runner):
    collection = FakeCollection([node("a", ME)])
    step, _client = removal(cluster_home, collection, runner)
    log = run(step)
    assert collection.deletes == [] and "left in place" in log


def test_without_pymongo_it_logs_and_goes_on(cluster_home, monkeypatch):
    monkeypatch.setitem(sys.modules, "pymongo", None)  # "import pymongo" raises ImportError
    step = AntMediaNodeRemoval(str(cluster_home), lambda: [ME], runner=Calls())
    assert "pymongo is not installed" in run(step)
    assert step.removed is None


def test_unreachable_database_is_logged(cluster_home):
    def connect(url, timeout):
        raise OSError("connection refused to %s" % url)

    step, _client = removal(cluster_home, None, Calls(), connect=connect)
    assert "cannot reach clusterdb.clusternode" in run(step)


def test_delete_failure_is_logged_and_the_client_closed(cluster_home):
    collection = FakeCollection([node("a", ME)], fail=OSError("not primary"))
    step, client = removal(cluster_home, collection, Calls())
    assert "failed: not primary" in run(step)
    assert client.closed


def test_unknown_address_deletes_nothing(cluster_home):
    def broken():
        raise MetadataError("imds down")

    collection = FakeCollection([node("a", ME)])
    step = AntMediaNodeRemoval(str(cluster_home), broken, runner=Calls(), connect=lambda u, t: (collection, None))
    assert "address is unknown" in run(step)
    assert collection.deletes == []


def test_agent_runs_the_step_once_before_completing():
    order = []

    class Sessions(object):
        def count(self):
            return 0

        def describe(self):
            return "stand-in"

    class Imds(object):
        endpoint = "http://127.0.0.1:9"

        def read(self, path, missing_ok=False):
            return {"autoscaling/target-lifecycle-state": "Terminated", "instance-id": "i-1",
                    "placement/region": "eu-west-1"}[path]

    class AutoScaling(object):
        def complete(self, *args, **kwargs):
            order.append("complete")

    config = drain.load_config(json.dumps({"server": "antmedia", "auto_scaling_group_name": "g"}))
    agent = drain.DrainAgent(config, Imds(), Sessions(), lambda region: AutoScaling(), sleep=lambda s: None,
                             out=open("/dev/null", "w"), before_complete=lambda log: order.append("remove"))
    assert agent.run() == 0
    assert order == ["remove", "complete"]


def test_build_agent_wires_the_step_for_antmedia_only():
    config = drain.load_config(json.dumps({"server": "antmedia"}))
    assert isinstance(drain.build_agent(config).before_complete, AntMediaNodeRemoval)
    config = drain.load_config(json.dumps({"server": "antmedia", "remove_cluster_node": False}))
    assert drain.build_agent(config).before_complete is None
    assert drain.build_agent(drain.load_config('{"server": "wcs"}')).before_complete is None
    with pytest.raises(drain.ConfigError, match="remove_cluster_node"):
        drain.load_config(json.dumps({"server": "antmedia", "remove_cluster_node": "yes"}))
