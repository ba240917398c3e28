"""Concept lists (`--concepts FILE`): CSV, TSV or XLSX with concept_id, vi[, en, kind, definition].

The concepts in such a list key the alignment. Files are read with pandas, everything as text.
"""

from __future__ import annotations

import csv
from pathlib import Path

from glossary.errors import FormatError, StoreError
from glossary.formats.tabular import check_cells
from glossary.models import KINDS, ConceptEntry
from glossary.text import nfc

CONCEPT_LIST_COLUMNS = ("concept_id", "vi", "en", "kind", "definition")
_REQUIRED = ("concept_id", "vi")


def _delimiter(path: Path, first_line: str) -> str:
    if path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    try:
        return csv.Sniffer().sniff(first_line, delimiters=",;\t").delimiter
    except csv.Error:  # one column, or nothing to tell by
        return ","


def _rows(path: Path) -> list[list[str]]:
    """The file's rows, header first, every cell as text ("" when empty), blank rows kept."""
    import pandas as pd

    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from glossary.store.reader import read_sheets, text

        try:
            sheets = read_sheets(path)
        except StoreError as exc:
            raise FormatError(str(exc)) from None
        rows = sheets.get("Concepts") or next(iter(sheets.values()), [])
        return [[text(v) for v in row] for row in rows]
    # pandas' python engine uses the csv module, whose 128 KiB field limit would end the read
    # with a bare csv.Error; long cells are reported below, by the spreadsheet's own limit.
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 26))
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            first = fh.readline()
        frame = pd.read_csv(
            path,
            sep=_delimiter(path, first),
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            encoding="utf-8-sig",
            engine="python",
        )
    except UnicodeDecodeError:
        raise FormatError(f"{path}: not UTF-8 text; save it as UTF-8 CSV") from None
    except pd.errors.EmptyDataError:
        return []
    except (pd.errors.ParserError, ValueError) as exc:
        raise FormatError(f"{path}: not a readable CSV/TSV file ({exc})") from None
    rows = [[_cell(v) for v in row] for row in frame.itertuples(index=False)]
    check_cells(rows, str(path))
    return rows


def _cell(value: object) -> str:
    return nfc(value) if isinstance(value, str) else ""  # pandas gives NaN for a blank line


def load_concept_list(path: str | Path) -> list[ConceptEntry]:
    """Read a concept list (CSV, TSV or XLSX: concept_id, vi[, en, kind, definition])."""
    path = Path(path)
    if not path.is_file():
        raise FormatError(f"{path}: no such concept list")
    rows = _rows(path)
    if not rows:
        raise FormatError(f"{path}: empty concept list; the header needs concept_id and vi")
    header: dict[str, int] = {}
    for i, value in enumerate(rows[0]):
        header.setdefault(str(value).strip().lower(), i)
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise FormatError(
            f"{path}, row 1: missing column(s) {', '.join(missing)}; the header needs "
            f"concept_id, vi and optionally en, kind, definition"
        )
    concepts: list[ConceptEntry] = []
    problems: list[str] = []
    first: dict[str, int] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(str(v).strip() for v in row):
            continue
        get = {
            c: row[header[c]].strip() if header.get(c, len(row)) < len(row) else ""
            for c in CONCEPT_LIST_COLUMNS
        }
        cid, kind = get["concept_id"], get["kind"].lower() or "term"
        where = f"{path.name}, row {n}"
        if not cid:
            problems.append(f"{where}: empty concept_id")
        elif cid in first:
            problems.append(f"{where}: duplicate concept_id {cid!r} (first in row {first[cid]})")
        else:
            first[cid] = n
        if not get["vi"] and not get["en"]:
            problems.append(f"{where}: empty vi (give vi, or en when the Vietnamese is unknown)")
        if kind not in KINDS:
            problems.append(f"{where}: unknown kind {kind!r}; use one of {', '.join(KINDS)}")
        concepts.append(
            ConceptEntry(cid, vi=get["vi"], en=get["en"], kind=kind, definition=get["definition"])
        )
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise FormatError(problems[0] + more)
    return concepts
