"""The rules engine: every rule at its boundary, the corpus decisions, and properties of consents."""
from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import assume, example, given, settings, strategies as st

from ledger.text import fold_nfkd
from responders.institutions import Institution, Institutions
from responders.reasons import ReasonListError, ReasonLists, classify_reasons
from responders.rules import (QUOTE_LIMIT, ConsentRecord, Outage, calendar_days_after, consents_in_window,
                              decide_afis_access, decide_afis_change, decide_continuity, decide_early_recovery, quoted)
from responders.workdays import VILNIUS, working_days_after, working_deadline

ROOT = Path(__file__).resolve().parents[2]
REASONS = ReasonLists.load(ROOT / "config" / "reasons.toml")
OBJECTIVE_REASON = "sugedo serveris, kuriame veikia mūsų deklaravimo programa."


# Generated in UTC so that timedelta arithmetic is real elapsed time (Vilnius wall-clock arithmetic would make
# times that do not exist at the switch to summer time); the engine must cope with either.
instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31),
                        timezones=st.just(timezone.utc))


def vln(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VILNIUS)


def request(**overrides) -> dict:
    fields = {"applicant": "UAB „Vilniaus ekspedicija“", "eori": "LT300111222", "phone": "+37052100000",
              "systems": ["MDAS"], "period_from": "2026-12-03T09:00:00+02:00",
              "period_to": "2026-12-03T18:00:00+02:00", "customs_offices": ["LTVR1000"],
              "reasons": OBJECTIVE_REASON, "reply_email": ["muitine@vekspedicija.lt"], "reply_fax": []}
    fields.update(overrides)
    return fields


def continuity(fields=None, missing=(), *, received=vln(2026, 12, 3, 8, 30), consents=(), outages=()):
    return decide_continuity(fields if fields is not None else request(), list(missing), received_at=received,
                             consents=list(consents), outages=list(outages), reasons=REASONS)


def consent(number: str, issued: datetime, eori: str = "LT300111222", hours: int = 6) -> ConsentRecord:
    return ConsentRecord(number=number, eori=eori, issued_at=issued, period_from=issued,
                         period_to=issued + timedelta(hours=hours), offices=("LTVR1000",))


# ------------------------------------------------------------------------------------- consent period


def test_long_period_is_cut_to_two_working_days_and_cites_14():
    # corpus c06: received Thu 3 Dec 08:30, asks 3 Dec 09:00 → 9 Dec 18:00.
    d = continuity(request(period_to="2026-12-09T18:00:00+02:00"))
    assert (d.outcome, d.rules) == ("consent", ("1B-1029:14",))
    assert (d.period_from, d.period_to) == (vln(2026, 12, 3, 9), vln(2026, 12, 7, 9))
    assert any("14 punktas" in m for m in d.motives)


def test_period_ending_exactly_at_the_limit_is_granted_as_asked_without_citing_14():
    d = continuity(request(period_to="2026-12-07T09:00:00+02:00"))
    assert (d.outcome, d.rules, d.period_to) == ("consent", (), vln(2026, 12, 7, 9))
    assert d.motives == ()


def test_period_one_minute_past_the_limit_is_shortened_and_cites_14():
    d = continuity(request(period_to="2026-12-07T09:01:00+02:00"))
    assert (d.outcome, d.rules, d.period_to) == ("consent", ("1B-1029:14",), vln(2026, 12, 7, 9))


def test_limit_skips_christmas_holidays():
    d = continuity(request(period_from="2026-12-23T10:00:00+02:00", period_to="2026-12-31T10:00:00+02:00"),
                   received=vln(2026, 12, 23, 9, 50))
    assert d.period_to == vln(2026, 12, 29, 10)  # 24-27 Dec skipped: Mon 28, Tue 29


def test_consent_never_starts_before_receipt():
    d = continuity(request(period_from="2026-12-03T06:00:00+02:00"), received=vln(2026, 12, 3, 8, 30))
    assert d.outcome == "consent"
    assert d.period_from == vln(2026, 12, 3, 8, 30)
    assert d.rules == ()
    assert any("nuo Prašymo gavimo" in m for m in d.motives)


def test_limit_counts_from_the_effective_start_not_the_asked_one():
    d = continuity(request(period_from="2026-12-02T06:00:00+02:00", period_to="2026-12-20T00:00:00+02:00"),
                   received=vln(2026, 12, 3, 8, 30))
    assert d.period_to == vln(2026, 12, 7, 8, 30)


def test_period_ending_before_receipt_is_refused_under_8_2_with_a_motive():
    d = continuity(request(period_from="2026-12-03T06:00:00+02:00", period_to="2026-12-03T08:00:00+02:00"))
    assert (d.outcome, d.rules) == ("refusal", ("1B-1029:8.2",))
    assert "8.2 papunktis" in d.motives[0] and "2026-12-03 08:30" in d.motives[0]


def test_period_ending_before_it_starts_is_refused_under_8_2():
    d = continuity(request(period_from="2026-12-03T18:00:00+02:00", period_to="2026-12-03T09:00:00+02:00"))
    assert (d.outcome, d.rules) == ("refusal", ("1B-1029:8.2",))
    assert "nėra vėlesnė" in d.motives[0]


def test_a_period_without_offset_is_vilnius_time():
    d = continuity(request(period_from="2026-12-03T09:00", period_to="2026-12-03T18:00"))
    assert (d.period_from, d.period_to) == (vln(2026, 12, 3, 9), vln(2026, 12, 3, 18))


# ------------------------------------------------------------------------------------- point 8 refusals


@pytest.mark.parametrize("item, blank, rule, words", [
    ("eori", {"eori": None}, "1B-1029:8.1", "EORI"),
    ("applicant", {"applicant": ""}, "1B-1029:8.1", "pavadinimas"),
    ("contact_name", {"contact_name": None}, "1B-1029:8.1", "asmens atstovą identifikuojantys duomenys"),
    ("period", {"period_from": None}, "1B-1029:8.2", "laiko tarpas"),
    ("period", {"period_to": None}, "1B-1029:8.2", "laiko tarpas"),
    ("reasons", {"reasons": None}, "1B-1029:8.3", "priežastys"),
])
def test_each_missing_point_8_item_is_refused_citing_its_point(item, blank, rule, words):
    d = continuity(request(**blank), [item])
    assert (d.outcome, d.rules) == ("refusal", (rule,))
    assert len(d.motives) == 1 and words in d.motives[0] and rule.split(":")[1] in d.motives[0]


