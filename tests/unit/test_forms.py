"""Whole requests: text → ParsedRequest (ingest.forms.parse_request)."""
from __future__ import annotations

import email
import json
import unicodedata
from datetime import datetime, timezone
from email import policy
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import ingest.form_continuity as continuity
from ingest.dates import VILNIUS
from ingest.forms import KINDS, ParsedRequest, parse_request
from ingest.offices import OfficeDirectory

ROOT = Path(__file__).resolve().parents[2]
from tests.helpers import CORPUS

RECEIVED = datetime(2026, 12, 3, 7, 15, tzinfo=VILNIUS)


@pytest.fixture(scope="module")
def offices() -> OfficeDirectory:
    return OfficeDirectory.load(ROOT / "config" / "customs_offices.csv")


def parse(text: str, offices: OfficeDirectory, **kw) -> ParsedRequest:
    kw.setdefault("received_at", RECEIVED)
    return parse_request(text, offices=offices, **kw)


# --- the corpus's plain-text messages ---------------------------------------------------------------------

PLAIN = ["c01-labels-plain", "c06-long-period", "c07-incomplete", "c08-not-objective", "c09-unclear-reason",
         "c13-afis-incomplete", "c14-early-recovery", "c15-reply-chain", "c16-ascii", "c18-limit-1",
         "c18-limit-6"]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
@pytest.mark.parametrize("name", PLAIN)
def test_corpus_plain_text_bodies(name: str, offices: OfficeDirectory) -> None:
    with open(CORPUS / "mail" / f"{name}.eml", "rb") as fh:
        message = email.message_from_binary_file(fh, policy=policy.default)
    expected = json.loads((CORPUS / "expected" / f"{name}.json").read_text(encoding="utf-8"))
    body = message.get_body(("plain",)).get_content()
    request = parse_request(body, offices=offices, subject=str(message["subject"]), sender=str(message["from"]),
                            received_at=parsedate_to_datetime(message["date"]))
    assert request.kind == expected["kind"]
    assert request.missing == expected["missing"]
    for key, value in expected["fields"].items():
        assert request.fields[key] == value, key
    assert 0.5 <= request.confidence <= 1.0


# --- continuity: labels ---------------------------------------------------------------------------------

LABELLED = """Laba diena,

prašome sutikimo taikyti veiklos tęstinumo procedūrą.

{lines}

Pagarbiai
Ona Onaitė
Direktorė
UAB „Linų audiniai“
ona@linuaudiniai.lt
"""

LINES = [
    "Įmonė: UAB „Linų audiniai“",
    "EORI: LT 123 456 789",
    "Tel. Nr.: (8 45) 51 22 33",
    "Neveikianti sistema: MDAS",
    "Laikotarpis: 2026 m. gruodžio 4 d. nuo 8 val. iki 17 val. 30 min.",
    "Deklaravimo vieta: Panevėžio poste",
    "Priežastys: sugedo serverio maitinimo blokas.",
    "Atsakymą prašome siųsti: muitine@linuaudiniai.lt",
]


def test_labelled_request_reads_every_field(offices: OfficeDirectory) -> None:
    request = parse(LABELLED.format(lines="\n".join(LINES)), offices)
    assert request.kind == "continuity"
    assert request.missing == []
    assert request.fields == {
        "applicant": "UAB „Linų audiniai“",
        "eori": "LT123456789",
        "phone": "+37045512233",
        "systems": ["MDAS"],
        "period_from": "2026-12-04T08:00:00+02:00",
        "period_to": "2026-12-04T17:30:00+02:00",
        "customs_offices": ["LTKA4000"],
        "reasons": "sugedo serverio maitinimo blokas.",
        "reply_email": ["muitine@linuaudiniai.lt"],   # not ona@… from the signature
        "reply_fax": [],
        "contact_name": "Ona Onaitė",
        "contact_position": "Direktorė",
    }


@settings(max_examples=40, deadline=None)
@given(order=st.permutations(LINES))
def test_labels_in_any_order_give_the_same_request(order: list[str], offices: OfficeDirectory) -> None:
    reference = parse(LABELLED.format(lines="\n".join(LINES)), offices)
    assert parse(LABELLED.format(lines="\n".join(order)), offices) == reference


