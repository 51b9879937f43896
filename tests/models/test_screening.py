"""Adaptive-shrinkage screening: calibration of its decisions and agreement with closed forms."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from scipy.stats import false_discovery_control, norm

from radiocausal.errors import DataError, ModelError
from radiocausal.models import adaptive_shrinkage


def _simulate(rng, p=200, frac=0.15, scale=1.0, se=0.25):
    beta = np.where(rng.random(p) < frac, rng.normal(0.0, scale, p), 0.0)
    s = se * rng.uniform(0.6, 1.4, p)
    return beta, beta + s * rng.normal(size=p), s


def _screen_reps(rng, reps, alpha=0.1, decision="threshold", **sim):
    """Mean FDP (false or wrong-sign discoveries) and power of the screen and of BH over replicates."""
    fdp, power, power_bh = [], [], []
    for _ in range(reps):
        beta, b, s = _simulate(rng, **sim)
        res = adaptive_shrinkage(b, s, alpha=alpha, decision=decision)
        disc = res.table["discovery"].to_numpy()
        wrong = disc & ((beta == 0) | (np.sign(res.table["posterior_mean"].to_numpy()) != np.sign(beta)))
        fdp.append(wrong.sum() / max(disc.sum(), 1))
        nonnull = beta != 0
        power.append((disc & nonnull & ~wrong).sum() / max(nonnull.sum(), 1))
        bh = false_discovery_control(2 * norm.sf(np.abs(b / s))) <= alpha
        power_bh.append((bh & nonnull & (np.sign(b) == np.sign(beta))).sum() / max(nonnull.sum(), 1))
    return np.mean(fdp), np.mean(power), np.mean(power_bh)


def test_fdp_at_target_and_power_at_least_bh():
    t0 = time.perf_counter()
    fdp, power, power_bh = _screen_reps(np.random.default_rng(2024), 30)
    assert time.perf_counter() - t0 < 10.0  # 30 screens of 200 pairs
    assert fdp <= 0.1 + 0.02  # Monte Carlo slack over 30 replicates
    assert power >= power_bh - 0.01


def test_threshold_rule_spends_more_of_the_budget_than_the_svalue_rule():
    rng = np.random.default_rng(11)
    beta, b, s = _simulate(rng)
    thr = adaptive_shrinkage(b, s, alpha=0.1)
    sv = adaptive_shrinkage(b, s, alpha=0.1, decision="svalue")
    # same fit, nested decisions: the s-value set is the pairs with the smallest lfsr up to mean alpha
    assert thr.pi0 == sv.pi0 and thr.decision == "threshold" and sv.decision == "svalue"
    assert (sv.table["discovery"] <= thr.table["discovery"]).all()
    assert sv.table.loc[sv.table["discovery"], "lfsr"].mean() <= 0.1
    assert thr.table["discovery"].to_numpy().sum() == (thr.table["lfsr"] <= thr.lfsr_threshold).sum()


@pytest.mark.slow
def test_calibration_over_repeated_simulations():
    """Mean FDP at or below the target (2 Monte Carlo SE) in a null, a sparse-strong and a dense-weak setting."""
    rng = np.random.default_rng(7)
    fdp0, _, _ = _screen_reps(rng, 30, frac=0.0)
    assert fdp0 <= 0.05  # no effects: almost every screen makes no discovery at all
    for sim in (dict(frac=0.05, scale=2.0), dict(frac=0.5, scale=0.4)):
        fdp, power, power_bh = _screen_reps(rng, 40, **sim)
        assert fdp <= 0.1 + 0.03
        assert power >= power_bh - 0.01


def test_posterior_matches_numerical_integration_under_the_fitted_prior():
    rng = np.random.default_rng(1)
    beta, b, s = _simulate(rng, p=300, frac=0.2, scale=1.5, se=0.3)
    res = adaptive_shrinkage(b, s)
    t = res.table
    # shrinkage pays off when most effects are null
    assert np.mean((t["posterior_mean"] - beta) ** 2) < 0.7 * np.mean((t["estimate"] - beta) ** 2)
    grid, w = res.grid, res.weights
    x = np.linspace(-12, 12, 200001)
    dx = x[1] - x[0]
    for i in (0, int(np.argmax(np.abs(b))), int(np.argmin(np.abs(b)))):
        like = norm.pdf(b[i], x, s[i])
        dens = sum(w[k] * norm.pdf(x, 0, grid[k]) for k in range(1, grid.size)) * like
        null = w[0] * norm.pdf(b[i], 0, s[i])
        z = dens.sum() * dx + null
        assert t["p_null"].iloc[i] == pytest.approx(null / z, abs=1e-6)
        assert t["posterior_mean"].iloc[i] == pytest.approx((x * dens).sum() * dx / z, abs=1e-5)
        p_pos = dens[x > 0].sum() * dx / z
        p_neg = dens[x < 0].sum() * dx / z
        assert t["lfsr"].iloc[i] == pytest.approx(min(p_pos, p_neg) + null / z, abs=1e-5)
    # lfsr and p_null are probabilities, q-values are monotone in lfsr
    assert t["lfsr"].between(0, 1).all() and t["p_null"].between(0, 1).all()
    order = np.argsort(t["lfsr"].to_numpy(), kind="stable")
    assert np.all(np.diff(t["qvalue"].to_numpy()[order]) >= -1e-12)


def test_all_null_gives_no_discoveries_and_high_pi0():
    rng = np.random.default_rng(5)
    s = np.full(200, 0.3)
    b = pd.Series(s * rng.normal(size=200), index=[f"f{i}|EGFR" for i in range(200)])
    res = adaptive_shrinkage(b, s, alpha=0.05, threshold=0.1)
    assert res.pi0 > 0.9
    assert res.table["discovery"].sum() == 0
    assert list(res.table.index[:2]) == ["f0|EGFR", "f1|EGFR"]
    assert (res.table["p_relevant"] < 0.5).all()


def test_bad_input_is_rejected():
    with pytest.raises(DataError, match="equal length"):
        adaptive_shrinkage([1.0, 2.0], [0.1])
    with pytest.raises(DataError, match="positive"):
        adaptive_shrinkage([1.0, 2.0], [0.1, 0.0])
    with pytest.raises(ModelError, match="alpha"):
        adaptive_shrinkage([1.0, 2.0], [0.1, 0.1], alpha=1.5)
    with pytest.raises(ModelError, match="decision"):
        adaptive_shrinkage([1.0, 2.0], [0.1, 0.1], decision="bh")
