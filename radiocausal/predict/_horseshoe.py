"""Regularised-horseshoe logistic / multinomial / linear models in PyMC, as scikit-learn estimators.

Prior (Piironen & Vehtari 2017, "Sparsity information and regularization in the horseshoe and
other shrinkage priors"), on standardised features::

    beta_j = z_j * tau * lambda_tilde_j,     z_j ~ N(0, 1),   lambda_j ~ C+(0, 1),
    lambda_tilde_j^2 = c^2 lambda_j^2 / (c^2 + tau^2 lambda_j^2),
    tau ~ C+(0, tau0),   tau0 = p0 / (p - p0) * sigma / sqrt(n),
    c^2 ~ InvGamma(slab_df / 2, slab_df * slab_scale^2 / 2),

with ``sigma = 2`` (pseudo standard deviation) for logistic models and ``sigma = 1`` for a
standardised continuous target.  There are no tuning parameters to cross-validate: the global
scale is learnt from the training fold, so the model plugs into the same outer CV as the
penalised ones.  Predictions are posterior means of the predicted probability (or value).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from radiocausal.errors import ConvergenceWarning, ModelError

__all__ = ["HorseshoeClassifier", "HorseshoeRegressor"]


def _as_matrix(estimator: BaseEstimator, X: Any, fitting: bool) -> np.ndarray:
    if fitting:
        names = getattr(X, "columns", None)
        estimator.feature_names_in_ = (np.asarray(names, dtype=object) if names is not None
                                       else np.asarray([f"x{i}" for i in range(np.shape(X)[1])], dtype=object))
        estimator.n_features_in_ = len(estimator.feature_names_in_)
    A = np.asarray(X, dtype=float)
    if A.ndim != 2 or A.shape[1] != estimator.n_features_in_:
        raise ModelError(f"X must have {estimator.n_features_in_} columns, got shape {A.shape}")
    if not np.isfinite(A).all():
        raise ModelError("X contains non-finite values; impute and scale before the horseshoe model")
    return A


class _Horseshoe(BaseEstimator):
    """Shared sampler for the horseshoe estimators (not public)."""

    def __init__(
        self,
        expected_nonzero: float = 3.0,
        slab_scale: float = 2.0,
        slab_df: float = 4.0,
        draws: int = 500,
        tune: int = 500,
        chains: int = 2,
        target_accept: float = 0.95,
        credible_level: float = 0.9,
        random_state: int | None = 0,
    ):
        self.expected_nonzero = expected_nonzero
        self.slab_scale = slab_scale
        self.slab_df = slab_df
        self.draws = draws
        self.tune = tune
        self.chains = chains
        self.target_accept = target_accept
        self.credible_level = credible_level
        self.random_state = random_state

    def _sample(self, A: np.ndarray, y: np.ndarray, n_out: int, likelihood: str) -> None:
        import pymc as pm

        n, p = A.shape
        if not 0 < self.expected_nonzero < p:
            p0 = min(max(1.0, p / 2), p - 0.5) if p > 1 else 0.5
        else:
            p0 = float(self.expected_nonzero)
        sigma = 2.0 if likelihood != "normal" else 1.0
        tau0 = p0 / max(p - p0, 0.5) * sigma / np.sqrt(n)
        shape = (p,) if n_out == 1 else (p, n_out)
        with pm.Model():
            tau = pm.HalfCauchy("tau", beta=tau0)
            lam = pm.HalfCauchy("lam", beta=1.0, shape=shape)
            c2 = pm.InverseGamma("c2", alpha=self.slab_df / 2, beta=self.slab_df * self.slab_scale**2 / 2)
            lam_tilde = pm.math.sqrt(c2 * lam**2 / (c2 + tau**2 * lam**2))
            z = pm.Normal("z", 0.0, 1.0, shape=shape)
            beta = pm.Deterministic("beta", z * tau * lam_tilde)
            intercept = pm.Normal("intercept", 0.0, 5.0, shape=() if n_out == 1 else (n_out,))
            eta = intercept + pm.math.dot(A, beta)
            if likelihood == "logistic":
                pm.Bernoulli("y", logit_p=eta, observed=y)
            elif likelihood == "multinomial":
                zeros = pm.math.zeros((n, 1))
                pm.Categorical("y", logit_p=pm.math.concatenate([zeros, eta], axis=1), observed=y)
            else:
                noise = pm.HalfNormal("sigma", 1.0)
                pm.Normal("y", mu=eta, sigma=noise, observed=y)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # PyMC's own divergence messages: summarised below
                idata = pm.sample(
                    draws=self.draws, tune=self.tune, chains=self.chains, cores=1,
                    target_accept=self.target_accept, random_seed=self.random_state,
                    progressbar=False, compute_convergence_checks=False,
                )
        post = idata.posterior
        self.beta_draws_ = post["beta"].values.reshape(-1, *shape)
        self.intercept_draws_ = post["intercept"].values.reshape(-1, *(() if n_out == 1 else (n_out,)))
        divergences = int(idata.sample_stats["diverging"].values.sum())
        self.n_divergences_ = divergences
        try:
            import arviz as az

            rhat = float(np.nanmax(az.rhat(idata, var_names=["beta", "intercept"]).to_array().values))
        except Exception:  # pragma: no cover - diagnostics must never break a fit
            rhat = float("nan")
        self.rhat_max_ = rhat
        if divergences or (np.isfinite(rhat) and rhat > 1.05):
            warnings.warn(
                f"horseshoe posterior: {divergences} divergent transitions, max R-hat {rhat:.3f}; "
                "increase tune/target_accept before trusting its coefficients",
                ConvergenceWarning,
                stacklevel=3,
            )
        # reported coefficients: posterior mean, zero when the credible interval covers 0
        lo, hi = np.quantile(self.beta_draws_, [(1 - self.credible_level) / 2, (1 + self.credible_level) / 2],
                             axis=0)
        mean = self.beta_draws_.mean(axis=0)
        coef = np.where((lo > 0) | (hi < 0), mean, 0.0)
        self.coef_ = coef if n_out == 1 else coef.T
        self.intercept_ = self.intercept_draws_.mean(axis=0)


class HorseshoeClassifier(ClassifierMixin, _Horseshoe):
    """Regularised-horseshoe logistic (binary) or reference-coded multinomial classifier.

    Parameters
    ----------
    expected_nonzero : float
        Prior guess ``p0`` of the number of relevant features (sets the global scale).
    slab_scale, slab_df : float
        Scale and degrees of freedom of the slab that regularises large coefficients.
    draws, tune, chains, target_accept : NUTS settings (``pymc.sample``).
    credible_level : float
        ``coef_`` keeps the posterior mean of coefficients whose central credible interval of
        this level excludes 0 and sets the others to 0 (used for selection frequencies).
    random_state : int or None
        Sampler seed.

    Attributes
    ----------
    classes_, coef_, intercept_, beta_draws_, intercept_draws_, n_divergences_, rhat_max_

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 4)); y = (X[:, 0] + 0.3 * rng.normal(size=60) > 0).astype(int)
    >>> clf = HorseshoeClassifier(draws=200, tune=200).fit(X, y)
    >>> clf.predict_proba(X).shape
    (60, 2)
    """

    def fit(self, X: Any, y: Any) -> HorseshoeClassifier:
        """Sample the posterior given features ``X`` (standardised) and class labels ``y``."""
        A = _as_matrix(self, X, fitting=True)
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        k = self.classes_.size
        if k < 2:
            raise ModelError(f"y has a single class {self.classes_.tolist()}; need at least 2")
        self._sample(A, codes, 1 if k == 2 else k - 1, "logistic" if k == 2 else "multinomial")
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Posterior mean of the class probabilities."""
        check_is_fitted(self, "beta_draws_")
        A = _as_matrix(self, X, fitting=False)
        if self.classes_.size == 2:
            eta = self.intercept_draws_[:, None] + self.beta_draws_ @ A.T  # draws x n
            p1 = (1.0 / (1.0 + np.exp(-eta))).mean(axis=0)
            return np.column_stack([1 - p1, p1])
        eta = self.intercept_draws_[:, None, :] + np.einsum("np,dpk->dnk", A, self.beta_draws_)
        eta = np.concatenate([np.zeros(eta.shape[:2] + (1,)), eta], axis=2)
        eta -= eta.max(axis=2, keepdims=True)
        prob = np.exp(eta)
        prob /= prob.sum(axis=2, keepdims=True)
        return prob.mean(axis=0)

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class HorseshoeRegressor(RegressorMixin, _Horseshoe):
    """Regularised-horseshoe linear regression (target standardised internally).

    Same parameters as :class:`HorseshoeClassifier`; ``sigma = 1`` in ``tau0``.
    """

    def fit(self, X: Any, y: Any) -> HorseshoeRegressor:
        """Sample the posterior given standardised features ``X`` and a continuous ``y``."""
        A = _as_matrix(self, X, fitting=True)
        target = np.asarray(y, dtype=float)
        self.y_mean_, self.y_scale_ = float(target.mean()), float(target.std()) or 1.0
        self._sample(A, (target - self.y_mean_) / self.y_scale_, 1, "normal")
        self.coef_ = self.coef_ * self.y_scale_
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Posterior mean of the regression function."""
        check_is_fitted(self, "beta_draws_")
        A = _as_matrix(self, X, fitting=False)
        mu = (self.intercept_draws_[:, None] + self.beta_draws_ @ A.T).mean(axis=0)
        return self.y_mean_ + self.y_scale_ * mu
