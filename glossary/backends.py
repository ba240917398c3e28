"""Where the vectors are computed: sentence-transformers on torch, or the model exported once to
ONNX and run by onnxruntime or by OpenVINO, which on CPU are faster for the same vectors
(benchmarks/backends.py).

A backend is named by a short label that the embedding cache keys carry, so vectors made by
different backends never mix: `torch` (CPU, fp32), `torch-cuda-bf16` / `torch-cuda` (GPU),
`onnx` (CPU, fp32), `openvino` (CPU, fp32). `auto` picks the GPU where there is one, else
OpenVINO, else ONNX, for the models whose registry entry says that backend was measured to keep
their vectors (cosine >= 0.99) and where its packages are installed, else torch.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glossary.errors import UsageError

CHOICES = ("auto", "torch", "onnx", "openvino")
CONVERTED = ("onnx", "openvino")  # the backends that run a conversion of the model
CPU_BATCH = 64  # the floor's batch size; larger ones measured no faster on 2 cores
GPU_BATCH = 256  # texts are length-sorted, so a large batch pads little; not yet timed on a GPU
# (benchmarks/gpu_speed.py measures phrases/s per batch size)
ONNX_FILE = "model.onnx"
OPENVINO_FILE = "model.xml"  # OpenVINO IR; its weights are in model.bin beside it
# the packages each converted backend needs (the pyproject extras of the same names)
PACKAGES = {
    "onnx": ("onnxruntime", "onnx", "onnxscript"),
    "openvino": ("openvino", "onnx", "onnxscript"),  # the IR is made from the ONNX export
}
DONE = "done.json"  # written last: a conversion folder without it is unfinished


@dataclass(frozen=True)
class Choice:
    """The backend a run uses: its name, device, dtype and the label the cache keys carry."""

    name: str  # "torch", "onnx" or "openvino"
    device: str = "cpu"
    dtype: str = "fp32"

    @property
    def label(self) -> str:
        if self.device == "cpu" and self.dtype == "fp32":
            return self.name
        return "-".join(
            p for p in (self.name, self.device, self.dtype if self.dtype != "fp32" else "") if p
        )

    @property
    def batch_size(self) -> int:
        return GPU_BATCH if self.device == "cuda" else CPU_BATCH


def requested(name: str | None = None) -> str:
    """The backend asked for: the argument, then $GLOSSARY_BACKEND, then `auto`."""
    value = (name or os.environ.get("GLOSSARY_BACKEND") or "auto").strip().lower()
    if value not in CHOICES:
        raise UsageError(f"unknown backend {value!r}; choose one of {', '.join(CHOICES)} "
                         "(--backend or GLOSSARY_BACKEND)")  # fmt: skip
    return value


def installed(backend: str) -> bool:
    """Whether a converted backend's packages are installed (its extra: `glossary[onnx]`,
    `glossary[openvino]`)."""
    return all(importlib.util.find_spec(m) is not None for m in PACKAGES[backend])


def onnx_available() -> bool:
    return installed("onnx")


def openvino_available() -> bool:
    return installed("openvino")


def gpu_present() -> bool:
    """A cheap look for an NVIDIA GPU without importing torch (torch decides for sure later)."""
    return Path("/dev/nvidiactl").exists() or bool(os.environ.get("GLOSSARY_FORCE_CUDA"))


def choose(
    name: str | None = None, *, onnx_measured: bool = False, openvino_measured: bool = False
) -> Choice:
    """The backend for a model: `onnx_measured` / `openvino_measured` say whether that
    conversion was measured to keep its vectors, which `auto` requires before it prefers it on
    CPU (OpenVINO first: it measured faster than onnxruntime on the same export)."""
    wanted = requested(name)
    if wanted in CONVERTED:
        return Choice(wanted)
    if wanted == "auto" and not gpu_present():
        if openvino_measured and openvino_available():
            return Choice("openvino")
        if onnx_measured and onnx_available():
            return Choice("onnx")
    if gpu_present():
        return cuda_choice()
    return Choice("torch")


def cuda_choice() -> Choice:
    """torch on the GPU in bf16 where it has it (EmbeddingGemma does not support fp16), else fp32;
    torch on the CPU when torch sees no GPU after all."""
    import torch

    if not torch.cuda.is_available():
        return Choice("torch")
    return Choice("torch", "cuda", "bf16" if torch.cuda.is_bf16_supported() else "fp32")


def warn(text: str) -> None:
    sys.stderr.write(f"note: {text}\n")


# ---------------------------------------------------------------- torch
def load_torch(model: str, choice: Choice, *, local_files_only: bool = False):
    """A sentence-transformers model on the choice's device and dtype."""
    from sentence_transformers import SentenceTransformer

    kwargs = {}
    if choice.dtype == "bf16":
        import torch

        kwargs["model_kwargs"] = {"torch_dtype": torch.bfloat16}
    return SentenceTransformer(
        model, device=choice.device, local_files_only=local_files_only, **kwargs
    )


# ---------------------------------------------------------------- onnx and openvino
def converted_folder(root: Path, fingerprint: str, backend: str = "onnx") -> Path:
    """Where a model's conversion lives: under its fingerprint, so a changed model gets a new one."""
    return root / "converted" / fingerprint / backend


