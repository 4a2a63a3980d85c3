"""aws_dns against moto: records (plain and alias to a balancer) and an ACM certificate."""
import copy

import pytest

DEPLOYMENT = "dnstest"
ZONE = "stream.example.test"
CHANGING_PREFIXES = ("Create", "Change", "Delete", "Request", "Add", "Remove", "Put", "Update", "Import")


def changing_calls(result):
    return [name for name in result.get("api_calls", {})
            if name.split(".", 1)[1].startswith(CHANGING_PREFIXES)]


@pytest.fixture
def zone(aws):
    return aws.route53.create_hosted_zone(Name=ZONE, CallerReference="dns-test")["HostedZone"]["Id"].split("/")[-1]


@pytest.fixture
def balancer(aws, network):
    return aws.elbv2.create_load_balancer(Name="sm-alb", Subnets=network["subnet_ids"])["LoadBalancers"][0]


def records_in(aws, zone_id):
    sets = aws.route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return {(r["Name"], r["Type"]): r for r in sets if r["Type"] not in ("SOA", "NS")}


def dns_args(**overrides):
    args = dict(
        zone=ZONE, deployment=DEPLOYMENT,
        records=[
            dict(name="origin", type="A", ttl=60, values=["10.42.1.10"]),
            dict(name="sm", type="A", alias=dict(balancer="sm-alb", evaluate_target_health=True)),
            dict(name="www", type="CNAME", values=["sm.stream.example.test"]),
            dict(name="@", type="TXT", values=["streamfleet=dnstest"]),
        ],
    )
    args.update(overrides)
    return args


def test_records_lifecycle(run_module, aws, zone, balancer):
    args = dns_args()
    result = run_module("aws_dns", args, check_mode=True, diff=True)
    assert result["changed"] is True, result
    assert not changing_calls(result)
    assert records_in(aws, zone) == {}

    result = run_module("aws_dns", args)
    assert result["changed"] is True, result
    records = records_in(aws, zone)
    assert records[("origin.%s." % ZONE, "A")]["ResourceRecords"] == [{"Value": "10.42.1.10"}]
    alias = records[("sm.%s." % ZONE, "A")]["AliasTarget"]
    assert alias["DNSName"].rstrip(".").lower() == balancer["DNSName"].lower()
    assert alias["HostedZoneId"] == balancer["CanonicalHostedZoneId"]
    assert records[("%s." % ZONE, "TXT")]["ResourceRecords"] == [{"Value": '"streamfleet=dnstest"'}]

    result = run_module("aws_dns", args)
    assert result["changed"] is False, result["changes"]
    assert not changing_calls(result)
    print("no-op calls (records):", result["api_calls"])

    updated = copy.deepcopy(args)
    updated["records"][0]["values"] = ["10.42.1.11"]
    result = run_module("aws_dns", updated, check_mode=True, diff=True)
    assert result["changed"] is True and not changing_calls(result)
    label = "origin.%s. A" % ZONE
    assert result["diff"]["before"]["records"][label]["values"] == ["10.42.1.10"]
    assert result["diff"]["after"]["records"][label]["values"] == ["10.42.1.11"]
    assert records_in(aws, zone)[("origin.%s." % ZONE, "A")]["ResourceRecords"] == [{"Value": "10.42.1.10"}]
    result = run_module("aws_dns", updated)
    assert result["changes"] == ["update record %s" % label]
    assert records_in(aws, zone)[("origin.%s." % ZONE, "A")]["ResourceRecords"] == [{"Value": "10.42.1.11"}]
    assert run_module("aws_dns", updated)["changed"] is False

    # absent needs only names and types; the current values are read from the zone
    absent = dict(zone=ZONE, deployment=DEPLOYMENT, state="absent",
                  records=[dict(name=r["name"], type=r["type"]) for r in args["records"]])
    result = run_module("aws_dns", absent, check_mode=True)
    assert result["changed"] is True and not changing_calls(result)
    result = run_module("aws_dns", absent)
    assert result["changed"] is True
    assert records_in(aws, zone) == {}
    assert run_module("aws_dns", absent)["changed"] is False


