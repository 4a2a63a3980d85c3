# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test double: a stateful simulator of the Red5 Pro Stream Manager REST API 4.0.

It serves exactly the endpoints the collection uses, on 127.0.0.1 only::

    GET               /streammanager/api/4.0/admin/debug/cloudcontroller
    POST              /streammanager/api/4.0/admin/configurations/scalepolicy
    GET/PUT/DELETE    /streammanager/api/4.0/admin/configurations/scalepolicy/{name}
    POST              /streammanager/api/4.0/admin/configurations/launchconfig
    GET/PUT/DELETE    /streammanager/api/4.0/admin/configurations/launchconfig/{name}
    GET/POST          /streammanager/api/4.0/admin/nodegroup
    GET/DELETE        /streammanager/api/4.0/admin/nodegroup/{name}
    GET               /streammanager/api/4.0/admin/nodegroup/{name}/node
    POST              /streammanager/api/4.0/admin/nodegroup/{name}/node/origin

Answers have the shapes the vendor documents or its own scripts rely on; each is written from
these sources (our own code, no vendor text), cited again where it is built:

[DOC-BASICS]  Red5 Pro docs, "API Basics" of the 4.0-era installation guides
              (https://www.red5.net/docs/installation/auto-digital-ocean/14-api-basics,
              https://www.red5.net/docs/installation/auto-microsoft-azure/api-basics/, the AWS
              page "should return: Amazon Web Services"): the readiness call returns the
              controller's name as plain text.
[DOC-POLICY]  https://www.red5.net/docs/development/rest-api-v-310/smapi-scalepolicy/ (4.0
              page of the same layout): create answers 201 ``{"policy": {...}}``; limits are
              shown as strings.
[DOC-LAUNCH]  https://www.red5.net/docs/development/rest-api-v-400/smapi-launchconfig/: create
              answers 201 ``{"launchconfig": {...}}``.
[DOC-GROUPS]  https://www.red5.net/docs/development/rest-api-v-400/smapi-groups/: create
              answers 201 with the bare group ``{id, name, originConnections, regions,
              launchConfig, scalePolicy, state, timestamp}``.
[DOC-NODES]   https://www.red5pro.com/docs/development/rest-api-v-400/smapi-nodes: a node is
              ``{identifier, role, availabilityZone, address, state, launchConfig, capacity,
              group}``; ``inservice`` when ready.
[DOC-ERROR]   the same pages: failures answer ``{"errorMessage": ..., "timestamp": ...}``.
[TF-SCRIPT]   red5pro/terraform-aws-red5pro, red5pro-installer/r5p_create_node_group.sh and
              r5p_delete_node_group.sh at commit c0d21ef8de73af79fed9577ad6d67a463939b7fa
              (the last Stream Manager 1.x version): readiness is checked by status 200 only;
              it reads ``.policy.name`` after creating a policy but ``.name`` after creating a
              launch configuration (the real answer is not wrapped, unlike [DOC-LAUNCH]),
              ``.name`` after creating and deleting a group, ``.group`` after adding an origin,
              ``.[].name`` of the group list and ``.[] | .identifier, .role, .state`` of the
              node list; it sends limits as floats (``40.0``).

Where nothing documents an answer the simulator says so in a comment ("not documented").

Every API call needs ``?accessToken=TOKEN`` (401 otherwise). State lives in memory:

- scale policies and launch configurations are validated against the documented shapes
  (400 with the documented error body when a key is missing or a role is unknown);
- a node group must name an existing scale policy and launch configuration;
- ``POST .../node/origin`` adds an origin and, like the Stream Manager's autoscaler, brings
  every other role of the group's scale policy up to its ``minLimit``;
- every ``GET .../node`` is one "poll": each node moves one step through
  ``pending -> running -> inservice`` every ``node_polls`` polls;
- ``GET .../debug/cloudcontroller`` answers 503 (an HTML page, as a balancer or the servlet
  container does while the webapp starts) for the first ``ready_after`` calls, then 200 with
  the controller name as ``text/plain`` (an empty 200 when ``controller`` is "").

