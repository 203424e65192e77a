"""Attached documents to text: PDF text layer with struck words removed, OCR of scans, DOCX, plain text,
and clear refusals for encrypted, malformed and bomb-like documents."""
from __future__ import annotations

import io
import shutil

import pytest
from hypothesis import given, settings, strategies as st

from ingest.documents import DocumentError, extract_text, pdf_text, scan_dpi
from ingest.mime import DOCX_TYPE, OLE_MAGIC, Attachment, sniff_type
from tests.make_documents import (FORM_LINES, docx_bytes, form_pdf, paragraph, run, scanned_pdf, scanned_tiff, table,
                                  zip_bomb_docx)


def attachment(data: bytes, filename: str = "doc", declared: str = "application/octet-stream") -> Attachment:
    return Attachment(filename=filename, declared_type=declared, content_type=sniff_type(data, declared),
                      data=data, size=len(data))


def systems_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("Prašau sutikimo"))


# --- PDF text -----------------------------------------------------------------------------------------------

def test_pdf_text_keeps_reading_order_line_by_line():
    doc = extract_text(attachment(form_pdf()))
    assert doc.source == "pdf" and doc.problems == []
    assert doc.text.splitlines() == FORM_LINES


def test_word_with_a_line_through_its_middle_is_struck_out():
    doc = extract_text(attachment(form_pdf(strike="NTKS")))
    line = systems_line(doc.text)
    assert line.endswith("MDAS ir (arba)")
    assert "NTKS" not in doc.text


def test_word_with_a_thin_bar_through_its_middle_is_struck_out():
    doc = extract_text(attachment(form_pdf(rect_strike="NTKS")))
    assert systems_line(doc.text).endswith("MDAS ir (arba)")


def test_underlined_word_is_kept():
    doc = extract_text(attachment(form_pdf(underline="MDAS")))
    assert systems_line(doc.text).endswith("MDAS ir (arba) NTKS")


def test_strikeout_annotation_strikes_the_word():
    doc = extract_text(attachment(form_pdf(annotate_strike="MDAS")))
    assert systems_line(doc.text).endswith("procedūrą ir (arba) NTKS")


def test_pages_over_the_cap_are_not_read_and_that_is_said():
    data = form_pdf(pages=3)
    doc = pdf_text(data, max_pages=2)
    assert "Puslapis 2" in doc.text and "Puslapis 3" not in doc.text
    assert doc.problems == ["PDF has 3 pages; only the first 2 were read"]
    assert pdf_text(data, max_pages=3).problems == []


def test_encrypted_pdf_is_refused():
    with pytest.raises(DocumentError, match="encrypted"):
        extract_text(attachment(form_pdf(user_password="slaptas", owner_password="savininkas")))


@pytest.mark.parametrize("data", [b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <<>>\n%%EOF",
                                  b"%PDF-1.7\n" + bytes(range(256)) * 8])
def test_malformed_pdf_is_refused(data):
    with pytest.raises(DocumentError, match="malformed"):
        extract_text(attachment(data))


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_damaged_pdf_gives_text_or_document_error(data):
    pdf = form_pdf()
    cut = data.draw(st.integers(min_value=10, max_value=len(pdf)))
    at = data.draw(st.integers(min_value=0, max_value=cut))
    mangled = pdf[:at] + data.draw(st.binary(max_size=30)) + pdf[at:cut]
    try:
        doc = extract_text(attachment(mangled))
    except DocumentError as exc:
        assert exc.reason
    else:
        assert isinstance(doc.text, str)


# --- OCR ----------------------------------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is a system dependency")
def test_fax_like_scan_is_ocrd_at_its_own_resolution():
    data = scanned_pdf(dpi=204)
    import pdfplumber
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        page = pdf.pages[0]
        assert page.chars == [] and scan_dpi(page, page.images) == 204
    doc = extract_text(attachment(data, "fax.pdf", "application/pdf"))
    assert doc.source == "ocr"
    assert "LT123456789" in doc.text
    assert "PRAŠYMAS TAIKYTI VEIKLOS TĘSTINUMO PROCEDŪRĄ" in doc.text
    assert "2026-12-14 09:00" in doc.text and "LTVR1000" in doc.text


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is a system dependency")
def test_faxed_tiff_image_is_ocrd():
    doc = extract_text(attachment(scanned_tiff(), "fax.tif", "image/tiff"))
    assert doc.source == "ocr"
    assert "LT123456789" in doc.text and "LTVR1000" in doc.text


