"""The rules engine: pure functions from a request's fields, its history and a clock to a cited decision.

No I/O and no wall clock: every time comes in as an argument (the request's receipt time), so replaying a
mailbox gives the same decisions. Rules are cited as ``<order>:<point>`` (``1B-1029:8.2``); motives are the
Lithuanian sentences a letter shows, one per reason, each naming its point; ``note`` is English for officers.

Continuity requests (1B-1029), in this order of precedence:
 1. items point 8 requires are missing or unusable (the person, its representative or contact person, the
    period, the reasons) → refusal citing 8.1 / 8.2 / 8.3 (13: with motives);
 2. no system or no customs office named → officer review (the form's items, not point 8's);
 3. at receipt a declared outage of every requested system lets the procedure go without a request (an MDAS
    failure over 2 hours or an extended stop, 20; NTKS, 31/32) and covers the period → "not_needed";
 4. reasons not objective → refusal (12);
 5. more than four consents to the EORI in the 30 calendar days before receipt (Vilnius calendar: from the same
    wall-clock time 30 days earlier) → refusal (12), stating when a new request can next succeed (13);
 6. reasons neither clearly objective nor clearly not → officer review;
 7. consent from max(asked start, receipt) to min(asked end, start + 2 working days), citing 14 if shortened.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping, Sequence

from ledger.clock import VILNIUS, parse_instant, shown
from ledger.text import code_key, fold_nfkd
from responders.institutions import Institutions
from responders.outages import SYSTEMS as OUTAGE_SYSTEMS, UNPLANNED, Outage, without_request, without_request_rules
from responders.reasons import NOT_OBJECTIVE, OBJECTIVE, ReasonLists, classify_reasons
from responders.senders import address_of, failed_authentication, is_free_mail, same_sender
from responders.workdays import working_days_after, working_deadline

CONSENT_DAYS = 2                      # 1B-1029:14
CONSENT_WINDOW_DAYS = 30              # 1B-1029:12, calendar days on the Vilnius calendar (DESIGN.md)
MAX_RECIPIENTS = 5                    # addresses an automatic answer goes to; more: an officer decides
CONSENT_CAP = 4                       # 1B-1029:12: "daugiau kaip 4" refuses
CHANGE_DAYS = 2                       # 1B-280:14-15

LAW_NAMES = {"1B-1029": "Muitinės veiklos tęstinumo taisyklių", "1B-280": "AFIS/CIS+ taisyklių"}


@dataclass(frozen=True)
class Decision:
    outcome: str               # "consent" | "refusal" | "review" | "returned" | "forwarded" | "ended_early" |
    #                            "not_needed" | "none"
    rules: tuple[str, ...]     # legal points it rests on, e.g. ("1B-1029:14",)
    period_from: datetime | None = None
    period_to: datetime | None = None
    motives: tuple[str, ...] = ()   # Lithuanian sentences for the letter, one per reason, each naming its point
    note: str = ""             # English, for officers (why review)
    deadline: datetime | None = None   # returned AFIS request: its correction deadline; AFIS change: the notice's
    consent_no: str | None = None      # for ended_early: which consent


@dataclass(frozen=True)
class ConsentRecord:
    number: str
    eori: str
    issued_at: datetime
    period_from: datetime
    period_to: datetime
    offices: tuple[str, ...]
    ended_at: datetime | None = None
    requested_by: str = ""     # the sender of the request the consent answered (who may end it, 1B-1029:16)


# ---------------------------------------------------------------------------------------------- helpers


def point_key(rule: str) -> tuple:
    """Sort key for citations: by order, then numerically by point ("1B-280:7.6" before "1B-280:13")."""
    order, _, point = rule.partition(":")
    return (order, tuple(int(p) if p.isdigit() else p for p in point.split(".")))


def sorted_rules(rules: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(rules), key=point_key))


def cite(rule: str) -> str:
    """How a motive names its point: "Muitinės veiklos tęstinumo taisyklių 8.2 papunktis"."""
    order, _, point = rule.partition(":")
    kind = "papunktis" if "." in point else "punktas"
    return f"{LAW_NAMES.get(order, order)} {point} {kind}"


def _aware(moment: datetime, name: str) -> datetime:
    """``moment`` in UTC. Everything is compared in UTC because Python compares two datetimes that share a
    tzinfo (e.g. both Europe/Vilnius) by wall clock, which is wrong across the switch to and from summer time."""
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name}: an aware datetime is required, got {moment!r}")
    return moment.astimezone(timezone.utc)


def parse_time(value: Any) -> datetime | None:
    """ISO-8601 text (or a datetime) to an aware datetime; no offset means Vilnius; unreadable → None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = parse_instant(value)
        except ValueError:
            return None
    else:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=VILNIUS)).astimezone(timezone.utc)


