"""Sender authenticity (issue 12, item 7): a forged From must not win a Sutikimas. Our mail server's
Authentication-Results (RFC 8601, `[mailbox] authserv_id`) on top of the message decide whether the From can
be believed; a request whose From domain fails DMARC goes to an officer (neither a consent nor a refusal), and
so does an early end of a consent. With the traders registry on, a Sutikimas goes only to addresses registered
for the EORI.
"""
from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest

from tests.helpers import CORPUS, itpc, make_config, not_to_duty

REQUEST = CORPUS / "mail" / "c01-labels-plain.eml"     # UAB „Baltijos krovinių linija“, LT302345671, from bkl.lt
RECOVERY = CORPUS / "mail" / "c14-early-recovery.eml"  # bkl.lt: VTP-2026-000001 works again from 13:00
OFFICE = "vilniaus.kroviniu.postas@lrmuitine.lt"             # LTVR1000, the office the consent names
REQUEST_POLL, RECOVERY_POLL = "2026-11-23T08:42:00+02:00", "2026-11-23T13:11:00+02:00"
OURS = "Authentication-Results: mail.lrmuitine.lt; {result}\r\n"
FAILS = "dmarc=fail (p=reject) header.from=bkl.lt"
PASSES = "dkim=pass header.d=bkl.lt; spf=pass smtp.mailfrom=rasa.petrauskiene@bkl.lt; dmarc=pass header.from=bkl.lt"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")


def with_headers(path: Path, on_top: str = "", from_the_sender: str = "", body: tuple[str, str] = ("", "")) -> bytes:
    """The corpus message as it reaches us: ``on_top`` above our server's Received: line (what our server
    wrote), ``from_the_sender`` below it (what the sender wrote), and the body's ``body[0]`` replaced."""
    raw = path.read_bytes()
    received_end = raw.index(b"\r\n", raw.index(b"by mail.lrmuitine.lt")) + 2
    raw = on_top.encode() + raw[:received_end] + from_the_sender.encode() + raw[received_end:]
    return raw.replace(body[0].encode(), body[1].encode()) if body[0] else raw


def poll(tmp: Path, raw: bytes, now: str, name: str, **sections) -> Path:
    config = make_config(tmp, **sections)
    (tmp / "inbox" / "new" / f"{name}.eml").write_bytes(raw)
    itpc(config, "poll", "--once", now=now)
    return config


def requests(config: Path) -> list[dict]:
    return [json.loads(line) for line in itpc(config, "requests", "--json").stdout.splitlines()]


def answered(tmp: Path) -> list[str]:
    """The recipients of every letter in the outbox."""
    return [str(message["To"]) for message in letters(tmp)]


def letters(tmp: Path) -> list[email.message.EmailMessage]:
    """Letters to people outside ITPC (the duty officer's alerts left out)."""
    return not_to_duty([email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                        for p in sorted((tmp / "outbox" / "new").iterdir())])


def only_acknowledged(tmp: Path) -> bool:
    """Every letter out is the acknowledgement of receipt: no Sutikimas, no refusal, nothing attached."""
    return all(str(m["Subject"]).startswith("Prašymas gautas") and not list(m.iter_attachments())
               for m in letters(tmp))


def test_a_request_whose_from_fails_dmarc_at_our_server_goes_to_an_officer(tmp_path):
    config = poll(tmp_path, with_headers(REQUEST, on_top=OURS.format(result=FAILS)), REQUEST_POLL, "forged")
    [request] = requests(config)
    decision = request["decision"]
    assert (decision["outcome"], decision["rules"]) == ("review", [])
    assert only_acknowledged(tmp_path)   # no Sutikimas, no refusal
    shown = itpc(config, "show", request["number"]).stdout
    assert "dmarc=fail" in shown and "fails DMARC" in shown


@pytest.mark.parametrize("on_top, from_the_sender", [
    (OURS.format(result=PASSES), ""),                                              # our server vouches for it
    ("", ""),                                                                      # no check made: no doubt
    ("", "Authentication-Results: mx.bkl.lt; dmarc=fail header.from=bkl.lt\r\n"),  # another server's word
    ("", OURS.format(result=FAILS)),            # our id, but written by the sender below our Received: line
])
def test_a_request_our_server_found_no_fault_with_gets_its_consent(tmp_path, on_top, from_the_sender):
    config = poll(tmp_path, with_headers(REQUEST, on_top, from_the_sender), REQUEST_POLL, "request")
    [request] = requests(config)
    assert request["decision"]["outcome"] == "consent"
    assert "deklaracijos@bkl.lt" in answered(tmp_path)


def test_a_pass_the_sender_wrote_does_not_outweigh_our_servers_fail(tmp_path):
    raw = with_headers(REQUEST, on_top=OURS.format(result=FAILS),
                       from_the_sender=OURS.format(result=PASSES)
                       + "Authentication-Results: bkl.lt; dmarc=pass header.from=bkl.lt\r\n")
    [request] = requests(poll(tmp_path, raw, REQUEST_POLL, "forged"))
    assert request["decision"]["outcome"] == "review"


def test_an_early_end_whose_from_fails_dmarc_leaves_the_consent_running(tmp_path):
    config = poll(tmp_path, with_headers(REQUEST), REQUEST_POLL, "request")
    (tmp_path / "inbox" / "new" / "recovery.eml").write_bytes(
        with_headers(RECOVERY, on_top=OURS.format(result="dmarc=fail header.from=bkl.lt")))
    itpc(config, "poll", "--once", now=RECOVERY_POLL)
    consent, recovery = requests(config)
    assert consent["decision"]["outcome"] == "consent"
    assert (recovery["kind"], recovery["decision"]["outcome"]) == ("early_recovery", "review")
    assert answered(tmp_path).count(OFFICE) == 1   # the office heard of the consent, not of an end


REGISTRY = "eori,addresses\nLT302345671,rasa.petrauskiene@bkl.lt deklaracijos@bkl.lt\n"
TO_MALLORY = ("Sutikimą siųsti: deklaracijos@bkl.lt", "Sutikimą siųsti: mallory@evil.example")


@pytest.mark.parametrize("body, outcome", [
    (("", ""), "consent"),                          # sender and Sutikimas address registered for the EORI
    (TO_MALLORY, "review"),                         # a registered From asking for the Sutikimas elsewhere
])
def test_with_the_registry_on_a_sutikimas_goes_only_to_registered_addresses(tmp_path, body, outcome):
    registry = tmp_path / "traders.csv"
    registry.write_text(REGISTRY, encoding="utf-8")
    config = poll(tmp_path, with_headers(REQUEST, body=body), REQUEST_POLL, "request",
                  rules={"traders": str(registry)})
    [request] = requests(config)
    assert request["decision"]["outcome"] == outcome
    if outcome == "review":
        assert only_acknowledged(tmp_path)
        assert "mallory@evil.example" in itpc(config, "show", request["number"]).stdout  # named in the note
    else:
        assert "deklaracijos@bkl.lt" in answered(tmp_path)