def test_missing_items_cite_each_point_once_sorted():
    # corpus c07: no EORI and no period.
    d = continuity(request(eori=None, applicant=None, period_from=None, period_to=None),
                   ["period", "eori", "applicant"])
    assert (d.outcome, d.rules) == ("refusal", ("1B-1029:8.1", "1B-1029:8.2"))
    assert "asmens pavadinimas" in d.motives[0] and "EORI" in d.motives[0]


def test_a_request_naming_neither_eori_nor_a_representative_cites_8_1_once_naming_both():
    # corpus c23 lacks only the representative; 8.1 asks for the person and the person's representative.
    d = continuity(request(eori=None, contact_name=""), ["eori", "contact_name"])
    assert (d.outcome, d.rules) == ("refusal", ("1B-1029:8.1",))
    assert d.motives == ("Prašyme nenurodyti asmenį ir asmens atstovą identifikuojantys duomenys (asmens EORI "
                         "kodas, asmens atstovo (kontaktinio asmens) vardas ir pavardė), kuriuos privaloma nurodyti "
                         "(Muitinės veiklos tęstinumo taisyklių 8.1 papunktis).",)


def test_parser_reported_missing_item_refuses_even_if_a_field_has_a_value():
    assert continuity(request(), ["reasons"]).rules == ("1B-1029:8.3",)


def test_unreadable_period_is_refused_under_8_2_not_a_crash():
    d = continuity(request(period_to="kitą savaitę"))
    assert (d.outcome, d.rules) == ("refusal", ("1B-1029:8.2",))


def test_missing_items_take_precedence_over_not_objective_reasons():
    d = continuity(request(eori=None, reasons="deklarantė atostogauja"), ["eori"])
    assert d.rules == ("1B-1029:8.1",)


@pytest.mark.parametrize("missing, blank", [(["systems"], {"systems": []}),
                                            (["customs_offices"], {"customs_offices": []}),
                                            (["systems"], {})])
def test_no_system_or_no_office_goes_to_an_officer(missing, blank):
    d = continuity(request(**blank), missing)
    assert (d.outcome, d.rules) == ("review", ())
    assert d.note


# -------------------------------------------------------------------------------------------- outages


def test_failure_over_two_hours_covering_the_period_means_no_request_is_needed():
    d = continuity(outages=[Outage("MDAS", vln(2026, 12, 3, 6), vln(2026, 12, 3, 18))])
    assert (d.outcome, d.rules) == ("not_needed", ("1B-1029:20",))
    assert "20 punktas" in d.motives[0]


def test_open_ended_outage_covers():
    assert continuity(outages=[Outage("MDAS", vln(2026, 12, 3, 6), None)]).outcome == "not_needed"


@pytest.mark.parametrize("outage", [
    Outage("MDAS", vln(2026, 12, 3, 6), vln(2026, 12, 3, 17, 59)),   # ends a minute before the period does
    Outage("MDAS", vln(2026, 12, 3, 9, 1), None),                     # starts a minute after the period
    Outage("NTKS", vln(2026, 12, 3, 6), None),                        # another system
])
def test_outage_not_covering_the_period_leaves_the_request_to_the_other_rules(outage):
    assert continuity(outages=[outage]).outcome == "consent"


def test_outage_must_cover_every_requested_system():
    both = request(systems=["MDAS", "NTKS"])
    mdas = Outage("MDAS", vln(2026, 12, 3, 6), None)
    assert continuity(both, outages=[mdas]).outcome == "consent"
    d = continuity(both, outages=[mdas, Outage("NTKS", vln(2026, 12, 2), None)])
    assert (d.outcome, d.rules) == ("not_needed", ("1B-1029:20", "1B-1029:31"))


def test_outage_takes_precedence_over_not_objective_reasons():
    d = continuity(request(reasons="deklarantė atostogauja"), outages=[Outage("MDAS", vln(2026, 12, 3, 6), None)])
    assert d.outcome == "not_needed"


# Received 08:30: a failure that began 1 h 59 min before is decided as usual (19); 2 h 01 min: 20 (NTKS 31).
@pytest.mark.parametrize("system, began, outcome, rules", [
    ("MDAS", vln(2026, 12, 3, 6, 31), "consent", ()),
    ("MDAS", vln(2026, 12, 3, 6, 30), "consent", ()),                 # exactly 2 hours: not "ilgiau nei"
    ("MDAS", vln(2026, 12, 3, 6, 29), "not_needed", ("1B-1029:20",)),
    ("NTKS", vln(2026, 12, 3, 6, 31), "consent", ()),
    ("NTKS", vln(2026, 12, 3, 6, 29), "not_needed", ("1B-1029:31",)),
])
def test_an_unplanned_failure_needs_no_request_only_after_more_than_two_hours(system, began, outcome, rules):
    d = continuity(request(systems=[system]), outages=[Outage(system, began, None, kind="unplanned")])
    assert (d.outcome, d.rules) == (outcome, rules)


def test_a_planned_ntks_stop_over_two_hours_needs_no_consent_citing_31_and_32_not_20():
    stop = Outage("NTKS", vln(2026, 12, 3, 8), vln(2026, 12, 3, 19), kind="planned")
    d = continuity(request(systems=["NTKS"]), outages=[stop])
    assert (d.outcome, d.rules) == ("not_needed", ("1B-1029:31", "1B-1029:32"))
    assert "31 ir 32 punktai" in d.motives[0] and "20 punkt" not in d.motives[0]


# ---------------------------------------------------------------------------------------- reasons (12)


def test_not_objective_reasons_are_refused_citing_12():
    # corpus c08
    d = continuity(request(reasons="deklarantė atostogauja, o kitas darbuotojas nemoka naudotis programa"))
    assert (d.outcome, d.rules) == ("refusal", ("1B-1029:12",))
    assert "atostogauja" in d.motives[0] and "12 punktas" in d.motives[0]


def test_unclear_reasons_go_to_an_officer():
    # corpus c09
    d = continuity(request(reasons="Elektroninių duomenų mainų vykdyti negalime, nes dėl tam tikrų aplinkybių."))
    assert (d.outcome, d.rules) == ("review", ())


# ------------------------------------------------------------------------------- counting consents (12)


def test_four_earlier_consents_do_not_refuse_the_fifth():
    received = vln(2026, 12, 20, 8, 30)
    earlier = [consent(f"VTP-2026-00000{i}", received - timedelta(days=i * 5)) for i in range(1, 5)]
    d = continuity(request(period_from="2026-12-20T09:00:00+02:00", period_to="2026-12-20T15:00:00+02:00"),
                   received=received, consents=earlier)
    assert (d.outcome, d.rules) == ("consent", ())


