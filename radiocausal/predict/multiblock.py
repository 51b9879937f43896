"""Multivariate links between an imaging block and a genomic block: regularised CCA and PLS.

Canonical correlations computed on the data used to fit are optimistic (with more features than
patients plain CCA finds a *perfect* in-sample correlation for any data), so the figures reported
here are out-of-sample: each outer fold fits the decomposition (and tunes its regularisation) on
the training patients and correlates the test patients' imaging and genomic scores.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> latent = rng.normal(size=(80, 1))
>>> img = pd.DataFrame(latent @ rng.normal(size=(1, 12)) + rng.normal(size=(80, 12)))
>>> gen = pd.DataFrame(latent @ rng.normal(size=(1, 8)) + rng.normal(size=(80, 8)))
>>> res = cross_decompose(img.add_prefix("i"), gen.add_prefix("g"), method="rcca", max_components=2)
>>> bool(res.canonical_correlations.iloc[0] > 0.5)
True
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.cross_decomposition import CCA, PLSCanonical
from sklearn.model_selection import KFold, RepeatedKFold
from sklearn.utils.validation import check_is_fitted

from radiocausal.errors import DataError, DataWarning, ModelError
from radiocausal.predict._validation import corrected_t_interval

__all__ = ["RegularizedCCA", "cross_decompose", "MultiblockResult", "METHODS"]

#: Methods accepted by :func:`cross_decompose`.
METHODS = ("rcca", "pls", "cca")
_DEFAULT_GRID = (0.1, 0.3, 0.5, 0.7, 0.9, 0.99)


def _inv_sqrt(cov: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(cov)
    values = np.clip(values, 1e-10, None)
    return (vectors / np.sqrt(values)) @ vectors.T


class RegularizedCCA(BaseEstimator):
    """CCA with shrinkage of each block's covariance towards the identity.

    ``C_xx <- (1 - r) C_xx + r I`` on standardised features (likewise for Y); ``r = 0`` is plain
    CCA, ``r -> 1`` approaches PLS-SVD (maximal covariance).

    Parameters
    ----------
    n_components : int
        Number of canonical pairs.
    regularization : float or sequence of float
        Shrinkage ``r`` in [0, 1); a sequence is tuned by an inner ``inner_splits``-fold CV that
        maximises the out-of-sample correlation of the first pair.
    inner_splits, random_state : inner tuning CV.

    Attributes
    ----------
    x_weights_, y_weights_ : numpy.ndarray
        Canonical weights on standardised features.
    regularization_ : float
        The shrinkage used.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(50, 1))
    >>> X, Y = z + rng.normal(size=(50, 4)), z + rng.normal(size=(50, 3))
    >>> m = RegularizedCCA(n_components=1, regularization=0.5).fit(X, Y)
    >>> xs, ys = m.transform(X, Y)
    >>> bool(np.corrcoef(xs[:, 0], ys[:, 0])[0, 1] > 0.5)
    True
    """

    def __init__(self, n_components: int = 1, regularization: float | Sequence[float] = 0.5,
                 inner_splits: int = 3, random_state: int | None = 0):
        self.n_components = n_components
        self.regularization = regularization
        self.inner_splits = inner_splits
        self.random_state = random_state

    def _fit_fixed(self, X: np.ndarray, Y: np.ndarray, r: float) -> None:
        if not 0 <= r < 1:
            raise ModelError(f"regularization={r!r}; expected a value in [0, 1)")
        self.x_mean_, self.x_std_ = X.mean(axis=0), X.std(axis=0, ddof=1)
        self.y_mean_, self.y_std_ = Y.mean(axis=0), Y.std(axis=0, ddof=1)
        self.x_std_[self.x_std_ == 0] = 1.0
        self.y_std_[self.y_std_ == 0] = 1.0
        Xs, Ys = (X - self.x_mean_) / self.x_std_, (Y - self.y_mean_) / self.y_std_
        n = X.shape[0]
        cxx = (1 - r) * (Xs.T @ Xs) / (n - 1) + r * np.eye(X.shape[1])
        cyy = (1 - r) * (Ys.T @ Ys) / (n - 1) + r * np.eye(Y.shape[1])
        wx, wy = _inv_sqrt(cxx), _inv_sqrt(cyy)
        u, s, vt = np.linalg.svd(wx @ (Xs.T @ Ys / (n - 1)) @ wy, full_matrices=False)
        k = self.n_components
        self.x_weights_ = wx @ u[:, :k]
        self.y_weights_ = wy @ vt[:k].T
        self.regularization_ = float(r)

    def fit(self, X: np.ndarray, Y: np.ndarray) -> RegularizedCCA:
        """Fit (tuning the shrinkage by inner CV when a grid is given)."""
        X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
        k = self.n_components
        if not isinstance(k, (int, np.integer)) or not 1 <= k <= min(X.shape[1], Y.shape[1]):
            raise ModelError(f"n_components={k!r}; expected an integer in [1, {min(X.shape[1], Y.shape[1])}]")
        grid = np.atleast_1d(np.asarray(self.regularization, dtype=float))
        if grid.size == 1:
            self._fit_fixed(X, Y, float(grid[0]))
            return self
        inner = KFold(self.inner_splits, shuffle=True, random_state=self.random_state)
        scores = np.zeros(grid.size)
        for train, test in inner.split(X):
            for i, r in enumerate(grid):
                m = RegularizedCCA(1, float(r))._fit_fixed_and_return(X[train], Y[train])
                scores[i] += _score_correlations(m, X[test], Y[test])[0]
        self._fit_fixed(X, Y, float(grid[int(np.argmax(scores))]))
        self.inner_scores_ = scores / self.inner_splits
        return self

    def _fit_fixed_and_return(self, X: np.ndarray, Y: np.ndarray) -> RegularizedCCA:
        self._fit_fixed(X, Y, float(np.atleast_1d(self.regularization)[0]))
        return self

    def transform(self, X: np.ndarray, Y: np.ndarray | None = None):
        """Canonical scores of X (and of Y when given)."""
        check_is_fitted(self, "x_weights_")
        xs = ((np.asarray(X, dtype=float) - self.x_mean_) / self.x_std_) @ self.x_weights_
        if Y is None:
            return xs
        ys = ((np.asarray(Y, dtype=float) - self.y_mean_) / self.y_std_) @ self.y_weights_
        return xs, ys


def _score_correlations(model: BaseEstimator, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Correlation of paired scores, component by component (NaN when a score is constant)."""
    xs, ys = model.transform(X, Y)
    out = np.full(xs.shape[1], np.nan)
    for j in range(xs.shape[1]):
        if np.ptp(xs[:, j]) > 0 and np.ptp(ys[:, j]) > 0:
            out[j] = np.corrcoef(xs[:, j], ys[:, j])[0, 1]
    return out


