"""Reading terms.xlsx: cell values with python-calamine, then records by the column tables.

calamine reads cell values several times faster than openpyxl's read-only mode and gives
formulas' cached values, not the formulas. A sheet whose XML holds a formula is therefore read
again with openpyxl, so that a formula shows as its "=..." text, as a reviewer typed it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import operator
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

from glossary.errors import StoreError, UsageError, first_line
from glossary.models import ConceptEntry, ContextEntry, Glossary, TermEntry
from glossary.store import memory as mem
from glossary.store.files import backups
from glossary.store.guard import Scan, TooBig, scan
from glossary.store.rules import Where, problems
from glossary.store.schema import (
    ABOUT,
    ABOUT_MARKER,
    CONCEPT_SHEET,
    CONTEXT_SHEET,
    MACHINE,
    MACHINE_COLUMNS,
    REQUIRED_SHEETS,
    TERM_SHEET,
    TOOL_SHEETS,
    Formula,
    SheetSpec,
    letter,
    records_of,
)
from glossary.text import nfc, normalize_lang

Rows = list[Sequence]  # a sheet's rows from row 1: lists (calamine) or tuples


# ---------------------------------------------------------------- cell values
def unreadable(path: Path, exc: Exception) -> str:
    """One line saying the file is not a workbook, and where the last good version is."""
    reason = first_line(exc, 1000)
    earlier = backups(path)
    hint = f"; the last good version is {earlier[-1]}" if earlier else ""
    return f"{path}: not a readable xlsx workbook ({reason}){hint}"


def _with_formulas(path: Path, members: frozenset[str], sheets: dict[str, Rows], only) -> None:
    """Replace the rows of sheets with formulas by openpyxl's, which show them as "=..." text
    (only the sheets named in `only`, unless it is None)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=False)
    try:
        for ws in wb.worksheets:
            if ws._worksheet_path.lstrip("/") in members and (only is None or ws.title in only):
                sheets[ws.title] = [
                    tuple(Formula(c.value) if c.data_type == "f" else c.value for c in row)
                    for row in ws.iter_rows()
                ]
    finally:
        wb.close()


def read_workbook(path: Path, only: frozenset[str] | None = None) -> tuple[dict[str, Rows], Scan]:
    """Every sheet's cell values from row 1, and what else the file holds.

    only: the sheets whose values are wanted; every other sheet is listed with no rows (a
    reviewer's own sheet can be large, and nothing but its name is needed to keep it).
    Raises TooBig for a file over the reading limits and StoreError for one that is no xlsx.
    """
    from python_calamine import CalamineWorkbook

    try:
        found = scan(path)
        wb = CalamineWorkbook.from_path(str(path))
        try:
            # calamine's rows are lists; they are kept as they come (a tuple of each is a copy
            # of some 400,000 cells at 10,000 terms, for nothing).
            sheets = {
                name: wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
                if only is None or name in only
                else []
                for name in wb.sheet_names
            }
        finally:
            wb.close()
        if found.formula_parts:
            _with_formulas(path, found.formula_parts, sheets, only)
    except TooBig:
        raise
    except Exception as exc:  # noqa: BLE001 - zip, XML and reader errors all mean "unreadable"
        raise StoreError(unreadable(path, exc)) from None
    return sheets, found


def read_sheets(path: Path) -> dict[str, Rows]:
    """Every sheet's cell values from row 1 (see read_workbook)."""
    return read_workbook(path)[0]


def text(value: object) -> str:
    """A cell as text, the way a reviewer sees it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def code(value: object) -> str:
    """A cell holding a code (id, language, status, kind): trimmed."""
    return text(value).strip(" \t\r\n")


def _lang(value: object) -> str:
    return _lang_code(code(value).lower())


@functools.lru_cache(maxsize=1024)
def _lang_code(raw: str) -> str:
    try:
        return normalize_lang(raw) or raw
    except UsageError:  # kept as written, and reported by the rules
        return raw


def _number(value: object, integer: bool) -> int | float | None:
    """The cell's number; None when empty; raises ValueError when it is not one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        value = float(value.strip().replace(",", "."))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(value)
    if integer and not float(value).is_integer():
        raise ValueError(value)
    return int(value) if integer else float(value)


_READ = {
    "text": text,
    "strip": lambda v: text(v).strip(),
    "code": code,
    "lower": lambda v: code(v).lower(),
    "lang": _lang,
}