def test_five_earlier_consents_refuse_the_sixth():
    received = vln(2026, 12, 20, 8, 30)
    earlier = [consent(f"VTP-2026-00000{i}", received - timedelta(days=i * 5)) for i in range(1, 6)]
    d = continuity(request(period_from="2026-12-20T09:00:00+02:00", period_to="2026-12-20T15:00:00+02:00"),
                   received=received, consents=earlier)
    assert (d.outcome, d.rules) == ("refusal", ("1B-1029:12",))
    assert "5" in d.motives[0] and "daugiau kaip 4" in d.motives[0]


@pytest.mark.parametrize("offset, refused", [
    (timedelta(days=30), True),                          # exactly 30 calendar days before receipt: counted
    (timedelta(days=30) - timedelta(minutes=1), True),   # inside the window
    (timedelta(days=30) + timedelta(minutes=1), False),  # one minute too early: not counted
])
def test_the_window_is_thirty_calendar_days_before_receipt(offset, refused):
    received = vln(2026, 12, 20, 8, 30)
    recent = [consent(f"VTP-2026-00000{i}", received - timedelta(days=i)) for i in range(1, 5)]
    edge = consent("VTP-2026-000009", received - offset)
    d = continuity(request(period_from="2026-12-20T09:00:00+02:00", period_to="2026-12-20T15:00:00+02:00"),
                   received=received, consents=recent + [edge])
    assert (d.outcome == "refusal") is refused


def spring_request() -> dict:
    return request(period_from="2027-03-31T09:00:00+03:00", period_to="2027-03-31T17:00:00+03:00")


# Summer time starts on 28 March 2027 (03:00 → 04:00): 30 × 24 h before 31 March 08:50 (+03:00) is 1 March
# 07:50 (+02:00), the calendar reading is 1 March 08:50. Autumn (31 October 2027) moves the other way.
@pytest.mark.parametrize("received, edge, refused", [
    (vln(2027, 3, 31, 8, 50), vln(2027, 3, 1, 8, 50), True),     # the same wall-clock time: on the boundary
    (vln(2027, 3, 31, 8, 50), vln(2027, 3, 1, 8, 49), False),    # a minute before it
    (vln(2027, 3, 31, 8, 50), vln(2027, 3, 1, 8, 1), False),     # inside 30 × 24 h, outside 30 calendar days
    (vln(2027, 11, 20, 8, 30), vln(2027, 10, 21, 8, 30), True),  # autumn: on the boundary
    (vln(2027, 11, 20, 8, 30), vln(2027, 10, 21, 9, 0), True),   # outside 30 × 24 h, inside 30 calendar days
    (vln(2027, 11, 20, 8, 30), vln(2027, 10, 21, 8, 29), False),
])
def test_the_window_is_counted_on_the_vilnius_calendar_across_summer_time(received, edge, refused):
    recent = [consent(f"VTP-2027-00001{i}", received - timedelta(days=i)) for i in range(1, 5)]
    fields = request(period_from=received.isoformat(), period_to=(received + timedelta(hours=6)).isoformat())
    d = continuity(fields, received=received, consents=recent + [consent("VTP-2027-000001", edge)])
    assert (d.outcome, d.rules) == (("refusal", ("1B-1029:12",)) if refused else ("consent", ()))


def test_the_sixth_request_after_summer_time_starts_is_granted_like_the_corpus():
    # corpus c32-dst: consents on 1-5 March 2027 (08:01-08:21, +02:00); the request on 31 March 08:50 (+03:00)
    # has only four of them in its 30 calendar days.
    issued = [consent(f"VTP-2027-00000{n}", vln(2027, 3, n, 8, 1 + 5 * (n - 1)), eori="LT303877264")
              for n in range(1, 6)]
    d = continuity(spring_request() | {"eori": "LT303877264"}, received=vln(2027, 3, 31, 8, 50), consents=issued)
    assert (d.outcome, d.rules) == ("consent", ())


def test_a_refusal_on_the_count_states_when_a_new_request_can_succeed():
    received = vln(2026, 12, 20, 8, 30)
    earlier = [consent(f"VTP-2026-00000{i}", received - timedelta(days=i * 5, seconds=-20)) for i in range(1, 6)]
    d = continuity(request(period_from="2026-12-20T09:00:00+02:00", period_to="2026-12-20T15:00:00+02:00"),
                   received=received, consents=earlier)
    assert (d.outcome, d.rules) == ("refusal", ("1B-1029:12",))
    # The oldest (25 November 08:30:20) leaves the window after 25 December 08:30:20.
    assert "ne anksčiau kaip 2026-12-25 08:31 (Vilniaus laiku)" in d.motives[0]
    assert "VTP-2026-000005" in d.motives[0] and "2026-12-25 08:31" in d.note


@settings(max_examples=150, deadline=None)
@given(received=instants, ages=st.lists(st.integers(0, 30 * 24 * 60 - 1), min_size=5, max_size=9))
@example(received=datetime(2025, 4, 1, 2, 0, 1, tzinfo=timezone.utc), ages=[0, 0, 0, 0, 43140])
def test_a_request_at_the_stated_time_is_not_refused_on_the_count_and_a_minute_earlier_is(received, ages):
    # Consents issued within the 30 calendar days before `received` (minutes back on the Vilnius calendar).
    since = calendar_days_after(received, -30)
    earlier = [consent(f"VTP-2026-{i:06d}", max(since, received - timedelta(minutes=age) - timedelta(seconds=1)))
               for i, age in enumerate(ages, start=1)]
    # At night on a switch of summer time a wall-clock time 30 days away may not exist or occur twice; the
    # law's reading has no exact answer there, and nobody is refused on it.
    assume(all(not 2 <= moment.astimezone(VILNIUS).hour < 5 for moment in [received, *(c.issued_at for c in earlier)]))
    fields = request(period_from=received.isoformat(), period_to=(received + timedelta(hours=6)).isoformat())
    first = continuity(fields, received=received, consents=earlier)
    assert (first.outcome, first.rules) == ("refusal", ("1B-1029:12",))
    retry = parse_retry(first.motives[0])
    assert retry > received

    def count_refuses(at: datetime) -> bool:
        return len(consents_in_window("LT300111222", at, earlier)) > 4

    # A minute before the stated time still refuses; when that minute falls before the request itself (the
    # stated time is rounded up to the minute), the request's own moment is the earlier time that must refuse.
    assert not count_refuses(retry) and count_refuses(max(received, retry - timedelta(minutes=1)))


def parse_retry(motive: str) -> datetime:
    stamp = motive.split("ne anksčiau kaip ", 1)[1][:16]
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M").replace(tzinfo=VILNIUS)


