"""Feature stability: intraclass correlation, concordance, within-subject CV, repeatability.

Formulas: Shrout & Fleiss (1979) and McGraw & Wong (1996) for the intraclass correlation
coefficients and their F-based confidence intervals; Lin (1989) for the concordance
correlation coefficient.

===========  ================  =============================================
form          alias            model
===========  ================  =============================================
ICC(1,1)      ICC1             one-way random, single rater
ICC(A,1)      ICC2, ICC(2,1)   two-way random, absolute agreement, single
ICC(C,1)      ICC3, ICC(3,1)   two-way mixed, consistency, single
ICC(1,k)      ICC1k            one-way random, mean of k raters
ICC(A,k)      ICC2k, ICC(2,k)  two-way random, absolute agreement, mean of k
ICC(C,k)      ICC3k, ICC(3,k)  two-way mixed, consistency, mean of k
===========  ================  =============================================

Examples
--------
>>> import numpy as np
>>> sf = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
>>> icc(sf)["icc"].round(2).tolist()  # Shrout & Fleiss (1979), Table 4
[0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from radiocausal.errors import DataError

__all__ = [
    "ICC_FORMS",
    "icc",
    "ccc",
    "within_subject_cv",
    "repeatability_coefficient",
    "feature_icc",
    "stable_features",
]

#: The six intraclass correlation forms :func:`icc` reports, in McGraw & Wong's notation: one-way
#: random (1), two-way absolute agreement (A) and consistency (C), for a single (1) or mean (k) rating.
ICC_FORMS = ("ICC(1,1)", "ICC(A,1)", "ICC(C,1)", "ICC(1,k)", "ICC(A,k)", "ICC(C,k)")
_ALIASES = {
    "ICC1": "ICC(1,1)", "ICC2": "ICC(A,1)", "ICC3": "ICC(C,1)", "ICC(2,1)": "ICC(A,1)", "ICC(3,1)": "ICC(C,1)",
    "ICC1k": "ICC(1,k)", "ICC2k": "ICC(A,k)", "ICC3k": "ICC(C,k)", "ICC(2,k)": "ICC(A,k)", "ICC(3,k)": "ICC(C,k)",
}


def _canonical_form(form: str) -> str:
    f = _ALIASES.get(form, form)
    if f not in ICC_FORMS:
        raise DataError(f"form={form!r}: expected one of {list(ICC_FORMS)} or {sorted(_ALIASES)}")
    return f


def _matrix(
    data: pd.DataFrame | np.ndarray | Sequence[Sequence[float]],
    subject: str | None,
    rater: str | None,
    value: str | None,
) -> np.ndarray:
    if isinstance(data, pd.DataFrame) and subject is not None:
        missing = [c for c in (subject, rater, value) if c is None or c not in data.columns]
        if missing:
            raise DataError(
                f"subject={subject!r}, rater={rater!r}, value={value!r}: columns {missing} not in the table"
            )
        dup = data.duplicated([subject, rater])
        if dup.any():
            raise DataError(f"{int(dup.sum())} duplicate ({subject}, {rater}) rows; expected one value per pair")
        wide = data.pivot(index=subject, columns=rater, values=value)
        incomplete = wide.index[wide.isna().any(axis=1)].tolist()
        if incomplete:
            raise DataError(f"{subject} {incomplete[:10]} lack a {value!r} value for some {rater}; expected complete data")
        y = wide.to_numpy(dtype=float)
    else:
        y = np.asarray(data, dtype=float)
    if y.ndim != 2 or y.shape[0] < 2 or y.shape[1] < 2:
        raise DataError(f"data of shape {y.shape}: expected subjects x raters with at least 2 of each")
    if not np.all(np.isfinite(y)):
        raise DataError("data contain NaN or infinite values; expected complete, finite ratings")
    return y


def icc(
    data: pd.DataFrame | np.ndarray | Sequence[Sequence[float]],
    subject: str | None = None,
    rater: str | None = None,
    value: str | None = None,
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """All six intraclass correlation coefficients with confidence intervals.

    Parameters
    ----------
    data : DataFrame (long: one row per subject and rater) or array (subjects x raters)
    subject, rater, value : str
        Column names for a long DataFrame.
    confidence : float
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Indexed by :data:`ICC_FORMS`; columns ``icc``, ``ci_low``, ``ci_high``, ``F``,
        ``df1``, ``df2``, ``pval``.

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({"pid": [1, 1, 2, 2, 3, 3], "session": [1, 2] * 3, "x": [1.0, 1.1, 2.0, 2.2, 3.0, 2.9]})
    >>> round(float(icc(long, "pid", "session", "x").loc["ICC(1,1)", "icc"]), 3)
    0.989
    """
    from scipy import stats

    if not 0 < confidence < 1:
        raise DataError(f"confidence={confidence!r}: expected a number in (0, 1)")
    y = _matrix(data, subject, rater, value)
    n, k = y.shape
    gm = y.mean()
    ss_r = k * np.sum((y.mean(1) - gm) ** 2)
    ss_c = n * np.sum((y.mean(0) - gm) ** 2)
    ss_t = np.sum((y - gm) ** 2)
    ss_e = ss_t - ss_r - ss_c
    ss_w = ss_t - ss_r
    msr, msc = ss_r / (n - 1), ss_c / (k - 1)
    mse, msw = ss_e / ((n - 1) * (k - 1)), ss_w / (n * (k - 1))
    a = 1 - confidence
    with np.errstate(divide="ignore", invalid="ignore"):  # constant tables give NaN, not warnings
        icc1 = (msr - msw) / (msr + (k - 1) * msw)
        icc2 = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
        icc3 = (msr - mse) / (msr + (k - 1) * mse)
        icc1k = (msr - msw) / msr
        icc2k = (msr - mse) / (msr + (msc - mse) / n)
        icc3k = (msr - mse) / msr
        f1, df1_1, df2_1 = msr / msw, n - 1, n * (k - 1)
        f1l = f1 / stats.f.ppf(1 - a / 2, df1_1, df2_1)
        f1u = f1 * stats.f.ppf(1 - a / 2, df2_1, df1_1)
        f3, df2_3 = msr / mse, (n - 1) * (k - 1)
        f3l = f3 / stats.f.ppf(1 - a / 2, n - 1, df2_3)
        f3u = f3 * stats.f.ppf(1 - a / 2, df2_3, n - 1)
        # ICC(A,1): Satterthwaite degrees of freedom (McGraw & Wong 1996, case 2A)
        fj = msc / mse
        vn = (k - 1) * (n - 1) * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
        vd = (n - 1) * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
        v = vn / vd
        f2u = stats.f.ppf(1 - a / 2, n - 1, v)
        f2l = stats.f.ppf(1 - a / 2, v, n - 1)
        l2 = n * (msr - f2u * mse) / (f2u * (k * msc + (k * n - k - n) * mse) + n * msr)
        u2 = n * (f2l * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f2l * msr)
        rows = {
            "ICC(1,1)": (icc1, (f1l - 1) / (f1l + k - 1), (f1u - 1) / (f1u + k - 1), f1, df1_1, df2_1),
            "ICC(A,1)": (icc2, l2, u2, f3, n - 1, df2_3),
            "ICC(C,1)": (icc3, (f3l - 1) / (f3l + k - 1), (f3u - 1) / (f3u + k - 1), f3, n - 1, df2_3),
            "ICC(1,k)": (icc1k, 1 - 1 / f1l, 1 - 1 / f1u, f1, df1_1, df2_1),
            "ICC(A,k)": (icc2k, l2 * k / (1 + l2 * (k - 1)), u2 * k / (1 + u2 * (k - 1)), f3, n - 1, df2_3),
            "ICC(C,k)": (icc3k, 1 - 1 / f3l, 1 - 1 / f3u, f3, n - 1, df2_3),
        }
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["icc", "ci_low", "ci_high", "F", "df1", "df2"])
    out["pval"] = stats.f.sf(out["F"], out["df1"], out["df2"])
    return out.loc[list(ICC_FORMS)]


def ccc(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, *, confidence: float = 0.95) -> pd.Series:
    """Lin's concordance correlation coefficient with a confidence interval (Fisher z).

    ``rho_c = 2 s_xy / (s_x^2 + s_y^2 + (mean_x - mean_y)^2)`` with 1/n moments (Lin 1989).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(10.0)
    >>> float(ccc(x, x)["ccc"]), round(float(ccc(x, x + 1)["ccc"]), 4)
    (1.0, 0.9429)
    """
    from scipy import stats

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or x.size < 3:
        raise DataError(f"x and y of shapes {x.shape}, {y.shape}: expected two 1-D arrays of equal length >= 3")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise DataError("x or y contain NaN or infinite values; expected finite pairs")
    n = x.size
    mx, my = x.mean(), y.mean()
    sx2, sy2 = x.var(), y.var()
    sxy = np.mean((x - mx) * (y - my))
    rc = 2 * sxy / (sx2 + sy2 + (mx - my) ** 2)
    if abs(rc) >= 1:
        return pd.Series({"ccc": float(rc), "ci_low": float(rc), "ci_high": float(rc)})
    r = sxy / np.sqrt(sx2 * sy2)
    u = (mx - my) / (sx2 * sy2) ** 0.25
    var_z = (
        (1 - r**2) * rc**2 / ((1 - rc**2) * r**2)
        + 2 * rc**3 * (1 - rc) * u**2 / (r * (1 - rc**2) ** 2)
        - rc**4 * u**4 / (2 * r**2 * (1 - rc**2) ** 2)
    ) / (n - 2)
    z = np.arctanh(rc)
    h = stats.norm.ppf(1 - (1 - confidence) / 2) * np.sqrt(var_z)
    return pd.Series({"ccc": float(rc), "ci_low": float(np.tanh(z - h)), "ci_high": float(np.tanh(z + h))})


def within_subject_cv(data: np.ndarray | Sequence[Sequence[float]]) -> float:
    """Within-subject coefficient of variation, ``sqrt(mean(s_i^2 / m_i^2))`` (subjects x replicates).

    Examples
    --------
    >>> round(within_subject_cv([[10, 12], [20, 22]]), 4)
    0.1026
    """
    y = _matrix(data, None, None, None)
    m = y.mean(1)
    if np.any(m == 0):
        raise DataError("a subject has mean 0; the within-subject CV is undefined")
    return float(np.sqrt(np.mean(y.var(1, ddof=1) / m**2)))


def repeatability_coefficient(data: np.ndarray | Sequence[Sequence[float]]) -> float:
    """Repeatability coefficient ``1.96 * sqrt(2) * s_w`` (= 2.77 s_w), subjects x replicates.

    Examples
    --------
    >>> round(repeatability_coefficient([[10, 12], [20, 22]]), 3)
    3.92
    """
    from scipy import stats

    y = _matrix(data, None, None, None)
    sw = np.sqrt(np.mean(y.var(1, ddof=1)))
    return float(stats.norm.ppf(0.975) * np.sqrt(2) * sw)


def feature_icc(
    table: pd.DataFrame,
    subject: str,
    rater: str,
    features: Sequence[str] | None = None,
    *,
    form: str = "ICC(1,1)",
) -> pd.DataFrame:
    """ICC of each feature column of a long table (one row per subject and rater/session).

    Returns a DataFrame indexed by feature with ``icc``, ``ci_low``, ``ci_high``.
    Constant features (no between- or within-subject variance) get NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"pid": [1, 1, 2, 2, 3, 3], "s": [1, 2] * 3,
    ...                   "a": [1.0, 1.1, 2.0, 2.1, 3.0, 3.1], "b": [1.0, 3.0, 2.0, 1.0, 3.0, 2.0]})
    >>> feature_icc(t, "pid", "s")["icc"].round(2).tolist()
    [1.0, -0.33]
    """
    f = _canonical_form(form)
    if features is None:
        features = [c for c in table.columns if c not in (subject, rater) and pd.api.types.is_numeric_dtype(table[c])]
    missing = [c for c in (subject, rater, *features) if c not in table.columns]
    if missing:
        raise DataError(f"columns {missing} not in the table")
    dup = table.duplicated([subject, rater])
    if dup.any():
        raise DataError(f"{int(dup.sum())} duplicate ({subject}, {rater}) rows; expected one value per pair")
    wide = table.pivot(index=subject, columns=rater, values=list(features))
    rows = {}
    for feat in features:
        y = wide[feat]
        if y.isna().any().any():
            bad = y.index[y.isna().any(axis=1)].tolist()
            raise DataError(f"{subject} {bad[:10]} lack a {feat!r} value for some {rater}; expected complete data")
        res = icc(y.to_numpy(dtype=float)).loc[f]
        rows[feat] = res[["icc", "ci_low", "ci_high"]]
    return pd.DataFrame(rows).T.astype(float)


def stable_features(iccs: pd.DataFrame | pd.Series, threshold: float = 0.90) -> list[str]:
    """Features whose ICC is at least ``threshold`` (NaN never passes).

    Examples
    --------
    >>> import pandas as pd
    >>> stable_features(pd.Series({"a": 0.95, "b": 0.5, "c": float("nan")}))
    ['a']
    """
    s = iccs["icc"] if isinstance(iccs, pd.DataFrame) else iccs
    return [k for k, v in s.items() if np.isfinite(v) and v >= threshold]