def test_labels_without_diacritics_and_separate_start_end(offices: OfficeDirectory) -> None:
    text = """Sveiki,
Imone: UAB Siauliu pienas
EORI kodas: lt300999111
Telefonas: 8 41 55 66 77
Sistema: NTKS
Pradzia: 2026.12.05 7:00
Pabaiga: 19.00
Muitines istaigos: Siauliu kroviniu postas, LTSA2000
Priezastis: nutruko interneto rysys.
Sutikima siusti: deklar@spienas.lt
Kontaktinis asmuo: Darius Kuliesius, vadybininkas
"""
    request = parse(text, offices)
    assert request.kind == "continuity"
    assert request.missing == []
    assert request.fields["eori"] == "LT300999111"
    assert request.fields["period_from"] == "2026-12-05T07:00:00+02:00"
    assert request.fields["period_to"] == "2026-12-05T19:00:00+02:00"     # end date from the start
    assert request.fields["customs_offices"] == ["LTSA1000", "LTSA2000"]
    assert (request.fields["contact_name"], request.fields["contact_position"]) == ("Darius Kuliesius",
                                                                                    "vadybininkas")


def test_table_cells_one_per_line(offices: OfficeDirectory) -> None:
    text = ("Prašome taikyti veiklos tęstinumo procedūrą\nAsmens pavadinimas\nUAB „Kelias“\nEORI kodas\t"
            "LT302000111\nSistema\tMDAS\nNuo\t2026-12-07 10:00\nIki\t2026-12-07 14:00\n"
            "Muitinės įstaigos\tLTVR5000\nPriežastis\tserverio gedimas\nSutikimą siųsti\tkelias@kelias.lt\n"
            "Kontaktinis asmuo\tJonas Jonaitis")
    request = parse(text, offices)
    assert request.missing == []
    assert request.fields["applicant"] == "UAB „Kelias“"
    assert request.fields["period_to"] == "2026-12-07T14:00:00+02:00"
    assert request.fields["customs_offices"] == ["LTVR5000"]
    assert request.fields["reply_email"] == ["kelias@kelias.lt"]


# --- continuity: missing, at the boundary of point 8 ------------------------------------------------------

@pytest.mark.parametrize("drop, missing", [
    ("Įmonė:", ["applicant"]),
    ("EORI:", ["eori"]),
    ("Laikotarpis:", ["period"]),
    ("Priežastys:", ["reasons"]),
    ("Neveikianti sistema:", ["systems"]),
    ("Deklaravimo vieta:", ["customs_offices"]),
])
def test_each_required_field_absent_is_listed_missing(drop: str, missing: list[str],
                                                      offices: OfficeDirectory) -> None:
    lines = [line for line in LINES if not line.startswith(drop)]
    text = LABELLED.format(lines="\n".join(lines)).replace("UAB „Linų audiniai“\nona", "ona")
    assert parse(text, offices).missing == missing


# 1B-1029:8.1: the person AND the person's representative. LABELLED's only person is its sign-off.
NO_PERSON = LABELLED.replace("Pagarbiai\nOna Onaitė\nDirektorė\n", "--\n")


def test_a_request_naming_no_representative_or_contact_person_lacks_contact_name(offices: OfficeDirectory) -> None:
    request = parse(NO_PERSON.format(lines="\n".join(LINES)), offices)
    assert request.kind == "continuity"
    assert (request.fields["contact_name"], request.missing) == (None, ["contact_name"])


@pytest.mark.parametrize("written, name, position", [
    ("Pagarbiai\nOna Onaitė\nDirektorė", "Ona Onaitė", "Direktorė"),
    ("Pagarbiai, Vardenis Pavardenis", "Vardenis Pavardenis", None),
    ("Su pagarba,\nVardenis Pavardenis", "Vardenis Pavardenis", None),
    ("--\nVardenis Pavardenis\nUAB „Linų audiniai“", "Vardenis Pavardenis", None),
    ("Kontaktinis asmuo: Vardenis Pavardenis", "Vardenis Pavardenis", None),
    ("Kontaktinis asmuo: logistikos vadovė Rūta Kavaliauskienė, tel. +370 615 80 442", "Rūta Kavaliauskienė",
     "logistikos vadovė"),
    ("Kontaktinis asmuo: Laura Jasiūnienė, deklaravimo skyriaus vadovė, tel. +370 652 11 020",
     "Laura Jasiūnienė", "deklaravimo skyriaus vadovė"),
    ("Atstovas: muitinės tarpininkas Petras Petraitis, petras@tarpininkas.lt", "Petras Petraitis",
     "muitinės tarpininkas"),
    ("Atstovas: UAB „Muitinės tarpininkai“", "UAB „Muitinės tarpininkai“", None),
    ("Asmens įgaliotas (kontaktinis) asmuo – muitinės tarpininkė\nAušra Vaitkevičienė, tel. +370 612 44 380.",
     "Aušra Vaitkevičienė", "muitinės tarpininkė"),
    ("Asmens įgaliotas (kontaktinis) asmuo\nMuitinės skyriaus vadovas Gintaras Petraitis", "Gintaras Petraitis",
     "Muitinės skyriaus vadovas"),
    ("Asmens igaliotas (kontaktinis) asmuo\nVyriausioji buhaltere\tDalia Norkiene", "Dalia Norkiene",
     "Vyriausioji buhaltere"),
    ("Vardas, pavardė: Vardenis Pavardenis\nPareigos: direktorius", "Vardenis Pavardenis", "direktorius"),
])
def test_the_contact_person_is_read_however_it_is_written(written: str, name: str, position: str | None,
                                                         offices: OfficeDirectory) -> None:
    text = NO_PERSON.format(lines="\n".join(LINES)).replace("--\n", written + "\n\n")
    request = parse(text, offices)
    assert request.missing == []
    assert (request.fields["contact_name"], request.fields["contact_position"]) == (name, position)