def test_only_consents_issued_before_receipt_and_to_the_same_eori_count():
    received = vln(2026, 12, 20, 8, 30)
    recent = [consent(f"VTP-2026-00000{i}", received - timedelta(days=i), eori="LT 300 111 222") for i in range(1, 5)]
    others = [consent("VTP-2026-000010", received), consent("VTP-2026-000011", received - timedelta(hours=1),
                                                            eori="LT999999999")]
    d = continuity(request(period_from="2026-12-20T09:00:00+02:00", period_to="2026-12-20T15:00:00+02:00"),
                   received=received, consents=recent + others)
    assert d.outcome == "consent"
    assert continuity(request(period_from="2026-12-20T09:00:00+02:00", period_to="2026-12-20T15:00:00+02:00"),
                      received=received, consents=recent + [replace(others[1], eori="lt300111222")]
                      ).outcome == "refusal"


def test_limit_sequence_like_the_corpus_refuses_the_sixth_request():
    # corpus c18: requests on 1, 5, 9, 14, 18 Dec are granted, the one on 22 Dec is refused.
    issued: list[ConsentRecord] = []
    outcomes = []
    for n, day in enumerate((1, 5, 9, 14, 18, 22), start=1):
        received = vln(2026, 12, day, 8)
        d = continuity(request(eori="LT302777111", period_from=f"2026-12-{day:02d}T09:00:00+02:00",
                               period_to=f"2026-12-{day:02d}T15:00:00+02:00"), received=received, consents=issued)
        outcomes.append((d.outcome, d.rules))
        if d.outcome == "consent":
            issued.append(ConsentRecord(f"VTP-2026-{n:06d}", "LT302777111", received, d.period_from, d.period_to,
                                        ("LTVR3000",)))
    assert outcomes == [("consent", ())] * 5 + [("refusal", ("1B-1029:12",))]


def test_naive_receipt_time_is_a_clear_error():
    with pytest.raises(ValueError, match="received_at"):
        continuity(received=datetime(2026, 12, 3, 8, 30))


# --------------------------------------------------------------------------------------- properties



@settings(max_examples=200, deadline=None)
@given(received=instants, start_shift=st.integers(-3000, 6000), length=st.integers(1, 20000))
def test_consent_period_properties(received, start_shift, length):
    asked_from = received + timedelta(minutes=start_shift)
    asked_to = asked_from + timedelta(minutes=length)
    fields = request(period_from=asked_from.astimezone(VILNIUS).isoformat(),
                     period_to=asked_to.astimezone(VILNIUS).isoformat())
    d = continuity(fields, received=received)
    assert d == continuity(fields, received=received)  # deterministic
    if d.outcome == "consent":
        assert d.period_from >= received
        assert d.period_from >= asked_from
        assert d.period_to <= asked_to
        assert d.period_to <= working_days_after(d.period_from, 2)
        assert d.period_to > d.period_from
        assert (d.rules == ("1B-1029:14",)) == (asked_to > working_days_after(d.period_from, 2))
    else:
        assert (d.outcome, d.rules) == ("refusal", ("1B-1029:8.2",))
        assert asked_to <= received


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=80), extra=st.sampled_from(["", " sugedo serveris", " darbuotoja serga"]))
def test_reason_classification_never_crashes_and_ignores_case_and_diacritics(text, extra):
    reason = text + extra
    verdict = classify_reasons(reason, REASONS)
    assert verdict in {"objective", "not_objective", "unclear"}
    assert classify_reasons(fold_nfkd(reason), REASONS) == verdict
    assert classify_reasons(reason.upper(), REASONS) == classify_reasons(reason.upper().lower(), REASONS)


# ------------------------------------------------------------------------------------------ reason lists


@pytest.mark.parametrize("text", [
    "sugedo serveris, kuriame veikia mūsų deklaravimo programa",
    "serverio diskų masyvo gedimas, laukiame naujų diskų",
    "vėl nutrūko interneto ryšys (tiekėjo gedimas Nr. 56001)",
    "NUTRUKO INTERNETO RYSYS",                                  # no diacritics, upper case
    "elektros tiekimo sutrikimas biure",
    "dingo elektra visame pastate",
    "kibernetinė ataka, serveriai užšifruoti",
    "neveikia deklaravimo programa po atnaujinimo",
    "nėra interneto nuo ryto",
    # corpus c19: negated verbs of functioning, no failure noun at all
    "nuo ryto nedirba mūsų deklaravimo programa – nepavyksta prisijungti prie MDAS.",
    "išpirkos viruso užšifruoti serveriai dar neatkurti, tranzito deklaracijų sistema tebeneveikia.",
])
def test_objective_reasons(text):
    assert classify_reasons(text, REASONS) == "objective"


@pytest.mark.parametrize("text", [
    "deklarantė atostogauja",
    "darbuotoja serga",
    "Darbuotoja susirgo, kito nėra",
    "naujas darbuotojas nemoka naudotis programa",
    "pamiršome elektroninio parašo slaptažodį",
    "pamirsome slaptazodi",                                     # no diacritics
    "neturime laiko pildyti elektroninių deklaracijų",
    "popieriumi mums patogiau",
    "deklarantė šiandien nedirba",                              # "nedirba" about a person: away
    "šiandien nedirbame, todėl prašome sutikimo",
    "elektroninis deklaravimas mums per brangiai kainuoja",
])
def test_not_objective_reasons(text):
    assert classify_reasons(text, REASONS) == "not_objective"


@pytest.mark.parametrize("text", [
    None, "", "   ",
    "Elektroninių duomenų mainų vykdyti negalime, nes dėl tam tikrų aplinkybių.",
    "dėl vidinių priežasčių",
    "Sugedo serveris, o IT specialistas atostogauja",            # both: an officer weighs it
    "pamiršome slaptažodį, todėl programa neveikia",            # both, however many words each side has
    "deklarantė serga ir nedirba, o serveris sugedo",
])
def test_unclear_reasons(text):
    assert classify_reasons(text, REASONS) == "unclear"


# Phrasings of an ordinary technical failure: a thing, a negated verb of functioning or a failure word, some
# context; written with or without diacritics, in any case.
THINGS = ["mūsų deklaravimo programa", "serveris", "kompiuteris", "internetas", "interneto ryšys",
          "deklaravimo sistema", "muitinės deklaracijų programa", "tranzito modulis", "MDAS klientas",
          "verslininko portalas"]
NEGATED = ["neveikia", "nebeveikia", "tebeneveikia", "nedirba", "nebedirba", "nepasileidžia", "neįsijungia",
           "nesijungia", "neprisijungia prie MDAS", "neatsidaro", "nereaguoja", "neužsikrauna", "nefunkcionuoja",
           "neveikė visą naktį", "nepriima deklaracijų", "nesiunčia duomenų"]
