"""ingest.field_text: `clean` line by line, `fix_ocr_digits` token by token, whatever the text."""
from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from ingest.field_text import clean, fix_ocr_digits

BLANKS = " \u00a0\u2000\u200b\u202f\u205f\u3000\t"
texts = st.text(alphabet=st.sampled_from(BLANKS + "\n\r\f\u00adab:.|OoIl0123456789@_Ą"), max_size=80)


def reference_clean(text: str) -> str:
    """Each line on its own: column gaps to one tab, other blank runs to one space, ends stripped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\u00ad", "")
    lines = []
    for line in text.split("\n"):
        line = re.sub(r"[ \u00a0]*\t[ \t\u00a0]*| {3,}", "\t", line)
        line = re.sub(r"[ \u00a0\u2000-\u200b\u202f\u205f\u3000]+", " ", line)
        lines.append(line.strip(" \t"))
    return "\n".join(lines)


def reference_ocr(text: str) -> str:
    """Every number-like token looked at: repaired when half its characters are digits, or a clock time."""
    def repair(m: re.Match[str]) -> str:
        token = m.group(0)
        chars = [c for c in token if c not in ":."]
        digits = sum(c.isdigit() for c in chars)
        if 0 < digits < len(chars) and (digits * 2 >= len(chars) or re.fullmatch(r"[0-9OoIl|]{1,2}[:.][0-9OoIl|]{2}",
                                                                                   token)):
            return token.translate(str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"}))
        return token
    return re.sub(r"(?<![A-Za-z@_])[0-9OoIl|](?:[0-9OoIl|]|[:.](?=[0-9OoIl|]))+(?![A-Za-z@_])", repair, text)


@settings(max_examples=500)
@given(texts)
def test_clean_is_the_line_by_line_normalisation(text: str) -> None:
    assert clean(text) == reference_clean(text)


@settings(max_examples=500)
@given(texts)
def test_ocr_repair_is_the_token_by_token_repair(text: str) -> None:
    assert fix_ocr_digits(text) == reference_ocr(text)
    assert len(fix_ocr_digits(text)) == len(text)


def test_ocr_repair_mends_a_misread_year_and_time_and_leaves_words() -> None:
    assert fix_ocr_digits("2O26-11-02 O8:3O, tel. l45667788, Ola") == "2026-11-02 08:30, tel. 145667788, Ola"
