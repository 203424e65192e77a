"""What each kind of request is answered with, end to end: an acknowledgement written for its own kind, a
neutral greeting, and an answer by fax that says where to report an early recovery (1B-1029:7, 13, 16)."""
from __future__ import annotations

import email
import email.policy
import json
import shutil
from pathlib import Path

import pytest

from itpc.answers import ACKNOWLEDGEMENTS, acknowledgement_of
from tests.helpers import CORPUS, itpc, make_config

MAIL = CORPUS / "mail"
C01 = MAIL / "c01-labels-plain.eml"      # a consent, answered by e-mail to deklaracijos@bkl.lt
C03 = MAIL / "c03-fax-ocr.eml"           # a fax; a consent answered by fax to +37041523345
C14 = MAIL / "c14-early-recovery.eml"    # an early recovery naming VTP-2026-000001 (unknown here: review)
CONTINUITY_PROMISE = "per 2 valandas"

INQUIRY = b"""Received: from mx.example.net (mx.example.net [192.0.2.10])
\tby mail.lrmuitine.lt with ESMTPS; Tue, 24 Nov 2026 10:15:00 +0200
From: Jonas Jonaitis <jonas@ekspeditorius.lt>
To: ITPC@lrmuitine.lt
Subject: Klausimas
Date: Tue, 24 Nov 2026 10:15:00 +0200
Message-ID: <inquiry-1@ekspeditorius.lt>
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit
MIME-Version: 1.0

Laba diena,

gal galite patarti, kokia deklaravimo programos versija rekomenduojate naudoti nuo kitu metu?

Jonas Jonaitis
"""


def poll(tmp: Path, message: Path, now: str) -> Path:
    config = make_config(tmp)
    shutil.copy(message, tmp / "inbox" / "new" / message.name)
    itpc(config, "poll", "--once", now=now)
    return config


DUTY = "itpc@lrmuitine.lt"   # the shipped duty address: told at once of each case that waits for an officer


def outbox(tmp: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted((tmp / "outbox" / "new").iterdir())]


def sent(tmp: Path) -> list[email.message.EmailMessage]:
    """What went to people outside ITPC (the duty officer's alerts left out)."""
    return [m for m in outbox(tmp) if DUTY not in m["To"].lower()]


def alerts(tmp: Path) -> list[email.message.EmailMessage]:
    return [m for m in outbox(tmp) if DUTY in m["To"].lower()]


def text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def flat(value: str) -> str:
    return " ".join(value.split())


def requests_json(config: Path) -> list[dict]:
    return [json.loads(line) for line in itpc(config, "requests", "--json").stdout.splitlines() if line.strip()]


def test_an_early_recovery_in_review_gets_its_own_acknowledgement(tmp_path):
    config = poll(tmp_path, C14, "2026-11-23T13:11")
    [request] = requests_json(config)
    assert request["kind"] == "early_recovery" and request["decision"]["outcome"] == "review"
    [ack] = sent(tmp_path)
    body = flat(text(ack))
    assert request["number"] in ack["Subject"] and "VTP-2026-000001" in ack["Subject"]
    assert "vėl galite vykdyti elektroninių duomenų mainus" in body and "16 punktas" in body
    assert CONTINUITY_PROMISE not in body and "Prašymą taikyti" not in body


def test_an_inquiry_is_acknowledged_once_as_a_letter_not_as_a_request(tmp_path):
    message = tmp_path / "inquiry.eml"
    message.write_bytes(INQUIRY)
    config = poll(tmp_path, message, "2026-11-24T10:16")
    [request] = requests_json(config)
    assert request["kind"] == "not_a_request"
    [ack] = sent(tmp_path)
    assert "jonas@ekspeditorius.lt" in ack["To"] and request["number"] in ack["Subject"]
    body = flat(text(ack))
    assert "gavo Jūsų laišką" in body and CONTINUITY_PROMISE not in body and "Prašym" not in body
    itpc(config, "poll", "--once", now="2026-11-24T12:00")
    assert len(sent(tmp_path)) == 1   # once
    [alert] = alerts(tmp_path)        # and the officer queue is told once, in Lithuanian
    assert request["number"] in alert["Subject"] and "laukia atsakymo" in alert["Subject"]
    assert "Rūšis: Paklausimas (ne prašymas)" in text(alert) and "Terminas: nenustatytas" in text(alert)


