"""Find concepts from whatever a translator types: any language, no diacritics, inflected, typos.

The index is built once from a Glossary (with a small per-language table of inflected forms
harvested from simplemma) and cached next to the workbook, so that a cold `glossary lookup`
neither opens the workbook nor loads lemmatiser dictionaries.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import os
import re
import sqlite3
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from glossary.errors import StoreError, UsageError
from glossary.models import KNOWN_LANGS, SOURCE_LANG, Glossary

INDEX_VERSION = 5  # 4: stored as SQLite (glossary.lookupdb); 5: concept ids per entry
QUOTES = "«»“”„\"'’‘‚‹›"
_EDGE = QUOTES + " .,;:!?()[]{}…–—-/"
_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*")
# Letters that NFD does not split into base + accent.
_FOLD = str.maketrans({"đ": "d", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ł": "l", "ı": "i"})

STATUS_RANK = {"preferred": 0, "admitted": 1, "proposed": 2, "deprecated": 3, "rejected": 4}
CONCEPT_RANK = {"approved": 0, "proposed": 1, "rejected": 2}
LARGE_VOCABULARY = 20_000  # distinct words of one language; see _harvest_forms
MAX_SUFFIX = 5  # an inflectional ending longer than this is more likely another word or compound

# Scores per kind of match; every literal kind outranks fuzzy, and fuzzy outranks semantic.
SCORES = {"exact": 1.0, "no diacritics": 0.95, "inflected": 0.9, "part of term": 0.7}


# ---------------------------------------------------------------- normalisation
_QUOTE_RUN = re.compile("[" + re.escape(QUOTES) + "]")
_SPACE_RUN = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFC, casefolded, quotes and outer punctuation stripped, whitespace collapsed."""
    text = unicodedata.normalize("NFC", text or "").replace("\u00a0", " ").casefold()
    text = _QUOTE_RUN.sub(" ", text)
    return _SPACE_RUN.sub(" ", text).strip(_EDGE).strip()


class _Combining(dict):
    """str.translate table that deletes combining marks, filled in as characters are met."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_STRIP_MARKS = _Combining()


def fold(text: str) -> str:
    """Text without diacritics (Dân vận -> dan van, Đảng -> dang), for typing on any keyboard."""
    if text.isascii():  # nothing to fold; most words of most glossaries
        return text
    text = unicodedata.normalize("NFD", text.translate(_FOLD))
    return unicodedata.normalize("NFC", text.translate(_STRIP_MARKS))


def tokens(text: str) -> list[str]:
    """Normalised word tokens (hyphenated words and elisions stay whole)."""
    return _TOKEN.findall(normalize(text))


def _words(norm: str) -> list[str]:
    """tokens() of normalised text; plain words split on spaces without the regex."""
    # str.isalnum accepts exactly the characters \w matches, the underscore aside.
    if norm.replace(" ", "").isalnum():
        return norm.split(" ")
    return _TOKEN.findall(norm)


def token_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, folded token) for every word of raw text; offsets point into text."""
    text = unicodedata.normalize("NFC", text)
    return [(m.start(), m.end(), fold(m.group().casefold())) for m in _TOKEN.finditer(text)]


def tokens_match(a: str, b: str) -> bool:
    """Two folded tokens are forms of one word: equal, or a long shared stem and short endings."""
    if a == b:
        return True
    shorter = min(len(a), len(b))
    need = max(4, math.ceil(0.75 * shorter))
    if shorter < need or a[:need] != b[:need]:
        return False
    shared = need
    while shared < shorter and a[shared] == b[shared]:
        shared += 1
    return max(len(a), len(b)) - shared <= MAX_SUFFIX


def stem_prefix(token: str) -> str:
    """The prefix every token matching this one starts with (see tokens_match)."""
    # A match shares >= 4 characters and leaves <= MAX_SUFFIX unshared in the longer token.
    return token[: min(len(token), max(4, len(token) - MAX_SUFFIX))]


# ---------------------------------------------------------------- results
@dataclass(frozen=True)
class TermView:
    """One term of a concept as shown to the translator."""

    lang: str
    term: str
    status: str
    confidence: float | None = None
    context: str = ""

    @property
    def do_not_use(self) -> bool:
        """Deprecated terms are shown but flagged."""
        return self.status == "deprecated"


