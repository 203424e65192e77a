"""`itpc requests|show|search|report|note|completion`: what ITPC officers review at a terminal.

Every command here reads the request view (``request_index``), which folds only what the ledger gained
since the last command; `show` reads a request's own entries from the ledger file. ``itpc.cli`` finds these
commands by name (``COMMANDS``).
"""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import click
from click.shell_completion import get_completion_class

from itpc.app import App
from itpc.casework import first_lines
from itpc.chart import bar_chart
from itpc.cli_support import Failure, pass_app
from itpc.monthly import LANGS, month_report, report_csv, report_lines
from itpc.officers import acting_officer
from itpc.report import REQUEST_KINDS, STATUSES, matches_status, outcomes_for, record_json, request_table
from itpc.story import story_json, story_lines
from ledger.clock import bound
from ledger.entries import OFFICER_NOTE
from ledger.request_index import RequestIndex
from ledger.store import Ledger


def _index(app: App) -> RequestIndex:
    return app.index


def _decision_deadline(app: App) -> timedelta:
    return timedelta(minutes=app.settings.rules.decision_deadline_minutes)


def _bound(option: str, value: str | None, *, end: bool = False):
    if not value:
        return None
    try:
        return bound(value, end=end)
    except ValueError:
        raise Failure(f"{option}: expected a day (2026-11-23) or an instant (2026-11-23T08:00), not {value!r}") from None


def _is_day(value: str) -> bool:
    return len(value.strip()) == 10   # as ``ledger.clock.bound`` reads it


def _number(text: str) -> str:
    return text.strip().upper()


# --- requests ---------------------------------------------------------------------------------------------

@click.command()
@click.option("--kind", type=click.Choice(REQUEST_KINDS, case_sensitive=False), help="Only this kind.")
@click.option("--status", type=click.Choice(STATUSES, case_sensitive=False),
              help="Only requests in this state; overdue: past its decision deadline, still waiting or "
                   "decided late (a breach of 1B-1029:9).")
@click.option("--eori", help="Only requests of this EORI (spaces and case ignored).")
@click.option("--since", metavar="DATE", help="Received on or after this day (or instant), Vilnius time.")
@click.option("--until", metavar="DATE", help="Received on or before this day (or before this instant).")
@click.option("--limit", type=click.IntRange(min=1), metavar="N",
              help="Only the N most recently received of those that match (still listed oldest first).")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object per request (DESIGN.md contract), with its deadline, whether it is overdue "
                   "and the officer who has it.")
@pass_app
def requests(app: App, kind: str | None, status: str | None, eori: str | None, since: str | None,
             until: str | None, limit: int | None, as_json: bool) -> None:
    """List requests with their current state, oldest first.

    The table marks requests past their deadline in red (with "!" while still waiting, "missed" when
    decided late) and those waiting for an officer in yellow.

    \b
    Examples:
      itpc requests --status review
      itpc requests --status overdue --since 2026-11-01
      itpc requests --eori LT302777111 --json
      itpc requests --kind afis_access --limit 10
    """
    first, last = _bound("--since", since), _bound("--until", until, end=True)
    if first and last and (first > last or first == last and _is_day(since)):
        # A day given as --until ends where the next begins: --since that next day is already after it.
        raise Failure(f"--since {since.strip()} is after --until {until.strip()}")
    records = _index(app).records(kind=kind, outcomes=outcomes_for(status), eori=eori, since=first, until=last)
    deadline, now = _decision_deadline(app), app.clock()
    if status:
        records = [r for r in records if matches_status(r, status, deadline, now)]
    if limit:
        records = records[-limit:]   # in order of receipt: the last are the most recent
    _print_records(app, records, as_json, nothing="no requests match")


def _print_records(app: App, records: list[dict], as_json: bool, *, nothing: str) -> None:
    """One JSON object per line, or the table (a note on stderr when there is nothing to show)."""
    if as_json:
        deadline, now = _decision_deadline(app), app.clock()
        click.echo("".join(json.dumps(record_json(r, deadline, now), ensure_ascii=False) + "\n" for r in records),
                   nl=False)
    elif records:
        click.echo("\n".join(request_table(records, _decision_deadline(app), app.clock())))
    else:
        click.echo(nothing, err=True)


# --- search -----------------------------------------------------------------------------------------------

