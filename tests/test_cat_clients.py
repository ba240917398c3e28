"""Our exports as real clients read them: OmegaT 3.6's own readers, translate-toolkit, LibreOffice."""

from __future__ import annotations

import csv
import io
import os
import subprocess
from pathlib import Path

import openpyxl
import pytest
from test_export import fixture_glossary

from glossary import export as ex
from glossary import store
from glossary.formats.tbx import TBX_STATUS, UNVERIFIED


@pytest.fixture
def workbook(tmp_path) -> Path:
    path = tmp_path / "terms.xlsx"
    store.save(fixture_glossary(), path)
    return path


def reviewed(path: Path, lang: str) -> set[tuple[str, str, str]]:
    """(vi, term, status) of the workbook's reviewed terms in one language."""
    g = store.load(path)
    vi = {c.concept_id: c.vi for c in g.concepts if c.status != "rejected"}
    return {
        (vi[t.concept_id], t.term, t.status)
        for t in g.terms
        if t.lang == lang and t.concept_id in vi and t.status in ex.REVIEWED
    }


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- OmegaT
def test_omegat_reads_our_tbx2_export_with_the_workbooks_terms_and_statuses(
    omegat, workbook, tmp_path
):
    want = reviewed(workbook, "sv")
    for langs in (["sv"], []):
        tbx = write(tmp_path / "terms.tbx", ex.export(store.load(workbook), "tbx2", langs))
        entries = omegat(tbx, "vi", "sv")
        assert {(src, target) for src, target, _ in entries} == {(v, t) for v, t, _ in want}
        assert len(entries) == len(want)
        status = {(v, t): s for v, t, s in want}
        for src, target, comment in entries:
            assert TBX_STATUS[status[src, target]] in comment


def test_omegat_reads_our_omegat_glossary_with_statuses_in_the_comment(omegat, workbook, tmp_path):
    usable = {(v, t, s) for v, t, s in reviewed(workbook, "sv") if s != "deprecated"}
    glossary = write(tmp_path / "glossary.utf8", ex.export(store.load(workbook), "omegat", ["sv"]))
    entries = omegat(glossary, "vi", "sv")
    assert sorted(
        (src, target, comment.split(";")[0]) for src, target, comment in entries
    ) == sorted(usable)


def test_omegat_sees_unverified_proposals_as_such(omegat, workbook, tmp_path):
    text = ex.export(store.load(workbook), "tbx2", ["nb"], include_proposed=True)
    entries = omegat(write(tmp_path / "nb.tbx", text), "vi", "nb")
    faglaert = [c for _, target, c in entries if target == "Faglært massemobilisering"]
    assert faglaert and UNVERIFIED in faglaert[0]


# ---------------------------------------------------------------- translate-toolkit
def test_translate_toolkit_reads_our_tbx2_export(translate_toolkit, workbook):
    want = reviewed(workbook, "sv")
    text = ex.export(store.load(workbook), "tbx2", include_proposed=True)
    units = translate_toolkit.tbxfile(
        io.BytesIO(text.encode("utf-8")), sourcelanguage="vi", targetlanguage="sv"
    ).units
    got = {
        (u.source, term.text, term.administrative_status)
        for u in units
        for term in u.get_target_terms("sv")
    }
    assert {g for g in got if g[2]} == {(v, t, TBX_STATUS[s]) for v, t, s in want}
    assert ("tự quản", "Självförvaltning", None) in got  # unverified: no status
    assert len(units) == len(store.load(workbook).concepts)


# ---------------------------------------------------------------- LibreOffice
def open_in_libreoffice(soffice: str, tmp_path: Path, csv_file: Path, options: str) -> list[tuple]:
    """Rows of a CSV as LibreOffice Calc opens it with these CSV filter options (as xlsx)."""
    home = tmp_path / "lo-home"
    home.mkdir(exist_ok=True)
    result = subprocess.run(
        [soffice, f"-env:UserInstallation={home.as_uri()}", "--headless", "--norestore",
         f"--infilter=CSV:{options}", "--convert-to", "xlsx", "--outdir", str(tmp_path / "lo"),
         str(csv_file)],
        capture_output=True, text=True, timeout=180,
        env={**os.environ, "HOME": str(home), "TMPDIR": str(home)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    sheet = openpyxl.load_workbook(tmp_path / "lo" / (csv_file.stem + ".xlsx")).active
    return [
        tuple("" if v is None else str(v) for v in row) for row in sheet.iter_rows(values_only=True)
    ]


@pytest.mark.libreoffice
def test_libreoffice_opens_the_memoq_sheet_and_the_long_csv_with_the_right_columns(
    soffice, workbook, tmp_path
):
    g = store.load(workbook)
    # The wide sheet has a BOM, so LibreOffice detects UTF-8 without being told (empty charset).
    for name, delimiter, code in (("wide.csv", ",", "44"), ("wide-semicolon.csv", ";", "59")):
        text = ex.export(g, "csv-wide", delimiter=delimiter)
        want = [tuple(r) for r in csv.reader(io.StringIO(text[1:]), delimiter=delimiter)]
        got = open_in_libreoffice(soffice, tmp_path, write(tmp_path / name, text), f"{code},34,,1")
        assert [row[: len(want[0])] for row in got] == want
        assert "Dân vận khéo" in got[1]
    text = ex.export(g, "csv")
    want = list(csv.DictReader(io.StringIO(text)))
    got = open_in_libreoffice(soffice, tmp_path, write(tmp_path / "long.csv", text), "44,34,76,1")
    assert list(got[0]) == list(want[0])
    rows = [dict(zip(got[0], row)) for row in got[1:]]
    assert [(r["concept_id"], r["lang"], r["term"], r["status"]) for r in rows] == [
        (r["concept_id"], r["lang"], r["term"], r["status"]) for r in want
    ]
