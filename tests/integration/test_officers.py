"""Who did it (issue 13 item 10, DESIGN.md principle 7): an officer command records the real person — the login
sudo names, else the process user — only people in the officers directory may act, and letters and the
Sutikimas carry the signing officer's name and position in their own places (the duty officer's when automatic)."""
from __future__ import annotations

import email
import email.policy
import json
import shutil
from pathlib import Path

import pytest

from config import load_settings
from config.officers import OfficersError, load_officers
from itpc.officers import NotAnOfficer, acting_officer, process_login
from tests.helpers import CORPUS, DUTY, ME, OFFICER, TEST_OFFICERS, as_officer, itpc, make_config, write_officers
from tests.integration.test_officer import TRADER, body, requests_json, sutikimas_text, to

C09 = CORPUS / "mail" / "c09-unclear-reason.eml"   # received Wed 2026-12-02 08:45, reason unclear: review
C01 = CORPUS / "mail" / "c01-labels-plain.eml"     # a complete request the rules consent to
STRANGER = "mallory"


@pytest.fixture
def review(tmp_path):
    config = make_config(tmp_path)
    shutil.copy(C09, tmp_path / "inbox" / "new" / C09.name)
    itpc(config, "poll", "--once", now="2026-12-02T08:50")
    [request] = requests_json(config)
    assert request["decision"]["outcome"] == "review"
    return tmp_path, config, request["number"]


def ledger_bytes(tmp: Path) -> bytes:
    return (tmp / "ledger" / "ledger.jsonl").read_bytes()


def signature(text: str) -> list[str]:
    """The lines of a letter's signature block, from "Pagarbiai," to ITPC's name."""
    lines = text.splitlines()
    start = lines.index("Pagarbiai,")
    return lines[start + 1:lines.index("Muitinės informacinių technologijų paslaugų centras", start)]


# --- who acts ---------------------------------------------------------------------------------------------

def test_sudo_user_wins_over_the_process_user_and_signs_the_letter_and_the_sutikimas(review):
    tmp, config, number = review
    done = itpc(config, "decide", number, "consent", now="2026-12-02T09:30", env=as_officer(OFFICER))
    assert done.stdout.strip().endswith(f"by {OFFICER}")
    [request] = requests_json(config)
    assert request["decision"]["decided_by"] == OFFICER != ME
    name, position, _ = TEST_OFFICERS[OFFICER]
    [answer] = [m for m in to(tmp, TRADER) if "VTP-2026-000001" in m["Subject"]]
    assert signature(body(answer)) == [position, name]
    text = sutikimas_text(answer)
    assert name in text and position in text and TEST_OFFICERS[DUTY][0] not in text


def test_user_and_logname_do_not_make_anyone_someone_else(review):
    tmp, config, number = review
    itpc(config, "decide", number, "consent", now="2026-12-02T09:30",
         env={"USER": OFFICER, "LOGNAME": OFFICER, "USERNAME": OFFICER})
    [request] = requests_json(config)
    assert request["decision"]["decided_by"] == ME


def test_there_is_no_option_to_act_under_another_name(review):
    tmp, config, number = review
    before = ledger_bytes(tmp)
    done = itpc(config, "decide", number, "consent", "--officer", OFFICER, now="2026-12-02T09:30", check=False)
    assert done.returncode == 2 and "--officer" in done.stderr
    assert ledger_bytes(tmp) == before


@pytest.mark.parametrize("args", [
    ("decide", "{number}", "consent"),
    ("decide", "{number}", "refuse", "--reason", "Priežastis nėra objektyvi."),
    ("note", "{number}", "Paskambinta įmonei."),
    ("requeue", "{number}", "--reason", "Bandoma dar kartą"),
    ("afis", "granted", "{number}"),
    ("outage", "plan", "MDAS", "--from", "2026-12-05T20:00", "--to", "2026-12-06T02:00"),
    ("outage", "start", "MDAS"),
    ("outage", "cancel", "MDAS-20261205T1800Z", "--reason", "Atidėta"),
], ids=lambda args: " ".join(args[:2]))
def test_a_non_officer_gets_one_line_and_nothing_is_appended(review, args):
    tmp, config, number = review
    before = ledger_bytes(tmp)
    outbox = sorted(p.name for p in (tmp / "outbox" / "new").iterdir())
    done = itpc(config, *(a.format(number=number) for a in args), now="2026-12-02T09:30", check=False,
                env=as_officer(STRANGER))
    assert done.returncode == 1
    assert done.stderr == (f"itpc: {STRANGER} is not an ITPC officer ({tmp / 'officers.toml'}); ask the ITPC "
                           "administrator to add you to the officers directory\n")
    assert ledger_bytes(tmp) == before
    assert sorted(p.name for p in (tmp / "outbox" / "new").iterdir()) == outbox


