# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network unit of a deployment: VPC, subnets, internet gateway, public routes, security groups.

Validation (CIDRs, ports, rules that would open a cluster-internal port to the world) runs
before any call; the converge functions find every object by the deployment tag and its
``Name`` tag before creating it, and ``delete_network`` removes only what carries the tag.

The result also names where the network is (``region``, ``partition``, ``account_id``) for the
IAM resource ARNs the topology roles write, so that a role needs no zone or caller-identity
task of its own: the partition comes from botocore's endpoint data (no call), the account from
the owner of a VPC the deployment owns (no call), else from one sts:GetCallerIdentity.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.converger import ConvergeError, Converger
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.tags import (
    DEPLOYMENT_TAG,
    boto3_tag_list,
    ec2_filters,
    tag_dict,
)

WORLD = ('0.0.0.0/0', '::/0')
# How to look for what a create made: these EC2 creates take no client token, so after a
# retryable failure the object is looked for before the create is sent again.
REREAD = {
    'create_vpc': ('describe_vpcs', 'Vpcs', 'Vpc'),
    'create_subnet': ('describe_subnets', 'Subnets', 'Subnet'),
    'create_internet_gateway': ('describe_internet_gateways', 'InternetGateways', 'InternetGateway'),
    'create_route_table': ('describe_route_tables', 'RouteTables', 'RouteTable'),
    'create_security_group': ('describe_security_groups', 'SecurityGroups', None),
}
PROTOCOLS = {'tcp': 'tcp', 'udp': 'udp', 'icmp': 'icmp', 'all': '-1', '-1': '-1'}
# Where a subnet declared without a zone is placed: the region's standard zones (no Local or
# Wavelength Zone, none impaired or unavailable), by name.
PLACEMENT_ZONE_FILTERS = {'state': 'available', 'zone-type': 'availability-zone'}


class NetworkSpecError(ConvergeError, ValueError):
    """The declared network is invalid; raised before anything is changed."""


# ---------------------------------------------------------------------------------------------
# Validation and normalisation

def parse_cidr(value, what):
    try:
        return str(ipaddress.ip_network(str(value), strict=True))
    except ValueError as exc:
        raise NetworkSpecError('%s: %r is not a valid CIDR block (%s)' % (what, value, exc))


def parse_ports(value, protocol, what):
    """``5080`` / ``'50000-60000'`` / ``None`` (all) -> ``(from, to)``."""
    if protocol in ('-1', 'icmp'):
        return (-1, -1)
    if value is None:
        return (0, 65535)
    text = str(value).strip()
    low, sep, high = text.partition('-')
    try:
        start = int(low)
        end = int(high) if sep else start
    except ValueError:
        raise NetworkSpecError('%s: ports %r must be a number or a range like 50000-60000' % (what, value))
    if not (0 <= start <= end <= 65535):
        raise NetworkSpecError('%s: port range %r is outside 0-65535 or reversed' % (what, value))
    return (start, end)


def normalise_rules(group_name, rules, group_names, restricted_ports):
    """Declared rules -> a set of permission tuples ``(proto, from, to, kind, source)``.

    ``kind`` is ``cidr``, ``cidr6`` or ``group`` (source = a group name of this task or an
    ``sg-`` id). A rule that opens one of ``restricted_ports`` to the whole internet is refused
    unless the rule says ``allow_world: true``.
    """
    result = set()
    for index, rule in enumerate(rules or []):
        what = 'security group %s rule %d' % (group_name, index + 1)
        proto = PROTOCOLS.get(str(rule.get('protocol', 'tcp')).lower())
        if proto is None:
            raise NetworkSpecError('%s: protocol must be one of tcp, udp, icmp, all' % what)
        ports = parse_ports(rule.get('ports'), proto, what)
        sources = []
        for cidr in rule.get('cidr') or []:
            cidr = parse_cidr(cidr, what)
            sources.append(('cidr6' if ':' in cidr else 'cidr', cidr))
        for group in rule.get('groups') or []:
            if not str(group).startswith('sg-') and group not in group_names:
                raise NetworkSpecError('%s: source group %r is neither an sg- id nor a group of this task'
                                       % (what, group))
            sources.append(('group', group))
        if rule.get('self'):
            sources.append(('group', group_name))
        if not sources:
            raise NetworkSpecError('%s: give cidr, groups or self' % what)
        for kind, source in sources:
            if source in WORLD and not rule.get('allow_world'):
                for port in restricted_ports:
                    if proto == '-1' or (proto == 'tcp' and ports[0] <= port <= ports[1]):
                        raise NetworkSpecError(
                            '%s opens port %d to %s; it is meant for the cluster only. Use the VPC CIDR '
                            'or a source group, or set allow_world: true on the rule.' % (what, port, source))
            result.add((proto, ports[0], ports[1], kind, source))
    return result


