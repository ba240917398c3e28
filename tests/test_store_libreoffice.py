"""terms.xlsx in a real spreadsheet: a reviewer edits it in LibreOffice, then alignment reruns."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from glossary import store
from glossary.models import ConceptEntry, ContextEntry, Glossary, TermEntry

pytestmark = pytest.mark.libreoffice

DATA = Path(__file__).parent / "data" / "store"
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def proposal() -> Glossary:
    raw = json.loads((DATA / "proposal.json").read_text(encoding="utf-8"))
    return Glossary(
        concepts=[ConceptEntry(**c) for c in raw["concepts"]],
        terms=[TermEntry(**t, source="glossary align (test)") for t in raw["terms"]],
        contexts=[ContextEntry(**c) for c in raw["contexts"]],
        about=raw["about"],
    )


def private_env(tmp_path: Path) -> dict[str, str]:
    """LibreOffice leaves pipes and temp folders behind; give each test its own."""
    home = tmp_path / "lo-home"
    home.mkdir(exist_ok=True)
    return {**os.environ, "HOME": str(home), "TMPDIR": str(home)}


def edit_in_libreoffice(tmp_path: Path, path: Path, edits: list[tuple[str, str, str]]) -> None:
    """Open the workbook in headless LibreOffice, set cells, save it in place as xlsx."""
    result = subprocess.run(
        ["/usr/bin/python3", str(DATA / "lo_edit.py"), str(path), str(path), json.dumps(edits)],
        env=private_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr


def cell_of(path: Path, term: str, column: str) -> str:
    """The Terms cell (e.g. "E4") of a column in the row of a term."""
    ws = openpyxl.load_workbook(path, read_only=True)["Terms"]
    rows = list(ws.iter_rows(values_only=True))
    letter = "ABCDEFGHIJKLMN"[rows[0].index(column)]
    return f"{letter}{[r[3] for r in rows].index(term) + 1}"


def test_reviewer_edits_in_libreoffice_survive_realignment(soffice, tmp_path):
    path = tmp_path / "terms.xlsx"
    store.update(path, proposal())
    edit_in_libreoffice(
        tmp_path,
        path,
        [
            ("Terms", cell_of(path, "Helsedepartementet", "status"), "preferred"),
            ("Terms", cell_of(path, "premier", "note"), "Kortere vorm; «premier» volstaat."),
            ("Terms", cell_of(path, "resolution 57", "status"), "rejected"),
            (
                "Terms",
                cell_of(path, "ministère de la Santé", "term"),
                "ministère de la Santé et de la Prévention",
            ),
            ("Concepts", "C3", "Prime Minister of Vietnam"),
        ],
    )
    assert not list(tmp_path.glob(".~lock.*"))  # LibreOffice closed the file
    assert openpyxl.load_workbook(path)["Terms"].freeze_panes is None  # a headless save drops it
    assert store.validate_file(path) == []

    nxt = proposal()
    nxt.terms = [replace(t, frequency=t.frequency + 5, confidence=0.6) for t in nxt.terms]
    report = store.update(path, nxt)

    assert store.validate_file(path) == []
    g = store.load(path)
    by_term = {t.term: t for t in g.terms}
    assert by_term["Helsedepartementet"].status == "preferred"
    assert by_term["Helsedepartementet"].frequency == 7  # reviewer-owned: not re-scored
    assert by_term["premier"].note == "Kortere vorm; «premier» volstaat."
    assert by_term["premier"].frequency == 11  # still proposed: refreshed
    assert by_term["resolution 57"].status == "rejected"
    assert "ministère de la Santé" not in by_term
    assert by_term["ministère de la Santé et de la Prévention"].concept_id == "c0001"
    assert g.concept("c0002").en == "Prime Minister of Vietnam"
    assert report.counts["updated"] == 7 and report.counts["added"] == 0  # the proposed rows
    # our own sheet manners are back
    ws = openpyxl.load_workbook(path)["Terms"]
    assert ws.freeze_panes == "A2" and ws.column_dimensions["O"].hidden


def test_column_and_sheet_added_in_libreoffice_survive_realignment(soffice, tmp_path):
    path = tmp_path / "terms.xlsx"
    store.update(path, proposal())
    own = openpyxl.utils.get_column_letter(len(store.TERM_COLUMNS) + 1)
    row = cell_of(path, "premier", "term")[1:]
    edit_in_libreoffice(
        tmp_path,
        path,
        [
            ("Terms", f"{own}1", "reviewer"),
            ("Terms", f"{own}{row}", "Mai"),
            ("MyNotes", "A1", "ask the editor about premier"),
        ],
    )
    nxt = proposal()
    nxt.terms = [replace(t, frequency=t.frequency + 5) for t in nxt.terms]
    report = store.update(path, nxt)
    assert report.written and report.counts["updated"] == 10
    wb = openpyxl.load_workbook(path)
    terms = wb["Terms"]
    header = [c.value for c in terms[1]]
    premier = [r for r in terms.iter_rows(min_row=2, values_only=True) if r[3] == "premier"][0]
    assert premier[header.index("reviewer")] == "Mai"
    assert wb["MyNotes"]["A1"].value == "ask the editor about premier"
    assert store.load(path).terms[0].frequency == 12
    assert store.validate_file(path) == []
    assert not report.warnings  # LibreOffice's empty drawing parts are nothing to lose


def test_libreoffice_csv_export_matches_the_workbook(soffice, tmp_path):
    g = store.merge(Glossary(), proposal())[0]
    g.terms[0] = replace(g.terms[0], note="Ghi chú: «100\u00a0000» người; čeština ✓\nřádek 2")
    g.terms[1] = replace(g.terms[1], term="=1+1", note="0042")
    path = tmp_path / "terms.xlsx"
    store.save(g, path)
    out = tmp_path / "csv"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            CSV_FILTER,
            "--outdir",
            str(out),
            str(path),
        ],
        env=private_env(tmp_path),
        check=True,
        capture_output=True,
        timeout=180,
    )

    def sheet(name: str) -> list[list[str]]:
        text = (out / f"terms-{name}.csv").read_text(encoding="utf-8")
        return list(csv.reader(text.splitlines(keepends=True)))

    def number(value) -> str:
        return "" if value is None else format(value, "g")

    vi = {c.concept_id: c.vi for c in g.concepts}
    terms = sheet("Terms")
    assert terms[0] == list(store.TERM_COLUMNS)
    expected = [
        [
            t.concept_id,
            vi[t.concept_id],
            t.lang,
            t.term,
            t.status,
            number(t.confidence),
            number(t.frequency),
            t.documents,
            t.context,
            t.note,
            t.source,
            t.updated,
            t.evidence,
            t.forms,
            t.row_id,
        ]
        for t in g.terms
    ]
    assert terms[1:] == expected
    concepts = sheet("Concepts")
    assert concepts[1:] == [
        [c.concept_id, c.vi, c.en, c.kind, c.definition, c.status, c.note] for c in g.concepts
    ]
    contexts = sheet("Contexts")
    assert contexts[1:] == [
        [c.concept_id, c.lang, c.term, c.document, str(c.position), c.sentence] for c in g.contexts
    ]


def test_libreoffice_edits_survive_glossary_align_rerun(soffice, tiny_model, tmp_path):
    """The whole loop with the real CLI: align, review in LibreOffice, align again."""
    import shutil
    import sys

    seeds = Path(__file__).resolve().parent.parent / "seeds"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in sorted(p.name for p in seeds.glob("*.txt"))[:2]:
        shutil.copy(seeds / name, corpus / name)
    concepts = tmp_path / "concepts.csv"
    concepts.write_text(
        "concept_id,vi,en,kind\ndan_van,dân vận,mass mobilization,term\n"
        "dang_vien,đảng viên,Party members,title_role\n",
        encoding="utf-8",
    )
    path = tmp_path / "terms.xlsx"
    env = {
        **os.environ,
        "GLOSSARY_CACHE": str(tmp_path / "cache"),
        "GLOSSARY_MODEL": tiny_model,
        "OMP_NUM_THREADS": "1",
        "HF_HUB_OFFLINE": "1",
    }
    align = [sys.executable, "-m", "glossary.cli", "align", str(corpus), "-g", str(path)]
    first = subprocess.run(
        [*align, "--concepts", str(concepts), "--min-confidence", "0"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    term = store.load(path).terms[0].term
    edit_in_libreoffice(
        tmp_path,
        path,
        [
            ("Terms", cell_of(path, term, "status"), "preferred"),
            ("Terms", cell_of(path, term, "note"), "Checked by the reviewer «ok»."),
        ],
    )
    again = subprocess.run(align, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert store.validate_file(path) == []
    kept = [t for t in store.load(path).terms if t.term == term]
    assert kept and kept[0].status == "preferred"
    assert kept[0].note == "Checked by the reviewer «ok»."
