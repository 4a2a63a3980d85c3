"""Verify Red5 Pro (Molecule scenario `red5pro`, testinfra): a Stream Manager and a node."""

import sys
import html
import pathlib
import re

import pytest
import yaml

# The helpers every scenario's verifier shares (molecule/shared/streamfleet_verifier.py).
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "shared"))
from streamfleet_verifier import (  # noqa: E402
    assert_no_secret_in_ansible_output,
    assert_no_secret_in_world_readable_files,
    host_groups,
    lines_of,
    on,
    other_host,
    private_address,
    run_user_data_twice,
    wait_http,
)


SCENARIO = pathlib.Path(__file__).resolve().parent.parent
CREDENTIALS = yaml.safe_load((SCENARIO / "vars" / "credentials.yml").read_text())
SECRETS = list(CREDENTIALS.values())
SECRETS += [html.escape(value) for value in SECRETS if html.escape(value) != value]  # as written in XML
HOME = "/usr/local/red5pro"
WEB_INF = HOME + "/webapps/streammanager/WEB-INF"
SM_CONFIG = WEB_INF + "/red5-web.properties"
AWS_CONTROLLER = "com.red5pro.services.cloud.aws.component.AWSInstanceController"
DUMMY_CONTROLLER = "com.red5pro.services.cloud.sample.component.DummyCloudController"
# Every aws.* key the shipped file has commented and the AWS controller's bean reads.
AWS_KEYS = {
    "aws.defaultzone": "eu-west-1", "aws.operationTimeoutMilliseconds": "200000", "aws.accessKey": "",
    "aws.accessSecret": "", "aws.ec2KeyPairName": "sf-molecule", "aws.ec2SecurityGroup": "sf-molecule-nodes",
    "aws.defaultVPC": "false", "aws.vpcName": "sf-molecule-vpc", "aws.faultZoneBlockMilliseconds": "3600000",
}


def is_streammanager(host):
    return "red5pro_streammanager" in host_groups(host)


def xml_property(host, path, name):
    content = on(host).file(path).content_string
    values = re.findall(r'<property\s+name="%s"\s+value="([^"]*)"' % re.escape(name), content)
    return [html.unescape(value) for value in values]


def assert_sm_keys_once(host):
    expected = {
        "streammanager.ip": private_address(host),
        "cluster.password": CREDENTIALS["red5pro_cluster_password"],
        "rest.administratorToken": CREDENTIALS["red5pro_streammanager_administrator_token"],
        "config.dbHost": "127.0.0.1",
        "config.dbPort": "3306",
        "config.dbUser": "red5pro",
        "config.dbPass": CREDENTIALS["red5pro_streammanager_db_password"],
        "instancecontroller.instanceNamePrefix": "sfmolecule",
        "proxy.enabled": "true",
    }
    expected.update(AWS_KEYS)
    content = on(host).file(SM_CONFIG).content_string
    for key, value in expected.items():
        found = lines_of(host, SM_CONFIG, key, content)
        assert len(found) == 1, key
        # Set where the shipped commented default was, not appended below it.
        assert not lines_of(host, SM_CONFIG, "#" + key, content), key
        right = found[0].split("=", 1)[1] == value  # not compared in the assert: no secret in reports
        assert right, key


def test_service_enabled_and_running(host):
    service = on(host).service("red5pro")
    assert service.is_enabled
    assert service.is_running


def test_root_page_answers(host):
    wait_http(host, "http://127.0.0.1:5080/", timeout=10)


def test_streammanager_keys_once(host):
    if not is_streammanager(host):
        pytest.skip("node")
    assert_sm_keys_once(host)


def test_streammanager_file_is_root_only(host):
    if not is_streammanager(host):
        pytest.skip("node")
    config = on(host).file(SM_CONFIG)
    assert (config.user, config.mode) == ("root", 0o600)


def test_streammanager_is_not_a_node(host):
    if not is_streammanager(host):
        pytest.skip("node")
    for path in ("conf/autoscale.xml", "plugins/inspector.jar", "webapps/inspector"):
        assert not on(host).file(HOME + "/" + path).exists, path
    plugins = on(host).run("ls %s/plugins", HOME).stdout.split()
    assert not [p for p in plugins if p.startswith(("red5pro-autoscale-plugin-", "red5pro-webrtc-plugin-"))]


def test_streammanager_runs_the_aws_cloud_controller(host):
    if not is_streammanager(host):
        pytest.skip("node")
    jars = on(host).run("ls %s/lib", WEB_INF).stdout.split()
    assert [j for j in jars if j.startswith("aws-cloud-controller-")] == ["aws-cloud-controller-12.0.0.jar"]
    context = on(host).file(WEB_INF + "/applicationContext.xml").content_string
    # The active (uncommented) apiBridge beans, read by an XML parser, not by a pattern.
    probe = ("import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); "
             "print(' '.join(b.getAttribute('class') for b in d.getElementsByTagName('bean') "
             "if b.getAttribute('id') == 'apiBridge'))")
    active = on(host).run("python3 -c %s %s", probe, WEB_INF + "/applicationContext.xml")
    assert active.rc == 0, active.stderr
    assert active.stdout.split() == [AWS_CONTROLLER]
    assert DUMMY_CONTROLLER in context  # kept, commented out


