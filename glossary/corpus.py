"""Read a corpus: decode files, strip site boilerplate, identify languages, split sentences.

Two layouts are understood: plain text scraped from vietnam.vn (one paragraph per line, a site
header, title and date at the top, a source line, a comment counter and navigation lists at the
end) and HTML article pages. Both become `Document` records whose paragraph and sentence offsets
point into `Document.text`.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import stat
import unicodedata
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date as _date
from functools import lru_cache
from pathlib import Path

from glossary.errors import CorpusError, UsageError
from glossary.models import (
    KNOWN_LANGS,
    SEED_LANGS,
    Document,
    Paragraph,
    Passage,
    Sentence,
    SkippedFile,
)

SUFFIXES = (".txt", ".text", ".md", ".html", ".htm")
HTML_SUFFIXES = (".html", ".htm")
SHORT_PARAGRAPH = 40  # letters; below this langdetect guesses, so the document language wins
SWITCH_PROB = 0.9  # how sure langdetect must be before a paragraph or sentence leaves the doc lang
MAX_DETECT_CHARS = 3000  # langdetect is sure long before this; longer text only costs time
MAX_LISTED = 5  # byte offsets named in a warning
PHRASE_PROB = 0.95  # the same for a short quoted phrase, which also needs word-frequency support


@dataclass(frozen=True)
class Corpus:
    """The readable documents of a corpus, the files skipped with the reason, and warnings."""

    documents: list[Document]
    skipped: list[SkippedFile]
    warnings: list[str] = field(default_factory=list)  # files read, but not quite as written


class BadFileError(CorpusError):
    """One corpus file cannot be used; `reason` is the short text reported for it."""

    def __init__(self, path: str | Path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


# ---------------------------------------------------------------- finding files
def shown_path(path: str | Path) -> str:
    """A path as text that can be printed and stored: bytes of a file name that are not UTF-8
    (kept by Python as surrogates) become U+FFFD."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text


def corpus_files(paths: Sequence[str | Path]) -> list[Path]:
    """Expand files, folders (recursively) and glob patterns into a sorted list of files."""
    return find_files(paths)[0]


