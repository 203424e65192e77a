"""The append-only ledger on real files: appends, reopening, UTC time, the TinyDB query layer, immutability,
torn-tail recovery and refusal of a damaged file."""
from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import re
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import rfc8785
from hypothesis import example, given, settings, strategies as st
from tinydb import Query

from ledger import query
from ledger.query import database
from ledger.store import (LEDGER_FILE, TORN_DIR, CorruptLedger, FrozenDict, ImmutableEntry, Ledger, LedgerError,
                          LineHasher, _general_line, _json_only, _plain_line, canonical_json, encode_line, entry_hash,
                          freeze, thaw)
from ledger.verify import verify_file
from tests.helpers import ROOT

VILNIUS = ZoneInfo("Europe/Vilnius")
Entry = Query()


def sample(i: int) -> dict:
    return {"n": i, "text": f"Prašymas Nr. {i}: „Šiaulių“ muitinė, ąčęėįšųūž", "nested": {"list": [i, None, True, {"k": "v"}]}}


@pytest.fixture()
def ledger_dir(tmp_path: Path) -> Path:
    return tmp_path / "ledger"


def file_of(directory: Path) -> Path:
    return directory / LEDGER_FILE


# --- appending, reopening, time ---------------------------------------------------------------------

def test_appended_entries_verify_and_survive_reopening(ledger_dir):
    with Ledger(ledger_dir) as ledger:
        written = [ledger.append("test.entry", sample(i)).as_dict() for i in range(1, 6)]
        head = ledger.head
    verdict = verify_file(file_of(ledger_dir))
    assert verdict.ok and verdict.entries == 5 and verdict.head == head, verdict
    with Ledger(ledger_dir) as reopened:
        assert [e.as_dict() for e in reopened] == written
        assert [e.seq for e in reopened] == [1, 2, 3, 4, 5]
        assert reopened.head == head
        assert reopened.entries[2].data["text"] == sample(3)["text"]
        assert reopened.append("test.entry", sample(6)).seq == 6
    assert verify_file(file_of(ledger_dir)).entries == 6


def test_entries_chain_to_each_other_from_the_genesis_hash(ledger_dir):
    with Ledger(ledger_dir) as ledger:
        first = ledger.append("a", {})
        second = ledger.append("b", {"x": 1})
    assert first.prev == "0" * 64
    assert second.prev == first.hash
    assert second.hash == entry_hash(2, second.ts, "b", {"x": 1}, first.hash)


def test_file_is_one_json_object_per_line_with_unescaped_lithuanian(ledger_dir):
    with Ledger(ledger_dir) as ledger:
        ledger.append("test.entry", sample(1))
    text = file_of(ledger_dir).read_text(encoding="utf-8")
    assert text.endswith("\n") and text.count("\n") == 1
    assert "ąčęėįšųūž" in text
    assert set(json.loads(text)) == {"seq", "ts", "type", "data", "prev", "hash"}


def test_timestamps_are_stored_in_utc(ledger_dir):
    local = datetime(2025, 3, 30, 5, 30, tzinfo=VILNIUS)  # summer time (UTC+3) since 04:00 that morning
    with Ledger(ledger_dir, clock=lambda: local) as ledger:
        by_clock = ledger.append("t", {})
        given_ts = ledger.append("t", {}, ts=datetime(2025, 7, 1, 12, 0, tzinfo=VILNIUS))
    assert by_clock.ts == "2025-03-30T02:30:00.000000+00:00"
    assert by_clock.at == local
    assert given_ts.ts == "2025-07-01T09:00:00.000000+00:00"
    assert by_clock.at.utcoffset() == timedelta(0)


def test_system_clock_entries_are_utc_and_current(ledger_dir):
    before = datetime.now(timezone.utc)
    with Ledger(ledger_dir) as ledger:
        entry = ledger.append("t", {})
    assert entry.ts.endswith("+00:00")
    assert before <= entry.at <= datetime.now(timezone.utc)