CANNOT = ["nepavyksta prisijungti prie MDAS", "negalime prisijungti prie serverio", "negaliu prisijungti",
          "nepavyko išsiųsti deklaracijų", "neprisijungiame prie sistemos"]
BROKEN = ["sugedo serveris", "sugedęs kompiuteris", "serverio gedimas", "nutrūko interneto ryšys",
          "dingo elektra", "elektros tiekimo sutrikimas", "programa užstrigo", "rodoma klaida jungiantis",
          "įvyko kibernetinė ataka", "ryšio tiekėjo gedimas", "po atnaujinimo programa išsijungė",
          "sutriko duomenų bazė", "įtampos šuolis sugadino maitinimo bloką"]
CONTEXT = ["", "Nuo ryto ", "Jau antrą valandą ", "Šiandien 7:40 ", "Po programinės įrangos atnaujinimo "]


def plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def spelled(draw, text: str) -> str:
    """`text` as someone might type it: with or without diacritics, in lower, upper or sentence case."""
    text = draw(st.sampled_from([text, plain(text)]))
    return draw(st.sampled_from([text, text.upper(), text[:1].upper() + text[1:]]))


@st.composite
def failures(draw) -> str:
    kind = draw(st.sampled_from(["negated", "negated_first", "cannot", "broken"]))
    if kind == "negated":
        text = f"{draw(st.sampled_from(THINGS))} {draw(st.sampled_from(NEGATED))}"
    elif kind == "negated_first":
        text = f"{draw(st.sampled_from(NEGATED))} {draw(st.sampled_from(THINGS))}"
    else:
        text = draw(st.sampled_from(CANNOT if kind == "cannot" else BROKEN))
    tail = draw(st.sampled_from(["", ".", ", todėl negalime vykdyti elektroninių duomenų mainų.",
                                 " – laukiame IT paslaugų tiekėjo."]))
    return spelled(draw, draw(st.sampled_from(CONTEXT)) + text + tail)


PEOPLE = ["deklarantė", "vienintelis mūsų deklarantas", "buhalterė", "muitinės tarpininkė", "darbuotojas",
          "IT specialistas"]
AWAY = ["atostogauja", "serga", "susirgo", "yra komandiruotėje", "išvyko", "nedirba", "šiandien nedirba",
        "nemoka naudotis programa", "nėra apmokytas", "neturi įgūdžių pildyti deklaracijas",
        "pamiršo slaptažodį", "pametė elektroninio parašo kortelę", "neturi laiko", "nespėja"]
CHOICE = ["popieriumi mums patogiau", "paprasčiau deklaruoti popieriuje", "nenorime mokėti už licenciją",
          "elektroninis deklaravimas per brangus", "programos licencija per brangiai kainuoja",
          "šiandien nedirbame", "nėra kam pildyti deklaracijų", "trūksta darbuotojų"]


@st.composite
def personal_reasons(draw) -> str:
    if draw(st.booleans()):
        text = f"{draw(st.sampled_from(PEOPLE))} {draw(st.sampled_from(AWAY))}"
    else:
        text = draw(st.sampled_from(CHOICE))
    tail = draw(st.sampled_from(["", ".", ", todėl negalime teikti elektroninių deklaracijų."]))
    return spelled(draw, text + tail)


@settings(max_examples=300, deadline=None)
@given(reason=failures())
def test_any_phrasing_of_a_technical_failure_is_objective(reason):
    assert classify_reasons(reason, REASONS) == "objective"


@settings(max_examples=300, deadline=None)
@given(reason=personal_reasons())
def test_any_phrasing_of_staff_skills_preference_or_cost_is_not_objective(reason):
    assert classify_reasons(reason, REASONS) == "not_objective"


@settings(max_examples=200, deadline=None)
@given(failure=failures(), personal=personal_reasons(), joint=st.sampled_from([", o ", "; be to, ", ". Be to, "]))
def test_a_failure_together_with_a_personal_reason_goes_to_an_officer(failure, personal, joint):
    assert classify_reasons(failure + joint + personal, REASONS) == "unclear"
    assert classify_reasons(personal + joint + failure, REASONS) == "unclear"


def test_a_negated_verb_is_a_failure_only_through_the_lists_not_through_any_negation():
    lists = ReasonLists(objective=(), not_objective=("nemok",), functioning=("veik",))
    assert classify_reasons("programa neveikia", lists) == "objective"
    assert classify_reasons("darbuotoja nemoka", lists) == "not_objective"   # a negation, but not a failure
    assert classify_reasons("mes nenorime", lists) == "unclear"              # a negation of nothing listed


def test_stems_match_only_at_the_start_of_a_word():
    lists = ReasonLists(objective=("veik",), not_objective=("serg",))
    assert classify_reasons("neveikia", lists) == "unclear"
    assert classify_reasons("apsergėti", lists) == "unclear"
    assert classify_reasons("Sergame", lists) == "not_objective"


def test_reason_lists_load_from_toml(tmp_path):
    path = tmp_path / "reasons.toml"
    path.write_text('objective = ["sugedo", "gedim"]\nnot_objective = ["atostog"]\n', encoding="utf-8")
    lists = ReasonLists.load(path)
    assert lists == ReasonLists(objective=("sugedo", "gedim"), not_objective=("atostog",))
    assert classify_reasons("Atostogos", lists) == "not_objective"


@pytest.mark.parametrize("content, message", [
    ('objective = ["sugedo"]\n', "not_objective"),
    ('objective = "sugedo"\nnot_objective = []\n', "objective"),
    ('objective = ["ab"]\nnot_objective = []\n', "shorter"),
    ("objective = [\n", "not valid TOML"),
    ('objective = []\nnot_objective = []\nfunctioning = "veik"\n', "functioning must be a list"),
    ('objective = []\nnot_objective = []\npeople = ["as"]\n', "people: stems shorter"),
])
def test_bad_reason_lists_give_a_clear_error(tmp_path, content, message):
    path = tmp_path / "reasons.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ReasonListError, match=message):
        ReasonLists.load(path)


def test_missing_reason_list_file_gives_a_clear_error(tmp_path):
    with pytest.raises(ReasonListError, match="cannot read"):
        ReasonLists.load(tmp_path / "nope.toml")


def test_shipped_lists_have_both_forms_of_stems():
    assert {"nutrūk", "nutruk", "pamirš", "pamirs", "atostog", "serg", "nemok", "gedim"} <= \
        set(REASONS.objective) | set(REASONS.not_objective)


# ------------------------------------------------------------------------------------------ early recovery

