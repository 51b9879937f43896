"""Simulators and shared fitted models for the tests of radiocausal.models.

Fits are expensive (PyTensor/numba compilation dominates), so each model structure is
compiled once per module through module-scoped fixtures and refitted on new data.
"""

from __future__ import annotations

import numpy as np
import pytest

from radiocausal.graph import CausalDAG
from radiocausal.models import StructuralModel

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


SITES = [f"s{i}" for i in range(4)]


def batch_parameters(effect: float = TRUE_EFFECT, binary_outcome: bool = False) -> dict:
    """The batch-confounded SCM's parameters (original units) for ``StructuralModel.simulate``.

    The site shifts both EGFR's log-odds (by 2 x SITE_EFFECT) and the texture feature (by 1.5 x
    SITE_EFFECT); texture = 0.2 + effect * EGFR + 0.03 * age + site + N(0, 1), i.e. 2 + effect * EGFR
    + 0.03 * (age - 60) + site + noise (binary_outcome: the same linear predictor minus 2.5 on the
    log-odds scale).  Site effects sum to zero, as the fitted zero-sum batch effects do.
    """
    texture = {"intercept": 2.0 - 0.03 * 60.0, "b": {"EGFR": effect, "age": 0.03},
               "u": {"site": dict(zip(SITES, 1.5 * SITE_EFFECT))}, "sigma": 1.0}
    if binary_outcome:
        texture = {**{k: v for k, v in texture.items() if k != "sigma"}, "intercept": -0.5 - 0.03 * 60.0}
    return {
        "age": {"intercept": 60.0, "sigma": 10.0},
        "EGFR": {"intercept": 0.0, "u": {"site": dict(zip(SITES, 2.0 * SITE_EFFECT))}},
        "texture": texture,
    }


def simulate_batch_confounded(n: int = 300, seed: int = 0, effect: float = TRUE_EFFECT, binary_outcome: bool = False):
    """Patients at 4 sites, drawn from the structural model of BATCH_DAG with :func:`batch_parameters`."""
    site = np.array(SITES)[np.random.default_rng(seed).integers(0, 4, n)]
    scm = StructuralModel(CausalDAG.from_dagitty(BATCH_DAG))
    df = scm.simulate(batch_parameters(effect, binary_outcome), exogenous={"site": site}, random_seed=seed)
    return df[["site", "EGFR", "texture", "age"]]


@pytest.fixture(scope="session")
def batch_dag() -> CausalDAG:
    return CausalDAG.from_dagitty(BATCH_DAG)


@pytest.fixture(scope="session")
def naive_dag() -> CausalDAG:
    return CausalDAG.from_dagitty(NAIVE_DAG)


@pytest.fixture(scope="session")
def simulate():
    """The batch-confounded simulator, a StructuralModel with fixed parameters (test files cannot import conftest)."""
    return simulate_batch_confounded


@pytest.fixture(scope="session")
def batch_truth():
    """Parameters of the batch-confounded SCM (see :func:`batch_parameters`)."""
    return batch_parameters


@pytest.fixture(scope="session")
def true_effect() -> float:
    return TRUE_EFFECT
