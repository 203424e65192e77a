"""Run a reader of untrusted bytes in a child process that cannot take the poller down with it.

The child gets an address-space and a processor-time limit (``setrlimit``, inherited by what it starts, such
as tesseract) and runs in its own process group; the parent keeps the wall clock and kills the whole group
when time is up. A run that goes past a limit raises ``LimitExceeded`` with the reason in plain English; the
caller records it and goes on with the next document.

Children are forked from a forkserver that imported the document libraries once: a child starts in
milliseconds, and from a small process, so its address-space limit measures the document and not the ledger
state the poller holds in memory.
"""
from __future__ import annotations

import math
import multiprocessing
import os
import resource
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any, Callable

from config import errors

# Third-party libraries only: the forkserver ignores the parent's sys.path (Python 3.11), so this project's own
# modules are imported in each child, from where the parent imported them.
PRELOAD = ["pdfplumber", "pypdfium2", "PIL.Image", "PIL.PngImagePlugin", "PIL.TiffImagePlugin"]
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(PRELOAD)
MiB = 1024 * 1024


class LimitExceeded(errors.DocumentError):
    """The child went past a limit, failed or died; ``reason`` says which, for the problem list; ``peak_kb`` is
    the child's peak resident memory as far as it is known (0 when it died without saying)."""

    def __init__(self, reason: str, peak_kb: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.peak_kb = peak_kb


@dataclass(frozen=True)
class ChildLimits:
    seconds: float = 60.0    # wall clock, and the processor time of the child and of each program it runs
    memory_mb: int = 1024    # address space of the child and of each program it runs


@dataclass(frozen=True)
class Run:
    value: Any
    seconds: float           # wall time as the parent saw it, child start included
    peak_kb: int             # the child's (or a program it ran's) peak resident memory


def run_limited(fn: Callable[..., Any], *args: Any, limits: ChildLimits) -> Run:
    """``fn(*args)`` in a limited child; ``fn`` and its arguments and result must pickle (plain data).

    An ``ItpcError`` the function raises comes back as ``LimitExceeded`` with its message as the reason."""
    began = time.perf_counter()
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    child = _CONTEXT.Process(target=_child, args=(sender, fn, args, limits), daemon=True)
    child.start()
    sender.close()  # the child's copy is the only writer left: its death reads as end of file
    try:
        outcome = _await(receiver, child, limits)
    finally:
        receiver.close()
        _stop(child)
    kind, value, peak_kb = outcome
    if kind != "ok":
        raise LimitExceeded(_reason(kind, value, child.exitcode, limits), peak_kb)
    return Run(value, time.perf_counter() - began, peak_kb)


def _await(receiver, child, limits: ChildLimits) -> tuple[str, Any, int]:
    ready = wait([receiver, child.sentinel], timeout=limits.seconds)
    if receiver.poll():
        try:
            return receiver.recv()
        except EOFError:  # died without a word: a signal (the processor limit, or a crash)
            pass
    if not ready:
        peak = _peak_of_live(child.pid)
        _kill_group(child)
        return "timeout", None, peak
    return "died", None, 0


def _reason(kind: str, value: Any, exitcode: int | None, limits: ChildLimits) -> str:
    if kind == "refused":
        return str(value)
    if kind == "timeout":
        return f"document reading exceeded {limits.seconds:g} s"
    if kind == "memory":
        return f"document reading exceeded {limits.memory_mb} MiB of memory"
    if kind == "failed":
        return f"document reading failed ({value})"
    if exitcode == -signal.SIGXCPU:
        return f"document reading exceeded {limits.seconds:g} s of processor time"
    name = signal.Signals(-exitcode).name if exitcode and exitcode < 0 else f"exit status {exitcode}"
    return f"document reading stopped ({name}; the memory limit is {limits.memory_mb} MiB)"


def _child(sender, fn: Callable[..., Any], args: tuple, limits: ChildLimits) -> None:
    os.setpgid(0, 0)  # its own group, so that the parent's kill reaches tesseract too
    _limit(resource.RLIMIT_AS, limits.memory_mb * MiB, limits.memory_mb * MiB)
    seconds = math.ceil(limits.seconds)
    _limit(resource.RLIMIT_CPU, seconds, seconds + 1)  # SIGXCPU at the soft limit, SIGKILL at the hard one
    try:
        outcome: tuple[str, Any] = ("ok", fn(*args))
    except MemoryError:
        outcome = ("memory", None)
    except errors.ItpcError as exc:
        outcome = ("refused", str(exc))
    except Exception as exc:  # a reader's bug on strange input is still only this document's problem
        outcome = ("failed", type(exc).__name__)
    try:
        sender.send((*outcome, _own_peak_kb()))
    except MemoryError:
        sender.send(("memory", None, _own_peak_kb()))
    sender.close()


def _limit(which: int, soft: int, hard: int) -> None:
    _soft, ceiling = resource.getrlimit(which)
    if ceiling != resource.RLIM_INFINITY:
        soft, hard = min(soft, ceiling), min(hard, ceiling)
    resource.setrlimit(which, (soft, hard))


def _own_peak_kb() -> int:
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def _peak_of_live(pid: int | None) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            return next((int(line.split()[1]) for line in fh if line.startswith("VmHWM:")), 0)
    except (OSError, ValueError):
        return 0


def _kill_group(child) -> None:
    try:  # the group the child made its own, with whatever it started that is still running
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if child.is_alive():  # killed before it made its group: it started nothing yet
        child.kill()


def _stop(child) -> None:
    child.join(1)
    if child.is_alive() or child.exitcode != 0:
        _kill_group(child)
        child.join()
