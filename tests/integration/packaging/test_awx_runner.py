"""A topology run the way AWX runs a job: ansible-runner, a private data dir, the built tarball.

AWX hands ansible-runner a private data directory: ``project/`` (the project's files),
``inventory/``, ``env/extravars`` (the survey answers and the template's extra variables),
``env/envvars`` (what credentials inject) and the collections of the project's requirements
installed under ``requirements_collections``. Here the collection comes from the built tarball
and AWS is moto on 127.0.0.1; the AWS credential's variables point boto3 at it.
"""
import json
import shutil

import boto3
import pytest
import yaml
from conftest import outside_env, run, tool

ZONE = "awx.example.test"
DEPLOYMENT = "awx-job"


@pytest.fixture
def private_data_dir(tmp_path, artifact):
    pdd = tmp_path / "job"
    collections = pdd / "requirements_collections"
    run([tool("ansible-galaxy"), "collection", "install", "--offline", "--no-deps", "-p", collections, artifact],
        tmp_path, outside_env(collections))
    installed = collections / "ansible_collections" / "streamfleet" / "cluster"
    # the project: the topology playbooks as shipped, without the collection itself
    shutil.copytree(installed / "playbooks", pdd / "project")
    (pdd / "inventory").mkdir()
    (pdd / "inventory" / "hosts").write_text(
        "localhost ansible_connection=local ansible_python_interpreter=%s\n" % tool("python"))
    (pdd / "env").mkdir()
    return pdd


def test_wcs_cdn_job_on_moto(private_data_dir, moto_url):
    pdd = private_data_dir
    client = dict(region_name="us-east-1", endpoint_url=moto_url, aws_access_key_id="testing",
                  aws_secret_access_key="testing")
    boto3.client("route53", **client).create_hosted_zone(Name=ZONE, CallerReference="awx-job")
    images = boto3.client("ec2", **client).describe_images(Owners=["099720109477"], Filters=[
        {"Name": "name", "Values": ["ubuntu/images/hvm-ssd/ubuntu-*-amd64-server-*"]}])["Images"]
    image_id = sorted(i["ImageId"] for i in images)[0]

    # survey answers (text/integer questions of the generated survey) and, for the list the
    # survey cannot ask, the job template's extra variables
    extravars = {
        "wcs_cdn_aws_deployment": DEPLOYMENT,
        "wcs_cdn_aws_image_id": image_id,
        "wcs_cdn_aws_instance_type": "t3.micro",
        "wcs_cdn_aws_zone": ZONE,
        "wcs_cdn_aws_wait_timeout": 120,
        "wcs_cdn_aws_balancer_record_type": "cname",
        "wcs_cdn_aws_admin_cidrs": ["198.51.100.0/24"],
        "wcs_cdn_aws_https": False,  # the AWX path is the point here; HTTPS has its own test
    }
    (pdd / "env" / "extravars").write_text(yaml.safe_dump(extravars))
    # what an "Amazon Web Services" credential injects, plus the emulator's endpoint
    envvars = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_ENDPOINT_URL": moto_url, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
               "AWS_EC2_METADATA_DISABLED": "true",
               "ANSIBLE_COLLECTIONS_PATH": str(pdd / "requirements_collections")}
    (pdd / "env" / "envvars").write_text(yaml.safe_dump(envvars))

    proc = run([tool("ansible-runner"), "run", pdd, "-p", "wcs_cdn_aws.yml", "--ident", "job1"], pdd,
               outside_env(AWS_CONFIG_FILE=pdd / "no-aws-config", AWS_SHARED_CREDENTIALS_FILE=pdd / "no-aws-creds"),
               timeout=900)
    artifacts = pdd / "artifacts" / "job1"
    assert (artifacts / "status").read_text() == "successful", proc.stdout[-3000:]
    assert (artifacts / "rc").read_text() == "0"

    # the roles ran from the collection installed from the tarball, not from a checkout
    role_paths = set()
    for event_file in (artifacts / "job_events").glob("*.json"):
        data = json.loads(event_file.read_text()).get("event_data", {})
        if "/roles/" in data.get("task_path", ""):
            role_paths.add(data["task_path"].split(":")[0])
    assert role_paths and all(str(pdd / "requirements_collections") in p for p in role_paths), role_paths

    elb = boto3.client("elb", **client).describe_load_balancers(LoadBalancerNames=["wcs-edge"])
    assert elb["LoadBalancerDescriptions"][0]["HealthCheck"]["Target"] == "HTTP:8081/?action=stat"
    groups = boto3.client("autoscaling", **client).describe_auto_scaling_groups(
        AutoScalingGroupNames=["wcs-edge"])["AutoScalingGroups"]
    assert [t["Value"] for t in groups[0]["Tags"] if t["Key"] == "streamfleet:deployment"] == [DEPLOYMENT]
