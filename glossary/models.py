"""Plain typed records that flow between the stages of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field

# Languages of the glossary. Norwegian Bokmål is "nb" (langdetect says "no").
SEED_LANGS = ("nb", "nl", "cs", "sv", "fr")
SOURCE_LANG = "vi"
KNOWN_LANGS = (
    "vi",
    "nb",
    "nn",
    "nl",
    "cs",
    "sv",
    "fr",
    "en",
    "de",
    "da",
    "fi",
    "es",
    "it",
    "pt",
    "pl",
    "sk",
    "sl",
    "hr",
    "hu",
    "ro",
    "ru",
    "uk",
    "bg",
    "el",
    "tr",
    "et",
    "lv",
    "lt",
    "id",
    "ja",
    "ko",
    "zh",
    "th",
    "ar",
)

TERM_STATUSES = ("proposed", "preferred", "admitted", "deprecated", "rejected")
# "discovered": a concept the machine found beside a concept list, for review as a block.
CONCEPT_STATUSES = ("proposed", "discovered", "approved", "rejected")
KINDS = ("term", "organization", "title_role", "document", "program", "slogan")


# ---------------------------------------------------------------- corpus
@dataclass(frozen=True)
class Paragraph:
    """A block of text; start/end are character offsets into Document.text."""

    text: str
    start: int
    end: int
    lang: str
    is_caption: bool = False


@dataclass(frozen=True)
class Sentence:
    """A sentence; start/end are character offsets into Document.text."""

    text: str
    start: int
    end: int
    lang: str
    paragraph: int  # index into Document.paragraphs


@dataclass(frozen=True)
class Passage:
    """A stretch in another language than its surroundings (e.g. untranslated English)."""

    text: str
    start: int
    end: int
    lang: str


@dataclass(frozen=True)
class Document:
    """One article after decoding and boilerplate removal."""

    path: str
    lang: str
    title: str
    date: str | None  # ISO 8601, YYYY-MM-DD
    url: str | None
    text: str  # the decoded file text; offsets point into it
    paragraphs: tuple[Paragraph, ...]
    sentences: tuple[Sentence, ...]
    # Other-language stretches, sorted by start: foreign paragraphs, sentences and quoted phrases.
    passages: tuple[Passage, ...] = ()
    encoding: str = "utf-8"  # what the file was decoded from: utf-8, utf-16, cp1252, cp1250...
    replaced: tuple[int, ...] = ()  # byte offsets of stray bytes read as U+FFFD

    def lang_at(self, start: int, end: int | None = None) -> str:
        """The language of text[start:end]: the innermost foreign passage covering it, else the
        language of the sentence (or paragraph) it lies in, else the document language."""
        end = start + 1 if end is None else end
        covering = [p for p in self.passages if p.start <= start and end <= p.end]
        if covering:
            return min(covering, key=lambda p: p.end - p.start).lang
        for s in self.sentences:
            if s.start <= start and end <= s.end:
                return s.lang
        for p in self.paragraphs:
            if p.start <= start and end <= p.end:
                return p.lang
        return self.lang


@dataclass(frozen=True)
class SkippedFile:
    """A corpus file that could not be used, and why."""

    path: str
    reason: str


# ---------------------------------------------------------------- extraction
@dataclass(frozen=True)
class Context:
    """Where a term occurs: the sentence and the term's span inside Document.text."""

    doc: str
    sentence: str
    start: int
    end: int


@dataclass(frozen=True)
class Candidate:
    """A candidate term in one language, with every surface form grouped under a lemma key."""

    lang: str
    key: str
    forms: tuple[str, ...]  # most frequent first
    freq: int
    score: float
    docs: tuple[str, ...]
    contexts: tuple[Context, ...]
    kind: str = "term"  # term | name | code | abbreviation | slogan
    headword: str = ""  # the base form to file it under (glossary.headwords); "" = the form

    @property
    def form(self) -> str:
        """The most frequent surface form."""
        return self.forms[0]

    @property
    def term(self) -> str:
        """What a glossary row shows: the headword, else the most frequent form."""
        return self.headword or self.forms[0]


# ---------------------------------------------------------------- glossary
@dataclass(frozen=True)
class ConceptEntry:
    """A concept keyed to its Vietnamese source term (vi may be empty for new proposals)."""

    concept_id: str
    vi: str = ""
    en: str = ""
    kind: str = "term"
    definition: str = ""
    status: str = "proposed"
    note: str = ""


@dataclass(frozen=True)
class TermEntry:
    """One (concept, language, term) row with its review status and evidence."""

    concept_id: str
    lang: str
    term: str
    status: str = "proposed"
    confidence: float | None = None
    frequency: int = 0
    forms: str = ""  # every surface form seen in the corpus, "; "-separated, most frequent first
    documents: str = ""  # file names, "; "-separated
    context: str = ""  # first example sentence
    note: str = ""
    source: str = ""  # who or what proposed it, e.g. "glossary align (model X)" or a reviewer
    updated: str = ""  # ISO timestamp of the proposal or import
    evidence: str = ""  # short machine explanation of the confidence
    # Identity of a machine-proposed row in terms.xlsx, so store.merge can tell a reviewer's
    # correction of this row from a new term; "" for rows a reviewer added. Managed by store.py.
    row_id: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True)
class ContextEntry:
    """An example sentence for a term, with where it comes from."""

    concept_id: str
    lang: str
    term: str
    document: str
    position: int  # character offset in the document
    sentence: str


@dataclass
class Glossary:
    """The whole glossary as held in terms.xlsx."""

    concepts: list[ConceptEntry] = field(default_factory=list)
    terms: list[TermEntry] = field(default_factory=list)
    contexts: list[ContextEntry] = field(default_factory=list)
    about: dict[str, str] = field(default_factory=dict)  # run metadata: corpus, model, date
    # store.py's record of the values the machine last wrote ("concept:<id>" -> ConceptEntry,
    # "term:<row_id>" -> TermEntry), read from a hidden sheet; lets merge keep reviewer edits.
    machine: dict[str, ConceptEntry | TermEntry] = field(
        default_factory=dict, compare=False, repr=False
    )

    def concept(self, concept_id: str) -> ConceptEntry | None:
        """The concept with this id, or None."""
        for c in self.concepts:
            if c.concept_id == concept_id:
                return c
        return None

    def terms_of(self, concept_id: str) -> list[TermEntry]:
        """All term rows of one concept."""
        return [t for t in self.terms if t.concept_id == concept_id]
