"""Secrets read at boot (``boot/secrets.py``): SSM Parameter Store and Secrets Manager.

Against the IMDSv2 stand-in (instance-profile credentials, token flow) and the secret-store
stand-in on 127.0.0.1, which answers in the shapes of the API references:
https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html and
https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
(the stand-in's shapes are checked against botocore's own parser below).
"""
import calendar
import json
import time

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from ansible_collections.streamfleet.cluster.plugins.module_utils.boot import secrets
from ansible_collections.streamfleet.cluster.plugins.module_utils.boot.metadata import Credentials, metadata_source
from ansible_collections.streamfleet.cluster.plugins.module_utils.drain.sigv4 import sign_request
from standins import imds_standin, secretstore_standin

# Every character class a password may hold: URL delimiters, percent, quotes, space, non-ASCII.
PASSWORD = "p@:/?#[]%&+ s\"'\\\u00fc=;,"
PARAMETER = "/streamfleet/ams-test/antmedia/mongodb-app-password"


class FakeTime(object):
    """A clock and a sleep that advances it: backoff without waiting."""

    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def imds():
    running = imds_standin.start({"placement/region": "eu-west-1", "local-ipv4": "10.0.1.5"}, role="sf-mongodb")
    yield running
    running.stop()


@pytest.fixture
def store():
    running = secretstore_standin.start(
        parameters={PARAMETER: {"Type": "SecureString", "Value": PASSWORD}, "/plain": {"Type": "String", "Value": "x"}},
        secrets={"ams/mongodb": PASSWORD, "ams/json": json.dumps({"password": PASSWORD, "user": "antmedia"}),
                 "ams/empty-key": json.dumps({"password": ""})})
    yield running
    running.stop()


def reader(imds, store, reference, fake=None, **kwargs):
    source = metadata_source("aws", endpoint=imds.endpoint, retries=1, retry_delay=0)
    fake = fake or FakeTime()
    return secrets.secret_store(reference, source, endpoint=store.endpoint, sleep=fake.sleep, clock=fake.clock, **kwargs)


def test_ssm_securestring_with_decryption_and_imdsv2_credentials(imds, store):
    assert reader(imds, store, "ssm:" + PARAMETER).read() == PASSWORD
    (call,) = store.calls
    assert call["target"] == "AmazonSSM.GetParameter" and call["name"] == PARAMETER
    assert call["with_decryption"] is True
    assert call["key_id"] == "ASIASTANDIN0001"  # the instance profile's key, from IMDS
    # IMDSv2: a token first, then every metadata read carries it.
    assert imds.calls[0][:2] == ("PUT", "/latest/api/token")
    assert [c[1] for c in imds.calls[1:]] == ["/latest/meta-data/placement/region",
                                              "/latest/meta-data/iam/security-credentials/",
                                              "/latest/meta-data/iam/security-credentials/sf-mongodb"]
    assert all(sent_token for _method, _path, sent_token in imds.calls[1:])


def test_secrets_manager_string_and_json_key(imds, store):
    assert reader(imds, store, "secretsmanager:ams/mongodb").read() == PASSWORD
    assert reader(imds, store, "secretsmanager:ams/json#password").read() == PASSWORD
    assert [c["target"] for c in store.calls] == ["secretsmanager.GetSecretValue"] * 2
    assert [c["name"] for c in store.calls] == ["ams/mongodb", "ams/json"]


def test_stand_in_answers_botocore_with_the_documented_shapes(store):
    """botocore parses the stand-in's answers and its signatures pass the stand-in's checks."""
    keys = dict(region_name="eu-west-1", endpoint_url=store.endpoint, aws_access_key_id="ASIABOTO",
                aws_secret_access_key="secret", aws_session_token="session")
    parameter = boto3.client("ssm", **keys).get_parameter(Name=PARAMETER, WithDecryption=True)["Parameter"]
    assert (parameter["Name"], parameter["Type"], parameter["Value"], parameter["Version"]) == (
        PARAMETER, "SecureString", PASSWORD, 1)
    ciphertext = boto3.client("ssm", **keys).get_parameter(Name=PARAMETER)["Parameter"]["Value"]
    assert ciphertext != PASSWORD
    secret = boto3.client("secretsmanager", **keys).get_secret_value(SecretId="ams/mongodb")
    assert secret["SecretString"] == PASSWORD and secret["VersionStages"] == ["AWSCURRENT"]
    assert all(c["key_id"] == "ASIABOTO" and c["status"] == 200 for c in store.calls)


