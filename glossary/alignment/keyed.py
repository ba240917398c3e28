"""Keyed assignment: for each concept of the list and each language, the best candidate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from glossary.alignment import evidence as ev
from glossary.alignment.neighbours import csls
from glossary.alignment.settings import AlignSettings
from glossary.models import Candidate, ConceptEntry
from glossary.text import gloss_variants


@dataclass(frozen=True)
class Proposal:
    """One term proposed for one concept in one language, with its evidence."""

    concept_id: str
    lang: str
    candidate: Candidate
    term: str
    confidence: float
    evidence: dict[str, float] = field(default_factory=dict)


def sub_terms(candidates: Sequence[Candidate]) -> dict[int, list[int]]:
    """For each candidate, the candidates whose key is a contiguous part of its key."""
    position = {c.key: i for i, c in enumerate(candidates)}
    subs: dict[int, list[int]] = {}
    for i, cand in enumerate(candidates):
        tokens = cand.key.split(" ")
        found = []
        for size in range(1, len(tokens)):
            for start in range(len(tokens) - size + 1):
                j = position.get(" ".join(tokens[start : start + size]))
                if j is not None:
                    found.append(j)
        if found:
            subs[i] = found
    return subs


def best_in_column(score: np.ndarray, j: int, subs, freq: np.ndarray, epsilon: float) -> int:
    """The top candidate for concept j, trimmed to a shorter sub-term used on its own when
    that scores nearly as well (span errors are the commonest mistake)."""
    i = int(np.argmax(score[:, j]))
    while True:
        shorter = [
            s for s in subs.get(i, ()) if score[s, j] >= score[i, j] - epsilon and freq[s] > freq[i]
        ]
        if not shorter:
            return i
        i = max(shorter, key=lambda s: score[s, j])


def score_matrix(
    cands: Sequence[Candidate],
    vec: np.ndarray,
    concepts: Sequence[ConceptEntry],
    queries: ev.Queries,
    rejected: frozenset[tuple[str, str, str]],
    lang: str,
    settings: AlignSettings,
) -> tuple[np.ndarray, np.ndarray]:
    """Evidence score of every candidate (rows) for every concept (columns) in one language,
    and the plain similarity it starts from."""
    vi_sim, gloss_sim = ev.concept_similarity(vec, queries)
    sim = (vi_sim + gloss_sim) / 2
    score = csls(sim, settings.csls_k)
    # Renderings are about as long as the gloss in characters (compounds included).
    score -= settings.length_penalty * ev.length_mismatch(cands, queries)
    score += settings.kind_bonus * ev.kind_agreement(cands, concepts, settings)
    score += settings.anchor_bonus * ev.shared_anchors(cands, concepts)
    edges, conj = ev.shape(cands, lang)
    wants_conj = np.array([ev.has_conjunction(c) for c in concepts])
    score -= settings.edge_penalty * edges[:, None]
    score -= settings.conj_penalty * (conj[:, None] & ~wants_conj[None, :])
    span = 1.0 - settings.cognate_floor
    for j, concept in enumerate(concepts):
        glosses = gloss_variants(concept.en)
        for i in np.argsort(-score[:, j])[: settings.cognate_top]:
            if glosses:
                cog = ev.cognate(cands[i].form, glosses)
                if cog >= settings.cognate_floor:
                    score[i, j] += settings.cognate_bonus * (cog - settings.cognate_floor) / span
            # A reviewer rejected the row under its headword (or, in older workbooks, its form).
            seen_as = {cands[i].form, cands[i].term}
            if any((concept.concept_id, lang, t) in rejected for t in seen_as):
                score[i, j] = -np.inf
    return score, sim


def choose(
    score: np.ndarray, cands: Sequence[Candidate], settings: AlignSettings
) -> dict[int, tuple[int, float, float]]:
    """Per concept: (candidate, score, margin over the runner-up); one concept per candidate."""
    freq = np.array([c.freq for c in cands])
    subs = sub_terms(cands)
    chosen = {}
    for j in range(score.shape[1]):
        i = best_in_column(score, j, subs, freq, settings.nest_epsilon)
        column = np.sort(score[:, j])[::-1]
        runner_up = column[1] if len(column) > 1 and column[0] == score[i, j] else column[0]
        chosen[j] = (i, float(score[i, j]), float(score[i, j] - runner_up))
    owner: dict[int, int] = {}
    for j, (i, s, _m) in chosen.items():
        if i not in owner or s > chosen[owner[i]][1]:
            owner[i] = j
    return {j: v for j, v in chosen.items() if owner[v[0]] == j}


def assign_keyed(
    by_lang: dict[str, list[Candidate]],
    vectors: dict[str, np.ndarray],
    concepts: Sequence[ConceptEntry],
    queries: ev.Queries,
    settings: AlignSettings,
    rejected: frozenset[tuple[str, str, str]] = frozenset(),
) -> list[Proposal]:
    """For each concept and language, the best candidate with a calibrated confidence."""
    langs = [lang for lang, cands in by_lang.items() if cands]
    scores, sims = {}, {}
    for lang in langs:
        scores[lang], sims[lang] = score_matrix(
            by_lang[lang], vectors[lang], concepts, queries, rejected, lang, settings
        )
    picks = {lang: choose(scores[lang], by_lang[lang], settings) for lang in langs}

    proposals = []
    for lang, chosen in picks.items():
        cands, vec = by_lang[lang], vectors[lang]
        for j, (i, s, margin) in chosen.items():
            others = [
                vectors[other][picks[other][j][0]]
                for other in picks
                if other != lang and j in picks[other]
            ]
            consistency = float(np.mean([vec[i] @ o for o in others])) if others else 0.0
            conf = settings.calibration.confidence(s, margin, consistency)
            evidence = {
                "score": round(s, 4),
                "margin": round(margin, 4),
                "consistency": round(consistency, 4),
                "similarity": round(float(sims[lang][i, j]), 4),
            }
            proposals.append(
                Proposal(
                    concepts[j].concept_id, lang, cands[i], cands[i].term, round(conf, 3), evidence
                )
            )
    return proposals
