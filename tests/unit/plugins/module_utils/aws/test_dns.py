"""Pure logic of module_utils/aws/dns.py: names, values, validation."""
import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws import dns


def test_names():
    assert dns.fqdn("WWW.Example.com") == "www.example.com."
    assert dns.fqdn("\\052.example.com.") == "*.example.com."
    assert dns.record_name("www", "example.com") == "www.example.com."
    assert dns.record_name("@", "example.com.") == "example.com."
    assert dns.record_name("www.example.com", "example.com") == "www.example.com."
    assert dns.in_zone("a.b.example.com", "example.com")
    assert not dns.in_zone("badexample.com", "example.com")


def test_values_are_normalised():
    assert dns.normalise_value("TXT", "v=spf1 -all") == '"v=spf1 -all"'
    assert dns.normalise_value("TXT", '"already"') == '"already"'
    assert dns.normalise_value("CNAME", "Target.Example.com") == "target.example.com."


def test_record_key_ignores_order_and_quoting():
    a = {"Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": "b"}, {"Value": '"a"'}]}
    b = {"Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": '"a"'}, {"Value": '"b"'}]}
    assert dns.DnsRecords.record_key(a) == dns.DnsRecords.record_key(b)
    alias = {"Type": "A", "AliasTarget": {"DNSName": "LB-1.us-east-1.elb.amazonaws.com", "HostedZoneId": "Z1",
                                          "EvaluateTargetHealth": False}}
    same = {"Type": "A", "AliasTarget": {"DNSName": "lb-1.us-east-1.elb.amazonaws.com.", "HostedZoneId": "Z1",
                                         "EvaluateTargetHealth": False}}
    assert dns.DnsRecords.record_key(alias) == dns.DnsRecords.record_key(same)


def params(**overrides):
    value = dict(zone="example.com", state="present", certificate=None,
                 records=[dict(name="www", type="A", ttl=300, values=["10.0.0.1"], alias=None)])
    value.update(overrides)
    return value


def test_valid_passes():
    dns.validate(params())
    dns.validate(params(records=[], certificate=dict(domain="sm.example.com", subject_alternative_names=["*.example.com"])))


@pytest.mark.parametrize("records, message", [
    ([dict(name="www", type="A", ttl=300, values=["10.0.0.256"], alias=None)], "not an IPv4"),
    ([dict(name="www", type="AAAA", ttl=300, values=["10.0.0.1"], alias=None)], "not an IPv6"),
    ([dict(name="www", type="CNAME", ttl=300, values=["a.example", "b.example"], alias=None)], "exactly one"),
    ([dict(name="www", type="A", ttl=300, values=None, alias=None)], "values or alias"),
    ([dict(name="www", type="CNAME", ttl=300, values=None, alias=dict(balancer="lb"))], "A or AAAA"),
    ([dict(name="www", type="A", ttl=300, values=None, alias=dict(dns_name="x.example"))], "hosted_zone_id"),
    ([dict(name="www.other.org.", type="A", ttl=300, values=["10.0.0.1"], alias=None)], "not in zone"),
    ([dict(name="www", type="A", ttl=300, values=["10.0.0.1"], alias=None)] * 2, "declared twice"),
])
def test_record_validation(records, message):
    with pytest.raises(dns.DnsError, match=message):
        dns.validate(params(records=records))


def test_certificate_outside_zone_fails():
    with pytest.raises(dns.DnsError, match="not in zone"):
        dns.validate(params(certificate=dict(domain="sm.example.org", subject_alternative_names=None)))
    with pytest.raises(dns.DnsError, match="declare records"):
        dns.validate(params(records=[]))


class _StubACM:
    """describe_certificate answers from a dict; nothing else is called for an existing ARN."""

    def __init__(self, certificates):
        self.certificates = certificates

    def describe_certificate(self, aws_retry, CertificateArn):
        return {"Certificate": self.certificates[CertificateArn]}


class _StubModule:
    check_mode = False

    def __init__(self, params, acm):
        self.params = params
        self._acm = acm

    def client(self, service):
        assert service == "acm", service
        return self._acm


ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789012"


@pytest.mark.parametrize("status, reason", [("PENDING_VALIDATION", None), ("FAILED", "CAA_ERROR"), ("EXPIRED", None)])
def test_existing_certificate_must_be_issued(status, reason):
    from ansible_collections.streamfleet.cluster.plugins.module_utils.aws import certificates
    described = {"CertificateArn": ARN, "DomainName": "ams.example.test", "Status": status}
    if reason:
        described["FailureReason"] = reason
    module = _StubModule(dict(deployment="d", certificate=dict(arn=ARN)), _StubACM({ARN: described}))
    converger = certificates.DnsConverger(module)
    with pytest.raises(dns.DnsError, match="is %s, not ISSUED" % status):
        converger.check_existing_certificate()


def test_certificate_ways_are_exclusive_and_complete():
    ok = [dict(arn=ARN), dict(domain="a.example.test"),
          dict(domain="a.example.test", certificate_file="c.pem", private_key_file="k.pem")]
    for cert in ok:
        assert dns._certificate_errors(cert, "present") == []
    assert "arn takes no certificate_file" in dns._certificate_errors(dict(arn=ARN, certificate_file="c"), "present")[0]
    assert "domain is required" in dns._certificate_errors(dict(certificate_file="c", private_key_file="k"), "present")[0]
    assert "missing private_key_file" in dns._certificate_errors(dict(domain="a.b", certificate_file="c"), "present")[0]
    assert "not an ACM certificate ARN" in dns._certificate_errors(dict(arn="arn:aws:iam::1:role/x"), "present")[0]


def test_pem_fingerprint_is_the_sha256_of_the_der():
    import base64
    import hashlib
    from ansible_collections.streamfleet.cluster.plugins.module_utils.aws import certificates
    der = b"0\x82\x01\x0atest-der"
    pem = "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n" % base64.b64encode(der).decode()
    assert certificates.pem_fingerprint(pem) == hashlib.sha256(der).hexdigest()
    with pytest.raises(dns.DnsError, match="no PEM certificate"):
        certificates.pem_fingerprint("not a certificate")
