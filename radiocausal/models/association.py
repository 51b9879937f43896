"""DAG-adjusted hierarchical association model (one GLM: outcome ~ exposure + adjustment set + batches)."""

from __future__ import annotations

import dataclasses
import json
import os
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from radiocausal.errors import DataError, IdentificationError, ModelError, RoleError
from radiocausal.graph import CausalDAG, NodeSet
from radiocausal.models import _glm
from radiocausal.models._design import build_design, infer_family, normalise_family
from radiocausal.models._sampling import CompiledCache, Diagnostics, check_convergence, resolve_sampler, run_nuts

__all__ = ["AssociationModel", "choose_adjustment_set", "effect_summary"]

_ADJ_KINDS = ("optimal", "minimal", "minimum", "canonical")
DIRECTIONS = ("causal", "predictive")
#: Posterior name of the focal coefficient per direction (the GLM builds it as ``b_exposure``).
_FOCAL = {"causal": "b_exposure", "predictive": "b_predictor"}

#: Built (and, with nutpie, compiled) models shared by every AssociationModel in the process whose
#: structure is the same (family, covariate terms, batch levels, priors; not the exposure's or the
#: outcome's name), so scanning genes or bootstrapping with new model objects compiles once.
#: Least recently used entries are dropped beyond :data:`SHARED_MODELS_MAX`.
_SHARED: OrderedDict = OrderedDict()
SHARED_MODELS_MAX = 8
#: Name of the observed variable inside the PyMC model (the InferenceData groups use the outcome's name).
OBSERVED_NAME = "outcome"


def _shared_model(design, st: _glm.GLMStructure, sampler: str):
    key = (dataclasses.replace(st, exposure_term="exposure" if st.exposure_term is not None else None), sampler)
    hit = _SHARED.get(key)
    if hit is None:
        model = _glm.build_pymc_glm(design, st, OBSERVED_NAME)
        # the sampler stores only the free parameters; _finish derives the deterministics in NumPy
        free = [v.name for v in model.free_RVs] if _glm.deterministics_in_numpy(st) else None
        hit = (model, CompiledCache(free))
        _SHARED[key] = hit
        while len(_SHARED) > SHARED_MODELS_MAX:
            _SHARED.popitem(last=False)
    else:
        _SHARED.move_to_end(key)
    return hit


def _single(name: str | None, declared: tuple[str, ...], what: str) -> str:
    if name is not None:
        if not isinstance(name, str):
            raise RoleError(f"{what} must be one node name (str), got {name!r}")
        return name
    if len(declared) != 1:
        raise RoleError(
            f"{what}= not given and the DAG declares {len(declared)} {what} node(s) {list(declared)}; pass {what}=..."
        )
    return declared[0]


