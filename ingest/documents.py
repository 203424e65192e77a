"""The text of an attached document: PDF (text layer, struck-through words removed), scanned PDF or image
(OCR with tesseract), DOCX (paragraphs and table rows in document order) or plain text.

The request form (1B-1029, 1 priedas) says "MDAS ir (arba) NTKS (nereikalinga išbraukti)": the sender
strikes out what does not apply, so a struck word is not part of what the document says and is dropped,
in a PDF (a line drawn through the middle of the word, or a StrikeOut annotation) and in a DOCX (struck
runs). Documents come from strangers: encrypted, malformed and bomb-like ones raise ``DocumentError`` with
the reason, never anything else. ``extract_text`` reads each document in a child process with a time and a
memory limit (``ingest.sandbox``), and what is plainly too costly is refused before it is decoded or rendered:
PDF streams that inflate past a cap or draw more lines than a form ever has, images with more pixels than a
scan has, more scanned pages than the cap.
"""
from __future__ import annotations

import io
import os
import re
import subprocess
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from xml.etree import ElementTree

from config import errors
from config.sections import MailboxSettings
from ingest.htmltext import row_line
from ingest.mime import DOCX_TYPE, OLE_MAGIC, Attachment, decode_text
from ingest.sandbox import ChildLimits, LimitExceeded, run_limited

OCR_LANGUAGES = ("lit", "lit+eng", "eng")  # tried in turn while tesseract fails or reads nothing
OCR_TIMEOUT_SECONDS = 120                   # per page
OCR_MIN_DPI, OCR_MAX_DPI = 100, 600         # guard rails around "the scan's own resolution"
OCR_MAX_PIXELS = 60_000_000                 # a rendered page larger than this is rendered smaller
PDF_MAX_STREAM_BYTES = 32 * 1024 * 1024     # inflated size of one content, font or object stream
PDF_MAX_DRAWING_OPERATORS = 100_000         # path operators in the whole document; a form draws hundreds
MIN_SCAN_SIDE_PX = 300                      # smaller images are logos and icons, not scanned pages
ZIP_MAX_MEMBERS = 2000
ZIP_MAX_TOTAL_BYTES = 200 * 1024 * 1024     # declared uncompressed size of the whole package
ZIP_MAX_RATIO = 200                         # uncompressed/compressed, for members over ZIP_RATIO_FLOOR
ZIP_RATIO_FLOOR = 1024 * 1024
DOCX_MAX_XML_BYTES = 50 * 1024 * 1024


class DocumentError(errors.DocumentError):
    """A document that cannot or must not be read; ``reason`` says why, for the problem list."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class DocumentText:
    text: str
    source: str  # "pdf" | "ocr" | "docx" | "text"
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DocumentLimits:
    """What reading one document may cost ([mailbox] settings)."""
    seconds: float = 60.0
    memory_mb: int = 1024
    max_image_pixels: int = OCR_MAX_PIXELS
    max_scan_pages: int = 3

    @classmethod
    def of(cls, mailbox: MailboxSettings) -> "DocumentLimits":
        return cls(seconds=mailbox.document_seconds, memory_mb=mailbox.document_memory_mb,
                   max_image_pixels=mailbox.max_image_pixels, max_scan_pages=mailbox.max_scan_pages)

    @property
    def child(self) -> ChildLimits:
        return ChildLimits(seconds=self.seconds, memory_mb=self.memory_mb)


def is_document(att: Attachment) -> bool:
    """Whether ``extract_text`` reads this kind of attachment at all."""
    ctype = att.content_type
    return (ctype in ("application/pdf", DOCX_TYPE) or ctype.startswith("image/") or ctype == "text/plain"
            or (ctype == "application/x-ole-storage" and _claims_word(att)))


def extract_text(att: Attachment, *, max_pages: int = 20, limits: DocumentLimits = DocumentLimits()) -> DocumentText:
    """The text of one attachment. Raises ``DocumentError`` for what cannot or must not be read, a document
    that goes past ``limits`` included."""
    ctype = att.content_type
    if ctype == "application/x-ole-storage":
        raise DocumentError("an encrypted Office document or a legacy Word .doc file; it cannot be read "
                            "(please send PDF or DOCX)")
    if ctype == "text/plain":
        text, problem = decode_text(att.data, None, what=f"attachment {att.filename!r}")
        return DocumentText(text, "text", [problem] if problem else [])
    if ctype not in ("application/pdf", DOCX_TYPE) and not ctype.startswith("image/"):
        raise DocumentError(f"{ctype} is not a document type that is read")
    try:
        run = run_limited(read_document, ctype, att.data, max_pages, limits, limits=limits.child)
    except LimitExceeded as exc:
        raise DocumentError(exc.reason) from None
    text, source, problems = run.value
    return DocumentText(text, source, problems)


def read_document(ctype: str, data: bytes, max_pages: int, limits: DocumentLimits) -> tuple[str, str, list[str]]:
    """``extract_text``'s work, as plain data, for the child process (PDF, DOCX or image)."""
    if ctype == "application/pdf":
        doc = pdf_text(data, max_pages=max_pages, limits=limits)
    elif ctype == DOCX_TYPE:
        doc = docx_text(data)
    else:
        doc = image_text(data, limits=limits)
    return doc.text, doc.source, list(doc.problems)


