"""Saved folds (``ledger.snapshot``): a command starts from the state saved at a ledger position and folds only
what follows; a snapshot that does not hold, or a ledger that is no longer the one it was saved from, is never
trusted — the state is folded afresh, and what the command does is what a full fold would have it do."""
from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from config import load_settings
from itpc.app import App
from ledger.checkpoints import ArchivePaths, archive_digest
from ledger.clock import Clock, parse_instant
from ledger.entries import (DECISION_MADE, MAIL_HELD, MAIL_QUEUED, MAIL_RECEIVED, MAIL_REQUEUED, MAIL_SENT,
                            OFFICER_NOTE, REQUEST_REGISTERED, REQUEST_REPARSED)
from ledger.snapshot import SNAPSHOT_FILE, DamagedSnapshot, SnapshotStore
from ledger.store import LEDGER_FILE, Ledger
from ledger.views import State
from tests.helpers import CORPUS, itpc, make_config

MAIL = CORPUS / "mail"
C01 = MAIL / "c01-labels-plain.eml"       # Mon 2026-11-23 08:41, consent
C09 = MAIL / "c09-unclear-reason.eml"     # Wed 2026-12-02 08:45, reason unclear: officer review
NOW = "2026-12-02T09:30"


def summary(state: State) -> dict:
    """What the writers act on, as plain values: equal for two states that would have them act alike."""
    return {
        "requests": {n: (r.kind, r.decision and r.decision["outcome"], len(r.decisions), r.mails, len(r.notes))
                     for n, r in state.requests.items()},
        "outbox": {i: (o.sent is not None, o.held is not None, len(o.releases)) for i, o in state.outbox.items()},
        "consents": {n: (c.eori, c.period_to, c.expired, c.ended_at) for n, c in state.consents.items()},
        "mails": sorted(state.mails), "counters": state.counters, "automatic": state.automatic_per_day,
        "undecided": sorted(r.number for r in state.undecided()),
        "pending": sorted(i.id for i in state.pending_outbox()),
        "unregistered": [m["sha256"] for m in state.unregistered_mails()],
        "unsettled": [(r.number, i) for r, i in state.unsettled()],
        "watched": [r.number for r in state.watched_requests()],
        "in_force": [c.number for c in state.consents_in_force()],
    }


def full_fold(ledger_dir: Path) -> State:
    state = State()
    with Ledger(ledger_dir) as ledger:
        ledger.subscribe(state.apply)
    return state


def open_app(config: Path, now: str = NOW) -> App:
    return App(load_settings(config), Clock(parse_instant(now)))


@pytest.fixture
def polled(tmp_path) -> Path:
    """Two requests polled, decided and answered by `itpc poll --once`; the snapshot saved when it closed."""
    config = make_config(tmp_path)
    for message in (C01, C09):
        shutil.copy(message, tmp_path / "inbox" / "new" / message.name)
    itpc(config, "poll", "--once", now=NOW)
    assert (tmp_path / "ledger" / SNAPSHOT_FILE).exists()
    return config


def append_notes(ledger_dir: Path, count: int) -> None:
    with Ledger.for_appending(ledger_dir) as ledger:
        for i in range(count):
            ledger.append(OFFICER_NOTE, {"request": "ITPC-2026-000001", "text": f"pastaba {i}", "by": "test"})


# -- what a command reads ---------------------------------------------------------------------------------------

def test_a_command_starts_from_the_snapshot_and_reads_only_the_entries_after_it(polled):
    ledger_dir = polled.parent / "ledger"
    append_notes(ledger_dir, 3)
    app = open_app(polled)
    try:
        state = app.state
        saved = app.snapshot.position
        assert saved is not None and saved.seq == len(app.ledger) - 3
        assert [e.seq for e in app.ledger._read] == [saved.seq + 1, saved.seq + 2, saved.seq + 3]
        assert summary(state) == summary(full_fold(ledger_dir))
        assert len(state.requests["ITPC-2026-000001"].notes) == 3
    finally:
        app.close()


def test_a_writer_acts_from_the_snapshot_as_from_a_full_fold(polled):
    """The officer decides the request in review: the letters and the numbers are those a full fold gives."""
    itpc(polled, "decide", "ITPC-2026-000002", "refuse", "--reason", "Nurodytos priežastys nėra objektyvios.",
         "--rule", "1B-1029:12", now=NOW)
    itpc(polled, "tick", now="2026-12-03T09:00")
    ledger_dir = polled.parent / "ledger"
    app = open_app(polled, "2026-12-03T09:00")
    try:
        assert summary(app.state) == summary(full_fold(ledger_dir))
        assert app.state.requests["ITPC-2026-000002"].decision["outcome"] == "refusal"
    finally:
        app.close()


