"""`itpc poll --once` killed with SIGKILL at random points, then run to completion: nothing lost, nothing twice.

Real processes over a real Maildir: the corpus plus generated continuity requests (about 40 messages) arrive
in a few deliveries, in order of receipt. After each delivery, pollers are started and killed — some after a
seeded random delay spread over the length of a whole clean run, some just after the ledger shows they began
a given stage (fetch, parse, decide, answer, send), so that kills land in every stage. A final poll runs to
completion. The ledger must then hold each message once, each decision once, each answer queued once and
sent at most once, and say exactly what a clean single run over the same mail says.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from itpc.intake import header_message_id
from ledger.clock import VILNIUS
from responders.transport import maildir_name
from tests.helpers import CORPUS as _CORPUS, ITPC, ROOT, corpus_receipt, itpc, itpc_env, make_config

pytestmark = pytest.mark.slow  # real servers or processes

CORPUS = _CORPUS / "mail"
NOW = "2026-12-28T12:00"        # after every receipt: the same clock for every run, crashed or clean
SEED = 20261228
GENERATED = 17                  # + 23 corpus messages = 40

# The stages of one poll, in the order it runs them, and the ledger entry that shows each has begun.
STAGES = {"fetch": "mail.received", "parse": "request.registered", "decide": "decision.made",
          "answer": "mail.queued", "send": "mail.sent"}

EORIS = ["LT301100221", "LT301100222", "LT301100223"]   # few traders, so the 1B-1029:12 count is reached
OFFICES = ["LTVR1000", "LTVR3000", "LTVR4000"]
REASONS = ["sugedo serveris, neveikia deklaravimo programa.",
           "nutrūko interneto ryšys, tiekėjas gedimą šalina.",
           "dingo elektros tiekimas visame pastate.",
           "kibernetinė ataka, sistemos išjungtos."]


# --- mail ----------------------------------------------------------------------------------------------

def continuity_request(rng: random.Random, i: int, at: datetime) -> bytes:
    """A continuity request as a trader types it, with seeded variety in trader, period, systems, offices."""
    eori = rng.choice(EORIS)
    start = at + timedelta(minutes=rng.choice([10, 45, 120]))
    end = start + timedelta(hours=rng.choice([3, 9, 30, 80]))
    company = f"UAB „Tęstinumas {eori[-1]}“"
    msg = EmailMessage()
    msg["Received"] = f"from mx.example.net by mail.lrmuitine.lt; {format_datetime(at)}"
    msg["From"] = f"deklarantas{eori[-1]}@testinumas{eori[-1]}.lt"
    msg["To"] = "ITPC@lrmuitine.lt"
    msg["Subject"] = rng.choice(["Prašymas taikyti veiklos tęstinumo procedūrą", "Dėl tęstinumo procedūros"])
    msg["Date"] = format_datetime(at)
    msg["Message-ID"] = f"<crash-{i}.{rng.randrange(10 ** 9)}@testinumas{eori[-1]}.lt>"
    msg.set_content(
        "Laba diena,\n\nprašome leisti taikyti veiklos tęstinumo procedūrą.\n\n"
        f"Asmens pavadinimas: {company}\nEORI kodas: {eori}\n"
        f"Telefonas: +370 5 2{rng.randrange(10 ** 6):06d}\n"
        f"Sistema: {rng.choice(['MDAS', 'NTKS', 'MDAS, NTKS'])}\n"
        f"Laikotarpis: nuo {start:%Y-%m-%d %H:%M} iki {end:%Y-%m-%d %H:%M}\n"
        f"Muitinės įstaigos: {', '.join(sorted(rng.sample(OFFICES, rng.choice([1, 2]))))}\n"
        f"Priežastis: {rng.choice(REASONS)}\n"
        f"Sutikimą siųsti: deklarantas{eori[-1]}@testinumas{eori[-1]}.lt\n\n"
        "Pagarbiai\nVardenis Pavardenis\n")
    return msg.as_bytes()


@dataclass(frozen=True)
class Mail:
    name: str              # Maildir file name
    raw: bytes
    received: datetime


def mailbag(seed: int = SEED, generated: int = GENERATED) -> list[Mail]:
    """The corpus and generated requests, in order of receipt (generated ones fall between corpus ones)."""
    rng = random.Random(seed)
    bag = [Mail(f"{p.stem}.corpus", p.read_bytes(), corpus_receipt(p.read_bytes())) for p in
           sorted(CORPUS.glob("*.eml"))]
    first = datetime(2026, 11, 24, 8, 0, tzinfo=VILNIUS)
    for i in range(generated):
        at = first + timedelta(hours=rng.randrange(0, 31 * 24), minutes=rng.randrange(60))
        bag.append(Mail(f"gen{i:02d}.crash", continuity_request(rng, i, at), at))
    assert all(m.received is not None for m in bag), "every message needs a receipt time"
    return sorted(bag, key=lambda m: (m.received, m.name))


def deliver(inbox: Path, mails: list[Mail]) -> None:
    """Maildir delivery: write in tmp/, then rename into new/ (a reader never sees half a file)."""
    for mail in mails:
        name = f"{int(mail.received.timestamp())}.{mail.name}"
        (inbox / "tmp" / name).write_bytes(mail.raw)
        os.rename(inbox / "tmp" / name, inbox / "new" / name)


# --- the ledger, as the CLI shows it, and as the file grows ----------------------------------------------

def export(config: Path) -> list[dict[str, Any]]:
    out = itpc(config, "ledger", "export", "--json", now=NOW).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def requests_json(config: Path) -> list[dict[str, Any]]:
    out = itpc(config, "requests", "--json", now=NOW).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def entries_on_disk(ledger_dir: Path) -> list[dict[str, Any]]:
    """The entries written so far, read while a poller writes (a half-written last line is skipped)."""
    path = ledger_dir / "ledger.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_bytes().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def decisions(requests: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What a user compares between two runs, per Message-ID: number, kind, outcome, rules, period, consent."""
    out = {}
    for r in requests:
        d = r["decision"] or {}
        out[r["message_id"]] = {"number": r["number"], "kind": r["kind"], "outcome": d.get("outcome"),
                                "rules": d.get("rules"), "period_from": d.get("period_from"),
                                "period_to": d.get("period_to"), "consent_no": d.get("consent_no"),
                                "notices": sorted((n["id"], n["status"]) for n in r["notices"])}
    return out


