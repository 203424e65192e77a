"""What an outage means at an instant (1B-1029:19, 20, 31, 32) and how long an ended one stays news (45)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, strategies as st

from config.errors import ConfigError
from config.settings import load_settings
from ledger.clock import VILNIUS
from responders.outage_page import render_atom, render_html
from responders.outages import (Extension, Outage, end_notice_due, extend, extension_notice_due, listed,
                                without_request, without_request_since)
from tests.helpers import make_config


def vln(*args: int) -> datetime:
    return datetime(*args, tzinfo=VILNIUS)


START = vln(2026, 12, 3, 8, 0)
MINUTE = timedelta(minutes=1)
TWO_HOURS = timedelta(hours=2)


def planned(system: str, hours: float, *extensions: tuple[datetime, datetime]) -> Outage:
    end = START + timedelta(hours=hours)
    moves, previous = [], end
    for at, new_end in extensions:
        moves.append(Extension(at, new_end, previous))
        previous = new_end
    return Outage(system, START, previous, kind="planned", extensions=tuple(moves))


@pytest.mark.parametrize("system", ["MDAS", "NTKS"])
def test_an_unplanned_failure_lets_the_procedure_go_without_request_only_past_two_hours(system):
    failure = Outage(system, START, None, kind="unplanned")
    assert not without_request(failure, START + TWO_HOURS - MINUTE)
    assert not without_request(failure, START + TWO_HOURS)
    assert without_request(failure, START + TWO_HOURS + MINUTE)
    ended = Outage(system, START, START + timedelta(hours=3), kind="unplanned")
    assert not without_request(ended, START + timedelta(hours=3))


def test_a_planned_mdas_stop_needs_requests_until_it_is_extended_then_at_once_not():
    extended_at = START + timedelta(minutes=30)
    stop = planned("MDAS", 5, (extended_at, START + timedelta(hours=8)))
    assert not without_request(planned("MDAS", 5), START + timedelta(hours=4))   # even past 2 hours
    assert not without_request(stop, extended_at - MINUTE)
    assert without_request(stop, extended_at)
    assert without_request_since(stop) == extended_at and without_request_since(planned("MDAS", 5)) is None


def test_a_planned_ntks_stop_lets_work_go_without_ntks_only_when_it_lasts_over_two_hours():
    assert without_request(planned("NTKS", 3), START)                    # announced to last 3 hours: from its start
    short = planned("NTKS", 2)
    assert not any(without_request(short, START + k * MINUTE) for k in range(0, 120, 7))
    longer = planned("NTKS", 2, (START + timedelta(hours=1), START + timedelta(hours=4)))
    assert not without_request(longer, START + timedelta(hours=1) - MINUTE)
    assert without_request(longer, START + timedelta(hours=1))
    assert without_request_since(short) is None


def test_an_extension_is_announced_once_by_its_number_and_not_after_the_stop():
    stop = planned("MDAS", 5, (START + MINUTE, START + timedelta(hours=6)),
                   (START + 2 * MINUTE, START + timedelta(hours=7)))
    assert extension_notice_due(stop, START + timedelta(hours=1)) == stop.extensions[-1]
    assert extension_notice_due(stop, START + timedelta(hours=7)) is None
    assert extension_notice_due(planned("MDAS", 5), START) is None


def test_extend_moves_only_a_planned_stop_later_and_records_when():
    stop = planned("MDAS", 5)
    now = START + timedelta(hours=1)
    data = extend([stop], stop, START + timedelta(hours=6), now)
    assert data["previous_end"] == "2026-12-03T11:00:00+00:00" and data["extended_at"] == "2026-12-03T07:00:00+00:00"


@given(system=st.sampled_from(["MDAS", "NTKS"]), kind=st.sampled_from(["planned", "unplanned"]),
       hours=st.integers(1, 300), ext_minutes=st.lists(st.integers(-600, 600), max_size=3),
       probe=st.integers(-60, 60 * 20))
def test_since_is_the_first_moment_the_procedure_goes_without_request(system, kind, hours, ext_minutes, probe):
    if kind == "unplanned":
        outage = Outage(system, START, START + timedelta(minutes=hours * 10), kind="unplanned")
    else:
        moves = [(START + timedelta(minutes=m), START + timedelta(minutes=hours * 10 + 60 * (i + 1)))
                 for i, m in enumerate(sorted(ext_minutes))]
        outage = planned(system, hours / 6, *moves)
    at = START + timedelta(minutes=probe)
    since = without_request_since(outage)
    if without_request(outage, at):
        assert since is not None and since <= at
    if since is not None and since + MINUTE < outage.end:
        assert without_request(outage, since + MINUTE)


# -- ended outages stay news for the keep-time (20, 32, 45) -----------------------------------------------------

def test_an_ended_outage_is_listed_and_due_for_its_end_notice_until_the_keep_time_passes():
    end = vln(2026, 10, 24, 12, 0)                     # summer time ends in between (Sun 25 Oct, 25 hours)
    ended = Outage("MDAS", end - TWO_HOURS, end, kind="unplanned")
    # two calendar days after the end: the same wall-clock time, 49 hours later
    for now, kept in [(end - MINUTE, False), (end, True), (vln(2026, 10, 26, 11, 59), True),
                      (vln(2026, 10, 26, 12, 0), False)]:
        assert (listed([ended], now, 2) == [ended]) == (kept or now < end)
        assert end_notice_due(ended, now, 2) == kept


def test_the_feed_says_when_an_ended_outage_left_it():
    end = vln(2026, 12, 3, 12, 0)
    ended = Outage("MDAS", START, end, kind="unplanned")
    assert "<updated>2026-12-03T10:00:00Z</updated>" in render_atom([ended], end + MINUTE, 1)
    gone = render_atom([ended], vln(2026, 12, 4, 13, 0), 1)
    assert "<entry>" not in gone and "<updated>2026-12-04T10:00:00Z</updated>" in gone
    assert "veikia; planuojamų stabdymų nėra" in render_html([ended], vln(2026, 12, 4, 13, 0), 1)


def test_keep_ended_days_below_one_is_a_config_error(tmp_path):
    config = make_config(tmp_path, outages={"keep_ended_days": 0})
    with pytest.raises(ConfigError, match="outages.keep_ended_days"):
        load_settings(config)
