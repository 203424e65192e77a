"""Auto-generated mail (RFC 3834) is recognised by each of its signs, and mail a person wrote is not."""
from __future__ import annotations

import email

import pytest
from hypothesis import given, strategies as st

from ingest.autogen import auto_generated_reason
from ingest.mime import read_message
from tests.make_documents import message

OWN = "ITPC@lrmuitine.lt"
PERSON = {"From": "Rasa <rasa@bkl.lt>", "To": OWN, "Subject": "Prašymas", "Content-Type": "text/plain"}


@pytest.mark.parametrize("extra, fragment", [
    ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted"),
    ({"Auto-Submitted": "auto-generated"}, "Auto-Submitted"),
    ({"Auto-Submitted": "auto-notified; owner-email=x@y"}, "Auto-Submitted"),
    ({"Precedence": "bulk"}, "Precedence"),
    ({"Precedence": "junk"}, "Precedence"),
    ({"Precedence": "list"}, "Precedence"),
    ({"Precedence": "auto_reply"}, "Precedence"),
    ({"X-Auto-Response-Suppress": "All"}, "X-Auto-Response-Suppress"),
    ({"X-Autoreply": "yes"}, "X-Autoreply"),
    ({"List-Id": "<muitine.lists.example.lt>"}, "List-Id"),
    ({"List-Unsubscribe": "<mailto:leave@lists.example.lt>"}, "List-Unsubscribe"),
    ({"Return-Path": "<>"}, "Return-Path"),
    ({"From": "MAILER-DAEMON@mx.example.net"}, "daemon"),
    ({"From": "Mail Delivery System <Postmaster@bkl.lt>"}, "daemon"),
    ({"From": "owner-muitine@lists.example.lt"}, "list administration"),
    ({"Content-Type": 'multipart/report; report-type="delivery-status"; boundary="x"'}, "multipart/report"),
    ({"Content-Type": 'multipart/report; report-type="disposition-notification"'}, "multipart/report"),
    ({"From": "ITPC <itpc@LRMUITINE.lt>"}, "own address"),
])
def test_each_sign_marks_mail_auto_generated(extra, fragment):
    reason = auto_generated_reason({**PERSON, **extra}, OWN)
    assert reason is not None and fragment in reason


@pytest.mark.parametrize("extra", [
    {},
    {"Auto-Submitted": "no"},              # RFC 3834: "no" is a person's message
    {"Auto-Submitted": "No"},
    {"Precedence": "first-class"},
    {"Return-Path": "<rasa@bkl.lt>"},
    {"From": "daemon.fan@bkl.lt"},         # only whole daemon mailbox names count
    {"From": "itpc@lrmuitine.lt.example.org"},
    {"Content-Type": "multipart/mixed; boundary=x"},
])
def test_mail_a_person_wrote_is_not_auto_generated(extra):
    assert auto_generated_reason({**PERSON, **extra}, OWN) is None


def test_header_names_are_matched_without_regard_to_case():
    assert auto_generated_reason({**PERSON, "auto-submitted": "auto-replied"}, OWN)
    assert auto_generated_reason({**PERSON, "PRECEDENCE": "Bulk"}, OWN)


def test_works_on_a_parsed_message():
    msg = email.message_from_bytes(message(headers={"Precedence": "bulk"}))
    assert auto_generated_reason(msg, OWN) == "Precedence: bulk"
    assert auto_generated_reason(email.message_from_bytes(message()), OWN) is None


def test_letter_carries_the_reason():
    raw = message(sender="MAILER-DAEMON@mx.example.net", subject="Undelivered Mail Returned to Sender")
    letter = read_message(raw, max_attachment_bytes=10**6, max_message_bytes=10**7, own_address=OWN)
    assert "MAILER-DAEMON@mx.example.net".lower() in letter.auto_generated.lower()
    normal = read_message(message(), max_attachment_bytes=10**6, max_message_bytes=10**7, own_address=OWN)
    assert normal.auto_generated is None


class CountingMessage(email.message.Message):
    """A message that counts the header look-ups made by name (each walks every header)."""
    looked_up = 0

    def get(self, name, failobj=None):
        CountingMessage.looked_up += 1
        return super().get(name, failobj)


@given(st.lists(st.sampled_from(["Auto-Submitted: no", "Precedence: bulk", "List-Id: <x.lists.lt>",
                                 "Return-Path: <>", "From: postmaster@bkl.lt", "From: Rasa <rasa@bkl.lt>",
                                 "Content-Type: multipart/report; report-type=x", f"From: {OWN}",
                                 "X-Autoreply: yes", "Sender: owner-list@lists.lt", "Subject: Prašymas"]),
                max_size=6))
def test_a_message_is_read_as_its_headers_are_with_its_headers_walked_once(lines):
    msg = email.message_from_string("\n".join(lines) + "\n\nLaba diena\n", _class=CountingMessage)
    first = {}
    for line in lines:
        name, value = line.split(": ", 1)
        first.setdefault(name, value)
    CountingMessage.looked_up = 0
    assert auto_generated_reason(msg, OWN) == auto_generated_reason(first, OWN)
    assert CountingMessage.looked_up == 0
