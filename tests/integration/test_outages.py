"""Outages: the notice rules at their boundaries, `itpc outage ...` end to end, and the public page and feed."""
from __future__ import annotations

import email
import email.policy
import html
import json
import shutil
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from ledger.clock import parse_instant
from responders.outage_page import render_atom, render_html
from responders.outages import NOTICE, Outage, OutageError, begin, finish, general_notice_due, notice_shortfall, plan
from tests.helpers import CORPUS, itpc, make_config

C01 = CORPUS / "mail" / "c01-labels-plain.eml"   # MDAS, received Mon 2026-11-23 08:41
REPORTER = "deklaracijos@bkl.lt"                              # c01's reply address
PUBLIC = "skelbimai@lrmuitine.lt"
ATOM = "{http://www.w3.org/2005/Atom}"
NOW = parse_instant("2026-12-02T11:00")


def office_addresses() -> list[str]:
    lines = Path("/work/main/config/customs_offices.csv").read_text(encoding="utf-8").splitlines()[1:]
    return [line.rsplit(",", 1)[1] for line in lines if line.strip()]


def setup(tmp: Path) -> Path:
    return make_config(tmp, itpc={"public_list": PUBLIC}, outages={"page_directory": str(tmp / "page")})


def received_by(tmp: Path) -> dict[str, list[str]]:
    """Subjects of every message in the outbox, by recipient."""
    out: dict[str, list[str]] = {}
    for path in (tmp / "outbox" / "new").iterdir():
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for address in message["To"].addresses:
            out.setdefault(address.addr_spec, []).append(str(message["Subject"]))
    return out


def declared(config: Path) -> list[dict]:
    lines = itpc(config, "ledger", "export", "--json").stdout.splitlines()
    return [e["data"] for e in map(json.loads, lines) if e["type"] == "outage.declared"]


# -- notice periods (1B-1029:18, 32) ---------------------------------------------------------------------------

@pytest.mark.parametrize("system, ahead, late", [
    ("MDAS", timedelta(days=1), False), ("MDAS", timedelta(days=1) - timedelta(minutes=1), True),
    ("NTKS", timedelta(days=30), False), ("NTKS", timedelta(days=30) - timedelta(minutes=1), True),
])
def test_notice_period_boundary(system, ahead, late):
    reason = notice_shortfall(system, NOW + ahead, NOW)
    assert (reason is not None) == late
    if late:
        assert NOTICE[system].rule in reason and "\n" not in reason


@given(system=st.sampled_from(["MDAS", "NTKS"]), minutes=st.integers(-10_000, 100_000))
def test_notice_is_enough_exactly_when_the_rule_says(system, minutes):
    start = NOW + timedelta(minutes=minutes)
    assert (notice_shortfall(system, start, NOW) is None) == (start - NOW >= NOTICE[system].ahead)


def test_plan_refuses_bad_windows_and_forcing_without_a_reason():
    start = NOW + timedelta(days=40)
    with pytest.raises(OutageError, match="after"):
        plan([], "NTKS", start, start, NOW)
    with pytest.raises(OutageError, match="--reason"):
        plan([], "NTKS", NOW + timedelta(days=2), NOW + timedelta(days=3), NOW, force=True, reason="  ")
    with pytest.raises(OutageError, match="unknown system"):
        plan([], "CIS", start, start + timedelta(hours=1), NOW)
    first = Outage.from_record(plan([], "NTKS", start, start + timedelta(hours=6), NOW))
    with pytest.raises(OutageError, match="overlaps"):
        plan([first], "NTKS", start + timedelta(hours=5), start + timedelta(hours=8), NOW)
    plan([first], "MDAS", start + timedelta(hours=5), start + timedelta(hours=8), NOW)  # another system: fine


def test_unplanned_failure_cannot_start_twice_nor_end_before_it_began():
    at = NOW - timedelta(hours=1)
    ongoing = Outage.from_record(begin([], "MDAS", at, NOW))
    with pytest.raises(OutageError, match="ongoing"):
        begin([ongoing], "MDAS", NOW, NOW)
    with pytest.raises(OutageError, match="before"):
        finish([ongoing], "MDAS", at - timedelta(minutes=1), NOW)
    with pytest.raises(OutageError, match="no ongoing"):
        finish([ongoing], "NTKS", NOW, NOW)
    assert finish([ongoing], "mdas", NOW, NOW)["id"] == ongoing.id


@pytest.mark.parametrize("after, due", [(timedelta(hours=2), False), (timedelta(hours=2, minutes=1), True)])
def test_general_notice_only_past_two_hours_and_only_while_it_lasts(after, due):
    outage = Outage("MDAS", NOW, None, kind="unplanned", id="MDAS-x")
    assert general_notice_due(outage, NOW + after) == due
    ended = Outage("MDAS", NOW, NOW + timedelta(hours=3), kind="unplanned", id="MDAS-x")
    assert not general_notice_due(ended, NOW + timedelta(hours=4))
    planned = Outage("MDAS", NOW, NOW + timedelta(hours=5), kind="planned", id="MDAS-y")
    assert not general_notice_due(planned, NOW + after)


