"""AFIS/CIS+ inactivity, rights changes and grants, wired to the ledger and the outbox (1B-280:10, 14-18).

``import_logins`` records the URT last-login export, ``reconcile`` (each tick) marks users Inactive and queues
their one e-mail, ``listing`` and ``change_notices`` feed the officers' commands, ``record_granted`` records that
the liaison officer gave the rights (the user is then told, 10).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Iterator

from config.errors import ConfigError, RequestError
from itpc import outbox
from itpc.app import App
from itpc.judge import decision_record
from itpc.officers import duty_officer, signature_context
from ledger.afis_users import AfisUser, AfisView
from ledger.clock import VILNIUS, parse_instant
from ledger.entries import AFIS_INACTIVE, AFIS_LOGIN, DECISION_MADE, DecisionMade
from responders.afis_inactivity import LETTER, LoginRow, RowError, Standing, mail_id, standing
from responders.compose import ComposeError, compose
from responders.letters import LetterError, render_letter
from responders.rules import Decision

log = logging.getLogger("itpc.afis")


def afis_view(app: App) -> AfisView:
    """The AFIS view of this app's ledger, folded once and then kept up to date by the subscription."""
    return app.fold(AfisView)


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
            "keep_until": (where.withdrawal_from - timedelta(days=1)).isoformat(),
            **signature_context(duty_officer(app.settings))},
            templates_dir=app.settings.templates.directory)
        raw = compose(sender=sender, to=[user.email], subject=letter.subject, body=letter.body,
                      message_id=outbox.message_id(ident, sender), automatic=True, date=now)
    except (LetterError, ComposeError, ConfigError) as exc:
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
class ChangeNotice:
    """One line of `itpc afis changes`: a rights change or loss notice (1B-280:14–15)."""
    number: str
    received_at: str
    outcome: str                # forwarded | returned | review | granted ...
    rules: list[str]
    changed_on: str | None      # when the change took effect, as the notice says
    notice_due: str | None      # the supervisor's 2 working days from the change, for sending the notice
    late: bool                  # the notice came after them
    officer_name: str | None
    institution: str | None
    change: str | None

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def change_notices(app: App, *, late_only: bool = False) -> Iterator[ChangeNotice]:
    """AFIS/CIS+ rights change and withdrawal notices in order of receipt; the 2 working days are the
    supervisor's for sending the notice (14–15), so a notice is late when it came after them."""
    for view in sorted(app.state.requests.values(), key=lambda r: (r.received, r.number)):
        if view.kind != "afis_change":
            continue
        decision = view.decision or {}
        fields = view.registered.get("fields") or {}
        due = decision.get("deadline") if decision.get("outcome") in ("forwarded", "granted") else None
        late = bool(due) and view.received > parse_instant(due)
        if late_only and not late:
            continue
        yield ChangeNotice(view.number, view.received_at, decision.get("outcome") or "open",
                           list(decision.get("rules") or []), fields.get("changed_on"), due, late,
                           fields.get("officer_name"), fields.get("institution"), fields.get("change"))


class GrantError(RequestError):
    """Access cannot be recorded as granted for this request; the message says why."""


def record_granted(app: App, number: str, *, officer: str) -> DecisionMade:
    """The liaison officer gave the rights a forwarded request or change notice asked for (1B-280:10, 16);
    the answerer then tells the user at the address the request names."""
    request = app.state.requests.get(number)
    if request is None or request.kind not in ("afis_access", "afis_change"):
        raise GrantError(f"no AFIS/CIS+ request {number}")
    latest = (request.decision or {}).get("outcome")
    if latest not in ("forwarded", "review"):
        raise GrantError(f"{number} is {latest or 'not decided'}; only a forwarded request (or one in review) "
                         "can be granted")
    now = app.clock()
    point = "1B-280:10" if request.kind == "afis_access" else "1B-280:16"
    with app.ledger.writing():
        if (app.state.requests[number].decision or {}).get("outcome") == "granted":
            raise GrantError(f"{number} is already granted")
        record = decision_record(request, Decision(outcome="granted", rules=(point,),
                                                   note="rights given in URT by the AFIS liaison officer"),
                                 app.state, decided_by=officer, decided_at=now)
        app.ledger.append(DECISION_MADE, record)
    return record
