"""Workers: `glossary align` in one process, and on a LocalCluster of 1 and 2 workers.

Whole runs use the scale series' stand-in encoder (benchmarks/scale.py) on its synthetic
corpora, each run in a fresh process with an empty cache. The encode rows time the real model
on the seeds' candidate phrases: one process (torch on every core) against 1 and 2 workers
(the cores shared among them), model loads included, in fresh processes.

    python -m benchmarks workers [--sizes 1,4] [--phrases 512]   # then docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import SEEDS, SHARED, machine, model_path, now, read_result, write_result
from benchmarks.scale import corpus_for, run_in_subprocess

LAYOUTS = (None, 1, 2)  # one process (no dask), then LocalClusters of 1 and 2 workers


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def whole_runs(sizes: list[int]) -> list[dict]:
    concepts = SHARED / "eval" / "dev_catalog.csv"  # as the scale series keys its runs
    concepts = concepts if concepts.exists() else None
    rows = []
    for factor in sizes:
        corpus = corpus_for(factor)
        for workers in LAYOUTS:
            print(f"workers: {factor}x, workers={workers} ...", flush=True)
            before = load_average()
            row = run_in_subprocess(
                corpus, stand_in=True, limit=1500.0, concepts=concepts, workers=workers
            )
            row.update(factor=factor, workers=workers, load_before=before)
            row["load_after"] = load_average()
            print(f"workers: {json.dumps(row)}", flush=True)
            rows.append(row)
    return rows


def encode_phrases(count: int) -> list[str]:
    """The seeds' top candidate phrases, as many as asked."""
    from glossary.corpus import read_corpus
    from glossary.extract import extract_candidates

    found = extract_candidates(read_corpus([SEEDS]).documents)
    return [c.form for c in sorted(found, key=lambda c: (-c.score, c.lang, c.key))][:count]


def encode_one(phrases_file: Path, workers: int | None) -> dict:
    """In this process: encode the phrases with the real model, here or on a LocalCluster."""
    from glossary.cluster import ClusterOptions, open_cluster
    from glossary.embed import Embedder

    phrases = json.loads(phrases_file.read_text(encoding="utf-8"))
    began = time.perf_counter()
    options = ClusterOptions(workers=workers) if workers else None
    with tempfile.TemporaryDirectory(prefix="glossary-workers-") as cache, \
            open_cluster(options) as cluster:  # fmt: skip
        started = time.perf_counter() - began
        embedder = Embedder(model_path(), cache)
        embedder.cluster = cluster
        vectors = embedder.encode(phrases, task="document")
        embedder.cache.close()
    total = time.perf_counter() - began
    return {
        "phrases": len(phrases),
        "dim": int(vectors.shape[1]),
        "cluster_start_seconds": round(started, 2),
        "seconds": round(total, 2),  # cluster start, model loads and encoding
        "phrases_per_second": round(len(phrases) / total, 1),
    }


def encode_runs(count: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="glossary-phrases-") as tmp:
        phrases_file = Path(tmp) / "phrases.json"
        phrases_file.write_text(json.dumps(encode_phrases(count), ensure_ascii=False))
        for workers in LAYOUTS:
            print(f"workers: encode, workers={workers} ...", flush=True)
            cmd = [sys.executable, "-m", "benchmarks.workers", "encode-one", str(phrases_file)]
            if workers:
                cmd += ["--workers", str(workers)]
            before = load_average()
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1500)
            lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
            row = json.loads(lines[-1][7:]) if lines else {"error": proc.stderr[-500:]}
            row.update(workers=workers, load_before=before, load_after=load_average())
            print(f"workers: {json.dumps(row)}", flush=True)
            rows.append(row)
    return rows


def _nothing(n: int) -> int:
    return n


def task_overhead(tasks: int = 3907) -> dict:
    """Seconds for as many no-op tasks as 10^6 texts make chunks of 256, on 2 worker processes."""
    from glossary.cluster import ClusterOptions, open_cluster

    with open_cluster(ClusterOptions(workers=2)) as cluster:
        cluster.client.gather(cluster.client.map(_nothing, range(64), pure=False))  # warm
        began = time.perf_counter()
        cluster.client.gather(cluster.client.map(_nothing, range(tasks), pure=False))
        seconds = time.perf_counter() - began
    return {"tasks": tasks, "seconds": round(seconds, 2), "load": load_average()}


def series(sizes: list[int], phrases: int) -> dict:
    result = {
        "date": now(),
        "machine": machine(),
        "note": "2 cores shared with other jobs: load averages are recorded per run",
        "whole_runs": whole_runs(sizes),
        "encode": encode_runs(phrases) if phrases else [],
        "task_overhead": task_overhead(),
        "model": Path(model_path()).name,
    }
    write_result("scale_workers", result)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "command", nargs="?", default="series", choices=["series", "encode-one", "overhead"]
    )
    parser.add_argument("phrases_file", nargs="?", type=Path)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--sizes", default="1,4")
    parser.add_argument("--phrases", type=int, default=512)
    args = parser.parse_args(argv)
    if args.command == "encode-one":
        print("RESULT " + json.dumps(encode_one(args.phrases_file, args.workers)), flush=True)
        return
    if args.command == "overhead":  # only the task overhead, into the existing result
        result = read_result("scale_workers") or {}
        result["task_overhead"] = task_overhead()
        write_result("scale_workers", result)
        return
    series([int(s) for s in args.sizes.split(",") if s], args.phrases)


if __name__ == "__main__":
    main()
