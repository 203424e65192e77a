"""The ETD files folded from `etd.*` entries (ledger.etd_views): numbering, standing after each decision, lookup
by either number, and a fold that survives pickling (checkpoints of folded state keep it)."""
from __future__ import annotations

import pickle
from datetime import datetime

from ledger.clock import VILNIUS
from ledger.entries import ETD_DECIDED, ETD_DOCUMENT_ATTACHED, ETD_OPENED, MAIL_QUEUED
from ledger.etd_views import EtdView
from ledger.store import Entry


def entry(seq: int, type_: str, data: dict) -> Entry:
    return Entry(seq=seq, ts="2026-12-04T13:00:00+00:00", type=type_, data=data, prev="0" * 64, hash="0" * 64)


def opened(number: str, msvs: str) -> dict:
    return {"number": number, "msvs_number": msvs, "accepted_on": "2026-12-04T13:00:00+00:00", "company": "UAB X",
            "eori": "LT123456789", "carrier": "airline", "aeo": None, "offices": [], "procedures_per_month": 6,
            "procedures_per_year": None, "movements_per_month": 30, "movements_per_year": None, "by": "t"}


def decided(number: str, action: str) -> dict:
    return {"file": number, "action": action, "effective": "2026-12-05T00:00:00+00:00", "motives": [],
            "rules": [], "by": "t", "decided_at": "2026-12-05T00:00:00+00:00"}


def test_files_are_numbered_per_year_and_found_by_either_number():
    view = EtdView()
    view.apply(entry(1, ETD_OPENED, opened("ETD-2026-000001", "LTETD1")))
    view.apply(entry(2, ETD_OPENED, opened("ETD-2026-000002", "LTETD2")))
    assert view.next_number(datetime(2026, 12, 31, 23, 30, tzinfo=VILNIUS)) == "ETD-2026-000003"
    assert view.next_number(datetime(2027, 1, 1, 0, 30, tzinfo=VILNIUS)) == "ETD-2027-000001"
    assert view.find(" etd-2026-000002 ").number == "ETD-2026-000002"
    assert view.find("ltetd1").number == "ETD-2026-000001"
    assert view.find("LTETD9") is None


def test_the_standing_follows_the_decisions_and_other_entries_are_ignored():
    view = EtdView()
    view.apply(entry(1, ETD_OPENED, opened("ETD-2026-000001", "LTETD1")))
    view.apply(entry(2, MAIL_QUEUED, {"id": "x"}))
    file = view.files["ETD-2026-000001"]
    assert file.status == "applied" and file.open
    for seq, (action, status) in enumerate([("grant", "granted"), ("suspend", "suspended"),
                                            ("reinstate", "granted"), ("revoke", "revoked")], start=3):
        view.apply(entry(seq, ETD_DECIDED, decided("ETD-2026-000001", action)))
        assert file.status == status
    assert not file.open and file.last_grant["seq"] == 3
    view.apply(entry(9, ETD_DOCUMENT_ATTACHED, {"file": "ETD-2026-000009", "kind": "application"}))  # no such file
    assert file.documents == []


def test_the_fold_pickles():
    view = EtdView()
    view.apply(entry(1, ETD_OPENED, opened("ETD-2026-000001", "LTETD1")))
    view.apply(entry(2, ETD_DECIDED, decided("ETD-2026-000001", "grant")))
    again = pickle.loads(pickle.dumps(view))
    assert again.files["ETD-2026-000001"].status == "granted" and again.counters == {2026: 1}
