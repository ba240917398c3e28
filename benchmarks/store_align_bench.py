"""Warm `glossary align seeds/` against `glossary candidates seeds/ --top 0 --json` (read and
extract alone), measured in one run.

    python benchmarks/store_align_bench.py                         # the tiny test model
    python benchmarks/store_align_bench.py --model PATH --cache-dir DIR   # e.g. EmbeddingGemma

Writes benchmarks/results/store_align.json, one entry per model (a run replaces its model's
entry): best of 3 wall seconds of each command, run as a user would (a fresh process each).
No concept list, as in the issue's target. With the tiny model (tests/tinymodel.py) embedding
costs almost nothing, so the ratio shows what reading, merging and writing the workbook add
to read + extract. With a real model, pass a cache that already holds the seeds' vectors (it
is copied first, so the bench never writes into it); then no text goes to the model, which is
what "warm" means. Each align's --json says how many texts it encoded, and the bench stops if
a warm run encoded any.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "store_align.json"


def timed(*args: str) -> tuple[float, dict]:
    """Wall seconds of `glossary ARGS` in a fresh process, and its --json output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLOSSARY_")}
    env.update(PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    began = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "glossary.cli", *args], cwd=ROOT, env=env, capture_output=True
    )
    seconds = time.perf_counter() - began
    if proc.returncode != 0:
        sys.exit(proc.stderr.decode("utf-8", "replace")[-2000:])
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        data = {}
    return seconds, data if isinstance(data, dict) else {}


def encoded(data: dict) -> int:
    return int(data.get("encoded_texts") or 0)


def best(runs: list[tuple[float, dict]], warm: bool) -> float:
    if warm and any(encoded(d) for _, d in runs):
        sys.exit("a warm align sent texts to the model: the cache does not hold the seeds")
    return min(s for s, _ in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a sentence-transformers folder (default: tiny model)")
    parser.add_argument("--cache-dir", type=Path, help="an embedding cache to copy and use")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
        cache = work / "cache"
        if args.cache_dir:
            shutil.copytree(args.cache_dir, cache)
        if args.model:
            model, label = args.model, Path(args.model).name
        else:
            sys.path.insert(0, str(ROOT / "tests"))
            from tinymodel import build_tiny_model

            model, label = str(build_tiny_model(work / "tiny-bert")), "tiny test model"
        common = ["--model", model, "--cache-dir", str(cache), "--json"]
        workbook = str(work / "terms.xlsx")
        candidates = min(timed("candidates", "seeds/", "--top", "0", "--json")[0] for _ in range(3))
        first = timed("align", "seeds/", "-g", workbook, *common)
        warm = [timed("align", "seeds/", "-g", workbook, *common) for _ in range(3)]
        fresh = [
            timed("align", "seeds/", "-g", str(work / f"new{i}.xlsx"), *common) for i in range(3)
        ]
    unchanged, new = best(warm, True), best(fresh, True)
    entry = {
        "model": label,
        "cache": "copied, warm" if args.cache_dir else "empty before the first align",
        "candidates_s": round(candidates, 2),
        "align_first_s": round(first[0], 2),
        "first_encoded_texts": encoded(first[1]),
        "align_warm_unchanged_s": round(unchanged, 2),
        "align_warm_new_workbook_s": round(new, 2),
        "ratio_warm_unchanged": round(unchanged / candidates, 2),
        "ratio_warm_new_workbook": round(new / candidates, 2),
        "warm_stage_seconds": fresh[-1][1].get("seconds", {}),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }
    try:
        runs = json.loads(RESULTS.read_text(encoding="utf-8")).get("runs", [])
    except (OSError, ValueError, AttributeError):
        runs = []
    runs = [r for r in runs if r.get("model") != label] + [entry]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"runs": runs}, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(entry))


if __name__ == "__main__":
    main()
