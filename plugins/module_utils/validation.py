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
    def _looks_like_url(self, option, value, what='an address'):
        if len(value.split()) > 1:
            return self.refuse(option, value, 'is not %s: a single word is expected, this contains white space' % what)
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
        if version != 6 and (_DOTTED_NUMBERS.match(value) or (version == 4 and ':' not in value)):
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
            return self.refuse(option, value, 'is not a valid CIDR block (address/prefix, as 10.0.0.0/16)')
        address, _sep, length = value.strip().partition('/')
        scratch = Checks()
        if not scratch.ip(option, address, version):
            return self.refuse(option, value, 'the address part %s' % scratch.problems[0][2])
        try:
            network = ipaddress.ip_network(text_type(value.strip()))
        except ValueError as exc:
            return self.refuse(option, value, 'is not a valid CIDR block: %s' % exc)
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
        if not self._looks_like_url(option, value, 'a valid host name or address'):
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
            return self.refuse(option, value, 'is not a valid host name (labels of 1-63 letters, digits or inner '
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
            length = '' if low <= len(value) <= high else '; this one has %d characters' % len(value)
            return self.refuse(option, value, 'must be %s%s (%s)' % (rule, length, source))
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


def _leaf_values(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaf_values(item)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            yield from _leaf_values(item)
    elif value is not None and not isinstance(value, bool) and str(value):
        yield str(value)


def entry_secret_values(argument_spec, params):
    """The values an operator gave to a secret option (``no_log``) inside the entries of a list
    option whose entries take the task's options (the list form of the AWS modules,
    ``run_each``): each entry key is one of the module's own options, so its ``no_log`` is that
    option's. Raw input is walked as given; anything but a dict entry is passed over."""
    values = set()
    if not isinstance(params, dict):
        return values
    for name, option in (argument_spec or {}).items():
        entries = params.get(name)
        if option.get('type') != 'list' or option.get('elements') != 'dict' or option.get('options') \
                or not isinstance(entries, list):
            continue
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            for key, value in entry.items():
                if (argument_spec.get(key) or {}).get('no_log'):
                    values.update(_leaf_values(value))
    return values


class StreamfleetModule(AnsibleModule):
    """AnsibleModule that reports a misspelt option as "unknown option X; did you mean Y"
    first, whatever other error Ansible found with the arguments."""

    def __init__(self, *args, **kwargs):
        self._streamfleet_parsing = True
        super(StreamfleetModule, self).__init__(*args, **kwargs)
        self._streamfleet_parsing = False
        # Only a module whose arguments parsed reports through module_edge: an exception
        # raised while it is built (ansible-test's argument-spec probe raises one) passes.
        register_module(self)

    def fail_json(self, msg=None, **kwargs):
        if getattr(self, '_streamfleet_parsing', False):
            # Ansible rejected the arguments before the module ran, so the list form's entries
            # (run_each) have not registered their secrets yet, and the result echoes them.
            self.no_log_values.update(entry_secret_values(self.argument_spec, getattr(self, 'params', None)))
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
        del _LIVE[:]  # a module of an earlier in-process run is not this run's
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


# ------------------------------------------------------------------------------------------
# The rules of each module: ``INPUT_RULES[module name](checks, params)``. A module runs them
# through :func:`check_input` before its first API call or file write (the AWS modules in the
# converger's validate step, the others where their argument parsing ends).

INPUT_RULES = {}


def rules_for(*names):
    def register(func):
        for name in names:
            INPUT_RULES[name] = func
        return func
    return register


def check_input(name, params):
    """Run the rules of module ``name`` on ``params``; raise ValidationError with every refusal."""
    checks = Checks()
    INPUT_RULES[name](checks, params)
    checks.done()


def _items(params, option):
    return list(enumerate(params.get(option) or []))


def _aws_common(c, params):
    c.name('deployment', params.get('deployment'), 'deployment')
    # amazon.aws waits are bounded by wait_timeout; 0 means "do not wait"
    c.in_range('wait_timeout', params.get('wait_timeout'), 0, 86400,
               'a wait of 0 to 86400 seconds (one day); longer is a stuck task, not a wait', 'seconds')
    if params.get('endpoint_url'):
        c.url('endpoint_url', params.get('endpoint_url'))


@rules_for('aws_network')
def _aws_network(c, p):
    _aws_common(c, p)
    # VPC and subnet blocks: /16 to /28 (VPC_DOC, "IPv4 VPC CIDR blocks")
    c.cidr('cidr_block', p.get('cidr_block'), 4, (16, 28))
    for i, subnet in _items(p, 'subnets'):
        c.cidr('subnets[%d].cidr' % i, subnet.get('cidr'), 4, (16, 28))
    for i, group in _items(p, 'security_groups'):
        c.name('security_groups[%d].name' % i, group.get('name'), 'security_group')
        for j, rule in enumerate(group.get('rules') or []):
            for k, block in enumerate(rule.get('cidr') or []):
                c.cidr('security_groups[%d].rules[%d].cidr[%d]' % (i, j, k), block)
    for i, port in _items(p, 'restricted_ports'):
        c.port('restricted_ports[%d]' % i, port)


def _health_check_ranges(c, where, check, timeout_range, source):
    # ELBv2 target groups (TG_DOC): interval 5-300 s, timeout 2-120 s, thresholds 2-10;
    # Classic (CLB_HEALTH_DOC): interval 5-300 s, timeout 2-60 s, thresholds 2-10.
    c.in_range(where + '.interval', check.get('interval'), 5, 300, source, 'seconds')
    c.in_range(where + '.timeout', check.get('timeout'), timeout_range[0], timeout_range[1], source, 'seconds')
    c.in_range(where + '.healthy_threshold', check.get('healthy_threshold'), 2, 10, source)
    c.in_range(where + '.unhealthy_threshold', check.get('unhealthy_threshold'), 2, 10, source)


@rules_for('aws_balancer')
def _aws_balancer(c, p):
    _aws_common(c, p)
    classic = p.get('type') == 'classic'
    c.name('name', p.get('name'), 'classic_balancer' if classic else 'balancer')
    # idle timeout: ALB idle_timeout.timeout_seconds 1-4000 (ALB_ATTR_DOC); Classic
    # ConnectionSettings.IdleTimeout 1-3600
    # (https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_ConnectionSettings.html)
    if classic:
        c.in_range('idle_timeout', p.get('idle_timeout'), 1, 3600,
                   'https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/'
                   'API_ConnectionSettings.html', 'seconds')
    else:
        c.in_range('idle_timeout', p.get('idle_timeout'), 1, 4000, ALB_ATTR_DOC, 'seconds')
    if p.get('health_check'):
        _health_check_ranges(c, 'health_check', p['health_check'], (2, 60), CLB_HEALTH_DOC)
    # target group names and ports, health check ports, listener ports and the certificate of an
    # HTTPS listener: alb.py's and classic_elb.py's validate (same sources), which run next
    for i, group in _items(p, 'target_groups'):
        where = 'target_groups[%d]' % i
        check = group.get('health_check') or {}
        _health_check_ranges(c, where + '.health_check', check, (2, 120), TG_DOC)
        # deregistration_delay.timeout_seconds 0-3600, stickiness.lb_cookie.duration_seconds
        # 1-604800 (TG_ATTR_DOC)
        c.in_range(where + '.deregistration_delay', group.get('deregistration_delay'), 0, 3600, TG_ATTR_DOC,
                   'seconds')
        c.in_range(where + '.stickiness.duration', (group.get('stickiness') or {}).get('duration'), 1, 604800,
                   TG_ATTR_DOC, 'seconds')
    for i, listener in _items(p, 'listeners'):
        where = 'listeners[%d]' % i
        for j, rule in enumerate(listener.get('rules') or []):
            # rule priority 1-50000 (CreateRule)
            c.in_range('%s.rules[%d].priority' % (where, j), rule.get('priority'), 1, 50000,
                       'https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateRule.html')


@rules_for('aws_fleet')
def _aws_fleet(c, p):
    _aws_common(c, p)
    c.name('name', p.get('name'), 'autoscaling_group')
    c.name('launch_template.name', (p.get('launch_template') or {}).get('name'), 'launch_template')
    # min_size <= desired_capacity <= max_size and the lifecycle hooks (names, heartbeat
    # 30-7200 s, HOOK_DOC): fleet.py's validate, which runs next
    for option in ('health_check_grace_period', 'default_cooldown', 'wait_for_instances'):
        c.in_range(option, p.get(option), 0, None, ASG_DOC, 'seconds')
    for i, policy in _items(p, 'policies'):
        where = 'policies[%d]' % i
        c.name(where + '.name', policy.get('name'), 'scaling_policy')
        c.in_range(where + '.cooldown', policy.get('cooldown'), 0, None, POLICY_DOC, 'seconds')
        c.in_range(where + '.estimated_instance_warmup', policy.get('estimated_instance_warmup'), 0, None,
                   POLICY_DOC, 'seconds')
        alarm = policy.get('alarm') or {}
        c.name(where + '.alarm.name', alarm.get('name'), 'alarm')
        period = alarm.get('period')
        # Period: 10, 30 or a multiple of 60 seconds; evaluation periods >= 1 (ALARM_DOC)
        if period is not None and not (period in (10, 30) or (period >= 60 and period % 60 == 0)):
            c.refuse(where + '.alarm.period', period, 'must be 10, 30 or a multiple of 60 seconds (%s)' % ALARM_DOC)
        c.in_range(where + '.alarm.evaluation_periods', alarm.get('evaluation_periods'), 1, None, ALARM_DOC)
    pool = p.get('warm_pool') or {}
    c.in_range('warm_pool.min_size', pool.get('min_size'), 0, None,
               'https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutWarmPool.html')
    for i, action in _items(p, 'scheduled_actions'):
        where = 'scheduled_actions[%d]' % i
        c.capacity((where + '.min_size', where + '.desired_capacity', where + '.max_size'),
                   (action.get('min_size'), action.get('desired_capacity'), action.get('max_size')))
    mixed = p.get('mixed_instances_policy') or {}
    if mixed:
        source = 'https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstancesDistribution.html'
        c.in_range('mixed_instances_policy.on_demand_percentage_above_base',
                   mixed.get('on_demand_percentage_above_base'), 0, 100, source, 'percent')
        c.in_range('mixed_instances_policy.on_demand_base_capacity', mixed.get('on_demand_base_capacity'), 0, None,
                   source)
        for i, item in enumerate(mixed.get('instance_types') or []):
            # WeightedCapacity 1-999
            # (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LaunchTemplateOverrides.html)
            c.in_range('mixed_instances_policy.instance_types[%d].weight' % i, item.get('weight'), 1, 999,
                       'https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_LaunchTemplateOverrides.html')


@rules_for('aws_launch_template')
def _aws_launch_template(c, p):
    _aws_common(c, p)
    c.name('name', p.get('name'), 'launch_template')
    metadata = p.get('metadata_options') or {}
    # HttpPutResponseHopLimit 1-64 (METADATA_DOC)
    c.in_range('metadata_options.http_put_response_hop_limit', metadata.get('http_put_response_hop_limit'),
               1, 64, METADATA_DOC)
    for i, device in _items(p, 'block_devices'):
        c.ebs_volume('block_devices[%d]' % i, device.get('volume_type'), device.get('volume_size'),
                     device.get('iops'), device.get('throughput'))


@rules_for('aws_instance')
def _aws_instance(c, p):
    _aws_common(c, p)
    c.name('launch_template.name', (p.get('launch_template') or {}).get('name'), 'launch_template')
    c.ip('private_ip_address', p.get('private_ip_address'), 4)
    c.ebs_volume('root', 'gp3', p.get('volume_size'))


@rules_for('aws_image')
def _aws_image(c, p):
    _aws_common(c, p)  # name: image.py's validate (the AMI name rule, AMI_DOC)
    c.in_range('keep', p.get('keep'), 1, None, 'keep at least the image in use')


# DescribeImages Owners: account ids (twelve digits), self, amazon, aws-marketplace or
# aws-backup-vault (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImages.html)
IMAGES_DOC = 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImages.html'
IMAGE_OWNER_ALIASES = ('self', 'amazon', 'aws-marketplace', 'aws-backup-vault')


@rules_for('aws_image_info')
def _aws_image_info(c, p):
    _aws_common(c, p)  # family needs deployment, name not blank: image.py's validate (reads only)
    name = p.get('name')
    # name is an AMI name (AMI_DOC: 3-128 characters) with the * and ? wildcards of the filter
    if name and name.strip() and not (len(name) <= 128 and re.match(r"^[A-Za-z0-9()\[\] ./\-'@_*?]+$", name)):
        c.refuse('name', name, "must be an image name pattern: at most 128 characters of a-z A-Z 0-9 ( ) [ ] "
                 "space . / - ' @ _ and the wildcards * ? (%s)" % AMI_DOC)
    for i, owner in _items(p, 'owners'):
        if owner not in IMAGE_OWNER_ALIASES and not re.match(r'^[0-9]{12}$', str(owner)):
            c.refuse('owners[%d]' % i, owner, 'must be a twelve-digit account id or one of %s (%s)'
                     % (', '.join(IMAGE_OWNER_ALIASES), IMAGES_DOC))


@rules_for('aws_instance_profile')
def _aws_instance_profile(c, p):
    # name, path and policy names: iam.py's validate (the IAM rules, IAM_DOC)
    _aws_common(c, p)


@rules_for('aws_dns')
def _aws_dns(c, p):
    _aws_common(c, p)
    zone = p.get('zone')
    if zone is not None:
        c.host('zone', zone)
    for i, record in _items(p, 'records'):
        where = 'records[%d]' % i
        c.record_in_zone(where + '.name', record.get('name'), zone)
        # TTL 0-2147483647 seconds (R53_RECORD_DOC)
        c.in_range(where + '.ttl', record.get('ttl'), 0, 2147483647, R53_RECORD_DOC, 'seconds')
        for j, value in enumerate(record.get('values') or []):
            option = '%s.values[%d]' % (where, j)
            if record.get('type') == 'A':
                c.ip(option, value, 4)
            elif record.get('type') == 'AAAA':
                c.ip(option, value, 6)
            elif record.get('type') == 'CNAME':
                c.host(option, value)
    certificate = p.get('certificate') or {}
    if certificate.get('domain'):
        c.record_in_zone('certificate.domain', certificate['domain'].lstrip('*.') if
                         certificate['domain'].startswith('*.') else certificate['domain'], zone)


@rules_for('aws_fleet_rollout')
def _aws_fleet_rollout(c, p):
    _aws_common(c, p)
    c.name('name', p.get('name'), 'autoscaling_group')
    c.in_range('batch_size', p.get('batch_size'), 1, None, 'at least one instance per batch')
    c.in_range('poll_interval', p.get('poll_interval'), 1, 3600, 'a poll every 1 s to 1 h', 'seconds')
    for option in ('drain_timeout', 'instance_warmup', 'checkpoint_delay'):
        c.in_range(option, p.get(option), 0, 86400, 'zero to one day', 'seconds')
    c.in_range('lock_stale_after', p.get('lock_stale_after'), 1, None, 'a lock older than this is taken over',
               'seconds')
    for i, percent in _items(p, 'checkpoint_percentages'):
        # StartInstanceRefresh CheckpointPercentages: 1-100
        c.in_range('checkpoint_percentages[%d]' % i, percent, 1, 100,
                   'https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RefreshPreferences.html', 'percent')


@rules_for('aws_deployment_info')
def _aws_deployment_info(c, p):
    _aws_common(c, p)


@rules_for('aws_elastic_ips')
def _aws_elastic_ips(c, p):
    # name (a tag value and a Name prefix) and count: elastic_ip.py's validate, which runs next
    _aws_common(c, p)


# ARNs: arn:partition:service:region:account-id:resource
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html); account ids are
# twelve digits.
ARN_DOC = 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html'
_ARN = re.compile(r'^arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:([a-z0-9-]+):([a-z]{2}(?:-[a-z]+)+-[0-9]+)?:([0-9]{12})?:(.+)$')
SNS_SUBSCRIBE_DOC = 'https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html'
# SQS queue names: 1-80 letters, digits, hyphens or underscores, ".fifo" for a FIFO queue
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html)
_SQS_QUEUE = re.compile(r'^[A-Za-z0-9_-]{1,80}(?:\.fifo)?$')


