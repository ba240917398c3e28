"""The learned re-ranker: features of each concept's best candidates, and a greedy assignment.

For every concept and language, the hand-weighted evidence score (keyed.score_matrix) shortlists
`rank_k` candidates. Each gets features that carry information the score alone does not:
competition with the other concepts, agreement with the candidates (or reviewed terms) of the
same concept in the other languages, by meaning and by spelling (cognates across languages:
massemobilisering / massmobilisering), nested span alternatives, termhood and frequency. A linear
model over them (settings.ranker, fitted by `python -m benchmarks calibrate`) gives the
probability that the candidate renders the concept; that probability is the confidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from glossary.alignment import evidence as ev
from glossary.alignment.keyed import Proposal, score_matrix
from glossary.alignment.settings import AlignSettings, Ranker
from glossary.errors import UsageError
from glossary.models import Candidate, ConceptEntry
from glossary.text import gloss_variants

FEATURES = (
    "base", "sim_vi", "sim_gloss", "rank", "gap_top", "margin_next", "concept_rank",
    "row_margin", "length", "tokens", "termhood", "log_freq", "kind_fit", "anchor", "edges",
    "conj", "cognate", "xlang_max", "xlang_mean", "column_top", "sub_of_better",
    "super_of_better", "reviewed_sim", "has_gloss", "xlang_spelling_max", "xlang_spelling_mean",
)  # fmt: skip
XLANG_TOP = 3  # candidates of another language that stand for the concept there

# The features a reviewer sees as evidence, under names that explain themselves.
READABLE = {
    "sim_vi": "similarity_to_vi",
    "sim_gloss": "similarity_to_gloss",
    "xlang_max": "other_languages_agree",
    "row_margin": "margin_over_next",
}


@dataclass
class Shortlist:
    """The shortlisted (concept, candidate) rows of one language and their features."""

    lang: str
    concept: np.ndarray  # (rows,) index into the concept list
    candidate: np.ndarray  # (rows,) index into the language's candidates
    features: np.ndarray  # (rows, len(FEATURES))

    def column(self, name: str) -> np.ndarray:
        return self.features[:, FEATURES.index(name)]


@dataclass
class _Language:
    cands: list[Candidate]
    vec: np.ndarray
    base: np.ndarray  # (candidates, concepts) hand-weighted score
    sim_vi: np.ndarray
    sim_gloss: np.ndarray
    top: np.ndarray  # (concepts, rank_k) candidate indices, best first


def _language(lang, cands, vec, concepts, queries, rejected, settings) -> _Language:
    base, _sim = score_matrix(cands, vec, concepts, queries, rejected, lang, settings)
    sim_vi, sim_gloss = ev.concept_similarity(vec, queries)
    k = min(settings.rank_k, len(cands))
    top = np.argsort(-base, axis=0, kind="stable")[:k].T
    return _Language(cands, vec, base, sim_vi, sim_gloss, top)


def _contains(outer: str, inner: str) -> bool:
    """Is `inner` a contiguous run of the words of `outer` (and shorter)?"""
    a, b = outer.split(" "), inner.split(" ")
    return len(b) < len(a) and any(a[s : s + len(b)] == b for s in range(len(a) - len(b) + 1))


def _anchors_abroad(
    langs: dict[str, _Language], reviewed: dict[tuple[int, str], np.ndarray]
) -> dict[str, list[np.ndarray]]:
    """Per language, per concept: vectors that stand for the concept there (reviewed terms
    where a reviewer chose them, else the top shortlisted candidates)."""
    out = {}
    for lang, data in langs.items():
        per_concept = []
        for j in range(data.top.shape[0]):
            chosen = reviewed.get((j, lang))
            per_concept.append(chosen if chosen is not None else data.vec[data.top[j, :XLANG_TOP]])
        out[lang] = per_concept
    return out


def _spelled_abroad(folded: dict[str, list[str]], langs: dict[str, _Language]) -> dict:
    """Per language, per concept: the folded spellings of its top shortlisted candidates."""
    return {
        lang: [
            [folded[lang][i] for i in data.top[j] if np.isfinite(data.base[i, j])][:XLANG_TOP]
            for j in range(data.top.shape[0])
        ]
        for lang, data in langs.items()
    }


def _spelling(short: Shortlist, folded: list[str], spelled) -> np.ndarray:
    """Per row: the best spelling similarity (0..1) to its concept's top candidates in any other
    language, and the mean over the other languages of each one's best."""
    from rapidfuzz import fuzz, process

    out = np.zeros((len(short.concept), 2))
    others = [lang for lang in spelled if lang != short.lang]
    for j in np.unique(short.concept):
        rows = np.flatnonzero(short.concept == j)
        forms = [folded[i] for i in short.candidate[rows]]
        best = np.zeros((len(rows), len(others)))
        for n, other in enumerate(others):
            abroad = spelled[other][j]
            if abroad:
                best[:, n] = process.cdist(forms, abroad, scorer=fuzz.ratio).max(axis=1) / 100.0
        if others:
            out[rows] = np.column_stack([best.max(axis=1), best.mean(axis=1)])
    return out


