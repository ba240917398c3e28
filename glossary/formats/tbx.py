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
    langs: dict[str, str] = field(default_factory=dict)  # xml:lang as written -> our code


def _local(node) -> str:
    tag = node.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _is_comment(node) -> bool:
    return not isinstance(node.tag, str) and getattr(node.tag, "__name__", "") == "Comment"


class _Parts:
    """An element's children grouped by local name, read once (each helper asks again)."""

    __slots__ = ("node", "by_name", "comments", "_notes")

    def __init__(self, node):
        self.node = node
        self.by_name: dict[str, list] = {}
        self.comments: list[str] = []
        self._notes: dict[bool, list[str]] = {}
        for kid in node:
            tag = kid.tag
            if isinstance(tag, str):
                self.by_name.setdefault(tag.rpartition("}")[2], []).append(kid)
            elif getattr(tag, "__name__", "") == "Comment":
                self.comments.append(kid.text or "")

    def kids(self, *names: str) -> list:
        """Children with one of these local names, in document order."""
        present = [n for n in names if n in self.by_name]
        if len(present) == 1:
            return self.by_name[present[0]]
        return [k for k in self.node if _local(k) in present] if present else []

    def typed(self, name: str, kind: str) -> list:
        return [k for k in self.by_name.get(name, ()) if k.get("type") == kind]

    def notes(self, exact: bool) -> list[str]:
        if exact not in self._notes:
            self._notes[exact] = [_text(n, exact) for n in self.by_name.get("note", ())]
        return self._notes[exact]


def _kids(node, *names: str) -> list:
    return _Parts(node).kids(*names)


def _typed(node, tag: str, kind: str) -> list:
    return _Parts(node).typed(tag, kind)


def _text(node, exact: bool) -> str:
    if node is None:
        return ""
    value = "".join(node.itertext())
    return value if exact else " ".join(value.split())


def _is_meta(text: str) -> bool:
    return text.strip().startswith(META.strip())


def _meta_texts(parts: _Parts, src: _Source) -> list[str]:
    """This element's machine data: its comment (older exports: a note) saying "glossary:"."""
    return [t.strip() for t in parts.comments + parts.notes(src.exact) if _is_meta(t)]


def _meta(parts: _Parts, src: _Source) -> dict:
    for value in _meta_texts(parts, src):
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


def _plain_notes(parts: _Parts, src: _Source) -> str:
    notes = parts.notes(src.exact)
    return "\n".join(n for n in notes if not _is_meta(n) and n != UNVERIFIED)


def _unverified(parts: _Parts, src: _Source) -> bool:
    return UNVERIFIED in parts.notes(src.exact)


def _syntax_error(exc, name: str) -> FormatError:
    line = exc.lineno or (exc.position[0] if exc.position else "?")
    msg = str(exc.msg if hasattr(exc, "msg") else exc).splitlines()[0]
    return FormatError(f"{name}: malformed TBX at line {line}: {msg}")


def _events(data: bytes, name: str, tags: tuple[str, ...], events=("end",)):
    """Streamed (event, element) pairs of the file's elements named tags (any namespace); the
    root must be <tbx> or <martif>. Only one entry's subtree is in memory at a time."""
    from io import BytesIO

    from lxml import etree

    def parse(**options):
        return etree.iterparse(
            BytesIO(data), resolve_entities=False, no_network=True, huge_tree=False, **options
        )

    try:
        root = next((_local(node) for _, node in parse(events=("start",))), None)
        if root not in ("tbx", "martif"):
            raise FormatError(f"{name}: not a TBX file (root element <{root}>)")
        yield from parse(events=events, tag=tuple(f"{{*}}{t}" for t in tags))
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, name) from None


def _is_own(data: bytes, name: str) -> bool:
    """Whether the file is our own export: some comment or note holds glossary data."""
    if META.strip().encode() not in data:  # cheap: the marker is nowhere in the bytes
        return False
    for event, node in _events(data, name, ("note",), events=("end", "comment")):
        text = (node.text or "") if event == "comment" else _text(node, True)
        if (event == "comment" or _local(node) == "note") and _is_meta(text):
            return True
    return False


def _release(node) -> None:
    """Free a finished element and the siblings read before it, so memory stays flat."""
    node.clear()
    parent = node.getparent()
    if parent is not None:
        while node.getprevious() is not None:
            del parent[0]