@click.command()
@click.argument("text", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per request (as `requests --json`).")
@pass_app
def search(app: App, text: tuple[str, ...], as_json: bool) -> None:
    """Find requests by sender, applicant, EORI, number or reasons; case and diacritics are ignored, and
    every word must appear.

    \b
    Examples:
      itpc search dzukijos pienas
      itpc search LT302777111
      itpc search VTP-2026-000004
    """
    _print_records(app, _index(app).search(" ".join(text)), as_json, nothing="nothing found")


# --- show -------------------------------------------------------------------------------------------------

@click.command()
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="The story as one JSON object.")
@pass_app
def show(app: App, number: str, as_json: bool) -> None:
    """The whole story of one request: the message, what was read from it, the decision and its rules,
    every letter and notice sent, the deadlines met or missed, and the whole conversation in time order
    (messages in with their first lines, letters out, decisions, notes, who took or closed the case).

    \b
    Examples:
      itpc show ITPC-2026-000012
      itpc show VTP-2026-000004      # a consent number finds its request
      itpc show AFIS-2026-000002 --json
    """
    index = _index(app)
    record = index.record(_number(number)) or index.record_of_consent(_number(number))
    if record is None:
        raise Failure(f"no request {number}; try `itpc search {number}`")
    entries = index.story(record["number"])
    messages = [record.get("mail_sha256") or "", *(c.get("mail_sha256") or "" for c in record["correspondence"])]
    story = story_json(record, entries, archive=app.archive, offices=app.offices,
                       decision_deadline=_decision_deadline(app),
                       notice_minutes=app.settings.rules.notice_minutes, now=app.clock(),
                       excerpts={sha: first_lines(app, sha) for sha in messages if sha})
    if as_json:
        click.echo(json.dumps(story, ensure_ascii=False, indent=2))
        return
    for line in story_lines(story):
        click.echo(line)


# --- report -----------------------------------------------------------------------------------------------

@click.command()
@click.option("--month", required=True, metavar="YYYY-MM", help="Requests received in this (Vilnius) month.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--chart", type=click.Path(dir_okay=False), metavar="FILE.png",
              help="Also draw the figures as a bar chart (needs matplotlib: pip install 'itpc-ledger[chart]').")
@click.option("--lang", type=click.Choice(LANGS, case_sensitive=False), default=LANGS[0], show_default=True,
              help="Language of the table and the chart (the JSON keys and the CSV stay as they are).")
@pass_app
def report(app: App, month: str, fmt: str, chart: str | None, lang: str) -> None:
    """The month's figures (ITPC division functions 2.11): requests by kind and outcome, consents per
    system and customs office, decision times, deadline breaches, refusals by rule, top EORIs.

    \b
    Examples:
      itpc report --month 2026-11
      itpc report --month 2026-11 --lang en
      itpc report --month 2026-11 --format csv > 2026-11.csv
      itpc report --month 2026-11 --chart 2026-11.png
    """
    figures = month_report(_index(app).records(month=_month(month)), _month(month),
                           decision_deadline=_decision_deadline(app),
                           notice_minutes=app.settings.rules.notice_minutes,
                           office_names={o.code: o.name for o in app.offices}, now=app.clock())
    if fmt == "json":
        click.echo(json.dumps(figures, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        click.echo(report_csv(figures), nl=False)
    else:
        for line in report_lines(figures, lang):
            click.echo(line)
    if chart:
        bar_chart(figures, Path(chart), lang)
        click.echo(f"chart written to {chart}", err=True)


def _month(text: str) -> str:
    text = text.strip()
    try:
        year, month = (int(part) for part in text.split("-"))
        if not (1 <= month <= 12 and 1900 < year < 10000):
            raise ValueError
    except ValueError:
        raise Failure(f"--month: expected YYYY-MM, e.g. 2026-11, not {text!r}") from None
    return f"{year:04d}-{month:02d}"


# --- note (an entry like any other) -------------------------------------------------------------

@click.command()
@click.argument("number")
@click.argument("text", nargs=-1, required=True)
@pass_app
def note(app: App, number: str, text: tuple[str, ...]) -> None:
    """Add an officer's remark to a request; it is a ledger entry like any other and shows in `itpc show`.

    \b
    Example:
      itpc note ITPC-2026-000012 "Paskambinta įmonei, laukiame patikslinimo."
    """
    officer = acting_officer(app.settings)
    remark = " ".join(text).strip()
    if not remark:
        raise Failure("the note is empty")
    number = _number(number)
    if _index(app).record(number) is None:
        raise Failure(f"no request {number}")
    with Ledger.for_appending(app.ledger_dir, clock=app.clock,
                              lock_timeout=app.settings.ledger.lock_timeout) as ledger:
        entry = ledger.append(OFFICER_NOTE, {"request": number, "text": remark,
                                             "by": officer.login})
    app.refresh_view()
    click.echo(f"{number}: note recorded (entry {entry.seq})")


# --- completion -------------------------------------------------------------------------------------------

@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script for `itpc`.

    \b
    Examples:
      itpc completion bash > /etc/bash_completion.d/itpc
      eval "$(itpc completion zsh)"
    """

    root = click.get_current_context().find_root().command
    completer = get_completion_class(shell)(root, {}, "itpc", "_ITPC_COMPLETE")
    click.echo(completer.source())
