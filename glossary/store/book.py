"""One workbook on disk, read once per run: refuse early, merge, and write only a change.

`open_book` reads the workbook (and refuses one that is read-only or open in a spreadsheet
before any heavy work); `update` merges a proposal into that reading under the writer lock,
reading again only if the file changed meanwhile, and writes nothing when nothing changed.
"""

from __future__ import annotations

import logging
import stat
from dataclasses import dataclass, replace
from pathlib import Path

from glossary.errors import StoreError, ValidationError
from glossary.models import Glossary
from glossary.store import files, guard
from glossary.store.merge import MergeReport, merge
from glossary.store.patch import cannot_keep, patch_bytes
from glossary.store.reader import Reading, code, read
from glossary.store.rules import problems
from glossary.store.schema import CONCEPT_SHEET, TERM_SHEET, TOOL_SHEETS, SheetSpec
from glossary.store.writer import Extras, to_bytes

log = logging.getLogger("glossary.store")


def refuse_if_read_only(path: Path) -> None:
    """Raise StoreError if the workbook exists but its owner may not write it."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if not mode & stat.S_IWUSR:
        raise StoreError(
            f"{path} is read-only (mode {stat.filemode(mode)}); nothing was changed. "
            "Make it writable first if it should be updated"
        )


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


@dataclass
class Book:
    """The workbook as read once: its glossary and what else it holds."""

    path: Path
    reading: Reading | None  # None: there is no workbook yet
    stamp: tuple[int, int, int] | None
    # The refusals (read-only, open in a spreadsheet) already passed for this reading, so the
    # write does not repeat them; a reading made again because the file changed is checked anew.
    checked: bool = False

    @property
    def glossary(self) -> Glossary:
        if self.reading is None or self.reading.glossary is None:
            return Glossary()
        return self.reading.glossary

    def current(self) -> Book:
        """This reading if the file is unchanged since, else a new one."""
        return self if _stamp(self.path) == self.stamp else read_book(self.path)


def read_book(path: Path, *, missing_ok: bool = True) -> Book:
    """Read and validate the workbook; raises StoreError (unreadable, or missing unless
    missing_ok) or ValidationError (it breaks rules)."""
    if missing_ok and not path.exists():
        return Book(path, None, None)
    stamp = _stamp(path)
    reading = read(path)
    found = reading.problems
    if reading.glossary is None and len(found) == 1 and "not a readable xlsx" in found[0]:
        raise StoreError(found[0])
    if found or reading.glossary is None:
        raise ValidationError(found)
    return Book(path, reading, stamp)


def open_book(path: str | Path, *, writing: bool = True, force: bool = False) -> Book:
    """Read and validate the workbook (an empty one if there is none yet).

    When writing, first refuse a read-only workbook and one open in a spreadsheet.
    """
    path = Path(path)
    if writing:
        _refuse_to_write(path, force)
    book = read_book(path)
    book.checked = writing
    return book


def _refuse_to_write(path: Path, force: bool) -> None:
    """Refuse a read-only workbook, and one open in a spreadsheet (unless force)."""
    refuse_if_read_only(path)
    files.refuse_if_open(path, force)


def _extras(reading: Reading, spec: SheetSpec, row_numbers: list[int]) -> Extras:
    """The reviewer's own columns of a sheet, by header, with each record row's values."""
    rows = reading.sheets.get(spec.name) or [()]
    header, own = [], {}
    for i, value in enumerate(rows[0]):
        name = code(value)
        if name and name.lower() in spec.names:
            header.append(name.lower())
        elif name and name not in own:
            header.append(name)
            own[name] = i
    values = tuple(
        {name: rows[n - 1][i] for name, i in own.items() if i < len(rows[n - 1])}
        for n in row_numbers
    )
    return Extras(tuple(dict.fromkeys(header)), values if own else ())


def needs_patch(book: Book) -> bool:
    """Whether the workbook holds what a fresh write would lose."""
    reading = book.reading
    scan = reading.scan
    if set(reading.sheets) - TOOL_SHEETS or scan.comments or scan.hyperlink_parts:
        return True
    if scan.drawings:
        return True
    parts = guard.sheet_parts(book.path)
    last = {
        CONCEPT_SHEET.name: max(reading.where.concept_rows, default=1),
        TERM_SHEET.name: max(reading.where.term_rows, default=1),
    }
    return guard.hand_formatted(book.path, {parts[n]: r for n, r in last.items() if n in parts})


def render(book: Book, merged: Glossary) -> tuple[bytes, list[str]]:
    """The new workbook's bytes, and what writing it cannot keep."""
    reading = book.reading
    if reading is None:
        return to_bytes(merged), []
    if needs_patch(book):
        return patch_bytes(book.path, reading, merged), cannot_keep(reading)
    extras = {
        CONCEPT_SHEET.name: _extras(reading, CONCEPT_SHEET, reading.where.concept_rows),
        TERM_SHEET.name: _extras(reading, TERM_SHEET, reading.where.term_rows),
    }
    return to_bytes(merged, extras), []


def unchanged(before: Glossary, after: Glossary) -> bool:
    """Same records, same row ids and memory: nothing to write (run metadata aside)."""
    return (
        before.concepts == after.concepts
        and before.terms == after.terms
        and [t.row_id for t in before.terms] == [t.row_id for t in after.terms]
        and before.contexts == after.contexts
        and before.machine == after.machine
    )


def write_book(book: Book, merged: Glossary, force: bool) -> tuple[bool, Path | None, list[str]]:
    """Write the merged glossary over the book's file, under the writer lock the caller holds.

    Returns (written, backup, warnings); nothing is written when nothing changed.
    """
    found = problems(merged)
    if found:
        raise ValidationError(found)
    if not book.checked:  # open_book refused early already; once per run is enough
        _refuse_to_write(book.path, force)
    if book.reading is not None and unchanged(book.glossary, merged):
        return False, None, []
    data, warnings = render(book, merged)
    for line in warnings:
        log.warning("warning: %s: %s", book.path.name, line)
    files.remove_stale_temporaries(book.path)
    backup = files.atomic_write_bytes(book.path, data, keep_backup=True)
    return True, backup, warnings


def update(
    path: str | Path,
    proposal: Glossary,
    *,
    dry_run: bool = False,
    force: bool = False,
    book: Book | None = None,
) -> MergeReport:
    """Merge a machine proposal into the workbook on disk (locked read-merge-write).

    Pass the `book` from `open_book` to reuse that reading (it is read again only if the file
    changed since).
    """
    path = Path(path)
    if dry_run:
        book = book.current() if book is not None else read_book(path)
        return merge(book.glossary, proposal)[1]
    with files.locked(path):
        book = book.current() if book is not None else open_book(path, force=force)
        merged, report = merge(book.glossary, proposal)
        written, backup, warnings = write_book(book, merged, force)
    return replace(
        report,
        written=written,
        backup=str(backup) if backup else None,
        warnings=tuple(warnings),
    )
