"""Simulated radiogenomic cohorts with known causal truth.

:func:`simulate_tables` draws patients from a structural causal model on a declared DAG
(binary, continuous, ordinal and categorical nodes; latent nodes hidden; a selected node filters
patients) and returns the true coefficients and average causal effects (computed by simulating
``do()``); :func:`write_images` turns each patient into a 3D tumour image and mask (NIfTI) whose
shape, intensity and texture follow the simulated values and whose scanner site changes spacing,
intensity scale and noise, plus a manifest for :func:`radiocausal.features.extract_batch`.

Seed scenarios (:class:`Scenario`): :func:`batch_confounding`, :func:`grade_confounding`,
:func:`selection_collider` and the demo cohort :func:`radiogenomic_cohort` (genomic tables,
repeat scans, ``cohort.dag``); :meth:`Scenario.feature_effects` gives the true effect of a node
on every extracted feature; :func:`standardised_effect` and :func:`selection_weights` are the
estimators the examples set against the truth.

Examples
--------
>>> from radiocausal.simulate import batch_confounding
>>> data, truth = batch_confounding().simulate(n=200, random_seed=0, n_truth=50_000)
>>> sorted(data.columns)
['EGFR', 'grade', 'site', 'texture']
>>> round(truth.ace[("EGFR", "texture")], 1)
1.0
"""

from radiocausal.simulate.images import DEFAULT_SITES, DRIVERS, SiteProfile, tumour_arrays, write_images
from radiocausal.simulate.estimate import selection_weights, standardised_effect
from radiocausal.simulate.genomic import GenomicsSpec
from radiocausal.simulate.scenarios import (
    Scenario,
    batch_confounding,
    grade_confounding,
    radiogenomic_cohort,
    selection_collider,
)
from radiocausal.simulate.scm import NODE_TYPES, NodeSpec, SimulationTruth, simulate_do, simulate_tables

__all__ = [
    "simulate_tables",
    "simulate_do",
    "NodeSpec",
    "SimulationTruth",
    "NODE_TYPES",
    "write_images",
    "tumour_arrays",
    "SiteProfile",
    "DEFAULT_SITES",
    "DRIVERS",
    "Scenario",
    "batch_confounding",
    "radiogenomic_cohort",
    "grade_confounding",
    "selection_collider",
    "GenomicsSpec",
    "standardised_effect",
    "selection_weights",
]
