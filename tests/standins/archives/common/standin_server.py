#!/usr/bin/env python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in media server process (a TEST DOUBLE, not vendor code).

The stand-in archives built by ``tests/standins/build_archives.py`` start this instead of the
vendor's Java server. It answers the health endpoints that the roles, balancers and Molecule
verifiers use, reading the same configuration files the real server reads:

* ``--product wcs``: ``GET :8081/?action=stat`` in WCS's stats format (``key=value`` lines
  grouped in sections). On an edge it also checks that ``cdn_point_of_entry`` answers on
  ``cdn_port``; the origin listens on ``cdn_port``.
* ``--product antmedia``: ``GET :5080/rest/v2/liveness``, ``GET :5080/rest/v2/first-login-status``
  ``POST :5080/rest/v2/users/initial`` and ``POST :5080/rest/v2/users/authenticate``, answering
  Ant Media's ``Result`` objects; users kept as the real server's ``user`` documents (password as
  MD5) in the cluster database's ``serverdb`` in cluster mode, else in
  ``<home>/standin-state/users.json`` (mode 0600).
* ``--product red5pro``: ``GET :5080/`` (and any path under an installed webapp).

It uses the Python standard library only (so it runs on a bare test host), and pymongo for the
Ant Media console users in cluster mode, where the antmedia role installs it.
"""

import argparse
import hashlib
import http.server
import json
import os
import socket
import socketserver
import sys
import threading
import time


def log(message):
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def read_properties(path):
    """Tolerant Java properties reader (last value wins, as Java does)."""
    values = {}
    try:
        with open(path, encoding="utf-8") as handle:
            for raw in handle:
                line = raw.strip()
                if not line or line[0] in "#!":
                    continue
                for index, char in enumerate(line):
                    if char in "=:":
                        values[line[:index].strip()] = line[index + 1:].strip()
                        break
                else:
                    values[line] = ""
    except OSError:
        pass
    return values


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class BaseHandler(http.server.BaseHTTPRequestHandler):
    server_version = "streamfleet-standin/1.0"
    app = None  # set per product

    def log_message(self, fmt, *args):  # to the journal through stderr
        log("%s %s" % (self.address_string(), fmt % args))

    def reply(self, status, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def reply_json(self, status, doc):
        self.reply(status, json.dumps(doc))

    def do_GET(self):
        self.app.get(self)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.app.post(self, body)


class WcsApp:
    """Web Call Server: stats page on the HTTP admin port, CDN port for other nodes."""

    def __init__(self, home):
        self.home = home
        self.config = read_properties(os.path.join(home, "conf", "flashphoner.properties"))
        self.cdn_reachable = None

    def listeners(self):
        ports = [(8081, "http")]
        if self.config.get("cdn_enabled", "false") == "true":
            ports.append((int(self.config.get("cdn_port", "8084")), "cdn"))
        return ports

    def start_background(self):
        if self.config.get("cdn_enabled") == "true" and self.config.get("cdn_point_of_entry"):
            threading.Thread(target=self.watch_point_of_entry, daemon=True).start()

    def watch_point_of_entry(self):
        host = self.config["cdn_point_of_entry"]
        port = int(self.config.get("cdn_port", "8084"))
        while True:
            try:
                with socket.create_connection((host, port), timeout=3):
                    self.cdn_reachable = True
            except OSError as exc:
                if self.cdn_reachable is not False:
                    log("CDN point of entry %s:%s not reachable: %s" % (host, port, exc))
                self.cdn_reachable = False
            time.sleep(5)

    def stats(self):
        cfg = self.config
        sections = [
            ("Connection Stats", [("connections", 0), ("connections_websocket", 0),
                                  ("connections_rtmp", 0)]),
            ("Stream Stats", [("streams_webrtc_in", 0), ("streams_webrtc_out", 0),
                              ("streams_viewers", "")]),
            ("Port Stats", [("ports_media_free", 1000), ("ports_media_busy", 0)]),
            ("Core Stats", [("core_threads", threading.active_count()),
                            ("core_uptime_seconds", int(time.time() - START))]),
        ]
        if cfg.get("cdn_enabled") == "true":
            reach = {None: "unknown", True: "true", False: "false"}[self.cdn_reachable]
            sections.append(("CDN Stats", [("cdn_role", cfg.get("cdn_role", "edge")),
                                           ("cdn_point_of_entry_reachable", reach)]))
        lines = []
        for title, items in sections:
            lines.append("-----%s-----" % title)
            lines.extend("%s=%s" % item for item in items)
            lines.append("")
        return "\n".join(lines)

    def get(self, handler):
        if handler.server.kind == "cdn":
            handler.reply(200, "cdn\n", "text/plain")
        elif handler.path.split("?")[0] == "/" and "action=stat" in handler.path:
            handler.reply(200, self.stats(), "text/plain; charset=utf-8")
        elif handler.path.split("?")[0] == "/":
            handler.reply(200, "<html><body>Web Call Server (stand-in)</body></html>", "text/html")
        else:
            handler.reply(404, "not found\n", "text/plain")

    def post(self, handler, body):
        handler.reply(404, "not found\n", "text/plain")


def result(success, message="", data_id="", error_id=0):
    """Ant Media's answer object, as io.antmedia.rest.model.Result serialises (ant-media/
    Ant-Media-Server@5130ad8893a2a36d36f167045cf3db41cdf0057c src/main/java/io/antmedia/rest/model/
    Result.java): success, message, dataId, errorId; Result(boolean) leaves message and dataId empty."""
    return {"success": success, "message": message, "dataId": data_id, "errorId": error_id}


class FileUsers:
    """Standalone mode: the console's users in <home>/standin-state/users.json (mode 0600)."""

    def __init__(self, state_dir):
        self.path = os.path.join(state_dir, "users.json")

    def all(self):
        try:
            with open(self.path, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return []

    def count(self):
        return len(self.all())

    def find(self, email):
        return next((user for user in self.all() if user.get("email") == email), None)

    def add(self, user):
        users = self.all() + [user]
        tmp = self.path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(users, handle)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)


