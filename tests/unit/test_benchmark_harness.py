"""The benchmark harness (benchmarks/): proxy options for non-AWS stand-ins, the emulator fix,
how each topology's sides are run, and how targets are judged."""
import importlib.util
import json
import subprocess
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

TOP = Path(__file__).resolve().parents[2]
BENCHMARKS = TOP / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))


def _load(name):
    spec = importlib.util.spec_from_file_location("streamfleet_benchmark_" + name, BENCHMARKS / (name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


proxy = _load("proxy")
run = _load("run")
topologies = _load("topologies")
hosts = _load("hosts")


class RecordingUpstream:
    """Answers 200 {} and keeps each request's method, path, headers and body."""

    def __init__(self):
        self.seen = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                stub.seen.append(dict(method=self.command, path=self.path, headers=dict(self.headers),
                                      body=self.rfile.read(length) if length else b""))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_PUT = do_DELETE = do_POST

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def upstream():
    stub = RecordingUpstream()
    yield stub
    stub.close()


def post(url, path, headers, body):
    request = urllib.request.Request(url + path, data=body, method="POST", headers=headers)
    return urllib.request.urlopen(request, timeout=10).read()


# ---------------------------------------------------------------------------------------------
# Proxy: Alibaba ROS and the Stream Manager API

def test_alibaba_action_header_names_the_operation():
    assert proxy.action_of("POST", "/?RegionId=cn-hangzhou", {"x-acs-action": "CreateStack"}, b"a=b") == "CreateStack"


def test_ros_requests_keep_their_host_header_and_count_under_the_given_service(upstream):
    counter = proxy.CountingProxy(upstream.url, service="ros", preserve_host=True).start()
    try:
        post(counter.url, "/?RegionId=cn-hangzhou", {"x-acs-action": "GetStack", "Content-Type":
                                                     "application/x-www-form-urlencoded"}, b"StackId=s-1")
    finally:
        counter.close()
    assert counter.take() == {("ros", "GetStack"): 1}
    seen = upstream.seen[0]
    # the ACS3 signature covers Host: it must arrive as the client signed it (the proxy's address)
    assert seen["headers"]["Host"] == counter.url.split("//", 1)[1]
    assert seen["body"] == b"StackId=s-1" and seen["path"] == "/?RegionId=cn-hangzhou"


def test_without_preserve_host_the_upstream_sees_its_own_host(upstream):
    counter = proxy.CountingProxy(upstream.url, service="streammanager").start()
    try:
        request = urllib.request.Request(
            counter.url + "/streammanager/api/4.0/admin/nodegroup/nodegroup-1/node?accessToken=t")
        urllib.request.urlopen(request, timeout=10).read()
    finally:
        counter.close()
    # names with a digit count as ids, so every node group is one operation
    assert counter.take() == {("streammanager", "GET /streammanager/api/4.0/admin/nodegroup/{id}/node"): 1}
    assert upstream.seen[0]["headers"]["Host"] == upstream.url.split("//", 1)[1]


# ---------------------------------------------------------------------------------------------
# The emulator fix (benchmarks/moto_server.py)

def test_classic_balancers_answer_as_aws_does(monkeypatch):
    from moto import mock_aws

    moto_server = _load("moto_server")
    moto_server.apply_fixes(monkeypatch.setattr)
    with mock_aws():
        elb = boto3.client("elb", region_name="us-east-1")
        for call in (elb.describe_load_balancer_attributes, elb.describe_load_balancer_policies,
                     elb.describe_instance_health):
            with pytest.raises(ClientError) as error:
                call(LoadBalancerName="missing")
            assert error.value.response["Error"]["Code"] == "LoadBalancerNotFound"
        elb.create_load_balancer(LoadBalancerName="present", AvailabilityZones=["us-east-1a"], Listeners=[
            {"Protocol": "TCP", "LoadBalancerPort": 8080, "InstancePort": 8080}])
        attributes = elb.describe_load_balancer_attributes(LoadBalancerName="present")["LoadBalancerAttributes"]
        assert "CrossZoneLoadBalancing" in attributes
        # AWS's default health check of a new balancer
        check = elb.describe_load_balancers(LoadBalancerNames=["present"])["LoadBalancerDescriptions"][0]["HealthCheck"]
        assert check == {"Target": "TCP:8080", "Interval": 30, "Timeout": 5, "UnhealthyThreshold": 2,
                         "HealthyThreshold": 10}


# ---------------------------------------------------------------------------------------------
# How each topology's sides are run

@pytest.mark.parametrize("name", sorted(topologies.TOPOLOGIES))
def test_every_file_a_topology_runs_exists(name):
    spec = topologies.TOPOLOGIES[name]
    files = (spec["collection"] + spec.get("collection_teardown_playbooks", [])
             + [spec["reference"], spec["reference_teardown"], spec["vars_file"]])
    for path in files:
        assert (TOP / path).is_file(), path


def test_red5pro_teardown_removes_the_node_group_before_the_stream_managers():
    urls = {"aws": "http://127.0.0.1:1", "streammanager": "http://127.0.0.1:2"}
    command = run.playbook_command("red5pro", "collection", "teardown", "ami-1", urls)
    playbooks = [part for part in command if part.startswith("playbooks/")]
    assert playbooks == ["playbooks/red5pro_nodegroup.yml", "playbooks/red5pro_streammanager_aws.yml"]
    extra = [json.loads(part) for part in command if part.startswith("{")]
    assert {"red5pro_streammanager_aws_state": "absent", "red5pro_nodegroup_state": "absent"} in extra
    assert any(e.get("red5pro_nodegroup_base_url") == urls["streammanager"] for e in extra)


def test_the_alicloud_reference_deletes_with_the_same_playbook():
    urls = {"ros": "http://127.0.0.1:3"}
    converge = run.playbook_command("antmedia_alicloud", "reference", "first converge", None, urls)
    teardown = run.playbook_command("antmedia_alicloud", "reference", "teardown", None, urls)
    assert converge[1] == teardown[1] == "benchmarks/reference/antmedia_alicloud.yml"
    assert json.loads(teardown[-1]) == {"reference_action": "delete"}
    assert {"antmedia_cluster_alicloud_endpoint": urls["ros"]} in [json.loads(p) for p in converge if p.startswith("{")]


def test_scale_overrides_size_every_group():
    sizes = topologies.TOPOLOGIES["antmedia_cluster"]["sizes"](200)
    assert {k: v for k, v in sizes.items() if k != "antmedia_cluster_aws_subnets"} == {
        "antmedia_cluster_aws_origin_desired": 200, "antmedia_cluster_aws_origin_max": 200,
        "antmedia_cluster_aws_edge_desired": 200, "antmedia_cluster_aws_edge_max": 200,
        "antmedia_cluster_aws_edge_min": 2}
    # 400 instances need more addresses than two /24 subnets; both sizes use the same subnets
    assert sizes["antmedia_cluster_aws_subnets"] == topologies.TOPOLOGIES["antmedia_cluster"]["sizes"](2)[
        "antmedia_cluster_aws_subnets"]
    assert all(s["cidr"].endswith("/20") for s in sizes["antmedia_cluster_aws_subnets"])
    assert topologies.TOPOLOGIES["wcs_cdn"]["sizes"](2) == {"wcs_cdn_aws_edge_desired": 2, "wcs_cdn_aws_edge_max": 3}


# ---------------------------------------------------------------------------------------------
# Targets

def _summary(noop_calls):
    return {"collection": {"no-op converge": {"calls": noop_calls}}}


def test_targets_are_judged_on_the_ratios_and_the_call_floor():
    ratios = {"first converge": {"time": 0.5, "calls": 0.3}, "no-op converge": {"time": 0.2, "calls": 0.25},
              "teardown": {"time": 1, "calls": 1}}
    scale = {2: {"calls": 14}, 200: {"calls": 14}, "identical": True}
    rows = dict((name, (value, met)) for name, value, met in
                run.targets("antmedia_cluster", ratios, _summary(16), scale))
    assert rows["first converge time ≤ 0.4× reference"] == (0.5, False)
    assert rows["no-op converge time ≤ 0.25× reference"] == (0.2, True)
    assert rows["no-op converge calls ≤ 0.2× reference"] == (0.25, False)
    assert rows["no-op calls ≤ 15"] == (16, False)
    assert rows["no-op calls identical for 2 and 200 instances per group"] == ("14 / 14", True)


def test_the_call_floor_applies_to_ant_media_only():
    ratios = {"first converge": {"time": 0.1, "calls": 0.1}, "no-op converge": {"time": 0.1, "calls": 0.1}}
    names = [name for name, _value, _met in run.targets("wcs_cdn", ratios, _summary(99), None)]
    assert "no-op calls ≤ 15" not in names and len(names) == 3


def test_boot_table_says_when_the_second_boot_changed_something():
    result = {"boot": {"wcs": dict(first=0.8, second=0.5, first_cpu=0.6, second_cpu=0.4, load=12.5,
                                   second_did_nothing=True, met=True),
                       "antmedia": dict(first=2.5, second=0.6, second_did_nothing=False, met=False)},
              "hosts": dict(one=40.0, many=60.0, hosts=6, ratio=1.5, met=True, load_one=3.1, load_many=4.2),
              "problems": []}
    text = "\n".join(hosts.markdown(result))
    assert "| wcs | 0.80 s | 0.50 s | 0.60 s / 0.40 s | 12.5 | yes | yes |" in text
    # results of an earlier run (no CPU time, no load) still render
    assert "| antmedia | 2.50 s | 0.60 s | - / - | - | **no** | **no** |" in text
    assert "60.0 s against 40.0 s, ratio 1.5 (target ≤ 2): met. Load average (1 min) at the start: 3.1 (1 host)" in text


def test_hosts_line_gives_the_ratio_the_cores_allow():
    result = {"hosts": dict(one=20.0, many=70.0, hosts=6, ratio=3.5, met=False, load_one=1.0, load_many=1.2,
                            cpu_one=15.0, cpu_many=130.0, cores=2, cpu_bound_ratio=3.25), "problems": []}
    text = "\n".join(hosts.markdown(result))
    assert "70.0 s against 20.0 s, ratio 3.5 (target ≤ 2): **missed**" in text
    assert "15.0 s (1 host), 130.0 s (6 hosts). On 2 cores the 6-host run cannot take less than 65.0 s, 3.25 times" in text


def test_cpu_of_a_run_counts_the_processes_it_waited_for():
    _result, spent = hosts.run_cpu_seconds([], lambda: subprocess.run(
        [sys.executable, "-c", "sum(range(3000000))"], check=True))
    assert spent > 0.01


def test_reports_of_several_playbooks_count_each_play_once():
    # ansible.posix.json prints a document at the end of each playbook of the run, holding the
    # earlier playbooks' plays again and the stats added up so far (seen with two playbooks in
    # one ansible-playbook run: 29 tasks, then 29 + 14, and changed 5, then 8).
    play_a = {"play": {"name": "a", "id": "id-a"}, "tasks": [{"task": {"name": "t1"}}, {"task": {"name": "t2"}}]}
    play_b = {"play": {"name": "b", "id": "id-b"}, "tasks": [{"task": {"name": "t3"}}]}
    one = {"plays": [play_a], "stats": {"localhost": {"changed": 2, "ok": 5}}}
    two = {"plays": [play_a, play_b], "stats": {"localhost": {"changed": 3, "ok": 7, "failures": 0}}}
    report = run.parse_reports(json.dumps(one, indent=2) + "\n" + json.dumps(two, indent=2) + "\n")
    assert [p["play"]["name"] for p in report["plays"]] == ["a", "b"]
    assert report["stats"]["localhost"] == {"changed": 3, "ok": 7, "failures": 0}
    assert run.task_counts(report)["tasks"] == 3
    assert run.parse_reports("") == {}


def _phase(seconds, calls):
    return dict(seconds=seconds, calls=calls, changed=0, by_service={"ec2": calls}, by_action={"ec2.X": calls},
                tasks=[dict(name="play : Network", seconds=1.5, proxy_total=calls, proxy_calls={"ec2.X": calls})],
                task_counts=dict(tasks=10, ran=8), emulator_orphans=[])


def test_the_table_shows_every_topology_and_what_was_missed():
    summary = dict((side, dict((phase, _phase(seconds, calls)) for phase in run.PHASES))
                   for side, seconds, calls in (("collection", 10.0, 12), ("reference", 50.0, 100)))
    ratios = dict((phase, dict(time=0.2, calls=0.12)) for phase in run.PHASES)
    results = {"antmedia_cluster": dict(summary=summary, ratios=ratios, problems=[], scale=None,
                                        targets=run.targets("antmedia_cluster", ratios, summary, None)),
               "wcs_cdn": dict(problems=["collection first converge: playbook failed (rc 2)"])}
    meta = dict(finished="2026-12-07 05:30 UTC", host="vm", cpus=2, repeat=3, repeat_done=[3], parallel=True,
                versions={"ansible-core": "2.19", "amazon.aws": "10", "community.aws": "10", "moto": "5"},
                load_before=["1.0", "1.0", "1.0"], load_after=["2.0", "2.0", "2.0"])
    text = run.markdown(meta, results)
    assert "3 repetitions of 3 asked" in text and "before: 1.0 1.0 1.0; after: 2.0 2.0 2.0" in text
    assert "| antmedia_cluster | 10.0 s / 50.0 s (0.2) | 12 / 100 (0.12) | 10.0 s / 50.0 s (0.2) | all |" in text
    assert "| wcs_cdn | - | - | - | not measured: collection first converge: playbook failed (rc 2) |" in text
    assert "| first converge | 10.0 s | 50.0 s | 0.2 | 12 | 100 | 0.12 | 10 (8) | 10 (8) |" in text


def test_cpu_and_the_split_of_the_time_are_published_per_topology():
    summary = dict((side, dict((phase, _phase(seconds, calls)) for phase in run.PHASES))
                   for side, seconds, calls in (("collection", 10.0, 12), ("reference", 20.0, 100)))
    for side, cpu, api_tasks, api_seconds in (("collection", 9.0, 6, 8.1), ("reference", 15.0, 12, 16.8)):
        for phase in run.PHASES:
            summary[side][phase]["cpu_seconds"] = cpu
            summary[side][phase]["task_counts"].update(api_tasks=api_tasks, api_task_seconds=api_seconds,
                                                       other_task_seconds=1.2, outside_seconds=0.7)
    ratios = dict((phase, dict(time=0.5, calls=0.12)) for phase in run.PHASES)
    text = "\n".join(run.markdown_topology("wcs_cdn", summary, ratios, [], None))
    assert "which the machine's load does not stretch (collection / reference, ratio): first converge 9.0 / 15.0 (0.6);" in text
    assert ("Where the no-op converge's time went: collection 6 API tasks 8.1 s (1.35 s each), 2 other tasks 1.2 s, "
            "outside any task 0.7 s; reference 12 API tasks 16.8 s (1.40 s each), 0 other tasks 1.2 s") in text
    # results recorded before CPU and the split existed render without those lines
    for side in run.SIDES:
        for phase in run.PHASES:
            del summary[side][phase]["cpu_seconds"]
            summary[side][phase]["task_counts"] = dict(tasks=10, ran=8)
    text = "\n".join(run.markdown_topology("wcs_cdn", summary, ratios, [], None))
    assert "CPU seconds" not in text and "time went" not in text


def test_median_of_the_repetitions_includes_the_cpu():
    runs = [dict(_phase(s, 10), cpu_seconds=c) for s, c in ((10.0, 8.0), (12.0, 9.5), (11.0, 30.0))]
    median = run.median_result(runs)
    assert median["seconds"] == 11.0 and median["cpu_seconds"] == 9.5
    assert "cpu_seconds" not in run.median_result([_phase(1.0, 1), dict(_phase(2.0, 1), cpu_seconds=1.0)])


def test_the_breakdown_is_of_the_run_nearest_the_median():
    # same calls in every repetition: the breakdown (and the split of the time) comes from the
    # run whose time is the median, not from the first one
    runs = [dict(_phase(s, 10), task_counts=dict(tasks=1, ran=1, task_seconds=s)) for s in (22.0, 15.0, 16.0)]
    median = run.median_result(runs)
    assert median["seconds"] == 16.0 and median["task_counts"]["task_seconds"] == 16.0


def test_a_scale_check_read_back_from_json_is_judged_again():
    check = json.loads(json.dumps({2: {"calls": 15}, 200: {"calls": 15}, "identical": True}))
    ratios = {"first converge": {"time": 0.3}, "no-op converge": {"time": 0.2, "calls": 0.1}}
    rows = run.targets("wcs_cdn", ratios, _summary(15), run._int_keys(check))
    assert ("no-op calls identical for 2 and 200 instances per group", "15 / 15", True) in rows


@pytest.mark.parametrize("name", sorted(topologies.TOPOLOGIES))
def test_both_sides_run_on_the_benchmarks_own_inventory(name):
    # The sandbox inventory's group variables (names, certificates, topics, Elastic IPs) would
    # make the collection build objects the references do not.
    urls = {"aws": "http://127.0.0.1:1", "streammanager": "http://127.0.0.1:2", "ros": "http://127.0.0.1:3"}
    for side in run.SIDES:
        for phase in run.PHASES:
            command = run.playbook_command(name, side, phase, "ami-1", urls)
            assert command[command.index("-i") + 1] == "benchmarks/inventory.yml", (side, phase)
    assert not (BENCHMARKS / "group_vars").exists() and not (BENCHMARKS / "host_vars").exists()


@pytest.mark.parametrize("name, prefix", [("antmedia_cluster", "antmedia_cluster_aws"),
                                          ("wcs_cdn", "wcs_cdn_aws"),
                                          ("red5pro", "red5pro_streammanager_aws")])
def test_aws_comparisons_are_plain_http_on_both_sides(name, prefix):
    # The references build no certificate and no HTTPS listener (docs/benchmark.md says so).
    import yaml
    settings = yaml.safe_load((TOP / topologies.TOPOLOGIES[name]["vars_file"]).read_text())
    assert settings[prefix + "_https"] is False
    assert settings[prefix + "_detailed_monitoring"] is False


def test_runs_made_at_the_same_time_merge_into_one_table(tmp_path):
    measured = {"summary": {}, "ratios": {}, "targets": [], "problems": [], "repetitions": 3}
    first = dict(meta=dict(started="2026-12-07T15:08:24+00:00", finished="2026-12-07 16:00 UTC", repeat=3,
                           topologies=["wcs_cdn", "antmedia_cluster"], load_before=["16.4", "14.0", "9.9"],
                           load_after=["9.0", "9.5", "9.9"]),
                 results={"wcs_cdn": measured, "antmedia_cluster": {"problems": ["no results"]}},
                 repetitions={"wcs_cdn": [{"wcs_cdn": {"collection": {}}}]}, scale={}, hosts={"boot": {"wcs": {}}})
    second = dict(meta=dict(started="2026-12-07T15:17:47+00:00", finished="2026-12-07 16:05 UTC", repeat=3,
                            topologies=["antmedia_cluster"], load_before=["20.4", "19.9", "15.0"],
                            load_after=["8.0", "9.0", "9.9"]),
                  results={"antmedia_cluster": dict(measured, repetitions=2)},
                  repetitions=[{"antmedia_cluster": {"collection": {}}}], scale={"antmedia_cluster": {"2": {}}},
                  hosts=None)
    paths = []
    for name, data in (("a.json", first), ("b.json", second)):
        (tmp_path / name).write_text(json.dumps(data))
        paths.append(str(tmp_path / name))
    meta, merged, hosts_result = run.merge_runs(paths)
    # each topology from the run that measured it, the failed attempt dropped
    assert merged["results"]["antmedia_cluster"]["repetitions"] == 2
    assert merged["results"]["wcs_cdn"] is not None and "summary" in merged["results"]["wcs_cdn"]
    assert merged["repetitions"]["antmedia_cluster"] == [{"collection": {}}]
    assert merged["repetitions"]["wcs_cdn"] == [{"collection": {}}]
    assert merged["scale"] == {"antmedia_cluster": {2: {}}}
    assert hosts_result == {"boot": {"wcs": {}}, "problems": []}
    # the table names both runs with their load
    assert meta["load_before"] == ["16.4", "14.0", "9.9"] and meta["load_after"] == ["8.0", "9.0", "9.9"]
    assert meta["finished"] == "2026-12-07 16:05 UTC"
    assert "a.json" in meta["notes"][0] and "20.4 19.9 15.0" in meta["notes"][0]
    # a boot-only re-measure (benchmarks/hosts.py --boot-only) replaces the boot part only
    (tmp_path / "boot.json").write_text(json.dumps(dict(meta=dict(finished="2026-12-07 16:10 UTC"),
                                                        hosts={"boot": {"wcs": {"first": 0.4}}, "problems": []})))
    first["hosts"] = {"boot": {"wcs": {}}, "hosts": {"ratio": 3.0}, "problems": ["boot measurement: x"]}
    (tmp_path / "a.json").write_text(json.dumps(first))
    meta, merged, hosts_result = run.merge_runs(paths + [str(tmp_path / "boot.json")])
    assert hosts_result == {"boot": {"wcs": {"first": 0.4}}, "hosts": {"ratio": 3.0}, "problems": []}
    assert meta["started"] == "2026-12-07T15:08:24+00:00" and meta["finished"] == "2026-12-07 16:10 UTC"
