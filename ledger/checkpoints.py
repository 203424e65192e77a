"""Signed checkpoints: the writer vouches, with an Ed25519 key kept outside the ledger folder, for the ledger
up to an entry and for the archived files it names, and publishes the latest checkpoint outside the ledger.

The hash chain alone cannot see a tail cut off, a last entry rewritten with a fresh hash, or the whole chain
re-hashed after a change: whoever can write the file can compute SHA-256 too. A signature they cannot make,
kept where they cannot rewrite it (an append-only file, a backup, an archivist's mailbox), can: `itpc ledger
verify --checkpoint` holds the ledger to it (``ledger.verify``).

A checkpoint (``ledger.checkpoint``) is appended every ``[ledger] checkpoint_every`` entries by the writer
and at every `itpc tick` (when anything was appended since the last one). It signs, in RFC 8785 canonical
JSON: ``seq`` and ``head`` (the last entry vouched for and its hash) and ``archive_digest`` (the SHA-256 of the
sorted archive paths the entries up to ``seq`` name: names are the SHA-256 of the contents, so verifying
re-hashes each file against its name). With no signing key configured, checkpoints are still written,
unsigned, and verify says so.

Checkpoints written before 2026-12 also sign ``ledger_sha256``, the SHA-256 of the file's bytes up to ``seq``;
verify still holds the ledger to it where a checkpoint has one (``signed_bytes`` signs the fields it has, so it
cannot be stripped). New ones leave it out: ``head`` commits to every entry's values through the chain, and
verify holds each line to the one bytes the writer makes of those values, so the file hash added only the
order of keys inside ``data`` (which no reader gives meaning to), at the price of re-reading the whole file
for every checkpoint (hashlib cannot resume a saved hash).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from config.errors import LedgerError
from ledger.archive import RawArchive, attachment_suffix
from ledger.entries import (CORRESPONDENCE_ATTACHED, LEDGER_CHECKPOINT, MAIL_DUPLICATE, MAIL_QUEUED, MAIL_RECEIVED,
                            REQUEST_REGISTERED, REQUEST_REPARSED)
from ledger.files import FILE_MODE, make_folders
from ledger.store import Entry, Ledger, canonical_json

SIGNED_FIELDS = ("seq", "head", "archive_digest")
FILE_HASH = "ledger_sha256"  # signed too where a checkpoint has it (those written before 2026-12)
_PATHS = RawArchive(Path(""))  # archive paths relative to the archive folder


class CheckpointError(LedgerError):
    """A signing key or a published checkpoint cannot be used; the message says why in one line."""


# --- keys ------------------------------------------------------------------------------------------------

def generate_key(path: Path) -> str:
    """Write a new Ed25519 private key (PKCS#8 PEM, mode 0600) to ``path`` and its public key to
    ``path.pub``; never overwrites. Returns the key id."""
    path = Path(path)
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    make_folders(path.parent)
    for target, data, mode in ((path, private, 0o600), (path.with_name(path.name + ".pub"), public, 0o644)):
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except FileExistsError:
            raise CheckpointError(f"{target} exists already; a signing key is never overwritten") from None
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            os.fsync(fh.fileno())
        os.chmod(target, mode)  # whatever the umask
    return key_id(key.public_key())


def load_private_key(path: Path, ledger_dir: Path) -> Ed25519PrivateKey:
    """The signing key; refused inside the ledger folder (whoever can rewrite the ledger could sign)."""
    path = Path(path)
    if path.resolve().is_relative_to(Path(ledger_dir).resolve()):
        raise CheckpointError(f"ledger.signing_key {path} is inside the ledger folder {ledger_dir}; "
                              "keep it where the ledger's writers cannot replace it")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise CheckpointError(f"ledger.signing_key {path}: cannot read ({exc.strerror})") from None
    except ValueError:
        raise CheckpointError(f"ledger.signing_key {path}: not a PEM private key "
                              "(make one: itpc ledger keygen)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"ledger.signing_key {path}: not an Ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A public key from a PEM file (a public key, or a private one it is derived from)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        key: Any = serialization.load_pem_public_key(data)
    except ValueError:
        try:
            key = serialization.load_pem_private_key(data, password=None).public_key()
        except ValueError:
            raise CheckpointError(f"{path}: not a PEM key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointError(f"{path}: not an Ed25519 key")
    return key


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# --- what a checkpoint says ---------------------------------------------------------------------------------

def archive_paths(entry: Entry | Mapping[str, Any]) -> Iterable[str]:
    """The archive files (relative paths) an entry names: messages received and sent, attachments."""
    type_, data = (entry.type, entry.data) if isinstance(entry, Entry) else (entry["type"], entry["data"])
    if type_ in (MAIL_RECEIVED, MAIL_DUPLICATE, MAIL_QUEUED):
        sha = data["sha256"]
        yield f"{sha[:2]}/{sha}.eml" if _plain_digest(sha) else str(_PATHS.path_for(sha))
    elif type_ in (REQUEST_REGISTERED, REQUEST_REPARSED, CORRESPONDENCE_ATTACHED):
        for attachment in data.get("attachments") or ():
            sha, filename = attachment["sha256"], attachment.get("filename") or ""
            yield (f"attachments/{sha[:2]}/{sha}{attachment_suffix(filename)}" if _plain_digest(sha)
                   else str(_PATHS.attachment_path(sha, filename)))


def _plain_digest(sha: str) -> bool:
    """A digest that joins into a path as pathlib would join it (no "/" or "."): formatted as a string, which a
    full verify does for every entry naming a file, at a tenth of pathlib's cost."""
    return type(sha) is str and len(sha) > 2 and sha.isascii() and sha.isalnum()


class ArchivePaths:
    """The archive paths the entries name, folded (``Ledger.subscribe``): what a checkpoint's digest covers.
    Kept by folder, each folder saved as one row (``ledger.snapshot``): an entry reads back the folder of each
    path it names, and the digest reads one folder at a time."""
    SAVED_MAPS = ("buckets",)

    def __init__(self) -> None:
        self.buckets: dict[str, set[str]] = {}

    def apply(self, entry: Entry) -> None:
        for path in archive_paths(entry):
            self.buckets.setdefault(path.rpartition("/")[0], set()).add(path)

    @property
    def paths(self) -> Iterator[str]:
        for bucket in self.buckets.values():
            yield from bucket

    def digest(self) -> str:
        """``archive_digest`` of the paths, holding one folder's at a time: no archive folder name is a prefix of
        another's followed by "/" ("ab", "attachments/ab"), so folders in order, each sorted, are all sorted."""
        keys = getattr(self.buckets, "key_list", self.buckets.keys)()
        peek = getattr(self.buckets, "peek", self.buckets.__getitem__)
        hasher, first = hashlib.sha256(), True
        for folder in sorted(keys):
            for path in sorted(peek(folder)):
                hasher.update((path if first else "\n" + path).encode("utf-8"))
                first = False
        return hasher.hexdigest()


def archive_digest(paths: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(set(paths))).encode("utf-8")).hexdigest()


