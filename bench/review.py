"""Officers' review CLI on a year of requests: `itpc requests|show|report|search` timed as wall clock of the
real `itpc` process, each against a baseline measured in the same run over the same ledger file.

    python -m bench.review [--requests 100000] [--runs 5] [--cache DIR] [--regenerate]

The ledger: ``--requests`` requests received over 2026 (default 100,000, or ``ITPC_BENCH_REQUESTS``) with
everything the running system appends about them: the message received and acknowledged, the registered
request, the automatic decision (made by the real, pure rules engine in ``responders.rules``), letters and
customs-office notices queued and sent (a few failing first, a few held and released by an officer),
decision alerts and breaches (1B-1029:9), officers' decisions and notes, early ends and expiries of consents.
It is written directly as a hash-chained ledger file (no `poll`), checked once with `itpc ledger verify`, and
cached by size and ``VERSION`` (default ``bench/out/cache``, git-ignored); each run works on a copy.

Baseline: ``python -c 'import json; [json.loads(l) for l in open(LEDGER)]'`` over the same file (the least any
command that reads the whole ledger must do). Figures, one JSON object per line:
``{"name", "value", "unit", "baseline", "baseline_name", "ratio", "target", "met", ...}``, ``ratio = value /
baseline``; then a summary line. Every command runs with ``--now`` set after the ledger's last day.
Exits non-zero only when an `itpc` command fails; a missed target prints "over target" (machines are noisy),
and a command not written yet prints that it is missing.
"""
from __future__ import annotations

import argparse
import csv
import heapq
import json
import os
import pwd
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from ledger.clock import VILNIUS, shown, to_utc_iso
from ledger.entries import (CONSENT_EXPIRED, DEADLINE_BREACHED, DECISION_MADE, MAIL_ACKNOWLEDGED, MAIL_FAILED,
                            MAIL_HELD, MAIL_QUEUED, MAIL_RECEIVED, MAIL_REQUEUED, MAIL_SENT, OFFICER_NOTE,
                            REQUEST_REGISTERED)
from ledger.store import GENESIS, LEDGER_FILE, Ledger, encode_line, entry_hash
from responders.institutions import Institution, Institutions
from responders.reasons import NOT_OBJECTIVE, OBJECTIVE, UNCLEAR, ReasonLists, classify_reasons
from responders.rules import (ConsentRecord, Decision, decide_afis_access, decide_afis_change, decide_continuity,
                              decide_early_recovery)
from responders.workdays import is_working_day, working_days_after

ROOT = Path(__file__).resolve().parents[1]
ITPC = Path(os.environ.get("ITPC_BENCH_ITPC") or ROOT / ".venv" / "bin" / "itpc")  # ITPC_BENCH_ITPC: another one
OFFICES_CSV = ROOT / "config" / "customs_offices.csv"
REASONS_TOML = ROOT / "config" / "reasons.toml"

# Bump when the generated ledger changes in any way, so that cached ledgers are rebuilt.
VERSION = "review-bench-3"
YEAR = 2026
SEED = 20260601
NOW = "2027-01-04T09:00"        # every command's clock: after the last entry of the ledger
REPORT_MONTH = "2026-06"
DEFAULT_REQUESTS = 100_000
INCREMENTAL_ENTRIES = 300       # appended before each incremental measurement
INSTITUTIONS = Institutions((Institution("Lietuvos Respublikos muitinė", ("lrmuitine.lt",)),))
AFIS_CORRECTION_DAYS = 5
DUTY_ADDRESS = "ITPC@lrmuitine.lt"
FAX_GATEWAY = "{number}@fax.lrmuitine.lt"

# Targets (issue 6, "Performance"; issue 15 for the writers), seconds of wall clock on the 100k ledger.
TARGETS = {"requests_review": 1.0, "show": 1.0, "report_month": 3.0, "tick": 1.0, "decide": 1.0, "requeue": 1.0,
           "poll_one": 1.0, "run_start": 2.0, "verify_new": 0.1}
WRITER_RSS_MB = 150  # peak resident memory of each writer command on the 100k ledger (issue 15)
CORPUS_MESSAGE = ROOT.parent / "shared" / "corpus" / "mail" / "c01-labels-plain.eml"
BASELINE_NAME = "python -c 'import json; [json.loads(l) for l in open(LEDGER)]'"


# ================================================================ names and texts (what the requests say)

PLACES = ("Baltijos", "Nemuno", "Neries", "Žalgirio", "Šiaulių", "Dzūkijos", "Aukštaitijos", "Žemaitijos",
          "Kauno", "Klaipėdos", "Vilniaus", "Panevėžio", "Alytaus", "Marijampolės", "Utenos", "Tauragės",
          "Telšių", "Biržų", "Kėdainių", "Jonavos", "Rokiškio", "Plungės", "Kretingos", "Palangos", "Trakų",
          "Ukmergės", "Visagino", "Mažeikių", "Raseinių", "Šilutės", "Rytų", "Vakarų", "Šiaurės", "Pietų",
          "Gintaro", "Ąžuolo", "Liepų", "Beržų", "Ežerų", "Pajūrio", "Girių", "Kalnų", "Lygumų", "Vėtrungės",
          "Jankausko", "Petrausko", "Kazlausko", "Stankevičiaus", "Vasiliausko", "Žukausko", "Butkaus",
          "Paulausko", "Urbono", "Kavaliausko", "Navicko", "Ramanausko", "Šimkaus", "Sakalausko", "Čepulio")
TRADES = ("logistika", "krovinių linija", "ekspedicija", "prekyba", "terminalas", "vežėjai", "transportas",
          "sandėliai", "muitinės tarpininkas", "pienas", "mediena", "grūdai", "baldai", "tekstilė", "agentūra",
          "jūrų agentūra", "maistas", "statyba", "technika", "chemija", "trąšos", "žuvis", "mėsa",
          "vaistai", "elektronika", "popierius", "plastikas", "metalas", "automobiliai", "padangos",
          "stiklas", "kava", "vynas", "tabakas", "kuras")
FORMS = ("UAB", "UAB", "UAB", "UAB", "MB", "AB", "IĮ")
FIRST_M = ("Tomas", "Jonas", "Mantas", "Darius", "Paulius", "Andrius", "Marius", "Saulius", "Vytautas",
           "Linas", "Giedrius", "Rokas", "Žilvinas", "Arūnas", "Kęstutis", "Mindaugas")
FIRST_F = ("Rasa", "Asta", "Lina", "Eglė", "Rūta", "Jurgita", "Ieva", "Inga", "Vaida", "Dalia",
           "Giedrė", "Aušra", "Laura", "Neringa", "Živilė", "Kristina")
SURNAME_M = ("Jankauskas", "Petrauskas", "Kazlauskas", "Vaitkus", "Stankevičius", "Žukauskas", "Butkus",
             "Paulauskas", "Urbonas", "Kavaliauskas", "Navickas", "Ramanauskas", "Šimkus", "Mockus",
             "Kairys", "Valys", "Sakalauskas", "Čepulis", "Lukoševičius", "Jurevičius")
SURNAME_F = ("Jankauskienė", "Petrauskienė", "Kazlauskienė", "Vaitkienė", "Stankevičienė", "Žukauskienė",
             "Butkienė", "Paulauskienė", "Urbonienė", "Kavaliauskienė", "Navickienė", "Ramanauskienė",
             "Šimkienė", "Mockienė", "Kairienė", "Valienė", "Sakalauskienė", "Čepulienė", "Lukoševičienė",
             "Jurevičienė")
POSITIONS = ("Muitinės tarpininkė", "Muitinės tarpininkas", "Direktorius", "Direktorė", "Vadybininkas",
             "Vadybininkė", "Logistikos vadovas", "Deklarantė", "Deklarantas", "Vyr. buhalterė")
