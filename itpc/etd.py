"""ETD authorisations (1B-1052), wired to the ledger, the archive and the outbox: the officer's actions on a
file (open, attach, decide, consulted), the replies to consultations that arrive by e-mail, and the
reconciliation every tick runs (consultations to start, notices of decisions, deadline alerts).

Every action is an `etd.*` entry; every e-mail has a stable outbox id, so a second tick, or a tick re-run
after a crash, does each thing once. The rules themselves are in ``responders.etd_rules``.
"""
from __future__ import annotations

import logging
import mimetypes
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Sequence

from config.common_transit import Authority, TransitCountries, load_transit_countries
from config.errors import RequestError
from itpc import outbox
from itpc.app import App
from itpc.officers import duty_officer, signature_context, signer
from ledger.clock import VILNIUS, parse_instant, to_utc_iso
from ledger.entries import (ETD_CONSULTATION_STARTED, ETD_DEADLINE_ALERTED, ETD_DECIDED, ETD_DOCUMENT_ATTACHED,
                            ETD_OPENED, MAIL_UNWRITTEN, EtdDecided, EtdOffice)
from ledger.etd_views import EtdFile, EtdView
from responders import etd_rules as rules
from responders.compose import compose
from responders.letters import render_letter
from responders.tc26 import (Party, Port, StatedFigures, Tc26Form, letter_context, render_tc26, tc26_filename,
                             tc26_subject)

log = logging.getLogger("itpc.etd")

ROLES = ("departure", "destination")


class EtdError(RequestError):
    """An ETD action cannot be done as asked; the message says why."""


def transit_countries(app: App) -> TransitCountries:
    return load_transit_countries(app.settings.etd.common_transit)


def common_transit_codes(app: App) -> set[str]:
    return {a.country.code for a in transit_countries(app).authorities}


# ------------------------------------------------------------------------------------------------ opening

def office(app: App, role: str, spec: str) -> EtdOffice:
    """An office of departure or destination from ``COL[;NAME[;EMAIL]]``: the country is the COL code's first
    two letters; a Lithuanian office's name and address come from the offices directory when not given."""
    parts = [p.strip() for p in spec.split(";")]
    col = parts[0].upper()
    if not re.fullmatch(r"[A-Z]{2}[A-Z0-9]{6}", col):
        raise EtdError(f"--{role} {spec!r}: expected COL[;NAME[;EMAIL]], COL like NO001234")
    known = app.offices.get(col)
    name = parts[1] if len(parts) > 1 and parts[1] else (known.name if known else "")
    email = parts[2] if len(parts) > 2 and parts[2] else (known.email if known else "")
    if email and email.count("@") != 1:
        raise EtdError(f"--{role} {spec!r}: {email!r} is not an e-mail address")
    return {"role": role, "country": col[:2], "col": col, "name": name, "email": email}


@dataclass(frozen=True)
class Application:
    msvs_number: str
    accepted_at: datetime
    company: str
    eori: str
    carrier: str
    offices: Sequence[EtdOffice]
    aeo: str | None = None
    procedures_per_month: int | None = None
    procedures_per_year: int | None = None
    movements_per_month: int | None = None
    movements_per_year: int | None = None


def open_file(app: App, application: Application, *, by: str, copy: Path | None = None) -> str:
    """Open the file of an accepted application (23) and, with ``copy``, put the application in it (23.1)."""
    if application.carrier not in rules.CARRIERS:
        raise EtdError(f"carrier must be one of {', '.join(rules.CARRIERS)}")
    roles = {o["role"] for o in application.offices}
    if roles != set(ROLES):
        raise EtdError("name at least one office of departure and one of destination")
    unknown = [o["country"] for o in application.offices
               if rules.channel(o["country"], common_transit_codes(app)) == "unknown"]
    if unknown:
        raise EtdError(f"{', '.join(unknown)}: neither an EU member state nor a common transit country in "
                       f"{app.settings.etd.common_transit}")
    view = app.etd
    with app.ledger.writing():
        if view.find(application.msvs_number) is not None:
            raise EtdError(f"MSVS application {application.msvs_number} already has its file "
                           f"{view.find(application.msvs_number).number}")
        number = view.next_number(application.accepted_at)
        app.ledger.append(ETD_OPENED, {
            "number": number, "msvs_number": application.msvs_number.strip().upper(),
            "accepted_on": to_utc_iso(application.accepted_at), "company": application.company,
            "eori": application.eori.replace(" ", "").upper(), "carrier": application.carrier,
            "aeo": application.aeo or None, "offices": list(application.offices),
            "procedures_per_month": application.procedures_per_month,
            "procedures_per_year": application.procedures_per_year,
            "movements_per_month": application.movements_per_month,
            "movements_per_year": application.movements_per_year, "by": by})
    if copy is not None:
        attach(app, number, copy, "application", by=by)
    return number


