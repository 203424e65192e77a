"""One frozen dataclass per section of itpc.toml, so a misspelt key is an AttributeError, not a string
look-up that fails in the middle of a tick.

A field is named after its TOML key, except where the key is not a Python name: ``metadata={"key": ...}``
names the key then ([outbox] ``from`` is the field ``sender``). Paths are absolute ``Path`` objects
(resolved against the file that set them); an optional path left empty is None. Numbers are int or float by
what the code does with them, whichever a file wrote ("timeout = 2" is still a float).

[mailbox] and [outbox] carry the shipped values as field defaults: ``MailboxSettings()`` and
``OutboxSettings()`` are what small scripts and tests use when they have no configuration. A test checks
those defaults against itpc.toml. They have no default URL: such a caller names its own.
"""
from __future__ import annotations

from dataclasses import Field, dataclass, field
from pathlib import Path

from config.errors import ConfigError


@dataclass(frozen=True)
class MailboxSettings:
    url: str = ""                        # maildir:///abs/path (resolved at load) or imaps://user@host/INBOX
    processed_folder: str = "Processed"
    batch: int = 50
    timeout: float = 30.0
    idle_seconds: float = 60.0
    max_message_bytes: int = 26_214_400
    max_attachment_bytes: int = 15_728_640
    max_pdf_pages: int = 20
    max_scan_pages: int = 3
    max_image_pixels: int = 60_000_000
    document_seconds: float = 60.0
    document_memory_mb: int = 1024
    # Our own mail servers: only the Received: lines they added at the top of a message date its receipt.
    trusted_received: tuple[str, ...] = ("mail.lrmuitine.lt",)
    # Our servers' authentication services: only their Authentication-Results (RFC 8601) vouch for a From.
    authserv_id: tuple[str, ...] = ("mail.lrmuitine.lt",)


@dataclass(frozen=True)
class OutboxSettings:
    url: str = ""
    sender: str = field(default="ITPC@lrmuitine.lt", metadata={"key": "from"})  # `from` is a Python keyword
    username: str = ""
    timeout: float = 30.0
    send_deadline: float = 120.0
    daily_cap: int = 10
    max_recipients: int = 5
    retry_seconds: float = 60.0
    max_retry_seconds: float = 3600.0


@dataclass(frozen=True)
class LedgerSettings:
    path: Path
    lock_timeout: float
    signing_key: Path | None             # Ed25519 private key (PEM) outside the ledger folder; None: unsigned
    checkpoint_file: Path | None         # where each checkpoint is published (JSON lines, appended); None: nowhere
    checkpoint_every: int                # entries between checkpoints the writer appends (and one at every tick)
    snapshot_every: int                  # entries between saves of the folded state beside the ledger; 0: never


@dataclass(frozen=True)
class OfficesSettings:
    directory: Path


@dataclass(frozen=True)
class FaxSettings:
    gateway: str                         # contains {number}


@dataclass(frozen=True)
class ItpcSettings:
    name: str
    place: str
    duty_officer: str                    # login in the officers directory: signs automatic letters and Sutikimas
    duty_address: str
    public_list: str                     # empty: no public announcement list
    fax_number: str                      # ITPC's fax, as people dial it (1B-1029:7): where faxed traders report
    email: str                           # ITPC's mailbox for requests and early-recovery notices (7, 16)


@dataclass(frozen=True)
class InstitutionsSettings:
    directory: Path                      # the institutions list: names and mail domains (1B-280:8)
    free_mail: tuple[str, ...]           # public mail services: a domain there says nothing about the sender


@dataclass(frozen=True)
class OfficersSettings:
    directory: Path                      # the officers directory: who may act, and how they sign (config.officers)


@dataclass(frozen=True)
class AfisSettings:
    liaison_address: str                 # the AFIS liaison officer: complete requests are forwarded here (1B-280:9-10)


@dataclass(frozen=True)
class RulesSettings:
    reasons: Path
    traders: Path | None
    afis_correction_days: int
    decision_alert_minutes: float
    decision_deadline_minutes: float
    notice_minutes: float


@dataclass(frozen=True)
class TemplatesSettings:
    directory: Path


@dataclass(frozen=True)
class OutagesSettings:
    page_directory: Path
    keep_ended_days: int                 # an ended outage stays on the page and in the feed, with its end (20, 32)

    def __post_init__(self) -> None:
        # The end of the procedure must be published (20, 32), and its notices are sent within this time.
        if self.keep_ended_days < 1:
            raise ConfigError(f"outages.keep_ended_days: must be 1 or more, found {self.keep_ended_days!r}")


@dataclass(frozen=True)
class EtdSettings:
    common_transit: Path                 # member states and common transit countries' authorities (1B-1052:16, 40)
    # The requesting authority of the TC26 form (block 1): the Lithuanian customs authority that consults.
    authority_name: str
    authority_address: str
    authority_phone: str
    authority_email: str                 # where the answer comes back: the mailbox this system reads
    authority_office: str                # its customs office reference number (COL); "" when not printed
    alert_days: int                      # the duty address is told this many days before a deadline (16, 25.2)
    audit_alert_days: int                # ... and before the end of a year without an audit (37)


def toml_key(f: Field) -> str:
    """The TOML key a dataclass field stands for."""
    return f.metadata.get("key", f.name)
