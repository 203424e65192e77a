"""The TC26 consultation form (1B-1052 annex): the PDF reads like the annex, block by block, the same form gives
the same bytes, a form that would misstate the consultation is refused, and the subject finds the file."""
from __future__ import annotations

import dataclasses
import io
from datetime import datetime

import pdfplumber
import pytest

from ledger.clock import VILNIUS
from responders.letters import render_letter
from responders.tc26 import (AIRLINE, CONDITIONS, QUESTIONS, SHIPPING, Party, Port, StatedFigures, Tc26Error, Tc26Form,
                             letter_context, render_tc26, tc26_filename, tc26_subject)
from tests.unit.test_letters import TEMPLATES

REQUESTING = Party("Muitinės departamentas prie Lietuvos Respublikos finansų ministerijos",
                   "A. Jakšto g. 1, LT-01105 Vilnius, Lietuva", "+370 5 266 6111", "ITPC@lrmuitine.lt")
REQUESTED = Party("Federal Office for Customs and Border Security (FOCBS)", email="transit@bazg.admin.ch")


def sample_form(**changes) -> Tc26Form:
    form = Tc26Form(
        file_number="ETD-2026-000001", msvs_number="LTETD2026000123", issued_at=datetime(2026, 12, 1, 10, 0,
                                                                                         tzinfo=VILNIUS),
        place="Vilnius", requesting=REQUESTING, requested=REQUESTED, company="UAB „Šiaurės oro linijos“",
        eori="LT123456789", carrier=AIRLINE, departure=(Port("Vilniaus oro uostas", "LTVR1000"),),
        destination=(Port("Zürich Flughafen", "CH001234"), Port("Genève Aéroport", "CH002345")),
        company_address="Rodūnios kelias 10A, LT-02189 Vilnius", aeo="LTAEOC1234567",
        figures=StatedFigures(transits_per_month=8, transits_per_year=96, trips_per_month=35, trips_per_year=420),
        officer="vyriausioji specialistė Rūta Žemaitienė")
    return dataclasses.replace(form, **changes)


def pdf_lines(data: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages).splitlines()


@pytest.fixture(scope="module")
def rendered() -> bytes:
    return render_tc26(sample_form())


@pytest.fixture(scope="module")
def lines(rendered) -> list[str]:
    return pdf_lines(rendered)


def after(lines: list[str], heading: str, count: int) -> list[str]:
    """The ``count`` lines that follow the line starting with ``heading``."""
    at = next(i for i, line in enumerate(lines) if line.startswith(heading))
    return lines[at + 1:at + 1 + count]


def test_the_same_form_gives_the_same_bytes_and_a_different_one_other_bytes(rendered):
    assert render_tc26(sample_form()) == rendered
    assert render_tc26(sample_form(msvs_number="LTETD2026000124")) != rendered
    assert rendered.startswith(b"%PDF-")


def test_the_pdf_opens_with_the_annex_title(lines):
    assert lines[:3] == ["TC26", "KONSULTAVIMOSI DĖL SĄJUNGOS ARBA BENDROJO TRANZITO FORMA",
                         "Consultation form for Union or common transit"]


def test_blocks_1_and_2_name_the_requesting_and_the_requested_authority(lines):
    assert after(lines, "1. Prašančioji institucija", 5) == [
        "Requesting authority", f"Pavadinimas: {REQUESTING.name}", f"Adresas: {REQUESTING.address}",
        f"Telefonas: {REQUESTING.phone}", "E. paštas: ITPC@lrmuitine.lt"]
    block2 = after(lines, "2. Institucija, į kurią kreipiamasi", 7)
    assert block2[1] == f"Pavadinimas: {REQUESTED.name}" and block2[4] == "E. paštas: transit@bazg.admin.ch"
    assert block2[2].startswith("Adresas: ……") and block2[5:] == ["arba", "Muitinės įstaigos kodas (COL): □□□□□□"]


def test_block_3_is_the_company_with_its_eori_and_aeo_and_block_4_both_numbers(lines):
    block3 = after(lines, "3. Pareiškėjas / leidimo turėtojas*", 7)
    assert block3[1] == "Pavadinimas: UAB „Šiaurės oro linijos“"
    assert block3[2] == "Adresas: Rodūnios kelias 10A, LT-02189 Vilnius"
    assert "EORI kodas: LT123456789" in block3
    assert "Įgaliotojo ekonominės veiklos vykdytojo kodas (jei yra): LTAEOC1234567" in block3
    assert after(lines, "4. Prašymo / leidimo numeris*", 2)[1] == (
        "LTETD2026000123 (MSVS prašymas / application); bylos Nr. / our file: ETD-2026-000001")


