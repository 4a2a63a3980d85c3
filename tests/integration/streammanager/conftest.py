"""Fixtures: the Stream Manager simulator on a free 127.0.0.1 port, reset before each test;
a closed port and a socket that accepts and never answers, for the unreachable cases."""
import json
import socket
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "standins"))

from streammanager_sim import StreamManagerSim  # noqa: E402

TOKEN = "sim-token-5f1c2e"


class SimControl:
    """Talks to the simulator's /__sim/ control endpoints, as an outside test would."""

    def __init__(self, sim):
        self.sim = sim
        self.url = sim.url
        self.token = TOKEN

    def _post(self, path, body):
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=5) as resp:
            return json.loads(resp.read())

    def reset(self, ready_after=0, node_polls=1, **knobs):
        """Knobs: ``controller`` (readiness text), ``launchconfig_envelope`` (bool)."""
        return self._post("/__sim/reset", dict(knobs, ready_after=ready_after, node_polls=node_polls))

    def fail(self, path, status=503, count=1, method=None, message=None, body=None):
        """``body``: json (documented error), html, text or empty."""
        return self._post("/__sim/fail", {"path": "/streammanager/api/4.0/admin" + path,
                                          "status": status, "count": count, "method": method,
                                          "message": message, "body": body})

    def state(self):
        with urllib.request.urlopen(self.url + "/__sim/state", timeout=5) as resp:
            return json.loads(resp.read())

    def writes(self):
        return [r for r in self.state()["requests"] if r[0] != "GET"]

    def conn(self, **extra):
        """Connection options for the modules; short retry delay keeps tests fast."""
        args = dict(base_url=self.url, access_token=TOKEN, retry_delay=0.01, timeout=5)
        args.update(extra)
        return args


def _clear_module_warnings():
    # The harness runs modules in-process; Ansible keeps warnings in module-global dicts, so
    # without this a warning of one run shows up in the results of every later run.
    from ansible.module_utils.common import warnings

    warnings._global_warnings.clear()
    warnings._global_deprecations.clear()


@pytest.fixture(autouse=True)
def clear_warnings():
    """Clears module warnings before each test; call it to clear them between two runs."""
    _clear_module_warnings()
    return _clear_module_warnings


@pytest.fixture(scope="session")
def _sim_server():
    sim = StreamManagerSim(TOKEN).start()
    yield sim
    sim.stop()


@pytest.fixture
def sm(_sim_server):
    control = SimControl(_sim_server)
    control.reset()
    return control


@pytest.fixture
def closed_port():
    """A 127.0.0.1 URL where nothing listens (connection refused)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return "http://127.0.0.1:%d" % port


@pytest.fixture
def hung_server():
    """A 127.0.0.1 URL whose socket accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, dummy = listener.accept()
            except OSError:
                continue
            held.append(conn)  # read nothing, answer nothing

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % listener.getsockname()[1]
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    listener.close()
