"""Officer decisions from the CLI: recorded with the officer's name and dated when made."""
from __future__ import annotations

import getpass
from datetime import datetime

from config.errors import RequestError
from itpc.app import App
from itpc.judge import decision_record
from ledger.clock import parse_instant
from ledger.entries import DECISION_MADE, DecisionMade
from responders.rules import Decision
from responders.workdays import working_days_after, working_deadline

CONTINUITY_KINDS = {"continuity"}
AFIS_KINDS = {"afis_access", "afis_change"}


class OfficerError(RequestError):
    """A decision the officer asked for that cannot be recorded; the message says why."""


def officer_decision(app: App, number: str, action: str, *, period_from: str | None, period_to: str | None,
                     reason: str | None, rules: list[str], officer: str | None) -> DecisionMade:
    state, now = app.state, app.clock()
    request = state.requests.get(number)
    if request is None:
        raise OfficerError(f"no request {number}")
    latest = (request.decision or {}).get("outcome")
    if latest not in (None, "review"):
        raise OfficerError(f"{number} is already decided ({latest}); only requests in review wait for an officer")
    officer = officer or getpass.getuser()
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
        start = _instant("--from", period_from) or _instant("period_from", fields.get("period_from"))
        end = _instant("--to", period_to) or _instant("period_to", fields.get("period_to"))
        if start is None or end is None:
            raise OfficerError("the request names no period: give --from and --to")
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


def _instant(name: str, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        raise OfficerError(f"{name}: not an ISO-8601 date and time: {value!r}") from None
