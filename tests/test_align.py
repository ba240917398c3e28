"""Alignment scoring and clustering on small hand-made vector sets (no model)."""

from __future__ import annotations

import hashlib
import sys

import numpy as np
import pytest

from glossary.alignment import (
    align,
    csls,
    default_settings,
    discover,
    gloss_variants,
    topk_blockwise,
)
from glossary.alignment.discovery import discovery_pool
from glossary.alignment.neighbours import DENSE, EXACT, IVF, Neighbours
from glossary.alignment.settings import Ranker
from glossary.models import Candidate, ConceptEntry, Context, Glossary, TermEntry

DIM = 64


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def noise(text: str, scale: float = 1.0) -> np.ndarray:
    """A fixed pseudo-random direction for a text (nearly orthogonal to the others in 64-d)."""
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
    return np.random.default_rng(seed).normal(size=DIM) * scale


AXES = {name: unit(noise(f"axis:{name}")) for name in ("mobil", "committee", "front", "dialogue")}


class FakeEmbedder:
    """Stands in for Embedder: texts listed in `meaning` lie near their concept's axis,
    every other text points somewhere unrelated."""

    model_name = "fake-model"

    def __init__(self, meaning: dict[str, str], spread: float = 0.25):
        self.meaning = meaning
        self.spread = spread
        self.encoded = 0
        self.calls: list[list[str]] = []

    def vector(self, text: str) -> np.ndarray:
        axis = self.meaning.get(text)
        if axis is None:
            return unit(noise(text))
        return unit(AXES[axis] + self.spread * unit(noise(text)))

    def encode(self, texts, task: str = "", progress=None) -> np.ndarray:
        self.calls.append(list(texts))
        self.encoded += len(set(texts))
        if progress:
            progress(len(set(texts)), len(set(texts)))
        return np.stack([self.vector(t) for t in texts]) if texts else np.zeros((0, DIM))


def cand(lang: str, form: str, freq: int = 2, kind: str = "term") -> Candidate:
    sentence = f"En setning med {form} i seg."
    start = sentence.index(form)
    return Candidate(
        lang=lang,
        key=form.casefold(),
        forms=(form,),
        freq=freq,
        score=float(freq),
        docs=(f"seeds/{lang}.txt",),
        contexts=(Context(f"seeds/{lang}.txt", sentence, start, start + len(form)),),
        kind=kind,
    )


CONCEPTS = [
    ConceptEntry("mass_mobilization", vi="dân vận", en="mass mobilization"),
    ConceptEntry("party_committee", vi="đảng ủy", en="party committee"),
    ConceptEntry("fatherland_front", vi="Mặt trận Tổ quốc", en="Fatherland Front"),
]
RIGHT = {
    ("mass_mobilization", "nb"): "massemobilisering",
    ("mass_mobilization", "sv"): "massmobilisering",
    ("mass_mobilization", "fr"): "mobilisation de masse",
    ("party_committee", "nb"): "partikomiteen",
    ("party_committee", "sv"): "partikommittén",
    ("party_committee", "fr"): "comité du Parti",
    ("fatherland_front", "nb"): "Fedrelandsfronten",
    ("fatherland_front", "fr"): "Front de la Patrie",
    # No Swedish term for the Fatherland Front in this corpus.
}
AXIS_OF = {
    "mass_mobilization": "mobil",
    "party_committee": "committee",
    "fatherland_front": "front",
}
DISTRACTORS = {
    "nb": ["dialoger", "prosjekter", "distriktet", "folket", "arbeidet", "kvaliteten"],
    "sv": ["dialoger", "projekt", "staden", "folket", "arbetet", "kvaliteten", "perioden"],
    "fr": ["dialogues", "projets", "district", "peuple", "travail", "qualité"],
}


def corpus_candidates() -> list[Candidate]:
    out = [cand(lang, term, freq=3) for (_cid, lang), term in RIGHT.items()]
    out += [cand(lang, w) for lang, words in DISTRACTORS.items() for w in words]
    return out


def meaning() -> dict[str, str]:
    known = {term: AXIS_OF[cid] for (cid, _lang), term in RIGHT.items()}
    for concept in CONCEPTS:
        known[concept.vi] = AXIS_OF[concept.concept_id]
        known[concept.en] = AXIS_OF[concept.concept_id]
    return known


def proposed(glossary: Glossary) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    for t in glossary.terms:
        found.setdefault((t.concept_id, t.lang), set()).add(t.term)
    return found


