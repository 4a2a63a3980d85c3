"""The AWS connection as amazon.aws users expect it, failing fast on the wrong place.

Runs the modules in-process (``run_module``) or through ansible-playbook (``playbook``) against
moto (conftest.py), or against small local endpoints made here: one that accepts connections
and never answers, one that answers every request with the same canned answer, and a port
nothing listens on. All traffic stays on 127.0.0.1.
"""
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest

DEPLOYMENT = "connection-test"
NETWORK = dict(name="conn", deployment=DEPLOYMENT, cidr_block="10.60.0.0/16")


class SilentEndpoint:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte back."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.connections = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)  # held open, never answered

    def close(self):
        self.sock.close()
        for conn in self.connections:
            conn.close()


class CannedEndpoint:
    """Answers requests with canned (status, content type, body) answers in turn, the last one
    for every request after; counts requests."""

    def __init__(self, *answers):
        self.requests = 0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, content_type, body = answers[min(endpoint.requests, len(answers) - 1)]
                endpoint.requests += 1
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def silent_endpoint():
    endpoint = SilentEndpoint()
    yield endpoint
    endpoint.close()


def canned(status, content_type, body):
    return CannedEndpoint((status, content_type, body))


def vpcs_named(region, name, endpoint_url):
    ec2 = boto3.client("ec2", region_name=region, endpoint_url=endpoint_url,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    return ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"]


# --- fail fast -------------------------------------------------------------------------------------

def test_a_silent_endpoint_fails_naming_the_endpoint_and_the_call(run_module, silent_endpoint):
    started = time.monotonic()
    result = run_module("aws_network", dict(NETWORK, endpoint_url=silent_endpoint.url))
    took = time.monotonic() - started
    print("silent endpoint: module failed after %.1f s, %d connections" % (took, len(silent_endpoint.connections)))
    assert result["failed"] is True
    assert silent_endpoint.url in result["msg"]
    assert "ec2.DescribeVpcs" in result["msg"]
    assert "no answer" in result["msg"] and "read timeout" in result["msg"]
    assert result["error"]["code"] == "ReadTimeoutError"
    assert result["error"]["endpoint"].startswith(silent_endpoint.url)
    # tried again once at most: the connection retry budget is spent by then
    assert 1 <= len(silent_endpoint.connections) <= 2


def test_a_refused_connection_fails_on_the_first_call(run_module):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_url = "http://127.0.0.1:%d" % sock.getsockname()[1]
    result = run_module("aws_network", dict(NETWORK, endpoint_url=closed_url))
    assert result["failed"] is True
    assert "cannot connect to %s" % closed_url in result["msg"]
    assert result["api_calls"] == {"ec2.DescribeVpcs": 1}
    assert "api_retries" not in result


def test_bad_credentials_fail_on_the_first_call_without_retries(run_module):
    body = (b"<Response><Errors><Error><Code>AuthFailure</Code><Message>AWS was not able to validate "
            b"the provided access credentials</Message></Error></Errors><RequestID>x</RequestID></Response>")
    endpoint = canned(401, "text/xml", body)
    try:
        result = run_module("aws_network", dict(NETWORK, endpoint_url=endpoint.url))
    finally:
        endpoint.close()
    assert result["failed"] is True
    assert result["error"]["code"] == "AuthFailure"
    assert endpoint.requests == 1
    assert result["api_calls"] == {"ec2.DescribeVpcs": 1} and "api_retries" not in result
    assert endpoint.url in result["msg"] and "region us-east-1" in result["msg"]


def test_an_invalid_client_token_fails_on_the_first_call(run_module):
    # The JSON protocol (Resource Groups Tagging API) answering as AWS does for an unknown key
    body = b'{"__type": "UnrecognizedClientException", "message": "The security token included in the request is invalid."}'
    endpoint = canned(400, "application/x-amz-json-1.1", body)
    try:
        result = run_module("aws_deployment_info", dict(deployment=DEPLOYMENT, endpoint_url=endpoint.url))
    finally:
        endpoint.close()
    assert result["failed"] is True
    assert result["error"]["code"] == "UnrecognizedClientException"
    assert endpoint.requests == 1 and "api_retries" not in result


def test_an_html_error_page_is_reported_in_words(run_module):
    page = (b"<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n"
            b"<p>The requested URL was not found on the server.</p>\n")
    endpoint = canned(404, "text/html; charset=utf-8", page)
    try:
        result = run_module("aws_network", dict(NETWORK, endpoint_url=endpoint.url))
    finally:
        endpoint.close()
    assert result["failed"] is True
    assert "<" not in result["msg"]
    assert 'HTTP 404' in result["msg"] and '"404 Not Found"' in result["msg"]
    assert endpoint.url in result["msg"]
    assert endpoint.requests == 1  # a 4xx is not retried


def test_an_html_5xx_page_is_retried(run_module):
    # Two 502 pages from a proxy, then the answer: retried as any 5xx (check mode: reads only)
    page = b"<!doctype html>\n<html><title>502 Bad Gateway</title><body>Bad Gateway</body></html>"
    no_vpcs = (b'<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
               b'<requestId>canned</requestId><vpcSet/></DescribeVpcsResponse>')
    # then the account the plan names (check mode before the VPC exists: one GetCallerIdentity)
    caller = (b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
              b'<Arn>arn:aws:iam::123456789012:user/canned</Arn><UserId>AIDCANNED</UserId>'
              b'<Account>123456789012</Account></GetCallerIdentityResult>'
              b'<ResponseMetadata><RequestId>canned</RequestId></ResponseMetadata></GetCallerIdentityResponse>')
    endpoint = CannedEndpoint((502, "text/html", page), (502, "text/html", page), (200, "text/xml", no_vpcs),
                              (200, "text/xml", caller))
    try:
        result = run_module("aws_network", dict(NETWORK, endpoint_url=endpoint.url), check_mode=True)
    finally:
        endpoint.close()
    assert result.get("failed") is not True, result
    assert result["changed"] is True
    assert result["api_retries"] == {"ec2.DescribeVpcs": 2}
    assert result["api_calls"]["ec2.DescribeVpcs"] == 1
    assert result["account_id"] == "123456789012"


def test_an_unknown_region_fails_before_any_call(run_module, aws_env, monkeypatch):
    result = run_module("aws_network", dict(NETWORK, region="eu-wst-1"))
    assert result["failed"] is True
    assert "Unknown AWS region 'eu-wst-1'" in result["msg"] and "eu-west-1" in result["msg"]
    assert result["api_calls"] == {}


def test_no_region_at_all_fails_before_any_call(run_module, monkeypatch):
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    result = run_module("aws_network", NETWORK)
    assert result["failed"] is True
    assert "No AWS region" in result["msg"] and "AWS_DEFAULT_REGION" in result["msg"]
    assert result["api_calls"] == {}


# --- where the objects land --------------------------------------------------------------------------

def test_aws_default_region_alone_decides_the_region(run_module, aws_env, monkeypatch):
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    result = run_module("aws_network", NETWORK)
    assert result["changed"] is True, result
    assert [v["VpcId"] for v in vpcs_named("eu-west-1", "conn", aws_env)] == [result["vpc_id"]]
    assert vpcs_named("us-east-1", "conn", aws_env) == []


def test_aws_default_region_alone_decides_the_region_in_a_playbook(playbook, aws_env, monkeypatch):
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    task = {"name": "network", "streamfleet.cluster.aws_network": dict(NETWORK, name="conn-pb")}
    results = playbook.run([task])
    assert results[0]["changed"] is True
    assert [v["VpcId"] for v in vpcs_named("eu-west-1", "conn-pb", aws_env)] == [results[0]["vpc_id"]]
    assert vpcs_named("us-east-1", "conn-pb", aws_env) == []


def test_a_profile_from_the_aws_files_gives_credentials_and_region(run_module, aws_env, monkeypatch, tmp_path):
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text("[default]\nregion = us-west-2\n\n[profile streaming]\nregion = eu-west-1\n")
    credentials.write_text("[streaming]\naws_access_key_id = profilekey\naws_secret_access_key = profilesecret\n")
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    result = run_module("aws_network", dict(NETWORK, profile="streaming"))
    assert result["changed"] is True, result  # no credentials anywhere but in the profile
    assert [v["VpcId"] for v in vpcs_named("eu-west-1", "conn", aws_env)] == [result["vpc_id"]]

    # AWS_PROFILE does the same as the option
    monkeypatch.setenv("AWS_PROFILE", "streaming")
    assert run_module("aws_network", NETWORK)["changed"] is False


def test_a_profile_that_does_not_exist_is_named(run_module, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    result = run_module("aws_network", dict(NETWORK, profile="nosuchprofile"))
    assert result["failed"] is True
    assert "nosuchprofile" in result["msg"]


def test_the_amazon_aws_aliases(run_module, aws_env, monkeypatch):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name)
    args = dict(NETWORK, aws_region="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing",
                aws_session_token="token", aws_endpoint_url=aws_env)
    result = run_module("aws_network", args)
    assert result["changed"] is True, result
    assert [v["VpcId"] for v in vpcs_named("eu-west-1", "conn", aws_env)] == [result["vpc_id"]]
    for alias in ("security_token", "aws_security_token"):
        again = dict(args)
        again.pop("aws_session_token")
        again[alias] = "token"
        assert run_module("aws_network", again)["changed"] is False


def test_a_profile_and_keys_together_are_refused(run_module):
    result = run_module("aws_network", dict(NETWORK, profile="streaming"))  # keys from the environment
    assert result["failed"] is True
    assert "profile" in result["msg"]
    assert result["api_calls"] == {}
