"""Every corpus message through `parse_message`, compared with its expected answer exactly as
/work/shared/tools/corpus_score.py compares `itpc parse --json` (the same function, loaded from the script),
plus the glue's own rules: auto-generated mail, document failures, caps, choosing the best candidate."""
from __future__ import annotations

import importlib.util
import json

import pytest

from config import load_settings
from ingest.offices import OfficeDirectory
from ingest.parse import Limits, parse_file, parse_message
from tests import corpus_gaps
from tests.helpers import SHARED
from tests.make_documents import FORM_LINES, form_pdf, message, scanned_pdf

CORPUS = SHARED / "corpus"
OWN = "ITPC@lrmuitine.lt"


def _scorer():
    spec = importlib.util.spec_from_file_location("corpus_score", SHARED / "tools" / "corpus_score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCORER = _scorer()
CASES = [(cid, mail, exp) for cid, mail, exp in SCORER.cases(CORPUS) if "duplicate_of" not in exp]


@pytest.fixture(scope="module")
def settings():
    return load_settings(None)


@pytest.fixture(scope="module")
def offices(settings):
    return OfficeDirectory.load(settings.offices.directory)


def test_the_corpus_is_there():
    assert len(CASES) >= 20


@pytest.mark.parametrize("cid, mail, expected", [corpus_gaps.marked(c[0], corpus_gaps.PARSE, *c) for c in CASES])
def test_corpus_message_parses_as_expected(cid, mail, expected, settings):
    got = parse_file(mail, settings).as_json()
    json.dumps(got, ensure_ascii=False)  # what `itpc parse --json` prints must be JSON
    assert SCORER.compare_parse(expected, got) == []


# --- the glue's own rules ---------------------------------------------------------------------------------

def parse(raw: bytes, offices, **limits):
    return parse_message(raw, offices=offices, own_address=OWN, limits=Limits(**limits))


def test_auto_generated_mail_is_not_parsed_as_a_request(offices):
    body = "\n".join(FORM_LINES)  # even when it quotes a whole request
    result = parse(message(body=body, headers={"Auto-Submitted": "auto-replied"}), offices)
    assert result.as_json() == {"kind": "auto_generated", "source": "body", "fields": {}, "missing": []}
    assert result.letter.auto_generated == "Auto-Submitted: auto-replied"


def test_form_in_an_attached_pdf_beats_a_covering_note(offices):
    raw = message(body="Laba diena,\n\nprašymas pridedamas.\n\nJonas",
                  attachments=[("prasymas.pdf", "application/pdf", form_pdf(strike="NTKS"))])
    result = parse(raw, offices)
    assert (result.kind, result.source) == ("continuity", "pdf")
    assert result.fields["systems"] == ["MDAS"]
    assert result.fields["eori"] == "LT123456789"


def test_fax_gateway_message_is_read_by_ocr(offices):
    raw = message(sender="fax-gateway@lrmuitine.lt", subject="Fax from +37052000000 (1 page)",
                  body="Received fax, 1 page(s).", headers={"X-Fax-Sender": "+37052000000"},
                  attachments=[("fax.pdf", "application/pdf", scanned_pdf())])
    result = parse(raw, offices)
    assert (result.kind, result.source) == ("continuity", "ocr")
    assert result.letter.fax_sender == "+37052000000"
    assert result.fields["eori"] == "LT123456789"


def test_request_in_the_body_wins_over_an_unrelated_attachment(offices):
    body = "\n".join(FORM_LINES) + "\nPriežastis: sugedo serveris.\nSutikimą siųsti: jonas@example.lt"
    raw = message(body=body, attachments=[("kvitas.pdf", "application/pdf", form_pdf(["Sąskaita Nr. 5"]))])
    result = parse(raw, offices)
    assert (result.kind, result.source) == ("continuity", "body")


def test_a_document_that_cannot_be_read_is_a_problem_not_a_failure(offices):
    raw = message(attachments=[("prasymas.pdf", "application/pdf", form_pdf(user_password="x"))])
    result = parse(raw, offices)
    assert result.source == "body"
    assert any(p.startswith("prasymas.pdf: encrypted PDF") for p in result.problems)
    assert result.as_json()["problems"] == result.problems


def test_message_over_the_cap_is_registered_with_the_reason(offices):
    raw = message(attachments=[("prasymas.pdf", "application/pdf", form_pdf())])
    result = parse(raw, offices, max_message_bytes=len(raw) - 1)
    assert result.kind == "not_a_request"
    assert any("cap" in p for p in result.as_json()["problems"])


def test_clean_message_has_no_problems_key(offices):
    assert "problems" not in parse(message(), offices).as_json()
