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
from ledger.clock import shown_day
from responders.pdfpage import Sheet
from responders.sutikimas import FONT_DIRS, installed_face

FILE_NUMBER = re.compile(r"^ETD-\d{4}-\d{6}$")   # our file (1B-1052:23): "ETD-2026-000001"
AIRLINE, SHIPPING = "airline", "shipping"
MAX_PORTS = 4                                     # a)–d) in part I.1 and I.2
OFFICE_CODE = re.compile(r"^[A-Z]{2}[A-Z0-9]{6}$")  # a customs office reference number (COL)

# The annex's wording (1B-1052 priedas), and the English gloss printed under each title for the foreign reader.
TITLE = "KONSULTAVIMOSI DĖL SĄJUNGOS ARBA BENDROJO TRANZITO FORMA"
TITLE_EN = "Consultation form for Union or common transit"
EMPTY_BOX, EMPTY_CODE = "☐", "□□□□□□"
DOTS = "…" * 30
PART_I = "I. KONSULTAVIMASIS SUTEIKIANT LEIDIMĄ**"
PART_I_EN = "I. Consultation when granting an authorisation"
PART_II = "II. KONSULTAVIMASIS STEBINT LEIDIMO NAUDOJIMĄ IR PERŽIŪRINT LEIDIMĄ***"
PART_II_EN = "II. Consultation when monitoring and reviewing an authorisation"
# Part I.3: the conditions the requested authority ticks when one is not fulfilled, each with its gloss.
CONDITIONS: tuple[tuple[str, str], ...] = (
    ("Leidimo turėtojas negali užtikrinti, kad muitinei būtų prieinami ETD duomenys.",
     "The holder cannot ensure that the ETD data are available to customs."),
    ("Leidimo turėtojas nevykdo daug skrydžių / reisų tarp Sąjungos arba bendrojo tranzito šalių oro uostų.",
     "The holder does not operate a significant number of flights / voyages between Union or common transit "
     "country (air)ports."),
    ("Leidimo turėtojas yra padaręs sunkių arba kartotinių muitų teisės aktų ir mokesčių taisyklių pažeidimų, "
     "yra duomenų apie sunkius nusikaltimus, susijusius su jo ekonomine veikla.",
     "The holder has committed serious or repeated infringements of customs legislation and taxation rules, or "
     "has a record of serious criminal offences relating to its economic activity."),
    ("Leidimo turėtojas negali įrodyti, kad užtikrina aukštą savo veiklos ir prekių srautų valdymo lygį, "
     "taikydamas prekybos ir, kai tinkama, transporto registrų tvarkymo sistemą, kuri suteikia galimybę "
     "tinkamai atlikti muitinį tikrinimą.",
     "The holder cannot demonstrate a high level of control of its operations and of the flow of goods, by a "
     "system of managing commercial and, where appropriate, transport records allowing appropriate customs "
     "controls."),
    ("Leidimo turėtojas negali įrodyti, kad laikosi su vykdoma veikla tiesiogiai susijusių praktinių "
     "kompetencijos arba profesinės kvalifikacijos standartų.",
     "The holder cannot demonstrate practical standards of competence or professional qualifications directly "
     "related to the activity carried out."),
)
# Part II.1: the questions a)–e), answered TAIP (yes) or NE (no).
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("a) Ar leidimo turėtojas vis dar užtikrina, kad muitinei būtų prieinami ETD duomenys?",
     "Does the holder still ensure that the ETD data are available to customs?"),
    ("b) Ar veiklos vykdytojas vykdo daug skrydžių arba reisų tarp Sąjungos arba bendrojo tranzito šalių uostų?",
     "Does the operator operate a significant number of flights or voyages between Union or common transit "
     "country ports?"),
    ("c) Ar leidimo turėtojas yra padaręs sunkių arba kartotinių muitų teisės aktų ir mokesčių taisyklių "
     "pažeidimų, taip pat ar yra duomenų apie sunkius nusikaltimus, susijusius su jo ekonomine veikla?",
     "Has the holder committed serious or repeated infringements of customs legislation and taxation rules, or "
     "is there a record of serious criminal offences relating to its economic activity?"),
    ("d) Ar veiklos vykdytojas gali įrodyti, kad užtikrina aukštą savo veiklos ir prekių srautų valdymo lygį, "
     "taikydamas prekybos ir, kai tinkama, transporto registrų tvarkymo sistemą, kuri suteikia galimybę "
     "tinkamai atlikti muitinį tikrinimą?",
     "Can the operator demonstrate a high level of control of its operations and of the flow of goods?"),
    ("e) Ar veiklos vykdytojas gali įrodyti, kad laikosi su vykdoma veikla tiesiogiai susijusių praktinių "
     "kompetencijos arba profesinės kvalifikacijos standartų?",
     "Can the operator demonstrate practical standards of competence or professional qualifications directly "
     "related to the activity?"),
)
FOOTNOTES = ("* Nereikalinga išbraukti.",
             "** Prie šios formos turi būti pridėta veiklos vykdytojo pateikto prašymo leisti naudoti ETD kaip "
             "tranzito deklaraciją kopija.",
             "*** Prie šios formos turi būti pridėta suteikto leidimo naudoti ETD kaip tranzito deklaraciją kopija.")
