"""Nearest neighbours over unit vectors (cosine = inner product): every neighbour step of
alignment goes through here.

Exact search is numpy, block by block: the results the alignment was tuned on. Past
exact_max x exact_max pairs, and where faiss is installed (the `scale` extra), an
inverted-file index answers instead: exact search over n x n pairs grows as n^2, the index
scans about 4 sqrt(n) vectors per query. Each choice is kept as a `Search` record
for the run's stats.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import numpy as np

EXACT = "exact"  # numpy, block by block
DENSE = "dense"  # CSLS over a similarity matrix the caller has anyway (keyed alignment)
IVF = "faiss-ivf-sq8"  # faiss IndexIVFScalarQuantizer, 8-bit codes, exact re-ranking

Hits = tuple[np.ndarray, np.ndarray]  # (indices, similarities), one row per query, best first


def faiss_module():
    """The faiss module, or None where the `scale` extra is not installed."""
    try:
        import faiss
    except ImportError:
        return None
    return faiss


def approximate_available() -> bool:
    """Can searches past the exact size use an approximate index?"""
    return faiss_module() is not None


# ---------------------------------------------------------------- dense and exact
def csls(sim: np.ndarray, k: int = 8) -> np.ndarray:
    """Cross-domain similarity local scaling of a (rows x cols) cosine matrix."""
    if sim.size == 0:
        return sim
    k_rows = min(k, sim.shape[1])
    k_cols = min(k, sim.shape[0])
    r_rows = np.sort(sim, axis=1)[:, -k_rows:].mean(axis=1, keepdims=True)
    r_cols = np.sort(sim, axis=0)[-k_cols:, :].mean(axis=0, keepdims=True)
    return 2 * sim - r_rows - r_cols


def _top(sim: np.ndarray, k: int) -> Hits:
    """Per row, the k largest values (sorted) and their columns."""
    part = np.argpartition(-sim, k - 1, axis=1)[:, :k]
    part_val = np.take_along_axis(sim, part, axis=1)
    order = np.argsort(-part_val, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(part_val, order, axis=1)


def topk_both_ways(a: np.ndarray, b: np.ndarray, k: int, block: int = 2048) -> tuple[Hits, Hits]:
    """Exact top-k neighbours of a's rows in b and of b's rows in a, from one pass over a @ b.T.

    Works block by block, so memory stays O(block * len(b)) instead of O(len(a) * len(b)).
    """
    ka, kb = max(1, min(k, len(b))), max(1, min(k, len(a)))
    idx_a = np.zeros((len(a), ka), dtype=np.int64)
    val_a = np.zeros((len(a), ka), dtype=np.float32)
    idx_b = np.zeros((len(b), 0), dtype=np.int64)
    val_b = np.zeros((len(b), 0), dtype=np.float32)
    for start in range(0, len(a), block):
        sim = a[start : start + block] @ b.T
        idx_a[start : start + block], val_a[start : start + block] = _top(sim, ka)
        # Merge this block's best rows for each column of b into the running top-k.
        cols_idx, cols_val = _top(sim.T, min(kb, sim.shape[0]))
        idx_b = np.concatenate([idx_b, cols_idx + start], axis=1)
        val_b = np.concatenate([val_b, cols_val], axis=1)
        if idx_b.shape[1] > kb:
            keep, val_b = _top(val_b, kb)
            idx_b = np.take_along_axis(idx_b, keep, axis=1)
    return (idx_a, val_a), (idx_b, val_b)


def topk_blockwise(a: np.ndarray, b: np.ndarray, k: int, block: int = 2048) -> Hits:
    """Exact indices and similarities of the k most similar rows of b for each row of a."""
    (idx, val), _ = topk_both_ways(a, b, k, block)
    return idx, val


# ---------------------------------------------------------------- approximate
def ivf_lists(n: int) -> int:
    """Inverted lists for an index of n vectors: faiss's rule of thumb, 4 sqrt(n)."""
    return max(1, min(n // 39, round(4 * math.sqrt(n))))


class IvfIndex:
    """An inverted-file index over unit vectors with 8-bit codes; hits are re-ranked by their
    exact inner products, so a found neighbour's similarity is exact."""

    def __init__(self, vectors: np.ndarray, nprobe: int, seed: int = 1234):
        faiss = faiss_module()
        if faiss is None:
            raise RuntimeError("the approximate index needs faiss: pip install 'glossary[scale]'")
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = self.vectors.shape
        self.lists = ivf_lists(n)
        self.index = faiss.IndexIVFScalarQuantizer(
            faiss.IndexFlatIP(dim),
            dim,
            self.lists,
            faiss.ScalarQuantizer.QT_8bit,
            faiss.METRIC_INNER_PRODUCT,
        )
        # k-means on a fixed sample with a fixed seed: the same vectors give the same index.
        self.index.cp.seed = seed
        self.index.cp.niter = 10
        self.index.cp.max_points_per_centroid = 64
        self.index.train(self.vectors)
        self.index.add(self.vectors)
        self.index.nprobe = min(nprobe, self.lists)

    def search(self, queries: np.ndarray, k: int, block: int = 2048) -> Hits:
        """The k nearest indexed vectors of each query, best first."""
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        k = max(1, min(k, len(self.vectors)))
        wide = min(2 * k, len(self.vectors))  # a margin for the 8-bit codes' rounding
        idx = np.zeros((len(queries), k), dtype=np.int64)
        val = np.zeros((len(queries), k), dtype=np.float32)
        for start in range(0, len(queries), block):
            rows = queries[start : start + block]
            _dist, found = self.index.search(rows, wide)
            # Probed lists holding fewer than `wide` vectors leave -1s: repeat the best hit.
            found = np.where(found < 0, found[:, :1], found)
            exact = np.einsum("qd,qkd->qk", rows, self.vectors[np.maximum(found, 0)])
            exact[found < 0] = -np.inf
            order = np.argsort(-exact, axis=1, kind="stable")[:, :k]
            idx[start : start + block] = np.take_along_axis(found, order, axis=1)
            val[start : start + block] = np.take_along_axis(exact, order, axis=1)
        return idx, val


# ---------------------------------------------------------------- the chooser
@dataclass(frozen=True)
class Search:
    """One neighbour search as it was run, for the run's stats."""

    step: str  # what it was for, e.g. "discovery nb->sv": nb's neighbours among sv
    index: str  # EXACT, DENSE or IVF
    queries: int
    base: int  # vectors searched
    k: int
    seconds: float = 0.0
    lists: int = 0  # IVF: inverted lists, and how many each query probes
    probes: int = 0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Neighbours:
    """Chooses exact or approximate search for each step and records the choice."""

    exact_max: int = 6000  # searches up to exact_max x exact_max pairs are exact
    nprobe: int = 16  # IVF lists each query scans
    use_faiss: bool | None = None  # None: whenever faiss is installed
    searches: list[Search] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings) -> Neighbours:
        """The chooser with the sizes of an AlignSettings."""
        return cls(settings.neighbours_exact_max, settings.neighbours_nprobe)

    def can_approximate(self) -> bool:
        """Is the approximate index at hand (faiss installed and not turned off)?"""
        return approximate_available() if self.use_faiss is None else self.use_faiss

    def approximate(self, n_queries: int, n_base: int) -> bool:
        """Would a search of this size go to the approximate index?"""
        return self.can_approximate() and n_queries * n_base > self.exact_max**2

    def note_dense(self, step: str, rows: int, cols: int, k: int) -> None:
        """Record a CSLS over a dense (rows x cols) similarity matrix."""
        self.searches.append(Search(step, DENSE, rows, cols, k))

    def between(
        self, vectors: Mapping[str, np.ndarray], k: int, step: str = "discovery"
    ) -> dict[tuple[str, str], Hits]:
        """Top-k neighbours of every group's rows in every other group: {(a, b): hits of a's
        rows among b's}. Small pairs are searched exactly, both ways in one pass; each group
        that a large pair needs is indexed once and then dropped."""
        names = sorted(name for name in vectors if len(vectors[name]))
        hits: dict[tuple[str, str], Hits] = {}
        wanted: dict[str, list[str]] = {}  # base group -> query groups for the index
        for pos, a in enumerate(names):
            for b in names[pos + 1 :]:
                va, vb = vectors[a], vectors[b]
                if self.approximate(len(va), len(vb)):
                    wanted.setdefault(b, []).append(a)
                    wanted.setdefault(a, []).append(b)
                    continue
                began = time.perf_counter()
                hits[(a, b)], hits[(b, a)] = topk_both_ways(va, vb, k)
                spent = round(time.perf_counter() - began, 3)
                self.searches.append(Search(f"{step} {a}<->{b}", EXACT, len(va), len(vb), k, spent))
        for base in sorted(wanted):
            began = time.perf_counter()
            index = IvfIndex(vectors[base], self.nprobe)
            built = time.perf_counter() - began
            for query in sorted(wanted[base]):
                began = time.perf_counter()
                hits[(query, base)] = index.search(vectors[query], k)
                spent = round(time.perf_counter() - began + built, 3)
                built = 0.0  # the index's build counts once, with its first search
                self.searches.append(
                    Search(
                        f"{step} {query}->{base}", IVF, len(vectors[query]), len(vectors[base]),
                        k, spent, index.lists, index.index.nprobe,
                    )
                )  # fmt: skip
            del index
        return hits

    def summary(self) -> list[dict[str, object]]:
        """The recorded searches as JSON-ready rows."""
        return [s.to_dict() for s in self.searches]
