"""AFIS/CIS+ inactivity (1B-280:17–18) from the URT last-login export, and overdue rights changes (14–16).

The liaison officer exports from URT a CSV ``username,name,email,last_login``; ``import_logins`` records each
new (username, last_login) pair as an ``afis.login`` entry. Each tick, ``reconcile`` finds the users who have
not logged in for over 9 months (calendar months, counted on Vilnius dates): their access gets the status
Inactive (``afis.inactive``, once per (username, last_login)) and they get ONE e-mail saying so (18). Over 12
months their rights are withdrawn without notice: they are only listed for the liaison officer.

Pure core (``parse_logins``, ``add_months``, ``standing``) and a thin shell (``AfisView`` folded from the
ledger, ``import_logins``, ``reconcile``, ``overdue_changes``).
"""
from __future__ import annotations

import calendar
import csv
import io
import logging
import re
import weakref
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Iterator

from ledger.app import App
from ledger.clock import VILNIUS, parse_instant, to_utc_iso
from ledger.store import Entry, Ledger, thaw

from . import outbox
from .compose import ComposeError, compose
from .letters import LetterError, render_letter

log = logging.getLogger("itpc.afis")

AFIS_LOGIN = "afis.login"
AFIS_INACTIVE = "afis.inactive"

INACTIVE_MONTHS = 9      # 1B-280:18 "daugiau kaip 9 mėnesius" → status Inactive and an e-mail
WITHDRAWAL_MONTHS = 12   # 1B-280:18 "daugiau negu metus" → rights withdrawn without further notice
COLUMNS = ("username", "name", "email", "last_login")
LETTER = "afis_inactive"


# ------------------------------------------------------------------------------------------------ pure core

class ExportError(ValueError):
    """The export as a whole cannot be read (no header, wrong columns, not text)."""


@dataclass(frozen=True)
class LoginRow:
    username: str
    name: str
    email: str
    last_login: str   # normalised: "YYYY-MM-DD" for a date, UTC ISO-8601 for a date and time
    line: int

    @property
    def key(self) -> tuple[str, str]:
        return (self.username, self.last_login)


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


def parse_logins(text: str) -> tuple[list[LoginRow], list[RowError]]:
    """The rows of a URT export and, separately, the malformed ones with their line numbers."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header: list[str] | None = None
    rows: list[LoginRow] = []
    errors: list[RowError] = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue  # blank line
            if header is None:
                header = [c.strip().lower() for c in cells]
                lacking = [c for c in COLUMNS if c not in header]
                if lacking:
                    raise ExportError(f"line {reader.line_num}: the header must name {','.join(COLUMNS)} "
                                      f"(lacks {','.join(lacking)})")
                continue
            try:
                rows.append(_row(header, cells, reader.line_num))
            except ValueError as exc:
                errors.append(RowError(reader.line_num, str(exc)))
    except csv.Error as exc:  # e.g. a NUL byte: the rest of the file cannot be trusted to split into rows
        errors.append(RowError(reader.line_num, f"unreadable CSV ({exc}); the rest of the file was skipped"))
    if header is None:
        raise ExportError("empty export: no header line")
    return rows, errors


def _row(header: list[str], cells: list[str], line: int) -> LoginRow:
    if len(cells) != len(header):
        raise ValueError(f"{len(cells)} columns, expected {len(header)}")
    value = {name: cell.strip() for name, cell in zip(header, cells)}
    username = value["username"]
    if not username:
        raise ValueError("username is empty")
    if any(c.isspace() for c in username):
        raise ValueError(f"username {username!r} contains spaces")
    email = value["email"]
    if email and not re.fullmatch(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+", email):
        raise ValueError(f"email {email!r} is not an e-mail address")
    return LoginRow(username=username, name=value["name"], email=email,
                    last_login=normalise_login(value["last_login"]), line=line)


def normalise_login(text: str) -> str:
    """"2026-02-01" stays a date; a date and time (no offset: Vilnius) becomes UTC ISO-8601."""
    text = text.strip()
    if not text:
        raise ValueError("last_login is empty")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(f"last_login {text!r} is not a date") from None
    try:
        return to_utc_iso(parse_instant(text))
    except ValueError:
        raise ValueError(f"last_login {text!r} is not an ISO-8601 date or date and time") from None


def login_day(last_login: str) -> date:
    """The Vilnius calendar day of a normalised last login."""
    if len(last_login) == 10:
        return date.fromisoformat(last_login)
    return parse_instant(last_login).astimezone(VILNIUS).date()


def add_months(day: date, months: int) -> date:
    """Calendar months later; a day the target month lacks becomes its last day (31 May + 9 → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True)
