"""The officers directory (``config/officers.toml``, DESIGN.md principle 7): who may act as an ITPC officer, and
the name, position and e-mail address their letters and Sutikimas documents carry (1B-1029 annex 2: "(pareigų
pavadinimas)", "(vardas ir pavardė)").

Each ``[[officer]]`` table has ``login`` (the Unix login the officer runs `itpc` under, or runs `sudo` from),
``name``, ``position`` and ``email``. A login appears once. The file is read with ``read_toml``; every problem
is one ``OfficersError`` naming the file and the entry.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from config.errors import ConfigError
from config.settings import read_toml

FIELDS = ("login", "name", "position", "email")


class OfficersError(ConfigError, ValueError):
    """The officers directory is missing, unreadable or malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class Officer:
    login: str
    name: str                 # "Rūta Žemaitienė", printed under "(vardas ir pavardė)"
    position: str             # "Vyriausioji specialistė", printed under "(pareigų pavadinimas)"
    email: str


@dataclass(frozen=True)
class Officers:
    path: Path
    items: tuple[Officer, ...] = ()

    def get(self, login: str) -> Officer | None:
        return next((o for o in self.items if o.login == login), None)

    def __len__(self) -> int:
        return len(self.items)


def load_officers(path: Path) -> Officers:
    """Read the directory: ``[[officer]]`` tables with login, name, position and email."""
    data = read_toml(path, what="the officers directory", error=OfficersError)
    tables = data.get("officer")
    if not isinstance(tables, list) or not tables:
        raise OfficersError(f"{path}: expected [[officer]] tables with {', '.join(FIELDS)}")
    items = tuple(_officer(table, n, path) for n, table in enumerate(tables, 1))
    logins = [o.login for o in items]
    twice = sorted({login for login in logins if logins.count(login) > 1})
    if twice:
        raise OfficersError(f"{path}: login {', '.join(twice)} is listed more than once")
    return Officers(path, items)


def _officer(table: object, n: int, path: Path) -> Officer:
    if not isinstance(table, dict):
        raise OfficersError(f"{path}: officer {n}: expected a table with {', '.join(FIELDS)}")
    values = {}
    for key in FIELDS:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            raise OfficersError(f"{path}: officer {n}: {key} must be a non-empty string")
        values[key] = " ".join(value.split())
    unknown = sorted(set(table) - set(FIELDS))
    if unknown:
        raise OfficersError(f"{path}: officer {n} ({values['login']}): unknown key {', '.join(unknown)}")
    if values["email"].count("@") != 1 or not all(values["email"].split("@")):
        raise OfficersError(f"{path}: officer {n} ({values['login']}): email is not an e-mail address")
    return Officer(**values)
