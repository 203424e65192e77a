"""State folded from ledger entries: requests, consents, outbox, outages. Pure and incremental.

``State.apply(entry)`` is called once per entry in ledger order (``Ledger.subscribe``), so a command never
re-reads the whole ledger to answer a question. Nothing here writes: the ledger is the only source of truth.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Container, Iterator

from ledger.clock import VILNIUS, parse_instant
from ledger.entries import (CASE_CLOSED, CASE_REPLIED, CASE_TAKEN, CONSENT_EXPIRED, CORRESPONDENCE_ATTACHED,
                            DEADLINE_BREACHED, DECISION_MADE, ETD_REPLY_ATTACHED, MAIL_ACKNOWLEDGED, MAIL_DUPLICATE,
                            MAIL_FAILED, MAIL_HELD, MAIL_QUEUED, MAIL_RECEIVED, MAIL_REQUEUED, MAIL_SENT,
                            MAIL_UNWRITTEN, OFFICER_NOTE, OUTAGE_CANCELLED, OUTAGE_DECLARED, OUTAGE_ENDED,
                            OUTAGE_EXTENDED, REQUEST_REGISTERED, REQUEST_REPARSED, REQUEST_REQUEUED)
from ledger.request_records import waiting_on
from ledger.store import Entry, thaw
from ledger.text import code_key

NUMBER_PREFIX = {"afis_access": "AFIS", "afis_change": "AFIS"}

# Decisions whose letters were recorded last, kept among those still answered: the answerer queues a decision's
# letters one after the other, so only the last few it (or a process beside it) was writing can be part-queued.
RECENTLY_ANSWERED = 64

def never_answered(registered: dict[str, Any]) -> bool:
    """Auto-generated mail is never answered (RFC 3834): none of its decisions implies a letter."""
    return bool(registered.get("auto_generated"))


def deadline_alert_id(number: str) -> str:
    """The outbox id of the duty officer's alert that a request waits for a decision (1B-1029:9)."""
    return f"{number}/deadline/alert"


# The outcome a decision shows in `RequestView.decisions` once a re-parse has replaced what it was made on.
SUPERSEDED = "superseded"


@dataclass
class RequestView:
    number: str
    kind: str
    message_id: str
    received_at: str
    mail_sha256: str
    registered: dict[str, Any]
    decision: dict[str, Any] | None = None
    decisions: list[dict[str, Any]] = field(default_factory=list)
    mails: list[str] = field(default_factory=list)  # outbox ids queued for this request
    notes: list[dict[str, Any]] = field(default_factory=list)
    requeues: list[dict[str, Any]] = field(default_factory=list)  # `request.requeued` data, oldest first
    superseded_mails: int = 0  # mails[:n] were queued for decisions that a re-parse has since replaced
    messages: list[str] = field(default_factory=list)  # Message-IDs of the case's messages, its own first
    correspondence: list[dict[str, Any]] = field(default_factory=list)  # `correspondence.attached` data
    links: list[str] = field(default_factory=list)  # cases linked to this one (a registration's ``links``, either side)
    taken_by: str | None = None  # the officer who claimed the case (`case.taken`)
    replies: list[dict[str, Any]] = field(default_factory=list)  # `case.replied` data, oldest first
    closed: dict[str, Any] | None = None  # the `case.closed` data while closed; a new message reopens it
    waiting: dict[str, Any] | None = None  # a message came in that no officer has acted on since: why, since when

    @property
    def received(self) -> datetime:
        return parse_instant(self.received_at)


@dataclass
class ConsentView:
    number: str
    request: str
    eori: str
    issued_at: str
    period_from: str
    period_to: str
    systems: list[str]
    offices: list[str]
    ended_at: str | None = None
    ended_by: str | None = None  # the request whose decision ended it (early recovery or revocation)
    expired: bool = False
    revoked: bool = False  # ended by an officer's revocation, not by an early recovery


