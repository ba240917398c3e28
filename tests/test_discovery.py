"""New concepts beside a concept list: only term-shaped groups, and honest confidence."""

from __future__ import annotations

from dataclasses import replace

from glossary.alignment.discovery import looks_like_term, names_agree, new_concepts
from glossary.alignment.settings import default_settings
from glossary.models import Candidate


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
    beside, beside_rows = new_concepts(groups, pool, set(), settings, beside_list=True, min_confidence=None)
    alone, alone_rows = new_concepts(groups, pool, set(), settings, beside_list=False, min_confidence=None)
    assert len(beside) == len(alone) == 1 and beside[0].status == "discovered"
    link = alone_rows[0].confidence
    assert [p.confidence for p in beside_rows] == [round(link * 0.3, 3)] * 3
    # a reviewer's --min-confidence applies to the confidence shown
    _, shown = new_concepts(groups, pool, set(), settings, beside_list=True, min_confidence=0.5)
    assert shown == []
