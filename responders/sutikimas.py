"""The Sutikimas document: a PDF laid out as annex 2 of 1B-1029 ("Sutikimo taikyti veiklos tęstinumo
procedūrą forma"), with the form's wording, its small captions under each filled-in value, and only the
applicable system(s) printed (the form's "MDAS ir (arba) / NTKS — nereikalinga išbraukti").

The output is a pure function of the ``SutikimasDoc``: the PDF creation date is ``issued_at`` and nothing
else varies, so replaying a mailbox yields byte-identical documents. Text uses DejaVu Sans because the PDF core
fonts cannot encode Lithuanian letters: the subset shipped with us (``responders.pdffonts``), and the installed
font for a character outside it. The page is drawn by ``responders.pdfpage`` (≈0.3 ms a document; fpdf2 took
≈0.1 s, most of it parsing and cutting the font anew for every document).

Field meanings: ``issuer`` is the issuing body named in the header and in "… sutinka, kad" (normally the
``[itpc] name`` setting); ``officer_position`` and ``officer_name`` are the responsible ITPC officer's, printed in
the form's own slots "(pareigų pavadinimas)" and "(vardas ir pavardė)" (config.officers: the deciding officer, or
the duty officer for an automatic consent).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Sequence

from config.errors import DocumentError
from ledger.clock import shown, shown_day
from responders.pdffonts import Face, full_face
from responders.pdfpage import Sheet

FONT_FILE = "DejaVuSans.ttf"
BOLD_FONT_FILE = "DejaVuSans-Bold.ttf"
# Where Debian/Ubuntu (fonts-dejavu-core), Fedora, Arch, Alpine and local installs put DejaVu Sans.
FONT_DIRS: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/dejavu-sans-fonts"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/local/share/fonts"),
    Path("/usr/local/share/fonts/dejavu"),
)

TITLE = "SUTIKIMAS TAIKYTI VEIKLOS TĘSTINUMO PROCEDŪRĄ"
ITPC_ADDRESS = "Vytenio g. 7, LT-03113 Vilnius, tel. (8 5) 236 2302, ITPC@lrmuitine.lt"
OFFICES_SENTENCE = ("Asmuo iki nurodyto šiame sutikime termino pabaigos išankstinę informaciją pateikia, prekes "
                    "importo, eksporto, tranzito procedūrai ir (arba) TIR operacijai, laikinajam saugojimui "
                    "įforminti deklaruoja šiose muitinės įstaigose:")
SYSTEMS = ("MDAS", "NTKS")
NUMBER = re.compile(r"^VTP-\d{4}-\d{6}$")

TEXT_PT, CAPTION_PT, TITLE_PT = 11, 7.5, 12
LINE_MM, CAPTION_MM = 6.0, 3.6
# Everything is printed black, captions too: the document often goes out by fax (1B-1029:13), and a fax is
# black and white at about 200 dpi, where grey text breaks up into dots.


class SutikimasError(DocumentError, ValueError):
    """The document's data is incomplete or inconsistent; the message names the field."""


class FontNotFound(RuntimeError):
    """DejaVu Sans is not installed where we look for it."""


@dataclass(frozen=True)
class SutikimasDoc:
    number: str                          # "VTP-2026-000001"
    issued_at: datetime                  # aware; shown as the Vilnius date
    place: str                           # "Vilnius"
    applicant: str
    eori: str
    period_from: datetime                # aware; shown to the minute in Vilnius time
    period_to: datetime
    systems: tuple[str, ...]             # "MDAS" and/or "NTKS"
    offices: tuple[tuple[str, str], ...]  # (code, name)
    officer_position: str                # "Vyriausioji specialistė"
    officer_name: str                    # "Rūta Žemaitienė"
    issuer: str = "Muitinės informacinių technologijų paslaugų centras"


def find_font(file: str = FONT_FILE, places: Sequence[Path] = FONT_DIRS) -> Path:
    """The first ``file`` found in ``places``; a clear error naming the Debian package otherwise."""
    for place in places:
        candidate = Path(place) / file
        if candidate.is_file():
            return candidate
    raise FontNotFound(f"font {file} not found in {', '.join(str(p) for p in places) or '(no places)'}; "
                       "install the Debian package fonts-dejavu-core (apt-get install fonts-dejavu-core)")


