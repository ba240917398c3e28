"""Scale: `glossary align` on synthetic corpora 1x, 4x, 16x, 64x the seeds, per stage.

Each size runs in a process of its own (fresh cache, fresh workbook), which reports its
stage times, peak RSS and counts. Encoding every candidate with the real model grows with
the corpus at about 100 phrases/s on this machine, so the series runs the encode stage with a
stand-in: a deterministic character-trigram hashing model with the same encode() interface
and vector size, behind the product's own Embedder (cache, chunks, resume all real). Reading,
extraction, alignment and the workbook are always the product's. --real-sizes also runs
sizes with the real model (the speed benchmark's cold run is the real model at 1x).

    python -m benchmarks.scale series [--sizes 1,4,16,64] [--real-sizes 1] [--limit 1500]
    python -m benchmarks.scale one CORPUS --stand-in --delay 0.05   # one run, JSON at the end
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from functools import partial
from pathlib import Path

import numpy as np

from benchmarks import (
    SEEDS,
    SHARED,
    WORK,
    machine,
    model_path,
    now,
    read_result,
    write_result,
)
from glossary.backends import Choice
from glossary.embed import Embedder, WorkerModel

STAGES = ("read", "extract", "embed", "align", "write")
STAND_IN = "hashing-stand-in-768"
DIM = 768  # the real model's vector size, so memory is like a real run's


class HashingModel:
    """A stand-in for a SentenceTransformer: unit vectors of hashed character trigrams.

    Similar strings get similar vectors, so alignment has real work to do; delay (seconds per
    text) lets a test catch a run mid-encode.
    """

    prompts: dict[str, str] = {}

    def __init__(self, dim: int = DIM, delay: float = 0.0):
        self.dim = dim
        self.delay = delay

    def encode(self, texts, prompt=None, batch_size=64, normalize_embeddings=True, **_ignored):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            padded = f"  {(prompt or '') + text.casefold()} "
            for i in range(len(padded) - 2):
                h = zlib.crc32(padded[i : i + 3].encode())
                out[row, h % self.dim] += 1.0 if h & 0x80000000 else -1.0
        if normalize_embeddings:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out /= np.where(norms > 0, norms, 1.0)
        if self.delay:
            time.sleep(self.delay * len(texts))
        return out


def stand_in_on_worker(delay: float = 0.0) -> tuple[HashingModel, Choice]:
    """The stand-in as a cluster worker loads it (glossary/cluster.py)."""
    return HashingModel(delay=delay), Choice("torch")


class StandInEmbedder(Embedder):
    """The product's Embedder (cache, chunking, resume) with HashingModel instead of a network."""

    def __init__(self, model=None, cache_dir=None, delay: float = 0.0):
        super().__init__(STAND_IN, cache_dir)
        self._model = HashingModel(delay=delay)
        self.delay = delay

    def worker_model(self) -> WorkerModel:
        return WorkerModel(
            f"{STAND_IN}|{self.delay}", partial(stand_in_on_worker, self.delay), _cpu_torch
        )


def _cpu_torch() -> Choice:
    return Choice("torch")


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _count_cpu(pipeline, embedder_factory, rss: dict[str, float]) -> dict[str, float]:
    """Wrap the pipeline's stage functions so each adds its CPU time to the returned dict, and
    puts the process's peak RSS at the stage's end into rss (the peak is a running maximum:
    a stage that raises it is the stage that needed the memory)."""
    cpu: dict[str, float] = {}

    def counted(stage, fn, minus=()):
        def wrapper(*args, **kwargs):
            began, before = time.process_time(), {k: cpu.get(k, 0.0) for k in minus}
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.process_time() - began
                spent -= sum(cpu.get(k, 0.0) - before[k] for k in minus)  # nested stages
                cpu[stage] = cpu.get(stage, 0.0) + spent
                rss[stage] = peak_rss_mb()

        return wrapper

    def make_embedder(*args, **kwargs):
        embedder = embedder_factory(*args, **kwargs)
        embedder.encode = counted("embed", embedder.encode)
        return embedder

    pipeline.Embedder = make_embedder
    pipeline.read_corpus = counted("read", pipeline.read_corpus)
    pipeline.extract_candidates = counted("extract", pipeline.extract_candidates)
    pipeline.align = counted("align", pipeline.align, minus=("embed",))
    pipeline.store.update = counted("write", pipeline.store.update)
    return cpu


