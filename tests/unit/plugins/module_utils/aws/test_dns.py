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
