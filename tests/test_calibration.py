"""Confidence follows the model: shipped settings only for the model they were fitted with,
and `glossary calibrate` fitting a model's calibration from a reviewer's decisions."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from glossary import store
from glossary.alignment.settings import default_settings
from glossary.calibration import brier, calibrate, ece, settings_for
from glossary.errors import UsageError
from glossary.models import ConceptEntry, Glossary, TermEntry

FP = "0123456789abcdef"


def reviewed_workbook(path: Path, n: int = 120, seed: int = 3) -> Path:
    """A workbook whose machine is over-confident: a proposal at confidence c is right with
    probability c**2, as a reviewer's decisions show."""
    rng = np.random.default_rng(seed)
    concepts, terms = [], []
    for i in range(n):
        c = float(rng.uniform(0.3, 0.99))
        concepts.append(ConceptEntry(f"c{i}", vi=f"khái niệm {i}", status="approved"))
        status = "preferred" if rng.random() < c**2 else "rejected"
        terms.append(TermEntry(f"c{i}", "sv", f"term {i}", status=status, confidence=round(c, 3)))
    path.write_bytes(store.to_bytes(Glossary(concepts=concepts, terms=terms)))
    return path


def test_calibrate_fits_on_reviewed_rows_and_lowers_held_out_error(tmp_path):
    workbook = reviewed_workbook(tmp_path / "terms.xlsx")
    report = calibrate(workbook, "some/model", FP)
    held = report.calibration.held_out
    assert (
        report.held_out == pytest.approx(0.3 * 120, abs=2) and report.train + report.held_out == 120
    )
    assert held["ece_after"] < held["ece_before"] and held["brier_after"] < held["brier_before"]
    saved = json.loads((tmp_path / ".glossary" / "calibration" / f"{FP}.json").read_text())
    assert saved["model"] == "some/model" and saved["decisions"] == 120
    chosen = settings_for("some/model", FP, workbook)
    assert chosen.calibrated and "from 120 reviewed decisions" in chosen.note
    assert chosen.calibration.apply(0.6) < 0.5  # the over-confidence is taken out


def test_calibrate_states_the_minimum_it_needs(tmp_path):
    workbook = reviewed_workbook(tmp_path / "terms.xlsx", n=30)
    with pytest.raises(UsageError, match=r"has 30 reviewed rows .* at least 50"):
        calibrate(workbook, "some/model", FP)


def test_shipped_settings_are_calibrated_only_for_their_own_model(tmp_path):
    shipped = default_settings()
    assert shipped.model == "google/embeddinggemma-300m" and shipped.model_fingerprint
    own = settings_for(shipped.model, shipped.model_fingerprint, tmp_path / "terms.xlsx")
    assert own.calibrated and own.calibration is None
    other = settings_for("tiny-bert", FP, tmp_path / "terms.xlsx")
    assert not other.calibrated and other.note == "confidence is not calibrated for tiny-bert"


def test_calibration_error_measures():
    y = np.array([1, 0, 1, 0])
    assert ece(np.array([1.0, 0.0, 1.0, 0.0]), y) == 0 and brier(np.array([0.5] * 4), y) == 0.25


def run_cli(*args: str, cwd: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLOSSARY_")}
    env.update(OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", GLOSSARY_AUTO_FETCH="0")
    return subprocess.run([sys.executable, "-m", "glossary.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def test_a_model_without_calibration_says_so_until_the_reviewer_calibrates_it(
    tmp_path, tiny_model, seeds_dir
):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(seeds_dir / "000_f8ee477c81dbbf1d.txt", corpus)
    args = ("align", "corpus", "-g", "terms.xlsx", "--model", tiny_model, "--cache-dir", "cache")
    first = run_cli(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "confidence is not calibrated for tiny-bert" in first.stdout
    about = store.load(tmp_path / "terms.xlsx").about
    assert about["calibration"] == "confidence is not calibrated for tiny-bert"
    assert about["model"] == "tiny-bert" and tiny_model not in json.dumps(about)
    # the reviewer's decisions (here made up), in a workbook beside it
    reviewed_workbook(tmp_path / "reviewed.xlsx")
    fitted = run_cli("calibrate", "-g", "reviewed.xlsx", "--model", tiny_model, cwd=tmp_path)
    assert fitted.returncode == 0, fitted.stderr[-2000:]
    assert "calibration error (ECE): " in fitted.stdout and "Brier: " in fitted.stdout
    assert (tmp_path / ".glossary" / "calibration" / f"{about['model_fingerprint']}.json").is_file()
    again = run_cli(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "confidence calibrated for tiny-bert from 120 reviewed decisions" in again.stdout


def test_calibrate_with_too_few_decisions_is_one_line_that_says_what_it_needs(tmp_path, tiny_model):
    reviewed_workbook(tmp_path / "terms.xlsx", n=20)
    proc = run_cli("calibrate", "-g", "terms.xlsx", "--model", tiny_model, cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "at least 50" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
