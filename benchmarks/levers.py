"""Ranking levers tried on the re-ranker: each one's cross-validated F1 beside the shipped
features, over several fold seeds, so that a lever is judged against the spread between seeds.

A lever adds feature columns to the calibrate table (or changes its shortlist) and the same
nested cross-validation as `python -m benchmarks calibrate` scores it. Nothing here changes
the product; a lever that beats the noise moves into glossary/alignment/ranking.py.

    python -m benchmarks levers            # every lever
    python -m benchmarks levers contextual # one of them

Levers:
- rank_k_30: a shortlist of 30 candidates per concept and language instead of 15;
- symmetric_prompt: a second similarity, candidate and query both encoded with the model's
  sentence-similarity prompt (EmbeddingGemma "STS"), beside the asymmetric retrieval one;
- contextual: contextual span vectors, each sentence encoded once and the span's token states
  mean-pooled through the model's own dense layers, alone and averaged with the phrase's vector;
- two_pass: stacking; a second ranker over the same rows plus features from every language's
  first-pass probabilities (its standing in its own shortlist, the first-pass choices abroad
  by meaning and by spelling), with the first pass out of fold for every outer fold;
- cognate_vi: the candidate's spelling similarity to the Vietnamese term itself (names and
  places often stay as they are: Tô Lâm, Đắk Lắk), beside the cognate to the English gloss;
- without_xlang_spelling: the shipped features less the two adopted on 2026-12-06, the
  candidate's spelling similarity to the concept's top shortlisted candidates in the other
  languages (cognates across languages; ranking.xlang_spelling_max/_mean). Before they were
  in the product, as a lever over the features then shipped, they measured keyed deltas
  +0.011, +0.011, -0.004, -0.004 (mean +0.004) and Vietnamese-only +0.005, +0.001, +0.028,
  +0.016 (mean +0.013).
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import replace

import numpy as np

from benchmarks import calibrate as cal
from benchmarks import now, read_result, write_result
from glossary.alignment import prepare
from glossary.alignment.evidence import ascii_key, cognate, query_texts
from glossary.alignment.ranking import FEATURES, Shortlist
from glossary.models import Candidate

FOLD_SEEDS = (13, 7, 29, 41)  # 13 is calibrate's own
LEVERS = (
    "rank_k_30", "symmetric_prompt", "contextual", "two_pass", "without_xlang_spelling",
    "cognate_vi",
)  # fmt: skip
CONTEXTS = 3  # sentences per candidate for its contextual vector
SYMMETRIC_TASK = "STS"


@contextmanager
def fold_seed(seed: int):
    """Calibrate's folds and trees under another seed."""
    kept = cal.SEED
    cal.SEED = seed
    try:
        yield
    finally:
        cal.SEED = kept


def symmetric_columns(inputs, table, embedder) -> np.ndarray:
    """Per row: similarity to the Vietnamese term and to the best gloss alternative, both
    sides encoded with the sentence-similarity prompt."""
    forms = sorted({inputs.by_lang[lang][i].form for lang, i in zip(table.lang, table.candidate)})
    queries = [query_texts(c) for c in inputs.concepts]
    texts = sorted({t for q in queries for t in q})
    vec = dict(zip(forms, embedder.encode(forms, task=SYMMETRIC_TASK)))
    qvec = dict(zip(texts, embedder.encode(texts, task=SYMMETRIC_TASK)))
    rows = []
    for lang, j, i in zip(table.lang, table.concept, table.candidate):
        v = vec[inputs.by_lang[lang][i].form]
        vi = float(qvec[queries[j][0]] @ v)
        gloss = max((float(qvec[t] @ v) for t in queries[j][1:]), default=0.0)
        rows.append([vi, gloss])
    return np.array(rows)


def _span_jobs(cands, docs) -> dict[str, list[tuple[int, int, int]]]:
    """sentence -> (candidate number, start, end in the sentence) for each candidate's first
    CONTEXTS occurrences."""
    starts = {}
    for doc in docs:
        for sentence in doc.sentences:
            starts[(doc.path, sentence.text)] = sentence.start
    jobs: dict[str, list[tuple[int, int, int]]] = {}
    for n, cand in enumerate(cands):
        for ctx in cand.contexts[:CONTEXTS]:
            begin = starts.get((ctx.doc, ctx.sentence))
            if begin is None or not (0 <= ctx.start - begin < ctx.end - begin <= len(ctx.sentence)):
                continue
            jobs.setdefault(ctx.sentence, []).append((n, ctx.start - begin, ctx.end - begin))
    return jobs