def choose_adjustment_set(
    dag: CausalDAG, exposure: str, outcome: str, adjustment: Iterable[str] | str | None = None
) -> tuple[frozenset[str], str]:
    """The covariate set to adjust for, and the rule that chose it.

    Rule for ``adjustment=None`` (or ``"optimal"``): the O-set of Henckel, Perković & Maathuis
    (2022), the valid set with the smallest asymptotic variance, from
    ``dag.adjustment_sets(kind="optimal")``.  When the O-set is undefined (it would contain a
    latent node, or is invalid under the declared selection), fall back to the *first minimal
    set*: the smallest minimal set, ties broken by the sorted node names.  ``"minimal"``,
    ``"minimum"`` and ``"canonical"`` ask for that kind directly (first set by the same order).
    An explicit iterable of nodes is checked with :meth:`CausalDAG.explain_adjustment`.

    Raises
    ------
    IdentificationError
        No set identifies the effect, or the given set does not; the message is the graph's
        explanation.

    Examples
    --------
    >>> from radiocausal.graph import CausalDAG
    >>> dag = CausalDAG.from_dagitty("dag { site -> EGFR -> texture ; site -> texture ; "
    ...                              "age -> texture ; EGFR [exposure] ; texture [outcome] }")
    >>> choose_adjustment_set(dag, "EGFR", "texture")
    (frozenset({'age', 'site'}), 'optimal')
    >>> choose_adjustment_set(dag, "EGFR", "texture", "minimal")
    (frozenset({'site'}), 'minimal')
    """
    if adjustment is None or isinstance(adjustment, str) and adjustment in _ADJ_KINDS:
        kind = adjustment or "optimal"
        rule = kind
        if kind == "optimal":
            try:
                sets = dag.adjustment_sets(exposure, outcome, kind="optimal")
            except IdentificationError:
                sets = dag.adjustment_sets(exposure, outcome, kind="minimal")
                rule = "minimal (O-set undefined: smallest minimal set, ties by name)"
        else:
            sets = dag.adjustment_sets(exposure, outcome, kind=kind)
        if not sets:
            expl = dag.explain_adjustment(set(), exposure, outcome)
            raise IdentificationError(
                f"no adjustment set identifies the effect of {exposure!r} on {outcome!r} in this DAG:\n{expl}"
            )
        sets = sorted(sets, key=lambda s: (len(s), sorted(s)))
        return NodeSet(sets[0]), rule
    if isinstance(adjustment, str):
        raise ModelError(
            f"adjustment must be None, one of {_ADJ_KINDS}, or an iterable of node names; got the string "
            f"{adjustment!r} (for a single node write [{adjustment!r}])"
        )
    zs = NodeSet(adjustment)
    expl = dag.explain_adjustment(zs, exposure, outcome)
    if not expl.is_valid:
        raise IdentificationError(str(expl))
    return zs, "given"