# ---------------------------------------------------------------- similarity
def test_csls_penalises_a_hub_that_raw_cosine_would_pick():
    sim = np.full((4, 5), 0.1, dtype=np.float32)
    np.fill_diagonal(sim[:, :4], 0.55)  # each row's true match
    sim[:, 4] = 0.6  # a hub: a bit similar to everything
    assert (sim.argmax(axis=1) == 4).all()
    corrected = csls(sim)
    assert corrected.shape == sim.shape
    assert list(corrected.argmax(axis=1)) == [0, 1, 2, 3]


def test_csls_of_an_empty_matrix_is_empty():
    assert csls(np.zeros((0, 3), dtype=np.float32)).shape == (0, 3)


@pytest.mark.parametrize(
    ("n_a", "n_b", "k", "block"), [(50, 30, 5, 7), (3, 40, 10, 2048), (9, 4, 8, 2)]
)
def test_blockwise_top_k_equals_brute_force(n_a, n_b, k, block):
    rng = np.random.default_rng(n_a * 100 + n_b)
    a = rng.normal(size=(n_a, 16)).astype(np.float32)
    b = rng.normal(size=(n_b, 16)).astype(np.float32)
    idx, val = topk_blockwise(a, b, k, block=block)
    full = a @ b.T
    k_eff = min(k, n_b)
    expected = np.argsort(-full, axis=1)[:, :k_eff]
    assert idx.shape == (n_a, k_eff)
    assert np.array_equal(idx, expected)
    np.testing.assert_allclose(val, np.take_along_axis(full, expected, axis=1), rtol=1e-5)


@pytest.mark.parametrize(
    ("gloss", "expected"),
    [
        ("mass mobilization", ["mass mobilization"]),
        ("(local) government / authorities", ["government", "authorities"]),
        ("awareness / perception", ["awareness", "perception"]),
        ("", []),
    ],
)
def test_gloss_alternatives(gloss, expected):
    assert gloss_variants(gloss) == expected


def test_a_gloss_in_brackets_only_is_still_a_query():
    assert gloss_variants("(local)") == ["(local)"]


# ---------------------------------------------------------------- discovery
def _space(langs=("nb", "sv", "fr"), concepts=("mobil", "committee", "front", "dialogue")):
    by_lang, vectors, truth = {}, {}, {}
    for lang in langs:
        cands, rows = [], []
        for axis in concepts:
            cands.append(cand(lang, f"{lang}-{axis}"))
            rows.append(unit(AXES[axis] + 0.3 * unit(noise(f"{lang}{axis}"))))
            truth[(lang, len(cands) - 1)] = axis
        for n in range(5):
            cands.append(cand(lang, f"{lang}-noise-{n}"))
            rows.append(unit(noise(f"{lang}noise{n}")))
        by_lang[lang], vectors[lang] = cands, np.stack(rows)
    return by_lang, vectors, truth


def test_discovery_groups_mutual_translations():
    by_lang, vectors, truth = _space()
    groups = discover(by_lang, vectors)
    axes_found = {}
    for group in groups:
        axes = {truth.get((lang, i)) for lang, i, _s in group}
        if len(axes) == 1 and None not in axes:
            axes_found[axes.pop()] = {lang for lang, _i, _s in group}
    for axis in ("mobil", "committee", "front", "dialogue"):
        assert axes_found.get(axis) == {"nb", "sv", "fr"}, (axis, groups)


def test_discovery_never_puts_two_terms_of_one_language_together():
    by_lang, vectors, _truth = _space()
    # Two Norwegian variants of one concept: both close to the Swedish and French terms.
    by_lang["nb"].append(cand("nb", "nb-mobil-variant"))
    vectors["nb"] = np.vstack([vectors["nb"], unit(AXES["mobil"] + 0.3 * unit(noise("v")))])
    for group in discover(by_lang, vectors):
        langs = [lang for lang, _i, _s in group]
        assert len(langs) == len(set(langs)), group
        assert len(group) >= 2


@pytest.mark.parametrize("seed", range(5))
def test_discovery_groups_hold_one_term_per_language_on_random_vectors(seed):
    rng = np.random.default_rng(seed)
    by_lang, vectors = {}, {}
    for lang in ("nb", "nl", "cs", "sv", "fr"):
        n = int(rng.integers(1, 30))
        by_lang[lang] = [cand(lang, f"{lang}{i}") for i in range(n)]
        rows = rng.normal(size=(n, 8))
        vectors[lang] = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    for group in discover(by_lang, vectors, threshold=-1.0):
        langs = [lang for lang, _i, _s in group]
        assert len(langs) == len(set(langs))
        for lang, i, _s in group:
            assert 0 <= i < len(by_lang[lang])


