"""Headwords: a term is filed under its base form, and keeps every form seen."""

from glossary.corpus import read_corpus
from glossary.extract import extract_candidates
from glossary.headwords import headword, keeps_start


def test_norwegian_definite_noun_is_filed_under_its_indefinite_form():
    assert headword(["partikomiteens"], "nb") == "partikomite"
    assert headword(["rådet"], "nb") == "råd"  # not the verb "råde"
    assert headword(["regeringen"], "sv") == "regering"


def test_inflected_single_word_goes_under_its_lemma():
    assert headword(["comités"], "fr") == "comité"
    assert headword(["mobilizaci"], "cs") == "mobilizace"


def test_a_base_form_seen_in_the_corpus_wins_over_a_more_frequent_inflected_one():
    assert headword(["výboru", "výbor"], "cs") == "výbor"


def test_phrases_are_not_rebuilt_word_by_word():
    # word-by-word lemmas would break the adjective's agreement ("masový mobilizace")
    assert headword(["masové mobilizace"], "cs") == "masové mobilizace"


def test_names_codes_and_unknown_words_keep_their_surface_form():
    assert headword(["Hanoi"], "nb") == "Hanoi"
    assert headword(["Nghị quyết 57"], "nb", kind="code") == "Nghị quyết 57"
    assert headword(["massemobiliseringsarbeidet"], "nb") == "massemobiliseringsarbeidet"
    assert headword([], "nb") == ""


def test_headword_keeps_the_start_of_the_word():
    assert keeps_start("mobilizace", "mobilizaci")
    assert not keeps_start("be", "was")


def test_candidates_carry_a_headword_and_every_form(tmp_path):
    text = (
        "I dag møttes partikomiteen i provinsen. Lederen av partikomiteen talte lenge. "
        "Vedtaket fra partikomiteens møte ble lest opp. Alle i partikomiteen stemte for.\n\n"
    )
    (tmp_path / "a.txt").write_text(text * 3, encoding="utf-8")
    docs = read_corpus([tmp_path]).documents
    found = [c for c in extract_candidates(docs) if "partikomiteen" in c.forms]
    assert found and found[0].headword == "partikomite"
    assert found[0].term == "partikomite" and found[0].form == "partikomiteen"


def test_glossary_rows_show_the_headword_and_list_the_forms():
    from glossary.alignment import build_glossary
    from glossary.alignment.keyed import Proposal
    from glossary.models import Candidate, ConceptEntry

    cand = Candidate(
        "nb", "partikomite", ("partikomiteen", "partikomiteens"), 5, 1.0, ("a.txt",), (),
        headword="partikomite",
    )  # fmt: skip
    g = build_glossary(
        [ConceptEntry("c1", vi="tỉnh ủy")], [], [Proposal("c1", "nb", cand, cand.term, 0.9)], "m"
    )
    assert g.terms[0].term == "partikomite"
    assert g.terms[0].forms == "partikomiteen; partikomiteens"


def test_lookup_and_check_find_every_form_of_a_term(tmp_path):
    from glossary import store
    from glossary.check import check_text
    from glossary.lookup import build_index, lookup
    from glossary.models import ConceptEntry, Glossary, TermEntry

    g = Glossary(
        concepts=[ConceptEntry("c1", vi="ban chấp hành", en="executive committee")],
        terms=[
            TermEntry(
                "c1", "nb", "eksekutivkomité", "preferred", forms="styrets; eksekutivkomiteen"
            )
        ],
    )
    workbook = tmp_path / "terms.xlsx"
    store.save(g, workbook)
    g = store.load(workbook)
    assert g.terms[0].forms == "styrets; eksekutivkomiteen"
    index = build_index(g)
    assert [m.concept_id for m in lookup(index, "styrets")][:1] == ["c1"]
    findings = check_text(index, "Styrets leder og eksekutivkomité møttes.", "nb")
    assert not [f for f in findings if f.rule == "inconsistent"]
