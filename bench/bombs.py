"""What a document bomb costs now: wall seconds and the reading child's peak memory for each bomb, beside the
same figures for a normal form PDF read the same way in the same run (the baseline), one JSON line each.

The reading runs exactly as a poll runs it (``ingest.sandbox.run_limited`` of ``ingest.documents.read_document``
with the shipped limits). Peak memory is the child's ru_maxrss, tesseract's included; wall time includes the
child's start. Target per bomb: under 10 s and under 300 MB.

    python -m bench.bombs
"""
from __future__ import annotations

import json
import time
import tracemalloc

from config import load_settings
from ingest.documents import DocumentLimits, read_document
from ingest.forms import parse_request
from ingest.offices import OfficeDirectory
from ingest.sandbox import LimitExceeded, run_limited
from tests.make_bombs import flate_bomb_pdf, huge_image_pdf, huge_png, many_page_scan_pdf, operator_bomb_pdf
from tests.make_documents import FORM_LINES, form_pdf

MAX_SECONDS, MAX_MB = 10.0, 300.0
BOMBS = [
    ("drawing_operators_2M_pdf", "application/pdf", operator_bomb_pdf),
    ("flate_bomb_2GiB_pdf", "application/pdf", flate_bomb_pdf),
    ("image_20000x20000_png", "image/png", huge_png),
    ("image_20000x20000_in_pdf", "application/pdf", huge_image_pdf),
    ("scan_20_pages_pdf", "application/pdf", many_page_scan_pdf),
]


def measure(ctype: str, data: bytes, limits: DocumentLimits) -> tuple[float, float, str]:
    """(wall seconds, peak MB, outcome) of reading one document in a limited child."""
    began = time.perf_counter()
    try:
        run = run_limited(read_document, ctype, data, 20, limits, limits=limits.child)
    except LimitExceeded as exc:  # refused: the child said why, and how much memory it had used
        return time.perf_counter() - began, exc.peak_kb / 1024, f"refused: {exc.reason}"
    text, _source, problems = run.value
    outcome = f"read {len(text)} characters" + (f"; {problems[-1]}" if problems else "")
    return time.perf_counter() - began, run.peak_kb / 1024, outcome


def text_bomb() -> str:
    """225 KB of "sutikimą siųsti " (send the consent): once quadratic in the reply-address reading."""
    return "Prašymas taikyti veiklos tęstinumo procedūrą\n" + "sutikimą siųsti " * 14_400


def parse_cost(text: str) -> tuple[float, float]:
    """(wall seconds, peak MB of Python allocations) of parsing one text as a request, in this process."""
    offices = OfficeDirectory.load(load_settings().offices.directory)
    tracemalloc.start()
    began = time.perf_counter()
    parse_request(text, offices=offices)
    seconds = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak


def main() -> None:
    base_s, base_mb = parse_cost("\n".join(FORM_LINES))
    seconds, mb = parse_cost(text_bomb())
    print(json.dumps({"name": "bomb_text_reply_phrase_225KB", "value": round(seconds, 3), "unit": "s",
                      "peak_mb": round(mb, 1), "baseline": round(base_s, 4), "baseline_peak_mb": round(base_mb, 1),
                      "baseline_name": "parsing a one-page continuity request (text)",
                      "ratio": round(seconds / base_s, 1), "target": f"< {MAX_SECONDS:g} s and < {MAX_MB:g} MB",
                      "met": seconds < MAX_SECONDS and mb < MAX_MB}, ensure_ascii=False))
    limits = DocumentLimits()
    measure("application/pdf", form_pdf(), limits)  # starts the forkserver, outside the figures
    base_s, base_mb, _ = measure("application/pdf", form_pdf(), limits)
    for name, ctype, make in BOMBS:
        data = make()
        seconds, mb, outcome = measure(ctype, data, limits)
        print(json.dumps({"name": f"bomb_{name}", "value": round(seconds, 3), "unit": "s",
                          "peak_mb": round(mb, 1), "size_bytes": len(data), "outcome": outcome,
                          "baseline": round(base_s, 3), "baseline_peak_mb": round(base_mb, 1),
                          "baseline_name": "reading a one-page form PDF the same way",
                          "ratio": round(seconds / base_s, 1), "peak_ratio": round(mb / base_mb, 2) if base_mb else None,
                          "target": f"< {MAX_SECONDS:g} s and < {MAX_MB:g} MB",
                          "met": seconds < MAX_SECONDS and mb < MAX_MB}, ensure_ascii=False))


if __name__ == "__main__":
    main()
