"""ETD authorisations (1B-1052) end to end: `itpc etd open`, the tick's TC26 consultation over a real SMTP server
on loopback, the answer attached to the file at intake, `itpc etd decide` and its notices, the monitoring plan
deadline alerted and met; and a member state's consultation, which is made in MSVS."""
from __future__ import annotations

import io
import json
import re
from datetime import datetime
from pathlib import Path

import pdfplumber
import pytest

from ledger import entries
from ledger.clock import VILNIUS
from tests.helpers import ROOT, itpc, make_config
from tests.smtp_server import SMTPRecorder, SMTPServer

NORWAY = "post@toll.no"
DUTY = "budintis@lrmuitine.lt"
OSLO_OFFICE = "oslo.lufthavn@toll.no"
VILNIUS_OFFICE = "vilniaus.kroviniu.postas@lrmuitine.lt"   # LTVR1000 in the shipped offices directory
APPLICATION = b"%PDF-1.4\n% MSVS prasymo kopija LTETDLT0000000123\n"
SHOW_OUTPUT = Path("/work/helpers/s2/etd_show.txt")


def verified_directory(tmp: Path) -> Path:
    """The shipped common transit directory with its addresses marked as checked (1B-1052:40)."""
    text = (ROOT / "config" / "common_transit.toml").read_text(encoding="utf-8")
    path = tmp / "common_transit.toml"
    path.write_text(text.replace("verified = false", "verified = true"), encoding="utf-8")
    return path


def pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return " ".join(" ".join((page.extract_text() or "").split()) for page in pdf.pages)


def attachments(message) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


def deliver(tmp: Path, name: str, raw: str, received: datetime) -> None:
    """A message in the Maildir inbox, delivered at ``received`` (the Maildir file name's time)."""
    (tmp / "inbox" / "new" / f"{int(received.timestamp())}.1_{name}").write_text(raw, encoding="utf-8")


def ledger_types(config: Path) -> list[str]:
    out = itpc(config, "ledger", "export", "--json").stdout
    return [json.loads(line)["type"] for line in out.splitlines() if line.strip()]


def open_file(config: Path, tmp: Path, *destination: str, now: str) -> str:
    copy = tmp / "prasymas.pdf"
    copy.write_bytes(APPLICATION)
    out = itpc(config, "etd", "open", "--msvs", "LTETDLT0000000123", "--accepted", "2026-12-04T15:00",
               "--company", "UAB „Oro linija“", "--eori", "LT123456789", "--carrier", "airline",
               "--departure", "LTVR1000", *[a for d in destination for a in ("--destination", d)],
               "--procedures-per-month", "8", "--flights-per-month", "30", "--application", str(copy),
               now=now).stdout
    return re.search(r"ETD-\d{4}-\d{6}", out).group(0)


