"""The secret audit sees what it is meant to see (issue 21, item 5).

The audit itself runs after every topology run of the integration tests
(``lib.harness.run_ansible_playbook``, ``tests/integration/conftest.py``); this test makes one
small run that leaks on purpose, in each place the audit searches, and checks each leak is
reported, and nothing where the secret is kept as it should be.
"""
import base64
import sys
from pathlib import Path

import yaml

from lib import secret_audit
from lib.harness import run_ansible_playbook

PASSWORD = "audit-p@ss/word&1"


def test_the_audit_reports_each_kind_of_leak(playbook, aws, network, base_image_id, secret_audit_findings):
    # A launch template whose user data carries the password, base64 inside base64 (as EC2 keeps it).
    script = "#!/bin/sh\nexport MONGO_URL=mongodb://antmedia:%s@db/\n" % PASSWORD
    aws.ec2.create_launch_template(LaunchTemplateName="leaky", LaunchTemplateData={
        "ImageId": base_image_id, "UserData": base64.b64encode(script.encode()).decode()})
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": [
        {"name": "Print it", "ansible.builtin.debug": {"msg": "{{ antmedia_cluster_aws_mongodb_password | to_json }}"}},
        {"name": "Write it where others can read it", "ansible.builtin.copy": {
            "content": "password={{ antmedia_cluster_aws_mongodb_password | urlencode }}\n",
            "dest": "{{ playbook_dir }}/wide.properties", "mode": "0644"}},
        {"name": "Write it as it should be", "ansible.builtin.copy": {
            "content": "password={{ antmedia_cluster_aws_mongodb_password }}\n",
            "dest": "{{ playbook_dir }}/private.properties", "mode": "0600"}},
    ]}]
    path = playbook.tmp_path / "leak.yml"
    path.write_text(yaml.safe_dump(play))
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", str(path),
           "-e", '{"antmedia_cluster_aws_mongodb_password": "%s"}' % PASSWORD]
    proc = run_ansible_playbook(cmd, env=playbook.env(), cwd=playbook.tmp_path,
                                extra_vars={"antmedia_cluster_aws_mongodb_password": PASSWORD})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "<localhost> EXEC" in proc.stderr, "the audited run is verbose (-vvv)"

    findings, secret_audit_findings.findings = secret_audit_findings.findings, []
    report = "\n".join(findings)
    assert "antmedia_cluster_aws_mongodb_password (plain) in ansible-playbook -vvv --diff output" in report
    assert "in launch template leaky v1:" in report
    assert "antmedia_cluster_aws_mongodb_password (percent-encoded) in %s (mode 0644" % (
        playbook.tmp_path / "wide.properties") in report
    assert "private.properties" not in report
    assert PASSWORD not in report, "the report names the secret, never shows it"
    # The sandbox's own secrets were searched too (its AWS secret key is this session's).
    assert any(label.startswith("sandbox ") for label in secret_audit.catalog().sandbox_secrets())
