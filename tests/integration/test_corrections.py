"""Corrections of a consent already issued, and an early recovery an officer accepts (1B-1029:14-16): each is a
new decision in the ledger, and the trader and every office of the consent get a letter."""
from __future__ import annotations

import json
import re
import shutil

import pytest

from ledger.clock import parse_instant, shown as shown_at
from tests.helpers import CORPUS, itpc, make_config
from tests.integration.test_officer import C09, OFFICE, OFFICER, TRADER, body, ledger_size, outbox, requests_json, to

CONSENT = "VTP-2026-000001"   # c09's consent, 2026-12-02 09:00-15:00, office LTVR2000
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def consented(tmp_path):
    """c09 polled (review), then consented by an officer at 09:30 for the period asked."""
    config = make_config(tmp_path)
    shutil.copy(C09, tmp_path / "inbox" / "new" / C09.name)
    itpc(config, "poll", "--once", now="2026-12-02T08:50")
    [request] = requests_json(config)
    itpc(config, "decide", request["number"], "consent", now="2026-12-02T09:30")
    decision = requests_json(config)[0]["decision"]
    assert (decision["consent_no"], decision["period_to"]) == (CONSENT, "2026-12-02T15:00:00+02:00")
    return tmp_path, config, request["number"]


def decisions(config) -> list[dict]:
    entries = [json.loads(line) for line in itpc(config, "ledger", "export", "--json").stdout.splitlines()]
    return [e["data"] for e in entries if e["type"] == "decision.made"]


def at(iso: str) -> str:
    """A stored UTC instant as the Vilnius minute it stands for."""
    return shown_at(parse_instant(iso))


def about(tmp, address: str, words: str) -> list:
    return [m for m in to(tmp, address) if words in m["Subject"]]


def flat(message) -> str:
    return " ".join(body(message).split())


def shown(config, number: str, now: str) -> str:
    return ANSI.sub("", itpc(config, "show", number, now=now).stdout)


def refused(config, tmp, *args, now: str) -> str:
    """Run a decide that must be refused: one `itpc:` line, exit 1, nothing written or sent."""
    before, mails = ledger_size(config), len(outbox(tmp))
    proc = itpc(config, "decide", *args, check=False, now=now)
    assert proc.returncode == 1, proc.stdout
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("itpc: ")
    assert ledger_size(config) == before and len(outbox(tmp)) == mails
    return line


# -- revoke ----------------------------------------------------------------------------------------------------

def test_revoking_a_consent_ends_it_now_and_tells_the_trader_and_its_offices(consented):
    tmp, config, number = consented
    reason = "Paaiškėjo, kad Prašyme nurodyta priežastis neatitinka tikrovės."
    done = itpc(config, "decide", CONSENT, "revoke", "--reason", reason,
                now="2026-12-02T11:00")
    assert done.stdout.strip() == f"{number}: revoked {CONSENT} by {OFFICER}"

    last = decisions(config)[-1]
    assert (last["request"], last["outcome"], last["consent_no"]) == (number, "revoked", CONSENT)
    assert last["period_to"] == last["decided_at"] and at(last["period_to"]) == "2026-12-02 11:00"
    assert last["motives"] == [reason] and last["decided_by"] == OFFICER

    [letter] = about(tmp, TRADER, "atšauktas")
    assert CONSENT in letter["Subject"] and number in letter["Subject"] and letter["To"] == TRADER
    text = flat(letter)
    assert text.startswith("Laba diena,")
    assert f"atšaukia pagal Jūsų Prašymą (registracijos Nr. {number}) išduotą" in text
    assert f"Nr. {CONSENT}" in text and "nebegalioja nuo 2026-12-02 11:00" in text and reason in text
    assert "iki 2026-12-02 15:00" in text and "15 punktas" in text and "LTVR2000" in text
    [notice] = about(tmp, OFFICE, "atšauktas")
    assert notice["To"] == OFFICE and CONSENT in notice["Subject"]
    assert flat(notice).startswith("Gerbiamieji,") and "nebegalioja nuo 2026-12-02 11:00" in flat(notice)

    [request] = requests_json(config)
    assert request["decision"]["outcome"] == "revoked" and request["decision"]["consent_no"] == CONSENT
    purposes = {n["purpose"] for n in request["notices"]}
    assert "consent_revoked_notice" in purposes
    story = shown(config, CONSENT, now="2026-12-02T11:05")
    assert re.search(rf"State:\s+revoked at 2026-12-02 11:00 by {OFFICER}", story)


