"""Mass-univariate association scans between imaging features and genomic profiles."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from radiocausal.errors import ConvergenceWarning, DataError, DataWarning, IdentificationError
from radiocausal.stats import _engines
from radiocausal.stats.multiple_testing import PVALUE_METHODS, adjust_pvalues

if TYPE_CHECKING:  # pragma: no cover
    from radiocausal.graph import CausalDAG

__all__ = ["association_scan", "SCAN_TESTS"]

#: Values of ``test`` in :func:`association_scan`.
SCAN_TESTS = ("linear", "logistic", "spearman", "wilcoxon", "ordinal")
#: below this many patients in the rarer group of a binary column, a DataWarning is raised
MIN_EVENTS = 5
#: most distinct levels a genomic column may have for test="ordinal"
MAX_ORDINAL_LEVELS = 20
_ENGINES = {
    "linear": _engines.linear_block,
    "logistic": _engines.logistic_block,
    "spearman": _engines.spearman_block,
    "wilcoxon": _engines.wilcoxon_block,
    "ordinal": _engines.ordinal_block,
}
_NEWTON_TESTS = ("logistic", "ordinal")
_BINARY_TESTS = ("logistic", "wilcoxon")


def _as_frame(obj, name: str) -> pd.DataFrame:
    if isinstance(obj, pd.Series):
        obj = obj.to_frame()
    if not isinstance(obj, pd.DataFrame):
        raise DataError(f"{name} must be a pandas DataFrame indexed by patient, got {type(obj).__name__}")
    if obj.index.has_duplicates:
        dup = obj.index[obj.index.duplicated()].unique()[:5].tolist()
        raise DataError(f"{name} has duplicated index (patient) values, e.g. {dup}; expected one row per patient")
    if obj.columns.has_duplicates:
        dup = obj.columns[obj.columns.duplicated()].unique()[:5].tolist()
        raise DataError(f"{name} has duplicated column names, e.g. {dup}")
    return obj


def _numeric(df: pd.DataFrame, name: str) -> pd.DataFrame:
    dtypes = df.dtypes
    ok = np.array([pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t) for t in dtypes.unique()])
    if not ok.all():
        bad = [c for c, t in dtypes.items() if not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t))]
        raise DataError(
            f"{name} must hold numeric columns; column(s) {bad[:5]} have dtype "
            f"{[str(dtypes[c]) for c in bad[:5]]} (encode categories first)"
        )
    return df.astype(float)


def _ordinal_codes(df: pd.DataFrame, test: str) -> pd.DataFrame:
    """Ordered categorical columns (e.g. copy-number states) as their integer codes 0, 1, ..."""
    ordered = [c for c, t in df.dtypes.items() if isinstance(t, pd.CategoricalDtype) and t.ordered]
    if not ordered:
        return df
    if test not in ("spearman", "linear", "ordinal"):
        raise DataError(
            f"genomics column(s) {ordered[:5]} are ordered categories (e.g. copy-number states): use "
            f"test='ordinal' (proportional odds), 'spearman' (rank trend test) or 'linear' (linear trend), "
            f"not {test!r}"
        )
    out = df.copy()
    for c in ordered:
        codes = out[c].cat.codes.astype(float)
        out[c] = codes.where(codes >= 0)
    return out


def _encode_covariates(cov: pd.DataFrame) -> pd.DataFrame:
    """Numeric/bool columns as floats; categorical/text columns one-hot encoded (first level dropped)."""
    parts = []
    for c in cov.columns:
        col = cov[c]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            parts.append(col.astype(float).rename(c))
        else:
            dummies = pd.get_dummies(col, prefix=str(c), drop_first=True, dtype=float)
            dummies[col.isna().to_numpy()] = np.nan
            parts.append(dummies)
    if not parts:
        return pd.DataFrame(index=cov.index)
    return pd.concat(parts, axis=1)


def _align(frames: dict[str, pd.DataFrame], join: str) -> pd.Index:
    names = list(frames)
    base = frames[names[0]].index
    common = base
    for nm in names[1:]:
        common = common.intersection(frames[nm].index, sort=False)
    if len(common) == 0:
        raise DataError("features, genomics (and covariates) share no patient id in their indices")
    mismatch = any(len(f.index) != len(common) for f in frames.values())
    if mismatch:
        detail = "; ".join(
            f"{nm}: {len(f.index)} rows, {len(f.index.difference(common))} not in the others "
            f"(e.g. {f.index.difference(common)[:3].tolist()})"
            for nm, f in frames.items()
        )
        if join == "strict":
            raise DataError(
                f"the tables' indices (patient ids) do not match: {detail}; "
                "align them first or pass join='inner' to keep the common patients"
            )
        warnings.warn(
            f"keeping the {len(common)} patients common to all tables ({detail})", DataWarning, stacklevel=3
        )
    return common


def _check_missing(frames: dict[str, pd.DataFrame], dropna: bool) -> pd.Index:
    index = next(iter(frames.values())).index
    keep = np.ones(len(index), dtype=bool)
    msgs = []
    for nm, f in frames.items():
        na = f.isna()
        if na.to_numpy().any():
            counts = na.sum()
            counts = counts[counts > 0]
            msgs.append(f"{nm}: {dict(list(counts.items())[:5])}")
            keep &= ~na.any(axis=1).to_numpy()
    if msgs:
        if not dropna:
            raise DataError(
                "missing values (NaN) found — " + "; ".join(msgs) + " (count per column); "
                "impute them or pass dropna=True to drop incomplete patients (listwise)"
            )
        warnings.warn(
            f"dropna=True: dropping {int((~keep).sum())} of {len(index)} patients with missing values ("
            + "; ".join(msgs) + ")",
            DataWarning,
            stacklevel=3,
        )
    return index[keep]


def _warn_constant(values: np.ndarray, columns: pd.Index, name: str) -> None:
    const = columns[np.ptp(values, axis=0) == 0].tolist() if values.shape[0] else []
    if const:
        warnings.warn(
            f"{name} column(s) {const[:10]}{' ...' if len(const) > 10 else ''} are constant: "
            "their pairs cannot be tested and get NaN",
            DataWarning,
            stacklevel=3,
        )


def _design(cov: pd.DataFrame | None, n: int, columns=None) -> np.ndarray:
    ones = np.ones((n, 1))
    if cov is None or (columns is not None and len(columns) == 0) or cov.shape[1] == 0:
        return ones
    sub = cov if columns is None else cov[list(columns)]
    enc = _encode_covariates(sub).to_numpy(dtype=float)
    A = np.hstack([ones, enc])
    _, rank = _engines.orthonormal_basis(A)
    if rank < A.shape[1]:
        raise DataError(
            f"covariates {list(sub.columns)} are collinear (with each other or with the intercept: "
            "a constant column?); design rank {rank} < {A.shape[1]} columns"
        )
    return A


def _dag_groups(
    dag: CausalDAG,
    features: list,
    genes: list,
    covariates: pd.DataFrame | None,
    dag_nodes: Mapping[str, str] | None,
    dag_exposure: str,
) -> dict[tuple[str, str], tuple[list[int], list[int], list]]:
    """Map (feature node, gene node) -> (feature indices, gene indices, covariate columns)."""
    mapping = dict(dag_nodes or {})
    node_of = lambda c: mapping.get(c, c)  # noqa: E731
    unknown = [c for c in list(features) + list(genes) if node_of(c) not in dag]
    if unknown:
        raise DataError(
            f"adjust=dag: column(s) {unknown[:10]} are not nodes of the DAG; name the columns after DAG nodes "
            "or map them with dag_nodes={column: node}"
        )
    cov_cols = list(covariates.columns) if covariates is not None else []
    cov_nodes: dict[str, list] = {}
    for c in cov_cols:
        nd = node_of(c)
        if nd not in dag:
            raise DataError(f"adjust=dag: covariate column {c!r} is not a DAG node (map it with dag_nodes)")
        cov_nodes.setdefault(nd, []).append(c)
    observed = set(dag.observed_nodes)
    groups: dict[tuple[str, str], tuple[list[int], list[int], list]] = {}
    f_by_node: dict[str, list[int]] = {}
    g_by_node: dict[str, list[int]] = {}
    for i, c in enumerate(features):
        f_by_node.setdefault(node_of(c), []).append(i)
    for j, c in enumerate(genes):
        g_by_node.setdefault(node_of(c), []).append(j)
    for fn, fidx in f_by_node.items():
        for gn, gidx in g_by_node.items():
            if fn == gn:
                raise DataError(f"adjust=dag: feature and gene columns both map to the DAG node {fn!r}")
            x, y = (gn, fn) if dag_exposure == "genomics" else (fn, gn)
            exclude = sorted(observed - set(cov_nodes) - {x, y})
            sets = dag.adjustment_sets(x, y, kind="minimal", include=(), exclude=exclude)
            if not sets:
                expl = dag.explain_adjustment(sorted(set(cov_nodes) - {x, y}), x, y)
                raise IdentificationError(
                    f"adjust=dag: no adjustment set among the measured covariates {sorted(cov_nodes)} identifies "
                    f"the effect of {x!r} on {y!r}:\n{expl}"
                )
            chosen = sets[0]
            cols = [c for nd in sorted(chosen) for c in cov_nodes[nd]]
            groups[(fn, gn)] = (fidx, gidx, cols)
    return groups


def association_scan(
    features: pd.DataFrame,
    genomics: pd.DataFrame,
    test: Literal["linear", "logistic", "spearman", "wilcoxon", "ordinal"] = "linear",
    covariates: pd.DataFrame | None = None,
    *,
    adjust: CausalDAG | None = None,
    dag_nodes: Mapping[str, str] | None = None,
    dag_exposure: Literal["genomics", "features"] = "genomics",
    q_method: str = "bh",
    q_by: Literal["gene", "feature"] | None = None,
    join: Literal["strict", "inner"] = "strict",
    dropna: bool = False,
    max_chunk_mb: float = 64.0,
    max_iter: int = 50,
    client=None,
    genes_per_task: int | None = None,
) -> pd.DataFrame:
    """Test every (feature, gene) pair at once, vectorised, and control the false discovery rate.

    Parameters
    ----------
    features : DataFrame
        Imaging features, one row per patient (index), one numeric column per feature.
    genomics : DataFrame
        Genomic profiles on the same patients: expression (continuous) for ``"linear"`` and
        ``"spearman"``, binary 0/1 mutation calls for ``"logistic"`` and ``"wilcoxon"``.  Ordered
        categorical columns (copy-number states from
        :func:`radiocausal.genomics.copy_number_categories`) enter ``"spearman"`` (a rank trend
        test across the ordered states) and ``"linear"`` (a linear trend) as their codes.
    test : {"linear", "logistic", "spearman", "wilcoxon", "ordinal"}
        ``"linear"``: OLS ``gene ~ 1 + feature + covariates`` (covariates removed by projection on
        their QR basis; exact t-test with ``n - k - 2`` df for ``k`` covariate columns); ``estimate``
        is the slope.  Its t and p-value are the same with the roles of feature and gene swapped.
        ``"logistic"``: ``mutation ~ 1 + feature + covariates`` by vectorised Newton–Raphson;
        ``estimate`` is the log odds ratio per unit of the feature, with Wald SE, z and p; extra
        boolean columns ``converged`` and ``separated`` flag pairs without a usable fit (NaN
        results, with a warning).  ``"spearman"``: Spearman's rho (partial rho on ranked
        covariates when given), t-test with ``n - k - 2`` df.  ``"wilcoxon"``: rank-sum test of the
        feature between mutated and wild-type patients (normal approximation with tie and
        continuity correction); ``estimate`` is ``U / (n1 n0)`` (0.5 under the null); no covariates.
        ``"ordinal"``: proportional-odds logistic regression of an ordered genomic variable (copy-number
        states, grade) on the feature and covariates, vectorised Newton like ``"logistic"``;
        ``estimate`` is the log cumulative odds ratio of a higher level per unit of the feature.
    covariates : DataFrame, optional
        Adjustment covariates on the same patients; text/categorical columns are one-hot encoded.
        All are used for every pair, unless ``adjust`` is given.
    adjust : CausalDAG, optional
        Choose the covariates per pair from the DAG: for the pair's nodes (see ``dag_nodes``) the
        smallest minimal adjustment set made only of nodes measured in ``covariates`` is used.  When
        none exists the scan refuses with :class:`~radiocausal.errors.IdentificationError` carrying
        the DAG's explanation (:meth:`CausalDAG.explain_adjustment`).  The column
        ``adjustment_set`` records the set used.
    dag_nodes : mapping of str to str, optional
        Column name -> DAG node for feature, gene and covariate columns not named after a node
        (several columns may share a node, e.g. all texture features -> ``"texture"``).
    dag_exposure : {"genomics", "features"}
        Direction of the effect looked up in the DAG: gene -> feature (default) or feature -> gene.
    q_method : str
        Method of :func:`adjust_pvalues` for the ``q_value`` column (default ``"bh"``).
    q_by : {"gene", "feature"}, optional
        Adjust within each gene (or feature) instead of over the whole scan.
    join : {"strict", "inner"}
        ``"strict"`` (default): the tables must hold the same patients (order may differ) or
        :class:`~radiocausal.errors.DataError` is raised; ``"inner"``: keep the common patients
        with a :class:`~radiocausal.errors.DataWarning`.
    dropna : bool
        Missing values raise a :class:`~radiocausal.errors.DataError` by default; ``True`` drops
        incomplete patients (listwise, over all tables) with a warning.
    max_chunk_mb : float
        Upper bound on the working memory of one chunk of pairs (the result itself needs about
        ``70 bytes`` per pair on top).
    max_iter : int
        Newton iterations for ``"logistic"``.
    client : dask.distributed.Client, optional
        Run the scan on a Dask cluster: the genes are split into chunks of ``genes_per_task``
        columns, one task each (features and covariates are scattered once); results are
        identical to the local scan.  q-values are computed locally after gathering.
    genes_per_task : int, optional
        Genes per Dask task (default: about 4 tasks per worker).

    Returns
    -------
    DataFrame
        One row per pair, feature-major, with columns ``feature``, ``gene`` (categorical),
        ``estimate``, ``se``, ``statistic``, ``p_value``, ``q_value`` (plus ``converged``,
        ``separated`` for logistic and ``adjustment_set`` with ``adjust``).  Untestable pairs
        (constant columns, collinear with the covariates, separation) have NaN p-values, which the
        q-values leave out.  ``attrs`` records ``n`` (patients used), ``test``, ``q_method`` and ``q_by``.

    Raises
    ------
    DataError
        Non-DataFrame input, duplicated ids, mismatched indices (``join="strict"``), NaN
        (``dropna=False``), non-numeric or non-binary columns, collinear covariates, too few patients.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> ids = [f"P{i}" for i in range(60)]
    >>> feats = pd.DataFrame(rng.normal(size=(60, 2)), index=ids, columns=["size", "texture"])
    >>> expr = pd.DataFrame({"ESR1": 2 * feats["size"] + rng.normal(size=60),
    ...                      "ERBB2": rng.normal(size=60)}, index=ids)
    >>> res = association_scan(feats, expr, test="linear")
    >>> res[["feature", "gene"]].astype(str).values.tolist()
    [['size', 'ESR1'], ['size', 'ERBB2'], ['texture', 'ESR1'], ['texture', 'ERBB2']]
    >>> bool(res.loc[0, "q_value"] < 1e-10)
    True
    """
    if test not in SCAN_TESTS:
        raise DataError(f"test must be one of {SCAN_TESTS}, got {test!r}")
    if dag_exposure not in ("genomics", "features"):
        raise DataError(f"dag_exposure must be 'genomics' or 'features', got {dag_exposure!r}")
    if join not in ("strict", "inner"):
        raise DataError(f"join must be 'strict' or 'inner', got {join!r}")
    if q_by not in (None, "gene", "feature"):
        raise DataError(f"q_by must be None, 'gene' or 'feature', got {q_by!r}")
    if str(q_method).lower() not in PVALUE_METHODS + ("fdr_bh", "fdr_by"):
        raise DataError(f"q_method must be one of {PVALUE_METHODS}, got {q_method!r}")
    if not (isinstance(max_iter, (int, np.integer)) and max_iter > 0):
        raise DataError(f"max_iter must be a positive integer, got {max_iter!r}")
    if not (isinstance(max_chunk_mb, (int, float)) and max_chunk_mb > 0):
        raise DataError(f"max_chunk_mb must be a positive number, got {max_chunk_mb!r}")
    if adjust is not None:
        from radiocausal.graph import CausalDAG

        if not isinstance(adjust, CausalDAG):
            raise DataError(f"adjust must be a radiocausal.graph.CausalDAG, got {type(adjust).__name__}")
    features = _as_frame(features, "features")
    genomics = _as_frame(genomics, "genomics")
    frames = {"features": features, "genomics": genomics}
    if covariates is not None:
        covariates = _as_frame(covariates, "covariates")
        frames["covariates"] = covariates
        if test == "wilcoxon" and adjust is None and covariates.shape[1] > 0:
            raise DataError(
                "test='wilcoxon' does not adjust for covariates; use test='logistic' (mutation ~ feature + "
                "covariates) or test='linear'"
            )
    if features.shape[1] == 0 or genomics.shape[1] == 0:
        raise DataError(
            f"features and genomics need at least one column each, got {features.shape[1]} and {genomics.shape[1]}"
        )
    common = _align(frames, join)
    frames = {k: v.loc[common] for k, v in frames.items()}
    keep = _check_missing(frames, dropna)
    frames = {k: v.loc[keep] for k, v in frames.items()}
    feats = _numeric(frames["features"], "features")
    gen = _numeric(_ordinal_codes(frames["genomics"], test), "genomics")
    cov = frames.get("covariates")
    n = len(keep)
    if test in _BINARY_TESTS:
        vals = gen.to_numpy()
        nonbin = gen.columns[~np.all((vals == 0) | (vals == 1), axis=0)].tolist()
        if nonbin:
            raise DataError(
                f"test={test!r} needs binary 0/1 genomic columns (mutation calls); column(s) {nonbin[:5]} "
                "hold other values (use 'linear' or 'spearman' for continuous profiles)"
            )
        events = np.minimum(vals.sum(axis=0), len(vals) - vals.sum(axis=0))
        rare = gen.columns[(events > 0) & (events < MIN_EVENTS)].tolist()
        if rare:
            warnings.warn(
                f"genomics column(s) {rare[:10]}{' ...' if len(rare) > 10 else ''} have fewer than {MIN_EVENTS} "
                "patients in the rarer group: their tests have little power and large-sample p-values may be off",
                DataWarning,
                stacklevel=2,
            )
    X = np.ascontiguousarray(feats.to_numpy(dtype=float))
    G = np.ascontiguousarray(gen.to_numpy(dtype=float))
    if test == "ordinal":
        n_levels = gen.nunique()
        many = n_levels[n_levels > MAX_ORDINAL_LEVELS]
        if len(many):
            raise DataError(
                f"test='ordinal' needs ordered levels (at most {MAX_ORDINAL_LEVELS}); genomics column(s) "
                f"{many.index[:5].tolist()} have {many.iloc[:5].tolist()} distinct values (use 'linear' or 'spearman')"
            )
    _warn_constant(X, feats.columns, "features")
    _warn_constant(G, gen.columns, "genomics")
    p, q = X.shape[1], G.shape[1]
    budget = int(max_chunk_mb * 2**20 / 8)
    engine = _ENGINES[test]
    kwargs = {"max_iter": max_iter} if test in _NEWTON_TESTS else {}

    if adjust is None:
        A = _design(cov, n)
        _check_df(n, A.shape[1], test)
        res = _run(engine, X, G, A, budget, kwargs, client, genes_per_task)
        set_labels = None
    else:
        groups = _dag_groups(adjust, list(feats.columns), list(gen.columns), cov, dag_nodes, dag_exposure)
        res = {k: np.full((p, q), np.nan) for k in ("estimate", "se", "statistic", "p_value")}
        if test in _NEWTON_TESTS:
            res["converged"] = np.zeros((p, q), dtype=bool)
            res["separated"] = np.zeros((p, q), dtype=bool)
            res["attempted"] = np.zeros((p, q), dtype=bool)
        set_codes = np.zeros((p, q), dtype=np.int32)
        set_names: list[str] = []
        for fidx, gidx, cols in groups.values():
            if test == "wilcoxon" and cols:
                raise DataError(
                    f"test='wilcoxon' cannot adjust for covariates, but the DAG requires {cols}; use test='logistic'"
                )
            A = _design(cov, n, cols)
            _check_df(n, A.shape[1], test)
            sub = _run(engine, X[:, fidx], G[:, gidx], A, budget, kwargs, client, genes_per_task)
            fi, gj = np.ix_(fidx, gidx)
            for key, val in sub.items():
                res[key][fi, gj] = val
            label = "{" + ", ".join(cols) + "}"
            if label not in set_names:
                set_names.append(label)
            set_codes[fi, gj] = set_names.index(label)
        set_labels = pd.Categorical.from_codes(set_codes.ravel(), categories=set_names)

    expected_nan = (np.ptp(X, axis=0) == 0)[:, None] | (np.ptp(G, axis=0) == 0)[None, :]
    if test in _NEWTON_TESTS:
        expected_nan = expected_nan | res["separated"] | (res["attempted"] & ~res["converged"])
        _warn_logistic(res)
    _warn_untestable(np.isnan(res["p_value"]) & ~expected_nan, feats.columns, gen.columns)
    pvals = res["p_value"]
    if q_by is None:
        qvals = adjust_pvalues(pvals.ravel(), q_method).reshape(p, q)
    elif q_by == "gene":
        qvals = np.column_stack([adjust_pvalues(pvals[:, j], q_method) for j in range(q)])
    else:
        qvals = np.vstack([adjust_pvalues(pvals[i, :], q_method) for i in range(p)])
    data = {
        "feature": pd.Categorical.from_codes(np.repeat(np.arange(p, dtype=np.int32), q), categories=list(feats.columns)),
        "gene": pd.Categorical.from_codes(np.tile(np.arange(q, dtype=np.int32), p), categories=list(gen.columns)),
        "estimate": res["estimate"].ravel(),
        "se": res["se"].ravel(),
        "statistic": res["statistic"].ravel(),
        "p_value": pvals.ravel(),
        "q_value": qvals.ravel(),
    }
    if test in _NEWTON_TESTS:
        data["converged"] = res["converged"].ravel()
        data["separated"] = res["separated"].ravel()
    if set_labels is not None:
        data["adjustment_set"] = set_labels
    out = pd.DataFrame(data, copy=False)
    out.attrs.update({"n": n, "test": test, "q_method": q_method, "q_by": q_by})
    return out


def _run(engine, X, G, A, budget, kwargs, client, genes_per_task):
    """Run one engine on a block, locally or as Dask tasks over chunks of genes."""
    if client is None:
        return engine(X, G, A, budget, **kwargs)
    for attr in ("submit", "gather", "scatter"):
        if not hasattr(client, attr):
            raise DataError(f"client must be a dask.distributed.Client, got {type(client).__name__}")
    q = G.shape[1]
    if genes_per_task is None:
        try:
            n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        except Exception:  # noqa: BLE001 - any client without scheduler_info
            n_workers = 1
        genes_per_task = max(1, -(-q // (4 * n_workers)))
    if not (isinstance(genes_per_task, (int, np.integer)) and genes_per_task > 0):
        raise DataError(f"genes_per_task must be a positive integer, got {genes_per_task!r}")
    x_f, a_f = client.scatter([X, A], broadcast=True, hash=False)
    slices = [slice(s, min(q, s + genes_per_task)) for s in range(0, q, genes_per_task)]
    futures = [client.submit(engine, x_f, np.ascontiguousarray(G[:, sl]), a_f, budget, pure=False, **kwargs)
               for sl in slices]
    parts = client.gather(futures)
    out = {key: np.concatenate([part[key] for part in parts], axis=1) for key in parts[0]}
    return out


def _check_df(n: int, k: int, test: str) -> None:
    if n - k - 1 < 1:
        raise DataError(
            f"too few patients for test={test!r}: n={n} with {k - 1} covariate column(s) leaves "
            f"{n - k - 1} residual degrees of freedom (need at least 1)"
        )


def _warn_untestable(extra: np.ndarray, features: pd.Index, genes: pd.Index) -> None:
    """Warn about pairs left untested for reasons other than constant columns or failed fits."""
    if not extra.any():
        return
    rows = features[extra.all(axis=1)].tolist()
    cols = genes[extra.all(axis=0)].tolist()
    detail = []
    if rows:
        detail.append(f"feature(s) {rows[:10]}")
    if cols:
        detail.append(f"gene(s) {cols[:10]}")
    warnings.warn(
        f"{int(extra.sum())} pair(s) could not be tested (NaN results): "
        + (" and ".join(detail) + " are" if detail else "columns are")
        + " collinear with the covariates (or have too few distinct values)",
        DataWarning,
        stacklevel=3,
    )


def _warn_logistic(res: dict[str, np.ndarray]) -> None:
    sep = int(res["separated"].sum())
    nonconv = int((res["attempted"] & ~res["converged"] & ~res["separated"]).sum())
    if sep:
        warnings.warn(
            f"{sep} pair(s) show (quasi-)complete separation (no convergence, fitted probabilities numerically "
            "0 or 1): "
            "their maximum-likelihood estimate does not exist; they are flagged in column 'separated' with "
            "NaN results (consider test='wilcoxon' or fewer covariates)",
            DataWarning,
            stacklevel=3,
        )
    if nonconv:
        warnings.warn(
            f"{nonconv} logistic fit(s) did not converge; flagged converged=False with NaN results "
            "(raise max_iter?)",
            ConvergenceWarning,
            stacklevel=3,
        )
