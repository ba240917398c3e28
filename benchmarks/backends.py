"""Backends: the same sample of the seeds' strings encoded by each CPU backend, against torch.

Every candidate runs in a process of its own (so its peak RSS is its own), in rounds that
interleave the candidates, since the cores are shared with other work. Each is compared with
torch fp32 of the same round: encode time, mean and minimum cosine of its vectors to torch's.

    python -m benchmarks backends [--texts 500] [--rounds 2]

Candidates: torch fp32 (the floor, the product's old path) with 2 and 1 threads; torch with
dynamic int8 Linear layers; the product's ONNX export on onnxruntime with 2 and 1 threads,
and dynamically quantized to int8; OpenVINO running that export in fp32 (the product's
`openvino` backend), in bf16 (OpenVINO's own choice on CPUs that have bf16) and running the
int8 file. A candidate that cannot run here is recorded with its error. Whether texts that
differ only in quotes or case may share an encode is benchmarks/variants.py.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks import WORK, machine, model_path, now, write_result

CANDIDATES = (
    ("torch", 0), ("torch-int8", 0), ("onnx", 0), ("onnx-int8", 0), ("openvino", 0),
    ("openvino-bf16", 0), ("openvino-int8", 0), ("torch", 1), ("onnx", 1),
)  # fmt: skip
# Cross-validated dev F1 (calibrate's nested 5-fold CV with the ranker refitted on the
# backend's vectors, mean over fold seeds 13, 7, 29 and 41) where a backend was scored: torch's
# is results/levers.json's shipped row; OpenVINO bf16's is from its one run in an earlier session
# (not repeated here: about an hour of CPU). The other backends were not scored.
# cross-validated dev F1 (mean of levers' four fold seeds) of the backends scored so far:
# bf16 in an earlier session, fp32 on 2026-12-06 (torch then: 0.671 / 0.402)
DEV_F1 = {
    "openvino-bf16": {"keyed": 0.651, "vi_only": 0.402},
    "openvino": {"keyed": 0.672, "vi_only": 0.403},
}
# sentence-transformers' own backend="onnx"/"openvino" need optimum; what pip resolves for them
# next to the product's stack (sentence-transformers 6, transformers 5, torch 2.13 CPU):
ST_BACKENDS_NOTE = (
    'sentence-transformers\' own backend="onnx" needs optimum-onnx, whose newest release '
    "(0.1.0) requires transformers < 4.58 while sentence-transformers 6 requires transformers "
    '>= 5, so it cannot be installed beside the product; backend="openvino" needs '
    "optimum-intel, which pip resolves with torch 2.14.1 and the CUDA wheels (the product "
    "pins the CPU torch 2.13.0) and transformers 5.5. Both were therefore measured through "
    "the product's own ONNX export (torch.onnx, dynamo) run by onnxruntime and by OpenVINO."
)


def sample(count: int) -> list[str]:
    """`count` strings as the product sends them: evenly spaced seed candidates with the
    document prompt, and the concept queries of the shipped concept list with the query
    prompt (at most a fifth)."""
    from benchmarks.speed import unique_texts
    from glossary.alignment.evidence import query_texts
    from glossary.embed import Embedder
    from glossary.store import load_concept_list

    embedder = Embedder(model_path())
    document, query = embedder.prompt_for("document"), embedder.prompt_for("query")
    embedder.cache.close()
    concepts = load_concept_list(
        Path(__file__).resolve().parent.parent / "glossary/data/concepts.csv"
    )
    queries = list(dict.fromkeys(t for c in concepts for t in query_texts(c)))[: count // 5]
    texts = unique_texts()
    step = len(texts) / (count - len(queries))
    docs = [texts[int(i * step)] for i in range(count - len(queries))]
    return [document + t for t in docs] + [query + t for t in queries]


def _int8_onnx(source: Path, work: Path) -> Path:
    """onnxruntime's dynamic int8 quantization of the product's export, made once."""
    target = work / "model-int8.onnx"
    if not target.is_file():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(source / "model.onnx"), str(target), weight_type=QuantType.QInt8)
    return target


def _encoder(name: str, threads: int, model: str, work: Path):
    """A function from length-sorted texts to vectors, for one candidate."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    if name.startswith("torch"):
        from sentence_transformers import SentenceTransformer

        st = SentenceTransformer(model, device="cpu")
        if name == "torch-int8":
            st = torch.ao.quantization.quantize_dynamic(st, {torch.nn.Linear}, dtype=torch.qint8)
        return lambda texts: st.encode(texts, batch_size=64, normalize_embeddings=True,
                                       convert_to_numpy=True, show_progress_bar=False)  # fmt: skip
    from glossary import backends
    from glossary.embed import convert, model_identity

    folder = convert(model, model_identity(model).rpartition("@")[2])
    onnx = backends.OnnxModel(folder, threads)
    if name == "onnx":
        return lambda texts: onnx.encode(texts)
    path = _int8_onnx(folder, work) if name.endswith("int8") else folder / backends.ONNX_FILE
    if name == "onnx-int8":
        import onnxruntime as ort

        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        onnx.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        return lambda texts: onnx.encode(texts)
    import openvino

    # fp32 as the product compiles it; bf16 and int8 as OpenVINO picks on a CPU with bf16
    config = {"INFERENCE_PRECISION_HINT": "f32"} if name == "openvino" else {}
    if name == "openvino-bf16":
        config["INFERENCE_PRECISION_HINT"] = "bf16"
    if threads:
        config["INFERENCE_NUM_THREADS"] = threads
    compiled = openvino.Core().compile_model(str(path), "CPU", config)

    class Session:  # what OnnxModel.encode calls, answered by OpenVINO
        def run(self, _outputs, feed):
            return [compiled(feed)[0]]

    onnx.session = Session()
    return lambda texts: onnx.encode(texts)


