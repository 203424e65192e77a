"""One compact record per request, folded from the entries that concern it (pure).

A record holds what officers list, search and count: who asked, what was decided, when, citing what, and
what was sent. It is small enough that a view of 100,000 of them answers a question without reading the
ledger again; `itpc show` reads the ledger entries themselves for the whole story.

The fold is written as functions ``record -> record`` (new dicts, nothing mutated in place) keyed by entry
type; ``request_index`` decides which record an entry concerns and stores the results.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from ledger.clock import VILNIUS, parse_instant
from ledger.store import thaw
from ledger.text import fold

Record = dict[str, Any]

# A request's decision outcome before any decision is recorded.
OPEN = "open"
# Outcomes that settle a request (an automatic "review" hands it to an officer instead).
WAITING = ("open", "review")


def vilnius_month(instant: str) -> str:
    return parse_instant(instant).astimezone(VILNIUS).strftime("%Y-%m")


def who_of(registered: Mapping[str, Any]) -> str:
    """The applicant as a person would name them: company, institution, or the sender's name."""
    fields = registered.get("fields") or {}
    return str(fields.get("applicant") or fields.get("institution") or fields.get("officer_name")
               or registered.get("sender_name") or registered.get("sender") or "")


def new_record(data: Mapping[str, Any], ts: str) -> Record:
    """The record of a just-registered request (`request.registered` data)."""
    registered = thaw(data)
    fields = registered.get("fields") or {}
    return {
        "number": registered["number"], "kind": registered["kind"],
        "message_id": registered.get("message_id") or "", "mail_sha256": registered.get("mail_sha256") or "",
        "received_at": registered["received_at"], "month": vilnius_month(registered["received_at"]),
        "registered_ts": ts,
        "sender": registered.get("sender") or "", "sender_name": registered.get("sender_name") or "",
        "subject": registered.get("subject") or "", "who": who_of(registered),
        "eori": fields.get("eori") or "", "systems": list(fields.get("systems") or []),
        "offices": list(fields.get("customs_offices") or []),
        "fields": fields, "missing": list(registered.get("missing") or []),
        "problems": list(registered.get("problems") or []), "source": registered.get("source") or "",
        "attachments": [a.get("filename") or "" for a in registered.get("attachments") or []],
        "outcome": OPEN, "decided_by": None, "decided_at": None, "decided_ts": None,
        "period_from": None, "period_to": None, "rules": [], "motives": [], "note": None,
        "consent_no": None, "deadline": None, "settled_ts": None, "settled_at": None, "settled_by": None,
        "decisions": 0,
        "breached": False, "breach_deadline": None, "notes": [], "requeued": 0,
        "consent_ended_by": None, "consent_ended_at": None, "consent_expired": False,
        "notices": [],
        "messages": [registered["message_id"]] if registered.get("message_id") else [], "correspondence": [],
        # casework: who has the case, whether a message waits for an officer, whether it is closed, its links
        "taken_by": None, "waiting": None, "closed": None, "replies": 0,
        "links": [link["number"] for link in registered.get("links") or []],
    }


def with_decision(record: Record, data: Mapping[str, Any], ts: str) -> Record:
    """A `decision.made` on this request: the latest decision is its state; the first settling one is timed."""
    decision = thaw(data)
    settles = decision["outcome"] != "review" and record["settled_ts"] is None
    by_officer = decision.get("decided_by") not in (None, "auto")
    return {**record,
            # an officer's decision answers what came in: its letters go out
            "waiting": None if by_officer else record["waiting"],
            "outcome": decision["outcome"], "decided_by": decision.get("decided_by"),
            "decided_at": decision.get("decided_at"), "decided_ts": ts,
            "period_from": decision.get("period_from"), "period_to": decision.get("period_to"),
            "rules": list(decision.get("rules") or []), "motives": list(decision.get("motives") or []),
            "note": decision.get("note"), "consent_no": decision.get("consent_no"),
            "deadline": decision.get("deadline"), "decisions": record["decisions"] + 1,
            "settled_ts": ts if settles else record["settled_ts"],
            "settled_at": decision.get("decided_at") if settles else record["settled_at"],
            "settled_by": decision.get("decided_by") if settles else record["settled_by"]}


def with_correspondence(record: Record, data: Mapping[str, Any], ts: str) -> Record:
    """A message joined this case (`correspondence.attached`): its Message-ID among the case's messages, and
    who wrote what, for the officer who reads it."""
    attached = thaw(data)
    message_id = attached.get("message_id") or ""
    letter = {"message_id": message_id, "received_at": attached.get("received_at"),
              "sender": attached.get("sender") or "", "subject": attached.get("subject") or "",
              "mail_sha256": attached.get("mail_sha256") or ""}
    messages = record["messages"] if not message_id or message_id in record["messages"] else [*record["messages"],
                                                                                             message_id]
    # The case is back in the officer queue, and open again if it was closed: someone wrote about it.
    return {**record, "messages": messages, "correspondence": [*record["correspondence"], letter],
            "waiting": waiting_on(attached), "closed": None}


def waiting_on(attached: Mapping[str, Any]) -> dict[str, Any]:
    """Why a case waits for an officer once a message joined it (`correspondence.attached` data)."""
    return {"reason": f"new message from {attached.get('sender') or 'an unknown sender'}",
            "since": attached.get("received_at"), "message_id": attached.get("message_id") or ""}


