"""What running an `itpc` command needs before the command itself: logging, the settings, the clock and the
opened application; and the one place a deliberate error, or a failure on our own files, becomes one line.

Loaded by ``itpc.cli`` when a command runs, the way it loads the command's own module, so that `itpc --help` and
`itpc --version` import click and nothing of ours beyond the command table.
"""
from __future__ import annotations

import logging
import sys
from typing import Any, Callable

from config import ItpcError, load_settings
from itpc.app import App
from itpc.cli_support import Failure
from itpc.failures import os_failure
from ledger.clock import Clock, parse_instant


def open_app(config_path: str | None, now: str | None, verbose: bool) -> App:
    """The application for one command: settings from ``config_path`` (default: the shipped file), the clock
    at ``now`` (ISO-8601; default: the real clock), debug logging if ``verbose``."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr,
                        force=True)  # each run logs to the stderr it has (one run per process, or a test's)
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # it logs every glyph table it subsets
    try:
        settings = load_settings(config_path)
    except ItpcError as exc:
        raise Failure(f"configuration: {exc}") from None
    try:
        clock = Clock(parse_instant(now) if now else None)
    except ValueError:
        raise Failure(f"--now: not an ISO-8601 instant: {now!r}") from None
    return App(settings, clock)


def one_line_errors(run: Callable[[], Any]) -> Any:
    """``run()``, with every deliberate error and every failure on our own files shown as one line."""
    try:
        return run()
    except ItpcError as exc:
        raise Failure(str(exc)) from None
    except OSError as exc:
        raise Failure(os_failure(exc)) from None