@pytest.mark.parametrize("type_, data, ts, error", [
    ("", {}, None, ValueError),                                          # no type
    ("t", {"when": datetime(2025, 1, 1)}, None, TypeError),              # not JSON
    ("t", {"n": 2**53}, None, ValueError),                               # beyond RFC 8785's integers
    ("t", {"x": float("nan")}, None, ValueError),                        # not representable in JSON
    ("t", {}, datetime(2025, 1, 1, 12, 0), ValueError),                  # naive time: which zone?
])
def test_bad_appends_are_refused_and_change_nothing(ledger_dir, type_, data, ts, error):
    with Ledger(ledger_dir) as ledger:
        ledger.append("t", {"n": 1})
        before = file_of(ledger_dir).read_bytes()
        with pytest.raises(error):
            ledger.append(type_, data, ts=ts)
        assert file_of(ledger_dir).read_bytes() == before
        assert ledger.append("t", {"n": 2}).seq == 2  # no sequence number was used up
    assert verify_file(file_of(ledger_dir)).ok


def test_two_instances_in_one_process_continue_one_chain(ledger_dir):
    with Ledger(ledger_dir) as a, Ledger(ledger_dir) as b:
        a.append("t", {"by": "a"})
        assert b.append("t", {"by": "b"}).seq == 2  # b folds a's entry in under the lock before appending
        assert len(a) == 1
        a.refresh()
        assert [e.data["by"] for e in a] == ["a", "b"]
    assert verify_file(file_of(ledger_dir)).entries == 2


def test_subscribers_see_past_and_future_entries(ledger_dir):
    seen: list[int] = []
    with Ledger(ledger_dir) as ledger:
        ledger.append("t", {})
        ledger.subscribe(lambda entry: seen.append(entry.seq))
        ledger.append("t", {})
    assert seen == [1, 2]


# --- TinyDB as the query layer ----------------------------------------------------------------------

def test_queries_see_entries_appended_after_an_earlier_query(ledger_dir):
    with Ledger(ledger_dir) as ledger:
        ledger.append("mail.received", {"n": 1})
        assert len(database(ledger).search(Entry.type == "mail.received")) == 1  # fills TinyDB's query cache
        ledger.append("mail.received", {"n": 2})
        ledger.append("request.registered", {"n": 3})
        found = database(ledger).search(Entry.type == "mail.received")
        assert [doc["data"]["n"] for doc in found] == [1, 2]
        assert database(ledger).count(Entry.data.n >= 2) == 2
        assert database(ledger).get(doc_id=3)["type"] == "request.registered"
        assert database(ledger).contains(doc_id=3) and not database(ledger).contains(doc_id=4)
        assert len(database(ledger)) == 3
        assert [doc.doc_id for doc in database(ledger).all()] == [1, 2, 3]


def test_queries_see_entries_another_instance_appended(ledger_dir):
    with Ledger(ledger_dir) as reader, Ledger(ledger_dir) as writer:
        assert database(reader).search(Entry.type == "t") == []
        writer.append("t", {"n": 1})
        reader.refresh()
        assert [doc["seq"] for doc in database(reader).search(Entry.type == "t")] == [1]


def test_tinydb_is_loaded_and_built_only_by_a_query(ledger_dir):
    # The store never imports the query layer (so never TinyDB); a query builds it once, then it follows.
    tree = ast.parse((ROOT / "ledger" / "store.py").read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.startswith(("tinydb", "ledger.query"))}
    with Ledger(ledger_dir) as ledger:
        ledger.append("t", {"n": 1})
        assert ledger not in query._DATABASES
        assert len(database(ledger)) == 1 and database(ledger) is database(ledger)
        ledger.append("t", {"n": 2})
        assert [d["data"]["n"] for d in database(ledger).all()] == [1, 2]