RUNNING = ConsentRecord("VTP-2026-000001", "LT302345671", vln(2026, 11, 23, 8, 41), vln(2026, 11, 23, 9),
                        vln(2026, 11, 23, 18), ("LTVR1000",), requested_by="Ona Deklarantė <ona@prekyba.lt>")
FREE_MAIL = ("gmail.com", "inbox.lt")


def recovery(fields, received=vln(2026, 11, 23, 13, 10), consents=(RUNNING,), sender="it@prekyba.lt",
             registered_for=()):
    return decide_early_recovery(fields, received_at=received, consents=list(consents), sender=sender,
                                 free_mail=FREE_MAIL, registered_for=registered_for)


def test_early_recovery_ends_the_consent_when_systems_work_again():
    # corpus c14
    d = recovery({"consent_no": "VTP-2026-000001", "resumed_at": "2026-11-23T13:00:00+02:00"})
    assert (d.outcome, d.rules, d.consent_no) == ("ended_early", ("1B-1029:16",), "VTP-2026-000001")
    assert d.period_to == vln(2026, 11, 23, 13)
    assert "VTP-2026-000001" in d.motives[0] and "16 punktas" in d.motives[0]


def test_without_a_resumption_time_the_receipt_time_is_used():
    d = recovery({"consent_no": "vtp-2026-000001", "resumed_at": None})
    assert d.period_to == vln(2026, 11, 23, 13, 10)


@pytest.mark.parametrize("resumed, ended", [
    ("2026-11-23T07:00:00+02:00", vln(2026, 11, 23, 9)),    # before the consent began: its start
    ("2026-11-23T20:00:00+02:00", vln(2026, 11, 23, 18)),   # after it ends: its end
])
def test_end_is_clamped_to_the_consent(resumed, ended):
    assert recovery({"consent_no": "VTP-2026-000001", "resumed_at": resumed}).period_to == ended


@pytest.mark.parametrize("fields, consents, received", [
    ({"consent_no": "VTP-2026-000099"}, (RUNNING,), vln(2026, 11, 23, 13, 10)),                 # unknown
    ({"consent_no": None}, (replace(RUNNING, eori="LT300000017", requested_by="x@kitas.lt"),),
     vln(2026, 11, 23, 13, 10)),                                            # none named, none of the sender's
    ({"consent_no": "VTP-2026-000001"}, (replace(RUNNING, ended_at=vln(2026, 11, 23, 12)),),
     vln(2026, 11, 23, 13, 10)),                                                                # already ended
    ({"consent_no": "VTP-2026-000001"}, (RUNNING,), vln(2026, 11, 23, 18)),                     # expired
    ({"consent_no": "VTP-2026-000001", "eori": "LT999999999"}, (RUNNING,), vln(2026, 11, 23, 13)),  # not theirs
])
def test_early_recovery_that_cannot_be_applied_goes_to_an_officer(fields, consents, received):
    d = recovery(fields, received=received, consents=consents)
    assert (d.outcome, d.rules) == ("review", ())
    assert d.note


NUMBERED = {"consent_no": "VTP-2026-000001", "resumed_at": "2026-11-23T13:00:00+02:00"}
ON_GMAIL = replace(RUNNING, requested_by="prekyba.lt@gmail.com")


@pytest.mark.parametrize("sender, consent, registered_for", [
    ("it@prekyba.lt", RUNNING, ()),                                   # another address of the same domain
    ("Ona Deklarantė <ONA@prekyba.lt>", RUNNING, ()),                 # the very address, in another case
    ("prekyba.lt@gmail.com", ON_GMAIL, ()),                           # a public mail service: the same address
    ("muitine@agentas.lt", RUNNING, ("LT302345671",)),                # registered for the consent's EORI
])
def test_the_consents_holder_may_end_it_early(sender, consent, registered_for):
    d = recovery(NUMBERED, consents=(consent,), sender=sender, registered_for=registered_for)
    assert (d.outcome, d.consent_no, d.period_to) == ("ended_early", "VTP-2026-000001", vln(2026, 11, 23, 13))


@pytest.mark.parametrize("sender, consent, registered_for", [
    ("anyone@kitas.lt", RUNNING, ()),                                 # a forged notice from another domain
    ("it@prekyba.lt.kitas.lt", RUNNING, ()),                          # a look-alike domain
    ("kitas.zmogus@gmail.com", ON_GMAIL, ()),                         # another address on the same service
    ("anyone@kitas.lt", RUNNING, ("LT999999999",)),                   # registered, but for another EORI
    ("", RUNNING, ()),                                                # no sender at all
])
def test_a_notice_from_anyone_else_goes_to_an_officer(sender, consent, registered_for):
    d = recovery(NUMBERED, consents=(consent,), sender=sender, registered_for=registered_for)
    assert (d.outcome, d.rules, d.period_to) == ("review", (), None)
    assert "VTP-2026-000001" in d.note and "1B-1029:16" in d.note


def verdict(**methods) -> dict:
    return {"authserv_id": "mail.lrmuitine.lt", "domain": "prekyba.lt", "dmarc": "none", "dkim": "none",
            "spf": "none", **methods}


@pytest.mark.parametrize("authentication", [verdict(dmarc="fail", dkim="pass", spf="pass"),
                                            verdict(dkim="fail", spf="fail")])
def test_a_holders_notice_whose_from_our_server_found_forged_goes_to_an_officer(authentication):
    d = decide_early_recovery(NUMBERED, received_at=vln(2026, 11, 23, 13, 10), consents=[RUNNING],
                              sender="it@prekyba.lt", free_mail=FREE_MAIL, authentication=authentication)
    assert (d.outcome, d.rules, d.period_to, d.consent_no) == ("review", (), None, "VTP-2026-000001")
    assert "prekyba.lt fails" in d.note and "1B-1029:16" in d.note


@pytest.mark.parametrize("authentication", [None, {}, verdict(), verdict(dmarc="pass", dkim="fail", spf="fail"),
                                            verdict(dkim="fail"), verdict(dmarc="pass")])
def test_a_holders_notice_without_a_failed_check_ends_the_consent(authentication):
    d = decide_early_recovery(NUMBERED, received_at=vln(2026, 11, 23, 13, 10), consents=[RUNNING],
                              sender="it@prekyba.lt", free_mail=FREE_MAIL, authentication=authentication)
    assert d.outcome == "ended_early"


OTHER = ConsentRecord("VTP-2026-000002", "LT300000017", vln(2026, 11, 23, 7), vln(2026, 11, 23, 7),
                      vln(2026, 11, 23, 17), ("LTKA5000",), requested_by="vadovas@kitas.lt")
