# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The retry rule of the streamfleet.cluster AWS modules, and AWS error helpers.

Retries are opt-in per call (``client.describe_x(aws_retry=True, ...)``, see ``session.py``):

- reads and idempotent writes (tags, modify/put/set/delete, creates that carry a client token
  or that AWS documents as idempotent for the same settings) are retried on throttling answers,
  on 5xx answers and on connections reset or timed out while waiting for the answer, with
  full-jitter exponential backoff, a bounded number of attempts and a bounded time;
- a create without a client token is never simply sent again: after a retryable failure the
  object is looked for first (:func:`create_once`), and the create is re-sent only when the
  look-up shows that nothing was made;
- nothing else is retried: a 4xx answer other than throttling (bad credentials, access denied,
  invalid parameter, an object that does not exist) cannot heal by waiting, and neither can an
  endpoint that refuses the connection, does not resolve, does not accept it in time or fails
  TLS (a wrong ``endpoint_url`` or region). Those fail on the first call.

An endpoint that accepts connections and never answers costs one read timeout per attempt
(see ``session.py`` for the timeouts); :class:`ConnectionBudget` bounds the time a module spends
retrying such failures, over all its calls: no attempt starts more than CONNECTION_RETRY_SECONDS
after the first failed one began, so a silent endpoint fails a module within
CONNECTION_RETRY_SECONDS + one read timeout, whatever the module does after the first failure.

Nothing here patches botocore; the functions wrap plain callables.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import re
import time

try:
    from botocore.exceptions import ClientError
    from botocore.exceptions import ConnectionClosedError
    from botocore.exceptions import ReadTimeoutError
except ImportError:  # pragma: no cover - reported by the module class
    ClientError = ConnectionClosedError = ReadTimeoutError = Exception

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
# Connection failures that may heal: the connection was reset or closed before the answer
# came, or the answer did not come within the read timeout. A refused connection, a name that
# does not resolve, a connect timeout and a TLS failure are not here: they mean a wrong place.
RETRYABLE_CONNECTION_ERRORS = (ConnectionClosedError, ReadTimeoutError)

RETRY_MAX_ATTEMPTS = 10
# Throttling and 5xx answers are retried for at most this long per call (sleeps included).
RETRY_MAX_SECONDS = 120.0
# Connection resets and read timeouts: fewer attempts, and retried only within
# CONNECTION_RETRY_SECONDS of the first such failure of the module (see ConnectionBudget).
RETRY_MAX_CONNECTION_ATTEMPTS = 3
CONNECTION_RETRY_SECONDS = 30.0
RETRY_BASE_DELAY = 0.5
RETRY_MAX_DELAY = 20.0


class ConnectionBudget(object):
    """The time a module may spend retrying connection failures, shared by all its calls.

    The clock starts at the beginning of the first attempt that ended in a retryable
    connection failure; after ``seconds`` no such failure is retried any more, in any call.
    """

    def __init__(self, seconds=CONNECTION_RETRY_SECONDS, clock=time.monotonic):
        self.seconds = seconds
        self.clock = clock
        self.started = None

    def spend(self, attempt_started):
        """Note a connection failure of the attempt begun at ``attempt_started``; True while
        a retry is still allowed."""
        if self.started is None:
            self.started = attempt_started
        return self.clock() - self.started < self.seconds


def error_code(exc):
    """The AWS error code of ``exc`` (the exception class name for non-service errors)."""
    if isinstance(exc, ClientError):
        return exc.response.get('Error', {}).get('Code', 'Unknown')
    return type(exc).__name__


def is_error(exc, *codes):
    """True when ``exc`` is a ClientError carrying one of ``codes``."""
    return isinstance(exc, ClientError) and error_code(exc) in codes


_HTML_START = re.compile(r'^\s*(b[\'"])?\s*<(!doctype\s+html|html)\b', re.IGNORECASE)
_HTML_TITLE = re.compile(r'<title[^>]*>(.*?)</title>', re.IGNORECASE | re.DOTALL)


def looks_like_html(text):
    """True when ``text`` is (or, after a prefix such as botocore's parser message, holds) an
    HTML page rather than an AWS error message."""
    if not text:
        return False
    text = str(text)
    return bool(_HTML_START.search(text)) or '<!doctype html' in text.lower() or '<html' in text.lower()


def describe_html(text):
    """``an HTML page ("<title>")``: an error page in a few words instead of its markup."""
    match = _HTML_TITLE.search(str(text))
    title = ' '.join(match.group(1).split()) if match else ''
    if len(title) > 80:
        title = title[:77] + '...'
    return 'an HTML page ("%s")' % title if title else 'an HTML page'