def _dimension(model) -> int:
    named = (
        getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    )
    return named()


def contextual_vectors(cands, docs, embedder, batch: int = 16) -> np.ndarray:
    """One unit vector per candidate from its sentences (NaN where none was found)."""
    import torch

    model = embedder.model
    prompt = embedder.prompt_for("document")
    jobs = _span_jobs(cands, docs)
    pooled: dict[int, list[np.ndarray]] = {}
    sentences = sorted(jobs, key=len)
    with torch.no_grad():
        for at in range(0, len(sentences), batch):
            chunk = sentences[at : at + batch]
            enc = model.tokenizer(
                [prompt + s for s in chunk], return_offsets_mapping=True, padding=True,
                truncation=True, max_length=512, return_tensors="pt",
            )  # fmt: skip
            offsets = enc.pop("offset_mapping").numpy()
            states = model[0](dict(enc))["token_embeddings"].float().numpy()
            for row, sentence in enumerate(chunk):
                begin, end = offsets[row, :, 0], offsets[row, :, 1]
                for n, start, stop in jobs[sentence]:
                    a, b = start + len(prompt), stop + len(prompt)
                    inside = (end > a) & (begin < b) & (end > begin)
                    if inside.any():
                        pooled.setdefault(n, []).append(states[row][inside].mean(axis=0))
        out = np.full((len(cands), _dimension(model)), np.nan, np.float32)
        for n, parts in pooled.items():
            features = {"sentence_embedding": torch.tensor(np.mean(parts, axis=0))[None]}
            for module in list(model)[2:]:  # the dense layers and normalisation after pooling
                features = module(features)
            vec = features["sentence_embedding"][0].numpy()
            out[n] = vec / np.linalg.norm(vec)
    return out


def contextual_columns(inputs, table, docs, embedder) -> np.ndarray:
    """Per row: the contextual vector's similarity to the Vietnamese term and the best gloss
    alternative, and the same for its average with the phrase vector."""
    ctx = {
        lang: contextual_vectors(cands, [d for d in docs if d.lang == lang], embedder)
        for lang, cands in inputs.by_lang.items()
    }
    queries = inputs.queries
    rows = []
    for lang, j, i in zip(table.lang, table.concept, table.candidate):
        vec = ctx[lang][i]
        mix = vec + inputs.vectors[lang][i]
        mix = mix / np.linalg.norm(mix)
        alternatives = queries.alternatives[j]
        row = []
        for v in (vec, mix):
            row += [float(queries.vi[j] @ v),
                    float((alternatives @ v).max()) if len(alternatives) else 0.0]  # fmt: skip
        rows.append(row)
    return np.array(rows)


def _cv(table, inputs, gold, score, seed: int) -> dict:
    with fold_seed(seed):
        result, _rows = cal.cross_validate(table, inputs, gold, score)
    return {k: round(float(result[k]), 4) for k in ("f1", "precision", "concept_recall")}


# Features of a row that need every language's first-pass probabilities: how the row stands in
# its own shortlist, and whether the first-pass choices abroad agree with it, by meaning
# (vectors) and by spelling (cognates across languages: massemobilisering / massmobilisering).
SECOND_FEATURES = (
    "first", "first_margin", "first_elsewhere", "abroad_support", "abroad_best",
    "abroad_spelling", "abroad_chosen",
)  # fmt: skip


def _best_two(keys: list[tuple], prob: np.ndarray) -> dict[tuple, tuple[int, float, float]]:
    """Per key: (row of the highest probability, that probability, the second highest)."""
    out: dict[tuple, tuple[int, float, float]] = {}
    for n, (key, p) in enumerate(zip(keys, prob)):
        row, top, second = out.get(key, (-1, -1.0, 0.0))
        if p > top:
            out[key] = (n, float(p), max(top, 0.0))
        elif p > second:
            out[key] = (row, top, float(p))
    return out


