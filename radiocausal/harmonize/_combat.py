"""ComBat harmonisation of radiomic features across sites, as a scikit-learn transformer.

Model (Johnson, Li & Rabinovic 2007; Fortin et al. 2017-2018 for imaging features): for feature
``g``, patient ``j`` at site ``i``

    y_ijg = alpha_g + x_ij' beta_g + gamma_ig + delta_ig * eps_ijg,

with ``x`` the biological covariates whose effects must be preserved.  Site location ``gamma``
and scale ``delta`` are estimated per feature and shrunk towards their across-feature means with
the parametric empirical-Bayes priors (normal for ``gamma``, inverse-gamma for ``delta^2``).
Harmonised values are ``(y - alpha - x'beta - gamma*) / delta* + alpha + x'beta``.

Everything is estimated in :meth:`ComBat.fit`; :meth:`ComBat.transform` only applies the stored
estimates, so inside a pipeline the test fold never informs the harmonisation.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from radiocausal.errors import ConvergenceWarning, DataError, DataWarning, ModelError

__all__ = ["ComBat", "combat"]


def _eb_iterate(z: np.ndarray, gamma_hat: np.ndarray, delta_hat: np.ndarray,
                max_iter: int, tol: float) -> tuple[np.ndarray, np.ndarray, bool]:
    """Parametric empirical-Bayes location/scale for one site (``z``: n_i x p standardised)."""
    n = z.shape[0]
    gamma_bar = gamma_hat.mean()
    tau2 = gamma_hat.var(ddof=1)
    m = delta_hat.mean()
    s2 = delta_hat.var(ddof=1)
    if s2 <= 0 or tau2 <= 0:  # no spread across features: nothing to shrink towards
        return gamma_hat.copy(), delta_hat.copy(), True
    a = (2 * s2 + m**2) / s2
    b = (m * s2 + m**3) / s2
    gamma, delta = gamma_hat.copy(), delta_hat.copy()
    for _ in range(max_iter):
        gamma_new = (n * tau2 * gamma_hat + delta * gamma_bar) / (n * tau2 + delta)
        ss = ((z - gamma_new) ** 2).sum(axis=0)
        delta_new = (b + ss / 2) / (n / 2 + a - 1)
        change = max(np.max(np.abs(gamma_new - gamma) / (np.abs(gamma) + 1e-12)),
                     np.max(np.abs(delta_new - delta) / delta))
        gamma, delta = gamma_new, delta_new
        if change < tol:
            return gamma, delta, True
    return gamma, delta, False


class ComBat(TransformerMixin, BaseEstimator):
    """ComBat location/scale harmonisation across sites that preserves named covariates.

    Parameters
    ----------
    site_column : str
        Column of ``X`` holding the site (scanner, centre) of each patient; it is consumed
        and dropped from the output.
    covariates : sequence of str
        Numeric columns of ``X`` whose effects on the features are preserved (age, grade,
        ...).  They must be known for new patients too, so never the prediction target.
        They are passed through unchanged.
    features : sequence of str, optional
        Columns to harmonise; default: every numeric column that is neither the site nor a
        covariate.  Other columns pass through unchanged.
    empirical_bayes : bool
        Shrink site parameters with the parametric empirical-Bayes priors (ComBat); ``False``
        gives plain per-site location/scale standardisation.
    max_iter, tol : int, float
        Limits of the empirical-Bayes fixed-point iteration.

    Attributes
    ----------
    sites_ : numpy.ndarray
        Site labels seen in fit.
    features_ : list of str
        Harmonised columns.
    grand_mean_, var_pooled_ : numpy.ndarray
        ``alpha`` and pooled residual variance per feature.
    beta_ : numpy.ndarray
        Covariate effects (n_covariates x n_features).
    gamma_, delta_ : pandas.DataFrame
        Estimated (shrunk) site location and variance, sites x features.
    gamma_hat_, delta_hat_ : pandas.DataFrame
        The same before shrinkage.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> site = np.repeat(["A", "B"], 50)
    >>> X = pd.DataFrame(rng.normal(size=(100, 4)), columns=list("abcd"))
    >>> X.loc[site == "B", :] += 2.0
    >>> X["site"] = site
    >>> out = ComBat(site_column="site").fit_transform(X)
    >>> list(out.columns)
    ['a', 'b', 'c', 'd']
    >>> bool(abs(out[site == "A"].mean() - out[site == "B"].mean()).max() < 0.3)
    True
    """

    def __init__(
        self,
        site_column: str = "site",
        covariates: Sequence[str] = (),
        features: Sequence[str] | None = None,
        empirical_bayes: bool = True,
        max_iter: int = 1000,
        tol: float = 1e-6,
    ):
        self.site_column = site_column
        self.covariates = covariates
        self.features = features
        self.empirical_bayes = empirical_bayes
        self.max_iter = max_iter
        self.tol = tol

    # --- helpers ------------------------------------------------------------------------------
    def _split(self, X: pd.DataFrame, fitting: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not isinstance(X, pd.DataFrame):
            raise DataError(f"ComBat needs a pandas DataFrame with a {self.site_column!r} column, "
                            f"not {type(X).__name__}")
        covs = list(self.covariates)
        needed = [self.site_column, *covs] + (list(self.features) if self.features is not None else [])
        missing = [c for c in needed if c not in X.columns]
        if missing:
            raise DataError(f"ComBat: columns {missing} are missing from X (columns: {list(X.columns)[:10]}...)")
        if fitting:
            if self.features is not None:
                feats = list(self.features)
            else:
                numeric = X.select_dtypes(include="number").columns
                feats = [c for c in numeric if c != self.site_column and c not in covs]
            overlap = set(feats) & ({self.site_column} | set(covs))
            if overlap:
                raise ModelError(f"features and site/covariates overlap: {sorted(overlap)}")
            if not feats:
                raise DataError("ComBat found no numeric feature columns to harmonise")
            self.features_ = feats
            self.n_features_in_ = X.shape[1]
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        sites = X[self.site_column]
        if sites.isna().any():
            raise DataError(f"site column {self.site_column!r} has missing values")
        sites = sites.astype(str).to_numpy()
        Y = X[self.features_].to_numpy(dtype=float)
        C = X[covs].to_numpy(dtype=float) if covs else np.empty((len(X), 0))
        if not np.isfinite(Y).all():
            bad = np.array(self.features_)[~np.isfinite(Y).all(axis=0)].tolist()
            raise DataError(f"ComBat: non-finite values in features {bad[:10]}; impute first")
        if not np.isfinite(C).all():
            raise DataError(f"ComBat: non-finite values in covariates {covs}")
        return sites, Y, C

    # --- estimator API ---------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: object = None) -> ComBat:
        """Estimate covariate effects and site location/scale from ``X`` (training patients)."""
        sites, Y, C = self._split(X, fitting=True)
        levels, codes, counts = np.unique(sites, return_inverse=True, return_counts=True)
        if levels.size < 2:
            raise DataError(f"ComBat needs at least 2 sites in {self.site_column!r}, found {levels.tolist()}")
        if counts.min() < 2:
            raise DataError(
                f"site {levels[counts.argmin()]!r} has {counts.min()} patient(s); ComBat needs >= 2 per site"
            )
        if self.empirical_bayes and Y.shape[1] < 2:
            raise ModelError("empirical_bayes=True needs at least 2 features; use empirical_bayes=False")
        n, k = len(sites), levels.size
        B = np.eye(k)[codes]
        D = np.hstack([B, C])
        if np.linalg.matrix_rank(D) < D.shape[1]:
            raise DataError(
                f"covariates {list(self.covariates)} are collinear with the sites (e.g. constant within "
                "every site); their effect cannot be separated from the site effect"
            )
        coef, *_ = np.linalg.lstsq(D, Y, rcond=None)
        grand_mean = (counts / n) @ coef[:k]
        var_pooled = ((Y - D @ coef) ** 2).mean(axis=0)
        constant = var_pooled <= 1e-12 * np.maximum(1.0, grand_mean**2)
        if constant.any():
            warnings.warn(
                f"ComBat: features {np.array(self.features_)[constant].tolist()[:10]} have no residual "
                "variance; they are left unscaled",
                DataWarning,
                stacklevel=2,
            )
            var_pooled = np.where(constant, 1.0, var_pooled)
        beta = coef[k:]
        Z = (Y - grand_mean - C @ beta) / np.sqrt(var_pooled)
        gamma_hat = np.vstack([Z[codes == i].mean(axis=0) for i in range(k)])
        delta_hat = np.vstack([Z[codes == i].var(axis=0, ddof=1) for i in range(k)])
        delta_hat = np.where(delta_hat <= 0, 1.0, delta_hat)
        if self.empirical_bayes:
            gamma = np.empty_like(gamma_hat)
            delta = np.empty_like(delta_hat)
            for i in range(k):
                gamma[i], delta[i], ok = _eb_iterate(Z[codes == i], gamma_hat[i], delta_hat[i],
                                                     self.max_iter, self.tol)
                if not ok:
                    warnings.warn(f"ComBat: empirical-Bayes iteration for site {levels[i]!r} did not "
                                  f"converge in {self.max_iter} iterations", ConvergenceWarning, stacklevel=2)
        else:
            gamma, delta = gamma_hat, delta_hat
        self.sites_ = levels
        self.grand_mean_ = grand_mean
        self.var_pooled_ = var_pooled
        self.beta_ = beta
        frame = lambda a: pd.DataFrame(a, index=pd.Index(levels, name="site"), columns=self.features_)  # noqa: E731
        self.gamma_, self.delta_ = frame(gamma), frame(delta)
        self.gamma_hat_, self.delta_hat_ = frame(gamma_hat), frame(delta_hat)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Harmonise ``X`` with the fitted estimates; sites must have been seen in fit."""
        check_is_fitted(self, "gamma_")
        sites, Y, C = self._split(X, fitting=False)
        unseen = sorted(set(sites) - set(self.sites_))
        if unseen:
            raise DataError(
                f"sites {unseen} were not in the data ComBat was fitted on (seen: {self.sites_.tolist()}); "
                "ComBat cannot harmonise a site it has no training patients from"
            )
        codes = np.searchsorted(self.sites_, sites)
        sd = np.sqrt(self.var_pooled_)
        biology = self.grand_mean_ + C @ self.beta_
        Z = (Y - biology) / sd
        adjusted = (Z - self.gamma_.to_numpy()[codes]) / np.sqrt(self.delta_.to_numpy()[codes])
        out = X.drop(columns=[self.site_column]).copy()
        out[self.features_] = adjusted * sd + biology
        return out

    def get_feature_names_out(self, input_features: Sequence[str] | None = None) -> np.ndarray:
        """Output columns: the input columns without the site column."""
        check_is_fitted(self, "gamma_")
        return np.asarray([c for c in self.feature_names_in_ if c != self.site_column], dtype=object)


