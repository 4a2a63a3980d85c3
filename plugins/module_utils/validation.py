# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one validation layer of the streamfleet.cluster modules.

Every module checks all of its input here before its first API call or file write:

- :class:`Checks` collects refusals; each names the option, the value and the rule, and the
  rule says where its limit is documented. ``Checks.done()`` raises :class:`ValidationError`
  with all of them at once, so one run shows every problem of a task.
- :class:`RegionCatalog` answers "does this availability zone / instance type exist in the
  region" with one describe call each, cached, so an AWS module refuses a bad zone before it
  creates anything (the converger calls it between ``validate`` and ``read``).
- :class:`StreamfleetModule` is ``AnsibleModule`` with one addition: a misspelt option is
  reported as "unknown option X; did you mean Y" first, even where Ansible reports another
  error (a typo of a required option reads "missing required arguments" in Ansible's own
  message). The AWS module class uses it as its inner module class.
- :func:`module_edge` wraps a module's ``main()``: an exception nothing else caught is
  reported in words, never as a Python traceback.

The documented limits are cited next to each rule, by the page that states them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import functools
import ipaddress
import re

from ansible.module_utils.basic import AnsibleModule

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 is not supported by the collection
    from urlparse import urlsplit  # type: ignore

try:
    text_type = unicode  # type: ignore  # noqa: F821 pylint: disable=undefined-variable
except NameError:
    text_type = str


class ValidationError(ValueError):
    """Input refused before anything was called or written; ``problems`` lists
    ``(option, value, rule)`` for each refusal."""

    def __init__(self, problems):
        self.problems = list(problems)
        super(ValidationError, self).__init__('; '.join(refusal(*p) for p in self.problems))


def shown(value):
    """A value as a refusal shows it (long values cut)."""
    text = repr(value)
    if text.startswith("u'"):
        text = text[1:]
    return text if len(text) <= 80 else text[:77] + '...'


def refusal(option, value, rule):
    return '%s=%s refused: %s' % (option, shown(value), rule)


# ------------------------------------------------------------------------------------------
# Documented limits. Each entry: (low, high, where it is documented).

# TCP/UDP ports: RFC 6335 section 6 (https://www.rfc-editor.org/rfc/rfc6335#section-6);
# Elastic Load Balancing listeners and target groups take 1-65535
# (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html).
PORT_RANGE = (1, 65535, 'RFC 6335 section 6')

ALB_DOC = 'https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html'
TG_DOC = 'https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html'
TG_ATTR_DOC = ('https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/'
               'API_TargetGroupAttribute.html')
ALB_ATTR_DOC = ('https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/'
                'API_LoadBalancerAttribute.html')
CLB_DOC = ('https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/'
           'API_CreateLoadBalancer.html')
CLB_HEALTH_DOC = 'https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_HealthCheck.html'
LT_DOC = 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplate.html'
EBS_DOC = 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EbsBlockDevice.html'
ASG_DOC = 'https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html'
HOOK_DOC = 'https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutLifecycleHook.html'
POLICY_DOC = 'https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutScalingPolicy.html'
ALARM_DOC = 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html'
VPC_DOC = 'https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html'
SG_DOC = 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html'
AMI_DOC = 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateImage.html'
METADATA_DOC = 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LaunchTemplateInstanceMetadataOptionsRequest.html'
IAM_DOC = 'https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html'
R53_RECORD_DOC = 'https://docs.aws.amazon.com/Route53/latest/APIReference/API_ResourceRecordSet.html'
R53_NAME_DOC = 'https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DomainNameFormat.html'
ROS_DOC = 'https://www.alibabacloud.com/help/en/ros/developer-reference/api-ros-2019-09-10-createstack'
# Red5 Pro Stream Manager 2.0 REST API (4.0 admin paths): node groups, launch configurations and
# scale policies are addressed by name in the request path
# (https://www.red5.net/docs/special/red5pro-stream-manager/stream-manager-api/), so a name
# with a slash, a space or another character that needs escaping in a path cannot be read back.
SM_DOC = 'https://www.red5.net/docs/special/red5pro-stream-manager/stream-manager-api/'
MONGO_DOC = 'https://www.mongodb.com/docs/manual/reference/connection-string-options/'

