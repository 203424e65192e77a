"""ETD authorisations (1B-1052), the pure rules: the criteria of 17 and 21 at their thresholds, whom to consult
and how (16), the working-day deadlines (16, 25.2), the yearly audit (37) and retention (24)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, strategies as st

from ledger.clock import VILNIUS
from responders import etd_rules as rules
from responders.workdays import is_working_day

COMMON_TRANSIT = {"CH", "NO", "IS", "LI", "TR", "MK", "RS", "GB", "UA"}


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=VILNIUS)


def result(name: str, carrier: str = rules.AIRLINE, **figures) -> rules.Criterion:
    return next(c for c in rules.criteria(carrier, **figures) if c.name == name)


# ------------------------------------------------------------------------------------------------ 17, 21

@pytest.mark.parametrize("figures, met", [
    ({"procedures_per_month": 5}, False), ({"procedures_per_month": 6}, True),
    ({"procedures_per_year": 74}, False), ({"procedures_per_year": 75}, True),
    ({"procedures_per_month": 5, "procedures_per_year": 75}, True),   # either frequency is enough
    ({"procedures_per_month": 5, "procedures_per_year": 74}, False),
    ({}, None),                                                        # nothing stated: the officer checks
])
def test_regular_use_of_transit_is_six_a_month_or_75_a_year(figures, met):
    criterion = result("regular_use", **figures)
    assert criterion.met is met and criterion.rule == "1B-1052:17"


@pytest.mark.parametrize("carrier, figures, met", [
    (rules.AIRLINE, {"movements_per_month": 29}, False), (rules.AIRLINE, {"movements_per_month": 30}, True),
    (rules.AIRLINE, {"movements_per_year": 299}, False), (rules.AIRLINE, {"movements_per_year": 300}, True),
    (rules.SHIPPING, {"movements_per_month": 9}, False), (rules.SHIPPING, {"movements_per_month": 10}, True),
    (rules.SHIPPING, {"movements_per_year": 99}, False), (rules.SHIPPING, {"movements_per_year": 100}, True),
    (rules.SHIPPING, {"movements_per_month": 29}, True),   # 29 voyages are many; 29 flights are not
])
def test_many_flights_is_30_a_month_many_voyages_10(carrier, figures, met):
    criterion = result("movements", carrier, **figures)
    assert criterion.met is met and criterion.rule == "1B-1052:17"
    assert ("flights" if carrier == rules.AIRLINE else "voyages") in criterion.text


def test_an_aeo_holder_is_taken_to_meet_ucc_39_a_b_d_and_others_are_checked():
    assert result("aeo", aeo="LTAEOC1234").met is True
    assert result("aeo", aeo="LTAEOC1234").rule == "1B-1052:21"
    unchecked = result("aeo")
    assert unchecked.met is None and unchecked.rule == "1B-1052:18"


def test_an_unknown_carrier_is_refused():
    with pytest.raises(ValueError, match="carrier"):
        rules.criteria("rail")


@given(st.sampled_from(rules.CARRIERS), st.one_of(st.none(), st.integers(0, 500)),
       st.one_of(st.none(), st.integers(0, 5000)))
def test_more_movements_never_turn_a_met_criterion_into_an_unmet_one(carrier, month, year):
    before = result("movements", carrier, movements_per_month=month, movements_per_year=year).met
    more = result("movements", carrier, movements_per_month=None if month is None else month + 1,
                  movements_per_year=None if year is None else year + 1).met
    assert before is not True or more is True
    assert (before is None) == (month is None and year is None)


# -------------------------------------------------------------------------------------------------- 16

def test_a_member_state_is_consulted_in_msvs_a_common_transit_country_by_email():
    assert rules.channel("DE", COMMON_TRANSIT) == "msvs"
    assert rules.channel("no", COMMON_TRANSIT) == "email"
    assert rules.channel("LT", COMMON_TRANSIT) is None
    assert rules.channel("US", COMMON_TRANSIT) == "unknown"
    assert rules.countries_to_consult(["LT", "NO", "no", "DE"]) == ["DE", "NO"]


def test_consultation_starts_no_later_than_the_next_working_day():
    assert rules.consultation_due(at(2026, 12, 1, 15, 0)) == at(2026, 12, 2, 23, 59, 59)       # Tue -> Wed
    assert rules.consultation_due(at(2026, 12, 4, 9, 0)) == at(2026, 12, 7, 23, 59, 59)        # Fri -> Mon
    # 24-26 December are holidays: accepted on Wednesday 23rd, the next working day is Monday 28th.
    assert rules.consultation_due(at(2026, 12, 23, 16, 0)) == at(2026, 12, 28, 23, 59, 59)


def test_the_monitoring_plan_is_due_30_working_days_after_the_grant():
    due = rules.monitoring_plan_due(at(2027, 1, 4, 10, 0))   # Monday; no holiday until 16 February
    assert due == at(2027, 2, 15, 23, 59, 59)                 # Monday six weeks later: 4 + 5 × 5 + 1 days
    # Across 16 February (a holiday) the count moves a day further.
    assert rules.monitoring_plan_due(at(2027, 1, 18, 10, 0)) == at(2027, 3, 2, 23, 59, 59)


@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31)))
def test_the_monitoring_plan_due_date_is_a_working_day_30_of_them_later(naive):
    granted = naive.replace(tzinfo=VILNIUS)
    due = rules.monitoring_plan_due(granted)
    assert is_working_day(due.date())
    days = [granted.date() + timedelta(days=n) for n in range(1, (due.date() - granted.date()).days + 1)]
    assert sum(is_working_day(d) for d in days) == 30


# -------------------------------------------------------------------------------------------- 25.2, 37

def test_stage_alerts_before_the_due_moment_and_is_overdue_after_it():
    due = at(2027, 2, 12, 23, 59, 59)
    before = timedelta(days=5)
    assert rules.stage(due, at(2027, 2, 7, 23, 59), alert_before=before) is None
    assert rules.stage(due, at(2027, 2, 8, 0, 0), alert_before=before) == "alert"
    assert rules.stage(due, due, alert_before=before) == "alert"
    assert rules.stage(due, due + timedelta(seconds=1), alert_before=before) == "overdue"


def test_an_audit_is_due_each_calendar_year_after_the_grant_until_revocation():
    granted = at(2026, 12, 31, 23, 30)
    assert rules.audit_years(granted, at(2027, 1, 1, 0, 30)) == [2027]
    assert rules.audit_years(granted, at(2026, 12, 31, 23, 59)) == []
    assert rules.audit_years(granted, at(2030, 5, 1), ended_at=at(2028, 3, 1)) == [2027, 2028]
    assert rules.audit_due(2027) == at(2027, 12, 31, 23, 59, 59)


# -------------------------------------------------------------------------------------------------- 24

def test_retention_counts_three_years_from_the_end_of_the_decisions_year():
    grant, revoke = ("grant", at(2026, 3, 1, 10, 0)), ("revoke", at(2026, 12, 31, 23, 30))
    kept = rules.retention("authorisation", [grant, revoke])
    assert kept.keep_until == date(2029, 12, 31) and kept.disposable_from == date(2030, 1, 1)
    # Half an hour later in Vilnius is another calendar year (though still 2026 in UTC).
    later = rules.retention("authorisation", [grant, ("revoke", at(2027, 1, 1, 0, 30))])
    assert later.disposable_from == date(2031, 1, 1)


def test_each_point_of_23_counts_from_its_own_decision():
    grant = ("grant", at(2026, 3, 1, 10, 0))
    assert rules.retention("extension", [grant]).disposable_from == date(2030, 1, 1)          # 23.3: the grant
    assert rules.retention("application", [grant]).disposable_from is None                  # 23.1: kept while in force
    assert rules.retention("refusal", [("refuse", at(2027, 6, 1, 9, 0))]).disposable_from == date(2031, 1, 1)
    assert rules.retention("refusal", [grant]).disposable_from is None                      # no refusal yet
    assert rules.retention("monitoring-plan", [grant, ("annul", at(2028, 2, 1, 9, 0))]).rule == "1B-1052:24"
