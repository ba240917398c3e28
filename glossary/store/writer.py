"""The workbook layout, written fresh with xlsxwriter: data sheets drawn from the column
tables (and the reviewer's own columns), the About sheet, and the hidden memory.

xlsxwriter writes a 10,000-term workbook about four times faster than openpyxl's write-only
mode (docs/benchmarks.md). It cannot edit a workbook, so a workbook holding what a fresh
write would lose (added sheets, comments, hand formatting) is patched instead (patch.py).

xlsxwriter writes everything but the data rows: styles, widths, drop-downs, conditional
formats, filters, print setup, the About sheet. The data rows (some 300,000 cells at 10,000
terms) go into the sheets' XML straight from the records, their texts into the shared string
table: through xlsxwriter's per-cell calls they took two thirds of a save.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from dataclasses import dataclass, field

from glossary.models import Glossary
from glossary.store.about import ABOUT_TITLE, about_cells
from glossary.store.memory import memory_rows
from glossary.store.schema import (
    ABOUT,
    CONCEPTS,
    CONTEXTS,
    MACHINE,
    MACHINE_COLUMNS,
    SHEETS,
    TERMS,
    VALIDATION_SLACK,
    Column,
    Formula,
    SheetSpec,
    letter,
)

_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# What a cell's text needs escaped in the sheet XML: markup, and text that Excel would read as
# one of its _xHHHH_ escapes.
_NEEDS_ESCAPE = re.compile(r"[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_LOOKS_ESCAPED = re.compile(r"(_x[0-9a-fA-F]{4}_)")
MAX_TEXT = 32_767  # the most characters a cell holds
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
LINE_HEIGHT = 15.0  # points per line of 11-point text
MAX_LINES = 8  # a wrapped row grows up to this many lines; the rest shows in the edit bar
COMPRESS_LEVEL = 1
HEADER_COLOR, KEY_COLOR = "#DDE4EE", "#1F3864"


@dataclass(frozen=True)
class Extras:
    """The reviewer's own columns of a data sheet, carried over by header name."""

    header: tuple[str, ...]  # every column as the reviewer ordered them
    rows: tuple[dict[str, object], ...] = field(default=())  # per existing row: column -> value


def clean(value: str) -> str:
    # XML cannot hold most control characters; xlsx files with them do not open.
    return _ILLEGAL_XML.sub(" ", value) if _ILLEGAL_XML.search(value) else value


def sheet_rows(glossary: Glossary) -> dict[str, list[tuple]]:
    """The data sheets' rows, each a tuple in its sheet's column order."""
    vi_of = {c.concept_id: c.vi for c in glossary.concepts}
    shown = {"vi": lambda t: vi_of.get(t.concept_id, "")}  # Terms' reading-only column
    records = {CONCEPTS: glossary.concepts, TERMS: glossary.terms, CONTEXTS: glossary.contexts}
    return {
        spec.name: [
            tuple(getattr(r, c.name) if c.field else shown[c.name](r) for c in spec.columns)
            for r in records[spec.name]
        ]
        for spec in SHEETS
    }


def fitted_width(header: str, values, cap: float) -> float:
    """A width that shows the header and the longest value, at most `cap`."""
    longest = len(header) + 3
    for v in values:
        if isinstance(v, str):
            if len(v) >= longest:
                longest = len(v) + 1
        elif isinstance(v, (int, float)):
            longest = max(longest, 6)
        if longest >= cap:
            return float(cap)
    return float(max(6, longest))


def lines_needed(text: str, width: float) -> int:
    """Lines a wrapped cell of this width needs for the text (a close estimate)."""
    per_line = max(1.0, width * 1.1)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))


class _Formats:
    """xlsxwriter formats, one per look."""

    def __init__(self, wb) -> None:
        self.header = wb.add_format({"bold": True, "bg_color": HEADER_COLOR, "valign": "top"})
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.bold = wb.add_format({"bold": True})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.date = wb.add_format({"num_format": "yyyy-mm-dd", "valign": "top"})
        self._wb, self._of = wb, {}

    def of(self, column: Column | None):
        """The look of a data column's cells; None: a reviewer's own column."""
        if column is None:
            key = None
            spec = {"valign": "top"}
        else:
            key = (column.wrap, column.key, column.number_format)
            spec = {"valign": "top", "text_wrap": column.wrap}
            if column.key:
                spec.update(bold=True, font_color=KEY_COLOR)
            if column.number_format:
                spec["num_format"] = column.number_format
        if key not in self._of:
            self._of[key] = self._wb.add_format(spec)
        return self._of[key]

    def font(self, color: str, strike: bool, fill: str | None):
        spec = {"font_color": "#" + color, "font_strikeout": strike}
        if fill:
            spec["bg_color"] = "#" + fill
        return self._wb.add_format(spec)


