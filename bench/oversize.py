"""What an oversized message costs: `itpc poll --once` of a Maildir holding one ~150 MB message (over the
25 MiB cap: registered, archived, headers read, sent to review), in a child process, beside copying the same
file in a child process (the baseline: the least any intake must do, since the message is kept byte for byte).

One JSON line: wall seconds and the child's peak memory (ru_maxrss) for each. Target: the poll's peak memory
stays under 2 × the message's size (it used to be 11 ×).

    python -m bench.oversize [--mb 150]
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECEIVED = datetime(2026, 11, 23, 8, 41, tzinfo=timezone(timedelta(hours=2)))


def write_message(path: Path, megabytes: int) -> int:
    """A message with a ~``megabytes`` MB base64 attachment, written in pieces; returns its size."""
    head = (f"Received: from mx.example.net by mail.lrmuitine.lt; {RECEIVED:%a, %d %b %Y %H:%M:%S %z}\r\n"
            "From: deklaravimas@imone.lt\r\nTo: ITPC@lrmuitine.lt\r\nSubject: Prašymas su dideliu priedu\r\n"
            f"Date: {RECEIVED:%a, %d %b %Y %H:%M:%S %z}\r\nMessage-ID: <oversize-bench@imone.lt>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nLaba diena, prašymas priede.\r\n--b\r\n"
            "Content-Type: application/pdf; name=\"skenas.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
    line = base64.b64encode(os.urandom(57)) + b"\r\n"  # 76 characters a line, as mail agents write them
    block = line * 16384
    with open(path, "wb") as fh:
        fh.write(head.encode("utf-8"))
        while fh.tell() < megabytes * 1_000_000:
            fh.write(block)
        fh.write(b"--b--\r\n")
    return path.stat().st_size


def measure(argv: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, peak MB) of one child process."""
    began = time.perf_counter()
    child = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv[:4])}... failed: {child.stderr.read().decode()[-2000:]}")
    child.stderr.close()
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=150)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="itpc-oversize-") as tmp:
        tmp = Path(tmp)
        for box in ("inbox", "outbox"):
            for sub in ("new", "cur", "tmp"):
                (tmp / box / sub).mkdir(parents=True)
        message = tmp / "inbox" / "new" / f"{int(RECEIVED.timestamp())}.M1P1.bench"
        size = write_message(message, args.mb)
        config = tmp / "itpc.toml"
        config.write_text(f'[mailbox]\nurl = "maildir://{tmp / "inbox"}"\n'
                          f'[outbox]\nurl = "maildir://{tmp / "outbox"}"\n[ledger]\npath = "{tmp / "ledger"}"\n',
                          encoding="utf-8")
        copy = "import shutil, sys; shutil.copyfile(sys.argv[1], sys.argv[2])"
        copy_s, copy_mb = measure([sys.executable, "-c", copy, str(message), str(tmp / "copy.eml")], ROOT)
        (tmp / "copy.eml").unlink()
        now = (RECEIVED + timedelta(minutes=1)).isoformat()
        poll = [sys.executable, "-m", "itpc", "--config", str(config), "--now", now, "poll", "--once"]
        poll_s, poll_mb = measure(poll, ROOT)
        print(json.dumps({"name": "poll_oversize_message", "value": round(poll_s, 3), "unit": "s",
                          "peak_mb": round(poll_mb, 1), "size_mb": round(size / 1e6, 1),
                          "peak_per_size": round(poll_mb * 1024 * 1024 / size, 2),
                          "baseline": round(copy_s, 3), "baseline_peak_mb": round(copy_mb, 1),
                          "baseline_name": "copying the same file in a child process",
                          "ratio": round(poll_s / copy_s, 1), "target": "peak < 2 × the message's size",
                          "met": poll_mb * 1024 * 1024 < 2 * size}, ensure_ascii=False))


if __name__ == "__main__":
    main()
