"""The lookup index on disk: one SQLite file that a query reads row by row.

Opening it costs the same for ten terms or a million: a lookup reads only the entries, words and
spellings it touches, so `glossary lookup` answers a large termbase without loading it. The file
holds exactly what `lookup.build_index` computed (same entry numbers, same lemma tables), so a
stored index answers every query as the in-memory one does.

Typo search ("similar spelling", rapidfuzz ratio >= 80) is narrowed by character bigrams first,
losslessly: if ratio(s, t) >= 80, then t is between 2/3 and 3/2 of len(s) long and shares at
least (len(s) + len(t) + 4) // 5 - 1 bigrams with s, each counted as often as it is in both
(the common subsequence is at least 0.4 (len(s) + len(t)) long; each character outside it
breaks at most one adjacent pair of it, which leaves 3 L - len(s) - len(t) - 1 pairs adjacent
in both, at distinct places of each).
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from itertools import chain, count
from pathlib import Path

from glossary.lookup import INDEX_VERSION, LookupIndex, stem_prefix, tokens_match

_SEP = "\x1f"  # joins an entry's tokens in one column; never part of a word token
_CHUNK = 500  # ids per `IN (...)` query
FUZZY_CUTOFF = 80


def bigrams(text: str) -> list[str]:
    """Every adjacent character pair of text, repeats included."""
    return [text[i : i + 2] for i in range(len(text) - 1)]


def min_shared(query_len: int, key_len: int) -> int:
    """Bigram occurrences a key of key_len shares with any query it is >= 80 similar to."""
    return (query_len + key_len + 4) // 5 - 1


# ---------------------------------------------------------------- writing
def gram_postings(keys: list[str]) -> Iterator[tuple[str, int, bytes]]:
    """(bigram, r, uint32 ids of the keys holding it at least r times, ascending) for every
    bigram of keys and every r up to its most repeats in one key; computed on one array of all
    keys' characters, not key by key."""
    import numpy as np

    if not keys:
        return
    # One code point array of all keys; "\n" between keys (never inside one) ends each key.
    chars = np.frombuffer("\n".join(keys).encode("utf-32-le"), dtype=np.uint32)
    ends = chars == 10
    owner = np.concatenate(([0], np.cumsum(ends[:-1]))).astype(np.uint32)  # key of each char
    pair = ~(ends[:-1] | ends[1:])  # both characters in one key
    codes = (chars[:-1].astype(np.uint64) << np.uint64(32)) | chars[1:]
    codes, owner = codes[pair], owner[:-1][pair]
    if not len(codes):
        return
    order = np.argsort(codes, kind="stable")  # stable: each bigram's keys stay ascending
    codes, owner = codes[order], owner[order]
    del order, chars, ends, pair  # 10^6 and more of each: the build's memory peak is here
    # r: which repeat of its bigram in its key each occurrence is (1, 2, ...).
    starts = np.concatenate(([True], (codes[1:] != codes[:-1]) | (owner[1:] != owner[:-1])))
    at = np.arange(len(codes), dtype=np.int32)
    rank = at - np.maximum.accumulate(np.where(starts, at, np.int32(0))) + 1
    del at
    yield from _grouped(codes[starts], owner[starts], rank[starts])  # r = 1: most of them
    repeats = ~starts
    codes, owner, rank = codes[repeats], owner[repeats], rank[repeats]
    order = np.lexsort((owner, rank, codes))
    yield from _grouped(codes[order], owner[order], rank[order])


def _grouped(codes, owner, rank) -> Iterator[tuple[str, int, bytes]]:
    """(bigram, r, keys) of each run of equal (code, r) in arrays sorted by code and r."""
    import numpy as np

    if not len(codes):
        return
    starts = np.flatnonzero(
        np.concatenate(([True], (codes[1:] != codes[:-1]) | (rank[1:] != rank[:-1])))
    )
    stops = np.append(starts[1:], len(codes))
    for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
        code = int(codes[start])
        gram = chr(code >> 32) + chr(code & 0xFFFFFFFF)
        yield gram, int(rank[start]), owner[start:stop].tobytes()


_SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE concepts (id INTEGER PRIMARY KEY, data TEXT);
CREATE TABLE entries (
    id INTEGER PRIMARY KEY, concept INTEGER, lang TEXT, text TEXT, status TEXT, role TEXT,
    term INTEGER, tokens TEXT, lemmas TEXT, concept_status TEXT, concept_id TEXT
);
CREATE TABLE by_norm (text TEXT, id INTEGER, PRIMARY KEY (text, id)) WITHOUT ROWID;
CREATE TABLE by_fold (text TEXT, id INTEGER, PRIMARY KEY (text, id)) WITHOUT ROWID;
CREATE TABLE vocab (token TEXT PRIMARY KEY, uses BLOB) WITHOUT ROWID;
CREATE TABLE forms (form TEXT, lang TEXT, lemma TEXT, PRIMARY KEY (form, lang)) WITHOUT ROWID;
CREATE TABLE spellings (id INTEGER PRIMARY KEY, key TEXT, entries TEXT);
CREATE TABLE grams (gram TEXT, r INTEGER, keys BLOB, PRIMARY KEY (gram, r)) WITHOUT ROWID;
CREATE TABLE blobs (name TEXT PRIMARY KEY, data BLOB) WITHOUT ROWID;
"""


# A file nobody reads until it is renamed into place: no journal, no syncs, no locking.
# (A larger page cache was tried: no faster at 10^5 terms, only more memory.)
_BUILD_PRAGMAS = "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA locking_mode=EXCLUSIVE;"


def write(index: LookupIndex, path: Path, meta: dict[str, str]) -> None:
    """Store index at path atomically (a temporary file renamed over it); OSError or
    sqlite3.Error when the folder cannot take it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        db.executescript(_BUILD_PRAGMAS + _SCHEMA)
        db.executemany(
            "INSERT INTO concepts VALUES (?, ?)",
            ((i, json.dumps(c, ensure_ascii=False)) for i, c in enumerate(index.concepts)),
        )
        db.executemany(
            "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    i,
                    *entry,
                    index.term_entry.get(i),
                    _SEP.join(toks),
                    None if lem == toks else _SEP.join(lem),  # most words are their own lemma
                    index.concepts[entry[0]]["status"],
                    index.concepts[entry[0]]["id"],
                )
                for i, (entry, toks, lem) in enumerate(
                    zip(index.entries, index.entry_tokens, index.entry_lemmas, strict=True)
                )
            ),
        )
        db.executemany(
            "INSERT INTO vocab VALUES (?, ?)",
            (
                (token, array("I", chain.from_iterable(uses)).tobytes())
                for token, uses in zip(index.vocab, index.vocab_uses, strict=True)
            ),
        )
        db.executemany(
            "INSERT OR IGNORE INTO forms VALUES (?, ?, ?)",
            (
                (form, lang, lemma)
                for lang, table in index.forms.items()
                for form, lemma in table.items()
            ),
        )
        db.executemany(
            "INSERT INTO spellings VALUES (?, ?, ?)",
            (
                (k, key, ",".join(map(str, entries)))
                for k, (key, entries) in enumerate(
                    zip(index.fuzzy_keys, index.fuzzy_entries, strict=True)
                )
            ),
        )
        db.executemany("INSERT INTO grams VALUES (?, ?, ?)", gram_postings(index.fuzzy_keys))
        # Each entry's word count (255 for 255 or more), read whole by a query's first phrase.
        counts = bytes(min(len(toks), 255) for toks in index.entry_tokens)
        db.execute("INSERT INTO blobs VALUES ('token_counts', ?)", (counts,))
        lengths = array("H", (min(len(key), 65535) for key in index.fuzzy_keys))
        db.execute("INSERT INTO blobs VALUES ('lengths', ?)", (lengths.tobytes(),))
        # All spellings in one value, read at once by a typo search (normalised: no newlines).
        db.execute("INSERT INTO blobs VALUES ('keys', ?)", ("\n".join(index.fuzzy_keys).encode(),))
        # Only these lookups need an entry's texts: kept out of the rows a query reads by the
        # thousand, and inserted in key order, which builds each b-tree without page splits.
        for table, texts in (("by_norm", index.entry_norm), ("by_fold", index.entry_fold)):
            db.executemany(f"INSERT INTO {table} VALUES (?, ?)", sorted(zip(texts, count())))
        db.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [
                *meta.items(),
                ("version", str(INDEX_VERSION)),
                ("spellings", str(len(index.fuzzy_keys))),
                ("entries", str(len(index.entries))),
            ],
        )
        db.commit()
    except BaseException:
        db.close()
        tmp.unlink(missing_ok=True)
        raise
    db.close()
    os.replace(tmp, path)