def test_certificate_lifecycle(run_module, aws, zone):
    args = dict(zone_id=zone, deployment=DEPLOYMENT, wait_timeout=30,
                certificate=dict(domain="sm.%s" % ZONE, subject_alternative_names=["admin.%s" % ZONE]))
    result = run_module("aws_dns", args, check_mode=True)
    assert result["changed"] is True and not changing_calls(result)
    assert aws.acm.list_certificates()["CertificateSummaryList"] == []

    result = run_module("aws_dns", args)
    assert result["changed"] is True, result
    cert = result["certificate"]
    assert cert["status"] == "ISSUED"
    assert any("ISSUED" in line for line in result["wait_progress"])
    records = records_in(aws, zone)
    for validation in cert["validation_records"]:
        assert (validation["name"], "CNAME") in records
    assert aws.acm.describe_certificate(CertificateArn=cert["arn"])["Certificate"]["Status"] == "ISSUED"

    result = run_module("aws_dns", args)
    assert result["changed"] is False, result["changes"]
    assert result["certificate"]["arn"] == cert["arn"]
    assert not changing_calls(result)
    print("no-op calls (certificate):", result["api_calls"])

    # other names: a new certificate replaces the old one, which nothing uses
    changed = dict(args, certificate=dict(domain="sm.%s" % ZONE))
    result = run_module("aws_dns", changed, check_mode=True)
    assert result["changed"] is True and not changing_calls(result)
    result = run_module("aws_dns", changed)
    assert result["certificate"]["arn"] != cert["arn"]
    assert "delete replaced certificate %s" % cert["arn"] in result["changes"]
    assert [c["CertificateArn"] for c in aws.acm.list_certificates()["CertificateSummaryList"]] == [
        result["certificate"]["arn"]]
    assert run_module("aws_dns", changed)["changed"] is False

    absent = dict(changed, state="absent")
    result = run_module("aws_dns", absent)
    assert result["changed"] is True, result
    assert aws.acm.list_certificates()["CertificateSummaryList"] == []
    assert records_in(aws, zone) == {}
    assert aws.tagged(DEPLOYMENT) == []


def test_certificate_in_use_is_kept(run_module, aws, zone, network):
    args = dict(zone=ZONE, deployment=DEPLOYMENT, wait_timeout=30, certificate=dict(domain="sm.%s" % ZONE))
    arn = run_module("aws_dns", args)["certificate"]["arn"]
    lb = aws.elbv2.create_load_balancer(Name="sm-alb", Subnets=network["subnet_ids"])["LoadBalancers"][0]
    group = aws.elbv2.create_target_group(Name="sm", Protocol="HTTP", Port=5080, VpcId=network["vpc_id"])
    aws.elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Port=443, Protocol="HTTPS",
                              Certificates=[{"CertificateArn": arn}], DefaultActions=[
                                  {"Type": "forward", "TargetGroupArn": group["TargetGroups"][0]["TargetGroupArn"]}])
    if not aws.acm.describe_certificate(CertificateArn=arn)["Certificate"].get("InUseBy"):
        pytest.skip("this moto does not track InUseBy")
    result = run_module("aws_dns", dict(args, state="absent"))
    assert result["failed"] is True and "still in use" in result["msg"]
    assert not changing_calls(result)

    # once the balancer is gone, a stale InUseBy (ACM lags; moto never clears it) does not block
    aws.elbv2.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    result = run_module("aws_dns", dict(args, state="absent"))
    assert result["changed"] is True, result
    assert aws.acm.list_certificates()["CertificateSummaryList"] == []


def test_certificate_on_a_classic_listener_is_kept_until_the_balancer_goes(run_module, aws, zone, network):
    args = dict(zone=ZONE, deployment=DEPLOYMENT, wait_timeout=30, certificate=dict(domain="cdn.%s" % ZONE))
    arn = run_module("aws_dns", args)["certificate"]["arn"]
    aws.elb.create_load_balancer(LoadBalancerName="cdn-classic", Subnets=network["subnet_ids"][:1], Listeners=[
        {"Protocol": "SSL", "LoadBalancerPort": 8443, "InstanceProtocol": "TCP", "InstancePort": 8080,
         "SSLCertificateId": arn}])
    if not aws.acm.describe_certificate(CertificateArn=arn)["Certificate"].get("InUseBy"):
        pytest.skip("this moto does not track InUseBy")
    result = run_module("aws_dns", dict(args, state="absent"))
    assert result["failed"] is True and "still in use" in result["msg"]
    assert not changing_calls(result)

    aws.elb.delete_load_balancer(LoadBalancerName="cdn-classic")
    result = run_module("aws_dns", dict(args, state="absent"))
    assert result["changed"] is True, result
    assert aws.acm.list_certificates()["CertificateSummaryList"] == []


