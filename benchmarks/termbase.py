"""Termbases of real size: import, validate and lookup of a synthetic TBX of 10^5 and 10^6 terms.

Writes a TBX-Basic v3 file the way another tool would (no glossary data in it): each concept a
Vietnamese source term and one term in each of nb, nl, sv and fr, so terms = 4 x concepts.
Each command runs as its own process (`python -m glossary.cli ...`), timed from process start
to exit, with its peak RSS; writes benchmarks/results/termbase.json.

    python -m benchmarks termbase            # 10^5 and 10^6 terms
    python -m benchmarks termbase 100000     # one size
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import RESULTS, WORK, machine
from benchmarks.lookup_bench import percentile, queries, word

SIZES = (100_000, 1_000_000)
LANGS = ("nb", "nl", "sv", "fr")
TBX_STATUS = ("preferredTerm-admn-sts", "admittedTerm-admn-sts", "deprecatedTerm-admn-sts", None)
# Runs one command and prints its peak RSS: the only child, so RUSAGE_CHILDREN is its own.
MEASURE = (
    "import resource, subprocess, sys, time\n"
    "began = time.perf_counter()\n"
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "spent = time.perf_counter() - began\n"
    "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
    "print(done.returncode, spent, rss, done.stderr.decode()[-300:].replace(chr(10), ' '))\n"
)
NOTES = [
    "validate and the first lookup read the whole workbook through glossary/store/reader.py "
    "(the raw read share column), and the first lookup also loads simplemma's dictionaries "
    "of nb, nl, sv and fr and lemmatises every word to harvest inflected forms; the split "
    "of the first lookup below is measured in one process.",
    "A later lookup opens the stored index without reading the workbook: it compares the "
    "workbook's size and modification time with those the index was built from, and hashes "
    "the workbook only when they differ (a changed hash rebuilds the index).",
    "The typo search (rapidfuzz ratio >= 80) runs whenever fewer than --limit better matches "
    "were found; the stored index narrows it by spelling length and shared bigrams without "
    "losing a match. The slowest queries are long phrases: the typo search still scores "
    "thousands of spellings of similar length that share enough bigrams with them (the "
    "synthetic terms are built from few syllables), and each word's candidates are scanned. "
    "A short common word (a syllable in about 1,600 entries) checks the shortest entries "
    "first and stops once the list is full.",
]
TARGETS = {
    "import_s": 10.0,
    "validate_s": 2.0,
    "first_lookup_s": 5.0,
    "later_lookup_start_s": 0.5,
    "lookup_p99_ms": 5.0,
    "peak_rss_mb": 500.0,
}


def write_tbx(path: Path, concepts: int, seed: int = 7) -> None:
    """A deterministic foreign TBX: concepts x (vi + 4 languages), a third of them unmarked."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        fh.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<tbx xmlns="urn:iso:std:iso:30042:ed-2" '
            'type="TBX-Basic" style="dca" xml:lang="en">\n<tbxHeader><fileDesc><sourceDesc>'
            "<p>synthetic termbase</p></sourceDesc></fileDesc></tbxHeader>\n<text><body>\n"
        )
        for n in range(concepts):
            vi = " ".join(word(rng, "vi") for _ in range(rng.randint(1, 3)))
            fh.write(f'<conceptEntry id="c{n:07d}">\n<langSec xml:lang="vi"><termSec>')
            fh.write(f"<term>{vi}</term></termSec></langSec>\n")
            for lang in LANGS:
                term = " ".join(word(rng, lang) for _ in range(rng.randint(1, 3)))
                status = rng.choice(TBX_STATUS)
                note = (
                    f'<termNote type="administrativeStatus">{status}</termNote>' if status else ""
                )
                fh.write(f'<langSec xml:lang="{lang}"><termSec><term>{term}</term>{note}')
                fh.write("</termSec></langSec>\n")
            fh.write("</conceptEntry>\n")
        fh.write("</body></text>\n</tbx>\n")


def measure(args: list[str], env: dict[str, str]) -> dict:
    """Wall seconds (process start to exit) and peak RSS of `glossary ARGS` in a fresh process."""
    cmd = [sys.executable, "-c", MEASURE, sys.executable, "-m", "glossary.cli", *args]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    code, spent, rss, *tail = out.strip().split(" ", 3)
    found = {"seconds": round(float(spent), 3), "peak_rss_mb": round(float(rss), 1)}
    if int(code) != 0:
        found["error"] = f"exit {code}: {' '.join(tail).strip()}"
    return found


def validate_split(workbook: Path) -> dict:
    """How much of validate is the raw read of the workbook, and how much the rule checks."""
    from glossary.store import reader, rules

    began = time.perf_counter()
    reading = reader.read(workbook)
    total = time.perf_counter() - began
    began = time.perf_counter()
    rules.problems(reading.glossary, reading.where)
    checks = time.perf_counter() - began
    return {
        "in_process_s": round(total, 3),
        "rule_checks_s": round(checks, 3),
        "raw_read_fraction": round((total - checks) / total, 3),
    }


