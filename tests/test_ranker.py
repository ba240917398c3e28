"""The learned re-ranker's stored form: boosted trees as plain arrays give sklearn's answers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from glossary.alignment.ranking import FEATURES
from glossary.alignment.settings import AlignSettings, Ranker, default_settings


def test_exported_trees_predict_what_scikit_learn_predicts():
    sklearn = pytest.importorskip("sklearn")  # a test extra; the product needs only numpy
    del sklearn
    from sklearn.ensemble import HistGradientBoostingClassifier

    from benchmarks.calibrate import TREES, fit_ranker

    rng = np.random.default_rng(3)
    x = rng.normal(size=(600, len(FEATURES)))
    y = (x[:, 0] + 0.5 * x[:, 3] - x[:, 7] * x[:, 2] + rng.normal(size=600) > 0).astype(int)
    ranker = fit_ranker(x, y)
    model = HistGradientBoostingClassifier(**TREES, random_state=13).fit(x, y)
    mine = 1 / (1 + np.exp(-ranker.logit(x)))
    np.testing.assert_allclose(mine, model.predict_proba(x)[:, 1], atol=1e-5)


def test_settings_survive_a_round_trip_through_their_file(tmp_path):
    settings = default_settings()
    path = tmp_path / "settings.json"
    settings.save(path)
    again = AlignSettings.load(path)
    assert again == settings
    x = np.random.default_rng(1).normal(size=(20, len(FEATURES)))
    np.testing.assert_allclose(again.ranker.logit(x), settings.ranker.logit(x))


def test_shipped_settings_have_a_ranker_over_the_current_features():
    settings = default_settings()
    assert settings.ranker.active and settings.ranker.features == FEATURES
    assert settings.ranker_vi_only.active


def test_unknown_settings_keys_are_one_clear_error(tmp_path):
    from glossary.errors import UsageError

    data = json.loads(json.dumps(default_settings().to_dict()))
    data["surprise"] = 1
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(UsageError, match="surprise"):
        AlignSettings.load(path)


def test_a_linear_ranker_still_works():
    ranker = Ranker(features=("a", "b"), bias=1.0, weights={"a": 2.0, "b": -1.0})
    np.testing.assert_allclose(ranker.logit(np.array([[1.0, 1.0]])), [2.0])
