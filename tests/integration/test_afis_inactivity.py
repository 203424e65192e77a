"""AFIS/CIS+ inactivity (1B-280:18) from the URT last-login export, driven through `itpc` with --now."""
from __future__ import annotations

import email
import json
from datetime import date, timedelta
from email.header import decode_header, make_header
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from responders.afis_inactivity import add_months, parse_logins, standing
from tests.helpers import itpc, make_config

NOW = "2026-11-23T09:00"          # a Monday; Vilnius time
TODAY = date(2026, 11, 23)
HEADER = "username,name,email,last_login\n"


def write_export(tmp: Path, body: str, name: str = "urt.csv") -> Path:
    path = tmp / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def entries(config: Path, type_: str) -> list[dict]:
    out = itpc(config, "ledger", "export", "--json").stdout.splitlines()
    return [e["data"] for e in map(json.loads, out) if e["type"] == type_]


def sent_mail(tmp: Path) -> list[email.message.Message]:
    return [email.message_from_bytes(p.read_bytes()) for p in sorted((tmp / "outbox" / "new").iterdir())]


def listed(config: Path, now: str) -> dict[str, dict]:
    lines = itpc(config, "afis", "inactive", "--json", now=now).stdout.splitlines()
    return {item["username"]: item for item in map(json.loads, lines)}


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return make_config(tmp_path)


# --- the calendar ---------------------------------------------------------------------------------------

def test_months_are_calendar_months_clamped_to_the_month_end():
    assert add_months(date(2026, 2, 22), 9) == date(2026, 11, 22)
    assert add_months(date(2026, 5, 31), 9) == date(2027, 2, 28)
    assert add_months(date(2027, 5, 31), 9) == date(2028, 2, 29)
    assert add_months(date(2025, 11, 30), 12) == date(2026, 11, 30)


@pytest.mark.parametrize("last, status", [
    ("2026-02-24", "active"),       # 9 months minus a day
    ("2026-02-23", "active"),       # exactly 9 months: not yet "over 9 months"
    ("2026-02-22", "inactive"),     # 9 months and a day
    ("2025-11-23", "inactive"),     # exactly 12 months: not yet "over a year"
    ("2025-11-22", "withdrawal"),   # 12 months and a day
    ("2026-02-22T23:30:00+02:00", "inactive"),  # a date and time counts by its Vilnius day
    ("2026-02-22T22:30:00+00:00", "active"),    # 00:30 on 23 Feb in Vilnius: exactly 9 months
])
def test_status_at_the_boundaries_of_point_18(last, status):
    from responders.afis_inactivity import normalise_login
    assert standing(normalise_login(last), TODAY).status == status


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(0, 800))
def test_status_changes_only_at_the_anniversaries_and_never_goes_back(last, days):
    today = last + timedelta(days=days)
    where = standing(last.isoformat(), today)
    later = standing(last.isoformat(), today + timedelta(days=1))
    order = ["active", "inactive", "withdrawal"]
    assert order.index(later.status) >= order.index(where.status)
    assert (where.status != "active") == (today > add_months(last, 9))
    assert (where.status == "withdrawal") == (today > add_months(last, 12))


# --- the export ------------------------------------------------------------------------------------------

def test_malformed_rows_are_named_by_line_and_the_rest_parsed():
    rows, errors = parse_logins(HEADER + "a,A,a@x.lt,2026-01-01\n"
                                "b,B,b@x.lt\n"                       # line 3: a column short
                                "\n"                                 # blank: ignored
                                "c,C,c@x.lt,2026-02-30\n"            # line 5: no such day
                                ",D,d@x.lt,2026-01-01\n"             # line 6: no username
                                "e,E,not-an-address,2026-01-01\n"    # line 7
                                "f,F,,2026-01-01 08:15\n")
    assert [r.username for r in rows] == ["a", "f"]
    assert rows[1].last_login == "2026-01-01T06:15:00+00:00"      # Vilnius winter time → UTC
    assert [e.line for e in errors] == [3, 5, 6, 7]


