"""Candidate term extraction: n-grams with clean boundaries, codes, names, slogans; grouped and scored."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache

from glossary.headwords import headword
from glossary.models import Candidate, Context, Document

MAX_NGRAM = 7  # ordinary terms
MAX_NAME_NGRAM = 11  # organisation names and titles ("Comité central de mobilisation de masse")
MAX_SLOGAN_TOKENS = 40
MAX_CONTEXTS = 3

QUOTE_PAIRS = {"«": "»", "“": "”", "„": "“", '"': '"', "‹": "›", "‚": "‘"}
QUOTES = set('«»“”„"‹›‚')
# Words and numbers with their inner joiners: 25-NQ/TW, l'État, massa's, sosio-politiske, 37,5.
TOKEN_RE = re.compile(
    r"\d+(?:[.,/]\d+)*(?:-[^\W\d_]+(?:/[^\W\d_]+)?)?(?:-\w+)*"
    r"|[^\W\d_][\w]*(?:['’][\w]+|-\w+|/\w+)*"
    r"|[«»“”„\"‹›‚]"
    r"|[^\w\s]"
)
CODE_RE = re.compile(r"^\d+-[^\W\d_]+(?:/[^\W\d_]+)?$")
ABBREV_RE = re.compile(r"^[A-ZĐ]{2,6}$")
HARD_BREAKS = set(".,;:!?()[]{}–—…|")
ELISION_RE = re.compile(r"^(?:l|d|qu|j|n|s|c|m|t)['’]", re.IGNORECASE)

# Function words that may not open or close a term. The stopwords-iso lists are too broad
# (they contain "vedoucí", "autre", "nouveau"...), so these are short closed-class lists.
FUNCTION_WORDS = {
    "nb": "og i på til av for med som er var en et ei den det de at å om fra har har ble blir ved "
    "eller men så seg sin sitt sine hans hennes deres vår våre meg du han hun vi dere oss "
    "denne dette disse hvor når hva hvem hvilke også ikke skal vil kan må bør alle hele mer mest "
    "etter under over mellom innen uten mot gjennom hos både enn slik hver hvert hvor",
    "sv": "och i på till av för med som är var en ett den det de att om från har hade blev blir "
    "vid eller men så sig sin sitt sina hans hennes deras vår våra mig du han hon vi ni oss "
    "denna detta dessa där när vad vem vilka också inte ska skall vill kan måste bör alla hela mer "
    "mest efter under över mellan inom utan mot genom hos både än sådan varje",
    "nl": "de het een en van in op te voor met door bij aan uit tot om als is zijn was waren "
    "wordt worden werd werden dat die dit deze er ook niet maar of dan zo zich hun haar zijn hij zij "
    "wij we ze u je ik naar over onder tussen tegen zonder na al alle meer meest heeft hebben had "
    "kan kunnen moet moeten zal zullen wel nog elke elk ieder iedere",
    "cs": "a i v ve na do z ze s se si k ke o u za po pro při od o by je jsou byl byla bylo byli "
    "být jako aby že to ta ten ty tu té tom tím tato tento toto tyto které který která kterou "
    "jejich jeho její jim jej ani ale nebo než tak také již už jen bez mezi nad pod před přes "
    "podle kde kdy co jak každý každá každé",
    "fr": "le la les l un une des du de d et à au aux en dans par pour sur avec sans sous entre "
    "vers chez est sont était être a ont avait été ce cet cette ces qui que qu dont où il elle ils "
    "elles on nous vous se s leur leurs son sa ses ne pas plus ou mais donc car comme ainsi très "
    "tout tous toute toutes y chaque",
    "en": "the a an and of in on to for with by at from as is are was were be been that this "
    "these those it its or but not which who whom their his her our we they",
    "vi": "và của các những là có được cho với trong đã sẽ để này đó thì mà",
}
# Prepositions that may open a temporal or adverbial term ("dans les temps à venir").
OPENERS = {
    "cs": {"v", "ve"},
    "fr": {"dans"},
    "nl": {"de", "het", "een"},
    "nb": set(),
    "sv": set(),
}
# Joiners inside organisation names ("Comité central de mobilisation de masse du Parti").
NAME_JOINERS = {
    "fr": {"de", "du", "des", "la", "le", "l", "d", "pour", "et"},
    "nl": {"van", "het", "de", "voor", "en"},
    "cs": {"pro", "a"},
    "nb": {"til", "den", "det", "for", "og"},
    "sv": {"för", "till", "den", "det", "och"},
    "en": {"of", "the", "for", "and"},
}

SNOWBALL = {
    "nb": "norwegian", "sv": "swedish", "nl": "dutch", "fr": "french", "cs": "czech",
    "en": "english", "de": "german", "da": "danish", "fi": "finnish", "es": "spanish",
    "it": "italian", "pt": "portuguese", "pl": "polish",
}  # fmt: skip


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).replace("\u00a0", " ")


@cache
def function_words(lang: str) -> frozenset[str]:
    """Closed-class words of a language that may not open or close a term."""
    return frozenset(FUNCTION_WORDS.get(lang, "").split())


@cache
def _stemmer(lang: str):
    import snowballstemmer

    name = SNOWBALL.get(lang)
    return snowballstemmer.stemmer(name) if name else None


@lru_cache(maxsize=200_000)
def token_key(token: str, lang: str) -> str:
    """Stem key of one token: inflected and definite variants share it.

    Snowball stemmers cover every seed language (Czech included) with no dictionary to load,
    which keeps a warm run fast; "é" is folded so that komité / komiteen meet.
    """
    word = unicodedata.normalize("NFC", token).casefold().strip("'’-")
    stemmer = _stemmer(lang)
    if stemmer is not None and len(word) > 3 and not any(ch.isdigit() for ch in word):
        word = stemmer.stemWord(word)
    return word.replace("é", "e")


def term_key(tokens: Iterable[str], lang: str) -> str:
    """Lemma key of a multi-word term."""
    return " ".join(token_key(t, lang) for t in tokens if t not in QUOTES)


# ---------------------------------------------------------------- tokenising
@dataclass(frozen=True)
class Token:
    text: str
    start: int  # offset inside Document.text
    end: int

    @property
    def is_word(self) -> bool:
        return self.text[0].isalnum()


def tokenize(text: str, offset: int = 0) -> list[Token]:
    """Words, numbers, codes and punctuation with offsets."""
    return [Token(m.group(), offset + m.start(), offset + m.end()) for m in TOKEN_RE.finditer(text)]


# ---------------------------------------------------------------- gathering occurrences
@dataclass
class TermStats:
    """Everything counted for one (language, key): what a Candidate is made from.

    Stats of disjoint sets of documents merge associatively and commutatively (`merge`), so
    candidates do not depend on how a corpus was split (glossary/cluster.py maps over parts).
    Documents carry their position in the corpus: merged lists follow corpus order.
    """

    lang: str
    key: str
    kind: str
    n_tokens: int
    forms: Counter = field(default_factory=Counter)
    free: int = 0  # occurrences not inside a longer capitalised name
    docs: dict[str, int] = field(default_factory=dict)  # doc path -> its position in the corpus
    # the first MAX_CONTEXTS sentences, each as (doc position, order in that doc, Context)
    contexts: list[tuple[int, int, Context]] = field(default_factory=list)

    def add(self, form: str, doc: str, index: int, sentence: str, start: int, end: int,
            free: bool) -> None:  # fmt: skip
        self.forms[form] += 1
        self.free += free
        self.docs.setdefault(doc, index)
        kept = self.contexts
        if len(kept) < MAX_CONTEXTS and all(c.sentence != sentence for *_, c in kept):
            kept.append((index, len(kept), Context(doc, sentence, start, end)))

    def merge(self, other: TermStats) -> None:
        """Add another part's counts: the same result as counting both parts at once."""
        if KIND_RANK[other.kind] > KIND_RANK[self.kind]:
            self.kind = other.kind
        self.forms.update(other.forms)
        self.free += other.free
        for doc, index in other.docs.items():
            self.docs[doc] = min(index, self.docs.get(doc, index))
        # Greedy first-distinct selection ignores occurrences it would not take, so choosing
        # again over both parts' kept contexts equals choosing over every occurrence.
        kept: list[tuple[int, int, Context]] = []
        for item in sorted(self.contexts + other.contexts, key=lambda c: (c[0], c[1])):
            if len(kept) < MAX_CONTEXTS and all(k[2].sentence != item[2].sentence for k in kept):
                kept.append(item)
        self.contexts = kept