def write_value(ws, row: int, col: int, value, fmt, formats: _Formats) -> None:
    """One cell: text always as text (a term "=SUM(A1)" never becomes a formula)."""
    if value is None or value == "":
        return
    if isinstance(value, Formula):
        ws.write_formula(row, col, value, fmt)
    elif isinstance(value, str):
        ws.write_string(row, col, clean(value), fmt)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, fmt)
    elif isinstance(value, (dt.datetime, dt.date)):
        ws.write_datetime(row, col, value, formats.date)
    else:
        ws.write_string(row, col, clean(str(value)), fmt)


def _formats_for(ws, spec: SheetSpec, place: dict[str, int], count: int, formats) -> None:
    """Drop-downs, colour scales and row rules, down to some rows past the end."""
    end = count + VALIDATION_SLACK  # 0-based last row
    last_shown = max(
        i for n, i in place.items() if n not in spec.names or not spec.column(n).hidden
    )
    for column in spec.columns:
        i = place[column.name]
        if column.choices:
            ws.data_validation(
                1, i, end, i,
                {
                    "validate": "list", "source": list(column.choices),
                    "error_title": f"Unknown {column.what}",
                    "error_message": f"Pick a {column.what} from the list.",
                },
            )  # fmt: skip
        if column.color_scale:
            ws.conditional_format(
                1, i, end, i,
                {
                    "type": "3_color_scale",
                    "min_type": "num", "min_value": 0, "min_color": "#F8696B",
                    "mid_type": "num", "mid_value": 0.5, "mid_color": "#FFEB84",
                    "max_type": "num", "max_value": 1, "max_color": "#63BE7B",
                },
            )  # fmt: skip
    from xlsxwriter.utility import xl_col_to_name

    for rule in spec.row_rules:
        ws.conditional_format(
            1, 0, end, last_shown,
            {
                "type": "formula",
                "criteria": f'=${xl_col_to_name(place[rule.column])}2="{rule.value}"',
                "format": formats.font(rule.font_color, rule.strike, rule.fill_color),
            },
        )  # fmt: skip


def literal_text(value: str) -> str:
    """Cleaned text with Excel's own escapes, so that a reader gives back exactly this text: a
    literal "_x0041_" is written "_x005F_x0041_", a carriage return "_x000D_"."""
    return _LOOKS_ESCAPED.sub(r"_x005F\1", clean(value)).replace("\r", "_x000D_")


def _xml_text(value: str) -> str:
    """Text as the content of a sheet XML element (escaped, cleaned, at most MAX_TEXT long)."""
    if len(value) > MAX_TEXT:
        value = value[:MAX_TEXT]
    if _NEEDS_ESCAPE.search(value):
        value = literal_text(value)
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


def cell_xml(
    ref: str, style: str, value, strings: SharedStrings | None = None, date_style: str = ""
) -> str:
    """One cell of the sheet XML, "" for an empty one; styles are ' s="N"' or ""; text goes
    to the shared strings, or inline where there are none."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        if isinstance(value, Formula):
            return f'<c r="{ref}"{style}><f>{_xml_text(value[1:])}</f><v>0</v></c>'
        t = _xml_text(value)
        if strings is None:
            return f'<c r="{ref}"{style} t="inlineStr"><is>{_t_element(t)}</is></c>'
        return f'<c r="{ref}"{style} t="s"><v>{strings.index(t)}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)) and math.isfinite(value):
        return f'<c r="{ref}"{style}><v>{value:.16G}</v></c>'
    if isinstance(value, (dt.datetime, dt.date)):
        moment = value if isinstance(value, dt.datetime) else dt.datetime(*value.timetuple()[:3])
        days = (moment.replace(tzinfo=None) - EXCEL_EPOCH).total_seconds() / 86400
        return f'<c r="{ref}"{date_style or style}><v>{days:.16G}</v></c>'
    return cell_xml(ref, style, str(value), strings, date_style)


def _t_element(t: str) -> str:
    """The <t> element of escaped text, keeping its outer spaces."""
    space = ' xml:space="preserve"' if t[0].isspace() or t[-1].isspace() else ""
    return f"<t{space}>{t}</t>"


class SharedStrings:
    """A workbook's shared string table: the entries xlsxwriter wrote (headers, About) and
    the data rows' texts added after them.

    Data cells refer to their text by number, as Excel and LibreOffice write them; a sheet of
    references is half the XML of one with the text inline, so reading it back (sizing it up,
    then parsing it) takes less, and each repeated text (a status, a language) is stored once.
    """

    _OPENING = re.compile(rb'<sst\b[^>]*?\bcount="(\d+)" uniqueCount="(\d+)"[^>]*>')
    _PLAIN = re.compile(rb'<si><t(?: xml:space="preserve")?>([^<]*)</t></si>')

    def __init__(self, xml: bytes, opening: re.Match[bytes]) -> None:
        self._xml, self._opening = xml, opening
        self._refs, self._first = int(opening.group(1)), int(opening.group(2))
        plain = self._PLAIN.findall(xml)
        # The table's own texts are found again by the data cells, unless some are not plain.
        self._index: dict[str, int] = (
            {t.decode("utf-8"): i for i, t in enumerate(plain)} if len(plain) == self._first else {}
        )
        self._added: list[str] = []

    @classmethod
    def of(cls, xml: bytes) -> SharedStrings | None:
        """The table in this part; None when its opening is not the form xlsxwriter writes."""
        opening = cls._OPENING.search(xml)
        return cls(xml, opening) if opening else None

    def index(self, t: str) -> int:
        """The number of this (escaped) text in the table, added if new."""
        self._refs += 1
        i = self._index.get(t)
        if i is None:
            i = self._index[t] = self._first + len(self._added)
            self._added.append(t)
        return i

    def xml(self) -> bytes:
        """The table's part: the counts updated, the added entries after the first ones."""
        xml, m = self._xml, self._opening
        body, end = xml[m.end() :].rsplit(b"</sst>", 1)
        added = "".join(f"<si>{_t_element(t)}</si>" for t in self._added).encode("utf-8")
        return b"".join(
            (
                xml[: m.start(1)],
                str(self._refs).encode(),
                xml[m.end(1) : m.start(2)],
                str(self._first + len(self._added)).encode(),
                xml[m.end(2) : m.end()],
                body,
                added,
                b"</sst>",
                end,
            )
        )