def check_exactly_once(config: Path, tmp: Path, mails: list[Mail]) -> list[dict[str, Any]]:
    """Everything a user checks after the final poll; returns the `requests --json` objects."""
    entries = export(config)
    by_type: dict[str, list[dict]] = {}
    for e in entries:
        by_type.setdefault(e["type"], []).append(e["data"])

    # Each message once: a request of its own, or a reply joined to its case (correspondence).
    registered = Counter(d["message_id"] for kind in ("request.registered", "correspondence.attached")
                         for d in by_type.get(kind, []))
    expected_ids = {header_message_id(m.raw) for m in mails}
    assert set(registered) == expected_ids
    assert [mid for mid, n in registered.items() if n > 1] == []
    assert len(by_type["mail.received"]) == len(mails)
    assert os.listdir(tmp / "inbox" / "new") == []
    assert all(name.endswith(":2,S") for name in os.listdir(tmp / "inbox" / "cur"))

    numbers = [d["number"] for d in by_type["request.registered"]]
    decided = Counter(d["request"] for d in by_type.get("decision.made", []))
    assert sorted(decided) == sorted(numbers) and set(decided.values()) == {1}

    queued = [d["id"] for d in by_type.get("mail.queued", [])]
    assert queued and len(queued) == len(set(queued))
    sent = Counter(d["id"] for d in by_type.get("mail.sent", []))
    assert [i for i, n in sent.items() if n > 1] == []
    assert set(sent) == set(queued)
    # The Maildir transport names a file by its key: one file per queued id, none without one.
    assert sorted(os.listdir(tmp / "outbox" / "new")) == sorted(maildir_name(i) for i in queued)

    verify = itpc(config, "ledger", "verify", now=NOW, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    return requests_json(config)


# --- pollers -------------------------------------------------------------------------------------------

def start_poll(config: Path, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(ITPC + ["--config", str(config), "--now", NOW, "poll", "--once"], cwd=ROOT,
                                env=itpc_env(), stdout=out, stderr=out, start_new_session=True)


def kill(proc: subprocess.Popen) -> bool:
    """SIGKILL the poller and anything it started (OCR); True if it was still running."""
    if proc.poll() is not None:
        return False
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    return True


def kill_after(config: Path, log: Path, delay: float) -> bool:
    proc = start_poll(config, log)
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        return kill(proc)


def kill_in_stage(config: Path, ledger_dir: Path, log: Path, stage: str, jitter: float,
                  limit: float = 20.0) -> bool:
    """Start a poller and kill it ``jitter`` seconds after the ledger shows it began ``stage``."""
    kind = STAGES[stage]
    before = sum(e["type"] == kind for e in entries_on_disk(ledger_dir))
    proc = start_poll(config, log)
    deadline = time.monotonic() + limit
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if sum(e["type"] == kind for e in entries_on_disk(ledger_dir)) > before:
                time.sleep(jitter)
                break
            time.sleep(0.002)
        return kill(proc)
    finally:
        if proc.poll() is None:
            kill(proc)


def stage_interrupted(tmp: Path, delivered: list[Mail], clean_queued: dict[str, set[str]]) -> str:
    """Where the last killed poller was: the first stage with work left (a poll runs the stages in order)."""
    entries = entries_on_disk(tmp / "ledger")
    of = lambda kind: [e["data"] for e in entries if e["type"] == kind]  # noqa: E731
    if os.listdir(tmp / "inbox" / "new") or len(of("mail.received")) < len(delivered):
        return "fetch"
    # A poll decides each message as soon as it is registered, before it registers the next: a kill between
    # the two is in "decide", one after a decision and before the next registration in "parse".
    if len(of("decision.made")) < len(of("request.registered")):
        return "decide"
    if len(of("request.registered")) + len(of("correspondence.attached")) < len(of("mail.received")):
        return "parse"
    wanted = set().union(*(clean_queued.get(d["message_id"], set()) for d in of("request.registered")))
    queued = {d["id"] for d in of("mail.queued")}
    if queued < wanted:
        return "answer"
    if len(of("mail.sent")) < len(queued):
        return "send"
    return "done"


def clean_run(tmp: Path, mails: list[Mail]) -> tuple[list[dict], float]:
    config = make_config(tmp)
    deliver(tmp / "inbox", mails)
    began = time.monotonic()
    itpc(config, "poll", "--once", now=NOW)
    return requests_json(config), time.monotonic() - began


# --- tests ---------------------------------------------------------------------------------------------

def test_polls_killed_anywhere_then_completed_register_decide_and_send_each_message_once(tmp_path):
    mails = mailbag()
    assert len(mails) >= 40
    clean, clean_seconds = clean_run(tmp_path / "clean", mails)
    clean_queued = {r["message_id"]: {n["id"] for n in r["notices"]} for r in clean}

    tmp = tmp_path / "crash"
    config = make_config(tmp)
    log = tmp / "poll.log"
    rng = random.Random(SEED)
    deliveries = [mails[i:i + len(mails) // 4 + 1] for i in range(0, len(mails), len(mails) // 4 + 1)]
    delivered: list[Mail] = []
    landed: list[str] = []
    for k, batch in enumerate(deliveries):
        deliver(tmp / "inbox", batch)
        delivered += batch
        if k % 2 == 0:
            # One kill just after each stage begins, in the order a poll runs them: a kill in one stage
            # leaves work for every later one, so each targeted poller has its stage still to do.
            for stage in STAGES:
                if kill_in_stage(config, tmp / "ledger", log, stage, rng.uniform(0.0, 0.004)):
                    landed.append(stage_interrupted(tmp, delivered, clean_queued))
        else:
            # Kills at random moments of what would be a whole clean run (some land in start-up, some
            # after the poller is done: both happen in real life too).
            for _ in range(3):
                if kill_after(config, log, rng.uniform(0.0, clean_seconds)):
                    landed.append(stage_interrupted(tmp, delivered, clean_queued))
    final = itpc(config, "poll", "--once", now=NOW)
    assert "Traceback" not in final.stderr

    # The test only means something if the kills really interrupted each stage of the line.
    assert {"fetch", "parse", "decide", "answer", "send"} <= set(landed), Counter(landed)
    crashed = check_exactly_once(config, tmp, mails)
    assert decisions(crashed) == decisions(clean)


def test_two_pollers_started_together_register_each_message_once(tmp_path):
    mails = mailbag(seed=SEED + 1)
    config = make_config(tmp_path)
    deliver(tmp_path / "inbox", mails)
    logs = [tmp_path / f"poll{i}.log" for i in (1, 2)]
    procs = [start_poll(config, log) for log in logs]
    for proc, log in zip(procs, logs):
        assert proc.wait(timeout=120) == 0, log.read_text(errors="replace")[-3000:]
    check_exactly_once(config, tmp_path, mails)
