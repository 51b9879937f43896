"""Simple frequentist estimators to set against a simulated truth.

:func:`standardised_effect` estimates the average effect of a binary exposure by regression
standardisation (g-computation with a linear outcome model and exposure x covariate
interactions), optionally weighted; :func:`selection_weights` gives inverse-probability-of-
selection weights from a logistic selection model fitted on a screened population.  Together
they correct selection on a collider when the selection variables are observed for every
screened patient (see :func:`~radiocausal.simulate.selection_collider`).

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> z = rng.integers(0, 2, 4000)
>>> x = (rng.random(4000) < 0.2 + 0.6 * z).astype(float)
>>> y = pd.Series(1.0 * x + 2.0 * z + x * z + rng.normal(0, 0.5, 4000), name="y")
>>> est = standardised_effect(y, pd.Series(x), pd.DataFrame({"z": z}))
>>> round(float(est.loc["y", "estimate"]), 1)  # 1 + E[z] = 1.5
1.5
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from radiocausal.errors import DataError, ModelError

__all__ = ["standardised_effect", "selection_weights"]


def _design(covariates: pd.DataFrame | None, n: int) -> np.ndarray:
    if covariates is None or covariates.shape[1] == 0:
        return np.empty((n, 0))
    cat = [c for c in covariates.columns if not pd.api.types.is_numeric_dtype(covariates[c])]
    enc = pd.get_dummies(covariates, columns=cat, drop_first=True, dtype=float)
    return enc.to_numpy(dtype=float)


def standardised_effect(
    outcome: pd.Series | pd.DataFrame,
    exposure: pd.Series,
    covariates: pd.DataFrame | None = None,
    weights: Sequence[float] | pd.Series | None = None,
) -> pd.DataFrame:
    """Average effect of a binary exposure by regression standardisation (g-computation).

    Fits ``outcome ~ 1 + exposure + C + exposure x C`` by (weighted) least squares, with the
    covariates ``C`` centred at their (weighted) sample mean, so that the exposure coefficient is
    ``mean_i [E(Y | x=1, c_i) - E(Y | x=0, c_i)]``: the average causal effect when ``C`` is a
    valid adjustment set, even when the effect differs between strata (a plain regression
    coefficient weights the strata by the exposure's conditional variance instead).

    Parameters
    ----------
    outcome : Series or DataFrame
        One or more continuous outcomes (columns), patients as rows.
    exposure : Series
        Binary 0/1 exposure, aligned with ``outcome`` by position.
    covariates : DataFrame, optional
        Adjustment set; non-numeric columns are one-hot encoded.
    weights : sequence of float, optional
        Observation weights (e.g. :func:`selection_weights`).

    Returns
    -------
    DataFrame
        Index: outcome names; columns ``estimate`` and ``se`` (heteroscedasticity-robust HC3
        sandwich, which stays honest when few patients are exposed in a stratum; the
        uncertainty of estimated weights is not propagated).

    Raises
    ------
    DataError
        Non-binary exposure, mismatched lengths, missing or non-positive values.
    """
    Y = outcome.to_frame() if isinstance(outcome, pd.Series) else outcome
    x = np.asarray(exposure, dtype=float)
    n = len(x)
    if len(Y) != n or (covariates is not None and len(covariates) != n):
        raise DataError(f"outcome, exposure and covariates must have the same patients; got {len(Y)}, {n}"
                        f"{'' if covariates is None else f', {len(covariates)}'}")
    if not np.isin(x, (0.0, 1.0)).all() or len(np.unique(x)) < 2:
        raise DataError("exposure must be binary 0/1 with both values present")
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise DataError(f"weights must be {n} finite positive numbers")
    C = _design(covariates, n)
    C = C - (w @ C) / w.sum()
    X = np.column_stack([np.ones(n), x, C, x[:, None] * C])
    y = Y.to_numpy(dtype=float)
    if not np.all(np.isfinite(y)) or not np.all(np.isfinite(X)):
        raise DataError("outcome and covariates must be finite (no missing values)")
    k = X.shape[1]
    if n <= k:
        raise ModelError(f"{n} patients for {k} regression parameters; expected more patients")
    sw = np.sqrt(w)
    beta, _, rank, _ = np.linalg.lstsq(X * sw[:, None], y * sw[:, None], rcond=None)
    if rank < k:
        raise ModelError("the standardisation model is rank deficient (an exposure x covariate stratum is empty)")
    bread = np.linalg.inv(X.T @ (w[:, None] * X))
    leverage = np.einsum("ij,jk,ik->i", X, bread, X) * w
    resid = (y - X @ beta) / (1.0 - np.minimum(leverage, 1.0 - 1e-12))[:, None]  # HC3
    se = np.empty(y.shape[1])
    for j in range(y.shape[1]):
        score = X * (w * resid[:, j])[:, None]
        se[j] = np.sqrt((bread @ (score.T @ score) @ bread)[1, 1])
    return pd.DataFrame({"estimate": beta[1], "se": se}, index=pd.Index(Y.columns, name="outcome"))


def selection_weights(
    screened: pd.DataFrame,
    selected: str,
    predictors: Sequence[str],
    patients: pd.DataFrame,
) -> pd.Series:
    """Inverse-probability-of-selection weights from a logistic model fitted on the screened population.

    Parameters
    ----------
    screened : DataFrame
        Every screened patient, selected or not, with the 0/1 column ``selected`` and the
        ``predictors`` (e.g. ``truth.screened`` of ``simulate(..., keep_screened=True)``).
    selected : str
        Column of the selection indicator.
    predictors : sequence of str
        Variables selection depends on, observed for every screened patient.
    patients : DataFrame
        The selected patients to weight (with the ``predictors``).

    Returns
    -------
    Series
        ``1 / P(selected = 1 | predictors)`` for each row of ``patients``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> s = pd.DataFrame({"size": rng.normal(size=5000)})
    >>> s["biopsied"] = (rng.random(5000) < 1 / (1 + np.exp(-s["size"]))).astype(int)
    >>> w = selection_weights(s, "biopsied", ["size"], s[s["biopsied"] == 1])
    >>> bool(w.min() >= 1.0), round(float(w.sum() / len(s)), 1)  # the weights rebuild the screened population
    (True, 1.0)
    """
    import statsmodels.api as sm

    missing = [c for c in [selected, *predictors] if c not in screened.columns]
    missing += [c for c in predictors if c not in patients.columns and c not in missing]
    if missing:
        raise DataError(f"column(s) {missing} missing from screened or patients")
    s = screened[selected].to_numpy()
    if not np.isin(s, (0, 1)).all() or s.min() == s.max():
        raise DataError(f"column {selected!r} must be 0/1 with both values among the screened patients")
    design = sm.add_constant(screened[list(predictors)].astype(float), has_constant="add")
    fit = sm.Logit(s.astype(float), design).fit(disp=0)
    p = fit.predict(sm.add_constant(patients[list(predictors)].astype(float), has_constant="add"))
    return pd.Series(1.0 / np.asarray(p), index=patients.index, name="weight")
