"""Reading raw messages: charsets, names, attachments, caps, damaged MIME, reply chains, fax numbers."""
from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from ingest.htmltext import html_to_text
from ingest.mime import DOCX_TYPE, MessageError, e164, read_message, sniff_type, split_history
from tests.make_documents import docx_bytes, form_pdf, message, paragraph, run

OWN = "ITPC@lrmuitine.lt"
CAPS = dict(max_attachment_bytes=1_000_000, max_message_bytes=5_000_000, own_address=OWN)
# every Lithuanian letter, and quotes that windows-1257 and ISO-8859-13 both have
LT_TEXT = "Prašome taikyti procedūrą: ąčęėįšųūž ĄČĘĖĮŠŲŪŽ „Šiaulių“ - gerai."


def raw_message(headers: str, body: bytes) -> bytes:
    return headers.strip().replace("\n", "\r\n").encode("utf-8") + b"\r\n\r\n" + body


def read(raw: bytes, **caps):
    return read_message(raw, **{**CAPS, **caps})


# --- headers ----------------------------------------------------------------------------------------------

def test_plain_utf8_message_gives_sender_subject_date_and_text():
    raw = raw_message("""
From: =?utf-8?q?Rasa_Petrauskien=C4=97?= <Rasa.Petrauskiene@BKL.lt>
To: ITPC@lrmuitine.lt, "Muitinė, Vilnius" <vilnius@lrmuitine.lt>
Cc: kopija@bkl.lt
Reply-To: Deklaracijos@bkl.lt
Subject: =?utf-8?q?Pra=C5=A1ymas_taikyti_veiklos_t=C4=99stinumo_proced=C5=AB?=
 =?utf-8?q?r=C4=85?=
Date: Mon, 23 Nov 2026 08:41:00 +0200
Message-ID: <abc.1@bkl.lt>
In-Reply-To: <prev.2@lrmuitine.lt>
References: <first.1@lrmuitine.lt> <prev.2@lrmuitine.lt>
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit
""", LT_TEXT.encode("utf-8"))
    letter = read(raw)
    assert letter.sender == "rasa.petrauskiene@bkl.lt"
    assert letter.sender_name == "Rasa Petrauskienė"
    assert letter.to == ["itpc@lrmuitine.lt", "vilnius@lrmuitine.lt"]
    assert letter.cc == ["kopija@bkl.lt"]
    assert letter.reply_to == ["deklaracijos@bkl.lt"]
    assert letter.subject == "Prašymas taikyti veiklos tęstinumo procedūrą"
    assert letter.date == datetime(2026, 11, 23, 6, 41, tzinfo=timezone.utc)
    assert letter.date.utcoffset() == timedelta(hours=2)
    assert letter.message_id == "<abc.1@bkl.lt>"
    assert letter.in_reply_to == "<prev.2@lrmuitine.lt>"
    assert letter.references == ["<first.1@lrmuitine.lt>", "<prev.2@lrmuitine.lt>"]
    assert letter.text == LT_TEXT
    assert letter.problems == [] and letter.auto_generated is None and letter.fax_sender is None


@pytest.mark.parametrize("date", ["vakar po pietų", "Fri, 31 Dec 9999 23:59:59 -1200"])
def test_unreadable_date_is_a_problem_not_a_crash(date):
    raw = raw_message(f"From: a@b.lt\nSubject: x\nDate: {date}", b"tekstas")
    letter = read(raw)
    assert letter.date is None
    assert any("Date" in p for p in letter.problems)


# --- charsets --------------------------------------------------------------------------------------------