def _xlang(vec_i: np.ndarray, j: int, lang: str, abroad) -> tuple[float, float]:
    best = [float((anchors @ vec_i).max()) for other, per in abroad.items() if other != lang
            for anchors in (per[j],) if len(anchors)]  # fmt: skip
    return (max(best), float(np.mean(best))) if best else (0.0, 0.0)


def _rows(lang, data: _Language, concepts, abroad, reviewed_any) -> Shortlist:
    """Feature rows of one language's shortlist."""
    n_concepts = len(concepts)
    order = np.argsort(-data.base, axis=1, kind="stable")  # concepts by score, per candidate
    concept_rank = np.empty_like(order)
    np.put_along_axis(concept_rank, order, np.arange(n_concepts)[None, :], axis=1)
    edges, conj = ev.shape(data.cands, lang)
    wants_conj = [ev.has_conjunction(c) for c in concepts]
    rows_c, rows_i, feats = [], [], []
    for j, concept in enumerate(concepts):
        glosses = gloss_variants(concept.en)
        column = data.base[data.top[j], j]
        for r, i in enumerate(data.top[j]):
            cand = data.cands[i]
            s = data.base[i, j]
            if not np.isfinite(s):
                continue  # rejected by a reviewer
            others = np.delete(data.base[i], j)
            row_margin = s - (others.max() if len(others) else 0.0)
            better = [data.cands[b].key for b in data.top[j, :r]]
            xmax, xmean = _xlang(data.vec[i], j, lang, abroad)
            rev = reviewed_any.get(j)
            values = {
                "base": s,
                "sim_vi": data.sim_vi[i, j],
                "sim_gloss": data.sim_gloss[i, j],
                "rank": np.log1p(r),
                "gap_top": s - column[0],
                "margin_next": s - column[r + 1] if r + 1 < len(column) else 0.0,
                "concept_rank": np.log1p(concept_rank[i, j]),
                "row_margin": row_margin,
                "length": 0.0,  # the three tables below are filled in by shortlists()
                "tokens": len(cand.form.split()),
                "termhood": cand.score,
                "log_freq": np.log1p(cand.freq),
                "kind_fit": 0.0,
                "anchor": 0.0,
                "edges": edges[i],
                "conj": float(conj[i] and not wants_conj[j]),
                "cognate": ev.cognate(cand.form, glosses) if glosses else 0.0,
                "xlang_max": xmax,
                "xlang_mean": xmean,
                "column_top": column[0],
                "sub_of_better": float(any(_contains(b, cand.key) for b in better)),
                "super_of_better": float(any(_contains(cand.key, b) for b in better)),
                "reviewed_sim": float((rev @ data.vec[i]).max()) if rev is not None else 0.0,
                "has_gloss": float(bool(glosses)),
                "xlang_spelling_max": 0.0,  # filled in by shortlists(), for all rows at once
                "xlang_spelling_mean": 0.0,
            }
            rows_c.append(j)
            rows_i.append(i)
            feats.append([values[name] for name in FEATURES])
    features = np.array(feats, dtype=float).reshape(len(feats), len(FEATURES))
    return Shortlist(lang, np.array(rows_c, int), np.array(rows_i, int), features)


