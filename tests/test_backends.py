"""Backends: which one a run uses, that their vectors never mix in the cache, and the fallback to
torch when the ONNX conversion cannot be made (tiny model; the real export in the model tests)."""

from __future__ import annotations

import hashlib
import importlib.util

import numpy as np
import pytest

from glossary import backends, embed
from glossary.embed import Embedder, VectorCache
from glossary.errors import UsageError

TEXTS = ["partikomiteen", "masové mobilizace", "massamobilisatie", "Việt Nam"]


class StandInOnnx:
    """Answers like OnnxModel, with vectors of its own (so a mix would show)."""

    calls = 0

    def __init__(self, folder, threads: int = 0):
        self.prompts = {}

    def encode(self, texts, **_options):
        StandInOnnx.calls += len(texts)
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest(), np.uint8) for t in texts]
        vectors = np.array(rows, dtype=np.float32) - 127.5
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(backends, "gpu_present", lambda: False)
    monkeypatch.delenv("GLOSSARY_BACKEND", raising=False)


@pytest.fixture
def stand_in_onnx(monkeypatch, tmp_path):
    """Both converted backends (onnx, openvino) answer with the stand-in's vectors."""
    monkeypatch.setattr(backends, "OnnxModel", StandInOnnx)
    monkeypatch.setattr(backends, "OpenVinoModel", StandInOnnx)
    monkeypatch.setattr(embed, "convert", lambda model, fingerprint, backend="onnx": tmp_path)
    StandInOnnx.calls = 0


def test_backend_follows_option_then_environment_then_auto(no_gpu, monkeypatch):
    assert backends.requested(None) == "auto"
    monkeypatch.setenv("GLOSSARY_BACKEND", "onnx")
    assert backends.requested(None) == "onnx"
    assert backends.requested("torch") == "torch"
    monkeypatch.setenv("GLOSSARY_BACKEND", "tensorrt")
    with pytest.raises(UsageError) as caught:
        backends.requested(None)
    assert "\n" not in str(caught.value) and "GLOSSARY_BACKEND" in str(caught.value)


def test_auto_prefers_onnx_on_cpu_only_for_a_model_measured_with_it(no_gpu, monkeypatch):
    monkeypatch.setattr(backends, "onnx_available", lambda: True)
    assert backends.choose("auto", onnx_measured=True).label == "onnx"
    assert backends.choose("auto", onnx_measured=False).label == "torch"
    assert backends.choose("torch", onnx_measured=True).label == "torch"
    monkeypatch.setattr(backends, "onnx_available", lambda: False)
    assert backends.choose("auto", onnx_measured=True).label == "torch"


def test_auto_prefers_openvino_when_measured_and_installed(no_gpu, monkeypatch):
    monkeypatch.setattr(backends, "onnx_available", lambda: True)
    monkeypatch.setattr(backends, "openvino_available", lambda: True)
    both = {"onnx_measured": True, "openvino_measured": True}
    assert backends.choose("auto", **both).label == "openvino"
    assert backends.choose("auto", onnx_measured=True).label == "onnx"
    assert backends.choose("openvino").label == "openvino"
    assert backends.choose("onnx", **both).label == "onnx"
    monkeypatch.setattr(backends, "openvino_available", lambda: False)
    assert backends.choose("auto", **both).label == "onnx"


def test_the_default_model_runs_on_openvino_where_its_extra_is_installed(no_gpu, monkeypatch):
    from glossary import modelstore
    from glossary.embed import choose_backend

    known = modelstore.known_model(modelstore.default_model_id())
    model_id = f"{known.id}@{known.fingerprint}"
    monkeypatch.setattr(backends, "openvino_available", lambda: True)
    assert choose_backend(model_id).label == "openvino"
    assert choose_backend(f"{known.id}@0000000000000000").label == "torch"  # other weights
    assert choose_backend(model_id, "torch").label == "torch"
    monkeypatch.setattr(backends, "openvino_available", lambda: False)
    assert choose_backend(model_id).label == "torch"


