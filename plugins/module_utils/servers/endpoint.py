# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Checks of a deployed endpoint from outside: the certificate it presents and its answer.

The module ``endpoint_check`` is thin over this file. ``peer_certificate`` reads the
certificate the server presents (without trusting it, so a wrong name is reported as a wrong
name and not as a handshake error), ``certificate_problems`` compares its subjectAltName and
validity dates with what is expected, ``answer_problems`` compares an HTTP answer with the
expected status, JSON keys and text. Functions return lists of problems in words and never
touch an AnsibleModule.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import ipaddress
import json
import re
import socket
import ssl

try:
    from cryptography import x509
    HAS_CRYPTOGRAPHY = True
except ImportError:  # the controller has it (ansible-core needs it); a bare host may not
    HAS_CRYPTOGRAPHY = False


class EndpointError(Exception):
    """A message for the user: bad input, or a certificate that cannot be read."""


def split_url(url):
    """Return (scheme, host, port) of an http(s) URL; raise EndpointError on anything else."""
    match = re.match(r'^(https?)://(\[[0-9A-Fa-f:.]+\]|[^/:?#\[\]@]+)(?::(\d{1,5}))?(?:[/?#].*)?$', url or '')
    if not match:
        raise EndpointError('url must be http://host[:port][/path] or https://...; got %r' % (url,))
    scheme, host, port = match.group(1), match.group(2).strip('[]'), match.group(3)
    port = int(port) if port else (443 if scheme == 'https' else 80)
    if not 0 < port < 65536:
        raise EndpointError('port %d of %s is out of range' % (port, url))
    return scheme, host, port


def peer_certificate(host, port, timeout, server_name=None):
    """The certificate ``host:port`` presents, as DER bytes (read without checking trust)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            with context.wrap_socket(sock, server_hostname=server_name or host) as tls:
                return tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError) as exc:
        raise EndpointError('no TLS handshake with %s:%d: %s' % (host, port, exc))


def chain_problem(host, port, timeout, server_name, ca_path=None):
    """None when the certificate chain is trusted (system CAs or ``ca_path``), else the reason.
    The name is compared separately (certificate_problems) so this checks the chain only."""
    context = ssl.create_default_context(cafile=ca_path)
    context.check_hostname = False
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            with context.wrap_socket(sock, server_hostname=server_name or host):
                return None
    except ssl.SSLError as exc:
        return 'certificate chain is not trusted: %s' % (getattr(exc, 'reason', None) or exc)
    except OSError as exc:
        return 'no TLS handshake with %s:%d: %s' % (host, port, exc)


def describe_certificate(der):
    """Names (DNS and IP subjectAltName entries) and validity dates of a DER certificate."""
    if not HAS_CRYPTOGRAPHY:
        raise EndpointError('the Python package cryptography is needed to read certificates')
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns_names = san.get_values_for_type(x509.DNSName)
        ip_names = [str(a) for a in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        dns_names, ip_names = [], []
    not_before = getattr(cert, 'not_valid_before_utc', None) or cert.not_valid_before.replace(tzinfo=_UTC)
    not_after = getattr(cert, 'not_valid_after_utc', None) or cert.not_valid_after.replace(tzinfo=_UTC)
    return dict(
        subject=cert.subject.rfc4514_string(),
        dns_names=list(dns_names),
        ip_addresses=ip_names,
        not_before=not_before.strftime('%Y-%m-%dT%H:%M:%SZ'),
        not_after=not_after.strftime('%Y-%m-%dT%H:%M:%SZ'),
    )


_UTC = datetime.timezone.utc


def name_covers(pattern, domain):
    """Whether the DNS subjectAltName ``pattern`` covers ``domain`` (RFC 6125: a wildcard only
    as the whole left-most label, matching exactly one label)."""
    pattern, domain = pattern.lower().rstrip('.'), domain.lower().rstrip('.')
    if pattern == domain:
        return True
    if pattern.startswith('*.') and '*' not in pattern[2:]:
        head, sep, rest = domain.partition('.')
        return bool(sep) and bool(head) and rest == pattern[2:]
    return False


def certificate_problems(info, domain, now=None, min_days=0):
    """Problems of a certificate (from describe_certificate) for ``domain``; [] when fine."""
    problems = []
    try:
        address = ipaddress.ip_address(domain)
    except ValueError:
        address = None
    if address is not None:
        covered = str(address) in info['ip_addresses']
    else:
        covered = any(name_covers(n, domain) for n in info['dns_names'])
    if not covered:
        problems.append('certificate names %s do not cover %s' % (
            ', '.join(info['dns_names'] + info['ip_addresses']) or '(no subjectAltName)', domain))
    now = now or datetime.datetime.now(_UTC)
    not_before = _parse_time(info['not_before'])
    not_after = _parse_time(info['not_after'])
    if now < not_before:
        problems.append('certificate is not valid before %s' % info['not_before'])
    if now >= not_after:
        problems.append('certificate expired on %s' % info['not_after'])
    elif min_days and now + datetime.timedelta(days=min_days) >= not_after:
        problems.append('certificate expires on %s, within %d days' % (info['not_after'], min_days))
    return problems


def _parse_time(text):
    return datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%SZ').replace(tzinfo=_UTC)


def answer_problems(status, body, expect_status, expect_keys=None, expect_text=None):
    """Problems of an HTTP answer; returns (problems, parsed JSON or None)."""
    problems = []
    parsed = None
    if expect_status and status not in expect_status:
        problems.append('answered HTTP %s, expected %s' % (status, ' or '.join(str(s) for s in expect_status)))
    if expect_keys:
        try:
            parsed = json.loads(body)
        except ValueError:
            problems.append('answer is not JSON, expected the keys %s' % ', '.join(expect_keys))
        else:
            missing = [k for k in expect_keys if not isinstance(parsed, dict) or k not in parsed]
            if missing:
                problems.append('answer lacks the JSON keys %s' % ', '.join(missing))
    if expect_text and not re.search(expect_text, body or '', re.MULTILINE):
        problems.append('answer does not match %r' % expect_text)
    return problems, parsed
