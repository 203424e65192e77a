"""`itpc show`: the whole story of one request, told from its ledger entries (pure: entries in, JSON and lines out).

The request view (``request_records``) keeps what lists and counts need; the story goes back to the entries
themselves, so an officer sees each thing as it was recorded: the message as received and where its bytes are
kept, what was read from it, every decision with the rules it cites in the law's words, every letter and
notice with each attempt and the server's answer, the deadlines the rules set and whether they were kept,
officers' notes, and the consent's fate.

JSON times are ISO-8601 in Europe/Vilnius (as ``requests --json``); lines show them as ``YYYY-MM-DD HH:MM``.
Deadline states are "met", "missed" or "pending"; a deadline met exactly at its last moment is met.
The only I/O here is asking the archive whether a file exists, so the officer learns where to look.
"""
from __future__ import annotations

import textwrap
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import click

from itpc.report import LETTERS_DUE, deadline_missed, deadline_of, decided_moment, decision_moment, outcome_of
from itpc.rule_words import citation
from ledger.clock import VILNIUS, parse_instant, shown
from ledger.entries import (CASE_CLOSED, CASE_REPLIED, CASE_TAKEN, CONSENT_EXPIRED, DEADLINE_BREACHED, DECISION_MADE,
                            MAIL_ACKNOWLEDGED, MAIL_DUPLICATE, MAIL_FAILED, MAIL_HELD, MAIL_QUEUED, MAIL_RECEIVED,
                            MAIL_REQUEUED, MAIL_SENT, MAIL_UNWRITTEN, OFFICER_NOTE, REQUEST_REGISTERED,
                            REQUEST_REPARSED, REQUEST_REQUEUED)
from ledger.store import Entry, thaw

MET, MISSED, PENDING = "met", "missed", "pending"
NOT_KEPT = "not kept separately (inside the raw message)"

# Readable names of the form fields (DESIGN.md contracts), in the order a person reads the form.
FIELD_LABELS: dict[str, str] = {
    "applicant": "Applicant", "eori": "EORI", "phone": "Phone", "systems": "Systems",
    "period_from": "Period from", "period_to": "Period to", "customs_offices": "Customs offices",
    "reasons": "Reasons", "reply_email": "Reply to e-mail", "reply_fax": "Reply to fax",
    "contact_name": "Contact person", "contact_position": "Contact's position",
    "consent_no": "Consent number", "resumed_at": "Working again from",
    "institution": "Institution", "officer_position": "Officer's position", "officer_name": "Officer",
    "officer_phone": "Officer's phone", "officer_email": "Officer's e-mail", "access_type": "Access type",
    "modules": "Modules", "afis_mailbox": "AFIS mailbox", "purposes": "Purposes",
    "ims_requested": "IMS modules requested", "change": "Change", "change_type": "Kind of change",
}
# What `missing` names, with the point that requires it where there is one.
MISSING_LABELS: dict[str, str] = {
    "applicant": "applicant (1B-1029:8.1)", "eori": "EORI (1B-1029:8.1)",
    "period": "period, start or end (1B-1029:8.2)", "reasons": "reasons (1B-1029:8.3)",
    "systems": "systems (MDAS/NTKS)", "customs_offices": "customs offices",
    "institution": "institution (1B-280:7.1)", "officer_position": "officer's position (1B-280:7.2)",
    "officer_name": "officer's name (1B-280:7.2)", "officer_phone": "officer's phone (1B-280:7.2)",
    "officer_email": "officer's e-mail (1B-280:7.2)", "access_type": "access type (1B-280:7.3)",
    "modules": "modules (1B-280:7.4)", "afis_mailbox": "AFIS mailbox (1B-280:7.5)",
    "purposes": "purposes (1B-280:7.6)", "consent_no": "consent number", "resumed_at": "when systems work again",
    "change": "what changes",
}
PURPOSE_LABELS: dict[str, str] = {
    "answer": "answer to the applicant", "acknowledgement": "acknowledgement to the applicant",
    "office_notice": "customs-office notice of the consent",
    "early_end_notice": "customs-office notice of the early end",
    "consent_revoked_notice": "customs-office notice of the revocation",
    "consent_amended_notice": "customs-office notice of the shortened consent",
    "decision_alert": "deadline alert to the duty officer", "outage_ended": "end-of-outage notice",
    "duty_alert": "alert to the duty officer (officer queue)", "officer_reply": "officer's reply",
}
_DATETIME_FIELDS = {"period_from", "period_to", "resumed_at"}
# What happens to a queued letter afterwards (each names it by its outbox id).
_LETTER_EVENTS = (MAIL_FAILED, MAIL_HELD, MAIL_REQUEUED, MAIL_SENT)


# --- the story as JSON --------------------------------------------------------------------------------------

