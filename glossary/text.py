"""Text conventions shared by every stage: Unicode form, folding, quote marks, language codes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from glossary.errors import UsageError

# ---------------------------------------------------------------- languages
SOURCE_LANG = "vi"
SEED_LANGS = ("nb", "nl", "cs", "sv", "fr")
KNOWN_LANGS = (
    "vi", "nb", "nn", "nl", "cs", "sv", "fr", "en", "de", "da", "fi", "es", "it", "pt", "pl",
    "sk", "sl", "hr", "hu", "ro", "ru", "uk", "bg", "el", "tr", "et", "lv", "lt", "id", "ja",
    "ko", "zh", "th", "ar",
)  # fmt: skip
# Codes people also write: the generic Norwegian "no", ISO 639-2/3 codes, and their B forms.
LANG_ALIASES = {
    "no": "nb", "nob": "nb", "nno": "nn", "vie": "vi", "nld": "nl", "dut": "nl", "ces": "cs",
    "cze": "cs", "swe": "sv", "fra": "fr", "fre": "fr", "eng": "en", "deu": "de", "ger": "de",
    "dan": "da", "fin": "fi", "spa": "es", "ita": "it", "por": "pt", "pol": "pl", "slk": "sk",
    "slo": "sk", "slv": "sl", "hrv": "hr", "hun": "hu", "ron": "ro", "rum": "ro", "rus": "ru",
    "ukr": "uk", "bul": "bg", "ell": "el", "gre": "el", "tur": "tr", "est": "et", "lav": "lv",
    "lit": "lt", "ind": "id", "jpn": "ja", "kor": "ko", "zho": "zh", "chi": "zh", "tha": "th",
    "ara": "ar",
}  # fmt: skip
_LANG_TAG = re.compile(r"^([a-z]{2,3})(?:-[a-z0-9]{1,8})*$")


def normalize_lang(code: str | None, what: str = "language") -> str | None:
    """The glossary's code for a language tag: "nb-NO", "nob", "no" and "NB" all give "nb".

    Region and script subtags are dropped (fr-FR -> fr). None or "" gives None; an unknown
    code raises UsageError, whose message starts with `what` (a CLI passes its flag name).
    """
    if code is None or not code.strip():
        return None
    tag = code.strip().lower().replace("_", "-")
    m = _LANG_TAG.match(tag)
    base = LANG_ALIASES.get(m.group(1), m.group(1)) if m else ""
    if base == "nb" and m and re.search(r"-nn\b|-nynorsk\b", tag):
        base = "nn"  # "no-NN" style tags
    if base not in KNOWN_LANGS:
        raise UsageError(
            f"{what}: unknown language {code!r}; use an ISO 639 code such as "
            f"{', '.join((SOURCE_LANG, 'en', *SEED_LANGS))} (nb-NO, nob and no mean nb)"
        )
    return base


def parse_langs(value: str | Iterable[str] | None, what: str = "languages") -> list[str]:
    """A comma-separated list (or an iterable) of language tags, each normalised, no repeats."""
    if not value:
        return []
    parts = value.split(",") if isinstance(value, str) else list(value)
    found = [normalize_lang(p, what) for p in parts if p and p.strip()]
    return list(dict.fromkeys(code for code in found if code))


# ---------------------------------------------------------------- quote marks
# Marks that open a quotation, each with the marks that may close it (Czech „…“, French «…»,
# Swedish ”…”, English “…”, straight "…").
QUOTE_CLOSERS = {"«": "»", "“": "”", "„": "“”", "‹": "›", "‚": "‘’", '"': '"'}
QUOTE_MARKS = '«»“”„"‹›‚'  # quotation marks that are never part of a word
APOSTROPHES = "'’‘"  # also quote marks, but inside words too (l'État, Party's)
ALL_QUOTES = QUOTE_MARKS + APOSTROPHES


def strip_quotes(text: str) -> str:
    """Text without the quotation marks around or inside it (apostrophes kept)."""
    return text.strip(QUOTE_MARKS + " ")


# ---------------------------------------------------------------- normal forms and folding
# Letters that NFD does not split into base + accent.
_LETTER_FOLD = str.maketrans(
    {"đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "ß": "ss",
     "ł": "l", "Ł": "L", "ı": "i"}
)  # fmt: skip


def nfc(text: str) -> str:
    """Unicode NFC, the form every record holds."""
    return unicodedata.normalize("NFC", text or "")


def collapse_space(text: str) -> str:
    """NFC with every run of whitespace (NBSP too) made one space, stripped."""
    return " ".join(nfc(text).split())


def strip_accents(text: str) -> str:
    """Text without combining accents (Dân vận -> Dan van, đ -> d); ø, æ and ß are kept."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(c for c in text if not unicodedata.combining(c)))


def fold(text: str) -> str:
    """Text as typed on any keyboard: no accents, and ø -> o, æ -> ae, ß -> ss (case kept)."""
    return strip_accents(text.translate(_LETTER_FOLD))


def match_key(text: str) -> str:
    """The form two spellings of one term share: NFC, whitespace collapsed, case folded."""
    return collapse_space(text).casefold()


_SEARCH_EDGE = ALL_QUOTES + " .,;:!?()[]{}…–—-/"
_QUOTE_RUN = re.compile("[" + re.escape(ALL_QUOTES) + "]")


def search_form(text: str) -> str:
    """NFC, case folded, quotes and outer punctuation removed, whitespace collapsed."""
    text = nfc(text).replace("\u00a0", " ").casefold()
    text = _QUOTE_RUN.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip(_SEARCH_EDGE).strip()


# ---------------------------------------------------------------- English glosses
def gloss_variants(gloss: str) -> list[str]:
    """The alternatives of an English gloss: "(local) government / authorities" -> 2 queries."""
    base = re.sub(r"\([^)]*\)", " ", gloss or "")
    parts = [re.sub(r"\s+", " ", p).strip(" ,;") for p in base.split("/")]
    return [p for p in parts if p] or ([gloss.strip()] if gloss and gloss.strip() else [])
