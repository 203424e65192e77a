"""The `itpc` command: the root group, its global options, and the one place errors become one line.

Global options: ``--config FILE`` (or ITPC_CONFIG) and ``--now ISO-8601`` (or ITPC_NOW), which sets the clock
for every command so that every time-dependent behaviour can be driven from the CLI. Each command group lives
in its own ``cli_*`` module; this module only assembles them.
"""
from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import click

from config import ItpcError, load_settings
from itpc.app import App
from itpc.cli_support import Failure
from itpc.failures import os_failure
from itpc.version import version
from ledger.clock import Clock, parse_instant

# Each command and where it lives. A command's module is imported only when that command runs (click's "lazy
# subcommands"), so `itpc show` does not pay for the PDF and mail machinery that `itpc poll` needs.
COMMANDS = {
    "afis": "itpc.cli_afis:afis",
    "check": "itpc.cli_check:check",
    "close": "itpc.cli_case:close",
    "completion": "itpc.cli_review:completion",
    "decide": "itpc.cli_decide:decide",
    "ledger": "itpc.cli_ledger:ledger",
    "note": "itpc.cli_review:note",
    "outage": "itpc.cli_schedule:outage",
    "parse": "itpc.cli_mail:parse",
    "poll": "itpc.cli_mail:poll",
    "reply": "itpc.cli_case:reply",
    "report": "itpc.cli_review:report",
    "requests": "itpc.cli_review:requests",
    "requeue": "itpc.cli_decide:requeue",
    "run": "itpc.cli_mail:run",
    "search": "itpc.cli_review:search",
    "show": "itpc.cli_review:show",
    "take": "itpc.cli_case:take",
    "tick": "itpc.cli_schedule:tick",
}


class ItpcGroup(click.Group):
    """The root group: finds its commands in ``COMMANDS``, and shows every deliberate error, and every
    failure on our own files, as one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ItpcError as exc:
            raise Failure(str(exc)) from None
        except OSError as exc:
            raise Failure(os_failure(exc)) from None


@click.group(cls=ItpcGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="ITPC_CONFIG",
              help="TOML configuration file (default: the shipped config/itpc.toml).")
@click.option("--now", "now", envvar="ITPC_NOW", metavar="ISO-8601",
              help="Run as if the clock showed this instant (no offset: Vilnius time).")
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail.")
@click.version_option(version(), "--version", prog_name="itpc", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, now: str | None, verbose: bool) -> None:
    """ITPC requests: mailbox in, append-only ledger, decisions and answers out.

    \b
    Example:
      itpc --config /etc/itpc/itpc.toml poll --once
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr,
                        force=True)  # each run logs to the stderr it has (one run per process, or a test's)
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # it logs every glyph table it subsets
    try:
        settings = load_settings(config_path)
    except ItpcError as exc:
        raise Failure(f"configuration: {exc}") from None
    try:
        clock = Clock(parse_instant(now) if now else None)
    except ValueError:
        raise Failure(f"--now: not an ISO-8601 instant: {now!r}") from None
    app = App(settings, clock)
    ctx.obj = app
    ctx.call_on_close(app.close)


def main() -> None:
    cli(prog_name="itpc")


if __name__ == "__main__":
    main()