@pytest.mark.parametrize("seed", range(5))
def test_discovery_puts_each_term_in_at_most_one_group(seed):
    by_lang, vectors, _truth = _space()
    if seed:  # and on random vectors, where many weak links compete
        rng = np.random.default_rng(seed)
        for lang in by_lang:
            rows = rng.normal(size=vectors[lang].shape)
            vectors[lang] = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    seen = [
        (lang, i) for group in discover(by_lang, vectors, threshold=-1.0) for lang, i, _s in group
    ]
    assert len(seen) == len(set(seen))


def test_discovery_leaves_unrelated_noise_alone():
    by_lang, vectors, truth = _space()
    for group in discover(by_lang, vectors):
        members = [truth.get((lang, i)) for lang, i, _s in group]
        assert members.count(None) <= 1 or set(members) == {None}, group


def test_discovery_with_one_language_finds_nothing():
    by_lang, vectors, _truth = _space(langs=("nb",))
    assert discover(by_lang, vectors) == []


def _members(groups) -> list[list[tuple[str, int]]]:
    return sorted([(lang, i) for lang, i, _s in group] for group in groups)


def test_discovery_through_the_faiss_index_finds_the_same_groups(faiss):
    by_lang, vectors, _truth = _space()
    exact = Neighbours()
    indexed = Neighbours(exact_max=0)  # every search through faiss's index
    assert _members(discover(by_lang, vectors, neighbours=indexed)) == _members(
        discover(by_lang, vectors, neighbours=exact)
    )
    assert {s.index for s in indexed.searches} == {IVF}
    assert {s.index for s in exact.searches} == {EXACT}


def _pool_candidates(n: int) -> list[Candidate]:
    return [cand("nb", f"ord{i}", freq=1 + i % 7) for i in range(n)]


def test_discovery_pool_has_no_cap_at_the_exact_size_with_faiss(faiss):
    settings = default_settings().with_changes(neighbours_exact_max=20, discovery_max_per_lang=50)
    assert len(discovery_pool(_pool_candidates(40), "nb", set(), settings)) == 40
    assert len(discovery_pool(_pool_candidates(80), "nb", set(), settings)) == 50  # safety limit


def test_without_faiss_discovery_keeps_to_what_exact_search_handles(monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)
    settings = default_settings().with_changes(neighbours_exact_max=20, discovery_max_per_lang=50)
    assert len(discovery_pool(_pool_candidates(40), "nb", set(), settings)) == 20


def test_alignment_records_every_neighbour_search():
    result = align(corpus_candidates(), FakeEmbedder(meaning()), CONCEPTS)
    chosen = {row["step"]: row for row in result.stats.neighbours}
    assert chosen["keyed nb"]["index"] == DENSE
    assert chosen["keyed nb"]["base"] == len(CONCEPTS)
    assert chosen["discovery fr<->nb"]["index"] == EXACT
    assert chosen["discovery fr<->nb"]["k"] == default_settings().discovery_k
    assert "neighbours" in result.stats.to_dict()


def test_alignment_without_faiss_gives_the_same_glossary(monkeypatch):
    first = align(corpus_candidates(), FakeEmbedder(meaning()), CONCEPTS)
    monkeypatch.setitem(sys.modules, "faiss", None)
    again = align(corpus_candidates(), FakeEmbedder(meaning()), CONCEPTS)
    assert proposed(again.glossary) == proposed(first.glossary)
    assert {row["index"] for row in again.stats.neighbours} == {DENSE, EXACT}


# ---------------------------------------------------------------- keyed alignment
def test_keyed_alignment_picks_the_right_term_in_each_language():
    result = align(corpus_candidates(), FakeEmbedder(meaning()), CONCEPTS, discover_new=False)
    found = proposed(result.glossary)
    for key, term in RIGHT.items():
        assert term in found.get(key, set()), (key, found.get(key))
    right = sum(1 for t in result.glossary.terms if RIGHT.get((t.concept_id, t.lang)) == t.term)
    assert right / len(result.glossary.terms) >= 0.8