def validate(params):
    """Check the whole declaration; returns the normalised security-group rules by group name."""
    if params.get('cidr_block'):
        vpc_net = ipaddress.ip_network(parse_cidr(params['cidr_block'], 'cidr_block'))
    else:
        vpc_net = None
    seen = set()
    for subnet in params.get('subnets') or []:
        what = 'subnet %s' % subnet['name']
        if subnet['name'] in seen:
            raise NetworkSpecError('%s is declared twice' % what)
        seen.add(subnet['name'])
        net = ipaddress.ip_network(parse_cidr(subnet['cidr'], what))
        if vpc_net is not None and not net.subnet_of(vpc_net):
            raise NetworkSpecError('%s: %s is not inside the VPC block %s' % (what, net, vpc_net))
    names = [g['name'] for g in params.get('security_groups') or []]
    if len(names) != len(set(names)):
        raise NetworkSpecError('security group names must be unique')
    restricted = params.get('restricted_ports') or []
    return dict((g['name'], normalise_rules(g['name'], g.get('rules'), set(names), restricted))
                for g in params.get('security_groups') or [])


def placement_zone(index, zones):
    """The zone of the ``index``-th declared subnet when it names none: round robin over
    ``zones`` (sorted names), so that consecutive subnets land in different zones."""
    return zones[index % len(zones)]


def partition_of(session, region):
    """The partition (``aws``, ``aws-cn``, ``aws-us-gov``...) of ``region`` from botocore's
    endpoint data, without a call."""
    getter = getattr(session, 'get_partition_for_region', None)
    if getter is not None:
        return getter(region)
    for partition in session.get_available_partitions():  # boto3 older than 1.26.47
        if region in session.get_available_regions('ec2', partition_name=partition):
            return partition
    return 'aws'


# ---------------------------------------------------------------------------------------------
# Reading the current state

def _deployment_filter(deployment, extra=None):
    filters = {'tag:%s' % DEPLOYMENT_TAG: deployment}
    filters.update(extra or {})
    return ec2_filters(filters)


def find_vpc(ec2, deployment, name, vpc_id=None):
    if vpc_id:
        vpcs = ec2.describe_vpcs(aws_retry=True, VpcIds=[vpc_id])['Vpcs']
    else:
        vpcs = ec2.describe_vpcs(aws_retry=True, Filters=_deployment_filter(deployment, {'tag:Name': name}))['Vpcs']
    return vpcs[0] if vpcs else None


def read_network(ec2, vpc_id):
    """Subnets, gateway, route tables and groups of ``vpc_id`` (one describe per kind)."""
    vpc_filter = ec2_filters({'vpc-id': vpc_id})
    return dict(
        subnets=ec2.describe_subnets(aws_retry=True, Filters=vpc_filter)['Subnets'],
        gateways=ec2.describe_internet_gateways(
            aws_retry=True, Filters=ec2_filters({'attachment.vpc-id': vpc_id}))['InternetGateways'],
        route_tables=ec2.describe_route_tables(aws_retry=True, Filters=vpc_filter)['RouteTables'],
        groups=ec2.describe_security_groups(aws_retry=True, Filters=vpc_filter)['SecurityGroups'],
    )


def permissions_of(group, ids_to_names):
    """A group's ingress permissions as the tuples :func:`normalise_rules` produces."""
    result = set()
    for perm in group.get('IpPermissions', []):
        proto = perm.get('IpProtocol', '-1')
        low = perm.get('FromPort', -1) if proto != '-1' else -1
        high = perm.get('ToPort', -1) if proto != '-1' else -1
        for rng in perm.get('IpRanges', []):
            result.add((proto, low, high, 'cidr', rng['CidrIp']))
        for rng in perm.get('Ipv6Ranges', []):
            result.add((proto, low, high, 'cidr6', rng['CidrIpv6']))
        for pair in perm.get('UserIdGroupPairs', []):
            result.add((proto, low, high, 'group', ids_to_names.get(pair['GroupId'], pair['GroupId'])))
    return result