def first_lookup_split(workbook: Path) -> dict:
    """Where the first lookup's time goes, in one process: the workbook read, the index build
    (simplemma's harvest of inflected forms shown apart) and the write of the SQLite file."""
    from glossary import lookup as lk
    from glossary import lookupdb, store

    harvest, spent = lk._harvest_forms, []

    def timed(*args):
        began = time.perf_counter()
        try:
            return harvest(*args)
        finally:
            spent.append(time.perf_counter() - began)

    began = time.perf_counter()
    glossary = store.load(workbook)
    read = time.perf_counter() - began
    lk._harvest_forms = timed
    try:
        began = time.perf_counter()
        index = lk.build_index(glossary)
        build = time.perf_counter() - began
    finally:
        lk._harvest_forms = harvest
    del glossary
    target = WORK / "termbase-split.sqlite"
    began = time.perf_counter()
    lookupdb.write(index, target, {})
    write = time.perf_counter() - began
    target.unlink(missing_ok=True)
    return {
        "workbook_read_s": round(read, 3),
        "build_s": round(build, 3),
        "harvest_s": round(sum(spent), 3),
        "write_s": round(write, 3),
    }


def in_process_lookup(workbook: Path, glossary) -> dict:
    """p50/p99 of lookup against the stored index, as a process that already opened it."""
    from glossary import lookup as lk

    began = time.perf_counter()
    index = lk.load_index(workbook)
    opened = time.perf_counter() - began
    qs = queries(glossary, n=1000)
    for q in qs[:20]:
        lk.lookup(index, q)
    times = []
    for q in qs[20:]:
        began = time.perf_counter()
        lk.lookup(index, q)
        times.append((time.perf_counter() - began) * 1000)
    return {
        "index_open_s": round(opened, 4),
        "queries": len(times),
        "p50_ms": round(percentile(times, 0.5), 3),
        "p99_ms": round(percentile(times, 0.99), 3),
        "max_ms": round(max(times), 3),
    }


def run_size(terms: int) -> dict:
    from glossary import lookup as lk
    from glossary.importer import read_file

    concepts = terms // len(LANGS)
    tbx = WORK / f"termbase-{terms}.tbx"
    workbook = WORK / f"termbase-{terms}.xlsx"
    cache = WORK / f"termbase-cache-{terms}"
    env = {**os.environ, "GLOSSARY_CACHE": str(cache)}
    if not tbx.is_file():
        write_tbx(tbx, concepts)
    for old in [workbook, *WORK.glob(f"termbase-{terms}*.bak*"), *cache.glob("*")]:
        old.unlink(missing_ok=True)
    from lxml import etree

    began = time.perf_counter()
    etree.parse(str(tbx))
    entry: dict = {
        "terms": terms,
        "concepts": concepts,
        "tbx_mb": round(tbx.stat().st_size / 1e6, 1),
        "plain_lxml_parse_s": round(time.perf_counter() - began, 3),
    }
    entry["import"] = measure(["import", str(tbx), "--glossary", str(workbook)], env)
    print(terms, "import", entry["import"], flush=True)
    if "error" in entry["import"]:
        return entry
    entry["workbook_mb"] = round(workbook.stat().st_size / 1e6, 1)
    entry["validate"] = measure(["validate", str(workbook)], env)
    entry["validate"].update(validate_split(workbook))
    print(terms, "validate", entry["validate"], flush=True)
    glossary = read_file(tbx).glossary
    qs = queries(glossary, n=11, seed=3)
    entry["first_lookup"] = measure(["lookup", qs[0], "--glossary", str(workbook)], env)
    os.environ["GLOSSARY_CACHE"] = str(cache)  # where index_path and load_index look
    index = lk.index_path(workbook)
    entry["index_mb"] = round(index.stat().st_size / 1e6, 1) if index.is_file() else None
    entry["first_lookup"].update(first_lookup_split(workbook))
    print(terms, "first lookup", entry["first_lookup"], flush=True)
    later = [measure(["lookup", q, "--glossary", str(workbook)], env) for q in qs[1:]]
    entry["later_lookup"] = {
        "runs": len(later),
        "start_median_s": round(statistics.median(r["seconds"] for r in later), 3),
        "start_max_s": round(max(r["seconds"] for r in later), 3),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in later),
    }
    entry["later_lookup"].update(in_process_lookup(workbook, glossary))
    print(terms, "later lookups", entry["later_lookup"], flush=True)
    entry["meets"] = {
        "import_s": entry["import"]["seconds"] <= TARGETS["import_s"],
        "validate_s": entry["validate"]["seconds"] <= TARGETS["validate_s"],
        "first_lookup_s": entry["first_lookup"]["seconds"] <= TARGETS["first_lookup_s"],
        "later_lookup_start_s": entry["later_lookup"]["start_median_s"]
        <= TARGETS["later_lookup_start_s"],
        "lookup_p99_ms": entry["later_lookup"]["p99_ms"] <= TARGETS["lookup_p99_ms"],
        "peak_rss_mb": max(entry[k]["peak_rss_mb"] for k in ("import", "validate", "first_lookup"))
        < TARGETS["peak_rss_mb"],
    }
    return entry


def main(argv: list[str] | None = None) -> None:
    sizes = [int(a) for a in (argv or [])] or list(SIZES)
    WORK.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "termbase.json"
    previous = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    result = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "machine": machine(),
        "targets": TARGETS,
        "notes": list(NOTES),
        "sizes": previous.get("sizes", {}),
    }
    for terms in sizes:
        result["sizes"][str(terms)] = run_size(terms)
    for terms, entry in sorted(result["sizes"].items(), key=lambda item: int(item[0])):
        split = entry.get("first_lookup", {})
        if "build_s" in split:
            result["notes"].append(
                f"First lookup at {int(terms):,} terms, in one process: workbook read "
                f"{split['workbook_read_s']} s, index build {split['build_s']} s (of which "
                f"simplemma's harvest {split['harvest_s']} s), SQLite write {split['write_s']} s."
            )
    result["machine"]["load_average_after"] = round(os.getloadavg()[0], 2)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
