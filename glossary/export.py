"""Export dispatcher: a format name and a selection (languages, statuses) -> the writer's text.

By default only reviewed terms leave the workbook: preferred, admitted and deprecated (marked
do-not-use in each format's own way). The long CSV is the exception: it is the machine-readable
dump that ../shared/eval/score.py reads, so it keeps every row but rejected ones, with its status.
The writers live in glossary.formats (tbx, tabular); import is glossary.importer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from glossary.errors import UsageError
from glossary.formats.tabular import to_csv_long, to_json, to_omegat, to_wide
from glossary.formats.tbx import V2, to_tbx
from glossary.models import SOURCE_LANG, TERM_STATUSES, Glossary
from glossary.output import write_atomic
from glossary.text import parse_langs

FORMATS = ("tbx", "tbx2", "csv", "csv-wide", "tsv", "omegat", "json")
REVIEWED = ("preferred", "admitted", "deprecated")
WITH_PROPOSED = (*REVIEWED, "proposed")
DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


@dataclass(frozen=True)
class Exported:
    """An export's text and how much it holds."""

    text: str
    concepts: int
    terms: int


def default_statuses(fmt: str, include_proposed: bool = False) -> tuple[str, ...]:
    """What a format exports when no statuses are asked for."""
    return WITH_PROPOSED if include_proposed or fmt == "csv" else REVIEWED


def parse_statuses(value: str | None, what: str = "status") -> tuple[str, ...] | None:
    """A comma list of term statuses, 'all', or None (the format's default)."""
    if not value:
        return None
    if value.strip().lower() == "all":
        return TERM_STATUSES
    statuses = tuple(s.strip().lower() for s in value.split(",") if s.strip())
    unknown = [s for s in statuses if s not in TERM_STATUSES]
    if unknown:
        raise UsageError(
            f"{what}: unknown status {unknown[0]!r}; use {', '.join(TERM_STATUSES)} or all"
        )
    return statuses


def parse_delimiter(value: str | None, what: str = "delimiter") -> str | None:
    """One delimiter character, or a name: tab, comma, semicolon, pipe."""
    if value is None:
        return None
    delimiter = DELIMITER_NAMES.get(value.lower(), value)
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise UsageError(f"{what}: use one character such as , ; | or the word tab, not {value!r}")
    return delimiter


def select(glossary: Glossary, langs: Sequence[str] = (), statuses: Sequence[str] = REVIEWED):
    """The part to export: term languages and statuses (rejected concepts only with rejected).

    Concepts left with no term are dropped, except in the full dump (every status, no language).
    """
    keep_concepts = [
        c for c in glossary.concepts if c.status != "rejected" or "rejected" in statuses
    ]
    ids = {c.concept_id for c in keep_concepts}
    terms = [
        t
        for t in glossary.terms
        if t.concept_id in ids and t.status in statuses and (not langs or t.lang in langs)
    ]
    if langs or set(statuses) != set(TERM_STATUSES):
        with_terms = {t.concept_id for t in terms}
        keep_concepts = [c for c in keep_concepts if c.concept_id in with_terms]
    kept = {(t.concept_id, t.lang, t.term) for t in terms}
    contexts = [c for c in glossary.contexts if (c.concept_id, c.lang, c.term) in kept]
    return Glossary(keep_concepts, terms, contexts, dict(glossary.about))


def render(
    glossary: Glossary,
    fmt: str,
    langs: Sequence[str] = (),
    statuses: Sequence[str] | None = None,
    *,
    include_proposed: bool = False,
    delimiter: str | None = None,
    raw: bool = False,
) -> Exported:
    """The glossary in one export format, with the number of concepts and terms it holds.

    csv, csv-wide and tsv are opened in spreadsheets, so their cells are formula-safe unless
    raw; the CAT formats (omegat, tbx, tbx2) and json are always written as they are."""
    fmt = (fmt or "").lower()
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if delimiter and fmt not in ("csv-wide", "tsv"):
        raise UsageError(f"a delimiter applies to csv-wide and tsv, not to {fmt}")
    langs = parse_langs(langs, "export language")
    statuses = tuple(statuses) if statuses else default_statuses(fmt, include_proposed)
    if fmt == "omegat":
        if len(langs) == 1:
            langs = [SOURCE_LANG, langs[0]]
        if len(langs) != 2:
            raise UsageError(
                "OmegaT needs a language pair: a target language (from Vietnamese) "
                "or a source and a target language, e.g. sv or en,sv"
            )
        part = select(glossary, [lg for lg in langs if lg != SOURCE_LANG], statuses)
        text = to_omegat(part, langs[0], langs[1])
        return Exported(text, len(part.concepts), text.count("\n"))
    part = select(glossary, langs, statuses)
    writers = {
        "tbx": to_tbx,
        "tbx2": lambda g: to_tbx(g, V2),
        "csv": lambda g: to_csv_long(g, raw=raw),
        "csv-wide": lambda g: to_wide(g, delimiter or ",", raw=raw),
        "tsv": lambda g: to_wide(g, delimiter or "\t", raw=raw),
        "json": to_json,
    }
    return Exported(writers[fmt](part), len(part.concepts), len(part.terms))


def export(
    glossary: Glossary, fmt: str, langs: Sequence[str] = (), statuses=None, **options
) -> str:
    """The glossary in one export format, as text (see `render` for the options)."""
    return render(glossary, fmt, langs, statuses, **options).text


def write(exported: Exported, path: str | Path) -> Path:
    """Write an export atomically: the file holds the old or the new export, never part."""
    return write_atomic(path, exported.text)