def test_concept_absent_from_a_language_gets_no_confident_term():
    result = align(corpus_candidates(), FakeEmbedder(meaning()), CONCEPTS, discover_new=False)
    swedish_front = [
        t for t in result.glossary.terms if (t.concept_id, t.lang) == ("fatherland_front", "sv")
    ]
    assert all(t.confidence < 0.5 for t in swedish_front), swedish_front


def test_confidences_are_probabilities_and_respect_the_floor():
    for floor in (0.0, 0.5, 0.9):
        result = align(corpus_candidates(), FakeEmbedder(meaning()), CONCEPTS, min_confidence=floor)
        for t in result.glossary.terms:
            assert 0.0 <= t.confidence <= 1.0
            if t.concept_id in {c.concept_id for c in CONCEPTS}:
                assert t.confidence >= floor


def test_right_terms_are_more_confident_than_wrong_ones():
    result = align(
        corpus_candidates(), FakeEmbedder(meaning()), CONCEPTS, min_confidence=0.0,
        discover_new=False,
    )  # fmt: skip
    right = [
        t.confidence for t in result.glossary.terms if RIGHT.get((t.concept_id, t.lang)) == t.term
    ]
    wrong = [
        t.confidence for t in result.glossary.terms if RIGHT.get((t.concept_id, t.lang)) != t.term
    ]
    assert right and min(right) > max(wrong, default=0.0)


def test_a_rejected_term_is_not_proposed_again():
    rejected = frozenset({("party_committee", "nb", "partikomiteen")})
    result = align(
        corpus_candidates(), FakeEmbedder(meaning()), CONCEPTS, rejected=rejected,
        min_confidence=0.0, discover_new=False,
    )  # fmt: skip
    nb_committee = proposed(result.glossary).get(("party_committee", "nb"), set())
    assert "partikomiteen" not in nb_committee
    # Other languages and concepts are untouched.
    assert "partikommittén" in proposed(result.glossary)[("party_committee", "sv")]
    assert "massemobilisering" in proposed(result.glossary)[("mass_mobilization", "nb")]


def test_one_term_renders_only_one_concept():
    concepts = CONCEPTS + [ConceptEntry("party_committee_2", vi="cấp ủy", en="party committees")]
    known = meaning() | {"cấp ủy": "committee", "party committees": "committee"}
    result = align(corpus_candidates(), FakeEmbedder(known), concepts, discover_new=False)
    owners: dict[tuple[str, str], set[str]] = {}
    for t in result.glossary.terms:
        owners.setdefault((t.lang, t.term), set()).add(t.concept_id)
    assert all(len(ids) == 1 for ids in owners.values()), owners


def test_english_gloss_alone_can_key_a_concept():
    concepts = [ConceptEntry("front_only_en", vi="", en="Fatherland Front")]
    result = align(corpus_candidates(), FakeEmbedder(meaning()), concepts, discover_new=False)
    assert "Fedrelandsfronten" in proposed(result.glossary).get(("front_only_en", "nb"), set())


def test_keyed_glossary_rows_carry_evidence_and_contexts():
    result = align(corpus_candidates(), FakeEmbedder(meaning()), CONCEPTS, discover_new=False)
    glossary = result.glossary
    assert [c.concept_id for c in glossary.concepts[: len(CONCEPTS)]] == [
        c.concept_id for c in CONCEPTS
    ]
    for t in glossary.terms:
        assert t.status == "proposed"
        assert t.frequency >= 1 and t.documents.endswith(".txt")
        assert t.term in t.context
        assert "fake-model" in t.source
        assert t.evidence
    assert {(c.concept_id, c.lang, c.term) for c in glossary.contexts} == {
        (t.concept_id, t.lang, t.term) for t in glossary.terms
    }
    assert len(result.proposals) == len(glossary.terms)


def test_each_text_goes_to_the_embedder_once_per_call():
    embedder = FakeEmbedder(meaning())
    seen = []
    align(corpus_candidates(), embedder, CONCEPTS, progress=lambda d, t: seen.append((d, t)))
    for call in embedder.calls:
        assert len(call) == len(set(call))
    sent = {text for call in embedder.calls for text in call}
    assert {c.form for c in corpus_candidates()} <= sent
    assert {c.vi for c in CONCEPTS} <= sent
    assert seen and seen[-1][0] == seen[-1][1]


