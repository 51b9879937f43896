"""Simulation-based calibration (Talts et al. 2018) of the AssociationModel, logistic and Gaussian.

Parameters are drawn from the model's own priors, outcomes simulated from them on a fixed design,
and the rank of each true value among the posterior draws recorded.  For a correct sampler and
model the ranks are uniform; a model whose priors differ from the simulating ones must fail.
Refits reuse the compiled model (only the outcome changes), so 100 replicates take about a
second each on a 2-core machine.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from radiocausal.graph import CausalDAG
from radiocausal.models import DEFAULT_PRIORS, AssociationModel

DAG = "dag { site [batch] x [exposure] y [outcome] site -> x -> y ; site -> y ; c -> y }"
N, SITES, REPLICATES, DRAWS, THIN, BINS = 60, 3, 100, 198, 2, 10


def _design(rng):
    site = np.repeat(np.arange(SITES), N // SITES)
    x = (rng.random(N) < 0.3 + 0.2 * site).astype(int)
    c = rng.normal(size=N)
    return pd.DataFrame({"site": site, "x": x, "c": c, "y": np.r_[0, 1, np.zeros(N - 2, int)]})


def _prior_draw(rng):
    p = DEFAULT_PRIORS
    z = rng.normal(size=SITES)
    return {
        "intercept": rng.normal(0, p["intercept"]),
        "b_exposure_std": rng.normal(0, p["beta"]),
        "b_covariate_std": rng.normal(0, p["beta"]),
        "sigma_site": abs(rng.normal(0, p["batch_sigma"])),
        "sigma_std": abs(rng.normal(0, p["sigma"])),
        "z": z - z.mean(),  # ZeroSumNormal(1): a standard normal projected onto sum zero
    }


def _ranks(model, df, rng, gaussian=False):
    xs = (df["x"] - df["x"].mean()) / df["x"].std(ddof=0)
    cs = (df["c"] - df["c"].mean()) / df["c"].std(ddof=0)
    out = {"intercept": [], "b_exposure_std": [], "sigma_site": []}
    if gaussian:
        out["sigma_std"] = []
    for r in range(REPLICATES):
        th = _prior_draw(rng)
        eta = th["intercept"] + th["b_exposure_std"] * xs + th["b_covariate_std"] * cs + th["sigma_site"] * th["z"][df["site"]]
        if gaussian:  # unscaled outcome (scale_outcome=False): y = eta + sigma * noise
            sim = df.assign(y=eta + th["sigma_std"] * rng.normal(size=N))
        else:
            sim = df.assign(y=(rng.random(N) < 1 / (1 + np.exp(-eta))).astype(int))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            idata = model.fit(sim, draws=DRAWS, tune=300, chains=1, random_seed=r)
        post = idata.posterior
        for name in out:
            draws = post[name].values.ravel()[::THIN]
            out[name].append(int((draws < th[name]).sum()))
    return {k: np.asarray(v) for k, v in out.items()}


def _uniformity_pvalue(ranks: np.ndarray) -> float:
    L = DRAWS // THIN  # ranks take values 0..L
    counts = np.bincount((ranks * BINS) // (L + 1), minlength=BINS)
    return float(stats.chisquare(counts).pvalue)


@pytest.fixture(scope="module")
def design():
    return _design(np.random.default_rng(7))


@pytest.mark.slow
def test_sbc_ranks_are_uniform_for_the_logistic_model(design):
    model = AssociationModel(CausalDAG.from_dagitty(DAG), family="bernoulli")
    ranks = _ranks(model, design, np.random.default_rng(11))
    for name, r in ranks.items():
        assert _uniformity_pvalue(r) > 0.01, (name, np.bincount((r * BINS) // (DRAWS // THIN + 1), minlength=BINS))


@pytest.mark.slow
def test_sbc_ranks_are_uniform_for_the_gaussian_model(design):
    model = AssociationModel(CausalDAG.from_dagitty(DAG), family="normal", scale_outcome=False)
    ranks = _ranks(model, design.assign(y=np.linspace(-1, 1, N)), np.random.default_rng(12), gaussian=True)
    assert set(ranks) == {"intercept", "b_exposure_std", "sigma_site", "sigma_std"}
    for name, r in ranks.items():
        assert _uniformity_pvalue(r) > 0.01, (name, np.bincount((r * BINS) // (DRAWS // THIN + 1), minlength=BINS))


@pytest.mark.slow
def test_sbc_detects_a_misspecified_prior(design):
    # the fitted model believes effects are small (sd 0.25) while the simulation draws them with sd 2.5
    model = AssociationModel(CausalDAG.from_dagitty(DAG), family="bernoulli", priors={"beta": 0.25})
    ranks = _ranks(model, design, np.random.default_rng(11))
    assert _uniformity_pvalue(ranks["b_exposure_std"]) < 0.01
