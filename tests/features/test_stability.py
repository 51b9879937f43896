from __future__ import annotations

import doctest
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import radiocausal.features.stability as stab
from radiocausal.errors import DataError
from radiocausal.features.stability import (
    ICC_FORMS,
    ccc,
    feature_icc,
    icc,
    repeatability_coefficient,
    stable_features,
    within_subject_cv,
)

SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
# Shrout & Fleiss (1979), Table 4: ICC(1,1), ICC(2,1), ICC(3,1), ICC(1,4), ICC(2,4), ICC(3,4)
PUBLISHED = [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]


def test_shrout_fleiss_worked_example():
    res = icc(SHROUT_FLEISS)
    assert list(res.index) == list(ICC_FORMS)
    np.testing.assert_allclose(res["icc"].to_numpy(), PUBLISHED, atol=0.005)


def _long(y):
    n, k = y.shape
    return pd.DataFrame({"subject": np.repeat(np.arange(n), k), "rater": np.tile(np.arange(k), n), "x": y.ravel()})


def _against_pingouin(y):
    pg = pytest.importorskip("pingouin")
    ref = pg.intraclass_corr(_long(y), targets="subject", raters="rater", ratings="x").set_index("Type")
    ours = icc(_long(y), "subject", "rater", "x")
    for form, alias in zip(ICC_FORMS, ICC_FORMS):  # pingouin >= 0.7 uses McGraw & Wong's names
        assert ours.loc[form, "icc"] == pytest.approx(ref.loc[alias, "ICC"], rel=1e-9, abs=1e-12)
        assert ours.loc[form, "F"] == pytest.approx(ref.loc[alias, "F"], rel=1e-9)
        assert ours.loc[form, "pval"] == pytest.approx(ref.loc[alias, "pval"], rel=1e-6, abs=1e-300)
        lo, hi = ref.loc[alias, "CI95"]  # pingouin rounds its intervals to 2 decimals
        assert ours.loc[form, "ci_low"] == pytest.approx(lo, abs=0.0051)
        assert ours.loc[form, "ci_high"] == pytest.approx(hi, abs=0.0051)


def test_matches_pingouin_on_shrout_fleiss():
    _against_pingouin(SHROUT_FLEISS.astype(float))


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(4, 15), st.integers(2, 5),
       st.floats(0.0, 3.0), st.floats(0.0, 2.0), st.floats(0.1, 2.0))
def test_matches_pingouin_on_random_tables(seed, n, k, subject_sd, rater_sd, noise_sd):
    rng = np.random.default_rng(seed)
    y = (rng.normal(0, subject_sd, (n, 1)) + rng.normal(0, rater_sd, (1, k))
         + rng.normal(0, noise_sd, (n, k)) + 50)
    _against_pingouin(y)


def test_input_checks():
    with pytest.raises(DataError, match="subjects x raters"):
        icc(np.ones((1, 3)))
    with pytest.raises(DataError, match="NaN"):
        icc([[1, 2], [np.nan, 1], [2, 3]])
    long = _long(SHROUT_FLEISS.astype(float)).iloc[1:]
    with pytest.raises(DataError, match="lack a 'x' value"):
        icc(long, "subject", "rater", "x")
    with pytest.raises(DataError, match="columns"):
        icc(long, "subject", "judge", "x")
    with pytest.raises(DataError, match=re.escape("form='ICC(4,1)'")):
        feature_icc(_long(SHROUT_FLEISS), "subject", "rater", form="ICC(4,1)")


def test_ccc():
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    assert ccc(x, x)["ccc"] == 1.0
    # shift c: rho_c = 2 var / (2 var + c^2)
    v = x.var()
    assert ccc(x, x + 0.5)["ccc"] == pytest.approx(2 * v / (2 * v + 0.25))
    y = x + rng.normal(scale=0.5, size=200)
    res = ccc(x, y)
    assert res["ci_low"] < res["ccc"] < res["ci_high"]
    # CCC equals the 1/n form of the absolute-agreement ICC's numerator/denominator
    sxy = np.mean((x - x.mean()) * (y - y.mean()))
    assert res["ccc"] == pytest.approx(2 * sxy / (x.var() + y.var() + (x.mean() - y.mean()) ** 2))
    with pytest.raises(DataError, match="equal length"):
        ccc([1, 2, 3], [1, 2])


def test_ccc_interval_covers_truth_in_simulation():
    rng = np.random.default_rng(1)
    # bivariate normal, corr 0.8, equal means/variances -> rho_c = 0.8
    cov = [[1, 0.8], [0.8, 1]]
    hits = 0
    for _ in range(200):
        xy = rng.multivariate_normal([0, 0], cov, size=60)
        r = ccc(xy[:, 0], xy[:, 1])
        hits += r["ci_low"] <= 0.8 <= r["ci_high"]
    assert 0.88 <= hits / 200 <= 0.99


def test_wcv_and_repeatability():
    y = np.array([[10.0, 12.0], [20.0, 22.0], [30.0, 29.0]])
    sw2 = np.mean(y.var(1, ddof=1))
    assert repeatability_coefficient(y) == pytest.approx(1.959964 * np.sqrt(2 * sw2), rel=1e-6)
    assert within_subject_cv(y) == pytest.approx(np.sqrt(np.mean(y.var(1, ddof=1) / y.mean(1) ** 2)))
    with pytest.raises(DataError, match="mean 0"):
        within_subject_cv([[1.0, -1.0], [2.0, 3.0]])


def test_feature_icc_and_filter():
    rng = np.random.default_rng(2)
    subj = rng.normal(size=30)
    t = pd.DataFrame({
        "pid": np.repeat(np.arange(30), 2),
        "session": np.tile([1, 2], 30),
        "stable": np.repeat(subj, 2) + rng.normal(scale=0.05, size=60),
        "noisy": rng.normal(size=60),
        "site": "A",
    })
    res = feature_icc(t, "pid", "session")
    assert list(res.index) == ["stable", "noisy"]
    assert res.loc["stable", "icc"] > 0.95 and res.loc["noisy", "icc"] < 0.5
    assert stable_features(res) == ["stable"] and stable_features(res, 0.99999) == []
    same = feature_icc(t, "pid", "session", ["stable"], form="ICC1")
    assert same.loc["stable", "icc"] == res.loc["stable", "icc"]


def test_docstring_examples():
    result = doctest.testmod(stab, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
