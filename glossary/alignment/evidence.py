"""Evidence about a candidate term for a concept: similarity queries, strings, kinds and shape."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from glossary.alignment.settings import AlignSettings
from glossary.models import Candidate, ConceptEntry
from glossary.text import QUOTE_MARKS, gloss_variants, strip_accents

CONJUNCTIONS = frozenset(
    {"og", "och", "en", "a", "i", "et", "and", "và", "ou", "eller", "of", "nebo"}
)


def ascii_key(text: str) -> str:
    """Casefolded and without accents (đ -> d), for string evidence."""
    return strip_accents(text.casefold())


def anchors(text: str) -> set[str]:
    """Exact anchors in a text: document codes (25-NQ/TW) and all-caps abbreviations (GPMB)."""
    found = set(re.findall(r"\d+-[A-ZĐa-zđ]+(?:/[A-Za-z]+)?", text))
    found |= set(re.findall(r"(?<![\w/-])[A-ZĐ]{2,6}(?![\w/-])", text))  # not inside a code
    return {ascii_key(a) for a in found}


def cognate(term: str, glosses: Sequence[str]) -> float:
    """Cognate / untranslated-English evidence: best fuzzy similarity to a gloss, 0..1."""
    from rapidfuzz import fuzz

    folded = ascii_key(term)
    return max((fuzz.ratio(folded, ascii_key(g)) / 100.0 for g in glosses if g), default=0.0)


# ---------------------------------------------------------------- concept queries
@dataclass
class Queries:
    """Vectors for each concept: its Vietnamese term and the alternatives of its gloss."""

    vi: np.ndarray  # (concepts, dim)
    alternatives: list[np.ndarray]  # per concept: (n_alternatives, dim), may be empty
    lengths: list[np.ndarray]  # per concept: expected term lengths in characters


def query_texts(concept: ConceptEntry) -> list[str]:
    """What is encoded for a concept: its Vietnamese term (or gloss, or id), then its gloss."""
    return [concept.vi or concept.en or concept.concept_id, *gloss_variants(concept.en)]


def encode_queries(concepts: Sequence[ConceptEntry], embed, settings: AlignSettings) -> Queries:
    """The query vectors of every concept; `embed` maps texts to unit vectors."""
    vi_texts = [query_texts(c)[0] for c in concepts]
    alts = [gloss_variants(c.en) for c in concepts]
    flat = [a for group in alts for a in group]
    vi = embed(vi_texts)
    flat_vec = embed(flat) if flat else np.zeros((0, vi.shape[1]), dtype=np.float32)
    out, pos = [], 0
    for group in alts:
        out.append(flat_vec[pos : pos + len(group)])
        pos += len(group)
    lengths = [
        np.array([len(a) for a in g], dtype=float)
        if g
        else np.array([settings.vi_length_ratio * len(v)])
        for g, v in zip(alts, vi_texts)
    ]
    return Queries(vi, out, lengths)


def concept_similarity(vectors: np.ndarray, queries: Queries) -> tuple[np.ndarray, np.ndarray]:
    """Cosine of each candidate to each concept's Vietnamese term, and to its best gloss
    alternative (the Vietnamese similarity where the concept has no gloss)."""
    vi_sim = vectors @ queries.vi.T
    gloss_sim = vi_sim.copy()
    for j, alt in enumerate(queries.alternatives):
        if len(alt):
            gloss_sim[:, j] = (vectors @ alt.T).max(axis=1)
    return vi_sim, gloss_sim


def length_mismatch(cands: Sequence[Candidate], queries: Queries) -> np.ndarray:
    """|log(term length / expected length)| in characters, per (candidate, concept)."""
    n_chars = np.array([len(c.form) for c in cands], dtype=float)
    out = np.zeros((len(cands), len(queries.lengths)))
    for j, expected in enumerate(queries.lengths):
        out[:, j] = np.abs(np.log(n_chars[:, None] / expected[None, :])).min(axis=1)
    return out


# ---------------------------------------------------------------- kinds, anchors, shape
def kind_agreement(
    cands: Sequence[Candidate], concepts: Sequence[ConceptEntry], settings: AlignSettings
) -> np.ndarray:
    """+1 / 0 / -1 per (candidate, concept): does the candidate's kind suit the concept's?"""
    fit = np.zeros((len(cands), len(concepts)))
    for j, concept in enumerate(concepts):
        table = settings.kind_fit.get(concept.kind, {})
        if table:
            fit[:, j] = [table.get(c.kind, 0) for c in cands]
    return fit


def shared_anchors(cands: Sequence[Candidate], concepts: Sequence[ConceptEntry]) -> np.ndarray:
    """1 where a candidate carries a code or abbreviation that its concept names, else 0."""
    shared = np.zeros((len(cands), len(concepts)))
    wanted = [anchors(f"{c.vi} {c.en}") for c in concepts]
    if not any(wanted):
        return shared
    for i, cand in enumerate(cands):
        own = anchors(cand.form)
        if own:
            for j, concept_anchors in enumerate(wanted):
                if own & concept_anchors:
                    shared[i, j] = 1.0
    return shared


def has_conjunction(concept: ConceptEntry) -> bool:
    """Does the concept itself coordinate two things ("places and units")?"""
    text = f"{concept.vi} {concept.en}".casefold()
    return "," in concept.vi or any(w in CONJUNCTIONS for w in re.findall(r"\w+", text))


def shape(cands: Sequence[Candidate], lang: str) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate: function words at its edges, and whether it coordinates two things."""
    from glossary.extract import function_words

    stop = function_words(lang)
    edges = np.zeros(len(cands))
    conj = np.zeros(len(cands), dtype=bool)
    for n, cand in enumerate(cands):
        words = [w.strip(QUOTE_MARKS + "'").casefold() for w in cand.form.split()]
        words = [w for w in words if w]
        if len(words) > 1:
            edges[n] = (words[0] in stop) + (words[-1] in stop)
            conj[n] = any(w in CONJUNCTIONS for w in words[1:-1])
    return edges, conj
