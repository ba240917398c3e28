"""Synthetic corpora N times the seeds' size, made of new articles rather than copies.

Each language gets new articles built from that language's seed sentences, recombined and
perturbed the way more real reporting would differ: other numbers and dates, other Vietnamese
place and person names, clauses spliced from two sentences or dropped, and the odd content
word swapped for another of the same language. Copies would be free for a deduplicating
pipeline; these add new n-grams, names and numbers, so vocabulary and candidate counts grow.

    python -m benchmarks.synth OUT_DIR --factor 4
"""

from __future__ import annotations

import argparse
import random
import re
import zlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from glossary.corpus import read_corpus

HEADER = "Vietnam.vn - Nền tảng quảng bá Việt Nam"
# Syllables of Vietnamese names, unaccented as the translations print them; mixed with the
# name syllables found in the seeds, so new place and person names keep appearing.
_NAMES = (
    "An Anh Bac Binh Cam Chau Chi Cuong Dai Dang Dien Dinh Do Dong Duc Dung Duong Giang Ha Hai "
    "Hanh Hau Hieu Hoa Hoang Hong Hue Hung Huong Huy Khanh Khoa Kim Lam Lan Le Lien Linh Loc "
    "Long Luong Ly Mai Minh My Nam Nga Ngoc Nguyen Nhan Nhu Ninh Phan Phong Phu Phuc Phuong Quang "
    "Que Son Tam Tan Thai Thanh Thao Thi Thinh Thu Thuy Tien Toan Trang Tri Trung Truong Tuan "
    "Tung Uyen Van Viet Vinh Vo Vu Xuan Yen"
)
NAME_SYLLABLES = tuple(_NAMES.split())
NUMBER_RE = re.compile(r"\b\d+\b")
WORD_RE = re.compile(r"\b[^\W\d_]{5,}\b")
CAPITAL_RE = re.compile(r"\b[A-ZĐ][a-z]{1,6}\b")


@dataclass
class SeedPool:
    """What the generator draws from, per language: sentences, paragraphs' sentence counts,
    content words; and the name syllables shared by all languages."""

    sentences: dict[str, list[str]]
    paragraph_sizes: dict[str, list[int]]
    words: dict[str, list[str]]
    chars: dict[str, int]
    names: list[str]


def seed_pool(seeds: Path) -> SeedPool:
    """Read the seed articles and collect what new articles are made from."""
    corpus = read_corpus([seeds])
    sentences: dict[str, list[str]] = defaultdict(list)
    sizes: dict[str, list[int]] = defaultdict(list)
    words: dict[str, set[str]] = defaultdict(set)
    chars: dict[str, int] = defaultdict(int)
    capitals: dict[str, set[str]] = defaultdict(set)
    for doc in corpus.documents:
        chars[doc.lang] += len(doc.text)
        per_paragraph: dict[int, int] = defaultdict(int)
        for s in doc.sentences:
            if s.lang != doc.lang or doc.paragraphs[s.paragraph].is_caption or len(s.text) < 25:
                continue
            sentences[doc.lang].append(s.text)
            per_paragraph[s.paragraph] += 1
            words[doc.lang].update(w for w in WORD_RE.findall(s.text) if w.islower())
            for cap in CAPITAL_RE.findall(s.text):
                capitals[cap].add(doc.lang)
        sizes[doc.lang].extend(per_paragraph.values())
    # A capitalised short word used in two or more languages is an untranslated Vietnamese name.
    shared = sorted(w for w, langs in capitals.items() if len(langs) >= 2)
    return SeedPool(
        dict(sentences),
        dict(sizes),
        {lang: sorted(ws) for lang, ws in words.items()},
        dict(chars),
        sorted(set(shared) | set(NAME_SYLLABLES)),
    )


def _perturb(sentence: str, other: str, lang: str, pool: SeedPool, rng: random.Random) -> str:
    """One new sentence from a seed sentence (and a second one to splice clauses from)."""
    text = sentence
    clauses = text.split(", ")
    if len(clauses) > 2 and rng.random() < 0.3:
        del clauses[rng.randrange(1, len(clauses) - 1)]  # drop a middle clause
    others = other.split(", ")
    if len(clauses) > 1 and len(others) > 1 and rng.random() < 0.4:
        cut = rng.randrange(1, len(clauses))
        clauses = clauses[:cut] + others[rng.randrange(1, len(others)) :]
    text = ", ".join(clauses)
    if not text.rstrip().endswith((".", "!", "?", "…")):
        text = text.rstrip(" ,;") + "."
    text = NUMBER_RE.sub(lambda m: _new_number(m.group(), rng), text)
    names = set(pool.names)
    text = CAPITAL_RE.sub(
        lambda m: (
            rng.choice(pool.names) if m.group() in names and rng.random() < 0.6 else m.group()
        ),
        text,
    )
    vocabulary = pool.words.get(lang, [])
    if vocabulary:
        for _ in range(rng.choice((1, 2, 2, 3))):
            spots = [m for m in WORD_RE.finditer(text) if m.group().islower()]
            if not spots:
                break
            spot = rng.choice(spots)
            text = text[: spot.start()] + rng.choice(vocabulary) + text[spot.end() :]
    return text


def _new_number(number: str, rng: random.Random) -> str:
    value = int(number)
    if 1900 <= value <= 2100:  # a year stays a plausible year
        return str(rng.randint(1995, 2030))
    if value == 0:
        return number
    return str(max(1, int(value * rng.uniform(0.3, 3.0))))


def article(lang: str, index: int, target_chars: int, pool: SeedPool, seed: int = 0) -> str:
    """One new article of about target_chars characters, in the seeds' file layout."""
    rng = random.Random(zlib.crc32(f"{seed}:{lang}:{index}".encode()))
    sentences = pool.sentences[lang]
    sizes = pool.paragraph_sizes.get(lang) or [2]

    def sentence() -> str:
        return _perturb(rng.choice(sentences), rng.choice(sentences), lang, pool, rng)

    title = sentence()
    date = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2019, 2026)}"
    lines = [HEADER, "", title, "", f"Việt NamViệt Nam{date}", ""]
    size = sum(len(line) for line in lines)
    while size < target_chars:
        paragraph = " ".join(sentence() for _ in range(rng.choice(sizes)))
        lines += [paragraph, ""]
        size += len(paragraph) + 1
    return "\n".join(lines)


def make_corpus(seeds: Path, out: Path, factor: int, seed: int = 0) -> dict[str, int]:
    """Write factor x (seed articles per language) new articles of the seeds' sizes into out."""
    pool = seed_pool(seeds)
    out.mkdir(parents=True, exist_ok=True)
    written = {"files": 0, "chars": 0}
    for lang in sorted(pool.sentences):
        for index in range(factor):
            text = article(lang, index, pool.chars[lang], pool, seed)
            (out / f"{index:05d}_{lang}.txt").write_text(text, encoding="utf-8")
            written["files"] += 1
            written["chars"] += len(text)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--factor", type=int, default=1)
    parser.add_argument(
        "--seeds", type=Path, default=Path(__file__).resolve().parent.parent / "seeds"
    )
    args = parser.parse_args()
    print(make_corpus(args.seeds, args.out, args.factor))


if __name__ == "__main__":
    main()