def combat(
    features: pd.DataFrame,
    sites: pd.Series,
    covariates: pd.DataFrame | None = None,
    *,
    empirical_bayes: bool = True,
) -> pd.DataFrame:
    """Harmonise a whole table at once (descriptive analyses; for prediction use ``cross_validate(harmonize=True)``).

    Parameters
    ----------
    features : pandas.DataFrame
        Numeric features, one row per patient.
    sites : pandas.Series
        Site of each patient, same index.
    covariates : pandas.DataFrame, optional
        Numeric biological covariates to preserve, same index.
    empirical_bayes : bool
        See :class:`ComBat`.

    Returns
    -------
    pandas.DataFrame
        Harmonised features with the input index and columns.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> X = pd.DataFrame(rng.normal(size=(40, 3)), columns=["x", "y", "z"])
    >>> s = pd.Series(np.repeat(["s1", "s2"], 20))
    >>> combat(X + np.repeat([[0], [3]], 20, axis=0), s).shape
    (40, 3)
    """
    if not isinstance(features, pd.DataFrame):
        raise DataError(f"features must be a DataFrame, not {type(features).__name__}")
    site_col = "__radiocausal_site__"
    frame = features.copy()
    sites = pd.Series(sites)
    if not sites.index.equals(features.index):
        if set(sites.index) != set(features.index) or sites.index.has_duplicates:
            raise DataError("sites must be indexed by the same patients as features")
        sites = sites.loc[features.index]
    frame[site_col] = sites.to_numpy()
    cov_names: list[str] = []
    if covariates is not None:
        cov = pd.DataFrame(covariates)
        if set(cov.index) != set(features.index) or cov.index.has_duplicates:
            raise DataError("covariates must be indexed by the same patients as features")
        clash = set(cov.columns) & set(features.columns)
        if clash:
            raise DataError(f"covariates and features share column names {sorted(clash)}")
        cov = cov.loc[features.index]
        for c in cov.columns:
            frame[c] = cov[c].to_numpy()
        cov_names = list(cov.columns)
    model = ComBat(site_column=site_col, covariates=cov_names, features=list(features.columns),
                   empirical_bayes=empirical_bayes)
    return model.fit_transform(frame)[list(features.columns)]
