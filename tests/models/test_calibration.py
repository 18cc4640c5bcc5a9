from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from workbench.models.calibration import Calibrator, anchor_shift


def _scores(n=20000, seed=0):
    rng = np.random.default_rng(seed)
    true_pd = 1 / (1 + np.exp(-(-4 + rng.normal(size=n))))
    y = (rng.random(n) < true_pd).astype(int)
    raw = np.clip(true_pd * 3, 0, 0.99)  # ranked right, level three times too high
    return raw, y, true_pd


def test_platt_fixes_the_level_and_keeps_the_ranking():
    raw, y, _ = _scores()
    cal = Calibrator("platt").fit(raw, y)
    pd_ = cal.transform(raw)
    assert abs(pd_.mean() - y.mean()) < 0.1 * y.mean()
    assert roc_auc_score(y, pd_) == pytest.approx(roc_auc_score(y, raw))


def test_isotonic_calibrates_in_sample_means_per_step():
    raw, y, _ = _scores()
    pd_ = Calibrator("isotonic").fit(raw, y).transform(raw)
    assert pd_.mean() == pytest.approx(y.mean(), rel=0.02)


def test_anchoring_hits_the_central_tendency_without_changing_the_ranking():
    raw, y, _ = _scores()
    cal = Calibrator("platt", central_tendency=0.04).fit(raw, y)
    pd_ = cal.transform(raw)
    assert pd_.mean() == pytest.approx(0.04, rel=1e-6)
    assert roc_auc_score(y, pd_) == pytest.approx(roc_auc_score(y, raw))
    assert anchor_shift(np.full(10, 0.02), 0.02) == pytest.approx(0.0, abs=1e-8)


def test_bad_method_and_single_class_are_rejected():
    with pytest.raises(ValueError, match="platt, isotonic or none"):
        Calibrator("magic").fit(np.array([0.1, 0.2]), np.array([0, 1]))
    with pytest.raises(ValueError, match="defaults and non-defaults"):
        Calibrator("platt").fit(np.array([0.1, 0.2]), np.array([0, 0]))
