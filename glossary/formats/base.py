"""What every format shares: term order, the languages of an export, and what a reader found."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from glossary.models import SEED_LANGS, SOURCE_LANG, ConceptEntry, Glossary, TermEntry

# Within one language of a concept: usable terms first, the ones to avoid last.
STATUS_ORDER = ("preferred", "admitted", "proposed", "deprecated", "rejected")


@dataclass
class Termbase:
    """A termbase read from a file, and which fields the file itself gave for each record.

    Readers fill in defaults (a status, a source) so that new records are complete; an import
    merges only the given fields into records the workbook already has.
    """

    glossary: Glossary = field(default_factory=Glossary)
    concept_fields: dict[str, frozenset[str]] = field(default_factory=dict)
    # (concept_id, lang, term) exactly as read -> the TermEntry fields the file gave
    term_fields: dict[tuple[str, str, str], frozenset[str]] = field(default_factory=dict)
    read_at: str = field(default_factory=lambda: now())  # stamped on the terms it adds


def lang_order(lang: str) -> tuple[int, str]:
    """Sort key for languages: the seed languages in their usual order, then the rest by code."""
    return (SEED_LANGS.index(lang), lang) if lang in SEED_LANGS else (len(SEED_LANGS), lang)


def target_langs(glossary: Glossary) -> list[str]:
    """The languages that have terms, Vietnamese (the source) left out."""
    return sorted({t.lang for t in glossary.terms if t.lang != SOURCE_LANG}, key=lang_order)


def terms_by_concept(glossary: Glossary) -> dict[str, list[TermEntry]]:
    """Each concept's terms, by language and then by status (preferred first)."""
    rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    by_concept: dict[str, list[TermEntry]] = {}
    for t in glossary.terms:
        by_concept.setdefault(t.concept_id, []).append(t)
    for terms in by_concept.values():
        terms.sort(key=lambda t: (lang_order(t.lang), rank.get(t.status, len(rank))))
    return by_concept


def now() -> str:
    """The current UTC time as an ISO timestamp, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def given_fields(record: ConceptEntry | TermEntry, defaulted: Iterable[str] = ()) -> frozenset[str]:
    """The fields of a record read from a file that hold a value the file gave (not a default).

    The key fields (concept_id, lang) and empty values never count.
    """
    skip = {"concept_id", "lang", "row_id", *defaulted}
    values = vars(record)  # every field of these slot-less dataclasses, read as one dict
    return frozenset(
        name
        for name in record.__dataclass_fields__
        if name not in skip and values[name] not in ("", None)
    )
