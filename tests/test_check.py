"""Terminology check of a translation before delivery, as a QA tool would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from glossary import check as ck
from glossary.errors import UsageError
from glossary.lookup import build_index
from glossary.models import ConceptEntry, ContextEntry, Glossary, TermEntry

DATA = Path(__file__).parent / "data" / "exchange"


def fixture_glossary() -> Glossary:
    data = json.loads((DATA / "glossary.json").read_text(encoding="utf-8"))
    return Glossary(
        [ConceptEntry(**c) for c in data["concepts"]],
        [TermEntry(**t) for t in data["terms"]],
        [ContextEntry(**c) for c in data["contexts"]],
        data["about"],
    )


def by_rule(findings, rule):
    return [f for f in findings if f.rule == rule]


def test_deprecated_term_is_an_error_with_the_preferred_suggestion():
    findings = ck.check_file(DATA / "sv_translation.txt", fixture_glossary(), "sv")
    [bad] = by_rule(findings, "deprecated")
    assert (bad.line, bad.column, bad.text) == (2, 11, "Skickad massmobilisering")
    assert bad.suggestion == "skicklig massmobilisering" and bad.severity == "error"
    assert bad.concept_id == "skilled_mass_mobilization" and bad.vi == "Dân vận khéo"
    assert ck.has_errors(findings)


def test_proposed_term_is_information_only():
    findings = ck.check_file(DATA / "sv_translation.txt", fixture_glossary(), "sv")
    [info] = by_rule(findings, "proposed")
    assert (info.line, info.text, info.severity) == (2, "Självförvaltning", "info")


def test_inflected_uses_of_preferred_terms_are_not_reported():
    findings = ck.check_file(DATA / "sv_translation.txt", fixture_glossary(), "sv")
    assert all(f.line != 3 for f in findings)  # Partikommittén, massmobiliseringsarbetet
    index = build_index(fixture_glossary(), ["nb"])
    found = ck.find_terms(index, "Partikomiteens leder i partikomiteen.", "nb")
    assert [index.entries[o.entry][2] for o in found] == ["partikomiteen", "partikomiteen"]


def test_one_concept_rendered_two_ways_is_inconsistent():
    findings = ck.check_file(DATA / "nb_translation.txt", fixture_glossary(), "nb")
    [bad] = by_rule(findings, "inconsistent")
    assert (bad.line, bad.column, bad.text) == (2, 29, "Faglært massemobilisering")
    assert bad.suggestion == "dyktig massemobilisering" and bad.severity == "error"


def test_inconsistency_without_a_preferred_term_keeps_the_more_frequent_one():
    g = fixture_glossary()
    g.terms = [
        replace(t, status="admitted") if t.concept_id == "skilled_mass_mobilization" else t
        for t in g.terms
    ]
    text = "skicklig massmobilisering\nSkickad massmobilisering\nskickliga massmobiliseringen\n"
    findings = ck.check_text(build_index(g, ["sv"]), text, "sv", "t.txt")
    [bad] = by_rule(findings, "inconsistent")
    assert bad.line == 2 and bad.text == "Skickad massmobilisering"


def test_clean_translation_passes():
    text = "Partikommittén stöder skicklig massmobilisering."
    findings = ck.check_text(build_index(fixture_glossary(), ["sv"]), text, "sv")
    assert findings == [] and not ck.has_errors(findings)


def test_swedish_seed_finds_the_garbled_rendering_once_deprecated(seeds_dir):
    [seed] = sorted(seeds_dir.glob("003_*.txt"))
    findings = ck.check_file(seed, fixture_glossary(), "sv")
    [bad] = by_rule(findings, "deprecated")
    assert bad.text == "Skickad massmobilisering" and bad.suggestion == "skicklig massmobilisering"
    line = seed.read_text(encoding="utf-8").splitlines()[bad.line - 1]
    assert line[bad.column - 1 :].startswith("Skickad massmobilisering")


def test_swedish_seed_reports_inconsistency_when_both_are_only_admitted(seeds_dir):
    [seed] = sorted(seeds_dir.glob("003_*.txt"))
    g = fixture_glossary()
    g.terms = [replace(t, status="admitted") if t.lang == "sv" else t for t in g.terms]
    findings = ck.check_file(seed, g, "sv")
    [bad] = by_rule(findings, "inconsistent")  # equal rank and count: the first rendering stays
    assert bad.text == "skicklig massmobilisering" and "Skickad massmobilisering" in bad.message


def test_check_needs_a_known_language_and_a_readable_file(tmp_path):
    with pytest.raises(UsageError, match="unknown language"):
        ck.check_file(DATA / "sv_translation.txt", fixture_glossary(), "swe")
    with pytest.raises(UsageError, match="not found"):
        ck.check_file(tmp_path / "nothing.txt", fixture_glossary(), "sv")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Rörelsen".encode("latin-1"))
    with pytest.raises(UsageError, match="not UTF-8"):
        ck.check_file(latin1, fixture_glossary(), "sv")


def test_cli_check_exit_codes_and_json(tmp_path):
    from glossary import store

    workbook = tmp_path / "terms.xlsx"
    store.save(fixture_glossary(), workbook)
    env = {**os.environ, "GLOSSARY_CACHE": str(tmp_path / "cache")}

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "glossary.cli", "check", *args, "--glossary", str(workbook)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    failing = run(str(DATA / "sv_translation.txt"), "--lang", "sv", "--json")
    assert failing.returncode == 1, failing.stderr
    rules = {f["rule"] for f in json.loads(failing.stdout)}
    assert rules == {"deprecated", "proposed"}
    clean = tmp_path / "clean.txt"
    clean.write_text("Partikommittén stöder skicklig massmobilisering.\n", encoding="utf-8")
    passing = run(str(clean), "--lang", "sv")
    assert passing.returncode == 0 and "0 error(s)" in passing.stdout
    unknown = run(str(clean), "--lang", "xx")
    assert unknown.returncode == 2 and "unknown language" in unknown.stderr
