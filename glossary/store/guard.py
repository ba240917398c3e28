"""Bounded reading: a workbook (or xlsx concept list) is sized up before any parser sees it.

A small file can unpack to gigabytes (a zip bomb), or declare a cell in row 2,000,000,000
that a reader pads its rows up to. Each limit below is far above a real glossary: a
10,000-term terms.xlsx unpacks to about 14 MB and has 10,001 rows.
"""

from __future__ import annotations

import functools
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from glossary.errors import StoreError

MAX_UNPACKED_BYTES = 256 * 1024 * 1024  # all parts together, as the zip declares them
MAX_ROWS = 1_048_576  # Excel's own last row
MAX_CELLS = 5_000_000  # per sheet: rows x columns of the rectangle a reader would fill

# The r="A12" of cells and r="12" of rows (no other element of a sheet has an r attribute).
_ROW_NUMBER = re.compile(rb' r="[A-Za-z]*(\d+)"')
# In one pass: (column letters past Z, "") or ("", a row number from 100,000 on).
_LONG_OR_BIG = re.compile(rb' r="(?:([A-Za-z]{2,})\d|[A-Za-z]?(\d{6,}))')
_DIMENSION = re.compile(
    rb"<(?:\w+:)?dimension\b[^>]*?\bref=\"([A-Za-z]+)(\d+)(?::([A-Za-z]+)(\d+))?\""
)
MIN_CELL_BYTES = len(b"<c/>")  # so a sheet of n bytes holds at most n // 4 cells


@functools.cache
def _element(name: bytes) -> re.Pattern[bytes]:
    # The name comes first, so the search runs at the speed of finding its bytes (a formula's
    # "f" is rarer in a sheet than its "<"); the lookbehind then asks for a "<" or a namespace
    # prefix's ":" before it, and the tag must go on after it.
    return re.compile(re.escape(name) + rb"(?<=[<:]" + re.escape(name) + rb")[ \t\r\n/>]")


def _has(xml: bytes, element: bytes, start: int = 0, end: int | None = None) -> bool:
    """Whether xml[start:end] holds an element of this name (with or without a namespace
    prefix); one pass over the bytes."""
    return _element(element).search(xml, start, len(xml) if end is None else end) is not None


def _sheet_data(xml: bytes) -> tuple[int, int]:
    """Where the cells of a sheet are: from its <sheetData> to its </sheetData> (whole XML
    when there is none). Formulas live there; the dimension comes before, hyperlinks after."""
    start = xml.find(b"sheetData")
    end = xml.rfind(b"sheetData")
    if start == -1:
        return 0, len(xml)
    return start, max(end, start)


@dataclass(frozen=True)
class Scan:
    """What a workbook holds besides cell values, found while sizing it up."""

    formula_parts: frozenset[str]  # worksheet parts with a formula
    formula_sheets: frozenset[str]  # the names of their sheets
    hyperlink_parts: frozenset[str]
    comments: bool  # cell comments (notes) anywhere
    drawings: bool  # images, charts or shapes anywhere


class TooBig(StoreError):
    """The workbook is over one of the reading limits."""


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _cell_count(xml: bytes) -> int:
    return xml.count(b"<c ") + xml.count(b"<c>") + xml.count(b":c ") + xml.count(b":c>")


def _check_sheet(path: Path, sheet: str, xml: bytes, head: int) -> None:
    """Refuse a sheet whose rows, cells or declared size are over the limits.

    head: where its cells begin (the dimension is declared before); 0 when not known."""
    where = f"{path.name}, sheet {sheet}"
    # Up to column Z, only a row past 192,307 can make the rectangle too big, so only row
    # numbers of six digits and more need reading (most sheets have none); past Z, all do.
    found = _LONG_OR_BIG.findall(xml)
    last_col = max((_column_number(letters) for letters, _ in found if letters), default=26)
    if last_col > 26:
        last_row = max(map(int, _ROW_NUMBER.findall(xml)), default=0)
    else:
        last_row = max((int(number) for _, number in found), default=0)
    if last_row > MAX_ROWS:
        raise TooBig(f"{where}: row {last_row:,} is past the limit of {MAX_ROWS:,} rows; not read")
    # Counting cells is only needed where the sheet is big enough to hold too many.
    cells = len(xml) // MIN_CELL_BYTES  # at most
    if cells > MAX_CELLS or last_row * min(last_col, cells) > MAX_CELLS:
        cells = _cell_count(xml)
    if cells > MAX_CELLS:
        raise TooBig(f"{where}: {cells:,} cells is over the limit of {MAX_CELLS:,}; not read")
    if last_row * min(last_col, max(cells, 1)) > MAX_CELLS:
        raise TooBig(
            f"{where}: {last_row:,} rows x {last_col:,} columns is over the limit of "
            f"{MAX_CELLS:,} cells; not read"
        )
    m = _DIMENSION.search(xml, 0, head or len(xml))
    if m:
        end_col, end_row = (m.group(3), m.group(4)) if m.group(3) else (m.group(1), m.group(2))
        if _column_number(end_col) * int(end_row) > MAX_CELLS:
            raise TooBig(
                f"{where}: declares the size {m.group(0).decode(errors='replace')}, over the "
                f"limit of {MAX_CELLS:,} cells; not read"
            )