def _style(fmt) -> str:
    # The format's index in styles.xml; asking for it is what makes xlsxwriter write it.
    return f' s="{fmt._get_xf_index()}"' if fmt is not None else ""


def rows_xml(
    letters: list[str],
    styles: list[str],
    rows,
    strings: SharedStrings | None = None,
    heights=None,
    date_style="",
) -> str:
    """Sheet XML of data rows from row 2 on: each row's values in column order, text in the
    shared strings (inline where there are none)."""
    heights = heights or {}
    if strings is None:
        text_cell, close = [f'{style} t="inlineStr"><is><t>' for style in styles], "</t></is></c>"
    else:
        text_cell, close = [f'{style} t="s"><v>' for style in styles], "</v></c>"
    out = []
    for n, row in enumerate(rows, start=2):
        # Most rows hold plain text only: checked at once, their texts are shared as they are.
        plain = not _NEEDS_ESCAPE.search("\n".join([v for v in row if v.__class__ is str]))
        cells = []
        for col, style, opening, value in zip(letters, styles, text_cell, row, strict=False):
            if (
                value.__class__ is str
                and plain
                and value
                and len(value) <= MAX_TEXT
                and value.strip() == value
            ):
                text = value if strings is None else strings.index(value)
                cells.append(f'<c r="{col}{n}"{opening}{text}{close}')
                continue
            if value is not None and value != "":
                cells.append(cell_xml(f"{col}{n}", style, value, strings, date_style))
        height = heights.get(n)
        tall = f' ht="{height:.16g}" customHeight="1"' if height else ""
        out.append(f'<row r="{n}"{tall}>{"".join(cells)}</row>')
    return "".join(out)


@dataclass
class SheetRows:
    """The data rows of one sheet, to go into its part once the shared strings are known."""

    part: str
    letters: list[str]
    styles: list[str]
    rows: list[tuple]
    heights: dict[int, float] = field(default_factory=dict)
    date_style: str = ""

    @property
    def last(self) -> str:
        return f"{self.letters[-1]}{len(self.rows) + 1}"

    def xml(self, strings: SharedStrings | None) -> str:
        return rows_xml(
            self.letters, self.styles, self.rows, strings, self.heights, self.date_style
        )


