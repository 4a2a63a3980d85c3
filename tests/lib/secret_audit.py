"""The secret audit of the integration runs (issue 21, item 5).

Every secret the sandbox uses is searched for, after each topology run the tests make, in:

- the run's output (``ansible-playbook -vvv --diff``: results, module arguments, diffs, the
  connection's commands, warnings);
- the user data of every launch template version and every instance on the AWS stand-in
  (moto), and the template, parameters and resolved ``UserData`` of every stack on the ROS
  stand-in;
- the files the run wrote on the controller (its working directory, ``.build/``,
  ``~/.ansible``, new entries of the temporary directory), where a secret is allowed only in
  a file of mode 0600 or 0400 owned by the user running Ansible.

Which secrets: the names come from the project itself, not from a copy here
(``SecretCatalog``): every variable of ``inventories/sandbox/group_vars/all/*.yml`` and every
role option (``meta/argument_specs.yml``, ``defaults/main.yml``) whose name says password,
secret, token or key, less the names in ``NOT_SECRETS`` (each with the reason it is not a
secret), plus the environment variables the sandbox script exports or the collection reads
whose names say the same. The values are the sandbox's own (its vars files and script), the
run's extra variables and environment under those names, and whatever the stand-ins' secret
stores hold after the run (generated passwords included).

Each value is searched in every form it could take on the way: as is, percent-encoded,
JSON-escaped (also the HTML-safe escaping of Jinja's ``to_json``), shell-quoted, and base64 at
the three byte alignments it can have inside a longer encoded text (``forms``).
"""
import base64
import functools
import gzip
import json
import os
import re
import shlex
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote, quote_plus

import yaml

REPO = Path(__file__).resolve().parents[2]
SANDBOX_VARS = REPO / "inventories" / "sandbox" / "group_vars" / "all"
SANDBOX_SCRIPT = REPO / "scripts" / "sandbox.sh"

# A variable "looks like" a secret when its name says so.
SECRET_NAME = re.compile(r"pass(word|wd|phrase)|secret|token|key", re.IGNORECASE)

# Names that say password/secret/token/key but hold none: each rule with why. A rule that no
# longer matches any name fails tests/unit/test_secret_audit.py, so this list cannot rot.
NOT_SECRETS = (
    (r"_key_name$|_key_pair_name$", "the name of an EC2/ECS key pair (its private key stays with the operator)"),
    (r"(_access_key_id|ACCESS_KEY_ID)$", "the public half of an access key"),
    (r"_secret_(store|prefix|kms_key)$", "where and under which key the secrets are stored"),
    (r"_password_secret$", "a reference to a secret in a store (ssm:NAME, alicloud-oos:NAME)"),
    (r"_metadata_http_tokens$", "the instance metadata setting required/optional"),
    (r"_private_key_file$", "the path of a key file on the controller"),
    (r"_key_url$", "the URL of a package signing key"),
    (r"_update_password$", "when a password is updated (always/on_create)"),
    (r"_ssh_host_keys$", "whether an image's SSH host keys are removed"),
)
_NOT_SECRET = [re.compile(pattern) for pattern, _why in NOT_SECRETS]

# Shorter values are not searched: they would match ordinary words (a test's "testing").
MIN_LENGTH = 6
# Files larger than this are not read (none of the runs writes one).
MAX_FILE_BYTES = 8 * 1024 * 1024


def looks_secret(name):
    return bool(SECRET_NAME.search(name))


def excluded_by(name):
    """The NOT_SECRETS rule that exempts ``name``, or None."""
    for rule in _NOT_SECRET:
        if rule.search(name):
            return rule.pattern
    return None


def is_secret_name(name):
    return looks_secret(name) and excluded_by(name) is None


def _yaml_files(folder):
    return sorted(folder.glob("*.yml")) + sorted(folder.glob("*.yaml"))


