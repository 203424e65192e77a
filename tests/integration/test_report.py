"""`itpc report --month`: the month's figures (ITPC division functions 2.11), from hand-made records at each
rule's boundary, as properties over arbitrary records, and end to end on a ledger built from the corpus."""
from __future__ import annotations

import csv
import io
import json
import shutil
import struct
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import click
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from itpc.chart import bar_chart
from itpc.monthly import KINDS, OUTCOMES, ReportError, month_report, percentile, report_csv, report_lines
from ledger import request_records as rr
from ledger.clock import VILNIUS, parse_instant
from tests import corpus_gaps
from tests.helpers import CORPUS, ROOT, corpus_receipt, itpc, make_config, poll_at

DEADLINE = timedelta(hours=2)          # 1B-1029:9
NOTICE_MINUTES = 30.0                  # 1B-1029:11
MONTH = "2026-11"
RECEIVED = datetime(2026, 11, 23, 8, 0, tzinfo=VILNIUS)
LATER = datetime(2026, 12, 15, 10, 0, tzinfo=VILNIUS)
OFFICES = {"LTVR1000": "Vilniaus krovinių postas", "LTKA2000": "Kauno krovinių postas"}
OFFICER = "Aušra Žemaitienė"


# -- hand-made records, folded by the real functions -------------------------------------------------------------

def iso(moment: datetime) -> str:
    return moment.astimezone(VILNIUS).isoformat()


def request(n: int, *, kind: str = "continuity", received: datetime = RECEIVED, eori: str = "LT302345671",
            systems: tuple[str, ...] = ("MDAS",), offices: tuple[str, ...] = ("LTVR1000",),
            applicant: str = "UAB „Bandymas“") -> dict:
    fields = {"applicant": applicant, "eori": eori, "systems": list(systems), "customs_offices": list(offices)} \
        if kind == "continuity" else {}
    return rr.new_record({"number": f"ITPC-2026-{n:06d}", "kind": kind, "received_at": iso(received),
                          "sender": "info@example.lt", "fields": fields, "missing": []}, iso(received))


def decide(record: dict, outcome: str, *, at: datetime | None = None, by: str = "auto",
           rules: tuple[str, ...] = ()) -> dict:
    """An automatic decision made on receipt (the poll that fetched it), written a second later; an officer's
    is dated ``at``."""
    received = parse_instant(record["received_at"])
    dated = received if by == "auto" else at
    written = (at or received) + timedelta(seconds=1) if by == "auto" else at
    return rr.with_decision(record, {"request": record["number"], "outcome": outcome, "rules": list(rules),
                                     "decided_by": by, "decided_at": iso(dated), "motives": [], "note": "",
                                     "deadline": None, "consent_no": None}, iso(written))


def notified(record: dict, office: str, sent: datetime | None) -> dict:
    """A customs-office notice queued for the request and, unless ``sent`` is None, sent at ``sent``."""
    mail_id = f"{record['number']}/0/notice/{office}"
    queued = rr.with_queued(record, {"id": mail_id, "purpose": "office_notice", "to": [f"{office}@lrmuitine.lt"],
                                     "subject": "Išduotas Sutikimas"}, iso(RECEIVED))
    return queued if sent is None else rr.with_sent(queued, {"id": mail_id, "answer": "250 ok", "at": iso(sent)},
                                                    iso(sent))


def report(records: list[dict], *, now: datetime = LATER, month: str = MONTH) -> dict:
    return month_report(records, month, decision_deadline=DEADLINE, notice_minutes=NOTICE_MINUTES,
                        office_names=OFFICES, now=now)


def officer_decided_after(n: int, took: timedelta, outcome: str = "consent") -> dict:
    record = decide(request(n), "review")
    return decide(record, outcome, by=OFFICER, at=RECEIVED + took)


# -- counts --------------------------------------------------------------------------------------------------

