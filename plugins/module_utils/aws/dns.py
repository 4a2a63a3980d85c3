# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DNS records (Route 53) for streamfleet.cluster.

Records are compared with what the zone holds and written with one UPSERT batch only when they
differ; on ``state=absent`` they are deleted with the values the zone currently holds. The
certificates of the same task (``aws_dns``) are in ``certificates.py``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.converger import ConvergeError, Converger
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.retries import error_code
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.waiters import wait_for
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import Checks

try:
    from botocore.exceptions import ClientError
except ImportError:  # reported by the shared AWS module class
    ClientError = Exception

ELB_DNS = re.compile(r"\.elb\.amazonaws\.com\.?$|\.elb\.[a-z0-9-]+\.amazonaws\.com\.?$", re.IGNORECASE)
IPV4 = re.compile(r"^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$")
HOSTNAME = re.compile(r"^(\*\.)?([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9_]"
                      r"([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.?$")


class DnsError(ConvergeError):
    """Invalid task input or a state the module refuses to change; nothing was changed."""


def fqdn(name):
    """Lower-case name with a trailing dot; Route 53's octal escape of ``*`` undone."""
    name = (name or "").replace("\\052", "*").lower()
    return name if name.endswith(".") else name + "."


def in_zone(name, zone):
    name, zone = fqdn(name), fqdn(zone)
    return name == zone or name.endswith("." + zone)


def record_name(name, zone):
    """A record name relative to the zone (``www``, ``@``) or absolute -> absolute FQDN.

    Without a zone (records for another DNS provider) every name is taken as absolute.
    """
    if not zone:
        return fqdn(name)
    if name in ("@", ""):
        return fqdn(zone)
    if in_zone(name, zone):
        return fqdn(name)
    if name.endswith("."):
        return fqdn(name)  # absolute name outside the zone: reported by validation
    return fqdn("%s.%s" % (name, fqdn(zone)))


def _valid_ipv6(value):
    try:
        import ipaddress
        return isinstance(ipaddress.ip_address(value.strip()), ipaddress.IPv6Address)
    except ValueError:
        return False


def quote_txt(value):
    value = value.strip()
    if value.startswith('"') and value.endswith('"') and len(value) >= 2:
        return value
    return '"%s"' % value.replace('"', '\\"')


def normalise_value(record_type, value):
    if record_type == "TXT":
        return quote_txt(value)
    if record_type == "CNAME":
        return fqdn(value)
    return value.strip().lower()


def validate(params):
    """Check records and certificate without calling AWS; raise DnsError with every problem."""
    errors = []
    zone = params.get("zone")
    no_zone = not zone and not params.get("zone_id")
    if not params.get("records") and not params.get("certificate"):
        errors.append("declare records, a certificate or both")
    seen = set()
    for index, record in enumerate(params.get("records") or []):
        where = "records[%d] (%s %s)" % (index, record["name"], record["type"])
        alias = record.get("alias")
        if zone and record["name"].endswith(".") and not in_zone(record["name"], zone):
            errors.append("%s: name is not in zone %s" % (where, zone))
        if no_zone and (record["name"] in ("@", "") or "." not in record["name"].rstrip(".")):
            errors.append("%s: without zone or zone_id a record name must be a full domain name "
                          "(the records are returned for another DNS provider)" % where)
        key = (record_name(record["name"], zone or "invalid.") if zone else record["name"], record["type"])
        if key in seen:
            errors.append("%s: declared twice" % where)
        seen.add(key)
        if params.get("state") == "absent":
            continue
        if alias and record.get("values"):
            errors.append("%s: give values or alias, not both" % where)
        if not alias and not record.get("values"):
            errors.append("%s: values or alias is required" % where)
        if alias:
            if record["type"] not in ("A", "AAAA"):
                errors.append("%s: an alias to a balancer is an A or AAAA record" % where)
            if not alias.get("balancer") and not (alias.get("dns_name") and alias.get("hosted_zone_id")):
                errors.append("%s: alias needs balancer, or dns_name and hosted_zone_id" % where)
            if alias.get("balancer") and (alias.get("dns_name") or alias.get("hosted_zone_id")):
                errors.append("%s: alias takes balancer or dns_name/hosted_zone_id, not both" % where)
            continue
        values = record.get("values") or []
        if record["type"] == "CNAME" and len(values) != 1:
            errors.append("%s: a CNAME has exactly one value" % where)
        for value in values:
            if record["type"] == "A" and not IPV4.match(value.strip()):
                errors.append("%s: %r is not an IPv4 address" % (where, value))
            if record["type"] == "AAAA" and not _valid_ipv6(value):
                errors.append("%s: %r is not an IPv6 address" % (where, value))
            if record["type"] == "CNAME" and not HOSTNAME.match(value.strip()):
                errors.append("%s: %r is not a host name" % (where, value))
            if record["type"] == "TXT" and len(value) > 255 and not value.startswith('"'):
                errors.append("%s: a TXT string is at most 255 characters" % where)
    cert = params.get("certificate")
    if cert:
        errors.extend(_certificate_errors(cert, params.get("state")))
    if cert and cert.get("domain") and not cert.get("arn") and not cert.get("certificate_file"):
        names = [cert["domain"]] + list(cert.get("subject_alternative_names") or [])
        for name in names:
            if not HOSTNAME.match(name):
                errors.append("certificate: %r is not a domain name" % name)
            elif zone and not in_zone(name, zone):
                errors.append("certificate: %s is not in zone %s, so its validation record cannot be "
                              "written there" % (name, zone))
    if errors:
        raise DnsError("; ".join(errors))


