"""Lookup speed: cold start of `glossary lookup` as a process, and in-process latency.

Runs on the test fixture glossary and on a synthetic 10,000-term glossary (2,000 concepts in
nb/nl/cs/sv/fr); writes benchmarks/results/lookup.json.

    python benchmarks/lookup_bench.py
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from glossary import lookup as lk
from glossary import store
from glossary.models import SEED_LANGS, ConceptEntry, ContextEntry, Glossary, TermEntry

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "work"
RESULTS = ROOT / "benchmarks" / "results" / "lookup.json"
SYLLABLES = {
    "vi": [
        "dân",
        "vận",
        "khéo",
        "đảng",
        "ủy",
        "công",
        "tác",
        "chính",
        "quyền",
        "tự",
        "quản",
        "phát",
    ],
    "nb": ["mas", "se", "mo", "bi", "li", "ser", "ing", "par", "ti", "ko", "mi", "te", "en"],
    "nl": ["mas", "sa", "mo", "bi", "li", "sa", "tie", "par", "tij", "co", "mi", "té"],
    "cs": ["ma", "so", "vá", "mo", "bi", "li", "za", "ce", "stra", "nic", "ký", "vý", "bor"],
    "sv": ["mass", "mo", "bi", "li", "se", "ring", "par", "ti", "kom", "mit", "té", "ar"],
    "fr": ["mo", "bi", "li", "sa", "tion", "de", "mas", "se", "co", "mi", "té", "par"],
}


def word(rng: random.Random, lang: str) -> str:
    return "".join(rng.choice(SYLLABLES[lang]) for _ in range(rng.randint(2, 5)))


def synthetic(concepts: int = 2000, seed: int = 7) -> Glossary:
    """2,000 concepts x 5 languages = 10,000 terms, deterministic."""
    rng = random.Random(seed)
    g = Glossary(about={"corpus": "synthetic"})
    for n in range(concepts):
        cid = f"c{n:05d}"
        vi = " ".join(word(rng, "vi") for _ in range(rng.randint(1, 3)))
        g.concepts.append(ConceptEntry(cid, vi=vi, en=f"concept {n}", status="approved"))
        for lang in SEED_LANGS:
            term = " ".join(word(rng, lang) for _ in range(rng.randint(1, 3)))
            status = rng.choice(["preferred", "preferred", "admitted", "proposed", "deprecated"])
            g.terms.append(
                TermEntry(cid, lang, term, status, round(rng.random(), 2), context=f"… {term} …")
            )
            if n % 10 == 0:
                g.contexts.append(ContextEntry(cid, lang, term, "doc.txt", n, f"Om {term}."))
    return g


def fixture() -> Glossary:
    data = json.loads((ROOT / "tests/data/exchange/glossary.json").read_text(encoding="utf-8"))
    return Glossary(
        [ConceptEntry(**c) for c in data["concepts"]],
        [TermEntry(**t) for t in data["terms"]],
        [ContextEntry(**c) for c in data["contexts"]],
        data["about"],
    )


def queries(g: Glossary, n: int = 1000, seed: int = 11) -> list[str]:
    """What translators type: exact terms, unaccented Vietnamese, inflected forms, typos, misses."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        t = rng.choice(g.terms)
        c = g.concept(t.concept_id) if k % 5 == 1 else None
        kind = k % 5
        if kind == 0:
            out.append(t.term)
        elif kind == 1:
            out.append(lk.fold(c.vi) if c and c.vi else t.term)
        elif kind == 2:
            out.append(t.term + "ens")
        elif kind == 3:
            i = rng.randrange(len(t.term))
            out.append(t.term[:i] + t.term[i + 1 :] or t.term)
        else:
            out.append("zzqx " + word(rng, "sv"))
    return out


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def in_process(g: Glossary) -> dict:
    began = time.perf_counter()
    index = lk.build_index(g)
    build = time.perf_counter() - began
    qs = queries(g)
    for q in qs[:20]:  # warm up
        lk.lookup(index, q)
    times = []
    for q in qs:
        began = time.perf_counter()
        lk.lookup(index, q)
        times.append((time.perf_counter() - began) * 1000)
    return {
        "index_build_s": round(build, 2),
        "queries": len(qs),
        "p50_ms": round(percentile(times, 0.5), 3),
        "p99_ms": round(percentile(times, 0.99), 3),
        "max_ms": round(max(times), 3),
    }


def cold_start(workbook: Path, query: str, runs: int = 10) -> dict:
    env = {**os.environ, "GLOSSARY_CACHE": str(WORK / "cache")}
    cmd = [sys.executable, "-m", "glossary.cli", "lookup", query, "--glossary", str(workbook)]
    for old in (WORK / "cache").glob(f"lookup-{workbook.stem}-*.pickle"):
        old.unlink()
    began = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    first = time.perf_counter() - began
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - began)
    return {
        "first_run_builds_index_s": round(first, 2),
        "cold_start_median_s": round(statistics.median(times), 3),
        "cold_start_max_s": round(max(times), 3),
        "runs": runs,
    }


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    results = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "load_average_before": round(os.getloadavg()[0], 2),  # other work on the box skews p99
    }
    for name, g, query in (
        ("fixture", fixture(), "partikomiteens"),
        ("synthetic_10k", synthetic(), None),
    ):
        workbook = WORK / f"{name}.xlsx"
        began = time.perf_counter()
        store.save(g, workbook, force=True)
        entry = {"terms": len(g.terms), "concepts": len(g.concepts)}
        entry["workbook_save_s"] = round(time.perf_counter() - began, 2)
        began = time.perf_counter()
        store.load(workbook)
        entry["workbook_load_s"] = round(time.perf_counter() - began, 2)
        entry.update(in_process(g))
        entry.update(cold_start(workbook, query or g.terms[123].term))
        results[name] = entry
        print(name, json.dumps(entry), flush=True)
    results["load_average_after"] = round(os.getloadavg()[0], 2)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