def test_a_model_outside_the_registry_runs_on_torch_by_default(no_gpu, tiny_model, tmp_path):
    assert Embedder(tiny_model, tmp_path).backend == "torch"
    assert Embedder(tiny_model, tmp_path, backend="onnx").backend == "onnx"


def test_gpu_backends_have_labels_of_their_own():
    assert backends.Choice("torch").label == "torch"
    assert backends.Choice("torch", "cuda", "bf16").label == "torch-cuda-bf16"
    assert backends.Choice("torch", "cuda").label == "torch-cuda"
    assert backends.Choice("torch", "cuda", "bf16").batch_size > backends.Choice("onnx").batch_size


def test_cache_keys_carry_the_backend_and_torch_keeps_its_old_keys():
    old = hashlib.sha256(b"query: \x00partikomiteen").hexdigest()
    assert VectorCache.key("query: ", "partikomiteen") == old
    assert VectorCache.key("query: ", "partikomiteen", "torch") == old
    keys = {
        VectorCache.key("query: ", "partikomiteen", b)
        for b in ("torch", "onnx", "openvino", "torch-cuda-bf16")
    }
    assert len(keys) == 4


@pytest.mark.parametrize("converted", ["onnx", "openvino"])
def test_vectors_of_one_backend_are_never_served_to_another(
    no_gpu, stand_in_onnx, tiny_model, tmp_path, converted
):
    torch_vectors = Embedder(tiny_model, tmp_path, backend="torch").encode(TEXTS)
    other = Embedder(tiny_model, tmp_path, backend=converted)
    assert other.backend == converted
    other_vectors = other.encode(TEXTS)
    assert other.encoded == len(TEXTS) and StandInOnnx.calls == len(TEXTS)
    assert not np.allclose(other_vectors, torch_vectors)
    again = Embedder(tiny_model, tmp_path, backend="torch")
    assert np.array_equal(again.encode(TEXTS), torch_vectors) and again.encoded == 0
    warm = Embedder(tiny_model, tmp_path, backend=converted)
    assert np.array_equal(warm.encode(TEXTS), other_vectors) and warm.encoded == 0


def test_failed_conversion_falls_back_to_torch_with_one_warning(
    no_gpu, tiny_model, tmp_path, monkeypatch, capsys
):
    def broken_export(folder, target):
        raise RuntimeError("Gemma3 attention does not trace\nsecond line of the traceback")

    monkeypatch.setenv("GLOSSARY_MODELS", str(tmp_path / "models"))
    monkeypatch.setattr(backends, "export_onnx", broken_export)
    torch_vectors = Embedder(tiny_model, tmp_path / "a", backend="torch").encode(TEXTS)
    capsys.readouterr()
    embedder = Embedder(tiny_model, tmp_path / "b", backend="onnx")
    vectors = embedder.encode(TEXTS, progress=lambda done, total: None)
    np.testing.assert_allclose(vectors, torch_vectors, atol=1e-5)
    assert embedder.backend == "torch"
    notes = [line for line in capsys.readouterr().err.splitlines() if "onnx" in line]
    assert len(notes) == 2  # "converting ... once", then the one line that says it failed
    assert "torch" in notes[-1] and "does not trace" in notes[-1]
    # the vectors were stored as torch's, so a torch run finds them all
    again = Embedder(tiny_model, tmp_path / "b", backend="torch")
    again.encode(TEXTS)
    assert again.encoded == 0


def test_cached_vectors_need_neither_model_nor_conversion(
    no_gpu, stand_in_onnx, tiny_model, tmp_path, monkeypatch
):
    Embedder(tiny_model, tmp_path, backend="onnx").encode(TEXTS)

    def refuse(*_args, **_kwargs):
        raise AssertionError("the model was loaded although every vector is cached")

    monkeypatch.setattr(embed, "convert", refuse)
    monkeypatch.setattr(embed, "load_model", refuse)
    warm = Embedder(tiny_model, tmp_path, backend="onnx")
    warm.encode(TEXTS)
    assert warm.encoded == 0 and warm._model is None


