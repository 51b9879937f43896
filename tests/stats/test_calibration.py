"""Calibration on data simulated from a DAG with known null and non-null pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from radiocausal.graph import CausalDAG
from radiocausal.stats import association_scan


def _simulate(rng, n=150, p=25, q=40, n_signal=30, effect=0.35):
    """Genes independent N(0, 1); feature i = sum_j B_ij gene_j + noise, B sparse (n_signal pairs)."""
    genes = rng.normal(size=(n, q))
    B = np.zeros((p, q))
    idx = rng.choice(p * q, size=n_signal, replace=False)
    B.flat[idx] = effect * rng.choice([-1.0, 1.0], size=n_signal)
    feats = genes @ B.T + rng.normal(size=(n, p))
    ids = [f"P{i}" for i in range(n)]
    return (
        pd.DataFrame(feats, index=ids, columns=[f"f{i}" for i in range(p)]),
        pd.DataFrame(genes, index=ids, columns=[f"g{j}" for j in range(q)]),
        B != 0,
    )


def _simulate_mutations(rng, n=200, p=20, q=20, n_signal=20, effect=0.7):
    """Features independent N(0, 1); mutation j ~ Bernoulli(expit(-1 + sum_i B_ij feature_i))."""
    feats = rng.normal(size=(n, p))
    B = np.zeros((p, q))
    idx = rng.choice(p * q, size=n_signal, replace=False)
    B.flat[idx] = effect * rng.choice([-1.0, 1.0], size=n_signal)
    prob = 1.0 / (1.0 + np.exp(1.0 - feats @ B))
    muts = (rng.uniform(size=(n, q)) < prob).astype(float)
    ids = [f"P{i}" for i in range(n)]
    return (
        pd.DataFrame(feats, index=ids, columns=[f"f{i}" for i in range(p)]),
        pd.DataFrame(muts, index=ids, columns=[f"m{j}" for j in range(q)]),
        B != 0,
    )


@pytest.mark.slow
@pytest.mark.parametrize("test", ["linear", "spearman", "logistic", "wilcoxon"])
def test_bh_controls_fdr_over_repeated_simulations(test):
    rng = np.random.default_rng(2024)
    fdp, power = [], []
    binary = test in ("logistic", "wilcoxon")
    for _ in range(100 if binary else 150):
        feats, genes, truth = _simulate_mutations(rng) if binary else _simulate(rng)
        res = association_scan(feats, genes, test=test)
        found = (res["q_value"].to_numpy() <= 0.05).reshape(truth.shape)
        n_found = found.sum()
        fdp.append((found & ~truth).sum() / max(n_found, 1))
        power.append((found & truth).sum() / truth.sum())
    fdp = np.asarray(fdp)
    mean, se = fdp.mean(), fdp.std(ddof=1) / np.sqrt(len(fdp))
    # BH guarantees FDR <= q * pi0 (= 0.05 * 0.97 or 0.95) for independent exact tests; the
    # Spearman t, Wald and rank-sum normal approximations are checked to hold within MC error
    assert mean <= 0.05 + 2 * se, f"mean FDP {mean:.4f} (MC SE {se:.4f}) exceeds 0.05"
    assert mean > 0.005  # not trivially conservative: some false discoveries do happen
    assert np.mean(power) > 0.5, f"power {np.mean(power):.2f}"


def _batch_confounded(rng, n=200, p=15, q=30, shift=1.0):
    """No gene affects any feature; a batch (scanner/sequencing run) shifts half the genes and half the features."""
    batch = rng.integers(0, 2, size=n).astype(float)
    genes = rng.normal(size=(n, q))
    genes[:, : q // 2] += shift * batch[:, None]
    feats = rng.normal(size=(n, p))
    feats[:, : p // 2] += shift * batch[:, None]
    ids = [f"P{i}" for i in range(n)]
    return (
        pd.DataFrame(feats, index=ids, columns=[f"f{i}" for i in range(p)]),
        pd.DataFrame(genes, index=ids, columns=[f"g{j}" for j in range(q)]),
        pd.DataFrame({"batch": batch}, index=ids),
    )


def test_batch_confounding_false_discoveries_vanish_with_dag_set():
    dag = CausalDAG.from_dagitty("dag { batch [batch] ; batch -> expression ; batch -> feature ; expression -> feature }")
    rng = np.random.default_rng(7)
    naive_fd, adjusted_fd = [], []
    for _ in range(20):
        feats, genes, cov = _batch_confounded(rng)
        mapping = {**{c: "feature" for c in feats.columns}, **{c: "expression" for c in genes.columns}}
        naive = association_scan(feats, genes, test="linear")
        adjusted = association_scan(feats, genes, test="linear", covariates=cov, adjust=dag, dag_nodes=mapping)
        assert set(adjusted["adjustment_set"].astype(str)) == {"{batch}"}
        naive_fd.append(int((naive["q_value"] <= 0.05).sum()))  # every discovery is false here
        adjusted_fd.append(int((adjusted["q_value"] <= 0.05).sum()))
    # omitting the batch: the confounded block (7 x 15 pairs) is found again and again
    assert np.mean(naive_fd) > 50
    # with the DAG's adjustment set: FWER-like behaviour, at most a stray false discovery
    assert np.mean(adjusted_fd) < 0.5
    # and without covariates available, the DAG refuses instead of returning biased results
    from radiocausal.errors import IdentificationError

    with pytest.raises(IdentificationError, match="batch"):
        association_scan(feats, genes, covariates=cov.drop(columns="batch"), adjust=dag, dag_nodes=mapping)
