"""The fonts our PDFs embed: DejaVu Sans, pre-subset and shipped in ``responders/fonts/``, with the full installed
font as the fallback for a character outside the subset.

Why shipped rather than cut from the installed font at first use: a document's bytes then depend only on its
data and this repository (not on the DejaVu version a machine has installed), no cache directory has to be
writable, and no process pays the ≈0.3 s of cutting it. The files are DejaVu Sans and DejaVu Sans Bold reduced
to ``COVERED`` (Latin, Latin-1, Latin Extended-A — Lithuanian and its neighbours — and the punctuation letters and
forms use), each with its metrics in a JSON file beside it; the DejaVu licence is ``responders/fonts/LICENSE``.
Rebuild them from the installed fonts with ``python -m responders.pdffonts``.

A ``Face`` is a font as the page writer needs it: glyph ids and advance widths by character, and the embedded
file. Faces are loaded once per process. The full font is read only when a document has a character outside
the subset, and only the glyphs that document uses are embedded from it (``subset_file``).
"""
from __future__ import annotations

import io
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Iterable

SHIPPED = Path(__file__).with_name("fonts")
SHIPPED_FILES = {"": "DejaVuSans-ITPC.ttf", "B": "DejaVuSans-Bold-ITPC.ttf"}   # by style
# The shipped subsets cut again to ``BASE``, shipped too: what nearly every document embeds, ready without a
# font parser or ≈0.25 s of cutting in the process that draws it.
BASE_FILES = {"": "DejaVuSans-ITPC-base.ttf", "B": "DejaVuSans-Bold-ITPC-base.ttf"}

# What the shipped subset covers. Anything else falls back to the full font, glyph by glyph.
COVERED = "".join(chr(c) for c in (*range(0x20, 0x7F), *range(0xA0, 0x180))) + (
    "‐‑‒–—―‘’‚‛“”„‟•…‰′″‹›€№™−")
# What a document's embedded fonts always hold, drawn or not (printable ASCII, Lithuanian letters, the punctuation
# letters and forms use): a third of the shipped subset, so a Sutikimas is ≈22 KB instead of ≈37 KB; a document
# drawing more of the subset embeds a cut of its own (``embedded_file``).
BASE = frozenset(chr(c) for c in range(0x20, 0x7F)) | frozenset("ĄČĘĖĮŠŲŪŽąčęėįšųūž„“”‘’–—…№€§°«»×")
# Tables a page writer that neither shapes text nor kerns it does not need: the layout tables, and the bitmap,
# colour and timestamp tables fpdf2 drops for the same reason.
UNUSED_TABLES = ("FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "sbix", "CBDT", "CBLC", "EBDT", "EBLC",
                 "EBSC", "SVG ", "CPAL", "COLR", "kern")
MEASURED_MAX = 20_000  # texts whose widths a face keeps (``Face.width``)


