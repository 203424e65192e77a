"""The TC26 consultation form (1B-1052 annex, "Konsultavimosi dėl Sąjungos arba bendrojo tranzito forma"):
its content as a frozen dataclass, the PDF that reads like the annex, and the subject of the e-mail it goes in.

The form is sent to a common transit country's competent authority when an office of departure or
destination named in an ETD application lies there (1B-1052:16), with a copy of the application. The
requesting authority fills in blocks 1–5 and part I.1–2 (the ports and their office codes); the requested
authority answers in part I.3 (the conditions not met) and block 6, or in part II when an authorisation is
monitored or reviewed. Empty boxes and dotted lines are left for that answer, as on the annex.

The PDF is a pure function of the ``Tc26Form``: its creation date is ``issued_at`` and nothing else varies, so
the same form gives the same bytes. The annex is Lithuanian and the PDF keeps its wording; each block title
carries a small English gloss because the reader is a foreign authority, and the covering letter is English.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Sequence

from config.errors import DocumentError
from responders.sutikimas import FONT_DIRS

FILE_NUMBER = re.compile(r"^ETD-\d{4}-\d{6}$")   # our file (1B-1052:23): "ETD-2026-000001"
AIRLINE, SHIPPING = "airline", "shipping"
MAX_PORTS = 4                                     # a)–d) in part I.1 and I.2


class Tc26Error(DocumentError, ValueError):
    """The form's content is incomplete or inconsistent; the message names the field."""


@dataclass(frozen=True)
class Party:
    """An authority of block 1 or 2: its name and contacts, or the office code (COL) that names it."""
    name: str
    address: str = ""
    phone: str = ""
    email: str = ""
    office: str = ""                     # customs office reference number (COL), "" when not given


@dataclass(frozen=True)
class Port:
    """A port or airport of departure or destination and its customs office (part I.1–2)."""
    name: str                            # "Vilniaus oro uostas"
    office: str                          # customs office reference number (COL), "LTVR1000"


@dataclass(frozen=True)
class StatedFigures:
    """What the application states (1B-1052:6.4, 7.4, 17): transit procedures and flights or voyages, per
    month and per year; None when not stated."""
    transits_per_month: int | None = None
    transits_per_year: int | None = None
    trips_per_month: int | None = None   # flights (an airline) or voyages (a shipping company)
    trips_per_year: int | None = None


@dataclass(frozen=True)
class Tc26Form:
    file_number: str                     # ours, "ETD-2026-000001" (1B-1052:23)
    msvs_number: str                     # the application's number in MSVS (block 4)
    issued_at: datetime                  # aware; the date in block 5 and the PDF's creation date
    place: str                           # block 5 "Vieta"
    requesting: Party                    # block 1: the Lithuanian customs authority ([etd] settings)
    requested: Party                     # block 2: the common transit country's competent authority
    company: str                         # block 3: the applicant (an airline or a shipping company)
    eori: str
    carrier: str                         # AIRLINE or SHIPPING
    departure: tuple[Port, ...]          # part I.1, one to four
    destination: tuple[Port, ...]        # part I.2, one to four
    company_address: str = ""
    company_phone: str = ""
    company_email: str = ""
    aeo: str = ""                        # the AEO authorisation number, if any (block 3)
    figures: StatedFigures = StatedFigures()
    officer: str = ""                    # who signs block 5, "pareigos vardas pavardė"


def render_tc26(form: Tc26Form, *, font_dirs: Sequence[Path] = FONT_DIRS) -> bytes:
    """The TC26 form as PDF bytes, laid out as the 1B-1052 annex; the same form gives the same bytes."""
    raise NotImplementedError


def check(form: Tc26Form) -> None:
    """Refuse a form that would misstate the consultation (``Tc26Error`` naming the field)."""
    raise NotImplementedError


def tc26_subject(form: Tc26Form) -> str:
    """The e-mail subject: our file number first (a reply quoting it finds the file), then the MSVS number,
    the company and what is asked, in English."""
    raise NotImplementedError


def tc26_filename(form: Tc26Form) -> str:
    """The attachment's file name: "TC26-ETD-2026-000001.pdf"."""
    raise NotImplementedError