def run_one(
    corpus: Path,
    glossary: Path,
    cache: Path,
    *,
    stand_in: bool,
    delay: float = 0.0,
    concepts: Path | None = None,
    workers: int | None = None,
    settings=None,
) -> dict:
    """One `glossary align` run in this process (on a LocalCluster of `workers` processes when
    given); stage seconds, counts and peak RSS (of this process, not the workers)."""
    import glossary.pipeline as pipeline
    from glossary.cluster import ClusterOptions

    factory = partial(StandInEmbedder, delay=delay) if stand_in else pipeline.Embedder
    rss: dict[str, float] = {}
    cpu = _count_cpu(pipeline, factory, rss)

    def progress(done: int, total: int) -> None:
        print(f"PROGRESS {done} {total}", flush=True)  # the resume test watches this line

    began = time.perf_counter()
    run = pipeline.run_align(
        [corpus],
        glossary,
        concepts_file=concepts,
        model=None if stand_in else model_path(),
        cache_dir=cache,
        force=True,
        progress=progress,
        cluster=ClusterOptions(workers=workers) if workers else None,
        settings=settings,
    )
    total = time.perf_counter() - began
    stats = run.stats.to_dict()
    return {
        "documents": len(run.corpus.documents),
        "characters": sum(len(d.text) for d in run.corpus.documents),
        "candidates": stats.get("candidates"),
        "concepts": stats.get("concepts"),
        "new_concepts": stats.get("new_concepts"),
        "terms": sum((stats.get("terms_per_language") or {}).values()),
        "encoded_texts": stats.get("encoded_texts"),
        "model_seconds": stats.get("model_seconds"),
        "seconds": {k: round(run.timings.get(k, 0.0), 2) for k in STAGES},
        "cluster_seconds": round(run.timings.get("cluster", 0.0), 2),
        "total_seconds": round(total, 2),
        # CPU seconds (all threads) per stage: steadier than wall time on a shared machine
        "cpu_seconds": {k: round(cpu.get(k, 0.0), 2) for k in STAGES},
        "cpu_total_seconds": round(sum(cpu.values()), 2),
        "peak_rss_mb": peak_rss_mb(),
        "peak_rss_mb_by_stage_end": {k: rss[k] for k in STAGES if k in rss},
        "neighbours": neighbour_summary(stats.get("neighbours") or []),
        "embedder": STAND_IN if stand_in else Path(model_path()).name,
        "workers": workers,
    }


def neighbour_summary(searches: list[dict]) -> dict[str, dict[str, float]]:
    """Per index kind: searches, the largest base searched, and seconds in all."""
    out: dict[str, dict[str, float]] = {}
    for s in searches:
        row = out.setdefault(s["index"], {"searches": 0, "largest_base": 0, "seconds": 0.0})
        row["searches"] += 1
        row["largest_base"] = max(row["largest_base"], s["base"])
        row["seconds"] = round(row["seconds"] + s["seconds"], 2)
    return out


def run_in_subprocess(
    corpus: Path, *, stand_in: bool, limit: float, concepts: Path | None, workers: int | None = None
) -> dict:
    """run_one in a fresh process with an empty cache, so sizes do not share memory or vectors."""
    with tempfile.TemporaryDirectory(prefix="glossary-scale-") as tmp:
        cmd = [sys.executable, "-m", "benchmarks.scale", "one", str(corpus), "--cache", tmp]
        cmd += ["--glossary", str(Path(tmp) / "terms.xlsx")]
        if stand_in:
            cmd.append("--stand-in")
        if concepts:
            cmd += ["--concepts", str(concepts)]
        if workers:
            cmd += ["--workers", str(workers)]
        began = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=limit)
        except subprocess.TimeoutExpired:
            return {"timed_out_after_s": limit}
        wall = time.perf_counter() - began
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
        if proc.returncode or not lines:
            return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:]}
        result = json.loads(lines[-1][len("RESULT ") :])
        result["process_seconds"] = round(wall, 2)  # with interpreter start and imports
        return result


