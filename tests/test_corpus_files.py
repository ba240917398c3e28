"""Odd corpus files: pipes and devices, symlink loops, file names and encodings that are not
UTF-8, one very long line. Each is read or skipped by name; none hangs or aborts the run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from glossary.corpus import find_files, read_corpus, read_document, split_sentences

ARTICLE_NB = (
    "Partikomiteen styrker massemobiliseringsarbeidet\n\n"
    "Den provinsielle partikomiteen og Fedrelandsfronten la fram planen for "
    "massemobiliseringsarbeid i 2025. Partikomiteens leder talte om dyktig massemobilisering.\n"
)
ARTICLE_FR = (
    "Le comité provincial du Parti renforce la mobilisation des masses\n\n"
    "Le comité du Parti a présenté à la réunion le plan de mobilisation des masses pour "
    "l’année 2025. « Une mobilisation habile » était le mot d’ordre, déclaré à Hà Noi.\n"
)
ARTICLE_CS = (
    "Stranický výbor posiluje práci s lidmi\n\n"
    "Stranický výbor provincie představil plán práce s lidmi na rok 2025. Předseda výboru "
    "hovořil o „obratné mobilizaci mas“ a o úkolech pro příští období.\n"
)
ARTICLE_SV = (
    "Partikommittén stärker massmobiliseringen\n\n"
    "Partikommittén i provinsen presenterade planen för massmobilisering år 2025. "
    "Ordföranden talade om skicklig mobilisering och nära samarbete med fronten.\n"
)


def glossary(*args: str, cwd: Path, timeout: int = 120):
    """The glossary command in a fresh process; a hang fails the test instead of the suite."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLOSSARY_")}
    return subprocess.run(
        [sys.executable, "-m", "glossary", *args],
        cwd=cwd, capture_output=True, text=True, encoding="utf-8", errors="replace",
        env=env, timeout=timeout,
    )  # fmt: skip


