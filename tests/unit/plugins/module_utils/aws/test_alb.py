"""Pure logic of module_utils/aws/alb.py: validation and comparison, no AWS calls."""
import copy

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws import alb as aws_elb
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws import classic_elb


def alb(**overrides):
    params = dict(
        name="sm", type="application", state="present", subnets=["subnet-1", "subnet-2"],
        health_check=None, cross_zone=None,
        target_groups=[dict(name="sm-5080", port=5080, protocol="HTTP", target_type="instance",
                            attributes=None, stickiness=None, health_check=None)],
        listeners=[dict(port=80, protocol="HTTP", certificate_arn=None, extra_certificate_arns=None,
                        ssl_policy=None, rules=None,
                        default_action=dict(type="forward", target_group="sm-5080"))],
    )
    params.update(overrides)
    return params


def test_valid_inputs_pass():
    aws_elb.validate(alb())
    aws_elb.validate(dict(name="x", type="application", state="absent"))
    classic_elb.validate(dict(name="x", type="classic", state="absent"))


@pytest.mark.parametrize("mutate, message", [
    (lambda p: p["target_groups"][0].update(attributes={"stickiness.nope": "1"}), "unknown target-group attribute"),
    (lambda p: p["listeners"][0].update(protocol="HTTPS"), "HTTPS listener needs certificate_arn"),
    (lambda p: p["listeners"][0].update(ssl_policy="ELBSecurityPolicy-2016-08"), "only for HTTPS"),
    (lambda p: p["listeners"][0]["default_action"].update(target_group="other"), "not declared"),
    (lambda p: p["listeners"].append(copy.deepcopy(p["listeners"][0])), "port 80 declared twice"),
    (lambda p: p["target_groups"].append(dict(p["target_groups"][0])), "name declared twice"),
    (lambda p: p["target_groups"][0].update(name="a_b"), "letters, digits"),
    (lambda p: p["listeners"][0].update(load_balancer_port=80), "only for type=classic"),
    (lambda p: p.update(cross_zone=True), "only for type=classic"),
    (lambda p: p["listeners"][0].update(rules=[
        dict(priority=1, conditions={}, action=dict(type="forward", target_group="sm-5080"))]), "condition"),
    (lambda p: p["listeners"][0].update(default_action=dict(type="redirect", redirect={})), "status_code"),
])
def test_application_validation(mutate, message):
    params = alb()
    mutate(params)
    with pytest.raises(aws_elb.BalancerError, match=message):
        aws_elb.validate(params)


def test_target_group_attributes_from_options():
    group = dict(algorithm="least_outstanding_requests", deregistration_delay=30,
                 stickiness=dict(enabled=True, type="lb_cookie", duration=3600, cookie_name=None),
                 attributes={"slow_start.duration_seconds": 60, "load_balancing.cross_zone.enabled": True})
    assert aws_elb.target_group_attributes(group) == {
        "load_balancing.algorithm.type": "least_outstanding_requests",
        "deregistration_delay.timeout_seconds": "30",
        "stickiness.enabled": "true",
        "stickiness.type": "lb_cookie",
        "stickiness.lb_cookie.duration_seconds": "3600",
        "slow_start.duration_seconds": "60",
        "load_balancing.cross_zone.enabled": "true",
    }
    assert aws_elb.target_group_attributes(dict(stickiness=dict(enabled=False))) == {"stickiness.enabled": "false"}


def test_redirect_defaults_compare_equal_to_described():
    redirect = dict(protocol="HTTPS", port=443, status_code="HTTP_301")
    declared = aws_elb.action_api(dict(type="redirect", redirect=redirect), {})
    described = {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "Host": "#{host}",
                                                        "Path": "/#{path}", "Query": "#{query}",
                                                        "StatusCode": "HTTP_301"}}
    assert aws_elb.action_key(declared) == aws_elb.action_key(described)


