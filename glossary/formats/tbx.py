"""TBX: write TBX-Basic v3 (ISO 30042:2019, DCA) or v2 (martif, TBX-Basic 2008) and read both.

Translators see every `<note>` in their CAT tool, so machine data (confidence, frequency, the
documents, evidence, the concept's kind and status) travels in one XML comment per element,
`<!-- glossary: {...} -->`, which CAT tools and TBX readers skip; `read_tbx` reads it back, which
makes export -> import lossless. A term nobody has reviewed has no administrativeStatus (TBX has
no value for it) and carries the plain note UNVERIFIED instead.

v2 is the layout OmegaT 3.6 and translate-toolkit read (martif with no namespace,
termEntry/langSet/tig); v3 is what current memoQ, Trados and Phrase import.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from glossary.errors import FormatError, GlossaryError
from glossary.formats.base import Termbase, given_fields, now, terms_by_concept
from glossary.models import (
    SOURCE_LANG,
    TERM_STATUSES,
    ConceptEntry,
    ContextEntry,
    Glossary,
    TermEntry,
)
from glossary.text import normalize_lang

TBX_NS = "urn:iso:std:iso:30042:ed-2"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
META = "glossary: "
UNVERIFIED = "Unverified: a machine proposal that no reviewer has checked."
TITLE = "Glossary keyed to Vietnamese source terms"
# How README introduces the project; the header names it so, with no link to somewhere else.
PRODUCER = (
    "Exported by glossary, a toolkit for translators and terminologists who work with "
    "Vietnamese political news in other languages."
)
TBX_STATUS = {
    "preferred": "preferredTerm-admn-sts",
    "admitted": "admittedTerm-admn-sts",
    "deprecated": "deprecatedTerm-admn-sts",
}
FROM_TBX_STATUS = {v: k for k, v in TBX_STATUS.items()} | {"supersededTerm-admn-sts": "deprecated"}
_NCNAME = re.compile(r"^[^\W\d][\w.-]*$")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?")


# ---------------------------------------------------------------- writing
@dataclass(frozen=True)
class Dialect:
    """Element names and namespace of one TBX version; tags are written by their v3 names."""

    namespace: str | None
    names: dict[str, str] = field(default_factory=dict)

    def tag(self, name: str) -> str:
        """The qualified tag of an element given by its v3 name."""
        local = self.names.get(name, name)
        return f"{{{self.namespace}}}{local}" if self.namespace else local

    def el(self, parent, tag: str, text: str | None = None, **attrs):
        """A new child element; the attribute `lang` is written as xml:lang."""
        from lxml import etree

        node = etree.SubElement(parent, self.tag(tag))
        for key, value in attrs.items():
            node.set(XML_LANG if key == "lang" else key, value)
        if text is not None:
            node.text = text
        return node


V3 = Dialect(TBX_NS)
V2 = Dialect(
    None,
    {
        "tbx": "martif",
        "tbxHeader": "martifHeader",
        "conceptEntry": "termEntry",
        "langSec": "langSet",
        "termSec": "tig",
    },
)


def _meta_comment(parent, data: dict) -> None:
    """Machine data as a comment no CAT tool shows ("--" may not occur in an XML comment)."""
    from lxml import etree

    data = {k: v for k, v in data.items() if v not in ("", None, [], {})}
    if data:
        text = json.dumps(data, ensure_ascii=False, sort_keys=True).replace("--", "-\\u002d")
        parent.append(etree.Comment(f" {META}{text} "))


def to_tbx(glossary: Glossary, dialect: Dialect = V3) -> str:
    """TBX-Basic: v3 (valid against TBXcoreStructV03.rng and the DCA rules) or v2 martif."""
    from lxml import etree

    nsmap = {None: dialect.namespace} if dialect.namespace else None
    root = etree.Element(dialect.tag("tbx"), nsmap=nsmap)
    root.set("type", "TBX-Basic")
    if dialect is V3:
        root.set("style", "dca")
    root.set(XML_LANG, "en")
    el = dialect.el
    file_desc = el(el(root, "tbxHeader"), "fileDesc")
    el(el(file_desc, "titleStmt"), "title", TITLE)
    source_desc = el(file_desc, "sourceDesc")
    el(source_desc, "p", PRODUCER)
    _meta_comment(source_desc, dict(glossary.about))
    text = el(root, "text")
    body = el(text, "body") if glossary.concepts or dialect is V2 else None
    by_concept = terms_by_concept(glossary)
    contexts: dict[tuple[str, str, str], list[ContextEntry]] = {}
    for x in glossary.contexts:
        contexts.setdefault((x.concept_id, x.lang, x.term), []).append(x)
    used_ids: set[str] = set()
    for c in glossary.concepts:
        terms = by_concept.get(c.concept_id, [])
        _tbx_concept(dialect, body, c, terms, contexts, used_ids)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode(
        "utf-8"
    )


def _tbx_concept(dialect, body, c: ConceptEntry, terms, contexts, used_ids) -> None:
    el = dialect.el
    entry_id = _xml_id(c.concept_id, used_ids)
    entry = el(body, "conceptEntry", id=entry_id)
    own_id = c.concept_id if entry_id != c.concept_id else ""
    _meta_comment(entry, {"kind": c.kind, "status": c.status, "concept_id": own_id})
    if c.definition:
        el(entry, "descrip", c.definition, type="definition")
    if c.note:
        el(entry, "note", c.note)
    langs = [SOURCE_LANG] if c.vi or not (terms or c.en) else []
    langs += ["en"] if c.en and "en" not in langs else []
    langs += [lang for lang in dict.fromkeys(t.lang for t in terms) if lang not in langs]
    for lang in langs:
        sec = el(entry, "langSec", lang=lang)
        if lang == SOURCE_LANG and (c.vi or not terms):
            term_sec = el(sec, "termSec")
            el(term_sec, "term", c.vi)
            el(term_sec, "termNote", TBX_STATUS["preferred"], type="administrativeStatus")
            _meta_comment(term_sec, {"role": "source"})
        if lang == "en" and c.en:
            term_sec = el(sec, "termSec")
            el(term_sec, "term", c.en)
            _meta_comment(term_sec, {"role": "gloss"})
        for t in (t for t in terms if t.lang == lang):
            _tbx_term(dialect, sec, t, contexts.get((t.concept_id, t.lang, t.term), []))


def _tbx_term(dialect: Dialect, sec, t: TermEntry, ctxs: list[ContextEntry]) -> None:
    el = dialect.el
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
    if t.status == "proposed":
        el(term_sec, "note", UNVERIFIED)
    if t.note:
        el(term_sec, "note", t.note)
    dated = bool(_DATETIME.fullmatch(t.updated))
    if dated:
        grp = el(term_sec, "transacGrp")
        el(grp, "transac", "modification", type="transactionType")
        el(grp, "date", t.updated)
    where = [[x.document, x.position] if x is not None else None for _, x in groups]
    _meta_comment(
        term_sec,
        {
            "status": t.status if t.status not in TBX_STATUS else "",
            "confidence": t.confidence,
            "frequency": t.frequency or None,
            "documents": t.documents,
            "evidence": t.evidence,
            "updated": t.updated if not dated else "",
            "contexts": where,
            "first_context": bool(t.context),
        },
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


# ---------------------------------------------------------------- reading
@dataclass(frozen=True)
class _Source:
    """The file being read: its name for messages, and whether text is kept exactly."""

    name: str
    exact: bool  # our own export: text kept as written; other tools wrap long text over lines
    imported_at: str


def _local(node) -> str:
    from lxml import etree

    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _kids(node, *names: str) -> list:
    return [k for k in node if _local(k) in names]


def _typed(node, tag: str, kind: str) -> list:
    return [k for k in _kids(node, tag) if k.get("type") == kind]


def _text(node, exact: bool) -> str:
    if node is None:
        return ""
    value = "".join(node.itertext())
    return value if exact else " ".join(value.split())


def _is_meta(text: str) -> bool:
    return text.strip().startswith(META.strip())


def _meta_texts(node, src: _Source) -> list[str]:
    """This element's machine data: its comment (older exports: a note) saying "glossary:"."""
    from lxml import etree

    comments = [k.text or "" for k in node if k.tag is etree.Comment]
    notes = [_text(n, src.exact) for n in _kids(node, "note")]
    return [t.strip() for t in comments + notes if _is_meta(t)]