@dataclass(frozen=True)
class LookupResult:
    """A concept that matches the query, with why it matched and its terms."""

    concept_id: str
    vi: str
    en: str
    kind: str
    status: str
    definition: str
    score: float
    match: str  # exact | no diacritics | inflected | part of term | similar spelling | semantic
    matched: str  # the glossary text that matched
    matched_lang: str
    terms: tuple[TermView, ...] = ()
    context: str = ""
    context_lang: str = ""

    def to_dict(self) -> dict:
        """JSON-ready form (terms carry their do_not_use flag)."""
        data = asdict(self)
        data["terms"] = [{**asdict(t), "do_not_use": t.do_not_use} for t in self.terms]
        return data


# ---------------------------------------------------------------- index
@dataclass
class LookupIndex:
    """Everything a query needs, as plain picklable data."""

    concepts: list[dict] = field(default_factory=list)
    # one entry per searchable text: (concept index, lang, text, status, role)
    # role: term | form (a surface form of a term) | vi | en
    entries: list[tuple[int, str, str, str, str]] = field(default_factory=list)
    term_entry: dict[int, int] = field(default_factory=dict)  # a form's entry -> its term's
    entry_norm: list[str] = field(default_factory=list)
    entry_fold: list[str] = field(default_factory=list)
    entry_tokens: list[tuple[str, ...]] = field(default_factory=list)
    entry_lemmas: list[tuple[str, ...]] = field(default_factory=list)
    by_norm: dict[str, list[int]] = field(default_factory=dict)
    by_fold: dict[str, list[int]] = field(default_factory=dict)
    vocab: list[str] = field(default_factory=list)  # sorted folded tokens and lemmas
    vocab_uses: list[tuple[tuple[int, int], ...]] = field(default_factory=list)  # (entry, position)
    forms: dict[str, dict[str, str]] = field(default_factory=dict)  # lang -> folded form -> lemma
    fuzzy_keys: list[str] = field(default_factory=list)
    fuzzy_entries: list[list[int]] = field(default_factory=list)
    version: int = INDEX_VERSION

    def term_text(self, entry: int) -> str:
        """The glossary term an entry stands for: itself, or the term a form belongs to."""
        return self.entries[self.term_entry.get(entry, entry)][2]

    def langs(self) -> list[str]:
        """Languages that have searchable entries."""
        return sorted({e[1] for e in self.entries})

    def prefetch(self, entries: Iterable[int]) -> None:
        """Nothing to read: every entry is in memory (a stored index reads rows here)."""

    def token_count(self, entry: int) -> int:
        """How many words an entry has."""
        return len(self.entry_tokens[entry])

    def candidates(self, token: str, prefetch: bool = True) -> set[tuple[int, int]]:
        """(entry, position) of every entry token that may be a form of this folded token."""
        found: set[tuple[int, int]] = set()
        for form in self.lemmas_of(token):
            prefix = stem_prefix(form)
            at = bisect_left(self.vocab, prefix)
            while at < len(self.vocab) and self.vocab[at].startswith(prefix):
                # Testing each distinct word once prunes most entries before the phrase check.
                if tokens_match(form, self.vocab[at]):
                    found.update(self.vocab_uses[at])
                at += 1
        return found

    def lemmas_of(self, token: str) -> set[str]:
        """Lemmas of a folded token in every language of the glossary, the token included."""
        found = {token}
        for table in self.forms.values():
            lemma = table.get(token)
            if lemma:
                found.add(lemma)
        return found

    def similar(self, folded: str, limit: int = 25) -> list[tuple[float, list[int]]]:
        """(rapidfuzz ratio, entries) of the spellings at least 80 similar to folded, best first."""
        from rapidfuzz import fuzz, process

        found = process.extract(
            folded, self.fuzzy_keys, scorer=fuzz.ratio, score_cutoff=80, limit=limit
        )
        return [(score, self.fuzzy_entries[k]) for _, score, k in found]


def _gloss_variants(gloss: str) -> list[str]:
    """The English gloss, without its parenthetical hints, and each '/'-separated alternative."""
    variants = [gloss]
    plain = re.sub(r"\([^)]*\)", " ", gloss)
    variants.append(plain)
    variants.extend(part for part in re.split(r"\s*/\s*", plain) if part.strip())
    seen: dict[str, str] = {}
    for v in variants:
        key = normalize(v)
        if key and key not in seen:
            seen[key] = v.strip()
    return list(seen.values())


