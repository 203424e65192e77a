"""The Sutikimas PDF, read back with pdfplumber: every field, the annex 2 wording, Lithuanian letters, replay."""
from __future__ import annotations

import dataclasses
import io
from datetime import datetime, timezone

import pdfplumber
import pytest
from hypothesis import example, given, settings, strategies as st

from ledger.clock import VILNIUS
from responders import pdfpage
from responders.pdffonts import shipped_face
from responders.sutikimas import (FONT_DIRS, OFFICES_SENTENCE, TITLE, FontNotFound, SutikimasDoc, SutikimasError,
                                  find_font, render_sutikimas)

LITHUANIAN = "ąčęėįšųūž ĄČĘĖĮŠŲŪŽ"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=VILNIUS)


def make_doc(**changes) -> SutikimasDoc:
    doc = SutikimasDoc(
        number="VTP-2026-000001", issued_at=at(2026, 11, 23, 8, 41), place="Vilnius",
        applicant=f"UAB „Žąsų ūkis {LITHUANIAN}“", eori="LT302345671",
        period_from=at(2026, 11, 23, 9, 0), period_to=at(2026, 11, 25, 9, 0), systems=("MDAS",),
        offices=(("LTVR1000", "Vilniaus krovinių postas"), ("LTVR6000", "Šalčininkų kelio postas")),
        officer_position="Vyriausioji specialistė", officer_name="Rūta Žemaitienė",
        issuer="Muitinės informacinių technologijų paslaugų centras")
    return dataclasses.replace(doc, **changes)


def read_back(pdf: bytes) -> tuple[str, dict]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        text = "\n".join(page.extract_text() or "" for page in document.pages)
        return text, document.metadata


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def rendered() -> tuple[bytes, str, str]:
    pdf = render_sutikimas(make_doc())
    text, _ = read_back(pdf)
    return pdf, text, flat(text)


def test_it_is_a_pdf_with_the_annex_2_header_and_exact_title(rendered):
    pdf, text, _ = rendered
    assert pdf.startswith(b"%PDF-")
    lines = text.splitlines()
    assert lines[0] == "MUITINĖS INFORMACINIŲ TECHNOLOGIJŲ PASLAUGŲ CENTRAS"
    assert lines[1] == "Vytenio g. 7, LT-03113 Vilnius, tel. (8 5) 236 2302, ITPC@lrmuitine.lt"
    assert "SUTIKIMAS TAIKYTI VEIKLOS TĘSTINUMO PROCEDŪRĄ" in lines


def test_every_field_is_printed(rendered):
    _, text, words = rendered
    assert "2026-11-23 Nr. VTP-2026-000001" in words          # date (Vilnius) and number
    assert "Vilnius (sudarymo vieta)" in words                # place
    assert f"sutinka, kad UAB „Žąsų ūkis {LITHUANIAN}“, EORI kodas LT302345671," in words
    assert "nuo 2026-11-23 09:00 iki 2026-11-25 09:00 taikytų MDAS veiklos" in words
    assert "tęstinumo procedūrą." in words
    assert "LTVR1000 – Vilniaus krovinių postas" in text.splitlines()
    assert "LTVR6000 – Šalčininkų kelio postas" in text.splitlines()
    assert "Atsakingas ITPC pareigūnas" in text
    assert "Vyriausioji specialistė" in text and "Rūta Žemaitienė" in text


def test_the_form_wording_and_captions_of_annex_2_are_there(rendered):
    _, _, words = rendered
    for phrase in ("(data)", "(sudarymo vieta)", "(asmens pavadinimas (vardas, pavardė) ir EORI kodas)",
                   "(data, val., min.)", "(muitinės įstaigos kodas iš Muitinės įstaigų klasifikatoriaus)",
                   "(pareigų pavadinimas)", "(parašas)", "(vardas ir pavardė)",
                   "Asmuo iki nurodyto šiame sutikime termino pabaigos išankstinę informaciją pateikia, prekes "
                   "importo, eksporto, tranzito procedūrai ir (arba) TIR operacijai, laikinajam saugojimui "
                   "įforminti deklaruoja šiose muitinės įstaigose:"):
        assert phrase in words


def test_lithuanian_letters_and_quotes_survive_exactly(rendered):
    _, text, _ = rendered
    for letter in "ąčęėįšųūžĄČĘĖĮŠŲŪŽ„“":
        assert letter in text
    assert LITHUANIAN in text


