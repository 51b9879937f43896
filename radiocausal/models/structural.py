"""Structural causal model: one GLM per observed node given its parents, fitted jointly, with ``do()``."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from radiocausal.errors import DataError, IdentificationError, ModelError, UnknownNodeError
from radiocausal.graph import CausalDAG
from radiocausal.models import _glm
from radiocausal.models._design import _codes, encode_outcome, infer_family, normalise_family
from radiocausal.models._sampling import CompiledCache, Diagnostics, check_convergence, resolve_sampler, run_nuts

__all__ = ["StructuralModel"]


@dataclass
class _Node:
    name: str
    kind: str  # "modelled", "batch" (exogenous hierarchical factor), "categorical" (exogenous one-hot)
    family: str | None = None
    levels: list = field(default_factory=list)
    center: float = 0.0
    scale: float = 1.0


def _plain(x: Any) -> Any:
    """A NumPy scalar as the Python scalar JSON writes (levels go into the saved attrs)."""
    return x.item() if isinstance(x, np.generic) else x


@contextmanager
def _without_initvals(model):
    """Clear the model's initial values while :func:`pymc.do` copies it (it refuses models that have any).

    Initial values only steer the sampler's start (the ordinal cut-points'); the copy does not sample.
    """
    saved = dict(model.rvs_to_initial_values)
    for rv in saved:
        model.rvs_to_initial_values[rv] = None
    try:
        yield model
    finally:
        model.rvs_to_initial_values.update(saved)


def _topological(dag: CausalDAG) -> list[str]:
    order: list[str] = []
    done: set[str] = set()
    nodes = list(dag.nodes)
    while len(order) < len(nodes):
        for v in nodes:
            if v not in done and dag.parents(v) <= done:
                order.append(v)
                done.add(v)
    return order


class StructuralModel:
    """Bayesian structural causal model over a DAG's observed nodes.

    Each observed node gets a GLM given its observed parents (family from its column, as in
    :func:`~radiocausal.models.infer_family`, or from ``families=``); all GLMs are fitted jointly.
    Batch nodes and unordered categorical root nodes are exogenous: they are taken from the
    data, batch parents entering their children as hierarchical zero-sum intercepts (centred for
    Gaussian children with at least 30 patients per batch level, non-centred otherwise) and
    categorical parents as one-hot terms.  Parents are standardised with the fitted data's mean and
    sd; priors are :data:`~radiocausal.models.DEFAULT_PRIORS` on those scales.

    :meth:`intervene` answers ``do()`` questions with :func:`pymc.do` and posterior predictive
    sampling (the g-formula: non-descendants of the intervened nodes keep their observed values,
    descendants are simulated from their fitted mechanisms).  It refuses, with the graph's
    explanation, when latent confounding makes the effect unidentifiable, and when an unobserved
    common cause touches a mechanism the simulation would need.

    Parameters
    ----------
    dag : CausalDAG
    families : mapping of str to str, optional
        Family per node, overriding the inference from the data.
    priors : mapping of str to float, optional
    nuts_sampler : {"auto", "pymc", "nutpie"}
        As for :class:`~radiocausal.models.AssociationModel`: ``"auto"`` fits first with PyMC's C
        backend and compiles nutpie at the second fit, which later fits reuse.
    diagnostics : Diagnostics, optional

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from radiocausal.graph import CausalDAG
    >>> dag = CausalDAG.from_dagitty("dag { grade -> EGFR -> texture ; grade -> texture }")
    >>> rng = np.random.default_rng(0); grade = rng.normal(size=300)
    >>> egfr = (rng.random(300) < 1 / (1 + np.exp(-grade))).astype(int)
    >>> df = pd.DataFrame({"grade": grade, "EGFR": egfr, "texture": 0.5 * egfr + grade + rng.normal(size=300)})
    >>> scm = StructuralModel(dag)
    >>> idata = scm.fit(df, draws=300, tune=300, chains=2, random_seed=1)  # doctest: +SKIP
    >>> ace = scm.intervene({"EGFR": 1}, baseline={"EGFR": 0}, target="texture")  # doctest: +SKIP
    >>> float(ace.mean())  # doctest: +SKIP
    0.5...
    """

    def __init__(
        self,
        dag: CausalDAG,
        *,
        families: Mapping[str, str] | None = None,
        priors: Mapping[str, float] | None = None,
        nuts_sampler: str | None = "auto",
        diagnostics: Diagnostics | None = None,
    ):
        if not isinstance(dag, CausalDAG):
            raise ModelError(f"dag must be a radiocausal CausalDAG, got {type(dag).__name__}")
        self.dag = dag
        self.families = {k: normalise_family(v) for k, v in (families or {}).items()}
        for k in self.families:
            if k not in dag:
                raise UnknownNodeError(f"families names {k!r}, which is not a node of the DAG")
        self.priors = _glm.resolve_priors(priors)
        self.nuts_sampler = resolve_sampler(nuts_sampler)
        self.diagnostics = diagnostics or Diagnostics()
        latent = set(dag.latent_nodes)
        self.order_ = [v for v in _topological(dag) if v not in latent]
        self._nodes: dict[str, _Node] | None = None
        self._model = None
        self._cache = CompiledCache()
        self._n = 0
        self._data: pd.DataFrame | None = None
        self.idata_: az.InferenceData | None = None

    # ------------------------------------------------------------------ building
    def _classify(self, data: pd.DataFrame) -> dict[str, _Node]:
        nodes: dict[str, _Node] = {}
        latent = set(self.dag.latent_nodes)
        batch = set(self.dag.batch_nodes)
        for v in self.order_:
            if v not in data.columns:
                raise DataError(f"node {v!r} of the DAG is not a column of data (declare it [latent] if unmeasured)")
            col = data[v]
            if col.isna().any():
                raise DataError(f"column {v!r} has {int(col.isna().sum())} missing value(s); impute or drop them")
            observed_parents = self.dag.parents(v) - latent
            if v in batch and v not in self.families:
                nodes[v] = _Node(v, "batch", levels=sorted(pd.unique(col).tolist(), key=str))
                continue
            is_text = not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)) or (
                isinstance(col.dtype, pd.CategoricalDtype) and not col.cat.ordered and len(col.cat.categories) > 2
            )
            if is_text and not observed_parents and v not in self.families:
                levels = list(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype) else sorted(
                    pd.unique(col).tolist(), key=str
                )
                nodes[v] = _Node(v, "categorical", levels=levels)
                continue
            fam = self.families.get(v) or infer_family(col)
            y, levels = encode_outcome(col, fam)
            node = _Node(v, "modelled", family=fam, levels=levels)
            node.center, node.scale = float(np.mean(y)), float(np.std(y)) or 1.0
            nodes[v] = node
        return nodes

    def _values(self, data: pd.DataFrame, nodes: dict[str, _Node]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for v, node in nodes.items():
            col = data[v]
            if node.kind == "modelled":
                y, _ = encode_outcome(col, node.family, node.levels or None)
                out[f"data_{v}"] = y
            else:
                codes = _codes(col, node.levels)
                if (codes < 0).any():
                    raise DataError(f"column {v!r} has levels unknown to the model (known: {node.levels})")
                out[f"data_{v}"] = codes
        return out

    def build(self, data: pd.DataFrame):
        """Build the joint PyMC model (no sampling); reused by later fits on data of the same structure."""
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
        if self._nodes is None:
            self._adopt(self._classify(data), data)
        return self._model

    def _adopt(self, nodes: dict[str, _Node], data: pd.DataFrame) -> None:
        """Build the model for ``nodes`` with ``data`` in its containers and make it this object's."""
        self._model = self._build_pymc(self._values(data, nodes), nodes)
        self._nodes = nodes
        self._rv_names = [v for v in self.order_ if nodes[v].kind == "modelled"]
        # nutpie stores only the free parameters (a shorter numba compile); fit() derives "<node>:b"
        self._cache = CompiledCache([rv.name for rv in self._model.free_RVs])

    def _build_pymc(self, values: Mapping[str, np.ndarray], nodes: dict[str, _Node], *, raw: bool = False):
        """The joint PyMC model with data containers ``values``.

        ``raw=True`` builds the same mechanisms on the original scales, the form :meth:`simulate`
        fixes: modelled nodes carry centre 0 and scale 1, categorical parents enter as plain 0/1
        indicators, and batch intercepts are non-centred with their sd fixed by the caller, so each
        free variable is a parameter in the units of :meth:`simulate`'s ``parameters``.
        """
        import pymc as pm
        import pytensor.tensor as pt

        pri = self.priors
        latent = set(self.dag.latent_nodes)
        coords: dict[str, list] = {}
        for v, node in nodes.items():
            if node.kind == "batch":
                coords[v] = list(node.levels)
        with pm.Model(coords=coords) as model:
            dc = {k: pm.Data(k, val) for k, val in values.items()}
            n = dc[f"data_{self.order_[0]}"].shape[0]
            rv: dict[str, Any] = {}
            for v in self.order_:
                node = nodes[v]
                if node.kind != "modelled":
                    continue
                parents = [p for p in self.order_ if p in self.dag.parents(v) - latent]
                eta = pm.Normal(f"{v}:intercept", 0.0, pri["intercept"]) if node.family != "ordered_logistic" else 0.0
                terms, cols, pscales = [], [], []
                for p in parents:
                    pn = nodes[p]
                    if pn.kind == "batch":
                        # as in AssociationModel: centred zero-sum intercepts for data-rich Gaussian
                        # nodes (non-centred ones diverge there), non-centred otherwise
                        s = pm.HalfNormal(f"{v}:sigma_{p}", pri["batch_sigma"])
                        counts = np.bincount(values[f"data_{p}"], minlength=len(pn.levels))
                        if (not raw and node.family in ("normal", "student_t")
                                and counts.min() >= _glm.CENTERED_MIN_PER_LEVEL):
                            u = pm.ZeroSumNormal(f"{v}:u_{p}", sigma=s, dims=p)
                        else:
                            u = s * pm.ZeroSumNormal(f"{v}:z_{p}", sigma=1.0, dims=p)
                        eta = eta + u[dc[f"data_{p}"]]
                    elif pn.kind == "categorical":
                        for j, lev in enumerate(pn.levels[1:], start=1):
                            terms.append(f"{p}[{lev}]")
                            col = pm.math.eq(dc[f"data_{p}"], j)
                            if raw:
                                cols.append(col)
                                pscales.append(pt.constant(1.0))
                            else:
                                sd = pm.math.maximum(col.std(), 1e-12)
                                cols.append((col - col.mean()) / sd)
                                pscales.append(sd)
                    else:
                        terms.append(p)
                        cols.append((rv[p] - pn.center) / pn.scale)
                        pscales.append(pt.constant(pn.scale))
                if terms:
                    model.add_coord(f"{v}:parent", terms)
                    b = pm.Normal(f"{v}:b_std", 0.0, pri["beta"], dims=f"{v}:parent")
                    for j, c in enumerate(cols):
                        eta = eta + b[j] * c
                    scale_y = node.scale if node.family in ("normal", "student_t") else 1.0
                    # per unit of each parent (a categorical parent's indicator is standardised in the graph)
                    pm.Deterministic(f"{v}:b", b * scale_y / pt.stack(pscales), dims=f"{v}:parent")
                obs = dc[f"data_{v}"]
                if node.family == "bernoulli":
                    rv[v] = pm.Bernoulli(v, logit_p=eta, observed=obs, shape=n)
                    mean = pm.math.sigmoid(eta)
                elif node.family in ("normal", "student_t"):
                    s_std = pm.HalfNormal(f"{v}:sigma_std", pri["sigma"])
                    mu = node.center + node.scale * eta
                    if node.family == "normal":
                        rv[v] = pm.Normal(v, mu=mu, sigma=s_std * node.scale, observed=obs, shape=n)
                    else:
                        nu = pm.Gamma(f"{v}:nu", alpha=2.0, beta=0.1)
                        rv[v] = pm.StudentT(v, nu=nu, mu=mu, sigma=s_std * node.scale, observed=obs, shape=n)
                    mean = mu
                else:
                    k = len(node.levels)
                    cut = pm.Normal(
                        f"{v}:cutpoints", 0.0, pri["cutpoints"], shape=k - 1,
                        transform=pm.distributions.transforms.ordered, initval=np.linspace(-1.5, 1.5, k - 1),
                    )
                    eta_v = eta + pm.math.zeros_like(obs, dtype="float64")  # one value per patient
                    rv[v] = pm.OrderedLogistic(v, eta=eta_v, cutpoints=cut, observed=obs, shape=n, compute_p=False)
                    cdf = pm.math.sigmoid(cut[None, :] - eta_v[:, None])  # P(Y <= k)
                    mean = (1.0 - cdf).sum(axis=1)  # E[code] = sum_k P(Y > k)
                # the population mean of the node's expected value: what do() questions average
                pm.Deterministic(f"{v}:mean", pm.math.mean(mean + pm.math.zeros_like(obs, dtype="float64")))
        return model

    @property
    def model_(self):
        if self._model is None:
            raise ModelError("the model is not built yet: call .build(data) or .fit(data)")
        return self._model

    # ------------------------------------------------------------------ fitting
    def _free_names(self) -> list[str]:
        return [rv.name for rv in self.model_.free_RVs]

    def fit(
        self,
        data: pd.DataFrame,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        random_seed: int | None = None,
        *,
        target_accept: float = 0.9,
        cores: int | None = None,
        progressbar: bool = False,
    ) -> az.InferenceData:
        """Fit all node GLMs jointly; return InferenceData (kept as ``idata_``) with the DAG in ``attrs``.

        The result has the posterior (each node's ``<node>:b``, per unit of each parent, next to the
        sampled standardised parameters), ``sample_stats`` and the fitted data as ``observed_data``
        (what :meth:`intervene` holds fixed and :meth:`save` writes).
        """
        model = self.build(data)
        idata = run_nuts(
            model,
            self._values(data, self._nodes),
            sampler=self.nuts_sampler,
            cache=self._cache,
            draws=draws,
            tune=tune,
            chains=chains,
            random_seed=random_seed,
            target_accept=target_accept,
            cores=cores,
            progressbar=progressbar,
        )
        return self._finish_fit(idata, data, dict(draws=draws, tune=tune, chains=chains, target_accept=target_accept,
                                                  sampler=idata.attrs["sampler"]))

    def _finish_fit(self, idata: az.InferenceData, data: pd.DataFrame, settings: dict) -> az.InferenceData:
        """Posterior (with ``<node>:b``), fitted data and attrs of a fit; runs the convergence gate."""
        self._data = data
        post = idata.posterior
        post = post[[v for v in post.data_vars if not str(v).startswith("data_") and not str(v).endswith("__")
                     and not str(v).endswith(":mean")]]
        post = self._add_coefficients(post)
        patients = np.asarray(data.index)
        if patients.dtype == object:
            patients = patients.astype(str)
        observed = xr.Dataset({v: xr.DataArray(data[v].to_numpy(), coords={"patient": patients}, dims=("patient",))
                               for v in self.order_})
        groups = {"sample_stats": idata.sample_stats} if "sample_stats" in idata.groups() else {}
        out = az.InferenceData(posterior=post, observed_data=observed, **groups)
        out.attrs.update(
            {
                "radiocausal_model": "StructuralModel",
                "dag": self.dag.to_dagitty(),
                "families": json.dumps({v: n.family for v, n in self._nodes.items() if n.kind == "modelled"}),
                "exogenous": json.dumps({v: n.kind for v, n in self._nodes.items() if n.kind != "modelled"}),
                "nodes": json.dumps({v: {"kind": n.kind, "family": n.family, "levels": [_plain(x) for x in n.levels],
                                         "center": n.center, "scale": n.scale} for v, n in self._nodes.items()},
                                    default=str),
                "priors": json.dumps(self.priors),
                "nuts_sampler": self.nuts_sampler,
                "settings": json.dumps(settings),
                "n_patients": len(data),
            }
        )
        check_convergence(out, self._free_names(), self.diagnostics)
        self.idata_ = out
        return out

    def _add_coefficients(self, post: xr.Dataset) -> xr.Dataset:
        """``<node>:b`` (per unit of each parent) from ``<node>:b_std`` when the sampler did not store it."""
        new = {}
        for v in self._rv_names:
            if f"{v}:b_std" not in post or f"{v}:b" in post:
                continue
            node = self._nodes[v]
            scale_y = node.scale if node.family in ("normal", "student_t") else 1.0
            dim = f"{v}:parent"
            pscale = np.array([self._term_center_scale(str(t))[1] for t in post[dim].values])
            new[f"{v}:b"] = post[f"{v}:b_std"] * xr.DataArray(scale_y / pscale, dims=dim)
        return post.assign(new) if new else post

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike) -> None:
        """Write the fit (posterior, the fitted data as ``observed_data``, DAG, nodes, settings) to NetCDF.

        :meth:`load` reads it back into a model that :meth:`intervene` and :meth:`coefficient_summary`
        work on, and that :meth:`fit` refits.
        """
        if self.idata_ is None:
            raise ModelError("the model is not fitted yet: call .fit(data) first")
        self.idata_.to_netcdf(str(path))

    @classmethod
    def load(cls, path: str | os.PathLike) -> StructuralModel:
        """Rebuild a fitted model from a NetCDF file written by :meth:`save`.

        Examples
        --------
        >>> StructuralModel.load("missing.nc")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        radiocausal.errors.ModelError: cannot read 'missing.nc' ...
        """
        try:
            idata = az.from_netcdf(str(path))
        except (OSError, ValueError) as err:
            raise ModelError(f"cannot read {os.fspath(path)!r} as a saved StructuralModel: {err}") from err
        attrs = idata.attrs
        if attrs.get("radiocausal_model") != "StructuralModel" or "observed_data" not in idata.groups():
            raise ModelError(f"{os.fspath(path)!r} was not written by StructuralModel.save")
        model = cls(CausalDAG.from_dagitty(attrs["dag"]), families=json.loads(attrs["families"]),
                    priors=json.loads(attrs["priors"]), nuts_sampler=attrs.get("nuts_sampler", "auto"))
        obs = idata.observed_data
        data = pd.DataFrame({v: obs[v].values for v in model.order_}, index=pd.Index(obs["patient"].values))
        nodes = {v: _Node(v, d["kind"], family=d["family"], levels=list(d["levels"]), center=d["center"],
                          scale=d["scale"]) for v, d in json.loads(attrs["nodes"]).items()}
        model._adopt(nodes, data)
        model._data = data
        model.idata_ = idata
        return model

    # ------------------------------------------------------------------ simulation
    def simulate(
        self,
        parameters: Mapping[str, Mapping[str, Any]],
        n: int | None = None,
        *,
        exogenous: Mapping[str, Any] | pd.DataFrame | None = None,
        random_seed: int | np.random.Generator | None = None,
    ) -> pd.DataFrame:
        """Draw a data set from the DAG's mechanisms with fixed parameters (original units).

        The model is built with the same node GLMs as :meth:`fit` but on the original scales, every
        parameter is fixed with :func:`pymc.do`, and the nodes are drawn forward in topological
        order with :func:`pymc.draw`.  What it draws is what :meth:`fit` models, so a fit to the result
        recovers ``parameters`` (:meth:`coefficient_summary` reports the posterior in the same units).

        Parameters
        ----------
        parameters : mapping of node to mapping
            One entry per observed node that is not given in ``exogenous``, with the keys

            * ``"intercept"`` (not for ordinal nodes): on the link scale (log-odds for a binary node);
            * ``"b"``: ``{parent: coefficient}`` per unit of each observed non-batch parent (an
              ordinal parent enters by its category code 0..K-1, a binary one as 0/1); an
              unordered categorical parent contributes one indicator per non-reference level,
              named ``"parent[level]"`` (the reference is the first level, sorted as text);
            * ``"u"``: ``{batch parent: {level: effect}}`` for each batch parent; :meth:`fit`'s batch
              effects are zero-sum, so effects that do not sum to zero move the fitted intercept
              by their mean;
            * ``"sigma"`` (residual sd) for a Gaussian node, and ``"nu"`` (degrees of freedom) too
              for a Student-t node;
            * ``"cutpoints"`` (increasing, K - 1 of them) and optionally ``"levels"`` (K category
              labels in order, default ``0..K-1``) for an ordinal node: ``P(Y <= k) =
              logistic(cutpoint_k - eta)``.

            The family of a node is ``families=``'s, or read from the keys: ``cutpoints`` ordinal,
            ``nu`` Student-t, ``sigma`` Gaussian, otherwise binary.
        n : int, optional
            Number of patients; taken from ``exogenous`` when that is given.
        exogenous : mapping of node to values, or DataFrame, optional
            Values taken as given: batch nodes (site, scanner) and other root nodes, e.g.
            ``{"site": rng.choice(["s0", "s1"], 300)}``.  A numeric root node given here is held at
            these values instead of being drawn from its mechanism; a batch node or a text-valued
            root node must be given here (the model does not simulate them).
        random_seed : int or numpy Generator, optional
            Seed of the draws.

        Returns
        -------
        DataFrame
            One column per observed node, in topological order: binary nodes as 0/1 integers,
            ordinal nodes as their levels, exogenous columns as given.

        Raises
        ------
        ModelError
            A parameter is missing, unknown, or out of its range (names the node and the key).

        Notes
        -----
        Latent nodes and bidirected edges are not simulated (the model has no mechanism for
        them, as in :meth:`fit`): the draws carry no unobserved confounding.

        Examples
        --------
        >>> from radiocausal.graph import CausalDAG
        >>> scm = StructuralModel(CausalDAG.from_dagitty("dag { site [batch] ; site -> EGFR -> texture ; site -> texture }"))
        >>> df = scm.simulate(
        ...     {"EGFR": {"intercept": -0.5, "u": {"site": {"A": -0.5, "B": 0.5}}},
        ...      "texture": {"intercept": 2.0, "b": {"EGFR": 0.8}, "u": {"site": {"A": -1.0, "B": 1.0}}, "sigma": 1.0}},
        ...     exogenous={"site": ["A", "B"] * 500}, random_seed=1)
        >>> list(df.columns), df.shape, sorted(df["EGFR"].unique().tolist())
        (['site', 'EGFR', 'texture'], (1000, 3), [0, 1])
        >>> bool(abs(df.loc[df.site == "B", "texture"].mean() - df.loc[df.site == "A", "texture"].mean() - 2.18) < 0.3)
        True
        """
        import pymc as pm

        if not isinstance(parameters, Mapping):
            raise ModelError(f"parameters must be a mapping node -> parameter mapping, got {type(parameters).__name__}")
        for v in parameters:
            if v not in self.order_:
                raise UnknownNodeError(f"parameters names {v!r}, which is not an observed node of the DAG "
                                       f"(observed nodes: {self.order_})")
        exo, n = self._exogenous_columns(exogenous, n)
        nodes, values, held = self._simulation_nodes(parameters, exo, n)
        model = self._build_pymc(values, nodes, raw=True)
        fixed: dict[str, Any] = dict(held)
        for v in self.order_:
            if nodes[v].kind == "modelled" and v not in held:
                fixed.update(self._fixed_parameters(v, parameters[v], nodes, model))
        drawn = [v for v in self.order_ if nodes[v].kind == "modelled" and v not in held]
        with _without_initvals(model):
            do_model = pm.do(model, fixed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            out = pm.draw([do_model[v] for v in drawn], random_seed=random_seed) if drawn else []
        sims = dict(zip(drawn, out))
        cols: dict[str, Any] = {}
        for v in self.order_:
            if v in exo:
                cols[v] = exo[v]
            elif nodes[v].family == "ordered_logistic":
                cols[v] = np.asarray(nodes[v].levels, dtype=object)[np.asarray(sims[v], dtype=np.int64)].tolist()
            elif nodes[v].family == "bernoulli":
                cols[v] = np.asarray(sims[v], dtype=np.int64)
            else:
                cols[v] = np.asarray(sims[v], dtype=float)
        df = pd.DataFrame(cols)
        for v in drawn:  # integer levels stay integers (not object columns)
            if nodes[v].family == "ordered_logistic":
                df[v] = pd.Series(cols[v]).infer_objects().to_numpy()
        return df

    @staticmethod
    def _exogenous_columns(exogenous, n) -> tuple[dict[str, np.ndarray], int]:
        if exogenous is None:
            exo: dict[str, np.ndarray] = {}
        elif isinstance(exogenous, pd.DataFrame):
            exo = {str(c): exogenous[c].to_numpy() for c in exogenous.columns}
        elif isinstance(exogenous, Mapping):
            exo = {k: np.asarray(v) for k, v in exogenous.items()}
        else:
            raise ModelError(f"exogenous must be a mapping node -> values or a DataFrame, got {type(exogenous).__name__}")
        lengths = {k: len(v) if v.ndim == 1 else -1 for k, v in exo.items()}
        if any(m < 1 for m in lengths.values()) or len(set(lengths.values())) > 1:
            raise ModelError(f"exogenous columns must be one-dimensional, non-empty and of one length, got lengths {lengths}")
        if lengths:
            m = next(iter(lengths.values()))
            if n is not None and n != m:
                raise ModelError(f"n={n!r} but the exogenous columns have {m} values")
            n = m
        if n is None:
            raise ModelError("simulate needs n= (the number of patients) when no exogenous columns are given")
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ModelError(f"n must be a positive int, got {n!r}")
        return exo, int(n)

    def _simulation_nodes(self, parameters, exo, n):
        latent = set(self.dag.latent_nodes)
        batch = set(self.dag.batch_nodes)
        nodes: dict[str, _Node] = {}
        values: dict[str, np.ndarray] = {}
        held: dict[str, np.ndarray] = {}
        for v in exo:
            if v not in self.order_:
                raise UnknownNodeError(f"exogenous names {v!r}, which is not an observed node of the DAG")
        for v in self.order_:
            parents = self.dag.parents(v) - latent
            if v in exo:
                if v in parameters:
                    raise ModelError(f"node {v!r} is both in exogenous (given values) and in parameters; keep one")
                if parents and v not in batch:
                    raise ModelError(f"exogenous gives {v!r}, which has parents {sorted(parents)} in the DAG; only batch "
                                     "and root nodes are taken as given (simulate it from parameters)")
                col = pd.Series(exo[v], name=v)
                numeric = pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)
                if v in batch or not numeric or isinstance(col.dtype, pd.CategoricalDtype):
                    levels = (list(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype)
                              else sorted(pd.unique(col).tolist(), key=str))
                    nodes[v] = _Node(v, "batch" if v in batch else "categorical", levels=levels)
                    values[f"data_{v}"] = _codes(col, levels)
                else:  # a numeric root held at the given values (its mechanism is replaced by do())
                    x = col.to_numpy(dtype=float)
                    if not np.all(np.isfinite(x)):
                        raise ModelError(f"exogenous column {v!r} has non-finite values")
                    nodes[v] = _Node(v, "modelled", family="normal")
                    values[f"data_{v}"] = held[v] = x
                continue
            if v in batch and v not in self.families:
                raise ModelError(f"batch node {v!r} is not simulated: give its values in exogenous=, e.g. "
                                 f"{{{v!r}: rng.choice(levels, n)}}")
            if v not in parameters:
                raise ModelError(f"parameters has no entry for node {v!r}; give its mechanism's parameters "
                                 "(or its values in exogenous= if it is a root node)")
            spec = parameters[v]
            if not isinstance(spec, Mapping):
                raise ModelError(f"parameters[{v!r}] must be a mapping of parameter names, got {spec!r}")
            fam = self.families.get(v) or (
                "ordered_logistic" if "cutpoints" in spec else "student_t" if "nu" in spec
                else "normal" if "sigma" in spec else "bernoulli"
            )
            levels: list = [0, 1] if fam == "bernoulli" else []
            if fam == "ordered_logistic":
                cut = spec.get("cutpoints")
                if cut is None:
                    raise ModelError(f"parameters[{v!r}] needs 'cutpoints' for the ordinal node {v!r}")
                levels = list(spec.get("levels", range(len(np.atleast_1d(cut)) + 1)))
                if len(levels) != len(np.atleast_1d(cut)) + 1 or len(levels) < 3:
                    raise ModelError(f"parameters[{v!r}]: an ordinal node needs K >= 3 levels and K - 1 cutpoints, got "
                                     f"levels {levels} and cutpoints {list(np.atleast_1d(cut))}")
            nodes[v] = _Node(v, "modelled", family=fam, levels=levels)
            values[f"data_{v}"] = np.zeros(n, dtype=float if fam in ("normal", "student_t") else np.int64)
        return nodes, values, held

    def _fixed_parameters(self, v: str, spec: Mapping[str, Any], nodes: dict[str, _Node], model) -> dict[str, Any]:
        """The raw-scale model's free variables of node ``v`` set to ``spec`` (checked)."""
        fam = nodes[v].family
        allowed = {"b", "u"} | {"bernoulli": {"intercept"}, "normal": {"intercept", "sigma"},
                                "student_t": {"intercept", "sigma", "nu"},
                                "ordered_logistic": {"cutpoints", "levels"}}[fam]
        unknown = sorted(set(spec) - allowed)
        if unknown:
            raise ModelError(f"parameters[{v!r}] has key(s) {unknown} that a {fam} node does not take; "
                             f"its keys are {sorted(allowed)}")

        def number(key: str, positive: bool = False) -> float:
            if key not in spec:
                raise ModelError(f"parameters[{v!r}] needs {key!r} (a {fam} node)")
            x = spec[key]
            if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)) or not np.isfinite(x) \
                    or (positive and x <= 0):
                raise ModelError(f"parameters[{v!r}][{key!r}] must be a finite{' positive' if positive else ''} "
                                 f"number, got {x!r}")
            return float(x)

        out: dict[str, Any] = {}
        if fam != "ordered_logistic":
            out[f"{v}:intercept"] = number("intercept")
        terms = list(model.coords.get(f"{v}:parent", ()))
        b = spec.get("b", {})
        if not isinstance(b, Mapping) or set(b) != set(terms):
            raise ModelError(f"parameters[{v!r}]['b'] must give one coefficient for each of {terms}, got "
                             f"{sorted(b) if isinstance(b, Mapping) else b!r}")
        if terms:
            out[f"{v}:b_std"] = np.array([float(b[t]) for t in terms])
        latent = set(self.dag.latent_nodes)
        batch_parents = [p for p in self.order_ if p in self.dag.parents(v) - latent and nodes[p].kind == "batch"]
        u = spec.get("u", {})
        if not isinstance(u, Mapping) or set(u) != set(batch_parents):
            raise ModelError(f"parameters[{v!r}]['u'] must give the effects of each batch parent {batch_parents}, got "
                             f"{sorted(u) if isinstance(u, Mapping) else u!r}")
        for p in batch_parents:
            effects = u[p]
            missing = [lev for lev in nodes[p].levels if not isinstance(effects, Mapping) or lev not in effects]
            if missing:
                raise ModelError(f"parameters[{v!r}]['u'][{p!r}] has no effect for level(s) {missing} of {p!r}")
            out[f"{v}:sigma_{p}"] = 1.0  # non-centred: u = sigma * z with sigma fixed at 1, z the effects
            out[f"{v}:z_{p}"] = np.array([float(effects[lev]) for lev in nodes[p].levels])
        if fam in ("normal", "student_t"):
            out[f"{v}:sigma_std"] = number("sigma", positive=True)
        if fam == "student_t":
            out[f"{v}:nu"] = number("nu", positive=True)
        if fam == "ordered_logistic":
            cut = np.asarray(spec["cutpoints"], dtype=float)
            if cut.ndim != 1 or not np.all(np.isfinite(cut)) or np.any(np.diff(cut) <= 0):
                raise ModelError(f"parameters[{v!r}]['cutpoints'] must be finite and strictly increasing, got {cut.tolist()}")
            out[f"{v}:cutpoints"] = cut
        return out

    # ------------------------------------------------------------------ results
    def coefficient_summary(self, hdi_prob: float = 0.94) -> pd.DataFrame:
        """Posterior summary of every mechanism's parameters, in the units of :meth:`simulate`'s ``parameters``.

        One row per ``(node, term)``: ``intercept`` (link scale, at the mean of the zero-sum batch
        effects), each parent's coefficient (named as in ``parameters[node]["b"]``), batch effects
        ``u[batch][level]`` (zero-sum deviations), ``sigma``, ``nu`` and ``cutpoint[k]``.
        Columns: ``mean``, ``sd``, ``hdi_<lo>%``, ``hdi_<hi>%``, ``r_hat``, ``ess_bulk``.
        """
        if self.idata_ is None or self._data is None:
            raise ModelError("the model is not fitted yet: call .fit(data) first")
        post = self.idata_.posterior
        latent = set(self.dag.latent_nodes)
        draws: dict[tuple[str, str], np.ndarray] = {}
        for v in self._rv_names:
            node = self._nodes[v]
            gauss = node.family in ("normal", "student_t")
            scale_y = node.scale if gauss else 1.0
            parents = [p for p in self.order_ if p in self.dag.parents(v) - latent]
            # eta_std = a + sum_j b_std_j (x_j - c_j) / s_j + u: the raw intercept absorbs -sum b_std_j c_j / s_j
            shift = 0.0
            if f"{v}:b_std" in post:
                b_std = post[f"{v}:b_std"].values
                b_raw = post[f"{v}:b"].values
                for j, term in enumerate(post[f"{v}:parent"].values.tolist()):
                    draws[(v, term)] = b_raw[..., j]
                    c, sd = self._term_center_scale(term)
                    shift = shift + b_std[..., j] * c / sd
            for p in parents:
                if self._nodes[p].kind != "batch":
                    continue
                u = post[f"{v}:u_{p}"].values if f"{v}:u_{p}" in post else \
                    post[f"{v}:z_{p}"].values * post[f"{v}:sigma_{p}"].values[..., None]
                for j, lev in enumerate(self._nodes[p].levels):
                    draws[(v, f"u[{p}][{lev}]")] = u[..., j] * scale_y
            if node.family == "ordered_logistic":
                cut = post[f"{v}:cutpoints"].values
                for k in range(cut.shape[-1]):
                    draws[(v, f"cutpoint[{k}]")] = cut[..., k] + shift
            else:
                a = post[f"{v}:intercept"].values - shift
                draws[(v, "intercept")] = node.center + node.scale * a if gauss else a
            if gauss:
                draws[(v, "sigma")] = post[f"{v}:sigma_std"].values * node.scale
            if node.family == "student_t":
                draws[(v, "nu")] = post[f"{v}:nu"].values
        ds = xr.Dataset({f"{v}|{t}": (("chain", "draw"), d) for (v, t), d in draws.items()})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            summ = az.summary(ds, hdi_prob=hdi_prob, round_to="none")
        summ.index = pd.MultiIndex.from_tuples([tuple(str(k).split("|", 1)) for k in summ.index], names=["node", "term"])
        return summ[["mean", "sd", summ.columns[2], summ.columns[3], "r_hat", "ess_bulk"]]

    def _term_center_scale(self, term: str) -> tuple[float, float]:
        """Centre and scale by which the fitted graph standardises a parent term."""
        if term in self._nodes:
            return self._nodes[term].center, self._nodes[term].scale
        for p, node in self._nodes.items():
            if node.kind == "categorical":
                for j, lev in enumerate(node.levels[1:], start=1):
                    if f"{p}[{lev}]" == term:  # the indicator, standardised on the fitted data
                        ind = (_codes(self._data[p], node.levels) == j).astype(float)
                        return float(ind.mean()), max(float(ind.std()), 1e-12)
        raise ModelError(f"no parent term {term!r} in the model")  # pragma: no cover - terms come from the model

    # ------------------------------------------------------------------ interventions
    def _check_identified(self, xs: list[str], target: str) -> None:
        dag = self.dag
        sets = dag.adjustment_sets(xs, target, kind="minimal")
        if not sets:
            expl = dag.explain_adjustment(set(), xs, target)
            raise IdentificationError(
                f"the effect of do({', '.join(xs)}) on {target!r} is not identifiable by adjustment in this DAG "
                f"(latent confounding):\n{expl}"
            )
        latent = set(dag.latent_nodes)
        confounded = {v for v in dag.nodes if dag.parents(v) & latent}
        for a, b in dag.bidirected_edges:
            confounded |= {a, b}
        simulated = (dag.descendants(xs) - set(xs)) & (dag.ancestors(target) | {target})
        bad = sorted(simulated & confounded)
        if bad:
            raise IdentificationError(
                f"the effect is identified by adjustment for {sorted(sets[0])}, but simulating do({', '.join(xs)}) "
                f"needs the mechanism of {bad}, which shares an unobserved cause with its inputs; estimate it with "
                "AssociationModel(dag, exposure=..., outcome=...) instead"
            )

    def _encode_value(self, v: str, value: Any) -> Any:
        node = self._nodes[v]
        if node.family in ("normal", "student_t"):
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not np.isfinite(value):
                raise ModelError(f"do({v}=...) needs a finite number for the continuous node {v!r}, got {value!r}")
            return float(value)
        levels = list(node.levels)
        for j, lev in enumerate(levels):
            if value == lev and type(value) is not bool or (isinstance(value, bool) and lev == int(value)):
                return np.int64(j)
        raise ModelError(f"do({v}=...) must set {v!r} to one of its levels {levels}, got {value!r}")

    def _do_mean(self, values: Mapping[str, Any], target: str, random_seed: int | None) -> np.ndarray:
        import pymc as pm

        data = self._data
        n = len(data)
        xs = list(values)
        desc = self.dag.descendants(xs)
        fixed: dict[str, Any] = {}
        for v in self._rv_names:
            if v in values:
                node = self._nodes[v]
                fixed[v] = np.repeat(self._encode_value(v, values[v]), n)
            elif v not in desc:
                fixed[v] = self._values(data, {v: self._nodes[v]})[f"data_{v}"]  # g-formula: keep observed values
        with _without_initvals(self.model_):
            do_model = pm.do(self.model_, fixed)
        free = [rv.name for rv in self.model_.free_RVs] + [d.name for d in self.model_.deterministics
                                                           if not d.name.endswith(":mean")]
        post = self.idata_.posterior[[v for v in free if v in self.idata_.posterior]]
        simulate = [v for v in self._rv_names if v in desc and v not in values and v != target
                    and v in self.dag.ancestors(target)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            pp = pm.sample_posterior_predictive(
                az.InferenceData(posterior=post), model=do_model, var_names=[*simulate, f"{target}:mean"],
                random_seed=random_seed, progressbar=False,
            )
        return pp.posterior_predictive[f"{target}:mean"].values

    def intervene(
        self,
        interventions: Mapping[str, Any],
        baseline: Mapping[str, Any] | None = None,
        target: str | None = None,
        *,
        random_seed: int | None = 0,
    ) -> xr.DataArray:
        """Posterior draws of the average causal effect of ``do(interventions)`` on ``target``.

        Returns ``E[target | do(interventions)] - E[target | do(baseline)]`` per posterior draw
        (a DataArray with dims ``(chain, draw)``; ``az.hdi``/``az.summary`` take it as is); without ``baseline``, ``E[target | do(interventions)]`` itself
        (the mean of ``P(target | do(...))``).  Expectations average the patients' expected values
        (probabilities for binary targets, expected category code for ordinal ones) with the
        non-descendants of the intervened nodes held at their observed values.

        Raises
        ------
        IdentificationError
            Latent confounding makes the effect unidentifiable by adjustment (the message is the
            graph's explanation), or a needed mechanism is confounded.
        ModelError
            Not fitted; intervened node exogenous; target not a descendant (the DAG then says
            the effect is exactly zero).
        """
        if not isinstance(interventions, Mapping) or not interventions:
            raise ModelError(f"interventions must be a non-empty mapping node -> value, got {interventions!r}")
        if target is None:
            outs = self.dag.outcomes
            if len(outs) != 1:
                raise ModelError("target= not given and the DAG does not declare exactly one outcome")
            target = outs[0]
        for v in [*interventions, *(baseline or {}), target]:
            if v not in self.dag:
                raise UnknownNodeError(f"{v!r} is not a node of the DAG (nodes: {list(self.dag.nodes)})")
            if v in self.dag.latent_nodes:
                raise ModelError(f"{v!r} is latent: it can be neither intervened on nor measured")
        if baseline is not None and set(baseline) != set(interventions):
            raise ModelError(
                f"baseline must set the same nodes as interventions ({sorted(interventions)}), got {sorted(baseline)}"
            )
        xs = list(interventions)
        if target in xs:
            raise ModelError(f"target {target!r} is itself intervened on")
        if target not in self.dag.descendants(xs):
            raise ModelError(
                f"{target!r} is not a descendant of {xs} in the DAG: the graph says the intervention has no effect on it"
            )
        # identification is a property of the graph: refuse before looking at any fit
        self._check_identified(xs, target)
        if self.idata_ is None or self._data is None:
            raise ModelError("the model is not fitted yet: call .fit(data) first")
        for v in [*xs, target]:
            if self._nodes[v].kind != "modelled":
                raise ModelError(f"{v!r} is exogenous ({self._nodes[v].kind}) in this model; intervening on it is not supported")
        on_path = (self.dag.descendants(xs) & self.dag.ancestors(target)) - set(xs)
        held = sorted(v for v in on_path if self._nodes[v].kind != "modelled")
        if held:
            raise ModelError(
                f"{held} lie between {xs} and {target!r} but are exogenous in this model (batch or unordered "
                "categorical columns are taken from the data, not simulated); the do() answer would be wrong"
            )
        draws = self._do_mean(interventions, target, random_seed)
        if baseline is not None:
            draws = draws - self._do_mean(baseline, target, random_seed)
        post = self.idata_.posterior
        label = ", ".join(f"{k}={v!r}" for k, v in interventions.items())
        name = f"E[{target} | do({label})]"
        if baseline is not None:
            name = "ACE: " + name + " - E[" + target + " | do(" + ", ".join(f"{k}={v!r}" for k, v in baseline.items()) + ")]"
        return xr.DataArray(
            draws,
            dims=("chain", "draw"),
            coords={"chain": post["chain"].values, "draw": post["draw"].values},
            name=name,
            attrs={"target": target, "interventions": json.dumps(interventions, default=str),
                   "baseline": json.dumps(baseline, default=str)},
        )
