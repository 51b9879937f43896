r"""Shared latent factors across imaging and genomic views (a multi-view Bayesian factor model).

:class:`LatentFactorModel` finds a small set of latent factors shared by several *views* of the
same patients (radiomic features, expression, mutations, ...) and tells which factors are shared
by imaging and genomics and which belong to a single view, with the variance each factor explains
in each view and its uncertainty.  It plays the role of MOFA+ (``mofapy2``) and adds nuisance
covariates inside the model, posterior uncertainty on every summary and projection of new patients.

Generative model
----------------
Patients :math:`n = 1..N`, factors :math:`k = 1..K`, views :math:`m` with features :math:`d`.
:math:`x_n` is the covariate row of patient :math:`n` (an intercept, then the encoded nuisance
covariates such as site or batch; numeric covariates are standardised, categorical ones one-hot).

.. math::

    z_{nk} &\sim \mathcal N(0, 1)                                   &&\text{factor scores}\\
    \alpha_{mk} &\sim \mathrm{Gamma}(a_0, b_0)                      &&\text{ARD precision, view } \times \text{ factor}\\
    \lambda_{dk} &\sim \mathrm{Gamma}(\nu/2, \nu/2)                 &&\text{local shrinkage (Student-}t\text{ loadings)}\\
    w_{dk} &\sim \mathcal N\bigl(0, (\alpha_{m(d)k}\,\lambda_{dk})^{-1}\bigr) &&\text{loadings}\\
    \beta_{d} &\sim \mathcal N(0, \beta_0^{-1} I)                   &&\text{covariate effects}\\
    \psi_{nd} &= x_n^\top \beta_d + z_n^\top w_d                    &&\text{linear predictor}\\
    y_{nd} &\sim \mathcal N(\psi_{nd}, \tau_d^{-1}),\; \tau_d \sim \mathrm{Gamma}(a_0, b_0) &&\text{Gaussian view}\\
    y_{nd} &\sim \mathrm{Bernoulli}(\sigma(\psi_{nd}))              &&\text{Bernoulli view}\\
    y_{nd} &\sim \mathrm{Binomial}(T_d, \sigma(\psi_{nd}))          &&\text{binomial view (copy-number levels } 0..T_d)\\
    y_{nd} &\sim \mathrm{NegBin}(r_d, \sigma(\psi_{nd})),\; E[y] = r_d e^{\psi_{nd}} &&\text{negative-binomial view (counts)}

* The ARD precision :math:`\alpha_{mk}` switches factor :math:`k` off in view :math:`m` (this is
  what makes view-specific factors emerge and unused factors vanish); the local precisions
  :math:`\lambda_{dk}` make the marginal prior of each loading a Student-:math:`t` with
  :math:`\nu` degrees of freedom (``loading_df``), a shrinkage prior that favours sparse loadings.
* Gaussian views are centred and scaled per feature on their observed values before fitting, so
  loadings are on the standardised scale.  The noise precision is per feature (``noise="feature"``)
  or shared by all features of a view (``noise="view"``).
* Missing values (NaN) and missing views (a patient absent from a view's index) simply drop out
  of the likelihood: nothing is imputed.
* Covariates are regressed out *inside* the model through :math:`\beta_d`, so site or scanner
  shifts are absorbed by :math:`\beta` instead of becoming factors.
* Binomial views model ordinal copy number as the number of "gained" copies out of
  :math:`T_d` (``n_trials``, by default the largest level; GISTIC -2..2 calls are shifted to
  0..4 first): one logit-linear predictor moves the whole distribution of levels, like a
  cumulative-logit model with equally spaced thresholds.  Negative-binomial views take raw counts
  with a per-feature dispersion :math:`r_d` fixed by the method of moments.  Both, like Bernoulli
  views, are in the logistic family handled by one bound
  (:mod:`radiocausal.models._factors_likelihoods`).

Inference
---------
Mean-field variational Bayes with closed-form coordinate-ascent updates (CAVI):
:math:`q = \prod_n q(z_n) \prod_d q(w_d) q(\beta_d) q(\tau_d) \prod q(\alpha_{mk}) q(\lambda_{dk})`,
with full-covariance Gaussian :math:`q(z_n)` (over factors), :math:`q(w_d)` and :math:`q(\beta_d)`
and Gamma factors for the precisions.  Bernoulli views (and binomial and negative-binomial
views, with :math:`T` pseudo-trials per observation) use the Jaakkola–Jordan bound
:math:`\log\sigma(\psi) \ge \log\sigma(\xi) + (\psi-\xi)/2 - \lambda(\xi)(\psi^2-\xi^2)` with
:math:`\lambda(\xi) = \tanh(\xi/2)/(4\xi)`, which turns each binary observation into a Gaussian
pseudo-observation and keeps every update closed-form; the variational parameters
:math:`\xi_{nd}^2 = \mathbb E[\psi_{nd}^2]` are updated exactly.  Every update maximises the
evidence lower bound (ELBO), so the recorded ``elbo_`` never decreases between prunings
(``NaN`` entries mark them).  Initialisation is a PCA of the data with every view given the same
total weight (plus a small seed-dependent perturbation); several restarts keep the fit with the
best ELBO.

For small problems, ``fit(..., method="nuts")`` samples the same model written in PyMC
(:mod:`radiocausal.models._factors_pymc`, weakly informative hyper-priors instead of the vague
conjugate ones) with NUTS, aligns the chains' factor labels and signs, and summarises the posterior
draws directly (no pruning, no bootstrap).

ARD alone switches a factor off only slowly (its precision grows by about one data precision per
sweep), which leaves spurious, tiny loadings.  Once the ELBO has nearly settled, a (factor, view)
cell whose variance explained is below ``prune_threshold`` and would not reach it within ten
more checks at its current growth is therefore switched
off (its loadings become exactly 0), and a factor switched off in every view is removed.  A
factor active in a single view whose loadings there sit on essentially one feature (participation
ratio below 2) is switched off too: with a noise precision per feature it is that feature's noise.

After fitting, factors are put in a canonical order (decreasing mean variance explained), sign
(loadings have positive third moment) and scale (mean second moment of the scores over the fitted
patients equal to 1; the split of scale between scores and loadings is only pinned by the priors)
so fits from different seeds can be compared; :func:`align_factors` matches factors of two fits
(or a fit and the truth) explicitly.

Summaries with uncertainty are computed by sampling from the variational posterior: variance
explained per factor and view with intervals, and the posterior probability that a factor is
active in a view (its variance explained exceeds ``activity_threshold``).  The mean-field
posterior alone gives intervals of variance explained that are far too narrow (it drops the
posterior coupling of scores and loadings), so these intervals are calibrated by a parametric
bootstrap (next section), and so are the sds of the factor scores (section *Factor scores*).
Known limits: Bernoulli loadings (Jaakkola–Jordan bound) are shrunk and over-confident, and the
bound's curvature over-states the information of counts with large means (negative-binomial
views), so their mean-field sds are too small (the bootstrap inflation of the score sds reaches
1.5 there).

Variance explained
------------------
For a Gaussian view, :math:`R^2_{mk} = 1 - \sum (y^*_{nd} - z_{nk} w_{dk})^2 / \sum (y^*_{nd})^2`
over observed entries, where :math:`y^* = y - x^\top\beta` is the standardised data with the
covariate effects removed.  For a Bernoulli view it is on the *data* (probability) scale:
:math:`R^2_{mk} = 1 - \sum (y - \sigma(x^\top\beta + z_{nk} w_{dk}))^2 / \sum (y - \sigma(x^\top\beta))^2`
(an Efron-type pseudo-:math:`R^2` relative to the covariate-only model).  Binomial and
negative-binomial views use the same formula with their mean, :math:`T_d\sigma(\psi)` and
:math:`r_d e^{\psi}` (levels or counts); for counts each feature's squared residuals are divided by
the variance of its observed counts, as if standardised like a Gaussian view (otherwise the
highest-count genes alone decide the share).  All can be slightly negative for a factor that
explains nothing.

**Target of the intervals.**  The quantity estimated is :math:`R^2_{mk}` evaluated at the *true*
scores :math:`z` and loadings :math:`w` of the generating model, on the observed entries of the
fitted data set: the share of this cohort's (covariate-adjusted) variation in view :math:`m` that
factor :math:`k` accounts for.  Its uncertainty comes from estimating :math:`z` from finitely many
features and :math:`w` from finitely many patients, including the coupling between them that the
mean-field factorisation ignores.

**How the interval is formed** (``n_bootstrap > 0``, the default): a two-level parametric
bootstrap of the estimator's error.

*Level 1.* For each replicate :math:`b = 1..B`, scores :math:`z^{(b)}` are drawn from the fitted
posterior, their in-sample correlations redrawn from the prior (:func:`_with_prior_correlation`:
the likelihood barely identifies them, and per-factor variance explained depends on them through
the cross terms between factors), and, with the posterior-mean covariate effects and *debiased* loadings :math:`\hat w`,
:math:`\hat w_{dk}^2 = \max(\mathbb E[w_{dk}]^2 - \mathrm{Var}(w_{dk}), 0)` with the sign of the
posterior mean, taken as the truth. A posterior mean carries fitted noise, so its square
over-states the squared loading by about its variance: features without signal get small non-zero
loadings, and a truth made of posterior means counts that fitted noise as signal, which hides part
of the estimator's noise-fitting bias (drawn loadings hide all of it). The positive part sets
loadings within one posterior sd of zero exactly to zero. A data set is simulated from the
generative model with them (fitted noise precisions, likelihood draws for non-Gaussian views, the
same missingness pattern), the model is refitted warm-started from the fitted solution
(``bootstrap_sweeps`` CAVI sweeps, hyper-parameters re-estimated, active cells and factor labels
kept, so no label switching arises) and the error
:math:`\delta_1^{(b)} = \hat R^{2(b)} - R^2(z^{(b)}, \hat w)` is recorded (``r2_bootstrap_errors_``).

*Level 2.*  The bootstrap truth :math:`\hat w` is itself an estimate (it carries fitted noise),
so the level-1 errors are those of the estimator at :math:`\hat w`, not at the unknown :math:`w`.
From each level-1 refit one more data set is simulated, with that refit as the truth, and refitted
the same way, giving :math:`\delta_2^{(b)}` (``r2_bootstrap_errors2_``): the error at a truth one
estimation step further away.  This is the iterated bootstrap (Hall 1992; Davidson & MacKinnon's
*fast double bootstrap* uses one inner replicate in the same way):

* bias: :math:`\tilde b = 2\bar\delta_1 - \bar\delta_2` (second-order bias correction: the drift of
  the bias from :math:`\hat w` to the level-1 refits estimates its drift from :math:`w` to
  :math:`\hat w`);
* spread: the pivot :math:`\hat R^2 - \tilde b - R^2` behaves like
  :math:`\delta_1^{(b)} - \delta_2^{(b)}` (the error minus the bias estimated at its own data
  set), whose variance over-counts the Monte Carlo variance of a one-replicate bias by
  :math:`s_1^2` against the :math:`s_1^2/B` that the averaged bias carries, so
  :math:`s^2 = \max\bigl(\widehat{\mathrm{Var}}(\delta_1 - \delta_2) - s_1^2 (1 - 1/B),\; s_1^2 (1 + 1/B)\bigr)`,
  with :math:`s_1^2` the variance of the level-1 errors (the floor is the error at a known bias).

The draws of :math:`R^2` behind :meth:`~LatentFactorModel.variance_explained_summary` and
:meth:`~LatentFactorModel.active_probability` are :math:`\hat R^2 - \tilde b - s\, t_{B-1}` plus the
centred mean-field draws (the Student-:math:`t` carries the estimation of :math:`s` from :math:`B`
replicates); cells switched off in a view stay exactly 0.  Nothing is tuned on simulations.

*Coverage.*  Simulations with the issue's design (200 patients; 150 imaging features, 30
mutations; 10 % of patients without imaging; seeds 0-7 at default signal and at signal 0.5; 90 %
intervals of the true active cells): with 1,000 genes 93 % of 173 cells (default signal 89 %:
imaging 94 %, expression 84 %, mutations 88 %; signal 0.5: 98 %); with 300 genes 91 % of 176
cells (default signal 85 %, signal 0.5 97 %).  The misses are mostly true values below the
interval (all 12 at 1,000 genes): what is left is bias the correction does not fully remove; at
signal 0.5 the intervals are conservative (the pivot's spread over-states the error's sd there).
Refits of data simulated with the *true* scores and loadings reproduce the real errors, and so do
refits with the true loadings and fitted scores, but not with debiased loadings (rescaled or not):
the fitted loadings and scores lack the cohort's cross terms between correlated factors, hence the
redrawn score correlations (:func:`_with_prior_correlation`; without them 86-88 % at 1,000 genes,
imaging at default signal 84 %; with posterior-mean loadings as the truth 83 %).  Neither
refitting from scratch (5-10 times the cost) nor 20 sweeps per refit instead of 5 changes the
coverage.  Mean-field draws
alone cover 20-35 %.  The bootstrap costs one to two times the fit itself (``2B`` warm refits of
``bootstrap_sweeps`` sweeps) up to ``bootstrap_max_features`` (2,000) features per view; a wider
view enters it through that many random features, which keeps its cost flat (20,000 genes: 4-6 s
instead of 36 s) and can only widen that view's intervals.

Factor scores
-------------
:math:`q(z_n)` conditions on the loadings, so its sds miss the loading uncertainty and the
coupling that mean field drops.  The level-1 replicates measure this directly: for every factor,
the mean squared standardised error :math:`\kappa_k^2 = \mathrm{mean}_{b,n}
\bigl((\hat z^{(b)}_{nk} - z^{(b)}_{nk}) / \mathrm{sd}^{(b)}_{nk}\bigr)^2` of the refitted scores
against the bootstrap truth; :meth:`~LatentFactorModel.factor_scores_sd` (and ``transform(...,
return_sd=True)``) multiply the mean-field sds by :math:`\max(\kappa_k, 1)`
(``score_sd_inflation_``, typically 1.02-1.10).  In the simulations above this moves the coverage of
90 % score intervals from 86-90 % to 88-92 %.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> z = rng.normal(size=(60, 1))
>>> ids = [f"p{i}" for i in range(60)]
>>> img = pd.DataFrame(z @ rng.normal(size=(1, 8)) + 0.1 * rng.normal(size=(60, 8)), index=ids)
>>> rna = pd.DataFrame(z @ rng.normal(size=(1, 12)) + 0.1 * rng.normal(size=(60, 12)), index=ids)
>>> model = LatentFactorModel(n_factors=3, likelihoods={"imaging": "gaussian", "rna": "gaussian"},
...                           max_iter=5000)  # tiny data: pruning the unused factors takes many sweeps
>>> model = model.fit({"imaging": img, "rna": rna}, random_seed=1)
>>> model.factor_scores().shape[1]  # unused factors are pruned
1
>>> bool(abs(np.corrcoef(model.factor_scores().iloc[:, 0], z[:, 0])[0, 1]) > 0.95)
True
"""

