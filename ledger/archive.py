"""Content-addressed archive: raw messages (received and sent) and the attachments taken out of received
ones, each stored once under its SHA-256."""
from __future__ import annotations

import hashlib
from pathlib import Path

from ledger.files import durable_write


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

    def attachment_path(self, sha256: str, filename: str = "") -> Path:
        """Where an attachment is kept; it keeps its file name's extension so a viewer opens it."""
        suffix = "".join(c for c in Path(filename).suffix.lower() if c.isalnum() or c == ".")[:8]
        return self.directory / "attachments" / sha256[:2] / f"{sha256}{suffix}"

    def put_attachment(self, data: bytes, filename: str = "") -> str:
        digest = hashlib.sha256(data).hexdigest()
        durable_write(self.attachment_path(digest, filename), data)
        return digest

    def get(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def __contains__(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()