def find_files(paths: Sequence[str | Path]) -> tuple[list[Path], list[SkippedFile]]:
    """The regular files under `paths`, each once however it was reached (symlinks, loops,
    overlapping patterns), and the paths skipped unread: pipes, devices, sockets, dead links."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if not paths:
        raise CorpusError("no corpus given: name a file, a folder or a glob pattern")
    found: dict[Path, Path] = {}  # resolved path -> the shortest name it was reached by
    skipped: dict[str, str] = {}

    def add(path: Path) -> None:
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            skipped[shown_path(path)] = f"cannot be read ({exc.strerror or exc})"
            return
        if not stat.S_ISREG(mode):
            kind = "a pipe" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or \
                stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a file"  # fmt: skip
            skipped[shown_path(path)] = f"{kind}, not a regular file; not read"
            return
        key = path.resolve()
        if key not in found or len(str(path)) < len(str(found[key])):
            found[key] = path

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = _folder_files(path)
            if not files:
                raise CorpusError(
                    f"folder {shown_path(raw)} has no corpus files ({', '.join(SUFFIXES)}); "
                    "name the files directly or use a glob pattern"
                )
            for file in files:
                add(file)
        elif os.path.lexists(path) and not glob.has_magic(str(raw)):
            add(path)
        elif glob.has_magic(str(raw)):
            matches = sorted(glob.glob(str(raw), recursive=True))
            if not matches:
                raise CorpusError(f"no files match the pattern {shown_path(raw)}")
            for match in matches:
                m = Path(match)
                for file in _folder_files(m) if m.is_dir() else [m]:
                    add(file)
        else:
            raise CorpusError(f"no such file or folder: {shown_path(raw)}")
    files = sorted(found.values(), key=str)
    return files, [SkippedFile(p, reason) for p, reason in sorted(skipped.items())]


def _folder_files(folder: Path) -> list[Path]:
    files = []
    for p in folder.rglob("*"):
        rel = p.relative_to(folder).parts
        if any(part.startswith(".") for part in rel):
            continue
        if p.suffix.lower() in SUFFIXES and not p.is_dir():
            files.append(p)
    return files


def read_corpus(paths: Sequence[str | Path], lang: str | None = None) -> Corpus:
    """Read every document under `paths`; bad files are skipped with a reason, not raised."""
    lang = check_lang(lang)
    files, skipped = find_files(paths)
    return assemble_corpus(read_files(files, lang), skipped)


@dataclass(frozen=True)
class FileRead:
    """What reading one corpus file gave: its document, or why it was skipped; and warnings."""

    document: Document | None
    skipped: SkippedFile | None = None
    warnings: tuple[str, ...] = ()


def read_files(files: Sequence[Path], lang: str | None = None) -> list[FileRead]:
    """Read files one by one (any subset of a corpus, in any process), in the given order."""
    reads = []
    for path in files:
        shown = shown_path(path)
        warnings = []
        if shown != str(path):
            warnings.append(f"{shown}: the file name is not valid UTF-8; shown with U+FFFD")
        try:
            doc = read_document(path, lang)
        except BadFileError as exc:
            reads.append(FileRead(None, SkippedFile(shown, exc.reason), tuple(warnings)))
            continue
        if doc.replaced:
            warnings.append(f"{doc.path}: {replaced_note(doc.replaced)}")
        reads.append(FileRead(doc, None, tuple(warnings)))
    return reads


def assemble_corpus(reads: Sequence[FileRead], skipped: Sequence[SkippedFile] = ()) -> Corpus:
    """The Corpus of files read in corpus order, after the paths skipped unread."""
    documents = [r.document for r in reads if r.document is not None]
    skipped = [*skipped, *(r.skipped for r in reads if r.skipped is not None)]
    return Corpus(documents, skipped, [w for r in reads for w in r.warnings])


def replaced_note(offsets: Sequence[int]) -> str:
    """One line about stray bytes read as U+FFFD, naming their byte offsets."""
    listed = ", ".join(str(o) for o in offsets[:MAX_LISTED])
    more = f" and {len(offsets) - MAX_LISTED} more" if len(offsets) > MAX_LISTED else ""
    plural = "bytes are" if len(offsets) > 1 else "byte is"
    return (
        f"{len(offsets)} {plural} not UTF-8 (byte offset {listed}{more}); read as U+FFFD, "
        "the rest of the file as UTF-8"
    )


def check_lang(lang: str | None) -> str | None:
    """Normalise a --lang value ("no" means "nb"); raise UsageError for an unknown code."""
    if lang is None or lang == "":
        return None
    code = lang.strip().lower().replace("_", "-")
    code = {"no": "nb", "nob": "nb", "nno": "nn"}.get(code, code)
    if code not in KNOWN_LANGS:
        raise UsageError(
            f"unknown language {lang!r}; use an ISO 639-1 code such as {', '.join(SEED_LANGS)}"
        )
    return code


# ---------------------------------------------------------------- decoding
# Single-byte encodings still common for articles saved on Windows, most likely first.
LEGACY_ENCODINGS = ("cp1252", "cp1250", "latin_1")
ENCODING_NAMES = {"latin_1": "latin-1", "utf_8": "utf-8", "utf_16": "utf-16"}
C1_CONTROLS = re.compile("[\x80-\x9f]")
MAX_STRAY = 20  # more bytes than this that are not UTF-8, and the file is not UTF-8 at all
# The letters beyond ASCII of the languages that legacy files come in: a right decoding uses
# the letters of one language; a wrong one mixes them (Czech ř read as cp1252 gives ø).
LANG_LETTERS = {
    "fr": "àâæçéèêëîïôœùûüÿ", "nl": "áéèëíïóöúüêäà", "sv": "åäöéü", "nb": "æøåéèêóôü",
    "da": "æøåéü", "de": "äöüß", "cs": "áčďéěíňóřšťúůýž", "sk": "áäčďéíĺľňóôŕšťúýž",
    "pl": "ąćęłńóśźż", "hu": "áéíóöőúüű", "es": "áéíñóúü", "it": "àèéìíòóù", "pt": "àáâãçéêíóôõú",
}  # fmt: skip


@dataclass(frozen=True)
class Decoded:
    """A file's text, the encoding it was read from, and the offsets of stray bytes."""

    text: str
    encoding: str
    replaced: tuple[int, ...] = ()


def decode_bytes(data: bytes) -> str:
    """Decode a file's bytes to NFC text (see `decode_file`); ValueError(reason) if not text."""
    return decode_file(data).text