def test_signature_of_a_json_request_equals_botocores():
    body = json.dumps({"Name": PARAMETER, "WithDecryption": True}).encode()
    url = "https://ssm.eu-west-1.amazonaws.com/"
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonSSM.GetParameter"}
    request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
    SigV4Auth(BotoCredentials("ASIAX", "secret", "tok"), "ssm", "eu-west-1").add_auth(request)
    # botocore signs at the current time: sign ours at the very same second.
    now = calendar.timegm(time.strptime(request.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
    ours = sign_request("POST", url, body, "eu-west-1", "ssm", Credentials("ASIAX", "secret", "tok", 0),
                        now=now, headers=headers)
    assert ours["Authorization"] == request.headers["Authorization"]


def test_throttling_and_server_errors_are_retried_with_backoff(imds, store):
    store.state.fail_next(400, "ThrottlingException")
    store.state.fail_next(503, "ServiceUnavailable")
    store.state.fail_next(400, "AccessDeniedException")  # IAM settles within seconds of a launch
    fake = FakeTime()
    assert reader(imds, store, "ssm:" + PARAMETER, fake=fake).read() == PASSWORD
    errors = [c.get("error") for c in store.calls]
    assert errors == ["ThrottlingException", "ServiceUnavailable", "AccessDeniedException", None]
    assert fake.slept == [1.0, 2.0, 4.0]


def test_not_found_fails_at_once_naming_the_parameter(imds, store):
    fake = FakeTime()
    with pytest.raises(secrets.SecretError) as caught:
        reader(imds, store, "ssm:/streamfleet/missing", fake=fake).read()
    assert "ParameterNotFound" in str(caught.value) and "/streamfleet/missing" in str(caught.value)
    assert len(store.calls) == 1 and fake.slept == []


def test_gives_up_at_the_deadline(imds, store):
    store.state.fail_next(500, "InternalServerError", times=100)
    fake = FakeTime()
    with pytest.raises(secrets.SecretError) as caught:
        reader(imds, store, "ssm:" + PARAMETER, fake=fake, deadline_seconds=30).read()
    assert "InternalServerError" in str(caught.value) and "gave up" in str(caught.value)
    assert sum(fake.slept) == pytest.approx(30)
    assert max(fake.slept) <= secrets.MAX_BACKOFF_SECONDS


def test_unreachable_store_and_missing_credentials_are_retried_then_reported(imds):
    fake = FakeTime()
    source = metadata_source("aws", endpoint=imds.endpoint, retries=1, retry_delay=0)
    imds.state.role = None  # an instance without a profile (yet)
    store = secrets.secret_store("ssm:/x", source, endpoint="http://127.0.0.1:9", sleep=fake.sleep,
                                 clock=fake.clock, deadline_seconds=5)
    with pytest.raises(secrets.SecretError) as caught:
        store.read()
    assert "no instance profile credentials" in str(caught.value)
    assert fake.slept  # retried


def test_no_secret_in_any_message(imds, store):
    for reference in ("secretsmanager:ams/json#missing", "secretsmanager:ams/empty-key#password",
                      "secretsmanager:ams/mongodb#password"):
        with pytest.raises(secrets.SecretError) as caught:
            reader(imds, store, reference).read()
        assert PASSWORD not in str(caught.value) and json.dumps(PASSWORD) not in str(caught.value)


@pytest.mark.parametrize("reference", ["", "ssm", "vault:/x", "ssm:", "ssm:/a b", "ssm:/x#key", "secretsmanager:x#"])
def test_malformed_references_are_refused(reference):
    with pytest.raises(secrets.SecretError):
        secrets.parse_reference(reference)


def test_a_store_needs_its_own_clouds_metadata(imds):
    alicloud = metadata_source("alicloud", endpoint=imds.endpoint)
    with pytest.raises(secrets.SecretError) as caught:
        secrets.secret_store("ssm:/x", alicloud)
    assert "needs aws instance metadata" in str(caught.value)


def test_an_adapter_plugs_in_by_subclassing(monkeypatch, imds):
    """The interface an Alibaba store implements: store, cloud, _read_once; the base retries."""
    attempts = []

    class Recorder(secrets.SecretStore):
        store = "test-store"
        cloud = "aws"

        def _read_once(self):
            attempts.append(self.name)
            if len(attempts) < 3:
                raise secrets.Retry("not yet")
            return "value-of-" + self.name

    monkeypatch.setitem(secrets.STORES, "test-store", Recorder)
    fake = FakeTime()
    source = metadata_source("aws", endpoint=imds.endpoint)
    assert secrets.read_secret("test-store:abc", source, sleep=fake.sleep, clock=fake.clock) == "value-of-abc"
    assert attempts == ["abc"] * 3 and fake.slept == [1.0, 2.0]