def unverified_authorities(app: App, offices: Iterable[EtdOffice]) -> list[Authority]:
    """The competent authorities a TC26 would go to whose address nobody has checked yet (40)."""
    countries = transit_countries(app)
    codes = {a.country.code for a in countries.authorities}
    return [countries.authority(c) for c in rules.countries_to_consult(o["country"] for o in offices)
            if c in codes and not countries.authority(c).verified]


def require(app: App, number: str) -> EtdFile:
    file = app.etd.find(number)
    if file is None:
        raise EtdError(f"no ETD file {number}")
    return file


def attach(app: App, number: str, path: Path, kind: str, *, by: str) -> dict[str, Any]:
    """Put a document in the file (23), its bytes in the archive under their SHA-256."""
    if kind not in rules.DOCUMENT_POINTS:
        raise EtdError(f"--as must be one of {', '.join(rules.DOCUMENT_POINTS)}")
    file = require(app, number)
    data = path.read_bytes()
    sha = app.archive.put_attachment(data, path.name)
    record = {"file": file.number, "kind": kind, "point": f"1B-1052:{rules.DOCUMENT_POINTS[kind]}",
              "filename": path.name, "content_type": mimetypes.guess_type(path.name)[0] or "application/octet-stream",
              "size": len(data), "sha256": sha, "by": by}
    with app.ledger.writing():
        app.ledger.append(ETD_DOCUMENT_ATTACHED, record)
    return record


def document_bytes(app: App, document: dict[str, Any]) -> bytes:
    return app.archive.attachment_path(document["sha256"], document["filename"]).read_bytes()


# ------------------------------------------------------------------------------------------------ deciding

# What may follow what: a refused, revoked or annulled file is closed; only a suspended one is reinstated.
ALLOWED = {"applied": {"grant", "refuse"}, "granted": {"amend", "suspend", "revoke", "annul"},
           "suspended": {"reinstate", "revoke", "annul", "amend"}}


def decide(app: App, number: str, action: str, *, motives: Sequence[str], effective: datetime | None,
           by: str) -> EtdDecided:
    """Record the decision taken in MSVS (22, 28-30); an unfavourable one states its motives (33)."""
    file = require(app, number)
    if action not in rules.ACTIONS:
        raise EtdError(f"the decision must be one of {', '.join(rules.ACTIONS)}")
    motives = [m.strip() for m in motives if m.strip()]
    if action in rules.UNFAVOURABLE and not motives:
        raise EtdError(f"{action}: an unfavourable decision states its motives (1B-1052:33); give --reason")
    now = app.clock()
    with app.ledger.writing():
        file = require(app, number)
        if action not in ALLOWED.get(file.status, set()):
            allowed = ", ".join(sorted(ALLOWED.get(file.status, ()))) or "none, the file is closed"
            raise EtdError(f"{file.number} is {file.status}: `{action}` is not a decision it can take now "
                           f"(allowed: {allowed})")
        record: EtdDecided = {"file": file.number, "action": action, "effective": to_utc_iso(effective or now),
                              "motives": motives, "rules": list(rules.ACTION_RULES[action]), "by": by,
                              "decided_at": to_utc_iso(now)}
        app.ledger.append(ETD_DECIDED, record)
    return record


def record_consulted(app: App, number: str, country: str, *, by: str) -> None:
    """The officer made the consultation of a member state in MSVS (16)."""
    file = require(app, number)
    country = country.upper()
    if rules.channel(country, common_transit_codes(app)) != "msvs":
        raise EtdError(f"{country}: only a member state is consulted in MSVS; a common transit country is "
                       "consulted by the tick, by e-mail")
    if country not in {o["country"] for o in file.opened["offices"]}:
        raise EtdError(f"{file.number} names no office in {country}")
    with app.ledger.writing():
        app.ledger.append(ETD_CONSULTATION_STARTED, {
            "file": file.number, "channel": "msvs", "country": country, "authority": "", "address": None,
            "due": to_utc_iso(rules.consultation_due(file.accepted_at)), "made_at": to_utc_iso(app.clock()),
            "mail": None, "by": by})


# ------------------------------------------------------------------------------------- the reconciliation

@dataclass
class EtdReport:
    consultations: int = 0
    notices: int = 0
    alerts: int = 0

    def total(self) -> int:
        return self.consultations + self.notices + self.alerts


