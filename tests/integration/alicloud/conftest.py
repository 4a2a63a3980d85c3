"""Start the ROS stand-in (tests/standins/ros_standin.py) on a free 127.0.0.1 port."""
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
STANDIN = REPO / "tests" / "standins" / "ros_standin.py"
ACCESS_KEY_ID = "STANDINTESTKEY0000001"
ACCESS_KEY_SECRET = "standin-test-secret"
REGION = "cn-hangzhou"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RosStandin:
    def __init__(self, port):
        self.port = port
        self.endpoint = "http://127.0.0.1:%d" % port
        self.access_key_id = ACCESS_KEY_ID
        self.access_key_secret = ACCESS_KEY_SECRET
        self.region = REGION

    def control(self, path, doc=None):
        data = None if doc is None else json.dumps(doc).encode()
        request = urllib.request.Request(self.endpoint + "/_standin/" + path, data=data,
                                         method="POST" if data is not None or path == "reset" else "GET")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def stacks(self, live_only=True):
        return [s for s in self.control("stacks")["stacks"] if not (live_only and s["deleted"])]

    def calls(self):
        return self.control("stacks")["calls"]

    def resolve(self, stack_name, resource, prop):
        """A resource property of a live stack with ROS's functions applied."""
        return self.control("resolve", {"stack_name": stack_name, "resource": resource, "property": prop})["value"]

    def fail_next(self, stack_name, resource, reason):
        return self.control("fail", {"stack_name": stack_name, "resource": resource, "reason": reason})

    def module_args(self, **extra):
        args = dict(access_key_id=ACCESS_KEY_ID, access_key_secret=ACCESS_KEY_SECRET, region=REGION,
                    endpoint=self.endpoint, wait_poll_interval=0.1, wait_timeout=30)
        args.update(extra)
        return args


@pytest.fixture(scope="session")
def ros_standin():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, str(STANDIN), "--port", str(port), "--access-key-id", ACCESS_KEY_ID,
         "--access-key-secret", ACCESS_KEY_SECRET, "--progress-polls", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    standin = RosStandin(port)
    deadline = time.monotonic() + 20
    while True:
        try:
            standin.control("stacks")
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("ROS stand-in did not start: %s" % proc.stdout.read())
            time.sleep(0.1)
    yield standin
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def standin(ros_standin):
    ros_standin.control("reset")
    return ros_standin