_LINK = re.compile(r"(?i)\b(?:https?://|ftp://|www\.)\S+|\S+@\S+")
QUOTE_LIMIT = 300  # characters of the sender's own words a letter repeats


def quoted(text: Any, limit: int = QUOTE_LIMIT) -> str:
    """The sender's words as a letter may repeat them: one line, links and addresses taken out, at most
    ``limit`` characters (a letter of ours must not carry a stranger's link or a page of text)."""
    words = " ".join(_LINK.sub("[…]", str(text or "")).split())
    return words if len(words) <= limit else words[:limit].rsplit(" ", 1)[0] + " …"


def _blank(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, (list, tuple)) and not value)


# ----------------------------------------------------------------------------------------- continuity

POINT8 = {"applicant": "1B-1029:8.1", "eori": "1B-1029:8.1", "contact_name": "1B-1029:8.1", "period": "1B-1029:8.2",
          "reasons": "1B-1029:8.3"}
POINT8_WHAT = {"applicant": "asmens pavadinimas (vardas, pavardė)", "eori": "asmens EORI kodas",
               "contact_name": "asmens atstovo (kontaktinio asmens) vardas ir pavardė"}


def _missing_point8(fields: dict, missing: Sequence[str]) -> set[str]:
    """Items point 8 requires that the parser reported missing, or that the fields plainly lack."""
    gone = {m for m in missing if m in POINT8}
    if _blank(fields.get("eori")):
        gone.add("eori")
    for key in ("applicant", "contact_name"):  # checked where the parser gave the field (the contract has it)
        if key in fields and _blank(fields.get(key)):
            gone.add(key)
    if _blank(fields.get("reasons")):
        gone.add("reasons")
    if parse_time(fields.get("period_from")) is None or parse_time(fields.get("period_to")) is None:
        gone.add("period")
    return gone


def _point8_refusal(gone: set[str]) -> Decision:
    motives = []
    identity = [POINT8_WHAT[k] for k in ("applicant", "eori", "contact_name") if k in gone]
    if identity:
        whom = " ir ".join(([] if gone.isdisjoint({"applicant", "eori"}) else ["asmenį"])
                           + (["asmens atstovą"] if "contact_name" in gone else []))
        motives.append(f"Prašyme nenurodyti {whom} identifikuojantys duomenys ({', '.join(identity)}), "
                       f"kuriuos privaloma nurodyti ({cite('1B-1029:8.1')}).")
    if "period" in gone:
        motives.append("Prašyme nenurodytas arba neįskaitomas laiko tarpas, per kurį pageidaujama taikyti veiklos "
                       "tęstinumo procedūrą (jo pradžia ir pabaiga minučių tikslumu), kurį privaloma nurodyti "
                       f"({cite('1B-1029:8.2')}).")
    if "reasons" in gone:
        motives.append("Prašyme nenurodytos priežastys, dėl kurių asmuo negali vykdyti elektroninių duomenų mainų, "
                       f"kurias privaloma nurodyti ({cite('1B-1029:8.3')}).")
    return Decision(outcome="refusal", rules=sorted_rules(POINT8[k] for k in gone), motives=tuple(motives),
                    note=f"point 8 items missing: {', '.join(sorted(gone))}")


def _outage_covers(systems: Sequence[str], received_at: datetime, start: datetime, end: datetime,
                   outages: Sequence[Outage]) -> list[Outage]:
    """For every requested MDAS/NTKS system, an outage that at receipt let the procedure go without a request
    (1B-1029:20; NTKS 31) and spans [start, end] (an open one spans on); [] unless every system has one."""
    wanted = sorted({s.strip().upper() for s in systems if isinstance(s, str)})
    if not wanted or not set(wanted) <= set(OUTAGE_SYSTEMS):
        return []
    found = [next((o for o in outages if o.system.strip().upper() == system
                   and without_request(o, received_at) and _aware(o.start, "outage start") <= start
                   and (o.end is None or _aware(o.end, "outage end") >= end)), None)
             for system in wanted]
    return found if all(found) else []