def _arn(c, option, value, service, source=ARN_DOC):
    """An ARN of ``service`` in a region and an account; returns its resource part or None."""
    match = _ARN.match(value or '')
    if not match or match.group(1) != service or not match.group(2) or not match.group(3):
        c.refuse(option, value, 'must be an ARN of %s (arn:aws:%s:REGION:ACCOUNT-ID:RESOURCE, %s)'
                 % (service, service, source))
        return None
    return match.group(4)


@rules_for('aws_notification_topic')
def _aws_notification_topic(c, p):
    # name and the endpoint's form per protocol: notification_topic.py's validate, which runs next
    _aws_common(c, p)
    display_name = p.get('display_name')
    if display_name is not None and len(display_name) > 100:
        # DisplayName: at most 100 characters (SNS developer guide, "Creating an Amazon SNS topic",
        # https://docs.aws.amazon.com/sns/latest/dg/sns-create-topic.html)
        c.refuse('display_name', display_name, 'must be at most 100 characters; this one has %d '
                 '(https://docs.aws.amazon.com/sns/latest/dg/sns-create-topic.html)' % len(display_name))
    for i, item in _items(p, 'subscriptions'):
        where = 'subscriptions[%d].endpoint' % i
        protocol, endpoint = item.get('protocol'), item.get('endpoint')
        if not endpoint:
            continue
        # Subscribe's Endpoint per protocol (SNS_SUBSCRIBE_DOC): a URL for http(s), the ARN of a
        # queue, a function or a mobile endpoint, a phone number in E.164 for sms.
        if protocol in ('http', 'https') and '://' in endpoint:
            c.url(where, endpoint, (protocol,))
        elif protocol == 'sqs':
            queue = _arn(c, where, endpoint, 'sqs', SNS_SUBSCRIBE_DOC)
            if queue is not None and not _SQS_QUEUE.match(queue):
                c.refuse(where, endpoint, 'the queue name must be 1-80 letters, digits, hyphens or underscores '
                         '(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html)')
        elif protocol == 'lambda':
            _arn(c, where, endpoint, 'lambda', SNS_SUBSCRIBE_DOC)
        elif protocol == 'application':
            _arn(c, where, endpoint, 'sns', SNS_SUBSCRIBE_DOC)
        elif protocol == 'sms' and not re.match(r'^\+[1-9][0-9]{1,14}$', endpoint):
            # E.164: a plus, the country code and at most 15 digits in all (ITU-T E.164)
            c.refuse(where, endpoint, 'must be a phone number in E.164 form, as +14155550100 (%s)'
                     % SNS_SUBSCRIBE_DOC)


