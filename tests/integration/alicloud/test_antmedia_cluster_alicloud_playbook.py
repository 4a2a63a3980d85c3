"""playbooks/antmedia_cluster_alicloud.yml with inventories/alicloud-example against the stand-in."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lib.antmedia_console import RunningConsole
from lib.harness import run_ansible_playbook

REPO = Path(__file__).resolve().parents[3]
PLAYBOOK = REPO / "playbooks" / "antmedia_cluster_alicloud.yml"
INVENTORY = REPO / "inventories" / "alicloud-example"
VAULT_APP_PASSWORD = "vault-app:pass&word"
VAULT_ADMIN_PASSWORD = "vault-admin'pass$word"


def run_playbook(standin, playbook, extra_vars=None, check=False):
    env = playbook.env({
        "ALIBABA_CLOUD_ACCESS_KEY_ID": standin.access_key_id,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": standin.access_key_secret,
    })
    # The example inventory reads the MongoDB passwords from a vault; these stand in for it.
    ev = {"antmedia_cluster_alicloud_endpoint": standin.endpoint,
          "antmedia_cluster_alicloud_wait_poll_interval": 0.1,
          "antmedia_cluster_alicloud_mongodb_password": VAULT_APP_PASSWORD,
          "antmedia_cluster_alicloud_mongodb_admin_password": VAULT_ADMIN_PASSWORD}
    ev.update(extra_vars or {})
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(INVENTORY), str(PLAYBOOK),
           "-e", json.dumps(ev)]
    if check:
        cmd += ["--check", "--diff"]
    proc = run_ansible_playbook(cmd, env=env, cwd=str(REPO), extra_vars=ev, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    # The JSON callback names role tasks "role : task".
    tasks = {t["task"]["name"].split(" : ")[-1]: t["hosts"]["localhost"] for t in doc["plays"][0]["tasks"]}
    return doc["stats"]["localhost"], tasks


ADMIN_PASSWORD = "panel:pass&word-alibaba"


@pytest.fixture
def console(tmp_path):
    """The Ant Media stand-in's console on 127.0.0.1, in place of the balancer (the ROS stand-in has none)."""
    running = RunningConsole(tmp_path)
    yield running
    running.stop()


def test_playbook_claims_the_panel_once_through_the_balancer(standin, playbook, console):
    admin = {"antmedia_cluster_alicloud_admin_email": "admin@example.com",
             "antmedia_cluster_alicloud_admin_password": ADMIN_PASSWORD,
             "antmedia_cluster_alicloud_admin_url": console.url,
             # The modules' validation refuses polls under 0.1 s.
             "antmedia_cluster_alicloud_wait_poll_interval": 0.1}
    stats, tasks = run_playbook(standin, playbook, admin)
    created = tasks["First administrator of the web panel, through the load balancer"]
    assert created["changed"] is True and created["created"] is True
    assert [(user["email"], user["userType"]) for user in console.users()] == [("admin@example.com", "ADMIN")]
    stats, tasks = run_playbook(standin, playbook, admin)
    assert stats["changed"] == 0
    assert tasks["First administrator of the web panel, through the load balancer"]["verified"] is True
    assert not any("first visitor" in line for line in tasks["Show how to reach the cluster"]["msg"])
    run_playbook(standin, playbook, dict(admin, antmedia_cluster_alicloud_state="absent"))


def added_hosts(tasks):
    """Inventory group -> the add_host results of the role's one inventory task (MongoDB, origins, edges)."""
    groups = {}
    for item in tasks["Add MongoDB, the origins and the edges to the inventory"]["results"]:
        groups.setdefault(item["add_host"]["groups"][0], []).append(item["add_host"])
    return groups


def added_nodes(tasks):
    """Inventory group -> the origins and edges the role added."""
    return {group: hosts for group, hosts in added_hosts(tasks).items() if group != "antmedia_cluster_alicloud_mongodb"}


def added_mongodb(tasks):
    """The MongoDB instance's add_host result."""
    [mongodb] = added_hosts(tasks)["antmedia_cluster_alicloud_mongodb"]
    return mongodb


def stack_status(tasks):
    """The stack's status as the role reports it (the apply task's own result is censored: passwords)."""
    return tasks["Show how to reach the cluster"]["msg"][0].rsplit(": ", 1)[1]