def test_counts_by_kind_and_outcome_consents_refusals_and_top_eoris():
    records = [
        decide(request(1, systems=("MDAS", "NTKS"), offices=("LTVR1000", "LTKA2000")), "consent"),
        decide(request(2, eori="LT110223344", offices=("LTKA2000", "LTXX9999")), "consent"),
        decide(request(3, eori="LT110223344"), "refusal", rules=("1B-1029:8.1", "1B-1029:8.2")),
        decide(request(4, eori="LT110223344"), "refusal", rules=("1B-1029:12",)),
        decide(request(5, eori="LT110223344"), "refusal", rules=("1B-1029:12",)),
        decide(request(6), "review"),
        request(7, kind="auto_generated"),                       # never decided: its outcome is "none"
        request(8, kind="not_a_request"),                        # waiting for an officer
        decide(request(9, kind="early_recovery"), "ended_early", rules=("1B-1029:16",)),
    ]
    figures = report(records)
    requests = figures["requests"]
    assert requests["total"] == 9
    assert requests["by_kind"]["continuity"] == {"open": 0, "review": 1, "consent": 2, "refusal": 3, "returned": 0,
                                                 "forwarded": 0, "granted": 0, "ended_early": 0, "none": 0,
                                                 "total": 6}
    assert requests["by_kind"]["auto_generated"]["none"] == 1 and requests["by_kind"]["auto_generated"]["open"] == 0
    assert requests["by_kind"]["not_a_request"]["open"] == 1
    assert requests["by_kind"]["afis_change"]["total"] == 0             # every kind present, zero or not
    assert requests["by_outcome"] == {"open": 1, "review": 1, "consent": 2, "refusal": 3, "returned": 0,
                                      "forwarded": 0, "granted": 0, "ended_early": 1, "none": 1}

    consents = figures["consents"]
    assert consents["total"] == 2 and consents["by_system"] == {"MDAS": 2, "NTKS": 1}
    assert consents["by_office"] == [
        {"code": "LTKA2000", "name": "Kauno krovinių postas", "consents": 2},
        {"code": "LTVR1000", "name": "Vilniaus krovinių postas", "consents": 1},
        {"code": "LTXX9999", "name": "", "consents": 1}]          # not in the directory: counted, unnamed

    # Each cited point counted once per refusal; the ended consent's rule is not a refusal's.
    assert figures["refusals_by_rule"] == {"1B-1029:12": 2, "1B-1029:8.1": 1, "1B-1029:8.2": 1}
    assert list(figures["refusals_by_rule"])[1:] == ["1B-1029:8.1", "1B-1029:8.2"]

    assert figures["top_eoris"] == [
        {"eori": "LT110223344", "who": "UAB „Bandymas“", "requests": 4, "consents": 1, "refusals": 3},
        {"eori": "LT302345671", "who": "UAB „Bandymas“", "requests": 2, "consents": 1, "refusals": 0}]
    assert figures["waiting"] == {"open": 1, "review": 1, "overdue": 1, "overdue_numbers": ["ITPC-2026-000006"]}


def test_top_eoris_are_the_ten_with_most_requests():
    records = [decide(request(100 * e + i, eori=f"LT{e:09d}"), "consent") for e in range(1, 13) for i in range(e)]
    top = report(records)["top_eoris"]
    assert [row["eori"] for row in top] == [f"LT{e:09d}" for e in range(12, 2, -1)]
    assert [row["requests"] for row in top] == list(range(12, 2, -1))


def test_an_empty_month_is_a_report_of_zeros():
    figures = report([], month="2027-02")
    assert figures["month"] == "2027-02" and figures["requests"]["total"] == 0
    assert set(figures["requests"]["by_kind"]) == set(KINDS)
    assert all(row == {**{o: 0 for o in OUTCOMES}, "total": 0} for row in figures["requests"]["by_kind"].values())
    assert figures["consents"] == {"total": 0, "by_system": {"MDAS": 0, "NTKS": 0}, "by_office": []}
    assert figures["decision_time"]["all"] == {"count": 0, "median_seconds": None, "p95_seconds": None}
    assert figures["deadlines"]["decision_breaches"] == 0 and figures["refusals_by_rule"] == {}
    assert figures["top_eoris"] == [] and figures["waiting"]["overdue"] == 0
    assert json.loads(json.dumps(figures)) == figures
    assert any("Requests by kind and outcome (0)" in line for line in report_lines(figures, "en"))
    assert any("Prašymai pagal rūšį ir rezultatą (0)" in line for line in report_lines(figures))
    assert len(list(csv.reader(io.StringIO(report_csv(figures))))) > 10