def decode_file(data: bytes) -> Decoded:
    """UTF-8 (with or without BOM), UTF-16/32, UTF-8 with a few stray bytes (read as U+FFFD) or
    a legacy single-byte encoding (cp1252, cp1250, latin-1) to NFC text; ValueError(reason) for
    binary files and bytes that no encoding reads."""
    replaced: tuple[int, ...] = ()
    if data.startswith(b"\xef\xbb\xbf"):
        text, encoding = _decode(data[3:], "utf-8"), "utf-8"
    elif data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        text, encoding = _decode(data, "utf-32"), "utf-32"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, encoding = _decode(data, "utf-16"), "utf-16"
    elif b"\x00" in data:
        encoding = _bomless_utf16(data)
        if encoding is None:
            raise ValueError("binary file (contains NUL bytes), not text")
        text = _decode(data, encoding)
    else:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            text, encoding, replaced = _not_utf8(data, exc)
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f\v")
    if controls > max(2, len(text) // 100) or "\x00" in text:
        raise ValueError("binary file (control characters), not text")
    return Decoded(unicodedata.normalize("NFC", text), encoding, replaced)


def _not_utf8(data: bytes, first: UnicodeDecodeError) -> tuple[str, str, tuple[int, ...]]:
    """Text, encoding and replaced offsets of bytes that are not valid UTF-8 throughout."""
    stray = _stray_bytes(data)
    text = data.decode("utf-8", errors="replace")
    good = sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd")
    # Mostly UTF-8 (its multi-byte letters decode) with a few stray bytes: keep it as UTF-8.
    if len(stray) <= MAX_STRAY and good >= 2 * len(stray):
        return text, "utf-8", tuple(stray)
    found = _legacy(data)
    if found is None:
        raise ValueError(
            f"cannot be decoded as UTF-8 (bad byte 0x{data[first.start]:02x} at offset "
            f"{first.start}) nor as {', '.join(ENCODING_NAMES.get(e, e) for e in LEGACY_ENCODINGS)}"
            "; save it as UTF-8"
        )
    return found[0], found[1], ()


def _stray_bytes(data: bytes) -> list[int]:
    """Offsets of the bytes that are not UTF-8, up to MAX_STRAY + 1 of them."""
    offsets: list[int] = []
    view, pos = memoryview(data), 0
    while len(offsets) <= MAX_STRAY:
        try:
            bytes(view[pos:]).decode("utf-8")
            break
        except UnicodeDecodeError as exc:
            offsets.extend(range(pos + exc.start, pos + exc.end))
            pos += exc.end
    return offsets


def _legacy(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) of a legacy single-byte file, or None when none reads it as text.

    charset-normalizer rules out the encodings that give noise (and binary data); on a short
    article several single-byte encodings read equally well to it, so the one whose letters
    belong to one language wins (French read as cp1250 has ŕ for à; Czech read as cp1252, ø
    for ř), and the order of LEGACY_ENCODINGS breaks what ties remain.
    """
    from charset_normalizer import from_bytes

    names = set()
    for match in from_bytes(data, cp_isolation=list(LEGACY_ENCODINGS)):
        names.update(match.could_be_from_charset or [match.encoding])
    ranked = []
    for order, encoding in enumerate(LEGACY_ENCODINGS):
        if encoding not in names:
            continue
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if C1_CONTROLS.search(text):
            continue  # latin-1 reads every byte, but text has no C1 control characters
        ranked.append((_foreign_letters(text), order, text, encoding))
    if not ranked:
        return None
    _, _, text, encoding = min(ranked)
    return text, ENCODING_NAMES.get(encoding, encoding)


def _foreign_letters(text: str) -> int:
    """How many letters beyond ASCII fall outside the alphabet of the language that fits best."""
    counts: dict[str, int] = {}
    for ch in text:
        if ord(ch) > 127 and ch.isalpha():
            counts[ch.lower()] = counts.get(ch.lower(), 0) + 1
    total = sum(counts.values())
    return min(total - sum(n for ch, n in counts.items() if ch in letters)
               for letters in LANG_LETTERS.values())  # fmt: skip


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        name = "UTF-8" if encoding == "utf-8" else encoding.upper()
        raise ValueError(
            f"cannot be decoded as {name} (bad byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}); save it as UTF-8"
        ) from None


def _bomless_utf16(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when NULs sit in every other byte as in mostly-Latin text."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    half = len(data) // 2
    if odd.count(0) > 0.3 * half and even.count(0) < 0.05 * half:
        return "utf-16-le"
    if even.count(0) > 0.3 * half and odd.count(0) < 0.05 * half:
        return "utf-16-be"
    return None


# ---------------------------------------------------------------- documents
def read_document(path: str | Path, lang: str | None = None) -> Document:
    """Read one file into a Document; raise BadFileError (a CorpusError) with the reason."""
    lang = check_lang(lang)
    path = Path(path)
    try:
        if not stat.S_ISREG(path.stat().st_mode) and not path.is_dir():
            raise BadFileError(path, "not a regular file (a pipe or device); not read")
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadFileError(path, "no such file") from None
    except IsADirectoryError:
        raise BadFileError(path, "is a folder, not a file") from None
    except OSError as exc:
        raise BadFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    if not data.strip():
        raise BadFileError(path, "empty file")
    is_html = path.suffix.lower() in HTML_SUFFIXES or _looks_html(data[:2000].decode("latin-1"))
    declared = _decode_declared_charset(data) if is_html else None
    try:
        decoded = decode_file(data)
    except ValueError as exc:
        if declared is None:
            raise BadFileError(path, str(exc)) from None
        decoded = declared
    if declared is not None and decoded.encoding != "utf-8":
        decoded = declared  # an HTML page that names its charset knows better than a guess
    text = decoded.text
    if not text.strip():
        raise BadFileError(path, "empty file (only whitespace)")
    if path.suffix.lower() in HTML_SUFFIXES or _looks_html(text[:2000]):
        text, layout = _html_layout(text)
    else:
        layout = _text_layout(text, markdown=path.suffix.lower() == ".md")
    if not layout.blocks:
        raise BadFileError(path, "no article text left after removing boilerplate")
    doc = _build_document(shown_path(path), text, layout, lang)
    return replace(doc, encoding=decoded.encoding, replaced=decoded.replaced)


@dataclass
class _Layout:
    """What a layout parser found: metadata and the (start, end, is_caption) body blocks."""

    title: str = ""
    date: str | None = None
    url: str | None = None
    blocks: list[tuple[int, int, bool]] | None = None


# ---------------------------------------------------------------- vietnam.vn text layout
HEADER_RE = re.compile(r"^Vietnam\.vn\s*[-–—]", re.IGNORECASE)
DATE_LINE_RE = re.compile(r"^(?:Việt\s*Nam)*\s*(\d{1,2})/(\d{1,2})/(\d{4})$")
AD_RE = re.compile(r"^\[[^\[\]\n]{1,40}_\d+\]$")
# "Kommentar (0)", "Reactie (0)", "Komentář (0)", "Comment (0)", "Bình luận (0)".
COUNTER_RE = re.compile(r"^[^\W\d_]+(?: [^\W\d_]+)? \(\d+\)$")
SOURCE_RE = re.compile(
    r"^(?:Kilde|Bron|Zdroj|Källa|Source|Källa|Quelle|Nguồn|Fuente|Fonte)\s*:?\s*(https?://\S+)?$",
    re.IGNORECASE,
)
NO_DATA_RE = re.compile(r"^No (?:data|videos? available)$", re.IGNORECASE)
IMAGE_RE = re.compile(r"^\S+\.(?:jpe?g|png|gif|webp|bmp|tiff?)$", re.IGNORECASE)
URL_LINE_RE = re.compile(r"^https?://\S+$")
CAPTION_RE = re.compile(r"[(\s](?:Foto|Photo|Ảnh|Bild|Kuva)\s*:\s*[^.!?]{0,60}\)?$", re.IGNORECASE)
# A language's own name left in front of a paragraph by the machine translation ("Français La ...").
AUTONYM_RE = re.compile(
    r"^(Français|English|Norsk|Bokmål|Nederlands|Čeština|Česky|Svenska|Deutsch|Tiếng Việt)"
    r"\s+(?=[\"«“„(]?[A-ZÀ-ÖØ-ÞĀ-ŽĐ0-9])"
)
AUTONYM_LANG = {
    "Français": "fr", "English": "en", "Norsk": "nb", "Bokmål": "nb", "Nederlands": "nl",
    "Čeština": "cs", "Česky": "cs", "Svenska": "sv", "Deutsch": "de", "Tiếng Việt": "vi",
}  # fmt: skip
LINE_RE = re.compile(r"[^\r\n]+")
MARKDOWN_RE = re.compile(r"#{1,6}\s+|>\s?|[*+-]\s+")


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] == "\ufeff"):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _text_layout(text: str, markdown: bool = False) -> _Layout:
    """Find title, date, source URL and body lines in the vietnam.vn plain-text layout.

    Other plain text works too: a line is a paragraph, except that a line running on in
    lower case continues the one before (hard-wrapped text); Markdown markers are skipped.
    """
    lines = []
    heading = None  # a Markdown "# Title" on the first line
    for m in LINE_RE.finditer(text):
        s, e = _stripped(text, m.start(), m.end())
        if markdown and s < e:
            marker = MARKDOWN_RE.match(text, s, e)
            if marker and not lines and marker.group().startswith("# "):
                heading = len(lines)
            s = marker.end() if marker else s
        if s < e:
            lines.append((s, e, text[s:e]))
    layout = _Layout(blocks=[])
    first = 0  # index of the first body line
    top = [ln[2] for ln in lines[:6]]
    header = next((i for i, ln in enumerate(top[:3]) if HEADER_RE.match(ln)), None)
    date_i = next((i for i, ln in enumerate(top) if DATE_LINE_RE.match(ln)), None)
    title_i = None
    if header is not None:
        first = header + 1
        if first < len(lines) and first != date_i and not _is_furniture(lines[first][2]):
            title_i = first
    elif date_i is not None and date_i > 0 and not _is_furniture(top[date_i - 1]):
        title_i = date_i - 1
    elif heading is not None:
        title_i = heading
    if date_i is not None:
        day, month, year = (int(g) for g in DATE_LINE_RE.match(top[date_i]).groups())
        with contextlib.suppress(ValueError):  # 31/02: no date rather than a wrong one
            layout.date = _date(year, month, day).isoformat()
        first = max(first, date_i + 1)
    if title_i is not None:
        layout.title = lines[title_i][2]
        first = max(first, title_i + 1)

    # The article ends at the source line or the comment counter: what follows is navigation.
    end = len(lines)
    for i in range(first, len(lines)):
        m = SOURCE_RE.match(lines[i][2])
        if m and m.group(1) and layout.url is None:
            layout.url = m.group(1)
        if (m or COUNTER_RE.match(lines[i][2])) and end == len(lines):
            end = i
    body = [ln for ln in lines[first:end] if not (AD_RE.match(ln[2]) or NO_DATA_RE.match(ln[2]))]
    body = [ln for ln in body if not URL_LINE_RE.match(ln[2])]
    # A trailing line of two to four capitalised words is the author's byline.
    if body and _is_byline(body[-1][2]):
        body.pop()

    if title_i is not None:
        layout.blocks.append((lines[title_i][0], lines[title_i][1], False))
    caption_next = False
    for s, e, line in body:
        # The site repeats the title as the alt text of each photo, or names the image file;
        # the line after either is the photo's caption.
        if IMAGE_RE.match(line) or (layout.title and line == layout.title):
            caption_next = True
            continue
        previous = layout.blocks[-1] if len(layout.blocks) > (title_i is not None) else None
        if (
            previous
            and line[0].islower()
            and text[previous[1] - 1] not in ".!?:;…"
            and text.count("\n", previous[1], s) == 1
        ):
            layout.blocks[-1] = (previous[0], e, previous[2] or bool(CAPTION_RE.search(line)))
            continue
        layout.blocks.append((s, e, caption_next or bool(CAPTION_RE.search(line))))
        caption_next = False
    return layout


def _is_furniture(line: str) -> bool:
    """A line of the site's furniture rather than of the article."""
    return any(
        rx.match(line)
        for rx in (HEADER_RE, DATE_LINE_RE, AD_RE, COUNTER_RE, SOURCE_RE, NO_DATA_RE, IMAGE_RE)
    )


def _is_byline(line: str) -> bool:
    words = line.split()
    return 2 <= len(words) <= 4 and all(re.fullmatch(r"[^\W\d_][^\W\d_'’-]*", w) for w in words) \
        and all(w[0].isupper() for w in words)  # fmt: skip


# ---------------------------------------------------------------- HTML layout
HTML_START_RE = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b",
                           re.IGNORECASE | re.DOTALL)  # fmt: skip