CARRIERS = {AIRLINE: ("oro linijų bendrovė", "skrydžių"), SHIPPING: ("laivybos bendrovė", "reisų")}

TEXT_PT, GLOSS_PT, HEAD_PT, TITLE_PT = 9.5, 7, 10, 12
LINE_MM, GLOSS_MM = 5.0, 3.4


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
    check(form)
    # The shipped DejaVu subset, and the installed font only for a character outside it (the empty boxes).
    pdf = Sheet(left=20, top=15, right=20, bottom=15, fallback=lambda style: installed_face(style, font_dirs))

    _text(pdf, "TC26", style="B", size=TITLE_PT, align="R")
    _text(pdf, TITLE, style="B", size=TITLE_PT, align="C")
    _gloss(pdf, TITLE_EN, align="C")
    pdf.ln(3)
    _authority_block(pdf, "1. Prašančioji institucija", "Requesting authority", form.requesting)
    _authority_block(pdf, "2. Institucija, į kurią kreipiamasi", "Requested authority", form.requested)
    _company_block(pdf, form)
    _heading(pdf, "4. Prašymo / leidimo numeris*", "Application / authorisation number")
    _text(pdf, f"{form.msvs_number} (MSVS prašymas / application); bylos Nr. / our file: {form.file_number}")
    _heading(pdf, "5. Prašančioji institucija", "Requesting authority")
    _field(pdf, "Vieta", form.place)
    _field(pdf, "Data", shown_day(form.issued_at))
    _field(pdf, "Parašas", form.officer or DOTS)
    _field(pdf, "Antspaudas", DOTS)
    _heading(pdf, "6. Institucija, į kurią kreipiamasi", "Requested authority")
    for label in ("Vieta", "Data", "Parašas", "Antspaudas"):
        _field(pdf, label, DOTS)
    _part_one(pdf, form)
    _part_two(pdf)
    pdf.ln(3)
    for note in FOOTNOTES:
        _text(pdf, note, size=GLOSS_PT + 0.5)
    return pdf.output(title=f"TC26 {form.file_number}", author=form.requesting.name, subject=TITLE,
                      created=form.issued_at)


