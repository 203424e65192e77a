"""The AFIS/CIS+ users folded from `afis.login` and `afis.inactive` entries (1B-280:17-18)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ledger.clock import VILNIUS, parse_instant
from ledger.entries import AFIS_INACTIVE, AFIS_LOGIN
from ledger.store import Entry, thaw


def login_day(last_login: str) -> date:
    """The Vilnius calendar day of a normalised last login."""
    if len(last_login) == 10:
        return date.fromisoformat(last_login)
    return parse_instant(last_login).astimezone(VILNIUS).date()


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