def with_later_request(record: Record, data: Mapping[str, Any], ts: str) -> Record:
    """A later request's registration (``data``) names this case among its ``links``: this case names it too."""
    later = data["number"]
    return record if later in record["links"] else {**record, "links": [*record["links"], later]}


def with_taken(record: Record, data: Mapping[str, Any], ts: str) -> Record:
    return {**record, "taken_by": data.get("by") or None}


def with_replied(record: Record, data: Mapping[str, Any], ts: str) -> Record:
    """An officer answered the case: nothing waits for an officer any more."""
    return {**record, "waiting": None, "replies": record["replies"] + 1}


def with_closed(record: Record, data: Mapping[str, Any], ts: str) -> Record:
    return {**record, "waiting": None,
            "closed": {"at": ts, "by": data.get("by") or "", "reason": data.get("reason") or ""}}


def with_consent_ended(record: Record, data: Mapping[str, Any], ts: str) -> Record:
    """The consent this request holds was ended early by another request's `ended_early` decision (16)."""
    return {**record, "consent_ended_by": data["request"],
            "consent_ended_at": data.get("period_to") or data.get("decided_at")}


def with_consent_expired(record: Record, data: Mapping[str, Any], ts: str) -> Record:
    return {**record, "consent_expired": True}


def with_breach(record: Record, data: Mapping[str, Any], ts: str) -> Record:
    return {**record, "breached": True, "breach_deadline": data.get("deadline")}


def with_note(record: Record, data: Mapping[str, Any], ts: str) -> Record:
    note = {"at": ts, "by": data.get("by") or "", "text": data.get("text") or ""}
    return {**record, "notes": [*record["notes"], note]}


def with_requeue(record: Record, data: Mapping[str, Any], ts: str) -> Record:
    return {**record, "requeued": record["requeued"] + 1}


def with_reparse(record: Record, data: Mapping[str, Any], ts: str) -> Record:
    """A requeued request parsed again: its fields are the new parse, and it waits for a new decision."""
    fresh = new_record({**thaw(data), "number": record["number"]}, record["registered_ts"])
    keep = ("decisions", "breached", "breach_deadline", "notes", "requeued", "notices", "settled_ts", "settled_at",
            "settled_by", "messages", "correspondence", "taken_by", "waiting", "closed", "links", "replies")
    return {**fresh, **{key: record[key] for key in keep}}


def with_queued(record: Record, data: Mapping[str, Any], ts: str) -> Record:
    notice = {"id": data["id"], "purpose": data.get("purpose") or "", "to": list(data.get("to") or []),
              "subject": data.get("subject") or "", "status": "queued", "queued_at": ts, "sent_at": None,
              "answer": None, "error": None, "attempts": 0}
    return {**record, "notices": [*record["notices"], notice]}


def with_unwritten(record: Record, data: Mapping[str, Any], ts: str) -> Record:
    """A letter that could not be written (`mail.unwritten`): listed with the reason, never sent."""
    notice = {"id": data["id"], "purpose": data.get("purpose") or "", "to": list(data.get("to") or []),
              "subject": "", "status": "unwritten", "queued_at": ts, "sent_at": None, "answer": None,
              "error": data.get("reason"), "attempts": 0}
    return {**record, "notices": [*record["notices"], notice]}


def _with_notice(record: Record, mail_id: str, change: Callable[[dict], dict]) -> Record:
    return {**record, "notices": [change(n) if n["id"] == mail_id else n for n in record["notices"]]}


def with_sent(record: Record, data: Mapping[str, Any], ts: str) -> Record:
    return _with_notice(record, data["id"], lambda n: {**n, "status": "sent", "sent_at": data.get("at") or ts,
                                                       "answer": data.get("answer")})


def with_failed(record: Record, data: Mapping[str, Any], ts: str) -> Record:
    return _with_notice(record, data["id"], lambda n: {
        **n, "status": "failed" if n["status"] == "queued" else n["status"], "error": data.get("error"),
        "attempts": n["attempts"] + 1})


def with_held(record: Record, data: Mapping[str, Any], ts: str) -> Record:
    return _with_notice(record, data["id"], lambda n: n if n["status"] == "held" else
                        {**n, "status": "held", "error": data.get("reason")})


def with_released(record: Record, data: Mapping[str, Any], ts: str) -> Record:
    """A held or failed letter put back in the outbox by an officer (`mail.requeued`)."""
    return _with_notice(record, data["id"], lambda n: {**n, "status": "queued"} if n["status"] != "sent" else n)


def search_text(record: Record) -> str:
    """What `itpc search` looks in, folded (lower case, no diacritics): senders, applicants, EORIs, numbers,
    reasons given and motives of decisions, and officers' notes."""

    fields = record["fields"]
    parts = [record["number"], record["consent_no"] or "", record["sender"], record["sender_name"],
             record["subject"], record["who"], record["eori"], str(fields.get("reasons") or ""),
             str(fields.get("contact_name") or ""), str(fields.get("officer_name") or ""),
             str(fields.get("officer_email") or ""), str(fields.get("reply_email") or ""),
             " ".join(record["motives"]), " ".join(record["rules"]), record["note"] or "",
             " ".join(n["text"] for n in record["notes"]), " ".join(record["problems"])]
    return fold(" \u241f ".join(str(p) for p in parts if p))
