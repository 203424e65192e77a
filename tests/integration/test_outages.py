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
from hypothesis import assume, given, strategies as st

from ledger.clock import UTC, VILNIUS, parse_instant
from responders.outage_page import render_atom, render_html
from responders.outages import NOTICE, Outage, OutageError, begin, finish, general_notice_due, notice_shortfall, plan
from tests.helpers import CORPUS, ROOT, itpc, make_config

C01 = CORPUS / "mail" / "c01-labels-plain.eml"   # MDAS, received Mon 2026-11-23 08:41
REPORTER = "deklaracijos@bkl.lt"                              # c01's reply address
PUBLIC = "skelbimai@lrmuitine.lt"
ATOM = "{http://www.w3.org/2005/Atom}"
NOW = parse_instant("2026-12-02T11:00")


def office_addresses() -> list[str]:
    lines = (ROOT / "config" / "customs_offices.csv").read_text(encoding="utf-8").splitlines()[1:]
    return [line.rsplit(",", 1)[1] for line in lines if line.strip()]


def setup(tmp: Path) -> Path:
    return make_config(tmp, itpc={"public_list": PUBLIC},
                       outages={"page_directory": str(tmp / "page"), "keep_ended_days": 2})


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


# Summer time in Vilnius: begins Sun 2027-03-28 03:00 (a 23-hour day), ends Sun 2026-10-25 04:00 (25 hours).
@pytest.mark.parametrize("system, start, announced, late", [
    ("MDAS", "2027-03-28T10:00", "2027-03-27T10:00", False),   # one calendar day, only 23 hours
    ("MDAS", "2027-03-28T10:00", "2027-03-27T10:01", True),
    ("MDAS", "2026-10-25T10:00", "2026-10-24T10:00", False),
    ("MDAS", "2026-10-25T10:00", "2026-10-24T10:30", True),    # 24.5 hours ahead, yet less than a calendar day
    ("NTKS", "2027-04-10T10:00", "2027-03-11T10:00", False),   # 30 calendar days, 30 × 24 h less an hour
    ("NTKS", "2027-04-10T10:00", "2027-03-11T10:01", True),
    ("NTKS", "2026-11-10T10:00", "2026-10-11T10:30", True),    # 30 × 24 h and 30 min ahead, yet too late
])
def test_notice_period_is_counted_in_calendar_days_across_summer_time(system, start, announced, late):
    now = parse_instant(announced).astimezone(UTC)   # the clock is UTC; --from is written in Vilnius time
    assert (notice_shortfall(system, parse_instant(start), now) is not None) == late


def test_a_planned_stop_a_calendar_day_ahead_across_the_spring_change_is_accepted(tmp_path):
    config = setup(tmp_path)
    itpc(config, "outage", "plan", "MDAS", "--from", "2027-03-28T10:00", "--to", "2027-03-28T12:00",
         now="2027-03-27T09:59")                  # 23 h 1 min ahead: one calendar day (the clock runs on)
    late = itpc(config, "outage", "plan", "MDAS", "--from", "2026-10-25T10:00", "--to", "2026-10-25T12:00",
                now="2026-10-24T10:30", check=False)   # 24 h 30 min ahead: less than one calendar day
    assert late.returncode == 1 and "1B-1029:18" in late.stderr and "2026-10-24 10:00" in late.stderr


@given(system=st.sampled_from(["MDAS", "NTKS"]), hours=st.integers(0, 365 * 24),
       minutes=st.integers(-10_000, 50_000))
def test_notice_is_enough_exactly_when_the_vilnius_calendar_says(system, hours, minutes):
    now = parse_instant("2026-09-01T00:00") + timedelta(hours=hours)
    start = now + timedelta(minutes=minutes)
    local_start = start.astimezone(VILNIUS).replace(tzinfo=None)
    local_now = now.astimezone(VILNIUS).replace(tzinfo=None)
    latest = local_start - timedelta(days=NOTICE[system].days)
    # a wall-clock time that does not exist (the hour skipped in March) has no one right answer: skip it
    assume(latest.replace(tzinfo=VILNIUS).astimezone(UTC).astimezone(VILNIUS).replace(tzinfo=None) == latest)
    assert (notice_shortfall(system, start, now) is None) == (local_now <= latest)


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

def subjects(tmp: Path, address: str, word: str) -> list[str]:
    return [s for s in received_by(tmp).get(address, []) if word in s]


