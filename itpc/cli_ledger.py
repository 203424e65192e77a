"""`itpc ledger verify|keygen|export|tail|backup|query`: inspect, prove and copy the append-only ledger."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Mapping

import click

from itpc.app import App
from itpc.cli_support import Failure, pass_app
from ledger.backup import backup as take_backup
from ledger.checkpoints import generate_key, load_public_key, read_published
from ledger.clock import VILNIUS
from ledger.query import database, matching
from ledger.store import LEDGER_FILE
from ledger.verify import audit


@click.group()
def ledger() -> None:
    """Inspect, query, verify and back up the ledger."""


@ledger.command()
@click.option("--checkpoint", "checkpoint", metavar="FILE|JSON",
              help="The latest published checkpoint (a file of them, or one as JSON); "
                   "default: [ledger] checkpoint_file.")
@click.option("--public-key", "public_key", type=click.Path(dir_okay=False), metavar="FILE",
              help="The checkpoints' public key (PEM); default: derived from [ledger] signing_key.")
@pass_app
def verify(app: App, checkpoint: str | None, public_key: str | None) -> None:
    """Re-hash the chain, check every checkpoint's signature, hold the ledger to the latest published
    checkpoint and re-hash every archived file; exit 1 naming the first problem.

    \b
    Examples:
      itpc ledger verify
      itpc ledger verify --checkpoint /srv/itpc-checkpoints.jsonl --public-key /etc/itpc/checkpoint.pem.pub
    """
    path = app.ledger_dir / LEDGER_FILE
    if not path.exists():
        raise Failure(f"no ledger at {path}")
    options = app.settings.ledger
    key_file = Path(public_key) if public_key else options.signing_key
    key = load_public_key(key_file) if key_file else None
    source = checkpoint or (str(options.checkpoint_file) if options.checkpoint_file and
                            options.checkpoint_file.exists() else None)
    published = read_published(source) if source else None
    result = audit(app.ledger_dir, public_key=key, published=published)
    click.echo(str(result))
    if not result.ok:
        sys.exit(1)
    if published is None:
        click.echo("no published checkpoint given: a tail cut off or a re-hashed chain cannot be seen", err=True)


@ledger.command()
@click.argument("path", type=click.Path(dir_okay=False))
@pass_app
def keygen(app: App, path: str) -> None:
    """Create the Ed25519 key that signs checkpoints (PATH, mode 0600) and its public key (PATH.pub).
    Keep PATH outside the ledger folder and name it in [ledger] signing_key; give PATH.pub to the auditors.

    \b
    Example:
      itpc ledger keygen /etc/itpc/checkpoint.pem
    """
    target = Path(path)
    if target.resolve().is_relative_to(app.ledger_dir.resolve()):
        raise Failure(f"{target} is inside the ledger folder {app.ledger_dir}; keep the key elsewhere")
    click.echo(f"key {generate_key(target)}: {target} (public key {target}.pub)")


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
    """Copy the ledger, its archive and the published checkpoints to DEST under the lock, then verify the copy.

    \b
    Example:
      itpc ledger backup /srv/backup/itpc-2026-11-23
    """
    verdict = take_backup(app.ledger, Path(dest), checkpoints=app.settings.ledger.checkpoint_file)
    click.echo(f"backup {dest}: {verdict}")