def _without_request_motive(outage: Outage) -> str:
    """Why no consent is needed, for one outage, citing its point (20 for MDAS, 31 and 32 for NTKS)."""
    rules = without_request_rules(outage)
    said = (cite(rules[0]) if len(rules) == 1
            else f"{LAW_NAMES['1B-1029']} {' ir '.join(r.partition(':')[2] for r in rules)} punktai")
    if outage.system == "MDAS" and outage.kind != UNPLANNED:
        why = f"MDAS stabdymo laikas pratęstas iki {shown(outage.end)}"
    elif outage.system == "MDAS":
        why = f"MDAS neveikia nuo {shown(outage.start)} ilgiau nei 2 valandas"
    elif outage.kind != UNPLANNED:
        why = (f"NTKS veikimas stabdomas nuo {shown(outage.start)} iki {shown(outage.end)} (apie tai iš anksto "
               f"paskelbta); ITPC nurodymu šiuo laikotarpiu dirbama be NTKS")
    else:
        why = (f"NTKS neveikia nuo {shown(outage.start)} ilgiau nei 2 valandas; ITPC nurodymu dirbama be NTKS")
    return (f"{why}, todėl veiklos tęstinumo procedūrą leidžiama taikyti nepateikus Prašymo ir Sutikimas "
            f"nereikalingas ({said}).")


def calendar_days_after(moment: datetime, days: int) -> datetime:
    """The same Vilnius wall-clock time ``days`` calendar days later (earlier when negative), in UTC.

    Not ``days`` × 24 h: across a change of summer time the two differ by an hour (DESIGN.md, "Time"). A wall
    time that does not exist (the spring gap) or occurs twice (the autumn hour) is read with its first offset.
    """
    local = _aware(moment, "moment").astimezone(VILNIUS)
    return (local + timedelta(days=days)).astimezone(timezone.utc)


def consents_in_window(eori: str, received_at: datetime, consents: Sequence[ConsentRecord]) -> list[ConsentRecord]:
    """Consents issued to ``eori`` in the 30 calendar days before receipt (1B-1029:12): from the same Vilnius
    wall-clock time 30 days earlier (included) up to the receipt (excluded)."""
    eori = code_key(eori)
    received_at = _aware(received_at, "received_at")
    since = calendar_days_after(received_at, -CONSENT_WINDOW_DAYS)
    return [c for c in consents
            if code_key(c.eori) == eori and since <= _aware(c.issued_at, "issued_at") < received_at]


def count_clears_at(counted: Sequence[ConsentRecord]) -> tuple[ConsentRecord, datetime]:
    """Given the consents counted now (more than CONSENT_CAP), the one whose leaving the 30-day window ends the
    refusal on the count (1B-1029:12), and the first whole minute from which a request is received after it left.

    A consent issued at T is counted up to T + 30 calendar days inclusive; the minute is rounded up because
    letters show times to the minute.
    """
    ordered = sorted(counted, key=lambda c: _aware(c.issued_at, "issued_at"))
    leaving = ordered[len(ordered) - CONSENT_CAP - 1]  # the newest of those that must leave
    last_counted = calendar_days_after(leaving.issued_at, CONSENT_WINDOW_DAYS)
    return leaving, last_counted.replace(second=0, microsecond=0) + timedelta(minutes=1)


def _count_refusal(counted: Sequence[ConsentRecord]) -> Decision:
    """The refusal on the count, with when a new request can next succeed (DESIGN.md "Refusals")."""
    leaving, retry = count_clears_at(counted)
    numbers = ", ".join(c.number for c in sorted(counted, key=lambda c: _aware(c.issued_at, "issued_at")))
    return Decision(outcome="refusal", rules=("1B-1029:12",),
                    motives=("Per paskutines 30 kalendorinių dienų iki Prašymo gavimo asmeniui išduotų Sutikimų "
                             f"skaičius – {len(counted)}, t. y. daugiau kaip {CONSENT_CAP} ({cite('1B-1029:12')}). "
                             "Naujas Prašymas dėl išduotų Sutikimų skaičiaus nebus atmestas, jeigu ITPC jį gaus "
                             f"ne anksčiau kaip {shown(retry)} (Vilniaus laiku): tada {shown(leaving.issued_at)} "
                             f"išduotas Sutikimas Nr. {leaving.number} nebebus įskaičiuojamas į paskutinių "
                             "30 kalendorinių dienų Sutikimų skaičių.",),
                    note=f"{len(counted)} consents in the 30 calendar days before receipt: {numbers}; "
                         f"a new request can succeed from {shown(retry)}")


