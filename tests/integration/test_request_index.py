"""The request view: folded incrementally from the ledger into SQLite, always the same as a fresh fold, and
rebuilt when the ledger or the fold changes; `itpc requests`, `search`, `note` and completion read it."""
from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

import click
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ingest.field_text import fold
from itpc.report import for_officer, is_overdue, request_table
from ledger.clock import VILNIUS, parse_instant
from ledger.request_index import INDEX_FILE, RequestIndex
from ledger.store import LEDGER_FILE, CorruptLedger, Ledger
from ledger.views import State
from tests.helpers import CORPUS, ITPC, ME, ROOT, SHARED, corpus_receipt, itpc, itpc_env, make_config, poll_at


@pytest.fixture(scope="module")
def corpus_ledger(tmp_path_factory) -> tuple[Path, Path]:
    """Every corpus message polled a minute after it arrived, in order of receipt (as the service would), then a
    tick weeks later (notices, expiry, breaches)."""
    tmp = tmp_path_factory.mktemp("corpus")
    config = make_config(tmp, offices={"directory": str(SHARED / "data" / "customs_offices.csv")})
    for received, mail in sorted((corpus_receipt(p.read_bytes()), p) for p in (CORPUS / "mail").glob("*.eml")):
        poll_at(config, mail, received + timedelta(minutes=1))
    itpc(config, "tick", now="2026-12-30T10:00")
    return tmp, config


def lines_of(ledger_dir: Path) -> list[bytes]:
    return (ledger_dir / LEDGER_FILE).read_bytes().splitlines(keepends=True)


def snapshot(index: RequestIndex) -> dict:
    """Everything the view answers: every record and the entries of every story."""
    records = {r["number"]: r for r in index.records()}
    return {"records": records, "stories": {n: [e.seq for e in index.story(n)] for n in records}}


def requests_json(config: Path, *args: str, now: str | None = None) -> list[dict]:
    out = itpc(config, "requests", "--json", *args, now=now).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


# --- the fold ------------------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(min_value=1, max_value=10_000), max_size=6))
def test_a_view_kept_incrementally_equals_one_built_at_once(corpus_ledger, cuts):
    lines = lines_of(corpus_ledger[0] / "ledger")
    with tempfile.TemporaryDirectory() as work:
        whole, step = Path(work) / "whole", Path(work) / "step"
        whole.mkdir(), step.mkdir()
        (whole / LEDGER_FILE).write_bytes(b"".join(lines))
        with RequestIndex.open(whole) as index:
            expected = snapshot(index)
        written = 0
        with RequestIndex.open(step) as index:
            for cut in sorted({c % len(lines) for c in cuts}) + [len(lines)]:
                with open(step / LEDGER_FILE, "ab") as fh:
                    fh.write(b"".join(lines[written:cut]))
                written = cut
                index.refresh()
            assert snapshot(index) == expected


def test_the_view_agrees_with_the_ledger_state(corpus_ledger):
    """Two folds of the same entries (the scheduler's State and the officers' view) tell the same story."""
    ledger_dir = corpus_ledger[0] / "ledger"
    state = State()
    with Ledger(ledger_dir) as ledger:
        ledger.subscribe(state.apply)
    with RequestIndex.open(ledger_dir) as index:
        assert {r["number"] for r in index.records()} == set(state.requests)
        for number, view in state.requests.items():
            record = index.record(number)
            assert record["kind"] == view.kind
            assert record["outcome"] == (view.decision or {}).get("outcome", "open")
            assert record["consent_no"] == (view.decision or {}).get("consent_no")
            assert [n["id"] for n in record["notices"]] == view.mails
            for notice in record["notices"]:
                item = state.outbox[notice["id"]]
                assert (notice["status"] == "sent") == (item.sent is not None)
            assert record["breached"] == (number in state.breached)
            if record["consent_no"] and record["outcome"] == "consent":
                consent = state.consents[record["consent_no"]]
                assert record["consent_expired"] == consent.expired
                assert record["consent_ended_by"] == consent.ended_by


def test_every_entry_about_a_request_is_in_its_story(corpus_ledger):
    ledger_dir = corpus_ledger[0] / "ledger"
    entries = [json.loads(line) for line in lines_of(ledger_dir)]
    with RequestIndex.open(ledger_dir) as index:
        for record in index.records():
            story = index.story(record["number"])
            types = [e.type for e in story]
            assert types[0] == "mail.received" and "request.registered" in types
            assert [e.seq for e in story] == sorted(e.seq for e in story)
            ids = {n["id"] for n in record["notices"]}
            about = {e["seq"] for e in entries
                     if e["data"].get("request") == record["number"] or e["data"].get("id") in ids}
            assert about <= {e.seq for e in story}


