"""Unit tests of the Stream Manager REST client (no server: open_url is replaced)."""
import io
import json
import socket
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


class Raw(bytes):
    """An answer body sent as it is (not JSON-encoded by the fake)."""


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
        if isinstance(answer, Raw):
            return FakeResponse(bytes(answer))
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
    assert ("GET https://sm.example.com/streammanager/api/4.0/admin/nodegroup?accessToken=******** "
            "failed with HTTP 500: db down ********") in err.message
    assert err.url == "https://sm.example.com/streammanager/api/4.0/admin/nodegroup?accessToken=********"
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


def test_html_error_page_gives_its_first_line(calls):
    calls["answers"] = [HTTPError("u", 502, "Bad Gateway", {}, io.BytesIO(b"<html>bad gateway</html>"))]
    with pytest.raises(StreamManagerError) as info:
        client(retries=0).cloud_controller()
    assert info.value.server_message == "bad gateway"
    assert info.value.message.endswith("failed with HTTP 502: bad gateway")


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


# -- answers as the vendor documents them (sources in docs/streammanager-api.md) --------------
# Red5 Pro docs, "API Basics" (4.0 installation guides): the readiness call answers plain text.
READINESS_TEXT = Raw(b"Amazon Web Services")
# https://www.red5.net/docs/development/rest-api-v-400/smapi-launchconfig/ : wrapped document.
LAUNCH_WRAPPED = {"launchconfig": {"name": "alltypes-01", "image": "red5pro-image", "version": "0.0.3",
                                   "targets": {"target": [{"role": "origin", "instanceType": "c5.large",
                                                           "connectionCapacity": "2000"}]},
                                   "properties": {"property": []}, "metadata": {"meta": []}}}
# red5pro/terraform-aws-red5pro r5p_create_node_group.sh (c0d21ef): reads ".name", not wrapped.
LAUNCH_BARE = LAUNCH_WRAPPED["launchconfig"]
# https://www.red5.net/docs/development/rest-api-v-400/smapi-groups/ : create answers the bare group.
GROUP = {"id": 2, "name": "group-d2f6aade", "originConnections": 0, "regions": ["us-central1"],
         "launchConfig": "default", "scalePolicy": "default", "state": "new", "timestamp": 1452595891000}
# https://www.red5pro.com/docs/development/rest-api-v-400/smapi-nodes : a node.
NODE = {"identifier": "node-us-central1-a-1452586832022", "role": "origin", "availabilityZone": "us-central1-a",
        "address": "104.197.131.87", "state": "inservice", "launchConfig": "default", "capacity": 1500,
        "group": "group-8bcc96ed"}
# The same pages: the documented error body.
ERROR_BODY = {"errorMessage": "Scale policy not found", "timestamp": 1452595891000}
# Not documented, seen from balancers and servlet containers: an HTML page.
HTML_PAGE = (b"<!DOCTYPE html>\n<html><head><style>h1 {color: red}</style><title>HTTP Status 404 - Not Found"
             b"</title></head>\n<body><h1>HTTP Status 404</h1></body></html>")


@pytest.mark.parametrize("raw, parsed", [
    (b"Amazon Web Services", "Amazon Web Services"),
    (b"  Amazon Web Services\n", "Amazon Web Services"),
    (b'{"policy": {"name": "p"}}', {"policy": {"name": "p"}}),
    (b'[{"name": "g"}]', [{"name": "g"}]),
    (b'"Amazon Web Services"', "Amazon Web Services"),
    (b"", None),
    (b" \r\n", None),
    (b"{not json", "{not json"),
    (HTML_PAGE, HTML_PAGE.decode()),
])
def test_parse_body_on_recorded_shapes(raw, parsed):
    assert sm.parse_body(raw) == parsed


@pytest.mark.parametrize("raw, line", [
    (json.dumps(ERROR_BODY).encode(), "Scale policy not found"),
    (HTML_PAGE, "HTTP Status 404 - Not Found"),
    (b"<html><body>\n<h1>502 Bad Gateway</h1>\n<hr>nginx</body></html>", "502 Bad Gateway"),
    (b"first line\nsecond line", "first line"),
    (b"", ""),
    (b'{"other": 1}', '{"other": 1}'),
])
def test_first_line_on_recorded_shapes(raw, line):
    assert sm.first_line(raw) == line


