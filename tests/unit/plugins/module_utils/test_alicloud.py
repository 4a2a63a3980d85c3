"""Unit tests of plugins/module_utils/alicloud.py (no network)."""
import json

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.alicloud import ros as alicloud


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in (alicloud.ENV_ACCESS_KEY_ID + alicloud.ENV_ACCESS_KEY_SECRET + alicloud.ENV_SECURITY_TOKEN
                 + alicloud.ENV_REGION + alicloud.ENV_PROFILE + alicloud.ENV_ENDPOINT):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))


def write_profile(tmp_path, profiles, current="default"):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"current": current, "profiles": profiles}))
    return str(path)


def test_module_options_win_over_environment(monkeypatch):
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret")
    monkeypatch.setenv("ALIBABA_CLOUD_REGION_ID", "cn-beijing")
    got = alicloud.resolve_settings(dict(access_key_id="opt-id", access_key_secret="opt-secret", region="cn-shanghai"))
    assert (got["access_key_id"], got["access_key_secret"], got["region"]) == ("opt-id", "opt-secret", "cn-shanghai")


@pytest.mark.parametrize("id_var,secret_var", [
    ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
    ("ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY"),
])
def test_environment_credentials(monkeypatch, id_var, secret_var):
    monkeypatch.setenv(id_var, "env-id")
    monkeypatch.setenv(secret_var, "env-secret")
    monkeypatch.setenv("ALICLOUD_REGION", "cn-hangzhou")
    got = alicloud.resolve_settings({})
    assert (got["access_key_id"], got["access_key_secret"], got["region"]) == ("env-id", "env-secret", "cn-hangzhou")


def test_profile_fills_what_is_missing(tmp_path):
    path = write_profile(tmp_path, [
        {"name": "default", "mode": "AK", "access_key_id": "d-id", "access_key_secret": "d-secret", "region_id": "cn-beijing"},
        {"name": "ops", "mode": "StsToken", "access_key_id": "o-id", "access_key_secret": "o-secret",
         "sts_token": "tok", "region_id": "cn-shenzhen"},
    ])
    got = alicloud.resolve_settings(dict(config_file=path))
    assert (got["access_key_id"], got["region"]) == ("d-id", "cn-beijing")
    got = alicloud.resolve_settings(dict(config_file=path, profile="ops", region="cn-hangzhou"))
    assert (got["access_key_id"], got["security_token"], got["region"]) == ("o-id", "tok", "cn-hangzhou")


def test_default_profile_file_under_home(tmp_path):
    (tmp_path / ".aliyun").mkdir()
    write_profile(tmp_path / ".aliyun", [{"name": "default", "access_key_id": "h-id", "access_key_secret": "h-s",
                                          "region_id": "cn-qingdao"}])
    assert alicloud.resolve_settings({})["access_key_id"] == "h-id"


def test_missing_credentials_and_profile_errors(tmp_path):
    with pytest.raises(alicloud.CredentialsError, match="no Alibaba Cloud credentials"):
        alicloud.resolve_settings(dict(region="cn-hangzhou"))
    with pytest.raises(alicloud.CredentialsError, match="no region"):
        alicloud.resolve_settings(dict(access_key_id="a", access_key_secret="b"))
    path = write_profile(tmp_path, [{"name": "default", "access_key_id": "a", "access_key_secret": "b"}])
    with pytest.raises(alicloud.CredentialsError, match="not found"):
        alicloud.resolve_settings(dict(config_file=path, profile="nope"))


@pytest.mark.parametrize("endpoint,expected", [
    (None, (None, "https")),
    ("ros.aliyuncs.com", ("ros.aliyuncs.com", "https")),
    ("https://ros.aliyuncs.com/", ("ros.aliyuncs.com", "https")),
    ("http://127.0.0.1:18080", ("127.0.0.1:18080", "http")),
])
def test_split_endpoint(endpoint, expected):
    assert alicloud.split_endpoint(endpoint) == expected


class FakeSdkError(Exception):
    def __init__(self):
        super().__init__("boom")
        self.code = "StackExists"
        self.message = "code: 409, exists request id: X"
        self.request_id = "None"
        self.status_code = 409
        self.data = {"Code": "StackExists", "Message": "The Stack (s) already exists.", "RequestId": "RID-1"}


def test_error_from_exception_prefers_response_body():
    error = alicloud.error_from_exception("CreateStack", FakeSdkError())
    assert error.as_dict() == dict(action="CreateStack", code="StackExists", message="The Stack (s) already exists.",
                                   request_id="RID-1", status_code=409)
    assert "request id RID-1" in error.describe()


def test_error_from_plain_exception():
    error = alicloud.error_from_exception("GetStack", ConnectionRefusedError("refused"))
    assert error.code == "ConnectionRefusedError" and "refused" in error.message and error.request_id is None


class FakeClient:
    def __init__(self, statuses):
        self.statuses = list(statuses)

    def get_stack(self, stack_id):
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return None if status is None else {"StackId": stack_id, "Status": status}


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_waiter_records_progress_and_returns_final_state():
    clock = Clock()
    waiter = alicloud.StackWaiter(FakeClient(["CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "CREATE_COMPLETE"]),
                                  timeout=60, interval=5, clock=clock, sleep=clock.sleep)
    assert waiter.wait("id")["Status"] == "CREATE_COMPLETE"
    assert waiter.progress == ["0s: CREATE_IN_PROGRESS", "10s: CREATE_COMPLETE"]


def test_waiter_times_out():
    clock = Clock()
    waiter = alicloud.StackWaiter(FakeClient(["UPDATE_IN_PROGRESS"]), timeout=20, interval=5,
                                  clock=clock, sleep=clock.sleep)
    with pytest.raises(TimeoutError, match="still UPDATE_IN_PROGRESS after 20s"):
        waiter.wait("id")
    assert clock.now == 20


def test_waiter_stack_gone():
    clock = Clock()
    waiter = alicloud.StackWaiter(FakeClient(["DELETE_IN_PROGRESS", None]), timeout=20, interval=1,
                                  clock=clock, sleep=clock.sleep)
    assert waiter.wait("id", allow_missing=True) is None
    with pytest.raises(alicloud.AlicloudError, match="StackNotFound"):
        alicloud.StackWaiter(FakeClient([None]), timeout=5).wait("id")


@pytest.mark.parametrize("status,in_progress,failed", [
    ("CREATE_IN_PROGRESS", True, False), ("CREATE_COMPLETE", False, False), ("CREATE_FAILED", False, True),
    ("ROLLBACK_COMPLETE", False, True), ("UPDATE_ROLLBACK_COMPLETE", False, True), ("DELETE_COMPLETE", False, False),
])
def test_status_classes(status, in_progress, failed):
    assert alicloud.is_in_progress(status) is in_progress
    assert alicloud.is_failed(status) is failed


def test_client_retries_throttling_then_reports(monkeypatch):
    settings = dict(access_key_id="a", access_key_secret="b", region="cn-hangzhou", endpoint="http://127.0.0.1:9")
    sleeps = []
    client = alicloud.RosClient(settings, retries=2, sleep=sleeps.append)
    calls = []

    def throttled(request):
        calls.append(request)
        err = FakeSdkError()
        err.data = {"Code": "Throttling.User", "Message": "slow down", "RequestId": "R"}
        raise err

    monkeypatch.setattr(client._client, "get_stack", throttled)
    with pytest.raises(alicloud.AlicloudError, match="Throttling.User"):
        client.get_stack("sid")
    assert len(calls) == 3 and sleeps == [2, 4]
