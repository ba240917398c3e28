"""Shared fixtures. Tests that need the real model or LibreOffice fail (not skip) in CI."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
DATA = Path(__file__).resolve().parent / "data"


def _required(flag: str) -> bool:
    return os.environ.get(flag, "").strip() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside the checkout")
    return SHARED


@pytest.fixture(scope="session")
def real_model() -> str:
    """Folder of the real multilingual model (GLOSSARY_MODEL); CI sets GLOSSARY_REQUIRE_MODEL=1."""
    path = os.environ.get("GLOSSARY_MODEL", "")
    if path and Path(path, "modules.json").is_file():
        return path
    message = f"real model not available (GLOSSARY_MODEL={path!r}); run ../shared/tools/fetch-test-model"
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