class Reconciler:
    """What is due on each open file at the clock's now, done once: consultations to start (16), notices of
    decisions (32, 36) and alerts to the duty address (16, 25.2, 37)."""

    def __init__(self, app: App):
        self.app = app
        self.now = app.clock()
        self.settings = app.settings
        self.sender = app.settings.outbox.sender
        self.report = EtdReport()

    def run(self) -> EtdReport:
        self.app.ledger.refresh()
        for file in sorted(self.app.etd.files.values(), key=lambda f: f.number):
            self.consult(file)
            self.notify(file)
            self.watch(file)
        return self.report

    # -- 16 --------------------------------------------------------------------------------------------------
    def consult(self, file: EtdFile) -> None:
        if file.decisions:  # decided without it (or after it): nothing left to ask
            return
        countries = transit_countries(self.app)
        due = rules.consultation_due(file.accepted_at)
        for country in rules.countries_to_consult(o["country"] for o in file.opened["offices"]):
            if country in file.consultations:
                continue
            how = rules.channel(country, {a.country.code for a in countries.authorities})
            if how == "email":
                self.report.consultations += self.send_tc26(file, countries.authority(country), due)
            elif how == "msvs":
                self.append(ETD_CONSULTATION_STARTED, file, {
                    "file": file.number, "channel": "msvs", "country": country, "authority": "", "address": None,
                    "due": to_utc_iso(due), "made_at": None, "mail": None, "by": "auto"},
                    done=lambda: country in file.consultations)
                self.report.consultations += 1

    def send_tc26(self, file: EtdFile, authority: Authority, due: datetime) -> int:
        country = authority.country.code
        copies = file.documents_of("application")
        if not copies:
            log.warning("%s: no application copy in the file; the TC26 to %s waits for `itpc etd attach %s FILE "
                        "--as application` (1B-1052:16)", file.number, country, file.number)
            return 0
        if not authority.verified:
            # The application goes with the form: it is not sent to an address nobody has checked against the
            # TAXUD list (40). The deadline alert tells the duty officer; the next tick sends it once verified.
            log.warning("%s: the TC26 to %s waits: %s is not verified in %s (set verified = true once checked "
                        "against the TAXUD list, 1B-1052:40)", file.number, country, authority.email,
                        self.settings.etd.common_transit)
            return 0
        form = self.tc26_form(file, authority)
        pdf = render_tc26(form)
        ident = f"etd/{file.number}/consultation/{country}"
        copy = copies[-1]
        context = letter_context(form, country=authority.country.name_en,
                                 reply_address=self.settings.etd.authority_email)
        letter = render_letter("tc26_consultation", {**signature_context(duty_officer(self.settings)), **context},
                               templates_dir=self.settings.templates.directory)
        raw = compose(sender=self.sender, to=[authority.email], subject=tc26_subject(form), body=letter.body,
                      message_id=outbox.message_id(ident, self.sender), automatic=False, date=self.now,
                      attachments=[(tc26_filename(form), "application/pdf", pdf),
                                   (copy["filename"], copy["content_type"], document_bytes(self.app, copy))])
        outbox.queue(self.app.ledger, self.app.state, self.app.archive,
                     outbox.Outgoing(id=ident, request=file.number, purpose="etd_consultation",
                                     to=(authority.email,), subject=tc26_subject(form), raw=raw, date=self.now,
                                     automatic=False), daily_cap=self.settings.outbox.daily_cap)
        self.append(ETD_CONSULTATION_STARTED, file, {
            "file": file.number, "channel": "email", "country": country, "authority": authority.name,
            "address": authority.email, "due": to_utc_iso(due), "made_at": to_utc_iso(self.now), "mail": ident,
            "by": "auto"}, done=lambda: country in file.consultations)
        log.info("%s: TC26 consultation queued for %s <%s>", file.number, authority.name, authority.email)
        return 1

    def tc26_form(self, file: EtdFile, authority: Authority) -> Tc26Form:
        opened, etd = file.opened, self.settings.etd
        duty = duty_officer(self.settings)  # block 5 is signed for the requesting authority by the duty officer
        ports = {role: tuple(Port(o["name"] or o["col"], o["col"]) for o in opened["offices"] if o["role"] == role)
                 for role in ROLES}
        return Tc26Form(
            file_number=file.number, msvs_number=opened["msvs_number"], issued_at=self.now.astimezone(VILNIUS),
            place=self.settings.itpc.place,
            requesting=Party(etd.authority_name, etd.authority_address, etd.authority_phone, etd.authority_email,
                             etd.authority_office),
            requested=Party(authority.name, email=authority.email), company=opened["company"],
            eori=opened["eori"], carrier=opened["carrier"], departure=ports["departure"],
            destination=ports["destination"], aeo=opened.get("aeo") or "",
            figures=StatedFigures(transits_per_month=opened["procedures_per_month"],
                                  transits_per_year=opened["procedures_per_year"],
                                  trips_per_month=opened["movements_per_month"],
                                  trips_per_year=opened["movements_per_year"]),
            officer=" ".join(filter(None, (duty.position, duty.name))))

    # -- 32, 36 ----------------------------------------------------------------------------------------------
    def notify(self, file: EtdFile) -> None:
        authorities = common_transit_codes(self.app)
        for decision in file.decisions:
            action = decision["action"]
            context = self.decision_context(file, decision)
            base = f"etd/{file.number}/decision/{decision['seq']}"
            if action in rules.OFFICE_NOTICE_ACTIONS:
                for office in file.opened["offices"]:
                    ident = f"{base}/{office['col']}"
                    if not office["email"]:
                        self.unwritten(ident, file, f"no e-mail address for office {office['col']} (1B-1052:36): "
                                                    "tell it otherwise")
                        continue
                    self.report.notices += self.queue(ident, "etd_decision_notice", (office["email"],), context,
                                                      file, automatic=False)
            if action in rules.AUTHORITY_NOTICE_ACTIONS:
                for country in rules.countries_to_consult(o["country"] for o in file.opened["offices"]):
                    if country in authorities:
                        authority = transit_countries(self.app).authority(country)
                        self.report.notices += self.queue(f"{base}/authority/{country}", "etd_decision_notice",
                                                          (authority.email,), {**context, "to_authority": True},
                                                          file, automatic=False)

    def decision_context(self, file: EtdFile, decision: dict[str, Any]) -> dict[str, Any]:
        opened = file.opened
        return {"file_no": file.number, "msvs_no": opened["msvs_number"], "company": opened["company"],
                "eori": opened["eori"], "carrier": opened["carrier"], "action": decision["action"],
                "phrase": rules.PHRASES[decision["action"]],
                "decided_at": decision["decided_at"], "decided_by": decision.get("by"),
                "effective": decision["effective"],
                "motives": decision["motives"], "unfavourable": decision["action"] in rules.UNFAVOURABLE,
                "offices": [(o["col"], o["name"] or o["col"]) for o in opened["offices"]],
                "due": rules.notice_due(parse_instant(decision["decided_at"]))}

    # -- 16, 25.2, 37 ----------------------------------------------------------------------------------------
    def watch(self, file: EtdFile) -> None:
        for deadline, due, met, rule, what in self.deadlines(file):
            if met:
                continue
            before = timedelta(days=self.settings.etd.audit_alert_days if deadline.startswith("audit/")
                               else self.settings.etd.alert_days)
            stage = rules.stage(due, self.now, alert_before=before)
            for step in (("alert", "overdue") if stage == "overdue" else (stage,) if stage else ()):
                self.alert(file, deadline, step, due, rule, what)

    def deadlines(self, file: EtdFile) -> Iterable[tuple[str, datetime, bool, str, str]]:
        """(key, due, met, rule, what) of each deadline the file has had."""
        for country, consultation in sorted(file.consultations.items()):
            if consultation["channel"] == "msvs":
                yield (f"consultation/{country}", parse_instant(consultation["due"]),
                       consultation["made_at"] is not None or bool(file.decisions), "1B-1052:16",
                       f"konsultavimasis su {country} kompetentinga įstaiga MSVS priemonėmis")
        if not file.decisions:
            for country in rules.countries_to_consult(o["country"] for o in file.opened["offices"]):
                if country not in file.consultations:
                    yield (f"consultation/{country}", rules.consultation_due(file.accepted_at), False,
                           "1B-1052:16", f"konsultavimasis su {country} kompetentinga įstaiga")
        grant = file.last_grant
        if grant is None:
            return
        granted_at = parse_instant(grant["decided_at"])
        plans = [d for d in file.documents_of("monitoring-plan") if d["seq"] > grant["seq"]]
        if file.open:
            yield (f"monitoring-plan/{grant['seq']}", rules.monitoring_plan_due(granted_at), bool(plans),
                   "1B-1052:25.2", "leidimo turėtojo stebėsenos plano patvirtinimas")
        ended = next((parse_instant(d["decided_at"]) for d in file.decisions if d["action"] in ("revoke", "annul")),
                     None)
        audits = {parse_instant(d["at"]).astimezone(VILNIUS).year for d in file.documents_of("audit-report")}
        for year in rules.audit_years(granted_at, self.now, ended):
            yield (f"audit/{year}", rules.audit_due(year), year in audits, "1B-1052:37",
                   f"{year} m. leidimo turėtojo patikrinimas")

    def alert(self, file: EtdFile, deadline: str, stage: str, due: datetime, rule: str, what: str) -> None:
        if (deadline, stage) in file.alerts:
            return
        ident = f"etd/{file.number}/{deadline}/{stage}"
        context = {"file_no": file.number, "msvs_no": file.opened["msvs_number"], "company": file.opened["company"],
                   "what": what, "due": due, "overdue": stage == "overdue", "rule": rule.split(":", 1)[1]}
        queued = self.queue(ident, "etd_deadline_alert", (self.settings.itpc.duty_address,), context, file,
                            automatic=True)
        self.append(ETD_DEADLINE_ALERTED, file, {
            "file": file.number, "deadline": deadline, "stage": stage, "due": to_utc_iso(due), "rule": rule,
            "mail": ident if queued or ident in self.app.state.outbox else None},
            done=lambda: (deadline, stage) in file.alerts)
        self.report.alerts += 1
        log.warning("%s: %s %s (due %s, %s)", file.number, deadline, stage, due.isoformat(), rule)

    # -- once ------------------------------------------------------------------------------------------------
    def queue(self, ident: str, letter: str, to: Iterable[str], context: dict[str, Any], file: EtdFile, *,
              automatic: bool) -> int:
        to = tuple(a for a in to if a)
        if not to or ident in self.app.state.outbox:
            return 0
        # A decision's notice is signed by the officer who recorded it; an alert by the duty officer.
        signed = {**signature_context(signer(self.settings, context.get("decided_by"))), **context}
        rendered = render_letter(letter, signed, templates_dir=self.settings.templates.directory)
        raw = compose(sender=self.sender, to=to, subject=rendered.subject, body=rendered.body,
                      message_id=outbox.message_id(ident, self.sender), automatic=automatic, date=self.now)
        return int(outbox.queue(self.app.ledger, self.app.state, self.app.archive,
                                outbox.Outgoing(id=ident, request=file.number, purpose=letter, to=to,
                                                subject=rendered.subject, raw=raw, date=self.now,
                                                automatic=automatic, capped=False),
                                daily_cap=self.settings.outbox.daily_cap))

    def unwritten(self, ident: str, file: EtdFile, reason: str) -> None:
        """A notice the rules require that no e-mail can carry: recorded once, for the officers."""
        if ident in self.app.state.unwritten:
            return
        self.append(MAIL_UNWRITTEN, file, {"id": ident, "request": file.number, "purpose": "etd_decision_notice",
                                           "to": [], "reason": reason},
                    done=lambda: ident in self.app.state.unwritten)
        log.warning("%s: %s", file.number, reason)

    def append(self, kind: str, file: EtdFile, data: dict[str, Any], *, done) -> None:
        """Append under the writer lock unless another process recorded it meanwhile (``done`` re-checks the
        view, which the lock brought up to date)."""
        with self.app.ledger.writing():
            if not done():
                self.app.ledger.append(kind, data)


