#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: aws_dns
short_description: Route 53 records and an ACM certificate (existing, requested with DNS validation, or imported)
version_added: 0.1.0
description:
  - Manages, in one existing Route 53 hosted zone (found by O(zone) name or O(zone_id)), a list of
    O(records) and optionally one ACM O(certificate) whose DNS validation records the module
    writes into the same zone.
  - Without O(zone) and O(zone_id) the names are served by another DNS provider; the module then
    changes no DNS at all and returns (and prints as a warning) the records to create there in
    RV(external_records) - an alias to a balancer becomes a CNAME to the balancer's DNS name, and a
    requested certificate's validation CNAMEs are listed too.
  - Records (A, AAAA, CNAME, TXT, or an alias A/AAAA record to a load balancer) are compared with
    the zone and written in one UPSERT batch only when they differ. With O(state=absent) the
    declared records are deleted with the values the zone currently holds (O(records[].values)
    may be left out).
  - An alias to a balancer is resolved by balancer name (O(records[].alias.balancer)) or checked
    against the balancers of the account when O(records[].alias.dns_name) is an ELB name; an
    alias to a balancer that does not exist fails before anything changes.
  - The certificate comes one of three ways. With O(certificate.arn) it exists already, and the module
    checks that it exists and is C(ISSUED) and fails otherwise; it never changes or deletes it.
  - With O(certificate.certificate_file) and O(certificate.private_key_file) the PEM files are
    imported into ACM (ImportCertificate), tagged with the deployment and the SHA-256 of the
    certificate (C(streamfleet:certificate-sha256)); a re-run with the same file changes nothing, a
    new file (a renewal) is re-imported into the same ARN, so listeners keep using it.
  - Otherwise the certificate is requested from ACM with DNS validation. It is found by its
    domain, its names and the C(streamfleet:deployment) tag. When none matches it is requested,
    its validation CNAMEs are written into the zone and, with O(wait=true), the module waits until
    ACM issued it (at most O(wait_timeout) seconds); without a zone they are returned for the other
    DNS provider and the module does not wait. A requested certificate of this deployment for the
    same domain with other names is deleted once replaced, unless something still uses it (then a
    warning says so).
  - O(state=absent) with O(certificate) deletes this deployment's certificates for the domain and
    their validation records; it fails before changing anything while a listener still uses one.
    A certificate given by O(certificate.arn) is left alone.
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.aws
attributes:
  check_mode:
    support: full
    description: Reports what would change without calling any AWS operation that changes something.
  diff_mode:
    support: full
    description: Returns the current and the declared records and certificate.
