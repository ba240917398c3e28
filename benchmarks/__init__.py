"""Benchmarks of quality, speed and scale; `python -m benchmarks all` runs them and writes
benchmarks/results/*.json and docs/benchmarks.md."""

from __future__ import annotations

import json
import os
import platform
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
RESULTS = ROOT / "benchmarks" / "results"
WORK = ROOT / "benchmarks" / "work"  # git-ignored: corpora, caches, workbooks


def model_path() -> str:
    """The real embedding model: $GLOSSARY_MODEL, else the default model's cache folder
    (`glossary model fetch` puts it there)."""
    from glossary.modelstore import cache_folder, cached_path, default_model_id

    found = cached_path(default_model_id())
    return os.environ.get("GLOSSARY_MODEL") or str(found or cache_folder(default_model_id()))


def machine() -> dict[str, object]:
    """CPU model, cores, memory and software versions, for the record."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory_gb = round(pages / 2**30, 1)
    except (OSError, ValueError):
        pass
    info: dict[str, object] = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": round(os.getloadavg()[0], 2),  # other work on the box skews timings
    }
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        pass
    return info


def now() -> str:
    """UTC time stamp of a result."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def write_result(name: str, data: dict) -> Path:
    """Write benchmarks/results/<name>.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read_result(name: str) -> dict | None:
    """A result file's data, or None when that benchmark has not been run."""
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


class Timer:
    """Seconds spent inside a with-block."""

    def __enter__(self) -> Timer:
        self.began = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.began