def _harvest_forms(lang: str, words: Iterable[str]) -> dict[str, str]:
    """Folded form -> folded lemma for every dictionary form of the lemmas of words (simplemma)."""
    try:
        import simplemma
        from simplemma.strategies.dictionaries.dictionary_factory import (
            DEFAULT_DICTIONARY_FACTORY,
        )

        own = {w: simplemma.lemmatize(w, lang=lang).casefold() for w in words}
        dictionary = DEFAULT_DICTIONARY_FACTORY.get_dictionary(lang)
    except (ValueError, ImportError):  # a language simplemma does not know: prefix rule only
        return {}
    lemmas = set(own.values())
    table = {fold(w): fold(lemma) for w, lemma in own.items()}
    raw = getattr(dictionary, "_dict", None)
    if isinstance(raw, dict):  # ten times faster than decoding every key of the public mapping
        wanted = {lemma.encode() for lemma in lemmas}
        pairs = ((k.decode(), v.decode()) for k, v in raw.items() if v.lower() in wanted)
    else:
        pairs = ((k, v) for k, v in dictionary.items() if v.casefold() in lemmas)
    for form, lemma in pairs:
        table.setdefault(fold(form.casefold()), fold(lemma.casefold()))
    if len(own) > LARGE_VOCABULARY:
        # A large termbase's build holds its workbook and index already: one dictionary
        # (up to 100 MB) at a time keeps the peak down; small builds keep them for the next.
        forget = getattr(
            getattr(DEFAULT_DICTIONARY_FACTORY, "_get_dictionary", None), "cache_clear", None
        )
        if forget is not None:
            forget()
    return {k: v for k, v in table.items() if k != v}


def build_index(glossary: Glossary, langs: Iterable[str] | None = None) -> LookupIndex:
    """Build the in-memory search index; langs limits which term languages are included."""
    wanted = set(langs) if langs else None
    index = LookupIndex()
    normal: dict[str, str] = {}  # text -> normalize(text): each term text is needed thrice

    def normal_of(text: str) -> str:
        found = normal.get(text)
        if found is None:
            found = normal[text] = normalize(text)
        return found

    contexts: dict[tuple[str, str, str], str] = {}
    for c in glossary.contexts:
        contexts.setdefault((c.concept_id, c.lang, normalize(c.term)), c.sentence)
    position: dict[str, int] = {}
    for concept in glossary.concepts:
        position[concept.concept_id] = len(index.concepts)
        index.concepts.append(
            {
                "id": concept.concept_id,
                "vi": concept.vi,
                "en": concept.en,
                "kind": concept.kind,
                "status": concept.status,
                "definition": concept.definition,
                "terms": [],
            }
        )
        if concept.vi and (wanted is None or SOURCE_LANG in wanted):
            index.entries.append(
                (position[concept.concept_id], SOURCE_LANG, concept.vi, "preferred", "vi")
            )
        if concept.en and (wanted is None or "en" in wanted):
            for variant in _gloss_variants(concept.en):
                index.entries.append(
                    (position[concept.concept_id], "en", variant, "preferred", "en")
                )
    for term in glossary.terms:
        at = position.get(term.concept_id)
        if at is None or not term.term.strip():
            continue
        context = term.context or contexts.get(
            (term.concept_id, term.lang, normal_of(term.term)), ""
        )
        index.concepts[at]["terms"].append(
            (term.lang, term.term, term.status, term.confidence, context)
        )
        if wanted is None or term.lang in wanted:
            index.entries.append((at, term.lang, term.term, term.status, "term"))
            own = len(index.entries) - 1
            seen = {normal_of(term.term)}
            forms = term.forms.split(";") if term.forms else ()
            for form in filter(None, (f.strip() for f in forms)):
                if (norm_form := normal_of(form)) not in seen:
                    seen.add(norm_form)
                    index.term_entry[len(index.entries)] = own
                    index.entries.append((at, term.lang, form, term.status, "form"))
    for concept in index.concepts:
        concept["terms"].sort(key=lambda t: (t[0], STATUS_RANK.get(t[2], 9), normal_of(t[1])))

    # Each entry is normalised once; a word's folded form is computed once per build.
    index.entry_norm = [normal_of(text) for _, _, text, _, _ in index.entries]
    normal.clear()
    words = [_words(norm) for norm in index.entry_norm]  # = tokens(text)
    words_by_lang: dict[str, set[str]] = {}
    for (_, lang, _, _, _), found in zip(index.entries, words, strict=True):
        words_by_lang.setdefault(lang, set()).update(found)
    for lang, found in sorted(words_by_lang.items()):
        if lang != SOURCE_LANG:  # simplemma has no Vietnamese, whose words do not inflect anyway
            index.forms[lang] = _harvest_forms(lang, sorted(found))

    folded_word = {w: fold(w) for found in words_by_lang.values() for w in found}
    uses: dict[str, list[tuple[int, int]]] = {}
    no_forms: dict[str, str] = {}
    for i, ((_, lang, _, _, _), norm) in enumerate(
        zip(index.entries, index.entry_norm, strict=True)
    ):
        folded = fold(norm)
        toks = tuple(map(folded_word.__getitem__, words[i]))
        lemmas = tuple(map(index.forms.get(lang, no_forms).get, toks, toks))  # table.get(t, t)
        index.entry_fold.append(folded)
        index.entry_tokens.append(toks)
        index.entry_lemmas.append(lemmas)
        index.by_norm.setdefault(norm, []).append(i)
        index.by_fold.setdefault(folded, []).append(i)
        # (entry, position) pairs arrive in ascending order, so each list is sorted and unique.
        for k, (tok, lemma) in enumerate(zip(toks, lemmas, strict=True)):
            uses.setdefault(tok, []).append((i, k))
            if lemma != tok:
                uses.setdefault(lemma, []).append((i, k))
    # The typo search's spellings are the folded texts, each with its entries: by_fold's lists.
    index.fuzzy_keys = list(index.by_fold)
    index.fuzzy_entries = list(index.by_fold.values())
    index.vocab = sorted(uses)
    index.vocab_uses = [tuple(uses[t]) for t in index.vocab]
    return index


