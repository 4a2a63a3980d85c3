"""Wrong token, server errors with retries, slow readiness and the info module."""
import json

WRONG = "wrong-token-9d8c7b"
POLICY = [{"name": "default", "targets": [{"role": "origin", "min_limit": 1, "max_limit": 2}]}]


def test_wrong_token_fails_clearly_without_leaking_it(sm, run_module):
    result = run_module("red5pro_scale_policy", sm.conn(access_token=WRONG, name="p", regions=POLICY))
    assert result["failed"] is True
    assert result["status"] == 401
    assert "HTTP 401" in result["msg"] and "check access_token" in result["msg"]
    assert "Invalid or missing accessToken" in result["msg"]
    assert WRONG not in json.dumps(result)
    assert sm.state()["policies"] == {}
    # a 401 is not retried
    assert len(sm.state()["requests"]) == 1


def test_info_wrong_token_fails_even_for_readiness(sm, run_module):
    result = run_module("red5pro_streammanager_info", sm.conn(access_token=WRONG, gather=["readiness"]))
    assert result["failed"] is True and result["status"] == 401
    assert WRONG not in json.dumps(result)


def test_5xx_is_retried_then_succeeds(sm, run_module):
    sm.fail("/configurations/scalepolicy", status=503, count=2, method="POST", message="busy")
    result = run_module("red5pro_scale_policy", sm.conn(name="p", regions=POLICY, retries=3))
    assert result["changed"] is True
    assert "p" in sm.state()["policies"]
    posts = [r for r in sm.state()["requests"] if r[0] == "POST"]
    assert len(posts) == 3


def test_persistent_5xx_fails_with_status_and_message(sm, run_module):
    sm.fail("/configurations/scalepolicy/p", status=500, count=10, message="database is down")
    result = run_module("red5pro_scale_policy", sm.conn(name="p", regions=POLICY, retries=2))
    assert result["failed"] is True
    assert result["status"] == 500
    assert result["server_message"] == "database is down"
    assert "HTTP 500: database is down" in result["msg"] and "after 3 attempts" in result["msg"]
    assert sm.state()["policies"] == {}
    assert sm.token not in json.dumps(result)


def test_400_is_not_retried(sm, run_module):
    sm.fail("/configurations/scalepolicy", status=400, count=5, method="POST", message="bad body")
    result = run_module("red5pro_scale_policy", sm.conn(name="p", regions=POLICY))
    assert result["failed"] is True and result["status"] == 400
    assert len([r for r in sm.state()["requests"] if r[0] == "POST"]) == 1


def test_connection_refused_is_reported(sm, run_module):
    result = run_module("red5pro_streammanager_info",
                        sm.conn(base_url="http://127.0.0.1:9", gather=["node_groups"], retries=1))
    assert result["failed"] is True
    assert "cannot reach the Stream Manager" in result["msg"] and "after 2 attempts" in result["msg"]
    assert "http://127.0.0.1:9/streammanager/api/4.0/admin/nodegroup?accessToken=********" in result["msg"]
    assert result["status"] is None


def test_slow_readiness_reports_not_ready_then_ready(sm, run_module):
    sm.reset(ready_after=2)
    args = sm.conn(gather=["readiness"], retries=0)
    first = run_module("red5pro_streammanager_info", args)
    assert not first.get("failed")
    assert first["ready"] is False and first["status"] == 503
    # the URL (token hidden), the status and the HTML page's first line
    assert ("GET %s/streammanager/api/4.0/admin/debug/cloudcontroller?accessToken=******** failed "
            "with HTTP 503: 503 Service Temporarily Unavailable" % sm.url) == first["readiness_error"]
    assert run_module("red5pro_streammanager_info", args)["ready"] is False
    third = run_module("red5pro_streammanager_info", args)
    # the vendor's readiness answer is plain text: the controller's name
    assert third["ready"] is True and third["cloud_controller"] == "Amazon Web Services"


def test_readiness_retries_inside_the_client(sm, run_module):
    sm.reset(ready_after=2)
    result = run_module("red5pro_streammanager_info", sm.conn(gather=["readiness"], retries=2))
    assert result["ready"] is True