def test_the_snapshot_is_saved_again_only_after_snapshot_every_entries(polled):
    ledger_dir = polled.parent / "ledger"
    itpc(polled, "tick", now=NOW)  # the tick's own folds (AFIS users) are saved with the others
    first = SnapshotStore(ledger_dir).position
    append_notes(ledger_dir, 2)
    itpc(polled, "tick", now=NOW)  # folds two new entries (and a checkpoint): fewer than snapshot_every
    assert SnapshotStore(ledger_dir).position == first
    append_notes(ledger_dir, 5)
    config = make_config(polled.parent, ledger={"snapshot_every": 5})
    itpc(config, "tick", now=NOW)
    moved = SnapshotStore(ledger_dir).position
    with Ledger(ledger_dir) as ledger:
        assert moved.seq == len(ledger) and moved.head == ledger.head


# -- never trusted blindly -----------------------------------------------------------------------------------------

def test_a_cut_snapshot_file_is_ignored_and_the_state_folded_afresh(polled, caplog):
    ledger_dir = polled.parent / "ledger"
    path = ledger_dir / SNAPSHOT_FILE
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    app = open_app(polled)
    try:
        assert summary(app.state) == summary(full_fold(ledger_dir))
        assert app._restored_at is None
    finally:
        app.close()


def test_an_edited_header_is_ignored(polled):
    ledger_dir = polled.parent / "ledger"
    with sqlite3.connect(ledger_dir / SNAPSHOT_FILE) as db:
        body = db.execute("SELECT body FROM header").fetchone()[0]
        db.execute("UPDATE header SET body = ?", (body.replace('"seq":', '"seq":1', 1),))
    assert SnapshotStore(ledger_dir).position is None
    app = open_app(polled)
    try:
        assert summary(app.state) == summary(full_fold(ledger_dir))
    finally:
        app.close()


def test_an_edited_saved_entry_stops_the_command_and_the_next_one_folds_afresh(polled):
    ledger_dir = polled.parent / "ledger"
    with sqlite3.connect(ledger_dir / SNAPSHOT_FILE) as db:
        key, value = db.execute("SELECT key, value FROM rows WHERE map = 'requests' LIMIT 1").fetchone()
        edited = value.replace(b"continuity", b"afis_access") if b"continuity" in value else value + b"."
        db.execute("UPDATE rows SET value = ? WHERE map = 'requests' AND key = ?", (edited, key))
    app = open_app(polled)
    try:
        with pytest.raises(DamagedSnapshot, match="run the command again"):
            summary(app.state)
    finally:
        app.close()
    assert not (ledger_dir / SNAPSHOT_FILE).exists() or SnapshotStore(ledger_dir).position is None
    itpc(polled, "tick", now=NOW)
    app = open_app(polled)
    try:
        assert summary(app.state) == summary(full_fold(ledger_dir))
    finally:
        app.close()


def test_a_snapshot_of_other_fold_code_is_not_used(polled, monkeypatch):
    monkeypatch.setattr("ledger.snapshot.fingerprint", lambda: "0" * 64)
    assert SnapshotStore(polled.parent / "ledger").position is None


def test_a_ledger_cut_before_the_position_is_folded_afresh(polled):
    ledger_dir = polled.parent / "ledger"
    path = ledger_dir / LEDGER_FILE
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-2]))  # shorter than the position the snapshot names
    app = open_app(polled)
    try:
        assert app._restored_at is None
        assert summary(app.state) == summary(full_fold(ledger_dir))
    finally:
        app.close()


def test_another_ledger_in_the_folder_is_folded_afresh(polled, tmp_path_factory):
    """A ledger restored from a backup, or another one copied over: same length, other entries."""
    ledger_dir = polled.parent / "ledger"
    other = tmp_path_factory.mktemp("other")
    config = make_config(other)
    for message in (C09, C01):  # the other order: other entries at the same places
        shutil.copy(message, other / "inbox" / "new" / message.name)
    itpc(config, "poll", "--once", now=NOW)
    shutil.copy(other / "ledger" / LEDGER_FILE, ledger_dir / LEDGER_FILE)
    app = open_app(polled)
    try:
        assert app._restored_at is None
        assert summary(app.state) == summary(full_fold(ledger_dir))
    finally:
        app.close()


def test_an_entry_edited_before_the_position_is_still_found_by_ledger_verify(polled):
    """The snapshot does not re-hash what it vouches for (as verified.json does not); `itpc ledger verify` and the
    signed checkpoints do."""
    ledger_dir = polled.parent / "ledger"
    path = ledger_dir / LEDGER_FILE
    text = path.read_text(encoding="utf-8")
    assert "LT302777111" in text or "LT" in text
    path.write_text(text.replace('"kind":"continuity"', '"kind":"afis_access"', 1), encoding="utf-8")
    proc = itpc(polled, "ledger", "verify", check=False)
    assert proc.returncode == 1 and "does not match its hash" in proc.stdout + proc.stderr