ENDED = replace(RUNNING, number="VTP-2026-000003", ended_at=vln(2026, 11, 23, 11))
NEXT = replace(RUNNING, number="VTP-2026-000004", period_from=vln(2026, 11, 23, 18), period_to=vln(2026, 11, 24, 18))


@pytest.mark.parametrize("fields, consents", [
    ({"eori": "LT302345671"}, (OTHER, ENDED, RUNNING)),               # by the EORI the notice gives
    ({"eori": "lt 302 345 671"}, (RUNNING, OTHER)),
    ({}, (OTHER, RUNNING)),                                           # by the sender's domain
    ({"eori": "LT302345671"}, (RUNNING, NEXT)),                       # the running one, not the next one
])
def test_without_a_number_the_consent_in_force_is_found(fields, consents):
    d = recovery({"consent_no": None, "resumed_at": "2026-11-23T13:00:00+02:00", **fields}, consents=consents)
    assert (d.outcome, d.consent_no, d.rules) == ("ended_early", "VTP-2026-000001", ("1B-1029:16",))


@pytest.mark.parametrize("fields, consents, sender", [
    ({"eori": "LT302345671"}, (RUNNING, replace(RUNNING, number="VTP-2026-000005", offices=("LTKA5000",))),
     "it@prekyba.lt"),                                                # two running for one EORI: which one?
    ({"eori": "LT302345671"}, (OTHER, ENDED), "it@prekyba.lt"),       # none in force
    ({}, (RUNNING,), "anyone@kitas.lt"),                              # nothing in force for this sender
    ({"eori": "LT300000017"}, (RUNNING, OTHER), "it@prekyba.lt"),     # the EORI's consent, someone else's notice
])
def test_without_a_number_doubt_goes_to_an_officer(fields, consents, sender):
    d = recovery({"consent_no": None, **fields}, consents=consents, sender=sender)
    assert (d.outcome, d.rules, d.period_to) == ("review", (), None)
    assert d.note


# ------------------------------------------------------------------------------------------------- AFIS

AFIS_RECEIVED = vln(2026, 12, 1, 14, 20)


def afis_fields(**overrides) -> dict:
    fields = {"institution": "Kauno teritorinė muitinė", "officer_position": "vyresnysis inspektorius",
              "officer_name": "Mindaugas Rimkus", "officer_phone": "+37037301111",
              "officer_email": "mindaugas.rimkus@lrmuitine.lt", "access_type": "Internet/Secure Web",
              "modules": ["CIS (EU)", "AFIS paštas"], "afis_mailbox": None,
              "purposes": "sulaikytų prekių duomenų įvedimas į CIS+"}
    fields.update(overrides)
    return fields


INSTITUTIONS = Institutions((Institution("Lietuvos Respublikos muitinė", ("lrmuitine.lt",)),
                             Institution("Finansinių nusikaltimų tyrimo tarnyba", ("fntt.lt",))))
FREE_MAIL = ("gmail.com", "inbox.lt")


def afis(fields=None, missing=(), sender="ruta.vale@lrmuitine.lt", days=5):
    return decide_afis_access(fields if fields is not None else afis_fields(), list(missing), sender=sender,
                              institutions=INSTITUTIONS, free_mail=FREE_MAIL, received_at=AFIS_RECEIVED,
                              correction_days=days)


def test_complete_afis_request_is_forwarded_to_the_liaison_officer():
    d = afis()
    assert (d.outcome, d.rules, d.deadline) == ("forwarded", (), None)


def test_a_request_for_an_officer_of_another_institution_from_its_own_domain_is_forwarded():
    # corpus c27: FNTT's head of unit asks for his officer from fntt.lt.
    d = afis(afis_fields(institution="Finansinių nusikaltimų tyrimo tarnyba", officer_email="ingrida@fntt.lt"),
             sender="Andrius Žemaitis <andrius.zemaitis@fntt.lt>")
    assert (d.outcome, d.rules) == ("forwarded", ())


def test_a_request_sent_from_one_institution_for_an_officer_of_another_goes_to_an_officer():
    d = afis(afis_fields(officer_email="ingrida@fntt.lt"), sender="ruta.vale@lrmuitine.lt")
    assert (d.outcome, d.rules) == ("review", ())


@pytest.mark.parametrize("field, rule, words", [
    ("institution", "1B-280:7.1", "institucijos pavadinimas"),
    ("officer_position", "1B-280:7.2", "pareigos"),
    ("officer_name", "1B-280:7.2", "vardas ir pavardė"),
    ("officer_phone", "1B-280:7.2", "telefono numeris"),
    ("officer_email", "1B-280:7.2", "el. pašto adresas"),
    ("access_type", "1B-280:7.3", "prieigos tipas"),
    ("modules", "1B-280:7.4", "moduliai"),
    ("purposes", "1B-280:7.6", "tikslai"),
])
def test_each_missing_afis_item_returns_the_request_citing_its_point(field, rule, words):
    d = afis(afis_fields(**{field: [] if field == "modules" else None}), [field])
    assert (d.outcome, d.rules) == ("returned", (rule,))
    assert words in d.motives[0] and rule.split(":")[1] in d.motives[0]
    assert d.deadline == working_deadline(AFIS_RECEIVED, 5) == datetime(2026, 12, 8, 23, 59, 59, tzinfo=VILNIUS)


def test_afis_mailbox_is_required_only_when_the_parser_says_so():
    assert afis(afis_fields(afis_mailbox=None), []).outcome == "forwarded"
    d = afis(afis_fields(afis_mailbox=None), ["afis_mailbox"])
    assert (d.outcome, d.rules) == ("returned", ("1B-280:7.5",))


def test_incomplete_afis_request_cites_every_point_sorted_with_the_configured_deadline():
    # corpus c13: no access type, no purposes.
    d = afis(afis_fields(access_type=None, purposes=""), ["access_type", "purposes"], days=3)
    assert (d.outcome, d.rules) == ("returned", ("1B-280:7.3", "1B-280:7.6"))
    assert len(d.motives) == 2
    assert d.deadline == datetime(2026, 12, 4, 23, 59, 59, tzinfo=VILNIUS)


def test_unknown_access_type_or_module_is_a_deficiency():
    assert afis(afis_fields(access_type="VPN")).rules == ("1B-280:7.3",)
    d = afis(afis_fields(modules=["CIS (EU)", "Facebook"]))
    assert d.rules == ("1B-280:7.4",) and "Facebook" in d.motives[0]


@pytest.mark.parametrize("sender", ["ruta.vale@gmail.com", "Rūta <RUTA@INBOX.LT>"])
def test_afis_request_from_a_public_mail_service_is_returned_citing_8(sender):
    d = afis(sender=sender)
    assert (d.outcome, d.rules) == ("returned", ("1B-280:8",))
    assert "8 punktas" in d.motives[0] and "viešosios el. pašto paslaugos" in d.motives[0]


