"""Count and ordinal (copy-number) views of the latent factor model (binomial, negative binomial)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from radiocausal.errors import DataError, ModelError
from radiocausal.models._factors_likelihoods import prepare_logistic_view, r2_feature_weights
from radiocausal.models._factors_simulate import simulate_factor_data
from radiocausal.models.factors import LatentFactorModel, align_factors


def _small_counts(seed: int = 0):
    """50 patients, one Gaussian view, copy-number levels 0..4 and overdispersed counts."""
    rng = np.random.default_rng(seed)
    ids = pd.Index([f"p{i}" for i in range(60)], name="patient")
    z = rng.normal(size=(60, 1))
    gauss = pd.DataFrame(z @ rng.normal(size=(1, 10)) + 0.5 * rng.normal(size=(60, 10)), index=ids)
    cn = pd.DataFrame(rng.binomial(4, 1 / (1 + np.exp(-(z @ rng.normal(0, 1, (1, 12)))))).astype(float), index=ids)
    cn.columns = [f"cn{j}" for j in range(12)]
    mean = np.exp(3 + 0.5 * z @ rng.normal(size=(1, 15)))
    counts = pd.DataFrame(rng.negative_binomial(5, 5 / (5 + mean)).astype(float), index=ids)
    counts.columns = [f"g{j}" for j in range(15)]
    return z, {"a": gauss, "cn": cn, "counts": counts}


LIKS = {"a": "gaussian", "cn": "binomial", "counts": "negbinomial"}


def test_small_count_and_copy_number_fit_recovers_the_factor():
    z, views = _small_counts()
    model = LatentFactorModel(n_factors=3, likelihoods=LIKS, n_bootstrap=5).fit(views, random_seed=0)
    _, _, r = align_factors(model.factor_scores(), z)
    assert r[0] > 0.95, r
    ve = model.variance_explained()
    assert list(ve.columns) == ["a", "cn", "counts"]
    assert (ve.iloc[0] > 0.05).all(), ve  # the shared factor explains every view on the data scale
    # ELBO (with the bound of the logistic-family views) never decreases between prunings
    for seg in np.split(model.elbo_, np.flatnonzero(np.isnan(model.elbo_))):
        seg = seg[np.isfinite(seg)]
        assert np.all(np.diff(seg) >= -1e-8 * np.abs(seg[:-1]))
    # new patients with only copy number or only counts are projected
    s_cn = model.transform({"cn": views["cn"].iloc[:30]})
    s_counts = model.transform({"counts": views["counts"].iloc[:30]})
    assert abs(np.corrcoef(s_cn.iloc[:, 0], z[:30, 0])[0, 1]) > 0.8
    assert abs(np.corrcoef(s_counts.iloc[:, 0], z[:30, 0])[0, 1]) > 0.8


def test_binomial_with_one_trial_is_the_bernoulli_model():
    rng = np.random.default_rng(4)
    z = rng.normal(size=(40, 1))
    ids = [f"p{i}" for i in range(40)]
    a = pd.DataFrame(z @ rng.normal(size=(1, 6)) + 0.3 * rng.normal(size=(40, 6)), index=ids)
    b = pd.DataFrame((rng.random((40, 8)) < 1 / (1 + np.exp(-2 * z))).astype(float), index=ids)
    fits = [
        LatentFactorModel(2, {"a": "gaussian", "b": lik}, n_bootstrap=0, n_trials={"b": 1}).fit({"a": a, "b": b}, random_seed=0)
        for lik in ("bernoulli", "binomial")
    ]
    np.testing.assert_allclose(fits[0].elbo_, fits[1].elbo_, rtol=1e-10)
    pd.testing.assert_frame_equal(fits[0].factor_scores(), fits[1].factor_scores())


def test_count_views_are_validated():
    _, views = _small_counts()
    bad = dict(views)
    bad["counts"] = views["counts"].copy()
    bad["counts"].iloc[0, 0] = -1.0
    with pytest.raises(DataError, match="non-negative integers"):
        LatentFactorModel(2, LIKS).fit(bad, random_seed=0)
    bad["counts"].iloc[0, 0] = 2.5
    with pytest.raises(DataError, match="non-negative integers"):
        LatentFactorModel(2, LIKS).fit(bad, random_seed=0)
    gistic = dict(views)
    gistic["cn"] = views["cn"] - 2.0  # GISTIC -2..2 coding
    with pytest.raises(DataError, match="shift ordinal levels"):
        LatentFactorModel(2, LIKS).fit(gistic, random_seed=0)
    with pytest.raises(DataError, match=r"n_trials\['cn'\] = 3"):
        LatentFactorModel(2, LIKS, n_trials={"cn": 3}).fit(views, random_seed=0)
    with pytest.raises(ModelError, match="method must be 'cavi' or 'nuts'"):
        LatentFactorModel(2, LIKS).fit(views, random_seed=0, method="advi")
    model = LatentFactorModel(2, LIKS, n_bootstrap=0).fit(views, random_seed=0)
    with pytest.raises(DataError, match="non-negative integers"):
        model.transform({"cn": views["cn"].iloc[:2] - 5.0})


def test_negative_binomial_dispersion_and_weights():
    rng = np.random.default_rng(0)
    r_true, mean = 5.0, 20.0
    y = rng.negative_binomial(r_true, r_true / (r_true + mean), size=(4000, 2)).astype(float)
    y[:, 1] = rng.poisson(mean, 4000)  # no overdispersion: the cap
    mask = np.ones_like(y, dtype=bool)
    r, const = prepare_logistic_view("counts", "negbinomial", y, mask)
    assert abs(r[0] - r_true) / r_true < 0.15, r
    assert r[1] >= 100 and not const.any()
    w = r2_feature_weights("negbinomial", y, mask.astype(float))
    np.testing.assert_allclose(w, 1 / y.var(axis=0))
    assert (r2_feature_weights("binomial", y, mask.astype(float)) == 1).all()


@pytest.mark.slow
def test_count_expression_and_copy_number_on_the_issue_simulation():
    sim = simulate_factor_data(n_genes=300, n_copy_number=40, count_expression=True, random_seed=0)
    assert sim.likelihoods == {"imaging": "gaussian", "expression": "negbinomial", "mutations": "bernoulli", "copy_number": "binomial"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LatentFactorModel(n_factors=8, likelihoods=sim.likelihoods).fit(sim.views, random_seed=0)
    order, signs, r = align_factors(model.factor_scores(), sim.factors)
    assert (order >= 0).all() and r.mean() >= 0.95 and r.min() >= 0.9, r
    p_active = model.active_probability()
    estimated = p_active.iloc[order] > 0.5
    assert (estimated.to_numpy() == sim.activity[p_active.columns].to_numpy()).all(), p_active.iloc[order]
    # data-scale variance explained of the active cells: clearly positive and plausible
    ve = model.variance_explained().iloc[order].to_numpy()
    act = sim.activity[p_active.columns].to_numpy()
    assert (ve[act] > 0.03).all() and (ve[act] < 0.4).all(), ve
    # copy-number loadings of the first shared factor follow the truth (log-odds scale)
    est = model.loadings()["copy_number"].iloc[:, order[0]] * signs[0]
    assert np.corrcoef(est, sim.loadings["copy_number"].iloc[:, 0])[0, 1] > 0.9


@pytest.mark.slow
def test_nuts_fit_aligns_chains_and_recovers_the_factors():
    rng = np.random.default_rng(0)
    n = 40
    z = rng.normal(size=(n, 2))
    ids = [f"p{i}" for i in range(n)]
    # factor 1 drives the Gaussian view, factor 2 the binary view: identified up to labels and signs
    a = pd.DataFrame(z[:, :1] @ rng.normal(0, 1.5, (1, 6)) + 0.5 * rng.normal(size=(n, 6)), index=ids)
    b = pd.DataFrame((rng.random((n, 6)) < 1 / (1 + np.exp(-3 * z[:, 1:]))).astype(float), index=ids)
    a.iloc[:4] = np.nan  # 4 patients without view a
    model = LatentFactorModel(2, {"a": "gaussian", "b": "bernoulli"}, n_draws=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # PyTensor's BLAS notice
        model.fit({"a": a, "b": b}, random_seed=2, method="nuts", draws=200, tune=200, chains=2)
    assert model.method_ == "nuts" and model.idata_.posterior.sizes["chain"] == 2
    order, signs, r = align_factors(model.factor_scores(), z)
    assert r.min() > 0.85, r
    # chains agree after alignment (labels and signs), and the summaries come from the draws
    assert (model.nuts_chain_agreement_ > 0.95).all(), model.nuts_chain_agreement_
    assert (model.nuts_rhat_ < 1.2).all(), model.nuts_rhat_  # short chains: the gate itself is 1.1
    p_active = model.active_probability()
    assert p_active.loc[model.factor_names_[order[0]], "a"] > 0.9 and p_active.loc[model.factor_names_[order[1]], "b"] > 0.9
    summary = model.variance_explained_summary()
    assert (summary["lower"] <= summary["upper"]).all()
    idata = model.to_inference_data(n_draws=20, random_seed=0)
    assert idata.posterior["Z"].shape == (1, 20, n, 2)
    assert model.transform({"a": a.iloc[4:8]}).shape == (4, 2)
