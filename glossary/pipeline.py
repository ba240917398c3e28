"""The whole `glossary align` job: corpus -> candidates -> embeddings -> concepts -> terms.xlsx."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from glossary import store
from glossary.alignment import AlignSettings, AlignStats, align
from glossary.calibration import settings_for
from glossary.cluster import Cluster, ClusterOptions, open_cluster
from glossary.corpus import Corpus, read_corpus
from glossary.embed import Embedder, resolve_model
from glossary.errors import ModelError, UsageError
from glossary.extract import candidates_from_stats, extract_candidates
from glossary.models import Candidate, ConceptEntry, Glossary
from glossary.output import check_can_create


@dataclass(frozen=True)
class RunStats:
    """What an alignment run found: the alignment's own stats plus the run's inputs."""

    candidates: int
    concepts_keyed: int
    model_seconds: float
    align: AlignStats

    def to_dict(self) -> dict[str, object]:
        found = self.align.to_dict()
        found.pop("seconds")
        return {
            "candidates": self.candidates,
            "concepts_keyed": self.concepts_keyed,
            "model_seconds": self.model_seconds,
            **found,
        }


@dataclass
class AlignRun:
    """What one alignment run did."""

    corpus: Corpus
    report: store.MergeReport
    stats: RunStats
    timings: dict[str, float] = field(default_factory=dict)
    model: str = ""  # the model's id (or folder name) and fingerprint, never a path
    calibration: str = ""  # e.g. "confidence is not calibrated for MODEL"

    def to_dict(self) -> dict[str, object]:
        """The run as JSON-ready data (what `glossary align --json` prints)."""
        return {
            "documents": len(self.corpus.documents),
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.corpus.skipped],
            **self.stats.to_dict(),
            "model": self.model,
            "calibration": self.calibration,
            "seconds": {k: round(v, 2) for k, v in self.timings.items()},
            "merge": self.report.to_dict(),
        }


def concept_list(existing: Glossary, concepts_file: str | Path | None) -> list[ConceptEntry]:
    """Concepts to key the alignment: the workbook's own, plus those of a concept file (new ids)."""
    concepts = [c for c in existing.concepts if c.status != "rejected"]
    if concepts_file:
        known = {c.concept_id for c in existing.concepts}
        concepts += [c for c in store.load_concept_list(concepts_file) if c.concept_id not in known]
    return [c for c in concepts if c.vi or c.en]


def check_model_path(model: str | None) -> None:
    """A --model that is written as a path must exist (hub ids look like 'org/name')."""
    name = resolve_model(model)
    if name.startswith(("/", "./", "../", "~")) and not Path(name).expanduser().is_dir():
        raise ModelError(
            f"model folder not found: {name}. Pass --model PATH or set GLOSSARY_MODEL to a local "
            "sentence-transformers folder, or a model id such as google/embeddinggemma-300m."
        )


def _read_and_extract(
    corpus_paths: Sequence[str | Path], lang: str | None, workers: Cluster | None,
    timings: dict[str, float],
) -> tuple[Corpus, list[Candidate]]:  # fmt: skip
    """The corpus and its candidates: here, or counted per document on the cluster's workers
    and merged here (then "read" is reading and counting, "extract" the merge and scoring)."""
    began = time.perf_counter()
    if workers is None:
        corpus = read_corpus(corpus_paths, lang=lang)
    else:
        corpus, counted = workers.read(corpus_paths, lang=lang)
    timings["read"] = time.perf_counter() - began
    if not corpus.documents:
        raise UsageError("no readable documents in the corpus (every file was skipped)")
    began = time.perf_counter()
    if workers is None:
        candidates = extract_candidates(corpus.documents)
    else:
        candidates = candidates_from_stats(counted)
    timings["extract"] = time.perf_counter() - began
    return corpus, candidates


def run_align(
    corpus_paths: Sequence[str | Path],
    glossary_path: str | Path = "terms.xlsx",
    *,
    concepts_file: str | Path | None = None,
    model: str | None = None,
    cache_dir: str | Path | None = None,
    lang: str | None = None,
    min_confidence: float | None = None,
    discover_new: bool = True,
    dry_run: bool = False,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
    settings: AlignSettings | None = None,
    cluster: ClusterOptions | None = None,
) -> AlignRun:
    """Build the glossary from a corpus, or merge new proposals into an existing workbook.

    With `cluster` (glossary.cluster), reading, extraction and encoding run on Dask workers;
    the glossary is the same as one process makes."""
    if min_confidence is not None and not 0.0 <= min_confidence <= 1.0:
        raise UsageError(f"--min-confidence must be between 0 and 1, not {min_confidence}")
    if cluster is not None:
        cluster.check()  # bad cluster options stop the run before the workbook is opened
    timings: dict[str, float] = {}
    glossary_path = Path(glossary_path)
    # Read the workbook once, first: a bad, read-only or open glossary stops the run before
    # any heavy work, and the write reuses this reading unless the file changed meanwhile.
    book = store.open_book(glossary_path, writing=not dry_run, force=force)
    if not dry_run:  # a folder that takes no files must not cost a whole model run
        check_can_create(glossary_path)
    existing = book.glossary
    concepts = concept_list(existing, concepts_file)
    check_model_path(model)

    began = time.perf_counter()
    with open_cluster(cluster) as workers:
        if workers is not None:
            timings["cluster"] = time.perf_counter() - began  # started, or connected to
        corpus, candidates = _read_and_extract(corpus_paths, lang, workers, timings)
        embedder = Embedder(model, cache_dir)
        embedder.cluster = workers  # None: encode here
        chosen = settings_for(embedder.model_label, embedder.fingerprint, glossary_path)
        if settings is None:
            settings = chosen.settings
        rejected = frozenset(
            (t.concept_id, t.lang, t.term) for t in existing.terms if t.status == "rejected"
        )
        result = align(
            candidates,
            embedder,
            concepts,
            langs=sorted({d.lang for d in corpus.documents}),
            min_confidence=min_confidence,
            discover_new=discover_new,
            rejected=rejected,
            progress=progress,
            settings=settings,
            reviewed=[t for t in existing.terms if t.status in ("preferred", "admitted")],
        )
    timings.update(result.stats.seconds)

    proposal = result.glossary
    if chosen.calibration is not None:
        proposal.terms = [
            replace(t, confidence=chosen.calibration.apply(t.confidence))
            if t.confidence is not None else t
            for t in proposal.terms
        ]  # fmt: skip
    proposal.about = {
        # names, not paths: the workbook is shared, the maker's disk layout is not
        "corpus": ", ".join(
            str(p) if not Path(p).is_absolute() else Path(p).name for p in corpus_paths
        ),  # fmt: skip
        "documents": str(len(corpus.documents)),
        "model": embedder.model_label,
        "model_fingerprint": embedder.fingerprint,
        "model_id": embedder.model_id,
        "calibration": chosen.note,
        "min_confidence": "default" if min_confidence is None else str(min_confidence),
        "aligned_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "candidates": str(len(candidates)),
    }
    began = time.perf_counter()
    report = store.update(glossary_path, proposal, dry_run=dry_run, force=force, book=book)
    timings["write"] = time.perf_counter() - began
    stats = RunStats(len(candidates), len(concepts), round(embedder.model_seconds, 2), result.stats)
    embedder.cache.close()
    return AlignRun(corpus, report, stats, timings, embedder.model_id, chosen.note)
