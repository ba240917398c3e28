"""terms.xlsx keeps everything a reviewer does: added columns and sheets, comments, colours,
links, formulas in their own columns, deletions; and refuses bad input before reading it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from clirun import one_line, run
from damage import empty_lock_file, huge_declared_row, read_only, zip_bomb
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from test_store import find, fresh_run, proposal

from glossary import store
from glossary.errors import FormatError, StoreError, ValidationError
from glossary.models import Glossary, TermEntry


@pytest.fixture
def workbook(tmp_path) -> Path:
    path = tmp_path / "terms.xlsx"
    store.update(path, proposal())
    return path


def column_of(ws, name: str) -> int:
    return [c.value for c in ws[1]].index(name) + 1


def row_of(ws, term: str) -> int:
    col = column_of(ws, "term")
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, col).value == term)


def test_reviewer_columns_sheets_comments_colours_links_and_formulas_survive(workbook):
    wb = openpyxl.load_workbook(workbook)
    terms, concepts = wb["Terms"], wb["Concepts"]
    own = terms.max_column + 1
    terms.cell(1, own, "reviewer")
    terms.cell(row_of(terms, "premier"), own, "Mai")
    terms.cell(
        row_of(terms, "digitalisering"), own + 1, f"=LEN(D{row_of(terms, 'digitalisering')})"
    )
    terms.cell(1, own + 1, "length")
    concepts.cell(1, concepts.max_column + 1, "comment2").value = "comment2"
    concepts.cell(2, concepts.max_column, "check with the ministry")
    wb.create_sheet("MyNotes")["A1"] = "questions for the editor"
    r = row_of(terms, "premier")
    terms.cell(r, column_of(terms, "term")).comment = Comment("is this the title?", "Mai")
    terms.cell(r, column_of(terms, "note")).fill = PatternFill("solid", start_color="FFFF00")
    terms.cell(r, column_of(terms, "note")).font = Font(bold=True)
    terms.cell(r, column_of(terms, "source")).hyperlink = "https://example.org/premier"
    wb.save(workbook)

    report = store.update(workbook, fresh_run(proposal(), factor=0.5))
    assert report.written and report.counts["updated"] == 10

    wb = openpyxl.load_workbook(workbook)
    terms = wb["Terms"]
    r = row_of(terms, "premier")
    assert terms.cell(r, column_of(terms, "reviewer")).value == "Mai"
    d = row_of(terms, "digitalisering")
    assert terms.cell(d, column_of(terms, "length")).value == f"=LEN(D{d})"  # still a formula
    assert terms.cell(r, column_of(terms, "term")).comment.text == "is this the title?"
    assert terms.cell(r, column_of(terms, "note")).fill.start_color.rgb.endswith("FFFF00")
    assert terms.cell(r, column_of(terms, "note")).font.b
    assert (
        terms.cell(r, column_of(terms, "source")).hyperlink.target == "https://example.org/premier"
    )
    assert wb["MyNotes"]["A1"].value == "questions for the editor"
    assert (
        wb["Concepts"].cell(2, column_of(wb["Concepts"], "comment2")).value
        == "check with the ministry"
    )
    assert find(store.load(workbook), "nb", "digitalisering").updated == "2025-06-01T09:00:00"


def test_added_column_rides_the_fast_write_on_the_right_rows(workbook):
    wb = openpyxl.load_workbook(workbook)
    terms = wb["Terms"]
    terms.insert_cols(4)  # between lang and term
    terms.cell(1, 4, "checked by")
    for r in range(2, terms.max_row + 1):
        terms.cell(r, 4, f"reviewer {terms.cell(r, 5).value}")
    wb.save(workbook)
    extra = proposal()
    extra.terms.append(TermEntry("c0001", "sv", "hälsoministeriet", confidence=0.4))
    store.update(workbook, fresh_run(extra))
    terms = openpyxl.load_workbook(workbook)["Terms"]
    header = [c.value for c in terms[1]]
    assert header.index("checked by") == 3  # where the reviewer put it
    for r in range(2, terms.max_row + 1):
        term, own = terms.cell(r, header.index("term") + 1).value, terms.cell(r, 4).value
        assert own == (None if term == "hälsoministeriet" else f"reviewer {term}")
    assert terms.cell(terms.max_row, header.index("term") + 1).value == "hälsoministeriet"


def test_deleted_proposed_row_is_treated_as_rejected(workbook):
    wb = openpyxl.load_workbook(workbook)
    terms = wb["Terms"]
    terms.delete_rows(row_of(terms, "premier"))
    wb.save(workbook)
    for _ in range(2):
        report = store.update(workbook, fresh_run(proposal()))
        assert len(report.deleted) == 1 and "premier" in report.deleted[0]
        assert not [t for t in store.load(workbook).terms if t.term == "premier"]
    about = "\n".join(
        str(c.value) for row in openpyxl.load_workbook(workbook)["About"].iter_rows() for c in row
    )
    assert "delete the row" in about


def test_formula_in_a_managed_column_is_refused(workbook):
    wb = openpyxl.load_workbook(workbook)
    wb["Terms"]["J2"] = "=1+1"  # the note column
    wb.save(workbook)
    problems = store.validate_file(workbook)
    assert len(problems) == 1 and "column J (note): a formula" in problems[0]
    with pytest.raises(ValidationError):
        store.update(workbook, fresh_run(proposal()))


def test_align_that_changes_nothing_writes_nothing(workbook):
    before = workbook.read_bytes()
    report = store.update(workbook, proposal(model="another run"))
    assert not report.written and report.backup is None
    assert workbook.read_bytes() == before
    assert not (workbook.parent / ".glossary" / "backups").exists()


def test_write_keeps_the_file_mode_and_group(workbook):
    os.chmod(workbook, 0o640)
    gid = workbook.stat().st_gid
    store.update(workbook, fresh_run(proposal()))
    assert stat.S_IMODE(workbook.stat().st_mode) == 0o640 and workbook.stat().st_gid == gid


def test_read_only_workbook_is_refused_before_any_work(workbook):
    read_only(workbook)
    before = workbook.read_bytes()
    with pytest.raises(StoreError, match="read-only"):
        store.open_book(workbook)
    with pytest.raises(StoreError, match="read-only"):
        store.update(workbook, fresh_run(proposal()))
    assert workbook.read_bytes() == before
    store.open_book(workbook, writing=False)  # reading it is fine


def test_each_refusal_runs_once_per_align(workbook, monkeypatch):
    from glossary.store import book as book_module
    from glossary.store import files

    calls = {"open": 0, "read_only": 0}

    def counted(name, check):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return check(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(files, "refuse_if_open", counted("open", files.refuse_if_open))
    monkeypatch.setattr(
        book_module, "refuse_if_read_only", counted("read_only", book_module.refuse_if_read_only)
    )
    book = store.open_book(workbook)  # as run_align does, before any heavy work
    assert store.update(workbook, fresh_run(proposal()), book=book).written
    assert calls == {"open": 1, "read_only": 1}
    # a file changed since it was read is read again, and checked again before the write
    book = store.open_book(workbook)
    os.utime(workbook, ns=(1, 1))
    store.update(workbook, fresh_run(proposal(), factor=0.5), book=book)
    assert calls == {"open": 3, "read_only": 3}


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (huge_declared_row, "row 2,000,000,000 is past the limit of 1,048,576 rows"),
        (zip_bomb, "MiB, over the limit of 256 MiB"),
    ],
    ids=["huge-row", "zip-bomb"],
)
def test_workbook_over_the_reading_limits_is_refused_with_one_line(workbook, damage, expected):
    damage(workbook)
    before = workbook.read_bytes()
    with pytest.raises(StoreError, match=expected):
        store.load(workbook)
    for command in (["validate", str(workbook)], ["lookup", "x", "--glossary", str(workbook)]):
        proc = subprocess.run(
            [sys.executable, "-m", "glossary.cli", *command],
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
        )
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert proc.returncode == 2 and len(lines) == 1 and expected in lines[0], proc.stderr
    assert workbook.read_bytes() == before


def test_concept_list_over_the_reading_limits_is_refused(workbook, tmp_path):
    concepts = tmp_path / "concepts.xlsx"
    concepts.write_bytes(workbook.read_bytes())
    huge_declared_row(concepts)
    with pytest.raises(FormatError, match="sheet Terms: row 2,000,000,000 is past the limit"):
        store.load_concept_list(concepts)


def test_empty_lock_file_stops_a_write_with_one_line(workbook):
    empty_lock_file(workbook)
    before = workbook.read_bytes()
    with pytest.raises(StoreError, match="open in LibreOffice"):
        store.update(workbook, fresh_run(proposal()))
    assert workbook.read_bytes() == before


def test_sheet_reads_and_prints_well(workbook):
    wb = openpyxl.load_workbook(workbook)
    terms = wb["Terms"]
    widths = {c: terms.column_dimensions[c].width for c in "ABCDEFGHIJKLM"}
    assert widths["C"] < 10 and widths["D"] >= len("ministère de la Santé")  # fitted, capped
    assert max(widths.values()) <= 61
    g = store.load(workbook)
    g.terms[0] = replace(g.terms[0], context="Helsedepartementet la fram planen. " * 8)
    store.save(g, workbook)
    terms = openpyxl.load_workbook(workbook)["Terms"]
    assert terms["I2"].alignment.wrap_text and terms.row_dimensions[2].height >= 60
    assert terms.row_dimensions[3].height is None  # a short row stays one line
    assert terms["B2"].font.b and not terms["B2"].font.i  # vi reads as the key
    for ws in (terms, wb["Concepts"]):
        assert ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
        assert ws.print_title_rows == "$1:$1"


def test_colour_on_an_empty_cell_is_kept(workbook):
    wb = openpyxl.load_workbook(workbook)
    wb["Terms"]["J3"].fill = PatternFill("solid", start_color="FFFF00")  # an empty note
    wb.save(workbook)
    store.update(workbook, fresh_run(proposal()))
    assert openpyxl.load_workbook(workbook)["Terms"]["J3"].fill.start_color.rgb.endswith("FFFF00")


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (empty_lock_file, "open in LibreOffice"),
        (read_only, "read-only"),
        (huge_declared_row, "past the limit of 1,048,576 rows"),
        (zip_bomb, "over the limit of 256 MiB"),
    ],
    ids=["empty-lock", "read-only", "huge-row", "zip-bomb"],
)
def test_import_into_a_bad_workbook_stops_with_one_line(
    workbook, tmp_path, monkeypatch, capsys, damage, expected
):
    csv_file = tmp_path / "more.csv"
    csv_file.write_text("concept_id,lang,term\nc1,sv,premiärminister\n", encoding="utf-8")
    damage(workbook)
    before = workbook.read_bytes()
    code, _out, err = run(monkeypatch, capsys, "import", str(csv_file), "-g", str(workbook))
    assert code == 2 and expected in one_line(err)
    assert workbook.read_bytes() == before


def test_concept_list_over_the_limits_stops_align_with_one_line(
    workbook, tmp_path, monkeypatch, capsys
):
    concepts = tmp_path / "concepts.xlsx"
    concepts.write_bytes(workbook.read_bytes())
    zip_bomb(concepts)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Statsministeren talte i går.\n", encoding="utf-8")
    before = workbook.read_bytes()
    code, _out, err = run(
        monkeypatch, capsys, "align", str(corpus), "-g", str(workbook), "--concepts", str(concepts)
    )
    assert code == 2 and "over the limit of 256 MiB" in one_line(err)
    assert workbook.read_bytes() == before


def test_a_chart_that_cannot_be_kept_is_warned_about_before_writing(workbook, caplog):
    from openpyxl.chart import BarChart, Reference

    wb = openpyxl.load_workbook(workbook)
    sheet = wb.create_sheet("MyChart")
    sheet.append(["lang", "terms"])
    sheet.append(["sv", 3])
    chart = BarChart()
    chart.add_data(Reference(sheet, min_col=2, min_row=1, max_row=2), titles_from_data=True)
    sheet.add_chart(chart, "D2")
    wb.save(workbook)
    with caplog.at_level("WARNING", logger="glossary.store"):
        report = store.update(workbook, fresh_run(proposal()))
    assert report.written and len(report.warnings) == 1 and "charts" in report.warnings[0]
    assert "charts, images or shapes" in caplog.text
    about = "\n".join(
        str(c.value) for row in openpyxl.load_workbook(workbook)["About"].iter_rows() for c in row
    )
    assert "cannot keep them" in about
    assert openpyxl.load_workbook(workbook)["MyChart"]["B2"].value == 3  # the sheet itself stays


def test_a_reviewers_sheet_is_kept_without_being_read(workbook):
    from glossary.store.reader import read

    wb = openpyxl.load_workbook(workbook)
    notes = wb.create_sheet("MyNotes")
    for i in range(200):
        notes.append([f"note {i}", i])
    wb.save(workbook)
    assert read(workbook).sheets["MyNotes"] == []  # only its name is needed to keep it
    assert store.update(workbook, fresh_run(proposal())).written
    kept = openpyxl.load_workbook(workbook)["MyNotes"]
    assert kept["A200"].value == "note 199" and kept["B200"].value == 199


def test_formatted_workbook_rebuilds_contexts_and_memory_exactly(workbook):
    wb = openpyxl.load_workbook(workbook)  # a colour: the update goes through load-and-modify
    wb["Terms"]["J2"].fill = PatternFill("solid", start_color="FFFF00")
    wb.save(workbook)
    tricky = ["  spaced  ", "a < b & c > d", "_x0041_ is no escape", "line one\nline two"]
    run = fresh_run(proposal())
    run.contexts[: len(tricky)] = [
        replace(c, sentence=s) for c, s in zip(run.contexts, tricky, strict=False)
    ]
    assert store.update(workbook, run).written
    back = store.load(workbook)
    assert [c.sentence for c in back.contexts] == [c.sentence for c in run.contexts]
    assert back.machine == store.merge(Glossary(), proposal())[0].machine
    wb = openpyxl.load_workbook(workbook)
    assert wb["Terms"]["J2"].fill.start_color.rgb.endswith("FFFF00")
    assert wb["_machine"].sheet_state == "hidden"
    shown = [wb["Contexts"].cell(r + 2, 6).value for r in range(len(tricky))]
    # openpyxl leaves Excel's escape of a literal "_x0041_" as written; Excel undoes it
    assert shown == [s.replace("_x0041_", "_x005F_x0041_") for s in tricky]


def test_formatted_update_keeps_escape_like_text_in_terms(workbook):
    first = proposal()
    first.terms[0] = replace(first.terms[0], context="_x0041_ first", evidence="a _x0042_ b")
    store.update(workbook, first)
    wb = openpyxl.load_workbook(workbook)  # a colour: the update goes through load-and-modify
    wb["Terms"]["J2"].fill = PatternFill("solid", start_color="FFFF00")
    wb.save(workbook)
    run = fresh_run(first)
    run.terms[0] = replace(run.terms[0], context="_x0041_ second\r", evidence="a _x0043_ b")
    assert store.update(workbook, run).written
    back = next(t for t in store.load(workbook).terms if t.term == run.terms[0].term)
    assert (back.context, back.evidence) == ("_x0041_ second\r", "a _x0043_ b")
