"""`python -m benchmarks all|quality|speed|scale|termbase|lookup|store|page|calibrate|errors|discovery|levers|review_gain|long_line|backends|variants|gpu_speed|report`.

Each benchmark writes benchmarks/results/<name>.json; every command then renders
docs/benchmarks.md from all the result files there.
"""

from __future__ import annotations

import subprocess
import sys
import time

from benchmarks import RESULTS, ROOT, read_result
from benchmarks.discovery import SAMPLE_SIZE as SAMPLE

DOC = ROOT / "docs" / "benchmarks.md"
STAGE_NAMES = ("read", "extract", "embed", "align", "write")
REPRODUCE = "GLOSSARY_MODEL=/path/to/embeddinggemma-300m python -m benchmarks all"


def run_script(name: str) -> None:
    """lookup_bench.py, store_bench.py and page_bench.py are scripts of their own."""
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / f"{name}_bench.py")], check=True)


# benchmarks with a main(argv) of their own, run one at a time (not part of `all`)
EXTRA = (
    "calibrate", "errors", "discovery", "levers", "review_gain", "long_line", "termbase", "backends",
    "workers", "discovery_cap", "variants", "gpu_speed",
)  # fmt: skip
TARGET_SECONDS = 50 * 60  # `all` should finish well within an hour on the two-core machine


def run(name: str) -> None:
    began = time.perf_counter()
    print(f"== {name}", flush=True)
    if name == "quality":
        from benchmarks import quality

        quality.main()
    elif name == "speed":
        from benchmarks import speed

        speed.main()
    elif name == "scale":
        from benchmarks import scale

        # half the target, so quality and speed (the real model) still fit after it
        scale.main(budget=TARGET_SECONDS / 2)
    elif name in ("lookup", "store", "page"):
        run_script(name)
    elif name in EXTRA:
        import importlib

        importlib.import_module(f"benchmarks.{name}").main(sys.argv[2:])
    print(f"== {name} took {time.perf_counter() - began:.0f} s", flush=True)


# ---------------------------------------------------------------- docs/benchmarks.md
def _f(value, digits: int = 2) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_f(c) for c in row) + " |" for row in rows]
    return lines + [""]


def quality_section(q: dict) -> list[str]:
    out = ["## Quality", ""]
    out += [
        f"`glossary align seeds/` with {q['model']}, scored by `../shared/eval/score.py` against "
        "`dev_gold.json`. The baseline takes, for each concept and language, the candidate with "
        "the highest raw cosine to the concept (Vietnamese term, averaged with the English "
        "gloss when there is one), over the same candidates and vectors, keeping those above "
        "the threshold that maximises its own F1 on this same gold data.",
        "",
    ]
    rows = []
    for name in ("keyed", "keyed_no_en"):
        m = q["modes"].get(name)
        if not m:
            continue
        s, b = m["scores"], m.get("baseline", {})
        rows.append(
            [
                name,
                "toolkit",
                s["precision"],
                s["concept_recall"],
                s["f1"],
                s["rows_judged"],
                "",
                "",
            ]
        )
        if b:
            rows.append(
                [
                    name,
                    f"baseline (threshold {b['threshold']:.3f})",
                    b["precision"],
                    b["concept_recall"],
                    b["f1"],
                    b["rows_judged"],
                    "",
                    "",
                ]
            )
            rows[-2][6] = m.get("f1_ratio")
    out += _table(
        [
            "mode",
            "system",
            "precision",
            "concept recall",
            "F1",
            "rows judged",
            "F1 toolkit / baseline",
        ],
        [r[:7] for r in rows],
    )
    d = q["modes"].get("discovery")
    if d:
        s = d["scores"]
        out += ["Discovery (no concept list; concept ids are the tool's own):", ""]
        out += _table(
            [
                "pair precision",
                "pair recall",
                "F1",
                "pairs judged",
                "extraction recall",
                "predicted concepts",
            ],
            [
                [
                    s["pair_precision"],
                    s["pair_recall"],
                    s["f1"],
                    s["pairs_judged"],
                    s["extraction_recall"],
                    s["predicted_concepts"],
                ]
            ],
        )
    out += [
        "Recall by language (keyed): "
        + ", ".join(f"{k} {v}" for k, v in q["modes"]["keyed"]["scores"]["recall_by_lang"].items()),
        "",
    ]
    out += [
        "### Calibration",
        "",
        "Fraction of proposals whose term matches a gold form of their concept and language, "
        "per confidence bucket (rows of gold concepts only).",
        "",
    ]
    rows = []
    for name in ("keyed", "keyed_no_en"):
        for b in q["modes"].get(name, {}).get("calibration", []):
            rows.append([name, b["bucket"], b["rows"], b["right"], b["mean_confidence"]])
    out += _table(["mode", "confidence", "rows", "fraction right", "mean confidence"], rows)
    return out


def speed_section(s: dict) -> list[str]:
    cold, warm = s["cold"], s["warm_stages_median"]
    out = ["## Speed", ""]
    out += [
        f"`glossary align seeds/` (no concept list) with {s['model']} as a new process; "
        f"{s['unique_texts']} unique strings go to the model. Pure encode: the same strings with "
        "sentence-transformers alone (sorted by length, batch 64), model load timed apart.",
        "",
    ]
    rows = [
        [
            "cold (empty cache)",
            *[cold["stages"][k] for k in warm],
            cold["outside_stages_seconds"],
            cold["end_to_end_seconds"],
        ]
    ]
    rows.append(
        [
            f"warm (median of {len(s['warm_runs'])})",
            *warm.values(),
            "",
            s["warm_end_to_end_median_seconds"],
        ]
    )
    out += _table(["run", *warm.keys(), "outside stages", "end to end"], rows)
    floor, aims = s["pure_encode"], s.get("aims", {})
    prompt = ", document prompt" if s.get("floor_prompt") else ", no prompt"
    out += _table(
        ["measure", "value", "aim"],
        [
            [f"pure encode{prompt} (s)", floor["encode_seconds"], ""],
            ["model load (s)", floor["load_seconds"], ""],
            ["cold end-to-end / pure encode", s["cold_over_pure_encode"],
             f"<= {aims.get('cold_over_pure_encode', 1.3)}"],
            ["cold peak RSS (MB)", cold.get("peak_rss_mb"),
             f"< {aims['cold_peak_rss_mb']}" if "cold_peak_rss_mb" in aims else ""],
            ["cold end-to-end / (pure encode + load)", s["cold_over_pure_encode_and_load"], ""],
            [
                "CPU seconds: cold align process / pure-encode process (both with load)",
                s.get("cold_cpu_over_pure_encode_process_cpu"),
                "",
            ],
            ["warm end-to-end (s)", s["warm_end_to_end_median_seconds"], "< 5"],
        ],
    )
    notes = list(s.get("notes", []))
    before, after = s["machine"].get("load_average"), s.get("load_average_after")
    if before is not None and after is not None and max(before, after) > 2:
        notes.append(f"The two cores were shared with other work during this run (load average "
                     f"{before} at the start, {after} at the end), so every time here is longer "
                     "than on a quiet machine.")  # fmt: skip
    out += [f"- {note}" for note in notes]
    return out + ([""] if notes else [])


