"""The Ant Media stand-in's console application (first administrator API) on 127.0.0.1.

Runs ``AntMediaApp`` of tests/standins/archives/common/standin_server.py (the process the
stand-in archive starts on a test host) in a thread on a free port, with its users in a file
under the given directory: the tests' stand-in for a balancer in front of Ant Media origins.
"""
import importlib.util
import json
import re
import threading
import time
import uuid
from pathlib import Path

STANDIN = Path(__file__).resolve().parents[1] / "standins" / "archives" / "common" / "standin_server.py"


def load_standin():
    spec = importlib.util.spec_from_file_location("standin_server", str(STANDIN))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BroadcastsMixin:
    """The application REST API's broadcasts, ``/{app}/rest/v2/broadcasts``: create, get, delete.

    Laid out as ``BroadcastRestService`` (``@Path("/v2/broadcasts")``) of
    ant-media/Ant-Media-Server, src/main/java/io/antmedia/rest/BroadcastRestService.java:
    ``POST /create`` answers 200 with the Broadcast (a server-made ``streamId`` when none is
    given, ``status`` "created"), or 400 with a Result when the given ``streamId`` is in use;
    ``GET /{id}`` answers 200 with the Broadcast or 404 without a body; ``DELETE /{id}``
    answers 200 with a Result (``success``, ``message``, ``dataId``, ``errorId``). Only a few
    of the Broadcast's fields are kept. ``broadcasts`` is one dict shared by the consoles of a
    cluster: the cluster's nodes share one database, so an edge finds what an origin created.
    No authentication: the real filters (IP filter, JWT) are not modelled.
    """

    broadcasts = None
    PATH = re.compile(r"^/([A-Za-z0-9_-]+)/rest/v2/broadcasts/([^/?]+)$")

    def _broadcast_route(self):
        match = self.PATH.match(self.path.split("?")[0])
        return (match.group(1), match.group(2)) if match and self.broadcasts is not None else None

    def do_GET(self):  # noqa: N802 - http.server's naming
        route = self._broadcast_route()
        if route is None or route[1] == "create":
            return super().do_GET()
        found = self.broadcasts.get(route)
        if found is None:
            return self.reply(404, b"", "text/plain")
        return self.reply_json(200, found)

    def do_POST(self):  # noqa: N802
        route = self._broadcast_route()
        if route is None or route[1] != "create":
            return super().do_POST()
        length = int(self.headers.get("Content-Length") or 0)
        try:
            wanted = json.loads(self.rfile.read(length) or b"{}") or {}
        except ValueError:
            return self.reply_json(400, _result(False, "unexpected parameters received"))
        stream_id = (wanted.get("streamId") or "").strip() or uuid.uuid4().hex[:15]
        if (route[0], stream_id) in self.broadcasts:
            return self.reply_json(400, _result(False, "Stream id is already being used."))
        broadcast = {"streamId": stream_id, "status": "created", "type": "liveStream",
                     "name": wanted.get("name"), "date": int(time.time() * 1000)}
        self.broadcasts[(route[0], stream_id)] = broadcast
        return self.reply_json(200, broadcast)

    def do_DELETE(self):  # noqa: N802
        route = self._broadcast_route()
        if route is None:
            return self.reply_json(404, {"success": False, "message": "not found"})
        removed = self.broadcasts.pop(route, None)
        return self.reply_json(200, _result(removed is not None, "" if removed else "broadcast not found",
                                            data_id=route[1]))


def _result(success, message, data_id=None):
    return {"success": success, "message": message, "dataId": data_id, "errorId": 0}


class RunningConsole:
    def __init__(self, directory, handler_base=None, broadcasts=None):
        standin = load_standin()
        home = Path(directory) / "antmedia"
        (home / "webapps" / "root" / "WEB-INF").mkdir(parents=True, exist_ok=True)
        self.app = standin.AntMediaApp(str(home))
        self.app.start_background()
        base = handler_base or standin.BaseHandler
        if broadcasts is not None:
            # an application's broadcasts REST as well, stored in the shared ``broadcasts`` dict
            handler = type("Handler", (BroadcastsMixin, base), {"app": self.app, "broadcasts": broadcasts})
        else:
            handler = type("Handler", (base,), {"app": self.app})
        self.server = standin.Server(("127.0.0.1", 0), handler)
        self.server.kind = "http"
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def users(self):
        return self.app.users.all()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
