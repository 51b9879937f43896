r"""Likelihoods of the views of :class:`~radiocausal.models.factors.LatentFactorModel`.

Besides Gaussian views, three *logistic-family* likelihoods share one closed-form treatment.
Each has, for an observation :math:`y` with linear predictor :math:`\psi`,

.. math::

    \log p(y \mid \psi) = c(y) + y\,\psi - T\,\log(1 + e^{\psi})
                        = c(y) + (y - T/2)\,\psi - T \log\bigl(2\cosh(\psi/2)\bigr),

with a *total* :math:`T`:

* ``"bernoulli"`` (mutations): :math:`T = 1`, :math:`c = 0`;
* ``"binomial"`` (ordinal copy-number levels coded :math:`0..T`, or counts out of a known
  :math:`T`): :math:`T` = the number of trials of the feature, :math:`c = \log\binom{T}{y}`;
  the mean level is :math:`T\sigma(\psi)`;
* ``"negbinomial"`` (unbounded counts): :math:`y \sim \mathrm{NB}(r, \sigma(\psi))` with mean
  :math:`r e^{\psi}` and variance :math:`\mu + \mu^2/r`; :math:`T = y + r`,
  :math:`c = \log\Gamma(y + r) - \log\Gamma(r) - \log y!`.  The dispersion :math:`r` of each
  feature is fixed before fitting by the method of moments on its observed values (capped to
  :math:`[0.05, 10^4]`; a Poisson-like feature gets the cap), which attributes all extra-Poisson
  variance to noise and so errs on the side of smaller variance explained.

The Jaakkola–Jordan bound :math:`-\log(2\cosh(\psi/2)) \ge -\log(2\cosh(\xi/2)) -
\lambda(\xi)(\psi^2 - \xi^2)`, :math:`\lambda(\xi) = \tanh(\xi/2)/(4\xi)` (the Pólya-gamma
variational bound: :math:`2\lambda(\xi)` is the mean of a PG(1, ξ) variable) turns every
observation into a Gaussian pseudo-observation with precision :math:`2T\lambda(\xi)` and
precision-weighted value :math:`y - T/2`, so all updates stay closed-form and exact in
:math:`\xi^2 = \mathbb E[\psi^2]`.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, gammaln

from radiocausal.errors import DataError

__all__ = ["LOGISTIC_FAMILY", "SUPPORTED_LIKELIHOODS", "prepare_logistic_view", "data_mean", "simulate", "jj_lambda"]

LOGISTIC_FAMILY = ("bernoulli", "binomial", "negbinomial")
SUPPORTED_LIKELIHOODS = ("gaussian", *LOGISTIC_FAMILY)

_R_MIN, _R_MAX = 0.05, 1e4


def jj_lambda(xi: np.ndarray) -> np.ndarray:
    """Jaakkola–Jordan :math:`\\lambda(\\xi) = \\tanh(\\xi/2) / (4\\xi)`, with its limit 1/8 at 0.

    Examples
    --------
    >>> jj_lambda(np.array([0.0, 2.0])).round(4).tolist()
    [0.125, 0.0952]
    """
    xi = np.abs(xi)
    out = np.full_like(xi, 0.125)
    big = xi > 1e-6
    out[big] = np.tanh(xi[big] / 2.0) / (4.0 * xi[big])
    return out


def prepare_logistic_view(
    view: str, likelihood: str, arr: np.ndarray, mask: np.ndarray, n_trials: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Check a logistic-family view and return its per-feature parameter and constant features.

    Parameters
    ----------
    view, likelihood : str
        Name (for messages) and likelihood of the view.
    arr, mask : ndarray
        Patients × features values (anything where ``mask`` is False) and observed mask.
    n_trials : int, optional
        Number of trials of a ``"binomial"`` view; defaults to the largest observed value.

    Returns
    -------
    param : ndarray
        Per feature: the number of trials (``bernoulli``: 1, ``binomial``: ``n_trials``) or the
        dispersion ``r`` (``negbinomial``).
    const : ndarray of bool
        Features with a single observed value.

    Examples
    --------
    >>> y = np.array([[0, 1], [2, 1], [4, 1.0]])
    >>> param, const = prepare_logistic_view("cn", "binomial", y, np.ones_like(y, bool))
    >>> param.tolist(), const.tolist()
    ([4.0, 4.0], [False, True])
    """
    vals = arr[mask]
    d = arr.shape[1]
    if likelihood == "bernoulli":
        if not np.isin(vals, (0.0, 1.0)).all():
            bad = np.unique(vals[~np.isin(vals, (0.0, 1.0))])[:5].tolist()
            raise DataError(f"views[{view!r}] is 'bernoulli' but has values {bad}; expected 0/1 (NaN = missing)")
        param = np.ones(d)
    else:
        bad = vals[(vals < 0) | (vals != np.round(vals))]
        if bad.size:
            raise DataError(
                f"views[{view!r}] is {likelihood!r} but has values {np.unique(bad)[:5].tolist()}; "
                "expected non-negative integers (NaN = missing)"
                + ("; shift ordinal levels such as GISTIC -2..2 to 0..4" if likelihood == "binomial" else "")
            )
        if likelihood == "binomial":
            top = float(vals.max()) if vals.size else 1.0
            if n_trials is None:
                n_trials = max(int(top), 1)
            elif int(n_trials) < 1 or top > int(n_trials):
                raise DataError(
                    f"n_trials[{view!r}] = {n_trials!r} but the view has values up to {top:g}; "
                    "expected a positive integer at least the largest value"
                )
            param = np.full(d, float(n_trials))
        else:
            nobs = np.maximum(mask.sum(0), 1)
            mean = np.where(mask, arr, 0).sum(0) / nobs
            var = np.where(mask, (arr - mean) ** 2, 0).sum(0) / np.maximum(nobs - 1, 1)
            excess = var - mean
            with np.errstate(divide="ignore", invalid="ignore"):
                r = np.where(excess > 0, mean**2 / excess, _R_MAX)
            param = np.clip(np.nan_to_num(r, nan=_R_MAX), _R_MIN, _R_MAX)
    lo = np.where(mask, arr, np.inf).min(0)
    hi = np.where(mask, arr, -np.inf).max(0)
    return param, lo == hi


