# -*- coding: utf-8 -*-
"""User management of module_utils/mongodb.py (behind mongodb_users), against a fake mongod.

The fake keeps users as the server does and enforces what matters here: authentication,
the localhost exception (anonymous createUser only while no user exists) and role sets.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils import mongodb
from ansible_collections.streamfleet.cluster.plugins.module_utils.mongodb import (
    MongoLogin,
    MongoUserError,
    ensure_users,
)


class FakeServer(object):
    def __init__(self):
        self.users = {}   # (name, db) -> {"pwd": ..., "roles": [...]}
        self.writes = []

    def client(self, host, port, serverSelectionTimeoutMS, username=None, password=None, authSource=None):
        assert (host, port, serverSelectionTimeoutMS) == ("127.0.0.1", 27017, 5000)
        return FakeClient(self, username, password, authSource)


class FakeClient(object):
    def __init__(self, server, user, password, auth_db):
        self.server, self.closed = server, False
        if user is not None:
            stored = server.users.get((user, auth_db))
            self.authenticated = stored is not None and stored["pwd"] == password
            self.bad_login = not self.authenticated
        else:
            self.authenticated, self.bad_login = False, False

    def close(self):
        self.closed = True

    def __getitem__(self, database):
        return FakeDatabase(self, database)


class FakeDatabase(object):
    def __init__(self, client, name):
        self.client, self.name = client, name

    def command(self, command, *args, **kwargs):
        server = self.client.server
        if self.client.bad_login:
            raise mongodb.OperationFailure("Authentication failed.", mongodb.AUTHENTICATION_FAILED)
        if command == "connectionStatus":
            return {"ok": 1}
        if command == "createUser" and not self.client.authenticated and server.users:
            raise mongodb.OperationFailure("not authorized", mongodb.UNAUTHORIZED)
        if command == "createUser":
            server.users[(args[0], self.name)] = {"pwd": kwargs["pwd"], "roles": kwargs["roles"]}
            server.writes.append(("createUser", args[0]))
            return {"ok": 1}
        assert self.client.authenticated
        if command == "usersInfo":
            key = (args[0]["user"], args[0]["db"])
            found = server.users.get(key)
            return {"users": [{"user": key[0], "db": key[1], "roles": found["roles"]}] if found else []}
        if command == "updateUser":
            server.users[(args[0], self.name)].update(kwargs)
            server.writes.append(("updateUser", args[0], tuple(sorted(kwargs))))
            return {"ok": 1}
        raise AssertionError(command)


@pytest.fixture
def server():
    return FakeServer()


APP = [{"name": "antmedia", "password": "app-pw", "database": "admin",
        "roles": [{"role": "readWrite", "db": "clusterdb"}]}]


def run(server, admin_password="admin-pw", users=None, check_mode=False, update_password="always"):
    users = APP if users is None else users
    login = MongoLogin("127.0.0.1", 27017, 5, client_factory=server.client)
    return ensure_users(login, "admin", admin_password, [{"role": "root", "db": "admin"}], users,
                        update_password, check_mode)


def actions(results):
    return [(item["name"], item["action"]) for item in results]


def test_fresh_server_then_idempotent(server):
    assert actions(run(server, check_mode=True)) == [("admin", "created"), ("antmedia", "created")]
    assert server.writes == []
    assert actions(run(server)) == [("admin", "created"), ("antmedia", "created")]
    assert server.users[("antmedia", "admin")]["roles"] == [{"role": "readWrite", "db": "clusterdb"}]
    server.writes = []
    assert actions(run(server)) == [("admin", "unchanged"), ("antmedia", "unchanged")]
    assert server.writes == []


def test_roles_and_password_updated_exactly(server):
    run(server)
    users = [dict(APP[0], password="new-pw", roles=[{"role": "readWrite", "db": "serverdb"}])]
    assert actions(run(server, users=users, check_mode=True)) == [("admin", "unchanged"), ("antmedia", "updated")]
    assert server.users[("antmedia", "admin")]["pwd"] == "app-pw"
    assert actions(run(server, users=users)) == [("admin", "unchanged"), ("antmedia", "updated")]
    assert server.users[("antmedia", "admin")] == {"pwd": "new-pw", "roles": [{"role": "readWrite", "db": "serverdb"}]}


def test_on_create_leaves_passwords_alone(server):
    run(server)
    users = [dict(APP[0], password="other")]
    assert actions(run(server, users=users, update_password="on_create")) == [
        ("admin", "unchanged"), ("antmedia", "unchanged")]
    assert server.users[("antmedia", "admin")]["pwd"] == "app-pw"


def test_wrong_admin_password_after_users_exist_is_explained(server):
    run(server)
    with pytest.raises(MongoUserError, match="localhost exception no longer allows") as info:
        run(server, admin_password="wrong")
    assert "wrong" not in str(info.value)
    assert info.value.partial_results == []