def exponent(sizes: list[float], times: list[float]) -> float | None:
    """Slope of log(time) against log(size): 1 is linear, 2 quadratic."""
    pairs = [(s, t) for s, t in zip(sizes, times) if s > 0 and t and t > 0]
    if len(pairs) < 2:
        return None
    x = np.log([p[0] for p in pairs])
    y = np.log([max(p[1], 0.01) for p in pairs])
    return round(float(np.polyfit(x, y, 1)[0]), 2)


def growth(rows: list[dict]) -> dict:
    """Exponents per stage and for the whole run against corpus characters (fitted over all
    sizes, and between the two largest, where a quadratic term would show) and against the
    candidate count (alignment must not be quadratic in it)."""
    rows = [r for r in rows if "seconds" in r]
    chars = [r["characters"] for r in rows]
    cands = [r["candidates"] for r in rows]
    out: dict[str, dict[str, float | None]] = {}
    for name in (*STAGES, "total"):
        times = [r["total_seconds"] if name == "total" else r["seconds"][name] for r in rows]
        out[name] = {
            "all_sizes": exponent(chars, times),
            "two_largest": exponent(chars[-2:], times[-2:]) if len(rows) >= 3 else None,
            "vs_candidates": exponent(cands, times),
        }
    cpu_rows = [r for r in rows if "cpu_seconds" in r]
    for name in (*STAGES, "total"):
        times = [
            r["cpu_total_seconds"] if name == "total" else r["cpu_seconds"][name] for r in cpu_rows
        ]
        sizes = [r["characters"] for r in cpu_rows]
        out[f"{name} (CPU)"] = {
            "all_sizes": exponent(sizes, times),
            "two_largest": exponent(sizes[-2:], times[-2:]) if len(cpu_rows) >= 3 else None,
            "vs_candidates": exponent([r["candidates"] for r in cpu_rows], times),
            "vs_candidates_two_largest": exponent(
                [r["candidates"] for r in cpu_rows[-2:]], times[-2:]
            )
            if len(cpu_rows) >= 3
            else None,
        }
    for name in ("candidates", "peak_rss_mb"):
        values = [r[name] for r in rows]
        out[name] = {
            "all_sizes": exponent(chars, values),
            "two_largest": exponent(chars[-2:], values[-2:]) if len(rows) >= 3 else None,
            "vs_candidates": None,
        }
    return out


def corpus_for(factor: int) -> Path:
    """The synthetic corpus of this size, generated once under benchmarks/work/."""
    from benchmarks.synth import make_corpus

    folder = WORK / "scale" / f"{factor}x"
    if not (folder / ".done").exists():
        shutil.rmtree(folder, ignore_errors=True)
        make_corpus(SEEDS, folder, factor)
        (folder / ".done").write_text("ok", encoding="utf-8")
    return folder


def _guess(done: list[dict], factor: int) -> float:
    """Seconds a run of this size should take, extrapolated from the sizes already run with
    their own growth exponent (at least linear)."""
    last = done[-1]
    k = 1.2
    if len(done) >= 2:
        k = exponent([r["factor"] for r in done[-2:]], [r["process_seconds"] for r in done[-2:]])
        k = max(1.0, k or 1.2)
    return last["process_seconds"] * (factor / last["factor"]) ** k


