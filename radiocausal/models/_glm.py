"""The hierarchical GLM shared by the models: PyMC graph, priors, NumPy log-likelihood and predictions.

The linear predictor on the standardised scale is

``eta = intercept + b_exposure_std * x_exposure + X_covariates @ b_covariate_std + sum_b u_b[batch_b]``

(no intercept for ordered-logistic, whose cut-points play that role).  Gaussian and Student-t
outcomes are modelled as ``y = y_center + y_scale * eta + y_scale * sigma_std * noise`` so that the
observed data, the posterior predictive and the log-likelihood are on the outcome's own scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from radiocausal.errors import ModelError
from radiocausal.models._design import Design

__all__ = ["DEFAULT_PRIORS", "GLMStructure", "build_pymc_glm", "glm_data", "linear_predictor", "pointwise_loglik",
           "posterior_predict", "resolve_priors"]

#: Default prior scales, all on standardised scales (predictors and Gaussian outcomes scaled to sd 1).
#: ``intercept``: Normal(0, s) intercept; ``beta``: Normal(0, s) coefficients (Gelman et al. 2008's
#: 2.5 for logistic regression, also weakly informative for a standardised Gaussian outcome);
#: ``sigma``: HalfNormal(s) residual sd (as a fraction of the outcome's sd); ``batch_sigma``:
#: HalfNormal(s) sd of batch intercepts; ``cutpoints``: Normal(0, s) ordered cut-points;
#: ``nu``: Gamma(2, 0.1) degrees of freedom of Student-t (Juárez & Steel 2010) has no scale to set.
DEFAULT_PRIORS: dict[str, float] = {
    "intercept": 2.5,
    "beta": 2.5,
    "sigma": 1.0,
    "batch_sigma": 1.0,
    "cutpoints": 2.5,
}

_PARAMETRIZATIONS = ("auto", "centered", "non_centered")
#: With parametrization "auto", a Gaussian/Student-t batch is centred when every level has at
#: least this many patients; otherwise (and always for logistic/ordinal outcomes) non-centred.
CENTERED_MIN_PER_LEVEL = 30


def resolve_priors(priors: Mapping[str, float] | None) -> dict[str, float]:
    """Default prior scales updated by ``priors``; unknown keys and non-positive scales are errors."""
    out = dict(DEFAULT_PRIORS)
    for k, v in (priors or {}).items():
        if k not in DEFAULT_PRIORS:
            raise ModelError(f"priors has unknown key {k!r}; expected some of {sorted(DEFAULT_PRIORS)}")
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not np.isfinite(v) or v <= 0:
            raise ModelError(f"priors[{k!r}] must be a positive number (a prior scale), got {v!r}")
        out[k] = float(v)
    return out


@dataclass(frozen=True)
class GLMStructure:
    """What fixes the compiled graph: family, terms, batch levels, outcome levels, priors."""

    family: str
    exposure_term: str | None
    covariate_terms: tuple[str, ...]
    batch_levels: tuple[tuple[str, tuple], ...]
    batch_parametrization: tuple[tuple[str, str], ...]
    outcome_levels: tuple
    priors: tuple[tuple[str, float], ...]
    shrinkage: str = "normal"

    @property
    def batches(self) -> list[str]:
        return [b for b, _ in self.batch_levels]


def choose_parametrization(family: str, design: Design, batch: str, requested: str) -> str:
    if requested not in _PARAMETRIZATIONS:
        raise ModelError(f"batch_parametrization must be one of {_PARAMETRIZATIONS}, got {requested!r}")
    if requested != "auto":
        return requested
    if family in ("normal", "student_t"):
        counts = np.bincount(design.batch_idx[batch], minlength=len(design.batch_levels[batch]))
        if counts.min() >= CENTERED_MIN_PER_LEVEL:
            return "centered"
    return "non_centered"


_SHRINKAGE = ("auto", "normal", "horseshoe")


def choose_shrinkage(requested: str, n_covariates: int, n_patients: int) -> str:
    """``"horseshoe"`` for ``"auto"`` when covariate terms are many relative to patients (see HORSESHOE_RULE)."""
    if requested not in _SHRINKAGE:
        raise ModelError(f"shrinkage must be one of {_SHRINKAGE}, got {requested!r}")
    if requested != "auto":
        return requested
    return "horseshoe" if n_covariates >= max(HORSESHOE_MIN_TERMS, n_patients / 10) else "normal"


#: ``shrinkage="auto"`` uses the regularised horseshoe on the covariates when there are at least
#: this many covariate terms and at least one per 10 patients.
HORSESHOE_MIN_TERMS = 8


def structure_of(
    design: Design, family: str, has_exposure: bool, priors: dict[str, float], param: str, shrinkage: str = "normal"
) -> GLMStructure:
    terms = list(design.terms)
    exp = terms.pop(0) if has_exposure else None
    return GLMStructure(
        family=family,
        exposure_term=exp,
        covariate_terms=tuple(terms),
        batch_levels=tuple((b, tuple(lv)) for b, lv in design.batch_levels.items()),
        batch_parametrization=tuple((b, choose_parametrization(family, design, b, param)) for b in design.batch_levels),
        outcome_levels=tuple(design.outcome_levels),
        priors=tuple(sorted(priors.items())),
        shrinkage=choose_shrinkage(shrinkage, len(terms), len(design.y)) if terms else "normal",
    )


def _data_name(s: str) -> str:
    return f"data_{s}"


def glm_data(design: Design, st: GLMStructure) -> dict[str, np.ndarray]:
    """Values of the model's ``pm.Data`` containers for ``design``."""
    off = 1 if st.exposure_term is not None else 0
    d = {
        _data_name("y"): design.y,
        _data_name("x_covariates"): design.X[:, off:],
        _data_name("scale"): design.scale,
        _data_name("y_center"): np.asarray(design.y_center, dtype=float),
        _data_name("y_scale"): np.asarray(design.y_scale, dtype=float),
    }
    if st.exposure_term is not None:
        d[_data_name("x_exposure")] = design.X[:, 0]
    for b in st.batches:
        d[_data_name(f"idx_{b}")] = design.batch_idx[b]
    if not st.covariate_terms:
        del d[_data_name("x_covariates")]
    return d