def story_json(record: dict, entries: list[Entry], *, archive, offices, decision_deadline: timedelta,
               notice_minutes: float, now: datetime, excerpts: Mapping[str, list[str]] | None = None) -> dict:
    """Everything the ledger says about one request (``record`` from the request view, ``entries`` its
    ledger entries in order), with the archive paths of what was received and sent. ``excerpts`` gives the
    first lines of received messages by their SHA-256, for the conversation."""
    number = record["number"]
    own = _own_entries(number, entries)
    registered = _first_data(own, REQUEST_REGISTERED) or {}
    parse = _last_data(own, (REQUEST_REGISTERED, REQUEST_REPARSED)) or registered
    sha = record.get("mail_sha256") or registered.get("mail_sha256") or ""
    decisions = [e for e in own if e.type == DECISION_MADE]
    letters = _letters(number, entries, archive)
    for letter in letters:  # unsent for over an hour: a mail server away, or a retry time from a wrong clock
        letter["overdue"] = bool(letter["status"] in ("queued", "failed") and letter["queued_at"]
                                 and now - parse_instant(letter["queued_at"]) > LETTERS_DUE)
    story = {
        "number": number,
        "kind": record["kind"],
        "outcome": outcome_of(record),
        "message": _message(record, registered, sha, entries, archive),
        "parsed": _parsed(parse, registered, own, offices),
        "decisions": [_decision(e) for e in decisions],
        "requeues": [{"at": _iso(e.ts), "by": e.data.get("by") or "", "reason": e.data.get("reason") or ""}
                     for e in own if e.type == REQUEST_REQUEUED],
        "letters": letters,
        "deadlines": {
            "decision": _decision_deadline(record, decision_deadline, now),
            "office_notices": _office_notices(record, decisions, letters, offices, notice_minutes, now),
            "afis_change": _afis_change_deadline(record, decisions, now),
            "correction": _correction_deadlines(decisions, now),
        },
        "notes": [{"at": _iso(e.ts), "by": e.data.get("by") or "", "text": e.data.get("text") or ""}
                  for e in own if e.type == OFFICER_NOTE],
        "correspondence": [{**letter, "received_at": _iso(letter.get("received_at"))}
                           for letter in record.get("correspondence") or []],
        "consent": _consent(record, decisions, entries),
        "case": _case(record, entries),
    }
    story["conversation"] = _conversation(story, own, excerpts or {})
    return story


def _own_entries(number: str, entries: Iterable[Entry]) -> list[Entry]:
    """The entries about this request itself (not the early-recovery decision that ended its consent)."""
    own = []
    for entry in entries:
        if entry.type in (DECISION_MADE, REQUEST_REQUEUED, REQUEST_REPARSED, OFFICER_NOTE,
                          DEADLINE_BREACHED) and entry.data.get("request") != number:
            continue
        own.append(entry)
    return own


def _first_data(entries: Iterable[Entry], kind: str) -> dict | None:
    return next((thaw(e.data) for e in entries if e.type == kind), None)


def _last_data(entries: Sequence[Entry], kinds: tuple[str, ...]) -> dict | None:
    found = [e for e in entries if e.type in kinds]
    return thaw(found[-1].data) if found else None


def _iso(value: str | datetime | None) -> str | None:
    """An instant in Vilnius ISO-8601; a value that is not a time is passed on as written (never a crash)."""
    if value is None or value == "":
        return None
    try:
        moment = value if isinstance(value, datetime) else parse_instant(str(value))
    except ValueError:
        return str(value)
    return moment.astimezone(VILNIUS).isoformat()


def _moment(entry: Entry) -> datetime:
    """When a decision took effect, by the same rule `requests` and `report` time a request."""
    return decision_moment(entry.data, entry.ts)


# -- 1. the message ------------------------------------------------------------------------------------------

def _message(record: dict, registered: dict, sha: str, entries: Sequence[Entry], archive) -> dict:
    received = next((thaw(e.data) for e in entries if e.type == MAIL_RECEIVED and e.data.get("sha256") == sha), {})
    acknowledged = {e.data.get("sha256"): e.ts for e in entries if e.type == MAIL_ACKNOWLEDGED}
    raw_path = archive.path_for(sha) if sha else None
    attachments = []
    for attachment in registered.get("attachments") or []:
        path = (archive.attachment_path(attachment["sha256"], attachment.get("filename") or "")
                if attachment.get("sha256") else None)
        attachments.append({"filename": attachment.get("filename") or "",
                            "content_type": attachment.get("content_type"),
                            "size": attachment.get("size"), "sha256": attachment.get("sha256"),
                            "path": str(path) if path else None, "kept": bool(path and path.exists())})
    duplicates = [{"sha256": e.data.get("sha256"), "message_id": e.data.get("message_id") or "",
                   "received_at": _iso(e.data.get("received_at") or e.ts), "recorded_at": _iso(e.ts),
                   "origin": _origin(thaw(e.data.get("origin") or {})),
                   "path": str(archive.path_for(e.data["sha256"])) if e.data.get("sha256") else None,
                   "acknowledged_at": _iso(acknowledged.get(e.data.get("sha256")))}
                  for e in entries if e.type == MAIL_DUPLICATE]
    return {
        "sender": {"name": registered.get("sender_name") or record.get("sender_name") or "",
                   "address": registered.get("sender") or record.get("sender") or ""},
        "fax_sender": registered.get("fax_sender"),
        "subject": registered.get("subject") or record.get("subject") or "",
        "message_id": record.get("message_id") or registered.get("message_id") or "",
        "received_at": _iso(record.get("received_at") or received.get("received_at")),
        "size": received.get("size"),
        "origin": _origin(received.get("origin") or {}, received.get("ref")),
        "sha256": sha,
        "path": str(raw_path) if raw_path else None,
        "kept": bool(raw_path and raw_path.exists()),
        "attachments": attachments,
        "duplicates": duplicates,
        "acknowledged_at": _iso(acknowledged.get(sha)),
        "auto_generated": registered.get("auto_generated"),
        "authentication": registered.get("authentication"),
    }


