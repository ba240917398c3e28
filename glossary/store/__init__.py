"""terms.xlsx, the review store: load, validate, merge and atomically save the glossary workbook.

The workbook is the source of truth. Reviewers edit it in Excel or LibreOffice; `merge` folds
a fresh machine proposal into it without losing their work. Where things live:
schema (the column tables), reader, writer, rules (validation), merge, memory (the hidden
`_machine` sheet) and files (locks, backups, atomic writes).
"""

from __future__ import annotations

from pathlib import Path

from glossary.models import TERM_STATUSES, Glossary
from glossary.store.book import (
    Book,
    open_book,
    read_book,
    refuse_if_read_only,
    update,
    write_book,
)
from glossary.store.files import BACKUPS_KEPT, atomic_write_bytes, locked, refuse_if_open
from glossary.store.guard import MAX_CELLS, MAX_ROWS, MAX_UNPACKED_BYTES
from glossary.store.merge import MergeReport, merge
from glossary.store.reader import inspect
from glossary.store.rules import problems
from glossary.store.schema import CONCEPT_COLUMNS, CONTEXT_COLUMNS, TERM_COLUMNS, term_key
from glossary.store.writer import to_bytes

__all__ = [
    "BACKUPS_KEPT",
    "MAX_CELLS",
    "MAX_ROWS",
    "MAX_UNPACKED_BYTES",
    "Book",
    "open_book",
    "refuse_if_read_only",
    "CONCEPT_COLUMNS",
    "CONTEXT_COLUMNS",
    "TERM_COLUMNS",
    "MergeReport",
    "atomic_write_bytes",
    "inspect",
    "load",
    "load_concept_list",
    "locked",
    "merge",
    "problems",
    "refuse_if_open",
    "save",
    "summary",
    "term_key",
    "to_bytes",
    "update",
    "validate_file",
    "write_book",
]


def load(path: str | Path) -> Glossary:
    """Read and validate terms.xlsx; raises StoreError (unreadable) or ValidationError (rules)."""
    return read_book(Path(path), missing_ok=False).glossary


def validate_file(path: str | Path) -> list[str]:
    """Every problem of a workbook, one line each; [] when valid. StoreError if it is missing."""
    return inspect(path)[1]


def summary(glossary: Glossary) -> dict[str, object]:
    """Counts for reports: concepts, terms by status and language, contexts."""
    by_status = {s: 0 for s in TERM_STATUSES}
    by_lang: dict[str, int] = {}
    for t in glossary.terms:
        by_status[t.status] = by_status.get(t.status, 0) + 1
        by_lang[t.lang] = by_lang.get(t.lang, 0) + 1
    return {
        "concepts": len(glossary.concepts),
        "terms": len(glossary.terms),
        "contexts": len(glossary.contexts),
        "terms_by_status": by_status,
        "terms_by_lang": dict(sorted(by_lang.items())),
    }


def save(glossary: Glossary, path: str | Path, *, force: bool = False) -> Path | None:
    """Validate and write the workbook atomically, keeping what the reviewer added to the
    one on disk; returns the backup of the previous version (None when nothing changed)."""
    path = Path(path)
    with locked(path):  # write_book refuses an invalid glossary before writing anything
        return write_book(read_book(path), glossary, force)[1]


def load_concept_list(path: str | Path):
    """Read a concept list file; see glossary.formats.concepts (kept here for old callers)."""
    from glossary.formats.concepts import load_concept_list as load_list

    return load_list(path)
