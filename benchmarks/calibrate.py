"""Fit the re-ranker and the confidence floors by k-fold cross-validation over dev concepts.

The dev gold (../shared/eval) labels each shortlisted (concept, language, candidate) row; the
concepts are split into FOLDS folds with a fixed seed, and every figure reported is out of fold:
a concept's rows are scored by a ranker fitted without that concept, and its floor is chosen
by an inner cross-validation on the other folds. The catalog is the dev catalog plus the
project's own concept list (glossary/data/concepts.csv, those not already in the catalog) as
distractors, so that concepts compete for terms as they do in real use.

    python -m benchmarks calibrate            # report the cross-validated figures
    python -m benchmarks calibrate --write    # and rewrite glossary/data/align_settings.json
    python -m benchmarks calibrate --reviews  # also train on a simulated review round

Training on a simulated review round was measured and dropped: cross-validated keyed F1
0.641 with it against 0.655 without (2026-12-02).
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from benchmarks import ROOT, SEEDS, SHARED, WORK, model_path, now, write_result
from glossary.alignment import keyed_proposals, prepare
from glossary.alignment.ranking import FEATURES, Shortlist, assign, shortlists
from glossary.alignment.settings import SETTINGS_FILE, AlignSettings, Ranker, Tree, default_settings
from glossary.corpus import read_corpus
from glossary.embed import Embedder
from glossary.extract import extract_candidates
from glossary.models import ConceptEntry
from glossary.store import load_concept_list

FOLDS = 5
SEED = 13
FLOORS = tuple(np.round(np.arange(0.05, 0.8, 0.025), 3))
BUCKETS = [(0.0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.0001)]
DISTRACTORS = ROOT / "glossary" / "data" / "concepts.csv"


def load_scorer(shared: Path = SHARED):
    """../shared/eval/score.py as a module (it is a script, not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("glossary_eval_score", shared / "eval" / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def catalog(with_gloss: bool = True) -> list[ConceptEntry]:
    """The dev catalog and the distractors whose Vietnamese term it does not already have."""
    dev = load_concept_list(SHARED / "eval" / "dev_catalog.csv")
    seen = {c.vi.casefold() for c in dev}
    extra = [c for c in load_concept_list(DISTRACTORS) if c.vi.casefold() not in seen]
    concepts = dev + extra
    return concepts if with_gloss else [replace(c, en="") for c in concepts]


def fold_of(concept_id: str) -> int:
    """A concept's fold: fixed by a hash of its id and the seed."""
    digest = hashlib.sha1(f"{SEED}:{concept_id}".encode()).digest()
    return digest[0] % FOLDS


@dataclass
class Table:
    """Every shortlisted row of every language, stacked, with its label."""

    shorts: list[Shortlist]
    lang: np.ndarray
    concept: np.ndarray
    candidate: np.ndarray
    x: np.ndarray
    y: np.ndarray  # 1 where the candidate's form is a gold form of the concept in that language
    gold: np.ndarray  # the row's concept is a dev gold concept (not a distractor)


def build_table(inputs, settings: AlignSettings, gold: dict, score, settled=frozenset()) -> Table:
    """Every shortlisted row, labelled; rows of `settled` (concept id, lang) pairs are left out,
    as rank_keyed proposes nothing there."""
    shorts = shortlists(
        inputs.by_lang, inputs.vectors, inputs.concepts, inputs.queries, settings,
        reviewed=inputs.accepted,
    )  # fmt: skip
    shorts = [_without(short, inputs, settled) for short in shorts] if settled else shorts
    langs, concepts, cands, xs, ys, golds = [], [], [], [], [], []
    for short in shorts:
        pool = inputs.by_lang[short.lang]
        for j, i in zip(short.concept, short.candidate):
            cid = inputs.concepts[j].concept_id
            forms = gold.get(cid, {}).get("forms", {}).get(short.lang, [])
            ys.append(any(score.term_match(pool[i].form, f) for f in forms))
            golds.append(cid in gold)
        langs += [short.lang] * len(short.concept)
        concepts.append(short.concept)
        cands.append(short.candidate)
        xs.append(short.features)
    return Table(
        shorts, np.array(langs), np.concatenate(concepts), np.concatenate(cands),
        np.vstack(xs), np.array(ys, dtype=int), np.array(golds, dtype=bool),
    )  # fmt: skip


def _without(short: Shortlist, inputs, settled) -> Shortlist:
    keep = np.array(
        [(inputs.concepts[j].concept_id, short.lang) not in settled for j in short.concept], bool
    )
    return Shortlist(short.lang, short.concept[keep], short.candidate[keep], short.features[keep])


REVIEW_SHARE = 0.2  # the share of gold (concept, language) pairs a simulated reviewer settles


def simulated_review(inputs, gold: dict, score) -> list:
    """A reviewer who settled REVIEW_SHARE of the (concept, language) pairs, picked by hash:
    the candidate that matches a gold form becomes the preferred term. The re-ranker learns
    from these what reviewed terms are worth (reviewed_sim, anchors abroad)."""
    from glossary.models import TermEntry

    out = []
    for concept in inputs.concepts:
        for lang, forms in gold.get(concept.concept_id, {}).get("forms", {}).items():
            digest = hashlib.sha1(f"{SEED}:review:{concept.concept_id}:{lang}".encode()).digest()
            if digest[0] >= REVIEW_SHARE * 256:
                continue
            match = next(
                (c.form for c in inputs.by_lang.get(lang, ())
                 if any(score.term_match(c.form, f) for f in forms)), None,
            )  # fmt: skip
            if match:
                out.append(TermEntry(concept.concept_id, lang, match, status="preferred"))
    return out


@dataclass
class Training:
    """Rows a ranker may also learn from (the reviewed table), with their folds."""

    x: np.ndarray
    y: np.ndarray
    gold: np.ndarray
    folds: np.ndarray


# The boosted trees: small and shallow, since the dev gold is small (a few hundred positives).
# On the 5-fold CV, 100 trees of 7 leaves did as well as larger ensembles (within 0.01 F1)
# and better than a logistic regression over the same features (0.632 keyed).
TREES = {"max_iter": 100, "learning_rate": 0.05, "max_leaf_nodes": 7, "min_samples_leaf": 20}


def fit_ranker(x: np.ndarray, y: np.ndarray) -> Ranker:
    """Gradient-boosted trees (scikit-learn), exported to plain node arrays."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    model = HistGradientBoostingClassifier(**TREES, random_state=SEED).fit(x, y)
    trees = []
    for (predictor,) in model._predictors:  # one tree per iteration for a binary target
        nodes = predictor.nodes
        trees.append(Tree(
            feature=[int(v) for v in nodes["feature_idx"]],
            threshold=[float(v) for v in nodes["num_threshold"]],
            left=[int(v) for v in nodes["left"]], right=[int(v) for v in nodes["right"]],
            value=[round(float(v), 6) for v in nodes["value"]],
            leaf=[bool(v) for v in nodes["is_leaf"]],
            missing_left=[bool(v) for v in nodes["missing_go_to_left"]],
        ))  # fmt: skip
    bias = float(np.ravel(model._baseline_prediction)[0])
    return Ranker(features=FEATURES, bias=round(bias, 6), trees=tuple(trees))


def rows_of(table: Table, inputs, prob: np.ndarray, floors: np.ndarray) -> list[dict]:
    """The export rows (concept_id, lang, term, confidence) of an assignment."""
    out, start = [], 0
    for short in table.shorts:
        n = len(short.concept)
        for j, i, p in assign(short, prob[start : start + n], floors):
            out.append({
                "concept_id": inputs.concepts[j].concept_id, "lang": short.lang,
                "term": inputs.by_lang[short.lang][i].form, "confidence": p,
            })  # fmt: skip
        start += n
    return out


def f1_on(gold_subset: dict, rows: list[dict], score) -> dict:
    keep = [r for r in rows if r["concept_id"] in gold_subset]
    return score.score_keyed(gold_subset, keep)


def oof(table: Table, inputs, gold: dict, folds: np.ndarray, exclude: int | None = None,
        extra: Training | None = None):  # fmt: skip
    """Out-of-fold probabilities over the folds other than `exclude`: each fold's rows are
    scored by a ranker fitted on the remaining folds (distractors: by their own hashed fold),
    and on `extra`'s rows of those folds."""
    prob = np.zeros(len(table.y))
    use = folds != exclude if exclude is not None else np.ones(len(folds), bool)
    for f in sorted(set(folds[table.gold & use])):
        train = table.gold & use & (folds != f)
        x, y = table.x[train], table.y[train]
        if extra is not None:
            more = extra.gold & (extra.folds != f) & (extra.folds != exclude)
            x, y = np.vstack([x, extra.x[more]]), np.concatenate([y, extra.y[more]])
        ranker = fit_ranker(x, y)
        rows = folds == f
        prob[rows] = _predict(table, rows, ranker)
    return prob


def _predict(table: Table, rows: np.ndarray, ranker: Ranker) -> np.ndarray:
    z = np.clip(ranker.logit(table.x[rows]), -60, 60)
    return 1 / (1 + np.exp(-z))


def best_floor(table, inputs, prob, gold_subset, score) -> float:
    """The floor that maximises keyed F1 on the given concepts."""
    best = (-1.0, FLOORS[0])
    for floor in FLOORS:
        floors = np.full(len(inputs.concepts), floor)
        f1 = f1_on(gold_subset, rows_of(table, inputs, prob, floors), score)["f1"]
        best = max(best, (f1, floor))
    return float(best[1])


def folds_of(table: Table, inputs) -> np.ndarray:
    return np.array([fold_of(inputs.concepts[j].concept_id) for j in table.concept])


def training(table: Table, inputs) -> Training:
    return Training(table.x, table.y, table.gold, folds_of(table, inputs))


def cross_validate(table: Table, inputs, gold: dict, score, extra: Training | None = None) -> dict:
    """Nested CV: out-of-fold probabilities, and per outer fold a floor chosen on the others."""
    folds = folds_of(table, inputs)
    prob = oof(table, inputs, gold, folds, extra=extra)
    floors = np.zeros(len(inputs.concepts))
    chosen = {}
    for f in range(FOLDS):
        inner = oof(table, inputs, gold, folds, exclude=f, extra=extra)
        others = {cid: g for cid, g in gold.items() if fold_of(cid) != f}
        chosen[f] = best_floor(table, inputs, np.where(folds == f, prob, inner), others, score)
        for j, concept in enumerate(inputs.concepts):
            if fold_of(concept.concept_id) == f:
                floors[j] = chosen[f]
    rows = rows_of(table, inputs, prob, floors)
    result = f1_on(gold, rows, score)
    result["floors_by_fold"] = chosen
    result["calibration"] = buckets(rows, gold, score)
    return result, rows


def unreviewed_gold(gold: dict, settled) -> dict:
    """The gold without the (concept, language) pairs a reviewer settled."""
    return {
        cid: {**g, "forms": {lang: f for lang, f in g["forms"].items() if (cid, lang) not in settled}}
        for cid, g in gold.items()
    }


def buckets(rows: list[dict], gold: dict, score) -> list[dict]:
    """Share of right proposals per confidence bucket."""
    out = []
    for lo, hi in BUCKETS:
        inside = [r for r in rows if lo <= r["confidence"] < hi and r["concept_id"] in gold]
        right = sum(
            any(score.term_match(r["term"], f) for f in gold[r["concept_id"]]["forms"].get(r["lang"], []))
            for r in inside
        )
        out.append({"bucket": f"{lo:.1f}-{min(hi, 1):.1f}", "rows": len(inside), "right": right,
                    "share": round(right / len(inside), 3) if inside else None})  # fmt: skip
    return out


def link_pairs(inputs, settings: AlignSettings, gold: dict, score) -> list[tuple[float, bool, str]]:
    """Discovery links inside groups whose two terms are both gold forms: (strength of the
    group's weakest link, same gold concept?, the concept of the first term)."""
    from glossary.alignment import discover, discovery_pool

    pool = {lang: discovery_pool(c, lang, set(), settings) for lang, c in inputs.by_lang.items()}
    position = {lang: {id(c): n for n, c in enumerate(cs)} for lang, cs in inputs.by_lang.items()}
    vectors = {lang: inputs.vectors[lang][[position[lang][id(c)] for c in cs]] for lang, cs in pool.items()}
    pairs = []
    for group in discover(pool, vectors, settings.discovery_threshold, settings.discovery_k):
        strength = min(s for _l, _i, s in group)
        owners = []
        for lang, i, _s in group:
            ids = score.gold_concepts_of(gold, lang, pool[lang][i].form)
            owners.append(ids)
        judged = [ids for ids in owners if ids]
        for a in range(len(judged)):
            for b in range(a + 1, len(judged)):
                pairs.append((strength, bool(judged[a] & judged[b]), sorted(judged[a])[0]))
    return pairs


def fit_links(pairs, settings: AlignSettings) -> dict:
    """Link strength -> probability that the link joins renderings of one concept (logistic),
    with out-of-fold calibration buckets."""
    from sklearn.linear_model import LogisticRegression

    x = np.array([[s - settings.discovery_threshold] for s, _r, _c in pairs])
    y = np.array([r for _s, r, _c in pairs], dtype=int)
    folds = np.array([fold_of(c) for _s, _r, c in pairs])
    prob = np.zeros(len(y))
    for f in range(FOLDS):
        model = LogisticRegression().fit(x[folds != f], y[folds != f])
        prob[folds == f] = model.predict_proba(x[folds == f])[:, 1]
    model = LogisticRegression().fit(x, y)
    rows = [{"concept_id": "", "confidence": p, "right": r} for p, r in zip(prob, y)]
    table = []
    for lo, hi in BUCKETS:
        inside = [r for r in rows if lo <= r["confidence"] < hi]
        table.append({"bucket": f"{lo:.1f}-{min(hi, 1):.1f}", "links": len(inside),
                      "right": int(sum(r["right"] for r in inside))})  # fmt: skip
    return {"slope": round(float(model.coef_[0][0]), 4), "offset": round(float(-model.intercept_[0]), 4),
            "links": len(y), "right": int(y.sum()), "calibration": table}  # fmt: skip


def baseline(inputs, settings: AlignSettings, gold: dict, score) -> dict:
    """The hand-weighted path of session 1 (no ranker, its floors 0.3 / 0.25) on the same
    catalog, for comparison."""
    plain = replace(settings, ranker=Ranker(), ranker_vi_only=Ranker(), min_confidence=0.3,
                    min_confidence_vi_only=0.25)  # fmt: skip
    rows = [
        {"concept_id": p.concept_id, "lang": p.lang, "term": p.term, "confidence": p.confidence}
        for p in keyed_proposals(inputs, plain)
    ]
    return f1_on(gold, rows, score)


@dataclass
class DevSeeds:
    """What every dev-gold benchmark starts from: the scorer and the gold, the seeds read and
    extracted, an embedder on the benchmark cache, the shipped settings and the languages."""

    score: object  # ../shared/eval/score.py as a module
    gold: dict
    docs: list
    candidates: list
    embedder: Embedder
    settings: AlignSettings
    langs: list[str]


def dev_seeds(cache: Path | None = None) -> DevSeeds:
    """The seeds and the dev gold; vectors in `cache`, else $GLOSSARY_TEST_CACHE, else
    benchmarks/work/cache."""
    score = load_scorer()
    docs = read_corpus([SEEDS]).documents
    cache = cache or os.environ.get("GLOSSARY_TEST_CACHE") or WORK / "cache"
    return DevSeeds(
        score, score.load_gold(SHARED / "eval" / "dev_gold.json"), docs,
        extract_candidates(docs), Embedder(model_path(), cache), default_settings(),
        sorted({d.lang for d in docs}),
    )  # fmt: skip


def run(write: bool = False, cache: Path | None = None, with_reviews: bool = False) -> dict:
    dev = dev_seeds(cache)
    score, gold, candidates, embedder = dev.score, dev.gold, dev.candidates, dev.embedder
    settings, langs = dev.settings, dev.langs
    result: dict = {"date": now(), "folds": FOLDS, "seed": SEED, "with_reviews": with_reviews,
                    "modes": {}}  # fmt: skip
    rankers = {}
    for mode, with_gloss in (("keyed", True), ("vi_only", False)):
        concepts = catalog(with_gloss)
        inputs = prepare(candidates, embedder, concepts, langs=langs, settings=settings)
        table = build_table(inputs, settings, gold, score)
        extra, review = None, {}
        if with_reviews:  # the same corpus after a simulated review round, as training rows too
            reviewed = simulated_review(inputs, gold, score)
            settled = {(t.concept_id, t.lang) for t in reviewed}
            inputs_r = prepare(candidates, embedder, concepts, langs=langs, settings=settings,
                               reviewed=reviewed)  # fmt: skip
            table_r = build_table(inputs_r, settings, gold, score, settled)
            extra = training(table_r, inputs_r)
            rest = unreviewed_gold(gold, settled)
            _, after = cross_validate(table_r, inputs_r, gold, score, extra=training(table, inputs))
        cv, before = cross_validate(table, inputs, gold, score, extra=extra)
        if with_reviews:
            def on_rest(rows):
                return f1_on(rest, [r for r in rows if (r["concept_id"], r["lang"]) not in settled], score)
            review = {"settled_pairs": len(settled), "before": on_rest(before), "after": on_rest(after)}
            print(f"calibrate {mode} review round: {len(settled)} pairs settled; on the rest "
                  f"{summary(review['before'])} -> {summary(review['after'])}", flush=True)  # fmt: skip
        x, y = table.x[table.gold], table.y[table.gold]
        if extra is not None:
            x, y = np.vstack([x, extra.x[extra.gold]]), np.concatenate([y, extra.y[extra.gold]])
        ranker = fit_ranker(x, y)
        all_prob = _predict(table, np.ones(len(table.y), bool), ranker)
        folds = folds_of(table, inputs)
        floor = best_floor(table, inputs, oof(table, inputs, gold, folds, extra=extra), gold, score)
        rankers[mode] = (ranker, floor)
        result["modes"][mode] = {
            "cross_validated": cv,
            "review_round": review,
            "baseline_hand_weighted": baseline(inputs, settings, gold, score),
            "rows": int(len(table.y)), "positives": int(table.y.sum()),
            "floor": floor, "in_sample_f1": f1_on(gold, rows_of(
                table, inputs, all_prob, np.full(len(inputs.concepts), floor)), score)["f1"],
        }  # fmt: skip
        print(f"calibrate {mode}: CV {summary(cv)}; hand-weighted "
              f"{summary(result['modes'][mode]['baseline_hand_weighted'])}", flush=True)  # fmt: skip
    links = fit_links(link_pairs(inputs, settings, gold, score), settings)
    result["discovery_links"] = links
    print(f"calibrate discovery links: {links['right']}/{links['links']} right; slope "
          f"{links['slope']}, offset {links['offset']}", flush=True)  # fmt: skip
    embedder.cache.close()
    if write:
        fitted = replace(
            settings,
            ranker=rankers["keyed"][0], min_confidence=rankers["keyed"][1],
            ranker_vi_only=rankers["vi_only"][0], min_confidence_vi_only=rankers["vi_only"][1],
            discovery_slope=links["slope"], discovery_offset=links["offset"],
            fitted_on=f"python -m benchmarks calibrate ({now()}): boosted-tree re-ranker and "
            f"floors, {FOLDS}-fold CV over {len(gold)} dev concepts, seed {SEED}"
            + (", with a simulated review round" if with_reviews else ""),
        )  # fmt: skip
        fitted.save(SETTINGS_FILE)
        default_settings.cache_clear()
    write_result("calibrate", result)
    return result


def summary(scores: dict) -> str:
    return (f"F1 {scores['f1']:.3f} P {scores['precision']:.3f} R {scores['concept_recall']:.3f} "
            f"({scores['rows_judged']} rows)")  # fmt: skip


def main(argv: list[str]) -> None:
    run(write="--write" in argv, with_reviews="--reviews" in argv)


if __name__ == "__main__":
    main(sys.argv[1:])