def _origin(origin: Mapping[str, Any], ref: str | None = None) -> str:
    """Where the mailbox held the message, as an officer would look for it there."""
    if "uid" in origin:
        mailbox = f"{origin['mailbox']} " if origin.get("mailbox") else ""
        return f"IMAP {mailbox}UIDVALIDITY {origin.get('uidvalidity')} UID {origin['uid']}"
    if "maildir" in origin:
        return str(Path(origin["maildir"]) / (origin.get("folder") or "") / (origin.get("file") or ""))
    return ", ".join(f"{k}={v}" for k, v in origin.items()) or (ref or "")


# -- 2. what was read ----------------------------------------------------------------------------------------

def _parsed(parse: dict, registered: dict, own: Sequence[Entry], offices) -> dict:
    fields = parse.get("fields") or {}
    ordered = [k for k in FIELD_LABELS if k in fields] + sorted(k for k in fields if k not in FIELD_LABELS)
    reparses = [e for e in own if e.type == REQUEST_REPARSED]
    return {
        "kind": parse.get("kind") or registered.get("kind"),
        "source": parse.get("source") or "",
        "fields": [{"name": k, "label": FIELD_LABELS.get(k, k.replace("_", " ").capitalize()), "value": fields[k],
                    "shown": _value_text(k, fields[k], offices)} for k in ordered],
        "missing": [{"name": m, "label": MISSING_LABELS.get(m, m.replace("_", " "))}
                    for m in parse.get("missing") or []],
        "problems": list(parse.get("problems") or []),
        "reparsed_at": _iso(reparses[-1].ts) if reparses else None,
        "first_reading": None if not reparses else {
            "kind": registered.get("kind"), "source": registered.get("source") or "",
            "missing": list(registered.get("missing") or []), "problems": list(registered.get("problems") or [])},
    }


