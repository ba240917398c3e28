"""Key-term QA of bilingual files (XLIFF 1.2, XLIFF 2.0, TMX) whose source is Vietnamese.

Per segment, as Xbench's "key term mismatch" does for this product's languages:
- the glossary's Vietnamese terms are found in the source, with their diacritics (dân vận is not
  dần vân), case-insensitively and on word boundaries, longest term first;
- a target that contains none of the concept's approved renderings (preferred or admitted) is an
  error; matching in the target is inflection-aware (lookup's forms: definite, plural, case);
- a target that uses a deprecated rendering is an error.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

from glossary.errors import FormatError, GlossaryError, UsageError
from glossary.text import SOURCE_LANG, nfc, normalize_lang

APPROVED = ("preferred", "admitted")
BILINGUAL_SUFFIXES = (".xlf", ".xliff", ".sdlxliff", ".mqxliff", ".tmx")
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Inline elements whose content is markup of the original format, not translatable text.
_CODE_ELEMENTS = {"ph", "bpt", "ept", "it", "sub", "sc", "ec"}


@dataclass(frozen=True)
class Segment:
    """One source/target pair of a bilingual file."""

    id: str  # trans-unit id (XLIFF 1.2), unit[/segment] id (XLIFF 2.0), tuid or number (TMX)
    source: str
    target: str
    target_lang: str


@dataclass(frozen=True)
class SegmentFinding:
    """A key-term problem in one segment."""

    file: str
    segment: str
    concept_id: str
    vi: str  # the Vietnamese term found in the source
    rule: str  # missing | deprecated
    severity: str  # error
    found: str  # the deprecated rendering as it stands in the target ("" for missing)
    expected: tuple[str, ...]  # the approved renderings
    message: str

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {**asdict(self), "expected": list(self.expected)}


def is_bilingual(path: Path | str) -> bool:
    """Whether a file to check is an XLIFF or TMX file (by its name)."""
    return Path(path).suffix.lower() in BILINGUAL_SUFFIXES


# ---------------------------------------------------------------- reading
def _local(node) -> str:
    return node.tag.rsplit("}", 1)[-1] if isinstance(node.tag, str) else ""


def _text(node) -> str:
    """The translatable text of a source/target/seg element, inline codes left out."""
    if node is None:
        return ""
    parts = [node.text or ""]
    for child in node:
        if _local(child) not in _CODE_ELEMENTS:
            parts.append(_text(child))
        parts.append(child.tail or "")
    return nfc("".join(parts))


def _children(node, name: str) -> list:
    return [k for k in node if _local(k) == name]


def _lang(code: str | None, name: str) -> str:
    try:
        return normalize_lang(code, f"{name}: language") or ""
    except GlossaryError as exc:
        raise FormatError(str(exc)) from None


def _need_vietnamese(lang: str, name: str) -> None:
    if lang != SOURCE_LANG:
        raise FormatError(f"{name}: the source language is {lang or 'not given'}; "
                          "the bilingual check needs a Vietnamese source")  # fmt: skip


def read_segments(path: Path | str, target_lang: str | None = None) -> list[Segment]:
    """The segments of an XLIFF 1.2, XLIFF 2.0 or TMX file (target_lang picks a TMX language)."""
    from lxml import etree

    path = Path(path)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.parse(str(path), parser).getroot()
    except OSError:
        raise UsageError(f"file to check not found or unreadable: {path}") from None
    except etree.XMLSyntaxError as exc:
        raise FormatError(f"{path.name}: malformed XML at line {exc.lineno}: {exc.msg}") from None
    kind = _local(root)
    if kind == "tmx":
        return _tmx_segments(root, path.name, target_lang)
    if kind == "xliff" and root.get("version", "").startswith("2"):
        return _xliff2_segments(root, path.name)
    if kind == "xliff":
        return _xliff1_segments(root, path.name)
    raise FormatError(f"{path.name}: not an XLIFF or TMX file (root element <{kind}>)")


def _xliff1_segments(root, name: str) -> list[Segment]:
    segments = []
    for file in (n for n in root.iter() if _local(n) == "file"):
        _need_vietnamese(_lang(file.get("source-language"), name), name)
        target_lang = _lang(file.get("target-language"), name)
        for unit in (n for n in file.iter() if _local(n) == "trans-unit"):
            source = _text(next(iter(_children(unit, "source")), None))
            target = _text(next(iter(_children(unit, "target")), None))
            segments.append(Segment(unit.get("id", ""), source, target, target_lang))
    return segments


def _xliff2_segments(root, name: str) -> list[Segment]:
    _need_vietnamese(_lang(root.get("srcLang"), name), name)
    target_lang = _lang(root.get("trgLang"), name)
    segments = []
    for unit in (n for n in root.iter() if _local(n) == "unit"):
        parts = _children(unit, "segment")
        for k, seg in enumerate(parts, start=1):
            seg_id = (
                unit.get("id", "")
                if len(parts) == 1
                else f"{unit.get('id', '')}/{seg.get('id') or k}"
            )
            source = _text(next(iter(_children(seg, "source")), None))
            target = _text(next(iter(_children(seg, "target")), None))
            segments.append(Segment(seg_id, source, target, target_lang))
    return segments


def _tmx_segments(root, name: str, target_lang: str | None) -> list[Segment]:
    header = next(iter(_children(root, "header")), None)
    source_lang = header.get("srclang", "") if header is not None else ""
    source_lang = SOURCE_LANG if source_lang in ("", "*all*") else _lang(source_lang, name)
    _need_vietnamese(source_lang, name)
    segments = []
    tus = [n for n in root.iter() if _local(n) == "tu"]
    for number, tu in enumerate(tus, start=1):
        by_lang = {}
        for tuv in _children(tu, "tuv"):
            lang = _lang(tuv.get(XML_LANG) or tuv.get("lang"), name)
            by_lang.setdefault(lang, _text(next(iter(_children(tuv, "seg")), None)))
        others = [lang for lang in by_lang if lang != SOURCE_LANG]
        lang = target_lang or (others[0] if len(others) == 1 else "")
        if SOURCE_LANG not in by_lang or lang not in by_lang:
            continue  # no Vietnamese side, or not the language being checked
        segments.append(
            Segment(tu.get("tuid") or str(number), by_lang[SOURCE_LANG], by_lang[lang], lang)
        )
    return segments


# ---------------------------------------------------------------- checking
def _source_pattern(terms: list[str]) -> re.Pattern | None:
    """One pattern for the Vietnamese terms: exact diacritics, any case, whole words, longest first."""
    words = sorted({nfc(t).casefold().strip() for t in terms if t.strip()}, key=len, reverse=True)
    if not words:
        return None
    alternatives = (r"\s+".join(re.escape(w) for w in term.split()) for term in words)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


def check_segments(index, segments: list[Segment], file: str = "") -> list[SegmentFinding]:
    """Key-term findings for the segments of one file, in segment order.

    index is a lookup index (glossary.lookup.build_index) holding the target languages.
    """
    from glossary.check import find_terms

    concepts_by_vi: dict[str, int] = {}
    for at, concept in enumerate(index.concepts):
        if concept["vi"] and concept["status"] != "rejected":
            concepts_by_vi.setdefault(nfc(concept["vi"]).casefold().strip(), at)
    pattern = _source_pattern(list(concepts_by_vi))
    findings: list[SegmentFinding] = []
    for seg in segments:
        if pattern is None or not seg.target.strip():
            continue  # nothing to look for, or not translated yet
        found_in_source = {
            concepts_by_vi[" ".join(m.group().casefold().split())]
            for m in pattern.finditer(seg.source)
        }
        used = find_terms(index, seg.target, seg.target_lang)
        used_by_concept: dict[int, set[str]] = {}
        for occ in used:
            at, _, _, status, _ = index.entries[occ.entry]
            used_by_concept.setdefault(at, set()).add(status)
            if status == "deprecated":
                findings.append(_deprecated(index, seg, occ, file))
        for at in sorted(found_in_source):
            expected = _approved(index, at, seg.target_lang)
            if expected and not used_by_concept.get(at, set()) & set(APPROVED):
                findings.append(_missing(index, seg, at, expected, file))
    return findings


def _approved(index, at: int, lang: str) -> tuple[str, ...]:
    return tuple(
        term for t_lang, term, status, _, _ in index.concepts[at]["terms"]
        if t_lang == lang and status in APPROVED
    )  # fmt: skip


def _missing(index, seg: Segment, at: int, expected: tuple[str, ...], file: str) -> SegmentFinding:
    concept = index.concepts[at]
    wanted = " or ".join(repr(t) for t in expected)
    return SegmentFinding(
        file, seg.id, concept["id"], concept["vi"], "missing", "error", "", expected,
        f"source has {concept['vi']!r}; the target has none of {wanted}",
    )  # fmt: skip


def _deprecated(index, seg: Segment, occ, file: str) -> SegmentFinding:
    at = index.entries[occ.entry][0]
    concept = index.concepts[at]
    found = seg.target[occ.start : occ.end]
    expected = _approved(index, at, seg.target_lang)
    advice = f"; use {' or '.join(repr(t) for t in expected)}" if expected else ""
    return SegmentFinding(
        file, seg.id, concept["id"], concept["vi"], "deprecated", "error", found, expected,
        f"the target uses the deprecated {found!r}{advice}",
    )  # fmt: skip


def check_bilingual(
    path: Path | str, glossary, target_lang: str | None = None
) -> list[SegmentFinding]:
    """Key-term findings for one XLIFF or TMX file; glossary is a Glossary or a lookup index."""
    from glossary.lookup import build_index
    from glossary.models import Glossary

    segments = read_segments(path, target_lang)
    index = (
        build_index(glossary, sorted({s.target_lang for s in segments}))
        if isinstance(glossary, Glossary)
        else glossary  # an in-memory or stored lookup index
    )
    return check_segments(index, segments, str(path))


def render(findings: list[SegmentFinding]) -> str:
    """One line per finding: file:segment-id: severity [rule] message (concept)."""
    lines = [
        f"{f.file}:{f.segment}: {f.severity} [{f.rule}] {f.message} (concept {f.concept_id})"
        for f in findings
    ]
    lines.append(f"{len(findings)} error(s) in key terms")
    return "\n".join(lines)
