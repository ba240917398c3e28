"""Discovery beside a concept list: how many new-concept rows a new user gets, and how many are real.

Runs `glossary align seeds/ --concepts glossary/data/concepts.csv` as a new user would (a fresh
workbook, the shipped settings and calibration), takes every row of a "discovered" concept and
a deterministic sample of them. Each sampled row is judged by hand, in its context in the seeds,
"real" (a term, name, title or slogan a terminologist would file) or "junk"; the judgements live
in benchmarks/data/discovery_judged.csv (lang, term, judgement, reason) so a rerun reuses them
and lists the rows still unjudged. The same is done beside the dev catalog (../shared/eval), a
list the filters were not written against. Writes benchmarks/results/discovery.json.

The new-concept prior (settings.new_concept_prior: a new-concept row's confidence is its link
confidence times it) is the share of judged rows that are real over both runs, as a Beta(1, 1)
posterior mean, (real + 1) / (judged + 2); `--write` stores it in the settings file.

    python -m benchmarks discovery [--write]
"""

from __future__ import annotations

import csv
import hashlib
import os
from pathlib import Path

from benchmarks import ROOT, SEEDS, SHARED, WORK, model_path, now, write_result

CONCEPTS = ROOT / "glossary" / "data" / "concepts.csv"
DEV_CATALOG = SHARED / "eval" / "dev_catalog.csv"
JUDGED = ROOT / "benchmarks" / "data" / "discovery_judged.csv"
SAMPLE_SIZE = 40
CONFIDENT = 0.8  # the bar: 80% of the rows at or above it must be real terms
VERDICTS = ("real", "junk")


def sample_order(lang: str, term: str) -> str:
    """A row's place in the sample: a hash, so the same row keeps its place when filters drop
    others, and a rerun after a change mostly reuses the judgements already made."""
    return hashlib.sha256(f"{lang}\t{term}".encode()).hexdigest()


def read_judgements(path: Path = JUDGED) -> dict[tuple[str, str], tuple[str, str]]:
    """(lang, term) -> (judgement, reason) from the hand-judged file."""
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as f:
        return {
            (r["lang"], r["term"]): (r["judgement"].strip(), r["reason"].strip())
            for r in csv.DictReader(f)
            if r["judgement"].strip() in VERDICTS
        }


def aligned_rows(workbook: Path, cache: str | None, concepts: Path = CONCEPTS) -> tuple[list, set[str], str]:
    """Every term row of a fresh keyed run, the ids of the discovered concepts, and the model."""
    from glossary import store
    from glossary.pipeline import run_align

    if workbook.exists():
        workbook.unlink()
    run = run_align([SEEDS], workbook, concepts_file=concepts, model=model_path(), cache_dir=cache)
    glossary = store.load(workbook)
    discovered = {c.concept_id for c in glossary.concepts if c.status == "discovered"}
    return glossary.terms, discovered, run.model


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def tally(rows: list[dict]) -> dict:
    """Real and junk among judged rows."""
    judged = [r for r in rows if r["judgement"] in VERDICTS]
    real = sum(r["judgement"] == "real" for r in judged)
    return {"judged": len(judged), "real": real, "junk": len(judged) - real,
            "real_share": share(real, len(judged))}  # fmt: skip


def beside(concepts: Path, cache: str | None) -> dict:
    """The new-concept rows of one run beside a concept list, sampled and judged."""
    terms, discovered, model = aligned_rows(WORK / "discovery" / "terms.xlsx", cache, concepts)
    new_rows = [t for t in terms if t.concept_id in discovered]
    chosen = sorted(new_rows, key=lambda t: sample_order(t.lang, t.term))[:SAMPLE_SIZE]
    judgements = read_judgements()
    sample = []
    for t in sorted(chosen, key=lambda t: (t.concept_id, t.lang)):
        judgement, reason = judgements.get((t.lang, t.term), ("", ""))
        sample.append({"concept_id": t.concept_id, "lang": t.lang, "term": t.term,
                       "confidence": t.confidence, "frequency": t.frequency,
                       "context": t.context, "judgement": judgement, "reason": reason})  # fmt: skip
    confident = [r for r in sample if (r["confidence"] or 0.0) >= CONFIDENT]
    return {
        "model": model,
        "concepts_file": concepts.name if concepts == DEV_CATALOG else str(concepts.relative_to(ROOT)),
        "rows_total": len(terms),
        "keyed_rows": len(terms) - len(new_rows),
        "new_concept_rows": len(new_rows),
        "new_concept_share": share(len(new_rows), len(terms)),
        "new_concepts": len(discovered),
        "sample_size": len(sample),
        "overall": tally(sample),
        "confident": {"min_confidence": CONFIDENT, "rows": len(confident), **tally(confident)},
        "unjudged": [{"lang": r["lang"], "term": r["term"]} for r in sample if not r["judgement"]],
        "sample": sample,
    }


def fitted_prior(runs: list[dict]) -> dict:
    """The share of judged new-concept rows that are real, over every run: (real + 1) /
    (judged + 2)."""
    real = sum(r["overall"]["real"] for r in runs)
    judged = sum(r["overall"]["judged"] for r in runs)
    return {"real": real, "judged": judged, "prior": round((real + 1) / (judged + 2), 3)}


def run(cache: str | None = None, write: bool = False) -> dict:
    cache = cache or os.environ.get("GLOSSARY_TEST_CACHE") or None  # else ~/.cache/glossary
    runs = [beside(CONCEPTS, cache), beside(DEV_CATALOG, cache)]
    prior = fitted_prior(runs)
    result = {"date": now(), **runs[0], "dev_catalog": runs[1], "prior": prior}
    if write:
        from glossary.alignment.settings import SETTINGS_FILE, AlignSettings

        settings = AlignSettings.load(SETTINGS_FILE)
        settings.with_changes(new_concept_prior=prior["prior"]).save(SETTINGS_FILE)
    write_result("discovery", result)
    for r in runs:
        o, c = r["overall"], r["confident"]
        print(
            f"discovery beside {r['concepts_file']}: {r['new_concept_rows']} new-concept rows of "
            f"{r['rows_total']} ({r['new_concept_share']}); sample {r['sample_size']}: {o['real']} "
            f"real, {o['junk']} junk; confidence >= {CONFIDENT}: {c['real']} real of {c['rows']}"
        )
        for row in r["unjudged"]:
            print(f"  unjudged: {row['lang']}\t{row['term']}")
    print(f"discovery: new-concept prior {prior['prior']} ({prior['real']} real of "
          f"{prior['judged']} judged)" + (", written to the settings" if write else ""))  # fmt: skip
    return result


def main(argv: list[str]) -> None:
    run(write="--write" in argv)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
