"""Posterior fits of AssociationModel: recovery, batch confounding, refits, groups, round trip.

Each model structure compiles once (module-scoped fixtures); refits reuse the compiled sampler.
"""

from __future__ import annotations

import importlib.util
import json
import time
import warnings

import arviz as az
import numpy as np
import pandas as pd
import pytest

from radiocausal.errors import ConvergenceWarning
from radiocausal.graph import CausalDAG
from radiocausal.models import AssociationModel

SAMPLING = dict(draws=500, tune=500, chains=2)


@pytest.fixture(scope="module")
def cohort(simulate):
    return simulate(n=300, seed=0)


@pytest.fixture(scope="module")
def adjusted(batch_dag, cohort):
    model = AssociationModel(batch_dag)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(cohort, random_seed=12, **SAMPLING)
    return model


def test_adjusted_model_recovers_the_effect(adjusted, true_effect):
    TRUE_EFFECT = true_effect
    summ = adjusted.effect_summary()
    assert list(summ.index) == ["EGFR"]
    for col in ("mean", "sd", "hdi_3%", "hdi_97%", "r_hat", "ess_bulk"):
        assert col in summ.columns
    row = summ.loc["EGFR"]
    assert row["hdi_3%"] < TRUE_EFFECT < row["hdi_97%"]
    assert abs(row["mean"] - TRUE_EFFECT) < 3 * row["sd"]
    assert row["r_hat"] < 1.01 and row["ess_bulk"] > 200
    # age's coefficient (per year) is also recovered
    cov = adjusted.effect_summary(covariates=True)
    assert abs(cov.loc["age", "mean"] - 0.03) < 3 * cov.loc["age", "sd"]


def test_unadjusted_model_is_biased(naive_dag, cohort, true_effect):
    TRUE_EFFECT = true_effect
    naive = AssociationModel(naive_dag)
    naive.fit(cohort, random_seed=12, **SAMPLING)
    row = naive.effect_summary().loc["EGFR"]
    assert row["hdi_3%"] > TRUE_EFFECT + 0.2  # site confounding inflates the association


def test_idata_groups_dims_and_attrs(adjusted, cohort, batch_dag):
    idata = adjusted.idata_
    for group in ("posterior", "sample_stats", "posterior_predictive", "log_likelihood", "observed_data"):
        assert group in idata.groups()
    assert idata.log_likelihood["texture"].dims == ("chain", "draw", "patient")
    assert idata.observed_data.sizes["patient"] == len(cohort)
    assert list(idata.posterior["site"].values) == ["s0", "s1", "s2", "s3"]
    assert list(idata.posterior["covariate"].values) == ["age"]
    np.testing.assert_allclose(idata.observed_data["texture"].values, cohort["texture"].values)
    assert CausalDAG.from_dagitty(idata.attrs["dag"]) == batch_dag
    assert idata.attrs["exposure"] == "EGFR" and idata.attrs["outcome"] == "texture"
    assert json.loads(idata.attrs["adjustment_set"]) == ["age", "site"]
    assert json.loads(idata.attrs["settings"])["draws"] == SAMPLING["draws"]
    loo = az.loo(idata)
    assert np.isfinite(loo.elpd_loo)
    # posterior predictive replicates the outcome's spread
    pp_sd = idata.posterior_predictive["texture"].std("patient").mean().item()
    assert pp_sd == pytest.approx(cohort["texture"].std(), rel=0.15)


