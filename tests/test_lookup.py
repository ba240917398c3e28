"""Lookup as a translator uses it: any language, no diacritics, inflected forms, typos."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glossary import lookup as lk
from glossary import lookupdb
from glossary.errors import StoreError, UsageError
from glossary.models import ConceptEntry, ContextEntry, Glossary, TermEntry

DATA = Path(__file__).parent / "data" / "exchange"


def fixture_glossary() -> Glossary:
    """The small realistic glossary of tests/data/exchange/glossary.json."""
    data = json.loads((DATA / "glossary.json").read_text(encoding="utf-8"))
    return Glossary(
        [ConceptEntry(**c) for c in data["concepts"]],
        [TermEntry(**t) for t in data["terms"]],
        [ContextEntry(**c) for c in data["contexts"]],
        data["about"],
    )


@pytest.fixture(scope="module")
def index() -> lk.LookupIndex:
    return lk.build_index(fixture_glossary())


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    from glossary import store

    path = tmp_path_factory.mktemp("lookup") / "terms.xlsx"
    store.save(fixture_glossary(), path)
    return path


def top(index, query, **options):
    results = lk.lookup(index, query, **options)
    assert results, f"no result for {query!r}"
    return results[0]


def test_lookup_finds_exact_term_in_any_language(index):
    hit = top(index, "massamobilisatie")
    assert (hit.concept_id, hit.match, hit.matched_lang) == ("mass_mobilization", "exact", "nl")


def test_lookup_finds_vietnamese_typed_without_diacritics(index):
    hit = top(index, "dan van kheo")
    assert hit.concept_id == "skilled_mass_mobilization"
    assert hit.vi == "Dân vận khéo" and hit.match == "no diacritics"
    assert top(index, "dang uy").concept_id == "party_committee"  # đ is folded to d


def test_lookup_finds_czech_inflected_form(index):
    hit = top(index, "masovou mobilizací")
    assert hit.concept_id == "mass_mobilization"
    assert hit.matched in ("masová mobilizace", "masové mobilizace")


def test_lookup_finds_nordic_definite_genitive(index):
    hit = top(index, "partikomiteens")
    assert (hit.concept_id, hit.matched) == ("party_committee", "partikomiteen")
    assert top(index, "massemobiliseringsarbeidet").concept_id == "mass_mobilization_work"


def test_lookup_finds_typo_ranked_below_exact(index):
    hit = top(index, "masmobilisering")
    assert hit.concept_id == "mass_mobilization" and hit.match == "similar spelling"
    results = lk.lookup(index, "Skickad massmobilisering")
    assert results[0].match == "exact"
    assert all(r.score < results[0].score for r in results[1:])


def test_lookup_finds_english_gloss_and_its_alternatives(index):
    assert top(index, "mass mobilization").concept_id == "mass_mobilization"
    assert (
        top(index, "government").concept_id == "authorities"
    )  # from "(local) government / authorities"


def test_result_lists_preferred_first_and_flags_deprecated(index):
    hit = top(index, "dan van kheo", to=["sv"])
    assert [(t.term, t.status) for t in hit.terms] == [
        ("skicklig massmobilisering", "preferred"),
        ("Skickad massmobilisering", "deprecated"),
    ]
    assert hit.terms[1].do_not_use and not hit.terms[0].do_not_use
    assert hit.terms[0].confidence == pytest.approx(0.91)
    assert "skicklig massmobilisering" in hit.context
    text = lk.render([hit])
    assert "DO NOT USE" in text and "Dân vận khéo" in text


def test_rejected_terms_hidden_unless_all(index):
    hit = top(index, "mobilisation de masse", to=["fr"])
    assert [t.term for t in hit.terms] == ["mobilisation de masse"]
    shown = top(index, "mobilisation de masse", to=["fr"], include_all=True)
    assert "mobilisation des masses" in [t.term for t in shown.terms]


def test_lang_filter_restricts_matching_language(index):
    assert lk.lookup(index, "massemobilisering", lang="sv", fuzzy=False) == []
    assert top(index, "massemobilisering", lang="nb").concept_id == "mass_mobilization"


def test_several_concepts_are_ranked(index):
    results = lk.lookup(index, "massmobilisering")
    ids = [r.concept_id for r in results]
    assert ids[0] == "mass_mobilization"
    assert "skilled_mass_mobilization" in ids  # part of "skicklig massmobilisering"
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)


def test_bad_queries_raise_clear_usage_errors(index):
    with pytest.raises(UsageError, match="empty query"):
        lk.lookup(index, "  ")
    with pytest.raises(UsageError, match="unknown language 'xx'"):
        lk.lookup(index, "dân vận", lang="xx")
    with pytest.raises(StoreError, match="glossary not found"):
        lk.load_index(Path("/nonexistent/terms.xlsx"))


@given(st.text(max_size=30))
def test_fold_is_idempotent_and_keeps_ascii(text):
    once = lk.fold(lk.normalize(text))
    assert lk.fold(once) == once
    if text.isascii():
        assert lk.fold(text) == text


@given(st.text(max_size=30))
def test_fold_strips_every_combining_mark_as_unicodedata_says(text):
    import unicodedata

    spread = unicodedata.normalize("NFD", text.translate(lk._FOLD))
    bare = "".join(c for c in spread if not unicodedata.combining(c))
    assert lk.fold(text) == unicodedata.normalize("NFC", bare)


@given(st.text(alphabet=st.sampled_from("ab _-'’.,ąé1²\u0301\u00a0\t"), max_size=20))
def test_plain_word_split_gives_the_regex_tokens(text):
    norm = lk.normalize(text)
    assert lk._words(norm) == lk._TOKEN.findall(norm)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzåäöéáý", min_size=1, max_size=20))
def test_token_matching_is_symmetric_and_reflexive(word):
    assert lk.tokens_match(word, word)
    other = word + "ens"
    assert lk.tokens_match(word, other) == lk.tokens_match(other, word)


def test_index_cache_is_reused_and_rebuilt_when_workbook_changes(workbook, tmp_path, monkeypatch):
    monkeypatch.setenv("GLOSSARY_CACHE", str(tmp_path / "cache"))
    first = lk.load_index(workbook)
    cached = list((tmp_path / "cache").glob("lookup-terms-*.sqlite"))
    assert len(cached) == 1
    again = lk.load_index(workbook)
    assert isinstance(again, lookupdb.StoredIndex)
    assert [again.entries[i] for i in range(len(first.entries))] == first.entries
    copy = tmp_path / "terms.xlsx"
    from glossary import store

    g = fixture_glossary()
    g.terms.append(TermEntry("party_committee", "da", "partikomité", "preferred"))
    store.save(g, copy)
    assert top(lk.load_index(copy), "partikomité", lang="da").concept_id == "party_committee"


def _run(args, workbook, stdin=None, env_extra=None):
    import os

    env = {**os.environ, "GLOSSARY_CACHE": str(workbook.parent / "cache"), **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "glossary.cli", *args, "--glossary", str(workbook)],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_cli_lookup_json(workbook):
    result = _run(["lookup", "masovou", "mobilizací", "--to", "cs", "--json"], workbook)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data[0]["concept_id"] == "mass_mobilization"
    assert {t["lang"] for t in data[0]["terms"]} == {"cs"}


def test_cli_bad_input_gives_one_line_and_exit_2(workbook, tmp_path):
    for args, message in [
        (["lookup", "dân vận", "--lang", "xx"], "unknown language"),
        (["lookup", " "], "empty query"),
    ]:
        result = _run(args, workbook)
        assert result.returncode == 2 and message in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    missing = _run(["lookup", "dân vận"], tmp_path / "missing.xlsx")
    assert missing.returncode == 2 and "glossary not found" in missing.stderr


def test_interactive_session_answers_each_line(workbook):
    result = _run(["lookup"], workbook, stdin="dan van kheo\npartikomiteens\nquit\n")
    assert result.returncode == 0, result.stderr
    assert "Dân vận khéo" in result.stdout and "Đảng ủy" in result.stdout


def test_plain_lookup_does_not_import_torch(workbook):
    code = (
        "import sys\n"
        "from glossary.cli import main\n"
        f"sys.argv = ['glossary', 'lookup', 'dan van', '--glossary', {str(workbook)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'pandas') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert "HEAVY []" in result.stdout, result.stdout + result.stderr