def format_aws_error(exc):
    """``{'code': ..., 'message': ...}`` for a boto3/botocore exception.

    An HTML error page (an emulator, a proxy or a web server in place of the AWS endpoint) is
    summed up by its title, not dumped.
    """
    if isinstance(exc, ClientError):
        error = exc.response.get('Error', {})
        status = exc.response.get('ResponseMetadata', {}).get('HTTPStatusCode')
        message = error.get('Message', str(exc))
        if looks_like_html(message):
            message = 'HTTP %s: the endpoint answered with %s, not an AWS answer' % (
                status or '?', describe_html(message))
        result = dict(code=error.get('Code', 'Unknown'), message=message)
        request_id = exc.response.get('ResponseMetadata', {}).get('RequestId')
        if request_id:
            result['request_id'] = request_id
        if status:
            result['http_status_code'] = status
        operation = getattr(exc, 'operation_name', None)
        if operation:
            result['operation'] = operation
        return result
    message = str(exc)
    if looks_like_html(message):
        message = 'the endpoint answered with %s, not an AWS answer' % describe_html(message)
    return dict(code=type(exc).__name__, message=message)


def is_connection_failure(exc):
    """True for a connection reset/closed before the answer, or a read timeout."""
    return isinstance(exc, RETRYABLE_CONNECTION_ERRORS)


def is_retryable(exc):
    """True when ``exc`` is a throttling answer, a 5xx answer, or a connection reset or read
    timeout. Never for another 4xx answer or a connection that could not be made."""
    if isinstance(exc, ClientError):
        error = exc.response.get('Error', {})
        code = error.get('Code', '')
        status = exc.response.get('ResponseMetadata', {}).get('HTTPStatusCode') or 0
        return code in THROTTLING_CODES or code in TRANSIENT_CODES or status >= 500
    return is_connection_failure(exc)


def backoff_delay(attempt, base=RETRY_BASE_DELAY, cap=RETRY_MAX_DELAY, rng=random):
    """Full-jitter exponential backoff: uniform in [0, min(cap, base * 2**attempt)]."""
    return rng.uniform(0, min(cap, base * (2 ** attempt)))


def _may_retry(exc, attempt, max_attempts, budget, attempt_started):
    """Whether the ``attempt``-th failure ``exc`` may be followed by another attempt (the
    time bound of throttling/5xx retries is checked by the caller, who knows the delay)."""
    if not is_retryable(exc):
        return False
    if is_connection_failure(exc):
        if attempt >= min(max_attempts, RETRY_MAX_CONNECTION_ATTEMPTS):
            return False
        return budget.spend(attempt_started)
    return attempt < max_attempts


_RETRIED = (ClientError,) + RETRYABLE_CONNECTION_ERRORS


def call_with_retries(func, args=(), kwargs=None, max_attempts=RETRY_MAX_ATTEMPTS,
                      base=RETRY_BASE_DELAY, cap=RETRY_MAX_DELAY, sleep=time.sleep,
                      rng=random, on_retry=None, clock=time.monotonic,
                      max_seconds=RETRY_MAX_SECONDS, budget=None):
    """Call ``func(*args, **kwargs)``; retry retryable failures with jittered backoff.

    For reads and idempotent calls only. ``on_retry(attempt, exc, delay)`` is told about each
    retry. The last failure is raised when ``max_attempts`` calls all failed, when the next
    attempt would start more than ``max_seconds`` after the first, or for connection failures
    after RETRY_MAX_CONNECTION_ATTEMPTS attempts or once ``budget`` (a
    :class:`ConnectionBudget`, shared by the module's calls; one per call when not given) is
    spent. A non-retryable failure is raised at once.
    """
    kwargs = kwargs or {}
    budget = budget or ConnectionBudget(clock=clock)
    first = clock()
    attempt = 0
    while True:
        attempt_started = clock()
        try:
            return func(*args, **kwargs)
        except _RETRIED as exc:
            attempt += 1
            if not _may_retry(exc, attempt, max_attempts, budget, attempt_started):
                raise
            delay = backoff_delay(attempt - 1, base=base, cap=cap, rng=rng)
            if clock() - first + delay > max_seconds:
                raise
            if on_retry is not None:
                on_retry(attempt, exc, delay)
            sleep(delay)


def create_once(send, reread, max_attempts=RETRY_MAX_ATTEMPTS, base=RETRY_BASE_DELAY,
                cap=RETRY_MAX_DELAY, sleep=time.sleep, rng=random, on_retry=None,
                clock=time.monotonic, max_seconds=RETRY_MAX_SECONDS, budget=None):
    """Send a create that has no client token without ever making the object twice.

    A throttled or failed create may still have been carried out by AWS. So after a retryable
    failure ``reread()`` looks for the object first: when it returns something other than
    ``None`` that is returned and the create is not sent again; only when it returns ``None``
    is the create re-sent, after a jittered backoff, within the bounds of
    :func:`call_with_retries`. ``reread`` should itself be a retried read.
    """
    budget = budget or ConnectionBudget(clock=clock)
    first = clock()
    attempt = 0
    while True:
        attempt_started = clock()
        try:
            return send()
        except _RETRIED as exc:
            attempt += 1
            if not is_retryable(exc):
                raise
            # decided (and the connection budget charged) before the reread spends more time
            may_resend = _may_retry(exc, attempt, max_attempts, budget, attempt_started)
            found = reread()
            if found is not None:
                return found
            if not may_resend:
                raise
            delay = backoff_delay(attempt - 1, base=base, cap=cap, rng=rng)
            if clock() - first + delay > max_seconds:
                raise
            if on_retry is not None:
                on_retry(attempt, exc, delay)
            sleep(delay)