@pytest.mark.parametrize("month, records, problem", [
    ("2026-13", [], "YYYY-MM"),
    ("2026-1", [], "YYYY-MM"),
    ("november", [], "YYYY-MM"),
    (MONTH, [request(1, received=datetime(2026, 12, 1, 0, 0, tzinfo=VILNIUS))], "received in 2026-12"),
    (MONTH, [{"number": "ITPC-2026-000001", "kind": "continuity"}], "lacks"),
    (MONTH, ["ITPC-2026-000001"], "mapping"),
])
def test_bad_input_is_a_report_error_that_says_what(month, records, problem):
    with pytest.raises(ReportError, match=problem):
        report(records, month=month)


def test_a_request_received_at_midnight_vilnius_belongs_to_the_vilnius_month():
    first_of_december = request(1, received=datetime(2026, 12, 1, 0, 0, tzinfo=VILNIUS))   # 22:00 UTC, 30 Nov
    assert report([first_of_december], month="2026-12")["requests"]["total"] == 1


def test_naive_now_is_refused():
    with pytest.raises(ReportError, match="time zone"):
        report([], now=datetime(2026, 12, 1, 10, 0))


# -- decision times ------------------------------------------------------------------------------------------

def test_percentiles_are_nearest_rank_at_small_n():
    assert percentile([], 50) is None
    assert percentile([7.0], 50) == percentile([7.0], 95) == 7.0
    assert (percentile([9.0, 3.0], 50), percentile([9.0, 3.0], 95)) == (3.0, 9.0)
    twenty = [float(v) for v in (13, 2, 20, 7, 1, 19, 4, 16, 10, 5, 11, 3, 18, 6, 15, 8, 17, 12, 9, 14)]
    # rank ceil(0.50 * 20) = 10 and ceil(0.95 * 20) = 19
    assert (percentile(twenty, 50), percentile(twenty, 95)) == (10.0, 19.0)
    assert percentile([float(v) for v in range(19, 0, -1)], 95) == 19.0   # ceil(0.95 * 19) = 19: the largest


@pytest.mark.parametrize("minutes, median, p95", [
    ([5], 300, 300),
    ([5, 90], 300, 5400),
    (list(range(1, 21)), 600, 1140),
])
def test_officer_decision_times_from_receipt_to_the_settling_decision(minutes, median, p95):
    records = [officer_decided_after(i, timedelta(minutes=m)) for i, m in enumerate(minutes, 1)]
    times = report(records)["decision_time"]
    assert times["officer"] == {"count": len(minutes), "median_seconds": median, "p95_seconds": p95}
    assert times["all"] == times["officer"]
    assert times["automatic"] == {"count": 0, "median_seconds": None, "p95_seconds": None}
    assert times["method"] == "nearest-rank" and times["unsettled"] == 0


def test_automatic_and_officer_times_are_apart_and_unsettled_requests_are_counted_apart():
    records = [decide(request(1), "consent"), decide(request(2), "refusal", rules=("1B-1029:12",)),
               officer_decided_after(3, timedelta(minutes=40)),
               decide(request(4), "review"),                          # handed to an officer, not settled
               request(5),                                            # not decided at all
               request(6, kind="auto_generated")]                     # never answered: no decision to time
    times = report(records)["decision_time"]
    # The automatic decisions here were made on receipt, so they took no time.
    assert times["automatic"] == {"count": 2, "median_seconds": 0, "p95_seconds": 0}
    assert times["officer"] == {"count": 1, "median_seconds": 2400, "p95_seconds": 2400}
    assert times["all"] == {"count": 3, "median_seconds": 0, "p95_seconds": 2400}
    assert times["unsettled"] == 2


