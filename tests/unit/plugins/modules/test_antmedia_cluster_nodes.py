"""antmedia_cluster_nodes: arguments, connection, check mode and failures, with a fake client.

The real thing runs against mongod in the Molecule scenario ``mongodb``.
"""
import pytest

from ansible_collections.streamfleet.cluster.plugins.modules import antmedia_cluster_nodes as module

from unit.plugins.module_utils.test_antmedia_cluster_db import FakeCollection, node

SECRET = "Sf-unit-only:p@ss"


class FakeClient(object):
    instances = []

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs, self.closed = args, kwargs, False
        FakeClient.instances.append(self)

    def __getitem__(self, database):
        return {"clusternode": FakeClient.collection} if database == "clusterdb" else {}

    def close(self):
        self.closed = True


@pytest.fixture
def fake(monkeypatch):
    FakeClient.instances = []
    FakeClient.collection = FakeCollection([node("live", "10.0.1.10", 1), node("gone", "10.0.1.11", 600)])
    monkeypatch.setattr(module, "MongoClient", FakeClient)
    monkeypatch.setattr(module, "PYMONGO_IMPORT_ERROR", None)
    return FakeClient


def test_removes_with_url_login_and_hides_it(run_module, fake):
    url = "mongodb://antmedia:Sf-unit-only%3Ap%40ss@10.0.0.5:27017"
    result = run_module("antmedia_cluster_nodes", dict(login_url=url, keep_addresses=["10.0.1.10"]))
    assert result["changed"] is True, result
    assert [n["id"] for n in result["removed"]] == ["gone"]
    assert fake.collection.ids() == ["live"]
    assert fake.instances[0].args == (url,) and fake.instances[0].closed
    assert "Sf-unit-only" not in str(result)
    assert "diff" not in result


def test_check_mode_diff_and_host_login(run_module, fake):
    result = run_module("antmedia_cluster_nodes", dict(login_user="antmedia", login_password=SECRET,
                                                       keep_addresses=["10.0.1.10"]),
                        check_mode=True, diff=True)
    assert result["changed"] is True and result["deleted_count"] == 0
    assert "gone 10.0.1.11" in result["diff"]["before"] and "gone" not in result["diff"]["after"]
    assert fake.collection.ids() == ["gone", "live"]
    kwargs = fake.instances[0].kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["username"], kwargs["authSource"]) == (
        "127.0.0.1", 27017, "antmedia", "admin")
    assert SECRET not in str(result)


@pytest.mark.parametrize("args, message", [
    (dict(keep_addresses=["not-an-ip"]), "is not an IP address"),
    (dict(), "one of the following is required: keep_addresses, stale_after"),
    (dict(keep_addresses=[], dead_after=1), "dead_after: 1 is below 20"),
    (dict(keep_addresses=[], login_url="http://10.0.0.5"), "mongodb"),
])
def test_bad_input_fails_before_connecting(run_module, fake, args, message):
    result = run_module("antmedia_cluster_nodes", args)
    assert result["failed"] is True
    assert message in result["msg"]
    assert fake.instances == []


def test_refusal_to_empty_names_the_option(run_module, fake):
    result = run_module("antmedia_cluster_nodes", dict(keep_addresses=["10.9.9.9"], dead_after=20,
                                                       stale_after=20))
    assert result["failed"] is True and "allow_empty" in result["msg"]
    assert fake.collection.ids() == ["gone", "live"]


def test_missing_pymongo_is_reported(run_module, monkeypatch):
    monkeypatch.setattr(module, "PYMONGO_IMPORT_ERROR", "Traceback: no pymongo")
    result = run_module("antmedia_cluster_nodes", dict(keep_addresses=["10.0.1.10"]))
    assert result["failed"] is True and "pymongo" in result["msg"]
