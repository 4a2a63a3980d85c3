"""Per-cloud metadata adapters of the boot library, against the stand-ins on 127.0.0.1."""
import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.boot.metadata import (
    SOURCES,
    MetadataError,
    metadata_source,
)
from standins import alicloud_metadata_standin, imds_standin

AWS_METADATA = {"local-ipv4": "10.0.3.7", "instance-id": "i-0123456789abcdef0", "placement/region": "eu-west-1"}
ALI_METADATA = {"private-ipv4": "172.16.0.7", "instance-id": "i-bp1abcdefg", "region-id": "cn-hangzhou"}


@pytest.fixture
def imds():
    running = imds_standin.start(AWS_METADATA)
    yield running
    running.stop()


@pytest.fixture(params=[False, True], ids=["normal", "hardened"])
def ecs(request):
    running = alicloud_metadata_standin.start(ALI_METADATA, hardened=request.param)
    yield running
    running.stop()


def no_sleep(seconds):
    no_sleep.calls.append(seconds)


def source(name, endpoint, **kwargs):
    no_sleep.calls = []
    return metadata_source(name, endpoint=endpoint, retries=kwargs.pop("retries", 2), retry_delay=0.5,
                           sleep=no_sleep, timeout=2, **kwargs)


def test_sources_by_name():
    assert SOURCES == ("alicloud", "aws")
    with pytest.raises(MetadataError, match="unknown metadata source 'gcp'"):
        metadata_source("gcp")
    assert metadata_source("aws").endpoint == "http://169.254.169.254"
    assert metadata_source("alicloud").endpoint == "http://100.100.100.200"


def test_aws_token_first_then_values(imds):
    aws = source("aws", imds.endpoint)
    assert aws.get("local-ipv4") == "10.0.3.7"
    assert aws.get("instance-id") == "i-0123456789abcdef0"
    assert aws.get("region") == "eu-west-1"
    # One token for the whole run, asked for first; every GET carries it (IMDSv2 only).
    assert imds.calls[0] == ("PUT", "/latest/api/token", False)
    assert [c for c in imds.calls if c[0] == "PUT"] == [imds.calls[0]]
    assert [c[1] for c in imds.calls[1:]] == [
        "/latest/meta-data/local-ipv4", "/latest/meta-data/instance-id", "/latest/meta-data/placement/region"]
    assert all(c[2] for c in imds.calls[1:])


def test_aws_missing_value_fails_after_the_retries(imds):
    aws = source("aws", imds.endpoint, retries=3)
    with pytest.raises(MetadataError, match=r"aws metadata public-ipv4 at http://127\.0\.0\.1:\d+: HTTP 404 after 3"):
        aws.get("public-ipv4")
    assert no_sleep.calls == [0.5, 0.5]


def test_unreachable_service_fails_with_the_cause():
    aws = source("aws", "http://127.0.0.1:9")
    with pytest.raises(MetadataError, match="after 2 attempt"):
        aws.get("local-ipv4")


def test_unknown_name_is_refused_before_any_request(imds):
    with pytest.raises(MetadataError, match="no value named 'user-data'"):
        source("aws", imds.endpoint).get("user-data")
    assert imds.calls == []


def test_a_proxy_from_the_environment_is_never_used(imds, monkeypatch):
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    assert source("aws", imds.endpoint).get("local-ipv4") == "10.0.3.7"


def test_alicloud_names_map_to_ecs_items(ecs):
    ali = source("alicloud", ecs.endpoint)
    assert ali.get("local-ipv4") == "172.16.0.7"
    assert ali.get("instance-id") == "i-bp1abcdefg"
    assert ali.get("region") == "cn-hangzhou"
    assert ecs.calls[0][:2] == ("PUT", "/latest/api/token")
    assert ("GET", "/latest/meta-data/private-ipv4", True) in ecs.calls


def test_alicloud_falls_back_to_normal_mode_without_a_token_endpoint():
    class NoToken(alicloud_metadata_standin.make_handler(ALI_METADATA, "t", hardened=False, quiet=True)):
        def do_PUT(self):
            self._send(404)

    import http.server
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NoToken)
    running = alicloud_metadata_standin.Running(server, [])
    try:
        ali = source("alicloud", running.endpoint)
        assert ali.get("local-ipv4") == "172.16.0.7"
    finally:
        running.stop()


def test_aws_adapter_does_not_read_alicloud_metadata(ecs):
    # The AWS adapter never falls back to an unauthenticated read.
    with pytest.raises(MetadataError):
        source("aws", ecs.endpoint).get("local-ipv4")