def test_windows_1257_html_table_becomes_label_value_lines():
    html = ("<html><body><p>Laba diena,</p><table><tr><td><b>EORI kodas</b></td><td>LT140998877</td></tr>"
            "<tr><td>Muitinės įstaigos</td><td>Klaipėdos jūrų uosto postas (LTKL1000)</td></tr>"
            "<tr><td>Priežastis</td><td>elektros sutrikimas &ndash; neveikia&nbsp;serveriai</td></tr>"
            "</table><p>Pagarbiai,<br>Ieva Žukauskaitė</p></body></html>")
    import quopri
    raw = raw_message("""
From: ieva@kja.lt
Subject: test
Content-Type: text/html; charset="windows-1257"
Content-Transfer-Encoding: quoted-printable
""", quopri.encodestring(html.encode("windows-1257")))
    letter = read(raw)
    assert letter.problems == []
    lines = letter.text.splitlines()
    assert "EORI kodas: LT140998877" in lines
    assert "Muitinės įstaigos: Klaipėdos jūrų uosto postas (LTKL1000)" in lines
    assert "Priežastis: elektros sutrikimas – neveikia serveriai" in lines
    assert lines[-2:] == ["Pagarbiai,", "Ieva Žukauskaitė"]


@pytest.mark.parametrize("charset", ["windows-1257", "ISO-8859-13", "utf-8", "cp1257"])
def test_declared_charsets_are_honoured(charset):
    raw = raw_message(f"From: a@b.lt\nSubject: x\nContent-Type: text/plain; charset={charset}\n"
                      "Content-Transfer-Encoding: 8bit", LT_TEXT.encode(charset))
    letter = read(raw)
    assert letter.text == LT_TEXT and letter.problems == []


def test_wrong_declared_charset_falls_back_to_windows_1257_and_says_so():
    raw = raw_message("From: a@b.lt\nSubject: x\nContent-Type: text/plain; charset=utf-8\n"
                      "Content-Transfer-Encoding: 8bit", LT_TEXT.encode("windows-1257"))
    letter = read(raw)
    assert letter.text == LT_TEXT
    assert len(letter.problems) == 1
    assert "'utf-8'" in letter.problems[0] and "windows-1257" in letter.problems[0]


def test_unknown_charset_label_falls_back_to_utf8_and_says_so():
    raw = raw_message("From: a@b.lt\nSubject: x\nContent-Type: text/plain; charset=x-lietuviu\n"
                      "Content-Transfer-Encoding: 8bit", LT_TEXT.encode("utf-8"))
    letter = read(raw)
    assert letter.text == LT_TEXT
    assert any("x-lietuviu" in p and "utf-8" in p for p in letter.problems)


def test_undecodable_bytes_are_replaced_and_recorded_as_lossy():
    # 0x98 is undefined in windows-1257 and 0xff never occurs in UTF-8: no charset reads these bytes whole
    raw = raw_message("From: a@b.lt\nSubject: x\nContent-Type: text/plain; charset=utf-8\n"
                      "Content-Transfer-Encoding: 8bit", b"EORI LT123456789 \x98\xff pabaiga")
    letter = read(raw)
    assert letter.text.startswith("EORI LT123456789") and letter.text.endswith("pabaiga")
    assert "\ufffd" in letter.text
    assert any("lossy" in p for p in letter.problems)


def test_undeclared_8bit_utf8_is_read_without_complaint():
    raw = raw_message("From: a@b.lt\nSubject: x", LT_TEXT.encode("utf-8"))
    assert read(raw).text == LT_TEXT


def test_raw_8bit_subject_is_read_as_utf8():
    raw = ("From: a@b.lt\r\nSubject: Prašymas dėl MDAS\r\n\r\ntekstas").encode("utf-8")
    assert read(raw).subject == "Prašymas dėl MDAS"


LT_ALPHABET = list("abcdefghijklmnoprstuvyząčęėįšųūžĄČĘĖĮŠŲŪŽ0123456789 .,:;-")


@settings(max_examples=40, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(LT_ALPHABET),
                    min_size=1, max_size=200).filter(lambda t: t.strip()),
       charset=st.sampled_from(["utf-8", "windows-1257", "iso-8859-13"]),
       encoding=st.sampled_from(["8bit", "quoted-printable", "base64"]))
