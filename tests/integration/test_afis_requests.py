"""AFIS/CIS+ access requests end to end (1B-280:8-10): forwarded to the liaison officer with the request
attached, returned to the representative with a copy to the sender, and the user told once access is granted."""
from __future__ import annotations

import email
import json
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.helpers import ME, itpc, make_config

NOW = "2027-01-18T10:00"
LIAISON = "afis.rysiai@lrmuitine.lt"

REQUEST = """\
From: {sender}
To: ITPC@lrmuitine.lt
Subject: AFIS/CIS+ prieiga
Date: Mon, 18 Jan 2027 09:30:00 +0200
Message-ID: <{n}@example.lt>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Laba diena,

teikiame prašymą suteikti teisę naudotis AFIS/CIS+.

Institucija: Finansinių nusikaltimų tyrimo tarnyba
Pareigos: vyresnioji tyrėja
Vardas, pavardė: Ingrida Mačiulienė
Tel. Nr.: +370 5 271 7470
El. paštas: ingrida.maciuliene@fntt.lt
Prieigos tipas: Internet/Secure Web
Moduliai: AREP (AMT), IET
Tikslai: {purposes}

Pagarbiai
Andrius Žemaitis
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return make_config(tmp_path, afis={"liaison_address": LIAISON})


def deliver(tmp: Path, n: int, *, sender: str, purposes: str = "importo duomenų analizė") -> bytes:
    raw = REQUEST.format(sender=sender, n=n, purposes=purposes).encode("utf-8")
    (tmp / "inbox" / "new" / f"{n}.eml").write_bytes(raw)
    return raw


def sent(tmp: Path) -> list[EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted((tmp / "outbox" / "new").iterdir())]


def requests(config: Path, *args: str) -> list[dict]:
    return [json.loads(line) for line in itpc(config, "requests", "--json", *args, now=NOW).stdout.splitlines()]


def attached(message: EmailMessage) -> list[bytes]:
    return [part.get_payload(decode=True) for part in message.iter_attachments()]


def test_a_complete_request_is_forwarded_to_the_liaison_officer_with_the_request_attached(config, tmp_path):
    raw = deliver(tmp_path, 1, sender="Andrius Žemaitis <andrius.zemaitis@fntt.lt>")
    itpc(config, "poll", "--once", now=NOW)
    [request] = requests(config, "--status", "forwarded")
    assert (request["decision"]["outcome"], request["decision"]["rules"]) == ("forwarded", [])
    [forward] = sent(tmp_path)
    assert forward["To"] == LIAISON and request["number"] in forward["Subject"]
    assert attached(forward) == [raw]
    body = " ".join(forward.get_body(("plain",)).get_content().split())
    assert "AFIS/CIS+ naudotojas: Ingrida Mačiulienė" in body and "Moduliai: AREP (AMT), IET" in body
    assert requests(config, "--status", "review") == []
    assert request["number"] in itpc(config, "show", request["number"], now=NOW).stdout


def test_a_return_goes_to_the_representative_with_a_copy_to_the_sender_and_the_request(config, tmp_path):
    raw = deliver(tmp_path, 2, sender="Andrius <andrius.zemaitis@gmail.com>", purposes="")
    itpc(config, "poll", "--once", now=NOW)
    [request] = requests(config, "--status", "returned")
    assert request["decision"]["rules"] == ["1B-280:7.6", "1B-280:8"]
    [answer] = sent(tmp_path)
    assert [a.strip() for a in answer["To"].split(",")] == ["ingrida.maciuliene@fntt.lt", "andrius.zemaitis@gmail.com"]
    assert attached(answer) == [raw]
    assert "Prašymo kopija pridedama" in answer.get_body(("plain",)).get_content()


def test_a_request_from_a_domain_not_on_the_institutions_list_waits_for_an_officer(config, tmp_path):
    deliver(tmp_path, 3, sender="vadovas@uab-konsultacijos.lt")
    itpc(config, "poll", "--once", now=NOW)
    [request] = requests(config, "--status", "review")
    assert request["decision"]["rules"] == []
    assert not any(m["To"] == LIAISON for m in sent(tmp_path))


def test_the_user_is_told_once_the_liaison_officer_records_the_grant(config, tmp_path):
    deliver(tmp_path, 4, sender="andrius.zemaitis@fntt.lt")
    itpc(config, "poll", "--once", now=NOW)
    [request] = requests(config)
    number = request["number"]
    out = itpc(config, "afis", "granted", number, now="2027-01-19T11:00")
    assert out.stdout.strip() == f"{number}: granted by {ME}"
    [granted] = requests(config, "--status", "granted")
    assert (granted["decision"]["outcome"], granted["decision"]["rules"]) == ("granted", ["1B-280:10"])
    letters = [m for m in sent(tmp_path) if m["To"] == "ingrida.maciuliene@fntt.lt"]
    assert len(letters) == 1 and "Suteikta teisė naudotis AFIS/CIS+" in letters[0]["Subject"]
    again = itpc(config, "afis", "granted", number, now="2027-01-19T11:05", check=False)
    assert again.returncode != 0 and "granted" in again.stderr and "Traceback" not in again.stderr


def test_only_a_forwarded_request_can_be_granted(config, tmp_path):
    deliver(tmp_path, 5, sender="andrius.zemaitis@gmail.com")
    itpc(config, "poll", "--once", now=NOW)
    [request] = requests(config)
    result = itpc(config, "afis", "granted", request["number"], now=NOW, check=False)
    assert result.returncode != 0 and "returned" in result.stderr
