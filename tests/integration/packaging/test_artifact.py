"""The Galaxy artifact: runtime content only, installable offline, usable from where it is installed."""
import json
import posixpath
import subprocess
import tarfile

import yaml
from conftest import REPO, outside_env, run, tool

NOT_SHIPPED = ("tests/", "molecule/", "benchmarks/", "scripts/", "inventories/sandbox/", ".ci/",
               "collections/", "playbooks/collections", ".venv/", ".build/")
NOT_SHIPPED_FILES = ("Makefile", "requirements.txt", "ansible.cfg", ".ansible-lint", ".gitignore",
                     "playbooks/sandbox.yml")


def _members(artifact):
    with tarfile.open(artifact) as tar:
        return {m.name: m for m in tar.getmembers()}


def _tracked(prefix):
    out = subprocess.run(["git", "ls-files", "--", prefix], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout.split()
    return [p for p in out if "__pycache__" not in p and (REPO / p).is_file()]


def test_tarball_holds_runtime_content_only(artifact):
    members = _members(artifact)
    names = set(members)
    leaked = sorted(n for n in names if n.startswith(NOT_SHIPPED) or n in NOT_SHIPPED_FILES)
    assert leaked == []
    # file links inside the collection are fine (roles share a template); none may point out of it
    # or at a directory (the links a checkout uses to find itself)
    for name in names:
        if members[name].issym():
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), members[name].linkname))
            assert target in names and members[target].isfile(), (name, members[name].linkname)
    assert not [n for n in names if n.endswith(".pyc") or "__pycache__" in n]
    for required in ("LICENSE", "README.md", "MANIFEST.json", "FILES.json", "meta/runtime.yml",
                     "meta/execution-environment.yml", "meta/ee-requirements.txt", "meta/ee-bindep.txt",
                     "execution-environment.yml", "changelogs/changelog.yaml", "changelogs/config.yaml",
                     "playbooks/wcs_cdn_aws.yml", "playbooks/awx_setup.yml", "docs/awx.md",
                     "inventories/aws-example/hosts.yml"):
        assert required in names, required
    # everything the repository tracks under the runtime folders is shipped
    for prefix in ("plugins", "roles", "playbooks", "docs", "changelogs/fragments"):
        missing = [p for p in _tracked(prefix) if p not in names and not p.startswith(NOT_SHIPPED)
                   and p not in NOT_SHIPPED_FILES]
        assert missing == [], prefix


def test_license_is_the_gpl_v3_text_and_manifest_names_dependencies(artifact):
    with tarfile.open(artifact) as tar:
        license_text = tar.extractfile("LICENSE").read().decode()
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    assert "GNU GENERAL PUBLIC LICENSE" in license_text and "Version 3, 29 June 2007" in license_text
    info = manifest["collection_info"]
    assert info["license"] == ["GPL-3.0-or-later"]
    assert set(info["dependencies"]) >= {"amazon.aws", "community.general", "community.mysql"}
    # every collection the roles and playbooks call is a declared dependency (or ansible.builtin)
    used = set()
    for path in list(REPO.glob("roles/*/tasks/*.yml")) + list(REPO.glob("playbooks/*.yml")):
        for word in path.read_text().split():
            parts = word.strip(":\"'").split(".")
            if len(parts) == 3 and parts[0] in ("community", "amazon", "ansible") and parts[2].isidentifier():
                used.add("%s.%s" % (parts[0], parts[1]))
    used -= {"ansible.builtin", "ansible.posix"}  # ansible.posix: the json callback in tests only
    assert used - set(info["dependencies"]) - {"ansible.legacy"} == set()


def test_installed_collection_documents_and_parses(installed, tmp_path):
    env = outside_env(installed)
    doc = run([tool("ansible-doc"), "streamfleet.cluster.aws_fleet"], tmp_path, env).stdout
    assert str(installed) in doc  # documented from the installed copy, not the checkout
    assert "auto scaling" in doc.lower()
    for role in ("wcs_cdn_aws", "antmedia_cluster_aws"):
        out = run([tool("ansible-doc"), "-t", "role", "streamfleet.cluster." + role], tmp_path, env).stdout
        assert "ENTRY POINT: main" in out or "ENTRY POINT: *main*" in out or "main" in out
    playbooks = installed / "ansible_collections" / "streamfleet" / "cluster" / "playbooks"
    run([tool("ansible-playbook"), "--syntax-check", "-i", "localhost,", playbooks / "wcs_cdn_aws.yml"], tmp_path, env)
    # by its collection name, as `ansible-playbook streamfleet.cluster.<playbook>`
    run([tool("ansible-playbook"), "--syntax-check", "-i", "localhost,", "streamfleet.cluster.antmedia_cluster_aws"],
        tmp_path, env)


def test_aws_group_reaches_our_modules_and_amazon_aws_modules(installed, tmp_path):
    """group/streamfleet.cluster.aws extends amazon.aws.aws: one module_defaults entry reaches both.

    An option no module knows makes each module that receives it refuse it before any call, so
    the refusal proves the defaults reached the module (no AWS needed).
    """
    play = [{
        "name": "probe", "hosts": "localhost", "connection": "local", "gather_facts": False,
        "module_defaults": {"group/streamfleet.cluster.aws": {"streamfleet_probe_option": 1}},
        "tasks": [
            {"name": "ours", "streamfleet.cluster.aws_deployment_info": {"deployment": "x"},
             "ignore_errors": True, "register": "ours"},
            {"name": "amazon", "amazon.aws.ec2_vpc_net_info": {}, "ignore_errors": True, "register": "amazon"},
            {"name": "report", "ansible.builtin.debug": {"msg": "{{ [ours.msg, amazon.msg] | to_json }}"}},
        ],
    }]
    path = tmp_path / "probe.yml"
    path.write_text(yaml.safe_dump(play))
    out = run([tool("ansible-playbook"), "-i", "localhost,", path], tmp_path,
              outside_env(installed, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
                          ANSIBLE_PYTHON_INTERPRETER=tool("python"))).stdout
    doc = json.loads(out)
    messages = json.loads(doc["plays"][0]["tasks"][2]["hosts"]["localhost"]["msg"])
    assert all("streamfleet_probe_option" in m for m in messages), messages
    # runtime metadata as shipped: the group lists every AWS module of ours
    runtime = yaml.safe_load((installed / "ansible_collections/streamfleet/cluster/meta/runtime.yml").read_text())
    group = runtime["action_groups"]["aws"]
    assert group[0] == {"metadata": {"extend_group": ["amazon.aws.aws"]}}
    modules = sorted(p.stem for p in (REPO / "plugins" / "modules").glob("aws_*.py"))
    assert sorted(group[1:]) == modules