@dataclass
class CandidateStats:
    """The TermStats of a set of documents, keyed by (language, key); merges like TermStats."""

    terms: dict[tuple[str, str], TermStats] = field(default_factory=dict)

    def merge(self, other: CandidateStats) -> CandidateStats:
        """Fold another part into this one (which it changes) and return this one."""
        for name, stats in other.terms.items():
            mine = self.terms.get(name)
            if mine is None:
                self.terms[name] = stats
            else:
                mine.merge(stats)
        return self


def merge_stats(parts: Iterable[CandidateStats]) -> CandidateStats:
    """One CandidateStats for all parts, in any order or grouping (the parts are consumed)."""
    total = CandidateStats()
    for part in parts:
        total.merge(part)
    return total


class _Collector:
    """Counts the occurrences of one document."""

    def __init__(self, doc: Document, index: int) -> None:
        self.path = doc.path
        self.index = index
        self.stats = CandidateStats()

    def add(self, lang, tokens, kind, text, sentence, free: bool = True) -> None:
        words = [t.text for t in tokens if t.is_word]
        key = term_key(words, lang)
        if not key:
            return
        terms = self.stats.terms
        group = terms.get((lang, key))
        if group is None:
            group = terms[(lang, key)] = TermStats(lang, key, kind, n_tokens=len(words))
        elif KIND_RANK[kind] > KIND_RANK[group.kind]:
            group.kind = kind
        start, end = tokens[0].start, tokens[-1].end
        group.add(nfc(text[start:end]), self.path, self.index, sentence, start, end, free)


