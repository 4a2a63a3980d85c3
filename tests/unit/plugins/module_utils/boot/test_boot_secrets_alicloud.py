"""The Alibaba Cloud secret store of the boot code (``boot/secrets_alicloud.py``): OOS GetSecretParameter.

Against the ECS metadata stand-in (RAM role STS credentials at ``ram/security-credentials/``)
and the OOS stand-in on 127.0.0.1, which checks the RPC signature and answers in the shape of
https://help.aliyun.com/zh/oos/developer-reference/api-oos-2019-06-01-getsecretparameter.
"""
import json
import time

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.boot import secrets, secrets_alicloud
from ansible_collections.streamfleet.cluster.plugins.module_utils.boot.metadata import metadata_source
from standins import alicloud_metadata_standin, alicloud_oos_standin

PASSWORD = "p@:/?#[]%&+ s\"'\\\u00fc=;,"
NAME = "antmedia-example-mongodb-app"
ROLE = "antmedia-example-nodes"
STS = {"AccessKeyId": "STS.standinkey0001", "AccessKeySecret": "standin-sts-secret/+=",
       "SecurityToken": "standin-sts-token+/=", "Expiration": "2099-01-01T00:00:00Z",
       "LastUpdated": "2026-12-07T10:00:00Z", "Code": "Success"}


class FakeTime(object):
    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def ecs_metadata(with_role=True, document=None):
    items = {"region-id": "cn-hangzhou", "private-ipv4": "192.168.1.7"}
    if with_role:
        items["ram/security-credentials/"] = ROLE
        items["ram/security-credentials/" + ROLE] = json.dumps(document or STS)
    return alicloud_metadata_standin.start(items)


@pytest.fixture
def oos():
    running = alicloud_oos_standin.start({NAME: PASSWORD}, STS["AccessKeyId"], STS["AccessKeySecret"],
                                         STS["SecurityToken"])
    yield running
    running.stop()


@pytest.fixture
def ecs():
    running = ecs_metadata()
    yield running
    running.stop()


def source(running):
    return metadata_source("alicloud", endpoint=running.endpoint, retries=1, retry_delay=0)


def test_reads_the_secret_parameter_with_the_ram_role(oos, ecs):
    value = secrets.read_secret("alicloud-oos:" + NAME, source(ecs), endpoint=oos.endpoint)
    assert value == PASSWORD
    assert oos.calls == [("GET", "GetSecretParameter", NAME)]
    paths = [call[1] for call in ecs.calls if call[0] == "GET"]
    assert "/latest/meta-data/ram/security-credentials/" + ROLE in paths
    assert "/latest/meta-data/region-id" in paths


def test_signature_matches_the_documented_example_shape():
    # Fixed inputs: the string to sign is METHOD&%2F&enc(sorted query), spaces as %20, ~ kept.
    params = {"Name": "a b~c*", "Action": "GetSecretParameter"}
    assert secrets_alicloud.string_to_sign("GET", params) == \
        "GET&%2F&Action%3DGetSecretParameter%26Name%3Da%2520b~c%252A"
    creds = secrets_alicloud.RamCredentials("id", "secret", "token", 0)
    query = secrets_alicloud.signed_query("GetSecretParameter", "2019-06-01", {"Name": "n"}, creds,
                                          now=0, nonce="fixed")
    assert "Timestamp=1970-01-01T00%3A00%3A00Z" in query and "SecurityToken=token" in query
    signed = dict(pair.split("=", 1) for pair in query.split("&"))
    assert signed["SignatureMethod"] == "HMAC-SHA1" and signed["SignatureVersion"] == "1.0"


def test_wrong_secret_key_is_refused_by_the_stand_in_then_gives_up(oos):
    bad = dict(STS, AccessKeySecret="not-the-secret")
    running = ecs_metadata(document=bad)
    fake = FakeTime()
    try:
        with pytest.raises(secrets.SecretError) as err:
            secrets.secret_store("alicloud-oos:" + NAME, source(running), endpoint=oos.endpoint,
                                 deadline_seconds=5, sleep=fake.sleep, clock=fake.clock).read()
    finally:
        running.stop()
    assert "SignatureDoesNotMatch" in str(err.value)
    assert "not-the-secret" not in str(err.value) and PASSWORD not in str(err.value)


def test_throttling_and_5xx_are_retried(oos, ecs):
    oos.state.fail_next((400, "Throttling.User"), (503, "ServiceUnavailable"))
    fake = FakeTime()
    value = secrets.secret_store("alicloud-oos:" + NAME, source(ecs), endpoint=oos.endpoint,
                                 sleep=fake.sleep, clock=fake.clock).read()
    assert value == PASSWORD and fake.slept == [1.0, 2.0]


def test_missing_parameter_fails_at_once(oos, ecs):
    fake = FakeTime()
    with pytest.raises(secrets.SecretError) as err:
        secrets.secret_store("alicloud-oos:no-such", source(ecs), endpoint=oos.endpoint,
                             sleep=fake.sleep, clock=fake.clock).read()
    assert "EntityNotExists.Parameter" in str(err.value) and fake.slept == []


def test_no_ram_role_is_retried_until_the_deadline(oos):
    running = ecs_metadata(with_role=False)
    fake = FakeTime()
    try:
        with pytest.raises(secrets.SecretError) as err:
            secrets.secret_store("alicloud-oos:" + NAME, source(running), endpoint=oos.endpoint,
                                 deadline_seconds=3, sleep=fake.sleep, clock=fake.clock).read()
    finally:
        running.stop()
    assert "no RAM role" in str(err.value) and oos.calls == []


def test_the_store_needs_alibaba_metadata(ecs):
    aws = metadata_source("aws", endpoint=ecs.endpoint, retries=1, retry_delay=0)
    with pytest.raises(secrets.SecretError, match="needs alicloud instance metadata"):
        secrets.secret_store("alicloud-oos:" + NAME, aws)
    with pytest.raises(secrets.SecretError, match="have no keys"):
        secrets.parse_reference("alicloud-oos:" + NAME + "#password")


def test_ram_role_as_the_molecule_hosts_serve_it():
    # The stand-in's own RAM role items (--ram-role/--ram-credentials): the listing names the
    # role, the document carries a fresh Expiration, meta-data/ lists the directory with "/".
    keys = {k: STS[k] for k in ("AccessKeyId", "AccessKeySecret", "SecurityToken")}
    items = {"region-id": "cn-hangzhou"}
    items.update(alicloud_metadata_standin.ram_role_items(ROLE, keys))
    running = alicloud_metadata_standin.start(items)
    try:
        meta = source(running)
        creds = secrets_alicloud.ram_role_credentials(meta)
        assert (creds.access_key_id, creds.access_key_secret, creds.security_token) == (
            STS["AccessKeyId"], STS["AccessKeySecret"], STS["SecurityToken"])
        assert creds.expiration > time.time() + 3600
        assert meta.read("").splitlines() == ["ram/", "region-id"]
        assert meta.read("ram/") == "security-credentials/"
        assert meta.read("nothing/", missing_ok=True) is None
    finally:
        running.stop()
