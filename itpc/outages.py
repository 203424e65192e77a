"""Record an officer's outage commands (1B-1029:17-20, 31-32) in the ledger, once each, with the officer's login
(``by``, itpc.officers)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from itpc.app import App
from ledger.clock import parse_instant
from ledger.entries import OUTAGE_CANCELLED, OUTAGE_DECLARED, OUTAGE_ENDED, OUTAGE_EXTENDED, OutageDeclared, OutageEnded
from responders.outages import (PLANNED, begin, cancel, extend, extendable, finish, outage_id, outages_of, plan,
                                system_name)


def record_plan(app: App, system: str, start: datetime, end: datetime, *, by: str, force: bool = False,
                reason: str | None = None) -> tuple[dict[str, Any], bool]:
    """Append ``outage.declared`` for a planned stop; (data, False) when exactly this one is already declared."""
    now = app.clock()
    with app.ledger.writing():
        existing = outages_of(app.state.outages.values())
        same = app.state.outages.get(outage_id(system_name(system), start))
        if same and same.get("kind") == PLANNED and _planned_end(same) == end:
            return dict(same), False
        data: OutageDeclared = {**plan(existing, system, start, end, now, force=force, reason=reason), "by": by}
        app.ledger.append(OUTAGE_DECLARED, data)
    return data, True


def record_extend(app: App, system: str, end: datetime, *, by: str) -> tuple[dict[str, Any], bool]:
    """Append ``outage.extended`` for the planned stop of ``system`` going on (else the next); (data, False)
    when it already ends at ``end`` by an extension (the command run again)."""
    now = app.clock()
    with app.ledger.writing():
        existing = outages_of(app.state.outages.values())
        outage = extendable(existing, system, now)
        if outage.extensions and outage.end == end:
            return dict(app.state.outages[outage.id]["extensions"][-1]), False
        data = {**extend(existing, outage, end, now), "by": by}
        app.ledger.append(OUTAGE_EXTENDED, data)
    return dict(data), True


def record_cancel(app: App, outage_id_: str, *, reason: str, by: str) -> tuple[dict[str, Any], bool]:
    """Append ``outage.cancelled`` for a planned stop not yet begun; (data, False) when it is already called
    off (the command run again)."""
    now = app.clock()
    with app.ledger.writing():
        record = app.state.outages.get(outage_id_)
        if record and record.get("cancelled"):
            return dict(record["cancelled"]), False
        data = cancel(outages_of(app.state.outages.values()), outage_id_, now, reason=reason, by=by)
        app.ledger.append(OUTAGE_CANCELLED, data)
    return dict(data), True


def record_start(app: App, system: str, at: datetime, *, by: str) -> OutageDeclared:
    with app.ledger.writing():
        data: OutageDeclared = {**begin(outages_of(app.state.outages.values()), system, at, app.clock()), "by": by}
        app.ledger.append(OUTAGE_DECLARED, data)
    return data


def record_end(app: App, system: str, at: datetime, *, by: str) -> OutageEnded:
    with app.ledger.writing():
        data: OutageEnded = {**finish(outages_of(app.state.outages.values()), system, at, app.clock()), "by": by}
        app.ledger.append(OUTAGE_ENDED, data)
    return data


def _planned_end(record: dict[str, Any]) -> datetime:
    """The end a planned stop was announced with, before any extension."""
    extensions = record.get("extensions") or []
    return parse_instant(extensions[0]["previous_end"] if extensions else record["end"])