def main(
    sizes=(1, 4, 16, 64),
    real_sizes=(),
    limit: float = 1500.0,
    budget: float = 2400.0,
    append: bool = False,
):
    """The whole series; stops before a size whose run would, extrapolated, overrun the budget.
    With append, sizes already in results/scale.json are kept and only the others are run."""
    concepts = SHARED / "eval" / "dev_catalog.csv"
    concepts = concepts if concepts.exists() else None
    started = time.perf_counter()
    series: dict[str, list[dict]] = {"stand_in": [], "real_model": []}
    skipped = []
    previous = (read_result("scale") or {}) if append else {}
    for kind, rows in previous.get("series", {}).items():
        keep = set(real_sizes if kind == "real_model" else sizes)
        series[kind] = [r for r in rows if "total_seconds" in r and r["factor"] not in keep]
    for kind, factors in (("stand_in", sizes), ("real_model", real_sizes)):
        for factor in factors:
            corpus = corpus_for(factor)
            done = [r for r in series[kind] if "total_seconds" in r and r["factor"] < factor]
            spent = time.perf_counter() - started
            if done:
                guess = _guess(done, factor)
                if spent + guess > budget or guess > limit:
                    skipped.append(f"{kind} {factor}x: estimated {guess:.0f} s, over the limit")
                    print(f"scale: skip {kind} {factor}x (estimated {guess:.0f} s)", flush=True)
                    continue
            print(f"scale: {kind} {factor}x ...", flush=True)
            row = run_in_subprocess(
                corpus, stand_in=kind == "stand_in", limit=limit, concepts=concepts
            )
            row["factor"] = factor
            series[kind] = sorted([*series[kind], row], key=lambda r: r["factor"])
            print(f"scale: {kind} {factor}x {json.dumps(row)}", flush=True)
    result = {
        "date": now(),
        "machine": machine(),
        "model": Path(model_path()).name,
        "stand_in": f"{STAND_IN}: character-trigram hashing in the product's Embedder",
        "concepts_file": "../shared/eval/dev_catalog.csv" if concepts else None,
        "series": series,
        "growth": {kind: growth(rows) for kind, rows in series.items() if len(rows) >= 2},
        "skipped": skipped,
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_result("scale", result)
    return result


def cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    one = sub.add_parser("one", help="one run in this process; prints RESULT {json}")
    one.add_argument("corpus", type=Path)
    one.add_argument("--glossary", type=Path, default=None)
    one.add_argument("--cache", type=Path, required=True)
    one.add_argument("--concepts", type=Path, default=None)
    one.add_argument("--stand-in", action="store_true")
    one.add_argument("--delay", type=float, default=0.0, help="stand-in seconds per text")
    one.add_argument("--workers", type=int, default=None, help="on a LocalCluster of N workers")
    one.add_argument(
        "--without-faiss", action="store_true",
        help="as if faiss were not installed: exact search and discovery's 6,000 cap",
    )  # fmt: skip
    one.add_argument(
        "--exact-max", type=int, default=None,
        help="searches up to this many squared pairs are exact (default: the settings')",
    )  # fmt: skip
    series = sub.add_parser("series", help="the whole series (default)")
    series.add_argument("--sizes", default="1,4,16,64")
    series.add_argument("--real-sizes", default="")
    series.add_argument("--limit", type=float, default=1500.0, help="seconds per run")
    series.add_argument("--budget", type=float, default=2400.0, help="seconds for the series")
    series.add_argument(
        "--append", action="store_true", help="keep the sizes already in results/scale.json"
    )
    args = parser.parse_args(argv)
    if args.command == "one":
        if args.without_faiss:
            sys.modules["faiss"] = None  # `import faiss` fails from here on
        glossary = args.glossary or args.cache / "terms.xlsx"
        settings = None
        if args.exact_max is not None:
            from glossary.alignment import default_settings

            settings = default_settings().with_changes(neighbours_exact_max=args.exact_max)
        result = run_one(
            args.corpus, glossary, args.cache, stand_in=args.stand_in, delay=args.delay,
            concepts=args.concepts, workers=args.workers, settings=settings,
        )  # fmt: skip
        print("RESULT " + json.dumps(result), flush=True)
        return
    sizes = [int(s) for s in getattr(args, "sizes", "1,4,16,64").split(",") if s]
    real = [int(s) for s in getattr(args, "real_sizes", "").split(",") if s]
    main(
        sizes,
        real,
        getattr(args, "limit", 1500.0),
        getattr(args, "budget", 2400.0),
        getattr(args, "append", False),
    )


if __name__ == "__main__":
    cli()