def test_small_image_is_a_logo_not_a_page():
    from PIL import Image
    out = io.BytesIO()
    Image.new("L", (120, 40), 255).save(out, "PNG")
    assert extract_text(attachment(out.getvalue(), "logo.png", "image/png")).text == ""


# --- DOCX ---------------------------------------------------------------------------------------------------

def test_docx_paragraphs_and_table_rows_in_document_order():
    body = (paragraph(run("PRAŠYMAS TAIKYTI VEIKLOS TĘSTINUMO PROCEDŪRĄ"))
            + table([["Asmens pavadinimas", "UAB „Žalgirio sandėliai“"], ["EORI kodas", "LT123456789"],
                     ["Sistema", "MDAS"]])
            + paragraph(run("Pagarbiai, "), run("Jonas")))
    doc = extract_text(attachment(docx_bytes(body), "prasymas.docx", DOCX_TYPE))
    assert doc.source == "docx" and doc.problems == []
    assert doc.text.splitlines() == ["PRAŠYMAS TAIKYTI VEIKLOS TĘSTINUMO PROCEDŪRĄ",
                                     "Asmens pavadinimas: UAB „Žalgirio sandėliai“", "EORI kodas: LT123456789",
                                     "Sistema: MDAS", "Pagarbiai, Jonas"]


def test_docx_struck_run_is_left_out():
    body = paragraph(run("procedūrą MDAS ir (arba) "), run("NTKS", struck=True))
    assert extract_text(attachment(docx_bytes(body))).text == "procedūrą MDAS ir (arba)"


def test_docx_tracked_deletion_is_left_out():
    body = ('<w:p><w:r><w:t xml:space="preserve">Sistema: </w:t></w:r>'
            '<w:del w:id="1" w:author="x"><w:r><w:delText>NTKS</w:delText></w:r></w:del>'
            '<w:ins w:id="2" w:author="x"><w:r><w:t>MDAS</w:t></w:r></w:ins></w:p>')
    assert extract_text(attachment(docx_bytes(body))).text == "Sistema: MDAS"


def test_docx_zip_bomb_is_refused():
    with pytest.raises(DocumentError, match="bomb"):
        extract_text(attachment(zip_bomb_docx(), "bomb.docx", DOCX_TYPE))


def test_docx_with_entities_is_refused():
    data = docx_bytes(paragraph(run("&lol;")))
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            content = src.read(item)
            if item.filename == "word/document.xml":
                content = content.replace(b"<w:document", b'<!DOCTYPE d [<!ENTITY lol "lol">]><w:document', 1)
            dst.writestr(item, content)
    with pytest.raises(DocumentError, match="DTD|entit"):
        extract_text(attachment(out.getvalue()))


def test_encrypted_office_file_is_refused():
    data = OLE_MAGIC + b"\0" * 600
    with pytest.raises(DocumentError, match="encrypted"):
        extract_text(attachment(data, "prasymas.docx", DOCX_TYPE))


def test_broken_zip_claiming_docx_is_refused():
    att = Attachment("p.docx", DOCX_TYPE, DOCX_TYPE, b"PK\x03\x04 not really a zip", 25)
    with pytest.raises(DocumentError, match="malformed"):
        extract_text(att)


# --- plain text ------------------------------------------------------------------------------------------------

def test_text_attachment_in_windows_1257():
    text = "EORI kodas: LT123456789\nPriežastis: sugedo serveris"
    doc = extract_text(attachment(text.encode("windows-1257"), "prasymas.txt", "text/plain"))
    assert doc.source == "text" and doc.text == text
    assert doc.problems and "windows-1257" in doc.problems[0]


def test_unsupported_type_is_refused_with_its_type():
    with pytest.raises(DocumentError, match="application/x-custom"):
        extract_text(attachment(b"whatever", "a.bin", "application/x-custom"))