options:
  zone:
    description:
      - Name of the hosted zone, for example V(example.com).
      - Leave out O(zone) and O(zone_id) when another DNS provider serves the names (see RV(external_records)).
    type: str
  zone_id:
    description: Id of the hosted zone, for example V(Z0123456789ABCDEFGHIJ).
    type: str
  private_zone:
    description: When several zones share O(zone), pick the private (V(true)) or public (V(false)) one.
    type: bool
  state:
    description: V(present) creates or updates, V(absent) deletes the declared records and certificate.
    type: str
    choices: [present, absent]
    default: present
  deployment:
    description: The deployment (value of the C(streamfleet:deployment) tag the certificate carries).
    type: str
    required: true
  records:
    description: Record sets; matched by name and type.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - Name relative to the zone (V(www), V(@) for the apex) or absolute (V(www.example.com.)).
          - Without a zone, a full domain name.
        type: str
        required: true
      type:
        description: Record type.
        type: str
        choices: [A, AAAA, CNAME, TXT]
        required: true
      ttl:
        description: Time to live in seconds (not for aliases).
        type: int
        default: 300
      values:
        description: Values; TXT values are quoted by the module when not quoted already.
        type: list
        elements: str
      alias:
        description: Alias to a load balancer instead of O(records[].values).
        type: dict
        suboptions:
          balancer:
            description: Name of the balancer; its DNS name and hosted zone id are looked up.
            type: str
          balancer_type:
            description: Kind of the balancer named in O(records[].alias.balancer).
            type: str
            choices: [application, network, classic]
            default: application
          dns_name:
            description: DNS name of the target (for example the C(load_balancer.dns_name) of M(streamfleet.cluster.aws_balancer)).
            type: str
          hosted_zone_id:
            description: Canonical hosted zone id of the target.
            type: str
          evaluate_target_health:
            description: Answer only while the target is healthy.
            type: bool
            default: false
  certificate:
    description:
      - An ACM certificate - existing (O(certificate.arn)), imported from PEM files
        (O(certificate.certificate_file), O(certificate.private_key_file)) or requested with DNS
        validation through this zone (O(certificate.domain) alone).
    type: dict
    suboptions:
      arn:
        description: ARN of an existing certificate; it must exist in the region and be C(ISSUED).
        type: str
      domain:
        description:
          - Domain name of the certificate (in the zone when requested). Required unless O(certificate.arn) is given.
        type: str
      subject_alternative_names:
        description: More names of a requested certificate (in the zone), for example V(*.example.com).
        type: list
        elements: str
      certificate_file:
        description: PEM file of the certificate to import (on the host the module runs on).
        type: path
      private_key_file:
        description:
          - PEM file of its unencrypted private key. Its content is sent to ACM only and never returned.
        type: path
      chain_file:
        description: PEM file of the intermediate certificates (optional).
        type: path
notes:
  - moto, the local stand-in used by the tests, accepts alias records to any target (the module
    checks balancer targets itself), issues a requested certificate after a fixed delay without
    looking at the validation records, and answers every DNS change as INSYNC at once. It imports
    certificates as AWS does (type C(IMPORTED), status C(ISSUED)).
  - On AWS, certificates of one account for the same name share their validation record; deleting
    a certificate deletes that record, which another certificate of the account for the same name
    may still need for renewal.
'''

EXAMPLES = r'''
- name: Certificate for the Stream Manager balancer (seed 003) and the records pointing at it
  streamfleet.cluster.aws_dns:
    zone: example.com
    deployment: red5
    certificate:
      domain: sm.example.com
      subject_alternative_names: [sm-admin.example.com]
    records:
      - name: sm
        type: A
        alias: {balancer: streammanager, evaluate_target_health: true}
      - name: sm-admin
        type: CNAME
        values: [sm.example.com]
  register: dns

- name: Origin address record (seed 000)
  streamfleet.cluster.aws_dns:
    zone: example.com
    deployment: cdn
    records:
      - {name: origin, type: A, ttl: 60, values: ["{{ origin_private_ip }}"]}

- name: An existing certificate, checked to exist and be issued
  streamfleet.cluster.aws_dns:
    deployment: ams
    certificate: {arn: "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789012"}

- name: Import a certificate from PEM files (idempotent; a renewed file is re-imported into the same ARN)
  streamfleet.cluster.aws_dns:
    deployment: ams
    certificate:
      domain: ams.example.com
      certificate_file: /etc/ssl/ams/fullcert.pem
      private_key_file: /etc/ssl/ams/privkey.pem
      chain_file: /etc/ssl/ams/chain.pem

- name: Names at another DNS provider - request the certificate, get the CNAMEs to create there
  streamfleet.cluster.aws_dns:
    deployment: ams
    certificate: {domain: ams.example.org}
    records:
      - {name: ams.example.org, type: A, alias: {balancer: antmedia}}
  register: dns
  # dns.external_records: [{name: _x1.ams.example.org., type: CNAME, value: _x2.acm-validations.aws., ...},
  #                        {name: ams.example.org., type: CNAME, value: antmedia-1.eu-west-1.elb.amazonaws.com, ...}]

