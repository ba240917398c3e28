"""Error anatomy of keyed alignment on the dev gold: why each rendering was found or missed.

For every gold (concept, language): hit, span too long, span too short, wrong term, or no
proposal; for a miss, the rank and probability of the best gold-matching candidate in the
system's own ranking and what beat it (another candidate, another concept's claim, the floor,
outside the shortlist, or not a candidate at all). For every proposal: right, wrong, or for a
language where the concept does not occur. Writes docs/errors.md and benchmarks/results/errors.json.

    python -m benchmarks errors
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from benchmarks import ROOT, now, write_result
from benchmarks.calibrate import catalog, dev_seeds
from glossary.alignment import keyed_proposals, prepare
from glossary.alignment.ranking import Shortlist, probabilities, shortlists

DOC = ROOT / "docs" / "errors.md"


def _span(term: str, forms: list[str], score) -> str:
    """How a wrong proposal relates to the gold forms: too long, too short, or another term."""
    words = score.tokens(term)
    for form in forms:
        gold = score.tokens(form)
        for size, outer, inner in ((len(words), words, gold), (len(gold), gold, words)):
            if len(inner) < size and any(
                all(score.token_match(a, b) for a, b in zip(outer[s : s + len(inner)], inner))
                for s in range(len(outer) - len(inner) + 1)
            ):
                return "span too long" if outer is words else "span too short"
    return "wrong term"


def _ranking(shorts: list[Shortlist], settings) -> dict[tuple[str, int], list[tuple[int, float]]]:
    """(lang, concept index) -> shortlisted (candidate, probability), most probable first."""
    out: dict[tuple[str, int], list[tuple[int, float]]] = {}
    for short in shorts:
        prob = probabilities(short, settings.ranker)
        for j, i, p in zip(short.concept, short.candidate, prob):
            out.setdefault((short.lang, int(j)), []).append((int(i), float(p)))
    for rows in out.values():
        rows.sort(key=lambda r: -r[1])
    return out


def _miss(lang, j, cid, forms, inputs, ranking, claims, floor, score) -> dict:
    """Where the best gold-matching candidate of a missed (concept, language) stands."""
    pool = inputs.by_lang.get(lang, [])
    matching = {i for i, c in enumerate(pool) if any(score.term_match(c.form, f) for f in forms)}
    if not matching:
        return {"cause": "not a candidate"}
    ranked = ranking.get((lang, j), [])
    for rank, (i, p) in enumerate(ranked, 1):
        if i in matching:
            owner = claims.get((lang, i))
            if owner is not None and owner != cid:
                cause = f"another concept's claim ({owner})"
            elif p < floor:
                cause = "the floor"
            else:
                cause = "another candidate"
            return {"cause": cause, "rank": rank, "probability": round(p, 3), "term": pool[i].form}
    return {"cause": "outside the shortlist", "term": pool[min(matching)].form}


def run(cache: Path | None = None) -> dict:
    dev = dev_seeds(cache)
    score, gold, embedder, settings = dev.score, dev.gold, dev.embedder, dev.settings
    inputs = prepare(dev.candidates, embedder, catalog(True), langs=dev.langs, settings=settings)
    proposals = keyed_proposals(inputs, settings)
    shorts = shortlists(inputs.by_lang, inputs.vectors, inputs.concepts, inputs.queries, settings)
    ranking = _ranking(shorts, settings) if settings.ranker.active else {}
    index = {c.concept_id: j for j, c in enumerate(inputs.concepts)}
    claims = {(p.lang, inputs.by_lang[p.lang].index(p.candidate)): p.concept_id for p in proposals}
    by_pair: dict[tuple[str, str], list[str]] = {}
    for p in proposals:
        by_pair.setdefault((p.concept_id, p.lang), []).append(p.term)
    pairs = []
    for cid, g in gold.items():
        for lang, forms in g["forms"].items():
            terms = by_pair.get((cid, lang), [])
            if any(score.term_match(t, f) for t in terms for f in forms):
                pairs.append({"concept_id": cid, "lang": lang, "outcome": "hit"})
                continue
            floor = settings.floor(bool(g.get("en")))
            entry = {"concept_id": cid, "lang": lang, "gold": forms[0],
                     "outcome": _span(terms[0], forms, score) if terms else "no proposal",
                     "proposed": terms[0] if terms else ""}  # fmt: skip
            entry.update(_miss(lang, index[cid], cid, forms, inputs, ranking, claims, floor, score))
            pairs.append(entry)
    judged = []
    for p in proposals:
        if p.concept_id not in gold:
            continue
        forms = gold[p.concept_id]["forms"].get(p.lang)
        verdict = (
            "language absent"
            if not forms
            else "right"
            if any(score.term_match(p.term, f) for f in forms)
            else "wrong"
        )
        judged.append({"concept_id": p.concept_id, "lang": p.lang, "term": p.term,
                       "confidence": p.confidence, "verdict": verdict})  # fmt: skip
    embedder.cache.close()
    result = {
        "date": now(),
        "outcomes": dict(Counter(p["outcome"] for p in pairs).most_common()),
        "miss_causes": dict(Counter(p.get("cause", "") for p in pairs if "cause" in p).most_common()),
        "proposals": dict(Counter(j["verdict"] for j in judged).most_common()),
        "pairs": pairs,
        "judged": judged,
    }
    write_result("errors", result)
    DOC.write_text(render(result), encoding="utf-8")
    print(f"errors: {result['outcomes']}; causes {result['miss_causes']}; proposals {result['proposals']}")
    return result


def render(result: dict) -> str:
    """docs/errors.md: the counts, then every miss."""
    lines = [
        "# Error anatomy (dev gold, keyed, shipped settings)",
        "",
        f"Made by `python -m benchmarks errors` on {result['date']}. In-sample: the shipped",
        "settings were fitted on these concepts, so this table explains errors; the honest",
        "quality figures are the cross-validated ones in benchmarks.md.",
        "",
        "| gold (concept, language) | count |",
        "| --- | --- |",
        *[f"| {k} | {v} |" for k, v in result["outcomes"].items()],
        "",
        "| what beat a missed rendering | count |",
        "| --- | --- |",
        *[f"| {k} | {v} |" for k, v in result["miss_causes"].items()],
        "",
        "| proposals under gold concepts | count |",
        "| --- | --- |",
        *[f"| {k} | {v} |" for k, v in result["proposals"].items()],
        "",
        "## Every miss",
        "",
        "| concept | lang | outcome | proposed | gold form | cause | rank | probability | best gold candidate |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for p in result["pairs"]:
        if p["outcome"] == "hit":
            continue
        cells = [p["concept_id"], p["lang"], p["outcome"], p.get("proposed", ""), p.get("gold", ""),
                 p.get("cause", ""), str(p.get("rank", "")), str(p.get("probability", "")),
                 p.get("term", "")]  # fmt: skip
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    run()


if __name__ == "__main__":
    main([])
