"""Model structure without posterior sampling: dims, coords, priors and the log-likelihood.

The NumPy log-likelihood and posterior predictive used for the InferenceData groups must agree
with PyMC's own, which is checked on prior draws (no NUTS).
"""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import pytest

from radiocausal.graph import CausalDAG
from radiocausal.models import AssociationModel
from radiocausal.models import _glm


def _data(family: str, n: int = 60, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, n)
    g = rng.choice(["G2", "G3", "G4"], n)
    site = rng.choice(["A", "B", "C"], n)
    eta = 0.7 * x + (g == "G4") * 0.5 + rng.normal(size=n)
    if family == "bernoulli":
        y = (eta > 0.3).astype(int)
    elif family == "ordered_logistic":
        y = np.digitize(eta, [-0.5, 0.5, 1.2]) - 1  # -1..2
    else:
        y = 3.0 + 2.0 * eta
    return pd.DataFrame({"x": x, "grade": g, "site": site, "y": y, "age": rng.normal(50, 8, n)},
                        index=[f"P{i:03d}" for i in range(n)])


DAG = "dag { x [exposure] y [outcome] site [batch] grade -> x -> y ; grade -> y ; site -> y ; age -> y }"


@pytest.mark.parametrize("family", ["bernoulli", "normal", "student_t", "ordered_logistic"])
def test_numpy_loglik_and_predictions_match_pymc(family):
    df = _data(family)
    model = AssociationModel(CausalDAG.from_dagitty(DAG), family=family)
    pm_model, design = model.build(df)
    st = model._structure
    prior = pm.sample_prior_predictive(draws=4, model=pm_model, random_seed=1)
    post = prior.prior
    if family == "ordered_logistic":  # forward draws ignore the ordering transform: sort them
        post["cutpoints"] = post["cutpoints"].copy(data=np.sort(post["cutpoints"].values, axis=-1))
    ours = _glm.pointwise_loglik(post, design, st)
    for rv in pm_model.rvs_to_initial_values:  # initvals only steer the sampler; PyMC's converter refuses them
        pm_model.rvs_to_initial_values[rv] = None
    theirs = pm.compute_log_likelihood(az.InferenceData(posterior=post), model=pm_model, progressbar=False,
                                       extend_inferencedata=False)["outcome"].values
    finite = np.isfinite(theirs)  # PyMC underflows to -inf where ours is clipped at log(1e-300)
    assert finite.mean() > 0.9 and np.all(ours[~finite] < -50)
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-6, atol=1e-8)
    # replicated outcomes live on the outcome's support
    pp = _glm.posterior_predict(post, design, st, np.random.default_rng(0))
    assert pp.shape == (1, 4, len(df))
    if family == "bernoulli":
        assert set(np.unique(pp)) <= {0, 1}
    if family == "ordered_logistic":
        assert set(np.unique(pp)) <= {0, 1, 2, 3}


def test_model_dims_coords_and_parameters():
    df = _data("normal")
    model = AssociationModel(CausalDAG.from_dagitty(DAG))
    pm_model, design = model.build(df)
    assert model._structure.family == "normal"
    assert pm_model.coords["covariate"] == ("age", "grade[G3]", "grade[G4]")
    assert pm_model.coords["site"] == ("A", "B", "C")
    assert pm_model.named_vars_to_dims["b_covariate_std"] == ("covariate",)
    free = {v.name for v in pm_model.free_RVs}
    # 60 patients over 3 sites (< 30 per site): non-centred zero-sum site intercepts
    assert free == {"intercept", "b_exposure_std", "b_covariate_std", "sigma_site", "z_site", "sigma_std"}
    assert set(_glm.free_parameter_names(model._structure)) == free
    # priors as documented: the exposure coefficient's prior is Normal(0, 2.5)
    b = pm_model["b_exposure_std"]
    logp = pm.logp(b, 1.0).eval()
    assert logp == pytest.approx(-0.5 * np.log(2 * np.pi * 2.5**2) - 0.5 / 2.5**2)


def test_centred_batches_for_data_rich_gaussian_and_priors_override():
    df = pd.concat([_data("normal", n=100, seed=s) for s in range(2)])
    df.index = range(len(df))
    model = AssociationModel(CausalDAG.from_dagitty(DAG), priors={"batch_sigma": 0.5})
    pm_model, _ = model.build(df)
    assert dict(model._structure.batch_parametrization) == {"site": "centered"}
    assert "u_site" in {v.name for v in pm_model.free_RVs}
    assert pm.logp(pm_model["sigma_site"], 0.5).eval() == pytest.approx(
        pm.logp(pm.HalfNormal.dist(0.5), 0.5).eval()
    )
    # a logistic outcome stays non-centred whatever the batch size
    logit = AssociationModel(CausalDAG.from_dagitty(DAG), family="bernoulli")
    logit.build(df.assign(y=(df["y"] > df["y"].median()).astype(int)))
    assert dict(logit._structure.batch_parametrization) == {"site": "non_centered"}


