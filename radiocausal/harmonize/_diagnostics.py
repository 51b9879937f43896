"""Site separability: can a classifier tell the site from the features (before / after harmonising)?"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from radiocausal.errors import DataError
from radiocausal.harmonize._combat import ComBat

__all__ = ["SiteSeparability", "site_separability"]

_SITE = "__radiocausal_site__"


@dataclass(frozen=True)
class SiteSeparability:
    """Cross-validated balanced accuracy of predicting site from features.

    Attributes
    ----------
    raw, harmonized : float
        Mean out-of-fold balanced accuracy before and after ComBat (``nan`` when not computed).
    chance : float
        ``1 / n_sites``: the balanced accuracy of a classifier that ignores the features.
    fold_scores : pandas.DataFrame
        Per-fold balanced accuracies (columns ``raw`` and ``harmonized``).
    """

    raw: float
    harmonized: float
    chance: float
    fold_scores: pd.DataFrame

    def __str__(self) -> str:
        return (f"site predictability (balanced accuracy): raw {self.raw:.3f}, "
                f"harmonised {self.harmonized:.3f}, chance {self.chance:.3f}")


def site_separability(
    features: pd.DataFrame,
    sites: pd.Series,
    covariates: pd.DataFrame | None = None,
    *,
    harmonize: bool = True,
    classifier: BaseEstimator | None = None,
    n_splits: int = 5,
    n_repeats: int = 1,
    random_state: int = 0,
) -> SiteSeparability:
    """How well features predict the site, before and after ComBat fitted on training folds only.

    Parameters
    ----------
    features : pandas.DataFrame
        Numeric features, one row per patient.
    sites : pandas.Series
        Site of each patient (the DAG's batch node), same index.
    covariates : pandas.DataFrame, optional
        Numeric biological covariates that ComBat preserves.  The classifier then sees the
        features residualised on them (regression fitted in the training fold, for raw and
        harmonised features alike), so a genuine difference in case-mix between sites is not
        counted as a site effect.
    harmonize : bool
        Also score the ComBat-harmonised features (ComBat fitted in each training fold).
    classifier : sklearn classifier, optional
        Default: standardisation + multinomial logistic regression (detects location shifts;
        pass e.g. a random forest to probe scale or non-linear differences).
    n_splits, n_repeats, random_state
        Outer ``RepeatedStratifiedKFold`` on the site labels.

    Returns
    -------
    SiteSeparability

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> s = pd.Series(np.repeat(["A", "B"], 40))
    >>> X = pd.DataFrame(rng.normal(size=(80, 5)) + np.repeat([[0.0], [1.5]], 40, axis=0))
    >>> X.columns = [f"f{i}" for i in range(5)]
    >>> res = site_separability(X, s)
    >>> res.raw > 0.8 and res.harmonized < 0.7
    True
    """
    if not isinstance(features, pd.DataFrame):
        raise DataError(f"features must be a DataFrame, not {type(features).__name__}")
    sites = pd.Series(sites)
    if set(sites.index) != set(features.index) or sites.index.has_duplicates:
        raise DataError("sites must be indexed by the same patients as features")
    labels = sites.loc[features.index].astype(str).to_numpy()
    levels, counts = np.unique(labels, return_counts=True)
    if levels.size < 2:
        raise DataError(f"site separability needs at least 2 sites, found {levels.tolist()}")
    if counts.min() < n_splits:
        raise DataError(f"site {levels[counts.argmin()]!r} has {counts.min()} patients, fewer than n_splits={n_splits}")
    frame = features.copy()
    cov_names: list[str] = []
    if covariates is not None:
        cov = pd.DataFrame(covariates)
        if set(cov.index) != set(features.index):
            raise DataError("covariates must be indexed by the same patients as features")
        cov = cov.loc[features.index]
        cov_names = list(cov.columns)
        frame[cov_names] = cov.to_numpy()
    frame[_SITE] = labels
    clf = classifier if classifier is not None else make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    combat = ComBat(site_column=_SITE, covariates=cov_names, features=list(features.columns))
    cols = list(features.columns)
    rows = []
    splitter = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=random_state)

    def score(tr: pd.DataFrame, te: pd.DataFrame, train: np.ndarray, test: np.ndarray) -> float:
        if cov_names:
            reg = LinearRegression().fit(frame.iloc[train][cov_names], tr)
            tr = tr - reg.predict(frame.iloc[train][cov_names])
            te = te - reg.predict(frame.iloc[test][cov_names])
        est = clone(clf).fit(tr, labels[train])
        return float(balanced_accuracy_score(labels[test], est.predict(te)))

    for train, test in splitter.split(frame, labels):
        row = {"raw": score(frame.iloc[train][cols], frame.iloc[test][cols], train, test)}
        if harmonize:
            harm = clone(combat).fit(frame.iloc[train])
            row["harmonized"] = score(harm.transform(frame.iloc[train])[cols],
                                      harm.transform(frame.iloc[test])[cols], train, test)
        rows.append(row)
    table = pd.DataFrame(rows)
    return SiteSeparability(
        raw=float(table["raw"].mean()),
        harmonized=float(table["harmonized"].mean()) if harmonize else float("nan"),
        chance=1.0 / levels.size,
        fold_scores=table,
    )