@contextmanager
def _building(target: Path) -> Iterator[Path]:
    """A staging folder beside target that becomes target once the body has finished (its
    last file is DONE); an interrupted conversion leaves no target, only staging to remove."""
    staging = target.with_name(f".{target.name}.staging-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        yield staging
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def export_onnx(model_folder: Path, target: Path) -> Path:
    """Export a sentence-transformers folder (transformer, pooling, dense layers) to one ONNX
    graph from token ids and mask to the sentence embedding, once; returns the folder."""
    if (target / DONE).is_file():
        return target
    import torch
    from sentence_transformers import SentenceTransformer

    with _building(target) as staging:
        st = SentenceTransformer(
            str(model_folder), device="cpu", model_kwargs={"attn_implementation": "eager"}
        ).eval()

        class WholeModel(torch.nn.Module):
            """The whole pipeline as one forward, from token ids and mask to the vector."""

            def forward(self, input_ids, attention_mask):
                return st({"input_ids": input_ids, "attention_mask": attention_mask})[
                    "sentence_embedding"
                ]

        whole = WholeModel().eval()
        sample = st.tokenize(["title: none | text: a sample", "task: search | query: một ví dụ"])
        args = (sample["input_ids"], sample["attention_mask"])
        batch, length = torch.export.Dim("batch"), torch.export.Dim("length")
        axes = {0: batch, 1: length}
        with torch.no_grad():
            torch.onnx.export(
                whole, args, str(staging / ONNX_FILE), dynamo=True, external_data=True,
                input_names=["input_ids", "attention_mask"], output_names=["sentence_embedding"],
                dynamic_shapes={"input_ids": axes, "attention_mask": axes}, opset_version=18,
                verbose=False,
            )  # fmt: skip
        st.tokenizer.save_pretrained(str(staging / "tokenizer"))
        info = {"prompts": dict(getattr(st, "prompts", {}) or {}),
                "max_seq_length": int(st.max_seq_length or 512)}  # fmt: skip
        (staging / DONE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return target


def convert_openvino(onnx_folder: Path, target: Path) -> Path:
    """The ONNX export read once by OpenVINO and saved as its IR (weights kept in fp32), with
    the export's tokenizer and prompts, so later runs skip parsing the ONNX graph."""
    if (target / DONE).is_file():
        return target
    import openvino

    with _building(target) as staging:
        graph = openvino.Core().read_model(str(onnx_folder / ONNX_FILE))
        openvino.save_model(graph, str(staging / OPENVINO_FILE), compress_to_fp16=False)
        shutil.copytree(onnx_folder / "tokenizer", staging / "tokenizer")
        shutil.copyfile(onnx_folder / DONE, staging / DONE)
    return target


class ConvertedModel:
    """A converted model with the export's tokenizer and prompts; `encode` answers like
    sentence-transformers' (prompt put first, length-sorted batches are the caller's)."""

    def __init__(self, folder: Path):
        from transformers import AutoTokenizer

        info = json.loads((folder / DONE).read_text(encoding="utf-8"))
        self.prompts: dict[str, str] = info.get("prompts", {})
        self.max_length = int(info.get("max_seq_length", 512))
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder / "tokenizer"))

    def run(self, feed: dict[str, np.ndarray]) -> np.ndarray:
        """The sentence embeddings for one batch of token ids and masks."""
        raise NotImplementedError

    def encode(self, texts: Sequence[str], *, prompt: str | None = None, batch_size: int = CPU_BATCH,
               normalize_embeddings: bool = True, **_ignored) -> np.ndarray:  # fmt: skip
        """Vectors for texts (with the prompt put first, as sentence-transformers does)."""
        texts = [(prompt or "") + t for t in texts]
        out = []
        for start in range(0, len(texts), batch_size):
            found = self.tokenizer(
                texts[start : start + batch_size], padding=True, truncation=True,
                max_length=self.max_length, return_tensors="np",
            )  # fmt: skip
            feed = {"input_ids": found["input_ids"].astype(np.int64),
                    "attention_mask": found["attention_mask"].astype(np.int64)}  # fmt: skip
            vectors = np.array(self.run(feed), dtype=np.float32)
            if normalize_embeddings:
                vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            out.append(vectors)
        if not out:
            return np.zeros((0, 0), dtype=np.float32)
        return np.concatenate(out)


class OnnxModel(ConvertedModel):
    """The ONNX export run by onnxruntime."""

    def __init__(self, folder: Path, threads: int = 0):
        import onnxruntime as ort

        super().__init__(folder)
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(
            str(folder / ONNX_FILE), options, providers=["CPUExecutionProvider"]
        )

    def run(self, feed: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(None, feed)[0]


class OpenVinoModel(ConvertedModel):
    """The OpenVINO IR compiled for the CPU in fp32: OpenVINO would otherwise pick bf16 on CPUs
    that have it, and vectors must not depend on the machine under one cache label. In fp32 its
    vectors are torch's (lowest cosine 0.9999998 over the 9,314 texts calibrate encodes;
    cross-validated F1 keyed 0.672, Vietnamese-only 0.403 against torch's 0.671 and 0.402, mean
    of four fold seeds), so `auto` takes it where it is installed. bf16 was measured and not
    taken: 2.8 s for 200 strings against 5.5 s (torch 6.9 s), cosine 0.99994 on average
    (lowest 0.9932), but cross-validated keyed F1 0.651 against torch's 0.668 then."""

    def __init__(self, folder: Path, threads: int = 0):
        import openvino

        super().__init__(folder)
        config = {"INFERENCE_PRECISION_HINT": "f32"}
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        self.compiled = openvino.Core().compile_model(str(folder / OPENVINO_FILE), "CPU", config)

    def run(self, feed: dict[str, np.ndarray]) -> np.ndarray:
        return self.compiled(feed)[0]


def run_converted(backend: str, folder: Path) -> ConvertedModel:
    """The conversion in folder, loaded by its backend's runtime."""
    return {"onnx": OnnxModel, "openvino": OpenVinoModel}[backend](folder)
