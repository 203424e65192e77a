"""A process on the machine's other core that does pure work for the poll, a batch at a time.

The poll hands it work that has no effect of its own (reading a message, writing a letter's bytes) and keeps
every effect (the archive, the ledger, the log) for itself, so whatever the worker does or fails to do, the
result is the same as doing the work in line: a worker that fails or dies is stopped, and its work is done
in line. One batch at a time is at the worker, and the poll sends only while none is, so neither side can
block the other on a full pipe.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
from typing import Any, Callable, Sequence

log = logging.getLogger("itpc.workers")

READY = "ready"


def other_cores() -> int:
    """How many cores this process may use besides the one it runs on."""
    try:
        return len(os.sched_getaffinity(0)) - 1
    except (AttributeError, OSError):
        return (os.cpu_count() or 1) - 1


def _serve(connection, work: Callable[..., Any]) -> None:
    """The worker: apply ``work`` to each item of each batch it is sent, answer with the results in order."""
    # Ctrl-C and a service stop are the poll's to handle: it finishes its message and closes the worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s (worker): %(message)s")
    connection.send(READY)
    while True:
        try:
            batch = connection.recv()
        except EOFError:
            return
        if batch is None:
            return
        connection.send([work(*item) for item in batch])


def start_worker(name: str, work: Callable[..., Any]) -> "BatchWorker | None":
    """A worker for ``work``, starting; None on a machine with one core, or where no process can be started
    (a limit on processes, a sandbox): the work is done in line then."""
    if other_cores() < 1:
        return None
    try:
        return BatchWorker(name, work)
    except Exception as exc:  # noqa: BLE001 - the poll goes on without it
        log.warning("the %s worker could not be started (%s: %s); its work is done in line", name,
                    type(exc).__name__, exc)
        return None


class BatchWorker:
    """``work`` (a picklable callable) applied on another core to each item of the batches sent. The worker
    starts in the background; ``ready()`` says, without waiting, whether it has. A failure of any kind stops
    it (``alive`` turns false) and is logged once; the caller then does the work in line."""

    def __init__(self, name: str, work: Callable[..., Any]) -> None:
        self.name = name
        # spawn, not fork: under `run` another thread (the sender) may hold a lock a forked child would inherit.
        # Not a daemon: a reader starts sandboxed children of its own (ingest.sandbox). It ends when the poll
        # closes it, or when the poll's end of the pipe closes (the poll died).
        context = multiprocessing.get_context("spawn")
        self.connection, theirs = context.Pipe()
        try:
            self.process = context.Process(target=_serve, args=(theirs, work), name=f"itpc-{name}")
            self.process.start()
        except BaseException:
            self.connection.close()
            raise
        finally:
            theirs.close()
        self.alive = True
        self.started = False
        self.busy = False  # a batch is at the worker

    def ready(self) -> bool:
        """Started, alive and without a batch: it can be sent one now."""
        if self.alive and not self.started and self._answered():
            self.started = self._receive() == READY
        return self.alive and self.started and not self.busy

    def send(self, batch: Sequence[tuple]) -> bool:
        """Hand it a batch (when ``ready()``); False, and the worker stopped, if it could not be sent."""
        try:
            self.connection.send(list(batch))
        except Exception as exc:  # noqa: BLE001 - a worker gone, or an item that does not pickle
            self._failed(exc)
            return False
        self.busy = True
        return True

    def done(self) -> bool:
        """Whether the batch at the worker is answered (without waiting)."""
        return self.busy and self._answered()

    def results(self) -> list | None:
        """The results of the batch at the worker, waiting for them; None when it failed (stopped)."""
        if not self.busy:
            return None
        self.busy = False
        results = self._receive()
        if results is not None and not isinstance(results, list):
            self._failed(ValueError(f"unexpected answer {type(results).__name__}"))
            return None
        return results

    def _answered(self) -> bool:
        try:
            return self.connection.poll()
        except Exception as exc:  # noqa: BLE001
            self._failed(exc)
            return False

    def _receive(self) -> Any:
        try:
            return self.connection.recv()
        except Exception as exc:  # noqa: BLE001 - killed, out of memory, an answer that does not unpickle
            self._failed(exc)
            return None

    def _failed(self, exc: BaseException) -> None:
        if self.alive:
            log.warning("the %s worker failed (%s: %s); its work is done in line", self.name, type(exc).__name__,
                        exc or "it ended")
        self.close()

    def close(self) -> None:
        """Stop it: asked first; one that does not end at once (stuck on an item, or busy with a batch no one
        will ask for) is terminated: its work has no effect to lose."""
        if not self.alive and self.process is None:
            return
        self.alive, self.busy = False, False
        process, self.process = self.process, None
        try:
            self.connection.send(None)
        except Exception:  # noqa: BLE001 - already gone
            pass
        process.join(0.5)
        if process.is_alive():
            process.terminate()
            process.join(5)
        self.connection.close()