# ---------------------------------------------------------------- matching
def match_tokens(
    index: LookupIndex,
    query: Sequence[str],
    entry: int,
    at: int = 0,
    query_lemmas: Sequence[set[str]] | None = None,
) -> bool:
    """Whether folded query tokens are forms of the entry's tokens starting at position at."""
    toks = index.entry_tokens[entry]
    lemmas = index.entry_lemmas[entry]
    if at + len(query) > len(toks):
        return False
    if query_lemmas is None:
        query_lemmas = [index.lemmas_of(q) for q in query]
    for k, q in enumerate(query):
        e = toks[at + k]
        if not (q == e or lemmas[at + k] in query_lemmas[k] or tokens_match(q, e)):
            return False
    return True


def validate_lang(lang: str | None, what: str = "--lang") -> str | None:
    """A known language code, lower-cased, or a UsageError naming the accepted ones."""
    if lang is None or lang == "":
        return None
    code = lang.strip().lower()
    if code == "no":
        code = "nb"
    if code not in KNOWN_LANGS:
        raise UsageError(
            f"unknown language {lang!r} for {what}; use an ISO 639-1 code such as "
            "vi, en, nb, nl, cs, sv or fr"
        )
    return code


def parse_langs(value: str | None, what: str = "--to") -> list[str]:
    """A comma-separated language list, each validated."""
    if not value:
        return []
    return [validate_lang(part, what) for part in value.split(",") if part.strip()]


