"""`itpc etd open|attach|show|list|decide|consulted|retention`: the ETD authorisation files (1B-1052). ``itpc.cli``
finds the group by name (``COMMANDS``)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from itpc import etd
from itpc.app import App
from itpc.cli_support import Failure, instant, opened, pass_app, read
from itpc.officers import acting_officer
from itpc.service import Runner
from ledger.clock import parse_instant, shown, shown_day
from ledger.etd_views import EtdFile
from responders import etd_rules as rules


def required(app: App, number: str) -> EtdFile:
    file = app.etd.find(number)
    if file is None:
        raise Failure(f"no ETD file {number} (see `itpc etd list`)")
    return file


def send(app: App) -> dict[str, int]:
    """Queue what is due now and send what the outbox holds."""
    etd.reconcile(app)
    return Runner(app).flush()


@click.group("etd")
def etd_group() -> None:
    """ETD authorisations of airlines and shipping companies (1B-1052): the file, its consultation, decisions,
    deadlines and retention."""


@etd_group.command("open")
@click.option("--msvs", "msvs_number", required=True, help="The application's number in MSVS.")
@click.option("--accepted", required=True, metavar="ISO-8601",
              help="When the application was accepted (1B-1052:14); no offset: Vilnius time.")
@click.option("--company", required=True, help="The applicant's name.")
@click.option("--eori", required=True)
@click.option("--carrier", type=click.Choice(rules.CARRIERS), required=True,
              help="An airline or a shipping company.")
@click.option("--aeo", help="The AEO 'customs simplifications' authorisation number, if any (1B-1052:21).")
@click.option("--departure", multiple=True, required=True, metavar="COL[;NAME[;EMAIL]]",
              help="An office of departure (repeat for more); the country is the COL code's first two letters.")
@click.option("--destination", multiple=True, required=True, metavar="COL[;NAME[;EMAIL]]",
              help="An office of destination (repeat for more).")
@click.option("--procedures-per-month", type=click.IntRange(min=0), help="Stated transit procedures a month.")
@click.option("--procedures-per-year", type=click.IntRange(min=0), help="... or a calendar year.")
@click.option("--flights-per-month", "--voyages-per-month", "movements_per_month", type=click.IntRange(min=0),
              help="Flights (an airline) or voyages (a shipping company) a month.")
@click.option("--flights-per-year", "--voyages-per-year", "movements_per_year", type=click.IntRange(min=0),
              help="... or a year.")
@click.option("--application", type=click.Path(exists=True, dir_okay=False),
              help="The application's copy from MSVS (23.1); it goes with a TC26 consultation.")
@pass_app
def open_command(app: App, msvs_number: str, accepted: str, company: str, eori: str, carrier: str, aeo: str | None,
                 departure: tuple[str, ...], destination: tuple[str, ...], procedures_per_month: int | None,
                 procedures_per_year: int | None, movements_per_month: int | None, movements_per_year: int | None,
                 application: str | None) -> None:
    """Open the file of an accepted application (1B-1052:23) and show what its figures meet (17, 21).

    \b
    Example:
      itpc etd open --msvs LTETDLT0000000123 --accepted 2026-12-03T10:00 --company "UAB Oro linija" \\
        --eori LT123456789 --carrier airline --departure "LTVR1000" \\
        --destination "NO001234;Oslo lufthavn;post@toll.no" --procedures-per-month 8 \\
        --flights-per-month 40 --application prasymas.pdf
    """
    who = acting_officer(app.settings).login  # before anything is read or written: only officers act
    opened(app)
    offices = [etd.office(app, "departure", d) for d in departure]
    offices += [etd.office(app, "destination", d) for d in destination]
    number = etd.open_file(app, etd.Application(
        msvs_number=msvs_number, accepted_at=instant("--accepted", accepted), company=company, eori=eori,
        carrier=carrier, offices=offices, aeo=aeo, procedures_per_month=procedures_per_month,
        procedures_per_year=procedures_per_year, movements_per_month=movements_per_month,
        movements_per_year=movements_per_year), by=who, copy=Path(application) if application else None)
    click.echo(f"{number}: opened for MSVS application {msvs_number.strip().upper()}")
    for authority in etd.unverified_authorities(app, offices):
        click.echo(f"itpc: warning: {authority.country.code} {authority.email} is not verified in "
                   f"{app.settings.etd.common_transit}; the TC26 waits until it is (1B-1052:40)", err=True)
    for criterion in etd.criteria_of(app.etd.files[number]):
        click.echo(f"  {verdict(criterion.met)}  {criterion.rule}  {criterion.text}")


@etd_group.command("attach")
@click.argument("number")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--as", "kind", type=click.Choice(sorted(rules.DOCUMENT_POINTS)), required=True,
              help="What the document is (1B-1052:23.1-23.7; monitoring-plan 25.2; audit-report 37).")
@pass_app
def attach_command(app: App, number: str, file: str, kind: str) -> None:
    """Put a document in the file; a monitoring plan or an audit report meets its deadline (25.2, 37).

    \b
    Example:
      itpc etd attach ETD-2026-000001 stebesenos-planas.pdf --as monitoring-plan
    """
    who = acting_officer(app.settings).login
    record = etd.attach(opened(app), number, Path(file), kind, by=who)
    click.echo(f"{record['file']}: {record['filename']} attached as {kind} ({record['point']}), "
               f"sha256 {record['sha256'][:12]}")


@etd_group.command("decide")
@click.argument("number")
@click.argument("action", type=click.Choice(rules.ACTIONS))
@click.option("--effective", metavar="ISO-8601", help="When it takes effect (default: now).")
@click.option("--reason", "reasons", multiple=True,
              help="A motive, in Lithuanian (repeatable; required for an unfavourable decision, 1B-1052:33).")
@pass_app
def decide_command(app: App, number: str, action: str, effective: str | None, reasons: tuple[str, ...]) -> None:
    """Record the decision taken in MSVS; the offices of departure and destination (36) and, for an amendment,
    suspension, revocation or annulment, the common transit countries' authorities (32) are told at once.

    \b
    Example:
      itpc etd decide ETD-2026-000001 grant
      itpc etd decide ETD-2026-000001 suspend --effective 2027-03-01 \\
        --reason "Bendrovė neužtikrina prieigos prie ETD duomenų (Taisyklių 28 punktas)."
    """
    who = acting_officer(app.settings).login
    record = etd.decide(opened(app), number, action, motives=reasons,
                        effective=instant("--effective", effective) if effective else None,
                        by=who)
    counts = send(app)
    click.echo(f"{record['file']}: {action} recorded ({', '.join(record['rules'])}); {counts['sent']} sent")


@etd_group.command("consulted")
@click.argument("number")
@click.argument("country")
@pass_app
def consulted_command(app: App, number: str, country: str) -> None:
    """Record that the consultation of a member state's authority was made in MSVS (1B-1052:16).

    \b
    Example:
      itpc etd consulted ETD-2026-000001 DE
    """
    who = acting_officer(app.settings).login
    etd.record_consulted(opened(app), number, country, by=who)
    click.echo(f"{number.upper()}: consultation of {country.upper()} recorded as made in MSVS")


@etd_group.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="The file as one JSON object.")
@pass_app
def show_command(app: App, number: str, as_json: bool) -> None:
    """The file: applicant, offices, criteria, consultations and their answers, documents, decisions,
    deadlines.

    \b
    Example:
      itpc etd show ETD-2026-000001
    """
    file = required(read(app), number)
    if as_json:
        click.echo(json.dumps(file_json(app, file), ensure_ascii=False))
        return
    click.echo("\n".join(show_lines(app, file)))


@etd_group.command("list")
@click.option("--all", "everything", is_flag=True, help="Closed files too (refused, revoked, annulled).")
@pass_app
def list_command(app: App, everything: bool) -> None:
    """Open files with their next deadline; an overdue one in red.

    \b
    Example:
      itpc etd list
    """
    read(app)
    for file in sorted(app.etd.files.values(), key=lambda f: f.number):
        if not (file.open or everything):
            continue
        deadlines = etd.open_deadlines(app, file)
        line = f"{file.number}  {file.status:<9}  {file.opened['msvs_number']}  {file.opened['company']}"
        if deadlines:
            name, due, rule, state = min(deadlines, key=lambda d: d[1])
            late = [d for d in deadlines if d[3] == "overdue"]
            text = f"  {name} due {shown(due)} ({rule})"
            if late:
                text = click.style(f"  OVERDUE {', '.join(d[0] for d in late)};" + text, fg="red", bold=True)
            line += text
        click.echo(line)


@etd_group.command("retention")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per document.")
@pass_app
def retention_command(app: App, as_json: bool) -> None:
    """Each document's earliest disposal date (1B-1052:24); nothing is deleted by this system.

    \b
    Example:
      itpc etd retention
    """
    read(app)
    for file in sorted(app.etd.files.values(), key=lambda f: f.number):
        for doc, keep in etd.retention_rows(file):
            if as_json:
                click.echo(json.dumps({"file": file.number, "kind": doc["kind"], "point": doc["point"],
                                       "filename": doc["filename"], "sha256": doc["sha256"],
                                       "keep_until": keep.keep_until and keep.keep_until.isoformat(),
                                       "disposable_from": keep.disposable_from and keep.disposable_from.isoformat(),
                                       "rule": keep.rule, "because": keep.because}, ensure_ascii=False))
                continue
            when = f"disposable from {keep.disposable_from}" if keep.disposable_from else "keep"
            click.echo(f"{file.number}  {doc['kind']:<17}  {doc['point']:<12}  {when:<26}  {keep.because}  "
                       f"{doc['filename']}")


# ------------------------------------------------------------------------------------------------ showing

def verdict(met: bool | None) -> str:
    return {True: "met    ", False: "NOT MET", None: "check  "}[met]


def mail_state(app: App, ident: str | None) -> str:
    item = app.state.outbox.get(ident or "")
    if item is None:
        return "not queued"
    return ("sent " + shown(parse_instant(item.sent["at"])) if item.sent else "held" if item.held
            else "failed, retrying" if item.failures else "queued")


def show_lines(app: App, file: EtdFile) -> list[str]:
    o = file.opened
    out = [click.style(f"{file.number}  {file.status}", bold=True),
           f"MSVS application: {o['msvs_number']}, accepted {shown(file.accepted_at)} (opened by {o['by']})",
           f"Company: {o['company']}, EORI {o['eori']}, "
           f"{'airline' if o['carrier'] == rules.AIRLINE else 'shipping company'}"
           + (f", AEO {o['aeo']}" if o.get("aeo") else ""),
           "Offices:"]
    out += [f"  {x['role']:<11} {x['col']}  {x['name'] or '-'}  {x['email'] or '(no e-mail)'}" for x in o["offices"]]
    out.append("Criteria:")
    out += [f"  {verdict(c.met)}  {c.rule}  {c.text}" for c in etd.criteria_of(file)]
    out.append("Consultations (1B-1052:16):")
    for country, c in sorted(file.consultations.items()):
        made = (f"made {shown(parse_instant(c['made_at']))}" if c["made_at"] else "to be made in MSVS")
        how = f"e-mail to {c['authority']} <{c['address']}>, {mail_state(app, c['mail'])}" if c["channel"] == "email" \
            else "MSVS"
        out.append(f"  {country}  {how}; {made}; due {shown(parse_instant(c['due']))}")
    if not file.consultations:
        out.append("  none")
    out.append("Replies:")
    for reply in file.replies:
        out += reply_lines(reply)
    if not file.replies:
        out.append("  none")
    out.append("Documents (1B-1052:23):")
    out += [f"  {shown(parse_instant(d['at']))}  {d['kind']:<17} {d['point']:<12} {d['filename']}  "
            f"sha256 {d['sha256'][:12]}" for d in file.documents] or ["  none"]
    out.append("Decisions:")
    for d in file.decisions:
        out.append(f"  {shown(parse_instant(d['decided_at']))}  {d['action']}, effective "
                   f"{shown_day(parse_instant(d['effective']))}  {', '.join(d['rules'])}  by {d['by']}")
        out += [f"      {m}" for m in d["motives"]]
        prefix = f"etd/{file.number}/decision/{d['seq']}/"
        notices = [i for i in app.state.outbox.values() if i.id.startswith(prefix)]
        out += [f"      notice to {', '.join(i.queued['to'])}: {mail_state(app, i.id)}" for i in notices]
        out += [f"      NOT SENT: {u['reason']}" for i, u in sorted(app.state.unwritten.items())
                if i.startswith(prefix)]
    if not file.decisions:
        out.append("  none")
    out.append("Deadlines:")
    deadlines = etd.open_deadlines(app, file)
    for name, due, rule, state in deadlines:
        text = f"  {name}  due {shown(due)}  {rule}  {state}"
        out.append(click.style(text, fg="red") if state == "overdue" else text)
    if not deadlines:
        out.append("  none open")
    out += [f"  alerted: {key} {stage} {shown(parse_instant(a['at']))}"
            for (key, stage), a in sorted(file.alerts.items())]
    return out


def reply_lines(reply: dict[str, Any]) -> list[str]:
    fields = reply.get("fields") or {}
    out = [f"  {shown(parse_instant(reply['received_at']))}  from {reply['sender']}  \"{reply['subject']}\""]
    if fields.get("authority") or fields.get("country"):
        out.append(f"      authority: {fields.get('authority') or '-'} ({fields.get('country') or '?'})")
    for item in fields.get("conditions_not_met") or []:
        ports = item.get("ports") or "-"
        ports = ports if isinstance(ports, str) else ", ".join(ports)
        out.append(f"      I.3 not met: {item['condition']} (ports: {ports})")
    answers = fields.get("answers") or {}
    if any(v is not None for v in answers.values()):
        out.append("      II: " + ", ".join(f"{k}) {'TAIP' if v else 'NE' if v is False else '?'}"
                                           for k, v in sorted(answers.items())))
    if fields.get("remarks"):
        out.append(f"      remarks: {fields['remarks']}")
    agrees = fields.get("agrees")
    out.append("      answer: " + {True: "no objection", False: "OBJECTS", None: "unclear: for an officer"}[agrees])
    return out


def file_json(app: App, file: EtdFile) -> dict[str, Any]:
    return {"number": file.number, "status": file.status, **{k: v for k, v in file.opened.items() if k != "number"},
            "criteria": [c.as_json() for c in etd.criteria_of(file)],
            "consultations": list(file.consultations.values()), "replies": file.replies,
            "documents": file.documents, "decisions": file.decisions,
            "deadlines": [{"deadline": n, "due": due.isoformat(), "rule": r, "state": s}
                          for n, due, r, s in etd.open_deadlines(app, file)]}
