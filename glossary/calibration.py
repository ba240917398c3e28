"""Confidence that follows the model: the settings and calibration for a model fingerprint,
and `glossary calibrate`, which fits a calibration from a workbook's reviewed rows."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from glossary.alignment.settings import AlignSettings, default_settings
from glossary.errors import UsageError

MIN_DECISIONS = 50  # reviewed rows with a machine confidence, at least
MIN_EACH = 10  # of them right (preferred, admitted) and wrong (rejected), each at least
HOLDOUT = 0.3  # share of the decisions kept out of the fit to measure it
SEED = 13
RIGHT, WRONG = ("preferred", "admitted"), ("rejected",)
EPS = 1e-4


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))


@dataclass(frozen=True)
class ModelCalibration:
    """A logistic re-mapping of a model's confidence (Platt scaling on its log-odds)."""

    model: str
    fingerprint: str
    slope: float = 1.0
    intercept: float = 0.0
    decisions: int = 0
    fitted_at: str = ""
    fitted_on: str = ""
    held_out: dict = field(default_factory=dict)  # before/after ECE and Brier, held-out rows
    settings: dict = field(default_factory=dict)  # tuned align settings for this model, if any

    def apply(self, confidence: float) -> float:
        """The calibrated confidence."""
        z = self.slope * float(_logit(np.array([confidence]))[0]) + self.intercept
        return round(float(_sigmoid(np.array([z]))[0]), 4)


def calibration_dir(workbook: str | Path) -> Path:
    """Where a workbook's calibrations live: .glossary/calibration/ beside it."""
    return Path(workbook).resolve().parent / ".glossary" / "calibration"


def load_calibration(fingerprint: str, workbook: str | Path) -> ModelCalibration | None:
    """The calibration fitted for a model fingerprint beside this workbook, if any."""
    path = calibration_dir(workbook) / f"{fingerprint}.json"
    if not fingerprint or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ModelCalibration(**data)
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(f"cannot read the calibration {path}: {exc}; delete it or run "
                         "`glossary calibrate` again") from None  # fmt: skip


@dataclass(frozen=True)
class ModelSettings:
    """The settings to align with for one model, and whether its confidence is calibrated."""

    settings: AlignSettings
    calibration: ModelCalibration | None
    calibrated: bool
    note: str  # one line for the summary and the About sheet


def settings_for(model: str, fingerprint: str, workbook: str | Path) -> ModelSettings:
    """Settings and calibration for a model: a calibration fitted beside the workbook first,
    then the shipped settings where they were fitted with this very model, else uncalibrated."""
    shipped = default_settings()
    own = load_calibration(fingerprint, workbook)
    if own is not None:
        settings = AlignSettings.from_dict(own.settings) if own.settings else shipped
        note = (f"confidence calibrated for {model} from {own.decisions} reviewed decisions "
                f"({own.fitted_at[:10]})")  # fmt: skip
        return ModelSettings(settings, own, True, note)
    if fingerprint and fingerprint == shipped.model_fingerprint:
        return ModelSettings(shipped, None, True, f"confidence calibrated for {model}")
    return ModelSettings(shipped, None, False, f"confidence is not calibrated for {model}")


