"""New concepts beside a concept list: only term-shaped groups, and honest confidence."""

from __future__ import annotations

from dataclasses import replace

from glossary.alignment.discovery import (
    is_adverb,
    is_coordinated,
    is_participle,
    is_verb,
    looks_like_term,
    name_goes_on,
    names_agree,
    new_concepts,
)
from glossary.alignment.settings import default_settings
from glossary.models import Candidate, Context


def cand(lang: str, form: str, kind: str = "term") -> Candidate:
    return Candidate(lang, form.casefold(), (form,), 2, 1.0, ("a.txt",), (), kind)


def test_phrases_that_open_or_close_on_a_function_word_are_not_terms():
    settings = default_settings()
    assert looks_like_term(cand("fr", "réforme administrative"), settings)
    assert not looks_like_term(cand("fr", "dans la province"), settings)
    assert not looks_like_term(cand("sv", "kvaliteten enligt"), settings)
    assert not looks_like_term(cand("sv", "resultatet som bekräftar"), settings)
    assert not looks_like_term(cand("fr", "notamment l'organisation"), settings)


def test_a_group_of_personal_names_must_share_a_name():
    assert names_agree([cand("fr", "Duong Van Minh", "name"), cand("cs", "Duong Van Minh", "name")])
    assert not names_agree([cand("fr", "Duong Van Minh", "name"), cand("nb", "Nguyen Duc", "name")])
    # organisations are translated, so only all-capitalised (person-shaped) groups are held to it
    assert names_agree([cand("fr", "Comité provincial du Parti"), cand("nb", "Partikomiteen")])


def group_of(members: list[Candidate], strength: float):
    pool = {m.lang: [m] for m in members}
    return [[(m.lang, 0, strength) for m in members]], pool


def test_new_concepts_beside_a_list_carry_the_prior_and_discovery_alone_does_not():
    settings = replace(default_settings(), new_concept_prior=0.3)
    members = [cand("fr", "réforme administrative"), cand("nl", "bestuurlijke hervorming"),
               cand("cs", "administrativní reforma")]  # fmt: skip
    groups, pool = group_of(members, 0.9)
    beside, beside_rows = new_concepts(
        groups, pool, set(), settings, beside_list=True, min_confidence=None
    )
    alone, alone_rows = new_concepts(
        groups, pool, set(), settings, beside_list=False, min_confidence=None
    )
    assert len(beside) == len(alone) == 1 and beside[0].status == "discovered"
    link = alone_rows[0].confidence
    assert [p.confidence for p in beside_rows] == [round(link * 0.3, 3)] * 3
    # a reviewer's --min-confidence applies to the confidence shown
    _, shown = new_concepts(groups, pool, set(), settings, beside_list=True, min_confidence=0.5)
    assert shown == []


# ---------------------------------------------------------------- what a new concept may be
def test_amounts_in_words_are_not_terms():
    settings = default_settings()
    assert not looks_like_term(cand("fr", "milliards de VND"), settings)
    assert not looks_like_term(cand("sv", "miljarder VND"), settings)
    assert looks_like_term(cand("fr", "VND", "abbreviation"), settings)


def test_two_things_joined_by_and_are_not_one_term_unless_a_name():
    settings = default_settings()
    assert not looks_like_term(cand("nl", "bijeenkomsten en dialogen"), settings)
    assert not looks_like_term(cand("nb", "organisasjoner og masseforeninger"), settings)
    assert not looks_like_term(cand("cs", "urychleně a synchronně"), settings)
    assert not is_coordinated(cand("nb", "masseforeninger"))
    assert not is_coordinated(cand("cs", "Ministerstvo práce a sociálních věcí", "name"))


def test_a_verb_anywhere_makes_a_verb_phrase():
    assert is_verb("prêter", "fr") and not is_verb("dossier", "fr")
    assert is_verb("synkronisera", "sv") and not is_verb("kvinna", "sv")
    assert is_verb("förändrar", "sv")
    assert is_verb("innoveren", "nl") and is_verb("mobilisere", "nb")
    assert is_verb("inovovaly", "cs") and not is_verb("škola", "cs")
    settings = default_settings()
    assert not looks_like_term(cand("fr", "prêter attention"), settings)
    assert not looks_like_term(cand("sv", "synkronisera tillvägagångssättet"), settings)


def test_a_participle_or_adverb_does_not_head_a_term():
    assert is_participle("besteed", "nl") and not is_participle("vaart", "nl")
    assert is_participle("synchronisé", "fr") and not is_participle("comité", "fr")
    assert is_participle("créant", "fr") and not is_participle("enfant", "fr")
    assert is_adverb("synchronně", "cs") and not is_adverb("straně", "cs")
    settings = default_settings()
    assert not looks_like_term(cand("nl", "aandacht besteed"), settings)
    # a participle that modifies the head is fine: the head decides
    assert looks_like_term(cand("fr", "réforme accélérée"), settings)


def test_an_adjective_alone_is_not_a_term():
    settings = default_settings()
    assert not looks_like_term(cand("sv", "socioekonomisk"), settings)
    assert not looks_like_term(cand("cs", "socioekonomického"), settings)
    assert looks_like_term(cand("nl", "massaorganisatie"), settings)


def in_context(lang: str, form: str, sentence: str, kind: str = "name") -> Candidate:
    at = sentence.index(form)
    return replace(
        cand(lang, form, kind), contexts=(Context("a.txt", sentence, at, at + len(form)),)
    )


def test_a_name_cut_short_is_not_a_term():
    sentence = "Doordrongen van de leer van president Ho Chi Minh: de kracht van het volk."
    assert name_goes_on(in_context("nl", "president Ho", sentence))
    assert not name_goes_on(in_context("nl", "president Ho Chi Minh", sentence))
    assert not looks_like_term(in_context("nl", "president Ho", sentence), default_settings())


def test_a_coordinated_rendering_leaves_its_group_and_the_rest_stand():
    settings = default_settings()
    members = [cand("cs", "masové organizace"), cand("fr", "organisations de masse"),
               cand("nl", "massaorganisatie"), cand("nb", "organisasjoner og masseforeninger")]  # fmt: skip
    groups, pool = group_of(members, 0.9)
    found, rows = new_concepts(groups, pool, set(), settings, beside_list=True, min_confidence=None)
    assert len(found) == 1 and sorted(r.lang for r in rows) == ["cs", "fr", "nl"]
    # any other non-term says the group links no terms
    members[-1] = cand("nb", "organisere massene")
    groups, pool = group_of(members, 0.9)
    assert new_concepts(groups, pool, set(), settings, beside_list=True, min_confidence=None) == (
        [],
        [],
    )
