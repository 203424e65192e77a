"""Documents that cost far more to read than their size suggests, made on the fly for the tests and the
benchmark: a page of two million drawing operators, a flate bomb, a 20000×20000 image (as a PNG and inside a
PDF) and a scan of many pages. Each is small on disk; the builders stream so that making one stays cheap."""
from __future__ import annotations

import io
import struct
import zlib

from tests.make_documents import FORM_LINES, scanned_pdf

A4 = (595, 842)


def pdf_with(content: bytes, *, xobjects: dict[str, bytes] | None = None, pages: int = 1) -> bytes:
    """A PDF of ``pages`` pages sharing one content stream (already encoded, with its dictionary keys),
    and image XObjects by name (each a complete stream object body)."""
    objects: list[bytes] = []
    kids = " ".join(f"{3 + i} 0 R" for i in range(pages))
    content_ref = 3 + pages
    names = list(xobjects or {})
    resources = "/Resources << /XObject << " + " ".join(f"/{n} {content_ref + 1 + i} 0 R"
                                                          for i, n in enumerate(names)) + " >> >>" if names else ""
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    for _ in range(pages):
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {A4[0]} {A4[1]}] "
                       f"/Contents {content_ref} 0 R {resources} >>".encode())
    objects.append(content)
    objects.extend((xobjects or {})[n] for n in names)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def stream(data: bytes, keys: str = "", *, compressed: bool = True) -> bytes:
    if compressed:
        data = zlib.compress(data, 9)
        keys += " /Filter /FlateDecode"
    return f"<< /Length {len(data)}{keys} >>\nstream\n".encode() + data + b"\nendstream"


def deflated(chunk: bytes, times: int) -> bytes:
    """zlib data of ``chunk`` repeated ``times`` times, made without compressing it ``times`` times: after a
    full flush deflate forgets what came before, so every repeat compresses to the same bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    checksum = 1
    for _ in range(times):
        checksum = zlib.adler32(chunk, checksum)
    final_empty_block = b"\x03\x00"
    return b"\x78\xda" + piece * times + final_empty_block + struct.pack(">I", checksum)


def operator_bomb_pdf(operators: int = 2_000_000) -> bytes:
    """One page whose small compressed content stream draws ``operators`` path operators (short lines)."""
    lines = [f"{x % 500} {y % 800} m {x % 500 + 3} {y % 800} l S\n".encode()
             for x, y in ((i * 7, i * 13) for i in range(1000))]
    block = b"".join(lines) * 50  # 3 operators per line
    data = deflated(block, max(1, operators // (3 * 50 * len(lines))))
    return pdf_with(f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode() + data + b"\nendstream")


def flate_bomb_pdf(expanded_bytes: int = 2 * 1024 ** 3) -> bytes:
    """One page whose content stream is a few MB of zlib data that inflates to ``expanded_bytes`` of blanks."""
    chunk = b" " * (1024 * 1024)
    data = deflated(chunk, expanded_bytes // len(chunk))
    return pdf_with(f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode() + data + b"\nendstream")


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def huge_png(side: int = 20_000) -> bytes:
    """A white greyscale PNG of side × side pixels: a few hundred KB that decode to side² bytes."""
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    rows = 100  # compressed a hundred rows at a time
    data = deflated((b"\x00" + b"\xff" * side) * rows, side // rows)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", data) + _png_chunk(b"IEND", b"")


def huge_image_pdf(side: int = 20_000) -> bytes:
    """A PDF page showing one white greyscale image of side × side pixels (a scan as its reader sees it)."""
    rows = 100
    data = deflated(b"\xff" * side * rows, side // rows)
    image = (f"<< /Type /XObject /Subtype /Image /Width {side} /Height {side} /ColorSpace /DeviceGray "
             f"/BitsPerComponent 8 /Length {len(data)} /Filter /FlateDecode >>\nstream\n").encode() \
        + data + b"\nendstream"
    content = stream(f"q {A4[0]} 0 0 {A4[1]} 0 0 cm /Im0 Do Q".encode(), compressed=False)
    return pdf_with(content, xobjects={"Im0": image})


def many_page_scan_pdf(pages: int = 20, *, lines: list[str] = FORM_LINES, dpi: int = 204) -> bytes:
    """A fax-like scan of ``pages`` pages (the same scanned ``lines`` on each), every page to be OCR'd."""
    import pypdfium2 as pdfium  # heavy: only when a scan is made

    single = pdfium.PdfDocument(scanned_pdf(lines, dpi=dpi))
    merged = pdfium.PdfDocument.new()
    for _ in range(pages):
        merged.import_pages(single)
    out = io.BytesIO()
    merged.save(out)
    return out.getvalue()