def test_the_reasons_label_may_be_the_laws_own_words(offices: OfficeDirectory) -> None:
    # corpus c20: "Priežastys, dėl kurių negalime vykdyti elektroninių duomenų mainų: ..."
    for label in ("Priežastys, dėl kurių negalime vykdyti elektroninių duomenų mainų:",
                  "Priezastys, del kuriu asmuo negali vykdyti elektroniniu duomenu mainu:",
                  "7. Priežastis, dėl kurios negalime teikti deklaracijų\t"):
        lines = [f"{label} sugedo serverio maitinimo blokas." if line.startswith("Priežastys") else line
                 for line in LINES]
        request = parse(LABELLED.format(lines="\n".join(lines)), offices)
        assert request.missing == [], label
        assert request.fields["reasons"] == "sugedo serverio maitinimo blokas.", label


def test_a_company_code_identifies_the_trader_as_its_lithuanian_eori(offices: OfficeDirectory) -> None:
    # corpus c22: no EORI, the company code in the letterhead next to a VAT code of EORI shape.
    letterhead = "Įmonės kodas 304915327, PVM mokėtojo kodas LT100011982716"
    for eori_line in ("EORI: 304 915 327", "EORI kodas:", letterhead):
        lines = [eori_line if line.startswith("EORI") else line for line in LINES]
        text = LABELLED.format(lines="\n".join(lines))
        if eori_line != letterhead:
            text = letterhead + "\n" + text
        request = parse(text, offices)
        assert (request.fields["eori"], request.missing) == ("LT304915327", []), eori_line


@pytest.mark.parametrize("period, missing", [
    ("Laikotarpis: nuo 2026-12-04 08:00", ["period"]),              # no end
    ("Laikotarpis: kuo skubiau, kelias dienas", ["period"]),
    ("Laikotarpis: nuo 2026-12-04 08:00 iki 2026-12-04 08:01", []),
])
def test_period_needs_both_ends(period: str, missing: list[str], offices: OfficeDirectory) -> None:
    lines = [period if line.startswith("Laikotarpis") else line for line in LINES]
    assert parse(LABELLED.format(lines="\n".join(lines)), offices).missing == missing


def test_invalid_eori_is_none_and_missing(offices: OfficeDirectory) -> None:
    lines = ["EORI: LT12345678" if line.startswith("EORI") else line for line in LINES]
    request = parse(LABELLED.format(lines="\n".join(lines)), offices)
    assert request.fields["eori"] is None
    assert request.missing == ["eori"]


# --- continuity: prose and the annex form ---------------------------------------------------------------

def test_free_prose_request(offices: OfficeDirectory) -> None:
    text = ("Laba diena, MB „Ąžuolo baldai“ (EORI LT305999000, tel. 8 686 12345) prašo sutikimo taikyti MDAS "
            "veiklos tęstinumo procedūrą 2026-12-04 08:00–16:00 Kauno krovinių poste, nes po atnaujinimo "
            "neveikia deklaravimo programa. Sutikimą atsiųskite faksu (8 37) 12 34 56 ir el. paštu "
            "info@azuolobaldai.lt.\n\nPagarbiai\nOna Onaitė\ndirektorė\nona@azuolobaldai.lt")
    request = parse(text, offices)
    assert request.kind == "continuity"
    assert request.missing == []
    f = request.fields
    assert (f["applicant"], f["eori"], f["phone"]) == ("MB „Ąžuolo baldai“", "LT305999000", "+37068612345")
    assert (f["period_from"], f["period_to"]) == ("2026-12-04T08:00:00+02:00", "2026-12-04T16:00:00+02:00")
    assert f["customs_offices"] == ["LTKA2000"]
    assert f["reasons"] == "po atnaujinimo neveikia deklaravimo programa."
    assert (f["reply_email"], f["reply_fax"]) == (["info@azuolobaldai.lt"], ["+37037123456"])


