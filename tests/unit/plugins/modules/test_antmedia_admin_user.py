# -*- coding: utf-8 -*-
"""antmedia_admin_user against the Ant Media stand-in's console on 127.0.0.1.

The stand-in (tests/standins/archives/common/standin_server.py) answers first-login-status,
users/initial and users/authenticate in the shapes of the vendor's Result object; it runs here in
a thread on a free port, with its users in a temporary file.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import http.server
import importlib.util
import json
import threading
from pathlib import Path

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.servers import antmedia

STANDIN = Path(__file__).resolve().parents[3] / "standins" / "archives" / "common" / "standin_server.py"
PASSWORD = "Panel:pass&word/41aa"


def _load_standin():
    spec = importlib.util.spec_from_file_location("standin_server", str(STANDIN))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


STANDIN_SERVER = _load_standin()


class Console(object):
    """A running stand-in console; ``requests`` records (method, path, body) of every call."""

    def __init__(self, home):
        self.app = STANDIN_SERVER.AntMediaApp(str(home))
        self.app.start_background()
        self.requests = []
        recorder = self

        class Handler(STANDIN_SERVER.BaseHandler):
            app = self.app

            def log_message(self, fmt, *args):
                pass

            def do_GET(self):
                recorder.requests.append(("GET", self.path, None))
                STANDIN_SERVER.BaseHandler.do_GET(self)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                recorder.requests.append(("POST", self.path, json.loads(body or b"null")))
                self.app.post(self, body)

        self.server = STANDIN_SERVER.Server(("127.0.0.1", 0), Handler)
        self.server.kind = "http"
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def posts(self):
        return [request[1] for request in self.requests if request[0] == "POST"]

    def users(self):
        return self.app.users.all()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def console(tmp_path):
    home = tmp_path / "antmedia"
    (home / "webapps" / "root" / "WEB-INF").mkdir(parents=True)
    running = Console(home)
    yield running
    running.close()


def args(console, **extra):
    base = dict(url=console.url, email="admin@example.com", password=PASSWORD)
    base.update(extra)
    return base


def test_creates_the_administrator_once_then_changes_nothing(run_module, console):
    first = run_module("antmedia_admin_user", args(console))
    assert first["changed"] is True and first["created"] is True and first["user_existed"] is False
    assert console.users() == [{
        "email": "admin@example.com", "password": hashlib.md5(PASSWORD.encode()).hexdigest(),
        "userType": "ADMIN", "scope": "system", "appNameUserType": {"system": "ADMIN"}}]
    body = [b for m, p, b in console.requests if p == "/rest/v2/users/initial"][0]
    assert body == {"email": "admin@example.com", "password": PASSWORD, "scope": "system", "userType": "ADMIN"}

    again = run_module("antmedia_admin_user", args(console))
    assert again["changed"] is False and again["created"] is False and again["user_existed"] is True
    # Nothing posted the second time: posting would report the e-mail to the vendor again.
    assert console.posts() == ["/rest/v2/users/initial"]


def test_an_existing_user_is_never_overwritten(run_module, console):
    run_module("antmedia_admin_user", args(console, email="someone@example.com", password="theirs-123"))
    result = run_module("antmedia_admin_user", args(console))
    assert result["changed"] is False and result["user_existed"] is True
    assert [user["email"] for user in console.users()] == ["someone@example.com"]


def test_verify_existing_fails_when_the_panel_belongs_to_someone_else(run_module, console):
    run_module("antmedia_admin_user", args(console, email="someone@example.com", password="theirs-123"))
    result = run_module("antmedia_admin_user", args(console, verify_existing=True))
    assert result["failed"] is True
    assert "someone else may have claimed the panel" in result["msg"]
    assert PASSWORD not in json.dumps(result)


def test_verify_existing_passes_for_the_declared_administrator(run_module, console):
    run_module("antmedia_admin_user", args(console))
    result = run_module("antmedia_admin_user", args(console, verify_existing=True))
    assert result["changed"] is False and result["verified"] is True


def test_check_mode_sends_nothing_and_reports_the_change(run_module, console):
    checked = run_module("antmedia_admin_user", args(console), check_mode=True)
    assert checked["changed"] is True and checked["created"] is False
    assert console.posts() == [] and console.users() == []
    real = run_module("antmedia_admin_user", args(console))
    assert real["changed"] is True
    assert run_module("antmedia_admin_user", args(console), check_mode=True)["changed"] is False


def test_diff_shows_the_administrator_never_the_password(run_module, console):
    result = run_module("antmedia_admin_user", args(console), diff=True)
    assert result["diff"]["before"] == {"administrator": None}
    assert result["diff"]["after"]["administrator"] == "admin@example.com"
    assert PASSWORD not in json.dumps(result)
    again = run_module("antmedia_admin_user", args(console), diff=True)
    assert again["diff"]["before"] == again["diff"]["after"]


def test_password_is_no_log():
    from ansible_collections.streamfleet.cluster.plugins.modules import antmedia_admin_user
    assert "no_log=True" in Path(antmedia_admin_user.__file__).read_text().split("password=dict(")[1].split(")")[0]


@pytest.mark.parametrize("bad, words", [
    (dict(url="ftp://127.0.0.1:5080"), "url='ftp://127.0.0.1:5080' refused: is not a http or https URL"),
    (dict(url="127.0.0.1:5080"), "url='127.0.0.1:5080' refused: is not a http or https URL"),
    (dict(email=" admin@example.com"), "email must be"),
    (dict(password=""), "password must not be empty"),
    (dict(wait_timeout=-1), "wait_timeout"),
])
def test_bad_input_fails_before_any_call(run_module, console, bad, words):
    result = run_module("antmedia_admin_user", args(console, **bad))
    assert result["failed"] is True and words in result["msg"]
    assert console.requests == []


def test_unreachable_console_fails_with_the_cause(run_module, console):
    url = console.url
    console.close()
    result = run_module("antmedia_admin_user", dict(url=url, email="a@example.com", password=PASSWORD))
    assert result["failed"] is True and "GET %s/rest/v2/first-login-status failed" % url in result["msg"]


class _Fixed(http.server.BaseHTTPRequestHandler):
    status, body, location = 200, b"", None

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.send_response(self.status)
        if self.location:
            self.send_header("Location", self.location)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_POST = do_GET


@pytest.fixture
def fixed():
    servers = []

    def start(status, body, location=None):
        handler = type("H", (_Fixed,), {"status": status, "body": body, "location": location})
        server = http.server.HTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return "http://127.0.0.1:%d" % server.server_address[1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("status, body, words", [
    (200, b"<html>welcome</html>", "without a result object"),
    (404, b"not found", "HTTP 404 (is this Ant Media Server's console on port 5080?)"),
    (503, b"", "HTTP 503"),
    (302, b"", "redirecting to https://panel.example.com/"),
])
def test_answers_that_are_not_the_console_fail_clearly(run_module, fixed, status, body, words):
    url = fixed(status, body, location="https://panel.example.com/" if status == 302 else None)
    result = run_module("antmedia_admin_user", dict(url=url, email="a@example.com", password=PASSWORD))
    assert result["failed"] is True and words in result["msg"], result["msg"]


def test_refused_creation_after_a_concurrent_one_says_so(console):
    class Racing(antmedia.Console):
        """Another node creates the first user between our status read and our post."""

        def create_initial_admin(self, email, password, first_name=None, last_name=None):
            antmedia.Console(self.url).create_initial_admin("other@example.com", "other-pass")
            return antmedia.Console.create_initial_admin(self, email, password)

    with pytest.raises(antmedia.AntMediaError, match="another user was created"):
        antmedia.ensure_initial_admin(Racing(console.url), "admin@example.com", PASSWORD)
    assert [user["email"] for user in console.users()] == ["other@example.com"]


def test_wait_retries_until_the_console_answers(console):
    calls = []

    class Starting(antmedia.Console):
        def first_login_open(self):
            calls.append(1)
            if len(calls) < 3:
                raise antmedia.ConsoleError("connection refused")
            return antmedia.Console.first_login_open(self)

    now = [0.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    assert antmedia.wait_for_console(Starting(console.url), 30, sleep=sleep, clock=lambda: now[0]) is True
    assert len(calls) == 3 and len(sleeps) == 2
    with pytest.raises(antmedia.ConsoleError):
        calls.clear()
        antmedia.wait_for_console(Starting(console.url), 0, sleep=sleep, clock=lambda: now[0])


def test_misspelt_option_is_named_with_a_suggestion(run_module, console):
    result = run_module("antmedia_admin_user", dict(url=console.url, email="a@example.com", pasword=PASSWORD))
    assert result["failed"] is True and "did you mean" in result["msg"] and "password" in result["msg"]
    assert console.requests == []