def test_refit_reuses_the_compiled_model(adjusted, cohort):
    # nuts_sampler="auto": PyMC's C backend for a structure's first fit, nutpie (compiled once) after
    model_before = adjusted.model_
    boot = cohort.sample(frac=1.0, replace=True, random_state=3).reset_index(drop=True)
    adjusted.fit(boot, random_seed=13, **SAMPLING)
    compiled = adjusted._cache.compiled
    nutpie = importlib.util.find_spec("nutpie") is not None
    assert json.loads(adjusted.idata_.attrs["settings"])["sampler"] == ("nutpie" if nutpie else "pymc")
    assert (compiled is not None) == nutpie
    boot = cohort.sample(frac=1.0, replace=True, random_state=4).reset_index(drop=True)
    t0 = time.perf_counter()
    idata = adjusted.fit(boot, random_seed=14, **SAMPLING)
    elapsed = time.perf_counter() - t0
    assert adjusted.model_ is model_before
    assert adjusted._cache.compiled is compiled  # the same compiled model, new data
    assert idata.observed_data.sizes["patient"] == len(boot)
    assert elapsed < 20.0  # compiling from scratch takes longer than this on the CI machine
    # another model object of the same structure shares the compiled sampler
    other = AssociationModel(adjusted.dag)
    other.fit(cohort, random_seed=15, **SAMPLING)
    assert other._cache is adjusted._cache and json.loads(other.idata_.attrs["settings"])["sampler"] == (
        "nutpie" if nutpie else "pymc")


def test_netcdf_round_trip(adjusted, tmp_path):
    path = tmp_path / "fit.nc"
    adjusted.save(path)
    back = AssociationModel.load(path)
    assert back.exposure == "EGFR" and back.adjustment_set_ == adjusted.adjustment_set_
    assert back.batch_ == ("site",)
    np.testing.assert_allclose(
        back.effect_summary()["mean"].values, adjusted.effect_summary()["mean"].values
    )
    assert back.idata_.attrs["dag"] == adjusted.idata_.attrs["dag"]


def test_convergence_gate_warns_with_advice(adjusted, cohort):
    with pytest.warns(ConvergenceWarning, match="Try: .*draws="):
        adjusted.fit(cohort, draws=15, tune=15, chains=2, random_seed=1)


def test_logistic_outcome_recovers_the_log_odds(batch_dag, simulate, true_effect):
    TRUE_EFFECT = true_effect
    df = simulate(n=400, seed=5, binary_outcome=True)
    model = AssociationModel(batch_dag)
    with warnings.catch_warnings():  # 4 sites on a logit scale: longer chains for the site sd
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(df, random_seed=21, draws=1000, tune=1000, chains=2)
    assert model.idata_.attrs["family"] == "bernoulli"
    assert dict(json.loads(model.idata_.attrs["batch_parametrization"])) == {"site": "non_centered"}
    row = model.effect_summary().loc["EGFR"]
    assert abs(row["mean"] - TRUE_EFFECT) < 3 * row["sd"]
    assert set(np.unique(model.idata_.posterior_predictive["texture"].values)) <= {0, 1}


@pytest.mark.slow
def test_horseshoe_fit_defaults_keep_divergences_rare():
    # 30 covariates for 200 patients: the regularised horseshoe, nutpie from the first fit, target_accept 0.995
    rng = np.random.default_rng(0)
    n, p = 200, 30
    C = rng.normal(size=(n, p))
    x = (rng.random(n) < 1 / (1 + np.exp(-C[:, 0]))).astype(int)
    beta = np.r_[0.8, -0.5, 0.4, np.zeros(p - 3)]
    df = pd.DataFrame(C, columns=[f"c{j}" for j in range(p)]).assign(x=x, y=0.5 * x + C @ beta + rng.normal(size=n))
    dag = CausalDAG.from_dagitty("dag { x [exposure] y [outcome] x -> y "
                                 + " ".join(f"c{j} -> x ; c{j} -> y ;" for j in range(p)) + "}")
    model = AssociationModel(dag)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the count is checked below
        idata = model.fit(df, draws=500, tune=500, chains=2, random_seed=1)
    settings = json.loads(idata.attrs["settings"])
    assert idata.attrs["shrinkage"] == "horseshoe" and settings["target_accept"] == 0.995
    if importlib.util.find_spec("nutpie") is not None:
        assert settings["sampler"] == "nutpie"
    assert int(idata.sample_stats["diverging"].sum()) <= 2  # 3 per 1,000 draws at the former 0.99
    row = model.effect_summary().loc["x"]
    assert abs(row["mean"] - 0.5) < 3 * row["sd"]
    # the non-null covariates stand out from the shrunk nulls
    cov = model.effect_summary(covariates=True)["mean"].drop("x")
    assert cov.abs().nlargest(3).index.tolist() == ["c0", "c1", "c2"]