def test_forward_compares_with_forward_config():
    declared = aws_elb.action_api(dict(type="forward", target_group="tg"), {"tg": "arn:tg"})
    described = {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": "arn:tg", "Weight": 1}]}}
    assert aws_elb.action_key(declared) == aws_elb.action_key(described)


def test_conditions_round_trip():
    conditions = dict(host_header=["b.example", "a.example"], path_pattern=["/x/*"],
                      http_header=dict(name="X-Role", values=["edge"]),
                      query_string=[dict(key="mode", value="maint")])
    api = aws_elb.conditions_api(conditions)
    assert aws_elb._conditions_current(api) == aws_elb._conditions_wanted(conditions)
    legacy = [{"Field": "host-header", "Values": ["a.example", "b.example"]}]
    assert aws_elb._conditions_current(legacy) == aws_elb._conditions_wanted(dict(host_header=["b.example", "a.example"]))


def test_health_check_changes_only_declared_keys():
    current = {"HealthCheckPath": "/", "HealthCheckIntervalSeconds": 30, "HealthCheckPort": "traffic-port",
               "Matcher": {"HttpCode": "200"}}
    assert aws_elb.health_check_changes(current, dict(path="/", interval=30)) == {}
    assert aws_elb.health_check_changes(current, dict(interval=15, matcher="200-299")) == {
        "HealthCheckIntervalSeconds": 15, "Matcher": {"HttpCode": "200-299"}}
    assert aws_elb.health_check_changes(current, dict(port="traffic-port")) == {}


def test_dict_changes_compares_as_strings():
    assert aws_elb.dict_changes({"a": "true", "b": "30"}, {"a": "True", "b": "30"}) == {}
    assert aws_elb.dict_changes({"a": "true"}, {"a": "false", "c": "1"}) == {"a": "false", "c": "1"}


def nlb(**overrides):
    params = dict(
        name="ingest", type="network", state="present", subnets=["subnet-1"],
        health_check=None, cross_zone=True, idle_timeout=None,
        target_groups=[dict(name="rtmp", port=1935, protocol="TCP", target_type="instance", algorithm=None,
                            attributes=None, stickiness=None,
                            health_check=dict(protocol="TCP", interval=30, healthy_threshold=3)),
                       dict(name="srt", port=4200, protocol="UDP", target_type="instance", algorithm=None,
                            attributes=None, stickiness=None, health_check=dict(protocol="TCP", port="5080"))],
        listeners=[dict(port=1935, protocol="TCP", certificate_arn=None, extra_certificate_arns=None,
                        ssl_policy=None, rules=None, default_action=dict(type="forward", target_group="rtmp")),
                   dict(port=4200, protocol="UDP", certificate_arn=None, extra_certificate_arns=None,
                        ssl_policy=None, rules=None, default_action=dict(type="forward", target_group="srt"))],
    )
    params.update(overrides)
    return params


def test_network_input_passes():
    aws_elb.validate(nlb())


@pytest.mark.parametrize("mutate, message", [
    (lambda p: p["target_groups"][0].update(port=0), r"port 0 must be 1\.\.65535"),
    (lambda p: p["listeners"][0].update(port=70000), r"port 70000 must be 1\.\.65535"),
    (lambda p: p["target_groups"][0].update(protocol="HTTP"), "protocol HTTP is not one of TCP"),
    (lambda p: p["listeners"][1].update(default_action=dict(type="forward", target_group="rtmp")),
     "a UDP listener cannot forward to TCP target group rtmp"),
    (lambda p: p["listeners"][0].update(protocol="TLS"), "a TLS listener needs certificate_arn"),
    (lambda p: p["listeners"][0].update(ssl_policy="ELBSecurityPolicy-2016-08"), "only for TLS listeners"),
    (lambda p: p["listeners"][0].update(protocol="HTTP"), "protocol must be one of"),
    (lambda p: p["listeners"][0].update(rules=[dict(priority=1, conditions={}, action={})]), "rules only for type=application"),
    (lambda p: p["listeners"][0].update(default_action=dict(type="redirect", redirect={})), "can only forward"),
    (lambda p: p["target_groups"][0].update(algorithm="round_robin"), "algorithm only for type=application"),
    (lambda p: p["target_groups"][0].update(stickiness=dict(enabled=True, type="lb_cookie")), "source_ip only"),
    (lambda p: p["target_groups"][0]["health_check"].update(path="/"), "path and matcher need protocol HTTP"),
    (lambda p: p["target_groups"][1]["health_check"].update(port="0"), "health_check.port"),
    (lambda p: p.update(idle_timeout=60), "idle_timeout: only for"),
])
def test_network_validation(mutate, message):
    params = nlb()
    mutate(params)
    with pytest.raises(aws_elb.BalancerError, match=message):
        aws_elb.validate(params)


def test_application_target_group_port_zero_is_refused_before_any_call():
    params = alb()
    params["target_groups"][0]["port"] = 0
    with pytest.raises(aws_elb.BalancerError, match=r"target_groups\[0\] \(sm-5080\): port 0"):
        aws_elb.validate(params)


def test_classic_listener_port_range():
    params = dict(name="x", type="classic", state="present", subnets=["s"], target_groups=[],
                  health_check=None,
                  listeners=[dict(protocol="TCP", load_balancer_port=0, instance_port=1935)])
    with pytest.raises(aws_elb.BalancerError, match="load_balancer_port 0 must be"):
        classic_elb.validate(params)
