"""`itpc parse` and `itpc poll`: mail in (`itpc run`, the service, is in cli_run)."""
from __future__ import annotations

import json
from pathlib import Path

import click

from ingest.parse import parse_file
from itpc.app import App
from itpc.cli_support import opened, pass_app
from itpc.service import Runner


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the parse as one JSON object.")
@pass_app
def parse(app: App, file: str, as_json: bool) -> None:
    """Parse one message (.eml) and show what it asks; nothing is registered.

    \b
    Example:
      itpc parse request.eml --json
    """
    result = parse_file(Path(file), app.settings)
    payload = result.as_json()
    if as_json:
        click.echo(json.dumps(payload, ensure_ascii=False))
        return
    click.echo(f"kind: {payload['kind']} (from {payload['source']})")
    for key, value in payload["fields"].items():
        click.echo(f"  {key}: {value}")
    if payload["missing"]:
        click.echo(f"missing: {', '.join(payload['missing'])}")


@click.command()
@click.option("--once", is_flag=True, help="Fetch, register, decide and answer what is new, then exit.")
@pass_app
def poll(app: App, once: bool) -> None:
    """Read the mailbox: register every new message exactly once, decide, answer, flush the outbox.

    \b
    Examples:
      itpc poll --once
      itpc poll            # keep polling (IMAP IDLE where the server has it)
    """
    runner = Runner(opened(app))
    if once:
        runner.poll_once()
    else:
        runner.run_forever()
