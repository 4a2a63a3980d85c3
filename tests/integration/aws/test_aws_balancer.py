"""aws_balancer against moto: Classic and Application balancers, converged and removed."""
import copy


DEPLOYMENT = "lbtest"
CHANGING_PREFIXES = ("Create", "Modify", "Delete", "Set", "Add", "Remove", "Register", "Deregister",
                     "Configure", "Apply", "Attach", "Detach", "Put", "Request", "Change", "Update")


def changing_calls(result):
    return [name for name in result.get("api_calls", {})
            if name.split(".", 1)[1].startswith(CHANGING_PREFIXES)]


def alb_args(network, **overrides):
    args = dict(
        name="sm-alb",
        deployment=DEPLOYMENT,
        subnets=network["subnet_ids"],
        security_groups=[network["security_group_id"]],
        idle_timeout=60,
        target_groups=[
            dict(name="sm-5080", port=5080, algorithm="least_outstanding_requests",
                 stickiness=dict(type="lb_cookie", duration=3600), deregistration_delay=30,
                 health_check=dict(path="/", interval=30, timeout=5, healthy_threshold=3,
                                   unhealthy_threshold=5, matcher="200")),
            dict(name="sm-edge", port=5080, health_check=dict(path="/live")),
        ],
        listeners=[
            dict(port=80, protocol="HTTP",
                 default_action=dict(type="redirect", redirect=dict(protocol="HTTPS", port="443",
                                                                    status_code="HTTP_301"))),
            dict(port=5080, protocol="HTTP",
                 default_action=dict(type="forward", target_group="sm-5080"),
                 rules=[
                     dict(priority=10, conditions=dict(path_pattern=["/edge/*"]),
                          action=dict(type="forward", target_group="sm-edge")),
                     dict(priority=20, conditions=dict(host_header=["edge.example.test"],
                                                       http_header=dict(name="X-Role", values=["edge"])),
                          action=dict(type="forward", target_group="sm-edge")),
                     dict(priority=30, conditions=dict(query_string=[dict(key="mode", value="maint")]),
                          action=dict(type="fixed_response",
                                      fixed_response=dict(status_code="503", content_type="text/plain",
                                                          message_body="maintenance"))),
                 ]),
        ],
    )
    args.update(overrides)
    return args


def classic_args(network, **overrides):
    args = dict(
        name="wcs-edge", type="classic", deployment=DEPLOYMENT,
        subnets=network["subnet_ids"], security_groups=[network["security_group_id"]],
        cross_zone=True, idle_timeout=60,
        listeners=[dict(protocol="HTTP", load_balancer_port=8080, instance_port=8080),
                   dict(protocol="TCP", load_balancer_port=8443, instance_port=8443)],
        health_check=dict(target="HTTP:8081/?action=stat", interval=30, timeout=5,
                          healthy_threshold=3, unhealthy_threshold=5),
    )
    args.update(overrides)
    return args