def effect_summary(idata: az.InferenceData, hdi_prob: float = 0.94, *, covariates: bool = False) -> pd.DataFrame:
    """Tidy summary of the exposure's coefficient (original units) from a fitted model's InferenceData.

    Columns: ``term``, ``mean``, ``sd``, ``hdi_3%``, ``hdi_97%`` (for the default ``hdi_prob``),
    ``r_hat``, ``ess_bulk``, ``ess_tail``, ``p_positive`` (posterior probability that the
    coefficient is > 0) and ``scale`` (what one unit means: ``log-odds of <response>``,
    ``log cumulative odds of <response>`` or the response's units, per unit of the focal predictor).
    For a ``direction="predictive"`` fit the row is the *feature's* (the DAG outcome's) coefficient in
    the regression of the exposure on it: an adjusted association, not a causal effect.  With ``covariates=True`` the adjustment
    covariates' coefficients follow the exposure's.
    """
    attrs = idata.attrs
    focal = _FOCAL.get(attrs.get("direction", "causal"), "b_exposure")
    if focal not in idata.posterior:
        raise ModelError(f"idata has no {focal!r} in its posterior: not an AssociationModel fit")
    names = [focal] + (["b_covariate"] if covariates and "b_covariate" in idata.posterior else [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summ = az.summary(idata, var_names=names, hdi_prob=hdi_prob, round_to="none")
    terms = [attrs.get("predictor", attrs.get("exposure", "exposure"))]
    if len(names) > 1:
        terms += [str(c) for c in idata.posterior["covariate"].values]
    summ.index = terms
    summ.index.name = "term"
    draws = [idata.posterior[focal].values.ravel()]
    if len(names) > 1:
        cov = idata.posterior["b_covariate"].values
        draws += [cov[..., j].ravel() for j in range(cov.shape[-1])]
    summ["p_positive"] = [float(np.mean(d > 0)) for d in draws]
    family = attrs.get("family", "")
    response = attrs.get("response", attrs.get("outcome", "outcome"))
    unit = {"bernoulli": f"log-odds of {response}", "ordered_logistic": f"log cumulative odds of {response}"}.get(
        family, f"{response} units"
    )
    summ["scale"] = f"{unit} per unit"
    lo, hi = summ.columns[2], summ.columns[3]
    return summ[["mean", "sd", lo, hi, "r_hat", "ess_bulk", "ess_tail", "p_positive", "scale"]]


class AssociationModel:
    """Bayesian GLM of ``outcome`` on ``exposure``, adjusted for a DAG-chosen covariate set, with batch intercepts.

    The DAG decides what to adjust for: by default its optimal set (see
    :func:`choose_adjustment_set` for the rule and the fallback); any valid set on request; an
    invalid set raises :class:`~radiocausal.errors.IdentificationError` carrying the graph's
    explanation.  Batch nodes (declared ``batch`` in the DAG, or named in ``batch=``) enter as
    hierarchical, zero-sum intercepts: non-centred for logistic/ordinal outcomes and sparse
    batches, centred for Gaussian outcomes with at least 30 patients per batch level
    (``batch_parametrization`` overrides).  A DAG batch node outside the adjustment set is added
    when the set stays valid (it then only sharpens the estimate); one that would bias it is left out
    and listed in ``attrs["batch_left_out"]``.

    Predictors are standardised (mean 0, sd 1) and Gaussian outcomes scaled by their sd; the
    priors (see :data:`radiocausal.models._glm.DEFAULT_PRIORS`) are weakly informative on those
    scales and can be overridden with ``priors={"beta": 1.0, ...}``.  ``b_exposure`` in the
    posterior is the exposure's coefficient per unit of the exposure, on the link scale
    (log-odds for ``bernoulli``), in outcome units for Gaussian outcomes.

    **Direction.**  ``direction="causal"`` (default) models P(outcome | exposure, Z), the
    direction of the DAG's arrows (in radiogenomics: P(feature | gene, covariates), genes shape
    the phenotype); ``b_exposure`` is then the exposure's causal effect, given the DAG.
    ``direction="predictive"`` models the *reverse*, P(exposure | outcome, Z), e.g. P(EGFR mutation
    | texture, covariates), with the same DAG roles (``exposure`` is still the gene, ``outcome``
    still the feature) and the same DAG-chosen set Z.  Because Z blocks every back-door path
    between exposure and outcome, the conditional association of the two given Z flows only along
    the causal paths exposure -> ... -> outcome, so the coefficient, ``b_predictor`` in the
    posterior (per unit of the outcome, on the exposure's link scale), is an *unconfounded
    association measure*: it is zero exactly when the outcome carries no information about the
    exposure beyond Z, and its sign is that of the causal effect.  For a Gaussian outcome with
    outcome = ... + b * exposure + noise(sd sigma) and a binary exposure, it equals b / sigma**2
    (the logistic model is then exact).  It is **not** a causal effect of the outcome on the
    exposure: the DAG says intervening on the outcome changes nothing upstream, so such a fit
    refuses :meth:`intervene`, and :class:`~radiocausal.models.StructuralModel` refuses ``do()``
    against the DAG's direction.  Use it for prediction or as an adjusted association.

    Parameters
    ----------
    dag : CausalDAG
        The study's causal assumptions.
    exposure, outcome : str, optional
        Node names (columns of the data); default: the DAG's single declared exposure/outcome.
    family : {"bernoulli", "normal", "student_t", "ordered_logistic"}, optional
        Default: inferred from the outcome column (see :func:`radiocausal.models.infer_family`).
    adjustment : iterable of str or {"optimal", "minimal", "minimum", "canonical"}, optional
        The adjustment set, or the kind of set to take from the DAG (default ``"optimal"``).
    batch : iterable of str, optional
        Batch columns (site, scanner, sequencing run).  Default: the DAG's batch nodes.
        Columns not in the DAG are allowed (a batch the DAG does not model).
    batch_parametrization : {"auto", "centered", "non_centered"}
    priors : mapping of str to float, optional
        Prior scales overriding :data:`~radiocausal.models._glm.DEFAULT_PRIORS`.
    scale_outcome : bool
        Scale a Gaussian/Student-t outcome by its sample mean and sd before applying the priors
        (default).  ``False`` keeps the priors independent of the outcome data (e.g. for
        simulation-based calibration); the outcome should then be roughly unit-scaled.
    shrinkage : {"auto", "normal", "horseshoe"}
        Prior on the covariates' coefficients: Normal(0, ``priors["beta"]``), or the regularised
        horseshoe of Piironen & Vehtari (2017) (see :func:`radiocausal.models._glm._regularised_horseshoe`).
        ``"auto"`` takes the horseshoe when covariate terms are many relative to patients (at least
        ``HORSESHOE_MIN_TERMS`` = 8 and one per 10 patients).  The exposure is never shrunk.
    nuts_sampler : {"auto", "pymc", "nutpie"}
        ``"auto"`` (with nutpie installed): PyMC's NUTS on its C backend for the first fit of a model
        structure (it compiles in seconds), nutpie from the second fit on (compiled once, shared by
        every model object of the same structure in the process; refits then take about a second);
        see :func:`radiocausal.models._sampling.choose_sampler`.  ``"nutpie"`` compiles nutpie at the
        first fit; ``"pymc"`` always uses PyMC.  ``settings`` in the result's ``attrs`` records the
        sampler that ran.
    diagnostics : Diagnostics, optional
        Thresholds of the convergence gate.
    direction : {"causal", "predictive"}
        Which conditional to model (see *Direction* above).  ``family`` is then the family of the
        modelled response: the outcome (causal) or the exposure (predictive).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from radiocausal.graph import CausalDAG
    >>> dag = CausalDAG.from_dagitty("dag { site [batch] ; site -> EGFR -> texture ; site -> texture ; "
    ...                              "EGFR [exposure] ; texture [outcome] }")
    >>> model = AssociationModel(dag)            # nothing is fitted yet
    >>> model.adjustment_set_, model.batch_
    (frozenset({'site'}), ('site',))
    >>> rng = np.random.default_rng(0); site = rng.integers(0, 3, 200)
    >>> egfr = (rng.random(200) < 0.2 + 0.2 * site).astype(int)
    >>> df = pd.DataFrame({"site": site, "EGFR": egfr, "texture": 0.5 * egfr + 0.4 * site + rng.normal(size=200)})
    >>> idata = model.fit(df, draws=300, tune=300, chains=2, random_seed=1)  # doctest: +SKIP
    >>> model.effect_summary()  # doctest: +SKIP
    """

    def __init__(
        self,
        dag: CausalDAG,
        exposure: str | None = None,
        outcome: str | None = None,
        family: str | None = None,
        adjustment: Iterable[str] | str | None = None,
        batch: Iterable[str] | None = None,
        *,
        batch_parametrization: str = "auto",
        priors: Mapping[str, float] | None = None,
        scale_outcome: bool = True,
        shrinkage: str = "auto",
        nuts_sampler: str | None = "auto",
        diagnostics: Diagnostics | None = None,
        direction: str = "causal",
    ):
        if direction not in DIRECTIONS:
            raise ModelError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
        self.direction = direction
        if not isinstance(dag, CausalDAG):
            raise ModelError(f"dag must be a radiocausal CausalDAG, got {type(dag).__name__}")
        self.dag = dag
        self.scale_outcome = bool(scale_outcome)
        _glm.choose_shrinkage(shrinkage, 0, 1)  # validates the value
        self.shrinkage = shrinkage
        self.exposure = _single(exposure, dag.exposures, "exposure")
        self.outcome = _single(outcome, dag.outcomes, "outcome")
        for what, node in (("exposure", self.exposure), ("outcome", self.outcome)):
            if node not in dag:
                raise RoleError(f"{what} {node!r} is not a node of the DAG (nodes: {list(dag.nodes)})")
        if self.exposure not in dag.ancestors(self.outcome):
            raise IdentificationError(
                f"the DAG has no directed path from exposure {self.exposure!r} to outcome {self.outcome!r}: it asserts "
                "that the causal effect is zero. To model the association in the anti-causal (predictive) "
                "direction, keep exposure and outcome as the DAG has them and pass direction='predictive'"
            )
        #: the modelled variable and the focal predictor: (outcome, exposure) or, predictive, (exposure, outcome)
        self.response_, self.predictor_ = (
            (self.outcome, self.exposure) if direction == "causal" else (self.exposure, self.outcome)
        )
        self.family = normalise_family(family) if family is not None else None
        adj, rule = choose_adjustment_set(dag, self.exposure, self.outcome, adjustment)
        self.batch_parametrization = batch_parametrization
        if batch_parametrization not in ("auto", "centered", "non_centered"):
            raise ModelError(
                f"batch_parametrization must be 'auto', 'centered' or 'non_centered', got {batch_parametrization!r}"
            )
        self.priors = _glm.resolve_priors(priors)
        self.nuts_sampler = resolve_sampler(nuts_sampler)
        self.diagnostics = diagnostics or Diagnostics()
        # batch nodes
        left_out: list[str] = []
        if batch is None:
            batches = [b for b in dag.batch_nodes if b not in dag.latent_nodes]
            explicit = False
        else:
            batches = [batch] if isinstance(batch, str) else list(batch)
            explicit = True
        chosen: list[str] = []
        for b in batches:
            if b in (self.exposure, self.outcome):
                raise RoleError(f"batch {b!r} is the exposure or the outcome")
            if b not in dag or b in adj:
                chosen.append(b)
                continue
            expl = dag.explain_adjustment(adj | {b}, self.exposure, self.outcome)
            if expl.is_valid:
                chosen.append(b)
            elif explicit:
                raise IdentificationError(f"adding batch {b!r} to the adjustment set biases the effect:\n{expl}")
            else:
                left_out.append(b)
        self.adjustment_set_ = adj
        self.adjustment_rule_ = rule
        self.batch_ = tuple(chosen)
        self.batch_left_out_ = tuple(left_out)
        self.covariates_ = tuple(sorted(adj - set(chosen)))
        self._model = None
        self._structure: _glm.GLMStructure | None = None
        self._levels: dict | None = None
        self._cache = CompiledCache()
        self.idata_: az.InferenceData | None = None

    # ------------------------------------------------------------------ building
    def _design(self, data: pd.DataFrame, family: str, levels=None):
        return build_design(
            data, self.response_, family, [self.predictor_, *self.covariates_], list(self.batch_), levels=levels,
            scale_outcome=self.scale_outcome,
        )

    def build(self, data: pd.DataFrame):
        """Build (or return the already built) PyMC model for ``data``'s structure, without sampling.

        The model's data live in ``pm.Data`` containers, so later fits on data of the same structure
        (same columns, categorical levels and batch levels) reuse it and its compiled sampler, also
        across model objects (see ``SHARED_MODELS_MAX``).  The observed variable is called
        ``"outcome"`` inside the PyMC model; the containers hold the data of the latest build or fit.
        """
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
        if self.response_ not in data.columns:
            what = "outcome" if self.direction == "causal" else "exposure (the response of a predictive model)"
            raise DataError(f"{what} {self.response_!r} is not a column of data; columns are {list(map(str, data.columns))}")
        family = self.family or infer_family(data[self.response_])
        design, levels = self._design(data, family, self._levels)
        st = _glm.structure_of(design, family, True, self.priors, self.batch_parametrization, self.shrinkage)
        if self._structure is not None and st != self._structure:
            # "auto" may pick another parametrization on new data: keep the compiled one
            same = dataclasses.replace(st, batch_parametrization=self._structure.batch_parametrization)
            if same == self._structure:
                st = same
        if self._structure is None or st != self._structure:
            self._model, self._cache = _shared_model(design, st, self.nuts_sampler)
            self._structure = st
            self._levels = levels
        return self._model, design

    @property
    def model_(self):
        """The PyMC model (after :meth:`build` or :meth:`fit`)."""
        if self._model is None:
            raise ModelError("the model is not built yet: call .build(data) or .fit(data)")
        return self._model

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        data: pd.DataFrame,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        random_seed: int | None = None,
        *,
        target_accept: float | None = None,
        cores: int | None = None,
        progressbar: bool = False,
    ) -> az.InferenceData:
        """Sample the posterior; return InferenceData (also kept as ``idata_``).

        ``target_accept`` defaults to 0.9, and to 0.995 with the horseshoe prior, whose funnel
        geometry needs small steps (Piironen & Vehtari 2017): on 200 patients and 30 covariates,
        nutpie at 0.99 left 3 divergent transitions in 1,000 draws, at 0.995 none or one, in about
        the same time.  With ``nuts_sampler="auto"`` a horseshoe model goes to nutpie from its first
        fit: its small steps make PyMC's sampling, not the compilation, the slow part (60-90 s against
        about 7 s plus nutpie's compilation on this machine).

        The result has ``posterior``, ``sample_stats``, ``observed_data``, ``posterior_predictive``
        and ``log_likelihood`` groups (``patient`` dimension, coords from ``data.index``) so that
        ``az.loo`` and ``az.plot_ppc`` work, and ``attrs`` with the DAG (dagitty text), exposure,
        outcome, adjustment set and settings.  A fit failing the convergence gate warns with
        :class:`~radiocausal.errors.ConvergenceWarning`.
        """
        model, design = self.build(data)
        st = self._structure
        if target_accept is None:
            target_accept = 0.995 if st.shrinkage == "horseshoe" else 0.9
        sampler = self.nuts_sampler
        if sampler == "auto" and st.shrinkage == "horseshoe":
            sampler = "nutpie"  # sampling, not compiling, dominates horseshoe fits (see above)
        idata = run_nuts(
            model,
            _glm.glm_data(design, st),
            sampler=sampler,
            cache=self._cache,
            draws=draws,
            tune=tune,
            chains=chains,
            random_seed=random_seed,
            target_accept=target_accept,
            cores=cores,
            progressbar=progressbar,
        )
        idata = self._finish(idata, design, data, random_seed, dict(draws=draws, tune=tune, chains=chains,
                                                                    target_accept=target_accept,
                                                                    sampler=idata.attrs["sampler"]))
        check_convergence(idata, [self._posterior_name(v) for v in _glm.free_parameter_names(st)], self.diagnostics,
                          divergence_advice=self._divergence_advice(target_accept))
        self.idata_ = idata
        return idata

    def _divergence_advice(self, target_accept: float) -> str:
        st = self._structure
        tips = [f"raise target_accept above {target_accept} (e.g. {0.99 if target_accept < 0.99 else 0.999})",
                "lengthen tuning (tune=)"]
        params = dict(st.batch_parametrization)
        if params:
            flip = {"centered": "non_centered", "non_centered": "centered"}
            tips.append("batch_parametrization=" + repr(flip[next(iter(params.values()))])
                        + " (non-centred suits few patients per batch, centred data-rich Gaussian batches)")
        if st.shrinkage == "horseshoe":
            tips.append("shrinkage='normal' or a smaller valid adjustment set")
        return ", ".join(tips)

    def _finish(self, idata, design, data, random_seed, settings) -> az.InferenceData:
        st = self._structure
        post = idata.posterior
        keep = [v for v in post.data_vars if not str(v).startswith("data_") and not str(v).endswith("__")]
        post = post[keep]
        if _glm.deterministics_in_numpy(st):
            post = _glm.add_deterministics(post, design, st)
        patients = np.asarray(data.index)
        if patients.dtype == object:
            patients = patients.astype(str)
        coords = {"chain": post["chain"].values, "draw": post["draw"].values, "patient": patients}
        dims = ("chain", "draw", "patient")
        ll = _glm.pointwise_loglik(post, design, st)
        rng = np.random.default_rng(None if random_seed is None else [random_seed, 1])
        pp = _glm.posterior_predict(post, design, st, rng)
        if self.direction != "causal":
            post = post.rename({v: self._posterior_name(v) for v in ("b_exposure", "b_exposure_std") if v in post})
        y_obs = design.y
        if st.family == "ordered_logistic" or (st.family == "bernoulli" and design.outcome_levels != [0, 1]):
            levels = np.asarray(design.outcome_levels)
            y_obs = levels[design.y]
            pp = levels[pp]
        out = az.InferenceData(
            posterior=post,
            sample_stats=idata.sample_stats,
            posterior_predictive=xr.Dataset({self.response_: xr.DataArray(pp, coords=coords, dims=dims)}),
            log_likelihood=xr.Dataset({self.response_: xr.DataArray(ll, coords=coords, dims=dims)}),
            observed_data=xr.Dataset(
                {self.response_: xr.DataArray(y_obs, coords={"patient": patients}, dims=("patient",))}
            ),
        )
        out.attrs.update(self._attrs(design, settings))
        return out

    def _posterior_name(self, name: str) -> str:
        """The posterior's name for a GLM variable (``b_exposure*`` is ``b_predictor*`` when predictive)."""
        if self.direction != "causal" and name.startswith("b_exposure"):
            return "b_predictor" + name[len("b_exposure"):]
        return name

    def _attrs(self, design, settings) -> dict[str, Any]:
        st = self._structure
        return {
            "radiocausal_model": "AssociationModel",
            "dag": self.dag.to_dagitty(),
            "exposure": self.exposure,
            "outcome": self.outcome,
            "direction": self.direction,
            "response": self.response_,
            "predictor": self.predictor_,
            "focal_coefficient": _FOCAL[self.direction],
            "estimand": (
                f"causal effect of {self.exposure} on {self.outcome}" if self.direction == "causal" else
                f"adjusted (unconfounded) association of {self.outcome} with {self.exposure} in the model of "
                f"{self.exposure} given {self.outcome}; not a causal effect, do() not applicable"
            ),
            "family": st.family,
            "adjustment_set": json.dumps(sorted(self.adjustment_set_)),
            "adjustment_rule": self.adjustment_rule_,
            "covariates": json.dumps(list(self.covariates_)),
            "covariate_terms": json.dumps(list(st.covariate_terms)),
            "batch": json.dumps(list(self.batch_)),
            "batch_left_out": json.dumps(list(self.batch_left_out_)),
            "batch_parametrization": json.dumps(dict(st.batch_parametrization)),
            "priors": json.dumps(dict(st.priors)),
            "scale_outcome": int(self.scale_outcome),
            "shrinkage": st.shrinkage,
            "predictor_center": json.dumps(design.center.tolist()),
            "predictor_scale": json.dumps(design.scale.tolist()),
            "outcome_center": design.y_center,
            "outcome_scale": design.y_scale,
            "nuts_sampler": self.nuts_sampler,
            "settings": json.dumps(settings),
            "n_patients": len(design.y),
        }

    # ------------------------------------------------------------------ results
    def _require_fit(self) -> az.InferenceData:
        if self.idata_ is None:
            raise ModelError("the model is not fitted yet: call .fit(data) first")
        return self.idata_

    def effect_summary(self, hdi_prob: float = 0.94, *, covariates: bool = False) -> pd.DataFrame:
        """Posterior summary of the exposure's coefficient (see :func:`effect_summary`)."""
        return effect_summary(self._require_fit(), hdi_prob, covariates=covariates)

    def intervene(self, interventions: Mapping[str, Any], baseline: Mapping[str, Any] | None = None,
                  target: str | None = None) -> np.ndarray:
        """Refuse: a single regression is not a ``do()`` engine.

        A ``direction="predictive"`` fit models the exposure given the outcome, against the
        DAG's arrows: ``do(outcome)`` has no effect on the exposure in that DAG, and reading the
        predictive coefficient as one would be wrong, so this raises
        :class:`~radiocausal.errors.IdentificationError` explaining why.  A causal-direction fit's
        ``b_exposure`` already is the average causal effect on the link scale; interventions on
        any node of the DAG are answered by :class:`~radiocausal.models.StructuralModel`, so this
        raises :class:`~radiocausal.errors.ModelError` pointing there.

        Examples
        --------
        >>> from radiocausal.graph import CausalDAG
        >>> dag = CausalDAG.from_dagitty("dag { EGFR -> texture ; EGFR [exposure] ; texture [outcome] }")
        >>> AssociationModel(dag, direction="predictive").intervene({"texture": 1.0})
        Traceback (most recent call last):
        ...
        radiocausal.errors.IdentificationError: ...
        """
        if self.direction == "predictive":
            nodes = list(interventions) if isinstance(interventions, Mapping) else interventions
            raise IdentificationError(
                f"this AssociationModel is predictive: it models P({self.exposure} | {self.outcome}, "
                f"{sorted(self.adjustment_set_)}), against the DAG's direction {self.exposure} -> ... -> "
                f"{self.outcome}. Its coefficient b_predictor is an adjusted association, not a causal effect; "
                f"the DAG says do({nodes}) leaves {self.exposure} unchanged (it is not a descendant), so no "
                f"intervention is computed. For do() questions fit StructuralModel(dag) and intervene on "
                f"{self.exposure!r}"
            )
        raise ModelError(
            "AssociationModel does not simulate interventions: its b_exposure is the exposure's average causal "
            "effect on the link scale; for do() on any node and effects on other scales use StructuralModel(dag)"
        )

    def save(self, path: str | os.PathLike) -> None:
        """Write ``idata_`` (with its attrs) to NetCDF; :meth:`load` reads it back."""
        self._require_fit().to_netcdf(str(path))

    @classmethod
    def load(cls, path: str | os.PathLike) -> AssociationModel:
        """Rebuild a fitted model (DAG, roles, settings, ``idata_``) from a NetCDF file written by :meth:`save`."""
        idata = az.from_netcdf(str(path))
        attrs = idata.attrs
        if attrs.get("radiocausal_model") != "AssociationModel":
            raise ModelError(f"{os.fspath(path)!r} was not written by AssociationModel.save")
        dag = CausalDAG.from_dagitty(attrs["dag"])
        param = set(json.loads(attrs["batch_parametrization"]).values())
        model = cls(
            dag,
            exposure=attrs["exposure"],
            outcome=attrs["outcome"],
            family=attrs["family"],
            adjustment=json.loads(attrs["adjustment_set"]),
            batch=json.loads(attrs["batch"]),
            batch_parametrization=param.pop() if len(param) == 1 else "auto",
            priors=json.loads(attrs["priors"]),
            scale_outcome=bool(attrs.get("scale_outcome", 1)),
            shrinkage=attrs.get("shrinkage", "auto"),
            nuts_sampler=attrs.get("nuts_sampler", "auto"),
            direction=attrs.get("direction", "causal"),
        )
        model.idata_ = idata
        return model

    def __repr__(self) -> str:
        return (
            f"AssociationModel(exposure={self.exposure!r}, outcome={self.outcome!r}, direction={self.direction!r}, "
            f"family={self.family!r}, "
            f"adjustment={sorted(self.adjustment_set_)}, batch={list(self.batch_)})"
        )