def decide_continuity(fields: dict, missing: list[str], *, received_at: datetime,
                      consents: Sequence[ConsentRecord], outages: Sequence[Outage], reasons: ReasonLists,
                      max_recipients: int = MAX_RECIPIENTS) -> Decision:
    """Consent, refusal, review or not_needed for a continuity request (1B-1029:8-14, 20)."""
    received_at = _aware(received_at, "received_at")
    fields = fields or {}
    named = len(fields.get("reply_email") or []) + len(fields.get("reply_fax") or [])
    if named > max_recipients:  # no automatic letter to a crowd: a mailing list by way of our answer
        return Decision(outcome="review", rules=(),
                        note=f"names {named} addresses and fax numbers for the answer, more than "
                             f"{max_recipients}; for an officer")
    gone = _missing_point8(fields, missing or [])
    if gone:
        return _point8_refusal(gone)

    asked_from = parse_time(fields["period_from"])
    asked_to = parse_time(fields["period_to"])
    start = max(asked_from, received_at)  # a consent never starts before the request's receipt
    if asked_to <= start:
        if asked_to <= asked_from:
            why = f"laiko tarpo pabaiga ({shown(asked_to)}) nėra vėlesnė už jo pradžią ({shown(asked_from)})"
        else:
            why = (f"laiko tarpas baigiasi ({shown(asked_to)}) ne vėliau, nei ITPC gavo Prašymą "
                   f"({shown(received_at)})")
        return Decision(outcome="refusal", rules=("1B-1029:8.2",),
                        motives=(f"Prašyme netinkamai nurodytas laiko tarpas: {why} ({cite('1B-1029:8.2')}).",),
                        note="the requested period ends before it could start")

    systems = fields.get("systems") or []
    offices = fields.get("customs_offices") or []
    form_gaps = [m for m in ("systems", "customs_offices") if m in (missing or [])
                 or _blank(systems if m == "systems" else offices)]
    if form_gaps:
        return Decision(outcome="review", rules=(),
                        note=f"no {' and no '.join(g.replace('_', ' ') for g in form_gaps)} named; for an officer")

    covering = _outage_covers(systems, received_at, start, asked_to, outages)
    if covering:
        cited = sorted_rules(rule for o in covering for rule in without_request_rules(o))
        return Decision(outcome="not_needed", rules=cited,
                        motives=tuple(_without_request_motive(o) for o in covering),
                        note=f"{', '.join(o.id for o in covering)} lets the procedure go without a request "
                             f"at receipt and covers {shown(start)} - {shown(asked_to)}")

    verdict = classify_reasons(fields.get("reasons"), reasons)
    if verdict == NOT_OBJECTIVE:
        return Decision(outcome="refusal", rules=("1B-1029:12",),
                        motives=(f"Prašyme nurodytos priežastys („{quoted(fields['reasons'])}“) nėra "
                                 "objektyvios: jos nerodo, kad neveikia asmens informacinė sistema, aparatinė įranga "
                                 f"ar kita informacinė infrastruktūra ({cite('1B-1029:12')}).",),
                        note="reasons match the not-objective list")

    earlier = consents_in_window(fields["eori"], received_at, consents)
    if len(earlier) > CONSENT_CAP:
        return _count_refusal(earlier)

    if verdict != OBJECTIVE:
        return Decision(outcome="review", rules=(),
                        note="reasons are neither clearly objective nor clearly not (1B-1029:12); for an officer")

    limit = _aware(working_days_after(start, CONSENT_DAYS), "limit")
    end = min(asked_to, limit)
    rules: tuple[str, ...] = ()
    motives: list[str] = []
    notes: list[str] = []
    if start > asked_from:
        motives.append(f"Sutikimas atgaline data neišduodamas, todėl jis galioja nuo Prašymo gavimo "
                       f"({shown(start)}).")
        notes.append("start moved to receipt")
    if asked_to > limit:
        rules = ("1B-1029:14",)
        motives.append("Sutikimas išduodamas trumpesniam, nei prašyta, laikotarpiui, nes jis išduodamas ne ilgesniam "
                       f"kaip {CONSENT_DAYS} darbo dienų laikotarpiui ({cite('1B-1029:14')}).")
        notes.append("shortened to two working days")
    return Decision(outcome="consent", rules=rules, period_from=start.astimezone(VILNIUS),
                    period_to=end.astimezone(VILNIUS), motives=tuple(motives), note="; ".join(notes))