def _data_sheet(wb, spec: SheetSpec, rows: list[tuple], extras: Extras | None, formats):
    """A data sheet: bold frozen header, filter, fitted widths, wrapped text with row heights.

    Returns its data rows, which go into the sheet XML after xlsxwriter wrote the rest.
    """
    ws = wb.add_worksheet(spec.name)
    header = list(extras.header) if extras else list(spec.names)
    header += [n for n in spec.names if n not in header]
    place = {n: i for i, n in enumerate(header)}
    own_rows = extras.rows if extras else ()
    columns = {c.name: c for c in spec.columns}
    for name in header:
        i, column = place[name], columns.get(name)
        if column is not None:
            values = (r[spec.names.index(name)] for r in rows)
            width = fitted_width(name, values, column.width)
        else:
            width = fitted_width(name, (r.get(name) for r in own_rows), 40)
        fmt = formats.of(column)
        ws.set_column(i, i, width, fmt, {"hidden": bool(column and column.hidden)})
        ws.write_string(0, i, name, formats.header)
    heights = {}
    wrapped = [(spec.names.index(c.name), c.width) for c in spec.columns if c.wrap]
    for n, row in enumerate(rows, start=2):
        lines = 1
        for index, width in wrapped:
            if isinstance(row[index], str) and row[index]:
                lines = max(lines, lines_needed(row[index], width))
        if lines > 1:
            heights[n] = LINE_HEIGHT * min(lines, MAX_LINES)
    if header != list(spec.names) or own_rows:
        # The reviewer's order of columns, with their own columns' values.
        index = {name: i for i, name in enumerate(spec.names)}
        rows = [
            tuple(row[index[name]] if name in index else own.get(name) for name in header)
            for row, own in zip(rows, [*own_rows, *[{}] * (len(rows) - len(own_rows))])
        ]
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, len(rows), len(header) - 1)
    _formats_for(ws, spec, place, len(rows), formats)
    _print_setup(ws)
    letters = [letter(i) for i in range(len(header))]
    styles = [_style(formats.of(columns.get(name))) for name in header]
    return SheetRows(_part(ws), letters, styles, rows, heights, _style(formats.date))


def _part(ws) -> str:
    return f"xl/worksheets/sheet{ws.index + 1}.xml"


_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')
_SHARED_STRINGS = "xl/sharedStrings.xml"


def with_rows(xlsx: bytes, sheets: list[SheetRows]) -> bytes:
    """The workbook with each sheet's data rows put after its header row, their texts in its
    shared string table (xlsxwriter writes one) or inline where it has none (openpyxl 3.1)."""
    by_part = {s.part: s for s in sheets}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as dst,
    ):
        shared = _SHARED_STRINGS in src.namelist()
        strings = SharedStrings.of(src.read(_SHARED_STRINGS)) if shared else None
        xml = {s.part: s.xml(strings).encode("utf-8") for s in sheets}
        for info in src.infolist():
            data = src.read(info)
            sheet = by_part.get(info.filename)
            if sheet is not None:
                head, tail = data.rsplit(b"</sheetData>", 1)
                head = _DIMENSION.sub(f'<dimension ref="A1:{sheet.last}"/>'.encode(), head, 1)
                data = b"".join((head, xml[sheet.part], b"</sheetData>", tail))
            elif strings is not None and info.filename == _SHARED_STRINGS:
                data = strings.xml()
            dst.writestr(info, data, compresslevel=COMPRESS_LEVEL)
    return out.getvalue()


def _print_setup(ws) -> None:
    ws.set_landscape()
    ws.fit_to_pages(1, 0)  # as wide as one page, as many pages down as needed
    ws.repeat_rows(0)


def _about_sheet(wb, about: dict[str, str], formats: _Formats) -> None:
    ws = wb.add_worksheet(ABOUT)
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 100, formats.wrap)
    ws.write_string(0, 0, ABOUT_TITLE, formats.title)
    for r, (key, value, bold) in enumerate(about_cells(about), start=2):
        write_value(ws, r, 0, key, formats.bold if bold else None, formats)
        write_value(ws, r, 1, value, formats.wrap, formats)
        if len(value) > 100:
            ws.set_row(r, LINE_HEIGHT * min(lines_needed(value, 100), MAX_LINES))
    _print_setup(ws)


def to_bytes(glossary: Glossary, extras: dict[str, Extras] | None = None) -> bytes:
    """The workbook as xlsx bytes (deterministic for the same glossary and extras)."""
    import xlsxwriter

    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    # A fixed timestamp keeps the same glossary byte-identical across saves.
    wb.set_properties({"author": "glossary", "created": dt.datetime(2000, 1, 1)})
    formats = _Formats(wb)
    rows = sheet_rows(glossary)
    streamed = [
        _data_sheet(wb, spec, rows[spec.name], (extras or {}).get(spec.name), formats)
        for spec in SHEETS
    ]
    _about_sheet(wb, glossary.about, formats)
    ws = wb.add_worksheet(MACHINE)
    for c, name in enumerate(MACHINE_COLUMNS):
        ws.write_string(0, c, name)
    memory = list(memory_rows(glossary))
    letters = [letter(i) for i in range(len(MACHINE_COLUMNS))]
    streamed.append(SheetRows(_part(ws), letters, [""] * len(letters), memory))
    ws.hide()
    wb.worksheets()[1].activate()  # open on Terms, where the review happens
    wb.close()
    return with_rows(buffer.getvalue(), streamed)
