"""Cross-lingual alignment: candidate terms of several languages become concepts keyed to Vietnamese.

Evidence per (concept, language, term): similarity of the term to the concept's Vietnamese term and
English gloss, corrected for hubness (CSLS); agreement with the terms chosen in the other languages;
string evidence (codes, numbers, cognates, untranslated English); and the term's own termhood.
Every tuned number is in `AlignSettings` (glossary/data/align_settings.json).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from glossary.alignment.discovery import discover, discovery_pool, new_concepts
from glossary.alignment.evidence import Queries, encode_queries, query_texts
from glossary.alignment.keyed import Proposal, assign_keyed
from glossary.alignment.neighbours import Neighbours, csls, topk_blockwise, topk_both_ways
from glossary.alignment.ranking import rank_keyed
from glossary.alignment.settings import AlignSettings, Calibration, default_settings
from glossary.models import Candidate, ConceptEntry, ContextEntry, Glossary, TermEntry
from glossary.text import gloss_variants, match_key

__all__ = [
    "AlignResult", "AlignSettings", "AlignStats", "Calibration", "Neighbours", "Proposal", "align",
    "build_glossary", "csls", "default_settings", "discover", "gloss_variants", "topk_blockwise",
    "topk_both_ways",
]  # fmt: skip

TERM_TASK = "document"  # the model's prompt names, used only if the model defines them
QUERY_TASK = "query"


@dataclass(frozen=True)
class AlignStats:
    """What one alignment found and what it took."""

    concepts: int = 0
    new_concepts: int = 0
    terms_per_language: dict[str, int] = field(default_factory=dict)
    encoded_texts: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    # every nearest-neighbour search: its step, index (exact, dense or faiss), sizes and k
    neighbours: list[dict[str, object]] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class AlignResult:
    """The proposed glossary and what it took."""

    glossary: Glossary
    proposals: list[Proposal]
    new_concepts: list[str]
    stats: AlignStats


def _encode_lookup(embedder, texts: Sequence[str], task: str, progress) -> dict[str, np.ndarray]:
    unique = list(dict.fromkeys(texts))
    if not unique:
        return {}
    return dict(zip(unique, embedder.encode(unique, task=task, progress=progress)))


def _stack(lookup: dict[str, np.ndarray], items: Sequence[str]) -> np.ndarray:
    return np.stack([lookup[t] for t in items]) if items else np.zeros((0, 1), np.float32)


@dataclass
class Inputs:
    """What alignment works on: candidates per language, their vectors, the concepts' query
    vectors, and the vectors of reviewed terms per (concept index, language)."""

    by_lang: dict[str, list[Candidate]]
    vectors: dict[str, np.ndarray]
    concepts: list[ConceptEntry]
    queries: Queries | None
    accepted: dict[tuple[int, str], np.ndarray]
    term_vectors: dict[str, np.ndarray]


def prepare(
    candidates: Sequence[Candidate],
    embedder,
    concepts: Sequence[ConceptEntry] = (),
    *,
    langs: Sequence[str] | None = None,
    settings: AlignSettings | None = None,
    reviewed: Sequence[TermEntry] = (),
    progress: Callable[[int, int], None] | None = None,
) -> Inputs:
    """Group candidates by language and encode them, the concepts and the reviewed terms."""
    settings = settings or default_settings()
    wanted = set(langs) if langs else {c.lang for c in candidates}
    by_lang: dict[str, list[Candidate]] = defaultdict(list)
    for cand in candidates:
        if cand.lang in wanted:
            by_lang[cand.lang].append(cand)
    concepts = list(concepts)
    known = {c.concept_id: j for j, c in enumerate(concepts)}
    reviewed = [t for t in reviewed if t.concept_id in known]
    texts = [c.form for lang in sorted(by_lang) for c in by_lang[lang]] + [t.term for t in reviewed]
    # Asymmetric retrieval prompts where the model defines them (EmbeddingGemma): on the dev
    # seeds they raised keyed F1 from 0.63 to 0.64 and Vietnamese-only F1 from 0.33 to 0.41.
    terms = _encode_lookup(embedder, texts, TERM_TASK, progress)
    query_lookup = _encode_lookup(
        embedder, [t for c in concepts for t in query_texts(c)], QUERY_TASK, None
    )
    vectors = {lang: _stack(terms, [c.form for c in cands]) for lang, cands in by_lang.items()}
    queries = (
        encode_queries(concepts, lambda items: _stack(query_lookup, items), settings)
        if concepts
        else None
    )
    grouped: dict[tuple[int, str], list[str]] = defaultdict(list)
    for t in reviewed:
        grouped[(known[t.concept_id], t.lang)].append(t.term)
    accepted = {key: _stack(terms, texts) for key, texts in grouped.items()}
    return Inputs(dict(by_lang), vectors, concepts, queries, accepted, terms)


def keyed_proposals(
    inputs: Inputs,
    settings: AlignSettings,
    *,
    min_confidence: float | None = None,
    rejected: frozenset[tuple[str, str, str]] = frozenset(),
) -> list[Proposal]:
    """The proposals for the concept list, each at or above its confidence floor."""
    concepts = inputs.concepts
    if not concepts:
        return []
    floors = np.array(
        [settings.floor(bool(c.en)) if min_confidence is None else min_confidence for c in concepts]
    )
    args = (inputs.by_lang, inputs.vectors, concepts, inputs.queries, settings)
    if settings.ranker.active:
        return rank_keyed(*args, floors, rejected, inputs.accepted)
    known = {c.concept_id: j for j, c in enumerate(concepts)}
    return [p for p in assign_keyed(*args, rejected) if p.confidence >= floors[known[p.concept_id]]]


def align(
    candidates: Sequence[Candidate],
    embedder,
    concepts: Sequence[ConceptEntry] | None = None,
    *,
    langs: Sequence[str] | None = None,
    min_confidence: float | None = None,
    discover_new: bool = True,
    rejected: frozenset[tuple[str, str, str]] = frozenset(),
    progress: Callable[[int, int], None] | None = None,
    settings: AlignSettings | None = None,
    reviewed: Sequence[TermEntry] = (),
) -> AlignResult:
    """Align candidates into concepts keyed to Vietnamese terms (keyed and/or discovery mode).

    `reviewed` are terms a reviewer accepted (preferred or admitted): they stand for their
    concept in their language when the other languages are ranked.
    """
    settings = settings or default_settings()
    neighbours = Neighbours.from_settings(settings)
    timings: dict[str, float] = {}
    began = time.perf_counter()
    inputs = prepare(
        candidates, embedder, concepts or (), langs=langs, settings=settings,
        reviewed=reviewed, progress=progress,
    )  # fmt: skip
    timings["embed"] = time.perf_counter() - began

    began = time.perf_counter()
    proposals = keyed_proposals(inputs, settings, min_confidence=min_confidence, rejected=rejected)
    for lang, cands in sorted(inputs.by_lang.items()):
        if inputs.concepts and cands:  # CSLS over the candidates x concepts matrix it scores
            rows, cols = len(cands), len(inputs.concepts)
            neighbours.note_dense(f"keyed {lang}", rows, cols, settings.csls_k)
    found: list[ConceptEntry] = []
    if discover_new:
        taken = {(p.lang, p.candidate.key) for p in proposals}
        # A term a reviewer already accepted for some concept is not the seed of a new one.
        accepted = {(t.lang, match_key(t.term)) for t in reviewed}
        taken |= {
            (c.lang, c.key)
            for cands in inputs.by_lang.values()
            for c in cands
            if (c.lang, match_key(c.term)) in accepted or (c.lang, match_key(c.form)) in accepted
        }
        pool = {
            lang: discovery_pool(cands, lang, taken, settings, neighbours)
            for lang, cands in inputs.by_lang.items()
        }
        pool_vectors = {
            lang: _stack(inputs.term_vectors, [c.form for c in cs]) for lang, cs in pool.items()
        }
        groups = discover(
            pool, pool_vectors, settings.discovery_threshold, settings.discovery_k, neighbours
        )
        share = settings.new_concept_share
        cap = (
            max(settings.new_concept_rows_floor, int(share / (1 - share) * len(proposals)))
            if inputs.concepts
            else None
        )
        found, extra = new_concepts(
            groups, pool, {c.concept_id for c in inputs.concepts}, settings,
            beside_list=bool(inputs.concepts), min_confidence=min_confidence, max_rows=cap,
        )  # fmt: skip
        proposals += extra
    timings["align"] = time.perf_counter() - began
    label = getattr(embedder, "model_label", "") or getattr(embedder, "model_name", "")
    glossary = build_glossary(inputs.concepts, found, proposals, label)
    stats = AlignStats(
        concepts=len({p.concept_id for p in proposals}),
        new_concepts=len(found),
        terms_per_language=dict(sorted(Counter(p.lang for p in proposals).items())),
        encoded_texts=getattr(embedder, "encoded", 0),
        seconds={k: round(v, 2) for k, v in timings.items()},
        neighbours=neighbours.summary(),
    )
    return AlignResult(glossary, proposals, [c.concept_id for c in found], stats)


def build_glossary(
    concepts: Sequence[ConceptEntry],
    new_concepts: Sequence[ConceptEntry],
    proposals: Sequence[Proposal],
    model_name: str,
) -> Glossary:
    """The proposal as a Glossary: concepts, one proposed term row each, and their contexts."""
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    source = f"glossary align ({model_name})" if model_name else "glossary align"
    terms, contexts = [], []
    for p in sorted(proposals, key=lambda p: (p.concept_id, p.lang, -p.confidence, p.term)):
        cand = p.candidate
        evidence = "; ".join(f"{k}={v}" for k, v in p.evidence.items())
        terms.append(
            TermEntry(
                concept_id=p.concept_id,
                lang=p.lang,
                term=p.term,
                status="proposed",
                confidence=p.confidence,
                frequency=cand.freq,
                forms="; ".join(cand.forms),
                documents="; ".join(Path(d).name for d in cand.docs),
                context=cand.contexts[0].sentence if cand.contexts else "",
                source=source,
                updated=now,
                evidence=evidence,
            )
        )
        for ctx in cand.contexts:
            contexts.append(
                ContextEntry(
                    p.concept_id, p.lang, p.term, Path(ctx.doc).name, ctx.start, ctx.sentence
                )
            )
    return Glossary(concepts=list(concepts) + list(new_concepts), terms=terms, contexts=contexts)