def test_playbook_previews_creates_and_is_idempotent(standin, playbook):
    stats, tasks = run_playbook(standin, playbook, check=True)
    assert tasks["Apply the ROS stack"]["changed"] is True and tasks["Apply the ROS stack"]["censored"]
    assert stack_status(tasks) == "PREVIEW"
    assert standin.stacks() == []
    # No stack yet, so no scaling group to read: the nodes' step is skipped, not failed, and
    # nothing goes into the inventory.
    assert tasks["Read the origin and edge nodes"].get("skipped") is True
    assert tasks["Add MongoDB, the origins and the edges to the inventory"].get("skipped") is True

    stats, tasks = run_playbook(standin, playbook)
    assert stats["changed"] == 1 and stats["failures"] == 0
    assert stack_status(tasks) == "CREATE_COMPLETE"
    # No administrator asked for: the summary says the panel stays open to its first visitor.
    assert tasks["Show how to reach the cluster"]["msg"][-1].startswith("antmedia_cluster_alicloud_admin_email is empty")
    outputs = tasks["Publish the stack outputs"]["ansible_facts"]["antmedia_cluster_alicloud_outputs"]
    assert set(outputs) >= {"AlbDnsName", "OriginScalingGroupId", "EdgeScalingGroupId", "MongoDbPrivateIp"}
    assert outputs["AlbDnsName"].endswith(".alb.aliyuncs.com")
    # The keys the AWS role publishes for the same things.
    assert outputs["balancer_dns_name"] == outputs["AlbDnsName"] and outputs["vpc_id"] == outputs["VpcId"]
    assert outputs["mongodb_private_ip"] == outputs["MongoDbPrivateIp"]
    # Later plays reach MongoDB through the inventory (no public address: its private one).
    added = added_mongodb(tasks)
    assert added["host_name"] == "antmedia-example-mongodb"
    assert added["groups"] == ["antmedia_cluster_alicloud_mongodb"]
    assert added["host_vars"]["ansible_host"] == outputs["MongoDbPrivateIp"]
    assert added["host_vars"]["antmedia_cluster_alicloud_private_ip"] == outputs["MongoDbPrivateIp"]
    assert set(added["host_vars"]) == {"ansible_host", "antmedia_cluster_alicloud_private_ip",
                                       "antmedia_cluster_alicloud_instance_id"}
    assert outputs["deployment"] == "antmedia-example"
    # ... and the origins and edges through theirs (issue #18), private addresses by default.
    nodes = added_nodes(tasks)
    assert [(group, len(hosts)) for group, hosts in sorted(nodes.items())] == [
        ("antmedia_cluster_alicloud_edges", 2), ("antmedia_cluster_alicloud_origins", 1)]
    [origin] = nodes["antmedia_cluster_alicloud_origins"]
    assert origin["host_name"].startswith("antmedia-example-origin-i-")
    assert origin["host_vars"]["ansible_host"] == origin["host_vars"]["antmedia_cluster_alicloud_private_ip"]
    assert origin["host_vars"]["antmedia_cluster_alicloud_private_ip"].startswith("192.168.")
    assert origin["host_vars"]["antmedia_cluster_alicloud_scaling_group_id"] == outputs["OriginScalingGroupId"]
    assert set(origin["host_vars"]) == {"ansible_host", "antmedia_cluster_alicloud_private_ip", "antmedia_cluster_alicloud_public_ip",
                                        "antmedia_cluster_alicloud_instance_id", "antmedia_cluster_alicloud_zone_id",
                                        "antmedia_cluster_alicloud_scaling_group_id"}
    # No image id in the example: MongoDB gets the newest image of the baked family it names.
    from standins.ros_standin import find_images
    assert standin.resolve("antmedia-example", "MongoDb", "ImageId") == find_images(
        {"ImageFamily": "streamfleet-mongodb"})[0]["ImageId"] == "m-streamfleetmongodb0002"
    [live] = standin.stacks()
    assert live["StackName"] == "antmedia-example"

    stats, tasks = run_playbook(standin, playbook)
    assert stats["changed"] == 0, tasks
    assert "UpdateStack" not in standin.calls()

    stats, tasks = run_playbook(standin, playbook, {"antmedia_cluster_alicloud_instance_type": "ecs.g6e.2xlarge",
                                                    "antmedia_cluster_alicloud_edge_max": 12,
                                                    "antmedia_cluster_alicloud_edge_desired": 3})
    assert stats["changed"] == 1 and stack_status(tasks) == "UPDATE_COMPLETE"
    assert len(added_nodes(tasks)["antmedia_cluster_alicloud_edges"]) == 3   # the new desired capacity

    stats, tasks = run_playbook(standin, playbook, {"antmedia_cluster_alicloud_state": "absent"})
    assert stats["changed"] == 1 and standin.stacks() == []
    assert tasks["Delete the ROS stack"]["status"] == "DELETE_COMPLETE"


