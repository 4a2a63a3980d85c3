"""Tests of the red5pro_streammanager_config module, run in-process as Ansible runs it."""
import json
import os
import shutil
from pathlib import Path

import pytest
from ansible.module_utils.common import warnings as ansible_warnings

TREE = Path(__file__).resolve().parents[3] / "standins" / "trees" / "red5pro_streammanager"
REL = Path("webapps") / "streammanager" / "WEB-INF" / "red5-web.properties"
SHIPPED = (TREE / REL).read_text()
AWS = "com.red5pro.services.cloud.aws.component.AWSInstanceController"
DUMMY = "com.red5pro.services.cloud.sample.component.DummyCloudController"

SECRETS = dict(
    db_password="Db-Pa55word&/=:x",
    cluster_password="Clu5ter-Secret",
    api_access_token="Acc3ss-Token-Value",
    administrator_token="Adm1n-Token-Value",
    aws_access_key="AKIAEXAMPLEEXAMPLE00",
    aws_secret_key="Example/Secret+Key/Value0123456789abcdef",
)
OLD_SECRET = "changeme"  # the sample tree's values: not no_log, so only our masking hides them
ARGS = dict(
    SECRETS,
    streammanager_ip="10.0.0.10",
    db_host="db.internal",
    db_port=3307,
    db_user="red5pro",
    instance_name_prefix="demo",
    proxy_enabled=True,
    aws_default_zone="eu-west-1",
    aws_ec2_key_pair_name="red5pro",
    aws_ec2_security_group="red5pro-nodes",
    aws_default_vpc=False,
    aws_vpc_name="red5pro-vpc",
    aws_operation_timeout_ms=120000,
    aws_fault_zone_block_ms=600000,
)


@pytest.fixture(autouse=True)
def fresh_warnings():
    """In-process runs share ansible's global warning list; start each test empty."""
    ansible_warnings._global_warnings.clear()
    yield
    ansible_warnings._global_warnings.clear()


@pytest.fixture
def home(tmp_path):
    dest = tmp_path / "red5pro"
    shutil.copytree(TREE, dest)
    # Windows line endings, as a file edited on a workstation has (the sample is LF in git).
    path = dest / REL
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    return dest


def content(home):
    return (home / REL).read_bytes()


def assert_no_secret(result):
    text = json.dumps(result)
    for value in list(SECRETS.values()) + [OLD_SECRET]:
        assert value not in text


def test_configure_then_second_run_unchanged(run_module, home):
    result = run_module("red5pro_streammanager_config", dict(ARGS, home=str(home)), diff=True)
    assert result["changed"] is True, result
    assert_no_secret(result)
    assert result["changed_keys"] == [
        "streammanager.ip", "config.dbHost", "config.dbPort", "config.dbUser", "config.dbPass",
        "instancecontroller.instanceNamePrefix", "cluster.password", "serverapi.accessToken",
        "rest.administratorToken", "proxy.enabled", "aws.defaultzone", "aws.accessKey", "aws.accessSecret",
        "aws.ec2KeyPairName", "aws.ec2SecurityGroup", "aws.defaultVPC", "aws.vpcName",
        "aws.operationTimeoutMilliseconds", "aws.faultZoneBlockMilliseconds",
    ]
    text = content(home).decode()
    for line in ("streammanager.ip=10.0.0.10\r\n", "config.dbPass=Db-Pa55word&/=:x\r\n",
                 "aws.accessSecret=Example/Secret+Key/Value0123456789abcdef\r\n", "proxy.enabled=true\r\n",
                 "aws.defaultVPC=false\r\n", "config.dbPort=3307\r\n"):
        assert line in text
    # CRLF kept; every key was set where it stands (the aws.* block uncommented), none appended.
    assert "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")
    assert len(lines) == len(SHIPPED.split("\n"))
    for key in [k for k in result["changed_keys"] if k.startswith("aws.")]:
        assert sum(1 for line in lines if line.startswith(key + "=")) == 1
        assert not any(line.startswith("#" + key + "=") for line in lines)
    assert lines.index("aws.defaultzone=eu-west-1") == SHIPPED.split("\n").index("#aws.defaultzone={default-region}")

    again = run_module("red5pro_streammanager_config", dict(ARGS, home=str(home)), diff=True)
    assert again["changed"] is False and again["changed_keys"] == []
    assert_no_secret(again)