ANNEX_FORM = """AB „Pajūrio laivyba“, EORI LT141222999, tel. 8 46 40 40 41
(asmens pavadinimas (vardas, pavardė) ir EORI kodas, telefono numeris)
Muitinės informacinių technologijų paslaugų centrui
Faksas (8 5) 236 2338, elektroninis paštas ITPC@lrmuitine.lt
PRAŠYMAS TAIKYTI VEIKLOS TĘSTINUMO PROCEDŪRĄ
2027-01-05 Nr. 4
(data)
Klaipėda
(sudarymo vieta)
Prašau sutikimo taikyti veiklos tęstinumo procedūrą {systems}
(nereikalinga išbraukti)
nuo 2027-01-05 07:15 iki 2027-01-06 19:45
(data, val. min.) (data, val. min.)
šiose muitinės įstaigose Klaipėdos krovinių postas, Klaipėdos jūrų uosto postas
(nurodyti pavadinimus)
Elektroninių duomenų mainų vykdyti negaliu, nes užšalo
serverinės vėsinimas.
(nurodyti priežastis)
Sutikimą taikyti veiklos tęstinumo procedūrą prašau siųsti šiuo elektroninio pašto adresu ir (arba) šiuo faksu {reply}
(nurodyti elektroninio pašto adresą ir (arba) fakso numerį)
Asmens įgaliotas (kontaktinis) asmuo
Vyr. ekspeditorė   (parašas)   Jurgita Mažeikienė
(pareigų pavadinimas)   (parašas)   (vardas ir pavardė)
"""


def test_annex_form_values_above_captions(offices: OfficeDirectory) -> None:
    text = ANNEX_FORM.format(systems="MDAS ir (arba) / NTKS", reply="8 46 40 40 42, laivyba@pl.lt.")
    request = parse(text, offices)
    assert request.kind == "continuity"
    assert request.missing == []
    assert request.fields == {
        "applicant": "AB „Pajūrio laivyba“",
        "eori": "LT141222999",
        "phone": "+37046404041",
        "systems": ["MDAS", "NTKS"],
        "period_from": "2027-01-05T07:15:00+02:00",
        "period_to": "2027-01-06T19:45:00+02:00",
        "customs_offices": ["LTKL1000", "LTKL2000"],
        "reasons": "užšalo serverinės vėsinimas.",
        "reply_email": ["laivyba@pl.lt"],          # never ITPC's own address printed on the form
        "reply_fax": ["+37046404042"],            # nor ITPC's fax
        "contact_name": "Jurgita Mažeikienė",
        "contact_position": "Vyr. ekspeditorė",
    }


def test_annex_form_struck_system_and_blank_reply(offices: OfficeDirectory) -> None:
    request = parse(ANNEX_FORM.format(systems="MDAS ir (arba) /", reply=""), offices)
    assert request.fields["systems"] == ["MDAS"]
    assert request.fields["reply_email"] == [] and request.fields["reply_fax"] == []


def test_annex_form_through_noisy_ocr(offices: OfficeDirectory) -> None:
    text = (ANNEX_FORM.format(systems="NTKS", reply="faksu (846) 40 40 42.")
            .replace("LT141222999", "LTl4l222999").replace("07:15", "O7:l5").replace("19:45", "l9.45")
            .replace("EORI LT", "EORl LT").replace("ą", "a").replace("ū", "u").replace("ė", "e"))
    request = parse(text, offices, fax_sender="+37046404042")
    assert request.missing == []
    assert request.fields["eori"] == "LT141222999"
    assert request.fields["period_from"] == "2027-01-05T07:15:00+02:00"
    assert request.fields["period_to"] == "2027-01-06T19:45:00+02:00"
    assert request.fields["reply_fax"] == ["+37046404042"]


def test_template_wording_alone_does_not_choose_both_systems(offices: OfficeDirectory) -> None:
    text = ("Prašome taikyti veiklos tęstinumo procedūrą (MDAS ir (arba) / NTKS – nereikalinga išbraukti), "
            "nes neveikia mūsų NTKS programa. EORI LT302000111, nuo 2026-12-04 08:00 iki 2026-12-04 12:00, "
            "LTVR1000.")
    assert parse(text, offices).fields["systems"] == ["NTKS"]


# --- reply history ----------------------------------------------------------------------------------------

