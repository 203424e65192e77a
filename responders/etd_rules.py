"""ETD authorisations (1B-1052), the pure part: the criteria of the stated figures (17, 21), whom to consult
and how (16, 32), the deadlines (16, 25.2, 36, 37) and how long each document of the file is kept (24).

No I/O and no clock of its own: every function is given the moments it needs. Each result cites its point as
``1B-1052:<point>``. Where the figures do not settle a criterion it is left open (``met`` None) for the officer:
nothing here refuses anything.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Collection, Iterable

from ledger.clock import VILNIUS
from responders.workdays import END_OF_DAY, working_deadline

HOME = "LT"
AIRLINE = "airline"
SHIPPING = "shipping"
CARRIERS = (AIRLINE, SHIPPING)

# The Union's member states (ISO 3166 alpha-2; Greece as "GR"): they are consulted in MSVS (16, 32).
EU_MEMBER_STATES = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT", "LT", "LU",
    "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"})

# 17: "ne rečiau kaip šešis kartus per mėnesį arba ne mažiau nei septyniasdešimt penkis kartus per kalendorinius
# metus"; flights 30 / 300; voyages 10 / 100.
REGULAR_USE = (6, 75)
THRESHOLDS = {AIRLINE: (30, 300), SHIPPING: (10, 100)}

MONITORING_PLAN_WORKING_DAYS = 30   # 25.2
RETENTION_YEARS = 3                 # 24

UNFAVOURABLE = frozenset({"refuse", "amend", "suspend", "revoke", "annul"})   # 33
ACTIONS = ("grant", "refuse", "amend", "suspend", "reinstate", "revoke", "annul")
ACTION_RULES = {"grant": ("1B-1052:22", "1B-1052:34"), "refuse": ("1B-1052:22", "1B-1052:33"),
                "amend": ("1B-1052:30", "1B-1052:33"), "suspend": ("1B-1052:28", "1B-1052:33"),
                "reinstate": ("1B-1052:29",), "revoke": ("1B-1052:30", "1B-1052:33"),
                "annul": ("1B-1052:30", "1B-1052:33")}
# How a notice names each decision (Lithuanian, after "priimtas sprendimas:").
PHRASES = {"grant": "suteiktas leidimas naudoti elektroninį transporto dokumentą kaip muitinės deklaraciją",
           "refuse": "netenkintas prašymas suteikti leidimą naudoti elektroninį transporto dokumentą kaip muitinės "
                     "deklaraciją",
           "amend": "iš dalies pakeistas leidimas naudoti elektroninį transporto dokumentą kaip muitinės deklaraciją",
           "suspend": "sustabdytas leidimo naudoti elektroninį transporto dokumentą kaip muitinės deklaraciją "
                      "galiojimas",
           "reinstate": "atnaujintas leidimo naudoti elektroninį transporto dokumentą kaip muitinės deklaraciją "
                        "galiojimas",
           "revoke": "atšauktas leidimas naudoti elektroninį transporto dokumentą kaip muitinės deklaraciją",
           "annul": "leidimas naudoti elektroninį transporto dokumentą kaip muitinės deklaraciją pripažintas "
                    "negaliojančiu"}
# 36: the offices named in the authorisation are told of these (reinstating too: they were told of the
# suspension, and must learn that the authorisation may be used again).
OFFICE_NOTICE_ACTIONS = frozenset({"grant", "amend", "suspend", "reinstate", "revoke", "annul"})
# 32: the competent authorities of the other countries are told of these.
AUTHORITY_NOTICE_ACTIONS = frozenset({"amend", "suspend", "revoke", "annul"})


# ------------------------------------------------------------------------------------------------ criteria

@dataclass(frozen=True)
class Criterion:
    name: str                 # regular_use | movements | aeo
    met: bool | None          # None: the figures do not say; an officer checks
    rule: str
    text: str                 # English, for officers

    def as_json(self) -> dict:
        return dict(self.__dict__)


def _frequency(per_month: int | None, per_year: int | None, minimum: tuple[int, int]) -> bool | None:
    """Met when either stated figure reaches its minimum; None when neither is stated."""
    if per_month is None and per_year is None:
        return None
    return (per_month is not None and per_month >= minimum[0]) or (per_year is not None and per_year >= minimum[1])


def _figures(per_month: int | None, per_year: int | None, unit: str) -> str:
    stated = [f"{n} {unit} a {span}" for n, span in ((per_month, "month"), (per_year, "year")) if n is not None]
    return " and ".join(stated) or f"no {unit} stated"


def criteria(carrier: str, *, procedures_per_month: int | None = None, procedures_per_year: int | None = None,
             movements_per_month: int | None = None, movements_per_year: int | None = None,
             aeo: str | None = None) -> list[Criterion]:
    """The stated figures against 17, and what an AEO authorisation settles (21)."""
    if carrier not in CARRIERS:
        raise ValueError(f"carrier must be one of {', '.join(CARRIERS)}, got {carrier!r}")
    regular = _frequency(procedures_per_month, procedures_per_year, REGULAR_USE)
    unit = "flights" if carrier == AIRLINE else "voyages"
    minimum = THRESHOLDS[carrier]
    movements = _frequency(movements_per_month, movements_per_year, minimum)
    out = [
        Criterion("regular_use", regular, "1B-1052:17",
                  f"regular use of transit (at least {REGULAR_USE[0]} a month or {REGULAR_USE[1]} a calendar "
                  f"year over 12 months): {_figures(procedures_per_month, procedures_per_year, 'procedures')}"),
        Criterion("movements", movements, "1B-1052:17",
                  f"{'many flights' if carrier == AIRLINE else 'many voyages'} (at least {minimum[0]} a month "
                  f"or {minimum[1]} a year): {_figures(movements_per_month, movements_per_year, unit)}"),
    ]
    if aeo:
        out.append(Criterion("aeo", True, "1B-1052:21",
                             f"AEO authorisation {aeo}: UCC 39 (a), (b) and (d) taken as met; check what UCC 38(5) "
                             "still requires"))
    else:
        out.append(Criterion("aeo", None, "1B-1052:18",
                             "no AEO authorisation: UCC 39 (a), (b) and (d) to be checked (1B-1052:18-20)"))
    return out


# ------------------------------------------------------------------------------------------- consultation

def channel(country: str, common_transit: Collection[str]) -> str | None:
    """How another country's competent authority is consulted (16) and told (32): "msvs" for a member state,
    "email" for a common transit country, None for Lithuania itself; "unknown" when it is neither (an officer
    decides)."""
    country = country.upper()
    if country == HOME:
        return None
    if country in EU_MEMBER_STATES:
        return "msvs"
    if country in {c.upper() for c in common_transit}:
        return "email"
    return "unknown"


def countries_to_consult(office_countries: Iterable[str]) -> list[str]:
    """The other countries the offices of departure and destination are in (16), sorted, each once."""
    return sorted({c.upper() for c in office_countries} - {HOME})


def consultation_due(accepted_at: datetime) -> datetime:
    """"iš karto, bet ne vėliau kaip kitą darbo dieną" (16): the end of the next working day after acceptance."""
    return working_deadline(accepted_at, 1)


def notice_due(decided_at: datetime) -> datetime:
    """The offices (36) and authorities (32) are told at once, no later than the next working day."""
    return working_deadline(decided_at, 1)


def monitoring_plan_due(granted_at: datetime) -> datetime:
    """The monitoring plan is approved within 30 working days of the grant (25.2)."""
    return working_deadline(granted_at, MONITORING_PLAN_WORKING_DAYS)


def audit_years(granted_at: datetime, until: datetime, ended_at: datetime | None = None) -> list[int]:
    """The calendar years an audit is due in (37: at least once a calendar year): each year after the grant's,
    whose checks before the grant (15.3) cover it, up to ``until`` and while the authorisation stands."""
    first = granted_at.astimezone(VILNIUS).year + 1
    last = (min(until, ended_at) if ended_at else until).astimezone(VILNIUS).year
    return list(range(first, last + 1))


def audit_due(year: int) -> datetime:
    """The end of the calendar year (37)."""
    return datetime.combine(date(year, 12, 31), END_OF_DAY, tzinfo=VILNIUS)


def stage(due: datetime, now: datetime, *, alert_before: timedelta) -> str | None:
    """"overdue" past ``due``, "alert" within ``alert_before`` of it, else None."""
    if now > due:
        return "overdue"
    if now >= due - alert_before:
        return "alert"
    return None


# ------------------------------------------------------------------------------------------------ retention

# The documents of the file (23) and the point each falls under; the monitoring plan and audit reports are
# records of supervising the authorisation (23.5).
DOCUMENT_POINTS = {
    "application": "23.1", "assessment-report": "23.2", "extension": "23.3", "authorisation": "23.4",
    "monitoring-report": "23.5", "monitoring-plan": "23.5", "audit-report": "23.5", "decision": "23.6",
    "refusal": "23.7",
}


@dataclass(frozen=True)
class Retention:
    keep_until: date | None   # the last day it must be kept; None: while no decision starts the count
    disposable_from: date | None
    rule: str
    because: str              # English


def end_of_year_plus(moment: datetime, years: int) -> date:
    """The last day of the ``years``-th calendar year after the Vilnius year of ``moment``."""
    return date(moment.astimezone(VILNIUS).year + years, 12, 31)


def retention(kind: str, decisions: Iterable[tuple[str, datetime]]) -> Retention:
    """How long a document of ``kind`` is kept (24), given the file's decisions (action, decided at), oldest
    first: three years from the end of the calendar year of the decision its point names."""
    point = DOCUMENT_POINTS[kind]
    decisions = list(decisions)
    if point == "23.3":
        starts, what = [d for a, d in decisions if a in ("grant", "refuse")], "the grant or refusal"
    elif point == "23.7":
        starts, what = [d for a, d in decisions if a == "refuse"], "the refusal"
    else:
        starts, what = [d for a, d in decisions if a in ("revoke", "annul")], "the revocation or annulment"
    if not starts:
        return Retention(None, None, "1B-1052:24", f"kept until {RETENTION_YEARS} years after the year of {what}")
    keep = end_of_year_plus(starts[-1], RETENTION_YEARS)
    return Retention(keep, keep + timedelta(days=1), "1B-1052:24",
                     f"{RETENTION_YEARS} years from the end of {starts[-1].astimezone(VILNIUS).year}, "
                     f"the year of {what}")


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=VILNIUS)