@pytest.mark.parametrize("sender", ["ruta@lrmuitine.lt.example.com", "ruta@xlrmuitine.lt", "vadovas@uab-afis.lt", ""])
def test_afis_request_from_a_domain_not_on_the_institutions_list_goes_to_an_officer(sender):
    d = afis(sender=sender)
    assert (d.outcome, d.rules) == ("review", ())
    assert "not a mailbox of an institution" in d.note


def test_subdomain_of_an_institution_and_display_names_are_accepted():
    assert afis(sender="Rūta Valė <Ruta.Vale@VTM.lrmuitine.lt>").outcome == "forwarded"


def test_afis_request_sent_by_the_officer_it_names_is_returned_citing_8():
    d = afis(sender="Mindaugas Rimkus <MINDAUGAS.RIMKUS@lrmuitine.lt>")
    assert (d.outcome, d.rules) == ("returned", ("1B-280:8",))
    assert "pats pareigūnas" in d.motives[0]


def test_sender_and_item_deficiencies_are_returned_together():
    d = afis(afis_fields(purposes=None), ["purposes"], sender="x@gmail.com")
    assert d.rules == ("1B-280:7.6", "1B-280:8")


def test_ims_modules_go_to_an_officer_citing_13():
    # corpus c28: only IMS, complete otherwise. The liaison officer gives only the CCN/CSI login (13).
    d = afis(afis_fields(modules=["IMS"], access_type="CCN/CSI"))
    assert (d.outcome, d.rules, d.deadline) == ("review", ("1B-280:13",), None)
    assert "Finansų ministerijos" in d.motives[0] and "13 punktas" in d.motives[0]


def test_ims_next_to_other_modules_is_explained_and_reviewed():
    d = afis(afis_fields(modules=["CIS (EU)", "IMS (ECR)"]))
    assert (d.outcome, d.rules) == ("review", ("1B-280:13",))
    assert "IMS (ECR)" in d.motives[0]


def test_ims_with_other_deficiencies_returns_both():
    d = afis(afis_fields(modules=["IMS"], purposes=None), ["purposes"])
    assert (d.outcome, d.rules) == ("returned", ("1B-280:7.6", "1B-280:13"))
    assert d.deadline is not None


def change(fields, sender="vedeja@lrmuitine.lt", received=vln(2026, 12, 23, 10)):
    return decide_afis_change({"officer_email": "a@lrmuitine.lt", **fields}, sender=sender,
                              institutions=INSTITUTIONS, free_mail=FREE_MAIL, received_at=received)


@pytest.mark.parametrize("what, rule", [
    ("perkeliamas į Rizikos valdymo skyrių, reikia papildomai CIS (MS)", "1B-280:14"),
    ("atleidžiamas iš darbo nuo gruodžio 31 d.", "1B-280:15"),
    ("laikinai nušalintas nuo pareigų", "1B-280:15"),
])
def test_afis_change_from_the_supervisor_is_forwarded_to_the_liaison_officer(what, rule):
    d = change({"change": what})
    assert (d.outcome, d.rules, d.motives) == ("forwarded", (rule, "1B-280:16"), ())


def test_the_two_working_days_are_the_supervisors_for_the_notice():
    # Changed on Monday 21 Dec: the notice is due by the end of Wednesday 23 Dec (the 24th is a holiday).
    on_time = change({"change": "atleidžiamas", "changed_on": "2026-12-21"}, received=vln(2026, 12, 23, 16))
    assert on_time.deadline == datetime(2026, 12, 23, 23, 59, 59, tzinfo=VILNIUS)
    assert on_time.motives == () and "LATE" not in on_time.note
    late = change({"change": "atleidžiamas", "changed_on": "2026-12-21"}, received=vln(2026, 12, 28, 9))
    assert late.outcome == "forwarded" and "LATE" in late.note
    assert "vėliau nei per 2 darbo dienas" in late.motives[0] and "15 punktas" in late.motives[0]


def test_a_change_notice_without_a_date_has_no_notice_deadline():
    assert change({"change": "perkeliamas į kitas pareigas"}).deadline is None


@pytest.mark.parametrize("sender, words", [("a@lrmuitine.lt", "pats AFIS/CIS+ naudotojas"),
                                           ("vedeja@gmail.com", "viešosios el. pašto paslaugos")])
def test_a_change_notice_not_from_the_supervisor_is_returned(sender, words):
    d = change({"change": "atleidžiamas iš darbo"}, sender=sender)
    assert (d.outcome, d.rules) == ("returned", ("1B-280:15",))
    assert words in d.motives[0] and d.motives[0].startswith("Pranešim")


def test_a_change_notice_from_an_unknown_domain_goes_to_an_officer():
    assert change({"change": "atleidžiamas"}, sender="vedeja@example.com").outcome == "review"


def test_afis_decisions_accept_utc_receipt_times():
    # Changed on Friday 27 Nov: due by the end of Tuesday 1 Dec in Vilnius; 22:30 UTC is already Wednesday there.
    d = decide_afis_change({"change": "x", "changed_on": "2026-11-27"}, sender="v@lrmuitine.lt",
                           institutions=INSTITUTIONS, free_mail=(),
                           received_at=datetime(2026, 12, 1, 22, 30, tzinfo=timezone.utc))
    assert d.deadline == datetime(2026, 12, 1, 23, 59, 59, tzinfo=VILNIUS)
    assert "LATE" in d.note


# -- what a letter repeats and to how many (issue 12, item 8) ------------------------------------------------

def test_a_request_naming_more_addresses_than_the_cap_goes_to_an_officer():
    five = [f"a{i}@bkl.lt" for i in range(5)]
    assert continuity(request(reply_email=five)).outcome == "consent"
    got = continuity(request(reply_email=five, reply_fax=["+37052123456"]))
    assert got.outcome == "review" and "6 addresses" in got.note


@given(st.text(max_size=3000))
def test_the_reasons_a_letter_quotes_carry_no_link_and_are_short(text):
    words = quoted(text + " žr. https://evil.example/x?y=1 ir www.evil.example bei mallory@evil.example")
    assert len(words) <= QUOTE_LIMIT + 2
    assert "evil" not in words and "\n" not in words


def test_a_not_objective_refusal_quotes_the_reasons_without_their_link():
    got = continuity(request(reasons="deklarantė atostogauja, daugiau https://evil.example/pay"))
    assert got.outcome == "refusal" and "evil" not in " ".join(got.motives) and "atostogauja" in got.motives[0]
