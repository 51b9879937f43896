"""The regularised-horseshoe model inside the same nested CV (PyMC sampling: slow)."""

from __future__ import annotations

import numpy as np
import pytest

from radiocausal.predict import cross_validate

pytestmark = pytest.mark.slow

FAST = {"draws": 150, "tune": 150, "chains": 2, "target_accept": 0.9}


def test_horseshoe_recovers_sparse_signal(simulate_cohort):
    X, y = simulate_cohort(n=60, p=8, n_signal=1, effect=3.0, seed=21)
    res = cross_validate(X, y, model="bayesian_horseshoe", n_splits=3, n_repeats=1, model_options=FAST)
    assert res.model == "bayesian_horseshoe"
    assert res.auc > 0.8
    assert res.predictions.between(0, 1).all() and res.predictions.index.equals(X.index)
    # the true feature's credible interval excludes 0 in every fold; most noise features' do not
    assert res.selection_frequency["feat_000"] == 1.0
    assert res.selection_frequency.drop("feat_000").mean() < 0.3
    assert np.isfinite(res.calibration_slope)
