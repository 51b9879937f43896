"""RNA-seq expression: counts to TPM / CPM, log transform, low-expression and low-variance filters.

Tables are oriented like every radiocausal table: one row per sample (patient), one column per gene.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from radiocausal.errors import DataError

__all__ = ["to_tpm", "to_cpm", "log2_1p", "filter_low_expression", "filter_low_variance"]


def _check_table(table: pd.DataFrame, name: str, *, nonnegative: bool = True) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise DataError(f"{name} must be a pandas DataFrame (samples x genes), got {type(table).__name__}")
    if table.index.has_duplicates:
        dup = table.index[table.index.duplicated()].unique()[:5].tolist()
        raise DataError(f"{name} has duplicated sample ids (index), e.g. {dup}")
    if table.columns.has_duplicates:
        dup = table.columns[table.columns.duplicated()].unique()[:5].tolist()
        raise DataError(f"{name} has duplicated gene ids (columns), e.g. {dup}")
    bad = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])]
    if bad:
        raise DataError(f"{name} must be numeric; column(s) {bad[:5]} are not")
    values = table.to_numpy(dtype=float)
    if np.isnan(values).any():
        cols = table.columns[np.isnan(values).any(axis=0)][:5].tolist()
        raise DataError(f"{name} contains missing values (NaN) in gene(s) {cols}")
    if not np.isfinite(values).all():
        raise DataError(f"{name} contains infinite values")
    if nonnegative and (values < 0).any():
        i, j = np.argwhere(values < 0)[0]
        raise DataError(
            f"{name} must be non-negative counts; found {values[i, j]!r} for sample {table.index[i]!r}, "
            f"gene {table.columns[j]!r}"
        )
    return table


def _library_sizes(counts: pd.DataFrame, name: str, values: np.ndarray) -> np.ndarray:
    totals = values.sum(axis=1)
    empty = counts.index[totals <= 0]
    if len(empty):
        raise DataError(f"{name}: sample(s) {empty[:5].tolist()} have no counts at all; drop them first")
    return totals


def to_cpm(counts: pd.DataFrame) -> pd.DataFrame:
    """Counts per million: each sample's counts divided by its library size, times 1e6.

    Parameters
    ----------
    counts : DataFrame
        Raw (or estimated) read counts, samples x genes, non-negative.

    Returns
    -------
    DataFrame
        Same shape; each row sums to 1e6.

    Examples
    --------
    >>> import pandas as pd
    >>> counts = pd.DataFrame({"TP53": [10, 0], "EGFR": [30, 5]}, index=["s1", "s2"])
    >>> to_cpm(counts)
            TP53       EGFR
    s1  250000.0   750000.0
    s2       0.0  1000000.0
    """
    _check_table(counts, "counts")
    values = counts.to_numpy(dtype=float)
    totals = _library_sizes(counts, "counts", values)
    return pd.DataFrame(values / totals[:, None] * 1e6, index=counts.index, columns=counts.columns)


def to_tpm(counts: pd.DataFrame, lengths: pd.Series | dict) -> pd.DataFrame:
    """Transcripts per million from counts and gene (effective) lengths.

    ``rate = counts / length_kb``; ``TPM = rate / sum(rate over genes) * 1e6`` per sample
    (Wagner et al. 2012, *Theory Biosci.* 131:281).

    Parameters
    ----------
    counts : DataFrame
        Read counts, samples x genes, non-negative.
    lengths : Series or dict
        Length in base pairs per gene id (extra genes are ignored); every gene of ``counts`` needs a
        positive length.

    Returns
    -------
    DataFrame
        TPM, same shape as ``counts``; each row sums to 1e6.

    Raises
    ------
    DataError
        Negative counts, genes without a length, non-positive lengths, duplicated ids.

    Examples
    --------
    >>> import pandas as pd
    >>> counts = pd.DataFrame({"A": [100, 10], "B": [100, 30]}, index=["s1", "s2"])
    >>> to_tpm(counts, {"A": 1000, "B": 2000}).round(1)
               A         B
    s1  666666.7  333333.3
    s2  400000.0  600000.0
    """
    _check_table(counts, "counts")
    lengths = pd.Series(lengths, dtype=float) if isinstance(lengths, dict) else lengths
    if not isinstance(lengths, pd.Series):
        raise DataError(f"lengths must be a pandas Series or dict gene -> length (bp), got {type(lengths).__name__}")
    if lengths.index.has_duplicates:
        dup = lengths.index[lengths.index.duplicated()].unique()[:5].tolist()
        raise DataError(f"lengths has duplicated gene ids, e.g. {dup}")
    missing = counts.columns.difference(lengths.index[lengths.notna()], sort=False)
    if len(missing):
        raise DataError(
            f"{len(missing)} gene(s) of counts have no length in lengths, e.g. {missing[:5].tolist()}; "
            "drop them or supply their lengths"
        )
    lens = pd.to_numeric(lengths.reindex(counts.columns), errors="coerce").to_numpy(dtype=float)
    if not (np.isfinite(lens).all() and (lens > 0).all()):
        bad = counts.columns[~(np.isfinite(lens) & (lens > 0))][:5].tolist()
        raise DataError(f"lengths must be positive numbers (bp); gene(s) {bad} have {lengths[bad].tolist()}")
    rate = counts.to_numpy(dtype=float) / (lens / 1e3)[None, :]
    totals = _library_sizes(counts, "counts", rate)
    return pd.DataFrame(rate / totals[:, None] * 1e6, index=counts.index, columns=counts.columns)


def log2_1p(values: pd.DataFrame) -> pd.DataFrame:
    """``log2(1 + x)`` of a non-negative expression table (TPM, CPM or counts).

    Examples
    --------
    >>> import pandas as pd
    >>> log2_1p(pd.DataFrame({"A": [0.0, 1.0, 3.0]}))
         A
    0  0.0
    1  1.0
    2  2.0
    """
    _check_table(values, "values")
    return pd.DataFrame(np.log2(1.0 + values.to_numpy(dtype=float)), index=values.index, columns=values.columns)


def filter_low_expression(expression: pd.DataFrame, min_value: float = 1.0, min_fraction: float = 0.2) -> pd.DataFrame:
    """Keep genes expressed at ``>= min_value`` in at least ``min_fraction`` of the samples.

    Parameters
    ----------
    expression : DataFrame
        Samples x genes, on the scale ``min_value`` refers to (e.g. CPM or TPM: the default keeps
        genes with CPM >= 1 in at least 20 % of samples).
    min_value : float
        Expression threshold.
    min_fraction : float
        Fraction of samples in (0, 1] that must reach it.

    Examples
    --------
    >>> import pandas as pd
    >>> expr = pd.DataFrame({"on": [5.0, 6.0, 0.0], "off": [0.0, 0.0, 0.5]})
    >>> list(filter_low_expression(expr, min_value=1.0, min_fraction=0.5).columns)
    ['on']
    """
    _check_table(expression, "expression", nonnegative=False)
    if not (0.0 < float(min_fraction) <= 1.0):
        raise DataError(f"min_fraction must be in (0, 1], got {min_fraction!r}")
    frac = (expression.to_numpy(dtype=float) >= min_value).mean(axis=0)
    return expression.loc[:, frac >= min_fraction]


def filter_low_variance(
    expression: pd.DataFrame, min_variance: float | None = None, top_n: int | None = None
) -> pd.DataFrame:
    """Drop genes with (near) constant expression.

    Parameters
    ----------
    expression : DataFrame
        Samples x genes (usually log scale).
    min_variance : float, optional
        Keep genes whose sample variance (ddof=1) is at least this.  Default: keep every gene
        with non-zero variance.
    top_n : int, optional
        Then keep only the ``top_n`` most variable genes (ties broken by column order).

    Examples
    --------
    >>> import pandas as pd
    >>> expr = pd.DataFrame({"flat": [1.0, 1.0, 1.0], "a": [0.0, 1.0, 2.0], "b": [0.0, 3.0, 6.0]})
    >>> list(filter_low_variance(expr).columns), list(filter_low_variance(expr, top_n=1).columns)
    (['a', 'b'], ['b'])
    """
    _check_table(expression, "expression", nonnegative=False)
    if expression.shape[0] < 2:
        raise DataError(f"expression needs at least 2 samples to compute variances, got {expression.shape[0]}")
    var = expression.var(axis=0, ddof=1)
    keep = var >= min_variance if min_variance is not None else var > 0
    out = expression.loc[:, keep.to_numpy()]
    if top_n is not None:
        if not (isinstance(top_n, (int, np.integer)) and top_n > 0):
            raise DataError(f"top_n must be a positive integer, got {top_n!r}")
        order = np.argsort(-var[keep].to_numpy(), kind="stable")[:top_n]
        out = out.iloc[:, np.sort(order)]
    return out