def test_a_query_layer_built_late_sees_every_entry_read_before(ledger_dir):
    with Ledger(ledger_dir) as writer:
        for i in range(3):
            writer.append("t", {"n": i})
    with Ledger(ledger_dir) as ledger:
        ledger.append("u", {"n": 3})
        assert [doc.doc_id for doc in database(ledger).all()] == [1, 2, 3, 4]
        assert thawed(database(ledger).get(doc_id=4)) == thawed(ledger.entries[3].as_dict())


WRITES = {
    "insert": lambda db: db.insert({"type": "forged"}),
    "insert_multiple": lambda db: db.insert_multiple([{"type": "forged"}]),
    "update": lambda db: db.update({"type": "forged"}, Entry.seq == 1),
    "update_all": lambda db: db.update({"type": "forged"}),
    "upsert": lambda db: db.upsert({"type": "forged", "seq": 1}, Entry.seq == 1),
    "remove": lambda db: db.remove(Entry.seq == 1),
    "remove_by_id": lambda db: db.remove(doc_ids=[1]),
    "truncate": lambda db: db.truncate(),
    "drop_tables": lambda db: db.drop_tables(),
    "drop_table": lambda db: db.drop_table("_default"),
    "other_table_insert": lambda db: db.table("other").insert({"type": "forged"}),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_tinydb_writes_are_refused_and_leave_the_file_byte_identical(ledger_dir, write):
    with Ledger(ledger_dir) as ledger:
        for i in range(3):
            ledger.append("t", sample(i))
        before = file_of(ledger_dir).read_bytes()
        with pytest.raises(ImmutableEntry):
            write(database(ledger))
        assert file_of(ledger_dir).read_bytes() == before
        assert [doc["type"] for doc in database(ledger).all()] == ["t", "t", "t"]
        assert len(ledger) == 3
    assert verify_file(file_of(ledger_dir)).ok


MUTATIONS = {
    "entry data key": lambda e, doc: e.data.__setitem__("n", 99),
    "entry nested dict": lambda e, doc: e.data["nested"].__setitem__("list", []),
    "entry nested dict in list": lambda e, doc: e.data["nested"]["list"][3].__setitem__("k", "x"),
    "entry data delete": lambda e, doc: e.data.__delitem__("n"),
    "entry data pop": lambda e, doc: e.data.pop("n"),
    "entry data update": lambda e, doc: e.data.update(n=99),
    "entry data setdefault": lambda e, doc: e.data.setdefault("new", 1),
    "entry data clear": lambda e, doc: e.data.clear(),
    "document top level": lambda e, doc: doc.__setitem__("type", "forged"),
    "document data": lambda e, doc: doc["data"].__setitem__("n", 99),
    "document nested": lambda e, doc: doc["data"]["nested"].update(list=[]),
    "document delete": lambda e, doc: doc.__delitem__("hash"),
}


@pytest.mark.parametrize("mutate", MUTATIONS.values(), ids=MUTATIONS.keys())
def test_entries_handed_out_cannot_be_changed(ledger_dir, mutate):
    with Ledger(ledger_dir) as ledger:
        ledger.append("t", sample(1))
        before = file_of(ledger_dir).read_bytes()
        entry = ledger.entries[0]
        doc = database(ledger).search(Entry.type == "t")[0]
        with pytest.raises(ImmutableEntry):
            mutate(entry, doc)
        # neither the file, the entry, nor what the next (cached) query returns has changed
        assert file_of(ledger_dir).read_bytes() == before
        again = database(ledger).search(Entry.type == "t")[0]
        assert thawed(again) == thawed(ledger.entries[0].as_dict()) == json.loads(before)


def thawed(value):
    return json.loads(json.dumps(value))


def test_lists_in_entries_are_tuples_and_entries_are_frozen_dataclasses(ledger_dir):
    with Ledger(ledger_dir) as ledger:
        entry = ledger.append("t", sample(1))
    with pytest.raises(TypeError):
        entry.data["nested"]["list"][0] = 5  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.seq = 7  # type: ignore[misc]
    plain = entry.as_dict()
    plain["data"]["nested"]["list"].append("mine")  # as_dict is the caller's own, mutable copy
    assert entry.data["nested"]["list"] == (1, None, True, {"k": "v"})


# --- torn tail and damaged files --------------------------------------------------------------------

def fill(directory: Path, count: int) -> bytes:
    with Ledger(directory) as ledger:
        for i in range(1, count + 1):
            ledger.append("t", sample(i))
    return file_of(directory).read_bytes()


@pytest.mark.parametrize("cut", [1, 40, -1], ids=["one byte", "part", "all but the newline"])
def test_torn_last_line_is_moved_aside_and_recorded(ledger_dir, cut):
    intact = fill(ledger_dir, 3)
    partial = json.dumps({"seq": 4, "ts": "x", "type": "t", "data": sample(4)}, ensure_ascii=False).encode()[:cut]
    with open(file_of(ledger_dir), "ab") as fh:  # a crash mid-append leaves bytes without a newline
        fh.write(partial)
    assert not verify_file(file_of(ledger_dir)).ok

    with Ledger(ledger_dir) as ledger:
        assert len(ledger) == 4
        recovered = ledger.entries[-1]
        assert recovered.type == "ledger.recovered"
        assert recovered.data["torn_bytes"] == len(partial)
        assert recovered.data["sha256"] == hashlib.sha256(partial).hexdigest()
        assert recovered.data["after_seq"] == 3
        aside = ledger_dir / recovered.data["moved_to"]
        assert aside.parent == ledger_dir / TORN_DIR
        assert aside.read_bytes() == partial
        ledger.append("t", sample(5))
    data = file_of(ledger_dir).read_bytes()
    assert data.startswith(intact)
    verdict = verify_file(file_of(ledger_dir))
    assert verdict.ok and verdict.entries == 5


def test_a_ledger_that_is_only_a_torn_line_recovers_to_seq_one(ledger_dir):
    ledger_dir.mkdir()
    file_of(ledger_dir).write_bytes('{"seq":1,"ts":"2025-'.encode())
    with Ledger(ledger_dir) as ledger:
        assert [(e.seq, e.type) for e in ledger] == [(1, "ledger.recovered")]
    assert verify_file(file_of(ledger_dir)).ok


BAD_LINES = {
    "not json": b"this is not json\n",
    "json but no entry": b'{"seq": 3}\n',
    "json array": b"[1, 2, 3]\n",
    "invalid utf-8": b'{"seq":3,"text":"\xff\xfe"}\n',
    "nul bytes": b"\x00\x00\x00\x00\n",
    "empty line": b"\n",
    "bool seq": None,  # built below: a well-formed entry whose seq is `true`
}


@pytest.mark.parametrize("name", BAD_LINES)
@pytest.mark.parametrize("torn_tail_too", [False, True])
def test_a_bad_line_in_the_middle_refuses_to_open_and_leaves_the_file_alone(ledger_dir, name, torn_tail_too):
    fill(ledger_dir, 4)
    lines = file_of(ledger_dir).read_bytes().splitlines(keepends=True)
    bad = BAD_LINES[name]
    if bad is None:
        obj = json.loads(lines[0])
        obj["seq"] = True
        bad = (json.dumps(obj) + "\n").encode()
        position = 0
    else:
        position = 2
    lines[position] = bad
    damaged = b"".join(lines) + (b'{"seq":5,' if torn_tail_too else b"")
    file_of(ledger_dir).write_bytes(damaged)

    with pytest.raises(CorruptLedger, match=f"line {position + 1}"):
        Ledger(ledger_dir)
    assert file_of(ledger_dir).read_bytes() == damaged
    assert not (ledger_dir / TORN_DIR).exists()
    assert verify_file(file_of(ledger_dir)).bad_seq == position + 1


def test_refusing_to_open_releases_files_and_lock(ledger_dir):
    fill(ledger_dir, 2)
    with open(file_of(ledger_dir), "r+b") as fh:
        fh.write(b"X")
    for _ in range(50):
        with pytest.raises(CorruptLedger):
            Ledger(ledger_dir, lock_timeout=0.1)
    file_of(ledger_dir).unlink()
    with Ledger(ledger_dir, lock_timeout=0.1) as ledger:  # the lock was not left held by a failed open
        with ledger.writing():
            assert ledger.append("t", {}).seq == 1


# --- properties -------------------------------------------------------------------------------------

# RFC 8785 numbers are IEEE doubles: the ledger refuses larger integers (tested above).
SAFE_INT = 2**53 - 1
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-SAFE_INT, SAFE_INT) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
entry_types = st.text(min_size=1, max_size=20)
appends = st.lists(st.tuples(entry_types, st.dictionaries(st.text(max_size=8), json_values, max_size=4)),
                   min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(appends)
def test_any_sequence_of_appends_verifies_and_round_trips(batch):
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        with Ledger(directory) as ledger:
            written = [ledger.append(type_, data) for type_, data in batch]
        verdict = verify_file(file_of(directory))
        assert verdict.ok and verdict.entries == len(batch) and verdict.head == written[-1].hash
        with Ledger(directory) as reopened:
            assert [(e.type, thawed(e.data)) for e in reopened] == [(t, d) for t, d in batch]
            assert [e.as_dict() for e in reopened] == [e.as_dict() for e in written]


any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=15,
)


