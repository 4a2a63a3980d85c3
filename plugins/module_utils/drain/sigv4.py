# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS Signature Version 4 for one request, standard library only (the drain agent has no boto3).

API::

    headers = sign_request(method, url, body, region, service, credentials, now=None, headers=None)

``credentials`` has ``access_key``, ``secret_key`` and ``token`` (None for long-term keys).
Returns the headers to send: those given, ``Host``, ``X-Amz-Date``, ``X-Amz-Security-Token``
(when there is a session token) and ``Authorization``. The steps are those of the IAM User
Guide, "Create a signed AWS API request" (canonical request, string to sign, signing key
derived from the date, region and service, HMAC-SHA256 signature); the unit tests compare the
result with botocore's signer.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import hmac
import time
from urllib.parse import quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"


def _hmac(key, text):
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def _sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def _canonical_query(query):
    pairs = []
    for item in query.split("&") if query else []:
        key, _sep, value = item.partition("=")
        pairs.append((quote(key, safe="-_.~"), quote(value, safe="-_.~")))
    return "&".join("%s=%s" % pair for pair in sorted(pairs))


def signing_key(secret_key, datestamp, region, service):
    key = _hmac(("AWS4" + secret_key).encode("utf-8"), datestamp)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, "aws4_request")


def sign_request(method, url, body, region, service, credentials, now=None, headers=None):
    """The headers that authenticate ``method url`` with ``body`` (bytes) for ``service``."""
    parts = urlsplit(url)
    stamp = time.gmtime(time.time() if now is None else now)
    amz_date = time.strftime("%Y%m%dT%H%M%SZ", stamp)
    datestamp = amz_date[:8]
    out = dict(headers or {})
    out["Host"] = parts.netloc
    out["X-Amz-Date"] = amz_date
    if credentials.token:
        out["X-Amz-Security-Token"] = credentials.token
    # Every header sent is signed: names lower-cased, values trimmed, sorted by name.
    canonical = sorted((name.lower(), " ".join(str(value).split())) for name, value in out.items())
    signed_headers = ";".join(name for name, _value in canonical)
    canonical_request = "\n".join([
        method.upper(),
        quote(parts.path or "/", safe="/-_.~"),
        _canonical_query(parts.query),
        "".join("%s:%s\n" % pair for pair in canonical),
        signed_headers,
        _sha256_hex(body or b""),
    ])
    scope = "%s/%s/%s/aws4_request" % (datestamp, region, service)
    string_to_sign = "\n".join([ALGORITHM, amz_date, scope, _sha256_hex(canonical_request.encode("utf-8"))])
    key = signing_key(credentials.secret_key, datestamp, region, service)
    signature = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    out["Authorization"] = "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        ALGORITHM, credentials.access_key, scope, signed_headers, signature)
    return out
