"""What an operating-system error on our own files means for the person who must fix it, in one line."""
from __future__ import annotations


def os_failure(exc: OSError) -> str:
    """One line for an operating-system error: the file, what went wrong, and what to do about it."""
    where = f"{exc.filename}: " if exc.filename else ""
    what = exc.strerror or str(exc)
    hint = {13: "check the file's owner and permissions (run as the service's user?)",
            28: "free some disk space, then run the command again",
            30: "the file system is read-only; mount it writable or point the configuration elsewhere",
            2: "check the path in the configuration"}.get(exc.errno or 0, "")
    return f"{where}{what}" + (f"; {hint}" if hint else "")