def test_streammanager_cors_filter_once(host):
    if not is_streammanager(host):
        pytest.skip("node")
    web = on(host).file(WEB_INF + "/web.xml").content_string
    assert web.count("<filter-class>org.apache.catalina.filters.CorsFilter</filter-class>") == 1
    assert web.count("<url-pattern>/api/*</url-pattern>") == 1


def test_cluster_schema_in_mariadb(host):
    if not is_streammanager(host):
        pytest.skip("node")
    sql = on(host).file(WEB_INF + "/sql/cluster.sql").content_string
    wanted = sorted(re.findall(r"(?im)^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?`?(\w+)`?", sql))
    assert wanted
    # root through the socket: no password anywhere.
    tables = on(host).run("mysql -N -B -e %s",
                          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'cluster'")
    assert tables.rc == 0, tables.stderr
    assert sorted(tables.stdout.split()) == wanted
    assert on(host).service("mariadb").is_enabled


def test_node_reports_to_the_streammanager(host):
    if is_streammanager(host):
        pytest.skip("Stream Manager")
    sm_address = private_address(other_host(host, "sf-red5pro-sm"))
    autoscale = HOME + "/conf/autoscale.xml"
    assert xml_property(host, autoscale, "active") == ["true"]
    assert xml_property(host, autoscale, "cloudWatchHost") == [
        "http://%s:5080/streammanager/cloudwatch" % sm_address]
    assert xml_property(host, autoscale, "reportingSpeed") == ["10000"]
    right = xml_property(host, HOME + "/conf/cluster.xml", "password") == [CREDENTIALS["red5pro_cluster_password"]]
    assert right, "cluster.xml password differs from the Stream Manager's cluster.password"
    cluster = on(host).file(HOME + "/conf/cluster.xml")
    assert (cluster.user, cluster.mode) == ("root", 0o600)
    # The node does not run the Stream Manager webapp, and reaches the real one.
    assert not on(host).file(HOME + "/webapps/streammanager").exists
    wait_http(host, "http://%s:5080/streammanager/" % sm_address, timeout=20)


def test_no_secret_in_world_readable_files(host):
    assert_no_secret_in_world_readable_files(host, SECRETS)


def test_no_secret_in_the_ansible_output():
    assert_no_secret_in_ansible_output(SECRETS)


def test_user_data_twice_leaves_every_key_once(host):
    if not is_streammanager(host):
        pytest.skip("node")
    # The seed's way: a random streammanager.ip, plus a duplicate line.
    on(host).run("sed -i 's/^streammanager.ip=.*/streammanager.ip=z2go1nhorcpsxlxy.com/' %s" % SM_CONFIG)
    on(host).run("printf 'streammanager.ip=0.0.0.0\\n' >> %s" % SM_CONFIG)
    first, second = run_user_data_twice(host, {"local-ipv4": private_address(host)})
    assert "restarted red5pro" in first.stderr
    assert "settings already current" in second.stderr
    assert_sm_keys_once(host)
    config = on(host).file(SM_CONFIG)
    assert (config.user, config.mode) == ("root", 0o600)
    per_boot = on(host).file("/var/lib/cloud/scripts/per-boot/streamfleet-red5pro-streammanager.sh")
    assert per_boot.exists and per_boot.mode == 0o700
    wait_http(host, "http://127.0.0.1:5080/")


# -- issue 21: the secrets are only in private files -----------------------------------------------
from host_secrets import files_holding, leaked  # noqa: E402

# The server's own files hold the secrets: red5-web.properties (Stream Manager) and cluster.xml
# (node, XML-escaped). red5pro.service has no User=: the server runs as root.
HOST_SECRETS = dict(CREDENTIALS)
HOST_SECRETS.update(("%s (XML-escaped)" % name, html.escape(value)) for name, value in CREDENTIALS.items()
                    if html.escape(value) != value)
SECRET_FILES = {
    "sf-red5pro-sm": {WEB_INF + "/red5-web.properties": sorted(CREDENTIALS)},
    "sf-red5pro-node": {HOME + "/conf/cluster.xml": ["red5pro_cluster_password (XML-escaped)"]},
}


def test_secrets_only_in_private_files_of_root(host):
    """Last, after the boot-time rewrite above: configuration, software, cloud-init, temporary and
    home directories and logs hold the scenario's secrets (any encoding) only in mode-0600/0400
    files of root, and the search finds them where the server needs them."""
    found = files_holding(host, HOST_SECRETS)  # one search of the host for both checks
    holding = {path: labels for path, _mode, _owner, labels in found}
    for path, labels in SECRET_FILES[host.backend.get_hostname()].items():
        assert holding.get(path) == labels, (path, holding.get(path))
    assert leaked(found, owners=("root",)) == []