def lookup(
    index: LookupIndex,
    query: str,
    lang: str | None = None,
    to: Sequence[str] = (),
    include_all: bool = False,
    limit: int = 5,
    fuzzy: bool = True,
    semantic: SemanticSearch | None = None,
) -> list[LookupResult]:
    """Concepts matching query, best first (exact > no diacritics > inflected > part > typo)."""
    lang = validate_lang(lang)
    norm = normalize(query)
    if not norm:
        raise UsageError("empty query: type a term in any language of the glossary")
    folded = fold(norm)
    q_toks = [fold(t) for t in tokens(query)]
    hidden = set() if include_all else {"rejected"}

    def visible(i: int) -> bool:
        at, e_lang, _, status, _ = index.entries[i]
        return (
            (lang is None or e_lang == lang)
            and status not in hidden
            and index.concepts[at]["status"] not in hidden
        )

    best: dict[int, tuple[float, str, int]] = {}  # concept -> (score, how, entry)

    def offer(i: int, score: float, how: str) -> None:
        at = index.entries[i][0]
        if at not in best or score > best[at][0]:
            best[at] = (score, how, i)

    for i in index.by_norm.get(norm, ()):
        if visible(i):
            offer(i, SCORES["exact"], "exact")
    for i in index.by_fold.get(folded, ()):
        if visible(i):
            offer(i, SCORES["no diacritics"], "no diacritics")
    if q_toks:
        q_lemmas = [index.lemmas_of(q) for q in q_toks]
        # A phrase matches only where each of its words is a candidate at its place, so the
        # entries that cannot match are dropped before their rows are read.
        starts = index.candidates(q_toks[0], prefetch=False)
        for k, q in enumerate(q_toks[1:], start=1):
            if not starts:
                break
            later = index.candidates(q, prefetch=False)
            starts = {(i, at) for i, at in starts if (i, at + k) in later}
        # Shorter entries score higher, so entries are checked a length at a time: once `limit`
        # concepts are found, the longer entries left (all scoring lower) cannot enter the list.
        by_length: dict[int, list[tuple[int, int]]] = {}
        for pair in starts:
            by_length.setdefault(index.token_count(pair[0]), []).append(pair)
        for length in sorted(by_length):
            if len(best) >= limit:
                break
            pairs = sorted(by_length[length])
            index.prefetch(i for i, _ in pairs)
            for i, at in pairs:
                n = len(index.entry_tokens[i])
                if n < len(q_toks) or not visible(i):
                    continue
                if not match_tokens(index, q_toks, i, at, q_lemmas):
                    continue
                if n == len(q_toks):
                    offer(i, SCORES["inflected"], "inflected")
                else:
                    offer(i, SCORES["part of term"] + 0.1 * len(q_toks) / n, "part of term")
    # Typo scores stay below 0.6, so they cannot enter a top list already full of better hits.
    if fuzzy and len(folded) >= 4 and sum(v[0] > 0.6 for v in best.values()) < limit:
        for score, entries in index.similar(folded, limit=25):
            for i in entries:
                if visible(i):
                    offer(i, 0.4 + 0.2 * (score - 80) / 20, "similar spelling")
    if semantic is not None:
        for i, similarity in semantic.search(query, limit=limit * 3):
            if visible(i):
                offer(i, 0.35 * similarity, "semantic")

    ranked = heapq.nsmallest(  # = sorted(...)[:limit], without sorting thousands of matches
        limit,
        best.items(),
        key=lambda item: (
            -item[1][0],
            CONCEPT_RANK.get(index.concepts[item[0]]["status"], 9),
            STATUS_RANK.get(index.entries[item[1][2]][3], 9),
            index.concepts[item[0]]["id"],
        ),
    )
    return [_result(index, at, score, how, i, to, include_all) for at, (score, how, i) in ranked]


def _result(
    index: LookupIndex,
    at: int,
    score: float,
    how: str,
    entry: int,
    to: Sequence[str],
    include_all: bool,
) -> LookupResult:
    concept = index.concepts[at]
    _, e_lang, e_text, _, _ = index.entries[entry]
    shown = [
        TermView(lang, term, status, confidence, context)
        for lang, term, status, confidence, context in concept["terms"]
        if (not to or lang in to) and (include_all or status != "rejected")
    ]
    # The example is the matched term's own context when it has one: it shows the usage asked about.
    example = next((t for t in shown if t.context and t.term == e_text and t.lang == e_lang), None)
    example = example or next((t for t in shown if t.context and t.status != "deprecated"), None)
    return LookupResult(
        concept_id=concept["id"],
        vi=concept["vi"],
        en=concept["en"],
        kind=concept["kind"],
        status=concept["status"],
        definition=concept["definition"],
        score=round(score, 3),
        match=how,
        matched=e_text,
        matched_lang=e_lang,
        terms=tuple(shown),
        context=example.context if example else "",
        context_lang=example.lang if example else "",
    )


# ---------------------------------------------------------------- semantic (optional)
class SemanticSearch:
    """Embedding search over the index entries; imports the model stack only when constructed."""

    def __init__(self, index: LookupIndex, model: str | None = None, cache_dir: Path | None = None):
        from glossary.embed import Embedder

        self.embedder = Embedder(model, cache_dir)
        self.vectors = self.embedder.encode([e[2] for e in index.entries])

    def search(self, query: str, limit: int = 10) -> list[tuple[int, float]]:
        """(entry, cosine similarity) of the nearest entries above a floor."""
        import numpy as np

        if not len(self.vectors):
            return []
        q = self.embedder.encode([query])[0]
        sims = self.vectors @ q
        order = np.argsort(-sims)[:limit]
        return [(int(i), float(sims[i])) for i in order if sims[i] >= 0.5]


