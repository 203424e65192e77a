"""The outbox's retry schedule: doubling, capped, and never stuck behind a clock that was put back."""
from datetime import datetime, timedelta, timezone

from hypothesis import given, strategies as st

from itpc.outbox import backoff, due
from ledger.views import OutboxItem

NOW = datetime(2026, 12, 10, 10, 0, tzinfo=timezone.utc)


def test_the_wait_doubles_from_the_first_retry_up_to_the_cap():
    waits = [backoff(n, 60, 3600).total_seconds() for n in range(1, 10)]
    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


@given(st.integers(min_value=0, max_value=10**6), st.floats(min_value=0.1, max_value=600),
       st.floats(min_value=1, max_value=86400))
def test_no_number_of_failures_waits_past_the_cap(failures, first, cap):
    assert backoff(failures, first, cap) <= timedelta(seconds=max(cap, first))


def failed_until(retry_at: datetime) -> OutboxItem:
    item = OutboxItem(id="x", queued={"id": "x"})
    item.failures.append({"id": "x", "retry_at": retry_at.isoformat(), "permanent": False})
    return item


def test_a_letter_is_due_at_its_retry_time_and_not_before():
    assert not due(failed_until(NOW + timedelta(minutes=5)), NOW, 3600)
    assert due(failed_until(NOW), NOW, 3600)


def test_a_retry_time_beyond_the_longest_backoff_was_set_by_a_wrong_clock_and_is_due_now():
    assert not due(failed_until(NOW + timedelta(seconds=3600)), NOW, 3600)
    assert due(failed_until(NOW + timedelta(seconds=3601)), NOW, 3600)
    assert due(failed_until(NOW + timedelta(days=365)), NOW, 3600)