def outcome(fn, value):
    try:
        return fn(value)
    except ValueError as exc:
        return type(exc)


@settings(max_examples=400, deadline=None)
@given(any_json)
def test_canonical_json_is_byte_identical_to_rfc8785(value):
    # The ledger hashes with a fast path; an outside auditor re-hashing with any RFC 8785 tool must agree.
    assert outcome(canonical_json, value) == outcome(rfc8785.dumps, value)


@pytest.mark.parametrize("value", [
    {"\U0001F600": 1, "\ue000": 2},   # key order differs between code points and UTF-16 units
    {"a": 1.0, "b": -0.0, "c": 1e21, "d": 1e-7},  # ECMAScript number format
    {"s": "\x00\x1f\x7f\u2028\"\\"},   # escapes
    {"n": SAFE_INT, "m": -SAFE_INT},
])
def test_canonical_json_edge_cases_match_rfc8785(value):
    assert canonical_json(value) == rfc8785.dumps(value)


# What an append may be handed: floats (NaN too), integers beyond RFC 8785's, astral and surrogate characters,
# non-string keys, tuples and frozen values (an entry's data passed on), not only what the fast path takes.
append_data = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(-SAFE_INT, SAFE_INT) | st.floats() | st.text()
    | st.sampled_from(["\U0001F600", "\ud800", "\ue000", "a/b", "\x00\x1f\u2028\"\\"]),
    lambda inner: (st.lists(inner, max_size=4) | st.lists(inner, max_size=3).map(tuple)
                   | st.dictionaries(st.text(max_size=6) | st.integers(-3, 3) | st.booleans(), inner, max_size=4)
                   | st.dictionaries(st.text(max_size=6), inner, max_size=4).map(freeze)),
    max_leaves=15,
)


