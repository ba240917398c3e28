"""Output files: checked before the work that fills them, and replaced atomically after it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from glossary.errors import OutputError


def check_writable(path: str | Path, example: str = "glossary.csv") -> Path:
    """Raise OutputError unless a file can be written at `path`: not a folder, and its folder
    exists and takes new files (probed, since permissions alone do not say so for root or a
    read-only mount)."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path} is a folder; give a file name, e.g. {path / example}")
    folder = path.parent
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"cannot write {path}: {folder} is a file, not a folder")
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: there is no folder {folder}")
    try:
        handle, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=folder)
    except OSError as exc:
        raise OutputError(
            f"cannot write {path}: folder {folder} takes no new files ({exc.strerror or exc})"
        ) from None
    os.close(handle)
    os.unlink(probe)
    return path


def check_can_create(path: str | Path, example: str = "terms.xlsx") -> Path:
    """As check_writable, for a file whose missing folders the writer will create: the nearest
    folder that exists must take new files."""
    path = Path(path)
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if folder == path.parent:
        return check_writable(path, example)
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: {folder} is a file, not a folder")
    check_writable(folder / path.name, example)
    return path


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Replace `path` by `data` (str: UTF-8, newlines as given): a temporary file beside it is
    written, fsynced and renamed over it, so the file holds the old or the new content, never
    part of either. Raises OutputError; the earlier file is then unchanged."""
    path = check_writable(path)
    data = data.encode("utf-8") if isinstance(data, str) else data
    temp = None
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temp, _mode_for(path))
        os.replace(temp, path)
        temp = None
    except OSError as exc:
        raise OutputError(
            f"cannot write {path}: {exc.strerror or exc}; "
            f"{'the earlier file is unchanged' if path.exists() else 'nothing was written'}"
        ) from None
    finally:
        if temp is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp)
    with contextlib.suppress(OSError):  # make the rename itself durable
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return path


def _mode_for(path: Path) -> int:
    """The mode of the file being replaced, else what a new file gets under the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