def cold_align_section(c: dict, speed: dict | None) -> list[str]:
    """A cold run newer than the speed run above (benchmarks/results/cold_align.json)."""
    if speed and speed.get("date") == c["date"]:
        return []  # the same run: the speed table shows it
    cold = c["cold"]
    out = ["### Cold align, latest run", ""]
    out += [
        f"`glossary align seeds/` with an empty cache into a new workbook, {c['date'][:10]}: "
        f"{c['unique_texts']} unique strings. The machine was shared with other work (load "
        f"average {c['load_average_before']} at the start, {c['load_average_after']} at the "
        "end, on two cores), so this is what a first run takes on a busy machine, not the "
        "floor." + (f" {c['note']}" if c.get("note") else ""),
        "",
    ]
    rows = [["end to end (s)", cold["end_to_end_seconds"]],
            ["CPU seconds, all threads", cold["cpu_seconds"]],
            ["model seconds (encoding)", cold.get("model_seconds")],
            ["texts encoded", cold.get("encoded_texts")],
            *([f"{k} stage (s)", v] for k, v in cold["stages"].items()),
            ["peak RSS (MB)", cold.get("peak_rss_mb")]]  # fmt: skip
    return out + _table(["measure", "value"], rows)


def backends_section(b: dict) -> list[str]:
    out = ["### Encoding backends", ""]
    loads = [r["load_average"] for r in b["runs"] if "load_average" in r]
    rounds = (f"{b['rounds']} rounds interleaving the backends; medians of the rounds, and the "
              "cosine of each backend's vectors to torch fp32's of the same round (worst round)"
              if b["rounds"] > 1 else "one round, one backend after another; the cosine of each "
              "backend's vectors to torch fp32's")  # fmt: skip
    out += [
        f"{b['texts']} of the seeds' strings as the product sends them (candidates with the "
        "document prompt, concept queries with the query prompt), each backend in a process of "
        f"its own, {rounds}. Load includes making the int8 file for onnx-int8 (and its peak "
        "RSS). "
        "Dev F1 is calibrate's nested 5-fold cross-validation with the ranker refitted on that "
        "backend's vectors, mean of fold seeds 13, 7, 29 and 41; a dash where it was not run. "
        + (f"The machine was busy throughout (load average {min(loads)}-{max(loads)} on two "
           "cores, from other work), so absolute times are long"
           + ("; the ratios to torch are of the same rounds." if b["rounds"] > 1 else
              ", and since each backend met a different load, the ratios are rough.")
           if loads and max(loads) > 2 else ""),
        "",
    ]  # fmt: skip
    f1 = b.get("dev_f1", {})
    rows = []
    for r in b["summary"]:
        name = r["backend"]
        scored = f1.get(name) if r["threads"] == "default" else None
        if "error" in r:
            rows.append([name, r["threads"], "failed: " + r["error"][:80], "", "", "", "", "", ""])
            continue
        rows.append([name, r["threads"], r["encode_seconds"], r["over_torch"], r["load_seconds"],
                     f"{r['mean_cosine']:.5f}", f"{r['min_cosine']:.5f}", r["peak_rss_mb"],
                     f"{scored['keyed']:.3f} / {scored['vi_only']:.3f}" if scored else ""])  # fmt: skip
    out += _table(
        ["backend", "threads", "encode s", "x torch", "load s", "mean cos", "min cos",
         "peak RSS MB", "dev F1 keyed / vi-only"], rows)  # fmt: skip
    out += [f"- {note}" for note in b.get("notes", [])]
    return out + [""]


def variants_section(v: dict) -> list[str]:
    out = ["### Texts that differ only in quotes or case", ""]
    seeds = v["seeds"]
    out += [
        f"Could two texts that differ only in outer quotes or in case share one encode? torch "
        f"fp32 encodes {v['sample']} of the seeds' strings beside a variant of each (the concept "
        "list's queries for the query prompt) and the seeds' own case groups; shared only where "
        "the mean and the 5th percentile of the cosine are both >= 0.99. "
        f"Of the seeds' {seeds['texts']} strings, {seeds['saved_by_quotes']} differ from another "
        f"only in outer quotes and {seeds['saved_by_quotes_and_case'] - seeds['saved_by_quotes']} "
        "only in case (extraction already strips quotes and merges case within a language), so "
        f"sharing could save at most {seeds['saved_by_quotes_and_case']} encodes here.",
        "",
    ]  # fmt: skip
    rows = [
        [kind, r["pairs"], *(f"{r[k]:.3f}" if k in r else "" for k in
                             ("mean_cosine", "min_cosine", "p5_cosine", "share_at_least_0_99")),
         "yes" if r.get("safe") else "no"]
        for kind, r in v["cosines"].items() if isinstance(r, dict)
    ]  # fmt: skip
    out += _table(["variant", "pairs", "mean cos", "min cos", "5th pct", "share >= 0.99",
                   "shared"], rows)  # fmt: skip
    return out


def gpu_section(g: dict | None) -> list[str]:
    out = ["### GPU", ""]
    if not g:
        return out + ["No GPU was available to these runs; `python -m benchmarks gpu_speed` "
                      "times phrases/s per batch size on one (well within 10 minutes).", ""]  # fmt: skip
    where = g.get("gpu") or g["device"]
    out += [f"{g['texts']} seed strings on {where} ({g['label']}), model load {g['load_seconds']} s.", ""]
    rows = [[r["batch_size"], r.get("seconds"), r.get("phrases_per_second"),
             r.get("min_cosine_to_first_batch_size"), r.get("skipped", "")] for r in g["runs"]]  # fmt: skip
    return out + _table(["batch", "seconds", "phrases/s", "min cos to first", "note"], rows)


