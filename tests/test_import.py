"""Importing a termbase into a reviewed workbook: field by field, never undoing a review."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from test_export import fixture_glossary

from glossary import importer, store
from glossary.models import Glossary

SKILLED = "skilled_mass_mobilization"
AVOID = "Skickad massmobilisering"


def reviewed_workbook(tmp_path: Path) -> Path:
    """The fixture with a rejected slogan concept and a deprecated term with note and evidence."""
    g = fixture_glossary()
    g.concepts = [
        replace(c, status="rejected") if c.concept_id == SKILLED else c for c in g.concepts
    ]
    g.terms = [
        replace(t, context="Skickad massmobilisering i provinsen.", evidence="similarity 0.74")
        if t.term == AVOID
        else t
        for t in g.terms
    ]
    path = tmp_path / "terms.xlsx"
    store.save(g, path)
    return path


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def import_csv(tmp_path: Path, text: str) -> tuple[importer.ImportReport, Glossary]:
    """Import a CSV into the reviewed workbook; the report and the workbook afterwards."""
    workbook = reviewed_workbook(tmp_path)
    report = importer.import_into(write(tmp_path / "client.csv", text), workbook)
    return report, store.load(workbook)


def backups(workbook: Path) -> list[Path]:
    folder = workbook.parent / ".glossary"
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".lock"))


def test_ids_and_terms_only_keep_the_reviewers_decisions(tmp_path):
    report, g = import_csv(
        tmp_path,
        f"concept_id,lang,term\n{SKILLED},sv,{AVOID}\n{SKILLED},da,dygtig massemobilisering\n",
    )
    concept = g.concept(SKILLED)
    assert (concept.status, concept.kind) == ("rejected", "slogan")
    avoid = next(t for t in g.terms if t.term == AVOID)
    assert avoid.status == "deprecated"
    assert avoid.note == "garbled machine translation"
    assert avoid.context == "Skickad massmobilisering i provinsen."
    assert avoid.evidence == "similarity 0.74"
    assert (report.terms_added, report.terms_updated, report.conflicts) == (1, 0, ())
    assert report.written


def test_a_file_that_disagrees_with_a_review_is_listed_as_a_conflict(tmp_path):
    report, g = import_csv(
        tmp_path, f"concept_id,kind,lang,term,status\n{SKILLED},term,sv,{AVOID},preferred\n"
    )
    assert next(t for t in g.terms if t.term == AVOID).status == "deprecated"
    assert g.concept(SKILLED).kind == "slogan"
    assert len(report.conflicts) == 2
    assert any("status: kept 'deprecated', the file has 'preferred'" in c for c in report.conflicts)
    assert any(f"concept {SKILLED} kind: kept 'slogan'" in c for c in report.conflicts)


def test_import_reviews_proposed_rows_and_fills_only_empty_fields(tmp_path):
    report, g = import_csv(
        tmp_path,
        "concept_id,lang,term,status\n"
        "authorities,fr,autorités,preferred\n"
        "mass_mobilization,sv,massmobilisering,\n",
    )
    assert next(t for t in g.terms if t.term == "autorités").status == "preferred"
    assert next(t for t in g.terms if t.term == "massmobilisering").status == "preferred"
    assert (report.terms_updated, report.conflicts) == (1, ())


def test_a_note_in_a_file_of_one_term_per_row_is_the_terms_note(tmp_path):
    _report, g = import_csv(
        tmp_path,
        "concept_id,lang,term,status,note\n"
        "authorities,fr,autorités,rejected,the state's organs here\n",
    )
    term = next(t for t in g.terms if t.term == "autorités")
    assert (term.status, term.note) == ("rejected", "the state's organs here")
    assert g.concept("authorities").note == fixture_concept_note("authorities")


def fixture_concept_note(concept_id: str) -> str:
    return next(c.note for c in fixture_glossary().concepts if c.concept_id == concept_id)


def test_an_import_that_changes_nothing_writes_nothing(tmp_path):
    workbook = reviewed_workbook(tmp_path)
    before, stamp, kept = workbook.read_bytes(), workbook.stat().st_mtime_ns, backups(workbook)
    csv_file = write(
        tmp_path / "same.csv",
        "concept_id,lang,term,status\nmass_mobilization,sv,massmobilisering,preferred\n"
        "mass_mobilization,cs,Masová mobilizace,\n",
    )
    report = importer.import_into(csv_file, workbook)
    assert not report.written and (report.terms_added, report.terms_updated) == (0, 0)
    assert workbook.read_bytes() == before and workbook.stat().st_mtime_ns == stamp
    assert backups(workbook) == kept


def test_reimporting_our_own_tbx_export_changes_nothing(tmp_path):
    from glossary import export as ex

    workbook = reviewed_workbook(tmp_path)
    tbx = write(
        tmp_path / "terms.tbx",
        ex.export(store.load(workbook), "tbx", statuses=ex.parse_statuses("all")),
    )
    before = workbook.read_bytes()
    report = importer.import_into(tbx, workbook)
    assert not report.written and report.conflicts == ()
    assert workbook.read_bytes() == before


def test_cli_import_reports_conflicts_and_an_unchanged_workbook(tmp_path):
    workbook = reviewed_workbook(tmp_path)
    csv_file = write(
        tmp_path / "c.csv", f"concept_id,lang,term,status\n{SKILLED},sv,{AVOID},admitted\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "glossary.cli", "import", str(csv_file), "-g", str(workbook)],
        capture_output=True,
        text=True,
        env={**os.environ, "GLOSSARY_CACHE": str(tmp_path / "cache")},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "conflict:" in result.stderr and "kept 'deprecated'" in result.stderr
    assert "nothing changed, not written" in result.stdout


def test_a_glossary_built_in_python_merges_every_field_it_has():
    existing = fixture_glossary()
    extra = Glossary(terms=[replace(existing.terms[-1], status="admitted", note="checked")])
    merged, report = importer.merge_import(existing, extra)
    row = next(t for t in merged.terms if t.term == "autorités")
    assert (row.status, row.note, report.terms_updated) == ("admitted", "checked", 1)
