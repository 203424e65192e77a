"""The Lithuanian institutions whose representatives may ask for AFIS/CIS+ rights (1B-280:6) and the mail
domains their mailboxes use (1B-280:8): the list ITPC ships in ``config/institutions.toml`` and can extend.

A sender belongs to the institution whose domain is the longest match (``vsat.vrm.lt`` names VSAT, not VRM, if
both are listed).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from config.errors import ConfigError
from config.settings import read_toml
from responders.senders import domain_of, in_domains


class InstitutionListError(ConfigError, ValueError):
    """The institutions list is missing, unreadable or malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class Institution:
    name: str
    domains: tuple[str, ...]


@dataclass(frozen=True)
class Institutions:
    items: tuple[Institution, ...] = ()

    def of(self, address: str | None) -> Institution | None:
        """The institution whose mailbox ``address`` is, or None for a domain not on the list."""
        if not domain_of(address):
            return None
        found = [(len(d), i) for i in self.items for d in i.domains if in_domains(address, [d])]
        return max(found, key=lambda hit: hit[0])[1] if found else None

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(d for i in self.items for d in i.domains)


@lru_cache(maxsize=8)
def load_institutions(path: Path) -> Institutions:
    """Read the list: ``[[institution]]`` tables with ``name`` and ``domains``."""
    data = read_toml(path, what="the institutions list", error=InstitutionListError)
    tables = data.get("institution")
    if not isinstance(tables, list) or not tables:
        raise InstitutionListError(f"{path}: expected [[institution]] tables with name and domains")
    return Institutions(tuple(_institution(table, n, path) for n, table in enumerate(tables, 1)))


def _institution(table: object, n: int, path: Path) -> Institution:
    name = table.get("name") if isinstance(table, dict) else None
    domains = table.get("domains") if isinstance(table, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise InstitutionListError(f"{path}: institution {n}: name must be a non-empty string")
    if not isinstance(domains, list) or not domains or not all(isinstance(d, str) and d.strip() for d in domains):
        raise InstitutionListError(f"{path}: institution {n} ({name}): domains must be a list of domain names")
    return Institution(name.strip(), tuple(d.strip().lower().lstrip("@").rstrip(".") for d in domains))
