"""Shared fixtures. Tests that need the real model or a real client (LibreOffice, OmegaT,
translate-toolkit) fail (not skip) in CI."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
DATA = Path(__file__).resolve().parent / "data"
# Tests never download a model: a missing one is an error (or a skip), not a 1 GB fetch.
os.environ["GLOSSARY_AUTO_FETCH"] = "0"


def _required(flag: str) -> bool:
    return os.environ.get(flag, "").strip() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared (the dev gold and TBX schemas); CI sets GLOSSARY_REQUIRE_SHARED=1."""
    if SHARED.is_dir():
        return SHARED
    if _required("GLOSSARY_REQUIRE_SHARED"):
        pytest.fail("../shared is required but not beside the checkout")
    pytest.skip("../shared is not beside the checkout")


@pytest.fixture(scope="session")
def real_model() -> str:
    """Folder of the real multilingual model: GLOSSARY_MODEL, else the default model once
    `glossary model fetch` has cached it; CI sets GLOSSARY_REQUIRE_MODEL=1."""
    from glossary.modelstore import cached_path, default_model_id

    path = os.environ.get("GLOSSARY_MODEL", "")
    if not path and cached_path(default_model_id()):
        path = str(cached_path(default_model_id()))
    if path and Path(path, "modules.json").is_file():
        return path
    message = (
        f"real model not available (GLOSSARY_MODEL={path!r}); run `.venv/bin/glossary model "
        "fetch` to cache it"
    )
    if _required("GLOSSARY_REQUIRE_MODEL"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def soffice() -> str:
    """Path of LibreOffice's soffice; CI sets GLOSSARY_REQUIRE_LIBREOFFICE=1."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe and Path("/usr/bin/python3").exists():
        return exe
    if _required("GLOSSARY_REQUIRE_LIBREOFFICE"):
        pytest.fail("LibreOffice (soffice) is required but not installed")
    pytest.skip("LibreOffice is not installed")


@pytest.fixture(scope="session")
def faiss():
    """The faiss module (the `scale` extra); CI sets GLOSSARY_REQUIRE_FAISS=1."""
    from glossary.alignment.neighbours import faiss_module

    found = faiss_module()
    if found is None:
        _missing("GLOSSARY_REQUIRE_FAISS", "faiss is not installed (pip install -e '.[scale]')")
    return found


def _missing(flag: str, message: str):
    if _required(flag):
        pytest.fail(message)
    pytest.skip(message)


OMEGAT_JAR = Path("/usr/share/omegat/OmegaT.jar")


@pytest.fixture(scope="session")
def omegat(tmp_path_factory):
    """Run OmegaT's own glossary readers headless: read(file, source, target) -> entries, each
    (source, target, comment). CI installs the Debian package and sets GLOSSARY_REQUIRE_OMEGAT=1."""
    import subprocess

    javac, java = shutil.which("javac"), shutil.which("java")
    if not (OMEGAT_JAR.is_file() and javac and java):
        _missing("GLOSSARY_REQUIRE_OMEGAT", "OmegaT (Debian package omegat) or a JDK is missing")
    work = tmp_path_factory.mktemp("omegat")
    helper = Path(__file__).parent / "clients" / "OmegaTGlossary.java"
    subprocess.run(
        [javac, "-d", str(work), "-cp", str(OMEGAT_JAR), str(helper)], check=True, timeout=120
    )
    (work / "home").mkdir()
    (work / "project").mkdir()

    def read(path: Path, source: str, target: str) -> list[tuple[str, str, str]]:
        result = subprocess.run(
            [java, f"-Duser.home={work / 'home'}", "-cp", f"{OMEGAT_JAR}:{work}",
             "OmegaTGlossary", str(path), source, target, str(work / "project")],
            capture_output=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
        lines = result.stdout.decode("utf-8").splitlines()
        unescape = {"\\\\": "\\", "\\t": "\t", "\\n": "\n"}
        return [
            tuple(re.sub(r"\\[\\tn]", lambda m: unescape[m.group()], f) for f in line.split("\t"))
            for line in lines
        ]

    return read


@pytest.fixture(scope="session")
def translate_toolkit():
    """translate-toolkit's TBX storage; CI installs it and sets GLOSSARY_REQUIRE_TRANSLATE_TOOLKIT=1."""
    try:
        from translate.storage import tbx
    except ImportError:
        _missing("GLOSSARY_REQUIRE_TRANSLATE_TOOLKIT", "translate-toolkit is not installed")
    return tbx


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> str:
    """Folder of a tiny offline sentence-transformers model built from the seeds (tinymodel.py)."""
    from tinymodel import tiny_model_folder

    return tiny_model_folder(tmp_path_factory)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a headless Chromium for the review page; CI sets GLOSSARY_REQUIRE_CHROMIUM=1."""
    from benchmarks.browser import find_chromium

    exe = find_chromium()
    if exe:
        return exe
    if _required("GLOSSARY_REQUIRE_CHROMIUM"):
        pytest.fail("Chromium is required but not installed (apt-get install chromium)")
    pytest.skip("Chromium is not installed")


@pytest.fixture(scope="session")
def dask_distributed():
    """dask.distributed, for the LocalCluster tests; CI installs `glossary[scale]` and sets
    GLOSSARY_REQUIRE_DASK=1."""
    try:
        import distributed
    except ImportError:
        _missing("GLOSSARY_REQUIRE_DASK", "dask[distributed] is not installed (glossary[scale])")
    return distributed
