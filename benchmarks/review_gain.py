"""Does a review round improve the next align? Review 20% of a built glossary, re-align, and
score the (concept, language) pairs nobody reviewed.

The reviewer is simulated from the dev gold: a reviewed row whose term matches a gold form of
its concept becomes preferred, any other reviewed row rejected. The catalog is the one of
`python -m benchmarks calibrate` (dev catalog plus distractors).

    python -m benchmarks review_gain
"""

from __future__ import annotations

import random

from benchmarks import now, write_result
from benchmarks.calibrate import SEED, catalog, dev_seeds, unreviewed_gold
from glossary.alignment import keyed_proposals, prepare
from glossary.models import TermEntry

SHARE = 0.2


def rows_of(proposals) -> list[dict]:
    return [{"concept_id": p.concept_id, "lang": p.lang, "term": p.term} for p in proposals]


def run(share: float = SHARE) -> dict:
    dev = dev_seeds()
    score, gold, candidates, embedder = dev.score, dev.gold, dev.candidates, dev.embedder
    settings, langs = dev.settings, dev.langs
    concepts = catalog(with_gloss=True)
    first = keyed_proposals(prepare(candidates, embedder, concepts, langs=langs, settings=settings), settings)

    picked = random.Random(SEED).sample(first, round(share * len(first)))
    preferred, rejected = [], set()
    for p in picked:
        forms = gold.get(p.concept_id, {}).get("forms", {}).get(p.lang, [])
        if any(score.term_match(p.term, f) for f in forms):
            preferred.append(TermEntry(p.concept_id, p.lang, p.term, status="preferred"))
        else:
            rejected.add((p.concept_id, p.lang, p.term))
    inputs = prepare(candidates, embedder, concepts, langs=langs, settings=settings, reviewed=preferred)
    second = keyed_proposals(inputs, settings, rejected=frozenset(rejected))
    embedder.cache.close()

    seen = {(p.concept_id, p.lang) for p in picked}
    result = {
        "date": now(), "share": share, "seed": SEED, "rows_first": len(first),
        "reviewed": len(picked), "preferred": len(preferred), "rejected": len(rejected),
    }  # fmt: skip
    for name, proposals in (("before", first), ("after", second)):
        rest = [r for r in rows_of(proposals) if r["concept_id"] in gold and (r["concept_id"], r["lang"]) not in seen]
        result[name] = score.score_keyed(unreviewed_gold(gold, seen), rest)
    write_result("review_gain", result)
    b, a = result["before"], result["after"]
    print(f"review_gain: {len(picked)} rows reviewed ({len(preferred)} preferred); on the rest "
          f"F1 {b['f1']:.3f} -> {a['f1']:.3f} (P {b['precision']:.3f} -> {a['precision']:.3f}, "
          f"R {b['concept_recall']:.3f} -> {a['concept_recall']:.3f})", flush=True)  # fmt: skip
    return result


def main(argv: list[str]) -> None:
    run()
