"""Writers that crash or race never leave a broken workbook or lose each other's work."""

from __future__ import annotations

import os
import pickle
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from glossary import store
from glossary.models import ConceptEntry, ContextEntry, Glossary, TermEntry

WRITER = Path(__file__).parent / "data" / "store" / "writer.py"
LANGS = ("nb", "nl", "cs", "sv", "fr")


def glossary_of(tag: str, concepts: int) -> Glossary:
    """A glossary big enough that a save takes a noticeable time."""
    g = Glossary(about={"run": tag})
    for i in range(concepts):
        cid = f"{tag}-{i:04d}"
        g.concepts.append(ConceptEntry(cid, vi=f"khái niệm {tag} {i}", en=f"concept {i}"))
        for lang in LANGS:
            term = f"{tag} term {i} ({lang}) – «ví dụ»"
            g.terms.append(TermEntry(cid, lang, term, confidence=0.5, frequency=i))
            g.contexts.append(ContextEntry(cid, lang, term, f"{lang}/{i}.txt", i, term + "."))
    return g


def dump(tmp_path: Path, name: str, glossary: Glossary) -> Path:
    path = tmp_path / f"{name}.pickle"
    path.write_bytes(pickle.dumps(glossary))
    return path


def run_writer(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WRITER), *args],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )


def test_killed_writer_leaves_the_old_or_the_new_workbook(tmp_path):
    path = tmp_path / "terms.xlsx"
    old, new = glossary_of("old", 150), glossary_of("new", 170)
    store.save(old, path)
    versions = {"old": old.terms, "new": new.terms}
    rng = random.Random(4)
    other = {"old": "new", "new": "old"}
    seen = set()
    for _ in range(8):
        writer = run_writer(
            "save-loop", str(path), str(dump(tmp_path, "a", old)), str(dump(tmp_path, "b", new))
        )
        assert writer.stdout.readline().strip() == "ready"
        first = writer.stdout.readline().strip()  # may write nothing: "old" can be on disk
        assert first == "saved old", first
        began = time.monotonic()
        assert writer.stdout.readline().strip() == "saved new"
        one_save = time.monotonic() - began
        time.sleep(rng.uniform(0.05, 2.5 * one_save))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        rest = writer.stdout.read().splitlines()
        saved = ["new"] + [line.split()[1] for line in rest if line.startswith("saved")]
        writer.stdout.close()
        g = store.load(path)  # never a broken workbook
        tag = g.about["run"]
        assert g.terms == versions[tag]
        # The last save it finished, or the one it was making when killed; nothing else.
        assert tag in (saved[-1], other[saved[-1]]), (tag, saved)
        seen.add(tag)
    assert seen == {"old", "new"}, f"every kill left {seen}: the kills did not land mid-write"
    assert store.validate_file(path) == []
    # the next writer cleans up what the killed ones left behind
    store.save(old, path)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".terms")) == []


def test_two_processes_writing_at_once_keep_both_works(tmp_path):
    path = tmp_path / "terms.xlsx"
    first, second = glossary_of("alpha", 40), glossary_of("beta", 40)
    writers = [
        run_writer("update", str(path), str(dump(tmp_path, "alpha", first)), "3"),
        run_writer("update", str(path), str(dump(tmp_path, "beta", second)), "3"),
    ]
    for w in writers:
        assert w.wait(timeout=120) == 0
        w.stdout.close()
    g = store.load(path)
    ids = {c.concept_id for c in g.concepts}
    assert ids == {c.concept_id for c in first.concepts + second.concepts}
    assert len(g.terms) == len(first.terms) + len(second.terms)
    assert {t.frequency for t in g.terms if t.concept_id == "alpha-0007"} == {9}  # last of 3 runs
    assert store.validate_file(path) == []