@pytest.mark.slow
def test_a_common_transit_consultation_a_reply_a_grant_and_the_monitoring_plan(tmp_path):
    recorder = SMTPRecorder()
    with SMTPServer(recorder) as server:
        config = make_config(tmp_path, outbox={"url": server.url, "timeout": 5}, itpc={"duty_address": DUTY},
                             etd={"common_transit": str(verified_directory(tmp_path))})
        # Accepted on Friday afternoon: the consultation is due by the end of Monday (16).
        number = open_file(config, tmp_path, f"NO001234;Oslo lufthavn;{OSLO_OFFICE}", now="2026-12-04T15:10")
        assert number == "ETD-2026-000001"

        itpc(config, "tick", now="2026-12-04T15:15")
        itpc(config, "tick", now="2026-12-04T15:20")
        tc26 = recorder.to(NORWAY)
        assert len(tc26) == 1 and len(recorder.deliveries) == 1      # one TC26, and nothing to the duty address
        files = attachments(tc26[0])
        assert files["prasymas.pdf"] == APPLICATION                  # the application's copy goes with it
        form = pdf_text(files[next(name for name in files if name.startswith("TC26"))])
        for expected in ("TC26", number, "LTETDLT0000000123", "UAB „Oro linija“", "LT123456789", "LTVR1000",
                         "NO001234", "Norwegian Customs"):
            assert expected in form, expected
        assert number in tc26[0]["Subject"]

        # The Norwegian answer, a reply to the TC26 e-mail, joins the file and is not answered.
        deliver(tmp_path, "tc26-answer", "\n".join([
            f"From: Norwegian Customs <{NORWAY}>", "To: ITPC@lrmuitine.lt", f"Subject: RE: {tc26[0]['Subject']}",
            "Message-ID: <answer-1@toll.no>", f"In-Reply-To: {tc26[0]['Message-ID']}",
            "Date: Tue, 08 Dec 2026 10:00:00 +0100", "Content-Type: text/plain; charset=utf-8", "",
            f"TC26 consultation form - answer for file {number}", "",
            "I. Consultation when granting an authorisation",
            "3. If any condition is not fulfilled, give the reasons and the port(s) concerned",
            "[x] The holder cannot ensure that the ETD data are accessible to customs.", "Port(s): Oslo lufthavn",
            "Remarks: Access to the ETD data at Oslo has not been demonstrated.", ""]),
            datetime(2026, 12, 8, 11, 0, tzinfo=VILNIUS))
        itpc(config, "poll", "--once", now="2026-12-08T11:05")
        assert len(recorder.deliveries) == 1
        assert "request.registered" not in ledger_types(config)
        shown = itpc(config, "etd", "show", number, now="2026-12-08T11:10").stdout
        assert "I.3 not met: etd_data (ports: Oslo lufthavn)" in shown and "answer: OBJECTS" in shown

        # The grant: each office of departure and destination is told once (36); no authority is (32).
        itpc(config, "etd", "decide", number, "grant", now="2026-12-09T09:00")
        assert itpc(config, "etd", "decide", number, "grant", now="2026-12-09T09:01", check=False).returncode == 1
        itpc(config, "tick", now="2026-12-09T09:05")
        for office in (VILNIUS_OFFICE, OSLO_OFFICE):
            notice = recorder.to(office)
            assert len(notice) == 1, office
            body = notice[0].get_body().get_content()
            assert "36 punktu" in body and "suteiktas leidimas" in body and "apskųsti" not in body
        assert len(recorder.to(NORWAY)) == 1

        # 30 working days from 9 December (24-26 December and 1 January are holidays): 25 January 2027.
        itpc(config, "tick", now="2027-01-19T09:00")
        assert recorder.to(DUTY) == []
        itpc(config, "tick", now="2027-01-20T09:00")
        itpc(config, "tick", now="2027-01-21T09:00")
        alerts = recorder.to(DUTY)
        assert len(alerts) == 1
        assert "2027-01-25 23:59" in alerts[0]["Subject"] and "25.2 papunktis" in alerts[0].get_body().get_content()

        plan = tmp_path / "stebesenos-planas.pdf"
        plan.write_bytes(b"%PDF-1.4\n% stebesenos planas\n")
        itpc(config, "etd", "attach", number, str(plan), "--as", "monitoring-plan", now="2027-01-22T10:00")
        itpc(config, "tick", now="2027-01-27T09:00")
        assert len(recorder.to(DUTY)) == 1                                # met: never overdue
        listed = itpc(config, "etd", "list", now="2027-01-27T09:00").stdout
        assert "OVERDUE" not in listed and "audit/2027" in listed

    shown = itpc(config, "etd", "show", number, now="2027-01-27T09:00").stdout
    deadlines = shown.split("Deadlines:")[1].splitlines()
    assert not any(line.strip().startswith("monitoring-plan/") for line in deadlines)   # met
    assert "monitoring-plan   1B-1052:23.5 stebesenos-planas.pdf" in shown
    if SHOW_OUTPUT.parent.is_dir():
        SHOW_OUTPUT.write_text(shown, encoding="utf-8")


