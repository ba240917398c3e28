"""Tabular formats: the long CSV that scoring reads, wide CSV/TSV, the OmegaT glossary, and JSON."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict, fields

from glossary.errors import FormatError, GlossaryError
from glossary.formats.base import Termbase, given_fields, target_langs, terms_by_concept
from glossary.models import TERM_STATUSES, ConceptEntry, ContextEntry, Glossary, TermEntry
from glossary.text import SOURCE_LANG, normalize_lang

LONG_COLUMNS = ("concept_id", "vi", "en", "kind", "lang", "term", "status", "confidence")
STATUS_LABEL = {"proposed": "unverified"}  # what translators see for a machine proposal
BOM = "\ufeff"  # memoQ and Excel read a CSV as UTF-8 only with it
DELIMITERS = (",", "\t", ";")  # read: the one the header line has most of
NOT_LANGS = ("concept_id", "vi", "en", "kind", "definition", "notes", "note")  # no term columns
# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...)); OWASP's
# advice on CSV injection is to put a single quote before it, which the spreadsheet hides.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL = 32_767  # characters in one spreadsheet cell (Excel, LibreOffice)


def safe_cell(value: object) -> object:
    """A cell a spreadsheet shows as text: ' before a leading = + - @, tab or CR."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unquote_cell(value: str) -> str:
    """A cell as it was before `safe_cell`."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_STARTS) else value


class _Writer:
    """csv.writer whose rows pass through safe_cell unless raw."""

    def __init__(self, buf, raw: bool, **options):
        self.writer = csv.writer(buf, **options)
        self.raw = raw

    def writerow(self, row) -> None:
        self.writer.writerow(row if self.raw else [safe_cell(c) for c in row])


# ---------------------------------------------------------------- writing
def to_csv_long(glossary: Glossary, raw: bool = False) -> str:
    """One row per (concept, language, term): the form ../shared/eval/score.py reads.

    Cells are formula-safe (see `safe_cell`) unless raw."""
    buf = io.StringIO()
    writer = _Writer(buf, raw, lineterminator="\n")
    writer.writerow(LONG_COLUMNS)
    concepts = {c.concept_id: c for c in glossary.concepts}
    for cid, terms in terms_by_concept(glossary).items():
        c = concepts.get(cid, ConceptEntry(cid))
        for t in terms:
            confidence = "" if t.confidence is None else f"{t.confidence:g}"
            writer.writerow((cid, c.vi, c.en, c.kind, t.lang, t.term, t.status, confidence))
    return buf.getvalue()


def to_wide(glossary: Glossary, delimiter: str = ",", raw: bool = False) -> str:
    """One row per concept for memoQ and Trados: one term per cell, a status after each term.

    Cells are formula-safe (see `safe_cell`) unless raw.

    The layout follows what the vendors' importers expect of a termbase spreadsheet:
    - memoQ, "Importing terminology from a CSV or tab-delimited file" (memoQ Help, docs.memoq.com,
      Termbase import settings): the first row holds headers, each column is mapped to a language
      or to a field, several columns may map to one language (each becomes a synonym), UTF-8
      with a BOM is read as Unicode.
    - Trados, "Glossary Converter" and MultiTerm Convert "Spreadsheet (Excel/CSV)" (RWS docs,
      docs.rws.com, MultiTerm Convert): language columns are recognised by a language code in the
      header, a repeated language header gives synonyms of one entry, other headers become
      descriptive fields.
    So: language codes as headers (vi, en, then the target languages), a term's variants in
    repeated columns of that language instead of joined with ";", a "<lang> status" column after
    each term (preferred, admitted, deprecated = do not use, unverified = a machine proposal), a UTF-8 BOM.
    """
    by_concept = terms_by_concept(glossary)
    width = {lang: 1 for lang in target_langs(glossary)}
    for terms in by_concept.values():
        for lang in width:
            width[lang] = max(width[lang], sum(t.lang == lang for t in terms))
    header = ["concept_id", SOURCE_LANG, "en"]
    for lang, n in width.items():
        header += [lang, f"{lang} status"] * n
    buf = io.StringIO()
    writer = _Writer(buf, raw, delimiter=delimiter, lineterminator="\n")
    writer.writerow([*header, "definition", "note"])
    for c in glossary.concepts:
        row = [c.concept_id, c.vi, c.en]
        terms = by_concept.get(c.concept_id, [])
        for lang, n in width.items():
            cells = [
                (t.term, STATUS_LABEL.get(t.status, t.status)) for t in terms if t.lang == lang
            ]
            row += [x for cell in cells + [("", "")] * (n - len(cells)) for x in cell]
        writer.writerow([*row, c.definition, c.note])
    return BOM + buf.getvalue()


def to_omegat(glossary: Glossary, source: str, target: str) -> str:
    """OmegaT glossary: source<TAB>target<TAB>comment, one row per usable target term."""
    by_concept = terms_by_concept(glossary)
    rows = []
    for c in glossary.concepts:
        terms = by_concept.get(c.concept_id, [])
        sources = [t.term for t in terms if t.lang == source and t.status != "deprecated"]
        if source == SOURCE_LANG:
            sources = [c.vi, *sources]
        elif source == "en":  # the English gloss stands in for an English term
            sources = [c.en, *sources]
        avoid = [t.term for t in terms if t.lang == target and t.status == "deprecated"]
        for src in filter(None, sources):
            for t in terms:
                if t.lang != target or t.status == "deprecated":
                    continue
                comment = [STATUS_LABEL.get(t.status, t.status), c.kind]
                if c.en and source != "en":
                    comment.append(c.en)
                if avoid:
                    comment.append("do not use: " + ", ".join(avoid))
                rows.append("\t".join(_one_line(x) for x in (src, t.term, "; ".join(comment))))
    return "".join(row + "\n" for row in rows)


def _one_line(text: str) -> str:
    return re.sub(r"[\t\r\n]+", " ", text).strip()


def to_json(glossary: Glossary) -> str:
    """The whole structure: concepts with their terms and contexts, and the run metadata."""
    by_concept = terms_by_concept(glossary)
    contexts: dict[str, list[ContextEntry]] = {}
    for x in glossary.contexts:
        contexts.setdefault(x.concept_id, []).append(x)
    concepts = []
    for c in glossary.concepts:
        item = asdict(c)
        item["terms"] = [_term_dict(t) for t in by_concept.get(c.concept_id, [])]
        item["contexts"] = [asdict(x) for x in contexts.get(c.concept_id, [])]
        concepts.append(item)
    data = {"about": glossary.about, "concepts": concepts}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _term_dict(t: TermEntry) -> dict:
    return {f.name: getattr(t, f.name) for f in fields(t) if f.name != "row_id"}


# ---------------------------------------------------------------- reading
Row = list[tuple[str, str]]  # (header, cell) in column order; a header may repeat


def _rows(data: bytes, name: str) -> tuple[list[str], list[Row]]:
    """Header (lower case) and rows (stripped strings) of a CSV or TSV, delimiter detected."""
    import pandas as pd

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{name}: not UTF-8 (byte {exc.start}); save it as UTF-8 CSV") from None
    first = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first.count)
    try:  # header=None: repeated headers (a language's variants) stay as they are
        frame = pd.read_csv(
            io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, header=None
        )
    except pd.errors.ParserError as exc:
        raise FormatError(_parser_problem(name, str(exc))) from None
    except pd.errors.EmptyDataError:
        raise FormatError(f"{name}: unreadable CSV (no data)") from None
    cells = [[unquote_cell(c).strip() for c in row] for row in frame.fillna("").values.tolist()]
    check_cells(cells, name)
    header = [h.lower() for h in cells[0]] if cells else []
    if len(cells) < 2 or "concept_id" not in header:
        raise FormatError(f"{name}: needs a header row with a concept_id column")
    return header, [list(zip(header, row)) for row in cells[1:]]


def _parser_problem(name: str, message: str) -> str:
    """pandas' complaint as one line that says which line and what to do."""
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if m:
        want, line, got = m.groups()
        return (
            f"{name}: line {line} has {got} cells but the header has {want}; quote cells that "
            "hold the delimiter, or add the missing header"
        )
    reason = message.strip().splitlines()[0] if message.strip() else "no data"
    return f"{name}: unreadable CSV ({reason})"