CHARSET_RE = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w-]+)", re.IGNORECASE)
DROP_TAGS = ("script", "style", "nav", "header", "footer", "aside", "form", "noscript",
             "iframe", "svg", "button", "template", "select")  # fmt: skip
# class/id words of page furniture inside an article: bylines, share bars, related links.
FURNITURE_RE = re.compile(
    r"(?:^|[\s_-])(?:related|comments?|share|social|breadcrumbs?|byline|author|tags?|meta|"
    r"newsletter|advert|ads?|promo|sidebar|menu|cookie|subscribe)(?:$|[\s_-])",
    re.IGNORECASE,
)
BLOCK_TAGS = {"p", "h2", "h3", "h4", "h5", "h6", "figcaption", "blockquote", "li", "pre", "dd"}


def _looks_html(head: str) -> bool:
    return bool(HTML_START_RE.match(head))


def _decode_declared_charset(data: bytes) -> Decoded | None:
    m = CHARSET_RE.search(data[:4000])
    if not m:
        return None
    try:
        name = m.group(1).decode("ascii").lower()
        return Decoded(unicodedata.normalize("NFC", data.decode(name)), name)
    except (LookupError, UnicodeDecodeError):
        return None


def _clean_space(text: str) -> str:
    # Markup line breaks and indentation become one space; no-break spaces stay ("13\u00a0268").
    return unicodedata.normalize("NFC", re.sub(r"[ \t\r\n\f\v]+", " ", text).strip())


