"""Multiple-testing corrections: family-wise error (Bonferroni, Holm) and false discovery rate
(Benjamini–Hochberg, Benjamini–Yekutieli, Storey's q-values)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from radiocausal.errors import DataError

__all__ = ["adjust_pvalues", "estimate_pi0", "PVALUE_METHODS"]

#: Values of ``method`` in :func:`adjust_pvalues` (FWER: Bonferroni, Holm; FDR: BH, BY, Storey).
PVALUE_METHODS = ("bonferroni", "holm", "bh", "by", "storey")
_ALIASES = {
    "fdr_bh": "bh",
    "benjamini-hochberg": "bh",
    "fdr_by": "by",
    "benjamini-yekutieli": "by",
    "qvalue": "storey",
}


def estimate_pi0(p: np.ndarray, lambda_: float = 0.5) -> float:
    """Storey's estimate of the proportion of true null hypotheses.

    ``pi0 = #{p > lambda} / (m * (1 - lambda))``, capped at 1 (Storey 2002, *J. R. Stat. Soc. B*
    64:479).  Under the null, p-values are uniform, so the p-values above ``lambda`` come mostly
    from true nulls; the estimate is conservative (biased upwards) when non-null p-values also
    exceed ``lambda``.

    Parameters
    ----------
    p : array_like
        P-values in [0, 1]; NaN values are ignored.
    lambda_ : float
        Tuning parameter in [0, 1).

    Returns
    -------
    float
        The estimate in (0, 1]; 1.0 when there are no finite p-values.

    Examples
    --------
    >>> estimate_pi0([0.001, 0.002, 0.6, 0.7, 0.8, 0.9])
    1.0
    >>> round(estimate_pi0([0.001, 0.002, 0.003, 0.004, 0.8, 0.9]), 3)
    0.667
    """
    if not (isinstance(lambda_, (int, float)) and 0.0 <= lambda_ < 1.0):
        raise DataError(f"lambda_ must be a number in [0, 1), got {lambda_!r}")
    arr = np.asarray(p, dtype=float).ravel()
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return 1.0
    pi0 = np.count_nonzero(arr > lambda_) / (arr.size * (1.0 - lambda_))
    # a pi0 of 0 would make every q-value 0: keep at least one null's worth
    return float(min(1.0, max(pi0, 1.0 / arr.size)))


def adjust_pvalues(
    p,
    method: Literal["bonferroni", "holm", "bh", "by", "storey"] = "bh",
    *,
    nan_policy: Literal["omit", "raise"] = "omit",
    pi0: float | None = None,
    storey_lambda: float = 0.5,
):
    """Adjust p-values for multiple testing.

    Parameters
    ----------
    p : array_like or pandas.Series
        P-values in [0, 1], any shape.
    method : {"bonferroni", "holm", "bh", "by", "storey"}
        ``"bonferroni"`` and ``"holm"`` (step-down) control the family-wise error rate;
        ``"bh"`` (Benjamini–Hochberg 1995) controls the false discovery rate for independent or
        positively dependent tests, ``"by"`` (Benjamini–Yekutieli 2001) under any dependence
        (BH times ``sum(1/i, i=1..m)``); ``"storey"`` gives Storey's q-values, BH multiplied by
        the estimated proportion of true nulls ``pi0`` (see :func:`estimate_pi0`).  The
        statsmodels names ``"fdr_bh"`` and ``"fdr_by"`` are accepted too.
    nan_policy : {"omit", "raise"}
        ``"omit"`` (default): NaN p-values (untestable pairs) stay NaN in the output and do not
        count among the ``m`` tests; ``"raise"``: a NaN raises :class:`~radiocausal.errors.DataError`.
    pi0 : float, optional
        For ``"storey"``: a known proportion of true nulls in (0, 1] instead of the estimate.
    storey_lambda : float
        For ``"storey"``: the tuning parameter of the ``pi0`` estimator (default 0.5).

    Returns
    -------
    numpy.ndarray or pandas.Series
        Adjusted p-values (q-values), same shape as ``p`` (a Series keeps its index), capped at 1.

    Raises
    ------
    DataError
        Unknown method, p-values outside [0, 1], or NaN with ``nan_policy="raise"``.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.02, 0.03, 0.04], method="bh")
    array([0.04, 0.04, 0.04, 0.04])
    >>> adjust_pvalues([0.01, 0.02, float("nan")], method="bonferroni")
    array([0.02, 0.04,  nan])
    """
    key = _ALIASES.get(str(method).lower(), str(method).lower()) if isinstance(method, str) else method
    if key not in PVALUE_METHODS:
        raise DataError(f"method must be one of {PVALUE_METHODS}, got {method!r}")
    if nan_policy not in ("omit", "raise"):
        raise DataError(f"nan_policy must be 'omit' or 'raise', got {nan_policy!r}")
    series = p if isinstance(p, pd.Series) else None
    try:
        arr = np.asarray(p, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"p must be numeric p-values, got {type(p).__name__}: {exc}") from None
    shape = arr.shape
    flat = arr.ravel()
    nan = np.isnan(flat)
    has_nan = bool(nan.any())
    if has_nan and nan_policy == "raise":
        raise DataError(f"p contains {int(nan.sum())} NaN value(s) and nan_policy='raise'")
    finite = flat[~nan] if has_nan else flat  # no copy without NaN: scans hold millions of p-values
    del nan
    if finite.size and (finite.min() < 0.0 or finite.max() > 1.0):
        bad = finite[(finite < 0) | (finite > 1)][0]
        raise DataError(f"p must lie in [0, 1], found {bad!r}")
    m = finite.size
    if key == "bonferroni":
        adj = np.minimum(finite * m, 1.0)
    elif m == 0:
        adj = np.empty(0)
    else:
        # ties may be ordered arbitrarily: tied p-values get the same adjusted value either way
        order = np.argsort(finite)
        ps = finite[order]
        if key == "holm":
            ps *= m - np.arange(m, dtype=float)
            np.maximum.accumulate(ps, out=ps)
        else:
            ps *= m
            ps /= np.arange(1, m + 1, dtype=float)
            rev = ps[::-1]
            np.minimum.accumulate(rev, out=rev)
            if key == "by":
                ps *= np.sum(1.0 / np.arange(1, m + 1))
            elif key == "storey":
                if pi0 is None:
                    pi0_used = estimate_pi0(finite, storey_lambda)
                else:
                    if not (isinstance(pi0, (int, float)) and 0.0 < pi0 <= 1.0):
                        raise DataError(f"pi0 must be a number in (0, 1], got {pi0!r}")
                    pi0_used = float(pi0)
                ps *= pi0_used
        np.minimum(ps, 1.0, out=ps)
        adj = np.empty(m)
        adj[order] = ps
        del order, ps
    if has_nan:
        out = np.full(flat.shape, np.nan)
        out[~np.isnan(flat)] = adj
    else:
        out = adj
    out = out.reshape(shape)
    if series is not None:
        return pd.Series(out, index=series.index, name=series.name)
    return out