# KeyId: a key id, a key ARN, an alias name (alias/NAME) or an alias ARN; alias names are
# alias/ and 1-250 letters, digits, / _ - (KMS_DOC and API_CreateAlias.html)
KMS_DOC = 'https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html#API_DescribeKey_RequestSyntax'
_KMS_KEY_ID = re.compile(r'^(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$')
_KMS_ALIAS = re.compile(r'^alias/[A-Za-z0-9/_-]{1,250}$')


@rules_for('aws_secret')
def _aws_secret(c, p):
    # name per store, value size and description length: secret_store.py's validate, which runs next
    _aws_common(c, p)
    key = p.get('kms_key_id')
    if key is not None and not (_KMS_KEY_ID.match(key) or _KMS_ALIAS.match(key)):
        resource = _arn(c, 'kms_key_id', key, 'kms', KMS_DOC) if key.startswith('arn:') else None
        if resource is None and not key.startswith('arn:'):
            c.refuse('kms_key_id', key, 'is not a KMS key id, key ARN, alias/NAME or alias ARN (%s)' % KMS_DOC)
        elif resource is not None and not (resource.startswith('key/') and _KMS_KEY_ID.match(resource[4:])
                                           or _KMS_ALIAS.match(resource)):
            c.refuse('kms_key_id', key, 'is not a KMS key or alias ARN (key/KEY-ID or alias/NAME, %s)' % KMS_DOC)


