"""Simulated multi-view radiogenomic cohorts with known latent factors (tests, benchmarks, examples)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

__all__ = ["SimulatedFactorData", "simulate_factor_data", "DEFAULT_ACTIVITY"]

#: Default truth: 2 factors shared by all views, 1 imaging+expression, 1 specific to each view.
DEFAULT_ACTIVITY = pd.DataFrame(
    [
        [True, True, True],
        [True, True, True],
        [True, True, False],
        [True, False, False],
        [False, True, False],
        [False, False, True],
    ],
    index=pd.Index([f"true{i + 1}" for i in range(6)], name="factor"),
    columns=pd.Index(["imaging", "expression", "mutations"], name="view"),
)


@dataclass
class SimulatedFactorData:
    """A simulated cohort: ``views`` for fitting and the truth that generated them."""

    views: dict[str, pd.DataFrame]
    likelihoods: dict[str, str]
    factors: pd.DataFrame  # patients × true factors
    loadings: dict[str, pd.DataFrame]  # view → features × true factors
    activity: pd.DataFrame  # true factors × views (bool)
    covariates: pd.DataFrame | None  # patients × covariates (site) when simulated


def simulate_factor_data(
    n_patients: int = 200,
    n_imaging: int = 150,
    n_genes: int = 1000,
    n_mutations: int = 30,
    *,
    signal: float = 1.0,
    frac_missing_imaging: float = 0.1,
    frac_missing_values: float = 0.03,
    site_shift: float = 0.0,
    n_copy_number: int = 0,
    count_expression: bool = False,
    activity: pd.DataFrame | None = None,
    random_seed: int | None = None,
) -> SimulatedFactorData:
    """Simulate imaging (Gaussian), expression (Gaussian) and mutations (Bernoulli) views.

    Optionally also a copy-number view (``"binomial"``: levels 0..4, e.g. GISTIC -2..2 shifted)
    and expression as raw counts (``"negbinomial"``).

    Parameters
    ----------
    n_patients, n_imaging, n_genes, n_mutations : int
        Cohort size and number of features per view.
    signal : float
        Multiplier of all loadings (``1`` = default signal; ``0.5`` = weak signal).
    frac_missing_imaging : float
        Fraction of patients whose whole imaging view is missing (absent from its index).
    frac_missing_values : float
        Fraction of scattered missing values (NaN) in every view.
    site_shift : float
        Size (in noise sds) of a scanner/site shift added to the imaging features; when positive,
        ``covariates`` holds the ``site`` of every patient (two sites, independent of the factors).
    n_copy_number : int
        Features of a ``copy_number`` view (levels 0..4, binomial with 4 trials, baseline level
        about 2); its factors are those of the ``copy_number`` column of ``activity``, or of
        ``mutations`` when there is none.  ``0`` (default) leaves the view out.
    count_expression : bool
        Simulate expression as negative-binomial read counts (log mean 3-6, dispersion 5,
        log-fold loadings half the Gaussian ones) instead of Gaussian log-expression.
    activity : DataFrame, optional
        True factors × views boolean activity pattern; defaults to :data:`DEFAULT_ACTIVITY`.
    random_seed : int, optional
        Seed.

    Examples
    --------
    >>> sim = simulate_factor_data(50, 10, 20, 5, random_seed=0)
    >>> sorted(sim.views), sim.factors.shape
    (['expression', 'imaging', 'mutations'], (50, 6))
    >>> simulate_factor_data(50, 10, 20, 5, n_copy_number=8, random_seed=0).likelihoods["copy_number"]
    'binomial'
    """
    rng = np.random.default_rng(random_seed)
    act = DEFAULT_ACTIVITY if activity is None else activity.astype(bool)
    k = act.shape[0]
    ids = pd.Index([f"P{i:04d}" for i in range(n_patients)], name="patient")
    z = rng.standard_normal((n_patients, k))
    z = (z - z.mean(0)) / z.std(0)
    factors = pd.DataFrame(z, index=ids, columns=act.index)
    sizes = {"imaging": n_imaging, "expression": n_genes, "mutations": n_mutations}
    likelihoods = {"imaging": "gaussian", "expression": "negbinomial" if count_expression else "gaussian", "mutations": "bernoulli"}
    if n_copy_number > 0:
        sizes["copy_number"] = n_copy_number
        likelihoods["copy_number"] = "binomial"
        if "copy_number" not in act.columns:
            act = act.assign(copy_number=act["mutations"])
    site = rng.integers(0, 2, n_patients) if site_shift > 0 else None
    views: dict[str, pd.DataFrame] = {}
    loadings: dict[str, pd.DataFrame] = {}
    for view, d in sizes.items():
        prefix = {"imaging": "rad", "expression": "gene", "mutations": "mut", "copy_number": "cn"}[view]
        feats = pd.Index([f"{prefix}{j:05d}" for j in range(d)], name="feature")
        w = np.zeros((d, k))
        for f in range(k):
            if act.iloc[f][view]:
                frac, sd = (0.5, 1.5) if view == "mutations" else (0.3, 1.0)
                on = rng.random(d) < frac
                on[rng.integers(d)] = True
                col = rng.normal(0, 1.0, on.sum())
                # fixed signal strength: mean squared loading is frac * sd^2 * signal^2 exactly
                w[on, f] = col / np.sqrt(np.sum(col**2) / (frac * sd**2 * d)) * signal
        if view == "expression" and count_expression:
            w *= 0.5  # log-fold changes
        loadings[view] = pd.DataFrame(w, index=feats, columns=act.index)
        lin = z @ w.T
        if view == "mutations":
            intercept = rng.normal(-1.0, 0.5, d)
            y = (rng.random((n_patients, d)) < expit(intercept + lin)).astype(float)
        elif view == "copy_number":
            intercept = rng.normal(0.0, 0.3, d)  # mean level about 2 of 0..4
            y = rng.binomial(4, expit(intercept + lin)).astype(float)
        elif view == "expression" and count_expression:
            log_mean = rng.uniform(3.0, 6.0, d)
            y = rng.negative_binomial(5.0, expit(-(log_mean - np.log(5.0) + lin))).astype(float)
        else:
            noise_sd = rng.uniform(0.7, 1.3, d)
            y = rng.normal(0, 2, d) + lin + noise_sd * rng.standard_normal((n_patients, d))
            if view == "imaging" and site is not None:
                y = y + site_shift * np.outer(site, rng.normal(0, 1, d)) * noise_sd
        y[rng.random(y.shape) < frac_missing_values] = np.nan
        df = pd.DataFrame(y, index=ids, columns=feats)
        if view == "imaging" and frac_missing_imaging > 0:
            drop = rng.random(n_patients) < frac_missing_imaging
            df = df.loc[~drop]
        views[view] = df
    cov = None if site is None else pd.DataFrame({"site": np.where(site == 1, "B", "A")}, index=ids)
    return SimulatedFactorData(views, likelihoods, factors, loadings, act.copy(), cov)
