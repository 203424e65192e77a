"""AFIS/CIS+ inactivity (1B-280:17–18) from the URT last-login export, and overdue rights changes (14–16).

The liaison officer exports from URT a CSV ``username,name,email,last_login``; ``import_logins`` records each
new (username, last_login) pair as an ``afis.login`` entry. Each tick, ``reconcile`` finds the users who have
not logged in for over 9 months (calendar months, counted on Vilnius dates): their access gets the status
Inactive (``afis.inactive``, once per (username, last_login)) and they get ONE e-mail saying so (18). Over 12
months their rights are withdrawn without notice: they are only listed for the liaison officer.

This module is the pure core (``parse_logins``, ``add_months``, ``standing``); the users are folded from the
ledger in ``ledger.afis_users`` and the shell (``import_logins``, ``reconcile``, ``change_notices``) is
``itpc.afis``.
"""
from __future__ import annotations

import calendar
import csv
import io
import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta

from config.errors import DocumentError
from ledger.afis_users import login_day
from ledger.clock import parse_instant, to_utc_iso

log = logging.getLogger("itpc.afis")


INACTIVE_MONTHS = 9      # 1B-280:18 "daugiau kaip 9 mėnesius" → status Inactive and an e-mail
WITHDRAWAL_MONTHS = 12   # 1B-280:18 "daugiau negu metus" → rights withdrawn without further notice
COLUMNS = ("username", "name", "email", "last_login")
LETTER = "afis_inactive"


# ------------------------------------------------------------------------------------------------ pure core

class ExportError(DocumentError, ValueError):
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
