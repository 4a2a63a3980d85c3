"""Preflight of the server roles, as Ansible runs it: bad input fails before anything changes.

Only the preflight phase runs (``--tags <role>_preflight``); a fresh temporary home has no
version marker, so the roles must insist on a checksummed archive. Every case is one host of a
single ansible-playbook run (per_host_playbook): a refusal stops its own host only.
"""
import pytest

from per_host_playbook import CASE_VARS, run_cases

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


ROLE_CASES = {
    # A URL without a checksum is refused; with one, preflight passes.
    **{"url_without_checksum_" + role: (role, {"%s_archive_url" % role: "https://downloads.example.com/a.zip"})
       for role in ROLES},
    **{"url_with_checksum_" + role: (role, {"%s_archive_url" % role: "https://downloads.example.com/a.zip",
                                            "%s_archive_checksum" % role: "sha256:" + "0" * 64})
       for role in ROLES},
    "wcs_edge_without_point_of_entry": ("wcs", {"wcs_cdn_role": "edge", "wcs_archive_src": "/x"}),
    "wcs_origin_pointing_at_itself": ("wcs", {"wcs_cdn_point_of_entry": "10.0.0.5", "wcs_archive_src": "/x"}),
    "antmedia_admin_without_password": ("antmedia", {"antmedia_admin_email": "admin@example.com",
                                                     "antmedia_archive_src": "/x"}),
    "antmedia_cluster_without_database": ("antmedia", {"antmedia_mode": "cluster", "antmedia_archive_src": "/x"}),
    "red5pro_node_reporting_speed": ("red5pro_node", {"red5pro_node_reporting_speed": 1000,
                                                      "red5pro_node_archive_src": "/x"}),
}
# The role (case_role) and its variables come with the case's variables (per_host_playbook).
PREFLIGHT_TASKS = [CASE_VARS, {"name": "role", "ansible.builtin.include_role": {"name": "streamfleet.cluster.{{ case_role }}"},
                               "tags": ["always"]}]


@pytest.fixture(scope="module")
def preflights(tmp_path_factory):
    """Every case above in one ansible-playbook run (only the roles' preflight phases run), each
    with a fresh home of its own: case -> (HostRun, home)."""
    root = tmp_path_factory.mktemp("preflight")
    cases, homes = {}, {}
    for name, (role, extra) in ROLE_CASES.items():
        homes[name] = root / name / "home"
        cases[name] = dict(ROLES[role], **extra)
        cases[name].update({"case_role": role, "%s_home" % role: str(homes[name])})
    runs = run_cases(root, cases, PREFLIGHT_TASKS,
                     env={"ANSIBLE_RUN_TAGS": ",".join("%s_preflight" % role for role in sorted(ROLES))})
    return {name: (run, homes[name]) for name, run in runs.items()}


def run_preflight(preflights, case, expect_failure):
    run, _home = preflights[case]
    assert bool(run.stats.get("failures")) == expect_failure, run.last_output
    return run.results


def failure_messages(results):
    return " ".join(str(r.get("msg", "")) for r in results if r.get("failed"))


@pytest.mark.parametrize("role", sorted(ROLES))
def test_url_without_checksum_is_refused(preflights, role):
    results = run_preflight(preflights, "url_without_checksum_" + role, True)
    message = failure_messages(results)
    assert "checksum" in message, message
    assert not preflights["url_without_checksum_" + role][1].exists()


@pytest.mark.parametrize("role", sorted(ROLES))
def test_url_with_checksum_passes_preflight(preflights, role):
    results = run_preflight(preflights, "url_with_checksum_" + role, False)
    assert not any(r.get("changed") for r in results)


def test_wcs_edge_without_point_of_entry_is_refused(preflights):
    results = run_preflight(preflights, "wcs_edge_without_point_of_entry", True)
    assert "point_of_entry" in failure_messages(results)


def test_wcs_origin_pointing_at_itself_is_refused(preflights):
    results = run_preflight(preflights, "wcs_origin_pointing_at_itself", True)
    assert "own address" in failure_messages(results)


def test_antmedia_admin_needs_a_password(preflights):
    results = run_preflight(preflights, "antmedia_admin_without_password", True)
    assert "antmedia_admin_password" in failure_messages(results)


def test_antmedia_cluster_needs_a_database(preflights):
    results = run_preflight(preflights, "antmedia_cluster_without_database", True)
    assert "antmedia_cluster_url" in failure_messages(results)


def test_red5pro_node_reporting_speed_range(preflights):
    results = run_preflight(preflights, "red5pro_node_reporting_speed", True)
    assert "5000 and 30000" in failure_messages(results)
