"""Test documents made on the fly (nothing binary is committed): form PDFs with struck-through words, fax-like
scanned PDFs, DOCX files, encrypted PDFs, zip bombs, and e-mail messages that carry them."""
from __future__ import annotations

import io
import subprocess
import tempfile
import zipfile
from email.message import EmailMessage
from pathlib import Path

from fpdf import FPDF

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

# The lines of annex 1 of 1B-1029 as a trader fills it in (names and numbers invented for the tests).
FORM_LINES = [
    "UAB „Žalgirio sandėliai“, EORI LT123456789, tel. (8 5) 212 0000",
    "(asmens pavadinimas (vardas, pavardė) ir EORI kodas, telefono numeris)",
    "PRAŠYMAS TAIKYTI VEIKLOS TĘSTINUMO PROCEDŪRĄ",
    "Prašau sutikimo taikyti veiklos tęstinumo procedūrą MDAS ir (arba) NTKS",
    "(nereikalinga išbraukti)",
    "nuo 2026-12-14 09:00 iki 2026-12-14 17:00",
    "šiose muitinės įstaigose Vilniaus krovinių postas (LTVR1000)",
]


def _pdf() -> FPDF:
    pdf = FPDF(format="A4", unit="pt")
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=11)
    pdf.set_auto_page_break(False)
    return pdf


def form_pdf(lines: list[str] = FORM_LINES, *, strike: str | None = None, underline: str | None = None,
             annotate_strike: str | None = None, rect_strike: str | None = None, pages: int = 1,
             owner_password: str | None = None, user_password: str | None = None) -> bytes:
    """A text PDF with ``lines``; ``strike`` gets a line drawn through its middle (as a sender's pen would),
    ``rect_strike`` a thin filled bar instead (as some editors draw it), ``underline`` a line under it,
    ``annotate_strike`` a viewer's StrikeOut annotation."""
    pdf = _pdf()
    for page in range(pages):
        pdf.add_page()
        y = 60.0
        for text in lines if page == 0 else [f"Puslapis {page + 1}: priedas Nr. {page + 1}"]:
            pdf.text(50, y, text)
            for word, how in ((strike, "strike"), (underline, "under"), (annotate_strike, "annot"),
                              (rect_strike, "rect")):
                if word and word in text.split():
                    x0 = 50 + pdf.get_string_width(text[:text.index(word)])
                    x1 = x0 + pdf.get_string_width(word)
                    size = pdf.font_size  # in points (unit="pt")
                    if how == "strike":  # through the middle of the lower-case letters
                        pdf.set_line_width(1.1)
                        pdf.line(x0 - 1, y - 0.3 * size, x1 + 1, y - 0.3 * size)
                    elif how == "rect":
                        pdf.set_fill_color(0, 0, 0)
                        pdf.rect(x0, y - 0.35 * size, x1 - x0, 1.2, style="F")
                    elif how == "under":
                        pdf.set_line_width(0.8)
                        pdf.line(x0, y + 1.5, x1, y + 1.5)
                    else:
                        # QuadPoints are in PDF space, y growing upwards from the page's bottom
                        top, bottom = pdf.h - (y - size), pdf.h - (y + 0.25 * size)
                        pdf.add_text_markup_annotation("StrikeOut", "išbraukta",
                                                       [x0, top, x1, top, x0, bottom, x1, bottom])
            y += 22
    if owner_password or user_password:
        pdf.set_encryption(owner_password=owner_password or "owner", user_password=user_password)
    return bytes(pdf.output())


