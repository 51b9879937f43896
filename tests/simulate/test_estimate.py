"""Standardised effects and selection weights recover known effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from radiocausal.errors import DataError, ModelError
from radiocausal.simulate import selection_weights, standardised_effect


def _heterogeneous(n: int, seed: int) -> pd.DataFrame:
    # effect 1 in stratum z=0 and 3 in z=1; P(z=1) = 0.3; exposure more common when z=1
    rng = np.random.default_rng(seed)
    z = (rng.random(n) < 0.3).astype(int)
    x = (rng.random(n) < np.where(z == 1, 0.5, 0.2)).astype(float)
    y = 0.5 * z + x * np.where(z == 1, 3.0, 1.0) + rng.normal(0.0, 1.0, n)
    return pd.DataFrame({"z": z, "x": x, "y": y})


def test_standardisation_averages_heterogeneous_effects_over_the_population():
    df = _heterogeneous(20_000, 0)
    est = standardised_effect(df[["y"]], df["x"], df[["z"]]).loc["y"]
    assert est["estimate"] == pytest.approx(0.7 * 1 + 0.3 * 3, abs=3 * est["se"])
    # the plain regression coefficient weights the strata by var(x | z) instead: not the average effect
    A = np.column_stack([np.ones(len(df)), df["x"], df["z"]])
    coef = np.linalg.lstsq(A, df["y"].to_numpy(), rcond=None)[0][1]
    assert abs(coef - 1.6) > 10 * est["se"]


def test_standardisation_standard_error_is_calibrated():
    z = []
    for seed in range(30):
        df = _heterogeneous(300, seed)
        est = standardised_effect(df["y"], df["x"], df[["z"]]).iloc[0]
        z.append((est["estimate"] - 1.6) / est["se"])
    assert 0.7 < np.std(z) < 1.4 and abs(np.mean(z)) < 0.6


def test_selection_weights_restore_the_screened_population():
    rng = np.random.default_rng(4)
    screened = pd.DataFrame({"size": rng.normal(size=20_000)})
    screened["y"] = 2.0 + screened["size"] + rng.normal(size=20_000)
    screened["s"] = (rng.random(20_000) < 1 / (1 + np.exp(1.0 - 1.5 * screened["size"]))).astype(int)
    kept = screened[screened["s"] == 1]
    w = selection_weights(screened, "s", ["size"], kept)
    assert kept["y"].mean() > 2.5
    assert np.average(kept["y"], weights=w) == pytest.approx(2.0, abs=0.06)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"exposure": pd.Series([0.0, 0.5, 1.0, 1.0])}, DataError, "binary"),
        ({"weights": [1.0, -1.0, 1.0, 1.0]}, DataError, "weights"),
        ({"covariates": pd.DataFrame({"z": [0, 1, 2]})}, DataError, "same patients"),
        ({"covariates": pd.DataFrame({"z": [0.0, 1.0, 2.0, 3.0]})}, ModelError, "patients for"),
    ],
)
def test_standardised_effect_bad_input(kwargs, error, match):
    args = {"outcome": pd.Series([1.0, 2.0, 3.0, 4.0]), "exposure": pd.Series([0.0, 1.0, 0.0, 1.0]), **kwargs}
    with pytest.raises(error, match=match):
        standardised_effect(**args)


def test_selection_weights_bad_input():
    df = pd.DataFrame({"s": [1, 1, 1], "size": [0.1, 0.2, 0.3]})
    with pytest.raises(DataError, match="both values"):
        selection_weights(df, "s", ["size"], df)
    with pytest.raises(DataError, match="missing"):
        selection_weights(df, "s", ["smoking"], df)
