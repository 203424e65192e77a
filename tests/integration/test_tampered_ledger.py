"""Commands on a ledger whose entries no longer match their hashes (issue 12, item 16): writers refuse in one
line and do nothing, readers warn on stderr; only entries not verified before are re-hashed."""
from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

import ledger.store as store
from config import load_settings
from itpc import outbox
from itpc.app import App
from itpc.outbox import Outgoing
from ledger.clock import Clock
from ledger.entries import MAIL_SENT, OFFICER_NOTE
from ledger.store import LEDGER_FILE, VERIFIED_FILE, Ledger, TamperedLedger, check_file, encode_line
from responders.compose import compose
from tests.helpers import CORPUS, itpc, make_config

TRADER = "deklaracijos@imone.lt"
FORGED = "surinkejas@example.com"


def edit_in_place(path: Path, old: bytes, new: bytes) -> None:
    """What a careless or hostile hand does: change a value in the file, leave the hashes as they were."""
    data = path.read_bytes()
    assert data.count(old) >= 1
    path.write_bytes(data.replace(old, new))


@pytest.fixture()
def pending_letter(tmp_path):
    """A ledger holding a letter queued to the trader and not sent yet."""
    config = make_config(tmp_path)
    app = App(load_settings(config), Clock(datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc)))
    try:
        raw = compose(sender="ITPC@lrmuitine.lt", to=(TRADER,), subject="ITPC-2026-000001", body="Laba diena,",
                      message_id=outbox.message_id("ITPC-2026-000001/answer", "ITPC@lrmuitine.lt"),
                      automatic=True, date=app.clock())
        assert outbox.queue(app.ledger, app.state, app.archive,
                            Outgoing(id="ITPC-2026-000001/answer", request=None, purpose="answer", to=(TRADER,),
                                     subject="ITPC-2026-000001", raw=raw, date=app.clock()), daily_cap=10)
    finally:
        app.close()
    return config, tmp_path / "ledger" / LEDGER_FILE


def sent(tmp_path: Path) -> list[Path]:
    return list((tmp_path / "outbox" / "new").iterdir())


def test_poll_sends_a_pending_letter_from_an_intact_ledger(pending_letter, tmp_path):
    config, path = pending_letter
    itpc(config, "poll", "--once")
    assert len(sent(tmp_path)) == 1 and b'"type":"' + MAIL_SENT.encode() in path.read_bytes()


def test_poll_refuses_in_one_line_and_sends_nothing_when_a_pending_entry_was_edited(pending_letter, tmp_path):
    config, path = pending_letter
    edit_in_place(path, TRADER.encode(), FORGED.encode())
    before = path.read_bytes()
    proc = itpc(config, "poll", "--once", check=False)
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("itpc:")]
    assert len(errors) == 1 and "entry 1 does not match its hash" in errors[0] and "nothing was done" in errors[0]
    assert sent(tmp_path) == []
    assert path.read_bytes() == before


def test_tick_refuses_too(pending_letter, tmp_path):
    config, path = pending_letter
    edit_in_place(path, TRADER.encode(), FORGED.encode())
    proc = itpc(config, "tick", check=False)
    assert proc.returncode == 1 and "does not match its hash" in proc.stderr and sent(tmp_path) == []


C01 = CORPUS / "mail" / "c01-labels-plain.eml"


def test_requests_warns_on_stderr_about_an_edited_decision(tmp_path):
    config = make_config(tmp_path, outages={"page_directory": str(tmp_path / "page")})
    shutil.copy(C01, tmp_path / "inbox" / "new" / C01.name)
    itpc(config, "poll", "--once", now="2026-11-23T08:41:30")
    clean = itpc(config, "requests", "--json")
    assert "does not verify" not in clean.stderr
    path = tmp_path / "ledger" / LEDGER_FILE
    edit_in_place(path, b'"outcome":"consent"', b'"outcome":"refusal"')
    proc = itpc(config, "requests", "--json")
    assert proc.returncode == 0 and proc.stdout  # a reader still shows what it has
    assert "the ledger does not verify" in proc.stderr and "does not match its hash" in proc.stderr