# -------------------------------------------------------------------------------------- early recovery


def decide_early_recovery(fields: dict, *, received_at: datetime, consents: Sequence[ConsentRecord],
                          sender: str = "", free_mail: Iterable[str] = (),
                          registered_for: Iterable[str] = (),
                          authentication: Mapping[str, str] | None = None) -> Decision:
    """End a running consent early because the trader's systems work again (1B-1029:15-16).

    The consent is the one the notice names, else the one in force for the EORI it gives, else for its
    sender (16 asks for no number). Only its holder may end it: a notice from the consent's request's mail
    domain (the same address on a public mail service, ``free_mail``) or from an address the traders registry
    holds for the consent's EORI (``registered_for``: the EORIs it holds the sender for); anyone else's
    notice, one whose From our mail server found forged (``authentication``, see ``failed_authentication``),
    and every doubt, goes to an officer.
    """
    received_at = _aware(received_at, "received_at")
    fields = fields or {}
    free_mail = tuple(free_mail)
    found = _consent_noticed(fields, received_at, consents, sender, free_mail)
    if isinstance(found, Decision):
        return found
    consent = found
    if consent.ended_at is not None:
        return Decision(outcome="review", rules=(), consent_no=consent.number,
                        note=f"consent {consent.number} already ended at {shown(consent.ended_at)}")
    consent_from = _aware(consent.period_from, "period_from")
    consent_to = _aware(consent.period_to, "period_to")
    if received_at >= consent_to:
        return Decision(outcome="review", rules=(), consent_no=consent.number,
                        note=f"consent {consent.number} had already expired at {shown(consent.period_to)}")
    eori = code_key(fields.get("eori"))
    if eori and eori != code_key(consent.eori):
        return Decision(outcome="review", rules=(), consent_no=consent.number,
                        note=f"EORI {eori} does not hold consent {consent.number} ({consent.eori})")
    forged = failed_authentication(authentication)
    if forged:
        return Decision(outcome="review", rules=(), consent_no=consent.number,
                        note=f"{forged}; an officer decides whether consent {consent.number} ends (1B-1029:16)")
    if not (same_sender(sender, consent.requested_by, free_mail)
            or code_key(consent.eori) in {code_key(e) for e in registered_for}):
        return Decision(outcome="review", rules=(), consent_no=consent.number,
                        note=f"notice from {address_of(sender) or 'an unknown sender'}, neither from the mail domain "
                             f"of consent {consent.number}'s request ({address_of(consent.requested_by) or 'unknown'}) "
                             f"nor registered for {consent.eori}; an officer decides whether it ends (1B-1029:16)")

    resumed = parse_time(fields.get("resumed_at")) or received_at
    ended = min(max(resumed, consent_from), consent_to)
    return Decision(outcome="ended_early", rules=("1B-1029:16",), consent_no=consent.number,
                    period_from=consent.period_from.astimezone(VILNIUS), period_to=ended.astimezone(VILNIUS),
                    motives=(f"Asmuo pranešė, kad nuo {shown(ended)} vėl gali vykdyti elektroninių duomenų mainus, "
                             f"todėl Sutikimas Nr. {consent.number} nuo šio laiko nebetaikomas "
                             f"({cite('1B-1029:16')}).",),
                    note="" if resumed == ended else f"resumption time {shown(resumed)} clamped to the consent")


def _consent_noticed(fields: dict, received_at: datetime, consents: Sequence[ConsentRecord], sender: str,
                     free_mail: tuple[str, ...]) -> ConsentRecord | Decision:
    """The consent an early-recovery notice is about, or the review decision that says why none is sure."""
    number = code_key(fields.get("consent_no"))
    if number:
        consent = next((c for c in consents if c.number.upper() == number), None)
        if consent is None:
            return Decision(outcome="review", rules=(), note=f"no consent {number} in the ledger; for an officer",
                            consent_no=number)
        return consent
    eori = code_key(fields.get("eori"))
    in_force = [c for c in consents if c.ended_at is None and received_at < _aware(c.period_to, "period_to")]
    if eori:
        holders, whose = [c for c in in_force if code_key(c.eori) == eori], f"EORI {eori}"
    else:
        holders = [c for c in in_force if same_sender(sender, c.requested_by, free_mail)]
        whose = f"the sender {address_of(sender) or '(none)'}"
    # A consent already running is the one a recovery ends; one that has not begun yet is the next request's.
    running = [c for c in holders if _aware(c.period_from, "period_from") <= received_at] or holders
    if len(running) == 1:
        return running[0]
    if not running:
        return Decision(outcome="review", rules=(),
                        note=f"early recovery names no consent number and no consent is in force for {whose}; "
                             "for an officer")
    return Decision(outcome="review", rules=(),
                    note=f"early recovery names no consent number and {len(running)} consents are in force for "
                         f"{whose} ({', '.join(c.number for c in running)}); an officer decides which ends")


