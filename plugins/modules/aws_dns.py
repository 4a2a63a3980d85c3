#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: aws_dns
short_description: Route 53 records and an ACM certificate with DNS validation in one hosted zone
version_added: 0.1.0
description:
  - Manages, in one existing Route 53 hosted zone (found by O(zone) name or O(zone_id)), a list of
    O(records) and optionally one ACM O(certificate) whose DNS validation records the module
    writes into the same zone.
  - Records (A, AAAA, CNAME, TXT, or an alias A/AAAA record to a load balancer) are compared with
    the zone and written in one UPSERT batch only when they differ. With O(state=absent) the
    declared records are deleted with the values the zone currently holds (O(records[].values)
    may be left out).
  - An alias to a balancer is resolved by balancer name (O(records[].alias.balancer)) or checked
    against the balancers of the account when O(records[].alias.dns_name) is an ELB name; an
    alias to a balancer that does not exist fails before anything changes.
  - The certificate is found by its domain, its names and the C(streamfleet:deployment) tag. When
    none matches it is requested (DNS validation), its validation CNAMEs are written into the zone
    and, with O(wait=true), the module waits until ACM issued it (at most O(wait_timeout) seconds).
    A certificate of this deployment for the same domain with other names is deleted once
    replaced, unless something still uses it (then a warning says so).
  - O(state=absent) with O(certificate) deletes this deployment's certificates for the domain and
    their validation records; it fails before changing anything while a listener still uses one.
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
    description: Name of the hosted zone, for example V(example.com).
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
        description: Name relative to the zone (V(www), V(@) for the apex) or absolute (V(www.example.com.)).
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
            choices: [application, classic]
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
    description: An ACM certificate with DNS validation through this zone.
    type: dict
    suboptions:
      domain:
        description: Domain name of the certificate (in the zone).
        type: str
        required: true
      subject_alternative_names:
        description: More names (in the zone), for example V(*.example.com).
        type: list
        elements: str
notes:
  - moto, the local stand-in used by the tests, accepts alias records to any target (the module
    checks balancer targets itself), issues a requested certificate after a fixed delay without
    looking at the validation records, and answers every DNS change as INSYNC at once.
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
  returned: always
  type: str
  sample: Z0123456789ABCDEFGHIJ
zone:
  description: Name of the hosted zone (with trailing dot).
  returned: always
  type: str
  sample: example.com.
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
                balancer_type=dict(type='str', choices=['application', 'classic'], default='application'),
                dns_name=dict(type='str'),
                hosted_zone_id=dict(type='str'),
                evaluate_target_health=dict(type='bool', default=False),
            )),
        )),
        certificate=dict(type='dict', options=dict(
            domain=dict(type='str', required=True),
            subject_alternative_names=dict(type='list', elements='str'),
        )),
    )


def main():
    module = StreamfleetAWSModule(
        argument_spec(),
        required_one_of=[('zone', 'zone_id')],
        mutually_exclusive=[('zone', 'zone_id')],
        supports_check_mode=True,
    )
    DnsConverger(module).run()


if __name__ == '__main__':
    main()
