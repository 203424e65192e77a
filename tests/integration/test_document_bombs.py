"""Documents that cost far more to read than their size suggests: each is read in a limited child process or
refused before it is expanded, becomes a recorded problem, its request goes to an officer, and the next
message of the same poll is still registered and answered. Nothing here is timed (the machine is shared):
the figures are in bench/bombs.py.
"""
from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from ingest.documents import DocumentError, DocumentLimits, extract_text, pdf_text
from ingest.mime import Attachment
from ingest.sandbox import ChildLimits, LimitExceeded, run_limited
from tests.helpers import itpc, make_config
from tests.make_bombs import flate_bomb_pdf, huge_image_pdf, huge_png, many_page_scan_pdf, operator_bomb_pdf
from tests.make_documents import FORM_LINES, form_pdf, message, scanned_pdf

LETTER_LINES = ["Laba diena,", "siunčiame dokumentų kopijas.", "Pagarbiai, Jonas Jonaitis"]


def attachment(data: bytes, ctype: str) -> Attachment:
    return Attachment(filename="doc", declared_type=ctype, content_type=ctype, data=data, size=len(data))


# --- each bomb, read as a poll reads it --------------------------------------------------------------------

BOMBS = {
    "drawing operators": (operator_bomb_pdf, "application/pdf", "more than 100000 lines and curves"),
    "flate bomb": (flate_bomb_pdf, "application/pdf", "inflates past 32 MiB"),
    "20000×20000 PNG": (huge_png, "image/png", "too large to read"),
    "20000×20000 image in a PDF": (huge_image_pdf, "application/pdf", "20000×20000"),
    "20-page scan": (lambda: many_page_scan_pdf(20, lines=LETTER_LINES), "application/pdf",
                     "PDF has 20 scanned pages; only the first 3 were read by OCR"),
}
SLOW = {"20-page scan"}  # three pages of OCR

CONTINUITY_BODY = (
    "Laba diena,\n\nprašome sutikimo taikyti veiklos tęstinumo procedūrą.\n\n"
    "Asmens pavadinimas: UAB „Tęstinumas“\nEORI kodas: LT301100221\nTelefonas: +370 5 200 0000\n"
    "Sistema: MDAS\nLaikotarpis: nuo 2026-12-14 09:00 iki 2026-12-14 17:00\n"
    "Muitinės įstaigos: LTVR1000\nPriežastis: sugedo serveris, neveikia deklaravimo programa.\n"
    "Sutikimą siųsti: jonas@imone.lt\n\nPagarbiai\nJonas Jonaitis\n")


def deliver(inbox: Path, name: str, raw: bytes) -> None:
    (inbox / "new" / name).write_bytes(raw)


@pytest.mark.parametrize("bomb", [pytest.param(b, marks=pytest.mark.slow) if b in SLOW else b for b in BOMBS])
def test_bomb_is_a_recorded_problem_for_review_and_the_poll_goes_on(tmp_path, bomb):
    make, ctype, reason = BOMBS[bomb]
    config = make_config(tmp_path)
    bomb_mail = message(subject="Dokumentai", attachments=[("dokumentas", ctype, make())],
                        headers={"Received": "from mx by mail.lrmuitine.lt; Mon, 14 Dec 2026 08:30:00 +0200"})
    deliver(tmp_path / "inbox", "1765693800.1.bomb", bomb_mail)
    after = message(subject="Prašymas taikyti veiklos tęstinumo procedūrą", body=CONTINUITY_BODY,
                    sender="Jonas Jonaitis <jonas@imone.lt>",
                    headers={"Received": "from mx by mail.lrmuitine.lt; Mon, 14 Dec 2026 08:31:00 +0200"})
    after = after.replace(b"<test.1@example.lt>", b"<test.2@imone.lt>")
    deliver(tmp_path / "inbox", "1765693860.2.next", after)

    itpc(config, "poll", "--once", now="2026-12-14T08:35")

    requests = {r["message_id"]: r for r in map(json.loads, itpc(config, "requests", "--json").stdout.splitlines())}
    bombed = requests["<test.1@example.lt>"]
    problems = registered(config, bombed["number"])["problems"]
    assert any(p.startswith("dokumentas: ") and reason in p for p in problems), problems
    assert bombed["decision"]["outcome"] == "review"
    following = requests["<test.2@imone.lt>"]
    assert following["kind"] == "continuity" and following["decision"]["outcome"] == "consent"
    outbox = list((tmp_path / "outbox" / "new").iterdir())
    assert any(following["number"].encode() in path.read_bytes() for path in outbox)