def test_a_revoked_consent_is_not_revoked_again_and_a_revocation_needs_a_reason(consented):
    tmp, config, number = consented
    assert "--reason" in refused(config, tmp, number, "revoke", now="2026-12-02T10:00")
    itpc(config, "decide", number, "revoke", "--reason", "Priežastis nepasitvirtino.",
         now="2026-12-02T10:00")
    line = refused(config, tmp, CONSENT, "revoke", "--reason", "Dar kartą.", now="2026-12-02T10:30")
    assert line == f"itpc: consent {CONSENT} already ended at 2026-12-02 10:00"


def test_a_consent_that_ran_out_is_not_corrected(consented):
    tmp, config, _ = consented
    line = refused(config, tmp, CONSENT, "revoke", "--reason", "Per vėlu.", now="2026-12-02T15:00")
    assert "ran out at 2026-12-02 15:00" in line


# -- amend -----------------------------------------------------------------------------------------------------

def test_amending_shortens_the_consent_and_tells_the_trader_and_its_offices(consented):
    tmp, config, number = consented
    itpc(config, "decide", number, "amend", "--to", "2026-12-02T12:00",
         now="2026-12-02T10:00")
    last = decisions(config)[-1]
    assert (last["outcome"], last["consent_no"], at(last["period_to"])) == ("amended", CONSENT, "2026-12-02 12:00")
    assert "1B-1029:14" in last["rules"] and at(last["decided_at"]) == "2026-12-02 10:00"

    [letter] = about(tmp, TRADER, "sutrumpintas")
    assert f"Sutikimo Nr. {CONSENT} galiojimas sutrumpintas iki 2026-12-02 12:00" in letter["Subject"]
    assert number in letter["Subject"]
    text = flat(letter)
    assert text.startswith("Laba diena,") and "14 punktas" in text
    assert "galioja nuo 2026-12-02 09:00 iki 2026-12-02 12:00 (Vilniaus laiku), o ne iki 2026-12-02 15:00" in text
    [notice] = about(tmp, OFFICE, "sutrumpintas")
    assert flat(notice).startswith("Gerbiamieji,") and "iki 2026-12-02 12:00" in flat(notice)

    [request] = requests_json(config)
    assert request["decision"]["outcome"] == "amended"
    assert request["decision"]["period_to"] == "2026-12-02T12:00:00+02:00"
    story = json.loads(itpc(config, "show", CONSENT, "--json", now="2026-12-02T10:05").stdout)
    assert story["consent"]["period_to"] == "2026-12-02T12:00:00+02:00" and story["consent"]["state"] == "granted"

    # Shortened again, the letter says what it replaced: the amended end, not the first one.
    itpc(config, "decide", CONSENT, "amend", "--to", "2026-12-02T11:00",
         now="2026-12-02T10:10")
    [second] = about(tmp, TRADER, "sutrumpintas iki 2026-12-02 11:00")
    assert "o ne iki 2026-12-02 12:00" in flat(second)


def test_the_shortened_consent_expires_at_its_new_end(consented):
    _, config, number = consented
    itpc(config, "decide", number, "amend", "--to", "2026-12-02T12:00",
         now="2026-12-02T10:00")
    itpc(config, "tick", now="2026-12-02T12:01")
    story = json.loads(itpc(config, "show", CONSENT, "--json", now="2026-12-02T12:02").stdout)
    assert story["consent"]["state"] == "expired"


@pytest.mark.parametrize("until, words", [
    ("2026-12-02T15:00", f"consent {CONSENT} already ends at 2026-12-02 15:00: nothing to amend"),
    ("2026-12-02T15:01", "an officer only shortens a consent (1B-1029:14)"),
    ("2026-12-02T10:00", "is not after 2026-12-02 10:00: to end a consent now, revoke it"),
])
def test_amend_never_lengthens_a_consent_nor_ends_it_in_the_past(consented, until, words):
    """The current end itself is refused (nothing would change, and no letter should say so)."""
    tmp, config, number = consented
    assert words in refused(config, tmp, number, "amend", "--to", until, now="2026-12-02T10:00")


# -- consent --from/--to ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("option, value, ok", [
    ("--to", "2026-12-02T15:00", True), ("--to", "2026-12-02T15:01", False),
    ("--from", "2026-12-02T09:00", True), ("--from", "2026-12-02T08:59", False),
])
def test_an_officers_consent_is_never_beyond_the_period_asked(tmp_path, option, value, ok):
    """c09 asks for 2026-12-02 09:00-15:00 (1B-1029:14: the period asked or a shorter one)."""
    config = make_config(tmp_path)
    shutil.copy(C09, tmp_path / "inbox" / "new" / C09.name)
    itpc(config, "poll", "--once", now="2026-12-02T08:40")
    [request] = requests_json(config)
    args = (request["number"], "consent", option, value)
    if ok:
        itpc(config, "decide", *args, now="2026-12-02T08:50")
        assert requests_json(config)[0]["decision"]["outcome"] == "consent"
    else:
        assert "a consent can only be shorter than asked (1B-1029:14)" in refused(config, tmp_path, *args,
                                                                                 now="2026-12-02T08:50")