def test_application_lifecycle(run_module, aws, network):
    elbv2 = aws.elbv2
    args = alb_args(network)

    result = run_module("aws_balancer", args, check_mode=True, diff=True)
    assert result["changed"] is True, result
    assert not changing_calls(result)
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []
    assert aws.tagged(DEPLOYMENT) == []

    result = run_module("aws_balancer", args)
    assert result["changed"] is True, result
    lb = result["load_balancer"]
    assert lb["dns_name"] and lb["arn"] and lb["canonical_hosted_zone_id"]
    assert set(result["target_groups"]) == {"sm-5080", "sm-edge"}
    attrs = {a["Key"]: a["Value"] for a in elbv2.describe_target_group_attributes(
        TargetGroupArn=result["target_groups"]["sm-5080"])["Attributes"]}
    assert attrs["load_balancing.algorithm.type"] == "least_outstanding_requests"
    assert attrs["stickiness.type"] == "lb_cookie"
    assert attrs["stickiness.lb_cookie.duration_seconds"] == "3600"
    assert attrs["deregistration_delay.timeout_seconds"] == "30"
    listeners = {item["Port"]: item for item in elbv2.describe_listeners(LoadBalancerArn=lb["arn"])["Listeners"]}
    assert set(listeners) == {80, 5080}
    redirect = listeners[80]["DefaultActions"][0]
    assert redirect["Type"] == "redirect" and redirect["RedirectConfig"]["StatusCode"] == "HTTP_301"
    rules = [r for r in elbv2.describe_rules(ListenerArn=listeners[5080]["ListenerArn"])["Rules"]
             if not r["IsDefault"]]
    assert sorted(int(r["Priority"]) for r in rules) == [10, 20, 30]

    result = run_module("aws_balancer", args)
    assert result["changed"] is False, result["changes"]
    assert not changing_calls(result)
    noop_calls = result["api_calls"]

    # update in place: health check, attribute, rule action, default action, drop a rule
    updated = copy.deepcopy(args)
    updated["target_groups"][0]["health_check"]["interval"] = 15
    updated["target_groups"][0]["deregistration_delay"] = 10
    updated["idle_timeout"] = 120
    updated["listeners"][1]["rules"] = updated["listeners"][1]["rules"][:2]
    updated["listeners"][1]["rules"][0]["action"]["target_group"] = "sm-5080"
    updated["listeners"][0]["default_action"] = dict(
        type="fixed_response", fixed_response=dict(status_code="404", content_type="text/plain", message_body="no"))

    result = run_module("aws_balancer", updated, check_mode=True, diff=True)
    assert result["changed"] is True
    assert not changing_calls(result)
    assert result["diff"]["before"]["attributes"] == {"idle_timeout.timeout_seconds": "60"}
    assert result["diff"]["after"]["attributes"] == {"idle_timeout.timeout_seconds": "120"}
    group = elbv2.describe_target_groups(Names=["sm-5080"])["TargetGroups"][0]
    assert group["HealthCheckIntervalSeconds"] == 30

    result = run_module("aws_balancer", updated)
    assert result["changed"] is True
    assert any("modify health check of sm-5080" in c for c in result["changes"])
    assert any("delete rule 30" in c for c in result["changes"])
    group = elbv2.describe_target_groups(Names=["sm-5080"])["TargetGroups"][0]
    assert group["HealthCheckIntervalSeconds"] == 15
    assert run_module("aws_balancer", updated)["changed"] is False

    # dropping a target group (and the rules using it) deletes it: it is owned by the task
    smaller = copy.deepcopy(updated)
    smaller["target_groups"] = smaller["target_groups"][:1]
    smaller["listeners"][1]["rules"] = smaller["listeners"][1]["rules"][:1]
    result = run_module("aws_balancer", smaller)
    assert "delete target group sm-edge" in result["changes"]
    names = [g["TargetGroupName"] for g in elbv2.describe_target_groups()["TargetGroups"]]
    assert names == ["sm-5080"]

    absent = dict(name="sm-alb", deployment=DEPLOYMENT, state="absent")
    result = run_module("aws_balancer", absent, check_mode=True)
    assert result["changed"] is True and not changing_calls(result)
    assert elbv2.describe_load_balancers()["LoadBalancers"]
    result = run_module("aws_balancer", absent)
    assert result["changed"] is True
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []
    assert elbv2.describe_target_groups()["TargetGroups"] == []
    assert aws.tagged(DEPLOYMENT) == []
    assert run_module("aws_balancer", absent)["changed"] is False
    print("no-op calls (application):", noop_calls)


def test_https_listener_with_certificate(run_module, aws, network):
    cert = aws.acm.request_certificate(DomainName="sm.example.test")["CertificateArn"]
    args = alb_args(network, listeners=[
        dict(port=443, protocol="HTTPS", certificate_arn=cert, ssl_policy="ELBSecurityPolicy-2016-08",
             default_action=dict(type="forward", target_group="sm-5080"))])
    result = run_module("aws_balancer", args)
    assert result["changed"] is True, result
    listener = aws.elbv2.describe_listeners(LoadBalancerArn=result["load_balancer"]["arn"])["Listeners"][0]
    assert listener["Certificates"][0]["CertificateArn"] == cert
    assert run_module("aws_balancer", args)["changed"] is False


def nlb_args(network, **overrides):
    args = dict(
        name="ingest", type="network", deployment=DEPLOYMENT,
        subnets=network["subnet_ids"], security_groups=[network["security_group_id"]], cross_zone=True,
        target_groups=[
            dict(name="ingest-rtmp", protocol="TCP", port=1935, deregistration_delay=30,
                 health_check=dict(protocol="TCP", interval=30, healthy_threshold=3, unhealthy_threshold=3)),
            dict(name="ingest-srt", protocol="UDP", port=4200, health_check=dict(protocol="TCP", port="5080")),
        ],
        listeners=[
            dict(port=1935, protocol="TCP", default_action=dict(type="forward", target_group="ingest-rtmp")),
            dict(port=4200, protocol="UDP", default_action=dict(type="forward", target_group="ingest-srt")),
        ],
    )
    args.update(overrides)
    return args