class MongoUsers:
    """Cluster mode: the console's users in the cluster database, shared by every node, as the
    real server keeps them (database serverdb, collection user: the console's MongoStore and the
    User entity of the same commit)."""

    def __init__(self, url):
        from pymongo import MongoClient  # only on cluster nodes (the antmedia role installs it)
        self.collection = MongoClient(url, serverSelectionTimeoutMS=5000)["serverdb"]["user"]

    def count(self):
        return self.collection.count_documents({})

    def find(self, email):
        return self.collection.find_one({"email": email}, {"_id": False})

    def add(self, user):
        self.collection.insert_one(dict(user))


class AntMediaApp:
    """Ant Media Server: liveness plus the first-administrator endpoints of the console app
    (RestServiceV2, CommonRestService and AuthenticationFilter of ant-media/Ant-Media-Server@
    5130ad8893a2a36d36f167045cf3db41cdf0057c, src/main/java/io/antmedia/console/rest/)."""

    def __init__(self, home):
        self.home = home
        self.state_dir = os.path.join(home, "standin-state")
        self.lock = threading.Lock()
        root = read_properties(os.path.join(home, "webapps", "root", "WEB-INF", "red5-web.properties"))
        self.users = None
        if root.get("db.type") == "mongodb" and root.get("db.host"):
            try:
                self.users = MongoUsers(root["db.host"])
            except ImportError:
                log("pymongo is missing: console users kept in a local file, not in the cluster database")
        if self.users is None:
            self.users = FileUsers(self.state_dir)

    def listeners(self):
        return [(5080, "http")]

    def start_background(self):
        os.makedirs(self.state_dir, mode=0o700, exist_ok=True)

    def get(self, handler):
        path = handler.path.split("?")[0].rstrip("/")
        if path == "/rest/v2/liveness":
            handler.reply_json(200, {"host": socket.gethostname()})
        elif path == "/rest/v2/first-login-status":
            handler.reply_json(200, result(self.users.count() == 0))
        elif path in ("", "/index.html"):
            handler.reply(200, "<html><body>Ant Media Server (stand-in)</body></html>", "text/html")
        else:
            handler.reply_json(404, {"success": False, "message": "not found"})

    def post(self, handler, body):
        path = handler.path.split("?")[0].rstrip("/")
        if path not in ("/rest/v2/users/initial", "/rest/v2/users/authenticate"):
            handler.reply_json(404, {"success": False, "message": "not found"})
            return
        try:
            user = json.loads(body.decode("utf-8"))
        except ValueError:
            handler.reply_json(400, {"success": False, "message": "body is not JSON"})
            return
        if not isinstance(user, dict) or not isinstance(user.get("password"), str):
            # The real server hashes a missing password and fails with an error page.
            handler.reply(500, "<html><body>HTTP Status 500</body></html>", "text/html")
            return
        md5 = hashlib.md5(user["password"].encode("utf-8")).hexdigest()
        if path == "/rest/v2/users/authenticate":
            found = self.users.find(user.get("email"))
            handler.reply_json(200, result(bool(found) and found.get("password") == md5))
            return
        # users/initial: the server makes the user an ADMIN of scope system whatever was sent,
        # and adds it only while there is no user; errorId is -1 either way.
        with self.lock:
            created = False
            if self.users.count() == 0:
                self.users.add({"email": user.get("email"), "password": md5, "userType": "ADMIN",
                                "scope": "system", "appNameUserType": {"system": "ADMIN"}})
                created = True
        handler.reply_json(200, result(created, error_id=-1))


class Red5ProApp:
    """Red5 Pro server or Stream Manager: the root page and installed webapps answer."""

    def __init__(self, home):
        self.home = home

    def listeners(self):
        return [(5080, "http")]

    def start_background(self):
        pass

    def get(self, handler):
        path = handler.path.split("?")[0]
        webapp = path.strip("/").split("/")[0]
        if path == "/" or os.path.isdir(os.path.join(self.home, "webapps", webapp)):
            handler.reply(200, "<html><body>Red5 Pro (stand-in) %s</body></html>" % path,
                          "text/html")
        else:
            handler.reply(404, "not found\n", "text/plain")

    def post(self, handler, body):
        handler.reply(404, "not found\n", "text/plain")


APPS = {"wcs": WcsApp, "antmedia": AntMediaApp, "red5pro": Red5ProApp}
START = time.time()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--product", choices=sorted(APPS), required=True)
    parser.add_argument("--home", required=True)
    parser.add_argument("--bind", default="0.0.0.0")
    args = parser.parse_args()

    app = APPS[args.product](args.home)
    app.start_background()
    servers = []
    for port, kind in app.listeners():
        handler = type("Handler", (BaseHandler,), {"app": app})
        server = Server((args.bind, port), handler)
        server.kind = kind
        servers.append(server)
        log("%s stand-in listening on %s:%d (%s)" % (args.product, args.bind, port, kind))
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
