"""`python -m benchmarks long_line [MB]`: reading one long line against the same text in paragraphs.

Sentence splitting once rescanned the text before every period, so a one-line article took time
quadratic in its length. The same words are written twice, as one line and as paragraphs, and
each file is read by `read_document` (decoding, layout, languages, sentences) in this process.
"""

from __future__ import annotations

import time

from benchmarks import SEEDS, WORK, machine, now, write_result

DEFAULT_MB = 20.0


def _paragraphs(size: int) -> list[str]:
    """Paragraphs of the seed articles, repeated until they hold `size` characters."""
    from glossary.corpus import read_document

    source = [
        p.text for path in sorted(SEEDS.glob("*.txt")) for p in read_document(path).paragraphs
    ]
    found, total = [], 0
    while total < size:
        for text in source:
            found.append(text)
            total += len(text) + 2
            if total >= size:
                break
    return found


def measure(size: int) -> dict:
    """Seconds to read `size` characters as one line and as paragraphs."""
    from glossary.corpus import read_document

    WORK.mkdir(parents=True, exist_ok=True)
    paragraphs = _paragraphs(size)
    row: dict[str, object] = {"characters": sum(len(p) for p in paragraphs)}
    for name, joiner in (("one_line", " "), ("paragraphs", "\n\n")):
        path = WORK / f"long_line_{name}.txt"
        path.write_text(joiner.join(paragraphs) + "\n", encoding="utf-8")
        began = time.perf_counter()
        doc = read_document(path, "nb")
        row[f"{name}_seconds"] = round(time.perf_counter() - began, 2)
        row[f"{name}_sentences"] = len(doc.sentences)
        path.unlink()
    row["ratio"] = round(row["one_line_seconds"] / row["paragraphs_seconds"], 3)
    return row


def main(argv: list[str]) -> None:
    mb = float(argv[0]) if argv else DEFAULT_MB
    row = measure(int(mb * 1_000_000))
    print(
        f"{row['characters']:,} characters: one line {row['one_line_seconds']} s, "
        f"paragraphs {row['paragraphs_seconds']} s (ratio {row['ratio']})",
        flush=True,
    )
    write_result("long_line", {"date": now(), "machine": machine(), "megabytes": mb, **row})
