"""Copy number: log2 ratios or absolute copy numbers to five ordered categories."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from radiocausal.errors import DataError

__all__ = ["copy_number_categories", "CN_LEVELS", "CN_DTYPE", "DEFAULT_CN_THRESHOLDS"]

#: The five ordered copy-number states, lowest first (GISTIC's -2, -1, 0, 1, 2).
CN_LEVELS = ("homozygous_deletion", "heterozygous_deletion", "diploid", "gain", "amplification")

#: Ordered categorical dtype of the calls.
CN_DTYPE = pd.CategoricalDtype(list(CN_LEVELS), ordered=True)

#: Default cut-points ``(t1, t2, t3, t4)``: a value ``x`` is homozygous deletion when ``x < t1``,
#: heterozygous deletion when ``t1 <= x < t2``, diploid when ``t2 <= x < t3``, gain when
#: ``t3 <= x < t4`` and amplification when ``x >= t4``.
#:
#: * ``"log2"`` (segment mean log2 ratio, tumour / normal): the +-0.1 noise band of GISTIC 2.0's
#:   default low-level thresholds (``-ta 0.1 -td 0.1``, Mermel et al. 2011) around diploid, and
#:   high-level cut-offs at -1.3 (below a pure one-copy loss, log2(1/2) = -1: loss of both copies
#:   diluted by normal contamination) and +0.9 (about 4 copies or more in a diploid genome).
#: * ``"absolute"`` (integer or fractional copy number, diploid genome): 0 copies, 1 copy, 2 copies,
#:   3-4 copies, 5 or more copies.
#: * ``"gistic"``: GISTIC's thresholded calls -2, -1, 0, 1, 2 (other values are rejected).
DEFAULT_CN_THRESHOLDS = {
    "log2": (-1.3, -0.1, 0.1, 0.9),
    "absolute": (0.5, 1.5, 2.5, 4.5),
    "gistic": (-1.5, -0.5, 0.5, 1.5),
}


def copy_number_categories(
    values: pd.DataFrame | pd.Series,
    scale: Literal["log2", "absolute", "gistic"] = "log2",
    thresholds: tuple[float, float, float, float] | None = None,
    *,
    as_codes: bool = False,
):
    """Call five ordered copy-number states from log2 ratios, absolute copy numbers or GISTIC calls.

    Parameters
    ----------
    values : DataFrame or Series
        Samples x genes (or one gene).  NaN stays missing.
    scale : {"log2", "absolute", "gistic"}
        What the values are; picks the default thresholds (see :data:`DEFAULT_CN_THRESHOLDS`).
    thresholds : tuple of 4 floats, optional
        Increasing cut-points overriding the defaults.
    as_codes : bool
        Return integer codes -2..2 (float, NaN when missing) instead of the ordered categorical
        (handy for rank and trend tests).

    Returns
    -------
    DataFrame or Series
        Same shape, dtype :data:`CN_DTYPE` (levels :data:`CN_LEVELS`), or codes.

    Examples
    --------
    >>> import pandas as pd
    >>> calls = copy_number_categories(pd.Series([-2.0, -0.5, 0.02, 0.4, 1.5], name="ERBB2"))
    >>> calls.tolist()
    ['homozygous_deletion', 'heterozygous_deletion', 'diploid', 'gain', 'amplification']
    >>> copy_number_categories(pd.Series([0, 2, 7]), scale="absolute", as_codes=True).tolist()
    [-2.0, 0.0, 2.0]
    """
    if scale not in DEFAULT_CN_THRESHOLDS:
        raise DataError(f"scale must be one of {tuple(DEFAULT_CN_THRESHOLDS)}, got {scale!r}")
    if thresholds is None:
        cuts = DEFAULT_CN_THRESHOLDS[scale]
    else:
        cuts = tuple(float(t) for t in thresholds)
        if len(cuts) != 4 or not all(a < b for a, b in zip(cuts, cuts[1:])):
            raise DataError(f"thresholds must be 4 strictly increasing numbers, got {thresholds!r}")
    is_series = isinstance(values, pd.Series)
    if not isinstance(values, (pd.Series, pd.DataFrame)):
        raise DataError(f"values must be a pandas DataFrame or Series, got {type(values).__name__}")
    frame = values.to_frame() if is_series else values
    bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        raise DataError(f"values must be numeric; column(s) {bad[:5]} are not")
    arr = frame.to_numpy(dtype=float)
    if np.isinf(arr).any() and scale != "log2":
        raise DataError("values contain infinite copy numbers")
    if scale == "absolute" and (arr[~np.isnan(arr)] < 0).any():
        raise DataError("absolute copy numbers must be >= 0; found negative values")
    if scale == "gistic":
        finite = arr[~np.isnan(arr)]
        off = np.setdiff1d(finite, [-2, -1, 0, 1, 2])
        if off.size:
            raise DataError(f"GISTIC calls must be -2, -1, 0, 1 or 2; found {off[:5].tolist()}")
    codes = np.digitize(arr, cuts).astype(float) - 2.0  # x < t1 -> 0 -> -2; x >= t4 -> 4 -> 2
    codes[np.isnan(arr)] = np.nan
    if as_codes:
        out = pd.DataFrame(codes, index=frame.index, columns=frame.columns)
    else:
        out = pd.DataFrame(
            {
                c: pd.Categorical.from_codes(
                    np.where(np.isnan(codes[:, j]), -1, codes[:, j] + 2).astype(int), dtype=CN_DTYPE
                )
                for j, c in enumerate(frame.columns)
            },
            index=frame.index,
        )
    return out.iloc[:, 0].rename(values.name) if is_series else out