class Standing:
    """Where a user stands on ``today``: 'active', 'inactive' (over 9 months) or 'withdrawal' (over 12)."""
    status: str
    inactive_from: date     # first day over 9 months without login
    withdrawal_from: date   # first day over 12 months without login


def standing(last_login: str, today: date) -> Standing:
    """1B-280:18 on calendar days: "over 9 months" starts the day after the 9-month anniversary."""
    day = login_day(last_login)
    inactive_from = add_months(day, INACTIVE_MONTHS) + timedelta(days=1)
    withdrawal_from = add_months(day, WITHDRAWAL_MONTHS) + timedelta(days=1)
    status = ("withdrawal" if today >= withdrawal_from else "inactive" if today >= inactive_from else "active")
    return Standing(status, inactive_from, withdrawal_from)


def mail_id(username: str, last_login: str) -> str:
    """The outbox id of the one Inactive e-mail per (username, last_login)."""
    return f"afis/inactive/{username}/{last_login}"


# ------------------------------------------------------------------------------------------------ the view

@dataclass
class AfisUser:
    username: str
    name: str
    email: str
    last_login: str
    imported_at: str

    @property
    def day(self) -> date:
        return login_day(self.last_login)


@dataclass
class AfisView:
    """AFIS users folded from `afis.login` / `afis.inactive` entries; a user's latest login wins."""
    users: dict[str, AfisUser] = field(default_factory=dict)
    seen: set[tuple[str, str]] = field(default_factory=set)
    inactive: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # key -> entry data + "at"

    def apply(self, entry: Entry) -> None:
        if entry.type == AFIS_LOGIN:
            data = thaw(entry.data)
            key = (data["username"], data["last_login"])
            self.seen.add(key)
            current = self.users.get(key[0])
            # An older export imported after a newer one must not bring back an older login.
            if current is None or _instant(data["last_login"]) >= _instant(current.last_login):
                self.users[key[0]] = AfisUser(data["username"], data.get("name") or "", data.get("email") or "",
                                              data["last_login"], entry.ts)
        elif entry.type == AFIS_INACTIVE:
            data = thaw(entry.data)
            self.inactive[(data["username"], data["last_login"])] = {**data, "at": entry.ts}


def _instant(last_login: str) -> datetime:
    if len(last_login) == 10:  # a bare date counts as the start of that Vilnius day
        return datetime.combine(date.fromisoformat(last_login), datetime.min.time(), VILNIUS)
    return parse_instant(last_login)


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
                                       daily_cap=int(app.settings.get("outbox", "daily_cap")))
    return queued


def _letter(app: App, user: AfisUser, where: Standing, ident: str,
            now: datetime) -> tuple[bytes | None, str, str | None]:
    """The e-mail's bytes and subject, or None and the reason it cannot be sent (recorded, never raised)."""
    if not user.email:
        return None, "", "no e-mail address in the URT export"
    sender = app.settings.get("outbox", "from")
    try:
        letter = render_letter(LETTER, {
            "addressee": user.name, "username": user.username, "last_login": user.day.isoformat(),
            "inactive_from": where.inactive_from.isoformat(),
            "keep_until": (where.withdrawal_from - timedelta(days=1)).isoformat()},
            templates_dir=Path(app.settings.get("templates", "directory")))
        domain = sender.rsplit("@", 1)[-1]
        raw = compose(sender=sender, to=[user.email], subject=letter.subject, body=letter.body,
                      message_id=f"<{re.sub(r'[^A-Za-z0-9.-]', '.', ident)}@{domain}>", automatic=True, date=now)
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