ONNX_INSTALLED = all(importlib.util.find_spec(m) for m in ("onnxruntime", "onnx", "onnxscript"))


@pytest.mark.skipif(not ONNX_INSTALLED, reason="the onnx extra is not installed")
def test_onnx_export_gives_torchs_vectors_and_is_made_once(
    no_gpu, tiny_model, tmp_path, monkeypatch
):
    monkeypatch.setenv("GLOSSARY_MODELS", str(tmp_path / "models"))
    torch_vectors = Embedder(tiny_model, tmp_path / "a", backend="torch").encode(TEXTS, "query")
    first = Embedder(tiny_model, tmp_path / "b", backend="onnx")
    vectors = first.encode(TEXTS, task="query")
    assert first.backend == "onnx"
    assert np.min(np.sum(vectors * torch_vectors, axis=1)) > 0.999
    made = list((tmp_path / "models" / "converted").glob(f"{first.fingerprint}/onnx/model.onnx"))
    assert made, "the conversion is kept under the model's fingerprint"

    def refuse(*_args):
        raise AssertionError("converted twice")

    monkeypatch.setattr(backends, "export_onnx", refuse)
    second = Embedder(tiny_model, tmp_path / "c", backend="onnx")
    np.testing.assert_allclose(second.encode(TEXTS, task="query"), vectors, atol=1e-6)


def test_missing_openvino_falls_back_to_torch_with_one_line(
    no_gpu, tiny_model, tmp_path, monkeypatch, capsys
):
    def not_installed(backend, folder):
        raise ModuleNotFoundError("No module named 'openvino'")

    monkeypatch.setattr(embed, "convert", lambda model, fingerprint, backend="onnx": tmp_path)
    monkeypatch.setattr(backends, "run_converted", not_installed)
    torch_vectors = Embedder(tiny_model, tmp_path / "a", backend="torch").encode(TEXTS)
    capsys.readouterr()
    embedder = Embedder(tiny_model, tmp_path / "b", backend="openvino")
    np.testing.assert_allclose(embedder.encode(TEXTS), torch_vectors, atol=1e-5)
    assert embedder.backend == "torch"
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "openvino" in notes[0] and "glossary[openvino]" in notes[0]
    assert "torch" in notes[0]


@pytest.mark.model
@pytest.mark.skipif(not backends.openvino_available(), reason="the openvino extra is not installed")
def test_openvino_gives_torchs_vectors_with_the_real_model(no_gpu, tmp_path):
    from sentence_transformers import SentenceTransformer

    from glossary.modelstore import cached_path, default_model_id

    folder = cached_path(default_model_id())
    if folder is None:
        pytest.skip("the default model is not fetched")
    texts = ["Ủy ban Thường vụ Quốc hội", "the party committee", "masové mobilizace"]
    ov = Embedder(str(folder), tmp_path, backend="openvino")
    vectors = ov.encode(texts, task="document")
    assert ov.backend == "openvino"
    st = SentenceTransformer(str(folder), device="cpu")
    reference = st.encode(texts, prompt=ov.prompt_for("document"), normalize_embeddings=True)
    assert np.min(np.sum(vectors * reference, axis=1)) >= 0.99


def test_model_fetch_with_an_unknown_backend_stops_before_any_download(monkeypatch, capsys):
    from clirun import one_line, run

    from glossary import modelstore

    def no_download(name=None):
        raise AssertionError("fetch ran before the backend name was checked")

    monkeypatch.setattr(modelstore, "fetch", no_download)
    code, out, err = run(monkeypatch, capsys, "model", "fetch", "--backend", "openvnio")
    assert code == 2 and out == ""
    line = one_line(err)
    assert line.startswith("error: ") and "unknown backend 'openvnio'" in line
