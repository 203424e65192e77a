"""End-to-end throughput: `itpc poll --once` over 1,000 generated text requests in a Maildir (and Dovecot).

Baseline (the floor), measured in the same run over the same files: reading each message, hashing it, parsing
it with mail-parser and one fsynced append of a line to a file — the least any poller that records what it
took must do. Figures are printed one JSON object per line: messages per second (``ratio`` = floor's time /
poll's time, as a slowdown ``times_floor``; issue 15: ≤ 10× and ≥ 150 msg/s). A poll of many messages reads
them and writes its letters on the machine's other core too (itpc/reading.py, itpc/writing.py), so the figure
is what this machine does with its cores, and ``cpu_ms_each`` says what it costs them.

    python -m bench.pipeline [--messages 1000] [--runs 3]   (medians of the runs, floor and poll interleaved)
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

from ledger.clock import VILNIUS

ROOT = Path(__file__).resolve().parents[1]
ITPC = Path(os.environ.get("ITPC_BENCH_ITPC") or ROOT / ".venv" / "bin" / "itpc")  # ITPC_BENCH_ITPC: another one
TARGET_TIMES_FLOOR = 10.0
TARGET_RATE = 150.0


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
    """``n`` requests delivered into ``root``/inbox as a delivery agent does (Dovecot's and Postfix's deliver
    each message 0600, owned by the mailbox's user), and an empty outbox."""
    for box in ("inbox", "outbox"):
        for sub in ("new", "cur", "tmp"):
            (root / box / sub).mkdir(parents=True, exist_ok=True)
    start = datetime(2026, 11, 2, 8, 0, tzinfo=VILNIUS)
    files = []
    for i in range(n):
        at = start + timedelta(minutes=7 * i)
        path = root / "inbox" / "new" / f"{int(at.timestamp())}.{i:05d}.bench"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(request_text(i, at))
        files.append(path)
    return files


def baseline_seconds(files: list[Path], scratch: Path) -> float:
    """The floor: read, hash, parse (mail-parser, as the poller does) and one fsynced append per message."""
    import mailparser  # the poller's own parser; imported here so that `--help` stays quick
    fd = os.open(scratch, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    began = time.perf_counter()
    try:
        for path in files:
            raw = path.read_bytes()
            digest = hashlib.sha256(raw).hexdigest()
            parsed = mailparser.parse_from_bytes(raw)
            os.write(fd, json.dumps({"sha256": digest, "subject": parsed.subject}).encode() + b"\n")
            os.fsync(fd)
    finally:
        os.close(fd)
    return time.perf_counter() - began


def stdlib_seconds(files: list[Path]) -> float:
    began = time.perf_counter()
    for path in files:
        raw = path.read_bytes()
        hashlib.sha256(raw).hexdigest()
        message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()
    return time.perf_counter() - began


def write_config(root: Path) -> Path:
    config = root / "itpc.toml"
    config.write_text(f'[mailbox]\nurl = "maildir://{root / "inbox"}"\n'
                      f'[outbox]\nurl = "maildir://{root / "outbox"}"\ndaily_cap = 100000\n'
                      f'[ledger]\npath = "{root / "ledger"}"\n')
    return config


def poll_seconds(root: Path) -> tuple[float, float]:
    """Wall and processor seconds (the poll's and its workers') of `itpc poll --once` over ``root``'s inbox."""
    config = write_config(root)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run([str(ITPC), "--config", str(config), "poll", "--once"], check=True, capture_output=True,
                   cwd=ROOT)
    took = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return took, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def rate_figure(name: str, messages: int, took: float, floor: float, **extra: object) -> None:
    rate, floor_rate = messages / took, messages / floor
    times = took / floor
    print(json.dumps({"name": name, "value": round(rate, 2), "unit": "messages/s", "baseline": round(floor_rate, 2),
                      "baseline_name": "read + sha256 + mail-parser + one fsynced append, per message",
                      "ratio": round(rate / floor_rate, 4), "times_floor": round(times, 2),
                      "target": f"times_floor <= {TARGET_TIMES_FLOOR:g} and value >= {TARGET_RATE:g}",
                      "met": times <= TARGET_TIMES_FLOOR and rate >= TARGET_RATE, "ms_per_message":
                      round(1000 * took / messages, 2), **extra}), flush=True)


def figure(name: str, value: float, unit: str, baseline: float) -> None:
    print(json.dumps({"name": name, "value": round(value, 2), "unit": unit, "baseline": round(baseline, 2),
                      "ratio": round(value / baseline, 4) if baseline else None}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3, help="runs of each (median): the machine is shared and noisy")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="itpc-bench-"))
    try:
        floors, runs, cpu, stdlib = [], [], [], []
        for run in range(args.runs):  # interleaved: each poll beside the floor measured just before it
            root = tmp / f"run-{run}"
            files = make_maildir(root, args.messages)
            floors.append(baseline_seconds(files, root / "floor.jsonl"))
            stdlib.append(stdlib_seconds(files))
            took, processor = poll_seconds(root)
            runs.append(took)
            cpu.append(processor)
            shutil.rmtree(root, ignore_errors=True)
        floor = statistics.median(floors)
        rate_figure("poll_once_maildir_end_to_end", args.messages, statistics.median(runs), floor,
                    stdlib_floor_ms=round(1000 * statistics.median(stdlib) / args.messages, 3),
                    poll_ms_each=[round(1000 * r / args.messages, 2) for r in runs],
                    cpu_ms_each=[round(1000 * c / args.messages, 2) for c in cpu], runs=args.runs,
                    floor_ms_each=[round(1000 * f / args.messages, 3) for f in floors])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
