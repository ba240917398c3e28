"""Tabular formats: the long CSV that scoring reads, wide CSV/TSV, the OmegaT glossary, and JSON."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict, fields

from glossary.errors import FormatError, GlossaryError
from glossary.formats.base import Termbase, given_fields, now, target_langs, terms_by_concept
from glossary.models import TERM_STATUSES, ConceptEntry, ContextEntry, Glossary, TermEntry
from glossary.text import SOURCE_LANG, normalize_lang

LONG_COLUMNS = ("concept_id", "vi", "en", "kind", "lang", "term", "status", "confidence")
SYNONYMS = "; "  # between several terms of one language in a wide cell
NOT_LANGS = ("concept_id", "vi", "en", "kind", "notes", "note")  # wide columns that hold no terms


# ---------------------------------------------------------------- writing
def to_csv_long(glossary: Glossary) -> str:
    """One row per (concept, language, term): the form ../shared/eval/score.py reads."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(LONG_COLUMNS)
    concepts = {c.concept_id: c for c in glossary.concepts}
    for cid, terms in terms_by_concept(glossary).items():
        c = concepts.get(cid, ConceptEntry(cid))
        for t in terms:
            confidence = "" if t.confidence is None else f"{t.confidence:g}"
            writer.writerow((cid, c.vi, c.en, c.kind, t.lang, t.term, t.status, confidence))
    return buf.getvalue()


def to_wide(glossary: Glossary, delimiter: str = ",") -> str:
    """One row per concept, a column per language (memoQ/Trados import); deprecated in notes."""
    langs = target_langs(glossary)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(["concept_id", "vi", "en", *langs, "notes"])
    by_concept = terms_by_concept(glossary)
    for c in glossary.concepts:
        terms = by_concept.get(c.concept_id, [])
        cells = [
            SYNONYMS.join(t.term for t in terms if t.lang == lang and t.status != "deprecated")
            for lang in langs
        ]
        notes = [n for n in (c.definition, c.note) if n]
        notes += [f"{t.lang}: do not use {t.term!r}" for t in terms if t.status == "deprecated"]
        writer.writerow([c.concept_id, c.vi, c.en, *cells, " | ".join(notes)])
    return buf.getvalue()


def to_omegat(glossary: Glossary, source: str, target: str) -> str:
    """OmegaT glossary: source<TAB>target<TAB>comment, one row per usable target term."""
    by_concept = terms_by_concept(glossary)
    rows = []
    for c in glossary.concepts:
        terms = by_concept.get(c.concept_id, [])
        sources = [t.term for t in terms if t.lang == source and t.status != "deprecated"]
        if source == SOURCE_LANG:
            sources = [c.vi, *sources]
        elif source == "en":  # the English gloss stands in for an English term
            sources = [c.en, *sources]
        avoid = [t.term for t in terms if t.lang == target and t.status == "deprecated"]
        for src in filter(None, sources):
            for t in terms:
                if t.lang != target or t.status == "deprecated":
                    continue
                comment = [t.status, c.kind]
                if c.en and source != "en":
                    comment.append(c.en)
                if avoid:
                    comment.append("do not use: " + ", ".join(avoid))
                rows.append("\t".join(_one_line(x) for x in (src, t.term, "; ".join(comment))))
    return "".join(row + "\n" for row in rows)


def _one_line(text: str) -> str:
    return re.sub(r"[\t\r\n]+", " ", text).strip()


def to_json(glossary: Glossary) -> str:
    """The whole structure: concepts with their terms and contexts, and the run metadata."""
    by_concept = terms_by_concept(glossary)
    contexts: dict[str, list[ContextEntry]] = {}
    for x in glossary.contexts:
        contexts.setdefault(x.concept_id, []).append(x)
    concepts = []
    for c in glossary.concepts:
        item = asdict(c)
        item["terms"] = [_term_dict(t) for t in by_concept.get(c.concept_id, [])]
        item["contexts"] = [asdict(x) for x in contexts.get(c.concept_id, [])]
        concepts.append(item)
    data = {"about": glossary.about, "concepts": concepts}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _term_dict(t: TermEntry) -> dict:
    return {f.name: getattr(t, f.name) for f in fields(t) if f.name != "row_id"}


# ---------------------------------------------------------------- reading
def _rows(data: bytes, name: str) -> tuple[list[str], list[dict[str, str]]]:
    """Header (lower case) and rows (stripped strings) of a CSV or TSV, delimiter detected."""
    import pandas as pd

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{name}: not UTF-8 (byte {exc.start}); save it as UTF-8 CSV") from None
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "no data"
        raise FormatError(f"{name}: unreadable CSV ({reason})") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if frame.empty or "concept_id" not in frame.columns:
        raise FormatError(f"{name}: needs a header row with a concept_id column")
    return list(frame.columns), frame.apply(lambda col: col.str.strip()).to_dict("records")


def read_csv(data: bytes, name: str = "CSV") -> Termbase:
    """Parse a long (concept_id, lang, term, ...) or wide (concept_id, vi, <lang>...) CSV/TSV."""
    header, rows = _rows(data, name)
    base = Termbase()
    imported_at = now()
    long = "lang" in header and "term" in header
    seen_langs: set[tuple[str, str]] = set()
    for line, r in enumerate(rows, start=2):
        cid = r.get("concept_id", "")
        if not cid:
            raise FormatError(f"{name}: line {line} has no concept_id")
        if cid not in base.concept_fields:
            concept = ConceptEntry(
                cid,
                vi=r.get("vi", ""),
                en=r.get("en", ""),
                kind=r.get("kind") or "term",
                status="approved",
                note=r.get("notes") or r.get("note", ""),
            )
            base.glossary.concepts.append(concept)
            base.concept_fields[cid] = given_fields(
                concept, ["status"] + ([] if r.get("kind") else ["kind"])
            )
        if long:
            pairs = [(r["lang"], [r["term"]])]
        else:
            pairs = [
                (h, [t.strip() for t in r.get(h, "").split(";")])
                for h in header
                if h not in NOT_LANGS
            ]
        for column, terms in pairs:
            lang = _lang(column, name, line)
            for term in filter(None, terms):
                status = r.get("status", "").lower() if long else ""
                if status and status not in TERM_STATUSES:
                    raise FormatError(f"{name}: line {line}: unknown status {status!r}")
                entry = TermEntry(
                    cid,
                    lang,
                    term,
                    status or ("admitted" if (cid, lang) in seen_langs else "preferred"),
                    _confidence(r.get("confidence", ""), name, line),
                    source=f"import {name}",
                    updated=imported_at,
                )
                seen_langs.add((cid, lang))
                base.glossary.terms.append(entry)
                defaulted = ["source", "updated", "frequency"] + ([] if status else ["status"])
                base.term_fields[(cid, lang, term)] = given_fields(entry, defaulted)
    return base


def _lang(code: str, name: str, line: int) -> str:
    if not code:
        raise FormatError(f"{name}: line {line} has no lang")
    try:
        return normalize_lang(code, f"{name}: line {line}: language") or ""
    except GlossaryError as exc:
        raise FormatError(str(exc)) from None


def _confidence(value: str, name: str, line: int) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        raise FormatError(f"{name}: line {line}: confidence {value!r} is not a number") from None