def test_block_5_is_signed_and_dated_by_us_and_block_6_left_for_the_answer(lines):
    assert after(lines, "5. Prašančioji institucija", 4)[1:] == [
        "Vieta: Vilnius", "Data: 2026-12-01", "Parašas: vyriausioji specialistė Rūta Žemaitienė"]
    block6 = after(lines, "6. Institucija, į kurią kreipiamasi", 5)[1:]
    assert [line.split(":")[0] for line in block6] == ["Vieta", "Data", "Parašas", "Antspaudas"]
    assert all(line.endswith("……") for line in block6)


def test_part_one_lists_the_ports_and_office_codes_a_to_d(lines):
    assert "I. KONSULTAVIMASIS SUTEIKIANT LEIDIMĄ**" in lines
    departure = after(lines, "1. Išvykimo uostas", 5)[1:]
    assert departure[0] == "a) Vilniaus oro uostas COL LTVR1000"
    assert [line[:2] for line in departure] == ["a)", "b)", "c)", "d)"] and departure[1].endswith("COL □□□□□□")
    destination = after(lines, "2. Paskirties uostas", 3)[1:]
    assert destination == ["a) Zürich Flughafen COL CH001234", "b) Genève Aéroport COL CH002345"]


def test_part_one_states_the_applications_figures_without_making_nouns_agree_with_numbers(lines):
    remarks = after(lines, "Prašančiosios institucijos pastabos", 4)[1:]
    assert remarks == ["Pareiškėjas – oro linijų bendrovė (applicant: airline).",
                       "Tranzito procedūrų skaičius, nurodytas prašyme, per mėnesį: 8; per metus: 96.",
                       "Skrydžių skaičius, nurodytas prašyme, per mėnesį: 35; per metus: 420."]
    ship = pdf_lines(render_tc26(sample_form(carrier=SHIPPING, figures=StatedFigures(trips_per_year=120))))
    assert after(ship, "Prašančiosios institucijos pastabos", 3)[1:] == [
        "Pareiškėjas – laivybos bendrovė (applicant: shipping company).",
        "Reisų skaičius, nurodytas prašyme, per metus: 120."]


def test_part_one_3_has_an_empty_box_and_a_ports_line_for_each_condition(lines):
    text = "\n".join(lines)
    for condition, _gloss in CONDITIONS:
        first_words = " ".join(condition.split()[:6])
        assert f"☐ {first_words}" in text
    assert sum(line.startswith("Uostas (-ai): ……") for line in lines) == len(CONDITIONS)


def test_part_two_asks_a_to_e_each_with_yes_and_no_boxes(lines):
    assert "II. KONSULTAVIMASIS STEBINT LEIDIMO NAUDOJIMĄ IR PERŽIŪRINT LEIDIMĄ***" in lines
    for question, _gloss in QUESTIONS:
        assert any(line.startswith(question[:40]) for line in lines)
    assert lines.count("☐ TAIP ☐ NE") == len(QUESTIONS)
    assert lines[-3:][0] == "* Nereikalinga išbraukti."


@pytest.mark.parametrize("changes, field", [
    (dict(file_number="ETD-26-1"), "file_number"),
    (dict(msvs_number=" "), "msvs_number"),
    (dict(issued_at=datetime(2026, 12, 1, 10, 0)), "issued_at"),
    (dict(carrier="railway"), "carrier"),
    (dict(departure=()), "departure"),
    (dict(destination=tuple(Port(f"Uostas {n}", "CH001234") for n in range(5))), "destination"),
    (dict(destination=(Port("Zürich", "Zürich"),)), "destination"),
    (dict(requested=Party("")), "requested"),
])
def test_a_form_that_would_misstate_the_consultation_is_refused_naming_the_field(changes, field):
    with pytest.raises(Tc26Error, match=f"^{field}"):
        render_tc26(sample_form(**changes))


def test_the_subject_and_the_file_name_lead_with_our_file_number():
    form = sample_form(company="UAB  „Šiaurės\noro linijos“")
    assert tc26_subject(form) == ("ETD-2026-000001 – TC26 ETD consultation – UAB „Šiaurės oro linijos“, "
                                  "EORI LT123456789, MSVS LTETD2026000123")
    assert tc26_filename(form) == "TC26-ETD-2026-000001.pdf"


def test_the_covering_letter_made_from_the_form_has_the_forms_subject_and_ports():
    form = sample_form()
    signature = {"signer_position": "vyriausioji specialistė", "signer_name": "Rūta Žemaitienė"}
    letter = render_letter("tc26_consultation", {**letter_context(form, country="Switzerland",
                                                                    reply_address="ITPC@lrmuitine.lt"), **signature},
                           templates_dir=TEMPLATES)
    assert letter.subject == tc26_subject(form)
    assert "- Genève Aéroport (customs office CH002345)" in letter.body
    assert "vyriausioji specialistė\nRūta Žemaitienė" in letter.body   # the duty officer signs
