"""Decide every registered request that has no decision yet, in order of receipt, and record it.

The rules engine (`rules.py`) is pure; this module gathers its inputs from the folded ledger state and
appends `decision.made`. The rules measure the law's windows from receipt; the decision itself is dated when
it is made (the app's clock, or `--now`), never before its request's receipt, so a late one shows as late
(DESIGN.md principle 5) and a replay with the same recorded clock builds the same ledger.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from config import Settings
from ledger.clock import parse_instant, to_utc_iso
from ledger.entries import DECISION_MADE, DecisionMade
from ledger.store import Ledger
from ledger.views import RequestView, State
from responders.institutions import load_institutions
from responders.outages import Outage, outages_of
from responders.reasons import ReasonLists
from responders.rules import (ConsentRecord, Decision, decide_afis_access, decide_afis_change, decide_continuity,
                              decide_early_recovery)
from responders.senders import answer_to, failed_authentication
from responders.traders import TraderRegistry

log = logging.getLogger("itpc.decide")


@dataclass
class Judge:
    ledger: Ledger
    state: State
    settings: Settings
    reasons: ReasonLists
    traders: TraderRegistry | None

    @classmethod
    def from_settings(cls, ledger: Ledger, state: State, settings: Settings) -> "Judge":
        reasons = ReasonLists.load(settings.rules.reasons)
        registry = settings.rules.traders
        return cls(ledger, state, settings, reasons, TraderRegistry.load(registry) if registry else None)

    def decide_pending(self) -> list[str]:
        decided = []
        for request in self.state.undecided():
            decision = self.decide(request)
            with self.ledger.writing():
                if self.state.requests[request.number].decision is not None:
                    continue  # another process decided it meanwhile
                record = decision_record(request, decision, self.state, decided_by="auto",
                                         decided_at=decision_time(self.ledger.clock(), request.received))
                self.ledger.append(DECISION_MADE, record)
            decided.append(request.number)
            log.info("%s decided %s%s%s", request.number, decision.outcome,
                     f" {record['consent_no']}" if record.get("consent_no") else "",
                     f" rules={','.join(decision.rules)}" if decision.rules else "")
        return decided

    def decide(self, request: RequestView) -> Decision:
        """The automatic decision for one request, from its record and the state before it."""
        reg = request.registered
        fields, missing = reg.get("fields") or {}, list(reg.get("missing") or [])
        received = request.received
        kind = request.kind
        if kind == "auto_generated":
            return Decision(outcome="none", rules=(), note=f"auto-generated mail ({reg.get('auto_generated')}); never answered")
        if kind == "not_a_request":
            problems = "; ".join(reg.get("problems") or [])
            if problems:  # something could not be read: an officer looks at what was sent (and may requeue it)
                return Decision(outcome="review", rules=(), note=f"not a request: {problems}; for an officer")
            # Nothing to decide (an inquiry, a question): it waits for an officer to answer it from the CLI.
            return Decision(outcome="none", rules=(), note="not a request (an inquiry); waits for an officer's answer")
        unread = unread_documents(reg)
        if unread:  # what the unread part says could change the answer: an officer reads what was sent
            return Decision(outcome="review", rules=(),
                            note=f"an attachment was not read in full ({'; '.join(unread)}); for an officer")
        if kind == "continuity":
            doubt = self.doubted_sender(fields, reg)
            if doubt:
                return Decision(outcome="review", rules=(), note=doubt)
            return decide_continuity(fields, missing, received_at=received,
                                     consents=self.consent_records(fields.get("eori")), outages=self.outages(),
                                     reasons=self.reasons, max_recipients=self.settings.outbox.max_recipients)
        if kind == "early_recovery":
            return self.early_recovery(fields, reg, received)
        if kind == "afis_access":
            return decide_afis_access(fields, missing, sender=reg.get("sender") or "",
                                      institutions=load_institutions(self.settings.institutions.directory),
                                      free_mail=self.settings.institutions.free_mail, received_at=received,
                                      correction_days=self.settings.rules.afis_correction_days)
        if kind == "afis_change":
            return decide_afis_change(fields, sender=reg.get("sender") or "",
                                      institutions=load_institutions(self.settings.institutions.directory),
                                      free_mail=self.settings.institutions.free_mail, received_at=received)
        return Decision(outcome="review", rules=(), note=f"unknown kind {kind!r}")

    def doubted_sender(self, fields: dict[str, Any], reg: dict[str, Any]) -> str:
        """Why a continuity request may not be its trader's own, for an officer ("" when nothing says so): our
        mail server found its From forged (a forged request must get neither a Sutikimas nor a refusal), or, with
        the traders registry on, it comes from or sends the Sutikimas to an address not registered for its EORI."""
        forged = failed_authentication(reg.get("authentication"))
        if forged:
            return f"{forged}; an officer checks who sent it before anything is answered"
        if self.traders is None:
            return ""
        eori = fields.get("eori")
        emails, faxes = answer_to(reg, "continuity", self.settings.outbox.max_recipients)
        addresses = sender_addresses(reg) | set(emails) | set(faxes)
        if self.traders.knows(eori, addresses):
            return ""
        if eori not in self.traders.known:
            return f"EORI {eori or '(none)'} is not in the traders registry; an officer checks who sent it"
        unknown = ", ".join(self.traders.unregistered(eori, addresses))
        return (f"not registered for {eori} in the traders registry: {unknown}; an officer checks the sender and "
                "where the Sutikimas may go")

    def early_recovery(self, fields: dict[str, Any], reg: dict[str, Any], received: datetime) -> Decision:
        """A notice under 1B-1029:16, with who sent it and the EORIs the traders registry holds that sender for."""
        sender = reg.get("sender") or ""
        consents = self.consent_records()
        registered = {c.eori for c in consents
                      if sender and self.traders is not None and self.traders.knows(c.eori, {sender.lower()})}
        return decide_early_recovery(fields, received_at=received, consents=consents, sender=sender,
                                     free_mail=self.settings.institutions.free_mail, registered_for=registered,
                                     authentication=reg.get("authentication"))

    def consent_records(self, eori: str | None = None) -> list[ConsentRecord]:
        """The consents the rules weigh: all of them, or (``eori``) only those issued to that EORI."""
        consents = self.state.consents.values() if eori is None else self.state.consents_of(eori)
        return [ConsentRecord(number=c.number, eori=c.eori, issued_at=parse_instant(c.issued_at),
                              period_from=parse_instant(c.period_from), period_to=parse_instant(c.period_to),
                              offices=tuple(c.offices),
                              ended_at=parse_instant(c.ended_at) if c.ended_at else None,
                              requested_by=self.requested_by(c.request))
                for c in consents]

    def requested_by(self, number: str) -> str:
        request = self.state.requests.get(number)
        return (request.registered.get("sender") or "") if request else ""

    def outages(self) -> list[Outage]:
        return outages_of(self.state.outages.values())


def unread_documents(registered: dict[str, Any]) -> list[str]:
    """The problems met reading the message's attachments (a limit exceeded, pages skipped, a file that cannot
    be opened): each is recorded as "FILENAME: reason"."""
    names = {a.get("filename") or "(unnamed attachment)" for a in registered.get("attachments") or []}
    return [p for p in registered.get("problems") or [] if any(p.startswith(f"{n}: ") for n in names)]


def sender_addresses(registered: dict[str, Any]) -> set[str]:
    addresses = {registered.get("sender") or ""} | set(registered.get("reply_to") or [])
    return {a.lower() for a in addresses if a}


def decision_time(now: datetime, received: datetime) -> datetime:
    """When a decision is dated: now, or its request's receipt if the clock is behind the mailbox's (a decision
    cannot precede what it decides, and a consent numbered by a year before its request would be wrong)."""
    return max(now, received)


def decision_record(request: RequestView, decision: Decision, state: State, *, decided_by: str,
                    decided_at: datetime) -> DecisionMade:
    """The `decision.made` entry's data; a consent takes the next VTP number of the year its request was
    received in, as every number does (DESIGN, contracts), even when it is issued after New Year."""
    consent_no = decision.consent_no
    if decision.outcome == "consent":
        consent_no = state.next_number("VTP", request.received)
    return {"request": request.number, "outcome": decision.outcome, "rules": list(decision.rules),
            "period_from": to_utc_iso(decision.period_from) if decision.period_from else None,
            "period_to": to_utc_iso(decision.period_to) if decision.period_to else None,
            "motives": list(decision.motives), "note": decision.note,
            "deadline": to_utc_iso(decision.deadline) if decision.deadline else None,
            "consent_no": consent_no, "decided_by": decided_by, "decided_at": to_utc_iso(decided_at)}
