"""PDF documents of text and rules on A4 pages, written directly: the drawing calls of a form (cells, wrapped
text, lines; positions in millimetres from the top left, as fpdf2 counts them) and the bytes of the file.

Why not fpdf2: it parses the 6,000-glyph TrueType font and cuts a subset of it for every document (≈0.1 s of a
0.1 s document). Here the fonts are the shipped subsets of ``responders.pdffonts``, embedded cut to the
characters of ``BASE`` (ASCII, Lithuanian, the usual punctuation) and any other the document draws, so their PDF
objects are the same in nearly every document and are cut and serialised once per process; a document adds its
page content and its metadata (≈0.3 ms, half of it compressing the page). A character outside the subset is drawn from the
full installed font, and only that document embeds the glyphs it took from it.

Output is deterministic: the same drawing calls and metadata give the same bytes. That is what lets a process
keep the operators of a drawing call and replay them (``Sheet.kept``): a form's fixed wording is drawn once.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Callable, Sequence

from responders.pdffonts import BASE, Face, embedded_file, shipped_face, subset_file

MM = 72 / 25.4                  # points per millimetre
A4 = (210.0, 297.0)             # millimetres
CELL_MARGIN = 1.0               # text inside a cell keeps this far from its left and right edges (fpdf2's default)
LINE_WIDTH = 0.2                # rules, in millimetres (fpdf2's default)
STYLES = ("", "B")              # regular, bold
FIXED_OBJECTS = 2 + 5 * len(STYLES)   # catalog, pages, and five objects per shipped font
DRAWN_MAX = 2048                # drawing calls whose operators are kept (``Sheet.kept``): a form's fixed
                                # wording is a few dozen, a document's own data a dozen more (cleared at the bound)

_DRAWN: dict[tuple, tuple[tuple[str, ...], float, float, str, float]] = {}


def forget() -> None:
    """Drop every drawing kept (a test compares a document drawn afresh with one replayed)."""
    _DRAWN.clear()
    _shipped_objects.cache_clear()
    embedded_file.cache_clear()
    _shown.cache_clear()
    _shipped_width.cache_clear()
    _n.cache_clear()


@dataclass
class _Page:
    content: list[str] = field(default_factory=list)


class Sheet:
    """A document being drawn: a cursor (``x``, ``y`` in mm), a current font, and the pages drawn so far.
    ``fallback(style)`` gives the full font for a character the shipped subset lacks (loaded only then)."""

    def __init__(self, *, left: float, top: float, right: float, bottom: float,
                 fallback: Callable[[str], Face]):
        self.l_margin, self.t_margin, self.r_margin, self.b_margin = left, top, right, bottom
        self.width, self.height = A4
        self.epw = self.width - left - right
        self.x, self.y = left, top
        self._fallback = fallback
        self._style, self._size = "", 11.0
        self._pages: list[_Page] = []
        self._fallback_glyphs: dict[str, set[int]] = {}
        self._chars: set[str] = set()   # what the shipped faces draw: their embedded subsets hold these glyphs
        self.add_page()

    # -- the cursor ---------------------------------------------------------------------------------------
    def add_page(self) -> None:
        self._pages.append(_Page())
        self.y = self.t_margin

    def set_xy(self, x: float, y: float) -> None:
        self.x, self.y = x, y

    def set_y(self, y: float) -> None:
        self.x, self.y = self.l_margin, y

    def get_y(self) -> float:
        return self.y

    def ln(self, h: float) -> None:
        self.x, self.y = self.l_margin, self.y + h

    def set_font(self, style: str, size: float) -> None:
        self._style, self._size = style, size

    # -- drawing ----------------------------------------------------------------------------------------------
    def string_width(self, text: str) -> float:
        """``text``'s width in mm in the current font (fallback glyphs counted at their own width)."""
        width = _shipped_width(self._style, self._size, text)
        if width is not None:
            return width
        return sum(face.width(part, self._size) for face, part, _ in self._runs(text)) / MM

    def cell(self, w: float, h: float, text: str = "", *, align: str = "L", newline: bool = False) -> None:
        """A box ``w`` × ``h`` at the cursor with ``text`` on one line; the cursor moves right, or to the next
        line at the left margin. A cell that would cross the bottom margin starts a new page."""
        self.kept(("cell", w, h, text, align, newline), text, self._cell, w, h, text, align, newline)

    def multi_cell(self, w: float, h: float, text: str, *, align: str = "J", newline: bool = True) -> None:
        """``text`` wrapped at spaces to lines of width ``w``, one ``h`` high each, from the cursor down; then the
        cursor is at the left margin (``newline``) or right of the block, below its last line. Justified ("J",
        as fpdf2 does by default) but for a paragraph's last line."""
        self.kept(("multi_cell", w, h, text, align, newline), text, self._multi_cell, w, h, text, align, newline)

    def kept(self, call: tuple, text: str, draw: Callable[..., None], *args: object) -> None:
        """``draw(*args)``, or what it drew the last time from the same cursor, font and margins: ``call`` names
        it and all else it depends on, ``text`` is all the text it shows. It must draw on the sheet only (cells,
        lines, fonts, the cursor), so that replaying its operators and leaving the cursor and font where it left
        them is the same."""
        # Most of a form is its fixed wording at the same places in every document: drawn once a process, then
        # replayed. Kept only when it stayed on its page and its text is all in the shipped subset (what the
        # fallback font would draw depends on the fallback); bounded like the faces' widths.
        call = (call, self.x, self.y, self._style, self._size, self.l_margin, self.height - self.b_margin)
        drawn = _DRAWN.get(call)
        if drawn is not None:
            operators, self.x, self.y, self._style, self._size = drawn
            self._pages[-1].content.extend(operators)
            self._chars.update(text)
            return
        pages, start = len(self._pages), len(self._pages[-1].content)
        draw(*args)
        if len(self._pages) == pages and _everywhere().issuperset(text):
            if len(_DRAWN) >= DRAWN_MAX:
                _DRAWN.clear()
            _DRAWN[call] = (tuple(self._pages[-1].content[start:]), self.x, self.y, self._style, self._size)

    def _cell(self, w: float, h: float, text: str, align: str, newline: bool) -> None:
        if self.y + h > self.height - self.b_margin:
            self.add_page()
        if text:
            tw = self.string_width(text)
            x = {"C": self.x + (w - tw) / 2, "R": self.x + w - CELL_MARGIN - tw}.get(align, self.x + CELL_MARGIN)
            self._text(x, self.y + 0.5 * h + 0.3 * self._size / MM, text)
        if newline:
            self.x, self.y = self.l_margin, self.y + h
        else:
            self.x += w

    def _multi_cell(self, w: float, h: float, text: str, align: str, newline: bool) -> None:
        x = self.x
        for line, last in self.wrap(text, w - 2 * CELL_MARGIN):
            self.x = x
            if align == "J" and not last and " " in line:
                self._justified(w, h, line.split(" "))
            else:
                self.cell(w, h, line, align="L" if align == "J" else align)
            self.y += h
        self.x = self.l_margin if newline else x + w

    def _justified(self, w: float, h: float, words: list[str]) -> None:
        """One line of ``words`` spread over the cell's width: each word placed, the gaps shared out evenly."""
        if self.y + h > self.height - self.b_margin:
            self.add_page()
        widths = [self.string_width(word) for word in words]
        gap = (w - 2 * CELL_MARGIN - sum(widths)) / (len(words) - 1)
        at, baseline = self.x + CELL_MARGIN, self.y + 0.5 * h + 0.3 * self._size / MM
        for word, width in zip(words, widths):
            self._text(at, baseline, word)
            at += width + gap

    def wrap(self, text: str, width: float) -> list[tuple[str, bool]]:
        """Lines of at most ``width`` mm, broken at spaces (a word longer than a line is broken where it must),
        each with whether it ends its paragraph."""
        lines: list[tuple[str, bool]] = []
        space = self.string_width(" ")
        for paragraph in text.split("\n"):
            line, used = "", 0.0
            for word in paragraph.split():
                wide = self.string_width(word)
                if not line or used + space + wide > width:
                    if line:
                        lines.append((line, False))
                    line, used = word, wide
                    while used > width and len(line) > 1:
                        cut = next(i for i in range(len(line) - 1, 0, -1) if self.string_width(line[:i]) <= width
                                   or i == 1)
                        lines.append((line[:cut], False))
                        line = line[cut:]
                        used = self.string_width(line)
                else:
                    line, used = f"{line} {word}", used + space + wide
            lines.append((line, True))
        return lines

    def line(self, x1: float, y1: float, x2: float, y2: float) -> None:
        self._pages[-1].content.append(f"{_n(x1 * MM)} {_n((self.height - y1) * MM)} m "
                                       f"{_n(x2 * MM)} {_n((self.height - y2) * MM)} l S")

    def _text(self, x: float, baseline: float, text: str) -> None:
        shipped = shipped_face(self._style)
        self._chars.update(text)
        if shipped.chars.issuperset(text):   # one run: the operator ``_runs`` would give, kept
            self._pages[-1].content.append(_shown(self._style, self._size, x * MM, (self.height - baseline) * MM,
                                                  text))
            return
        parts, at = [], x * MM
        for face, part, key in self._runs(text):
            if key.startswith("X"):
                self._fallback_glyphs.setdefault(self._style, set()).update(face.glyph.get(ord(c), 0) for c in part)
            parts.append(f"BT /{key} {_n(self._size)} Tf {_n(at)} {_n((self.height - baseline) * MM)} Td "
                         f"<{face.glyph_hex(part)}> Tj ET")
            at += face.width(part, self._size)
        self._pages[-1].content.extend(parts)

    def _runs(self, text: str) -> list[tuple[Face, str, str]]:
        """``text`` cut where it moves between the shipped subset and the full font: (face, text, resource)."""
        shipped = shipped_face(self._style)
        if shipped.chars.issuperset(text):
            return [(shipped, text, f"F{STYLES.index(self._style) + 1}")]
        runs: list[tuple[Face, str, str]] = []
        for char in text:
            if shipped.covers(char):
                face, key = shipped, f"F{STYLES.index(self._style) + 1}"
            else:
                face, key = self._fallback(self._style), f"X{STYLES.index(self._style) + 1}"
                if not face.covers(char):
                    face, key = shipped, f"F{STYLES.index(self._style) + 1}"   # .notdef: no font has it
            if runs and runs[-1][2] == key:
                runs[-1] = (face, runs[-1][1] + char, key)
            else:
                runs.append((face, char, key))
        return runs

    # -- the file ---------------------------------------------------------------------------------------------
    def output(self, *, title: str, author: str, subject: str, created: datetime) -> bytes:
        """The document as PDF bytes; ``created`` (aware) is its creation date, the only moment it records."""
        objects, written = _shipped_objects(frozenset(self._chars) - BASE)
        objects = list(objects)
        fonts = {f"F{i + 1}": 3 + 5 * i for i in range(len(STYLES))}
        for style, glyphs in sorted(self._fallback_glyphs.items()):
            key = f"X{STYLES.index(style) + 1}"
            fonts[key] = len(objects) + 1
            face = self._fallback(style)
            objects += _font_objects(face, fonts[key], "ITPCX" + "AB"[STYLES.index(style)],
                                     subset_file(face.data, glyphs), sorted(glyphs | {0}))
        resources = "<< /Font << " + " ".join(f"/{k} {n} 0 R" for k, n in sorted(fonts.items())) + " >> >>"
        kids = []
        for page in self._pages:
            stream = "0 g 0 G " + f"{_n(LINE_WIDTH * MM)} w\n" + "\n".join(page.content)
            kids.append(len(objects) + 1)
            objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_n(self.width * MM)} "
                           f"{_n(self.height * MM)}] /Resources {resources} /Contents {len(objects) + 2} 0 R >>"
                           .encode())
            objects.append(_stream(stream.encode("ascii")))
        objects[1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>".encode()
        when = created.astimezone(timezone.utc).strftime("D:%Y%m%d%H%M%SZ")
        objects.append(f"<< /Title {_string(title)} /Author {_string(author)} /Subject {_string(subject)} "
                       f"/Creator (itpc) /Producer (itpc) /CreationDate ({when}) >>".encode())
        return _file(objects, info=len(objects), written=written)


# ------------------------------------------------------------------------------------------------ the file


@lru_cache(maxsize=64)   # nearly every document draws only characters of BASE: one entry serves them all
def _shipped_objects(extra: frozenset[str]) -> tuple[tuple[bytes, ...], dict[int, bytes]]:
    """Catalog, a placeholder for the page tree, and the shipped fonts' objects, each font cut to the glyphs of
    ``BASE`` and ``extra`` (a document's own characters beyond it); and those objects as the file holds them, by
    number (not the page tree, whose kids vary). The same for every document drawing the same characters."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    for i, style in enumerate(STYLES):
        data, glyphs = embedded_file(style, extra)
        objects += _font_objects(shipped_face(style), 3 + 5 * i, "ITPCA" + "AB"[i], data, glyphs)
    assert len(objects) == FIXED_OBJECTS
    written = {number: _object(number, body) for number, body in enumerate(objects, start=1) if body}
    return tuple(objects), written


@lru_cache(maxsize=1)
def _everywhere() -> frozenset[str]:
    """The characters every shipped style has (a kept drawing may change the style)."""
    return frozenset.intersection(*(shipped_face(style).chars for style in STYLES))



def _font_objects(face: Face, first: int, tag: str, data: bytes, glyphs: Sequence[int]) -> list[bytes]:
    """A Type 0 font over ``face`` (glyph ids as 2-byte codes, Identity-H) with the TrueType file ``data``:
    the font, its CID font, descriptor, file and ToUnicode map (objects ``first`` … ``first + 4``); ``tag`` is
    six capital letters."""
    scale = 1000 / face.units_per_em
    name = f"{tag}+{face.name}"   # six capital letters and "+": the PDF mark of a subset font
    widths = _widths([(g, round(face.advance[g] * scale)) for g in glyphs])
    x0, y0, x1, y1 = (round(v * scale) for v in face.bbox)
    shown = face.to_unicode()
    mapped = [(g, shown[g]) for g in glyphs if g in shown]
    cmap_lines = []
    for start in range(0, len(mapped), 100):
        block = mapped[start:start + 100]
        cmap_lines.append(f"{len(block)} beginbfchar")
        cmap_lines += [f"<{g:04X}> <{c.encode('utf-16-be').hex().upper()}>" for g, c in block]
        cmap_lines.append("endbfchar")
    cmap = ("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\n"
            "endcodespacerange\n" + "\n".join(cmap_lines) + "\nendcmap\n"
            "CMapName currentdict /CMap defineresource pop\nend\nend")
    return [
        f"<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H "
        f"/DescendantFonts [{first + 1} 0 R] /ToUnicode {first + 4} 0 R >>".encode(),
        f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name} "
        f"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        f"/FontDescriptor {first + 2} 0 R /CIDToGIDMap /Identity /DW {round(face.advance[0] * scale)} "
        f"/W [{widths}] >>".encode(),
        f"<< /Type /FontDescriptor /FontName /{name} /Flags 32 /FontBBox [{x0} {y0} {x1} {y1}] "
        f"/ItalicAngle {_n(face.italic_angle)} /Ascent {round(face.ascent * scale)} "
        f"/Descent {round(face.descent * scale)} /CapHeight {round(face.cap_height * scale)} /StemV 80 "
        f"/FontFile2 {first + 3} 0 R >>".encode(),
        _stream(data, f"/Length1 {len(data)}"),
        _stream(cmap.encode("ascii")),
    ]


def _widths(widths: Sequence[tuple[int, int]]) -> str:
    """The /W array: each run of consecutive glyph ids as ``first [w1 w2 …]``."""
    runs: list[tuple[int, list[int]]] = []
    for gid, width in widths:
        if runs and runs[-1][0] + len(runs[-1][1]) == gid:
            runs[-1][1].append(width)
        else:
            runs.append((gid, [width]))
    return " ".join(f"{first} [{' '.join(map(str, ws))}]" for first, ws in runs)


def _stream(data: bytes, extra: str = "") -> bytes:
    packed = zlib.compress(data, 6)
    head = f"<< /Length {len(packed)} /Filter /FlateDecode{' ' + extra if extra else ''} >>\nstream\n".encode()
    return head + packed + b"\nendstream"


def _file(objects: Sequence[bytes], *, info: int, written: dict[int, bytes] | None = None) -> bytes:
    """The file of ``objects`` (numbered from 1); ``written`` holds objects already as ``_object`` writes them."""
    out = [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"]
    offsets, size = [], len(out[0])
    written = written or {}
    for number, body in enumerate(objects, start=1):
        chunk = written.get(number) or _object(number, body)
        offsets.append(size)
        out.append(chunk)
        size += len(chunk)
    xref = [b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)]
    xref += [b"%010d 00000 n \n" % offset for offset in offsets]
    out += xref
    out.append(b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
               % (len(objects) + 1, info, size))
    return b"".join(out)


@lru_cache(maxsize=8192)   # wrapping and justifying measure each word, and most words are the form's own
def _shipped_width(style: str, size: float, text: str) -> float | None:
    """``text``'s width in mm when it is all in the shipped subset of ``style`` (the one run ``Sheet._runs``
    would give, measured alike), else None."""
    shipped = shipped_face(style)
    return shipped.width(text, size) / MM if shipped.chars.issuperset(text) else None


@lru_cache(maxsize=4096)   # the words of a justified line are placed one by one, the same in most documents
def _shown(style: str, size: float, at: float, rise: float, text: str) -> str:
    """The operator that shows ``text``, all in the shipped subset of ``style``, at (``at``, ``rise``) pt."""
    return (f"BT /F{STYLES.index(style) + 1} {_n(size)} Tf {_n(at)} {_n(rise)} Td "
            f"<{shipped_face(style).glyph_hex(text)}> Tj ET")


def _object(number: int, body: bytes) -> bytes:
    return b"%d 0 obj\n%s\nendobj\n" % (number, body)


@lru_cache(maxsize=4096)   # a form puts its text and rules at the same few positions in every document
def _n(value: float) -> str:
    """A number as PDF writes it: at most 2 decimals, no trailing zeros, never "-0"."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _string(text: str) -> str:
    """A PDF text string: literal when plain ASCII, else UTF-16 with its byte order mark."""
    if text.isascii() and text.isprintable():
        return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"