def test_only_the_systems_of_the_consent_are_printed():
    words = flat(read_back(render_sutikimas(make_doc(systems=("NTKS",))))[0])
    assert "taikytų NTKS veiklos" in words and "MDAS" not in words
    both = flat(read_back(render_sutikimas(make_doc(systems=("NTKS", "MDAS"))))[0])
    assert "taikytų MDAS ir NTKS veiklos" in both


def test_times_are_vilnius_wall_clock_to_the_minute_whatever_zone_they_come_in():
    doc = make_doc(issued_at=datetime(2026, 7, 1, 21, 30, tzinfo=timezone.utc),   # 00:30 on 2 July in Vilnius
                   period_from=datetime(2026, 7, 1, 22, 5, tzinfo=timezone.utc),
                   period_to=datetime(2026, 7, 2, 14, 59, tzinfo=timezone.utc))
    words = flat(read_back(render_sutikimas(doc))[0])
    assert "2026-07-02 Nr. VTP-2026-000001" in words
    assert "nuo 2026-07-02 01:05 iki 2026-07-02 17:59" in words


def test_same_document_gives_identical_bytes_and_the_creation_date_is_the_issue_time():
    first, second = render_sutikimas(make_doc()), render_sutikimas(make_doc())
    assert first == second
    _, meta = read_back(first)
    assert meta["CreationDate"].startswith("D:20261123064100")   # 08:41 Vilnius = 06:41 UTC
    assert "VTP-2026-000001" in meta["Title"]
    assert render_sutikimas(make_doc(number="VTP-2026-000002")) != first


def test_the_officer_position_and_name_stand_above_their_own_captions():
    doc = make_doc(officer_position="Vyresnysis specialistas", officer_name="Jonas Jonaitis")
    with pdfplumber.open(io.BytesIO(render_sutikimas(doc))) as document:
        page = document.pages[0]
        words = {w["text"]: w for w in page.extract_words(keep_blank_chars=True, x_tolerance=1.5)}
    position = next(w for t, w in words.items() if t.startswith("Vyresnysis specialistas"))
    name = next(w for t, w in words.items() if t.startswith("Jonas Jonaitis"))
    position_caption = words["(pareigų pavadinimas)"]
    name_caption = words["(vardas ir pavardė)"]
    signature = words["(parašas)"]                                  # the middle column
    assert position["x1"] < signature["x0"] and position_caption["x1"] < signature["x0"]
    assert name["x0"] > signature["x1"] and name_caption["x0"] > signature["x1"]
    assert position["bottom"] <= position_caption["top"] and name["bottom"] <= name_caption["top"]


def test_a_long_applicant_name_wraps_but_is_complete():
    name = "Uždaroji akcinė bendrovė „" + " ".join(["Tarptautiniai krovinių pervežimai ir ekspedijavimas"] * 3) + "“"
    words = flat(read_back(render_sutikimas(make_doc(applicant=name)))[0])
    assert name in words


@pytest.mark.parametrize("changes, field", [
    (dict(number="VTP-26-1"), "number"),
    (dict(applicant="  "), "applicant"),
    (dict(eori=""), "eori"),
    (dict(officer_position=""), "officer_position"),
    (dict(officer_name=" "), "officer_name"),
    (dict(systems=()), "systems"),
    (dict(systems=("MDAS", "ICS")), "systems"),
    (dict(offices=()), "offices"),
    (dict(offices=("LTVR1000",)), "offices"),
    (dict(period_to=at(2026, 11, 23, 9, 0)), "period"),
    (dict(period_from=datetime(2026, 11, 23, 9, 0)), "period_from"),
])
def test_an_incomplete_or_inconsistent_document_is_refused_naming_the_field(changes, field):
    with pytest.raises(SutikimasError, match=field):
        render_sutikimas(make_doc(**changes))


# Outside the shipped subset (Latin, Lithuanian, the punctuation we use): a Russian and a Greek trader's name.
OUTSIDE = "ООО «Трансавто Жанна» ΩΣ"


