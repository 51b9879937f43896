"""Feature filters for the imaging block, usable as ``cross_validate(preprocessing=[...])`` steps.

Any filter that looks at the data (:class:`CorrelationFilter`) is fitted inside each training fold
when passed through ``preprocessing``; :class:`StabilityFilter` uses reliability values from a
separate test-retest study, so it involves no patient of the prediction cohort.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from radiocausal.errors import DataError, ModelError

__all__ = ["CorrelationFilter", "StabilityFilter"]


class CorrelationFilter(SelectorMixin, BaseEstimator):
    """Drop redundant features: keep a feature unless it correlates beyond ``threshold`` with one kept.

    Features are visited in column order, which makes the choice deterministic and transparent:
    pass the columns in order of preference (e.g. most reproducible first).  Constant features
    are dropped.

    Parameters
    ----------
    threshold : float
        Absolute Pearson (or Spearman) correlation above which a later feature is dropped.
    method : {"pearson", "spearman"}
        Correlation measure.

    Attributes
    ----------
    support_ : numpy.ndarray of bool
        Kept features.
    dropped_for_ : dict
        Dropped feature -> the kept feature it duplicated (when input had column names).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=50)
    >>> X = pd.DataFrame({"a": a, "a_copy": a + 0.01 * rng.normal(size=50), "b": rng.normal(size=50)})
    >>> CorrelationFilter(0.9).fit(X).get_feature_names_out().tolist()
    ['a', 'b']
    """

    def __init__(self, threshold: float = 0.9, method: str = "pearson"):
        self.threshold = threshold
        self.method = method

    def fit(self, X, y=None) -> CorrelationFilter:
        """Choose the kept features on the training data ``X``."""
        if not 0 < self.threshold <= 1:
            raise ModelError(f"threshold={self.threshold!r}; expected a value in (0, 1]")
        if self.method not in ("pearson", "spearman"):
            raise ModelError(f"method={self.method!r}; expected 'pearson' or 'spearman'")
        A = validate_data(self, X, dtype=float)
        if self.method == "spearman":
            A = pd.DataFrame(A).rank().to_numpy()
        sd = A.std(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = np.corrcoef(A, rowvar=False) if A.shape[1] > 1 else np.ones((1, 1))
        corr = np.nan_to_num(np.abs(np.atleast_2d(corr)), nan=0.0)
        keep: list[int] = []
        dropped: dict[int, int] = {}
        for j in range(A.shape[1]):
            if sd[j] == 0:
                dropped[j] = -1
                continue
            hit = next((k for k in keep if corr[j, k] > self.threshold), None)
            if hit is None:
                keep.append(j)
            else:
                dropped[j] = hit
        if not keep:
            raise DataError("CorrelationFilter: every feature is constant in this training fold")
        self.support_ = np.zeros(A.shape[1], dtype=bool)
        self.support_[keep] = True
        names = getattr(self, "feature_names_in_", np.array([f"x{i}" for i in range(A.shape[1])]))
        self.dropped_for_ = {names[j]: (names[k] if k >= 0 else None) for j, k in dropped.items()}
        return self

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self, "support_")
        return self.support_


class StabilityFilter(SelectorMixin, BaseEstimator):
    """Keep features whose test-retest reliability (e.g. ICC) reaches ``threshold``.

    Parameters
    ----------
    reliability : pandas.Series
        Reliability per feature name, from a separate repeatability study (e.g. ICC(3,1) on
        scan-rescan pairs).  Features missing from it are dropped, with their names in
        ``unrated_``.
    threshold : float
        Minimum reliability kept.

    Examples
    --------
    >>> import pandas as pd
    >>> icc = pd.Series({"a": 0.95, "b": 0.4, "c": 0.8})
    >>> X = pd.DataFrame({"a": [1.0, 2, 3], "b": [3.0, 1, 2], "c": [0.0, 1, 0]})
    >>> StabilityFilter(icc, threshold=0.75).fit(X).get_feature_names_out().tolist()
    ['a', 'c']
    """

    def __init__(self, reliability: pd.Series | None = None, threshold: float = 0.75):
        self.reliability = reliability
        self.threshold = threshold

    def fit(self, X, y=None) -> StabilityFilter:
        """Look up each column of ``X`` (a DataFrame) in ``reliability``."""
        if not isinstance(self.reliability, pd.Series):
            raise ModelError("reliability must be a pandas Series indexed by feature name")
        if not hasattr(X, "columns"):
            raise DataError("StabilityFilter needs a DataFrame so that columns can be matched by name")
        validate_data(self, X, dtype=float, ensure_all_finite="allow-nan")
        names = np.asarray(X.columns, dtype=object)
        values = self.reliability.reindex(names).to_numpy(dtype=float)
        self.unrated_ = names[np.isnan(values)].tolist()
        self.support_ = np.nan_to_num(values, nan=-np.inf) >= self.threshold
        if not self.support_.any():
            raise DataError(f"StabilityFilter: no feature reaches reliability {self.threshold}")
        return self

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self, "support_")
        return self.support_
