"""Export dispatcher: a format name and a selection (languages, statuses) -> the writer's text.

The writers live in glossary.formats (tbx, tabular); import is glossary.importer.
"""

from __future__ import annotations

from collections.abc import Sequence

from glossary.errors import UsageError
from glossary.formats.tabular import to_csv_long, to_json, to_omegat, to_wide
from glossary.formats.tbx import to_tbx
from glossary.models import SOURCE_LANG, TERM_STATUSES, Glossary
from glossary.text import parse_langs

FORMATS = ("tbx", "csv", "csv-wide", "tsv", "omegat", "json")
DEFAULT_STATUSES = ("preferred", "admitted", "deprecated", "proposed")  # rejected: --status all


def parse_statuses(value: str | None) -> tuple[str, ...]:
    """--status value: a comma list of term statuses, 'all', or None for the default."""
    if not value:
        return DEFAULT_STATUSES
    if value.strip().lower() == "all":
        return TERM_STATUSES
    statuses = tuple(s.strip().lower() for s in value.split(",") if s.strip())
    unknown = [s for s in statuses if s not in TERM_STATUSES]
    if unknown:
        raise UsageError(
            f"unknown status {unknown[0]!r} for --status; use {', '.join(TERM_STATUSES)} or all"
        )
    return statuses


def parse_export_langs(value: str | None) -> list[str]:
    """--lang for export: comma-separated codes, normalised (nob, nb-NO and no give nb)."""
    return parse_langs(value, "--lang")


def select(
    glossary: Glossary, langs: Sequence[str] = (), statuses: Sequence[str] = DEFAULT_STATUSES
) -> Glossary:
    """The part to export: term languages and statuses (rejected concepts only with rejected)."""
    keep_concepts = [
        c for c in glossary.concepts if c.status != "rejected" or "rejected" in statuses
    ]
    ids = {c.concept_id for c in keep_concepts}
    terms = [
        t
        for t in glossary.terms
        if t.concept_id in ids and t.status in statuses and (not langs or t.lang in langs)
    ]
    kept = {(t.concept_id, t.lang, t.term) for t in terms}
    contexts = [c for c in glossary.contexts if (c.concept_id, c.lang, c.term) in kept]
    return Glossary(keep_concepts, terms, contexts, dict(glossary.about))


def export(
    glossary: Glossary,
    fmt: str,
    langs: Sequence[str] = (),
    statuses: Sequence[str] = DEFAULT_STATUSES,
) -> str:
    """The glossary in one export format, as text."""
    fmt = (fmt or "").lower()
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    langs = parse_langs(langs, "export language")
    if fmt == "omegat":
        if len(langs) == 1:
            langs = [SOURCE_LANG, langs[0]]
        if len(langs) != 2:
            raise UsageError(
                "OmegaT needs a language pair: a target language (from Vietnamese) "
                "or a source and a target language, e.g. sv or en,sv"
            )
        part = select(glossary, [lg for lg in langs if lg != SOURCE_LANG], statuses)
        return to_omegat(part, langs[0], langs[1])
    part = select(glossary, langs, statuses)
    writers = {
        "tbx": to_tbx,
        "csv": to_csv_long,
        "csv-wide": lambda g: to_wide(g, ","),
        "tsv": lambda g: to_wide(g, "\t"),
        "json": to_json,
    }
    return writers[fmt](part)