def _render(lines: list[str], dpi: int, fmt: str, folder: Path) -> Path:
    """``lines`` drawn on an A4 page and rendered by pdftoppm to a bitonal ``fmt`` ("png", "tiff") image."""
    text_pdf = _pdf()
    text_pdf.add_page()
    text_pdf.set_font("DejaVu", size=12)
    y = 60.0
    for line in lines:
        text_pdf.text(40, y, line)
        y += 24
    src = folder / "page.pdf"
    src.write_bytes(bytes(text_pdf.output()))
    subprocess.run(["pdftoppm", "-r", str(dpi), "-mono", f"-{fmt}", "-singlefile", str(src), str(folder / "scan")],
                   check=True, timeout=60)
    return folder / ("scan.tif" if fmt == "tiff" else "scan.png")


def scanned_pdf(lines: list[str] = FORM_LINES, *, dpi: int = 204) -> bytes:
    """A fax-like scan: the rendered page image placed alone on a page the size it was scanned at (no text
    layer), as a fax gateway's PDF is."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        png = _render(lines, dpi, "png", Path(tmp))
        with Image.open(png) as img:
            width_px, height_px = img.size
        scan = FPDF(unit="pt", format=(width_px * 72 / dpi, height_px * 72 / dpi))
        scan.set_auto_page_break(False)
        scan.add_page()
        scan.image(str(png), x=0, y=0, w=width_px * 72 / dpi, h=height_px * 72 / dpi)
        return bytes(scan.output())


def scanned_tiff(lines: list[str] = FORM_LINES, *, dpi: int = 200) -> bytes:
    """A fax as some gateways deliver it: one bitonal TIFF page."""
    with tempfile.TemporaryDirectory() as tmp:
        return _render(lines, dpi, "tiff", Path(tmp)).read_bytes()


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_bytes(body_xml: str) -> bytes:
    """A minimal DOCX package around ``body_xml`` (the children of <w:body>)."""
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<w:document xmlns:w="{W_NS}"><w:body>{body_xml}<w:sectPr/></w:body></w:document>')
    content_types = ('<?xml version="1.0" encoding="UTF-8"?>'
                     '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                     '<Default Extension="rels" '
                     'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                     '<Default Extension="xml" ContentType="application/xml"/>'
                     '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                     'officedocument.wordprocessingml.document.main+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="word/document.xml"/></Relationships>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", content_types)
        zf.writestr("_rels/.rels", rels)
        zf.writestr("word/document.xml", document.encode("utf-8"))
    return out.getvalue()


def paragraph(*runs: str) -> str:
    return f"<w:p>{''.join(runs)}</w:p>"


def run(text: str, *, struck: bool = False) -> str:
    """One run of text; ``struck`` marks it struck through, as Word's strikethrough button does."""
    props = "<w:rPr><w:strike/></w:rPr>" if struck else ""
    return f'<w:r>{props}<w:t xml:space="preserve">{text}</w:t></w:r>'


def table(rows: list[list[str]]) -> str:
    cells = "".join("<w:tr>" + "".join(f"<w:tc>{paragraph(run(c))}</w:tc>" for c in row) + "</w:tr>"
                    for row in rows)
    return f"<w:tbl>{cells}</w:tbl>"


def zip_bomb_docx(expanded_bytes: int = 24 * 1024 * 1024) -> bytes:
    """A DOCX whose document.xml expands from a few kilobytes to ``expanded_bytes`` (all spaces)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b" " * expanded_bytes)
    return out.getvalue()


def message(*, body: str = "Laba diena,\n\nprašymas pridedamas.\n", subject: str = "Prašymas",
            sender: str = "Jonas Jonaitis <jonas@example.lt>", attachments: list[tuple[str, str, bytes]] = (),
            headers: dict[str, str] | None = None) -> bytes:
    """An e-mail message as a mail client would send it; ``attachments`` are (filename, mime type, bytes)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "ITPC@lrmuitine.lt"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 14 Dec 2026 08:30:00 +0200"
    msg["Message-ID"] = "<test.1@example.lt>"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for filename, ctype, data in attachments:
        main, sub = ctype.split("/", 1)
        msg.add_attachment(data, maintype=main, subtype=sub, filename=filename)
    return msg.as_bytes()