@pytest.mark.parametrize("command", [("poll", "--once"), ("tick",)])
def test_poll_and_tick_leave_the_view_current(tmp_path, command):
    """The service folds what it wrote, so an officer's next command has nothing to fold."""
    config = make_config(tmp_path)
    shutil.copy(CORPUS / "mail" / "c01-labels-plain.eml", tmp_path / "inbox" / "new" / "c01.eml")
    if command == ("tick",):
        itpc(config, "poll", "--once")
        (tmp_path / "ledger" / INDEX_FILE).unlink()
    itpc(config, *command, now="2026-12-30T10:00")
    ledger_dir = tmp_path / "ledger"
    with RequestIndex.open(ledger_dir, refresh=False) as index:
        assert index.position().offset == (ledger_dir / LEDGER_FILE).stat().st_size
        assert len(index.records()) == 1


def test_a_torn_last_line_waits_for_the_writer(corpus_ledger, tmp_path):
    lines = lines_of(corpus_ledger[0] / "ledger")
    (tmp_path / LEDGER_FILE).write_bytes(b"".join(lines[:-1]) + lines[-1][:40])
    with RequestIndex.open(tmp_path) as index:
        assert index.position().seq == len(lines) - 1
        with open(tmp_path / LEDGER_FILE, "ab") as fh:
            fh.write(lines[-1][40:])
        assert index.refresh() == 1
        assert index.position().seq == len(lines)


def test_a_replaced_ledger_rebuilds_the_view(corpus_ledger, tmp_path):
    lines = lines_of(corpus_ledger[0] / "ledger")
    first = next(i for i, line in enumerate(lines) if b'"request.registered"' in line)
    (tmp_path / LEDGER_FILE).write_bytes(b"".join(lines))
    with RequestIndex.open(tmp_path) as index:
        assert len(index.records()) > 1
    # an older backup restored in its place: the view must not keep requests the ledger does not hold
    (tmp_path / LEDGER_FILE).write_bytes(b"".join(lines[: first + 1]))
    with RequestIndex.open(tmp_path) as index:
        assert [r["number"] for r in index.records()] == [json.loads(lines[first])["data"]["number"]]


def test_a_view_from_another_version_of_the_fold_is_rebuilt(corpus_ledger, tmp_path):
    shutil.copy(corpus_ledger[0] / "ledger" / LEDGER_FILE, tmp_path / LEDGER_FILE)
    with RequestIndex.open(tmp_path) as index:
        expected = snapshot(index)
    with sqlite3.connect(tmp_path / INDEX_FILE) as db:
        db.execute("UPDATE meta SET value = 'an older fold' WHERE key = 'version'")
        db.execute("UPDATE requests SET outcome = 'consent', record = json_set(record, '$.outcome', 'consent')")
    with RequestIndex.open(tmp_path) as index:
        assert snapshot(index) == expected


def test_an_unwritable_view_is_built_in_memory(corpus_ledger, tmp_path):
    shutil.copy(corpus_ledger[0] / "ledger" / LEDGER_FILE, tmp_path / LEDGER_FILE)
    (tmp_path / INDEX_FILE).mkdir()  # not a database file (as root, permissions would not stop us)
    with RequestIndex.open(tmp_path) as index:
        assert len(index.records()) == len(state_numbers(tmp_path))


def state_numbers(ledger_dir: Path) -> set[str]:
    state = State()
    with Ledger(ledger_dir) as ledger:
        ledger.subscribe(state.apply)
    return set(state.requests)


def test_a_story_entry_altered_in_the_file_is_refused(corpus_ledger, tmp_path):
    shutil.copy(corpus_ledger[0] / "ledger" / LEDGER_FILE, tmp_path / LEDGER_FILE)
    with RequestIndex.open(tmp_path) as index:
        record = next(r for r in index.records() if r["kind"] == "continuity")
        data = (tmp_path / LEDGER_FILE).read_bytes()
        eori = record["eori"].encode()
        at = data.index(b'"eori":"' + eori)
        forged = eori[:-1] + (b"0" if eori[-1:] != b"0" else b"1")  # same length: offsets still fit
        (tmp_path / LEDGER_FILE).write_bytes(data[:at] + b'"eori":"' + forged + data[at + 8 + len(eori):])
        with pytest.raises(CorruptLedger, match="ledger verify"):
            index.story(record["number"])