def test_rebuild_only_when_structure_changes():
    df = _data("normal")
    model = AssociationModel(CausalDAG.from_dagitty(DAG))
    m1, _ = model.build(df)
    m2, _ = model.build(df.sample(frac=1.0, replace=True, random_state=1))
    assert m1 is m2
    # another outcome with the same structure (a new model object) shares the built model
    other = AssociationModel(CausalDAG.from_dagitty(DAG.replace("y", "w")))
    m3, _ = other.build(df.rename(columns={"y": "w"}))
    assert m3 is m1
    # another family does not
    m4, _ = AssociationModel(CausalDAG.from_dagitty(DAG), family="student_t").build(df)
    assert m4 is not m1
    # a site level the model has never seen needs a new model: refuse clearly
    with pytest.raises(Exception, match="levels \\['D'\\]"):
        model.build(df.assign(site=["D"] * len(df)))


def test_regularised_horseshoe_for_many_covariates():
    rng = np.random.default_rng(4)
    n, p = 60, 10
    cov = pd.DataFrame(rng.normal(size=(n, p)), columns=[f"c{j}" for j in range(p)])
    df = cov.assign(x=rng.integers(0, 2, n), y=rng.normal(size=n))
    edges = " ; ".join(f"c{j} -> x ; c{j} -> y" for j in range(p))
    dag = CausalDAG.from_dagitty(f"dag {{ x [exposure] y [outcome] x -> y ; {edges} }}")
    model = AssociationModel(dag)  # auto: 10 covariates for 60 patients
    pm_model, design = model.build(df)
    st = model._structure
    assert st.shrinkage == "horseshoe"
    free = {v.name for v in pm_model.free_RVs}
    assert {"hs_c2", "b_covariate_z", "b_exposure_std"} <= free
    assert {"b_covariate_std", "hs_tau", "hs_lambda"} <= {d.name for d in pm_model.deterministics}
    assert set(_glm.free_parameter_names(st)) == free
    # global scale ~ HalfCauchy(tau0), tau0 = p0/(p-p0) * sigma/sqrt(n) with p0 = p/5 (Piironen & Vehtari);
    # local scales ~ HalfCauchy(1): compare prior quantiles with the half-Cauchy's
    prior = pm.sample_prior_predictive(draws=4000, model=pm_model, random_seed=2)
    tau0 = 2.0 / 8.0 * 1.0 / np.sqrt(n)
    tau = prior.prior["hs_tau"].values.ravel()
    assert np.median(tau) == pytest.approx(tau0, rel=0.1)
    assert np.quantile(tau, 0.75) == pytest.approx(tau0 * np.tan(0.75 * np.pi / 2), rel=0.15)
    lam = prior.prior["hs_lambda"].values.ravel()
    assert np.median(lam) == pytest.approx(1.0, rel=0.05)
    # the NumPy log-likelihood still matches PyMC's on prior draws
    prior = prior.isel(draw=slice(0, 3))
    ours = _glm.pointwise_loglik(prior.prior, design, st)
    theirs = pm.compute_log_likelihood(az.InferenceData(posterior=prior.prior), model=pm_model, progressbar=False,
                                       extend_inferencedata=False)["outcome"].values
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    # few covariates stay on Normal priors; an explicit choice wins
    assert AssociationModel(dag, shrinkage="normal").build(df)[0] is not pm_model
    with pytest.raises(Exception, match="shrinkage must be one of"):
        AssociationModel(dag, shrinkage="lasso")


@pytest.mark.parametrize("family", ["bernoulli", "normal"])
def test_numpy_deterministics_match_pymc(family):
    # the compiled sampler stores only free parameters; the NumPy deterministics must equal PyMC's
    df = _data(family)
    model = AssociationModel(CausalDAG.from_dagitty(DAG), family=family, batch_parametrization="non_centered")
    pm_model, design = model.build(df)
    st = model._structure
    assert _glm.deterministics_in_numpy(st)
    assert model._cache.var_names == [v.name for v in pm_model.free_RVs]
    post = pm.sample_prior_predictive(draws=5, model=pm_model, random_seed=2).prior
    derived = [v.name for v in pm_model.deterministics]
    assert {"b_exposure", "b_covariate", "u_site"} <= set(derived)
    ours = _glm.add_deterministics(post.drop_vars(derived), design, st)
    for name in derived:
        assert ours[name].dims == post[name].dims
        np.testing.assert_allclose(ours[name].values, post[name].values, rtol=1e-10)