def test_a_later_officer_decision_does_not_make_an_automatic_settlement_an_officers():
    record = decide(request(1), "consent")
    record = decide(record, "refusal", by=OFFICER, at=RECEIVED + timedelta(hours=5), rules=("1B-1029:12",))
    times = report([record])["decision_time"]
    assert times["automatic"]["count"] == 1 and times["officer"]["count"] == 0
    assert times["all"]["median_seconds"] == 0


# -- deadlines -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("took, missed", [(DEADLINE - timedelta(seconds=1), False), (DEADLINE, False),
                                          (DEADLINE + timedelta(seconds=1), True)])
def test_decision_deadline_is_met_when_decided_exactly_at_it(took, missed):
    figures = report([officer_decided_after(1, took)])
    assert figures["deadlines"]["decision_breaches"] == int(missed)
    assert figures["deadlines"]["breached"] == (["ITPC-2026-000001"] if missed else [])


@pytest.mark.parametrize("waited, missed", [(DEADLINE, False), (DEADLINE + timedelta(seconds=1), True)])
def test_a_request_still_waiting_past_its_deadline_is_a_breach_and_overdue(waited, missed):
    figures = report([decide(request(1), "review")], now=RECEIVED + waited)
    assert figures["deadlines"]["decision_breaches"] == int(missed)
    assert figures["waiting"]["review"] == 1 and figures["waiting"]["overdue"] == int(missed)


def test_a_breach_recorded_by_the_scheduler_counts_even_if_decided_in_time():
    record = rr.with_breach(officer_decided_after(1, timedelta(minutes=10)), {"deadline": iso(RECEIVED)}, iso(LATER))
    assert report([record])["deadlines"]["decision_breaches"] == 1


@pytest.mark.parametrize("after, late", [(timedelta(minutes=30), False), (timedelta(minutes=30, seconds=1), True)])
def test_an_office_notice_exactly_notice_minutes_after_the_consent_is_on_time(after, late):
    record = notified(decide(request(1), "consent"), "LTVR1000", RECEIVED + after)
    deadlines = report([record])["deadlines"]
    assert (deadlines["office_notices_sent"], deadlines["office_notices_late"]) == (1, int(late))
    if late:
        [notice] = deadlines["late_office_notices"]
        assert notice["number"] == "ITPC-2026-000001" and notice["minutes"] == pytest.approx(30.0, abs=0.1)


def test_an_office_notice_after_an_officers_consent_is_timed_from_that_decision():
    consent = officer_decided_after(1, timedelta(minutes=50))
    on_time = notified(consent, "LTVR1000", RECEIVED + timedelta(minutes=79))     # 29 min after the decision
    assert report([on_time])["deadlines"]["office_notices_late"] == 0


@pytest.mark.parametrize("now, unsent", [(RECEIVED + timedelta(minutes=30), 0), (RECEIVED + timedelta(minutes=31), 1)])
def test_an_office_notice_not_sent_is_counted_once_it_is_due(now, unsent):
    record = notified(decide(request(1), "consent"), "LTVR1000", None)
    deadlines = report([record], now=now)["deadlines"]
    assert deadlines["office_notices_unsent_overdue"] == unsent and deadlines["office_notices_sent"] == 0


def test_other_letters_are_not_office_notices():
    record = decide(request(1), "consent")
    record = rr.with_sent(rr.with_queued(record, {"id": "a", "purpose": "answer", "to": ["x@y.lt"]}, iso(RECEIVED)),
                          {"id": "a", "at": iso(RECEIVED + timedelta(hours=3))}, iso(RECEIVED + timedelta(hours=3)))
    assert report([record])["deadlines"]["office_notices_sent"] == 0


# -- CSV and the table ---------------------------------------------------------------------------------------

def test_csv_is_one_table_that_parses_back_with_awkward_text_quoted():
    names = {**OFFICES, "LTVR1000": 'Vilniaus "krovinių", postas'}
    records = [decide(request(1, applicant='UAB "Kablelis, ir kabutės"'), "consent")]
    figures = month_report(records, MONTH, decision_deadline=DEADLINE, notice_minutes=NOTICE_MINUTES,
                           office_names=names, now=LATER)
    text = report_csv(figures)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["section", "key", "sub_key", "value"]
    assert all(len(row) == 4 for row in rows)
    assert ["consents_by_office", "LTVR1000", 'Vilniaus "krovinių", postas', "1"] in rows
    assert ["top_eoris", "LT302345671", "who", 'UAB "Kablelis, ir kabutės"'] in rows
    assert ["requests", "continuity", "consent", "1"] in rows and ["requests", "total", "total", "1"] in rows
    assert ["consents_by_system", "NTKS", "", "0"] in rows


