"""Re-hash a ledger file end to end and name the first entry that does not hold; with its checkpoints,
a published checkpoint and the archive (``audit``), find what the chain alone cannot: a tail cut off, a
rewritten and re-hashed chain, a replaced archived message."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.checkpoints import FILE_HASH, archive_paths, signature_holds
from ledger.entries import LEDGER_CHECKPOINT
from ledger.store import GENESIS, LEDGER_FILE, CorruptLedger, LineHasher

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
    return _scan(path, None, None)


def _line_problem(hasher: LineHasher, raw: bytes, lineno: int, prev: str) -> tuple[dict[str, Any] | None, str]:
    """The entry on line ``lineno`` and "", or None and why the line does not hold."""
    if not raw.endswith(b"\n"):
        return None, "torn last line (no newline): a crash mid-write"
    try:
        obj = hasher.decode(raw, lineno)
    except CorruptLedger as exc:
        return None, str(exc)
    if obj["seq"] != lineno:
        return None, f"seq {obj['seq']!r} found where {lineno} belongs (an entry removed, inserted or moved)"
    if obj["prev"] != prev:
        return None, "prev does not match the hash of the entry before it"
    if hasher.entry_hash(obj) != obj["hash"]:
        return None, "content does not match its hash (the entry was changed)"
    if not hasher.written_as(raw, obj):
        # Same values, other bytes (e.g. an escape's hex digit upper-cased): not what the writer wrote.
        return None, "line is not byte-for-byte as the ledger writes it"
    return obj, ""


def _scan(path: Path, result: Audit | None, public_key: Ed25519PublicKey | None) -> Verdict:
    """One pass over the file, each line decoded once: the chain, and (with ``result``) each checkpoint and the
    published one against the bytes and archive paths before them. The first bad line stops the pass."""
    prev, count = GENESIS, 0
    running = hashlib.sha256()
    paths = NamedPaths()
    hasher = LineHasher()
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            obj, reason = _line_problem(hasher, raw, lineno, prev)
            if obj is None:
                return Verdict(False, count, prev, lineno, reason)
            if result is not None:
                if obj["type"] == LEDGER_CHECKPOINT:
                    _check_checkpoint(obj, lineno, prev, running.hexdigest(), paths.digest(), result, public_key)
                running.update(raw)
                paths.add(archive_paths(obj))
                _check_published(result, lineno, obj["hash"], running, paths)
            prev = obj["hash"]
            count += 1
    if result is not None:
        result.named = paths.seen
    return Verdict(True, count, prev)


class NamedPaths:
    """The archive paths the entries read so far name, and their ``archive_digest`` at each checkpoint: kept in
    order by merging in the few named since the last digest (a sorted run and a short tail: Timsort merges them
    in one linear pass) instead of sorting them all again, 4x cheaper at 300k paths."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self._sorted: list[str] = []
        self._new: list[str] = []

    def add(self, paths: Iterable[str]) -> None:
        for path in paths:
            if path not in self.seen:
                self.seen.add(path)
                self._new.append(path)

    def digest(self) -> str:
        """``archive_digest`` of the paths added so far."""
        if self._new:
            self._sorted.extend(self._new)
            self._sorted.sort()
            self._new = []
        return hashlib.sha256("\n".join(self._sorted).encode("utf-8")).hexdigest()


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
    result = Audit(Verdict(True, 0, GENESIS))
    if published is not None:
        result.published = dict(published)
        if public_key is not None and not signature_holds(published, public_key):
            result.problems.append("the published checkpoint's signature does not verify with this public key")
        elif public_key is None and published.get("signature"):
            result.problems.append("the published checkpoint is signed: give the public key (--public-key)")
    before = len(result.problems)
    result.verdict = _scan(directory / LEDGER_FILE, result, public_key)
    if not result.verdict.ok:
        result.problems.clear()  # the chain's first bad entry is the finding; what followed from it is not
        return result
    if published is not None and not before and published["seq"] > result.verdict.entries:
        result.problems.insert(0, f"the ledger ends at seq {result.verdict.entries}, but the published checkpoint "
                               f"vouches for seq {published['seq']}: entries were cut off")
    _rehash_archive(directory / ARCHIVE_DIR, result)
    return result


def _check_published(result: Audit, seq: int, head: str, running: Any, paths: NamedPaths) -> None:
    """At the published checkpoint's seq: the entry, the bytes and the archive paths up to it are those it vouches
    for."""
    published = result.published
    if published is None or seq != published["seq"] or result.problems:
        return
    if published["head"] != head or published.get(FILE_HASH, running.hexdigest()) != running.hexdigest():
        result.problems.append(f"entry {seq} is not the one the published checkpoint vouches for: "
                               "the ledger was rewritten up to there")
    elif published["archive_digest"] != paths.digest():
        result.problems.append("the archived files the ledger names differ from those the published "
                               "checkpoint vouches for")


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
    if data.get("seq") != seq - 1 or data.get("head") != prev or data.get(FILE_HASH, sha) != sha:
        result.problems.append(f"checkpoint at seq {seq} does not match the entries before it: they were rewritten")
    elif data.get("archive_digest") != digest:
        result.problems.append(f"checkpoint at seq {seq}: the archived files named before it differ from those it "
                               "vouches for")


def _rehash_archive(archive: Path, result: Audit) -> None:
    """Every file the ledger names must be there, and every archived file must hash to its name."""
    root = str(archive)
    for rel in sorted(result.named):
        if not result.problems and not os.path.isfile(os.path.join(root, rel)):
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