def test_unplanned_outage_general_notice_once_then_end_notice_to_offices_and_reporters_once(tmp_path):
    config = setup(tmp_path)
    itpc(config, "outage", "start", "MDAS", "--at", "2026-11-23T08:00", now="2026-11-23T08:05")
    shutil.copy(C01, tmp_path / "inbox" / "new" / C01.name)
    itpc(config, "poll", "--once", now="2026-11-23T08:42")          # a trader reports the failure
    offices = office_addresses()

    itpc(config, "tick", now="2026-11-23T09:59")                    # under two hours: not yet
    assert not any(subjects(tmp_path, a, "ilgiau nei 2 valandas") for a in offices)
    for now in ("2026-11-23T10:01", "2026-11-23T11:00"):
        itpc(config, "tick", now=now)
    for address in offices:
        assert len(subjects(tmp_path, address, "ilgiau nei 2 valandas")) == 1

    itpc(config, "outage", "end", "MDAS", "--at", "2026-11-23T11:30", now="2026-11-23T11:35")
    for now in ("2026-11-23T11:40", "2026-11-23T12:40"):           # a second tick sends nothing again
        itpc(config, "tick", now=now)
    for address in offices:
        [ended] = subjects(tmp_path, address, "atkurtas")
        assert "atkurtas 2026-11-23 11:30" in ended and "procedūros taikymo pabaiga" in ended
    assert len(subjects(tmp_path, REPORTER, "atkurtas")) == 1
    assert PUBLIC not in received_by(tmp_path)   # the public list hears of planned stops; the page tells of failures


def decision(config: Path) -> dict:
    [request] = [json.loads(line) for line in itpc(config, "requests", "--json").stdout.splitlines()]
    return request["decision"]


# c01 is received at 08:41: a failure that began 1 h 59 min before is decided as usual (19), 2 h 01 min: 20.
@pytest.mark.parametrize("system, began, outcome, rules", [
    ("MDAS", "2026-11-23T06:42", "consent", []),
    ("MDAS", "2026-11-23T06:40", "not_needed", ["1B-1029:20"]),
])
def test_a_request_during_an_unplanned_failure_needs_no_consent_only_after_two_hours(tmp_path, system, began,
                                                                                     outcome, rules):
    config = setup(tmp_path)
    itpc(config, "outage", "start", system, "--at", began, now="2026-11-23T08:05")
    shutil.copy(C01, tmp_path / "inbox" / "new" / C01.name)
    itpc(config, "poll", "--once", now="2026-11-23T08:42")
    got = decision(config)
    assert (got["outcome"], got["rules"]) == (outcome, rules)
    [answer] = received_by(tmp_path)[REPORTER]
    assert ("Sutikimas" in answer) == (outcome == "consent")


def test_the_answer_names_the_start_of_the_failure_going_on_at_receipt_not_an_earlier_one(tmp_path):
    config = setup(tmp_path)
    itpc(config, "outage", "start", "MDAS", "--at", "2026-11-20T09:00", now="2026-11-20T09:05")
    itpc(config, "outage", "end", "MDAS", "--at", "2026-11-20T12:00", now="2026-11-20T12:05")
    itpc(config, "outage", "start", "MDAS", "--at", "2026-11-23T06:10", now="2026-11-23T06:15")
    shutil.copy(C01, tmp_path / "inbox" / "new" / C01.name)
    itpc(config, "poll", "--once", now="2026-11-23T08:42")
    assert decision(config)["outcome"] == "not_needed"
    [answer] = [p for p in (tmp_path / "outbox" / "new").iterdir() if "_answer." in p.name]
    body = email.message_from_bytes(answer.read_bytes(), policy=email.policy.default).get_body().get_content()
    assert "nuo 2026-11-23 06:10 neveikia MDAS" in body and "2026-11-20" not in body


def test_an_ntks_failure_does_not_make_an_mdas_request_unneeded(tmp_path):
    config = setup(tmp_path)
    itpc(config, "outage", "start", "NTKS", "--at", "2026-11-23T05:00", now="2026-11-23T08:05")
    shutil.copy(C01, tmp_path / "inbox" / "new" / C01.name)
    itpc(config, "poll", "--once", now="2026-11-23T08:42")
    assert decision(config)["outcome"] == "consent"


# -- extending a planned stop (1B-1029:20) ------------------------------------------------------------------------