def test_table_shows_each_section_with_its_figures():
    records = [decide(request(1), "consent"), officer_decided_after(2, timedelta(hours=3)),
               decide(request(3), "refusal", rules=("1B-1029:12",))]
    lines = [click.unstyle(line) for line in report_lines(report(records), "en")]
    text = "\n".join(lines)
    for title in ("Requests by kind and outcome (3)", "Consents (2) per system", "Consents per customs office",
                  "Decision time", "Deadlines", "Refusals by rule", "Top EORIs", "Waiting now"):
        assert title in text
    [row] = [line for line in lines if line.startswith("continuity")]
    assert row.split() == ["continuity", "2", "1", "3"]         # consent, refusal, total (empty columns left out)
    assert "Vilniaus krovinių postas" in text
    [officer] = [line for line in lines if line.startswith("by an officer")]
    assert "3 h 00 min" in officer
    assert "missed: 1 (ITPC-2026-000002)" in text


def test_table_is_in_lithuanian_by_default_with_lithuanian_kinds_outcomes_and_durations():
    records = [decide(request(1), "consent"), officer_decided_after(2, timedelta(hours=3)),
               decide(request(3), "refusal", rules=("1B-1029:12",)), request(4, kind="auto_generated")]
    lines = [click.unstyle(line) for line in report_lines(report(records))]
    text = "\n".join(lines)
    for title in ("Prašymai pagal rūšį ir rezultatą (4)", "Sutikimai (2) pagal sistemą",
                  "Sutikimai pagal muitinės postą", "Sprendimo priėmimo laikas", "Terminai", "Atsisakymai pagal punktą",
                  "Dažniausiai besikreipiantys EORI", "Laukia dabar"):
        assert title in text
    [header] = [line for line in lines if line.startswith("Rūšis")]
    assert header.split("  ")[0] == "Rūšis" and "sutikimas" in header and "atsisakymas" in header and "nėra" in header
    [row] = [line for line in lines if line.startswith("veiklos tęstinumas")]
    assert row.split()[2:] == ["2", "1", "·", "3"]          # consent, refusal, none, total
    assert any(line.startswith("automatinis laiškas") for line in lines)
    [officer] = [line for line in lines if line.startswith("pareigūno")]
    assert "3 val. 00 min" in officer
    assert "Praleistas sprendimo terminas (2 val., 1B-1029:9): 1 (ITPC-2026-000002)" in text


# -- properties ----------------------------------------------------------------------------------------------

