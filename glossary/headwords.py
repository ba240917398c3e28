"""Headwords: the base form a terminologist files a term under, found with simplemma.

A term is filed under a surface form the corpus used when one of them is already the base form
(every word its own lemma: nominative singular, indefinite). Otherwise a one-word term goes under
its dictionary lemma, provided simplemma knows that lemma and it keeps the start of the word, so
the headword is recognisably the word that was seen. Phrases are never rebuilt word by word,
because adjectives would lose their agreement (Czech "masové mobilizace" is not "masový
mobilizace"); they keep the most base-like form seen. Names, codes, abbreviations and slogans
keep their surface form, capitals included.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

SURFACE_KINDS = frozenset({"name", "code", "abbreviation", "slogan"})
# Norwegian and Swedish put the definite article and the genitive at the end of the noun;
# simplemma sometimes reads such a form as another word ("rådet" as the verb "råde"), so these
# endings are tried first, longest first.
DEFINITE_ENDINGS = {
    "nb": ("enes", "ene", "ens", "ets", "en", "et", "a", "s"),
    "sv": ("ernas", "arnas", "ornas", "erna", "arna", "orna", "ens", "ets", "en", "et", "n", "s"),
}


@lru_cache(maxsize=1)
def _simplemma():
    try:
        import simplemma
    except ImportError:  # headwords are a convenience; without simplemma terms keep their forms
        return None
    return simplemma


@lru_cache(maxsize=200_000)
def lemma(word: str, lang: str) -> str | None:
    """The dictionary lemma of one lower-case word, or None where simplemma does not know it."""
    simplemma = _simplemma()
    if simplemma is None:
        return None
    try:
        found = simplemma.lemmatize(word, lang=lang)
        return found if simplemma.is_known(found, lang=lang) else None
    except ValueError:  # a language simplemma has no data for
        return None


def _is_base(word: str, lang: str) -> bool:
    """A word is in base form when it is its own lemma; capitalised words are names and count."""
    if not word.islower():
        return True
    found = lemma(word, lang)
    return found is not None and found == word


def keeps_start(base: str, word: str) -> bool:
    """The base keeps at least three quarters of the shorter word's letters as its start."""
    shorter = min(len(base), len(word))
    need = max(4, math.ceil(0.75 * shorter))
    return shorter >= need and base[:need] == word[:need]


def headword(forms: Sequence[str], lang: str, kind: str = "term") -> str:
    """The base form to file a term under, given its surface forms (most frequent first)."""
    if not forms:
        return ""
    if kind in SURFACE_KINDS or _simplemma() is None:
        return forms[0]

    def base_share(form: str) -> float:
        words = form.split()
        return sum(_is_base(w, lang) for w in words) / len(words)

    # max() keeps the first of equals, so frequency breaks ties.
    best = max(forms, key=base_share)
    if base_share(best) == 1.0 or " " in best or not best.islower():
        return best
    for ending in DEFINITE_ENDINGS.get(lang, ()):
        stem = best[: -len(ending)]
        if best.endswith(ending) and len(stem) >= 3 and lemma(stem, lang) == stem:
            return stem
    found = lemma(best, lang)
    return found if found and keeps_start(found, best) else best
