"""Exports for CAT tools (TBX-Basic v3, CSV, TSV, OmegaT, JSON) and import of TBX/CSV termbases.

TBX-Basic has no place for machine evidence (confidence, frequency, proposal status), so those
travel in one `<note>` per element starting with `glossary:` followed by JSON; CAT tools show it
as a note, and `import_file` reads it back, which makes export -> import lossless.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timezone
from pathlib import Path

from glossary.errors import FormatError, UsageError
from glossary.lookup import normalize, parse_langs
from glossary.models import (
    SEED_LANGS,
    SOURCE_LANG,
    TERM_STATUSES,
    ConceptEntry,
    ContextEntry,
    Glossary,
    TermEntry,
)

FORMATS = ("tbx", "csv", "csv-wide", "tsv", "omegat", "json")
TBX_NS = "urn:iso:std:iso:30042:ed-2"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
META = "glossary: "
DEFAULT_STATUSES = ("preferred", "admitted", "deprecated", "proposed")  # rejected: --status all
LONG_COLUMNS = ("concept_id", "vi", "en", "kind", "lang", "term", "status", "confidence")
SYNONYMS = "; "  # between several terms of one language in a wide cell
TBX_STATUS = {
    "preferred": "preferredTerm-admn-sts",
    "admitted": "admittedTerm-admn-sts",
    "deprecated": "deprecatedTerm-admn-sts",
}
FROM_TBX_STATUS = {v: k for k, v in TBX_STATUS.items()} | {"supersededTerm-admn-sts": "deprecated"}
_NCNAME = re.compile(r"^[^\W\d][\w.-]*$")


# ---------------------------------------------------------------- selection
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


def _ordered_terms(glossary: Glossary) -> dict[str, list[TermEntry]]:
    order = {
        s: i for i, s in enumerate(("preferred", "admitted", "proposed", "deprecated", "rejected"))
    }
    by_concept: dict[str, list[TermEntry]] = {}
    for t in glossary.terms:
        by_concept.setdefault(t.concept_id, []).append(t)
    for terms in by_concept.values():
        terms.sort(key=lambda t: (_lang_order(t.lang), order.get(t.status, 9)))
    return by_concept


def _lang_order(lang: str) -> tuple[int, str]:
    return (SEED_LANGS.index(lang), lang) if lang in SEED_LANGS else (len(SEED_LANGS), lang)


def _langs_of(glossary: Glossary) -> list[str]:
    return sorted({t.lang for t in glossary.terms if t.lang != SOURCE_LANG}, key=_lang_order)


# ---------------------------------------------------------------- tabular
def to_csv_long(glossary: Glossary) -> str:
    """One row per (concept, language, term): the form ../shared/eval/score.py reads."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(LONG_COLUMNS)
    concepts = {c.concept_id: c for c in glossary.concepts}
    for cid, terms in _ordered_terms(glossary).items():
        c = concepts.get(cid, ConceptEntry(cid))
        for t in terms:
            confidence = "" if t.confidence is None else f"{t.confidence:g}"
            writer.writerow((cid, c.vi, c.en, c.kind, t.lang, t.term, t.status, confidence))
    return buf.getvalue()


def to_wide(glossary: Glossary, delimiter: str = ",") -> str:
    """One row per concept, a column per language (memoQ/Trados import); deprecated in notes."""
    langs = _langs_of(glossary)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(["concept_id", "vi", "en", *langs, "notes"])
    by_concept = _ordered_terms(glossary)
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
    by_concept = _ordered_terms(glossary)
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
    by_concept = _ordered_terms(glossary)
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