def scale_section(sc: dict) -> list[str]:
    out = ["## Scale", ""]
    out += [
        "Synthetic corpora made by `benchmarks/synth.py`: new articles per language from the "
        "seeds' sentences, with other numbers, dates and Vietnamese names, spliced and dropped "
        "clauses and swapped content words. Keyed with the dev catalog plus discovery, each "
        "size in a fresh process with an empty cache. "
        f"**stand-in** rows encode with `{sc['stand_in']}` (same vector size as the real model, "
        "no network) because encoding every candidate with the real model at about 100 "
        "phrases/s is out of reach for the larger sizes on this machine; reading, extraction, "
        "alignment and the workbook are the product's own in every row (the speed section's cold "
        "run is the real model on the seeds). Peak RSS of stand-in rows leaves out the real "
        "model (about 1.1-1.7 GB). A size is skipped when its run, extrapolated from the "
        "previous size, would not fit the time budget on this machine.",
        "",
    ]
    header = ["size", "embedder", "characters", "candidates", "concepts"]
    header += [f"{k} s" for k in STAGE_NAMES] + ["total s", "peak RSS MB"]
    rows = []
    for kind in ("stand_in", "real_model"):
        for r in sc["series"].get(kind, []):
            label = "real model" if kind == "real_model" else "stand-in"
            if "seconds" not in r:
                why = r.get("timed_out_after_s") or r.get("error")
                rows.append([f"{r['factor']}x", label, f"not finished: {why}"])
                continue
            cpu = r.get("cpu_seconds", {})
            stages = [f"{r['seconds'][k]:.1f} ({cpu.get(k, 0):.1f})" for k in STAGE_NAMES]
            total = f"{r['total_seconds']:.1f} ({r.get('cpu_total_seconds', 0):.1f})"
            rows.append(
                [f"{r['factor']}x", label, r["characters"], r["candidates"], r["concepts"]]
                + stages
                + [total, r["peak_rss_mb"]]
            )
    out += ["Seconds are wall time, with CPU seconds (all threads) in brackets.", ""]
    out += _table(header, rows)
    out += _stage_memory_table(sc)
    for kind, g in sc.get("growth", {}).items():
        out += [f"Growth exponents ({kind.replace('_', ' ')}; time ~ characters^k):", ""]
        out += _table(
            [
                "measure",
                "fit over all sizes",
                "between the two largest",
                "against candidates",
                "against candidates, two largest",
            ],
            [
                [
                    k,
                    v["all_sizes"],
                    v["two_largest"],
                    v.get("vs_candidates"),
                    v.get("vs_candidates_two_largest"),
                ]
                for k, v in g.items()
            ],
        )
    for line in sc.get("skipped", []):
        out.append(f"- skipped: {line}")
    for line in sc.get("notes", []):
        out.append(f"- {line}")
    if sc.get("skipped") or sc.get("notes"):
        out.append("")
    return out


# The plan for 10^6 candidates (issue 16): the CPU rate was measured, the GPU rate is not.
PLAN_CANDIDATES = 1_000_000
CPU_RATE = 33.0  # phrases/s per 2-core CPU worker, EmbeddingGemma-300M on torch (measured)
GPU_RATE = 2000.0  # ASSUMED phrases/s per GPU worker (bf16, batch 256); not measured here
VECTOR_BYTES = 768 * 4  # one float32 vector of the model
PHRASE_BYTES = 29  # mean UTF-8 length of the seeds' candidate forms (measured: 28.9)
LINK_BYTES_PER_S = 125e6  # 1 Gbit/s between the workers and the client


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 5400 else f"{seconds / 60:.1f} min"


def _layout(workers: int | None) -> str:
    return "one process" if not workers else f"{workers} worker" + ("s" if workers > 1 else "")


def workers_section(w: dict) -> list[str]:
    """Scale -> Dask workers: one process against LocalClusters, and the plan for 10^6."""
    out = ["### Workers (Dask)", ""]
    out += [
        "From `benchmarks/workers.py` (`python -m benchmarks workers`): `glossary align` in one "
        "process (no Dask), and with `--workers 1` and `--workers 2` (a LocalCluster of worker "
        "processes, one task thread each), each in a fresh process with an empty cache. The "
        "whole runs use the scale series' stand-in encoder and corpora; the encode rows are "
        f"the real model ({w.get('model', '?')}) on the seeds' top candidate phrases, cluster "
        "start and model loads included. On a cluster, *read* is reading and counting on the "
        "workers and *extract* is merging the counts and scoring them in the client. "
        f"This machine has {w['machine'].get('cores', '?')} cores shared with other jobs (the "
        "load average is given for each run), so these rows show what the cluster costs, "
        "not what it gains: two workers on two busy cores cannot be faster than one process, "
        "and any difference below is mostly the other jobs.",
        "",
    ]
    rows = []
    for r in w.get("whole_runs", []):
        layout = _layout(r.get("workers"))
        if "seconds" not in r:
            rows.append([f"{r['factor']}x", layout, f"not finished: {r.get('error')}"])
            continue
        rows.append(
            [f"{r['factor']}x", layout, r["candidates"], f"{r.get('cluster_seconds', 0):.1f}"]
            + [f"{r['seconds'][k]:.1f}" for k in STAGE_NAMES]
            + [f"{r['total_seconds']:.1f}", f"{r['load_before']:.1f}-{r['load_after']:.1f}"]
        )
    header = ["size", "layout", "candidates", "cluster start s"]
    out += _table(header + [f"{k} s" for k in STAGE_NAMES] + ["total s", "load"], rows)
    encode = [r for r in w.get("encode", []) if "seconds" in r]
    if encode:
        out += _table(
            ["encode", "phrases", "seconds (start, loads, encoding)", "phrases/s", "load"],
            [
                [_layout(r.get("workers")), r["phrases"],
                 f"{r['seconds']:.1f}", f"{r['phrases_per_second']:.1f}",
                 f"{r['load_before']:.1f}-{r['load_after']:.1f}"]
                for r in encode
            ],
        )  # fmt: skip
    vectors = PLAN_CANDIDATES * VECTOR_BYTES
    texts = PLAN_CANDIDATES * PHRASE_BYTES
    transfer = vectors / LINK_BYTES_PER_S
    out += [
        f"**Plan for {PLAN_CANDIDATES:,} candidates on N workers.** Encoding is the part that "
        f"grows: {CPU_RATE:.0f} phrases/s per 2-core CPU worker (measured with EmbeddingGemma "
        f"on torch). The GPU rate, **{GPU_RATE:,.0f} phrases/s per GPU worker (bf16, batch "
        "256), is an assumption, not a measurement**: no GPU was measured for this plan. "
        f"Vectors: {PLAN_CANDIDATES:,} x 768 float32 = {vectors / 1e9:.2f} GB come back to the "
        f"client (each 3 KB), in chunks of 256 texts ({256 * VECTOR_BYTES / 1e6:.2f} MB) as "
        f"workers finish them; the texts sent out are about {texts / 1e6:.0f} MB "
        f"({PHRASE_BYTES} bytes each, the seeds' mean), and texts already cached are not sent. "
        f"At 1 Gbit/s the vectors take {transfer:.0f} s to arrive, overlapping the encoding.",
        "",
    ]
    plan = []
    for n in (1, 2, 4, 8, 16, 32):
        cpu = PLAN_CANDIDATES / (CPU_RATE * n)
        gpu = PLAN_CANDIDATES / (GPU_RATE * n)
        plan.append([n, _hours(cpu), _hours(gpu), _hours(max(gpu, transfer)),
                     f"{vectors / n / 1e9:.2f}"])  # fmt: skip
    out += _table(
        ["N workers", f"CPU: 10^6 / ({CPU_RATE:.0f} N) s",
         f"GPU (assumed): 10^6 / ({GPU_RATE:,.0f} N) s",
         "GPU, at least the 1 Gbit/s transfer", "GB of vectors sent by each worker"],
        plan,
    )  # fmt: skip
    out += [
        "- Memory, client: the vectors in memory (3.07 GB) plus the stacked copy alignment "
        "makes of them (another 3.07 GB), and the cache on disk (3.07 GB of vectors plus about "
        "0.1 GB of keys and checksums). Memory, worker: the model (300 M parameters: 1.2 GB in "
        "fp32 on a CPU worker, 0.6 GB in bf16 on a GPU) and one chunk at a time; it keeps "
        "nothing once its chunk is sent.",
        "- Tasks: 10^6 / 256 = 3,907 encoding tasks. "
        + (f"Dask ran {w['task_overhead']['tasks']:,} no-op tasks on two local workers in "
           f"{w['task_overhead']['seconds']:.1f} s here (load {w['task_overhead']['load']:.1f}): "
           f"{1000 * w['task_overhead']['seconds'] / w['task_overhead']['tasks']:.1f} ms a task "
           "on a busy machine, spread over the run and overlapping the encoding."
           if w.get("task_overhead") else ""),
        "- Model loads: once per worker, in parallel, so they add one load (tens of seconds) "
        "whatever N is.",
        "- Not covered: reading returns each document to the client (about the corpus's "
        "text), and the client merges the counts and scores the candidates alone; the "
        "nearest-neighbour steps after encoding are the FAISS part of issue 16.",
        "",
    ]
    return out
