"""Simulated cohorts for the prediction tests (patients as rows, string patient ids)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _single_thread_blas():
    """The folds are tiny: BLAS threads only oversubscribe the shared 2-core machine."""
    with threadpool_limits(limits=1):
        yield


def simulate(
    n: int = 80,
    p: int = 30,
    n_signal: int = 0,
    effect: float = 1.5,
    seed: int = 0,
    kind: str = "binary",
) -> tuple[pd.DataFrame, pd.Series]:
    """Gaussian features; the first ``n_signal`` drive the target with coefficient ``effect``."""
    rng = np.random.default_rng(seed)
    index = pd.Index([f"TCGA-{seed:02d}-{i:04d}" for i in range(n)], name="patient")
    X = pd.DataFrame(rng.normal(size=(n, p)), index=index, columns=[f"feat_{j:03d}" for j in range(p)])
    eta = effect * X.iloc[:, :n_signal].sum(axis=1).to_numpy() if n_signal else np.zeros(n)
    if kind == "binary":
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(int)
        # keep both classes represented enough for 5-fold stratification
        if min(y.sum(), n - y.sum()) < 10:
            y[:10], y[10:20] = 1, 0
    elif kind == "continuous":
        y = eta + rng.normal(size=n)
    elif kind == "multiclass":
        logits = np.column_stack([eta, -eta, np.zeros(n)])
        prob = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        y = np.array([rng.choice(["LumA", "Basal", "Her2"], p=row) for row in prob])
    else:
        raise ValueError(kind)
    return X, pd.Series(y, index=index, name="status")


@pytest.fixture
def simulate_cohort():
    return simulate