def test_reply_with_quoted_old_request_reads_the_new_one(offices: OfficeDirectory) -> None:
    new = LABELLED.format(lines="\n".join(LINES))
    old = "\n".join("> " + line for line in LABELLED.format(lines="\n".join(
        line.replace("MDAS", "NTKS").replace("Panevėžio poste", "LTVR1000").replace("gruodžio 4", "lapkričio 2")
        for line in LINES)).split("\n"))
    for marker in ("-----Original Message-----\n", "Nuo: ITPC <ITPC@lrmuitine.lt>\nIšsiųsta: 2026-11-24 10:40\n",
                   "2026-11-24 10:40, ITPC rašė:\n", "---------- Forwarded message ---------\n"):
        request = parse(new + "\n" + marker + old, offices)
        assert request.fields["systems"] == ["MDAS"], marker
        assert request.fields["customs_offices"] == ["LTKA4000"], marker
        assert request.fields["period_from"] == "2026-12-04T08:00:00+02:00", marker


def test_forwarded_request_under_a_covering_note_is_read(offices: OfficeDirectory) -> None:
    text = ("Sveiki, persiunčiu kolegos laišką.\n\n---------- Forwarded message ---------\nFrom: Jonas "
            "<jonas@uab.lt>\nDate: 2026-12-03 07:00\n\n" + "\n".join("> " + line for line in LINES)
            + "\n> Prašome taikyti veiklos tęstinumo procedūrą.\n>\n> Pagarbiai\n> Jonas Jonaitis")
    request = parse(text, offices)
    assert request.kind == "continuity"
    assert request.missing == []


# --- early recovery ---------------------------------------------------------------------------------------

def test_early_recovery_bare_time_takes_the_receipt_date(offices: OfficeDirectory) -> None:
    text = "Sveiki, gedimas pašalintas, sistema vėl veikia nuo 10.15 val. Sutikimo VTP-2026-000042 nebereikia."
    received = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
    request = parse(text, offices, received_at=received)
    assert request.kind == "early_recovery"
    assert request.fields == {"consent_no": "VTP-2026-000042", "resumed_at": "2026-12-03T10:15:00+02:00",
                              "eori": None}
    assert request.missing == []


def test_early_recovery_consent_number_from_the_subject(offices: OfficeDirectory) -> None:
    request = parse("Informuojame, kad MDAS ryšys atkurtas.", offices, subject="RE: Sutikimas Nr. VTP-2026-000007")
    assert request.kind == "early_recovery"
    assert request.fields["consent_no"] == "VTP-2026-000007"
    assert request.fields["resumed_at"] == "2026-12-03T07:15:00+02:00"   # said nothing: the receipt time


def test_new_request_in_reply_to_a_consent_is_not_a_recovery(offices: OfficeDirectory) -> None:
    text = LABELLED.format(lines="\n".join(LINES)).replace("sugedo serverio", "vėl sugedo serverio")
    assert parse(text, offices, subject="RE: Sutikimas Nr. VTP-2026-000002").kind == "continuity"


# Point 14: a reply to a Sutikimas saying the systems are still down and asking to go on is the next Prašymas,
# not a notice under 16, however it is worded, with or without diacritics.
STILL_DOWN = ["Mūsų sistemos vis dar neveikia", "Sistemos iki šiol neatkurtos", "Serveris dar nėra atkurtas",
              "Deja, ryšys nebuvo atkurtas", "Tiekėjas žada, kad sistema bus atkurta tik rytoj",
              "Gedimas dar nepašalintas", "Deklaravimo sistema tebeneveikia", "Gedimas dar nėra pašalintas",
              "Kol kas nepavyko atkurti serverio, jis neveikia"]
GO_ON = ["prašome pratęsti procedūrą iki rytojaus 18:00.", "prašome leisti procedūrą tęsti.",
         "prašome išduoti naują sutikimą.", "teikiame naują prašymą.", "prašome pratęsti sutikimo galiojimą.",
         "prašytume dar vieno sutikimo."]
CONSENT_SUBJECTS = ["RE: Sutikimas Nr. VTP-2027-000002 taikyti veiklos tęstinumo procedūrą – Prašymas "
                    "ITPC-2027-000002",
                    "Re: VTP-2027-000002", "FW: Sutikimas VTP 2027 000002"]


