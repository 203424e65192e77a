"""`itpc decide` and `itpc requeue`: officers move a request on; the line then answers it like any other."""
from __future__ import annotations

import click

from itpc.answers import Answerer
from itpc.app import App
from itpc.cli_support import opened, pass_app
from itpc.dryrun import rehearsal_report
from itpc.officer import officer_decision
from itpc.officers import acting_officer
from itpc.requeue import requeue_request
from itpc.service import Runner


@click.command()
@click.argument("number")
@click.argument("action", type=click.Choice(["consent", "refuse", "return", "revoke", "amend", "end"]))
@click.option("--from", "period_from", metavar="ISO-8601",
              help="Consent start (default: as requested; never before it).")
@click.option("--to", "period_to", metavar="ISO-8601",
              help="Consent end (default: as requested, max 2 working days; never later); amend: the new, "
                   "earlier end.")
@click.option("--at", metavar="ISO-8601", help="end: when the trader's systems worked again (1B-1029:16).")
@click.option("--consent", "consent_no", metavar="VTP-…",
              help="end: the consent the notice is about (default: the one the rules found).")
@click.option("--reason", help="Motive in Lithuanian (required for refuse, return and revoke).")
@click.option("--rule", "rules", multiple=True, help="Legal point the decision rests on, e.g. 1B-1029:12.")
@click.option("--dry-run", is_flag=True, help="Print the letters the decision would send; record and send nothing.")
@pass_app
def decide(app: App, number: str, action: str, period_from: str | None, period_to: str | None, at: str | None,
           consent_no: str | None, reason: str | None, rules: tuple[str, ...], dry_run: bool) -> None:
    """Record an officer's decision on a request, then answer it like an automatic one.

    consent, refuse and return decide a request in review; end accepts an early-recovery notice in review.
    revoke and amend correct a consent already issued (NUMBER: the consent or its request): the correction is
    a new decision, and the trader and each office of the consent are told.

    \b
    Examples:
      itpc decide ITPC-2026-000009 consent --from 2026-12-02T09:00 --to 2026-12-02T15:00
      itpc decide ITPC-2026-000009 refuse --reason "Nurodytos priežastys nėra objektyvios." --rule 1B-1029:12
      itpc decide VTP-2026-000001 amend --to 2026-12-02T12:00 --reason "Sutrumpinta pagal asmens prašymą."
      itpc decide VTP-2026-000001 revoke --reason "Prašyme nurodyta priežastis nepasitvirtino."
      itpc decide ITPC-2026-000012 end --at 2026-12-02T11:30
      itpc decide ITPC-2026-000009 refuse --reason "..." --dry-run     # the letters, nothing recorded
    """
    officer = acting_officer(app.settings)  # before anything is read or written: only officers decide
    if dry_run:
        app.rehearse()
    record = officer_decision(opened(app), number, action, period_from=period_from, period_to=period_to,
                              reason=reason, rules=list(rules), officer=officer.login, at=at, consent_no=consent_no)
    if dry_run:
        Answerer(app).answer_pending()  # queued in memory, never sent
        click.echo(rehearsal_report(app, keep=lambda entry: entry.data.get("request") == record["request"]))
        return
    Runner(app).respond()
    app.refresh_view()
    click.echo(f"{record['request']}: {record['outcome']}"
               + (f" {record['consent_no']}" if record.get("consent_no") else "")
               + f" by {record['decided_by']}")


@click.command()
@click.argument("number")
@click.option("--reason", required=True, help="Why it is processed again (recorded in the ledger).")
@pass_app
def requeue(app: App, number: str, reason: str) -> None:
    """Process a request again whose processing failed: a message that could not be read is parsed again
    and decided; letters that were held or refused by the mail server go back to the outbox.

    \b
    Example:
      itpc requeue ITPC-2026-000031 --reason "OCR kalbos paketas įdiegtas, skaityti iš naujo"
    """
    officer = acting_officer(app.settings)
    number = number.strip().upper()
    done = requeue_request(opened(app), number, reason=reason, officer=officer.login)
    app.refresh_view()
    click.echo(f"{number}: {done}")