def test_network_lifecycle(run_module, aws, network):
    """A network balancer: TCP and UDP listeners, TCP health checks, TLS added, removed."""
    elbv2 = aws.elbv2
    args = nlb_args(network)
    result = run_module("aws_balancer", args, check_mode=True)
    assert result["changed"] is True and not changing_calls(result)
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []

    result = run_module("aws_balancer", args)
    assert result["changed"] is True, result
    lb = result["load_balancer"]
    assert lb["type"] == "network" and lb["dns_name"]
    described = elbv2.describe_load_balancers(Names=["ingest"])["LoadBalancers"][0]
    assert described["Type"] == "network"
    attributes = {a["Key"]: a["Value"] for a in elbv2.describe_load_balancer_attributes(
        LoadBalancerArn=lb["arn"])["Attributes"]}
    assert attributes["load_balancing.cross_zone.enabled"] == "true"
    groups = {g["TargetGroupName"]: g for g in elbv2.describe_target_groups()["TargetGroups"]}
    assert (groups["ingest-rtmp"]["Protocol"], groups["ingest-rtmp"]["Port"]) == ("TCP", 1935)
    assert groups["ingest-rtmp"]["HealthCheckProtocol"] == "TCP"
    assert groups["ingest-rtmp"]["UnhealthyThresholdCount"] == 3
    assert (groups["ingest-srt"]["Protocol"], groups["ingest-srt"]["HealthCheckPort"]) == ("UDP", "5080")
    listeners = {item["Port"]: item for item in elbv2.describe_listeners(LoadBalancerArn=lb["arn"])["Listeners"]}
    assert {p: l["Protocol"] for p, l in listeners.items()} == {1935: "TCP", 4200: "UDP"}
    assert listeners[1935]["DefaultActions"][0]["TargetGroupArn"] == groups["ingest-rtmp"]["TargetGroupArn"]

    result = run_module("aws_balancer", args)
    assert result["changed"] is False, result["changes"]
    assert not changing_calls(result)
    assert "elbv2.DescribeRules" not in result["api_calls"]
    print("no-op calls (network):", result["api_calls"])

    cert = aws.acm.request_certificate(DomainName="ingest.example.test")["CertificateArn"]
    with_tls = nlb_args(network)
    with_tls["listeners"].append(dict(port=8443, protocol="TLS", certificate_arn=cert,
                                      ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06",
                                      default_action=dict(type="forward", target_group="ingest-rtmp")))
    result = run_module("aws_balancer", with_tls)
    assert result["changes"] == ["create listener 8443"], result
    assert run_module("aws_balancer", with_tls)["changed"] is False

    # an application task for the same name refuses: the type cannot change in place
    result = run_module("aws_balancer", alb_args(network, name="ingest"))
    assert result["failed"] is True and "is of type network" in result["msg"]
    assert not changing_calls(result)

    absent = dict(name="ingest", type="network", deployment=DEPLOYMENT, state="absent")
    assert run_module("aws_balancer", absent)["changed"] is True
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []
    assert elbv2.describe_target_groups()["TargetGroups"] == []
    assert aws.tagged(DEPLOYMENT) == []


def test_classic_lifecycle(run_module, aws, network):
    elb = aws.elb
    args = classic_args(network)
    result = run_module("aws_balancer", args, check_mode=True)
    assert result["changed"] is True and not changing_calls(result)
    assert elb.describe_load_balancers()["LoadBalancerDescriptions"] == []

    result = run_module("aws_balancer", args)
    assert result["changed"] is True, result
    assert result["load_balancer"]["dns_name"]
    described = elb.describe_load_balancers(LoadBalancerNames=["wcs-edge"])["LoadBalancerDescriptions"][0]
    assert described["HealthCheck"]["Target"] == "HTTP:8081/?action=stat"
    attributes = elb.describe_load_balancer_attributes(LoadBalancerName="wcs-edge")["LoadBalancerAttributes"]
    assert attributes["CrossZoneLoadBalancing"]["Enabled"] is True

    result = run_module("aws_balancer", args)
    assert result["changed"] is False, result["changes"]
    assert not changing_calls(result)
    print("no-op calls (classic):", result["api_calls"])

    check = dict(target="HTTP:8081/?action=stat", interval=10, timeout=5, healthy_threshold=2, unhealthy_threshold=5)
    updated = classic_args(network, health_check=check,
                           listeners=[dict(protocol="HTTP", load_balancer_port=8080, instance_port=8081)])
    result = run_module("aws_balancer", updated, check_mode=True, diff=True)
    assert result["changed"] is True and not changing_calls(result)
    result = run_module("aws_balancer", updated)
    assert result.get("changed") is True, result.get("msg")
    described = elb.describe_load_balancers(LoadBalancerNames=["wcs-edge"])["LoadBalancerDescriptions"][0]
    assert described["HealthCheck"]["Interval"] == 10
    assert [d["Listener"]["InstancePort"] for d in described["ListenerDescriptions"]] == [8081]
    assert run_module("aws_balancer", updated)["changed"] is False

    absent = dict(name="wcs-edge", type="classic", deployment=DEPLOYMENT, state="absent")
    assert run_module("aws_balancer", absent)["changed"] is True
    assert elb.describe_load_balancers()["LoadBalancerDescriptions"] == []
    assert aws.tagged(DEPLOYMENT) == []


