"""The PDF page writer and its fonts: the shipped subset is what its metrics say, text wraps within its width and
loses nothing, a long document goes on to a second page."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pdfplumber
import pytest
from hypothesis import given, settings, strategies as st

from responders import pdffonts
from responders.pdffonts import COVERED, SHIPPED, SHIPPED_FILES, load_face, metrics_of, shipped_face
from responders.pdfpage import Sheet
from responders.sutikimas import installed_face


def sheet() -> Sheet:
    return Sheet(left=25, top=20, right=20, bottom=20, fallback=installed_face)


def test_the_shipped_metrics_are_those_of_the_shipped_font_files():
    for style, name in SHIPPED_FILES.items():
        parsed = load_face((SHIPPED / name).read_bytes())
        assert metrics_of(shipped_face(style)) == metrics_of(parsed)
        assert all(parsed.covers(c) for c in COVERED)


@settings(max_examples=40, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("ąčęėįšųūž ĄČĘĖĮŠŲŪŽ abcdefghijklmnopWMŽ-.,„“Ж"), max_size=300),
       width=st.floats(min_value=5, max_value=160))
def test_wrapped_lines_fit_their_width_and_keep_every_word(text, width):
    page = sheet()
    page.set_font("", 11)
    lines = page.wrap(text, width)
    for line, _ in lines:
        assert page.string_width(line) <= width or len(line) == 1
    assert "".join(line for line, _ in lines).replace(" ", "") == "".join(text.split())
    assert lines[-1][1]


def test_text_past_the_bottom_margin_goes_on_to_a_new_page_and_reads_back():
    page = sheet()
    page.set_font("", 11)
    for i in range(60):
        page.multi_cell(page.epw, 6, f"Eilutė Nr. {i} – Šalčininkų kelio postas")
    pdf = page.output(title="t", author="ą", subject="s", created=datetime(2026, 1, 1, tzinfo=timezone.utc))
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) == 2        # 42 lines of 6 mm fit between the margins
        text = "\n".join(p.extract_text() for p in document.pages)
    assert all(f"Eilutė Nr. {i} – Šalčininkų kelio postas" in text for i in range(60))


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.text(alphabet=st.sampled_from("ąčęėįšųūž ĄČĘĖĮŠŲŪŽ abcWMŽ-.,„“Ж"), max_size=40),
                      max_size=12), size=st.floats(min_value=4, max_value=40))
def test_widths_and_glyphs_are_the_fonts_however_often_a_text_is_measured(monkeypatch_max, fresh_face, texts, size):
    face = fresh_face
    for text in texts * 2:  # the second round answers from what the face kept (cleared at the bound)
        units = sum(face.advance[face.glyph.get(ord(c), 0)] for c in text)
        assert face.width(text, size) == units * size / face.units_per_em
        assert face.glyph_hex(text) == "".join(f"{face.glyph.get(ord(c), 0):04X}" for c in text)
    assert len(face._measured) <= 3 and len(face._shown) <= 3


@pytest.fixture(scope="module")
def fresh_face():
    """A face of its own (the shipped ones are shared by every test of the process, their caches full)."""
    return load_face((SHIPPED / SHIPPED_FILES["B"]).read_bytes())


@pytest.fixture(scope="module")
def monkeypatch_max():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdffonts, "MEASURED_MAX", 3)
        yield
