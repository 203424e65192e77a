"""Composing outgoing mail: what a mail client and a mail server would see, parsed back from the bytes."""
from __future__ import annotations

import email
import email.header
import email.policy
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings, strategies as st

from ledger.clock import VILNIUS
from responders.compose import ComposeError, HeaderInjection, compose

SENDER = "ITPC@lrmuitine.lt"
WHEN = datetime(2026, 11, 23, 8, 41, tzinfo=VILNIUS)
SUBJECT = "Sutikimas Nr. VTP-2026-000001 taikyti veiklos tęstinumo procedūrą – Prašymas ITPC-2026-000001"
BODY = "Gerb. Rūta Žemaitiene,\n\nišduotas Sutikimas „ąčęėįšųūž ĄČĘĖĮŠŲŪŽ“.\n.\nFrom here on\n"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 4


def build(**changes) -> bytes:
    args = dict(sender=SENDER, to=["deklaracijos@bkl.lt"], subject=SUBJECT, body=BODY,
                message_id="<ITPC-2026-000001.answer@lrmuitine.lt>", date=WHEN)
    args.update(changes)
    return compose(**args)


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def text_of(part: email.message.EmailMessage) -> str:
    """The text as a mail client shows it (line ends are CRLF on the wire)."""
    return part.get_content().replace("\r\n", "\n")


def test_a_reply_has_threading_rfc3834_headers_and_readable_lithuanian():
    raw = build(in_reply_to="<abc@bkl.lt>", references=["<root@bkl.lt>"])
    msg = parse(raw)
    assert msg["From"] == SENDER and msg["To"] == "deklaracijos@bkl.lt"
    assert msg["Subject"] == SUBJECT
    assert msg["Message-ID"] == "<ITPC-2026-000001.answer@lrmuitine.lt>"
    assert msg["In-Reply-To"] == "<abc@bkl.lt>"
    assert msg["References"] == "<root@bkl.lt> <abc@bkl.lt>"
    assert msg["Date"] == "Mon, 23 Nov 2026 08:41:00 +0200"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["X-Loop"] == SENDER
    assert msg["Precedence"] is None                      # RFC 3834 advises against it
    assert text_of(msg) == BODY
    assert msg.get_content_charset() == "utf-8"


def test_the_raw_message_is_7bit_safe_with_crlf_lines_and_an_encoded_subject():
    raw = build()
    raw.decode("ascii")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert "tęstinumo".encode() not in raw                # encoded, not raw UTF-8 in the header
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_a_notice_that_answers_nothing_is_auto_generated_and_has_no_thread_headers():
    msg = parse(build())
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["In-Reply-To"] is None and msg["References"] is None


def test_an_officers_manual_message_has_no_automatic_headers():
    msg = parse(build(automatic=False, in_reply_to="<abc@bkl.lt>"))
    for header in ("Auto-Submitted", "X-Auto-Response-Suppress", "X-Loop"):
        assert msg[header] is None


def test_x_loop_holds_the_bare_sender_address():
    assert parse(build(sender="ITPC <ITPC@lrmuitine.lt>"))["X-Loop"] == "ITPC@lrmuitine.lt"


def test_attachments_arrive_intact_with_their_lithuanian_names():
    raw = build(attachments=[("Sutikimas VTP-2026-000001 – Žąsų ūkis.pdf", "application/pdf", PDF),
                             ("prašymas.txt", "text/plain", "ąč\n".encode())])
    msg = parse(raw)
    assert msg.get_content_type() == "multipart/mixed"
    assert text_of(msg.get_body(("plain",))) == BODY
    parts = list(msg.iter_attachments())
    assert [p.get_filename() for p in parts] == ["Sutikimas VTP-2026-000001 – Žąsų ūkis.pdf", "prašymas.txt"]
    assert parts[0].get_content_type() == "application/pdf" and parts[0].get_content() == PDF
    assert parts[1].get_payload(decode=True) == "ąč\n".encode()
    assert raw.count(b"MIME-Version") == 1


def test_several_recipients_are_one_to_header():
    msg = parse(build(to=["a@lrmuitine.lt", "Vilniaus postas <b@lrmuitine.lt>"]))
    assert [a.addr_spec for a in msg["To"].addresses] == ["a@lrmuitine.lt", "b@lrmuitine.lt"]


