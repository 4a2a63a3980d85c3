"""The benchmark's stand-ins, each on 127.0.0.1 behind a counting proxy (benchmarks/proxy.py).

- ``aws``: moto in server mode (the AWS emulator);
- ``streammanager``: the Red5 Pro Stream Manager API simulator (tests/standins/streammanager_sim.py);
- ``ros``: the Alibaba ROS stand-in (tests/standins/ros_standin.py).

``Backends`` starts them, resets them between sides, and merges the proxies' counts.
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

from proxy import CountingProxy

TOP = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
# A placeholder the simulator accepts (benchmarks/vars/red5pro.yml sends it); not a secret.
STREAMMANAGER_TOKEN = "benchmark-token"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post(url, payload=b"", timeout=60):
    request = urllib.request.Request(url, data=payload, method="POST",
                                     headers={"Content-Type": "application/json"})
    return urllib.request.urlopen(request, timeout=timeout).read()


class Service:
    """One stand-in process on a free port, with a counting proxy in front."""

    def __init__(self, name, command, probe, log_path, proxy_service=None, preserve_host=False):
        self.name = name
        port = free_port()
        self.url = "http://127.0.0.1:%d" % port
        self.log = open(log_path, "wb")
        self.process = subprocess.Popen([part.replace("{port}", str(port)) for part in command],
                                        stdout=self.log, stderr=subprocess.STDOUT, cwd=str(TOP),
                                        env=dict(os.environ, AWS_DEFAULT_REGION=REGION))
        self.proxy = None
        deadline = time.monotonic() + 120
        while True:
            try:
                probe(self.url)
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("%s did not start, see %s" % (name, log_path))
                time.sleep(0.3)
        self.proxy = CountingProxy(self.url, service=proxy_service, preserve_host=preserve_host).start()

    def stop(self):
        if self.proxy is not None:
            self.proxy.close()
            self.proxy = None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def _moto_probe(url):
    urllib.request.urlopen(url + "/moto-api/", timeout=5).read()


def _streammanager_probe(url):
    urllib.request.urlopen(url + "/__sim/state", timeout=5).read()


def _ros_probe(url):
    urllib.request.urlopen(url + "/_standin/stacks", timeout=5).read()


class Backends:
    """The stand-ins a run needs (``kinds``: a subset of aws, streammanager, ros)."""

    def __init__(self, kinds, log_dir):
        self.services = {}
        self._clients = {}
        try:
            if "aws" in kinds:
                # moto's server with one emulator fix (see benchmarks/moto_server.py)
                command = [sys.executable, str(Path(__file__).resolve().parent / "moto_server.py"),
                           "-H", "127.0.0.1", "-p", "{port}"]
                self.services["aws"] = Service("moto", command, _moto_probe, log_dir / "moto.log")
            if "streammanager" in kinds:
                command = [sys.executable, "tests/standins/streammanager_sim.py", "--host", "127.0.0.1",
                           "--port", "{port}", "--token", STREAMMANAGER_TOKEN]
                self.services["streammanager"] = Service(
                    "streammanager-sim", command, _streammanager_probe, log_dir / "streammanager.log",
                    proxy_service="streammanager")
            if "ros" in kinds:
                command = [sys.executable, "tests/standins/ros_standin.py", "--host", "127.0.0.1",
                           "--port", "{port}"]
                # ROS signs the Host header (ACS3): the proxy forwards it unchanged.
                self.services["ros"] = Service("ros-standin", command, _ros_probe, log_dir / "ros.log",
                                               proxy_service="ros", preserve_host=True)
        except Exception:
            self.stop()
            raise

    def proxy_url(self, kind):
        return self.services[kind].proxy.url

    def url(self, kind):
        return self.services[kind].url

    def reset(self):
        """Forget everything (straight to the stand-ins, not counted)."""
        if "aws" in self.services:
            _post(self.url("aws") + "/moto-api/reset")
        if "streammanager" in self.services:
            _post(self.url("streammanager") + "/__sim/reset", json.dumps({}).encode())
        if "ros" in self.services:
            _post(self.url("ros") + "/_standin/reset")

    def take(self):
        counts = Counter()
        for service in self.services.values():
            counts.update(service.proxy.take())
        return counts

    def take_events(self):
        events = []
        for service in self.services.values():
            events.extend(service.proxy.take_events())
        return sorted(events, key=lambda e: e[0])

    def client(self, service):
        """boto3 client straight to moto (the runner's own checks are not counted)."""
        if service not in self._clients:
            import boto3
            from botocore.config import Config
            # moto builds its image catalogue on the first DescribeImages: on a loaded machine
            # that takes longer than botocore's 60 s read timeout.
            self._clients[service] = boto3.client(
                service, region_name=REGION, endpoint_url=self.url("aws"),
                aws_access_key_id="testing", aws_secret_access_key="testing",
                config=Config(read_timeout=600, connect_timeout=60, retries={"max_attempts": 3}))
        return self._clients[service]

    def streammanager_state(self):
        return json.loads(urllib.request.urlopen(self.url("streammanager") + "/__sim/state", timeout=30).read())

    def ros_stacks(self):
        return json.loads(urllib.request.urlopen(self.url("ros") + "/_standin/stacks", timeout=30).read())["stacks"]

    def stop(self):
        for service in self.services.values():
            service.stop()


def stock_image(backends):
    """First x86_64 stock image of the emulator (the same AMI for both sides)."""
    images = backends.client("ec2").describe_images(
        Owners=["amazon"], Filters=[{"Name": "architecture", "Values": ["x86_64"]}])["Images"]
    return sorted(images, key=lambda i: i["ImageId"])[0]["ImageId"]