def _claims_word(att: Attachment) -> bool:
    name = att.filename.lower()
    return name.endswith((".doc", ".docx")) or "word" in att.declared_type


# --- PDF ------------------------------------------------------------------------------------------------------

def pdf_text(data: bytes, *, max_pages: int = 20, limits: DocumentLimits = DocumentLimits()) -> DocumentText:
    """The text layer of a PDF line by line, struck words removed; pages without text are OCR'd."""
    import pdfplumber  # heavy: only when a PDF arrives

    check_pdf_streams(data)
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except MemoryError:
        raise
    except Exception as exc:
        raise DocumentError(_pdf_open_reason(exc)) from None
    try:
        return _pdf_pages_text(pdf, data, max_pages, limits)
    except (DocumentError, MemoryError):
        raise
    except Exception as exc:  # pdfminer raises anything on a damaged file; a damaged file is bad input
        raise DocumentError(f"malformed PDF: its content cannot be read ({type(exc).__name__})") from None


def _pdf_pages_text(pdf, data: bytes, max_pages: int, limits: DocumentLimits) -> DocumentText:
    problems: list[str] = []
    text_chars = ocr_chars = scans = 0
    pages_text: list[str] = []
    with pdf:
        try:
            pages = pdf.pages
            count = len(pages)
        except Exception as exc:
            raise DocumentError(f"malformed PDF: its pages cannot be read ({type(exc).__name__})") from None
        if count == 0:
            raise DocumentError("malformed PDF: no pages")
        if count > max_pages:
            problems.append(f"PDF has {count} pages; only the first {max_pages} were read")
        for number, page in enumerate(pages[:max_pages], start=1):
            try:
                words = page_words(page)
                images = list(page.images)
            except MemoryError:
                raise
            except Exception as exc:
                problems.append(f"PDF page {number} could not be read ({type(exc).__name__})")
                continue
            if words:
                lines = words_to_lines(words)
                pages_text.append(lines)
                text_chars += len(lines)
            elif images:
                scans += 1
                if scans > limits.max_scan_pages:
                    continue  # counted, and said once below
                refusal = _pixels_refusal(images, limits)
                if refusal:
                    problems.append(f"page {number}: {refusal}")
                    continue
                text, page_problems = _ocr_pdf_page(data, number - 1, scan_dpi(page, images))
                problems.extend(f"page {number}: {p}" for p in page_problems)
                pages_text.append(text)
                ocr_chars += len(text.strip())
    if scans > limits.max_scan_pages:
        problems.append(f"PDF has {scans} scanned pages; only the first {limits.max_scan_pages} were read by OCR")
    source = "ocr" if ocr_chars > text_chars else "pdf"
    return DocumentText("\n\n".join(t for t in pages_text if t.strip()), source, problems)