def test_a_name_outside_the_shipped_font_subset_is_drawn_from_the_installed_font_and_reads_back():
    assert not all(shipped_face("").covers(c) for c in OUTSIDE)
    pdf = render_sutikimas(make_doc(applicant=OUTSIDE, officer_position="Vyriausioji specialistė", officer_name="Ђорђе Ωmega"))
    text, _ = read_back(pdf)
    assert f"sutinka, kad {OUTSIDE}, EORI kodas LT302345671," in flat(text)
    assert "Ђорђе Ωmega" in text
    assert render_sutikimas(make_doc(applicant=OUTSIDE, officer_position="Vyriausioji specialistė", officer_name="Ђорђе Ωmega")) == pdf


def test_the_document_needs_no_installed_font_unless_a_character_is_outside_the_subset(tmp_path):
    assert render_sutikimas(make_doc(), font_dirs=(tmp_path,)) == render_sutikimas(make_doc())
    with pytest.raises(FontNotFound, match="fonts-dejavu-core"):
        render_sutikimas(make_doc(applicant=OUTSIDE), font_dirs=(tmp_path,))
    assert find_font().name == "DejaVuSans.ttf" and find_font().parent in FONT_DIRS


def test_the_shipped_subset_covers_every_letter_of_the_form_and_of_lithuanian():
    face = shipped_face("")
    assert all(face.covers(c) for c in LITHUANIAN + TITLE + OFFICES_SENTENCE + "„“–")
    assert all(shipped_face("B").covers(c) for c in TITLE + "MUITINĖS INFORMACINIŲ TECHNOLOGIJŲ")


@settings(max_examples=8, deadline=None)
@example(applicant="A ")            # a trailing space: the document shows the name, never a space before its comma
@example(applicant="  UAB  „Ąžuolas“ ")
@given(applicant=st.text(alphabet=st.sampled_from("ąčęėįšųūžĄČĘĖĮŠŲŪŽ„“ abcdefghijklmnoprstuvyzABCDEFGHIJ-.,"),
                         min_size=1, max_size=50).filter(lambda s: s.strip()))
def test_any_lithuanian_name_reads_back_exactly(applicant):
    words = flat(read_back(render_sutikimas(make_doc(applicant=applicant)))[0])
    assert f"sutinka, kad {flat(applicant)}, EORI kodas LT302345671," in words


def test_every_letter_of_the_document_is_black_so_that_a_fax_keeps_it(rendered):
    """A fax is black and white: grey captions break up into dots there (1B-1029:13 allows answers by fax)."""
    pdf, _, _ = rendered
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        colours = {tuple(char["non_stroking_color"] or (0,)) for page in document.pages for char in page.chars}
    assert colours <= {(0,), (0, 0, 0), (0, 0, 0, 1)}


# Letters of the form and of traders' names.
NAME_LETTERS = "ąčęėįšųūžĄČĘĖĮŠŲŪŽ„“ abcdefghijklmnoprstuvyzWMABCDEFGHIJ-.,0123456789"
OFFICES = (("LTVR1000", "Vilniaus krovinių postas"), ("LTKL1000", "Klaipėdos jūrų uosto postas"), ("LTKA3000", ""),
           ("LTVR6000", "Šalčininkų kelio postas"))


@st.composite
def documents(draw) -> SutikimasDoc:
    name = st.text(alphabet=st.sampled_from(NAME_LETTERS), min_size=1, max_size=120).filter(str.strip)
    day = draw(st.integers(min_value=1, max_value=28))
    return make_doc(
        number=f"VTP-2026-{draw(st.integers(min_value=1, max_value=999_999)):06d}",
        issued_at=at(2026, 11, day, draw(st.integers(0, 23)), draw(st.integers(0, 59))),
        place=draw(st.sampled_from(["Vilnius", "Kaunas", "Šalčininkai"])),
        applicant=draw(name),
        period_from=at(2026, 12, day, 9, 0), period_to=at(2026, 12, day + 1, draw(st.integers(0, 23)), 0),
        systems=draw(st.sampled_from([("MDAS",), ("NTKS",), ("MDAS", "NTKS")])),
        offices=tuple(draw(st.lists(st.sampled_from(OFFICES), min_size=1, max_size=30))),  # many go on to a page 2
        officer_position=draw(st.sampled_from(["Vyriausioji specialistė", "Skyriaus vedėjo pavaduotojas"])),
        officer_name=draw(name),
        issuer=draw(st.sampled_from(["Muitinės informacinių technologijų paslaugų centras", "MITPC"])))


