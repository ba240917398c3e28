"""Every tuned number of the alignment, in one frozen record read from one versioned file.

The numbers live in glossary/data/align_settings.json; `python -m benchmarks calibrate` refits
the fitted ones by cross-validation over the development concepts and rewrites that file.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cache
from pathlib import Path

import numpy as np

from glossary.errors import UsageError

SETTINGS_FILE = Path(__file__).resolve().parent.parent / "data" / "align_settings.json"
SETTINGS_VERSION = 2


def sigmoid(x: float) -> float:
    """The logistic function, safe for large |x|."""
    if x < -60:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


@dataclass(frozen=True)
class Calibration:
    """Maps a proposal's evidence to the probability that it is right (logistic)."""

    bias: float
    score: float
    margin: float
    consistency: float

    def confidence(self, score: float, margin: float, consistency: float) -> float:
        z = self.bias + self.score * score + self.margin * margin + self.consistency * consistency
        return sigmoid(z)


@dataclass(frozen=True)
class Tree:
    """One regression tree of a boosted ensemble, as parallel node arrays (root is node 0)."""

    feature: list[int]
    threshold: list[float]
    left: list[int]
    right: list[int]
    value: list[float]
    leaf: list[bool]
    missing_left: list[bool]

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The tree's value for every row of x."""
        feature, threshold = np.array(self.feature), np.array(self.threshold)
        left, right, leaf = np.array(self.left), np.array(self.right), np.array(self.leaf)
        missing_left = np.array(self.missing_left)
        node = np.zeros(len(x), dtype=int)
        active = ~leaf[node]
        while active.any():
            rows = np.flatnonzero(active)
            here = node[rows]
            values = x[rows, feature[here]]
            go_left = np.where(np.isnan(values), missing_left[here], values <= threshold[here])
            node[rows] = np.where(go_left, left[here], right[here])
            active[rows] = ~leaf[node[rows]]
        return np.array(self.value)[node]


@dataclass(frozen=True)
class Ranker:
    """The probability that a shortlisted candidate renders its concept: a boosted tree
    ensemble over named features (or a linear model where only weights are given)."""

    features: tuple[str, ...] = ()
    bias: float = 0.0
    weights: dict[str, float] = field(default_factory=dict)
    trees: tuple[Tree, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.weights or self.trees)

    def logit(self, x: np.ndarray) -> np.ndarray:
        """Log-odds for rows of x, whose columns are `features` in order."""
        z = np.full(len(x), self.bias, dtype=float)
        if self.weights:
            z += x @ np.array([self.weights.get(name, 0.0) for name in self.features])
        for tree in self.trees:
            z += tree.predict(x)
        return z

    @classmethod
    def from_dict(cls, data: dict) -> Ranker:
        trees = tuple(Tree(**t) for t in data.get("trees", ()))
        return cls(
            tuple(data.get("features", ())), data.get("bias", 0.0), data.get("weights", {}), trees
        )


@dataclass(frozen=True)
class AlignSettings:
    """The alignment's constants: similarity, span and shape priors, floors, discovery."""

    # hubness correction and candidate scoring
    csls_k: int
    length_penalty: float  # per unit of |log(term length / expected length)|, in characters
    vi_length_ratio: float  # Vietnamese terms are shorter in characters than their renderings
    nest_epsilon: float  # a shorter, independently used sub-term wins when this close
    cognate_bonus: float
    cognate_floor: float  # fuzzy similarity to the gloss below which a term is no cognate
    cognate_top: int  # how many top candidates per concept get the cognate test
    edge_penalty: float  # per function word opening or closing a term
    conj_penalty: float  # a coordination for a concept that is not one
    kind_bonus: float
    anchor_bonus: float  # a shared document code or abbreviation: near proof
    kind_fit: dict[str, dict[str, int]]  # concept kind -> candidate kind -> +1 / -1
    # floors: a proposal is shown while its confidence reaches these
    min_confidence: float
    min_confidence_vi_only: float
    calibration: Calibration
    # discovery of new concepts
    discovery_k: int
    discovery_threshold: float  # CSLS of a nearest-neighbour link between two languages
    discovery_slope: float  # link strength -> confidence: sigmoid(slope * (s - threshold) - offset)
    discovery_offset: float
    new_concept_confidence: float  # beside a concept list, what a new concept needs
    new_concept_min_langs: int
    new_concept_min_link: float  # beside a concept list, the weakest link a new concept may have
    new_concept_length_ratio: float  # its longest term at most this many times its shortest
    new_concept_share: float  # beside a concept list, new-concept rows at most this share of all
    new_concept_rows_floor: int  # ... unless they are this few (small runs)
    common_word_specificity: float  # wordfreq specificity below this: an everyday word
    discovery_min_score: float  # termhood floor for a candidate to take part
    # a safety limit on discovery's candidates per language (the best by termhood); without
    # faiss, neighbours_exact_max is the limit, since exact all-pairs search is quadratic
    discovery_max_per_lang: int
    # Beside a concept list, the share of new-concept rows that are real terms even when their
    # link is right; a new-concept row's confidence is its link confidence times this.
    new_concept_prior: float = 1.0
    # nearest neighbours (glossary/alignment/neighbours.py): searches up to this many squared
    # pairs are exact; larger ones use faiss's inverted-file index, each query scanning nprobe
    # of its 4 sqrt(n) lists
    neighbours_exact_max: int = 6000
    neighbours_nprobe: int = 32
    # the learned re-ranker (empty: the hand-weighted score decides)
    rank_k: int = 15  # shortlisted candidates per concept and language
    ranker: Ranker = field(default_factory=Ranker)
    ranker_vi_only: Ranker = field(default_factory=Ranker)
    version: int = SETTINGS_VERSION
    fitted_on: str = ""  # how the fitted numbers were chosen
    # the model they were fitted with (its id and glossary.modelstore fingerprint): with any
    # other model the confidence they give is not calibrated
    model: str = ""
    model_fingerprint: str = ""

    def floor(self, has_gloss: bool) -> float:
        """The default confidence floor for a concept with or without an English gloss."""
        return self.min_confidence if has_gloss else self.min_confidence_vi_only

    def with_changes(self, **changes) -> AlignSettings:
        """A copy with some values changed (for experiments and calibration)."""
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return asdict(self)

    def save(self, path: str | Path) -> None:
        """Write the settings file (the calibration's output)."""
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False, sort_keys=False)
        Path(path).write_text(text + "\n", encoding="utf-8")

    @classmethod
    def from_dict(cls, data: dict) -> AlignSettings:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        missing = sorted(f.name for f in fields(cls) if f.name not in data and _required(f))
        if unknown or missing:
            raise UsageError(
                f"align settings: unknown {unknown} / missing {missing} (version {data.get('version')})"
            )
        values = dict(data)
        values["calibration"] = Calibration(**data["calibration"])
        for name in ("ranker", "ranker_vi_only"):
            if name in data:
                values[name] = Ranker.from_dict(data[name])
        return cls(**values)

    @classmethod
    def load(cls, path: str | Path | None = None) -> AlignSettings:
        """Settings from a file; the shipped ones by default."""
        if path is None:
            return default_settings()
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read align settings {path}: {exc}") from None
        return cls.from_dict(data)


def _required(f) -> bool:
    from dataclasses import MISSING

    return f.default is MISSING and f.default_factory is MISSING


@cache
def default_settings() -> AlignSettings:
    """The shipped settings (read once per process)."""
    return AlignSettings.from_dict(json.loads(SETTINGS_FILE.read_text(encoding="utf-8")))