def _load(path):
    """A YAML file's content; a file that does not parse is left to ansible-lint and the role's
    own tests (they fail on it), the audit goes on with the others."""
    try:
        # libyaml's loader: the roles' specs and defaults take seconds with the pure-Python one
        return yaml.load(path.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None


def sandbox_variables():
    """``{name: value}`` of every variable of the sandbox's vars files."""
    found = {}
    for path in _yaml_files(SANDBOX_VARS):
        found.update(yaml.safe_load(path.read_text()) or {})
    return found


def sandbox_script_exports():
    """``{NAME: value}`` of the fixed values ``scripts/sandbox.sh`` exports (no ``$`` in them)."""
    found = {}
    for line in SANDBOX_SCRIPT.read_text().splitlines():
        if line.startswith("export "):
            for word in shlex.split(line[len("export "):]):
                name, _equals, value = word.partition("=")
                if "$" not in value:
                    found[name] = value
    return found


def role_option_names():
    """``{name: no_log}`` of every role option (argument specs, all entry points) and default."""
    found = {}
    for spec_path in sorted(REPO.glob("roles/*/meta/argument_specs.yml")):
        specs = (_load(spec_path) or {}).get("argument_specs") or {}
        for entry in specs.values():
            for name, option in ((entry or {}).get("options") or {}).items():
                found[name] = found.get(name, False) or bool((option or {}).get("no_log"))
    for defaults in sorted(REPO.glob("roles/*/defaults/main.yml")):
        for name in _load(defaults) or {}:
            found.setdefault(name, False)
    return found


_ENV_LITERAL = re.compile(r"""['"]([A-Z][A-Z0-9]*_[A-Z0-9_]+)['"]""")


def environment_names():
    """Environment variables the sandbox script exports or the collection reads (quoted literals
    in plugins/ and roles/)."""
    names = set(sandbox_script_exports())
    for path in list(REPO.glob("plugins/**/*.py")) + list(REPO.glob("roles/*/defaults/*.yml")):
        names.update(_ENV_LITERAL.findall(path.read_text(errors="replace")))
    return names


class SecretCatalog:
    """The secret names and the sandbox's secret values, read from the project's files."""

    def __init__(self):
        self.sandbox_vars = sandbox_variables()
        self.script_exports = sandbox_script_exports()
        self.role_options = role_option_names()
        self.env_names = sorted(name for name in environment_names() if is_secret_name(name))
        # The names that say so, and every option a role declares no_log whatever its name
        # (antmedia_cluster_url holds a password inside a URL).
        self.variable_names = sorted(name for name in set(self.sandbox_vars) | set(self.role_options)
                                     if is_secret_name(name) or self.role_options.get(name))

    def candidate_names(self):
        """Every name that looks like a secret (audited or exempted)."""
        return sorted(name for name in set(self.sandbox_vars) | set(self.role_options) | environment_names()
                      if looks_secret(name))

    def sandbox_secrets(self):
        """``{label: value}`` of the secrets the sandbox itself uses (vars files and script)."""
        found = {}
        for name in self.variable_names:
            for value in _strings(self.sandbox_vars.get(name)):
                found["sandbox %s" % name] = value
        for name in self.env_names:
            if name in self.script_exports:
                found["sandbox.sh %s" % name] = self.script_exports[name]
        return {label: value for label, value in found.items() if _searchable(value)}

    def run_secrets(self, extra_vars=None, env=None):
        """``{label: value}``: the sandbox's secrets and those a run is given (extra variables
        and environment under a secret's name)."""
        found = self.sandbox_secrets()
        for name, value in (extra_vars or {}).items():
            if is_secret_name(name) or name in self.variable_names:
                for index, text in enumerate(_strings(value)):
                    found["%s%s" % (name, "[%d]" % index if index else "")] = text
        for name in self.env_names:
            value = (env or {}).get(name)
            if value:
                found["$" + name] = value
        # A private key given as a file: its content is the secret (a line of its base64 body,
        # the same in every encoding a text can take).
        for name, value in (extra_vars or {}).items():
            if name.endswith("_private_key_file") and isinstance(value, str) and os.path.isfile(value):
                body = [line.strip() for line in Path(value).read_text(errors="replace").splitlines()
                        if line.strip() and not line.startswith("-----")]
                if body:
                    found["%s (its content)" % name] = max(body, key=len)
        return {label: value for label, value in found.items() if _searchable(value)}


@functools.lru_cache(maxsize=1)
def catalog():
    """The catalog, read once per test process."""
    return SecretCatalog()


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _searchable(value):
    # Jinja expressions are resolved at run time (their result is found through the stores).
    return isinstance(value, str) and len(value) >= MIN_LENGTH and "{{" not in value


def _base64_cores(secret):
    """The base64 characters that encode ``secret`` whatever its offset modulo 3 in the encoded
    text: the characters that depend only on its bytes."""
    data = secret.encode()
    cores = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode().rstrip("=")
        head = (offset * 8 + 5) // 6          # characters that carry a bit of the padding before
        full = ((offset + len(data)) * 8) // 6  # characters made of whole bits of the text only
        core = encoded[head:full]
        if len(core) >= MIN_LENGTH:
            cores.add(core)
    return cores


def forms(secret):
    """``{form: kind}``: every way ``secret`` can be written into a script, a URL, JSON or an
    encoded blob."""
    found = {secret: "plain"}
    candidates = (
        ("percent-encoded", quote(secret, safe="")),
        ("percent-encoded", quote(secret)),
        ("form-encoded", quote_plus(secret)),
        ("JSON-escaped", json.dumps(secret)[1:-1]),
        ("JSON-escaped (to_json)", json.dumps(secret)[1:-1].replace("<", "\\u003c").replace(">", "\\u003e")
         .replace("&", "\\u0026").replace("'", "\\u0027")),
        ("JSON-escaped twice", json.dumps(json.dumps(secret)[1:-1])[1:-1]),
        ("shell-quoted", shlex.quote(secret)),
    )
    for kind, form in candidates:
        found.setdefault(form, kind)
    for core in _base64_cores(secret):
        found.setdefault(core, "base64")
    return found


class Matcher:
    """Finds any form of any secret in a text; reports where without repeating the secret."""

    def __init__(self, secrets):
        self.secrets = dict(secrets)
        self._forms = []
        for label, secret in sorted(self.secrets.items()):
            for form, kind in forms(secret).items():
                self._forms.append((form, label, kind))

    def find(self, text):
        """``[(label, kind, context)]`` of the secrets in ``text``; the context has the secret
        replaced by ``<label>``."""
        hits = []
        for form, label, kind in self._forms:
            at = text.find(form)
            if at >= 0:
                context = text[max(0, at - 60):at + len(form) + 60].replace(form, "<%s>" % label)
                for other, other_label, _kind in self._forms:
                    context = context.replace(other, "<%s>" % other_label)
                hits.append((label, kind, " ".join(context.split())))
        return hits


def decode_user_data(value):
    """User data as text: base64 (as EC2 returns it) and gzip undone."""
    data = base64.b64decode(value)
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


# ---------------------------------------------------------------------------------------------
# What the clouds hold: user data, templates, secret stores


def aws_user_data(endpoint_url, region="us-east-1"):
    """``({where: text}, {label: secret})`` from the AWS stand-in: the user data of every launch
    template version and instance, and every SSM SecureString / Secrets Manager value."""
    import boto3

    def client(service):
        return boto3.client(service, endpoint_url=endpoint_url, region_name=region,
                            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "audit"),
                            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "audit"))

    ec2 = client("ec2")
    texts = {}
    for template in ec2.describe_launch_templates()["LaunchTemplates"]:
        versions = ec2.describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"])
        for version in versions["LaunchTemplateVersions"]:
            data = version["LaunchTemplateData"].get("UserData")
            if data:
                texts["launch template %s v%s" % (template["LaunchTemplateName"], version["VersionNumber"])] = \
                    decode_user_data(data)
            texts["launch template %s v%s (data)" % (template["LaunchTemplateName"], version["VersionNumber"])] = \
                json.dumps(version["LaunchTemplateData"], default=str)
    for reservation in ec2.describe_instances()["Reservations"]:
        for instance in reservation["Instances"]:
            attribute = ec2.describe_instance_attribute(InstanceId=instance["InstanceId"], Attribute="userData")
            data = attribute.get("UserData", {}).get("Value")
            if data:
                texts["instance %s" % instance["InstanceId"]] = decode_user_data(data)
            texts["instance %s (tags)" % instance["InstanceId"]] = json.dumps(instance.get("Tags", []))
    stored = {}
    ssm = client("ssm")
    for page in ssm.get_paginator("describe_parameters").paginate():
        for parameter in page["Parameters"]:
            if parameter.get("Type") == "SecureString":
                value = ssm.get_parameter(Name=parameter["Name"], WithDecryption=True)["Parameter"]["Value"]
                stored["ssm %s" % parameter["Name"]] = value
    secretsmanager = client("secretsmanager")
    for secret in secretsmanager.list_secrets().get("SecretList", []):
        value = secretsmanager.get_secret_value(SecretId=secret["ARN"]).get("SecretString")
        if value:
            stored["secretsmanager %s" % secret["Name"]] = value
    return texts, stored


