"""Ordinal (proportional-odds) scans agree with statsmodels' OrderedModel fitted pair by pair."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from statsmodels.miscmodels.ordinal_model import OrderedModel

from radiocausal.errors import DataError
from radiocausal.genomics import copy_number_categories
from radiocausal.stats import association_scan


def _ordinal_tables(n=150, p=3, q=4, seed=0):
    rng = np.random.default_rng(seed)
    ids = [f"P{i}" for i in range(n)]
    cov = pd.DataFrame({"age": rng.normal(size=n), "purity": rng.uniform(size=n)}, index=ids)
    feats = pd.DataFrame(rng.normal(size=(n, p)), index=ids, columns=[f"f{i}" for i in range(p)])
    latent = 0.7 * feats.to_numpy() @ rng.normal(size=(p, q)) + 0.5 * cov[["age"]].to_numpy() + rng.logistic(size=(n, q))
    log2 = pd.DataFrame(latent * 0.5, index=ids, columns=[f"g{j}" for j in range(q)])
    return feats, copy_number_categories(log2), cov


@pytest.mark.parametrize("with_cov", [False, True])
def test_ordinal_matches_statsmodels_orderedmodel(with_cov):
    feats, states, cov = _ordinal_tables()
    res = association_scan(feats, states, test="ordinal", covariates=cov if with_cov else None)
    assert res["converged"].all()
    codes = states.apply(lambda c: c.cat.codes)
    for r in res.itertuples():
        f, g = str(r.feature), str(r.gene)
        exog = pd.concat([feats[[f]], cov], axis=1) if with_cov else feats[[f]]
        y = codes[g]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = OrderedModel(y.to_numpy(), exog, distr="logit").fit(method="bfgs", disp=0, maxiter=2000, gtol=1e-10)
        np.testing.assert_allclose(
            [r.estimate, r.se, r.statistic, r.p_value],
            [fit.params[f], fit.bse[f], fit.tvalues[f], fit.pvalues[f]],
            rtol=2e-5,
        )


def test_ordinal_skips_unobserved_levels_and_rejects_continuous():
    feats, states, _ = _ordinal_tables(seed=1)
    codes = states.apply(lambda c: c.cat.codes).astype(float) * 10  # levels 0, 10, 20, ... only order matters
    a = association_scan(feats, states, test="ordinal")
    b = association_scan(feats, codes, test="ordinal")
    np.testing.assert_allclose(a["p_value"], b["p_value"], rtol=1e-9)
    with pytest.raises(DataError, match="at most 20"):
        association_scan(feats, feats.rename(columns=lambda c: "x" + c), test="ordinal")