def check(form: Tc26Form) -> None:
    """Refuse a form that would misstate the consultation (``Tc26Error`` naming the field)."""
    for name in ("msvs_number", "place", "company", "eori"):
        value = getattr(form, name)
        if not isinstance(value, str) or not value.strip():
            raise Tc26Error(f"{name}: required, got {value!r}")
    if not isinstance(form.file_number, str) or not FILE_NUMBER.match(form.file_number):
        raise Tc26Error(f"file_number: expected ETD-<year>-<6 digits>, got {form.file_number!r}")
    if not isinstance(form.issued_at, datetime) or form.issued_at.utcoffset() is None:
        raise Tc26Error(f"issued_at: a timezone-aware datetime is required, got {form.issued_at!r}")
    if form.carrier not in CARRIERS:
        raise Tc26Error(f"carrier: expected {AIRLINE!r} or {SHIPPING!r}, got {form.carrier!r}")
    for name in ("requesting", "requested"):
        party = getattr(form, name)
        if not party.name.strip() and not party.office.strip():
            raise Tc26Error(f"{name}: a name or a customs office code is required")
        if party.office and not OFFICE_CODE.match(party.office):
            raise Tc26Error(f"{name}.office: expected a customs office reference number, got {party.office!r}")
    for name in ("departure", "destination"):
        ports = getattr(form, name)
        if not 1 <= len(ports) <= MAX_PORTS:
            raise Tc26Error(f"{name}: one to {MAX_PORTS} ports, got {len(ports)}")
        for port in ports:
            if not port.name.strip() or not OFFICE_CODE.match(port.office):
                raise Tc26Error(f"{name}: a port's name and customs office reference number, got {port!r}")


def tc26_subject(form: Tc26Form) -> str:
    """The e-mail subject: our file number first (a reply quoting it finds the file), then the MSVS number,
    the company and what is asked, in English."""
    company = " ".join(form.company.split())
    return f"{form.file_number} – TC26 ETD consultation – {company}, EORI {form.eori}, MSVS {form.msvs_number}"


def letter_context(form: Tc26Form, *, country: str, reply_address: str, deadline: datetime | None = None) -> dict:
    """The context of the covering letter ``tc26_consultation`` (responders.letters) for this form: ``country``
    is the consulted country's English name, ``reply_address`` the mailbox the answer must come back to."""
    return {"file_number": form.file_number, "msvs_number": form.msvs_number, "company": " ".join(form.company.split()),
            "eori": form.eori, "country": country, "authority": form.requested.name, "requesting": form.requesting.name,
            "departure": [(p.name, p.office) for p in form.departure],
            "destination": [(p.name, p.office) for p in form.destination], "reply_address": reply_address,
            "deadline": deadline}


def tc26_filename(form: Tc26Form) -> str:
    """The attachment's file name: "TC26-ETD-2026-000001.pdf"."""
    return f"TC26-{form.file_number}.pdf"


def figures_lines(form: Tc26Form) -> list[str]:
    """The application's stated figures (1B-1052:6.4, 7.4, 17), in Lithuanian, for the requesting authority's
    remarks under part I.2; a figure not stated is left out. Each figure follows its label ("skaičius: 8") so
    no noun has to agree with a number."""
    kind, trips = CARRIERS[form.carrier]
    f = form.figures
    lines = [f"Pareiškėjas – {kind} (applicant: {'airline' if form.carrier == AIRLINE else 'shipping company'})."]
    for what, month, year in (("Tranzito procedūrų", f.transits_per_month, f.transits_per_year),
                              (trips.capitalize(), f.trips_per_month, f.trips_per_year)):
        stated = [f"{period}: {value}" for period, value in (("per mėnesį", month), ("per metus", year))
                  if value is not None]
        if stated:
            lines.append(f"{what} skaičius, nurodytas prašyme, {'; '.join(stated)}.")
    return lines


# ------------------------------------------------------------------------------------------------ layout