Control endpoints (no token; this is a test double bound to loopback):

- ``POST /__sim/reset`` body ``{"ready_after": N, "node_polls": N, "controller": "...",
  "launchconfig_envelope": false}`` (all optional): forget everything, set the knobs.
  ``launchconfig_envelope: true`` answers launch configurations wrapped as [DOC-LAUNCH] shows
  instead of bare as [TF-SCRIPT] relies on.
- ``POST /__sim/fail`` body ``{"path": "/streammanager/...", "status": 503, "count": 2,
  "method": "GET", "message": "...", "body": "json|html|text|empty"}``: the next ``count``
  requests whose path starts with ``path`` (and with that method, if given) get ``status``
  with that kind of body (default the documented JSON error).
- ``GET /__sim/state``: everything stored plus ``requests`` (method and path of every API call,
  without the query string), so tests can check that check mode wrote nothing.

Not modelled (see docs/streammanager-api.md): clouds, instance launches, autoscaling on load,
node termination, the product's exact error texts and the status of undocumented answers.

Run standalone: ``python tests/standins/streammanager_sim.py --port 5080 --token T``.
"""
import argparse
import copy
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

API = "/streammanager/api/4.0/admin"
ROLES = ("origin", "edge", "relay", "transcoder")
# [DOC-NODES] names "inservice"; the states before it are not documented (ours).
NODE_STATES = ("pending", "running", "inservice")
# [DOC-BASICS]: what the AWS cloud controller answers to the readiness call.
CONTROLLER = "Amazon Web Services"


class ApiError(Exception):
    def __init__(self, status, message, body="json"):
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = body


class SimState:
    """Everything the simulated Stream Manager knows; all access under ``lock``."""

    def __init__(self, token, ready_after=0, node_polls=1, controller=CONTROLLER):
        self.lock = threading.Lock()
        self.token = token
        self.reset(ready_after, node_polls, controller)

    def reset(self, ready_after=0, node_polls=1, controller=CONTROLLER, launchconfig_envelope=False):
        self.ready_after = int(ready_after)
        self.node_polls = max(1, int(node_polls))
        self.controller = controller
        self.launchconfig_envelope = bool(launchconfig_envelope)
        self.group_counter = 0
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
        # [DOC-POLICY] shows numbers as strings, [TF-SCRIPT] sends floats (40.0).
        try:
            value = int(float(value))
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
class Text(str):
    """An answer sent as text/plain instead of JSON."""


class Api:
    def __init__(self, state):
        self.state = state

    def handle(self, method, parts, body):
        s = self.state
        if parts == ["debug", "cloudcontroller"] and method == "GET":
            if s.ready_after > 0:
                s.ready_after -= 1
                # Not documented: what answers while the Stream Manager starts. [TF-SCRIPT]
                # only waits for a 200; a balancer or the servlet container answers an HTML page.
                raise ApiError(503, "503 Service Temporarily Unavailable", body="html")
            # [DOC-BASICS]: plain text, the active controller's name.
            return 200, Text(s.controller)
        if parts[:1] == ["configurations"] and len(parts) in (2, 3):
            kind = parts[1]
            if kind == "scalepolicy":
                # [DOC-POLICY], [TF-SCRIPT] ".policy.name": wrapped.
                return self.config(method, parts[2:], body, s.policies, "policy", validate_policy,
                                   wrap=True)
            if kind == "launchconfig":
                # [TF-SCRIPT] ".name": bare; [DOC-LAUNCH] shows it wrapped (knob).
                return self.config(method, parts[2:], body, s.launchconfigs, "launchconfig",
                                   validate_launchconfig, wrap=s.launchconfig_envelope)
        if parts[:1] == ["nodegroup"]:
            return self.nodegroup(method, parts[1:], body)
        raise ApiError(404, "No such resource")

    @staticmethod
    def config(method, rest, body, store, envelope, validate, wrap):
        def answer(item):
            item = copy.deepcopy(item)
            return {envelope: item} if wrap else item

        if not rest:
            if method == "GET":
                # Not documented in what we read ("List ..." pages): a JSON list of documents.
                return 200, [answer(v) for v in store.values()]
            if method != "POST":
                raise ApiError(405, "Method not allowed")
            item = validate(body)
            if item["name"] in store:
                # Not documented: the status of a duplicate (the pages list 400 or 404).
                raise ApiError(400, "%s '%s' already exists" % (envelope, item["name"]))
            store[item["name"]] = copy.deepcopy(item)
            return 201, answer(item)
        name = rest[0]
        if name not in store:
            raise ApiError(404, "%s '%s' not found" % (envelope, name))
        if method == "GET":
            return 200, answer(store[name])
        if method == "PUT":
            item = validate(body)
            if item["name"] != name:
                raise ApiError(400, "name in the body differs from the name in the path")
            store[name] = copy.deepcopy(item)
            return 200, answer(item)
        if method == "DELETE":
            # Not documented: the answer of a delete; the deleted document, as for a group.
            return 200, answer(store.pop(name))
        raise ApiError(405, "Method not allowed")

    def nodegroup(self, method, rest, body):
        s = self.state
        if not rest:
            if method == "GET":
                # [TF-SCRIPT] ".[].name": a bare JSON list of groups.
                return 200, [self.group_view(g) for g in s.groups.values()]
            if method != "POST":
                raise ApiError(405, "Method not allowed")
            regions = _need(body, "regions", list, "body")
            if not regions or not all(isinstance(r, str) for r in regions):
                raise ApiError(400, "regions must be a non-empty list of region names")
            policy = _need(body, "scalePolicy", str, "body")
            launch = _need(body, "launchConfig", str, "body")
            if policy not in s.policies:
                raise ApiError(400, "scale policy '%s' does not exist" % policy)
            if launch not in s.launchconfigs:
                raise ApiError(400, "launch configuration '%s' does not exist" % launch)
            s.group_counter += 1
            # [DOC-GROUPS] generates a name when none is given; [TF-SCRIPT] sends one and
            # expects it back.
            name = body.get("name") or "group-sim-%d" % s.group_counter
            if name in s.groups:
                raise ApiError(400, "node group '%s' already exists" % name)
            s.groups[name] = {"id": s.group_counter, "name": name, "originConnections": 0,
                              "regions": list(regions), "launchConfig": launch,
                              "scalePolicy": policy, "state": "new",
                              "timestamp": int(time.time() * 1000), "nodes": []}
            # [DOC-GROUPS]: 201 with the bare group.
            return 201, self.group_view(s.groups[name])
        name = rest[0]
        group = s.groups.get(name)
        if group is None:
            raise ApiError(404, "node group '%s' not found" % name)
        if len(rest) == 1:
            if method == "GET":
                return 200, self.group_view(group)
            if method == "DELETE":
                # [TF-SCRIPT] ".name" of the delete answer: the group.
                return 200, self.group_view(s.groups.pop(name))
            raise ApiError(405, "Method not allowed")
        if rest[1:] == ["node"] and method == "GET":
            self.advance(group)
            # [TF-SCRIPT] ".[] | .identifier, .role, .state": a bare JSON list of nodes.
            return 200, [self.node_view(n) for n in group["nodes"]]
        if rest[1:] == ["node", "origin"] and method == "POST":
            origin = self.launch(group, "origin")
            self.fill_to_min_limits(group)
            group["state"] = "active"
            # [TF-SCRIPT] ".group" of the answer: the new node, naming its group.
            return 201, self.node_view(origin)
        raise ApiError(404, "No such resource")

    @staticmethod
    def group_view(group):
        return {k: copy.deepcopy(v) for k, v in group.items() if k != "nodes"}

    @staticmethod
    def node_view(node):
        return {k: v for k, v in node.items() if k != "polls"}

    def launch(self, group, role):
        s = self.state
        s.node_counter += 1
        zone = group["regions"][0] + "a"
        launch = s.launchconfigs.get(group["launchConfig"]) or {}
        capacity = next((t.get("connectionCapacity") for t in launch.get("targets", {}).get("target", [])
                         if t.get("role") == role), None)
        # [DOC-NODES]: the documented node object.
        node = {"identifier": "node-%s-%d" % (zone, 1452586832000 + s.node_counter),
                "role": role, "availabilityZone": zone,
                "address": "10.0.%d.%d" % (s.node_counter // 250, s.node_counter % 250 + 1),
                "state": NODE_STATES[0], "launchConfig": group["launchConfig"],
                "capacity": int(float(capacity)) if capacity is not None else 0,
                "group": group["name"], "polls": 0}
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
                for dummy in range(int(float(target["minLimit"])) - have):
                    self.launch(group, role)

    def advance(self, group):
        for node in group["nodes"]:
            if node["state"] == NODE_STATES[-1]:
                continue
            node["polls"] += 1
            if node["polls"] >= self.state.node_polls:
                node["polls"] = 0
                node["state"] = NODE_STATES[NODE_STATES.index(node["state"]) + 1]


ERROR_PAGE = ("<!DOCTYPE html>\n<html><head><title>%(message)s</title></head>\n"
              "<body><h1>%(message)s</h1><hr><p>StreamManagerSim</p></body></html>\n")


class Handler(BaseHTTPRequestHandler):
    server_version = "StreamManagerSim/4.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep test output quiet (and tokens out of logs)
        pass

    def send(self, status, raw, content_type):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def send_json(self, status, data):
        if isinstance(data, Text):
            return self.send(status, data.encode(), "text/plain;charset=UTF-8")
        return self.send(status, json.dumps(data).encode(), "application/json")

    def send_error_body(self, exc):
        if exc.body == "html":
            return self.send(exc.status, (ERROR_PAGE % {"message": exc.message}).encode(),
                             "text/html;charset=utf-8")
        if exc.body == "text":
            return self.send(exc.status, (exc.message + "\n").encode(), "text/plain")
        if exc.body == "empty":
            return self.send(exc.status, b"", None)
        # [DOC-ERROR]: the documented error body.
        return self.send_json(exc.status, {"errorMessage": exc.message,
                                           "timestamp": int(time.time() * 1000)})

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
                    # Not documented: the answer to a wrong token; the documented error body.
                    raise ApiError(401, "Invalid or missing accessToken")
                failure = state.take_failure(method, path)
                if failure:
                    raise ApiError(failure["status"], failure.get("message") or "Simulated failure",
                                   body=failure.get("body") or "json")
                parts = [unquote(p) for p in path[len(API) + 1:].split("/")]
                status, data = Api(state).handle(method, parts, body)
            self.send_json(status, data)
        except ApiError as exc:
            self.send_error_body(exc)

    def control(self, method, path, body):
        state = self.server.sim
        if path == "/__sim/reset" and method == "POST":
            state.reset(body.get("ready_after", 0), body.get("node_polls", 1),
                        body.get("controller", CONTROLLER), body.get("launchconfig_envelope", False))
            return 200, {"reset": True}
        if path == "/__sim/fail" and method == "POST":
            failure = {"path": body["path"], "status": int(body.get("status", 500)),
                       "count": int(body.get("count", 1)), "method": body.get("method"),
                       "message": body.get("message"), "body": body.get("body")}
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

    def __init__(self, token, host="127.0.0.1", port=0, ready_after=0, node_polls=1,
                 controller=CONTROLLER):
        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.server.sim = SimState(token, ready_after, node_polls, controller)
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
    parser.add_argument("--controller", default=CONTROLLER,
                        help="plain-text answer of the readiness call (default %(default)s)")
    args = parser.parse_args(argv)
    sim = StreamManagerSim(args.token, args.host, args.port, args.ready_after, args.node_polls,
                           args.controller)
    print("Stream Manager simulator on %s (API %s)" % (sim.url, API), flush=True)
    try:
        sim.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sim.server.server_close()


if __name__ == "__main__":
    main()
