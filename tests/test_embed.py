"""Embedding: model choice, batched encoding, and the persistent, verified vector cache (tiny model)."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from glossary import embed
from glossary.embed import DEFAULT_MODEL, Embedder, model_identity, resolve_model
from glossary.errors import ModelError

TEXTS = ["partikomiteen", "masové mobilizace", "massamobilisatie", "partikomiteen", "Việt Nam"]


def _refuse_to_load(model: str):
    raise AssertionError(f"the model {model!r} was loaded although every vector is cached")


def _rows(cache_path: Path) -> list[tuple[str, int, bytes, str]]:
    with sqlite3.connect(cache_path) as db:
        return db.execute("SELECT key, dim, vec, sum FROM vectors ORDER BY key").fetchall()


def test_duplicate_texts_are_encoded_once(tiny_model, tmp_path):
    embedder = Embedder(tiny_model, tmp_path)
    vectors = embedder.encode(TEXTS)
    assert vectors.shape == (len(TEXTS), 32)
    assert vectors.dtype == np.float32
    assert embedder.encoded == len(set(TEXTS))
    assert np.array_equal(vectors[0], vectors[3])
    assert len(_rows(embedder.cache.path)) == len(set(TEXTS))


def test_vectors_are_unit_length(tiny_model, tmp_path):
    vectors = Embedder(tiny_model, tmp_path).encode(
        TEXTS + ["", " ", "«Faglært massemobilisering»"]
    )
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_vectors_match_the_model_itself(tiny_model, tmp_path):
    from sentence_transformers import SentenceTransformer

    direct = SentenceTransformer(tiny_model, device="cpu").encode(
        TEXTS, normalize_embeddings=True, convert_to_numpy=True
    )
    np.testing.assert_allclose(Embedder(tiny_model, tmp_path).encode(TEXTS), direct, atol=1e-5)


def test_cache_hit_returns_same_vectors_without_loading_the_model(
    tiny_model, tmp_path, monkeypatch
):
    first = Embedder(tiny_model, tmp_path)
    cold = first.encode(TEXTS)
    first.cache.close()

    monkeypatch.setattr(embed, "load_model", _refuse_to_load)
    second = Embedder(tiny_model, tmp_path)
    seen = []
    warm = second.encode(TEXTS, progress=lambda done, total: seen.append((done, total)))
    assert np.array_equal(warm, cold)
    assert second._model is None
    assert second.encoded == 0
    assert second.model_seconds == 0.0
    assert seen[-1] == (len(set(TEXTS)), len(set(TEXTS)))


def test_only_new_texts_reach_the_model_on_a_second_run(tiny_model, tmp_path):
    Embedder(tiny_model, tmp_path).encode(TEXTS)
    second = Embedder(tiny_model, tmp_path)
    vectors = second.encode(TEXTS + ["Fedrelandsfronten"])
    assert second.encoded == 1
    assert vectors.shape == (len(TEXTS) + 1, 32)


def test_progress_reports_every_text_once_done(tiny_model, tmp_path):
    texts = [f"ord {i}" for i in range(embed.CHUNK + 10)]
    seen = []
    Embedder(tiny_model, tmp_path).encode(texts, progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, len(texts))
    assert seen[-1] == (len(texts), len(texts))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_empty_input_needs_no_model(tiny_model, tmp_path, monkeypatch):
    monkeypatch.setattr(embed, "load_model", _refuse_to_load)
    embedder = Embedder(tiny_model, tmp_path)
    assert len(embedder.encode([])) == 0


@pytest.mark.parametrize("damage", ["flip_bytes", "truncate", "wrong_dim", "null_blob"])
def test_corrupt_cache_row_is_detected_and_recomputed(tiny_model, tmp_path, damage):
    first = Embedder(tiny_model, tmp_path)
    good = first.encode(TEXTS)
    first.cache.close()
    path = first.cache.path
    key, dim, blob, _sum = next(
        row for row in _rows(path) if row[0] == embed.VectorCache.key("", "partikomiteen")
    )
    with sqlite3.connect(path) as db:
        if damage == "flip_bytes":
            bad = bytes(b ^ 0xFF for b in blob[:8]) + blob[8:]
            db.execute("UPDATE vectors SET vec = ? WHERE key = ?", (bad, key))
        elif damage == "truncate":
            db.execute("UPDATE vectors SET vec = ? WHERE key = ?", (blob[:-4], key))
        elif damage == "wrong_dim":
            db.execute("UPDATE vectors SET dim = ? WHERE key = ?", (dim + 1, key))
        else:
            db.execute("UPDATE vectors SET vec = NULL WHERE key = ?", (key,))

    second = Embedder(tiny_model, tmp_path)
    again = second.encode(TEXTS)
    assert second.encoded == 1  # only the damaged row went back through the model
    np.testing.assert_allclose(again, good, atol=1e-6)
    second.cache.close()
    # The recomputed vector replaced the bad row: a third run trusts it again.
    third = Embedder(tiny_model, tmp_path)
    third.encode(TEXTS)
    assert third.encoded == 0


def test_unreadable_cache_file_is_rebuilt_not_a_crash(tiny_model, tmp_path):
    first = Embedder(tiny_model, tmp_path)
    good = first.encode(TEXTS[:2])
    first.cache.close()
    for leftover in tmp_path.glob("vectors-*.sqlite-*"):
        leftover.unlink()
    first.cache.path.write_bytes(b"this is not a database\x00" * 50)
    second = Embedder(tiny_model, tmp_path)
    again = second.encode(TEXTS[:2])  # rebuilt, not an error
    np.testing.assert_allclose(again, good, atol=1e-6)
    assert second.encoded == 2


_WORKER = """
import hashlib, json, sys
import numpy as np
from glossary.embed import Embedder

