"""Sentence embeddings: model choice, batched encoding and a persistent, verified vector cache."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from glossary import backends, modelstore
from glossary.errors import ModelError, OutputError, first_line

# The model every tuned constant and the shipped calibration were measured with
# (EmbeddingGemma-300M, glossary/data/models.json); fetched into the cache on first use.
DEFAULT_MODEL = modelstore.default_model_id()
CHUNK = 256  # texts per cache commit; an interrupted run resumes from the last chunk


def resolve_model(model: str | None = None) -> str:
    """The model to use: the explicit argument, then $GLOSSARY_MODEL, then the default."""
    return model or os.environ.get("GLOSSARY_MODEL") or DEFAULT_MODEL


def default_cache_dir() -> Path:
    """Cache folder: $GLOSSARY_CACHE, else ~/.cache/glossary."""
    env = os.environ.get("GLOSSARY_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "glossary"


def model_identity(model: str) -> str:
    """A stable id for a model: a hub id as is, a local folder as `label@fingerprint`, where the
    label is the id it was fetched as (or the folder's name): never a path on this disk."""
    folder = Path(model).expanduser()
    if not folder.is_dir():
        return model
    found = modelstore.folder_info(folder).get("fingerprint") or modelstore.fingerprint(folder)
    return f"{modelstore.model_label(folder, found)}@{found}"


class VectorCache:
    """Vectors keyed by (model, backend, prompt, text) in SQLite; each row carries a checksum.

    SQLite's WAL mode makes it safe for several processes to share one cache; a row whose
    checksum or size is wrong is ignored (and later overwritten), never trusted.
    """

    def __init__(self, folder: Path, model_id: str):
        name = hashlib.sha256(model_id.encode()).hexdigest()[:16]
        self.path = folder / f"vectors-{name}.sqlite"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            try:
                self.db = self._open(model_id)
            except sqlite3.DatabaseError as exc:
                if _out_of_space(exc):
                    raise
                # Not a database any more (truncated, overwritten): set it aside, start afresh.
                self.path.replace(self.path.with_suffix(f".corrupt-{os.getpid()}"))
                self.db = self._open(model_id)
        except (OSError, sqlite3.Error) as exc:
            raise self._error(exc) from None

    def _error(self, exc: Exception) -> OutputError:
        """One line for a cache that cannot be written: a full disk, a read-only folder."""
        reason = getattr(exc, "strerror", None) or str(exc)
        return OutputError(
            f"cannot write the embedding cache {self.path}: {reason}; free some space, or put "
            "the cache elsewhere with --cache-dir or GLOSSARY_CACHE"
        )

    def _open(self, model_id: str) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS vectors "
                "(key TEXT PRIMARY KEY, dim INTEGER, vec BLOB, sum TEXT)"
            )
            db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('model', ?)", (model_id,))
            db.commit()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    @staticmethod
    def key(prompt: str, text: str, backend: str = "torch") -> str:
        """The row key; torch on CPU keeps the key it had before backends, so caches made
        then stay valid, and every other backend's vectors have keys of their own."""
        if backend == "torch":
            return hashlib.sha256(f"{prompt}\x00{text}".encode()).hexdigest()
        return hashlib.sha256(f"{backend}\x00{prompt}\x00{text}".encode()).hexdigest()

    @staticmethod
    def checksum(blob: bytes) -> str:
        return hashlib.blake2b(blob, digest_size=8).hexdigest()

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """The valid cached vectors among keys."""
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 900):
            batch = list(keys[start : start + 900])
            marks = ",".join("?" * len(batch))
            rows = self.db.execute(
                f"SELECT key, dim, vec, sum FROM vectors WHERE key IN ({marks})", batch
            )
            for key, dim, blob, checksum in rows:
                if blob is None or len(blob) != 4 * (dim or 0) or self.checksum(blob) != checksum:
                    continue
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        """Store vectors in one transaction."""
        rows = []
        for key, vec in items.items():
            blob = np.ascontiguousarray(vec, dtype=np.float32).tobytes()
            rows.append((key, len(vec), blob, self.checksum(blob)))
        try:
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?)", rows)
        except (OSError, sqlite3.Error) as exc:
            raise self._error(exc) from None

    def close(self) -> None:
        self.db.close()