@settings(max_examples=25, deadline=None)
@example(docs=[make_doc(applicant=f"UAB „Ǆemaitija {LITHUANIAN}“"), make_doc(),   # outside the subset: not kept
               make_doc(applicant="ſ" * 90, offices=OFFICES * 8), make_doc(offices=OFFICES * 8)])
@given(docs=st.lists(documents(), min_size=2, max_size=3))
def test_a_document_drawn_afresh_and_one_drawn_from_what_earlier_documents_kept_are_the_same_bytes(docs):
    """The page writer keeps the drawing of a form's fixed wording and replays it: a document's bytes must be
    those of drawing it from nothing, whatever documents came before it."""
    afresh = []
    for doc in docs:
        pdfpage.forget()
        afresh.append(render_sutikimas(doc))
    assert [render_sutikimas(doc) for doc in docs + docs[::-1]] == afresh + afresh[::-1]
    with pytest.MonkeyPatch.context() as patch:   # what is kept, dropped at its bound again and again
        patch.setattr(pdfpage, "DRAWN_MAX", 5)
        pdfpage.forget()
        assert [render_sutikimas(doc) for doc in docs] == afresh
        assert len(pdfpage._DRAWN) <= 5


def embedded_fonts(pdf: bytes) -> list:
    """The TrueType files a PDF embeds (its FontFile2 streams), loaded."""
    import re
    import zlib

    from fontTools.ttLib import TTFont
    streams = re.finditer(rb"<< /Length (\d+) /Filter /FlateDecode /Length1 \d+ >>\nstream\n", pdf)
    return [TTFont(io.BytesIO(zlib.decompress(pdf[m.end():m.end() + int(m.group(1))]))) for m in streams]


def drawn_glyphs(font) -> set[str]:
    """The characters whose glyphs in ``font`` have an outline (a subset empties the others)."""
    glyf = font["glyf"]
    return {chr(code) for code, name in font.getBestCmap().items()
            if glyf[name].numberOfContours != 0 or name in ("space", "nonbreakingspace", "uni00A0")}


@pytest.mark.parametrize("applicant", ["UAB „Žąsų ūkis“", "Müller & Søn GmbH", "Ōsaka Łódź Šiauliai"])
def test_the_embedded_fonts_hold_the_glyph_of_every_character_the_document_shows(applicant):
    pdf = render_sutikimas(make_doc(applicant=applicant))
    regular, bold = embedded_fonts(pdf)[:2]
    text, _ = read_back(pdf)
    shown = {c for c in text if not c.isspace()} - set(TITLE) - set("MUITINĖS INFORMACINIŲ TECHNOLOGIJŲ PASLAUGŲ CENTRAS")
    assert shown <= drawn_glyphs(regular)
    assert set(TITLE.replace(" ", "")) <= drawn_glyphs(bold)
    assert f"sutinka, kad {applicant}, EORI kodas" in flat(text)


def test_a_usual_document_embeds_only_the_glyphs_it_may_need_and_is_small():
    pdf = render_sutikimas(make_doc())
    regular = embedded_fonts(pdf)[0]
    assert len(drawn_glyphs(regular)) < len(shipped_face("").glyph) / 2   # the shipped subset has ≈370
    assert len(pdf) < 25_000   # the whole shipped subsets embedded made it ≈37 KB


@pytest.mark.parametrize("style", ["", "B"])
def test_the_shipped_base_cut_holds_exactly_the_base_characters_of_the_shipped_subset(style):
    from fontTools.ttLib import TTFont

    from responders.pdffonts import BASE, BASE_FILES, SHIPPED
    face = shipped_face(style)
    base = TTFont(SHIPPED / BASE_FILES[style])
    assert drawn_glyphs(base) - {" "} == {c for c in BASE if face.covers(c)} - {" "}   # a space has no outline
    shipped = TTFont(io.BytesIO(face.data))
    for char in BASE:   # same glyph ids, same widths
        if face.covers(char):
            name = base.getBestCmap()[ord(char)]
            assert name == shipped.getBestCmap()[ord(char)] and base["hmtx"][name] == shipped["hmtx"][name]


def test_a_usual_document_is_drawn_without_a_font_parser_in_the_process():
    import subprocess
    import sys
    code = ("import sys\nfrom tests.unit.test_sutikimas import make_doc\nfrom responders.sutikimas import render_sutikimas\n"
            "render_sutikimas(make_doc(applicant='UAB „Žąsų ūkis“'))\nprint('fontTools' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