@dataclass
class MultiblockResult:
    """Out-of-sample canonical correlations from :func:`cross_decompose`.

    Attributes
    ----------
    method : str
    fold_correlations : pandas.DataFrame
        Test-fold correlation of each component pair (rows: folds; columns: components 1..k).
    in_sample_correlations : pandas.Series
        Correlations on the patients used for fitting (full data): optimistic, for contrast.
    n_components : int
        Leading components whose out-of-sample correlation has a corrected-t lower bound > 0
        (0 when even the first does not).
    x_loadings, y_loadings : pandas.DataFrame
        Tidy structure coefficients of the full-data fit: ``block``, ``feature``,
        ``component``, ``loading`` (correlation of a feature with its block's score).
    """

    method: str
    fold_correlations: pd.DataFrame
    in_sample_correlations: pd.Series
    n_components: int
    x_loadings: pd.DataFrame
    y_loadings: pd.DataFrame
    _rerun: object = field(default=None, repr=False)
    _test_fraction: float = field(default=0.25, repr=False)
    _perm: dict = field(default_factory=dict, repr=False)

    @property
    def canonical_correlations(self) -> pd.Series:
        """Mean out-of-sample correlation per component."""
        return self.fold_correlations.mean(axis=0)

    def correlation_ci(self, component: int = 1, level: float = 0.95) -> tuple[float, float]:
        """Corrected-t interval of a component's out-of-sample correlation."""
        return corrected_t_interval(self.fold_correlations[component], self._test_fraction, level)

    def permutation_pvalue(self, n_permutations: int = 99, random_state: int = 0) -> float:
        """P-value of the first pair's out-of-sample correlation against shuffling patients in Y."""
        if not isinstance(n_permutations, (int, np.integer)) or n_permutations < 1:
            raise ModelError(f"n_permutations={n_permutations!r}; expected a positive integer")
        key = (int(n_permutations), int(random_state))
        if key not in self._perm:
            rng = np.random.default_rng(random_state)
            self._perm[key] = np.array([self._rerun(rng.permutation) for _ in range(n_permutations)])
        perm = self._perm[key]
        observed = self.canonical_correlations.iloc[0]
        return float((1 + np.sum(perm >= observed - 1e-12)) / (1 + perm.size))


def _make(method: str, k: int, regularization: Sequence[float] | float, random_state: int) -> BaseEstimator:
    if method == "rcca":
        return RegularizedCCA(n_components=k, regularization=regularization, random_state=random_state)
    if method == "pls":
        return PLSCanonical(n_components=k, scale=True, max_iter=1000)
    return CCA(n_components=k, scale=True, max_iter=1000)


