"""Reading and writing on the machine's other core (itpc/reading.py, itpc/writing.py, itpc/workers.py).

A poll with many messages reads them and writes its letters in worker processes. What a user checks is that
this changes nothing but the time: every message says the same, every letter has the same bytes and goes
out in the same order, and a worker that dies (killed, out of memory) costs only time.
"""
from __future__ import annotations

import errno
import hashlib
import logging
import multiprocessing.context
import os
import re
import signal
import time
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from bench.pipeline import request_text
from config.settings import load_settings
from ingest.offices import OfficeDirectory
from itpc import reading, workers, writing
from itpc.app import App
from itpc.cli_check import sample_context
from itpc.intake import register_pending
from itpc.service import Runner
from itpc.reading import AHEAD_FROM, ReadAhead, Reader, reading_worker
from itpc.writing import Writer
from ledger import clock
from ledger.clock import VILNIUS, Clock, parse_instant
from responders.drafts import Draft, LetterOrder, Unwritable, WrittenLetter
from responders.sutikimas import SutikimasDoc
from tests.helpers import CORPUS, itpc, make_config

pytestmark = pytest.mark.skipif(workers.other_cores() < 1, reason="one core: everything is done in line")

NOW = "2026-12-28T12:00"
MANY = 150  # generated requests in one poll: enough for the workers to start and take their share
# Corpus messages beside the generated ones: a DOCX form (read in a sandboxed child of the worker), an AFIS
# form, an incomplete request, an inquiry, a reply to a case, an auto-reply.
CORPUS_MAIL = ["c05-docx", "c07-incomplete", "c12-afis-complete", "c13-afis-incomplete", "c31-inquiry",
               "c10-auto-reply", "c15-reply-chain"]


@pytest.fixture(scope="module")
def reader() -> Reader:
    settings = load_settings()
    return Reader.of(settings, OfficeDirectory.load(settings.offices.directory))


def messages(generated: int) -> list[bytes]:
    at = datetime(2026, 11, 2, 8, 0, tzinfo=VILNIUS)
    mail = [request_text(i, at + timedelta(minutes=7 * i)) for i in range(generated)]
    return [(CORPUS / "mail" / f"{name}.eml").read_bytes() for name in CORPUS_MAIL] + mail


def mail_of(raw: bytes) -> dict:
    return {"sha256": hashlib.sha256(raw).hexdigest(), "received_at": "2026-11-23T11:10:00+00:00",
            "size": len(raw), "message_id": ""}


def read_ahead(reader: Reader, raws: list[bytes], *, kill_after: int | None = None) -> tuple[list, ReadAhead]:
    mails = [mail_of(raw) for raw in raws]
    worker = reading_worker(reader) if len(mails) >= AHEAD_FROM else None  # as the poll starts it
    raw_of = {mail["sha256"]: raw for mail, raw in zip(mails, raws)}
    with ReadAhead(reader, lambda mail: (raw_of[mail["sha256"]], None), worker) as ahead:
        while ahead.worker is not None and not ahead.worker.ready():  # a poll reads in line until then
            time.sleep(0.01)
        ahead.follow(mails)
        found = []
        for index, mail in enumerate(mails):
            found.append(ahead.reading(mail))
            if index == kill_after:
                os.kill(ahead.worker.process.pid, signal.SIGKILL)
    return found, ahead


def test_messages_read_on_the_other_core_say_exactly_what_they_say_read_in_line(reader):
    raws = messages(40)
    found, ahead = read_ahead(reader, raws)
    assert found == [reader.read(raw, None, mail_of(raw)) for raw in raws]
    assert ahead.read_here < len(raws) // 2, "the worker read next to nothing"
    assert found[0].record["kind"] == "continuity" and found[0].record["source"] == "docx"  # c05: its form read


def test_a_message_over_the_hand_over_size_is_read_in_line_with_the_same_result(reader, monkeypatch):
    raws = messages(30)
    limit = max(len(raw) for raw in raws[len(CORPUS_MAIL):])  # the generated ones go to the worker
    monkeypatch.setattr(reading, "AHEAD_MAX_BYTES", limit)
    found, ahead = read_ahead(reader, raws)
    assert found == [reader.read(raw, None, mail_of(raw)) for raw in raws]
    larger = sum(len(raw) > limit for raw in raws)
    assert larger >= 3 and ahead.read_here >= larger


