"""Simulated multi-site cohort: site location/scale shifts plus a biological (grade) effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _single_thread_blas():
    with threadpool_limits(limits=1):
        yield


def simulate_sites(n_per_site: int = 60, p: int = 20, grade_effect: float = 1.0, seed: int = 0):
    """Three sites with different grade prevalence; grade raises the first 5 features."""
    rng = np.random.default_rng(seed)
    names = ["siteA", "siteB", "siteC"]
    prevalence = {"siteA": 0.75, "siteB": 0.25, "siteC": 0.5}
    scale = {"siteA": 0.6, "siteB": 1.0, "siteC": 1.7}
    sites = np.repeat(names, n_per_site)
    n = sites.size
    index = pd.Index([f"P{i:04d}" for i in range(n)], name="patient")
    grade = np.array([rng.uniform() < prevalence[s] for s in sites], dtype=float)
    shift = {s: rng.normal(0, 1.0, p) for s in names}
    base = rng.normal(size=(n, p))
    biology = np.zeros((n, p))
    biology[:, :5] = grade_effect * grade[:, None]
    site_part = np.vstack([shift[s] + (scale[s] - 1) * base[i] for i, s in enumerate(sites)])
    X = pd.DataFrame(10 + biology + base + site_part, index=index, columns=[f"f{j:02d}" for j in range(p)])
    return X, pd.Series(sites, index=index, name="site"), pd.DataFrame({"grade": grade}, index=index)


@pytest.fixture
def site_cohort():
    return simulate_sites