def test_same_inputs_give_identical_bytes_and_the_boundary_follows_the_content():
    args = dict(attachments=[("s.pdf", "application/pdf", PDF)], in_reply_to="<abc@bkl.lt>")
    first, second = build(**args), build(**args)
    assert first == second
    other = build(attachments=[("s.pdf", "application/pdf", PDF + b"x")], in_reply_to="<abc@bkl.lt>")
    boundary = parse(first).get_boundary()
    assert boundary.startswith("=_itpc_") and boundary != parse(other).get_boundary()


@pytest.mark.parametrize("field, value", [
    ("subject", "Sutikimas\r\nBcc: victim@example.com"),
    ("subject", "Sutikimas\nBcc: victim@example.com"),
    ("subject", "Sutikimas\rX"),
    ("subject", "Sutikimas\u2028X"),
    ("subject", "Sutikimas\x0bX"),
    ("sender", "ITPC@lrmuitine.lt\r\nBcc: victim@example.com"),
    ("to", ["a@b.lt\nBcc: victim@example.com"]),
    ("message_id", "<x@y>\r\nX-Evil: 1"),
    ("in_reply_to", "<x@y>\nX-Evil: 1"),
    ("references", ["<x@y>", "<z@y>\r\nX-Evil: 1"]),
    ("attachments", [("a.pdf\r\nX-Evil: 1", "application/pdf", b"x")]),
])
def test_a_line_break_in_any_header_value_is_refused(field, value):
    with pytest.raises(HeaderInjection, match="line break"):
        build(**{field: value})


@pytest.mark.parametrize("changes, message", [
    (dict(to=[]), "at least one recipient"),
    (dict(to=["not an address"]), "To:"),
    (dict(sender="nobody"), "From:"),
    (dict(message_id="no-at-sign"), "Message-ID"),
    (dict(date=datetime(2026, 11, 23, 8, 41)), "timezone-aware"),
    (dict(attachments=[("a.pdf", "pdf", b"x")]), "MIME type"),
    (dict(body="a\ud800b"), "surrogate"),
])
def test_bad_arguments_are_clear_errors(changes, message):
    with pytest.raises(ComposeError, match=message):
        build(**changes)


def test_a_bare_recipient_string_is_one_recipient_not_letters():
    assert parse(build(to="deklaracijos@bkl.lt"))["To"] == "deklaracijos@bkl.lt"


header_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=120)
body_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r"), max_size=400)


@settings(max_examples=150, deadline=None)
@given(subject=header_text, body=body_text)
def test_any_subject_and_body_round_trip_or_the_subject_is_refused(subject, body):
    if any(len((c + "x").splitlines()) > 1 for c in subject) or "\x00" in subject:  # a line break of any kind
        with pytest.raises(HeaderInjection):
            build(subject=subject, body=body)
        return
    raw = build(subject=subject, body=body, date=datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc))
    msg = parse(raw)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.count(b"\r\nTo: ") == 1 and head.count(b"\r\nSubject:") == 1
    expected_body = body if body.endswith("\n") or not body else body + "\n"
    assert text_of(msg) == (expected_body or "\n")
    # The header parser folds runs of whitespace; what the reader sees are the same words.
    assert msg["Subject"].split() == subject.split()


# -- the direct writer and the email package write the same bytes ------------------------------------------------
ADDRESSES = st.one_of(
    st.from_regex(r"[a-z0-9._+-]{1,20}@[a-z0-9-]{1,12}\.(lt|com|eu)", fullmatch=True),
    st.sampled_from(["ITPC@lrmuitine.lt", "Rūta Žemaitienė <ruta@bkl.lt>", "Jonas <jonas@imone.lt>",
                     "rasa@bkl-ž.lt", '"a b"@x.lt', "a" * 60 + "@" + "b" * 20 + ".lt"]))
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
IDS = st.from_regex(r"<[A-Za-z0-9.-]{1,40}@[a-z0-9.-]{1,20}\.lt>", fullmatch=True)
ATTACHMENTS = st.lists(st.tuples(
    st.one_of(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,60}", fullmatch=True), st.just("Sutikimas ąč.pdf")),
    st.sampled_from(["application/pdf", "image/png", "text/csv", "application/vnd.ms-excel"]),
    st.binary(max_size=400)), max_size=2)