def test_extending_a_planned_mdas_stop_tells_every_office_at_once_and_a_request_then_needs_no_consent(tmp_path):
    config = setup(tmp_path)
    itpc(config, "outage", "plan", "MDAS", "--from", "2026-11-23T07:00", "--to", "2026-11-23T08:50",
         now="2026-11-20T10:00")
    out = itpc(config, "outage", "extend", "mdas", "--to", "2026-11-23T19:00", now="2026-11-23T08:30").stdout
    assert "extended from 2026-11-23 08:50 to 2026-11-23 19:00" in out
    again = itpc(config, "outage", "extend", "MDAS", "--to", "2026-11-23T19:00", now="2026-11-23T08:31").stdout
    assert "already extended" in again
    for address in office_addresses() + [PUBLIC]:
        [told] = subjects(tmp_path, address, "pratęstas")
        assert "iki 2026-11-23 19:00" in told and "nepateikus Prašymo" in told
    assert "(extended 1×)" in itpc(config, "outage", "list", now="2026-11-23T08:40").stdout

    shutil.copy(C01, tmp_path / "inbox" / "new" / C01.name)      # received 08:41, after the extension
    itpc(config, "poll", "--once", now="2026-11-23T08:42")
    got = decision(config)
    assert (got["outcome"], got["rules"]) == ("not_needed", ["1B-1029:20"])


def test_a_planned_mdas_stop_not_extended_leaves_a_request_to_the_usual_rules(tmp_path):
    config = setup(tmp_path)
    itpc(config, "outage", "plan", "MDAS", "--from", "2026-11-23T05:00", "--to", "2026-11-23T20:00",
         now="2026-11-20T10:00")
    shutil.copy(C01, tmp_path / "inbox" / "new" / C01.name)
    itpc(config, "poll", "--once", now="2026-11-23T08:42")
    assert decision(config)["outcome"] == "consent"


def test_extend_refuses_what_it_cannot_extend_in_one_line(tmp_path):
    config = setup(tmp_path)
    itpc(config, "outage", "start", "MDAS", "--at", "2026-11-23T07:00", now="2026-11-23T08:00")
    nothing = itpc(config, "outage", "extend", "MDAS", "--to", "2026-11-23T12:00", now="2026-11-23T08:05",
                   check=False)
    assert nothing.returncode == 1 and "no planned MDAS stop" in nothing.stderr
    itpc(config, "outage", "plan", "NTKS", "--from", "2026-12-30T07:00", "--to", "2026-12-30T09:00",
         now="2026-11-23T08:00")
    earlier = itpc(config, "outage", "extend", "NTKS", "--to", "2026-12-30T08:00", now="2026-11-23T08:05",
                   check=False)
    assert earlier.returncode == 1 and "must be later" in earlier.stderr


# -- the end of a planned stop (1B-1029:32) ------------------------------------------------------------------------

def test_a_planned_ntks_stop_ends_with_notices_to_offices_and_reporters_once(tmp_path):
    config = setup(tmp_path)
    itpc(config, "outage", "plan", "NTKS", "--from", "2026-11-23T06:00", "--to", "2026-11-23T19:00",
         now="2026-10-20T10:00")
    ntks = (tmp_path / "c01-ntks.eml")
    ntks.write_bytes(C01.read_bytes().replace(b"MDAS", b"NTKS"))
    shutil.copy(ntks, tmp_path / "inbox" / "new" / ntks.name)
    itpc(config, "poll", "--once", now="2026-11-23T08:42")
    got = decision(config)
    assert (got["outcome"], got["rules"]) == ("not_needed", ["1B-1029:31", "1B-1029:32"])
    assert not subjects(tmp_path, REPORTER, "atkurtas")

    for now in ("2026-11-23T19:05", "2026-11-23T20:00"):
        itpc(config, "tick", now=now)
    for address in office_addresses() + [REPORTER]:
        [ended] = subjects(tmp_path, address, "NTKS veikimas atkurtas 2026-11-23 19:00")
        assert "procedūros taikymo pabaiga" in ended


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

    for now in ("2026-12-06T03:00", "2026-12-08T01:59"):             # over: listed with its end for 2 days
        itpc(config, "tick", now=now)
        text = page.read_text(encoding="utf-8")
        assert "2026-12-05 20:00" in text and "Stabdymas baigėsi, MDAS veikimas atkurtas 2026-12-06 02:00" in text
        [entry] = ET.parse(feed).getroot().findall(f"{ATOM}entry")
        assert "atkurtas 2026-12-06 02:00" in entry.findtext(f"{ATOM}summary")
        assert entry.findtext(f"{ATOM}updated") == "2026-12-06T00:00:00Z"   # its end, in UTC

    itpc(config, "tick", now="2026-12-08T02:00")                    # the keep-time has passed
    assert "2026-12-05 20:00" not in page.read_text(encoding="utf-8")
    assert ET.parse(feed).getroot().findall(f"{ATOM}entry") == []