# ---------------------------------------------------------------- TBX
def to_tbx(glossary: Glossary) -> str:
    """TBX-Basic (ISO 30042:2019, DCA style): valid against TBXcoreStructV03.rng."""
    from lxml import etree

    def el(parent, tag: str, text: str | None = None, **attrs):
        node = etree.SubElement(parent, f"{{{TBX_NS}}}{tag}")
        for key, value in attrs.items():
            node.set(XML_LANG if key == "lang" else key, value)
        if text is not None:
            node.text = text
        return node

    def meta(parent, data: dict) -> None:
        data = {k: v for k, v in data.items() if v not in ("", None, [], {})}
        if data:
            el(parent, "note", META + json.dumps(data, ensure_ascii=False, sort_keys=True))

    root = etree.Element(f"{{{TBX_NS}}}tbx", nsmap={None: TBX_NS})
    root.set("type", "TBX-Basic")
    root.set("style", "dca")
    root.set(XML_LANG, "en")
    header = el(root, "tbxHeader")
    file_desc = el(header, "fileDesc")
    el(el(file_desc, "titleStmt"), "title", "Glossary keyed to Vietnamese source terms")
    source_desc = el(file_desc, "sourceDesc")
    el(source_desc, "p", "Exported by glossary (https://pypi.org/project/glossary)")
    if glossary.about:
        el(source_desc, "p", META + json.dumps(glossary.about, ensure_ascii=False, sort_keys=True))
    text = el(root, "text")
    body = el(text, "body") if glossary.concepts else None
    by_concept = _ordered_terms(glossary)
    contexts: dict[tuple[str, str, str], list[ContextEntry]] = {}
    for x in glossary.contexts:
        contexts.setdefault((x.concept_id, x.lang, x.term), []).append(x)
    used_ids: set[str] = set()
    for c in glossary.concepts:
        entry_id = _xml_id(c.concept_id, used_ids)
        entry = el(body, "conceptEntry", id=entry_id)
        if c.definition:
            el(entry, "descrip", c.definition, type="definition")
        if c.note:
            el(entry, "note", c.note)
        meta(
            entry,
            {
                "kind": c.kind,
                "status": c.status,
                "concept_id": c.concept_id if entry_id != c.concept_id else "",
            },
        )
        terms = by_concept.get(c.concept_id, [])
        langs = [SOURCE_LANG] if c.vi or not (terms or c.en) else []
        langs += ["en"] if c.en and "en" not in langs else []
        langs += [lang for lang in dict.fromkeys(t.lang for t in terms) if lang not in langs]
        for lang in langs:
            sec = el(entry, "langSec", lang=lang)
            if lang == SOURCE_LANG and (c.vi or not terms):
                term_sec = el(sec, "termSec")
                el(term_sec, "term", c.vi)
                el(term_sec, "termNote", TBX_STATUS["preferred"], type="administrativeStatus")
                meta(term_sec, {"role": "source"})
            if lang == "en" and c.en:
                term_sec = el(sec, "termSec")
                el(term_sec, "term", c.en)
                meta(term_sec, {"role": "gloss"})
            for t in (t for t in terms if t.lang == lang):
                _tbx_term(el, meta, sec, t, contexts.get((t.concept_id, t.lang, t.term), []))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode(
        "utf-8"
    )


def _tbx_term(el, meta, sec, t: TermEntry, ctxs: list[ContextEntry]) -> None:
    term_sec = el(sec, "termSec")
    el(term_sec, "term", t.term)
    if t.status in TBX_STATUS:
        el(term_sec, "termNote", TBX_STATUS[t.status], type="administrativeStatus")
    # TermEntry.context first (sharing a group with an identical ContextEntry), then the others.
    groups: list[tuple[str, ContextEntry | None]] = []
    rest = list(ctxs)
    if t.context:
        same = next((x for x in rest if x.sentence == t.context), None)
        if same is not None:
            rest.remove(same)
        groups.append((t.context, same))
    groups += [(x.sentence, x) for x in rest]
    for sentence, ctx in groups:
        grp = el(term_sec, "descripGrp")
        el(grp, "descrip", sentence, type="context")
        if ctx is not None and ctx.document:
            el(grp, "admin", ctx.document, type="source")
    if t.source:
        el(term_sec, "admin", t.source, type="source")
    if t.note:
        el(term_sec, "note", t.note)
    if _is_datetime(t.updated):
        grp = el(term_sec, "transacGrp")
        el(grp, "transac", "modification", type="transactionType")
        el(grp, "date", t.updated)
    meta(
        term_sec,
        {
            "status": t.status if t.status not in TBX_STATUS else "",
            "confidence": t.confidence,
            "frequency": t.frequency or None,
            "documents": t.documents,
            "evidence": t.evidence,
            "updated": t.updated if not _is_datetime(t.updated) else "",
            "contexts": [[x.document, x.position] if x is not None else None for _, x in groups]
            if groups
            else [],
            "first_context": bool(t.context),
        },
    )