# ------------------------------------------------------------------------------------------------ AFIS

AFIS_POINTS = {"institution": "1B-280:7.1", "officer_position": "1B-280:7.2", "officer_name": "1B-280:7.2",
               "officer_phone": "1B-280:7.2", "officer_email": "1B-280:7.2", "access_type": "1B-280:7.3",
               "modules": "1B-280:7.4", "afis_mailbox": "1B-280:7.5", "purposes": "1B-280:7.6"}
# Required in every request; afis_mailbox only when the parser says it is needed (institution has several).
AFIS_REQUIRED = ("institution", "officer_position", "officer_name", "officer_phone", "officer_email",
                 "access_type", "modules", "purposes")
OFFICER_ITEMS = {"officer_position": "pareigos", "officer_name": "vardas ir pavardė",
                 "officer_phone": "telefono numeris", "officer_email": "el. pašto adresas"}
ACCESS_TYPES = {"CCN/CSI", "Internet/Secure Web"}
AFIS_MODULES = ("Alib", "AFIS paštas", "AREP (AMT)", "CIS (EU)", "CIS (MS)", "CIS+ Cash Declarations",
                "CIS+ CigInfo", "CIS+ MarInfo", "CIS+ YachtInfo", "CSM", "FIDE (EU)", "FIDE (MS)", "IET", "MAS",
                "ToSMA", "V-OCU", "TDM", "URT")  # 1B-280:7.4
_MODULE_KEYS = {" ".join(m.casefold().split()) for m in AFIS_MODULES} | {"trade data monitor database"}

# Who sent an AFIS/CIS+ request or notice, as point 8 (and 14-15) read it.
SENDER_OK = "ok"                  # a mailbox of an institution on the list, not the officer's own
SENDER_FREE_MAIL = "free_mail"    # a public mail service: not an institution's mailbox (8)
SENDER_SELF = "self"              # the officer the request is for: not the supervisor or head (8)
SENDER_UNKNOWN = "unknown"        # no address, or a domain not on the list: an officer decides


def afis_sender(sender: str, officer_email: str | None, *, institutions: Institutions,
                free_mail: Sequence[str]) -> str:
    """How point 8 reads the sender of a request (or a change notice) for the officer at ``officer_email``."""
    address = address_of(sender)
    if not address:
        return SENDER_UNKNOWN
    if is_free_mail(address, free_mail):
        return SENDER_FREE_MAIL
    if address == address_of(officer_email):
        return SENDER_SELF
    return SENDER_OK if institutions.of(address) is not None else SENDER_UNKNOWN


def _sender_motive(verdict: str, sender: str, point: str, *, nominative: str, accusative: str,
                   who: str = "pareigūnas, kuriam prašoma teisių") -> str:
    """Why the sender cannot send it (8, 14-15), of a request or a notice named in its two cases."""
    if verdict == SENDER_FREE_MAIL:
        return (f"{nominative} gautas ne iš institucijos el. pašto dėžutės, o iš viešosios el. pašto paslaugos "
                f"adreso ({address_of(sender)}); jį turi pateikti atstovo tiesioginis vadovas arba institucijos "
                f"vadovas iš institucijos el. pašto ({cite(point)}).")
    return (f"{accusative} pateikė pats {who}; jį turi pateikti atstovo tiesioginis "
            f"vadovas arba institucijos vadovas ({cite(point)}).")


def _is_ims(module: str) -> bool:
    # IMS (Irregularity Management System, 1B-280:3.27) modules are granted by the institutions that run them.
    words = module.replace("(", " ").replace(")", " ").upper().split()
    return "IMS" in words or "IRREGULARITY" in words