@pytest.mark.parametrize("kind", sorted(ACKNOWLEDGEMENTS))
def test_every_kind_left_to_an_officer_gets_the_acknowledgement_of_its_kind(kind):
    letter = acknowledgement_of(kind, {"outcome": "review", "decided_by": "auto"})
    assert letter == ("acknowledgement" if kind == "continuity" else f"acknowledgement_{kind}")
    assert acknowledgement_of(kind, {"outcome": "review", "decided_by": "Aušra Žemaitienė"}) is None


def test_nothing_else_is_acknowledged():
    assert acknowledgement_of("afis_access", {"outcome": "returned", "decided_by": "auto"}) is None
    assert acknowledgement_of("auto_generated", {"outcome": "none", "decided_by": "auto"}) is None
    assert acknowledgement_of("correspondence", {"outcome": "review", "decided_by": "auto"}) is None
    # a message that could not be read is not known to be an inquiry: an officer reads it first
    assert acknowledgement_of("not_a_request", {"outcome": "review", "decided_by": "auto"}, readable=False) is None


def test_a_consent_by_e_mail_greets_neutrally_and_asks_for_a_reply_to_report_recovery(tmp_path):
    poll(tmp_path, C01, "2026-11-23T08:42")
    [answer] = [m for m in sent(tmp_path) if "deklaracijos@bkl.lt" in m["To"]]
    body = text(answer)
    assert body.splitlines()[0] == "Laba diena," and "Gerb." not in body and "Petrauskienė" not in body
    assert "atsakydami į šį laišką" in flat(body) and "faksu" not in body


def test_a_consent_by_fax_names_itpcs_fax_and_e_mail_for_reporting_recovery(tmp_path):
    poll(tmp_path, C03, "2026-11-25T07:50")
    [answer] = [m for m in sent(tmp_path) if "37041523345@fax.lrmuitine.lt" in m["To"]]
    body = flat(text(answer))
    assert "praneškite ITPC faksu (8 5) 236 2338 arba el. paštu ITPC@lrmuitine.lt" in body
    assert "atsakydami į šį laišką" not in body


def test_the_fax_number_and_address_for_recovery_notices_are_settings(tmp_path):
    config = make_config(tmp_path, itpc={"fax_number": "(8 5) 000 0000", "email": "vtp@lrmuitine.lt"})
    shutil.copy(C03, tmp_path / "inbox" / "new" / C03.name)
    itpc(config, "poll", "--once", now="2026-11-25T07:50")
    [answer] = [m for m in sent(tmp_path) if "fax.lrmuitine.lt" in m["To"]]
    assert "faksu (8 5) 000 0000 arba el. paštu vtp@lrmuitine.lt" in flat(text(answer))


def inquiry(n: int, *, headers: bytes = b"") -> bytes:
    """The inquiry above, the ``n``-th of a series from the same sender (its own Message-ID and question)."""
    raw = INQUIRY.replace(b"<inquiry-1@", b"<inquiry-%d@" % n).replace(b"versija", b"versija (%d)" % n)
    return raw.replace(b"MIME-Version: 1.0\n", b"MIME-Version: 1.0\n" + headers)


def test_inquiries_are_acknowledged_within_the_daily_cap_and_automatic_ones_never(tmp_path):
    config = make_config(tmp_path, outbox={"daily_cap": 2})
    for n in range(1, 4):
        (tmp_path / "inbox" / "new" / f"inquiry-{n}.eml").write_bytes(inquiry(n))
    # RFC 3834: an automatic message (an out-of-office answer) is never answered, and is no inquiry
    (tmp_path / "inbox" / "new" / "auto.eml").write_bytes(inquiry(4, headers=b"Auto-Submitted: auto-replied\n"))
    itpc(config, "poll", "--once", now="2026-11-24T10:16")
    listed = requests_json(config)
    assert [r["kind"] for r in listed] == ["not_a_request"] * 3 + ["auto_generated"]
    acks = sent(tmp_path)
    assert len(acks) == 2 and all(m["Auto-Submitted"] == "auto-replied" for m in acks)
    held = [n for r in listed for n in r["notices"] if n["status"] == "held"]
    assert [n["purpose"] for n in held] == ["acknowledgement"]      # the third, past the cap, for an officer
    # the officer queue is told of each inquiry (the cap guards outsiders only), not of the automatic mail
    assert sorted(m["Subject"].split()[1] for m in alerts(tmp_path)) == [r["number"] for r in listed[:3]]