REASONS = {
    OBJECTIVE: (
        "sugedo serveris, kuriame veikia mūsų deklaravimo programa.",
        "nutrūko interneto ryšys mūsų sandėlyje (tiekėjo gedimas).",
        "po programinės įrangos atnaujinimo neveikia deklaravimo programa, gamintojas šalina gedimą.",
        "sugedo kompiuteris, kuriame įdiegta tranzito deklaravimo programa.",
        "dingo elektra visame verslo centre, elektros tiekimo sutrikimas.",
        "kibernetinė ataka: serveriai užšifruoti, sistemos neveikia.",
        "sugedo maršrutizatorius, laukiame tiekėjo.",
        "neveikia deklaravimo programa – duomenų bazės klaida.",
        "interneto tiekėjo gedimas, nėra ryšio su MDAS.",
        "užstrigo serveris po elektros sutrikimo, atkuriame duomenis.",
    ),
    NOT_OBJECTIVE: (
        "deklarantė atostogauja, o kitas darbuotojas nemoka naudotis programa.",
        "darbuotojas serga, kito deklaranto nėra.",
        "pamiršome slaptažodį prie sistemos.",
        "neturime laiko pildyti elektroninių deklaracijų šią savaitę.",
        "baigėsi elektroninio parašo galiojimas, naujo dar neturime.",
    ),
    UNCLEAR: (
        "techninės problemos.",
        "negalime pateikti duomenų elektroniniu būdu.",
        "sistema veikia lėtai, deklaracijos nepasiekia adresato laiku.",
        "sugedo serveris, o IT specialistas atostogauja.",
        "keičiame buhalterinę programą, perkeliami duomenys.",
    ),
}
OFFICER_NOTES = ("Paskambinta įmonei, laukiame patikslinimo.", "Įmonė patvirtino telefonu, kad sistema neveikia.",
                 "Persiųsta Muitinės departamentui susipažinti.", "Reklama, atsakymo nereikia.",
                 "Paprašyta atsiųsti IT tiekėjo pažymą apie gedimą.", "Klausimas perduotas AFIS pareigūnui.",
                 "Atsakyta telefonu, raštu atsakyti nereikia.")
OFFICERS = ("r.petrauskiene", "t.jankauskas", "a.vaitkiene", "m.kazlauskas", "l.mockiene", "d.vaitkus")
INSTITUTION_NAMES = ("Vilniaus teritorinė muitinė", "Kauno teritorinė muitinė", "Klaipėdos teritorinė muitinė",
                "Muitinės kriminalinė tarnyba", "Muitinės departamentas", "Muitinės informacinių sistemų centras")
AFIS_MODULE_SETS = (["AFIS paštas", "CIS (EU)"], ["AFIS paštas", "CIS (EU)", "CIS+ CigInfo"], ["FIDE (EU)"],
                    ["CIS+ MarInfo", "AFIS paštas"], ["ToSMA", "CIS (MS)"], ["AFIS paštas"])
AFIS_PURPOSES = ("sulaikytų tabako gaminių duomenų įvedimas į CIS+ ir keitimasis informacija AFIS paštu.",
                 "muitinės tyrimų bylų paieška FIDE.", "informacijos apie jūrų krovinius tikrinimas.",
                 "rizikos analizė ir keitimasis informacija su ES valstybių narių muitinėmis.")
AFIS_CHANGES = ("pareigūnas atleistas iš pareigų, prašome panaikinti teises.",
                "pareigūnei suteikti papildomi moduliai: CIS+ CigInfo.",
                "pareigūnas perkeltas į kitą skyrių, nebedirba su AFIS.",
                "pakeistos pareigos, reikalinga prieiga prie FIDE (EU).")
NOT_REQUEST_SUBJECTS = ("Kvietimas į seminarą apie muitinės procedūras", "Sąskaita faktūra Nr. {n}",
                        "Klausimas dėl deklaracijos", "Re: susitikimas", "Naujienlaiškis", "Dėl tranzito garantijos",
                        "Prašau paskambinti")
AUTO_KINDS = ("Auto-Submitted: auto-replied", "Content-Type: multipart/report (delivery status)",
              "Precedence: bulk")