def build_pymc_glm(design: Design, st: GLMStructure, outcome_name: str):
    """The PyMC model for ``st`` with data containers filled from ``design`` (no sampling)."""
    import pymc as pm

    pri = dict(st.priors)
    coords: dict[str, list] = {}
    if st.covariate_terms:
        coords["covariate"] = list(st.covariate_terms)
    for b, lv in st.batch_levels:
        coords[b] = list(lv)
    if st.family == "ordered_logistic":
        lv = list(st.outcome_levels)
        coords["cutpoint"] = [f"{a}|{b}" for a, b in zip(lv[:-1], lv[1:])]
    data = glm_data(design, st)
    reserved = set(data) | {"intercept", "b_exposure", "b_exposure_std", "b_covariate", "b_covariate_std",
                            "sigma", "sigma_std", "nu", "cutpoints", "hs_tau", "hs_lambda", "hs_c2", "b_covariate_z",
                            "hs_global_a", "hs_global_b", "hs_local_a", "hs_local_b"}
    reserved |= {f"{p}_{b}" for b in st.batches for p in ("u", "z", "sigma")}
    if outcome_name in reserved or outcome_name in coords:
        raise ModelError(f"outcome name {outcome_name!r} clashes with a model parameter or dimension name; rename the column")
    # check_bounds=False: every parameter is sampled through a transform onto its support (log for
    # scales, zero-sum, ordered), so PyMC's parameter-validity switches in the log-density are
    # redundant; dropping them shortens the compiled graph (about halves nutpie's sampling time here)
    with pm.Model(coords=coords, check_bounds=False) as model:
        dc = {k: pm.Data(k, v) for k, v in data.items()}
        eta = 0.0
        if st.family != "ordered_logistic":
            eta = pm.Normal("intercept", 0.0, pri["intercept"])
        scale = dc[_data_name("scale")]
        y_scale = dc[_data_name("y_scale")]
        off = 0
        if st.exposure_term is not None:
            b_exp = pm.Normal("b_exposure_std", 0.0, pri["beta"])
            eta = eta + dc[_data_name("x_exposure")] * b_exp
            pm.Deterministic("b_exposure", b_exp * y_scale / scale[0])
            off = 1
        if st.covariate_terms:
            if st.shrinkage == "horseshoe":
                b_cov = _regularised_horseshoe(pm, st, len(design.y))
            else:
                b_cov = pm.Normal("b_covariate_std", 0.0, pri["beta"], dims="covariate")
            eta = eta + pm.math.dot(dc[_data_name("x_covariates")], b_cov)
            pm.Deterministic("b_covariate", b_cov * y_scale / scale[off:], dims="covariate")
        for b, how in st.batch_parametrization:
            sigma_b = pm.HalfNormal(f"sigma_{b}", pri["batch_sigma"])
            if how == "centered":
                u = pm.ZeroSumNormal(f"u_{b}", sigma=sigma_b, dims=b)
            else:
                z = pm.ZeroSumNormal(f"z_{b}", sigma=1.0, dims=b)
                u = pm.Deterministic(f"u_{b}", z * sigma_b, dims=b)
            eta = eta + u[dc[_data_name(f"idx_{b}")]]
        y = dc[_data_name("y")]
        n = y.shape[0]
        if st.family == "bernoulli":
            pm.Bernoulli(outcome_name, logit_p=eta, observed=y, shape=n)
        elif st.family in ("normal", "student_t"):
            s_std = pm.HalfNormal("sigma_std", pri["sigma"])
            mu = dc[_data_name("y_center")] + y_scale * eta
            sd = pm.Deterministic("sigma", s_std * y_scale)
            if st.family == "normal":
                pm.Normal(outcome_name, mu=mu, sigma=sd, observed=y, shape=n)
            else:
                nu = pm.Gamma("nu", alpha=2.0, beta=0.1)
                pm.StudentT(outcome_name, nu=nu, mu=mu, sigma=sd, observed=y, shape=n)
        elif st.family == "ordered_logistic":
            k = len(st.outcome_levels)
            cut = pm.Normal(
                "cutpoints", 0.0, pri["cutpoints"], dims="cutpoint",
                transform=pm.distributions.transforms.ordered, initval=np.linspace(-1.5, 1.5, k - 1),
            )
            pm.OrderedLogistic(outcome_name, eta=eta * np.ones(1) if np.isscalar(eta) else eta, cutpoints=cut,
                               observed=y, shape=n, compute_p=False)
        else:  # pragma: no cover
            raise ModelError(f"unknown family {st.family!r}")
    return model


