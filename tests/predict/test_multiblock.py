"""Regularised CCA / PLS: out-of-sample canonical correlations, component choice, permutation test."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from radiocausal.errors import DataError, DataWarning, ModelError
from radiocausal.predict.multiblock import RegularizedCCA, cross_decompose


def _blocks(n=100, px=30, py=20, n_latent=2, strength=0.7, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, n_latent))
    index = pd.Index([f"P{i:03d}" for i in range(n)])
    img = pd.DataFrame(strength * z @ rng.normal(size=(n_latent, px)) + rng.normal(size=(n, px)),
                       index=index).add_prefix("img")
    gen = pd.DataFrame(strength * z @ rng.normal(size=(n_latent, py)) + rng.normal(size=(n, py)),
                       index=index).add_prefix("gene")
    return img, gen


@pytest.mark.parametrize("method", ["rcca", "pls", "cca"])
def test_shared_latent_factors_are_recovered_out_of_sample(method):
    img, gen = _blocks()
    res = cross_decompose(img, gen.sample(frac=1.0, random_state=1), method=method, max_components=3)
    corr = res.canonical_correlations
    assert corr.iloc[0] > 0.75 and corr.iloc[1] > 0.6
    assert abs(corr.iloc[2]) < 0.3  # there are two latent factors, not three
    assert res.n_components == 2
    assert res.fold_correlations.shape == (5, 3)
    low, high = res.correlation_ci(1)
    assert low < corr.iloc[0] < high
    # tidy loadings, one row per feature and component
    assert set(res.x_loadings.columns) == {"block", "feature", "component", "loading"}
    assert len(res.x_loadings) == 30 * 3 and len(res.y_loadings) == 20 * 3
    assert res.x_loadings["loading"].abs().max() <= 1 + 1e-9


def test_noise_blocks_and_permutation_test():
    img, _ = _blocks(seed=2)
    _, noise = _blocks(seed=3, n_latent=1, strength=0.0)
    null = cross_decompose(img, noise, method="rcca", max_components=1)
    assert null.canonical_correlations.iloc[0] < 0.25
    assert null.n_components == 0
    assert null.permutation_pvalue(n_permutations=9) > 0.1
    img, gen = _blocks(seed=4, n=80, px=15, py=10, n_latent=1)
    signal = cross_decompose(img, gen, method="rcca", max_components=1)
    assert signal.permutation_pvalue(n_permutations=9) == pytest.approx(0.1)


def test_plain_cca_with_more_features_than_patients_warns_and_overfits():
    img, _ = _blocks(n=60, px=120, seed=5)
    _, gen = _blocks(n=60, py=10, seed=6, strength=0.0)
    with pytest.warns(DataWarning, match="perfect in-sample correlation"):
        res = cross_decompose(img, gen, method="cca", max_components=1)
    assert res.in_sample_correlations.iloc[0] > 0.99
    assert abs(res.canonical_correlations.iloc[0]) < 0.3
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        cross_decompose(img, gen, method="rcca", max_components=1, regularization=0.9)


def test_regularized_cca_limits_and_tuning():
    img, gen = _blocks(n=80, seed=7)
    X, Y = img.to_numpy(), gen.to_numpy()
    plain = RegularizedCCA(n_components=1, regularization=0.0).fit(X, Y)
    xs, ys = plain.transform(X, Y)
    # r = 0 is CCA: the first canonical correlation equals scikit-learn's up to convergence
    from sklearn.cross_decomposition import CCA

    sk = CCA(n_components=1, max_iter=5000, tol=1e-10).fit(X, Y)
    a, b = sk.transform(X, Y)
    assert abs(np.corrcoef(xs[:, 0], ys[:, 0])[0, 1]) == pytest.approx(abs(np.corrcoef(a[:, 0], b[:, 0])[0, 1]),
                                                                      abs=1e-3)
    tuned = RegularizedCCA(n_components=1, regularization=(0.1, 0.5, 0.9)).fit(X, Y)
    assert tuned.regularization_ in (0.1, 0.5, 0.9) and tuned.inner_scores_.shape == (3,)
    with pytest.raises(ModelError, match="regularization"):
        RegularizedCCA(regularization=1.0).fit(X, Y)


def test_input_errors():
    img, gen = _blocks(n=40, seed=8)
    with pytest.raises(ModelError, match="method"):
        cross_decompose(img, gen, method="svd")
    with pytest.raises(DataError, match="same patients"):
        cross_decompose(img, gen.iloc[:-1])
    with pytest.raises(ModelError, match="max_components"):
        cross_decompose(img, gen, max_components=50)
    bad = gen.copy()
    bad.iloc[0, 0] = np.nan
    with pytest.raises(DataError, match="missing"):
        cross_decompose(img, bad)