def _value_text(name: str, value: Any, offices) -> str:
    """A field's value as a person reads it: times in Vilnius, offices with their names, lists joined."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name in _DATETIME_FIELDS and isinstance(value, str):
        try:
            return shown(parse_instant(value))
        except ValueError:
            return value
    if name == "customs_offices" and isinstance(value, list):
        return ", ".join(_office_text(code, offices) for code in value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _office_text(code: str, offices) -> str:
    office = offices.get(code) if offices is not None else None
    return f"{code} {office.name}" if office else str(code)


# -- 3. decisions --------------------------------------------------------------------------------------------

def _decision(entry: Entry) -> dict:
    data = thaw(entry.data)
    return {
        "seq": entry.seq,
        "outcome": data.get("outcome"),
        "decided_by": data.get("decided_by"),
        "decided_at": _iso(data.get("decided_at") or entry.ts),
        "recorded_at": _iso(entry.ts),
        "period_from": _iso(data.get("period_from")),
        "period_to": _iso(data.get("period_to")),
        "consent_no": data.get("consent_no"),
        "rules": [citation(point) for point in data.get("rules") or []],
        "motives": list(data.get("motives") or []),
        "note": data.get("note") or None,
        "deadline": _iso(data.get("deadline")),
    }


# -- 4. letters and notices ----------------------------------------------------------------------------------

def _letters(number: str, entries: Sequence[Entry], archive) -> list[dict]:
    """Each letter queued for this request, with every attempt, in the order they were queued."""
    letters: dict[str, dict] = {}
    for entry in entries:
        data = entry.data
        if entry.type == MAIL_QUEUED:
            if data.get("request") != number:
                continue
            path = archive.path_for(data["sha256"]) if data.get("sha256") else None
            letters[data["id"]] = {
                "id": data["id"], "purpose": data.get("purpose") or "", "to": list(data.get("to") or []),
                "subject": data.get("subject") or "", "queued_at": _iso(entry.ts), "dated": _iso(data.get("date")),
                "status": "queued", "failures": [], "held": None, "released": [], "sent_at": None, "answer": None,
                "path": str(path) if path else None, "kept": bool(path and path.exists())}
            continue
        if entry.type == MAIL_UNWRITTEN and data.get("request") == number:
            letters[data["id"]] = {
                "id": data["id"], "purpose": data.get("purpose") or "", "to": list(data.get("to") or []),
                "subject": "", "queued_at": None, "dated": None, "status": "not written", "failures": [],
                "held": {"at": _iso(entry.ts), "reason": f"could not be written: {data.get('reason') or ''}"},
                "released": [], "sent_at": None, "answer": None, "path": None, "kept": True}
            continue
        letter = letters.get(data.get("id")) if entry.type in _LETTER_EVENTS else None
        if letter is None:
            continue
        if entry.type == MAIL_FAILED:
            letter["failures"].append({"at": _iso(entry.ts), "error": data.get("error") or "",
                                       "permanent": bool(data.get("permanent")),
                                       "uncertain": bool(data.get("uncertain")),
                                       "retry_at": _iso(data.get("retry_at"))})
            if letter["status"] == "queued":
                letter["status"] = "failed"
        elif entry.type == MAIL_HELD:
            letter["held"] = {"at": _iso(entry.ts), "reason": data.get("reason") or ""}
            letter["status"] = "held"
        elif entry.type == MAIL_REQUEUED:
            letter["released"].append({"at": _iso(entry.ts), "by": data.get("by") or "",
                                       "reason": data.get("reason") or ""})
            if letter["status"] != "sent":
                letter["status"] = "queued"
        elif entry.type == MAIL_SENT:
            letter["sent_at"] = _iso(data.get("at") or entry.ts)
            letter["answer"] = data.get("answer")
            letter["status"] = "sent"
    return list(letters.values())


# -- 5. deadlines --------------------------------------------------------------------------------------------

def _state(deadline: datetime, done: datetime | None, now: datetime) -> str:
    """Met when done at or before the deadline; missed when done after it, or not done and it has passed."""
    if done is not None:
        return MET if done <= deadline else MISSED
    return PENDING if now <= deadline else MISSED


def _decision_deadline(record: dict, decision_deadline: timedelta, now: datetime) -> dict | None:
    """The two hours a continuity request must be decided in (1B-1029:9), as `requests` judges it."""
    if record["kind"] != "continuity":
        return None
    deadline = deadline_of(record, decision_deadline)
    if deadline is None:
        return None
    decided = decided_moment(record)
    missed = deadline_missed(record, decision_deadline, now)
    state = MISSED if missed else MET if decided is not None else PENDING
    return {"rule": "1B-1029:9", "minutes": decision_deadline.total_seconds() / 60, "due": _iso(deadline),
            "decided_at": _iso(decided), "state": state, "breach_recorded": bool(record.get("breached")),
            "breach_deadline": _iso(record.get("breach_deadline"))}


def _office_notices(record: dict, decisions: Sequence[Entry], letters: Sequence[dict], offices,
                    notice_minutes: float, now: datetime) -> list[dict]:
    """For each consent, one line per customs office the request names: told within ``notice_minutes`` of
    the consent's registration (1B-1029:11)?"""
    if record["kind"] != "continuity":
        return []
    notices = []
    codes = list(record.get("offices") or [])
    for index, entry in enumerate(decisions):
        if entry.data.get("outcome") != "consent":
            continue
        registered = _moment(entry)
        deadline = registered + timedelta(minutes=notice_minutes)
        prefix = f"{record['number']}/{index}/"
        for code in codes:
            letter = next((l for l in letters if l["purpose"] == "office_notice" and l["id"].startswith(prefix)
                           and l["id"].rsplit("/", 1)[-1] == code), None)
            sent = parse_instant(letter["sent_at"]) if letter and letter["sent_at"] else None
            office = offices.get(code) if offices is not None else None
            notices.append({"rule": "1B-1029:11", "consent_no": entry.data.get("consent_no"), "office": code,
                            "office_name": office.name if office else None,
                            "to": letter["to"] if letter else ([office.email] if office and office.email else []),
                            "letter": letter["id"] if letter else None, "consent_registered_at": _iso(registered),
                            "due": _iso(deadline), "sent_at": _iso(sent), "state": _state(deadline, sent, now),
                            "letter_status": letter["status"] if letter else "not queued"})
    return notices


def _afis_change_deadline(record: dict, decisions: Sequence[Entry], now: datetime) -> dict | None:
    """The liaison officer's 2 working days on a rights change or loss (1B-280:14–16): the deadline set by the
    decision that put it in review, kept if a later decision settled it in time."""
    if record["kind"] != "afis_change":
        return None
    review = next((e for e in decisions if e.data.get("outcome") == "review" and e.data.get("deadline")), None)
    if review is None:
        return None
    deadline = parse_instant(review.data["deadline"])
    settled = next((e for e in decisions if e.seq > review.seq and e.data.get("outcome") != "review"), None)
    done = _moment(settled) if settled else None
    return {"rule": "1B-280:16", "due": _iso(deadline), "settled_at": _iso(done), "state": _state(deadline, done, now)}


def _correction_deadlines(decisions: Sequence[Entry], now: datetime) -> list[dict]:
    """The time the applicant was given to correct a returned AFIS request (1B-280:9): the applicant's
    deadline, not ITPC's, so it is "running" or "passed", never met or missed by ITPC."""
    found = []
    for entry in decisions:
        if entry.data.get("outcome") == "returned" and entry.data.get("deadline"):
            deadline = parse_instant(entry.data["deadline"])
            found.append({"rule": "1B-280:9", "whose": "applicant", "due": _iso(deadline),
                          "state": "running" if now <= deadline else "passed"})
    return found


