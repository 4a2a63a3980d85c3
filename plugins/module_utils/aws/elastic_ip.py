# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A numbered set of reserved Elastic IP addresses (``aws_elastic_ips``): one per server that
claims its own at boot (the Red5 Pro Stream Managers of seed 003, "one reserved elastic IP
address for each Stream Manager").

Every address of a set carries ``streamfleet:deployment``, ``streamfleet:elastic-ip-set=<name>``
and ``streamfleet:index=<0..count-1>``; the boot code (``boot/elastic_ip.py``) finds the set with
the same tag filter and associates the lowest free index with its own instance. A run reads the
set with one DescribeAddresses (a tag filter), allocates the missing indexes, re-tags drifted
ones and releases the unassociated addresses above ``count``; an address above ``count`` that is
still associated is kept and reported (releasing it would take a live server's address).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.converger import ConvergeError, Converger
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.tags import (
    DEPLOYMENT_TAG,
    boto3_tag_list,
    tag_changes,
    tag_dict,
)

SET_TAG = 'streamfleet:elastic-ip-set'
INDEX_TAG = 'streamfleet:index'
# Tag values: the set name is a tag value and a Name prefix; keep it to what IAM policies and
# shell scripts take unquoted.
SET_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$')
# The default Elastic IP quota is 5 per region; a larger set needs a quota increase first.
MAX_COUNT = 64


class ElasticIpError(ConvergeError):
    """Invalid task input or a set the module refuses to change; nothing was changed."""


def set_filters(deployment, name):
    """The EC2 filters that find one set (the module and the boot code use the same)."""
    return [{'Name': 'tag:' + DEPLOYMENT_TAG, 'Values': [deployment]},
            {'Name': 'tag:' + SET_TAG, 'Values': [name]}]


def index_of(tags):
    """The address's index in its set, or None when the tag is missing or not a number."""
    value = (tags or {}).get(INDEX_TAG, '')
    return int(value) if value.isdigit() else None


def validate(params):
    errors = []
    if not SET_NAME.match(params.get('name') or ''):
        errors.append('name must be 1-128 characters of A-Z a-z 0-9 _ . - starting with a letter or digit, not %r'
                      % params.get('name'))
    count = params.get('count')
    if params.get('state', 'present') == 'present' and (count is None or not 0 <= count <= MAX_COUNT):
        errors.append('count must be 0..%d (one address per server that claims one), not %r' % (MAX_COUNT, count))
    if errors:
        raise ElasticIpError('; '.join(errors))


class ElasticIpConverger(Converger):
    """Converges one set of Elastic IP addresses; records every (would-be) change."""
    input_rules = 'aws_elastic_ips'  # validation.INPUT_RULES, checked before validate()

    error = ElasticIpError

    def describe(self):
        return 'Elastic IP set %s' % self.params['name']

    def validate(self):
        validate(self.params)

    @property
    def ec2(self):
        return self.client('ec2')

    def read(self):
        answer = self.ec2.describe_addresses(aws_retry=True, Filters=set_filters(self.params['deployment'],
                                                                                 self.params['name']))
        self.addresses = []
        for address in answer.get('Addresses', []):
            tags = tag_dict(address.get('Tags'))
            self.addresses.append(dict(
                index=index_of(tags), allocation_id=address['AllocationId'], public_ip=address.get('PublicIp'),
                instance_id=address.get('InstanceId'), association_id=address.get('AssociationId'), tags=tags))
        self.addresses.sort(key=lambda a: (a['index'] is None, a['index'], a['allocation_id']))
        self.before = dict(addresses=[self._shown(a) for a in self.addresses])

    @staticmethod
    def _shown(address):
        return '%s %s %s' % (address['index'], address['allocation_id'], address['public_ip'])

    def _allocated(self, index):
        """The allocation tagged as the set's ``index``-th address, as AllocateAddress answers, or None."""
        answer = self.ec2.describe_addresses(aws_retry=True, Filters=set_filters(self.params['deployment'],
                                                                                 self.params['name']))
        for address in answer.get('Addresses', []):
            if index_of(tag_dict(address.get('Tags'))) == index:
                return dict(AllocationId=address['AllocationId'], PublicIp=address.get('PublicIp'))
        return None

    def _tags_for(self, index):
        return self.deployment_tags({SET_TAG: self.params['name'], INDEX_TAG: str(index),
                                     'Name': '%s-%d' % (self.params['name'], index)})

    def apply(self):
        if self.params['state'] == 'absent':
            self._absent()
        else:
            self._present()
        kept = sorted(self.addresses, key=lambda a: (a['index'] is None, a['index'], a['allocation_id']))
        self.result.update(
            name=self.params['name'],
            addresses=[dict((k, a[k]) for k in ('index', 'allocation_id', 'public_ip', 'instance_id'))
                       for a in kept],
            allocation_ids=[a['allocation_id'] for a in kept if a['allocation_id']],
        )
        self.after = dict(addresses=[self._shown(a) for a in kept])

    def _present(self):
        count = self.params['count']
        by_index = {}
        extra = []
        for address in self.addresses:
            if address['index'] is not None and address['index'] < count and address['index'] not in by_index:
                by_index[address['index']] = address
            else:
                extra.append(address)
        for index in range(count):
            wanted = self._tags_for(index)
            address = by_index.get(index)
            if address is None:
                if self.change('allocate Elastic IP %s-%d' % (self.params['name'], index)):
                    # AllocateAddress takes no client token: after a throttled, failed or unanswered
                    # send, look for the allocation by its tags before sending it again.
                    answer = self.ec2.create_once(
                        'allocate_address', lambda position=index: self._allocated(position),
                        Domain='vpc', TagSpecifications=[{'ResourceType': 'elastic-ip', 'Tags': boto3_tag_list(wanted)}])
                    self.addresses.append(dict(index=index, allocation_id=answer['AllocationId'],
                                               public_ip=answer.get('PublicIp'), instance_id=None,
                                               association_id=None, tags=wanted))
                else:
                    self.addresses.append(dict(index=index, allocation_id=None, public_ip=None, instance_id=None,
                                               association_id=None, tags=wanted))
                continue
            # Tags only added or changed: tags an operator added are kept.
            to_set, _unused = tag_changes(address['tags'], wanted)
            if to_set and self.change('tag Elastic IP %s: %s' % (address['allocation_id'], sorted(to_set))):
                self.ec2.create_tags(aws_retry=True, Resources=[address['allocation_id']], Tags=boto3_tag_list(to_set))
        not_released = []
        for address in extra:
            if address['association_id']:
                # A live server holds it: releasing would take its address away mid-session.
                not_released.append(address['allocation_id'])
                continue
            self._release(address)
        self.result['not_released'] = not_released

    def _release(self, address):
        if self.change('release Elastic IP %s (%s)' % (address['allocation_id'], address['public_ip'])):
            self.ec2.release_address(aws_retry=True, AllocationId=address['allocation_id'])
        self.addresses.remove(address)

    def _absent(self):
        for address in list(self.addresses):
            what = 'disassociate Elastic IP %s from %s' % (address['allocation_id'], address['instance_id'])
            if address['association_id'] and self.change(what):
                self.ec2.disassociate_address(aws_retry=True, AssociationId=address['association_id'])
            self._release(address)
        self.result['not_released'] = []
