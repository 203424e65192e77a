"""The Sutikimas as a fax machine sends it: rendered at 200 dpi, reduced to black and white, read back by OCR."""
from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from ledger.clock import VILNIUS
from responders.sutikimas import SutikimasDoc, render_sutikimas

CAPTIONS = ("(data)", "(sudarymo vieta)", "(asmens pavadinimas (vardas, pavardė) ir EORI kodas)", "(sistema)",
            "(muitinės įstaigos kodas iš Muitinės įstaigų klasifikatoriaus)", "(pareigų pavadinimas)",
            "(parašas)", "(vardas ir pavardė)")


def tesseract_reads_lithuanian() -> bool:
    if shutil.which("tesseract") is None:
        return False
    langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True).stdout.split()
    return "lit" in langs


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=VILNIUS)


def faxed(pdf: bytes, path: Path) -> Path:
    """Page 1 at 200 dpi (a fax's "fine" resolution), reduced to 1 bit the way a fax does greys (error
    diffusion), saved as PNG."""
    import pypdfium2 as pdfium  # heavy, and only this test needs it

    page = pdfium.PdfDocument(pdf)[0]
    page.render(scale=200 / 72, grayscale=True).to_pil().convert("1").save(path)
    return path


@pytest.mark.skipif(not tesseract_reads_lithuanian(), reason="tesseract with Lithuanian data is a system dependency")
def test_every_caption_survives_a_200_dpi_black_and_white_fax(tmp_path):
    doc = SutikimasDoc(number="VTP-2026-000001", issued_at=at(2026, 11, 25, 7, 50), place="Vilnius",
                       applicant="UAB „Žemaitijos pienas“", eori="LT302345671", period_from=at(2026, 11, 25, 8, 0),
                       period_to=at(2026, 11, 25, 20, 0), systems=("MDAS",),
                       offices=(("LTKL1000", "Klaipėdos jūrų uosto postas"),),
                       officer_position="Vyriausioji specialistė",
                       officer_name="Rūta Žemaitienė")
    image = faxed(render_sutikimas(doc), tmp_path / "fax.png")
    text = subprocess.run(["tesseract", str(image), "-", "-l", "lit"], capture_output=True, text=True,
                          check=True).stdout
    words = " ".join(text.split())
    for caption in CAPTIONS:
        assert caption in words
    assert words.count("(data, val., min.)") == 2
