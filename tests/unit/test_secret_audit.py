"""The secret audit's matcher and catalog (tests/lib/secret_audit.py, issue 21 item 5)."""
import base64
import gzip
import json
import os
import shlex
from urllib.parse import quote, quote_plus

import pytest
import yaml

from lib import secret_audit

SECRET = "cl'uster/p@ss:w%rd \"$(x)`&<>"


@pytest.mark.parametrize("encode", [
    pytest.param(lambda s: "password=%s\n" % s, id="plain"),
    pytest.param(lambda s: "mongodb://user:%s@host/" % quote(s, safe=""), id="percent-encoded"),
    pytest.param(lambda s: "url=https://x/?p=%s" % quote(s), id="percent-encoded-path-safe"),
    pytest.param(lambda s: "a=1&p=%s" % quote_plus(s), id="form-encoded"),
    pytest.param(lambda s: json.dumps({"value": s}), id="json"),
    pytest.param(lambda s: json.dumps(s).replace("&", "\\u0026").replace("'", "\\u0027")
                 .replace("<", "\\u003c").replace(">", "\\u003e"), id="jinja-to_json"),
    pytest.param(lambda s: json.dumps({"msg": json.dumps({"value": s})}), id="json-in-json"),
    pytest.param(lambda s: "exec boot --password %s\n" % shlex.quote(s), id="shell-quoted"),
    pytest.param(lambda s: base64.b64encode(("#!/bin/sh\nP=" + s + "\n").encode()).decode(), id="base64-offset-0"),
    pytest.param(lambda s: base64.b64encode(("#!/bin/sh\nPW=" + s + "\n").encode()).decode(), id="base64-offset-1"),
    pytest.param(lambda s: base64.b64encode(("#!/bin/sh\nPWD=" + s + "\n").encode()).decode(), id="base64-offset-2"),
])
def test_every_encoding_is_found(encode):
    matcher = secret_audit.Matcher({"antmedia_cluster_aws_mongodb_password": SECRET})
    hits = matcher.find("before " + encode(SECRET) + " after")
    assert hits, "the audit missed an encoded secret"
    assert all(label == "antmedia_cluster_aws_mongodb_password" for label, _kind, _context in hits)
    # The report names the secret; it never repeats it.
    assert all(SECRET not in context for _label, _kind, context in hits)


def test_nothing_is_found_where_there_is_nothing():
    matcher = secret_audit.Matcher({"a_password": SECRET, "b_token": "sandbox-token"})
    text = json.dumps({"changed": True, "password": "********", "url": "mongodb://user:****@host/"})
    assert matcher.find(text) == []
    assert matcher.find(base64.b64encode(b"#!/bin/sh\nexec boot --password-secret ssm:/x/y\n").decode()) == []


def test_base64_cores_cover_every_alignment():
    secret = "s3cret-value"
    for prefix in ("", "a", "ab", "abc", "abcd"):
        encoded = base64.b64encode((prefix + secret + "tail").encode()).decode()
        assert any(core in encoded for core in secret_audit._base64_cores(secret)), prefix


def test_user_data_is_decoded_from_base64_and_gzip():
    script = "#!/bin/sh\necho hi\n"
    assert secret_audit.decode_user_data(base64.b64encode(script.encode())) == script
    assert secret_audit.decode_user_data(base64.b64encode(gzip.compress(script.encode()))) == script


def test_short_and_templated_values_are_not_searched():
    catalog = secret_audit.catalog()
    found = catalog.run_secrets({"x_password": "abc", "y_password": "{{ lookup('env', 'X') }}",
                                 "z_password": "long-enough-value", "not_a_thing": "long-enough-other"})
    assert "z_password" in found and found["z_password"] == "long-enough-value"
    assert "x_password" not in found and "y_password" not in found and "not_a_thing" not in found


def test_the_sandbox_secrets_come_from_its_own_files():
    catalog = secret_audit.catalog()
    secrets = catalog.sandbox_secrets()
    sandbox = {}
    for path in sorted((secret_audit.SANDBOX_VARS).glob("*.yml")):
        sandbox.update(yaml.safe_load(path.read_text()) or {})
    for name, value in sandbox.items():
        if secret_audit.is_secret_name(name) and isinstance(value, str) and "{{" not in value:
            assert secrets["sandbox %s" % name] == value
    assert secrets["sandbox.sh AWS_SECRET_ACCESS_KEY"] == secret_audit.sandbox_script_exports()["AWS_SECRET_ACCESS_KEY"]
    # At least the MongoDB passwords, the Alibaba secret key, the Stream Manager token, the AWS key.
    assert len(secrets) >= 5