# -- `itpc outage plan` -----------------------------------------------------------------------------------------

def test_ntks_plan_with_ten_days_notice_is_refused_in_one_line_and_forced_with_a_reason(tmp_path):
    config = setup(tmp_path)
    args = ["outage", "plan", "NTKS", "--from", "2026-12-12T20:00", "--to", "2026-12-13T02:00"]
    refused = itpc(config, *args, now="2026-12-02T11:00", check=False)
    assert refused.returncode == 1 and refused.stdout == ""
    [line] = [l for l in refused.stderr.splitlines() if l.startswith("itpc:")]
    assert "30 days" in line and "1B-1029:32" in line
    assert declared(config) == [] and received_by(tmp_path) == {}

    itpc(config, *args, "--force", "--reason", "Skubus saugumo atnaujinimas", now="2026-12-02T11:00")
    itpc(config, *args, "--force", "--reason", "Skubus saugumo atnaujinimas", now="2026-12-02T11:05")  # again
    itpc(config, "tick", now="2026-12-02T12:00")
    [outage] = declared(config)
    assert outage["kind"] == "planned" and outage["forced"]["reason"] == "Skubus saugumo atnaujinimas"
    got = received_by(tmp_path)
    for address in office_addresses() + [PUBLIC]:
        [subject] = got[address]
        assert "NTKS" in subject and "2026-12-12 20:00" in subject


def test_mdas_plan_a_day_ahead_is_accepted_without_force(tmp_path):
    config = setup(tmp_path)
    itpc(config, "outage", "plan", "MDAS", "--from", "2026-12-03T11:01", "--to", "2026-12-03T13:00",
         now="2026-12-02T11:00")
    assert [o["system"] for o in declared(config)] == ["MDAS"]


# -- unplanned failures (1B-1029:20, 32) -------------------------------------------------------------------------

def test_unplanned_outage_general_notice_once_then_end_notice_to_offices_and_reporters_once(tmp_path):
    config = setup(tmp_path)
    itpc(config, "outage", "start", "MDAS", "--at", "2026-11-23T08:00", now="2026-11-23T08:05")
    shutil.copy(C01, tmp_path / "inbox" / "new" / C01.name)
    itpc(config, "poll", "--once", now="2026-11-23T08:42")          # a trader reports the failure
    offices = office_addresses()

    itpc(config, "tick", now="2026-11-23T09:59")                    # under two hours: not yet
    assert not any(a in received_by(tmp_path) for a in offices)
    for now in ("2026-11-23T10:01", "2026-11-23T11:00"):
        itpc(config, "tick", now=now)
    got = received_by(tmp_path)
    for address in offices:
        [general] = got[address]
        assert "ilgiau nei 2 valandas" in general

    itpc(config, "outage", "end", "MDAS", "--at", "2026-11-23T11:30", now="2026-11-23T11:35")
    itpc(config, "tick", now="2026-11-23T11:40")
    got = received_by(tmp_path)
    for address in offices:
        assert len(got[address]) == 2 and sum("atkurtas 2026-11-23 11:30" in s for s in got[address]) == 1
    ended = [s for s in got[REPORTER] if "atkurtas" in s]
    assert len(ended) == 1
    assert PUBLIC not in got   # the public list hears of planned stops; the page tells of failures


# -- the public page and feed (1B-1029:45) ------------------------------------------------------------------------

def test_page_and_feed_list_a_planned_outage_parse_as_xml_and_drop_it_when_over(tmp_path):
    config = setup(tmp_path)
    itpc(config, "outage", "plan", "MDAS", "--from", "2026-12-05T20:00", "--to", "2026-12-06T02:00",
         now="2026-12-02T11:00")
    page, feed = tmp_path / "page" / "index.html", tmp_path / "page" / "outages.atom"
    text = page.read_text(encoding="utf-8")
    assert "MDAS" in text and "2026-12-05 20:00" in text and "Planuojamas stabdymas" in text
    root = ET.parse(feed).getroot()
    assert root.tag == f"{ATOM}feed"
    [entry] = root.findall(f"{ATOM}entry")
    assert "MDAS" in entry.findtext(f"{ATOM}title") and entry.findtext(f"{ATOM}id").startswith("urn:")

    before = (page.stat().st_ino, feed.stat().st_ino)
    itpc(config, "tick", now="2026-12-03T09:00")                    # nothing changed: files left alone
    assert (page.stat().st_ino, feed.stat().st_ino) == before

    itpc(config, "tick", now="2026-12-06T03:00")                    # over: no longer listed
    assert "2026-12-05 20:00" not in page.read_text(encoding="utf-8")
    assert ET.parse(feed).getroot().findall(f"{ATOM}entry") == []


@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12))
def test_page_and_feed_escape_whatever_an_outage_record_holds(text):
    outage = Outage(id=text, system=text, start=NOW, end=None, kind="unplanned")
    feed = ET.fromstring(render_atom([outage], NOW + timedelta(hours=3)).encode("utf-8"))
    assert feed.find(f"{ATOM}entry/{ATOM}title").text.startswith(text)
    page = render_html([outage], NOW)
    assert f"<td>{html.escape(text)}</td>" in page
