"""What starting `itpc` costs: `itpc --help` as a fresh process, beside the least any click program pays (Python
starting, importing click and printing a command's help), the two run in turn so that a noisy moment on the
machine hits both.

One JSON line: median wall milliseconds of each over ``--runs`` runs (after one warm-up of each), and the median
of the per-pair ratios. Target: ``ratio`` ≤ 1.5 (it was 6–12 on a busy 2-core machine when `--help` loaded
every command's module).

    python -m bench.startup [--runs 15]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ITPC_HELP = [sys.executable, "-m", "itpc", "--help"]
CLICK_HELP = [sys.executable, "-c", 'import click; click.Command("x", help="Help.").main(["--help"], '
                                    "standalone_mode=False)"]


def wall_ms(argv: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - began) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    wall_ms(ITPC_HELP), wall_ms(CLICK_HELP)  # warm the file cache and the bytecode
    ours, baseline = [], []
    for _ in range(args.runs):
        ours.append(wall_ms(ITPC_HELP))
        baseline.append(wall_ms(CLICK_HELP))
    print(json.dumps({"bench": "startup", "runs": args.runs, "itpc_help_ms": round(statistics.median(ours), 1),
                      "baseline": "python + click --help", "baseline_ms": round(statistics.median(baseline), 1),
                      "ratio": round(statistics.median(a / b for a, b in zip(ours, baseline)), 2)}))


if __name__ == "__main__":
    main()
