# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test double: a stateful simulator of the Red5 Pro Stream Manager REST API 4.0.

It serves exactly the endpoints the collection uses, on 127.0.0.1 only, with the paths and
body shapes of ``/work/shared/vendor-facts.md`` (Stream Manager 1.x, API 4.0)::

    GET               /streammanager/api/4.0/admin/debug/cloudcontroller
    POST              /streammanager/api/4.0/admin/configurations/scalepolicy
    GET/PUT/DELETE    /streammanager/api/4.0/admin/configurations/scalepolicy/{name}
    POST              /streammanager/api/4.0/admin/configurations/launchconfig
    GET/PUT/DELETE    /streammanager/api/4.0/admin/configurations/launchconfig/{name}
    GET/POST          /streammanager/api/4.0/admin/nodegroup
    GET/DELETE        /streammanager/api/4.0/admin/nodegroup/{name}
    GET               /streammanager/api/4.0/admin/nodegroup/{name}/node
    POST              /streammanager/api/4.0/admin/nodegroup/{name}/node/origin

Every API call needs ``?accessToken=TOKEN`` (401 otherwise). State lives in memory:

- scale policies and launch configurations are validated against the documented shapes
  (400 with ``{"errorMessage": ...}`` when a key is missing or a role is unknown);
- a node group must name an existing scale policy and launch configuration;
- ``POST .../node/origin`` adds an origin and, like the Stream Manager's autoscaler, brings
  every other role of the group's scale policy up to its ``minLimit``;
- every ``GET .../node`` is one "poll": each node moves one step through
  ``pending -> running -> inservice`` every ``node_polls`` polls;
- ``GET .../debug/cloudcontroller`` answers 503 for the first ``ready_after`` calls.

Control endpoints (no token; this is a test double bound to loopback):

- ``POST /__sim/reset`` body ``{"ready_after": N, "node_polls": N}`` (both optional):
  forget everything, set the knobs.
- ``POST /__sim/fail`` body ``{"path": "/streammanager/...", "status": 503, "count": 2,
  "method": "GET", "message": "..."}``: the next ``count`` requests whose path starts with
  ``path`` (and with that method, if given) get ``status`` with ``{"errorMessage": message}``.
- ``GET /__sim/state``: everything stored plus ``requests`` (method and path of every API call,
  without the query string), so tests can check that check mode wrote nothing.

Not modelled (see docs/streammanager-api.md): clouds, instance launches, autoscaling on load,
node termination, real error texts and status codes of the product.

