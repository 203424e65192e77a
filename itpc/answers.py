"""What each decision sends, to whom: letters, the Sutikimas, customs-office notices — queued in the outbox.

Every message a decision implies has a stable id (``NUMBER/DECISION/PURPOSE``), so re-running after a crash
queues only what is missing. Nothing is ever sent in answer to auto-generated mail. A letter is dated when it
is written (the app's clock, or `--now`); what it states was decided is dated by its decision.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator

from config import ItpcError
from itpc import outbox
from itpc.app import App
from itpc.intake import UNKNOWN_CASE
from itpc.officers import signature_context, signer
from itpc.outbox import Outgoing
from itpc.writing import Writer
from ledger.clock import parse_instant
from ledger.entries import MAIL_UNWRITTEN
from ledger.views import RequestView, never_answered
from responders.compose import is_message_id
from responders.drafts import Draft, LetterOrder, Unwritable, WrittenLetter
from responders.senders import address_of, answer_to
from responders.sutikimas import SutikimasDoc

log = logging.getLogger("itpc.answers")

ANSWERED_KINDS = {"continuity", "early_recovery", "afis_access", "afis_change"}

# The acknowledgement each kind gets when an automatic decision leaves it to an officer: its letter, and the
# automatic outcomes that do so. Every kind has its own letter (DESIGN.md: an AFIS request never gets the
# continuity acknowledgement); an inquiry is acknowledged once and waits for an officer's answer, but a message
# that could not be read (an attachment over the cap, a failed OCR) is not: what it says is not known.
ACKNOWLEDGEMENTS: dict[str, tuple[str, frozenset[str]]] = {
    "continuity": ("acknowledgement", frozenset({"review"})),
    "early_recovery": ("acknowledgement_early_recovery", frozenset({"review"})),
    "afis_access": ("acknowledgement_afis_access", frozenset({"review"})),
    "afis_change": ("acknowledgement_afis_change", frozenset({"review"})),
    "not_a_request": ("acknowledgement_not_a_request", frozenset({"review", "none"})),
}

# An officer's correction of a consent (itpc/officer.py): the letter to the trader and the offices' notice.
CORRECTION_LETTERS: dict[str, tuple[str, str]] = {
    "revoked": ("consent_revoked", "consent_revoked_notice"),
    "amended": ("consent_amended", "consent_amended_notice"),
}


@dataclass(frozen=True)
class Planned:
    """One message a decision implies; ``build`` drafts it only when it is not queued yet."""
    id: str
    purpose: str
    to: tuple[str, ...]
    build: Callable[[], Draft]
    capped: bool = True  # customs-office notices are required by the rules: never held by the daily cap


class Answerer:
    def __init__(self, app: App):
        self.app = app
        self.settings = app.settings
        self.templates = self.settings.templates.directory
        self.sender = self.settings.outbox.sender
        self._done: set[tuple[str, int]] = set()  # decisions whose messages are all queued (this process)
        self._alerted: set[str] = set()  # sha256 of case messages whose duty alert is queued (this process)
        self.writer = Writer(self.templates)

    @contextmanager
    def writing_ahead(self) -> Iterator[None]:
        """Within it, letters may be written on another core (``writer.ahead()``) and queued as they come back;
        all of them are queued when it ends. Letters still in flight when it ends by an error are written again."""
        try:
            yield
            self.writer.finish()
        finally:
            if self.writer.stop():  # the decisions they answer are planned again, and find them unqueued
                self._done.clear()
                self._alerted.clear()

    def answer_pending(self) -> int:
        """Queue every message that decisions imply and that is not queued yet. A letter that cannot be written
        is recorded as such (`mail.unwritten`) and the others go out: one bad request never stops the line."""
        self.writer.catch_up()  # letters written on the other core meanwhile are queued first, in order
        state, queued = self.app.state, 0
        for request, index in state.unsettled(self._done):  # the others have every letter they imply queued
            decision = request.decisions[index]
            for plan in self.plan(request, index, decision):
                queued += self.queue_planned(request, decision, plan)
            self._done.add((request.number, index))
        for number in list(state.conversations):  # cases a message came back to, waiting for an officer
            queued += self.conversation_alerts(state.requests[number])
        return queued

    def conversation_alerts(self, request: RequestView) -> int:
        """The duty address is told at once of each message that came back to a case (once per message:
        the outbox id names it), since nothing automatic answers it and it waits for an officer."""
        queued = 0
        if request.waiting is None:
            return 0  # an officer has acted since (a reply, a decision, closing it): nothing waits to be told
        for attached in request.correspondence:
            sha = attached.get("mail_sha256") or ""
            if not sha or sha in self._alerted:
                continue
            plan = self.duty_alert(request, f"{request.number}/message/{sha[:16]}", "message", attached)
            if plan is not None:
                queued += self.queue_planned(request, {"decided_at": attached["received_at"]}, plan)
            self._alerted.add(sha)
        return queued

    def queue_planned(self, request: RequestView, decision: dict[str, Any], plan: Planned) -> int:
        """Write and queue the letter ``plan`` stands for unless it is queued, being written, or recorded as
        unwritable already; a letter that cannot be written is recorded (`mail.unwritten`) and the line goes
        on. Returns how many letters were queued (none yet when it is written on another core)."""
        state = self.app.state
        if plan.id in state.outbox or plan.id in state.unwritten or plan.id in self.writer.in_flight:
            return 0
        try:
            order = self.order(request, decision, plan)
        except (ItpcError, ValueError) as exc:
            self.unwritten(request, plan, exc)
            return 0
        queued: list[int] = []
        self.writer.write(plan.id, order,
                          lambda written: queued.append(self.queue_written(request, plan, order, written)))
        return sum(queued)

    def queue_written(self, request: RequestView, plan: Planned, order: LetterOrder,
                      written: WrittenLetter | Unwritable) -> int:
        """Queue a written letter, or record why it could not be written."""
        if isinstance(written, Unwritable):
            self.unwritten(request, plan, written)
            return 0
        outgoing = Outgoing(id=plan.id, request=request.number, purpose=plan.purpose, to=plan.to,
                            subject=written.subject, raw=written.raw, date=order.date, capped=plan.capped)
        return outbox.queue(self.app.ledger, self.app.state, self.app.archive, outgoing,
                            daily_cap=self.settings.outbox.daily_cap)

    def order(self, request: RequestView, decision: dict[str, Any], plan: Planned) -> LetterOrder:
        """The letter ``plan`` stands for, drafted and addressed, dated now (never before its decision)."""
        draft = plan.build()
        date = max(self.app.clock(), parse_instant(decision["decided_at"]))
        # The sender's own threading headers are only a courtesy: one that is malformed is left out.
        replying_to = request.message_id if is_message_id(request.message_id) else None
        references = [r for r in [*(request.registered.get("references") or []), replying_to] if is_message_id(r)]
        return LetterOrder(draft, sender=self.sender, to=tuple(plan.to),
                           message_id=outbox.message_id(plan.id, self.sender), in_reply_to=replying_to,
                           references=tuple(references), date=date)

    def unwritten(self, request: RequestView, plan: Planned, exc: Exception | Unwritable) -> None:
        log.error("%s: the %s letter could not be written, left for an officer: %s", request.number, plan.purpose,
                  exc)
        with self.app.ledger.writing():
            if plan.id not in self.app.state.unwritten:
                self.app.ledger.append(MAIL_UNWRITTEN, {"id": plan.id, "request": request.number,
                                                        "purpose": plan.purpose, "to": list(plan.to),
                                                        "reason": str(exc)})

    # -- what a decision implies -----------------------------------------------------------------------
    def plan(self, request: RequestView, index: int, decision: dict[str, Any]) -> Iterator[Planned]:
        if never_answered(request.registered):
            return  # RFC 3834: auto-generated mail is never answered
        base = f"{request.number}/{index}"
        readable = not unread_problems(request.registered)
        why = queue_reason(request.kind, decision, readable=readable)
        # Only while it is still waiting: a decision since superseded, or a case answered or closed, needs no word.
        if why and index == len(request.decisions) - 1 and request.closed is None and not request.replies:
            alert = self.duty_alert(request, base, why, request.registered, decision)
            if alert is not None:
                yield alert
        acknowledgement = acknowledgement_of(request.kind, decision, readable=readable)
        if acknowledgement:
            ctx = self.context(request, decision)
            yield Planned(f"{base}/acknowledgement", "acknowledgement", self.recipients(request),
                          lambda: self.letter(acknowledgement, ctx))
            return
        if request.kind not in ANSWERED_KINDS:
            return  # not_a_request: an officer answers it from the CLI
        outcome = decision["outcome"]
        to = self.recipients(request)
        ctx = self.context(request, decision)
        if outcome == "consent":
            yield Planned(f"{base}/answer", "answer", to, lambda: self.consent_letter(ctx))
            for code, _name in ctx["offices"]:
                office = self.app.offices.get(code)
                if office and office.email:
                    yield Planned(f"{base}/notice/{code}", "office_notice", (office.email,),
                                  lambda: self.letter("office_notice", ctx), capped=False)
        elif outcome == "refusal":
            yield Planned(f"{base}/answer", "answer", to, lambda: self.letter("refusal", ctx))
        elif outcome == "not_needed":
            yield Planned(f"{base}/answer", "answer", to, lambda: self.letter("not_needed", ctx))
        elif outcome == "returned":
            letter = "afis_change_return" if request.kind == "afis_change" else "afis_return"
            yield Planned(f"{base}/answer", "answer", self.afis_return_to(request),
                          lambda: self.with_request_copy(request, letter, self.afis_context(request, ctx)))
        elif outcome == "forwarded":
            letter = "afis_change_forward" if request.kind == "afis_change" else "afis_forward"
            # The liaison officer is ITPC's own colleague: the cap against mail loops with outsiders does not apply.
            yield Planned(f"{base}/forward", "forward", (self.settings.afis.liaison_address,),
                          lambda: self.with_request_copy(request, letter, self.afis_context(request, ctx)),
                          capped=False)
        elif outcome == "granted" and request.kind == "afis_access":
            user = address_of((request.registered.get("fields") or {}).get("officer_email"))
            if user:  # the user is told at the address the request names (1B-280:10)
                yield Planned(f"{base}/answer", "answer", (user,),
                              lambda: self.letter("afis_granted", self.afis_context(request, ctx)))
        elif outcome == "ended_early":
            consent = self.app.state.consents.get(decision.get("consent_no") or "")
            if consent is None:
                return
            end_ctx = {**ctx, **self.consent_context(consent), "ended_at": decision.get("period_to")
                       or decision["decided_at"]}
            yield Planned(f"{base}/answer", "answer", to, lambda: self.letter("early_end_confirmation", end_ctx))
            for code in consent.offices:
                office = self.app.offices.get(code)
                if office and office.email:
                    yield Planned(f"{base}/notice/{code}", "early_end_notice", (office.email,),
                                  lambda: self.letter("early_end_notice", end_ctx), capped=False)
        elif outcome in CORRECTION_LETTERS:
            yield from self.correction(request, index, decision, ctx, to)

    def correction(self, request: RequestView, index: int, decision: dict[str, Any], ctx: dict[str, Any],
                   to: tuple[str, ...]) -> Iterator[Planned]:
        """A consent an officer revoked or shortened: a letter to the trader, a notice to each office of the
        consent. What it replaced is the end the request's earlier decisions gave the consent."""
        consent = self.app.state.consents.get(decision.get("consent_no") or "")
        if consent is None:
            return
        earlier = [d for d in request.decisions[:index] if d.get("consent_no") == consent.number
                   and d.get("outcome") in ("consent", "amended") and d.get("period_to")]
        previous_to = earlier[-1]["period_to"] if earlier else consent.period_to
        new_to = decision.get("period_to") or decision["decided_at"]
        if decision["outcome"] == "revoked":
            fix_ctx = {**ctx, **self.consent_context(consent), "period_to": previous_to, "ended_at": new_to}
        else:
            fix_ctx = {**ctx, **self.consent_context(consent), "period_to": new_to, "previous_to": previous_to}
        letter, notice = CORRECTION_LETTERS[decision["outcome"]]
        base = f"{request.number}/{index}"
        yield Planned(f"{base}/answer", "answer", to, lambda: self.letter(letter, fix_ctx))
        for code in consent.offices:
            office = self.app.offices.get(code)
            if office and office.email:
                yield Planned(f"{base}/notice/{code}", notice, (office.email,),
                              lambda: self.letter(notice, fix_ctx), capped=False)

    def duty_alert(self, request: RequestView, base: str, why: str, message: dict[str, Any],
                   decision: dict[str, Any] | None = None) -> Planned | None:
        """One alert to the duty address that a case entered the officer queue (``why``: `queue_reason`, or
        "message" for a message that came back to it), with its number, kind, what came in and its deadline."""
        duty = self.settings.itpc.duty_address
        if not duty:
            return None
        ctx = {"request_no": request.number, "kind": request.kind, "why": why,
               "received_at": parse_instant(message["received_at"]), "sender": message.get("sender") or "",
               "subject": message.get("subject") or "", "deadline": self.queue_deadline(request, decision),
               "note": (decision or {}).get("note") or ""}
        # ITPC's own colleagues: the cap against mail loops with outsiders does not apply.
        return Planned(f"{base}/duty", "duty_alert", (duty,), lambda: self.letter("duty_alert", ctx), capped=False)

    def queue_deadline(self, request: RequestView, decision: dict[str, Any] | None) -> datetime | None:
        """When an officer must have acted: a continuity request still undecided, within 2 hours of receipt
        (1B-1029:9); a decision that set its own deadline (an AFIS change, 1B-280:16) by then; else none."""
        latest = decision or request.decision or {}
        if latest.get("outcome") not in (None, "review"):
            return None
        if request.kind == "continuity":
            return request.received + timedelta(minutes=self.settings.rules.decision_deadline_minutes)
        return parse_instant(latest["deadline"]) if latest.get("deadline") else None

    def recipients(self, request: RequestView) -> tuple[str, ...]:
        """To the addresses and fax numbers the request names for the answer, else to the sender (1B-1029:13);
        a fax number as an address at the fax gateway."""
        emails, faxes = answer_to(request.registered, request.kind, self.settings.outbox.max_recipients)
        return tuple(dict.fromkeys(emails + [self.settings.fax.gateway.format(number=n) for n in faxes]))

    def afis_return_to(self, request: RequestView) -> tuple[str, ...]:
        """A returned AFIS/CIS+ request goes to the representative who filled it in, at the address it names,
        with a copy to the sender (1B-280:9); a change notice has no such form: back to its sender."""
        fields = request.registered.get("fields") or {}
        sender = address_of(request.registered.get("sender"))
        representative = address_of(fields.get("officer_email")) if request.kind == "afis_access" else ""
        return tuple(dict.fromkeys(a for a in (representative, sender) if a))

    def answered_by_fax(self, request: RequestView) -> bool:
        """Whether the answer goes (also) to a fax, whose reader cannot simply reply to it."""
        prefix, _, suffix = self.settings.fax.gateway.partition("{number}")
        return any(to.startswith(prefix.lower()) and to.endswith(suffix.lower())
                   for to in (t.lower() for t in self.recipients(request)))

    # -- contexts ------------------------------------------------------------------------------------------
    def context(self, request: RequestView, decision: dict[str, Any]) -> dict[str, Any]:
        fields = request.registered.get("fields") or {}
        offices = [(code, self.office_name(code)) for code in fields.get("customs_offices") or []]
        decided = parse_instant(decision["decided_at"])
        due = request.received + timedelta(minutes=self.settings.rules.decision_deadline_minutes)  # 1B-1029:9
        requested_from, requested_to = fields.get("period_from"), fields.get("period_to")
        period_to = decision.get("period_to")
        shortened = bool(period_to and requested_to and parse_instant(period_to) < parse_instant(requested_to))
        return {
            "request_no": request.number, "consent_no": decision.get("consent_no"),
            "received_at": request.received, "issued_at": decided,
            "applicant": fields.get("applicant") or fields.get("institution") or "",
            "eori": fields.get("eori") or "", "systems": list(fields.get("systems") or []),
            "period_from": decision.get("period_from") or requested_from,
            "period_to": period_to or requested_to, "offices": offices,
            "motives": list(decision.get("motives") or []), "rules": list(decision.get("rules") or []),
            "shortened": shortened, "requested_from": requested_from, "requested_to": requested_to,
            "deadline": decision.get("deadline") or due, "late": decided > due,
            "officer_name": fields.get("officer_name"),
            "outage_from": self.outage_start(fields, request.received),
            "by_fax": self.answered_by_fax(request),
            "itpc_fax": self.settings.itpc.fax_number, "itpc_email": self.settings.itpc.email,
            "decided_by": decision.get("decided_by"),
        }

    def afis_context(self, request: RequestView, ctx: dict[str, Any]) -> dict[str, Any]:
        """What AFIS/CIS+ letters show of the request: its 1B-280:7 items, or the change, and who sent it."""
        fields = request.registered.get("fields") or {}
        purposes = fields.get("purposes") or []
        return {**ctx, "sender": address_of(request.registered.get("sender")) or "",
                **{key: fields.get(key) for key in ("institution", "officer_position", "officer_phone",
                                                    "officer_email", "access_type", "afis_mailbox", "change",
                                                    "changed_on")},
                "modules": list(fields.get("modules") or []),
                "purposes": [purposes] if isinstance(purposes, str) else list(purposes)}

    def consent_context(self, consent) -> dict[str, Any]:
        # The early-recovery message rarely repeats the applicant's name; the consent's own request has it.
        issued_for = self.app.state.requests.get(consent.request)
        applicant = ((issued_for.registered.get("fields") or {}).get("applicant") if issued_for else None) or ""
        return {"consent_no": consent.number, "eori": consent.eori, "systems": consent.systems,
                "applicant": applicant,
                "period_from": consent.period_from, "period_to": consent.period_to,
                "offices": [(code, self.office_name(code)) for code in consent.offices]}

    def office_name(self, code: str) -> str:
        office = self.app.offices.get(code)
        return office.name if office else code

    def outage_start(self, fields: dict[str, Any], at: datetime) -> datetime:
        """When the outage of a requested system that was going on at ``at`` (the receipt) began; an outage that
        had ended by then, or began later, is not the one the answer is about."""
        starts = [parse_instant(o["start"]) for o in self.app.state.outages.values()
                  if o["system"] in (fields.get("systems") or []) and parse_instant(o["start"]) <= at
                  and (not o.get("end") or parse_instant(o["end"]) > at)]
        return min(starts) if starts else at

    # -- rendering -----------------------------------------------------------------------------------------
    def letter(self, name: str, ctx: dict[str, Any]) -> Draft:
        """Letter ``name``, signed by the officer who made the decision (the duty officer for the rules')."""
        return Draft(name, {**signature_context(signer(self.settings, ctx.get("decided_by"))), **ctx})

    def with_request_copy(self, request: RequestView, name: str, ctx: dict[str, Any]) -> Draft:
        """Letter ``name`` with the request as it was received attached (1B-280:9: "prašymo kopija")."""
        copy = self.request_copy(request)
        return replace(self.letter(name, {**ctx, "attached": bool(copy)}), files=tuple(copy))

    def request_copy(self, request: RequestView) -> list[tuple[str, str, bytes]]:
        """The received message from the archive, as a file the recipient opens in a mail program; none when
        the archive lacks it (the letter then does not claim it)."""
        if not request.mail_sha256 or request.mail_sha256 not in self.app.archive:
            log.warning("%s: received message %s not in the archive; sent without a copy", request.number,
                        request.mail_sha256 or "(none)")
            return []
        # application/octet-stream, not message/rfc822: the transfer encoding is base64, which RFC 2046
        # forbids for message/rfc822; the .eml name is what mail programs open it by.
        return [(f"{request.number}.eml", "application/octet-stream", self.app.archive.get(request.mail_sha256))]

    def consent_letter(self, ctx: dict[str, Any]) -> Draft:
        officer = signer(self.settings, ctx.get("decided_by"))
        return replace(self.letter("consent", ctx), sutikimas=SutikimasDoc(
            number=ctx["consent_no"], issued_at=ctx["issued_at"], place=self.settings.itpc.place,
            applicant=ctx["applicant"], eori=ctx["eori"], period_from=parse_instant(ctx["period_from"]),
            period_to=parse_instant(ctx["period_to"]), systems=tuple(ctx["systems"]),
            offices=tuple(ctx["offices"]), officer_position=officer.position, officer_name=officer.name,
            issuer=self.settings.itpc.name))


