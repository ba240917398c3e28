"""Discovery: groups of candidates in several languages that translate each other."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from glossary.alignment.evidence import ascii_key
from glossary.alignment.keyed import Proposal
from glossary.alignment.settings import AlignSettings, sigmoid
from glossary.alignment.similarity import topk_both_ways
from glossary.models import Candidate, ConceptEntry
from glossary.text import QUOTE_MARKS

Group = list[tuple[str, int, float]]  # (lang, candidate index, link strength), one per language


def links(va: np.ndarray, vb: np.ndarray, k: int):
    """Nearest neighbours under CSLS, in either direction, between two languages: (i, j, score).

    Mutual neighbours alone were too strict: they found 0.34 of the gold links against 0.43."""
    if len(va) == 0 or len(vb) == 0:
        return []
    (ia, sa), (ib, sb) = topk_both_ways(va, vb, k)
    ra, rb = sa.mean(axis=1), sb.mean(axis=1)
    csls_a = 2 * sa - ra[:, None] - rb[ia]
    csls_b = 2 * sb - rb[:, None] - ra[ib]
    best_a = ia[np.arange(len(va)), csls_a.argmax(axis=1)]
    best_b = ib[np.arange(len(vb)), csls_b.argmax(axis=1)]
    found = {}
    for i, j in enumerate(best_a):
        found[(i, int(j))] = float(csls_a[i].max())
    for j, i in enumerate(best_b):
        found.setdefault((int(i), j), float(csls_b[j].max()))
    return [(i, j, s) for (i, j), s in found.items()]


def discovery_pool(
    cands: Sequence[Candidate], lang: str, taken, settings: AlignSettings
) -> list[Candidate]:
    """Candidates of one language that take part in discovery, in their original order."""
    pool = [
        c for c in cands if (lang, c.key) not in taken and c.score >= settings.discovery_min_score
    ]
    cap = settings.discovery_max_per_lang
    if len(pool) <= cap:
        return pool
    cutoff = sorted((c.score for c in pool), reverse=True)[cap - 1]
    return [c for c in pool if c.score >= cutoff][:cap]


def discover(
    by_lang: dict[str, list[Candidate]],
    vectors: dict[str, np.ndarray],
    threshold: float | None = None,
    k: int = 10,
) -> list[Group]:
    """Groups of candidates that translate each other: at most one term per language each.

    Links are CSLS nearest neighbours between every pair of languages; they are merged
    strongest first, and a merge that would put two terms of one language together is refused.
    """
    threshold = 0.05 if threshold is None else threshold
    langs = sorted(lang for lang in by_lang if len(by_lang[lang]))
    edges = []
    for a_pos, la in enumerate(langs):
        for lb in langs[a_pos + 1 :]:
            for i, j, s in links(vectors[la], vectors[lb], k):
                if s >= threshold:
                    edges.append((s, (la, i), (lb, j)))
    edges.sort(key=lambda e: (-e[0], e[1], e[2]))
    parent: dict[tuple[str, int], tuple[str, int]] = {}
    members: dict[tuple[str, int], dict[str, tuple[int, float]]] = {}

    def root(node):
        while parent.get(node, node) != node:
            node = parent[node]
        return node

    for s, a, b in edges:
        for node in (a, b):
            if node not in parent:  # first sight; a merged node keeps its root
                parent[node] = node
                members[node] = {node[0]: (node[1], s)}
        ra, rb = root(a), root(b)
        if ra == rb or set(members[ra]) & set(members[rb]):
            continue
        parent[rb] = ra
        members[ra].update(members.pop(rb))
    groups = []
    for node, group in members.items():
        if root(node) == node and len(group) >= 2:
            groups.append(sorted((lang, i, s) for lang, (i, s) in group.items()))
    return groups


# ---------------------------------------------------------------- new concepts
# Words that make a span a clause fragment rather than a term: auxiliaries, modals, pronouns,
# quantifiers ("lede alle aspekter", "pozornost od velení" is caught by its shape elsewhere).
CLAUSE_WORDS = {
    "nb": "er var har hadde ble blir skal vil kan må bør seg sin sitt sine alle hele mange noen vi de han hun det å som",
    "sv": "är var har hade blev blir ska skall vill kan måste bör sig sin sitt sina alla hela många några vi de han hon det att som enligt",
    "nl": "is zijn was waren wordt worden werd heeft hebben had kan kunnen moet moeten zal zullen zich alle veel we wij ze hij zij die dat welke",
    "cs": "je jsou byl byla bylo byli být se si všechny všech mnoho jsme jste aby který která které což",
    "fr": "est sont était été être a ont avait se tous toutes beaucoup nous vous ils elles il elle qui que dont notamment",
    "en": "is are was were be been has have had will would can could should all we they he she which who that",
}  # fmt: skip


def looks_like_term(cand: Candidate, settings: AlignSettings) -> bool:
    """Could this candidate head a new concept? Not an amount or date, not a fragment of a
    personal name, not a clause fragment, not one everyday word, not English left untranslated."""
    from glossary.extract import function_words

    words = cand.form.split()
    if words and {words[0].casefold(), words[-1].casefold()} & function_words(cand.lang):
        return False  # "dans la province", "de provincie": a phrase, not a headword
    if cand.kind != "code" and any(ch.isdigit() for ch in cand.form):
        return False  # amounts, dates, counts
    if len(words) == 1 and cand.kind != "abbreviation" and words[0][:1].isupper():
        return False  # one part of a name ("Trung", "Chi")
    clause = set(CLAUSE_WORDS.get(cand.lang, "").split())
    if any(w.casefold() in clause for w in words):
        return False
    english = cand.lang != "en" and _is_english(words, cand.lang)
    return not (is_common_word(cand, settings) or english)


def names_agree(members: Sequence[Candidate]) -> bool:
    """Personal names are spelt alike in every language: a group of them shares a word.
    ("Duong Van Minh" with "Nguyen Minh Duc" is two people.)"""
    if not all(m.form.split() and all(w[:1].isupper() for w in m.form.split()) for m in members):
        return True
    words = [{ascii_key(w) for w in m.form.split()} for m in members]
    return all(a & b for n, a in enumerate(words) for b in words[n + 1 :])


def _is_english(words: list[str], lang: str) -> bool:
    from wordfreq import zipf_frequency

    folded = [w.casefold().strip(QUOTE_MARKS) for w in words]
    return all(zipf_frequency(w, "en") >= 3.0 > zipf_frequency(w, lang) + 1.0 for w in folded if w)


def is_common_word(cand: Candidate, settings: AlignSettings) -> bool:
    """A single everyday word ("allt", "folket"): no new concept for it beside a concept list."""
    from glossary.extract import specificity

    words = cand.form.split()
    return (
        len(words) == 1
        and specificity(words[0].casefold(), cand.lang) < settings.common_word_specificity
    )


def slug(text: str) -> str:
    """A readable id part: ascii letters and digits joined by '_'."""
    return re.sub(r"[^a-z0-9]+", "_", ascii_key(text)).strip("_")[:40].strip("_") or "concept"


ID_LANGS = ("en", "fr", "nl", "nb", "sv", "cs")  # whose term names a new concept, in this order


def readable_id(members: Sequence[Candidate], used: set[str]) -> str:
    """new_<best term in a stable language order>, numbered if that id is taken."""
    rank = {lang: n for n, lang in enumerate(ID_LANGS)}
    head = min(members, key=lambda m: (rank.get(m.lang, len(rank)), m.lang, m.form))
    base = f"new_{slug(head.form)}"
    concept_id, n = base, 1
    while concept_id in used:
        n += 1
        concept_id = f"{base}_{n}"
    used.add(concept_id)
    return concept_id


def kind_of(candidates: Sequence[Candidate]) -> str:
    """The concept kind a group of candidates suggests."""
    kinds = {c.kind for c in candidates}
    for kind, concept_kind in (
        ("code", "document"),
        ("slogan", "slogan"),
        ("name", "organization"),
    ):
        if kind in kinds:
            return concept_kind
    return "term"


def new_concepts(
    groups: Sequence[Group],
    pool: dict[str, list[Candidate]],
    used_ids: set[str],
    settings: AlignSettings,
    *,
    beside_list: bool,
    min_confidence: float | None,
    max_rows: int | None = None,
) -> tuple[list[ConceptEntry], list[Proposal]]:
    """Discovered groups as new concepts with proposed terms. Beside a concept list only
    confident groups in several languages whose every term looks like a term, and their
    concepts get the status "discovered" so a reviewer can take or leave them as a block."""
    concepts, proposals = [], []
    # Strongest groups first, so that ids and collisions do not depend on the link order.
    for group in sorted(groups, key=lambda g: (-min(s for _l, _i, s in g), g)):
        members = [pool[lang][i] for lang, i, _s in group]
        strength = min(s for _l, _i, s in group)
        z = settings.discovery_slope * (strength - settings.discovery_threshold)
        link_conf = sigmoid(z - settings.discovery_offset)
        # Beside a list, a right link between two non-terms is still junk to a reviewer.
        conf = round(link_conf * (settings.new_concept_prior if beside_list else 1.0), 3)
        lengths = [len(m.form) for m in members]
        if beside_list and (
            link_conf < settings.new_concept_confidence
            or conf < (min_confidence or 0.0)
            or strength < settings.new_concept_min_link
            or len(members) < settings.new_concept_min_langs
            or max(lengths) > settings.new_concept_length_ratio * min(lengths)
            or not all(looks_like_term(m, settings) for m in members)
            or not names_agree(members)
        ):
            continue
        if max_rows is not None and len(proposals) + len(members) > max_rows:
            break  # beside a concept list, new concepts must not flood the review
        concept_id = readable_id(members, used_ids)
        status = "discovered" if beside_list else "proposed"
        concepts.append(ConceptEntry(concept_id=concept_id, kind=kind_of(members), status=status))
        for member in members:
            evidence = {"link": round(strength, 4)}
            proposals.append(Proposal(concept_id, member.lang, member, member.term, conf, evidence))
    return concepts, proposals
