"""The validation layer: each check names the option, the value and the rule."""
import json
from pathlib import Path

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils import validation
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import (
    Checks,
    RegionCatalog,
    ValidationError,
    unknown_option_hints,
)


def refused(check, *args):
    checks = Checks()
    getattr(checks, check)(*args)
    return checks.problems


@pytest.mark.parametrize("check, args, words", [
    ("ip", ("a", "10.0.0.256"), "256 is above 255"),
    ("ip", ("a", "10.0.0"), "not an IPv4 address"),
    ("ip", ("a", "010.0.0.1"), "leading zero"),
    ("ip", ("a", "http://10.0.0.1"), "is a URL"),
    ("ip", ("a", "::1", 4), "is an IPv6 address"),
    ("ip", ("a", "10.0.0.1 10.0.0.2"), "single word"),
    ("host", ("h", "http://db.example.com:27017/x"), "give the host name or address alone (as 'db.example.com')"),
    ("host", ("h", "db.example.com:27017"), "host:port"),
    ("host", ("h", "-db"), "not a valid host name"),
    ("host", ("h", "300.1.1.1"), "300 is above 255"),
    ("host", ("h", "fe80::1::2"), "not a host name, IPv4 address or IPv6 address"),
    ("cidr", ("c", "10.0.0.0/33"), "not a valid CIDR block"),
    ("cidr", ("c", "10.0.0.1/16"), "host bits set"),
    ("cidr", ("c", "10.0.0.0/8", 4, (16, 28)), "/16 to /28"),
    ("cidr", ("c", "10.0.0"), "not a valid CIDR block"),
    ("port", ("p", 0), "from 1 to 65535"),
    ("port", ("p", 65536), "from 1 to 65535"),
    ("port", ("p", "http"), "whole number"),
    ("url", ("u", "sm.example.com"), "http or https URL"),
    ("url", ("u", "http://:80/"), "has no host"),
    ("url", ("u", "http://sm:99999/"), "is not a URL"),
    ("name", ("n", "x" * 33, "balancer"), "33 characters"),
    ("name", ("n", "internal-web", "balancer"), 'not beginning with "internal-"'),
    ("name", ("n", "web-", "target_group"), "not beginning or ending with a hyphen"),
    ("name", ("n", "ab", "launch_template"), "3-128"),
    ("name", ("n", "a:b", "autoscaling_group"), "without spaces or colons"),
    ("name", ("n", "my group", "streammanager"), "no spaces or slashes"),
    ("name", ("n", "sg-web", "security_group"), 'not beginning with "sg-"'),
    ("record_in_zone", ("r", "api.other.com", "example.com"), "not inside the hosted zone example.com."),
    ("record_in_zone", ("r", "api.other.com.", "example.com"), "not inside the hosted zone"),
    ("listener_certificate", ("l", "HTTPS", None), "needs a certificate"),
])
def test_each_refusal_names_option_value_and_rule(check, args, words):
    problems = refused(check, *args)
    assert len(problems) == 1, problems
    option, value, rule = problems[0]
    assert option == args[0]
    assert words in rule
    message = str(ValidationError(problems))
    assert message.startswith("%s=" % args[0]) and "refused" in message


@pytest.mark.parametrize("check, args", [
    ("ip", ("a", "10.0.0.255")), ("ip", ("a", "2001:db8::1")), ("ip", ("a", None)),
    ("host", ("h", "db-1.example.com")), ("host", ("h", "[2001:db8::1]")), ("host", ("h", "10.0.0.1")),
    ("cidr", ("c", "10.0.0.0/16", 4, (16, 28))), ("cidr", ("c", "0.0.0.0/0")), ("cidr", ("c", "::/0")),
    ("port", ("p", 1)), ("port", ("p", 65535)), ("port", ("p", "8080")),
    ("url", ("u", "https://sm.example.com:5080/streammanager")),
    ("name", ("n", "web-1", "balancer")), ("name", ("n", "edge-lt/v1_(2)", "launch_template")),
    ("name", ("n", "edges.1", "streammanager")),
    ("record_in_zone", ("r", "www", "example.com")), ("record_in_zone", ("r", "@", "example.com")),
    ("record_in_zone", ("r", "a.b.example.com", "example.com.")), ("record_in_zone", ("r", "\\052.example.com", "example.com")),
    ("listener_certificate", ("l", "HTTPS", "arn:aws:acm:us-east-1:1:certificate/x")),
    ("listener_certificate", ("l", "HTTP", None)),
])
def test_valid_values_pass(check, args):
    assert refused(check, *args) == []


