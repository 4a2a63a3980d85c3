"""Tests of endpoint_check against small HTTP and HTTPS servers on 127.0.0.1."""
import datetime
import http.server
import ipaddress
import json
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.endpoint import (
    EndpointError,
    certificate_problems,
    name_covers,
    split_url,
)

NOW = datetime.datetime.now(datetime.timezone.utc)


class JsonHandler(http.server.BaseHTTPRequestHandler):
    status = 200
    body = json.dumps({"host": "origin-1", "status": "healthy"})

    def do_GET(self):  # noqa: N802 - http.server's naming
        data = self.body.encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def make_certificate(tmp_path, names, not_before, not_after):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]
                                                   + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def serve(httpd):
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    return httpd


@pytest.fixture
def http_server():
    httpd = serve(http.server.HTTPServer(("127.0.0.1", 0), JsonHandler))
    yield "http://127.0.0.1:%d" % httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def https_server(tmp_path):
    servers = []

    def start(names=("*.sandbox.streamfleet.test",), not_before=NOW - datetime.timedelta(days=1),
              not_after=NOW + datetime.timedelta(days=30)):
        cert_path, key_path = make_certificate(tmp_path, list(names), not_before, not_after)
        httpd = http.server.HTTPServer(("127.0.0.1", 0), JsonHandler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert_path), str(key_path))
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        servers.append(serve(httpd))
        return "https://127.0.0.1:%d" % httpd.server_address[1], str(cert_path)

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def test_name_covers_follows_rfc6125_wildcards():
    assert name_covers("*.sandbox.streamfleet.test", "live.sandbox.streamfleet.test")
    assert name_covers("LIVE.example.com", "live.example.com.")
    assert not name_covers("*.sandbox.streamfleet.test", "sandbox.streamfleet.test")
    assert not name_covers("*.sandbox.streamfleet.test", "a.b.sandbox.streamfleet.test")
    assert not name_covers("live.example.com", "evil-live.example.com")


def test_certificate_problems_reports_name_and_dates_together():
    info = dict(dns_names=["www.example.com"], ip_addresses=[], not_before="2026-01-01T00:00:00Z",
                not_after="2026-02-01T00:00:00Z")
    problems = certificate_problems(info, "live.example.com", now=NOW)
    assert problems == ["certificate names www.example.com do not cover live.example.com",
                        "certificate expired on 2026-02-01T00:00:00Z"]


def test_split_url_refuses_other_schemes():
    assert split_url("https://live.example.com/rest/v2/liveness") == ("https", "live.example.com", 443)
    assert split_url("http://[::1]:8081/?action=stat") == ("http", "::1", 8081)
    with pytest.raises(EndpointError):
        split_url("ftp://live.example.com/")


def test_http_answer_with_expected_keys(run_module, http_server):
    result = run_module("endpoint_check", dict(url=http_server + "/rest/v2/liveness", expect_keys=["status", "host"]))
    assert result.get("failed") is not True, result
    assert result["ok"] is True and result["status"] == 200 and result["json"]["status"] == "healthy"
    assert "certificate" not in result


def test_http_problems_are_all_listed(run_module, http_server, monkeypatch):
    monkeypatch.setattr(JsonHandler, "status", 503)
    monkeypatch.setattr(JsonHandler, "body", "<html>starting</html>")
    result = run_module("endpoint_check", dict(url=http_server + "/", expect_keys=["status"],
                                               expect_text="^connections=", fail_on_problem=False))
    assert result.get("failed") is not True and result["ok"] is False
    assert result["problems"] == ["answered HTTP 503, expected 200",
                                  "answer is not JSON, expected the keys status",
                                  "answer does not match '^connections='"]


def test_https_certificate_covering_the_domain(run_module, https_server):
    url, ca = https_server()
    result = run_module("endpoint_check", dict(url=url + "/rest/v2/liveness", domain="live.sandbox.streamfleet.test",
                                               ca_path=ca, expect_keys=["status"]), check_mode=True)
    assert result.get("failed") is not True, result
    assert result["certificate"]["dns_names"] == ["*.sandbox.streamfleet.test"]
    assert result["certificate"]["ip_addresses"] == ["127.0.0.1"]
    assert result["ok"] is True and result["changed"] is False


def test_https_wrong_name_untrusted_chain_and_expiry_fail_together(run_module, https_server):
    url, _unused_ca = https_server(names=("www.example.com",), not_before=NOW - datetime.timedelta(days=90),
                                   not_after=NOW - datetime.timedelta(days=1))
    result = run_module("endpoint_check", dict(url=url + "/", domain="live.sandbox.streamfleet.test"))
    assert result["failed"] is True
    problems = result["problems"]
    assert problems[0] == "certificate names www.example.com, 127.0.0.1 do not cover live.sandbox.streamfleet.test"
    assert problems[1].startswith("certificate expired on ")
    assert problems[2].startswith("certificate chain is not trusted")
    assert result["status"] == 200  # the answer was still read, so every problem is listed
    assert "live.sandbox.streamfleet.test" in result["msg"]


def test_https_expiring_soon_is_reported(run_module, https_server):
    url, ca = https_server(not_after=NOW + datetime.timedelta(days=5))
    result = run_module("endpoint_check", dict(url=url + "/", domain="a.sandbox.streamfleet.test", ca_path=ca,
                                               certificate_min_days=14, fail_on_problem=False))
    assert len(result["problems"]) == 1 and "within 14 days" in result["problems"][0]


def test_no_listener_is_a_problem_not_a_traceback(run_module, http_server):
    url = http_server.replace("http://", "https://")  # TLS to a plain HTTP server
    result = run_module("endpoint_check", dict(url=url + "/", fail_on_problem=False))
    assert result["ok"] is False and result["problems"][0].startswith("no TLS handshake with 127.0.0.1:")


def test_bad_url_fails_before_any_request(run_module):
    result = run_module("endpoint_check", dict(url="live.example.com/rest"))
    assert result["failed"] is True and "url='live.example.com/rest' refused: is not a http or https URL" in result["msg"]


def test_certificate_only_sends_no_request(run_module, https_server, monkeypatch):
    monkeypatch.setattr(JsonHandler, "status", 500)  # would be a problem if it were read
    url, ca = https_server()
    result = run_module("endpoint_check", dict(url=url + "/", domain="wss.sandbox.streamfleet.test", ca_path=ca,
                                               read_answer=False))
    assert result.get("failed") is not True, result
    assert result["status"] == -1 and result["certificate"]["dns_names"] == ["*.sandbox.streamfleet.test"]
