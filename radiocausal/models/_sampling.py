"""Sampler choice, compiled-model reuse and the convergence gate."""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import arviz as az
import numpy as np

from radiocausal.errors import ConvergenceWarning, ModelError

__all__ = ["Diagnostics", "resolve_sampler", "choose_sampler", "run_nuts", "check_convergence"]

_SAMPLERS = ("auto", "pymc", "nutpie")


def resolve_sampler(nuts_sampler: str | None) -> str:
    """The sampler policy: ``"nutpie"``, ``"pymc"``, or ``"auto"`` (None) when nutpie is installed.

    ``"auto"`` without nutpie is ``"pymc"``.  What ``"auto"`` runs is decided per fit by
    :func:`choose_sampler`.
    """
    choice = "auto" if nuts_sampler is None else nuts_sampler
    if choice not in _SAMPLERS:
        raise ModelError(f"nuts_sampler must be one of {_SAMPLERS}, got {nuts_sampler!r}")
    have_nutpie = importlib.util.find_spec("nutpie") is not None
    if choice == "nutpie" and not have_nutpie:
        raise ModelError("nuts_sampler='nutpie' but nutpie is not installed; pip install nutpie or use 'pymc'")
    if choice == "auto" and not have_nutpie:
        return "pymc"
    return choice


def choose_sampler(policy: str, cache: CompiledCache) -> str:
    """The sampler one fit runs under ``policy`` (see :func:`resolve_sampler`).

    ``"auto"`` runs PyMC's NUTS on its C backend for the first fit of a model structure and
    nutpie from the second on.  Compiling nutpie's numba sampler takes 10-60 s here (most of a
    one-off fit), but a compiled model then refits in about a second; PyMC's C backend compiles in
    a few seconds (its modules are cached on disk) and samples more slowly.  A structure fitted
    once is likely to be refitted (bootstrap, the next gene or site), so the second fit pays
    nutpie's compilation once and later fits reuse it.  The posterior is the same either way (both
    are NUTS with a tuned diagonal mass matrix).

    Examples
    --------
    >>> cache = CompiledCache()
    >>> choose_sampler("auto", cache), choose_sampler("pymc", cache)
    ('pymc', 'pymc')
    >>> cache.fits = 1
    >>> choose_sampler("auto", cache)
    'nutpie'
    """
    if policy != "auto":
        return policy
    return "nutpie" if cache.compiled is not None or cache.fits >= 1 else "pymc"


def _seed(random_seed: int | None) -> int:
    if random_seed is None:
        return int(np.random.default_rng().integers(2**31 - 1))
    if isinstance(random_seed, (int, np.integer)) and not isinstance(random_seed, bool) and random_seed >= 0:
        return int(random_seed)
    raise ModelError(f"random_seed must be a non-negative int or None, got {random_seed!r}")


def _check_counts(draws: int, tune: int, chains: int) -> None:
    for name, v, lo in (("draws", draws, 1), ("tune", tune, 0), ("chains", chains, 1)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < lo:
            raise ModelError(f"{name} must be an int >= {lo}, got {v!r}")


class CompiledCache:
    """Holds a compiled nutpie model for one PyMC model so refits only swap data.

    ``data_names`` are the names of the model's ``pm.Data`` containers; new values for them go
    through ``CompiledModel.with_data`` (no recompilation).

    ``var_names`` (optional) restricts what the compiled sampler stores per draw: naming only the
    free parameters leaves the model's deterministics out of nutpie's numba-compiled "expand"
    function, which shortens the first compilation; the caller then derives the deterministics
    from the draws itself (as :func:`radiocausal.models._glm.add_deterministics` does).
    """

    def __init__(self, var_names: Sequence[str] | None = None) -> None:
        self.compiled: Any = None
        self.var_names = None if var_names is None else list(var_names)
        #: fits run on this model structure so far (by any sampler); see :func:`choose_sampler`
        self.fits = 0

    def get(self, model) -> Any:
        if self.compiled is None:
            import nutpie

            kwargs = {} if self.var_names is None else {"var_names": self.var_names}
            self.compiled = nutpie.compile_pymc_model(model, **kwargs)
        return self.compiled


def run_nuts(
    model,
    data: dict[str, np.ndarray],
    *,
    sampler: str,
    cache: CompiledCache,
    draws: int,
    tune: int,
    chains: int,
    random_seed: int | None,
    target_accept: float,
    cores: int | None = None,
    progressbar: bool = False,
) -> az.InferenceData:
    """Sample the posterior of ``model`` with its data containers set to ``data``.

    ``sampler`` is a policy (see :func:`choose_sampler`); ``idata.attrs["sampler"]`` records the
    sampler that ran.
    """
    _check_counts(draws, tune, chains)
    if not (0 < target_accept < 1):
        raise ModelError(f"target_accept must be in (0, 1), got {target_accept!r}")
    seed = _seed(random_seed)
    cores = min(chains, 2) if cores is None else cores
    used = choose_sampler(sampler, cache)
    cache.fits += 1
    idata = _sample(model, data, used, cache, draws, tune, chains, seed, target_accept, cores, progressbar)
    idata.attrs["sampler"] = used
    return idata


def _sample(model, data, sampler, cache, draws, tune, chains, seed, target_accept, cores, progressbar):
    if sampler == "nutpie":
        import nutpie

        compiled = cache.get(model)
        # containers the graph optimised away (e.g. an unused scale) are not nutpie shared data
        compiled = compiled.with_data(**{k: v for k, v in data.items() if k in compiled.shared_data})
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning)
            idata = nutpie.sample(
                compiled,
                draws=draws,
                tune=tune,
                chains=chains,
                cores=cores,
                seed=seed,
                save_warmup=False,
                progress_bar=progressbar,
                target_accept=target_accept,
            )
        return idata
    import pymc as pm

    with model:
        pm.set_data(data)
        idata = pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores,
            random_seed=seed,
            target_accept=target_accept,
            progressbar=progressbar,
            compute_convergence_checks=False,
            idata_kwargs={"log_likelihood": False},
        )
    return idata