# ROS resources that hold a secret (their resolved Value is searched for elsewhere).
ROS_SECRET_RESOURCES = {"ALIYUN::OOS::SecretParameter": "Value"}


def _resolve(endpoint, stack_name, resource, prop):
    request = urllib.request.Request(
        endpoint + "/_standin/resolve", method="POST",
        data=json.dumps({"stack_name": stack_name, "resource": resource, "property": prop}).encode())
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["value"]


def ros_stacks(endpoint, access_key_id, access_key_secret, region="cn-hangzhou"):
    """``({where: text}, {label: secret})`` from the ROS stand-in: every live stack's template as
    stored, its parameters as GetStack returns them, the resolved UserData of each of its
    resources; and the values of its secret resources (OOS secret parameters)."""
    from ansible_collections.streamfleet.cluster.plugins.module_utils.alicloud import ros

    settings = ros.resolve_settings(dict(access_key_id=access_key_id, access_key_secret=access_key_secret,
                                         security_token=None, profile=None, region=region, endpoint=endpoint))
    client = ros.RosClient(settings, retries=0)
    texts, stored = {}, {}
    with urllib.request.urlopen(endpoint + "/_standin/stacks", timeout=10) as response:
        stacks = [s for s in json.loads(response.read())["stacks"] if not s["deleted"]]
    for stack in stacks:
        name = stack["StackName"]
        texts["stack %s (GetStack)" % name] = json.dumps(client.get_stack(stack["StackId"]), default=str)
        body = client.get_template_body(stack["StackId"])
        texts["stack %s (template)" % name] = body
        template = json.loads(body) if body.lstrip().startswith("{") else yaml.safe_load(body)
        for resource, spec in (template.get("Resources") or {}).items():
            if "UserData" in (spec.get("Properties") or {}):
                texts["stack %s %s UserData" % (name, resource)] = str(_resolve(endpoint, name, resource, "UserData"))
            secret_property = ROS_SECRET_RESOURCES.get(spec.get("Type"))
            if secret_property and secret_property in (spec.get("Properties") or {}):
                stored["ros %s %s" % (name, resource)] = str(_resolve(endpoint, name, resource, secret_property))
    return texts, stored


