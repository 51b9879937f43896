"""Every vectorised result agrees with statsmodels / scipy fitted one pair at a time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests

from radiocausal.stats import association_scan

COLS = ["feature", "gene", "estimate", "se", "statistic", "p_value", "q_value"]


def _pairs(res):
    return {(str(r.feature), str(r.gene)): r for r in res.itertuples()}


@pytest.mark.parametrize("with_cov", [False, True])
def test_linear_matches_statsmodels_ols(tables, with_cov):
    feats, gen, cov = tables(seed=1)
    res = association_scan(feats, gen, test="linear", covariates=cov if with_cov else None)
    assert list(res.columns[:7]) == COLS and res.attrs["n"] == len(feats)
    assert len(res) == feats.shape[1] * gen.shape[1]
    for (f, g), r in _pairs(res).items():
        parts = [feats[[f]]] + ([cov] if with_cov else [])
        exog = sm.add_constant(pd.concat(parts, axis=1))
        fit = sm.OLS(gen[g], exog).fit()
        np.testing.assert_allclose(
            [r.estimate, r.se, r.statistic, r.p_value],
            [fit.params[f], fit.bse[f], fit.tvalues[f], fit.pvalues[f]],
            rtol=1e-8,
        )
    np.testing.assert_allclose(res["q_value"], multipletests(res["p_value"], method="fdr_bh")[1], rtol=1e-12)


@pytest.mark.parametrize("with_cov", [False, True])
def test_logistic_matches_statsmodels_logit(tables, with_cov):
    feats, gen, cov = tables(n=150, seed=2, binary=True)
    res = association_scan(feats, gen, test="logistic", covariates=cov if with_cov else None)
    assert res["converged"].all() and not res["separated"].any()
    for (f, g), r in _pairs(res).items():
        parts = [feats[[f]]] + ([cov] if with_cov else [])
        exog = sm.add_constant(pd.concat(parts, axis=1))
        fit = sm.Logit(gen[g], exog).fit(disp=0, tol=1e-12, maxiter=100)
        np.testing.assert_allclose(
            [r.estimate, r.se, r.statistic, r.p_value],
            [fit.params[f], fit.bse[f], fit.tvalues[f], fit.pvalues[f]],
            rtol=1e-6,
        )


def test_spearman_matches_scipy(tables):
    feats, gen, _ = tables(seed=3)
    gen = gen.round(1)  # ties
    res = association_scan(feats, gen, test="spearman")
    for (f, g), r in _pairs(res).items():
        sr = stats.spearmanr(feats[f], gen[g])
        np.testing.assert_allclose([r.estimate, r.p_value], [sr.statistic, sr.pvalue], rtol=1e-9)
        n = len(feats)
        np.testing.assert_allclose(r.statistic, sr.statistic * np.sqrt((n - 2) / (1 - sr.statistic**2)), rtol=1e-9)


def test_partial_spearman_is_ols_on_ranks(tables):
    feats, gen, cov = tables(seed=4)
    res = association_scan(feats, gen, test="spearman", covariates=cov)
    rk = lambda d: d.rank()  # noqa: E731
    for (f, g), r in _pairs(res).items():
        exog = sm.add_constant(pd.concat([rk(feats[[f]]), rk(cov)], axis=1))
        fit = sm.OLS(rk(gen[g]), exog).fit()
        # the partial correlation's t-test is the OLS t-test of the ranked feature
        np.testing.assert_allclose([r.statistic, r.p_value], [fit.tvalues[f], fit.pvalues[f]], rtol=1e-8)
        rx = sm.OLS(rk(feats[f]), sm.add_constant(rk(cov))).fit().resid
        ry = sm.OLS(rk(gen[g]), sm.add_constant(rk(cov))).fit().resid
        np.testing.assert_allclose(r.estimate, np.corrcoef(rx, ry)[0, 1], rtol=1e-9)


def test_wilcoxon_matches_scipy_mannwhitneyu(tables):
    feats, gen, _ = tables(n=70, seed=5, binary=True)
    feats = feats.round(1)  # ties
    res = association_scan(feats, gen, test="wilcoxon")
    for (f, g), r in _pairs(res).items():
        x1, x0 = feats[f][gen[g] == 1], feats[f][gen[g] == 0]
        mw = stats.mannwhitneyu(x1, x0, method="asymptotic", use_continuity=True)
        np.testing.assert_allclose(r.p_value, mw.pvalue, rtol=1e-9)
        np.testing.assert_allclose(r.estimate, mw.statistic / (len(x1) * len(x0)), rtol=1e-12)


@pytest.mark.parametrize("test", ["linear", "spearman", "logistic"])
def test_chunking_does_not_change_results(tables, test):
    feats, gen, cov = tables(n=60, p=7, q=9, seed=6, binary=test == "logistic")
    big = association_scan(feats, gen, test=test, covariates=cov)
    small = association_scan(feats, gen, test=test, covariates=cov, max_chunk_mb=0.01)
    pd.testing.assert_frame_equal(big, small, rtol=1e-9)


def test_q_by_gene_and_feature(tables):
    feats, gen, _ = tables(seed=7)
    res = association_scan(feats, gen, q_by="gene", q_method="holm")
    for g, grp in res.groupby("gene", observed=True):
        np.testing.assert_allclose(grp["q_value"], multipletests(grp["p_value"], method="holm")[1])
    res = association_scan(feats, gen, q_by="feature")
    for f, grp in res.groupby("feature", observed=True):
        np.testing.assert_allclose(grp["q_value"], multipletests(grp["p_value"], method="fdr_bh")[1])