def totals(likelihood: str, y: np.ndarray, mask: np.ndarray, param: np.ndarray) -> np.ndarray:
    """Masked totals :math:`T_{nd}` (patients × features)."""
    if likelihood == "negbinomial":
        return mask * (y + param[None, :])
    return mask * param[None, :]


def log_normaliser(likelihood: str, y: np.ndarray, mask: np.ndarray, param: np.ndarray) -> float:
    """Sum of the constants :math:`c(y)` over observed entries."""
    if likelihood == "bernoulli":
        return 0.0
    if likelihood == "binomial":
        t = param[None, :]
        c = gammaln(t + 1) - gammaln(y + 1) - gammaln(t - y + 1)
    else:
        r = param[None, :]
        c = gammaln(y + r) - gammaln(r) - gammaln(y + 1)
    return float(np.sum(np.where(mask > 0, c, 0.0)))


def data_mean(likelihood: str, psi: np.ndarray, param: np.ndarray) -> np.ndarray:
    """Mean of the data given the linear predictor: :math:`T\\sigma(\\psi)` or :math:`r e^{\\psi}`."""
    if likelihood == "negbinomial":
        return param * np.exp(np.minimum(psi, 50.0))
    return param * expit(psi)


def r2_feature_weights(likelihood: str, y: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per-feature weights of the data-scale variance explained.

    Counts (``negbinomial``) are weighted by the inverse variance of each feature's observed
    values, as if standardised like Gaussian views (otherwise the few genes with the largest counts
    and their mean-variance relation decide the whole view's share); bounded views (Bernoulli,
    binomial) are unweighted.
    """
    d = y.shape[1]
    if likelihood != "negbinomial":
        return np.ones(d)
    nobs = np.maximum(mask.sum(0), 1)
    mean = (mask * y).sum(0) / nobs
    var = (mask * (y - mean) ** 2).sum(0) / nobs
    return np.where(var > 0, 1.0 / np.where(var > 0, var, 1.0), 0.0)


def simulate(likelihood: str, psi: np.ndarray, param: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw data of a logistic-family view given its linear predictor (patients × features)."""
    if likelihood == "negbinomial":
        r = np.broadcast_to(param, psi.shape)
        return rng.negative_binomial(r, expit(-psi)).astype(float)
    n = np.broadcast_to(param, psi.shape).astype(np.int64)
    return rng.binomial(n, expit(psi)).astype(float)
