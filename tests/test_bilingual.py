"""Key-term QA of bilingual files: a translator's XLIFF or TMX checked against the glossary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

import pytest
from conftest import DATA
from test_export import fixture_glossary

from glossary import bilingual, store
from glossary.check import check_text
from glossary.errors import FormatError
from glossary.lookup import build_index
from glossary.models import TermEntry

FILES = ("vi-sv.xlf", "vi-sv.xliff", "vi-sv.tmx")  # XLIFF 1.2, XLIFF 2.0, TMX 1.4


@pytest.mark.parametrize("name", FILES)
def test_planted_missing_and_deprecated_terms_are_caught_per_segment(name):
    findings = bilingual.check_bilingual(DATA / "bilingual" / name, fixture_glossary())
    got = {(f.segment, f.rule, f.concept_id) for f in findings}
    assert got == {
        ("2", "missing", "mass_mobilization_work"),  # planted: no massmobiliseringsarbete
        ("3", "deprecated", "skilled_mass_mobilization"),  # planted: Skickad massmobilisering
        ("3", "missing", "skilled_mass_mobilization"),
    }
    deprecated = next(f for f in findings if f.rule == "deprecated")
    assert deprecated.found == "Skickad massmobilisering"  # inline codes left out
    assert deprecated.expected == ("skicklig massmobilisering",)


def test_inflected_renderings_count_and_diacritics_and_word_edges_matter():
    segments = bilingual.read_segments(DATA / "bilingual" / "vi-sv.tmx")
    by_id = {s.id: s for s in segments}
    findings = bilingual.check_bilingual(DATA / "bilingual" / "vi-sv.tmx", fixture_glossary())
    flagged = {f.segment for f in findings}
    assert "Partikommittén" in by_id["1"].target and "1" not in flagged  # definite form
    assert "Massmobiliseringsarbetet" in by_id["6"].target and "6" not in flagged
    assert "dần vận" in by_id["4"].source and "4" not in flagged  # other diacritics, no term
    assert "dân vậnxyz" in by_id["5"].source and "5" not in flagged  # not on a word boundary
    assert "7" not in flagged  # untranslated segment


def test_a_bilingual_file_without_a_vietnamese_source_is_a_clear_error(tmp_path):
    other = tmp_path / "en-sv.xlf"
    other.write_text(
        (DATA / "bilingual" / "vi-sv.xlf").read_text(encoding="utf-8").replace("vi-VN", "en-US"),
        encoding="utf-8",
    )
    with pytest.raises(FormatError, match="needs a Vietnamese source"):
        bilingual.read_segments(other)
    broken = tmp_path / "broken.tmx"
    broken.write_text("<tmx><body><tu>", encoding="utf-8")
    with pytest.raises(FormatError, match="malformed XML"):
        bilingual.read_segments(broken)


def test_an_inflected_form_of_a_reviewed_term_is_not_unreviewed():
    g = fixture_glossary()
    g.terms.append(TermEntry("mass_mobilization_work", "sv", "massmobiliseringsarbetet"))
    text = "Massmobiliseringsarbetet har stärkts, och massmobiliseringsarbetet fortsätter."
    findings = check_text(build_index(g, ["sv"]), text, "sv")
    assert [f for f in findings if f.rule == "proposed"] == []


def run_check(tmp_path, *args):
    workbook = tmp_path / "terms.xlsx"
    if not workbook.exists():
        g = fixture_glossary()
        g.terms = [
            replace(t, status="proposed") if t.term == "partikommitté" else t for t in g.terms
        ]
        store.save(g, workbook)
    return subprocess.run(
        [sys.executable, "-m", "glossary.cli", "check", *map(str, args), "-g", str(workbook)],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "GLOSSARY_CACHE": str(tmp_path / "cache")},
    )  # fmt: skip


def test_cli_checks_xliff_by_segment_with_json_and_errors_only(tmp_path):
    result = run_check(tmp_path, DATA / "bilingual" / "vi-sv.xlf")
    assert result.returncode == 1
    assert f"{DATA / 'bilingual' / 'vi-sv.xlf'}:2: error [missing]" in result.stdout
    data = json.loads(run_check(tmp_path, DATA / "bilingual" / "vi-sv.tmx", "--json").stdout)
    assert {(d["segment"], d["rule"]) for d in data} == {
        ("2", "missing"), ("3", "deprecated"), ("3", "missing"),
    }  # fmt: skip
    text = tmp_path / "sv.txt"
    text.write_text("Partikommitté och Skickad massmobilisering.", encoding="utf-8")
    everything = run_check(tmp_path, text, "--lang", "sv", "--json")
    assert {d["severity"] for d in json.loads(everything.stdout)} == {"error", "info"}
    errors = run_check(tmp_path, text, "--lang", "sv", "--json", "--errors-only")
    assert {d["severity"] for d in json.loads(errors.stdout)} == {"error"}
    missing_lang = run_check(tmp_path, text)
    assert missing_lang.returncode == 2 and "--lang" in missing_lang.stderr