def test_check_mode_writes_nothing_and_masks_the_diff(run_module, home):
    before = content(home)
    result = run_module("red5pro_streammanager_config", dict(ARGS, home=str(home)), check_mode=True, diff=True)
    assert result["changed"] is True
    assert content(home) == before
    assert sorted(os.listdir(home / REL.parent)) == ["applicationContext.xml", "red5-web.properties", "sql", "web.xml"]
    assert_no_secret(result)
    diff = result["diff"][0]
    assert "config.dbPass=********\r\n" in diff["before"]
    assert "config.dbPass=******** (changed)\r\n" in diff["after"]
    assert "streammanager.ip=\r\n" in diff["before"] and "streammanager.ip=10.0.0.10\r\n" in diff["after"]


def test_unchanged_secret_is_masked_without_the_changed_mark(run_module, home):
    result = run_module("red5pro_streammanager_config", dict(home=str(home), db_host="db2"), diff=True)
    diff = result["diff"][0]
    assert "cluster.password=********\r\n" in diff["after"]
    assert "(changed)" not in diff["after"]
    assert_no_secret(result)


def test_settings_and_remove(run_module, home):
    args = dict(home=str(home), settings={"instancecontroller.nodePingTimeThreshold": 200000,
                                          "custom.listenerPassword": "Hidden-By-Name",
                                          "webapp.virtualHosts": None},
                remove=["location.strict"])
    result = run_module("red5pro_streammanager_config", args, diff=True)
    assert result["changed"] is True
    text = content(home).decode()
    assert "instancecontroller.nodePingTimeThreshold=200000\r\n" in text
    assert "webapp.virtualHosts" not in text and "location.strict" not in text
    # A key that looks secret is masked in the diff even though no option declares it.
    assert "Hidden-By-Name" not in json.dumps(result["diff"])
    assert "custom.listenerPassword=******** (changed)" in result["diff"][0]["after"]


@pytest.mark.parametrize("args,message", [
    (dict(settings={"config.dbPass": "Leaky-Value-123"}), "use the no_log option db_password"),
    (dict(settings={"rest.administratorToken": "Leaky-Value-123"}), "administrator_token"),
    (dict(db_port=0), "db_port"),
    (dict(streammanager_ip="two words"), "single word"),
    (dict(db_password="line\nbreak"), "non-empty single line"),
    (dict(db_password=""), "non-empty single line"),
    (dict(aws_operation_timeout_ms=-1), "must not be negative"),
    (dict(db_host="a", settings={"config.dbHost": "b"}), "give it once"),
    (dict(remove=["x"], settings={"x": None, "y": 1}), "give it once"),
])
def test_invalid_input_fails_and_changes_nothing(run_module, home, args, message):
    before = content(home)
    result = run_module("red5pro_streammanager_config", dict(args, home=str(home)))
    assert result.get("failed") is True, result
    assert message in result["msg"].replace("give it with the no_log option", "use the no_log option")
    assert content(home) == before
    text = json.dumps(result)
    assert "Leaky-Value-123" not in text and "line\\nbreak" not in text


def test_missing_file_fails_clearly(run_module, tmp_path):
    result = run_module("red5pro_streammanager_config", dict(home=str(tmp_path), db_host="x"))
    assert result.get("failed") and "does not exist" in result["msg"]


def test_duplicate_secret_key_warns_by_name_only(run_module, home):
    path = home / REL
    path.write_bytes(b"config.dbPass=Old-Secret-1\nconfig.dbPass=Old-Secret-2\nother=1\nother=2\n")
    result = run_module("red5pro_streammanager_config",
                        dict(home=str(home), db_password=SECRETS["db_password"]), diff=True)
    assert result["changed"] is True
    text = json.dumps(result)
    assert "config.dbPass" in text and "'other' appears more than once" in text
    for value in ("Old-Secret-1", "Old-Secret-2", SECRETS["db_password"]):
        assert value not in text
    assert path.read_bytes() == b"config.dbPass=Db-Pa55word&/=:x\nother=1\nother=2\n"


