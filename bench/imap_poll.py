"""End-to-end throughput over IMAP: `itpc poll --once` against a real Dovecot holding 1,000 text requests.

The server is the test one (`tests.dovecot`: imaps on 127.0.0.1, self-signed certificate). The figure is the
whole line — process start, TLS login, listing, fetching, registering, parsing, deciding, rendering answers,
moving every message to Processed — in messages per second. Baseline, measured in the same run over the same
mailbox: a bare imapclient session that fetches every message (``BODY.PEEK[]`` in batches, as the poller
does) and hashes it with SHA-256 — the least any IMAP poller must do. A second figure sets it beside the same
poll of the same requests from a Maildir, in the same run (issue 15: IMAP within 1.5× of the Maildir time).

    python -m bench.imap_poll [--messages 1000] [--batch 50] [--runs 3]

Prints two JSON objects: {"name", "value", "unit", "baseline", "ratio"}, medians of the runs; each run polls
the same requests from Dovecot and then from a Maildir, and the IMAP/Maildir ratio is the median of the
runs' own ratios (one run's figures swung by half on this shared machine).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from bench.pipeline import ROOT, figure, make_maildir, request_text
from ledger.clock import VILNIUS
from tests.dovecot import Dovecot

APPEND_CHUNK = 100   # messages per MULTIAPPEND command while filling the mailbox (not timed)


def fill(server: Dovecot, n: int) -> None:
    """APPEND ``n`` generated requests to INBOX, each with its receipt time as INTERNALDATE."""
    start = datetime(2026, 11, 2, 8, 0, tzinfo=VILNIUS)
    with server.client() as imap:
        for first in range(0, n, APPEND_CHUNK):
            batch = []
            for i in range(first, min(n, first + APPEND_CHUNK)):
                at = start + timedelta(minutes=7 * i)
                batch.append({"msg": request_text(i, at), "date": at})
            imap.multiappend("INBOX", batch)


def baseline_seconds(server: Dovecot, batch: int) -> tuple[float, int]:
    """A bare client: log in, list, fetch every message in batches and hash it; returns (seconds, count)."""
    began = time.perf_counter()
    count = 0
    with server.client() as imap:
        imap.select_folder("INBOX", readonly=True)
        uids = sorted(imap.search("ALL"))
        for first in range(0, len(uids), batch):
            for items in imap.fetch(uids[first:first + batch], [b"BODY.PEEK[]"]).values():
                hashlib.sha256(items[b"BODY[]"]).hexdigest()
                count += 1
    return time.perf_counter() - began, count


def poll_seconds(server: Dovecot, work: Path, batch: int) -> float:
    config = work / "itpc.toml"
    config.write_text(f'[mailbox]\nurl = "{server.url()}"\nbatch = {batch}\n'
                      f'[outbox]\nurl = "maildir://{work / "outbox"}"\ndaily_cap = 100000\n'
                      f'[ledger]\npath = "{work / "ledger"}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ITPC_")}
    env.update(ITPC_IMAP_PASSWORD=server.password, ITPC_IMAP_CAFILE=server.cafile)
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "itpc", "--config", str(config), "poll", "--once"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    took = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"itpc poll --once exited {done.returncode}:\n{done.stderr[-2000:]}")
    return took


def maildir_seconds(work: Path, n: int) -> float:
    """The same poll, started the same way, of the same ``n`` requests from a Maildir (the figure IMAP is held to)."""
    make_maildir(work, n)
    config = work / "itpc.toml"
    config.write_text(f'[mailbox]\nurl = "maildir://{work / "inbox"}"\n'
                      f'[outbox]\nurl = "maildir://{work / "outbox"}"\ndaily_cap = 100000\n'
                      f'[ledger]\npath = "{work / "ledger"}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ITPC_")}
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "itpc", "--config", str(config), "poll", "--once"], cwd=ROOT, env=env,
                   capture_output=True, check=True)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=50, help="UIDs per FETCH, for the poller and the baseline")
    parser.add_argument("--runs", type=int, default=3, help="runs (medians): the machine is shared and noisy")
    args = parser.parse_args()
    server = Dovecot.start()
    bases, polls, maildirs = [], [], []
    try:
        for run in range(args.runs):
            work = Path(tempfile.mkdtemp(prefix="itpc-bench-imap-"))
            try:
                if run:
                    server.clear()  # the last run left its messages in Processed
                fill(server, args.messages)
                base, fetched = baseline_seconds(server, args.batch)
                if fetched != args.messages:
                    raise SystemExit(f"the mailbox holds {fetched} messages, not {args.messages}")
                took = poll_seconds(server, work, args.batch)
                # A poll that left mail behind did not do the work being timed.
                left, moved = len(server.messages("INBOX")), len(server.messages("Processed"))
                if left or moved != args.messages:
                    raise SystemExit(f"after the poll: {left} messages left in INBOX, {moved} in Processed")
                bases.append(base)
                polls.append(took)
                maildirs.append(maildir_seconds(work / "maildir", args.messages))
            finally:
                shutil.rmtree(work, ignore_errors=True)
    finally:
        server.stop()
    took, base, maildir = statistics.median(polls), statistics.median(bases), statistics.median(maildirs)
    times = statistics.median(p / m for p, m in zip(polls, maildirs))
    figure("poll_once_imap_end_to_end", args.messages / took, "messages/s", args.messages / base)
    print(json.dumps({"name": "poll_once_imap_vs_maildir", "value": round(args.messages / took, 2),
                      "unit": "messages/s", "baseline": round(args.messages / maildir, 2),
                      "baseline_name": "the same poll from a Maildir", "ratio": round(1 / times, 4),
                      "times_maildir": round(times, 2), "target": "times_maildir <= 1.5", "met": times <= 1.5,
                      "runs": args.runs, "times_maildir_each": [round(p / m, 2) for p, m in zip(polls, maildirs)]}),
          flush=True)


if __name__ == "__main__":
    sys.exit(main())