- name: Remove them again
  streamfleet.cluster.aws_dns:
    zone: example.com
    deployment: red5
    state: absent
    certificate: {domain: sm.example.com}
    records:
      - {name: sm, type: A}
      - {name: sm-admin, type: CNAME}
'''

RETURN = r'''
zone_id:
  description: Id of the hosted zone.
  returned: when a zone is given
  type: str
  sample: Z0123456789ABCDEFGHIJ
zone:
  description: Name of the hosted zone (with trailing dot).
  returned: when a zone is given
  type: str
  sample: example.com.
external_records:
  description:
    - Without a zone, the records to create at the other DNS provider - the declared records (an
      alias as a CNAME to the balancer) and the validation CNAMEs of a requested certificate.
  returned: when no zone is given and there is something to create
  type: list
  elements: dict
  sample: [{name: ams.example.org., type: CNAME, value: antmedia-1.eu-west-1.elb.amazonaws.com,
            purpose: points at the balancer (an alias in Route 53)}]
records:
  description: The declared record sets as written.
  returned: when state=present
  type: list
  elements: dict
  sample: [{name: sm.example.com., type: A, alias: {dns_name: "sm-1.us-east-1.elb.amazonaws.com.",
            hosted_zone_id: Z35SXDOTRQ7X7K, evaluate_target_health: true}}]
certificate:
  description: The certificate, its status and its validation records.
  returned: when state=present and certificate is given
  type: dict
  sample:
    arn: arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789012
    type: AMAZON_ISSUED
    sha256: null
    status: ISSUED
    domain: sm.example.com
    subject_alternative_names: [sm-admin.example.com, sm.example.com]
    validation_records: [{name: _x1.sm.example.com., type: CNAME, value: _x2.acm-validations.aws.}]
changes:
  description: What the module changed (or would change in check mode), one line each.
  returned: always
  type: list
  elements: str
  sample: ["request certificate for sm.example.com.", "create record sm.example.com. A"]
wait_progress:
  description: Status lines seen while waiting for the certificate.
  returned: when the module waited
  type: list
  elements: str
  sample: ["[0s] certificate 0f1e2d3c issued: PENDING_VALIDATION", "[2s] certificate 0f1e2d3c issued: ISSUED"]
api_calls:
  description: Number of AWS calls made, per service.Operation.
  returned: always
  type: dict
  sample: {route53.ListHostedZonesByName: 1, route53.ListResourceRecordSets: 1}
'''

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.certificates import DnsConverger
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.session import StreamfleetAWSModule
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import module_edge


def argument_spec():
    return dict(
        zone=dict(type='str'),
        zone_id=dict(type='str'),
        private_zone=dict(type='bool'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        deployment=dict(type='str', required=True),
        records=dict(type='list', elements='dict', default=[], options=dict(
            name=dict(type='str', required=True),
            type=dict(type='str', required=True, choices=['A', 'AAAA', 'CNAME', 'TXT']),
            ttl=dict(type='int', default=300),
            values=dict(type='list', elements='str'),
            alias=dict(type='dict', options=dict(
                balancer=dict(type='str'),
                balancer_type=dict(type='str', choices=['application', 'network', 'classic'], default='application'),
                dns_name=dict(type='str'),
                hosted_zone_id=dict(type='str'),
                evaluate_target_health=dict(type='bool', default=False),
            )),
        )),
        certificate=dict(type='dict', options=dict(
            arn=dict(type='str'),
            domain=dict(type='str'),
            subject_alternative_names=dict(type='list', elements='str'),
            certificate_file=dict(type='path'),
            private_key_file=dict(type='path', no_log=False),
            chain_file=dict(type='path'),
        )),
    )


@module_edge
def main():
    module = StreamfleetAWSModule(
        argument_spec(),
        mutually_exclusive=[('zone', 'zone_id')],
        supports_check_mode=True,
    )
    DnsConverger(module).run()


if __name__ == '__main__':
    main()
