"""A stand-in for pymongo, for the playbook test of antmedia_cluster_nodes on the controller
(the real module runs against mongod in the Molecule scenario ``mongodb``).

Collections are kept in the JSON file named by ``FAKE_PYMONGO_STORE`` ({"db.collection": [docs]}),
so each module run (a new process) sees what the previous one left. Only what the cleanup uses:
``MongoClient(url or host=...)``, ``client[db][collection]``, ``find({}, projection)``,
``delete_many`` with ``$or``, ``_id: {$in}``, ``lastUpdateTime: {$not: {$gte}}``, ``close``.
"""
import json
import os
import types

version = "0.0-test"


class MongoClient(object):
    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs

    def __getitem__(self, database):
        return _Database(database)

    def close(self):
        pass


class _Database(object):
    def __init__(self, name):
        self.name = name

    def __getitem__(self, collection):
        return _Collection("%s.%s" % (self.name, collection))


def _load():
    with open(os.environ["FAKE_PYMONGO_STORE"]) as handle:
        return json.load(handle)


def _matches(doc, query):
    if "$or" in query:
        return any(_matches(doc, clause) for clause in query["$or"])
    if doc["_id"] not in query["_id"]["$in"]:
        return False
    last = doc.get("lastUpdateTime")
    return last is None or last < query["lastUpdateTime"]["$not"]["$gte"]


class _Collection(object):
    def __init__(self, full_name):
        self.full_name = full_name

    def find(self, query, projection):
        return [dict((k, v) for k, v in doc.items() if k in projection) for doc in _load().get(self.full_name, [])]

    def delete_many(self, query):
        store = _load()
        docs = store.get(self.full_name, [])
        kept = [doc for doc in docs if not _matches(doc, query)]
        store[self.full_name] = kept
        with open(os.environ["FAKE_PYMONGO_STORE"], "w") as handle:
            json.dump(store, handle)
        return types.SimpleNamespace(deleted_count=len(docs) - len(kept))
