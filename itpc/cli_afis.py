"""`itpc afis import-logins|reconcile|inactive|changes|granted`: AFIS/CIS+ logins from URT, inactivity
(1B-280:18), rights change notices (1B-280:14-16) and rights granted (1B-280:10). ``itpc.cli`` finds these
commands by name (``COMMANDS``)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from itpc.afis import (GrantError, change_notices, import_logins, listing, read_export, reconcile as do_reconcile,
                       record_granted)
from itpc.app import App
from itpc.cli_support import Failure, opened, pass_app, read
from itpc.officers import acting_officer
from itpc.service import Runner
from ledger.clock import parse_instant, shown
from responders.afis_inactivity import ExportError, parse_logins


@click.group()
def afis() -> None:
    """AFIS/CIS+ users: last logins from URT, inactivity (1B-280:18), rights change notices (1B-280:14–16),
    rights granted (1B-280:10)."""


@afis.command("import-logins")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@pass_app
def import_logins_command(app: App, file: str) -> None:
    """Record the URT last-login export (CSV: username,name,email,last_login); re-importing is harmless.

    Malformed rows are reported on stderr with their line numbers; the rest is imported. Exit 1 only when
    the file has no usable row.

    \b
    Example:
      itpc afis import-logins urt-paskutiniai-prisijungimai.csv
    """
    path = Path(file)
    try:
        rows, errors = parse_logins(read_export(path))
    except (ExportError, OSError) as exc:
        raise Failure(f"{path}: {exc}") from None
    for error in errors:
        click.echo(f"{path}:{error.line}: {error.reason}", err=True)
    opened(app)
    if sys.stderr.isatty() and rows:
        with click.progressbar(rows, label="importing logins", file=sys.stderr) as bar:
            result = import_logins(app, bar, source=path.name)
    else:
        result = import_logins(app, rows, source=path.name)
    click.echo(f"{path.name}: {result.imported} new, {result.known} already recorded, "
               f"{len(errors)} malformed")
    if not rows:
        raise Failure(f"{path}: no usable row")


@afis.command()
@pass_app
def reconcile(app: App) -> None:
    """Mark users over 9 months without login Inactive and send each their one e-mail (what every tick of
    `itpc run` does).

    \b
    Example:
      itpc --now 2026-11-23T09:00 afis reconcile
    """
    queued = do_reconcile(opened(app))
    counts = Runner(app).flush()
    click.echo(f"{queued} e-mails queued; {counts['sent']} sent")


@afis.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per user.")
@pass_app
def inactive(app: App, as_json: bool) -> None:
    """Users over 9 months without login (status Inactive, e-mailed) and over 12 (rights to be withdrawn
    without notice, 1B-280:18), with the dates.

    \b
    Example:
      itpc afis inactive --json
    """
    for item in listing(read(app)):
        if as_json:
            click.echo(json.dumps(item.as_json(), ensure_ascii=False))
        else:
            what = ("WITHDRAW" if item.status == "withdrawal" else "inactive")
            since = item.withdrawal_from if item.status == "withdrawal" else item.inactive_from
            click.echo(f"{what:<9} {item.username:<20} last login {item.last_login[:10]}  since {since}  "
                       f"e-mail {item.mail:<7} {item.name} <{item.email}>")


@afis.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per notice.")
@click.option("--late", "late_only", is_flag=True, help="Only notices sent after the supervisor's 2 working days.")
@pass_app
def changes(app: App, as_json: bool, late_only: bool) -> None:
    """AFIS/CIS+ rights change and withdrawal notices (1B-280:14–15): what became of each, when the change took
    effect, and whether the supervisor sent the notice within the 2 working days the rules give for it.

    \b
    Example:
      itpc afis changes --late
    """
    for item in change_notices(read(app), late_only=late_only):
        if as_json:
            click.echo(json.dumps(item.as_json(), ensure_ascii=False))
        else:
            due = f"notice due {shown(parse_instant(item.notice_due))}" if item.notice_due else "no change date"
            click.echo(f"{item.number}  {item.outcome:<9}  {due}{'  LATE' if item.late else ''}  "
                       f"{','.join(item.rules)}  {item.officer_name or '-'}  {item.change or ''}")


@afis.command()
@click.argument("number")
@pass_app
def granted(app: App, number: str) -> None:
    """Record that the AFIS liaison officer gave the rights a forwarded request asked for (1B-280:10) or made
    the change a notice reported (16); the user is then told at the address the request names.

    \b
    Example:
      itpc afis granted AFIS-2027-000001
    """
    officer = acting_officer(app.settings)
    number = number.strip().upper()
    try:
        record = record_granted(opened(app), number, officer=officer.login)
    except GrantError as exc:
        raise Failure(str(exc)) from None
    Runner(app).respond()
    app.refresh_view()
    click.echo(f"{number}: granted by {record['decided_by']}")