def _html_layout(html: str) -> tuple[str, _Layout]:
    """Extract title, date, URL and body blocks of an HTML article page.

    Returns the page's readable text (title and paragraphs separated by blank lines), which
    becomes Document.text, since offsets into the markup would be of no use to a reader.
    """
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.document_fromstring(html.encode("utf-8"), parser=_html_parser())
    except (etree.ParserError, ValueError):
        return "", _Layout(blocks=[])
    layout = _Layout(blocks=[])

    def meta(*names: str) -> str | None:
        for name in names:
            for attr in ("property", "name", "itemprop"):
                found = root.xpath(f"//meta[@{attr}=$n]/@content", n=name)
                if found and found[0].strip():
                    return found[0].strip()
        return None

    h1 = [_clean_space(h.text_content()) for h in root.iter("h1")]
    h1 = [h for h in h1 if h]
    title_el = root.find(".//title")
    title_text = _clean_space(title_el.text_content()) if title_el is not None else ""
    layout.title = h1[0] if h1 else (meta("og:title") or title_text)
    stamps = [t.get("datetime", "") for t in root.iter("time")]
    stamps += [meta("article:published_time", "datePublished", "date", "dc.date") or ""]
    for stamp in stamps:
        m = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", stamp)
        if m:
            try:
                layout.date = _date(*map(int, m.groups())).isoformat()
                break
            except ValueError:
                continue
    canonical = root.xpath("//link[@rel='canonical']/@href")
    layout.url = (canonical[0].strip() if canonical else None) or meta("og:url")

    furniture = [
        el
        for el in root.iter(etree.Element)
        if el.tag not in ("html", "body", "article", "main")  # WordPress: <body class="tag-x">
        and FURNITURE_RE.search(f"{el.get('class', '')} {el.get('id', '')}")
    ]
    for el in [*root.iter(*DROP_TAGS), *furniture]:
        if el.getparent() is not None:
            el.drop_tree()
    for el in list(root.iter(etree.Comment)):
        if el.getparent() is not None:
            el.getparent().remove(el)
    # The article container is the <article>/<main> holding the most paragraph text.
    body = root.find("body")
    containers = list(root.iter("article", "main")) or [body if body is not None else root]
    container = max(containers, key=lambda c: sum(len(p.text_content()) for p in c.iter("p")))

    texts: list[tuple[str, bool]] = []
    caption_next = False
    for el in container.iter(*BLOCK_TAGS):
        if any(d is not el for d in el.iter(*BLOCK_TAGS)):
            continue  # its inner blocks are taken one by one
        line = _clean_space(el.text_content())
        if not line or AD_RE.match(line) or NO_DATA_RE.match(line) or line == layout.title:
            continue
        source = SOURCE_RE.match(line)
        if source or COUNTER_RE.match(line):
            if source and source.group(1) and not layout.url:
                layout.url = source.group(1)
            break
        if IMAGE_RE.match(line):
            caption_next = True
            continue
        if el.find(".//time") is not None and len(line) < 100:
            continue  # a dateline: "Published on <time>"
        in_figure = el.tag == "figcaption" or any(a.tag == "figcaption" for a in el.iterancestors())
        texts.append((line, in_figure or caption_next or bool(CAPTION_RE.search(line))))
        caption_next = False

    out, pos = [], 0
    if layout.title:
        texts.insert(0, (layout.title, False))
    for line, caption in texts:
        if out:
            out.append("\n\n")
            pos += 2
        out.append(line)
        layout.blocks.append((pos, pos + len(line), caption))
        pos += len(line)
    if layout.blocks == [(0, len(layout.title), False)] and layout.title:
        layout.blocks = []  # a title alone is no article
    return "".join(out), layout


