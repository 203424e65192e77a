"""Tampering with a ledger file: `verify_file` must name the first entry that no longer holds."""
from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from ledger.store import LEDGER_FILE, CorruptLedger, Ledger, encode_line, entry_hash
from ledger.verify import verify_file

ENTRIES = [
    ("mail.received", {"sha256": "a" * 64, "subject": "Prašymas taikyti veiklos tęstinumo procedūrą"}),
    ("request.registered", {"kind": "continuity", "fields": {"eori": "LT123456789", "systems": ["NCTS", "AIS"]}}),
    ("decision.consent", {"rules": ["1B-1029:12"], "period": {"from": "2025-03-03T08:00:00+02:00"}, "n": 2}),
    # a control character is written as \u001f: its hex digits are one more place a byte can change
    ("mail.queued", {"to": "muitine@example.lt", "note": "tab\there\x1f", "ok": True, "none": None}),
    ("mail.sent", {"smtp": "250 OK", "count": 1}),
]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> bytes:
    directory = tmp_path_factory.mktemp("pristine")
    with Ledger(directory) as ledger:
        for type_, data in ENTRIES:
            ledger.append(type_, data)
    return (directory / LEDGER_FILE).read_bytes()


@pytest.fixture()
def path(tmp_path) -> Path:
    return tmp_path / LEDGER_FILE


def lines_of(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True)


def test_the_untampered_ledger_verifies(pristine, path):
    path.write_bytes(pristine)
    verdict = verify_file(path)
    assert verdict.ok and verdict.entries == len(ENTRIES) and verdict.bad_seq is None
    assert str(verdict).startswith(f"ok: {len(ENTRIES)} entries")