def test_any_lithuanian_text_survives_its_charset_and_transfer_encoding(text, charset, encoding):
    data = text.encode(charset)
    if encoding == "base64":
        body = base64.encodebytes(data)
    elif encoding == "quoted-printable":
        import quopri
        body = quopri.encodestring(data)
    else:
        body = data
    raw = raw_message(f"From: a@b.lt\nSubject: x\nContent-Type: text/plain; charset={charset}\n"
                      f"Content-Transfer-Encoding: {encoding}", body)
    letter = read(raw)
    assert " ".join(letter.text.split()) == " ".join(text.split())
    assert letter.problems == []


# --- attachments -------------------------------------------------------------------------------------------

def _with_attachment(disposition: str, data: bytes, ctype: str = "application/octet-stream") -> bytes:
    return raw_message("""
From: a@b.lt
Subject: x
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="BOUND"
""", (f"--BOUND\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPridedame.\r\n"
      f"--BOUND\r\nContent-Type: {ctype}\r\nContent-Transfer-Encoding: base64\r\n"
      f"Content-Disposition: {disposition}\r\n\r\n").encode() + base64.encodebytes(data) + b"--BOUND--\r\n")


def test_rfc2231_filename_is_decoded():
    raw = _with_attachment("attachment; filename*=utf-8''Pra%C5%A1ymas%20%C4%AF%20ITPC.pdf", form_pdf())
    (att,) = read(raw).attachments
    assert att.filename == "Prašymas į ITPC.pdf"


def test_rfc2047_filename_is_decoded():
    encoded = "=?utf-8?b?" + base64.b64encode("Prašymas Nr. 5.pdf".encode()).decode() + "?="
    raw = _with_attachment(f'attachment; filename="{encoded}"', form_pdf())
    (att,) = read(raw).attachments
    assert att.filename == "Prašymas Nr. 5.pdf"


def test_attachment_type_is_sniffed_from_the_bytes():
    pdf = form_pdf()
    docx = docx_bytes(paragraph(run("EORI LT123456789")))
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    raw = message(attachments=[("a.bin", "application/octet-stream", pdf), ("b.dat", "application/zip", docx),
                               ("c.pdf", "application/pdf", png), ("d.xyz", "application/x-custom", b"plain bytes")])
    kinds = {a.filename: (a.declared_type, a.content_type) for a in read(raw).attachments}
    assert kinds == {"a.bin": ("application/octet-stream", "application/pdf"),
                     "b.dat": ("application/zip", DOCX_TYPE),
                     "c.pdf": ("application/pdf", "image/png"),
                     "d.xyz": ("application/x-custom", "application/x-custom")}


def test_sniffing_a_plain_zip_is_not_docx():
    import io
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("readme.txt", "hi")
    assert sniff_type(out.getvalue(), "application/octet-stream") == "application/zip"


def test_attachment_data_and_size_are_the_decoded_bytes():
    pdf = form_pdf()
    (att,) = read(message(attachments=[("f.pdf", "application/pdf", pdf)])).attachments
    assert att.data == pdf and att.size == len(pdf)


def test_attachment_over_the_cap_is_skipped_with_a_problem():
    small, big = b"%PDF-1.4 small", b"%PDF-1.4 " + b"x" * 5000
    raw = message(attachments=[("small.pdf", "application/pdf", small), ("big.pdf", "application/pdf", big)])
    letter = read(raw, max_attachment_bytes=4000)
    assert [a.filename for a in letter.attachments] == ["small.pdf"]
    assert any("big.pdf" in p and "4000" in p for p in letter.problems)


def test_attachment_exactly_at_the_cap_is_kept():
    data = b"%PDF-1.4 " + b"x" * 3991  # 4000 bytes
    letter = read(message(attachments=[("f.pdf", "application/pdf", data)]), max_attachment_bytes=4000)
    assert [a.size for a in letter.attachments] == [4000] and letter.problems == []