def test_ledger_tail_warns_but_shows(pending_letter):
    config, path = pending_letter
    edit_in_place(path, TRADER.encode(), FORGED.encode())
    proc = itpc(config, "ledger", "tail")
    assert proc.returncode == 0 and FORGED in proc.stdout and "the ledger does not verify" in proc.stderr


# --- the store ----------------------------------------------------------------------------------------------

def notes(directory: Path, count: int, start: int = 0) -> None:
    with Ledger(directory) as ledger:
        for i in range(start, start + count):
            ledger.append(OFFICER_NOTE, {"request": "ITPC-2026-000001", "text": f"pastaba {i:05d}", "by": "jonas"})


def test_an_append_after_an_edited_entry_is_refused_in_one_line(tmp_path):
    notes(tmp_path, 5)
    edit_in_place(tmp_path / LEDGER_FILE, b"pastaba 00002", b"pastaba 99999")
    with Ledger(tmp_path) as ledger:
        assert ledger.damage == "entry 3 does not match its hash (changed after it was written)"
        with pytest.raises(TamperedLedger) as caught:
            ledger.append(OFFICER_NOTE, {"request": "ITPC-2026-000001", "text": "x", "by": "jonas"})
    assert "\n" not in str(caught.value) and "entry 3" in str(caught.value)
    with pytest.raises(TamperedLedger):
        with Ledger.for_appending(tmp_path) as ledger:
            ledger.append(OFFICER_NOTE, {"request": "ITPC-2026-000001", "text": "x", "by": "jonas"})
    assert check_file(tmp_path) == "entry 3 does not match its hash (changed after it was written)"


def test_an_edit_inside_the_prefix_already_verified_is_still_found(tmp_path):
    notes(tmp_path, 1500)  # more than VOUCH_AFTER: opening vouches for the prefix on disk
    with Ledger(tmp_path) as ledger:
        assert ledger.damage is None
    voucher = json.loads((tmp_path / VERIFIED_FILE).read_text())
    assert voucher["seq"] == 1500
    edit_in_place(tmp_path / LEDGER_FILE, b"pastaba 00010", b"pastaba 00011")
    with Ledger(tmp_path) as ledger:
        assert ledger.damage == "entry 11 does not match its hash (changed after it was written)"
    assert check_file(tmp_path) == ledger.damage


def test_entries_vouched_for_are_not_hashed_again(tmp_path, monkeypatch):
    notes(tmp_path, 1200)
    Ledger(tmp_path).close()  # verifies everything once and vouches for it
    notes(tmp_path, 3, start=1200)  # another process appends
    hashed = []
    real = store.entry_hash
    monkeypatch.setattr(store, "entry_hash", lambda *a: hashed.append(a[0]) or real(*a))
    with Ledger(tmp_path) as ledger:
        assert ledger.damage is None and len(ledger) == 1203
    assert hashed == [1201, 1202, 1203]


def test_a_tampered_line_appended_by_someone_else_is_found_on_refresh(tmp_path):
    notes(tmp_path, 2)
    with Ledger(tmp_path) as reader:
        notes(tmp_path, 1, start=2)
        obj = json.loads((tmp_path / LEDGER_FILE).read_bytes().splitlines()[-1])
        obj["data"]["text"] = "kita"
        lines = (tmp_path / LEDGER_FILE).read_bytes().splitlines(keepends=True)
        (tmp_path / LEDGER_FILE).write_bytes(b"".join(lines[:-1]) + encode_line(obj))
        reader.refresh()
        assert reader.damage == "entry 3 does not match its hash (changed after it was written)"


def test_a_reader_that_checks_the_file_vouches_for_it_as_an_open_does(tmp_path):
    notes(tmp_path, 1100)
    assert not (tmp_path / VERIFIED_FILE).exists()  # the writer's own appends need no re-hash
    assert check_file(tmp_path) is None
    voucher = json.loads((tmp_path / VERIFIED_FILE).read_text())
    assert voucher["seq"] == 1100 and voucher["offset"] == (tmp_path / LEDGER_FILE).stat().st_size
    with Ledger(tmp_path) as ledger:  # the open takes the reader's voucher
        assert ledger.damage is None and ledger.bytes_sha256 == voucher["sha256"]
