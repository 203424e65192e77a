"""The ETD authorisation files (1B-1052:23) folded from the `etd.*` entries: what each file holds, whom it
consulted, what was decided and which deadline alerts were sent. Pure and incremental, like ``ledger.views``;
a plain picklable object, so a checkpoint of folded state can keep it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ledger.clock import VILNIUS, parse_instant
from ledger.entries import (ETD_CONSULTATION_STARTED, ETD_DEADLINE_ALERTED, ETD_DECIDED, ETD_DOCUMENT_ATTACHED,
                            ETD_OPENED, ETD_REPLY_ATTACHED)
from ledger.store import Entry, thaw

PREFIX = "ETD"

# The authorisation's standing after each decision; "applied" before any.
STANDING = {"grant": "granted", "refuse": "refused", "amend": "granted", "suspend": "suspended",
            "reinstate": "granted", "revoke": "revoked", "annul": "annulled"}
CLOSED = frozenset({"refused", "revoked", "annulled"})
TYPES = frozenset({ETD_OPENED, ETD_DOCUMENT_ATTACHED, ETD_CONSULTATION_STARTED, ETD_REPLY_ATTACHED, ETD_DECIDED,
                   ETD_DEADLINE_ALERTED})


@dataclass
class EtdFile:
    number: str
    opened: dict[str, Any]
    opened_seq: int
    documents: list[dict[str, Any]] = field(default_factory=list)   # data + "at", "seq"
    consultations: dict[str, dict[str, Any]] = field(default_factory=dict)  # country -> latest data + "at"
    replies: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)   # data + "seq"
    alerts: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (deadline, stage) -> data

    @property
    def accepted_at(self) -> datetime:
        return parse_instant(self.opened["accepted_on"])

    @property
    def status(self) -> str:
        return STANDING[self.decisions[-1]["action"]] if self.decisions else "applied"

    @property
    def open(self) -> bool:
        return self.status not in CLOSED

    @property
    def last_grant(self) -> dict[str, Any] | None:
        grants = [d for d in self.decisions if d["action"] == "grant"]
        return grants[-1] if grants else None

    def documents_of(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.documents if d["kind"] == kind]


@dataclass
class EtdView:
    files: dict[str, EtdFile] = field(default_factory=dict)
    counters: dict[int, int] = field(default_factory=dict)   # Vilnius year -> files opened that year
    mails: dict[str, str] = field(default_factory=dict)   # sha256 of a reply -> its file

    def apply(self, entry: Entry) -> None:
        if entry.type not in TYPES:
            return
        data = thaw(entry.data)
        if entry.type == ETD_OPENED:
            self.files.setdefault(data["number"], EtdFile(data["number"], data, entry.seq))
            year = int(data["number"].split("-")[1])
            self.counters[year] = max(self.counters.get(year, 0), int(data["number"].rsplit("-", 1)[1]))
            return
        file = self.files.get(data.get("file") or "")
        if file is None:
            return
        if entry.type == ETD_DOCUMENT_ATTACHED:
            file.documents.append({**data, "at": entry.ts, "seq": entry.seq})
        elif entry.type == ETD_CONSULTATION_STARTED:
            file.consultations[data["country"]] = {**data, "at": entry.ts}
        elif entry.type == ETD_REPLY_ATTACHED:
            file.replies.append(data)
            self.mails[data["mail_sha256"]] = file.number
        elif entry.type == ETD_DECIDED:
            file.decisions.append({**data, "seq": entry.seq})
        elif entry.type == ETD_DEADLINE_ALERTED:
            file.alerts[(data["deadline"], data["stage"])] = {**data, "at": entry.ts}

    def find(self, number: str) -> EtdFile | None:
        """The file with this number of ours, or with this MSVS application number."""
        number = number.strip().upper()
        if number in self.files:
            return self.files[number]
        return next((f for f in self.files.values() if f.opened["msvs_number"].upper() == number), None)

    def next_number(self, accepted_at: datetime) -> str:
        year = accepted_at.astimezone(VILNIUS).year
        return f"{PREFIX}-{year}-{self.counters.get(year, 0) + 1:06d}"