def test_message_over_the_cap_is_read_for_its_headers_only():
    raw = message(body="EORI LT123456789\n" * 200, subject="Didelis laiškas")
    letter = read(raw, max_message_bytes=len(raw) - 1)
    assert letter.subject == "Didelis laiškas" and letter.sender == "jonas@example.lt"
    assert letter.text == "" and letter.attachments == []
    assert any("cap" in p for p in letter.problems)
    assert read(raw, max_message_bytes=len(raw)).text.startswith("EORI LT123456789")


def test_oversized_bounce_is_still_known_as_auto_generated():
    raw = message(body="x" * 2000, headers={"Auto-Submitted": "auto-replied"})
    assert read(raw, max_message_bytes=100).auto_generated.startswith("Auto-Submitted")


# --- damaged input ----------------------------------------------------------------------------------------------

def test_truncated_multipart_is_read_as_far_as_it_goes():
    raw = message(body="EORI LT123456789", attachments=[("f.pdf", "application/pdf", form_pdf())])
    cut = raw[: int(len(raw) * 0.6)]
    letter = read(cut)
    assert letter.text.startswith("EORI LT123456789")
    assert any("truncated" in p for p in letter.problems)


@pytest.mark.parametrize("raw", [b"", b"   \r\n", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
                                 b"\x00\x01\x02\x03binary junk", b"just some words, not a message\n"])
def test_bytes_that_are_not_a_message_raise_message_error(raw):
    with pytest.raises(MessageError):
        read(raw)


def test_non_bytes_raise_message_error():
    with pytest.raises(MessageError):
        read("From: a@b.lt\n\ntext")  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_crash(data):
    try:
        letter = read(data)
    except MessageError:
        return
    assert isinstance(letter.text, str) and isinstance(letter.problems, list)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_cut_or_corruption_of_a_real_message_never_crashes(data):
    raw = message(body=LT_TEXT, attachments=[("f.pdf", "application/pdf", form_pdf())])
    cut = data.draw(st.integers(min_value=0, max_value=len(raw)))
    noise = data.draw(st.binary(max_size=40))
    at = data.draw(st.integers(min_value=0, max_value=cut))
    mangled = raw[:at] + noise + raw[at:cut]
    try:
        read(mangled)
    except MessageError:
        pass


# --- reply chains -------------------------------------------------------------------------------------------

REQUEST = "EORI kodas: LT110223344\nSistema: MDAS\nLaikotarpis: nuo 2026-12-08 08:00 iki 2026-12-08 18:00"


@pytest.mark.parametrize("header", [
    "Nuo: ITPC <ITPC@lrmuitine.lt>\nIšsiųsta: 2026-11-24 10:40\nKam: tomas@nemunologistika.lt",
    "From: ITPC\nSent: Tuesday, November 24, 2026 10:40 AM\nTo: Tomas",
    "-----Original Message-----\nFrom: ITPC@lrmuitine.lt",
    "-----Originalus pranešimas-----",
    "---------- Forwarded message ---------\nFrom: Jonas <jonas@example.lt>",
    "2026-11-24 10:40, ITPC rašė:",
    "On Tue, Nov 24, 2026 at 10:40 AM ITPC <ITPC@lrmuitine.lt> wrote:",
    "On Tue, Nov 24, 2026 at 10:40 AM ITPC <ITPC@lrmuitine.lt>\nwrote:",
])
def test_reply_chain_is_cut_into_history(header):
    old = "> Sistema: NTKS\n> Laikotarpis: nuo 2026-11-24 10:30 iki 2026-11-25 16:00"
    new, history = split_history(f"{REQUEST}\n\nPagarbiai\nTomas\n\n{header}\n{old}")
    assert new == f"{REQUEST}\n\nPagarbiai\nTomas"
    assert history.startswith(header.splitlines()[0]) and history.endswith("16:00")
    assert "NTKS" not in new


def test_request_labels_nuo_iki_are_not_mistaken_for_a_reply_header():
    text = "Nuo: 2026-11-26 07:00\nIki: 2026-11-26 23:59\nData: 2026-11-25\nKam: ITPC"
    assert split_history(text) == (text, "")


