"""The ledger's vocabulary: this module names every entry type the ledger holds, and the payload of each.

Every writer appends with one of these constants and every fold dispatches on them; no other module spells
an entry type out (``tests/integration/test_entries.py`` fails on a literal). Each payload is a ``TypedDict``: a key the
writers always write is required, a key they write only sometimes is ``NotRequired``. The types document the
shape on disk and let a type checker check the writers; at run time they are plain dicts, so nothing about
how an entry is encoded or hashed depends on them.

An entry, once written, is never changed: a new key may be added to a payload (``NotRequired`` for ledgers
written before it), but a key is never renamed or removed, or folds of older ledgers would break.
"""
# No `from __future__ import annotations` here: TypedDict reads NotRequired from the evaluated annotations
# (with string annotations Python 3.11 would count every key as required).
from typing import Any, Mapping, NotRequired, TypedDict

# --- the mailbox ----------------------------------------------------------------------------------------------

MAIL_RECEIVED = "mail.received"
"""A fetched message, once per raw bytes (keyed by their SHA-256), its .eml already in the archive. Its
``received_at`` (the IMAP INTERNALDATE, or the top ``Received:`` date) starts the law's windows, e.g. the two
hours of 1B-1029:9."""


class MailReceived(TypedDict):
    sha256: str               # of the raw bytes; names the archived copy
    message_id: str           # "" when the header is missing or unreadable
    size: int
    received_at: str          # UTC ISO-8601
    origin: dict[str, Any]    # where the mailbox held it: {mailbox, uidvalidity, uid} or {maildir, file, folder}
    ref: str                  # the mailbox's own name for it (Maildir file name, or "uidvalidity:uid")


MAIL_DUPLICATE = "mail.duplicate"
"""Other bytes with the Message-ID of a message already received (another delivery): recorded, never
registered."""


class MailDuplicate(TypedDict):
    sha256: str
    message_id: str
    first_sha256: str         # the first delivery's `mail.received`
    received_at: str
    origin: dict[str, Any]


MAIL_ACKNOWLEDGED = "mail.acknowledged"
"""The message was flagged or moved out of the inbox on the server, after its entry above was durable."""


class MailAcknowledged(TypedDict):
    sha256: str
    ref: str


# --- requests -------------------------------------------------------------------------------------------------

class Attachment(TypedDict):
    filename: str
    content_type: str
    size: int
    sha256: str               # names the copy kept apart in the archive


class Authentication(TypedDict):
    """What our own mail server's authentication service found about the ``From:`` domain (RFC 8601
    ``Authentication-Results``, ``ingest.authresults``)."""
    authserv_id: str          # the service that said it (one of `[mailbox] authserv_id`)
    domain: str               # the From domain the verdicts are about
    dmarc: str                # pass | fail | none (no result, or one that says neither)
    dkim: str
    spf: str


class CaseLink(TypedDict):
    """An earlier case a new request names (its subject, or a letter of ours it answers) while holding a request
    of its own (e.g. a new Prašymas after a consent, 1B-1029:14): it keeps its own number, linked to that case."""
    number: str
    reason: str               # English, for officers: where the earlier number was found


class Registration(TypedDict):
    """What a received message says (``itpc.intake.registration``): shared by `request.registered` and
    `request.reparsed`, which add the request's number under different keys."""
    mail_sha256: str
    message_id: str
    received_at: str
    kind: str                 # continuity | early_recovery | afis_access | afis_change | auto_generated | not_a_request
                              # | correspondence (only in `correspondence.attached`)
    source: str               # body | pdf | ocr | docx
    fields: dict[str, Any]    # the form's fields; which ones depends on the kind
    missing: list[str]
    problems: list[str]
    sender: str
    sender_name: str
    reply_to: list[str]
    subject: str
    in_reply_to: str
    references: list[str]
    fax_sender: str | None
    auto_generated: str | None    # why the message counts as automatic mail (RFC 3834 headers, a bounce, ...)
    attachments: list[Attachment]
    # Our server's verdict on the From domain; absent when the message carries none (and in older ledgers).
    authentication: NotRequired[Authentication]
    # Earlier cases of the same sender this request names; absent when none (written with the registration, so
    # a crash cannot leave a request registered and its link lost).
    links: NotRequired[list[CaseLink]]


REQUEST_REGISTERED = "request.registered"
"""A received message registered as a request, numbered in its series (ITPC- or AFIS-, counted per Vilnius
year). An unreadable message is registered too, as ``not_a_request`` with the reason in ``problems``."""


