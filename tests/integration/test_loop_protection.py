"""Mail loops end to end: machine-made mail is registered and never answered, however complete the request it
carries; and no address gets more than the daily cap of automatic mail, counted per Vilnius calendar day."""
from __future__ import annotations

import email
import email.policy
import json
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from ledger.clock import VILNIUS
from tests.helpers import itpc, make_config

OWN = "ITPC@lrmuitine.lt"


def request_text(eori: str, *, reply: str | None = None, office: str = "LTVR1000 Vilniaus krovinių postas") -> str:
    return (
        "Laba diena,\n\nprašome sutikimo taikyti veiklos tęstinumo procedūrą.\n\n"
        "Asmens pavadinimas: UAB „Žalgirio ekspedicija“\n"
        f"EORI kodas: {eori}\n"
        "Telefonas: +370 5 219 8765\n"
        "Sistema: MDAS\n"
        "Laikotarpis: nuo 2026-12-10 09:00 iki 2026-12-10 17:00\n"
        f"Muitinės įstaigos: {office}\n"
        "Priežastis: sugedo serveris, nutrūko interneto ryšys.\n"
        + (f"Sutikimą siųsti: {reply}\n" if reply else "")
        + "\nPagarbiai\nJūratė Šimkūnienė\nMuitinės tarpininkė\n"
    )


def message(n: int, *, received: datetime, sender: str = "Jūratė <jurate@zalgiris.lt>", body: str,
            headers: dict[str, str] | None = None, report: bool = False) -> bytes:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["Received"] = f"from mx.example.net by mail.lrmuitine.lt with ESMTPS; {format_datetime(received)}"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg["From"] = sender
    msg["To"] = OWN
    msg["Subject"] = "Prašymas taikyti veiklos tęstinumo procedūrą"
    msg["Date"] = format_datetime(received)
    msg["Message-ID"] = f"<req-{n}@zalgiris.lt>"
    msg.set_content(body)
    if report:
        # A delivery report (RFC 6522) that quotes the request it bounces.
        msg.make_mixed()
        msg.add_attachment("Reporting-MTA: dns; mx.zalgiris.lt\n\nFinal-Recipient: rfc822; x@zalgiris.lt\n"
                           "Action: failed\nStatus: 5.1.1\n", subtype="plain")
        msg.replace_header("Content-Type", msg["Content-Type"].replace("multipart/mixed",
                                                                       "multipart/report; report-type=delivery-status"))
    return msg.as_bytes()


def deliver(tmp: Path, name: str, raw: bytes) -> None:
    (tmp / "inbox" / "new" / f"{name}.eml").write_bytes(raw)


def requests_json(config: Path) -> list[dict]:
    return [json.loads(line) for line in itpc(config, "requests", "--json").stdout.splitlines() if line.strip()]


def ledger_entries(config: Path) -> list[dict]:
    return [json.loads(line) for line in itpc(config, "ledger", "export", "--json").stdout.splitlines()
            if line.strip()]


def outbox(tmp: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted((tmp / "outbox" / "new").iterdir())]


def addressed_to(messages, address: str) -> list:
    return [m for m in messages if address.lower() in m["To"].lower()]


# ------------------------------------------------------------------------------- auto-generated mail

AT = datetime(2026, 12, 9, 10, 0, tzinfo=VILNIUS)
AUTO_FORMS = {
    "auto-submitted": {"headers": {"Auto-Submitted": "auto-replied"}},
    "precedence-bulk": {"headers": {"Precedence": "bulk"}},
    "list-id": {"headers": {"List-Id": "Muitinės naujienos <naujienos.zalgiris.lt>"}},
    "null-return-path": {"headers": {"Return-Path": "<>"}},
    "mailer-daemon": {"sender": "Mail Delivery System <MAILER-DAEMON@mx.zalgiris.lt>"},
    "multipart-report": {"report": True},
    "own-address": {"sender": f"ITPC <{OWN}>"},
}


