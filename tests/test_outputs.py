"""Outputs that cannot half-write, cells no spreadsheet runs as formulas, inputs that end in one
clear line (exit 2) with the workbook untouched, and progress a log can show."""

from __future__ import annotations

import errno
import hashlib
import io
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pytest
from clirun import one_line, run

from glossary import cli, store
from glossary.embed import VectorCache
from glossary.errors import FormatError, OutputError
from glossary.export import render
from glossary.formats.concepts import load_concept_list
from glossary.formats.tabular import read_csv
from glossary.models import ConceptEntry, Glossary, TermEntry

TRAPS = (
    '=HYPERLINK("http://x.example","klikk")',
    "+47 kontor",
    "-partiet",
    "@SUM(A1)",
    "\tinnrykk",
)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def workbook(tmp_path) -> Path:
    """A small reviewed glossary whose terms start with the characters spreadsheets run."""
    concepts = [
        ConceptEntry("party", vi="đảng", en="party"),
        ConceptEntry("office", vi="văn phòng"),
    ]
    terms = [TermEntry("party", "nb", "partiet", "preferred")]
    terms += [TermEntry("office", "nb", trap.strip(), "admitted") for trap in TRAPS[:4]]
    path = tmp_path / "terms.xlsx"
    store.save(Glossary(concepts, terms, []), path)
    return path


# ---------------------------------------------------------------- export: where it goes
def test_export_to_a_missing_folder_is_one_line_and_writes_nothing(
    monkeypatch, capsys, workbook, tmp_path
):
    target = tmp_path / "missing" / "terms.csv"
    code, _, err = run(
        monkeypatch, capsys, "export", "-g", str(workbook), "-f", "csv", "-o", str(target)
    )
    assert code == 2
    assert one_line(err) == f"error: cannot write {target}: there is no folder {target.parent}"
    assert not target.parent.exists()


def test_export_to_a_folder_is_one_line(monkeypatch, capsys, workbook, tmp_path):
    code, _, err = run(monkeypatch, capsys, "export", "-g", str(workbook), "-o", str(tmp_path))
    assert code == 2
    assert "is a folder; give a file name" in one_line(err)


def test_export_where_no_file_can_be_created_is_one_line(monkeypatch, capsys, workbook):
    if not Path("/proc/self").is_dir():
        pytest.skip("no /proc")  # a place that refuses new files even to root
    code, _, err = run(monkeypatch, capsys, "export", "-g", str(workbook), "-o", "/proc/terms.tbx")
    assert code == 2
    assert one_line(err).startswith(
        "error: cannot write /proc/terms.tbx: folder /proc takes no new files"
    )


def test_a_full_disk_leaves_the_earlier_export_whole(monkeypatch, capsys, workbook, tmp_path):
    target = tmp_path / "terms.tbx"
    code, _, _ = run(monkeypatch, capsys, "export", "-g", str(workbook), "-o", str(target))
    assert code == 0
    before = digest(target)

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("glossary.output.os.fsync", full)
    code, _, err = run(
        monkeypatch, capsys, "export", "-g", str(workbook), "-f", "csv", "-o", str(target)
    )
    assert code == 2
    assert one_line(err) == (
        f"error: cannot write {target}: No space left on device; the earlier file is unchanged"
    )
    assert digest(target) == before
    assert not list(tmp_path.glob(".terms.tbx.*"))  # no temporary file left behind


# ---------------------------------------------------------------- export: formula-safe cells
def trap_glossary() -> Glossary:
    concepts = [ConceptEntry("c1", vi="văn phòng", en="office", note="=1+1")]
    terms = [
        TermEntry("c1", "nb", trap, "preferred" if i == 0 else "admitted")
        for i, trap in enumerate(TRAPS)
    ]
    return Glossary(concepts, terms, [])


def csv_cells(text: str, delimiter: str = ",") -> list[str]:
    import csv

    return [
        cell
        for row in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
        for cell in row
    ]


@pytest.mark.parametrize(("fmt", "delimiter"), [("csv", ","), ("csv-wide", ","), ("tsv", "\t")])
def test_spreadsheet_exports_neutralise_formula_cells(fmt, delimiter):
    g = trap_glossary()
    cells = csv_cells(render(g, fmt).text, delimiter)
    for trap in TRAPS:
        assert "'" + trap in cells and trap not in cells
    if fmt != "csv":
        assert "'=1+1" in cells  # the note column as well
    raw = csv_cells(render(g, fmt, raw=True).text, delimiter)
    assert all(trap in raw for trap in TRAPS)