@st.composite
def month_records(draw) -> list[dict]:
    records = []
    for n in range(1, draw(st.integers(0, 25)) + 1):
        kind = draw(st.sampled_from(KINDS))
        received = RECEIVED + timedelta(minutes=draw(st.integers(0, 60 * 24 * 6)))
        record = request(n, kind=kind, received=received, eori=draw(st.sampled_from(["", "LT1", "LT2", "LT3"])),
                         systems=tuple(draw(st.sets(st.sampled_from(["MDAS", "NTKS"])))))
        step = draw(st.sampled_from(["none", "auto", "review", "officer"]))
        outcome = draw(st.sampled_from(["consent", "refusal", "returned", "ended_early"]))
        if step == "auto":
            record = decide(record, outcome, rules=("1B-1029:12",))
        elif step in ("review", "officer"):
            record = decide(record, "review")
        if step == "officer":
            record = decide(record, outcome, by=OFFICER, at=received + timedelta(seconds=draw(st.integers(0, 10**6))))
        records.append(record)
    return records


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=month_records(), hours=st.integers(0, 24 * 40))
def test_figures_add_up_whatever_the_records(records, hours):
    figures = report(records, now=RECEIVED + timedelta(hours=hours))
    requests = figures["requests"]
    assert sum(row["total"] for row in requests["by_kind"].values()) == len(records) == requests["total"]
    assert sum(requests["by_outcome"].values()) == len(records)
    times = figures["decision_time"]
    for group in ("all", "automatic", "officer"):
        spread = times[group]
        if spread["count"]:
            assert 0 <= spread["median_seconds"] <= spread["p95_seconds"]
    assert times["all"]["count"] == times["automatic"]["count"] + times["officer"]["count"]
    answered = sum(r["kind"] != "auto_generated" for r in records)
    assert times["all"]["count"] + times["unsettled"] == answered
    consents = figures["consents"]
    assert consents["total"] == requests["by_outcome"]["consent"]
    assert sum(consents["by_system"].values()) == sum(len(r["systems"]) for r in records if r["outcome"] == "consent")
    assert figures["waiting"]["overdue"] <= figures["waiting"]["open"] + figures["waiting"]["review"]
    assert figures["deadlines"]["decision_breaches"] <= len(records)
    top = figures["top_eoris"]
    assert len(top) <= 10 and [t["requests"] for t in top] == sorted((t["requests"] for t in top), reverse=True)
    assert all(t["consents"] + t["refusals"] <= t["requests"] for t in top)
    rows = list(csv.reader(io.StringIO(report_csv(figures), newline="")))
    assert all(len(row) == 4 for row in rows)


# -- the chart -----------------------------------------------------------------------------------------------

def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and data.endswith(b"IEND\xaeB`\x82")
    return struct.unpack(">II", data[16:24])


def test_chart_is_a_png_of_readable_size_and_the_same_bytes_each_time(tmp_path):
    records = [decide(request(1, systems=("MDAS", "NTKS")), "consent"),
               decide(request(2), "refusal", rules=("1B-1029:12",)), request(3, kind="auto_generated")]
    figures = report(records)
    first, second = tmp_path / "a.png", tmp_path / "sub" / "b.png"
    bar_chart(figures, first)
    bar_chart(figures, second)
    width, height = png_size(first)
    assert 800 <= width <= 2400 and 500 <= height <= 1600
    assert 20_000 < first.stat().st_size < 1_000_000
    assert first.read_bytes() == second.read_bytes()
    bar_chart(report([], month="2027-02"), tmp_path / "empty.png")      # an empty month draws too
    assert png_size(tmp_path / "empty.png") == (width, height)