def _item_gaps(fields: dict, missing: Sequence[str]) -> tuple[set[str], list[str], list[str], list[str]]:
    """(the 7.x items missing or wrong, IMS modules, unknown modules, the other modules)."""
    gaps = {m for m in missing if m in AFIS_POINTS}
    gaps |= {k for k in AFIS_REQUIRED if _blank(fields.get(k))}
    access = fields.get("access_type")
    modules = [m for m in (fields.get("modules") or []) if isinstance(m, str) and m.strip()]
    ims = [m for m in modules if _is_ims(m)]
    unknown = [m for m in modules if not _is_ims(m) and " ".join(m.casefold().split()) not in _MODULE_KEYS]
    others = [m for m in modules if m not in ims and m not in unknown]
    gaps.discard("modules")
    if not modules or unknown:
        gaps.add("modules")  # IMS alone is a choice of modules: it is asked for elsewhere (13), not missing
    if not _blank(access) and access not in ACCESS_TYPES:
        gaps.add("access_type")
    return gaps, ims, unknown, others


def _item_motives(gaps: set[str], unknown: Sequence[str]) -> list[str]:
    motives = []
    if "institution" in gaps:
        motives.append("Nenurodytas muitinės įstaigos arba kitos Lietuvos Respublikos institucijos pavadinimas "
                       f"({cite('1B-280:7.1')}).")
    officer_gaps = [OFFICER_ITEMS[k] for k in OFFICER_ITEMS if k in gaps]
    if officer_gaps:
        motives.append(f"Nenurodyti pareigūno, kuriam reikalingos AFIS/CIS+ naudotojo teisės, duomenys: "
                       f"{', '.join(officer_gaps)} ({cite('1B-280:7.2')}).")
    if "access_type" in gaps:
        motives.append("Nenurodytas (arba netinkamai nurodytas) reikalingas AFIS/CIS+ naudotojo prieigos tipas: "
                       f"CCN/CSI arba Internet/Secure Web ({cite('1B-280:7.3')}).")
    if "modules" in gaps:
        listed = f" (nežinomi moduliai: {', '.join(unknown)})" if unknown else ""
        motives.append("Nenurodyti AFIS/CIS+ moduliai, su kuriais pagal atliekamas funkcijas reikia dirbti, "
                       f"iš Taisyklėse išvardytų{listed} ({cite('1B-280:7.4')}).")
    if "afis_mailbox" in gaps:
        motives.append(f"Nenurodyta reikalinga AFIS pašto dėžutė ({cite('1B-280:7.5')}).")
    if "purposes" in gaps:
        motives.append("Nenurodyti tikslai, kuriems įgyvendinti reikalinga prieiga prie AFIS/CIS+ "
                       f"({cite('1B-280:7.6')}).")
    return motives


def _ims_motive(ims: Sequence[str]) -> str:
    return (f"Dėl naudotojo teisių dirbti su IMS moduliais ({', '.join(ims)}) kreipiamasi į juos administruojančių "
            "Lietuvos Respublikos institucijų (Finansų ministerijos, Vidaus reikalų ministerijos, Finansinių "
            "nusikaltimų tyrimo tarnybos, Nacionalinės mokėjimo agentūros) pareigūnus; AFIS pareigūnas ryšiams "
            "palaikyti suteikia tik prisijungimo vardą ir slaptažodį, kai suteikiama CCN/CSI tinklo naudotojo "
            f"prieiga ({cite('1B-280:13')}).")