def _meta(node, src: _Source) -> dict:
    for value in _meta_texts(node, src):
        return _meta_data(value, src)
    return {}


def _meta_data(value: str, src: _Source) -> dict:
    """The JSON object of a `glossary:` note; FormatError if it is not one."""
    try:
        data = json.loads(value.strip()[len(META.strip()) :])
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise FormatError(
            f"{src.name}: unreadable glossary data {value[:60]!r}: a 'glossary:' note must hold a "
            "JSON object; remove the note to import the entry without it"
        )
    return data


def _number(data: dict, key: str, src: _Source, kind=float):
    """data[key] as a number (None when absent); FormatError naming the value if it is not."""
    value = data.get(key)
    if value is None or value == "":
        return None
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise FormatError(
            f"{src.name}: glossary data {key} {value!r} is not a number (term "
            f"{data.get('term') or data.get('concept_id') or '?'})"
        ) from None


def _plain_notes(node, src: _Source) -> str:
    notes = (_text(n, src.exact) for n in _kids(node, "note"))
    return "\n".join(n for n in notes if not _is_meta(n) and n != UNVERIFIED)


def _unverified(node, src: _Source) -> bool:
    return any(_text(n, src.exact) == UNVERIFIED for n in _kids(node, "note"))


def _parse(data: bytes, name: str):
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or (exc.position[0] if exc.position else "?")
        msg = str(exc.msg if hasattr(exc, "msg") else exc).splitlines()[0]
        raise FormatError(f"{name}: malformed TBX at line {line}: {msg}") from None
    if _local(root) not in ("tbx", "martif"):
        raise FormatError(f"{name}: not a TBX file (root element <{_local(root)}>)")
    return root


