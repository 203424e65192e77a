"""OCR seconds per fax page: our extraction (render at the scan's resolution + tesseract) beside the bare
`tesseract` command on the same page image, measured in the same run.

    python -m bench.ocr [--repeat 3]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from email import message_from_bytes, policy
from pathlib import Path

from ingest.documents import extract_text, scan_dpi
from ingest.mime import Attachment

FAX = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "mail" / "c03-fax-ocr.eml"


def fax_page() -> bytes:
    """A real fax scan: the corpus fax if present, else a generated 204 dpi page."""
    if FAX.exists():
        msg = message_from_bytes(FAX.read_bytes(), policy=policy.default)
        for part in msg.iter_attachments():
            if part.get_content_type() == "application/pdf":
                return part.get_content()
    from tests.make_documents import scanned_pdf
    return scanned_pdf(dpi=204)


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - began)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pdf = fax_page()
    att = Attachment(filename="fax.pdf", declared_type="application/pdf", content_type="application/pdf",
                     data=pdf, size=len(pdf))
    import io

    import pdfplumber
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        dpi = scan_dpi(doc.pages[0], doc.pages[0].images)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "fax.pdf"
        src.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", "-gray", str(src), str(Path(tmp) / "page")],
                       check=True)
        page = Path(tmp) / "page.png"
        ours = timed(lambda: extract_text(att), args.repeat)
        # The fair baseline runs tesseract single-threaded as we do (OpenMP threads only contend on 2 cores);
        # the default-environment figure is printed too, for what a person typing the command would see.
        for label, env in (("single-threaded", {**os.environ, "OMP_THREAD_LIMIT": "1"}), ("default", None)):
            bare = timed(lambda: subprocess.run(["tesseract", str(page), "-", "-l", "lit"], check=True,
                                                capture_output=True, env=env), args.repeat)
            print(json.dumps({"name": f"ocr_seconds_per_fax_page_vs_{label.replace('-', '_')}_tesseract",
                              "value": round(ours, 3), "unit": "s", "baseline": round(bare, 3),
                              "baseline_name": f"bare `tesseract page.png - -l lit` ({label})",
                              "ratio": round(ours / bare, 3), "target": "ratio <= 1.3", "met": ours / bare <= 1.3}))


if __name__ == "__main__":
    main()