# DBInstanceIdentifier: 1-63 letters, digits or hyphens, beginning with a letter, not ending with
# a hyphen, without two consecutive hyphens
# (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html)
RDS_DOC = 'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html'


@rules_for('aws_security_group_attachment')
def _aws_security_group_attachment(c, p):
    # group and instance id forms: security_group_attachment.py's validate, which runs next
    _aws_common(c, p)
    db = p.get('db_instance_identifier')
    if db and (db.endswith('-') or '--' in db or not re.match(r'^[A-Za-z][A-Za-z0-9-]{0,62}$', db)):
        c.refuse('db_instance_identifier', db, 'must be 1-63 letters, digits or hyphens, beginning with a letter, '
                 'not ending with a hyphen, without two hyphens in a row (%s)' % RDS_DOC)


# -- hosts and files --------------------------------------------------------------------------

@rules_for('wcs_config')
def _wcs_config(c, p):
    # an empty string removes the key (wcs_config's documented way to clear it)
    c.ip('cdn_ip', p.get('cdn_ip') or None)
    c.host('cdn_point_of_entry', p.get('cdn_point_of_entry') or None)
    c.port('cdn_port', p.get('cdn_port'))
    c.in_range('cdn_nodes_timeout', p.get('cdn_nodes_timeout'), 1, None, 'a CDN node answers within 1 ms or more',
               'milliseconds')
    for i, address in _items(p, 'node_addresses'):
        c.host('node_addresses[%d]' % i, address)


