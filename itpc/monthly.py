"""The month's figures that ITPC reports on requests and their handling (ITPC division functions, 2.11).

Pure: the month's request records (``request_records``) and a clock in; one JSON-able dict of figures out,
plus the two ways people read it (a CSV a spreadsheet opens, and terminal tables). The chart is drawn from
the same dict by ``itpc.chart``. Deadlines are judged by ``itpc.report`` so that "missed" and "overdue"
mean here what they mean in `itpc requests` and `itpc show`.

Keys of the dict are stable: every kind, outcome and system is present even when its count is zero, so an
empty month is a valid report of zeros and two months' files line up column by column.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping, Sequence

from config.errors import RequestError
from itpc.report import deadline_missed, decided_moment, is_overdue, outcome_of
from itpc.table import render_table
from ledger.clock import VILNIUS, parse_instant, shown
from ledger.request_records import Record

KINDS = ("continuity", "early_recovery", "afis_access", "afis_change", "auto_generated", "not_a_request")
OUTCOMES = ("open", "review", "consent", "refusal", "returned", "forwarded", "granted", "ended_early", "none")
SYSTEMS = ("MDAS", "NTKS")
TOP_EORIS = 10
# Mail that is registered but never answered (RFC 3834): no decision to time, no deadline to keep.
UNANSWERED = "auto_generated"
OFFICE_NOTICE = "office_notice"
PERCENTILE_METHOD = "nearest-rank"

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_NEEDED = ("number", "kind", "month", "received_at", "outcome", "decided_by", "eori", "who", "systems",
           "offices", "rules", "notices", "settled_ts", "settled_at", "settled_by", "decided_ts", "breached",
           "deadline")


class ReportError(RequestError):
    """The report cannot be made from what it was given (a malformed month, record or setting)."""


# -- the figures -------------------------------------------------------------------------------------------

def month_report(records: list[dict], month: str, *, decision_deadline: timedelta, notice_minutes: float,
                 office_names: dict[str, str], now: datetime) -> dict:
    """The figures for requests received in ``month`` (YYYY-MM, Vilnius time), as of ``now``.

    ``records`` are that month's request records. Decision times run from receipt to the decision that
    settled the request (``report.decided_moment``); requests not settled yet are counted apart, and
    auto-generated mail, which is never answered, is left out of them. Percentiles use the nearest-rank
    method: the p-th percentile of n sorted values is the value at rank ceil(p·n/100), so it is always one
    of the observed times; the median is the 50th percentile by the same rule (the lower middle value when
    n is even). Raises ReportError on a malformed month, record or setting.
    """
    _check_arguments(month, decision_deadline, notice_minutes, now)
    for record in records:
        _check_record(record, month)
    notice_due = timedelta(minutes=notice_minutes)
    return {
        "month": month,
        "as_of": now.astimezone(VILNIUS).replace(microsecond=0).isoformat(),
        "decision_deadline_minutes": decision_deadline.total_seconds() / 60,
        "notice_minutes": notice_minutes,
        "requests": _requests(records),
        "consents": _consents(records, office_names),
        "decision_time": _decision_times(records),
        "deadlines": _deadlines(records, decision_deadline, notice_due, now),
        "refusals_by_rule": _refusals_by_rule(records),
        "top_eoris": _top_eoris(records),
        "waiting": _waiting(records, decision_deadline, now),
    }


def _check_arguments(month: str, decision_deadline: timedelta, notice_minutes: float, now: datetime) -> None:
    if not isinstance(month, str) or not _MONTH.fullmatch(month):
        raise ReportError(f"month: expected YYYY-MM, e.g. 2026-11, not {month!r}")
    if not isinstance(decision_deadline, timedelta) or decision_deadline <= timedelta(0):
        raise ReportError(f"decision deadline must be a positive duration, not {decision_deadline!r}")
    if isinstance(notice_minutes, bool) or not isinstance(notice_minutes, (int, float)) or not notice_minutes >= 0:
        raise ReportError(f"notice minutes must be a number ≥ 0, not {notice_minutes!r}")
    if not isinstance(now, datetime) or now.tzinfo is None:
        raise ReportError("now must be an aware datetime (with a time zone)")


def _check_record(record: Any, month: str) -> None:
    if not isinstance(record, Mapping):
        raise ReportError(f"a request record must be a mapping, not {type(record).__name__}")
    lacking = [key for key in _NEEDED if key not in record]
    if lacking:
        raise ReportError(f"request record {record.get('number', '?')} lacks {', '.join(lacking)}")
    if record["month"] != month:
        raise ReportError(f"request {record['number']} was received in {record['month']}, not in {month}")


def _with_extras(known: Sequence[str], seen: Iterable[str]) -> list[str]:
    """The known names in their order, then any others met (sorted), so nothing found is ever dropped."""
    return [*known, *sorted(set(seen) - set(known))]


def _requests(records: Sequence[Record]) -> dict:
    cells = Counter((r["kind"], outcome_of(r)) for r in records)
    kinds = _with_extras(KINDS, (k for k, _ in cells))
    outcomes = _with_extras(OUTCOMES, (o for _, o in cells))
    by_kind = {}
    for kind in kinds:
        row = {outcome: cells[kind, outcome] for outcome in outcomes}
        by_kind[kind] = {**row, "total": sum(row.values())}
    by_outcome = {outcome: sum(cells[k, outcome] for k in kinds) for outcome in outcomes}
    return {"total": len(records), "kinds": kinds, "outcomes": outcomes,
            "by_kind": by_kind, "by_outcome": by_outcome}


def _consents(records: Sequence[Record], office_names: Mapping[str, str]) -> dict:
    consented = [r for r in records if r["outcome"] == "consent"]
    systems = Counter(system for r in consented for system in r["systems"])
    offices = Counter(code for r in consented for code in r["offices"])
    return {
        "total": len(consented),
        "by_system": {system: systems[system] for system in _with_extras(SYSTEMS, systems)},
        # Most consents first; the code breaks ties so the order never depends on the input's.
        "by_office": [{"code": code, "name": office_names.get(code, ""), "consents": count}
                      for code, count in sorted(offices.items(), key=lambda item: (-item[1], item[0]))],
    }


def percentile(values: Sequence[float], p: int) -> float | None:
    """Nearest-rank percentile: the value at rank ceil(p·n/100) of the sorted values (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-p * len(ordered) // 100))   # integer ceiling: no float rounding at p·n/100 == k
    return ordered[rank - 1]


def _spread(seconds: Sequence[float]) -> dict:
    median, p95 = percentile(seconds, 50), percentile(seconds, 95)
    return {"count": len(seconds),
            "median_seconds": None if median is None else round(median, 1),
            "p95_seconds": None if p95 is None else round(p95, 1)}


def settled_automatically(record: Record) -> bool:
    """Whether the settling decision was the system's (the record keeps who made it, whatever followed)."""
    return record["settled_by"] == "auto"


def _decision_times(records: Sequence[Record]) -> dict:
    automatic: list[float] = []
    officer: list[float] = []
    unsettled = 0
    for record in records:
        if record["kind"] == UNANSWERED:
            continue
        decided = decided_moment(record)
        if decided is None:
            unsettled += 1
            continue
        took = max((decided - parse_instant(record["received_at"])).total_seconds(), 0.0)
        (automatic if settled_automatically(record) else officer).append(took)
    return {"method": PERCENTILE_METHOD, "all": _spread(automatic + officer),
            "automatic": _spread(automatic), "officer": _spread(officer), "unsettled": unsettled}


def _deadlines(records: Sequence[Record], decision_deadline: timedelta, notice_due: timedelta,
               now: datetime) -> dict:
    breached = [r["number"] for r in records if deadline_missed(r, decision_deadline, now)]
    sent = late = unsent = 0
    late_notices = []
    for record in records:
        decided = decided_moment(record)
        notices = [n for n in record["notices"] if n.get("purpose") == OFFICE_NOTICE]
        if decided is None or not notices:
            continue
        due = decided + notice_due   # sent exactly at the due minute is on time
        for notice in notices:
            if notice.get("sent_at"):
                sent += 1
                if parse_instant(notice["sent_at"]) > due:
                    late += 1
                    late_notices.append({"number": record["number"], "to": list(notice.get("to") or []),
                                         "minutes": round((parse_instant(notice["sent_at"]) - decided)
                                                          .total_seconds() / 60, 1)})
            elif now > due:
                unsent += 1
    return {"decision_breaches": len(breached), "breached": breached,
            "office_notices_sent": sent, "office_notices_late": late, "office_notices_unsent_overdue": unsent,
            "late_office_notices": late_notices}


def _refusals_by_rule(records: Sequence[Record]) -> dict[str, int]:
    rules = Counter(rule for r in records if r["outcome"] == "refusal" for rule in dict.fromkeys(r["rules"]))
    return {rule: count for rule, count in sorted(rules.items(), key=lambda item: (-item[1], _rule_key(item[0])))}


def _rule_key(rule: str) -> tuple:
    """1B-1029:8.2 before 1B-1029:12: points compare as numbers."""
    order, _, point = rule.partition(":")
    return (order, [int(part) if part.isdigit() else 0 for part in point.split(".")], rule)


def _top_eoris(records: Sequence[Record]) -> list[dict]:
    by_eori: dict[str, dict] = {}
    for record in records:
        if not record["eori"] or record["kind"] != "continuity":
            continue  # who asks most often for consents: a recovery notice or an inquiry is not such a request
        row = by_eori.setdefault(record["eori"], {"eori": record["eori"], "who": "", "requests": 0,
                                                  "consents": 0, "refusals": 0})
        row["who"] = record["who"] or row["who"]   # the latest name given (records come in order of receipt)
        row["requests"] += 1
        row["consents"] += record["outcome"] == "consent"
        row["refusals"] += record["outcome"] == "refusal"
    ranked = sorted(by_eori.values(), key=lambda row: (-row["requests"], -row["consents"], row["eori"]))
    return ranked[:TOP_EORIS]


def _waiting(records: Sequence[Record], decision_deadline: timedelta, now: datetime) -> dict:
    outcomes = Counter(outcome_of(r) for r in records)
    overdue = [r["number"] for r in records if is_overdue(r, decision_deadline, now)]
    return {"open": outcomes["open"], "review": outcomes["review"], "overdue": len(overdue),
            "overdue_numbers": overdue}


# -- CSV -----------------------------------------------------------------------------------------------------

CSV_HEADER = ("section", "key", "sub_key", "value")


def csv_rows(figures: dict) -> list[tuple]:
    """The figures as (section, key, sub_key, value) rows: one long table a spreadsheet can pivot."""
    rows: list[tuple] = [("report", "month", "", figures["month"]), ("report", "as_of", "", figures["as_of"]),
                         ("report", "decision_deadline_minutes", "", figures["decision_deadline_minutes"]),
                         ("report", "notice_minutes", "", figures["notice_minutes"])]
    requests = figures["requests"]
    for kind, row in requests["by_kind"].items():
        rows.extend(("requests", kind, outcome, count) for outcome, count in row.items())
    rows.extend(("requests", "total", outcome, count) for outcome, count in requests["by_outcome"].items())
    rows.append(("requests", "total", "total", requests["total"]))
    consents = figures["consents"]
    rows.append(("consents", "total", "", consents["total"]))
    rows.extend(("consents_by_system", system, "", n) for system, n in consents["by_system"].items())
    rows.extend(("consents_by_office", o["code"], o["name"], o["consents"]) for o in consents["by_office"])
    times = figures["decision_time"]
    for group in ("all", "automatic", "officer"):
        rows.extend(("decision_time", group, measure, "" if value is None else value)
                    for measure, value in times[group].items())
    rows.append(("decision_time", "unsettled", "", times["unsettled"]))
    rows.append(("decision_time", "method", "", times["method"]))
    deadlines = figures["deadlines"]
    rows.append(("deadlines", "decision_breaches", "", deadlines["decision_breaches"]))
    rows.extend(("deadlines", "breached", number, 1) for number in deadlines["breached"])
    for key in ("office_notices_sent", "office_notices_late", "office_notices_unsent_overdue"):
        rows.append(("deadlines", key, "", deadlines[key]))
    rows.extend(("refusals_by_rule", rule, "", n) for rule, n in figures["refusals_by_rule"].items())
    for row in figures["top_eoris"]:
        rows.extend(("top_eoris", row["eori"], key, row[key]) for key in ("who", "requests", "consents", "refusals"))
    waiting = figures["waiting"]
    rows.extend(("waiting", key, "", waiting[key]) for key in ("open", "review", "overdue"))
    rows.extend(("waiting", "overdue_request", number, 1) for number in waiting["overdue_numbers"])
    return rows


def report_csv(figures: dict) -> str:
    """The figures as CSV (header line first; RFC 4180 quoting and line ends; text, so UTF-8 when written)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(csv_rows(figures))
    return out.getvalue()


# -- terminal tables -----------------------------------------------------------------------------------------

def duration(seconds: float | None) -> str:
    """A decision time as people say it: '45 s', '12 min 05 s', '2 h 05 min', '3 d 04 h'."""
    if seconds is None:
        return "–"
    whole = int(round(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    if whole < 2 * 86400:
        return f"{whole // 3600} h {whole % 3600 // 60:02d} min"
    return f"{whole // 86400} d {whole % 86400 // 3600:02d} h"


def _minutes(value: float) -> str:
    return f"{value:g} min" if value < 60 else f"{value / 60:g} h"


def _numbers(numbers: Sequence[str], limit: int = 8) -> str:
    shown_numbers = ", ".join(numbers[:limit])
    return shown_numbers + (f" and {len(numbers) - limit} more" if len(numbers) > limit else "")


def report_lines(figures: dict) -> list[str]:
    """The figures as short titled tables a person takes in at a glance."""
    lines = [f"ITPC monthly report {figures['month']}: requests received that month (Vilnius time), "
             f"state as of {shown(parse_instant(figures['as_of']))}"]

    def section(title: str, body: list[str]) -> None:
        lines.extend(["", title, *body])

    requests = figures["requests"]
    used = [o for o in requests["outcomes"] if requests["by_outcome"][o]] or ["open"]
    rows = [(kind, *(_count(row[o]) for o in used), str(row["total"]))
            for kind, row in requests["by_kind"].items() if row["total"]]
    rows.append(("total", *(str(requests["by_outcome"][o]) for o in used), str(requests["total"])))
    section(f"Requests by kind and outcome ({requests['total']})",
            render_table(("Kind", *used, "Total"), rows, right=range(1, len(used) + 2)))

    consents = figures["consents"]
    body = render_table(("System", "Consents"), [(s, str(n)) for s, n in consents["by_system"].items()], right=(1,))
    section(f"Consents ({consents['total']}) per system", body)
    offices = [(o["code"], o["name"], str(o["consents"])) for o in consents["by_office"]]
    section("Consents per customs office",
            render_table(("Office", "Name", "Consents"), offices, max_widths=(10, 40, 8), right=(2,))
            if offices else ["  none"])

    times = figures["decision_time"]
    rows = [(label, str(times[key]["count"]), duration(times[key]["median_seconds"]),
             duration(times[key]["p95_seconds"])) for key, label in
            (("all", "all"), ("automatic", "automatic"), ("officer", "by an officer"))]
    body = render_table(("Decided", "Count", "Median", "95th pct"), rows, right=(1, 2, 3))
    body.append(f"Not settled yet: {times['unsettled']}.  Receipt to settling decision; "
                f"{times['method']} percentiles.")
    section("Decision time", body)

    deadlines = figures["deadlines"]
    breaches = deadlines["decision_breaches"]
    body = [f"Decision deadline ({_minutes(figures['decision_deadline_minutes'])}, 1B-1029:9) missed: {breaches}"
            + (f" ({_numbers(deadlines['breached'])})" if breaches else ""),
            f"Customs-office notices later than {_minutes(figures['notice_minutes'])} after the consent "
            f"(1B-1029:11): {deadlines['office_notices_late']} of {deadlines['office_notices_sent']} sent"
            + (f"; {deadlines['office_notices_unsent_overdue']} due and not sent"
               if deadlines["office_notices_unsent_overdue"] else "")]
    body.extend(f"  {n['number']}: {n['minutes']:g} min, to {', '.join(n['to'])}"
                for n in deadlines["late_office_notices"][:8])
    section("Deadlines", body)

    refusals = figures["refusals_by_rule"]
    section("Refusals by rule (each cited point counted)",
            render_table(("Rule", "Refusals"), [(r, str(n)) for r, n in refusals.items()], right=(1,))
            if refusals else ["  none"])

    top = figures["top_eoris"]
    section(f"Top EORIs by requests (up to {TOP_EORIS})",
            render_table(("EORI", "Who", "Requests", "Consents", "Refusals"),
                         [(t["eori"], t["who"], str(t["requests"]), str(t["consents"]), str(t["refusals"]))
                          for t in top], max_widths=(17, 36, 8, 8, 8), right=(2, 3, 4))
            if top else ["  none"])

    waiting = figures["waiting"]
    body = [f"Open: {waiting['open']}   For an officer (review): {waiting['review']}   "
            f"Overdue: {waiting['overdue']}"]
    if waiting["overdue"]:
        body.append(f"  overdue: {_numbers(waiting['overdue_numbers'])}")
    section("Waiting now", body)
    return lines


def _count(n: int) -> str:
    return str(n) if n else "·"