def cross_decompose(
    imaging: pd.DataFrame,
    genomic: pd.DataFrame,
    method: str = "rcca",
    max_components: int = 3,
    regularization: float | Sequence[float] = _DEFAULT_GRID,
    n_splits: int = 5,
    n_repeats: int = 1,
    random_state: int = 0,
) -> MultiblockResult:
    """Regularised CCA / PLS between two blocks with out-of-sample canonical correlations.

    Parameters
    ----------
    imaging, genomic : pandas.DataFrame
        The two blocks, one row per patient, same index; numeric, no missing values.
    method : {"rcca", "pls", "cca"}
        Regularised CCA (shrinkage tuned by inner CV over ``regularization``), PLS-canonical
        (scikit-learn), or plain CCA (scikit-learn; warns when a block has as many features
        as training patients, where it overfits to a perfect in-sample correlation).
    max_components : int
        Components fitted; ``n_components`` of the result is how many of them generalise.
    regularization : float or sequence of float
        Shrinkage grid of ``"rcca"``.
    n_splits, n_repeats, random_state
        Outer ``RepeatedKFold`` over patients.

    Returns
    -------
    MultiblockResult
    """
    if method not in METHODS:
        raise ModelError(f"method={method!r}; expected one of {list(METHODS)}")
    for name, block in (("imaging", imaging), ("genomic", genomic)):
        if not isinstance(block, pd.DataFrame):
            raise DataError(f"{name} must be a DataFrame indexed by patient, not {type(block).__name__}")
        if block.index.has_duplicates:
            raise DataError(f"{name} has duplicated patient ids; one row per patient is expected")
        if block.select_dtypes(include="number").shape[1] != block.shape[1]:
            raise DataError(f"{name} must be numeric")
        if block.isna().any().any():
            raise DataError(f"{name} has missing values; impute or drop them first")
    if set(imaging.index) != set(genomic.index):
        raise DataError("imaging and genomic blocks must hold the same patients (same index)")
    genomic = genomic.loc[imaging.index]
    X, Y = imaging.to_numpy(dtype=float), genomic.to_numpy(dtype=float)
    n = X.shape[0]
    k_max = min(X.shape[1], Y.shape[1])
    if not isinstance(max_components, (int, np.integer)) or not 1 <= max_components <= k_max:
        raise ModelError(f"max_components={max_components!r}; expected an integer in [1, {k_max}]")
    splits = list(RepeatedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=random_state).split(X))
    n_train = int(np.mean([len(tr) for tr, _ in splits]))
    if method == "cca" and max(X.shape[1], Y.shape[1]) >= n_train:
        warnings.warn(
            f"plain CCA with {X.shape[1]} imaging and {Y.shape[1]} genomic features but ~{n_train} training "
            "patients overfits to a perfect in-sample correlation; use method='rcca' or 'pls'",
            DataWarning,
            stacklevel=2,
        )
    template = _make(method, int(max_components), regularization, random_state)

    def outer(Yp: np.ndarray) -> np.ndarray:
        rows = []
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*(converge|Maximum number of iterations).*")
            for train, test in splits:
                model = clone(template).fit(X[train], Yp[train])
                rows.append(_score_correlations(model, X[test], Yp[test]))
        return np.vstack(rows)

    folds = outer(Y)
    table = pd.DataFrame(folds, columns=pd.RangeIndex(1, max_components + 1, name="component"))
    frac = float(np.mean([len(te) for _, te in splits]) / n_train)
    n_keep = 0
    for j in table.columns:
        low, _ = corrected_t_interval(table[j], frac)
        if not low > 0:
            break
        n_keep += 1
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(converge|Maximum number of iterations).*")
        full = clone(template).fit(X, Y)
    in_sample = pd.Series(_score_correlations(full, X, Y), index=table.columns, name="in_sample")
    xs, ys = full.transform(X, Y)

    def tidy(block: str, data: np.ndarray, names: Sequence[str], scores: np.ndarray) -> pd.DataFrame:
        z = (data - data.mean(0)) / np.where(data.std(0) > 0, data.std(0), 1.0)
        s = (scores - scores.mean(0)) / np.where(scores.std(0) > 0, scores.std(0), 1.0)
        load = z.T @ s / len(z)
        return pd.DataFrame({
            "block": block,
            "feature": np.repeat(np.asarray(names, dtype=object), load.shape[1]),
            "component": np.tile(np.arange(1, load.shape[1] + 1), load.shape[0]),
            "loading": load.ravel(),
        })

    def rerun(permute) -> float:
        return float(np.nanmean(outer(Y[permute(n)])[:, 0]))

    return MultiblockResult(
        method=method, fold_correlations=table, in_sample_correlations=in_sample, n_components=n_keep,
        x_loadings=tidy("imaging", X, imaging.columns, xs), y_loadings=tidy("genomic", Y, genomic.columns, ys),
        _rerun=rerun, _test_fraction=frac,
    )
