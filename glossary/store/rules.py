"""The rules every glossary keeps: known statuses, kinds and languages, no empties, no
duplicates, every term linked to a concept. Each problem names its sheet, row and column."""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter

from glossary.models import ConceptEntry, Glossary, TermEntry
from glossary.store.schema import (
    CONCEPT_SHEET,
    CONCEPTS,
    TERM_SHEET,
    TERMS,
    Column,
    SheetSpec,
    key_of,
    letter,
)


@dataclass
class Where:
    """Where each record sits in the workbook, for messages naming sheet, row and column."""

    concept_rows: list[int] = field(default_factory=list)
    term_rows: list[int] = field(default_factory=list)
    columns: dict[str, dict[str, int]] = field(default_factory=dict)

    def at(self, sheet: str, row: int, column: str | None = None) -> str:
        if column is None:
            return f"sheet {sheet}, row {row}"
        index = self.columns.get(sheet, {}).get(column)
        at = letter(index) if index is not None else "?"
        return f"sheet {sheet}, row {row}, column {at} ({column})"


def written_where(glossary: Glossary) -> Where:
    """Positions as save() writes them: header in row 1, records from row 2 in list order."""
    return Where(
        concept_rows=[i + 2 for i in range(len(glossary.concepts))],
        term_rows=[i + 2 for i in range(len(glossary.terms))],
        columns={
            spec.name: {c: i for i, c in enumerate(spec.names)}
            for spec in (CONCEPT_SHEET, TERM_SHEET)
        },
    )


_CHECKED: dict[str, tuple[tuple[Column, frozenset[str]], ...]] = {}


def _checked(spec: SheetSpec) -> tuple[tuple[Column, frozenset[str]], ...]:
    """The fields the column table puts a rule on, each with its allowed values."""
    if spec.name not in _CHECKED:  # by name: hashing a SheetSpec hashes all its columns
        _CHECKED[spec.name] = tuple(
            (c, frozenset(c.choices)) for c in spec.fields if c.nonempty or c.choices or c.bounds
        )
    return _CHECKED[spec.name]


def _field_problems(
    record: ConceptEntry | TermEntry, spec: SheetSpec, where: Where, row: int
) -> list[str]:
    """What the column table itself forbids: empty required values, unknown choices, bounds."""
    found = []
    for column, allowed in _checked(spec):
        value = getattr(record, column.name)
        if column.nonempty and not value.strip():
            problem = f"empty {column.name}"
        elif allowed and value not in allowed:
            problem = f"unknown {column.what} {value!r}; use one of {', '.join(column.choices)}"
        elif (
            column.bounds
            and value is not None
            and not (column.bounds[0] <= value <= column.bounds[1])
        ):
            low, high = column.bounds
            problem = f"{column.name} {value} is not between {low:g} and {high:g}"
        else:
            continue
        found.append(f"{where.at(spec.name, row, column.name)}: {problem}")
    return found


def _suspects(records: list, spec: SheetSpec) -> set[int]:
    """The positions of the records that may break a column rule, found a column at a time
    (most glossaries break none, and then no record is looked at one by one)."""
    suspects: set[int] = set()
    for column, allowed in _checked(spec):
        values = list(map(attrgetter(column.name), records))
        if column.nonempty and not all(map(str.strip, values)):
            suspects.update(i for i, v in enumerate(values) if not v.strip())
        if allowed and not allowed.issuperset(values):
            suspects.update(i for i, v in enumerate(values) if v not in allowed)
        if column.bounds:
            low, high = column.bounds
            numbers = [v for v in values if v is not None]
            if numbers and not (low <= min(numbers) and max(numbers) <= high):
                suspects.update(
                    i for i, v in enumerate(values) if v is not None and not low <= v <= high
                )
    return suspects


def _all_distinct(values: list) -> bool:
    return len(set(values)) == len(values)


def problems(glossary: Glossary, where: Where | None = None) -> list[str]:
    """Every rule the glossary breaks, one line each; [] when it keeps them all.

    Each rule is first checked a whole column at a time; only a rule that may be broken walks
    the rows to say where (a valid glossary, the usual case, is never walked row by row).
    """
    where = where or written_where(glossary)
    found: list[str] = []
    concept_ids = list(map(attrgetter("concept_id"), glossary.concepts))
    suspects = _suspects(glossary.concepts, CONCEPT_SHEET)
    if suspects or not _all_distinct(concept_ids):
        found += _concept_problems(glossary.concepts, where, suspects)
    known = {i for i in concept_ids if i.strip()}
    term_ids = set(map(attrgetter("concept_id"), glossary.terms))
    unknown = any(i.strip() and i not in known for i in term_ids)
    suspects = _suspects(glossary.terms, TERM_SHEET)
    # Rows without a term or a concept id are left out of the duplicate check.
    keys = [key_of(t) for t in glossary.terms if t.term.strip() and t.concept_id.strip()]
    if suspects or unknown or not _all_distinct(keys):
        found += _term_problems(glossary.terms, known, where, suspects)
    return found


def _concept_problems(concepts: list, where: Where, suspects: set[int]) -> list[str]:
    found: list[str] = []
    first_concept: dict[str, int] = {}
    for i, (c, row) in enumerate(zip(concepts, where.concept_rows, strict=True)):
        if i in suspects:
            found += _field_problems(c, CONCEPT_SHEET, where, row)
        if c.concept_id in first_concept:
            found.append(
                f"{where.at(CONCEPTS, row, 'concept_id')}: duplicate concept_id "
                f"{c.concept_id!r} (first in row {first_concept[c.concept_id]})"
            )
        elif c.concept_id.strip():
            first_concept[c.concept_id] = row
    return found


def _term_problems(terms: list, known: set[str], where: Where, suspects: set[int]) -> list[str]:
    found: list[str] = []
    first_term: dict[tuple[str, str, str], int] = {}
    for i, (t, row) in enumerate(zip(terms, where.term_rows, strict=True)):
        if i in suspects:
            found += _field_problems(t, TERM_SHEET, where, row)
        if t.concept_id.strip() and t.concept_id not in known:
            found.append(
                f"{where.at(TERMS, row, 'concept_id')}: unknown concept {t.concept_id!r}; "
                "add it to the Concepts sheet or correct the id"
            )
        if t.term.strip() and t.concept_id.strip():
            key = key_of(t)
            if key in first_term:
                found.append(
                    f"{where.at(TERMS, row)}: duplicate of row {first_term[key]} "
                    f"({t.concept_id}, {t.lang}, {t.term!r})"
                )
            else:
                first_term[key] = row
    return found