def test_an_export_without_the_columns_is_refused(config, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("user,when\nx,2026-01-01\n", encoding="utf-8")
    proc = itpc(config, "afis", "import-logins", str(path), check=False)
    assert proc.returncode == 1
    assert "last_login" in proc.stderr and "Traceback" not in proc.stderr


def test_import_reports_bad_lines_on_stderr_and_imports_the_rest(config, tmp_path):
    path = write_export(tmp_path, "jonas,Jonas Jonaitis,jonas@lrmuitine.lt,2026-02-22\n"
                                  "petras,Petras Petraitis,petras@lrmuitine.lt,vakar\n"
                                  "ona,Ona Onaitė,ona@lrmuitine.lt,2025-11-22T08:00:00\n")
    proc = itpc(config, "afis", "import-logins", str(path))
    bad = [line for line in proc.stderr.splitlines() if "urt.csv:" in line]
    assert len(bad) == 1 and "urt.csv:3:" in bad[0] and "vakar" in bad[0]
    assert sorted(e["username"] for e in entries(config, "afis.login")) == ["jonas", "ona"]


def test_reimport_is_idempotent_and_records_only_new_logins(config, tmp_path):
    first = write_export(tmp_path, "jonas,Jonas Jonaitis,jonas@lrmuitine.lt,2026-02-22\n"
                                   "ona,Ona Onaitė,ona@lrmuitine.lt,2026-03-01\n")
    itpc(config, "afis", "import-logins", str(first))
    again = itpc(config, "afis", "import-logins", str(first))
    assert "0 new, 2 already recorded" in again.stdout
    newer = write_export(tmp_path, "jonas,Jonas Jonaitis,jonas@lrmuitine.lt,2026-02-22\n"
                                   "ona,Ona Onaitė,ona@lrmuitine.lt,2026-11-20\n", name="urt2.csv")
    itpc(config, "afis", "import-logins", str(newer))
    logins = [(e["username"], e["last_login"]) for e in entries(config, "afis.login")]
    assert sorted(logins) == [("jonas", "2026-02-22"), ("ona", "2026-03-01"), ("ona", "2026-11-20")]


def test_an_export_with_no_usable_row_exits_1(config, tmp_path):
    path = write_export(tmp_path, "x,X,x@lrmuitine.lt,someday\n")
    proc = itpc(config, "afis", "import-logins", str(path), check=False)
    assert proc.returncode == 1 and "urt.csv:2:" in proc.stderr


# --- inactivity over many ticks --------------------------------------------------------------------------

def test_nine_months_and_a_day_gives_one_email_across_many_ticks(config, tmp_path):
    path = write_export(tmp_path, "jonas,Jonas Jonaitis,jonas.jonaitis@lrmuitine.lt,2026-02-22\n"
                                  "petras,Petras Petraitis,petras@lrmuitine.lt,2026-02-24\n")
    itpc(config, "afis", "import-logins", str(path))
    for now in ("2026-11-22T23:59", NOW, "2026-11-23T09:01", "2026-11-23T10:00", "2026-11-24T09:00",
                "2026-12-20T09:00", NOW):
        itpc(config, "afis", "reconcile", now=now)
    mails = sent_mail(tmp_path)   # petras turned over on 25 Nov, between two of the ticks
    assert sorted(m["To"] for m in mails) == ["jonas.jonaitis@lrmuitine.lt", "petras@lrmuitine.lt"]
    mails = [m for m in mails if m["To"].startswith("jonas")]
    body = mails[0].get_payload(decode=True).decode("utf-8")
    subject = str(make_header(decode_header(mails[0]["Subject"])))
    assert "„Neaktyvi“" in subject and "jonas" in subject
    assert "2026-02-22" in body and "18 punkt" in body and "2027-02-22" in body
    assert mails[0]["Auto-Submitted"] == "auto-generated"
    marks = entries(config, "afis.inactive")
    assert [(m["username"], m["inactive_from"]) for m in marks] == [("jonas", "2026-11-23"),
                                                                    ("petras", "2026-11-25")]
    queued = [e["id"] for e in entries(config, "mail.queued")]
    assert queued == ["afis/inactive/jonas/2026-02-22", "afis/inactive/petras/2026-02-24"]
    assert len(entries(config, "mail.sent")) == 2


def test_nine_months_minus_a_day_gives_no_email(config, tmp_path):
    path = write_export(tmp_path, "petras,Petras Petraitis,petras@lrmuitine.lt,2026-02-24\n")
    itpc(config, "afis", "import-logins", str(path))
    itpc(config, "afis", "reconcile", now=NOW)
    assert sent_mail(tmp_path) == []
    assert entries(config, "afis.inactive") == []
    assert listed(config, NOW) == {}


def test_twelve_months_and_a_day_is_listed_for_withdrawal_without_notice(config, tmp_path):
    path = write_export(tmp_path, "ona,Ona Onaitė,ona@lrmuitine.lt,2025-11-22\n"
                                  "rasa,Rasa Rasaitė,rasa@lrmuitine.lt,2025-11-23\n")
    itpc(config, "afis", "import-logins", str(path))
    itpc(config, "afis", "reconcile", now=NOW)
    users = listed(config, NOW)
    assert users["ona"]["status"] == "withdrawal" and users["ona"]["withdrawal_from"] == "2026-11-23"
    assert users["rasa"]["status"] == "inactive" and users["rasa"]["withdrawal_from"] == "2026-11-24"
    assert [m["To"] for m in sent_mail(tmp_path)] == ["rasa@lrmuitine.lt"]   # no notice before withdrawal
    text = itpc(config, "afis", "inactive", now=NOW).stdout
    assert "WITHDRAW" in text and "Ona Onaitė" in text


def test_a_new_login_ends_inactivity_and_a_later_lapse_mails_again(config, tmp_path):
    itpc(config, "afis", "import-logins", str(write_export(tmp_path, "jonas,J,jonas@lrmuitine.lt,2026-02-22\n")))
    itpc(config, "afis", "reconcile", now=NOW)
    itpc(config, "afis", "import-logins",
         str(write_export(tmp_path, "jonas,J,jonas@lrmuitine.lt,2026-11-23T10:00\n", name="urt2.csv")))
    assert listed(config, "2026-11-24T09:00") == {}
    itpc(config, "afis", "reconcile", now="2027-08-25T09:00")   # 9 months and a day after the new login
    assert len(sent_mail(tmp_path)) == 2


def test_a_user_without_an_address_is_marked_with_the_reason(config, tmp_path):
    itpc(config, "afis", "import-logins", str(write_export(tmp_path, "jonas,J,,2026-02-22\n")))
    itpc(config, "afis", "reconcile", now=NOW)
    itpc(config, "afis", "reconcile", now=NOW)
    marks = entries(config, "afis.inactive")
    assert len(marks) == 1 and marks[0]["mail"] is None and "e-mail" in marks[0]["reason"]
    assert listed(config, NOW)["jonas"]["mail"] == "none"


# --- rights change notices: the supervisor's 2 working days (1B-280:14-15) ----------------------------------

CHANGE = """\
From: Vilniaus teritorine muitine <vtm@lrmuitine.lt>
To: ITPC@lrmuitine.lt
Subject: AFIS/CIS+
Date: {date}
Message-ID: <chg-{n}@lrmuitine.lt>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Laba diena,

informuojame, kad pareigūnas Jonas Jonaitis (jonas.jonaitis@lrmuitine.lt) nuo 2026-11-18 atleidžiamas iš
darbo, todėl prašome panaikinti jo teisę naudotis AFIS/CIS+.

Vilniaus teritorinės muitinės viršininkas
"""


def test_a_withdrawal_notice_is_forwarded_and_flagged_late_after_the_supervisors_two_working_days(config, tmp_path):
    # Dismissed on Wednesday 18 Nov: the supervisor had until the end of Friday 20 Nov to tell ITPC.
    for n, date_ in ((1, "Fri, 20 Nov 2026 15:00:00 +0200"), (2, "Mon, 23 Nov 2026 09:00:00 +0200")):
        mail = CHANGE.format(date=date_, n=n)
        delivered = int(parsedate_to_datetime(date_).timestamp())  # the delivery agent names the file so
        (tmp_path / "inbox" / "new" / f"{delivered}.M{n}P1.chg").write_bytes(mail.encode("utf-8"))
    itpc(config, "poll", "--once", now=NOW)
    notices = [json.loads(line) for line in itpc(config, "afis", "changes", "--json", now=NOW).stdout.splitlines()]
    assert [(c["outcome"], c["rules"], c["changed_on"], c["late"]) for c in notices] == [
        ("forwarded", ["1B-280:15", "1B-280:16"], "2026-11-18", False),
        ("forwarded", ["1B-280:15", "1B-280:16"], "2026-11-18", True)]
    assert notices[0]["notice_due"].startswith("2026-11-20T2")  # 23:59:59 Vilnius, stored in UTC
    late = itpc(config, "afis", "changes", "--late", now=NOW).stdout.splitlines()
    assert len(late) == 1 and "LATE" in late[0] and notices[1]["number"] in late[0]
    forwards = [m for m in sent_mail(tmp_path) if m["To"] == "AFIS@lrmuitine.lt"]
    assert len(forwards) == 2
    body = forwards[1].get_payload(0).get_payload(decode=True).decode("utf-8")
    assert "vėliau nei per 2 darbo dienas" in " ".join(body.split())