def test_an_ended_failure_shows_the_end_of_the_procedure_on_the_page_only_when_it_went_without_request(tmp_path):
    config = setup(tmp_path)
    page = tmp_path / "page" / "index.html"
    itpc(config, "outage", "start", "MDAS", "--at", "2026-11-23T08:00", now="2026-11-23T08:05")
    itpc(config, "outage", "end", "MDAS", "--at", "2026-11-23T10:30", now="2026-11-23T10:35")
    text = html.unescape(page.read_text(encoding="utf-8"))
    assert "Sutrikimas pašalintas, MDAS veikimas atkurtas 2026-11-23 10:30; veiklos tęstinumo procedūros " \
           "taikymo pabaiga – 2026-11-23 10:30 (Muitinės veiklos tęstinumo taisyklių 20 punktas)" in text
    itpc(config, "outage", "start", "NTKS", "--at", "2026-11-23T11:00", now="2026-11-23T11:05")
    itpc(config, "outage", "end", "NTKS", "--at", "2026-11-23T12:00", now="2026-11-23T12:05")
    text = html.unescape(page.read_text(encoding="utf-8"))
    assert "Sutrikimas pašalintas, NTKS veikimas atkurtas 2026-11-23 12:00</td>" in text


@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12))
def test_page_and_feed_escape_whatever_an_outage_record_holds(text):
    outage = Outage(id=text, system=text, start=NOW, end=None, kind="unplanned")
    feed = ET.fromstring(render_atom([outage], NOW + timedelta(hours=3)).encode("utf-8"))
    assert feed.find(f"{ATOM}entry/{ATOM}title").text.startswith(text)
    page = render_html([outage], NOW)
    assert f"<td>{html.escape(text)}</td>" in page


# -- calling off a planned stop (issue 13, item 8) ---------------------------------------------------------------

def test_a_cancelled_planned_stop_is_retracted_once_to_everyone_told_and_leaves_the_page(tmp_path):
    config = setup(tmp_path)
    itpc(config, "outage", "plan", "MDAS", "--from", "2026-12-05T20:00", "--to", "2026-12-06T02:00",
         now="2026-12-02T11:00")
    [outage_id] = [o["id"] for o in declared(config)]
    told = {a for a, subs in received_by(tmp_path).items() if any("Planuojamas MDAS" in s for s in subs)}
    assert PUBLIC in told and len(told) > 1
    out = itpc(config, "outage", "cancel", outage_id, "--reason", "Atnaujinimas atidėtas",
               now="2026-12-03T10:00")
    assert f"{outage_id}: cancelled" in out.stdout
    itpc(config, "tick", now="2026-12-03T10:05")                       # a second tick sends nothing more
    cancelled = {a: [s for s in subs if "atšaukiamas" in s] for a, subs in received_by(tmp_path).items()}
    assert {a for a, subs in cancelled.items() if subs} == told
    assert all(len(subs) <= 1 for subs in cancelled.values())
    letter = next(p for p in (tmp_path / "outbox" / "new").iterdir() if "cancelled" in p.name)
    body = email.message_from_bytes(letter.read_bytes(), policy=email.policy.default).get_body().get_content()
    assert "Atnaujinimas atidėtas" in body and "2026-12-05 20:00" in body
    assert "2026-12-05 20:00" not in (tmp_path / "page" / "index.html").read_text(encoding="utf-8")
    again = itpc(config, "outage", "cancel", outage_id, "--reason", "x", now="2026-12-03T11:00")
    assert "already cancelled" in again.stdout


def test_only_a_planned_stop_not_yet_begun_can_be_cancelled(tmp_path):
    config = setup(tmp_path)
    itpc(config, "outage", "plan", "MDAS", "--from", "2026-12-05T20:00", "--to", "2026-12-06T02:00",
         now="2026-12-02T11:00")
    itpc(config, "outage", "start", "NTKS", "--at", "2026-12-02T10:00", now="2026-12-02T11:00")
    planned, failure = sorted((o["id"] for o in declared(config)), key=lambda i: not i.startswith("MDAS"))
    for outage_id, now, words in [(planned, "2026-12-05T20:00", "began at"), (failure, "2026-12-02T12:00", "failure"),
                                  ("MDAS-20990101T0000Z", "2026-12-02T12:00", "no outage")]:
        result = itpc(config, "outage", "cancel", outage_id, "--reason", "x", now=now, check=False)
        assert result.returncode == 1 and words in result.stderr and "Traceback" not in result.stderr