def ascii_only(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


@settings(max_examples=150, deadline=None)
@given(down=st.sampled_from(STILL_DOWN), go_on=st.sampled_from(GO_ON), subject=st.sampled_from(CONSENT_SUBJECTS),
       plain=st.booleans(), numbered_body=st.booleans())
def test_still_down_and_asking_to_go_on_is_a_new_request(down, go_on, subject, plain, numbered_body,
                                                         offices: OfficeDirectory) -> None:
    text = f"Laba diena,\n\n{down}, todėl {go_on}\n"
    text += "Dėl sutikimo Nr. VTP-2027-000002.\n" if numbered_body else ""
    text, subject = (ascii_only(text), ascii_only(subject)) if plain else (text, subject)
    assert parse(text, offices, subject=subject).kind == "continuity"


@pytest.mark.parametrize("down", STILL_DOWN)
def test_a_full_form_whose_reasons_say_still_down_is_a_new_request(down: str, offices: OfficeDirectory) -> None:
    text = LABELLED.format(lines="\n".join(LINES)).replace("sugedo serverio", f"{down}; sugedo serverio")
    text = text.replace("prašome sutikimo taikyti", "siunčiame prašymą taikyti")
    assert parse(text, offices, subject="RE: Sutikimas Nr. VTP-2026-000002").kind == "continuity"


RECOVERED = ["Sistemos veikia, elektroninių duomenų mainus vėl vykdome nuo 11:30. Sutikimas nebereikalingas.",
             "Informuojame, kad ryšys atkurtas nuo 11.30 val., sutikimo nebereikia.",
             "Gedimas pašalintas, sistema vėl veikia nuo 11:30, todėl gautas sutikimas mums nebereikalingas.",
             "Serveris sutvarkytas, deklaravimo sistema veikia įprastai nuo 11:30; sutikimą nebenaudosime."]


@pytest.mark.parametrize("plain", [False, True])
@pytest.mark.parametrize("text", RECOVERED)
def test_a_recovery_notice_without_a_consent_number(text: str, plain: bool, offices: OfficeDirectory) -> None:
    text = f"Laba diena,\n\nUAB „Prekyba“ (EORI LT 302 345 671). {text}\n\nPagarbiai\nJonas"
    request = parse(ascii_only(text) if plain else text, offices, subject="Sistemos veikimas atkurtas")
    assert request.kind == "early_recovery"
    assert request.fields == {"consent_no": None, "eori": "LT302345671", "resumed_at": "2026-12-03T11:30:00+02:00"}
    assert request.missing == []   # 1B-1029:16 asks for no number


INQUIRIES = ["Norėtume pasitikslinti, kaip užpildyti prašymą taikyti veiklos tęstinumo procedūrą: ar reikia "
             "nurodyti visus muitinės postus? Ar būtinas EORI kodas?",
             "Ar prašymą taikyti veiklos tęstinumo procedūrą galima siųsti faksu? Kokios priežastys laikomos "
             "objektyviomis?"]


@pytest.mark.parametrize("text", INQUIRIES)
def test_a_question_about_the_procedure_is_not_a_request(text: str, offices: OfficeDirectory) -> None:
    assert parse(text, offices, subject="Klausimas dėl prašymo formos").kind == "not_a_request"


def test_a_request_that_also_asks_a_question_is_still_a_request(offices: OfficeDirectory) -> None:
    text = LABELLED.format(lines="\n".join(LINES)) + "\nAr sutikimą atsiųsite ir faksu?"
    assert parse(text, offices).kind == "continuity"


# --- AFIS -------------------------------------------------------------------------------------------------

AFIS_FORM = """PRAŠYMAS DĖL TEISĖS NAUDOTIS AFIS/CIS+ IR TVARKYTI ŠIOSE SISTEMOSE ESANČIUS DUOMENIS SUTEIKIMO
1. Institucija: Muitinės kriminalinė tarnyba
2. Pareigos: vyresnysis tyrėjas
Vardas, pavardė: Tomas Žilinskas
Tel. Nr.: 8 5 266 0000
El. p.: tomas.zilinskas@lrmuitine.lt
3. Prieigos tipas: {access}
4. Moduliai:
[X] Alib
[ ] AFIS paštas
[x] FIDE (MS)
[ ] IET
[X] V-OCU
5. AFIS pašto dėžutė: MKT
6. Tikslai: {purposes}
Tiesioginis vadovas: Skyriaus viršininkas Darius Vaitkus
"""


def test_afis_access_complete(offices: OfficeDirectory) -> None:
    text = AFIS_FORM.format(access="CCN/CSI", purposes="tyrimų koordinavimas; bylų paieška")
    request = parse(text, offices, sender="darius.vaitkus@lrmuitine.lt")
    assert request.kind == "afis_access"
    assert request.missing == []
    assert request.fields["institution"] == "Muitinės kriminalinė tarnyba"
    assert (request.fields["officer_position"], request.fields["officer_name"]) == ("vyresnysis tyrėjas",
                                                                                    "Tomas Žilinskas")
    assert request.fields["officer_phone"] == "+37052660000"
    assert request.fields["officer_email"] == "tomas.zilinskas@lrmuitine.lt"
    assert request.fields["access_type"] == "CCN/CSI"
    assert request.fields["modules"] == ["Alib", "FIDE (MS)", "V-OCU"]     # ticked boxes only
    assert request.fields["afis_mailbox"] == "MKT"
    assert request.fields["purposes"] == ["tyrimų koordinavimas", "bylų paieška"]


def test_afis_access_incomplete_lists_point_7_fields(offices: OfficeDirectory) -> None:
    request = parse(AFIS_FORM.format(access="", purposes=""), offices)
    assert request.kind == "afis_access"
    assert request.missing == ["access_type", "purposes"]


@pytest.mark.parametrize("value, expected", [("Internet / Secure Web", "Internet/Secure Web"),
                                             ("ccn/csi", "CCN/CSI"), ("CCN/CSI arba Internet", None)])
def test_afis_access_type_values(value: str, expected: str | None, offices: OfficeDirectory) -> None:
    request = parse(AFIS_FORM.format(access=value, purposes="x"), offices)
    assert request.fields["access_type"] == expected


ANNEX_AFIS = """PRAŠYMAS DĖL TEISĖS NAUDOTIS AFIS/CIS+ IR TVARKYTI ŠIOSE SISTEMOSE ESANČIUS DUOMENIS SUTEIKIMO
1. Institucija: Valstybinė mokesčių inspekcija
2. Pareigūnas, kuriam reikalingos AFIS/CIS+ naudotojo teisės:
Pareigos: vyriausioji specialistė
Vardas ir pavardė: Asta Jonaitienė
Tel. Nr.: +370 5 268 7000
El. p. adresas: asta.jonaitiene@vmi.lt
3. Prieigos tipas: {access}
4. AFIS/CIS+ moduliai, su kuriais pagal atliekamas funkcijas reikia dirbti:
{boxes}
5. AFIS pašto dėžutė (jei institucija turi daugiau nei vieną): —
6. Tikslai, kuriems įgyvendinti reikalinga prieiga prie AFIS/CIS+: importo duomenų analizė
ir rizikos vertinimas.
Prašymą užpildė: vyriausioji specialistė Asta Jonaitienė (parašas)
"""
ALL_MODULES = ["Alib", "AFIS paštas", "AREP (AMT)", "CIS (EU)", "CIS (MS)", "CIS+ Cash Declarations", "CIS+ CigInfo",
               "CIS+ MarInfo", "CIS+ YachtInfo", "CSM", "FIDE (EU)", "FIDE (MS)", "IET", "MAS", "ToSMA", "V-OCU",
               "TDM", "URT"]


@settings(max_examples=60, deadline=None)
@given(chosen=st.sets(st.sampled_from(ALL_MODULES)), web=st.booleans(),
       marks=st.sampled_from([("☒", "☐"), ("☑", "☐"), ("[x]", "[ ]"), ("[X]", "[]")]))
def test_afis_annex_form_reads_only_the_ticked_boxes(chosen: set[str], web: bool, marks: tuple[str, str],
                                                     offices: OfficeDirectory) -> None:
    on, off = marks
    boxes = "\n".join(f"{on if m in chosen else off} {m}" for m in ALL_MODULES)
    access = f"{off if web else on} CCN/CSI {on if web else off} Internet/Secure Web"
    request = parse(ANNEX_AFIS.format(access=access, boxes=boxes), offices, sender="vadovas@vmi.lt")
    assert request.kind == "afis_access"
    assert request.fields["modules"] == [m for m in ALL_MODULES if m in chosen]
    assert request.fields["access_type"] == ("Internet/Secure Web" if web else "CCN/CSI")
    assert request.fields["purposes"] == ["importo duomenų analizė ir rizikos vertinimas."]
    assert request.missing == ([] if chosen else ["modules"])


def test_afis_access_names_ims_modules(offices: OfficeDirectory) -> None:
    text = AFIS_FORM.format(access="CCN/CSI", purposes="x").replace("[X] V-OCU", "[X] IMS")
    request = parse(text, offices, sender="darius.vaitkus@lrmuitine.lt")
    assert request.fields["modules"] == ["Alib", "FIDE (MS)", "IMS"]
    assert "ims_requested" not in request.fields


def test_afis_change_of_rights(offices: OfficeDirectory) -> None:
    text = ("Laba diena,\ninformuojame, kad Kauno teritorinės muitinės pareigūnas Petras Petraitis "
            "(petras.petraitis@lrmuitine.lt) nuo 2026-12-01 atleidžiamas iš darbo, todėl prašome panaikinti jo "
            "teisę naudotis AFIS/CIS+.\nPagarbiai\nSkyriaus vedėja")
    request = parse(text, offices, sender="vedeja@lrmuitine.lt")
    assert request.kind == "afis_change"
    assert request.missing == []
    assert request.fields["institution"] == "Kauno teritorinė muitinė"
    assert request.fields["officer_name"] == "Petras Petraitis"
    assert request.fields["officer_email"] == "petras.petraitis@lrmuitine.lt"
    assert request.fields["change_type"] == "loss"
    assert "atleidžiamas" in request.fields["change"]
    assert request.fields["changed_on"] == "2026-12-01"  # the supervisor's 2 working days run from it (15)


def test_afis_change_without_a_date_has_no_change_date(offices: OfficeDirectory) -> None:
    text = ("Laba diena,\ninformuojame, kad pareigūnas Petras Petraitis (petras.petraitis@lrmuitine.lt) "
            "perkeliamas į Rizikos valdymo skyrių, todėl prašome pakeisti jo teises naudotis AFIS/CIS+.\nPagarbiai")
    assert parse(text, offices, sender="vedeja@lrmuitine.lt").fields["changed_on"] is None


# --- not a request, odd input, confidence, speed ------------------------------------------------------------

@pytest.mark.parametrize("text", ["Sveiki, kada bus sąskaita? Ačiū.", "", "   \n\n", "Prašymas prisegtas.",
                                  "\x00\x01binary\ufffd junk"])
def test_not_a_request(text: str, offices: OfficeDirectory) -> None:
    assert parse(text, offices) == ParsedRequest("not_a_request", {}, [], 0.0)


def test_covering_note_scores_below_the_attached_form(offices: OfficeDirectory) -> None:
    subject = "Prašymas taikyti veiklos tęstinumo procedūrą"
    note = parse("Laba diena, siunčiame prašymą taikyti veiklos tęstinumo procedūrą (pridedama).", offices,
                 subject=subject)
    form = parse(ANNEX_FORM.format(systems="MDAS", reply="a@b.lt"), offices, subject=subject)
    assert note.confidence < form.confidence


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=600) | st.lists(st.sampled_from(LINES + ["> x", "Nuo:", "Iki:", "(data)",
                                                                       "[X] CIS (EU)", "AFIS", "VTP-2026-1"]),
                                              max_size=12).map("\n".join))
