"""Discovery: groups of candidates in several languages that translate each other."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from glossary.alignment.evidence import ascii_key
from glossary.alignment.keyed import Proposal
from glossary.alignment.neighbours import Hits, Neighbours
from glossary.alignment.settings import AlignSettings, sigmoid
from glossary.models import Candidate, ConceptEntry
from glossary.text import QUOTE_MARKS

Group = list[tuple[str, int, float]]  # (lang, candidate index, link strength), one per language


def links(a_in_b: Hits, b_in_a: Hits):
    """Nearest neighbours under CSLS, in either direction, between two languages: (i, j, score),
    from the top-k neighbours of a's rows among b's and of b's among a's.

    Mutual neighbours alone were too strict: they found 0.34 of the gold links against 0.43."""
    (ia, sa), (ib, sb) = a_in_b, b_in_a
    if len(ia) == 0 or len(ib) == 0:
        return []
    ra, rb = sa.mean(axis=1), sb.mean(axis=1)
    csls_a = 2 * sa - ra[:, None] - rb[ia]
    csls_b = 2 * sb - rb[:, None] - ra[ib]
    best_a = ia[np.arange(len(ia)), csls_a.argmax(axis=1)]
    best_b = ib[np.arange(len(ib)), csls_b.argmax(axis=1)]
    found = {}
    for i, j in enumerate(best_a):
        found[(i, int(j))] = float(csls_a[i].max())
    for j, i in enumerate(best_b):
        found.setdefault((int(i), j), float(csls_b[j].max()))
    return [(i, j, s) for (i, j), s in found.items()]


def discovery_pool(
    cands: Sequence[Candidate],
    lang: str,
    taken,
    settings: AlignSettings,
    neighbours: Neighbours | None = None,
) -> list[Candidate]:
    """Candidates of one language that take part in discovery, in their original order: the
    best by termhood past a safety limit, or, without an approximate index, past the size
    that exact search handles (its all-pairs step is quadratic)."""
    pool = [
        c for c in cands if (lang, c.key) not in taken and c.score >= settings.discovery_min_score
    ]
    neighbours = neighbours or Neighbours.from_settings(settings)
    approximate = neighbours.can_approximate()
    cap = settings.discovery_max_per_lang if approximate else settings.neighbours_exact_max
    if len(pool) <= cap:
        return pool
    cutoff = sorted((c.score for c in pool), reverse=True)[cap - 1]
    return [c for c in pool if c.score >= cutoff][:cap]


def discover(
    by_lang: dict[str, list[Candidate]],
    vectors: dict[str, np.ndarray],
    threshold: float | None = None,
    k: int = 10,
    neighbours: Neighbours | None = None,
) -> list[Group]:
    """Groups of candidates that translate each other: at most one term per language each.

    Links are CSLS nearest neighbours between every pair of languages; they are merged
    strongest first, and a merge that would put two terms of one language together is refused.
    """
    threshold = 0.05 if threshold is None else threshold
    neighbours = neighbours or Neighbours()
    langs = sorted(lang for lang in by_lang if len(by_lang[lang]))
    hits = neighbours.between({lang: vectors[lang] for lang in langs}, k)
    edges = []
    for a_pos, la in enumerate(langs):
        for lb in langs[a_pos + 1 :]:
            for i, j, s in links(hits[(la, lb)], hits[(lb, la)]):
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
    "nl": "is zijn was waren wordt worden werd heeft hebben had kan kunnen moet moeten zal zullen zich alle veel we wij ze hij zij die dat welke te",
    "cs": "je jsou byl byla bylo byli být se si všechny všech mnoho jsme jste aby který která které což svůj své svého svých svým svou svoji jeho její jejich",
    "fr": "est sont était été être a ont avait se tous toutes beaucoup nous vous ils elles il elle qui que dont notamment",
    "en": "is are was were be been has have had will would can could should all we they he she which who that",
}  # fmt: skip


# Conjunctions that join two concepts ("organisasjoner og masseforeninger"): a new concept is one.
COORDINATORS = {
    "nb": "og eller", "sv": "och eller", "nl": "en of", "cs": "a i nebo ani či",
    "fr": "et ou", "en": "and or",
}  # fmt: skip
# Number words that make a span an amount ("milliards de VND", "miljarder VND").
NUMBER_WORDS = {
    "nb": "tusen million millioner milliard milliarder", "sv": "tusen miljon miljoner miljard miljarder",
    "nl": "duizend miljoen miljoenen miljard miljarden", "cs": "tisíc tisíce milion milionů miliarda miliardy miliard",
    "fr": "mille million millions milliard milliards", "en": "thousand million millions billion billions",
}  # fmt: skip
HEAD_FIRST = {"fr"}  # where a noun phrase's head is its first word; elsewhere its last
# (infinitive ending, ending of a finite form of it): simplemma reads the form back to a verb
VERB_PROBES = {
    "fr": (("er", "ons"), ("er", "é")), "sv": (("a", "ade"),), "nb": (("ere", "erte"),),
    "nl": (("eren", "eert"),),
}  # fmt: skip
# Endings of adjectives, which name no concept on their own ("socioekonomisk").
ADJECTIVE_ENDINGS = {
    "cs": ("ý", "ého", "ému", "ých", "ými", "ým"), "nl": ("isch", "ische"),
    "sv": ("isk", "iska"), "nb": ("isk", "iske"),
}  # fmt: skip


def looks_like_term(cand: Candidate, settings: AlignSettings) -> bool:
    """Could this candidate head a new concept? Not an amount or date, not a fragment of a
    personal name, not a clause fragment, not one everyday word, not English left untranslated,
    not two concepts joined by "and", not headed by a verb, participle or adverb."""
    from glossary.extract import function_words

    words = cand.form.split()
    if words and {words[0].casefold(), words[-1].casefold()} & function_words(cand.lang):
        return False  # "dans la province", "de provincie": a phrase, not a headword
    if cand.kind != "code" and any(ch.isdigit() for ch in cand.form):
        return False  # amounts, dates, counts
    if len(words) == 1 and cand.kind != "abbreviation" and words[0][:1].isupper():
        return False  # one part of a name ("Trung", "Chi")
    folded = [w.casefold() for w in words]
    clause = set(CLAUSE_WORDS.get(cand.lang, "").split())
    if clause.intersection(folded):
        return False
    if set(NUMBER_WORDS.get(cand.lang, "").split()).intersection(folded):
        return False  # "milliards de VND": an amount, not a concept
    if is_coordinated(cand):
        return False
    if folded and not_noun_headed(folded, cand.lang):
        return False
    if len(folded) == 1 and is_adjective(folded[0], cand.lang):
        return False
    if name_goes_on(cand):
        return False
    english = cand.lang != "en" and _is_english(words, cand.lang)
    return not (is_common_word(cand, settings) or english)


def is_coordinated(cand: Candidate) -> bool:
    """Two things joined by a conjunction ("bijeenkomsten en dialogen", "urychleně a
    synchronně"): a terminologist files each on its own. Names and slogans may hold one."""
    joiners = set(COORDINATORS.get(cand.lang, "").split())
    inner = [w.casefold() for w in cand.form.split()[1:-1]]
    return cand.kind not in ("name", "slogan") and any(w in joiners for w in inner)


def not_noun_headed(words: Sequence[str], lang: str) -> bool:
    """A verb anywhere ("synkronisera tillvägagångssättet", "prêter attention"), or a participle
    or adverb as the head ("aandacht besteed", "synchronisé", "synchronně"): not a noun phrase."""
    head = words[0] if lang in HEAD_FIRST else words[-1]
    return (
        any(is_verb(w, lang) for w in words) or is_participle(head, lang) or is_adverb(head, lang)
    )


def _lemma(word: str, lang: str) -> str | None:
    """simplemma's lemma of a lower-case word, or None where it does not know the word."""
    from glossary.headwords import lemma

    return lemma(word, lang)


def is_verb(word: str, lang: str) -> bool:
    """An infinitive or a finite verb, told by simplemma: a finite form of the word that it reads
    back to the word ("prêter": prêtons, "synkronisera": synkroniserade, "innoveren": innoveert),
    or a lemma of the word that the word is a tense of ("förändrar", "šli", "inovovaly").
    A noun has no such forms ("dossier": no "dossions")."""
    if len(word) >= 5 and any(
        word.endswith(ending) and _lemma(word[: -len(ending)] + probe, lang) == word
        for ending, probe in VERB_PROBES.get(lang, ())
    ):
        return True
    found = _lemma(word, lang)
    if lang == "sv" and word.endswith("ar") and found == word[:-1]:
        return True  # present tense of an -a verb
    if lang == "cs":
        past = word.endswith(("l", "la", "lo", "li", "ly"))
        if past and found and found != word and found.endswith("t"):
            return True
        return word.endswith(("oval", "ovala", "ovalo", "ovali", "ovaly"))
    return False


def is_participle(word: str, lang: str) -> bool:
    """A past participle: "besteed" and "georganiseerd" (lemma an -en verb of the same stem),
    "synchronisé" (beside a verb "synchroniser"), "mobilisert" (beside "mobilisere")."""
    found = _lemma(word, lang)
    if lang == "nl" and found and found != word and word[-1:] in ("d", "t"):
        stem = word[2:] if word.startswith("ge") else word
        return found.endswith("en") and found.startswith(stem[:3])
    if lang == "fr" and word.endswith(("é", "ée", "és", "ées")):
        base = (found or word).removesuffix("s").removesuffix("e")
        return base.endswith("é") and _lemma(base[:-1] + "er", lang) == base[:-1] + "er"
    if lang == "nb" and word.endswith(("ert", "erte")):
        return bool(found) and found != word and found.endswith("ere")
    if lang == "fr" and word.endswith("ant"):  # "créant"
        return bool(found) and found != word and found.endswith(("er", "ir", "re"))
    return False


def is_adverb(word: str, lang: str) -> bool:
    """A Czech adverb made from an adjective ("synchronně", "urychleně", "ekonomicky"), which
    simplemma leaves as it is, where an inflected noun ("straně") has a lemma of its own."""
    if lang != "cs" or not word.endswith(("ně", "cky", "sky")):
        return False
    found = _lemma(word, lang)
    return found is None or found == word


def is_adjective(word: str, lang: str) -> bool:
    """A word with an adjective's ending: alone it is a modifier, not a term."""
    return word.endswith(ADJECTIVE_ENDINGS.get(lang, ())) and len(word) > 4


def name_goes_on(cand: Candidate) -> bool:
    """A name cut short: in every sentence the span is followed by another capitalised word
    ("president Ho" of "president Ho Chi Minh", "Herr Ho" of "Herr Ho Van Phen")."""
    words = cand.form.split()
    if not words or not words[-1][:1].isupper():
        return False
    seen = 0
    for ctx in cand.contexts:
        at = ctx.sentence.find(cand.form)
        if at < 0:
            continue
        seen += 1
        after = ctx.sentence[at + len(cand.form) :].split(maxsplit=1)
        if not after or not after[0][:1].isupper():
            return False
    return seen > 0


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
        strength = min(s for _l, _i, s in group)
        if beside_list:
            # A coordination ("organisasjoner og masseforeninger" beside three "mass
            # organisations") is a wrong span around a term: it leaves, and the rest may stand.
            group = [(lang, i, s) for lang, i, s in group if not is_coordinated(pool[lang][i])]
        members = [pool[lang][i] for lang, i, _s in group]
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
            # any other non-term says the group links no terms: on the seeds, keeping the rest
            # of such groups too let in 7 junk rows and no real one
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
