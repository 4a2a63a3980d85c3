"""The Ant Media drain count without credentials: the applications' own REST on 127.0.0.1.

The stand-in answers as Ant Media Server's ``BroadcastRestService`` does (ant-media/Ant-Media-Server
``src/main/java/io/antmedia/rest/BroadcastRestService.java``: ``/broadcasts/list/{offset}/{size}``
and ``/broadcasts/{stream_id}/webrtc-client-stats/{offset}/{size}``, at most 50 items a page).
In cluster mode the broadcast list is the whole cluster's (shared MongoDB): only streams
published on this node (``originAdress``) and this node's WebRTC clients count.
"""
import http.server
import json
import shutil
import threading
from pathlib import Path

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.drain import agent as drain
from ansible_collections.streamfleet.cluster.plugins.module_utils.drain.sessions import (
    AntMediaAppsCounter,
    SessionCountError,
)

REPO = Path(__file__).resolve().parents[5]
ARCHIVE = REPO / "tests" / "standins" / "archives" / "antmedia"
ME, OTHER = "10.0.3.7", "10.0.3.8"


def broadcast(stream_id, status, origin):
    return {"streamId": stream_id, "status": status, "originAdress": origin, "webRTCViewerCount": 99}


class AntMediaRest(object):
    """Broadcast lists and local WebRTC clients per application, paged as the server pages them."""

    def __init__(self, broadcasts, clients, forbidden=()):
        self.broadcasts = broadcasts      # app -> [broadcast]
        self.clients = clients            # (app, stream id) -> number of local WebRTC clients
        self.forbidden = forbidden
        self.paths = []

    def answer(self, path):
        self.paths.append(path)
        parts = path.strip("/").split("/")
        app = parts[0]
        if app in self.forbidden:
            return 403, None
        offset, size = int(parts[-2]), min(int(parts[-1]), 50)
        if parts[1:5] == ["rest", "v2", "broadcasts", "list"]:
            items = self.broadcasts.get(app, [])
        elif parts[5] == "webrtc-client-stats":
            items = [{"videoBitrate": 1}] * self.clients.get((app, parts[4]), 0)
        else:
            return 404, None
        return 200, items[offset:offset + size]

    def start(self):
        rest = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                code, doc = rest.answer(self.path)
                data = json.dumps(doc).encode() if doc is not None else b""
                self.send_response(code)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


@pytest.fixture
def home(tmp_path):
    return shutil.copytree(ARCHIVE, tmp_path / "antmedia")


def counting(rest, home, fields=("localPublishers", "localWebRTCViewers"), addresses=(ME, None)):
    server = rest.start()
    counter = AntMediaAppsCounter("http://127.0.0.1:%d" % server.server_address[1], str(home), list(fields),
                                  lambda: list(addresses), timeout=2)
    try:
        return counter.count()
    finally:
        server.shutdown()
        server.server_close()


def test_counts_this_nodes_publishers_and_webrtc_clients_only(home):
    rest = AntMediaRest({
        "LiveApp": [broadcast("mine", "broadcasting", ME), broadcast("theirs", "broadcasting", OTHER),
                    broadcast("old", "finished", ME)],
        "WebRTCAppEE": [broadcast("room", "broadcasting", OTHER)],
    }, {("LiveApp", "theirs"): 3, ("WebRTCAppEE", "room"): 51, ("LiveApp", "old"): 7})
    # 1 publisher here + 3 + 51 WebRTC clients here (two pages); finished streams and the
    # cluster-wide webRTCViewerCount are not counted.
    assert counting(rest, home) == 55
    assert not any(path.startswith("/root/") for path in rest.paths), "the console has no broadcast REST"
    assert "/WebRTCAppEE/rest/v2/broadcasts/room/webrtc-client-stats/50/50" in rest.paths


def test_zero_when_nothing_is_left_on_this_node(home):
    rest = AntMediaRest({"LiveApp": [broadcast("theirs", "broadcasting", OTHER)]}, {})
    assert counting(rest, home) == 0


def test_public_address_matches_with_use_global_ip(home):
    rest = AntMediaRest({"LiveApp": [broadcast("mine", "broadcasting", "54.1.2.3")]}, {})
    assert counting(rest, home, addresses=(ME, "54.1.2.3")) == 1
    assert counting(rest, home, fields=("localWebRTCViewers",), addresses=(ME, "54.1.2.3")) == 0


def test_broadcast_list_paged(home):
    many = [broadcast("s%d" % i, "broadcasting", ME) for i in range(120)]
    rest = AntMediaRest({"LiveApp": many}, {})
    assert counting(rest, home, fields=("localPublishers",)) == 120
    assert [p for p in rest.paths if p.startswith("/LiveApp/rest/v2/broadcasts/list/")] == [
        "/LiveApp/rest/v2/broadcasts/list/0/50", "/LiveApp/rest/v2/broadcasts/list/50/50",
        "/LiveApp/rest/v2/broadcasts/list/100/50"]


def test_forbidden_names_the_setting(home):
    rest = AntMediaRest({}, {}, forbidden=("LiveApp",))
    with pytest.raises(SessionCountError, match="remoteAllowedCIDR"):
        counting(rest, home)


def test_no_application_is_an_error(tmp_path):
    (tmp_path / "webapps" / "root" / "WEB-INF").mkdir(parents=True)
    (tmp_path / "webapps" / "root" / "WEB-INF" / "red5-web.properties").write_text("")
    with pytest.raises(SessionCountError, match="no Ant Media application"):
        counting(AntMediaRest({}, {}), tmp_path)


def test_agent_uses_it_by_default_with_the_address_from_metadata():
    config = drain.load_config(json.dumps({"server": "antmedia"}))
    agent = drain.build_agent(config)
    assert isinstance(agent.sessions, AntMediaAppsCounter)
    assert agent.sessions.home == "/usr/local/antmedia"