def render_sutikimas(doc: SutikimasDoc, *, font_dirs: Sequence[Path] = FONT_DIRS) -> bytes:
    """The Sutikimas as PDF bytes, laid out as 1B-1029 annex 2."""
    check(doc)
    pdf = Sheet(left=25, top=20, right=20, bottom=20, fallback=lambda style: installed_face(style, font_dirs))
    width = pdf.epw

    # Header of the issuing body (annex 2: name in capitals, address line beneath).
    pdf.set_font("B", TITLE_PT)
    pdf.multi_cell(width, LINE_MM, doc.issuer.upper(), align="C")
    pdf.set_font("", CAPTION_PT + 1)
    pdf.cell(width, LINE_MM - 1, ITPC_ADDRESS, align="C", newline=True)
    y = pdf.get_y() + 1
    pdf.line(pdf.l_margin, y, pdf.l_margin + width, y)
    pdf.ln(12)

    pdf.set_font("B", TITLE_PT)
    pdf.cell(width, LINE_MM, TITLE, align="C", newline=True)
    pdf.ln(5)

    # "____________ Nr. ______ / (data)" and "_______ / (sudarymo vieta)", centred as on the form.
    date_text = shown_day(doc.issued_at)
    _row(pdf, [(date_text, "(data)"), ("Nr.", None), (doc.number, None)], centred=True)
    pdf.ln(2)
    _row(pdf, [(doc.place, "(sudarymo vieta)")], centred=True)
    pdf.ln(6)

    pdf.set_font("", TEXT_PT)
    applicant = " ".join(doc.applicant.split())  # a form's stray spaces would stand before the comma
    pdf.multi_cell(width, LINE_MM, f"{doc.issuer} sutinka, kad {applicant}, EORI kodas {doc.eori},")
    _caption(pdf, "(asmens pavadinimas (vardas, pavardė) ir EORI kodas)", width, align="C")
    pdf.ln(2)
    systems = " ir ".join(s for s in SYSTEMS if s in doc.systems)
    _row(pdf, [("nuo", None), (shown(doc.period_from), "(data, val., min.)"), ("iki", None),
               (shown(doc.period_to), "(data, val., min.)"), ("taikytų", None), (systems, "(sistema)"),
               ("veiklos", None)])
    pdf.set_font("", TEXT_PT)
    pdf.cell(width, LINE_MM, "tęstinumo procedūrą.", newline=True)
    pdf.ln(4)

    pdf.multi_cell(width, LINE_MM, OFFICES_SENTENCE)
    pdf.ln(2)
    for code, name in doc.offices:
        pdf.multi_cell(width, LINE_MM, f"{code} – {name}" if name else code)
    y = pdf.get_y() + 0.5
    pdf.line(pdf.l_margin, y, pdf.l_margin + width, y)
    pdf.set_y(y + 0.5)
    _caption(pdf, "(muitinės įstaigos kodas iš Muitinės įstaigų klasifikatoriaus)", width, align="C")
    pdf.ln(10)

    pdf.set_font("", TEXT_PT)
    pdf.cell(width, LINE_MM, "Atsakingas ITPC pareigūnas", newline=True)
    pdf.ln(4)
    _columns(pdf, [(doc.officer_position, "(pareigų pavadinimas)"), ("", "(parašas)"),
                   (doc.officer_name, "(vardas ir pavardė)")])
    return pdf.output(title=f"Sutikimas Nr. {doc.number}", author=doc.issuer, subject=TITLE, created=doc.issued_at)


def installed_face(style: str, places: Sequence[Path] = FONT_DIRS) -> Face:
    """The installed DejaVu Sans (bold for "B", regular when bold is missing): for a character outside the
    subset we ship. A clear error naming the Debian package when it is not installed."""
    if style == "B":
        try:
            return full_face(find_font(BOLD_FONT_FILE, places))
        except FontNotFound:
            pass  # the heading loses weight, the text stays right
    return full_face(find_font(FONT_FILE, places))


