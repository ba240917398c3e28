"""Exports for CAT tools and imports of existing termbases."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from glossary import export as ex
from glossary import importer
from glossary.errors import FormatError, UsageError
from glossary.formats.tbx import PRODUCER, UNVERIFIED, read_tbx
from glossary.models import ConceptEntry, ContextEntry, Glossary, TermEntry

DATA = Path(__file__).parent / "data" / "exchange"
TBX = "urn:iso:std:iso:30042:ed-2"


def fixture_glossary() -> Glossary:
    data = json.loads((DATA / "glossary.json").read_text(encoding="utf-8"))
    return Glossary(
        [ConceptEntry(**c) for c in data["concepts"]],
        [TermEntry(**t) for t in data["terms"]],
        [ContextEntry(**c) for c in data["contexts"]],
        data["about"],
    )


def awkward_glossary() -> Glossary:
    """Edge cases: an id that is no xsd:ID, multi-line notes, no Vietnamese, English terms."""
    g = fixture_glossary()
    g.concepts.append(ConceptEntry("42 resolution", vi="", en="", kind="document", note="a\n  b"))
    g.concepts.append(ConceptEntry("bare", vi="", en=""))
    g.terms.append(TermEntry("42 resolution", "fr", "résolution 42", "admitted", 0.5, note="x\ty"))
    g.terms.append(TermEntry("mass_mobilization", "en", "mass mobilisation", "admitted"))
    g.terms.append(
        TermEntry("party_committee", "sv", "partikommittén", "proposed", updated="2025-02-01")
    )
    return g


def as_sets(g: Glossary):
    return (
        sorted(g.concepts, key=repr),
        sorted(g.terms, key=repr),
        sorted(g.contexts, key=repr),
        g.about,
    )


# ---------------------------------------------------------------- TBX
def test_tbx_validates_against_the_tbx_core_schema(shared_dir):
    rng = etree.RelaxNG(etree.parse(str(shared_dir / "schemas" / "tbx" / "TBXcoreStructV03.rng")))
    for g in (fixture_glossary(), awkward_glossary(), Glossary()):
        doc = etree.fromstring(ex.export(g, "tbx", statuses=ex.parse_statuses("all")).encode())
        assert rng.validate(doc), rng.error_log


def _schematron_failures(sch: Path, doc) -> list[str]:
    """Run the TBX-Basic DCA Schematron rules with XPath 1 (lxml).

    The rules use two XPath-2 constructs, rewritten to XPath-1 equivalents: matches(@target,
    'https?://.+') and ./local-name(). Rules whose context is an attribute are evaluated on its
    element. As in Schematron, a node is checked by the first matching rule of each pattern.
    """
    ns = {"tbx": TBX, "sch": "http://purl.oclc.org/dsdl/schematron"}
    schema = etree.parse(str(sch))
    failures = []
    for pattern in schema.iterfind("sch:pattern", ns):
        fired: set = set()
        for rule in pattern.iterfind("sch:rule", ns):
            context = rule.get("context")
            attr = None
            if "/@" in context:
                context, attr = context.split("/@")
            nodes = [
                n
                for n in doc.xpath("//" + context, namespaces=ns)
                if attr is None or n.get(attr) is not None
            ]
            for node in nodes:
                if (node, attr) in fired:
                    continue
                fired.add((node, attr))
                for check in rule.iterfind("sch:assert", ns):
                    test = check.get("test")
                    test = test.replace(
                        "matches(@target,'https?://.+')", "starts-with(@target,'http')"
                    )
                    test = test.replace("./local-name()", "local-name()")
                    if attr:
                        test = test.replace(".=", f"@{attr}=")
                    if not node.xpath(f"boolean({test})", namespaces=ns):
                        failures.append(f"{etree.QName(node).localname}: {check.text.strip()}")
    return failures


def test_tbx_respects_the_tbx_basic_dca_rules(shared_dir):
    sch = shared_dir / "schemas" / "tbx" / "TBX-Basic_DCA.sch"
    valid = etree.parse(str(shared_dir / "schemas" / "tbx" / "Example_DCA_VALID.tbx"))
    assert _schematron_failures(sch, valid) == []  # the runner accepts the official example
    broken = etree.fromstring(
        f'<tbx xmlns="{TBX}" type="TBX-Basic" style="dca" xml:lang="en"><text><body>'
        '<conceptEntry id="c"><langSec xml:lang="sv"><termSec><term>x</term>'
        '<termNote type="administrativeStatus">proposedTerm</termNote>'
        "</termSec></langSec></conceptEntry></body></text></tbx>".encode()
    )
    assert _schematron_failures(sch, broken)  # ... and rejects a wrong status
    doc = etree.fromstring(
        ex.export(awkward_glossary(), "tbx", statuses=ex.parse_statuses("all")).encode()
    )
    assert _schematron_failures(sch, doc) == []


def test_tbx_carries_statuses_vietnamese_definitions_and_contexts():
    doc = etree.fromstring(ex.export(fixture_glossary(), "tbx").encode())
    ns = {"t": TBX}
    entry = doc.find(".//t:conceptEntry[@id='skilled_mass_mobilization']", ns)
    langs = [
        s.get("{http://www.w3.org/XML/1998/namespace}lang") for s in entry.findall("t:langSec", ns)
    ]
    assert langs[:2] == ["vi", "en"] and {"sv", "nb"} <= set(langs)
    assert entry.findtext("t:langSec[1]/t:termSec/t:term", namespaces=ns) == "Dân vận khéo"
    assert "emulation movement" in entry.findtext("t:descrip[@type='definition']", namespaces=ns)
    statuses = {
        sec.findtext("t:term", namespaces=ns): sec.findtext(
            "t:termNote[@type='administrativeStatus']", namespaces=ns
        )
        for sec in entry.iterfind(
            ".//t:langSec[@xml:lang='sv']/t:termSec",
            {**ns, "xml": "http://www.w3.org/XML/1998/namespace"},
        )
    }
    assert statuses == {
        "skicklig massmobilisering": "preferredTerm-admn-sts",
        "Skickad massmobilisering": "deprecatedTerm-admn-sts",
    }
    contexts = [d.text for d in entry.iterfind(".//t:descrip[@type='context']", ns)]
    assert any("dyktig massemobilisering" in c for c in contexts)
    assert "mobilisation des masses" not in ex.export(fixture_glossary(), "tbx")  # rejected
    assert "Faglært massemobilisering" not in ex.export(fixture_glossary(), "tbx")  # proposed


def test_tbx_v3_and_v2_exports_import_back_without_loss():
    for fmt in ("tbx", "tbx2"):
        for g in (fixture_glossary(), awkward_glossary()):
            text = ex.export(g, fmt, statuses=ex.parse_statuses("all"))
            assert as_sets(read_tbx(text.encode()).glossary) == as_sets(g), fmt


def test_tbx2_is_a_namespace_free_martif_in_the_tbx_basic_layout():
    doc = etree.fromstring(ex.export(fixture_glossary(), "tbx2").encode())
    assert doc.tag == "martif" and doc.get("type") == "TBX-Basic" and not doc.nsmap
    assert doc.find("martifHeader/fileDesc/sourceDesc/p") is not None
    tigs = doc.findall("text/body/termEntry/langSet/tig")
    statuses = {
        t.findtext("term"): t.findtext("termNote[@type='administrativeStatus']") for t in tigs
    }
    assert statuses["skicklig massmobilisering"] == "preferredTerm-admn-sts"
    assert statuses["Skickad massmobilisering"] == "deprecatedTerm-admn-sts"


def test_translators_see_no_machine_json_and_proposals_are_marked_unverified():
    for fmt in ("tbx", "tbx2"):
        text = ex.export(fixture_glossary(), fmt, include_proposed=True)
        doc = etree.fromstring(text.encode())
        visible = [n.text or "" for n in doc.iter("{*}note", "{*}p", "{*}descrip", "{*}admin")]
        assert visible and not any("{" in v or v.startswith("glossary:") for v in visible)
        assert any(c.text.strip().startswith("glossary: {") for c in doc.iter(etree.Comment))
        faglaert = next(n for n in doc.iter("{*}term") if n.text == "Faglært massemobilisering")
        sec = faglaert.getparent()
        assert sec.find("{*}termNote") is None  # TBX has no status for an unreviewed term
        assert [n.text for n in sec.iter("{*}note")] == [UNVERIFIED]
        assert "pypi" not in text and PRODUCER in text  # the header names this project only


def test_malformed_tbx_is_a_one_line_format_error(tmp_path):
    with pytest.raises(FormatError, match=r"malformed TBX at line \d+") as info:
        importer.import_file(DATA / "malformed.tbx")
    assert "\n" not in str(info.value)
    other = tmp_path / "other.xml"
    other.write_text("<html><body/></html>", encoding="utf-8")
    with pytest.raises(FormatError, match="not a TBX file"):
        importer.import_file(other)


def test_other_tools_tbx_is_imported_as_reviewed_terms():
    g = importer.import_file(DATA / "client_termbase.tbx")
    mass = g.concept("t42")
    assert (mass.vi, mass.en, mass.status) == ("dân vận", "mass mobilization", "approved")
    terms = {t.term: t for t in g.terms_of("t42")}
    assert terms["massemobilisering"].status == "preferred"
    assert terms["massebevægelse"].status == "deprecated"  # supersededTerm
    assert (
        terms["massemobilisering"].context == "Partiet lagde vægt på massemobilisering i provinsen."
    )
    assert g.contexts[0].document == "client-corpus.txt"
    assert g.terms_of("t43")[0].status == "preferred"


def test_import_merges_into_existing_concepts_by_vietnamese_term():
    imported = importer.import_file(DATA / "client_termbase.tbx")
    merged, report = importer.merge_import(fixture_glossary(), imported)
    assert report.concepts_added == 1  # chính sách; dân vận joins mass_mobilization
    assert "t42" not in {c.concept_id for c in merged.concepts}
    assert "massemobilisering" in {
        t.term for t in merged.terms_of("mass_mobilization") if t.lang == "da"
    }
    assert len(merged.terms) == len(fixture_glossary().terms) + 3


# ---------------------------------------------------------------- tabular
def test_long_csv_has_the_columns_the_scorer_reads():
    rows = list(csv.DictReader(io.StringIO(ex.export(fixture_glossary(), "csv"))))
    assert list(rows[0]) == [
        "concept_id",
        "vi",
        "en",
        "kind",
        "lang",
        "term",
        "status",
        "confidence",
    ]
    assert {"concept_id": "party_committee", "lang": "nb", "term": "partikomiteen"}.items() <= rows[
        [r["term"] for r in rows].index("partikomiteen")
    ].items()
    assert all(r["status"] != "rejected" for r in rows)


def test_long_csv_is_scored_by_the_shared_scorer(shared_dir, tmp_path):
    spec = importlib.util.spec_from_file_location("score", shared_dir / "eval" / "score.py")
    score = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score)
    path = tmp_path / "export.csv"
    path.write_text(ex.export(fixture_glossary(), "csv"), encoding="utf-8")
    rows = score.load_export(str(path))
    assert len(rows) == len([t for t in fixture_glossary().terms if t.status != "rejected"])
    assert {"concept_id": "party_committee", "lang": "nb", "term": "partikomiteen"} in rows


def wide_rows(text: str, delimiter: str = ",") -> list[list[str]]:
    assert text.startswith("\ufeff")  # memoQ and Excel need the BOM to read UTF-8
    return list(csv.reader(io.StringIO(text[1:]), delimiter=delimiter))


def test_memoq_trados_sheet_has_one_term_per_cell_and_a_status_after_each():
    rows = wide_rows(ex.export(fixture_glossary(), "tsv"), "\t")
    header = rows[0]
    assert header[:3] == ["concept_id", "vi", "en"] and header[-2:] == ["definition", "note"]
    assert header.count("cs") == 2 and header[header.index("cs") + 1] == "cs status"
    skilled = dict(zip(header, rows[1]))  # first cell of each header
    assert rows[1][header.index("sv") : header.index("sv") + 4] == [
        "skicklig massmobilisering",
        "preferred",
        "Skickad massmobilisering",
        "deprecated",
    ]
    assert skilled["vi"] == "Dân vận khéo" and "Faglært" not in "".join(rows[1])  # proposed
    mass = rows[2][header.index("cs") : header.index("cs") + 4]
    assert mass == ["masová mobilizace", "preferred", "masové mobilizace", "admitted"]
    assert not any(";" in cell for row in rows for cell in row)
    semicolons = wide_rows(ex.export(fixture_glossary(), "csv-wide", delimiter=";"), ";")
    assert semicolons == rows


def test_memoq_sheet_imports_back_with_its_statuses(tmp_path):
    path = tmp_path / "memoq.csv"
    text = ex.export(fixture_glossary(), "csv-wide", include_proposed=True)
    assert "unverified" in text
    path.write_text(text, encoding="utf-8")
    got = {(t.concept_id, t.lang, t.term, t.status) for t in importer.import_file(path).terms}
    want = {
        (t.concept_id, t.lang, t.term, t.status)
        for t in fixture_glossary().terms
        if t.status != "rejected"
    }
    assert got == want


def test_wide_and_long_csv_import_back(tmp_path):
    for fmt, name in (("csv", "long.csv"), ("tsv", "wide.tsv")):
        path = tmp_path / name
        path.write_text(
            ex.export(fixture_glossary(), fmt, statuses=("preferred",)), encoding="utf-8"
        )
        g = importer.import_file(path)
        got = {(t.concept_id, t.lang, t.term, t.status) for t in g.terms}
        want = {
            (t.concept_id, t.lang, t.term, t.status)
            for t in fixture_glossary().terms
            if t.status == "preferred"
        }
        assert got == want, fmt


def test_omegat_glossary_for_a_language_pair():
    lines = ex.export(fixture_glossary(), "omegat", langs=["sv"]).splitlines()
    comment = "preferred; slogan; skilled mass mobilization (emulation movement)"
    avoid = "do not use: Skickad massmobilisering"
    assert f"Dân vận khéo\tskicklig massmobilisering\t{comment}; {avoid}" in lines
    assert all(len(line.split("\t")) == 3 for line in lines)
    assert not any("\tSkickad" in line for line in lines)
    en_nb = ex.export(fixture_glossary(), "omegat", langs=["en", "nb"]).splitlines()
    assert "Party committee\tpartikomiteen\tpreferred; organization" in en_nb
    with pytest.raises(UsageError, match="language pair"):
        ex.export(fixture_glossary(), "omegat")


def test_json_export_holds_the_full_structure():
    data = json.loads(ex.export(fixture_glossary(), "json", statuses=ex.parse_statuses("all")))
    skilled = data["concepts"][0]
    assert skilled["vi"] == "Dân vận khéo" and len(skilled["contexts"]) == 2
    assert {t["term"] for t in skilled["terms"]} >= {"Skickad massmobilisering"}
    assert data["about"]["model"] == "fixture"


def test_filters_and_bad_options():
    text = ex.export(
        fixture_glossary(), "csv", langs=["fr"], statuses=ex.parse_statuses("preferred")
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {(r["lang"], r["status"]) for r in rows} == {("fr", "preferred")}
    with pytest.raises(UsageError, match="unknown format"):
        ex.export(fixture_glossary(), "xlsx")
    with pytest.raises(UsageError, match="unknown status"):
        ex.parse_statuses("approved")


# ---------------------------------------------------------------- CLI
def test_cli_export_import_round_trip_through_the_workbook(tmp_path):
    from glossary import store

    workbook = tmp_path / "terms.xlsx"
    store.save(fixture_glossary(), workbook)
    env = {**os.environ, "GLOSSARY_CACHE": str(tmp_path / "cache")}

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "glossary.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    tbx = tmp_path / "terms.tbx"
    result = run(
        "export", "--format", "tbx", "--status", "all", "-o", str(tbx), "-g", str(workbook)
    )
    assert result.returncode == 0, result.stderr
    fresh = tmp_path / "fresh.xlsx"
    result = run("import", str(tbx), "-g", str(fresh))
    assert result.returncode == 0, result.stderr
    assert as_sets(store.load(fresh))[:3] == as_sets(fixture_glossary())[:3]
    stdout = run("export", "--format", "csv", "-g", str(workbook))
    assert stdout.stdout.startswith("concept_id,vi,en,kind,lang,term,status,confidence\n")
    bad = run("import", str(DATA / "malformed.tbx"), "-g", str(fresh))
    assert bad.returncode == 2 and "malformed TBX" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_cli_export_accepts_norwegian_as_nob_and_nb_no(tmp_path):
    from glossary import store

    workbook = tmp_path / "terms.xlsx"
    store.save(fixture_glossary(), workbook)
    env = {**os.environ, "GLOSSARY_CACHE": str(tmp_path / "cache")}
    outputs = []
    for code in ("nob", "nb-NO", "nb"):
        result = subprocess.run(
            [sys.executable, "-m", "glossary.cli", "export", "-f", "csv", "--lang", code,
             "-g", str(workbook)],
            capture_output=True, text=True, env=env, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    rows = list(csv.DictReader(io.StringIO(outputs[0])))
    assert rows and {r["lang"] for r in rows} == {"nb"}
    assert outputs[0] == outputs[1] == outputs[2]
    bad = subprocess.run(
        [sys.executable, "-m", "glossary.cli", "export", "--lang", "xx", "-g", str(workbook)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2 and "--lang" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_an_export_that_matches_nothing_says_so_and_writes_a_valid_empty_file(tmp_path, shared_dir):
    from glossary import store

    workbook = tmp_path / "terms.xlsx"
    store.save(fixture_glossary(), workbook)
    rng = etree.RelaxNG(etree.parse(str(shared_dir / "schemas" / "tbx" / "TBXcoreStructV03.rng")))
    for fmt in ("tbx", "tbx2", "csv-wide", "csv"):
        out = tmp_path / f"de.{fmt}"
        result = subprocess.run(
            [sys.executable, "-m", "glossary.cli", "export", "-f", fmt, "--lang", "de",
             "-o", str(out), "-g", str(workbook)],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "GLOSSARY_CACHE": str(tmp_path / "cache")},
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "no term matches this export" in result.stderr
        text = out.read_text(encoding="utf-8")
        if fmt == "tbx":
            doc = etree.fromstring(text.encode())
            assert rng.validate(doc) and doc.find(f".//{{{TBX}}}conceptEntry") is None
        elif fmt == "tbx2":
            assert etree.fromstring(text.encode()).find(".//termEntry") is None
        else:
            assert len(text.lstrip("\ufeff").splitlines()) == 1  # the header only


def test_long_csv_keeps_proposed_rows_other_formats_only_reviewed_ones():
    long_rows = list(csv.DictReader(io.StringIO(ex.export(fixture_glossary(), "csv"))))
    assert "proposed" in {r["status"] for r in long_rows}
    for fmt in ("tbx", "tbx2", "tsv", "json"):
        assert "Faglært massemobilisering" not in ex.export(fixture_glossary(), fmt), fmt
        assert "Faglært massemobilisering" in ex.export(
            fixture_glossary(), fmt, include_proposed=True
        )
