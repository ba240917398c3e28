"""The rules every glossary keeps: known statuses, kinds and languages, no empties, no
duplicates, every term linked to a concept. Each problem names its sheet, row and column."""

from __future__ import annotations

from dataclasses import dataclass, field

from glossary.models import ConceptEntry, Glossary, TermEntry
from glossary.store.schema import (
    CONCEPT_SHEET,
    CONCEPTS,
    TERM_SHEET,
    TERMS,
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


def _field_problems(
    record: ConceptEntry | TermEntry, spec: SheetSpec, where: Where, row: int
) -> list[str]:
    """What the column table itself forbids: empty required values, unknown choices, bounds."""
    found = []
    for column in spec.fields:
        value = getattr(record, column.name)
        if column.nonempty and not value.strip():
            problem = f"empty {column.name}"
        elif column.choices and value not in column.choices:
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


def problems(glossary: Glossary, where: Where | None = None) -> list[str]:
    """Every rule the glossary breaks, one line each; [] when it keeps them all."""
    where = where or written_where(glossary)
    found: list[str] = []
    first_concept: dict[str, int] = {}
    for c, row in zip(glossary.concepts, where.concept_rows, strict=True):
        found += _field_problems(c, CONCEPT_SHEET, where, row)
        if c.concept_id in first_concept:
            found.append(
                f"{where.at(CONCEPTS, row, 'concept_id')}: duplicate concept_id "
                f"{c.concept_id!r} (first in row {first_concept[c.concept_id]})"
            )
        elif c.concept_id.strip():
            first_concept[c.concept_id] = row
    first_term: dict[tuple[str, str, str], int] = {}
    for t, row in zip(glossary.terms, where.term_rows, strict=True):
        found += _field_problems(t, TERM_SHEET, where, row)
        if t.concept_id.strip() and t.concept_id not in first_concept:
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
