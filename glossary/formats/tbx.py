"""TBX: write TBX-Basic v3 (ISO 30042:2019, DCA style) and read TBX v3 or v2 (martif) termbases.

TBX-Basic has no place for machine evidence (confidence, frequency, proposal status), so those
travel in one `<note>` per element starting with `glossary:` followed by JSON; CAT tools show it
as a note, and `read_tbx` reads it back, which makes export -> import lossless.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

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
TBX_STATUS = {
    "preferred": "preferredTerm-admn-sts",
    "admitted": "admittedTerm-admn-sts",
    "deprecated": "deprecatedTerm-admn-sts",
}
FROM_TBX_STATUS = {v: k for k, v in TBX_STATUS.items()} | {"supersededTerm-admn-sts": "deprecated"}
_NCNAME = re.compile(r"^[^\W\d][\w.-]*$")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?")


# ---------------------------------------------------------------- writing
def _el(parent, tag: str, text: str | None = None, **attrs):
    from lxml import etree

    node = etree.SubElement(parent, f"{{{TBX_NS}}}{tag}")
    for key, value in attrs.items():
        node.set(XML_LANG if key == "lang" else key, value)
    if text is not None:
        node.text = text
    return node


def _meta_note(parent, data: dict) -> None:
    data = {k: v for k, v in data.items() if v not in ("", None, [], {})}
    if data:
        _el(parent, "note", META + json.dumps(data, ensure_ascii=False, sort_keys=True))


def to_tbx(glossary: Glossary) -> str:
    """TBX-Basic (ISO 30042:2019, DCA style): valid against TBXcoreStructV03.rng."""
    from lxml import etree

    root = etree.Element(f"{{{TBX_NS}}}tbx", nsmap={None: TBX_NS})
    root.set("type", "TBX-Basic")
    root.set("style", "dca")
    root.set(XML_LANG, "en")
    header = _el(root, "tbxHeader")
    file_desc = _el(header, "fileDesc")
    _el(_el(file_desc, "titleStmt"), "title", "Glossary keyed to Vietnamese source terms")
    source_desc = _el(file_desc, "sourceDesc")
    _el(source_desc, "p", "Exported by glossary (https://pypi.org/project/glossary)")
    if glossary.about:
        _el(source_desc, "p", META + json.dumps(glossary.about, ensure_ascii=False, sort_keys=True))
    text = _el(root, "text")
    body = _el(text, "body") if glossary.concepts else None
    by_concept = terms_by_concept(glossary)
    contexts: dict[tuple[str, str, str], list[ContextEntry]] = {}
    for x in glossary.contexts:
        contexts.setdefault((x.concept_id, x.lang, x.term), []).append(x)
    used_ids: set[str] = set()
    for c in glossary.concepts:
        _tbx_concept(body, c, by_concept.get(c.concept_id, []), contexts, used_ids)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode(
        "utf-8"
    )


def _tbx_concept(body, c: ConceptEntry, terms: list[TermEntry], contexts, used_ids) -> None:
    entry_id = _xml_id(c.concept_id, used_ids)
    entry = _el(body, "conceptEntry", id=entry_id)
    if c.definition:
        _el(entry, "descrip", c.definition, type="definition")
    if c.note:
        _el(entry, "note", c.note)
    own_id = c.concept_id if entry_id != c.concept_id else ""
    _meta_note(entry, {"kind": c.kind, "status": c.status, "concept_id": own_id})
    langs = [SOURCE_LANG] if c.vi or not (terms or c.en) else []
    langs += ["en"] if c.en and "en" not in langs else []
    langs += [lang for lang in dict.fromkeys(t.lang for t in terms) if lang not in langs]
    for lang in langs:
        sec = _el(entry, "langSec", lang=lang)
        if lang == SOURCE_LANG and (c.vi or not terms):
            term_sec = _el(sec, "termSec")
            _el(term_sec, "term", c.vi)
            _el(term_sec, "termNote", TBX_STATUS["preferred"], type="administrativeStatus")
            _meta_note(term_sec, {"role": "source"})
        if lang == "en" and c.en:
            term_sec = _el(sec, "termSec")
            _el(term_sec, "term", c.en)
            _meta_note(term_sec, {"role": "gloss"})
        for t in (t for t in terms if t.lang == lang):
            _tbx_term(sec, t, contexts.get((t.concept_id, t.lang, t.term), []))


def _tbx_term(sec, t: TermEntry, ctxs: list[ContextEntry]) -> None:
    term_sec = _el(sec, "termSec")
    _el(term_sec, "term", t.term)
    if t.status in TBX_STATUS:
        _el(term_sec, "termNote", TBX_STATUS[t.status], type="administrativeStatus")
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
        grp = _el(term_sec, "descripGrp")
        _el(grp, "descrip", sentence, type="context")
        if ctx is not None and ctx.document:
            _el(grp, "admin", ctx.document, type="source")
    if t.source:
        _el(term_sec, "admin", t.source, type="source")
    if t.note:
        _el(term_sec, "note", t.note)
    dated = bool(_DATETIME.fullmatch(t.updated))
    if dated:
        grp = _el(term_sec, "transacGrp")
        _el(grp, "transac", "modification", type="transactionType")
        _el(grp, "date", t.updated)
    where = [[x.document, x.position] if x is not None else None for _, x in groups]
    _meta_note(
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


def _meta(node, src: _Source) -> dict:
    for note in _kids(node, "note"):
        value = _text(note, src.exact)
        if value.startswith(META.strip()):
            try:
                return json.loads(value[len(META.strip()) :])
            except ValueError:
                raise FormatError(f"{src.name}: unreadable glossary note {value[:60]!r}") from None
    return {}


def _plain_notes(node, src: _Source) -> str:
    notes = (_text(n, src.exact) for n in _kids(node, "note"))
    return "\n".join(n for n in notes if not n.startswith(META.strip()))


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
    root = _parse(data, name)
    own = any(_text(n, True).startswith(META) for n in root.iter("{*}note", "{*}p"))
    src = _Source(name, own, now())
    base = Termbase()
    for p in root.iter("{*}p"):
        text = _text(p, src.exact)
        if text.startswith(META.strip()):
            base.glossary.about = json.loads(text[len(META.strip()) :])
    entries = [n for n in root.iter() if _local(n) in ("conceptEntry", "termEntry")]
    if not entries:
        raise FormatError(f"{name}: no conceptEntry found; is this a TBX termbase?")
    for entry in entries:
        _read_entry(entry, src, base)
    return base


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
    status = tmeta.get("status") or FROM_TBX_STATUS.get(admin, "preferred" if first else "admitted")
    sentences = _context_sentences(term_sec, src)
    has_first = tmeta.get("first_context", bool(sentences)) if tmeta else bool(sentences)
    source = next((_text(a, src.exact) for a in _typed(term_sec, "admin", "source")), "")
    date = next((_text(d, src.exact) for d in term_sec.iter("{*}date", "date")), "")
    confidence = tmeta.get("confidence")
    entry = TermEntry(
        concept_id=cid,
        lang=lang,
        term=term,
        status=status if status in TERM_STATUSES else "admitted",
        confidence=float(confidence) if confidence is not None else None,
        frequency=int(tmeta.get("frequency") or 0),
        documents=tmeta.get("documents", ""),
        context=sentences[0][0] if sentences and has_first else "",
        note=_plain_notes(term_sec, src),
        source=source or ("" if tmeta else f"import {src.name}"),
        updated=tmeta.get("updated") or date or ("" if tmeta else src.imported_at),
        evidence=tmeta.get("evidence", ""),
    )
    base.glossary.terms.append(entry)
    defaulted = {"frequency"} if not entry.frequency else set()
    if not (tmeta.get("status") or admin in FROM_TBX_STATUS):
        defaulted.add("status")
    if not source:
        defaulted.add("source")
    if not (tmeta.get("updated") or date):
        defaulted.add("updated")
    base.term_fields[(cid, lang, term)] = given_fields(entry, defaulted)
    base.glossary.contexts += _context_entries(entry, sentences, tmeta.get("contexts"))


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