class HashModel:
    # Stands in for the network so the processes start fast; the cache is what is under test.
    def encode(self, texts, **_options):
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest(), dtype=np.uint8) for t in texts]
        vectors = np.array(rows, dtype=np.float32) - 127.5
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

model, cache, out, first = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
# Overlapping halves, so both processes write some of the same rows at the same time.
texts = [f"begrep {i}" for i in range(first, first + 1500)]
embedder = Embedder(model, cache)
embedder._model = HashModel()
np.save(out, embedder.encode(texts))
print(json.dumps({"encoded": embedder.encoded}))
"""


def test_two_processes_can_share_one_cache(tiny_model, tmp_path):
    cache = tmp_path / "cache"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _WORKER,
                tiny_model,
                str(cache),
                str(tmp_path / f"v{n}.npy"),
                str(500 * n),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for n in range(2)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    for proc, (stdout, stderr) in zip(procs, results):
        assert proc.returncode == 0, stderr[-2000:]
        assert json.loads(stdout.strip().splitlines()[-1])["encoded"] <= 1500
    a, b = np.load(tmp_path / "v0.npy"), np.load(tmp_path / "v1.npy")
    assert np.array_equal(a[500:], b[:1000])  # the shared texts got the same vectors
    # Whatever the interleaving, the shared cache now answers every text of both runs.
    third = Embedder(tiny_model, cache)
    both = third.encode([f"begrep {i}" for i in range(2000)])
    assert third.encoded == 0
    assert np.array_equal(both[:1500], a) and np.array_equal(both[500:], b)


def test_model_prompts_are_honoured(tiny_model, tmp_path, monkeypatch):
    embedder = Embedder(tiny_model, tmp_path)
    # The prompt is read from the folder, before (and without) loading the model.
    monkeypatch.setattr(embed, "load_model", _refuse_to_load)
    assert embedder.prompt_for("query") == "query: "
    assert embedder.prompt_for("no-such-task") == ""
    monkeypatch.undo()
    with_prompt = embedder.encode(["partikomiteen"], task="query")
    spelled_out = embedder.encode(["query: partikomiteen"])
    plain = embedder.encode(["partikomiteen"])
    np.testing.assert_allclose(with_prompt, spelled_out, atol=1e-5)
    assert not np.allclose(with_prompt, plain, atol=1e-3)


def test_model_identity_follows_the_folder_contents(tiny_model, tmp_path):
    copy = tmp_path / "tiny-copy"
    shutil.copytree(tiny_model, copy)
    assert model_identity(str(copy)) == model_identity(str(copy))
    before = model_identity(str(copy))
    config = copy / "config.json"
    data = json.loads(config.read_text(encoding="utf-8"))
    data["layer_norm_eps"] = 1e-6
    config.write_text(json.dumps(data), encoding="utf-8")
    assert model_identity(str(copy)) != before
    assert model_identity("sentence-transformers/LaBSE") == "sentence-transformers/LaBSE"


def test_changed_model_does_not_reuse_old_vectors(tiny_model, tmp_path):
    Embedder(tiny_model, tmp_path / "cache").encode(TEXTS)
    copy = tmp_path / "tiny-copy"
    shutil.copytree(tiny_model, copy)
    (copy / "README.md").write_text("retrained\n", encoding="utf-8")
    other = Embedder(str(copy), tmp_path / "cache")
    other.encode(TEXTS)
    assert other.encoded == len(set(TEXTS))


@pytest.mark.parametrize("where", ["missing_folder", "folder_without_model"])
def test_unloadable_model_fails_with_one_line_saying_how_to_fix_it(tmp_path, where):
    folder = tmp_path / "nowhere" if where == "missing_folder" else tmp_path / "empty"
    if where == "folder_without_model":
        folder.mkdir()
        (folder / "config.json").write_text("{}", encoding="utf-8")
    embedder = Embedder(str(folder), tmp_path / "cache")
    with pytest.raises(ModelError) as caught:
        embedder.encode(["partikomiteen"])
    message = str(caught.value)
    assert "\n" not in message
    assert str(folder) in message
    assert "--model" in message and "GLOSSARY_MODEL" in message


def test_model_choice_prefers_option_then_environment_then_default(monkeypatch):
    monkeypatch.delenv("GLOSSARY_MODEL", raising=False)
    assert resolve_model(None) == DEFAULT_MODEL
    monkeypatch.setenv("GLOSSARY_MODEL", "/models/from-env")
    assert resolve_model(None) == "/models/from-env"
    assert resolve_model("/models/from-option") == "/models/from-option"
    monkeypatch.setenv("GLOSSARY_MODEL", "")
    assert resolve_model(None) == DEFAULT_MODEL


def test_cache_folder_follows_glossary_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("GLOSSARY_CACHE", str(tmp_path / "elsewhere"))
    assert embed.default_cache_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("GLOSSARY_CACHE")
    assert embed.default_cache_dir() == Path.home() / ".cache" / "glossary"


def test_embedder_uses_glossary_cache_when_no_folder_is_given(tiny_model, tmp_path, monkeypatch):
    monkeypatch.setenv("GLOSSARY_CACHE", str(tmp_path / "env-cache"))
    embedder = Embedder(tiny_model)
    embedder.encode(["partikomiteen"])
    assert embedder.cache.path.parent == tmp_path / "env-cache"
    assert embedder.cache.path.is_file()


# ---------------------------------------------------------------- what reaches the model
class RecordingModel:
    """Stands in for the model: hashed vectors, and a record of every text it was given."""

    def __init__(self):
        self.seen: list[str] = []

    def encode(self, texts, **_options):
        self.seen += list(texts)
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest(), dtype=np.uint8) for t in texts]
        vectors = np.array(rows, dtype=np.float32) - 127.5
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_texts_that_differ_in_case_or_quotes_are_each_encoded(tiny_model, tmp_path):
    # EmbeddingGemma's vectors of such variants are too far apart to share (variants.py)
    embedder = Embedder(tiny_model, tmp_path)
    embedder._model = model = RecordingModel()
    texts = ["Propaganda", "propaganda", "«propaganda»", "TAM", "Tam", "propaganda"]
    vectors = embedder.encode(texts)
    assert sorted(model.seen) == sorted(set(texts))
    assert embedder.encoded == 5
    assert not np.array_equal(vectors[1], vectors[2])
    assert np.array_equal(vectors[1], vectors[5])


def test_a_warm_align_never_loads_the_model(tiny_model, tmp_path, monkeypatch):
    from glossary import backends
    from glossary.pipeline import run_align

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "article.txt").write_text(
        "Den provinsielle partikomiteen og Fedrelandsfronten la fram planen for "
        "massemobiliseringsarbeid. Partikomiteens leder talte om «dyktig massemobilisering».\n",
        encoding="utf-8",
    )
    concepts = tmp_path / "concepts.csv"
    concepts.write_text("concept_id,vi,en\nmass_mobilization,dân vận,mass mobilization\n",
                        encoding="utf-8")  # fmt: skip
    options = {"concepts_file": concepts, "model": tiny_model, "cache_dir": tmp_path / "cache"}
    cold = run_align([corpus], tmp_path / "cold.xlsx", **options)
    assert cold.stats.align.encoded_texts > 0
    monkeypatch.setattr(embed, "load_model", _refuse_to_load)
    monkeypatch.setattr(backends, "load_torch", _refuse_to_load)
    monkeypatch.setattr(embed, "convert", _refuse_to_load)
    warm = run_align([corpus], tmp_path / "warm.xlsx", **options)
    assert warm.stats.align.encoded_texts == 0
    assert warm.stats.model_seconds == 0