def test_a_reading_worker_killed_midway_costs_only_time(reader, caplog):
    raws = messages(40)
    with caplog.at_level(logging.WARNING, logger="itpc.workers"):
        found, ahead = read_ahead(reader, raws, kill_after=AHEAD_FROM)
    assert found == [reader.read(raw, None, mail_of(raw)) for raw in raws]
    assert any("reading worker failed" in r.getMessage() for r in caplog.records)
    assert ahead.worker.process is None  # stopped, not left behind


def test_a_poll_of_a_few_messages_starts_no_worker(tmp_path, monkeypatch):
    monkeypatch.setattr(workers, "other_cores", lambda: 1)
    started = []
    monkeypatch.setattr(workers, "BatchWorker", lambda *args: started.append(args))
    config = make_config(tmp_path)
    for i, raw in enumerate(messages(AHEAD_FROM - len(CORPUS_MAIL) - 1)):
        (tmp_path / "inbox" / "new" / f"{1795000000 + i}.m{i:03d}").write_bytes(raw)
    log = itpc(config, "poll", "--once", now=NOW).stderr
    assert f"poll: {AHEAD_FROM - 1} new" in log and not started


# --- letters ---------------------------------------------------------------------------------------------

def orders(n: int) -> list[LetterOrder]:
    """Letters of several kinds, each with its own number, a Sutikimas on every other one, and every fifth
    one that cannot be written (a template that does not exist)."""
    settings = load_settings()
    out = []
    for i in range(n):
        number, consent = f"ITPC-2026-{i + 1:06d}", f"VTP-2026-{i + 1:06d}"
        issued = datetime(2026, 11, 2, 9, 0, tzinfo=VILNIUS) + timedelta(minutes=i)
        name = "no_such_letter" if i % 5 == 4 else ("consent" if i % 2 == 0 else "office_notice")
        ctx = {**sample_context("consent" if name == "no_such_letter" else name), "request_no": number,
               "consent_no": consent, "applicant": f"UAB „Įmonė {i}“"}
        sutikimas = SutikimasDoc(
            number=consent, issued_at=issued, place="Vilnius", applicant=ctx["applicant"], eori=f"LT{300000000 + i}",
            period_from=issued, period_to=issued + timedelta(hours=6), systems=("MDAS",),
            offices=(("LTVR1000", "Vilniaus krovinių postas"),), officer_position="vyriausiasis specialistas",
            officer_name="Jonas Jonaitis", issuer=settings.itpc.name) if name == "consent" else None
        out.append(LetterOrder(Draft(name, ctx, sutikimas=sutikimas), sender="ITPC@lrmuitine.lt",
                               to=(f"muitine{i}@imone{i}.lt",), message_id=f"<{number}.answer@lrmuitine.lt>",
                               in_reply_to=None, references=(), date=issued))
    return out


def written(orders_: list[LetterOrder], *, ahead: bool, kill_after: int | None = None) -> tuple[list, Writer]:
    writer = Writer(load_settings().templates.directory)
    got: list[tuple[int, WrittenLetter | Unwritable]] = []
    if ahead:
        writer.ahead()
        while not writer.worker.ready():  # a poll writes in line until then; here the worker is the point
            time.sleep(0.01)
    try:
        for i, order in enumerate(orders_):
            writer.write(f"id/{i}", order, lambda result, i=i: got.append((i, result)))
            if i == kill_after and writer.worker.process is not None:
                writer.worker.ready()  # started by now or not: either way its batch is lost
                os.kill(writer.worker.process.pid, signal.SIGKILL)
        writer.finish()
    finally:
        writer.stop()
    return got, writer


@pytest.mark.parametrize("behind", [writing.BEHIND, 3])
def test_letters_written_on_the_other_core_are_the_same_bytes_in_the_same_order(monkeypatch, behind):
    monkeypatch.setattr(writing, "BEHIND", behind)  # 3: this process writes much of the backlog itself
    letters = orders(60)
    in_line, _ = written(letters, ahead=False)
    ahead, writer = written(letters, ahead=True)
    assert [i for i, _ in ahead] == list(range(60))
    assert ahead == in_line
    assert sum(isinstance(r, Unwritable) for _, r in ahead) == 12
    assert all(b"Sutikimas VTP-2026-" in r.raw for i, r in ahead if i % 5 != 4 and i % 2 == 0)
    assert writer.written_here < 60, "the worker wrote nothing"
    assert not writer.in_flight


def test_a_writing_worker_killed_midway_costs_only_time(caplog):
    letters = orders(60)
    with caplog.at_level(logging.WARNING, logger="itpc.workers"):
        ahead, _ = written(letters, ahead=True, kill_after=20)
    in_line, _ = written(letters, ahead=False)
    assert ahead == in_line