# -- 5b. the case: who has it, whether it is closed, what it is linked to, and the whole conversation ----------

def _case(record: dict, entries: Sequence[Entry]) -> dict:
    """The case as officers keep it (the request view folds it): who took it, whether a message waits for an
    officer, whether it is closed (a new message reopens it), and which cases it is linked to — the earlier
    ones its registration names, and the later requests that name it."""
    number = record["number"]
    taken = [e for e in entries if e.type == CASE_TAKEN and e.data.get("request") == number]
    registered = [e for e in entries if e.type == REQUEST_REGISTERED and e.data.get("number") == number]
    links = [{"number": link["number"], "at": _iso(entry.ts), "reason": link.get("reason") or "",
              "role": "earlier case"} for entry in registered[:1] for link in entry.data.get("links") or []]
    named = {link["number"] for link in links}
    links += [{"number": later, "at": None, "reason": "names this case; a request of its own",
               "role": "later request"} for later in record.get("links") or [] if later not in named]
    waiting, closed = record.get("waiting"), record.get("closed")
    return {"taken_by": {"by": record["taken_by"], "at": _iso(taken[-1].ts) if taken else None}
            if record.get("taken_by") else None,
            "waiting": {"reason": waiting["reason"], "since": _iso(waiting["since"])} if waiting else None,
            "closed": {**closed, "at": _iso(closed["at"])} if closed else None,
            "links": links}


def _conversation(story: dict, own: Sequence[Entry], excerpts: Mapping[str, list[str]]) -> list[dict]:
    """Everything said in the case, in time order: each message in (sender, subject, first lines), each letter
    out (to, subject, status), decisions, officers' notes and casework."""
    message = story["message"]
    events = [{"at": message["received_at"], "what": "in", "sender": message["sender"]["address"],
               "subject": message["subject"], "message_id": message["message_id"],
               "lines": list(excerpts.get(message["sha256"]) or [])}]
    events += [{"at": c["received_at"], "what": "in", "sender": c.get("sender") or "", "subject": c.get("subject") or "",
                "message_id": c.get("message_id") or "", "lines": list(excerpts.get(c.get("mail_sha256") or "") or [])}
               for c in story["correspondence"]]
    replies = {e.data.get("mail"): e.data for e in own if e.type == CASE_REPLIED}
    events += [{"at": letter["queued_at"], "what": "out", "to": letter["to"], "subject": letter["subject"],
                "purpose": letter["purpose"], "status": letter["status"], "sent_at": letter["sent_at"],
                "by": (replies.get(letter["id"]) or {}).get("by"),
                "lines": [line for line in ((replies.get(letter["id"]) or {}).get("text") or "").splitlines()
                          if line.strip()][:3]}
               for letter in story["letters"] if letter["queued_at"]]
    events += [{"at": d["recorded_at"], "what": "decision", "outcome": d["outcome"], "by": d["decided_by"]}
               for d in story["decisions"]]
    events += [{"at": n["at"], "what": "note", "by": n["by"], "text": n["text"]} for n in story["notes"]]
    case = story["case"]
    for entry in own:
        if entry.type == CASE_TAKEN:
            events.append({"at": _iso(entry.ts), "what": "taken", "by": entry.data.get("by") or ""})
        elif entry.type == CASE_CLOSED:
            events.append({"at": _iso(entry.ts), "what": "closed", "by": entry.data.get("by") or "",
                           "reason": entry.data.get("reason") or ""})
    events += [{"at": link["at"], "what": "linked", "number": link["number"], "role": link["role"]}
               for link in case["links"] if link["at"]]
    return sorted(events, key=lambda e: parse_instant(e["at"]) if e["at"] else _EARLIEST)


# -- 6. the consent ------------------------------------------------------------------------------------------

def _consent(record: dict, decisions: Sequence[Entry], entries: Sequence[Entry]) -> dict | None:
    """The consent this request holds: its period, and whether it ended early (16) or expired."""
    given = [e for e in decisions if e.data.get("outcome") == "consent" and e.data.get("consent_no")]
    if not given:
        return None
    consent = given[-1].data
    number = consent["consent_no"]
    ended = next((e for e in entries if e.type == DECISION_MADE and e.data.get("outcome") == "ended_early"
                  and e.data.get("consent_no") == number and e.data.get("request") != record["number"]), None)
    expired = next((e for e in entries if e.type == CONSENT_EXPIRED and e.data.get("consent_no") == number), None)
    ended_early = None
    if ended is not None:
        ended_early = {"by": ended.data["request"],
                       "at": _iso(ended.data.get("period_to") or ended.data.get("decided_at")),
                       "recorded_at": _iso(ended.ts)}
    elif record.get("consent_ended_by"):
        ended_early = {"by": record["consent_ended_by"], "at": _iso(record.get("consent_ended_at")),
                       "recorded_at": None}
    # An officer's corrections (itpc/officer.py) are later decisions on this request: the latest end stands.
    period_to, revoked = consent.get("period_to"), None
    for entry in decisions:
        if entry.seq <= given[-1].seq or entry.data.get("consent_no") != number:
            continue
        if entry.data.get("outcome") == "amended":
            period_to = entry.data.get("period_to")
        elif entry.data.get("outcome") == "revoked":
            revoked = {"by": entry.data.get("decided_by"), "at": _iso(entry.data.get("period_to")),
                       "recorded_at": _iso(entry.ts), "motives": list(entry.data.get("motives") or [])}
    if revoked:
        state = "revoked"
    elif ended_early:
        state = "ended early"
    elif expired is not None or record.get("consent_expired"):
        state = "expired"
    else:
        state = "granted"
    return {"consent_no": number, "period_from": _iso(consent.get("period_from")),
            "period_to": _iso(period_to), "issued_at": _iso(_moment(given[-1])),
            "state": state, "ended_early": ended_early, "revoked": revoked,
            "expired": None if expired is None else {"at": _iso(expired.data.get("at") or expired.ts),
                                                     "recorded_at": _iso(expired.ts)}}