# -- end -------------------------------------------------------------------------------------------------------

def recovery_notice(tmp, resumed: str = "11:00") -> None:
    """c14's notice about our consent, from a domain that is not the consent's request's: left to an officer."""
    raw = (CORPUS / "mail" / "c14-early-recovery.eml").read_bytes()
    changed = raw.replace(b"Mon, 23 Nov 2026 13:10:00", b"Wed, 02 Dec 2026 11:10:00").replace(
        b"veikia nuo 13:00", f"veikia nuo {resumed}".encode())
    assert changed.count(b"02 Dec 2026") == 2 and resumed.encode() in changed
    (tmp / "inbox" / "new" / "recovery.eml").write_bytes(changed)


@pytest.fixture
def recovery(consented):
    tmp, config, number = consented
    recovery_notice(tmp)
    itpc(config, "poll", "--once", now="2026-12-02T11:12")
    notice = next(r for r in requests_json(config) if r["kind"] == "early_recovery")
    assert notice["decision"]["outcome"] == "review"
    return tmp, config, number, notice["number"]


def test_an_officer_ends_a_consent_an_early_recovery_notice_reported(recovery):
    tmp, config, number, notice = recovery
    mails = len(to(tmp, OFFICE))
    itpc(config, "decide", notice, "end", "--at", "2026-12-02T11:00", now="2026-12-02T11:30")
    last = decisions(config)[-1]
    assert (last["request"], last["outcome"], last["consent_no"]) == (notice, "ended_early", CONSENT)
    assert at(last["period_to"]) == "2026-12-02 11:00" and "1B-1029:16" in last["rules"]
    assert last["decided_by"] == OFFICER

    [confirmation] = [m for m in outbox(tmp) if "deklaracijos@bkl.lt" in m["To"] and CONSENT in m["Subject"]
                      and "baigė galioti" in m["Subject"]]
    assert notice in confirmation["Subject"] and "baigė galioti 2026-12-02 11:00" in flat(confirmation)
    [office] = to(tmp, OFFICE)[mails:]
    assert "nebetaikomas nuo 2026-12-02 11:00" in office["Subject"] and flat(office).startswith("Gerbiamieji,")

    states = {r["number"]: r["decision"]["outcome"] for r in requests_json(config)}
    assert states == {number: "consent", notice: "ended_early"}
    story = shown(config, CONSENT, now="2026-12-02T11:35")
    assert re.search(rf"State:\s+ended early at 2026-12-02 11:00 by {notice}", story)


@pytest.mark.parametrize("at, ok", [("2026-12-02T08:59", False), ("2026-12-02T09:00", True),
                                    ("2026-12-02T15:00", True), ("2026-12-02T15:01", False)])
def test_end_at_is_within_the_consent(recovery, at, ok):
    tmp, config, _, notice = recovery
    if ok:
        itpc(config, "decide", notice, "end", "--at", at, now="2026-12-02T11:30")
        assert decisions(config)[-1]["outcome"] == "ended_early"
    else:
        line = refused(config, tmp, notice, "end", "--at", at, now="2026-12-02T11:30")
        assert line == (f"itpc: --at {at.replace('T', ' ')} is outside consent {CONSENT} "
                        "(2026-12-02 09:00 – 2026-12-02 15:00)")


def test_end_is_for_early_recovery_notices_only(consented):
    tmp, config, number = consented
    itpc(config, "poll", "--once", now="2026-12-02T09:40")
    line = refused(config, tmp, number, "end", "--at", "2026-12-02T11:00", now="2026-12-02T11:30")
    assert "already decided (consent)" in line



def test_a_revoked_consent_still_counts_among_the_month_s_consents_and_is_listed_by_its_status(consented):
    _tmp, config, number = consented
    month = ("report", "--month", "2026-12", "--format", "json")
    before = json.loads(itpc(config, *month, now="2026-12-02T10:00").stdout)
    itpc(config, "decide", number, "revoke", "--reason", "Klaidingi duomenys",
         now="2026-12-02T10:00")
    after = json.loads(itpc(config, *month, now="2026-12-02T10:05").stdout)
    assert after["consents"]["by_system"] == before["consents"]["by_system"] != {"MDAS": 0, "NTKS": 0}
    listed = itpc(config, "requests", "--status", "revoked", "--json", now="2026-12-02T10:05").stdout.splitlines()
    assert [json.loads(line)["number"] for line in listed] == [number]