# ---------------------------------------------------------------- only regular files
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_matched_by_a_glob_is_skipped_by_name_not_read(tmp_path):
    (tmp_path / "good.txt").write_text(ARTICLE_NB, encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.txt")  # reading it would wait for a writer for ever
    proc = glossary("read", "--json", str(tmp_path / "*.txt"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [Path(d["path"]).name for d in json.loads(proc.stdout)] == ["good.txt"]
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines == [f"skipped {tmp_path / 'pipe.txt'}: a pipe, not a regular file; not read"]


def test_a_device_is_skipped_by_name_not_read_into_memory():
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    files, skipped = find_files(["/dev/zer[o]"])
    assert files == []
    assert [(s.path, s.reason) for s in skipped] == [
        ("/dev/zero", "a device, not a regular file; not read")
    ]
    corpus = read_corpus(["/dev/zero"])  # named directly, too
    assert corpus.documents == [] and corpus.skipped[0].path == "/dev/zero"


# ---------------------------------------------------------------- each file once
def test_a_symlink_loop_reads_each_file_once(tmp_path):
    loop = tmp_path / "loop"
    loop.mkdir()
    (loop / "article.txt").write_text(ARTICLE_NB, encoding="utf-8")
    (loop / "again").symlink_to(loop, target_is_directory=True)  # loop/again/again/... is loop
    (tmp_path / "alias.txt").symlink_to(loop / "article.txt")
    corpus = read_corpus([str(loop / "**" / "*.txt"), str(loop), str(tmp_path / "alias.txt")])
    assert [d.path for d in corpus.documents] == [str(tmp_path / "alias.txt")]
    assert corpus.skipped == []


# ---------------------------------------------------------------- file names
def test_a_file_name_that_is_not_utf8_is_read_and_shown_with_a_replacement(tmp_path):
    folder = os.fsencode(tmp_path)
    try:
        with open(os.path.join(folder, b"caf\xe9.txt"), "wb") as fh:  # latin-1 "café.txt"
            fh.write(ARTICLE_NB.encode("utf-8"))
    except OSError:
        pytest.skip("this file system refuses file names that are not UTF-8")
    (tmp_path / "good.txt").write_text(ARTICLE_NB, encoding="utf-8")
    corpus = read_corpus([tmp_path])
    paths = sorted(d.path for d in corpus.documents)
    assert paths == [str(tmp_path / "caf\ufffd.txt"), str(tmp_path / "good.txt")]
    for doc in corpus.documents:
        doc.path.encode("utf-8")  # what the workbook stores: no surrogates left
    assert corpus.warnings == [
        f"{tmp_path / 'caf�.txt'}: the file name is not valid UTF-8; shown with U+FFFD"
    ]
    proc = glossary("read", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    assert "not valid UTF-8" in proc.stderr and "caf\ufffd.txt" in proc.stdout


# ---------------------------------------------------------------- encodings
@pytest.mark.parametrize(
    ("text", "encoding", "named", "lang"),
    [
        (ARTICLE_FR, "cp1252", "cp1252", "fr"),
        (ARTICLE_CS, "cp1250", "cp1250", "cs"),
        (ARTICLE_SV, "latin-1", "cp1252", "sv"),  # latin-1 letters are cp1252's too
    ],
)
def test_legacy_encodings_are_detected_and_named(tmp_path, text, encoding, named, lang):
    path = tmp_path / f"article-{lang}.txt"
    path.write_bytes(text.encode(encoding))
    doc = read_document(path)
    assert doc.encoding == named
    assert doc.text == text
    assert doc.lang == lang
    proc = glossary("read", "--json", str(path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["encoding"] == named
    proc = glossary("read", str(path), cwd=tmp_path)
    assert f"  {named}  " in proc.stdout


def test_utf8_with_a_stray_byte_is_read_with_a_warning_naming_the_offset(tmp_path):
    data = ARTICLE_SV.encode("utf-8")
    at = data.index(b"presenterade")
    path = tmp_path / "stray.txt"
    path.write_bytes(data[:at] + b"\x97" + data[at:])  # a cp1252 dash pasted into UTF-8
    corpus = read_corpus([path])
    (doc,) = corpus.documents
    assert doc.encoding == "utf-8" and doc.replaced == (at,)
    assert "\ufffdpresenterade" in doc.text and "Partikommittén" in doc.text
    assert corpus.warnings == [
        f"{path}: 1 byte is not UTF-8 (byte offset {at}); read as U+FFFD, the rest of the file "
        "as UTF-8"
    ]
    proc = glossary("read", str(path), cwd=tmp_path)
    assert proc.returncode == 0
    assert [ln for ln in proc.stderr.splitlines() if ln.strip()] == [
        f"warning: {corpus.warnings[0]}"
    ]


def test_binary_files_are_still_skipped_by_name(tmp_path):
    (tmp_path / "photo.txt").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "noise.txt").write_bytes(bytes((i * 37 + 11) % 256 for i in range(4000)))
    corpus = read_corpus([tmp_path])
    assert corpus.documents == []
    assert sorted(Path(s.path).name for s in corpus.skipped) == ["noise.txt", "photo.txt"]
    assert all("binary" in s.reason or "cannot be decoded" in s.reason for s in corpus.skipped)


# ---------------------------------------------------------------- long lines
def test_one_long_line_splits_like_the_same_text_in_paragraphs():
    # 1 MB on one line: the old splitter rescanned the line before each period (minutes here).
    sentence = "Partikomiteen i Hà Nội la fram planen for 2025. Lederen talte om «dyktig arbeid». "
    line = sentence * (1_000_000 // len(sentence))
    spans = split_sentences(line, "nb")
    assert len(spans) == 2 * (1_000_000 // len(sentence))
    assert [line[s:e] for s, e in spans[:2]] == [
        "Partikomiteen i Hà Nội la fram planen for 2025.",
        "Lederen talte om «dyktig arbeid».",
    ]