def _pixels_refusal(images: list[dict], limits: DocumentLimits) -> str:
    """Why a scanned page is not rendered: its images have more pixels than are decoded (else "")."""
    sizes = [tuple(int(n) for n in (im.get("srcsize") or (0, 0))) for im in images]
    pixels = sum(width * height for width, height in sizes)
    if pixels > limits.max_image_pixels:
        width, height = max(sizes, key=lambda size: size[0] * size[1])
        return (f"scanned page not read: its images have {pixels} pixels (the largest {width}×{height}), "
                f"more than the {limits.max_image_pixels} that are decoded")
    return ""


# A PDF stream starts after "stream" and an end of line; its dictionary is just before the keyword.
_STREAM = re.compile(rb"stream\r?\n")
_DRAWING_OPERATOR = re.compile(rb"(?<![^\s])(?:re|[mlcvyh])(?![^\s\[\]()<>{}/%])")


def check_pdf_streams(data: bytes) -> None:
    """Refuse a PDF whose streams inflate past ``PDF_MAX_STREAM_BYTES`` (a flate bomb) or draw more than
    ``PDF_MAX_DRAWING_OPERATORS`` path operators in all (a drawing bomb), before a reader expands them.

    Images are left to the pixel check before rendering, which reads their size from their dictionary."""
    operators = 0
    for match in _STREAM.finditer(data):
        head = data[max(0, match.start() - 1024):match.start()]
        head = head[head.rfind(b"obj") + 1:]
        if re.search(rb"/Subtype\s*/Image", head):
            continue
        end = data.find(b"endstream", match.end())
        body = data[match.end():end if end >= 0 else len(data)]
        if b"/FlateDecode" in head or b"/Fl " in head or b"/Fl]" in head:
            body = _bounded_inflate(body)
        operators += _count_drawing(body, PDF_MAX_DRAWING_OPERATORS - operators)
        if operators > PDF_MAX_DRAWING_OPERATORS:
            raise DocumentError(f"PDF draws more than {PDF_MAX_DRAWING_OPERATORS} lines and curves; "
                                "too costly to read")


