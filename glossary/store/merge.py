"""Fold a fresh machine proposal into the reviewed glossary without losing reviewer work."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from operator import attrgetter
from typing import TypeVar

from glossary.models import ConceptEntry, ContextEntry, Glossary, TermEntry
from glossary.store import memory as mem
from glossary.store.schema import CONCEPT_EDITABLE, exact_of, key_of, label, term_key

Key = tuple[str, str, str]
T = TypeVar("T")
# What a fresh proposal brings to a machine row: all but its place, status, note and time.
_evidence = attrgetter(
    "term", "confidence", "frequency", "documents", "context", "source", "evidence"
)


@dataclass(frozen=True)
class MergeReport:
    """What a merge changed; each entry is a short human-readable line."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()  # machine and reviewer disagree; the reviewer's value was kept
    skipped: tuple[str, ...] = ()  # proposals not added: rejected by a reviewer, unknown concept
    deleted: tuple[str, ...] = ()  # proposals not added because a reviewer deleted them
    warnings: tuple[str, ...] = ()  # what writing the workbook could not keep
    written: bool = False
    backup: str | None = None

    @property
    def counts(self) -> dict[str, int]:
        """Number of entries in each list."""
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "conflicts": len(self.conflicts),
            "skipped": len(self.skipped),
            "deleted": len(self.deleted),
        }

    def to_dict(self) -> dict[str, object]:
        """Plain data for --json."""
        return {
            "counts": self.counts,
            "added": list(self.added),
            "updated": list(self.updated),
            "unchanged": list(self.unchanged),
            "conflicts": list(self.conflicts),
            "skipped": list(self.skipped),
            "deleted": list(self.deleted),
            "warnings": list(self.warnings),
            "written": self.written,
            "backup": self.backup,
        }


@dataclass
class _Log:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def report(self) -> MergeReport:
        return MergeReport(
            added=tuple(self.added),
            updated=tuple(self.updated),
            unchanged=tuple(self.unchanged),
            conflicts=tuple(self.conflicts),
            skipped=tuple(self.skipped),
            deleted=tuple(self.deleted),
        )


def _concept_label(c: ConceptEntry) -> str:
    return f"concept {c.concept_id} ({c.vi or c.en or 'no vi'})"


def _unique(items: Iterable[T], key: Callable[[T], object]) -> Iterator[T]:
    seen = set()
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            yield item


def merge(existing: Glossary, proposal: Glossary) -> tuple[Glossary, MergeReport]:
    """Fold a fresh machine proposal into the reviewed glossary without losing reviewer work."""
    memory = dict(existing.machine)
    log = _Log()
    concepts = _merge_concepts(existing.concepts, proposal.concepts, memory, log)
    status_of = {c.concept_id: c.status for c in concepts}
    terms, rekey = _merge_terms(existing.terms, proposal.terms, status_of, memory, log)
    merged = Glossary(
        concepts=concepts,
        terms=terms,
        contexts=_merge_contexts(existing.contexts, proposal.contexts, rekey, terms),
        about={**existing.about, **proposal.about},
        machine=mem.live(memory, concepts, terms),
    )
    return merged, log.report()


def _merge_concepts(
    existing: list[ConceptEntry], proposed: list[ConceptEntry], memory: mem.Memory, log: _Log
) -> list[ConceptEntry]:
    """Ids are stable; reviewer-owned concepts and reviewer-edited cells are kept."""
    concepts = list(existing)
    position = {c.concept_id: i for i, c in enumerate(concepts)}
    gone = mem.deleted_concepts(memory)
    for c in _unique(proposed, lambda c: c.concept_id):
        machine_c = replace(c, status="proposed")
        i = position.get(c.concept_id)
        if i is None and c.concept_id in gone:
            log.deleted.append(f"{_concept_label(c)}: deleted by a reviewer, not proposed again")
            continue
        if i is None:
            position[c.concept_id] = len(concepts)
            concepts.append(c)
            memory["concept:" + c.concept_id] = machine_c
            log.added.append(_concept_label(c))
            continue
        current = concepts[i]
        last = memory.get("concept:" + c.concept_id)
        if current.status != "proposed" or not isinstance(last, ConceptEntry):
            log.unchanged.append(_concept_label(current))
            continue
        values = {}
        for name in CONCEPT_EDITABLE:
            mine, before, now = getattr(current, name), getattr(last, name), getattr(c, name)
            values[name] = mine if mine != before else now
            if mine != before and now not in (before, mine):
                log.conflicts.append(
                    f"{_concept_label(current)} {name}: kept the reviewer's {mine!r}; "
                    f"the machine now suggests {now!r}"
                )
        merged_c = replace(current, **values)
        memory["concept:" + c.concept_id] = machine_c
        if merged_c != current:
            concepts[i] = merged_c
            log.updated.append(_concept_label(merged_c))
        else:
            log.unchanged.append(_concept_label(current))
    return concepts