class RequestRegistered(Registration):
    number: str


REQUEST_REQUEUED = "request.requeued"
"""An officer asked for a request to be processed again (`itpc requeue`), and why; followed by its
`request.reparsed`."""


class RequestRequeued(TypedDict):
    request: str
    reason: str
    by: str                   # the officer


REQUEST_REPARSED = "request.reparsed"
"""A requeued request's archived message parsed again: the new registration replaces the old one, and the
request waits for a new decision (its earlier ones count as superseded)."""


class RequestReparsed(Registration):
    request: str


CORRESPONDENCE_ATTACHED = "correspondence.attached"
"""A received message that answers one of our letters or writes about an existing case and holds no request
of its own, joined to that case (``request``): no number of its own, never answered automatically, left for
an officer."""


class CorrespondenceAttached(Registration):
    request: str              # the case it joined


# --- decisions and consents -----------------------------------------------------------------------------------

DECISION_MADE = "decision.made"
"""A decision on a request, automatic (the rules engine) or an officer's (`itpc decide`), dated when it was made,
with the points it cites: consent (1B-1029:14), refusal (1B-1029:8, 12-13), returned for correction
(1B-280:9), ended_early (a consent ended by an early-recovery request, 1B-1029:16 — there is no separate
entry for that), not_needed (1B-1029:20), review (for an officer) or none (auto-generated mail)."""


class DecisionMade(TypedDict):
    request: str
    # "revoked" and "amended" correct a consent already issued: a new decision on the consent's request (the
    # ledger never changes the old one), so the request's latest decision is the consent's state and its
    # letters are planned like any decision's.
    outcome: str
    rules: list[str]          # cited points, e.g. "1B-1029:8.2"
    period_from: str | None   # a consent's period (an ended or revoked one's: period_to is when it ended;
                              # an amended one's: its new, earlier end)
    period_to: str | None
    motives: list[str]        # Lithuanian sentences for the letter
    note: str                 # English, for officers
    deadline: str | None      # a returned request's correction deadline; an AFIS change's deadline to act
    consent_no: str | None    # VTP number: the consent given, or the consent an early recovery (or a
                              # correction) ends or shortens
    decided_by: str           # "auto" or the officer's login
    decided_at: str


DEADLINE_BREACHED = "deadline.breached"
"""A continuity request the rules sent to review had no officer's decision two hours after its receipt
(1B-1029:9); written once by the tick."""


class DeadlineBreached(TypedDict):
    request: str
    received_at: str
    deadline: str
    rule: str                 # "1B-1029:9"


CONSENT_EXPIRED = "consent.expired"
"""A consent's period ended (not ended early); written once by the tick."""


class ConsentExpired(TypedDict):
    consent_no: str
    at: str                   # the consent's period_to


OFFICER_NOTE = "officer.note"
"""An officer's remark on a request (`itpc note`)."""


class OfficerNote(TypedDict):
    request: str
    text: str
    by: str


# --- cases: conversations an officer keeps (ITPC functions 2.3-2.4) --------------------------------------------

CASE_TAKEN = "case.taken"
"""An officer claimed a case (`itpc take`): `requests` shows who has it."""


class CaseTaken(TypedDict):
    request: str
    by: str                   # the officer's login
    previous: str | None      # the officer who had it before, if anyone


CASE_REPLIED = "case.replied"
"""An officer answered a case from the terminal (`itpc reply`): the letter (``mail``, an outbox id, queued in
the same lock) goes in the case's thread, to the sender of the last message received, signed by the officer."""


class CaseReplied(TypedDict):
    request: str
    mail: str                 # the outbox id of the letter (`mail.queued`)
    to: list[str]
    subject: str
    in_reply_to: str          # the Message-ID of the case's last message received ("" when it had none)
    text: str                 # what the officer wrote (the letter's body without greeting and signature)
    by: str                   # the officer's login
    officer_name: str
    officer_position: str


CASE_CLOSED = "case.closed"
"""An officer closed an inquiry or a conversation (`itpc close`): it leaves the officer queue until a new
message about it arrives."""


class CaseClosed(TypedDict):
    request: str
    reason: str
    by: str


# --- the outbox -----------------------------------------------------------------------------------------------

MAIL_QUEUED = "mail.queued"
"""An outgoing message (answer, notice to customs offices within 1B-1029:11's time, alert, outage notice,
AFIS e-mail), once per stable id, its bytes already archived."""