def _bounded_inflate(body: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(body, PDF_MAX_STREAM_BYTES + 1)
    except zlib.error:
        return b""  # not what it claims to be: the reader will say so
    if len(out) > PDF_MAX_STREAM_BYTES:
        raise DocumentError(f"PDF stream inflates past {PDF_MAX_STREAM_BYTES // (1024 * 1024)} MiB "
                            "(a compression bomb)")
    return out


def _count_drawing(body: bytes, budget: int) -> int:
    count = 0
    for _ in _DRAWING_OPERATOR.finditer(body):
        count += 1
        if count > budget:
            break
    return count


def _pdf_open_reason(exc: BaseException) -> str:
    chain, seen = [], exc
    while seen is not None and len(chain) < 5:
        chain.append(f"{type(seen).__name__} {seen}")
        seen = seen.__cause__ or seen.__context__
    described = " ".join(chain).lower()
    if "password" in described or "encrypt" in described:
        return "encrypted PDF: it needs a password to be read"
    return f"malformed PDF: it cannot be opened ({type(exc).__name__})"


def page_words(page) -> list[dict]:
    """The upright words of a page that are not struck through, each a pdfplumber word dict."""
    words = [w for w in page.extract_words(keep_blank_chars=False, use_text_flow=False) if w.get("upright", True)]
    strikes = strike_segments(page)
    boxes = strikeout_boxes(page)
    return [w for w in words if not is_struck(w, strikes, boxes)]


def strike_segments(page) -> list[tuple[float, float, float]]:
    """Horizontal strokes on a page as (x0, x1, y): drawn lines and thin rectangles used as lines."""
    segments = []
    for line in page.lines:
        if abs(line["top"] - line["bottom"]) <= 1.5 and line["x1"] - line["x0"] > 2:
            segments.append((line["x0"], line["x1"], (line["top"] + line["bottom"]) / 2))
    for rect in page.rects:
        height = rect["bottom"] - rect["top"]
        width = rect["x1"] - rect["x0"]
        if height <= 2.5 and width > 3 * max(height, 0.1):
            segments.append((rect["x0"], rect["x1"], (rect["top"] + rect["bottom"]) / 2))
    return segments


def strikeout_boxes(page) -> list[tuple[float, float, float, float]]:
    """StrikeOut annotations (what a PDF viewer's strike-through tool makes) as (x0, top, x1, bottom)."""
    boxes = []
    for annot in page.annots or []:
        data = annot.get("data") or {}
        if "StrikeOut" not in str(data.get("Subtype", "")):
            continue
        quads = data.get("QuadPoints")
        try:  # the quadrilaterals are what is struck; Rect only bounds them (PDF space: y grows upwards)
            numbers = [float(v) for v in quads]
            page_top = float(page.mediabox[3])
            for i in range(0, len(numbers) - 7, 8):
                xs, ys = numbers[i:i + 8:2], numbers[i + 1:i + 8:2]
                boxes.append((min(xs), page_top - max(ys), max(xs), page_top - min(ys)))
        except (TypeError, ValueError, IndexError):
            boxes.append((annot["x0"], annot["top"], annot["x1"], annot["bottom"]))
    return boxes


def is_struck(word: dict, strikes, boxes) -> bool:
    """A stroke through the middle band of a word, across most of its width, strikes it.

    The band (a quarter to three quarters of the way down from the top of the glyph box) leaves out
    underlines, which sit at or below the baseline, and table rules above or below the line.
    """
    height = word["bottom"] - word["top"]
    width = max(word["x1"] - word["x0"], 0.1)
    low, high = word["top"] + 0.25 * height, word["top"] + 0.75 * height
    for x0, x1, y in strikes:
        if low <= y <= high and min(word["x1"], x1) - max(word["x0"], x0) >= 0.6 * width:
            return True
    cx, cy = (word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2
    return any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)


def words_to_lines(words: list[dict]) -> str:
    """Words in reading order: grouped into lines by their baseline, each line left to right."""
    if not words:
        return ""
    tolerance = max(2.0, 0.35 * median(w["bottom"] - w["top"] for w in words))
    lines: list[list[dict]] = []
    for word in sorted(words, key=lambda w: (w["bottom"], w["x0"])):
        if lines and abs(word["bottom"] - lines[-1][0]["bottom"]) <= tolerance:
            lines[-1].append(word)
        else:
            lines.append([word])
    return "\n".join(" ".join(w["text"] for w in sorted(line, key=lambda w: w["x0"])) for line in lines)


def scan_dpi(page, images: list[dict]) -> int:
    """The resolution a scanned page was made at: the image's pixel width over its width on the page."""
    best = max(images, key=lambda im: (im["x1"] - im["x0"]) * (im["bottom"] - im["top"]))
    pixels = (best.get("srcsize") or (0, 0))[0]
    inches = (best["x1"] - best["x0"]) / 72 or page.width / 72
    dpi = round(pixels / inches) if pixels and inches > 0 else 200
    return min(OCR_MAX_DPI, max(OCR_MIN_DPI, dpi))


def _ocr_pdf_page(data: bytes, index: int, dpi: int) -> tuple[str, list[str]]:
    import pypdfium2 as pdfium

    problems = []
    try:
        doc = pdfium.PdfDocument(data)
        try:
            page = doc[index]
            width, height = page.get_size()
            scale = dpi / 72
            if width * height * scale * scale > OCR_MAX_PIXELS:
                scale = (OCR_MAX_PIXELS / (width * height)) ** 0.5
                dpi = max(1, round(scale * 72))
                problems.append(f"scanned page too large; rendered at {dpi} dpi")
            image = page.render(scale=scale, grayscale=True).to_pil()
        finally:
            doc.close()
    except Exception as exc:
        return "", problems + [f"scanned page could not be rendered ({type(exc).__name__})"]
    with tempfile.TemporaryDirectory(prefix="itpc-ocr-") as tmp:
        path = Path(tmp) / "page.png"
        image.save(path, dpi=(dpi, dpi))
        text, ocr_problems = ocr_file(path, dpi)
    return text, problems + ocr_problems


def image_text(data: bytes, *, limits: DocumentLimits = DocumentLimits()) -> DocumentText:
    """OCR of an image attachment (a faxed or photographed page); icons and logos are passed over."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:  # reads the header only: nothing is decoded yet
            width, height = img.size
            frames = getattr(img, "n_frames", 1)
            dpi = img.info.get("dpi", (0, 0))[0]
            suffix = "." + (img.format or "png").lower()
    except Image.DecompressionBombError:
        raise DocumentError(f"image of more than {limits.max_image_pixels} pixels is too large to read") from None
    except Exception as exc:
        raise DocumentError(f"malformed image ({type(exc).__name__})") from None
    if width * height > limits.max_image_pixels:
        raise DocumentError(f"image of {width}×{height} pixels is too large to read "
                            f"(more than {limits.max_image_pixels} pixels)")
    if frames > limits.max_scan_pages:
        raise DocumentError(f"image of {frames} pages; more than {limits.max_scan_pages} scanned pages "
                            "are not read by OCR")
    if min(width, height) < MIN_SCAN_SIDE_PX:
        return DocumentText("", "ocr", [])
    with tempfile.TemporaryDirectory(prefix="itpc-ocr-") as tmp:
        path = Path(tmp) / f"scan{suffix}"
        path.write_bytes(data)
        text, problems = ocr_file(path, round(dpi) if dpi else None)
    return DocumentText(text, "ocr", problems)


def ocr_file(path: Path, dpi: int | None) -> tuple[str, list[str]]:
    """Run tesseract on one image file: Lithuanian first, then Lithuanian+English, then English."""
    problems: list[str] = []
    # One thread per tesseract: OpenMP threads only contend for the few cores a mail server has.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    for lang in OCR_LANGUAGES:
        cmd = ["tesseract", str(path), "stdout", "-l", lang]
        if dpi:
            cmd += ["--dpi", str(dpi)]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=OCR_TIMEOUT_SECONDS, env=env)
        except FileNotFoundError:
            return "", ["OCR unavailable: the tesseract command is not installed"]
        except subprocess.TimeoutExpired:
            return "", problems + [f"OCR timed out after {OCR_TIMEOUT_SECONDS} s"]
        text = done.stdout.decode("utf-8", "replace").replace("\f", "\n").strip()
        if done.returncode == 0 and text:
            if lang != OCR_LANGUAGES[0]:
                problems.append(f"OCR read the page with language {lang!r}")
            return text, problems
        if done.returncode != 0:
            problems.append(f"OCR with language {lang!r} failed: "
                            f"{done.stderr.decode('utf-8', 'replace').strip()[-200:]}")
    return "", problems + ["OCR found no text"]


# --- DOCX -----------------------------------------------------------------------------------------------------

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
_CHECKED = {"☒": "[X]", "☑": "[X]", "⊠": "[X]", "☐": "[ ]"}
_OFF = {"0", "false", "off"}
_PASS_THROUGH = {W + n for n in ("hyperlink", "ins", "smartTag", "sdt", "sdtContent", "customXml", "moveTo",
                                 "fldSimple", "dir", "bdo")}
_SKIP = {W + n for n in ("del", "moveFrom", "pPr", "rPr", "sdtPr", "sdtEndPr", "proofErr", "bookmarkStart",
                         "bookmarkEnd")}


def docx_text(data: bytes) -> DocumentText:
    """Paragraphs and table rows (``label: value``) of a DOCX in document order; struck runs left out."""
    if data.startswith(OLE_MAGIC):
        raise DocumentError("an encrypted Office document (OLE container), not a readable DOCX")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise DocumentError(f"malformed DOCX: not a readable zip ({exc})") from None
    with zf:
        members = zf.infolist()
        _check_zip(members)
        try:
            info = zf.getinfo("word/document.xml")
        except KeyError:
            raise DocumentError("malformed DOCX: no word/document.xml") from None
        try:
            with zf.open(info) as fh:
                xml = fh.read(DOCX_MAX_XML_BYTES + 1)
        except Exception as exc:
            raise DocumentError(f"malformed DOCX: word/document.xml cannot be read ({type(exc).__name__})") \
                from None
    if len(xml) > DOCX_MAX_XML_BYTES:
        raise DocumentError("DOCX bomb: word/document.xml expands past "
                            f"{DOCX_MAX_XML_BYTES // (1024 * 1024)} MiB")
    head = xml[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in xml.upper():
        raise DocumentError("malformed DOCX: the document declares a DTD or entities")
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise DocumentError(f"malformed DOCX: word/document.xml is not well-formed XML ({exc})") from None
    body = root.find(W + "body")
    if body is None:
        raise DocumentError("malformed DOCX: the document has no body")
    lines: list[str] = []
    _block_lines(body, lines)
    while lines and not lines[-1].strip():
        lines.pop()
    return DocumentText("\n".join(lines).strip("\n"), "docx", [])


def _check_zip(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > ZIP_MAX_MEMBERS:
        raise DocumentError(f"zip bomb: {len(members)} entries in one document")
    total = 0
    for info in members:
        if info.flag_bits & 0x1:
            raise DocumentError("encrypted DOCX: its parts are password-protected")
        total += info.file_size
        if info.file_size > ZIP_RATIO_FLOOR and info.file_size > ZIP_MAX_RATIO * max(info.compress_size, 1):
            raise DocumentError(f"zip bomb: {info.filename} expands {info.file_size // max(info.compress_size, 1)}"
                                f"-fold to {info.file_size} bytes")
    if total > ZIP_MAX_TOTAL_BYTES:
        raise DocumentError(f"zip bomb: the parts declare {total} bytes uncompressed")


def _block_lines(container, lines: list[str]) -> None:
    for child in container:
        if child.tag == W + "p":
            text = _paragraph_text(child)
            lines.extend(text.split("\n") if text.strip() else [""])
        elif child.tag == W + "tbl":
            for row in child.findall(W + "tr"):
                line = row_line([_cell_text(cell) for cell in row.findall(W + "tc")])
                if line:
                    lines.append(line)
        elif child.tag in (W + "sdt", W + "sdtContent", W + "customXml", W + "ins"):
            _block_lines(child, lines)


def _cell_text(cell) -> str:
    parts: list[str] = []
    _block_lines(cell, parts)
    return " ".join(" ".join(p.split()) for p in parts if p.strip())


def _paragraph_text(paragraph) -> str:
    out: list[str] = []
    _inline(paragraph, out)
    text = "".join(out)
    for mark, box in _CHECKED.items():
        text = text.replace(mark, box)
    return "\n".join(line.rstrip() for line in text.split("\n"))


def _inline(element, out: list[str]) -> None:
    for child in element:
        tag = child.tag
        if tag == W + "r":
            if not _run_struck(child):
                _run(child, out)
        elif tag in _SKIP:
            continue
        elif tag == W14 + "checkbox":
            continue
        else:  # hyperlinks, insertions, content controls, text boxes: their runs are text too
            _inline(child, out)


def _run(run, out: list[str]) -> None:
    for item in run:
        tag = item.tag
        if tag == W + "t":
            out.append(item.text or "")
        elif tag == W + "tab":
            out.append("\t")
        elif tag in (W + "br", W + "cr"):
            out.append("\n")
        elif tag == W + "noBreakHyphen":
            out.append("-")
        elif tag == W + "fldChar":  # a legacy form checkbox shows its state only in the field data
            box = item.find(f"{W}ffData/{W}checkBox")
            if box is not None:
                checked = box.find(W + "checked")
                default = box.find(W + "default")
                state = checked if checked is not None else default
                on = state is not None and state.get(W + "val", "1").lower() not in _OFF
                out.append("[X] " if on else "[ ] ")
        elif tag not in (W + "rPr", W + "instrText", W + "delText"):
            _inline(item, out)  # drawings with text boxes


def _run_struck(run) -> bool:
    props = run.find(W + "rPr")
    if props is None:
        return False
    for name in ("strike", "dstrike"):
        mark = props.find(W + name)
        if mark is not None and mark.get(W + "val", "true").lower() not in _OFF:
            return True
    return False