def _stage_memory_table(sc: dict) -> list[str]:
    """Peak RSS at each stage's end and the nearest-neighbour searches, where recorded."""
    rows = []
    for kind in ("stand_in", "real_model"):
        for r in sc["series"].get(kind, []):
            by_stage = r.get("peak_rss_mb_by_stage_end")
            if not by_stage:
                continue
            found = r.get("neighbours", {})

            def searches(index: str, found=found) -> str:
                row = found.get(index)
                if not row:
                    return "0"
                return f"{row['searches']} (largest {row['largest_base']}, {row['seconds']:.1f} s)"

            rows.append(
                [f"{r['factor']}x", kind.replace("_", " ")]
                + [by_stage.get(k, "") for k in STAGE_NAMES]
                + [searches("exact"), searches("ivf")]
            )
    if not rows:
        return []
    out = [
        "",
        "Peak RSS (MB) at the end of each stage (a running maximum: the stage that raises it "
        "needed the memory), and the nearest-neighbour searches of the run "
        "(`glossary/alignment/neighbours.py`: exact numpy up to 6,000 x 6,000 pairs, faiss's "
        "IVF index past that; searches, the largest set searched, seconds):",
        "",
    ]
    header = ["size", "embedder"] + [f"{k} MB" for k in STAGE_NAMES]
    return out + _table(header + ["exact searches", "faiss IVF searches"], rows)


def discovery_cap_section(dc: dict) -> list[str]:
    """Scale -> discovery with and without the 6,000-per-language cap, scored on planted gold."""
    out = ["### Discovery with and without the cap", ""]
    out += [
        "From `benchmarks/discovery_cap.py` (`python -m benchmarks discovery_cap`): discovery "
        "mode (no concept list) on the synthetic corpora with the stand-in encoder "
        f"({dc['encoder']}), each run a fresh process. *capped* runs as without faiss (exact "
        "search, each language's best 6,000 candidates by termhood); *uncapped* with faiss "
        "(every candidate; the IVF index past 6,000 x 6,000 pairs); *uncapped exact* takes "
        "every candidate with exact search, which tells the index's cost in quality apart from "
        "the cap's. Seconds are wall time with CPU seconds in brackets. Scored by "
        f"`score.py --mode discovery` against {dc['gold']}. The stand-in encodes character "
        "trigrams, so it links cognates, names and codes but few real translations: the "
        "scores compare the two modes, not the product's discovery quality.",
        "",
    ]
    header = ["size", "mode", "candidates", "discovery searches", "align s", "total s"]
    header += ["peak RSS MB", "new concepts", "pairs judged", "pair precision", "pair recall"]
    header += ["F1", "extraction recall"]
    rows = []
    for r in dc["rows"]:
        if "run" not in r:
            why = r.get("timed_out_after_s") or r.get("error")
            rows.append([f"{r['factor']}x", r["mode"], f"not finished: {why}"])
            continue
        run, score = r["run"], r["score"]
        found = run.get("neighbours", {})
        searches = ", ".join(f"{k} {v['searches']}" for k, v in sorted(found.items()))
        cpu = run.get("cpu_seconds", {})
        rows.append(
            [f"{r['factor']}x", r["mode"], run["candidates"], searches,
             f"{run['seconds']['align']:.1f} ({cpu.get('align', 0):.1f})",
             f"{run['total_seconds']:.1f} ({run.get('cpu_total_seconds', 0):.1f})",
             run["peak_rss_mb"], run["new_concepts"], score["pairs_judged"]]
            + [f"{score[k]:.3f}" for k in ("pair_precision", "pair_recall", "f1",
                                          "extraction_recall")]
        )  # fmt: skip
    out += _table(header, rows)
    recalls = dc.get("index_recall", [])
    if recalls:
        out += [
            "",
            "How much of exact search the IVF index finds on the same stand-in vectors (the "
            "two largest languages, each one's neighbours among the other's):",
            "",
        ]
        out += _table(
            ["size", "languages", "vectors", "lists (probed)", "top-1 found", "top-k found"],
            [
                [f"{r['factor']}x", "-".join(r["languages"]), " x ".join(map(str, r["sizes"])),
                 f"{r['lists']} ({r['probes']})", f"{r['top1_recall']:.3f}",
                 f"{r['topk_recall']:.3f} (k={r['k']})"]
                for r in recalls
            ],
        )  # fmt: skip
    return out + [""]