def test_safe_cell_follows_owasp():
    from glossary.formats.tabular import safe_cell, unquote_cell

    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(start + "x") == "'" + start + "x"
        assert unquote_cell(safe_cell(start + "x")) == start + "x"
    assert safe_cell("partiet") == "partiet" and safe_cell(0.5) == 0.5
    assert unquote_cell("'s-Hertogenbosch") == "'s-Hertogenbosch"  # a real leading apostrophe


@pytest.mark.parametrize("fmt", ["omegat", "tbx", "tbx2", "json"])
def test_cat_formats_stay_raw(fmt):
    text = render(trap_glossary(), fmt, ["nb"] if fmt == "omegat" else ()).text
    assert "'=HYPERLINK" not in text and "'+47" not in text
    assert "HYPERLINK" in text


def test_importing_a_safe_csv_gives_back_the_terms_as_they_were():
    for fmt in ("csv", "csv-wide"):
        text = render(trap_glossary(), fmt).text
        terms = {t.term for t in read_csv(text.encode("utf-8"), "terms.csv").glossary.terms}
        assert {trap.strip() for trap in TRAPS} <= terms, fmt


def test_export_help_says_which_formats_are_made_safe(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(monkeypatch, capsys, "export", "--help")
    assert code == 0
    assert "--raw" in out and "formula" in out
    assert "omegat, tbx, tbx2 and json are always raw" in " ".join(out.split())


# ---------------------------------------------------------------- imports that end in one line
TBX_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<tbx type="TBX-Basic" style="dca" xml:lang="en" '
    'xmlns="urn:iso:std:iso:30042:ed-2"><text><body>'
)


def tbx_with(meta: str) -> str:
    return (
        f'{TBX_HEAD}<conceptEntry id="c1"><langSec xml:lang="nb"><termSec><term>partiet</term>'
        f"<!-- glossary: {meta} --></termSec></langSec></conceptEntry></body></text></tbx>\n"
    )


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("bad-json.tbx", tbx_with("{not json"), "a 'glossary:' note must hold a JSON object"),
        (
            "list.tbx",
            tbx_with('["status", "preferred"]'),
            "a 'glossary:' note must hold a JSON object",
        ),
        ("confidence.tbx", tbx_with('{"confidence": "high"}'), "confidence 'high' is not a number"),
        ("frequency.tbx", tbx_with('{"frequency": "many"}'), "frequency 'many' is not a number"),
        (
            "long-row.csv",
            "concept_id,vi,nb\nc1,đảng,partiet,extra\n",
            "line 2 has 4 cells but the header has 3",
        ),
        (
            "huge.csv",
            "concept_id,vi,nb\nc1,đảng," + "x" * 140_000 + "\n",
            "holds 140,000 characters",
        ),
    ],
)
def test_bad_imports_are_one_line_and_leave_the_workbook(
    monkeypatch, capsys, workbook, tmp_path, name, content, expected
):
    source = tmp_path / name
    source.write_text(content, encoding="utf-8")
    before = digest(workbook)
    code, _, err = run(monkeypatch, capsys, "import", str(source), "-g", str(workbook))
    assert code == 2
    line = one_line(err)
    assert line.startswith(f"error: {source.name}") and expected in line, line
    assert digest(workbook) == before


def test_a_concept_list_with_a_field_over_128_kib_is_one_clear_error(tmp_path):
    path = tmp_path / "concepts.csv"
    path.write_text("concept_id,vi,en\nc1,dân vận," + "x" * 140_000 + "\n", encoding="utf-8")
    with pytest.raises(
        FormatError, match="holds 140,000 characters; a spreadsheet cell holds at most 32,767"
    ):
        load_concept_list(path)
    path.write_text("concept_id,vi,en\nc1,dân vận," + "x" * 30_000 + "\n", encoding="utf-8")
    assert load_concept_list(path)[0].en == "x" * 30_000  # long, but a cell holds it