PLAIN = st.from_regex(r"[a-z0-9._+-]{1,20}@[a-z0-9-]{1,12}\.(lt|com|eu)", fullmatch=True)
SUBJECTS = TEXT.filter(lambda s: not any(c in s for c in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\x00"))
SHORT_IDS = st.from_regex(r"<[A-Za-z0-9.-]{1,12}@[a-z0-9.-]{1,8}\.lt>", fullmatch=True)
PDFS = st.lists(st.tuples(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._ -]{0,20}", fullmatch=True),
                          st.sampled_from(["application/pdf", "image/png"]), st.binary(min_size=1, max_size=400)),
                max_size=2)


def assert_same_bytes_both_ways(**args) -> None:
    """compose() gives what the email package alone gives (``_direct`` off), or refuses both ways."""
    import responders.compose as module
    try:
        fast = compose(date=WHEN, **args)
    except ComposeError:
        fast = None
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "_direct", lambda *a: None)
        try:
            slow = compose(date=WHEN, **args)
        except ComposeError:
            slow = None
    assert fast == slow


@settings(max_examples=300, deadline=None)
@given(sender=ADDRESSES, to=st.lists(ADDRESSES, min_size=1, max_size=3), subject=SUBJECTS, body=TEXT,
       message_id=IDS, in_reply_to=st.none() | IDS, references=st.lists(IDS, max_size=4), automatic=st.booleans(),
       attachments=ATTACHMENTS)
def test_any_letter_has_the_email_packages_bytes(**args):
    assert_same_bytes_both_ways(**args)


@settings(max_examples=300, deadline=None)
@given(sender=PLAIN, to=st.lists(PLAIN, min_size=1, max_size=2), subject=SUBJECTS, body=TEXT, message_id=SHORT_IDS,
       in_reply_to=st.none() | SHORT_IDS, references=st.lists(SHORT_IDS, max_size=2), automatic=st.booleans(),
       attachments=PDFS)
def test_a_plain_letter_written_directly_has_the_email_packages_bytes(**args):
    assert_same_bytes_both_ways(**args)


def test_the_usual_letter_is_written_directly():
    import responders.compose as module
    args = dict(in_reply_to="<abc@bkl.lt>", references=["<root@bkl.lt>"], attachments=[("Sutikimas VTP-1.pdf",
                "application/pdf", PDF)])
    assert module._direct is not None
    raw = build(**args)
    assert parse(raw).get_body(("plain",)).get_content().replace("\r\n", "\n") == BODY
    fields = module._fields(SENDER, WHEN, "<ITPC-2026-000001.answer@lrmuitine.lt>", "<abc@bkl.lt>",
                            ["<root@bkl.lt>", "<abc@bkl.lt>"], True)
    subject = email.header.Header(SUBJECT, "utf-8", header_name="Subject").encode(linesep="\r\n")
    assert module._direct(SENDER, ["deklaracijos@bkl.lt"], subject, fields, BODY, args["attachments"],
                          module._boundary("<ITPC-2026-000001.answer@lrmuitine.lt>", SUBJECT, BODY,
                                           args["attachments"])) == raw


@settings(max_examples=400, deadline=None)
@given(text=st.one_of(TEXT, st.text(st.sampled_from("ąčęėįšųūž ĄČĘĖĮŠŲŪŽ abc=?_–„“€\t"), max_size=400)),
       name=st.sampled_from(["Subject", "X", "A-Very-Long-Header-Name-Indeed-For-Folding"]))
def test_subjects_are_cut_into_encoded_words_as_the_email_package_cuts_them(text, name):
    import responders.compose as module
    ours = email.header.Header(text, module.UTF8, header_name=name).encode(linesep="\r\n")
    assert ours == email.header.Header(text, "utf-8", header_name=name).encode(linesep="\r\n")


@settings(max_examples=300, deadline=None)
@given(address=st.from_regex(r"[A-Za-z0-9_+-]{1,12}(\.[A-Za-z0-9_+-]{1,8}){0,2}@[A-Za-z0-9-]{1,12}(\.[A-Za-z0-9-]{1,8}){1,3}",
                             fullmatch=True))
def test_a_plain_address_taken_as_it_is_is_what_parsing_it_gives(address):
    import responders.compose as module
    assert module.PLAIN_ADDRESS.fullmatch(address)
    assert module._address("To", address) == module._parsed_address("To", address) == address
