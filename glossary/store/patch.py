"""Writing into the reviewer's own workbook (openpyxl load-and-modify) instead of afresh.

Used when the workbook holds what a fresh write would lose: sheets the reviewer added, cell
comments, hyperlinks, hand formatting. Only the cells whose value changed are set; new rows
are appended with the look of the last row; the tool's own sheets (Contexts, About, the
hidden memory) are rebuilt: openpyxl writes their header, and the rows of the two large ones
are streamed into its output afterwards, as the fresh writer does (through openpyxl's cells
they were a third of an update). openpyxl keeps everything else it can read; it drops charts,
images and shapes, which the run warns about before writing.
"""

from __future__ import annotations

import copy
import io
import zipfile
from pathlib import Path

from glossary.models import Glossary
from glossary.store.about import ABOUT_TITLE, about_cells
from glossary.store.guard import sheet_parts
from glossary.store.memory import memory_rows
from glossary.store.reader import Reading, code
from glossary.store.schema import (
    ABOUT,
    CONCEPT_SHEET,
    CONTEXT_SHEET,
    MACHINE,
    MACHINE_COLUMNS,
    TERM_SHEET,
    SheetSpec,
    letter,
)
from glossary.store.writer import SheetRows, literal_text, sheet_rows, with_rows


def cannot_keep(reading: Reading) -> list[str]:
    """What writing this workbook will lose, one warning line each."""
    if reading.scan is None or not reading.scan.drawings:
        return []
    return [
        "charts, images or shapes in the workbook cannot be kept (openpyxl, the library that "
        "writes it, drops them); the previous version stays in .glossary/backups"
    ]


def _set(cell, value) -> None:
    """Set a cell only if its value changes; text stays text."""
    value = None if value == "" else value
    if isinstance(value, str):
        value = literal_text(value)  # openpyxl writes text as it is given
    if cell.value == value and cell.data_type != "f":
        return
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever it starts with


def _patch_sheet(ws, spec: SheetSpec, rows: list[tuple], row_numbers: list[int]) -> None:
    """Update the records' cells where they are; add new records below the last one."""
    ws.freeze_panes = ws.freeze_panes or "A2"  # LibreOffice drops it on a headless save
    place = {code(c.value).lower(): c.column for c in ws[1] if code(c.value)}
    for name in spec.names:
        if name not in place:
            place[name] = ws.max_column + 1
            ws.cell(1, place[name], name)
    last = row_numbers[-1] if row_numbers else None
    next_row = (last or 1) + 1
    for i, values in enumerate(rows):
        new = i >= len(row_numbers)
        if new:
            r, next_row = next_row, next_row + 1
        else:
            r = row_numbers[i]
        for column, value in zip(spec.columns, values, strict=True):
            cell = ws.cell(r, place[column.name])
            if new and last:
                cell._style = copy.copy(ws.cell(last, place[column.name])._style)
            _set(cell, value)


def _fresh_sheet(wb, name: str, header, rows, widths=None):
    """Replace one of the tool's own sheets, at the same place, with these rows."""
    index = wb.sheetnames.index(name) if name in wb.sheetnames else len(wb.sheetnames)
    if name in wb.sheetnames:
        wb.remove(wb[name])
    ws = wb.create_sheet(name, index)
    for r, row in enumerate([header, *rows] if header else rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is None or value == "":
                continue
            cell = ws.cell(r, c, literal_text(value) if isinstance(value, str) else value)
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever it starts with
    for i, width in enumerate(widths or ()):
        ws.column_dimensions[letter(i)].width = width
    return ws


_EMPTY_SHEET = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData/></worksheet>"
)


def _without_rebuilt_sheets(path: Path) -> io.BytesIO:
    """The workbook with the sheets the tool rebuilds emptied, so openpyxl need not parse
    their cells (they are half of a large workbook)."""
    parts = sheet_parts(path)
    emptied = {parts[n] for n in (CONTEXT_SHEET.name, MACHINE) if n in parts}
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, _EMPTY_SHEET if info.filename in emptied else src.read(info))
    buffer.seek(0)
    return buffer


def patch_bytes(path: Path, reading: Reading, merged: Glossary) -> bytes:
    """The reviewer's workbook with the merged glossary written into it, as xlsx bytes."""
    from openpyxl import load_workbook
    from openpyxl.styles import Alignment, Font

    wb = load_workbook(_without_rebuilt_sheets(path))
    active = wb.active.title if wb.active is not None else None
    rows = sheet_rows(merged)
    where = reading.where
    _patch_sheet(
        wb[CONCEPT_SHEET.name], CONCEPT_SHEET, rows[CONCEPT_SHEET.name], where.concept_rows
    )
    _patch_sheet(wb[TERM_SHEET.name], TERM_SHEET, rows[TERM_SHEET.name], where.term_rows)
    widths = [c.width for c in CONTEXT_SHEET.columns]
    contexts = _fresh_sheet(wb, CONTEXT_SHEET.name, CONTEXT_SHEET.names, [], widths)
    contexts.freeze_panes = "A2"
    about = [(ABOUT_TITLE, "", True), ("", "", False)] + about_cells(merged.about)
    ws = _fresh_sheet(wb, ABOUT, (), [(a, b) for a, b, _ in about], (24, 100))
    for r, (_, _, bold) in enumerate(about, start=1):
        ws.cell(r, 1).font = Font(bold=bold, size=14 if r == 1 else 11)
        ws.cell(r, 2).alignment = Alignment(wrap_text=True, vertical="top")
    machine = _fresh_sheet(wb, MACHINE, MACHINE_COLUMNS, [])
    machine.sheet_state = "hidden"
    if active in wb.sheetnames:
        wb.active = wb.sheetnames.index(active)
    buffer = io.BytesIO()
    wb.save(buffer)
    streamed = [  # a sheet's part is known once openpyxl has saved it
        _streamed(contexts, len(CONTEXT_SHEET.names), rows[CONTEXT_SHEET.name]),
        _streamed(machine, len(MACHINE_COLUMNS), list(memory_rows(merged))),
    ]
    return with_rows(buffer.getvalue(), streamed)


def _streamed(ws, width: int, rows: list[tuple]) -> SheetRows:
    """Rows from row 2 of a sheet openpyxl saved with its header only, cells unstyled."""
    letters = [letter(i) for i in range(width)]
    return SheetRows(ws.path.lstrip("/"), letters, [""] * width, rows)
