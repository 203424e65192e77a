"""The `itpc` command line: small composable commands over one ledger.

Global options: ``--config FILE`` (or ITPC_CONFIG) and ``--now ISO-8601`` (or ITPC_NOW), which sets the clock
for every command so that every time-dependent behaviour can be driven from the CLI.
"""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from config import ConfigError, load_settings

from .app import App
from .cli_support import Failure, opened, pass_app
from .clock import Clock, VILNIUS, parse_instant
from .store import LedgerError

log = logging.getLogger("itpc")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="ITPC_CONFIG",
              help="TOML configuration file (default: the shipped config/itpc.toml).")
@click.option("--now", "now", envvar="ITPC_NOW", metavar="ISO-8601",
              help="Run as if the clock showed this instant (no offset: Vilnius time).")
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, now: str | None, verbose: bool) -> None:
    """ITPC requests: mailbox in, append-only ledger, decisions and answers out.

    \b
    Example:
      itpc --config /etc/itpc/itpc.toml poll --once
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # it logs every glyph table it subsets
    try:
        settings = load_settings(config_path)
    except ConfigError as exc:
        raise Failure(f"configuration: {exc}") from None
    try:
        clock = Clock(parse_instant(now) if now else None)
    except ValueError:
        raise Failure(f"--now: not an ISO-8601 instant: {now!r}") from None
    app = App(settings, clock)
    ctx.obj = app
    ctx.call_on_close(app.close)


# --- ledger ----------------------------------------------------------------------------------------------

@cli.group()
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
    from .verify import verify_file
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
    from .backup import backup as take_backup
    try:
        verdict = take_backup(opened(app).ledger, Path(dest))
    except LedgerError as exc:
        raise Failure(str(exc)) from None
    click.echo(f"backup {dest}: {verdict}")


# --- mail in ---------------------------------------------------------------------------------------------

@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the parse as one JSON object.")
@pass_app
def parse(app: App, file: str, as_json: bool) -> None:
    """Parse one message (.eml) and show what it asks; nothing is registered.

    \b
    Example:
      itpc parse request.eml --json
    """
    from ingest.parse import parse_file
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


@cli.command()
@click.option("--once", is_flag=True, help="Fetch, register, decide and answer what is new, then exit.")
@pass_app
def poll(app: App, once: bool) -> None:
    """Read the mailbox: register every new message exactly once, decide, answer, flush the outbox.

    \b
    Examples:
      itpc poll --once
      itpc poll            # keep polling (IMAP IDLE where the server has it)
    """
    from ingest.sources import MailboxError
    from responders.transport import TransportConfigError
    runner = _runner(app)
    try:
        if once:
            runner.poll_once()
        else:
            runner.run_forever(tick=False)
    except (MailboxError, TransportConfigError, LedgerError) as exc:
        raise Failure(str(exc)) from None


def _runner(app: App):
    from ingest.sources import MailboxError
    from responders.runner import Runner
    try:
        opened(app)
        return Runner(app)
    except (MailboxError, ConfigError) as exc:
        raise Failure(str(exc)) from None


# --- requests and decisions ------------------------------------------------------------------------------

@cli.command()
@click.argument("number")
@click.argument("action", type=click.Choice(["consent", "refuse", "return"]))
@click.option("--from", "period_from", metavar="ISO-8601", help="Consent start (default: as requested).")
@click.option("--to", "period_to", metavar="ISO-8601", help="Consent end (default: as requested, max 2 working days).")
@click.option("--reason", help="Motive in Lithuanian (required for refuse and return).")
@click.option("--rule", "rules", multiple=True, help="Legal point the decision rests on, e.g. 1B-1029:12.")
@click.option("--officer", help="Deciding officer (default: the login name).")
@pass_app
def decide(app: App, number: str, action: str, period_from: str | None, period_to: str | None,
           reason: str | None, rules: tuple[str, ...], officer: str | None) -> None:
    """Record an officer's decision on a request, then answer it like an automatic one.

    \b
    Examples:
      itpc decide ITPC-2026-000009 consent --from 2026-12-02T09:00 --to 2026-12-02T15:00
      itpc decide ITPC-2026-000009 refuse --reason "Nurodytos priežastys nėra objektyvios." --rule 1B-1029:12
    """
    from responders.officer import OfficerError, officer_decision
    from responders.runner import Runner
    opened(app)
    try:
        record = officer_decision(app, number, action, period_from=period_from, period_to=period_to,
                                  reason=reason, rules=list(rules), officer=officer)
    except OfficerError as exc:
        raise Failure(str(exc)) from None
    Runner(app).respond()
    app.refresh_view()
    click.echo(f"{number}: {record['outcome']}"
               + (f" {record['consent_no']}" if record.get("consent_no") else "")
               + f" by {record['decided_by']}")

from .review_cli import register as _register_review; _register_review(cli)  # noqa: E402,E702
from responders.afis_cli import register as _register_afis; _register_afis(cli)  # noqa: E402,E702
from responders.schedule_cli import register as _register_schedule; _register_schedule(cli)  # noqa: E402,E702


def main() -> None:
    cli(prog_name="itpc")


if __name__ == "__main__":
    main()