def line_number_at(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


@pytest.mark.parametrize("mask", [0x01, 0x20, 0x80])
def test_a_flipped_bit_anywhere_is_found_on_its_own_line(pristine, path, mask):
    """Every byte position (data, hashes, ts, seq, keys, punctuation, newlines), three different bits."""
    missed = []
    for position in range(len(pristine)):
        damaged = bytearray(pristine)
        damaged[position] ^= mask
        path.write_bytes(damaged)
        verdict = verify_file(path)
        expected = line_number_at(pristine, position)
        if verdict.ok or verdict.bad_seq != expected:
            missed.append((position, chr(pristine[position]), verdict))
    assert missed == []


def test_an_escape_written_with_upper_case_hex_is_found(pristine, path):
    """Same JSON value, different bytes: still not what the ledger wrote."""
    assert pristine.count(b"\\u001f") == 1
    path.write_bytes(pristine.replace(b"\\u001f", b"\\u001F"))
    verdict = verify_file(path)
    assert (verdict.ok, verdict.bad_seq) == (False, 4)


@pytest.mark.parametrize("field, value", [
    ("ts", "2025-01-01T00:00:00.000000+00:00"),
    ("type", "decision.refusal"),
    ("data", {"rules": ["1B-1029:13"], "period": {"from": "2025-03-03T08:00:00+02:00"}, "n": 2}),
    ("hash", "b" * 64),
    ("prev", "c" * 64),
])
def test_a_changed_field_is_found_at_that_entry(pristine, path, field, value):
    lines = lines_of(pristine)
    obj = json.loads(lines[2])
    obj[field] = value
    lines[2] = encode_line(obj)
    path.write_bytes(b"".join(lines))
    verdict = verify_file(path)
    assert (verdict.ok, verdict.bad_seq) == (False, 3)


@pytest.mark.parametrize("removed", [0, 2, 3])
def test_a_removed_line_is_found_where_it_was(pristine, path, removed):
    lines = lines_of(pristine)
    del lines[removed]
    path.write_bytes(b"".join(lines))
    verdict = verify_file(path)
    assert (verdict.ok, verdict.bad_seq) == (False, removed + 1)
    assert "seq" in verdict.reason


@pytest.mark.parametrize("copied, at", [(1, 4), (4, 2), (0, 1)])
def test_an_inserted_copy_of_a_valid_entry_is_found(pristine, path, copied, at):
    lines = lines_of(pristine)
    lines.insert(at, lines[copied])
    path.write_bytes(b"".join(lines))
    verdict = verify_file(path)
    assert (verdict.ok, verdict.bad_seq) == (False, at + 1)


@pytest.mark.parametrize("first, second", [(0, 1), (1, 3), (3, 4)])
def test_two_swapped_lines_are_found_at_the_first(pristine, path, first, second):
    lines = lines_of(pristine)
    lines[first], lines[second] = lines[second], lines[first]
    path.write_bytes(b"".join(lines))
    verdict = verify_file(path)
    assert (verdict.ok, verdict.bad_seq) == (False, first + 1)


def rewrite_with_valid_hash(lines: list[bytes], index: int, **changes) -> None:
    obj = json.loads(lines[index])
    obj.update(changes)
    obj["hash"] = entry_hash(obj["seq"], obj["ts"], obj["type"], obj["data"], obj["prev"])
    lines[index] = encode_line(obj)


def test_a_changed_value_with_its_hash_recomputed_breaks_the_chain_at_the_next_entry(pristine, path):
    lines = lines_of(pristine)
    rewrite_with_valid_hash(lines, 1, data={"kind": "continuity", "fields": {"eori": "LT999999999"}})
    path.write_bytes(b"".join(lines))
    verdict = verify_file(path)
    assert (verdict.ok, verdict.bad_seq) == (False, 3)
    assert "prev" in verdict.reason
    assert "seq 3" in str(verdict)


def test_rewriting_the_last_entry_or_cutting_the_tail_changes_the_head(pristine, path):
    """The chain cannot see a consistently rewritten or removed tail; the head hash an auditor kept can."""
    path.write_bytes(pristine)
    kept_head = verify_file(path).head

    lines = lines_of(pristine)
    rewrite_with_valid_hash(lines, len(lines) - 1, data={"smtp": "550 rejected", "count": 1})
    path.write_bytes(b"".join(lines))
    rewritten = verify_file(path)
    assert rewritten.ok and rewritten.head != kept_head

    path.write_bytes(b"".join(lines_of(pristine)[:-1]))
    cut = verify_file(path)
    assert cut.ok and cut.entries == len(ENTRIES) - 1 and cut.head != kept_head


def test_a_torn_last_line_is_reported_not_crashed_on(pristine, path):
    path.write_bytes(pristine[:-10])
    verdict = verify_file(path)
    assert (verdict.ok, verdict.bad_seq) == (False, len(ENTRIES))
    assert "torn" in verdict.reason


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_any_single_byte_change_is_detected_or_refused_on_opening(pristine, data):
    position = data.draw(st.integers(0, len(pristine) - 1), label="position")
    new_byte = data.draw(st.integers(0, 255).filter(lambda b: b != pristine[position]), label="byte")
    damaged = bytearray(pristine)
    damaged[position] = new_byte
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / LEDGER_FILE
        path.write_bytes(damaged)
        verdict = verify_file(path)
        assert not verdict.ok
        assert verdict.bad_seq == line_number_at(pristine, position)
        # Opening re-checks structure and chaining but not hashes (verify_file's job): it either refuses
        # with an error naming a line, or opens (a damaged final newline reads as a torn write). No crash.
        try:
            with Ledger(Path(tmp), lock_timeout=1) as ledger:
                assert len(ledger) >= len(ENTRIES) - 1
        except CorruptLedger as exc:
            assert re.match(r"line \d+ ", str(exc)), str(exc)


def test_verify_reports_a_damaged_copy_without_touching_it(pristine, path, tmp_path):
    damaged = pristine.replace(b"NCTS", b"NCTZ")
    path.write_bytes(damaged)
    copy = tmp_path / "copy.jsonl"
    shutil.copyfile(path, copy)
    assert verify_file(path).bad_seq == 2
    assert path.read_bytes() == copy.read_bytes()