@dataclass(frozen=True)
class Diagnostics:
    """Thresholds of the convergence gate.

    Attributes
    ----------
    max_r_hat : float
        Largest acceptable rank-normalised split R-hat (Vehtari et al. 2021 recommend 1.01).
    min_ess_per_chain : float
        Smallest acceptable bulk and tail effective sample size, per chain (100 per chain
        as recommended by Vehtari et al. 2021).
    max_divergences : int
        Largest acceptable number of divergent transitions after tuning.
    """

    max_r_hat: float = 1.01
    min_ess_per_chain: float = 100.0
    max_divergences: int = 0


def check_convergence(
    idata: az.InferenceData,
    var_names: Sequence[str],
    thresholds: Diagnostics | None = None,
    *,
    divergence_advice: str | None = None,
    stacklevel: int = 3,
) -> list[str]:
    """Check R-hat, bulk/tail ESS and divergences; warn with :class:`ConvergenceWarning` and advice.

    ``divergence_advice`` replaces the generic advice given for divergences (a model knows best
    which reparametrisation helps).  Returns the list of problems found (empty when the fit passes).

    Examples
    --------
    >>> import arviz as az, numpy as np
    >>> idata = az.from_dict(posterior={"b": np.random.default_rng(0).normal(size=(2, 500))},
    ...                      sample_stats={"diverging": np.zeros((2, 500), bool)})
    >>> check_convergence(idata, ["b"])
    []
    """
    th = thresholds or Diagnostics()
    post = idata.posterior
    n_chains = post.sizes["chain"]
    problems: list[str] = []
    advice: list[str] = []
    names = [v for v in var_names if v in post]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summ = az.summary(idata, var_names=names, kind="diagnostics")
    if n_chains > 1:
        bad = summ["r_hat"][summ["r_hat"] > th.max_r_hat]
        if len(bad):
            problems.append(
                f"R-hat above {th.max_r_hat} for {len(bad)} parameter(s) (worst {bad.idxmax()} = {bad.max():.3f})"
            )
            advice.append("run more tuning and draws (tune=, draws=) or more chains")
    min_ess = th.min_ess_per_chain * n_chains
    for col in ("ess_bulk", "ess_tail"):
        low = summ[col][summ[col] < min_ess]
        if len(low):
            problems.append(
                f"{col.replace('_', ' ')} below {min_ess:.0f} for {len(low)} parameter(s) "
                f"(worst {low.idxmin()} = {low.min():.0f})"
            )
            advice.append("draw more samples (draws=)")
    if "sample_stats" in idata.groups() and "diverging" in idata.sample_stats:
        n_div = int(idata.sample_stats["diverging"].sum())
        if n_div > th.max_divergences:
            problems.append(f"{n_div} divergent transition(s) after tuning")
            advice.append(divergence_advice or "raise target_accept (e.g. 0.95) and lengthen tuning (tune=)")
    if problems:
        tips = "; ".join(dict.fromkeys(advice))
        warnings.warn(
            "the posterior may be unreliable: " + "; ".join(problems) + f". Try: {tips}.",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )
    return problems
