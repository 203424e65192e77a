"""Single fields (ingest.fields), label reading (ingest.form_layout) and the office directory (ingest.offices)."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from ingest.field_text import fold
from ingest.fields import (find_consent_numbers, find_emails, find_eori, find_organisation, find_phones, normalize_eori,
                           normalize_phone, split_position_name, systems_named)
from ingest.form_layout import caption_fields, label_key, labelled_fields
from ingest.offices import Office, OfficeDirectory

SHIPPED_OFFICES = Path(__file__).resolve().parents[2] / "config" / "customs_offices.csv"


# --- EORI -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("LT302345671", "LT302345671"),
    ("lt 165 443 322", "LT165443322"),
    ("LT-165-443-322", "LT165443322"),
    ("LT100001234567", "LT100001234567"),      # 12 digits: the VAT code
    ("LTl45667788", "LT145667788"),            # OCR l for 1
    ("LV40003012345", "LV40003012345"),
    ("PL1234567890", "PL1234567890"),
    ("DE1234567", "DE1234567"),
])
def test_eori_is_normalised_and_accepted(raw: str, expected: str) -> None:
    assert normalize_eori(raw) == expected


@pytest.mark.parametrize("raw", [
    "LT12345678",        # 8 digits: one short of a company code
    "LT1234567890",      # 10 digits
    "LT12345678901",     # 11 digits
    "LT1234567890123",   # 13 digits
    "LT12345678A",
    "US123456789",       # not an EU issuer
    "XX123456789",
    "LV4000301234",      # LV needs 11 digits
    "", "LT",
])
def test_invalid_eori_is_rejected(raw: str) -> None:
    assert normalize_eori(raw) is None


@pytest.mark.parametrize("text, expected", [
    ("EORI kodas: LT302345671", "LT302345671"),
    ("UAB „Rytų tranzitas“ (EORI LT302999888, tel. +370 5 277 7777)", "LT302999888"),
    ("EORI: LT 165 443 322 tel 860011111", "LT165443322"),
    ("UAB X, EORl LTl45667788, tel. (841) 52 33 44", "LT145667788"),
    ("Įmonės kodas LT300111222 ir kiti duomenys", "LT300111222"),
    ("EORI kodas: \nTelefonas: +370 600 11111", None),
    ("EORI kodas: LT12345\nPVM kodas: nėra", None),
    ("Laba diena, prašome sutikimo.", None),
])
def test_eori_found_in_text(text: str, expected: str | None) -> None:
    assert find_eori(text) == expected


@pytest.mark.parametrize("text", [
    "Įmonės kodas 304915327, PVM mokėtojo kodas LT100011982716",     # corpus c22: not the VAT code
    "PVM mokėtojo kodas LT100011982716\nĮmonės kodas: 304 915 327",
    "Imones kodas: 304915327",
    "UAB „Kuršių logistika“, įm. k. 304915327, tel. (8 46) 41 02 30",
    "Į. k. 304915327",
    "Juridinio asmens kodas 304915327",
    "EORI: 304915327",                                                # the bare code written as the EORI
    "EORI kodas 304 915 327, tel. 8 600 11111",
    "(EORI 304915327, tel. +370 46 41 02 30)",
])
def test_a_company_code_given_as_the_eori_or_alone_is_the_lithuanian_eori(text: str) -> None:
    assert find_eori(text) == "LT304915327"


@pytest.mark.parametrize("text, expected", [
    ("PVM mokėtojo kodas LT100011982716", "LT100011982716"),          # nothing else: as before
    ("PVM kodas LT100011982716, EORI LT304915327", "LT304915327"),
    ("PVM kodas LT100011982716\nUAB X, LT304915327", "LT304915327"),
    ("tel. 860012345, faks. 852362338", None),                        # nine digits that are no company code
    ("EORI: 30491532", None),
    ("Įmonės kodas 3049153270", None),
])
def test_vat_codes_and_other_numbers_are_not_taken_for_a_company_code(text: str, expected: str | None) -> None:
    assert find_eori(text) == expected


@settings(max_examples=100, deadline=None)
@given(digits=st.text("0123456789", min_size=9, max_size=9),
       label=st.sampled_from(["EORI", "EORI kodas:", "Įmonės kodas", "įmonės kodas:", "Imones kodas", "Į. k."]),
       gap=st.sampled_from(["", " ", "."]))
def test_any_nine_digit_company_code_after_its_label_gives_lt_and_the_code(digits: str, label: str, gap: str) -> None:
    written = gap.join((digits[:3], digits[3:6], digits[6:]))
    assert find_eori(f"UAB „Pavyzdys“, {label} {written}, tel. +370 5 200 0000") == "LT" + digits


@settings(max_examples=200, deadline=None)
@given(digits=st.one_of(st.text("0123456789", min_size=9, max_size=9), st.text("0123456789", min_size=12,
                                                                              max_size=12)),
       data=st.data())
def test_any_spacing_and_case_of_a_valid_eori_normalises_the_same(digits: str, data: st.DataObject) -> None:
    country = "".join(c.lower() if data.draw(st.booleans()) else c for c in "LT")
    rendered = country + data.draw(st.sampled_from(["", " ", "-"]))
    for c in digits:
        rendered += c + data.draw(st.sampled_from(["", "", " ", "-", "."]))
    assert normalize_eori(rendered) == "LT" + digits
    assert find_eori("EORI: " + rendered.strip(" -.")) == "LT" + digits


# --- phones ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("+370 5 212 3456", "+37052123456"),
    ("8 37 40 11 22", "+37037401122"),
    ("(8 37) 40 11 22", "+37037401122"),
    ("(841) 52 33 44", "+37041523344"),
    ("8-600-11111", "+37060011111"),
    ("+370 600 11111", "+37060011111"),
    ("00370 46 31 22 11", "+37046312211"),
    ("370 5 212 3456", "+37052123456"),
    ("5 212 3456", "+37052123456"),
    ("+48 22 123 45 67", "+48221234567"),
    ("(8 5) 236 2338", "+37052362338"),
])
def test_phone_forms_become_e164(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "", "8 5 212 34567 8", "+370 5 212 345", "2026-11-24 10"])
def test_non_numbers_are_rejected(raw: str) -> None:
    assert normalize_phone(raw) is None


@settings(max_examples=200, deadline=None)
@given(area=st.sampled_from(["5", "37", "41", "46", "313", "343", "600", "686"]), data=st.data())
def test_any_written_form_of_a_lithuanian_number_gives_the_same_e164(area: str, data: st.DataObject) -> None:
    rest = data.draw(st.text("0123456789", min_size=8 - len(area), max_size=8 - len(area)))
    split = data.draw(st.integers(0, len(rest)))
    local = rest[:split] + " " + rest[split:] if 0 < split < len(rest) else rest
    form = data.draw(st.sampled_from([f"+370 {area} {local}", f"8 {area} {local}", f"(8 {area}) {local}",
                                      f"(8{area}) {local}", f"8-{area}-{rest}", f"+370{area}{rest}"]))
    assert normalize_phone(form) == "+370" + area + rest
    assert find_phones(f"tel. {form}, kitas tekstas") == ["+370" + area + rest]


def test_phones_in_text_skip_dates_and_times() -> None:
    assert find_phones("nuo 2026-11-24 10:30 iki 2026-11-25 16:00, tel. 8 5 212 3456") == ["+37052123456"]


# --- e-mail, systems, consent numbers, names -------------------------------------------------------------

def test_emails_are_found_lower_cased_without_sentence_dots() -> None:
    assert find_emails("siųsti Muitine@Nemunologistika.LT. Kopija: a.b-c@x.lt") == [
        "muitine@nemunologistika.lt", "a.b-c@x.lt"]


@pytest.mark.parametrize("text, ignore_template, expected", [
    ("MDAS", False, ["MDAS"]),
    ("ntks ir mdas", False, ["MDAS", "NTKS"]),
    ("MDAS ir (arba) / NTKS", False, ["MDAS", "NTKS"]),       # the form's choice line: nothing struck
    ("MDAS ir (arba) /", False, ["MDAS"]),                     # NTKS struck upstream
    ("taikyti MDAS ir (arba) NTKS procedūrą, neveikia NTKS", True, ["NTKS"]),
    ("MDAS ir (arba) / NTKS (nereikalinga išbraukti)", True, []),
    ("MDASX sistema", False, []),
])
def test_systems_named(text: str, ignore_template: bool, expected: list[str]) -> None:
    assert systems_named(text, ignore_template=ignore_template) == expected


def test_consent_numbers_are_normalised() -> None:
    assert find_consent_numbers("RE: Sutikimas Nr. VTP-2026-000001; dar vtp 2026 000002, VTP-2026-000001") == [
        "VTP-2026-000001", "VTP-2026-000002"]
    assert find_consent_numbers("VTP-2026-00001") == []


@pytest.mark.parametrize("text, expected", [
    ("vyriausioji inspektorė Eglė Kairienė", ("vyriausioji inspektorė", "Eglė Kairienė")),
    ("Darius Kuliesius, vadybininkas", ("vadybininkas", "Darius Kuliesius")),
    ("Skyriaus viršininkas Darius Vaitkus", ("Skyriaus viršininkas", "Darius Vaitkus")),
    ("Mindaugas Rimkus", (None, "Mindaugas Rimkus")),
    ("", (None, None)),
])
def test_position_and_name_are_split(text: str, expected: tuple) -> None:
    assert split_position_name(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("UAB „Rytų tranzitas“ (EORI LT302999888)", "UAB „Rytų tranzitas“"),
    ("MB \"Alytaus prekyba\", EORI", "MB \"Alytaus prekyba\""),
    ("UAB Marijampoles vezejai", "UAB Marijampoles vezejai"),
    ("UAB Rytų tranzitas prašo sutikimo", "UAB Rytų tranzitas"),
    ("II SKYRIUS", None),
])
def test_organisation_names(text: str, expected: str | None) -> None:
    assert find_organisation(text) == expected


# --- labels ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("label, key", [
    ("Asmens pavadinimas", "applicant"), ("Imone", "applicant"), ("Įmonė", "applicant"),
    ("EORI kodas", "eori"), ("EORI", "eori"), ("Telefonas", "phone"), ("Tel.", "phone"), ("Tel. Nr.", "phone"),
    ("Sistema", "systems"), ("Neveikianti sistema", "systems"), ("Laikotarpis", "period"),
    ("Pradžia", "period_from"), ("Pradzia", "period_from"), ("Nuo", "period_from"),
    ("Pabaiga", "period_to"), ("Iki", "period_to"), ("Muitinės įstaigos", "customs_offices"),
    ("Muitines istaigos", "customs_offices"), ("Deklaravimo vietos", "customs_offices"),
    ("Muitinės įstaigos (kodai)", "customs_offices"), ("Priežastis", "reasons"), ("Priezastys", "reasons"),
    ("Sutikimą siųsti", "reply"), ("Atsakyma prasome siusti", "reply"), ("Kontaktinis asmuo", "person"),
    ("4. Moduliai", "modules"), ("El. p.", "email"), ("El. paštas", "email"), ("Prieigos tipas", "access_type"),
    ("AFIS pašto dėžutė", "afis_mailbox"), ("Tikslai", "purposes"), ("Vardas, pavardė", "name"),
    ("Pareigos", "position"), ("Institucija", "institution"), ("Laba diena", None), ("Pagarbiai", None),
])
def test_label_vocabulary_with_and_without_diacritics(label: str, key: str | None) -> None:
    assert label_key(label) == key
    assert label_key(fold(label)) == key
    assert label_key(label.upper()) == key


@pytest.mark.parametrize("line", ["EORI kodas: LT302345671", "EORI kodas\tLT302345671",
                                  "EORI kodas | LT302345671", "EORI kodas – LT302345671",
                                  "1. EORI kodas: LT302345671", "EORI KODAS:LT302345671"])
def test_label_separators(line: str) -> None:
    assert labelled_fields(line).first("eori") == "LT302345671"


def test_label_with_empty_value_does_not_take_the_next_label_line() -> None:
    labels = labelled_fields("EORI kodas: \nTelefonas: +370 600 11111\nTikslai: \n\nPagarbiai")
    assert labels.first("eori") == ""
    assert labels.first("phone") == "+370 600 11111"
    assert labels.first("purposes") == ""


def test_label_alone_takes_the_next_line_as_value() -> None:
    labels = labelled_fields("Asmens pavadinimas\nUAB „Linas“\nEORI kodas\nLT302345671")
    assert labels.first("applicant") == "UAB „Linas“"
    assert labels.first("eori") == "LT302345671"


def test_reasons_run_over_lines_until_the_next_label() -> None:
    labels = labelled_fields("Priežastis: sugedo serveris,\nkuriame veikia programa.\nSutikimą siųsti: a@b.lt")
    assert labels.first("reasons") == "sugedo serveris, kuriame veikia programa."


def test_values_above_their_captions() -> None:
    form = "\n".join([
        "AB „Pajūrio laivyba“, EORI LT141222999, tel. 8 46 40 40 41",
        "(asmens pavadinimas (vardas, pavardė) ir EORI kodas, telefono numeris)",
        "PRAŠYMAS TAIKYTI VEIKLOS TĘSTINUMO PROCEDŪRĄ",
        "Prašau sutikimo taikyti veiklos tęstinumo procedūrą NTKS",
        "(nereikalinga išbraukti)",
        "nuo 2027-01-05 07:15 iki 2027-01-06 19:45",
        "(data, val. min.) (data, val. min.)",
        "šiose muitinės įstaigose Klaipėdos krovinių postas",
        "(nurodyti pavadinimus)",
        "Elektroninių duomenų mainų vykdyti negaliu, nes užšalo",
        "serverinės vėsinimas.",
        "(nurodyti priežastis)",
        "Sutikimą ... prašau siųsti šiuo faksu 8 46 40 40 42",
        "(nurodyti elektroninio pašto adresą ir (arba) fakso numerį)",
        "Vyr. ekspeditorė\t(parašas)\tJurgita Mažeikienė",
        "(pareigų pavadinimas)\t(parašas)\t(vardas ir pavardė)",
    ])
    values = caption_fields(form)
    assert values["applicant_line"].startswith("AB „Pajūrio laivyba“")
    assert values["systems"] == "NTKS"
    assert values["period"] == "nuo 2027-01-05 07:15 iki 2027-01-06 19:45"
    assert values["customs_offices"] == "Klaipėdos krovinių postas"
    assert values["reasons"] == "užšalo serverinės vėsinimas."
    assert "8 46 40 40 42" in values["reply"]
    assert values["signature"] == "Vyr. ekspeditorė\t(parašas)\tJurgita Mažeikienė"


# --- offices --------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def directory() -> OfficeDirectory:
    return OfficeDirectory.load(SHIPPED_OFFICES)


@pytest.mark.parametrize("text, expected", [
    ("LTVR1000", ["LTVR1000"]),
    ("ltvr1000 ir LTKA 2000", ["LTKA2000", "LTVR1000"]),
    ("Vilniaus krovinių postas", ["LTVR1000"]),
    ("vilniaus kroviniu postas", ["LTVR1000"]),
    ("KLAIPĖDOS JŪRŲ UOSTO POSTAS", ["LTKL1000"]),
    ("Medininkų kelio poste", ["LTVR2000"]),
    ("Kauno oro uosto postas (LTKA3000), Kauno krovinių postas", ["LTKA2000", "LTKA3000"]),
    ("Šalčininkų kelio postas", ["LTVR6000"]),
    ("LTSAl000", ["LTSA1000"]),
    ("LTVR9999 Vilniaus postas", []),      # unknown code, no such name
    ("Vilniaus oro uostas", []),           # not an office name
    ("", []),
])
def test_offices_resolved_by_code_or_name(directory: OfficeDirectory, text: str, expected: list[str]) -> None:
    assert directory.resolve(text) == expected


def test_directory_lookup_and_iteration(directory: OfficeDirectory) -> None:
    office = directory.get("LTVR2000")
    assert office == Office("LTVR2000", "Medininkų kelio postas", "medininku.postas@lrmuitine.lt")
    assert directory.get("ltvr2000") == office
    assert directory.get("LTXX0000") is None
    assert len(list(directory)) == len(directory) >= 14


@pytest.mark.parametrize("body, line, message", [
    ("LTVR1000,Vilniaus postas\n", 2, "3 columns"),
    ("LTVR1000,Vilniaus postas,not-an-email\n", 2, "e-mail"),
    ("LTVR1000,Vilniaus postas,a@b.lt\nLTVR1000,Kitas,c@d.lt\n", 3, "duplicate"),
    ("LTVR1000,Vilniaus postas,a@b.lt\nbad code,Kitas,c@d.lt\n", 3, "code"),
    ("LTVR1000,,a@b.lt\n", 2, "no name"),
])
def test_bad_csv_rows_name_their_line(tmp_path: Path, body: str, line: int, message: str) -> None:
    path = tmp_path / "offices.csv"
    path.write_text("code,name,email\n" + body, encoding="utf-8")
    with pytest.raises(ValueError, match=rf"offices.csv:{line}:.*{message}"):
        OfficeDirectory.load(path)


def test_csv_without_header_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "offices.csv"
    path.write_text("LTVR1000,Vilniaus postas,a@b.lt\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r":1:"):
        OfficeDirectory.load(path)


def test_csv_round_trip_with_own_office(tmp_path: Path) -> None:
    path = tmp_path / "offices.csv"
    path.write_text("code,name,email\nLTPA1000,Pagėgių geležinkelio postas,pagegiai@lrmuitine.lt\n\n",
                    encoding="utf-8")
    directory = OfficeDirectory.load(path)
    assert directory.resolve("Pagegiu gelezinkelio poste ir LTPA1000") == ["LTPA1000"]


def test_malformed_eori_after_the_keyword_is_not_replaced_by_another_number() -> None:
    assert find_eori("EORI: LT1234567\nPVM mokėtojo kodas LT100001234567") is None
    # A caption naming the EORI without a value does not stop the search.
    assert find_eori("UAB X, LT302345671\n(asmens pavadinimas ir EORI kodas, telefono numeris)") == "LT302345671"


# --- digits of other scripts (issue 12, item 5) ------------------------------------------------------------

# The zero of each script whose digits a forger might use: ASCII, fullwidth, Arabic-Indic, Extended
# Arabic-Indic, Devanagari, Bengali, Thai, mathematical bold and monospace.
ZEROS = [0x30, 0xFF10, 0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0x1D7CE, 0x1D7F6]
# Fullwidth and mathematical digits are ASCII digits in another form (NFKC makes them so): one script with them.
SCRIPT = {zero: 0x30 if zero in (0x30, 0xFF10, 0x1D7CE, 0x1D7F6) else zero for zero in ZEROS}


def in_script(digits: str, zero: int) -> str:
    return "".join(chr(zero + int(d)) for d in digits)


@given(st.sampled_from(ZEROS), st.from_regex(r"[1-9][0-9]{8}", fullmatch=True))
def test_an_eori_written_in_the_digits_of_any_one_script_is_the_ascii_eori(zero, code):
    assert find_eori(f"EORI kodas: LT{in_script(code, zero)}") == f"LT{code}"
    assert find_eori(f"Įmonės kodas {in_script(code, zero)}") == f"LT{code}"


@given(st.sampled_from(ZEROS), st.sampled_from(ZEROS), st.from_regex(r"[1-9][0-9]{8}", fullmatch=True))
def test_digits_of_two_scripts_in_one_number_are_no_number(one, other, code):
    mixed = in_script(code[:4], one) + in_script(code[4:], other)
    same = SCRIPT[one] == SCRIPT[other]
    assert normalize_eori("LT" + mixed) == (f"LT{code}" if same else None)
    phone = in_script("370", one) + " " + in_script(code[:1], one) + " " + in_script(code[1:8], other)
    assert normalize_phone("+" + phone) == (f"+370{code[:8]}" if same else None)


def test_a_country_code_in_cyrillic_letters_is_no_eori():
    assert find_eori("EORI kodas: LТ165443322") is None    # a Cyrillic Т
    assert find_eori("EORI kodas: ＬＴ165443322") == "LT165443322"  # fullwidth Latin: the same letters
