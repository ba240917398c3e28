"""Confidence across two models: align the seeds against the dev catalog with each model,
let the dev gold play the reviewer (a proposal matching a gold form is accepted, any other
rejected), then fit `glossary calibrate` on those decisions and report the calibration error
on the held-out 30% before and after, with each model's keyed F1 and encoding time.

    python -m benchmarks.model_calibration MODEL_DIR [MODEL_DIR...]
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from benchmarks import ROOT, SHARED, WORK, now, write_result
from benchmarks.calibrate import load_scorer
from glossary import store
from glossary.calibration import calibrate, settings_for
from glossary.models import Glossary
from glossary.pipeline import run_align

CATALOG = SHARED / "eval" / "dev_catalog.csv"
GOLD = SHARED / "eval" / "dev_gold.json"


def reviewed(workbook: Path, gold: dict, score) -> tuple[int, int]:
    """Decide every proposal of a gold concept as the gold says; return (right, wrong)."""
    g = store.load(workbook)
    terms, right, wrong = [], 0, 0
    for t in g.terms:
        if t.status == "proposed" and t.concept_id in gold:
            forms = gold[t.concept_id]["forms"].get(t.lang, [])
            ok = any(score.term_match(t.term, f) for f in forms)
            right, wrong = right + ok, wrong + (not ok)
            t = replace(t, status="preferred" if ok else "rejected")
        terms.append(t)
    decided = Glossary(concepts=g.concepts, terms=terms, contexts=g.contexts, about=g.about)
    workbook.write_bytes(store.to_bytes(decided))
    return right, wrong


def measure(model: str, work: Path, score, gold: dict) -> dict:
    """One model: keyed F1 at its floors, then calibration from a low-floor, reviewed run."""
    name = Path(model).name
    cache = work / "cache"
    for old in work.glob(f"{name}-*.xlsx"):  # each run starts from empty workbooks
        old.unlink()
    began = time.perf_counter()
    keyed = run_align([ROOT / "seeds"], work / f"{name}-keyed.xlsx", concepts_file=CATALOG,
                      model=model, cache_dir=cache, discover_new=False)  # fmt: skip
    seconds = time.perf_counter() - began
    rows = [{"concept_id": t.concept_id, "lang": t.lang, "term": t.term}
            for t in store.load(work / f"{name}-keyed.xlsx").terms]  # fmt: skip
    f1 = score.score_keyed(gold, rows)
    wide = work / f"{name}-review.xlsx"
    run = run_align([ROOT / "seeds"], wide, concepts_file=CATALOG, model=model, cache_dir=cache,
                    discover_new=False, min_confidence=0.02)  # fmt: skip
    right, wrong = reviewed(wide, gold, score)
    label, _, fingerprint = run.model.rpartition("@")
    report = calibrate(wide, label, fingerprint, save=False)
    return {
        "model": run.model,
        "calibrated_as_shipped": settings_for(label, fingerprint, work / "none.xlsx").calibrated,
        "keyed_f1": f1["f1"],
        "precision": f1["precision"],
        "concept_recall": f1["concept_recall"],
        "align_seconds": round(seconds, 1),
        "model_seconds": keyed.stats.model_seconds,
        "decisions": {"right": right, "wrong": wrong},
        "held_out": report.calibration.held_out,
        "held_out_rows": report.held_out,
    }


def main(argv: list[str]) -> None:
    score = load_scorer()
    gold = score.load_gold(GOLD)
    work = WORK / "model_calibration"
    work.mkdir(parents=True, exist_ok=True)
    results = [measure(m, work, score, gold) for m in argv]
    write_result("model_calibration", {"date": now(), "models": results})
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
