"""Bounded reading, limit by limit: each is refused with one line naming it, and what is under
every limit (a far row in a narrow sheet, a big sheet of few cells) is read."""

from __future__ import annotations

from pathlib import Path

import pytest
from damage import add_to_terms_sheet, declared_size
from test_store import proposal

from glossary import store
from glossary.store import guard
from glossary.store.guard import TooBig


@pytest.fixture
def workbook(tmp_path) -> Path:
    path = tmp_path / "terms.xlsx"
    store.update(path, proposal())
    return path


def cell(ref: str, value: str = "x") -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'.encode()


def test_a_far_row_in_a_narrow_sheet_is_within_the_limits(workbook):
    add_to_terms_sheet(workbook, b'<row r="150000">' + cell("A150000") + b"</row>")
    guard.scan(workbook)  # 150,000 rows x at most 26 columns is under 5,000,000 cells
    add_to_terms_sheet(workbook, b'<row r="250000">' + cell("A250000") + b"</row>")
    with pytest.raises(TooBig, match=r"250,000 rows x 26 columns is over the limit"):
        guard.scan(workbook)  # a reader fills a rectangle this wide down to that row


def test_a_far_row_in_a_wide_sheet_is_refused(workbook):
    add_to_terms_sheet(workbook, b'<row r="300000">' + cell("ZZ300000") + b"</row>")
    with pytest.raises(TooBig, match=r"300,000 rows x 702 columns is over the limit"):
        guard.scan(workbook)


def test_a_row_past_the_last_excel_row_is_refused_even_in_a_wide_sheet(workbook):
    add_to_terms_sheet(workbook, b'<row r="2">' + cell("AB2000001") + b"</row>")
    with pytest.raises(TooBig, match=r"row 2,000,001 is past the limit of 1,048,576 rows"):
        guard.scan(workbook)


def test_a_declared_size_over_the_limit_is_refused(workbook):
    declared_size(workbook, b"A1:XFD1048576")
    before = workbook.read_bytes()
    with pytest.raises(TooBig, match=r"declares the size .*XFD1048576.*over the limit"):
        store.load(workbook)
    assert workbook.read_bytes() == before


def test_too_many_cells_is_refused(workbook, monkeypatch):
    monkeypatch.setattr(guard, "MAX_CELLS", 50)  # the fixture's sheets have a few hundred
    with pytest.raises(TooBig, match=r"cells is over the limit of 50; not read"):
        guard.scan(workbook)


def test_formulas_are_found_in_cells_only(workbook):
    # The tool's own sheets hold <formula> in drop-downs and conditional formats: not cells.
    assert guard.scan(workbook).formula_sheets == frozenset()
    add_to_terms_sheet(workbook, b'<row r="900"><c r="P900"><f>1+1</f><v>2</v></c></row>')
    assert guard.scan(workbook).formula_sheets == frozenset({"Terms"})


@pytest.mark.parametrize(
    "element",
    [b"<x:f>LEN(D2)</x:f>", b'<f t="shared" si="0"/>', b"<f\nt='array'>1</f>", b"<f/>"],
)
def test_formulas_are_found_with_or_without_a_namespace_prefix(workbook, element):
    add_to_terms_sheet(workbook, b'<row r="90"><c r="K90">' + element + b"</c></row>")
    assert guard.scan(workbook).formula_sheets == frozenset({"Terms"})


def test_an_f_in_text_or_other_elements_is_no_formula(workbook):
    texts = b"<fx>1</fx><is><t>f of <fr>, x:f</t></is>"
    add_to_terms_sheet(workbook, b'<row r="90"><c r="K90">' + texts + b"</c></row>")
    assert guard.scan(workbook).formula_sheets == frozenset()
