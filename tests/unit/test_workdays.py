"""Working days in Lithuania: weekends and public holidays skipped, Vilnius clock, both ways of counting."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import example, given, settings, strategies as st

from responders.workdays import VILNIUS, is_working_day, working_days_after, working_deadline


def vln(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VILNIUS)


@pytest.mark.parametrize("day, working", [
    (date(2026, 12, 3), True),     # Thursday
    (date(2026, 12, 5), False),    # Saturday
    (date(2026, 12, 6), False),    # Sunday
    (date(2026, 12, 24), False),   # Christmas Eve: a public holiday in Lithuania since 2020
    (date(2026, 12, 25), False),
    (date(2026, 12, 26), False),
    (date(2026, 12, 28), True),    # Monday after Christmas
    (date(2026, 1, 1), False),
    (date(2026, 2, 16), False),    # Restoration of the State
    (date(2026, 3, 11), False),    # Restoration of Independence
    (date(2026, 4, 6), False),     # Easter Monday
    (date(2026, 5, 1), False),
    (date(2026, 6, 24), False),    # Joninės
    (date(2026, 7, 6), False),     # Statehood Day
    (date(2026, 11, 2), False),    # All Souls' Day (since 2020)
    (date(2026, 11, 3), True),
])
def test_weekends_and_lithuanian_holidays_are_not_working_days(day, working):
    assert is_working_day(day) is working


def test_the_holidays_are_those_of_the_holidays_package_for_lithuania_every_year():
    # Lithuania's module is loaded by itself (the package imports all its countries); the days must not differ.
    import holidays
    from responders import workdays
    assert workdays._lithuania_module() is not None  # else the package's own slower way is in use
    package = holidays.country_holidays("LT", years=range(1990, 2071))
    ours = workdays._lithuanian_holidays()
    day = date(1990, 1, 1)
    while day.year <= 2070:
        assert (day in ours) == (day in package), day
        day += timedelta(days=1)
    assert ours.get(date(2026, 12, 24)) == package.get(date(2026, 12, 24))


def test_an_aware_datetime_is_judged_by_its_vilnius_date():
    # 22:30 UTC on Friday 4 Dec is already Saturday 00:30 in Vilnius.
    assert is_working_day(datetime(2026, 12, 4, 21, 30, tzinfo=timezone.utc)) is True
    assert is_working_day(datetime(2026, 12, 4, 22, 30, tzinfo=timezone.utc)) is False


def test_two_working_days_from_thursday_end_on_monday_at_the_same_clock_time():
    assert working_days_after(vln(2026, 12, 3, 9), 2) == vln(2026, 12, 7, 9)


def test_christmas_holidays_are_skipped():
    # Wed 23 Dec 2026: 24, 25, 26 Dec are holidays (26 is a Saturday anyway), 27 Sunday → Mon 28, Tue 29.
    assert working_days_after(vln(2026, 12, 23, 14, 15), 1) == vln(2026, 12, 28, 14, 15)
    assert working_days_after(vln(2026, 12, 23, 14, 15), 2) == vln(2026, 12, 29, 14, 15)


def test_a_start_on_a_weekend_advances_to_working_days():
    assert working_days_after(vln(2026, 12, 5, 10), 1) == vln(2026, 12, 7, 10)


def test_same_wall_clock_time_across_the_switch_to_summer_time():
    # Fri 27 Mar 2026 09:00 (+02:00); clocks go forward on Sun 29 Mar; Tue 31 Mar 09:00 is +03:00.
    end = working_days_after(vln(2026, 3, 27, 9), 2)
    assert end.astimezone(VILNIUS).time() == time(9, 0)
    assert end.date() == date(2026, 3, 31)
    assert end.utcoffset() == timedelta(hours=3)


def test_input_in_utc_is_counted_on_the_vilnius_calendar():
    # 23:30 UTC on Thursday 3 Dec is Friday 01:30 in Vilnius: two working days → Tuesday 01:30.
    assert working_days_after(datetime(2026, 12, 3, 23, 30, tzinfo=timezone.utc), 2) == vln(2026, 12, 8, 1, 30)


def test_zero_working_days_is_the_start_itself():
    assert working_days_after(vln(2026, 12, 5, 10), 0) == vln(2026, 12, 5, 10)


def test_deadline_is_the_end_of_the_nth_working_day_after_the_days_start():
    # Received Tue 1 Dec 14:20: day 1 is Wed 2 Dec, day 5 is Tue 8 Dec; the term runs to its last second.
    assert working_deadline(vln(2026, 12, 1, 14, 20), 5) == datetime(2026, 12, 8, 23, 59, 59, tzinfo=VILNIUS)
    # Late in the evening makes no difference: counting starts the next day.
    assert working_deadline(vln(2026, 12, 1, 23, 59), 1) == datetime(2026, 12, 2, 23, 59, 59, tzinfo=VILNIUS)


def test_deadline_skips_christmas():
    assert working_deadline(vln(2026, 12, 23, 9), 2) == datetime(2026, 12, 29, 23, 59, 59, tzinfo=VILNIUS)


def test_deadline_of_zero_days_ends_the_same_day():
    assert working_deadline(vln(2026, 12, 1, 8), 0) == datetime(2026, 12, 1, 23, 59, 59, tzinfo=VILNIUS)


@pytest.mark.parametrize("fn", [working_days_after, working_deadline])
def test_naive_times_and_negative_counts_are_refused_with_a_clear_error(fn):
    with pytest.raises(ValueError, match="aware"):
        fn(datetime(2026, 12, 1, 8), 2)
    with pytest.raises(ValueError, match="negative"):
        fn(vln(2026, 12, 1, 8), -1)


moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31),
                       timezones=st.just(VILNIUS))


@settings(max_examples=200, deadline=None)
@given(start=moments, n=st.integers(min_value=1, max_value=15))
def test_advancing_lands_on_a_working_day_with_exactly_n_working_days_passed(start, n):
    end = working_days_after(start, n)
    local = end.astimezone(VILNIUS)
    assert local.time() == start.astimezone(VILNIUS).time()
    assert is_working_day(local.date())
    days = [start.astimezone(VILNIUS).date() + timedelta(days=i)
            for i in range(1, (local.date() - start.astimezone(VILNIUS).date()).days + 1)]
    assert sum(is_working_day(d) for d in days) == n
    assert end > start


@settings(max_examples=200, deadline=None)
@given(start=moments, n=st.integers(min_value=0, max_value=10))
# A start within the last second of its day, n = 0: the term ends at 23:59:59, the very second the start falls
# in. A deadline is kept to the second, so the two are compared to the second.
@example(start=datetime(2020, 1, 1, 23, 59, 59, 1, tzinfo=VILNIUS), n=0)
def test_deadline_is_never_before_the_same_count_of_working_days_after(start, n):
    deadline = working_deadline(start, n)
    same_clock_time = working_days_after(start, n).replace(microsecond=0)
    assert deadline.astimezone(VILNIUS).time() == time(23, 59, 59)
    assert deadline >= same_clock_time
    assert deadline - same_clock_time < timedelta(days=1)