def read_tbx(data: bytes, name: str = "TBX") -> Termbase:
    """Parse TBX bytes (our own export exactly, other tools' TBX-Basic v3/v2 sensibly)."""
    from lxml import etree

    root = _parse(data, name)
    own = any(_is_meta(n.text or "") for n in root.iter(etree.Comment)) or any(
        _is_meta(_text(n, True)) for n in root.iter("{*}note")
    )
    src = _Source(name, own, now())
    base = Termbase()
    for desc in root.iter("{*}sourceDesc"):  # older exports kept the run data in a <p>
        found = [_meta(desc, src), *(_p_meta(p, src) for p in _kids(desc, "p"))]
        base.glossary.about = next((f for f in found if f), base.glossary.about)
    for entry in (n for n in root.iter() if _local(n) in ("conceptEntry", "termEntry")):
        _read_entry(entry, src, base)
    return base


def _p_meta(p, src: _Source) -> dict:
    text = _text(p, src.exact)
    return _meta_data(text, src) if _is_meta(text) else {}


def _read_entry(entry, src: _Source, base: Termbase) -> None:
    cmeta = _meta(entry, src)
    glossary = base.glossary
    cid = cmeta.get("concept_id") or entry.get("id") or f"imported-{len(glossary.concepts) + 1}"
    definition = next(
        (
            _text(d, src.exact)
            for d in entry.iter("{*}descrip", "descrip")
            if d.get("type") == "definition"
        ),
        "",
    )
    vi = en = ""
    for sec in _kids(entry, "langSec", "langSet"):
        lang = _lang_of(sec, src)
        first_in_lang = True
        for term_sec in _kids(sec, "termSec", "tig", "ntig"):
            term = _text(next(term_sec.iter("{*}term", "term"), None), src.exact)
            role = _meta(term_sec, src).get("role")
            if role == "source" or (not cmeta and lang == SOURCE_LANG and not vi):
                vi = term
            elif role == "gloss" or (not cmeta and lang == "en" and not en):
                en = term
            elif term:
                _read_term(term_sec, cid, lang, first_in_lang, src, base)
                first_in_lang = False
    concept = ConceptEntry(
        concept_id=cid,
        vi=vi,
        en=en,
        kind=cmeta.get("kind", "term"),
        definition=definition,
        status=cmeta.get("status", "approved"),
        note=_plain_notes(entry, src),
    )
    glossary.concepts.append(concept)
    defaulted = [f for f in ("kind", "status") if f not in cmeta]
    base.concept_fields[cid] = given_fields(concept, defaulted)