def test_backup_and_mode_kept(run_module, home):
    path = home / REL
    os.chmod(path, 0o600)
    before = content(home)
    result = run_module("red5pro_streammanager_config", dict(home=str(home), proxy_enabled=True, backup=True))
    assert Path(result["backup_files"][str(path)]).read_bytes() == before
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_a_file_holding_secrets_becomes_owner_only_with_its_backup(run_module, home):
    path = home / REL
    os.chmod(path, 0o644)  # as shipped
    result = run_module("red5pro_streammanager_config", dict(ARGS, home=str(home), backup=True))
    assert os.stat(path).st_mode & 0o777 == 0o600
    # The backup holds the shipped cluster.password: private as well.
    assert os.stat(result["backup_files"][str(path)]).st_mode & 0o777 == 0o600
    # A file of the same edit without a value for any secret key keeps its mode.
    context = home / REL.parent / "applicationContext.xml"
    os.chmod(context, 0o644)
    assert run_module("red5pro_streammanager_config", dict(home=str(home), cloud_controller="aws"))["changed"]
    assert os.stat(context).st_mode & 0o777 == 0o644


def read(home, name):
    return (home / REL.parent / name).read_text()


def test_aws_controller_and_cors_then_unchanged(run_module, home):
    app_before, web_before = read(home, "applicationContext.xml"), read(home, "web.xml")
    args = dict(home=str(home), cloud_controller="aws", cors_filter=True, aws_default_zone="eu-west-1")
    checked = run_module("red5pro_streammanager_config", args, check_mode=True, diff=True)
    assert checked["changed"] is True
    assert checked["changed_keys"] == ["aws.defaultzone", "applicationContext.xml", "web.xml"]
    assert [d["after_header"].rsplit("/", 1)[1] for d in checked["diff"]] == [
        "red5-web.properties", "applicationContext.xml", "web.xml"]
    assert '<bean id="apiBridge" class="%s"' % AWS in checked["diff"][1]["after"]
    assert (read(home, "applicationContext.xml"), read(home, "web.xml")) == (app_before, web_before)

    result = run_module("red5pro_streammanager_config", args, diff=True)
    assert result["changed"] is True and result["restart_required"] is True
    app = read(home, "applicationContext.xml")
    assert '<bean id="apiBridge" class="%s"' % AWS in app
    assert '<!-- <bean id="apiBridge" class="%s"' % DUMMY in app
    assert read(home, "web.xml").count("<filter-class>org.apache.catalina.filters.CorsFilter</filter-class>") == 1

    again = run_module("red5pro_streammanager_config", args)
    assert again["changed"] is False and again["changed_keys"] == []


def test_missing_controller_bean_fails_before_any_file_is_written(run_module, home):
    app = home / REL.parent / "applicationContext.xml"
    app.write_text('<beans><bean id="apiBridge" class="x.Other"/></beans>')
    before = content(home)
    result = run_module("red5pro_streammanager_config",
                        dict(home=str(home), cloud_controller="aws", db_host="db2"))
    assert result.get("failed") is True, result
    assert "applicationContext.xml" in result["msg"] and "AWSInstanceController" in result["msg"]
    assert content(home) == before


def test_aws_keys_may_be_written_empty_for_the_controllers_placeholders(run_module, home):
    result = run_module("red5pro_streammanager_config",
                        dict(home=str(home), aws_access_key="", aws_secret_key=""))
    assert result["changed"] is True and result["changed_keys"] == ["aws.accessKey", "aws.accessSecret"]
    text = content(home).decode()
    assert "\r\naws.accessKey=\r\n" in text and "\r\naws.accessSecret=\r\n" in text
    assert "#aws.accessKey=" not in text
