"""Officer decisions from the CLI: recorded with the officer's login (itpc.officers) and dated when made.

A correction of a consent already issued (revoked, shortened) is a new `decision.made` on the consent's
request, never a change to the old one: the request's latest decision is then the consent's current state, and
the letters it implies (to the trader, to each office of the consent) are planned like any decision's.
"""
from __future__ import annotations

from datetime import datetime

from config.errors import RequestError
from itpc.app import App
from itpc.judge import decision_record
from ledger.clock import VILNIUS, parse_instant, shown
from ledger.entries import DECISION_MADE, DecisionMade
from ledger.views import ConsentView, State
from responders.rules import Decision
from responders.workdays import working_days_after, working_deadline

CONTINUITY_KINDS = {"continuity"}
EARLY_RECOVERY_KINDS = {"early_recovery"}
CORRECTIONS = {"revoke": "revoked", "amend": "amended"}  # action -> the outcome it records
AFIS_KINDS = {"afis_access", "afis_change"}


class OfficerError(RequestError):
    """A decision the officer asked for that cannot be recorded; the message says why."""


def officer_decision(app: App, number: str, action: str, *, period_from: str | None, period_to: str | None,
                     reason: str | None, rules: list[str], officer: str, at: str | None = None,
                     consent_no: str | None = None) -> DecisionMade:
    if action in CORRECTIONS:
        return consent_correction(app, number, action, period_to=period_to, reason=reason, rules=rules,
                                  officer=officer)
    state, now = app.state, app.clock()
    request = state.requests.get(number)
    if request is None:
        raise OfficerError(f"no request {number}")
    latest = (request.decision or {}).get("outcome")
    if latest not in (None, "review"):
        raise OfficerError(f"{number} is already decided ({latest}); only requests in review wait for an officer")
    if action == "end":
        decision = _early_end(request.kind, request.decision or {}, request.registered.get("fields") or {}, state,
                              at, consent_no, rules)
    else:
        decision = _decision(request.kind, request.registered.get("fields") or {}, request.received, now, action,
                             period_from, period_to, reason, rules, app.settings.rules.afis_correction_days)
    with app.ledger.writing():
        record = decision_record(request, decision, state, decided_by=officer, decided_at=now)
        app.ledger.append(DECISION_MADE, record)
    return record


def _decision(kind: str, fields: dict, received: datetime, now: datetime, action: str, period_from: str | None,
              period_to: str | None, reason: str | None, rules: list[str], correction_days: int) -> Decision:
    if action == "consent":
        if kind not in CONTINUITY_KINDS:
            raise OfficerError(f"a consent answers a continuity request, not {kind}")
        asked_from = _instant("period_from", fields.get("period_from"))
        asked_to = _instant("period_to", fields.get("period_to"))
        start = _instant("--from", period_from) or asked_from
        end = _instant("--to", period_to) or asked_to
        if start is None or end is None:
            raise OfficerError("the request names no period: give --from and --to")
        _states_what_a_sutikimas_needs(fields)
        _within_asked(start, end, asked_from, asked_to)
        start = max(start, received)  # a consent never starts before the request's receipt
        limit = working_days_after(start, 2)
        cited = tuple(rules)
        if end > limit:
            end, cited = limit, tuple(sorted(set(cited) | {"1B-1029:14"}))
        if end <= start:
            raise OfficerError("the consent would end before it starts")
        return Decision(outcome="consent", rules=cited, period_from=start, period_to=end)
    if not reason:
        raise OfficerError(f"{action} needs --reason (the motive, in Lithuanian, sent to the applicant)")
    if action == "refuse":
        return Decision(outcome="refusal", rules=tuple(rules), motives=(reason,))
    if kind not in AFIS_KINDS:
        raise OfficerError(f"return is for AFIS/CIS+ requests; a {kind} request is refused or consented")
    return Decision(outcome="returned", rules=tuple(rules) or ("1B-280:9",), motives=(reason,),
                    deadline=working_deadline(now, correction_days))


# What the Sutikimas (1B-1029 annex 2) states of the request, by field, as an officer would name it.
SUTIKIMAS_NEEDS = {"applicant": "applicant", "eori": "EORI code", "systems": "system (MDAS or NTKS)",
                   "customs_offices": "customs office"}


def _states_what_a_sutikimas_needs(fields: dict) -> None:
    """A consent is a Sutikimas sent to the trader and to each office it names: refused before anything is
    recorded when the request lacks what the document states, so no decision stands without its letter."""
    named = {**fields, "applicant": fields.get("applicant") or fields.get("institution")}
    lacking = [what for key, what in SUTIKIMAS_NEEDS.items()
               if not named.get(key) or (isinstance(named[key], str) and not named[key].strip())]
    if lacking:
        raise OfficerError("a consent needs what the Sutikimas states: the request names no "
                           f"{' and no '.join(lacking)}; refuse it or ask for a new request")