def _merge_terms(
    existing: list[TermEntry],
    proposed: list[TermEntry],
    status_of: dict[str, str],
    memory: mem.Memory,
    log: _Log,
) -> tuple[list[TermEntry], dict[Key, TermEntry | None]]:
    """Rows are found by their key, and edited rows also by the key the machine gave them.

    Returns the rows and, for each proposal's key, the row that now stands for it (None when
    the proposal was not added), so its contexts can follow it.
    """
    terms = list(existing)
    by_key: dict[Key, int] = {}
    for i, t in enumerate(terms):
        by_key.setdefault(key_of(t), i)
    by_origin: dict[Key, int] = {}
    for i, t in enumerate(terms):
        last = memory.get("term:" + t.row_id) if t.row_id else None
        if isinstance(last, TermEntry) and exact_of(last) != exact_of(t):
            by_origin.setdefault(key_of(last), i)
    taken = {t.row_id for t in terms if t.row_id}
    gone = mem.deleted_keys(memory)
    rekey: dict[Key, TermEntry | None] = {}
    for p in _unique(proposed, key_of):
        k = key_of(p)
        i = by_key.get(k, by_origin.get(k))
        if i is None and k in gone:
            log.deleted.append(f"{label(p)}: deleted by a reviewer, treated as rejected")
            rekey[k] = None
        elif i is None:
            row = _new_row(p, status_of, taken, memory, log)
            if row is not None:
                by_key[k] = len(terms)
                terms.append(row)
            rekey[k] = row
        else:
            terms[i] = rekey[k] = _refresh_row(terms[i], p, memory, log)
    return terms, rekey


def _new_row(
    p: TermEntry, status_of: dict[str, str], taken: set[str], memory: mem.Memory, log: _Log
) -> TermEntry | None:
    """A proposal no row stands for: added, unless its concept is unknown or rejected."""
    if p.concept_id not in status_of:
        log.skipped.append(f"{label(p)}: unknown concept {p.concept_id!r}, not added")
        return None
    if status_of[p.concept_id] == "rejected":
        log.skipped.append(f"{label(p)}: concept {p.concept_id} is rejected, not added")
        return None
    rid = mem.new_row_id(key_of(p), taken)
    memory["term:" + rid] = mem.term_memory(p, rid)
    log.added.append(label(p))
    return replace(p, row_id=rid)


def _refresh_row(current: TermEntry, p: TermEntry, memory: mem.Memory, log: _Log) -> TermEntry:
    """A proposal that a row already stands for: new evidence for a machine row, else kept."""
    k = key_of(p)
    last = memory.get("term:" + current.row_id) if current.row_id else None
    if not (
        current.status == "proposed"
        and isinstance(last, TermEntry)
        and exact_of(last) == exact_of(current)
    ):
        if current.status == "rejected" and key_of(current) == k:
            log.skipped.append(f"{label(p)}: rejected by a reviewer, not proposed again")
        elif key_of(current) != k:
            log.conflicts.append(
                f"{label(p)}: the machine proposes it again; a reviewer changed it to "
                f"{label(current)}, kept"
            )
        else:
            log.unchanged.append(label(current))
        return current
    note = current.note if current.note != last.note else p.note
    memory["term:" + current.row_id] = mem.term_memory(p, current.row_id)
    if note == current.note and _evidence(p) == _evidence(current):
        log.unchanged.append(label(current))  # same evidence: keep the old timestamp
        return current
    refreshed = replace(
        p,
        concept_id=current.concept_id,
        lang=current.lang,
        status="proposed",
        note=note,
        row_id=current.row_id,
    )
    log.updated.append(label(refreshed))
    return refreshed


def _merge_contexts(
    old: list[ContextEntry],
    new: list[ContextEntry],
    rekey: dict[Key, TermEntry | None],
    terms: list[TermEntry],
) -> list[ContextEntry]:
    """New examples replace a term's old ones; examples follow terms a reviewer moved."""
    fresh: list[ContextEntry] = []
    refreshed: set[Key] = set()
    for c in new:
        target = rekey.get(term_key(c.concept_id, c.lang, c.term), ...)
        if target is None:
            continue  # its proposal was not added
        if isinstance(target, TermEntry) and (c.concept_id, c.lang, c.term) != exact_of(target):
            c = replace(c, concept_id=target.concept_id, lang=target.lang, term=target.term)
        fresh.append(c)
        refreshed.add(term_key(c.concept_id, c.lang, c.term))
    live = {key_of(t) for t in terms}
    result, seen = [], set()
    for c in [c for c in old if term_key(c.concept_id, c.lang, c.term) not in refreshed] + fresh:
        k = term_key(c.concept_id, c.lang, c.term)
        ident = (k, c.document, c.position)
        if k in live and ident not in seen:
            seen.add(ident)
            result.append(c)
    return result