def test_every_name_that_looks_secret_is_audited_or_exempted_for_a_reason():
    """A new variable called *password*, *secret*, *token* or *key* in the sandbox or a role is
    audited, unless a NOT_SECRETS rule (with its reason) says what it holds instead."""
    catalog = secret_audit.catalog()
    audited = set(catalog.variable_names) | set(catalog.env_names)
    missing = [name for name in catalog.candidate_names()
               if name not in audited and secret_audit.excluded_by(name) is None]
    assert missing == []
    for name in ("antmedia_cluster_aws_mongodb_password", "red5pro_nodegroup_access_token",
                 "antmedia_cluster_alicloud_access_key_secret", "AWS_SECRET_ACCESS_KEY"):
        assert name in audited


def test_every_no_log_option_is_audited():
    catalog = secret_audit.catalog()
    no_log = [name for name, hidden in catalog.role_options.items() if hidden]
    assert no_log, "the roles declare no_log options"
    assert [name for name in no_log if name not in catalog.variable_names] == []


def test_every_exemption_rule_is_used():
    catalog = secret_audit.catalog()
    names = catalog.candidate_names()
    for pattern, reason in secret_audit.NOT_SECRETS:
        assert reason
        assert any(secret_audit.excluded_by(name) == pattern for name in names), "unused rule %s" % pattern


def test_files_are_allowed_only_private_to_the_runner(tmp_path):
    folder = tmp_path / "open"
    folder.mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(folder, 0o755)
    path = folder / "f"
    path.write_text("x")
    for mode, allowed in ((0o600, True), (0o400, True), (0o640, False), (0o644, False), (0o604, False)):
        os.chmod(path, mode)
        assert secret_audit.private_to_runner(os.stat(path), path, tmp_path) is allowed, oct(mode)
    # A wide file inside a directory below the scanned root that nobody else may enter
    # (Ansible's ansible-tmp-*): private. The root itself or what is above it does not count.
    os.chmod(path, 0o744)
    os.chmod(folder, 0o700)
    assert secret_audit.private_to_runner(os.stat(path), path, tmp_path) is True
    assert secret_audit.private_to_runner(os.stat(path), path, folder) is False


def test_an_audited_run_reports_output_and_wide_files(tmp_path):
    audit = secret_audit.Audit(shared_roots=False)
    (tmp_path / "private").write_text("p=long-enough-value")
    os.chmod(tmp_path / "private", 0o600)
    (tmp_path / "wide").write_text("p=long-enough-value")
    os.chmod(tmp_path / "wide", 0o644)
    audit.audit_run('ok: {"msg": "long-enough-value"}', cwd=tmp_path, since=0,
                    extra_vars={"z_password": "long-enough-value"}, env={})
    assert any("ansible-playbook -vvv --diff output" in f for f in audit.findings)
    assert any(str(tmp_path / "wide") in f and "0644" in f for f in audit.findings)
    assert not any(str(tmp_path / "private") in f for f in audit.findings)
    with pytest.raises(AssertionError, match="z_password"):
        audit.check()
    assert audit.findings == []


def test_every_secret_role_option_is_no_log():
    """A role option whose name says it holds a secret is declared no_log (its value is masked in
    the role's argument validation errors)."""
    catalog = secret_audit.catalog()
    assert [name for name, hidden in sorted(catalog.role_options.items())
            if secret_audit.is_secret_name(name) and not hidden and name in _spec_options()] == []


def _spec_options():
    names = set()
    for path in secret_audit.REPO.glob("roles/*/meta/argument_specs.yml"):
        for entry in ((yaml.safe_load(path.read_text()) or {}).get("argument_specs") or {}).values():
            names.update(((entry or {}).get("options") or {}))
    return names


def test_a_private_key_file_is_searched_by_its_content(tmp_path):
    key = tmp_path / "tls.key"
    key.write_text("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nshort==\n"
                   "-----END PRIVATE KEY-----\n")
    found = secret_audit.catalog().run_secrets({"x_certificate_private_key_file": str(key)})
    assert found["x_certificate_private_key_file (its content)"] == "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"