def second_pass_features(
    shorts: Sequence[Shortlist],
    first: Sequence[np.ndarray],
    by_lang: dict[str, list[Candidate]],
    vectors: dict[str, np.ndarray],
) -> list[np.ndarray]:
    """SECOND_FEATURES for every row of every shortlist, from first-pass probabilities."""
    from rapidfuzz import fuzz

    best = {}  # (lang, concept) -> (candidate, probability) of the first pass's choice
    for short, prob in zip(shorts, first):
        for (j,), (n, p, _) in _best_two([(j,) for j in short.concept], prob).items():
            best[(short.lang, j)] = (int(short.candidate[n]), p)
    folded = {lang: {} for lang in by_lang}
    out = []
    for short, prob in zip(shorts, first):
        lang = short.lang
        own = _best_two([(j,) for j in short.concept], prob)
        per_candidate = _best_two([(i,) for i in short.candidate], prob)
        others = [other for other in by_lang if other != lang]
        rows = np.zeros((len(short.concept), len(SECOND_FEATURES)))
        for n, (j, i, p) in enumerate(zip(short.concept, short.candidate, prob)):
            top_row, top, second = own[(j,)]
            rival = per_candidate[(i,)]
            elsewhere = rival[2] if rival[0] == n else rival[1]
            vec = vectors[lang][i]
            form = folded[lang].setdefault(i, ascii_key(by_lang[lang][i].form))
            support = best_agree = spelling = chosen = 0.0
            for other in others:
                if (other, j) not in best:
                    continue
                b, pb = best[(other, j)]
                agree = float(vectors[other][b] @ vec)
                support += pb * agree
                best_agree = max(best_agree, pb * agree)
                b_form = folded[other].setdefault(b, ascii_key(by_lang[other][b].form))
                spelling = max(spelling, pb * fuzz.ratio(form, b_form) / 100.0)
                chosen += pb
            rows[n] = [
                p, p - (second if top_row == n else top), elsewhere,
                support / max(len(others), 1), best_agree, spelling, chosen / max(len(others), 1),
            ]  # fmt: skip
        out.append(rows)
    return out


def second_columns(table, inputs, first: np.ndarray) -> np.ndarray:
    """The second pass's features of every row, from the stacked first-pass probabilities."""
    parts, start = [], 0
    for short in table.shorts:
        parts.append(first[start : start + len(short.concept)])
        start += len(short.concept)
    found = second_pass_features(table.shorts, parts, inputs.by_lang, inputs.vectors)
    return np.vstack(found)


def cognate_vi_columns(inputs, table) -> np.ndarray:
    """Per row: fuzzy similarity (0..1) of the candidate to its concept's Vietnamese term."""
    return np.array([
        [cognate(inputs.by_lang[lang][i].form, [inputs.concepts[j].vi])]
        for lang, j, i in zip(table.lang, table.concept, table.candidate)
    ])  # fmt: skip


def without_spelling(table):
    """The table less the cross-language spelling features."""
    keep = [n for n, name in enumerate(FEATURES) if not name.startswith("xlang_spelling")]
    return replace(table, x=table.x[:, keep])


def two_pass_cv(table, inputs, gold, score, seed: int) -> dict:
    """Nested CV of the two passes: for each outer fold, the first pass's probabilities of the
    other folds come from rankers that never saw it, and so does its floor."""
    with fold_seed(seed):
        folds = cal.folds_of(table, inputs)
        first_all = cal.oof(table, inputs, gold, folds)
        prob = np.zeros(len(table.y))
        floors = np.zeros(len(inputs.concepts))
        for f in range(cal.FOLDS):
            held = folds == f
            first = np.where(held, first_all, cal.oof(table, inputs, gold, folds, exclude=f))
            second = _with_columns(table, second_columns(table, inputs, first))
            train = table.gold & ~held
            prob[held] = cal._predict(second, held, cal.fit_ranker(second.x[train], second.y[train]))
            inner = cal.oof(second, inputs, gold, folds, exclude=f)
            others = {cid: g for cid, g in gold.items() if cal.fold_of(cid) != f}
            floor = cal.best_floor(second, inputs, np.where(held, prob, inner), others, score)
            for j, concept in enumerate(inputs.concepts):
                if cal.fold_of(concept.concept_id) == f:
                    floors[j] = floor
        result = cal.f1_on(gold, cal.rows_of(table, inputs, prob, floors), score)
    return {k: round(float(result[k]), 4) for k in ("f1", "precision", "concept_recall")}