def check_cells(rows: list[list[str]], name: str) -> None:
    """Raise FormatError for a cell longer than a spreadsheet cell can hold."""
    for line, row in enumerate(rows, start=1):
        for column, cell in enumerate(row, start=1):
            if len(cell) > MAX_CELL:
                raise FormatError(
                    f"{name}: line {line}, column {column} holds {len(cell):,} characters; a "
                    f"spreadsheet cell holds at most {MAX_CELL:,} (is a quote mark unclosed?)"
                )


def read_csv(data: bytes, name: str = "CSV") -> Termbase:
    """Parse a long (concept_id, lang, term, ...) or wide (concept_id, vi, <lang>...) CSV/TSV."""
    header, rows = _rows(data, name)
    base = Termbase()
    long = "lang" in header and "term" in header
    seen_langs: set[tuple[str, str]] = set()
    for line, row in enumerate(rows, start=2):
        first = dict(reversed(row))  # the first cell of each header
        cid = first.get("concept_id", "")
        if not cid:
            raise FormatError(f"{name}: line {line} has no concept_id")
        if cid not in base.concept_fields:
            _read_concept(first, base, with_note=not long)
        cells = [(first["lang"], first["term"], first.get("status", ""))] if long else _wide(row)
        for column, term, status in cells:
            if not term:
                continue
            lang = _lang(column, name, line)
            status = {v: k for k, v in STATUS_LABEL.items()}.get(status.lower(), status.lower())
            if status and status not in TERM_STATUSES:
                raise FormatError(f"{name}: line {line}: unknown status {status!r}")
            entry = TermEntry(
                cid,
                lang,
                term,
                status or ("admitted" if (cid, lang) in seen_langs else "preferred"),
                _confidence(first.get("confidence", ""), name, line),
                note=_note(first) if long else "",
                source=f"import {name}",
                updated=base.read_at,
            )
            seen_langs.add((cid, lang))
            base.glossary.terms.append(entry)
            defaulted = ["source", "updated", "frequency"] + ([] if status else ["status"])
            base.term_fields[(cid, lang, term)] = given_fields(entry, defaulted)
    return base