@lru_cache(maxsize=1)
def _html_parser():
    import lxml.html

    return lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)


# ---------------------------------------------------------------- language identification
LANGDETECT_CODES = {"nb": "no", "nn": "no", "zh": "zh-cn"}
PLAUSIBLE = (*SEED_LANGS, "en", "vi", "de")
# Words that are common in English and not words of the seed languages; a sentence full of them
# is worth a language check of its own even when its paragraph looks homogeneous.
ENGLISH_MARKERS = frozenset({
    "the", "and", "with", "that", "this", "which", "from", "have", "has", "been", "were", "are",
    "will", "would", "their", "its", "should", "these", "those", "into", "about",
})  # fmt: skip
WORD_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


@lru_cache(maxsize=16)
def _factory(langs: tuple[str, ...] | None = None):
    """A langdetect factory with every profile, or only those of `langs` (langdetect codes).

    A factory over a few plausible languages both avoids flukes (Danish or Afrikaans for a
    Norwegian or Dutch paragraph) and is several times faster than one over all 55.
    """
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    if langs is None:
        factory.load_profile(PROFILES_DIRECTORY)
    else:
        profiles = [Path(PROFILES_DIRECTORY, code).read_text(encoding="utf-8") for code in langs]
        factory.load_json_profile(profiles)
    factory.set_seed(0)  # langdetect samples n-grams at random: fix it for repeatable results
    return factory


@lru_cache(maxsize=1)
def _profile_codes() -> frozenset[str]:
    from langdetect.detector_factory import PROFILES_DIRECTORY

    return frozenset(p.name for p in Path(PROFILES_DIRECTORY).iterdir() if p.is_file())


def _from_langdetect(code: str) -> str:
    code = {"no": "nb", "zh-cn": "zh", "zh-tw": "zh"}.get(code, code)
    return code if code in KNOWN_LANGS else "und"


def _probabilities(
    text: str, candidates: Sequence[str] | None = None, only: Sequence[str] | None = None
) -> list[tuple[str, float]]:
    """(lang, probability) best first.

    `candidates` restricts the languages considered (a factory of their profiles); `only`
    narrows further by a prior on that factory, which is cheaper than another factory.
    """
    from langdetect.lang_detect_exception import LangDetectException

    codes = None
    if candidates:
        codes = {LANGDETECT_CODES.get(c, c) for c in candidates} & _profile_codes()
        codes = tuple(sorted(codes)) if len(codes) >= 2 else None
    detector = _factory(codes).create()
    detector.set_max_text_length(MAX_DETECT_CHARS)
    detector.append(text)
    if only and codes:
        prior = {LANGDETECT_CODES.get(c, c): 1.0 for c in only}
        if any(c in codes for c in prior):
            detector.set_prior_map(prior)
    try:
        found = detector.get_probabilities()
    except LangDetectException:
        return []
    merged: dict[str, float] = {}
    for item in found:
        code = _from_langdetect(item.lang)
        merged[code] = merged.get(code, 0.0) + item.prob
    return sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))


def detect_language(text: str) -> str:
    """The language of `text` (ISO 639-1, Norwegian as "nb"), deterministic; "und" if unknown."""
    found = _probabilities(text)
    return found[0][0] if found else "und"


def _letters(text: str) -> int:
    return sum(1 for ch in text if ch.isalpha())


def _plausible(doc_lang: str) -> tuple[str, ...]:
    return PLAUSIBLE if doc_lang in PLAUSIBLE else (*PLAUSIBLE, doc_lang)


def _block_language(text: str, doc_lang: str) -> tuple[str, bool]:
    """(language, sure) of a paragraph; short ones keep the document language."""
    if doc_lang == "und" or _letters(text) < SHORT_PARAGRAPH:
        phrase = _foreign_phrase(text, doc_lang) if doc_lang != "und" else None
        return (phrase or doc_lang, True)
    found = _probabilities(text, _plausible(doc_lang))
    if not found:
        return doc_lang, True
    best, prob = found[0]
    if best == doc_lang:
        return doc_lang, prob >= SWITCH_PROB
    if prob >= SWITCH_PROB and best != "und":
        return best, True
    return doc_lang, False


