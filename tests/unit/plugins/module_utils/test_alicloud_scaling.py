"""module_utils/alicloud/scaling.py and rpc.py with a fake transport, and the module on top."""
import json

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.alicloud import common, rpc, scaling

SETTINGS = dict(access_key_id="unit-key-id", access_key_secret="unit-key-secret", region="cn-hangzhou", endpoint=None)


class FakeTransport:
    """Answers ESS and ECS calls from a list of instances; records every call."""

    def __init__(self, count=0, group="asg-one", fail=None):
        self.calls = []
        self.fail = list(fail or [])
        self.scaling = [{"InstanceId": "i-%04d" % n, "ScalingGroupId": group, "LifecycleState": "InService",
                         "HealthStatus": "Healthy", "CreationType": "AutoCreated", "ZoneId": "cn-hangzhou-h"}
                        for n in range(count)]

    def __call__(self, action, version, query):
        self.calls.append((action, version, dict(query)))
        if self.fail:
            raise self.fail.pop(0)
        number, size = int(query["PageNumber"]), int(query["PageSize"])
        if action == "DescribeScalingInstances":
            assert version == scaling.ESS_VERSION
            found = [s for s in self.scaling if s["ScalingGroupId"] == query["ScalingGroupId"]]
            return {"TotalCount": len(found), "PageNumber": number, "PageSize": size,
                    "ScalingInstances": {"ScalingInstance": found[(number - 1) * size:number * size]}}
        assert action == "DescribeInstances" and version == scaling.ECS_VERSION
        ids = json.loads(query["InstanceIds"])
        assert len(ids) <= 100
        found = [{"InstanceId": i, "Status": "Running",
                  "VpcAttributes": {"PrivateIpAddress": {"IpAddress": ["10.0.0.%d" % (n + 1)]}},
                  "PublicIpAddress": {"IpAddress": []}, "EipAddress": {"IpAddress": ""}}
                 for n, i in enumerate(ids) if i != "i-gone"]
        return {"TotalCount": len(found), "PageNumber": number, "PageSize": size,
                "Instances": {"Instance": found[(number - 1) * size:number * size]}}


def clients(transport, sleep=None):
    kwargs = dict(transport=transport, sleep=sleep or (lambda seconds: None))
    return (rpc.RpcClient(SETTINGS, scaling.ESS_VERSION, "ess.aliyuncs.com", **kwargs),
            rpc.RpcClient(SETTINGS, scaling.ECS_VERSION, "ecs.cn-hangzhou.aliyuncs.com", **kwargs))