def _regularised_horseshoe(pm, st: GLMStructure, n: int):
    """Regularised horseshoe (Piironen & Vehtari 2017), non-centred, on the standardised covariates.

    Global scale ``tau ~ HalfCauchy(tau0)`` with ``tau0 = p0 / (p - p0) * sigma / sqrt(n)``, where
    ``p0 = max(1, p / 5)`` covariates are expected to matter and the pseudo-sd ``sigma`` is 1 for a
    standardised Gaussian outcome and 2 on the logit scale; local scales ``lambda_j ~ HalfCauchy(1)``;
    slab ``c^2 ~ InvGamma(2, 8)`` (a Student-t slab with 4 d.f. and scale 2).  The exposure is never
    shrunk.  Shrinking confounders can bias the exposure's effect (regularisation-induced
    confounding, Hahn et al. 2018): prefer a smaller valid adjustment set when one exists.
    """
    p = len(st.covariate_terms)
    p0 = max(1.0, p / 5.0)
    sigma = 1.0 if st.family in ("normal", "student_t") else 2.0
    tau0 = p0 / max(p - p0, 1.0) * sigma / np.sqrt(n)
    # half-Cauchy scales written as HalfNormal * sqrt(InvGamma(1/2, 1/2)), which samples better
    # (Piironen & Vehtari 2017, appendix C.1)
    g1 = pm.HalfNormal("hs_global_a", 1.0)
    g2 = pm.InverseGamma("hs_global_b", alpha=0.5, beta=0.5)
    l1 = pm.HalfNormal("hs_local_a", 1.0, dims="covariate")
    l2 = pm.InverseGamma("hs_local_b", alpha=0.5, beta=0.5, dims="covariate")
    tau = pm.Deterministic("hs_tau", g1 * pm.math.sqrt(g2) * tau0)
    lam = pm.Deterministic("hs_lambda", l1 * pm.math.sqrt(l2), dims="covariate")
    c2 = pm.InverseGamma("hs_c2", alpha=2.0, beta=8.0)
    z = pm.Normal("b_covariate_z", 0.0, 1.0, dims="covariate")
    lam_t = pm.math.sqrt(c2 * lam**2 / (c2 + tau**2 * lam**2))
    return pm.Deterministic("b_covariate_std", z * tau * lam_t, dims="covariate")


def free_parameter_names(st: GLMStructure) -> list[str]:
    """Names of the sampled parameters (for the convergence gate)."""
    names = [] if st.family == "ordered_logistic" else ["intercept"]
    if st.exposure_term is not None:
        names.append("b_exposure_std")
    if st.covariate_terms and st.shrinkage == "horseshoe":
        names += ["b_covariate_z", "hs_global_a", "hs_global_b", "hs_local_a", "hs_local_b", "hs_c2"]
    elif st.covariate_terms:
        names.append("b_covariate_std")
    for b, how in st.batch_parametrization:
        names += [f"sigma_{b}", f"u_{b}" if how == "centered" else f"z_{b}"]
    if st.family in ("normal", "student_t"):
        names.append("sigma_std")
    if st.family == "student_t":
        names.append("nu")
    if st.family == "ordered_logistic":
        names.append("cutpoints")
    return names


def deterministics_in_numpy(st: GLMStructure) -> bool:
    """Whether :func:`add_deterministics` can derive all of ``st``'s deterministics from its free draws."""
    return not (st.covariate_terms and st.shrinkage == "horseshoe")