def shortlists(
    by_lang: dict[str, list[Candidate]],
    vectors: dict[str, np.ndarray],
    concepts: Sequence[ConceptEntry],
    queries: ev.Queries,
    settings: AlignSettings,
    rejected: frozenset[tuple[str, str, str]] = frozenset(),
    reviewed: dict[tuple[int, str], np.ndarray] | None = None,
) -> list[Shortlist]:
    """Every language's shortlist with features. `reviewed` maps (concept index, lang) to the
    vectors of the terms a reviewer accepted there."""
    reviewed = reviewed or {}
    langs = {
        lang: _language(lang, cands, vectors[lang], concepts, queries, rejected, settings)
        for lang, cands in by_lang.items()
        if cands
    }
    length = {lang: ev.length_mismatch(d.cands, queries) for lang, d in langs.items()}
    kind = {lang: ev.kind_agreement(d.cands, concepts, settings) for lang, d in langs.items()}
    anchor = {lang: ev.shared_anchors(d.cands, concepts) for lang, d in langs.items()}
    abroad = _anchors_abroad(langs, reviewed)
    folded = {lang: [ev.ascii_key(c.form) for c in d.cands] for lang, d in langs.items()}
    spelled = _spelled_abroad(folded, langs)
    reviewed_any: dict[int, np.ndarray] = {}
    for (j, _lang), vecs in reviewed.items():
        reviewed_any[j] = np.vstack([reviewed_any[j], vecs]) if j in reviewed_any else vecs
    out = []
    for lang, data in langs.items():
        short = _rows(lang, data, concepts, abroad, reviewed_any)
        for name, table in (("length", length), ("kind_fit", kind), ("anchor", anchor)):
            short.features[:, FEATURES.index(name)] = table[lang][short.candidate, short.concept]
        at = FEATURES.index("xlang_spelling_max")
        short.features[:, at : at + 2] = _spelling(short, folded[lang], spelled)
        out.append(short)
    return out


def probabilities(short: Shortlist, ranker: Ranker) -> np.ndarray:
    """The ranker's probability for every shortlisted row."""
    if ranker.features != FEATURES:
        raise UsageError(
            "align settings: the ranker was fitted on other features; refit it with "
            "`python -m benchmarks calibrate --write`"
        )
    z = np.clip(ranker.logit(short.features), -60, 60)
    return 1.0 / (1.0 + np.exp(-z))


def assign(short: Shortlist, prob: np.ndarray, floors: np.ndarray) -> list[tuple[int, int, float]]:
    """Greedy one-to-one assignment, most probable first: (concept, candidate, probability)
    for every concept whose best free candidate reaches its floor."""
    taken_c: set[int] = set()
    taken_i: set[int] = set()
    out = []
    for n in np.argsort(-prob, kind="stable"):
        j, i, p = int(short.concept[n]), int(short.candidate[n]), float(prob[n])
        if p < floors[j]:
            continue
        if j in taken_c or i in taken_i:
            continue
        taken_c.add(j)
        taken_i.add(i)
        out.append((j, i, p))
    return out


def ranked_proposals(
    short: Shortlist,
    cands: Sequence[Candidate],
    concepts: Sequence[ConceptEntry],
    settings: AlignSettings,
    floors: np.ndarray,
) -> list[Proposal]:
    """The proposals of one language under the learned ranker."""
    vi_only = settings.ranker_vi_only if settings.ranker_vi_only.active else settings.ranker
    rankers = [settings.ranker if c.en else vi_only for c in concepts]
    prob = np.zeros(len(short.concept))
    for ranker in {id(r): r for r in rankers}.values():
        rows = np.array([rankers[j] is ranker for j in short.concept], dtype=bool)
        if rows.any():
            prob[rows] = probabilities(_subset(short, rows), ranker)
    proposals = []
    for j, i, p in assign(short, prob, floors):
        n = np.flatnonzero((short.concept == j) & (short.candidate == i))[0]
        feature = {name: float(short.features[n, FEATURES.index(name)]) for name in READABLE}
        evidence = {READABLE[name]: round(value, 4) for name, value in feature.items()}
        evidence["similarity"] = round(max(feature["sim_vi"], feature["sim_gloss"]), 4)
        proposals.append(
            Proposal(
                concepts[j].concept_id, short.lang, cands[i], cands[i].term, round(p, 3), evidence
            )
        )
    return proposals


def _subset(short: Shortlist, rows: np.ndarray) -> Shortlist:
    return Shortlist(short.lang, short.concept[rows], short.candidate[rows], short.features[rows])


def rank_keyed(
    by_lang: dict[str, list[Candidate]],
    vectors: dict[str, np.ndarray],
    concepts: Sequence[ConceptEntry],
    queries: ev.Queries,
    settings: AlignSettings,
    floors: np.ndarray,
    rejected: frozenset[tuple[str, str, str]] = frozenset(),
    reviewed: dict[tuple[int, str], np.ndarray] | None = None,
) -> list[Proposal]:
    """Keyed proposals of every language under the learned ranker, floors applied."""
    proposals = []
    for short in shortlists(by_lang, vectors, concepts, queries, settings, rejected, reviewed):
        # A (concept, language) a reviewer has settled gets no further proposal.
        settled = [j for j, lang in (reviewed or {}) if lang == short.lang]
        lang_floors = floors.copy()
        lang_floors[settled] = np.inf
        proposals += ranked_proposals(short, by_lang[short.lang], concepts, settings, lang_floors)
    return proposals
