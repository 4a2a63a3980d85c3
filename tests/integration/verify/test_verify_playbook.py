"""playbooks/verify.yml against stand-ins on 127.0.0.1: the Ant Media console stand-in
(tests/lib/antmedia_console.py, with its broadcasts REST) as origin and edge listeners, behind
an HTTPS front with a certificate made here; the WCS stats stand-in
(tests/standins/session_counter_standin.py) as edges; the Stream Manager simulator."""
import datetime
import http.server
import ipaddress
import json
import ssl
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lib.antmedia_console import RunningConsole

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tests" / "standins"))

import session_counter_standin  # noqa: E402
from streammanager_sim import StreamManagerSim  # noqa: E402

DOMAIN = "live.sandbox.streamfleet.test"
TOKEN = "verify-sim-token"


def certificate(tmp_path, names):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]
                                                   + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / ("%s.pem" % names[0].replace("*", "star")), tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


class TlsFront:
    """An HTTPS listener passing every request on to a plain HTTP stand-in (the balancer's
    HTTPS listener in front of the nodes' HTTP port)."""

    def __init__(self, backend, cert, key):
        class Proxy(http.server.BaseHTTPRequestHandler):
            def _pass(self):
                length = int(self.headers.get("Content-Length") or 0)
                request = urllib.request.Request(backend + self.path, data=self.rfile.read(length) if length else None,
                                                 method=self.command,
                                                 headers={"Content-Type": self.headers.get("Content-Type", "")})
                try:
                    with urllib.request.urlopen(request, timeout=5) as answer:
                        status, body, ctype = answer.status, answer.read(), answer.headers.get("Content-Type")
                except urllib.error.HTTPError as exc:
                    status, body, ctype = exc.code, exc.read(), exc.headers.get("Content-Type")
                self.send_response(status)
                self.send_header("Content-Type", ctype or "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _pass

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = "https://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def run_verify(tmp_path, extra_vars):
    env = dict(__import__("os").environ,
               ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(REPO / ".build" / "collections"),
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,",
           str(REPO / "playbooks" / "verify.yml"), "-e", json.dumps(dict(extra_vars, verify_retries=2, verify_delay=1))]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, check=False)
    try:
        doc = json.loads(proc.stdout)
    except ValueError as exc:
        raise AssertionError(proc.stdout + proc.stderr) from exc
    tasks = {t["task"]["name"]: t["hosts"].get("localhost", {}) for p in doc["plays"] for t in p["tasks"]}
    return proc.returncode, tasks


@pytest.fixture
def antmedia(tmp_path):
    shared = {}
    origin = RunningConsole(tmp_path / "origin", broadcasts=shared)
    edge = RunningConsole(tmp_path / "edge", broadcasts=shared)
    cert, key = certificate(tmp_path, ["*.sandbox.streamfleet.test"])
    fronts = [TlsFront(origin.url, cert, key), TlsFront(edge.url, cert, key)]
    yield dict(origin=fronts[0].url, edge=fronts[1].url, ca=cert, broadcasts=shared)
    for item in fronts + [origin, edge]:
        item.stop()


def test_antmedia_over_https_passes_and_leaves_nothing(tmp_path, antmedia):
    code, tasks = run_verify(tmp_path, dict(
        verify_topology="antmedia_cluster_aws", verify_domain=DOMAIN, verify_ca_path=antmedia["ca"],
        verify_antmedia_origin_url=antmedia["origin"], verify_antmedia_edge_url=antmedia["edge"]))
    assert code == 0, tasks
    liveness = tasks["Ant Media liveness and certificate of the origin and edge listeners"]["results"]
    assert [r["certificate"]["dns_names"] for r in liveness] == [["*.sandbox.streamfleet.test"]] * 2
    assert tasks["Find the broadcast on an edge"]["status"] == 200
    assert tasks["Delete the broadcast again"]["json"]["success"] is True
    assert antmedia["broadcasts"] == {}  # the round trip removed its broadcast


def test_alicloud_wrong_domain_lists_every_failure(tmp_path, antmedia):
    code, tasks = run_verify(tmp_path, dict(
        verify_topology="antmedia_cluster_alicloud", verify_domain="live.other.example", verify_ca_path=antmedia["ca"],
        verify_antmedia_origin_url=antmedia["origin"], verify_antmedia_edge_url=antmedia["edge"] + "/missing"))
    assert code != 0
    failed = tasks["Report every failed check"]["msg"]
    assert failed[0] == "3 check(s) failed:", failed
    assert "do not cover live.other.example" in failed[1] and antmedia["origin"] in failed[1]
    assert "answered HTTP 404" in failed[2] and "do not cover" in failed[2]
    assert "not found on an edge" in failed[3]
    assert antmedia["broadcasts"] == {}  # deleted even though the edge check failed


@pytest.fixture
def wcs_edges():
    servers = []
    for sessions in (0, 3):
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), session_counter_standin.make_handler(session_counter_standin.Counter(sessions), quiet=True))
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
    yield ["127.0.0.1:%d" % s.server_address[1] for s in servers]
    for server in servers:
        server.shutdown()
        server.server_close()


def test_wcs_http_without_domain_checks_every_edge(tmp_path, wcs_edges):
    dead = "127.0.0.1:1"
    code, tasks = run_verify(tmp_path, dict(verify_topology="wcs_cdn_aws", verify_host="127.0.0.1",
                                            verify_wcs_edges=wcs_edges + [dead]))
    assert "HTTPS checks skipped" in tasks["Note that HTTPS is not checked"]["msg"]
    stats = tasks["WCS stats on every edge"]["results"]
    assert [r["ok"] for r in stats] == [True, True, False]
    assert code != 0
    failed = tasks["Report every failed check"]["msg"]
    assert failed[0] == "1 check(s) failed:" and failed[1].startswith("http://127.0.0.1:1/?action=stat: no answer")


def test_red5pro_waits_for_readiness_and_masks_the_token(tmp_path):
    sim = StreamManagerSim(TOKEN, ready_after=1).start()
    try:
        code, tasks = run_verify(tmp_path, dict(verify_topology="red5pro_streammanager_aws", verify_host="127.0.0.1",
                                                verify_red5pro_url=sim.url, verify_red5pro_token=TOKEN))
        assert code == 0, tasks
        assert tasks["Red5 Pro Stream Manager readiness through the balancer"]["attempts"] == 2
        code, tasks = run_verify(tmp_path, dict(verify_topology="red5pro_streammanager_aws", verify_host="127.0.0.1",
                                                verify_red5pro_url=sim.url, verify_red5pro_token="wrong-token"))
        failed = tasks["Report every failed check"]["msg"]
        assert code != 0 and "accessToken=***" in failed[1] and "answered HTTP 401" in failed[1]
        assert "wrong-token" not in json.dumps(tasks)
    finally:
        sim.stop()
