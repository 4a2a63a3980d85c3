"""Filters of playbooks/status.yml: targets, session counts, the table."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.streamfleet.cluster.plugins.filter.status_table import (
    FilterModule,
    status_sessions,
    status_table,
    status_targets,
)

TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/live-edge/0123456789abcdef"


def instance(ident, state="InService", health="healthy", role="antmedia-edge", ip="10.0.1.10", image="ami-old"):
    return dict(id=ident, role=role, lifecycle_state=state, health_status="Healthy", availability_zone="us-east-1a",
                launch_template_id="lt-1", launch_template_version="3", image_id=image, private_ip=ip,
                public_ip=None, target_health={TG: health})


def edge_group(**extra):
    group = dict(
        name="live-edge", role="antmedia-edge", min_size=2, desired_capacity=3, max_size=10,
        instances=[instance("i-a"), instance("i-b", ip="10.0.1.11"),
                   instance("i-c", state="Terminating:Wait", health="draining", ip="10.0.1.12"),
                   instance("i-d", state="Pending", health="initial", ip="10.0.1.13")],
        instances_by_state={"InService": 2, "Terminating:Wait": 1, "Pending": 1},
        lifecycle_hooks=[dict(name="streamfleet-drain", transition="autoscaling:EC2_INSTANCE_TERMINATING",
                              heartbeat_timeout=300, global_timeout=30000, default_result="CONTINUE")],
        warm_pool=dict(min_size=1, pool_state="Stopped", instances_by_state={"Warmed:Stopped": 1}),
        target_groups=[dict(arn=TG, name="live-edge", healthy=2,
                            by_state={"healthy": 2, "draining": 1, "initial": 1})],
        image_family="antmedia-edge", images_in_use=["ami-old"],
        newest_image=dict(id="ami-new", name="live-antmedia-edge-2", creation_date="2026-12-06T10:00:00.000Z"),
        images_up_to_date=False, rollout=dict(tag="min=2;max=10;desired=3", sizes=dict(min=2, max=10, desired=3)),
        draining=["i-c"])
    group.update(extra)
    return group


def wcs_group():
    return dict(name="live-wcs-edge", role="wcs-edge", min_size=1, desired_capacity=1, max_size=4,
                instances=[instance("i-w", role="wcs-edge", ip="10.0.2.10", image="ami-wcs")],
                instances_by_state={"InService": 1}, lifecycle_hooks=[], warm_pool=None, target_groups=[],
                image_family="wcs-edge", images_in_use=["ami-wcs"],
                newest_image=dict(id="ami-wcs", name="w", creation_date="2026-12-01T00:00:00.000Z"),
                images_up_to_date=True, rollout=None, draining=[])


def test_targets_are_servers_that_can_hold_sessions():
    targets = status_targets([edge_group(), wcs_group()])
    assert [(t["id"], t["server"], t["address"]) for t in targets] == [
        ("i-a", "antmedia", "10.0.1.10"), ("i-b", "antmedia", "10.0.1.11"), ("i-c", "antmedia", "10.0.1.12"),
        ("i-w", "wcs", "10.0.2.10")]
    # Public addresses: none known here, so nobody is asked.
    assert status_targets([edge_group()], address="public") == []
    with pytest.raises(AnsibleFilterError, match="private' or 'public"):
        status_targets([], address="elastic")


def test_sessions_from_each_server_and_unknown_when_unreachable():
    targets = dict((t["id"], t) for t in status_targets([edge_group(), wcs_group()]))
    ams_reads = {"results": [
        {"item": targets["i-a"], "json": {"totalLiveStreamSize": 2, "localWebRTCViewers": 5, "localHLSViewers": 1,
                                          "localDASHViewers": 1, "cpuUsage": {}}},
        # An older release without localDASHViewers: still counted.
        {"item": targets["i-b"], "json": {"totalLiveStreamSize": 1, "localWebRTCViewers": 0, "localHLSViewers": 0}},
        # 401 without a token: unknown, not zero.
        {"item": targets["i-c"], "failed": True, "status": 401, "json": {"message": "unauthorized"}},
    ]}
    wcs_reads = {"results": [{"item": targets["i-w"], "stats": {"connections": 7, "streams_viewers": 3}}]}
    assert status_sessions([ams_reads, wcs_reads]) == {"i-a": 9, "i-b": 1, "i-c": None, "i-w": 7}
    # A required field missing, or not a count.
    bad = {"results": [{"item": targets["i-a"], "json": {"localWebRTCViewers": 5}},
                       {"item": targets["i-b"], "json": {"totalLiveStreamSize": "many", "localWebRTCViewers": 0,
                                                         "localHLSViewers": 0}},
                       {"item": targets["i-w"], "skipped": True}]}
    assert status_sessions([bad]) == {"i-a": None, "i-b": None, "i-w": None}
    red5 = {"item": {"id": "i-r", "server": "red5pro_streammanager"}, "json": {"data": {"active_connections": 4}}}
    assert status_sessions([red5]) == {"i-r": 4}


def test_table_shows_every_part_of_the_status():
    text = status_table([edge_group(), wcs_group()], sessions={"i-a": 9, "i-b": 0, "i-c": None, "i-w": 7},
                        deployment="live")
    lines = text.splitlines()
    assert lines[0] == "Deployment live: 2 Auto Scaling groups"
    assert "live-edge  [antmedia-edge]  min 2 / desired 3 / max 10" in lines
    assert "  instances: InService 2, Pending 1, Terminating:Wait 1" in lines
    assert "  balancer live-edge: 2 healthy of 4 (draining 1, healthy 2, initial 1)" in lines
    assert "  image: ami-old: OUTDATED, newest ami-new (2026-12-06T10:00:00.000Z)" in lines
    assert "  hooks: streamfleet-drain (EC2_INSTANCE_TERMINATING, heartbeat 300 s, default CONTINUE)" in lines
    assert "  warm pool: min 1, Stopped, Warmed:Stopped 1" in lines
    assert "  ROLLOUT IN PROGRESS (will restore min 2 / desired 3 / max 10)" in lines
    assert "  DRAINING: i-c" in lines
    header = [line for line in lines if line.strip().startswith("instance ")]
    assert len(header) == 2 and header[0].split() == ["instance", "state", "health", "balancer", "image", "lt",
                                                      "address", "sessions"]
    rows = dict((line.split()[0], line.split()) for line in lines if line.strip().startswith("i-"))
    assert rows["i-a"] == ["i-a", "InService", "Healthy", "healthy", "ami-old", "3", "10.0.1.10", "9"]
    assert rows["i-b"][-1] == "0"
    assert rows["i-c"][1:4] == ["Terminating:Wait", "Healthy", "draining"] and rows["i-c"][-1] == "-"
    assert rows["i-d"][-1] == "-"  # Pending: not asked
    assert "  image: ami-wcs: newest" in lines
    assert "  hooks: none" in lines
    # Columns line up: every row of a group starts its state column at the same place.
    edge_rows = [line for line in lines if line.startswith("  i-") and "ami-old" in line]
    assert len(set(line.index(line.split()[1]) for line in edge_rows)) == 1


def test_table_of_nothing_and_bad_input():
    assert status_table([], deployment="gone") == "Deployment gone: 0 Auto Scaling groups\n(no Auto Scaling group)\n"
    no_family = status_table([wcs_group() | dict(newest_image=None, images_up_to_date=False, image_family=None)])
    assert "image: ami-wcs: no baked image of family -" in no_family
    with pytest.raises(AnsibleFilterError, match="groups list"):
        status_table({"groups": []})


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"status_targets", "status_sessions", "status_table"}
