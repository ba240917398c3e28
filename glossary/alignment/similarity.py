"""Nearest neighbours and hubness correction over unit vectors (cosine = dot product)."""

from __future__ import annotations

import numpy as np


def csls(sim: np.ndarray, k: int = 8) -> np.ndarray:
    """Cross-domain similarity local scaling of a (rows x cols) cosine matrix."""
    if sim.size == 0:
        return sim
    k_rows = min(k, sim.shape[1])
    k_cols = min(k, sim.shape[0])
    r_rows = np.sort(sim, axis=1)[:, -k_rows:].mean(axis=1, keepdims=True)
    r_cols = np.sort(sim, axis=0)[-k_cols:, :].mean(axis=0, keepdims=True)
    return 2 * sim - r_rows - r_cols


def _top(sim: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the k largest values (sorted) and their columns."""
    part = np.argpartition(-sim, k - 1, axis=1)[:, :k]
    part_val = np.take_along_axis(sim, part, axis=1)
    order = np.argsort(-part_val, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(part_val, order, axis=1)


def topk_both_ways(a: np.ndarray, b: np.ndarray, k: int, block: int = 2048):
    """Top-k neighbours of a's rows in b and of b's rows in a, from one pass over a @ b.T.

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


def topk_blockwise(a: np.ndarray, b: np.ndarray, k: int, block: int = 2048):
    """Indices and similarities of the k most similar rows of b for each row of a."""
    (idx, val), _ = topk_both_ways(a, b, k, block)
    return idx, val
