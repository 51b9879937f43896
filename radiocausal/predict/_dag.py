"""Take the clinical covariates and the site column of a prediction from a causal DAG."""

from __future__ import annotations

from typing import Any

import pandas as pd

from radiocausal.errors import DataError

__all__ = ["dag_inputs"]


def dag_inputs(dag: Any, clinical: pd.DataFrame, target: str | None = None) -> dict[str, Any]:
    """Covariates (the DAG's ``adjusted`` nodes) and sites (its ``batch`` node) for ``cross_validate``.

    Parameters
    ----------
    dag : radiocausal.graph.CausalDAG
        Graph with roles declared: ``adjusted`` nodes become the clinical covariates of the
        baseline model, the single ``batch`` node names the site column.
    clinical : pandas.DataFrame
        Patient-level table holding those columns (indexed by patient).
    target : str, optional
        Name of the predicted node; it is never used as a covariate.

    Returns
    -------
    dict
        ``{"covariates": DataFrame or None, "sites": Series or None}``, to unpack into
        :func:`radiocausal.predict.cross_validate`.

    Examples
    --------
    >>> import pandas as pd
    >>> from radiocausal.graph import CausalDAG
    >>> dag = CausalDAG.from_dagitty("dag { scanner [batch] ; age [adjusted] ; "
    ...                              "scanner -> texture ; age -> ER ; ER -> texture }")
    >>> table = pd.DataFrame({"age": [50.0, 61.0], "scanner": ["GE", "Siemens"]}, index=["p1", "p2"])
    >>> parts = dag_inputs(dag, table, target="ER")
    >>> list(parts["covariates"].columns), parts["sites"].tolist()
    (['age'], ['GE', 'Siemens'])
    """
    if not isinstance(clinical, pd.DataFrame):
        raise DataError(f"clinical must be a DataFrame indexed by patient, not {type(clinical).__name__}")
    batch = list(dag.batch_nodes)
    if len(batch) > 1:
        raise DataError(f"the DAG declares several batch nodes {batch}; pass sites= explicitly")
    adjusted = [v for v in dag.adjusted_nodes if v != target and v not in batch]
    missing = [v for v in adjusted + batch if v not in clinical.columns]
    if missing:
        raise DataError(f"DAG nodes {missing} have no column in clinical (columns: {list(clinical.columns)[:10]})")
    return {
        "covariates": clinical[adjusted].copy() if adjusted else None,
        "sites": clinical[batch[0]].copy() if batch else None,
    }
