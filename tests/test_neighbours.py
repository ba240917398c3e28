"""Nearest neighbours: the exact path keeps today's results, the faiss index past the exact
size finds nearly all true neighbours, and without faiss everything stays exact."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from glossary.alignment.neighbours import (
    DENSE,
    EXACT,
    IVF,
    IvfIndex,
    Neighbours,
    topk_both_ways,
)


def units(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def clustered(
    rng: np.random.Generator, n: int, dim: int = 64, size: int = 20, centres=None
) -> np.ndarray:
    """n unit vectors in clusters of about `size`, like the phrases of one topic."""
    centres = rng.normal(size=(max(1, n // size), dim)) if centres is None else centres
    return units(centres[rng.integers(0, len(centres), n)] + 0.6 * rng.normal(size=(n, dim)))


def brute_force(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-(a @ b.T), axis=1, kind="stable")[:, :k]


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / len(t) for f, t in zip(found, truth)]))


def languages(seed: int, sizes: dict[str, int], dim: int = 32) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {lang: units(rng.normal(size=(n, dim))) for lang, n in sizes.items()}


@pytest.mark.parametrize("seed", range(3))
def test_exact_search_between_languages_is_the_old_numpy_search(seed):
    vectors = languages(seed, {"nb": 40, "sv": 25, "fr": 3})
    neighbours = Neighbours()
    hits = neighbours.between(vectors, k=10)
    for a, b in (("fr", "nb"), ("fr", "sv"), ("nb", "sv")):
        old_ab, old_ba = topk_both_ways(vectors[a], vectors[b], 10)
        for new, old in ((hits[(a, b)], old_ab), (hits[(b, a)], old_ba)):
            assert np.array_equal(new[0], old[0]) and np.array_equal(new[1], old[1])
        # and both are the true top-k (random floats: no ties)
        assert np.array_equal(hits[(a, b)][0], brute_force(vectors[a], vectors[b], 10))
        assert np.array_equal(hits[(b, a)][0], brute_force(vectors[b], vectors[a], 10))
    assert {s.index for s in neighbours.searches} == {EXACT}


def test_the_index_finds_nearly_all_true_neighbours_of_clustered_vectors(faiss):
    rng = np.random.default_rng(7)
    base = clustered(rng, 8000)
    queries = units(base[:1000] + 0.3 * rng.normal(size=(1000, base.shape[1])) / 8)
    index = IvfIndex(base, nprobe=16)
    assert index.lists == 205  # 8,000 / 39 (4 sqrt(8,000) is 358): a query scans 16 of them
    idx, val = index.search(queries, 10)
    truth = brute_force(queries, base, 10)
    assert recall(idx, truth) >= 0.95
    # a found neighbour's similarity is its exact inner product, best first
    np.testing.assert_allclose(val, np.einsum("qd,qkd->qk", queries, base[idx]), rtol=1e-5)
    assert (np.diff(val, axis=1) <= 1e-6).all()


def test_searches_past_the_exact_size_go_to_the_index_and_are_recorded(faiss):
    rng = np.random.default_rng(3)
    topics = rng.normal(size=(70, 64))  # the languages talk of the same things
    vectors = {lang: clustered(rng, n, centres=topics) for lang, n in (("nb", 1500), ("sv", 1200))}
    vectors["fr"] = clustered(rng, 30, centres=topics)
    # nb-sv: 1.8 M pairs, past 1000^2; fr is small enough to search exactly
    neighbours = Neighbours(exact_max=1000)
    hits = neighbours.between(vectors, k=10)
    chosen = {s.step: s for s in neighbours.searches}
    assert chosen["discovery nb->sv"].index == IVF and chosen["discovery sv->nb"].index == IVF
    assert chosen["discovery nb->sv"].lists > 1 and chosen["discovery nb->sv"].probes >= 1
    assert (chosen["discovery nb->sv"].queries, chosen["discovery nb->sv"].base) == (1500, 1200)
    assert chosen["discovery fr<->nb"].index == EXACT and chosen["discovery fr<->sv"].index == EXACT
    truth = brute_force(vectors["nb"], vectors["sv"], 10)
    assert recall(hits[("nb", "sv")][0], truth) >= 0.95
    assert all(s.to_dict()["k"] == 10 for s in neighbours.searches)


def test_without_faiss_every_search_is_exact(monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)  # `import faiss` now fails
    vectors = languages(5, {"nb": 50, "sv": 60})
    neighbours = Neighbours(exact_max=1)
    assert not neighbours.can_approximate()
    hits = neighbours.between(vectors, k=5)
    old_ab, _ = topk_both_ways(vectors["nb"], vectors["sv"], 5)
    assert np.array_equal(hits[("nb", "sv")][0], old_ab[0])
    assert [s.index for s in neighbours.searches] == [EXACT]


def test_the_same_vectors_give_the_same_index_results(faiss):
    rng = np.random.default_rng(11)
    base, queries = clustered(rng, 3000), clustered(rng, 500)
    first = IvfIndex(base, nprobe=8).search(queries, 10)
    again = IvfIndex(base, nprobe=8).search(queries, 10)
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])


def test_dense_csls_is_recorded_as_such():
    neighbours = Neighbours()
    neighbours.note_dense("keyed nb", 120, 7, 8)
    assert neighbours.summary() == [
        {"step": "keyed nb", "index": DENSE, "queries": 120, "base": 7, "k": 8, "seconds": 0.0,
         "lists": 0, "probes": 0}
    ]  # fmt: skip