@dataclass(frozen=True, eq=False)
class Face:
    """One font: ``glyph`` maps a character's code point to its glyph id, ``advance`` a glyph id to its width in
    font units; ``data`` is the TrueType file (the whole shipped subset, or the full font to cut from)."""
    name: str                     # PostScript name, "DejaVuSans"
    data: bytes
    units_per_em: int
    glyph: dict[int, int]
    advance: tuple[int, ...]
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    cap_height: int
    italic_angle: float

    @cached_property
    def chars(self) -> frozenset[str]:
        return frozenset(map(chr, self.glyph))

    def covers(self, char: str) -> bool:
        return ord(char) in self.glyph

    @cached_property
    def _measured(self) -> dict[str, int]:
        return {}

    def width(self, text: str, size: float) -> float:
        """``text``'s width at ``size`` (in the unit ``size`` is in); a character the face lacks counts as .notdef."""
        # A document measures the same labels and words many times (wrapping, justifying, placing), and
        # documents repeat them: widths in font units are kept, bounded for a process that runs for months.
        units = self._measured.get(text)
        if units is None:
            if len(self._measured) >= MEASURED_MAX:
                self._measured.clear()
            units = self._measured[text] = sum(map(self._advance_of.__getitem__, text))
        return units * size / self.units_per_em

    # Per character, for the texts not measured or shown before (a document's own data): a character the face
    # lacks is .notdef's (glyph 0).
    @cached_property
    def _advance_of(self) -> _OrNotdef:
        return _OrNotdef({chr(code): self.advance[gid] for code, gid in self.glyph.items()}, self.advance[0])

    @cached_property
    def _hex_of(self) -> _OrNotdef:
        return _OrNotdef({code: f"{gid:04X}" for code, gid in self.glyph.items()}, "0000")

    @cached_property
    def _shown(self) -> dict[str, str]:
        return {}

    def glyph_hex(self, text: str) -> str:
        """``text``'s glyph ids as a PDF hex string's digits (four a glyph; .notdef for a character it lacks),
        kept like widths: a document writes the same labels and words again and again."""
        digits = self._shown.get(text)
        if digits is None:
            if len(self._shown) >= MEASURED_MAX:
                self._shown.clear()
            digits = self._shown[text] = text.translate(self._hex_of)
        return digits

    def to_unicode(self) -> dict[int, str]:
        """Glyph id → the character it shows (the lowest code point when several share a glyph)."""
        shown: dict[int, str] = {}
        for code in sorted(self.glyph, reverse=True):
            shown[self.glyph[code]] = chr(code)
        return shown


class _OrNotdef(dict):
    """A table by character (or code point, as ``str.translate`` asks) whose missing keys give .notdef's entry."""

    def __init__(self, entries: dict, notdef: object):
        super().__init__(entries)
        self.notdef = notdef

    def __missing__(self, key: object) -> object:
        return self.notdef


def load_face(data: bytes) -> Face:
    """The metrics of the TrueType file ``data``."""
    from fontTools.ttLib import TTFont  # heavy (≈30 ms): only a process that draws a document loads it

    font = TTFont(io.BytesIO(data), recalcTimestamp=False)
    order = font.getGlyphOrder()
    index = {name: gid for gid, name in enumerate(order)}
    metrics = font["hmtx"].metrics
    head, hhea, os2 = font["head"], font["hhea"], font["OS/2"]
    return Face(name=font["name"].getDebugName(6) or "DejaVuSans", data=data, units_per_em=head.unitsPerEm,
                glyph={code: index[name] for code, name in font.getBestCmap().items()},
                advance=tuple(metrics[name][0] for name in order),
                bbox=(head.xMin, head.yMin, head.xMax, head.yMax), ascent=hhea.ascent, descent=hhea.descent,
                cap_height=getattr(os2, "sCapHeight", hhea.ascent), italic_angle=float(font["post"].italicAngle))


@lru_cache(maxsize=None)
def shipped_face(style: str) -> Face:
    """The shipped subset of DejaVu Sans (``style`` "" or "B"), loaded once per process: its metrics from the
    JSON file cut with it, so a process that draws one document does not import and run a font parser."""
    font = SHIPPED / SHIPPED_FILES[style]
    metrics = json.loads(font.with_suffix(".json").read_text(encoding="utf-8"))
    return Face(name=metrics["name"], data=font.read_bytes(), units_per_em=metrics["units_per_em"],
                glyph={int(code): gid for code, gid in metrics["glyph"].items()}, advance=tuple(metrics["advance"]),
                bbox=tuple(metrics["bbox"]), ascent=metrics["ascent"], descent=metrics["descent"],
                cap_height=metrics["cap_height"], italic_angle=metrics["italic_angle"])


