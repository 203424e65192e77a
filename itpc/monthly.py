"""The month's figures that ITPC reports on requests and their handling (ITPC division functions, 2.11).

Pure: the month's request records (``request_records``) and a clock in; one JSON-able dict of figures out,
plus the two ways people read it (a CSV a spreadsheet opens, and terminal tables). The chart is drawn from
the same dict by ``itpc.chart``. People read the tables and the chart in Lithuanian by default (``LANGS``,
``words``): the dict's keys and the CSV, which programs and spreadsheets read, stay in English. Deadlines are judged by ``itpc.report`` so that "missed" and "overdue"
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

LANGS = ("lt", "en")   # the first is the default

# Names people read for kinds and outcomes (English shows the keys themselves, as the JSON does).
KIND_NAMES = {"continuity": "veiklos tęstinumas", "early_recovery": "ankstesnis sistemų atkūrimas",
              "afis_access": "AFIS/CIS+ prieiga", "afis_change": "AFIS/CIS+ teisių pakeitimas",
              "correspondence": "susirašinėjimas", "auto_generated": "automatinis laiškas",
              "not_a_request": "ne prašymas"}
OUTCOME_NAMES = {"open": "laukia sprendimo", "review": "nagrinėja pareigūnas", "consent": "sutikimas",
                 "refusal": "atsisakymas", "returned": "grąžintas", "forwarded": "persiųstas", "granted": "suteikta",
                 "ended_early": "baigtas anksčiau", "not_needed": "nereikalingas", "none": "nėra",
                 "amended": "sutikimas sutrumpintas", "revoked": "sutikimas panaikintas"}
# A consent amended or revoked afterwards was still issued: it counts among the month's consents.
CONSENTED = ("consent", "amended", "revoked")

# Every phrase of the tables and the chart, by language; {placeholders} are filled by str.format.
WORDS = {
    "en": {
        "title": "ITPC monthly report {month}: requests received that month (Vilnius time), state as of {as_of}",
        "requests": "Requests by kind and outcome ({total})", "kind": "Kind", "total": "Total",
        "total_row": "total",
        "by_system": "Consents ({total}) per system", "system": "System", "consents": "Consents",
        "by_office": "Consents per customs office", "office": "Office", "name": "Name", "none": "  none",
        "times": "Decision time", "decided": "Decided", "count": "Count", "median": "Median", "p95": "95th pct",
        "all": "all", "automatic": "automatic", "officer": "by an officer",
        "unsettled": "Not settled yet: {n}.  Receipt to settling decision; {method} percentiles.",
        "nearest-rank": "nearest-rank",
        "deadlines": "Deadlines",
        "missed": "Decision deadline ({deadline}, 1B-1029:9) missed: {n}",
        "late_notices": "Customs-office notices later than {minutes} after the consent (1B-1029:11): "
                        "{late} of {sent} sent",
        "unsent": "; {n} due and not sent", "late_notice": "  {number}: {minutes:g} min, to {to}",
        "refusals": "Refusals by rule (each cited point counted)", "rule": "Rule", "refusal_count": "Refusals",
        "top": "Top EORIs by requests (up to {n})", "who": "Who", "request_count": "Requests",
        "waiting": "Waiting now", "waiting_line": "Open: {open}   For an officer (review): {review}   Overdue: {overdue}",
        "overdue_line": "  overdue: {numbers}", "more": " and {n} more",
        "hours": "{n:g} h", "minutes": "{n:g} min",
        "duration": ("{s} s", "{m} min {s:02d} s", "{h} h {m:02d} min", "{d} d {h:02d} h"),
        "chart_title": "ITPC requests received in {month}  ({requests} requests, {consents} consents)",
        "chart_requests": "Requests by kind and outcome", "chart_systems": "Consents per system",
        "chart_offices": "Consents per customs office", "chart_refusals": "Refusals by rule cited",
        "axis_requests": "requests", "axis_consents": "consents", "axis_refusals": "refusals citing the point",
        "no_requests": "no requests this month", "no_consents": "no consents this month",
        "no_refusals": "no refusals this month",
    },
    "lt": {
        "title": "ITPC mėnesio ataskaita, {month}: tą mėnesį gauti prašymai (Vilniaus laiku), būklė {as_of}",
        "requests": "Prašymai pagal rūšį ir rezultatą ({total})", "kind": "Rūšis", "total": "Iš viso",
        "total_row": "iš viso",
        "by_system": "Sutikimai ({total}) pagal sistemą", "system": "Sistema", "consents": "Sutikimai",
        "by_office": "Sutikimai pagal muitinės postą", "office": "Postas", "name": "Pavadinimas", "none": "  nėra",
        "times": "Sprendimo priėmimo laikas", "decided": "Sprendimai", "count": "Skaičius", "median": "Mediana",
        "p95": "95-asis procentilis",
        "all": "visi", "automatic": "automatiniai", "officer": "pareigūno",
        "unsettled": "Dar neišspręsta: {n}.  Nuo gavimo iki galutinio sprendimo; procentiliai {method} metodu.",
        "nearest-rank": "artimiausio rango",
        "deadlines": "Terminai",
        "missed": "Praleistas sprendimo terminas ({deadline}, 1B-1029:9): {n}",
        "late_notices": "Pranešimai muitinės postams, išsiųsti vėliau nei per {minutes} po sutikimo (1B-1029:11): "
                        "{late} iš {sent} išsiųstų",
        "unsent": "; laiku neišsiųsta: {n}", "late_notice": "  {number}: {minutes:g} min, gavėjai: {to}",
        "refusals": "Atsisakymai pagal punktą (skaičiuojamas kiekvienas nurodytas punktas)", "rule": "Punktas",
        "refusal_count": "Atsisakymai",
        "top": "Dažniausiai besikreipiantys EORI (iki {n})", "who": "Pareiškėjas", "request_count": "Prašymai",
        "waiting": "Laukia dabar",
        "waiting_line": "Laukia sprendimo: {open}   Nagrinėja pareigūnas: {review}   Vėluoja: {overdue}",
        "overdue_line": "  vėluoja: {numbers}", "more": " ir dar {n}",
        "hours": "{n:g} val.", "minutes": "{n:g} min",
        "duration": ("{s} s", "{m} min {s:02d} s", "{h} val. {m:02d} min", "{d} d. {h:02d} val."),
        "chart_title": "ITPC gauti prašymai, {month}  (prašymų: {requests}, sutikimų: {consents})",
        "chart_requests": "Prašymai pagal rūšį ir rezultatą", "chart_systems": "Sutikimai pagal sistemą",
        "chart_offices": "Sutikimai pagal muitinės postą", "chart_refusals": "Atsisakymai pagal nurodytą punktą",
        "axis_requests": "prašymai", "axis_consents": "sutikimai",
        "axis_refusals": "atsisakymai, kuriuose nurodytas punktas",
        "no_requests": "šį mėnesį prašymų nėra", "no_consents": "šį mėnesį sutikimų nėra",
        "no_refusals": "šį mėnesį atsisakymų nėra",
    },
}


def words(lang: str) -> dict[str, Any]:
    """The phrases of ``lang`` (one of LANGS); raises ReportError on another."""
    if lang not in WORDS:
        raise ReportError(f"language: expected one of {', '.join(LANGS)}, not {lang!r}")
    return WORDS[lang]


def kind_name(kind: str, lang: str) -> str:
    return KIND_NAMES.get(kind, kind) if lang == "lt" else kind


def outcome_name(outcome: str, lang: str) -> str:
    return OUTCOME_NAMES.get(outcome, outcome) if lang == "lt" else outcome


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
    consented = [r for r in records if r["outcome"] in CONSENTED]
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
        row["consents"] += record["outcome"] in CONSENTED
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

def duration(seconds: float | None, lang: str = LANGS[0]) -> str:
    """A decision time as people say it: '45 s', '12 min 05 s', '2 val. 05 min', '3 d. 04 val.' (in English
    '2 h 05 min', '3 d 04 h')."""
    if seconds is None:
        return "–"
    whole = int(round(seconds))
    short, minutes, hours, days = words(lang)["duration"]
    if whole < 60:
        return short.format(s=whole)
    if whole < 3600:
        return minutes.format(m=whole // 60, s=whole % 60)
    if whole < 2 * 86400:
        return hours.format(h=whole // 3600, m=whole % 3600 // 60)
    return days.format(d=whole // 86400, h=whole % 86400 // 3600)


def _minutes(value: float, lang: str) -> str:
    return words(lang)["minutes"].format(n=value) if value < 60 else words(lang)["hours"].format(n=value / 60)


def _numbers(numbers: Sequence[str], lang: str, limit: int = 8) -> str:
    shown_numbers = ", ".join(numbers[:limit])
    return shown_numbers + (words(lang)["more"].format(n=len(numbers) - limit) if len(numbers) > limit else "")


def report_lines(figures: dict, lang: str = LANGS[0]) -> list[str]:
    """The figures as short titled tables a person takes in at a glance, in ``lang`` (Lithuanian by default)."""
    w = words(lang)
    lines = [w["title"].format(month=figures["month"], as_of=shown(parse_instant(figures["as_of"])))]

    def section(title: str, body: list[str]) -> None:
        lines.extend(["", title, *body])

    requests = figures["requests"]
    used = [o for o in requests["outcomes"] if requests["by_outcome"][o]] or ["open"]
    rows = [(kind_name(kind, lang), *(_count(row[o]) for o in used), str(row["total"]))
            for kind, row in requests["by_kind"].items() if row["total"]]
    rows.append((w["total_row"], *(str(requests["by_outcome"][o]) for o in used), str(requests["total"])))
    section(w["requests"].format(total=requests["total"]),
            render_table((w["kind"], *(outcome_name(o, lang) for o in used), w["total"]), rows,
                         right=range(1, len(used) + 2)))

    consents = figures["consents"]
    body = render_table((w["system"], w["consents"]), [(s, str(n)) for s, n in consents["by_system"].items()],
                        right=(1,))
    section(w["by_system"].format(total=consents["total"]), body)
    offices = [(o["code"], o["name"], str(o["consents"])) for o in consents["by_office"]]
    section(w["by_office"],
            render_table((w["office"], w["name"], w["consents"]), offices, max_widths=(10, 40, 8), right=(2,))
            if offices else [w["none"]])

    times = figures["decision_time"]
    rows = [(w[key], str(times[key]["count"]), duration(times[key]["median_seconds"], lang),
             duration(times[key]["p95_seconds"], lang)) for key in ("all", "automatic", "officer")]
    body = render_table((w["decided"], w["count"], w["median"], w["p95"]), rows, right=(1, 2, 3))
    body.append(w["unsettled"].format(n=times["unsettled"], method=w.get(times["method"], times["method"])))
    section(w["times"], body)

    deadlines = figures["deadlines"]
    breaches = deadlines["decision_breaches"]
    body = [w["missed"].format(deadline=_minutes(figures["decision_deadline_minutes"], lang), n=breaches)
            + (f" ({_numbers(deadlines['breached'], lang)})" if breaches else ""),
            w["late_notices"].format(minutes=_minutes(figures["notice_minutes"], lang),
                                     late=deadlines["office_notices_late"], sent=deadlines["office_notices_sent"])
            + (w["unsent"].format(n=deadlines["office_notices_unsent_overdue"])
               if deadlines["office_notices_unsent_overdue"] else "")]
    body.extend(w["late_notice"].format(number=n["number"], minutes=n["minutes"], to=", ".join(n["to"]))
                for n in deadlines["late_office_notices"][:8])
    section(w["deadlines"], body)

    refusals = figures["refusals_by_rule"]
    section(w["refusals"],
            render_table((w["rule"], w["refusal_count"]), [(r, str(n)) for r, n in refusals.items()], right=(1,))
            if refusals else [w["none"]])

    top = figures["top_eoris"]
    section(w["top"].format(n=TOP_EORIS),
            render_table(("EORI", w["who"], w["request_count"], w["consents"], w["refusal_count"]),
                         [(t["eori"], t["who"], str(t["requests"]), str(t["consents"]), str(t["refusals"]))
                          for t in top], max_widths=(17, 36, 8, 8, 8), right=(2, 3, 4))
            if top else [w["none"]])

    waiting = figures["waiting"]
    body = [w["waiting_line"].format(open=waiting["open"], review=waiting["review"], overdue=waiting["overdue"])]
    if waiting["overdue"]:
        body.append(w["overdue_line"].format(numbers=_numbers(waiting["overdue_numbers"], lang)))
    section(w["waiting"], body)
    return lines


def _count(n: int) -> str:
    return str(n) if n else "·"