def test_playbook_with_a_hostile_password_keeps_it_out_of_the_output(standin, playbook, secret_audit_findings):
    password = "@:/?#[]%&+ "
    # The URL with the password inside the NoEcho parameter: the path without the MongoDB boot.
    stats, tasks = run_playbook(standin, playbook, {"antmedia_cluster_alicloud_mongodb_boot": False,
                                                    "antmedia_cluster_alicloud_mongodb_user": "antmedia",
                                                    "antmedia_cluster_alicloud_mongodb_password": password,
                                                    "antmedia_cluster_alicloud_mongodb_eip": True})
    assert stats["failures"] == 0 and tasks["Apply the ROS stack"]["censored"]
    [live] = standin.stacks()
    assert "MongoDbUrl" in live["no_echo"]
    assert password not in str(tasks) and "%40%3A%2F" not in str(tasks)
    # The MongoDB instance with an Elastic IP: the inventory entry uses it.
    outputs = tasks["Publish the stack outputs"]["ansible_facts"]["antmedia_cluster_alicloud_outputs"]
    added = added_mongodb(tasks)
    assert added["host_vars"]["ansible_host"] == outputs["MongoDbEip"] == outputs["mongodb_public_ip"]
    # The boot script a node gets: the URL percent-encoded, the host filled in by ROS.
    address = tasks["Publish the stack outputs"]["ansible_facts"]["antmedia_cluster_alicloud_outputs"]["MongoDbPrivateIp"]
    script = standin.resolve("antmedia-example", "EdgeLaunchTemplate", "UserData")
    expected = "mongodb://antmedia:%40%3A%2F%3F%23%5B%5D%25%26%2B%20@" + address + ":27017"
    assert "\nCLUSTER_URL='" + expected + "'\n" in script
    # Without the MongoDB boot path the nodes' user data holds the URL with the password, by design
    # (why the boot path is the default): the secret audit finds exactly that, and nothing else.
    expected_findings = [f for f in secret_audit_findings.findings
                         if f.startswith("antmedia_cluster_alicloud_mongodb_password (percent-encoded) in stack "
                                         "antmedia-example ") and "LaunchTemplate UserData" in f]
    assert len(expected_findings) == 2, secret_audit_findings.findings
    secret_audit_findings.findings = [f for f in secret_audit_findings.findings if f not in expected_findings]
    run_playbook(standin, playbook, {"antmedia_cluster_alicloud_state": "absent"})


def test_playbook_refuses_ssh_from_everywhere(standin, playbook):
    env = playbook.env({"ALIBABA_CLOUD_ACCESS_KEY_ID": standin.access_key_id,
                        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": standin.access_key_secret})
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(INVENTORY), str(PLAYBOOK),
           "-e", json.dumps({"antmedia_cluster_alicloud_endpoint": standin.endpoint,
                             "antmedia_cluster_alicloud_admin_cidrs": ["0.0.0.0/0"]})]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(REPO), timeout=300, check=False)
    assert proc.returncode != 0
    assert "antmedia_cluster_alicloud_admin_cidrs holds 0.0.0.0/0" in proc.stdout
    assert standin.calls() == []


def test_example_inventory_holds_placeholders_only():
    doc = yaml.safe_load((INVENTORY / "group_vars" / "all.yml").read_text())
    assert doc["antmedia_cluster_alicloud_access_key_id"].startswith("{{ vault_")
    assert doc["antmedia_cluster_alicloud_access_key_secret"].startswith("{{ vault_")
    assert "REPLACE" in doc["antmedia_cluster_alicloud_image_id"]