def frozen_throughout(value) -> bool:
    if isinstance(value, dict):
        return type(value) is FrozenDict and all(frozen_throughout(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return type(value) is tuple and all(frozen_throughout(v) for v in value)
    return True


def appended_by_definition(seq, ts, type_, data, prev):
    """What append wrote before it had a fast path: a json round trip, ``entry_hash``, ``encode_line``, ``freeze``."""
    plain = json.loads(json.dumps(thaw(data)))
    digest = entry_hash(seq, ts, type_, plain, prev)
    line = encode_line({"seq": seq, "ts": ts, "type": type_, "data": plain, "prev": prev, "hash": digest})
    return line, digest, freeze(plain)


def appended_now(seq, ts, type_, data, prev):
    frozen, plain = _json_only(data)
    line, digest = (_plain_line if plain else _general_line)(seq, ts, type_, frozen, prev)
    assert frozen_throughout(frozen)
    return line, digest, frozen


@settings(max_examples=1500, deadline=None)
@given(append_data, st.text(min_size=1, max_size=8) | st.sampled_from(["mail.queued", "t\U0001F600", "\ud800"]),
       st.text(max_size=8), st.integers(1, 10**9), st.sampled_from(["0" * 64, "a" * 64, "ą\U0001F600", "\"\\"]))
@example({"\U0001F600": 1, "\ue000": 2}, "t", "", 1, "0" * 64)  # keys ordered otherwise in UTF-16
@example({"x": 1.5, "big": 2**53}, "t", "", 1, "0" * 64)
@example({1: "a", "1": "b"}, "t", "", 1, "0" * 64)  # json.dumps makes the key a string: the later one stays
@example({"b": "\U0001F600", "a": ["\ue000", "\ud7ff"]}, "t\ue000", "", 1, "0" * 64)  # wide values, plain keys
def test_an_append_writes_the_bytes_hash_and_data_of_the_definitions(data, type_, ts, seq, prev):
    # The line and hash are built from pieces for plain data; they must be exactly those of encode_line and
    # entry_hash (an old ledger verifies, an auditor's RFC 8785 tool agrees), errors included.
    def outcome(how):
        try:
            line, digest, frozen = how(seq, ts, type_, data, prev)
        except (ValueError, TypeError) as exc:  # NaN or a big integer (rfc8785), a lone surrogate (UTF-8)
            return type(exc)
        return line, digest, repr(frozen)  # repr: NaN is not equal to itself, tuples are not lists
    assert outcome(appended_now) == outcome(appended_by_definition)


def written_line(data, ts="2026-01-02T05:44:26.000000+00:00", seq=7, prev="a" * 64) -> tuple[bytes, str]:
    """A line as the writer makes it of ``data``, hashed by rfc8785 itself (a ValueError where it refuses)."""
    body = {"seq": seq, "ts": ts, "type": "test.entry", "data": data, "prev": prev}
    digest = hashlib.sha256(rfc8785.dumps(body)).hexdigest()
    return encode_line({**body, "hash": digest}), digest


@settings(max_examples=400, deadline=None)
@given(any_json, st.text(max_size=8))
@example({"\U0001F600": 1, "\ue000": 2}, "")  # keys ordered otherwise in UTF-16 than by code point
@example({"big": 2**53, "x": 1.5, "e": 1e21}, "")
def test_a_full_verify_re_hashes_every_line_as_rfc8785_does(data, ts):
    # verify's hasher learns from the decoder which entries the C encoder may hash; a wrong guess is a
    # ledger that verifies here and fails an auditor's RFC 8785 tool (or the reverse).
    try:
        raw, expected = written_line(data, ts)
    except (ValueError, UnicodeEncodeError):  # NaN, an integer beyond 2**53: rfc8785 refuses; so does the writer
        return
    hasher = LineHasher()
    obj = hasher.decode(raw, 7)
    assert hasher.entry_hash(obj) == expected == entry_hash(7, ts, "test.entry", data, "a" * 64)
    assert hasher.written_as(raw, obj)


def reencoded(raw: bytes, how: str, at: int) -> bytes:
    """Another spelling of the line's values (or of other values, which the hash then refuses)."""
    text = raw.decode("utf-8")
    if how == "space":
        return (text[:at % len(text)] + " " + text[at % len(text):]).encode("utf-8")
    if how == "ascii":
        return (json.dumps(json.loads(text), separators=(",", ":")) + "\n").encode("utf-8")
    if how == "sorted":
        return (json.dumps(json.loads(text), ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n").encode()
    if how == "upper-hex":
        return re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), text).encode("utf-8")
    if how == "slash":
        return text.replace("/", "\\/").encode("utf-8")
    return text.replace('{"seq":', '{"seq":0,"seq":', 1).encode("utf-8")  # a repeated key


@settings(max_examples=600, deadline=None)
@given(any_json, st.sampled_from(["space", "ascii", "sorted", "upper-hex", "slash", "repeated"]), st.integers(0, 999))
def test_a_line_is_held_to_the_writers_bytes_without_encoding_it_again(data, how, at):
    # written_as skips the second encoding by a length argument: it must agree with encoding the line again.
    try:
        raw, _ = written_line(data)
    except (ValueError, UnicodeEncodeError):
        return
    raw = reencoded(raw, how, at)
    hasher = LineHasher()
    try:
        obj = hasher.decode(raw, 7)
    except CorruptLedger:
        return
    if obj["seq"] != 7 or hasher.entry_hash(obj) != obj["hash"]:
        return  # other values: the hash check names it before the bytes are looked at
    assert hasher.written_as(raw, obj) == (raw == encode_line(obj))


@pytest.mark.parametrize("data", [{"c": "\x1f"}, {"url": "a/b"}, {"n": -1, "s": "\"\\\n"}, {"t": "Šiaulių"}])
@pytest.mark.parametrize("how", ["upper-hex", "slash", "space", "ascii", "repeated"])
def test_each_other_spelling_of_a_line_is_named(tmp_path, data, how):
    raw, _ = written_line(data, seq=1, prev="0" * 64)
    changed = reencoded(raw, how, raw.index(b",") + 1)
    (tmp_path / LEDGER_FILE).write_bytes(changed)
    verdict = verify_file(tmp_path / LEDGER_FILE)
    if changed == raw:  # nothing to spell otherwise (no escape, no "/")
        assert verdict.ok
    else:
        assert not verdict.ok and verdict.bad_seq == 1
        assert verdict.reason == "line is not byte-for-byte as the ledger writes it"


# --- opened at its end (commands that only append) -------------------------------------------------------

@pytest.mark.parametrize("existing", [0, 1, 3])
def test_a_ledger_opened_at_its_end_continues_the_chain(ledger_dir, existing):
    with Ledger(ledger_dir) as ledger:
        for i in range(existing):
            ledger.append("test.event", {"i": i, "text": "ąčę" * 30000 if i == existing - 1 else "x"})  # last line > 64 KiB
    with Ledger.for_appending(ledger_dir) as tail:
        assert tail.entries == [] and len(tail) == existing
        entry = tail.append("officer.note", {"request": "ITPC-2026-000001", "text": "pastaba"})
    assert entry.seq == existing + 1
    verdict = verify_file(ledger_dir / LEDGER_FILE)
    assert verdict.ok and verdict.entries == existing + 1
    with Ledger(ledger_dir) as ledger:
        assert ledger.entries[-1] == entry


def test_appends_from_a_full_and_an_end_opened_ledger_interleave(ledger_dir):
    with Ledger(ledger_dir) as full, Ledger.for_appending(ledger_dir) as tail:
        for i in range(4):
            full.append("test.full", {"i": i})
            tail.append("test.tail", {"i": i})
    verdict = verify_file(ledger_dir / LEDGER_FILE)
    assert verdict.ok and verdict.entries == 8


def test_an_end_opened_ledger_cannot_replay_its_past(ledger_dir):
    with Ledger(ledger_dir) as ledger:
        ledger.append("test.event", {"i": 1})
    with Ledger.for_appending(ledger_dir) as tail, pytest.raises(LedgerError, match="opened at its end"):
        tail.subscribe(lambda entry: None)


def test_an_end_opened_ledger_recovers_a_torn_tail(ledger_dir):
    with Ledger(ledger_dir) as ledger:
        ledger.append("test.event", {"i": 1})
    with open(ledger_dir / LEDGER_FILE, "ab") as fh:
        fh.write(b'{"seq":2,"ts":"2026')
    with Ledger.for_appending(ledger_dir) as tail:
        entry = tail.append("test.event", {"i": 2})
    assert entry.seq == 3  # 2 is the ledger.recovered entry
    assert verify_file(ledger_dir / LEDGER_FILE).ok