@pytest.fixture(scope="module")
def auto_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("auto")
    config = make_config(tmp)
    for n, (form, options) in enumerate(AUTO_FORMS.items(), start=1):
        body = request_text(f"LT{300000000 + n}", reply=f"atsakymai{n}@zalgiris.lt")
        deliver(tmp, form, message(n, received=AT + timedelta(minutes=n), body=body, **options))
    # The control: the same request written by a person is answered, so silence above is not an accident.
    deliver(tmp, "person", message(99, received=AT + timedelta(minutes=30), body=request_text(
        "LT300000099", reply="atsakymai99@zalgiris.lt")))
    itpc(config, "poll", "--once", now="2026-12-09T11:00")
    return tmp, config, {r["message_id"]: r for r in requests_json(config)}


@pytest.mark.parametrize("n, form", list(enumerate(AUTO_FORMS, start=1)))
def test_auto_generated_mail_is_registered_and_never_answered(auto_run, n, form):
    tmp, config, requests = auto_run
    request = requests[f"<req-{n}@zalgiris.lt>"]
    assert request["number"].startswith("ITPC-2026-")
    assert request["kind"] == "auto_generated"
    assert request["decision"]["outcome"] == "none"
    assert request["notices"] == []
    everyone = {a.lower() for m in outbox(tmp) for a in m["To"].split(",")}
    assert f"atsakymai{n}@zalgiris.lt" not in everyone
    assert "jurate@zalgiris.lt" not in everyone


def test_the_same_request_from_a_person_is_answered(auto_run):
    tmp, config, requests = auto_run
    assert requests["<req-99@zalgiris.lt>"]["decision"]["outcome"] == "consent"
    assert len(addressed_to(outbox(tmp), "atsakymai99@zalgiris.lt")) == 1
    queued = [e["data"] for e in ledger_entries(config) if e["type"] == "mail.queued"]
    assert {q["request"] for q in queued} == {requests["<req-99@zalgiris.lt>"]["number"]}


# ------------------------------------------------------------------------------------------ the daily cap

BROKER = "deklaravimas@tarpininkas.lt"


def test_the_daily_cap_holds_the_rest_and_starts_again_the_next_vilnius_day(tmp_path):
    config = make_config(tmp_path, outbox={"daily_cap": 10})
    day = datetime(2026, 12, 9, 8, 0, tzinfo=VILNIUS)
    # A customs broker sends twelve requests for twelve clients on one day; the last at 23:59 Vilnius time.
    times = [day + timedelta(minutes=20 * i) for i in range(11)] + [day.replace(hour=23, minute=59)]
    # ...and one more at 00:01 the next Vilnius day — still 9 December in UTC.
    times.append(day.replace(day=10, hour=0, minute=1))
    assert times[-1].astimezone(VILNIUS).date() != times[-2].astimezone(VILNIUS).date()
    # Each is answered as it arrives (a letter counts on the Vilnius day it is written).
    for n, received in enumerate(times, start=1):
        deliver(tmp_path, f"r{n:02d}", message(n, received=received, sender=f"Broker <{BROKER}>",
                                                body=request_text(f"LT{300000100 + n}")))
        itpc(config, "poll", "--once", now=(received + timedelta(seconds=30)).isoformat())

    requests = {r["message_id"]: r for r in requests_json(config)}
    answers = {n: next(x for x in requests[f"<req-{n}@zalgiris.lt>"]["notices"] if x["purpose"] == "answer")
               for n in range(1, 14)}
    assert [answers[n]["status"] for n in range(1, 14)] == ["sent"] * 10 + ["held", "held"] + ["sent"]
    delivered = addressed_to(outbox(tmp_path), BROKER)
    assert len(delivered) == 11
    held = [e["data"] for e in ledger_entries(config) if e["type"] == "mail.held"]
    assert {h["id"] for h in held} == {answers[11]["id"], answers[12]["id"]}
    for h in held:
        assert "daily cap" in h["reason"] and BROKER in h["reason"] and "10" in h["reason"]
    # The customs office is told of every consent (1B-1029:11): the cap guards against loops with outside
    # mailboxes, it must not silence the notices the rules require.
    office_notices = addressed_to(outbox(tmp_path), "vilniaus.kroviniu.postas@lrmuitine.lt")
    assert len(office_notices) == 13

    # Held means held: a later poll does not send them.
    itpc(config, "poll", "--once", now="2026-12-11T08:00")
    assert len(addressed_to(outbox(tmp_path), BROKER)) == 11
