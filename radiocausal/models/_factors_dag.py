"""Latent factors as nodes of a causal DAG (a shared factor as exposure of a genomic outcome, ...).

:func:`add_factor_nodes` turns the fitted factor scores of a
:class:`~radiocausal.models.factors.LatentFactorModel` into data columns and adds the matching
nodes and edges to a copy of a :class:`~radiocausal.graph.CausalDAG`, so that
:class:`~radiocausal.models.AssociationModel` (or any adjustment-set query) can use them like any
other measured variable.

Two cautions are checked or documented:

* **Leakage.**  A factor estimated from a view that contains the outcome is partly a function of
  that outcome; an edge from the factor into such an outcome would then find an association by
  construction.  An edge from a factor into a node that is a feature of a fitted view in which
  that factor is active raises a :class:`~radiocausal.errors.DataWarning`: refit the factor model
  without that feature.
* **Measurement error.**  The columns hold posterior-mean scores.  A factor supported by
  hundreds of features is estimated almost exactly (posterior sds of a few hundredths of its unit
  sd), and the attenuation of its coefficient, about the reliability ``1 - mean(sd^2)``, is
  negligible; the reliability of each factor is returned in the column attributes
  (``data.attrs["factor_reliability"]``) so that a weakly determined factor is not used as an
  exposure unknowingly.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from radiocausal.errors import DataError, DataWarning, GraphError
from radiocausal.graph import CausalDAG

if TYPE_CHECKING:  # pragma: no cover
    from radiocausal.models.factors import LatentFactorModel

__all__ = ["add_factor_nodes"]


def _factor_names(model: LatentFactorModel, factors: Mapping[str, str] | Sequence[str] | None) -> dict[str, str]:
    if factors is None:
        mapping = {f: f for f in model.factor_names_}
    elif isinstance(factors, Mapping):
        mapping = {str(f): str(n) for f, n in factors.items()}
    elif isinstance(factors, str):
        mapping = {factors: factors}
    else:
        mapping = {str(f): str(f) for f in factors}
    unknown = [f for f in mapping if f not in model.factor_names_]
    if unknown:
        raise DataError(f"factors {unknown} are not fitted factors; expected some of {model.factor_names_}")
    names = list(mapping.values())
    if len(set(names)) != len(names):
        raise GraphError(f"factor node names must be distinct, got {names}")
    return mapping


def add_factor_nodes(
    model: LatentFactorModel,
    dag: CausalDAG,
    data: pd.DataFrame | None = None,
    *,
    factors: Mapping[str, str] | Sequence[str] | None = None,
    edges: Iterable[tuple[str, str]] = (),
    roles: Mapping[str, str | Iterable[str]] | None = None,
    new_views: Mapping[str, pd.DataFrame] | None = None,
    covariates: pd.DataFrame | pd.Series | None = None,
) -> tuple[CausalDAG, pd.DataFrame]:
    """Add fitted factors as nodes of a copy of ``dag`` and their scores as columns of ``data``.

    Parameters
    ----------
    model : LatentFactorModel
        A fitted factor model.
    dag : CausalDAG
        The causal graph; it is not modified.
    data : DataFrame, optional
        Patient-level table indexed by patient (the data of the association model).  Its rows
        get the factor scores; ``None`` returns the scores of the fitted patients alone.
    factors : sequence of str or mapping of str to str, optional
        Fitted factors to add (default: all), or a mapping ``{factor: node name}`` to rename them
        (e.g. ``{"Factor1": "shared_axis"}``).  Node names must not exist in ``dag``.
    edges : iterable of (cause, effect)
        Edges to add, between factor nodes and nodes of ``dag`` (by node name), e.g.
        ``[("shared_axis", "TP53"), ("site", "shared_axis")]``.
    roles : mapping of str to str or iterable of str, optional
        Declared roles of the new nodes (``{"shared_axis": "exposure"}``).
    new_views, covariates : optional
        Views (and covariates) of patients of ``data`` that were not fitted; they are projected
        with :meth:`LatentFactorModel.transform`.

    Returns
    -------
    (CausalDAG, DataFrame)
        The extended DAG and ``data`` with one column per factor node (posterior-mean scores).
        ``DataFrame.attrs["factor_reliability"]`` holds, per node, ``1 - mean(sd^2) / mean(score^2 + sd^2)``
        over the rows: the share of the score's variance that is signal, not estimation error.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from radiocausal.graph import CausalDAG
    >>> from radiocausal.models.factors import LatentFactorModel
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(40, 1))
    >>> img = pd.DataFrame(z @ rng.normal(size=(1, 8)) + 0.3 * rng.normal(size=(40, 8)))
    >>> model = LatentFactorModel(2, {"imaging": "gaussian"}, n_bootstrap=0).fit({"imaging": img}, random_seed=0)
    >>> table = pd.DataFrame({"site": rng.integers(0, 2, 40), "TP53": rng.integers(0, 2, 40)})
    >>> dag = CausalDAG([("site", "TP53")])
    >>> new_dag, data = add_factor_nodes(model, dag, table, factors={"Factor1": "axis"},
    ...                                  edges=[("site", "axis"), ("axis", "TP53")], roles={"axis": "exposure"})
    >>> sorted(new_dag.parents("TP53")), new_dag.exposures, list(data.columns)
    (['axis', 'site'], ('axis',), ['site', 'TP53', 'axis'])
    """
    model._check_fitted()
    if not isinstance(dag, CausalDAG):
        raise GraphError(f"dag must be a radiocausal CausalDAG, got {type(dag).__name__}")
    mapping = _factor_names(model, factors)
    clash = [n for n in mapping.values() if n in dag]
    if clash:
        raise GraphError(f"factor node names {clash} already exist in the DAG; rename them with factors={{factor: name}}")
    new = dag.copy()
    for name in mapping.values():
        new.add_node(name)
    edges = [tuple(e) for e in edges]
    for e in edges:
        if len(e) != 2:
            raise GraphError(f"edges must be (cause, effect) pairs, got {e!r}")
        unknown = [n for n in e if n not in new]
        if unknown:
            raise GraphError(
                f"edge {e[0]} -> {e[1]} names {unknown}, which are neither nodes of the DAG nor factor nodes {list(mapping.values())}"
            )
        new.add_edge(*e)
    for node, rs in (roles or {}).items():
        if node not in mapping.values():
            raise GraphError(f"roles may only be given for the new factor nodes {list(mapping.values())}, got {node!r}")
        new.add_role(node, *([rs] if isinstance(rs, str) else list(rs)))
    _warn_leakage(model, mapping, edges)

    scores, sd = model.factor_scores(), model.factor_scores_sd()
    if data is None:
        index = scores.index
    else:
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"data must be a DataFrame indexed by patient, got {type(data).__name__}")
        clash_cols = [n for n in mapping.values() if n in data.columns]
        if clash_cols:
            raise DataError(f"data already has columns {clash_cols}; choose other factor node names")
        index = data.index
    missing = index.difference(scores.index)
    if len(missing):
        if new_views is None:
            raise DataError(
                f"{len(missing)} patients of data were not fitted (e.g. {missing[:5].tolist()}); "
                "pass their views as new_views= to project them, or drop them"
            )
        extra, extra_sd = model.transform(
            {v: df.loc[df.index.intersection(missing)] for v, df in new_views.items()},
            covariates=covariates,
            return_sd=True,
        )
        still = missing.difference(extra.index)
        if len(still):
            raise DataError(f"new_views have no data for {len(still)} patients of data, e.g. {still[:5].tolist()}")
        scores = pd.concat([scores, extra])
        sd = pd.concat([sd, extra_sd])
    cols = list(mapping)
    block = scores.loc[index, cols].rename(columns=mapping)
    block_sd = sd.loc[index, cols].rename(columns=mapping)
    block.columns.name = None
    total = (block**2 + block_sd**2).mean()
    reliability = (1.0 - (block_sd**2).mean() / total).to_dict()
    out = block if data is None else pd.concat([data, block], axis=1)
    out.attrs["factor_reliability"] = {k: float(v) for k, v in reliability.items()}
    return new, out


def _warn_leakage(model: LatentFactorModel, mapping: dict[str, str], edges: list[tuple[str, ...]]) -> None:
    node_to_factor = {n: f for f, n in mapping.items()}
    active = model.active_probability() > 0.5
    for cause, effect in edges:
        factor = node_to_factor.get(cause)
        if factor is None:
            continue
        for view, feats in model.features_.items():
            if effect in feats and bool(active.loc[factor, view]):
                warnings.warn(
                    f"{effect!r} is a feature of the view {view!r} from which {factor} ({cause!r}) was "
                    f"estimated (it is active there): the factor is partly a function of {effect!r}, so the "
                    f"edge {cause} -> {effect} would find an association by construction; refit the factor "
                    f"model without {effect!r}",
                    DataWarning,
                    stacklevel=3,
                )