def _within_asked(start: datetime, end: datetime, asked_from: datetime | None, asked_to: datetime | None) -> None:
    """A consent is for the period asked or a shorter one (1B-1029:14): never earlier, never later."""
    if asked_from is not None and start < asked_from:
        raise OfficerError(f"--from {shown(start)} is before the period asked ({shown(asked_from)}); a consent can "
                           "only be shorter than asked (1B-1029:14)")
    if asked_to is not None and end > asked_to:
        raise OfficerError(f"--to {shown(end)} is after the period asked ({shown(asked_to)}); a consent can only "
                           "be shorter than asked (1B-1029:14)")


def _early_end(kind: str, review: dict, fields: dict, state: State, at: str | None, consent_no: str | None,
               rules: list[str]) -> Decision:
    """An early recovery an officer accepts (1B-1029:16): the consent ends at ``--at``, within its period."""
    if kind not in EARLY_RECOVERY_KINDS:
        raise OfficerError(f"end answers an early-recovery notice, not a {kind} request")
    number = (consent_no or review.get("consent_no") or fields.get("consent_no") or "").strip().upper()
    if not number:
        raise OfficerError("the notice names no consent: give --consent VTP-…")
    consent = _consent_in_force(state, number)
    ended = _instant("--at", at)
    if ended is None:
        raise OfficerError("end needs --at (when the trader's systems worked again)")
    start, end = parse_instant(consent.period_from), parse_instant(consent.period_to)
    if not start <= ended <= end:
        raise OfficerError(f"--at {shown(ended)} is outside consent {number} ({shown(start)} – {shown(end)})")
    return Decision(outcome="ended_early", rules=tuple(sorted(set(rules) | {"1B-1029:16"})), consent_no=number,
                    period_from=start.astimezone(VILNIUS), period_to=ended.astimezone(VILNIUS),
                    motives=((f"Asmuo vėl gali vykdyti elektroninių duomenų mainus nuo {shown(ended)}, todėl "
                              f"Sutikimas Nr. {number} nuo šio laiko nebetaikomas."),))


def consent_correction(app: App, number: str, action: str, *, period_to: str | None, reason: str | None,
                       rules: list[str], officer: str) -> DecisionMade:
    """Revoke a consent now, or shorten it (``amend --to``); NUMBER is the consent's or its request's number."""
    state, now = app.state, app.clock()
    consent = _consent_of(state, number)
    request = state.requests[consent.request]
    start, end = parse_instant(consent.period_from), parse_instant(consent.period_to)
    if now >= end:
        raise OfficerError(f"consent {consent.number} ran out at {shown(end)}; there is nothing left to correct")
    if action == "revoke":
        if not reason:
            raise OfficerError("revoke needs --reason (the motive, in Lithuanian, sent to the trader)")
        decision = Decision(outcome="revoked", rules=tuple(rules), consent_no=consent.number,
                            period_from=start, period_to=now, motives=(reason,))
    else:
        new_end = _instant("--to", period_to)
        if new_end is None:
            raise OfficerError("amend needs --to (the consent's new, earlier end)")
        if new_end == end:
            raise OfficerError(f"consent {consent.number} already ends at {shown(end)}: nothing to amend")
        if new_end > end:
            raise OfficerError(f"--to {shown(new_end)} is after consent {consent.number}'s end ({shown(end)}); an "
                               "officer only shortens a consent (1B-1029:14)")
        if new_end <= max(start, now):
            raise OfficerError(f"--to {shown(new_end)} is not after {shown(max(start, now))}: to end a consent now, "
                               "revoke it")
        decision = Decision(outcome="amended", rules=tuple(sorted(set(rules) | {"1B-1029:14"})),
                            consent_no=consent.number, period_from=start, period_to=new_end,
                            motives=(reason,) if reason else ())
    with app.ledger.writing():
        record = decision_record(request, decision, state, decided_by=officer, decided_at=now)
        app.ledger.append(DECISION_MADE, record)
    return record


def _consent_of(state: State, number: str) -> ConsentView:
    """The consent NUMBER names (VTP-…), or the latest one its request (ITPC-…) was given, while in force."""
    number = number.strip().upper()
    if number in state.consents:
        return _consent_in_force(state, number)
    given = state.consents_given(number)
    if not given:
        raise OfficerError(f"no consent {number}" if number.startswith("VTP-") else f"{number} holds no consent")
    return _consent_in_force(state, given[-1].number)


def _consent_in_force(state: State, number: str) -> ConsentView:
    consent = state.consents.get(number)
    if consent is None:
        raise OfficerError(f"no consent {number}")
    if consent.ended_at is not None:
        raise OfficerError(f"consent {number} already ended at {shown(parse_instant(consent.ended_at))}")
    if consent.expired:
        raise OfficerError(f"consent {number} has expired")
    return consent


def _instant(name: str, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        raise OfficerError(f"{name}: not an ISO-8601 date and time: {value!r}") from None
