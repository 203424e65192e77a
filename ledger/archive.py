"""Content-addressed archive of raw received messages: each stored once under its SHA-256."""
from __future__ import annotations

import hashlib
from pathlib import Path

from .store import durable_write


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

    def get(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def __contains__(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()
