# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificates (ACM with DNS validation) for streamfleet.cluster, and the converger of the
``aws_dns`` task: the records of one hosted zone (``dns.py``) and its certificate.

A certificate is found by its domain, its names and the deployment tag; its DNS validation
records are written into the same zone and the module waits until ACM issued it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.dns import (
    DnsError,
    DnsRecords,
    fqdn,
    in_zone,
    record_name,
    validate,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.retries import error_code
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.tags import DEPLOYMENT_TAG, tag_dict
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.waiters import (
    WaiterFailure,
    certificate_issued,
    wait_for,
)

try:
    from botocore.exceptions import ClientError
except ImportError:  # reported by the shared AWS module class
    ClientError = Exception


class DnsConverger(DnsRecords):
    """Converges records and a certificate in one hosted zone (the ``aws_dns`` task)."""

    def describe(self):
        return "DNS in zone %s" % (self.params.get("zone") or self.params.get("zone_id"))

    def validate(self):
        validate(self.params)

    @property
    def acm(self):
        return self.client("acm")

    # ------------------------------------------------------------------ certificate
    def _certificate_names(self):
        cert = self.params["certificate"]
        return fqdn(cert["domain"]), sorted(set(fqdn(n) for n in [cert["domain"]] + list(
            cert.get("subject_alternative_names") or [])))

    def owned_certificates(self):
        """Certificates for the declared domain carrying this deployment's tag: [(summary, describe)]."""
        domain, _names = self._certificate_names()
        owned = []
        for summary in self.acm.paginate("list_certificates", "CertificateSummaryList"):
            if fqdn(summary.get("DomainName")) != domain:
                continue
            arn = summary["CertificateArn"]
            tags = tag_dict(self.acm.list_tags_for_certificate(aws_retry=True, CertificateArn=arn).get("Tags"))
            if tags.get(DEPLOYMENT_TAG) != self.params["deployment"]:
                continue
            owned.append(self.acm.describe_certificate(aws_retry=True, CertificateArn=arn)["Certificate"])
        return owned

    @staticmethod
    def certificate_names(described):
        return sorted(set(fqdn(n) for n in [described["DomainName"]] + list(described.get("SubjectAlternativeNames") or [])))

    def _validation_records(self, arn, described=None):
        """The validation CNAMEs of a certificate; ACM may need a few seconds to publish them."""
        options = (described or {}).get("DomainValidationOptions") or []
        if options and all(o.get("ResourceRecord") for o in options):
            return [o["ResourceRecord"] for o in options]
        found = {}

        def check():
            described = self.acm.describe_certificate(aws_retry=True, CertificateArn=arn)["Certificate"]
            options = described.get("DomainValidationOptions") or []
            if described.get("Status") == "FAILED":
                raise WaiterFailure("certificate failed: %s" % described.get("FailureReason"))
            records = [o["ResourceRecord"] for o in options if o.get("ResourceRecord")]
            if options and len(records) == len(options):
                found["records"] = records
                return True, "%d validation record(s) published" % len(records)
            return False, "%d of %d validation records published" % (len(records), len(options))
        wait_for(self.module, "validation records of %s" % arn.split("/")[-1], check,
                 min(120, self.params["wait_timeout"]))
        return found.get("records", [])

    def _validation_record_sets(self, resource_records):
        sets = {}
        for record in resource_records:
            item = {"Name": fqdn(record["Name"]), "Type": record.get("Type", "CNAME"), "TTL": 300,
                    "ResourceRecords": [{"Value": record["Value"]}]}
            sets[(item["Name"], item["Type"])] = item
        return list(sets.values())

    def converge_certificate(self):
        _domain, names = self._certificate_names()
        owned = self.owned_certificates()
        matching = [c for c in owned if self.certificate_names(c) == names and c.get("Status") in (
            "ISSUED", "PENDING_VALIDATION")]
        cert = sorted(matching, key=lambda c: (c.get("Status") != "ISSUED", str(c.get("CreatedAt"))))[0] if matching else None
        self.before["certificate"] = [{"arn": c["CertificateArn"], "names": self.certificate_names(c),
                                       "status": c.get("Status")} for c in owned] or None
        self.after["certificate"] = {"names": names, "status": "ISSUED"}
        if cert is None:
            if not self.change("request certificate for %s" % ", ".join(names)):
                self.result["certificate"] = {"arn": None, "status": None, "domain": self.params["certificate"]["domain"]}
                return
            arn = self._request_certificate()
        else:
            arn = cert["CertificateArn"]
        # validation records stay in the zone: ACM renews through them
        record_sets = self._validation_record_sets(self._validation_records(arn, cert))
        current = self.zone_records()
        batch = []
        for item in record_sets:
            have = current.get((item["Name"], item["Type"]))
            if have is None or self.record_key(have) != self.record_key(item):
                self.changes.append("write validation record %s" % item["Name"])
                batch.append({"Action": "UPSERT", "ResourceRecordSet": item})
        self._apply(batch, "streamfleet.cluster certificate validation")
        status = (cert or {}).get("Status")
        if self.params.get("wait") and not self.check_mode and status != "ISSUED":
            certificate_issued(self.module, self.acm, arn, timeout=self.params["wait_timeout"])
            status = "ISSUED"
        elif status is None:
            status = self.acm.describe_certificate(aws_retry=True, CertificateArn=arn)["Certificate"].get("Status")
        # certificates of this deployment for the domain with other names are replaced
        for old in owned:
            if old["CertificateArn"] == arn:
                continue
            if old.get("InUseBy"):
                self.module.warn("certificate %s (%s) is replaced by %s but still in use by %s; delete it once "
                                 "nothing uses it" % (old["CertificateArn"], ", ".join(self.certificate_names(old)),
                                                      arn, ", ".join(old["InUseBy"])))
                continue
            if self.change("delete replaced certificate %s" % old["CertificateArn"]):
                self.acm.delete_certificate(aws_retry=True, CertificateArn=old["CertificateArn"])
            self._delete_validation_records([old], keep=[(i["Name"], i["Type"]) for i in record_sets])
        self.result["certificate"] = {
            "arn": arn, "status": status, "domain": self.params["certificate"]["domain"],
            "subject_alternative_names": [n.rstrip(".") for n in names],
            "validation_records": [{"name": i["Name"], "type": i["Type"], "value": i["ResourceRecords"][0]["Value"]}
                                   for i in record_sets],
        }

    def _request_certificate(self):
        cert = self.params["certificate"]
        kwargs = dict(DomainName=cert["domain"], ValidationMethod="DNS",
                      IdempotencyToken=self._idempotency_token(),
                      Tags=[{"Key": k, "Value": v} for k, v in sorted(self.module.deployment_tags().items())])
        if cert.get("subject_alternative_names"):
            kwargs["SubjectAlternativeNames"] = sorted(set([cert["domain"]] + list(cert["subject_alternative_names"])))
        return self.acm.request_certificate(aws_retry=True, **kwargs)["CertificateArn"]

    def _idempotency_token(self):
        """Same deployment and names -> same token, so a retried request gives the same certificate."""
        _domain, names = self._certificate_names()
        text = "%s|%s" % (self.params["deployment"], ",".join(names))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    def delete_certificate(self):
        owned = self.owned_certificates()
        self.before["certificate"] = [{"arn": c["CertificateArn"], "names": self.certificate_names(c),
                                       "status": c.get("Status")} for c in owned] or None
        for cert in owned:
            users = self._live_users(cert.get("InUseBy") or [])
            if users:
                raise DnsError("certificate %s is still in use by %s; remove the listeners first"
                               % (cert["CertificateArn"], ", ".join(users)))
        for cert in owned:
            if self.change("delete certificate %s" % cert["CertificateArn"]):
                self.acm.delete_certificate(aws_retry=True, CertificateArn=cert["CertificateArn"])
        self._delete_validation_records(owned)

    def _live_users(self, arns):
        """The balancers and listeners of ``arns`` that still exist.

        ACM's InUseBy lags behind a deleted listener (on AWS for a while, on moto for ever), so
        each user is checked before it blocks the deletion.
        """
        elbv2 = self.client("elbv2")
        live = []
        for arn in arns:
            try:
                if ":listener/" in arn:
                    elbv2.describe_listeners(aws_retry=True, ListenerArns=[arn])
                elif ":loadbalancer/" in arn:
                    elbv2.describe_load_balancers(aws_retry=True, LoadBalancerArns=[arn])
            except ClientError as exc:
                if error_code(exc) in ("ListenerNotFound", "LoadBalancerNotFound"):
                    continue
                raise
            live.append(arn)
        return live

    def _delete_validation_records(self, certificates, keep=()):
        """Delete the validation records of ``certificates`` (except ``keep`` (name, type) keys)."""
        current = self.zone_records()
        batch = []
        for cert in certificates:
            for option in cert.get("DomainValidationOptions") or []:
                record = option.get("ResourceRecord")
                if not record:
                    continue
                key = (fqdn(record["Name"]), record.get("Type", "CNAME"))
                have = current.get(key)
                if key in keep or have is None or have in [c["ResourceRecordSet"] for c in batch]:
                    continue
                self.changes.append("delete validation record %s" % key[0])
                batch.append({"Action": "DELETE", "ResourceRecordSet": have})
        self._apply(batch, "streamfleet.cluster certificate removed")

    # ------------------------------------------------------------------ entry
    def _check_names_in_zone(self):
        """The name checks of ``validate`` again, now that the zone name is known for a zone_id."""
        outside = [r["name"] for r in self.params.get("records") or []
                   if not in_zone(record_name(r["name"], self.zone_name), self.zone_name)]
        if self.params.get("certificate"):
            cert = self.params["certificate"]
            outside += [n for n in [cert["domain"]] + list(cert.get("subject_alternative_names") or [])
                        if not in_zone(n, self.zone_name)]
        if outside:
            raise DnsError("not in zone %s: %s" % (self.zone_name, ", ".join(outside)))

    def read(self):
        self.find_zone()
        self._check_names_in_zone()

    def apply(self):
        if self.params["state"] == "absent":
            # the certificate first: it refuses (before any change) while a listener uses it
            if self.params.get("certificate"):
                self.delete_certificate()
            self.delete_records()
            return
        desired = self.desired_records()  # resolves aliases: fails before any change
        if self.params.get("certificate"):
            self.converge_certificate()
        self.converge_records(desired)
