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