KIND_RANK = {"term": 0, "name": 1, "abbreviation": 2, "code": 3, "slogan": 4}


def _chunks(tokens: list[Token]) -> list[list[Token]]:
    """Runs of tokens between hard punctuation; quotes stay inside a run."""
    runs, run = [], []
    for tok in tokens:
        if not tok.is_word and tok.text in HARD_BREAKS or tok.text in "-":
            if run:
                runs.append(run)
            run = []
        else:
            run.append(tok)
    if run:
        runs.append(run)
    return runs


def _balanced(tokens: Sequence[Token]) -> bool:
    """Quotes inside the span are paired; a span may end on the closing quote of one it opened."""
    if tokens[0].text in QUOTES or not _balanced_inner(tokens):
        return False
    return tokens[-1].text not in QUOTES or any(t.text in QUOTE_PAIRS for t in tokens[1:-1])


def _close_quotes(run: list[Token], i: int, j: int) -> list[Token]:
    """The span run[i..j], extended by one closing quote when that balances an opening one inside."""
    span = run[i : j + 1]
    if j + 1 < len(run) and run[j + 1].text in QUOTES and not _balanced_inner(span):
        extended = span + [run[j + 1]]
        if _balanced_inner(extended):
            return extended
    return span


def _balanced_inner(tokens: Sequence[Token]) -> bool:
    depth = 0
    for tok in tokens:
        if tok.text in QUOTES:
            depth = 1 - depth if tok.text == '"' else depth + (1 if tok.text in QUOTE_PAIRS else -1)
    return depth == 0


def _quoted_spans(tokens: list[Token]) -> list[list[Token]]:
    """Token runs enclosed in matching quotes (slogans, mottos, titles)."""
    spans, i, consumed = [], 0, 0
    while i < len(tokens):
        tok = tokens[i]
        closer = QUOTE_PAIRS.get(tok.text)
        if closer:
            for j in range(i + 1, min(len(tokens), i + 2 + 2 * MAX_SLOGAN_TOKENS)):
                if tokens[j].text == closer or (closer == "“" and tokens[j].text == "”"):
                    if tokens[i + 1 : j]:
                        spans.append(tokens[i + 1 : j])
                    i, consumed = j, j + 1
                    break
            else:  # a quotation that goes on past this sentence
                spans.append(tokens[i + 1 :])
                break
        elif tok.text in QUOTES and consumed == 0 and i > 0:  # one that began before it
            spans.append(tokens[:i])
            consumed = i + 1
        i += 1
    return [_strip_quotes(span) for span in spans if span]


def _strip_quotes(span: list[Token]) -> list[Token]:
    """The span without a quote mark at either end."""
    start = 1 if span[0].text in QUOTES else 0
    end = len(span) - 1 if len(span) > start and span[-1].text in QUOTES else len(span)
    return span[start:end]


def _is_capitalised(tok: Token) -> bool:
    return tok.text[0].isupper()


# Nordic preposed article + adjective(s) + definite noun: "det politiske systemet".
NORDIC_ARTICLES = {"nb": {"den", "det", "de"}, "sv": {"den", "det", "de"}}
NORDIC_DEFINITE = {"nb": ("en", "et", "a", "ene", "ne"), "sv": ("en", "et", "n", "t", "na", "erna")}


def _nordic_article_phrase(words: list[Token], lang: str, stop: frozenset[str]) -> bool:
    if lang not in NORDIC_ARTICLES or not 3 <= len(words) <= 5:
        return False
    low = [w.text.casefold() for w in words]
    if low[0] not in NORDIC_ARTICLES[lang] or low[-1] in stop:
        return False
    adjectives = low[1:-1]
    if any(a in stop or not a.endswith(("e", "a")) for a in adjectives):
        return False
    return low[-1].endswith(NORDIC_DEFINITE[lang])