def signed_bytes(checkpoint: Mapping[str, Any]) -> bytes:
    return canonical_json({k: checkpoint[k] for k in (*SIGNED_FIELDS, FILE_HASH) if k in checkpoint})


def signature_holds(checkpoint: Mapping[str, Any], public: Ed25519PublicKey) -> bool:
    try:
        public.verify(bytes.fromhex(checkpoint["signature"]), signed_bytes(checkpoint))
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return False
    return True


# --- writing them --------------------------------------------------------------------------------------------

class Checkpointer:
    """Appends checkpoints to a ledger opened in full (every ``every`` entries, and when asked), signs them
    when it has a key, renews the ledger's verified-prefix voucher and publishes each one."""

    def __init__(self, ledger: Ledger, *, key: Ed25519PrivateKey | None = None, every: int = 1000,
                 publish_to: Path | None = None, paths: ArchivePaths | None = None):
        self.ledger = ledger
        self.key = key
        self.key_id = key_id(key.public_key()) if key is not None else ""
        self.every = every
        self.publish_to = publish_to
        self._paths = paths  # subscribed to the ledger; folded at the first checkpoint when not given

    def attach(self) -> "Checkpointer":
        self.ledger.after_append = self._after_append
        return self

    def _after_append(self, entry: Entry) -> None:
        if self.every > 0 and entry.seq - self.ledger.last_checkpoint >= self.every:
            self.checkpoint()

    def checkpoint(self) -> Entry | None:
        """Append a checkpoint of the ledger as it is now, unless its last entry is one already."""
        ledger = self.ledger
        with ledger.writing():
            if len(ledger) == 0 or ledger.last_checkpoint == len(ledger) or ledger.at_end:
                return None  # (opened at its end, it never read the archive paths the entries before name)
            if self._paths is None:
                self._paths = ArchivePaths()
                ledger.subscribe(self._paths.apply)
            data: dict[str, Any] = {"seq": len(ledger), "head": ledger.head, "archive_digest": self._paths.digest()}
            signature = self.key.sign(signed_bytes(data)).hex() if self.key is not None else ""
            data.update(key_id=self.key_id, signature=signature)
            entry = ledger.append(LEDGER_CHECKPOINT, data)
            ledger.vouch()
        if self.publish_to is not None:
            publish(self.publish_to, data)
        return entry


def publish(path: Path, checkpoint: Mapping[str, Any]) -> None:
    """Append the checkpoint as one JSON line to a file outside the ledger (opened O_APPEND, so a file the
    administrator made append-only with `chattr +a` keeps working)."""
    line = (json.dumps(dict(checkpoint), separators=(",", ":")) + "\n").encode("utf-8")
    make_folders(Path(path).parent)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_published(source: str) -> dict[str, Any]:
    """A published checkpoint: a JSON object given inline, or the last line of a file of them."""
    text = source.strip()
    if not text.startswith("{"):
        try:
            lines = [line for line in Path(source).read_text(encoding="utf-8").splitlines() if line.strip()]
        except OSError as exc:
            raise CheckpointError(f"--checkpoint {source}: cannot read ({exc.strerror})") from None
        if not lines:
            raise CheckpointError(f"--checkpoint {source}: no checkpoint in the file")
        text = lines[-1]
    try:
        checkpoint = json.loads(text)
    except ValueError:
        raise CheckpointError(f"--checkpoint {source[:60]}: not a JSON checkpoint") from None
    if not isinstance(checkpoint, dict) or any(k not in checkpoint for k in SIGNED_FIELDS + ("signature",)):
        raise CheckpointError(f"--checkpoint {source[:60]}: not a checkpoint (needs {', '.join(SIGNED_FIELDS)}, "
                              "signature)")
    return checkpoint