# --- the story for a person at a terminal ---------------------------------------------------------------------

WIDTH = 100
_EARLIEST = datetime.min.replace(tzinfo=VILNIUS)
_STATE_STYLE = {MET: {"fg": "green"}, MISSED: {"fg": "red", "bold": True}, PENDING: {"fg": "yellow"},
                "passed": {"fg": "red"}, "running": {"fg": "yellow"}}


def story_lines(story: dict) -> list[str]:
    """The story in sections with headings, times in Vilnius, deadline states coloured."""
    out = [click.style(f"{story['number']}  {story['kind']}  {story['outcome']}", bold=True)]
    for section in (_case_lines, _message_lines, _parsed_lines, _decision_lines, _letter_lines, _deadline_lines,
                    _correspondence_lines, _note_lines, _consent_lines, _conversation_lines):
        lines = section(story)
        if lines:
            out.append("")
            out.extend(lines)
    return out


def _heading(text: str) -> str:
    return click.style(text, bold=True, underline=True)


def _t(value: str | None) -> str:
    if not value:
        return "—"
    try:
        return shown(parse_instant(value))
    except ValueError:
        return str(value)


def _field(label: str, value: Any, indent: int = 2, width: int = 16, wrap: bool = True) -> list[str]:
    """``label: value`` with long values wrapped under the value's column (paths are never broken)."""
    text = str(value) if value not in (None, "") else "—"
    head = " " * indent + f"{label + ':' if label else '':<{width}} "
    rest = " " * len(head)
    if not wrap:
        return [head + text]
    wrapped = textwrap.wrap(text, width=max(WIDTH - len(head), 30), break_long_words=False,
                            break_on_hyphens=False) or [text]
    return [head + wrapped[0]] + [rest + line for line in wrapped[1:]]


def _wrapped(text: str, indent: int) -> list[str]:
    return textwrap.wrap(text, width=WIDTH, initial_indent=" " * indent, subsequent_indent=" " * indent,
                         break_long_words=False, break_on_hyphens=False) or [" " * indent]


def _styled_state(state: str) -> str:
    return click.style(state, **_STATE_STYLE.get(state, {}))


def _message_lines(story: dict) -> list[str]:
    m = story["message"]
    sender = m["sender"]
    who = f"{sender['name']} <{sender['address']}>" if sender["name"] else sender["address"]
    out = [_heading("Message")]
    out += _field("From", who + (f" (fax {m['fax_sender']})" if m.get("fax_sender") else ""))
    out += _field("Subject", m["subject"])
    out += _field("Message-ID", m["message_id"])
    out += _field("Received", _t(m["received_at"]))
    out += _field("Authentication", _authentication_text(m.get("authentication")))
    out += _field("Origin", m["origin"])
    raw = m["path"] if m["kept"] else f"{m['path']} (missing from the archive)" if m["path"] else None
    out += _field("Raw message", (f"({m['size']} bytes) " if m.get("size") else "") + (raw or "—"), wrap=False)
    for a in m["attachments"]:
        out += _field("Attachment", f"{a['filename'] or '(unnamed)'} ({a.get('content_type') or '?'}, "
                                    f"{a.get('size')} bytes)")
        out += _field("", a["path"] if a["kept"] else NOT_KEPT, wrap=False)
    for d in m["duplicates"]:
        out += _field("Duplicate", f"delivered again {_t(d['received_at'])} from {d['origin'] or '—'}"
                                   + (f", acknowledged {_t(d['acknowledged_at'])}" if d["acknowledged_at"] else ""))
        out += _field("", d["path"], wrap=False)
    out += _field("Acknowledged", f"{_t(m['acknowledged_at'])} (on the mail server)" if m["acknowledged_at"]
                  else "not yet (the server still holds it as new)")
    if m.get("auto_generated"):
        out += _field("Auto-generated", m["auto_generated"])
    return out


def _authentication_text(verdict: Mapping[str, Any] | None) -> str:
    """Our mail server's verdict on the From domain, on one line."""
    if not verdict:
        return "— (no Authentication-Results from our mail server)"
    methods = " ".join(f"{method}={verdict.get(method) or 'none'}" for method in ("dmarc", "dkim", "spf"))
    return f"{methods} for {verdict.get('domain') or '—'} ({verdict.get('authserv_id') or '—'})"