# ---------------------------------------------------------------- cache
def cache_dir_for(workbook: Path) -> Path:
    """Where the index of a workbook is cached: $GLOSSARY_CACHE, else .glossary/ beside it."""
    env = os.environ.get("GLOSSARY_CACHE")
    return Path(env) if env else workbook.resolve().parent / ".glossary"


def _fingerprint(workbook: Path) -> str:
    digest = hashlib.sha256(f"v{INDEX_VERSION}:".encode())
    with workbook.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:20]


def _stat_key(workbook: Path) -> str:
    """Size and modification time: unchanged, the workbook need not be read to trust the index."""
    stat = workbook.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def index_path(workbook: Path) -> Path:
    """The stored index of a workbook: one file per workbook, in cache_dir_for(workbook)."""
    stem = re.sub(r"[^\w.-]", "_", workbook.stem)
    where = hashlib.sha256(str(workbook.resolve()).encode()).hexdigest()[:8]
    return cache_dir_for(workbook) / f"lookup-{stem}-{where}.sqlite"


def load_index(workbook: Path | str, rebuild: bool = False):
    """The index of a workbook: its stored index while the workbook's content is unchanged
    (a LookupIndex-like glossary.lookupdb.StoredIndex), else built, stored and returned."""
    from glossary import lookupdb

    workbook = Path(workbook)
    if not workbook.is_file():
        raise StoreError(
            f"glossary not found: {workbook} (pass --glossary FILE or set GLOSSARY_FILE)"
        )
    path = index_path(workbook)
    stat = _stat_key(workbook)
    meta = None if rebuild else lookupdb.read_meta(path)
    if meta is not None and meta.get("version") == str(INDEX_VERSION):
        if meta.get("workbook_stat") == stat:
            return lookupdb.StoredIndex(path)
        # Touched or copied but maybe the same content: the fingerprint decides.
        if meta.get("workbook_sha256") == _fingerprint(workbook):
            lookupdb.update_meta(path, {"workbook_stat": stat})
            return lookupdb.StoredIndex(path)
    from glossary import store

    fingerprint = _fingerprint(workbook)  # before reading, so a change meanwhile rebuilds later
    index = build_index(store.load(workbook))
    try:
        lookupdb.write(
            index,
            path,
            {
                "workbook": str(workbook.resolve()),
                "workbook_stat": stat,
                "workbook_sha256": fingerprint,
            },
        )
        for old in path.parent.glob(f"{path.name.rsplit('-', 1)[0]}-*.pickle"):
            old.unlink(missing_ok=True)  # the index format before version 4
    except (OSError, sqlite3.Error):  # a read-only folder only costs speed
        pass
    return index


# ---------------------------------------------------------------- text rendering
def render(results: Sequence[LookupResult]) -> str:
    """Plain-text rendering of results for the terminal."""
    if not results:
        return "no match"
    blocks = []
    for r in results:
        head = f"{r.vi or '(no Vietnamese term)'}"
        if r.en:
            head += f" — {r.en}"
        lines = [f"{head}  [{r.concept_id}, {r.kind}, {r.status}; {r.match}: {r.matched!r}]"]
        current = None
        for t in r.terms:
            if t.lang != current:
                current = t.lang
                lines.append(f"  {t.lang}:")
            flag = "  DO NOT USE" if t.do_not_use else ""
            conf = f", confidence {t.confidence:.2f}" if t.confidence is not None else ""
            lines.append(f"    {t.term}  ({t.status}{conf}){flag}")
        if r.context:
            lines.append(f"  e.g. ({r.context_lang}) {r.context}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def interactive(
    index: LookupIndex,
    ask=input,
    say=print,
    history: Path | None = None,
    **options,
) -> None:
    """A prompt for a working session: one query per line, until an empty line at EOF or 'quit'."""
    try:
        import readline

        if history is not None and history.is_file():
            readline.read_history_file(history)
    except (ImportError, OSError):
        readline = None
    say("glossary lookup — type a term in any language; 'quit' or Ctrl-D to leave")
    try:
        while True:
            try:
                line = ask("lookup> ")
            except EOFError:
                break
            line = line.strip()
            if line in ("quit", "exit", ":q"):
                break
            if not line:
                continue
            say(render(lookup(index, line, **options)))
    finally:
        if readline is not None and history is not None:
            try:
                history.parent.mkdir(parents=True, exist_ok=True)
                readline.write_history_file(history)
            except OSError:
                pass