def check(doc: SutikimasDoc) -> None:
    """Refuse a document that would misstate the consent."""
    for name in ("number", "place", "applicant", "eori", "officer_position", "officer_name", "issuer"):
        value = getattr(doc, name)
        if not isinstance(value, str) or not value.strip():
            raise SutikimasError(f"{name}: required, got {value!r}")
    if not NUMBER.match(doc.number):
        raise SutikimasError(f"number: expected VTP-<year>-<6 digits>, got {doc.number!r}")
    for name in ("issued_at", "period_from", "period_to"):
        value = getattr(doc, name)
        if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
            raise SutikimasError(f"{name}: a timezone-aware datetime is required, got {value!r}")
    if doc.period_to <= doc.period_from:
        raise SutikimasError(f"period: ends ({shown(doc.period_to)}) before it starts ({shown(doc.period_from)})")
    if not doc.systems or any(s not in SYSTEMS for s in doc.systems):
        raise SutikimasError(f"systems: MDAS and/or NTKS required, got {doc.systems!r}")
    if not doc.offices:
        raise SutikimasError("offices: at least one customs office is required")
    for office in doc.offices:
        if isinstance(office, str) or len(office) != 2 or not str(office[0]).strip():
            raise SutikimasError(f"offices: (code, name) pairs required, got {office!r}")


# ------------------------------------------------------------------------------------------------ layout


def _caption(pdf: Sheet, text: str, width: float, *, align: str = "L") -> None:
    pdf.set_font("", CAPTION_PT)
    pdf.cell(width, CAPTION_MM, text, align=align, newline=True)


def _row(pdf: Sheet, parts: list[tuple[str, str | None]], *, centred: bool = False) -> None:
    """Words on one line; a value with a caption is underlined and has its caption beneath, as on the form."""
    # Kept whole (``Sheet.kept``): a row measures every word and caption before it places one.
    pdf.kept(("row", tuple(parts), centred, pdf.epw), "".join(t + (c or "") for t, c in parts),
             _draw_row, pdf, parts, centred)


def _draw_row(pdf: Sheet, parts: list[tuple[str, str | None]], centred: bool) -> None:
    gap = 2.0
    widths = []
    for text, caption in parts:
        pdf.set_font("", TEXT_PT)
        w = pdf.string_width(text)
        if caption:
            pdf.set_font("", CAPTION_PT)
            w = max(w, pdf.string_width(caption)) + 2
        widths.append(w)
    total = sum(widths) + gap * (len(parts) - 1)
    x = pdf.l_margin + (pdf.epw - total) / 2 if centred else pdf.l_margin
    y = pdf.get_y()
    for (text, caption), w in zip(parts, widths):
        pdf.set_font("", TEXT_PT)
        pdf.set_xy(x, y)
        pdf.cell(w, LINE_MM, text, align="C" if caption else "L")
        if caption:
            pdf.line(x, y + LINE_MM, x + w, y + LINE_MM)
            pdf.set_font("", CAPTION_PT)
            pdf.set_xy(x, y + LINE_MM + 0.3)
            pdf.cell(w, CAPTION_MM, caption, align="C")
        x += w + gap
    pdf.set_xy(pdf.l_margin, y + LINE_MM + 0.3 + CAPTION_MM)


def _columns(pdf: Sheet, parts: list[tuple[str, str]]) -> None:
    """The signature block: three underlined columns with captions (position, signature, name)."""
    pdf.kept(("columns", tuple(parts), pdf.epw), "".join(t + c for t, c in parts), _draw_columns, pdf, parts)


def _draw_columns(pdf: Sheet, parts: list[tuple[str, str]]) -> None:
    gap = 8.0
    w = (pdf.epw - gap * (len(parts) - 1)) / len(parts)
    y = pdf.get_y()
    for i, (text, caption) in enumerate(parts):
        x = pdf.l_margin + i * (w + gap)
        pdf.set_xy(x, y)
        pdf.set_font("", TEXT_PT - 1)
        pdf.multi_cell(w, LINE_MM - 1, text, align="C", newline=False)
        bottom = max(pdf.get_y(), y + LINE_MM)
        pdf.line(x, bottom, x + w, bottom)
        pdf.set_xy(x, bottom + 0.3)
        pdf.set_font("", CAPTION_PT)
        pdf.cell(w, CAPTION_MM, caption, align="C")
    pdf.set_xy(pdf.l_margin, pdf.get_y() + CAPTION_MM)