def test_reply_written_under_a_quote_keeps_its_own_lines():
    new, history = split_history("> Ar sistema jau veikia?\nTaip, veikia nuo 13:00.\n> Ačiū\nRasa")
    assert new == "Taip, veikia nuo 13:00.\nRasa"
    assert history == "> Ar sistema jau veikia?\n> Ačiū"


def test_message_history_is_separated_in_the_letter():
    body = f"{REQUEST}\n\nNuo: ITPC <ITPC@lrmuitine.lt>\nIšsiųsta: 2026-11-24 10:40\n> Sistema: NTKS\n"
    letter = read(message(body=body))
    assert letter.text == REQUEST
    assert "NTKS" in letter.history and "NTKS" not in letter.text


def test_html_blockquote_is_history():
    html = "<p>Sistema: MDAS</p><blockquote><p>Sistema: NTKS</p></blockquote>"
    raw = raw_message("From: a@b.lt\nSubject: x\nContent-Type: text/html; charset=utf-8", html.encode())
    letter = read(raw)
    assert letter.text == "Sistema: MDAS" and "NTKS" in letter.history


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab >:-@1Nuo")), max_size=20), max_size=15))
def test_split_history_loses_no_line(lines):
    text = "\n".join(lines)
    new, history = split_history(text)
    kept = [l.strip() for l in (new + "\n" + history).splitlines() if l.strip()]
    assert sorted(kept) == sorted(l.strip() for l in lines if l.strip())


# --- HTML -----------------------------------------------------------------------------------------------------

def test_html_to_text_breaks_lines_decodes_entities_and_drops_scripts():
    html = ("<div>Laba&nbsp;diena<br>ITPC &amp; muitinė &#8211; &quot;MDAS&quot;</div>"
            "<style>p{color:red}</style><script>alert(1)</script><p>Pabaiga</p>")
    assert html_to_text(html) == 'Laba diena\nITPC & muitinė – "MDAS"\n\nPabaiga'


def test_html_table_row_with_label_ending_in_colon_has_one_colon():
    assert html_to_text("<table><tr><th>EORI:</th><td>LT1</td></tr></table>") == "EORI: LT1"


# --- fax numbers -----------------------------------------------------------------------------------------------

def test_fax_sender_from_gateway_header():
    raw = message(sender="fax-gateway@lrmuitine.lt", subject="Fax from +37041523345 (1 page)",
                  headers={"X-Fax-Sender": "+370 41 523345"})
    assert read(raw).fax_sender == "+37041523345"


@pytest.mark.parametrize("subject, number", [
    ("Fax from +37041523345 (1 page)", "+37041523345"),
    ("Faksas nuo 8 41 523345, 2 psl.", "+37041523345"),
    ("Gautas faksas: 0037052362338", "+37052362338"),
    ("Prašymas taikyti procedūrą", None),
    ("Fax from unknown", None),
])
def test_fax_sender_from_gateway_subject(subject, number):
    assert read(message(subject=subject)).fax_sender == number


@pytest.mark.parametrize("text, number", [("+370 41 523345", "+37041523345"), ("(8 5) 236 2338", "+37052362338"),
                                          ("852362338", "+37052362338"), ("37052362338", "+37052362338"),
                                          ("+49 30 1234567", "+49301234567"), ("12345", None), ("", None)])
def test_e164(text, number):
    assert e164(text) == number


def test_request_label_nuo_with_a_company_is_not_a_reply_header():
    text = "Nuo: UAB Žalgiris\nData: 2026-11-25\nEORI: LT123456789"
    assert split_history(text) == (text, "")


def test_multipart_without_its_boundary_is_still_read():
    raw = raw_message('From: a@b.lt\nSubject: x\nContent-Type: multipart/mixed; boundary="NEVER"',
                      "EORI kodas: LT123456789\nSistema: MDAS".encode())
    letter = read(raw)
    assert "EORI kodas: LT123456789" in letter.text
    assert any("boundary" in p for p in letter.problems)