from __future__ import annotations

import copy
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from scipy.special import digamma, gammaln, log_expit

from radiocausal.errors import ConvergenceWarning, DataError, DataWarning, ModelError
from radiocausal.models import _factors_likelihoods as _lik
from radiocausal.models._factors_dag import add_factor_nodes
from radiocausal.models._factors_likelihoods import SUPPORTED_LIKELIHOODS, jj_lambda
from radiocausal.models._factors_simulate import simulate_factor_data

__all__ = ["LatentFactorModel", "add_factor_nodes", "align_factors", "simulate_factor_data", "SUPPORTED_LIKELIHOODS"]

_A0 = 1e-3  # Gamma(a0, b0) hyper-prior of ARD and noise precisions
_B0 = 1e-3
_PRUNE_TOL = 1e-4  # relative ELBO change below which inactive factors are switched off
_PRUNE_HORIZON = 10  # checks (of >= 5 sweeps) over which a small cell's growth is extrapolated
_BETA0 = 1e-2  # prior precision of covariate coefficients (sd 10 on the standardised scale)


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------
@contextmanager
def _blas_threads(n_threads: int | None) -> Iterator[None]:
    """Limit BLAS threads (thin matrix products are slower with many threads)."""
    if n_threads is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=int(n_threads), user_api="blas"):
        yield


def _gamma_kl(a: np.ndarray, b: np.ndarray, a0: float, b0: float) -> float:
    """Sum of KL(Gamma(a, b) || Gamma(a0, b0)), shape-rate parametrisation."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    kl = (a - a0) * digamma(a) - gammaln(a) + gammaln(a0) + a0 * (np.log(b) - np.log(b0)) + a * (b0 - b) / b
    return float(np.sum(kl))


_SPD_INV = None


def _spd_inv_kernel():
    """Compile (once, cached on disk) the batched SPD inverse used by every CAVI update.

    ``kernel(prec, cov, logdet)`` factors each ``prec[i]`` as ``L L'`` (lower triangle read),
    writes ``cov[i] = prec[i]^-1`` (symmetric) and ``logdet[i] = log|cov[i]|`` and returns the
    index of the first matrix that is not positive definite (or has a NaN), or -1.  For the small
    matrices here (factors × factors) it takes a third to a half of the time of
    ``np.linalg.cholesky`` plus ``np.linalg.inv`` on the stack.
    """
    global _SPD_INV
    if _SPD_INV is not None:
        return _SPD_INV
    import numba

    from radiocausal._kernels import cholesky_kernel

    cholesky = cholesky_kernel()

    # fast-math without the no-NaN/no-inf assumptions, so that a NaN entry still fails the check
    @numba.njit(cache=True, fastmath={"reassoc", "contract", "arcp", "nsz"})
    def kernel(prec, cov, logdet):  # pragma: no cover - compiled
        n, k = prec.shape[0], prec.shape[1]
        low = np.empty((k, k))
        inv_low = np.empty((k, k))
        for i in range(n):
            if not cholesky(prec[i], low, k):
                return i
            ld = 0.0
            for c in range(k):
                ld += np.log(low[c, c])
            for c in range(k):  # L^-1 by forward substitution (lower triangular)
                for r in range(k):
                    if r < c:
                        inv_low[r, c] = 0.0
                        continue
                    acc = 1.0 if r == c else 0.0
                    for j in range(c, r):
                        acc -= low[r, j] * inv_low[j, c]
                    inv_low[r, c] = acc / low[r, r]
            out = cov[i]
            for r in range(k):  # (L L')^-1 = L^-T L^-1
                for c in range(r + 1):
                    acc = 0.0
                    for j in range(r, k):
                        acc += inv_low[j, r] * inv_low[j, c]
                    out[r, c] = acc
                    out[c, r] = acc
            logdet[i] = -2.0 * ld
        return -1

    _SPD_INV = kernel
    return kernel


def _batched_inv_logdet(prec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse and log-determinant of the inverse of a stack of SPD matrices.

    Raises :class:`numpy.linalg.LinAlgError` when a matrix is not positive definite.
    """
    prec = np.ascontiguousarray(prec, dtype=float)
    stack = prec.reshape(int(np.prod(prec.shape[:-2])), *prec.shape[-2:])
    cov = np.empty_like(stack)
    logdet = np.empty(stack.shape[0])
    bad = _spd_inv_kernel()(stack, cov, logdet)
    if bad >= 0:
        raise np.linalg.LinAlgError(f"matrix {bad} of the stack is not positive definite")
    return cov.reshape(prec.shape), logdet.reshape(prec.shape[:-2])


def align_factors(
    scores: pd.DataFrame | np.ndarray, reference: pd.DataFrame | np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Match the factors of ``scores`` to those of ``reference`` (label switching and sign flips).

    Factors are paired by maximising the total absolute correlation (Hungarian algorithm) over
    the rows (patients) both share.

    Parameters
    ----------
    scores, reference : DataFrame or ndarray
        Patients × factors.  DataFrames are aligned on their index; arrays must have equal rows.

    Returns
    -------
    order : ndarray of int
        ``order[j]`` is the column of ``scores`` matched to reference column ``j`` (``-1`` when the
        reference has more factors than ``scores``).
    signs : ndarray of float
        ``+1`` or ``-1`` to multiply the matched column by.
    abs_corr : ndarray of float
        Absolute correlation of each matched pair (``nan`` when unmatched).

    Examples
    --------
    >>> import numpy as np
    >>> ref = np.random.default_rng(0).normal(size=(50, 2))
    >>> order, signs, r = align_factors(-ref[:, ::-1], ref)
    >>> order.tolist(), signs.tolist(), bool(np.all(r > 0.999))
    ([1, 0], [-1.0, -1.0], True)
    """
    if isinstance(scores, pd.DataFrame) and isinstance(reference, pd.DataFrame):
        common = scores.index.intersection(reference.index)
        if len(common) < 3:
            raise DataError(
                f"align_factors: scores and reference share {len(common)} patients; expected at least 3"
            )
        s = scores.loc[common].to_numpy(dtype=float)
        r = reference.loc[common].to_numpy(dtype=float)
    else:
        s = np.asarray(scores, dtype=float)
        r = np.asarray(reference, dtype=float)
        if s.ndim != 2 or r.ndim != 2 or s.shape[0] != r.shape[0]:
            raise DataError(
                f"align_factors: expected two 2-D arrays with equal rows, got shapes {s.shape} and {r.shape}"
            )
    sc = (s - s.mean(0)) / np.where(s.std(0) > 0, s.std(0), 1.0)
    rc = (r - r.mean(0)) / np.where(r.std(0) > 0, r.std(0), 1.0)
    corr = rc.T @ sc / s.shape[0]  # reference × scores
    rows, cols = linear_sum_assignment(-np.abs(corr))
    order = np.full(r.shape[1], -1, dtype=int)
    signs = np.ones(r.shape[1])
    abs_corr = np.full(r.shape[1], np.nan)
    for i, j in zip(rows, cols, strict=True):
        order[i] = j
        signs[i] = 1.0 if corr[i, j] >= 0 else -1.0
        abs_corr[i] = abs(corr[i, j])
    return order, signs, abs_corr


# ----------------------------------------------------------------------------------------------
# data preparation
# ----------------------------------------------------------------------------------------------
@dataclass
class _View:
    name: str
    likelihood: str
    features: pd.Index
    y: np.ndarray  # N × D, zeros where missing
    mask: np.ndarray  # N × D, float 1/0
    center: np.ndarray  # D (gaussian standardisation)
    scale: np.ndarray  # D
    trials: np.ndarray | None = None  # D: trials (bernoulli/binomial) or dispersion r (negbinomial)

    def __post_init__(self) -> None:
        self._set_data()
        self.n_obs = self.mask.sum(axis=0)  # D
        # with few missing entries, products with the mask go through the sparse complement
        self._miss = None
        if self.mask.size and 1.0 - self.mask.mean() < 0.25:
            self._miss = sparse.csr_matrix(1.0 - self.mask)
            self._miss_t = self._miss.T.tocsr()

    def _set_data(self) -> None:
        """Statistics that depend on the values (not only on the missingness pattern)."""
        self.my = self.mask * self.y  # N × D, masked data
        if self.likelihood != "gaussian":
            self.tt = _lik.totals(self.likelihood, self.y, self.mask, self.trials)  # N × D totals T
            self.log_c = _lik.log_normaliser(self.likelihood, self.y, self.mask, self.trials)
            self.r2_mask = self.mask * _lik.r2_feature_weights(self.likelihood, self.y, self.mask)[None, :]
        self.sum_my2 = np.sum(self.my * self.y, axis=0)  # D

    def with_values(self, y: np.ndarray) -> _View:
        """The same view (features, missingness) with other values (zeros where missing)."""
        new = copy.copy(self)
        new.y = y * self.mask
        new._set_data()
        return new

    def mask_t_dot(self, m: np.ndarray) -> np.ndarray:
        """``mask.T @ m`` (features × columns of ``m``)."""
        if self._miss is None:
            return self.mask.T @ m
        return np.broadcast_to(m.sum(axis=0), (self.mask.shape[1], m.shape[1])) - self._miss_t @ m

    def mask_dot(self, r: np.ndarray) -> np.ndarray:
        """``mask @ r`` (patients × columns of ``r``)."""
        if self._miss is None:
            return self.mask @ r
        return np.broadcast_to(r.sum(axis=0), (self.mask.shape[0], r.shape[1])) - self._miss @ r


@dataclass
class _ViewState:
    ew: np.ndarray  # D × K
    sw: np.ndarray  # D × K × K  (posterior covariance of w_d)
    eb: np.ndarray  # D × P
    sb: np.ndarray  # D × P × P
    a_alpha: np.ndarray  # K
    b_alpha: np.ndarray  # K
    a_lam: float
    b_lam: np.ndarray  # D × K
    a_tau: np.ndarray  # D (gaussian)
    b_tau: np.ndarray  # D
    xi: np.ndarray | None  # N × D (logistic-family views)
    on: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # K: factor active in view
    logdet_sw: np.ndarray = field(default_factory=lambda: np.zeros(0))
    logdet_sb: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def e_alpha(self) -> np.ndarray:
        return self.a_alpha / self.b_alpha

    @property
    def e_lam(self) -> np.ndarray:
        return self.a_lam / self.b_lam

    @property
    def e_tau(self) -> np.ndarray:
        return self.a_tau / self.b_tau

    def eww(self) -> np.ndarray:
        """E[w_d w_d^T] flattened to D × K²."""
        d, k = self.ew.shape
        return (self.sw + self.ew[:, :, None] * self.ew[:, None, :]).reshape(d, k * k)


@dataclass
class _FitState:
    ez: np.ndarray  # N × K
    sz: np.ndarray  # N × K × K
    logdet_sz: np.ndarray  # N
    views: dict[str, _ViewState]

    def ezz(self) -> np.ndarray:
        n, k = self.ez.shape
        return (self.sz + self.ez[:, :, None] * self.ez[:, None, :]).reshape(n, k * k)


def _encode_covariates(cov: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Standardise numeric covariates and one-hot encode categorical ones (first level dropped)."""
    spec: dict[str, Any] = {"numeric": {}, "categorical": {}}
    parts = []
    for col in cov.columns:
        s = cov[col]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            levels = sorted(pd.unique(s.astype(str)))
            spec["categorical"][col] = levels
            for lev in levels[1:]:
                parts.append(pd.Series((s.astype(str) == lev).astype(float), index=cov.index, name=f"{col}[{lev}]"))
        else:
            mu = float(s.mean())
            sd = float(s.std(ddof=0))
            sd = sd if sd > 0 else 1.0
            spec["numeric"][col] = (mu, sd)
            parts.append(((s.astype(float) - mu) / sd).rename(str(col)))
    enc = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=cov.index)
    return enc, spec


