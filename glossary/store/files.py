"""The workbook on disk: the spreadsheet's lock file, our writer lock, backups, atomic writes."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from glossary.errors import StoreError

BACKUPS_KEPT = 10
LOCK_TIMEOUT_S = float(os.environ.get("GLOSSARY_LOCK_TIMEOUT", "120"))


# ---------------------------------------------------------------- open in a spreadsheet?
def office_lock(path: Path) -> Path | None:
    """The lock file Excel or LibreOffice keeps beside a workbook it has open, if any."""
    for name in (f".~lock.{path.name}#", f"~${path.name}", f"~${path.name[2:]}"):
        candidate = path.with_name(name)
        if candidate.exists():
            return candidate
    return None


def _lock_owner(lock: Path) -> str:
    """Who holds a LibreOffice lock file ("" when unknown: the file can be empty or garbled)."""
    try:
        text = lock.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    fields = text.split(",")
    return fields[1].strip() if len(fields) > 1 else ""


def refuse_if_open(path: str | Path, force: bool = False) -> None:
    """Raise StoreError if the workbook is open in Excel or LibreOffice (unless force)."""
    path = Path(path)
    lock = office_lock(path)
    if lock is None or force:
        return
    app = "LibreOffice" if lock.name.startswith(".~lock.") else "Excel"
    owner = _lock_owner(lock) if app == "LibreOffice" else ""
    who = f" by {owner}" if owner else ""
    raise StoreError(
        f"{path} is open in {app}{who} (lock file {lock.name}); save and close it there first, "
        "or pass --force to write anyway (if it is not open, delete the lock file)"
    )


# ---------------------------------------------------------------- our own writer lock
def state_dir(path: Path) -> Path:
    return path.parent / ".glossary"


_LOCKS: dict[str, object] = {}


@contextlib.contextmanager
def locked(path: str | Path) -> Iterator[None]:
    """Hold the workbook's writer lock, e.g. across your own load-modify-save (re-entrant)."""
    import filelock

    path = Path(path)
    state = state_dir(path)
    try:
        state.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{path}: cannot create {state} for the lock: {exc}") from None
    lock_file = str((state / f"{path.name}.lock").resolve())
    # One FileLock object per file, so nested use in this process re-enters instead of waiting.
    lock = _LOCKS.setdefault(lock_file, filelock.FileLock(lock_file, timeout=LOCK_TIMEOUT_S))
    try:
        lock.acquire()
    except filelock.Timeout:
        raise StoreError(
            f"{path}: another glossary process has been writing it for over {LOCK_TIMEOUT_S:.0f} s "
            f"(lock {lock_file}); wait for it to finish"
        ) from None
    try:
        yield
    finally:
        lock.release()


# ---------------------------------------------------------------- backups
def backups(path: Path) -> list[Path]:
    """Earlier versions of the workbook, oldest first."""
    folder = state_dir(path) / "backups"
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{path.stem}-*{path.suffix}"))


def backup(path: Path) -> Path | None:
    """Keep the current file under .glossary/backups (a hard link when possible: no copy)."""
    if not path.exists():
        return None
    folder = state_dir(path) / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    target = folder / f"{path.stem}-{stamp}{path.suffix}"
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{path.stem}-{stamp}-{n}{path.suffix}"
    try:
        os.link(path, target)
    except OSError:
        tmp = target.with_name(target.name + ".tmp")
        shutil.copy2(path, tmp)
        os.replace(tmp, target)
    for old in backups(path)[:-BACKUPS_KEPT]:
        with contextlib.suppress(OSError):
            old.unlink()
    return target


# ---------------------------------------------------------------- atomic write
def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _keep_mode_and_group(old: Path, new: Path) -> None:
    """Give the new file the permissions and group of the one it replaces."""
    try:
        st = old.stat()
    except OSError:
        return
    with contextlib.suppress(OSError):
        os.chmod(new, st.st_mode & 0o7777)
    if hasattr(os, "chown"):
        with contextlib.suppress(OSError):
            os.chown(new, -1, st.st_gid)


def atomic_write_bytes(path: str | Path, data: bytes, *, keep_backup: bool = False) -> Path | None:
    """Write a file so that readers see the old or the new version, never a torn one.

    A temporary file beside it is written and fsynced, then renamed over it; the mode and
    group of the old file are kept. With keep_backup the old version is kept first (see
    `backup`) and its path returned. Raises StoreError when the file cannot be written.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    saved = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        _keep_mode_and_group(path, tmp)
        if keep_backup:
            saved = backup(path)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise StoreError(f"{path}: cannot write it: {exc}") from None
    _fsync_dir(path.parent)
    return saved


def remove_stale_temporaries(path: Path) -> None:
    """Temporary files of writers that died; call only while holding `locked(path)`."""
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()