# ---------------------------------------------------------------- reading
def read_meta(path: Path) -> dict[str, str] | None:
    """The meta table of a stored index, or None when the file is not a whole index of ours."""
    try:
        size = path.stat().st_size
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            page_size = db.execute("PRAGMA page_size").fetchone()[0]
            if pages * page_size != size:  # cut short or grown: not the file we wrote
                return None
            return dict(db.execute("SELECT name, value FROM meta"))
        finally:
            db.close()
    except (OSError, sqlite3.Error):
        return None


def update_meta(path: Path, values: dict[str, str]) -> None:
    """Record new values in a stored index's meta table, if the file can be written."""
    try:
        db = sqlite3.connect(path)
        try:
            with db:
                db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())
        finally:
            db.close()
    except (OSError, sqlite3.Error):
        pass  # a read-only cache stays as it is; it is only checked more slowly next time


# The vocabulary words tokens_match may accept for a form, in two prefix ranges: a word at least
# as long as the form shares its first max(4, ceil(3/4 len)) characters and is at most 5 longer;
# a shorter word has 4 or more characters and shares all but the form's last 5.
_MATCHING_WORDS = (
    "SELECT token, uses FROM vocab WHERE token >= :narrow AND token < :narrow_end "
    "AND length(token) BETWEEN :n AND :n + 5 "
    "UNION ALL SELECT token, uses FROM vocab WHERE token >= :wide AND token < :wide_end "
    "AND length(token) BETWEEN max(4, :n - 5) AND :n - 1"
)


def _word_bounds(form: str) -> dict[str, object]:
    """The parameters of _MATCHING_WORDS for a form."""
    narrow = form[: max(4, math.ceil(0.75 * len(form)))]
    wide = stem_prefix(form)
    return {
        "n": len(form),
        "narrow": narrow,
        "narrow_end": _after_prefix(narrow),
        "wide": wide,
        "wide_end": _after_prefix(wide),
    }


def _after_prefix(prefix: str) -> str:
    """The least text above every text that starts with prefix (SQLite compares code points)."""
    while prefix and prefix[-1] == "\U0010ffff":
        prefix = prefix[:-1]
    return prefix[:-1] + chr(ord(prefix[-1]) + 1) if prefix else "\U0010ffff" * 2


class _Rows(dict):
    """One column of the stored entries, indexed like the in-memory index's lists: a dict of
    the rows read so far (one C lookup each, as a query reads them thousands of times)."""

    def __init__(self, owner: StoredIndex):
        super().__init__()
        self._owner = owner

    def __missing__(self, entry: int):
        self._owner.prefetch([entry])
        if not dict.__contains__(self, entry):
            raise IndexError(entry)
        return dict.__getitem__(self, entry)

    def __len__(self) -> int:
        return self._owner.entry_count

    def __iter__(self) -> Iterator:
        for start in range(0, len(self), _CHUNK):
            ids = range(start, min(len(self), start + _CHUNK))
            self._owner.prefetch(ids)
            yield from (self[i] for i in ids)


class _ByText:
    """norm or fold -> entry ids, as the in-memory index's by_norm and by_fold dicts."""

    def __init__(self, owner: StoredIndex, column: str):
        self._owner, self._column = owner, column

    def get(self, text: str, default=()):
        ids = [
            row[0]
            for row in self._owner.db.execute(
                f"SELECT id FROM by_{self._column} WHERE text = ? ORDER BY id", (text,)
            )
        ]
        self._owner.prefetch(ids)
        return ids or default


class _TermOf:
    """A form's entry -> its term's entry, as the in-memory index's term_entry dict."""

    def __init__(self, owner: StoredIndex):
        self._owner = owner

    def get(self, entry: int, default=None):
        term = self._owner.entry_term[entry]
        return default if term is None else term


class _Concept(Mapping):
    """A concept whose status and id are known and whose other fields are read when first
    asked for (ranking a query's thousands of matches needs only those two)."""

    def __init__(self, concepts: _Concepts, at: int):
        self._concepts, self._at = concepts, at

    def __getitem__(self, name: str):
        if name == "status":
            return self._concepts.status[self._at]
        if name == "id":
            return self._concepts.ids[self._at]
        return self._concepts.full(self._at)[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._concepts.full(self._at))

    def __len__(self) -> int:
        return len(self._concepts.full(self._at))