def _lang_of(sec, src: _Source) -> str:
    code = sec.get(XML_LANG) or sec.get("lang") or ""
    try:
        return normalize_lang(code, f"{src.name}: langSec") or ""
    except GlossaryError as exc:
        raise FormatError(str(exc)) from None


def _read_term(term_sec, cid: str, lang: str, first: bool, src: _Source, base: Termbase) -> None:
    tmeta = _meta(term_sec, src)
    term = _text(next(term_sec.iter("{*}term", "term"), None), src.exact)
    admin = next(
        (
            _text(n, src.exact)
            for n in term_sec.iter("{*}termNote", "termNote")
            if n.get("type") == "administrativeStatus"
        ),
        "",
    )
    # An unmarked term of another termbase is reviewed: preferred if first in its language.
    default = "proposed" if _unverified(term_sec, src) else "preferred" if first else "admitted"
    status = tmeta.get("status") or FROM_TBX_STATUS.get(admin, default)
    sentences = _context_sentences(term_sec, src)
    has_first = tmeta.get("first_context", bool(sentences)) if tmeta else bool(sentences)
    source = next((_text(a, src.exact) for a in _typed(term_sec, "admin", "source")), "")
    date = next((_text(d, src.exact) for d in term_sec.iter("{*}date", "date")), "")
    confidence = _number(tmeta, "confidence", src)
    entry = TermEntry(
        concept_id=cid,
        lang=lang,
        term=term,
        status=status if status in TERM_STATUSES else "admitted",
        confidence=confidence,
        frequency=_number(tmeta, "frequency", src, int) or 0,
        documents=tmeta.get("documents", ""),
        context=sentences[0][0] if sentences and has_first else "",
        note=_plain_notes(term_sec, src),
        source=source or ("" if tmeta else f"import {src.name}"),
        updated=tmeta.get("updated") or date or ("" if tmeta else src.imported_at),
        evidence=tmeta.get("evidence", ""),
    )
    base.glossary.terms.append(entry)
    defaulted = {"frequency"} if not entry.frequency else set()
    if not (tmeta.get("status") or admin in FROM_TBX_STATUS or _unverified(term_sec, src)):
        defaulted.add("status")
    if not source:
        defaulted.add("source")
    if not (tmeta.get("updated") or date):
        defaulted.add("updated")
    base.term_fields[(cid, lang, term)] = given_fields(entry, defaulted)
    try:
        base.glossary.contexts += _context_entries(entry, sentences, tmeta.get("contexts"))
    except (KeyError, TypeError, ValueError):
        raise FormatError(
            f"{src.name}: glossary data contexts of {term!r} are not [document, position] pairs"
        ) from None


def _context_sentences(term_sec, src: _Source) -> list[tuple[str, str]]:
    """The (sentence, source document) pairs of a term, in file order."""
    holders = [g for g in _kids(term_sec, "descripGrp") if _typed(g, "descrip", "context")]
    holders += _typed(term_sec, "descrip", "context")
    pairs = []
    for holder in holders:
        descrip = holder if _local(holder) == "descrip" else _typed(holder, "descrip", "context")[0]
        document = next((_text(a, src.exact) for a in _typed(holder, "admin", "source")), "")
        pairs.append((_text(descrip, src.exact), document))
    return pairs


def _context_entries(
    t: TermEntry, sentences: list[tuple[str, str]], positions: list | None
) -> list[ContextEntry]:
    """ContextEntry records for a term's sentences that say where they come from."""
    found = []
    for k, (sentence, document) in enumerate(sentences):
        if positions is not None:
            where = positions[k] if k < len(positions) else None
            if where is None:
                continue
            document, position = where
        elif document:
            position = 0
        else:
            continue
        found.append(ContextEntry(t.concept_id, t.lang, t.term, document, int(position), sentence))
    return found