# ---------------------------------------------------------------- measuring and fitting
def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: the mean |confidence - share right| over equal-width bins."""
    p, y = np.asarray(p, float), np.asarray(y, float)
    index = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        here = index == b
        if here.any():
            total += here.sum() * abs(p[here].mean() - y[here].mean())
    return float(total / max(len(p), 1))


def brier(p: np.ndarray, y: np.ndarray) -> float:
    """The mean squared error of the confidence against right (1) / wrong (0)."""
    return float(np.mean((np.asarray(p, float) - np.asarray(y, float)) ** 2))


def fit_platt(p: np.ndarray, y: np.ndarray, l2: float = 1e-3) -> tuple[float, float]:
    """Slope and intercept of a logistic fit of y on logit(p) (Newton's method, lightly damped)."""
    x = _logit(np.asarray(p, float))
    y = np.asarray(y, float)
    w = np.array([1.0, 0.0])
    design = np.column_stack([x, np.ones_like(x)])
    for _ in range(50):
        q = _sigmoid(design @ w)
        grad = design.T @ (q - y) + l2 * w
        hess = design.T @ (design * (q * (1 - q))[:, None]) + l2 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return float(w[0]), float(w[1])


def decisions(glossary) -> tuple[np.ndarray, np.ndarray]:
    """(confidence, right) of the reviewed rows that carry a machine confidence."""
    conf, right = [], []
    for t in glossary.terms:
        if t.confidence is None or t.status not in RIGHT + WRONG:
            continue
        conf.append(float(t.confidence))
        right.append(1.0 if t.status in RIGHT else 0.0)
    return np.array(conf), np.array(right)


@dataclass(frozen=True)
class CalibrationReport:
    """What `glossary calibrate` did: the fit, its held-out figures and where it was saved."""

    calibration: ModelCalibration
    path: Path
    train: int
    held_out: int

    def to_dict(self) -> dict:
        return {**asdict(self.calibration), "path": str(self.path), "train": self.train,
                "held_out_rows": self.held_out}  # fmt: skip


def calibrate(
    workbook: str | Path,
    model: str,
    fingerprint: str,
    *,
    min_decisions: int = MIN_DECISIONS,
    seed: int = SEED,
    save: bool = True,
) -> CalibrationReport:
    """Fit the confidence calibration for a model from a workbook's reviewed rows (preferred
    and admitted right, rejected wrong), measure it on 30% held out, save it beside the workbook."""
    from glossary import store

    glossary = store.load(workbook)
    p, y = decisions(glossary)
    n_right, n_wrong = int(y.sum()), int(len(y) - y.sum())
    each = max(MIN_EACH, min_decisions // 5)
    if len(y) < min_decisions or min(n_right, n_wrong) < each:
        raise UsageError(
            f"{workbook} has {len(y)} reviewed rows with a confidence ({n_right} preferred or "
            f"admitted, {n_wrong} rejected); calibrating needs at least {min_decisions}, with at "
            f"least {each} of each. Review more proposals, then run it again."
        )
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for label in (0.0, 1.0):  # stratified: both kinds in both parts
        rows = np.flatnonzero(y == label)
        rng.shuffle(rows)
        test[rows[: max(1, round(HOLDOUT * len(rows)))]] = True
    slope, intercept = fit_platt(p[~test], y[~test])
    previous = load_calibration(fingerprint, workbook)
    after = _sigmoid(slope * _logit(p[test]) + intercept)
    held = {
        "ece_before": round(ece(p[test], y[test]), 4),
        "ece_after": round(ece(after, y[test]), 4),
        "brier_before": round(brier(p[test], y[test]), 4),
        "brier_after": round(brier(after, y[test]), 4),
    }
    if previous is not None:  # the workbook shows confidences already re-mapped: compose
        slope, intercept = slope * previous.slope, slope * previous.intercept + intercept
    result = ModelCalibration(
        model=model,
        fingerprint=fingerprint,
        slope=round(slope, 6),
        intercept=round(intercept, 6),
        decisions=len(y),
        fitted_at=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        fitted_on=f"{Path(workbook).name}: {n_right} right, {n_wrong} wrong; "
        f"{int(test.sum())} held out (seed {seed})",
        held_out=held,
        settings=previous.settings if previous else {},
    )
    path = calibration_dir(workbook) / f"{fingerprint}.json"
    if save:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(result), indent=2) + "\n", encoding="utf-8")
    return CalibrationReport(result, path, int((~test).sum()), int(test.sum()))


def model_of_workbook(glossary) -> tuple[str, str]:
    """(model, fingerprint) the workbook's About sheet says made its proposals, or ("", "")."""
    about = glossary.about or {}
    if not about.get("model_fingerprint"):  # made before fingerprints: the current model
        return "", ""
    label, _, _ = str(about.get("model_id", "")).rpartition("@")
    return label or about.get("model", ""), about["model_fingerprint"]


def current_model(model: str | None = None) -> tuple[str, str]:
    """(id, fingerprint) of the model align would use now, without fetching it."""
    from glossary import modelstore
    from glossary.embed import model_identity, resolve_model

    name = resolve_model(model)
    known = modelstore.known_model(name)
    if known and known.fingerprint and not modelstore.cached_path(name):
        return name, known.fingerprint
    label, _, fingerprint = model_identity(modelstore.local_model(name)).rpartition("@")
    if not fingerprint:
        raise UsageError(f"cannot calibrate {name}: calibration is kept per model fingerprint, "
                         "which needs a local model folder (--model PATH) or a fetched model")  # fmt: skip
    return label, fingerprint