def decide_afis_access(fields: dict, missing: list[str], *, sender: str, institutions: Institutions,
                       free_mail: Sequence[str], received_at: datetime, correction_days: int) -> Decision:
    """Return a deficient AFIS/CIS+ access request (9), forward a complete one to the liaison officer, or leave
    it to an officer: a sender whose domain is not on the institutions list, IMS modules (13)."""
    received_at = _aware(received_at, "received_at")
    fields = fields or {}
    officer_email = str(fields.get("officer_email") or "")
    verdict = afis_sender(sender, officer_email, institutions=institutions, free_mail=free_mail)
    gaps, ims, unknown, others = _item_gaps(fields, missing or [])
    rules = {AFIS_POINTS[g] for g in gaps}
    motives = _item_motives(gaps, unknown)
    if verdict in (SENDER_FREE_MAIL, SENDER_SELF):
        rules.add("1B-280:8")
        motives.insert(0, _sender_motive(verdict, sender, "1B-280:8", nominative="Prašymas", accusative="Prašymą"))
    if ims:
        motives.append(_ims_motive(ims))

    if verdict == SENDER_UNKNOWN:
        return Decision(outcome="review", rules=(), motives=tuple(motives),
                        note=f"sender {address_of(sender) or '(none)'} is not a mailbox of an institution on the "
                             "list (1B-280:8); for an officer"
                             + (f"; also deficient: {', '.join(sorted_rules(rules))}" if rules else ""))
    if rules:
        if ims:
            rules.add("1B-280:13")
        deadline = working_deadline(received_at, correction_days)  # counted on the Vilnius calendar
        return Decision(outcome="returned", rules=sorted_rules(rules), motives=tuple(motives), deadline=deadline,
                        note=f"deficient request; correction by {shown(deadline)} (1B-280:9)")
    if ims:
        return Decision(outcome="review", rules=("1B-280:13",), motives=tuple(motives),
                        note="IMS modules are granted by the institutions that administer IMS; the liaison officer "
                             "gives only the CCN/CSI login (1B-280:13); for an officer"
                             + (f"; other modules: {', '.join(others)}" if others else ""))
    home, theirs = institutions.of(sender), institutions.of(officer_email)
    if theirs is not None and home is not None and theirs != home:
        return Decision(outcome="review", rules=(),
                        note=f"sent from a mailbox of {home.name} for an officer of {theirs.name} (1B-280:8); "
                             "for an officer")
    return Decision(outcome="forwarded", rules=(), note="complete; forwarded to the AFIS liaison officer (1B-280:9-10)")


# Words (diacritics folded) that say the rights are lost rather than changed (1B-280:15).
NOTICE_ABOUT = "apie AFIS/CIS+ naudotojo teisių pasikeitimą"
LOSS_STEMS = ("atleid", "atleist", "nusalin", "netek", "panaikin", "isej", "nebedirb", "nesusij")


def decide_afis_change(fields: dict, *, sender: str, institutions: Institutions, free_mail: Sequence[str],
                       received_at: datetime) -> Decision:
    """A change (14) or loss (15) of AFIS/CIS+ rights, which the supervisor or head reports within 2 working
    days of the change: forwarded to the liaison officer (16), a late notice flagged; a notice not from the
    supervisor returned; a sender off the institutions list left to an officer."""
    received_at = _aware(received_at, "received_at")
    fields = fields or {}
    change = fold_nfkd(str(fields.get("change") or ""))
    loss = any(word.startswith(LOSS_STEMS) for word in change.split())
    point = "1B-280:15" if loss else "1B-280:14"
    what = "withdrawal" if loss else "change"
    verdict = afis_sender(sender, str(fields.get("officer_email") or ""), institutions=institutions,
                          free_mail=free_mail)
    if verdict in (SENDER_FREE_MAIL, SENDER_SELF):
        return Decision(outcome="returned", rules=(point,),
                        motives=(_sender_motive(verdict, sender, point, nominative=f"Pranešimas {NOTICE_ABOUT}",
                                                accusative=f"Pranešimą {NOTICE_ABOUT}",
                                                who="AFIS/CIS+ naudotojas"),),
                        note=f"AFIS/CIS+ rights {what} notice not from the supervisor or head ({point})")
    if verdict == SENDER_UNKNOWN:
        return Decision(outcome="review", rules=(point,),
                        note=f"sender {address_of(sender) or '(none)'} is not a mailbox of an institution on the "
                             f"list; AFIS/CIS+ rights {what} for an officer")
    changed = parse_time(fields.get("changed_on"))
    due = working_deadline(changed, CHANGE_DAYS) if changed else None  # the supervisor's, not the liaison's
    late = due is not None and received_at > _aware(due, "due")
    motives = ()
    if late:
        motives = (f"Pranešimas pateiktas {shown(received_at)}, vėliau nei per {CHANGE_DAYS} darbo dienas nuo "
                   f"pasikeitimo ({shown(changed)}); jį reikėjo pateikti iki {shown(due)} ({cite(point)}).",)
    return Decision(outcome="forwarded", rules=(point, "1B-280:16"), deadline=due, motives=motives,
                    note=f"AFIS/CIS+ rights {what} forwarded to the AFIS liaison officer"
                         + (f"; LATE notice: due by {shown(due)}" if late else ""))