def test_two_commands_building_the_view_at_once_agree(corpus_ledger, tmp_path):
    shutil.copytree(corpus_ledger[0] / "ledger", tmp_path / "ledger")
    (tmp_path / "ledger" / INDEX_FILE).unlink(missing_ok=True)
    config = make_config(tmp_path)
    cmd = ITPC + ["--config", str(config), "requests", "--json"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=itpc_env())
             for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-500:] for o in outputs]
    assert len({o[0] for o in outputs}) == 1 and outputs[0][0].count(b"\n") == len(state_numbers(tmp_path / "ledger"))


# --- itpc requests ---------------------------------------------------------------------------------------

def test_requests_filters_by_kind_eori_and_days(corpus_ledger):
    _, config = corpus_ledger
    everything = requests_json(config)
    assert [r["received_at"] for r in everything] == sorted(r["received_at"] for r in everything)
    afis = requests_json(config, "--kind", "afis_access")
    assert afis and afis == [r for r in everything if r["kind"] == "afis_access"]
    eori = next(r["fields"]["eori"] for r in everything if r["fields"].get("eori"))
    spaced = f"{eori[:2].lower()} {eori[2:]}"
    assert requests_json(config, "--eori", spaced) == [r for r in everything if r["fields"].get("eori") == eori]
    day = parse_instant(everything[len(everything) // 2]["received_at"]).astimezone(VILNIUS).date()
    on_day = lambda r: parse_instant(r["received_at"]).astimezone(VILNIUS).date()  # noqa: E731
    assert requests_json(config, "--since", day.isoformat(), "--until", day.isoformat()) == \
        [r for r in everything if on_day(r) == day]
    assert requests_json(config, "--until", (day - timedelta(days=1)).isoformat()) == \
        [r for r in everything if on_day(r) < day]


def test_a_review_request_is_overdue_only_after_its_two_hours(corpus_ledger, tmp_path):
    shutil.copytree(corpus_ledger[0] / "ledger", tmp_path / "ledger")
    config = make_config(tmp_path)
    waiting = [r for r in requests_json(config, "--status", "review") if r["kind"] == "continuity"
               and r["decision"]["decided_by"] == "auto"]
    assert waiting
    first = min(waiting, key=lambda r: r["received_at"])
    deadline = parse_instant(first["received_at"]) + timedelta(minutes=120)
    at = lambda moment: moment.isoformat()  # noqa: E731
    # the --now clock keeps running, so the CLI is checked a second either side; the instant itself below
    early = requests_json(config, "--status", "overdue", now=at(deadline - timedelta(seconds=1)))
    assert first["number"] not in numbers(early)
    later = requests_json(config, "--status", "overdue", now=at(deadline + timedelta(seconds=1)))
    assert first["number"] in numbers(later)
    assert all(r["decision"]["outcome"] in ("open", "review") for r in later)
    table = itpc(config, "requests", "--status", "overdue", now=at(deadline + timedelta(seconds=1))).stdout
    assert first["number"] in table and "review !" in table


def test_overdue_starts_after_the_deadline_instant(corpus_ledger):
    with RequestIndex.open(corpus_ledger[0] / "ledger") as index:
        record = next(r for r in index.records(outcomes=["review"]) if r["kind"] == "continuity")
    deadline = parse_instant(record["received_at"]) + timedelta(hours=2)
    assert not is_overdue(record, timedelta(hours=2), deadline)
    assert is_overdue(record, timedelta(hours=2), deadline + timedelta(microseconds=1))


def numbers(records: list[dict]) -> list[str]:
    return [r["number"] for r in records]


def test_the_table_colours_overdue_red_and_review_yellow(corpus_ledger):
    with RequestIndex.open(corpus_ledger[0] / "ledger") as index:
        records = index.records()
    late = parse_instant("2027-06-01T00:00")
    lines = request_table(records, timedelta(hours=2), late)[2:]
    for record, line in zip(records, lines):
        if record["outcome"] == "review" and record["kind"] == "continuity":
            assert line.startswith("\x1b[31m\x1b[1m"), line  # red, bold: overdue
        elif for_officer(record):
            # an inquiry waits for an officer's answer too, and so does a case a reply came back to
            assert line.startswith("\x1b[33m"), line
        else:
            assert "\x1b[" not in line
        assert record["number"] in line


def test_a_bad_day_is_a_one_line_error(corpus_ledger):
    proc = itpc(corpus_ledger[1], "requests", "--since", "23.11.2026", check=False)
    assert proc.returncode == 1 and proc.stderr.strip().count("\n") == 0 and "--since" in proc.stderr


# --- itpc search -----------------------------------------------------------------------------------------

def test_search_ignores_case_and_diacritics(corpus_ledger):
    _, config = corpus_ledger
    everything = requests_json(config)
    named = next(r for r in everything if fold(r["fields"].get("applicant") or "") != (r["fields"].get("applicant") or "").lower())
    applicant = named["fields"]["applicant"]
    word = max(applicant.split(), key=len).strip("„“\"")
    plain = fold(word).upper()
    found = json_lines(itpc(config, "search", plain, "--json").stdout)
    assert named["number"] in numbers(found)
    assert all(fold(word) in fold(json.dumps(r, ensure_ascii=False)) for r in found)


def test_search_finds_eori_numbers_and_reasons(corpus_ledger):
    _, config = corpus_ledger
    everything = requests_json(config)
    consent = next(r for r in everything if r["decision"]["consent_no"] and r["decision"]["outcome"] == "consent")
    by_eori = numbers(json_lines(itpc(config, "search", consent["fields"]["eori"], "--json").stdout))
    assert by_eori == [r["number"] for r in everything if r["fields"].get("eori") == consent["fields"]["eori"]]
    assert consent["number"] in numbers(json_lines(itpc(config, "search", consent["decision"]["consent_no"].lower(),
                                                        "--json").stdout))
    reasons = next(r for r in everything if r["fields"].get("reasons"))
    words = [w for w in fold(reasons["fields"]["reasons"]).split() if len(w) > 5][:2]
    assert reasons["number"] in numbers(json_lines(itpc(config, "search", *words, "--json").stdout))
    nothing = itpc(config, "search", "zzzz-no-such-trader")
    assert nothing.stdout == "" and "nothing found" in nothing.stderr


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# --- itpc note ------------------------------------------------------------------------------------------

def test_a_note_is_a_ledger_entry_and_searchable(corpus_ledger, tmp_path):
    shutil.copytree(corpus_ledger[0] / "ledger", tmp_path / "ledger")
    config = make_config(tmp_path)
    number = requests_json(config)[0]["number"]
    out = itpc(config, "note", number.lower(), "Paskambinta", "įmonei; laukiame patikslinimo.").stdout
    assert number in out
    [entry] = [json.loads(line) for line in itpc(config, "ledger", "export", "--json").stdout.splitlines()
               if '"officer.note"' in line]
    assert entry["data"] == {"request": number, "text": "Paskambinta įmonei; laukiame patikslinimo.",
                             "by": ME}
    assert numbers(json_lines(itpc(config, "search", "patikslinimo", "--json").stdout)) == [number]
    assert itpc(config, "ledger", "verify").returncode == 0


def test_a_note_on_an_unknown_request_is_refused(corpus_ledger, tmp_path):
    shutil.copytree(corpus_ledger[0] / "ledger", tmp_path / "ledger")
    config = make_config(tmp_path)
    before = (tmp_path / "ledger" / LEDGER_FILE).read_bytes()
    proc = itpc(config, "note", "ITPC-2026-999999", "tekstas", check=False)
    assert proc.returncode == 1 and "no request ITPC-2026-999999" in proc.stderr
    assert (tmp_path / "ledger" / LEDGER_FILE).read_bytes() == before


# --- completion and help ----------------------------------------------------------------------------------

def test_shell_completion_completes_commands_and_options(tmp_path):
    env = itpc_env({"_ITPC_COMPLETE": "bash_complete", "COMP_WORDS": "itpc req", "COMP_CWORD": "1"})
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "itpc")] if (ROOT / ".venv/bin/itpc").exists() else ITPC,
                         capture_output=True, text=True, env=env, cwd=ROOT).stdout
    assert "plain,requests" in out.splitlines() and "plain,requeue" in out.splitlines()
    script = itpc(make_config(tmp_path), "completion", "bash").stdout
    assert "_ITPC_COMPLETE" in script and "complete " in script


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from all_commands(command, prefix + (name,))


def test_every_command_has_help_with_an_example():
    from itpc.cli import cli
    missing = [" ".join(path) for path, command in all_commands(cli)
               if not isinstance(command, click.Group) and "Example" not in (command.help or "")]
    assert missing == []