def _part_one(pdf: Sheet, form: Tc26Form) -> None:
    pdf.ln(2)
    _heading(pdf, PART_I, PART_I_EN)
    _text(pdf, "Uostų ir muitinės įstaigų kodų (COL) sąrašas (pildo prašančioji institucija)")
    _gloss(pdf, "List of ports and customs office codes (COL) (to be completed by the requesting authority)")
    for title, gloss, ports in (("1. Išvykimo uostas", "Port of departure", form.departure),
                                ("2. Paskirties uostas", "Port of destination", form.destination)):
        _heading(pdf, title, gloss)
        for letter, i in zip("abcd", range(MAX_PORTS)):
            port = ports[i] if i < len(ports) else None
            name, code = (port.name, port.office) if port else (DOTS, EMPTY_CODE)
            _text(pdf, f"{letter}) {name}    COL {code}")
    _heading(pdf, "Prašančiosios institucijos pastabos", "Remarks of the requesting authority")
    for line in figures_lines(form):
        _text(pdf, line)
    _heading(pdf, "3. Jei neįvykdoma kuri nors sąlyga arba sąlygos, nurodykite priežastis ir susijusį (-ius) "
                  "uostą (-us) (pildo institucija, į kurią kreipiamasi)",
             "If any condition is not fulfilled, give the reasons and the port(s) concerned (to be completed by "
             "the requested authority)")
    for text, gloss in CONDITIONS:
        _text(pdf, f"{EMPTY_BOX} {text}")
        _gloss(pdf, gloss)
        _text(pdf, f"Uostas (-ai): {DOTS}")
    _text(pdf, f"Pastabos {DOTS}{DOTS}")


def _part_two(pdf: Sheet) -> None:
    pdf.ln(2)
    _heading(pdf, PART_II, PART_II_EN)
    _text(pdf, "1. Pažymėkite tinkamus atsakymus į toliau pateiktus klausimus (pildo institucija, į kurią "
               "kreipiamasi)")
    _gloss(pdf, "Tick the appropriate answers to the questions below (to be completed by the requested authority)")
    for text, gloss in QUESTIONS:
        _text(pdf, text)
        _gloss(pdf, gloss)
        _text(pdf, f"{EMPTY_BOX} TAIP    {EMPTY_BOX} NE")
        _text(pdf, f"Pastabos {DOTS}")
    _text(pdf, f"Kitos pastabos {DOTS}{DOTS}")


def _authority_block(pdf: Sheet, title: str, gloss: str, party: Party) -> None:
    _heading(pdf, title, gloss)
    _field(pdf, "Pavadinimas", party.name or DOTS)
    _field(pdf, "Adresas", party.address or DOTS)
    _field(pdf, "Telefonas", party.phone or DOTS)
    _field(pdf, "E. paštas", party.email or DOTS)
    _text(pdf, "arba")
    _field(pdf, "Muitinės įstaigos kodas (COL)", party.office or EMPTY_CODE)


def _company_block(pdf: Sheet, form: Tc26Form) -> None:
    _heading(pdf, "3. Pareiškėjas / leidimo turėtojas*", "Applicant / authorisation holder")
    _field(pdf, "Pavadinimas", " ".join(form.company.split()))
    _field(pdf, "Adresas", form.company_address or DOTS)
    _field(pdf, "Telefonas", form.company_phone or DOTS)
    _field(pdf, "E. paštas", form.company_email or DOTS)
    _field(pdf, "EORI kodas", form.eori)
    _field(pdf, "Įgaliotojo ekonominės veiklos vykdytojo kodas (jei yra)", form.aeo or "–")


def _heading(pdf: Sheet, title: str, gloss: str) -> None:
    pdf.ln(1.5)
    _text(pdf, title, style="B", size=HEAD_PT)
    _gloss(pdf, gloss)


def _field(pdf: Sheet, label: str, value: str) -> None:
    _text(pdf, f"{label}: {value}")


def _gloss(pdf: Sheet, text: str, *, align: str = "L") -> None:
    pdf.set_font("", GLOSS_PT)
    pdf.multi_cell(pdf.epw, GLOSS_MM, text, align=align)


def _text(pdf: Sheet, text: str, *, style: str = "", size: float = TEXT_PT, align: str = "L") -> None:
    pdf.set_font(style, size)
    pdf.multi_cell(pdf.epw, LINE_MM, text, align=align)
