"""Content-addressed archive: raw messages (received and sent) and the attachments taken out of received
ones, each stored once under its SHA-256."""
from __future__ import annotations

import functools
import hashlib
import os
import stat
from pathlib import Path
from typing import BinaryIO, Iterable

from ledger.files import (FILE_MODE, durable_link, durable_place, durable_write, ensure_folder, in_folder, temp_name,
                          write_private_chunks)

STREAM_NAME = "incoming"  # the temporary file a streamed message is written to before its SHA-256 is known


@functools.lru_cache(maxsize=4096)  # a full verify asks for every attachment's; file names repeat
def attachment_suffix(filename: str) -> str:
    """The extension an attachment is kept under: its file name's, lower case, letters and digits, ≤ 8 chars."""
    return "".join(c for c in Path(filename).suffix.lower() if c.isalnum() or c == ".")[:8]


class RawArchive:
    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def path_for(self, sha256: str) -> Path:
        return self.directory / sha256[:2] / f"{sha256}.eml"

    def put(self, raw: bytes) -> str:
        """Store ``raw`` durably (temp file, fsync, link, directory fsync); never overwrite. Returns its SHA-256."""
        digest = hashlib.sha256(raw).hexdigest()
        durable_write(self.path_for(digest), raw)
        return digest

    def put_stream(self, chunks: Iterable[bytes]) -> str:
        """Store the message ``chunks`` yields, hashing it on the way, without ever holding it whole: a temp
        file in the archive folder (fsynced), then linked under its SHA-256; never overwrite. Returns the SHA-256."""
        tmp = temp_name(self.directory / STREAM_NAME)
        digest = hashlib.sha256()

        def hashed() -> Iterable[bytes]:
            for chunk in chunks:
                digest.update(chunk)
                yield chunk

        def write() -> None:  # a missing folder fails the open, before any chunk is taken: it can be tried again
            ensure_folder(self.directory)
            write_private_chunks(tmp, hashed(), name=self.directory)

        in_folder(self.directory, write)
        sha = digest.hexdigest()
        durable_place(tmp, self.path_for(sha))
        return sha

    def adopt(self, path: Path, file: BinaryIO, sha256: str, size: int) -> bool:
        """Keep the message at ``path`` (a mailbox's file on this machine, open as ``file``; its ``size`` bytes
        hash to ``sha256``) by linking that very file in place: no second copy of its bytes and no new file,
        which costs more than the bytes do. Only a file that nobody but this user can change and that nothing
        else names is linked: a regular file of ``size`` bytes, with one link, owned by this process's user,
        its mode within the archive's, and ``path`` naming it still (not a symbolic link to it). False when it
        is not linked: the caller stores a copy."""
        try:
            held, named = os.fstat(file.fileno()), os.lstat(path)
        except OSError:
            return False  # moved on meanwhile (acknowledged by another poller, a person): copied instead
        if not (stat.S_ISREG(held.st_mode) and (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)
                and held.st_nlink == 1 and held.st_size == size and held.st_uid == os.geteuid()
                and stat.S_IMODE(held.st_mode) & ~FILE_MODE == 0):
            return False
        return durable_link(file.fileno(), self.path_for(sha256)) is not None

    def head(self, sha256: str, limit: int) -> bytes:
        """The first ``limit`` bytes of a stored message (its headers, for one too large to read whole)."""
        with open(self.path_for(sha256), "rb") as fh:
            return fh.read(limit)

    def digest(self, sha256: str) -> str:
        """The SHA-256 of the stored copy as it is now, read in chunks (it should be ``sha256``)."""
        digest = hashlib.sha256()
        with open(self.path_for(sha256), "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()

    def attachment_path(self, sha256: str, filename: str = "") -> Path:
        """Where an attachment is kept; it keeps its file name's extension so a viewer opens it."""
        return self.directory / "attachments" / sha256[:2] / f"{sha256}{attachment_suffix(filename)}"

    def put_attachment(self, data: bytes, filename: str = "") -> str:
        digest = hashlib.sha256(data).hexdigest()
        durable_write(self.attachment_path(digest, filename), data)
        return digest

    def get(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def __contains__(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()
