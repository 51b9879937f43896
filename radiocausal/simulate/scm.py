"""Structural causal models on a declared DAG: simulate patient tables with known truth.

A :class:`~radiocausal.graph.CausalDAG` gives the structure; a node specification gives each
node's type and mechanism; a coefficient per edge gives the effect sizes.  Mechanisms:

``continuous``
    linear-Gaussian, ``X = intercept + sum(b * parent) + noise_sd * N(0, 1)``.
``binary``
    linear-logistic, ``P(X = 1) = expit(intercept + sum(b * parent))``.
``ordinal``
    proportional-odds (cumulative logit): ``X = #{k : cutpoints[k] < eta + Logistic(0, 1)}``
    with ``eta = intercept + sum(b * parent)``; codes ``0 .. len(cutpoints)``.
``categorical``
    an exogenous root (scanner site, sequencing batch) drawn with probabilities ``probs``; its
    coefficient on a child is one effect per level.

Binary and ordinal parents enter their children as their integer code.  Latent nodes are
simulated and then hidden; a ``selected`` node (binary) keeps only the patients with value 1.

Examples
--------
>>> from radiocausal.graph import CausalDAG
>>> dag = CausalDAG([("grade", "EGFR"), ("grade", "texture"), ("EGFR", "texture")],
...                 roles={"EGFR": "exposure", "texture": "outcome"})
>>> data, truth = simulate_tables(
...     dag, {("grade", "EGFR"): 1.0, ("grade", "texture"): 0.5, ("EGFR", "texture"): 0.8},
...     n=100, random_seed=1, nodes={"grade": "binary", "EGFR": "binary", "texture": "continuous"},
...     n_truth=20_000)
>>> data.shape
(100, 3)
>>> round(truth.ace[("EGFR", "texture")], 1)
0.8
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np
import pandas as pd
from scipy.special import expit

from radiocausal.errors import CycleError, GraphError, ModelError, UnknownNodeError
from radiocausal.graph import CausalDAG

__all__ = ["NodeSpec", "SimulationTruth", "simulate_tables", "simulate_do", "NODE_TYPES"]

NODE_TYPES = ("continuous", "binary", "ordinal", "categorical")

Coefficient = Union[float, Sequence[float]]


@dataclass(frozen=True)
class NodeSpec:
    """Type and mechanism of one node of a structural causal model.

    Parameters
    ----------
    type : {"continuous", "binary", "ordinal", "categorical"}
    intercept : float
        Constant of the linear predictor (continuous, binary, ordinal).
    noise_sd : float
        Standard deviation of the Gaussian noise of a continuous node.
    cutpoints : sequence of float
        Increasing cumulative-logit cut points of an ordinal node (``k`` cut points give
        ``k + 1`` levels, coded ``0 .. k``).
    probs : sequence of float
        Level probabilities of a categorical root node (levels coded ``0 .. len(probs) - 1``).

    Examples
    --------
    >>> NodeSpec.parse("grade", {"type": "ordinal", "cutpoints": [-1, 1]}).n_levels
    3
    """

    type: str
    intercept: float = 0.0
    noise_sd: float = 1.0
    cutpoints: tuple[float, ...] = ()
    probs: tuple[float, ...] = ()

    @property
    def n_levels(self) -> int | None:
        """Number of levels (binary 2, ordinal, categorical) or ``None`` for continuous."""
        return {"binary": 2, "ordinal": len(self.cutpoints) + 1, "categorical": len(self.probs)}.get(self.type)

    @classmethod
    def parse(cls, node: str, spec: str | Mapping[str, Any] | NodeSpec) -> NodeSpec:
        """Build a spec from a type name, a mapping of the fields, or a spec; validate it."""
        if isinstance(spec, NodeSpec):
            values = {f: getattr(spec, f) for f in ("type", "intercept", "noise_sd", "cutpoints", "probs")}
        elif isinstance(spec, str):
            values = {"type": spec}
        elif isinstance(spec, Mapping):
            values = dict(spec)
            unknown = set(values) - {"type", "intercept", "noise_sd", "cutpoints", "probs"}
            if unknown:
                raise ModelError(
                    f"nodes[{node!r}] has unknown key(s) {sorted(unknown)}; expected "
                    "'type', 'intercept', 'noise_sd', 'cutpoints', 'probs'"
                )
        else:
            raise ModelError(f"nodes[{node!r}]={spec!r}: expected a type name, a mapping or a NodeSpec")
        kind = values.get("type")
        if kind not in NODE_TYPES:
            raise ModelError(f"nodes[{node!r}] type={kind!r}: expected one of {list(NODE_TYPES)}")
        try:
            intercept = float(values.get("intercept", 0.0))
            noise_sd = float(values.get("noise_sd", 1.0))
            cutpoints = tuple(float(c) for c in values.get("cutpoints", ()))
            probs = tuple(float(p) for p in values.get("probs", ()))
        except (TypeError, ValueError) as exc:
            raise ModelError(f"nodes[{node!r}]={spec!r}: non-numeric field ({exc})") from None
        if not np.isfinite(intercept) or not (np.isfinite(noise_sd) and noise_sd >= 0):
            raise ModelError(f"nodes[{node!r}]: intercept={intercept}, noise_sd={noise_sd}; expected finite, sd >= 0")
        if kind == "ordinal":
            if not cutpoints or not np.all(np.isfinite(cutpoints)) or np.any(np.diff(cutpoints) <= 0):
                raise ModelError(
                    f"nodes[{node!r}] cutpoints={list(cutpoints)}: an ordinal node needs at least one "
                    "finite, strictly increasing cut point"
                )
        elif cutpoints:
            raise ModelError(f"nodes[{node!r}]: cutpoints are only for ordinal nodes, not {kind!r}")
        if kind == "categorical":
            p = np.asarray(probs)
            if p.size < 2 or np.any(p < 0) or not np.isclose(p.sum(), 1.0):
                raise ModelError(
                    f"nodes[{node!r}] probs={list(probs)}: a categorical node needs >= 2 non-negative "
                    "level probabilities summing to 1"
                )
        elif probs:
            raise ModelError(f"nodes[{node!r}]: probs are only for categorical nodes, not {kind!r}")
        return cls(kind, intercept, noise_sd, cutpoints, probs)


@dataclass
class SimulationTruth:
    """What generated a simulated cohort.

    Attributes
    ----------
    dag : CausalDAG
    nodes : dict of str to NodeSpec
    coefficients : dict of (str, str) to float or tuple of float
        True structural coefficient of every edge (a tuple of per-level effects for a
        categorical parent).
    ace : dict of (str, str) to float
        True average causal effect ``E[Y | do(X = x1)] - E[Y | do(X = x0)]`` in the whole
        (unselected) population, computed by simulating both interventions from the SCM with
        ``n_truth`` patients and common random numbers.
    contrast : (float, float)
        The ``(x0, x1)`` of the interventions.
    complete : DataFrame
        The returned patients with every node, latent and selection nodes included.
    n_screened : int
        Patients simulated before selection (equal to ``n`` without a selected node).
    screened : DataFrame or None
        With ``keep_screened=True``: every node of every patient screened up to the ``n``-th
        selected one (index ``screening_id``, ``S000001``...), so that the selected patients
        are exactly this table's rows with the selected node(s) equal to 1, in order.
    """

    dag: CausalDAG
    nodes: dict[str, NodeSpec]
    coefficients: dict[tuple[str, str], Any]
    ace: dict[tuple[str, str], float] = field(default_factory=dict)
    contrast: tuple[float, float] = (0.0, 1.0)
    complete: pd.DataFrame | None = None
    n_screened: int = 0
    screened: pd.DataFrame | None = None


def _resolve_dag(dag: CausalDAG | str) -> CausalDAG:
    if isinstance(dag, str):
        dag = CausalDAG.from_dagitty(dag) if "{" in dag else CausalDAG.load(dag)
    if not isinstance(dag, CausalDAG):
        raise GraphError(f"dag={dag!r}: expected a CausalDAG, dagitty text or a study-DAG name")
    cycle = dag.find_cycle()
    if cycle:
        raise CycleError(f"dag has a directed cycle {' -> '.join(cycle)}; an SCM needs a DAG", cycle)
    if dag.bidirected_edges:
        raise GraphError(
            f"dag has bidirected edges {list(dag.bidirected_edges)}; declare each unobserved common "
            "cause as an explicit [latent] node so that it can be simulated"
        )
    return dag


def _check_model(dag: CausalDAG, nodes: Mapping[str, Any], coefficients: Mapping) -> tuple[dict, dict]:
    if not isinstance(nodes, Mapping):
        raise ModelError(f"nodes={nodes!r}: expected a mapping node -> type or spec")
    unknown = [v for v in nodes if v not in dag]
    if unknown:
        raise UnknownNodeError(f"nodes names unknown node(s) {unknown}; the DAG has {list(dag.nodes)}")
    missing = [v for v in dag.nodes if v not in nodes]
    if missing:
        raise ModelError(
            f"nodes gives no type for {missing}; expected one of {list(NODE_TYPES)} for every DAG node"
        )
    specs = {v: NodeSpec.parse(v, nodes[v]) for v in dag.nodes}
    if not isinstance(coefficients, Mapping):
        raise ModelError(f"coefficients={coefficients!r}: expected a mapping (cause, effect) -> value")
    coefs: dict[tuple[str, str], Any] = {}
    edges = set(dag.edges)
    for key, value in coefficients.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise ModelError(f"coefficients key {key!r}: expected a (cause, effect) pair")
        bad = [v for v in key if v not in dag]
        if bad:
            raise UnknownNodeError(f"coefficients key {key!r} names unknown node(s) {bad}; the DAG has {list(dag.nodes)}")
        if key not in edges:
            raise GraphError(f"coefficients key {key!r} is not an edge of the DAG; add the edge or drop the key")
        parent = specs[key[0]]
        if parent.type == "categorical":
            vals = np.atleast_1d(np.asarray(value, dtype=float))
            if vals.shape != (parent.n_levels,):
                raise ModelError(
                    f"coefficients[{key!r}]={value!r}: {key[0]!r} is categorical with {parent.n_levels} "
                    f"levels; expected one effect per level"
                )
            coefs[key] = tuple(float(x) for x in vals)
        else:
            try:
                coefs[key] = float(value)
            except (TypeError, ValueError):
                raise ModelError(f"coefficients[{key!r}]={value!r}: expected a number") from None
        if not np.all(np.isfinite(coefs[key])):
            raise ModelError(f"coefficients[{key!r}]={value!r}: expected finite values")
    no_coef = sorted(set(edges) - set(coefs))
    if no_coef:
        raise ModelError(f"coefficients gives no value for edge(s) {no_coef}; every edge needs one (0 is allowed)")
    for v, s in specs.items():
        if s.type == "categorical" and dag.parents(v):
            raise ModelError(
                f"node {v!r} is categorical with parents {sorted(dag.parents(v))}; categorical nodes "
                "must be roots (make it ordinal or binary instead)"
            )
    for v in dag.selected_nodes:
        if specs[v].type != "binary":
            raise ModelError(f"selected node {v!r} has type {specs[v].type!r}; expected 'binary' (1 = included)")
    return specs, coefs


def _topological(dag: CausalDAG) -> list[str]:
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(dag.nodes)
    g.add_edges_from(dag.edges)
    return list(nx.lexicographical_topological_sort(g, key=list(dag.nodes).index))


def _draw(
    dag: CausalDAG,
    specs: Mapping[str, NodeSpec],
    coefs: Mapping[tuple[str, str], Any],
    n: int,
    rng: np.random.Generator,
    do: Mapping[str, float] | None = None,
) -> dict[str, np.ndarray]:
    """One population draw.  Every node consumes the same random numbers whatever ``do`` is."""
    do = dict(do or {})
    out: dict[str, np.ndarray] = {}
    for v in _topological(dag):
        s = specs[v]
        u = rng.random(n) if s.type in ("binary", "ordinal", "categorical") else rng.standard_normal(n)
        if v in do:
            out[v] = np.full(n, float(do[v]))
            continue
        if s.type == "categorical":
            out[v] = np.searchsorted(np.cumsum(s.probs)[:-1], u, side="right").astype(float)
            continue
        eta = np.full(n, s.intercept)
        for p in sorted(dag.parents(v), key=list(dag.nodes).index):
            b = coefs[(p, v)]
            if isinstance(b, tuple):
                eta = eta + np.asarray(b)[out[p].astype(int)]
            else:
                eta = eta + b * out[p]
        if s.type == "continuous":
            out[v] = eta + s.noise_sd * u
        elif s.type == "binary":
            out[v] = (u < expit(eta)).astype(float)
        else:  # ordinal: latent eta + logistic noise, thresholded at the cut points
            latent = eta + np.log(u) - np.log1p(-u)
            out[v] = (latent[:, None] > np.asarray(s.cutpoints)[None, :]).sum(axis=1).astype(float)
    return out


def _to_frame(values: Mapping[str, np.ndarray], specs: Mapping[str, NodeSpec], order: Sequence[str]) -> pd.DataFrame:
    cols = {}
    for v in order:
        x = values[v]
        cols[v] = x if specs[v].type == "continuous" else x.astype(np.int64)
    return pd.DataFrame(cols)


def simulate_do(
    dag: CausalDAG | str,
    coefficients: Mapping[tuple[str, str], Coefficient],
    nodes: Mapping[str, Any],
    intervention: Mapping[str, float],
    n: int,
    random_seed: int | None = None,
) -> pd.DataFrame:
    """Simulate the whole population (no selection) under ``do(intervention)``.

    Parameters
    ----------
    dag, coefficients, nodes
        As in :func:`simulate_tables`.
    intervention : mapping of str to float
        Nodes set by intervention and their values.
    n : int
        Patients.
    random_seed : int, optional

    Returns
    -------
    DataFrame
        Every node (latent and selection nodes included).

    Examples
    --------
    >>> df = simulate_do("dag { a -> b }", {("a", "b"): 2.0}, {"a": "continuous", "b": "continuous"},
    ...                  {"a": 1.0}, n=1000, random_seed=0)
    >>> round(float(df["b"].mean()), 1)
    2.0
    """
    dag = _resolve_dag(dag)
    specs, coefs = _check_model(dag, nodes, coefficients)
    bad = [v for v in intervention if v not in dag]
    if bad:
        raise UnknownNodeError(f"intervention names unknown node(s) {bad}; the DAG has {list(dag.nodes)}")
    _check_n(n, "n")
    values = _draw(dag, specs, coefs, n, np.random.default_rng(random_seed), do=intervention)
    return _to_frame(values, specs, dag.nodes)


def check_contrast(contrast: Any, exposures: Mapping[str, NodeSpec]) -> tuple[float, float]:
    """``(x0, x1)`` as floats, checked against the codes of every discrete exposure."""
    try:
        x0, x1 = (float(c) for c in contrast)
    except (TypeError, ValueError):
        raise ModelError(f"contrast={contrast!r}: expected two exposure values (x0, x1)") from None
    for x, spec in exposures.items():
        levels = spec.n_levels
        if levels is not None and not all(v == int(v) and 0 <= v < levels for v in (x0, x1)):
            raise ModelError(
                f"contrast={contrast!r}: exposure {x!r} is {spec.type} with codes 0..{levels - 1}; "
                "expected two of those codes"
            )
    return x0, x1


def _check_n(n: Any, name: str) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ModelError(f"{name}={n!r}: expected a positive integer")


def simulate_tables(
    dag: CausalDAG | str,
    coefficients: Mapping[tuple[str, str], Coefficient],
    n: int,
    random_seed: int | None = None,
    *,
    nodes: Mapping[str, str | Mapping[str, Any] | NodeSpec],
    effects: Sequence[tuple[str, str]] | None = None,
    contrast: tuple[float, float] = (0.0, 1.0),
    n_truth: int = 200_000,
    max_screened: int | None = None,
    keep_screened: bool = False,
) -> tuple[pd.DataFrame, SimulationTruth]:
    """Simulate ``n`` patients from a structural causal model on ``dag``.

    Parameters
    ----------
    dag : CausalDAG or str
        The causal structure: a DAG, dagitty text, or the name of a study DAG (``models/``).
        Bidirected edges are refused: declare the common cause as a ``[latent]`` node.
    coefficients : mapping of (cause, effect) to float or sequence of float
        The structural coefficient of every edge (on the linear predictor: identity scale for
        continuous nodes, log-odds for binary and ordinal ones); a sequence of one effect per
        level for a categorical parent.
    n : int
        Patients returned (after selection).
    random_seed : int, optional
        Seed; equal seeds give identical tables and truth.
    nodes : mapping of str to type name, mapping or NodeSpec
        The type and mechanism of every node (see :class:`NodeSpec`).
    effects : sequence of (exposure, outcome), optional
        Pairs whose true average causal effect is computed; default: every declared exposure
        with every declared outcome.
    contrast : (float, float)
        Exposure values ``(x0, x1)`` of the two interventions.
    n_truth : int
        Patients simulated per intervention for the true effects (Monte-Carlo standard error
        about ``sd(Y) * sqrt(2 / n_truth)`` at worst; common random numbers make it much smaller).
    max_screened : int, optional
        With a selected node, the most patients screened to find ``n`` selected ones
        (default ``1000 * n``).
    keep_screened : bool
        Keep the screened population, selected or not, in ``truth.screened`` (to fit a
        selection model on patients whose selection variables are observed for everyone).

    Returns
    -------
    data : DataFrame
        Observed columns (latent and selected nodes dropped), index ``patient_id`` (``P0001``...);
        binary, ordinal and categorical nodes as integer codes.
    truth : SimulationTruth

    Raises
    ------
    CycleError, GraphError, UnknownNodeError, ModelError
        Cyclic or bidirected graph, coefficient of a non-edge or unknown node, missing or bad
        node type, missing coefficient, too few selected patients.

    Examples
    --------
    >>> data, truth = simulate_tables("dag { x [exposure] ; y [outcome] ; x -> y }", {("x", "y"): 0.5},
    ...                               n=50, random_seed=0, nodes={"x": "binary", "y": "continuous"})
    >>> list(data.columns), round(truth.ace[("x", "y")], 2)
    (['x', 'y'], 0.5)
    """
    dag = _resolve_dag(dag)
    specs, coefs = _check_model(dag, nodes, coefficients)
    _check_n(n, "n")
    _check_n(n_truth, "n_truth")
    if effects is None:
        effects = [(x, y) for x in dag.exposures for y in dag.outcomes]
    for pair in effects:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise ModelError(f"effects entry {pair!r}: expected an (exposure, outcome) pair")
        bad = [v for v in pair if v not in dag]
        if bad:
            raise UnknownNodeError(f"effects entry {pair!r} names unknown node(s) {bad}")
    x0, x1 = check_contrast(contrast, {x: specs[x] for x, _ in effects})

    seeds = np.random.SeedSequence(random_seed).spawn(2)
    rng = np.random.default_rng(seeds[0])
    selected = list(dag.selected_nodes)
    limit = max_screened if max_screened is not None else 1000 * n
    chunks: list[pd.DataFrame] = []
    raw: list[pd.DataFrame] = []
    kept = screened = 0
    while kept < n:
        size = n if not chunks else int(min(max(n, 4 * (n - kept) * screened / max(kept, 1)), 10 * n + 1000))
        df = _to_frame(_draw(dag, specs, coefs, size, rng), specs, dag.nodes)
        screened += size
        if keep_screened:
            raw.append(df)
        if selected:
            df = df[(df[selected] == 1).all(axis=1)]
        chunks.append(df)
        kept += len(df)
        if kept < n and screened >= limit:
            raise ModelError(
                f"only {kept} of {screened} screened patients were selected by {selected}; n={n} needs a "
                "larger selection probability (intercept) or max_screened"
            )
    population = None
    if keep_screened:
        population = pd.concat(raw, ignore_index=True)
        if selected:  # up to the n-th selected patient
            population = population.iloc[: np.flatnonzero((population[selected] == 1).all(axis=1))[n - 1] + 1]
        else:
            population = population.iloc[:n]
        population.index = pd.Index([f"S{i + 1:06d}" for i in range(len(population))], name="screening_id")
    complete = pd.concat(chunks, ignore_index=True).iloc[:n]
    complete.index = pd.Index([f"P{i + 1:04d}" for i in range(n)], name="patient_id")
    hidden = set(dag.latent_nodes) | set(selected)
    data = complete[[v for v in dag.nodes if v not in hidden]].copy()

    ace: dict[tuple[str, str], float] = {}
    effect_seeds = seeds[1].spawn(len(effects))
    for k, (x, y) in enumerate(effects):
        means = []
        for value in (x0, x1):
            # the same seed for both arms: common random numbers, the difference is nearly exact
            arm_rng = np.random.default_rng(effect_seeds[k])
            means.append(float(np.mean(_draw(dag, specs, coefs, n_truth, arm_rng, do={x: value})[y])))
        ace[(x, y)] = means[1] - means[0]
    truth = SimulationTruth(
        dag=dag, nodes=specs, coefficients=coefs, ace=ace, contrast=(x0, x1), complete=complete,
        n_screened=screened, screened=population,
    )
    return data, truth