def _note(first: dict[str, str]) -> str:
    return first.get("note") or first.get("notes", "")


def _read_concept(first: dict[str, str], base: Termbase, with_note: bool) -> None:
    """The concept of a row. In a long file (one term per row) a note belongs to the term."""
    concept = ConceptEntry(
        first["concept_id"],
        vi=first.get(SOURCE_LANG, ""),
        en=first.get("en", ""),
        kind=first.get("kind") or "term",
        definition=first.get("definition", ""),
        status="approved",
        note=_note(first) if with_note else "",
    )
    base.glossary.concepts.append(concept)
    defaulted = ["status"] + ([] if first.get("kind") else ["kind"])
    base.concept_fields[concept.concept_id] = given_fields(concept, defaulted)


def _wide(row: Row) -> list[tuple[str, str, str]]:
    """(language, term, status) of each term cell; a "<lang> status" column follows its term."""
    found = []
    for k, (head, cell) in enumerate(row):
        if head in NOT_LANGS or head.endswith(" status"):
            continue
        following = row[k + 1] if k + 1 < len(row) else ("", "")
        found.append((head, cell, following[1] if following[0] == f"{head} status" else ""))
    return found


def _lang(code: str, name: str, line: int) -> str:
    if not code:
        raise FormatError(f"{name}: line {line} has no lang")
    try:
        return normalize_lang(code, f"{name}: line {line}: language") or ""
    except GlossaryError as exc:
        raise FormatError(str(exc)) from None


def _confidence(value: str, name: str, line: int) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        raise FormatError(f"{name}: line {line}: confidence {value!r} is not a number") from None
