"""`itpc check`: is this installation ready to run? One line per check, and exit 1 if any failed.

It reads the configuration and its files (offices, templates, institutions, reason lists, traders registry),
writes and removes a file in every folder the service writes to, logs in to the IMAP folder (read-only) and
greets and logs in to the SMTP server, but never sends mail and changes nothing on either server. The officers
directory must hold the duty officer ``[itpc] duty_officer`` names, who signs every automatic letter. ``itpc.cli``
finds this command by name (``COMMANDS``).
"""
from __future__ import annotations

import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterator

import click

from config import Settings
from config.common_transit import load_transit_countries
from ingest.imap import ImapSource
from ingest.offices import OfficeDirectory
from ingest.sources import imap_endpoint, maildir_path
from itpc.app import ARCHIVE_DIR, App
from itpc.cli_support import pass_app
from itpc.failures import os_failure
from itpc.officers import directory, duty_officer
from ledger.clock import VILNIUS
from ledger.files import make_folders
from responders.institutions import load_institutions
from responders.letters import LETTERS, leftover_markup, render_letter
from responders.reasons import ReasonLists
from responders.traders import TraderRegistry
from responders.transport import open_transport

Check = tuple[str, Callable[[], str]]  # what is checked, and the probe: a detail line, or an exception

# A value for each context key the letters take (responders/letters.py), so every template renders once.
_MOMENT = datetime(2026, 11, 23, 9, 0, tzinfo=VILNIUS)
_SAMPLE: dict[str, Any] = {
    "offices": [("LTVR1000", "Vilniaus krovinių postas")], "systems": ["MDAS"], "system": "MDAS",
    "motives": ["Pavyzdinis motyvas (Muitinės veiklos tęstinumo taisyklių 12 punktas)."],
    "rules": ["1B-1029:20"], "modules": ["AFIS"], "purposes": ["Pavyzdinis tikslas"], "point": 20,
    "access_type": "CCN/CSI", "request_numbers": ["ITPC-2026-000001"], "eori": "LT123456789",
    "departure": [("Vilniaus oro uostas", "LTVR1000")], "destination": [("Oslo lufthavn", "NO001234")],
}


@click.command()
@pass_app
@click.pass_context
def check(ctx: click.Context, app: App) -> None:
    """Check the configuration, its files, every folder written to, and the mail servers; send nothing.

    Prints "ok    WHAT: DETAIL" or "FAIL  WHAT: WHY" per check and exits 1 if any failed.

    \b
    Example:
      ITPC_IMAP_PASSWORD=... ITPC_SMTP_PASSWORD=... itpc --config /etc/itpc/itpc.toml check
    """
    failed = 0
    for what, probe in checks(app.settings):
        try:
            detail = probe()
        except Exception as exc:  # noqa: BLE001 - whatever goes wrong is this check's answer, never a traceback
            failed += 1
            click.echo(f"FAIL  {what}: {_why(exc)}")
        else:
            click.echo(f"ok    {what}: {detail}")
    if failed:
        ctx.exit(1)


def checks(settings: Settings) -> Iterator[Check]:
    """Every check, in the order an operator fixes things: files first, then folders, then servers."""
    yield "configuration", lambda: str(settings.source or "shipped defaults only")
    yield "offices directory", lambda: _offices(settings.offices.directory)
    yield "templates", lambda: _templates(settings.templates.directory)
    yield "institutions directory", lambda: _institutions(settings.institutions.directory)
    yield "officers directory", lambda: _officers(settings)
    yield "common transit directory", lambda: _transit(settings.etd.common_transit)
    yield "reason lists", lambda: _loaded(ReasonLists.load, settings.rules.reasons)
    if settings.rules.traders:
        yield "traders registry", lambda: _loaded(TraderRegistry.load, settings.rules.traders)
    for what, folder in _folders(settings):
        yield f"{what} writable", lambda folder=folder: _writable(folder)
    yield "mailbox", lambda: _mailbox(settings)
    yield "outbox", lambda: open_transport(settings.outbox.url, settings.outbox).check()


def _folders(settings: Settings) -> Iterator[tuple[str, Path]]:
    ledger = settings.ledger
    yield "ledger folder", ledger.path
    yield "archive folder", ledger.path / ARCHIVE_DIR
    yield "outage page folder", settings.outages.page_directory
    if ledger.checkpoint_file:
        yield "checkpoint file folder", ledger.checkpoint_file.parent
    if settings.mailbox.url.lower().startswith("maildir://"):
        # Registered messages are moved from new/ to cur/.
        for sub in ("new", "cur"):
            yield f"mailbox {sub}/ folder", maildir_path(settings.mailbox.url) / sub


def _offices(path: Path) -> str:
    return f"{path} ({len(OfficeDirectory.load(path))} offices)"


def _institutions(path: Path) -> str:
    return f"{path} ({len(load_institutions(path).items)} institutions)"


def _officers(settings: Settings) -> str:
    duty = duty_officer(settings)  # reads the directory: a malformed one fails here, naming the entry
    return (f"{settings.officers.directory} ({len(directory(settings))} officers; duty officer {duty.login}: "
            f"{duty.position} {duty.name})")


def _transit(path: Path) -> str:
    countries = load_transit_countries(path)
    unverified = sum(not a.verified for a in countries.authorities)
    # An unverified address holds its TC26 back (1B-1052:40): worth a word, not a failure.
    return (f"{path} ({len(countries.member_states)} member states, {len(countries.authorities)} common transit "
            f"authorities, {unverified} addresses not yet verified)")


def _loaded(load: Callable[[Path], object], path: Path) -> str:
    load(path)
    return str(path)


def _templates(directory: Path) -> str:
    """Every letter renders with a sample context and leaves no template markup behind."""
    for name in sorted(LETTERS):
        letter = render_letter(name, sample_context(name), templates_dir=directory)
        left = leftover_markup(letter.subject + letter.body)
        if left:
            raise ValueError(f"letter {name!r}: template markup left after rendering: {' '.join(left)}")
    return f"{directory} ({len(LETTERS)} letters render)"


def sample_context(name: str) -> dict[str, Any]:
    """A context for letter ``name``: a plausible value for each key it requires (times a day apart)."""
    context: dict[str, Any] = {}
    for n, key in enumerate(LETTERS[name].required):
        if key in _SAMPLE:
            context[key] = _SAMPLE[key]
        elif key.endswith(("_at", "_from", "_to", "_end", "_on", "_login", "_until")) or key in (
                "deadline", "start", "end", "effective", "due"):
            context[key] = _MOMENT + timedelta(days=n)
        elif key.endswith("_no"):
            context[key] = "ITPC-2026-000001"
        else:
            context[key] = "pavyzdys"
    return context


def _writable(folder: Path) -> str:
    """Made if missing (as the service would), then a file created in it and removed: a real write, since
    permission bits say nothing to root."""
    make_folders(folder)
    fd, probe = tempfile.mkstemp(prefix=".itpc-check.", dir=folder)
    os.close(fd)
    os.unlink(probe)
    return str(folder)


def _mailbox(settings: Settings) -> str:
    mailbox = settings.mailbox
    if mailbox.url.lower().startswith("maildir://"):
        return f"maildir {maildir_path(mailbox.url)} (its folders are checked above)"
    source = ImapSource(imap_endpoint(mailbox.url, os.environ), processed_folder=mailbox.processed_folder,
                        timeout=mailbox.timeout, connect=False)
    return source.check()


def _why(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return os_failure(exc)
    return str(exc) or type(exc).__name__
