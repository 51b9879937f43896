"""Simulators and shared fitted models for the tests of radiocausal.models.

Fits are expensive (PyTensor/numba compilation dominates), so each model structure is
compiled once per module through module-scoped fixtures and refitted on new data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from radiocausal.graph import CausalDAG

#: site effects on the exposure's log-odds and on the outcome (batch confounding)
SITE_EFFECT = np.array([-1.0, -0.3, 0.4, 1.0])
TRUE_EFFECT = 0.8

BATCH_DAG = """dag {
  site [batch]
  EGFR [exposure]
  texture [outcome]
  site -> EGFR -> texture
  site -> texture
  age -> texture
}"""

NAIVE_DAG = "dag { EGFR [exposure] texture [outcome] EGFR -> texture }"


def simulate_batch_confounded(n: int = 300, seed: int = 0, effect: float = TRUE_EFFECT, binary_outcome: bool = False):
    """Patients at 4 sites; the site shifts both EGFR prevalence and the texture feature."""
    rng = np.random.default_rng(seed)
    site = rng.integers(0, 4, n)
    age = rng.normal(60.0, 10.0, n)
    u = SITE_EFFECT[site]
    egfr = (rng.random(n) < 1.0 / (1.0 + np.exp(-2.0 * u))).astype(int)
    eta = effect * egfr + 1.5 * u + 0.03 * (age - 60.0)
    if binary_outcome:
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(eta - 0.5)))).astype(int)
    else:
        y = 2.0 + eta + rng.normal(0.0, 1.0, n)
    return pd.DataFrame({"site": [f"s{i}" for i in site], "EGFR": egfr, "texture": y, "age": age})


@pytest.fixture(scope="session")
def batch_dag() -> CausalDAG:
    return CausalDAG.from_dagitty(BATCH_DAG)


@pytest.fixture(scope="session")
def naive_dag() -> CausalDAG:
    return CausalDAG.from_dagitty(NAIVE_DAG)


@pytest.fixture(scope="session")
def simulate():
    """The batch-confounded simulator (test files cannot import conftest under importlib mode)."""
    return simulate_batch_confounded


@pytest.fixture(scope="session")
def true_effect() -> float:
    return TRUE_EFFECT
