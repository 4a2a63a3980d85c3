"""One first converge per topology, shared by the tests that start from a deployed topology
(issue 20: the integration stage's long pole was the same topology converged from nothing by
the lifecycle, day-2 and secrets tests, one after another).

``SharedDeployment`` converges a topology once per pytest worker -- the plan on nothing, then
the deploy, both through the secret audit like every topology run -- on a moto server of its
own, so that the reset of the session's moto before every other test (``aws_env``) leaves it
alone, and hands it to each test that asks for it (``antmedia_deployment`` in conftest.py):

- what the first converge reported (stats, output, the plan, what was tagged before it) and the
  Auto Scaling groups right after it are kept in ``first``: a test asserts on the first converge
  there, whatever the tests before it did since;
- a test that changes the deployment puts it back (a re-run with its own variables), or calls
  ``consume()`` before it removes it (the lifecycle's teardown): the next test that asks gets a
  fresh converge, so the tests stay right in any order; the ``xdist_group`` of the tests and
  their place in ``LONGEST_FIRST`` (tests/conftest.py) make it one converge per run;
- a test that fails leaves the deployment in a state nobody knows: it is consumed too.
"""
import urllib.request

import pytest

from lib import harness, secret_audit

ANTMEDIA_GROUP = "antmedia-shared"

# The Ant Media cluster (seed 002) as the lifecycle, day-2 and secrets tests need it: HTTPS in
# its zone, RTMP ingest, the first administrator claimed through the stand-in console, scaling
# events to a topic, the internal MongoDB with both passwords, each awkward to quote.
ANTMEDIA_DEPLOYMENT = "ams-topology"
ANTMEDIA_ZONE = "ams-zone.example.test"
ANTMEDIA_PASSWORD = "cl'uster/p@ss:w%rd \"$(x)`&"
ANTMEDIA_MONGODB_ADMIN_PASSWORD = "adm1n-p@ss/word%"
ANTMEDIA_PANEL_PASSWORD = "panel:pass&word-9"
ANTMEDIA_ADMIN_EMAIL = "admin@example.com"
ANTMEDIA_TOPIC = "antmedia-scaling"


def antmedia_vars(image_id, console_url):
    return dict(
        antmedia_cluster_aws_domain="live." + ANTMEDIA_ZONE,
        antmedia_cluster_aws_zone=ANTMEDIA_ZONE,
        antmedia_cluster_aws_ingest_domain="rtmp." + ANTMEDIA_ZONE,
        antmedia_cluster_aws_deployment=ANTMEDIA_DEPLOYMENT,
        antmedia_cluster_aws_image_id=image_id,
        antmedia_cluster_aws_mongodb_image_id=image_id,
        antmedia_cluster_aws_mongodb_password=ANTMEDIA_PASSWORD,
        antmedia_cluster_aws_mongodb_admin_password=ANTMEDIA_MONGODB_ADMIN_PASSWORD,
        antmedia_cluster_aws_instance_type="t3.micro",
        antmedia_cluster_aws_add_hosts=False,
        antmedia_cluster_aws_wait_timeout=120,
        # The first administrator is claimed through the console address (the balancer's, here
        # the stand-in's): once on the first deploy, nothing sent or changed on a re-run.
        antmedia_cluster_aws_admin_email=ANTMEDIA_ADMIN_EMAIL,
        antmedia_cluster_aws_admin_password=ANTMEDIA_PANEL_PASSWORD,
        antmedia_cluster_aws_admin_url=console_url,
        antmedia_cluster_aws_notification_topic=ANTMEDIA_TOPIC,
    )


def run_antmedia_role(playbook, role_vars, check=False, **overrides):
    """The role as a user's play includes it, with ``--diff``; the run's stats."""
    task = {"name": "topology", "ansible.builtin.include_role": {"name": "streamfleet.cluster.antmedia_cluster_aws"}}
    playbook.run([task], check=check, diff=True, extra_vars=dict(role_vars, **overrides))
    return playbook.stats


def stock_image_id(aws):
    """A stock Ubuntu AMI of moto (narrowly filtered, as conftest's ``base_image_id``)."""
    images = aws.ec2.describe_images(Owners=["099720109477"], Filters=[
        {"Name": "name", "Values": ["ubuntu/images/hvm-ssd/ubuntu-*-amd64-server-*"]}])["Images"]
    return sorted(images, key=lambda image: image["ImageId"])[0]["ImageId"]


class SharedDeployment:
    """A topology converged once on a moto of its own; ``get()`` converges it when it is not there."""

    def __init__(self, name, directory, build):
        self.name = name
        self.directory = directory
        self._build = build
        self._moto = None
        self.endpoint = None
        self.aws = None
        self.playbook = None
        self.vars = None
        self.first = None
        self.stored = {}
        self.converges = 0
        self.consumed = True

    def start(self, clients, runner):
        """Start its moto (``harness.moto_server``); ``clients(endpoint)`` makes the boto3 clients,
        ``runner(directory)`` the ``PlaybookRunner`` of its runs."""
        self._moto = harness.moto_server(self.directory, env=dict(MOTO_ACM_VALIDATION_WAIT="2",
                                                                  AWS_DEFAULT_REGION="us-east-1"))
        self.endpoint = self._moto.__enter__()
        self.aws = clients(self.endpoint)
        self.playbook = runner(self.directory)
        return self

    def get(self):
        """The deployment; converged first (on a reset moto) if it is not there. Call with the
        environment pointed at ``endpoint`` (the runs and the secret audit read it)."""
        if self.consumed:
            request = urllib.request.Request(self.endpoint + "/moto-api/reset", data=b"", method="POST")
            urllib.request.urlopen(request, timeout=30).read()
            self.vars, self.first = self._build(self)
            self.converges += 1
            self.consumed = False
            # what the stand-ins held at the converge: later runs that change nothing are
            # searched for these too (the audit forgets them between tests)
            self.stored = dict(secret_audit.CURRENT.stored)
        else:
            secret_audit.CURRENT.stored.update(self.stored)
        return self

    def renew(self):
        """A fresh converge now (the environment pointed at ``endpoint``, as for ``get()``)."""
        self.consume()
        return self.get()

    def consume(self):
        """The caller removes or changes the deployment for good: the next ``get()`` converges anew."""
        self.consumed = True

    def stop(self):
        if self._moto is not None:
            self._moto.__exit__(None, None, None)
            self._moto = None


def build_antmedia(shared, console_url):
    """The Ant Media cluster's plan on nothing and first converge, on ``shared``'s moto."""
    aws = shared.aws
    zone_id = aws.route53.create_hosted_zone(Name=ANTMEDIA_ZONE, CallerReference="ams-topology")["HostedZone"]["Id"]
    role_vars = antmedia_vars(stock_image_id(aws), console_url)
    playbook = shared.playbook
    plan = run_antmedia_role(playbook, role_vars, check=True)
    tagged_after_plan = aws.tagged(ANTMEDIA_DEPLOYMENT)
    stats = run_antmedia_role(playbook, role_vars)
    first = dict(
        plan_stats=plan, tagged_after_plan=tagged_after_plan, stats=stats, output=playbook.last_output,
        zone_id=zone_id,
        groups={g["AutoScalingGroupName"]: g for g in aws.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]},
    )
    return role_vars, first


xdist_group_antmedia = pytest.mark.xdist_group(ANTMEDIA_GROUP)