def test_info_lists_groups_and_nodes(sm, run_module):
    sm.reset(node_polls=2)  # every second node list read moves the nodes one state on
    run_module("red5pro_scale_policy", sm.conn(name="p", regions=[{"name": "eu", "targets": [
        {"role": "origin", "min_limit": 1, "max_limit": 1}, {"role": "edge", "min_limit": 2, "max_limit": 3}]}]))
    run_module("red5pro_launch_config", sm.conn(name="l", image="img", targets=[
        {"role": "origin", "instance_type": "t3.large", "connection_capacity": 100},
        {"role": "edge", "instance_type": "t3.large", "connection_capacity": 100}]))
    run_module("red5pro_node_group", sm.conn(name="g", regions=["eu"], launch_config="l",
                                             scale_policy="p", origins=1, wait=False))
    info = run_module("red5pro_streammanager_info", sm.conn())
    assert info["ready"] is True and info["changed"] is False
    group = info["node_groups"][0]
    assert group["name"] == "g" and group["launch_config"] == "l" and group["scale_policy"] == "p"
    assert group["origins"] == 1 and len(group["nodes"]) == 3
    assert group["inservice"] is False
    assert group["node_states"] == {"running": 3}
    run_module("red5pro_streammanager_info", sm.conn(gather=["nodes"], node_group="g"))
    info = run_module("red5pro_streammanager_info", sm.conn(gather=["nodes"], node_group="g"))
    assert info["node_groups"][0]["node_states"] == {"inservice": 3}
    assert info["node_groups"][0]["inservice"] is True
    assert "ready" not in info
    none = run_module("red5pro_streammanager_info", sm.conn(gather=["node_groups"], node_group="nope"))
    assert none["node_groups"] == []


def test_readiness_accepts_json_too(sm, run_module):
    sm.reset(controller='{"controller": "Amazon Web Services"}')
    result = run_module("red5pro_streammanager_info", sm.conn(gather=["readiness"]))
    assert result["ready"] is True and result["cloud_controller"] == {"controller": "Amazon Web Services"}


def test_readiness_empty_200_is_not_ready(sm, run_module):
    sm.reset(controller="")
    result = run_module("red5pro_streammanager_info", sm.conn(gather=["readiness"], retries=0))
    assert not result.get("failed") and result["ready"] is False and result["status"] == 200
    assert "empty body" in result["readiness_error"]


def test_readiness_html_404_while_deploying_is_not_ready(sm, run_module):
    sm.fail("/debug/cloudcontroller", status=404, message="HTTP Status 404 - Not Found", body="html")
    result = run_module("red5pro_streammanager_info", sm.conn(gather=["readiness"], retries=0))
    assert result["ready"] is False and result["status"] == 404
    assert result["readiness_error"].endswith("failed with HTTP 404: HTTP Status 404 - Not Found")


def test_readiness_unreachable_is_not_ready_with_the_cause(closed_port, run_module, sm):
    result = run_module("red5pro_streammanager_info",
                        sm.conn(base_url=closed_port, gather=["readiness"], retries=0))
    assert result["ready"] is False and result["status"] is None
    assert "cannot reach the Stream Manager" in result["readiness_error"]
    assert closed_port + "/streammanager/api/4.0/admin/debug/cloudcontroller" in result["readiness_error"]


def test_readiness_hung_socket_times_out_with_the_cause(hung_server, run_module, sm):
    result = run_module("red5pro_streammanager_info",
                        sm.conn(base_url=hung_server, gather=["readiness"], retries=0, timeout=1))
    assert result["ready"] is False and result["status"] is None
    assert "got no answer within 1 s (timeout)" in result["readiness_error"]
    assert hung_server in result["readiness_error"] and "accessToken=********" in result["readiness_error"]


def test_wrong_token_gives_url_status_and_first_line(sm, run_module):
    sm.fail("/configurations/scalepolicy", status=403, message="Forbidden\nsecond line", body="text")
    result = run_module("red5pro_scale_policy", sm.conn(name="p", regions=POLICY))
    assert result["failed"] is True and result["status"] == 403
    assert result["msg"] == ("GET %s/streammanager/api/4.0/admin/configurations/scalepolicy/p?"
                             "accessToken=******** failed with HTTP 403: Forbidden (check access_token)"
                             % sm.url)


def test_html_error_page_gives_its_title(sm, run_module):
    sm.fail("/nodegroup", status=502, count=5, message="502 Bad Gateway", body="html")
    result = run_module("red5pro_streammanager_info", sm.conn(gather=["node_groups"], retries=1))
    assert result["failed"] is True and result["status"] == 502
    assert result["server_message"] == "502 Bad Gateway"
    assert "failed with HTTP 502: 502 Bad Gateway (after 2 attempts)" in result["msg"]


def test_empty_error_body_says_so(sm, run_module):
    sm.fail("/nodegroup", status=400, body="empty")
    result = run_module("red5pro_streammanager_info", sm.conn(gather=["node_groups"]))
    assert result["failed"] is True and result["status"] == 400
    assert result["msg"].endswith("failed with HTTP 400: Bad Request")
    assert "Unknown error" not in result["msg"]