def add_deterministics(post, design: Design, st: GLMStructure):
    """Add the model's deterministics (``b_exposure``, ``b_covariate``, ``u_<batch>``, ``sigma``) to ``post``.

    They are the same functions of the free parameters as in :func:`build_pymc_glm`, evaluated
    in NumPy on the draws, so the compiled sampler need not carry them (see
    :class:`~radiocausal.models._sampling.CompiledCache`).  Variables already present are left
    as they are.  Not for the horseshoe (see :func:`deterministics_in_numpy`).
    """
    import xarray as xr

    if not deterministics_in_numpy(st):
        raise ModelError("the horseshoe's deterministics are computed by the compiled model")
    new = {}
    off = 0
    if st.exposure_term is not None:
        off = 1
        if "b_exposure" not in post:
            new["b_exposure"] = post["b_exposure_std"] * (design.y_scale / design.scale[0])
    if st.covariate_terms and "b_covariate" not in post:
        factor = xr.DataArray(design.y_scale / design.scale[off:], dims="covariate")
        new["b_covariate"] = post["b_covariate_std"] * factor
    for b, how in st.batch_parametrization:
        if how == "non_centered" and f"u_{b}" not in post:
            new[f"u_{b}"] = post[f"z_{b}"] * post[f"sigma_{b}"]
    if st.family in ("normal", "student_t") and "sigma" not in post:
        new["sigma"] = post["sigma_std"] * design.y_scale
    return post.assign(new) if new else post


def _draws(post, name: str) -> np.ndarray:
    return np.asarray(post[name].values, dtype=float)


def linear_predictor(post, design: Design, st: GLMStructure) -> np.ndarray:
    """``eta`` on the standardised scale, shape (chain, draw, patient), from a posterior Dataset."""
    n = len(design.y)
    ch, dr = post.sizes["chain"], post.sizes["draw"]
    eta = np.zeros((ch, dr, n))
    if st.family != "ordered_logistic":
        eta += _draws(post, "intercept")[..., None]
    off = 0
    if st.exposure_term is not None:
        eta += _draws(post, "b_exposure_std")[..., None] * design.X[:, 0]
        off = 1
    if st.covariate_terms:
        eta += np.einsum("cdk,nk->cdn", _draws(post, "b_covariate_std"), design.X[:, off:])
    for b in st.batches:
        eta += _draws(post, f"u_{b}")[..., design.batch_idx[b]]
    return eta


def _ordered_cdf(post, eta: np.ndarray) -> np.ndarray:
    """P(Y <= k) for k = 0..K-2, shape (chain, draw, patient, K-1)."""
    cut = _draws(post, "cutpoints")  # (c, d, K-1)
    return special.expit(cut[:, :, None, :] - eta[..., None])


def pointwise_loglik(post, design: Design, st: GLMStructure) -> np.ndarray:
    """Log-likelihood of each patient's outcome per draw, shape (chain, draw, patient)."""
    eta = linear_predictor(post, design, st)
    y = design.y
    if st.family == "bernoulli":
        return np.where(y == 1, -np.logaddexp(0.0, -eta), -np.logaddexp(0.0, eta))
    if st.family in ("normal", "student_t"):
        mu = design.y_center + design.y_scale * eta
        sd = _draws(post, "sigma_std")[..., None] * design.y_scale
        if st.family == "normal":
            return stats.norm.logpdf(y, mu, sd)
        return stats.t.logpdf(y, _draws(post, "nu")[..., None], mu, sd)
    F = _ordered_cdf(post, eta)
    F = np.concatenate([np.zeros(F.shape[:-1] + (1,)), F, np.ones(F.shape[:-1] + (1,))], axis=-1)
    k = y.astype(int)
    p = np.take_along_axis(F, (k + 1)[None, None, :, None], axis=-1)[..., 0] - np.take_along_axis(
        F, k[None, None, :, None], axis=-1
    )[..., 0]
    return np.log(np.clip(p, 1e-300, None))


def posterior_predict(post, design: Design, st: GLMStructure, rng: np.random.Generator) -> np.ndarray:
    """Replicated outcomes per draw, shape (chain, draw, patient)."""
    eta = linear_predictor(post, design, st)
    if st.family == "bernoulli":
        return (rng.random(eta.shape) < special.expit(eta)).astype(np.int64)
    if st.family in ("normal", "student_t"):
        mu = design.y_center + design.y_scale * eta
        sd = _draws(post, "sigma_std")[..., None] * design.y_scale
        if st.family == "normal":
            return mu + sd * rng.standard_normal(eta.shape)
        nu = _draws(post, "nu")[..., None]
        return mu + sd * rng.standard_t(np.broadcast_to(nu, eta.shape))
    F = _ordered_cdf(post, eta)
    u = rng.random(eta.shape)
    return (u[..., None] > F).sum(axis=-1).astype(np.int64)