@rules_for('wcs_stats_info')
def _wcs_stats_info(c, p):
    c.host('host', p.get('host'))
    # port (1-65535) and timeout (>= 1 s) are checked by the module itself


@rules_for('red5pro_node_config')
def _red5pro_node_config(c, p):
    c.host('stream_manager_host', p.get('stream_manager_host'))
    c.port('stream_manager_port', p.get('stream_manager_port'))
    # cloudwatch_host (a URL) and reporting_speed (5000-30000 ms, as the vendor documents it) are
    # checked by the module's own autoscale_values(), which names both


@rules_for('red5pro_streammanager_config')
def _red5pro_streammanager_config(c, p):
    # streammanager.ip only has to be unique per Stream Manager behind the balancer: an address or
    # any host-like string such as an instance id (Red5 Pro "Stream Manager Configuration"), so a
    # host-name check, which still refuses spaces, URLs and host:port
    c.host('streammanager_ip', p.get('streammanager_ip'))
    c.host('db_host', p.get('db_host'))
    c.port('db_port', p.get('db_port'))
    # the *_ms options: the module's validate() refuses negative numbers


def _mongo_login(c, p):
    c.host('login_host', p.get('login_host'))
    c.port('login_port', p.get('login_port'))
    # connectTimeoutMS is a non-negative integer (MONGO_DOC); 0 would mean "never time out"
    c.in_range('connect_timeout', p.get('connect_timeout'), 1, 3600, MONGO_DOC, 'seconds')


