"""The machine memory: what the tool last wrote for each proposed concept and term row.

It lives in the hidden `_machine` sheet. A hidden `row_id` column ties each Terms row to its
record there, so a reviewer's correction of a still-"proposed" row is told apart from machine
output, and a row the machine proposed can be recognised after the reviewer changed it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import replace

from glossary.models import ConceptEntry, Glossary, TermEntry
from glossary.store.schema import exact_of, key_of, records_of

Memory = dict[str, ConceptEntry | TermEntry]
# A proposed row or concept the reviewer deleted stays in the memory as a decision: never
# proposed again. Keys "deleted:<row_id>" (a TermEntry) and "deleted-concept:<id>".
DELETED, DELETED_CONCEPT = "deleted:", "deleted-concept:"


def new_row_id(key: tuple[str, str, str], taken: set[str]) -> str:
    """A stable id for a new machine row, derived from its key; added to `taken`."""
    digest = hashlib.sha1("\t".join(key).encode("utf-8")).hexdigest()
    rid, n = "t" + digest[:10], 1
    while rid in taken:
        n += 1
        rid = f"t{digest[:10]}-{n}"
    taken.add(rid)
    return rid


def term_memory(t: TermEntry, rid: str) -> TermEntry:
    """The part of a term row the memory keeps: its key fields and note."""
    return TermEntry(concept_id=t.concept_id, lang=t.lang, term=t.term, note=t.note, row_id=rid)


_TERM_MEMORY = ("concept_id", "lang", "term", "note", "row_id")


def read_memory(rows: Iterable[tuple[str, ...]]) -> Memory:
    """Records of the `_machine` sheet (rows as texts in MACHINE_COLUMNS order) by
    "concept:<id>"/"term:<id>" (and the deletion keys)."""
    rows = [r for r in rows if r[1]]
    # The term rows' records are made in one go (records_of), then put in sheet order.
    terms = iter(
        records_of(
            TermEntry,
            _TERM_MEMORY,
            [(r[2], r[7], r[8], r[9], r[1]) for r in rows if r[0] in ("term", "deleted")],
        )
    )
    memory: Memory = {}
    for record, ident, _, vi, en, kind, definition, _, _, note, *_ in rows:
        if record == "concept":
            memory["concept:" + ident] = ConceptEntry(ident, vi, en, kind, definition, note=note)
        elif record in ("term", "deleted"):
            prefix = "term:" if record == "term" else DELETED
            memory[prefix + ident] = next(terms)
        elif record == "deleted concept":
            memory[DELETED_CONCEPT + ident] = ConceptEntry(ident, vi=vi)
    return memory


def attach(glossary: Glossary, memory: Memory | None) -> None:
    """Tie each Terms row to the machine's memory of it; drop memory nobody refers to.

    Memory that is missing (None: a workbook written by another tool, or saved from a Glossary
    that did not carry `machine`) is rebuilt from the rows as they stand, but with empty free
    text, so a note or definition already there counts as the reviewer's and is never
    overwritten.
    """
    known = memory or {}
    kept: Memory = {}
    taken: set[str] = set()
    for i, t in enumerate(glossary.terms):
        if not t.row_id:
            continue
        if t.row_id in taken:
            # A row a reviewer copied, id and all: the copy is the reviewer's.
            glossary.terms[i] = replace(t, row_id="")
            continue
        taken.add(t.row_id)
        last = known.get("term:" + t.row_id)
        kept["term:" + t.row_id] = last or term_memory(replace(t, note=""), t.row_id)
    # Rows without a row_id: a reviewer added them, unless the row_id column was lost (then an
    # unchanged proposed row is recognised by its key) or there never was a memory at all.
    unclaimed = {
        exact_of(m): m for m in known.values() if isinstance(m, TermEntry) and m.row_id not in taken
    }
    for i, t in enumerate(glossary.terms):
        if t.row_id or t.status != "proposed":
            continue
        m = unclaimed.pop(exact_of(t), None)
        if m is None and memory is None:
            m = term_memory(replace(t, note=""), new_row_id(key_of(t), taken))
        if m is not None:
            taken.add(m.row_id)
            glossary.terms[i] = replace(t, row_id=m.row_id)
            kept["term:" + m.row_id] = m
    for c in glossary.concepts:
        last = known.get("concept:" + c.concept_id)
        if last is None and memory is None and c.status == "proposed":
            last = replace(c, definition="", note="")
        if last is not None:
            kept["concept:" + c.concept_id] = last
    kept.update(_deletions(known, kept, unclaimed.values()))
    glossary.machine = kept


def _deletions(known: Memory, kept: Memory, unclaimed_rows) -> Memory:
    """Earlier deletions, and the proposed rows and concepts deleted since the last run."""
    found: Memory = {k: v for k, v in known.items() if k.startswith((DELETED, DELETED_CONCEPT))}
    for m in unclaimed_rows:
        found[DELETED + m.row_id] = m
    for k, m in known.items():
        if k.startswith("concept:") and k not in kept:
            found[DELETED_CONCEPT + m.concept_id] = ConceptEntry(m.concept_id, vi=m.vi)
    return found


def deleted_keys(memory: Memory) -> set[tuple[str, str, str]]:
    """The keys of the term rows a reviewer deleted."""
    return {key_of(m) for k, m in memory.items() if k.startswith(DELETED)}


def deleted_concepts(memory: Memory) -> set[str]:
    """The ids of the proposed concepts a reviewer deleted."""
    return {m.concept_id for k, m in memory.items() if k.startswith(DELETED_CONCEPT)}


def live(memory: Memory, concepts, terms) -> Memory:
    """The records of the concepts and rows still in the workbook."""
    ids = {"concept:" + c.concept_id for c in concepts} | {
        "term:" + t.row_id for t in terms if t.row_id
    }
    return {k: v for k, v in memory.items() if k in ids or k.startswith((DELETED, DELETED_CONCEPT))}


def memory_rows(glossary: Glossary) -> Iterator[tuple[str, ...]]:
    """The `_machine` sheet's rows (without header), in sheet order so output is deterministic."""
    keys = ["concept:" + c.concept_id for c in glossary.concepts]
    keys += ["term:" + t.row_id for t in glossary.terms if t.row_id]
    for key in dict.fromkeys(keys):
        m = glossary.machine.get(key)
        if isinstance(m, ConceptEntry) and key == "concept:" + m.concept_id:
            yield (
                "concept", m.concept_id, m.concept_id, m.vi, m.en, m.kind, m.definition,
                "", "", m.note,
            )  # fmt: skip
        elif isinstance(m, TermEntry) and key == "term:" + m.row_id:
            yield ("term", m.row_id, m.concept_id, "", "", "", "", m.lang, m.term, m.note)
    for key, m in sorted(glossary.machine.items()):
        if key.startswith(DELETED):
            yield ("deleted", m.row_id, m.concept_id, "", "", "", "", m.lang, m.term, "")
        elif key.startswith(DELETED_CONCEPT):
            yield ("deleted concept", m.concept_id, m.concept_id, m.vi, "", "", "", "", "", "")