BAD_DNS_INPUT = [
    (lambda a: a["records"][1]["alias"].update(balancer="no-such-lb"), "does not exist"),
    (lambda a: a["records"].append(dict(name="x", type="A", alias=dict(
        dns_name="ghost-123.us-east-1.elb.amazonaws.com", hosted_zone_id="Z35SXDOTRQ7X7K"))), "no balancer"),
    (lambda a: a["records"][0].update(values=["10.42.1.300"]), "not an IPv4 address"),
    (lambda a: a["records"][2].update(values=["a.example.test", "b.example.test"]), "exactly one value"),
    (lambda a: a["records"].append(dict(name="other.example.org.", type="A", values=["10.0.0.1"])), "not inside the hosted zone"),
    (lambda a: a.update(certificate=dict(domain="sm.other.test")), "not inside the hosted zone"),
    (lambda a: a.update(zone="missing.example.test"), "not found"),
    (lambda a: a.update(certificate=dict(domain="sm.%s" % ZONE, certificate_file="/nonexistent.pem")),
     "needs certificate_file and private_key_file"),
    (lambda a: a.update(certificate=dict(arn="not-an-arn")), "not an ACM certificate ARN"),
]


def test_bad_input_changes_nothing(run_module, aws, zone, balancer):
    """Each bad task fails with a clear message before any call that changes something."""
    for change, message in BAD_DNS_INPUT:
        args = dns_args()
        change(args)
        result = run_module("aws_dns", args)
        assert result.get("failed") is True, (message, result)
        assert message in result["msg"], (message, result["msg"])
        assert not changing_calls(result), message
    assert records_in(aws, zone) == {}


def test_playbook_records(playbook, aws, zone, balancer):
    args = dns_args()
    absent = dict(zone=ZONE, deployment=DEPLOYMENT, state="absent",
                  records=[dict(name=r["name"], type=r["type"]) for r in args["records"]])
    results = playbook.run([
        {"name": "check", "streamfleet.cluster.aws_dns": args, "check_mode": True},
        {"name": "create", "streamfleet.cluster.aws_dns": args},
        {"name": "again", "streamfleet.cluster.aws_dns": args},
        {"name": "remove", "streamfleet.cluster.aws_dns": absent},
    ], diff=True)
    check, create, again, remove = results
    assert check["changed"] is True and create["changed"] is True
    assert again["changed"] is False and remove["changed"] is True
    assert records_in(aws, zone) == {}


def test_throttling_and_503_are_retried(run_module, aws, zone, balancer, fault_proxy):
    """Faults on the first calls (zone lookup, record listing) are retried; the run converges."""
    fault_proxy.inject("throttle", "503", "throttle")
    result = run_module("aws_dns", dns_args(endpoint_url=fault_proxy.url))
    assert result["changed"] is True, result
    assert sum(result["api_retries"].values()) == 3
    assert len(records_in(aws, zone)) == 4
    assert run_module("aws_dns", dns_args(endpoint_url=fault_proxy.url))["changed"] is False