@rules_for('mongodb_users')
def _mongodb_users(c, p):
    _mongo_login(c, p)
    for i, user in _items(p, 'users'):
        if not (user.get('name') or '').strip():
            c.refuse('users[%d].name' % i, user.get('name'), 'a user needs a name')


@rules_for('antmedia_cluster_nodes')
def _antmedia_cluster_nodes(c, p):
    _mongo_login(c, p)
    for option in ('stale_after', 'dead_after'):
        c.in_range(option, p.get(option), 1, None, 'a node reports every few seconds', 'seconds')


@rules_for('antmedia_cluster_mode')
def _antmedia_cluster_mode(c, p):
    for i, host in _items(p, 'database_hosts'):
        c.host('database_hosts[%d]' % i, host)
    c.port('database_port', p.get('database_port'))


@rules_for('antmedia_ip_filter')
def _antmedia_ip_filter(c, p):
    # Ant Media's filters read comma-separated addresses or networks (servers/antmedia_ip_filter.py)
    for option in ('dashboard_allowed_cidr', 'rest_allowed_cidr'):
        value = p.get(option)
        if value is None:
            continue
        for item in str(value).split(','):
            item = item.strip()
            if not item:
                c.refuse(option, value, 'an empty entry; give comma-separated addresses or networks (a.b.c.d/n)')
            elif '/' in item:
                c.cidr(option, item, source='Ant Media IP filter (addresses or networks)')
            else:
                c.ip(option, item)
    for i, name in _items(p, 'applications'):
        if not name or '/' in name or name.startswith('.'):
            c.refuse('applications[%d]' % i, name, 'an application is a directory name under webapps/')


