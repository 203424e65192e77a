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
        raise NotImplementedError

    def standing_of_office(self, office_code: str) -> Standing:
        """How the country of the office with reference number ``office_code`` ("CH001234") is consulted."""
        raise NotImplementedError

    def authority(self, code: str) -> Authority:
        """The competent authority of common transit country ``code``; ``UnknownCountry`` for any other."""
        raise NotImplementedError

    def country(self, code: str) -> Country:
        """Any listed country by its code (names in Lithuanian and English)."""
        raise NotImplementedError


def office_country(office_code: str) -> str:
    """The country code an office reference number begins with ("ch001234" → "CH"); ``UnknownCountry``
    for a text that is not an office reference number."""
    raise NotImplementedError


@lru_cache(maxsize=8)
def load_transit_countries(path: Path) -> TransitCountries:
    """Read the directory: ``home``, ``[[member_state]]`` (code, name_lt, name_en) and ``[[common_transit]]``
    (code, name_lt, name_en, authority, email, verified). Any problem is one ``CommonTransitError`` line."""
    raise NotImplementedError
