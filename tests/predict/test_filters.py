"""Feature filters, alone and inside the cross-validation pipeline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from radiocausal.errors import DataError, ModelError
from radiocausal.predict import CorrelationFilter, StabilityFilter, cross_validate


def test_correlation_filter_keeps_first_of_each_redundant_group():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=100), rng.normal(size=100)
    X = pd.DataFrame({"a": a, "b": b, "a2": 2 * a + 0.05 * rng.normal(size=100), "const": 1.0,
                      "b_rank": np.exp(b)})
    pearson = CorrelationFilter(0.95).fit(X)
    assert pearson.get_feature_names_out().tolist() == ["a", "b", "b_rank"]
    assert pearson.dropped_for_ == {"a2": "a", "const": None}
    spearman = CorrelationFilter(0.95, method="spearman").fit(X)
    assert spearman.get_feature_names_out().tolist() == ["a", "b"]
    out = spearman.set_output(transform="pandas").transform(X)
    assert list(out.columns) == ["a", "b"]
    with pytest.raises(ModelError, match="threshold"):
        CorrelationFilter(1.5).fit(X)


def test_stability_filter_uses_external_reliability():
    X = pd.DataFrame(np.arange(12.0).reshape(4, 3), columns=["a", "b", "c"])
    f = StabilityFilter(pd.Series({"a": 0.9, "b": 0.5}), threshold=0.75).fit(X)
    assert f.get_feature_names_out().tolist() == ["a"] and f.unrated_ == ["c"]
    with pytest.raises(DataError, match="no feature"):
        StabilityFilter(pd.Series({"a": 0.1}), threshold=0.75).fit(X)
    with pytest.raises(DataError, match="DataFrame"):
        StabilityFilter(pd.Series({"a": 0.9})).fit(X.to_numpy())


def test_filters_run_inside_the_folds(simulate_cohort):
    X, y = simulate_cohort(n=60, p=6, n_signal=1, effect=2.0, seed=30)
    X["feat_000_dup"] = X["feat_000"] * 1.01
    icc = pd.Series(0.9, index=X.columns).drop("feat_005")
    res = cross_validate(X, y, model="ridge", n_repeats=1,
                         preprocessing=[StabilityFilter(icc), CorrelationFilter(0.95)])
    assert res.auc > 0.75
    assert res.selection_frequency.get("feat_000_dup", 0.0) == 0.0
    assert res.selection_frequency.get("feat_005", 0.0) == 0.0
    assert res.selection_frequency["feat_000"] == 1.0


def test_dag_names_covariates_and_site(simulate_cohort):
    from radiocausal.graph import CausalDAG
    from radiocausal.predict import dag_inputs

    X, y = simulate_cohort(n=60, p=5, n_signal=1, effect=2.0, seed=31)
    rng = np.random.default_rng(1)
    clinical = pd.DataFrame({"age": rng.normal(60, 8, 60), "scanner": np.repeat(["GE", "Philips"], 30),
                             "status": y.to_numpy()}, index=X.index)
    dag = CausalDAG.from_dagitty(
        "dag { scanner [batch] ; age [adjusted] ; status [adjusted] ; "
        "scanner -> texture ; age -> status ; status -> texture }")
    parts = dag_inputs(dag, clinical, target="status")
    assert list(parts["covariates"].columns) == ["age"]  # the target is never a covariate
    assert parts["sites"].equals(clinical["scanner"])
    res = cross_validate(X, y, model="ridge", n_repeats=1, harmonize=True, **parts)
    assert res.baseline is not None and res.auc > 0.7
    with pytest.raises(DataError, match="no column"):
        dag_inputs(dag, clinical.drop(columns=["age"]), target="status")
