"""What kind a message is, through the whole line (poll, decide, answer, `requests --json`): an early end of a
consent only on its holder's notice (1B-1029:16), found without its number; a reply about a case joins that
case (correspondence); an inquiry waits for an officer with nothing decided."""
from __future__ import annotations

import email
import email.policy
import json
import shutil
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.helpers import CORPUS, itpc, make_config

MAIL = CORPUS / "mail"
CONSENT_MAIL = MAIL / "c24-recovery-1.eml"   # 2027-01-14 08:05, consent 08:30-17:30 for LT305236841, LTVR5000
OFFICE = "vilniaus.oro.uosto.postas@lrmuitine.lt"
NOTICE_AT = "Thu, 14 Jan 2027 11:40:14 +0200"
POLL_AT = "2027-01-14T11:41:00+02:00"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")


def notice(sender: str, body: str, subject: str = "Sistemos veikia", name: str = "notice") -> EmailMessage:
    message = EmailMessage()
    message["Received"] = f"from mx by mail.lrmuitine.lt; {NOTICE_AT}"
    message["From"], message["To"], message["Subject"] = sender, "ITPC@lrmuitine.lt", subject
    message["Date"], message["Message-ID"] = NOTICE_AT, f"<{name}@example.test>"
    message.set_content(body)
    return message


def deliver(tmp: Path, *messages: Path | EmailMessage) -> None:
    for i, message in enumerate(messages):
        target = tmp / "inbox" / "new" / f"{i:03d}.eml"
        if isinstance(message, Path):
            shutil.copy(message, target)
        else:
            target.write_bytes(message.as_bytes())


def run(tmp: Path, first: Path, then: EmailMessage | Path, first_poll: str, then_poll: str, **sections) -> Path:
    config = make_config(tmp, **sections)
    deliver(tmp, first)
    itpc(config, "poll", "--once", now=first_poll)
    deliver(tmp, then)
    itpc(config, "poll", "--once", now=then_poll)
    return config


def requests(config: Path, *args: str) -> list[dict]:
    return [json.loads(line) for line in itpc(config, "requests", "--json", *args).stdout.splitlines()]


def sent_to(tmp: Path, address: str) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted((tmp / "outbox" / "new").iterdir()):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in (message["To"] or ""):
            found.append(message)
    return found


def recovery_outcome(tmp: Path, sender: str, body: str, **sections) -> tuple[dict, list]:
    config = run(tmp, CONSENT_MAIL, notice(sender, body), "2027-01-14T08:06:00+02:00", POLL_AT, **sections)
    consent, recovery = requests(config)
    assert consent["decision"]["outcome"] == "consent"
    return recovery, sent_to(tmp, OFFICE)


NO_NUMBER = ("Laba diena,\n\nUAB „Vilniaus vaistų logistika“ (EORI LT305236841) sistemos veikia, elektroninių "
             "duomenų mainus vėl vykdome nuo 11:30. Sutikimas mums nebereikalingas.\n")
NUMBERED = "VTP-2027-000001 sistema vėl veikia nuo 11:30.\n"


@pytest.mark.parametrize("sender, body", [
    ("Marius Kairys <it@vvlogistika.lt>", NO_NUMBER),     # the same domain as the consent's request, no number
    ("it@vvlogistika.lt", NUMBERED),
])
def test_the_holders_notice_ends_the_consent_and_the_office_is_told(tmp_path, sender, body):
    recovery, office_mail = recovery_outcome(tmp_path, sender, body)
    assert recovery["kind"] == "early_recovery"
    decision = recovery["decision"]
    assert (decision["outcome"], decision["rules"], decision["consent_no"]) == ("ended_early", ["1B-1029:16"],
                                                                                "VTP-2027-000001")
    assert decision["period_to"] == "2027-01-14T11:30:00+02:00"
    assert len(office_mail) == 2   # the consent, then its early end


