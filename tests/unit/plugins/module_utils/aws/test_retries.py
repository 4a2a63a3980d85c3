"""Unit tests for module_utils/aws/retries.py: which errors retry, backoff, bounds, error helpers."""
import random

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
    SSLError,
)

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws import retries as aws


def client_error(code, status=400, message="boom", operation="DescribeThings"):
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "req-1"}}, operation)


class Flaky:
    """Raises the given exceptions in turn, then returns ``"ok"``."""

    def __init__(self, *failures):
        self.failures = list(failures)
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


# --- retries -----------------------------------------------------------------------------------

@pytest.mark.parametrize("exc", [
    client_error("Throttling"),
    client_error("ThrottlingException"),
    client_error("RequestLimitExceeded", 503),
    client_error("TooManyRequestsException"),
    client_error("503", 503),
    client_error("InternalError", 500),
    client_error("Whatever", 502),
    ConnectionClosedError(endpoint_url="http://127.0.0.1:1"),
    ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
])
def test_retryable(exc):
    assert aws.is_retryable(exc)


@pytest.mark.parametrize("exc", [
    client_error("InvalidAMIID.NotFound"),
    client_error("ValidationError"),
    client_error("AccessDenied", 403),
    client_error("InvalidClientTokenId", 403),
    client_error("AuthFailure", 401),
    client_error("404", 404, message="<html><title>404 Not Found</title></html>"),
    ValueError("not an AWS error"),
    # the wrong place: refused, not resolved, not accepted in time, TLS failure
    EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
    ConnectTimeoutError(endpoint_url="http://10.255.255.1"),
    SSLError(endpoint_url="https://127.0.0.1:1", error="certificate verify failed"),
])
def test_not_retryable(exc):
    assert not aws.is_retryable(exc)


def test_retries_then_succeeds_with_growing_jittered_delays():
    func = Flaky(client_error("Throttling"), client_error("503", 503), client_error("ThrottlingException"))
    sleeps, retries = [], []
    result = aws.call_with_retries(func, sleep=sleeps.append, rng=random.Random(1), base=1, cap=100,
                                   on_retry=lambda attempt, exc, delay: retries.append((attempt, aws.error_code(exc))))
    assert result == "ok"
    assert func.calls == 4
    assert retries == [(1, "Throttling"), (2, "503"), (3, "ThrottlingException")]
    # full jitter: each delay lies within [0, base * 2**attempt]
    assert all(0 <= d <= 2 ** i for i, d in enumerate(sleeps))
    assert len(sleeps) == 3


def test_backoff_is_capped():
    rng = random.Random(3)
    assert all(aws.backoff_delay(attempt, base=1, cap=5, rng=rng) <= 5 for attempt in range(30))


def test_gives_up_after_max_attempts():
    func = Flaky(*[client_error("Throttling")] * 5)
    sleeps = []
    with pytest.raises(ClientError):
        aws.call_with_retries(func, max_attempts=3, sleep=sleeps.append)
    assert func.calls == 3
    assert len(sleeps) == 2


def test_connection_failures_get_fewer_attempts():
    func = Flaky(*[ConnectionClosedError(endpoint_url="http://127.0.0.1:1")] * 10)
    with pytest.raises(ConnectionClosedError):
        aws.call_with_retries(func, sleep=lambda s: None)
    assert func.calls == aws.RETRY_MAX_CONNECTION_ATTEMPTS


def test_a_refused_connection_is_not_retried():
    func = Flaky(EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))
    sleeps = []
    with pytest.raises(EndpointConnectionError):
        aws.call_with_retries(func, sleep=sleeps.append)
    assert func.calls == 1 and sleeps == []


def test_non_retryable_is_raised_at_once():
    func = Flaky(client_error("InvalidParameterValue"))
    sleeps = []
    with pytest.raises(ClientError):
        aws.call_with_retries(func, sleep=sleeps.append)
    assert func.calls == 1
    assert sleeps == []


# --- errors -------------------------------------------------------------------------------------

