"""The benchmark's counting proxy (benchmarks/proxy.py): how requests are classified and counted."""
import importlib.util
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest

PROXY_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "proxy.py"
_spec = importlib.util.spec_from_file_location("streamfleet_benchmark_proxy", PROXY_PATH)
proxy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(proxy)

SIGV4 = ("AWS4-HMAC-SHA256 Credential=testing/20261129/us-east-1/%s/aws4_request, "
         "SignedHeaders=host;x-amz-date, Signature=abc")


def headers(service, **extra):
    out = {"Authorization": SIGV4 % service}
    out.update(extra)
    return out


# ---------------------------------------------------------------------------------------------
# Pure classification

def test_query_api_action_from_the_form_body():
    body = b"Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=cidr"
    form = headers("ec2", **{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    assert proxy.classify("POST", "/", form, body) == ("ec2", "DescribeVpcs")


def test_query_api_action_from_the_query_string():
    assert proxy.classify("GET", "/?Action=DescribeAutoScalingGroups&Version=2011-01-01",
                          headers("autoscaling")) == ("autoscaling", "DescribeAutoScalingGroups")


def test_json_api_action_from_the_target_header():
    json_headers = headers("logs", **{
        "X-Amz-Target": "Logs_20140328.DescribeLogGroups", "Content-Type": "application/x-amz-json-1.1"})
    assert proxy.classify("POST", "/", json_headers, b"{}") == ("logs", "DescribeLogGroups")


def test_rest_api_action_is_method_and_path_with_ids_replaced():
    service, action = proxy.classify("POST", "/2013-04-01/hostedzone/Z0123456789ABCDEF/rrset/",
                                     headers("route53"), b"<xml/>")
    assert (service, action) == ("route53", "POST /2013-04-01/hostedzone/{id}/rrset")
    assert proxy.classify("GET", "/2013-04-01/hostedzone", headers("route53"))[1] == "GET /2013-04-01/hostedzone"


def test_service_falls_back_to_the_host_name_without_a_signature():
    assert proxy.service_of({}, host="elasticloadbalancing.us-east-1.amazonaws.com") == "elasticloadbalancing"
    assert proxy.service_of({}, host="127.0.0.1:5000") == "unknown"


def test_form_body_without_action_is_a_rest_call():
    action = proxy.action_of("POST", "/bucket/key", {"Content-Type": "application/x-www-form-urlencoded"}, b"a=b")
    assert action == "POST /bucket/key"


# ---------------------------------------------------------------------------------------------
# Through the proxy with boto3 clients and a stub upstream

class StubUpstream:
    """Answers every request with an empty but well-formed body for its protocol."""

    def __init__(self):
        self.seen = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                stub.seen.append((self.command, self.path, body))
                if self.headers.get("X-Amz-Target"):
                    payload, ctype = b"{}", "application/x-amz-json-1.1"
                else:
                    # query APIs wrap the answer in <ActionResponse><ActionResult>
                    action = proxy.action_of(self.command, self.path, self.headers, body)
                    payload = ("<{0}Response><{0}Result></{0}Result></{0}Response>".format(action)).encode()
                    ctype = "text/xml"
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def counting_proxy():
    upstream = StubUpstream()
    counter = proxy.CountingProxy(upstream.url).start()
    yield counter, upstream
    counter.close()
    upstream.close()


def client(service, url):
    return boto3.client(service, region_name="us-east-1", endpoint_url=url,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def test_boto3_calls_are_forwarded_and_counted_by_service_and_action(counting_proxy):
    counter, upstream = counting_proxy
    ec2 = client("ec2", counter.url)
    ec2.describe_vpcs()
    ec2.describe_vpcs()
    client("autoscaling", counter.url).describe_auto_scaling_groups()
    client("logs", counter.url).describe_log_groups()
    counts = counter.take()
    assert counts == {("ec2", "DescribeVpcs"): 2, ("autoscaling", "DescribeAutoScalingGroups"): 1,
                      ("logs", "DescribeLogGroups"): 1}
    # forwarded unchanged, body included
    assert len(upstream.seen) == 4
    assert b"Action=DescribeVpcs" in upstream.seen[0][2]
    # take() starts a new period; events carry the time of each request
    assert counter.take() == {}
    events = counter.take_events()
    assert [key for _when, key in events][-1] == ("logs", "DescribeLogGroups")
    assert all(isinstance(when, float) for when, _key in events)
    assert counter.take_events() == []


def test_elbv2_is_counted_under_its_signing_name(counting_proxy):
    counter, _upstream = counting_proxy
    client("elbv2", counter.url).describe_load_balancers()
    assert counter.take() == {("elasticloadbalancing", "DescribeLoadBalancers"): 1}
