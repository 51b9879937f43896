"""Helpers shared by the stats tests: small simulated radiogenomic tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def make_tables(n=80, p=4, q=5, seed=0, binary=False, k=2):
    rng = np.random.default_rng(seed)
    ids = [f"TCGA-{i:04d}" for i in range(n)]
    cov = pd.DataFrame(rng.normal(size=(n, k)), index=ids, columns=[f"c{j}" for j in range(k)])
    X = rng.normal(size=(n, p)) + 0.5 * cov.to_numpy() @ rng.normal(size=(k, p))
    feats = pd.DataFrame(X, index=ids, columns=[f"f{i}" for i in range(p)])
    B = rng.normal(scale=0.8, size=(p, q)) * (rng.uniform(size=(p, q)) < 0.5)
    lin = X @ B / np.sqrt(p) + cov.to_numpy() @ rng.normal(scale=0.5, size=(k, q))
    if binary:
        prob = 1 / (1 + np.exp(-(lin - 0.5)))
        G = (rng.uniform(size=(n, q)) < prob).astype(float)
    else:
        G = lin + rng.normal(size=(n, q))
    gen = pd.DataFrame(G, index=ids, columns=[f"g{j}" for j in range(q)])
    return feats, gen, cov


@pytest.fixture
def tables():
    return make_tables
