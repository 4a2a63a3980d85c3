"""Fixtures for every integration test.

``secret_audit`` (autouse): the topology runs of a test (``lib.harness.run_ansible_playbook``)
are searched for every secret the sandbox uses (``lib/secret_audit.py``, issue 21); a finding
fails the test that made the run, naming the secret's variable, its form and where it was seen.
"""
import pytest

from lib import secret_audit


@pytest.fixture(autouse=True)
def secret_audit_findings():
    secret_audit.CURRENT.findings = []
    yield secret_audit.CURRENT
    secret_audit.CURRENT.check()