def test_languages_can_be_restricted():
    result = align(
        corpus_candidates(), FakeEmbedder(meaning()), CONCEPTS, langs=["nb", "fr"],
        discover_new=False,
    )  # fmt: skip
    assert {t.lang for t in result.glossary.terms} <= {"nb", "fr"}


def test_document_code_anchors_its_concept_in_the_evidence_score():
    # The hand-weighted evidence score that shortlists candidates; the learned ranker then
    # weighs anchors by the dev data (where 7 of 90 anchored rows were right).
    plain = default_settings().with_changes(ranker=Ranker(), ranker_vi_only=Ranker())
    concepts = [ConceptEntry("resolution_25", vi="Nghị quyết 25-NQ/TW", en="Resolution 25-NQ/TW")]
    candidates = [cand("nb", "25-NQ/TW", kind="code"), cand("nb", "resolusjonen")]
    for w in DISTRACTORS["nb"]:
        candidates.append(cand("nb", w))
    # The embedding puts a generic word nearer the concept than the code itself.
    known = {"resolusjonen": "dialogue", "Nghị quyết 25-NQ/TW": "dialogue",
             "Resolution 25-NQ/TW": "dialogue"}  # fmt: skip
    result = align(candidates, FakeEmbedder(known), concepts, discover_new=False, settings=plain)
    assert "25-NQ/TW" in proposed(result.glossary).get(("resolution_25", "nb"), set())


# ---------------------------------------------------------------- discovery through align
def _rows(glossary: Glossary) -> set[tuple[str, str, str, float]]:
    return {(t.concept_id, t.lang, t.term, t.confidence) for t in glossary.terms}


def test_discovery_mode_proposes_new_concepts_with_empty_vietnamese():
    result = align(corpus_candidates(), FakeEmbedder(meaning()), [])
    glossary = result.glossary
    assert result.new_concepts
    assert {c.concept_id for c in glossary.concepts} == set(result.new_concepts)
    assert all(c.vi == "" and c.status == "proposed" for c in glossary.concepts)
    groups: dict[str, set[str]] = {}
    for t in glossary.terms:
        groups.setdefault(t.concept_id, set()).add(t.term)
    for cid in AXIS_OF:
        terms = {term for (c, _lang), term in RIGHT.items() if c == cid}
        assert any(terms <= g for g in groups.values()), (cid, groups)
    for cid in result.new_concepts:
        langs = [t.lang for t in glossary.terms if t.concept_id == cid]
        assert len(langs) == len(set(langs)) >= 2


def test_concept_ids_are_stable_across_runs():
    for concepts in (CONCEPTS, []):
        first = align(corpus_candidates(), FakeEmbedder(meaning()), concepts)
        second = align(corpus_candidates(), FakeEmbedder(meaning()), concepts)
        assert [c.concept_id for c in first.glossary.concepts] == [
            c.concept_id for c in second.glossary.concepts
        ]
        assert _rows(first.glossary) == _rows(second.glossary)


def test_keyed_mode_also_discovers_groups_beyond_the_list():
    # The party committee is left off the list; it occurs in three languages.
    concepts = [c for c in CONCEPTS if c.concept_id != "party_committee"]
    result = align(corpus_candidates(), FakeEmbedder(meaning()), concepts)
    assert result.new_concepts
    keyed = {c.concept_id for c in concepts}
    for t in result.glossary.terms:
        assert t.concept_id in keyed or t.concept_id in result.new_concepts
    committee = {"partikomiteen", "partikommittén", "comité du Parti"}
    new_groups = [
        {t.term for t in result.glossary.terms if t.concept_id == cid}
        for cid in result.new_concepts
    ]
    assert any(committee <= g for g in new_groups), new_groups
    new = [c for c in result.glossary.concepts if c.concept_id in result.new_concepts]
    assert all(c.vi == "" for c in new)


def test_a_term_a_reviewer_accepted_does_not_seed_a_new_concept():
    concepts = [c for c in CONCEPTS if c.concept_id != "party_committee"]
    accepted = [TermEntry(concepts[0].concept_id, "nb", "partikomiteen", status="preferred")]
    result = align(corpus_candidates(), FakeEmbedder(meaning()), concepts, reviewed=accepted)
    new_terms = {t.term for t in result.glossary.terms if t.concept_id in result.new_concepts}
    assert "partikomiteen" not in new_terms


def test_nothing_to_align_gives_an_empty_glossary():
    result = align([], FakeEmbedder({}), [])
    assert result.glossary.terms == [] and result.new_concepts == []