def test_capacity_and_ebs_ranges():
    checks = Checks()
    checks.capacity(("min_size", "desired_capacity", "max_size"), (3, 2, 1))
    checks.capacity(("a", "b", "c"), (1, 5, 3))
    checks.capacity(("x", "y", "z"), (-1, None, None))
    checks.ebs_volume("bd[0]", "gp3", 10, 20000, 2000)
    checks.ebs_volume("bd[1]", "io2", 10)
    checks.ebs_volume("bd[2]", "gp2", 0, None, 200)
    options = [p[0] for p in checks.problems]
    assert options == ["min_size", "b", "x", "bd[0].iops", "bd[0].throughput", "bd[1].iops",
                       "bd[2].volume_size", "bd[2].throughput"]
    checks = Checks()
    checks.capacity(("a", "b", "c"), (0, 2, 4))
    checks.ebs_volume("bd", "gp3", 100, 16000, 1000)
    checks.ebs_volume("bd", "io2", 100, 256000)
    assert checks.problems == []


def test_done_raises_all_problems_at_once():
    checks = Checks()
    checks.port("a", 0)
    checks.ip("b", "1.2.3.999")
    with pytest.raises(ValidationError) as info:
        checks.done()
    assert [p[0] for p in info.value.problems] == ["a", "b"]
    assert "a=0 refused" in str(info.value) and "b='1.2.3.999' refused" in str(info.value)


def test_every_module_has_rules_and_the_rules_take_empty_params():
    modules = {"alicloud_ros_stack", "antmedia_cluster_mode", "antmedia_cluster_nodes", "aws_balancer",
               "aws_deployment_info", "aws_dns", "aws_fleet", "aws_fleet_rollout", "aws_image", "aws_instance",
               "aws_instance_profile", "aws_launch_template", "aws_network", "mongodb_users",
               "red5pro_launch_config", "red5pro_node_config", "red5pro_node_group", "red5pro_scale_policy",
               "red5pro_streammanager_config", "red5pro_streammanager_info", "wcs_config", "wcs_stats_info"}
    assert modules <= set(validation.INPUT_RULES)
    module_dir = Path(validation.__file__).resolve().parents[1] / "modules"
    assert set(validation.INPUT_RULES) <= set(path.stem for path in module_dir.glob("*.py"))
    for name in validation.INPUT_RULES:
        validation.check_input(name, {})  # options not given are not checked


def test_unknown_option_hints_top_level_and_nested():
    spec = dict(name=dict(), cidr_block=dict(aliases=["cidr"]),
                subnets=dict(type="list", options=dict(cidr=dict(), availability_zone=dict())))
    hints = unknown_option_hints(spec, {"cidr_blok", ("subnets", "availability_zon"), "zzzz"})
    assert hints == [
        "unknown option cidr_blok; did you mean cidr_block or cidr?",
        "unknown option subnets.availability_zon; did you mean subnets.availability_zone?",
        "unknown option zzzz; the module takes cidr_block, name, subnets",
    ]


class FakeEC2:
    def __init__(self):
        self.calls = []

    def describe_availability_zones(self, **kwargs):
        self.calls.append("zones")
        return {"AvailabilityZones": [{"ZoneName": "us-east-1a", "ZoneId": "use1-az1"},
                                      {"ZoneName": "us-east-1b", "ZoneId": "use1-az2"}]}

    def describe_instance_type_offerings(self, **kwargs):
        self.calls.append(("types", tuple(kwargs["Filters"][0]["Values"])))
        return {"InstanceTypeOfferings": [{"InstanceType": "t3.micro"}]}


