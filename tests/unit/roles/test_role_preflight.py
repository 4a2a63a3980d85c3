"""Preflight of the server roles, as Ansible runs it: bad input fails before anything changes.

Only the preflight phase runs (``--tags <role>_preflight``); a fresh temporary home has no
version marker, so the roles must insist on a checksummed archive.
"""
import pytest

ROLES = {
    "wcs": {"wcs_version": "5.2.1999", "wcs_cdn_role": "origin", "wcs_cdn_ip": "10.0.0.5"},
    "antmedia": {"antmedia_version": "2.11.3"},
    "red5pro_streammanager": {
        "red5pro_streammanager_version": "12.0.0", "red5pro_streammanager_ip": "10.0.0.6",
        "red5pro_streammanager_cluster_password": "x" * 12,
        "red5pro_streammanager_administrator_token": "t" * 12,
        "red5pro_streammanager_db_local": True, "red5pro_streammanager_db_user": "red5pro",
        "red5pro_streammanager_db_password": "d" * 12, "red5pro_streammanager_aws_default_zone": "eu-west-1",
        "red5pro_streammanager_aws_ec2_key_pair_name": "kp", "red5pro_streammanager_aws_ec2_security_group": "sg"},
    "red5pro_node": {
        "red5pro_node_version": "12.0.0", "red5pro_node_stream_manager_host": "sm.example.com",
        "red5pro_node_cluster_password": "x" * 12},
}


def run_preflight(playbook, tmp_path, role, extra, expect_failure):
    role_vars = dict(ROLES[role], **extra)
    role_vars["%s_home" % role] = str(tmp_path / "home")
    return playbook.run(
        [{"name": "role", "ansible.builtin.include_role": {"name": "streamfleet.cluster.%s" % role},
          "vars": role_vars, "tags": ["always"]}],
        extra_vars=None, expect_failure=expect_failure,
        env={"ANSIBLE_RUN_TAGS": "%s_preflight" % role})


def failure_messages(results):
    return " ".join(str(r.get("msg", "")) for r in results if r.get("failed"))


@pytest.mark.parametrize("role", sorted(ROLES))
def test_url_without_checksum_is_refused(playbook, tmp_path, role):
    results = run_preflight(playbook, tmp_path, role,
                            {"%s_archive_url" % role: "https://downloads.example.com/a.zip"}, True)
    message = failure_messages(results)
    assert "checksum" in message, message
    assert not (tmp_path / "home").exists()


@pytest.mark.parametrize("role", sorted(ROLES))
def test_url_with_checksum_passes_preflight(playbook, tmp_path, role):
    results = run_preflight(playbook, tmp_path, role, {
        "%s_archive_url" % role: "https://downloads.example.com/a.zip",
        "%s_archive_checksum" % role: "sha256:" + "0" * 64}, False)
    assert not any(r.get("changed") for r in results)


def test_wcs_edge_without_point_of_entry_is_refused(playbook, tmp_path):
    results = run_preflight(playbook, tmp_path, "wcs", {"wcs_cdn_role": "edge", "wcs_archive_src": "/x"}, True)
    assert "point_of_entry" in failure_messages(results)


def test_wcs_origin_pointing_at_itself_is_refused(playbook, tmp_path):
    results = run_preflight(playbook, tmp_path, "wcs", {
        "wcs_cdn_point_of_entry": "10.0.0.5", "wcs_archive_src": "/x"}, True)
    assert "own address" in failure_messages(results)


def test_antmedia_admin_needs_a_password(playbook, tmp_path):
    results = run_preflight(playbook, tmp_path, "antmedia", {
        "antmedia_admin_email": "admin@example.com", "antmedia_archive_src": "/x"}, True)
    assert "antmedia_admin_password" in failure_messages(results)


def test_antmedia_cluster_needs_a_database(playbook, tmp_path):
    results = run_preflight(playbook, tmp_path, "antmedia", {
        "antmedia_mode": "cluster", "antmedia_archive_src": "/x"}, True)
    assert "antmedia_cluster_url" in failure_messages(results)


def test_red5pro_node_reporting_speed_range(playbook, tmp_path):
    results = run_preflight(playbook, tmp_path, "red5pro_node", {
        "red5pro_node_reporting_speed": 1000, "red5pro_node_archive_src": "/x"}, True)
    assert "5000 and 30000" in failure_messages(results)
