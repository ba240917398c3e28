"""Variants: may texts that differ only in outer quotes, or only in case, share one encode?

Groups the seeds' candidate strings (and the shipped concept list's queries) by their form
without outer quotes and case-folded, then encodes a sample of the seeds' strings next to
variants of them with torch fp32 (the product's CPU path, no cache, no sharing) and reports
the cosine between each text and its variant: mean, minimum and 5th percentile, per kind.
A kind of sharing is safe when the mean and the 5th percentile are both >= 0.99.

    python -m benchmarks variants [--pairs 300]
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np

from benchmarks import ROOT, machine, model_path, now, write_result

SAFE = 0.99
QUOTE_STYLES = (("«", "»"), ('"', '"'), ("“", "”"), ("„", "“"))
# Quote marks that may open a text, with the marks that may close it.
OUTER_QUOTES = {'"': '"', "'": "'", "«": "»", "»": "«", "“": "”", "”": "”", "„": "“”",
                "‘": "’", "‚": "‘’", "‹": "›", "›": "‹"}  # fmt: skip
QUOTE_MARKS = frozenset("".join(OUTER_QUOTES) + "".join(OUTER_QUOTES.values()))


def unquoted(text: str) -> str:
    """The text inside quote marks that enclose all of it (`«Dân vận khéo»` -> `Dân vận khéo`);
    any other text as it is, and so is one with a quote mark or apostrophe inside."""
    inner = text.strip()
    if len(inner) > 2 and inner[-1] in OUTER_QUOTES.get(inner[0], ""):
        core = inner[1:-1].strip()
        if core and not QUOTE_MARKS.intersection(core):
            return core
    return text


def seed_groups(texts: list[str]) -> dict:
    """How many texts share a form without outer quotes, or without them and case-folded."""
    by_quotes: dict[str, list[str]] = defaultdict(list)
    by_case: dict[str, list[str]] = defaultdict(list)
    for t in texts:
        by_quotes[unquoted(t)].append(t)
        by_case[unquoted(t).casefold()].append(t)
    return {
        "texts": len(texts),
        "saved_by_quotes": len(texts) - len(by_quotes),
        "saved_by_quotes_and_case": len(texts) - len(by_case),
        "case_groups": sorted(v for v in by_case.values() if len(v) > 1),
    }


def _flip_first(text: str) -> str:
    head = text[:1]
    return (head.lower() if head.isupper() else head.upper()) + text[1:]


def pairs(sample: list[str], queries: list[str], groups: list[list[str]]) -> dict:
    """(prompt task, text, variant) per kind of variant."""
    found: dict[str, list[tuple[str, str, str]]] = {
        "quotes, document prompt": [
            ("document", t, f"{o}{t}{c}") for i, t in enumerate(sample)
            for o, c in [QUOTE_STYLES[i % len(QUOTE_STYLES)]]
        ],
        "quotes, query prompt": [
            ("query", t, f"{o}{t}{c}") for i, t in enumerate(queries)
            for o, c in [QUOTE_STYLES[i % len(QUOTE_STYLES)]]
        ],
        "first letter's case": [
            ("document", t, _flip_first(t)) for t in sample if _flip_first(t) != t
        ],
        "lower case": [("document", t, t.casefold()) for t in sample if t.casefold() != t],
        "case, the seeds' own groups": [
            ("document", g[0], other) for g in groups for other in g[1:]
        ],
    }  # fmt: skip
    return found


def cosines(found: dict[str, list[tuple[str, str, str]]]) -> dict:
    """Encode every text once (length-sorted, batch 64, as the product does) and compare."""
    from glossary.backends import CPU_BATCH, Choice
    from glossary.embed import load_model

    model = load_model(model_path(), Choice("torch"))
    prompts = dict(getattr(model, "prompts", {}) or {})
    wanted = sorted(
        {(task, t) for rows in found.values() for task, a, b in rows for t in (a, b)},
        key=lambda x: len(x[1]),
    )
    vectors = {}
    for task in ("document", "query"):
        mine = [t for k, t in wanted if k == task]
        if not mine:
            continue
        encoded = model.encode(mine, prompt=prompts.get(task) or None, batch_size=CPU_BATCH,
                               normalize_embeddings=True, convert_to_numpy=True,
                               show_progress_bar=False)  # fmt: skip
        vectors.update({(task, t): v for t, v in zip(mine, encoded)})
    out = {}
    for kind, rows in found.items():
        if not rows:
            out[kind] = {"pairs": 0}
            continue
        cos = np.array([float(vectors[(k, a)] @ vectors[(k, b)]) for k, a, b in rows])
        worst = min(range(len(rows)), key=lambda i: cos[i])
        out[kind] = {
            "pairs": len(rows),
            "mean_cosine": round(float(cos.mean()), 4),
            "min_cosine": round(float(cos.min()), 4),
            "p5_cosine": round(float(np.percentile(cos, 5)), 4),
            "share_at_least_0_99": round(float(np.mean(cos >= SAFE)), 3),
            "worst_pair": list(rows[worst][1:]),
            "safe": bool(cos.mean() >= SAFE and np.percentile(cos, 5) >= SAFE),
        }
    out["encoded_texts"] = len(wanted)
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m benchmarks variants")
    parser.add_argument("--pairs", type=int, default=300, help="seed strings to vary")
    opts = parser.parse_args(argv)
    from benchmarks.speed import unique_texts
    from glossary.alignment.evidence import query_texts
    from glossary.store import load_concept_list

    texts = unique_texts()
    concepts = load_concept_list(ROOT / "glossary" / "data" / "concepts.csv")
    queries = list(dict.fromkeys(t for c in concepts for t in query_texts(c)))
    groups = seed_groups(texts)
    step = max(1, len(texts) // opts.pairs)
    sample = texts[::step][: opts.pairs]
    measured = cosines(pairs(sample, queries, groups["case_groups"]))
    result = {
        "date": now(),
        "machine": machine(),
        "model": Path(model_path()).name,
        "sample": len(sample),
        "seeds": groups,
        "concept_queries": {"texts": len(queries), **{
            k: v for k, v in seed_groups(queries).items() if k != "texts"}},
        "cosines": measured,
        "rule": f"a kind is shared when its mean and 5th-percentile cosine are both >= {SAFE}",
        "shared": [k for k, v in measured.items() if isinstance(v, dict) and v.get("safe")],
    }  # fmt: skip
    write_result("variants", result)
    for kind, row in measured.items():
        print(kind, row, flush=True)
    return result


if __name__ == "__main__":
    main()