# Names: (min length, max length, pattern, extra rule text, where documented)
NAME_RULES = {
    # "maximum of 32 characters, only alphanumeric characters or hyphens, must not begin or
    # end with a hyphen, and must not begin with internal-"
    'balancer': (1, 32, r'^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$',
                 '1-32 letters, digits or hyphens, not beginning or ending with a hyphen, '
                 'not beginning with "internal-"', ALB_DOC),
    'classic_balancer': (1, 32, r'^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$',
                         '1-32 letters, digits or hyphens, not beginning or ending with a hyphen', CLB_DOC),
    'target_group': (1, 32, r'^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$',
                     '1-32 letters, digits or hyphens, not beginning or ending with a hyphen', TG_DOC),
    'launch_template': (3, 128, r'^[a-zA-Z0-9().\-/_]+$',
                        '3-128 characters of a-z A-Z 0-9 ( ) . - / _', LT_DOC),
    # "any ASCII character 33 to 126 ... You cannot use a colon (:) in the name", 1-255
    'autoscaling_group': (1, 255, r'^[\x21-\x39\x3b-\x7e]+$',
                          '1-255 printable ASCII characters without spaces or colons', ASG_DOC),
    'scaling_policy': (1, 255, r'^[\x21-\x39\x3b-\x7e]+$',
                       '1-255 printable ASCII characters without spaces or colons', POLICY_DOC),
    'lifecycle_hook': (1, 255, r'^[A-Za-z0-9\-_/]+$', '1-255 characters of A-Z a-z 0-9 - _ /', HOOK_DOC),
    'alarm': (1, 255, r'^[^\x00-\x1f]+$', '1-255 characters without control characters', ALARM_DOC),
    'security_group': (1, 255, r'^[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+$',
                       '1-255 characters of a-z A-Z 0-9 spaces ._-:/()#,@[]+=&;{}!$*, '
                       'not beginning with "sg-"', SG_DOC),
    # "3-128 alphanumeric characters, parentheses, square brackets, spaces, periods, slashes,
    # dashes, single quotes, at-signs, or underscores"
    'image': (3, 128, r"^[A-Za-z0-9()\[\] ./\-'@_]+$",
              "3-128 characters of a-z A-Z 0-9 ( ) [ ] space . / - ' @ _", AMI_DOC),
    'iam': (1, 64, r'^[\w+=,.@-]+$', '1-64 characters of a-z A-Z 0-9 + = , . @ _ -', IAM_DOC),
    'streammanager': (1, 255, r'^[A-Za-z0-9._\-]+$',
                      '1-255 letters, digits, dots, hyphens or underscores (no spaces or slashes: '
                      'the name is a segment of the API path)', SM_DOC),
    'deployment': (1, 128, r'^[A-Za-z0-9._\-]+$',
                   '1-128 letters, digits, dots, hyphens or underscores (it becomes a tag value and a '
                   'part of object names)',
                   'https://docs.aws.amazon.com/tag-editor/latest/userguide/best-practices-and-strats.html'),
}

# gp3/io1/io2/gp2/st1/sc1/standard limits of one volume (EBS_DOC: Iops, Throughput, VolumeSize).
EBS_SIZE = {  # GiB
    'gp2': (1, 16384), 'gp3': (1, 16384), 'io1': (4, 16384), 'io2': (4, 65536),
    'st1': (125, 16384), 'sc1': (125, 16384), 'standard': (1, 1024),
}
EBS_IOPS = {'gp3': (3000, 16000), 'io1': (100, 64000), 'io2': (100, 256000)}
EBS_THROUGHPUT = {'gp3': (125, 1000)}  # MiB/s

_HOST_LABEL = re.compile(r'^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$')
_DOTTED_NUMBERS = re.compile(r'^[0-9.]+$')


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