def reconcile(app: App) -> EtdReport:
    """Everything due on the ETD files now, once (each tick; `itpc etd decide` too)."""
    return Reconciler(app).run()


# ------------------------------------------------------------------------------------------------ reading

def retention_rows(file: EtdFile) -> list[tuple[dict[str, Any], rules.Retention]]:
    decisions = [(d["action"], parse_instant(d["decided_at"])) for d in file.decisions]
    return [(doc, rules.retention(doc["kind"], decisions)) for doc in file.documents]


def criteria_of(file: EtdFile) -> list[rules.Criterion]:
    o = file.opened
    return rules.criteria(o["carrier"], procedures_per_month=o["procedures_per_month"],
                          procedures_per_year=o["procedures_per_year"], movements_per_month=o["movements_per_month"],
                          movements_per_year=o["movements_per_year"], aeo=o.get("aeo"))


def open_deadlines(app: App, file: EtdFile) -> list[tuple[str, datetime, str, str]]:
    """(deadline, due, rule, state) of the file's deadlines not yet met: state "overdue" or "open"."""
    now = app.clock()
    out = []
    for deadline, due, met, rule, _ in Reconciler(app).deadlines(file):
        if not met:
            out.append((deadline, due, rule, "overdue" if now > due else "open"))
    return out