@pytest.mark.parametrize("sender, body", [
    ("someone@kitas.lt", NUMBERED),                       # anyone who writes the number
    ("someone@kitas.lt", NO_NUMBER),                      # anyone who writes the EORI
    ("vvlogistika@gmail.com", NUMBERED),                  # a public mail service the consent's request never used
])
def test_anyone_elses_notice_goes_to_an_officer_and_the_consent_runs_on(tmp_path, sender, body):
    recovery, office_mail = recovery_outcome(tmp_path, sender, body)
    assert recovery["kind"] == "early_recovery"
    assert recovery["decision"]["outcome"] == "review"
    assert len(office_mail) == 1   # the consent only: no office is told it ended


def test_an_address_registered_for_the_eori_may_end_it(tmp_path):
    registry = tmp_path / "traders.csv"
    registry.write_text("eori,addresses\nLT305236841,laura.jasiuniene@vvlogistika.lt deklaravimas@vvlogistika.lt "
                        "muitine@brokeris.lt\n", encoding="utf-8")   # the request's sender and Sutikimas address too
    recovery, office_mail = recovery_outcome(tmp_path, "muitine@brokeris.lt", NUMBERED,
                                             rules={"traders": str(registry)})
    assert recovery["decision"]["outcome"] == "ended_early"
    assert len(office_mail) == 2


def test_a_reply_about_a_case_joins_it_and_is_never_answered(tmp_path):
    thanks = MAIL / "c26-thanks-2.eml"   # "dėkojame, Sutikimą gavome" under our consent letter
    config = run(tmp_path, MAIL / "c26-thanks-1.eml", thanks, "2027-01-04T08:11:00+02:00",
                 "2027-01-04T10:26:00+02:00")
    listed = requests(config)
    assert len(listed) == 1   # no request of its own
    case = listed[0]
    thanks_id = email.message_from_bytes(thanks.read_bytes())["Message-ID"].strip()
    assert case["messages"] == [case["message_id"], thanks_id]
    assert case["decision"]["outcome"] == "consent"
    assert not [m for m in sent_to(tmp_path, "dalia@marijampolesauto.lt") if m["In-Reply-To"] == thanks_id]
    shown = itpc(config, "show", case["number"]).stdout   # the officer reads the reply in the case
    assert "Correspondence" in shown and thanks_id in shown
    # polled again: still joined once, nothing registered
    itpc(config, "poll", "--once", now="2027-01-04T10:40:00+02:00")
    assert requests(config) == listed


def test_a_reply_about_a_case_this_ledger_does_not_hold_goes_to_an_officer(tmp_path):
    config = make_config(tmp_path)
    deliver(tmp_path, notice("dalia@marijampolesauto.lt", "Ačiū, gavome.", name="thanks",
                             subject="RE: Sutikimas Nr. VTP-2027-000099 – Prašymas ITPC-2027-000099"))
    itpc(config, "poll", "--once", now=POLL_AT)
    [request] = requests(config)
    assert request["kind"] == "not_a_request"
    assert request["decision"]["outcome"] == "review"
    # what it says was read: an inquiry of its own, acknowledged once with its new number
    [ack] = sent_to(tmp_path, "dalia@marijampolesauto.lt")
    assert request["number"] in ack["Subject"] and ack["In-Reply-To"] == "<thanks@example.test>"
    itpc(config, "poll", "--once", now="2027-01-14T12:00:00+02:00")
    assert len(sent_to(tmp_path, "dalia@marijampolesauto.lt")) == 1


def test_an_inquiry_has_nothing_decided_and_waits_for_an_officer(tmp_path):
    config = make_config(tmp_path)
    deliver(tmp_path, MAIL / "c31-inquiry.eml")
    itpc(config, "poll", "--once", now="2027-01-22T11:07:00+02:00")
    [request] = requests(config)
    assert request["kind"] == "not_a_request"
    assert (request["decision"]["outcome"], request["decision"]["rules"]) == ("none", [])
    assert [r["number"] for r in requests(config, "--status", "none")] == [request["number"]]
    assert request["number"] in itpc(config, "requests", "--kind", "not_a_request").stdout