def ip_permission(perm, names_to_ids):
    proto, low, high, kind, source = perm
    entry = {'IpProtocol': proto}
    if proto != '-1':
        entry.update(FromPort=low, ToPort=high)
    if kind == 'cidr':
        entry['IpRanges'] = [{'CidrIp': source}]
    elif kind == 'cidr6':
        entry['Ipv6Ranges'] = [{'CidrIpv6': source}]
    else:
        entry['UserIdGroupPairs'] = [{'GroupId': names_to_ids.get(source, source)}]
    return entry


def describe_rule(perm):
    proto, low, high, kind, source = perm
    ports = 'all' if proto == '-1' else ('%d' % low if low == high else '%d-%d' % (low, high))
    return '%s/%s from %s' % ({'-1': 'all'}.get(proto, proto), ports, source)


# ---------------------------------------------------------------------------------------------
# Converge

class NetworkConverger(Converger):
    """Bring a deployment's network to the declared state, recording what changed."""

    input_rules = 'aws_network'  # validation.INPUT_RULES, checked before validate()

    def region_refs(self):
        return ([('subnets[%d].availability_zone' % i, s.get('availability_zone'))
                 for i, s in enumerate(self.params.get('subnets') or [])], [])

    error = NetworkSpecError

    def __init__(self, module):
        super(NetworkConverger, self).__init__(module)
        self.tags = self.deployment_tags()
        self.desired_rules = None
        self._placement_zones = None

    @property
    def ec2(self):
        return self.client('ec2')

    def describe(self):
        return 'Network %s' % self.params['name']

    def validate(self):
        self.desired_rules = validate(self.params)

    def read(self):
        p = self.params
        self.vpc = find_vpc(self.ec2, p['deployment'], p['name'], p.get('vpc_id'))

    def apply(self):
        if self.params['state'] == 'absent':
            self.delete()
        else:
            self.result = self.converge(self.desired_rules)

    def report(self):
        # the diff of a network is the list of its changes, one per line
        return dict(self.result, diff=dict(before='', after=''.join(line + '\n' for line in self.changes)))

    def _create(self, method, filters, **kwargs):
        """``ec2.<method>(**kwargs)``, re-sent only when ``filters`` find nothing it made."""
        describe, list_key, item_key = REREAD[method]

        def reread():
            found = getattr(self.ec2, describe)(aws_retry=True, Filters=ec2_filters(filters))[list_key]
            if not found:
                return None
            return {item_key: found[0]} if item_key else {'GroupId': found[0]['GroupId']}
        return self.ec2.create_once(method, reread, **kwargs)

    # Attach, route, associate and authorize have no client token and fail on a second send
    # once the first was carried out (Resource.AlreadyAssociated, RouteAlreadyExists,
    # InvalidPermission.Duplicate): after a throttled, failed or unanswered send, look first.
    def _attach_gateway(self, gateway_id, vpc_id):
        def attached():
            gateways = self.ec2.describe_internet_gateways(
                aws_retry=True, InternetGatewayIds=[gateway_id])['InternetGateways']
            if any(a.get('VpcId') == vpc_id for g in gateways for a in g.get('Attachments', [])):
                return {}
            return None
        self.ec2.create_once('attach_internet_gateway', attached, InternetGatewayId=gateway_id, VpcId=vpc_id)

    def _default_route(self, table_id, gateway_id):
        tables = self.ec2.describe_route_tables(aws_retry=True, RouteTableIds=[table_id])['RouteTables']
        if any(r.get('DestinationCidrBlock') == '0.0.0.0/0' and r.get('GatewayId') == gateway_id
               for t in tables for r in t.get('Routes', [])):
            return {}
        return None

    def _association(self, table_id, subnet_id):
        tables = self.ec2.describe_route_tables(aws_retry=True, RouteTableIds=[table_id])['RouteTables']
        for association in (a for t in tables for a in t.get('Associations', [])):
            if association.get('SubnetId') == subnet_id:
                return {'AssociationId': association.get('RouteTableAssociationId')}
        return None

    def _rules_present(self, group_id, perms, ids_to_names):
        groups = self.ec2.describe_security_groups(aws_retry=True, GroupIds=[group_id])['SecurityGroups']
        if groups and set(perms) <= permissions_of(groups[0], ids_to_names):
            return {}
        return None

    def _zone_of(self, index, spec):
        """The declared zone of subnet ``index``, else the one it is placed in at creation
        (one DescribeAvailabilityZones per run, only when such a subnet is to be created)."""
        if spec.get('availability_zone'):
            return spec['availability_zone']
        if self._placement_zones is None:
            answer = self.ec2.describe_availability_zones(aws_retry=True,
                                                          Filters=ec2_filters(PLACEMENT_ZONE_FILTERS))
            self._placement_zones = sorted(z['ZoneName'] for z in answer.get('AvailabilityZones', []))
            if not self._placement_zones:
                raise NetworkSpecError('subnets[%d] (%s) names no availability_zone and the region has no '
                                       'available zone to place it in' % (index, spec['name']))
        return placement_zone(index, self._placement_zones)

    def _where(self, vpc, own_vpc):
        """``region``, ``partition`` and ``account_id`` of the network.

        The owner of a VPC the deployment owns is the caller; a VPC given by id may be shared
        with the caller's account (AWS RAM) and belong to another one, so the account is then
        the caller's identity, as it is before the VPC exists (check mode)."""
        region = self.module.region
        account = vpc.get('OwnerId') if vpc is not None and own_vpc else None
        if not account:
            account = self.client('sts').get_caller_identity(aws_retry=True)['Account']
        return dict(region=region, partition=partition_of(self.module.session, region), account_id=account)

    def _tag_spec(self, resource_type, name):
        tags = dict(self.tags, Name=name)
        return [{'ResourceType': resource_type, 'Tags': boto3_tag_list(tags)}]

    def converge(self, desired_rules):
        p = self.params
        vpc = self.vpc
        if p.get('vpc_id') and vpc is None:
            self.module.fail_json(msg='VPC %s does not exist' % p['vpc_id'])
        # Found by the deployment's tags or created here: the deployment's own VPC.
        own_vpc = not p.get('vpc_id')
        if vpc is None:
            if not self.change('create VPC %s (%s)' % (p['name'], p['cidr_block'])):
                return dict(self._planned(desired_rules), **self._where(None, own_vpc))
            vpc = self._create('create_vpc', {'tag:%s' % DEPLOYMENT_TAG: p['deployment'], 'tag:Name': p['name']},
                               CidrBlock=p['cidr_block'], TagSpecifications=self._tag_spec('vpc', p['name']))['Vpc']
            self.ec2.modify_vpc_attribute(aws_retry=True, VpcId=vpc['VpcId'], EnableDnsHostnames={'Value': True})
        elif not p.get('vpc_id') and vpc['CidrBlock'] != p['cidr_block']:
            self.module.fail_json(msg='VPC %s exists with CIDR %s; a VPC block cannot change (declared %s)'
                                  % (p['name'], vpc['CidrBlock'], p['cidr_block']))
        current = read_network(self.ec2, vpc['VpcId'])
        subnets = self._subnets(vpc, current['subnets'])
        self._public_routes(vpc, current, subnets)
        groups = self._groups(vpc, current['groups'], desired_rules)
        return dict(self._result(vpc, subnets, groups), **self._where(vpc, own_vpc))

    def _planned(self, desired_rules):
        # Check mode with nothing yet: every declared object would be created.
        for index, subnet in enumerate(self.params.get('subnets') or []):
            self.change('create subnet %s (%s) in %s'
                        % (subnet['name'], subnet['cidr'], self._zone_of(index, subnet)))
        for group in self.params.get('security_groups') or []:
            self.change('create security group %s' % group['name'])
            for perm in sorted(desired_rules[group['name']]):
                self.change('allow %s into %s' % (describe_rule(perm), group['name']))
        return dict(vpc_id=None, cidr_block=self.params['cidr_block'], subnets={}, subnet_ids=[],
                    security_groups={})

    def _subnets(self, vpc, existing):
        by_cidr = dict((s['CidrBlock'], s) for s in existing)
        result = {}
        for index, spec in enumerate(self.params.get('subnets') or []):
            cidr = str(ipaddress.ip_network(spec['cidr']))
            subnet = by_cidr.get(cidr)
            if subnet is None:
                zone = self._zone_of(index, spec)
                if not self.change('create subnet %s (%s) in %s' % (spec['name'], cidr, zone)):
                    result[spec['name']] = dict(id=None, cidr=cidr, availability_zone=zone,
                                                public=bool(spec.get('public')))
                    continue
                kwargs = dict(VpcId=vpc['VpcId'], CidrBlock=cidr, AvailabilityZone=zone,
                              TagSpecifications=self._tag_spec('subnet', spec['name']))
                subnet = self._create('create_subnet', {'vpc-id': vpc['VpcId'], 'cidr-block': cidr}, **kwargs)['Subnet']
            elif spec.get('availability_zone') and subnet['AvailabilityZone'] != spec['availability_zone']:
                self.module.fail_json(msg='subnet %s (%s) exists in %s, not %s; a subnet cannot move'
                                      % (spec['name'], cidr, subnet['AvailabilityZone'], spec['availability_zone']))
            if spec.get('public') and not subnet.get('MapPublicIpOnLaunch'):
                if self.change('map public addresses on launch in subnet %s' % spec['name']):
                    self.ec2.modify_subnet_attribute(aws_retry=True, SubnetId=subnet['SubnetId'],
                                                     MapPublicIpOnLaunch={'Value': True})
            result[spec['name']] = dict(id=subnet['SubnetId'], cidr=cidr,
                                        availability_zone=subnet['AvailabilityZone'],
                                        public=bool(spec.get('public')))
        return result

    def _public_routes(self, vpc, current, subnets):
        public = [s for s in subnets.values() if s.get('public')]
        if not public:
            return
        gateways = current['gateways']
        if gateways:
            gateway_id = gateways[0]['InternetGatewayId']
        else:
            if not self.change('create and attach an internet gateway'):
                gateway_id = None
            else:
                gateway_id = self._create(
                    'create_internet_gateway',
                    {'tag:%s' % DEPLOYMENT_TAG: self.params['deployment'], 'tag:Name': self.params['name']},
                    TagSpecifications=self._tag_spec('internet-gateway', self.params['name']))[
                        'InternetGateway']['InternetGatewayId']
                self._attach_gateway(gateway_id, vpc['VpcId'])
        name = '%s-public' % self.params['name']
        table = None
        for candidate in current['route_tables']:
            if tag_dict(candidate.get('Tags')).get('Name') == name:
                table = candidate
        if table is None:
            if not self.change('create route table %s with a default route to the gateway' % name):
                return
            table = self._create('create_route_table', {'vpc-id': vpc['VpcId'], 'tag:Name': name},
                                 VpcId=vpc['VpcId'], TagSpecifications=self._tag_spec('route-table', name))['RouteTable']
        routes = dict((r.get('DestinationCidrBlock'), r.get('GatewayId')) for r in table.get('Routes', []))
        if routes.get('0.0.0.0/0') != gateway_id and self.change('route 0.0.0.0/0 to the internet gateway'):
            self.ec2.create_once('create_route', lambda: self._default_route(table['RouteTableId'], gateway_id),
                                 RouteTableId=table['RouteTableId'], DestinationCidrBlock='0.0.0.0/0',
                                 GatewayId=gateway_id)
        associated = set(a.get('SubnetId') for a in table.get('Associations', []))
        for subnet in public:
            if subnet['id'] and subnet['id'] not in associated:
                if self.change('associate subnet %s with %s' % (subnet['cidr'], name)):
                    self.ec2.create_once(
                        'associate_route_table', lambda subnet_id=subnet['id']: self._association(table['RouteTableId'], subnet_id),
                        RouteTableId=table['RouteTableId'], SubnetId=subnet['id'])

    def _groups(self, vpc, existing, desired_rules):
        by_name = dict((g['GroupName'], g) for g in existing)
        names_to_ids = dict((g['GroupName'], g['GroupId']) for g in existing)
        specs = self.params.get('security_groups') or []
        # Create every group first so that rules can name each other.
        for spec in specs:
            if spec['name'] in by_name:
                continue
            if not self.change('create security group %s' % spec['name']):
                continue
            group_id = self._create(
                'create_security_group', {'vpc-id': vpc['VpcId'], 'group-name': spec['name']},
                GroupName=spec['name'], Description=spec.get('description') or spec['name'],
                VpcId=vpc['VpcId'], TagSpecifications=self._tag_spec('security-group', spec['name']))['GroupId']
            names_to_ids[spec['name']] = group_id
            by_name[spec['name']] = {'GroupId': group_id, 'IpPermissions': []}
        ids_to_names = dict((v, k) for k, v in names_to_ids.items())
        for spec in specs:
            group = by_name.get(spec['name'], {'GroupId': None, 'IpPermissions': []})
            current = permissions_of(group, ids_to_names)
            desired = desired_rules[spec['name']]
            missing = sorted(desired - current)
            extra = sorted(current - desired) if spec.get('purge_rules', True) else []
            # One call per group for all its new rules and one for all its stale ones: AWS
            # applies the list of an authorize (or revoke) call as a whole or not at all.
            allow = [perm for perm in missing
                     if self.change('allow %s into %s' % (describe_rule(perm), spec['name']))]
            if allow:
                self.ec2.create_once(
                    'authorize_security_group_ingress',
                    lambda rules=tuple(allow), group_id=group['GroupId']: self._rules_present(
                        group_id, rules, ids_to_names),
                    GroupId=group['GroupId'], IpPermissions=[ip_permission(perm, names_to_ids) for perm in allow])
            revoke = [perm for perm in extra
                      if self.change('revoke %s from %s' % (describe_rule(perm), spec['name']))]
            if revoke:
                self.ec2.revoke_security_group_ingress(
                    aws_retry=True, GroupId=group['GroupId'],
                    IpPermissions=[ip_permission(perm, names_to_ids) for perm in revoke])
        return dict((spec['name'], names_to_ids.get(spec['name'])) for spec in specs)

    def _result(self, vpc, subnets, groups):
        return dict(
            vpc_id=vpc['VpcId'],
            cidr_block=vpc['CidrBlock'],
            subnets=subnets,
            subnet_ids=[s['id'] for s in subnets.values() if s.get('id')],
            public_subnet_ids=[s['id'] for s in subnets.values() if s.get('id') and s.get('public')],
            security_groups=groups,
        )

    # -----------------------------------------------------------------------------------------
    def delete(self):
        """Remove what the deployment owns in the VPC, then the VPC when the task created it."""
        p = self.params
        vpc = self.vpc
        if vpc is None:
            return
        current = read_network(self.ec2, vpc['VpcId'])

        def owned(obj):
            return tag_dict(obj.get('Tags')).get(DEPLOYMENT_TAG) == p['deployment']

        groups = [g for g in current['groups'] if owned(g)]
        # Rules that reference another group block its deletion: revoke them all first.
        for group in groups:
            if group.get('IpPermissions') and self.change('revoke all rules of %s' % group['GroupName']):
                self.ec2.revoke_security_group_ingress(aws_retry=True, GroupId=group['GroupId'],
                                                       IpPermissions=group['IpPermissions'])
        for group in groups:
            if self.change('delete security group %s' % group['GroupName']):
                self.ec2.delete_security_group(aws_retry=True, GroupId=group['GroupId'])
        for table in current['route_tables']:
            if not owned(table):
                continue
            for assoc in table.get('Associations', []):
                if not assoc.get('Main') and self.change('disassociate %s' % assoc.get('SubnetId')):
                    self.ec2.disassociate_route_table(aws_retry=True, AssociationId=assoc['RouteTableAssociationId'])
            if self.change('delete route table %s' % table['RouteTableId']):
                self.ec2.delete_route_table(aws_retry=True, RouteTableId=table['RouteTableId'])
        for gateway in current['gateways']:
            if owned(gateway) and self.change('delete internet gateway %s' % gateway['InternetGatewayId']):
                self.ec2.detach_internet_gateway(aws_retry=True, InternetGatewayId=gateway['InternetGatewayId'],
                                                 VpcId=vpc['VpcId'])
                self.ec2.delete_internet_gateway(aws_retry=True, InternetGatewayId=gateway['InternetGatewayId'])
        for subnet in current['subnets']:
            if owned(subnet) and self.change('delete subnet %s' % subnet['CidrBlock']):
                self.ec2.delete_subnet(aws_retry=True, SubnetId=subnet['SubnetId'])
        if not p.get('vpc_id') and owned(vpc) and self.change('delete VPC %s' % vpc['VpcId']):
            self.ec2.delete_vpc(aws_retry=True, VpcId=vpc['VpcId'])
