"""terms.xlsx, the review store: load, validate, merge and atomically save the glossary workbook.

The workbook is the source of truth. Reviewers edit it in Excel or LibreOffice; `merge` folds
a fresh machine proposal into it without losing their work. Where things live:
schema (the column tables), reader, writer, rules (validation), merge, memory (the hidden
`_machine` sheet) and files (locks, backups, atomic writes).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from glossary.errors import StoreError, ValidationError
from glossary.models import TERM_STATUSES, Glossary
from glossary.store.files import (
    BACKUPS_KEPT,
    atomic_write_bytes,
    locked,
    refuse_if_open,
    remove_stale_temporaries,
)
from glossary.store.merge import MergeReport, merge
from glossary.store.reader import inspect
from glossary.store.rules import problems
from glossary.store.schema import CONCEPT_COLUMNS, CONTEXT_COLUMNS, TERM_COLUMNS, term_key
from glossary.store.writer import to_bytes

__all__ = [
    "BACKUPS_KEPT",
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
]


def load(path: str | Path) -> Glossary:
    """Read and validate terms.xlsx; raises StoreError (unreadable) or ValidationError (rules)."""
    glossary, found = inspect(path)
    if glossary is None and len(found) == 1 and "not a readable xlsx" in found[0]:
        raise StoreError(found[0])
    if found or glossary is None:
        raise ValidationError(found)
    return glossary


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


def _write_locked(glossary: Glossary, path: Path) -> Path | None:
    """Write the workbook, keeping a backup; the caller holds the writer lock."""
    remove_stale_temporaries(path)
    return atomic_write_bytes(path, to_bytes(glossary), keep_backup=True)


def save(glossary: Glossary, path: str | Path, *, force: bool = False) -> Path | None:
    """Validate and write the workbook atomically; returns the backup of the previous version."""
    path = Path(path)
    found = problems(glossary)
    if found:
        raise ValidationError(found)
    with locked(path):
        refuse_if_open(path, force)
        return _write_locked(glossary, path)


def update(
    path: str | Path, proposal: Glossary, *, dry_run: bool = False, force: bool = False
) -> MergeReport:
    """Merge a machine proposal into the workbook on disk (locked read-merge-write)."""
    path = Path(path)
    if dry_run:
        existing = load(path) if path.exists() else Glossary()
        return merge(existing, proposal)[1]
    with locked(path):
        refuse_if_open(path, force)
        existing = load(path) if path.exists() else Glossary()
        merged, report = merge(existing, proposal)
        found = problems(merged)
        if found:
            raise ValidationError(found)
        backup = _write_locked(merged, path)
    return replace(report, written=True, backup=str(backup) if backup else None)


def load_concept_list(path: str | Path):
    """Read a concept list file; see glossary.formats.concepts (kept here for old callers)."""
    from glossary.formats.concepts import load_concept_list as load_list

    return load_list(path)
