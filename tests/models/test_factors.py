"""Tests of the multi-view latent factor model (radiocausal.models.factors)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from radiocausal.errors import DataError, DataWarning, ModelError
from radiocausal.models._factors_simulate import simulate_factor_data
from radiocausal.models.factors import LatentFactorModel, align_factors


def _matched(model: LatentFactorModel, sim) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return align_factors(model.factor_scores(), sim.factors)


# ------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def sim():
    return simulate_factor_data(random_seed=0)


@pytest.fixture(scope="module")
def fitted(sim):
    model = LatentFactorModel(n_factors=6, likelihoods=sim.likelihoods)
    return model.fit(sim.views, random_seed=0)


@pytest.fixture(scope="module")
def fitted_overcomplete(sim):
    model = LatentFactorModel(n_factors=10, likelihoods=sim.likelihoods)
    return model.fit(sim.views, random_seed=1)


# ------------------------------------------------------------------------------------- recovery
@pytest.mark.slow
def test_recovers_true_factors(fitted, sim):
    order, _, r = _matched(fitted, sim)
    assert (order >= 0).all()
    # 0.96 reached at seed 0; the view-specific factors of imaging (10 % missing patients) and of
    # the 30 binary mutations are the hardest ones
    assert r.mean() >= 0.9, r
    assert r.min() >= 0.8, r
    # factors seen by the two large Gaussian views are recovered almost exactly
    assert r[[0, 1, 2, 4]].min() >= 0.98, r


@pytest.mark.slow
def test_shared_and_specific_activity_pattern(fitted, sim):
    order, _, _ = _matched(fitted, sim)
    p_active = fitted.active_probability()
    estimated = p_active.iloc[order] > 0.5
    estimated.index = sim.activity.index
    pd.testing.assert_frame_equal(estimated, sim.activity[estimated.columns], check_names=False)


@pytest.mark.slow
def test_no_spurious_active_factor_when_overcomplete(fitted_overcomplete, sim):
    model = fitted_overcomplete
    order, _, r = _matched(model, sim)
    assert r.min() >= 0.8, r
    extra = [j for j in range(model.n_factors_) if j not in set(order)]
    assert model.n_factors_ < 10  # inactive factors were pruned
    p_active = model.active_probability()
    assert (p_active.iloc[extra] < 0.5).all().all(), p_active.iloc[extra]
    # the true factors stay active exactly where the truth says
    estimated = p_active.iloc[order] > 0.5
    assert (estimated.to_numpy() == sim.activity[p_active.columns].to_numpy()).all()


@pytest.mark.slow
def test_elbo_never_decreases_between_prunings(fitted_overcomplete):
    elbo = fitted_overcomplete.elbo_
    assert np.isnan(elbo).any()  # prunings are marked
    segments = np.split(elbo, np.flatnonzero(np.isnan(elbo)))
    for seg in segments:
        seg = seg[np.isfinite(seg)]
        if len(seg) > 1:
            assert np.all(np.diff(seg) >= -1e-8 * np.abs(seg[:-1])), np.diff(seg).min()
    assert fitted_overcomplete.converged_


@pytest.mark.slow
def test_missing_imaging_patients_have_wider_imaging_factor_scores(fitted, sim):
    order, _, _ = _matched(fitted, sim)
    imaging_only = order[3]  # true4 is the imaging-specific factor
    sd = fitted.factor_scores_sd().iloc[:, imaging_only]
    no_imaging = ~sd.index.isin(sim.views["imaging"].index)
    assert no_imaging.sum() > 5
    assert sd[no_imaging].min() > 0.9  # nothing informs it: posterior ≈ prior N(0, 1)
    assert sd[~no_imaging].max() < 0.5
    # a shared factor is still well determined without imaging
    shared = fitted.factor_scores_sd().iloc[:, order[0]]
    assert shared[no_imaging].max() < 0.5


@pytest.mark.slow
def test_factor_score_intervals_cover_truth(fitted, sim):
    order, signs, r = _matched(fitted, sim)
    est = fitted.factor_scores().iloc[:, order] * signs
    sd = fitted.factor_scores_sd().iloc[:, order]
    truth = sim.factors.loc[est.index]
    # compare on the scale of the truth for well-recovered factors
    good = r > 0.95
    inside = (np.abs(truth.to_numpy() - est.to_numpy()) <= 1.645 * sd.to_numpy())[:, good]
    coverage = inside.mean()
    assert 0.75 <= coverage <= 0.99, coverage


@pytest.mark.slow
def test_variance_explained_outputs(fitted, sim):
    ve = fitted.variance_explained()
    assert list(ve.columns) == ["imaging", "expression", "mutations"]
    assert ve.shape == (fitted.n_factors_, 3)
    summary = fitted.variance_explained_summary(prob=0.9)
    assert len(summary) == ve.size
    assert (summary["lower"] <= summary["mean"] + 1e-12).all()
    assert (summary["mean"] <= summary["upper"] + 1e-12).all()
    # active cells have intervals away from zero, inactive cells are near zero
    active = summary["p_active"] > 0.5
    assert (summary.loc[active, "lower"] > 0.02).all()
    assert (summary.loc[~active, "upper"] < 0.01).all()
    # loadings: dict of features × factors, with sds
    loadings = fitted.loadings()
    assert set(loadings) == {"imaging", "expression", "mutations"}
    assert loadings["expression"].shape == (1000, fitted.n_factors_)
    assert loadings["imaging"].index.equals(sim.views["imaging"].columns)
    sds = fitted.loadings_sd()["mutations"].to_numpy()
    active_cols = (fitted.active_probability()["mutations"] > 0.5).to_numpy()
    assert (sds[:, active_cols] > 0).all()
    # factors switched off in a view have loadings exactly 0 there
    assert (sds[:, ~active_cols] == 0).all()
    assert (loadings["mutations"].to_numpy()[:, ~active_cols] == 0).all()


@pytest.mark.slow
def test_loadings_match_truth(fitted, sim):
    order, signs, _ = _matched(fitted, sim)
    est = fitted.loadings()["expression"].iloc[:, order[0]] * signs[0]
    truth = sim.loadings["expression"].iloc[:, 0]
    assert np.corrcoef(est, truth)[0, 1] > 0.95


# ------------------------------------------------------------------------------------- transform
@pytest.mark.slow
def test_transform_reproduces_fitted_scores(fitted, sim):
    some = sim.views["imaging"].index[:25]
    new = {view: df.loc[df.index.intersection(some)] for view, df in sim.views.items()}
    scores, sd = fitted.transform(new, return_sd=True)
    ref = fitted.factor_scores().loc[scores.index]
    assert np.abs(scores - ref).to_numpy().max() < 0.02
    assert np.abs(sd - fitted.factor_scores_sd().loc[scores.index]).to_numpy().max() < 0.02


@pytest.mark.slow
def test_transform_projects_held_out_patients(sim):
    held_out = sim.factors.index[::8]
    train = {v: df.drop(df.index.intersection(held_out)) for v, df in sim.views.items()}
    test = {v: df.loc[df.index.intersection(held_out)] for v, df in sim.views.items()}
    model = LatentFactorModel(n_factors=6, likelihoods=sim.likelihoods).fit(train, random_seed=0)
    order, signs, r_train = align_factors(model.factor_scores(), sim.factors)
    scores = model.transform(test)
    assert set(scores.index) == set(held_out)
    for j in range(3):  # the shared factors and imaging+expression factor
        r = np.corrcoef(scores.iloc[:, order[j]] * signs[j], sim.factors.loc[scores.index].iloc[:, j])[0, 1]
        assert r > 0.95, (j, r)
    # a patient with only expression data still gets a score
    only_rna = model.transform({"expression": test["expression"].iloc[:3]})
    assert only_rna.shape == (3, model.n_factors_)


# ------------------------------------------------------------------------------------- covariates
@pytest.mark.slow
def test_scanner_shift_is_absorbed_by_covariate():
    sim = simulate_factor_data(random_seed=3, site_shift=1.5)
    site = (sim.covariates["site"] == "B").astype(float)

    def site_share(model):
        scores = model.factor_scores()
        return np.array([np.corrcoef(scores[c], site.loc[scores.index])[0, 1] ** 2 for c in scores])

    naive = LatentFactorModel(n_factors=7, likelihoods=sim.likelihoods).fit(sim.views, random_seed=0)
    assert site_share(naive).max() > 0.5  # without the covariate the scanner becomes a factor

    adjusted = LatentFactorModel(n_factors=7, likelihoods=sim.likelihoods, covariates=sim.covariates)
    adjusted.fit(sim.views, random_seed=0)
    assert site_share(adjusted).max() < 0.05  # no factor is mostly site
    _, _, r = align_factors(adjusted.factor_scores(), sim.factors)
    assert r.mean() > 0.9, r
    effects = adjusted.covariate_effects()["imaging"]
    assert list(effects.columns) == ["intercept", "site[B]"]
    assert effects["site[B]"].abs().mean() > 0.5
    # transform needs covariates for new patients: from the constructor's frame or passed in
    new = {"imaging": sim.views["imaging"].iloc[:5]}
    a = adjusted.transform(new)
    b = adjusted.transform(new, covariates=sim.covariates.loc[new["imaging"].index])
    pd.testing.assert_frame_equal(a, b)


# ------------------------------------------------------------------------------------- stability
@pytest.mark.slow
def test_canonical_order_and_sign_are_stable_across_seeds(fitted, sim):
    other = LatentFactorModel(n_factors=6, likelihoods=sim.likelihoods).fit(sim.views, random_seed=7)
    order, signs, r = align_factors(other.factor_scores(), fitted.factor_scores())
    assert r.min() > 0.95, r
    assert (signs > 0).all()
    assert (order == np.arange(len(order))).sum() >= len(order) - 2  # at most one near-tie swapped


# ------------------------------------------------------------------------------------- export
def _small():
    rng = np.random.default_rng(5)
    ids = pd.Index([f"p{i}" for i in range(50)], name="patient")
    z = rng.normal(size=(50, 2))
    a = pd.DataFrame(z @ rng.normal(size=(2, 12)) + 0.3 * rng.normal(size=(50, 12)), index=ids)
    b = pd.DataFrame((rng.random((50, 8)) < 1 / (1 + np.exp(-2 * z[:, :1] @ np.ones((1, 8))))).astype(float), index=ids)
    b.columns = [f"m{j}" for j in range(8)]
    return {"a": a, "b": b}


def test_inference_data_export_has_named_dims():
    views = _small()
    model = LatentFactorModel(n_factors=3, likelihoods={"a": "gaussian", "b": "bernoulli"}).fit(views, random_seed=0)
    idata = model.to_inference_data(n_draws=25, random_seed=1)
    post = idata.posterior
    assert post["Z"].dims == ("chain", "draw", "patient", "factor")
    assert post["W"].dims == ("chain", "draw", "feature", "factor")
    assert post["variance_explained"].dims == ("chain", "draw", "factor", "view")
    assert post.sizes["feature"] == 20 and post.sizes["draw"] == 25
    assert set(post["feature_view"].values.tolist()) == {"a", "b"}
    assert list(post["view"].values) == ["a", "b"]
    # draws are centred on the reported posterior means
    zmean = post["Z"].mean(("chain", "draw")).to_numpy()
    assert np.abs(zmean - model.factor_scores().to_numpy()).max() < 0.5


def test_plot_variance_explained_returns_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    views = _small()
    model = LatentFactorModel(n_factors=2, likelihoods={"a": "gaussian", "b": "bernoulli"}).fit(views, random_seed=0)
    ax = model.plot_variance_explained()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    plt.close(ax.figure)


def test_align_factors_undoes_permutation_and_sign():
    ref = np.random.default_rng(0).normal(size=(40, 3))
    scores = np.column_stack([ref[:, 2], -ref[:, 0], ref[:, 1]])
    order, signs, r = align_factors(scores, ref)
    assert order.tolist() == [1, 2, 0]
    assert signs.tolist() == [-1.0, 1.0, 1.0]
    assert np.allclose(r, 1.0)


# ------------------------------------------------------------------------------------- bad input
def test_unknown_likelihood_is_rejected():
    with pytest.raises(ModelError, match="poissonish"):
        LatentFactorModel(n_factors=2, likelihoods={"a": "poissonish"}).fit(_small(), random_seed=0)


def test_views_and_likelihoods_must_match():
    with pytest.raises(DataError, match="without a likelihood"):
        LatentFactorModel(n_factors=2, likelihoods={"a": "gaussian"}).fit(_small(), random_seed=0)


def test_misaligned_indices_are_rejected():
    views = _small()
    views["b"] = views["b"].reset_index(drop=True)  # RangeIndex instead of patient ids
    with pytest.raises(DataError, match="misaligned"):
        LatentFactorModel(n_factors=2, likelihoods={"a": "gaussian", "b": "bernoulli"}).fit(views, random_seed=0)


def test_duplicated_patient_ids_are_rejected():
    views = _small()
    views["a"] = pd.concat([views["a"], views["a"].iloc[:1]])
    with pytest.raises(DataError, match="duplicated patient"):
        LatentFactorModel(n_factors=2, likelihoods={"a": "gaussian", "b": "bernoulli"}).fit(views, random_seed=0)


def test_all_nan_feature_is_rejected():
    views = _small()
    views["a"][3] = np.nan
    with pytest.raises(DataError, match=r"all NaN.*\[3\]"):
        LatentFactorModel(n_factors=2, likelihoods={"a": "gaussian", "b": "bernoulli"}).fit(views, random_seed=0)


def test_non_binary_bernoulli_view_is_rejected():
    views = _small()
    views["b"].iloc[0, 0] = 2.0
    with pytest.raises(DataError, match="0/1"):
        LatentFactorModel(n_factors=2, likelihoods={"a": "gaussian", "b": "bernoulli"}).fit(views, random_seed=0)


def test_covariates_must_cover_all_patients():
    views = _small()
    cov = pd.DataFrame({"site": ["A", "B"] * 20}, index=views["a"].index[:40])
    model = LatentFactorModel(n_factors=2, likelihoods={"a": "gaussian", "b": "bernoulli"}, covariates=cov)
    with pytest.raises(DataError, match="covariates are missing for 10 patients"):
        model.fit(views, random_seed=0)


def test_bad_parameters_and_unfitted_use():
    with pytest.raises(ModelError, match="n_factors"):
        LatentFactorModel(n_factors=0, likelihoods={"a": "gaussian"}).fit(_small(), random_seed=0)
    with pytest.raises(ModelError, match="not fitted"):
        LatentFactorModel(n_factors=2, likelihoods={"a": "gaussian"}).factor_scores()
    with pytest.raises(ModelError, match="n_bootstrap"):
        LatentFactorModel(n_factors=2, likelihoods={"a": "gaussian"}, n_bootstrap=2).fit(_small(), random_seed=0)
    with pytest.raises(ModelError, match="bootstrap_sweeps"):
        LatentFactorModel(n_factors=2, likelihoods={"a": "gaussian"}, bootstrap_sweeps=0).fit(_small(), random_seed=0)
    # MOFA+'s name for counts is refused with the supported choice named
    with pytest.raises(ModelError, match=r"likelihoods\['a'\] = 'poisson'.*use 'negbinomial'"):
        LatentFactorModel(n_factors=2, likelihoods={"a": "poisson"}).fit(_small(), random_seed=0)


def test_transform_rejects_unknown_features_and_views():
    views = _small()
    model = LatentFactorModel(n_factors=2, likelihoods={"a": "gaussian", "b": "bernoulli"}).fit(views, random_seed=0)
    with pytest.raises(DataError, match="not fitted"):
        model.transform({"c": views["a"]})
    bad = views["a"].rename(columns={0: "zzz"})
    with pytest.raises(DataError, match="not seen during fit"):
        model.transform({"a": bad})


def test_missing_view_patients_are_kept_and_constant_features_warn():
    views = _small()
    views["a"] = views["a"].iloc[5:]  # 5 patients without view a
    views["b"]["const"] = 0.0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = LatentFactorModel(n_factors=2, likelihoods={"a": "gaussian", "b": "bernoulli"}).fit(views, random_seed=0)
    assert any(issubclass(w.category, DataWarning) for w in caught)
    assert len(model.factor_scores()) == 50
    assert np.isfinite(model.factor_scores().to_numpy()).all()


def test_view_noise_and_restarts_keep_the_best_elbo():
    views = _small()
    liks = {"a": "gaussian", "b": "bernoulli"}
    one = LatentFactorModel(n_factors=2, likelihoods=liks, noise="view").fit(views, random_seed=3)
    three = LatentFactorModel(n_factors=2, likelihoods=liks, noise="view").fit(views, random_seed=3, n_restarts=3)
    assert three.elbo_[-1] >= one.elbo_[-1] - 1e-6
    # a single noise precision for the whole Gaussian view
    tau = three._state.views["a"].e_tau
    assert np.allclose(tau, tau[0])
    with pytest.raises(ModelError, match="noise"):
        LatentFactorModel(n_factors=2, likelihoods=liks, noise="sample").fit(views, random_seed=0)


def test_scores_have_unit_scale_and_transform_handles_partial_views():
    views = _small()
    model = LatentFactorModel(n_factors=2, likelihoods={"a": "gaussian", "b": "bernoulli"}).fit(views, random_seed=0)
    scores, sd = model.factor_scores(), model.factor_scores_sd(calibrated=False)
    assert np.allclose((scores**2 + sd**2).mean(), 1.0)
    # only mutations for two patients, with a missing value: still projected, with wider sds
    part = views["b"].iloc[:2].copy()
    part.iloc[0, 0] = np.nan
    s_part, sd_part = model.transform({"b": part}, return_sd=True)
    assert np.isfinite(s_part.to_numpy()).all()
    assert (sd_part.to_numpy() >= sd.loc[part.index].to_numpy() - 1e-9).all()


def test_unconverged_fit_warns():
    from radiocausal.errors import ConvergenceWarning

    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        model = LatentFactorModel(n_factors=2, likelihoods={"a": "gaussian", "b": "bernoulli"}, max_iter=2)
        model.fit(_small(), random_seed=0)
    assert not model.converged_


@pytest.mark.slow
@pytest.mark.parametrize("data_seed", [1, 2])
def test_recovery_and_pattern_hold_across_simulated_cohorts(data_seed):
    sim = simulate_factor_data(random_seed=data_seed)
    model = LatentFactorModel(n_factors=10, likelihoods=sim.likelihoods).fit(sim.views, random_seed=data_seed)
    order, _, r = align_factors(model.factor_scores(), sim.factors)
    assert (order >= 0).all() and r.mean() >= 0.93, r
    estimated = model.active_probability().iloc[order] > 0.5
    assert (estimated.to_numpy() == sim.activity[estimated.columns].to_numpy()).all()


@pytest.mark.slow
def test_weak_signal_keeps_the_shared_structure():
    sim = simulate_factor_data(signal=0.5, random_seed=0)
    model = LatentFactorModel(n_factors=10, likelihoods=sim.likelihoods).fit(sim.views, random_seed=0)
    order, _, r = align_factors(model.factor_scores(), sim.factors)
    assert r[[0, 1, 2, 4]].min() >= 0.95, r  # factors seen by the large Gaussian views
    p_active = model.active_probability()
    for i in (0, 1):  # shared by all three views
        assert (p_active.iloc[order[i]] > 0.5).all()


def test_single_feature_factors_are_not_kept():
    # one Gaussian view, 100 features, 2 true factors: with a noise precision per feature, a factor
    # loading on one feature only is that feature's noise (a Heywood case); ARD alone leaves three
    # of them at about 1 / D of the variance each (above prune_threshold)
    rng = np.random.default_rng(1)
    z = rng.normal(size=(200, 2))
    w = rng.normal(size=(100, 2)) * (rng.random((100, 2)) < 0.3)
    view = pd.DataFrame(z @ w.T + rng.normal(size=(200, 100)))
    model = LatentFactorModel(n_factors=6, likelihoods={"img": "gaussian"}).fit({"img": view}, random_seed=0)
    assert model.n_factors_ == 2
    assert (model.active_probability() > 0.5).all().all()
    order, _, r = align_factors(model.factor_scores(), z)
    assert (order >= 0).all() and r.min() > 0.97, r


# ----------------------------------------------------------------------- numerical helpers
@pytest.mark.parametrize("k", [1, 2, 6, 12])
def test_batched_spd_inverse_matches_numpy(k):
    from radiocausal.models.factors import _batched_inv_logdet

    rng = np.random.default_rng(k)
    a = rng.normal(size=(50, k, k))
    prec = a @ np.swapaxes(a, 1, 2) + 0.1 * np.eye(k)
    cov, logdet_cov = _batched_inv_logdet(prec)
    np.testing.assert_allclose(cov, np.linalg.inv(prec), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(logdet_cov, -np.linalg.slogdet(prec)[1], rtol=1e-10)
    assert np.array_equal(cov, np.swapaxes(cov, 1, 2))  # exactly symmetric
    # any leading shape, including an empty stack
    cov2, logdet2 = _batched_inv_logdet(prec.reshape(5, 10, k, k))
    assert cov2.shape == (5, 10, k, k) and logdet2.shape == (5, 10)
    assert _batched_inv_logdet(np.zeros((0, k, k)))[0].shape == (0, k, k)


def test_batched_spd_inverse_refuses_a_matrix_that_is_not_positive_definite():
    from radiocausal.models.factors import _batched_inv_logdet

    prec = np.repeat(np.eye(3)[None], 4, axis=0)
    prec[2, 1, 1] = -1.0
    with pytest.raises(np.linalg.LinAlgError, match="matrix 2"):
        _batched_inv_logdet(prec)
    prec = np.repeat(np.eye(3)[None], 4, axis=0)
    prec[1, 2, 0] = np.nan  # a NaN in the lower triangle (the part read) is refused too
    with pytest.raises(np.linalg.LinAlgError, match="matrix 1"):
        _batched_inv_logdet(prec)


def test_bootstrap_scores_get_prior_correlations_and_keep_their_scale():
    from radiocausal.models.factors import _with_prior_correlation

    rng = np.random.default_rng(0)
    n, k = 200, 4
    # fitted scores decorrelated in-sample, with unequal scales
    z = np.linalg.qr(rng.normal(size=(n, k)))[0] * np.sqrt(n) * np.array([1.0, 0.8, 1.2, 0.5])
    corrs = []
    for _ in range(300):
        out = _with_prior_correlation(z, rng)
        second = out.T @ out / n
        np.testing.assert_allclose(np.diag(second), np.diag(z.T @ z / n), rtol=1e-10)
        c = second / np.sqrt(np.outer(np.diag(second), np.diag(second)))
        corrs.append(c[np.triu_indices(k, 1)])
    corrs = np.concatenate(corrs)
    # in-sample correlations of n independent standard normal pairs: mean 0, sd 1/sqrt(n)
    assert abs(corrs.mean()) < 0.005
    assert 0.9 / np.sqrt(n) < corrs.std() < 1.1 / np.sqrt(n)
    # the map moves the scores little (the same factors, only their overlap changes)
    assert np.all(np.abs(np.corrcoef(out.T, z.T)[np.arange(k), k + np.arange(k)]) > 0.95)
    # one factor: unchanged
    one = z[:, :1]
    assert np.array_equal(_with_prior_correlation(one, rng), one)


# ----------------------------------------------------------------------- variance-explained calibration
def _r2_interval_hits(model: LatentFactorModel, sim) -> list[bool]:
    """Whether each true active (factor, view) cell's R² (true scores and loadings, model's
    definition, on the observed data) lies in the model's 90 % interval."""
    from radiocausal.models.factors import _r2_from

    order, _, _ = _matched(model, sim)
    summary = model.variance_explained_summary(prob=0.9).set_index(["factor", "view"])
    z = sim.factors.loc[model.patients_].to_numpy()
    hits = []
    for j, v in enumerate(model._data):
        w = sim.loadings[v.name].to_numpy()
        if v.likelihood == "gaussian":
            w = w / v.scale[:, None]
        off = model._x @ model._state.views[v.name].eb.T
        true_r2 = _r2_from(v, off, z, w)
        for i in range(len(order)):
            if order[i] < 0 or not sim.activity.iloc[i][v.name]:
                continue
            row = summary.loc[(model.factor_names_[order[i]], v.name)]
            hits.append(bool(row["lower"] <= true_r2[i] <= row["upper"]))
    return hits


