"""terms.xlsx, the review store: load, validate, merge and atomically save the glossary workbook.

The workbook is the source of truth. Reviewers edit it in Excel or LibreOffice; `merge` folds
a fresh machine proposal into it without losing their work. A hidden sheet (`_machine`) remembers
what the machine last wrote for every proposed row, and a hidden `row_id` column ties each Terms
row to that memory, so a reviewer's correction of a still-"proposed" row is told apart from
machine output.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import datetime as dt
import hashlib
import io
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from glossary.errors import FormatError, StoreError, ValidationError
from glossary.models import (
    CONCEPT_STATUSES,
    KINDS,
    KNOWN_LANGS,
    TERM_STATUSES,
    ConceptEntry,
    ContextEntry,
    Glossary,
    TermEntry,
)

CONCEPTS, TERMS, CONTEXTS, ABOUT, MACHINE = "Concepts", "Terms", "Contexts", "About", "_machine"
REQUIRED_SHEETS = (CONCEPTS, TERMS, CONTEXTS)

CONCEPT_COLUMNS = ("concept_id", "vi", "en", "kind", "definition", "status", "note")
# "vi" is shown next to each term for the reviewer and ignored on load; "row_id" is hidden.
TERM_COLUMNS = (
    "concept_id", "vi", "lang", "term", "status", "confidence", "frequency", "documents",
    "context", "note", "source", "updated", "evidence", "row_id",
)  # fmt: skip
TERM_REQUIRED = tuple(c for c in TERM_COLUMNS if c not in ("vi", "row_id"))
CONTEXT_COLUMNS = ("concept_id", "lang", "term", "document", "position", "sentence")
MACHINE_COLUMNS = (
    "record", "id", "concept_id", "vi", "en", "kind", "definition", "lang", "term", "note",
)  # fmt: skip
# Fields of a proposed row or concept a reviewer may edit; everything else is machine evidence.
CONCEPT_EDITABLE = ("vi", "en", "kind", "definition", "note")
ABOUT_MARKER = "Run metadata"

BACKUPS_KEPT = 10
LOCK_TIMEOUT_S = float(os.environ.get("GLOSSARY_LOCK_TIMEOUT", "120"))
# Extra empty rows that keep the drop-downs working for rows a reviewer appends.
VALIDATION_SLACK = 500
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# ---------------------------------------------------------------- small helpers
def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _fold(term: str) -> str:
    """Matching form of a term: NFC, whitespace (NBSP too) collapsed, case folded."""
    return " ".join(_nfc(term).split()).casefold()


def term_key(concept_id: str, lang: str, term: str) -> tuple[str, str, str]:
    """The identity of a term row: two rows with the same key are duplicates."""
    return (concept_id.strip(), lang.strip().lower(), _fold(term))


def _key(t: TermEntry) -> tuple[str, str, str]:
    return term_key(t.concept_id, t.lang, t.term)


def _exact(t: TermEntry) -> tuple[str, str, str]:
    return (t.concept_id, t.lang, t.term)


def _row_id(key: tuple[str, str, str], taken: set[str]) -> str:
    digest = hashlib.sha1("\t".join(key).encode("utf-8")).hexdigest()
    rid, n = "t" + digest[:10], 1
    while rid in taken:
        n += 1
        rid = f"t{digest[:10]}-{n}"
    taken.add(rid)
    return rid


def _label(t: TermEntry) -> str:
    return f"{t.concept_id} {t.lang}: {t.term}"


def _concept_label(c: ConceptEntry) -> str:
    return f"concept {c.concept_id} ({c.vi or c.en or 'no vi'})"


def _col_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# ---------------------------------------------------------------- validation of records
@dataclass
class _Where:
    """Where each record sits in the workbook, for messages naming sheet, row and column."""

    concept_rows: list[int] = field(default_factory=list)
    term_rows: list[int] = field(default_factory=list)
    columns: dict[str, dict[str, int]] = field(default_factory=dict)

    def at(self, sheet: str, row: int, column: str | None = None) -> str:
        if column is None:
            return f"sheet {sheet}, row {row}"
        index = self.columns.get(sheet, {}).get(column)
        letter = _col_letter(index) if index is not None else "?"
        return f"sheet {sheet}, row {row}, column {letter} ({column})"


def _default_where(glossary: Glossary) -> _Where:
    """Positions as save() writes them: header in row 1, records from row 2 in list order."""
    return _Where(
        concept_rows=[i + 2 for i in range(len(glossary.concepts))],
        term_rows=[i + 2 for i in range(len(glossary.terms))],
        columns={
            CONCEPTS: {c: i for i, c in enumerate(CONCEPT_COLUMNS)},
            TERMS: {c: i for i, c in enumerate(TERM_COLUMNS)},
        },
    )


def _one_of(values: Iterable[str]) -> str:
    return ", ".join(values)


def check(glossary: Glossary, where: _Where | None = None) -> list[str]:
    """Every rule a glossary must keep (statuses, languages, kinds, empties, duplicates, links)."""
    where = where or _default_where(glossary)
    problems: list[str] = []
    first_concept: dict[str, int] = {}
    for c, row in zip(glossary.concepts, where.concept_rows, strict=True):
        if not c.concept_id.strip():
            problems.append(f"{where.at(CONCEPTS, row, 'concept_id')}: empty concept_id")
        elif c.concept_id in first_concept:
            problems.append(
                f"{where.at(CONCEPTS, row, 'concept_id')}: duplicate concept_id "
                f"{c.concept_id!r} (first in row {first_concept[c.concept_id]})"
            )
        else:
            first_concept[c.concept_id] = row
        if c.kind not in KINDS:
            problems.append(
                f"{where.at(CONCEPTS, row, 'kind')}: unknown kind {c.kind!r}; "
                f"use one of {_one_of(KINDS)}"
            )
        if c.status not in CONCEPT_STATUSES:
            problems.append(
                f"{where.at(CONCEPTS, row, 'status')}: unknown status {c.status!r}; "
                f"use one of {_one_of(CONCEPT_STATUSES)}"
            )
    first_term: dict[tuple[str, str, str], int] = {}
    for t, row in zip(glossary.terms, where.term_rows, strict=True):
        if not t.concept_id.strip():
            problems.append(f"{where.at(TERMS, row, 'concept_id')}: empty concept_id")
        elif t.concept_id not in first_concept:
            problems.append(
                f"{where.at(TERMS, row, 'concept_id')}: unknown concept {t.concept_id!r}; "
                "add it to the Concepts sheet or correct the id"
            )
        if t.lang not in KNOWN_LANGS:
            problems.append(
                f"{where.at(TERMS, row, 'lang')}: unknown language {t.lang!r}; "
                f"use one of {_one_of(KNOWN_LANGS)}"
            )
        if not t.term.strip():
            problems.append(f"{where.at(TERMS, row, 'term')}: empty term")
        if t.status not in TERM_STATUSES:
            problems.append(
                f"{where.at(TERMS, row, 'status')}: unknown status {t.status!r}; "
                f"use one of {_one_of(TERM_STATUSES)}"
            )
        if t.confidence is not None and not 0.0 <= t.confidence <= 1.0:
            problems.append(
                f"{where.at(TERMS, row, 'confidence')}: confidence {t.confidence} "
                "is not between 0 and 1"
            )
        if t.term.strip() and t.concept_id.strip():
            key = _key(t)
            if key in first_term:
                problems.append(
                    f"{where.at(TERMS, row)}: duplicate of row {first_term[key]} "
                    f"({t.concept_id}, {t.lang}, {t.term!r})"
                )
            else:
                first_term[key] = row
    return problems


# ---------------------------------------------------------------- reading
def _text(value: object) -> str:
    """A cell as text, the way a reviewer sees it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _nfc(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _code(value: object) -> str:
    """A cell holding a code (id, language, status, kind): trimmed, statuses case-insensitive."""
    return _text(value).strip(" \t\r\n")


class _Sheet:
    """One sheet's header map and data rows (blank rows skipped, sheet row numbers kept)."""

    def __init__(self, name: str, rows: list[tuple], problems: list[str], required: Iterable[str]):
        self.name = name
        header = rows[0] if rows else ()
        self.columns: dict[str, int] = {}
        for i, value in enumerate(header):
            name_ = _code(value).lower()
            if name_ and name_ not in self.columns:
                self.columns[name_] = i
        self.missing = [c for c in required if c not in self.columns]
        for c in self.missing:
            problems.append(f"sheet {name}, row 1: missing column {c!r} in the header row")
        self.rows = [
            (n, r)
            for n, r in enumerate(rows[1:], start=2)
            if any(v is not None and _text(v).strip() for v in r)
        ]

    def get(self, row: tuple, column: str) -> object:
        i = self.columns.get(column)
        return row[i] if i is not None and i < len(row) else None


def _number(sheet: _Sheet, n: int, row: tuple, column: str, problems: list[str], *, integer: bool):
    value = sheet.get(row, column)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        try:
            value = float(value.strip().replace(",", "."))
        except ValueError:
            value = None
    if isinstance(value, (int, float)) and (not integer or float(value).is_integer()):
        return int(value) if integer else float(value)
    kind = "a whole number" if integer else "a number"
    letter = _col_letter(sheet.columns[column])
    problems.append(
        f"sheet {sheet.name}, row {n}, column {letter} ({column}): "
        f"{_text(sheet.get(row, column))!r} is not {kind}"
    )
    return None


def _read_rows(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's cell values; raises StoreError for a file that is not a readable xlsx."""
    try:
        return _fast_rows(path)
    except Exception:  # noqa: BLE001 - let openpyxl have a go, and word the error
        pass
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - zip, XML and openpyxl errors all mean "unreadable"
        raise StoreError(_unreadable(path, exc)) from None
    try:
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}
    except Exception as exc:  # noqa: BLE001 - a sheet can be corrupt inside a valid zip
        raise StoreError(_unreadable(path, exc)) from None
    finally:
        wb.close()


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _fast_rows(path: Path) -> dict[str, list[tuple]]:
    """Cell values straight from the sheet XML: several times faster than openpyxl's reader.

    Reads what openpyxl and LibreOffice write (shared and inline strings, numbers, booleans,
    formulas as "=..." text). Anything unexpected raises, and the caller falls back to openpyxl.
    """
    import posixpath
    import xml.etree.ElementTree as ET
    import zipfile

    from openpyxl.utils.cell import column_index_from_string

    t_tag, r_tag, row_tag = _MAIN + "t", _MAIN + "r", _MAIN + "row"
    v_tag, f_tag, is_tag = _MAIN + "v", _MAIN + "f", _MAIN + "is"

    def text_of(node) -> str:
        # Plain <t>, or rich-text runs <r><t>; phonetic hints (<rPh>) are not cell text.
        parts = []
        for child in node:
            if child.tag == t_tag:
                parts.append(child.text or "")
            elif child.tag == r_tag:
                parts.extend(t.text or "" for t in child if t.tag == t_tag)
        return "".join(parts)

    with zipfile.ZipFile(path) as z:
        workbook = ET.fromstring(z.read("xl/workbook.xml"))
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        shared: list[str] = []
        if "xl/sharedStrings.xml" in z.namelist():
            shared = [text_of(si) for si in ET.fromstring(z.read("xl/sharedStrings.xml"))]
        sheets: dict[str, list[tuple]] = {}
        for sheet in workbook.iter(_MAIN + "sheet"):
            target = targets[sheet.get(_REL + "id")]
            member = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
            rows: list[tuple] = []
            with z.open(posixpath.normpath(member)) as fh:
                for _, row in ET.iterparse(fh):
                    if row.tag != row_tag:
                        continue
                    number = int(row.get("r") or len(rows) + 1)
                    while len(rows) < number - 1:
                        rows.append(())
                    values: list[object] = []
                    for c in row:
                        ref = c.get("r")
                        if ref:
                            index = column_index_from_string(ref.rstrip("0123456789")) - 1
                            values.extend([None] * (index - len(values)))
                        kind = c.get("t", "n")
                        v = f = inline = None
                        for child in c:
                            if child.tag == v_tag:
                                v = child.text
                            elif child.tag == f_tag:
                                f = child.text
                            elif child.tag == is_tag:
                                inline = child
                        value: object
                        if f:
                            value = "=" + f
                        elif kind == "inlineStr":
                            value = text_of(inline) if inline is not None else ""
                        elif v is None:
                            value = None
                        elif kind == "s":
                            value = shared[int(v)]
                        elif kind in ("str", "e"):
                            value = v
                        elif kind == "b":
                            value = v.strip() == "1"
                        elif kind == "n":
                            v = v.strip()
                            value = int(v) if v.lstrip("-").isdigit() else float(v)
                        else:
                            raise ValueError(f"cell type {kind!r}")
                        values.append(value)
                    rows.append(tuple(values))
                    row.clear()
            sheets[sheet.get("name")] = rows
    return sheets


def _unreadable(path: Path, exc: Exception) -> str:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    hint = ""
    backups = _backups(path)
    if backups:
        hint = f"; the last good version is {backups[-1]}"
    return f"{path}: not a readable xlsx workbook ({reason}){hint}"


def inspect(path: str | Path) -> tuple[Glossary | None, list[str]]:
    """Read a workbook and collect every problem: (glossary or None, problems)."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(
            f"{path}: no such glossary workbook (create one with `glossary align`, "
            "or pass the right file with --glossary)"
        )
    try:
        sheets = _read_rows(path)
    except StoreError as exc:
        return None, [str(exc)]
    problems: list[str] = []
    for name in REQUIRED_SHEETS:
        if name not in sheets:
            problems.append(f"{path.name}: missing sheet {name!r}")
    if problems:
        return None, problems

    where = _Where()
    concepts_sheet = _Sheet(CONCEPTS, sheets[CONCEPTS], problems, CONCEPT_COLUMNS)
    terms_sheet = _Sheet(TERMS, sheets[TERMS], problems, TERM_REQUIRED)
    contexts_sheet = _Sheet(CONTEXTS, sheets[CONTEXTS], problems, CONTEXT_COLUMNS)
    if problems:
        return None, problems
    where.columns = {CONCEPTS: concepts_sheet.columns, TERMS: terms_sheet.columns}

    glossary = Glossary()
    for n, row in concepts_sheet.rows:
        get = concepts_sheet.get
        glossary.concepts.append(
            ConceptEntry(
                concept_id=_code(get(row, "concept_id")),
                vi=_text(get(row, "vi")).strip(),
                en=_text(get(row, "en")).strip(),
                kind=_code(get(row, "kind")).lower(),
                definition=_text(get(row, "definition")),
                status=_code(get(row, "status")).lower(),
                note=_text(get(row, "note")),
            )
        )
        where.concept_rows.append(n)
    for n, row in terms_sheet.rows:
        get = terms_sheet.get
        frequency = _number(terms_sheet, n, row, "frequency", problems, integer=True)
        glossary.terms.append(
            TermEntry(
                concept_id=_code(get(row, "concept_id")),
                lang=_code(get(row, "lang")).lower(),
                term=_text(get(row, "term")).strip(" \t\r\n"),
                status=_code(get(row, "status")).lower(),
                confidence=_number(terms_sheet, n, row, "confidence", problems, integer=False),
                frequency=frequency or 0,
                documents=_text(get(row, "documents")),
                context=_text(get(row, "context")),
                note=_text(get(row, "note")),
                source=_text(get(row, "source")),
                updated=_text(get(row, "updated")),
                evidence=_text(get(row, "evidence")),
                row_id=_code(get(row, "row_id")),
            )
        )
        where.term_rows.append(n)
    for n, row in contexts_sheet.rows:
        get = contexts_sheet.get
        position = _number(contexts_sheet, n, row, "position", problems, integer=True)
        glossary.contexts.append(
            ContextEntry(
                concept_id=_code(get(row, "concept_id")),
                lang=_code(get(row, "lang")).lower(),
                term=_text(get(row, "term")).strip(" \t\r\n"),
                document=_text(get(row, "document")),
                position=position or 0,
                sentence=_text(get(row, "sentence")),
            )
        )
    glossary.about = _read_about(sheets.get(ABOUT, []))
    _attach_machine(glossary, sheets.get(MACHINE))
    problems.extend(check(glossary, where))
    return glossary, problems


def _read_about(rows: list[tuple]) -> dict[str, str]:
    about: dict[str, str] = {}
    inside = False
    for row in rows:
        first = _text(row[0]).strip() if row else ""
        if first == ABOUT_MARKER:
            inside = True
        elif inside and first:
            about[first] = _text(row[1]) if len(row) > 1 else ""
        elif inside and about:
            break
    return about


def _attach_machine(glossary: Glossary, rows: list[tuple] | None) -> None:
    """Tie each Terms row to the machine's memory of it; drop memory nobody refers to.

    Memory that is missing (a workbook written by another tool, or saved from a Glossary that
    did not carry `machine`) is rebuilt from the row as it stands, but with empty free text, so
    a note or definition already there counts as the reviewer's and is never overwritten.
    """
    memory: dict[str, ConceptEntry | TermEntry] = {}
    for row in (rows or [])[1:]:
        get = dict(zip(MACHINE_COLUMNS, (_text(v) for v in row), strict=False))
        record, ident = get.get("record", ""), get.get("id", "")
        if record == "concept" and ident:
            memory["concept:" + ident] = ConceptEntry(
                concept_id=ident,
                vi=get.get("vi", ""),
                en=get.get("en", ""),
                kind=get.get("kind", ""),
                definition=get.get("definition", ""),
                note=get.get("note", ""),
            )
        elif record == "term" and ident:
            memory["term:" + ident] = TermEntry(
                concept_id=get.get("concept_id", ""),
                lang=get.get("lang", ""),
                term=get.get("term", ""),
                note=get.get("note", ""),
                row_id=ident,
            )
    kept: dict[str, ConceptEntry | TermEntry] = {}
    taken: set[str] = set()
    for i, t in enumerate(glossary.terms):
        if not t.row_id:
            continue
        if t.row_id in taken:
            # A row a reviewer copied, id and all: the copy is the reviewer's.
            glossary.terms[i] = replace(t, row_id="")
            continue
        taken.add(t.row_id)
        last = memory.get("term:" + t.row_id)
        kept["term:" + t.row_id] = last or _term_memory(replace(t, note=""), t.row_id)
    # Rows without a row_id: a reviewer added them, unless the row_id column was lost (then an
    # unchanged proposed row is recognised by its key) or there never was a memory at all.
    unclaimed = {
        _exact(m): m for m in memory.values() if isinstance(m, TermEntry) and m.row_id not in taken
    }
    for i, t in enumerate(glossary.terms):
        if t.row_id or t.status != "proposed":
            continue
        m = unclaimed.pop(_exact(t), None)
        if m is None and rows is None:
            m = _term_memory(replace(t, note=""), _row_id(_key(t), taken))
        if m is not None:
            taken.add(m.row_id)
            glossary.terms[i] = replace(t, row_id=m.row_id)
            kept["term:" + m.row_id] = m
    for c in glossary.concepts:
        last = memory.get("concept:" + c.concept_id)
        if last is None and rows is None and c.status == "proposed":
            last = replace(c, definition="", note="")
        if last is not None:
            kept["concept:" + c.concept_id] = last
    glossary.machine = kept


def _term_memory(t: TermEntry, rid: str) -> TermEntry:
    return TermEntry(concept_id=t.concept_id, lang=t.lang, term=t.term, note=t.note, row_id=rid)


def load(path: str | Path) -> Glossary:
    """Read and validate terms.xlsx; raises StoreError (unreadable) or ValidationError (rules)."""
    glossary, problems = inspect(path)
    if glossary is None and len(problems) == 1 and "not a readable xlsx" in problems[0]:
        raise StoreError(problems[0])
    if problems or glossary is None:
        raise ValidationError(problems)
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


# ---------------------------------------------------------------- merge
@dataclass(frozen=True)
class MergeReport:
    """What a merge changed; each entry is a short human-readable line."""

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()  # machine and reviewer disagree; the reviewer's value was kept
    skipped: tuple[str, ...] = ()  # proposals not added: rejected by a reviewer, unknown concept
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
            "written": self.written,
            "backup": self.backup,
        }


def merge(existing: Glossary, proposal: Glossary) -> tuple[Glossary, MergeReport]:
    """Fold a fresh machine proposal into the reviewed glossary without losing reviewer work."""
    memory = dict(existing.machine)
    added: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    conflicts: list[str] = []
    skipped: list[str] = []

    # Concepts: ids are stable; reviewer-owned concepts and reviewer-edited cells are kept.
    concepts = list(existing.concepts)
    position = {c.concept_id: i for i, c in enumerate(concepts)}
    for c in _unique(proposal.concepts, lambda c: c.concept_id):
        machine_c = replace(c, status="proposed")
        i = position.get(c.concept_id)
        if i is None:
            position[c.concept_id] = len(concepts)
            concepts.append(c)
            memory["concept:" + c.concept_id] = machine_c
            added.append(_concept_label(c))
            continue
        current = concepts[i]
        last = memory.get("concept:" + c.concept_id)
        if current.status != "proposed" or not isinstance(last, ConceptEntry):
            unchanged.append(_concept_label(current))
            continue
        values = {}
        for name in CONCEPT_EDITABLE:
            mine, before, now = getattr(current, name), getattr(last, name), getattr(c, name)
            if mine != before:
                values[name] = mine
                if now not in (before, mine):
                    conflicts.append(
                        f"{_concept_label(current)} {name}: kept the reviewer's {mine!r}; "
                        f"the machine now suggests {now!r}"
                    )
            else:
                values[name] = now
        merged_c = replace(current, **values)
        memory["concept:" + c.concept_id] = machine_c
        if merged_c != current:
            concepts[i] = merged_c
            updated.append(_concept_label(merged_c))
        else:
            unchanged.append(_concept_label(current))
    status_of = {c.concept_id: c.status for c in concepts}

    # Terms: index rows by their key, and edited rows also by the key the machine gave them.
    terms = list(existing.terms)
    by_key: dict[tuple[str, str, str], int] = {}
    for i, t in enumerate(terms):
        by_key.setdefault(_key(t), i)
    by_origin: dict[tuple[str, str, str], int] = {}
    for i, t in enumerate(terms):
        last = memory.get("term:" + t.row_id) if t.row_id else None
        if isinstance(last, TermEntry) and _exact(last) != _exact(t):
            by_origin.setdefault(_key(last), i)
    taken = {t.row_id for t in terms if t.row_id}
    rekey: dict[tuple[str, str, str], TermEntry | None] = {}

    for p in _unique(proposal.terms, _key):
        k = _key(p)
        i = by_key.get(k, by_origin.get(k))
        if i is None:
            if p.concept_id not in status_of:
                skipped.append(f"{_label(p)}: unknown concept {p.concept_id!r}, not added")
                rekey[k] = None
            elif status_of[p.concept_id] == "rejected":
                skipped.append(f"{_label(p)}: concept {p.concept_id} is rejected, not added")
                rekey[k] = None
            else:
                rid = _row_id(k, taken)
                row = replace(p, row_id=rid)
                by_key[k] = len(terms)
                terms.append(row)
                memory["term:" + rid] = _term_memory(p, rid)
                added.append(_label(p))
                rekey[k] = row
            continue
        current = terms[i]
        rekey[k] = current
        last = memory.get("term:" + current.row_id) if current.row_id else None
        machine_row = (
            current.status == "proposed"
            and isinstance(last, TermEntry)
            and _exact(last) == _exact(current)
        )
        if not machine_row:
            if current.status == "rejected" and _key(current) == k:
                skipped.append(f"{_label(p)}: rejected by a reviewer, not proposed again")
            elif _key(current) != k:
                conflicts.append(
                    f"{_label(p)}: the machine proposes it again; a reviewer changed it to "
                    f"{_label(current)}, kept"
                )
            else:
                unchanged.append(_label(current))
            continue
        assert isinstance(last, TermEntry)
        note = current.note if current.note != last.note else p.note
        refreshed = replace(
            p,
            concept_id=current.concept_id,
            lang=current.lang,
            status="proposed",
            note=note,
            row_id=current.row_id,
        )
        memory["term:" + current.row_id] = _term_memory(p, current.row_id)
        if replace(refreshed, updated=current.updated) == current:
            unchanged.append(_label(current))  # same evidence: keep the old timestamp
        else:
            terms[i] = refreshed
            rekey[k] = refreshed
            updated.append(_label(refreshed))

    contexts = _merge_contexts(existing.contexts, proposal.contexts, rekey, terms)
    merged = Glossary(
        concepts=concepts,
        terms=terms,
        contexts=contexts,
        about={**existing.about, **proposal.about},
        machine=_live_memory(memory, concepts, terms),
    )
    report = MergeReport(
        added=tuple(added),
        updated=tuple(updated),
        unchanged=tuple(unchanged),
        conflicts=tuple(conflicts),
        skipped=tuple(skipped),
    )
    return merged, report


def _unique(items, key) -> Iterator:
    seen = set()
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            yield item


def _merge_contexts(
    old: list[ContextEntry],
    new: list[ContextEntry],
    rekey: dict[tuple[str, str, str], TermEntry | None],
    terms: list[TermEntry],
) -> list[ContextEntry]:
    """New examples replace a term's old ones; examples follow terms a reviewer moved."""
    fresh: list[ContextEntry] = []
    refreshed: set[tuple[str, str, str]] = set()
    for c in new:
        k = term_key(c.concept_id, c.lang, c.term)
        target = rekey.get(k, ...)
        if target is None:
            continue  # its proposal was not added
        if isinstance(target, TermEntry):
            c = replace(c, concept_id=target.concept_id, lang=target.lang, term=target.term)
        fresh.append(c)
        refreshed.add(term_key(c.concept_id, c.lang, c.term))
    live = {_key(t) for t in terms}
    result, seen = [], set()
    for c in [c for c in old if term_key(c.concept_id, c.lang, c.term) not in refreshed] + fresh:
        k = term_key(c.concept_id, c.lang, c.term)
        ident = (k, c.document, c.position)
        if k in live and ident not in seen:
            seen.add(ident)
            result.append(c)
    return result


def _live_memory(memory, concepts, terms) -> dict[str, ConceptEntry | TermEntry]:
    ids = {"concept:" + c.concept_id for c in concepts} | {
        "term:" + t.row_id for t in terms if t.row_id
    }
    return {k: v for k, v in memory.items() if k in ids}


# ---------------------------------------------------------------- writing
def _office_lock(path: Path) -> Path | None:
    """The lock file Excel or LibreOffice keeps beside a workbook it has open, if any."""
    for name in (f".~lock.{path.name}#", f"~${path.name}", f"~${path.name[2:]}"):
        candidate = path.with_name(name)
        if candidate.exists():
            return candidate
    return None


def refuse_if_open(path: str | Path, force: bool = False) -> None:
    """Raise StoreError if the workbook is open in Excel or LibreOffice (unless force)."""
    _refuse_if_open(Path(path), force)


def _refuse_if_open(path: Path, force: bool) -> None:
    lock = _office_lock(path)
    if lock is None or force:
        return
    app = "LibreOffice" if lock.name.startswith(".~lock.") else "Excel"
    who = ""
    if app == "LibreOffice":
        with contextlib.suppress(OSError):
            owner = lock.read_text(encoding="utf-8", errors="replace").split(",")[1].strip()
            who = f" by {owner}" if owner else ""
    raise StoreError(
        f"{path} is open in {app}{who} (lock file {lock.name}); save and close it there first, "
        "or pass --force to write anyway (if it is not open, delete the lock file)"
    )


def _state_dir(path: Path) -> Path:
    return path.parent / ".glossary"


_LOCKS: dict[str, object] = {}


@contextlib.contextmanager
def locked(path: str | Path) -> Iterator[None]:
    """Hold the workbook's writer lock, e.g. across your own load-modify-save (re-entrant)."""
    import filelock

    path = Path(path)
    state = _state_dir(path)
    try:
        state.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{path}: cannot create {state} for the lock: {exc}") from None
    lock_file = str((state / f"{path.name}.lock").resolve())
    # One FileLock object per file, so nested use in this process re-enters instead of waiting.
    lock = _LOCKS.setdefault(lock_file, filelock.FileLock(lock_file, timeout=LOCK_TIMEOUT_S))
    try:
        lock.acquire()
    except filelock.Timeout:
        raise StoreError(
            f"{path}: another glossary process has been writing it for over {LOCK_TIMEOUT_S:.0f} s "
            f"(lock {lock_file}); wait for it to finish"
        ) from None
    try:
        yield
    finally:
        lock.release()


_writer_lock = locked


def _backups(path: Path) -> list[Path]:
    folder = _state_dir(path) / "backups"
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{path.stem}-*{path.suffix}"))


def _backup(path: Path) -> Path | None:
    """Keep the current file under .glossary/backups (a hard link when possible: no copy)."""
    if not path.exists():
        return None
    folder = _state_dir(path) / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    target = folder / f"{path.stem}-{stamp}{path.suffix}"
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{path.stem}-{stamp}-{n}{path.suffix}"
    try:
        os.link(path, target)
    except OSError:
        import shutil

        tmp = target.with_name(target.name + ".tmp")
        shutil.copy2(path, tmp)
        os.replace(tmp, target)
    for old in _backups(path)[:-BACKUPS_KEPT]:
        with contextlib.suppress(OSError):
            old.unlink()
    return target


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_locked(glossary: Glossary, path: Path) -> Path | None:
    """Write atomically (tmp file, fsync, os.replace); the caller holds the writer lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # We hold the lock, so any temporary file left here is from a writer that died.
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    data = to_bytes(glossary)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        backup = _backup(path)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise StoreError(f"{path}: cannot write the workbook: {exc}") from None
    _fsync_dir(path.parent)
    return backup


def save(glossary: Glossary, path: str | Path, *, force: bool = False) -> Path | None:
    """Validate and write the workbook atomically; returns the backup of the previous version."""
    path = Path(path)
    problems = check(glossary)
    if problems:
        raise ValidationError(problems)
    with _writer_lock(path):
        _refuse_if_open(path, force)
        return _write_locked(glossary, path)


def update(
    path: str | Path, proposal: Glossary, *, dry_run: bool = False, force: bool = False
) -> MergeReport:
    """Merge a machine proposal into the workbook on disk (locked read-merge-write)."""
    path = Path(path)
    if dry_run:
        existing = load(path) if path.exists() else Glossary()
        return merge(existing, proposal)[1]
    with _writer_lock(path):
        _refuse_if_open(path, force)
        existing = load(path) if path.exists() else Glossary()
        merged, report = merge(existing, proposal)
        problems = check(merged)
        if problems:
            raise ValidationError(problems)
        backup = _write_locked(merged, path)
    return replace(report, written=True, backup=str(backup) if backup else None)


# ---------------------------------------------------------------- workbook layout
ABOUT_TEXT = (
    ("How to review", ""),
    (
        "Terms sheet",
        "One row per term in one language for one concept. Synonyms are several rows with the "
        "same concept_id. The grey vi column repeats the concept's Vietnamese term for reading; "
        "it is filled in by the tool.",
    ),
    (
        "Decide",
        "Set status with the drop-down. Rows you set to anything but 'proposed' are yours: the "
        "tool never changes, deletes or re-scores them.",
    ),
    (
        "Correct",
        "Fix a misspelt term, or move a term to another concept by changing its concept_id. The "
        "tool keeps your version and does not propose the old one again.",
    ),
    ("Annotate", "Write in note (Terms and Concepts) and in definition/en; your text is kept."),
    (
        "Reject, don't delete",
        "To get rid of a wrong proposal set status to 'rejected': it is never proposed again for "
        "that concept. A deleted row may come back on the next run.",
    ),
    (
        "Add",
        "Add missing terms or concepts as new rows. Concepts you add become keys for the next "
        "alignment.",
    ),
    (
        "Machine columns",
        "confidence, frequency, documents, context, source, updated and evidence are filled by "
        "the tool and refreshed on each run while a row is 'proposed'. The Contexts sheet is "
        "regenerated on each run. Do not edit the hidden row_id column.",
    ),
    (
        "Before a run",
        "Save and close the workbook before running `glossary align`. "
        "`glossary validate terms.xlsx` checks your edits. Earlier versions are kept in "
        ".glossary/backups/.",
    ),
    ("", ""),
    ("Term status", ""),
    ("proposed", "machine suggestion, not reviewed yet"),
    ("preferred", "the term to use for this concept in this language"),
    ("admitted", "an acceptable synonym"),
    ("deprecated", "known but do not use (shown struck through)"),
    ("rejected", "not an equivalent of this concept; never proposed again (shown grey)"),
    ("", ""),
    ("Concept status", ""),
    ("proposed", "created by the tool, not reviewed yet"),
    ("approved", "a real concept; keep"),
    ("rejected", "not a useful concept; no new terms are added to it"),
    ("", ""),
    ("Concept kind", ", ".join(KINDS)),
    ("", ""),
)

_WIDTHS = {
    CONCEPTS: dict(
        concept_id=14, vi=32, en=32, kind=13, definition=50, status=11, note=40
    ),  # fmt: skip
    TERMS: dict(
        concept_id=14,
        vi=26,
        lang=7,
        term=32,
        status=12,
        confidence=11,
        frequency=10,
        documents=28,
        context=60,
        note=36,
        source=24,
        updated=20,
        evidence=40,
        row_id=14,
    ),  # fmt: skip
    CONTEXTS: dict(concept_id=14, lang=7, term=30, document=30, position=10, sentence=90),
}
_WRAPPED = {"definition", "note", "context", "evidence", "sentence"}


def _clean(value: str) -> str:
    # XML cannot hold most control characters; xlsx files with them do not open.
    return _ILLEGAL_XML.sub(" ", value) if _ILLEGAL_XML.search(value) else value


class _Styles:
    def __init__(self) -> None:
        from openpyxl.styles import Alignment, Font, PatternFill

        self.header_font = Font(bold=True)
        self.header_fill = PatternFill("solid", start_color="DDE4EE")
        self.header_align = Alignment(vertical="top", wrap_text=False)
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.top = Alignment(vertical="top")
        self.derived = Font(italic=True, color="808080")
        self.title = Font(bold=True, size=14)
        self.bold = Font(bold=True)
        self._templates: dict[str, object] = {}

    def of(self, ws, column: str):
        """The style of a data column's cells, worked out once (styling each cell is slow)."""
        from openpyxl.cell import WriteOnlyCell

        if column not in self._templates:
            cell = WriteOnlyCell(ws)
            cell.alignment = self.wrap if column in _WRAPPED else self.top
            if column == "vi":
                cell.font = self.derived
            elif column == "confidence":
                cell.number_format = "0.00"
            self._templates[column] = cell._style
        return self._templates[column]


def _cell(ws, value, styles: _Styles, column: str | None = None):
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str):
        cell = WriteOnlyCell(ws, value=_clean(value))
        # Plain text, always: a term such as "=SUM(A1)" must never become a formula.
        cell.data_type = "s"
    else:
        cell = WriteOnlyCell(ws, value=value)
    if column is not None:
        cell._style = copy.copy(styles.of(ws, column))
    return cell