def _ngram_ok(words: list[Token], lang: str, stop: frozenset[str]) -> bool:
    if _nordic_article_phrase(words, lang, stop):
        return True
    first, last = words[0].text.casefold(), words[-1].text.casefold()
    first_bare = ELISION_RE.sub("", first)
    if last in stop or last.isdigit():
        return False
    if first.isdigit():
        return False
    if first in stop and (first not in OPENERS.get(lang, ()) or len(words) < 3):
        return False
    if len(words) == 1 and first_bare in stop:  # "d'un"
        return False
    if len(words) == 1:
        return len(first) >= 3 and not first.isdigit()
    return True


def document_stats(doc: Document, index: int = 0) -> CandidateStats:
    """The candidate statistics of one document, `index` being its position in the corpus."""
    collector = _Collector(doc, index)
    for sentence in doc.sentences:
        lang = sentence.lang
        stop = function_words(lang)
        tokens = tokenize(doc.text[sentence.start : sentence.end], sentence.start)
        foreign = [
            p
            for p in doc.passages
            if p.lang != lang and p.start < sentence.end and p.end > sentence.start
        ]
        if foreign:
            _foreign_ngrams(tokens, foreign, collector, doc, sentence.text)
            # A foreign passage is a boundary: no term spans it ("«Skilled ...» ble").
            tokens = [
                Token("|", t.start, t.end)
                if any(p.start < t.end and t.start < p.end for p in foreign)
                else t
                for t in tokens
            ]
        for quoted in _quoted_spans(tokens):
            words = [t for t in quoted if t.is_word]
            if 2 <= len(words) <= MAX_SLOGAN_TOKENS:
                collector.add(lang, quoted, "slogan", doc.text, sentence.text)
            # Sentences inside a long quotation ("... Als de massamobilisatie vakkundig is, ...").
            for part in _split_quote(quoted):
                if 3 <= sum(t.is_word for t in part) < len(words):
                    collector.add(lang, part, "slogan", doc.text, sentence.text)
        for run in _chunks(tokens):
            _ngrams(run, lang, stop, collector, doc, sentence.text, sentence.start)
    return collector.stats


def extract_occurrences(documents: Sequence[Document]) -> CandidateStats:
    """The candidate statistics of documents, counted one document at a time and merged."""
    return merge_stats(document_stats(doc, i) for i, doc in enumerate(documents))


def _foreign_ngrams(tokens, passages, collector, doc, sentence: str) -> None:
    """Candidates inside other-language passages (untranslated English) keep their own language."""
    for passage in passages:
        inner = [t for t in tokens if passage.start <= t.start and t.end <= passage.end]
        for run in _chunks(inner):
            stop = function_words(passage.lang)
            _ngrams(run, passage.lang, stop, collector, doc, sentence, opening=-1)


def _split_quote(tokens: list[Token]) -> list[list[Token]]:
    parts, part = [], []
    for tok in tokens:
        if tok.text in ".!?;":
            if part:
                parts.append(part)
            part = []
        elif tok.text not in QUOTES:
            part.append(tok)
    if part and parts:
        parts.append(part)
    return parts


def _drop_elision(span: list[Token]) -> list[Token]:
    """A term does not start with an elided article: l'autogestion -> autogestion."""
    head = span[0]
    match = ELISION_RE.match(head.text)
    if not match or len(head.text) - match.end() < 2:
        return span
    return [Token(head.text[match.end() :], head.start + match.end(), head.end), *span[1:]]


def _flanked(run: list[Token], i: int, j: int, opening: int) -> bool:
    """Whether run[i..j] sits inside a longer capitalised name ("Den sentrale Komiteen for ...")."""
    before = run[i - 1] if i > 0 else None
    after = run[j + 1] if j + 1 < len(run) else None
    # A capitalised word that opens the sentence is no sign of a name.
    opened = before is not None and before.is_word and before.start != opening
    if opened and _is_capitalised(before) and _is_capitalised(run[i]):
        return True
    return (
        after is not None and after.is_word and _is_capitalised(after) and _is_capitalised(run[j])
    )