def termbase_section(tb: dict) -> list[str]:
    """Scale -> termbases: import, validate and lookup of synthetic TBX termbases."""
    t = tb["targets"]
    out = ["### Termbases of real size", ""]
    out += [
        "From `benchmarks/termbase.py` (`python -m benchmarks termbase`): a synthetic TBX-Basic "
        "v3 file as another tool writes it (no glossary data), each concept a Vietnamese "
        "source term and one term in each of nb, nl, sv and fr; every command is its own "
        "process, timed from start to exit, with its peak RSS. *first lookup* builds and "
        "stores the index (empty cache); *later lookup* is the median of 10 processes with "
        "other queries; p50/p99 are 980 queries (`lookup_bench.queries`) in one process "
        "against the stored index. Load average after the run: "
        f"{tb['machine'].get('load_average_after', '?')} on {tb['machine'].get('cores', '?')} "
        "shared cores.",
        "",
    ]
    rows = []
    for size in sorted(tb["sizes"].values(), key=lambda e: e["terms"]):

        def cell(key: str, field: str = "seconds", e=size) -> str:
            part = e.get(key)
            if part is None:
                return "–"
            if "error" in part:
                return f"failed: {part['error'][:120]}"
            return _f(part.get(field), 0 if field == "peak_rss_mb" else 2)

        later = size.get("later_lookup", {})
        rows.append(
            [
                f"{size['terms']:,} terms ({size['concepts']:,} concepts, {size['tbx_mb']} MB)",
                size["plain_lxml_parse_s"],
                f"{cell('import')} ({cell('import', 'peak_rss_mb')} MB)",
                f"{cell('validate')} ({cell('validate', 'peak_rss_mb')} MB)",
                _f(size.get("validate", {}).get("raw_read_fraction")),
                f"{cell('first_lookup')} ({cell('first_lookup', 'peak_rss_mb')} MB)",
                f"{_f(later.get('start_median_s'))} ({_f(later.get('peak_rss_mb'), 0)} MB)",
                _f(later.get("p50_ms")),
                _f(later.get("p99_ms")),
                _f(size.get("index_mb"), 1),
                _f(size.get("workbook_mb"), 1),
            ]
        )
    out += _table(
        [
            "termbase",
            "plain lxml parse s",
            f"import s (peak MB); aim <= {t['import_s']:g}",
            f"validate s (MB); aim <= {t['validate_s']:g}",
            "validate: raw read share",
            f"first lookup s (MB); aim <= {t['first_lookup_s']:g}",
            f"later lookup start s (MB); aim <= {t['later_lookup_start_s']:g}",
            "p50 ms",
            f"p99 ms; aim <= {t['lookup_p99_ms']:g}",
            "index MB",
            "workbook MB",
        ],
        rows,
    )
    sizes = [e for e in tb["sizes"].values() if e.get("index_mb")]
    if sizes:
        growth = ", ".join(
            f"{e['index_mb'] * 1e6 / e['terms']:.0f} bytes per term at {e['terms']:,}"
            for e in sorted(sizes, key=lambda e: e["terms"])
        )
        out += [
            "The lookup index (`glossary/lookupdb.py`, SQLite beside the workbook's cache) grows "
            f"linearly with the termbase: {growth}. Opening it reads a few pages whatever its "
            "size; a query reads the entries, words and bigram postings it touches.",
            "",
        ]
    out += [f"- {note}" for note in tb.get("notes", [])]
    return out + ([""] if tb.get("notes") else [])


def lookup_section(lk: dict) -> list[str]:
    out = ["## Lookup", "", "From `benchmarks/lookup_bench.py`.", ""]
    rows = []
    for name in ("fixture", "synthetic_10k"):
        e = lk.get(name)
        if e:
            rows.append(
                [
                    name,
                    e["terms"],
                    e["cold_start_median_s"],
                    e["p50_ms"],
                    e["p99_ms"],
                    e["index_build_s"],
                ]
            )
    out += _table(
        ["glossary", "terms", "cold start median s (10 runs)", "p50 ms", "p99 ms", "index build s"],
        rows,
    )
    return out


def store_section(st: dict) -> list[str]:
    out = [
        "## Store",
        "",
        f"From `benchmarks/store_bench.py`: terms.xlsx of {st['terms']} terms "
        f"({st['file_bytes']} bytes), median of {st['repeat']}.",
        "",
    ]
    steps = list(st["median_seconds"])
    # The same benchmark on earlier code: before issue 11; its first pass, before the load was
    # made column-wise; the column-wise load, before texts went to the shared strings.
    runs = [
        (label, read_result(name))
        for name, label in (
            ("store_before", "before"),
            ("store_first_pass", "issue 11, first pass"),
            ("store_column_wise", "issue 11, column-wise load"),
        )
    ]
    runs = [(label, r) for label, r in runs if r] + [("now", st)]
    rows = [
        [label, _load(r), *(_f(r["median_seconds"].get(k)) for k in steps)] for label, r in runs
    ]
    out += _table(["code", "load average", *steps], rows)
    out += [
        "",
        "update: a re-run with new evidence (read, merge, write, backup); unchanged: a re-run "
        "that changes nothing (now: no write); formatted: update of a workbook with a cell "
        "coloured by hand, which goes through openpyxl load-and-modify (timed once). "
        "Targets: load <= 0.5, save <= 2, update <= 3. Load average: the machine's 1-minute "
        "load before and after the run (two cores, shared with other work).",
        "",
    ]
    parts = st.get("load_parts")
    if parts:
        parse = parts["size_up_and_parse"] - parts["size_up"]
        records = parts["read"] - parts["size_up_and_parse"]
        out += [
            f"Of a load (medians of {st['repeat']}, each stage timed on its own): sizing the "
            f"file up before parsing (bounded reading) {parts['size_up']:.2f} s, "
            f"python-calamine's parse of the tool's five sheets {parse:.2f} s, making and "
            f"checking the records {records:.2f} s.",
            "",
        ]
    out += _writers_section(st.get("writers"))
    aligned = read_result("store_align") or {}  # benchmarks/store_align_bench.py
    runs = aligned.get("runs", [aligned] if "model" in aligned else [])
    if runs:
        out += [
            "`glossary align seeds/` (no concept list) against `glossary candidates seeds/ --top 0 "
            "--json` (read + extract alone), from `benchmarks/store_align_bench.py`: best of 3 "
            "fresh processes each, measured in one run; warm means the embedding cache holds "
            "every text, so nothing goes to the model. Target: warm align <= 1.6 x candidates.",
            "",
        ]
        out += _table(
            [
                "model",
                "candidates s",
                "warm align, unchanged workbook s",
                "ratio",
                "warm align, new workbook s",
                "ratio",
                "load average",
            ],
            [
                [
                    r["model"],
                    r["candidates_s"],
                    r["align_warm_unchanged_s"],
                    r["ratio_warm_unchanged"],
                    r["align_warm_new_workbook_s"],
                    r["ratio_warm_new_workbook"],
                    " / ".join(f"{x:.1f}" for x in r.get("load_average", [])) or "–",
                ]
                for r in runs
            ],
        )
    return out


def _load(result: dict) -> str:
    """The load average a store result recorded ("before / after" the run), or "–"."""
    found = result.get("machine", {}).get("load_average")
    return " / ".join(f"{x:.1f}" for x in found) if found else "–"


