"""What a Sutikimas costs: milliseconds per document of ``render_sutikimas`` in a warm process (fonts loaded, as in
`itpc run` or a poll of many requests), beside a bare fpdf2 baseline measured in the same run: one A4 page with
one line of Lithuanian text in the same DejaVu Sans, the least fpdf2 does per document (the old renderer was
fpdf2 and cost about as much again for its layout). Also the first document of a process (loading the fonts).

One JSON line: medians over rounds of ``--docs`` documents each; ``ratio`` is ours / the baseline. Target: a
document in ≈1–5 ms, i.e. a small fraction of the baseline.

    python -m bench.sutikimas [--docs 50] [--rounds 5]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from ledger.clock import VILNIUS
from responders.sutikimas import FONT_FILE, SutikimasDoc, find_font, render_sutikimas

ROOT = Path(__file__).resolve().parents[1]
ISSUED = datetime(2026, 11, 23, 8, 41, tzinfo=VILNIUS)


def document(i: int) -> SutikimasDoc:
    return SutikimasDoc(number=f"VTP-2026-{i:06d}", issued_at=ISSUED + timedelta(minutes=i), place="Vilnius",
                        applicant=f"UAB „Žąsų ūkis Nr. {i}“", eori="LT302345671",
                        period_from=ISSUED + timedelta(hours=1), period_to=ISSUED + timedelta(hours=30),
                        systems=("MDAS", "NTKS"),
                        offices=(("LTVR1000", "Vilniaus krovinių postas"), ("LTKL1000", "Klaipėdos jūrų uosto postas")),
                        officer_position="Vyriausioji specialistė", officer_name="Rūta Žemaitienė")


def bare_fpdf2(i: int) -> bytes:
    """The baseline: one page, one line, the same font, through fpdf2."""
    from fpdf import FPDF  # the bench's baseline only; the project no longer draws with it

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creation_date(ISSUED)
    pdf.add_font("DejaVu", "", str(find_font(FONT_FILE)))
    pdf.add_page()
    pdf.set_font("DejaVu", "", 11)
    pdf.cell(100, 6, f"Sutikimas Nr. VTP-2026-{i:06d}: UAB „Žąsų ūkis“")
    return bytes(pdf.output())


def per_document_ms(draw, docs: int, rounds: int) -> float:
    """Median over ``rounds`` of the mean milliseconds per document of ``docs`` documents."""
    medians = []
    for r in range(rounds):
        began = time.perf_counter()
        for i in range(docs):
            draw(r * docs + i + 1)
        medians.append((time.perf_counter() - began) * 1000 / docs)
    return statistics.median(medians)


def first_document_ms() -> float:
    """A fresh process's first document (the fonts' one-time loading included), median of 3."""
    code = ("import time; from bench.sutikimas import document; from responders.sutikimas import render_sutikimas; "
            "t = time.perf_counter(); render_sutikimas(document(1)); print((time.perf_counter() - t) * 1000)")
    runs = [float(subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True,
                                 text=True).stdout) for _ in range(3)]
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    render_sutikimas(document(0)), bare_fpdf2(0)  # warm both: imports and the fonts' one-time loading
    ours, baseline = [], []
    for _ in range(args.rounds):  # interleaved, so a noisy moment on the machine hits both
        ours.append(per_document_ms(lambda i: render_sutikimas(document(i)), args.docs, 1))
        baseline.append(per_document_ms(bare_fpdf2, args.docs, 1))
    mine, base = statistics.median(ours), statistics.median(baseline)
    print(json.dumps({"bench": "sutikimas", "docs": args.docs * args.rounds, "ms_per_document": round(mine, 2),
                      "baseline": "bare fpdf2 page, same font", "baseline_ms_per_document": round(base, 2),
                      "ratio": round(mine / base, 3), "first_document_ms": round(first_document_ms(), 1),
                      "pdf_bytes": len(render_sutikimas(document(1)))}))


if __name__ == "__main__":
    main()
