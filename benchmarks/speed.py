"""Speed: `glossary align seeds/` per stage, cold (empty cache) and warm, against the floor.

The floor is the model encoding the same unique strings directly with sentence-transformers
(with the same document prompt, sorted by length, batches of 64), measured in the same run. The aim is cold end-to-end /
pure encode <= 1.3 and warm end-to-end under 5 s. Each align process's peak RSS is its own
(os.wait4: the figure GNU time -v reports as maximum resident set size); the aim for the cold
run is under 1.5 GB.

    python -m benchmarks speed [--warm-runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import SEEDS, Timer, machine, model_path, now, write_result

STAGES = ("read", "extract", "embed", "align", "write")
PURE_ENCODE = """
import json, sys, time
began = time.perf_counter()
from sentence_transformers import SentenceTransformer
model = SentenceTransformer(sys.argv[1])
loaded = time.perf_counter() - began
texts = json.load(open(sys.argv[2], encoding="utf-8"))
texts = sorted(texts, key=len)
prompt = (model.prompts or {}).get("document") or None  # what the product puts before a term
began = time.perf_counter()
model.encode(texts, prompt=prompt, batch_size=64, normalize_embeddings=True,
             convert_to_numpy=True, show_progress_bar=False)
print(json.dumps({"texts": len(texts), "encode_seconds": time.perf_counter() - began,
                  "load_seconds": loaded}))
"""


def unique_texts(seeds: Path = SEEDS) -> list[str]:
    """The strings `glossary align seeds/` (no concept list) sends to the model: each
    candidate's form in the corpus languages, once."""
    from glossary.corpus import read_corpus
    from glossary.extract import extract_candidates

    corpus = read_corpus([seeds])
    langs = {d.lang for d in corpus.documents}
    candidates = [c for c in extract_candidates(corpus.documents) if c.lang in langs]
    by_lang: dict[str, list[str]] = {}
    for c in candidates:
        by_lang.setdefault(c.lang, []).append(c.form)
    return list(dict.fromkeys(t for lang in sorted(by_lang) for t in by_lang[lang]))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_measured(cmd: list[str]) -> tuple[subprocess.CompletedProcess, float, float, int]:
    """Run a process to its end: its result, wall seconds, CPU seconds and peak RSS in MB."""
    began = time.perf_counter()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out, tempfile.TemporaryFile(
        "w+", encoding="utf-8"
    ) as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - began
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(cmd, proc.returncode, out.read(), err.read())
    return done, wall, usage.ru_utime + usage.ru_stime, round(usage.ru_maxrss / 1024)


def align_process(seeds: Path, cache: Path, workbook: Path, model: str) -> dict:
    """`glossary align` as a user runs it (a new process); wall time and its own stage times."""
    exe = Path(sys.executable).with_name("glossary")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "glossary.cli"]
    cmd += ["align", str(seeds), "-g", str(workbook), "--cache-dir", str(cache)]
    cmd += ["--model", model, "--json"]
    proc, wall, cpu, rss = _run_measured(cmd)
    if proc.returncode:
        raise RuntimeError(f"glossary align failed: {proc.stderr.strip()[-500:]}")
    data = json.loads(proc.stdout)
    seconds = {k: data["seconds"].get(k, 0.0) for k in STAGES}
    return {
        "end_to_end_seconds": round(wall, 2),
        # CPU seconds of the process, all threads: steadier than wall time on a shared machine
        "cpu_seconds": round(cpu, 2),
        "peak_rss_mb": rss,
        "stages": seconds,
        # interpreter start, imports, model load: what the stage timers do not see
        "outside_stages_seconds": round(wall - sum(seconds.values()), 2),
        "model_seconds": data.get("model_seconds"),
        "encoded_texts": data.get("encoded_texts"),
        "candidates": data.get("candidates"),
    }


def pure_encode(texts: list[str], model: str, folder: Path) -> dict:
    """Encode texts with sentence-transformers alone, in a fresh process."""
    path = folder / "texts.json"
    path.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    cpu = _children_cpu()
    proc = subprocess.run(
        [sys.executable, "-c", PURE_ENCODE, model, str(path)], capture_output=True, text=True
    )
    cpu = _children_cpu() - cpu
    if proc.returncode:
        raise RuntimeError(f"pure encode failed: {proc.stderr.strip()[-500:]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    data["process_cpu_seconds"] = cpu  # with imports and model load
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in data.items()}


def cold_record(result: dict, cold: dict, load_before: float) -> dict:
    """The cold run on its own (benchmarks/results/cold_align.json)."""
    return {"date": result["date"], "machine": result["machine"], "model": result["model"],
            "unique_texts": result["unique_texts"], "cold": cold,
            "load_average_before": load_before,
            "load_average_after": machine()["load_average"]}  # fmt: skip


def main(model: str | None = None, seeds: Path = SEEDS, warm_runs: int = 3) -> dict:
    """Cold run, pure encode, warm runs; write benchmarks/results/speed.json."""
    model = model or model_path()
    result: dict = {"date": now(), "machine": machine(), "model": Path(model).name}
    with tempfile.TemporaryDirectory(prefix="glossary-speed-") as tmp:
        folder = Path(tmp)
        cache = folder / "cache"
        with Timer() as t:
            texts = unique_texts(seeds)
        result["unique_texts"] = len(texts)
        result["unique_texts_seconds"] = round(t.seconds, 1)
        load_before = machine()["load_average"]
        cold = align_process(seeds, cache, folder / "cold.xlsx", model)
        print(f"speed: cold {cold}", flush=True)
        # kept at once: on a busy machine the cold run alone can take most of an hour
        write_result("cold_align", cold_record(result, cold, load_before))
        floor = pure_encode(texts, model, folder)
        print(f"speed: pure encode {floor}", flush=True)
        warm = [
            align_process(seeds, cache, folder / f"warm{n}.xlsx", model) for n in range(warm_runs)
        ]
        print(f"speed: warm {[w['end_to_end_seconds'] for w in warm]}", flush=True)
    median = statistics.median(w["end_to_end_seconds"] for w in warm)
    result.update(
        {
            "cold": cold,
            "pure_encode": floor,
            "cold_over_pure_encode": round(cold["end_to_end_seconds"] / floor["encode_seconds"], 2),
            "cold_over_pure_encode_and_load": round(
                cold["end_to_end_seconds"] / (floor["encode_seconds"] + floor["load_seconds"]), 2
            ),
            "cold_cpu_over_pure_encode_process_cpu": round(
                cold["cpu_seconds"] / floor["process_cpu_seconds"], 2
            ),
            "warm_runs": warm,
            "warm_end_to_end_median_seconds": median,
            "warm_stages_median": {
                k: round(statistics.median(w["stages"][k] for w in warm), 2) for k in STAGES
            },
            # issue 17: cold align <= 0.6 x the floor, under 1.5 GB; warm under 5 s
            "aims": {"cold_over_pure_encode": 0.6, "cold_peak_rss_mb": 1500,
                     "warm_end_to_end_seconds": 5.0},  # fmt: skip
            "floor_prompt": "document",
            "load_average_after": machine()["load_average"],
        }
    )
    write_result("speed", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm-runs", type=int, default=3)
    main(warm_runs=parser.parse_args().warm_runs)
