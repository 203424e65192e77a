"""Re-hash a ledger file end to end and name the first entry that does not hold; with its checkpoints,
a published checkpoint and the archive (``audit``), find what the chain alone cannot: a tail cut off, a
rewritten and re-hashed chain, a replaced archived message."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.checkpoints import archive_digest, archive_paths, signature_holds
from ledger.entries import LEDGER_CHECKPOINT
from ledger.store import GENESIS, LEDGER_FILE, CorruptLedger, decode_line, encode_line, entry_hash

ARCHIVE_DIR = "archive"


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    head: str
    bad_seq: int | None = None
    reason: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"ok: {self.entries} entries, head {self.head}"
        return f"bad entry at seq {self.bad_seq}: {self.reason}"


def verify_file(path: Path) -> Verdict:
    """Check every line: well-formed, numbered in order, chained to the one before, hash matching."""
    prev = GENESIS
    count = 0
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.endswith(b"\n"):
                return Verdict(False, count, prev, lineno, "torn last line (no newline): a crash mid-write")
            try:
                obj = decode_line(raw, lineno)
            except CorruptLedger as exc:
                return Verdict(False, count, prev, lineno, str(exc))
            if obj["seq"] != lineno:
                return Verdict(False, count, prev, lineno,
                               f"seq {obj['seq']!r} found where {lineno} belongs (an entry removed, inserted or moved)")
            if obj["prev"] != prev:
                return Verdict(False, count, prev, lineno, "prev does not match the hash of the entry before it")
            digest = entry_hash(obj["seq"], obj["ts"], obj["type"], obj["data"], obj["prev"])
            if digest != obj["hash"]:
                return Verdict(False, count, prev, lineno, "content does not match its hash (the entry was changed)")
            if raw != encode_line(obj):
                # Same values, other bytes (e.g. an escape's hex digit upper-cased): not what the writer wrote.
                return Verdict(False, count, prev, lineno, "line is not byte-for-byte as the ledger writes it")
            prev = digest
            count += 1
    return Verdict(True, count, prev)


# --- the ledger with its checkpoints and archive ------------------------------------------------------------

@dataclass
class Audit:
    """What `itpc ledger verify` found: the chain, the checkpoints, the published one, the archive."""
    verdict: Verdict
    problems: list[str] = field(default_factory=list)
    checkpoints: int = 0
    unsigned: int = 0
    key_ids: set[str] = field(default_factory=set)
    archived: int = 0
    published: dict[str, Any] | None = None
    named: set[str] = field(default_factory=set)  # archive paths the entries name

    @property
    def ok(self) -> bool:
        return self.verdict.ok and not self.problems

    def __str__(self) -> str:
        if not self.verdict.ok:
            return str(self.verdict)
        if self.problems:
            return self.problems[0]
        parts = [str(self.verdict)]
        if self.checkpoints:
            signed = self.checkpoints - self.unsigned
            parts.append(f"{self.checkpoints} checkpoints ({signed} signed"
                         + (f" by key {', '.join(sorted(self.key_ids))}" if self.key_ids else "")
                         + (f", {self.unsigned} unsigned" if self.unsigned else "") + ")")
        else:
            parts.append("no checkpoints (unsigned)")
        if self.published is not None:
            parts.append(f"published checkpoint at seq {self.published['seq']} holds")
        parts.append(f"{self.archived} archived files re-hashed")
        return "; ".join(parts)


def audit(directory: Path, *, public_key: Ed25519PublicKey | None = None,
          published: Mapping[str, Any] | None = None) -> Audit:
    """Re-hash the chain, check each checkpoint (signature with ``public_key``, head, bytes, archive digest),
    hold the ledger to the ``published`` checkpoint, and re-hash every archived file against its name."""
    directory = Path(directory)
    result = Audit(verify_file(directory / LEDGER_FILE))
    if not result.verdict.ok:
        return result
    if published is not None:
        result.published = dict(published)
        if public_key is not None and not signature_holds(published, public_key):
            result.problems.append("the published checkpoint's signature does not verify with this public key")
        elif public_key is None and published.get("signature"):
            result.problems.append("the published checkpoint is signed: give the public key (--public-key)")
        elif published["seq"] > result.verdict.entries:
            result.problems.append(f"the ledger ends at seq {result.verdict.entries}, but the published checkpoint "
                                   f"vouches for seq {published['seq']}: entries were cut off")
    _walk(directory / LEDGER_FILE, result, public_key)
    _rehash_archive(directory / ARCHIVE_DIR, result)
    return result


def _walk(path: Path, result: Audit, public_key: Ed25519PublicKey | None) -> None:
    """The second pass: the file's bytes and the archive paths as they were at each checkpoint."""
    running = hashlib.sha256()
    paths: set[str] = set()
    prev, published = GENESIS, result.published
    with open(path, "rb") as fh:
        for seq, raw in enumerate(fh, start=1):
            obj = decode_line(raw, seq)
            if obj["type"] == LEDGER_CHECKPOINT:
                _check_checkpoint(obj, seq, prev, running.hexdigest(), archive_digest(paths), result, public_key)
            running.update(raw)
            paths.update(archive_paths(obj))
            prev = obj["hash"]
            if published is not None and seq == published["seq"] and not result.problems:
                if published["head"] != prev or published["ledger_sha256"] != running.hexdigest():
                    result.problems.append(f"entry {seq} is not the one the published checkpoint vouches for: "
                                           "the ledger was rewritten up to there")
                elif published["archive_digest"] != archive_digest(paths):
                    result.problems.append("the archived files the ledger names differ from those the published "
                                           "checkpoint vouches for")
    result.named = paths


def _check_checkpoint(obj: Mapping[str, Any], seq: int, prev: str, sha: str, digest: str, result: Audit,
                      public_key: Ed25519PublicKey | None) -> None:
    data = obj["data"]
    result.checkpoints += 1
    if result.problems:
        return
    if not data.get("signature"):
        result.unsigned += 1
    elif public_key is None:
        result.problems.append(f"checkpoint at seq {seq} is signed: give the public key (--public-key)")
        return
    elif not signature_holds(data, public_key):
        result.problems.append(f"checkpoint at seq {seq}: the signature does not verify (key {data.get('key_id')})")
        return
    else:
        result.key_ids.add(data.get("key_id") or "?")
    if data.get("seq") != seq - 1 or data.get("head") != prev or data.get("ledger_sha256") != sha:
        result.problems.append(f"checkpoint at seq {seq} does not match the entries before it: they were rewritten")
    elif data.get("archive_digest") != digest:
        result.problems.append(f"checkpoint at seq {seq}: the archived files named before it differ from those it "
                               "vouches for")


def _rehash_archive(archive: Path, result: Audit) -> None:
    """Every file the ledger names must be there, and every archived file must hash to its name."""
    for rel in sorted(result.named):
        if not (archive / rel).is_file() and not result.problems:
            result.problems.append(f"archived file {rel} that the ledger names is missing")
    if not archive.is_dir():
        return
    for folder, _dirs, files in os.walk(archive):
        for name in sorted(files):
            if name.startswith("."):
                continue  # a write in progress
            file = Path(folder) / name
            digest = hashlib.sha256()
            with open(file, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
            result.archived += 1
            if digest.hexdigest() != name.split(".", 1)[0] and not result.problems:
                result.problems.append(f"archived file {file.relative_to(archive)} does not match its name "
                                       "(its content was replaced)")