def _ngrams(run, lang, stop, collector: _Collector, doc: Document, sentence: str, opening: int):
    words_idx = [i for i, t in enumerate(run) if t.is_word]
    n_words = len(words_idx)
    joiners = NAME_JOINERS.get(lang, set())
    for a in range(n_words):
        for b in range(a, min(n_words, a + MAX_NAME_NGRAM)):
            span = _close_quotes(run, words_idx[a], words_idx[b])
            span = _drop_elision(span) if lang == "fr" else span
            words = [t for t in span if t.is_word]
            n = len(words)
            if not _balanced(span) or not _ngram_ok(words, lang, stop):
                continue
            if n > MAX_NGRAM:
                # Long spans only for names: capitalised content words tied by joiners.
                inner = [w.text.casefold() for w in words]
                content = [w for w, low in zip(words, inner) if low not in joiners]
                if not any(_is_capitalised(w) for w in words[1:]):
                    continue
                if any(low in stop and low not in joiners for low in inner):
                    continue
                if len(content) > 7:
                    continue
            first = words[0].text
            if n == 1 and CODE_RE.match(first):
                kind = "code"
            elif n == 1 and ABBREV_RE.match(first):
                kind = "abbreviation"
            elif n > 1 and _is_capitalised(words[0]) and _is_capitalised(words[-1]):
                kind = "name"
            else:
                kind = "term"
            free = not _flanked(run, words_idx[a], words_idx[b], opening)
            collector.add(lang, span, kind, doc.text, sentence, free)


# ---------------------------------------------------------------- scoring
@lru_cache(maxsize=200_000)
def specificity(token: str, lang: str) -> float:
    """1 for words unknown to general language, 0 for the most common words."""
    from wordfreq import zipf_frequency

    if any(ch.isdigit() for ch in token):
        return 1.0
    zipf = zipf_frequency(token, "nb" if lang == "nn" else lang)
    return max(0.0, min(1.0, (7.0 - zipf) / 7.0))


def _score(groups: list[TermStats]) -> dict[tuple[str, str], float]:
    """Termhood: C-value (frequency discounted by longer terms containing it) times specificity."""
    by_key = {(g.lang, g.key): g for g in groups}
    containers: dict[tuple[str, str], list[int]] = defaultdict(list)
    for g in groups:
        toks = g.key.split(" ")
        n = len(toks)
        if n < 2 or n > MAX_NGRAM:
            continue
        seen = set()
        for size in range(1, n):
            for i in range(n - size + 1):
                sub = " ".join(toks[i : i + size])
                if sub not in seen and (g.lang, sub) in by_key:
                    seen.add(sub)
                    containers[(g.lang, sub)].append(sum(g.forms.values()))
    scores = {}
    for g in groups:
        freq = sum(g.forms.values())
        longer = containers.get((g.lang, g.key), [])
        nested = freq - (sum(longer) / len(longer) if longer else 0.0)
        if not g.free:  # seen only as a piece of longer names
            nested = 0.0
        # Length earns weight only for repeated spans: a long span seen once is rarely a unit.
        length = math.log2(g.n_tokens + 1) if freq >= 2 else 1.0
        cvalue = length * max(nested, 0.5) * (1 + 0.5 * math.log(len(g.docs)))
        stop = function_words(g.lang)
        words = g.forms.most_common(1)[0][0].split()
        content = [t for t in words if t.casefold() not in stop]
        cvalue *= 1.0 - 0.5 * (len(words) - len(content)) / len(words)
        spec = sum(specificity(t.casefold().strip("«»“”„\"'"), g.lang) for t in content)
        spec = spec / len(content) if content else 0.0
        bonus = {"code": 2.0, "abbreviation": 1.5, "slogan": 1.5, "name": 1.3}.get(g.kind, 1.0)
        scores[(g.lang, g.key)] = round(cvalue * (0.5 + spec) * bonus, 4)
    return scores


def extract_candidates(documents: Sequence[Document], lang: str | None = None) -> list[Candidate]:
    """Candidates of every language in the documents, ranked by termhood within each language."""
    return candidates_from_stats(extract_occurrences(documents), lang)


def candidates_from_stats(stats: CandidateStats, lang: str | None = None) -> list[Candidate]:
    """Scored, ranked candidates from merged statistics (of one language, or of all)."""
    groups = [g for g in stats.terms.values() if lang is None or g.lang == lang]
    scores = _score(groups)
    candidates = []
    for g in groups:
        forms = tuple(f for f, _ in sorted(g.forms.items(), key=lambda kv: (-kv[1], kv[0])))
        candidates.append(
            Candidate(
                lang=g.lang,
                key=g.key,
                forms=forms,
                freq=sum(g.forms.values()),
                score=scores[(g.lang, g.key)],
                docs=tuple(sorted(g.docs, key=g.docs.__getitem__)),
                contexts=tuple(c for *_, c in g.contexts),
                kind=g.kind,
                headword=headword(forms, g.lang, g.kind),
            )
        )
    candidates.sort(key=lambda c: (c.lang, -c.score, c.key))
    return candidates