# --- the poll ----------------------------------------------------------------------------------------------

def started_in_time(start_workers):
    """``Runner.start_workers``, then a wait until both workers are up: a poll never waits for them, and on a
    slow machine they could start after the last message; here they are what is compared."""
    def started(runner) -> None:
        start_workers(runner)
        deadline = time.monotonic() + 60
        while not (runner.ahead.worker.ready() and runner.answerer.writer.worker.ready()) and time.monotonic() < deadline:
            time.sleep(0.01)
    return started


def poll(tmp: Path, monkeypatch, *, cores: int, started: bool = True) -> tuple[list[str], dict[str, bytes]]:
    monkeypatch.setattr(workers, "other_cores", lambda: cores)
    # ``--now`` sets a clock that then runs: stopped, both polls do everything at the same instant, so what
    # they write may be compared byte for byte (a Sutikimas holds the second it was made).
    monkeypatch.setattr(clock, "time", SimpleNamespace(monotonic=lambda: 0.0))
    if cores and started:
        monkeypatch.setattr(Runner, "start_workers", started_in_time(Runner.start_workers))
    config = make_config(tmp)
    for i, raw in enumerate(messages(MANY)):
        (tmp / "inbox" / "new" / f"{1795000000 + i}.m{i:03d}").write_bytes(raw)
    log = itpc(config, "poll", "--once", now=NOW).stderr
    if cores and not started:
        assert log.count("could not be started") == 2, log[-2000:]  # the reading and the writing worker
    elif cores:  # the workers did their share (how much depends on this machine's load)
        read = re.search(r"(\d+) of (\d+) messages read on the other core", log)
        wrote = re.search(r"(\d+) of (\d+) letters written on the other core", log)
        assert read and int(read[1]) > 0 and int(read[2]) == MANY + len(CORPUS_MAIL), log[-2000:]
        assert wrote and int(wrote[1]) > 0, log[-2000:]
    shown = itpc(config, "requests", "--json", now=NOW).stdout.splitlines()
    outbox = {}
    for folder in ("new", "cur"):
        for path in (tmp / "outbox" / folder).iterdir():
            raw = path.read_bytes()
            outbox[re.search(rb"^Message-ID: (.*)$", raw, re.M).group(1)] = raw
    return shown, outbox


def test_a_poll_of_many_messages_answers_as_one_that_does_everything_in_line(tmp_path, monkeypatch):
    one_core = poll(tmp_path / "one", monkeypatch, cores=0)
    two_cores = poll(tmp_path / "two", monkeypatch, cores=1)
    assert two_cores[0] == one_core[0]  # every request, decision and letter as `requests --json` shows them
    assert two_cores[1] == one_core[1]  # every letter sent, byte for byte
    assert len(one_core[1]) >= 2 * MANY


def test_a_poll_where_no_worker_can_be_started_does_everything_in_line(tmp_path, monkeypatch):
    def refused(self):
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    one_core = poll(tmp_path / "one", monkeypatch, cores=0)
    monkeypatch.setattr(multiprocessing.context.SpawnProcess, "start", refused)  # a limit on processes
    refused_workers = poll(tmp_path / "two", monkeypatch, cores=1, started=False)
    assert refused_workers == one_core


def test_what_the_poll_fetches_is_handed_to_the_reader_before_registration_begins(tmp_path, monkeypatch):
    monkeypatch.setattr(workers, "other_cores", lambda: 1)
    monkeypatch.setattr(Runner, "start_workers", started_in_time(Runner.start_workers))
    config = make_config(tmp_path)
    raws = messages(MANY)
    for i, raw in enumerate(raws):
        (tmp_path / "inbox" / "new" / f"{1795000000 + i}.m{i:03d}").write_bytes(raw)
    app = App(load_settings(config), Clock(parse_instant(NOW)))
    runner = Runner(app)
    try:
        with app.ledger.group():
            runner.fetch()
        ahead = runner.ahead
        handed = {mail["sha256"] for mail in ahead.at_worker} | set(ahead.read)
        assert len(handed) >= reading.AHEAD_BATCH, "nothing was read while the poll fetched"
        assert handed <= {hashlib.sha256(raw).hexdigest() for raw in raws}
        runner.ahead = None
        with app.ledger.group():
            numbers = register_pending(runner.intake, after_each=runner.judge.decide_pending, ahead=ahead)
        assert len(numbers) == len(raws)  # each registered once (the reply names no case of this ledger)
        assert ahead.read == {} and ahead.read_here < len(raws) // 2
    finally:
        runner.stop_workers()
        app.close()