@rules_for('antmedia_admin_user')
def _antmedia_admin_user(c, p):
    # The console's address, http(s)://host[:port][/prefix]: a malformed host or port would
    # otherwise show only as a failed connection or resolver error on the first request.
    c.url('url', p.get('url'))
    c.timeout('timeout', p.get('timeout'))
    c.in_range('wait_timeout', p.get('wait_timeout'), 0, 86400, 'zero (one try) to one day', 'seconds')
    # email and password: servers/antmedia.py's ensure_initial_admin, before its first request


# HTTP: status codes are three digits, 100-599 (RFC 9110 section 15); a field name is a token
# and a field value holds no CR, LF or NUL (RFC 9110 sections 5.1 and 5.5).
HTTP_DOC = 'RFC 9110'
_HTTP_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


@rules_for('endpoint_check')
def _endpoint_check(c, p):
    c.url('url', p.get('url'))
    c.host('domain', p.get('domain'))
    c.timeout('timeout', p.get('timeout'))
    c.in_range('certificate_min_days', p.get('certificate_min_days'), 0, None, 'a number of days from now', 'days')
    for i, status in _items(p, 'expect_status'):
        c.in_range('expect_status[%d]' % i, status, 100, 599, HTTP_DOC + ' section 15')
    for name, value in sorted((p.get('headers') or {}).items()):
        if not _HTTP_TOKEN.match(str(name)):
            c.refuse('headers', name, 'is not a header name: letters, digits and !#$%%&\'*+.^_`|~- only '
                     '(%s section 5.1)' % HTTP_DOC)
        elif any(char in str(value) for char in '\r\n\x00'):
            # the value is never shown: headers is no_log (it may carry a token)
            c.refuse('headers[%s]' % name, '(hidden)', 'the value contains CR, LF or NUL, which would end the '
                     'header early (%s section 5.5)' % HTTP_DOC)


def _alicloud_connection(c, p):
    """Timeouts and endpoint: the options every Alibaba Cloud module shares."""
    c.in_range('connect_timeout', p.get('connect_timeout'), 1, 300, 'a connection within 1 to 300 s', 'seconds')
    c.in_range('read_timeout', p.get('read_timeout'), 1, 3600, 'an answer within 1 s to 1 h', 'seconds')
    endpoint = p.get('endpoint')
    if endpoint and '://' in endpoint:
        c.url('endpoint', endpoint)
    else:
        c.host('endpoint', endpoint)


@rules_for('alicloud_ros_stack')
def _alicloud_ros_stack(c, p):
    # TimeoutInMinutes: 10-1440 (ROS_DOC)
    c.in_range('timeout_in_minutes', p.get('timeout_in_minutes'), 10, 1440, ROS_DOC, 'minutes')
    c.in_range('wait_timeout', p.get('wait_timeout'), 0, 86400, 'zero to one day', 'seconds')
    c.in_range('wait_poll_interval', p.get('wait_poll_interval'), 0.1, 3600, 'a poll every 0.1 s to 1 h', 'seconds')
    _alicloud_connection(c, p)