def worker(name: str, threads: int, texts_file: Path, out: Path) -> dict:
    """One candidate in this process: load, encode the sample sorted by length, save vectors."""
    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    began = time.perf_counter()
    encode = _encoder(name, threads, model_path(), out.parent)
    loaded = time.perf_counter() - began
    began = time.perf_counter()
    vectors = np.asarray(encode([texts[i] for i in order]), dtype=np.float32)
    seconds = time.perf_counter() - began
    back = np.zeros_like(vectors)
    back[order] = vectors
    np.save(out, back)
    return {"load_seconds": round(loaded, 2), "encode_seconds": round(seconds, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}  # fmt: skip


def _child(args: list[str]) -> dict:
    paths = [str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))
    done = subprocess.run([sys.executable, "-m", "benchmarks.backends", *args],
                          capture_output=True, text=True, env=env)  # fmt: skip
    if done.returncode != 0:
        lines = [x for x in done.stderr.strip().splitlines() if x.strip()]
        return {"error": (lines[-1] if lines else f"exit {done.returncode}")[:300]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cosines(vectors: Path, reference: Path) -> dict:
    a, b = np.load(vectors), np.load(reference)
    cos = np.sum(a * b, axis=1)
    return {"mean_cosine": round(float(cos.mean()), 5), "min_cosine": round(float(cos.min()), 5)}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m benchmarks backends")
    parser.add_argument("--texts", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=2)
    opts = parser.parse_args(argv)
    work = WORK / "backends"
    work.mkdir(parents=True, exist_ok=True)
    texts = sample(opts.texts)
    texts_file = work / "texts.json"
    texts_file.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    runs: list[dict] = []
    for round_ in range(opts.rounds):
        for name, threads in CANDIDATES:
            out = work / f"{name}-{threads}-{round_}.npy"
            row = {"backend": name, "threads": threads or "default", "round": round_,
                   **_child(["--worker", name, str(threads), str(texts_file), str(out)]),
                   "load_average": round(os.getloadavg()[0], 2)}  # fmt: skip
            reference = work / f"torch-0-{round_}.npy"
            if "error" not in row and reference.is_file():
                row.update(_cosines(out, reference))
            print(json.dumps(row), flush=True)
            runs.append(row)
    result = {
        "date": now(),
        "machine": machine(),
        "model": model_path().rstrip("/").rsplit("/", 1)[-1],
        "texts": len(texts),
        "rounds": opts.rounds,
        "runs": runs,
        "summary": summarise(runs),
        "dev_f1": {"torch": _torch_f1(), **DEV_F1},
        "notes": [ST_BACKENDS_NOTE],
    }
    write_result("backends", result)
    return result


def _torch_f1() -> dict:
    from benchmarks import read_result

    modes = (read_result("levers") or {}).get("modes", {})
    return {m: modes[m]["shipped"]["mean_f1"] for m in ("keyed", "vi_only") if m in modes}


def summarise(runs: list[dict]) -> list[dict]:
    """Per candidate: median encode time, its ratio to torch's, worst cosine, peak RSS."""
    floor = statistics.median(
        r["encode_seconds"] for r in runs
        if r["backend"] == "torch" and r["threads"] == "default" and "encode_seconds" in r
    )  # fmt: skip
    out = []
    for name, threads in CANDIDATES:
        mine = [r for r in runs if r["backend"] == name and r["threads"] == (threads or "default")]
        good = [r for r in mine if "encode_seconds" in r]
        if not good:
            out.append({"backend": name, "threads": threads or "default",
                        "error": mine[0].get("error", "not run") if mine else "not run"})  # fmt: skip
            continue
        seconds = statistics.median(r["encode_seconds"] for r in good)
        out.append({
            "backend": name, "threads": threads or "default",
            "encode_seconds": round(seconds, 2), "over_torch": round(seconds / floor, 3),
            "load_seconds": round(statistics.median(r["load_seconds"] for r in good), 2),
            "mean_cosine": min((r.get("mean_cosine", 1.0) for r in good), default=None),
            "min_cosine": min((r.get("min_cosine", 1.0) for r in good), default=None),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in good),
        })  # fmt: skip
    return out


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        name, threads, texts_file, out = sys.argv[2:6]
        print(json.dumps(worker(name, int(threads), Path(texts_file), Path(out))))
    else:
        main(sys.argv[1:])
