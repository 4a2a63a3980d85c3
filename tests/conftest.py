"""Shared pytest fixtures for streamfleet.cluster.

The repository *is* the collection; tests import it as
``ansible_collections.streamfleet.cluster`` through the link that ``make venv`` creates under
``.build/collections`` (created here too, so a bare ``pytest`` works).
"""
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
COLLECTIONS = REPO / ".build" / "collections"
_LINK = COLLECTIONS / "ansible_collections" / "streamfleet" / "cluster"
if not _LINK.exists():
    _LINK.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(REPO, _LINK)
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))
if str(REPO / "tests") not in sys.path:
    sys.path.insert(0, str(REPO / "tests"))

from lib.harness import ModuleRunner, PlaybookRunner  # noqa: E402


@pytest.fixture
def run_module():
    """Run a module's main() in-process as Ansible would; returns the result dict."""
    return ModuleRunner()


@pytest.fixture
def playbook(tmp_path):
    """Run tasks with ansible-playbook against localhost; returns per-task results."""
    return PlaybookRunner(tmp_path, REPO, COLLECTIONS)


# The longest tests first, each on its own worker: with `--dist loadgroup` (the
# Makefile's integration target) the workers take the tests one by one in this order, so the
# long ones start at once, side by side, and the short ones fill in around them; in file order a
# long test picked up last would run alone at the end. Node-id prefixes, longest first (the
# `--durations` of the integration stage); every other test keeps its place after them. One
# order on every worker (pytest-xdist requires the same collection everywhere).
#
# The tests of the shared Ant Media cluster (tests/integration/aws/shared_deployments.py: one
# first converge, one xdist_group, so one worker under `--dist loadgroup`) come first, in the
# order that needs one converge: those that read it or put it back, then the lifecycle that
# tears it down (any other order is right too, with one more converge).
LONGEST_FIRST = (
    "tests/integration/aws/test_topology_antmedia_secrets.py::test_no_password_in_any_user_data_internal_mongodb",
    "tests/integration/aws/test_topology_day2.py::test_rerun_keeps_the_capacity_a_scaler_chose",
    "tests/integration/aws/test_topology_day2.py::test_every_group_has_the_drain_hook_and_a_least_privilege_profile",
    "tests/integration/aws/test_topology_antmedia_cluster.py::test_antmedia_cluster_lifecycle",
    "tests/integration/aws/test_faults_kill_rerun.py",
    "tests/integration/aws/test_topology_wcs_cdn.py::test_wcs_cdn_lifecycle",
    "tests/integration/aws/test_topology_red5pro_streammanager.py::test_red5pro_streammanager_lifecycle",
    "tests/integration/aws/test_teardown_playbook.py",
    "tests/integration/streammanager/test_nodegroup_day2.py",
    "tests/integration/aws/test_topology_red5pro_streammanager.py",
    "tests/integration/alicloud/test_antmedia_cluster_alicloud_playbook.py",
)


# The tests that share a deployment (tests/integration/aws/shared_deployments.py), by xdist_group:
# under `--dist loadgroup` each group is one unit of work, so one worker and one converge. The
# scheduler (on the controller, which sees node ids only) reads this table: pytest-xdist 3.8
# marks a grouped test by appending "@group" to its node id, which pytest 9 no longer lets it
# change, so the marks alone would leave the group spread over the workers. The table and the
# marks are checked against each other at collection.
XDIST_GROUPS = {
    "antmedia-shared": (
        "tests/integration/aws/test_topology_antmedia_secrets.py::test_no_password_in_any_user_data_internal_mongodb",
        "tests/integration/aws/test_topology_day2.py::test_rerun_keeps_the_capacity_a_scaler_chose",
        "tests/integration/aws/test_topology_day2.py::test_every_group_has_the_drain_hook_and_a_least_privilege_profile",
        "tests/integration/aws/test_topology_antmedia_cluster.py::test_antmedia_cluster_lifecycle",
    ),
}
_GROUP_OF = {nodeid: group for group, nodeids in XDIST_GROUPS.items() for nodeid in nodeids}


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class TableGroupScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid):
            return _GROUP_OF.get(nodeid.split("@", 1)[0]) or super()._split_scope(nodeid)

    return TableGroupScheduling(config, log)


def _check_groups(items):
    for item in items:
        marked = [mark.args[0] if mark.args else mark.kwargs.get("name", "default")
                  for mark in item.iter_markers("xdist_group")]
        listed = _GROUP_OF.get(item.nodeid.split("@", 1)[0])
        if marked != ([listed] if listed else []):
            raise pytest.UsageError("%s: xdist_group mark %s, XDIST_GROUPS in tests/conftest.py %s"
                                    % (item.nodeid, marked, listed))


def _longest_first_rank(item):
    for rank, prefix in enumerate(LONGEST_FIRST):
        if item.nodeid.startswith(prefix):
            return rank
    return len(LONGEST_FIRST)


def pytest_collection_modifyitems(items):
    _check_groups(items)
    items.sort(key=_longest_first_rank)  # stable: file order within a rank