def _apply_covariate_encoding(cov: pd.DataFrame, spec: dict[str, Any]) -> pd.DataFrame:
    parts = []
    for col, (mu, sd) in spec["numeric"].items():
        parts.append(((cov[col].astype(float) - mu) / sd).rename(str(col)))
    for col, levels in spec["categorical"].items():
        s = cov[col].astype(str)
        unknown = sorted(set(s) - set(levels))
        if unknown:
            raise DataError(
                f"covariates: column {col!r} has levels {unknown} not seen during fit; expected one of {levels}"
            )
        for lev in levels[1:]:
            parts.append(pd.Series((s == lev).astype(float), index=cov.index, name=f"{col}[{lev}]"))
    return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=cov.index)


# ----------------------------------------------------------------------------------------------
# the model
# ----------------------------------------------------------------------------------------------
class LatentFactorModel:
    """Multi-view Bayesian factor model with ARD, covariates and missing views (see module docs).

    Parameters
    ----------
    n_factors : int
        Maximum number of factors.  Factors that explain less than ``prune_threshold`` of the
        variance of every view are removed during fitting, so asking for more than needed is safe.
    likelihoods : mapping of str to str
        Likelihood of each view: ``"gaussian"`` (radiomics, log-expression), ``"bernoulli"``
        (mutations), ``"binomial"`` (ordinal copy-number levels 0..T, or counts out of T) or
        ``"negbinomial"`` (unbounded counts such as raw read counts); see
        :mod:`radiocausal.models._factors_likelihoods`.  Its keys name the views that :meth:`fit`
        expects.
    covariates : DataFrame or Series, optional
        Nuisance covariates (site, batch, scanner, age, ...) indexed by patient; they are regressed
        out inside the model.  Must cover every fitted patient and may also hold rows for new
        patients used by :meth:`transform`.  Non-numeric columns are treated as categorical.
    noise : {"feature", "view"}
        Per-feature or per-view noise precision for Gaussian views.
    loading_df : float
        Degrees of freedom :math:`\\nu` of the Student-:math:`t` shrinkage prior on loadings.
    prune_threshold : float
        Factors whose variance explained (at the posterior mean) stays below this in every view are
        removed, and so are factors active in a single view whose loadings sit on essentially one
        feature there (Heywood cases).  Use ``0`` to keep all factors.
    activity_threshold : float
        A factor is *active* in a view when its variance explained exceeds this value;
        :meth:`active_probability` gives the posterior probability of that event.
    max_iter : int
        Maximum number of CAVI sweeps per restart.
    tol : float
        Convergence tolerance on the relative change of the ELBO.
    n_draws : int
        Draws from the variational posterior used for intervals and activity probabilities.
    n_bootstrap : int
        Replicates of each level of the two-level parametric bootstrap that calibrates the
        intervals of variance explained and the factor-score sds (``2 * n_bootstrap`` warm refits;
        see *Variance explained* in the module docs); ``0`` keeps the plain mean-field draws,
        whose intervals are far too narrow.
    bootstrap_sweeps : int
        CAVI sweeps of each warm-started bootstrap refit.
    n_threads : int or None
        BLAS threads used while fitting (``None`` leaves the BLAS default).  The updates are many
        thin matrix products, for which one thread is usually fastest.
    n_trials : mapping of str to int, optional
        Number of trials of each ``"binomial"`` view (e.g. ``4`` for copy-number levels 0..4);
        by default the largest observed value of the view.
    bootstrap_max_features : int or None
        Views with more features enter the bootstrap through this many random features (the
        bootstrap's cost then stops growing with the number of genes; the intervals of such views
        are, if anything, wider); ``None`` uses every feature.

    Attributes
    ----------
    n_factors_ : int
        Factors kept after pruning; named ``factor_names_`` (``"Factor1"``, ...).
    patients_ : Index
        Fitted patients (the union of the views' indices).
    elbo_ : ndarray
        ELBO after every sweep; ``NaN`` marks a pruning.
    converged_ : bool
        Whether the relative ELBO change fell below ``tol``.
    score_sd_inflation_ : ndarray
        Per factor, the bootstrap inflation applied by :meth:`factor_scores_sd` (ones without
        bootstrap).
    r2_bootstrap_errors_ : ndarray
        Level-1 bootstrap errors of variance explained (replicates × factors × views).
    r2_bootstrap_errors2_ : ndarray
        Level-2 bootstrap errors (replicates × factors × views).
    timings_ : dict
        Seconds spent in the CAVI fit (``"cavi_s"``, or ``"nuts_s"``) and in the posterior
        summaries and bootstrap (``"summaries_s"``).
    method_ : str
        ``"cavi"`` or ``"nuts"``.
    idata_ : InferenceData
        After ``method="nuts"``: the sampler's output (chains not aligned).
    nuts_rhat_, nuts_chain_agreement_ : ndarray
        After ``method="nuts"``: per factor, the largest r_hat of the aligned scores and the
        smallest absolute correlation between a chain's matched scores and chain 0's;
        ``converged_`` requires at most 1.1 and at least 0.9 for the factors in use (otherwise a
        ConvergenceWarning).

    Examples
    --------
    >>> model = LatentFactorModel(n_factors=5, likelihoods={"imaging": "gaussian", "mutations": "bernoulli"})
    >>> model.n_factors
    5
    """

    def __init__(
        self,
        n_factors: int = 10,
        likelihoods: Mapping[str, str] | None = None,
        covariates: pd.DataFrame | pd.Series | None = None,
        *,
        noise: str = "feature",
        loading_df: float = 2.0,
        prune_threshold: float = 0.005,
        activity_threshold: float = 0.01,
        max_iter: int = 1000,
        tol: float = 1e-7,
        n_draws: int = 200,
        n_bootstrap: int = 20,
        bootstrap_sweeps: int = 5,
        n_threads: int | None = 1,
        n_trials: Mapping[str, int] | None = None,
        bootstrap_max_features: int | None = 2000,
    ) -> None:
        self.n_factors = n_factors
        self.likelihoods = likelihoods
        self.covariates = covariates
        self.noise = noise
        self.loading_df = loading_df
        self.prune_threshold = prune_threshold
        self.activity_threshold = activity_threshold
        self.max_iter = max_iter
        self.tol = tol
        self.n_draws = n_draws
        self.n_bootstrap = n_bootstrap
        self.bootstrap_sweeps = bootstrap_sweeps
        self.n_threads = n_threads
        self.n_trials = n_trials
        self.bootstrap_max_features = bootstrap_max_features

    # ------------------------------------------------------------------ validation / preparation
    def _check_params(self) -> dict[str, str]:
        if isinstance(self.n_factors, bool) or not isinstance(self.n_factors, (int, np.integer)) or self.n_factors < 1:
            raise ModelError(f"n_factors must be a positive integer, got {self.n_factors!r}")
        if not isinstance(self.likelihoods, Mapping) or len(self.likelihoods) == 0:
            raise ModelError(
                f"likelihoods must be a non-empty mapping view -> likelihood, got {self.likelihoods!r}"
            )
        liks = {}
        for view, lik in self.likelihoods.items():
            name = str(lik).lower() if isinstance(lik, str) else lik
            if name not in SUPPORTED_LIKELIHOODS:
                hint = ""
                if name in ("poisson", "counts", "nb", "negative_binomial", "negativebinomial"):
                    hint = (
                        " (for raw counts use 'negbinomial': its dispersion is estimated per feature, "
                        "and a Poisson-like feature gets the Poisson limit)"
                    )
                elif name in ("ordinal", "categorical", "multinomial"):
                    hint = " (for ordinal levels such as copy-number states use 'binomial' with n_trials)"
                raise ModelError(
                    f"likelihoods[{view!r}] = {lik!r} is not supported; expected one of "
                    f"{list(SUPPORTED_LIKELIHOODS)}{hint}"
                )
            liks[view] = name
        if self.noise not in ("feature", "view"):
            raise ModelError(f"noise must be 'feature' or 'view', got {self.noise!r}")
        if not (self.loading_df > 0):
            raise ModelError(f"loading_df must be positive, got {self.loading_df!r}")
        if not (0 <= self.prune_threshold < 1):
            raise ModelError(f"prune_threshold must be in [0, 1), got {self.prune_threshold!r}")
        if not (0 <= self.activity_threshold < 1):
            raise ModelError(f"activity_threshold must be in [0, 1), got {self.activity_threshold!r}")
        if int(self.max_iter) < 1:
            raise ModelError(f"max_iter must be a positive integer, got {self.max_iter!r}")
        if int(self.n_draws) < 10:
            raise ModelError(f"n_draws must be at least 10, got {self.n_draws!r}")
        if isinstance(self.n_bootstrap, bool) or int(self.n_bootstrap) != self.n_bootstrap or not (
            self.n_bootstrap == 0 or self.n_bootstrap >= 3
        ):
            raise ModelError(f"n_bootstrap must be 0 (no bootstrap) or an integer >= 3, got {self.n_bootstrap!r}")
        if int(self.bootstrap_sweeps) < 1:
            raise ModelError(f"bootstrap_sweeps must be a positive integer, got {self.bootstrap_sweeps!r}")
        if self.bootstrap_max_features is not None and int(self.bootstrap_max_features) < 10:
            raise ModelError(f"bootstrap_max_features must be None or at least 10, got {self.bootstrap_max_features!r}")
        return liks

    @staticmethod
    def _check_frame(view: str, df: Any) -> pd.DataFrame:
        if not isinstance(df, pd.DataFrame):
            raise DataError(f"views[{view!r}] must be a pandas DataFrame indexed by patient, got {type(df).__name__}")
        if df.shape[0] == 0 or df.shape[1] == 0:
            raise DataError(f"views[{view!r}] is empty (shape {df.shape}); expected patients × features")
        if df.index.has_duplicates:
            dup = df.index[df.index.duplicated()].unique()[:5].tolist()
            raise DataError(f"views[{view!r}] has duplicated patient ids in its index, e.g. {dup}")
        if df.columns.has_duplicates:
            dup = df.columns[df.columns.duplicated()].unique()[:5].tolist()
            raise DataError(f"views[{view!r}] has duplicated feature names, e.g. {dup}")
        bad = [c for c in df.columns if not (pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]))]
        if bad:
            raise DataError(f"views[{view!r}] has non-numeric features {bad[:5]}; expected numbers (NaN = missing)")
        return df

    def _prepare_views(self, views: Mapping[str, pd.DataFrame], liks: dict[str, str]) -> tuple[pd.Index, list[_View]]:
        if not isinstance(views, Mapping) or len(views) == 0:
            raise DataError(f"views must be a non-empty dict view -> DataFrame, got {type(views).__name__}")
        missing = [v for v in liks if v not in views]
        extra = [v for v in views if v not in liks]
        if missing or extra:
            raise DataError(
                f"views and likelihoods must name the same views; missing from views: {missing}, "
                f"without a likelihood: {extra}"
            )
        frames = {v: self._check_frame(v, views[v]) for v in liks}
        if len(frames) > 1:
            for v, df in frames.items():
                others = pd.Index([]).append([f.index for w, f in frames.items() if w != v])
                if len(df.index.intersection(others)) == 0:
                    raise DataError(
                        f"views[{v!r}] shares no patient id with the other views (its index starts "
                        f"{df.index[:3].tolist()}, theirs {others[:3].tolist()}); the indices look misaligned. "
                        "Index every view by the same patient ids"
                    )
        patients = frames[next(iter(frames))].index
        for df in list(frames.values())[1:]:
            patients = patients.union(df.index, sort=False)
        prepared = []
        for v, lik in liks.items():
            df = frames[v].reindex(patients).astype(float)
            arr = df.to_numpy(dtype=float, copy=True)
            mask = np.isfinite(arr)
            if np.isinf(arr).any():
                raise DataError(f"views[{v!r}] contains infinite values; use NaN for missing values")
            empty = np.flatnonzero(~mask.any(axis=0))
            if empty.size:
                raise DataError(
                    f"views[{v!r}] has features with no observed value (all NaN): "
                    f"{df.columns[empty][:5].tolist()}; drop them before fitting"
                )
            trials = None
            if lik != "gaussian":
                n_trials = (self.n_trials or {}).get(v)
                trials, const = _lik.prepare_logistic_view(v, lik, arr, mask, n_trials)
                center = np.zeros(arr.shape[1])
                scale = np.ones(arr.shape[1])
            else:
                center = np.nanmean(arr, axis=0)
                scale = np.nanstd(arr, axis=0)
                const = ~(scale > 1e-12 * np.maximum(1.0, np.abs(center)))
                scale = np.where(const, 1.0, scale)
                arr = (arr - center) / scale
            if const.any():
                warnings.warn(
                    f"views[{v!r}] has {int(const.sum())} constant features (e.g. {df.columns[const][:3].tolist()}); "
                    "they carry no information about the factors",
                    DataWarning,
                    stacklevel=3,
                )
            arr[~mask] = 0.0
            prepared.append(_View(v, lik, df.columns, arr, mask.astype(float), center, scale, trials))
        return patients, prepared

    def _covariate_matrix(self, patients: pd.Index, covariates: Any, *, fitting: bool) -> np.ndarray:
        n = len(patients)
        if covariates is None:
            if not fitting and self.covariate_spec_ is not None:
                raise DataError(
                    "the model was fitted with covariates; pass covariates for the new patients "
                    "(transform(..., covariates=...)) or include them in the constructor's covariates"
                )
            return np.ones((n, 1))
        cov = covariates.to_frame() if isinstance(covariates, pd.Series) else covariates
        if not isinstance(cov, pd.DataFrame):
            raise DataError(f"covariates must be a DataFrame or Series indexed by patient, got {type(covariates).__name__}")
        if cov.index.has_duplicates:
            raise DataError("covariates have duplicated patient ids in their index")
        absent = patients.difference(cov.index)
        if len(absent):
            raise DataError(
                f"covariates are missing for {len(absent)} patients, e.g. {absent[:5].tolist()}; "
                "expected a row for every patient of the views (check the indices are aligned)"
            )
        cov = cov.loc[patients]
        if cov.isna().to_numpy().any():
            cols = cov.columns[cov.isna().any()].tolist()
            raise DataError(f"covariates contain NaN in columns {cols}; covariates must be complete")
        if fitting:
            enc, spec = _encode_covariates(cov)
            self.covariate_spec_ = spec
            self.covariate_names_ = ["intercept", *enc.columns.astype(str)]
        else:
            missing_cols = [c for c in [*self.covariate_spec_["numeric"], *self.covariate_spec_["categorical"]] if c not in cov.columns]
            if missing_cols:
                raise DataError(f"covariates lack the columns {missing_cols} used during fit")
            enc = _apply_covariate_encoding(cov, self.covariate_spec_)
        return np.column_stack([np.ones(n), enc.to_numpy(dtype=float)])

    # ------------------------------------------------------------------ CAVI
    def _init_state(self, data: list[_View], x: np.ndarray, k: int, rng: np.random.Generator) -> _FitState:
        n, p = x.shape
        blocks = []
        for v in data:
            # every view enters the PCA with the same total weight, whatever its size or scale
            nobs = np.maximum(v.mask.sum(0), 1)
            yv = np.log1p(v.y) if v.likelihood == "negbinomial" else v.y  # tame heavy-tailed counts
            mean = (yv * v.mask).sum(0) / nobs
            y = np.where(v.mask > 0, yv - mean, 0.0)
            y /= np.sqrt(max(float(np.sum(y**2)), 1e-12))
            blocks.append(y)
        # leading left singular vectors from the patients × patients Gram matrix (cheap for wide data)
        gram = sum(b @ b.T for b in blocks)
        evals, evecs = np.linalg.eigh(gram)
        u = evecs[:, ::-1]
        k_pca = min(k, n)
        ez = np.zeros((n, k))
        ez[:, :k_pca] = u[:, :k_pca] * np.sqrt(n)
        ez += 0.1 * rng.standard_normal((n, k))
        ez /= ez.std(0)
        sz = np.broadcast_to(0.1 * np.eye(k), (n, k, k)).copy()
        state = _FitState(ez=ez, sz=sz, logdet_sz=np.full(n, k * np.log(0.1)), views={})
        for v in data:
            d = v.y.shape[1]
            state.views[v.name] = _ViewState(
                ew=np.zeros((d, k)),
                sw=np.broadcast_to(np.eye(k), (d, k, k)).copy(),
                eb=np.zeros((d, p)),
                sb=np.broadcast_to(np.eye(p) / _BETA0, (d, p, p)).copy(),
                a_alpha=np.ones(k),
                b_alpha=np.ones(k),
                a_lam=1.0,
                b_lam=np.ones((d, k)),
                a_tau=np.ones(d),
                b_tau=np.ones(d),
                xi=np.zeros((n, d)) if v.likelihood != "gaussian" else None,
                on=np.ones(k, dtype=bool),
            )
        return state

    def _weights(self, v: _View, vs: _ViewState) -> tuple[np.ndarray, np.ndarray]:
        """Effective precisions T and weighted pseudo-data T*y~ (N × D)."""
        if v.likelihood == "gaussian":
            t = v.mask * vs.e_tau[None, :]
            return t, t * v.y
        return 2.0 * v.tt * jj_lambda(vs.xi), v.my - 0.5 * v.tt

    def _update_view(
        self, v: _View, vs: _ViewState, state: _FitState, x: np.ndarray, xx: np.ndarray, ezz: np.ndarray, *, elbo: bool = True
    ) -> float:
        """One sweep of the view's updates; returns the view's ELBO contribution (likelihood + KLs).

        With ``elbo=False`` (bootstrap refits) the same updates are made and 0 is returned without
        evaluating the ELBO terms.

        Every sum over patients is a matrix product of the (weighted) mask with small per-patient
        moment matrices, so no patients × features temporaries are formed for Gaussian views.
        """
        n, k = state.ez.shape
        d = v.y.shape[1]
        p = x.shape[1]
        xz = (x[:, :, None] * state.ez[:, None, :]).reshape(n, p * k)
        moments = np.hstack([xx, xz, ezz])  # N × (P² + PK + K²)
        data_moments = np.hstack([x, state.ez])  # N × (P + K)
        if v.likelihood == "gaussian":
            m_all = v.mask_t_dot(moments)  # unweighted, reused by the noise update
            y_all = v.my.T @ data_moments
            tau = vs.e_tau[:, None]
            t_all, ty_all = tau * m_all, tau * y_all
        else:
            t, ty = self._weights(v, vs)
            t_all = t.T @ moments
            ty_all = ty.T @ data_moments
        txx = t_all[:, : p * p].reshape(d, p, p)
        txz = t_all[:, p * p : p * p + p * k].reshape(d, p, k)
        tzz = t_all[:, p * p + p * k :].reshape(d, k, k)
        tyx, tyz = ty_all[:, :p], ty_all[:, p:]
        # q(beta_d)
        prec_b = _BETA0 * np.eye(p)[None] + txx
        rhs_b = tyx - np.einsum("dpk,dk->dp", txz, vs.ew)
        vs.sb, vs.logdet_sb = _batched_inv_logdet(prec_b)
        vs.eb = np.einsum("dij,dj->di", vs.sb, rhs_b)
        # q(w_d)
        # (restricted to the factors switched on in this view; the others have w = 0 exactly)
        on = np.flatnonzero(vs.on)
        prior_w = vs.e_alpha[None, on] * vs.e_lam[:, on]  # D × K_on
        prec_w = tzz[:, on][:, :, on].copy()
        ion = np.arange(len(on))
        prec_w[:, ion, ion] += prior_w
        rhs_w = (tyz - np.einsum("dpk,dp->dk", txz, vs.eb))[:, on]
        sw_on, vs.logdet_sw = _batched_inv_logdet(prec_w)
        vs.sw = np.zeros((d, k, k))
        vs.sw[:, on[:, None], on[None, :]] = sw_on
        vs.ew = np.zeros((d, k))
        vs.ew[:, on] = np.einsum("dij,dj->di", sw_on, rhs_w)
        idx = np.arange(k)
        ew2 = vs.ew**2 + vs.sw[:, idx, idx]
        # q(lambda_dk) then q(alpha_mk)
        nu = self.loading_df
        vs.a_lam = nu / 2 + 0.5
        vs.b_lam = nu / 2 + 0.5 * vs.e_alpha[None, :] * ew2
        vs.a_alpha = _A0 + 0.5 * d * np.ones(k)
        vs.b_alpha = _B0 + 0.5 * (vs.e_lam * ew2).sum(0)
        # noise / JJ bound and likelihood term
        eww = vs.eww()
        if v.likelihood == "gaussian":
            # sum over observed n of E[(y - psi)^2], expanded into the moment statistics
            mxx = m_all[:, : p * p]
            mxz = m_all[:, p * p : p * p + p * k].reshape(d, p, k)
            mzz = m_all[:, p * p + p * k :]
            ebb = (vs.sb + vs.eb[:, :, None] * vs.eb[:, None, :]).reshape(d, p * p)
            sq = (
                v.sum_my2
                - 2.0 * (np.sum(y_all[:, :p] * vs.eb, 1) + np.sum(y_all[:, p:] * vs.ew, 1))
                + np.sum(mxx * ebb, 1)
                + 2.0 * np.einsum("dp,dpk,dk->d", vs.eb, mxz, vs.ew)
                + np.sum(mzz * eww, 1)
            )
            n_obs = v.n_obs
            if self.noise == "feature":
                vs.a_tau = _A0 + 0.5 * n_obs
                vs.b_tau = _B0 + 0.5 * sq
            else:
                vs.a_tau = np.full(d, _A0 + 0.5 * n_obs.sum())
                vs.b_tau = np.full(d, _B0 + 0.5 * sq.sum())
            if not elbo:
                return 0.0
            one = slice(None) if self.noise == "feature" else slice(0, 1)
            kl_tau = _gamma_kl(vs.a_tau[one], vs.b_tau[one], _A0, _B0)
            e_log_tau = digamma(vs.a_tau) - np.log(vs.b_tau)
            loglik = float(np.sum(0.5 * n_obs * (e_log_tau - np.log(2 * np.pi)) - 0.5 * vs.e_tau * sq))
        else:
            off = x @ vs.eb.T
            zw = state.ez @ vs.ew.T
            e_psi = off + zw
            e_psi2 = off**2 + xx @ vs.sb.reshape(d, p * p).T + 2 * off * zw + ezz @ eww.T
            vs.xi = np.sqrt(np.maximum(e_psi2, 1e-12))
            if not elbo:
                return 0.0
            loglik = float(np.sum(v.tt * (log_expit(vs.xi) - vs.xi / 2) + (v.my - 0.5 * v.tt) * e_psi)) + v.log_c
            kl_tau = 0.0
        # KL terms of the view's parameters (switched-off cells are point masses at 0, no KL)
        e_log_alpha = (digamma(vs.a_alpha) - np.log(vs.b_alpha))[on]
        e_log_lam = (digamma(vs.a_lam) - np.log(vs.b_lam))[:, on]
        prior_w = vs.e_alpha[None, on] * vs.e_lam[:, on]
        kl_w = -float(
            np.sum(0.5 * (e_log_alpha[None, :] + e_log_lam) - 0.5 * prior_w * ew2[:, on])
            + 0.5 * np.sum(vs.logdet_sw)
            + 0.5 * d * len(on)
        )
        eb2 = (vs.eb**2).sum(1) + np.trace(vs.sb, axis1=1, axis2=2)
        kl_b = float(np.sum(0.5 * (_BETA0 * eb2 - p - p * np.log(_BETA0) - vs.logdet_sb)))
        kl_alpha = _gamma_kl(vs.a_alpha[on], vs.b_alpha[on], _A0, _B0)
        kl_lam = _gamma_kl(np.full((d, len(on)), vs.a_lam), vs.b_lam[:, on], nu / 2, nu / 2)
        return loglik - kl_w - kl_b - kl_alpha - kl_lam - kl_tau

    def _update_z(self, data: list[_View], state: _FitState, x: np.ndarray) -> None:
        n, k = state.ez.shape
        prec = np.broadcast_to(np.eye(k), (n, k, k)).copy()
        rhs = np.zeros((n, k))
        p = x.shape[1]
        for v in data:
            vs = state.views[v.name]
            bw = (vs.eb[:, :, None] * vs.ew[:, None, :]).reshape(-1, p * k)  # D × PK
            right = np.hstack([vs.eww(), bw])
            if v.likelihood == "gaussian":
                tau = vs.e_tau[:, None]
                left = v.mask_dot(tau * right)
                rhs += v.my @ (tau * vs.ew)
            else:
                t, ty = self._weights(v, vs)
                left = t @ right
                rhs += ty @ vs.ew
            prec += left[:, : k * k].reshape(n, k, k)
            rhs -= np.einsum("np,npk->nk", x, left[:, k * k :].reshape(n, p, k))
        state.sz, state.logdet_sz = _batched_inv_logdet(prec)
        state.ez = np.einsum("nij,nj->ni", state.sz, rhs)

    @staticmethod
    def _kl_z(state: _FitState) -> float:
        k = state.ez.shape[1]
        tr = np.trace(state.sz, axis1=1, axis2=2) + (state.ez**2).sum(1)
        return float(np.sum(0.5 * (tr - k - state.logdet_sz)))

    def _update_xi_only(self, data: list[_View], state: _FitState, x: np.ndarray) -> None:
        """Update the JJ parameters of Bernoulli views for fixed loadings (used by transform)."""
        ezz = state.ezz()
        for v in data:
            if v.likelihood == "gaussian":
                continue
            vs = state.views[v.name]
            d, p = vs.eb.shape
            off = x @ vs.eb.T
            zw = state.ez @ vs.ew.T
            e_psi2 = off**2 + (x[:, :, None] * x[:, None, :]).reshape(len(x), -1) @ vs.sb.reshape(d, p * p).T
            e_psi2 = e_psi2 + 2 * off * zw + ezz @ vs.eww().T
            vs.xi = np.sqrt(np.maximum(e_psi2, 1e-12))

    def _r2_point(self, data: list[_View], state: _FitState, x: np.ndarray) -> np.ndarray:
        """Variance explained per factor (rows) and view (columns): posterior expectation for
        Gaussian views, value at the posterior mean for Bernoulli views (cheap, used while fitting)."""
        k = state.ez.shape[1]
        out = np.zeros((k, len(data)))
        idx = np.arange(k)
        z2 = state.ez**2 + state.sz[:, idx, idx]
        for j, v in enumerate(data):
            vs = state.views[v.name]
            w2 = vs.ew**2 + vs.sw[:, idx, idx]
            out[:, j] = _r2_from(v, x @ vs.eb.T, state.ez, vs.ew, z2, w2)
        return out

    def _prune(self, data: list[_View], state: _FitState, x: np.ndarray, keep: np.ndarray) -> None:
        state.ez = state.ez[:, keep]
        state.sz = state.sz[:, keep][:, :, keep]
        _, state.logdet_sz = _batched_inv_logdet(np.linalg.inv(state.sz))
        for v in data:
            vs = state.views[v.name]
            vs.ew = vs.ew[:, keep]
            vs.sw = vs.sw[:, keep][:, :, keep]
            vs.a_alpha = vs.a_alpha[keep]
            vs.b_alpha = vs.b_alpha[keep]
            vs.b_lam = vs.b_lam[:, keep]
            vs.on = vs.on[keep]

    def _run(self, data: list[_View], x: np.ndarray, k: int, rng: np.random.Generator) -> tuple[_FitState, list[float], bool]:
        state = self._init_state(data, x, k, rng)
        n = x.shape[0]
        xx = (x[:, :, None] * x[:, None, :]).reshape(n, -1)
        # first pass of the view updates from the PCA initialisation
        ezz = state.ezz()
        for v in data:
            self._update_view(v, state.views[v.name], state, x, xx, ezz)
        elbo: list[float] = []
        converged = False
        since_prune = 0
        since_check = 0
        prev_r2: np.ndarray | None = None
        for it in range(int(self.max_iter)):
            self._update_z(data, state, x)
            ezz = state.ezz()
            total = -self._kl_z(state)
            for v in data:
                total += self._update_view(v, state.views[v.name], state, x, xx, ezz)
            elbo.append(total)
            since_prune += 1
            change = np.inf
            if len(elbo) >= 2 and np.isfinite(elbo[-2]):
                change = (elbo[-1] - elbo[-2]) / max(abs(elbo[-2]), 1.0)
            since_check += 1
            if self.prune_threshold > 0 and since_check >= 5 and change < _PRUNE_TOL:
                # Switch off (factor, view) cells that explain almost nothing (ARD alone only
                # shrinks them slowly), then drop factors switched off in every view.  Only once
                # the fit has nearly settled, and only cells whose share, growing as fast as since
                # the previous check, would not reach the threshold within _PRUNE_HORIZON checks, so
                # that emerging factors survive while noise cells creeping up by 1e-5 per check
                # (common with thousands of features) do not hold up convergence.
                since_check = 0
                r2 = self._r2_point(data, state, x)
                if prev_r2 is None:
                    growing = np.ones_like(r2, dtype=bool)
                else:
                    growing = r2 + _PRUNE_HORIZON * np.maximum(r2 - prev_r2, 0.0) >= self.prune_threshold
                prev_r2 = r2
                on = np.column_stack([state.views[v.name].on for v in data])
                new_on = on & ((r2 >= self.prune_threshold) | growing)
                new_on &= ~_single_feature_cells(data, state, new_on)
                alive = new_on.any(axis=1)
                if not alive.any():
                    best_k = int(np.argmax(r2.max(axis=1)))
                    new_on[best_k] = on[best_k]
                    alive[best_k] = True
                if (new_on != on).any():
                    for j, v in enumerate(data):
                        state.views[v.name].on = new_on[:, j].copy()
                    if not alive.all():
                        self._prune(data, state, x, alive)
                        prev_r2 = prev_r2[alive]
                    since_prune = 0
                    elbo.append(np.nan)  # marks a change of model
                    continue
            if abs(change) < self.tol and since_prune >= 5:
                converged = True
                break
        return state, elbo, converged

    # ------------------------------------------------------------------ public API
    def fit(
        self,
        views: Mapping[str, pd.DataFrame],
        random_seed: int | None = None,
        *,
        n_restarts: int = 1,
        method: str = "cavi",
        draws: int = 500,
        tune: int = 500,
        chains: int = 4,
    ) -> LatentFactorModel:
        """Fit the model by coordinate-ascent variational inference (or NUTS for small problems).

        Parameters
        ----------
        views : dict of str to DataFrame
            One patients × features DataFrame per view, indexed by patient id.  A patient absent
            from a view's index has that whole view missing; NaN marks a single missing value.
        random_seed : int, optional
            Seed of the initialisation perturbation and of the posterior draws.
        n_restarts : int
            Number of initialisations; the fit with the highest ELBO is kept (CAVI).
        method : {"cavi", "nuts"}
            ``"cavi"``: closed-form variational updates with bootstrap-calibrated summaries (the
            default, seconds).  ``"nuts"``: the PyMC version of the model
            (:mod:`radiocausal.models._factors_pymc`) sampled by NUTS, with the chains' factor
            labels and signs aligned before summarising; for small problems (minutes).  Summaries
            then come from the posterior draws (no pruning: all ``n_factors`` are kept, and
            :meth:`active_probability` tells which are used; no bootstrap).
        draws, tune, chains : int
            NUTS settings (``method="nuts"`` only).

        Returns
        -------
        LatentFactorModel
            ``self``, fitted.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> z = rng.normal(size=(40, 1))
        >>> v = {"a": pd.DataFrame(z @ rng.normal(size=(1, 6)) + 0.2 * rng.normal(size=(40, 6)))}
        >>> LatentFactorModel(2, {"a": "gaussian"}).fit(v, random_seed=0).n_factors_
        1
        """
        liks = self._check_params()
        if int(n_restarts) < 1:
            raise ModelError(f"n_restarts must be a positive integer, got {n_restarts!r}")
        patients, data = self._prepare_views(views, liks)
        self.covariate_spec_ = None
        self.covariate_names_ = ["intercept"]
        x = self._covariate_matrix(patients, self.covariates, fitting=True)
        rng = np.random.default_rng(random_seed)
        k = min(int(self.n_factors), len(patients) - 1)
        if method not in ("cavi", "nuts"):
            raise ModelError(f"method must be 'cavi' or 'nuts', got {method!r}")
        self.method_ = method
        if method == "nuts":
            return self._fit_nuts(patients, data, x, k, liks, rng, int(draws), int(tune), int(chains))
        best = None
        t0 = time.perf_counter()
        with _blas_threads(self.n_threads):
            for _ in range(int(n_restarts)):
                state, elbo, converged = self._run(data, x, k, rng)
                last = [e for e in elbo if np.isfinite(e)][-1:] or [-np.inf]
                if best is None or last[0] > best[3]:
                    best = (state, elbo, converged, last[0])
        state, elbo, converged, _ = best
        if not converged:
            warnings.warn(
                f"LatentFactorModel did not converge in max_iter={self.max_iter} sweeps "
                f"(last relative ELBO change above tol={self.tol}); results may be imprecise",
                ConvergenceWarning,
                stacklevel=2,
            )
        self._set_fitted_data(patients, data, x, liks)
        self.elbo_ = np.asarray(elbo)
        self.converged_ = converged
        self.n_iter_ = int(np.sum(np.isfinite(self.elbo_)))
        self._state = state
        self._canonicalise()
        t1 = time.perf_counter()
        with _blas_threads(self.n_threads):
            self._draw_summaries(np.random.default_rng(rng.integers(2**32)))
        self.timings_ = {"cavi_s": t1 - t0, "summaries_s": time.perf_counter() - t1}
        return self

    def _set_fitted_data(self, patients: pd.Index, data: list[_View], x: np.ndarray, liks: dict[str, str]) -> None:
        self.patients_ = patients
        self._data = data
        self._x = x
        self.view_names_ = [v.name for v in data]
        self.likelihoods_ = liks
        self.features_ = {v.name: v.features for v in data}

    def _fit_nuts(self, patients, data, x, k, liks, rng, draws, tune, chains) -> LatentFactorModel:
        """NUTS on the PyMC version of the model; summaries from the aligned posterior draws."""
        import arviz as az
        import pymc as pm

        from radiocausal.models._factors_pymc import align_chains, build_pymc_model

        if draws < 10 or tune < 0 or chains < 1:
            raise ModelError(f"NUTS needs draws >= 10, tune >= 0 and chains >= 1; got {draws}, {tune}, {chains}")
        t0 = time.perf_counter()
        model = build_pymc_model(data, x, k, loading_df=self.loading_df, noise=self.noise)
        with model:
            idata = pm.sample(
                draws=draws, tune=tune, chains=chains, cores=1, random_seed=int(rng.integers(2**31)),
                progressbar=False, target_accept=0.9, compute_convergence_checks=False,
            )
        post = idata.posterior
        z, ws, corr = align_chains(post["Z"].to_numpy(), {v.name: post[f"W_{v.name}"].to_numpy() for v in data})
        rhat = az.rhat(az.convert_to_dataset({"Z": z}))["Z"].to_numpy()  # patients × factors
        flat = lambda a: a.reshape(-1, *a.shape[2:])  # noqa: E731 - chains × draws → draws
        zf = flat(z)
        draws_w = {v.name: flat(ws[v.name]) for v in data}
        draws_b = {v.name: flat(post[f"beta_{v.name}"].to_numpy()) for v in data}

        def moments(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            mean = a.mean(axis=0)
            c = a - mean
            return mean, np.einsum("s...i,s...j->...ij", c, c) / max(len(a) - 1, 1)

        def gamma_from(prec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            m, v = prec.mean(axis=0), np.maximum(prec.var(axis=0), 1e-12)
            return m**2 / v, m / v

        ez, sz = moments(zf)
        state = _FitState(ez=ez, sz=sz + 1e-12 * np.eye(k), logdet_sz=np.zeros(len(ez)), views={})
        for v in data:
            ew, sw = moments(draws_w[v.name])
            eb, sb = moments(draws_b[v.name])
            d = ew.shape[0]
            a_alpha, b_alpha = gamma_from(1.0 / post[f"ard_{v.name}"].to_numpy().reshape(-1, k) ** 2)
            if v.likelihood == "gaussian":
                sig = post[f"sigma_{v.name}"].to_numpy()
                a_tau, b_tau = gamma_from(1.0 / sig.reshape(-1, sig.shape[-1]) ** 2)
                a_tau, b_tau = np.broadcast_to(a_tau, d).copy(), np.broadcast_to(b_tau, d).copy()
            else:
                a_tau, b_tau = np.ones(d), np.ones(d)
            state.views[v.name] = _ViewState(
                ew=ew, sw=sw + 1e-12 * np.eye(k), eb=eb, sb=sb, a_alpha=a_alpha, b_alpha=b_alpha, a_lam=1.0,
                b_lam=np.ones((d, k)), a_tau=a_tau, b_tau=b_tau,
                xi=np.zeros(v.y.shape) if v.likelihood != "gaussian" else None, on=np.ones(k, dtype=bool),
            )
        self._set_fitted_data(patients, data, x, liks)
        self.elbo_ = np.zeros(0)
        self.n_iter_ = draws
        self.idata_ = idata
        self._state = state
        order, signs, scale = self._canonicalise()
        zf = zf[..., order] * (signs * scale)
        draws_w = {name: w[..., order] * (signs / scale) for name, w in draws_w.items()}
        self._nuts_draws = (zf, draws_w)
        t1 = time.perf_counter()
        # variance explained from (evenly thinned) posterior draws: no bootstrap needed
        keep = np.linspace(0, len(zf) - 1, min(len(zf), int(self.n_draws))).astype(int)
        r2 = np.zeros((len(keep), self.n_factors_, len(data)))
        for j, v in enumerate(data):
            off = x @ state.views[v.name].eb.T
            r2[:, :, j] = _r2_draws(v, off, zf[keep], draws_w[v.name][keep])
        self._r2_draws_meanfield = self._r2_draws = r2
        self._r2_mean = r2.mean(axis=0)
        self.score_sd_inflation_ = np.ones(self.n_factors_)
        self.timings_ = {"nuts_s": t1 - t0, "summaries_s": time.perf_counter() - t1}
        # convergence of the factors in use (an unused factor is prior noise, differently in each chain)
        used = (self._r2_mean > self.activity_threshold).any(axis=1)
        self.nuts_rhat_ = np.nanmax(rhat[:, order], axis=0)
        self.nuts_chain_agreement_ = corr[:, order].min(axis=0)
        bad_rhat = float(np.max(self.nuts_rhat_[used], initial=1.0))
        bad_corr = float(np.min(self.nuts_chain_agreement_[used], initial=1.0))
        self.converged_ = bad_rhat <= 1.1 and bad_corr >= 0.9
        if not self.converged_:
            warnings.warn(
                f"NUTS chains disagree after aligning factor labels and signs (for the factors in use: max "
                f"r_hat of the scores {bad_rhat:.3f}, smallest matched |r| between a chain and chain 0 "
                f"{bad_corr:.3f}); sample longer, or use fewer factors",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self

    def _canonicalise(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Order factors by decreasing mean variance explained, sign them so loadings have positive
        skew and scale them to unit mean second moment (loadings scaled inversely)."""
        st = self._state
        r2 = self._r2_point(self._data, st, self._x)
        order = np.argsort(-r2.mean(axis=1), kind="stable")
        skew = sum((st.views[v.name].ew ** 3).sum(0) for v in self._data)
        signs = np.where(skew[order] < 0, -1.0, 1.0)
        # scale convention: every factor has mean second moment 1 over the fitted patients (the
        # scale of z against w is only pinned by the priors, and ARD pulls it slightly above 1)
        idx = np.arange(st.ez.shape[1])
        second = np.mean(st.ez**2 + st.sz[:, idx, idx], axis=0)[order]
        scale = 1.0 / np.sqrt(second)
        zmap = np.diag(signs * scale)
        wmap = np.diag(signs / scale)
        st.ez = st.ez[:, order] * (signs * scale)
        st.sz = zmap @ st.sz[:, order][:, :, order] @ zmap
        for v in self._data:
            vs = st.views[v.name]
            vs.ew = vs.ew[:, order] * (signs / scale)
            vs.sw = wmap @ vs.sw[:, order][:, :, order] @ wmap
            vs.a_alpha = vs.a_alpha[order]
            vs.b_alpha = vs.b_alpha[order] / scale**2
            vs.b_lam = vs.b_lam[:, order]
            vs.on = vs.on[order]
        self.n_factors_ = st.ez.shape[1]
        self.factor_names_ = [f"Factor{i + 1}" for i in range(self.n_factors_)]
        return order, signs, scale

    def _check_fitted(self) -> None:
        if not hasattr(self, "_state"):
            raise ModelError("this LatentFactorModel is not fitted yet; call fit(views) first")

    def _sample_w(self, vs: _ViewState, rng: np.random.Generator, n_draws: int) -> np.ndarray:
        chol = np.linalg.cholesky(vs.sw + 1e-12 * np.eye(vs.sw.shape[-1]))
        eps = rng.standard_normal((n_draws, *vs.ew.shape))
        return vs.ew[None] + np.einsum("dij,sdj->sdi", chol, eps)

    def _sample_z(self, rng: np.random.Generator, n_draws: int) -> np.ndarray:
        return _sample_z_state(self._state, rng, n_draws)

    def _draw_summaries(self, rng: np.random.Generator) -> None:
        n_draws = int(self.n_draws)
        st = self._state
        z_draws = self._sample_z(rng, n_draws)
        r2 = np.zeros((n_draws, self.n_factors_, len(self._data)))
        for j, v in enumerate(self._data):
            vs = st.views[v.name]
            off = self._x @ vs.eb.T
            chunk = max(1, 2_000_000 // vs.ew.size)  # bounded memory for the loading draws
            for start in range(0, n_draws, chunk):
                stop = min(n_draws, start + chunk)
                w_draws = self._sample_w(vs, rng, stop - start)
                r2[start:stop, :, j] = _r2_draws(v, off, z_draws[start:stop], w_draws)
        self._r2_draws_meanfield = r2  # uncalibrated draws, kept for diagnostics
        self.score_sd_inflation_ = np.ones(self.n_factors_)
        if int(self.n_bootstrap) > 0:
            r_hat = self._r2_point(self._data, st, self._x)
            d1, d2, z_err2 = self._bootstrap_r2_errors(rng, int(self.n_bootstrap))
            self.r2_bootstrap_errors_ = d1
            self.r2_bootstrap_errors2_ = d2
            n_boot = len(d1)
            # iterated-bootstrap bias correction (Hall 1992): the level-1 mean error estimates the
            # bias at the fitted truth, the level-2 mean error the bias at a refitted truth; their
            # difference extrapolates back to the bias at the unknown truth
            bias = 2.0 * d1.mean(axis=0) - d2.mean(axis=0)
            # variance of the pivot R2_hat - bias_hat - R2_true: the level-1 error minus the bias at
            # its own data set, which level 2 measures with one replicate (hence the removal of its
            # Monte Carlo variance, leaving the 1/B share that the averaged bias carries); floored
            # at the level-1 variance, the error at a known bias
            v1 = d1.var(axis=0, ddof=1)
            pivot = np.var(d1 - d2, axis=0, ddof=1) - v1 * (1.0 - 1.0 / n_boot)
            sd = np.sqrt(np.maximum(pivot, v1 * (1.0 + 1.0 / n_boot)))
            t = rng.standard_t(n_boot - 1, size=r2.shape)
            off_cells = sd == 0
            r2 = (r2 - r2.mean(axis=0)) + (r_hat - bias)[None] - sd[None] * t
            r2[:, off_cells] = 0.0
            self.score_sd_inflation_ = np.sqrt(np.maximum(z_err2.mean(axis=0), 1.0))
        self._r2_draws = r2
        self._r2_mean = r2.mean(axis=0)

    def _bootstrap_replicate(
        self, data: list[_View], st: _FitState, x: np.ndarray, xx: np.ndarray, rng: np.random.Generator
    ) -> tuple[list[_View], _FitState, np.ndarray, np.ndarray]:
        """One parametric-bootstrap replicate from the fitted solution ``st`` of ``data``.

        A data set is simulated from the generative model with scores drawn from ``q(z)`` (their
        in-sample correlations redrawn from the prior, :func:`_with_prior_correlation`), the
        debiased loadings (:func:`_debiased_loadings`) and the posterior-mean covariate effects as
        the truth (fitted noise precisions; likelihood draws for non-Gaussian views; the
        missingness pattern of ``data``), and refitted
        from ``st`` by ``bootstrap_sweeps`` CAVI sweeps (hyper-parameters re-estimated, active cells
        and factor labels kept).  Returns the simulated views, the refitted state, the error of the
        variance-explained estimator (factors × views) and the squared standardised errors of the
        refitted scores (factors).
        """
        z_true = _with_prior_correlation(_sample_z_state(st, rng, 1)[0], rng)
        w_true = {v.name: _debiased_loadings(st.views[v.name]) for v in data}
        sim = []
        for v in data:
            vs = st.views[v.name]
            lin = x @ vs.eb.T + z_true @ w_true[v.name].T
            y = _simulate_view(v, vs, lin, rng)
            sim.append(v.with_values(y))
        s = copy.deepcopy(st)
        for _ in range(int(self.bootstrap_sweeps)):
            self._update_z(sim, s, x)
            ezz = s.ezz()
            for v in sim:
                self._update_view(v, s.views[v.name], s, x, xx, ezz, elbo=False)
        r_star = self._r2_point(sim, s, x)
        delta = np.zeros_like(r_star)
        for j, v in enumerate(sim):
            off = x @ s.views[v.name].eb.T
            delta[:, j] = r_star[:, j] - _r2_from(v, off, z_true, w_true[v.name])
        k = st.ez.shape[1]
        sd = np.sqrt(s.sz[:, np.arange(k), np.arange(k)])
        z_err2 = np.mean(((s.ez - z_true) / sd) ** 2, axis=0)
        return sim, s, delta, z_err2

    def _bootstrap_r2_errors(self, rng: np.random.Generator, n_boot: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Two-level parametric bootstrap of the error of the variance-explained estimator.

        Level 1 simulates from the fitted solution and refits (:meth:`_bootstrap_replicate`);
        level 2 simulates once more from each level-1 refit and refits again, measuring the
        error against the level-1 refit's own solution.  Returns the level-1 errors, the level-2
        errors (both ``n_boot`` × factors × views) and the level-1 squared standardised score
        errors (``n_boot`` × factors).
        """
        x = self._x
        n = x.shape[0]
        xx = (x[:, :, None] * x[:, None, :]).reshape(n, -1)
        k, m = self.n_factors_, len(self._data)
        # wide views enter the bootstrap through a random subset of their features (the same for
        # every replicate): the noise-fitting bias per feature is the same, and the spread of the
        # errors on fewer features can only be larger, so the intervals stay conservative
        cap = self.bootstrap_max_features
        data, st = self._data, self._state
        if cap is not None and any(v.y.shape[1] > cap for v in data):
            st = replace(st, views=dict(st.views))
            sub = []
            for v in data:
                if v.y.shape[1] > cap:
                    idx = np.sort(rng.choice(v.y.shape[1], size=int(cap), replace=False))
                    st.views[v.name] = _subset_view_state(st.views[v.name], idx)
                    v = _View(
                        v.name, v.likelihood, v.features[idx], v.y[:, idx], v.mask[:, idx], v.center[idx], v.scale[idx],
                        None if v.trials is None else v.trials[idx],
                    )
                sub.append(v)
            data = sub
        d1 = np.zeros((n_boot, k, m))
        d2 = np.zeros((n_boot, k, m))
        z2 = np.zeros((n_boot, k))
        for b in range(n_boot):
            sim, s, d1[b], z2[b] = self._bootstrap_replicate(data, st, x, xx, rng)
            _, _, d2[b], _ = self._bootstrap_replicate(sim, s, x, xx, rng)
        return d1, d2, z2

    # ----- results
    def factor_scores(self) -> pd.DataFrame:
        """Posterior mean factor scores (patients × factors).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(2)
        >>> v = {"a": pd.DataFrame(rng.normal(size=(30, 1)) @ rng.normal(size=(1, 5)) + 0.1 * rng.normal(size=(30, 5)))}
        >>> LatentFactorModel(2, {"a": "gaussian"}).fit(v, random_seed=0).factor_scores().shape
        (30, 1)
        """
        self._check_fitted()
        return pd.DataFrame(self._state.ez, index=self.patients_, columns=pd.Index(self.factor_names_, name="factor"))

    def factor_scores_sd(self, *, calibrated: bool = True) -> pd.DataFrame:
        """Posterior standard deviations of the factor scores (patients × factors).

        Parameters
        ----------
        calibrated : bool
            Multiply the mean-field sds by the bootstrap inflation of each factor
            (``score_sd_inflation_``, see *Factor scores* in the module docs), so that
            ``score ± 1.645 sd`` is a 90 % interval with frequentist coverage; ``False`` gives the
            plain mean-field sds.
        """
        self._check_fitted()
        sd = np.sqrt(np.diagonal(self._state.sz, axis1=1, axis2=2))
        if calibrated:
            sd = sd * self.score_sd_inflation_[None, :]
        return pd.DataFrame(sd, index=self.patients_, columns=pd.Index(self.factor_names_, name="factor"))

    def loadings(self) -> dict[str, pd.DataFrame]:
        """Posterior mean loadings: dict view → features × factors (standardised scale for Gaussian views)."""
        self._check_fitted()
        cols = pd.Index(self.factor_names_, name="factor")
        return {v.name: pd.DataFrame(self._state.views[v.name].ew, index=v.features, columns=cols) for v in self._data}

    def loadings_sd(self) -> dict[str, pd.DataFrame]:
        """Posterior standard deviations of the loadings: dict view → features × factors."""
        self._check_fitted()
        cols = pd.Index(self.factor_names_, name="factor")
        out = {}
        for v in self._data:
            sw = self._state.views[v.name].sw
            out[v.name] = pd.DataFrame(np.sqrt(np.diagonal(sw, axis1=1, axis2=2)), index=v.features, columns=cols)
        return out

    def covariate_effects(self) -> dict[str, pd.DataFrame]:
        """Posterior mean covariate coefficients: dict view → features × (intercept, covariates)."""
        self._check_fitted()
        return {
            v.name: pd.DataFrame(self._state.views[v.name].eb, index=v.features, columns=self.covariate_names_)
            for v in self._data
        }

    def variance_explained(self) -> pd.DataFrame:
        """Posterior mean variance explained by each factor in each view (factors × views).

        See the module docstring for the definition (data scale for Bernoulli views) and for the
        parametric-bootstrap calibration of its draws (the mean is bias-corrected).  Use
        :meth:`variance_explained_summary` for intervals.
        """
        self._check_fitted()
        return pd.DataFrame(
            self._r2_mean,
            index=pd.Index(self.factor_names_, name="factor"),
            columns=pd.Index(self.view_names_, name="view"),
        )

    def variance_explained_summary(self, prob: float = 0.9) -> pd.DataFrame:
        """Variance explained with equal-tailed posterior intervals and activity probabilities.

        Parameters
        ----------
        prob : float
            Interval probability, in (0, 1).

        Returns
        -------
        DataFrame
            One row per factor and view with columns ``factor``, ``view``, ``mean`` (posterior
            mean), ``lower``, ``upper`` and ``p_active``.
        """
        self._check_fitted()
        if not (0 < prob < 1):
            raise ModelError(f"prob must be in (0, 1), got {prob!r}")
        lo = np.quantile(self._r2_draws, (1 - prob) / 2, axis=0)
        hi = np.quantile(self._r2_draws, (1 + prob) / 2, axis=0)
        act = (self._r2_draws > self.activity_threshold).mean(0)
        rows = []
        for i, f in enumerate(self.factor_names_):
            for j, v in enumerate(self.view_names_):
                rows.append({"factor": f, "view": v, "mean": self._r2_mean[i, j], "lower": lo[i, j], "upper": hi[i, j], "p_active": act[i, j]})
        return pd.DataFrame(rows)

    def active_probability(self) -> pd.DataFrame:
        """Posterior probability that each factor is active (R² > ``activity_threshold``) in each view."""
        self._check_fitted()
        return pd.DataFrame(
            (self._r2_draws > self.activity_threshold).mean(0),
            index=pd.Index(self.factor_names_, name="factor"),
            columns=pd.Index(self.view_names_, name="view"),
        )

    def transform(
        self,
        new_views: Mapping[str, pd.DataFrame],
        covariates: pd.DataFrame | pd.Series | None = None,
        *,
        return_sd: bool = False,
        max_iter: int = 200,
    ) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
        """Project new patients onto the fitted factors (loadings and covariate effects held fixed).

        Parameters
        ----------
        new_views : dict of str to DataFrame
            Any subset of the fitted views, with (a subset of) the fitted features as columns;
            absent views, features and NaN are treated as missing.
        covariates : DataFrame or Series, optional
            Covariates of the new patients; defaults to the constructor's covariates.
        return_sd : bool
            Also return the posterior standard deviations (calibrated like
            :meth:`factor_scores_sd`).
        max_iter : int
            Maximum number of updates for Bernoulli views.

        Returns
        -------
        DataFrame or (DataFrame, DataFrame)
            Posterior mean scores (patients × factors), and their sds when ``return_sd``.
        """
        self._check_fitted()
        if not isinstance(new_views, Mapping) or len(new_views) == 0:
            raise DataError(f"new_views must be a non-empty dict view -> DataFrame, got {type(new_views).__name__}")
        unknown = [v for v in new_views if v not in self.likelihoods_]
        if unknown:
            raise DataError(f"new_views has views {unknown} that were not fitted; expected some of {self.view_names_}")
        frames = {v: self._check_frame(v, df) for v, df in new_views.items()}
        patients = None
        for df in frames.values():
            patients = df.index if patients is None else patients.union(df.index, sort=False)
        data = []
        for v in self._data:
            n = len(patients)
            if v.name in frames:
                df = frames[v.name]
                extra = df.columns.difference(v.features)
                if len(extra):
                    raise DataError(
                        f"new_views[{v.name!r}] has features not seen during fit: {extra[:5].tolist()}"
                    )
                arr = df.reindex(index=patients, columns=v.features).to_numpy(dtype=float)
            else:
                arr = np.full((n, len(v.features)), np.nan)
            mask = np.isfinite(arr)
            if v.likelihood == "gaussian":
                arr = (arr - v.center) / v.scale
            else:
                n_trials = int(v.trials[0]) if v.likelihood == "binomial" else None
                _lik.prepare_logistic_view(f"{v.name}", v.likelihood, arr, mask, n_trials)
            arr = np.where(mask, arr, 0.0)
            data.append(_View(v.name, v.likelihood, v.features, arr, mask.astype(float), v.center, v.scale, v.trials))
        cov = covariates if covariates is not None else (self.covariates if self.covariate_spec_ is not None else None)
        x = self._covariate_matrix(patients, cov, fitting=False) if self.covariate_spec_ is not None else np.ones((len(patients), 1))
        k = self.n_factors_
        n = len(patients)
        fitted = self._state
        state = _FitState(
            ez=np.zeros((n, k)),
            sz=np.broadcast_to(np.eye(k), (n, k, k)).copy(),
            logdet_sz=np.zeros(n),
            views={},
        )
        for v in data:
            vs = fitted.views[v.name]
            state.views[v.name] = _ViewState(
                ew=vs.ew, sw=vs.sw, eb=vs.eb, sb=vs.sb, a_alpha=vs.a_alpha, b_alpha=vs.b_alpha,
                a_lam=vs.a_lam, b_lam=vs.b_lam, a_tau=vs.a_tau, b_tau=vs.b_tau,
                xi=np.zeros((n, len(v.features))) if v.likelihood != "gaussian" else None,
                on=vs.on,
            )
        has_bern = any(v.likelihood != "gaussian" for v in data)
        with _blas_threads(self.n_threads):
            for _ in range(int(max_iter) if has_bern else 1):
                old = state.ez.copy()
                self._update_z(data, state, x)
                if not has_bern:
                    break
                self._update_xi_only(data, state, x)
                if np.max(np.abs(state.ez - old)) < 1e-8:
                    break
        cols = pd.Index(self.factor_names_, name="factor")
        scores = pd.DataFrame(state.ez, index=patients, columns=cols)
        if return_sd:
            sd = np.sqrt(np.diagonal(state.sz, axis1=1, axis2=2)) * self.score_sd_inflation_[None, :]
            sd = pd.DataFrame(sd, index=patients, columns=cols)
            return scores, sd
        return scores

    def to_inference_data(self, n_draws: int | None = None, random_seed: int | None = None):
        """Draws from the variational posterior as :class:`arviz.InferenceData` with named dims.

        The ``posterior`` group (one chain) holds ``Z`` (``patient``, ``factor``), ``W``
        (``feature``, ``factor``; features of all views stacked, with coordinates ``feature_view``
        and ``feature_name`` and ``feature`` labels ``"view:name"``) and ``variance_explained``
        (``factor``, ``view``; plain mean-field draws, without the bootstrap calibration that
        :meth:`variance_explained_summary` applies).  After ``fit(..., method="nuts")`` the draws
        are the NUTS posterior draws (chains aligned and pooled; the raw sampler output is
        ``idata_``).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(3)
        >>> v = {"a": pd.DataFrame(rng.normal(size=(30, 1)) @ rng.normal(size=(1, 5)) + 0.1 * rng.normal(size=(30, 5)))}
        >>> idata = LatentFactorModel(2, {"a": "gaussian"}).fit(v, random_seed=0).to_inference_data(n_draws=20)
        >>> dict(idata.posterior["Z"].sizes)
        {'chain': 1, 'draw': 20, 'patient': 30, 'factor': 1}
        """
        import arviz as az
        import xarray as xr

        self._check_fitted()
        n_draws = int(self.n_draws if n_draws is None else n_draws)
        rng = np.random.default_rng(random_seed)
        nuts = getattr(self, "method_", "cavi") == "nuts"
        if nuts:  # the (aligned, canonicalised) posterior draws themselves
            keep = rng.choice(len(self._nuts_draws[0]), size=n_draws, replace=n_draws > len(self._nuts_draws[0]))
            z = self._nuts_draws[0][keep]
        else:
            z = self._sample_z(rng, n_draws)
        ws, labels, fview, fname = [], [], [], []
        for v in self._data:
            ws.append(self._nuts_draws[1][v.name][keep] if nuts else self._sample_w(self._state.views[v.name], rng, n_draws))
            labels += [f"{v.name}:{f}" for f in v.features]
            fview += [v.name] * len(v.features)
            fname += [str(f) for f in v.features]
        w = np.concatenate(ws, axis=1)
        r2 = np.zeros((n_draws, self.n_factors_, len(self._data)))
        for j, (v, wv) in enumerate(zip(self._data, ws, strict=True)):
            off = self._x @ self._state.views[v.name].eb.T
            r2[:, :, j] = _r2_draws(v, off, z, wv)
        ds = xr.Dataset(
            {
                "Z": (("chain", "draw", "patient", "factor"), z[None]),
                "W": (("chain", "draw", "feature", "factor"), w[None]),
                "variance_explained": (("chain", "draw", "factor", "view"), r2[None]),
            },
            coords={
                "chain": [0],
                "draw": np.arange(n_draws),
                "patient": np.asarray(self.patients_.astype(str)),
                "factor": self.factor_names_,
                "feature": labels,
                "feature_view": ("feature", fview),
                "feature_name": ("feature", fname),
                "view": self.view_names_,
            },
            attrs={"inference": "CAVI (mean-field variational Bayes)", "model": "radiocausal.models.factors.LatentFactorModel"},
        )
        return az.InferenceData(posterior=ds)

    def add_to_dag(self, dag, data: pd.DataFrame | None = None, **kwargs: Any):
        """Add fitted factors as nodes of a copy of ``dag`` and their scores as columns of ``data``.

        Shorthand for :func:`~radiocausal.models._factors_dag.add_factor_nodes` (``factors=``,
        ``edges=``, ``roles=``, ``new_views=``, ``covariates=``); returns ``(dag, data)`` ready for
        :class:`~radiocausal.models.AssociationModel`.
        """
        return add_factor_nodes(self, dag, data, **kwargs)

    def plot_variance_explained(self, ax=None, *, annotate: bool = True):
        """Heatmap of variance explained per factor (rows) and view (columns).

        Returns the matplotlib ``Axes``.
        """
        import matplotlib.pyplot as plt

        self._check_fitted()
        r2 = self.variance_explained()
        if ax is None:
            _, ax = plt.subplots(figsize=(1.2 + 1.1 * r2.shape[1], 0.8 + 0.45 * r2.shape[0]))
        im = ax.imshow(np.clip(r2.to_numpy(), 0, None), cmap="Blues", aspect="auto", vmin=0)
        ax.set_xticks(range(r2.shape[1]), r2.columns)
        ax.set_yticks(range(r2.shape[0]), r2.index)
        ax.set_xlabel("view")
        ax.set_ylabel("factor")
        ax.figure.colorbar(im, ax=ax, label="variance explained (R²)")
        if annotate:
            vmax = max(float(np.nanmax(r2.to_numpy())), 1e-9)
            for i in range(r2.shape[0]):
                for j in range(r2.shape[1]):
                    val = r2.iat[i, j]
                    txt = f"{100 * val:.1f}".replace("-0.0", "0.0")
                    ax.text(j, i, f"{txt}%", ha="center", va="center", fontsize=8, color="white" if val > 0.6 * vmax else "black")
        return ax


def _r2_from(
    v: _View,
    off: np.ndarray,
    z: np.ndarray,
    w: np.ndarray,
    z2: np.ndarray | None = None,
    w2: np.ndarray | None = None,
) -> np.ndarray:
    """Per-factor variance explained in one view for scores ``z`` (N × K) and loadings ``w`` (D × K).

    For Gaussian views, passing the second moments ``z2`` and ``w2`` gives the posterior
    expectation of :math:`R^2` under the mean-field posterior (exact, no sampling).
    """
    mask = v.mask
    if v.likelihood == "gaussian":
        resid = mask * (v.y - off)
        denom = float(np.sum(resid * (v.y - off)))
        a = resid.T @ z  # D × K: sum_n m r z
        b = mask.T @ (z**2 if z2 is None else z2)  # D × K: sum_n m z^2
        sse_drop = 2.0 * np.sum(w * a, axis=0) - np.sum((w**2 if w2 is None else w2) * b, axis=0)
        return sse_drop / denom
    k = z.shape[1]
    out = np.zeros(k)
    mask = v.r2_mask  # observed entries, features weighted by 1 / variance for counts
    mu0 = _lik.data_mean(v.likelihood, off, v.trials)
    denom = float(np.sum(mask * (v.y - mu0) ** 2))
    for j in range(k):
        mu = _lik.data_mean(v.likelihood, off + np.outer(z[:, j], w[:, j]), v.trials)
        out[j] = 1.0 - float(np.sum(mask * (v.y - mu) ** 2)) / denom
    return out


def _simulate_view(v: _View, vs: _ViewState, lin: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Data of one view drawn from its likelihood given the linear predictor (fitted noise)."""
    if v.likelihood == "gaussian":
        return lin + rng.standard_normal(lin.shape) / np.sqrt(vs.e_tau)[None, :]
    return _lik.simulate(v.likelihood, lin, v.trials, rng)


def _subset_view_state(vs: _ViewState, idx: np.ndarray) -> _ViewState:
    """The posterior of a view restricted to the features ``idx``."""
    return replace(
        vs, ew=vs.ew[idx], sw=vs.sw[idx], eb=vs.eb[idx], sb=vs.sb[idx], b_lam=vs.b_lam[idx],
        a_tau=vs.a_tau[idx], b_tau=vs.b_tau[idx], xi=None if vs.xi is None else vs.xi[:, idx],
        logdet_sw=vs.logdet_sw[idx] if vs.logdet_sw.size else vs.logdet_sw,
        logdet_sb=vs.logdet_sb[idx] if vs.logdet_sb.size else vs.logdet_sb,
    )


def _debiased_loadings(vs: _ViewState) -> np.ndarray:
    """Loadings of the bootstrap truth: each posterior mean shrunk so that its square estimates
    the true squared loading, ``w^2 = max(E[w]^2 - Var(w), 0)`` (positive part).

    A posterior mean carries fitted noise (features without signal get small non-zero loadings);
    taking it as the truth would count that noise as signal and hide the estimator's noise-fitting
    bias.  Features whose loading is within its posterior sd of zero become exactly zero.
    """
    k = vs.ew.shape[1]
    var = vs.sw[:, np.arange(k), np.arange(k)]
    return np.sign(vs.ew) * np.sqrt(np.maximum(vs.ew**2 - var, 0.0))


def _sample_z_state(st: _FitState, rng: np.random.Generator, n_draws: int) -> np.ndarray:
    """Draws of the scores from q(z) of a fit state (draws × patients × factors)."""
    chol = np.linalg.cholesky(st.sz + 1e-12 * np.eye(st.sz.shape[-1]))
    eps = rng.standard_normal((n_draws, *st.ez.shape))
    return st.ez[None] + np.einsum("nij,snj->sni", chol, eps)


def _single_feature_cells(data: list[_View], state: _FitState, on: np.ndarray) -> np.ndarray:
    r"""Cells (factors × views) of factors active in one view only whose loadings there sit on
    essentially one feature.

    Such a factor explains the variance of a single feature, not covariance between features: with
    a noise precision per feature, "a factor loading on feature d only" and "noise of feature d"
    are the same model (a Heywood case of factor analysis), and a shrinkage prior on the loadings
    lets spurious factors of this kind survive ARD with about ``1 / D`` of the view's variance.
    The effective number of features is the participation ratio of the squared posterior-mean
    loadings, :math:`(\sum_d w_{dk}^2)^2 / \sum_d w_{dk}^4`; below 2 the cell is flagged.  A
    factor active in two or more views is kept whatever its support: it links the views.
    """
    flag = np.zeros_like(on)
    single_view = on.sum(axis=1) == 1
    for j, v in enumerate(data):
        rows = np.flatnonzero(single_view & on[:, j])
        if rows.size == 0:
            continue
        w2 = state.views[v.name].ew[:, rows] ** 2
        total = w2.sum(axis=0)
        ratio = total**2 / np.maximum(np.sum(w2**2, axis=0), 1e-300)
        flag[rows, j] = (ratio < 2.0) & (total > 0)
    return flag


def _with_prior_correlation(z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    r"""Scores ``z`` (patients × factors) with their in-sample correlations redrawn from the prior.

    The likelihood barely identifies the in-sample correlations of the true scores (the
    covariance of ``z w^T`` is unchanged when correlation moves between scores and loadings); the
    fit picks them through its priors and a refit from the fit's own scores reproduces that
    choice.  Per-factor variance explained depends on them, through the cross terms
    :math:`2 (w_k^\top w_j)(z_k^\top z_j)`, so the bootstrap truth carries correlations drawn like
    those of ``N`` independent standard normal score vectors (sd about :math:`1/\sqrt N` per
    pair), keeping each factor's in-sample second moment.  The map is ``z S^{-1/2} T^{1/2}`` with
    symmetric square roots, ``S`` the second-moment matrix of ``z`` and ``T`` the target.
    """
    n, k = z.shape
    if k < 2:
        return z
    s = z.T @ z / n
    g = rng.standard_normal((n, k))
    c = g.T @ g
    scale = np.sqrt(np.diag(s)) / np.sqrt(np.diag(c))
    target = c * np.outer(scale, scale)
    return z @ _sym_sqrt(s, inverse=True) @ _sym_sqrt(target)


def _sym_sqrt(a: np.ndarray, *, inverse: bool = False) -> np.ndarray:
    """Symmetric square root (or inverse square root) of a symmetric positive-definite matrix."""
    val, vec = np.linalg.eigh(a)
    val = np.maximum(val, 1e-12 * max(float(val.max()), 1e-300))
    return (vec * val ** (-0.5 if inverse else 0.5)) @ vec.T


def _r2_draws(v: _View, off: np.ndarray, z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """:func:`_r2_from` for a stack of draws ``z`` (S × N × K) and ``w`` (S × D × K) → S × K."""
    n_draws, n, k = z.shape
    if v.likelihood != "gaussian":
        return np.stack([_r2_from(v, off, z[s], w[s]) for s in range(n_draws)])
    resid = v.mask * (v.y - off)
    denom = float(np.sum(resid * (v.y - off)))
    zs = np.moveaxis(z, 0, 1).reshape(n, n_draws * k)
    a = (resid.T @ zs).reshape(-1, n_draws, k)  # D × S × K
    b = (v.mask.T @ zs**2).reshape(-1, n_draws, k)
    sse_drop = 2.0 * np.einsum("sdk,dsk->sk", w, a) - np.einsum("sdk,dsk->sk", w**2, b)
    return sse_drop / denom
