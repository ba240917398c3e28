"""Corpora past one process: reading, extraction and embedding mapped over a Dask cluster.

`glossary align --workers N` starts a LocalCluster of N worker processes on this machine;
`--scheduler tcp://HOST:8786` (or DASK_SCHEDULER_ADDRESS) uses a cluster already running, whose
workers must see the corpus files at the same paths. Without either, nothing here runs and dask
is never imported. The client keeps the workbook and the embedding cache: workers get only file
paths and the texts the cache lacks, and send back documents, candidate statistics and vectors.

The functions that run on workers are module-level, so workers import them by name, and each
worker process keeps its loaded models in `_MODELS`: one load per model per worker.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glossary.backends import Choice
from glossary.corpus import Corpus, FileRead, assemble_corpus, check_lang, find_files, read_files
from glossary.embed import WorkerModel, encode_chunk
from glossary.errors import ModelError, UsageError, first_line
from glossary.extract import CandidateStats, document_stats, merge_stats

INSTALL_HINT = "pip install 'glossary[scale]'"
CONNECT_TIMEOUT = "5s"  # a scheduler that is up answers in milliseconds
FILES_PER_TASK = 64  # the most files one reading task takes; fewer when the corpus is small
TASKS_PER_WORKER = 4  # so that a slow file does not leave the other workers idle


@dataclass(frozen=True)
class ClusterOptions:
    """Where the heavy stages run: a LocalCluster of `workers` processes, or the cluster at
    `scheduler`. `threads` is torch's threads per worker (default: the worker machine's
    cores shared among its workers); `processes=False` runs the workers as threads here."""

    workers: int | None = None
    scheduler: str | None = None
    threads: int | None = None
    processes: bool = True

    def check(self) -> None:
        """Raise UsageError for options that cannot work (before anything is started)."""
        if self.workers is not None and self.scheduler:
            raise UsageError("give --workers N (a cluster on this machine) or --scheduler "
                             "ADDRESS (one already running), not both")  # fmt: skip
        if self.workers is not None and self.workers < 1:
            raise UsageError(f"--workers must be at least 1, not {self.workers}")
        if self.threads is not None and self.threads < 1:
            raise UsageError(f"threads per worker must be at least 1, not {self.threads}")
        if self.workers is None and not self.scheduler:
            raise UsageError("name a cluster: --workers N or --scheduler tcp://HOST:8786")


def cluster_options(
    workers: int | None = None, scheduler: str | None = None
) -> ClusterOptions | None:
    """The options for --workers / --scheduler, checked; None (one process) when neither."""
    scheduler = (scheduler or "").strip() or None
    if workers is None and scheduler is None:
        return None
    options = ClusterOptions(workers=workers, scheduler=scheduler)
    options.check()
    return options


def _distributed():
    try:
        import distributed
    except ImportError:
        raise UsageError(
            f"--workers and --scheduler need Dask, which is not installed: {INSTALL_HINT}"
        ) from None
    return distributed


class Cluster:
    """A connected Dask client and what this run asks of its workers."""

    def __init__(self, client, threads: int | None = None):
        self.client = client
        self.threads = threads
        hosts = [w.get("host", "") for w in client.scheduler_info()["workers"].values()]
        self.per_host = dict(Counter(hosts))  # workers per machine, which share its cores

    @property
    def workers(self) -> int:
        return len(self.client.scheduler_info()["workers"])

    def read(
        self, paths: Sequence[str | Path], lang: str | None = None
    ) -> tuple[Corpus, CandidateStats]:
        """Read a corpus and count its candidates on the workers; the same Corpus and the same
        statistics as one process gives (files keep their corpus positions)."""
        lang = check_lang(lang)
        files, skipped = find_files(paths)
        indexed = list(enumerate(files))
        share = math.ceil(len(indexed) / (TASKS_PER_WORKER * max(1, self.workers)))
        size = max(1, min(FILES_PER_TASK, share))
        batches = [indexed[start : start + size] for start in range(0, len(indexed), size)]
        futures = self.client.map(read_and_count, batches, lang=lang, pure=False)
        parts = self.client.gather(futures)
        corpus = assemble_corpus([r for reads, _ in parts for r in reads], skipped)
        return corpus, merge_stats(stats for _, stats in parts)

    def worker_choice(self, spec: WorkerModel) -> Choice:
        """The backend every worker would run the model on; they must agree, because the
        cache keys name it."""
        found = self.client.run(spec.choice)
        labels = sorted({c.label for c in found.values()})
        if len(labels) != 1:
            raise ModelError(
                "the cluster's workers would encode on different backends ("
                + ", ".join(labels)
                + "); give them the same hardware, or set GLOSSARY_BACKEND"
            )
        return next(iter(found.values()))

    def encode(
        self, spec: WorkerModel, chunks: Sequence[list[str]], prompt: str, label: str
    ) -> Iterator[tuple[list[str], np.ndarray]]:
        """(chunk, vectors) per chunk of texts, in the order the workers finish them."""
        distributed = _distributed()
        futures = {
            self.client.submit(
                encode_on_worker, spec, chunk, prompt, self.threads, self.per_host, pure=False
            ): chunk
            for chunk in chunks
        }
        for future, (used, vectors) in distributed.as_completed(futures, with_results=True):
            if used != label:
                raise ModelError(f"a cluster worker encoded on {used}, not {label}; give the "
                                 "workers the same hardware, or set GLOSSARY_BACKEND")  # fmt: skip
            yield futures[future], vectors

    def close(self) -> None:
        cluster = getattr(self.client, "cluster", None)
        self.client.close()
        if cluster is not None:
            cluster.close()


@contextmanager
def open_cluster(options: ClusterOptions | None) -> Iterator[Cluster | None]:
    """The cluster the options name, started or connected to, closed on leaving; None (and
    no dask import) when options is None."""
    if options is None:
        yield None
        return
    options.check()
    distributed = _distributed()
    cluster = _connect(distributed, options)
    try:
        yield cluster
    finally:
        cluster.close()


def _connect(distributed, options: ClusterOptions) -> Cluster:
    if options.scheduler:
        try:
            client = distributed.Client(options.scheduler, timeout=CONNECT_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - any failure to connect is one line
            raise UsageError(
                f"cannot reach the Dask scheduler at {options.scheduler} ({first_line(exc)}); start "
                "one with `dask scheduler`, or run on this machine with --workers N"
            ) from None
        try:
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
        except (TimeoutError, OSError):
            client.close()
            raise UsageError(f"the Dask scheduler at {options.scheduler} has no workers; start "
                             f"some with `dask worker {options.scheduler}`") from None  # fmt: skip
        return Cluster(client, options.threads)
    try:
        local = distributed.LocalCluster(
            n_workers=options.workers,
            threads_per_worker=1,  # one model call at a time per worker; torch has its own threads
            processes=options.processes,
            dashboard_address=":0",  # any free port: another cluster may hold 8787
            silence_logs=logging.CRITICAL,  # a worker that fails raises in the client anyway
        )
    except Exception as exc:  # noqa: BLE001 - a cluster that cannot start is one line
        raise UsageError(f"cannot start {options.workers} Dask workers on this machine "
                         f"({first_line(exc)}); try fewer with --workers") from None  # fmt: skip
    return Cluster(distributed.Client(local), options.threads)


# ---------------------------------------------------------------- on the workers
_MODELS: dict[str, tuple[object, Choice]] = {}  # per worker process: loaded once, kept
_LOADING = threading.Lock()  # workers that are threads of one process share _MODELS


def read_and_count(
    batch: list[tuple[int, Path]], lang: str | None
) -> tuple[list[FileRead], CandidateStats]:
    """Read some corpus files (with their corpus positions) and count their candidates."""
    reads = read_files([path for _, path in batch], lang)
    stats = merge_stats(
        document_stats(read.document, index)
        for (index, _), read in zip(batch, reads)
        if read.document is not None
    )
    return reads, stats


def encode_on_worker(
    spec: WorkerModel, texts: list[str], prompt: str, threads: int | None, per_host: dict[str, int]
) -> tuple[str, np.ndarray]:
    """Encode one chunk with this worker's model (loaded on its first chunk): the backend's
    label and the vectors."""
    with _LOADING:
        if spec.name not in _MODELS:
            _MODELS[spec.name] = spec.load()
            _set_threads(threads or _fair_share(per_host))
    model, choice = _MODELS[spec.name]
    return choice.label, encode_chunk(model, texts, prompt, choice.batch_size)


def _fair_share(per_host: dict[str, int]) -> int:
    """This machine's cores shared among the workers on it (Dask sets OMP_NUM_THREADS=1)."""
    import distributed
    from distributed.comm import get_address_host

    host = get_address_host(distributed.get_worker().address)
    return max(1, (os.cpu_count() or 1) // max(1, per_host.get(host, 1)))


def _set_threads(threads: int) -> None:
    import sys

    if "torch" in sys.modules:  # a model that does not run on torch needs none
        sys.modules["torch"].set_num_threads(threads)
