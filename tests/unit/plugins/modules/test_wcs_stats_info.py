"""Tests of wcs_stats_info against a tiny HTTP(S) server on 127.0.0.1."""
import datetime
import http.server
import ipaddress
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.wcs import parse_stats

# Our own sample of the page, written from the documented keys; the layout varies between
# releases, so it mixes header styles, blank lines, odd spacing and an unknown key.
PAGE = """-----connections_stats-----
connections=12
connections_websocket=10
connections_rtmp = 2

[streams_stats]
streams_webrtc_in=3
streams_webrtc_out=9
streams_viewers=7

=== port_stats ===
ports_media_free=3990
ports_media_busy=10
-----core_stats-----
core_java_version=17.0.9
core_cpu_load=0.75
some_unknown_key: text value
this line is noise
"""


class StatHandler(http.server.BaseHTTPRequestHandler):
    body = PAGE
    status = 200
    requests = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        type(self).requests.append(self.path)
        data = self.body.encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    StatHandler.requests = []
    httpd = http.server.HTTPServer(("127.0.0.1", 0), StatHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def make_certificate(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = tmp_path / "cert.pem"
    key_path = tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path):
    cert_path, key_path = make_certificate(tmp_path)
    httpd = http.server.HTTPServer(("127.0.0.1", 0), StatHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert_path), str(key_path))
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, cert_path
    httpd.shutdown()
    httpd.server_close()


def test_parse_stats_is_tolerant():
    stats, sections, ignored = parse_stats(PAGE)
    assert stats["connections"] == 12 and stats["connections_rtmp"] == 2
    assert stats["streams_webrtc_in"] == 3 and stats["ports_media_free"] == 3990
    assert stats["core_cpu_load"] == 0.75 and stats["core_java_version"] == "17.0.9"
    assert stats["some_unknown_key"] == "text value"
    assert set(sections) == {"connections_stats", "streams_stats", "port_stats", "core_stats"}
    assert sections["port_stats"] == {"ports_media_free": 3990, "ports_media_busy": 10}
    assert ignored == 1


def test_parse_stats_without_sections_and_with_crlf():
    stats, sections, ignored = parse_stats("connections=1\r\n\r\nstreams_viewers=-2\r\n")
    assert stats == {"connections": 1, "streams_viewers": -2}
    assert sections == {} and ignored == 0


def test_reads_the_page(run_module, server):
    port = server.server_address[1]
    result = run_module("wcs_stats_info", dict(port=port, timeout=5))
    assert result["changed"] is False, result
    assert result["url"] == "http://127.0.0.1:%d/?action=stat" % port
    assert result["status"] == 200
    assert result["stats"]["streams_webrtc_out"] == 9
    assert result["sections"]["connections_stats"]["connections_websocket"] == 10
    assert StatHandler.requests == ["/?action=stat"]


def test_check_mode_reads_too(run_module, server):
    result = run_module("wcs_stats_info", dict(port=server.server_address[1]), check_mode=True)
    assert result["changed"] is False and result["stats"]["connections"] == 12


def test_http_error_fails(run_module, server, monkeypatch):
    monkeypatch.setattr(StatHandler, "status", 503)
    result = run_module("wcs_stats_info", dict(port=server.server_address[1]))
    assert result.get("failed") is True and result["status"] == 503


def test_connection_refused_fails_clearly(run_module, server):
    port = server.server_address[1]
    server.shutdown()
    server.server_close()
    result = run_module("wcs_stats_info", dict(port=port, timeout=2))
    assert result.get("failed") is True
    assert "cannot read http://127.0.0.1:%d/?action=stat" % port in result["msg"]


def test_not_a_stats_page_warns(run_module, server, monkeypatch):
    monkeypatch.setattr(StatHandler, "body", "<html>hello</html>")
    result = run_module("wcs_stats_info", dict(port=server.server_address[1]))
    assert result["stats"] == {} and "without any key=value line" in str(result.get("warnings"))


def test_https_with_ca_path_and_certificate_checks(run_module, tls_server):
    httpd, cert_path = tls_server
    port = httpd.server_address[1]
    result = run_module("wcs_stats_info", dict(scheme="https", port=port, ca_path=str(cert_path)))
    assert result["stats"]["connections"] == 12, result
    refused = run_module("wcs_stats_info", dict(scheme="https", port=port))
    assert refused.get("failed") is True
    insecure = run_module("wcs_stats_info", dict(scheme="https", port=port, validate_certs=False))
    assert insecure["stats"]["connections"] == 12


@pytest.mark.parametrize("args,message", [
    (dict(port=0), "port must be between"),
    (dict(timeout=0), "timeout must be at least"),
    (dict(scheme="ftp"), "value of scheme must be one of"),
])
def test_invalid_input(run_module, args, message):
    result = run_module("wcs_stats_info", args)
    assert result.get("failed") is True and message in result["msg"]