def self_signed_pem(tmp_path, name, serial):
    """A self-signed certificate and key for ``name`` as PEM files (for the import tests)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(serial).not_valid_before(datetime.datetime(2026, 1, 1))
            .not_valid_after(datetime.datetime(2036, 1, 1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / ("cert-%d.pem" % serial), tmp_path / ("key-%d.pem" % serial)
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def test_existing_certificate_arn_is_checked(run_module, aws, tmp_path):
    cert_file, key_file = self_signed_pem(tmp_path, "ams.example.test", 7)
    with open(cert_file, "rb") as cert, open(key_file, "rb") as key:
        issued = aws.acm.import_certificate(Certificate=cert.read(), PrivateKey=key.read())["CertificateArn"]
    result = run_module("aws_dns", dict(deployment=DEPLOYMENT, certificate=dict(arn=issued)))
    assert result["changed"] is False, result
    assert result["certificate"]["arn"] == issued and result["certificate"]["status"] == "ISSUED"
    assert not changing_calls(result)

    # a certificate that is not ISSUED: tests/unit/plugins/module_utils/aws/test_dns.py (moto
    # issues every request after MOTO_ACM_VALIDATION_WAIT, so the status here would be a race)

    missing = issued[:-12] + "000000000000"
    result = run_module("aws_dns", dict(deployment=DEPLOYMENT, certificate=dict(arn=missing)))
    assert result["failed"] is True and "does not exist" in result["msg"], result

    # state=absent never deletes a certificate the user brought
    result = run_module("aws_dns", dict(deployment=DEPLOYMENT, state="absent", certificate=dict(arn=issued)))
    assert result["changed"] is False
    assert aws.acm.describe_certificate(CertificateArn=issued)["Certificate"]["Status"] == "ISSUED"


def test_certificate_import_is_idempotent(run_module, aws, tmp_path):
    cert_file, key_file = self_signed_pem(tmp_path, "ams.%s" % ZONE, 1)
    args = dict(deployment=DEPLOYMENT, certificate=dict(domain="ams.%s" % ZONE, certificate_file=cert_file,
                                                        private_key_file=key_file))
    result = run_module("aws_dns", args, check_mode=True)
    assert result["changed"] is True and not changing_calls(result)
    assert aws.acm.list_certificates()["CertificateSummaryList"] == []

    result = run_module("aws_dns", args)
    assert result["changed"] is True, result
    arn = result["certificate"]["arn"]
    assert result["certificate"]["type"] == "IMPORTED" and result["certificate"]["status"] == "ISSUED"
    assert open(key_file).read() not in str(result)
    tags = {t["Key"]: t["Value"] for t in aws.acm.list_tags_for_certificate(CertificateArn=arn)["Tags"]}
    assert tags["streamfleet:deployment"] == DEPLOYMENT
    assert tags["streamfleet:certificate-sha256"] == result["certificate"]["sha256"]

    result = run_module("aws_dns", args)
    assert result["changed"] is False, result["changes"]
    assert not changing_calls(result)

    # a renewed file goes into the same ARN: listeners keep it
    renewed_cert, renewed_key = self_signed_pem(tmp_path, "ams.%s" % ZONE, 2)
    renewed = dict(args, certificate=dict(args["certificate"], certificate_file=renewed_cert,
                                          private_key_file=renewed_key))
    result = run_module("aws_dns", renewed)
    assert result["changed"] is True and result["certificate"]["arn"] == arn, result
    assert [c["CertificateArn"] for c in aws.acm.list_certificates()["CertificateSummaryList"]] == [arn]
    assert run_module("aws_dns", renewed)["changed"] is False

    result = run_module("aws_dns", dict(renewed, state="absent"))
    assert result["changed"] is True
    assert aws.acm.list_certificates()["CertificateSummaryList"] == []


def test_without_zone_records_are_returned_for_another_provider(run_module, aws, balancer):
    args = dict(deployment=DEPLOYMENT, wait_timeout=30,
                certificate=dict(domain="ams.example.org"),
                records=[dict(name="ams.example.org", type="A", alias=dict(balancer="sm-alb"))])
    result = run_module("aws_dns", args)
    assert result["changed"] is True, result
    external = {(r["name"], r["type"]): r["value"] for r in result["external_records"]}
    assert external[("ams.example.org.", "CNAME")] == balancer["DNSName"]
    validation = result["certificate"]["validation_records"]
    assert validation and all((v["name"], "CNAME") in external for v in validation)
    assert aws.route53.list_hosted_zones()["HostedZones"] == []

    result = run_module("aws_dns", args)
    assert result["changed"] is False, result["changes"]
    assert result["external_records"]

    result = run_module("aws_dns", dict(args, records=[dict(name="ams", type="A", values=["10.0.0.1"])]))
    assert result["failed"] is True and "full domain name" in result["msg"]