class Checks(object):
    """Collects refusals; ``done()`` raises one :class:`ValidationError` with all of them.

    Every check takes the option's name as the user wrote it (``target_groups[0].port``) and
    skips ``None`` (an option not given), unless ``required`` says otherwise.
    """

    def __init__(self):
        self.problems = []

    def refuse(self, option, value, rule):
        self.problems.append((option, value, rule))
        return False

    def done(self):
        if self.problems:
            raise ValidationError(self.problems)

    # -- numbers ----------------------------------------------------------------------------
    def in_range(self, option, value, low, high, source, unit=''):
        """``low <= value <= high`` (either bound may be None)."""
        if value is None:
            return True
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return self.refuse(option, value, 'must be a number')
        if (low is not None and value < low) or (high is not None and value > high):
            if low is not None and high is not None:
                bounds = 'from %s to %s' % (low, high)
            elif low is not None:
                bounds = 'at least %s' % low
            else:
                bounds = 'at most %s' % high
            return self.refuse(option, value, 'must be %s%s (%s)' % (bounds, unit and ' ' + unit, source))
        return True

    def port(self, option, value):
        if value is None:
            return True
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if not _is_int(value):
            return self.refuse(option, value, 'a port is a whole number from 1 to 65535 (%s)' % PORT_RANGE[2])
        return self.in_range(option, value, PORT_RANGE[0], PORT_RANGE[1], PORT_RANGE[2])

    def timeout(self, option, value, low=1, high=None, source='a wait shorter than a second cannot succeed'):
        return self.in_range(option, value, low, high, source, 'seconds')

    def capacity(self, names, values, source=ASG_DOC):
        """min <= desired <= max, each >= 0; ``names`` and ``values`` are (min, desired, max)."""
        ok = True
        for name, value in zip(names, values):
            ok = self.in_range(name, value, 0, None, source) and ok
        low, desired, high = values
        if not ok:
            return False
        if low is not None and high is not None and low > high:
            return self.refuse(names[0], low, 'must not exceed %s=%s (%s)' % (names[2], high, source))
        if desired is not None and low is not None and desired < low:
            return self.refuse(names[1], desired, 'must be at least %s=%s (%s)' % (names[0], low, source))
        if desired is not None and high is not None and desired > high:
            return self.refuse(names[1], desired, 'must not exceed %s=%s (%s)' % (names[2], high, source))
        return True

    # -- addresses --------------------------------------------------------------------------
    def _looks_like_url(self, option, value):
        if '://' in value or value.startswith('//'):
            return self.refuse(option, value, 'is a URL; give the host name or address alone (as %r)'
                               % (urlsplit(value if '://' in value else 'x:' + value).hostname or 'host'))
        if '/' in value:
            return self.refuse(option, value, 'has a path; give the host name or address alone')
        return True

    def ip(self, option, value, version=None):
        """An IPv4 or IPv6 address (``version`` 4 or 6 to ask for one of them)."""
        if value is None:
            return True
        if not isinstance(value, (str, text_type)) or not value.strip():
            return self.refuse(option, value, 'is not an IP address')
        value = value.strip()
        if not self._looks_like_url(option, value):
            return False
        if version != 6 and (_DOTTED_NUMBERS.match(value) or version == 4):
            return self._ipv4(option, value)
        try:
            address = ipaddress.ip_address(text_type(value))
        except ValueError:
            want = {4: 'an IPv4', 6: 'an IPv6'}.get(version, 'an IPv4 or IPv6')
            return self.refuse(option, value, 'is not %s address' % want)
        if version and address.version != version:
            return self.refuse(option, value, 'is an IPv%d address; IPv%d is required' % (address.version, version))
        return True

    def _ipv4(self, option, value):
        parts = value.split('.')
        if len(parts) != 4 or not all(part.isdigit() for part in parts):
            return self.refuse(option, value, 'is not an IPv4 address (four numbers 0-255 separated by dots)')
        for part in parts:
            if int(part) > 255:
                return self.refuse(option, value, 'is not an IPv4 address: %s is above 255 '
                                   '(each of the four numbers is 0-255, RFC 791)' % part)
            if len(part) > 1 and part.startswith('0'):
                return self.refuse(option, value, 'is not an IPv4 address: %s has a leading zero, '
                                   'which some parsers read as octal' % part)
        return True

    def cidr(self, option, value, version=None, prefix=None, source=VPC_DOC):
        """A network in CIDR notation (host bits zero); ``prefix`` = (shortest, longest)."""
        if value is None:
            return True
        if not isinstance(value, (str, text_type)) or '/' not in value:
            return self.refuse(option, value, 'is not a CIDR block (address/prefix, as 10.0.0.0/16)')
        address, _sep, length = value.strip().partition('/')
        if not self.ip(option, address, version):
            return False
        try:
            network = ipaddress.ip_network(text_type(value.strip()))
        except ValueError as exc:
            return self.refuse(option, value, 'is not a CIDR block: %s' % exc)
        if prefix and not prefix[0] <= network.prefixlen <= prefix[1]:
            return self.refuse(option, value, 'the prefix must be /%d to /%d (%s)' % (prefix[0], prefix[1], source))
        return True

    def host(self, option, value):
        """A host name, IPv4 or IPv6 address; a URL or host:port is refused in words."""
        if value is None:
            return True
        if not isinstance(value, (str, text_type)) or not value.strip():
            return self.refuse(option, value, 'is empty; give a host name or IP address')
        value = value.strip()
        if not self._looks_like_url(option, value):
            return False
        if value.startswith('[') and value.endswith(']'):
            return self.ip(option, value[1:-1], 6)
        if ':' in value:
            try:
                ipaddress.IPv6Address(text_type(value.split('%', 1)[0]))
                return True
            except ValueError:
                pass
            head, _sep, tail = value.rpartition(':')
            if tail.isdigit() and ':' not in head:
                return self.refuse(option, value, 'is host:port; give the host alone and the port in its own option')
            return self.refuse(option, value, 'is not a host name, IPv4 address or IPv6 address')
        if _DOTTED_NUMBERS.match(value):
            return self._ipv4(option, value)
        name = value[:-1] if value.endswith('.') else value
        if len(name) > 253 or not all(_HOST_LABEL.match(label) for label in name.split('.')):
            return self.refuse(option, value, 'is not a host name (labels of 1-63 letters, digits or inner '
                               'hyphens, 253 characters in all, RFC 1123)')
        return True

    def url(self, option, value, schemes=('http', 'https')):
        """An absolute URL with one of ``schemes``, a valid host and port."""
        if value is None:
            return True
        if not isinstance(value, (str, text_type)):
            return self.refuse(option, value, 'is not a URL')
        try:
            parts = urlsplit(value.strip())
            port = parts.port
        except ValueError as exc:
            return self.refuse(option, value, 'is not a URL: %s' % exc)
        if parts.scheme not in schemes or not parts.netloc:
            return self.refuse(option, value, 'is not a %s URL (as %s://host:port/)' % (
                ' or '.join(schemes), schemes[0]))
        host = parts.hostname or ''
        if not host or not self.host(option, host):
            if not host:
                return self.refuse(option, value, 'has no host')
            return False
        return self.port(option, port)

    # -- names ------------------------------------------------------------------------------
    def name(self, option, value, kind):
        """A name within the length and character rules of ``kind`` (see :data:`NAME_RULES`)."""
        if value is None:
            return True
        low, high, pattern, rule, source = NAME_RULES[kind]
        if not isinstance(value, (str, text_type)):
            return self.refuse(option, value, 'must be a name: %s (%s)' % (rule, source))
        ok = low <= len(value) <= high and re.match(pattern, value)
        if kind == 'balancer' and value.lower().startswith('internal-'):
            ok = False
        if kind == 'security_group' and value.lower().startswith('sg-'):
            ok = False
        if not ok:
            return self.refuse(option, value, 'must be %s; this one has %d characters (%s)' % (rule, len(value), source))
        return True

    def record_in_zone(self, option, name, zone):
        """A Route 53 record name inside ``zone``: absolute (``www.example.com``), relative with
        one label (``www``) or ``@``. A name with dots outside the zone is refused, never
        rewritten into ``<name>.<zone>``."""
        if name is None or not zone:
            return True
        zone_fqdn = zone.lower().rstrip('.') + '.'
        if name in ('@', ''):
            return True
        full = name.lower().replace('\\052', '*')
        full = full if full.endswith('.') else full + '.'
        if full == zone_fqdn or full.endswith('.' + zone_fqdn):
            return True
        if '.' not in name.rstrip('.') and not name.endswith('.'):
            return True  # one relative label: <name>.<zone>
        return self.refuse(option, name, 'is not inside the hosted zone %s; write the full name ending in %s, '
                           'or one label relative to the zone (%s)' % (zone_fqdn, zone_fqdn, R53_NAME_DOC))

    # -- EBS --------------------------------------------------------------------------------
    def ebs_volume(self, where, volume_type, size=None, iops=None, throughput=None):
        """Size, IOPS and throughput within the documented range of ``volume_type``."""
        volume_type = volume_type or 'gp3'
        if size is not None and volume_type in EBS_SIZE:
            low, high = EBS_SIZE[volume_type]
            self.in_range('%s.volume_size' % where, size, low, high, '%s volumes, %s' % (volume_type, EBS_DOC), 'GiB')
        if iops is not None:
            if volume_type not in EBS_IOPS:
                self.refuse('%s.iops' % where, iops, 'IOPS are set only for gp3, io1 and io2 volumes, not %s (%s)'
                            % (volume_type, EBS_DOC))
            else:
                low, high = EBS_IOPS[volume_type]
                self.in_range('%s.iops' % where, iops, low, high, '%s volumes, %s' % (volume_type, EBS_DOC))
        elif volume_type in ('io1', 'io2'):
            self.refuse('%s.iops' % where, iops, '%s volumes need iops (%s)' % (volume_type, EBS_DOC))
        if throughput is not None:
            if volume_type not in EBS_THROUGHPUT:
                self.refuse('%s.throughput' % where, throughput, 'throughput is set only for gp3 volumes, not %s (%s)'
                            % (volume_type, EBS_DOC))
            else:
                low, high = EBS_THROUGHPUT[volume_type]
                self.in_range('%s.throughput' % where, throughput, low, high,
                              '%s volumes, %s' % (volume_type, EBS_DOC), 'MiB/s')

    # -- listeners --------------------------------------------------------------------------
    def listener_certificate(self, option, protocol, certificate):
        """An HTTPS/TLS/SSL listener needs a certificate (ALB_DOC, CreateListener)."""
        if (protocol or '').upper() in ('HTTPS', 'TLS', 'SSL') and not certificate:
            return self.refuse(option, protocol, 'an %s listener needs a certificate (certificate_arn); see '
                               'https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/'
                               'API_CreateListener.html' % protocol.upper())
        return True