def _is_datetime(value: str) -> bool:
    return bool(
        re.fullmatch(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?", value)
    )


def _xml_id(concept_id: str, used: set[str]) -> str:
    """An xsd:ID for a concept: its own id when it is a valid NCName, else a safe spelling."""
    candidate = (
        concept_id if _NCNAME.match(concept_id) else "c-" + re.sub(r"[^\w.-]", "_", concept_id)
    )
    base, n = candidate, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    used.add(candidate)
    return candidate


# ---------------------------------------------------------------- export entry point
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
    if fmt == "omegat":
        if len(langs) == 1:
            langs = [SOURCE_LANG, langs[0]]
        if len(langs) != 2:
            raise UsageError(
                "OmegaT needs a language pair: --lang TARGET (from Vietnamese) "
                "or --lang SOURCE,TARGET"
            )
        part = select(glossary, [lg for lg in langs if lg != SOURCE_LANG], statuses)
        return to_omegat(part, langs[0], langs[1])
    part = select(glossary, langs, statuses)
    if fmt == "tbx":
        return to_tbx(part)
    if fmt == "csv":
        return to_csv_long(part)
    if fmt == "csv-wide":
        return to_wide(part, ",")
    if fmt == "tsv":
        return to_wide(part, "\t")
    return to_json(part)


def parse_export_langs(value: str | None) -> list[str]:
    """--lang for export: comma-separated codes."""
    return parse_langs(value, "--lang")


# ---------------------------------------------------------------- import
def import_file(path: Path | str) -> Glossary:
    """Read a TBX (v3 or v2) or CSV (long or wide) termbase as a Glossary of reviewed terms."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"file to import not found: {path}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    head = data.lstrip()[:1]
    if path.suffix.lower() in (".tbx", ".xml") or head == b"<":
        return read_tbx(data, path.name)
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        return read_csv(data, path.name)
    raise FormatError(f"{path}: unknown termbase format; import a .tbx or .csv file")


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def read_tbx(data: bytes, name: str = "TBX") -> Glossary:
    """Parse TBX bytes (our own export exactly, other tools' TBX-Basic v3/v2 sensibly)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or (exc.position[0] if exc.position else "?")
        msg = str(exc.msg if hasattr(exc, "msg") else exc).splitlines()[0]
        raise FormatError(f"{name}: malformed TBX at line {line}: {msg}") from None
    if etree.QName(root).localname not in ("tbx", "martif"):
        raise FormatError(f"{name}: not a TBX file (root element <{etree.QName(root).localname}>)")

    def local(node) -> str:
        return etree.QName(node).localname if isinstance(node.tag, str) else ""

    def kids(node, *names):
        return [k for k in node if local(k) in names]

    def text_of(node, exact: bool | None = None) -> str:
        if node is None:
            return ""
        value = "".join(node.itertext())
        return value if (own if exact is None else exact) else " ".join(value.split())

    # Other tools wrap long text over lines; text in our own export is kept exactly.
    own = any(text_of(n, True).startswith(META) for n in root.iter("{*}note", "{*}p"))

    def read_meta(node) -> dict:
        for note in kids(node, "note"):
            value = text_of(note)
            if value.startswith(META.strip()):
                try:
                    return json.loads(value[len(META.strip()) :])
                except ValueError:
                    raise FormatError(f"{name}: unreadable glossary note {value[:60]!r}") from None
        return {}

    def plain_notes(node) -> str:
        return "\n".join(
            text_of(n) for n in kids(node, "note") if not text_of(n).startswith(META.strip())
        )

    glossary = Glossary()
    imported_at = _now()
    for p in root.iter("{*}p"):
        if text_of(p).startswith(META.strip()):
            glossary.about = json.loads(text_of(p)[len(META.strip()) :])
    entries = [n for n in root.iter() if local(n) in ("conceptEntry", "termEntry")]
    if not entries:
        raise FormatError(f"{name}: no conceptEntry found; is this a TBX termbase?")
    for entry in entries:
        cmeta = read_meta(entry)
        cid = cmeta.get("concept_id") or entry.get("id") or f"imported-{len(glossary.concepts) + 1}"
        definition = next(
            (
                text_of(d)
                for d in entry.iter("{*}descrip", "descrip")
                if d.get("type") == "definition"
            ),
            "",
        )
        vi = en = ""
        for sec in kids(entry, "langSec", "langSet"):
            lang = (sec.get(XML_LANG) or sec.get("lang") or "").lower().split("-")[0]
            if lang == "no":
                lang = "nb"
            first_in_lang = True
            for term_sec in kids(sec, "termSec", "tig", "ntig"):
                term_node = next(term_sec.iter("{*}term", "term"), None)
                term = text_of(term_node)
                tmeta = read_meta(term_sec)
                role = tmeta.get("role")
                if role == "source" or (not cmeta and lang == SOURCE_LANG and not vi):
                    vi = term
                    continue
                if role == "gloss" or (not cmeta and lang == "en" and not en):
                    en = term
                    continue
                if not term:
                    continue
                status = tmeta.get("status")
                if not status:
                    admin = next(
                        (
                            text_of(n)
                            for n in term_sec.iter("{*}termNote", "termNote")
                            if n.get("type") == "administrativeStatus"
                        ),
                        "",
                    )
                    # An unmarked term of another termbase is reviewed: preferred if first.
                    status = FROM_TBX_STATUS.get(
                        admin, "preferred" if first_in_lang else "admitted"
                    )
                first_in_lang = False
                groups = [
                    g
                    for g in kids(term_sec, "descripGrp")
                    if any(d.get("type") == "context" for d in kids(g, "descrip"))
                ]
                groups += [d for d in kids(term_sec, "descrip") if d.get("type") == "context"]
                sentences = []
                for g in groups:
                    d = (
                        g
                        if local(g) == "descrip"
                        else next(x for x in kids(g, "descrip") if x.get("type") == "context")
                    )
                    src = next(
                        (text_of(a) for a in kids(g, "admin") if a.get("type") == "source"), ""
                    )
                    sentences.append((text_of(d), src))
                positions = tmeta.get("contexts")
                has_first = (
                    tmeta.get("first_context", bool(sentences)) if tmeta else bool(sentences)
                )
                for k, (sentence, src) in enumerate(sentences):
                    if positions is not None:
                        where = positions[k] if k < len(positions) else None
                        if where is None:
                            continue
                        document, position = where
                    elif src:
                        document, position = src, 0
                    else:
                        continue
                    glossary.contexts.append(
                        ContextEntry(cid, lang, term, document, int(position), sentence)
                    )
                date = next((text_of(d) for d in term_sec.iter("{*}date", "date")), "")
                confidence = tmeta.get("confidence")
                glossary.terms.append(
                    TermEntry(
                        concept_id=cid,
                        lang=lang,
                        term=term,
                        status=status if status in TERM_STATUSES else "admitted",
                        confidence=float(confidence) if confidence is not None else None,
                        frequency=int(tmeta.get("frequency") or 0),
                        documents=tmeta.get("documents", ""),
                        context=sentences[0][0] if sentences and has_first else "",
                        note=plain_notes(term_sec),
                        source=next(
                            (
                                text_of(a)
                                for a in kids(term_sec, "admin")
                                if a.get("type") == "source"
                            ),
                            "" if tmeta else f"import {name}",
                        ),
                        updated=tmeta.get("updated") or date or ("" if tmeta else imported_at),
                        evidence=tmeta.get("evidence", ""),
                    )
                )
        glossary.concepts.append(
            ConceptEntry(
                concept_id=cid,
                vi=vi,
                en=en,
                kind=cmeta.get("kind", "term"),
                definition=definition,
                status=cmeta.get("status", "approved"),
                note=plain_notes(entry),
            )
        )
    return glossary


def read_csv(data: bytes, name: str = "CSV") -> Glossary:
    """Parse a long (concept_id, lang, term, ...) or wide (concept_id, vi, <lang>...) CSV/TSV."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{name}: not UTF-8 (byte {exc.start}); save it as UTF-8 CSV") from None
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    rows = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
    header = [h.strip().lower() for h in (rows[0].keys() if rows else [])]
    if not rows or "concept_id" not in header:
        raise FormatError(f"{name}: needs a header row with a concept_id column")
    rows = [{(k or "").strip().lower(): (v or "").strip() for k, v in r.items()} for r in rows]
    glossary = Glossary()
    imported_at = _now()
    concepts: dict[str, ConceptEntry] = {}
    long = "lang" in header and "term" in header
    seen_langs: set[tuple[str, str]] = set()
    for line, r in enumerate(rows, start=2):
        cid = r.get("concept_id", "")
        if not cid:
            raise FormatError(f"{name}: line {line} has no concept_id")
        if cid not in concepts:
            concepts[cid] = ConceptEntry(
                cid,
                vi=r.get("vi", ""),
                en=r.get("en", ""),
                kind=r.get("kind") or "term",
                status="approved",
                note=r.get("notes", ""),
            )
        if long:
            pairs = [(r["lang"].lower(), [r["term"]])]
        else:
            langs = [
                h for h in header if h not in ("concept_id", "vi", "en", "kind", "notes", "note")
            ]
            pairs = [(lang, [t.strip() for t in r.get(lang, "").split(";")]) for lang in langs]
        for lang, terms in pairs:
            parse_langs(lang, f"the column/lang {lang!r} in {name}")
            for term in filter(None, terms):
                status = r.get("status", "").lower() if long else ""
                if status and status not in TERM_STATUSES:
                    raise FormatError(f"{name}: line {line}: unknown status {status!r}")
                if not status:
                    status = "admitted" if (cid, lang) in seen_langs else "preferred"
                seen_langs.add((cid, lang))
                conf = r.get("confidence", "")
                try:
                    confidence = float(conf) if conf else None
                except ValueError:
                    raise FormatError(
                        f"{name}: line {line}: confidence {conf!r} is not a number"
                    ) from None
                glossary.terms.append(
                    TermEntry(
                        cid,
                        lang,
                        term,
                        status,
                        confidence,
                        source=f"import {name}",
                        updated=imported_at,
                    )
                )
    glossary.concepts = list(concepts.values())
    return glossary


@dataclass(frozen=True)
class ImportReport:
    """What an import changed in the workbook."""

    concepts_added: int = 0
    concepts_updated: int = 0
    terms_added: int = 0
    terms_updated: int = 0
    contexts_added: int = 0


def merge_import(existing: Glossary, imported: Glossary) -> tuple[Glossary, ImportReport]:
    """Bring imported (reviewed) concepts and terms into a glossary; imported values win.

    A concept matches by id, else by its Vietnamese term, so a termbase with its own ids seeds
    the existing concepts instead of duplicating them.
    """
    concepts = list(existing.concepts)
    by_id = {c.concept_id: i for i, c in enumerate(concepts)}
    by_vi = {normalize(c.vi): c.concept_id for c in concepts if c.vi}
    rename: dict[str, str] = {}
    added = updated = 0
    for c in imported.concepts:
        target = (
            c.concept_id if c.concept_id in by_id else by_vi.get(normalize(c.vi)) if c.vi else None
        )
        if target is None:
            by_id[c.concept_id] = len(concepts)
            concepts.append(c)
            added += 1
            continue
        rename[c.concept_id] = target
        old = concepts[by_id[target]]
        new = replace(
            old,
            **{
                f.name: getattr(c, f.name)
                for f in fields(c)
                if f.name != "concept_id" and getattr(c, f.name) not in ("", None)
            },
        )
        if new != old:
            concepts[by_id[target]] = new
            updated += 1
    terms = list(existing.terms)
    at = {(t.concept_id, t.lang, normalize(t.term)): i for i, t in enumerate(terms)}
    t_added = t_updated = 0
    for t in imported.terms:
        t = replace(t, concept_id=rename.get(t.concept_id, t.concept_id))
        key = (t.concept_id, t.lang, normalize(t.term))
        if key in at:
            if terms[at[key]] != t:
                terms[at[key]] = replace(t, row_id=terms[at[key]].row_id)
                t_updated += 1
        else:
            at[key] = len(terms)
            terms.append(t)
            t_added += 1
    contexts = list(existing.contexts)
    have = set(contexts)
    x_added = 0
    for x in imported.contexts:
        x = replace(x, concept_id=rename.get(x.concept_id, x.concept_id))
        if x not in have:
            contexts.append(x)
            have.add(x)
            x_added += 1
    merged = Glossary(concepts, terms, contexts, dict(existing.about), dict(existing.machine))
    return merged, ImportReport(added, updated, t_added, t_updated, x_added)


def iter_formats() -> Iterable[str]:
    """The export formats, for help texts."""
    return iter(FORMATS)


def import_into(file: str | Path, workbook: str | Path, *, force: bool = False) -> ImportReport:
    """Import a TBX or CSV termbase into a workbook, holding its writer lock throughout so a
    concurrent `glossary align` or import cannot lose this work or have its own lost."""
    from glossary import store

    imported = import_file(file)
    workbook = Path(workbook)
    with store.locked(workbook):
        existing = store.load(workbook) if workbook.exists() else Glossary()
        merged, report = merge_import(existing, imported)
        store.save(merged, workbook, force=force)
    return report