def unread_problems(registered: dict[str, Any]) -> list[str]:
    """The problems that leave what a message says unknown (a part over a cap, a failed OCR): not the note that
    it refers to a case this ledger does not hold, which was read well enough to be an officer's inquiry."""
    return [p for p in registered.get("problems") or [] if p != UNKNOWN_CASE]


def queue_reason(kind: str, decision: dict[str, Any], *, readable: bool = True) -> str | None:
    """Why an automatic decision puts a request in the officer queue — "review", "inquiry" (nothing to decide,
    an officer answers it) or "unreadable" — or None when it does not (an officer's own decision, a settled
    request, auto-generated mail)."""
    if decision.get("decided_by") != "auto" or kind == "auto_generated":
        return None
    if kind == "not_a_request":
        return "inquiry" if readable else "unreadable"
    return "review" if decision["outcome"] == "review" else None


def acknowledgement_of(kind: str, decision: dict[str, Any], *, readable: bool = True) -> str | None:
    """The letter acknowledging a request that an automatic decision left to an officer, or None."""
    letter, outcomes = ACKNOWLEDGEMENTS.get(kind, (None, frozenset()))
    if decision.get("decided_by") != "auto" or decision["outcome"] not in outcomes:
        return None
    if kind == "not_a_request" and not readable:
        return None
    return letter