def scan(path: Path) -> Scan:
    """Size up every part of the workbook; raises TooBig (or zip errors) before any parsing."""
    formulas, links = set(), set()
    drawn = False  # a drawing part with something in it (LibreOffice writes empty ones)
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        unpacked = sum(i.file_size for i in infos)
        if unpacked > MAX_UNPACKED_BYTES:
            raise TooBig(
                f"{path}: unpacks to {unpacked / 2**20:,.0f} MiB, over the limit of "
                f"{MAX_UNPACKED_BYTES / 2**20:,.0f} MiB; not read"
            )
        names = [i.filename for i in infos]
        sheet_of = {part: sheet for sheet, part in _sheet_parts(z).items()}
        for name in names:
            if not name.endswith(".xml"):
                continue
            # zipfile stops at the declared size and checks the CRC: a lying header fails here.
            xml = z.read(name)
            if name.startswith("xl/drawings/") and b"Anchor" in xml:
                drawn = True
            if name.startswith("xl/worksheets/"):
                head, tail = _sheet_data(xml)
                _check_sheet(path, sheet_of.get(name, name), xml, head)
                if _has(xml, b"f", head, tail):
                    formulas.add(name)
                if _has(xml, b"hyperlink", tail):
                    links.add(name)
    return Scan(
        formula_parts=frozenset(formulas),
        formula_sheets=frozenset(sheet_of.get(n, n) for n in formulas),
        hyperlink_parts=frozenset(links),
        comments=any(n.startswith(("xl/comments", "xl/threadedComments")) for n in names),
        drawings=drawn or any(n.startswith(("xl/charts/", "xl/media/")) for n in names),
    )


# ---------------------------------------------------------------- reviewer formatting
_STYLED_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)" s="(\d+)"')
_COL = re.compile(rb"<(?:\w+:)?col\b([^>]*)>")
_ATTR = re.compile(rb'(\w+)="([^"]*)"')
_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "p": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def sheet_parts(path: Path) -> dict[str, str]:
    """Sheet name -> its worksheet part in the zip (e.g. "Terms" -> "xl/worksheets/sheet2.xml")."""
    with zipfile.ZipFile(path) as z:
        return _sheet_parts(z)


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    import posixpath
    import xml.etree.ElementTree as ET

    book = ET.fromstring(z.read("xl/workbook.xml"))
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target", "") for r in rels.findall("p:Relationship", _NS)}
    parts = {}
    for sheet in book.iterfind("m:sheets/m:sheet", _NS):
        t = target.get(sheet.get(f"{{{_NS['r']}}}id"), "")
        parts[sheet.get("name")] = t.lstrip("/") if t.startswith("/") else posixpath.join("xl", t)
    return parts


def _column_styles(xml: bytes) -> dict[int, bytes]:
    """Column number -> the style the sheet gives the whole column (<col style=...>)."""
    styles = {}
    for col in _COL.findall(xml):
        attrs = dict(_ATTR.findall(col))
        if b"style" in attrs and b"min" in attrs:
            for n in range(int(attrs[b"min"]), min(int(attrs.get(b"max", attrs[b"min"])), 200) + 1):
                styles[n] = attrs[b"style"]
    return styles


def hand_formatted(path: Path, parts: dict[str, int]) -> bool:
    """Whether a data cell in these sheets (part -> last data row) looks different from its
    column.

    The tool gives every cell of a column the column's one style, so another style on a cell
    means a reviewer coloured, emboldened or otherwise formatted it. Formatted empty cells
    below the data (LibreOffice leaves them) do not count.
    """
    with zipfile.ZipFile(path) as z:
        for part, last_row in parts.items():
            xml = z.read(part)
            styles = _letters(_column_styles(xml))
            for column, row, style in _STYLED_CELL.findall(xml):
                if 1 < int(row) <= last_row and styles.setdefault(column, style) != style:
                    return True
    return False


def _letters(by_number: dict[int, bytes]) -> dict[bytes, bytes]:
    from openpyxl.utils import get_column_letter

    return {get_column_letter(n).encode(): s for n, s in by_number.items()}
