# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificates (ACM) for streamfleet.cluster, and the converger of the ``aws_dns`` task: the
records of one hosted zone (``dns.py``) and its certificate.

A certificate comes one of three ways:

- an existing ARN: checked to exist and to be ``ISSUED``, nothing else;
- requested from ACM with DNS validation: found by its domain, its names and the deployment
  tag; its validation records are written into the zone (and the module waits until ACM issued
  it), or, without a zone, returned for another DNS provider;
- imported from PEM files: found by the deployment tag and the SHA-256 of the certificate
  (``streamfleet:certificate-sha256``); a new file is re-imported into the same ARN, so the
  listeners using it keep working.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import re

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


FINGERPRINT_TAG = "streamfleet:certificate-sha256"
PEM_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.DOTALL)


def certificate_mode(cert):
    """``arn``, ``import`` or ``request``: how the declared certificate is obtained."""
    if cert.get("arn"):
        return "arn"
    if cert.get("certificate_file") or cert.get("private_key_file"):
        return "import"
    return "request"


def pem_fingerprint(pem):
    """SHA-256 (hex) of the first certificate of a PEM text: the identity of an imported certificate."""
    match = PEM_BLOCK.search(pem or "")
    if not match:
        raise DnsError("certificate_file holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    try:
        der = base64.b64decode("".join(match.group(1).split()))
    except (TypeError, ValueError):
        raise DnsError("certificate_file: the PEM certificate is not valid base64")
    return hashlib.sha256(der).hexdigest()


def read_pem(path, what):
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("ascii")
    except (IOError, OSError) as exc:
        raise DnsError("%s %s cannot be read: %s" % (what, path, exc))
    except UnicodeDecodeError:
        raise DnsError("%s %s is not a PEM text file" % (what, path))


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

    def owned_certificates(self, imported=None):
        """Certificates for the declared domain carrying this deployment's tag (described, with
        their tags under ``Tags``); ``imported`` True/False keeps only imported/ACM-issued ones."""
        domain, _names = self._certificate_names()
        owned = []
        for summary in self.acm.paginate("list_certificates", "CertificateSummaryList"):
            if fqdn(summary.get("DomainName")) != domain:
                continue
            if imported is not None and summary.get("Type") and (summary["Type"] == "IMPORTED") != imported:
                continue
            arn = summary["CertificateArn"]
            tags = tag_dict(self.acm.list_tags_for_certificate(aws_retry=True, CertificateArn=arn).get("Tags"))
            if tags.get(DEPLOYMENT_TAG) != self.params["deployment"]:
                continue
            described = self.acm.describe_certificate(aws_retry=True, CertificateArn=arn)["Certificate"]
            if imported is not None and (described.get("Type") == "IMPORTED") != imported:
                continue
            described["Tags"] = tags
            owned.append(described)
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
        mode = certificate_mode(self.params["certificate"])
        if mode == "arn":
            return self.check_existing_certificate()
        if mode == "import":
            return self.import_certificate()
        return self.request_or_find_certificate()

    def check_existing_certificate(self):
        """An ARN the user gives: it must exist and be issued; the module never changes it."""
        arn = self.params["certificate"]["arn"]
        try:
            described = self.acm.describe_certificate(aws_retry=True, CertificateArn=arn)["Certificate"]
        except ClientError as exc:
            if error_code(exc) in ("ResourceNotFoundException", "ValidationException", "InvalidArnException"):
                raise DnsError("certificate %s does not exist in this account and region (%s)"
                               % (arn, error_code(exc)))
            raise
        if described.get("Status") != "ISSUED":
            raise DnsError("certificate %s is %s, not ISSUED; a listener cannot use it yet%s"
                           % (arn, described.get("Status"),
                              " (%s)" % described["FailureReason"] if described.get("FailureReason") else ""))
        self.before["certificate"] = self.after["certificate"] = {"arn": arn, "status": "ISSUED"}
        self.result["certificate"] = {
            "arn": arn, "status": "ISSUED", "domain": described.get("DomainName"), "type": described.get("Type"),
            "subject_alternative_names": sorted(set(described.get("SubjectAlternativeNames") or [])),
            "validation_records": [],
        }

    def import_certificate(self):
        """Import PEM files once; re-import into the same ARN when the certificate file changes."""
        cert = self.params["certificate"]
        body = read_pem(cert["certificate_file"], "certificate_file")
        fingerprint = pem_fingerprint(body)
        owned = self.owned_certificates(imported=True)
        same = [c for c in owned if c["Tags"].get(FINGERPRINT_TAG) == fingerprint]
        self.before["certificate"] = [{"arn": c["CertificateArn"], "sha256": c["Tags"].get(FINGERPRINT_TAG),
                                       "status": c.get("Status")} for c in owned] or None
        self.after["certificate"] = {"sha256": fingerprint, "status": "ISSUED"}
        oldest_first = sorted(owned, key=lambda c: str(c.get("CreatedAt") or c.get("ImportedAt")))
        target = same[0] if same else (oldest_first[0] if owned else None)
        if same:
            arn = target["CertificateArn"]
        else:
            verb = "re-import certificate %s" % target["CertificateArn"] if target else "import certificate"
            if not self.change("%s for %s (sha256 %s)" % (verb, cert["domain"], fingerprint[:16])):
                self.result["certificate"] = {"arn": target["CertificateArn"] if target else None, "status": None,
                                              "domain": cert["domain"], "sha256": fingerprint}
                return
            kwargs = dict(Certificate=body.encode("ascii"),
                          PrivateKey=read_pem(cert["private_key_file"], "private_key_file").encode("ascii"))
            if cert.get("chain_file"):
                kwargs["CertificateChain"] = read_pem(cert["chain_file"], "chain_file").encode("ascii")
            tags = dict(self.module.deployment_tags())
            tags[FINGERPRINT_TAG] = fingerprint
            if target:
                # the same ARN: listeners using it switch to the new certificate by themselves
                arn = self.acm.import_certificate(aws_retry=True, CertificateArn=target["CertificateArn"],
                                                  **kwargs)["CertificateArn"]
                # AWS keeps a certificate's tags on re-import, moto drops them: read, then set
                have = tag_dict(self.acm.list_tags_for_certificate(aws_retry=True, CertificateArn=arn).get("Tags"))
                if have.get(FINGERPRINT_TAG) not in (None, fingerprint):
                    self.acm.remove_tags_from_certificate(aws_retry=True, CertificateArn=arn, Tags=[
                        {"Key": FINGERPRINT_TAG, "Value": have[FINGERPRINT_TAG]}])
                missing = dict((k, v) for k, v in tags.items() if have.get(k) != v)
                self.acm.add_tags_to_certificate(aws_retry=True, CertificateArn=arn, Tags=[
                    {"Key": k, "Value": v} for k, v in sorted(missing.items())])
            else:
                arn = self.acm.import_certificate(
                    aws_retry=True, Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
                    **kwargs)["CertificateArn"]
        described = self.acm.describe_certificate(aws_retry=True, CertificateArn=arn)["Certificate"]
        if fqdn(described.get("DomainName")) != fqdn(cert["domain"]) and fqdn(cert["domain"]) not in [
                fqdn(n) for n in described.get("SubjectAlternativeNames") or []]:
            self.module.warn("imported certificate %s is for %s, not %s" % (arn, described.get("DomainName"),
                                                                            cert["domain"]))
        self.result["certificate"] = {
            "arn": arn, "status": described.get("Status"), "domain": cert["domain"], "type": "IMPORTED",
            "sha256": fingerprint, "not_after": str(described.get("NotAfter") or ""),
            "subject_alternative_names": sorted(set(described.get("SubjectAlternativeNames") or [])),
            "validation_records": [],
        }

    def request_or_find_certificate(self):
        _domain, names = self._certificate_names()
        owned = self.owned_certificates(imported=False)
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
        if self.zone_id is None:
            # another DNS provider: the user creates the records; ACM issues once they resolve
            self.external_records.extend(
                {"name": i["Name"], "type": i["Type"], "value": i["ResourceRecords"][0]["Value"],
                 "purpose": "ACM validation of %s" % self.params["certificate"]["domain"]} for i in record_sets)
        else:
            current = self.zone_records()
            batch = []
            for item in record_sets:
                have = current.get((item["Name"], item["Type"]))
                if have is None or self.record_key(have) != self.record_key(item):
                    self.changes.append("write validation record %s" % item["Name"])
                    batch.append({"Action": "UPSERT", "ResourceRecordSet": item})
            self._apply(batch, "streamfleet.cluster certificate validation")
        status = (cert or {}).get("Status")
        if self.params.get("wait") and not self.check_mode and status != "ISSUED" and self.zone_id is not None:
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
            if self.zone_id is not None:
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
        if certificate_mode(self.params["certificate"]) == "arn":
            return  # a certificate the user brought is never deleted by the collection
        owned = self.owned_certificates()
        self.before["certificate"] = [{"arn": c["CertificateArn"], "names": self.certificate_names(c),
                                       "status": c.get("Status")} for c in owned] or None
        for cert in owned:
            users = self._live_users(cert.get("InUseBy") or [], cert["CertificateArn"])
            if users:
                raise DnsError("certificate %s is still in use by %s; remove the listeners first"
                               % (cert["CertificateArn"], ", ".join(users)))
        for cert in owned:
            if self.change("delete certificate %s" % cert["CertificateArn"]):
                self.acm.delete_certificate(aws_retry=True, CertificateArn=cert["CertificateArn"])
        if self.zone_id is not None:
            self._delete_validation_records(owned)

    def _live_users(self, arns, certificate_arn):
        """The balancers and listeners of ``arns`` that still exist.

        ACM's InUseBy lags behind a deleted listener (on AWS for a while, on moto for ever), so
        each user is checked before it blocks the deletion. A classic balancer (its ARN ends in
        ``loadbalancer/NAME``; moto names it by its DNS name instead) counts only while one of
        its listeners still carries this certificate.
        """
        elbv2 = self.client("elbv2")
        live = []
        for arn in arns:
            try:
                if ":listener/" in arn:
                    elbv2.describe_listeners(aws_retry=True, ListenerArns=[arn])
                elif re.search(r":loadbalancer/(app|net|gwy)/", arn):
                    elbv2.describe_load_balancers(aws_retry=True, LoadBalancerArns=[arn])
                elif not self._classic_user_live(arn, certificate_arn):
                    continue
            except ClientError as exc:
                # elbv2's codes, and the classic API's for a deleted balancer
                if error_code(exc) in ("ListenerNotFound", "LoadBalancerNotFound", "AccessPointNotFound"):
                    continue
                raise
            live.append(arn)
        return live

    def _classic_user_live(self, user, certificate_arn):
        """Whether the classic balancer ``user`` (ARN or DNS name) has a listener with the certificate."""
        elb = self.client("elb")
        if ":loadbalancer/" in user:
            balancers = elb.describe_load_balancers(
                aws_retry=True, LoadBalancerNames=[user.rsplit("/", 1)[1]])["LoadBalancerDescriptions"]
        else:
            balancers = [b for b in elb.paginate("describe_load_balancers", "LoadBalancerDescriptions")
                         if (b.get("DNSName") or "").lower().rstrip(".") == user.lower().rstrip(".")]
        return any(listener["Listener"].get("SSLCertificateId") == certificate_arn
                   for balancer in balancers for listener in balancer.get("ListenerDescriptions") or [])

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
        cert = self.params.get("certificate")
        if cert and certificate_mode(cert) == "request":
            outside += [n for n in [cert["domain"]] + list(cert.get("subject_alternative_names") or [])
                        if not in_zone(n, self.zone_name)]
        if outside:
            raise DnsError("not in zone %s: %s" % (self.zone_name, ", ".join(outside)))

    def read(self):
        if self.params.get("zone") or self.params.get("zone_id"):
            self.find_zone()
            self._check_names_in_zone()

    def apply(self):
        if self.params["state"] == "absent":
            # the certificate first: it refuses (before any change) while a listener uses it
            if self.params.get("certificate"):
                self.delete_certificate()
            if self.zone_id is not None:
                self.delete_records()
            return
        desired = self.desired_records()  # resolves aliases: fails before any change
        if self.params.get("certificate"):
            self.converge_certificate()
        if self.zone_id is not None:
            self.converge_records(desired)
        else:
            self.external_records.extend(self.records_for_other_provider(desired))
        if self.external_records:
            self.result["external_records"] = self.external_records
            self.module.warn("no Route 53 zone given: create these records at your DNS provider: %s" % "; ".join(
                "%s %s %s" % (r["name"], r["type"], r["value"]) for r in self.external_records))