# ---------------------------------------------------------------- the embedding cache
class FullDisk:
    """A cache connection whose writes fail as SQLite's do on a full disk."""

    def __init__(self, db):
        self.db = db

    def __getattr__(self, name):
        return getattr(self.db, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def executemany(self, *args):
        raise sqlite3.OperationalError("database or disk is full")


def test_an_embedding_cache_on_a_full_disk_is_one_clear_error(tmp_path):
    cache = VectorCache(tmp_path / "cache", "model@1")
    cache.db = FullDisk(cache.db)
    with pytest.raises(OutputError) as caught:
        cache.put_many({"k": np.ones(4, dtype=np.float32)})
    message = str(caught.value)
    assert message.startswith(
        f"cannot write the embedding cache {cache.path}: database or disk is full"
    )
    assert "--cache-dir" in message and "\n" not in message


def test_an_embedding_cache_folder_that_cannot_be_made_is_one_clear_error(tmp_path):
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(OutputError, match="cannot write the embedding cache"):
        VectorCache(tmp_path / "file" / "cache", "model@1")


# ---------------------------------------------------------------- align checks its output first
def test_align_checks_the_workbook_folder_before_any_model_work(monkeypatch, seeds_dir, tmp_path):
    from glossary import pipeline

    def no_model(*args, **kwargs):
        raise AssertionError("the model was reached")

    monkeypatch.setattr(pipeline, "Embedder", no_model)
    monkeypatch.setattr(pipeline, "read_corpus", no_model)
    (tmp_path / "notes.txt").write_text("", encoding="utf-8")
    with pytest.raises(OutputError, match="notes.txt is a file, not a folder"):
        pipeline.run_align([seeds_dir], tmp_path / "notes.txt" / "terms.xlsx")
    if Path("/proc/self").is_dir():
        with pytest.raises(OutputError, match="folder /proc takes no new files"):
            pipeline.run_align([seeds_dir], "/proc/terms.xlsx")


# ---------------------------------------------------------------- progress in a log
def test_progress_without_a_terminal_is_a_plain_line_every_tenth_or_30_seconds(capsys):
    now = [0.0]
    progress = cli.PlainProgress("embedding", clock=lambda: now[0])
    progress(100, 1100)  # 100 came from the cache
    for done in range(150, 1101, 50):
        now[0] += 2.0
        progress(done, 1100)
    now[0] += 31.0
    progress(1100, 1100)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "embedding: 100/1100 (9%)"
    assert lines[1] == "embedding: 150/1100 (13%), 25.0/s, about 38 s left"
    assert lines[2].startswith("embedding: 250/1100 (22%)")
    assert lines[-2] == "embedding: 1100/1100 (100%), 25.0/s"
    assert len(lines) == 12  # the first, one per tenth, the end and 30 s later
    slow = cli.PlainProgress("embedding", clock=lambda: now[0])
    slow(0, 10_000)
    now[0] += 31.0
    slow(10, 10_000)  # far from the next tenth, but 30 s have passed
    assert (
        capsys.readouterr().err.splitlines()[-1]
        == "embedding: 10/10000 (0%), 0.3/s, about 8.6 h left"
    )


# ---------------------------------------------------------------- a whole run through a pipe
def test_align_through_a_pipe_with_odd_files_logs_progress_and_keeps_summaries_whole(
    tmp_path, tiny_model
):
    """A non-UTF-8 file name and a cp1252 article reach the workbook; stderr and stdout are
    pipes, so progress comes as plain lines and no summary line is wrapped at 80 columns."""
    import os
    import subprocess

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    article = (
        "Partikomiteen styrker massemobiliseringsarbeidet\n\n"
        "Den provinsielle partikomiteen og Fedrelandsfronten la fram planen for "
        "massemobiliseringsarbeid i 2025. Partikomiteens leder talte om «dyktig massemobilisering».\n"
    )
    try:
        with open(os.path.join(os.fsencode(corpus), b"artikkel-\xe6.txt"), "wb") as fh:
            fh.write(article.encode("utf-8"))
    except OSError:
        pytest.skip("this file system refuses file names that are not UTF-8")
    (corpus / "fransk.txt").write_bytes(
        "Le comité du Parti a présenté le plan de mobilisation des masses pour l’année 2025. "
        "« Une mobilisation habile » était le mot d’ordre du comité.\n".encode("cp1252")
    )
    workbook = tmp_path / (
        "a-workbook-with-a-long-name-so-that-the-summary-passes-80-columns" + ".xlsx"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLOSSARY_")}
    env.update(OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", COLUMNS="80")
    proc = subprocess.run(
        [sys.executable, "-m", "glossary", "align", str(corpus), "-g", str(workbook),
         "--model", tiny_model, "--cache-dir", str(tmp_path / "cache")],
        capture_output=True, text=True, encoding="utf-8", env=env, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert f"warning: {corpus / 'artikkel-�.txt'}: the file name is not valid UTF-8" in proc.stderr
    progress = [ln for ln in proc.stderr.splitlines() if ln.startswith("embedding: ")]
    assert progress and progress[-1].startswith("embedding: ") and "(100%)" in progress[-1]
    merged = next(ln for ln in proc.stdout.splitlines() if ln.startswith("merged into "))
    assert len(merged) > 80 and merged.startswith(f"merged into {workbook}: ")
    loaded = store.load(workbook)  # written whole: no surrogate reached the workbook
    documents = " ".join(
        [t.documents for t in loaded.terms] + [c.document for c in loaded.contexts]
    )
    assert "\udce6" not in documents
    assert loaded.about.get("documents") == "2"
