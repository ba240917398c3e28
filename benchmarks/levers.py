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
  mean-pooled through the model's own dense layers, alone and averaged with the phrase's vector.
"""

from __future__ import annotations

import statistics
import sys
from contextlib import contextmanager
from dataclasses import replace

import numpy as np

from benchmarks import calibrate as cal
from benchmarks import now, write_result
from glossary.alignment import prepare
from glossary.alignment.evidence import query_texts

FOLD_SEEDS = (13, 7, 29, 41)  # 13 is calibrate's own
LEVERS = ("rank_k_30", "symmetric_prompt", "contextual")
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
        for name, (t, inp) in variants.items():
            by_seed = {str(seed): _cv(t, inp, gold, score, seed) for seed in FOLD_SEEDS}
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
    write_result("levers", result)
    return result


def main(argv: list[str]) -> None:
    chosen = tuple(a for a in argv if a in LEVERS) or LEVERS
    unknown = [a for a in argv if a not in LEVERS]
    if unknown:
        raise SystemExit(f"levers: unknown lever {unknown[0]!r}; choose from {', '.join(LEVERS)}")
    run(chosen)


if __name__ == "__main__":
    main(sys.argv[1:])
