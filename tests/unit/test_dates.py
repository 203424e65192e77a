"""Dates, times and periods as Lithuanian requests write them (ingest.dates)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from ingest.dates import VILNIUS, find_moments, find_period, iso, parse_moment


def vilnius(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=VILNIUS)


# --- single moments -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("2026-11-23 14:30", vilnius(2026, 11, 23, 14, 30)),
    ("2026.11.23 8:00", vilnius(2026, 11, 23, 8, 0)),
    ("23.11.2026 14:30", vilnius(2026, 11, 23, 14, 30)),
    ("2026/11/23 14:30", vilnius(2026, 11, 23, 14, 30)),
    ("23/11/2026 07:48", vilnius(2026, 11, 23, 7, 48)),
    ("2026-11-23 14.30", vilnius(2026, 11, 23, 14, 30)),
    ("2026-11-23 14 val.", vilnius(2026, 11, 23, 14, 0)),
    ("2026-11-23 14:30:00", vilnius(2026, 11, 23, 14, 30)),
    ("2026-11-23T14:30", vilnius(2026, 11, 23, 14, 30)),
    ("2026-11-23 d. 9 val.", vilnius(2026, 11, 23, 9, 0)),
    ("2026 m. lapkričio 23 d. 14 val. 30 min.", vilnius(2026, 11, 23, 14, 30)),
    ("2026 m. lapkricio 23 d. 14 val. 30 min.", vilnius(2026, 11, 23, 14, 30)),
    ("2026 m. lapkritis 23 d. 14:30", vilnius(2026, 11, 23, 14, 30)),
    ("2026 m. LAPKRIČIO mėn. 23 d., 14 h", vilnius(2026, 11, 23, 14, 0)),
])
def test_each_date_form_reads_as_vilnius_time(text: str, expected: datetime) -> None:
    assert parse_moment(text) == expected


GENITIVE = ["sausio", "vasario", "kovo", "balandžio", "gegužės", "birželio", "liepos", "rugpjūčio", "rugsėjo",
            "spalio", "lapkričio", "gruodžio"]
NOMINATIVE = ["sausis", "vasaris", "kovas", "balandis", "gegužė", "birželis", "liepa", "rugpjūtis", "rugsėjis",
              "spalis", "lapkritis", "gruodis"]
_ASCII = str.maketrans("ąčęėįšųūž", "aceeisuuz")


@pytest.mark.parametrize("month", range(1, 13))
@pytest.mark.parametrize("names", [GENITIVE, NOMINATIVE])
@pytest.mark.parametrize("ascii_only", [False, True])
def test_every_month_name_in_both_cases_with_and_without_diacritics(month: int, names: list[str],
                                                                   ascii_only: bool) -> None:
    name = names[month - 1].translate(_ASCII) if ascii_only else names[month - 1]
    assert parse_moment(f"2027 m. {name} 5 d. 10 val.") == vilnius(2027, month, 5, 10)


def test_summer_dates_carry_the_summer_offset() -> None:
    assert iso(parse_moment("2026-07-01 09:00")) == "2026-07-01T09:00:00+03:00"
    assert iso(parse_moment("2026-11-23 09:00")) == "2026-11-23T09:00:00+02:00"


@pytest.mark.parametrize("text", ["2026-02-30 10:00", "2026-13-01", "31.04.2026", "kuo skubiau", "",
                                  "Nr. 55123", "+370 5 212 3456", "2026 m. lapkričio 31 d."])
def test_impossible_or_absent_dates_are_not_guessed(text: str) -> None:
    assert find_moments(text) == []


def test_impossible_time_makes_the_whole_mention_unreadable() -> None:
    assert parse_moment("2026-11-23 25:00") is None
    assert parse_moment("2026-11-23 10:75") is None


def test_ocr_letters_inside_numbers_are_read_as_digits() -> None:
    assert parse_moment("2O26-1l-25 O8:OO") == vilnius(2026, 11, 25, 8, 0)


def test_date_alone_is_start_of_day_or_end_of_day() -> None:
    assert parse_moment("2026-11-23") == vilnius(2026, 11, 23, 0, 0)
    assert parse_moment("2026-11-23", end=True) == vilnius(2026, 11, 23, 23, 59)


def test_bare_time_takes_its_date_from_receipt_in_vilnius() -> None:
    # 23:30 UTC on the 23rd is already the 24th in Vilnius: the date must be the Vilnius one.
    received = datetime(2026, 11, 23, 23, 30, tzinfo=timezone.utc)
    assert parse_moment("nuo 13:00", received_at=received) == vilnius(2026, 11, 24, 13, 0)
    received = datetime(2026, 11, 23, 21, 59, tzinfo=timezone.utc)
    assert parse_moment("nuo 13:00", received_at=received) == vilnius(2026, 11, 23, 13, 0)


def test_bare_time_without_any_date_source_is_none() -> None:
    assert parse_moment("nuo 13:00") is None


def test_year_less_written_date_takes_the_receipt_year() -> None:
    received = vilnius(2026, 12, 1, 8, 0)
    assert parse_moment("gruodžio 3 d. 10 val.", received_at=received) == vilnius(2026, 12, 3, 10)
    assert find_moments("gruodžio 3 d.") == []


def test_twenty_four_hundred_is_midnight_ending_the_day() -> None:
    assert parse_moment("2026-11-23 24:00") == vilnius(2026, 11, 24, 0, 0)


# --- periods --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, start, end", [
    ("nuo 2026-11-23 09:00 iki 2026-11-23 18:00", vilnius(2026, 11, 23, 9), vilnius(2026, 11, 23, 18)),
    ("Laikotarpis: 2026-11-23 09:00–18:00", vilnius(2026, 11, 23, 9), vilnius(2026, 11, 23, 18)),
    ("2026-11-23 09:00 - 2026-11-24 18:00", vilnius(2026, 11, 23, 9), vilnius(2026, 11, 24, 18)),
    ("2026-11-23 09:00-18:00", vilnius(2026, 11, 23, 9), vilnius(2026, 11, 23, 18)),
    ("nuo 23.11.2026 8.30 iki 24.11.2026 17.15", vilnius(2026, 11, 23, 8, 30), vilnius(2026, 11, 24, 17, 15)),
    ("2026 m. gruodžio 3 d. nuo 8 val. iki 17 val. 30 min.", vilnius(2026, 12, 3, 8), vilnius(2026, 12, 3, 17, 30)),
    ("nuo 2026-11-23 iki 2026-11-25", vilnius(2026, 11, 23, 0), vilnius(2026, 11, 25, 23, 59)),
    ("Nuo: 2026-11-26 07:00\nIki: 2026-11-26 23:59", vilnius(2026, 11, 26, 7), vilnius(2026, 11, 26, 23, 59)),
    ("nuo 2026-11-23 22:00 iki 02:00", vilnius(2026, 11, 23, 22), vilnius(2026, 11, 24, 2)),
    ("Laikotarpis: 2026-11-23", vilnius(2026, 11, 23, 0), vilnius(2026, 11, 23, 23, 59)),
])
def test_period_forms(text: str, start: datetime, end: datetime) -> None:
    assert find_period(text) == (start, end)


def test_nuo_range_wins_over_an_earlier_unrelated_range() -> None:
    text = "Sutartis galioja 2026-01-01 - 2026-12-31. Prašome nuo 2026-11-23 09:00 iki 2026-11-23 18:00."
    assert find_period(text) == (vilnius(2026, 11, 23, 9), vilnius(2026, 11, 23, 18))


def test_open_ended_period_has_no_end() -> None:
    assert find_period("nuo 2026-11-23 09:00, kol bus sutaisyta") == (vilnius(2026, 11, 23, 9), None)


def test_no_period() -> None:
    assert find_period("Laikotarpis: kuo skubiau") == (None, None)


# --- property: any instant in any supported form reads back the same ----------------------------------------

def _render(moment: datetime, form: int, month_names: list[str], ascii_only: bool) -> str:
    y, mo, d, h, mi = moment.year, moment.month, moment.day, moment.hour, moment.minute
    name = month_names[mo - 1].translate(_ASCII) if ascii_only else month_names[mo - 1]
    return [
        f"{y}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}",
        f"{y}.{mo:02d}.{d:02d} {h}:{mi:02d}",
        f"{d:02d}.{mo:02d}.{y} {h:02d}:{mi:02d}",
        f"{y}/{mo}/{d} {h:02d}.{mi:02d}",
        f"{d}/{mo:02d}/{y} {h}:{mi:02d}",
        f"{y} m. {name} {d} d. {h} val. {mi} min.",
        f"{y}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}",
    ][form]


instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59)).map(
    lambda dt: dt.replace(second=0, microsecond=0))


@settings(max_examples=300, deadline=None)
@given(moment=instants, form=st.integers(0, 6), names=st.sampled_from([GENITIVE, NOMINATIVE]),
       ascii_only=st.booleans(), prefix=st.sampled_from(["", "Pradžia: ", "nuo ", "Data ir laikas – "]))
def test_any_instant_rendered_in_any_form_parses_back(moment: datetime, form: int, names: list[str],
                                                     ascii_only: bool, prefix: str) -> None:
    text = prefix + _render(moment, form, names, ascii_only)
    assert parse_moment(text) == datetime.combine(moment.date(), time(moment.hour, moment.minute), VILNIUS)


@settings(max_examples=200, deadline=None)
@given(start=instants, length=st.integers(1, 72 * 60), forms=st.tuples(st.integers(0, 6), st.integers(0, 6)),
       sep=st.sampled_from([" iki ", " – ", " - ", "\nIki: "]))
def test_any_period_rendered_in_any_forms_parses_back(start: datetime, length: int, forms: tuple[int, int],
                                                     sep: str) -> None:
    end = start + timedelta(minutes=length)
    text = "nuo " + _render(start, forms[0], GENITIVE, False) + sep + _render(end, forms[1], NOMINATIVE, True)
    begin, finish = find_period(text)
    assert begin == datetime.combine(start.date(), start.time(), VILNIUS)
    assert finish == datetime.combine(end.date(), end.time(), VILNIUS)


@settings(max_examples=200, deadline=None)
@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
       h1=st.integers(0, 23), m1=st.integers(0, 59), h2=st.integers(0, 23), m2=st.integers(0, 59))
def test_end_time_alone_takes_the_start_date(day: date, h1: int, m1: int, h2: int, m2: int) -> None:
    begin, finish = find_period(f"{day.isoformat()} {h1:02d}:{m1:02d}–{h2:02d}:{m2:02d}")
    assert begin == datetime.combine(day, time(h1, m1), VILNIUS)
    expected_day = day if (h2, m2) >= (h1, m1) else day + timedelta(days=1)
    assert finish == datetime.combine(expected_day, time(h2, m2), VILNIUS)