def test_unwrap_and_lists_accept_both_shapes():
    assert sm.unwrap(LAUNCH_WRAPPED, "launchconfig") == sm.unwrap(LAUNCH_BARE, "launchconfig") == LAUNCH_BARE
    assert sm.as_list([GROUP]) == [GROUP] and sm.as_list({"nodes": [NODE]}) == [NODE]
    assert sm.as_list(None) == [] and sm.as_list("text") is None
    assert [sm.as_int(v) for v in (2, 2.0, "2", "2.0", None, "x")] == [2, 2, 2, 2, 0, 0]


def test_readiness_accepts_plain_text_and_json(calls):
    calls["answers"] = [READINESS_TEXT, {"controller": "Amazon Web Services"}]
    assert client().cloud_controller() == "Amazon Web Services"
    assert client().cloud_controller() == {"controller": "Amazon Web Services"}


def test_readiness_empty_200_is_an_error_with_status_200(calls):
    calls["answers"] = [Raw(b"")]
    with pytest.raises(StreamManagerError) as info:
        client().cloud_controller()
    assert info.value.status == 200 and "empty body" in info.value.message
    assert "accessToken=********" in info.value.message


def test_documents_read_wrapped_or_bare(calls):
    calls["answers"] = [LAUNCH_WRAPPED, LAUNCH_BARE, Raw(json.dumps(LAUNCH_BARE).encode())]
    assert client().get_launch_config("alltypes-01") == LAUNCH_BARE
    assert client().get_launch_config("alltypes-01") == LAUNCH_BARE
    assert client().create_launch_config(LAUNCH_BARE) == LAUNCH_BARE


@pytest.mark.parametrize("call, raw, ending", [
    (lambda c: c.get_scale_policy("p"), b"Service Unavailable\nretry later",
     "answered something that is not a JSON object: Service Unavailable"),
    (lambda c: c.list_nodes("g"), b"<html><title>Login</title></html>",
     "answered something that is not a JSON list: Login"),
])
def test_text_where_json_is_expected_fails_with_its_first_line(calls, call, raw, ending):
    calls["answers"] = [Raw(raw)]
    with pytest.raises(StreamManagerError) as info:
        call(client())
    assert info.value.message.endswith(ending)


def test_groups_nodes_and_origin_on_documented_shapes(calls):
    calls["answers"] = [GROUP, [GROUP], [NODE], NODE, Raw(b""), Raw(b"")]
    c = client()
    assert c.create_node_group({"regions": ["us-central1"]}) == GROUP
    assert c.list_node_groups() == [GROUP]
    assert c.list_nodes("g") == [NODE]
    assert c.add_origin("g")["group"] == "group-8bcc96ed"
    assert c.list_nodes("g") == []
    assert c.delete_node_group("g") is None
    assert sm.node_summary(NODE)["region"] == "us-central1-a"


def test_timeout_is_named_and_retried(calls):
    calls["answers"] = [URLError(socket.timeout("timed out")), socket.timeout("timed out")]
    with pytest.raises(StreamManagerError) as info:
        client(retries=1, timeout=4).cloud_controller()
    assert "got no answer within 4 s (timeout) (after 2 attempts)" in info.value.message
    assert info.value.status is None


def test_deadline_bounds_request_timeout_and_retries(calls):
    now = [100.0]
    c = client(retries=5, timeout=30, clock=lambda: now[0])
    c.deadline = 105.0
    calls["answers"] = [URLError("refused") for dummy in range(6)]

    def sleep(seconds):
        now[0] += seconds
    c.sleep = sleep
    with pytest.raises(StreamManagerError):
        c.cloud_controller()
    # the first call may wait only until the deadline, and no retry sleeps past it
    assert calls["calls"][0]["timeout"] == 5
    assert all(call["timeout"] <= 5 for call in calls["calls"])
    assert 2 <= len(calls["calls"]) < 6 and now[0] <= 105.0


def test_timeout_must_be_bounded():
    with pytest.raises(StreamManagerError):
        StreamManagerClient("https://sm", "t", timeout=0)
    with pytest.raises(StreamManagerError):
        StreamManagerClient("https://sm", "t", timeout=3600)
