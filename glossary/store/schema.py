"""The layout of terms.xlsx, stated once: for each sheet, its columns in order and what each is.

Reading, writing, validation, drop-downs, widths and conditional formats all come from these
tables, so a column is added or moved here and nowhere else. Column letters are derived.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import MISSING, dataclass, fields
from functools import cached_property, lru_cache

from glossary.models import CONCEPT_STATUSES, KINDS, TERM_STATUSES, TermEntry
from glossary.text import KNOWN_LANGS, match_key

CONCEPTS, TERMS, CONTEXTS, ABOUT, MACHINE = "Concepts", "Terms", "Contexts", "About", "_machine"
REQUIRED_SHEETS = (CONCEPTS, TERMS, CONTEXTS)
TOOL_SHEETS = frozenset((*REQUIRED_SHEETS, ABOUT, MACHINE))  # every other sheet is a reviewer's
ABOUT_MARKER = "Run metadata"
# Extra empty rows that keep the drop-downs working for rows a reviewer appends.
VALIDATION_SLACK = 500


class Formula(str):
    """A cell's formula ("=..."), as opposed to text that starts with "="."""


@dataclass(frozen=True)
class Column:
    """One column of a data sheet."""

    name: str
    width: float = 14  # the widest it gets; narrower when its header and values are
    # How a cell becomes a record field: text (as is), strip, code (trimmed), lower (trimmed,
    # lower case), lang (a language code), int, float.
    read: str = "text"
    field: bool = True  # False: shown for reading only, not part of the record (Terms' vi)
    required: bool = True  # the header row must have it
    nonempty: bool = False
    choices: tuple[str, ...] = ()  # allowed values, offered as a drop-down
    what: str = ""  # what a choice is called in messages: "status", "kind", "language"
    bounds: tuple[float, float] | None = None
    wrap: bool = False
    number_format: str | None = None
    color_scale: bool = False  # red (0) - yellow - green (1)
    key: bool = False  # the column a reader looks at first
    hidden: bool = False
    editable: bool = False  # a reviewer's edit of a still-proposed record is kept by merge


@dataclass(frozen=True)
class RowRule:
    """A conditional format on a whole row when one column holds a value."""

    column: str
    value: str
    font_color: str
    strike: bool = False
    fill_color: str | None = None


@dataclass(frozen=True)
class SheetSpec:
    """A data sheet: its name, its columns in order, and its row formats."""

    name: str
    columns: tuple[Column, ...]
    row_rules: tuple[RowRule, ...] = ()

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @cached_property
    def fields(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.field)

    @cached_property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return self.columns[self.names.index(name)]

    def letter(self, name: str) -> str:
        """The column letter as this tool writes the sheet (A for the first column)."""
        return letter(self.names.index(name))

    @cached_property
    def last_shown(self) -> str:
        """Letter of the last column that is not hidden."""
        return letter(max(i for i, c in enumerate(self.columns) if not c.hidden))


def letter(index: int) -> str:
    """Spreadsheet letter of a 0-based column index."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


_ID = Column("concept_id", width=18, read="code", nonempty=True)

CONCEPT_SHEET = SheetSpec(
    CONCEPTS,
    (
        _ID,
        Column("vi", width=32, read="strip", key=True, editable=True),
        Column("en", width=32, read="strip", editable=True),
        Column("kind", width=13, read="lower", choices=KINDS, what="kind", editable=True),
        Column("definition", width=50, wrap=True, editable=True),
        Column("status", width=11, read="lower", choices=CONCEPT_STATUSES, what="status"),
        Column("note", width=40, wrap=True, editable=True),
    ),
)

TERM_SHEET = SheetSpec(
    TERMS,
    (
        _ID,
        # The concept's Vietnamese term, repeated for reading; ignored on load.
        Column("vi", width=26, field=False, required=False, key=True),
        Column("lang", width=7, read="lang", choices=KNOWN_LANGS, what="language"),
        Column("term", width=40, read="code", nonempty=True),
        Column("status", width=12, read="lower", choices=TERM_STATUSES, what="status"),
        Column(
            "confidence",
            width=11,
            read="float",
            bounds=(0.0, 1.0),
            number_format="0.00",
            color_scale=True,
        ),  # fmt: skip
        Column("frequency", width=10, read="int"),
        Column("documents", width=28),
        Column("context", width=60, wrap=True),
        Column("note", width=36, wrap=True),
        Column("source", width=24),
        Column("updated", width=20),
        Column("evidence", width=40, wrap=True),
        # Every surface form seen; the term is its headword (base form).
        Column("forms", width=30, required=False),
        Column("row_id", read="code", required=False, hidden=True),
    ),
    row_rules=(
        RowRule("status", "deprecated", font_color="9C0006", strike=True, fill_color="FFC7CE"),
        RowRule("status", "rejected", font_color="A6A6A6"),
    ),
)

CONTEXT_SHEET = SheetSpec(
    CONTEXTS,
    (
        _ID,
        Column("lang", width=7, read="lang"),
        Column("term", width=30, read="code"),
        Column("document", width=30),
        Column("position", width=10, read="int"),
        Column("sentence", width=90, wrap=True),
    ),
)

SHEETS = (CONCEPT_SHEET, TERM_SHEET, CONTEXT_SHEET)
CONCEPT_COLUMNS = CONCEPT_SHEET.names
TERM_COLUMNS = TERM_SHEET.names
CONTEXT_COLUMNS = CONTEXT_SHEET.names
CONCEPT_EDITABLE = tuple(c.name for c in CONCEPT_SHEET.columns if c.editable)
# The hidden sheet of what the machine last wrote, one record per proposed concept or row.
MACHINE_COLUMNS = (
    "record", "id", "concept_id", "vi", "en", "kind", "definition", "lang", "term", "note",
)  # fmt: skip


# ---------------------------------------------------------------- identity of a term row
@lru_cache(maxsize=1 << 17)  # a merge asks for each row's key many times
def term_key(concept_id: str, lang: str, term: str) -> tuple[str, str, str]:
    """The identity of a term row: two rows with the same key are duplicates."""
    return (concept_id.strip(), lang.strip().lower(), match_key(term))


def key_of(t: TermEntry) -> tuple[str, str, str]:
    return term_key(t.concept_id, t.lang, t.term)


def exact_of(t: TermEntry) -> tuple[str, str, str]:
    return (t.concept_id, t.lang, t.term)


def label(t: TermEntry) -> str:
    return f"{t.concept_id} {t.lang}: {t.term}"


# ---------------------------------------------------------------- records in bulk
def records_of(make: type, names: Sequence[str], rows: Iterable[Sequence]) -> list:
    """Frozen records of class `make` from rows of values for the fields `names` (in that
    order); every other field takes its default.

    A frozen dataclass's __init__ sets each field through object.__setattr__, which was the
    larger part of building 10,000 records; filling each record's __dict__ at once gives the
    same records (equal, same fields) at less than half the cost. For records without
    __post_init__ and default factories, as those of glossary.models are.
    """
    if hasattr(make, "__post_init__"):  # it would be skipped
        raise TypeError(f"{make.__name__} has __post_init__; make its records one by one")
    defaults = {}
    for f in fields(make):
        if f.name not in names:
            if f.default is MISSING:
                raise TypeError(f"{make.__name__}: no value and no default for {f.name}")
            defaults[f.name] = f.default
    new, out = object.__new__, []
    for values in rows:
        record = new(make)
        state = record.__dict__
        state.update(defaults)
        state.update(zip(names, values))
        out.append(record)
    return out