def _foreign_phrase(text: str, lang: str) -> str | None:
    """'en' when a short phrase is untranslated English rather than `lang`, else None."""
    if lang == "en":
        return None
    words = [w.lower() for w in WORD_RE.findall(text)]
    if len(words) < 2 or len(words) > 12:
        return None
    found = _probabilities(text, _plausible(lang), only=[lang, "en"])
    if not found or found[0][0] != "en" or found[0][1] < PHRASE_PROB:
        return None
    # langdetect alone is unreliable on three words; ask word frequencies too, only now.
    from wordfreq import zipf_frequency

    wf_lang = {"nb": "nb", "nn": "nb"}.get(lang, lang)
    english = sum(zipf_frequency(w, "en") for w in words) / len(words)
    try:
        own = sum(zipf_frequency(w, wf_lang) for w in words) / len(words)
    except (LookupError, ValueError):
        own = 0.0
    return "en" if english >= 3.0 and english >= own + 1.0 else None


def _looks_english(text: str) -> bool:
    words = [w.lower() for w in WORD_RE.findall(text)]
    hits = sum(1 for w in words if w in ENGLISH_MARKERS)
    return hits >= 2 and hits >= 0.12 * len(words)


# ---------------------------------------------------------------- assembling a document
def _build_document(path: str, text: str, layout: _Layout, lang: str | None) -> Document:
    blocks = layout.blocks or []
    body = "\n".join(text[s:e] for s, e, caption in blocks if not caption) or "\n".join(
        text[s:e] for s, e, _ in blocks
    )
    doc_lang = lang or detect_language(body)
    paragraphs: list[Paragraph] = []
    sentences: list[Sentence] = []
    passages: list[Passage] = []
    for start, end, caption in blocks:
        block = text[start:end]
        plang, sure = _block_language(block, doc_lang)
        m = AUTONYM_RE.match(block)
        if m and AUTONYM_LANG[m.group(1)] in (plang, doc_lang):
            start += m.end()
            block = text[start:end]
        index = len(paragraphs)
        paragraphs.append(Paragraph(block, start, end, plang, caption))
        if plang != doc_lang:
            passages.append(Passage(block, start, end, plang))
        quotes = quote_spans(block)
        quote_starts = [qs for qs, _ in quotes]
        for s, e in split_sentences(block, plang):
            piece = block[s:e]
            slang = plang
            if (not sure or _looks_english(piece)) and _letters(piece) >= SHORT_PARAGRAPH:
                found = _probabilities(piece, _plausible(doc_lang))
                if found and found[0][0] not in (plang, "und") and found[0][1] >= SWITCH_PROB:
                    slang = found[0][0]
            sentences.append(Sentence(piece, start + s, start + e, slang, index))
            if slang != plang:
                passages.append(Passage(piece, start + s, start + e, slang))
            else:
                # quotes are sorted: look only at those opening inside this sentence
                first, last = bisect_left(quote_starts, s), bisect_left(quote_starts, e)
                inside = [(qs, qe) for qs, qe in quotes[first:last] if qe <= e]
                passages.extend(_quoted_passages(block, start, inside, slang))
    passages.sort(key=lambda p: (p.start, -p.end))
    return Document(
        path=path,
        lang=doc_lang,
        title=layout.title,
        date=layout.date,
        url=layout.url,
        text=text,
        paragraphs=tuple(paragraphs),
        sentences=tuple(sentences),
        passages=tuple(passages),
    )


def _quoted_passages(
    block: str, offset: int, quotes: list[tuple[int, int]], lang: str
) -> list[Passage]:
    """The quoted phrases among `quotes` that are untranslated English."""
    found = []
    for qs, qe in quotes:
        inner_s, inner_e = _stripped(block, qs + 1, qe - 1)
        inner = block[inner_s:inner_e]
        other = _foreign_phrase(inner, lang) if inner else None
        if other:
            found.append(Passage(inner, offset + inner_s, offset + inner_e, other))
    return found


# ---------------------------------------------------------------- sentences
ABBREVIATIONS = {
    "nb": "nr f.eks bl.a ca dvs jf jfr kl pga mht hhv mill mrd st kr evt iflg ifølge ang vs adm",
    "nn": "nr t.d bl.a ca dvs jf kl pga mill mrd st kr evt",
    "da": "nr f.eks bl.a ca dvs jf kl pga mht mio mia st kr evt",
    "sv": "nr t.ex bl.a ca dvs jfr kl p.g.a s.k f.d milj mdr mkr resp st kr m.fl ang enl",
    "nl": "nr d.w.z bijv o.a m.b.t i.p.v t.a.v ca dhr mevr mr drs ir prof dr blz mln mld jl vs "
    "resp incl excl art",
    "cs": "č tj např tzv mj resp atp popř cca str odst písm sb ing mgr judr phdr mudr dr prof "
    "doc st p pí sl zv mil mld tis r s",
    "fr": "m mm mme mmes mlle n° no nos p pp av apr env cf art vol st ste dr pr me éd",
    "en": "mr mrs ms dr prof st no nos vs e.g i.e approx dept est fig inc ltd jr sr",
    "de": "nr z.b bzw ca dr prof st vgl usw u.a d.h s",
}
ABBREV_SETS = {lang: frozenset(words.split()) for lang, words in ABBREVIATIONS.items()}
COMMON_ABBREV = frozenset({"nr", "no", "dr", "prof", "st", "ca"})
# A sentence end: terminator, then closing quotes or brackets (French puts a space before »).
TERMINATOR_RE = re.compile(r"(?:\.{3}|…|[.!?])+(?:[\"'»”“’)\]]|[ \u00a0\u202f][»”])*(?=\s)")
OPENERS_AFTER = "«“„\"'(["
WORD_STOPS = "([«“„\"'"  # what ends the word before a period, besides whitespace


