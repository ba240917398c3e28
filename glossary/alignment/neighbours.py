"""Nearest neighbours over unit vectors (cosine = inner product): every neighbour step of
alignment goes through here.

Exact search is numpy, block by block: the results the alignment was tuned on. Past
exact_max x exact_max pairs, and where faiss is installed (the `scale` extra), an
inverted-file index over faiss's k-means answers instead: exact search between two groups of
n vectors costs n^2 inner products, the index (4 sqrt(n) lists, 32 probed) about 8 n sqrt(n).
Each choice is kept as a `Search` record for the run's stats.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import numpy as np

EXACT = "exact"  # numpy, block by block
DENSE = "dense"  # CSLS over a similarity matrix the caller has anyway (keyed alignment)
IVF = "ivf"  # inverted lists from faiss's k-means (IvfIndex)

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
    """Inverted lists for groups of up to n vectors: faiss's rule of thumb, 4 sqrt(n), and at
    least 39 training vectors per list."""
    return max(1, min(n // 39, round(4 * math.sqrt(n))))


class IvfIndex:
    """An inverted-file index over one group of vectors: faiss's k-means over a sample of them
    gives the lists, each vector is filed under its nearest centroid, and a query scans the
    members of the `nprobe` lists whose centroids are nearest to it: about nprobe x n / lists
    vectors, not n. The scan runs list by list, as one matrix product over the queries that
    probe the list: numpy's threads only, and similarities computed as exact search does."""

    def __init__(self, vectors: np.ndarray, nprobe: int, seed: int = 1234):
        faiss = faiss_module()
        if faiss is None:
            raise RuntimeError("the approximate index needs faiss: pip install 'glossary[scale]'")
        self.vectors = vectors
        self.lists = ivf_lists(len(vectors))
        self.nprobe = min(nprobe, self.lists)
        # A fixed sample and a fixed k-means seed: the same vectors give the same lists.
        rng = np.random.default_rng(seed)
        size = min(len(vectors), 64 * self.lists)
        picked = np.sort(rng.choice(len(vectors), size, replace=False))
        kmeans = faiss.Kmeans(
            vectors.shape[1], self.lists, niter=10, seed=seed, spherical=True,
            max_points_per_centroid=64, verbose=False,
        )  # fmt: skip
        kmeans.train(np.ascontiguousarray(vectors[picked], dtype=np.float32))
        self.centroids = kmeans.centroids
        owner = self.nearest_lists(vectors, 1)[:, 0]
        order = np.argsort(owner, kind="stable")
        bounds = np.searchsorted(owner[order], np.arange(self.lists + 1))
        self.members = [order[bounds[c] : bounds[c + 1]] for c in range(self.lists)]

    def nearest_lists(self, vectors: np.ndarray, n: int, block: int = 4096) -> np.ndarray:
        """Per vector, its n nearest lists, nearest first."""
        return np.concatenate(
            [_top(vectors[s : s + block] @ self.centroids.T, n)[0]
             for s in range(0, len(vectors), block)]
        )  # fmt: skip

    def search(self, queries: np.ndarray, k: int, block: int = 16384) -> Hits:
        """Top-k of the queries' rows among the indexed vectors, best first."""
        k = max(1, min(k, len(self.vectors)))
        idx = np.zeros((len(queries), k), dtype=np.int64)
        val = np.zeros((len(queries), k), dtype=np.float32)
        for start in range(0, len(queries), block):
            rows = queries[start : start + block]
            idx[start : start + len(rows)], val[start : start + len(rows)] = self._scan(rows, k)
        return idx, val

    def _scan(self, queries: np.ndarray, k: int) -> Hits:
        probes = self.nearest_lists(queries, self.nprobe)  # (queries, nprobe)
        found = np.full((len(queries), self.nprobe, k), -1, dtype=np.int64)
        sims = np.full((len(queries), self.nprobe, k), -np.inf, dtype=np.float32)
        flat = probes.ravel()
        order = np.argsort(flat, kind="stable")
        bounds = np.searchsorted(flat[order], np.arange(self.lists + 1))
        for c in range(self.lists):
            members = self.members[c]
            pairs = order[bounds[c] : bounds[c + 1]]
            if not len(members) or not len(pairs):
                continue
            who, slot = pairs // self.nprobe, pairs % self.nprobe
            top, top_sims = _top(queries[who] @ self.vectors[members].T, min(k, len(members)))
            found[who, slot, : top.shape[1]] = members[top]
            sims[who, slot, : top.shape[1]] = top_sims
        found, sims = found.reshape(len(queries), -1), sims.reshape(len(queries), -1)
        best, best_sims = _top(sims, k)
        idx = np.take_along_axis(found, best, axis=1)
        # Probed lists that held fewer than k vectors: those queries search exactly.
        short = np.flatnonzero((idx < 0).any(axis=1))
        if len(short):
            idx[short], best_sims[short] = topk_blockwise(queries[short], self.vectors, k)
        return idx, best_sims


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
    nprobe: int = 32  # inverted lists each query scans
    use_faiss: bool | None = None  # None: whenever faiss is installed
    searches: list[Search] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings) -> Neighbours:
        """The chooser with the sizes of an AlignSettings."""
        return cls(settings.neighbours_exact_max, settings.neighbours_nprobe)

    def can_approximate(self) -> bool:
        """Is the approximate index at hand (faiss installed and not turned off)?"""
        return approximate_available() if self.use_faiss is None else self.use_faiss

    def approximate(self, n_a: int, n_b: int) -> bool:
        """Would a search between groups of these sizes go to the approximate index?"""
        return self.can_approximate() and n_a * n_b > self.exact_max**2

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
            built = time.perf_counter() - began  # counted with the index's first search
            for query in sorted(wanted[base]):
                began = time.perf_counter()
                hits[(query, base)] = index.search(vectors[query], k)
                spent = round(time.perf_counter() - began + built, 3)
                built = 0.0
                self.searches.append(
                    Search(
                        f"{step} {query}->{base}", IVF, len(vectors[query]), len(vectors[base]),
                        k, spent, index.lists, index.nprobe,
                    )
                )  # fmt: skip
            del index  # one group's index in memory at a time
        return hits

    def summary(self) -> list[dict[str, object]]:
        """The recorded searches as JSON-ready rows."""
        return [s.to_dict() for s in self.searches]