def _writers_section(w: dict | None) -> list[str]:
    """The writers compared on the same 10,000-term workbook, and why the store uses its own."""
    if not w:
        return []
    named = [
        ("store_new_workbook", "store, new workbook: xlsxwriter for the frame, rows streamed"),
        ("xlsxwriter_cell_by_cell", "xlsxwriter, cell by cell, no formatting"),
        ("openpyxl_write_only", "openpyxl write-only, row by row, no formatting"),
        (
            "store_formatted_workbook",
            "store, reviewer-formatted workbook: openpyxl load-and-modify",
        ),
    ]
    out = ["Writers, the same workbook (medians; load-and-modify timed once):", ""]
    out += _table(["writer", "seconds"], [[label, w[k]] for k, label in named if k in w])
    if "store_new_workbook" in w:
        fresh = w["store_new_workbook"]
        out += [
            f"The store writes a new workbook with xlsxwriter, its data rows streamed into the "
            f"sheet XML ({fresh:.2f} s: "
            f"{w['xlsxwriter_cell_by_cell'] / fresh:.1f} x faster than xlsxwriter cell by cell "
            f"and {w['openpyxl_write_only'] / fresh:.1f} x faster than openpyxl's write-only "
            "mode, which write no formatting at all); xlsxwriter cannot edit a file, so a "
            "workbook holding what a fresh write would lose (added sheets, comments, hand "
            "formatting) is updated in place with openpyxl load-and-modify "
            f"({w['store_formatted_workbook']:.1f} s), which keeps them.",
            "",
        ]
    else:
        out += ["xlsxwriter was not installed for this run; its figures are left out.", ""]
    return out


def page_section(pg: dict) -> list[str]:
    how = (
        "From `benchmarks/page_bench.py`: `glossary report` on the repository's terms.xlsx and "
        "on a synthetic glossary (the store benchmark's, with about a quarter of the rows "
        "reviewed: 15% preferred, 4% rejected, 3% admitted, 2% deprecated), opened in headless "
        "Chromium "
        f"({pg['repeat']} runs, medians). Ready: the page's own mark, from navigation start to "
        "the matrix built and laid out (reading and parsing the file included). Update: one "
        "filter-sort-render pass of the matrix with layout, what a reader waits for after "
        "changing a filter. Chromium s: the whole headless process, start and DOM dump included."
    )
    out = ["## Review page", "", how, ""]
    rows = []
    for name, size in pg["sizes"].items():
        for run in size["browser"]:
            rows.append(
                [name, size["terms"], size["file_bytes"], size["build_seconds"], run["query"],
                 run["concepts_shown"], f"{run['ready_ms_median']:.0f}",
                 f"{run['update_ms_median']:.0f}", run["chromium_process_s_median"]]
            )  # fmt: skip
    header = ["glossary", "terms", "file bytes", "build s", "query", "concepts shown"]
    out += _table(header + ["ready ms", "update ms", "Chromium s"], rows)
    load = pg.get("machine", {}).get("load_average")
    return out + ([f"Load average during the run: {load}.", ""] if load is not None else [])


def calibrate_section(cv: dict) -> list[str]:
    """The cross-validated figures of `python -m benchmarks calibrate`: the honest headline."""
    out = [
        "## Quality, cross-validated",
        "",
        f"From `python -m benchmarks calibrate` ({cv['date'][:16]}): {cv['folds']}-fold "
        f"cross-validation split by dev concept (seed {cv['seed']}). The re-ranker and its floor "
        "are fitted on four folds and score the fifth, so every figure here is on concepts the "
        "fitted numbers never saw. The catalog is the dev catalog plus the distinct concepts of "
        "`glossary/data/concepts.csv`, so concepts compete for terms as in real use. "
        "The hand-weighted row is the evidence score alone, with the old fixed floor.",
        "",
        "| mode | system | precision | concept recall | F1 | rows judged |",
        "|---|---|---|---|---|---|",
    ]
    for mode, m in cv["modes"].items():
        for system, key in (
            ("re-ranker (CV)", "cross_validated"),
            ("hand-weighted", "baseline_hand_weighted"),
        ):
            r = m[key]
            out.append(
                f"| {mode} | {system} | {r['precision']:.3f} | {r['concept_recall']:.3f} | "
                f"{r['f1']:.3f} | {r['rows_judged']} |"
            )
    out += ["", "Recall by language (re-ranker, CV):", ""]
    for mode, m in cv["modes"].items():
        by = m["cross_validated"]["recall_by_lang"]
        out.append(f"- {mode}: " + ", ".join(f"{lang} {v:.3f}" for lang, v in by.items()))
    out += [
        "",
        "Floors chosen inside each training split: "
        + "; ".join(
            f"{mode} "
            + ", ".join(f"{v:g}" for v in m["cross_validated"]["floors_by_fold"].values())
            + f" (shipped {m['floor']:g})"
            for mode, m in cv["modes"].items()
        )
        + ".",
        "",
        "Calibration on held-out concepts: share of proposals that match a gold form, per bucket.",
        "",
        "| mode | confidence | rows | right | share |",
        "|---|---|---|---|---|",
    ]
    for mode, m in cv["modes"].items():
        for b in m["cross_validated"]["calibration"]:
            if b["rows"]:
                out.append(
                    f"| {mode} | {b['bucket']} | {b['rows']} | {b['right']} | {b['share']:.2f} |"
                )
    links = cv.get("discovery_links")
    if links:
        out += [
            "",
            f"Discovery links between gold terms: {links['right']} of {links['links']} right "
            f"(link confidence slope {links['slope']}, offset {links['offset']}).",
        ]
    return out + [""]


LEVER_NAMES = {
    "shipped": "shipped features",
    "rank_k_30": "shortlist of 30 instead of 15",
    "symmetric_prompt": "a second similarity with the symmetric STS prompt",
    "contextual": "contextual span vectors (one pass per sentence)",
    "cognate_vi": "spelling similarity to the Vietnamese term itself",
    "two_pass": "a second pass over the first pass's choices in every language (stacking)",
    "without_xlang_spelling": "without the spelling similarity to the other languages' top "
    "candidates (in the product since 2026-12-06)",
}