class MailQueued(TypedDict):
    id: str                   # stable: the same decision always yields the same ids
    request: str | None       # None for mail about no request (outage notices, AFIS users)
    purpose: str
    to: list[str]
    subject: str
    sha256: str               # of the archived message bytes
    date: str
    automatic: bool           # counted by the daily cap of automatic messages per recipient


MAIL_SENT = "mail.sent"
"""The mail server accepted a queued message."""


class MailSent(TypedDict):
    id: str
    answer: str               # the server's reply, e.g. "250 2.0.0 Ok: queued as ..."
    at: str


MAIL_FAILED = "mail.failed"
"""A send attempt failed; a transient failure is retried at ``retry_at`` (exponential backoff), a permanent
one is followed by `mail.held`."""


class MailFailed(TypedDict):
    id: str
    error: str
    permanent: bool
    attempt: int
    retry_at: str | None      # None when permanent
    uncertain: bool           # lost after the message went over: the server may have it (RFC 1047)


MAIL_HELD = "mail.held"
"""A queued message kept back for an officer: refused permanently, or a recipient past the daily cap."""


class MailHeld(TypedDict):
    id: str
    reason: str


MAIL_UNWRITTEN = "mail.unwritten"
"""A letter a decision implies could not be written (a recipient no address can be made of, a template that
fails): recorded once, shown to officers, and the other letters go out. Never queued, so nothing is sent."""


class MailUnwritten(TypedDict):
    id: str                   # the id the letter would have had in the outbox
    request: str | None
    purpose: str
    to: list[str]
    reason: str


MAIL_REQUEUED = "mail.requeued"
"""An officer put a held or failed letter back in the outbox (`itpc requeue`)."""


class MailRequeued(TypedDict):
    id: str
    request: str
    reason: str
    by: str


# --- outages (1B-1029:17-20, 31-32) ------------------------------------------------------------------------------

OUTAGE_DECLARED = "outage.declared"
"""An officer declared an MDAS or NTKS stop: planned (announced 1 day ahead for MDAS, 1B-1029:18; 30 days for
NTKS, 32) or an unplanned failure (customs offices told after 2 hours, 20, 31)."""


class OutageForced(TypedDict):
    reason: str
    shortfall: str            # which notice period was not kept


class OutageDeclared(TypedDict):
    id: str
    system: str               # MDAS | NTKS
    start: str
    end: str | None           # None for an unplanned failure until its `outage.ended`
    kind: str                 # planned | unplanned
    declared_at: str
    forced: NotRequired[OutageForced]   # only for a planned stop recorded with --force, short of its notice
    by: NotRequired[str]      # the officer's login (absent in ledgers written before it was recorded)


OUTAGE_ENDED = "outage.ended"
"""An unplanned failure is over; the offices and those who reported it are told (1B-1029:20, 32)."""


class OutageEnded(TypedDict):
    id: str
    end: str
    by: NotRequired[str]      # the officer's login (absent in older ledgers)


OUTAGE_EXTENDED = "outage.extended"
"""An officer moved a planned stop's end later; from this moment the procedure applies without a request
(1B-1029:20 "pratęsus MDAS stabdymo laiką"; for NTKS, 31 once the stop lasts more than 2 hours)."""


class OutageExtended(TypedDict):
    id: str
    end: str                  # the new end
    previous_end: str
    extended_at: str          # when it was recorded: point 20 applies from then
    by: NotRequired[str]      # the officer's login (absent in older ledgers)


OUTAGE_CANCELLED = "outage.cancelled"
"""An officer called off a planned stop before it began: it is no longer announced nor acted on, and those told
of it are told it will not happen."""


class OutageCancelled(TypedDict):
    id: str
    reason: str
    by: str                   # the officer
    cancelled_at: str


# --- AFIS/CIS+ users (1B-280:17-18) -------------------------------------------------------------------------------

AFIS_LOGIN = "afis.login"
"""A user's last login as the URT export gives it (`itpc afis import-logins`), once per (username,
last_login)."""


class AfisLogin(TypedDict):
    username: str
    name: str
    email: str
    last_login: str           # "YYYY-MM-DD", or UTC ISO-8601 when the export gives a time
    source: str               # the export's file name
    line: int                 # its line in the export


AFIS_INACTIVE = "afis.inactive"
"""A user over 9 months without a login marked Inactive, once per last login (1B-280:18); ``mail`` names the
one e-mail queued to them."""


class AfisInactive(TypedDict):
    username: str
    last_login: str
    inactive_from: str        # a Vilnius date
    rules: list[str]
    mail: str | None          # the outbox id, None when no e-mail could be made
    reason: NotRequired[str]  # why no e-mail could be made


