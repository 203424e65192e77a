"""`itpc ledger verify|export|tail|backup` on real files, as an operator would use them."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.clock import Clock, parse_instant
from ledger.store import Ledger

from tests.helpers import itpc, make_config


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