class ApiFailure(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.data = {"Code": code, "Message": "said the API", "RequestId": "REQ-1"}


def test_reads_every_page_then_every_hundred_ids():
    fake = FakeTransport(count=120)
    ess, ecs = clients(fake)
    nodes, missing = scaling.scaling_group_nodes(ess, ecs, ["asg-one"], "InService", None, page_size=50)
    assert [n["instance_id"] for n in nodes] == ["i-%04d" % n for n in range(120)] and missing == []
    ess_calls = [q for a, _v, q in fake.calls if a == "DescribeScalingInstances"]
    assert [q["PageNumber"] for q in ess_calls] == [1, 2, 3]
    assert all(q["LifecycleState"] == "InService" and q["RegionId"] == "cn-hangzhou" for q in ess_calls)
    assert "HealthStatus" not in ess_calls[0]      # unset filters are not sent
    ecs_calls = [json.loads(q["InstanceIds"]) for a, _v, q in fake.calls if a == "DescribeInstances"]
    assert [len(ids) for ids in ecs_calls] == [100, 20]


def test_a_full_last_page_ends_on_the_total():
    fake = FakeTransport(count=4)
    ess, _ecs = clients(fake)
    assert len(scaling.scaling_instances(ess, "asg-one", page_size=2)) == 4
    assert len(fake.calls) == 2


def test_node_record_reads_the_documented_shapes_and_prefers_the_eip():
    record = scaling.node_record(
        {"ScalingGroupId": "asg-one", "InstanceId": "i-1", "LifecycleState": "InService", "HealthStatus": "Healthy"},
        {"Status": "Running", "ZoneId": "cn-hangzhou-i",
         "VpcAttributes": {"PrivateIpAddress": {"IpAddress": ["192.168.1.10"]}},
         "PublicIpAddress": {"IpAddress": ["47.0.0.1"]}, "EipAddress": {"IpAddress": "203.0.113.9"}})
    assert (record["private_ip"], record["public_ip"], record["eip"], record["public_address"], record["zone_id"]) == (
        "192.168.1.10", "47.0.0.1", "203.0.113.9", "203.0.113.9", "cn-hangzhou-i")
    bare = scaling.node_record({"InstanceId": "i-2"}, None)
    assert (bare["private_ip"], bare["public_address"], bare["status"]) == (None, None, None)
    # ESS 2022-02-22 answers a plain list; both read the same.
    assert scaling._entries([{"InstanceId": "i-1"}], "ScalingInstance") == [{"InstanceId": "i-1"}]
    assert scaling._entries({"ScalingInstance": {"InstanceId": "i-1"}}, "ScalingInstance") == [{"InstanceId": "i-1"}]


def test_instances_ecs_no_longer_knows_are_named():
    fake = FakeTransport(count=1)
    fake.scaling.append(dict(fake.scaling[0], InstanceId="i-gone"))
    nodes, missing = scaling.scaling_group_nodes(*clients(fake), group_ids=["asg-one"])
    assert missing == ["i-gone"] and nodes[1]["private_ip"] is None


def test_throttling_is_tried_again_other_errors_are_not():
    sleeps = []
    fake = FakeTransport(count=1, fail=[ApiFailure("Throttling.User"), ApiFailure("Throttling")])
    ess, _ecs = clients(fake, sleeps.append)
    assert len(scaling.scaling_instances(ess, "asg-one")) == 1 and sleeps == [2, 4]
    fake = FakeTransport(count=1, fail=[ApiFailure("Forbidden.RAM")])
    ess, _ecs = clients(fake)
    with pytest.raises(common.AlicloudError) as caught:
        scaling.scaling_instances(ess, "asg-one")
    assert len(fake.calls) == 1
    assert caught.value.as_dict()["code"] == "Forbidden.RAM" and caught.value.request_id == "REQ-1"
    assert "DescribeScalingInstances failed: Forbidden.RAM" in str(caught.value)


@pytest.mark.parametrize("region, ess, ecs", [
    ("cn-hangzhou", "ess.aliyuncs.com", "ecs.cn-hangzhou.aliyuncs.com"),
    ("cn-zhangjiakou", "ess.cn-zhangjiakou.aliyuncs.com", "ecs.cn-zhangjiakou.aliyuncs.com"),
])
def test_default_endpoints(region, ess, ecs):
    assert scaling.default_ess_endpoint(region) == ess and scaling.default_ecs_endpoint(region) == ecs


def test_query_values_are_text():
    assert [rpc.query_text(v) for v in (True, 2, "x")] == ["true", "2", "x"]


@pytest.fixture
def fake_sdk(monkeypatch):
    made = []

    def transport(settings, endpoint, connect_timeout, read_timeout):
        made.append(endpoint)
        return fake

    fake = FakeTransport(count=3, group="asg-origins")
    fake.made = made
    monkeypatch.setattr(rpc, "SdkTransport", transport)
    for name in ("ALIBABA_CLOUD_ESS_ENDPOINT", "ALIBABA_CLOUD_ECS_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    return fake


def test_module_returns_the_nodes_in_check_mode(run_module, fake_sdk):
    result = run_module("alicloud_scaling_instances_info", dict(
        scaling_group_ids=["asg-origins"], access_key_id="unit-key-id", access_key_secret="unit-key-secret", region="cn-shenzhen",
        lifecycle_state="any", page_size=2), check_mode=True)
    assert result["changed"] is False and len(result["instances"]) == 3, result
    assert result["instances"][0]["private_ip"] == "10.0.0.1"
    assert fake_sdk.made == ["ess.aliyuncs.com", "ecs.cn-shenzhen.aliyuncs.com"]
    assert all("LifecycleState" not in q for a, _v, q in fake_sdk.calls if a == "DescribeScalingInstances")


def test_module_reports_the_api_error_without_a_traceback(run_module, fake_sdk):
    fake_sdk.fail = [ApiFailure("InvalidAccessKeyId.NotFound")]
    result = run_module("alicloud_scaling_instances_info", dict(
        scaling_group_ids=["asg-origins"], access_key_id="unit-key-id", access_key_secret="unit-key-secret", region="cn-hangzhou"))
    assert result["failed"] is True and result["error"]["code"] == "InvalidAccessKeyId.NotFound"
    assert "Traceback" not in json.dumps(result) and result["instances"] == []