def _table_sheet(wb, name: str, columns, rows: Iterable[tuple], count: int, styles: _Styles):
    """A data sheet with a bold frozen header, filter, widths and wrapped long text."""
    ws = wb.create_sheet(name)
    ws.freeze_panes = "A2"
    for i, column in enumerate(columns):
        ws.column_dimensions[_col_letter(i)].width = _WIDTHS.get(name, {}).get(column, 14)
    last = _col_letter(len(columns) - 1)
    ws.auto_filter.ref = f"A1:{last}{count + 1}"
    header = []
    for column in columns:
        cell = _cell(ws, column, styles)
        cell.font, cell.fill, cell.alignment = (
            styles.header_font,
            styles.header_fill,
            styles.header_align,
        )
        header.append(cell)
    return (
        ws,
        header,
        [(_cell(ws, v, styles, c) for c, v in zip(columns, r, strict=True)) for r in rows],
    )


def _list_validation(ws, values: Iterable[str], ref: str, what: str):
    from openpyxl.worksheet.datavalidation import DataValidation

    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(values) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=f"Unknown {what}",
        error=f"Pick a {what} from the list.",
    )
    dv.add(ref)
    ws.data_validations.append(dv)


def to_bytes(glossary: Glossary) -> bytes:
    """The workbook as xlsx bytes (deterministic for the same glossary)."""
    from openpyxl import Workbook
    from openpyxl.formatting.rule import ColorScaleRule, FormulaRule
    from openpyxl.styles import Font, PatternFill

    styles = _Styles()
    wb = Workbook(write_only=True)
    wb.properties.creator = "glossary"
    # A fixed timestamp keeps the same glossary byte-identical across saves.
    wb.properties.created = wb.properties.modified = dt.datetime(2000, 1, 1)

    n = len(glossary.concepts)
    ws, header, rows = _table_sheet(
        wb,
        CONCEPTS,
        CONCEPT_COLUMNS,
        (
            (c.concept_id, c.vi, c.en, c.kind, c.definition, c.status, c.note)
            for c in glossary.concepts
        ),
        n,
        styles,
    )
    end = n + 1 + VALIDATION_SLACK
    _list_validation(ws, KINDS, f"D2:D{end}", "kind")
    _list_validation(ws, CONCEPT_STATUSES, f"F2:F{end}", "status")
    ws.append(header)
    for row in rows:
        ws.append(list(row))

    vi_of = {c.concept_id: c.vi for c in glossary.concepts}
    n = len(glossary.terms)
    ws, header, rows = _table_sheet(
        wb,
        TERMS,
        TERM_COLUMNS,
        (
            (
                t.concept_id,
                vi_of.get(t.concept_id, ""),
                t.lang,
                t.term,
                t.status,
                t.confidence,
                t.frequency,
                t.documents,
                t.context,
                t.note,
                t.source,
                t.updated,
                t.evidence,
                t.row_id,
            )  # fmt: skip
            for t in glossary.terms
        ),
        n,
        styles,
    )
    ws.column_dimensions["N"].hidden = True
    end = n + 1 + VALIDATION_SLACK
    _list_validation(ws, KNOWN_LANGS, f"C2:C{end}", "language")
    _list_validation(ws, TERM_STATUSES, f"E2:E{end}", "status")
    ws.conditional_formatting.add(
        f"F2:F{end}",
        ColorScaleRule(
            start_type="num",
            start_value=0,
            start_color="F8696B",
            mid_type="num",
            mid_value=0.5,
            mid_color="FFEB84",
            end_type="num",
            end_value=1,
            end_color="63BE7B",
        ),  # fmt: skip
    )
    ws.conditional_formatting.add(
        f"A2:M{end}",
        FormulaRule(
            formula=['$E2="deprecated"'],
            font=Font(strike=True, color="9C0006"),
            fill=PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE"),
        ),
    )
    ws.conditional_formatting.add(
        f"A2:M{end}", FormulaRule(formula=['$E2="rejected"'], font=Font(color="A6A6A6"))
    )
    ws.append(header)
    for row in rows:
        ws.append(list(row))

    ws, header, rows = _table_sheet(
        wb,
        CONTEXTS,
        CONTEXT_COLUMNS,
        (
            (c.concept_id, c.lang, c.term, c.document, c.position, c.sentence)
            for c in glossary.contexts
        ),
        len(glossary.contexts),
        styles,
    )
    ws.append(header)
    for row in rows:
        ws.append(list(row))

    ws = wb.create_sheet(ABOUT)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 100
    title = _cell(ws, "Glossary review workbook (terms.xlsx)", styles)
    title.font = styles.title
    ws.append([title])
    ws.append([_cell(ws, "", styles)])
    for key, text in ABOUT_TEXT:
        a = _cell(ws, key, styles)
        if not text:
            a.font = styles.bold
        ws.append([a, _cell(ws, text, styles, "note")])
    marker = _cell(ws, ABOUT_MARKER, styles)
    marker.font = styles.bold
    ws.append(
        [marker, _cell(ws, "(which corpus and model produced the current proposals)", styles)]
    )
    for key, value in glossary.about.items():
        ws.append([_cell(ws, str(key), styles), _cell(ws, str(value), styles, "note")])

    ws = wb.create_sheet(MACHINE)
    ws.sheet_state = "hidden"
    ws.append(list(MACHINE_COLUMNS))
    # In sheet order, so the same glossary always gives the same workbook.
    keys = ["concept:" + c.concept_id for c in glossary.concepts]
    keys += ["term:" + t.row_id for t in glossary.terms if t.row_id]
    for key in dict.fromkeys(keys):
        m = glossary.machine.get(key)
        if isinstance(m, ConceptEntry) and key == "concept:" + m.concept_id:
            values = (
                "concept", m.concept_id, m.concept_id, m.vi, m.en, m.kind, m.definition,
                "", "", m.note,
            )  # fmt: skip
        elif isinstance(m, TermEntry) and key == "term:" + m.row_id:
            values = ("term", m.row_id, m.concept_id, "", "", "", "", m.lang, m.term, m.note)
        else:
            continue
        ws.append([_cell(ws, v, styles) for v in values])

    wb.active = 1  # open on Terms, where the review happens
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- concept lists (--concepts FILE)
CONCEPT_LIST_COLUMNS = ("concept_id", "vi", "en", "kind", "definition")