def _score_hits(model: LatentFactorModel, sim, *, calibrated: bool) -> np.ndarray:
    """Whether each true score of the well-recovered factors lies in est ± 1.645 sd."""
    order, signs, r = _matched(model, sim)
    good = (order >= 0) & (r > 0.9)
    est = model.factor_scores().to_numpy()[:, order[good]] * signs[good]
    sd = model.factor_scores_sd(calibrated=calibrated).to_numpy()[:, order[good]]
    truth = sim.factors.loc[model.patients_].to_numpy()[:, good]
    return (np.abs(truth - est) <= 1.6448536 * sd).ravel()


@pytest.mark.slow
def test_variance_explained_intervals_are_calibrated_across_seeds():
    hits, hits_vi, z_cal, z_mf = [], [], [], []
    for seed in (0, 1, 2):
        sim = simulate_factor_data(n_genes=300, random_seed=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = LatentFactorModel(n_factors=8, likelihoods=sim.likelihoods).fit(sim.views, random_seed=seed)
            plain = LatentFactorModel(n_factors=8, likelihoods=sim.likelihoods, n_bootstrap=0).fit(sim.views, random_seed=seed)
        hits += _r2_interval_hits(model, sim)
        hits_vi += _r2_interval_hits(plain, sim)
        z_cal.append(_score_hits(model, sim, calibrated=True))
        z_mf.append(_score_hits(model, sim, calibrated=False))
        # both bootstrap levels are recorded: replicates × factors × views
        assert model.r2_bootstrap_errors_.shape == (20, model.n_factors_, 3)
        assert model.r2_bootstrap_errors2_.shape == (20, model.n_factors_, 3)
        assert (model.score_sd_inflation_ >= 1).all() and (model.score_sd_inflation_ < 1.3).all()
        assert (plain.score_sd_inflation_ == 1).all()
    # the 1,000 genes (the bootstrap refits only; the mean-field comparison is above)
    hits_1000 = []
    for seed in (0, 1, 2):
        sim = simulate_factor_data(n_genes=1000, random_seed=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = LatentFactorModel(n_factors=8, likelihoods=sim.likelihoods).fit(sim.views, random_seed=seed)
        hits_1000 += _r2_interval_hits(model, sim)
    coverage, coverage_vi = float(np.mean(hits)), float(np.mean(hits_vi))
    coverage_1000 = float(np.mean(hits_1000))
    # nominal 90 %: the two-level bootstrap intervals cover 31/33 true cells at 300 genes and
    # 30/33 at 1,000 genes here (0.91 over 176 and 0.92 over 174 cells of 16 cohorts each), the
    # plain mean-field draws about 0.36; the upper bounds guard against over-wide intervals
    assert 0.8 <= coverage <= 0.98, (coverage, coverage_vi)
    assert 0.8 <= coverage_1000 <= 0.98, coverage_1000
    assert 0.84 <= float(np.mean(hits + hits_1000)) <= 0.96, (coverage, coverage_1000)
    assert coverage > coverage_vi + 0.2, (coverage, coverage_vi)
    # factor scores: the bootstrap inflation of the mean-field sds brings 90 % intervals to nominal
    z_cal, z_mf = float(np.mean(np.concatenate(z_cal))), float(np.mean(np.concatenate(z_mf)))
    assert 0.87 <= z_cal <= 0.95, (z_cal, z_mf)
    assert z_cal > z_mf, (z_cal, z_mf)