class _Slow(Exception):
    """A column the quick readers leave to Sheet.values (a number written as text, say)."""


_NFC = functools.partial(unicodedata.normalize, "NFC")
_TRIM = operator.methodcaller("strip", " \t\r\n")


def _texts(raw: list) -> list[str]:
    """A column's cells as text (see `text`); a column of strings goes at C speed."""
    if set(map(type, raw)) <= {str}:
        return list(map(_NFC, raw))
    return list(map(text, raw))


def _numbers(raw: list, integer: bool) -> list:
    """A column's numbers (None or 0 where empty); raises _Slow for anything else."""
    kinds = set(map(type, raw))
    if str in kinds:  # calamine gives "" for an empty cell
        raw = [None if v.__class__ is str and not v.strip() else v for v in raw]
        kinds = set(map(type, raw))
    if not kinds <= {float, int, type(None)}:
        raise _Slow
    if not integer:
        return raw if kinds <= {float} else [None if v is None else float(v) for v in raw]
    if kinds <= {float}:
        if not all(map(float.is_integer, raw)):
            raise _Slow
        return list(map(int, raw))
    if not all(v.is_integer() for v in raw if v.__class__ is float):
        raise _Slow
    return [0 if v is None else int(v) for v in raw]


def _quick_column(read: str, raw: list) -> list:
    """One column of a sheet without formulas, read as the column table says."""
    if read in ("int", "float"):
        return _numbers(raw, read == "int")
    values = _texts(raw)
    if read == "text":
        return values
    if read == "strip":
        return list(map(str.strip, values))
    values = list(map(_TRIM, values))
    if read == "code":
        return values
    values = list(map(str.lower, values))
    if read == "lang":
        codes = {v: _lang_code(v) for v in set(values)}
        return list(map(codes.__getitem__, values))
    return values


# ---------------------------------------------------------------- sheets into records
def _filled(row: tuple) -> bool:
    """Whether a row holds anything but blanks."""
    return any(v is not None and v != "" and (not isinstance(v, str) or v.strip()) for v in row)


class Sheet:
    """One sheet's header map and data rows (blank rows skipped, sheet row numbers kept)."""

    def __init__(self, spec: SheetSpec, rows: Rows, found: list[str], formulas: bool = True):
        self.spec = spec
        header = rows[0] if rows else ()
        self.columns: dict[str, int] = {}
        for i, value in enumerate(header):
            name = code(value).lower()
            if name and name not in self.columns:
                self.columns[name] = i
        for c in spec.required:
            if c not in self.columns:
                found.append(f"sheet {spec.name}, row 1: missing column {c!r} in the header row")
        # Most rows start with a concept id; only the others need a closer look.
        self.rows = [
            (n, r)
            for n, r in enumerate(rows[1:], start=2)
            if r and (r[0].__class__ is str and r[0].strip() or _filled(r))
        ]
        self._fields = [(c, self.columns.get(c.name)) for c in spec.fields]
        self._formulas = formulas  # False: the sheet holds none, so cells need no check

    def records(self, make, found: list[str]) -> list:
        """Every data row as a record made by `make` from its fields."""
        if not self._formulas:
            try:
                columns = self._quick_columns()
            except _Slow:  # a number written as text, or not a number: the careful way
                pass
            else:
                return records_of(make, [c.name for c, _ in self._fields], zip(*columns))
        return [make(**self.values(n, r, found)) for n, r in self.rows]

    def _quick_columns(self) -> list[list]:
        """Every field's column, read a whole column at a time; raises _Slow."""
        data = [r for _, r in self.rows]
        width = max((i for _, i in self._fields if i is not None), default=-1) + 1
        if data and min(map(len, data)) < width:
            data = [(*r, *[None] * (width - len(r))) for r in data]
        return [
            _quick_column(
                c.read, [None] * len(data) if i is None else list(map(itemgetter(i), data))
            )
            for c, i in self._fields
        ]

    def values(self, n: int, row: tuple, found: list[str]) -> dict[str, object]:
        """The record fields of one row, by the column table; bad numbers are reported."""
        values: dict[str, object] = {}
        for column, i in self._fields:
            raw = row[i] if i is not None and i < len(row) else None
            if isinstance(raw, Formula):
                found.append(
                    f"sheet {self.spec.name}, row {n}, column {letter(i)} ({column.name}): "
                    f"a formula ({raw[:40]}); the tool's columns hold plain values, so type the "
                    "value, or keep the formula in a column of your own"
                )
            if column.read not in ("int", "float"):
                values[column.name] = _READ[column.read](raw)
                continue
            integer = column.read == "int"
            try:
                number = _number(raw, integer)
            except ValueError:
                kind = "a whole number" if integer else "a number"
                found.append(
                    f"sheet {self.spec.name}, row {n}, column {letter(self.columns[column.name])} "
                    f"({column.name}): {text(raw)!r} is not {kind}"
                )
                number = None
            values[column.name] = number if number is not None or not integer else 0
        return values