def load_concept_list(path: str | Path) -> list[ConceptEntry]:
    """Read a concept list (CSV, TSV or XLSX: concept_id, vi[, en, kind, definition])."""
    path = Path(path)
    if not path.is_file():
        raise FormatError(f"{path}: no such concept list")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            sheets = _read_rows(path)
        except StoreError as exc:
            raise FormatError(str(exc)) from None
        rows = sheets.get(CONCEPTS) or next(iter(sheets.values()), [])
    else:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise FormatError(f"{path}: not UTF-8 text; save it as UTF-8 CSV") from None
        if suffix in (".tsv", ".tab"):
            delimiter = "\t"
        else:
            first = text.split("\n", 1)[0]
            delimiter = max((",", ";", "\t"), key=first.count)
        rows = [tuple(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]
    problems: list[str] = []
    if not rows:
        raise FormatError(f"{path}: empty concept list; the header needs concept_id and vi")
    header = {}
    for i, value in enumerate(rows[0]):
        header.setdefault(_code(value).lower(), i)
    missing = [c for c in ("concept_id", "vi") if c not in header]
    if missing:
        raise FormatError(
            f"{path}, row 1: missing column(s) {', '.join(missing)}; the header needs "
            f"concept_id, vi and optionally en, kind, definition"
        )

    def get(row: tuple, column: str) -> str:
        i = header.get(column)
        return _text(row[i]).strip() if i is not None and i < len(row) else ""

    concepts: list[ConceptEntry] = []
    first: dict[str, int] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(_text(v).strip() for v in row):
            continue
        cid, vi, en = get(row, "concept_id"), get(row, "vi"), get(row, "en")
        kind = get(row, "kind").lower() or "term"
        where = f"{path.name}, row {n}"
        if not cid:
            problems.append(f"{where}: empty concept_id")
        elif cid in first:
            problems.append(f"{where}: duplicate concept_id {cid!r} (first in row {first[cid]})")
        else:
            first[cid] = n
        if not vi and not en:
            problems.append(f"{where}: empty vi (give vi, or en when the Vietnamese is unknown)")
        if kind not in KINDS:
            problems.append(f"{where}: unknown kind {kind!r}; use one of {_one_of(KINDS)}")
        concepts.append(
            ConceptEntry(concept_id=cid, vi=vi, en=en, kind=kind, definition=get(row, "definition"))
        )
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise FormatError(problems[0] + more)
    return concepts
