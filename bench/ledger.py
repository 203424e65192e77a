"""Ledger benchmark: append latency, verify and open times, each against a baseline measured in this run.

Run from the repository root: ``python -m bench.ledger`` (``make bench``). Prints one JSON object per line
per figure: ``{"name", "value", "unit", "baseline", "baseline_name", "ratio", "target", "met"}`` where
``ratio = value / baseline``. Baselines:

* append: (a) a bare fsynced JSON Lines append of the same records to a file of the same size (open
  ``O_APPEND``, ``os.write``, ``os.fsync``), and (b) TinyDB with its stock ``JSONStorage`` holding the same
  number of documents (it rewrites the whole file per insert and does not fsync; at 100k only a few inserts
  are sampled, each costs about a second);
* verify and open: reading the same file and ``json.loads``-ing every line (the least any reader must do).

Pre-existing ledgers are built fast (lines written directly with correct hashes, one write, no per-line
fsync). Append samples of the ledger and of the bare baseline are interleaved so that drift in the disk's
fsync latency hits both alike; figures are medians.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from tinydb import TinyDB
from tinydb.storages import JSONStorage

from ledger.entries import MAIL_RECEIVED
from ledger.store import GENESIS, LEDGER_FILE, Ledger, encode_line, entry_hash, utc_iso
from ledger.verify import verify_file

SIZES = (1_000, 10_000, 100_000)
TINYDB_SAMPLES = {1_000: 50, 10_000: 10, 100_000: 3}
START = datetime(2025, 3, 3, 7, 0, tzinfo=timezone.utc)

# Targets (from the task): append at 100k within 2x a bare fsynced append; verify 100k in 3 s; open in 2 s.
APPEND_RATIO_TARGET = 2.0
VERIFY_SECONDS_TARGET = 3.0
OPEN_SECONDS_TARGET = 2.0


def record(i: int) -> tuple[str, dict[str, Any]]:
    """A realistic entry: what the poller appends for a received message (Lithuanian text, nesting)."""
    return MAIL_RECEIVED, {
        "sha256": f"{i:064x}",
        "message_id": f"<{i}.prasymas@imone.lt>",
        "mailbox": {"uidvalidity": 1700000000, "uid": i},
        "subject": f"Prašymas taikyti veiklos tęstinumo procedūrą Nr. {i}",
        "received_at": utc_iso(START + timedelta(seconds=i)),
        "offices": ["LTVC0100", "LTKC0200"],
        "auto": False,
        "note": None,
    }


def ledger_lines(count: int) -> list[bytes]:
    """``count`` chained, correctly hashed ledger lines."""
    lines, prev = [], GENESIS
    for seq in range(1, count + 1):
        type_, data = record(seq)
        ts = utc_iso(START + timedelta(seconds=seq))
        digest = entry_hash(seq, ts, type_, data, prev)
        lines.append(encode_line({"seq": seq, "ts": ts, "type": type_, "data": data, "prev": prev, "hash": digest}))
        prev = digest
    return lines


def write_ledger(directory: Path, lines: list[bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LEDGER_FILE
    path.write_bytes(b"".join(lines))
    return path


def write_tinydb(path: Path, count: int) -> None:
    """A TinyDB JSON file with ``count`` documents, as its JSONStorage would have written them."""
    table = {}
    for i in range(1, count + 1):
        type_, data = record(i)
        table[str(i)] = {"type": type_, "data": data}
    path.write_text(json.dumps({"_default": table}), encoding="utf-8")


def timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def figure(name: str, value: float, unit: str, baseline: float, baseline_name: str,
           target: str | None = None, met: bool | None = None) -> dict[str, Any]:
    return {"name": name, "value": round(value, 6), "unit": unit, "baseline": round(baseline, 6),
            "baseline_name": baseline_name, "ratio": float(f"{value / baseline:.4g}") if baseline else None,
            "target": target, "met": met}


def emit(fig: dict[str, Any]) -> None:
    print(json.dumps(fig, ensure_ascii=False), flush=True)


def bench_appends(work: Path, lines: list[bytes], existing: int, samples: int) -> tuple[float, float]:
    """Median seconds per append: the ledger at ``existing`` entries, and the bare fsynced JSONL append."""
    ledger_dir = work / f"ledger-{existing}"
    path = write_ledger(ledger_dir, lines[:existing])
    bare_path = work / f"bare-{existing}.jsonl"
    shutil.copyfile(path, bare_path)
    ledger_times, bare_times = [], []
    with Ledger(ledger_dir) as ledger:
        bare_fd = os.open(bare_path, os.O_WRONLY | os.O_APPEND)
        try:
            for i in range(samples + 10):  # the first ten warm caches and are not counted
                type_, data = record(existing + i + 1)
                t_ledger = timed(lambda: ledger.append(type_, data))
                line = (json.dumps({"type": type_, "data": data}, ensure_ascii=False) + "\n").encode("utf-8")

                def bare() -> None:
                    os.write(bare_fd, line)
                    os.fsync(bare_fd)
                t_bare = timed(bare)
                if i >= 10:
                    ledger_times.append(t_ledger)
                    bare_times.append(t_bare)
        finally:
            os.close(bare_fd)
    shutil.rmtree(ledger_dir)
    bare_path.unlink()
    return statistics.median(ledger_times), statistics.median(bare_times)


def bench_tinydb(work: Path, existing: int, samples: int) -> float:
    """Median seconds per insert into a stock TinyDB (JSONStorage) already holding ``existing`` documents."""
    path = work / f"tinydb-{existing}.json"
    write_tinydb(path, existing)
    times = []
    with TinyDB(path, storage=JSONStorage) as db:
        db.all()  # load once, as a long-running process would have
        for i in range(samples):
            type_, data = record(existing + i + 1)
            times.append(timed(lambda: db.insert({"type": type_, "data": data})))
    path.unlink()
    return statistics.median(times)


def read_and_parse(path: Path) -> None:
    with open(path, "rb") as fh:
        for raw in fh:
            json.loads(raw)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=None,
                        help="where to build the ledgers (default: a temporary directory; use a real disk)")
    parser.add_argument("--samples", type=int, default=200, help="appends timed per size (median)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="itpc-bench-", dir=args.dir))
    started = time.perf_counter()
    try:
        lines = ledger_lines(max(SIZES))
        print(json.dumps({"info": "built", "entries": len(lines), "dir": str(work),
                          "seconds": round(time.perf_counter() - started, 2)}), file=sys.stderr)
        for size in SIZES:
            ledger_s, bare_s = bench_appends(work, lines, size, args.samples)
            tiny_s = bench_tinydb(work, size, TINYDB_SAMPLES[size])
            label = f"{size // 1000}k"
            if size == max(SIZES):
                target, met = f"ratio <= {APPEND_RATIO_TARGET:g}", ledger_s / bare_s <= APPEND_RATIO_TARGET
            else:
                target, met = None, None
            emit(figure(f"ledger.append@{label}", ledger_s * 1e3, "ms", bare_s * 1e3,
                        "bare fsynced JSONL append (O_APPEND, os.write, os.fsync)", target, met))
            emit(figure(f"ledger.append@{label}.vs_tinydb", ledger_s * 1e3, "ms", tiny_s * 1e3,
                        f"TinyDB JSONStorage insert (median of {TINYDB_SAMPLES[size]}, no fsync)"))

        path = write_ledger(work / "ledger-verify", lines)
        baseline = statistics.median(timed(lambda: read_and_parse(path)) for _ in range(3))
        verdicts = []
        verify_s = statistics.median(timed(lambda: verdicts.append(verify_file(path))) for _ in range(3))
        if not all(v.ok and v.entries == len(lines) for v in verdicts):
            raise SystemExit(f"verify_file rejected the benchmark ledger: {verdicts[0]}")
        emit(figure("ledger.verify@100k", verify_s, "s", baseline, "read + json.loads every line",
                    f"value <= {VERIFY_SECONDS_TARGET:g} s", verify_s <= VERIFY_SECONDS_TARGET))

        def open_close() -> None:
            with Ledger(path.parent) as ledger:
                assert len(ledger) == len(lines)
        open_s = statistics.median(timed(open_close) for _ in range(3))
        emit(figure("ledger.open@100k", open_s, "s", baseline, "read + json.loads every line",
                    f"value <= {OPEN_SECONDS_TARGET:g} s", open_s <= OPEN_SECONDS_TARGET))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"info": "done", "seconds": round(time.perf_counter() - started, 1)}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