def test_region_catalog_asks_once_and_names_the_option():
    ec2 = FakeEC2()
    catalog = RegionCatalog(ec2)
    checks = Checks()
    catalog.check_zones(checks, [("subnets[0].availability_zone", "us-east-1a"),
                                 ("subnets[1].availability_zone", "us-east-1z"),
                                 ("subnets[2].availability_zone", "use1-az2")])
    catalog.check_zones(checks, [("again", "us-east-1b")])
    catalog.check_instance_types(checks, [("instance_type", "t3.micro"), ("other", "c5.huge")])
    catalog.check_instance_types(checks, [("instance_type", "t3.micro")])
    assert ec2.calls == ["zones", ("types", ("c5.huge", "t3.micro"))]
    assert [p[0] for p in checks.problems] == ["subnets[1].availability_zone", "other"]
    assert "did you mean us-east-1" in checks.problems[0][2]


def test_module_edge_reports_in_words():
    failures = []

    class FakeModule:
        _name = "wcs_config"

        def fail_json(self, **kwargs):
            failures.append(kwargs)
            raise SystemExit(1)

    @validation.module_edge
    def main():
        validation.register_module(FakeModule())
        raise KeyError("cdn_role")

    with pytest.raises(SystemExit):
        main()
    assert failures[0]["msg"].startswith("wcs_config stopped on an unexpected KeyError: 'cdn_role'")
    assert "Traceback" not in json.dumps(failures)


# Rules of the modules added after the first bad-input tables (issue #21 item 6): each hostile
# value is refused by the rule, naming the option, before the module's first call.
@pytest.mark.parametrize("module, params, option, words", [
    ("antmedia_admin_user", dict(url="http://10.0.0.256:5080"), "url", "256 is above 255"),
    ("antmedia_admin_user", dict(url="http://127.0.0.1:70000"), "url", "is not a URL"),
    ("antmedia_admin_user", dict(url="http://console host:5080"), "url", "white space"),
    ("antmedia_admin_user", dict(timeout=0), "timeout", "at least 1"),
    ("antmedia_admin_user", dict(wait_timeout=-1), "wait_timeout", "from 0 to 86400"),
    ("endpoint_check", dict(url="http://bad host/"), "url", "white space"),
    ("endpoint_check", dict(url="http://127.0.0.1:70000/"), "url", "is not a URL"),
    ("endpoint_check", dict(domain="https://www.example.com"), "domain", "is a URL"),
    ("endpoint_check", dict(expect_status=[200, 700]), "expect_status[1]", "RFC 9110 section 15"),
    ("endpoint_check", dict(headers={"X-Bad\nHeader": "x"}), "headers", "section 5.1"),
    ("endpoint_check", dict(headers={"X-Trace": "a\r\nSet-Cookie: x=1"}), "headers[X-Trace]", "section 5.5"),
])
def test_module_rules_refuse_before_any_call(module, params, option, words):
    with pytest.raises(ValidationError) as info:
        validation.check_input(module, params)
    assert [(p[0], words in p[2]) for p in info.value.problems] == [(option, True)], info.value.problems


@pytest.mark.parametrize("module, params", [
    ("antmedia_admin_user", dict(url="http://127.0.0.1:5080", timeout=10, wait_timeout=0)),
    ("antmedia_admin_user", dict(url="https://lb.example.com/console/")),
    ("endpoint_check", dict(url="https://live.example.com:5443/rest/v2/version", domain="live.example.com",
                            expect_status=[200, 301], headers={"Authorization": "Bearer x"}, timeout=5)),
])
def test_module_rules_pass_valid_input(module, params):
    validation.check_input(module, params)


def test_a_refused_header_value_is_never_shown():
    with pytest.raises(ValidationError) as info:
        validation.check_input("endpoint_check", dict(headers={"Authorization": "Bearer sekrit\n"}))
    assert "sekrit" not in str(info.value) and "(hidden)" in str(info.value)