def inventory_variables(cmd):
    """``{name: value}`` of the group_vars/host_vars files of the inventory directories a command
    line names (``-i DIR``): the run's secrets may come from there."""
    found = {}
    for flag, value in zip(cmd, cmd[1:]):
        if flag in ("-i", "--inventory") and Path(value).is_dir():
            for path in sorted(Path(value).glob("*_vars/**/*.yml")) + sorted(Path(value).glob("*_vars/*.yml")):
                content = _load(path)
                if isinstance(content, dict):
                    found.update(content)
    return found


# ---------------------------------------------------------------------------------------------
# Files the run wrote on the controller


TEMP_PREFIXES = ("ansible", "streamfleet")
# Not written by a topology run: the collection link, caches, and what other tools keep in
# .build (Molecule's and ansible-test's working trees, the test-host images, stage logs).
SKIPPED_DIRECTORIES = ("collections", "__pycache__", ".git", "molecule", "sanity", "test-hosts", "test-stages")


def _roots(cwd):
    roots = []
    if cwd and Path(cwd).resolve() != REPO:
        roots.append(Path(cwd))
    # ~/.ansible: its temporary and connection directories (not ansible-test's tree)
    roots += [REPO / ".build", Path.home() / ".ansible" / "tmp", Path.home() / ".ansible" / "cp"]
    return roots


def written_files(cwd, since, shared=True):
    """Files modified at or after ``since`` below the run's directory and, with ``shared``,
    ``.build/`` (not the collection link), ``~/.ansible`` and new entries of the temporary
    directory."""
    seen = set()
    roots = _roots(cwd) if shared else [Path(cwd)]
    temp = Path(tempfile.gettempdir())
    for entry in temp.iterdir() if shared and temp.is_dir() else ():
        try:
            # What Ansible (ansible.*, ansible-local-*) and the roles (streamfleet-*) create there;
            # the rest of the temporary directory belongs to other programs of the machine.
            if entry.name.startswith(TEMP_PREFIXES) and entry.lstat().st_mtime >= since - 0.01:
                roots.append(entry)
        except OSError:
            continue
    for root in roots:
        if root.is_file():
            walk = [(str(root.parent), [], [root.name])]
        else:
            walk = os.walk(root)
        for folder, dirs, files in walk:
            dirs[:] = [d for d in dirs if d not in SKIPPED_DIRECTORIES
                       and not os.path.islink(os.path.join(folder, d))]
            for name in files:
                path = os.path.join(folder, name)
                try:
                    info = os.lstat(path)
                except OSError:
                    continue
                if path in seen or not os.path.isfile(path) or os.path.islink(path):
                    continue
                if max(info.st_mtime, info.st_ctime) >= since - 0.01 and info.st_size <= MAX_FILE_BYTES:
                    seen.add(path)
                    yield path, info, root