def _parsed_lines(story: dict) -> list[str]:
    p = story["parsed"]
    out = [_heading(f"Read from the {p['source'] or 'message'}" + (f" (read again {_t(p['reparsed_at'])})"
                                                                   if p["reparsed_at"] else ""))]
    out += _field("Kind", p["kind"], width=22)
    for f in p["fields"]:
        out += _field(f["label"], f["shown"], width=22)
    if p["missing"]:
        out += _field("Missing", ", ".join(m["label"] for m in p["missing"]), width=22)
    for problem in p["problems"]:
        out += _field("Problem", problem, width=22)
    first = p.get("first_reading")
    if first:
        before = first["problems"] + ([f"missing {', '.join(first['missing'])}"] if first["missing"] else [])
        out += _field("First reading", f"{first['kind']} from the {first['source'] or 'message'}"
                      + (": " + "; ".join(before) if before else ""), width=22)
    return out


def _decision_lines(story: dict) -> list[str]:
    events = [(d["recorded_at"], "decision", d) for d in story["decisions"]]
    events += [(r["at"], "requeue", r) for r in story["requeues"]]
    if not events:
        return [_heading("Decisions"), "  none yet"]
    out = [_heading("Decisions")]
    count = 0
    for _, kind, item in sorted(events, key=lambda e: parse_instant(e[0]) if e[0] else _EARLIEST):
        if kind == "requeue":
            out.append(f"  Requeued {_t(item['at'])} by {item['by'] or '—'}: {item['reason']}")
            continue
        count += 1
        d = item
        by = "automatically" if d["decided_by"] == "auto" else f"by {d['decided_by'] or '—'}"
        recorded = f" (recorded {_t(d['recorded_at'])})" if _t(d["recorded_at"]) != _t(d["decided_at"]) else ""
        out.append(f"  {count}. " + click.style(str(d["outcome"]), bold=True)
                   + f" {by}, {_t(d['decided_at'])}{recorded}")
        if d["consent_no"]:
            out += _field("Consent", d["consent_no"], indent=5)
        if d["period_from"] or d["period_to"]:
            out += _field("Period", f"{_t(d['period_from'])} – {_t(d['period_to'])}", indent=5)
        if d["deadline"]:
            out += _field("Deadline", _t(d["deadline"]), indent=5)
        if d["rules"]:
            out.append("     Rules:")
            for rule in d["rules"]:
                head = rule["point"] + (f" ({rule['law']}, {rule['paragraph']} p.)" if rule["law"] else "")
                out.append("       " + click.style(head, bold=True))
                if rule["text"]:
                    out += _wrapped(rule["text"], 9)
        if d["motives"]:
            out.append("     Motives:")
            for motive in d["motives"]:
                lines = _wrapped(motive, 9)
                out += ["       – " + lines[0].lstrip()] + lines[1:]
        if d["note"]:
            out += _field("Note", d["note"], indent=5)
    return out


def _letter_lines(story: dict) -> list[str]:
    if not story["letters"]:
        return []
    out = [_heading("Letters and notices")]
    for letter in story["letters"]:
        purpose = PURPOSE_LABELS.get(letter["purpose"], letter["purpose"].replace("_", " "))
        late = ", not sent for over an hour" if letter.get("overdue") else ""
        out.append(f"  {purpose} → {', '.join(letter['to'])}  [{letter['status']}{late}]")
        out += _field("Subject", letter["subject"], indent=5, width=9)
        out += _field("Queued", _t(letter["queued_at"]), indent=5, width=9)
        for failure in letter["failures"]:
            retry = f"; retry at {_t(failure['retry_at'])}" if failure["retry_at"] else ""
            label = "Uncertain" if failure.get("uncertain") else "Failed"
            out += _field(label, f"{_t(failure['at'])}: {failure['error']}{retry}", indent=5, width=9)
        if letter["held"]:
            out += _field("Held", f"{_t(letter['held']['at'])}: {letter['held']['reason']}", indent=5, width=9)
        for release in letter["released"]:
            out += _field("Released", f"{_t(release['at'])} by {release['by'] or '—'}: {release['reason']}",
                          indent=5, width=9)
        if letter["sent_at"]:
            out += _field("Sent", f"{_t(letter['sent_at'])}: {letter['answer'] or ''}".rstrip(": "), indent=5, width=9)
        out += _field("Archive", (letter["path"] or "—") + ("" if letter["kept"] else " (missing from the archive)"),
                      indent=5, width=9, wrap=False)
    return out


