"""Test a causal DAG against data: check each implied conditional independence.

Every statement ``x _||_ y | Z`` from :func:`~radiocausal.graph.independencies.implied_independencies`
is tested with a test suited to the column types:

* both ``x`` and ``y`` continuous or ordinal: **partial correlation** of the residuals of ``x``
  and ``y`` after a least-squares regression on ``Z`` (Pearson; Spearman, i.e. on ranks, when
  any of the variables involved is ordinal), with a *t* test on ``n - 2 - k`` degrees of freedom
  (``k`` = rank of the ``Z`` design);
* ``x`` or ``y`` binary or categorical: a **likelihood-ratio test** of nested regressions,
  ``response ~ predictor + Z`` against ``response ~ Z``, logistic for a binary response and
  multinomial logistic for a categorical response with more than two levels.  The response is
  the more discrete of the two (categorical before binary before ordinal/continuous; ties go
  to ``x``, the first of the pair), so the choice never depends on the order the user wrote.

P-values are adjusted across all statements for the false discovery rate (Benjamini–Hochberg by
default) and statements with an adjusted p-value below ``alpha`` are flagged ``rejected``: the
data contradict them, so the DAG is missing an edge (or a path through a latent variable) there.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from scipy import stats

from radiocausal.errors import DataError, DataWarning
from radiocausal.graph.dag import NodeSet
from radiocausal.graph.independencies import Independence, _resolve_selection, implied_independencies

if TYPE_CHECKING:
    from radiocausal.graph.dag import CausalDAG

__all__ = ["test_implications", "infer_column_types", "COLUMN_TYPES", "CI_METHODS"]

#: Column types understood by :func:`test_implications`.
COLUMN_TYPES = ("continuous", "ordinal", "binary", "categorical")
#: Values of ``method`` in :func:`test_implications`.
CI_METHODS = ("auto", "pearson", "spearman", "lr")
_FDR = ("bh", "by", "holm", "bonferroni", "storey")  # radiocausal.stats.PVALUE_METHODS
_RESULT_COLUMNS = [
    "x",
    "y",
    "given",
    "test",
    "response",
    "n",
    "df",
    "estimate",
    "estimate_type",
    "ci_low",
    "ci_high",
    "statistic",
    "p_value",
    "p_adjusted",
    "rejected",
    "note",
]
_RANK = {"continuous": 0, "ordinal": 0, "binary": 1, "categorical": 2}


def infer_column_types(data: pd.DataFrame, columns: Iterable[str] | None = None) -> dict[str, str]:
    """Infer the type of each column as :func:`test_implications` sees it.

    ``bool`` columns and columns with exactly two distinct values are ``"binary"``; ordered
    pandas categoricals are ``"ordinal"``; unordered categoricals, strings and objects with more
    than two levels are ``"categorical"``; other numeric columns are ``"continuous"`` (declare an
    integer score as ordinal with ``column_types=`` in :func:`test_implications`, or by storing
    it as an ordered categorical).

    Raises
    ------
    DataError
        A column is constant or of an unsupported dtype (e.g. datetime).

    Examples
    --------
    >>> df = pd.DataFrame({"age": [50.1, 61.0, 70.2], "ER": [0, 1, 1], "site": ["a", "b", "c"]})
    >>> infer_column_types(df)
    {'age': 'continuous', 'ER': 'binary', 'site': 'categorical'}
    """
    cols = list(data.columns) if columns is None else list(columns)
    out: dict[str, str] = {}
    constant = []
    for c in cols:
        s = data[c]
        nunique = s.nunique(dropna=True)
        if nunique < 2:
            constant.append(c)
            continue
        dtype = s.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            if nunique == 2:
                out[c] = "binary"
            else:
                out[c] = "ordinal" if dtype.ordered else "categorical"
        elif pd.api.types.is_bool_dtype(dtype) or nunique == 2:
            out[c] = "binary"
        elif pd.api.types.is_numeric_dtype(dtype):
            out[c] = "continuous"
        elif pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            out[c] = "categorical"
        else:
            raise DataError(
                f"column {c!r} has dtype {dtype}, which cannot be tested; expected numeric, bool, "
                "string or categorical values"
            )
    if constant:
        raise DataError(
            f"column(s) {constant} are constant: an independence test needs variation; drop the "
            "node from the data or declare it [selected] if it is the study-inclusion indicator"
        )
    return out


# ------------------------------------------------------------------------- encoding
def _levels(s: pd.Series) -> list:
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(s.unique())
        return [c for c in s.cat.categories if c in present]
    return sorted(s.unique(), key=lambda v: (str(type(v)), v))


def _codes(s: pd.Series) -> np.ndarray:
    levels = _levels(s)
    index = {v: i for i, v in enumerate(levels)}
    return s.map(index).to_numpy(dtype=float)


def _numeric(s: pd.Series, kind: str, rank: bool) -> np.ndarray:
    """One numeric column for a continuous, ordinal or binary variable."""
    if kind == "continuous" and not isinstance(s.dtype, pd.CategoricalDtype):
        v = s.to_numpy(dtype=float)
    else:
        v = _codes(s)
    return stats.rankdata(v) if rank else v


def _design(s: pd.Series, kind: str, rank: bool) -> np.ndarray:
    """Design columns of a predictor or conditioning variable (k-1 dummies if categorical)."""
    if kind == "categorical":
        codes = _codes(s).astype(int)
        k = int(codes.max()) + 1
        return np.eye(k)[codes][:, 1:]
    return _numeric(s, kind, rank)[:, None]


def _residualise(v: np.ndarray, design: np.ndarray) -> np.ndarray:
    coef, *_ = np.linalg.lstsq(design, v, rcond=None)
    return v - design @ coef


# ------------------------------------------------------------------------- tests
def _partial_correlation(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> dict:
    n = x.shape[0]
    rank = int(np.linalg.matrix_rank(z))
    df = n - 1 - rank
    out = {"n": n, "df": df, "estimate_type": "partial_r", "response": None}
    if df < 1:
        return out | {"note": f"too few rows ({n}) for {rank - 1} conditioning column(s)"}
    rx, ry = _residualise(x, z), _residualise(y, z)
    sx, sy = float(np.sqrt(rx @ rx)), float(np.sqrt(ry @ ry))
    scale = max(float(np.abs(x).max()), float(np.abs(y).max()), 1.0)
    if sx <= 1e-10 * scale * np.sqrt(n) or sy <= 1e-10 * scale * np.sqrt(n):
        return out | {"note": "a variable is a deterministic function of the conditioning set"}
    r = float(np.clip((rx @ ry) / (sx * sy), -1.0, 1.0))
    t = r * np.sqrt(df / max(1.0 - r * r, 1e-300))
    # 95% interval by Fisher's z with n - 3 - k degrees of freedom
    half = stats.norm.ppf(0.975) / np.sqrt(max(df - 1, 1))
    zr = np.arctanh(np.clip(r, -1 + 1e-15, 1 - 1e-15))
    return out | {
        "estimate": r,
        "ci_low": float(np.tanh(zr - half)),
        "ci_high": float(np.tanh(zr + half)),
        "statistic": float(t),
        "p_value": float(2.0 * stats.t.sf(abs(t), df)),
    }


def _loglik_gaussian(v: np.ndarray, design: np.ndarray) -> float:
    res = _residualise(v, design)
    n = v.shape[0]
    rss = max(float(res @ res), 1e-300)
    return -0.5 * n * (np.log(2.0 * np.pi * rss / n) + 1.0)


def _fit_discrete(response: np.ndarray, design: np.ndarray, multinomial: bool):
    import statsmodels.api as sm  # lazy: only needed for discrete responses

    model = sm.MNLogit(response, design) if multinomial else sm.Logit(response, design)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = model.fit(disp=0, method="newton", maxiter=100)
        except np.linalg.LinAlgError as exc:
            return None, f"fit failed: {exc}"
        except Exception as exc:  # statsmodels raises PerfectSeparationError in some versions
            return None, f"fit failed: {type(exc).__name__}: {exc}"
    notes = sorted({type(w.message).__name__ for w in caught})
    note = ""
    if any("Separation" in n for n in notes):
        note = "perfect separation: the LR statistic is unreliable"
    elif any("Convergence" in n or "Hessian" in n for n in notes):
        note = "regression did not converge cleanly"
    return fit, note


def _lr_test(resp: pd.Series, resp_kind: str, pred: pd.Series, pred_kind: str, z: np.ndarray) -> dict:
    n = resp.shape[0]
    xp = _design(pred, pred_kind, rank=False)
    full = np.column_stack([z, xp])
    p_cols = int(np.linalg.matrix_rank(full)) - int(np.linalg.matrix_rank(z))
    out: dict = {"n": n, "df": p_cols}
    if p_cols < 1:
        return out | {"note": "the predictor is collinear with the conditioning set"}
    if n - int(np.linalg.matrix_rank(full)) < 1:
        return out | {"note": f"too few rows ({n}) for the regression"}
    single = xp.shape[1] == 1
    if resp_kind in ("continuous", "ordinal"):
        v = _numeric(resp, resp_kind, rank=False)
        ll1, ll0 = _loglik_gaussian(v, full), _loglik_gaussian(v, z)
        note = ""
        est = None
        if single:
            coef, *_ = np.linalg.lstsq(full, v, rcond=None)
            est = float(coef[-1])
        out |= {"test": "linear_lr", "estimate_type": "coefficient" if single else None}
    else:
        multinomial = resp_kind == "categorical"
        codes = _codes(resp)
        fit1, note1 = _fit_discrete(codes, full, multinomial)
        fit0, note0 = _fit_discrete(codes, z, multinomial)
        note = note1 or note0
        if fit1 is None or fit0 is None:
            return out | {"test": "multinomial_lr" if multinomial else "logistic_lr", "note": note}
        ll1, ll0 = float(fit1.llf), float(fit0.llf)
        est = None
        if single and not multinomial:
            est = float(np.asarray(fit1.params)[-1])
        out |= {
            "test": "multinomial_lr" if multinomial else "logistic_lr",
            "estimate_type": "log_odds_ratio" if est is not None else None,
        }
        if multinomial:
            out["df"] = p_cols * (int(codes.max()))
    lr = max(2.0 * (ll1 - ll0), 0.0)
    return out | {
        "estimate": est,
        "statistic": lr,
        "p_value": float(stats.chi2.sf(lr, out["df"])),
        "note": note,
    }


def _adjust(p: np.ndarray, fdr: str | None) -> tuple[np.ndarray, str]:
    if fdr is None:
        return p.copy(), "none"
    from radiocausal.stats import adjust_pvalues  # lazy: keeps `import radiocausal.graph` light

    return np.asarray(adjust_pvalues(p, method=fdr), dtype=float), fdr


def _statements(implications, sel: frozenset[str]) -> list[tuple[str, str, frozenset[str]]]:
    out = []
    for imp in implications:
        if isinstance(imp, Independence):
            out.extend((imp.x, imp.y, frozenset(z) | sel) for z in imp.given)
            continue
        try:
            if isinstance(imp, str):
                raise TypeError
            x, y, z = imp
        except (TypeError, ValueError):
            raise DataError(
                f"implications must hold Independence records or (x, y, given) triples, got {imp!r}"
            ) from None
        z = {z} if isinstance(z, str) else set(z)
        if not (isinstance(x, str) and isinstance(y, str)) or x == y or x in z or y in z:
            raise DataError(f"implication {imp!r} must name two distinct nodes x, y outside the given set")
        out.append((x, y, frozenset(z) | sel))
    return out


# ------------------------------------------------------------------------- public
def test_implications(
    dag: CausalDAG,
    data: pd.DataFrame,
    *,
    kind: Literal["minimal", "basis"] = "minimal",
    implications: Iterable[Independence] | None = None,
    alpha: float = 0.05,
    method: Literal["auto", "pearson", "spearman", "lr"] = "auto",
    fdr: Literal["bh", "by", "holm", "bonferroni", "storey"] | None = "bh",
    column_types: Mapping[str, str] | None = None,
    dropna: bool = False,
    selection: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Test each conditional independence the DAG implies on a data set.

    Parameters
    ----------
    dag : CausalDAG
        The causal graph.
    data : pandas.DataFrame
        One row per patient (or sample), one column per observed node (columns named like the
        nodes; extra columns are ignored).  The data are assumed to come from the selected
        patients only: selection nodes need no column and are conditioned on by design.
    kind : {"minimal", "basis"}
        Which implications to test (see :func:`implied_independencies`); ignored when
        ``implications`` is given.  Every conditioning set of every implication is tested.
    implications : iterable of Independence or of (x, y, given) triples, optional
        Test these instead (e.g. a subset of ``implied_independencies(dag)``).  Selection nodes
        in force are added to every conditioning set.
    alpha : float
        Level at which an adjusted p-value flags a statement as ``rejected``.
    method : {"auto", "pearson", "spearman", "lr"}
        ``"auto"``: partial correlation when ``x`` and ``y`` are both continuous or ordinal
        (Spearman if any variable of the test is ordinal, else Pearson), a likelihood-ratio
        test of nested (logistic / multinomial logistic) regressions otherwise.
        ``"pearson"``/``"spearman"``: partial correlation for every statement (binary columns
        as 0/1; a categorical ``x`` or ``y`` with more than two levels is an error).
        ``"lr"``: likelihood-ratio tests everywhere (Gaussian linear model for a continuous
        response).  In an LR test the response is the more discrete variable of the pair
        (categorical, then binary, then the rest; ties: ``x``); ordinal predictors and
        covariates enter as integer codes (a linear trend), categorical ones as dummies, and a
        binary variable is coded 1 for its second level (category order, else sorted values),
        which sets the sign of a log odds ratio.  Spearman p-values use the *t* reference
        distribution on ranks, an approximation that is accurate for moderate ``n``.
    fdr : {"bh", "by", "holm", "bonferroni", "storey"} or None
        Multiple-testing adjustment across all tested statements (default Benjamini–Hochberg);
        ``None`` leaves the p-values unadjusted.
    column_types : mapping of str to str, optional
        Override the inferred type (see :func:`infer_column_types`) of some columns, e.g.
        ``{"grade": "ordinal"}`` for an integer-coded grade.
    dropna : bool
        Rows with a missing value in a tested column raise :class:`DataError` by default; with
        ``dropna=True`` they are dropped (a :class:`DataWarning` says how many).
    selection : iterable of str, optional
        As in :func:`implied_independencies`.

    Returns
    -------
    pandas.DataFrame
        One row per tested statement with columns ``x``, ``y``, ``given`` (frozenset; selection
        nodes included), ``test`` (``"pearson"``, ``"spearman"``, ``"logistic_lr"``,
        ``"multinomial_lr"``, ``"linear_lr"``), ``response`` (the regressed variable of an LR
        test), ``n``, ``df``, ``estimate`` (partial correlation, log odds ratio or coefficient;
        NaN when the test has several degrees of freedom), ``estimate_type``, ``ci_low`` and
        ``ci_high`` (95% Fisher-z interval of a partial correlation, else NaN), ``statistic``
        (*t* or LR chi-square), ``p_value``, ``p_adjusted``, ``rejected`` and ``note`` (why a
        test could not be run, or why its p-value is unreliable; such rows have a NaN p-value
        and do not count among the adjusted tests; a :class:`DataWarning` summarises them).
        ``frame.attrs`` records ``alpha``, ``fdr`` and the number of rows used.

    Raises
    ------
    DataError
        Columns missing for observed nodes (named in the message), missing values without
        ``dropna=True``, constant columns, unknown column types or bad arguments.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from radiocausal.graph import CausalDAG
    >>> rng = np.random.default_rng(0)
    >>> grade = rng.normal(size=500)
    >>> egfr = 0.8 * grade + rng.normal(size=500)
    >>> texture = 0.8 * grade + rng.normal(size=500)
    >>> df = pd.DataFrame({"grade": grade, "EGFR": egfr, "texture": texture})
    >>> dag = CausalDAG([("grade", "EGFR"), ("grade", "texture")])
    >>> res = test_implications(dag, df)
    >>> res[["x", "y", "test", "rejected"]]
          x        y     test  rejected
    0  EGFR  texture  pearson     False
    >>> bad = CausalDAG([("grade", "EGFR"), ("EGFR", "texture")])   # grade -> texture missing
    >>> test_implications(bad, df)[["x", "y", "rejected"]]
           x        y  rejected
    0  grade  texture      True
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if method not in CI_METHODS:
        raise DataError(f"method must be one of {CI_METHODS}, got {method!r}")
    if fdr is not None and fdr not in _FDR:
        raise DataError(f"fdr must be one of {_FDR} or None, got {fdr!r}")
    if not (isinstance(alpha, (int, float)) and 0.0 < alpha < 1.0):
        raise DataError(f"alpha must be a number in (0, 1), got {alpha!r}")
    sel = _resolve_selection(dag, selection)
    if implications is None:
        implications = implied_independencies(dag, kind, selection=sel)
    statements = _statements(implications, sel)

    latent = set(dag.latent_nodes)
    required = [v for v in dag.observed_nodes if v not in sel]
    missing = [v for v in required if v not in data.columns]
    if missing:
        raise DataError(
            f"data has no column for observed node(s) {missing}; add the measurements, or declare "
            "unmeasured nodes [latent] in the DAG"
        )
    named = {v for x, y, z in statements for v in (x, y, *z)}
    unknown = sorted(v for v in named if v not in dag)
    if unknown:
        raise DataError(f"implications name node(s) {unknown} that are not in the graph")
    bad_latent = sorted(v for v in named if v in latent)
    if bad_latent:
        raise DataError(f"implications refer to latent node(s) {bad_latent}, which have no data")
    bad_sel = sorted({v for x, y, _ in statements for v in (x, y) if v in sel})
    if bad_sel:
        raise DataError(
            f"implications test selection node(s) {bad_sel}, which are constant in a selected sample"
        )
    used = sorted(named - sel, key=required.index)
    unknown_types = sorted(c for c in (column_types or {}) if c not in data.columns)
    if unknown_types:
        raise DataError(f"column_types names column(s) {unknown_types} that are not in data")
    frame = data[used]
    na_rows = frame.isna().any(axis=1)
    if na_rows.any():
        na_cols = [c for c in used if frame[c].isna().any()]
        if not dropna:
            raise DataError(
                f"{int(na_rows.sum())} row(s) have missing values in column(s) {na_cols}; pass "
                "dropna=True to drop them (complete-case analysis) or impute first"
            )
        warnings.warn(
            f"dropped {int(na_rows.sum())} of {len(frame)} row(s) with missing values in {na_cols}",
            DataWarning,
            stacklevel=2,
        )
        frame = frame.loc[~na_rows]
    numeric_cols = [c for c in used if pd.api.types.is_numeric_dtype(frame[c].dtype)
                    and not pd.api.types.is_bool_dtype(frame[c].dtype)]
    infinite = [c for c in numeric_cols if not np.isfinite(frame[c].to_numpy(dtype=float)).all()]
    if infinite:
        raise DataError(f"column(s) {infinite} contain infinite values; expected finite numbers")
    types = infer_column_types(frame)
    for c, t in (column_types or {}).items():
        if t not in COLUMN_TYPES:
            raise DataError(f"column_types[{c!r}] must be one of {COLUMN_TYPES}, got {t!r}")
        if c in types:
            if t == "binary" and frame[c].nunique() != 2:
                raise DataError(f"column {c!r} declared binary has {frame[c].nunique()} distinct values")
            if t in ("continuous", "ordinal") and types[c] == "categorical" and not isinstance(
                frame[c].dtype, pd.CategoricalDtype
            ):
                raise DataError(f"column {c!r} declared {t} holds non-numeric values")
            types[c] = t

    rows = []
    for x, y, z in statements:
        zs = [v for v in z if v not in sel]
        tx, ty = types[x], types[y]
        kinds = [tx, ty] + [types[v] for v in zs]
        numeric_pair = tx in ("continuous", "ordinal") and ty in ("continuous", "ordinal")
        if method == "auto":
            use = ("spearman" if "ordinal" in kinds else "pearson") if numeric_pair else "lr"
        else:
            use = method
        if use in ("pearson", "spearman"):
            for v, t in ((x, tx), (y, ty)):
                if t == "categorical":
                    raise DataError(
                        f"method={method!r} cannot test {v!r}: it is categorical with "
                        f"{frame[v].nunique()} levels; use method='auto' or 'lr'"
                    )
            rank = use == "spearman"
            zd = np.column_stack(
                [np.ones(len(frame))] + [_design(frame[v], types[v], rank) for v in zs]
            )
            res = _partial_correlation(_numeric(frame[x], tx, rank), _numeric(frame[y], ty, rank), zd)
            res["test"] = use
        else:
            zd = np.column_stack([np.ones(len(frame))] + [_design(frame[v], types[v], False) for v in zs])
            if _RANK[ty] > _RANK[tx]:
                resp, pred = y, x
            else:
                resp, pred = x, y
            res = _lr_test(frame[resp], types[resp], frame[pred], types[pred], zd)
            res["response"] = resp
        rows.append({"x": x, "y": y, "given": NodeSet(z)} | res)

    out = pd.DataFrame(rows, columns=_RESULT_COLUMNS)
    out["given"] = out["given"].astype(object)
    for c in ("estimate", "ci_low", "ci_high", "statistic", "p_value"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    out["note"] = pd.Series([n if isinstance(n, str) else "" for n in out["note"]], index=out.index, dtype=object)
    noted = out["note"] != ""
    if noted.any():
        warnings.warn(
            f"{int(noted.sum())} of {len(out)} test(s) could not be run or may be unreliable "
            f"({'; '.join(sorted(set(out.loc[noted, 'note'])))}); see the 'note' column",
            DataWarning,
            stacklevel=2,
        )
    p = out["p_value"].to_numpy(dtype=float)
    adj, used_fdr = _adjust(p, fdr)
    out["p_adjusted"] = adj
    out["rejected"] = np.where(np.isnan(adj), False, adj < alpha)
    out["rejected"] = out["rejected"].astype(bool)
    out.attrs.update({"alpha": float(alpha), "fdr": used_fdr, "n_rows": int(len(frame))})
    return out


test_implications.__test__ = False  # not a pytest test, despite its name