def _with_columns(table, columns: np.ndarray):
    return replace(table, x=np.hstack([table.x, columns]))


def run(levers=LEVERS) -> dict:
    dev = cal.dev_seeds()
    score, gold, docs, candidates = dev.score, dev.gold, dev.docs, dev.candidates
    embedder, settings, langs = dev.embedder, dev.settings, dev.langs
    result: dict = {"date": now(), "fold_seeds": list(FOLD_SEEDS), "modes": {}}
    for mode, with_gloss in (("keyed", True), ("vi_only", False)):
        inputs = prepare(
            candidates, embedder, cal.catalog(with_gloss), langs=langs, settings=settings
        )
        table = cal.build_table(inputs, settings, gold, score)
        variants = {"shipped": (table, inputs)}
        if "rank_k_30" in levers:
            wide = replace(settings, rank_k=30)
            variants["rank_k_30"] = (cal.build_table(inputs, wide, gold, score), inputs)
        if "symmetric_prompt" in levers:
            extra = symmetric_columns(inputs, table, embedder)
            variants["symmetric_prompt"] = (_with_columns(table, extra), inputs)
        if "contextual" in levers:
            extra = contextual_columns(inputs, table, docs, embedder)
            variants["contextual"] = (_with_columns(table, extra), inputs)
        scores = {}
        if "two_pass" in levers:
            variants["two_pass"] = (table, inputs)
        if "cognate_vi" in levers:
            variants["cognate_vi"] = (_with_columns(table, cognate_vi_columns(inputs, table)), inputs)
        if "without_xlang_spelling" in levers:
            variants["without_xlang_spelling"] = (without_spelling(table), inputs)
        for name, (t, inp) in variants.items():
            cv = two_pass_cv if name == "two_pass" else _cv
            by_seed = {str(seed): cv(t, inp, gold, score, seed) for seed in FOLD_SEEDS}
            f1s = [s["f1"] for s in by_seed.values()]
            scores[name] = {"by_seed": by_seed, "mean_f1": round(statistics.mean(f1s), 4)}
            print(f"levers {mode} {name}: F1 by seed {f1s}, mean {statistics.mean(f1s):.3f}",
                  flush=True)  # fmt: skip
        shipped = scores["shipped"]["by_seed"]
        for s in scores.values():
            deltas = [s["by_seed"][k]["f1"] - shipped[k]["f1"] for k in shipped]
            s["mean_delta"] = round(statistics.mean(deltas), 4)
            s["deltas"] = [round(d, 4) for d in deltas]
        result["modes"][mode] = scores
    embedder.cache.close()
    write_result("levers", kept_from_before(result, read_result("levers")))
    return result


def kept_from_before(result: dict, before: dict | None) -> dict:
    """The new result, with the levers of an earlier run that this one did not rerun (their
    date and deltas as then measured; the shipped row is the same on the same folds)."""
    if not before or before.get("fold_seeds") != result["fold_seeds"]:
        return result
    merged = {**result, "modes": {}}
    for mode, scores in result["modes"].items():
        earlier = before.get("modes", {}).get(mode, {})
        merged["modes"][mode] = {**{k: v for k, v in earlier.items() if k not in scores}, **scores}
    then = before.get("dates", {})
    merged["dates"] = {
        name: result["date"] if name in result["modes"][mode] else then.get(name, before["date"])
        for mode in merged["modes"] for name in merged["modes"][mode]
    }  # fmt: skip
    return merged


def main(argv: list[str]) -> None:
    chosen = tuple(a for a in argv if a in LEVERS) or LEVERS
    unknown = [a for a in argv if a not in LEVERS]
    if unknown:
        raise SystemExit(f"levers: unknown lever {unknown[0]!r}; choose from {', '.join(LEVERS)}")
    run(chosen)


if __name__ == "__main__":
    main(sys.argv[1:])
