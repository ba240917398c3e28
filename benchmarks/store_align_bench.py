"""Warm `glossary align seeds/` against `glossary candidates seeds/ --top 0 --json` (read and
extract alone), with the tiny test model (tests/tinymodel.py) standing in for the real one.

    python benchmarks/store_align_bench.py

Writes benchmarks/results/store_align.json: best of 3 wall seconds of each command, run as a
user would (a fresh process each). With the tiny model, embedding costs almost nothing, so the
ratio shows what reading, merging and writing the workbook add to read + extract.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "store_align.json"


def timed(*args: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLOSSARY_")}
    env.update(PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    began = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "glossary.cli", *args], cwd=ROOT, env=env, capture_output=True
    )
    if proc.returncode != 0:
        sys.exit(proc.stderr.decode("utf-8", "replace")[-2000:])
    return time.perf_counter() - began


def main() -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from tinymodel import build_tiny_model

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
        model = build_tiny_model(work / "tiny-bert")
        common = ["--model", str(model), "--cache-dir", str(work / "cache")]
        workbook = str(work / "terms.xlsx")
        candidates = min(timed("candidates", "seeds/", "--top", "0", "--json") for _ in range(3))
        cold = timed("align", "seeds/", "-g", workbook, *common)
        warm = min(timed("align", "seeds/", "-g", workbook, *common) for _ in range(3))
        fresh = min(
            timed("align", "seeds/", "-g", str(work / f"new{i}.xlsx"), *common) for i in range(3)
        )
    result = {
        "model": "tiny test model (tests/tinymodel.py)",
        "candidates_s": round(candidates, 2),
        "align_cold_s": round(cold, 2),
        "align_warm_unchanged_s": round(warm, 2),
        "align_warm_new_workbook_s": round(fresh, 2),
        "ratio_warm_unchanged": round(warm / candidates, 2),
        "ratio_warm_new_workbook": round(fresh / candidates, 2),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