class _Concepts:
    """The stored concepts, indexed like the in-memory index's list of dicts."""

    def __init__(self, owner: StoredIndex):
        self._owner = owner
        self._cache: dict[int, dict] = {}
        # known from the entries read: enough to filter and rank by
        self.status: dict[int, str] = {}
        self.ids: dict[int, str] = {}
        self._views: dict[int, _Concept] = {}

    def prefetch(self, concepts: Iterable[int]) -> None:
        """Read these concepts in one query."""
        missing = [at for at in concepts if at not in self._cache]
        if not missing:
            return
        for at, data in self._owner.db.execute(
            "SELECT id, data FROM concepts WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(missing),),
        ):
            concept = json.loads(data)
            concept["terms"] = [tuple(t) for t in concept["terms"]]
            self._cache[at] = concept

    def full(self, at: int) -> dict:
        """Everything of a concept, its terms included."""
        if at not in self._cache:
            self.prefetch([at])
            if at not in self._cache:
                raise IndexError(at)
        return self._cache[at]

    def __getitem__(self, at: int) -> Mapping:
        if at in self._cache:
            return self._cache[at]
        if at in self.status:
            view = self._views.get(at)
            if view is None:
                view = self._views[at] = _Concept(self, at)
            return view
        return self.full(at)

    def __len__(self) -> int:
        return self._owner.db.execute("SELECT count(*) FROM concepts").fetchone()[0]


