"""`itpc tick` and `itpc outage plan|extend|start|end|list`: the scheduler's reconciliation and MDAS/NTKS outages
(1B-1029:17-20, 31-32, 45). ``itpc.cli`` finds these commands by name (``COMMANDS``)."""
from __future__ import annotations

import sys
from datetime import datetime

import click

from itpc.app import App
from itpc.cli_support import Failure, instant, pass_app
from itpc.dryrun import rehearsal_report
from itpc.officers import acting_officer
from itpc.outages import record_cancel, record_end, record_extend, record_plan, record_start
from itpc.tick import Tick, run_tick
from ledger.clock import parse_instant, shown
from responders.outages import SYSTEMS, outages_of

# SYSTEM as every outage command takes it: a system the notice rules know, in any case (click hands on the
# choice as listed, upper case).
_system = click.argument("system", type=click.Choice(SYSTEMS, case_sensitive=False))
_dry_run = click.option("--dry-run", is_flag=True,
                        help="Print the notices the command would send; record, publish and send nothing.")


def _instant(option: str, text: str | None, app: App) -> datetime:
    return instant(option, text) if text else app.clock()


def _rehearse(app: App, dry_run: bool) -> None:
    if dry_run:
        app.rehearse()


def _reconcile(app: App, dry_run: bool = False) -> None:
    if dry_run:  # only the notices this command implies, queued in memory: no page written, nothing sent
        Tick(app).announce_outages()
        click.echo(rehearsal_report(app))
        return
    report = run_tick(app)
    app.refresh_view()
    click.echo(report.summary())
    if report.errors:
        raise Failure("; ".join(report.errors))


@click.command()
@pass_app
def tick(app: App) -> None:
    """Do what is due at --now and not done yet: notices, deadline alerts, expiry, outages, page, sending.

    Running it again does nothing new; a tick killed midway and run again does each thing once.

    \b
    Example:
      itpc --now 2026-11-23T09:30 tick
    """
    _reconcile(app)


@click.group()
def outage() -> None:
    """Record MDAS/NTKS outages: planned stops and unplanned failures (1B-1029:17-20, 31-32)."""


@outage.command("plan")
@_system
@click.option("--from", "start", required=True, metavar="ISO-8601", help="When the stop begins.")
@click.option("--to", "end", required=True, metavar="ISO-8601", help="When the system works again.")
@click.option("--force", is_flag=True, help="Record it although the notice period of the rules is not kept.")
@click.option("--reason", help="Why the notice period is not kept (required with --force).")
@_dry_run
@pass_app
def plan_command(app: App, system: str, start: str, end: str, force: bool, reason: str | None, dry_run: bool) -> None:
    """Announce a planned stop to every customs office (MDAS at least 1 day ahead, 18; NTKS 30 days, 32).

    \b
    Example:
      itpc outage plan MDAS --from 2026-12-05T20:00 --to 2026-12-06T02:00
      itpc outage plan MDAS --from 2026-12-05T20:00 --to 2026-12-06T02:00 --dry-run   # the notices only
    """
    officer = acting_officer(app.settings)
    _rehearse(app, dry_run)
    data, new = record_plan(app, system, _instant("--from", start, app), _instant("--to", end, app),
                            by=officer.login, force=force, reason=reason)
    click.echo(f"{data['id']}: planned {data['system']} stop {shown(parse_instant(data['start']))} – "
               f"{shown(parse_instant(data['end']))}" + ("" if new else " (already declared)"))
    _reconcile(app, dry_run)


@outage.command("extend")
@_system
@click.option("--to", "end", required=True, metavar="ISO-8601", help="When the system will work again now.")
@_dry_run
@pass_app
def extend_command(app: App, system: str, end: str, dry_run: bool) -> None:
    """Extend the planned stop going on (else the next one): from now the procedure applies without a request
    and every office is told so at once (MDAS: 20; NTKS: 31 once the stop lasts more than 2 hours).

    \b
    Example:
      itpc outage extend MDAS --to 2026-12-06T06:00
    """
    officer = acting_officer(app.settings)
    _rehearse(app, dry_run)
    data, new = record_extend(app, system, _instant("--to", end, app), by=officer.login)
    click.echo(f"{data['id']}: extended from {shown(parse_instant(data['previous_end']))} to "
               f"{shown(parse_instant(data['end']))}" + ("" if new else " (already extended)"))
    _reconcile(app, dry_run)


@outage.command("cancel")
@click.argument("outage_id", metavar="ID")
@click.option("--reason", required=True, help="Why the stop will not happen (the offices are told).")
@_dry_run
@pass_app
def cancel_command(app: App, outage_id: str, reason: str, dry_run: bool) -> None:
    """Call off a planned stop that has not begun: it is no longer announced, and the offices and the public
    list that were told of it are told it will not happen (IDs: itpc outage list).

    \b
    Example:
      itpc outage cancel MDAS-20261205T2000Z --reason "Atnaujinimas atidėtas"
    """
    officer = acting_officer(app.settings)
    _rehearse(app, dry_run)
    data, new = record_cancel(app, outage_id, reason=reason, by=officer.login)
    click.echo(f"{data['id']}: cancelled" + ("" if new else " (already cancelled)"))
    _reconcile(app, dry_run)


@outage.command("start")
@_system
@click.option("--at", metavar="ISO-8601", help="When the failure began (default: now).")
@pass_app
def start_command(app: App, system: str, at: str | None) -> None:
    """Record an unplanned failure; after two hours every office is told the procedure needs no request (20).

    \b
    Example:
      itpc outage start MDAS --at 2026-11-23T08:10
    """
    officer = acting_officer(app.settings)
    data = record_start(app, system, _instant("--at", at, app), by=officer.login)
    click.echo(f"{data['id']}: {data['system']} down since {shown(parse_instant(data['start']))}")
    _reconcile(app)


@outage.command("end")
@_system
@click.option("--at", metavar="ISO-8601", help="When the system worked again (default: now).")
@pass_app
def end_command(app: App, system: str, at: str | None) -> None:
    """Record that an unplanned failure is over; the offices and everyone who reported it are told (20, 32).

    (A planned stop ends at its --to; the same notices go out then.)

    \b
    Example:
      itpc outage end MDAS --at 2026-11-23T11:40
    """
    officer = acting_officer(app.settings)
    data = record_end(app, system, _instant("--at", at, app), by=officer.login)
    click.echo(f"{data['id']}: over at {shown(parse_instant(data['end']))}")
    _reconcile(app)


@outage.command("list")
@pass_app
def list_command(app: App) -> None:
    """Show every recorded outage, oldest first.

    \b
    Example:
      itpc outage list
    """
    now = app.clock()
    for o in outages_of(app.state.outages.values()):
        state = "over" if o.over(now) else "ongoing" if o.ongoing(now) else "to come"
        extended = f" (extended {len(o.extensions)}×)" if o.extensions else ""
        click.echo(f"{o.id:<22} {o.system:<5} {o.kind:<10} {o.window():<37} {state}{extended}")
    sys.stdout.flush()