def read_tbx(data: bytes, name: str = "TBX") -> Termbase:
    """Parse TBX bytes (our own export exactly, other tools' TBX-Basic v3/v2 sensibly),
    streaming one concept entry at a time."""
    src = _Source(name, _is_own(data, name), now())
    base = Termbase()
    for _, node in _events(data, name, ("sourceDesc", "conceptEntry", "termEntry")):
        kind = _local(node)
        if kind == "sourceDesc":  # older exports kept the run data in a <p>
            parts = _Parts(node)
            found = [_meta(parts, src), *(_p_meta(p, src) for p in parts.kids("p"))]
            base.glossary.about = next((f for f in found if f), base.glossary.about)
        elif kind in ("conceptEntry", "termEntry"):
            _read_entry(node, src, base)
            _release(node)
    return base


def _p_meta(p, src: _Source) -> dict:
    text = _text(p, src.exact)
    return _meta_data(text, src) if _is_meta(text) else {}


def _read_entry(entry, src: _Source, base: Termbase) -> None:
    parts = _Parts(entry)
    cmeta = _meta(parts, src)
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
    for sec in parts.kids("langSec", "langSet"):
        lang = _lang_of(sec, src)
        first_in_lang = True
        for term_sec in _kids(sec, "termSec", "tig", "ntig"):
            term_parts = _Parts(term_sec)
            term = _text(next(term_sec.iter("{*}term", "term"), None), src.exact)
            role = _meta(term_parts, src).get("role")
            if role == "source" or (not cmeta and lang == SOURCE_LANG and not vi):
                vi = term
            elif role == "gloss" or (not cmeta and lang == "en" and not en):
                en = term
            elif term:
                _read_term(term_parts, term, cid, lang, first_in_lang, src, base)
                first_in_lang = False
    concept = ConceptEntry(
        concept_id=cid,
        vi=vi,
        en=en,
        kind=cmeta.get("kind", "term"),
        definition=definition,
        status=cmeta.get("status", "approved"),
        note=_plain_notes(parts, src),
    )
    glossary.concepts.append(concept)
    defaulted = [f for f in ("kind", "status") if f not in cmeta]
    base.concept_fields[cid] = given_fields(concept, defaulted)


def _lang_of(sec, src: _Source) -> str:
    code = sec.get(XML_LANG) or sec.get("lang") or ""
    if code not in src.langs:  # a termbase has a handful of codes on a million sections
        try:
            src.langs[code] = normalize_lang(code, f"{src.name}: langSec") or ""
        except GlossaryError as exc:
            raise FormatError(str(exc)) from None
    return src.langs[code]


def _read_term(
    parts: _Parts, term: str, cid: str, lang: str, first: bool, src: _Source, base: Termbase
) -> None:
    term_sec = parts.node
    tmeta = _meta(parts, src)
    admin = next(
        (
            _text(n, src.exact)
            for n in term_sec.iter("{*}termNote", "termNote")
            if n.get("type") == "administrativeStatus"
        ),
        "",
    )
    # An unmarked term of another termbase is reviewed: preferred if first in its language.
    default = "proposed" if _unverified(parts, src) else "preferred" if first else "admitted"
    status = tmeta.get("status") or FROM_TBX_STATUS.get(admin, default)
    sentences = _context_sentences(parts, src)
    has_first = tmeta.get("first_context", bool(sentences)) if tmeta else bool(sentences)
    source = next((_text(a, src.exact) for a in parts.typed("admin", "source")), "")
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
        note=_plain_notes(parts, src),
        source=source or ("" if tmeta else f"import {src.name}"),
        updated=tmeta.get("updated") or date or ("" if tmeta else src.imported_at),
        evidence=tmeta.get("evidence", ""),
    )
    base.glossary.terms.append(entry)
    defaulted = {"frequency"} if not entry.frequency else set()
    if not (tmeta.get("status") or admin in FROM_TBX_STATUS or _unverified(parts, src)):
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


def _context_sentences(parts: _Parts, src: _Source) -> list[tuple[str, str]]:
    """The (sentence, source document) pairs of a term, in file order."""
    holders = [g for g in parts.kids("descripGrp") if _typed(g, "descrip", "context")]
    holders += parts.typed("descrip", "context")
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
