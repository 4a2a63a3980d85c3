"""Bad input to the modules that edit files or talk to a server (issue #21, item 6).

Each table row is one hostile input a careless or unlucky user could give. Every row must be
refused before anything happens, with the option named, and without a Python traceback:

- the file-editing modules run on a copy of their stand-in tree, compared byte for byte before
  and after;
- the modules that talk to a server (WCS statistics, MongoDB, Stream Manager API, Alibaba ROS)
  are pointed at a local socket that counts connections: a refusal opens none.

The modules run in-process, as the other unit tests of modules do (``run_module``).
"""
import importlib.util
import json
import shutil
import socket
import threading
from pathlib import Path

import pytest

from lib.harness import tree_snapshot

TREES = Path(__file__).resolve().parents[2] / "standins" / "trees"
MODULE_NAMES = sorted(path.stem for path in (Path(__file__).resolve().parents[3] / "plugins" / "modules").glob("*.py")
                      if not path.name.startswith("_"))


class ConnectionCounter:
    """A TCP listener on 127.0.0.1 that accepts, counts and closes every connection."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.count = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            self.count += 1
            conn.close()

    def close(self):
        self.sock.close()


@pytest.fixture(scope="module")
def listener():
    counter = ConnectionCounter()
    yield counter
    counter.close()


def assert_refused(result, option):
    text = json.dumps(result)
    assert result.get("failed") is True, result
    assert option in result["msg"], (option, result["msg"])
    assert "Traceback" not in text, text
    assert result.get("changed") in (None, False), result


# -- file-editing modules ------------------------------------------------------------------
# (module, stand-in tree, base arguments, [(hostile arguments, option the message must name)])
FILE_TABLES = {
    "wcs_config": ("wcs", dict(cdn_enabled=True, cdn_role="edge"), [
        (dict(cdn_ip="10.0.0.256"), "cdn_ip"),                        # octet 256
        (dict(cdn_ip="http://10.0.0.5"), "cdn_ip"),                   # URL for an address
        (dict(cdn_point_of_entry="http://origin:8084/"), "cdn_point_of_entry"),
        (dict(cdn_point_of_entry="origin.example.com:8084"), "cdn_point_of_entry"),  # host:port
        (dict(cdn_port=0), "cdn_port"),
        (dict(cdn_port=70000), "cdn_port"),
        (dict(cdn_nodes_timeout=-5), "cdn_nodes_timeout"),
        (dict(node_addresses=["10.0.0.1", "300.1.1.1"]), "node_addresses[1]"),
        (dict(cdn_rol="origin"), "did you mean cdn_role"),            # typo of an option
        (dict(heap_size="lots"), "heap_size"),
    ]),
    "red5pro_node_config": ("red5pro_node", dict(active=True), [
        (dict(stream_manager_host="http://sm.example.com:5080"), "stream_manager_host"),
        (dict(stream_manager_host="sm.example.com:5080"), "stream_manager_host"),
        (dict(stream_manager_host="10.1.1.300"), "stream_manager_host"),
        (dict(stream_manager_host="sm", stream_manager_port=0), "stream_manager_port"),
        (dict(stream_manager_host="sm", stream_manager_port=65536), "stream_manager_port"),
        (dict(reporting_speed=100), "reporting_speed"),
        (dict(cloudwatch_host="ftp://sm/streammanager/cloudwatch"), "cloudwatch_host"),
        (dict(stream_manager_hots="sm"), "did you mean stream_manager_host"),
    ]),
    "red5pro_streammanager_config": ("red5pro_streammanager", {}, [
        (dict(streammanager_ip="10.0.0.256"), "streammanager_ip"),
        (dict(streammanager_ip="stream manager 1"), "streammanager_ip"),
        (dict(db_host="mongodb://db:27017"), "db_host"),
        (dict(db_port=0), "db_port"),
        (dict(db_port=99999), "db_port"),
        (dict(aws_operation_timeout_ms=-1), "aws_operation_timeout_ms"),
        (dict(db_hots="db"), "did you mean db_host"),
    ]),
    "antmedia_cluster_mode": ("antmedia", dict(mode="cluster"), [
        (dict(database_hosts=["db1", "http://db2"]), "database_hosts[1]"),
        (dict(database_hosts=["10.0.0.256"]), "database_hosts[0]"),
        (dict(database_hosts=["db1"], database_port=0), "database_port"),
        (dict(database_hosts=["db1"], database_port=65536), "database_port"),
        (dict(database_url="http://db1:27017"), "http"),
        (dict(database_host=["db1"]), "did you mean database_hosts"),
        (dict(database_hosts=["db 1"]), "database_hosts[0]"),
    ]),
    "antmedia_ip_filter": ("antmedia", dict(rest_ip_filter_enabled=True), [
        (dict(dashboard_allowed_cidr="10.0.0.0/33"), "dashboard_allowed_cidr"),   # prefix above 32
        (dict(dashboard_allowed_cidr="10.0.0.256"), "dashboard_allowed_cidr"),
        (dict(rest_allowed_cidr="http://10.0.0.1"), "rest_allowed_cidr"),         # URL for an address
        (dict(rest_allowed_cidr="10.0.0.1,,10.0.0.2"), "rest_allowed_cidr"),      # empty entry
        (dict(rest_allowed_cidr="10.0.0.1/8"), "rest_allowed_cidr"),              # host bits set
        (dict(applications=["../conf"]), "applications[0]"),                     # outside webapps/
        (dict(applications=[""]), "applications[0]"),
        (dict(rest_ip_filter_enabled="maybe"), "rest_ip_filter_enabled"),         # not a boolean
        (dict(dashbord_allowed_cidr="10.0.0.0/8"), "did you mean dashboard_allowed_cidr"),
    ]),
}


def _file_cases():
    for module, (tree, base, rows) in sorted(FILE_TABLES.items()):
        for index, (hostile, option) in enumerate(rows):
            yield pytest.param(module, tree, base, hostile, option, id="%s-%d" % (module, index))


@pytest.mark.parametrize("module, tree, base, hostile, option", list(_file_cases()))
def test_file_module_refuses_and_leaves_files_alone(run_module, tmp_path, module, tree, base, hostile, option):
    home = tmp_path / tree
    shutil.copytree(TREES / tree, home)
    before = tree_snapshot(home)
    result = run_module(module, dict(base, home=str(home), **hostile))
    assert_refused(result, option)
    assert tree_snapshot(home) == before


# -- modules that talk to a server -----------------------------------------------------------
def _server_tables(port):
    base_url = "http://127.0.0.1:%d" % port
    sm = dict(base_url=base_url, access_token="not-a-secret")
    return {
        "wcs_stats_info": (dict(host="127.0.0.1", port=port), [
            (dict(host="http://127.0.0.1:8081"), "host"),              # URL for a host
            (dict(host="127.0.0.256"), "host"),
            (dict(host="wcs.example.com:8081"), "host"),
            (dict(port=0), "port"),
            (dict(port=70000), "port"),
            (dict(timeout=-1), "timeout"),
            (dict(hots="127.0.0.1"), "did you mean host"),
        ]),
        "mongodb_users": (dict(login_host="127.0.0.1", login_port=port, admin_user="admin",
                               admin_password="not-a-secret"), [
            (dict(login_host="mongodb://127.0.0.1"), "login_host"),
            (dict(login_host="999.1.1.1"), "login_host"),
            (dict(login_port=0), "login_port"),
            (dict(connect_timeout=-1), "connect_timeout"),            # negative driver timeout
            (dict(users=[dict(name=" ", password="x", roles=[])]), "users[0].name"),
            (dict(admin_usr="admin"), "did you mean admin_user"),
        ]),
        "antmedia_cluster_nodes": (dict(login_host="127.0.0.1", login_port=port, stale_after=120), [
            (dict(login_host="http://127.0.0.1:27017"), "login_host"),
            (dict(login_port=65536), "login_port"),
            (dict(connect_timeout=-5), "connect_timeout"),
            (dict(connect_timeout=0), "connect_timeout"),
            (dict(stale_after=0), "stale_after"),
            (dict(dead_after=-1), "dead_after"),
            (dict(keep_adresses=["10.0.0.1"]), "did you mean keep_addresses"),
        ]),
        "alicloud_ros_stack": (dict(name="bad-input", template={"ROSTemplateFormatVersion": "2015-09-01"},
                                    access_key_id="not-a-key", access_key_secret="not-a-secret",
                                    region="cn-hangzhou", endpoint=base_url, wait_timeout=5), [
            (dict(timeout_in_minutes=5), "timeout_in_minutes"),
            (dict(timeout_in_minutes=5000), "timeout_in_minutes"),
            (dict(wait_timeout=-1), "wait_timeout"),
            (dict(wait_poll_interval=0), "wait_poll_interval"),
            (dict(connect_timeout=0), "connect_timeout"),
            (dict(endpoint="ros.example.com:443"), "endpoint"),
            (dict(templat={}), "did you mean template"),
        ]),
        "alicloud_scaling_instances_info": (dict(scaling_group_ids=["asg-bp1igpak5ft1flyp0001"],
                                                 access_key_id="not-a-key", access_key_secret="not-a-secret",
                                                 region="cn-hangzhou", endpoint=base_url), [
            (dict(scaling_group_ids=[]), "scaling_group_ids"),
            (dict(scaling_group_ids=["asg-bp1igpak5ft1flyp0001", "sg-bp1igpak5ft1flyp0001"]),
             "scaling_group_ids[1]"),                                 # a security group id
            (dict(scaling_group_ids=["ASG-BP1IGPAK5FT1FLYP0001"]), "scaling_group_ids[0]"),
            (dict(scaling_group_ids=["asg-bp1igpak5ft1flyp****"]), "scaling_group_ids[0]"),  # the docs' mask
            (dict(page_size=0), "page_size"),
            (dict(page_size=51), "page_size"),                       # ESS pages hold at most 50
            (dict(lifecycle_state="Running"), "lifecycle_state"),    # an ECS status, not a lifecycle state
            (dict(endpoint="ess.example.com:443"), "endpoint"),
            (dict(read_timeout=0), "read_timeout"),
            (dict(scaling_groups_ids=["asg-x"]), "did you mean scaling_group_ids"),
        ]),
        "red5pro_node_group": (dict(sm, name="edges", regions=["us-east-1"], launch_config="lc",
                                    scale_policy="sp", wait=False), [
            (dict(name="my group"), "name"),                          # space in a path segment
            (dict(name="a/b"), "name"),                               # slash in a path segment
            (dict(launch_config="lc 1"), "launch_config"),
            (dict(base_url="sm.example.com"), "base_url"),            # no scheme
            (dict(timeout=0), "timeout"),
            (dict(retries=-1), "retries"),
            (dict(origins=-1), "origins"),
            (dict(initial_origins=-1), "initial_origins"),
            (dict(scale_polcy="sp"), "did you mean scale_policy"),
        ]),
        "red5pro_scale_policy": (dict(sm, name="sp", regions=[dict(name="us-east-1", targets=[
            dict(role="edge", min_limit=1, max_limit=4)])]), [
            (dict(name="has space"), "name"),
            (dict(regions=[dict(name="us-east-1", targets=[dict(role="edge", min_limit=5, max_limit=2)])]),
             "min_limit"),
            (dict(base_url="ftp://127.0.0.1/"), "base_url"),
            (dict(timeout=1000), "timeout"),
            (dict(retry_delay=-1), "retry_delay"),
            (dict(regons=[]), "did you mean regions"),
        ]),
        "red5pro_launch_config": (dict(sm, name="lc", image="red5pro-node", targets=[
            dict(role="edge", instance_type="c5.large", connection_capacity=500)]), [
            (dict(name="a/b"), "name"),
            (dict(targets=[dict(role="edge", instance_type="c5.large", connection_capacity=0)]),
             "connection_capacity"),
            (dict(base_url="http://:5080/"), "base_url"),
            (dict(timeout=-1), "timeout"),
            (dict(retries=11), "retries"),
            (dict(imgae="x"), "did you mean image"),
        ]),
        "red5pro_streammanager_info": (dict(sm), [
            (dict(node_group="a b"), "node_group"),
            (dict(base_url="localhost:5080"), "base_url"),
            (dict(base_url="http://10.0.0.256:5080"), "base_url"),
            (dict(timeout=0), "timeout"),
            (dict(retries=11), "retries"),
            (dict(node_grup="edges"), "did you mean node_group"),
        ]),
        # The two modules below must refuse before their first request (the listener counts it).
        "antmedia_admin_user": (dict(url=base_url, email="admin@example.com", password="not-a-secret"), [
            (dict(url="127.0.0.1:5080"), "url"),                       # no scheme
            (dict(url="ftp://127.0.0.1/"), "url"),
            (dict(url="http://10.0.0.256:5080"), "url"),               # octet 256
            (dict(url="http://127.0.0.1:70000"), "url"),               # port out of range
            (dict(url="http://console host:5080"), "url"),             # space in the host
            (dict(timeout=0), "timeout"),
            (dict(wait_timeout=-1), "wait_timeout"),
            (dict(email=" admin@example.com"), "email"),
            (dict(verify_existing="sometimes"), "verify_existing"),   # not a boolean
            (dict(password=""), "password"),
            (dict(timeout="ten"), "timeout"),                          # not a number
            (dict(emial="admin@example.com"), "did you mean email"),
        ]),
        "endpoint_check": (dict(url=base_url + "/"), [
            (dict(url="127.0.0.1:5080"), "url"),                       # no scheme
            (dict(url="http://10.0.0.256/"), "url"),
            (dict(url="http://bad host/"), "url"),
            (dict(url="http://127.0.0.1:70000/"), "url"),
            (dict(timeout=0), "timeout"),
            (dict(certificate_min_days=-1), "certificate_min_days"),
            (dict(expect_status=[700]), "expect_status[0]"),           # not an HTTP status code
            (dict(domain="https://www.example.com"), "domain"),        # URL for a host name
            (dict(headers={"X-Bad\nHeader": "x"}), "headers"),          # header injection
            (dict(headers={"X-Trace": "a\r\nSet-Cookie: x=1"}), "headers"),
            (dict(method="POST"), "method"),
            (dict(expect_stauts=[200]), "did you mean expect_status"),
        ]),
    }


SERVER_MODULES = sorted(_server_tables(1))
SERVER_CASES = [(module, index) for module in SERVER_MODULES for index in range(len(_server_tables(1)[module][1]))]


@pytest.mark.parametrize("module, index", SERVER_CASES, ids=["%s-%d" % case for case in SERVER_CASES])
def test_server_module_refuses_without_connecting(run_module, listener, module, index):
    base, rows = _server_tables(listener.port)[module]
    hostile, option = rows[index]
    before = listener.count
    result = run_module(module, dict(base, **hostile))
    assert_refused(result, option)
    assert listener.count == before, "a refused task connected to the server"


def _aws_tables():
    """The tables of tests/integration/aws/test_bad_input_aws.py, built with placeholder ids
    (the rows only need ids to be strings; moto is not started)."""
    path = Path(__file__).resolve().parents[2] / "integration" / "aws" / "test_bad_input_aws.py"
    spec = importlib.util.spec_from_file_location("bad_input_aws_tables", str(path))
    tables = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tables)
    network = dict(vpc_id="vpc-0", subnet_ids=["subnet-0", "subnet-1"], security_group_id="sg-00000000")
    return tables.all_tables(network, "ami-00000000", "i-00000000")


def test_every_module_has_at_least_six_hostile_inputs():
    """Every module of plugins/modules has six rows or more across this file and the AWS one, so
    a module added later cannot go without."""
    counts = dict((module, 0) for module in MODULE_NAMES)
    for module, (_tree, _base, rows) in FILE_TABLES.items():
        counts[module] = counts.get(module, 0) + len(rows)
    for module, (_base, rows) in _server_tables(1).items():
        counts[module] = counts.get(module, 0) + len(rows)
    for module, _base, rows in _aws_tables():
        counts[module] = counts.get(module, 0) + len(rows)
    assert set(counts) == set(MODULE_NAMES), "rows for a module that does not exist: %s" % (
        sorted(set(counts) - set(MODULE_NAMES)))
    assert [module for module, count in sorted(counts.items()) if count < 6] == [], counts
