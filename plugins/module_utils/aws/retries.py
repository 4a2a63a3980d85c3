# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The retry rule of the streamfleet.cluster AWS modules, and AWS error helpers.

Retries are opt-in per call (``client.describe_x(aws_retry=True, ...)``, see ``session.py``):

- reads and idempotent writes (tags, modify/put/set/delete, creates that carry a client token
  or that AWS documents as idempotent for the same settings) are retried on throttling, 5xx
  answers and connection failures, with full-jitter exponential backoff and a bounded number
  of attempts;
- a create without a client token is never simply sent again: after a retryable failure the
  object is looked for first (:func:`create_once`), and the create is re-sent only when the
  look-up shows that nothing was made.

Nothing here patches botocore; the functions wrap plain callables.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import time

try:
    from botocore.exceptions import ClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import HTTPClientError
except ImportError:  # pragma: no cover - reported by the module class
    ClientError = BotoConnectionError = HTTPClientError = Exception

# Error codes AWS services use when a caller is going too fast.
THROTTLING_CODES = frozenset([
    'Throttling',
    'ThrottlingException',
    'ThrottledException',
    'RequestThrottled',
    'RequestThrottledException',
    'RequestLimitExceeded',
    'TooManyRequestsException',
    'ProvisionedThroughputExceededException',
    'TransactionInProgressException',
    'PriorRequestNotComplete',
    'SlowDown',
    'BandwidthLimitExceeded',
    'EC2ThrottledException',
    'RequestLimitExceededException',
])
# Error codes that mean "the server failed, try again" whatever the HTTP status says.
TRANSIENT_CODES = frozenset([
    'InternalError',
    'InternalFailure',
    'InternalServerError',
    'ServiceUnavailable',
    'ServiceUnavailableException',
    'RequestTimeout',
    'RequestTimeoutException',
])

RETRY_MAX_ATTEMPTS = 10
# A wrong endpoint should not take minutes to report: fewer attempts for connection failures.
RETRY_MAX_CONNECTION_ATTEMPTS = 4
RETRY_BASE_DELAY = 0.5
RETRY_MAX_DELAY = 20.0


def error_code(exc):
    """The AWS error code of ``exc`` (the exception class name for non-service errors)."""
    if isinstance(exc, ClientError):
        return exc.response.get('Error', {}).get('Code', 'Unknown')
    return type(exc).__name__


def is_error(exc, *codes):
    """True when ``exc`` is a ClientError carrying one of ``codes``."""
    return isinstance(exc, ClientError) and error_code(exc) in codes


def format_aws_error(exc):
    """``{'code': ..., 'message': ...}`` for a boto3/botocore exception."""
    if isinstance(exc, ClientError):
        error = exc.response.get('Error', {})
        result = dict(code=error.get('Code', 'Unknown'), message=error.get('Message', str(exc)))
        request_id = exc.response.get('ResponseMetadata', {}).get('RequestId')
        status = exc.response.get('ResponseMetadata', {}).get('HTTPStatusCode')
        if request_id:
            result['request_id'] = request_id
        if status:
            result['http_status_code'] = status
        operation = getattr(exc, 'operation_name', None)
        if operation:
            result['operation'] = operation
        return result
    return dict(code=type(exc).__name__, message=str(exc))


def is_retryable(exc):
    """True when ``exc`` is a throttling answer, a 5xx answer or a connection failure."""
    if isinstance(exc, ClientError):
        error = exc.response.get('Error', {})
        code = error.get('Code', '')
        status = exc.response.get('ResponseMetadata', {}).get('HTTPStatusCode') or 0
        return code in THROTTLING_CODES or code in TRANSIENT_CODES or status >= 500
    return isinstance(exc, (BotoConnectionError, HTTPClientError))


def backoff_delay(attempt, base=RETRY_BASE_DELAY, cap=RETRY_MAX_DELAY, rng=random):
    """Full-jitter exponential backoff: uniform in [0, min(cap, base * 2**attempt)]."""
    return rng.uniform(0, min(cap, base * (2 ** attempt)))


def _attempt_limit(exc, max_attempts):
    if isinstance(exc, ClientError):
        return max_attempts
    return min(max_attempts, RETRY_MAX_CONNECTION_ATTEMPTS)


def call_with_retries(func, args=(), kwargs=None, max_attempts=RETRY_MAX_ATTEMPTS,
                      base=RETRY_BASE_DELAY, cap=RETRY_MAX_DELAY, sleep=time.sleep,
                      rng=random, on_retry=None):
    """Call ``func(*args, **kwargs)``; retry retryable failures with jittered backoff.

    For reads and idempotent calls only. ``on_retry(attempt, exc, delay)`` is told about each
    retry. The last failure is raised when ``max_attempts`` calls all failed (at most
    RETRY_MAX_CONNECTION_ATTEMPTS for connection failures); a non-retryable failure is raised
    at once.
    """
    kwargs = kwargs or {}
    attempt = 0
    while True:
        try:
            return func(*args, **kwargs)
        except (ClientError, BotoConnectionError, HTTPClientError) as exc:
            attempt += 1
            if attempt >= _attempt_limit(exc, max_attempts) or not is_retryable(exc):
                raise
            delay = backoff_delay(attempt - 1, base=base, cap=cap, rng=rng)
            if on_retry is not None:
                on_retry(attempt, exc, delay)
            sleep(delay)


def create_once(send, reread, max_attempts=RETRY_MAX_ATTEMPTS, base=RETRY_BASE_DELAY,
                cap=RETRY_MAX_DELAY, sleep=time.sleep, rng=random, on_retry=None):
    """Send a create that has no client token without ever making the object twice.

    A throttled or failed create may still have been carried out by AWS. So after a retryable
    failure ``reread()`` looks for the object first: when it returns something other than
    ``None`` that is returned and the create is not sent again; only when it returns ``None``
    is the create re-sent, after a jittered backoff, up to ``max_attempts`` sends in all.
    ``reread`` should itself be a retried read.
    """
    attempt = 0
    while True:
        try:
            return send()
        except (ClientError, BotoConnectionError, HTTPClientError) as exc:
            attempt += 1
            if not is_retryable(exc):
                raise
            found = reread()
            if found is not None:
                return found
            if attempt >= _attempt_limit(exc, max_attempts):
                raise
            delay = backoff_delay(attempt - 1, base=base, cap=cap, rng=rng)
            if on_retry is not None:
                on_retry(attempt, exc, delay)
            sleep(delay)
