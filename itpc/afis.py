"""AFIS/CIS+ inactivity and rights changes, wired to the ledger and the outbox (1B-280:14-18).

``import_logins`` records the URT last-login export, ``reconcile`` (each tick) marks users Inactive and queues
their one e-mail, ``listing`` and ``overdue_changes`` feed the officers' commands.
"""
from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Iterator

from itpc import outbox
from itpc.app import App
from ledger.afis_users import AfisUser, AfisView
from ledger.clock import VILNIUS, parse_instant
from ledger.entries import AFIS_INACTIVE, AFIS_LOGIN
from ledger.store import Ledger
from responders.afis_inactivity import LETTER, LoginRow, RowError, Standing, mail_id, standing
from responders.compose import ComposeError, compose
from responders.letters import LetterError, render_letter

log = logging.getLogger("itpc.afis")

_VIEWS: "weakref.WeakKeyDictionary[Ledger, AfisView]" = weakref.WeakKeyDictionary()


def afis_view(app: App) -> AfisView:
    """The AFIS view of this app's ledger, folded once and then kept up to date by the subscription."""
    view = _VIEWS.get(app.ledger)
    if view is None:
        view = _VIEWS[app.ledger] = AfisView()
        app.ledger.subscribe(view.apply)
    return view


# ------------------------------------------------------------------------------------------------ the shell

@dataclass
class ImportResult:
    imported: int = 0
    known: int = 0
    errors: list[RowError] = field(default_factory=list)


def read_export(path: Path) -> str:
    """The export's text: UTF-8 (with or without BOM), else Windows-1257 as older Baltic exports are."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1257", errors="replace")


def import_logins(app: App, rows: Iterable[LoginRow], *, source: str = "") -> ImportResult:
    """Record each row whose (username, last_login) is new; re-importing the same export records nothing."""
    view = afis_view(app)
    result = ImportResult()
    for row in rows:
        # One lock per row, not per file: a long import must not hold up the running `itpc run`.
        with app.ledger.writing():  # folds other writers' entries first, so the check is current
            if row.key in view.seen:
                result.known += 1
                continue
            app.ledger.append(AFIS_LOGIN, {"username": row.username, "name": row.name, "email": row.email,
                                           "last_login": row.last_login, "source": source, "line": row.line})
        result.imported += 1
    return result


def reconcile(app: App) -> int:
    """Mark every user over 9 months without login Inactive and queue their one e-mail; returns how many
    e-mails were queued. Idempotent, so a tick missed or interrupted is made good by the next one."""
    view = afis_view(app)
    app.ledger.refresh()
    now = app.clock()
    today = now.astimezone(VILNIUS).date()
    queued = 0
    for user in sorted(view.users.values(), key=lambda u: u.username):
        where = standing(user.last_login, today)
        key = (user.username, user.last_login)
        if where.status != "inactive":
            # Past 12 months the rights go without notice (18): listed by `itpc afis inactive`, never mailed.
            continue
        ident = mail_id(*key)
        if key in view.inactive and (ident in app.state.outbox or not view.inactive[key].get("mail")):
            continue
        raw, subject, problem = _letter(app, user, where, ident, now)
        with app.ledger.writing():
            if key not in view.inactive:
                app.ledger.append(AFIS_INACTIVE, {
                    "username": user.username, "last_login": user.last_login,
                    "inactive_from": where.inactive_from.isoformat(), "rules": ["1B-280:18"],
                    "mail": ident if raw else None, **({"reason": problem} if problem else {})})
                log.info("AFIS user %s inactive (last login %s)%s", user.username, user.last_login,
                         f"; no e-mail: {problem}" if problem else "")
            if raw and view.inactive[key].get("mail"):
                queued += outbox.queue(app.ledger, app.state, app.archive,
                                       outbox.Outgoing(id=ident, request=None, purpose="afis_inactive",
                                                       to=(user.email,), subject=subject, raw=raw, date=now),
                                       daily_cap=app.settings.outbox.daily_cap)
    return queued


def _letter(app: App, user: AfisUser, where: Standing, ident: str,
            now: datetime) -> tuple[bytes | None, str, str | None]:
    """The e-mail's bytes and subject, or None and the reason it cannot be sent (recorded, never raised)."""
    if not user.email:
        return None, "", "no e-mail address in the URT export"
    sender = app.settings.outbox.sender
    try:
        letter = render_letter(LETTER, {
            "addressee": user.name, "username": user.username, "last_login": user.day.isoformat(),
            "inactive_from": where.inactive_from.isoformat(),
            "keep_until": (where.withdrawal_from - timedelta(days=1)).isoformat()},
            templates_dir=app.settings.templates.directory)
        raw = compose(sender=sender, to=[user.email], subject=letter.subject, body=letter.body,
                      message_id=outbox.message_id(ident, sender), automatic=True, date=now)
    except (LetterError, ComposeError) as exc:
        return None, "", str(exc)
    return raw, letter.subject, None


@dataclass(frozen=True)
class Listed:
    """One line of `itpc afis inactive`."""
    username: str
    name: str
    email: str
    last_login: str
    status: str                 # inactive | withdrawal
    inactive_from: str
    withdrawal_from: str
    marked_at: str | None       # when the Inactive status was recorded
    mail: str | None            # queued | sent | held | failed | none

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def listing(app: App) -> list[Listed]:
    """The users Inactive and those due for withdrawal today, oldest login first."""
    view = afis_view(app)
    today = app.clock().astimezone(VILNIUS).date()
    out = []
    for user in sorted(view.users.values(), key=lambda u: (u.day, u.username)):
        where = standing(user.last_login, today)
        if where.status == "active":
            continue
        marked = view.inactive.get((user.username, user.last_login))
        item = app.state.outbox.get(mail_id(user.username, user.last_login))
        mail = ("none" if item is None else "sent" if item.sent else "held" if item.held
                else "failed" if item.failures else "queued")
        out.append(Listed(user.username, user.name, user.email, user.last_login, where.status,
                          where.inactive_from.isoformat(), where.withdrawal_from.isoformat(),
                          marked["at"] if marked else None, mail))
    return out


@dataclass(frozen=True)
class OverdueChange:
    number: str
    received_at: str
    deadline: str
    rules: list[str]
    officer_name: str | None
    institution: str | None
    change: str | None

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def overdue_changes(app: App, *, include_pending: bool = False) -> Iterator[OverdueChange]:
    """AFIS rights changes/withdrawals (1B-280:14–15) still awaiting the liaison officer past their
    2-working-day deadline (16); with ``include_pending``, those not yet due too."""
    now = app.clock()
    for view in sorted(app.state.requests.values(), key=lambda r: (r.received, r.number)):
        decision = view.decision or {}
        if view.kind != "afis_change" or decision.get("outcome") != "review" or not decision.get("deadline"):
            continue
        if not include_pending and parse_instant(decision["deadline"]) >= now:
            continue
        fields = view.registered.get("fields") or {}
        yield OverdueChange(view.number, view.received_at, decision["deadline"], list(decision.get("rules") or []),
                            fields.get("officer_name"), fields.get("institution"), fields.get("change"))
