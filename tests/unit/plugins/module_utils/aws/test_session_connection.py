"""Unit tests for how module_utils/aws/session.py connects: amazon.aws's options, aliases and
environment variables reach boto3; every client has timeouts; ``aws_config`` wins.

The module is built in-process with the arguments Ansible would send; boto3's
``Session.client`` is wrapped to record what it is given. No call leaves the process.
"""
import json

import boto3
import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws import session as aws_session
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.session import StreamfleetAWSModule


class Exited(Exception):
    def __init__(self, result):
        super().__init__(result.get("msg"))
        self.result = result


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID",
                 "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_SESSION_TOKEN",
                 "AWS_SECURITY_TOKEN", "AWS_URL", "AWS_ENDPOINT_URL", "AWS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def client_calls(monkeypatch):
    """What every boto3 ``Session.client`` call was given (and the session's profile)."""
    calls = []
    real = boto3.session.Session.client

    def spy(session, service, **kwargs):
        calls.append(dict(kwargs, service=service, profile=session.profile_name))
        return real(session, service, **kwargs)
    monkeypatch.setattr(boto3.session.Session, "client", spy)
    return calls


def module_with(capsys, **params):
    params.setdefault("_ansible_check_mode", False)
    with patch_module_args(params):
        try:
            return StreamfleetAWSModule({})
        except SystemExit:
            raise Exited(json.loads(capsys.readouterr().out))


def client_of(module, service="ec2"):
    try:
        return module.client(service)
    except SystemExit:
        raise Exited({})


def test_every_client_has_timeouts_and_a_single_botocore_attempt(capsys, client_calls):
    module = module_with(capsys, region="eu-west-1", access_key="a", secret_key="b")
    raw = client_of(module).raw
    assert raw.meta.config.connect_timeout == aws_session.CONNECT_TIMEOUT
    assert raw.meta.config.read_timeout == aws_session.READ_TIMEOUT
    assert raw.meta.config.retries["total_max_attempts"] == 1
    assert raw.meta.region_name == "eu-west-1"
    assert "streamfleet.cluster" in raw.meta.config.user_agent_extra


def test_aws_config_wins_over_the_defaults(capsys, client_calls):
    module = module_with(capsys, region="eu-west-1", access_key="a", secret_key="b",
                         aws_config=dict(read_timeout=120, max_pool_connections=3))
    raw = client_of(module).raw
    assert raw.meta.config.read_timeout == 120
    assert raw.meta.config.max_pool_connections == 3
    assert raw.meta.config.connect_timeout == aws_session.CONNECT_TIMEOUT


def test_one_session_for_all_clients(capsys, client_calls, monkeypatch):
    sessions = []
    real_init = boto3.session.Session.__init__

    def counting_init(self, *args, **kwargs):
        sessions.append(kwargs)
        real_init(self, *args, **kwargs)
    monkeypatch.setattr(boto3.session.Session, "__init__", counting_init)
    module = module_with(capsys, region="eu-west-1", access_key="a", secret_key="b")
    client_of(module, "ec2")
    client_of(module, "elbv2")
    client_of(module, "ec2")
    assert [c["service"] for c in client_calls] == ["ec2", "elbv2"]
    assert len(sessions) == 1