def fold_ascii(text: str) -> str:
    """Lower case without diacritics or punctuation: for e-mail domains and search words."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return "".join(c if c.isalnum() else " " for c in plain).strip()


@dataclass
class Applicant:
    name: str
    eori: str
    phone: str
    domain: str
    contact: str
    position: str
    reply_email: list[str]
    fax: str | None
    offices: list[str]
    systems: list[str]
    requests: int = 0


@dataclass
class Office:
    code: str
    email: str


def load_offices() -> list[Office]:
    with open(OFFICES_CSV, encoding="utf-8") as fh:
        return [Office(row["code"], row["email"]) for row in csv.DictReader(fh) if row.get("email")]


def make_applicants(rng: random.Random, count: int, offices: list[Office]) -> list[Applicant]:
    names, eoris, domains = set(), set(), set()
    people = []
    while len(people) < count:
        base = f"{rng.choice(PLACES)} {rng.choice(TRADES)}"
        name = f"{rng.choice(FORMS)} „{base[0].upper()}{base[1:]}“"
        if name in names:
            continue
        eori = f"LT{rng.randrange(100_000_000, 400_000_000)}"
        if eori in eoris:
            continue
        domain = "".join(fold_ascii(base).split())[:24] + ".lt"
        while domain in domains:
            domain = domain[:-3] + str(rng.randrange(10)) + ".lt"
        names.add(name), eoris.add(eori), domains.add(domain)
        female = rng.random() < 0.5
        first = rng.choice(FIRST_F if female else FIRST_M)
        contact = f"{first} {rng.choice(SURNAME_F if female else SURNAME_M)}"
        fax = f"+370{rng.randrange(31_000_000, 46_999_999)}" if rng.random() < 0.05 else None
        reply = [] if fax else [rng.choice(("muitine", "deklaracijos", "info", "logistika")) + "@" + domain]
        picked = rng.sample(offices, rng.choices((1, 2, 3), (70, 22, 8))[0])
        people.append(Applicant(
            name=name, eori=eori, phone=f"+370{rng.randrange(31_000_000, 69_999_999)}", domain=domain,
            contact=contact, position=rng.choice(POSITIONS), reply_email=reply, fax=fax,
            offices=sorted(o.code for o in picked),
            systems=rng.choices((["MDAS"], ["NTKS"], ["MDAS", "NTKS"]), (60, 25, 15))[0]))
    return people


# ================================================================ time (integer microseconds since the epoch)

US = 1_000_000
MINUTE = 60 * US
HOUR = 60 * MINUTE
UTC = timezone.utc


def dt(us: int) -> datetime:
    return datetime.fromtimestamp(us / US, UTC)


def us_of(moment: datetime) -> int:
    return int(round(moment.timestamp() * US))


def iso_us(us: int) -> str:
    return dt(us).isoformat(timespec="microseconds")


def iso_s(us: int) -> str:
    return dt(us).isoformat(timespec="seconds")


def vilnius_iso(us: int) -> str:
    return dt(us).astimezone(VILNIUS).isoformat(timespec="seconds")


def next_tick(us: int, rng: random.Random) -> int:
    """When the once-a-minute scheduler tick after ``us`` runs (and how long it took to get there)."""
    return (us // MINUTE + 1) * MINUTE + rng.randrange(50_000, 900_000)


def arrival_times(rng: random.Random, count: int) -> list[int]:
    """Receipt times over the year: weekdays busier than weekends and holidays, mostly office hours."""
    days = [date(YEAR, 1, 1) + timedelta(days=i) for i in range((date(YEAR + 1, 1, 1) - date(YEAR, 1, 1)).days)]
    weights = [1.0 if is_working_day(d) else 0.3 for d in days]
    times = []
    for day in rng.choices(days, weights, k=count):
        hour = rng.gauss(11.5, 2.6) if rng.random() < 0.8 else rng.uniform(0, 24)
        seconds = int(min(max(hour, 0.0), 23.999) * 3600)
        local = datetime.combine(day, datetime.min.time(), VILNIUS) + timedelta(seconds=seconds)
        times.append(us_of(local))
    return sorted(times)


# ================================================================ the chained file

class ChainWriter:
    """Writes entries as the ledger would (seq, ts, type, data, prev, hash); ts never goes backwards."""

    def __init__(self, path: Path):
        self.fh = open(path, "wb")
        self.seq, self.prev, self.last_us = 0, GENESIS, 0
        self.buffer: list[bytes] = []
        self.bytes = 0

    def append(self, type_: str, data: dict[str, Any], at: int) -> None:
        at = max(at, self.last_us + 1)
        self.last_us = at
        self.seq += 1
        ts = iso_us(at)
        digest = entry_hash(self.seq, ts, type_, data, self.prev)
        line = encode_line({"seq": self.seq, "ts": ts, "type": type_, "data": data, "prev": self.prev,
                            "hash": digest})
        self.prev = digest
        self.bytes += len(line)
        self.buffer.append(line)
        if len(self.buffer) >= 4096:
            self.flush()

    def flush(self) -> None:
        self.fh.write(b"".join(self.buffer))
        self.buffer = []

    def close(self) -> None:
        self.flush()
        self.fh.close()


# ================================================================ the simulated year

@dataclass
class Consent:
    number: str
    request: "Req"
    eori: str
    issued: int
    start: int
    end: int
    offices: list[str]
    ended: bool = False
    expired: bool = False

    def record(self) -> ConsentRecord:
        return ConsentRecord(number=self.number, eori=self.eori, issued_at=dt(self.issued),
                             period_from=dt(self.start), period_to=dt(self.end), offices=tuple(self.offices))


@dataclass
class Req:
    kind: str
    received: int
    number: str = ""
    registered: dict[str, Any] = field(default_factory=dict)
    applicant: Applicant | None = None
    recipients: list[str] = field(default_factory=list)
    decisions: int = 0
    outcome: str = "open"
    awaiting_officer: bool = False
    entries: int = 0


class Year:
    """Runs the year in time order (a heap of due work) and writes what the system would have appended."""

    def __init__(self, writer: ChainWriter, rng: random.Random, requests: int):
        self.w, self.rng, self.total = writer, rng, requests
        self.offices = load_offices()
        self.office_email = {o.code: o.email for o in self.offices}
        self.reasons = ReasonLists.load(REASONS_TOML)
        self.reason_texts = {verdict: [t for t in texts if classify_reasons(t, self.reasons) == verdict]
                             for verdict, texts in REASONS.items()}
        if not all(self.reason_texts.values()):
            raise SystemExit(f"reason texts no longer classify as intended with {REASONS_TOML}")
        self.applicants = make_applicants(rng, 6000, self.offices)
        # A few busy traders ask often enough that 1B-1029:12's count refuses some of their requests.
        self.weights = [8.0 if i < 25 else 1.0 for i in range(len(self.applicants))]
        self.heap: list[tuple[int, int, Callable[[int], None]]] = []
        self.counter = 0
        self.numbers = {"ITPC": 0, "AFIS": 0, "VTP": 0}
        self.consents_of: dict[str, list[Consent]] = {}
        self.active: dict[str, Consent] = {}     # issued, neither expired nor ended early yet
        self.consents: dict[str, Consent] = {}
        self.requests: list[Req] = []

    # -- plumbing -------------------------------------------------------------------------------------
    def at(self, when: int, action: Callable[[int], None]) -> None:
        self.counter += 1
        heapq.heappush(self.heap, (when, self.counter, action))

    def run(self) -> None:
        for received in arrival_times(self.rng, self.total):
            poll = received + self.rng.randrange(4, 55) * US
            self.at(poll, lambda now, received=received: self.arrive(received, now))
        while self.heap:
            when, _, action = heapq.heappop(self.heap)
            action(when)
        self.w.close()

    def write(self, req: Req | None, type_: str, data: dict[str, Any], when: int) -> None:
        self.w.append(type_, data, when)
        if req is not None:
            req.entries += 1

    def next_number(self, prefix: str) -> str:
        self.numbers[prefix] += 1
        return f"{prefix}-{YEAR}-{self.numbers[prefix]:06d}"

    def hexid(self, bits: int = 256) -> str:
        return f"{self.rng.getrandbits(bits):0{bits // 4}x}"

    # -- a message arrives: received, acknowledged, registered, decided, answered -----------------------
    def arrive(self, received: int, now: int) -> None:
        kind = self.rng.choices(("continuity", "early_recovery", "afis_access", "afis_change", "auto_generated",
                                 "not_a_request"), (80, 4, 2.5, 1.5, 6, 6))[0]
        target = self.running_consent(received) if kind == "early_recovery" else None
        if kind == "early_recovery" and target is None:
            kind = "continuity"
        req = Req(kind=kind, received=received)
        self.requests.append(req)
        registered = {"continuity": self.continuity_message, "early_recovery": self.early_recovery_message,
                      "afis_access": self.afis_access_message, "afis_change": self.afis_change_message,
                      "auto_generated": self.auto_message, "not_a_request": self.other_message}[kind]
        body = registered(req, target) if kind == "early_recovery" else registered(req)
        sha, ref = self.hexid(), f"{received // US}.M{self.rng.randrange(10**6)}P{self.rng.randrange(10**5)}.mx1"
        message_id = f"<{self.rng.randrange(10**11, 10**12)}.{self.rng.randrange(10**4)}@{body.pop('_domain')}>"
        self.write(req, MAIL_RECEIVED, {
            "sha256": sha, "message_id": message_id, "size": self.rng.randrange(1_000, 60_000),
            "received_at": iso_s(received),
            "origin": {"maildir": "/var/lib/itpc/inbox", "file": ref, "folder": "new"}, "ref": ref}, now)
        self.write(req, MAIL_ACKNOWLEDGED, {"sha256": sha, "ref": ref}, now + 600)
        prefix = "AFIS" if kind.startswith("afis") else "ITPC"
        req.number = self.next_number(prefix)
        req.registered = {"number": req.number, "mail_sha256": sha, "message_id": message_id,
                          "received_at": iso_s(received), "kind": kind, **body}
        self.write(req, REQUEST_REGISTERED, req.registered, now + 30_000)
        self.decide_automatically(req, now + 60_000, target)

    def running_consent(self, when: int) -> Consent | None:
        running = [c for c in self.active.values() if c.start < when < c.end and not c.ended]
        return self.rng.choice(running) if running else None

    def base(self, *, sender: str, sender_name: str = "", subject: str, source: str = "body",
             fields: dict | None = None, missing: list | None = None, problems: list | None = None,
             fax_sender: str | None = None, auto: str | None = None, attachments: list | None = None,
             in_reply_to: str = "", domain: str) -> dict[str, Any]:
        return {"source": source, "fields": fields or {}, "missing": missing or [], "problems": problems or [],
                "sender": sender, "sender_name": sender_name, "reply_to": [], "subject": subject,
                "in_reply_to": in_reply_to, "references": [in_reply_to] if in_reply_to else [],
                "fax_sender": fax_sender, "auto_generated": auto, "attachments": attachments or [],
                "_domain": domain}

    def attachment(self, filename: str, content_type: str) -> dict[str, Any]:
        return {"filename": filename, "content_type": content_type, "size": self.rng.randrange(12_000, 90_000),
                "sha256": self.hexid()}

    def continuity_message(self, req: Req) -> dict[str, Any]:
        rng = self.rng
        who = rng.choices(self.applicants, self.weights)[0]
        who.requests += 1
        req.applicant = who
        local = dt(req.received).astimezone(VILNIUS)
        start = local.replace(minute=0, second=0) + timedelta(minutes=rng.choice((30, 60, 60, 90, 120, 180)))
        if rng.random() < 0.05:  # asks from an hour already past: the consent starts at receipt
            start = local.replace(minute=0, second=0) - timedelta(hours=1)
        end = start + timedelta(hours=rng.choices((2, 3, 4, 6, 8, 9, 10, 12, 24, 36, 48, 72),
                                                  (6, 8, 10, 12, 14, 12, 8, 10, 8, 4, 5, 3))[0])
        roll = rng.random()
        verdict = (UNCLEAR if roll < 0.05 else NOT_OBJECTIVE if roll < 0.085 else OBJECTIVE)
        fields = {"applicant": who.name, "eori": who.eori, "phone": who.phone, "systems": list(who.systems),
                  "period_from": start.isoformat(), "period_to": end.isoformat(),
                  "customs_offices": list(who.offices), "reasons": rng.choice(self.reason_texts[verdict]),
                  "reply_email": list(who.reply_email), "reply_fax": [who.fax] if who.fax else [],
                  "contact_name": who.contact, "contact_position": who.position}
        missing: list[str] = []
        gap = rng.random()
        if gap < 0.025:  # point 8 items the message lacks: refused (8.1-8.3)
            lacks = rng.choice((["eori"], ["period"], ["reasons"], ["eori", "period"]))
            for item in lacks:
                if item == "period":
                    fields["period_from"] = fields["period_to"] = None
                else:
                    fields[item] = None
            missing = lacks
        elif gap < 0.035:  # no customs office named: an officer decides
            fields["customs_offices"] = []
            missing = ["customs_offices"]
        elif gap < 0.04:  # a period that ends before it starts (8.2)
            fields["period_to"] = (start - timedelta(hours=2)).isoformat()
        if who.fax:
            source, sender, subject = "ocr", "fax-gateway@lrmuitine.lt", f"Fax from {who.fax} (1 page)"
            attachments = [self.attachment(f"fax_{local:%Y%m%d_%H%M}.pdf", "application/pdf")]
        else:
            source = rng.choices(("body", "pdf", "docx"), (65, 27, 8))[0]
            sender = f"{fold_ascii(who.contact).split()[0]}@{who.domain}"
            subject = rng.choice(("Prašymas taikyti veiklos tęstinumo procedūrą", "Prašymas", "prasymas",
                                  f"Prašymas Nr. {rng.randrange(1, 300)}", "skubu"))
            attachments = ([self.attachment(f"prasymas_{rng.randrange(1, 300)}.pdf", "application/pdf")]
                           if source == "pdf" else
                           [self.attachment("Prasymas.docx", "application/vnd.openxmlformats-officedocument."
                                                             "wordprocessingml.document")]
                           if source == "docx" else [])
        # 1B-1029:13: to the addresses and fax numbers the request names for the Sutikimas, else to the sender
        named = list(who.reply_email) + ([FAX_GATEWAY.format(number=who.fax)] if who.fax else [])
        req.recipients = named or [sender]
        return self.base(sender=sender, sender_name=who.contact if rng.random() < 0.5 else "", subject=subject,
                         source=source, fields=fields, missing=missing, fax_sender=who.fax,
                         attachments=attachments, domain="lrmuitine.lt" if who.fax else who.domain)

    def early_recovery_message(self, req: Req, consent: Consent) -> dict[str, Any]:
        holder = consent.request
        who = holder.applicant
        req.applicant = who
        resumed = max(consent.start + MINUTE, (req.received // (5 * MINUTE)) * 5 * MINUTE
                      - self.rng.randrange(0, 60) * MINUTE)
        sender = holder.recipients[0] if holder.recipients and "@fax." not in holder.recipients[0] \
            else f"info@{who.domain}"
        req.recipients = [sender]
        answer_id = f"<{holder.number}.{consent.request.decisions - 1}.answer@lrmuitine.lt>"
        return self.base(sender=sender, subject=f"RE: Sutikimas Nr. {consent.number}",
                         fields={"consent_no": consent.number, "resumed_at": vilnius_iso(resumed)},
                         in_reply_to=answer_id, domain=who.domain)

    def afis_officer(self) -> tuple[str, str, str]:
        female = self.rng.random() < 0.5
        first = self.rng.choice(FIRST_F if female else FIRST_M)
        last = self.rng.choice(SURNAME_F if female else SURNAME_M)
        return first, last, f"{fold_ascii(first)}.{fold_ascii(last)}@lrmuitine.lt"

    def afis_access_message(self, req: Req) -> dict[str, Any]:
        rng = self.rng
        first, last, email = self.afis_officer()
        boss_first, boss_last, boss = self.afis_officer()
        fields = {"institution": rng.choice(INSTITUTION_NAMES), "officer_position": rng.choice(
                      ("vyriausioji inspektorė", "vyresnysis inspektorius", "patarėja", "skyriaus vedėjas")),
                  "officer_name": f"{first} {last}", "officer_phone": f"+3705{rng.randrange(2_000_000, 2_999_999)}",
                  "officer_email": email, "access_type": rng.choice(("Internet/Secure Web", "CCN/CSI")),
                  "modules": list(rng.choice(AFIS_MODULE_SETS)), "afis_mailbox": None,
                  "purposes": [rng.choice(AFIS_PURPOSES)]}
        missing: list[str] = []
        sender = boss
        roll = rng.random()
        if roll < 0.2:  # incomplete: returned with its deficiencies (1B-280:7, 9)
            for key in rng.choice((["access_type"], ["purposes"], ["access_type", "purposes"], ["officer_phone"])):
                fields[key] = [] if key == "purposes" else None
                missing.append(key)
        elif roll < 0.27:  # sent by the officer who needs the rights (1B-280:8)
            sender = email
        req.recipients = [sender]
        return self.base(sender=sender, sender_name=f"{boss_first} {boss_last}" if sender == boss else "",
                         subject="Prašymas dėl teisės naudotis AFIS/CIS+", source="pdf", fields=fields,
                         missing=missing, attachments=[self.attachment("AFIS_prasymas.pdf", "application/pdf")],
                         domain="lrmuitine.lt")

    def afis_change_message(self, req: Req) -> dict[str, Any]:
        first, last, email = self.afis_officer()
        _, _, boss = self.afis_officer()
        change = self.rng.choice(AFIS_CHANGES)
        fields = {"institution": self.rng.choice(INSTITUTION_NAMES), "officer_name": f"{first} {last}",
                  "officer_email": email, "change": change,
                  "change_type": "loss" if any(w in fold_ascii(change) for w in ("atleist", "nebedirb"))
                  else "modification", "modules": []}
        req.recipients = [boss]
        return self.base(sender=boss, subject="Dėl AFIS/CIS+ naudotojo teisių pakeitimo", fields=fields,
                         domain="lrmuitine.lt")

    def auto_message(self, req: Req) -> dict[str, Any]:
        who = self.rng.choice(self.applicants)
        auto = self.rng.choice(AUTO_KINDS)
        subject = ("Undelivered Mail Returned to Sender" if "report" in auto else
                   f"Automatinis atsakymas: Sutikimas Nr. VTP-{YEAR}-{self.rng.randrange(1, 80_000):06d}")
        sender = f"MAILER-DAEMON@mail.{who.domain}" if "report" in auto else f"info@{who.domain}"
        return self.base(sender=sender, subject=subject, auto=auto, domain=who.domain)

    def other_message(self, req: Req) -> dict[str, Any]:
        who = self.rng.choice(self.applicants)
        problems = (["could not be read: PDFSyntaxError: No /Root object! - Is this really a PDF?"]
                    if self.rng.random() < 0.1 else [])
        return self.base(sender=f"info@{who.domain}", subject=self.rng.choice(NOT_REQUEST_SUBJECTS).format(
                             n=self.rng.randrange(100, 9999)), problems=problems, domain=who.domain)

    # -- decisions --------------------------------------------------------------------------------------
    def decide_automatically(self, req: Req, now: int, target: Consent | None) -> None:
        reg, received = req.registered, dt(req.received)
        fields, missing = reg["fields"], reg["missing"]
        if req.kind == "auto_generated":
            decision = Decision(outcome="none", rules=(), note=f"auto-generated mail ({reg['auto_generated']}); "
                                                               "never answered")
        elif req.kind == "not_a_request":
            problems = "; ".join(reg["problems"])
            decision = Decision(outcome="review", rules=(),
                                note=f"not a request{': ' + problems if problems else ''}; for an officer")
        elif req.kind == "continuity":
            recent = [c.record() for c in self.consents_of.get(fields.get("eori") or "", [])
                      if c.issued > req.received - 31 * 24 * HOUR]
            decision = decide_continuity(fields, missing, received_at=received, consents=recent, outages=[],
                                         reasons=self.reasons)
        elif req.kind == "early_recovery":
            decision = decide_early_recovery(fields, received_at=received, consents=[target.record()])
        elif req.kind == "afis_access":
            decision = decide_afis_access(fields, missing, sender=reg["sender"], institutions=INSTITUTIONS,
                                          free_mail=(), received_at=received, correction_days=AFIS_CORRECTION_DAYS)
        else:
            decision = decide_afis_change(fields, sender=reg["sender"], institutions=INSTITUTIONS, free_mail=(),
                                          received_at=received)
        record = self.record_decision(req, decision, "auto", req.received, now)
        self.letters(req, record, now + 30_000)
        if req.kind == "early_recovery" and record["outcome"] == "ended_early":
            target.ended = True
            self.active.pop(target.number, None)
        if record["outcome"] == "review":
            self.after_review(req, now)

    def record_decision(self, req: Req, decision: Decision, by: str, decided: int, now: int) -> dict[str, Any]:
        """The `decision.made` data as itpc.judge.decision_record makes it; a consent takes a number."""
        consent_no = decision.consent_no
        if decision.outcome == "consent":
            consent_no = self.next_number("VTP")
        record = {"request": req.number, "outcome": decision.outcome, "rules": list(decision.rules),
                  "period_from": to_utc_iso(decision.period_from) if decision.period_from else None,
                  "period_to": to_utc_iso(decision.period_to) if decision.period_to else None,
                  "motives": list(decision.motives), "note": decision.note,
                  "deadline": to_utc_iso(decision.deadline) if decision.deadline else None,
                  "consent_no": consent_no, "decided_by": by,
                  "decided_at": to_utc_iso(dt(decided)) if by != "auto" else iso_s(decided)}
        self.write(req, DECISION_MADE, record, now)
        req.decisions += 1
        req.outcome = decision.outcome
        req.awaiting_officer = (decision.outcome == "review" and by == "auto" and req.kind == "continuity")
        if decision.outcome == "consent":
            consent = Consent(consent_no, req, req.registered["fields"]["eori"], decided,
                              us_of(decision.period_from), us_of(decision.period_to),
                              list(req.registered["fields"]["customs_offices"]))
            self.consents_of.setdefault(consent.eori, []).append(consent)
            self.active[consent_no] = consent
            self.consents[consent_no] = consent
            self.at(next_tick(consent.end, self.rng), lambda when, c=consent: self.expire(c, when))
        return record

    def after_review(self, req: Req, now: int) -> None:
        """What happens to a request in review: an officer decides it (in time or late), or it waits."""
        rng = self.rng
        if rng.random() < (0.35 if req.kind == "not_a_request" else 0.15):
            self.at(now + rng.randrange(20, 3 * 24 * 60) * MINUTE, lambda when: self.note(req, when))
        if req.kind != "continuity":
            return
        self.at(next_tick(req.received + 90 * MINUTE, rng), lambda when: self.alert(req, when))
        self.at(next_tick(req.received + 120 * MINUTE, rng), lambda when: self.breach(req, when))
        fate = rng.random()
        if fate < 0.35:
            delay = rng.randrange(20, 85) * MINUTE
        elif fate < 0.55:
            delay = rng.randrange(92, 118) * MINUTE
        elif fate < 0.75:
            delay = rng.randrange(150, 30 * 60) * MINUTE
        else:
            return  # still waiting for an officer at the end of the year
        self.at(req.received + delay, lambda when: self.officer_decides(req, when))

    def officer_decides(self, req: Req, now: int) -> None:
        fields, rng = req.registered["fields"], self.rng
        officer = rng.choice(OFFICERS)
        if rng.random() < 0.3:
            self.note(req, now - rng.randrange(2, 15) * MINUTE, officer)
        if rng.random() < 0.8:
            start = max(dt(req.received), datetime.fromisoformat(fields["period_from"]))
            end = datetime.fromisoformat(fields["period_to"])
            limit = working_days_after(start, 2)
            rules: tuple[str, ...] = ()
            if end > limit:
                end, rules = limit, ("1B-1029:14",)
            if end <= start:  # the period asked for has gone by meanwhile: a consent from now, for four hours
                start, end = dt(now), dt(now + 4 * HOUR)
            decision = Decision(outcome="consent", rules=rules, period_from=start.astimezone(VILNIUS),
                                period_to=end.astimezone(VILNIUS))
        else:
            decision = Decision(outcome="refusal", rules=("1B-1029:12",), motives=(
                f"Prašyme nurodytos priežastys („{fields['reasons']}“) nepatvirtina, kad neveikia asmens "
                "informacinė sistema; įmonė papildomų paaiškinimų nepateikė (Muitinės veiklos tęstinumo "
                "taisyklių 12 punktas).",))
        record = self.record_decision(req, decision, officer, now, now)
        self.letters(req, record, next_tick(now, rng))

    def note(self, req: Req, now: int, officer: str | None = None) -> None:
        self.write(req, OFFICER_NOTE, {"request": req.number, "text": self.rng.choice(OFFICER_NOTES),
                                       "by": officer or self.rng.choice(OFFICERS)}, now)

    # -- the scheduler's work ---------------------------------------------------------------------------------
    def alert(self, req: Req, now: int) -> None:
        if not req.awaiting_officer:
            return
        deadline = req.received + 120 * MINUTE
        self.queue(req, f"{req.number}/deadline/alert", "decision_alert", [DUTY_ADDRESS],
                   f"Prašymas {req.number} laukia sprendimo – terminas {shown(dt(deadline))}", iso_us(now), now)

    def breach(self, req: Req, now: int) -> None:
        if not req.awaiting_officer:
            return
        self.write(req, DEADLINE_BREACHED, {"request": req.number, "received_at": req.registered["received_at"],
                                            "deadline": to_utc_iso(dt(req.received + 120 * MINUTE)),
                                            "rule": "1B-1029:9"}, now)

    def expire(self, consent: Consent, now: int) -> None:
        if consent.ended or consent.expired:
            return
        consent.expired = True
        self.active.pop(consent.number, None)
        self.write(consent.request, CONSENT_EXPIRED, {"consent_no": consent.number,
                                                      "at": to_utc_iso(dt(consent.end))}, now)

    # -- letters: queued, then sent (or failed and retried, or held until an officer releases them) ------------
    def letters(self, req: Req, decision: dict[str, Any], now: int) -> None:
        outcome, base = decision["outcome"], f"{req.number}/{req.decisions - 1}"
        reg, who = req.registered, req.applicant
        if req.kind not in ("continuity", "early_recovery", "afis_access", "afis_change"):
            return  # auto-generated mail is never answered; not_a_request waits for an officer
        plans: list[tuple[str, str, list[str], str]] = []
        if outcome == "consent":
            fields = reg["fields"]
            shorter = " (trumpesniam laikotarpiui)" if "1B-1029:14" in decision["rules"] else ""
            plans.append((f"{base}/answer", "answer", req.recipients,
                          f"Sutikimas Nr. {decision['consent_no']} taikyti veiklos tęstinumo procedūrą{shorter} – "
                          f"Prašymas {req.number}"))
            for code in fields["customs_offices"]:
                plans.append((f"{base}/notice/{code}", "office_notice", [self.office_email[code]],
                              f"Išduotas Sutikimas Nr. {decision['consent_no']} taikyti veiklos tęstinumo "
                              f"procedūrą – {fields['applicant']}, EORI {fields['eori']}"))
        elif outcome == "refusal":
            plans.append((f"{base}/answer", "answer", req.recipients, "Atsisakoma išduoti Sutikimą taikyti veiklos "
                                                                      f"tęstinumo procedūrą – Prašymas {req.number}"))
        elif outcome == "returned":
            plans.append((f"{base}/answer", "answer", req.recipients,
                          f"Grąžinamas Prašymas dėl teisės naudotis AFIS/CIS+ – {req.number}"))
        elif outcome == "review" and decision["decided_by"] == "auto":
            plans.append((f"{base}/acknowledgement", "acknowledgement", req.recipients,
                          f"Prašymas gautas ir užregistruotas Nr. {req.number}"))
        elif outcome == "ended_early":
            consent = self.consents[decision["consent_no"]]
            ended = shown(datetime.fromisoformat(decision["period_to"]))
            plans.append((f"{base}/answer", "answer", req.recipients,
                          f"Sutikimas Nr. {consent.number} baigė galioti {ended} – pranešimas {req.number}"))
            for code in consent.offices:
                plans.append((f"{base}/notice/{code}", "early_end_notice", [self.office_email[code]],
                              f"Sutikimas Nr. {consent.number} nebetaikomas nuo {ended} – {who.name}, "
                              f"EORI {who.eori}"))
        for i, (mail_id, purpose, to, subject) in enumerate(plans):
            self.queue(req, mail_id, purpose, to, subject, decision["decided_at"], now + i * 5_000)

    def queue(self, req: Req, mail_id: str, purpose: str, to: list[str], subject: str, date_iso: str,
              now: int) -> None:
        rng = self.rng
        self.write(req, MAIL_QUEUED, {"id": mail_id, "request": req.number, "purpose": purpose, "to": list(to),
                                      "subject": subject, "sha256": self.hexid(), "date": date_iso,
                                      "automatic": True}, now)
        first_try = now + rng.randrange(300_000, 4 * US)
        fate = rng.random()
        if fate < 0.02:  # a transient refusal, sent on the retry
            retry = first_try + 60 * US
            self.at(first_try, lambda when: self.write(req, MAIL_FAILED, {
                "id": mail_id, "error": "451 4.7.1 Service unavailable - try again later", "permanent": False,
                "attempt": 1, "retry_at": to_utc_iso(dt(retry)), "uncertain": False}, when))
            self.at(retry + rng.randrange(US, 30 * US), lambda when: self.sent(req, mail_id, when))
        elif fate < 0.024:  # refused permanently: held for an officer, who releases it (or not yet)
            error = f"550 5.1.1 <{to[0]}>: Recipient address rejected: User unknown in virtual mailbox table"

            def refuse(when: int) -> None:
                self.write(req, MAIL_FAILED, {"id": mail_id, "error": error, "permanent": True, "attempt": 1,
                                              "retry_at": None, "uncertain": False}, when)
                self.write(req, MAIL_HELD, {"id": mail_id, "reason": f"refused permanently: {error}"}, when + 300)
            self.at(first_try, refuse)
            if rng.random() < 0.6:
                release = first_try + rng.randrange(30, 48 * 60) * MINUTE

                def released(when: int) -> None:
                    self.write(req, MAIL_REQUEUED, {"id": mail_id, "request": req.number,
                                                    "reason": "Adresas patikslintas telefonu, siųsti dar kartą",
                                                    "by": rng.choice(OFFICERS)}, when)
                self.at(release, released)
                self.at(next_tick(release, rng), lambda when: self.sent(req, mail_id, when))
        else:
            self.at(first_try, lambda when: self.sent(req, mail_id, when))

    def sent(self, req: Req, mail_id: str, now: int) -> None:
        self.write(req, MAIL_SENT, {"id": mail_id, "answer": f"250 2.0.0 Ok: queued as {self.hexid(40).upper()}",
                                    "at": iso_us(now)}, now)


# ================================================================ the cached ledger

def cache_dir(root: Path, requests: int) -> Path:
    return root / f"review-{requests}-{VERSION}"


def generate(target: Path, requests: int) -> dict[str, Any]:
    """Write the ledger into ``target``/ledger and return what the bench needs to know about it."""
    started = time.perf_counter()
    work = target.with_name(target.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    (work / "ledger").mkdir(parents=True)
    writer = ChainWriter(work / "ledger" / LEDGER_FILE)
    year = Year(writer, random.Random(SEED), requests)
    year.run()
    numbered = [r for r in year.requests if r.number]
    longest = max((r for r in numbered if r.kind == "continuity"), key=lambda r: r.entries)
    # A trader asked about as often as most: a search that returns a screenful, not thousands.
    typical = sorted(year.applicants, key=lambda a: (abs(a.requests - 20), a.name))[0]
    meta = {"version": VERSION, "requests": len(numbered), "entries": writer.seq, "bytes": writer.bytes,
            "head": writer.prev, "long_story": longest.number, "long_story_entries": longest.entries,
            "search": " ".join(fold_ascii(typical.name).split()[1:]), "search_name": typical.name,
            "in_review": sum(r.outcome == "review" for r in numbered),
            "in_review_month": sum(r.outcome == "review" for r in numbered
                                   if dt(r.received).astimezone(VILNIUS).strftime("%Y-%m") == REPORT_MONTH),
            "consents": year.numbers["VTP"], "generated_seconds": round(time.perf_counter() - started, 1)}
    config = write_config(work)
    began = time.perf_counter()
    proc = run_itpc(config, "ledger", "verify")
    meta["verify_seconds"] = round(time.perf_counter() - began, 2)
    # The generator archives no message bytes: the only problem verify may name is an archived file missing.
    if proc.returncode != 0 and "archived file" not in proc.stdout + proc.stderr:
        raise SystemExit(f"`itpc ledger verify` rejected the generated ledger:\n{proc.stdout}{proc.stderr}")
    (work / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    for leftover in ("views.sqlite3", "views.sqlite3-wal", "views.sqlite3-shm", "ledger.lock"):
        (work / "ledger" / leftover).unlink(missing_ok=True)
    shutil.rmtree(target, ignore_errors=True)
    work.rename(target)
    return meta


def cached_ledger(root: Path, requests: int, regenerate: bool) -> tuple[Path, dict[str, Any]]:
    target = cache_dir(root, requests)
    meta_path = target / "meta.json"
    if not regenerate and meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        ledger = target / "ledger" / LEDGER_FILE
        if meta.get("version") == VERSION and ledger.exists() and ledger.stat().st_size == meta["bytes"]:
            return target, meta
    info({"info": "generating", "requests": requests, "into": str(target)})
    return target, generate(target, requests)


def write_config(work: Path) -> Path:
    for box in ("inbox", "outbox"):
        for sub in ("new", "cur", "tmp"):
            (work / box / sub).mkdir(parents=True, exist_ok=True)
    # The officer commands timed here (note, decide, requeue) are run by the bench's own login, as an officer.
    login = pwd.getpwuid(os.geteuid()).pw_name
    officers = work / "officers.toml"
    officers.write_text(f'[[officer]]\nlogin = "{login}"\nname = "Bench Officer"\nposition = "specialistas"\n'
                        f'email = "bench@lrmuitine.lt"\n', encoding="utf-8")
    config = work / "itpc.toml"
    config.write_text(f'[mailbox]\nurl = "maildir://{work / "inbox"}"\n'
                      f'[outbox]\nurl = "maildir://{work / "outbox"}"\n'
                      f'[ledger]\npath = "{work / "ledger"}"\n'
                      f'[offices]\ndirectory = "{OFFICES_CSV}"\n'
                      f'[officers]\ndirectory = "{officers}"\n'
                      f'[itpc]\nduty_officer = "{login}"\n', encoding="utf-8")
    return config


# ================================================================ measuring

@dataclass
class Outcome:
    """One timed command: its wall seconds (median of the runs), or why there is no figure."""
    seconds: float | None
    status: str            # "ok" | "missing" | "failed"
    detail: str = ""
    stdout: str = ""


def itpc_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("ITPC_") and k != "SUDO_USER"}


def run_itpc(config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ITPC), "--config", str(config), "--now", NOW, *args], capture_output=True,
                          text=True, env=itpc_env(), cwd=ROOT)


def missing_command(proc: subprocess.CompletedProcess) -> bool:
    err = proc.stderr
    return ((proc.returncode == 2 and "No such command" in err) or "ModuleNotFoundError" in err
            or "ImportError" in err)


def timed_itpc(config: Path, args: tuple[str, ...], runs: int,
               before: Callable[[], None] | None = None) -> Outcome:
    times, proc = [], None
    for _ in range(runs):
        if before:
            before()
        began = time.perf_counter()
        proc = run_itpc(config, *args)
        took = time.perf_counter() - began
        if proc.returncode != 0:
            status = "missing" if missing_command(proc) else "failed"
            last = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
            return Outcome(None, status, f"exit {proc.returncode}: {last[:300]}")
        times.append(took)
    return Outcome(statistics.median(times), "ok", stdout=proc.stdout if proc else "")


def timed_python(code: str, path: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", code.replace("LEDGER", repr(str(path)))], check=True)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def measured_itpc(config: Path, args: tuple[str, ...], before: Callable[[], None] | None = None,
                  runs: int = 3) -> tuple[Outcome, float | None]:
    """``timed_itpc`` with the peak resident memory (MB, the largest of the runs) from GNU time."""
    times, peaks, proc = [], [], None
    for _ in range(runs):
        if before:
            before()
        began = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "MAXRSS_KB=%M", str(ITPC), "--config", str(config),
                               "--now", NOW, *args], capture_output=True, text=True, env=itpc_env(), cwd=ROOT)
        times.append(time.perf_counter() - began)
        lines = proc.stderr.strip().splitlines()
        peak = next((int(l.split("=", 1)[1]) for l in reversed(lines) if l.startswith("MAXRSS_KB=")), None)
        if proc.returncode != 0:
            status = "missing" if missing_command(proc) else "failed"
            last = next((l for l in reversed(lines) if not l.startswith(("MAXRSS_KB=", "Command exited"))),
                        f"exit {proc.returncode}")
            return Outcome(None, status, f"exit {proc.returncode}: {last[:300]}"), None
        if peak is not None:
            peaks.append(peak / 1024)
    return Outcome(statistics.median(times), "ok", stdout=proc.stdout if proc else ""), max(peaks, default=None)


def ledger_facts(path: Path) -> dict[str, Any]:
    """What the writer figures need from the ledger: continuity requests waiting for an officer (the rules' last
    word on them is "review"), and requests with a letter held and not released."""
    kinds: dict[str, str] = {}
    last: dict[str, tuple[str, str]] = {}
    held: dict[str, str] = {}
    letters: dict[str, str] = {}  # outbox id -> sha256 of its archived bytes
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            entry = json.loads(line)
            data, kind = entry["data"], entry["type"]
            if kind == REQUEST_REGISTERED:
                kinds[data["number"]] = data["kind"]
            elif kind == DECISION_MADE:
                last[data["request"]] = (data["outcome"], data["decided_by"])
            elif kind == MAIL_QUEUED:
                letters[data["id"]] = data["sha256"]
            elif kind == MAIL_HELD:
                held[data["id"]] = data["id"].split("/")[0]
            elif kind in (MAIL_REQUEUED, MAIL_SENT):
                held.pop(data["id"], None)
    review = [n for n, word in last.items() if word == ("review", "auto") and kinds.get(n) == "continuity"]
    return {"review": review, "held": sorted(set(held.values())),
            "held_letters": {ident: letters[ident] for ident in held if ident in letters}}


def archive_held(ledger_dir: Path, letters: dict[str, str]) -> None:
    """The generator archives no letter: put bytes where each held letter's are looked for, so that a requeue
    sends it (Maildir outbox) as it would on a real ledger."""
    for ident, sha in letters.items():
        path = ledger_dir / "archive" / sha[:2] / f"{sha}.eml"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_bytes(f"From: ITPC@lrmuitine.lt\nTo: x@example.lt\nSubject: {ident}\n\nBench\n".encode())


def deliver_one(work: Path, i: int) -> None:
    """One new text request in the inbox (the corpus's c01 with its own Message-ID)."""
    raw = CORPUS_MESSAGE.read_bytes().replace(b"Message-ID: <", f"Message-ID: <bench-{i}-".encode(), 1)
    (work / "inbox" / "new" / f"{1798000000 + i}.bench{i}.host").write_bytes(raw)


def in_process(code: str, runs: int = 3) -> float:
    """Median of what ``code`` prints (a figure it measured itself, in seconds)."""
    found = []
    for _ in range(runs):
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
        found.append(float(proc.stdout.strip().splitlines()[-1]))
    return statistics.median(found)


def info(obj: dict[str, Any]) -> None:
    print(json.dumps(obj, ensure_ascii=False), file=sys.stderr, flush=True)


@dataclass
class Report:
    baseline: float
    label: str
    lines: list[dict[str, Any]] = field(default_factory=list)

    def figure(self, key: str, outcome: Outcome, command: str, *, runs: int, **extra: Any) -> None:
        line: dict[str, Any] = {"name": f"review.{key}@{self.label}", "command": command}
        target = TARGETS.get(key)
        if outcome.status != "ok":
            line.update({"value": None, "unit": "s", "status": outcome.status, "detail": outcome.detail})
            if outcome.status == "missing":
                line["note"] = "command not available yet"
        else:
            value = outcome.seconds
            met = None if target is None else value <= target
            line.update({"value": round(value, 4), "unit": "s", "baseline": round(self.baseline, 4),
                         "baseline_name": BASELINE_NAME, "ratio": float(f"{value / self.baseline:.4g}"),
                         "target": f"value <= {target:g} s" if target else None, "met": met, "runs": runs,
                         **extra})
            if met is False:
                line["note"] = "over target"
        self.lines.append(line)
        print(json.dumps(line, ensure_ascii=False), flush=True)


def append_notes(ledger_dir: Path, numbers: list[str], count: int, rng: random.Random) -> None:
    """Officers' remarks appended by the ledger's own writer (fsynced, chained), as `itpc note` does."""
    with Ledger.for_appending(ledger_dir) as ledger:
        for _ in range(count):
            ledger.append(OFFICER_NOTE, {"request": rng.choice(numbers), "text": rng.choice(OFFICER_NOTES),
                                         "by": "bench"})


def sample_numbers(meta: dict[str, Any]) -> list[str]:
    itpc = [f"ITPC-{YEAR}-{i:06d}" for i in range(1, int(meta["requests"] * 0.9), 97)]
    return itpc or [meta["long_story"]]


def measure(cached: Path, meta: dict[str, Any], work_root: Path, runs: int) -> tuple[list[dict], list[str]]:
    work = Path(tempfile.mkdtemp(prefix="itpc-bench-review-", dir=work_root))
    try:
        began = time.perf_counter()
        (work / "ledger").mkdir()
        ledger_dir = work / "ledger"
        ledger_path = ledger_dir / LEDGER_FILE
        shutil.copyfile(cached / "ledger" / LEDGER_FILE, ledger_path)
        config = write_config(work)
        info({"info": "copied", "seconds": round(time.perf_counter() - began, 2), "dir": str(work)})

        baseline = timed_python("import json; [json.loads(l) for l in open(LEDGER)]", ledger_path, 3)
        label = f"{meta['requests'] // 1000}k" if meta["requests"] >= 1000 else str(meta["requests"])
        report = Report(baseline, label)
        report.figure("baseline", Outcome(baseline, "ok"), BASELINE_NAME, runs=3,
                      entries=meta["entries"], ledger_mb=round(meta["bytes"] / 2**20, 1))

        def drop_view() -> None:
            for name in ("views.sqlite3", "views.sqlite3-wal", "views.sqlite3-shm"):
                (ledger_dir / name).unlink(missing_ok=True)

        review = ("requests", "--status", "review", "--json")
        built = timed_itpc(config, review, 1, before=drop_view)
        report.figure("view_build", built, "itpc " + " ".join(review) + " (after deleting views.sqlite3)", runs=1)

        warm = timed_itpc(config, review, runs)
        rows = warm.stdout.count("\n") if warm.status == "ok" else None
        report.figure("requests_review", warm, "itpc " + " ".join(review), runs=runs, rows=rows,
                      expected_rows=meta["in_review"])
        if rows is not None and rows != meta["in_review"]:
            info({"warning": f"`itpc requests --status review` listed {rows} requests; the generator left "
                             f"{meta['in_review']} in review"})

        report.figure("show", timed_itpc(config, ("show", meta["long_story"]), runs),
                      f"itpc show {meta['long_story']}", runs=runs, story_entries=meta["long_story_entries"])
        report.figure("report_month", timed_itpc(config, ("report", "--month", REPORT_MONTH), max(3, runs - 2)),
                      f"itpc report --month {REPORT_MONTH}", runs=max(3, runs - 2))
        report.figure("search", timed_itpc(config, ("search", *meta["search"].split()), runs),
                      f"itpc search {meta['search']}", runs=runs, applicant=meta["search_name"])

        rng = random.Random(SEED + 1)
        numbers = sample_numbers(meta)
        incremental = []
        for _ in range(3):
            append_notes(ledger_dir, numbers, INCREMENTAL_ENTRIES, rng)
            incremental.append(timed_itpc(config, review, 1))
        failed = next((o for o in incremental if o.status != "ok"), None)
        report.figure("incremental_requests_review",
                      failed or Outcome(statistics.median(o.seconds for o in incremental), "ok"),
                      f"itpc {' '.join(review)} after {INCREMENTAL_ENTRIES} new entries", runs=len(incremental),
                      appended=INCREMENTAL_ENTRIES)
        report.figure("note", timed_itpc(config, ("note", numbers[0], "Bench: pastaba"), 1),
                      f"itpc note {numbers[0]} TEXT", runs=1)
        writers(report, work, config, ledger_path, rng)
        return report.lines, [l["name"] for l in report.lines if l.get("status") == "failed"]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def writers(report: Report, work: Path, config: Path, ledger_path: Path, rng: random.Random) -> None:
    """The officers' and the scheduler's writer commands (issue 15), each with its peak memory; `note`, which
    reads nothing, is their baseline (``note_ratio``). The first tick settles the ledger (letters the generator
    left unqueued) and saves the folded state; the others start from it."""
    facts = ledger_facts(ledger_path)
    archive_held(ledger_path.parent, facts["held_letters"])
    first, _ = measured_itpc(config, ("tick",), runs=1)
    report.figure("first_tick", first, "itpc tick (no saved state: folds the whole ledger, saves it)", runs=1)
    note, note_mb = measured_itpc(config, ("note", facts["review"][0], "Bench: pastaba"))
    report.figure("note_writer_baseline", note, "itpc note NUMBER TEXT", runs=3, peak_mb=note_mb)
    review = iter(facts["review"][len(facts["review"]) // 2:])
    held = iter(facts["held"])
    counter = iter(range(10**6))
    cases = {
        "tick": (lambda: ("tick",), None),
        "decide": (lambda: ("decide", next(review), "refuse", "--reason", "Nurodytos priežastys nėra objektyvios.",
                            "--rule", "1B-1029:12"), None),
        "requeue": (lambda: ("requeue", next(held), "--reason", "Bench: siųsti dar kartą"), None),
        "poll_one": (lambda: ("poll", "--once"), lambda: deliver_one(work, next(counter))),
    }
    for key, (argv, before) in cases.items():
        outcomes = []
        for _ in range(3):
            try:
                args = argv()
            except StopIteration:  # a small ledger holds few letters held: the median of fewer runs
                if not outcomes:
                    outcomes.append((Outcome(None, "failed", "no request to act on"), None))
                break
            outcomes.append(measured_itpc(config, args, before=before, runs=1))
        failed = next((o for o, _mb in outcomes if o.status != "ok"), None)
        seconds = statistics.median(o.seconds for o, _mb in outcomes) if failed is None else None
        peak = max((mb for _o, mb in outcomes if mb is not None), default=None)
        extra = {"peak_mb": peak and round(peak, 1), "rss_target_mb": WRITER_RSS_MB,
                 "note_ratio": round(seconds / note.seconds, 2) if seconds and note.seconds else None}
        report.figure(key, failed or Outcome(seconds, "ok"), "itpc " + " ".join(str(a) for a in args),
                      runs=len(outcomes), **extra)
    ledger_dir = ledger_path.parent
    run_start = in_process(
        "import time; t=time.perf_counter()\n"
        "from config import load_settings; from itpc.app import App; from itpc.service import Runner\n"
        "from ledger.clock import Clock, parse_instant\n"
        f"app = App(load_settings({str(config)!r}), Clock(parse_instant({NOW!r})))\n"
        "Runner(app); app.state.undecided(); print(time.perf_counter()-t)")
    report.figure("run_start", Outcome(run_start, "ok"), "itpc run: settings, ledger and state opened (in process)",
                  runs=3)
    append_notes(ledger_dir, numbers_of(facts), INCREMENTAL_ENTRIES, rng)
    verify_new = in_process(
        "import time\nfrom itpc.app import App\nfrom ledger.snapshot import SnapshotStore\n"
        "from ledger.store import Ledger\n"
        f"store = SnapshotStore(__import__('pathlib').Path({str(ledger_dir)!r}))\n"
        f"t=time.perf_counter(); Ledger.at_position({str(ledger_dir)!r}, store.position).close()\n"
        "print(time.perf_counter()-t)")
    report.figure("verify_new", Outcome(verify_new, "ok"),
                  f"open at the saved position, re-hashing the {INCREMENTAL_ENTRIES} entries after it (in process)",
                  runs=3)
    began = time.perf_counter()
    proc = run_itpc(config, "ledger", "verify")
    took = time.perf_counter() - began
    # The generator archives no message bytes: verify names a missing archived file once the chain holds.
    verified = proc.returncode == 0 or "archived file" in proc.stdout + proc.stderr
    report.figure("ledger_verify", Outcome(took, "ok") if verified else Outcome(None, "failed", proc.stdout[-300:]),
                  "itpc ledger verify", runs=1, target_ratio=1.5)


def numbers_of(facts: dict[str, Any]) -> list[str]:
    return facts["review"][:50] or facts["held"][:50]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int,
                        default=int(os.environ.get("ITPC_BENCH_REQUESTS") or DEFAULT_REQUESTS),
                        help="requests in the generated ledger (default 100000, or ITPC_BENCH_REQUESTS)")
    parser.add_argument("--runs", type=int, default=5, help="runs per warm figure (median)")
    parser.add_argument("--cache", type=Path, default=Path(os.environ.get("ITPC_BENCH_CACHE")
                                                           or ROOT / "bench" / "out" / "cache"),
                        help="where generated ledgers are kept between runs (ITPC_BENCH_CACHE)")
    parser.add_argument("--regenerate", action="store_true", help="build the ledger again even if cached")
    parser.add_argument("--generate-only", action="store_true", help="build (or find) the ledger and stop")
    args = parser.parse_args(argv)
    if args.requests < 100:
        parser.error("--requests: at least 100")

    started = time.perf_counter()
    args.cache.mkdir(parents=True, exist_ok=True)
    cached, meta = cached_ledger(args.cache, args.requests, args.regenerate)
    info({"info": "ledger", **{k: meta[k] for k in ("requests", "entries", "bytes", "in_review", "consents",
                                                    "generated_seconds", "verify_seconds")}})
    if args.generate_only:
        return 0
    lines, failed = measure(cached, meta, args.cache, max(1, args.runs))
    targets = [l for l in lines if l.get("met") is not None]
    summary = {"summary": f"review@{lines[0]['name'].rsplit('@', 1)[1]}", "requests": meta["requests"],
               "entries": meta["entries"], "baseline_s": lines[0]["value"],
               "met": sum(bool(l["met"]) for l in targets), "targets": len(targets),
               "over_target": [l["name"] for l in targets if l["met"] is False],
               "missing": [l["name"] for l in lines if l.get("status") == "missing"], "failed": failed,
               "seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps(summary, ensure_ascii=False), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