# -- the fold itself: restored and brought up to date equals folded from the start -----------------------------

AT = datetime(2026, 11, 23, 8, tzinfo=timezone.utc)
ACTIONS = st.lists(st.tuples(st.sampled_from(["register", "decide", "queue", "send", "hold", "requeue",
                                              "reparse", "mail"]),
                             st.integers(0, 5), st.sampled_from(["consent", "review", "refusal", "none"])),
                   min_size=1, max_size=40)


def write(ledger: Ledger, action: str, n: int, outcome: str, step: int) -> None:
    number, sha = f"ITPC-2026-{n + 1:06d}", f"{n:064x}"
    when = (AT + timedelta(minutes=step)).isoformat()
    if action == "mail":
        ledger.append(MAIL_RECEIVED, {"sha256": f"{step + 100:064x}", "message_id": f"<{step}@x.lt>",
                                      "received_at": when})
    elif action == "register":
        ledger.append(MAIL_RECEIVED, {"sha256": sha, "message_id": f"<{n}@x.lt>", "received_at": when})
        ledger.append(REQUEST_REGISTERED, {"number": number, "kind": "continuity", "message_id": f"<{n}@x.lt>",
                                           "received_at": when, "mail_sha256": sha,
                                           "attachments": [{"sha256": f"{step:064x}", "filename": "prasymas.pdf"}],
                                           "fields": {"eori": f"LT{n}", "systems": ["NCTS"]}})
    elif action == "reparse":
        ledger.append(REQUEST_REPARSED, {"request": number, "kind": "continuity", "received_at": when,
                                         "fields": {"eori": f"LT{n}"}})
    elif action == "decide":
        ledger.append(DECISION_MADE, {"request": number, "outcome": outcome, "rules": [], "period_from": when,
                                      "period_to": when, "consent_no": f"VTP-2026-{step + 1:06d}",
                                      "decided_by": "auto", "decided_at": when, "motives": [], "note": ""})
    elif action == "queue":
        ledger.append(MAIL_QUEUED, {"id": f"{number}/0/answer{step}", "request": number, "purpose": "answer",
                                    "to": ["a@x.lt"], "subject": "s", "sha256": sha, "date": when,
                                    "automatic": True})
    else:
        ident = f"{number}/0/answer{max(step - 1, 0)}"
        kind = {"send": MAIL_SENT, "hold": MAIL_HELD, "requeue": MAIL_REQUEUED}[action]
        ledger.append(kind, {"id": ident, "reason": "r", "by": "t"})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=ACTIONS, after=ACTIONS)
def test_a_state_restored_and_folded_on_equals_the_state_folded_from_the_start(tmp_path_factory, before, after):
    ledger_dir = tmp_path_factory.mktemp("fold") / "ledger"
    with Ledger(ledger_dir) as ledger:
        for step, (action, n, outcome) in enumerate(before):
            write(ledger, action, n, outcome, step)
        state, paths = State(), ArchivePaths()
        ledger.subscribe(state.apply)
        ledger.subscribe(paths.apply)
        store = SnapshotStore(ledger_dir)
        assert store.save(ledger.position, {"ledger.views:State": state,
                                            "ledger.checkpoints:ArchivePaths": paths}, since=None)
        store.close()
        for step, (action, n, outcome) in enumerate(after, start=len(before)):
            write(ledger, action, n, outcome, step)
    store = SnapshotStore(ledger_dir)
    with Ledger.at_position(ledger_dir, store.position) as ledger:
        restored, restored_paths = store.restore(State), store.restore(ArchivePaths)
        ledger.subscribe(restored.apply, since=store.position.seq)
        ledger.subscribe(restored_paths.apply, since=store.position.seq)
        # saved again from the restored state (only what was touched), then restored once more
        assert store.save(ledger.position, {"ledger.views:State": restored,
                                            "ledger.checkpoints:ArchivePaths": restored_paths},
                          since=store.position)
    again = SnapshotStore(ledger_dir).restore(State)
    expected = full_fold(ledger_dir)
    assert summary(restored) == summary(expected)
    assert summary(again) == summary(expected)
    full_paths = ArchivePaths()
    with Ledger(ledger_dir) as ledger:
        ledger.subscribe(full_paths.apply)
    assert sorted(restored_paths.paths) == sorted(full_paths.paths)
    assert restored_paths.digest() == full_paths.digest() == archive_digest(full_paths.paths)