# ------------------------------------------------------------------------------------------
# What exists in the region: one describe call each, cached for the module run.

class RegionCatalog(object):
    """Availability zones and instance types of the region of ``ec2`` (an AWSClient)."""

    def __init__(self, ec2):
        self.ec2 = ec2
        self._zones = None
        self._types = {}

    def zones(self):
        if self._zones is None:
            answer = self.ec2.describe_availability_zones(aws_retry=True, AllAvailabilityZones=False)
            zones = answer.get('AvailabilityZones', [])
            self._zones = set(z['ZoneName'] for z in zones) | set(z.get('ZoneId', '') for z in zones)
            self._zones.discard('')
        return self._zones

    def check_zones(self, checks, items):
        """``items``: (option, zone name or id); refusals go to ``checks``."""
        items = [(option, zone) for option, zone in items if zone]
        if not items:
            return
        known = self.zones()
        for option, zone in items:
            if zone not in known:
                close = difflib.get_close_matches(zone, sorted(known), n=3)
                checks.refuse(option, zone, 'no such availability zone in this region (it has %s)%s' % (
                    ', '.join(sorted(z for z in known if not z.count('-az'))) or 'none',
                    '; did you mean %s?' % ' or '.join(close) if close else ''))

    def check_instance_types(self, checks, items):
        """``items``: (option, instance type); one DescribeInstanceTypeOfferings call for all."""
        items = [(option, kind) for option, kind in items if kind]
        wanted = sorted(set(kind for _option, kind in items) - set(self._types))
        if wanted:
            answer = self.ec2.describe_instance_type_offerings(
                aws_retry=True, LocationType='region',
                Filters=[{'Name': 'instance-type', 'Values': wanted}])
            offered = set(o['InstanceType'] for o in answer.get('InstanceTypeOfferings', []))
            for kind in wanted:
                self._types[kind] = kind in offered
        for option, kind in items:
            if not self._types.get(kind):
                checks.refuse(option, kind, 'this instance type is not offered in the region '
                              '(DescribeInstanceTypeOfferings, '
                              'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/'
                              'API_DescribeInstanceTypeOfferings.html)')