def levers_section(lv: dict) -> list[str]:
    """`python -m benchmarks levers`: ranking levers against the shipped features."""
    seeds = ", ".join(str(s) for s in lv["fold_seeds"])
    out = [
        "### Ranking levers",
        "",
        f"From `python -m benchmarks levers` ({lv['date'][:16]}): each lever scored by the same "
        f"nested 5-fold cross-validation as calibrate, under fold seeds {seeds}, against the "
        "shipped features on the same folds. The spread of the shipped row between seeds is "
        "the noise a lever has to beat. A lever moves into the product when its mean delta is "
        "positive in both modes; a row \"without ...\" takes an adopted one out again.",
        "",
    ]
    rows = []
    order = list(LEVER_NAMES)  # shipped first, then in the order they were tried
    for mode, scores in lv["modes"].items():
        for name, s in sorted(scores.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)):
            f1s = [v["f1"] for v in s["by_seed"].values()]
            deltas = "" if name == "shipped" else ", ".join(f"{d:+.3f}" for d in s["deltas"])
            rows.append([mode, LEVER_NAMES.get(name, name), ", ".join(f"{f:.3f}" for f in f1s),
                         f"{s['mean_f1']:.3f}", deltas,
                         "" if name == "shipped" else f"{s['mean_delta']:+.3f}"])  # fmt: skip
    return out + _table(
        ["mode", "lever", "F1 by seed", "mean F1", "delta by seed", "mean delta"], rows
    )