def test_a_member_state_is_consulted_in_msvs_and_an_unfavourable_decision_tells_the_authorities(tmp_path):
    config = make_config(tmp_path, itpc={"duty_address": DUTY},
                         etd={"common_transit": str(verified_directory(tmp_path))})
    number = open_file(config, tmp_path, "DE004711;Frankfurt Flughafen;zoll.frankfurt@zoll.de",
                       "CH001234;Zürich Flughafen;zoll.zuerich@bazg.admin.ch", "NO001234;Oslo lufthavn",
                       now="2026-12-04T15:10")
    itpc(config, "tick", now="2026-12-04T15:15")
    shown = itpc(config, "etd", "show", number, now="2026-12-04T15:20").stdout
    assert "DE  MSVS; to be made in MSVS; due 2026-12-07 23:59" in shown
    assert "CH  e-mail to" in shown
    outbox = sorted(p.read_text(encoding="utf-8", errors="replace") for p in (tmp_path / "outbox" / "new").iterdir())
    assert sum("To: zoll" in m for m in outbox) == 0                      # no TC26 goes to a member state
    assert sum(DUTY in m for m in outbox) == 1                            # the duty officer is told to do it
    itpc(config, "etd", "consulted", number, "DE", now="2026-12-07T09:00")
    itpc(config, "tick", now="2026-12-08T09:00")
    assert "consultation/DE" not in itpc(config, "etd", "list", now="2026-12-08T09:00").stdout
    assert "CH" in itpc(config, "etd", "consulted", number, "CH", now="2026-12-08T09:00", check=False).stderr

    itpc(config, "etd", "decide", number, "grant", now="2026-12-09T09:00")
    refused = itpc(config, "etd", "decide", number, "suspend", now="2026-12-10T09:00", check=False)
    assert refused.returncode == 1 and "motives" in refused.stderr
    itpc(config, "etd", "decide", number, "suspend", "--effective", "2026-12-11",
         "--reason", "Bendrovė neužtikrina prieigos prie ETD duomenų (Taisyklių 28 punktas).",
         now="2026-12-10T09:00")
    authorities = json.loads(itpc(config, "etd", "show", number, "--json").stdout)
    assert [d["action"] for d in authorities["decisions"]] == ["grant", "suspend"]
    queued = [json.loads(line)["data"] for line in itpc(config, "ledger", "export", "--json").stdout.splitlines()
              if json.loads(line)["type"] == entries.MAIL_QUEUED]
    ids = [q["id"] for q in queued]
    suspend_seq = authorities["decisions"][1]["seq"]
    # 36: the offices; 32: the common transit country's authority (a member state's is told in MSVS).
    assert f"{number}/decision/{suspend_seq}/authority/CH" in " ".join(ids)
    assert not any(f"decision/{suspend_seq}/authority/DE" in i for i in ids)
    # LT, DE and CH offices, the CH and NO authorities; the Oslo office has no address: recorded, shown.
    assert sum(f"decision/{suspend_seq}/" in i for i in ids) == 5
    assert "NOT SENT: no e-mail address for office NO001234" in itpc(config, "etd", "show", number).stdout
    retention = itpc(config, "etd", "retention", "--json").stdout.splitlines()
    assert json.loads(retention[0])["disposable_from"] is None           # kept while the authorisation stands

    # 37: an audit each calendar year after the grant's; the duty address is told a month before the year ends.
    def alerted() -> set[tuple[str, str]]:
        return {(e["data"]["deadline"], e["data"]["stage"]) for e in map(json.loads,
                itpc(config, "ledger", "export", "--json").stdout.splitlines())
                if e["type"] == entries.ETD_DEADLINE_ALERTED}

    itpc(config, "tick", now="2027-11-30T09:00")
    assert ("audit/2027", "alert") not in alerted()
    itpc(config, "tick", now="2027-12-02T09:00")
    assert ("audit/2027", "alert") in alerted()
    report = tmp_path / "patikrinimo-ataskaita.pdf"
    report.write_bytes(b"%PDF-1.4\n% patikrinimas\n")
    itpc(config, "etd", "attach", number, str(report), "--as", "audit-report", now="2027-12-10T10:00")
    itpc(config, "tick", now="2028-01-03T09:00")
    assert ("audit/2027", "overdue") not in alerted()