BAD_BALANCER_INPUT = [
    (lambda a: a["target_groups"][0].update(attributes={"stickiness.bogus": "1"}), "unknown target-group attribute"),
    (lambda a: a["listeners"][0].update(protocol="HTTPS"), "HTTPS listener needs certificate_arn"),
    (lambda a: a["listeners"][1]["default_action"].update(target_group="nope"), "is not declared"),
    (lambda a: a["listeners"][1]["rules"][1].update(priority=10), "declared twice"),
    (lambda a: a["target_groups"][1].update(port=0), "port 0 must be 1..65535"),
]


def test_bad_input_changes_nothing(run_module, aws, network):
    """Each bad task fails with a clear message before any AWS call at all."""
    for change, message in BAD_BALANCER_INPUT:
        args = alb_args(network)
        change(args)
        result = run_module("aws_balancer", args)
        assert result.get("failed") is True, (message, result)
        assert message in result["msg"], (message, result["msg"])
        assert not result.get("api_calls"), message
    bad_nlb = nlb_args(network)
    bad_nlb["listeners"][1]["default_action"]["target_group"] = "ingest-rtmp"
    result = run_module("aws_balancer", bad_nlb)
    assert result["failed"] is True and "UDP listener cannot forward to TCP" in result["msg"]
    assert not result.get("api_calls")
    result = run_module("aws_balancer", classic_args(network, health_check=dict(target="8081/?action=stat")))
    assert result["failed"] is True and "health_check.target" in result["msg"]
    assert aws.elbv2.describe_load_balancers()["LoadBalancers"] == []
    assert aws.elb.describe_load_balancers()["LoadBalancerDescriptions"] == []


def test_foreign_balancer_is_not_adopted(run_module, aws, network):
    aws.elbv2.create_load_balancer(Name="sm-alb", Subnets=network["subnet_ids"])
    result = run_module("aws_balancer", alb_args(network))
    assert result["failed"] is True and "does not carry" in result["msg"]
    assert not changing_calls(result)


def test_playbook_check_then_apply(playbook, aws, network):
    """One ansible-playbook run: check mode, create, re-run, remove."""
    args = classic_args(network)
    absent = dict(name="wcs-edge", type="classic", deployment=DEPLOYMENT, state="absent")
    results = playbook.run([
        {"name": "check", "streamfleet.cluster.aws_balancer": args, "check_mode": True},
        {"name": "create", "streamfleet.cluster.aws_balancer": args},
        {"name": "again", "streamfleet.cluster.aws_balancer": args},
        {"name": "remove", "streamfleet.cluster.aws_balancer": absent},
    ], diff=True)
    check, create, again, remove = results
    assert check["changed"] is True and "load_balancer" not in check
    assert create["changed"] is True and create["load_balancer"]["dns_name"]
    assert again["changed"] is False
    assert remove["changed"] is True
    assert aws.tagged(DEPLOYMENT) == []


def two_balancers(network):
    """Issue 20: the application and the ingest network balancer of a cluster in one task."""
    shared = dict(deployment=DEPLOYMENT, subnets=network["subnet_ids"], security_groups=[network["security_group_id"]])
    entries = [dict((k, v) for k, v in alb_args(network).items() if k not in shared),
               dict((k, v) for k, v in nlb_args(network).items() if k not in shared)]
    return shared, entries


