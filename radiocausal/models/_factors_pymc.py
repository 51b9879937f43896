r"""The latent factor model in PyMC, sampled by NUTS (``LatentFactorModel.fit(..., method="nuts")``).

The same views, likelihoods, covariates and missingness as the CAVI fit, written as a PyMC model
that users can read and extend (:func:`build_pymc_model`).  Because NUTS needs proper scales, the
vague conjugate hyper-priors of the CAVI fit are replaced by weakly informative ones on the
standardised scale:

.. math::

    z_{nk} &\sim N(0, 1), \qquad s_{mk} \sim \mathrm{HalfNormal}(1) \;\text{(ARD scale)},\\
    w_{dk} &\sim t_\nu(0, s_{m(d)k}) \;\text{(sparse loadings, } \nu = \texttt{loading\_df}),\qquad
    \beta_d \sim N(0, 10^2 I),\\
    y_{nd} &\sim N(\psi_{nd}, \sigma_d^2),\; \sigma_d \sim \mathrm{HalfNormal}(1)
    \;\text{(Gaussian; one } \sigma \text{ per view with } \texttt{noise="view"}),

and Bernoulli, binomial and negative-binomial views as in the CAVI model; only observed entries
enter the likelihood.

Factor models have a posterior with one mode per permutation and sign of the factors, so chains
land in different modes.  :func:`align_chains` maps every chain onto the first (permutation and
signs that maximise the absolute correlation of the chain's mean scores with the reference,
:func:`~radiocausal.models.factors.align_factors`) before anything is summarised.  NUTS is for
small problems (tens to a few hundred patients, a few hundred features): it costs minutes where
CAVI costs seconds.
"""

from __future__ import annotations

import numpy as np

__all__ = ["build_pymc_model", "align_chains"]


def build_pymc_model(data, x: np.ndarray, k: int, *, loading_df: float = 2.0, noise: str = "feature"):
    """PyMC model of the views ``data`` (prepared ``_View`` objects) with covariate matrix ``x``.

    Free variables: ``Z`` (patients × factors), and per view ``v``: ``W_v`` (features × factors),
    ``ard_v`` (factors), ``beta_v`` (features × covariates) and ``sigma_v`` (Gaussian views).
    """
    import pymc as pm

    n, p = x.shape
    with pm.Model() as model:
        z = pm.Normal("Z", 0.0, 1.0, shape=(n, k))
        for v in data:
            d = v.y.shape[1]
            ard = pm.HalfNormal(f"ard_{v.name}", 1.0, shape=k)
            w = pm.StudentT(f"W_{v.name}", nu=loading_df, mu=0.0, sigma=ard[None, :], shape=(d, k))
            beta = pm.Normal(f"beta_{v.name}", 0.0, 10.0, shape=(d, p))
            psi = pm.math.dot(x, beta.T) + pm.math.dot(z, w.T)
            rows, cols = np.nonzero(v.mask > 0)
            psi_obs = psi[rows, cols]
            y = v.y[rows, cols]
            if v.likelihood == "gaussian":
                sigma = pm.HalfNormal(f"sigma_{v.name}", 1.0, shape=d if noise == "feature" else 1)
                pm.Normal(f"y_{v.name}", psi_obs, sigma[cols] if noise == "feature" else sigma[0], observed=y)
            elif v.likelihood == "bernoulli":
                pm.Bernoulli(f"y_{v.name}", logit_p=psi_obs, observed=y)
            elif v.likelihood == "binomial":
                pm.Binomial(f"y_{v.name}", n=v.trials[cols].astype(int), logit_p=psi_obs, observed=y)
            else:
                r = v.trials[cols]
                pm.NegativeBinomial(f"y_{v.name}", mu=r * pm.math.exp(psi_obs), alpha=r, observed=y)
    return model


def align_chains(z: np.ndarray, ws: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """Map every chain's factors onto chain 0 (label switching and sign flips).

    Parameters
    ----------
    z : ndarray
        Score draws, chains × draws × patients × factors.
    ws : dict of str to ndarray
        Loading draws per view, chains × draws × features × factors.

    Returns
    -------
    z, ws, corr
        Aligned draws, and (chains × factors) the absolute correlation of each chain's matched
        factor with the reference's (low values for a used factor mean the chain found another
        solution, not just another labelling; an unused factor is prior noise in every chain).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.normal(size=(1, 5, 30, 2))
    >>> z = np.concatenate([ref, -ref[..., ::-1]])  # chain 1: factors swapped and negated
    >>> ws = {"a": np.concatenate([np.ones((1, 5, 4, 2)), -np.ones((1, 5, 4, 2))])}
    >>> za, wa, r = align_chains(z, ws)
    >>> bool(np.allclose(za[1], za[0])), bool((wa["a"] > 0).all()), r.round(3).tolist()
    (True, True, [[1.0, 1.0], [1.0, 1.0]])
    """
    from radiocausal.models.factors import align_factors

    z = z.copy()
    ws = {v: w.copy() for v, w in ws.items()}
    ref = z[0].mean(axis=0)
    corr = np.ones(z.shape[::3])
    for c in range(1, z.shape[0]):
        order, signs, r = align_factors(z[c].mean(axis=0), ref)
        z[c] = z[c][..., order] * signs
        for v in ws:
            ws[v][c] = ws[v][c][..., order] * signs
        corr[c] = r
    return z, ws, corr