def private_to_runner(info, path=None, root=None):
    """Mode 0600 or 0400 (nothing for group and others) and owned by the user running Ansible,
    or inside a directory of that user below ``root`` that nobody else may enter (mode 0700:
    Ansible's own ``ansible-tmp-*`` directories, where a module's payload lives for the time of
    a task). The directories above ``root`` do not count: the run's working directory is a
    private test directory, a user's playbook directory is not."""
    if info.st_uid != os.getuid():
        return False
    if (info.st_mode & 0o077) == 0:
        return True
    folder = Path(path).parent if path and root else None
    while folder is not None and folder != Path(root) and Path(root) in folder.parents:
        try:
            status = folder.stat()
        except OSError:
            return False
        if status.st_uid == os.getuid() and (status.st_mode & 0o011) == 0:
            return True
        folder = folder.parent
    return False


# ---------------------------------------------------------------------------------------------
# One audit per run


class Audit:
    """Collects the findings of the runs of one test; ``check()`` fails the test on any."""

    def __init__(self, shared_roots=True):
        self.shared_roots = shared_roots
        self.catalog = None
        self.findings = []
        self.runs = 0
        # What the stand-ins' stores held at the last audit that read them (a run that changed
        # nothing is searched for these too).
        self.stored = {}
        self.secrets = 0
        self.locations = 0
        self.seconds = 0.0

    def _catalog(self):
        if self.catalog is None:
            self.catalog = catalog()
        return self.catalog

    def audit_run(self, output, cwd, since, extra_vars=None, env=None, clouds=True):
        """Search a finished run's output, the files it wrote and, with ``clouds``, what the
        stand-ins it talked to hold."""
        started = time.monotonic()
        env = env or {}
        extra_vars = extra_vars or {}
        secrets = self._catalog().run_secrets(extra_vars, env)
        texts = {"ansible-playbook -vvv --diff output": output}
        # The stand-in itself, not the run's endpoint: a fault-injecting proxy may stand between.
        endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
        if clouds and endpoint.startswith("http://127.0.0.1:"):
            # (the region as the modules take it: AWS_REGION, then AWS_DEFAULT_REGION)
            cloud_texts, stored = aws_user_data(endpoint, os.environ.get("AWS_REGION")
                                                or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
            texts.update(cloud_texts)
            self.stored.update(stored)
        ros_endpoint = str(extra_vars.get("antmedia_cluster_alicloud_endpoint") or "")
        ros_secret = env.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET") or extra_vars.get("antmedia_cluster_alicloud_access_key_secret")
        if clouds and ros_endpoint.startswith("http://127.0.0.1:") and ros_secret:
            key_id = env.get("ALIBABA_CLOUD_ACCESS_KEY_ID") or extra_vars.get("antmedia_cluster_alicloud_access_key_id")
            region = (extra_vars.get("antmedia_cluster_alicloud_region") or env.get("ALIBABA_CLOUD_REGION_ID")
                      or "cn-hangzhou")
            cloud_texts, stored = ros_stacks(ros_endpoint, key_id, ros_secret, region)
            texts.update(cloud_texts)
            self.stored.update(stored)
        secrets.update({label: value for label, value in self.stored.items() if _searchable(value)})
        matcher = Matcher(secrets)
        self.secrets += len(secrets)
        for where, text in texts.items():
            self.locations += 1
            for label, kind, context in matcher.find(text):
                self.findings.append("%s (%s) in %s: ...%s..." % (label, kind, where, context))
        for path, info, root in written_files(cwd, since, self.shared_roots):
            self.locations += 1
            try:
                text = Path(path).read_bytes().decode("utf-8", "replace")
            except OSError:
                continue
            hits = matcher.find(text)
            if hits and not private_to_runner(info, path, root):
                for label, kind, _context in hits:
                    self.findings.append("%s (%s) in %s (mode %04o, uid %d): only a mode-0600/0400 file of %d may hold it"
                                         % (label, kind, path, info.st_mode & 0o7777, info.st_uid, os.getuid()))
        self.runs += 1
        self.seconds += time.monotonic() - started
        return matcher

    def check(self):
        findings, self.findings = self.findings, []
        assert not findings, "secret audit (issue 21): %d finding(s):\n%s" % (len(findings), "\n".join(findings))


# The audit of the running test session (one per pytest worker); the harness feeds it.
CURRENT = Audit()
