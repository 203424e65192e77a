"""`itpc ledger verify|export|tail|backup|query`: inspect, prove and copy the append-only ledger."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Mapping

import click

from itpc.app import App
from itpc.cli_support import Failure, pass_app
from ledger.backup import backup as take_backup
from ledger.clock import VILNIUS
from ledger.query import database, matching
from ledger.verify import verify_file


@click.group()
def ledger() -> None:
    """Inspect, query, verify and back up the ledger."""


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
    for entry in app.ledger.entries:  # the entries as written: nothing is folded
        out.write(_json_line(entry.as_dict()))


@ledger.command()
@click.option("--type", "types", multiple=True, metavar="TYPE",
              help="Only entries of this type; repeated: of any of these types.")
@click.option("--where", "conditions", multiple=True, metavar="'FIELD OP VALUE'",
              help="Only entries that meet it; repeated: that meet all of them.")
@pass_app
def query(app: App, types: tuple[str, ...], conditions: tuple[str, ...]) -> None:
    """Print the entries that match, one JSON object per line, as `export --json` does.

    FIELD is seq, ts, type, prev, hash, or a path into the entry's data (data.outcome, data.fields.eori).
    OP is == != < <= > >= or ~ (regular-expression search in a text). VALUE is a number, true, false, null,
    a "quoted" string or a bare word. An entry without FIELD never matches; 1 is not "1" nor true. Times
    (ts, data.received_at) are UTC ISO-8601 text and compare as text. Nothing is evaluated as code.

    \b
    Example:
      itpc ledger query --type decision.made --where 'data.outcome == "refusal"'
      itpc ledger query --where 'data.fields.eori ~ ^LT30' --where 'ts >= 2026-11-01'
    """
    condition = matching(types, conditions)  # a bad condition is refused before the ledger is opened
    store = app.ledger
    found = database(store).search(condition) if condition is not None else (e.as_dict() for e in store.entries)
    out = sys.stdout
    for record in found:
        out.write(_json_line(record))


def _json_line(record: Mapping[str, Any]) -> str:
    """One entry as `export --json` and `query` print it (a TinyDB document reads as its entry's line)."""
    return json.dumps(record, ensure_ascii=False) + "\n"


@ledger.command()
@click.option("-n", "count", default=10, show_default=True, help="How many entries.")
@pass_app
def tail(app: App, count: int) -> None:
    """Show the last entries, newest last.

    \b
    Example:
      itpc ledger tail -n 20
    """
    for entry in app.ledger.entries[-count:] if count > 0 else []:
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
    verdict = take_backup(app.ledger, Path(dest))
    click.echo(f"backup {dest}: {verdict}")
