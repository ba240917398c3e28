"""Verified, resumable downloads with a progress bar (for fetching models)."""

from __future__ import annotations

import hashlib
import shutil
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from glossary.errors import ModelError

BLOCK = 1 << 20
TIMEOUT = 30  # seconds without data before a download counts as stalled


def human_size(n: float) -> str:
    """Bytes as a short human size: 1.1 GB, 47 MB, 980 B."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit in ("B", "KB") else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


class Progress:
    """One progress bar over many files: rich on a terminal, a plain line per 10% otherwise."""

    def __init__(self, total: int, label: str, stream=None):
        self.total, self.label, self.done = max(total, 1), label, 0
        self.stream = stream or sys.stderr
        self._next_tenth = 1
        self._bar = None
        if self.stream.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )  # fmt: skip
            from rich.progress import (
                Progress as Bar,
            )

            self._bar = Bar(
                "{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                TimeRemainingColumn(), console=Console(file=self.stream), transient=False,
            )  # fmt: skip
            self._bar.start()
            self._task = self._bar.add_task(label, total=self.total)

    def advance(self, n: int) -> None:
        """Count n more bytes."""
        self.done += n
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)
            return
        while self._next_tenth <= 10 and self.done * 10 >= self.total * self._next_tenth:
            print(
                f"{self.label}: {self._next_tenth * 10}% ({human_size(self.done)} of "
                f"{human_size(self.total)})",
                file=self.stream, flush=True,
            )  # fmt: skip
            self._next_tenth += 1

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def sha256_file(path: Path) -> str:
    """The sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def fetch_file(
    source: str,
    dest: Path,
    *,
    sha256: str = "",
    progress: Progress | None = None,
    tries: int = 3,
) -> Path:
    """Download a URL (or copy a local file) to dest, resuming a `.part` file left by an
    interrupted run, and check its sha256; a file already there and right is kept."""
    if dest.is_file() and (not sha256 or sha256_file(dest) == sha256):
        if progress:
            progress.advance(dest.stat().st_size)
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    if "://" not in source or source.startswith("file://"):
        local = Path(source.removeprefix("file://"))
        shutil.copyfile(local, part)
        if progress:
            progress.advance(part.stat().st_size)
    else:
        _download(source, part, progress, tries)
    if sha256 and (got := sha256_file(part)) != sha256:
        part.unlink()
        raise ModelError(f"download of {source} is corrupt (sha256 {got[:12]}..., expected "
                         f"{sha256[:12]}...); run the fetch again")  # fmt: skip
    part.replace(dest)
    return dest


def _download(url: str, part: Path, progress: Progress | None, tries: int) -> None:
    """Fetch url into part, continuing from its current size with an HTTP Range request."""
    counted = 0  # bytes of part already reported to progress
    for attempt in range(1, tries + 1):
        have = part.stat().st_size if part.exists() else 0
        if progress and have > counted:
            progress.advance(have - counted)
            counted = have
        request = urllib.request.Request(url, headers={"User-Agent": "glossary-model-fetch"})
        if have:
            request.add_header("Range", f"bytes={have}-")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                if have and response.status != 206:  # the server ignored Range: start over
                    have, counted = 0, 0
                with part.open("ab" if have else "wb") as out:
                    while block := response.read(BLOCK):
                        out.write(block)
                        counted += len(block)
                        if progress:
                            progress.advance(len(block))
            return
        except urllib.error.HTTPError as exc:
            if exc.code == 416:  # asked past the end: the part is complete
                return
            if exc.code < 500 or attempt == tries:
                raise ModelError(f"cannot download {url}: HTTP {exc.code}") from None
        except (OSError, TimeoutError) as exc:
            if attempt == tries:
                raise ModelError(
                    f"cannot download {url} ({exc}); run the same command again to resume"
                ) from None
        time.sleep(2 * attempt)
