"""A returned TC26 form (1B-1052:16) is recognised as `etd_consultation_reply` and read: the file, the replying
authority, the conditions of part I.3 ticked as not met, the answers a–e of part II, and whether it agrees.
The forms are made here: one rendered by responders.tc26, filled in as people fill forms, and typed replies."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

from ingest.form_kind import ETD_CONSULTATION_REPLY
from ingest.form_tc26 import looks_like_tc26, parse_tc26
from ingest.forms import parse_request
from ingest.offices import OfficeDirectory
from ingest.parse import Limits, parse_message
from responders.tc26 import render_tc26
from tests.make_documents import form_pdf, message
from tests.unit.test_tc26 import pdf_lines, sample_form

OFFICES = OfficeDirectory.load("config/customs_offices.csv")
CONDITION_STARTS = {"etd_data": "☐ Leidimo turėtojas negali užtikrinti", "flights": "☐ Leidimo turėtojas nevykdo",
                    "infringements": "☐ Leidimo turėtojas yra padaręs",
                    "control": "☐ Leidimo turėtojas negali įrodyti, kad užtikrina",
                    "competence": "☐ Leidimo turėtojas negali įrodyti, kad laikosi"}
NO_ANSWERS = {q: None for q in "abcde"}


@pytest.fixture(scope="module")
def blank() -> str:
    """The text of the form as we send it (pdfplumber, as ingest.documents reads a PDF)."""
    return "\n".join(pdf_lines(render_tc26(sample_form())))


def fill(blank: str, *, conditions: dict[str, str] = {}, answers: dict[str, bool] = {}, dated: bool = True,
         tick: str = "☒", empty: str = "☐", remark: str = "") -> str:
    """The blank form filled in: ``conditions`` ticked with the ports written under them, ``answers`` ticked
    YES (True) or NO (False), block 6 dated, a remark written."""
    lines = blank.splitlines()
    mark = "\0"  # the tick goes in last: a mark drawn over a box ("☐X") keeps its printed box
    for name, ports in conditions.items():
        at = next(i for i, line in enumerate(lines) if line.startswith(CONDITION_STARTS[name]))
        lines[at] = mark + lines[at][1:]
        below = next(i for i in range(at, len(lines)) if lines[i].startswith("Uostas (-ai):"))
        lines[below] = f"Uostas (-ai): {ports}"
    boxes = [i for i, line in enumerate(lines) if line == "☐ TAIP ☐ NE"]
    for letter, yes in answers.items():
        at = boxes["abcde".index(letter)]
        lines[at] = f"{mark} TAIP ☐ NE" if yes else f"☐ TAIP {mark} NE"
    block6 = next(i for i, line in enumerate(lines) if line.startswith("6. Institucija"))
    if dated:
        lines[block6 + 2], lines[block6 + 3] = "Vieta: Bern", "Data: 2026-12-03"
    if remark:
        at = next(i for i, line in enumerate(lines) if line.startswith("Pastabos ……"))
        lines[at] = f"Pastabos: {remark}"
    return "\n".join(lines).replace("☐", empty).replace(mark, tick)


def test_the_blank_form_as_we_send_it_is_a_tc26_that_answers_nothing(blank):
    fields = parse_tc26(blank)
    assert looks_like_tc26(blank)
    assert fields["file_number"] == "ETD-2026-000001" and fields["msvs_number"] == "LTETD2026000123"
    assert fields["authority"] == "Federal Office for Customs and Border Security (FOCBS)" and fields["country"] == "CH"
    assert fields["conditions_not_met"] == [] and fields["answers"] == NO_ANSWERS
    assert fields["agrees"] is None and fields["remarks"] is None


def test_a_signed_form_with_no_condition_ticked_agrees(blank):
    fields = parse_tc26(fill(blank))
    assert fields["agrees"] is True and fields["part"] == "I" and fields["conditions_not_met"] == []


def test_a_ticked_condition_is_read_with_its_ports_and_the_form_does_not_agree(blank):
    fields = parse_tc26(fill(blank, conditions={"flights": "Genève Aéroport (CH002345)",
                                                "competence": "Zürich, Genève"}, remark="See the annex."))
    assert fields["conditions_not_met"] == [{"condition": "flights", "ports": "Genève Aéroport (CH002345)"},
                                            {"condition": "competence", "ports": "Zürich, Genève"}]
    assert fields["agrees"] is False and fields["remarks"] == "See the annex."


def test_part_two_answers_are_read_and_agree_only_when_each_keeps_the_authorisation(blank):
    keeps = {"a": True, "b": True, "c": False, "d": True, "e": True}
    fields = parse_tc26(fill(blank, answers=keeps, dated=False))
    assert fields["answers"] == keeps and fields["part"] == "II" and fields["agrees"] is True
    against = parse_tc26(fill(blank, answers={**keeps, "c": True}))   # infringements: yes
    assert against["answers"]["c"] is True and against["agrees"] is False
    partly = parse_tc26(fill(blank, answers={"a": True, "b": True}))
    assert partly["answers"] == {**NO_ANSWERS, "a": True, "b": True} and partly["agrees"] is None


@pytest.mark.parametrize("line, expected", [
    ("[x] YES [ ] NO", True), ("[ ] TAIP [X] NE", False), ("TAIP X", True), ("NE ✓", False),
    ("TAIP", True), ("Atsakymas: NE", False), ("☐ TAIP ☐ NE", None), ("☒ TAIP ☒ NE", None),
])
def test_a_part_two_answer_however_it_is_ticked(line, expected):
    text = f"TC26 ETD-2026-000001\nII. KONSULTAVIMASIS STEBINT LEIDIMO NAUDOJIMĄ\na) Ar leidimo turėtojas vis dar " \
           f"užtikrina, kad muitinei būtų prieinami ETD duomenys?\n{line}\nPastabos: no\n"
    assert parse_tc26(text)["answers"]["a"] is expected


def test_a_typed_english_reply_with_the_number_in_the_subject_agrees_in_words():
    subject = "RE: ETD-2026-000001 – TC26 ETD consultation – UAB „Šiaurės oro linijos“, MSVS LTETD2026000123"
    body = ("Dear Colleagues,\n\nwe have checked the information available to us: all conditions are fulfilled "
            "at Zürich and Geneva airports and we have no objections.\n\nKind regards\nFOCBS, Transit\n\n"
            "> Please complete part I.3 (any condition not fulfilled, with the ports concerned) and block 6\n")
    fields = parse_tc26(body, subject)
    assert looks_like_tc26(body, subject)
    assert (fields["file_number"], fields["msvs_number"], fields["agrees"]) == ("ETD-2026-000001",
                                                                                "LTETD2026000123", True)


def test_a_typed_reply_answering_a_to_e_on_one_line():
    fields = parse_tc26("Atsakymas į TC26 ETD 2026 000001: a) TAIP b) TAIP c) NE d) TAIP e) NE")
    assert fields["file_number"] == "ETD-2026-000001"
    assert fields["answers"] == {"a": True, "b": True, "c": False, "d": True, "e": False}
    assert fields["agrees"] is False


@pytest.mark.parametrize("words, agrees", [
    ("we object to the granting of the authorisation", False), ("we have objections, see the annex", False),
    ("prieštaraujame leidimo suteikimui", False), ("nesutinkame", False),
    ("we do not object to the grant", True), ("we have no objections", True), ("neprieštaraujame", True),
])
def test_a_reply_that_objects_or_agrees_in_words(words, agrees):
    assert parse_tc26(f"TC26 ETD-2026-000001: {words}.")["agrees"] is agrees


@pytest.mark.parametrize("text, subject", [
    ("Laba diena, prašau sutikimo taikyti veiklos tęstinumo procedūrą MDAS nuo 09:00 iki 17:00.", ""),
    ("Dėl ETD-2026-000001: kada bus sprendimas?", ""),        # our number, but no form
    ("Sveiki, ar galiu pildyti TC26 formą?", "Klausimas"),      # the form, but no file and no answer
])
def test_other_mail_is_not_a_tc26_reply(text, subject):
    assert not looks_like_tc26(text, subject)
    assert parse_request(text, offices=OFFICES, subject=subject).kind != ETD_CONSULTATION_REPLY


def test_parse_request_gives_the_kind_and_misses_only_an_unknown_file(blank):
    found = parse_request(fill(blank), offices=OFFICES)
    assert found.kind == ETD_CONSULTATION_REPLY and found.missing == [] and found.fields["agrees"] is True
    lost = parse_request("TC26: all conditions are fulfilled, part I.3 empty. If any condition were not...",
                         offices=OFFICES)
    assert lost.kind == ETD_CONSULTATION_REPLY and lost.missing == ["file_number"]


def test_a_filled_form_attached_as_a_pdf_outranks_the_covering_note_that_names_it(blank):
    filled = fill(blank, conditions={"etd_data": "Basel"}).splitlines()
    # The returned form's first page as a PDF (a page holds 35 lines): up to the first condition and its ports.
    ticked = next(i for i, line in enumerate(filled) if line.startswith("☒"))
    page = [filled[0], filled[1], *[line for line in filled[2:ticked] if line.startswith(("2.", "4.", "LTETD",
                                                                                         "3. Jei"))],
            *filled[ticked:ticked + 3]]
    raw = message(subject="RE: ETD-2026-000001 – TC26 ETD consultation",
                  body="Dear Colleagues,\nplease find attached the completed TC26 form for ETD-2026-000001.\n",
                  sender="transit@bazg.admin.ch", attachments=[("TC26.pdf", "application/pdf", form_pdf(page))])
    result = parse_message(raw, offices=OFFICES, own_address="ITPC@lrmuitine.lt", limits=Limits())
    assert result.kind == ETD_CONSULTATION_REPLY and result.source == "pdf"
    assert result.fields["conditions_not_met"] == [{"condition": "etd_data", "ports": "Basel"}]
    assert result.fields["agrees"] is False


# ------------------------------------------------------------------------------ how people fill forms


TICKS = ["X", "x", "☒", "☑", "✓", "✔", "[x]", "[X]", "(x)", "[ X ]", "☐X", "X☐", "□✓"]
EMPTIES = ["☐", "□", "[ ]", "o"]
STRIP = str.maketrans("ąčęėįšųūžĄČĘĖĮŠŲŪŽ", "aceeisuuzACEEISUUZ")


def varied(text: str, *, spaces: list[int], strip: bool, crlf: bool) -> str:
    """``text`` as another program or person writes it: runs of blanks, trailing blanks, CRLF, no diacritics."""
    out = []
    for n, line in enumerate(text.split("\n")):
        gap = " " * spaces[n % len(spaces)]
        out.append(re.sub(r"(?<=\S) (?=\S)", gap, line, count=2) + " " * (n % 3))
    text = ("\r\n" if crlf else "\n").join(out)
    return text.translate(STRIP) if strip else text


@settings(max_examples=40, deadline=None)
@given(conditions=st.sets(st.sampled_from(sorted(CONDITION_STARTS))),
       answers=st.dictionaries(st.sampled_from("abcde"), st.booleans()),
       tick=st.sampled_from(TICKS), empty=st.sampled_from(EMPTIES),
       spaces=st.lists(st.integers(1, 4), min_size=1, max_size=5), strip=st.booleans(), crlf=st.booleans())
def test_ticks_spacing_and_diacritics_do_not_change_the_reading(blank, conditions, answers, tick, empty, spaces,
                                                               strip, crlf):
    ports = {name: f"Zürich {n}" for n, name in enumerate(sorted(conditions))}
    canonical = parse_tc26(fill(blank, conditions=ports, answers=answers))
    fields = parse_tc26(varied(fill(blank, conditions=ports, answers=answers, tick=tick, empty=empty),
                               spaces=spaces, strip=strip, crlf=crlf))
    assert fields["conditions_not_met"] == canonical["conditions_not_met"]
    assert [c["condition"] for c in fields["conditions_not_met"]] == sorted(conditions, key=list(
        CONDITION_STARTS).index)
    assert fields["answers"] == canonical["answers"] == {**NO_ANSWERS, **answers}
    for key in ("file_number", "msvs_number", "country", "agrees", "part"):
        assert fields[key] == canonical[key], key
