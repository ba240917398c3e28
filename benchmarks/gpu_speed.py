"""GPU speed: phrases per second of the product's encode path, per batch size.

The device and dtype are the product's own choice (glossary.backends: torch on CUDA in bf16
where the GPU has it, else fp32; the CPU when there is no GPU). The seeds' candidate strings
go through the model with the document prompt, length-sorted as Embedder.encode sends them,
once per batch size after one warm-up batch. The cosine of each batch size's vectors to those
of the first shows the batch size does not change them. A time budget stops it early, so it
ends well within 10 minutes even on a slow card; `--texts 40` is a smoke run on a CPU.

    python -m benchmarks gpu_speed [--texts N] [--batches 64,128,256,512] [--budget 300]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from benchmarks import machine, model_path, now, write_result


def _synchronize(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


def measure(texts: list[str], model: str, batches: list[int], budget: float) -> dict:
    """Load the model as the product would on this machine, then time each batch size."""
    from glossary import backends

    began = time.perf_counter()
    choice = backends.cuda_choice() if backends.gpu_present() else backends.Choice("torch")
    st = backends.load_torch(model, choice)
    loaded = time.perf_counter() - began
    prompt = (getattr(st, "prompts", {}) or {}).get("document") or None
    texts = sorted(texts, key=len)

    def encode(batch: int, items: list[str]) -> np.ndarray:
        return st.encode(items, prompt=prompt, batch_size=batch, normalize_embeddings=True,
                         convert_to_numpy=True, show_progress_bar=False)  # fmt: skip

    runs, reference = [], None
    for batch in batches:
        if time.perf_counter() - began > budget:
            runs.append({"batch_size": batch, "skipped": f"over the {budget:.0f} s budget"})
            continue
        encode(batch, texts[-batch:])  # warm-up: kernels, allocator, the longest texts
        _synchronize(choice.device)
        start = time.perf_counter()
        vectors = np.asarray(encode(batch, texts), dtype=np.float32)
        _synchronize(choice.device)
        seconds = time.perf_counter() - start
        reference = vectors if reference is None else reference
        cos = np.sum(vectors * reference, axis=1)
        runs.append({"batch_size": batch, "seconds": round(seconds, 3),
                     "phrases_per_second": round(len(texts) / seconds, 1),
                     "min_cosine_to_first_batch_size": round(float(cos.min()), 5)})  # fmt: skip
        print(runs[-1], flush=True)
    timed = [r for r in runs if "seconds" in r]
    best = max(timed, key=lambda r: r["phrases_per_second"]) if timed else None
    found = {"device": choice.device, "dtype": choice.dtype, "label": choice.label,
             "product_batch_size": choice.batch_size, "load_seconds": round(loaded, 2),
             "texts": len(texts), "runs": runs, "best": best}  # fmt: skip
    if choice.device == "cuda":
        import torch

        found["gpu"] = torch.cuda.get_device_name(0)
        found["peak_gpu_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
    return found


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m benchmarks gpu_speed")
    parser.add_argument("--texts", type=int, default=0, help="a sample of this many (0: all)")
    parser.add_argument("--batches", default="64,128,256,512")
    parser.add_argument("--budget", type=float, default=300.0, help="seconds before stopping")
    parser.add_argument("--model", default=None, help="model folder (default: GLOSSARY_MODEL)")
    parser.add_argument("--out", default="gpu_speed", help="result name under results/")
    opts = parser.parse_args(argv)
    from benchmarks.speed import unique_texts

    texts = unique_texts()
    if opts.texts:
        step = max(1, len(texts) // opts.texts)
        texts = texts[::step][: opts.texts]
    model = opts.model or model_path()
    batches = [int(b) for b in opts.batches.split(",") if b.strip()]
    result = {"date": now(), "machine": machine(), "model": Path(model).name,
              **measure(texts, model, batches, opts.budget)}  # fmt: skip
    write_result(opts.out, result)
    return result


if __name__ == "__main__":
    main()
