"""`itpc ledger verify|export|tail|backup|query` on real files, as an operator would use them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.clock import Clock, parse_instant
from ledger.store import Ledger
from tests.helpers import ROOT, itpc, make_config


@pytest.fixture()
def filled(tmp_path):
    config = make_config(tmp_path)
    with Ledger(tmp_path / "ledger") as ledger:
        for i in range(1, 8):
            ledger.append("test.entry", {"n": i, "text": f"įrašas {i}", "nested": {"list": [i, None, True]}})
    return config, tmp_path / "ledger" / "ledger.jsonl"


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_verify_accepts_an_untouched_ledger(filled):
    config, _ = filled
    proc = itpc(config, "ledger", "verify")
    assert proc.stdout.startswith("ok: 7 entries")


def flip_byte(lines):
    line = bytearray(lines[3])
    at = line.index(b"\xc4")  # inside "įrašas": still valid UTF-8 after the change? no matter, must be caught
    line[at + 1] ^= 0x01
    lines[3] = bytes(line)
    return lines, 4


def flip_digit(lines):
    lines[4] = lines[4].replace(b'"n":5', b'"n":6')
    return lines, 5


def remove_line(lines):
    del lines[2]
    return lines, 3


def insert_line(lines):
    lines.insert(5, lines[1])
    return lines, 6


def swap_lines(lines):
    lines[3], lines[4] = lines[4], lines[3]
    return lines, 4


@pytest.mark.parametrize("tamper", [flip_byte, flip_digit, remove_line, insert_line, swap_lines])
def test_verify_names_the_first_bad_entry(filled, tamper):
    config, path = filled
    lines, bad = tamper(lines_of(path))
    path.write_bytes(b"".join(lines))
    proc = itpc(config, "ledger", "verify", check=False)
    assert proc.returncode == 1
    assert f"bad entry at seq {bad}" in proc.stdout


def test_export_prints_one_json_object_per_entry(filled):
    config, path = filled
    out = itpc(config, "ledger", "export", "--json").stdout.splitlines()
    assert [json.loads(line) for line in out] == [json.loads(line) for line in lines_of(path)]


def test_tail_shows_the_last_entries(filled):
    config, _ = filled
    out = itpc(config, "ledger", "tail", "-n", "2").stdout.splitlines()
    assert len(out) == 2
    assert out[0].split()[0] == "6" and "įrašas 6" in out[0]
    assert out[1].split()[0] == "7" and "įrašas 7" in out[1]


def test_backup_is_a_verified_copy_and_refuses_a_used_destination(filled, tmp_path):
    config, path = filled
    dest = tmp_path / "backup"
    proc = itpc(config, "ledger", "backup", str(dest))
    assert "ok: 7 entries" in proc.stdout
    assert (dest / "ledger.jsonl").read_bytes() == path.read_bytes()
    again = itpc(config, "ledger", "backup", str(dest), check=False)
    assert again.returncode == 1 and "not empty" in again.stderr


def test_now_sets_the_clock_of_appended_entries(tmp_path):
    clock = Clock(parse_instant("2026-11-23T08:45"))
    with Ledger(tmp_path / "ledger", clock=clock) as ledger:
        entry = ledger.append("test.entry", {})
    assert entry.ts.startswith("2026-11-23T06:45:00")  # Vilnius 08:45 is 06:45 UTC in winter


def test_a_damaged_line_is_reported_not_a_traceback(filled):
    config, path = filled
    lines = lines_of(path)
    lines[2] = b"{not json}\n"
    path.write_bytes(b"".join(lines))
    proc = itpc(config, "ledger", "tail", check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "itpc: line 3 is not valid JSON (Expecting property name enclosed in double quotes)"


# --- itpc ledger query ---------------------------------------------------------------------------------------

@pytest.fixture()
def decided(tmp_path):
    config = make_config(tmp_path)
    with Ledger(tmp_path / "ledger") as ledger:
        ledger.append("request.registered", {"number": "ITPC-2026-000001", "fields": {"eori": "LT302777111"}})
        ledger.append("decision.made", {"request": "ITPC-2026-000001", "outcome": "refusal", "count": 5})
        ledger.append("request.registered", {"number": "ITPC-2026-000002", "fields": {"eori": "LT165443322"}})
        ledger.append("decision.made", {"request": "ITPC-2026-000002", "outcome": "consent", "count": 1})
        ledger.append("test.flags", {"flag": True, "one": 1, "text": "1", "note": None})
    return config, tmp_path / "ledger" / "ledger.jsonl"


def query(config, *args, check=True):
    return itpc(config, "ledger", "query", *args, check=check)


def seqs(proc) -> list[int]:
    return [json.loads(line)["seq"] for line in proc.stdout.splitlines()]


def test_query_prints_the_matching_entries_as_export_does(decided):
    config, path = decided
    proc = query(config, "--type", "decision.made", "--where", 'data.outcome == "refusal"')
    assert [json.loads(line) for line in proc.stdout.splitlines()] == [json.loads(lines_of(path)[1])]


def test_query_without_conditions_prints_every_entry(decided):
    config, path = decided
    assert [json.loads(line) for line in query(config).stdout.splitlines()] == [
        json.loads(line) for line in lines_of(path)]


def test_query_prints_the_very_lines_export_prints(filled):
    config, _ = filled
    exported = itpc(config, "ledger", "export", "--json").stdout.splitlines(keepends=True)
    assert query(config, "--where", "data.n > 5").stdout == "".join(exported[5:])
    assert query(config).stdout == "".join(exported)


def test_query_conditions_must_all_hold_and_types_are_alternatives(decided):
    config, _ = decided
    assert seqs(query(config, "--where", "data.count >= 1", "--where", "data.count < 5")) == [4]
    assert seqs(query(config, "--type", "decision.made", "--type", "test.flags")) == [2, 4, 5]
    assert seqs(query(config, "--where", "data.outcome != refusal")) == [4]  # without the field: no match
    assert seqs(query(config, "--where", "data.fields.eori ~ ^LT30")) == [1]
    assert seqs(query(config, "--where", "ts >= 2000-01-01", "--where", "seq > 3")) == [4, 5]


@pytest.mark.parametrize("condition, expected", [
    ("data.flag == true", [5]), ("data.flag == 1", []), ("data.one == 1", [5]), ("data.one == true", []),
    ('data.text == "1"', [5]), ("data.text == 1", []), ("data.note == null", [5]), ("data.one < x", []),
])
def test_query_compares_values_of_the_same_kind_only(decided, condition, expected):
    config, _ = decided
    assert seqs(query(config, "--where", condition)) == expected


@pytest.mark.parametrize("condition, says", [
    ("outcome == refusal", "unknown field 'outcome'"),
    ("data == 1", "unknown field 'data'"),
    ("data.fields.eori ~ (LT", "bad regular expression"),
    ("data.outcome = refusal", "expected FIELD OP VALUE"),
    ("data.outcome ==", "no value after =="),
    ('__import__("os").system("touch pwned") == 1', "expected FIELD OP VALUE"),
    ('data.outcome == "refusal" or True', "is not one string in double quotes"),
    ('data.outcome == {"$ne": null}', "compare with a number, true, false, null or a text"),
])
def test_a_hostile_where_is_a_one_line_error_and_changes_nothing(decided, tmp_path, condition, says):
    config, path = decided
    before = path.read_bytes()
    proc = query(config, "--where", condition, check=False)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith(f"itpc: --where {condition!r}: ")
    assert says in proc.stderr
    assert path.read_bytes() == before
    assert not any(tmp_path.rglob("pwned")) and not (ROOT / "pwned").exists()


def test_a_key_named_like_an_attribute_is_only_a_key(decided):
    config, _ = decided
    assert seqs(query(config, "--where", "data.__class__ == dict", "--where", "data.test == 1")) == []