def discovery_section(d: dict) -> list[str]:
    """`python -m benchmarks discovery`: new-concept rows beside a concept list, judged by hand."""
    runs = [d] + ([d["dev_catalog"]] if d.get("dev_catalog") else [])
    out = [
        "## Discovery beside a concept list",
        "",
        f"From `python -m benchmarks discovery` ({d['date'][:16]}, {d['model']}): `glossary align "
        "seeds/ --concepts LIST` into a fresh workbook, as a new user runs it, beside the "
        "project's own list and beside the dev catalog (a list the filters were not written "
        f"against). Every row of a discovered concept is counted; a sample of up to {SAMPLE} "
        "(ordered by a hash of language and term) is judged by hand, each term read in its "
        "sentence in the seeds: *real* (a term, name, title or slogan a terminologist would "
        "file) or *junk* (fragment, verb phrase, everyday word, wrong span). The judgements are "
        "in `benchmarks/data/discovery_judged.csv`.",
        "",
        "| measure | " + " | ".join(f"beside {r['concepts_file']}" for r in runs) + " | aim |",
        "|---|" + "---|" * len(runs) + "---|",
    ]
    def row(label, cells, aim=""):
        out.append(f"| {label} | " + " | ".join(cells) + f" | {aim} |")

    row("rows in all", [str(r["rows_total"]) for r in runs])
    row("keyed rows", [str(r["keyed_rows"]) for r in runs])
    row("new-concept rows (concepts)", [f"{r['new_concept_rows']} ({r['new_concepts']})" for r in runs])
    row("new-concept share of all rows", [_f(r["new_concept_share"], 3) for r in runs], "<= 0.30")
    row("judged real in the sample", [f"{r['overall']['real']} of {r['overall']['judged']} "
        f"({_f(r['overall']['real_share'])})" for r in runs], ">= 0.75")  # fmt: skip
    c0 = d["confident"]["min_confidence"]
    row(f"judged real at confidence >= {c0}", [f"{r['confident']['real']} of "
        f"{r['confident']['judged']} ({_f(r['confident']['real_share'])})" for r in runs], ">= 0.80")  # fmt: skip
    out.append("")
    if d.get("prior"):
        p = d["prior"]
        out += [
            f"The new-concept prior is fitted from these judgements: {p['real']} real of "
            f"{p['judged']} judged, (real + 1) / (judged + 2) = {p['prior']}. Beside a list a "
            "new-concept row's confidence is its link's calibrated confidence times this prior, "
            "so that it reads as the chance that a reviewer accepts the row, as a keyed row's "
            "confidence does.",
            "",
        ]
    unjudged = sum(len(r["unjudged"]) for r in runs)
    if unjudged:
        out += [f"{unjudged} sampled rows are not judged yet.", ""]
    out += [
        "Before the filters of 2026-12-04 (coordinations, verbs, participle and adverb heads, "
        "amounts in words, lone adjectives, names cut short), the run beside concepts.csv gave "
        "24 new-concept rows of 147 (share 0.163), 10 of them judged real (0.42).",
        "",
        "| list | concept | lang | term | confidence | judgement | reason |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        for t in r["sample"]:
            cells = [r["concepts_file"], t["concept_id"], t["lang"], t["term"],
                     _f(t["confidence"], 3), t["judgement"] or "not judged", t["reason"]]  # fmt: skip
            out.append("| " + " | ".join(str(x).replace("|", "/") for x in cells) + " |")
    return out + [""]


def long_line_section(ll: dict) -> list[str]:
    """`python -m benchmarks long_line`: sentence splitting stays linear on one long line."""
    return [
        "## Long lines",
        "",
        f"From `python -m benchmarks long_line` ({ll['date'][:16]}): the seeds' paragraphs "
        f"repeated to {ll['characters']:,} characters, read by `read_document` once as a single "
        "line and once as paragraphs (language identification per paragraph included).",
        "",
        "| layout | seconds | sentences |",
        "|---|---|---|",
        f"| one line | {ll['one_line_seconds']:.1f} | {ll['one_line_sentences']} |",
        f"| paragraphs | {ll['paragraphs_seconds']:.1f} | {ll['paragraphs_sentences']} |",
        "",
        f"One line takes {ll['ratio']:.2f}x the time of paragraphs (aim: at most 2x). Before "
        "the splitter became one forward pass, a 0.4 MB line took 61.6 s against 1.0 s after "
        "(the same machine, measured once while writing the change).",
        "",
    ]


def models_section(mc: dict) -> list[str]:
    """`python -m benchmarks.model_calibration`: keyed F1, speed and calibration per model."""
    out = [
        "## Models and calibration",
        "",
        f"From `python -m benchmarks.model_calibration` ({mc['date'][:16]}): each model aligns "
        "the seeds against the dev catalog alone (no distractors; in sample for EmbeddingGemma, "
        "whose ranker was fitted on these concepts). For calibration the dev gold plays the "
        "reviewer on a low-floor run, `glossary calibrate` fits on 70% of those decisions and "
        "the error is measured on the other 30%. Align seconds are with a warm embedding cache; "
        "cold, the static model encoded the seeds in 22.3 s (align 32.3 s, measured once on "
        "2026-12-02), where EmbeddingGemma takes minutes (see Speed). Build the static model "
        "with `python -m benchmarks.static_model OUT_DIR`.",
        "",
        "| model | keyed F1 | precision | recall | align s | ECE before | ECE after | Brier "
        "before | Brier after | held out |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m in mc["models"]:
        h = m["held_out"]
        out.append(
            f"| {m['model']} | {m['keyed_f1']:.3f} | {m['precision']:.3f} | "
            f"{m['concept_recall']:.3f} | {m['align_seconds']:.1f} | {h['ece_before']:.3f} | "
            f"{h['ece_after']:.3f} | {h['brier_before']:.3f} | {h['brier_after']:.3f} | "
            f"{m['held_out_rows']} |"
        )
    return out + [""]


def headline(results: dict) -> list[str]:
    """The figures the issue asks for, in one list."""
    out = ["## Headline", ""]
    q, sp, sc, lk, pg = (results.get(n) for n in ("quality", "speed", "scale", "lookup", "page"))
    cv = results.get("calibrate")
    if cv:
        k, v = (cv["modes"][m]["cross_validated"] for m in ("keyed", "vi_only"))
        out.append(
            f"- Cross-validated on held-out dev concepts: keyed F1 {k['f1']:.3f} "
            f"(P {k['precision']:.3f}, R {k['concept_recall']:.3f}); vi-only F1 {v['f1']:.3f}."
        )
    dc = results.get("discovery")
    if dc:
        o = dc["overall"]
        out.append(
            f"- Discovery beside `concepts.csv`: {dc['new_concept_rows']} new-concept rows of "
            f"{dc['rows_total']} (share {dc['new_concept_share']:.3f}, aim <= 0.30); "
            f"{o['real']} of {o['judged']} judged real terms (aim >= 3 in 4)."
        )
    if q and "keyed" in q["modes"]:
        k = q["modes"]["keyed"]
        base = k.get("baseline", {}).get("f1")
        out.append(
            f"- Keyed F1 {k['scores']['f1']:.3f} against the tuned naive baseline's "
            f"{_f(base, 3)} (ratio {_f(k.get('f1_ratio'))})."
        )
    if sp:
        out.append(
            f"- Cold `glossary align seeds/` / pure encode: {sp['cold_over_pure_encode']:.2f} "
            f"(aim <= {sp.get('aims', {}).get('cold_over_pure_encode', 1.3)}); warm end to end "
            f"{sp['warm_end_to_end_median_seconds']:.1f} s (aim < 5)."
        )
    if sc:
        rows = [r for r in sc["series"].get("stand_in", []) if "seconds" in r]
        g = sc.get("growth", {}).get("stand_in", {})
        if rows:
            top = rows[-1]
            out.append(
                f"- Scale (stand-in encoder): whole-run exponent {_f(g.get('total', {}).get('all_sizes'))}"
                f" over {', '.join(str(r['factor']) + 'x' for r in rows)}, "
                f"{_f(g.get('total', {}).get('two_largest'))} between the two largest; "
                f"CPU {_f(g.get('total (CPU)', {}).get('two_largest'))}; align CPU against "
                f"candidates {_f(g.get('align (CPU)', {}).get('vs_candidates'))} over all sizes, "
                f"{_f(g.get('align (CPU)', {}).get('vs_candidates_two_largest'))} between the two "
                "largest; peak RSS "
                f"{top['peak_rss_mb']:.0f} MB at {top['factor']}x."
            )
        for note in sc.get("notes", []):
            out.append(f"- {note}")
    if lk and "synthetic_10k" in lk:
        e = lk["synthetic_10k"]
        out.append(
            f"- Lookup (10,000 terms): cold start {e['cold_start_median_s']:.2f} s, "
            f"p99 {e['p99_ms']:.2f} ms."
        )
    ll = results.get("long_line")
    if ll:
        out.append(
            f"- {ll['characters'] / 1e6:.0f} MB on one line read in {ll['one_line_seconds']:.1f} s, "
            f"{ll['ratio']:.2f}x the same text in paragraphs ({ll['paragraphs_seconds']:.1f} s; aim <= 2x)."
        )
    for name, size in (pg or {}).get("sizes", {}).items():
        run = size["browser"][0]
        out.append(
            f"- Review page ({name}, {size['terms']} terms): {size['file_bytes'] / 1e6:.2f} MB, "
            f"built in {size['build_seconds']:.2f} s, ready in Chromium in "
            f"{run['ready_ms_median']:.0f} ms (aim < 2000)."
        )
    return out + [""]


def render() -> str:
    """docs/benchmarks.md from whatever result files exist."""
    names = (
        "calibrate", "levers", "quality", "discovery", "speed", "scale", "lookup", "store",
        "page", "long_line", "model_calibration", "termbase", "scale_workers",
        "discovery_cap", "cold_align", "backends", "variants", "gpu_speed",
    )  # fmt: skip
    results = {n: read_result(n) for n in names}
    first = next((r for r in (results["speed"], results["quality"], results["scale"]) if r), {})
    m = first.get("machine", {})
    lines = ["# Benchmarks", ""]
    lines += [
        "Generated by `python -m benchmarks all` from `benchmarks/results/*.json`; do not edit "
        "by hand.",
        "",
        f"- Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, "
        f"{m.get('memory_gb', '?')} GB RAM, Python {m.get('python', '?')}, torch "
        f"{m.get('torch', '?')} ({m.get('torch_threads', '?')} threads). The cores are shared "
        "with other work; the load average is in each result file.",
        f"- Model: {first.get('model', '?')} (EmbeddingGemma-300M, `glossary model fetch`).",
        "- Dates: "
        + ", ".join(f"{n} {r['date'][:16]}" for n, r in results.items() if r and "date" in r),
        f"- Reproduce: `{REPRODUCE}` (or one of quality, speed, scale, lookup, store, page; "
        "`report` only re-renders this page).",
        "",
    ]
    lines += headline(results)
    for name, section in (
        ("calibrate", calibrate_section),
        ("levers", levers_section),
        ("quality", quality_section),
        ("discovery", discovery_section),
        ("speed", speed_section),
        ("scale", scale_section),
        ("lookup", lookup_section),
        ("store", store_section),
        ("page", page_section),
        ("long_line", long_line_section),
        ("model_calibration", models_section),
    ):
        if results[name]:
            lines += section(results[name])
        else:
            lines += [f"## {name.title()}", "", "Not run yet.", ""]
        if name == "scale" and results["discovery_cap"]:
            lines += discovery_cap_section(results["discovery_cap"])
        if name == "scale" and results["termbase"]:
            lines += termbase_section(results["termbase"])
        if name == "scale" and results["scale_workers"]:
            lines += workers_section(results["scale_workers"])
        if name == "speed":
            if results["cold_align"]:
                lines += cold_align_section(results["cold_align"], results["speed"])
            if results["backends"]:
                lines += backends_section(results["backends"])
            if results["variants"]:
                lines += variants_section(results["variants"])
            lines += gpu_section(results["gpu_speed"])
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> None:
    names = ("scale", "quality", "speed", "lookup", "store", "page")
    what = argv[0] if argv else "all"
    if what not in (*names, "all", "report", *EXTRA):
        sys.exit(
            f"usage: python -m benchmarks [all|{'|'.join(names)}|calibrate [--write]|errors|discovery|"
            "review_gain|long_line [MB]|termbase [TERMS...]|backends [--texts N]|workers|variants|"
            "gpu_speed [--texts N]|report]"
        )
    for name in names if what == "all" else (() if what == "report" else (what,)):
        run(name)
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)} from {RESULTS.relative_to(ROOT)}/", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
