"""The workbook layout: data sheets drawn from the column tables, the About sheet, the memory."""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
from collections.abc import Iterable

from glossary.models import KINDS, Glossary
from glossary.store.memory import memory_rows
from glossary.store.schema import (
    ABOUT,
    ABOUT_MARKER,
    CONCEPTS,
    CONTEXTS,
    MACHINE,
    MACHINE_COLUMNS,
    SHEETS,
    TERM_SHEET,
    TERMS,
    VALIDATION_SLACK,
    Column,
    SheetSpec,
    letter,
)

_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

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
        self.key = Font(italic=True, color="808080")
        self.title = Font(bold=True, size=14)
        self.bold = Font(bold=True)
        self._templates: dict[tuple[str, str], object] = {}

    def of(self, ws, column: Column):
        """The style of a data column's cells, worked out once (styling each cell is slow)."""
        from openpyxl.cell import WriteOnlyCell

        if (ws.title, column.name) not in self._templates:
            cell = WriteOnlyCell(ws)
            cell.alignment = self.wrap if column.wrap else self.top
            if column.key:
                cell.font = self.key
            if column.number_format:
                cell.number_format = column.number_format
            self._templates[ws.title, column.name] = cell._style
        return self._templates[ws.title, column.name]


def _cell(ws, value, styles: _Styles, column: Column | None = None):
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


def _list_validation(ws, values: Iterable[str], ref: str, what: str) -> None:
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


def _formats(ws, spec: SheetSpec, count: int) -> None:
    """Drop-downs, colour scales and row rules of a sheet, down to some rows past its end."""
    from openpyxl.formatting.rule import ColorScaleRule, FormulaRule
    from openpyxl.styles import Font, PatternFill

    end = count + 1 + VALIDATION_SLACK
    for column in spec.columns:
        ref = f"{spec.letter(column.name)}2:{spec.letter(column.name)}{end}"
        if column.choices:
            _list_validation(ws, column.choices, ref, column.what)
        if column.color_scale:
            ws.conditional_formatting.add(
                ref,
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
    for rule in spec.row_rules:
        fill = None
        if rule.fill_color:
            fill = PatternFill("solid", start_color=rule.fill_color, end_color=rule.fill_color)
        ws.conditional_formatting.add(
            f"A2:{spec.last_shown}{end}",
            FormulaRule(
                formula=[f'${spec.letter(rule.column)}2="{rule.value}"'],
                font=Font(strike=rule.strike or None, color=rule.font_color),
                fill=fill,
            ),
        )


def _table_sheet(wb, spec: SheetSpec, rows: list[tuple], styles: _Styles) -> None:
    """A data sheet with a bold frozen header, filter, widths, formats and wrapped long text."""
    ws = wb.create_sheet(spec.name)
    ws.freeze_panes = "A2"
    for i, column in enumerate(spec.columns):
        ws.column_dimensions[letter(i)].width = column.width
        ws.column_dimensions[letter(i)].hidden = column.hidden
    ws.auto_filter.ref = f"A1:{letter(len(spec.columns) - 1)}{len(rows) + 1}"
    _formats(ws, spec, len(rows))
    header = []
    for column in spec.columns:
        cell = _cell(ws, column.name, styles)
        cell.font, cell.fill, cell.alignment = (
            styles.header_font,
            styles.header_fill,
            styles.header_align,
        )
        header.append(cell)
    ws.append(header)
    for row in rows:
        ws.append([_cell(ws, v, styles, c) for c, v in zip(spec.columns, row, strict=True)])


def _about_sheet(wb, about: dict[str, str], styles: _Styles) -> None:
    ws = wb.create_sheet(ABOUT)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 100
    note = TERM_SHEET.column("note")
    title = _cell(ws, "Glossary review workbook (terms.xlsx)", styles)
    title.font = styles.title
    ws.append([title])
    ws.append([_cell(ws, "", styles)])
    for key, value in ABOUT_TEXT:
        a = _cell(ws, key, styles)
        if not value:
            a.font = styles.bold
        ws.append([a, _cell(ws, value, styles, note)])
    marker = _cell(ws, ABOUT_MARKER, styles)
    marker.font = styles.bold
    ws.append(
        [marker, _cell(ws, "(which corpus and model produced the current proposals)", styles)]
    )
    for key, value in about.items():
        ws.append([_cell(ws, str(key), styles), _cell(ws, str(value), styles, note)])


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


def to_bytes(glossary: Glossary) -> bytes:
    """The workbook as xlsx bytes (deterministic for the same glossary)."""
    from openpyxl import Workbook

    styles = _Styles()
    wb = Workbook(write_only=True)
    wb.properties.creator = "glossary"
    # A fixed timestamp keeps the same glossary byte-identical across saves.
    wb.properties.created = wb.properties.modified = dt.datetime(2000, 1, 1)
    rows = sheet_rows(glossary)
    for spec in SHEETS:
        _table_sheet(wb, spec, rows[spec.name], styles)
    _about_sheet(wb, glossary.about, styles)
    ws = wb.create_sheet(MACHINE)
    ws.sheet_state = "hidden"
    ws.append(list(MACHINE_COLUMNS))
    for values in memory_rows(glossary):
        ws.append([_cell(ws, v, styles) for v in values])
    wb.active = 1  # open on Terms, where the review happens
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