def test_mongodb_boot_path_keeps_every_password_out_of_user_data(standin, playbook, tmp_path):
    """Each instance's UserData as ROS resolves it (Ref, Fn::GetAtt, Fn::Replace applied) holds no password.

    The same run uploads a certificate made for this test and creates the DNS record: the private
    key reaches the stack as a NoEcho parameter and the certificate resource only.
    """
    from lib.pem import make_pem_pair
    cert, key, key_pem = make_pem_pair(tmp_path)
    key_body = key_pem.strip().splitlines()[1]
    app, admin = "app:pass&word/%40 x", "admin'pass\"word$"
    stats, tasks = run_playbook(standin, playbook, {
        "antmedia_cluster_alicloud_mongodb_user": "antmedia",
        "antmedia_cluster_alicloud_mongodb_password": app, "antmedia_cluster_alicloud_mongodb_admin_password": admin,
        "antmedia_cluster_alicloud_certificate_id": "", "antmedia_cluster_alicloud_certificate_file": cert,
        "antmedia_cluster_alicloud_certificate_private_key_file": key,
        "antmedia_cluster_alicloud_dns_domain": "example.com", "antmedia_cluster_alicloud_dns_record": "live"})
    assert stats["failures"] == 0 and tasks["Apply the ROS stack"]["censored"]
    [live] = standin.stacks()
    assert {"MongoDbAdminPassword", "MongoDbAppPassword", "MongoDbUrl"} <= set(live["no_echo"])
    scripts = {name: standin.resolve("antmedia-example", name, "UserData")
               for name in ("MongoDb", "OriginLaunchTemplate", "EdgeLaunchTemplate")}
    for name, script in scripts.items():
        for secret in (app, admin, "app%3Apass", "admin%27pass"):
            assert secret not in script, name
    assert "alicloud-oos:antmedia-example-mongodb-admin" in scripts["MongoDb"]
    assert "--password-secret alicloud-oos:antmedia-example-mongodb-app" in scripts["EdgeLaunchTemplate"]
    address = tasks["Publish the stack outputs"]["ansible_facts"]["antmedia_cluster_alicloud_outputs"]["MongoDbPrivateIp"]
    assert "CLUSTER_URL='mongodb://antmedia@%s:27017'" % address in scripts["OriginLaunchTemplate"]
    # The secret parameter the stack created holds the password (its only place besides NoEcho parameters).
    assert standin.resolve("antmedia-example", "MongoDbAppSecret", "Value") == app
    assert password_free(str(tasks), app, admin)
    # The certificate: uploaded by the stack, its key in a NoEcho parameter, used by both HTTPS listeners.
    assert "CertificatePrivateKey" in live["no_echo"]
    assert standin.resolve("antmedia-example", "Certificate", "Key") == key_pem.strip()
    # (the stand-in gives a list property as its JSON text, functions inside left as written)
    listener = json.loads(standin.resolve("antmedia-example", "Listener5443", "Certificates"))
    assert listener == [{"CertificateId": {"Fn::GetAtt": ["Certificate", "CertId"]}}]
    outputs = tasks["Publish the stack outputs"]["ansible_facts"]["antmedia_cluster_alicloud_outputs"]
    assert outputs["CertificateId"] == outputs["certificate_id"] and outputs["CertificateId"]
    assert key_body not in str(tasks) and key_body not in json.dumps(live)
    # The DNS record: the streaming name as a CNAME to the balancer.
    assert outputs["dns_name"] == outputs["DnsName"] == "live.example.com"
    assert standin.resolve("antmedia-example", "DnsRecord", "Value") == outputs["AlbDnsName"]
    assert standin.resolve("antmedia-example", "DnsRecord", "Type") == "CNAME"
    run_playbook(standin, playbook, {"antmedia_cluster_alicloud_state": "absent"})


def test_example_inventory_boots_mongodb_by_default():
    """The boot path is the role's default; the example names the nodes' user and reads both passwords from a vault."""
    doc = yaml.safe_load((INVENTORY / "group_vars" / "all.yml").read_text())
    defaults = yaml.safe_load((REPO / "roles" / "antmedia_cluster_alicloud" / "defaults" / "main.yml").read_text())
    assert defaults["antmedia_cluster_alicloud_mongodb_boot"] is True
    assert "antmedia_cluster_alicloud_mongodb_boot" not in doc
    assert doc["antmedia_cluster_alicloud_mongodb_user"]
    assert doc["antmedia_cluster_alicloud_mongodb_password"].startswith("{{ vault_")
    assert doc["antmedia_cluster_alicloud_mongodb_admin_password"].startswith("{{ vault_")


def password_free(text, *passwords):
    return not any(password in text for password in passwords)