def _read_about(rows: Rows) -> dict[str, str]:
    about: dict[str, str] = {}
    inside = False
    for row in rows:
        first = text(row[0]).strip() if row else ""
        if first == ABOUT_MARKER:
            inside = True
        elif inside and first:
            about[first] = text(row[1]) if len(row) > 1 else ""
        elif inside and about:
            break
    return about


def _read_memory(rows: Rows | None) -> mem.Memory | None:
    if rows is None:
        return None
    width = len(MACHINE_COLUMNS)
    body = [(*r, *[None] * (width - len(r))) if len(r) < width else r for r in rows[1:]]
    columns = [_texts(list(map(itemgetter(i), body))) for i in range(width)] if body else []
    return mem.read_memory(zip(*columns))


@dataclass
class Reading:
    """One read of a workbook: the glossary, its problems, and what it holds besides."""

    glossary: Glossary | None
    problems: list[str]
    where: Where | None = None  # the sheet row of each concept and term
    sheets: dict[str, Rows] = field(default_factory=dict)  # every sheet's raw values
    scan: Scan | None = None


def glossary_of(
    path: Path, sheets: dict[str, Rows], formula_sheets: frozenset[str] | None = None
) -> Reading:
    """The glossary in the sheets, with every problem found.

    formula_sheets: the sheets that hold a formula (None: not known, so every cell is checked).
    """
    found = [f"{path.name}: missing sheet {n!r}" for n in REQUIRED_SHEETS if n not in sheets]
    if found:
        return Reading(None, found)

    def sheet(spec: SheetSpec) -> Sheet:
        formulas = formula_sheets is None or spec.name in formula_sheets
        return Sheet(spec, sheets[spec.name], found, formulas)

    concepts, terms, contexts = sheet(CONCEPT_SHEET), sheet(TERM_SHEET), sheet(CONTEXT_SHEET)
    if found:
        return Reading(None, found)
    where = Where(
        concept_rows=[n for n, _ in concepts.rows],
        term_rows=[n for n, _ in terms.rows],
        columns={CONCEPT_SHEET.name: concepts.columns, TERM_SHEET.name: terms.columns},
    )
    glossary = Glossary(
        concepts=concepts.records(ConceptEntry, found),
        terms=terms.records(TermEntry, found),
        contexts=contexts.records(ContextEntry, found),
        about=_read_about(sheets.get(ABOUT, [])),
    )
    mem.attach(glossary, _read_memory(sheets.get(MACHINE)))
    found.extend(problems(glossary, where))
    return Reading(glossary, found, where, sheets)


def read(path: str | Path) -> Reading:
    """Read a workbook once, collecting every problem. Raises StoreError if it is missing and
    TooBig if it is over the reading limits; an unreadable file is one problem."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(
            f"{path}: no such glossary workbook (create one with `glossary align`, "
            "or pass the right file with --glossary)"
        )
    with _no_collection():
        try:
            sheets, found = read_workbook(path, TOOL_SHEETS)
        except TooBig:
            raise
        except StoreError as exc:
            return Reading(None, [str(exc)])
        reading = glossary_of(path, sheets, found.formula_sheets)
    reading.scan = found
    return reading


@contextlib.contextmanager
def _no_collection():
    """Pause the garbage collector: a read makes millions of objects and frees none of them,
    so the collections it would trigger only cost time (a fifth of a 100,000-term read)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def inspect(path: str | Path) -> tuple[Glossary | None, list[str]]:
    """Read a workbook and collect every problem: (glossary or None, problems)."""
    reading = read(path)
    return reading.glossary, reading.problems
