"""Files the system keeps (ledger, archive, outbox, index): durable writes and private permissions.

Ledger, archive and outbox hold personal data and letters: folders are 0750 and files 0640 (or stricter)
whatever the process's umask, since a service started with umask 000 must not leave them world-readable.
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import threading
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
FOLDER_MODE = 0o750
FILE_MODE = 0o640

# Folders ``ensure_folder`` made or found in this process: not looked for again (a stat or two a file written).
# One removed behind our back is made again when a write into it finds it missing.
_known_folders: set[Path] = set()
# An unnamed file (O_TMPFILE) linked in place once whole: no temp name to create, link and unlink. Where the
# kernel, the file system or /proc/self/fd does not allow it, the temp-file way (``_TMPFILE_REFUSED``).
_O_TMPFILE = getattr(os, "O_TMPFILE", 0)
_TMPFILE_REFUSED = frozenset({errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.EXDEV})
_LINK_REFUSED = _TMPFILE_REFUSED | {errno.EPERM, errno.EACCES}  # /proc/self/fd restricted (hidepid, an LSM)
_tmpfile_usable = bool(_O_TMPFILE)

# Group commit (``deferred_syncs``): the folders whose files' syncs wait for the commit, per thread.
_deferred = threading.local()
# A commit of at most this many files and folders syncs each of them; a larger one syncs their file systems
# (``syncfs``). syncfs also writes out whatever else is waiting on the file system (another program's files, a
# ledger copied a moment ago: 0.4 s for a one-message poll in the bench), each fsync costs a flush of its own.
SMALL_COMMIT = 32
_LIBC = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


@contextlib.contextmanager
def deferred_syncs() -> Iterator[None]:
    """Within it, the durable writes of this thread write and link their files but leave the syncs to
    ``sync_deferred`` (the commit point: the ledger's group commit), which syncs each file system touched once,
    whatever the number of files. Leaving it syncs what is still pending, even on an error."""
    if getattr(_deferred, "folders", None) is not None:
        yield  # nested: the outer one commits
        return
    _deferred.folders, _deferred.noted, _deferred.kept = {}, set(), {}
    try:
        yield
    finally:
        try:
            sync_deferred()
        finally:
            _deferred.folders = None
            _forget_kept()


def sync_deferred() -> None:
    """Make every file and folder written since the last commit durable: each one synced when they are few
    (``SMALL_COMMIT``), else one ``syncfs`` per file system."""
    folders: dict[int, Path] = getattr(_deferred, "folders", None) or {}
    kept: dict[object, int] | None = getattr(_deferred, "kept", None)
    if kept is not None:
        try:
            for key, fd in list(kept.items()):
                os.fsync(fd)
                os.close(kept.pop(key))
        finally:
            _forget_kept()
            _deferred.kept = {}
        folders.clear()
        getattr(_deferred, "noted", set()).clear()
        return
    for folder in list(folders.values()):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            if _LIBC.syncfs(fd) != 0:
                raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(folder))
        finally:
            os.close(fd)
    folders.clear()
    getattr(_deferred, "noted", set()).clear()  # the next write in any folder notes its file system again
    _deferred.kept = {}  # the next commit starts small again


def _keep(key: object, fd: int) -> None:
    """Hold a duplicate of ``fd`` (a file written, or a folder, under ``key``) for the commit to sync, while the
    commit is small; past ``SMALL_COMMIT`` the commit syncs file systems instead and holds none."""
    kept: dict[object, int] | None = getattr(_deferred, "kept", None)
    if kept is None or key in kept:
        return
    if len(kept) >= SMALL_COMMIT:
        _forget_kept()
        return
    kept[key] = os.dup(fd)


def _identity(fd: int) -> tuple[int, int]:
    info = os.fstat(fd)
    return info.st_dev, info.st_ino


def _forget_kept() -> None:
    for fd in (getattr(_deferred, "kept", None) or {}).values():
        with contextlib.suppress(OSError):
            os.close(fd)
    _deferred.kept = None


def _deferring(folder: Path) -> bool:
    """True (and the folder's file system noted for the commit) when syncs are deferred in this thread."""
    folders = getattr(_deferred, "folders", None)
    if folders is None:
        return False
    noted = _deferred.noted
    if folder not in noted:  # a stat a folder per commit, not one per file written in it
        folders.setdefault(os.stat(folder).st_dev, Path(folder))
        noted.add(folder)
    return True


def make_folders(path: Path) -> None:
    """Create ``path`` and its missing parents as 0750 folders; folders that exist are left as they are."""
    missing = []
    folder = Path(path)
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, FOLDER_MODE)
        except FileExistsError:
            continue  # another process made it a moment ago
        os.chmod(folder, FOLDER_MODE)  # mkdir's mode is masked by the umask; this one is meant exactly


def write_private(path: Path, data: bytes, *, name: Path | None = None) -> None:
    """Write ``data`` to a new or truncated 0640 file and fsync it (the caller links or renames it in place).
    On failure (disk full, read-only) nothing is left behind and the error names ``name`` (default: path)."""
    write_private_chunks(path, (data,), name=name)


def write_private_chunks(path: Path, chunks: Iterable[bytes], *, name: Path | None = None) -> None:
    """``write_private`` of the bytes ``chunks`` yields, one at a time: a large file never sits in memory."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(name or path)) from None
    try:
        for data in chunks:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        if _deferring(Path(path).parent):
            _keep(("file", *_identity(fd)), fd)
        else:
            os.fsync(fd)
    except BaseException as exc:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)
        if isinstance(exc, OSError):
            raise OSError(exc.errno, exc.strerror, str(name or path)) from None
        raise
    os.close(fd)


def fsync_dir(directory: Path) -> None:
    deferred = _deferring(directory)
    if deferred and getattr(_deferred, "kept", None) is None:
        return  # a large commit: its syncfs covers the folder
    key = ("folder", str(directory))
    if deferred and key in _deferred.kept:
        return
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if deferred:
            _keep(key, fd)
        else:
            os.fsync(fd)
    finally:
        os.close(fd)


def temp_name(path: Path) -> Path:
    """A temporary file beside ``path``, private to this process and thread (dot-named: never taken for data)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def durable_write(path: Path, data: bytes, *, overwrite: bool = False) -> bool:
    """Write ``data`` to ``path`` via a fsynced file linked (or renamed) in place once whole; returns False if it
    already existed."""
    return in_folder(path.parent, lambda: _durable_write(path, data, overwrite))


def in_folder(folder: Path, write: Callable[[], T]) -> T:
    """``write()``, once more if it found a folder missing although ``folder`` or a folder in it was known to
    exist (removed behind our back since we made or saw it: ``write`` makes it again then)."""
    try:
        return write()
    except FileNotFoundError:
        stale = {known for known in _known_folders if known == folder or folder in known.parents}
        if not stale:
            raise
        _known_folders.difference_update(stale)
        return write()


def _durable_write(path: Path, data: bytes, overwrite: bool) -> bool:
    ensure_folder(path.parent)
    if path.exists() and not overwrite:
        # Another process may have linked it a moment ago and not yet synced the directory: sync it here
        # too, so that a caller told "already stored" can rely on it surviving a crash.
        fsync_dir(path.parent)
        return False
    if not overwrite and _tmpfile_usable:
        placed = _link_unnamed(path, data)
        if placed is not None:
            return placed
    tmp = temp_name(path)
    write_private(tmp, data, name=path)
    return durable_place(tmp, path, overwrite=overwrite)


def _link_unnamed(path: Path, data: bytes) -> bool | None:
    """Write ``data`` to an unnamed file in ``path``'s folder, fsync it (or defer that) and link it as ``path``
    (never replacing a file there: False); None where unnamed files are refused (nothing was written then).
    Nobody sees the file before it is whole, and a failure or a crash leaves nothing behind."""
    global _tmpfile_usable
    try:
        fd = os.open(path.parent, _O_TMPFILE | os.O_WRONLY, FILE_MODE)
    except OSError as exc:
        if exc.errno in _TMPFILE_REFUSED:
            return None
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        placed = _name_durably(fd, path)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    finally:
        os.close(fd)
    if placed is None and not os.path.isdir("/proc/self/fd"):  # no /proc mounted: the temp-file way from now on
        _tmpfile_usable = False
    return placed


def durable_link(fd: int, path: Path) -> bool | None:
    """Give the open file ``fd``, whole already, the further name ``path``, made durable as a written file is:
    no copy of its bytes and no new file. True once linked; False if ``path`` existed already (kept as it is);
    None where no link can be made (another file system, links refused): the caller writes a copy then."""
    def link() -> bool | None:
        ensure_folder(path.parent)
        return _name_durably(fd, path)

    return in_folder(path.parent, link)


def _name_durably(fd: int, path: Path) -> bool | None:
    """Sync the whole open file ``fd`` (or leave that to the commit), give it the name ``path`` (never
    replacing a file there: False) and sync the folder: True; None where no link can be made (another file
    system, links refused, no /proc): nothing was named then."""
    if _deferring(path.parent):  # its bytes durable before the name that points at them
        _keep(("file", *_identity(fd)), fd)
    else:
        os.fsync(fd)
    try:
        _link_descriptor(fd, path)
    except FileExistsError:
        fsync_dir(path.parent)
        return False
    except OSError as exc:
        # if the folder itself refuses, the temp-file way (or the copy) fails too and says so
        if exc.errno in _LINK_REFUSED or exc.errno == errno.EMLINK or not os.path.isdir("/proc/self/fd"):
            return None
        raise  # ENOENT: the folder was removed meanwhile
    fsync_dir(path.parent)
    return True


_linkat = _LIBC.linkat
_AT_FDCWD, _AT_SYMLINK_FOLLOW = -100, 0x400


def _link_descriptor(fd: int, path: Path) -> None:
    """Give the open file ``fd`` the name ``path``: linkat of /proc/self/fd/N following that link to the file
    (os.link calls link(2), which would link the /proc entry itself and fail across devices)."""
    source = f"/proc/self/fd/{fd}".encode()
    if _linkat(_AT_FDCWD, source, _AT_FDCWD, os.fsencode(path), _AT_SYMLINK_FOLLOW) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(path))


def ensure_folder(folder: Path) -> None:
    """Make ``folder`` if it is missing, with its own entry synced to the disk."""
    if folder in _known_folders:
        return
    if not folder.is_dir():
        make_folders(folder)
        fsync_dir(folder.parent)  # a new directory's own entry must reach the disk too
    _known_folders.add(folder)


def durable_place(tmp: Path, path: Path, *, overwrite: bool = False) -> bool:
    """Put the fsynced file ``tmp`` at ``path`` (link, or replace with ``overwrite``) and sync the folder; ``tmp``
    is gone afterwards. Returns False if ``path`` already existed (and was kept)."""
    def put() -> None:
        ensure_folder(path.parent)
        if overwrite:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # never replaces an existing file, unlike rename

    try:
        in_folder(path.parent, put)
    except FileExistsError:
        fsync_dir(path.parent)
        return False
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)  # after a replace it is gone already
    fsync_dir(path.parent)
    return True