def test_any_text_parses_without_error(text: str, offices: OfficeDirectory) -> None:
    request = parse(text, offices)
    assert request.kind in KINDS
    assert 0.0 <= request.confidence <= 1.0
    json.dumps(request.fields)
    if request.kind == "continuity":
        assert request.fields["systems"] == sorted(request.fields["systems"])


def test_reply_written_below_the_quote_reads_the_new_text(offices: OfficeDirectory) -> None:
    old = "\n".join("> " + line for line in ["Sistema: NTKS", "Laikotarpis: nuo 2026-11-02 08:00 iki 2026-11-02 "
                                              "10:00", "Muitinės įstaigos: LTVR1000"])
    request = parse(old + "\n\n" + LABELLED.format(lines="\n".join(LINES)), offices)
    assert request.fields["systems"] == ["MDAS"]
    assert request.fields["period_from"] == "2026-12-04T08:00:00+02:00"


def test_forwarded_header_nuo_is_not_a_period_start(offices: OfficeDirectory) -> None:
    lines = [line for line in LINES if not line.startswith("Laikotarpis")]
    text = ("Persiunčiu.\n\nNuo: Jonas <jonas@uab.lt>\nIšsiųsta: 2026-12-03 07:00\n"
            + LABELLED.format(lines="\n".join(lines + ["Pradžia: 2026-12-04 08:00", "Pabaiga: 2026-12-04 12:00"])))
    request = parse(text, offices)
    assert (request.fields["period_from"], request.fields["period_to"]) == ("2026-12-04T08:00:00+02:00",
                                                                            "2026-12-04T12:00:00+02:00")


def test_a_text_repeating_the_reply_phrase_is_read_a_bounded_number_of_times(offices: OfficeDirectory, monkeypatch):
    # 225 KB of "sutikimą siųsti " once made the reply reading quadratic (183 s, 2.5 GB). Counting what the
    # address finders are handed proves the bound without timing anything.
    read: list[int] = []
    for name in ("find_emails", "find_phones"):
        real = getattr(continuity, name)
        monkeypatch.setattr(continuity, name, lambda text, real=real: read.append(len(text)) or real(text))
    text = "Prašymas taikyti veiklos tęstinumo procedūrą\n" + "sutikimą siųsti " * 14_400
    request = parse(text, offices)
    assert request.kind == "continuity" and request.fields["reply_email"] == []
    assert sum(read) <= 4 * continuity.MAX_REPLY_PHRASES * 2 * continuity.MAX_REPLY_LINE