def registered(config: Path, number: str) -> dict:
    for line in itpc(config, "ledger", "export", "--json").stdout.splitlines():
        entry = json.loads(line)
        if entry.get("type") == "request.registered" and entry["data"]["number"] == number:
            return entry["data"]
    raise AssertionError(f"{number} was not registered")


# --- the limits themselves -----------------------------------------------------------------------------------

def test_reading_past_the_wall_clock_is_stopped_with_the_reason():
    with pytest.raises(LimitExceeded) as caught:
        run_limited(_sleep, 30.0, limits=ChildLimits(seconds=0.5, memory_mb=512))
    assert caught.value.reason == "document reading exceeded 0.5 s"


def test_a_program_the_reader_started_is_stopped_with_it(tmp_path):
    marker = tmp_path / "still-running"
    with pytest.raises(LimitExceeded) as caught:
        run_limited(_start_and_wait, str(marker), limits=ChildLimits(seconds=4, memory_mb=512))
    assert caught.value.reason == "document reading exceeded 4 s"
    pid = int(marker.read_text())
    for _ in range(100):  # the kill is sent; give the kernel a moment to deliver it
        if not _alive(pid):
            break
        time.sleep(0.05)
    assert not _alive(pid)


def test_reading_past_the_memory_limit_is_stopped_with_the_reason():
    with pytest.raises(LimitExceeded) as caught:
        run_limited(_allocate, 600, limits=ChildLimits(seconds=20, memory_mb=256))
    assert caught.value.reason == "document reading exceeded 256 MiB of memory"


def test_a_document_error_in_the_child_keeps_its_reason():
    with pytest.raises(DocumentError) as caught:
        extract_text(attachment(b"%PDF-1.7 not really", "application/pdf"))
    assert caught.value.reason.startswith("malformed PDF")


def test_a_normal_form_reads_the_same_through_the_child():
    data = form_pdf()
    assert extract_text(attachment(data, "application/pdf")).text == pdf_text(data).text
    assert pdf_text(data).text.splitlines() == FORM_LINES


def test_the_configured_limits_reach_the_reader(tmp_path):
    config = make_config(tmp_path, mailbox={"max_image_pixels": 100_000})
    deliver(tmp_path / "inbox", "1765693800.1.scan", message(attachments=[("faksas.pdf", "application/pdf",
                                                                            scanned_pdf())]))
    itpc(config, "poll", "--once", now="2026-12-14T08:35")
    (request,) = map(json.loads, itpc(config, "requests", "--json").stdout.splitlines())
    (problem,) = registered(config, request["number"])["problems"]
    assert problem.startswith("faksas.pdf: page 1: scanned page not read: its images have ")
    assert problem.endswith("more than the 100000 that are decoded")
    assert request["decision"]["outcome"] == "review"


def test_image_with_more_pixels_than_the_setting_is_not_decoded():
    with pytest.raises(DocumentError) as caught:
        extract_text(attachment(huge_png(side=3000), "image/png"), limits=DocumentLimits(max_image_pixels=1_000_000))
    assert caught.value.reason == "image of 3000×3000 pixels is too large to read (more than 1000000 pixels)"


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def _start_and_wait(marker: str) -> None:
    child = subprocess.Popen(["sleep", "60"])
    Path(marker).write_text(str(child.pid))
    child.wait()


def _allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
