"""The `itpc` command: the root group, its global options, and the table of commands.

Global options: ``--config FILE`` (or ITPC_CONFIG) and ``--now ISO-8601`` (or ITPC_NOW), which sets the clock
for every command so that every time-dependent behaviour can be driven from the CLI. Each command group lives
in its own ``cli_*`` module; this module only assembles them. It imports click and nothing of ours: a command's
module, and ``itpc.boot`` (settings, clock, the application, one-line errors), are loaded when a command runs, so
`itpc --help` costs little more than Python and click.
"""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import click

# Each command and where it lives. A command's module is imported only when that command runs (click's "lazy
# subcommands"), so `itpc show` does not pay for the PDF and mail machinery that `itpc poll` needs.
COMMANDS = {
    "afis": "itpc.cli_afis:afis",
    "check": "itpc.cli_check:check",
    "close": "itpc.cli_case:close",
    "completion": "itpc.cli_review:completion",
    "decide": "itpc.cli_decide:decide",
    "etd": "itpc.cli_etd:etd_group",
    "ledger": "itpc.cli_ledger:ledger",
    "note": "itpc.cli_review:note",
    "outage": "itpc.cli_schedule:outage",
    "parse": "itpc.cli_mail:parse",
    "poll": "itpc.cli_mail:poll",
    "reply": "itpc.cli_case:reply",
    "report": "itpc.cli_review:report",
    "requests": "itpc.cli_review:requests",
    "requeue": "itpc.cli_decide:requeue",
    "run": "itpc.cli_run:run",
    "search": "itpc.cli_review:search",
    "show": "itpc.cli_review:show",
    "take": "itpc.cli_case:take",
    "tick": "itpc.cli_schedule:tick",
}


# What `itpc --help` says of each command without loading it: the first paragraph of the command's own help
# (tests/integration/test_cli_help.py keeps the two the same).
SUMMARIES = {
    "afis": "AFIS/CIS+ users: last logins from URT, inactivity (1B-280:18), rights change notices (1B-280:14–16), "
            "rights granted (1B-280:10).",
    "check": "Check the configuration, its files, every folder written to, and the mail servers; send nothing.",
    "close": "Close an inquiry or a conversation: it leaves the officer queue until a new message about it comes. A "
             "request still waiting for its decision cannot be closed: decide it.",
    "completion": "Print the shell completion script for `itpc`.",
    "decide": "Record an officer's decision on a request, then answer it like an automatic one.",
    "etd": "ETD authorisations of airlines and shipping companies (1B-1052): the file, its consultation, decisions, "
           "deadlines and retention.",
    "ledger": "Inspect, query, verify and back up the ledger.",
    "note": "Add an officer's remark to a request; it is a ledger entry like any other and shows in `itpc show`.",
    "outage": "Record MDAS/NTKS outages: planned stops and unplanned failures (1B-1029:17-20, 31-32).",
    "parse": "Parse one message (.eml) and show what it asks; nothing is registered.",
    "poll": "Read the mailbox: register every new message exactly once, decide, answer, flush the outbox.",
    "reply": "Answer a case: a letter to whoever wrote its last message, in its thread (In-Reply-To, References, the "
             "number kept in the subject), framed in Lithuanian and signed with your name and position. It goes "
             "through the outbox like every letter, and is recorded in the case.",
    "report": "The month's figures (ITPC division functions 2.11): requests by kind and outcome, consents per "
              "system and customs office, decision times, deadline breaches, refusals by rule, top EORIs.",
    "requests": "List requests with their current state, oldest first.",
    "requeue": "Process a request again whose processing failed: a message that could not be read is parsed again "
               "and decided; letters that were held or refused by the mail server go back to the outbox.",
    "run": "Run as a service: poll the mailbox (IMAP IDLE where the server has it), answer, send, and every "
           "minute do the scheduled work. SIGTERM finishes the current message and exits 0.",
    "search": "Find requests by sender, applicant, EORI, number or reasons; case and diacritics are ignored, and "
              "every word must appear.",
    "show": "The whole story of one request: the message, what was read from it, the decision and its rules, "
            "every letter and notice sent, and the deadlines met or missed.",
    "take": "Claim a case: `itpc requests` shows you as the officer who has it.",
    "tick": "Do what is due at --now and not done yet: notices, deadline alerts, expiry, outages, page, sending.",
}


class ItpcGroup(click.Group):
    """The root group: finds its commands in ``COMMANDS``, lists them from ``SUMMARIES`` without loading them,
    and shows every deliberate error, and every failure on our own files, as one line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their summaries, as click lists them, from the table (a command not in it is loaded)."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            summary = SUMMARIES.get(name)
            if summary is None:
                command = self.get_command(ctx, name)
                if command is None or command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(limit)))
            else:
                rows.append((name, click.Command(name, help=summary).get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        parent = super().invoke
        return boot().one_line_errors(lambda: parent(ctx))


def boot() -> ModuleType:
    """``itpc.boot``, loaded when a command runs (as the command's own module is)."""
    return importlib.import_module("itpc.boot")


def show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"itpc {importlib.import_module('itpc.version').version()}")
        ctx.exit()


@click.group(cls=ItpcGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="ITPC_CONFIG",
              help="TOML configuration file (default: the shipped config/itpc.toml).")
@click.option("--now", "now", envvar="ITPC_NOW", metavar="ISO-8601",
              help="Run as if the clock showed this instant (no offset: Vilnius time).")
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail.")
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=show_version,
              help="Show the version and exit.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, now: str | None, verbose: bool) -> None:
    """ITPC requests: mailbox in, append-only ledger, decisions and answers out.

    \b
    Example:
      itpc --config /etc/itpc/itpc.toml poll --once
    """
    app = boot().open_app(config_path, now, verbose)
    ctx.obj = app
    ctx.call_on_close(app.close)


def main() -> None:
    cli(prog_name="itpc")


if __name__ == "__main__":
    main()
