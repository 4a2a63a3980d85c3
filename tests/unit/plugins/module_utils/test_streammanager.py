"""Unit tests of the Stream Manager REST client (no server: open_url is replaced)."""
import io
import json
import ssl
from urllib.error import HTTPError, URLError

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.servers import streammanager as sm
from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.streammanager import (
    StreamManagerClient,
    StreamManagerError,
)
from ansible.module_utils.urls import SSLValidationError

TOKEN = "s3cr3t/tok+en"


class FakeResponse:
    def __init__(self, body):
        self.body = body

    def read(self):
        return self.body


def http_error(url, code, body):
    return HTTPError(url, code, "reason %d" % code, {}, io.BytesIO(json.dumps(body).encode()))


@pytest.fixture
def calls(monkeypatch):
    """Replace open_url with a script of answers; records every call."""
    record = {"answers": [], "calls": []}

    def fake_open_url(url, **kwargs):
        record["calls"].append(dict(kwargs, url=url))
        answer = record["answers"].pop(0)
        if isinstance(answer, Exception):
            if isinstance(answer, HTTPError):
                answer.url = url
            raise answer
        return FakeResponse(json.dumps(answer).encode() if answer is not None else b"")

    monkeypatch.setattr(sm, "open_url", fake_open_url)
    return record


def client(**kwargs):
    sleeps = []
    params = dict(retries=3, retry_delay=1.0, sleep=sleeps.append)
    params.update(kwargs)
    c = StreamManagerClient("https://sm.example.com/streammanager/", TOKEN, **params)
    c.sleeps = sleeps
    return c


def test_url_has_api_prefix_and_encoded_token(calls):
    calls["answers"] = [{"policy": {"name": "p"}}]
    c = client()
    assert c.get_scale_policy("my policy") == {"name": "p"}
    call = calls["calls"][0]
    assert call["url"] == ("https://sm.example.com/streammanager/api/4.0/admin/configurations/"
                           "scalepolicy/my%20policy?accessToken=s3cr3t%2Ftok%2Ben")
    assert call["method"] == "GET" and call["validate_certs"] is True and call["data"] is None


def test_tls_options_are_passed(calls):
    calls["answers"] = [None]
    c = StreamManagerClient("https://sm", "t", validate_certs=False, ca_path="/etc/ca.pem", timeout=7)
    c.delete_node_group("g")
    call = calls["calls"][0]
    assert call["validate_certs"] is False and call["ca_path"] == "/etc/ca.pem" and call["timeout"] == 7


def test_post_sends_vendor_envelope(calls):
    calls["answers"] = [{}]
    client().create_launch_config({"name": "l"})
    call = calls["calls"][0]
    assert json.loads(call["data"]) == {"launchconfig": {"name": "l"}}
    assert call["headers"]["Content-Type"] == "application/json"


def test_redact_removes_token_in_every_form():
    c = client()
    text = "GET https://x/?accessToken=s3cr3t%2Ftok%2Ben&a=1 token s3cr3t/tok+en again"
    out = c.redact(text)
    assert TOKEN not in out and "s3cr3t%2Ftok%2Ben" not in out
    assert "accessToken=********&a=1" in out


def test_5xx_retried_with_backoff_then_success(calls):
    calls["answers"] = [http_error("u", 503, {"errorMessage": "busy"}), URLError("refused"), {"ok": 1}]
    c = client()
    assert c.cloud_controller() == {"ok": 1}
    assert len(calls["calls"]) == 3
    assert len(c.sleeps) == 2 and 0.5 <= c.sleeps[0] <= 1.0 and 1.0 <= c.sleeps[1] <= 2.0


def test_persistent_5xx_gives_status_and_server_message(calls):
    calls["answers"] = [http_error("u?accessToken=" + TOKEN, 500, {"errorMessage": "db down " + TOKEN})
                        for dummy in range(3)]
    with pytest.raises(StreamManagerError) as info:
        client(retries=2).list_node_groups()
    err = info.value
    assert err.status == 500 and err.server_message == "db down ********"
    assert "GET /streammanager/api/4.0/admin/nodegroup failed with HTTP 500" in err.message
    assert "after 3 attempts" in err.message and TOKEN not in err.message


def test_4xx_not_retried_404_optional(calls):
    calls["answers"] = [http_error("u", 404, {"errorMessage": "nope"})]
    assert client().get_launch_config("x") is None
    calls["answers"] = [http_error("u", 401, {"errorMessage": "Invalid token"})]
    with pytest.raises(StreamManagerError) as info:
        client().add_origin("g")
    assert info.value.status == 401 and "check access_token" in info.value.message
    assert len(calls["calls"]) == 2


def test_tls_failure_is_not_retried(calls):
    calls["answers"] = [URLError(ssl.SSLCertVerificationError("certificate verify failed"))]
    with pytest.raises(StreamManagerError) as info:
        client().cloud_controller()
    assert "TLS verification failed" in info.value.message and "ca_path" in info.value.message
    calls["answers"] = [SSLValidationError("bad cert")]
    with pytest.raises(StreamManagerError):
        client().cloud_controller()
    assert len(calls["calls"]) == 2


def test_non_json_answer_and_plain_text_error(calls):
    calls["answers"] = [HTTPError("u", 502, "Bad Gateway", {}, io.BytesIO(b"<html>bad gateway</html>"))]
    with pytest.raises(StreamManagerError) as info:
        client(retries=0).cloud_controller()
    assert info.value.server_message == "<html>bad gateway</html>"


def test_base_url_must_be_http():
    with pytest.raises(StreamManagerError):
        StreamManagerClient("sm.example.com", "t")


def test_node_helpers():
    nodes = [{"identifier": "a", "role": "origin", "state": "inservice"},
             {"identifier": "b", "role": "edge", "state": "pending"},
             {"identifier": "c", "role": "edge", "state": "terminated"}]
    live = sm.live_nodes(nodes)
    assert [n["identifier"] for n in live] == ["a", "b"]
    assert sm.state_counts(live) == {"inservice": 1, "pending": 1}
    assert sm.all_inservice(live) is False and sm.all_inservice(live[:1]) is True
    assert sm.all_inservice([]) is False
    assert sm.node_summary(nodes[0])["identifier"] == "a"


def test_argument_spec_is_a_copy_with_no_log_token():
    spec = sm.streammanager_argument_spec(name=dict(type="str"))
    assert spec["access_token"]["no_log"] is True and "name" in spec
    spec["timeout"]["default"] = 1
    assert sm.STREAMMANAGER_ARGUMENT_SPEC["timeout"]["default"] == 30
