"""The stored lookup index: same answers as the in-memory one, rebuilt when it cannot be trusted."""

from __future__ import annotations

import os
import sqlite3
from array import array
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz import fuzz

from benchmarks.lookup_bench import queries, synthetic
from glossary import check as ck
from glossary import lookup as lk
from glossary import lookupdb, store
from glossary.models import TermEntry
from tests.test_lookup import fixture_glossary

QUERIES = [
    "massamobilisatie", "dan van kheo", "dang uy", "masovou mobilizací", "partikomiteens",
    "massemobiliseringsarbeidet", "masmobilisering", "Skickad massmobilisering", "party committee",
    "mobilisering", "mass", "zzqx", "Đảng ủy", "komiteen",
]  # fmt: skip


def stored(index: lk.LookupIndex, tmp_path: Path) -> lookupdb.StoredIndex:
    path = tmp_path / "index.sqlite"
    lookupdb.write(index, path, {})
    return lookupdb.StoredIndex(path)


@pytest.mark.parametrize("size", ["fixture", "synthetic"])
def test_stored_index_answers_every_query_as_the_built_one(size, tmp_path):
    g = fixture_glossary() if size == "fixture" else synthetic(concepts=300)
    built = lk.build_index(g)
    disk = stored(built, tmp_path)
    asked = QUERIES + queries(g, n=300)
    for query in asked:
        for options in ({}, {"include_all": True, "limit": 3}, {"lang": "sv"}):
            assert lk.lookup(disk, query, **options) == lk.lookup(built, query, **options), query
    assert disk.langs() == built.langs()


def test_check_finds_the_same_terms_with_a_stored_index(tmp_path):
    built = lk.build_index(fixture_glossary())
    disk = stored(built, tmp_path)
    text = "Partikomiteens arbeid med massemobilisering og partikomiteen i provinsen."
    assert ck.check_text(disk, text, "nb") == ck.check_text(built, text, "nb")


@given(st.text(alphabet="abcde ", min_size=4, max_size=14), st.text(alphabet="abcde ", max_size=20))
def test_bigram_bound_keeps_every_spelling_similar_enough(query, key):
    # The typo search only scores keys that pass this bound, so it must never drop a match.
    if fuzz.ratio(query, key) >= lookupdb.FUZZY_CUTOFF:
        assert -(-2 * len(query) // 3) <= len(key) <= 3 * len(query) // 2
        grams = Counter(lookupdb.bigrams(key))
        shared = sum(grams[g] for g in set(lookupdb.bigrams(query)))
        assert shared >= lookupdb.min_shared(len(query), len(key))


@pytest.fixture
def workbook(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("GLOSSARY_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "terms.xlsx"
    store.save(fixture_glossary(), path)
    return path


def test_a_touched_but_unchanged_workbook_keeps_its_index(workbook, monkeypatch):
    lk.load_index(workbook)
    os.utime(workbook, (1_000_000_000, 1_000_000_000))
    monkeypatch.setattr(lk, "build_index", lambda *a, **k: pytest.fail("index rebuilt"))
    index = lk.load_index(workbook)
    assert isinstance(index, lookupdb.StoredIndex)
    assert lk.lookup(index, "partikomiteens")[0].concept_id == "party_committee"


def test_a_changed_workbook_rebuilds_its_index(workbook):
    lk.load_index(workbook)
    g = fixture_glossary()
    g.terms.append(TermEntry("party_committee", "da", "partikomité", "preferred"))
    store.save(g, workbook)
    hit = lk.lookup(lk.load_index(workbook), "partikomité", lang="da")[0]
    assert hit.concept_id == "party_committee"
    assert len(list(lk.index_path(workbook).parent.glob("lookup-terms-*.sqlite"))) == 1


@pytest.mark.parametrize("damage", ["garbage", "cut short", "old version", "empty"])
def test_a_damaged_or_old_index_file_is_rebuilt(workbook, damage):
    lk.load_index(workbook)
    path = lk.index_path(workbook)
    if damage == "garbage":
        path.write_bytes(b"not a database at all" * 100)
    elif damage == "cut short":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "old version":
        with sqlite3.connect(path) as db:
            db.execute("UPDATE meta SET value = '3' WHERE name = 'version'")
        db.close()
    else:
        path.write_bytes(b"")
    index = lk.load_index(workbook)
    assert lk.lookup(index, "dan van kheo")[0].concept_id == "skilled_mass_mobilization"
    again = lk.load_index(workbook)
    assert isinstance(again, lookupdb.StoredIndex)
    assert lk.lookup(again, "dan van kheo")[0].concept_id == "skilled_mass_mobilization"


def test_an_index_of_the_old_pickle_format_is_removed(workbook):
    old = lk.index_path(workbook).parent / "lookup-terms-0123456789abcdef0123.pickle"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"old")
    lk.load_index(workbook)
    assert not old.exists()


def test_an_unwritable_cache_folder_still_answers_and_writes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "book" / "terms.xlsx"
    path.parent.mkdir()
    store.save(fixture_glossary(), path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be", encoding="utf-8")
    monkeypatch.setenv("GLOSSARY_CACHE", str(blocker / "cache"))
    before = sorted(p.name for p in tmp_path.rglob("*"))
    for _ in range(2):
        index = lk.load_index(path)
        assert lk.lookup(index, "partikomiteens")[0].concept_id == "party_committee"
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


@given(st.lists(st.text(alphabet="abcđảá ", max_size=8), max_size=12))
def test_bigram_postings_list_the_keys_holding_each_bigram_r_times(keys):
    expected: dict[tuple[str, int], list[int]] = {}
    for k, key in enumerate(keys):
        for gram, times in Counter(lookupdb.bigrams(key)).items():
            for r in range(1, times + 1):
                expected.setdefault((gram, r), []).append(k)
    found = {(gram, r): list(array("I", blob)) for gram, r, blob in lookupdb.gram_postings(keys)}
    assert found == expected


@given(
    st.text(alphabet="abcé", min_size=1, max_size=12),
    st.lists(st.text(alphabet="abcé", min_size=1, max_size=14), max_size=40),
)
def test_word_ranges_hold_every_word_that_tokens_match_accepts(form, words):
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE vocab (token TEXT PRIMARY KEY, uses BLOB) WITHOUT ROWID")
    db.executemany("INSERT OR IGNORE INTO vocab VALUES (?, x'')", [(w,) for w in words])
    ranged = {w for w, _ in db.execute(lookupdb._MATCHING_WORDS, lookupdb._word_bounds(form))}
    assert {w for w in words if lk.tokens_match(form, w)} <= ranged


@pytest.mark.parametrize("limit", [1, 5, 12])
def test_checking_short_entries_first_finds_what_checking_all_finds(limit, monkeypatch):
    g = synthetic(concepts=300)
    built = lk.build_index(g)
    asked = QUERIES + queries(g, n=300)
    by_length = [lk.lookup(built, q, limit=limit, include_all=True) for q in asked]
    # One word count for every entry: a single group, so every candidate is checked.
    monkeypatch.setattr(lk.LookupIndex, "token_count", lambda self, entry: 0)
    assert [lk.lookup(built, q, limit=limit, include_all=True) for q in asked] == by_length
