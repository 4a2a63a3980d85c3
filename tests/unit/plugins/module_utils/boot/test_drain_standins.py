"""The drain agent end to end on 127.0.0.1: IMDSv2 stand-in (token TTL, credentials), the Auto
Scaling recorder and a WCS-shaped session counter, with a fake clock shared by the agent and the
metadata stand-in (token expiry and credential refresh without waiting)."""
import http.server
import io
import json
import threading

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.boot.metadata import (
    MetadataError,
    instance_credentials,
    metadata_source,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.drain import agent as drain
from ansible_collections.streamfleet.cluster.plugins.module_utils.drain.sessions import (
    SessionCountError,
    SessionCounter,
    parse_wcs_stat,
)
from standins import autoscaling_recorder, imds_standin, session_counter_standin

META = {"instance-id": "i-0drain", "placement/region": "eu-west-1", "autoscaling/target-lifecycle-state": "InService"}


class Clock(object):
    """Monotonic and wall time advanced only by sleep()."""

    def __init__(self):
        self.now = 5000.0
        self.wall_now = 1765000000.0
        self.sleeps = []
        self.on_sleep = None

    def __call__(self):
        return self.now

    def wall(self):
        return self.wall_now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds
        self.wall_now += seconds
        if self.on_sleep:
            self.on_sleep(self)


def serve(handler):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def bench():
    clock = Clock()
    imds = imds_standin.start(META, role="sf-drain-role", credentials_ttl=900, clock=clock, wall=clock.wall)
    recorder = autoscaling_recorder.start({"i-0drain": "sf-wcs-edges"})
    counter = session_counter_standin.Counter(2)
    counter_server = serve(session_counter_standin.make_handler(counter, quiet=True))
    yield clock, imds, recorder, counter, "http://127.0.0.1:%d/?action=stat" % counter_server.server_address[1]
    imds.stop()
    recorder.stop()
    counter_server.shutdown()
    counter_server.server_close()


def agent_for(bench, **overrides):
    clock, imds, recorder, counter, stat_url = bench
    given = {"server": "wcs", "imds_endpoint": imds.endpoint, "autoscaling_endpoint": recorder.endpoint,
             "imds_token_ttl_seconds": 120, "heartbeat_interval_seconds": 60, "session_poll_seconds": 20,
             "state_poll_seconds": 10, "max_drain_seconds": 3600, "sessions": {"url": stat_url}}
    given.update(overrides)
    out = io.StringIO()
    return drain.build_agent(drain.load_config(json.dumps(given)), out=out, clock=clock, sleep=clock.sleep,
                             wall=clock.wall), out


def test_drains_through_the_standins_with_token_renewal_and_credential_refresh(bench):
    clock, imds, recorder, counter, stat_url = bench

    def script(clock):
        if clock.now >= 5100:
            imds.state.set("autoscaling/target-lifecycle-state", "Terminated")
        if clock.now >= 7000:
            counter.sessions = 0

    clock.on_sleep = script
    agent, out = agent_for(bench)
    assert agent.run() == 0
    calls = recorder.calls
    names = [c["action"] for c in calls]
    assert names[0] == "DescribeAutoScalingInstances"
    assert names[-1] == "CompleteLifecycleAction" and names.count("CompleteLifecycleAction") == 1
    assert calls[-1]["params"] == {"AutoScalingGroupName": "sf-wcs-edges", "LifecycleHookName": "streamfleet-drain",
                                   "LifecycleActionResult": "CONTINUE", "InstanceId": "i-0drain"}
    assert all(c["status"] == 200 for c in calls)
    # Heartbeats while sessions were 2: every 60 s from the start of the drain (t=5100) to t=7000.
    assert names.count("RecordLifecycleActionHeartbeat") == 32
    # The credentials (900 s) were read again before each expiry: new key ids show up.
    key_ids = [c["key_id"] for c in calls]
    assert key_ids[0] == "ASIASTANDIN0001" and len(set(key_ids)) >= 3
    # Tokens of 120 s were renewed before they expired: no GET was refused with 401.
    token_puts = [c for c in imds.calls if c[0] == "PUT"]
    assert len(token_puts) >= 4
    assert all(c[2] for c in imds.calls if c[0] == "GET")
    log = out.getvalue()
    assert "sessions=2 (connections of http://127.0.0.1:" in log and "sessions=0" in log
    assert "CompleteLifecycleAction CONTINUE sent for i-0drain in sf-wcs-edges" in log


def test_expired_tokens_are_renewed_on_401(bench):
    clock, imds, recorder, counter, stat_url = bench
    source = metadata_source("aws", endpoint=imds.endpoint, retries=1, clock=clock, token_ttl=600)
    assert source.read("instance-id") == "i-0drain"
    imds.state.expire_tokens()
    assert source.read("instance-id") == "i-0drain"
    assert [c[0] for c in imds.calls] == ["PUT", "GET", "GET", "PUT", "GET"]
    # Renewed before the TTL ends, without a refusal.
    clock.sleep(590)
    assert source.read("placement/region") == "eu-west-1"
    assert [c[0] for c in imds.calls][-2:] == ["PUT", "GET"]


def test_imds_refuses_requests_without_a_valid_token(bench):
    clock, imds, recorder, counter, stat_url = bench
    import urllib.request
    import urllib.error
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(imds.endpoint + "/latest/meta-data/instance-id", timeout=5)
    assert caught.value.code == 401
    bad_ttl = urllib.request.Request(imds.endpoint + "/latest/api/token", method="PUT",
                                     headers={"X-aws-ec2-metadata-token-ttl-seconds": "21601"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(bad_ttl, timeout=5)
    assert caught.value.code == 400


def test_instance_credentials_and_listing(bench):
    clock, imds, recorder, counter, stat_url = bench
    source = metadata_source("aws", endpoint=imds.endpoint, retries=1, clock=clock)
    assert source.read("iam/security-credentials/") == "sf-drain-role"
    first = instance_credentials(source)
    assert first.access_key == "ASIASTANDIN0001" and first.token == "standin-session-token-0001"
    assert first.expiration == int(clock.wall_now) + 900
    assert source.read("autoscaling/target-lifecycle-state") == "InService"
    assert source.read("autoscaling/absent", missing_ok=True) is None


def test_no_instance_profile_is_a_clear_error():
    running = imds_standin.start(META)
    try:
        with pytest.raises(MetadataError, match="no instance profile role"):
            instance_credentials(metadata_source("aws", endpoint=running.endpoint, retries=1))
    finally:
        running.stop()


def test_wcs_stat_counter_reads_the_standin_layout(bench):
    clock, imds, recorder, counter, stat_url = bench
    counter.sessions = 7
    assert SessionCounter(stat_url, "wcs-stat", ["connections"], timeout=2).count() == 7
    with pytest.raises(SessionCountError, match="has no connections_sip"):
        SessionCounter(stat_url, "wcs-stat", ["connections_sip"], timeout=2).count()
    assert SessionCounter(stat_url, "wcs-stat", ["connections", "connections_sip?"], timeout=2).count() == 7
    page = parse_wcs_stat("-----Connection Stats-----\nconnections=3\n\nnoise\nstreams_viewers=\n")
    assert page == {"connections": "3", "streams_viewers": ""}


def json_server(doc, seen):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            # Header names are case-insensitive (urllib sends "Proxyauthorization").
            seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            data = json.dumps(doc).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return serve(Handler)


def test_antmedia_counter_sums_local_fields_with_the_token_in_a_header(tmp_path):
    seen = []
    server = json_server({"cpuUsage": {}, "totalLiveStreamSize": 2, "localWebRTCViewers": 5, "localHLSViewers": 1}, seen)
    token = tmp_path / "jwt"
    token.write_text("eyJhbGciOiJIUzI1NiJ9.e30.sig\n")
    try:
        url = "http://127.0.0.1:%d/rest/v2/system-resources" % server.server_address[1]
        counter = SessionCounter(url, "json", ["totalLiveStreamSize", "localWebRTCViewers", "localHLSViewers",
                                               "localDASHViewers?"], token_file=str(token),
                                 token_in="header:ProxyAuthorization", timeout=2)
        assert counter.count() == 8
        assert seen[0][1]["proxyauthorization"] == "eyJhbGciOiJIUzI1NiJ9.e30.sig"
    finally:
        server.shutdown()
        server.server_close()


def test_red5pro_counter_reads_a_dotted_field_with_the_token_in_the_query(tmp_path):
    seen = []
    server = json_server({"status": "success", "code": 200, "data": {"active_connections": 4}}, seen)
    token = tmp_path / "token"
    token.write_text("t0k/en")
    try:
        url = "http://127.0.0.1:%d/api/v1/server/statistics" % server.server_address[1]
        counter = SessionCounter(url, "json", ["data.active_connections"], token_file=str(token),
                                 token_in="query:accessToken", timeout=2)
        assert counter.count() == 4
        assert seen[0][0] == "/api/v1/server/statistics?accessToken=t0k%2Fen"
        # The token never shows in what the agent logs.
        assert "t0k" not in counter.describe()
    finally:
        server.shutdown()
        server.server_close()


def test_counter_errors_name_the_url_not_the_token(tmp_path):
    token = tmp_path / "token"
    token.write_text("secret-token")
    counter = SessionCounter("http://127.0.0.1:9/api/v1/server/statistics", "json", ["data.active_connections"],
                             token_file=str(token), token_in="query:accessToken", timeout=2)
    with pytest.raises(SessionCountError) as caught:
        counter.count()
    assert "127.0.0.1:9/api/v1/server/statistics" in str(caught.value) and "secret-token" not in str(caught.value)
