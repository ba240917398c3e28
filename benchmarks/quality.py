"""Quality: `glossary align` on the seeds with the real model, scored by ../shared/eval/score.py.

Three modes (keyed with the dev catalog, keyed with the English glosses removed, discovery),
a naive baseline over the same candidates and model (top-1 candidate by raw cosine per
concept and language, above a threshold tuned on the same gold data, which flatters it), and
calibration: the fraction of right proposals per confidence bucket.

    python -m benchmarks quality
"""

from __future__ import annotations

import csv
import importlib.util
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np

from benchmarks import SEEDS, SHARED, WORK, Timer, machine, model_path, now, write_result
from glossary import store
from glossary.corpus import read_corpus
from glossary.embed import Embedder
from glossary.export import export
from glossary.extract import extract_candidates
from glossary.pipeline import run_align

BUCKETS = [(0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.0001)]


def load_scorer(shared: Path = SHARED):
    """../shared/eval/score.py as a module (it is a script, not a package)."""
    path = shared / "eval" / "score.py"
    spec = importlib.util.spec_from_file_location("glossary_eval_score", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def catalog_without_en(catalog: Path, out: Path) -> Path:
    """A copy of the concept catalog with the English gloss column emptied."""
    with catalog.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
        fields = list(rows[0].keys()) if rows else ["concept_id", "vi", "en", "kind"]
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fields)
        writer.writeheader()
        writer.writerows({**r, "en": ""} for r in rows)
    return out


def export_rows(workbook: Path, folder: Path, score) -> tuple[Path, list[dict]]:
    """The workbook as the long CSV that score.py reads, and its rows with confidences."""
    glossary = store.load(workbook)
    path = folder / f"{workbook.stem}.csv"
    path.write_text(export(glossary, "csv"), encoding="utf-8")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if (r.get("status") or "") != "rejected"]
    return path, rows


def is_right(gold: dict, row: dict, score) -> bool | None:
    """Whether a keyed row's term matches a gold form of its concept and language (None: the
    concept is not in the gold data, so the row cannot be judged)."""
    concept = gold.get(row["concept_id"])
    if concept is None:
        return None
    forms = concept["forms"].get(score.lang_key(row["lang"]), [])
    return any(score.term_match(row["term"], f) for f in forms)


def calibration(gold: dict, rows: list[dict], score) -> list[dict]:
    """Per confidence bucket: judged rows, fraction right, mean confidence."""
    table = []
    for low, high in BUCKETS:
        judged = []
        for r in rows:
            conf = float(r["confidence"]) if r.get("confidence") else None
            if conf is None or not low <= conf < high:
                continue
            right = is_right(gold, r, score)
            if right is not None:
                judged.append((conf, right))
        table.append(
            {
                "bucket": f"{low:.1f}-{min(high, 1.0):.1f}",
                "rows": len(judged),
                "right": round(sum(r for _c, r in judged) / len(judged), 3) if judged else None,
                "mean_confidence": round(float(np.mean([c for c, _r in judged])), 3)
                if judged
                else None,
            }
        )
    return table


def baseline(candidates, embedder, concepts: list[dict], langs, gold, score, use_en: bool):
    """Top-1 candidate by raw cosine per (concept, language); the threshold that maximises F1
    on the gold data itself. The query is the Vietnamese term, averaged with the English
    gloss as written when there is one (the same evidence the toolkit gets)."""
    by_lang = defaultdict(list)
    for cand in candidates:
        if cand.lang in langs:
            by_lang[cand.lang].append(cand)
    vi = embedder.encode([c["vi"] or c["concept_id"] for c in concepts])
    has_en = [bool(use_en and c.get("en")) for c in concepts]
    en = embedder.encode([c["en"] if h else c["vi"] for c, h in zip(concepts, has_en)])
    picks = []  # (similarity, row)
    for lang, cands in sorted(by_lang.items()):
        vec = embedder.encode([c.form for c in cands])
        sim_vi, sim_en = vec @ vi.T, vec @ en.T
        sim = np.where(np.array(has_en)[None, :], (sim_vi + sim_en) / 2, sim_vi)
        for j, concept in enumerate(concepts):
            i = int(np.argmax(sim[:, j]))
            row = {"concept_id": concept["concept_id"], "lang": lang, "term": cands[i].form}
            picks.append((float(sim[i, j]), row))
    best = None
    for threshold in sorted({round(s, 4) for s, _r in picks}):
        result = score.score_keyed(gold, [r for s, r in picks if s >= threshold])
        if best is None or result["f1"] > best[1]["f1"]:
            best = (threshold, result)
    threshold, result = best
    return {"threshold": threshold, **result}


def main(model: str | None = None, seeds: Path = SEEDS) -> dict:
    """Run the three modes and the baselines; write benchmarks/results/quality.json."""
    model = model or model_path()
    score = load_scorer()
    gold = score.load_gold(SHARED / "eval" / "dev_gold.json")
    catalog = SHARED / "eval" / "dev_catalog.csv"
    cache = WORK / "cache"  # shared between runs: quality is not about speed
    result: dict = {"date": now(), "machine": machine(), "model": Path(model).name, "modes": {}}
    with tempfile.TemporaryDirectory(prefix="glossary-quality-") as tmp:
        folder = Path(tmp)
        no_en = catalog_without_en(catalog, folder / "catalog_no_en.csv")
        modes = {
            "keyed": ("keyed", catalog),
            "keyed_no_en": ("keyed", no_en),
            "discovery": ("discovery", None),
        }
        for name, (scoring, concepts_file) in modes.items():
            workbook = folder / f"{name}.xlsx"
            with Timer() as t:
                run = run_align(
                    [seeds], workbook, concepts_file=concepts_file, model=model, cache_dir=cache
                )
            _path, rows = export_rows(workbook, folder, score)
            scores = (
                score.score_keyed(gold, rows)
                if scoring == "keyed"
                else score.score_discovery(gold, rows)
            )
            entry = {
                "scores": scores,
                "rows": len(rows),
                "candidates": run.stats.candidates,
                "seconds": round(t.seconds, 1),
            }
            if scoring == "keyed":
                entry["calibration"] = calibration(gold, rows, score)
            result["modes"][name] = entry
            print(f"quality: {name} {scores}", flush=True)

        # The baseline sees the very candidates and vectors the toolkit saw.
        corpus = read_corpus([seeds])
        candidates = extract_candidates(corpus.documents)
        langs = {d.lang for d in corpus.documents}
        with catalog.open(encoding="utf-8", newline="") as fh:
            concepts = list(csv.DictReader(fh))
        embedder = Embedder(model, cache)
        for name, use_en in (("keyed", True), ("keyed_no_en", False)):
            base = baseline(candidates, embedder, concepts, langs, gold, score, use_en)
            toolkit = result["modes"][name]["scores"]
            result["modes"][name]["baseline"] = base
            result["modes"][name]["f1_ratio"] = (
                round(toolkit["f1"] / base["f1"], 2) if base["f1"] else None
            )
            print(f"quality: baseline {name} {base}", flush=True)
        embedder.cache.close()
    write_result("quality", result)
    return result


if __name__ == "__main__":
    main()