def test_ca_bundle_and_validate_certs_reach_boto3(capsys, client_calls, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("not read until a TLS connection is made\n")
    client_of(module_with(capsys, region="eu-west-1", access_key="a", secret_key="b", aws_ca_bundle=str(bundle)))
    client_of(module_with(capsys, region="eu-west-1", access_key="a", secret_key="b", validate_certs=False))
    client_of(module_with(capsys, region="eu-west-1", access_key="a", secret_key="b"))
    assert [c["verify"] for c in client_calls] == [str(bundle), False, True]


def test_aws_ca_bundle_from_the_environment(capsys, client_calls, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_CA_BUNDLE", str(tmp_path / "env-ca.pem"))
    client_of(module_with(capsys, region="eu-west-1", access_key="a", secret_key="b"))
    assert client_calls[0]["verify"] == str(tmp_path / "env-ca.pem")


@pytest.mark.parametrize("params, key, secret, token", [
    (dict(access_key="a", secret_key="s", session_token="t"), "a", "s", "t"),
    (dict(aws_access_key_id="a", aws_secret_access_key="s", aws_session_token="t"), "a", "s", "t"),
    (dict(aws_access_key="a", aws_secret_key="s", security_token="t"), "a", "s", "t"),
    (dict(aws_access_key_id="a", aws_secret_access_key="s", aws_security_token="t"), "a", "s", "t"),
])
def test_credential_aliases(capsys, client_calls, params, key, secret, token):
    client_of(module_with(capsys, region="eu-west-1", **params))
    call = client_calls[0]
    assert (call["aws_access_key_id"], call["aws_secret_access_key"], call["aws_session_token"]) == (key, secret, token)


@pytest.mark.parametrize("variables", [
    dict(AWS_ACCESS_KEY_ID="a", AWS_SECRET_ACCESS_KEY="s", AWS_SESSION_TOKEN="t"),
    dict(AWS_ACCESS_KEY="a", AWS_SECRET_KEY="s", AWS_SECURITY_TOKEN="t"),
])
def test_credential_variables(capsys, client_calls, monkeypatch, variables):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    client_of(module_with(capsys, region="eu-west-1"))
    call = client_calls[0]
    assert (call["aws_access_key_id"], call["aws_secret_access_key"], call["aws_session_token"]) == ("a", "s", "t")


@pytest.mark.parametrize("variables, params, region", [
    (dict(AWS_DEFAULT_REGION="eu-west-1"), {}, "eu-west-1"),
    (dict(AWS_REGION="eu-central-1", AWS_DEFAULT_REGION="eu-west-1"), {}, "eu-central-1"),
    (dict(AWS_DEFAULT_REGION="eu-west-1"), dict(region="ap-south-1"), "ap-south-1"),
    (dict(AWS_DEFAULT_REGION="eu-west-1"), dict(aws_region="sa-east-1"), "sa-east-1"),
])
def test_region_precedence(capsys, client_calls, monkeypatch, variables, params, region):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    module = module_with(capsys, access_key="a", secret_key="s", **params)
    assert client_of(module).raw.meta.region_name == region
    assert module.region == region


def test_the_profile_gives_region_and_credentials(capsys, client_calls, monkeypatch, tmp_path):
    (tmp_path / "config").write_text("[profile live]\nregion = eu-north-1\n")
    (tmp_path / "credentials").write_text("[live]\naws_access_key_id = pk\naws_secret_access_key = ps\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    raw = client_of(module_with(capsys, aws_profile="live")).raw
    assert client_calls[0]["profile"] == "live"
    assert raw.meta.region_name == "eu-north-1"
    assert raw._request_signer._credentials.access_key == "pk"


def test_endpoint_url_and_its_variable(capsys, client_calls, monkeypatch):
    client_of(module_with(capsys, region="eu-west-1", access_key="a", secret_key="s",
                          aws_endpoint_url="http://127.0.0.1:9"))
    monkeypatch.setenv("AWS_URL", "http://127.0.0.1:8")
    client_of(module_with(capsys, region="eu-west-1", access_key="a", secret_key="s"))
    assert [c["endpoint_url"] for c in client_calls] == ["http://127.0.0.1:9", "http://127.0.0.1:8"]


def test_an_unknown_region_is_refused_with_the_nearest_names(capsys, client_calls):
    params = dict(region="eu-wst-1", access_key="akey", secret_key="asecretkey", _ansible_check_mode=False)
    with patch_module_args(params):  # the module fails: it must still see its arguments
        module = StreamfleetAWSModule({})
        with pytest.raises(SystemExit):
            module.client("ec2")
    result = json.loads(capsys.readouterr().out)
    assert "Unknown AWS region 'eu-wst-1'" in result["msg"] and "did you mean eu-west-1" in result["msg"]
    assert client_calls == []
    assert result["api_calls"] == {}


def test_the_region_check_loads_no_service_model(capsys, client_calls, monkeypatch):
    # A module that makes only an Auto Scaling client loads no EC2 model to check its region
    # (issue 20: that load cost about 0.15 s of CPU in every such module run).
    import botocore.loaders
    loaded = []
    real = botocore.loaders.Loader.load_service_model

    def spy(loader, service_name, type_name, api_version=None):
        loaded.append(service_name)
        return real(loader, service_name, type_name, api_version)
    monkeypatch.setattr(botocore.loaders.Loader, "load_service_model", spy)
    client_of(module_with(capsys, region="ap-southeast-2", access_key="a", secret_key="b"), "autoscaling")
    assert "ec2" not in loaded and "autoscaling" in loaded


@pytest.mark.parametrize("region, known", [("eu-west-1", True), ("cn-northwest-1", True), ("us-gov-east-1", True),
                                           ("eu-wst-1", False)])
def test_the_region_check_without_botocore_endpoint_data(capsys, monkeypatch, region, known):
    # a botocore that has no endpoints.json: the regions of every partition's EC2 endpoints
    import botocore.loaders
    from botocore.exceptions import DataNotFoundError
    real = botocore.loaders.Loader.load_data

    def without_endpoints(loader, name):
        if name == "endpoints":
            raise DataNotFoundError(data_path=name)
        return real(loader, name)
    params = dict(region=region, access_key="a", secret_key="b", _ansible_check_mode=False)
    with patch_module_args(params):  # the module may fail: it must still see its arguments
        module = StreamfleetAWSModule({})
        monkeypatch.setattr(botocore.loaders.Loader, "load_data", without_endpoints)
        if known:
            module._check_region(region)
            return
        with pytest.raises(SystemExit):
            module._check_region(region)
    assert "did you mean eu-west-1" in json.loads(capsys.readouterr().out)["msg"]


def test_secrets_are_not_logged(capsys):
    module = module_with(capsys, region="eu-west-1", access_key="AKIAEXAMPLE", secret_key="topsecret",
                         session_token="tokensecret")
    assert {"topsecret", "tokensecret"} <= module._module.no_log_values