def _out_of_space(exc: Exception) -> bool:
    return "disk is full" in str(exc) or "disk I/O error" in str(exc)


def load_model(model: str, choice: backends.Choice | None = None):
    """Load a sentence-transformers model on torch (the choice's device and dtype, else the
    CPU in fp32), or fail with one line that says how to fix it.

    A hub id that is neither cached nor reachable within 5 s fails at once (no retry loop)."""
    offline = False
    if not Path(model).expanduser().is_dir():
        modelstore.quick_hub_env()
        offline = _in_hub_cache(model)
        if not offline and not modelstore.hub_reachable():
            raise ModelError(
                f"cannot load embedding model {model!r}: it is not cached and the Hugging Face "
                "hub is not reachable. Pass --model PATH or set GLOSSARY_MODEL to a local "
                "sentence-transformers folder, or use the default model (`glossary model fetch`)."
            )
    try:
        return backends.load_torch(
            model, choice or backends.Choice("torch"), local_files_only=offline
        )
    except Exception as exc:  # noqa: BLE001 - any load failure becomes one clear message
        raise ModelError(
            f"cannot load embedding model {model!r} ({first_line(exc)}). Without internet, pass "
            "--model PATH or set GLOSSARY_MODEL to a local sentence-transformers folder."
        ) from None


def _in_hub_cache(model: str) -> bool:
    """Whether a hub model is in the local Hugging Face cache already."""
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(model, "modules.json"), str)
    except Exception:  # noqa: BLE001 - no cache or a bad id
        return False


def measured(model_id: str, backend: str) -> bool:
    """Whether a model's conversion to a backend was measured to keep its vectors (the
    registry's `onnx_min_cosine` / `openvino_min_cosine` >= 0.99, for the fingerprint it was
    measured on)."""
    label, _, fingerprint = model_id.rpartition("@")
    known = modelstore.known_model(label) if label else None
    return bool(known and getattr(known, f"{backend}_min_cosine") >= 0.99
                and fingerprint == known.fingerprint)  # fmt: skip


def choose_backend(model_id: str, request: str | None = None) -> backends.Choice:
    """The backend a model runs on for a request (`auto` when None; $GLOSSARY_BACKEND)."""
    return backends.choose(
        request,
        onnx_measured=measured(model_id, "onnx"),
        openvino_measured=measured(model_id, "openvino"),
    )


def prepare_backend(model: str, request: str | None = None) -> Path | None:
    """Make the model's conversion for the backend it would run on now, as its first encode
    would (`glossary model fetch`); None when that backend needs none. A failed conversion
    is one line on stderr: encoding then runs on torch, as it would in the product."""
    model = modelstore.local_model(resolve_model(model))
    model_id = model_identity(model)
    choice = choose_backend(model_id, request)
    if choice.name not in backends.CONVERTED:
        return None
    try:
        return convert(model, model_id.rpartition("@")[2], choice.name)
    except Exception as exc:  # noqa: BLE001 - the product would fall back to torch as well
        reason = first_line(exc)
        backends.warn(f"the {choice.name} conversion failed ({type(exc).__name__}: {reason}); "
                      "encoding will run on torch")  # fmt: skip
        return None


def open_model(model: str, fingerprint: str, choice: backends.Choice):
    """The model on the choice's backend, and the choice it really runs on: a converted backend
    that cannot run here falls back to torch after one line on stderr."""
    if choice.name in backends.CONVERTED:
        name = choice.name
        try:
            return backends.run_converted(name, convert(model, fingerprint, name)), choice
        except Exception as exc:  # noqa: BLE001 - any failure: torch still gives the vectors
            reason = first_line(exc)
            hint = f"; pip install 'glossary[{name}]'" if isinstance(exc, ImportError) else ""
            backends.warn(f"the {name} backend is not usable here ({type(exc).__name__}: "
                          f"{reason}{hint}); encoding with torch instead")  # fmt: skip
            choice = backends.cuda_choice() if backends.gpu_present() else backends.Choice("torch")
    return load_model(model, choice), choice


