"""Discovery with and without its old 6,000-per-language cap, on synthetic scaled corpora.

The synthetic corpora (benchmarks/synth.py) are made of the seeds' sentences, recombined and
perturbed, so the dev gold's concepts (../shared/eval/dev_gold.json) are planted throughout
them at known forms. Each size runs `glossary align` in discovery mode (no concept list) with
the stand-in encoder (benchmarks/scale.py), twice, each in a fresh process with an empty cache:

- capped: as without faiss: exact search, each language's best 6,000 candidates by termhood;
- uncapped: with faiss: every candidate, the IVF index past 6,000 x 6,000 pairs;
- uncapped exact: every candidate, all searches exact (the index's own cost in quality).

Each export is scored by ../shared/eval/score.py --mode discovery (pair precision, pair
recall, extraction recall over the planted concepts). And how much of exact search the faiss
index finds on the stand-in vectors of the two largest languages. Writes
results/discovery_cap.json.

    python -m benchmarks discovery_cap [FACTOR ...]     # default: 16
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import SHARED, machine, now, write_result
from benchmarks.scale import corpus_for

GOLD = SHARED / "eval" / "dev_gold.json"
SCORER = SHARED / "eval" / "score.py"
# capped: as without faiss; uncapped: with faiss; uncapped exact: every candidate, exact search
# (what the index costs in quality, apart from what the cap costs)
MODES = {
    "capped": ["--without-faiss"],
    "uncapped": [],
    "uncapped exact": ["--exact-max", "1000000000"],
}


def export_csv(workbook: Path, out: Path) -> None:
    """The workbook's term rows in the scorer's columns."""
    from glossary import store

    glossary = store.load(workbook)
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["concept_id", "lang", "term", "status"])
        for t in glossary.terms:
            writer.writerow([t.concept_id, t.lang, t.term, t.status])


def run_mode(corpus: Path, mode: str, limit: float) -> dict:
    """One discovery run of this corpus in a fresh process, scored against the planted gold."""
    with tempfile.TemporaryDirectory(prefix="glossary-cap-") as tmp:
        workbook = Path(tmp) / "terms.xlsx"
        cmd = [sys.executable, "-m", "benchmarks.scale", "one", str(corpus), "--stand-in"]
        cmd += ["--cache", tmp, "--glossary", str(workbook), *MODES[mode]]
        began = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
        except subprocess.TimeoutExpired:
            return {"timed_out_after_s": limit}
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
        if proc.returncode or not lines:
            return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:]}
        run = json.loads(lines[-1][len("RESULT ") :])
        run["process_seconds"] = round(time.perf_counter() - began, 2)
        export = Path(tmp) / "export.csv"
        export_csv(workbook, export)
        scored = subprocess.run(
            [sys.executable, str(SCORER), str(GOLD), str(export), "--mode", "discovery", "--json"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return {"run": run, "score": json.loads(scored.stdout)}


def index_recall(corpus: Path, k: int = 10) -> dict:
    """How much of exact search the faiss index finds on this corpus's stand-in vectors: the
    two largest languages, each one's top-k among the other's."""
    import numpy as np

    from benchmarks.scale import HashingModel
    from glossary.alignment import default_settings
    from glossary.alignment.neighbours import IvfIndex, topk_both_ways
    from glossary.corpus import read_corpus
    from glossary.extract import extract_candidates

    forms: dict[str, list[str]] = {}
    for cand in extract_candidates(read_corpus([corpus]).documents):
        forms.setdefault(cand.lang, []).append(cand.form)
    a, b = sorted(forms, key=lambda lang: -len(forms[lang]))[:2]
    model = HashingModel()
    va, vb = model.encode(forms[a]), model.encode(forms[b])
    (exact_ab, _), (exact_ba, _) = topk_both_ways(va, vb, k)
    probes = default_settings().neighbours_nprobe
    index_b, index_a = IvfIndex(vb, probes), IvfIndex(va, probes)
    found_ab, found_ba = index_b.search(va, k)[0], index_a.search(vb, k)[0]
    exact, found = np.vstack([exact_ab, exact_ba]), np.vstack([found_ab, found_ba])
    top_k = np.mean([len(set(f) & set(e)) / k for f, e in zip(found, exact)])
    return {
        "languages": [a, b], "sizes": [len(va), len(vb)], "k": k, "lists": index_b.lists,
        "probes": index_b.nprobe, "top1_recall": round(float(np.mean(found[:, 0] == exact[:, 0])), 4),
        "topk_recall": round(float(top_k), 4),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> dict:
    factors = [int(a) for a in (argv or []) if a.isdigit()] or [16]
    rows, recalls = [], []
    for factor in factors:
        corpus = corpus_for(factor)
        for mode in MODES:
            print(f"discovery_cap: {factor}x {mode} ...", flush=True)
            row = {"factor": factor, "mode": mode, **run_mode(corpus, mode, limit=1800.0)}
            print(f"discovery_cap: {json.dumps(row)}", flush=True)
            rows.append(row)
        recall = {"factor": factor, **index_recall(corpus)}
        print(f"discovery_cap: index recall {json.dumps(recall)}", flush=True)
        recalls.append(recall)
    result = {
        "date": now(),
        "machine": machine(),
        "encoder": "hashing-stand-in-768 (benchmarks/scale.py)",
        "gold": "../shared/eval/dev_gold.json (its concepts recur throughout the synthetic corpora)",
        "rows": rows,
        "index_recall": recalls,
    }
    write_result("discovery_cap", result)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
