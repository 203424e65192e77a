"""The countries an ETD authorisation's offices of departure and destination may lie in, and how each is
consulted (1B-1052:16, 32, 40): Lithuania itself (no consultation), an EU member state (consulted in MSVS), or
a common transit country (consulted by e-mail with the TC26 form, to its competent authority).

The directory ships as ``config/common_transit.toml`` ([etd] common_transit names another): the member states'
codes and names, and each common transit country's competent authority with its e-mail address. The
addresses are published on the TAXUD page that 1B-1052:40 names; an entry not yet checked against it says
``verified = false``, so the register can tell an officer before it writes to one. A country in neither list
is an ``UnknownCountry`` error: the file is edited, nothing is guessed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from config.errors import ConfigError, ItpcError
from config.settings import read_toml

# A customs office reference number (COL): the country's ISO 3166 alpha-2 code and six characters.
OFFICE_CODE = re.compile(r"^[A-Z]{2}[A-Z0-9]{6}$")


class CommonTransitError(ConfigError, ValueError):
    """The directory is missing, unreadable or malformed; the message names the file and the entry."""


class UnknownCountry(ItpcError, LookupError):
    """A country (or an office's country) the directory does not list as Lithuania, a member state or a
    common transit country; the message names the code and the file to edit."""


class Standing(StrEnum):
    """How an office's country is consulted (1B-1052:16)."""
    HOME = "home"                        # Lithuania: the authorisation is ours, no consultation
    MEMBER_STATE = "member_state"        # another EU member state: consulted in MSVS
    COMMON_TRANSIT = "common_transit"    # a common transit country: the TC26 form by e-mail (16, 32)


@dataclass(frozen=True)
class Country:
    code: str                            # ISO 3166 alpha-2, as office reference numbers begin ("CH")
    name_lt: str                         # "Šveicarija"
    name_en: str                         # "Switzerland"
    aliases: tuple[str, ...] = ()        # other codes people write for it (Greece: "EL")


@dataclass(frozen=True)
class Authority:
    """A common transit country's competent authority for ETD consultations (1B-1052:16, 32, 40)."""
    country: Country
    name: str                            # "Federal Office for Customs and Border Security (FOCBS)"
    email: str
    verified: bool                       # False: a plausible address not yet checked against the TAXUD list


@dataclass(frozen=True)
class TransitCountries:
    home: Country                        # Lithuania
    member_states: tuple[Country, ...]   # the other EU member states
    authorities: tuple[Authority, ...]   # one per common transit country
    source: Path | None = None           # the file it was read from (named in errors)

    def standing(self, code: str) -> Standing:
        """How country ``code`` is consulted; ``UnknownCountry`` when the directory does not list it."""
        key = _code_key(code)
        if key in self.home.aliases or key == self.home.code:
            return Standing.HOME
        if any(key == c.code or key in c.aliases for c in self.member_states):
            return Standing.MEMBER_STATE
        if any(key == a.country.code or key in a.country.aliases for a in self.authorities):
            return Standing.COMMON_TRANSIT
        raise self._unknown(code)

    def standing_of_office(self, office_code: str) -> Standing:
        """How the country of the office with reference number ``office_code`` ("CH001234") is consulted."""
        return self.standing(office_country(office_code))

    def authority(self, code: str) -> Authority:
        """The competent authority of common transit country ``code``; ``UnknownCountry`` for any other."""
        key = _code_key(code)
        for authority in self.authorities:
            if key == authority.country.code or key in authority.country.aliases:
                return authority
        if self.standing(code) is Standing.MEMBER_STATE:
            raise UnknownCountry(f"{key} is an EU member state: it is consulted in MSVS, not by e-mail "
                                 "(1B-1052:16)")
        raise UnknownCountry(f"{key} is Lithuania: its offices need no consultation (1B-1052:16)")

    def country(self, code: str) -> Country:
        """Any listed country by its code (names in Lithuanian and English)."""
        key = _code_key(code)
        for country in (self.home, *self.member_states, *(a.country for a in self.authorities)):
            if key == country.code or key in country.aliases:
                return country
        raise self._unknown(code)

    def _unknown(self, code: str) -> UnknownCountry:
        where = f" in {self.source}" if self.source else ""
        return UnknownCountry(f"country {code!r} is neither Lithuania, an EU member state nor a common transit "
                              f"country{where}; add it there ([etd] common_transit) if it is one (1B-1052:16, 40)")


def office_country(office_code: str) -> str:
    """The country code an office reference number begins with ("ch001234" → "CH"); ``UnknownCountry``
    for a text that is not an office reference number."""
    code = "".join(str(office_code).split()).upper()
    if not OFFICE_CODE.match(code):
        raise UnknownCountry(f"{office_code!r} is not a customs office reference number (two letters of the "
                             "country and six characters, e.g. CH001234)")
    return code[:2]


@lru_cache(maxsize=8)
def load_transit_countries(path: Path) -> TransitCountries:
    """Read the directory: ``home``, ``[[member_state]]`` (code, name_lt, name_en) and ``[[common_transit]]``
    (code, name_lt, name_en, authority, email, verified). Any problem is one ``CommonTransitError`` line."""
    data = read_toml(path, what="the common transit directory", error=CommonTransitError)
    home = _country(data.get("home"), "home", path)
    members = tuple(_country(t, f"member_state {n}", path) for n, t in enumerate(_tables(data, "member_state",
                                                                                          path), 1))
    authorities = tuple(_authority(t, n, path) for n, t in enumerate(_tables(data, "common_transit", path), 1))
    _check_unique((home, *members, *(a.country for a in authorities)), path)
    return TransitCountries(home, members, authorities, path)


def _tables(data: dict, name: str, path: Path) -> list:
    tables = data.get(name)
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise CommonTransitError(f"{path}: expected [[{name}]] tables")
    return tables


def _country(table: object, what: str, path: Path) -> Country:
    if not isinstance(table, dict):
        raise CommonTransitError(f"{path}: {what}: expected a table with code, name_lt and name_en")
    code = table.get("code")
    if not isinstance(code, str) or not re.fullmatch(r"[A-Z]{2}", code.strip()):
        raise CommonTransitError(f"{path}: {what}: code must be two capital letters (ISO 3166), found {code!r}")
    names = [table.get(key) for key in ("name_lt", "name_en")]
    if not all(isinstance(n, str) and n.strip() for n in names):
        raise CommonTransitError(f"{path}: {what} ({code}): name_lt and name_en must be non-empty strings")
    aliases = table.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and re.fullmatch(r"[A-Z]{2}", a)
                                                for a in aliases):
        raise CommonTransitError(f"{path}: {what} ({code}): aliases must be a list of two-letter codes")
    return Country(code.strip(), names[0].strip(), names[1].strip(), tuple(aliases))


def _authority(table: dict, n: int, path: Path) -> Authority:
    country = _country(table, f"common_transit {n}", path)
    name, email, verified = table.get("authority"), table.get("email"), table.get("verified")
    if not isinstance(name, str) or not name.strip():
        raise CommonTransitError(f"{path}: common_transit {n} ({country.code}): authority must be a non-empty string")
    if not isinstance(email, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email.strip()):
        raise CommonTransitError(f"{path}: common_transit {n} ({country.code}): email must be an e-mail address, "
                                 f"found {email!r}")
    if not isinstance(verified, bool):
        raise CommonTransitError(f"{path}: common_transit {n} ({country.code}): verified must be true or false")
    return Authority(country, name.strip(), email.strip(), verified)


def _check_unique(countries: tuple[Country, ...], path: Path) -> None:
    seen: set[str] = set()
    for country in countries:
        for code in (country.code, *country.aliases):
            if code in seen:
                raise CommonTransitError(f"{path}: country {code} is listed twice")
            seen.add(code)


def _code_key(code: str) -> str:
    return "".join(str(code).split()).upper()
