"""Letters: every template renders with a realistic context, says what the rules require, in Lithuanian."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jinja2
import pytest
from hypothesis import given, settings, strategies as st

from ledger.clock import VILNIUS
from responders.compose import compose
from responders.letters import ENGLISH_LETTERS, LETTERS, Letter, LetterError, leftover_markup, render_letter
from responders.reasons import ReasonLists
from responders.rules import ConsentRecord, decide_continuity

TEMPLATES = Path(__file__).resolve().parents[2] / "config" / "templates"
ITPC = "Muitinės informacinių technologijų paslaugų centras"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=VILNIUS)


OFFICES = [("LTVR1000", "Vilniaus krovinių postas"), ("LTKL1000", "Klaipėdos jūrų uosto postas")]
SHORTENING = ("Sutikimas išduodamas trumpesniam, nei prašyta, laikotarpiui, nes jis išduodamas ne ilgesniam kaip "
              "2 darbo dienų laikotarpiui (Muitinės veiklos tęstinumo taisyklių 14 punktas).")


def contexts() -> dict[str, dict]:
    """One realistic context per letter, as the pipeline would build it from a decision."""
    return {
        "consent": dict(request_no="ITPC-2026-000001", consent_no="VTP-2026-000001",
                        received_at=at(2026, 11, 23, 8, 41), applicant="UAB „Baltijos krovinių logistika“",
                        eori="LT302345671", systems=["MDAS"], period_from=at(2026, 11, 23, 9, 0),
                        period_to=at(2026, 11, 23, 18, 0), offices=OFFICES, motives=[],
                        addressee="Rūta Žemaitienė", officer=""),
        "refusal": dict(request_no="ITPC-2026-000007", received_at=at(2026, 12, 1, 7, 55),
                        applicant="UAB „Pajūrio prekės“", eori=None,
                        motives=["Prašyme nenurodytas ekonominės veiklos vykdytojo EORI kodas (Muitinės veiklos "
                                 "tęstinumo taisyklių 8.1 papunktis).",
                                 "Prašyme nenurodytas laiko tarpas, per kurį pageidaujama taikyti veiklos "
                                 "tęstinumo procedūrą (Muitinės veiklos tęstinumo taisyklių 8.2 papunktis)."]),
        "not_needed": dict(request_no="ITPC-2026-000011", received_at=at(2026, 12, 2, 11, 5),
                           systems=["MDAS"], outage_from=at(2026, 12, 2, 8, 30), motives=[]),
        "acknowledgement": dict(request_no="ITPC-2026-000012", received_at=at(2026, 12, 2, 13, 20),
                                deadline=at(2026, 12, 2, 15, 20), addressee="Jonas Petraitis"),
        "acknowledgement_early_recovery": dict(request_no="ITPC-2026-000013", received_at=at(2026, 12, 2, 14, 5),
                                               consent_no="VTP-2026-000009"),
        "acknowledgement_afis_access": dict(request_no="AFIS-2026-000004", received_at=at(2026, 12, 3, 11, 0),
                                            officer_name="Eglė Kairienė"),
        "acknowledgement_afis_change": dict(request_no="AFIS-2026-000005", received_at=at(2026, 12, 3, 11, 30)),
        "acknowledgement_not_a_request": dict(request_no="ITPC-2027-000002", received_at=at(2027, 1, 22, 11, 5)),
        "afis_return": dict(request_no="AFIS-2026-000003", received_at=at(2026, 12, 3, 10, 0),
                            rules=["1B-280:7.3", "1B-280:7.6"], deadline=at(2026, 12, 10, 10, 0),
                            officer_name="Mindaugas Rimkus",
                            motives=["Nenurodytas reikalingas AFIS/CIS+ naudotojo prieigos tipas: CCN/CSI arba "
                                     "Internet/Secure Web (AFIS/CIS+ taisyklių 7.3 papunktis).",
                                     "Nenurodyti tikslai, kuriems įgyvendinti reikalinga prieiga prie AFIS/CIS+ "
                                     "(AFIS/CIS+ taisyklių 7.6 papunktis)."]),
        "office_notice": dict(consent_no="VTP-2026-000004", issued_at=at(2026, 12, 4, 9, 12),
                              applicant="UAB „Šiaurės ąžuolas“", eori="LT100200300", systems=["MDAS", "NTKS"],
                              period_from=at(2026, 12, 4, 9, 12), period_to=at(2026, 12, 7, 9, 12),
                              offices=OFFICES),
        "early_end_notice": dict(consent_no="VTP-2026-000001", applicant="UAB „Baltijos krovinių logistika“",
                                 eori="LT302345671", systems=["MDAS"], period_from=at(2026, 11, 23, 9, 0),
                                 period_to=at(2026, 11, 23, 18, 0), ended_at=at(2026, 11, 23, 14, 30),
                                 offices=OFFICES),
        "early_end_confirmation": dict(consent_no="VTP-2026-000001", request_no="ITPC-2026-000002",
                                       received_at=at(2026, 11, 23, 14, 35),
                                       applicant="UAB „Baltijos krovinių logistika“", eori="LT302345671",
                                       ended_at=at(2026, 11, 23, 14, 30), offices=OFFICES),
        "consent_revoked": dict(consent_no="VTP-2026-000001", request_no="ITPC-2026-000001",
                                applicant="UAB „Rytų tranzitas“", eori="LT302999888",
                                period_from=at(2026, 12, 2, 9, 0), period_to=at(2026, 12, 2, 15, 0),
                                ended_at=at(2026, 12, 2, 11, 0), offices=OFFICES,
                                motives=["Paaiškėjo, kad Prašyme nurodyta priežastis neatitinka tikrovės."]),
        "consent_revoked_notice": dict(consent_no="VTP-2026-000001", applicant="UAB „Rytų tranzitas“",
                                       eori="LT302999888", systems=["NTKS"], period_from=at(2026, 12, 2, 9, 0),
                                       period_to=at(2026, 12, 2, 15, 0), ended_at=at(2026, 12, 2, 11, 0),
                                       offices=OFFICES),
        "consent_amended": dict(consent_no="VTP-2026-000001", request_no="ITPC-2026-000001",
                                applicant="UAB „Rytų tranzitas“", eori="LT302999888",
                                period_from=at(2026, 12, 2, 9, 0), period_to=at(2026, 12, 2, 12, 0),
                                previous_to=at(2026, 12, 2, 15, 0), offices=OFFICES),
        "consent_amended_notice": dict(consent_no="VTP-2026-000001", applicant="UAB „Rytų tranzitas“",
                                       eori="LT302999888", systems=["NTKS"], period_from=at(2026, 12, 2, 9, 0),
                                       period_to=at(2026, 12, 2, 12, 0), previous_to=at(2026, 12, 2, 15, 0),
                                       offices=OFFICES),
        "decision_alert": dict(request_no="ITPC-2026-000015", received_at=at(2026, 12, 2, 8, 45),
                               deadline=at(2026, 12, 2, 10, 45), applicant="UAB „Rytų tranzitas“",
                               eori="LT302999888", systems=["NTKS"]),
        "duty_alert": dict(request_no="ITPC-2026-000016", kind="continuity", why="review",
                           received_at=at(2026, 12, 2, 9, 5), sender="vezejai@mvezejai.lt",
                           subject="Prašymas dėl veiklos tęstinumo", deadline=at(2026, 12, 2, 11, 5),
                           note="reasons neither plainly objective nor plainly not; for an officer"),
        "officer_reply": dict(request_no="ITPC-2027-000004", subject="Re: Klausimas dėl NTKS – ITPC-2027-000004",
                              text="NTKS bandomoji aplinka veikia įprastai.\n\nDėl prisijungimo kreipkitės į IT "
                                   "pagalbos tarnybą.", signer_name="Aušra Žemaitienė",
                              signer_position="vyriausioji specialistė"),
        "outage_planned": dict(system="NTKS", start=at(2027, 1, 9, 8, 0), end=at(2027, 1, 9, 20, 0), point=32),
        "outage_general": dict(system="MDAS", start=at(2026, 12, 3, 9, 10)),
        "outage_extended": dict(system="MDAS", start=at(2026, 12, 5, 20, 0), end=at(2026, 12, 6, 6, 0),
                                previous_end=at(2026, 12, 6, 2, 0), extended_at=at(2026, 12, 6, 1, 30),
                                without_request=True, rules=("1B-1029:20",)),
        "outage_cancelled": dict(system="MDAS", start=at(2026, 12, 5, 20, 0), end=at(2026, 12, 6, 2, 0),
                                 reason="Atnaujinimas atidėtas"),
        "outage_ended": dict(system="MDAS", start=at(2026, 12, 3, 9, 10), end=at(2026, 12, 3, 13, 40), point=20,
                             request_numbers=["ITPC-2026-000031"]),
        "afis_inactive": dict(username="jonaitiene", last_login="2026-02-10", inactive_from="2026-11-11",
                              keep_until="2027-02-10"),
        "etd_decision_notice": dict(file_no="ETD-2026-000001", msvs_no="LTETDLT0000000123",
                                    company="UAB „Oro linija“", eori="LT123456789", carrier="airline",
                                    action="suspend", phrase="sustabdytas leidimo galiojimas",
                                    decided_at=at(2026, 12, 3, 10, 0), effective=at(2026, 12, 4, 0, 0),
                                    offices=[("LTVR1000", "Vilniaus krovinių postas"), ("NO001234", "Oslo")],
                                    motives=["Bendrovė neužtikrina prieigos prie ETD duomenų (Taisyklių 28 punktas)."],
                                    unfavourable=True),
        "etd_deadline_alert": dict(file_no="ETD-2026-000001", msvs_no="LTETDLT0000000123", company="UAB „Oro linija“",
                                   what="leidimo turėtojo stebėsenos plano patvirtinimas",
                                   due=at(2027, 1, 20, 23, 59), rule="25.2", overdue=False),
        "afis_forward": dict(request_no="AFIS-2027-000001", received_at=at(2027, 1, 18, 9, 30),
                             institution="Finansinių nusikaltimų tyrimo tarnyba", officer_name="Ingrida Mačiulienė",
                             officer_position="vyresnioji tyrėja", officer_phone="+37052717470",
                             officer_email="ingrida.maciuliene@fntt.lt", access_type="Internet/Secure Web",
                             modules=["AREP (AMT)", "IET"], purposes=["importo duomenų analizė"],
                             sender="andrius.zemaitis@fntt.lt", attached=True),
        "afis_change_forward": dict(request_no="AFIS-2026-000009", received_at=at(2026, 12, 28, 9, 0),
                                    rules=["1B-280:15", "1B-280:16"], change="atleidžiamas iš darbo nuo 2026-12-21",
                                    changed_on="2026-12-21", sender="vedeja@lrmuitine.lt",
                                    officer_name="Petras Petraitis", institution="Kauno teritorinė muitinė",
                                    motives=["Pranešimas pateiktas 2026-12-28 09:00, vėliau nei per 2 darbo dienas "
                                             "nuo pasikeitimo (AFIS/CIS+ taisyklių 15 punktas)."]),
        "afis_granted": dict(request_no="AFIS-2027-000001", access_type="Internet/Secure Web",
                             modules=["AREP (AMT)", "IET"]),
        "tc26_consultation": dict(file_number="ETD-2026-000001", msvs_number="LTETD2026000123",
                                  company="UAB „Šiaurės oro linijos“", eori="LT123456789", country="Switzerland",
                                  authority="Federal Office for Customs and Border Security (FOCBS)",
                                  requesting="Muitinės departamentas prie Lietuvos Respublikos finansų ministerijos",
                                  departure=[("Vilniaus oro uostas", "LTVR1000")],
                                  destination=[("Zürich Flughafen", "CH001234"), ("Genève Aéroport", "CH002345")],
                                  reply_address="ITPC@lrmuitine.lt", deadline=at(2026, 12, 31, 0, 0)),
        "afis_change_return": dict(request_no="AFIS-2026-000010", received_at=at(2026, 12, 28, 9, 0),
                                   rules=["1B-280:15"], officer_name="Petras Petraitis",
                                   motives=["Pranešimą apie AFIS/CIS+ naudotojo teisių pasikeitimą pateikė pats "
                                            "AFIS/CIS+ naudotojas (AFIS/CIS+ taisyklių 15 punktas)."]),
    }


def render(name: str, **changes) -> Letter:
    return render_letter(name, {**contexts()[name], **changes}, templates_dir=TEMPLATES)


def flat(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------------------------------- every template


def test_every_template_file_is_a_known_letter_and_every_letter_has_a_template():
    files = {p.stem for p in TEMPLATES.glob("*.txt") if not p.name.startswith("_")}
    assert files == set(LETTERS)
    assert set(contexts()) == set(LETTERS)


@pytest.mark.parametrize("name", sorted(LETTERS))
def test_every_letter_renders_cleanly_and_is_signed_by_itpc(name):
    letter = render(name)
    assert letter.subject and "\n" not in letter.subject and "\r" not in letter.subject
    assert leftover_markup(letter.subject) == [] and leftover_markup(letter.body) == []
    assert "None" not in letter.body and "None" not in letter.subject
    first = letter.body.splitlines()[0]
    if name in ENGLISH_LETTERS:  # to a foreign authority (see LETTERS): the English forms of the same
        assert first == "Dear Colleagues," and "Yours faithfully,\n" in letter.body and ITPC in letter.body
        return
    assert first in ("Laba diena,", "Gerbiamieji,")  # neutral: a name is never put in a case by rule of thumb
    assert "Pagarbiai,\n" in letter.body and ITPC in letter.body
    assert "\n\n\n" not in letter.body and letter.body.endswith("\n")


@pytest.mark.parametrize("name", sorted(LETTERS))
def test_every_letter_names_its_number_in_the_subject(name):
    """A reply can be matched: by the consent or request number, else by the system or user it is about."""
    ctx = contexts()[name]
    number = (ctx.get("consent_no") or ctx.get("request_no") or ctx.get("file_no") or ctx.get("file_number")
              or ctx.get("system") or ctx["username"])
    assert number in render(name).subject


@pytest.mark.parametrize("name", sorted(LETTERS))
def test_a_missing_context_key_is_named(name):
    key = LETTERS[name].required[0]
    ctx = {k: v for k, v in contexts()[name].items() if k != key}
    with pytest.raises(LetterError, match=key):
        render_letter(name, ctx, templates_dir=TEMPLATES)


def test_unknown_letter_and_missing_directory_are_clear_errors(tmp_path):
    with pytest.raises(LetterError, match="unknown letter 'consnt'"):
        render_letter("consnt", {}, templates_dir=TEMPLATES)
    with pytest.raises(LetterError, match="templates directory not found"):
        render_letter("acknowledgement", contexts()["acknowledgement"], templates_dir=tmp_path / "nope")


def test_a_template_without_a_subject_line_is_refused(tmp_path):
    (tmp_path / "acknowledgement.txt").write_text("Gerbiamieji,\n{{ request_no }}\n", encoding="utf-8")
    with pytest.raises(LetterError, match="Tema:"):
        render_letter("acknowledgement", contexts()["acknowledgement"], templates_dir=tmp_path)


def test_a_template_using_an_unknown_variable_fails_instead_of_printing_blank(tmp_path):
    (tmp_path / "acknowledgement.txt").write_text("Tema: {{ request_no }}\n{{ reqest_no }}\n", encoding="utf-8")
    with pytest.raises(LetterError, match="reqest_no"):
        render_letter("acknowledgement", contexts()["acknowledgement"], templates_dir=tmp_path)


# --------------------------------------------------------------------------------------------- times


def test_times_are_shown_in_vilnius_to_the_minute_in_winter_and_summer():
    winter = render("consent", period_from=datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc),
                    period_to=datetime(2026, 11, 23, 16, 0, tzinfo=timezone.utc))
    assert "nuo 2026-11-23 09:00 iki 2026-11-23 18:00" in winter.body
    summer = render("consent", period_from=datetime(2026, 7, 1, 6, 0, tzinfo=timezone.utc),
                    period_to="2026-07-01T15:30:00+00:00")
    assert "nuo 2026-07-01 09:00 iki 2026-07-01 18:30" in summer.body


def test_a_naive_datetime_is_refused_rather_than_shown_in_the_servers_zone():
    with pytest.raises(LetterError, match="timezone-aware"):
        render("acknowledgement", deadline=datetime(2026, 12, 2, 15, 20))


# ------------------------------------------------------------------------------------------- consent


def test_consent_letter_carries_every_fact_of_the_consent():
    letter = render("consent")
    assert letter.subject.startswith("Sutikimas Nr. VTP-2026-000001 ")
    body = letter.body
    for fact in ("Laba diena,", "ITPC-2026-000001", "VTP-2026-000001",
                 "UAB „Baltijos krovinių logistika“", "EORI kodas LT302345671", "Sistema: MDAS",
                 "nuo 2026-11-23 09:00 iki 2026-11-23 18:00", "LTVR1000 Vilniaus krovinių postas",
                 "LTKL1000 Klaipėdos jūrų uosto postas", "Sutikimas pridedamas", "16 punktas"):
        assert fact in body
    assert "trumpesniam" not in letter.subject and "Prašėte" not in body


def test_shortened_consent_states_the_requested_period_and_the_two_working_day_limit_once():
    common = dict(shortened=True, requested_from=at(2026, 12, 3, 9, 0), requested_to=at(2026, 12, 9, 18, 0),
                  period_from=at(2026, 12, 3, 9, 0), period_to=at(2026, 12, 7, 9, 0))
    for motives in ([], [SHORTENING]):
        letter = render("consent", motives=motives, **common)
        assert "trumpesniam laikotarpiui" in letter.subject
        body = flat(letter.body)
        assert "Prašėte taikyti veiklos tęstinumo procedūrą nuo 2026-12-03 09:00 iki 2026-12-09 18:00." in body
        assert "iki 2026-12-07 09:00" in body
        assert body.count("ne ilgesniam kaip 2 darbo dienų") == 1
        assert "Muitinės veiklos tęstinumo taisyklių 14 punktas" in body


def test_shortened_consent_without_the_requested_period_is_refused():
    with pytest.raises(LetterError, match="requested_from"):
        render("consent", shortened=True)


def test_consent_prints_other_motives_as_given():
    note = "Sutikimas atgaline data neišduodamas, todėl jis galioja nuo Prašymo gavimo (2026-11-23 08:41)."
    assert note in render("consent", motives=[note]).body


def test_offices_must_be_code_name_pairs():
    with pytest.raises(LetterError, match="pairs"):
        render("consent", offices=["LTVR1000"])


# ------------------------------------------------------------------------------------------- refusal


def test_refusal_lists_every_motive_with_its_point_numbered():
    body = render("refusal").body
    assert "atsisako išduoti Sutikimą" in body and "13 punktas" in body
    assert "1. Prašyme nenurodytas ekonominės veiklos vykdytojo EORI kodas (Muitinės veiklos tęstinumo taisyklių " \
           "8.1 papunktis)." in body
    assert "2. Prašyme nenurodytas laiko tarpas" in body and "8.2 papunktis" in body
    assert "UAB „Pajūrio prekės“" in body and "EORI kodas" not in body.split("Atsisakymo motyvai")[0]


def test_refusal_on_missing_items_asks_to_remedy_them_and_apply_again():
    body = flat(render("refusal").body)
    assert "Pašalinę nurodytas priežastis, galite pateikti naują Prašymą" in body


def test_refusal_on_the_count_says_when_a_new_request_can_succeed_not_to_remove_reasons():
    received = at(2026, 12, 20, 8, 30)
    earlier = [ConsentRecord(f"VTP-2026-00000{i}", "LT300111222", received - timedelta(days=5 * i),
                             received - timedelta(days=5 * i), received - timedelta(days=5 * i, hours=-6),
                             ("LTVR1000",)) for i in range(1, 6)]
    fields = {"applicant": "UAB „Pajūrio prekės“", "eori": "LT300111222", "systems": ["MDAS"],
              "period_from": "2026-12-20T09:00:00+02:00", "period_to": "2026-12-20T15:00:00+02:00",
              "customs_offices": ["LTVR1000"], "reasons": "sugedo serveris"}
    decision = decide_continuity(fields, [], received_at=received, consents=earlier, outages=[],
                                 reasons=ReasonLists.load(TEMPLATES.parent / "reasons.toml"))
    assert (decision.outcome, decision.rules) == ("refusal", ("1B-1029:12",))
    body = flat(render("refusal", motives=list(decision.motives)).body)
    assert "ne anksčiau kaip 2026-12-25 08:31 (Vilniaus laiku)" in body  # 25 Nov 08:30 + 30 days, next minute
    assert "Pašalinę" not in body and "pašalin" not in body.casefold()
    assert "Naują Prašymą galite pateikti ne anksčiau kaip motyvuose nurodytu laiku" in body


def test_refusal_without_motives_is_refused():
    with pytest.raises(LetterError, match="motives must not be empty"):
        render("refusal", motives=[])


# --------------------------------------------------------------------------------- the other letters


def test_not_needed_says_the_procedure_applies_without_a_request_under_point_20():
    body = flat(render("not_needed", systems=["NTKS"]).body)
    assert "nuo 2026-12-02 08:30 neveikia NTKS" in body
    assert "leidžiama nepateikus Prašymo (Muitinės veiklos tęstinumo taisyklių 20 punktas)" in body


def test_acknowledgement_gives_the_number_the_officer_review_and_the_two_hour_deadline():
    letter = render("acknowledgement")
    body = flat(letter.body)
    assert "užregistravo Nr. ITPC-2026-000012" in body and "nagrinėja ITPC pareigūnas" in body
    assert "iki 2026-12-02 15:20" in body and "per 2 valandas" in body and "9 punktas" in body


@pytest.mark.parametrize("why, words", [
    ("review", "negali būti išnagrinėtas automatiškai ir laukia ITPC pareigūno sprendimo"),
    ("inquiry", "Gautas paklausimas užregistruotas Nr. ITPC-2026-000016"),
    ("unreadable", "nepavyko perskaityti"),
    ("message", "Byloje Nr. ITPC-2026-000016 gautas naujas laiškas"),
])
def test_duty_alert_says_why_the_case_waits_with_its_kind_and_deadline(why, words):
    letter = render("duty_alert", why=why)
    body = flat(letter.body)
    assert words in body
    assert "Rūšis: Prašymas taikyti veiklos tęstinumo procedūrą" in body
    assert "Terminas: 2026-12-02 11:05 (Muitinės veiklos tęstinumo taisyklių 9 punktas)" in body
    assert "2026-12-02 11:05" in letter.subject and "ITPC-2026-000016" in letter.subject


def test_duty_alert_without_a_deadline_says_none_is_set():
    letter = render("duty_alert", why="inquiry", kind="not_a_request", deadline=None)
    assert "Terminas: nenustatytas" in letter.body and "Paklausimas (ne prašymas)" in letter.body
    assert "terminas" not in letter.subject


def test_officer_reply_frames_the_text_and_is_signed_by_the_officer_with_position():
    letter = render("officer_reply")
    assert letter.body.startswith("Laba diena,\n\nNTKS bandomoji aplinka veikia įprastai.\n\nDėl prisijungimo")
    assert "Pagarbiai,\nvyriausioji specialistė\nAušra Žemaitienė\nMuitinės informacinių" in letter.body
    assert "registracijos Nr. ITPC-2027-000004" in letter.body
    unsigned = render("officer_reply", signer_position="")
    assert "Pagarbiai,\nAušra Žemaitienė\nMuitinės informacinių" in unsigned.body


def test_afis_return_lists_deficiencies_and_the_correction_deadline():
    body = flat(render("afis_return").body)
    assert "1. Nenurodytas reikalingas AFIS/CIS+ naudotojo prieigos tipas" in body
    assert "2. Nenurodyti tikslai" in body
    assert "ne vėliau kaip iki 2026-12-10 10:00 (Taisyklių 9 punktas)" in body
    assert "AFIS/CIS+ naudotojas, kuriam prašoma teisių: Mindaugas Rimkus." in body
    assert "IMS" not in body and "8 punktas" not in body


def test_afis_return_for_ims_modules_only_explains_point_13_without_a_deadline():
    body = flat(render("afis_return", rules=["1B-280:13"], deadline=None,
                       motives=["Dėl naudotojo teisių dirbti su IMS moduliais (MAS) kreipiamasi į juos "
                                "administruojančių institucijų pareigūnus (AFIS/CIS+ taisyklių 13 punktas)."]).body)
    assert "Taisyklių 13 punktas" in body and "IMS modulius administruojančių" in body
    assert "pataisykite" not in body and "trūkumai" not in body


def test_afis_return_from_a_private_mailbox_cites_point_8():
    body = flat(render("afis_return", rules=["1B-280:8"], deadline=at(2026, 12, 10, 10, 0),
                       motives=["Prašymas gautas ne iš institucijos el. pašto dėžutės (jonas@gmail.com) "
                                "(AFIS/CIS+ taisyklių 8 punktas)."]).body)
    assert "jonas@gmail.com" in body and "iš institucijos el. pašto dėžutės (Taisyklių 8 punktas)" in body


AFIS_LETTERS = sorted(name for name in LETTERS if name.startswith("afis_"))


@pytest.mark.parametrize("name", AFIS_LETTERS)
def test_afis_letters_greet_neutrally_and_never_put_a_name_in_another_case(name):
    """Names are printed as given (nominative), after a label; never after a word that needs the dative or
    genitive ("pareigūnui Mindaugas Rimkus"), and the greeting names nobody."""
    letter = render(name, officer_name="Mindaugas Rimkus", addressee="Mindaugas Rimkus")
    assert letter.body.splitlines()[0] == "Laba diena,"
    for line in letter.body.splitlines():
        if "Mindaugas Rimkus" in line:
            before = line.split("Mindaugas Rimkus")[0]
            assert before.rstrip().endswith(":"), line


def test_afis_return_says_a_copy_of_the_request_is_attached_only_when_it_is():
    assert "Prašymo kopija pridedama" in render("afis_return", attached=True).body
    assert "kopija" not in render("afis_return").body


def test_afis_forward_gives_the_liaison_officer_the_request_items():
    body = flat(render("afis_forward").body)
    for fact in ("Nr. AFIS-2027-000001", "Institucija: Finansinių nusikaltimų tyrimo tarnyba",
                 "AFIS/CIS+ naudotojas: Ingrida Mačiulienė", "Moduliai: AREP (AMT), IET",
                 "Prieigos tipas: Internet/Secure Web", "pateikė andrius.zemaitis@fntt.lt",
                 "Taisyklių 9 ir 10 punktai", "pridedamas"):
        assert fact in body, fact
    assert "AFIS pašto dėžutė" not in body


def test_afis_change_forward_names_the_point_and_flags_a_late_notice():
    body = flat(render("afis_change_forward").body)
    assert "teisių panaikinimą" in body and "15 punktas" in body and "16 punktas" in body
    assert "Pasikeitimo data: 2026-12-21" in body and "vėliau nei per 2 darbo dienas" in body
    assert "pakeitimą" in flat(render("afis_change_forward", rules=["1B-280:14", "1B-280:16"], motives=[]).body)


@pytest.mark.parametrize("access, point", [("Internet/Secure Web", "12 punktas"), ("CCN/CSI", "11 punktas")])
def test_afis_granted_tells_the_user_how_the_login_comes(access, point):
    body = flat(render("afis_granted", access_type=access).body)
    assert "Jums suteikė AFIS/CIS+ naudotojo teises" in body and "10 punktas" in body and point in body
    assert "moduliai: AREP (AMT), IET" in body


def test_office_notice_names_consent_person_eori_period_systems_offices_and_point_11():
    letter = render("office_notice")
    assert "VTP-2026-000004" in letter.subject and "LT100200300" in letter.subject
    body = flat(letter.body)
    for fact in ("11 punktu", "Asmuo: UAB „Šiaurės ąžuolas“", "EORI kodas: LT100200300", "Sistema: MDAS ir NTKS",
                 "nuo 2026-12-04 09:12 iki 2026-12-07 09:12", "LTVR1000 Vilniaus krovinių postas",
                 "LTKL1000 Klaipėdos jūrų uosto postas"):
        assert fact in body


def test_early_end_notice_and_confirmation_state_when_the_consent_ended():
    notice = render("early_end_notice")
    assert "nebetaikomas nuo 2026-11-23 14:30" in notice.subject
    assert "16 punktu" in notice.body and "baigė galioti anksčiau laiko – 2026-11-23 14:30" in flat(notice.body)
    confirmation = render("early_end_confirmation")
    assert "VTP-2026-000001" in confirmation.subject
    assert "baigė galioti 2026-11-23 14:30" in flat(confirmation.body)
    assert "15 ir 16 punktai" in confirmation.body


def test_a_revocation_and_an_amendment_state_the_consent_and_its_new_end():
    revoked = render("consent_revoked")
    assert "VTP-2026-000001 atšauktas nuo 2026-12-02 11:00" in revoked.subject
    assert "ITPC-2026-000001" in revoked.subject and revoked.body.startswith("Laba diena,")
    assert "nebegalioja nuo 2026-12-02 11:00" in flat(revoked.body) and "Atšaukimo motyvai:" in revoked.body
    with pytest.raises(LetterError, match="motives"):
        render("consent_revoked", motives=[])
    amended = render("consent_amended")
    assert "galiojimas sutrumpintas iki 2026-12-02 12:00" in amended.subject
    assert "iki 2026-12-02 12:00 (Vilniaus laiku), o ne iki 2026-12-02 15:00" in flat(amended.body)
    assert "14 punktas" in amended.body and "motyvai" not in amended.body   # no motive given, none announced
    for notice in (render("consent_revoked_notice"), render("consent_amended_notice")):
        assert notice.body.startswith("Gerbiamieji,") and "VTP-2026-000001" in notice.subject


# ------------------------------------------------------------------------------- hostile user values


@settings(max_examples=60, deadline=None)
@given(applicant=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60))
def test_any_applicant_name_gives_a_one_line_subject_that_compose_accepts(applicant):
    letter = render("office_notice", applicant=applicant)
    assert "\r" not in letter.subject and "\n" not in letter.subject
    raw = compose(sender="ITPC@lrmuitine.lt", to=["vilniaus.kroviniu.postas@lrmuitine.lt"], subject=letter.subject,
                  body=letter.body, message_id="<n1@lrmuitine.lt>", date=at(2026, 12, 4, 9, 42))
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.count(b"\r\nTo: ") == 1 and b"\r\nBcc:" not in head


def test_a_header_smuggled_in_an_applicant_name_stays_in_the_subject():
    letter = render("office_notice", applicant="UAB X\r\nBcc: victim@example.com")
    assert letter.subject.count("Bcc: victim@example.com") == 1 and "\n" not in letter.subject


# ------------------------------------------------------------------------- greetings and acknowledgements


@pytest.mark.parametrize("name", sorted(LETTERS))
def test_no_letter_greets_its_reader_by_a_name_in_the_wrong_case(name):
    """A name given as the addressee stays out of the greeting: "Gerb. Rasa Petrauskienė" is nominative where
    Lithuanian needs the vocative, and a vocative cannot be made from a name by rule of thumb."""
    letter = render(name, addressee="Rasa Petrauskienė")
    assert "Rasa Petrauskienė" not in letter.body and "Gerb." not in letter.body
    assert letter.body.splitlines()[0] in ("Laba diena,", "Gerbiamieji,", "Dear Colleagues,")


def test_each_kind_has_an_acknowledgement_of_its_own():
    continuity = flat(render("acknowledgement").body)
    recovery = flat(render("acknowledgement_early_recovery").body)
    access = flat(render("acknowledgement_afis_access").body)
    change = flat(render("acknowledgement_afis_change").body)
    inquiry = flat(render("acknowledgement_not_a_request").body)
    assert "gausite ne vėliau kaip iki 2026-12-02 15:20" in continuity
    for body in (recovery, access, change, inquiry):
        assert "per 2 valandas" not in body and "Sutikimą taikyti veiklos tęstinumo procedūrą arba" not in body
    assert "vėl galite vykdyti elektroninių duomenų mainus" in recovery and "VTP-2026-000009" in recovery
    assert "16 punktas" in recovery and "15 punktas" in recovery
    for body in (access, change):
        assert "AFIS pareigūn" in body and "veiklos tęstinumo" not in body
    assert "pareigūnas, kuriam prašoma teisių, – Eglė Kairienė" in access   # the name stays in the nominative
    assert "16 punktas" in change
    assert "Jūsų laišką" in inquiry and "Prašym" not in inquiry and "Sutikim" not in inquiry


def test_a_late_acknowledgement_does_not_promise_a_deadline_already_past():
    late = flat(render("acknowledgement", late=True).body)
    assert "gausite ne vėliau" not in late
    assert "turėjo būti priimtas per 2 valandas nuo jo gavimo, t. y. iki 2026-12-02 15:20" in late
    assert "terminas praleistas" in late


def test_a_consent_answered_by_fax_says_where_to_report_an_early_recovery():
    by_mail = flat(render("consent").body)
    assert "atsakydami į šį laišką" in by_mail and "faksu" not in by_mail
    by_fax = flat(render("consent", by_fax=True, itpc_fax="(8 5) 236 2338", itpc_email="ITPC@lrmuitine.lt").body)
    assert ("praneškite ITPC faksu (8 5) 236 2338 arba el. paštu ITPC@lrmuitine.lt, nurodydami Sutikimo Nr. "
            "VTP-2026-000001 (Taisyklių 16 punktas)") in by_fax
    assert "atsakydami į šį laišką" not in by_fax
    with pytest.raises(LetterError, match="itpc_fax"):
        render("consent", by_fax=True)


def test_not_needed_for_an_ntks_outage_cites_point_31_when_the_decision_does():
    body = flat(render("not_needed", systems=["NTKS"], rules=["1B-1029:31"]).body)
    assert "ITPC nurodymu dirbama be NTKS" in body and "31 punktas" in body and "20 punktas" not in body


def test_a_letter_is_compiled_once_per_process_and_again_only_when_its_template_changes(tmp_path, monkeypatch):
    """Compiling is most of a letter's cost: the compiled templates are kept, but an officer's edit to a template
    still shows in the next letter."""
    for template in TEMPLATES.glob("*.txt"):
        shutil.copy(template, tmp_path / template.name)
    compiled = []
    real_from_string = jinja2.Environment.from_string
    monkeypatch.setattr(jinja2.Environment, "from_string",
                        lambda env, source, *a, **k: compiled.append(source) or real_from_string(env, source, *a, **k))
    ctx = contexts()["acknowledgement"]
    first = render_letter("acknowledgement", ctx, templates_dir=tmp_path)
    assert render_letter("acknowledgement", ctx, templates_dir=tmp_path) == first
    assert len(compiled) == 2                     # the subject and the body, once
    path = tmp_path / "acknowledgement.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nPakeistas laiškas.\n", encoding="utf-8")
    edited = render_letter("acknowledgement", ctx, templates_dir=tmp_path)
    assert "Pakeistas laiškas." in edited.body and len(compiled) == 4


# ------------------------------------------------------------------------------------------ ETD (1B-1052)


def test_an_unfavourable_etd_decision_notice_states_motives_effective_date_and_appeal():
    body = flat(render("etd_decision_notice").body)
    assert "Sprendimas įsigalioja: 2026-12-04" in body
    assert "neužtikrina prieigos prie ETD duomenų" in body
    assert "teisė jį apskųsti teisės aktų nustatyta tvarka (Taisyklių 33 punktas)" in body
    assert "36 punktu" in body and "NTKS priemonėmis (Taisyklių 39 punktas)" in body
    to_authority = flat(render("etd_decision_notice", to_authority=True).body)
    assert "32 punktu" in to_authority and "36 punktu" not in to_authority


def test_a_grant_notice_has_no_appeal_sentence():
    body = flat(render("etd_decision_notice", action="grant", phrase="suteiktas leidimas", motives=[],
                       unfavourable=False).body)
    assert "priimtas sprendimas: suteiktas leidimas." in body
    assert "apskųsti" not in body and "motyvai" not in body and "39 punktas" not in body


def test_an_etd_deadline_alert_names_the_point_as_a_subpoint_or_a_point():
    assert "25.2 papunktis" in flat(render("etd_deadline_alert").body)
    overdue = render("etd_deadline_alert", rule="16", overdue=True)
    assert "16 punktas" in flat(overdue.body) and "praleistas terminas" in overdue.subject


# ------------------------------------------------------------------------------------ the TC26 covering letter


def test_the_tc26_covering_letter_names_the_file_the_company_the_ports_and_how_to_answer():
    """1B-1052:16: the consulted authority learns who applied, which of its ports are concerned, that the form
    and the application are attached, and how to answer so that the answer finds the file."""
    letter = render("tc26_consultation")
    body = flat(letter.body)
    assert letter.subject.startswith("ETD-2026-000001 ") and "MSVS LTETD2026000123" in letter.subject
    assert "Company: UAB „Šiaurės oro linijos“ EORI: LT123456789" in body
    assert "offices of departure and/or destination in Switzerland" in body
    assert "- Zürich Flughafen (customs office CH001234) - Genève Aéroport (customs office CH002345)" in body
    assert "TC26 consultation form and a copy of the application" in body
    assert "to ITPC@lrmuitine.lt), keeping ETD-2026-000001 in the subject" in body
    assert "by 2026-12-31" in body and "point 16" in body


def test_the_tc26_covering_letter_without_a_deadline_asks_for_none_and_needs_its_ports():
    assert "We would be grateful" not in render("tc26_consultation", deadline=None).body
    with pytest.raises(LetterError, match="destination must not be empty"):
        render("tc26_consultation", destination=[])
