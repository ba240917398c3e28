"""`glossary align --workers N` / `--scheduler`: the same glossary as one process, on Dask."""

from __future__ import annotations

import json
import os
import pickle
import random
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from glossary import store
from glossary.cluster import ClusterOptions, open_cluster
from glossary.corpus import read_corpus
from glossary.embed import Embedder, WorkerModel
from glossary.extract import (
    candidates_from_stats,
    document_stats,
    extract_candidates,
    extract_occurrences,
    merge_stats,
)
from glossary.models import ConceptEntry, Glossary

CONCEPTS_CSV = """concept_id,vi,en,kind
mass_mobilization,dân vận,mass mobilization,term
party_committee,đảng ủy,party committee,organization
fatherland_front,Mặt trận Tổ quốc,Fatherland Front,organization
"""


ROOT = Path(__file__).resolve().parent.parent


def run_glossary(*args: str, cwd: Path, env: dict[str, str] | None = None):
    """The glossary command in a fresh process, offline, with one torch thread."""
    run_env = {k: v for k, v in os.environ.items() if not k.startswith(("GLOSSARY_", "DASK_"))}
    run_env.update(OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    run_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), run_env.get("PYTHONPATH")]))
    run_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "glossary.cli", *args], cwd=cwd, capture_output=True, text=True,
        encoding="utf-8", env=run_env, timeout=300,
    )  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory, seeds_dir, tiny_model):
    """The five seeds plus a file that must be skipped, a concept list and the tiny model."""
    root = tmp_path_factory.mktemp("cluster")
    corpus = root / "corpus"
    shutil.copytree(seeds_dir, corpus)
    (corpus / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    (root / "concepts.csv").write_text(CONCEPTS_CSV, encoding="utf-8")
    return {"root": root, "corpus": corpus, "model": tiny_model}


@pytest.fixture(scope="module")
def seed_documents(seeds_dir):
    return read_corpus([seeds_dir]).documents


# ---------------------------------------------------------------- merging counts
def test_candidates_do_not_depend_on_how_documents_are_split(seed_documents):
    whole = extract_candidates(seed_documents)
    parts = [document_stats(doc, i) for i, doc in enumerate(seed_documents)]
    frozen = pickle.dumps(parts)  # also what a worker sends back
    rng = random.Random(16)
    for _ in range(4):
        shuffled = pickle.loads(frozen)
        rng.shuffle(shuffled)
        cuts = sorted(rng.sample(range(1, len(shuffled)), rng.randint(0, len(shuffled) - 1)))
        groups = [shuffled[a:b] for a, b in zip([0, *cuts], [*cuts, len(shuffled)])]
        merged = [merge_stats(group) for group in groups]
        rng.shuffle(merged)
        assert candidates_from_stats(merge_stats(merged)) == whole


def test_a_document_counted_twice_over_keeps_corpus_order_of_contexts(seed_documents):
    # the same documents in reverse: docs and contexts still follow corpus positions
    parts = [document_stats(doc, i) for i, doc in enumerate(seed_documents)]
    backwards = candidates_from_stats(merge_stats(reversed(parts)))
    order = {doc.path: i for i, doc in enumerate(seed_documents)}
    for cand in backwards:
        positions = [order[d] for d in cand.docs]
        assert positions == sorted(positions)
        assert [order[c.doc] for c in cand.contexts] == sorted(order[c.doc] for c in cand.contexts)


# ---------------------------------------------------------------- on a LocalCluster
def test_workers_read_the_same_corpus_and_counts_as_one_process(project, dask_distributed):
    here = read_corpus([project["corpus"]])
    options = ClusterOptions(workers=2, processes=False)
    with open_cluster(options) as cluster:
        corpus, counted = cluster.read([project["corpus"]])
    assert corpus == here
    assert [s.path for s in corpus.skipped] == [str(project["corpus"] / "photo.txt")]
    assert candidates_from_stats(counted) == candidates_from_stats(
        extract_occurrences(here.documents)
    )


class CountingModel:
    """A model that records every text it is asked to encode (workers are threads here)."""

    seen: list[str] = []

    def encode(self, texts, **_ignored):
        CountingModel.seen.extend(texts)
        vectors = np.array([[len(t), 1.0 + t.count("a")] for t in texts], dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _counting_model():
    from glossary.backends import Choice

    return CountingModel(), Choice("torch")


def _torch_choice():
    from glossary.backends import Choice

    return Choice("torch")


class CountingEmbedder(Embedder):
    def worker_model(self) -> WorkerModel:
        return WorkerModel("counting", _counting_model, _torch_choice)


def test_workers_encode_only_what_the_cache_lacks(tmp_path, dask_distributed):
    CountingModel.seen = []
    texts = [f"term {'a' * n}" for n in range(300)]
    with open_cluster(ClusterOptions(workers=2, processes=False)) as cluster:
        embedder = CountingEmbedder("counting-stand-in", tmp_path)
        embedder.cluster = cluster
        first = embedder.encode(texts[:200])
        assert sorted(CountingModel.seen) == sorted(texts[:200])
        CountingModel.seen = []
        both = embedder.encode(texts)
        embedder.cache.close()
    assert sorted(CountingModel.seen) == sorted(texts[200:])  # cached texts were not sent
    assert np.array_equal(both[:200], first)
    assert embedder.encoded == 300


# ---------------------------------------------------------------- the command
def _align(project, workbook: Path, cache: str, *extra: str, corpus="corpus", env=None):
    return run_glossary(
        "align", corpus, "-g", str(workbook), "--concepts", "concepts.csv",
        "--model", project["model"], "--cache-dir", cache, *extra, cwd=project["root"], env=env,
    )  # fmt: skip


def _export(project, workbook: Path, *extra: str) -> bytes:
    target = workbook.with_suffix(".csv")
    proc = run_glossary(
        "export", "-g", str(workbook), "--format", "csv", "-o", str(target), *extra,
        cwd=project["root"],
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return target.read_bytes()


def test_two_workers_give_the_same_glossary_as_one_process(project, dask_distributed):
    root = project["root"]
    one = _align(project, root / "one.xlsx", "cache-one")
    assert one.returncode == 0, one.stderr[-3000:]
    two = _align(project, root / "two.xlsx", "cache-two", "--workers", "2")
    assert two.returncode == 0, two.stderr[-3000:]
    assert "Traceback" not in two.stderr
    assert "skipped corpus/photo.txt" in two.stderr  # read on a worker, reported here
    exported = _export(project, root / "one.xlsx")
    assert exported.count(b"\n") > 3  # a glossary with terms, not two empty ones
    assert _export(project, root / "two.xlsx") == exported
    proposed = _export(project, root / "one.xlsx", "--include-proposed")
    assert _export(project, root / "two.xlsx", "--include-proposed") == proposed


def _one_line_error(proc) -> str:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.fixture
def workbook(project, tmp_path) -> Path:
    """A workbook that a failed run must leave as it was."""
    book = tmp_path / "kept.xlsx"
    store.save(Glossary(concepts=[ConceptEntry("party_committee", vi="đảng ủy")]), book)
    return book


@pytest.mark.parametrize("workers", ["0", "-3"])
def test_workers_below_one_is_one_line_and_the_workbook_is_untouched(project, workbook, workers):
    before = workbook.read_bytes()
    line = _one_line_error(_align(project, workbook, "cache-bad", "--workers", workers))
    assert "--workers must be at least 1" in line
    assert workbook.read_bytes() == before


def test_an_unreachable_scheduler_is_one_line_and_the_workbook_is_untouched(
    project, workbook, dask_distributed
):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    before = workbook.read_bytes()
    proc = run_glossary(
        "align", "corpus", "-g", str(workbook), "--model", project["model"],
        cwd=project["root"], env={"DASK_SCHEDULER_ADDRESS": f"tcp://127.0.0.1:{port}"},
    )  # fmt: skip
    line = _one_line_error(proc)
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in line
    assert workbook.read_bytes() == before


def test_without_dask_workers_name_the_extra_to_install(project, workbook, tmp_path):
    fake = tmp_path / "no-dask" / "distributed"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('raise ImportError("No module named distributed")\n')
    before = workbook.read_bytes()
    proc = run_glossary(
        "align", "corpus", "-g", str(workbook), "--model", project["model"], "--workers", "2",
        cwd=project["root"], env={"PYTHONPATH": f"{fake.parent}{os.pathsep}{ROOT}"},
    )  # fmt: skip
    assert "pip install 'glossary[scale]'" in _one_line_error(proc)
    assert workbook.read_bytes() == before


def test_one_process_never_imports_dask():
    code = (
        "import sys\n"
        "import glossary.cli, glossary.pipeline\n"
        "from glossary.cluster import cluster_options, open_cluster\n"
        "assert cluster_options(None, None) is None\n"
        "with open_cluster(None) as c:\n"
        "    assert c is None\n"
        "assert not {'dask', 'distributed'} & set(sys.modules), 'dask was imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_the_benchmark_stand_in_encodes_the_same_on_workers(tmp_path, dask_distributed):
    from benchmarks.scale import StandInEmbedder

    texts = [f"partikomiteen {n}" for n in range(400)]
    here = StandInEmbedder(cache_dir=tmp_path / "here")
    expected = here.encode(texts)
    there = StandInEmbedder(cache_dir=tmp_path / "there")
    with open_cluster(ClusterOptions(workers=2, processes=False)) as cluster:
        there.cluster = cluster
        assert np.array_equal(there.encode(texts), expected)
    here.cache.close()
    there.cache.close()


def test_the_plan_for_a_million_candidates_marks_the_gpu_rate_as_assumed():
    from benchmarks.__main__ import workers_section

    text = "\n".join(workers_section({"machine": {"cores": 2}, "whole_runs": [], "encode": []}))
    assert "is an assumption, not a measurement" in text
    assert "3.07 GB" in text  # 10^6 vectors of 768 float32
    assert "| 1 | 8.4 h |" in text  # 10^6 / 33 s on one CPU worker


def test_a_scheduler_without_workers_is_one_line(project, workbook, dask_distributed):
    empty = dask_distributed.LocalCluster(
        n_workers=0, processes=False, protocol="tcp://", dashboard_address=":0"
    )
    try:
        before = workbook.read_bytes()
        proc = run_glossary(
            "align", "corpus", "-g", str(workbook), "--model", project["model"],
            "--scheduler", empty.scheduler_address, cwd=project["root"],
        )  # fmt: skip
        assert "has no workers; start some with `dask worker" in _one_line_error(proc)
        assert workbook.read_bytes() == before
    finally:
        empty.close()


def test_an_existing_cluster_named_by_dask_scheduler_address_gives_the_same_glossary(
    project, dask_distributed, tmp_path
):
    import torch

    threads = torch.get_num_threads()  # the workers below are threads of this process
    single = tmp_path / "single"
    single.mkdir()
    shutil.copy(project["corpus"] / "002_4454af98e30bf413.txt", single)
    root = project["root"]
    low = ("--min-confidence", "0")  # one article and a model that knows nothing: keep all
    one = _align(project, root / "single-one.xlsx", "cache-single-one", *low, corpus=str(single))
    assert one.returncode == 0, one.stderr[-3000:]
    running = dask_distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, protocol="tcp://",
        dashboard_address=":0",
    )  # fmt: skip
    try:
        proc = _align(
            project, root / "single-two.xlsx", "cache-single-two", *low, "--json",
            corpus=str(single),
            env={"DASK_SCHEDULER_ADDRESS": running.scheduler_address},
        )  # fmt: skip
    finally:
        running.close()
        torch.set_num_threads(threads)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "cluster" in json.loads(proc.stdout)["seconds"]
    exported = _export(project, root / "single-one.xlsx", "--include-proposed")
    assert exported.count(b"\n") > 1  # a header and terms
    assert _export(project, root / "single-two.xlsx", "--include-proposed") == exported