def test_without_matplotlib_the_chart_says_how_to_install_it():
    program = ("import sys; sys.modules['matplotlib'] = None\n"     # as if the extra were not installed
               "from pathlib import Path\n"
               "from itpc.chart import ChartUnavailable, bar_chart\n"
               "try:\n    bar_chart({}, Path('never.png'))\n"
               "except ChartUnavailable as exc:\n    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert out.returncode == 0, out.stderr
    [line] = out.stdout.splitlines()
    assert "matplotlib" in line and "pip install 'itpc-ledger[chart]'" in line
    assert not (ROOT / "never.png").exists()


# -- end to end on the corpus ----------------------------------------------------------------------------------

MAIL = CORPUS / "mail"
EXPECTED = CORPUS / "expected"
REPORT_NOW = "2027-06-01T12:00"  # after the last corpus message: every month is in the past


@pytest.fixture(scope="module")
def corpus_ledger(tmp_path_factory) -> Path:
    """Every corpus message polled in order of receipt, each 90 seconds after it arrived."""
    config = make_config(tmp_path_factory.mktemp("corpus"))
    for received, message in sorted((corpus_receipt(p.read_bytes()), p) for p in MAIL.glob("*.eml")):
        poll_at(config, message, received + timedelta(seconds=90))
    return config


def expected_by_month() -> dict[str, list[dict]]:
    """What the corpus says each message becomes, grouped by the Vilnius month of its receipt."""
    months: dict[str, list[dict]] = {}
    for message in sorted(MAIL.glob("*.eml")):
        expected = json.loads((EXPECTED / f"{message.stem}.json").read_text(encoding="utf-8"))
        month = corpus_receipt(message.read_bytes()).astimezone(VILNIUS).strftime("%Y-%m")
        months.setdefault(month, []).append({**expected, "case": message.stem})
    return months


def corpus_months() -> list:
    """Each month of the corpus; a month holding a known gap (``corpus_gaps``) is a strict xfail."""
    gaps = {**corpus_gaps.PARSE, **corpus_gaps.PIPELINE}
    params = []
    for month, expected in sorted(expected_by_month().items()):
        known = [e["case"] for e in expected if e["case"] in gaps]
        marks = [pytest.mark.xfail(strict=True, reason=f"{', '.join(known)}: {gaps[known[0]]}")] if known else []
        params.append(pytest.param(month, expected, marks=marks, id=month))
    return params


def test_the_corpus_spans_several_months():
    assert len(expected_by_month()) >= 2


def outcome(expected: dict) -> str | None:
    return (expected.get("decision") or {}).get("outcome")


def fields(expected: dict) -> dict:
    return expected.get("fields") or {}


def office_names() -> dict[str, str]:
    with open(ROOT / "config" / "customs_offices.csv", encoding="utf-8", newline="") as fh:
        return {row["code"]: row["name"] for row in csv.DictReader(fh)}


def month_json(config: Path, month: str) -> dict:
    return json.loads(itpc(config, "report", "--month", month, "--format", "json", now=REPORT_NOW).stdout)


@pytest.mark.parametrize("month, expected", corpus_months())
def test_corpus_months_have_the_figures_the_corpus_expects(corpus_ledger, month, expected):
    names = office_names()
    figures = month_json(corpus_ledger, month)
    expected = [e for e in expected if e["kind"] != "correspondence"]  # joins its case: not a request of its own
    consents = [e for e in expected if outcome(e) == "consent"]
    refusals = [e for e in expected if outcome(e) == "refusal"]
    waiting = [e for e in expected if outcome(e) == "review"]

    cells = Counter((e["kind"], outcome(e)) for e in expected)
    for kind, row in figures["requests"]["by_kind"].items():
        assert {o: n for o, n in row.items() if o != "total"} == \
            {o: cells[kind, o] for o in row if o != "total"}, (month, kind)
    assert figures["requests"]["total"] == len(expected)

    systems = Counter(s for e in consents for s in fields(e)["systems"])
    assert figures["consents"]["by_system"] == {"MDAS": systems["MDAS"], "NTKS": systems["NTKS"]}
    offices = Counter(c for e in consents for c in fields(e)["customs_offices"])
    assert {o["code"]: o["consents"] for o in figures["consents"]["by_office"]} == dict(offices)
    assert all(o["name"] == names[o["code"]] for o in figures["consents"]["by_office"])

    assert figures["refusals_by_rule"] == dict(Counter(r for e in refusals for r in e["decision"]["rules"]))

    eoris = Counter(fields(e).get("eori") for e in expected if fields(e).get("eori") and e["kind"] == "continuity")
    top = {t["eori"]: t for t in figures["top_eoris"]}
    assert set(top) == set(eoris) and {k: top[k]["requests"] for k in eoris} == dict(eoris)
    assert all(top[k]["consents"] == sum(fields(e).get("eori") == k for e in consents) for k in top)
    assert all(top[k]["refusals"] == sum(fields(e).get("eori") == k for e in refusals) for k in top)

    # Every automatic decision is dated when it was made, at the poll 90 s after receipt (the --now clock runs
    # on for the poll's own seconds); what waits for an officer is not settled.
    answered = [e for e in expected if e["kind"] != "auto_generated"]
    times = figures["decision_time"]
    assert times["automatic"]["count"] == len(answered) - len(waiting) and times["officer"]["count"] == 0
    assert times["unsettled"] == len(waiting)
    if answered and times["all"]["count"]:
        assert 90 <= times["all"]["median_seconds"] <= times["all"]["p95_seconds"] < 150

    # Long after the month, a continuity request still waiting has missed its two hours (1B-1029:9).
    late = [e for e in waiting if e["kind"] == "continuity"]
    assert figures["deadlines"]["decision_breaches"] == len(late)
    assert figures["waiting"]["review"] == len(waiting) and figures["waiting"]["overdue"] == len(late)
    notices = sum(len(fields(e)["customs_offices"]) for e in consents)
    assert figures["deadlines"]["office_notices_sent"] == notices
    assert figures["deadlines"]["office_notices_late"] == 0        # sent with the answer, 90 s after


def test_corpus_month_as_csv_table_and_chart(corpus_ledger, tmp_path):
    month = min(expected_by_month())
    figures = month_json(corpus_ledger, month)
    chart = tmp_path / "report.png"
    out = itpc(corpus_ledger, "report", "--month", month, "--format", "csv", "--chart", str(chart), now=REPORT_NOW)
    rows = list(csv.DictReader(io.StringIO(out.stdout, newline="")))
    assert {(r["section"], r["key"], r["sub_key"]) for r in rows} >= {("requests", "total", "total")}
    matrix = {(r["key"], r["sub_key"]): int(r["value"]) for r in rows if r["section"] == "requests"}
    for kind, row in figures["requests"]["by_kind"].items():
        assert all(matrix[kind, o] == n for o, n in row.items())
    assert matrix["total", "total"] == figures["requests"]["total"]
    offices = {r["key"]: (r["sub_key"], int(r["value"])) for r in rows if r["section"] == "consents_by_office"}
    assert offices == {o["code"]: (o["name"], o["consents"]) for o in figures["consents"]["by_office"]}
    assert "chart written to" in out.stderr
    width, height = png_size(chart)
    assert width >= 800 and height >= 500 and chart.stat().st_size > 20_000

    table = itpc(corpus_ledger, "report", "--month", month, "--lang", "en", now=REPORT_NOW).stdout
    assert f"ITPC monthly report {month}" in table
    assert f"Requests by kind and outcome ({figures['requests']['total']})" in table
    for office in figures["consents"]["by_office"]:
        assert office["name"] in table


def test_an_officers_late_decision_and_a_late_office_notice_show_in_the_month(tmp_path):
    """c09 waits for an officer who consents 2 h 15 min after receipt (past 1B-1029:9's two hours); c01's
    consent is registered and decided, but its office notice goes out only with a tick 49 minutes later."""
    from config import load_settings
    from itpc.app import App
    from itpc.intake import register_pending
    from itpc.service import Runner
    from ledger.clock import Clock

    config = make_config(tmp_path)
    c01, c09 = MAIL / "c01-labels-plain.eml", MAIL / "c09-unclear-reason.eml"
    shutil.copy(c01, tmp_path / "inbox" / "new" / c01.name)
    app = App(load_settings(config), Clock(parse_instant("2026-11-23T08:41:30")))
    runner = Runner(app)
    runner.fetch()
    register_pending(runner.intake)
    runner.judge.decide_pending()
    app.close()
    itpc(config, "tick", now="2026-11-23T09:30")
    poll_at(config, c09, parse_instant("2026-12-02T08:46"))
    [review] = [json.loads(line) for line in itpc(config, "requests", "--status", "review", "--json").stdout.splitlines()]
    itpc(config, "decide", review["number"], "consent", now="2026-12-02T11:00")

    november = month_json(config, "2026-11")["deadlines"]
    assert november["office_notices_late"] == 1 and november["decision_breaches"] == 0
    [late] = november["late_office_notices"]
    assert late["minutes"] == pytest.approx(49, abs=0.5)

    december = month_json(config, "2026-12")
    assert december["deadlines"]["breached"] == [review["number"]]
    officer = december["decision_time"]["officer"]
    assert officer["count"] == 1 and officer["median_seconds"] == pytest.approx(8100, abs=2)
    assert december["waiting"] == {"open": 0, "review": 0, "overdue": 0, "overdue_numbers": []}
    assert december["deadlines"]["office_notices_late"] == 0     # sent with the officer's answer


def test_a_month_that_is_not_one_is_refused_with_a_clear_message(corpus_ledger):
    proc = itpc(corpus_ledger, "report", "--month", "2026-13", check=False)
    assert proc.returncode != 0 and "YYYY-MM" in proc.stderr and "Traceback" not in proc.stderr
