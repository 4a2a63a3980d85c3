"""Unit tests for the time bounds of module_utils/aws/retries.py and for errors in words.

A fake clock stands in for time: an attempt that "hangs" advances it by a read timeout, a
sleep advances it by the delay. No test waits for real.
"""
import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws import retries as aws

READ_TIMEOUT = 30


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class Silent:
    """An endpoint that accepts and never answers: every attempt costs a read timeout."""

    def __init__(self, clock):
        self.clock = clock
        self.calls = 0

    def __call__(self):
        self.calls += 1
        self.clock.now += READ_TIMEOUT
        raise ReadTimeoutError(endpoint_url="http://127.0.0.1:9/")


def throttling():
    return ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"},
                        "ResponseMetadata": {"HTTPStatusCode": 400}}, "DescribeThings")


def test_a_silent_endpoint_is_retried_within_the_connection_budget_only():
    clock = Clock()
    budget = aws.ConnectionBudget(seconds=40, clock=clock)
    silent = Silent(clock)
    with pytest.raises(ReadTimeoutError):
        aws.call_with_retries(silent, sleep=clock.sleep, clock=clock, budget=budget)
    # first attempt 0..30 s (30 < 40: one retry), second 30..60 s (past 40: given up)
    assert silent.calls == 2
    assert clock.now < 40 + READ_TIMEOUT + aws.RETRY_BASE_DELAY


def test_the_connection_budget_is_shared_by_the_calls_of_a_module():
    clock = Clock()
    budget = aws.ConnectionBudget(seconds=40, clock=clock)
    first, second = Silent(clock), Silent(clock)
    with pytest.raises(ReadTimeoutError):
        aws.call_with_retries(first, sleep=clock.sleep, clock=clock, budget=budget)
    with pytest.raises(ReadTimeoutError):
        aws.call_with_retries(second, sleep=clock.sleep, clock=clock, budget=budget)
    assert (first.calls, second.calls) == (2, 1)  # the budget was spent by the first call


def test_a_create_on_a_silent_endpoint_gives_up_after_its_reread():
    clock = Clock()
    budget = aws.ConnectionBudget(seconds=40, clock=clock)
    create = Silent(clock)
    reread = Silent(clock)

    def retried_reread():
        return aws.call_with_retries(reread, sleep=clock.sleep, clock=clock, budget=budget)
    with pytest.raises(ReadTimeoutError):
        aws.create_once(create, retried_reread, sleep=clock.sleep, clock=clock, budget=budget)
    assert (create.calls, reread.calls) == (1, 1)
    assert clock.now == 2 * READ_TIMEOUT


def test_connection_resets_heal_within_the_budget():
    clock = Clock()
    failures = [ConnectionClosedError(endpoint_url="http://127.0.0.1:9/")] * 2
    calls = []

    def flaky():
        calls.append(clock.now)
        if failures:
            raise failures.pop()
        return "ok"
    assert aws.call_with_retries(flaky, sleep=clock.sleep, clock=clock) == "ok"
    assert len(calls) == 3


def test_throttling_retries_are_bounded_in_time():
    clock = Clock()
    calls = []

    def throttled():
        calls.append(clock.now)
        raise throttling()

    class Top:
        """Always the longest delay the backoff allows."""

        @staticmethod
        def uniform(low, high):
            return high
    with pytest.raises(ClientError):
        aws.call_with_retries(throttled, sleep=clock.sleep, clock=clock, rng=Top, max_seconds=30)
    # delays 0.5, 1, 2, 4, 8 (15.5 s), the next (16) would pass 30 s
    assert clock.sleeps == [0.5, 1, 2, 4, 8]
    assert len(calls) == 6


# --- errors in words -----------------------------------------------------------------------------

PAGE = ("<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
        "<h1>Internal Server Error</h1>\n<p>The server encountered an internal error.</p>")


def test_an_html_error_page_is_summed_up_by_its_title():
    exc = ClientError({"Error": {"Code": "500", "Message": PAGE},
                       "ResponseMetadata": {"HTTPStatusCode": 500}}, "GetResources")
    error = aws.format_aws_error(exc)
    assert error["message"] == ('HTTP 500: the endpoint answered with an HTML page '
                                '("500 Internal Server Error"), not an AWS answer')
    assert "<" not in error["message"]


def test_an_unparsable_answer_is_summed_up():
    exc = Exception("Unable to parse response (syntax error), invalid XML received. "
                    "Further retries may succeed:\nb'%s'" % PAGE)
    error = aws.format_aws_error(exc)
    assert "<" not in error["message"]
    assert '"500 Internal Server Error"' in error["message"]


@pytest.mark.parametrize("text", ["Rate exceeded", "The image id '[ami-1]' does not exist", ""])
def test_aws_messages_are_not_taken_for_html(text):
    assert not aws.looks_like_html(text)
