"""`itpc tick`: one reconciliation. The scheduler reconciles, it does not remember.

Each tick derives from the ledger what is due and not yet done at the clock's ``now``, does it and records
it: customs-office notices of decisions (1B-1029:11, 16), the two-hour decision deadline (9), consent
expiry, outage announcements (18, 20, 31, 32: planned stops, their extensions, failures past 2 hours, and
the end of each), AFIS inactivity (when that module is installed), the ETD files (1B-1052:16, 25.2, 32, 36,
37: consultations, notices of decisions, deadline alerts), the public
outage page (45), then sends what the outbox holds. Every message has a stable outbox id and every entry is
appended only after re-checking the State under the writer lock, so a second tick, or a tick re-run after
being killed midway, does each thing once.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

from itpc import afis, etd, outbox
from itpc.answers import Answerer
from itpc.app import App
from itpc.officers import duty_officer, signature_context
from itpc.outbox import Outgoing
from ledger.clock import parse_instant, to_utc_iso
from ledger.entries import CONSENT_EXPIRED, DEADLINE_BREACHED
from ledger.views import ConsentView, RequestView, deadline_alert_id
from responders.compose import compose
from responders.letters import render_letter
from responders.outage_page import publish
from responders.outages import (END_RULE, GENERAL_AFTER, NOTICE, PLANNED, Outage, end_notice_due, extension_notice_due,
                                general_notice_due, outages_of, reporters, without_request, without_request_rules,
                                without_request_since)
from responders.transport import open_transport

log = logging.getLogger("itpc.tick")


@dataclass
class TickReport:
    now: datetime
    decision_mail: int = 0       # letters and office notices decisions imply that were missing
    alerts: int = 0
    breaches: int = 0
    expired: int = 0
    outage_mail: int = 0
    afis: int | None = None      # None: the AFIS inactivity step did not complete
    etd: int | None = None       # ETD consultations, notices and deadline alerts (None: the step failed)
    page: list[str] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    checkpoint: int | None = None  # seq of the checkpoint appended, None when nothing was new

    def summary(self) -> str:
        parts = [f"{self.decision_mail} decision messages", f"{self.alerts} deadline alerts",
                 f"{self.breaches} deadlines breached", f"{self.expired} consents expired",
                 f"{self.outage_mail} outage messages"]
        if self.afis is not None:
            parts.append(f"{self.afis} AFIS inactivity actions")
        if self.etd is not None:
            parts.append(f"{self.etd} ETD actions")
        parts.append(f"page {'rewritten' if self.page else 'unchanged'}")
        parts.append(", ".join(f"{v} {k}" for k, v in self.sent.items()) or "nothing sent")
        text = "tick: " + "; ".join(parts)
        return text + (f"; {len(self.errors)} errors" if self.errors else "")


# -- pure: what is due ----------------------------------------------------------------------------------------

def awaiting_officer(request: RequestView) -> bool:
    """A continuity request the rules sent to review and no officer has decided yet."""
    decision = request.decision or {}
    return (request.kind == "continuity" and decision.get("outcome") == "review"
            and decision.get("decided_by") == "auto")


def deadline_stage(request: RequestView, now: datetime, *, alert_after: timedelta,
                   deadline_after: timedelta) -> str | None:
    """"breach", "alert" or None: how far past receipt an undecided request is (1B-1029:9)."""
    if not awaiting_officer(request):
        return None
    waited = now - request.received
    if waited >= deadline_after:
        return "breach"
    if waited >= alert_after:
        return "alert"
    return None


def consent_expiring(consent: ConsentView, now: datetime) -> bool:
    """A consent whose period is over and whose expiry is not recorded; one ended early ended otherwise (16)."""
    return not consent.expired and consent.ended_at is None and parse_instant(consent.period_to) <= now


# -- the reconciliation --------------------------------------------------------------------------------------

class Tick:
    def __init__(self, app: App):
        self.app = app
        self.settings = app.settings
        self.now = app.clock()
        self.templates = self.settings.templates.directory
        self.sender = self.settings.outbox.sender
        self.daily_cap = self.settings.outbox.daily_cap

    # Each step is independent: one failing (a broken template, a bad record) is logged and the rest go on.
    def run(self, *, send: bool = True) -> TickReport:
        report = TickReport(now=self.now)
        self.app.ledger.refresh()
        self.app.writable_ledger()  # nothing is done from a ledger whose entries no longer hold
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("decision messages", lambda: setattr(report, "decision_mail", Answerer(self.app).answer_pending())),
            ("decision deadlines", lambda: self.watch_deadlines(report)),
            ("consent expiry", lambda: setattr(report, "expired", self.expire_consents())),
            ("outage messages", lambda: setattr(report, "outage_mail", self.announce_outages())),
            ("AFIS inactivity", lambda: setattr(report, "afis", self.afis_inactivity())),
            ("ETD files", lambda: setattr(report, "etd", etd.reconcile(self.app).total())),
            ("outage page", lambda: setattr(report, "page", self.publish_page())),
        ]
        if send:
            steps.append(("sending", lambda: setattr(report, "sent", self.flush())))
        steps.append(("checkpoint", lambda: setattr(report, "checkpoint", self.checkpoint())))
        for name, step in steps:
            try:
                step()
            except Exception as exc:  # noqa: BLE001 — recorded in the report; the next step still runs
                log.exception("tick: %s failed", name)
                report.errors.append(f"{name}: {exc}")
        log.info("%s", report.summary())
        return report

    # -- 1B-1029:9 -------------------------------------------------------------------------------------------
    def watch_deadlines(self, report: TickReport) -> None:
        alert_after = timedelta(minutes=self.settings.rules.decision_alert_minutes)
        deadline_after = timedelta(minutes=self.settings.rules.decision_deadline_minutes)
        state = self.app.state
        breached = self.recorded_breaches()
        for request in state.watched_requests():  # the others are decided, or alerted and breached already
            stage = deadline_stage(request, self.now, alert_after=alert_after, deadline_after=deadline_after)
            if stage is None:
                continue
            deadline = request.received + deadline_after
            # The alert is sent even when the first tick to see the request is already past the deadline:
            # the duty officer must learn that it waits either way.
            report.alerts += self.queue_letter(
                deadline_alert_id(request.number), "decision_alert", (self.settings.itpc.duty_address,),
                self.alert_context(request, deadline), request=request.number, capped=False)
            if stage == "breach" and request.number not in breached:
                with self.app.ledger.writing():
                    if request.number in self.recorded_breaches():
                        continue
                    self.app.ledger.append(DEADLINE_BREACHED, {
                        "request": request.number, "received_at": request.received_at,
                        "deadline": to_utc_iso(deadline), "rule": "1B-1029:9"})
                report.breaches += 1
                log.warning("%s: decision deadline %s passed without an officer's decision (1B-1029:9)",
                            request.number, deadline.isoformat())

    def recorded_breaches(self) -> set[str]:
        return self.app.state.breached

    def alert_context(self, request: RequestView, deadline: datetime) -> dict[str, Any]:
        fields = request.registered.get("fields") or {}
        return {"request_no": request.number, "received_at": request.received, "deadline": deadline,
                "applicant": fields.get("applicant") or "", "eori": fields.get("eori") or "",
                "systems": list(fields.get("systems") or [])}

    # -- consents --------------------------------------------------------------------------------------------
    def expire_consents(self) -> int:
        count = 0
        for consent in self.app.state.consents_in_force():
            if not consent_expiring(consent, self.now):
                continue
            with self.app.ledger.writing():
                if not consent_expiring(consent, self.now):  # another process recorded it meanwhile
                    continue
                self.app.ledger.append(CONSENT_EXPIRED, {"consent_no": consent.number,
                                                         "at": to_utc_iso(parse_instant(consent.period_to))})
            count += 1
            log.info("%s expired at %s", consent.number, consent.period_to)
        return count

    # -- outages (1B-1029:18, 20, 31, 32) --------------------------------------------------------------------
    def announce_outages(self) -> int:
        count = 0
        offices = [o for o in self.app.offices if o.email]  # only an office with an address can be told
        keep = self.keep_ended()
        for outage in outages_of(self.app.state.outages.values()):
            if outage.kind == PLANNED and not outage.over(self.now):
                count += self.announce_planned(outage, offices)
                count += self.announce_extension(outage, offices)
            if general_notice_due(outage, self.now):
                ctx = {"system": outage.system, "start": outage.start}
                for office in offices:
                    count += self.queue_letter(f"outage/{outage.id}/general/{office.code}", "outage_general",
                                               (office.email,), ctx, capped=False)
            if end_notice_due(outage, self.now, keep):
                count += self.announce_end(outage, offices)
        for record in self.app.state.outages.values():
            if record.get("cancelled"):
                count += self.announce_cancellation(record)
        return count

    def announce_cancellation(self, record: dict[str, Any]) -> int:
        """Whoever was told of a planned stop now called off is told it will not happen, once (the same ids
        as the announcement, under "cancelled"); a stop never announced needs no word."""
        announced = [item.queued for item in self.app.state.outage_mails(record["id"])
                     if item.id.startswith(f"outage/{record['id']}/planned/")]
        ctx = {"system": record["system"], "start": parse_instant(record["start"]),
               "end": parse_instant(record["end"]), "reason": record["cancelled"]["reason"]}
        return sum(self.queue_letter(item["id"].replace("/planned/", "/cancelled/", 1), "outage_cancelled",
                                     tuple(item["to"]), ctx, capped=False) for item in announced)

    def keep_ended(self) -> int:
        return self.settings.outages.keep_ended_days

    def to_offices_and_public(self, outage: Outage, offices: list, purpose: str) -> list[tuple[str, str]]:
        """(outbox id, address) for every office and the public list (planned stops are announced there)."""
        to_all = [(f"outage/{outage.id}/{purpose}/{o.code}", o.email) for o in offices]
        if self.settings.itpc.public_list:
            to_all.append((f"outage/{outage.id}/{purpose}/public", self.settings.itpc.public_list))
        return to_all

    def announce_planned(self, outage: Outage, offices: list) -> int:
        known = outage.end_known_at(outage.declared_at or outage.start)
        ctx = {"system": outage.system, "start": outage.start, "end": known,
               "point": NOTICE[outage.system].rule.rsplit(":", 1)[1],
               # an NTKS stop announced to last more than 2 hours: the announcement is ITPC's word of 31
               "without_request": outage.system == "NTKS" and known - outage.start > GENERAL_AFTER}
        return sum(self.queue_letter(mail_id, "outage_planned", (address,), ctx, capped=False)
                   for mail_id, address in self.to_offices_and_public(outage, offices, "planned"))

    def announce_extension(self, outage: Outage, offices: list) -> int:
        """Told at once, of the latest extension only (one superseded before a tick saw it is not news)."""
        extension = extension_notice_due(outage, self.now)
        if extension is None:
            return 0
        ctx = {"system": outage.system, "start": outage.start, "end": extension.end,
               "previous_end": extension.previous_end, "extended_at": extension.at,
               "without_request": without_request(outage, max(extension.at, outage.start)),
               "rules": without_request_rules(outage)}
        purpose = f"extended/{len(outage.extensions)}"
        return sum(self.queue_letter(mail_id, "outage_extended", (address,), ctx, capped=False)
                   for mail_id, address in self.to_offices_and_public(outage, offices, purpose))

    def announce_end(self, outage: Outage, offices: list) -> int:
        ctx = {"system": outage.system, "start": outage.start, "end": outage.end, "planned": outage.kind == PLANNED,
               # the end of the procedure is published only where it went on without a request (20, 31, 32)
               "procedure_end": without_request_since(outage) is not None,
               "point": END_RULE[outage.system].rsplit(":", 1)[1]}
        count = 0
        for office in offices:
            count += self.queue_letter(f"outage/{outage.id}/ended/{office.code}", "outage_ended",
                                       (office.email,), ctx, capped=False)
        # Everyone who reported the failure is told once, however many requests they sent (20, 32).
        answerer = Answerer(self.app)
        by_address: dict[str, list[RequestView]] = {}
        for request in reporters(self.app.state.requests.values(), outage):
            for address in answerer.recipients(request):
                by_address.setdefault(address.lower(), []).append(request)
        for address, requests in sorted(by_address.items()):
            person = {**ctx, "request_numbers": [r.number for r in requests]}
            count += self.queue_letter(f"outage/{outage.id}/ended/to/{address}", "outage_ended", (address,),
                                       person, request=requests[0].number)
        return count

    # -- other engineers' work and the edges ----------------------------------------------------------------
    def afis_inactivity(self) -> int:
        return afis.reconcile(self.app)

    def publish_page(self) -> list[str]:
        directory = self.settings.outages.page_directory
        written = publish(directory, outages_of(self.app.state.outages.values()), self.now, keep_days=self.keep_ended())
        if written:
            log.info("outage page: %s rewritten in %s", ", ".join(written), directory)
        return written

    def checkpoint(self) -> int | None:
        """Sign and publish a checkpoint of what the ledger holds now (when anything was appended since the last)."""
        entry = self.app.checkpointer.checkpoint()
        return entry.seq if entry is not None else None

    def flush(self) -> dict[str, int]:
        return outbox.send_pending(self.app, open_transport(self.settings.outbox.url, self.settings.outbox))

    # -- one message, once ------------------------------------------------------------------------------------
    def queue_letter(self, mail_id: str, letter: str, to: Iterable[str], context: dict[str, Any], *,
                     request: str | None = None, capped: bool = True) -> int:
        """Render and queue ``letter`` under ``mail_id`` unless that id is already in the outbox; 1 if queued."""
        to = tuple(a for a in to if a)
        if not to or mail_id in self.app.state.outbox:
            return 0
        signed = {**signature_context(duty_officer(self.settings)), **context}  # automatic: the duty officer's
        rendered = render_letter(letter, signed, templates_dir=self.templates)
        raw = compose(sender=self.sender, to=to, subject=rendered.subject, body=rendered.body,
                      message_id=outbox.message_id(mail_id, self.sender),
                      automatic=True, date=self.now)
        queued = outbox.queue(self.app.ledger, self.app.state, self.app.archive,
                              Outgoing(id=mail_id, request=request, purpose=letter, to=to,
                                       subject=rendered.subject, raw=raw, date=self.now, capped=capped),
                              daily_cap=self.daily_cap)
        if queued:
            log.info("%s %s for %s: %s", mail_id, "rehearsed" if self.app.rehearsal else "queued", ", ".join(to),
                     rendered.subject)
        return int(queued)


def run_tick(app: App, *, send: bool = True) -> TickReport:
    """One reconciliation at ``app.clock()``; safe to run any number of times."""
    return Tick(app).run(send=send)