def test_format_client_error():
    error = aws.format_aws_error(client_error("InvalidAMIID.NotFound", message="The image does not exist"))
    assert error["code"] == "InvalidAMIID.NotFound"
    assert error["message"] == "The image does not exist"
    assert error["operation"] == "DescribeThings"
    assert error["http_status_code"] == 400
    assert error["request_id"] == "req-1"


def test_format_botocore_error():
    error = aws.format_aws_error(EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))
    assert error["code"] == "EndpointConnectionError"
    assert "127.0.0.1:1" in error["message"]


def test_is_error():
    assert aws.is_error(client_error("A"), "B", "A")
    assert not aws.is_error(client_error("A"), "B")
    assert not aws.is_error(ValueError(), "A")


def test_default_attempts_are_bounded():
    func = Flaky(*[client_error("Throttling")] * 50)
    with pytest.raises(ClientError):
        aws.call_with_retries(func, sleep=lambda s: None)
    assert func.calls == aws.RETRY_MAX_ATTEMPTS


@pytest.mark.parametrize("status, retried", [(499, False), (500, True), (503, True), (599, True)])
def test_server_errors_retry_by_status(status, retried):
    assert aws.is_retryable(client_error("SomethingOdd", status)) is retried


class RecordingRng:
    """Answers the upper bound it is asked for, and records each range."""

    def __init__(self):
        self.ranges = []

    def uniform(self, low, high):
        self.ranges.append((low, high))
        return high


def test_jitter_is_full_range_and_capped():
    rng = RecordingRng()
    delays = [aws.backoff_delay(attempt, base=0.5, cap=20, rng=rng) for attempt in range(8)]
    assert rng.ranges == [(0, 0.5), (0, 1.0), (0, 2.0), (0, 4.0), (0, 8.0), (0, 16.0), (0, 20), (0, 20)]
    assert delays[-1] == 20
    real = random.Random(7)
    for attempt in range(12):
        for _draw in range(50):
            assert 0 <= aws.backoff_delay(attempt, base=0.5, cap=20, rng=real) <= min(20, 0.5 * 2 ** attempt)


# --- creates without a client token ----------------------------------------------------------

class Reread:
    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.answers.pop(0)


def test_throttled_create_found_by_reread_is_not_sent_again():
    send = Flaky(client_error("Throttling"))
    reread = Reread({"GroupId": "sg-1"})
    sleeps = []
    assert aws.create_once(send, reread, sleep=sleeps.append) == {"GroupId": "sg-1"}
    assert send.calls == 1
    assert reread.calls == 1
    assert sleeps == []


def test_throttled_create_is_resent_only_after_reread_found_nothing():
    send = Flaky(client_error("ThrottlingException"), client_error("ServiceUnavailable", 503))
    reread = Reread(None, None)
    sleeps, retries = [], []
    assert aws.create_once(send, reread, sleep=sleeps.append, rng=random.Random(2),
                           on_retry=lambda attempt, exc, delay: retries.append(attempt)) == "ok"
    assert send.calls == 3
    assert reread.calls == 2
    assert retries == [1, 2] and len(sleeps) == 2


def test_create_rejected_is_not_reread():
    send = Flaky(client_error("InvalidParameterValue"))
    reread = Reread()
    with pytest.raises(ClientError):
        aws.create_once(send, reread, sleep=lambda s: None)
    assert send.calls == 1 and reread.calls == 0


def test_create_attempts_are_bounded():
    send = Flaky(*[client_error("Throttling")] * 10)
    reread = Reread(*[None] * 10)
    with pytest.raises(ClientError):
        aws.create_once(send, reread, max_attempts=3, sleep=lambda s: None)
    assert send.calls == 3 and reread.calls == 3


def test_client_side_validation_error_is_reported_with_its_code():
    error = aws.format_aws_error(ParamValidationError(report="Invalid length for parameter LaunchTemplateName"))
    assert error["code"] == "ParamValidationError"
    assert "LaunchTemplateName" in error["message"]