# --- ETD authorisations (1B-1052) ---------------------------------------------------------------------------------

class EtdOffice(TypedDict):
    role: str                 # departure | destination
    country: str              # ISO 3166 alpha-2, e.g. "LT", "NO"
    col: str                  # the customs office's COL code (8 characters, e.g. "NO001234")
    name: str
    email: str                # where its notices go (1B-1052:36); "" when unknown


ETD_OPENED = "etd.opened"
"""An accepted application for an ETD authorisation, its file opened (1B-1052:23) under a number of ours
(``ETD-<year>-<6 digits>``, counted per Vilnius year of acceptance): the application's MSVS number, the
applicant, the offices of departure and destination and the figures the criteria of 17 are checked on."""


class EtdOpened(TypedDict):
    number: str               # the file's number, ETD-2026-000001
    msvs_number: str          # the application's number in MSVS
    accepted_on: str          # UTC ISO-8601 of the acceptance (1B-1052:14); consultation counts from it (16)
    company: str
    eori: str
    carrier: str              # airline | shipping
    aeo: str | None           # the AEO "customs simplifications" authorisation number (1B-1052:21), if any
    offices: list[EtdOffice]
    procedures_per_month: int | None   # stated transit procedures (1B-1052:6.4, 7.4, 17)
    procedures_per_year: int | None
    movements_per_month: int | None    # flights (airline) or voyages (shipping company), 17
    movements_per_year: int | None
    by: str                   # the officer


ETD_DOCUMENT_ATTACHED = "etd.document_attached"
"""A document put in the file (1B-1052:23.1-23.7, the monitoring plan of 25.2, an audit report of 37), its
bytes in the archive under their SHA-256."""


class EtdDocumentAttached(TypedDict):
    file: str
    kind: str                 # application | assessment-report | extension | authorisation | monitoring-report |
                              # monitoring-plan | audit-report | decision | refusal
    point: str                # the point of 23 it falls under, e.g. "1B-1052:23.1"
    filename: str
    content_type: str
    size: int
    sha256: str               # names the archived copy (``RawArchive.attachment_path``)
    by: str


ETD_CONSULTATION_STARTED = "etd.consultation_started"
"""The consultation of another country's competent authority (1B-1052:16): by e-mail with the TC26 form for a
common transit country (``made_at`` set when it was queued), or in MSVS for a member state (recorded by the tick
as to be made, ``made_at`` None, then by the officer once made)."""


class EtdConsultationStarted(TypedDict):
    file: str
    channel: str              # email | msvs
    country: str
    authority: str            # the competent authority's name ("" for a member state: MSVS knows it)
    address: str | None       # the e-mail it went to (email channel)
    due: str                  # UTC ISO-8601: the end of the next working day after acceptance (16)
    made_at: str | None       # when it was made; None: still to be made in MSVS
    mail: str | None          # the outbox id of the TC26 e-mail
    by: str                   # "auto" or the officer


ETD_REPLY_ATTACHED = "etd.reply_attached"
"""A competent authority's answer to a consultation (a filled-in TC26, 1B-1052:16, annex) joined to the file it
names; never answered automatically."""


class EtdReplyAttached(Registration):
    file: str


ETD_DECIDED = "etd.decided"
"""An officer recorded the decision taken in MSVS on the file (1B-1052:22, 28-30): its motives, effective
date and, for an unfavourable one, the right of appeal (33); notices follow (32, 36)."""


class EtdDecided(TypedDict):
    file: str
    action: str               # grant | refuse | amend | suspend | reinstate | revoke | annul
    effective: str            # UTC ISO-8601
    motives: list[str]        # Lithuanian sentences; required for an unfavourable decision (33)
    rules: list[str]
    by: str
    decided_at: str


ETD_DEADLINE_ALERTED = "etd.deadline_alerted"
"""The duty address was told that a file's deadline is near (``stage`` alert) or past (overdue): the
consultation (16), the monitoring plan (25.2) or a year's audit (37); once per deadline and stage."""


class EtdDeadlineAlerted(TypedDict):
    file: str
    deadline: str             # consultation/<country> | monitoring-plan/<grant seq> | audit/<year>
    stage: str                # alert | overdue
    due: str                  # UTC ISO-8601
    rule: str
    mail: str | None          # the outbox id of the alert


# --- the store itself -----------------------------------------------------------------------------------------

LEDGER_RECOVERED = "ledger.recovered"
"""The store moved a torn last line (a crash mid-append) aside before appending again."""