@pytest.mark.parametrize("module, params, option, words", [
    ("aws_elastic_ips", dict(deployment="a b"), "deployment", "1-128 letters"),
    ("aws_image_info", dict(name="x" * 129), "name", "at most 128"),
    ("aws_image_info", dict(name="edge:*"), "name", "wildcards"),
    ("aws_image_info", dict(owners=["self", "amazn"]), "owners[1]", "twelve-digit account id"),
    ("aws_image_info", dict(owners=["12345"]), "owners[0]", "API_DescribeImages"),
    ("aws_notification_topic", dict(display_name="x" * 101), "display_name", "at most 100"),
    ("aws_notification_topic", dict(subscriptions=[dict(protocol="https", endpoint="https://10.0.0.256/")]),
     "subscriptions[0].endpoint", "256 is above 255"),
    ("aws_notification_topic", dict(subscriptions=[dict(protocol="sqs", endpoint="arn:aws:sqs:us-east-1:q")]),
     "subscriptions[0].endpoint", "must be an ARN of sqs"),
    ("aws_notification_topic", dict(subscriptions=[dict(protocol="sqs",
                                                        endpoint="arn:aws:sqs:us-east-1:123456789012:a b")]),
     "subscriptions[0].endpoint", "queue name"),
    ("aws_notification_topic", dict(subscriptions=[dict(protocol="lambda",
                                                        endpoint="arn:aws:sqs:us-east-1:123456789012:q")]),
     "subscriptions[0].endpoint", "must be an ARN of lambda"),
    ("aws_notification_topic", dict(subscriptions=[dict(protocol="sms", endpoint="555-0100")]),
     "subscriptions[0].endpoint", "E.164"),
    ("aws_secret", dict(kms_key_id="not a key"), "kms_key_id", "alias/NAME"),
    ("aws_secret", dict(kms_key_id="arn:aws:kms:us-east-1:123456789012:db-key"), "kms_key_id", "key/KEY-ID"),
    ("aws_secret", dict(kms_key_id="arn:aws:s3:us-east-1:123456789012:key/x"), "kms_key_id", "must be an ARN of kms"),
    ("aws_security_group_attachment", dict(db_instance_identifier="db--main"), "db_instance_identifier",
     "two hyphens"),
    ("aws_security_group_attachment", dict(db_instance_identifier="db-"), "db_instance_identifier", "API_CreateDBInstance"),
])
def test_aws_module_rules_refuse_before_any_call(module, params, option, words):
    with pytest.raises(ValidationError) as info:
        validation.check_input(module, params)
    assert [(p[0], words in p[2]) for p in info.value.problems] == [(option, True)], info.value.problems


@pytest.mark.parametrize("module, params", [
    ("aws_image_info", dict(name="ubuntu/images/hvm-ssd/ubuntu-*-22.04-amd64-server-????????",
                            owners=["099720109477", "self", "amazon"])),
    ("aws_notification_topic", dict(display_name="Streamfleet alarms", subscriptions=[
        dict(protocol="https", endpoint="https://hooks.example.com/alarm"),
        dict(protocol="sqs", endpoint="arn:aws:sqs:us-east-1:123456789012:alarms.fifo"),
        dict(protocol="lambda", endpoint="arn:aws:lambda:us-east-1:123456789012:function:page:live"),
        dict(protocol="sms", endpoint="+14155550100"),
        dict(protocol="email", endpoint="ops@example.com")])),
    ("aws_secret", dict(kms_key_id="1234abcd-12ab-34cd-56ef-1234567890ab")),
    ("aws_secret", dict(kms_key_id="alias/aws/ssm")),
    ("aws_secret", dict(kms_key_id="arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")),
    ("aws_secret", dict(kms_key_id="arn:aws:kms:eu-west-1:123456789012:alias/streamfleet")),
    ("aws_security_group_attachment", dict(db_instance_identifier="mongo-1")),
])
def test_aws_module_rules_pass_valid_input(module, params):
    validation.check_input(module, params)


def test_entry_secret_values_are_those_of_the_modules_own_secret_options():
    spec = dict(
        name=dict(type='str'), value=dict(type='str', no_log=True), token=dict(type='dict', no_log=True),
        secrets=dict(type='list', elements='dict', no_log=False),
        # a list with its own sub-options is Ansible's to mask, not an entry list
        users=dict(type='list', elements='dict', options=dict(password=dict(type='str', no_log=True))),
        tags=dict(type='list', elements='str'))
    params = dict(
        secrets=[dict(name="/a", value="s3cret-1"), "not-an-entry", dict(name="/b", value=1234, enabled=True),
                 dict(name="/c", token=dict(inner=["s3cret-2", None, True])), dict(name="/d", value=None)],
        users=[dict(password="handled-by-ansible")], tags=["value"])
    assert validation.entry_secret_values(spec, params) == {"s3cret-1", "1234", "s3cret-2"}
    # raw input that is not what the spec says is passed over, never an error
    assert validation.entry_secret_values(spec, dict(secrets="s3cret")) == set()
    assert validation.entry_secret_values(spec, None) == set()
