"""ComBat: site shifts removed, biology preserved, fitted on training data only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from radiocausal.errors import DataError, ModelError
from radiocausal.harmonize import ComBat, combat, site_separability
from radiocausal.predict import cross_validate


def _grade_effect_within_sites(F: pd.DataFrame, sites: pd.Series, grade: pd.Series) -> float:
    """Mean over the 5 biological features of the grade coefficient, adjusting for site."""
    codes = np.unique(sites, return_inverse=True)[1]
    D = np.column_stack([np.eye(codes.max() + 1)[codes], grade.to_numpy()])
    return float(np.linalg.lstsq(D, F.iloc[:, :5].to_numpy(), rcond=None)[0][-1].mean())


def test_site_predictability_drops_to_chance_and_biology_is_preserved(site_cohort):
    X, sites, cov = site_cohort(seed=0)
    sep = site_separability(X, sites, cov)
    assert sep.chance == pytest.approx(1 / 3)
    assert sep.raw > 0.85
    assert sep.harmonized < sep.chance + 0.1
    harmonized = combat(X, sites, cov)
    assert harmonized.index.equals(X.index) and list(harmonized.columns) == list(X.columns)
    # the simulated grade effect (1.0) survives harmonisation when grade is preserved ...
    kept = _grade_effect_within_sites(harmonized, sites, cov["grade"])
    assert kept == pytest.approx(1.0, abs=0.1)
    # ... and is distorted when the site-imbalanced covariate is not named
    naive = _grade_effect_within_sites(combat(X, sites), sites, cov["grade"])
    assert abs(naive - 1.0) > abs(kept - 1.0) + 0.05
    # site location differences in the noise features are gone
    site_means = harmonized.iloc[:, 5:].groupby(sites.to_numpy()).mean()
    assert (site_means.max() - site_means.min()).max() < 0.5
    raw_means = X.iloc[:, 5:].groupby(sites.to_numpy()).mean()
    assert (raw_means.max() - raw_means.min()).max() > 1.0


def test_location_scale_without_empirical_bayes_is_exact(site_cohort):
    X, sites, cov = site_cohort(seed=1, p=6)
    frame = X.assign(site=sites, grade=cov["grade"])
    model = ComBat(site_column="site", covariates=["grade"], empirical_bayes=False).fit(frame)
    H = model.transform(frame)[list(X.columns)]
    pd.testing.assert_frame_equal(H, combat(X, sites, cov, empirical_bayes=False))
    # standardised residuals (covariate effect kept aside) have mean 0 and variance 1 in every site
    biology = model.grand_mean_ + cov[["grade"]].to_numpy() @ model.beta_
    z = pd.DataFrame((H.to_numpy() - biology) / np.sqrt(model.var_pooled_), index=H.index)
    np.testing.assert_allclose(z.groupby(sites.to_numpy()).mean().to_numpy(), 0.0, atol=1e-10)
    np.testing.assert_allclose(z.groupby(sites.to_numpy()).var(ddof=1).to_numpy(), 1.0, rtol=1e-10)
    # the covariate effect is the within-site least-squares slope
    codes = np.unique(sites, return_inverse=True)[1]
    design = np.column_stack([np.eye(3)[codes], cov["grade"]])
    slope = np.linalg.lstsq(design, X["f00"].to_numpy(), rcond=None)[0][-1]
    assert model.beta_[0, 0] == pytest.approx(slope, rel=1e-8)


def test_empirical_bayes_shrinks_towards_feature_mean(site_cohort):
    X, sites, cov = site_cohort(seed=2, n_per_site=8)
    frame = X.assign(site=sites, grade=cov["grade"])
    model = ComBat(site_column="site", covariates=["grade"]).fit(frame)
    gamma_bar = model.gamma_hat_.mean(axis=1).to_numpy()[:, None]
    hat, star = model.gamma_hat_.to_numpy(), model.gamma_.to_numpy()
    assert np.all(np.abs(star - gamma_bar) <= np.abs(hat - gamma_bar) + 1e-12)
    assert np.abs(star - hat).max() > 1e-3  # with 8 patients per site the shrinkage is visible


def test_transform_uses_fitted_estimates_only(site_cohort):
    X, sites, cov = site_cohort(seed=3)
    frame = X.assign(site=sites, grade=cov["grade"])
    train, test = frame.iloc[::2], frame.iloc[1::2]
    model = ComBat(site_column="site", covariates=["grade"]).fit(train)
    # a patient's harmonised values do not depend on the other test patients
    whole = model.transform(test)
    one = model.transform(test.iloc[[3]])
    pd.testing.assert_frame_equal(one, whole.iloc[[3]])
    assert "site" not in whole.columns and "grade" in whole.columns
    pd.testing.assert_series_equal(whole["grade"], test["grade"])
    refit = ComBat(site_column="site", covariates=["grade"]).fit(frame)
    assert not np.allclose(refit.gamma_.to_numpy(), model.gamma_.to_numpy())
    with pytest.raises(DataError, match="siteZ"):
        model.transform(test.assign(site="siteZ"))
    assert clone(model).get_params() == model.get_params()


def test_errors(site_cohort):
    X, sites, cov = site_cohort(seed=4, p=4)
    frame = X.assign(site=sites, grade=cov["grade"])
    with pytest.raises(DataError, match="at least 2 sites"):
        ComBat(site_column="site").fit(frame.assign(site="one"))
    with pytest.raises(DataError, match="collinear"):
        ComBat(site_column="site", covariates=["scanner_dose"]).fit(
            frame.assign(scanner_dose=frame["site"].map({"siteA": 1.0, "siteB": 2.0, "siteC": 3.0})))
    with pytest.raises(DataError, match="missing"):
        ComBat(site_column="scanner").fit(frame)
    with pytest.raises(ModelError, match="empirical_bayes"):
        ComBat(site_column="site", features=["f00"]).fit(frame)
    with pytest.raises(DataError, match="DataFrame"):
        ComBat().fit(X.to_numpy())


def test_harmonisation_inside_cross_validation(site_cohort):
    """Site shifts that hide the signal are removed inside the folds and the AUC recovers."""
    X, sites, cov = site_cohort(seed=5, p=10, grade_effect=0.0)
    rng = np.random.default_rng(0)
    y = pd.Series((X["f00"] - X.groupby(sites)["f00"].transform("mean") + 0.5 * rng.normal(size=len(X)) > 0)
                  .astype(int), index=X.index)
    X["f00"] += sites.map({"siteA": 0.0, "siteB": 6.0, "siteC": -6.0}) * (1 + rng.normal(size=len(X)) * 0.1)
    X["f00"] += sites.map({"siteA": 0.0, "siteB": 6.0, "siteC": -6.0})  # strong site offsets on the signal feature
    raw = cross_validate(X, y, model="ridge", n_repeats=1)
    harmonized = cross_validate(X, y, model="ridge", n_repeats=1, sites=sites, harmonize=True)
    assert harmonized.auc > raw.auc + 0.1
    assert harmonized.auc > 0.8
    with pytest.raises(ModelError, match="leave_site_out"):
        cross_validate(X, y, sites=sites, harmonize=True, leave_site_out=True)
    with pytest.raises(DataError, match="harmonize_covariates"):
        cross_validate(X, y, sites=sites, harmonize=True, harmonize_covariates=["grade"])
    ok = cross_validate(X, y, model="ridge", n_repeats=1, covariates=cov, sites=sites, harmonize=True,
                        harmonize_covariates=["grade"])
    assert ok.baseline is not None and np.isfinite(ok.auc)