def metrics_of(face: Face) -> dict:
    """What ``shipped_face`` reads back: every field of ``face`` but its file."""
    return {"name": face.name, "units_per_em": face.units_per_em, "glyph": {str(c): g for c, g in face.glyph.items()},
            "advance": list(face.advance), "bbox": list(face.bbox), "ascent": face.ascent, "descent": face.descent,
            "cap_height": face.cap_height, "italic_angle": face.italic_angle}


def base_glyphs(face: Face, extra: Iterable[str] = ()) -> list[int]:
    """The glyph ids of ``BASE`` and ``extra`` that ``face`` has, and .notdef's."""
    return sorted({0, *(face.glyph[ord(c)] for c in BASE.union(extra) if face.covers(c))})


@lru_cache(maxsize=64)   # nearly every document draws only characters of BASE: the shipped cut serves them all
def embedded_file(style: str, extra: frozenset[str] = frozenset()) -> tuple[bytes, list[int]]:
    """The font file a document embeds for the shipped subset of ``style`` and the glyph ids it holds: cut to
    ``BASE`` and the document's ``extra`` characters, glyph ids kept."""
    face = shipped_face(style)
    glyphs = base_glyphs(face, extra)
    if glyphs == base_glyphs(face):
        return (SHIPPED / BASE_FILES[style]).read_bytes(), glyphs
    return subset_file(face.data, glyphs), glyphs


@lru_cache(maxsize=None)
def full_face(path: Path) -> Face:
    """The installed font at ``path``, loaded once per process (only for a character outside the subset)."""
    return load_face(Path(path).read_bytes())


def subset_file(data: bytes, glyphs: Iterable[int] = (), text: str = "", *, keep_ids: bool = True) -> bytes:
    """A TrueType file with only ``glyphs`` (ids) and the glyphs of ``text`` from the font ``data``. With
    ``keep_ids`` every glyph keeps its id (the others are emptied), so a page drawn with the full font's ids shows
    the same glyphs from the subset."""
    from fontTools import subset  # see load_face
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.retain_gids = keep_ids
    options.notdef_outline = True
    options.recommended_glyphs = True
    options.drop_tables += list(UNUSED_TABLES)
    options.layout_features = []
    options.hinting = False  # PDF viewers and printers rasterise without the TrueType hints; half the size
    font = TTFont(io.BytesIO(data), recalcTimestamp=False)
    cutter = subset.Subsetter(options)
    cutter.populate(gids=sorted(set(glyphs)), text=text)
    cutter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def build_shipped(source_dir: Path, target_dir: Path = SHIPPED) -> list[Path]:
    """Cut the shipped subsets from the DejaVu Sans files in ``source_dir`` (written atomically)."""
    written = []
    for style, shipped in SHIPPED_FILES.items():
        source = Path(source_dir) / ("DejaVuSans-Bold.ttf" if style == "B" else "DejaVuSans.ttf")
        data = subset_file(source.read_bytes(), text=COVERED, keep_ids=False)
        target = Path(target_dir) / shipped
        metrics = json.dumps(metrics_of(load_face(data)), sort_keys=True).encode("utf-8")
        for path, content in ((target, data), (target.with_suffix(".json"), metrics)):
            _write_atomically(path, content)
            written.append(path)
    return written + build_base(target_dir)


def build_base(target_dir: Path = SHIPPED) -> list[Path]:
    """Cut the shipped subsets in ``target_dir`` again to ``BASE`` (``BASE_FILES``; written atomically)."""
    written = []
    for style, shipped in SHIPPED_FILES.items():
        data = (Path(target_dir) / shipped).read_bytes()
        target = Path(target_dir) / BASE_FILES[style]
        _write_atomically(target, subset_file(data, base_glyphs(load_face(data))))
        written.append(target)
    return written


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.chmod(temporary, 0o644)  # shipped with the code: readable by whoever runs it
    os.replace(temporary, path)


if __name__ == "__main__":
    for made in build_shipped(Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/truetype/dejavu")):
        print(f"{made} ({made.stat().st_size} bytes)")