Run standalone: ``python tests/standins/streammanager_sim.py --port 5080 --token T``.
"""
import argparse
import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

API = "/streammanager/api/4.0/admin"
ROLES = ("origin", "edge", "relay", "transcoder")
NODE_STATES = ("pending", "running", "inservice")


class ApiError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class SimState:
    """Everything the simulated Stream Manager knows; all access under ``lock``."""

    def __init__(self, token, ready_after=0, node_polls=1):
        self.lock = threading.Lock()
        self.token = token
        self.reset(ready_after, node_polls)

    def reset(self, ready_after=0, node_polls=1):
        self.ready_after = int(ready_after)
        self.node_polls = max(1, int(node_polls))
        self.policies = {}
        self.launchconfigs = {}
        self.groups = {}
        self.failures = []
        self.requests = []
        self.node_counter = 0

    def snapshot(self):
        return {
            "policies": copy.deepcopy(self.policies),
            "launchconfigs": copy.deepcopy(self.launchconfigs),
            "groups": copy.deepcopy(self.groups),
            "requests": list(self.requests),
            "ready_after": self.ready_after,
        }

    def take_failure(self, method, path):
        for failure in self.failures:
            if failure["count"] > 0 and path.startswith(failure["path"]) and (
                    not failure.get("method") or failure["method"].upper() == method):
                failure["count"] -= 1
                return failure
        return None


# -- validation of the documented bodies --------------------------------------------------
def _need(obj, key, kind, where):
    if not isinstance(obj, dict) or key not in obj:
        raise ApiError(400, "%s: missing '%s'" % (where, key))
    value = obj[key]
    if kind is int:
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise ApiError(400, "%s: '%s' must be a number" % (where, key))
    elif not isinstance(value, kind):
        raise ApiError(400, "%s: '%s' has the wrong type" % (where, key))
    return value


def validate_policy(body):
    policy = _need(body, "policy", dict, "body")
    for key in ("name", "version", "type"):
        _need(policy, key, str, "policy")
    regions = _need(_need(policy, "targets", dict, "policy"), "region", list, "policy.targets")
    for region in regions:
        _need(region, "name", str, "policy.targets.region[]")
        for target in _need(region, "target", list, "policy.targets.region[]"):
            role = _need(target, "role", str, "target")
            if role not in ROLES:
                raise ApiError(400, "unknown role '%s'" % role)
            low = _need(target, "minLimit", int, "target")
            high = _need(target, "maxLimit", int, "target")
            _need(target, "scaleAdjustment", int, "target")
            if low > high:
                raise ApiError(400, "minLimit greater than maxLimit for role '%s'" % role)
    return policy


def validate_launchconfig(body):
    config = _need(body, "launchconfig", dict, "body")
    for key in ("name", "image", "version"):
        _need(config, key, str, "launchconfig")
    for target in _need(_need(config, "targets", dict, "launchconfig"), "target", list,
                        "launchconfig.targets"):
        role = _need(target, "role", str, "target")
        if role not in ROLES:
            raise ApiError(400, "unknown role '%s'" % role)
        _need(target, "instanceType", str, "target")
        _need(target, "connectionCapacity", int, "target")
    for prop in _need(_need(config, "properties", dict, "launchconfig"), "property", list,
                      "launchconfig.properties"):
        _need(prop, "name", str, "property")
        _need(prop, "value", str, "property")
    for meta in _need(_need(config, "metadata", dict, "launchconfig"), "meta", list,
                      "launchconfig.metadata"):
        _need(meta, "key", str, "meta")
        _need(meta, "value", str, "meta")
    return config


# -- the API ------------------------------------------------------------------------------
class Api:
    def __init__(self, state):
        self.state = state

    def handle(self, method, parts, body):
        s = self.state
        if parts == ["debug", "cloudcontroller"] and method == "GET":
            if s.ready_after > 0:
                s.ready_after -= 1
                raise ApiError(503, "Cloud controller is not initialised yet")
            return 200, {"controller": "com.red5pro.services.cloud.sim.SimulatedController",
                         "status": "ready", "nodeGroups": len(s.groups)}
        if parts[:1] == ["configurations"] and len(parts) in (2, 3):
            kind = parts[1]
            if kind == "scalepolicy":
                return self.config(method, parts[2:], body, s.policies, "policy", validate_policy)
            if kind == "launchconfig":
                return self.config(method, parts[2:], body, s.launchconfigs, "launchconfig",
                                   validate_launchconfig)
        if parts[:1] == ["nodegroup"]:
            return self.nodegroup(method, parts[1:], body)
        raise ApiError(404, "No such resource")

    @staticmethod
    def config(method, rest, body, store, envelope, validate):
        if not rest:
            if method == "GET":
                return 200, [copy.deepcopy(v) for v in store.values()]
            if method != "POST":
                raise ApiError(405, "Method not allowed")
            item = validate(body)
            if item["name"] in store:
                raise ApiError(409, "%s '%s' already exists" % (envelope, item["name"]))
            store[item["name"]] = copy.deepcopy(item)
            return 201, {envelope: copy.deepcopy(item)}
        name = rest[0]
        if name not in store:
            raise ApiError(404, "%s '%s' not found" % (envelope, name))
        if method == "GET":
            return 200, {envelope: copy.deepcopy(store[name])}
        if method == "PUT":
            item = validate(body)
            if item["name"] != name:
                raise ApiError(400, "name in the body differs from the name in the path")
            store[name] = copy.deepcopy(item)
            return 200, {envelope: copy.deepcopy(item)}
        if method == "DELETE":
            del store[name]
            return 200, {"deleted": name}
        raise ApiError(405, "Method not allowed")

    def nodegroup(self, method, rest, body):
        s = self.state
        if not rest:
            if method == "GET":
                return 200, [self.group_view(g) for g in s.groups.values()]
            if method != "POST":
                raise ApiError(405, "Method not allowed")
            name = _need(body, "name", str, "body")
            regions = _need(body, "regions", list, "body")
            if not regions or not all(isinstance(r, str) for r in regions):
                raise ApiError(400, "regions must be a non-empty list of region names")
            policy = _need(body, "scalePolicy", str, "body")
            launch = _need(body, "launchConfig", str, "body")
            if policy not in s.policies:
                raise ApiError(400, "scale policy '%s' does not exist" % policy)
            if launch not in s.launchconfigs:
                raise ApiError(400, "launch configuration '%s' does not exist" % launch)
            if name in s.groups:
                raise ApiError(409, "node group '%s' already exists" % name)
            s.groups[name] = {"name": name, "regions": list(regions), "scalePolicy": policy,
                              "launchConfig": launch, "nodes": []}
            return 201, self.group_view(s.groups[name])
        name = rest[0]
        group = s.groups.get(name)
        if group is None:
            raise ApiError(404, "node group '%s' not found" % name)
        if len(rest) == 1:
            if method == "GET":
                return 200, self.group_view(group)
            if method == "DELETE":
                del s.groups[name]
                return 200, {"deleted": name}
            raise ApiError(405, "Method not allowed")
        if rest[1:] == ["node"] and method == "GET":
            self.advance(group)
            return 200, [self.node_view(n) for n in group["nodes"]]
        if rest[1:] == ["node", "origin"] and method == "POST":
            origin = self.launch(group, "origin")
            self.fill_to_min_limits(group)
            return 201, self.node_view(origin)
        raise ApiError(404, "No such resource")

    @staticmethod
    def group_view(group):
        view = {k: copy.deepcopy(v) for k, v in group.items() if k != "nodes"}
        view["nodeCount"] = len(group["nodes"])
        return view

    @staticmethod
    def node_view(node):
        return {k: v for k, v in node.items() if k != "polls"}

    def launch(self, group, role):
        s = self.state
        s.node_counter += 1
        node = {"identifier": "sim-%s-%s-%d" % (group["name"], role, s.node_counter),
                "role": role, "state": NODE_STATES[0], "group": group["name"],
                "region": group["regions"][0], "address": "10.0.%d.%d" % (
                    s.node_counter // 250, s.node_counter % 250 + 1), "polls": 0}
        group["nodes"].append(node)
        return node

    def fill_to_min_limits(self, group):
        policy = self.state.policies.get(group["scalePolicy"]) or {}
        for region in policy.get("targets", {}).get("region", [])[:1]:
            for target in region.get("target", []):
                role = target["role"]
                if role == "origin":
                    continue
                have = sum(1 for n in group["nodes"] if n["role"] == role)
                for dummy in range(int(target["minLimit"]) - have):
                    self.launch(group, role)

    def advance(self, group):
        for node in group["nodes"]:
            if node["state"] == NODE_STATES[-1]:
                continue
            node["polls"] += 1
            if node["polls"] >= self.state.node_polls:
                node["polls"] = 0
                node["state"] = NODE_STATES[NODE_STATES.index(node["state"]) + 1]


class Handler(BaseHTTPRequestHandler):
    server_version = "StreamManagerSim/4.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep test output quiet (and tokens out of logs)
        pass

    def send_json(self, status, data):
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return None
        try:
            return json.loads(self.rfile.read(length))
        except ValueError:
            raise ApiError(400, "body is not JSON")

    def dispatch(self, method):
        state = self.server.sim
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        try:
            body = self.read_body()
            with state.lock:
                if path.startswith("/__sim/"):
                    return self.send_json(*self.control(method, path, body or {}))
                if not path.startswith(API + "/"):
                    raise ApiError(404, "No such resource")
                state.requests.append([method, path])
                token = parse_qs(url.query).get("accessToken", [""])[0]
                if token != state.token:
                    raise ApiError(401, "Invalid or missing accessToken")
                failure = state.take_failure(method, path)
                if failure:
                    raise ApiError(failure["status"], failure.get("message") or "Simulated failure")
                parts = [unquote(p) for p in path[len(API) + 1:].split("/")]
                status, data = Api(state).handle(method, parts, body)
            self.send_json(status, data)
        except ApiError as exc:
            self.send_json(exc.status, {"errorMessage": exc.message})

    def control(self, method, path, body):
        state = self.server.sim
        if path == "/__sim/reset" and method == "POST":
            state.reset(body.get("ready_after", 0), body.get("node_polls", 1))
            return 200, {"reset": True}
        if path == "/__sim/fail" and method == "POST":
            failure = {"path": body["path"], "status": int(body.get("status", 500)),
                       "count": int(body.get("count", 1)), "method": body.get("method"),
                       "message": body.get("message")}
            state.failures.append(failure)
            return 200, failure
        if path == "/__sim/state" and method == "GET":
            return 200, state.snapshot()
        raise ApiError(404, "No such control endpoint")

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")


class StreamManagerSim:
    """Start/stop the simulator in a background thread (for pytest fixtures)."""

    def __init__(self, token, host="127.0.0.1", port=0, ready_after=0, node_polls=1):
        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.server.sim = SimState(token, ready_after, node_polls)
        self.thread = None

    @property
    def state(self):
        return self.server.sim

    @property
    def url(self):
        host, port = self.server.server_address[:2]
        return "http://%s:%d" % (host, port)

    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1; keep it on loopback)")
    parser.add_argument("--port", type=int, default=5080)
    parser.add_argument("--token", required=True, help="the accessToken the API accepts")
    parser.add_argument("--ready-after", type=int, default=0,
                        help="answer 503 to this many readiness calls first")
    parser.add_argument("--node-polls", type=int, default=1,
                        help="node list polls per state step (pending -> running -> inservice)")
    args = parser.parse_args(argv)
    sim = StreamManagerSim(args.token, args.host, args.port, args.ready_after, args.node_polls)
    print("Stream Manager simulator on %s (API %s)" % (sim.url, API), flush=True)
    try:
        sim.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sim.server.server_close()


if __name__ == "__main__":
    main()