ESS_INSTANCES_DOC = ('https://www.alibabacloud.com/help/en/auto-scaling/developer-reference/'
                     'api-ess-2014-08-28-describescalinginstances')
_SCALING_GROUP_ID = re.compile(r'^asg-[0-9a-z]{1,64}$')


@rules_for('alicloud_scaling_instances_info')
def _alicloud_scaling_instances_info(c, p):
    ids = p.get('scaling_group_ids')
    if ids is not None and not ids:
        c.refuse('scaling_group_ids', ids, 'names no scaling group; give at least one id')
    for i, group_id in _items(p, 'scaling_group_ids'):
        # ScalingGroupId as ESS documents it: asg-bp1igpak5ft1flyp**** (ESS_INSTANCES_DOC)
        if not _SCALING_GROUP_ID.match(str(group_id)):
            c.refuse('scaling_group_ids[%d]' % i, group_id, 'is not a scaling group id: asg- then lower-case '
                     'letters and digits (%s)' % ESS_INSTANCES_DOC)
    # PageSize: at most 50 (ESS_INSTANCES_DOC)
    c.in_range('page_size', p.get('page_size'), 1, 50, ESS_INSTANCES_DOC)
    _alicloud_connection(c, p)


# -- Red5 Pro Stream Manager API ----------------------------------------------------------------

def _streammanager_common(c, p):
    c.url('base_url', p.get('base_url'))
    # one call never waits longer than MAX_REQUEST_TIMEOUT (300 s, servers/streammanager.py)
    c.timeout('timeout', p.get('timeout'), 1, 300)
    c.in_range('retries', p.get('retries'), 0, 10, 'at most 10 retries of one call')
    c.in_range('retry_delay', p.get('retry_delay'), 0, 60, 'a retry within a minute', 'seconds')
    c.name('name', p.get('name'), 'streammanager')


@rules_for('red5pro_node_group')
def _red5pro_node_group(c, p):
    _streammanager_common(c, p)
    c.name('launch_config', p.get('launch_config'), 'streammanager')
    c.name('scale_policy', p.get('scale_policy'), 'streammanager')
    c.in_range('origins', p.get('origins'), 0, None, 'a count of origins')
    c.in_range('initial_origins', p.get('initial_origins'), 0, None, 'a count of origins')
    c.in_range('wait_timeout', p.get('wait_timeout'), 0, 86400, 'zero to one day', 'seconds')
    c.in_range('wait_interval', p.get('wait_interval'), 0, 3600, 'a pause of up to 1 h between polls', 'seconds')


@rules_for('red5pro_launch_config')
def _red5pro_launch_config(c, p):
    _streammanager_common(c, p)
    for i, target in _items(p, 'targets'):
        c.in_range('targets[%d].connection_capacity' % i, target.get('connection_capacity'), 1, None,
                   'a node takes at least one connection')


@rules_for('red5pro_scale_policy')
def _red5pro_scale_policy(c, p):
    _streammanager_common(c, p)
    for i, region in _items(p, 'regions'):
        for j, target in enumerate(region.get('targets') or []):
            where = 'regions[%d].targets[%d]' % (i, j)
            c.capacity((where + '.min_limit', where + '.min_limit', where + '.max_limit'),
                       (target.get('min_limit'), None, target.get('max_limit')), SM_DOC)


@rules_for('red5pro_streammanager_info')
def _red5pro_streammanager_info(c, p):
    _streammanager_common(c, dict(p, name=None))
    c.name('node_group', p.get('node_group'), 'streammanager')


def check_module_input(module, name):
    """Fail ``module`` with every refusal of the rules of ``name`` (before any call or write)."""
    try:
        check_input(name, module.params)
    except ValidationError as exc:
        module.fail_json(msg=str(exc), refused=[dict(option=o, value=v, rule=r) for o, v, r in exc.problems])
