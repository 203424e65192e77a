"""`itpc afis import-logins|reconcile|inactive|changes`: AFIS/CIS+ logins from URT, inactivity (1B-280:18)
and overdue rights changes (1B-280:14-16). ``itpc.cli`` finds these commands by name (``COMMANDS``)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from itpc.afis import import_logins, listing, overdue_changes, read_export, reconcile as do_reconcile
from itpc.app import App
from itpc.cli_support import Failure, opened, pass_app
from itpc.service import Runner
from ledger.clock import parse_instant, shown
from responders.afis_inactivity import ExportError, parse_logins


@click.group()
def afis() -> None:
    """AFIS/CIS+ users: last logins from URT, inactivity (1B-280:18), overdue rights changes (1B-280:14–16)."""


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
    for item in listing(opened(app)):
        if as_json:
            click.echo(json.dumps(item.as_json(), ensure_ascii=False))
        else:
            what = ("WITHDRAW" if item.status == "withdrawal" else "inactive")
            since = item.withdrawal_from if item.status == "withdrawal" else item.inactive_from
            click.echo(f"{what:<9} {item.username:<20} last login {item.last_login[:10]}  since {since}  "
                       f"e-mail {item.mail:<7} {item.name} <{item.email}>")


@afis.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per request.")
@click.option("--all", "include_pending", is_flag=True, help="Also those whose deadline has not passed.")
@pass_app
def changes(app: App, as_json: bool, include_pending: bool) -> None:
    """AFIS rights changes and withdrawals (1B-280:14–15) still open past the liaison officer's 2 working
    days (1B-280:16).

    \b
    Example:
      itpc afis changes
    """
    for item in overdue_changes(opened(app), include_pending=include_pending):
        if as_json:
            click.echo(json.dumps(item.as_json(), ensure_ascii=False))
        else:
            due = shown(parse_instant(item.deadline))
            click.echo(f"{item.number}  due {due}  {','.join(item.rules)}  {item.officer_name or '-'}  "
                       f"{item.change or ''}")
