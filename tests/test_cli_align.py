"""`glossary align` as a user runs it: a real process, the tiny offline model, the seeds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from damage import empty_lock_file, huge_declared_row, read_only, zip_bomb

from glossary import store

CONCEPTS_CSV = """concept_id,vi,en,kind
mass_mobilization,dân vận,mass mobilization,term
party_committee,đảng ủy,party committee,organization
fatherland_front,Mặt trận Tổ quốc,Fatherland Front,organization
"""


SEEDS = ("000_f8ee477c81dbbf1d.txt", "002_4454af98e30bf413.txt", "003_3a33f52d9453375b.txt")
SMALL_ARTICLE = (
    "Partikomiteen styrker massemobiliseringsarbeidet\n\n"
    "Den provinsielle partikomiteen og Fedrelandsfronten la fram planen for "
    "massemobiliseringsarbeid i 2025. Partikomiteens leder talte om «dyktig massemobilisering».\n"
)


def glossary(*args: str, cwd: Path, env: dict[str, str] | None = None):
    """Run the glossary command in a fresh Python process, as a user would."""
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("GLOSSARY_")}
    # One torch thread: far faster for a tiny model on a small, busy machine. No network.
    run_env.update(OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    run_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "glossary.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=run_env,
        timeout=300,
    )


def error_line(proc) -> str:
    """The one line a failing command prints (blank lines aside), checked to be just that."""
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.fixture(scope="module")
def project(tmp_path_factory, seeds_dir, tiny_model) -> dict[str, Path]:
    """A working folder: a copy of three seeds plus three bad files, a concept list, a cache,
    and a one-article corpus for the runs that only need something to read."""
    root = tmp_path_factory.mktemp("align-cli")
    corpus = root / "corpus"
    corpus.mkdir()
    for seed in SEEDS:  # three of the five keep the model runs short
        shutil.copy(seeds_dir / seed, corpus / seed)
    small = root / "small"
    small.mkdir()
    (small / "article.txt").write_text(SMALL_ARTICLE, encoding="utf-8")
    (corpus / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    (corpus / "latin1.txt").write_bytes("Partikomitéen i byen".encode("latin-1") + b"\xff\xfe\x81")
    (corpus / "empty.txt").write_bytes(b"")
    (root / "concepts.csv").write_text(CONCEPTS_CSV, encoding="utf-8")
    return {"root": root, "corpus": corpus, "cache": root / "cache", "model": Path(tiny_model)}


def align_args(project, workbook: Path, *extra: str, corpus: str = "corpus") -> list[str]:
    return [
        "align", corpus, "--glossary", str(workbook), "--concepts", "concepts.csv",
        "--model", str(project["model"]), "--cache-dir", str(project["cache"]), *extra,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def first_run(project):
    """The first alignment of the corpus (cold cache), shared by the tests below."""
    workbook = project["root"] / "terms.xlsx"
    proc = glossary(*align_args(project, workbook), cwd=project["root"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, workbook


def test_bad_files_are_reported_by_name_and_the_run_goes_on(first_run):
    proc, workbook = first_run
    assert "Traceback" not in proc.stderr
    skipped = [line for line in proc.stderr.splitlines() if line.startswith("skipped ")]
    for name in ("photo.txt", "latin1.txt", "empty.txt"):
        assert any(name in line for line in skipped), proc.stderr
    assert not any("000_f8ee477c81dbbf1d" in line for line in skipped)
    assert f"{len(SEEDS)} documents" in proc.stdout
    assert workbook.is_file()
    glossary_read = store.load(workbook)
    assert {c.concept_id for c in glossary_read.concepts} >= {
        "mass_mobilization", "party_committee", "fatherland_front"
    }  # fmt: skip
    assert glossary_read.terms
    assert all(0.0 <= t.confidence <= 1.0 for t in glossary_read.terms)


def test_summary_names_stages_and_languages(first_run):
    proc, workbook = first_run
    assert "candidates" in proc.stdout and "concepts" in proc.stdout
    assert "terms per language" in proc.stdout
    assert "time:" in proc.stdout and "model" in proc.stdout
    assert str(workbook.name) in proc.stdout


def test_reviewer_edits_survive_realignment(project, first_run):
    _proc, first = first_run
    workbook = project["root"] / "reviewed.xlsx"
    shutil.copy(first, workbook)
    wb = openpyxl.load_workbook(workbook)
    ws = wb["Terms"]
    header = [c.value for c in ws[1]]
    col = {name: header.index(name) for name in ("concept_id", "lang", "term", "status", "note")}
    rows = [r for r in ws.iter_rows(min_row=2) if r[col["term"]].value]
    assert len(rows) >= 2
    kept, dropped = rows[0], rows[1]
    kept[col["status"]].value = "preferred"
    kept[col["note"]].value = "checked by Eva"
    dropped[col["status"]].value = "rejected"
    dropped[col["note"]].value = "wrong sense"
    edits = {
        (r[col["concept_id"]].value, r[col["lang"]].value, r[col["term"]].value): (status, note)
        for r, status, note in ((kept, "preferred", "checked by Eva"),
                                (dropped, "rejected", "wrong sense"))
    }  # fmt: skip
    wb.save(workbook)

    proc = glossary(*align_args(project, workbook), cwd=project["root"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    after = store.load(workbook)
    for (concept_id, lang, term), (status, note) in edits.items():
        same = [
            t for t in after.terms if (t.concept_id, t.lang, t.term) == (concept_id, lang, term)
        ]
        assert len(same) == 1, same  # kept once, and a rejected term is not proposed again
        assert (same[0].status, same[0].note) == (status, note)


def test_dry_run_writes_nothing_and_json_parses(project, first_run):
    _proc, first = first_run
    folder = project["root"] / "dry"
    folder.mkdir()
    existing = folder / "terms.xlsx"
    shutil.copy(first, existing)
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    proc = glossary(*align_args(project, existing, "--dry-run"), cwd=project["root"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "would change" in proc.stdout

    proc = glossary(*align_args(project, folder / "new.xlsx", "--dry-run", "--json"),
                    cwd=project["root"])  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before

    data = json.loads(proc.stdout)
    assert data["documents"] == len(SEEDS)
    assert {Path(s["path"]).name for s in data["skipped"]} == {
        "photo.txt", "latin1.txt", "empty.txt"
    }  # fmt: skip
    assert all(s["reason"] for s in data["skipped"])
    assert data["candidates"] > 0
    assert set(data["terms_per_language"]) <= {"nb", "cs", "sv", "en"}
    assert {"read", "extract", "embed", "align"} <= set(data["seconds"])
    # every neighbour search with the index chosen for it: on the seeds, keyed CSLS over the
    # dense candidates x concepts matrix and exact discovery links
    assert {row["index"] for row in data["neighbours"]} == {"dense", "exact"}
    assert all(row["k"] > 0 and row["base"] > 0 for row in data["neighbours"])
    assert data["merge"]
    # A second run over the same corpus takes every vector from the cache.
    assert data["encoded_texts"] == 0
    assert data["model_seconds"] == 0


# ---------------------------------------------------------------- stopping with one clear line
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["corpus", "--lang", "xx"], "xx"),
        (["no-such-folder/"], "no-such-folder"),
        (["corpus", "--min-confidence", "2"], "--min-confidence"),
        (["corpus", "--concepts", "missing.csv"], "missing.csv"),
    ],
)
def test_bad_arguments_stop_with_one_clear_line(project, args, expected):
    workbook = project["root"] / "untouched.xlsx"
    proc = glossary("align", *args, "--glossary", str(workbook), "--model",
                    str(project["model"]), "--cache-dir", str(project["cache"]),
                    cwd=project["root"])  # fmt: skip
    assert proc.returncode == 2
    line = error_line(proc)
    assert line.startswith("error:") and expected in line
    assert not workbook.exists()


def test_unloadable_model_says_how_to_point_at_a_local_one(project):
    workbook = project["root"] / "nomodel.xlsx"
    proc = glossary("align", "small", "--glossary", str(workbook), "--cache-dir",
                    str(project["root"] / "empty-cache"), cwd=project["root"],
                    env={"GLOSSARY_MODEL": str(project["root"] / "no-model-here")})  # fmt: skip
    assert proc.returncode == 2
    line = error_line(proc)
    assert "no-model-here" in line
    assert "--model" in line and "GLOSSARY_MODEL" in line
    assert not workbook.exists()


def _corrupt(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04 this is not really a workbook" * 20)


def _drop_term_column(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["Terms"]
    header = [c.value for c in ws[1]]
    ws.delete_cols(header.index("term") + 1)
    wb.save(path)


def _lock(path: Path) -> None:
    lock = path.with_name(f".~lock.{path.name}#")
    lock.write_text(",Eva Reviewer,host,22.11.2026 10:00,file:///home/eva;", encoding="utf-8")


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (_corrupt, "bad.xlsx"),
        (_drop_term_column, "term"),
        (_lock, "LibreOffice"),
        (empty_lock_file, "LibreOffice"),
        (read_only, "read-only"),
        (huge_declared_row, "past the limit of 1,048,576 rows"),
        (zip_bomb, "over the limit of 256 MiB"),
    ],
    ids=["corrupt", "missing-column", "locked", "empty-lock", "read-only", "huge-row", "zip-bomb"],
)
def test_bad_glossary_stops_and_stays_byte_identical(project, first_run, damage, expected):
    _proc, first = first_run
    folder = project["root"] / f"bad-{damage.__name__}"
    folder.mkdir()
    workbook = folder / "bad.xlsx"
    shutil.copy(first, workbook)
    damage(workbook)
    before = workbook.read_bytes()
    proc = glossary(*align_args(project, workbook), cwd=project["root"])
    assert proc.returncode == 2
    line = error_line(proc)
    assert line.startswith("error:") and expected in line
    assert workbook.read_bytes() == before


def test_locked_glossary_stops_before_any_model_work(project, first_run):
    _proc, first = first_run
    folder = project["root"] / "locked-early"
    folder.mkdir()
    workbook = folder / "terms.xlsx"
    shutil.copy(first, workbook)
    _lock(workbook)
    cache = folder / "cache"
    proc = glossary("align", "small", "--glossary", str(workbook), "--model",
                    str(project["model"]), "--cache-dir", str(cache), "--json",
                    cwd=project["root"])  # fmt: skip
    assert proc.returncode == 2
    assert not any(cache.glob("*.sqlite")), "the model ran although the workbook was locked"


def test_force_writes_a_workbook_whose_lock_is_stale(project, first_run):
    _proc, first = first_run
    folder = project["root"] / "stale-lock"
    folder.mkdir()
    workbook = folder / "terms.xlsx"
    shutil.copy(first, workbook)
    _lock(workbook)
    proc = glossary(*align_args(project, workbook, "--force"), cwd=project["root"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert store.load(workbook).terms
