"""Turning a data frame into standardised model inputs: families, design matrices, batch codes.

Everything here is plain NumPy/pandas so it can be unit-tested without PyMC.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from radiocausal.errors import DataError, DataWarning, ModelError

__all__ = ["FAMILIES", "infer_family", "Design", "build_design", "MAX_ORDERED_LEVELS"]

#: Outcome families understood by the models.
FAMILIES = ("bernoulli", "normal", "student_t", "ordered_logistic")
_FAMILY_ALIASES = {
    "bernoulli": "bernoulli",
    "logistic": "bernoulli",
    "binary": "bernoulli",
    "normal": "normal",
    "gaussian": "normal",
    "student_t": "student_t",
    "studentt": "student_t",
    "t": "student_t",
    "ordered_logistic": "ordered_logistic",
    "ordered": "ordered_logistic",
    "ordinal": "ordered_logistic",
}
#: An integer column with 3 to this many distinct values is read as ordered categories.
MAX_ORDERED_LEVELS = 7


def normalise_family(family: str) -> str:
    """Canonical family name for ``family`` (aliases such as ``"gaussian"`` accepted)."""
    if not isinstance(family, str) or family.lower() not in _FAMILY_ALIASES:
        raise ModelError(f"family must be one of {FAMILIES} (or None to infer it), got {family!r}")
    return _FAMILY_ALIASES[family.lower()]


def _column(data: pd.DataFrame, name: str, what: str) -> pd.Series:
    if name not in data.columns:
        raise DataError(f"{what} {name!r} is not a column of data; columns are {list(map(str, data.columns))}")
    col = data[name]
    if col.isna().any():
        rows = list(data.index[col.isna().to_numpy()][:5])
        raise DataError(
            f"{what} column {name!r} has {int(col.isna().sum())} missing value(s) (rows {rows}...); "
            "impute or drop them before fitting"
        )
    return col


def _codes(col: pd.Series, levels: Sequence) -> np.ndarray:
    """Position of each value in ``levels`` (-1 when absent)."""
    values = col.astype(object).to_numpy() if isinstance(col.dtype, pd.CategoricalDtype) else col.to_numpy()
    return pd.Index(list(levels), dtype=object).get_indexer(pd.Index(values, dtype=object)).astype(np.int64)


def _is_binary(col: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(col):
        return True
    if not pd.api.types.is_numeric_dtype(col):
        return False
    vals = set(np.unique(col.to_numpy(dtype=float)).tolist())
    return vals <= {0.0, 1.0} and len(vals) == 2


def infer_family(col: pd.Series) -> str:
    """The outcome family implied by a column's type.

    Rules, in order: a boolean column or a numeric one holding exactly the values 0 and 1 is
    ``"bernoulli"`` (logit link); an *ordered* pandas ``Categorical``, or an integer column with
    3 to :data:`MAX_ORDERED_LEVELS` distinct values (e.g. copy-number states -2..2), is
    ``"ordered_logistic"``; any other numeric column is ``"normal"``.  Unordered categories with
    more than two levels and text columns raise :class:`~radiocausal.errors.DataError`.

    Examples
    --------
    >>> import pandas as pd
    >>> infer_family(pd.Series([0, 1, 1, 0])), infer_family(pd.Series([0.3, 1.2, -0.5]))
    ('bernoulli', 'normal')
    >>> infer_family(pd.Series([-1, 0, 1, 2, 0]))
    'ordered_logistic'
    """
    if isinstance(col.dtype, pd.CategoricalDtype):
        n_levels = len(col.cat.categories)
        if n_levels == 2 or (n_levels > 2 and col.cat.ordered):
            return "bernoulli" if n_levels == 2 else "ordered_logistic"
        raise DataError(
            f"outcome column {col.name!r} is an unordered categorical with {n_levels} levels: "
            "make it ordered (pd.Categorical(..., ordered=True)) or pass family="
        )
    if _is_binary(col):
        return "bernoulli"
    if pd.api.types.is_integer_dtype(col):
        k = col.nunique()
        if 3 <= k <= MAX_ORDERED_LEVELS:
            return "ordered_logistic"
        return "normal"
    if pd.api.types.is_numeric_dtype(col):
        return "normal"
    raise DataError(
        f"cannot infer an outcome family for column {col.name!r} of dtype {col.dtype}: "
        f"pass family= (one of {FAMILIES})"
    )


def encode_outcome(col: pd.Series, family: str, levels: Sequence | None = None) -> tuple[np.ndarray, list]:
    """Outcome values for ``family``: floats, 0/1 ints, or ordered category codes 0..K-1."""
    if family in ("normal", "student_t"):
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            raise DataError(f"family={family!r} needs a numeric outcome, column {col.name!r} has dtype {col.dtype}")
        y = col.to_numpy(dtype=float)
        if not np.all(np.isfinite(y)):
            raise DataError(f"outcome column {col.name!r} has non-finite values")
        if np.std(y) == 0:
            raise DataError(f"outcome column {col.name!r} is constant ({y[0]!r}): nothing to model")
        return y, []
    if family == "bernoulli":
        if isinstance(col.dtype, pd.CategoricalDtype):
            cats = list(col.cat.categories) if levels is None else list(levels)
            if len(cats) != 2:
                raise DataError(f"family='bernoulli' needs two categories in {col.name!r}, got {cats}")
            codes = _codes(col, cats)
            return codes, cats
        vals = np.unique(col.to_numpy(dtype=float)) if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col) else None
        if vals is None or not set(vals.tolist()) <= {0.0, 1.0}:
            raise DataError(
                f"family='bernoulli' needs a 0/1 or boolean outcome; column {col.name!r} has values "
                f"{list(pd.unique(col))[:6]}"
            )
        return col.to_numpy(dtype=float).astype(np.int64), [0, 1]
    if family == "ordered_logistic":
        if levels is None:
            if isinstance(col.dtype, pd.CategoricalDtype):
                levels = list(col.cat.categories)
            else:
                levels = sorted(pd.unique(col).tolist())
        codes = _codes(col, levels)
        if (codes < 0).any():
            bad = sorted(set(pd.unique(col[codes < 0]).tolist()))
            raise DataError(f"outcome column {col.name!r} has values {bad} outside the model's levels {list(levels)}")
        if len(levels) < 3:
            raise DataError(
                f"family='ordered_logistic' needs at least 3 ordered levels in {col.name!r}, got {list(levels)}; "
                "use family='bernoulli' for two"
            )
        return codes, list(levels)
    raise ModelError(f"unknown family {family!r}")  # pragma: no cover - normalised earlier


@dataclass
class Design:
    """Standardised inputs for one GLM: ``eta = a + X_std @ b + sum_batch u_batch[idx]``.

    Column 0 of ``X`` is the focal predictor (the exposure) when ``has_exposure``.
    ``center``/``scale`` undo the standardisation: a coefficient ``b_std`` on the standardised
    scale is ``b_std / scale`` per unit of the original column (times ``y_scale`` for Gaussian
    outcomes).
    """

    y: np.ndarray
    X: np.ndarray
    terms: list[str]
    center: np.ndarray
    scale: np.ndarray
    y_center: float
    y_scale: float
    batch_idx: dict[str, np.ndarray] = field(default_factory=dict)
    batch_levels: dict[str, list] = field(default_factory=dict)
    outcome_levels: list = field(default_factory=list)
    patients: list = field(default_factory=list)


def predictor_columns(
    data: pd.DataFrame, columns: Sequence[str], levels: dict[str, list] | None = None
) -> tuple[np.ndarray, list[str], dict[str, list]]:
    """Numeric design columns: numbers and booleans as they are; categories one-hot (first level dropped).

    ``levels`` fixes the categories of categorical columns (for refits on new data).
    """
    levels = dict(levels or {})
    cols: list[np.ndarray] = []
    names: list[str] = []
    for c in columns:
        col = _column(data, c, "predictor")
        if pd.api.types.is_bool_dtype(col) or (
            pd.api.types.is_numeric_dtype(col) and not isinstance(col.dtype, pd.CategoricalDtype)
        ):
            v = col.to_numpy(dtype=float)
            if not np.all(np.isfinite(v)):
                raise DataError(f"predictor column {c!r} has non-finite values")
            cols.append(v)
            names.append(str(c))
            continue
        lv = levels.get(c)
        if lv is None:
            lv = list(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype) else sorted(pd.unique(col).tolist(), key=str)
            levels[c] = lv
        codes = _codes(col, lv)
        if (codes < 0).any():
            bad = sorted(set(map(str, col[codes < 0])))
            raise DataError(f"predictor column {c!r} has levels {bad} unknown to the model (known: {lv})")
        for j, level in enumerate(lv[1:], start=1):
            cols.append((codes == j).astype(float))
            names.append(f"{c}[{level}]")
    X = np.column_stack(cols) if cols else np.zeros((len(data), 0))
    return X, names, levels


def standardise(X: np.ndarray, names: Sequence[str], focal: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre and scale each column to mean 0, sd 1; a constant focal column is an error."""
    center = X.mean(axis=0) if X.shape[1] else np.zeros(0)
    scale = X.std(axis=0) if X.shape[1] else np.zeros(0)
    for j, s in enumerate(scale):
        if s == 0:
            if focal is not None and j == focal:
                raise DataError(f"exposure {names[j]!r} is constant in the data: its effect cannot be estimated")
            warnings.warn(
                f"predictor {names[j]!r} is constant in the data; it carries no information", DataWarning, stacklevel=4
            )
            scale[j] = 1.0
    return (X - center) / scale, center, scale