def test_several_balancers_in_one_task(run_module, aws, network):
    shared, entries = two_balancers(network)
    plan = run_module("aws_balancer", dict(shared, balancers=entries), check_mode=True, diff=True)
    assert plan["changed"] is True and [r["changed"] for r in plan["results"]] == [True, True]
    assert [d["after"]["type"] for d in plan["diff"]] == ["application", "network"]
    assert not changing_calls(plan)
    assert aws.elbv2.describe_load_balancers()["LoadBalancers"] == []

    created = run_module("aws_balancer", dict(shared, balancers=entries))
    assert created["changed"] is True, created
    assert [(r["load_balancer"]["name"], r["load_balancer"]["type"]) for r in created["results"]] == [
        ("sm-alb", "application"), ("ingest", "network")]
    assert any(c.startswith("ingest: ") for c in created["changes"])
    found = dict((b["LoadBalancerName"], b["Type"]) for b in aws.elbv2.describe_load_balancers()["LoadBalancers"])
    assert found == {"sm-alb": "application", "ingest": "network"}

    again = run_module("aws_balancer", dict(shared, balancers=entries))
    assert again["changed"] is False and [r["changed"] for r in again["results"]] == [False, False]
    # the calls of the two balancers' no-ops, one task each, but the region's target groups
    # listed once for both (issue 20: the entries share that read while nothing changes)
    singles = [run_module("aws_balancer", dict(shared, **entry)) for entry in entries]
    assert [s["changed"] for s in singles] == [False, False]
    expected = {}
    for single in singles:
        for call, count in single["api_calls"].items():
            expected[call] = expected.get(call, 0) + count
    assert expected["elbv2.DescribeTargetGroups"] == 2
    expected["elbv2.DescribeTargetGroups"] = 1
    print("no-op calls (two balancers, one task):", again["api_calls"])
    assert again["api_calls"] == expected
    # after an entry's change the next entry lists them again: the ALB gains a target group,
    # the ingest balancer (after it) must still see its own and claim none of the new one's
    grown = [dict(entries[0], target_groups=entries[0]["target_groups"] + [dict(
        name="sm-extra", port=5081)]), entries[1]]
    changed = run_module("aws_balancer", dict(shared, balancers=grown))
    assert [r["changed"] for r in changed["results"]] == [True, False], changed["changes"]
    assert changed["api_calls"]["elbv2.DescribeTargetGroups"] >= 2
    assert run_module("aws_balancer", dict(shared, balancers=grown))["changed"] is False
    run_module("aws_balancer", dict(shared, balancers=entries))

    # the ingest balancer turned off (both ingest protocols off) in the same task
    entries[1] = dict(name="ingest", type="network", state="absent")
    removed = run_module("aws_balancer", dict(shared, balancers=entries))
    assert [r["changed"] for r in removed["results"]] == [False, True]
    assert [b["LoadBalancerName"] for b in aws.elbv2.describe_load_balancers()["LoadBalancers"]] == ["sm-alb"]


def test_bad_balancer_fails_before_any_call(run_module, aws, network):
    shared, entries = two_balancers(network)
    cases = [
        (dict(entries[1], listeners=[dict(entries[1]["listeners"][0], default_action=dict(type="forward", target_group="nope"))]),
         "balancers[1]: listeners[0].default_action: target_group 'nope' is not declared"),
        (dict(entries[1], type="gateway"), "balancers[1]: value of type must be one of"),
        (dict(entries[1], subnets=None), "balancers[1]: state is present but all of the following are missing: subnets"),
        (dict((k, v) for k, v in entries[1].items() if k != "name"), "balancers[1]: missing required arguments: name"),
        (dict(entries[1], purge_tags=True), "balancers[1]: purge_tags. Supported parameters include"),
    ]
    for bad, message in cases:
        result = run_module("aws_balancer", dict(shared, balancers=[entries[0], bad]))
        assert result.get("failed") is True, (message, result)
        assert message in result["msg"], (message, result["msg"])
        assert not result.get("api_calls"), message
    assert aws.elbv2.describe_load_balancers()["LoadBalancers"] == []


def test_failing_balancer_names_what_converged_before_it(run_module, aws, network):
    shared, entries = two_balancers(network)
    aws.elbv2.create_load_balancer(Name="ingest", Subnets=network["subnet_ids"], Type="network")
    result = run_module("aws_balancer", dict(shared, balancers=entries))
    assert result.get("failed") is True
    assert "does not carry" in result["msg"], result["msg"]
    assert "(entries converged before it: sm-alb (changed))" in result["msg"]
    assert [r["load_balancer"]["name"] for r in result["results"]] == ["sm-alb"]


def test_name_and_balancers_exclude_each_other(run_module, network):
    result = run_module("aws_balancer", alb_args(network, balancers=[dict(name="b")]))
    assert result.get("failed") is True and "mutually exclusive" in result["msg"]
