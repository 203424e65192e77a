"""ingest.receipt.header_fields: a header block's fields exactly as the email package (compat32) reads them.

The fast way (plain ASCII fields split directly) must never say anything the parser would not: the
receipt time, the Message-ID and the trusted Authentication-Results are read through it.
"""
from __future__ import annotations

from email.parser import BytesHeaderParser
from email.policy import compat32

from hypothesis import example, given, settings, strategies as st

from ingest.receipt import _plain_fields, header_block, header_fields, header_values

NAMES = st.sampled_from(["Received", "received", "Message-ID", "Message-Id", "Subject", "From", "X-Weird_Name!",
                         "Authentication-Results", "To", "A"])
TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=40)
ANY_TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x17f), max_size=30)
ENDS = st.sampled_from(["\r\n", "\n"])
AFTER_COLON = st.sampled_from(["", " ", "  ", "\t"])
FOLD = st.sampled_from([" ", "\t", "  "])


@st.composite
def lines(draw) -> str:
    kind = draw(st.sampled_from(["field", "field", "field", "folded", "odd"]))
    end = draw(ENDS)
    if kind == "field":
        return f"{draw(NAMES)}:{draw(AFTER_COLON)}{draw(TEXT)}{end}"
    if kind == "folded":
        return f"{draw(FOLD)}{draw(TEXT)}{end}"
    # What a header block should not hold, and does: no colon, a leading colon, a space before the colon,
    # an envelope line, a lone CR, 8-bit bytes, control characters.
    return draw(st.sampled_from([f"no colon here{end}", f":no name{end}", f"Name : value{end}",
                                 f"From someone{end}", "CR\ronly\n", f"{draw(ANY_TEXT)}{end}"]))


def parsed(block: bytes) -> list[tuple[str, str]]:
    return [(name, str(value)) for name, value in BytesHeaderParser(policy=compat32).parsebytes(block).items()]


@settings(max_examples=600)
@given(st.lists(lines(), max_size=12), st.sampled_from(["", "\r\n", "\n", "\r\n\r\nbody: x\r\n"]))
@example(["Subject:\r\n", " folded on\r\n", "\tand on\r\n"], "\r\n")
@example(["A: 1\n", "B: 2"], "")
@example([" leading fold\r\n", "A: 1\r\n"], "\r\n")
def test_the_fast_way_reads_every_block_as_the_email_package_does(block_lines, tail):
    raw = "".join(block_lines).encode("utf-8", "surrogateescape") + tail.encode()
    block = header_block(raw)
    assert header_fields(block) == parsed(block)


@given(st.lists(st.tuples(NAMES, TEXT, st.lists(TEXT, max_size=2)), min_size=1, max_size=10), ENDS)
def test_plain_blocks_take_the_fast_way(fields, end):
    raw = "".join(f"{name}: {value}{end}" + "".join(f" {more}{end}" for more in folded)
                  for name, value, folded in fields).encode() + end.encode() + b"body"
    block = header_block(raw)
    assert _plain_fields(block) is not None
    assert _plain_fields(block) == parsed(block)


def test_values_are_found_by_name_whatever_its_case():
    raw = (b"Received: from a by mail.lrmuitine.lt; Mon, 2 Nov 2026 08:00:00 +0200\r\n"
           b"received: from b\r\n by c; Mon, 2 Nov 2026 07:59:00 +0200\r\n"
           b"Message-ID: <x@y>\r\n\r\nReceived: in the body\r\n")
    assert header_values(raw, "RECEIVED") == ["from a by mail.lrmuitine.lt; Mon, 2 Nov 2026 08:00:00 +0200",
                                              "from b\r\n by c; Mon, 2 Nov 2026 07:59:00 +0200"]
    assert header_values(raw, "message-id") == ["<x@y>"]