class LedgerRecovered(TypedDict):
    torn_bytes: int
    sha256: str               # of the torn bytes
    moved_to: str             # relative to the ledger folder
    after_seq: int


LEDGER_CHECKPOINT = "ledger.checkpoint"
"""The writer vouches for the ledger so far: the head hash at ``seq``, the SHA-256 of the file's bytes up
to and including entry ``seq``, and a digest of the archived files the entries up to ``seq`` name; signed
with the Ed25519 key kept outside the ledger folder (``signature`` empty when no key is configured). The
latest one is also published outside the ledger (``[ledger] checkpoint_file``), where a rewrite of the ledger
cannot reach it; ``itpc ledger verify --checkpoint`` checks the ledger against it."""


class LedgerCheckpoint(TypedDict):
    seq: int                  # the last entry vouched for (the entry before this one)
    head: str                 # its hash
    ledger_sha256: NotRequired[str]  # of ledger.jsonl's bytes up to that entry's line end; only before 2026-12
    archive_digest: str       # ledger.checkpoints.archive_digest of the files entries 1..seq name
    key_id: str               # first 16 hex digits of the SHA-256 of the raw public key; "" unsigned
    signature: str            # Ed25519 over the canonical JSON of seq, head, [ledger_sha256], archive_digest, hex


# --- the whole vocabulary ----------------------------------------------------------------------------------------

ALL: tuple[str, ...] = (
    MAIL_RECEIVED, MAIL_DUPLICATE, MAIL_ACKNOWLEDGED,
    REQUEST_REGISTERED, REQUEST_REQUEUED, REQUEST_REPARSED, CORRESPONDENCE_ATTACHED,
    DECISION_MADE, DEADLINE_BREACHED, CONSENT_EXPIRED, OFFICER_NOTE,
    CASE_TAKEN, CASE_REPLIED, CASE_CLOSED,
    MAIL_QUEUED, MAIL_SENT, MAIL_FAILED, MAIL_HELD, MAIL_UNWRITTEN, MAIL_REQUEUED,
    OUTAGE_DECLARED, OUTAGE_ENDED, OUTAGE_EXTENDED, OUTAGE_CANCELLED,
    AFIS_LOGIN, AFIS_INACTIVE,
    ETD_OPENED, ETD_DOCUMENT_ATTACHED, ETD_CONSULTATION_STARTED, ETD_REPLY_ATTACHED, ETD_DECIDED,
    ETD_DEADLINE_ALERTED,
    LEDGER_RECOVERED, LEDGER_CHECKPOINT,
)

PAYLOADS: Mapping[str, type] = {
    MAIL_RECEIVED: MailReceived, MAIL_DUPLICATE: MailDuplicate, MAIL_ACKNOWLEDGED: MailAcknowledged,
    REQUEST_REGISTERED: RequestRegistered, REQUEST_REQUEUED: RequestRequeued, REQUEST_REPARSED: RequestReparsed,
    CORRESPONDENCE_ATTACHED: CorrespondenceAttached,
    DECISION_MADE: DecisionMade, DEADLINE_BREACHED: DeadlineBreached, CONSENT_EXPIRED: ConsentExpired,
    OFFICER_NOTE: OfficerNote,
    CASE_TAKEN: CaseTaken, CASE_REPLIED: CaseReplied, CASE_CLOSED: CaseClosed,
    MAIL_QUEUED: MailQueued, MAIL_SENT: MailSent, MAIL_FAILED: MailFailed, MAIL_HELD: MailHeld,
    MAIL_UNWRITTEN: MailUnwritten,
    MAIL_REQUEUED: MailRequeued,
    OUTAGE_DECLARED: OutageDeclared, OUTAGE_ENDED: OutageEnded, OUTAGE_EXTENDED: OutageExtended,
    OUTAGE_CANCELLED: OutageCancelled,
    AFIS_LOGIN: AfisLogin, AFIS_INACTIVE: AfisInactive,
    ETD_OPENED: EtdOpened, ETD_DOCUMENT_ATTACHED: EtdDocumentAttached,
    ETD_CONSULTATION_STARTED: EtdConsultationStarted, ETD_REPLY_ATTACHED: EtdReplyAttached,
    ETD_DECIDED: EtdDecided, ETD_DEADLINE_ALERTED: EtdDeadlineAlerted,
    LEDGER_RECOVERED: LedgerRecovered, LEDGER_CHECKPOINT: LedgerCheckpoint,
}