@dataclass
class OutboxItem:
    id: str
    queued: dict[str, Any]
    sent: dict[str, Any] | None = None
    failures: list[dict[str, Any]] = field(default_factory=list)
    held: dict[str, Any] | None = None
    releases: list[dict[str, Any]] = field(default_factory=list)  # `mail.requeued` data, oldest first
    released_after: int = 0  # failures recorded before the latest release: the retry backoff starts afresh

    @property
    def pending(self) -> bool:
        return self.sent is None and self.held is None

    @property
    def recent_failures(self) -> list[dict[str, Any]]:
        """Failures since an officer last released the letter (all of them if never released)."""
        return self.failures[self.released_after:]


class State:
    """Everything the system knows, folded from the ledger.

    The maps in ``SAVED_MAPS`` grow with the history; a snapshot (``ledger.snapshot``) keeps them one row a key and
    reads back only the keys a command asks for. What a writer scans is indexed here (``undecided_numbers``,
    ``watched``, ``live_consents``, ``pending``, ``unregistered``...), so that no writer walks the history.
    """
    SAVED_MAPS = ("mails", "message_ids", "duplicates", "requests", "request_by_mail", "consents", "outbox",
                  "unwritten", "automatic_per_day", "consents_by_eori", "consents_by_request", "outage_mail")

    def __init__(self) -> None:
        self.mails: dict[str, dict[str, Any]] = {}  # sha256 -> mail.received data
        self.message_ids: dict[str, str] = {}  # Message-ID -> sha256 of its first delivery
        self.breached: set[str] = set()  # requests whose 2-hour decision deadline passed (1B-1029:9)
        self.duplicates: dict[str, str] = {}  # sha256 of a second delivery -> sha256 of the first
        self.acknowledged: set[str] = set()
        self.requests: dict[str, RequestView] = {}
        self.request_by_mail: dict[str, str] = {}  # sha256 -> the case the message opened or joined
        self.consents: dict[str, ConsentView] = {}
        self.outbox: dict[str, OutboxItem] = {}
        self.outages: dict[str, dict[str, Any]] = {}
        self.unwritten: dict[str, dict[str, Any]] = {}   # letters that could not be written, by outbox id
        self.counters: dict[tuple[str, int], int] = {}
        # automatic messages queued and not held, per (recipient, Vilnius day): the daily cap's counter
        self.automatic_per_day: dict[tuple[str, str], int] = {}
        self.last_seq = 0
        self.consents_by_eori: dict[str, list[str]] = {}  # code_key(EORI) -> its consent numbers, oldest first
        self.consents_by_request: dict[str, list[str]] = {}  # request number -> the consents it was given
        self.outage_mail: dict[str, list[str]] = {}  # outage id -> the outbox ids of its notices ("outage/ID/...")
        # Indexes of what writers look for, so none scans the history:
        self.undecided_numbers: dict[str, None] = {}  # requests waiting for a decision (none, or re-parsed)
        self.conversations: dict[str, None] = {}  # cases a message came back to that no officer has acted on
        # continuity requests whose standing decision is the rules' "review", until breached and alerted both
        self.watched: dict[str, None] = {}
        self.alerted: set[str] = set()  # requests whose deadline alert is queued
        self.live_consents: dict[str, None] = {}  # consents neither expired nor ended
        self.pending: dict[str, None] = {}  # outbox ids neither sent nor held
        self.unregistered: dict[str, None] = {}  # messages received that opened or joined no case (yet)
        # Decisions (request number, index) no letter (`mail.queued`, `mail.unwritten`) has been recorded for yet,
        # and the last few that had one: the only decisions that can still imply a letter not queued.
        self.unanswered: dict[tuple[str, int], None] = {}
        self.recently_answered: dict[tuple[str, int], None] = {}
        self._bind_handlers()

    def _bind_handlers(self) -> None:
        # The entry types this fold reads; any other type (AFIS users, the store's own) is not its concern.
        self._handlers: dict[str, Callable[[dict, Entry], None]] = {
            MAIL_RECEIVED: self._on_mail_received, MAIL_DUPLICATE: self._on_mail_duplicate,
            MAIL_ACKNOWLEDGED: self._on_mail_acknowledged,
            REQUEST_REGISTERED: self._on_request_registered, REQUEST_REQUEUED: self._on_request_requeued,
            REQUEST_REPARSED: self._on_request_reparsed, CORRESPONDENCE_ATTACHED: self._on_correspondence,
            ETD_REPLY_ATTACHED: self._on_etd_reply,
            DECISION_MADE: self._on_decision_made, DEADLINE_BREACHED: self._on_deadline_breached,
            CONSENT_EXPIRED: self._on_consent_expired, OFFICER_NOTE: self._on_officer_note,
            CASE_TAKEN: self._on_case_taken,
            CASE_REPLIED: self._on_case_replied, CASE_CLOSED: self._on_case_closed,
            MAIL_QUEUED: self._on_mail_queued, MAIL_SENT: self._on_mail_sent, MAIL_FAILED: self._on_mail_failed,
            MAIL_HELD: self._on_mail_held, MAIL_REQUEUED: self._on_mail_requeued,
            MAIL_UNWRITTEN: self._on_mail_unwritten,
            OUTAGE_DECLARED: self._on_outage_declared, OUTAGE_ENDED: self._on_outage_ended,
            OUTAGE_EXTENDED: self._on_outage_extended, OUTAGE_CANCELLED: self._on_outage_cancelled,
        }

    # -- saved and restored (``ledger.snapshot``): the handlers are bound methods, made again --------------
    def __getstate__(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if key != "_handlers"}

    def __setstate__(self, saved: dict[str, Any]) -> None:
        self.__dict__.update(saved)
        self._bind_handlers()

    # -- folding ------------------------------------------------------------------------------------
    def apply(self, entry: Entry) -> None:
        self.last_seq = entry.seq
        handler = self._handlers.get(entry.type)
        if handler:
            # data streamed from the file is this fold's own (``Ledger.subscribe``); frozen data is shared
            handler(entry.data if type(entry.data) is dict else thaw(entry.data), entry)

    def _on_mail_received(self, data: dict, entry: Entry) -> None:
        self.mails[data["sha256"]] = data
        if data["sha256"] not in self.request_by_mail:
            self.unregistered[data["sha256"]] = None
        if data.get("message_id"):
            self.message_ids.setdefault(data["message_id"], data["sha256"])

    def _on_deadline_breached(self, data: dict, entry: Entry) -> None:
        self.breached.add(data["request"])
        if data["request"] in self.alerted:
            self.watched.pop(data["request"], None)

    def _watch(self, request: RequestView) -> None:
        """Watch a continuity request the rules left to an officer (1B-1029:9) until both its alert is queued
        and its breach recorded: nothing more is due for it after that."""
        decision = request.decision or {}
        waiting = (request.kind == "continuity" and decision.get("outcome") == "review"
                   and decision.get("decided_by") == "auto")
        if waiting and not (request.number in self.breached and request.number in self.alerted):
            self.watched[request.number] = None
        else:
            self.watched.pop(request.number, None)

    def _on_mail_duplicate(self, data: dict, entry: Entry) -> None:
        self.duplicates[data["sha256"]] = data["first_sha256"]

    def _on_mail_acknowledged(self, data: dict, entry: Entry) -> None:
        self.acknowledged.add(data["sha256"])

    def _on_request_registered(self, data: dict, entry: Entry) -> None:
        view = RequestView(number=data["number"], kind=data["kind"], message_id=data.get("message_id") or "",
                           received_at=data["received_at"], mail_sha256=data.get("mail_sha256") or "",
                           registered=data, messages=[data["message_id"]] if data.get("message_id") else [])
        self.requests[view.number] = view
        self.undecided_numbers[view.number] = None
        if view.mail_sha256:
            self.request_by_mail[view.mail_sha256] = view.number
            self.unregistered.pop(view.mail_sha256, None)
        self._count(view.number)
        for link in data.get("links") or []:   # each case names the other
            earlier = self.requests.get(link["number"])
            if earlier is not None and link["number"] != view.number:
                view.links.append(earlier.number)
                earlier.links.append(view.number)

    def _on_request_requeued(self, data: dict, entry: Entry) -> None:
        request = self.requests.get(data.get("request") or "")
        if request is not None:
            request.requeues.append(data)

    def _on_request_reparsed(self, data: dict, entry: Entry) -> None:
        """The request's message read again: what it says now replaces what it said, and it waits for a new
        decision. Its earlier decisions stay in ``decisions`` (letters are numbered by their index there, so a
        new decision's letters get new outbox ids), shown as superseded: they were made on what the message
        was taken to say before, and nothing more is planned from them."""
        request = self.requests.get(data.get("request") or "")
        if request is None:
            return
        registered = {key: value for key, value in data.items() if key != "request"}
        registered["number"] = request.number
        request.registered = registered
        request.kind = registered.get("kind") or request.kind
        request.decisions = [superseded(decision, entry) for decision in request.decisions]
        request.decision = None
        request.superseded_mails = len(request.mails)
        self.undecided_numbers[request.number] = None
        self.watched.pop(request.number, None)

    def _on_correspondence(self, data: dict, entry: Entry) -> None:
        """A message joined an existing case: it belongs to that case and is never registered on its own."""
        request = self.requests.get(data.get("request") or "")
        if request is None:
            return
        request.correspondence.append(data)
        # Back in the officer queue, and a closed case is open again: someone wrote about it.
        request.waiting = waiting_on(data)
        self.conversations[request.number] = None
        request.closed = None
        if data.get("message_id") and data["message_id"] not in request.messages:
            request.messages.append(data["message_id"])
        if data.get("mail_sha256"):
            self.request_by_mail[data["mail_sha256"]] = request.number
            self.unregistered.pop(data["mail_sha256"], None)

    def _on_etd_reply(self, data: dict, entry: Entry) -> None:
        """An answer to an ETD consultation joined its file (``ledger.etd_views``): registered, not a request."""
        self.request_by_mail[data["mail_sha256"]] = data["file"]
        self.unregistered.pop(data["mail_sha256"], None)

    def _on_decision_made(self, data: dict, entry: Entry) -> None:
        request = self.requests.get(data["request"])
        if request is None:
            return
        request.decision = data
        request.decisions.append(data)
        if data.get("decided_by") not in (None, "auto"):
            request.waiting = None  # an officer acted on the case: its letters answer what came in
            self.conversations.pop(request.number, None)
        if not never_answered(request.registered):
            self.unanswered[(request.number, len(request.decisions) - 1)] = None
        self.undecided_numbers.pop(request.number, None)
        self._watch(request)
        consent_no = data.get("consent_no")
        if data["outcome"] == "consent" and consent_no:
            fields = request.registered.get("fields") or {}
            if consent_no not in self.consents:
                self.consents_by_eori.setdefault(code_key(fields.get("eori")), []).append(consent_no)
                self.consents_by_request.setdefault(request.number, []).append(consent_no)
            self.live_consents[consent_no] = None
            self.consents[consent_no] = ConsentView(
                number=consent_no, request=request.number, eori=fields.get("eori") or "",
                issued_at=data["decided_at"], period_from=data["period_from"], period_to=data["period_to"],
                systems=list(fields.get("systems") or []), offices=list(fields.get("customs_offices") or []))
            self._count(consent_no)
        elif data["outcome"] in ("ended_early", "revoked") and consent_no in self.consents:
            # An early recovery (1B-1029:16) ends it when the systems worked again; a revocation when it is made.
            consent = self.consents[consent_no]
            self.live_consents.pop(consent_no, None)
            consent.ended_at = data.get("period_to") or data["decided_at"]
            consent.ended_by = request.number
            consent.revoked = data["outcome"] == "revoked"
        elif data["outcome"] == "amended" and consent_no in self.consents:
            self.consents[consent_no].period_to = data["period_to"]  # an officer only ever shortens it (14)

    def _on_consent_expired(self, data: dict, entry: Entry) -> None:
        if data["consent_no"] in self.consents:
            self.consents[data["consent_no"]].expired = True
            self.live_consents.pop(data["consent_no"], None)

    def _answered(self, outbox_id: str) -> None:
        """A letter for the decision its id names (``NUMBER/INDEX/PURPOSE``) was recorded."""
        number, _, rest = outbox_id.partition("/")
        index = rest.partition("/")[0]
        if not index.isdigit():
            return
        key = (number, int(index))
        self.unanswered.pop(key, None)
        self.recently_answered.pop(key, None)
        self.recently_answered[key] = None
        if len(self.recently_answered) > RECENTLY_ANSWERED:
            del self.recently_answered[next(iter(self.recently_answered))]

    def _on_mail_queued(self, data: dict, entry: Entry) -> None:
        self._answered(data["id"])
        self.outbox[data["id"]] = OutboxItem(id=data["id"], queued=data)
        self.pending[data["id"]] = None
        request = data.get("request") or ""
        if request and data["id"] == deadline_alert_id(request):
            self.alerted.add(request)
            if request in self.breached:
                self.watched.pop(request, None)
        if data["id"].startswith("outage/"):
            self.outage_mail.setdefault(data["id"].split("/")[1], []).append(data["id"])
        self._count_automatic(data, +1)
        request = self.requests.get(data.get("request") or "")
        if request is not None:
            request.mails.append(data["id"])

    def _on_mail_sent(self, data: dict, entry: Entry) -> None:
        if data["id"] in self.outbox:
            self.outbox[data["id"]].sent = data
            self.pending.pop(data["id"], None)

    def _on_mail_failed(self, data: dict, entry: Entry) -> None:
        if data["id"] in self.outbox:
            self.outbox[data["id"]].failures.append(data)

    def _on_mail_held(self, data: dict, entry: Entry) -> None:
        item = self.outbox.get(data["id"])
        if item is not None and item.held is None:
            item.held = data
            self._count_automatic(item.queued, -1)
            self.pending.pop(item.id, None)

    def _on_mail_unwritten(self, data: dict, entry: Entry) -> None:
        self._answered(data["id"])
        self.unwritten[data["id"]] = data

    def _on_mail_requeued(self, data: dict, entry: Entry) -> None:
        """An officer put a held or failed letter back: pending again, tried at once, counted by the cap again."""
        item = self.outbox.get(data["id"])
        if item is None or item.sent is not None:
            return
        if item.held is not None:
            item.held = None
            self._count_automatic(item.queued, +1)
        item.releases.append(data)
        item.released_after = len(item.failures)
        self.pending[item.id] = None

    def _on_officer_note(self, data: dict, entry: Entry) -> None:
        if data.get("request") in self.requests:
            self.requests[data["request"]].notes.append(data)

    def _on_case_taken(self, data: dict, entry: Entry) -> None:
        if data.get("request") in self.requests:
            self.requests[data["request"]].taken_by = data["by"]

    def _on_case_replied(self, data: dict, entry: Entry) -> None:
        request = self.requests.get(data.get("request") or "")
        if request is not None:
            request.replies.append(data)
            request.waiting = None
            self.conversations.pop(request.number, None)

    def _on_case_closed(self, data: dict, entry: Entry) -> None:
        request = self.requests.get(data.get("request") or "")
        if request is not None:
            request.closed = {**data, "at": entry.ts}
            request.waiting = None
            self.conversations.pop(request.number, None)

    def _on_outage_declared(self, data: dict, entry: Entry) -> None:
        self.outages[data["id"]] = dict(data)

    def _on_outage_ended(self, data: dict, entry: Entry) -> None:
        if data["id"] in self.outages:
            self.outages[data["id"]]["end"] = data["end"]

    def _on_outage_cancelled(self, data: dict, entry: Entry) -> None:
        if data["id"] in self.outages:
            self.outages[data["id"]]["cancelled"] = dict(data)

    def _on_outage_extended(self, data: dict, entry: Entry) -> None:
        # "end" is the latest end; "extensions" keeps when each move was recorded (1B-1029:20 applies from then).
        if data["id"] in self.outages:
            outage = self.outages[data["id"]]
            outage["end"] = data["end"]
            outage["extensions"] = [*outage.get("extensions", []), dict(data)]

    def _count_automatic(self, queued: dict, step: int) -> None:
        if not queued.get("automatic"):
            return
        day = parse_instant(queued["date"]).astimezone(VILNIUS).date().isoformat()
        for recipient in {r.lower() for r in queued["to"]}:
            key = (recipient, day)
            self.automatic_per_day[key] = self.automatic_per_day.get(key, 0) + step

    def automatic_count(self, recipient: str, moment: datetime) -> int:
        """Automatic messages queued (not held) for a recipient on the Vilnius calendar day of ``moment``."""
        return self.automatic_per_day.get((recipient.lower(), moment.astimezone(VILNIUS).date().isoformat()), 0)

    def _count(self, number: str) -> None:
        prefix, year, serial = number.rsplit("-", 2)
        key = (prefix, int(year))
        self.counters[key] = max(self.counters.get(key, 0), int(serial))

    # -- questions ------------------------------------------------------------------------------------
    def next_number(self, prefix: str, moment: datetime) -> str:
        """The next number of a series; each series counts from 1 every (Vilnius) year."""
        year = moment.astimezone(VILNIUS).year
        return f"{prefix}-{year}-{self.counters.get((prefix, year), 0) + 1:06d}"

    def has_mail(self, sha256: str) -> bool:
        return sha256 in self.mails or sha256 in self.duplicates

    def unregistered_mails(self) -> list[dict[str, Any]]:
        """Received messages whose request is not registered yet (a crash between the two), in receipt order."""
        pending = [self.mails[sha] for sha in self.unregistered]
        return sorted(pending, key=lambda m: (m["received_at"], m["sha256"]))

    def undecided(self) -> list[RequestView]:
        pending = [self.requests[number] for number in self.undecided_numbers]
        return sorted(pending, key=lambda r: (r.received, r.number))

    def watched_requests(self) -> list[RequestView]:
        """Continuity requests the rules left to an officer whose deadline alert or breach is not yet recorded,
        in receipt order (1B-1029:9)."""
        waiting = [self.requests[number] for number in self.watched]
        return sorted(waiting, key=lambda r: (r.received, r.number))

    def consents_in_force(self) -> list[ConsentView]:
        """Consents neither expired nor ended (whether their period is over or not), oldest first."""
        return [self.consents[number] for number in self.live_consents]

    def consents_given(self, request: str) -> list[ConsentView]:
        """The consents a request was given, oldest first."""
        return [self.consents[number] for number in self.consents_by_request.get(request, ())]

    def outage_mails(self, outage_id: str) -> list[OutboxItem]:
        """The notices queued about an outage, in the order queued."""
        return [self.outbox[ident] for ident in self.outage_mail.get(outage_id, ())]

    def case_of(self, number: str) -> RequestView | None:
        """The case one of our numbers names: a request (ITPC-, AFIS-) or the request a consent (VTP-) answered."""
        consent = self.consents.get(number)
        return self.requests.get(consent.request if consent else number)

    def consents_of(self, eori: str) -> list[ConsentView]:
        """The consents issued to ``eori`` (spelt any way ``code_key`` folds together), oldest first."""
        return [self.consents[number] for number in self.consents_by_eori.get(code_key(eori), ())]

    def unsettled(self, known: Container[tuple[str, int]] = ()) -> list[tuple[RequestView, int]]:
        """The decisions that may still imply a letter not queued, as (request, index), in receipt order;
        without those in ``known`` (the answerer's: each of their letters is queued)."""
        keys = [*self.unanswered, *(k for k in self.recently_answered if k not in self.unanswered)]
        found = [(self.requests[number], index) for number, index in keys
                 if number in self.requests and (number, index) not in known]
        return sorted(found, key=lambda pair: (pair[0].received, pair[0].number, pair[1]))

    def pending_outbox(self) -> Iterator[OutboxItem]:
        return (self.outbox[ident] for ident in list(self.pending))


def superseded(decision: dict[str, Any], entry: Entry) -> dict[str, Any]:
    """A decision as it stands after a re-parse (``entry``): kept whole, its outcome under ``superseded``."""
    if decision.get("outcome") == SUPERSEDED:
        return decision
    return {**decision, "outcome": SUPERSEDED,
            "superseded": {"outcome": decision.get("outcome"), "seq": entry.seq, "at": entry.ts}}