def _certificate_errors(cert, state):
    """One way to get the certificate: an existing ARN, PEM files to import, or an ACM request."""
    errors = []
    files = [k for k in ("certificate_file", "private_key_file", "chain_file") if cert.get(k)]
    if cert.get("arn"):
        if files or cert.get("subject_alternative_names"):
            errors.append("certificate: arn takes no %s (the certificate exists already)"
                          % ", ".join(files + (["subject_alternative_names"] if cert.get("subject_alternative_names") else [])))
        if not re.match(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$", cert["arn"]):
            errors.append("certificate: arn %r is not an ACM certificate ARN" % cert["arn"])
        return errors
    if not cert.get("domain"):
        errors.append("certificate: domain is required (or give arn of an existing certificate)")
    if files and state != "absent":
        missing = [k for k in ("certificate_file", "private_key_file") if not cert.get(k)]
        if missing:
            errors.append("certificate: importing needs certificate_file and private_key_file (missing %s)"
                          % ", ".join(missing))
        if cert.get("subject_alternative_names"):
            errors.append("certificate: subject_alternative_names only for an ACM request (an imported "
                          "certificate carries its own names)")
    return errors


class DnsRecords(Converger):
    """Converges records in one hosted zone; records every (would-be) change."""

    input_rules = 'aws_dns'  # validation.INPUT_RULES, checked before validate()

    error = DnsError

    def __init__(self, module):
        super(DnsRecords, self).__init__(module)
        self.before = {"records": {}, "certificate": None}
        self.after = {"records": {}, "certificate": None}
        self.zone_id = None
        self.zone_name = None
        self._zone_records = None
        # records to create at another DNS provider (no zone given), returned and printed
        self.external_records = []

    @property
    def route53(self):
        return self.client("route53")

    # ------------------------------------------------------------------ zone
    def find_zone(self):
        if self.params.get("zone_id"):
            zone_id = self.params["zone_id"].split("/")[-1]
            try:
                zone = self.route53.get_hosted_zone(aws_retry=True, Id=zone_id)["HostedZone"]
            except ClientError as exc:
                if error_code(exc) == "NoSuchHostedZone":
                    raise DnsError("hosted zone %s not found" % zone_id)
                raise
            self.zone_id, self.zone_name = zone_id, fqdn(zone["Name"])
        else:
            wanted = fqdn(self.params["zone"])
            answer = self.route53.list_hosted_zones_by_name(aws_retry=True, DNSName=wanted, MaxItems="10")
            zones = [z for z in answer.get("HostedZones", []) if fqdn(z["Name"]) == wanted]
            private = self.params.get("private_zone")
            if private is not None:
                zones = [z for z in zones if bool(z.get("Config", {}).get("PrivateZone")) == private]
            if not zones:
                raise DnsError("hosted zone %s not found" % wanted)
            if len(zones) > 1:
                raise DnsError("%d hosted zones are named %s; give zone_id (or private_zone)" % (len(zones), wanted))
            self.zone_id, self.zone_name = zones[0]["Id"].split("/")[-1], wanted
        self.result["zone_id"] = self.zone_id
        self.result["zone"] = self.zone_name

    def zone_records(self):
        if self._zone_records is None:
            records = {}
            for item in self.route53.paginate("list_resource_record_sets", "ResourceRecordSets",
                                              HostedZoneId=self.zone_id):
                if item.get("SetIdentifier"):
                    continue  # weighted/latency sets are not managed here
                records[(fqdn(item["Name"]), item["Type"])] = item
            self._zone_records = records
        return self._zone_records

    # ------------------------------------------------------------------ aliases
    def _balancers(self):
        """DNS name -> canonical hosted zone id of every balancer (all kinds) in the region."""
        found = {}
        elbv2 = self.client("elbv2")
        for lb in elbv2.paginate("describe_load_balancers", "LoadBalancers"):
            found[fqdn(lb["DNSName"])] = (lb.get("CanonicalHostedZoneId"), lb["LoadBalancerName"])
        elb = self.client("elb")
        for lb in elb.paginate("describe_load_balancers", "LoadBalancerDescriptions"):
            found[fqdn(lb["DNSName"])] = (lb.get("CanonicalHostedZoneNameID"), lb["LoadBalancerName"])
        return found

    def _resolve_alias(self, alias, where):
        """Alias target (dns name, zone id); a balancer target must exist (moto accepts any)."""
        if alias.get("balancer"):
            if alias.get("balancer_type") == "classic":
                elb = self.client("elb")
                try:
                    lb = elb.describe_load_balancers(aws_retry=True, LoadBalancerNames=[alias["balancer"]])["LoadBalancerDescriptions"][0]
                except ClientError as exc:
                    if error_code(exc) in ("LoadBalancerNotFound", "AccessPointNotFound"):
                        raise DnsError("%s: alias balancer %s (classic) does not exist" % (where, alias["balancer"]))
                    raise
                zone_id = alias.get("hosted_zone_id") or lb.get("CanonicalHostedZoneNameID")
                if not zone_id:
                    # AWS always reports it; moto's classic balancers do not.
                    raise DnsError("%s: classic balancer %s reports no hosted zone id; set alias.hosted_zone_id"
                                   % (where, alias["balancer"]))
                return fqdn(lb["DNSName"]), zone_id
            elbv2 = self.client("elbv2")
            try:
                lb = elbv2.describe_load_balancers(aws_retry=True, Names=[alias["balancer"]])["LoadBalancers"][0]
            except ClientError as exc:
                if error_code(exc) == "LoadBalancerNotFound":
                    raise DnsError("%s: alias balancer %s does not exist" % (where, alias["balancer"]))
                raise
            return fqdn(lb["DNSName"]), lb["CanonicalHostedZoneId"]
        dns_name = fqdn(alias["dns_name"])
        if ELB_DNS.search(dns_name):
            balancers = self._balancers()
            bare = dns_name[len("dualstack."):] if dns_name.startswith("dualstack.") else dns_name
            if bare not in balancers:
                raise DnsError("%s: alias target %s is no balancer of this account and region" % (where, dns_name))
            if balancers[bare][0] and balancers[bare][0] != alias["hosted_zone_id"]:
                raise DnsError("%s: balancer %s is in hosted zone %s, not %s" % (
                    where, balancers[bare][1], balancers[bare][0], alias["hosted_zone_id"]))
        return dns_name, alias["hosted_zone_id"]

    # ------------------------------------------------------------------ records
    def desired_records(self):
        """Record sets as Route 53 wants them; aliases resolved (may fail before any change)."""
        # With zone_id the zone's name is known only now: a name outside it is refused here,
        # never rewritten into <name>.<zone>.
        checks = Checks()
        for index, record in enumerate(self.params.get("records") or []):
            checks.record_in_zone("records[%d].name" % index, record["name"], self.zone_name)
        checks.done()
        desired = []
        for index, record in enumerate(self.params.get("records") or []):
            name = record_name(record["name"], self.zone_name)
            item = {"Name": name, "Type": record["type"]}
            alias = record.get("alias")
            if alias:
                dns_name, zone_id = self._resolve_alias(alias, "records[%d] (%s)" % (index, record["name"]))
                item["AliasTarget"] = {"DNSName": dns_name, "HostedZoneId": zone_id,
                                       "EvaluateTargetHealth": bool(alias.get("evaluate_target_health"))}
            else:
                item["TTL"] = record["ttl"]
                item["ResourceRecords"] = [{"Value": normalise_value(record["type"], v)} for v in record["values"]]
            desired.append(item)
        return desired

    @staticmethod
    def record_key(item):
        """Comparable form of a record set."""
        if item.get("AliasTarget"):
            target = item["AliasTarget"]
            return ("alias", fqdn(target.get("DNSName")), target.get("HostedZoneId"),
                    bool(target.get("EvaluateTargetHealth")))
        values = sorted(normalise_value(item["Type"], r["Value"]) for r in item.get("ResourceRecords", []))
        return ("values", item.get("TTL"), tuple(values))

    @staticmethod
    def record_view(item):
        if not item:
            return None
        if item.get("AliasTarget"):
            target = item["AliasTarget"]
            return {"alias": {"dns_name": fqdn(target.get("DNSName")), "hosted_zone_id": target.get("HostedZoneId"),
                              "evaluate_target_health": bool(target.get("EvaluateTargetHealth"))}}
        return {"ttl": item.get("TTL"), "values": [r["Value"] for r in item.get("ResourceRecords", [])]}

    @staticmethod
    def records_for_other_provider(desired):
        """Declared records as another DNS provider takes them: an alias becomes a CNAME."""
        records = []
        for item in desired:
            if item.get("AliasTarget"):
                records.append({"name": item["Name"], "type": "CNAME",
                                "value": item["AliasTarget"]["DNSName"].rstrip("."),
                                "purpose": "points at the balancer (an alias in Route 53)"})
            else:
                for value in item["ResourceRecords"]:
                    records.append({"name": item["Name"], "type": item["Type"], "value": value["Value"],
                                    "purpose": "declared record"})
        return records

    def converge_records(self, desired):
        current = self.zone_records()
        batch = []
        for item in desired:
            key = (item["Name"], item["Type"])
            label = "%s %s" % key
            have = current.get(key)
            self.before["records"][label] = self.record_view(have)
            self.after["records"][label] = self.record_view(item)
            if have is None or self.record_key(have) != self.record_key(item):
                self.changes.append("%s record %s" % ("create" if have is None else "update", label))
                batch.append({"Action": "UPSERT", "ResourceRecordSet": item})
        self._apply(batch, "streamfleet.cluster records")
        self.result["records"] = [dict(name=i["Name"], type=i["Type"], **self.record_view(i)) for i in desired]

    def delete_records(self):
        current = self.zone_records()
        batch = []
        for record in self.params.get("records") or []:
            key = (record_name(record["name"], self.zone_name), record["type"])
            have = current.get(key)
            label = "%s %s" % key
            self.before["records"][label] = self.record_view(have)
            self.after["records"][label] = None
            if have is not None:
                self.changes.append("delete record %s" % label)
                batch.append({"Action": "DELETE", "ResourceRecordSet": have})
        self._apply(batch, "streamfleet.cluster records removed")

    def _apply(self, batch, comment):
        if not batch or self.check_mode:
            return
        # an UPSERT batch may be sent again; a DELETE batch would fail once it was carried out
        upserts_only = all(change["Action"] == "UPSERT" for change in batch)
        answer = self.route53.change_resource_record_sets(
            aws_retry=upserts_only, HostedZoneId=self.zone_id, ChangeBatch={"Comment": comment, "Changes": batch})
        self._zone_records = None
        change_id = answer["ChangeInfo"]["Id"]
        if self.params.get("wait") and answer["ChangeInfo"].get("Status") != "INSYNC":
            def check():
                status = self.route53.get_change(aws_retry=True, Id=change_id)["ChangeInfo"]["Status"]
                return status == "INSYNC", status
            wait_for(self.module, "DNS change %s" % change_id.split("/")[-1], check,
                     self.params["wait_timeout"])
