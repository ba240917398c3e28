"""Import of TBX and CSV termbases into the workbook: read the file, then merge field by field.

Only the fields a file actually gives are merged; defaults a reader fills in never overwrite a
value. A reviewed record (a concept that is approved or rejected, a term that is not proposed)
keeps every value it has, and a file that disagrees is listed as a conflict. An import that
changes nothing writes nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

from glossary import store
from glossary.errors import FormatError, UsageError
from glossary.formats.base import Termbase, given_fields
from glossary.formats.tabular import read_csv
from glossary.formats.tbx import read_tbx
from glossary.models import Glossary, TermEntry
from glossary.text import search_form

# Provenance of a term: refreshed when the import changes the term, never a change by itself.
BOOKKEEPING = ("source", "updated")


@dataclass(frozen=True)
class ImportReport:
    """What an import changed in the workbook, and where the file disagreed with a reviewer."""

    concepts_added: int = 0
    concepts_updated: int = 0
    terms_added: int = 0
    terms_updated: int = 0
    contexts_added: int = 0
    conflicts: tuple[str, ...] = ()  # the workbook's reviewed value was kept
    written: bool = False

    def to_dict(self) -> dict[str, object]:
        """Plain data for --json."""
        return {**asdict(self), "conflicts": list(self.conflicts)}


def read_file(path: Path | str) -> Termbase:
    """Read a TBX (v3 or v2) or CSV/TSV (long or wide) termbase."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"file to import not found: {path}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    if path.suffix.lower() in (".tbx", ".xml") or data.lstrip()[:1] == b"<":
        return read_tbx(data, path.name)
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        return read_csv(data, path.name)
    raise FormatError(f"{path}: unknown termbase format; import a .tbx or .csv file")


def import_file(path: Path | str) -> Glossary:
    """The records of a TBX or CSV termbase, as a Glossary of reviewed terms."""
    return read_file(path).glossary


def _merge_record(current, incoming, given: frozenset[str], label: str, conflicts: list[str]):
    """current with the fields the file gave; a reviewed record keeps the values it has."""
    reviewed = current.status != "proposed"
    values = {}
    for name in sorted(given - set(BOOKKEEPING)):
        mine, theirs = getattr(current, name), getattr(incoming, name)
        if theirs == mine:
            continue
        if reviewed and mine not in ("", None):
            conflicts.append(f"{label} {name}: kept {mine!r}, the file has {theirs!r}")
        else:
            values[name] = theirs
    return replace(current, **values) if values else current


def _merge_concepts(existing: Glossary, base: Termbase, conflicts: list[str]):
    """Concepts after the import, the imported ids renamed to the ids they matched, counts."""
    concepts = list(existing.concepts)
    by_id = {c.concept_id: i for i, c in enumerate(concepts)}
    by_vi = {search_form(c.vi): c.concept_id for c in concepts if c.vi}
    rename: dict[str, str] = {}
    added = updated = 0
    for c in base.glossary.concepts:
        target = (
            c.concept_id
            if c.concept_id in by_id
            else by_vi.get(search_form(c.vi))
            if c.vi
            else None
        )
        if target is None:
            by_id[c.concept_id] = len(concepts)
            concepts.append(c)
            added += 1
            continue
        rename[c.concept_id] = target
        old = concepts[by_id[target]]
        given = base.concept_fields.get(c.concept_id, frozenset())
        new = _merge_record(old, c, given, f"concept {target}", conflicts)
        if new != old:
            concepts[by_id[target]] = new
            updated += 1
    return concepts, rename, added, updated


def _merge_terms(existing: Glossary, base: Termbase, rename: dict[str, str], conflicts: list[str]):
    """Terms after the import, where each imported (concept, lang, term) landed, counts."""
    terms = list(existing.terms)
    at = {store.term_key(t.concept_id, t.lang, t.term): i for i, t in enumerate(terms)}
    landed: dict[tuple[str, str, str], TermEntry] = {}
    added = updated = 0
    for t in base.glossary.terms:
        given = base.term_fields.get((t.concept_id, t.lang, t.term), frozenset())
        origin = (t.concept_id, t.lang, t.term)
        if t.concept_id in rename:
            t = replace(t, concept_id=rename[t.concept_id])
        key = store.term_key(t.concept_id, t.lang, t.term)
        if key not in at:
            at[key] = len(terms)
            terms.append(t)
            landed[origin] = t
            added += 1
            continue
        old = terms[at[key]]
        new = _merge_record(old, t, given, f"{old.concept_id} {old.lang}: {old.term}", conflicts)
        if new != old:
            new = replace(new, source=t.source or old.source, updated=t.updated or old.updated)
            terms[at[key]] = new
            updated += 1
        landed[origin] = new
    return terms, landed, added, updated


def merge_import(
    existing: Glossary, imported: Termbase | Glossary
) -> tuple[Glossary, ImportReport]:
    """Bring an imported termbase into a glossary, field by field, without undoing reviews.

    A concept matches by id, else by its Vietnamese term, so a termbase with its own ids seeds
    the existing concepts instead of duplicating them. Terms match by `store.term_key`.
    """
    base = imported if isinstance(imported, Termbase) else _everything_given(imported)
    conflicts: list[str] = []
    concepts, rename, c_added, c_updated = _merge_concepts(existing, base, conflicts)
    terms, landed, t_added, t_updated = _merge_terms(existing, base, rename, conflicts)
    contexts = list(existing.contexts)
    have = set(contexts)
    x_added = 0
    for x in base.glossary.contexts:
        t = landed.get((x.concept_id, x.lang, x.term))
        if t is None:
            continue
        x = replace(x, concept_id=t.concept_id, lang=t.lang, term=t.term)
        if x not in have:
            contexts.append(x)
            have.add(x)
            x_added += 1
    merged = Glossary(concepts, terms, contexts, dict(existing.about), dict(existing.machine))
    report = ImportReport(c_added, c_updated, t_added, t_updated, x_added, tuple(conflicts))
    return merged, report


def _everything_given(glossary: Glossary) -> Termbase:
    """A Glossary built in Python as a Termbase whose every non-empty field counts."""
    return Termbase(
        glossary,
        {c.concept_id: given_fields(c) for c in glossary.concepts},
        {(t.concept_id, t.lang, t.term): given_fields(t) for t in glossary.terms},
    )


def import_into(file: str | Path, workbook: str | Path, *, force: bool = False) -> ImportReport:
    """Import a TBX or CSV termbase into a workbook, holding its writer lock throughout so a
    concurrent `glossary align` or import cannot lose this work or have its own lost."""
    imported = read_file(file)
    workbook = Path(workbook)
    with store.locked(workbook):
        existing = store.load(workbook) if workbook.exists() else Glossary()
        merged, report = merge_import(existing, imported)
        # The file's records live on in merged; what else it held (which fields each record
        # gave, 10^5 of them) is dropped before the workbook writer needs its own memory.
        del imported
        if workbook.exists() and merged == existing:
            return report  # nothing changed: no new version, no backup
        store.save(merged, workbook, force=force)
    return replace(report, written=True)
