"""Terminology check of a translation against the glossary, as QA tools (Xbench, memoQ QA) do.

Rules: a deprecated term is used (error, suggest the preferred term); one concept is rendered
by several different terms in one file (error); a still-proposed term is used (info).
Matching uses lookup's normaliser, so inflected and definite forms count as uses of a term.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from glossary.errors import UsageError
from glossary.lookup import (
    STATUS_RANK,
    LookupIndex,
    build_index,
    normalize,
    token_spans,
    tokens_match,
    validate_lang,
)
from glossary.models import Glossary

SEVERITY = {"deprecated": "error", "inconsistent": "error", "proposed": "info"}


@dataclass(frozen=True)
class Finding:
    """One problem found in a checked file."""

    file: str
    line: int  # 1-based
    column: int  # 1-based, in characters
    text: str  # the text as found in the file
    concept_id: str
    vi: str
    term: str  # the glossary term it was recognised as
    suggestion: str  # the term to use instead ("" when none)
    rule: str  # deprecated | inconsistent | proposed
    severity: str  # error | info
    message: str

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


@dataclass(frozen=True)
class Occurrence:
    """A glossary term recognised in the text."""

    start: int
    end: int
    entry: int  # index entry that matched
    exact: bool


def find_terms(index: LookupIndex, text: str, lang: str) -> list[Occurrence]:
    """Every use of a glossary term of lang in text, longest match first, without overlaps."""
    spans = token_spans(text)
    toks = [s[2] for s in spans]
    found: list[Occurrence] = []
    i = 0
    while i < len(spans):
        best: tuple[int, int, int, int] | None = None  # (length, reviewed, exact, -rank): max
        best_entry = -1
        for e, position in sorted(index.candidates(toks[i])):
            _, e_lang, _, status, role = index.entries[e]
            if position or e_lang != lang or role not in ("term", "form") or status == "rejected":
                continue
            n = len(index.entry_tokens[e])
            if i + n > len(spans) or not _matches_at(index, toks, i, e):
                continue
            exact = tuple(toks[i : i + n]) == index.entry_tokens[e]
            # A reviewed term wins over a proposal that is only one of its inflected forms.
            score = (n, int(status != "proposed"), int(exact), -STATUS_RANK.get(status, 9))
            if best is None or score > best:
                best, best_entry = score, e
        if best is None:
            i += 1
            continue
        n = best[0]
        found.append(Occurrence(spans[i][0], spans[i + n - 1][1], best_entry, bool(best[2])))
        i += n
    return found


def _matches_at(index: LookupIndex, toks: list[str], i: int, entry: int) -> bool:
    for k, (e_tok, e_lemma) in enumerate(
        zip(index.entry_tokens[entry], index.entry_lemmas[entry], strict=True)
    ):
        t = toks[i + k]
        if not (t == e_tok or e_lemma in index.lemmas_of(t) or tokens_match(t, e_tok)):
            return False
    return True


def _preferred(index: LookupIndex, concept: int, lang: str) -> str:
    """The term to recommend for a concept: preferred, else admitted, else any non-deprecated."""
    options = [
        (STATUS_RANK.get(status, 9), term)
        for t_lang, term, status, _, _ in index.concepts[concept]["terms"]
        if t_lang == lang and status in ("preferred", "admitted", "proposed")
    ]
    return min(options)[1] if options else ""


def check_text(index: LookupIndex, text: str, lang: str, file: str = "") -> list[Finding]:
    """Findings for one text in language lang, in file order."""
    lang = validate_lang(lang)
    if lang is None:
        raise UsageError("check needs --lang: the language the file is written in")
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def where(offset: int) -> tuple[int, int]:
        line = bisect_right(starts, offset)
        return line, offset - starts[line - 1] + 1

    occurrences = find_terms(index, text, lang)
    findings: list[Finding] = []

    def add(occ: Occurrence, rule: str, suggestion: str, message: str) -> None:
        at, term = index.entries[occ.entry][0], index.term_text(occ.entry)
        concept = index.concepts[at]
        line, column = where(occ.start)
        findings.append(
            Finding(
                file=file,
                line=line,
                column=column,
                text=text[occ.start : occ.end],
                concept_id=concept["id"],
                vi=concept["vi"],
                term=term,
                suggestion=suggestion,
                rule=rule,
                severity=SEVERITY[rule],
                message=message,
            )
        )

    by_concept: dict[int, list[Occurrence]] = defaultdict(list)
    for occ in occurrences:
        at, _, _, status, _ = index.entries[occ.entry]
        term = index.term_text(occ.entry)
        found = text[occ.start : occ.end]
        if status == "deprecated":
            use = _preferred(index, at, lang)
            advice = f"; use {use!r}" if use else "; the glossary has no replacement yet"
            add(occ, "deprecated", use, f"{found!r} is a deprecated term{advice}")
            continue  # already an error: do not also count it as an inconsistency
        if status == "proposed":
            add(occ, "proposed", "", f"{term!r} is proposed, not yet reviewed")
        by_concept[at].append(occ)

    for at, occs in by_concept.items():
        used = Counter(normalize(index.term_text(o.entry)) for o in occs)
        if len(used) < 2:
            continue
        # The rendering to keep: the glossary's preferred term if the file uses it, else the
        # best-ranked, then most frequent, then first used one.
        first_seen = {}
        for o in occs:
            first_seen.setdefault(normalize(index.term_text(o.entry)), o.start)
        rank = {
            normalize(index.term_text(o.entry)): STATUS_RANK.get(index.entries[o.entry][3], 9)
            for o in occs
        }
        keep = min(used, key=lambda t: (rank[t], -used[t], first_seen[t]))
        keep_term = next(
            index.term_text(o.entry) for o in occs if normalize(index.term_text(o.entry)) == keep
        )
        suggestion = _preferred(index, at, lang) or keep_term
        for o in occs:
            if normalize(index.term_text(o.entry)) != keep:
                add(
                    o,
                    "inconsistent",
                    suggestion,
                    f"concept rendered both as {keep_term!r} and {text[o.start : o.end]!r} "
                    f"in this file; use {suggestion!r} throughout",
                )
    findings.sort(key=lambda f: (f.line, f.column, f.rule))
    return findings


def read_text(path: Path | str) -> str:
    """The text of a file to check, as UTF-8, or a UsageError saying why it cannot be read."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"file to check not found: {path}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{path} is not UTF-8 text (byte {exc.start}); convert it to UTF-8 first"
        ) from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def check_file(path: Path | str, glossary: Glossary | LookupIndex, lang: str) -> list[Finding]:
    """Findings for one file; glossary may be a Glossary or a prebuilt LookupIndex."""
    lang = validate_lang(lang)
    if lang is None:
        raise UsageError("check needs --lang: the language the file is written in")
    text = read_text(path)
    # An in-memory or stored lookup index is used as it is.
    index = build_index(glossary, [lang]) if isinstance(glossary, Glossary) else glossary
    return check_text(index, text, lang, str(path))


def has_errors(findings: list[Finding]) -> bool:
    """Whether any finding should fail a pipeline."""
    return any(f.severity == "error" for f in findings)


def render(findings: list[Finding]) -> str:
    """Compiler-style lines: file:line:col: severity [rule] message (concept)."""
    lines = [
        f"{f.file}:{f.line}:{f.column}: {f.severity} [{f.rule}] {f.message} "
        f"(concept {f.concept_id}{': ' + f.vi if f.vi else ''})"
        for f in findings
    ]
    errors = sum(f.severity == "error" for f in findings)
    lines.append(f"{errors} error(s), {len(findings) - errors} note(s)")
    return "\n".join(lines)
