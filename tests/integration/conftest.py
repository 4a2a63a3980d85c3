"""Fixtures for every integration test.

``secret_audit`` (autouse): the topology runs of a test (``lib.harness.run_ansible_playbook``)
are searched for every secret the sandbox uses (``lib/secret_audit.py``, issue 21); a finding
fails the test that made the run, naming the secret's variable, its form and where it was seen.
"""
import pytest

from lib import secret_audit


@pytest.fixture(autouse=True)
def secret_audit_findings(request):
    audit = secret_audit.CURRENT
    audit.findings = []
    audit.stored = {}
    before = (audit.runs, audit.locations, audit.seconds, audit.secrets)
    yield audit
    if audit.runs > before[0]:
        # What the audit cost and covered, in the test's report (junit XML, pytest -rA).
        request.node.user_properties.append(("secret_audit", "%d run(s), %d secret value(s), %d place(s), %.1f s" % (
            audit.runs - before[0], audit.secrets - before[3], audit.locations - before[1], audit.seconds - before[2])))
        print("secret audit: %s" % request.node.user_properties[-1][1])
    audit.check()