def _deadline_lines(story: dict) -> list[str]:
    d = story["deadlines"]
    out = []
    decision = d["decision"]
    if decision:
        hours = decision["minutes"] / 60
        within = f"{hours:g} h" if hours >= 1 else f"{decision['minutes']:g} min"
        done = f"decided {_t(decision['decided_at'])}" if decision["decided_at"] else "not decided yet"
        breach = "; breach recorded by the scheduler" if decision["breach_recorded"] else ""
        out.append(f"  Decision within {within} ({decision['rule']}): due {_t(decision['due'])}, {done}{breach} — "
                   + _styled_state(decision["state"]))
    for n in d["office_notices"]:
        office = f"{n['office']} {n['office_name']}" if n["office_name"] else n["office"]
        done = f"sent {_t(n['sent_at'])}" if n["sent_at"] else n["letter_status"]
        out.append(f"  Notice to {office} ({n['rule']}, {n['consent_no']}): due {_t(n['due'])}, {done} — "
                   + _styled_state(n["state"]))
    change = d["afis_change"]
    if change:
        done = f"settled {_t(change['settled_at'])}" if change["settled_at"] else "not settled yet"
        out.append(f"  Liaison officer acts ({change['rule']}): due {_t(change['due'])}, {done} — "
                   + _styled_state(change["state"]))
    for c in d["correction"]:
        out.append(f"  Applicant's correction ({c['rule']}): by {_t(c['due'])} — " + _styled_state(c["state"]))
    return [_heading("Deadlines"), *out] if out else []


def _correspondence_lines(story: dict) -> list[str]:
    """Messages that joined the case (replies to our letters, messages about it): never answered automatically,
    so an officer reads them here."""
    if not story.get("correspondence"):
        return []
    out = [_heading("Correspondence (for an officer; not answered automatically)")]
    for letter in story["correspondence"]:
        out.append(f"  {_t(letter['received_at'])}  {letter['sender'] or '—'}")
        out += _field("Subject", letter["subject"] or "—", indent=4, width=12)
        out += _field("Message-ID", letter["message_id"] or "—", indent=4, width=12)
    return out


def _case_lines(story: dict) -> list[str]:
    """Where the case stands for officers: waiting for one (and why), who has it, closed, linked cases."""
    case = story.get("case") or {}
    out = []
    if case.get("waiting"):
        out += _field("Waiting", f"{case['waiting']['reason']} ({_t(case['waiting']['since'])}); for an officer")
    if case.get("taken_by"):
        out += _field("Taken by", f"{case['taken_by']['by']} ({_t(case['taken_by']['at'])})")
    if case.get("closed"):
        closed = case["closed"]
        out += _field("Closed", f"{_t(closed['at'])} by {closed['by']}: {closed['reason']}")
    for link in case.get("links") or []:
        out += _field("Linked", f"{link['number']} ({link['role']}; {link['reason']})")
    return [_heading("Case"), *out] if out else []


_WHAT = {"in": "←", "out": "→"}


def _conversation_lines(story: dict) -> list[str]:
    """The whole conversation in time order: messages in (←), letters out (→), decisions, notes, casework."""
    events = story.get("conversation") or []
    if len(events) < 2:
        return []
    out = [_heading("Conversation, in time order")]
    for e in events:
        when = _t(e["at"])
        if e["what"] == "in":
            out.append(f"  {when}  ← {e['sender'] or '—'}: {e['subject'] or '(no subject)'}")
            out += [f"{'':22}| {line}" for line in e["lines"]]
        elif e["what"] == "out":
            purpose = PURPOSE_LABELS.get(e["purpose"], e["purpose"].replace("_", " "))
            by = f" by {e['by']}" if e.get("by") else ""
            out.append(f"  {when}  → {', '.join(e['to'])}: {e['subject']}  [{purpose}{by}; {e['status']}]")
            out += [f"{'':22}| {line}" for line in e.get("lines") or []]
        elif e["what"] == "decision":
            by = "automatically" if e["by"] == "auto" else f"by {e['by'] or '—'}"
            out.append(f"  {when}  decision: {e['outcome']} {by}")
        elif e["what"] == "note":
            out.append(f"  {when}  note by {e['by'] or '—'}: {e['text']}")
        elif e["what"] == "taken":
            out.append(f"  {when}  taken by {e['by']}")
        elif e["what"] == "closed":
            out.append(f"  {when}  closed by {e['by']}: {e['reason']}")
        elif e["what"] == "linked":
            out.append(f"  {when}  linked to {e['number']} ({e['role']})")
    return out


def _note_lines(story: dict) -> list[str]:
    if not story["notes"]:
        return []
    out = [_heading("Officers' notes")]
    for note in story["notes"]:
        out.append(f"  {_t(note['at'])}  {note['by'] or '—'}:")
        out += _wrapped(note["text"], 4)
    return out


def _consent_lines(story: dict) -> list[str]:
    c = story["consent"]
    if not c:
        return []
    out = [_heading(f"Consent {c['consent_no']}")]
    out += _field("Period", f"{_t(c['period_from'])} – {_t(c['period_to'])}")
    out += _field("Issued", _t(c["issued_at"]))
    if c.get("revoked"):
        state = f"revoked at {_t(c['revoked']['at'])} by {c['revoked']['by']}"
    elif c["ended_early"]:
        e = c["ended_early"]
        state = f"ended early at {_t(e['at'])} by {e['by']}"
    elif c["expired"]:
        state = f"expired {_t(c['expired']['at'])}"
    else:
        state = "granted (no end recorded yet)"
    out += _field("State", state)
    return out