# ------------------------------------------------------------------------------------------
# Unknown options and the module's edge

def _sub_spec(spec, path):
    for part in path:
        entry = spec.get(part)
        if entry is None:
            for candidate in spec.values():
                if part in (candidate.get('aliases') or []):
                    entry = candidate
                    break
        if entry is None or not entry.get('options'):
            return {}
        spec = entry['options']
    return spec


def unknown_option_hints(argument_spec, unsupported):
    """``["unknown option X; did you mean Y?", ...]`` for the options Ansible did not know."""
    hints = []
    for item in sorted(unsupported, key=lambda i: i if isinstance(i, tuple) else (i,)):
        path = tuple(item) if isinstance(item, tuple) else (item,)
        spec = _sub_spec(argument_spec or {}, path[:-1])
        names = set(spec)
        for entry in spec.values():
            names.update(entry.get('aliases') or [])
        close = difflib.get_close_matches(path[-1], sorted(names), n=2, cutoff=0.6)
        option = '.'.join(path)
        if close:
            prefix = '.'.join(path[:-1])
            close = [prefix + '.' + c if prefix else c for c in close]
            hints.append('unknown option %s; did you mean %s?' % (option, ' or '.join(close)))
        else:
            hints.append('unknown option %s; %s takes %s' % (
                option, '.'.join(path[:-1]) or 'the module', ', '.join(sorted(spec)) or 'no options'))
    return hints