class StoredIndex:
    """A lookup index answered from its SQLite file; drop-in for LookupIndex in lookup()."""

    version = INDEX_VERSION

    def __init__(self, path: Path):
        self.path = path
        self.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        # Pages read in place, not copied by a system call each: a query reads thousands of rows.
        self.db.execute("PRAGMA mmap_size=268435456")
        # From meta: count(*) would read every page of the entries table at each start.
        row = self.db.execute("SELECT value FROM meta WHERE name = 'entries'").fetchone()
        self.entry_count = int(row[0])
        self._read: set[int] = set()  # the entries whose rows are in the columns below
        self._token_counts: bytes | None = None
        self._lemmas: dict[str, set[str]] = {}
        # read at the first typo search: the spellings, by length, and each bigram's postings
        self._keys = None
        self._by_length = None
        self._grams: dict[str, list] = {}  # bigram -> its postings, r = 1, 2, ...
        self.entries = _Rows(self)
        self.entry_tokens = _Rows(self)
        self.entry_lemmas = _Rows(self)
        self.entry_term = _Rows(self)  # a form's term entry, else None
        self.term_entry = _TermOf(self)
        self.by_norm = _ByText(self, "norm")
        self.by_fold = _ByText(self, "fold")
        self.concepts = _Concepts(self)

    # rows are read in batches and kept: a query asks about the same few entries many times
    def prefetch(self, entries: Iterable[int]) -> None:
        """Read these entries' rows into memory in as few queries as possible."""
        missing = [e for e in set(entries) if e not in self._read]
        if not missing:
            return
        rows = self.db.execute(
            "SELECT id, concept, lang, text, status, role, tokens, lemmas, term, concept_status, "
            "concept_id FROM entries WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(missing),),
        )
        entries, tokens, lemmas, terms = (
            self.entries, self.entry_tokens, self.entry_lemmas, self.entry_term
        )  # fmt: skip
        status, ids, read = self.concepts.status, self.concepts.ids, self._read
        for row in rows:  # one pass: a common word's query reads thousands of rows
            at = row[0]
            toks = tuple(row[6].split(_SEP)) if row[6] else ()
            entries[at] = row[1:6]
            tokens[at] = toks
            lemmas[at] = toks if row[7] is None else tuple(row[7].split(_SEP))
            terms[at] = row[8]
            status[row[1]] = row[9]  # the same for every entry of a concept
            ids[row[1]] = row[10]
            read.add(at)

    def token_count(self, entry: int) -> int:
        """How many words an entry has, up to 255, without reading its row."""
        if self._token_counts is None:
            row = self.db.execute("SELECT data FROM blobs WHERE name = 'token_counts'").fetchone()
            self._token_counts = row[0]
        return self._token_counts[entry]

    def term_text(self, entry: int) -> str:
        """The glossary term an entry stands for: itself, or the term a form belongs to."""
        return self.entries[self.term_entry.get(entry, entry)][2]

    def langs(self) -> list[str]:
        """Languages that have searchable entries."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT lang FROM entries ORDER BY lang")]

    def lemmas_of(self, token: str) -> set[str]:
        """Lemmas of a folded token in every language of the glossary, the token included."""
        if token not in self._lemmas:
            found = {token}
            found.update(
                r[0] for r in self.db.execute("SELECT lemma FROM forms WHERE form = ?", (token,))
            )
            self._lemmas[token] = found
        return self._lemmas[token]

    def candidates(self, token: str, prefetch: bool = True) -> set[tuple[int, int]]:
        """(entry, position) of every entry token that may be a form of this folded token;
        prefetch reads those entries' rows at once."""
        found: set[tuple[int, int]] = set()
        for form in self.lemmas_of(token):
            for word, uses in self.db.execute(_MATCHING_WORDS, _word_bounds(form)):
                if tokens_match(form, word):
                    pairs = array("I")
                    pairs.frombytes(uses)
                    found.update(zip(pairs[0::2], pairs[1::2], strict=True))
        if prefetch:
            self.prefetch(e for e, _ in found)
        return found

    def _spellings(self):
        """(spellings as an object array, their ids by length, those lengths), read once."""
        import numpy as np

        if self._by_length is None:
            row = self.db.execute("SELECT data FROM blobs WHERE name = 'keys'").fetchone()
            keys = row[0].decode().split("\n") if row[0] else []
            self._keys = np.array(keys, dtype=object)
            row = self.db.execute("SELECT data FROM blobs WHERE name = 'lengths'").fetchone()
            lengths = np.frombuffer(row[0], dtype=np.uint16).astype(np.int32)
            order = np.argsort(lengths, kind="stable").astype(np.int32)
            self._by_length = (order, lengths[order])
        return self._keys, *self._by_length

    def _postings(self, grams: Counter[str]) -> list:
        """For each bigram of the query, once per time the query has it, the ids of the
        spellings holding it at least that often; kept for later queries."""
        import numpy as np

        missing = [g for g in grams if g not in self._grams]
        if missing:
            marks = ",".join("?" * len(missing))
            for gram in missing:
                self._grams[gram] = []
            for gram, _, blob in self.db.execute(
                f"SELECT gram, r, keys FROM grams WHERE gram IN ({marks}) ORDER BY gram, r", missing
            ):
                self._grams[gram].append(np.frombuffer(blob, dtype=np.uint32))
        return [layer for g, times in grams.items() for layer in self._grams[g][:times]]

    def similar(self, folded: str, limit: int = 25) -> list[tuple[float, list[int]]]:
        """(rapidfuzz ratio, entries) of the spellings at least 80 similar to folded, best first."""
        import numpy as np
        from rapidfuzz import fuzz, process

        m = len(folded)
        keys, by_length, lengths = self._spellings()
        # Only spellings between 2/3 and 3/2 of the query's length can reach 80 (module docstring).
        lo = int(np.searchsorted(lengths, (2 * m + 2) // 3, side="left"))
        hi = int(np.searchsorted(lengths, (3 * m) // 2, side="right"))
        found = self._postings(Counter(bigrams(folded)))
        if lo >= hi:
            return []
        every = np.concatenate(found) if found else np.zeros(0, dtype=np.uint32)
        shared = np.bincount(every, minlength=len(keys))
        window, sizes = by_length[lo:hi], lengths[lo:hi]
        hopeful = np.sort(window[shared[window] >= (m + sizes + 4) // 5 - 1])
        best = process.extract(
            folded, keys[hopeful].tolist(), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF,
            limit=limit,
        )  # fmt: skip
        ids = hopeful.tolist()
        chosen = [ids[k] for _, _, k in best]
        entries = dict(
            self.db.execute(
                "SELECT id, entries FROM spellings WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps(chosen),),
            )
        )
        return [(score, [int(e) for e in entries[ids[k]].split(",")]) for _, score, k in best]

    def close(self) -> None:
        """Close the file (the index answers nothing afterwards)."""
        self.db.close()
