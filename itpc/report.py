"""Requests as people and programs see them (pure: records in, JSON or table rows out).

Also the deadline each request is held to, so that "overdue" means the same thing in every command:
a continuity request must be decided within two hours of receipt (1B-1029:9); a request that the rules
handed to an officer with a deadline of its own (AFIS changes, 1B-280:16) is held to that one. A decision is
timed by when it was made (its ``decided_at``), so one made after the deadline is a breach in `show`,
`requests --status overdue` and `report` alike (DESIGN.md principle 5).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping, Sequence

from ingest.form_kind import CORRESPONDENCE
from ingest.forms import KINDS as FORM_KINDS
from ingest.parse import AUTO_GENERATED
from itpc.table import render_table
from ledger.clock import VILNIUS, parse_instant, shown
from ledger.request_records import WAITING, Record

STATUSES = ("open", "review", "consent", "refusal", "returned", "forwarded", "granted", "ended_early", "none",
            "amended", "revoked", "overdue", "queue", "reply", "closed")
# Statuses that are not a decision's outcome: the officer queue (`for_officer`), a case a message came back to
# that no officer has answered yet, and a case an officer closed.
CASE_STATUSES = ("queue", "reply", "closed")
# Every kind a request can be registered as (`requests --kind`): the forms', mail never answered, and a reply
# (which joins its case, so it lists nothing there, but is a kind people may ask for).
REQUEST_KINDS = (*FORM_KINDS, AUTO_GENERATED, CORRESPONDENCE)


def vilnius_iso(value: str | None) -> str | None:
    return parse_instant(value).astimezone(VILNIUS).isoformat() if value else None


def outcome_of(record: Record) -> str:
    """The outcome as `requests --json` states it: auto-generated mail is never decided, its outcome 'none'."""
    if record["outcome"] == "open" and record["kind"] == "auto_generated":
        return "none"
    return record["outcome"]


def for_officer(record: Record) -> bool:
    """In the officer queue: a message came in that no officer has acted on (a conversation came back), a
    request handed to review, or an inquiry no officer has answered yet; never a closed case."""
    if record.get("closed"):
        return False
    if record.get("waiting") or outcome_of(record) == "review":
        return True
    return record["kind"] == "not_a_request" and record["outcome"] == "none" and not record.get("replies")


def waiting_reason(record: Record) -> str:
    """Why the case is in the officer queue, in a few words, where its outcome does not say it already ("" for a
    request in review, and for one not in the queue)."""
    if not for_officer(record):
        return ""
    if record.get("waiting"):
        return record["waiting"]["reason"]
    if record["kind"] == "not_a_request":
        return "inquiry, not answered" if record["outcome"] == "none" else "could not be read"
    return ""


def record_json(record: Record, decision_deadline: timedelta, now: datetime) -> dict[str, Any]:
    """One request as DESIGN.md's `requests --json` contract, with its ``deadline`` (None where no rule sets
    one), whether it is ``overdue`` as `requests --status overdue` judges it at ``now``, and the ``officer``
    who has the case (the one who took it, else the one who decided it by hand; None while no officer has); and
    where it stands as a case: in the officer ``queue`` or not, ``waiting`` (why and since when), ``closed``, and
    the cases ``links`` names."""
    deadline = deadline_of(record, decision_deadline)
    return {
        "number": record["number"],
        "kind": record["kind"],
        "message_id": record["message_id"],
        "received_at": vilnius_iso(record["received_at"]),
        "fields": record["fields"],
        "missing": record["missing"],
        "decision": {
            "outcome": outcome_of(record),
            "period_from": vilnius_iso(record["period_from"]),
            "period_to": vilnius_iso(record["period_to"]),
            "rules": record["rules"],
            "decided_by": record["decided_by"],
            "decided_at": vilnius_iso(record["decided_at"]),
            "consent_no": record["consent_no"],
        },
        "notices": [{"id": n["id"], "purpose": n["purpose"], "to": n["to"], "subject": n["subject"],
                     "status": n["status"], "sent_at": vilnius_iso(n["sent_at"])} for n in record["notices"]],
        "messages": record["messages"],
        "deadline": deadline.astimezone(VILNIUS).isoformat() if deadline else None,
        "overdue": matches_status(record, "overdue", decision_deadline, now),
        "officer": officer_of(record) or None,
        "queue": for_officer(record),
        "waiting": None if not record.get("waiting") else {"reason": record["waiting"]["reason"],
                                                          "since": vilnius_iso(record["waiting"]["since"])},
        "closed": None if not record.get("closed") else {**record["closed"],
                                                        "at": vilnius_iso(record["closed"]["at"])},
        "links": list(record.get("links") or []),
    }


# -- deadlines ------------------------------------------------------------------------------------------------

def deadline_of(record: Record, decision_deadline: timedelta) -> datetime | None:
    """When ITPC must have decided this request, or None where no rule sets a time."""
    if record["kind"] == "continuity":
        return parse_instant(record["received_at"]) + decision_deadline
    if record["outcome"] in WAITING and record["deadline"]:
        return parse_instant(record["deadline"])
    return None


def decision_moment(decision: Mapping[str, Any], ts: str) -> datetime:
    """When a decision was made, as it is dated (the clock of the process that made it); the entry's write
    time only for a decision without a date. (Ledgers written before decisions were dated when made date an
    automatic decision at its request's receipt.)"""
    return parse_instant(decision.get("decided_at") or ts)


def decided_moment(record: Record) -> datetime | None:
    """When the request was settled (``decision_moment`` of its settling decision), or None."""
    if not record["settled_ts"]:
        return None
    return decision_moment({"decided_at": record["settled_at"]}, record["settled_ts"])


def deadline_missed(record: Record, decision_deadline: timedelta, now: datetime) -> bool:
    """Decided after its deadline, or still waiting past it, or recorded as breached by the scheduler."""
    if record["breached"]:
        return True
    deadline = deadline_of(record, decision_deadline)
    if deadline is None:
        return False
    decided = decided_moment(record)
    return (decided or now) > deadline


def is_overdue(record: Record, decision_deadline: timedelta, now: datetime) -> bool:
    """Still waiting for a decision and past the time it was due."""
    if record["outcome"] not in WAITING or record["kind"] == "auto_generated":
        return False
    deadline = deadline_of(record, decision_deadline)
    return deadline is not None and now > deadline


LETTERS_DUE = timedelta(hours=1)  # a letter still unsent after this long is overdue


def letters_waiting(record: Record, now: datetime, longer_than: timedelta) -> list[dict]:
    """The request's letters queued (or failing) and not sent for longer than ``longer_than``: a mail server
    away, or retry times from a wrong clock — something an officer should see."""
    return [n for n in record["notices"] if n["status"] in ("queued", "failed") and n.get("queued_at")
            and now - parse_instant(n["queued_at"]) > longer_than]


def matches_status(record: Record, status: str, decision_deadline: timedelta, now: datetime,
                   letters_due: timedelta = LETTERS_DUE) -> bool:
    """``overdue``: still waiting past its deadline, decided after it (a breach), or with a letter unsent for
    longer than ``letters_due``; ``queue``: in the officer queue; ``reply``: a message came in that no officer
    has acted on; ``closed``: closed by an officer."""
    if status == "queue":
        return for_officer(record)
    if status == "reply":
        return bool(record.get("waiting"))
    if status == "closed":
        return bool(record.get("closed"))
    if status == "overdue":
        if letters_waiting(record, now, letters_due):
            return True
        if record["outcome"] in WAITING:
            return is_overdue(record, decision_deadline, now)
        return deadline_missed(record, decision_deadline, now)
    return outcome_of(record) == status


def outcomes_for(status: str | None) -> list[str] | None:
    """The stored outcomes a status can only come from (lets the view narrow the query)."""
    if status is None:
        return None
    if status == "overdue" or status in CASE_STATUSES:
        return None  # a request decided late is overdue too, whatever its outcome; a case's state is no outcome
    if status == "none":
        return ["none", "open"]
    return [status]


# -- the table ----------------------------------------------------------------------------------------------

HEADERS = ("Number", "Received", "Kind", "Who", "EORI", "Outcome", "Deadline", "Officer")
WIDTHS = (17, 16, 14, 32, 17, 11, 16, 14)


def officer_of(record: Record) -> str:
    """The officer who has the case: who took it (`itpc take`), else who decided it by hand."""
    if record.get("taken_by"):
        return record["taken_by"]
    return record["decided_by"] if record["decided_by"] not in (None, "auto") else ""


def request_table(records: Sequence[Record], decision_deadline: timedelta, now: datetime) -> list[str]:
    """The `itpc requests` table: rows past their deadline in red (marked "!" while still waiting), rows
    waiting for an officer in yellow, with why they wait when any does (a message came back, an inquiry)."""
    rows, styles = [], []
    for record in records:
        deadline = deadline_of(record, decision_deadline)
        overdue = is_overdue(record, decision_deadline, now)
        outcome = outcome_of(record)
        waiting = record["outcome"] in WAITING
        missed = deadline is not None and deadline_missed(record, decision_deadline, now)
        due = (shown(deadline) if waiting else "missed" if missed else "") if deadline else ""
        state = "closed" if record.get("closed") else "reply" if record.get("waiting") else outcome
        rows.append((record["number"], shown(parse_instant(record["received_at"])), record["kind"], record["who"],
                     record["eori"], state + (" !" if overdue else ""), due, officer_of(record),
                     waiting_reason(record)))
        styles.append({"fg": "red", "bold": True} if overdue or missed
                      else {"fg": "yellow"} if for_officer(record) else None)
    if not any(row[-1] for row in rows):
        return render_table(HEADERS, [row[:-1] for row in rows], max_widths=WIDTHS, styles=styles)
    return render_table((*HEADERS, "Waiting"), rows, max_widths=(*WIDTHS, 60), styles=styles)
