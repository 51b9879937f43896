"""Structural causal model: one GLM per observed node given its parents, fitted jointly, with ``do()``."""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
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
            self._nodes = self._classify(data)
            self._model = self._build_pymc(data, self._nodes)
        return self._model

    def _build_pymc(self, data: pd.DataFrame, nodes: dict[str, _Node]):
        import pymc as pm

        pri = self.priors
        latent = set(self.dag.latent_nodes)
        coords: dict[str, list] = {}
        values = self._values(data, nodes)
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
                terms, cols = [], []
                for p in parents:
                    pn = nodes[p]
                    if pn.kind == "batch":
                        # as in AssociationModel: centred zero-sum intercepts for data-rich Gaussian
                        # nodes (non-centred ones diverge there), non-centred otherwise
                        s = pm.HalfNormal(f"{v}:sigma_{p}", pri["batch_sigma"])
                        counts = np.bincount(values[f"data_{p}"], minlength=len(pn.levels))
                        if node.family in ("normal", "student_t") and counts.min() >= _glm.CENTERED_MIN_PER_LEVEL:
                            u = pm.ZeroSumNormal(f"{v}:u_{p}", sigma=s, dims=p)
                        else:
                            u = s * pm.ZeroSumNormal(f"{v}:z_{p}", sigma=1.0, dims=p)
                        eta = eta + u[dc[f"data_{p}"]]
                    elif pn.kind == "categorical":
                        for j, lev in enumerate(pn.levels[1:], start=1):
                            terms.append(f"{p}[{lev}]")
                            col = pm.math.eq(dc[f"data_{p}"], j)
                            cols.append((col - col.mean()) / pm.math.maximum(col.std(), 1e-12))
                    else:
                        terms.append(p)
                        cols.append((rv[p] - pn.center) / pn.scale)
                if terms:
                    model.add_coord(f"{v}:parent", terms)
                    b = pm.Normal(f"{v}:b_std", 0.0, pri["beta"], dims=f"{v}:parent")
                    for j, c in enumerate(cols):
                        eta = eta + b[j] * c
                    scale_y = node.scale if node.family in ("normal", "student_t") else 1.0
                    pscale = np.array([nodes[t].scale if t in nodes else 1.0 for t in terms])
                    pm.Deterministic(f"{v}:b", b * scale_y / pscale, dims=f"{v}:parent")
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
        self._rv_names = [v for v in self.order_ if nodes[v].kind == "modelled"]
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
        """Fit all node GLMs jointly; return InferenceData (kept as ``idata_``) with the DAG in ``attrs``."""
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
        post = idata.posterior
        post = post[[v for v in post.data_vars if not str(v).startswith("data_") and not str(v).endswith("__")]]
        out = az.InferenceData(posterior=post, sample_stats=idata.sample_stats)
        out.attrs.update(
            {
                "radiocausal_model": "StructuralModel",
                "dag": self.dag.to_dagitty(),
                "families": json.dumps({v: n.family for v, n in self._nodes.items() if n.kind == "modelled"}),
                "exogenous": json.dumps({v: n.kind for v, n in self._nodes.items() if n.kind != "modelled"}),
                "priors": json.dumps(self.priors),
                "nuts_sampler": self.nuts_sampler,
                "settings": json.dumps(dict(draws=draws, tune=tune, chains=chains, target_accept=target_accept)),
                "n_patients": len(data),
            }
        )
        check_convergence(out, self._free_names(), self.diagnostics)
        self.idata_ = out
        self._data = data
        return out

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