def batch_codes(data: pd.DataFrame, name: str, levels: Sequence | None = None) -> tuple[np.ndarray, list]:
    """Integer codes 0..L-1 of a batch column, with its levels (fixed by ``levels`` when given)."""
    col = _column(data, name, "batch")
    if levels is None:
        levels = list(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype) else sorted(pd.unique(col).tolist(), key=str)
    codes = _codes(col, levels)
    if (codes < 0).any():
        bad = sorted(set(map(str, col[codes < 0])))
        raise DataError(
            f"batch column {name!r} has levels {bad} that the model was built without (levels {list(levels)}); "
            "build a new model for new batches"
        )
    if len(levels) < 2:
        raise DataError(f"batch column {name!r} has a single level {list(levels)}: nothing to pool over")
    return codes, list(levels)


def build_design(
    data: pd.DataFrame,
    outcome: str,
    family: str,
    predictors: Sequence[str],
    batch: Sequence[str] = (),
    *,
    has_exposure: bool = True,
    levels: dict[str, list] | None = None,
    scale_outcome: bool = True,
) -> tuple[Design, dict[str, list]]:
    """Assemble a :class:`Design` from ``data`` (standardised on this data set).

    ``scale_outcome=False`` keeps a Gaussian/Student-t outcome on its own scale (centre 0, scale 1)
    so that the priors do not depend on the outcome data.

    ``levels`` (returned, and accepted back) freezes categorical levels of predictors, batch
    columns and the outcome so that refits produce a design of the same structure.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if len(data) < 3:
        raise DataError(f"data has {len(data)} row(s); at least 3 patients are needed")
    levels = dict(levels or {})
    ycol = _column(data, outcome, "outcome")
    y, y_levels = encode_outcome(ycol, family, levels.get(("outcome", outcome)))
    if family == "ordered_logistic":
        levels[("outcome", outcome)] = y_levels
    X, names, pl = predictor_columns(data, predictors, levels)
    levels.update(pl)
    if has_exposure and names and names[0] != str(predictors[0]):
        raise ModelError(
            f"exposure {predictors[0]!r} must be a single numeric or binary column; it expands to {names}"
        )
    Xs, center, scale = standardise(X, names, focal=0 if has_exposure else None)
    if family in ("normal", "student_t") and scale_outcome:
        y_center, y_scale = float(np.mean(y)), float(np.std(y))
    else:
        y_center, y_scale = 0.0, 1.0
    bidx: dict[str, np.ndarray] = {}
    blev: dict[str, list] = {}
    for b in batch:
        codes, lv = batch_codes(data, b, levels.get(("batch", b)))
        levels[("batch", b)] = lv
        bidx[b], blev[b] = codes, lv
    design = Design(
        y=y,
        X=Xs,
        terms=names,
        center=center,
        scale=scale,
        y_center=y_center,
        y_scale=y_scale,
        batch_idx=bidx,
        batch_levels=blev,
        outcome_levels=y_levels,
        patients=list(data.index),
    )
    return design, levels
