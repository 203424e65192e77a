"""`itpc ledger verify|export|tail|backup|query`: inspect, prove and copy the append-only ledger."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from itpc.app import App
from itpc.cli_support import Failure, opened, pass_app
from ledger.backup import backup as take_backup
from ledger.clock import VILNIUS
from ledger.verify import verify_file


@click.group()
def ledger() -> None:
    """Inspect, verify and back up the ledger."""


@ledger.command()
@pass_app
def verify(app: App) -> None:
    """Re-hash the whole chain; exit 1 naming the first bad entry if anything was altered.

    \b
    Example:
      itpc ledger verify
    """
    path = app.ledger_dir / "ledger.jsonl"
    if not path.exists():
        raise Failure(f"no ledger at {path}")
    verdict = verify_file(path)
    click.echo(str(verdict))
    if not verdict.ok:
        sys.exit(1)


@ledger.command()
@click.option("--json", "as_json", is_flag=True, required=True, help="One JSON object per line.")
@pass_app
def export(app: App, as_json: bool) -> None:
    """Print every entry, one JSON object per line.

    \b
    Example:
      itpc ledger export --json > ledger.jsonl
    """
    out = sys.stdout
    for entry in opened(app).ledger.entries:
        out.write(json.dumps(entry.as_dict(), ensure_ascii=False) + "\n")


@ledger.command()
@click.option("-n", "count", default=10, show_default=True, help="How many entries.")
@pass_app
def tail(app: App, count: int) -> None:
    """Show the last entries, newest last.

    \b
    Example:
      itpc ledger tail -n 20
    """
    for entry in opened(app).ledger.entries[-count:] if count > 0 else []:
        when = entry.at.astimezone(VILNIUS).strftime("%Y-%m-%d %H:%M:%S")
        click.echo(f"{entry.seq:>7} {when} {entry.type:<20} {json.dumps(entry.as_dict()['data'], ensure_ascii=False)[:160]}")


@ledger.command()
@click.argument("dest", type=click.Path(file_okay=False))
@pass_app
def backup(app: App, dest: str) -> None:
    """Copy the ledger and its archive to DEST under the lock, then verify the copy.

    \b
    Example:
      itpc ledger backup /srv/backup/itpc-2026-11-23
    """
    verdict = take_backup(opened(app).ledger, Path(dest))
    click.echo(f"backup {dest}: {verdict}")