_LIVE = []


def live_module():
    """The module object of the run in progress (the last one made), or None."""
    return _LIVE[-1] if _LIVE else None


def register_module(module):
    del _LIVE[:]
    _LIVE.append(module)


class StreamfleetModule(AnsibleModule):
    """AnsibleModule that reports a misspelt option as "unknown option X; did you mean Y"
    first, whatever other error Ansible found with the arguments."""

    def __init__(self, *args, **kwargs):
        self._streamfleet_parsing = True
        register_module(self)
        super(StreamfleetModule, self).__init__(*args, **kwargs)
        self._streamfleet_parsing = False

    def fail_json(self, msg=None, **kwargs):
        if getattr(self, '_streamfleet_parsing', False):
            result = getattr(self, 'validation_result', None)
            unsupported = getattr(result, 'unsupported_parameters', None) if result is not None else None
            if unsupported:
                hints = unknown_option_hints(self.argument_spec, unsupported)
                others = [str(e) for e in result.errors if type(e).__name__ != 'UnsupportedError']
                msg = '; '.join(hints + others)
        super(StreamfleetModule, self).fail_json(msg=msg, **kwargs)


def module_edge(main):
    """Decorate a module's ``main()``: an exception nothing else caught fails the task with its
    type and message in words (and the option or endpoint when the exception names one),
    never with a Python traceback."""
    @functools.wraps(main)
    def run(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except Exception as exc:  # pylint: disable=broad-except
            module = live_module()
            if module is None:
                raise
            message = str(exc) or type(exc).__name__
            module.fail_json(msg='%s stopped on an unexpected %s: %s (nothing after the changes '
                                 'reported so far was done)' % (
                                     getattr(module, '_name', 'the module'), type(exc).__name__, message),
                             error_type=type(exc).__name__)
    return run
