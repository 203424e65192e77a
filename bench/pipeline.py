"""End-to-end throughput: `itpc poll --once` over 1,000 generated text requests in a Maildir (and Dovecot).

Baseline, measured in the same run over the same files: reading each message, hashing it and parsing its
MIME with the standard library — the least any poller must do. Figures are printed one JSON object per line.

    python -m bench.pipeline [--messages 1000] [--imap]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

from ledger.clock import VILNIUS

ROOT = Path(__file__).resolve().parents[1]


def request_text(i: int, at: datetime) -> bytes:
    from email.message import EmailMessage
    from email.utils import format_datetime
    start = at + timedelta(minutes=30)
    msg = EmailMessage()
    msg["Received"] = f"from mx.example.net by mail.lrmuitine.lt; {format_datetime(at)}"
    msg["From"] = f"muitine{i % 400}@imone{i % 400}.lt"
    msg["To"] = "ITPC@lrmuitine.lt"
    msg["Subject"] = "Prašymas taikyti veiklos tęstinumo procedūrą"
    msg["Date"] = format_datetime(at)
    msg["Message-ID"] = f"<bench-{i}@imone{i % 400}.lt>"
    msg.set_content(
        "Laba diena,\n\nprašome sutikimo taikyti veiklos tęstinumo procedūrą.\n\n"
        f"Asmens pavadinimas: UAB „Įmonė {i % 400}“\nEORI kodas: LT{300000000 + i % 400}\n"
        f"Telefonas: +370 5 200 {i % 10000:04d}\nSistema: {'MDAS' if i % 2 else 'NTKS'}\n"
        f"Laikotarpis: nuo {start:%Y-%m-%d %H:%M} iki {start + timedelta(hours=6):%Y-%m-%d %H:%M}\n"
        "Muitinės įstaigos: LTVR1000\nPriežastis: sugedo serveris, neveikia deklaravimo programa.\n"
        f"Sutikimą siųsti: muitine{i % 400}@imone{i % 400}.lt\n\nPagarbiai\nVardenis Pavardenis\n")
    return msg.as_bytes()


def make_maildir(root: Path, n: int) -> list[Path]:
    for box in ("inbox", "outbox"):
        for sub in ("new", "cur", "tmp"):
            (root / box / sub).mkdir(parents=True, exist_ok=True)
    start = datetime(2026, 11, 2, 8, 0, tzinfo=VILNIUS)
    files = []
    for i in range(n):
        at = start + timedelta(minutes=7 * i)
        path = root / "inbox" / "new" / f"{int(at.timestamp())}.{i:05d}.bench"
        path.write_bytes(request_text(i, at))
        files.append(path)
    return files


def baseline_seconds(files: list[Path]) -> float:
    began = time.perf_counter()
    for path in files:
        raw = path.read_bytes()
        hashlib.sha256(raw).hexdigest()
        message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()
    return time.perf_counter() - began


def poll_seconds(root: Path) -> float:
    config = root / "itpc.toml"
    config.write_text(f'[mailbox]\nurl = "maildir://{root / "inbox"}"\n'
                      f'[outbox]\nurl = "maildir://{root / "outbox"}"\ndaily_cap = 100000\n'
                      f'[ledger]\npath = "{root / "ledger"}"\n')
    began = time.perf_counter()
    subprocess.run([str(ROOT / ".venv" / "bin" / "itpc"), "--config", str(config), "poll", "--once"],
                   check=True, capture_output=True)
    return time.perf_counter() - began


def figure(name: str, value: float, unit: str, baseline: float) -> None:
    print(json.dumps({"name": name, "value": round(value, 2), "unit": unit, "baseline": round(baseline, 2),
                      "ratio": round(value / baseline, 4) if baseline else None}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="itpc-bench-"))
    try:
        files = make_maildir(tmp, args.messages)
        base = baseline_seconds(files)
        took = poll_seconds(tmp)
        figure("poll_once_maildir_end_to_end", args.messages / took, "messages/s", args.messages / base)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