def load_on_worker(model: str, model_id: str, request: str):
    """The model as a cluster worker runs it: the backend chosen on the worker's own machine
    (its GPU, if it has one), not the client's."""
    return open_model(model, model_id.rpartition("@")[2], choose_backend(model_id, request))


@dataclass(frozen=True)
class WorkerModel:
    """How a cluster worker gets a model: the name its per-process cache keeps it under, a
    picklable loader giving (model, the Choice it runs on), and a cheap look at that Choice."""

    name: str
    load: Callable[[], tuple[object, backends.Choice]]
    choice: Callable[[], backends.Choice]


class Embedder:
    """Encodes texts to unit vectors, reading and filling the cache; loads the model only on a miss.

    `backend` is `auto` (default; $GLOSSARY_BACKEND), `torch`, `onnx` or `openvino`
    (glossary.backends)."""

    def __init__(
        self,
        model: str | None = None,
        cache_dir: Path | str | None = None,
        backend: str | None = None,
    ):
        self.model_name = modelstore.local_model(resolve_model(model))
        self.model_id = model_identity(self.model_name)
        # what a shared file may say: the id (or folder name) and fingerprint, never a path
        self.model_label, _, self.fingerprint = self.model_id.rpartition("@")
        if not self.model_label:
            self.model_label, self.fingerprint = self.model_id, ""
        self.backend_request = backends.requested(backend)
        self.choice = choose_backend(self.model_id, self.backend_request)
        self.cache = VectorCache(
            Path(cache_dir) if cache_dir else default_cache_dir(), self.model_id
        )
        self._model = None
        self._prompts: dict[str, str] | None = None
        self.encoded = 0  # texts that went through the model (cache misses)
        self.model_seconds = 0.0
        # a glossary.cluster.Cluster: cache misses are encoded by its workers; the cache,
        # and every text it already has, stays here
        self.cluster = None
        self._workers_checked = False

    @property
    def backend(self) -> str:
        """The label of the backend in use, which the cache keys carry (`torch`, `onnx`, ...)."""
        return self.choice.label

    @property
    def model(self):
        if self._model is None:
            self._model, self.choice = open_model(self.model_name, self.fingerprint, self.choice)
        return self._model

    def worker_model(self) -> WorkerModel:
        """How cluster workers get this model (glossary/cluster.py); each picks its own device."""
        return WorkerModel(
            name=f"{self.model_id}|{self.backend_request}",
            load=partial(load_on_worker, self.model_name, self.model_id, self.backend_request),
            choice=partial(choose_backend, self.model_id, self.backend_request),
        )

    def prompt_for(self, task: str) -> str:
        """The model's own prompt for a task, if it defines one (e.g. EmbeddingGemma)."""
        if self._prompts is None:
            self._prompts = self._read_prompts()
        return self._prompts.get(task, "")

    def _read_prompts(self) -> dict[str, str]:
        if self._model is None:
            config = self._config_file()
            if config is not None:
                try:
                    data = json.loads(config.read_text(encoding="utf-8"))
                    return dict(data.get("prompts") or {})
                except (OSError, ValueError):
                    pass
            elif not Path(self.model_name).expanduser().is_dir():
                return dict(getattr(self.model, "prompts", {}) or {})  # not downloaded yet
            return {}
        return dict(getattr(self._model, "prompts", {}) or {})

    def _config_file(self) -> Path | None:
        """config_sentence_transformers.json of a local folder or a hub model already cached."""
        folder = Path(self.model_name).expanduser()
        if folder.is_dir():
            path = folder / "config_sentence_transformers.json"
            return path if path.is_file() else None
        try:
            from huggingface_hub import try_to_load_from_cache

            found = try_to_load_from_cache(self.model_name, "config_sentence_transformers.json")
        except Exception:  # noqa: BLE001 - no cache: fall back to loading the model
            return None
        return Path(found) if isinstance(found, str) else None

    def encode(
        self,
        texts: Sequence[str],
        task: str = "",
        progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        """Unit-normalised float32 vectors for texts, one row each; duplicates are encoded once.

        Texts that differ only in case or in outer quotes are encoded apart: EmbeddingGemma
        gives them vectors too far apart to share (mean cosine 0.91-0.93, benchmarks/variants.py)."""
        prompt = self.prompt_for(task) if task else ""
        unique = list(dict.fromkeys(texts))
        if self.cluster is not None and not self._workers_checked:
            # the keys name the backend the workers run on, which may not be this machine's
            self.choice = self.cluster.worker_choice(self.worker_model())
            self._workers_checked = True
        backend = self.backend
        keys = {t: self.cache.key(prompt, t, backend) for t in unique}
        cached = self.cache.get_many(list(keys.values()))
        vectors = {t: cached[k] for t, k in keys.items() if k in cached}
        missing = sorted(
            (t for t in unique if t not in vectors), key=len
        )  # length-sorted: fast batches
        if missing and self.cluster is None and self.model is not None and self.backend != backend:
            # loading fell back to another backend: its vectors (and keys) must not mix with these
            return self.encode(texts, task, progress)
        done = len(unique) - len(missing)
        if progress:
            progress(done, len(unique))
        chunks = [missing[start : start + CHUNK] for start in range(0, len(missing), CHUNK)]
        batches = iter(self._encoded(chunks, prompt))
        while True:
            began = time.perf_counter()
            chunk, encoded = next(batches, (None, None))
            if chunk is None:
                break
            self.model_seconds += time.perf_counter() - began
            self.encoded += len(chunk)
            self.cache.put_many({keys[t]: v for t, v in zip(chunk, encoded)})
            vectors.update(zip(chunk, encoded))
            done += len(chunk)
            if progress:
                progress(done, len(unique))
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([vectors[t] for t in texts]).astype(np.float32)

    def _encoded(self, chunks: list[list[str]], prompt: str):
        """(chunk, vectors) for each chunk of length-sorted texts: by this process's model, or
        by the cluster's workers in the order they finish."""
        if self.cluster is not None:
            yield from self.cluster.encode(self.worker_model(), chunks, prompt, self.backend)
            return
        for chunk in chunks:
            yield chunk, encode_chunk(self.model, chunk, prompt, self.choice.batch_size)


def encode_chunk(model, texts: Sequence[str], prompt: str, batch_size: int) -> np.ndarray:
    """One model call on a chunk of texts: unit float32 vectors (here or on a cluster worker)."""
    return model.encode(
        list(texts),
        prompt=prompt or None,
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    ).astype(np.float32)


def convert(model: str, fingerprint: str, backend: str = "onnx") -> Path:
    """The model's conversion for a backend, made once and kept under its fingerprint in the
    model cache; says so on stderr while it is being made (a few minutes for EmbeddingGemma)."""
    folder = Path(model).expanduser()
    if not folder.is_dir() or not fingerprint:
        raise ModelError(f"{model} is not a local model folder, so it cannot be converted")
    target = backends.converted_folder(modelstore.models_dir(), fingerprint, backend)
    if not (target / backends.DONE).is_file():
        if backend == "openvino":  # OpenVINO reads the ONNX export, once, into its own IR
            source = convert(model, fingerprint, "onnx")
        backends.warn(f"converting {folder.name} to {backend} once, into {target} "
                      "(a few minutes; later runs reuse it)")  # fmt: skip
        if backend == "openvino":
            backends.convert_openvino(source, target)
        else:
            backends.export_onnx(folder, target)
    return target
