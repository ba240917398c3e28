"""The data the review page's script reads: the glossary as compact JSON-ready lists.

Strings that repeat (documents, sentences) are stored once and referred to by index, so a
glossary of 10,000 terms stays a few megabytes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

from glossary.corpus import decode_bytes
from glossary.models import KINDS, TERM_STATUSES, ConceptEntry, Glossary, TermEntry
from glossary.text import SEED_LANGS, fold

# Status colours, shared by the matrix (CSS variables) and the plots (SVG fills).
STATUS_COLOURS = {
    "proposed": "#d8a31a",
    "preferred": "#2e8b57",
    "admitted": "#3a7bbf",
    "deprecated": "#8a8a8a",
    "rejected": "#c0392b",
}
REVIEWED = tuple(s for s in TERM_STATUSES if s != "proposed")
APPROVED = ("preferred", "admitted")


def is_new(concept: ConceptEntry) -> bool:
    """A concept the machine proposed (no Vietnamese term yet, or a new_ id)."""
    return not concept.vi.strip() or concept.concept_id.startswith("new_")


def confidence_of(t: TermEntry) -> float | None:
    """The term's confidence within 0-1, or None when it has none (or not a number)."""
    if t.confidence is None or not math.isfinite(t.confidence):
        return None
    return min(1.0, max(0.0, t.confidence))


def find_span(sentence: str, term: str) -> tuple[int, int]:
    """Where term occurs in sentence, ignoring case and accents; (-1, -1) if it does not."""
    if not term:
        return -1, -1
    at = sentence.find(term)
    if at >= 0:
        return at, at + len(term)
    # Fold character by character so a match maps back to the sentence's own offsets.
    folded, origin = [], []
    for i, char in enumerate(sentence):
        for piece in fold(char).casefold():
            folded.append(piece)
            origin.append(i)
    needle = fold(term).casefold()
    at = "".join(folded).find(needle)
    if at < 0 or not needle:
        return -1, -1
    return origin[at], origin[at + len(needle) - 1] + 1


class _Interned:
    """A list of distinct strings and the index of each."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        if text not in self._index:
            self._index[text] = len(self.items)
            self.items.append(text)
        return self._index[text]


class _Lines:
    """Line numbers of character offsets in the corpus files, when those files are at hand."""

    def __init__(self, corpus: Path | None) -> None:
        self.corpus = corpus
        self._texts: dict[str, str | None] = {}

    def line(self, document: str, position: int) -> int:
        """1-based line of position in document; 0 when unknown (no corpus, HTML, missing)."""
        if self.corpus is None or position < 0:
            return 0
        if document not in self._texts:
            self._texts[document] = self._read(self.corpus / document)
        text = self._texts[document]
        if text is None or position > len(text):
            return 0
        return text.count("\n", 0, position) + 1

    @staticmethod
    def _read(path: Path) -> str | None:
        # HTML offsets point into the extracted text, not the file's lines.
        if path.suffix.lower() in (".html", ".htm", ".xhtml"):
            return None
        try:
            text = decode_bytes(path.read_bytes())
        except (OSError, ValueError):
            return None
        return None if text.lstrip().startswith("<") else text


def languages(glossary: Glossary) -> list[str]:
    """The seed languages first, in their usual order, then any others alphabetically."""
    present = {t.lang for t in glossary.terms}
    return [lang for lang in SEED_LANGS if lang in present] + sorted(present - set(SEED_LANGS))


def _term_record(t: TermEntry, ids: dict, contexts: list[list], strings: dict) -> dict:
    strs, sents = strings["strs"], strings["sents"]
    record = {
        "c": ids["concept"][t.concept_id],
        "l": ids["lang"][t.lang],
        "t": t.term,
        "s": ids["status"].get(t.status, 0),
        "p": confidence_of(t),
        "f": t.frequency,
        "d": [strs(d.strip()) for d in t.documents.split(";") if d.strip()],
        "x": contexts,
    }
    for key, value in (("e", t.evidence), ("n", t.note)):
        if value:
            record[key] = value
    for key, value in (("src", t.source), ("u", t.updated)):
        if value:
            record[key] = strs(value)  # the same few values on thousands of rows
    if t.context and not any(sents.items[x[3]] == t.context for x in contexts):
        doc = record["d"][0] if record["d"] else -1
        start, end = find_span(t.context, t.term)
        contexts.append([doc, -1, 0, sents(t.context), start, end])
    return record


def payload(glossary: Glossary, corpus: Path | None, title: str) -> dict:
    """Everything report.js needs, as lists of plain values (see report.js for the keys)."""
    langs = languages(glossary)
    concepts = list(glossary.concepts)
    known = {c.concept_id for c in concepts}
    concepts += [ConceptEntry(cid) for cid in dict.fromkeys(t.concept_id for t in glossary.terms)
                 if cid not in known]  # fmt: skip
    ids = {
        "concept": {c.concept_id: i for i, c in enumerate(concepts)},
        "lang": {lang: i for i, lang in enumerate(langs)},
        "status": {s: i for i, s in enumerate(TERM_STATUSES)},
    }
    strings = {"strs": _Interned(), "sents": _Interned()}
    lines = _Lines(corpus)
    by_term: dict[tuple[str, str, str], list[list]] = defaultdict(list)
    for x in glossary.contexts:
        start, end = find_span(x.sentence, x.term)
        by_term[(x.concept_id, x.lang, x.term)].append(
            [strings["strs"](x.document), x.position, lines.line(x.document, x.position),
             strings["sents"](x.sentence), start, end]
        )  # fmt: skip
    terms = [
        _term_record(t, ids, list(by_term.get((t.concept_id, t.lang, t.term), ())), strings)
        for t in glossary.terms
    ]
    rows = [_concept_record(c) for c in concepts]
    return {
        "title": title,
        "about": dict(glossary.about),
        "langs": langs,
        "statuses": list(TERM_STATUSES),
        "kinds": sorted({*KINDS, *(c.kind for c in concepts)}, key=_kind_order),
        "strs": strings["strs"].items,
        "sents": strings["sents"].items,
        "concepts": rows,
        "terms": terms,
    }


def _concept_record(c: ConceptEntry) -> dict:
    record = {"id": c.concept_id, "vi": c.vi, "en": c.en, "k": c.kind, "new": is_new(c)}
    for key, value in (("st", c.status), ("def", c.definition), ("n", c.note)):
        if value and not (key == "st" and value == "proposed"):
            record[key] = value
    return record


def _kind_order(kind: str) -> tuple[int, str]:
    return (KINDS.index(kind) if kind in KINDS else len(KINDS), kind)
