"""Candidate extraction: terms, variants, compounds, codes, abbreviations, slogans and ranking."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from glossary.cli import app
from glossary.corpus import read_corpus, split_sentences
from glossary.extract import extract_candidates, term_key, token_key, tokenize
from glossary.models import Candidate, Document, Paragraph, Passage, Sentence

SEED_NB = "000_f8ee477c81dbbf1d.txt"
SEED_CS = "002_4454af98e30bf413.txt"
SEED_SV = "003_3a33f52d9453375b.txt"
SEED_FR = "004_13409af1c0f11f60.txt"


@pytest.fixture(scope="module")
def seed_documents(seeds_dir):
    corpus = read_corpus([seeds_dir])
    assert len(corpus.documents) == 5
    return corpus.documents


@pytest.fixture(scope="module")
def seed_candidates(seed_documents) -> list[Candidate]:
    return extract_candidates(seed_documents)


def having(candidates, lang: str, form: str) -> Candidate:
    """The candidate of `lang` that lists `form` among its surface forms."""
    found = [c for c in candidates if c.lang == lang and form in c.forms]
    assert found, f"no {lang} candidate has the form {form!r}"
    assert len(found) == 1, f"{form!r} is listed by several {lang} candidates: {found}"
    return found[0]


def make_doc(text: str, lang: str, path: str = "synthetic.txt", passages=()) -> Document:
    """A one-paragraph Document, split into sentences the way the corpus reader does."""
    text = unicodedata.normalize("NFC", text)
    sentences = tuple(Sentence(text[s:e], s, e, lang, 0) for s, e in split_sentences(text, lang))
    return Document(
        path=path,
        lang=lang,
        title="",
        date=None,
        url=None,
        text=text,
        paragraphs=(Paragraph(text, 0, len(text), lang),),
        sentences=sentences,
        passages=tuple(passages),
    )


# ---------------------------------------------------------------- the seeds
def test_czech_case_variants_share_one_key(seed_candidates):
    masove = having(seed_candidates, "cs", "masové mobilizace")
    assert {"masovou mobilizaci", "masové mobilizaci"} <= set(masove.forms)
    assert masove.freq >= len(masove.forms)
    for form in ("masovou mobilizaci", "masové mobilizaci"):
        assert having(seed_candidates, "cs", form).key == masove.key
    single = having(seed_candidates, "cs", "mobilizace")
    assert {"mobilizaci", "mobilizací"} <= set(single.forms)


def test_norwegian_definite_and_genitive_forms_share_one_key(seed_candidates):
    komite = having(seed_candidates, "nb", "partikomiteen")
    assert "partikomiteens" in komite.forms
    longer = having(seed_candidates, "nb", "provinsielle partikomiteen")
    assert "provinsielle partikomiteens" in longer.forms


def test_compound_is_one_candidate_with_its_definite_form(seed_candidates):
    compound = having(seed_candidates, "nb", "massemobiliseringsarbeid")
    assert "massemobiliseringsarbeidet" in compound.forms
    assert " " not in compound.key
    assert compound.kind == "term"
    assert having(seed_candidates, "sv", "massmobiliseringsarbetet")


@pytest.mark.parametrize(
    ("lang", "code"),
    [("cs", "25-NQ/TW"), ("cs", "43-KL/TW"), ("fr", "25-NQ/TW"), ("fr", "43-KL/TW"),
     ("fr", "23-QD/TW")],
)  # fmt: skip
def test_document_codes_are_candidates_of_kind_code(seed_candidates, lang, code):
    candidate = having(seed_candidates, lang, code)
    assert candidate.kind == "code"
    assert candidate.forms == (code,)


def test_abbreviation_occurring_once_is_a_candidate(seed_candidates, seed_documents):
    gpmb = having(seed_candidates, "nb", "GPMB")
    assert gpmb.kind == "abbreviation"
    assert gpmb.freq == 1
    assert gpmb.docs == (seed_documents[0].path,)


def test_many_real_terms_occur_only_once(seed_candidates):
    once = [c for c in seed_candidates if c.freq == 1]
    assert len(once) > len(seed_candidates) / 3
    assert having(seed_candidates, "nb", "rydding av tomter").freq >= 1


@pytest.mark.parametrize(
    ("lang", "slogan"),
    [
        ("fr", "mobilisation de masse qualifiée"),  # « »
        ("cs", "dovedné masové mobilizace"),  # „ “
        ("nb", "Faglært massemobilisering"),  # « »
        ("sv", "skicklig massmobilisering"),  # " "
        ("nl", "Mensen weten, mensen bespreken, mensen doen, mensen inspecteren, "
               "mensen controleren, mensen profiteren"),  # " ", with inner commas
    ],
)  # fmt: skip
def test_quoted_slogans_are_whole_units(seed_candidates, lang, slogan):
    found = [
        c
        for c in seed_candidates
        if c.lang == lang and any(f.casefold() == slogan.casefold() for f in c.forms)
    ]
    assert found, f"the {lang} slogan {slogan!r} is not a candidate"
    assert found[0].kind == "slogan"
    assert not any(q in f for f in found[0].forms for q in '«»„“”"')


def test_long_french_slogan_keeps_its_words_together(seed_candidates):
    slogans = [c.form for c in seed_candidates if c.lang == "fr" and c.kind == "slogan"]
    assert any(s.startswith("Le peuple tout entier s'unit") for s in slogans)


def test_untranslated_english_is_not_a_norwegian_candidate(seed_candidates):
    norwegian = [c for c in seed_candidates if c.lang == "nb"]
    assert not any("Skilled" in f or "Mobilization" in f for c in norwegian for f in c.forms)
    english = [c for c in seed_candidates if c.lang == "en"]
    assert any("Skilled Mass Mobilization" in c.forms for c in english)


def test_candidates_are_ranked_by_score_within_each_language(seed_candidates):
    langs = [c.lang for c in seed_candidates]
    # Each language is one block; inside it scores never increase.
    blocks = [lang for i, lang in enumerate(langs) if i == 0 or langs[i - 1] != lang]
    assert len(blocks) == len(set(blocks))
    assert set(blocks) >= {"nb", "nl", "cs", "sv", "fr"}
    for lang in set(langs):
        scores = [c.score for c in seed_candidates if c.lang == lang]
        assert scores == sorted(scores, reverse=True)


def test_real_terms_outrank_the_everyday_words_around_them(seed_candidates):
    nb = [c for c in seed_candidates if c.lang == "nb"]
    rank = {f: i for i, c in enumerate(nb) for f in c.forms}
    assert rank["massemobiliseringsarbeid"] < len(nb) // 10
    assert rank["partikomiteen"] < len(nb) // 10
    for common in ("mange", "viktige", "gjennom"):
        if common in rank:
            assert rank[common] > rank["massemobiliseringsarbeid"]


def test_terms_do_not_begin_or_end_with_function_words(seed_candidates):
    edges = {"nb": {"og", "i", "på", "til", "av"}, "fr": {"et", "de", "la", "les", "du"}}
    for c in seed_candidates:
        if c.lang in edges and c.kind in ("term", "name"):
            words = c.form.casefold().split()
            assert words[-1] not in edges[c.lang], c.form
            if len(words) < 3:
                assert words[0] not in edges[c.lang], c.form


def test_contexts_point_back_at_the_term_in_its_document(seed_candidates, seed_documents):
    texts = {d.path: d.text for d in seed_documents}
    for c in seed_candidates:
        assert 1 <= len(c.contexts) <= c.freq
        assert set(c.docs) <= set(texts)
        for ctx in c.contexts:
            span = texts[ctx.doc][ctx.start : ctx.end]
            # Forms are NFC with no-break spaces made plain (French « » spacing).
            assert unicodedata.normalize("NFC", span).replace("\u00a0", " ") in c.forms
            assert span in ctx.sentence or c.kind == "slogan"


def test_every_candidate_is_nfc_text_with_a_key(seed_candidates):
    for c in seed_candidates:
        assert c.key and c.forms and c.freq >= 1 and c.score >= 0
        assert all(unicodedata.is_normalized("NFC", f) for f in c.forms)
        assert len(set(c.forms)) == len(c.forms)


def test_language_filter_keeps_only_that_language(seed_documents):
    czech = extract_candidates(seed_documents, lang="cs")
    assert czech and {c.lang for c in czech} == {"cs"}


def test_extraction_is_deterministic(seed_documents, seed_candidates):
    assert extract_candidates(seed_documents) == seed_candidates


# ---------------------------------------------------------------- small documents
def test_no_documents_give_no_candidates():
    assert extract_candidates([]) == []
    assert extract_candidates([make_doc("", "nb")]) == []


def test_capitalised_sentence_start_is_the_same_term():
    doc = make_doc(
        "Partikomiteen møttes i går. Lederen av partikomiteen talte om partikomiteens plan.", "nb"
    )
    komite = having(extract_candidates([doc]), "nb", "partikomiteen")
    assert set(komite.forms) == {"Partikomiteen", "partikomiteen", "partikomiteens"}
    assert komite.freq == 3


def test_frequency_and_documents_add_up_across_files():
    one = make_doc("Fedrelandsfronten arbeider godt.", "nb", "a.txt")
    two = make_doc("Fedrelandsfronten og partikomiteen arbeider.", "nb", "b.txt")
    front = having(extract_candidates([one, two]), "nb", "Fedrelandsfronten")
    assert front.freq == 2
    assert front.docs == ("a.txt", "b.txt")


@pytest.mark.parametrize(
    ("lang", "sentence", "slogan"),
    [
        ("nl", "Het motto “Het volk is de wortel van alles” werd herhaald.",
         "Het volk is de wortel van alles"),
        ("cs", "Heslo „Lid je kořenem všeho“ zaznělo znovu.", "Lid je kořenem všeho"),
        ("fr", "Le mot d'ordre « le peuple est la racine » a été repris.",
         "le peuple est la racine"),
        ("sv", 'Parollen "folket är roten" upprepades.', "folket är roten"),
    ],
)  # fmt: skip
def test_each_quote_style_gives_one_slogan(lang, sentence, slogan):
    candidates = extract_candidates([make_doc(sentence, lang)])
    found = having(candidates, lang, slogan)
    assert found.kind == "slogan"


def test_unclosed_quote_does_not_break_extraction():
    doc = make_doc("Han sa «dyktig massemobilisering og gikk. Partikomiteen møttes.", "nb")
    forms = {f for c in extract_candidates([doc]) for f in c.forms}
    assert "Partikomiteen" in forms


def test_bare_numbers_are_not_terms():
    doc = make_doc("I 2024 organiserte distriktet 71 dialoger med folket.", "nb")
    forms = {f for c in extract_candidates([doc]) for f in c.forms}
    assert "2024" not in forms and "71" not in forms
    assert "dialoger" in forms


def _with_english_passage() -> Document:
    text = "Bevegelsen «Skilled Mass Mobilization» ble oppsummert av partikomiteen."
    start = text.index("Skilled")
    end = start + len("Skilled Mass Mobilization")
    return make_doc(text, "nb", passages=[Passage(text[start:end], start, end, "en")])


def test_foreign_passage_keeps_its_own_language():
    candidates = extract_candidates([_with_english_passage()])
    english = having(candidates, "en", "Skilled Mass Mobilization")
    assert english.kind in ("name", "term")
    assert having(candidates, "nb", "partikomiteen")


def test_norwegian_terms_do_not_reach_across_an_english_passage():
    candidates = extract_candidates([_with_english_passage()])
    leaked = [f for c in candidates if c.lang == "nb" for f in c.forms if "Skilled" in f]
    assert leaked == []


def test_code_and_abbreviation_kinds_on_a_small_text():
    doc = make_doc("Resolusjon 25-NQ/TW om GPMB ble vedtatt av NTM-komiteen.", "nb")
    candidates = extract_candidates([doc])
    assert having(candidates, "nb", "25-NQ/TW").kind == "code"
    assert having(candidates, "nb", "GPMB").kind == "abbreviation"


@pytest.mark.parametrize(
    ("lang", "sentence", "phrase"),
    [
        ("nb", "Hele det politiske systemet deltok.", "det politiske systemet"),
        ("nb", "Hun styrket den nasjonale enhetsfronten.", "den nasjonale enhetsfronten"),
        ("sv", "Hela det politiska systemet deltog.", "det politiska systemet"),
        ("sv", "De stärkte den nationella enhetsfronten.", "den nationella enhetsfronten"),
    ],
)  # fmt: skip
def test_nordic_article_phrases_are_candidates(lang, sentence, phrase):
    assert having(extract_candidates([make_doc(sentence, lang)]), lang, phrase)


def test_an_article_does_not_open_an_ordinary_clause():
    forms = {f for c in extract_candidates([make_doc("Det er viktig arbeid.", "nb")]) for f in c.forms}
    assert "Det er viktig" not in forms


def test_a_word_seen_only_inside_longer_names_loses_its_own_weight():
    def score(word: str) -> float:
        text = f"Lederen av Vietnams {word} Hanoi talte. Han møtte Laos {word} Hue."
        return having(extract_candidates([make_doc(text, "nb")]), "nb", word).score

    assert score("Fedrelandsfront") < score("fedrelandsfront")


def test_a_name_starts_and_ends_capitalised():
    doc = make_doc("Partikomiteen i Hanoi møttes, og Komiteen for Mobilisering talte.", "nb")
    candidates = extract_candidates([doc])
    assert having(candidates, "nb", "Komiteen for Mobilisering").kind == "name"
    assert having(candidates, "nb", "Partikomiteen i Hanoi").kind == "name"
    mixed = [c for c in candidates if c.lang == "nb" and "Hanoi møttes" in " ".join(c.forms)]
    assert all(c.kind != "name" for c in mixed)


# ---------------------------------------------------------------- the CLI
def test_candidates_json_has_the_documented_shape(seeds_dir):
    result = CliRunner().invoke(app, ["candidates", str(seeds_dir), "--json", "--top", "25"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, list) and data
    for item in data:
        assert {"lang", "key", "forms", "freq", "score", "docs"} <= set(item)
        assert isinstance(item["forms"], list) and item["forms"]
        assert isinstance(item["freq"], int) and item["freq"] >= 1
        assert isinstance(item["score"], (int, float))
        assert all(Path(d).name.endswith(".txt") for d in item["docs"])
    by_lang: dict[str, list[float]] = {}
    for item in data:
        by_lang.setdefault(item["lang"], []).append(item["score"])
    assert {"nb", "nl", "cs", "sv", "fr"} <= set(by_lang)
    for lang, scores in by_lang.items():
        assert len(scores) <= 25
        assert scores == sorted(scores, reverse=True), lang


def test_candidates_json_for_one_language_lists_all_its_forms(seeds_dir):
    result = CliRunner().invoke(app, ["candidates", str(seeds_dir), "--lang", "cs", "--json",
                                      "--top", "0"])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {item["lang"] for item in data} == {"cs"}
    masove = [i for i in data if "masové mobilizace" in i["forms"]]
    assert masove and {"masovou mobilizaci", "masové mobilizaci"} <= set(masove[0]["forms"])
    assert any(i["forms"] == ["25-NQ/TW"] for i in data)


def test_candidates_table_shows_each_language(seeds_dir):
    result = CliRunner().invoke(app, ["candidates", str(seeds_dir), "--top", "3"])
    assert result.exit_code == 0, result.output
    for lang in ("nb", "nl", "cs", "sv", "fr"):
        assert f"{lang}:" in result.stdout


# ---------------------------------------------------------------- properties
LETTERS = "abcdefghijklmnopqrstuvwxyzåæøäöéèêëàâçîïôûùüœáčďěíňóřšťúůýž"
WORDS = st.text(alphabet=LETTERS + LETTERS.upper(), min_size=1, max_size=20)
LANGS = st.sampled_from(["nb", "nl", "cs", "sv", "fr", "en", "vi"])


@settings(max_examples=200, deadline=None)
@given(word=WORDS, lang=LANGS)
def test_token_key_ignores_case(word, lang):
    assert token_key(word, lang) == token_key(word.upper(), lang) == token_key(word.lower(), lang)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=60), lang=LANGS)
def test_keys_never_crash_and_are_lower_case(text, lang):
    key = token_key(text, lang)
    assert isinstance(key, str)
    assert key == key.casefold() or not key.isalpha()
    words = text.split()
    assert term_key(words, lang) == " ".join(
        token_key(w, lang) for w in words if w not in set('«»“”„"‹›‚')
    )


@settings(max_examples=200, deadline=None)
@given(words=st.lists(WORDS, min_size=1, max_size=4), lang=LANGS)
def test_keys_of_nfc_words_are_nfc_and_repeatable(words, lang):
    nfc = [unicodedata.normalize("NFC", w) for w in words]
    key = term_key(nfc, lang)
    assert unicodedata.is_normalized("NFC", key)
    assert key == term_key(list(nfc), lang)
    assert len(key.split(" ")) == len(nfc) or "" in [token_key(w, lang) for w in nfc]


@settings(max_examples=100, deadline=None)
@given(word=WORDS, lang=LANGS)
def test_decomposed_input_gets_the_same_key(word, lang):
    nfd = unicodedata.normalize("NFD", word)
    assert token_key(nfd, lang) == token_key(unicodedata.normalize("NFC", word), lang)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=120), offset=st.integers(min_value=0, max_value=10_000))
def test_token_offsets_point_at_the_token_text(text, offset):
    tokens = tokenize(text, offset)
    previous_end = offset
    for tok in tokens:
        assert text[tok.start - offset : tok.end - offset] == tok.text
        assert tok.start >= previous_end and tok.end > tok.start
        assert not any(ch.isspace() for ch in tok.text)
        previous_end = tok.end


def test_tokens_keep_codes_and_inner_joiners_whole():
    texts = [t.text for t in tokenize("Vedtak 25-NQ/TW om l'État og sosio-politiske «tiltak».")]
    assert "25-NQ/TW" in texts
    assert "l'État" in texts
    assert "sosio-politiske" in texts
    assert "«" in texts and "»" in texts