def test_outage_commands_record_the_officer(tmp_path):
    config = make_config(tmp_path)
    itpc(config, "outage", "plan", "MDAS", "--from", "2026-12-05T20:00", "--to", "2026-12-06T02:00",
         now="2026-12-02T09:00", env=as_officer(OFFICER))
    itpc(config, "outage", "extend", "MDAS", "--to", "2026-12-06T04:00", now="2026-12-05T21:00")
    itpc(config, "outage", "start", "NTKS", "--at", "2026-12-07T08:00", now="2026-12-07T08:05",
         env=as_officer(DUTY))
    itpc(config, "outage", "end", "NTKS", "--at", "2026-12-07T09:00", now="2026-12-07T09:05",
         env=as_officer(OFFICER))
    entries = [e for e in _export(config) if e["type"].startswith("outage.")]
    assert [(e["type"], e["data"]["by"]) for e in entries] == [
        ("outage.declared", OFFICER), ("outage.extended", ME), ("outage.declared", DUTY), ("outage.ended", OFFICER)]


def _export(config: Path) -> list[dict]:
    return [json.loads(line) for line in itpc(config, "ledger", "export", "--json").stdout.splitlines()]


# --- automatic letters: the duty officer ------------------------------------------------------------------

def test_an_automatic_consent_is_signed_by_the_duty_officer(tmp_path):
    config = make_config(tmp_path)
    shutil.copy(C01, tmp_path / "inbox" / "new" / C01.name)
    itpc(config, "poll", "--once", now="2026-11-23T08:41")
    messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in sorted((tmp_path / "outbox" / "new").iterdir())]
    [answer] = [m for m in messages if m["Subject"].startswith("Sutikimas")]
    name, position, _ = TEST_OFFICERS[DUTY]
    assert signature(body(answer)) == [position, name]
    text = sutikimas_text(answer)
    assert name in text and position in text


def test_a_duty_officer_missing_from_the_directory_is_a_fail_line_of_check(tmp_path):
    config = make_config(tmp_path, itpc={"duty_officer": "nobody"})
    done = itpc(config, "check", check=False)
    assert done.returncode == 1
    [line] = [line for line in done.stdout.splitlines() if "officers directory" in line]
    assert line.startswith("FAIL  officers directory: ") and "'nobody' is not in the officers directory" in line


def test_the_service_does_not_start_with_a_duty_officer_missing_from_the_directory(tmp_path):
    done = itpc(make_config(tmp_path, itpc={"duty_officer": "nobody"}), "run", check=False)
    assert done.returncode == 1
    assert done.stderr == (f"itpc: itpc.duty_officer: 'nobody' is not in the officers directory "
                           f"({tmp_path / 'officers.toml'})\n")
    assert not (tmp_path / "ledger" / "ledger.jsonl").exists()


def test_check_names_the_officers_directory_and_the_duty_officer(tmp_path):
    done = itpc(make_config(tmp_path), "check", check=False)
    [line] = [line for line in done.stdout.splitlines() if "officers directory" in line]
    name, position, _ = TEST_OFFICERS[DUTY]
    assert line == (f"ok    officers directory: {tmp_path / 'officers.toml'} ({len(TEST_OFFICERS)} officers; "
                    f"duty officer {DUTY}: {position} {name})")


# --- the directory and the login, as functions --------------------------------------------------------------

def test_acting_officer_takes_sudo_user_else_the_process_user(tmp_path):
    settings = load_settings(make_config(tmp_path))
    assert acting_officer(settings, environ={"SUDO_USER": OFFICER}).login == OFFICER
    assert acting_officer(settings, environ={"USER": OFFICER}).login == ME == process_login()
    assert acting_officer(settings, environ={"SUDO_USER": ""}).name == TEST_OFFICERS[ME][0]
    with pytest.raises(NotAnOfficer, match=f"^{STRANGER} is not an ITPC officer"):
        acting_officer(settings, environ={"SUDO_USER": STRANGER})


def test_the_shipped_directory_holds_the_shipped_duty_officer():
    settings = load_settings(None)
    officers = load_officers(settings.officers.directory)
    assert officers.get(settings.itpc.duty_officer) is not None


@pytest.mark.parametrize("text, message", [
    ("", r"expected \[\[officer\]\] tables"),
    ('[[officer]]\nlogin = "a"\nname = "A B"\nposition = "P"\n', "officer 1: email must be a non-empty string"),
    ('[[officer]]\nlogin = "a"\nname = "A B"\nposition = "P"\nemail = "x"\n', "email is not an e-mail address"),
    ('[[officer]]\nlogin = "a"\nname = "A B"\nposition = "P"\nemail = "a@b.lt"\nphone = "1"\n', "unknown key phone"),
    ('[[officer]]\nlogin = "a"\nname = "A"\nposition = "P"\nemail = "a@b.lt"\n' * 2, "login a is listed more than once"),
    ("[[officer]\n", "not valid TOML"),
])
def test_a_malformed_directory_is_one_error_naming_the_file(tmp_path, text, message):
    path = tmp_path / "officers.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(OfficersError, match=message) as caught:
        load_officers(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_write_officers_round_trips(tmp_path):
    officers = load_officers(write_officers(tmp_path / "o.toml"))
    assert {o.login: (o.name, o.position, o.email) for o in officers.items} == TEST_OFFICERS