def split_sentences(text: str, lang: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `text`, stripped of surrounding whitespace."""
    abbrevs = ABBREV_SETS.get(lang, frozenset()) | COMMON_ABBREV
    quotes = quote_spans(text)
    protected = [(s, e) for s, e in quotes if not _several_sentences(text, s, e, abbrevs)]
    cuts = _unprotected(_boundaries(text, abbrevs), protected)
    spans, start = [], 0
    for cut in [*cuts, len(text)]:
        s, e = _stripped(text, start, cut)
        if s < e:
            spans.append((s, e))
        start = cut
    return spans


def _unprotected(cuts: list[int], spans: list[tuple[int, int]]) -> list[int]:
    """The cuts (ascending) that fall strictly inside none of the spans, in one sweep."""
    kept, k, reach = [], 0, -1
    spans = sorted(spans)
    for cut in cuts:
        while k < len(spans) and spans[k][0] < cut:
            reach = max(reach, spans[k][1])
            k += 1
        # reach: the furthest end of the spans opening before the cut
        if reach <= cut:
            kept.append(cut)
    return kept


def _boundaries(text: str, abbrevs: frozenset[str]) -> list[int]:
    """Offsets just after each sentence end (terminator plus closing quotes)."""
    cuts = []
    for m in TERMINATOR_RE.finditer(text):
        nxt = m.end()
        while nxt < len(text) and text[nxt].isspace():
            nxt += 1
        if nxt >= len(text):
            continue
        follower = text[nxt]
        if follower in OPENERS_AFTER and nxt + 1 < len(text):
            follower = text[nxt + 1]
        if not (follower.isupper() or follower.isdigit()):
            continue
        mark = m.group()
        if mark[0] == "." and not mark.startswith("..."):
            word = _word_before(text, m.start())
            if word and _is_abbreviation(word, abbrevs):
                continue
        cuts.append(m.end())
    return cuts


def _word_before(text: str, end: int) -> str:
    """The word that ends at `end`, found by walking back: a regex over text[:end] would make
    splitting quadratic in the length of a line."""
    start = end
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in WORD_STOPS:
        start -= 1
    return text[start:end]


def _is_abbreviation(word: str, abbrevs: frozenset[str]) -> bool:
    low = word.lower()
    if low in abbrevs:
        return True
    if len(word) == 1 and word.isalpha():
        return word.isupper()  # an initial: "M. Pham", "Ho C. Minh"
    # Dotted abbreviations: "f.eks", "t.ex", "d.w.z", "J.-C".
    return bool(re.fullmatch(r"[^\W\d_]{1,3}(?:\.-?[^\W\d_]{1,3})+", word))


def _several_sentences(text: str, s: int, e: int, abbrevs: frozenset[str]) -> bool:
    """True when the quote text[s:e] clearly holds more than one sentence."""
    inner = text[s + 1 : e - 1]
    pieces, start = [], 0
    for cut in _boundaries(inner, abbrevs):
        pieces.append(inner[start:cut])
        start = cut
    pieces.append(inner[start:])
    # Two real sentences, or more than two pieces; a slogan with one stray period stays whole.
    long_pieces = [p for p in pieces if len(WORD_RE.findall(p)) >= 4]
    return len(pieces) > 2 or (len(pieces) == 2 and len(long_pieces) == 2)


CLOSERS_OF = {"«": "»", "„": "“”", "“": "”", "‹": "›", "‚": "‘’"}


def quote_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of matched quotations, quote marks included; unmatched marks are ignored."""
    stack: list[tuple[str, int]] = []
    spans = []
    for i, ch in enumerate(text):
        if ch == '"':
            # A straight quote opens before a word and closes after one.
            prev = text[i - 1] if i else " "
            nxt = text[i + 1] if i + 1 < len(text) else " "
            closes = not prev.isspace() and (nxt.isspace() or not nxt.isalnum())
            opens = (prev.isspace() or prev in "([{–—-/:") and not nxt.isspace()
            if closes and stack and stack[-1][0] == '"':
                spans.append((stack.pop()[1], i + 1))
            elif opens:
                stack.append(('"', i))
        elif stack and ch in CLOSERS_OF.get(stack[-1][0], ""):
            spans.append((stack.pop()[1], i + 1))  # „…“ (Czech) as well as “…” (Dutch)
        elif ch in CLOSERS_OF:
            stack.append((ch, i))
        elif ch in "»”›’‘" and stack:
            # A closer that does not fit the innermost opener: close the nearest that fits.
            for depth in range(len(stack) - 1, -1, -1):
                if ch in CLOSERS_OF.get(stack[depth][0], ""):
                    spans.append((stack[depth][1], i + 1))
                    del stack[depth:]
                    break
    return sorted(spans)
