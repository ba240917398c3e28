"""The benchmark harness itself: synthetic corpora, the stand-in embedder, resuming, growth fits."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import ROOT
from benchmarks.scale import HashingModel, exponent, growth
from benchmarks.synth import make_corpus

WORD = re.compile(r"[^\W\d_]+")


def _sentences(text: str) -> set[str]:
    return {s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.strip()) > 25}


def _body(path: Path) -> str:
    # The first line is the site header every article shares.
    return path.read_text(encoding="utf-8").split("\n", 1)[1]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory, seeds_dir) -> dict[int, Path]:
    out = {}
    for factor in (1, 4):
        folder = tmp_path_factory.mktemp(f"synth{factor}")
        make_corpus(seeds_dir, folder, factor)
        out[factor] = folder
    return out


def test_synthetic_articles_are_new_not_copies(synthetic, seeds_dir):
    seed_texts = [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))]
    seed_sentences = set().union(*(_sentences(t) for t in seed_texts))
    files = sorted(synthetic[4].glob("*.txt"))
    assert len(files) == 4 * len(seed_texts)
    bodies = [_body(p) for p in files]
    assert len(set(bodies)) == len(bodies), "two synthetic articles are identical"
    made = set().union(*(_sentences(b) for b in bodies))
    copied = made & seed_sentences
    assert len(copied) < 0.5 * len(made), f"{len(copied)} of {len(made)} sentences are verbatim"


def test_synthetic_corpus_size_and_languages_follow_the_seeds(synthetic, seeds_dir):
    seed_chars = sum(len(p.read_text(encoding="utf-8")) for p in seeds_dir.glob("*.txt"))
    chars = sum(len(p.read_text(encoding="utf-8")) for p in synthetic[4].glob("*.txt"))
    assert 3.5 * seed_chars < chars < 4.6 * seed_chars
    langs = {p.stem.split("_")[1] for p in synthetic[4].glob("*.txt")}
    assert langs == {"nb", "nl", "cs", "sv", "fr"}


def test_synthetic_vocabulary_grows_with_size(synthetic):
    def vocabulary(folder: Path) -> tuple[int, int]:
        words, bigrams = set(), set()
        for path in folder.glob("*.txt"):
            tokens = WORD.findall(path.read_text(encoding="utf-8").casefold())
            words.update(tokens)
            bigrams.update(zip(tokens, tokens[1:]))
        return len(words), len(bigrams)

    words1, bigrams1 = vocabulary(synthetic[1])
    words4, bigrams4 = vocabulary(synthetic[4])
    assert words4 > 1.2 * words1
    assert bigrams4 > 1.5 * bigrams1


def test_synthetic_corpus_is_reproducible(tmp_path, seeds_dir):
    make_corpus(seeds_dir, tmp_path / "a", 1)
    make_corpus(seeds_dir, tmp_path / "b", 1)
    for path in (tmp_path / "a").glob("*.txt"):
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes()


def test_stand_in_model_gives_unit_vectors_closer_for_similar_strings():
    model = HashingModel(dim=256)
    vec = model.encode(["massemobilisering", "massemobiliseringen", "Fedrelandsfronten"])
    assert np.allclose(np.linalg.norm(vec, axis=1), 1.0, atol=1e-5)
    assert vec[0] @ vec[1] > vec[0] @ vec[2] + 0.3


def test_growth_exponent_tells_linear_from_quadratic():
    sizes = [1, 4, 16, 64]
    assert exponent(sizes, [2.0 * s for s in sizes]) == pytest.approx(1.0, abs=0.01)
    assert exponent(sizes, [0.5 * s * s for s in sizes]) == pytest.approx(2.0, abs=0.01)
    rows = [
        {"characters": s, "total_seconds": s, "candidates": s, "peak_rss_mb": 100,
         "seconds": {k: s for k in ("read", "extract", "embed", "align", "write")}}
        for s in sizes
    ]  # fmt: skip
    fitted = growth(rows)
    assert fitted["total"]["two_largest"] == pytest.approx(1.0, abs=0.01)
    assert fitted["peak_rss_mb"]["all_sizes"] == pytest.approx(0.0, abs=0.01)


def _run(corpus: Path, cache: Path, delay: float, kill_after: int | None) -> dict | None:
    """`benchmarks.scale one` in a subprocess; with kill_after, killed once that many texts
    are encoded (and committed), before the encode stage ends."""
    cmd = [sys.executable, "-m", "benchmarks.scale", "one", str(corpus), "--cache", str(cache)]
    cmd += ["--glossary", str(cache / "terms.xlsx"), "--stand-in", "--delay", str(delay)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    total = None
    try:
        for line in proc.stdout:
            if line.startswith("PROGRESS "):
                done, total = map(int, line.split()[1:])
                if kill_after is not None and kill_after <= done < total:
                    proc.kill()
                    proc.wait()
                    return {"killed_at": done, "total": total}
            elif line.startswith("RESULT "):
                proc.wait()
                return json.loads(line[len("RESULT ") :])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return None


def test_interrupted_run_resumes_instead_of_starting_over(tmp_path, seeds_dir):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    sample = sorted(seeds_dir.glob("*.txt"), key=lambda p: p.stat().st_size)[0]
    (corpus / sample.name).write_bytes(sample.read_bytes())
    cache = tmp_path / "cache"

    first = _run(corpus, cache, delay=0.004, kill_after=256)
    assert first and "killed_at" in first, f"the first run was not caught mid-encode: {first}"
    second = _run(corpus, cache, delay=0.0, kill_after=None)
    assert second is not None
    # The second run encodes only what the killed one had not committed.
    assert 0 < second["encoded_texts"] <= first["total"] - first["killed_at"]
    assert second["candidates"] > 0 and (cache / "terms.xlsx").exists()


def test_termbase_benchmark_tbx_imports_as_four_terms_per_concept(tmp_path):
    from benchmarks.__main__ import termbase_section
    from benchmarks.termbase import write_tbx
    from glossary.importer import read_file

    tbx = tmp_path / "t.tbx"
    write_tbx(tbx, 5)
    g = read_file(tbx).glossary
    assert len(g.concepts) == 5 and len(g.terms) == 20
    assert all(c.vi for c in g.concepts)
    size = {"terms": 20, "concepts": 5, "tbx_mb": 0.0, "plain_lxml_parse_s": 0.0}
    size["import"] = {"error": "exit 2: too big"}
    lines = termbase_section({"targets": TARGETS_FOR_TEST, "machine": {}, "sizes": {"20": size}})
    assert any("failed: exit 2: too big" in line for line in lines)


TARGETS_FOR_TEST = {
    "import_s": 10,
    "validate_s": 2,
    "first_lookup_s": 5,
    "later_lookup_start_s": 0.5,
    "lookup_p99_ms": 5,
    "peak_rss_mb": 500,
}


def test_discovery_judgements_are_one_verdict_per_row_with_a_reason():
    import csv

    from benchmarks.discovery import JUDGED, VERDICTS

    with JUDGED.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(r["judgement"] in VERDICTS and r["reason"].strip() for r in rows)
    assert len({(r["lang"], r["term"]) for r in rows}) == len(rows)


def test_discovery_sample_keeps_its_rows_when_others_are_filtered_out():
    from benchmarks.discovery import sample_order

    rows = [("fr", f"terme {n}") for n in range(60)]
    first = sorted(rows, key=lambda r: sample_order(*r))[:40]
    kept = [r for r in rows if r != first[0]]  # a filter drops one sampled row
    again = sorted(kept, key=lambda r: sample_order(*r))[:40]
    assert set(first[1:]) <= set(again)


def test_discovery_prior_is_the_judged_real_share_and_both_lists_are_shown():
    from benchmarks.__main__ import discovery_section
    from benchmarks.discovery import fitted_prior

    def one(name: str, real: int, judged: int) -> dict:
        tally = {"judged": judged, "real": real, "junk": judged - real,
                 "real_share": real / judged}  # fmt: skip
        sample = [{"concept_id": "new_x", "lang": "fr", "term": "niveau local",
                   "confidence": 0.5, "judgement": "junk", "reason": "everyday"}]  # fmt: skip
        return {"model": "m", "concepts_file": name, "rows_total": 100, "keyed_rows": 90,
                "new_concept_rows": 10, "new_concept_share": 0.1, "new_concepts": 3,
                "sample_size": judged, "overall": tally, "unjudged": [], "sample": sample,
                "confident": {"min_confidence": 0.8, "rows": 0, "judged": 0, "real": 0,
                              "junk": 0, "real_share": None}}  # fmt: skip

    runs = [one("concepts.csv", 10, 10), one("dev_catalog.csv", 1, 9)]
    prior = fitted_prior(runs)
    assert prior == {"real": 11, "judged": 19, "prior": round(12 / 21, 3)}
    text = "\n".join(discovery_section({"date": "2026-12-06T22:00", **runs[0],
                                        "dev_catalog": runs[1], "prior": prior}))  # fmt: skip
    assert "| beside concepts.csv | beside dev_catalog.csv |" in text
    assert "| 10 of 10 (1.00) | 1 of 9 (0.11) |" in text
    assert "= 0.571" in text and "| dev_catalog.csv | new_x | fr | niveau local |" in text


def test_levers_find_each_candidate_span_inside_its_sentence(seeds_dir):
    from benchmarks.levers import _span_jobs
    from glossary.corpus import read_corpus
    from glossary.extract import extract_candidates

    docs = [d for d in read_corpus([seeds_dir]).documents if d.lang == "sv"]
    cands = extract_candidates(docs)
    jobs = _span_jobs(cands, docs)
    spans = [(s, n, a, b) for s, found in jobs.items() for n, a, b in found]
    assert len({n for _s, n, _a, _b in spans}) > 0.9 * len(cands)
    for sentence, n, a, b in spans:
        assert sentence[a:b].casefold() in {f.casefold() for f in cands[n].forms}


def test_levers_table_shows_each_lever_against_the_shipped_features():
    from benchmarks.__main__ import levers_section

    by_seed = {"13": {"f1": 0.66}, "7": {"f1": 0.67}}
    result = {"date": "2026-12-04T19:00", "fold_seeds": [13, 7], "modes": {"keyed": {
        "shipped": {"by_seed": by_seed, "mean_f1": 0.665, "mean_delta": 0.0, "deltas": [0, 0]},
        "contextual": {"by_seed": by_seed, "mean_f1": 0.655, "mean_delta": -0.01,
                       "deltas": [-0.01, -0.01]},
    }}}  # fmt: skip
    text = "\n".join(levers_section(result))
    assert (
        "| keyed | contextual span vectors (one pass per sentence) | 0.660, 0.670 | 0.655 |" in text
    )
    assert "-0.010" in text


def test_discovery_cap_table_shows_both_modes_and_the_index_recall():
    from benchmarks.__main__ import discovery_cap_section

    def row(mode: str, searches: dict) -> dict:
        run = {"candidates": 59692, "neighbours": searches, "seconds": {"align": 9.5},
               "total_seconds": 40.1, "peak_rss_mb": 1500.0, "new_concepts": 700}  # fmt: skip
        score = {"pair_precision": 0.5, "pair_recall": 0.25, "f1": 0.3333, "extraction_recall": 0.6,
                 "pairs_judged": 52}  # fmt: skip
        return {"factor": 16, "mode": mode, "run": run, "score": score}

    result = {
        "encoder": "stand-in", "gold": "dev gold",
        "rows": [row("capped", {"exact": {"searches": 10}}),
                 row("uncapped", {"exact": {"searches": 2}, "ivf": {"searches": 16}}),
                 {"factor": 64, "mode": "uncapped", "timed_out_after_s": 1800.0}],
        "index_recall": [{"factor": 16, "languages": ["cs", "fr"], "sizes": [16413, 14927],
                          "k": 10, "lists": 512, "probes": 32, "top1_recall": 0.82,
                          "topk_recall": 0.8}],
    }  # fmt: skip
    text = "\n".join(discovery_cap_section(result))
    assert "| 16x | uncapped | 59692 | exact 2, ivf 16 | 9.5 (0.0) |" in text
    assert "| 52 | 0.500 | 0.250 | 0.333 | 0.600 |" in text
    assert "| 64x | uncapped | not finished: 1800.0 |" in text
    assert "| 16x | cs-fr | 16413 x 14927 | 512 (32) | 0.820 | 0.800 (k=10) |" in text


def test_gpu_speed_script_times_each_batch_size_on_a_tiny_sample(tiny_model):
    from benchmarks.gpu_speed import measure

    texts = ["partiet", "massemobilisering", "Fedrelandsfronten", "provinsielle partikomiteen"]
    found = measure(texts * 3, tiny_model, [2, 4, 8], budget=120)
    assert [r["batch_size"] for r in found["runs"]] == [2, 4, 8]
    for run in found["runs"]:
        assert run["phrases_per_second"] > 0
        assert run["min_cosine_to_first_batch_size"] > 0.999
    assert found["best"]["batch_size"] in (2, 4, 8)


def test_variants_groups_texts_by_their_form_without_outer_quotes_and_case():
    from benchmarks.variants import seed_groups, unquoted

    assert unquoted(" «Dân vận khéo» ") == "Dân vận khéo"
    assert unquoted('"Massamobilisatie" en "Zelfbestuur"') == '"Massamobilisatie" en "Zelfbestuur"'
    assert unquoted("'s'adapter'") == "'s'adapter'"  # an apostrophe inside: left as it is
    found = seed_groups(["«Dân vận»", "Dân vận", "dân vận", "TAM", "Tam", "partiet"])
    assert found["saved_by_quotes"] == 1
    assert found["saved_by_quotes_and_case"] == 3
    assert found["case_groups"] == [["TAM", "Tam"], ["«Dân vận»", "Dân vận", "dân vận"]]


def test_speed_tables_show_each_backend_each_variant_and_a_missing_gpu():
    from benchmarks.__main__ import backends_section, gpu_section, variants_section

    backends = {
        "texts": 300, "rounds": 1, "runs": [{"load_average": 9.0}],
        "summary": [
            {"backend": "torch", "threads": "default", "encode_seconds": 10.0, "over_torch": 1.0,
             "load_seconds": 5.0, "mean_cosine": 1.0, "min_cosine": 1.0, "peak_rss_mb": 1300},
            {"backend": "onnx", "threads": 1, "error": "no onnxruntime"},
        ],
        "dev_f1": {"torch": {"keyed": 0.668, "vi_only": 0.39}},
    }  # fmt: skip
    text = "\n".join(backends_section(backends))
    assert "| torch | default | 10.00 | 1.00 |" in text and "0.668 / 0.390" in text
    assert "failed: no onnxruntime" in text and "busy" in text
    variants = {
        "sample": 300,
        "seeds": {"texts": 9030, "saved_by_quotes": 0, "saved_by_quotes_and_case": 4},
        "cosines": {"lower case": {"pairs": 77, "mean_cosine": 0.931, "min_cosine": 0.62,
                                   "p5_cosine": 0.78, "share_at_least_0_99": 0.1, "safe": False},
                    "encoded_texts": 1167},
    }  # fmt: skip
    text = "\n".join(variants_section(variants))
    assert "| lower case | 77 | 0.931 |" in text and "| no |" in text
    assert "at most 4 encodes" in text
    assert "No GPU" in "\n".join(gpu_section(None))


def test_a_levers_run_of_some_levers_keeps_the_others_from_before():
    from benchmarks.levers import kept_from_before

    def scores(*names):
        return {n: {"by_seed": {"13": {"f1": 0.5}}, "mean_f1": 0.5} for n in names}

    before = {"date": "2026-12-04", "fold_seeds": [13], "modes": {"keyed": scores("shipped", "a", "b")}}
    now = {"date": "2026-12-06", "fold_seeds": [13], "modes": {"keyed": scores("shipped", "b")}}
    merged = kept_from_before(now, before)
    assert set(merged["modes"]["keyed"]) == {"shipped", "a", "b"}
    assert merged["dates"] == {"a": "2026-12-04", "shipped": "2026-12-06", "b": "2026-12-06"}
    other_folds = {**before, "fold_seeds": [7]}
    assert kept_from_before(now, other_folds) is now
