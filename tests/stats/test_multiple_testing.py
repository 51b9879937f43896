from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from radiocausal.errors import DataError
from radiocausal.stats import adjust_pvalues, estimate_pi0

SM = {"bonferroni": "bonferroni", "holm": "holm", "bh": "fdr_bh", "by": "fdr_by"}


@pytest.mark.parametrize("method", sorted(SM))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_statsmodels(method, seed):
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.uniform(size=300), rng.uniform(0, 1e-3, size=40), [0.0, 1.0, 0.5, 0.5]])
    rng.shuffle(p)
    expected = multipletests(p, method=SM[method])[1]
    np.testing.assert_allclose(adjust_pvalues(p, method=method), expected, rtol=1e-12, atol=0)


def test_statsmodels_alias_names_accepted():
    p = np.array([0.01, 0.2, 0.03])
    np.testing.assert_allclose(adjust_pvalues(p, "fdr_bh"), adjust_pvalues(p, "bh"))


def test_storey_is_pi0_times_bh_with_documented_estimator():
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.uniform(size=800), rng.beta(0.1, 5, size=200)])
    pi0 = np.mean(p > 0.5) / 0.5
    assert 0.7 < pi0 < 1.0
    assert estimate_pi0(p) == pytest.approx(pi0)
    q = adjust_pvalues(p, "storey")
    np.testing.assert_allclose(q, pi0 * multipletests(p, method="fdr_bh")[1], rtol=1e-12)
    assert np.all(q <= adjust_pvalues(p, "bh") + 1e-15)
    # a given pi0 overrides the estimate; pi0=1 gives BH back
    np.testing.assert_allclose(adjust_pvalues(p, "storey", pi0=1.0), adjust_pvalues(p, "bh"))
    # other lambda
    assert estimate_pi0(p, lambda_=0.8) == pytest.approx(min(1, np.mean(p > 0.8) / 0.2))


def test_nan_omitted_and_not_counted():
    p = np.array([0.01, np.nan, 0.04, 0.03, np.nan])
    out = adjust_pvalues(p, "bonferroni")
    assert np.isnan(out[[1, 4]]).all()
    np.testing.assert_allclose(out[[0, 2, 3]], [0.03, 0.12, 0.09])
    out_bh = adjust_pvalues(p, "bh")
    np.testing.assert_allclose(out_bh[[0, 2, 3]], multipletests([0.01, 0.04, 0.03], method="fdr_bh")[1])
    with pytest.raises(DataError, match="NaN"):
        adjust_pvalues(p, nan_policy="raise")


def test_shapes_series_and_all_nan():
    p2 = np.array([[0.01, 0.5], [0.2, 0.03]])
    out = adjust_pvalues(p2, "holm")
    assert out.shape == (2, 2)
    np.testing.assert_allclose(out.ravel(), multipletests(p2.ravel(), method="holm")[1])
    s = pd.Series([0.5, 0.01], index=["a", "b"], name="p")
    res = adjust_pvalues(s)
    assert isinstance(res, pd.Series) and list(res.index) == ["a", "b"] and res.name == "p"
    assert np.isnan(adjust_pvalues([np.nan, np.nan])).all()
    assert adjust_pvalues([]).shape == (0,)


@pytest.mark.parametrize("bad", [[0.1, 1.2], [-0.01]])
def test_out_of_range_rejected(bad):
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        adjust_pvalues(bad)


def test_bad_arguments():
    with pytest.raises(DataError, match="method must be one of"):
        adjust_pvalues([0.1], method="sidak-ish")
    with pytest.raises(DataError, match="pi0"):
        adjust_pvalues([0.1], method="storey", pi0=0.0)
    with pytest.raises(DataError, match="lambda_"):
        estimate_pi0([0.1], lambda_=1.0)
    with pytest.raises(DataError, match="numeric"):
        adjust_pvalues(["a", "b"])


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

P_ARRAYS = arrays(np.float64, st.integers(1, 60), elements=st.floats(0.0, 1.0, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(P_ARRAYS, st.sampled_from(["bonferroni", "holm", "bh", "by", "storey"]))
def test_adjusted_properties(p, method):
    q = adjust_pvalues(p, method)
    assert q.shape == p.shape
    assert np.all(q <= 1.0) and np.all(q >= 0.0)
    if method != "storey":  # q-values are pi0 * BH and may fall below p when pi0 < 1
        assert np.all(q >= p - 1e-15)  # never below the raw p-value
    order = np.argsort(p, kind="stable")
    assert np.all(np.diff(q[order]) >= -1e-15)  # monotone in p
    # ordering of the methods: Holm <= Bonferroni, BH <= BY, Storey <= BH, BH <= Holm
    if method == "bh":
        assert np.all(q <= adjust_pvalues(p, "holm") + 1e-15)
        assert np.all(q <= adjust_pvalues(p, "by") + 1e-15)
        assert np.all(adjust_pvalues(p, "storey") <= q + 1e-15)
    if method == "holm":
        assert np.all(q <= adjust_pvalues(p, "bonferroni") + 1e-15)
    # permutation equivariance
    perm = np.random.default_rng(0).permutation(p.size)
    np.testing.assert_allclose(adjust_pvalues(p[perm], method), q[perm], rtol=1e-12)
