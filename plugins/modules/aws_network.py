#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: aws_network
short_description: The network of a streaming deployment on AWS (VPC, subnets, gateway, security groups)
version_added: 0.1.0
description:
  - Creates or adopts a VPC, creates its subnets (public ones get an internet gateway, a route
    table with a default route and public addresses on launch) and security groups with exactly
    the declared ingress rules, in one task.
  - Every object it creates carries the deployment tag and a C(Name) tag and is found by them
    on the next run; a second run with the same input changes nothing.
  - Rules are validated before any call. A rule that opens one of O(restricted_ports) (by
    default MongoDB 27017, Ant Media's cluster port 5000 and MySQL 3306) to C(0.0.0.0/0) is
    refused unless the rule sets C(allow_world), because the vendor guides' habit of opening
    MongoDB to the world is exactly what this collection avoids.
  - It also returns where the network is (RV(region), RV(partition), RV(account_id)), which IAM
    resource ARNs need, so that a playbook needs no zone or caller-identity task of its own. The
    partition comes from botocore's endpoint data; the account is the owner of the VPC when the
    deployment owns the VPC (no call), else (a VPC given by O(vpc_id) may be shared from another
    account through AWS RAM, or no VPC exists yet in check mode) the caller's, from one
    C(sts:GetCallerIdentity).
  - O(state=absent) removes the security groups, subnets, route table and gateway that carry the
    deployment tag, then the VPC when the module created it (never a VPC given by O(vpc_id)).
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.aws
attributes:
  check_mode:
    support: full
    description: Lists what would change in RV(changes), creates nothing.
  diff_mode:
    support: full
    description: Shows the list of changes as the diff.
options:
  name:
    description: Name of the network; the VPC's C(Name) tag and the prefix of the route table name.
    type: str
    required: true
  deployment:
    description: Value of the C(streamfleet:deployment) tag of everything this task owns.
    type: str
    required: true
  state:
    description: V(present) converges the network; V(absent) removes what the deployment owns.
    type: str
    choices: [present, absent]
    default: present
  cidr_block:
    description: IPv4 block of a VPC this task creates and owns. Mutually exclusive with O(vpc_id).
    type: str
  vpc_id:
    description: Use this existing VPC; subnets and groups are created in it and it is never deleted.
    type: str
  subnets:
    description: Subnets to have in the VPC, found by CIDR block.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The subnet's C(Name) tag and its key in RV(subnets).
        type: str
        required: true
      cidr:
        description: IPv4 block inside the VPC's block.
        type: str
        required: true
      availability_zone:
        description:
          - Availability zone, for example V(us-east-1a).
          - Without a zone the subnet is placed at creation, the I(i)-th declared subnet going to
            the I(i) modulo I(n)-th of the region's I(n) available zones of type
            C(availability-zone), sorted by name (one C(ec2:DescribeAvailabilityZones), made only
            when such a subnet is to be created). An existing subnet is not moved; it keeps the
            zone it has, which RV(subnets) reports.
        type: str
      public:
        description: Route it to an internet gateway and give instances public addresses.
        type: bool
        default: false
  security_groups:
    description: Security groups in the VPC, found by name, with exactly these ingress rules.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Group name (unique in the VPC).
        type: str
        required: true
      description:
        description: Group description (set at creation; AWS cannot change it).
        type: str
      purge_rules:
        description: Revoke ingress rules that are not declared.
        type: bool
        default: true
      rules:
        description: Ingress rules.
        type: list
        elements: dict
        default: []
        suboptions:
          protocol:
            description: V(tcp), V(udp), V(icmp) or V(all).
            type: str
            default: tcp
          ports:
            description: A port (V(5080)) or a range (V(50000-60000)); all ports when omitted.
            type: str
          cidr:
            description: Source IPv4/IPv6 blocks.
            type: list
            elements: str
          groups:
            description: Source security groups, by name of a group of this task or by C(sg-) id.
            type: list
            elements: str
          self:
            description: Allow traffic from members of this same group.
            type: bool
            default: false
          allow_world:
            description: Allow a world-wide source on a port in O(restricted_ports).
            type: bool
            default: false
  restricted_ports:
    description: TCP ports that must never be open to C(0.0.0.0/0) or C(::/0) without C(allow_world).
    type: list
    elements: int
    default: [27017, 5000, 3306]
"""

EXAMPLES = r"""
- name: Network of the Ant Media cluster (seed 002), MongoDB reachable from the cluster only
  streamfleet.cluster.aws_network:
    name: antmedia
    deployment: antmedia-prod
    cidr_block: 10.20.0.0/16
    subnets:
      - {name: antmedia-a, cidr: 10.20.1.0/24, availability_zone: us-east-1a, public: true}
      - {name: antmedia-b, cidr: 10.20.2.0/24, availability_zone: us-east-1b, public: true}
      # No zone: placed in the region's next zone when it is created
      - {name: antmedia-c, cidr: 10.20.3.0/24, public: true}
    security_groups:
      - name: antmedia-balancer
        description: Ant Media balancer
        rules:
          - {ports: "80", cidr: [0.0.0.0/0]}
          - {ports: "443", cidr: [0.0.0.0/0]}
          - {ports: "5080", cidr: [0.0.0.0/0]}
          - {ports: "5443", cidr: [0.0.0.0/0]}
      - name: antmedia-nodes
        description: Ant Media origins and edges
        rules:
          - {ports: "5080", groups: [antmedia-balancer]}
          - {ports: "5000", self: true}
          - {protocol: udp, ports: "50000-60000", cidr: [0.0.0.0/0]}
      - name: antmedia-mongodb
        description: MongoDB for the cluster
        rules:
          - {ports: "27017", groups: [antmedia-nodes]}
  register: network

- name: Remove it again
  streamfleet.cluster.aws_network:
    name: antmedia
    deployment: antmedia-prod
    state: absent
"""

RETURN = r"""
vpc_id:
  description: The VPC id (null in check mode before the VPC exists).
  returned: state=present
  type: str
  sample: vpc-0a1b2c3d
cidr_block:
  description: The VPC's IPv4 block.
  returned: state=present
  type: str
  sample: 10.20.0.0/16
subnets:
  description:
    - The declared subnets by name with C(id), C(cidr), C(availability_zone), C(public).
    - C(availability_zone) is the subnet's own (or, in check mode, the one it would be placed in).
  returned: state=present
  type: dict
  sample: {"antmedia-a": {"id": "subnet-1", "cidr": "10.20.1.0/24", "availability_zone": "us-east-1a", "public": true}}
subnet_ids:
  description: Ids of the declared subnets, in declaration order.
  returned: state=present
  type: list
  elements: str
  sample: [subnet-1, subnet-2]
public_subnet_ids:
  description: Ids of the public subnets.
  returned: state=present
  type: list
  elements: str
  sample: [subnet-1]
security_groups:
  description: Security group ids by name.
  returned: state=present
  type: dict
  sample: {"antmedia-nodes": "sg-0123"}
region:
  description: The region the network is in (the O(region) option, else the environment or profile's).
  returned: state=present
  type: str
  sample: us-east-1
partition:
  description: The AWS partition of RV(region), as IAM ARNs spell it (C(arn:<partition>:...)).
  returned: state=present
  type: str
  sample: aws
account_id:
  description:
    - The account of the deployment's resources, for IAM resource ARNs.
    - The owner of the VPC when the deployment owns it, else the caller's account.
  returned: state=present
  type: str
  sample: "123456789012"
changes:
  description: What was (or in check mode would be) changed, one line each.
  returned: always
  type: list
  elements: str
  sample: ["create VPC antmedia (10.20.0.0/16)", "allow tcp/27017 from antmedia-nodes into antmedia-mongodb"]
api_calls:
  description: AWS API calls made, by C(service.Operation).
  returned: always
  type: dict
  sample: {"ec2.DescribeVpcs": 1}
"""

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.network import NetworkConverger
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.session import StreamfleetAWSModule
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import module_edge


@module_edge
def main():
    rule_spec = dict(
        protocol=dict(type='str', default='tcp'),
        ports=dict(type='str'),
        cidr=dict(type='list', elements='str'),
        groups=dict(type='list', elements='str'),
        self=dict(type='bool', default=False),
        allow_world=dict(type='bool', default=False),
    )
    argument_spec = dict(
        name=dict(type='str', required=True),
        deployment=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        cidr_block=dict(type='str'),
        vpc_id=dict(type='str'),
        subnets=dict(type='list', elements='dict', default=[], options=dict(
            name=dict(type='str', required=True),
            cidr=dict(type='str', required=True),
            availability_zone=dict(type='str'),
            public=dict(type='bool', default=False),
        )),
        security_groups=dict(type='list', elements='dict', default=[], options=dict(
            name=dict(type='str', required=True),
            description=dict(type='str'),
            purge_rules=dict(type='bool', default=True),
            rules=dict(type='list', elements='dict', default=[], options=rule_spec),
        )),
        restricted_ports=dict(type='list', elements='int', default=[27017, 5000, 3306]),
    )
    module = StreamfleetAWSModule(
        argument_spec,
        mutually_exclusive=[('cidr_block', 'vpc_id')],
        required_if=[('state', 'present', ('cidr_block', 'vpc_id'), True)],
        supports_check_mode=True,
    )
    NetworkConverger(module).run()


if __name__ == '__main__':
    main()
